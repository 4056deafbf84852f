/*
 * main.c - binlogd entry point: argv -> config -> store open/recover -> ingest thread ->
 * event loop -> ordered shutdown (ingest stopped at a transaction boundary, store synced
 * and closed) -> exit status.
 *
 * Exit status: 0 after SIGTERM/SIGINT with everything durable; 1 on a storage failure
 * (fsync/EIO: restart to re-verify); 2 on a bad configuration or command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <mysql.h>

#include "conf/config.h"
#include "conf/config_doc.h"
#include "conf/secret.h"
#include "server/ops/archive.h"
#include "server/ops/compress.h"
#include "server/ops/http.h"
#include "server/ops/reload.h"
#include "server/ops/sdnotify.h"
#include "server/ops/status_text.h"
#include "server/upstream/ingest.h"
#include "server/upstream/upstream_conf.h"
#include "server/upstream/watch.h"
#include "server/log.h"
#include "server/replicas/listener.h"
#include "server/replicas/memtrim.h"
#include "server/ops/restore.h"
#include "server/ops/retention.h"
#include "server/replicas/dump.h"
#include "storage/archive_state.h"
#include "storage/verify.h"
#include "storage/fsio.h"
#include "storage/index.h"
#include "storage/store.h"
#include "storage/zfile.h"

#define TAG "main"
#define BINLOGD_VERSION "0.1.0"

struct app {
    struct config cfg;
    struct event_base *base;
    struct store *store;
    struct ingest *ingest;
    struct traffic *traffic;         /* stats.enabled: NULL when off */
    struct watch *watch;             /* the split-brain watch (its thread idles while disabled) */
    struct listener *server;
    struct sdnotify *sd;
    struct reload *reload;
    struct ops_http *http;           /* metrics.listen: NULL when off */
    struct retention *retention;     /* storage.expire_logs_seconds & co, PURGE BINARY LOGS */
    struct archive_state *archive_state;   /* which files are archived (.binlogd-archive) */
    struct archive *archive;         /* the archive_command runner (idle when none is set) */
    struct compressor *compress;     /* storage.compress_after: closed files into NAME.z */
    struct restore *restore;         /* storage.restore_command: NULL when none is set */
    struct dump_restore restore_if;  /* the dumps' view of it (server/replicas/dump.h) */
    struct event *ev_term, *ev_int, *ev_hup, *ev_fatal, *ev_powerloss, *ev_status;
    atomic_int exit_code;
    /* how the configuration was built, to build it again on SIGHUP */
    const char *config_file;         /* NULL: command line only */
    int argc;
    char **argv;
    char last_status[1024];
};

static void emit_line(void *arg, const char *line) { fprintf((FILE *)arg, "%s\n", line); }

/* Warnings about secrets found while the configuration is built: kept until the log is set
 * up at start (so they land in binlogd.log_file), logged at once on a reload. */
#define MAX_NOTES 32
static char notes[MAX_NOTES][1024];
static int n_notes, notes_live;

static void secret_note(void *arg, const char *text)
{
    (void)arg;
    if (notes_live) {
        log_warn("secret", "%s", text);
        return;
    }
    for (int i = 0; i < n_notes; i++)
        if (!strcmp(notes[i], text)) return;   /* once per start */
    if (n_notes < MAX_NOTES) snprintf(notes[n_notes++], sizeof(notes[0]), "%s", text);
}

static void flush_notes(void)
{
    for (int i = 0; i < n_notes; i++) log_warn("secret", "%s", notes[i]);
    n_notes = 0;
    notes_live = 1;
}
static void log_line(void *arg, const char *line) { (void)arg; log_info(TAG, "config: %s", line); }

static void usage(FILE *f, int options)
{
    fprintf(f,
            "usage: binlogd [--config FILE] [--section.key=value ...]\n"
            "       binlogd --print-config [...]   print the effective configuration and exit\n"
            "       binlogd --print-sample-config  print a configuration file documenting every option\n"
            "       binlogd verify DATA_DIR         check every stored file (exit 0 only if all is well)\n"
            "       binlogd cat DATA_DIR FILE       write FILE's original bytes to stdout (plain or compressed)\n"
            "       binlogd --version | --help\n"
            "Every configuration key can be given on the command line; it overrides the file.\n"
            "Example: binlogd --binlogd.server_id=100 --binlogd.data_dir=/var/lib/binlogd \\\n"
            "                 --upstream.host=db1 --upstream.user=repl --upstream.password_file=/etc/binlogd/up.pw\n"
            "Signals: SIGTERM/SIGINT stop at a transaction boundary; SIGHUP reloads the configuration\n"
            "(accounts, log level, heartbeat, TLS certificates) and reopens the log file.\n");
    if (options) {
        fprintf(f, "\n");
        config_doc_help(emit_line, f);
    }
}

/* Is argv[i] one of the options that are not configuration keys? */
static int is_meta_arg(const char *a)
{
    return !strcmp(a, "--print-config") || !strcmp(a, "--print-sample-config") || !strncmp(a, "--config=", 9);
}

/* Defaults, then the file, then the command-line overrides, then the cross-field checks:
 * at start-up and again on every SIGHUP. 0, or -1 with err. */
static int load_config(void *arg, struct config *cfg, char *err, size_t errlen)
{
    const struct app *app = arg;
    char e[1024];
    config_defaults(cfg);
    if (app->config_file && config_load_file(cfg, app->config_file, e, sizeof(e)) == -1) {
        snprintf(err, errlen, "%s", e);
        return -1;
    }
    /* Command-line options override the file whatever their position. */
    for (int i = 1; i < app->argc; i++) {
        const char *a = app->argv[i];
        if (!strcmp(a, "--config") || !strcmp(a, "-c")) { i++; continue; }
        if (is_meta_arg(a)) continue;
        char origin[64];
        snprintf(origin, sizeof(origin), "command line argument %d", i);
        if (config_set(cfg, a + 2, origin, e, sizeof(e)) == -1) {
            snprintf(err, errlen, "%s", e);
            return -1;
        }
    }
    if (secret_resolve(cfg, secret_note, NULL, e, sizeof(e)) == -1 || config_validate(cfg, e, sizeof(e)) == -1) {
        snprintf(err, errlen, "%s", e);
        return -1;
    }
    return 0;
}

/* A password given as --upstream.password=... or --user.NAME.password=... is visible to
 * every local user (ps, /proc/PID/cmdline): warn, keep a private copy of argv for reloads,
 * and overwrite the value in the process's own argv (as the mysql client does with -p) so
 * it is visible only for the moment between exec and here. */
static int protect_argv(int argc, char **argv, struct app *app)
{
    char **copy = calloc((size_t)argc + 1, sizeof(*copy));
    if (!copy) return -1;
    for (int i = 0; i < argc; i++)
        if (!(copy[i] = strdup(argv[i]))) return -1;   /* lives as long as the process */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) || !secret_is_password_assignment(a + 2)) continue;
        char *v = strchr(argv[i], '=') + 1;
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)(v - 1 - (a + 2)), a + 2);
        /* An account's stored hash is not the password: scrubbed, not warned about. */
        if (strncmp(key, "user.", 5) || secret_form_of(v) == SECRET_PLAINTEXT) {
            char text[512];
            snprintf(text, sizeof(text),
                     "%s was given on the command line, where every local user can read it (ps, /proc): use "
                     "%s_file, %s_env or the configuration file instead", key, key, key);
            secret_note(NULL, text);
        }
        memset(v, 'x', strlen(v));
    }
    app->argv = copy;
    return 0;
}

/* Parse argv into app->cfg. Returns 0 to run, 1 to exit 0 (help/version/print), -1 on error. */
static int parse_args(int argc, char **argv, struct app *app)
{
    int print = 0;
    char err[1024];
    app->argc = argc;
    if (protect_argv(argc, argv, app) == -1) {
        fprintf(stderr, "binlogd: out of memory\n");
        return -1;
    }
    argv = app->argv;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--config") || !strcmp(a, "-c")) {
            if (i + 1 >= argc) { fprintf(stderr, "binlogd: %s needs a file name\n", a); return -1; }
            app->config_file = argv[++i];
        } else if (!strncmp(a, "--config=", 9)) {
            app->config_file = a + 9;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, 1);
            return 1;
        } else if (!strcmp(a, "--version")) {
            printf("binlogd %s\n", BINLOGD_VERSION);
            return 1;
        } else if (!strcmp(a, "--print-sample-config")) {
            config_doc_sample(emit_line, stdout);
            return 1;
        } else if (!strcmp(a, "--print-config")) {
            print = 1;
        } else if (strncmp(a, "--", 2) != 0 || !strchr(a, '=')) {
            /* Not echoed: "--upstream.password secret" would print the secret. */
            fprintf(stderr, "binlogd: unexpected argument %d (options are --section.key=value, with '=')\n", i);
            usage(stderr, 0);
            return -1;
        }
    }
    if (load_config(app, &app->cfg, err, sizeof(err)) == -1) {
        fprintf(stderr, "binlogd: config error: %s\n", err);
        return -1;
    }
    if (print) {
        config_dump(&app->cfg, emit_line, stdout);
        return 1;
    }
    return 0;
}

static void status_line(void *arg, char *buf, size_t len)
{
    struct app *app = arg;
    status_text(buf, len, app->ingest, app->store, app->server);
}

/* Every few seconds: STATUS= for `systemctl status`, sent only when the text changed. */
static void on_status_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct app *app = arg;
    char st[900], msg[1024];
    status_line(app, st, sizeof(st));
    if (!strcmp(st, app->last_status)) return;
    snprintf(app->last_status, sizeof(app->last_status), "%s", st);
    snprintf(msg, sizeof(msg), "STATUS=%s", st);
    sdnotify_send(app->sd, msg);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    (void)sig; (void)what;
    struct app *app = arg;
    reload_run(app->reload);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct app *app = arg;
    log_info(TAG, "received %s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    sdnotify_send(app->sd, "STOPPING=1\nSTATUS=stopping: finishing the transaction in flight, syncing");
    event_base_loopbreak(app->base);
}

static void on_fatal_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct app *app = arg;
    atomic_store(&app->exit_code, 1);
    sdnotify_send(app->sd, "STOPPING=1\nSTATUS=stopping after a storage failure (see the log)");
    event_base_loopbreak(app->base);
}

/* SIGUSR2 with BINLOGD_FSIO_POWERLOSS=1: the power fails now. Whatever was not synced is
 * gone and the process dies at once, as the machine would (tests only). */
static void on_powerloss(evutil_socket_t sig, short what, void *arg)
{
    (void)sig; (void)what; (void)arg;
    struct fsio_powerloss_report r;
    fsio_powerloss_cut(&r);
    log_warn(TAG, "simulated power loss: %u file(s) cut back to their synced bytes (%llu bytes dropped, %llu "
             "restored), %u directory entries undone, %u bookkeeping errors; exiting with status 9", r.files,
             (unsigned long long)r.bytes_dropped, (unsigned long long)r.bytes_restored, r.entries_undone, r.errors);
    _exit(9);
}

/* Called on the ingest thread: hand the decision to the loop thread. */
static void ingest_fatal(void *arg)
{
    struct app *app = arg;
    event_active(app->ev_fatal, EV_READ, 0);
}

static void store_warning(void *arg, const char *msg)
{
    (void)arg;
    log_warn("store", "%s", msg);
}

/* Reload hook: the watch's options are all runtime; it picks them up at its next round. */
static void watch_reload(void *arg, const struct config *cfg)
{
    watch_set_options(arg, (enum watch_mode)cfg->watch_enabled, cfg->watch_interval_ms, cfg->watch_connect_timeout_ms);
}

/* Reload hook: every retention option is runtime; the next check applies them. */
static void retention_reload(void *arg, const struct config *cfg)
{
    struct retention_opts o;
    retention_opts_from_config(&o, cfg);
    retention_set_opts(arg, &o);
}

/* The store's watermark moved (writer thread): wake the waiting replicas, and let the
 * retention see a rotation at once. */
static void on_watermark(void *arg)
{
    struct app *app = arg;
    listener_notify_watermark(app->server);
    retention_notify(app->retention, store_write_file(app->store));
}

/* The purge's question to the archive (purge_keep_fn): a file the archive command has not
 * archived yet stays, with a reason PURGE BINARY LOGS and the log repeat. */
static int purge_keep_unarchived(void *arg, const char *name, char *why, size_t whylen)
{
    if (!archive_state_must_keep(arg, name)) return 0;
    snprintf(why, whylen, "it is not archived yet (storage.archive_command)");
    return 1;
}

/* archive_state_mark_absent_purged's question: does the index list name? */
static int store_has_file(void *arg, const char *name)
{
    struct store_file_info fi;
    return store_file_lookup(arg, name, &fi) == 0;
}

/* After a purge removed a file (purge_done_fn): an archived file stays listed, as purged. */
static void purge_done_archived(void *arg, const char *name, uint64_t size)
{
    (void)size;
    archive_state_purged(arg, name);
}

/* The dumps' view of the restore (struct dump_restore): restore_done_fn and dump_restored_fn
 * are the same signature, declared in both layers so that replicas need not see ops. */
static int restore_if_get(void *arg, const char *name, dump_restored_fn fn, void *fn_arg)
{
    return restore_get(arg, name, fn, fn_arg);
}
static void restore_if_put(void *arg, const char *name) { restore_put(arg, name); }
static void restore_if_cancel(void *arg, dump_restored_fn fn, void *fn_arg) { restore_cancel(arg, fn, fn_arg); }

/* Reload hook: a new archive command, timeout, backoff cap or lag bound applies from the
 * next command started (the one that runs finishes under its own settings). */
static void archive_reload(void *arg, const struct config *cfg)
{
    archive_set_options(arg, cfg->archive_command, cfg->archive_timeout, cfg->archive_retry_max_ms,
                        cfg->archive_max_lag);
}

static void compress_opts_from(struct compress_opts *o, const struct config *cfg)
{
    o->after_s = cfg->compress_after;
    o->block_bytes = cfg->compress_block_bytes;
    o->level = (int)cfg->compress_level;
}

/* Reload hook: compress_after, the block size and level apply from the next pass; the block
 * cache's bound at once. */
static void compress_reload(void *arg, const struct config *cfg)
{
    struct app *app = arg;
    struct compress_opts o;
    compress_opts_from(&o, cfg);
    compress_set_opts(app->compress, &o);
    store_block_cache_set(app->store, cfg->block_cache_bytes);
}

/* `binlogd cat DATA_DIR FILE`: FILE's original bytes on stdout, plain or compressed. */
static int cat_file(const char *dir, const char *name)
{
    char err[512];
    const char *why = NULL;
    if (index_name_check(name, strlen(name), &why) == -1) {
        fprintf(stderr, "binlogd cat: %s: not a binlog file name (%s)\n", name, why);
        return 2;
    }
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct bsrc b;
    if (dirfd == -1 || bsrc_open(dirfd, name, NULL, &b, err, sizeof(err)) == -1) {
        fprintf(stderr, "binlogd cat: %s: %s\n", dir, dirfd == -1 ? strerror(errno) : err);
        if (dirfd != -1) close(dirfd);
        return 1;
    }
    close(dirfd);
    static uint8_t buf[1 << 20];
    uint64_t off = 0;
    int rc = 0;
    for (;;) {
        size_t got = 0;
        if (bsrc_pread(&b, buf, sizeof(buf), off, &got) == -1) {
            fprintf(stderr, "binlogd cat: %s:%llu: read failed: %s\n", name, (unsigned long long)off,
                    errno == EIO ? "damaged block in the compressed file (run binlogd verify)" : strerror(errno));
            rc = 1;
            break;
        }
        if (!got) break;
        if (fwrite(buf, 1, got, stdout) != got) {
            fprintf(stderr, "binlogd cat: write failed: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        off += got;
    }
    bsrc_close(&b);
    if (fflush(stdout) == EOF) rc = 1;
    return rc;
}

static enum store_sync_mode sync_mode(enum config_sync s)
{
    return s == CONFIG_SYNC_NONE ? STORE_SYNC_NONE : s == CONFIG_SYNC_INTERVAL ? STORE_SYNC_INTERVAL : STORE_SYNC_TRX;
}

int main(int argc, char **argv)
{
    static struct app app;
    if (argc >= 2 && !strcmp(argv[1], "verify")) {
        if (argc != 3) { fprintf(stderr, "usage: binlogd verify DATA_DIR\n"); return 2; }
        return verify_data_dir(argv[2], stdout);
    }
    if (argc >= 2 && !strcmp(argv[1], "cat")) {
        if (argc != 4) { fprintf(stderr, "usage: binlogd cat DATA_DIR FILE\n"); return 2; }
        return cat_file(argv[2], argv[3]);
    }
    int rc = parse_args(argc, argv, &app);
    if (rc) return rc > 0 ? 0 : 2;
    log_set_level((enum log_level)app.cfg.log_level);
    char err[1024];
    if (app.cfg.log_file[0] && log_set_file(app.cfg.log_file, err, sizeof(err)) == -1) {
        fprintf(stderr, "binlogd: binlogd.log_file: %s\n", err);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* A SIGHUP during recovery (logrotate, an early reload) must not kill the process; the
     * loop's handler takes over below, and signals wait for the loop to run. */
    signal(SIGHUP, SIG_IGN);
    /* Keep freed memory while replicas come and go; give it back after a burst (memtrim.h). */
    memtrim_process_init();
    log_info(TAG, "binlogd %s starting (server_id %u, data_dir %s)", BINLOGD_VERSION, app.cfg.server_id, app.cfg.data_dir);
    config_dump(&app.cfg, log_line, NULL);
    secret_warnings(&app.cfg, app.config_file, secret_note, NULL);
    flush_notes();

    if (mkdir(app.cfg.data_dir, 0750) == -1 && errno != EEXIST) {
        log_error(TAG, "cannot create data_dir %s: %s", app.cfg.data_dir, strerror(errno));
        return 1;
    }
    struct store_opts so = {.dir = app.cfg.data_dir, .sync = sync_mode(app.cfg.sync), .journal = app.cfg.journal,
                            .sync_interval_ms = app.cfg.sync_interval_ms, .warn = store_warning,
                            .block_cache_bytes = app.cfg.block_cache_bytes};
    if (store_open(&so, &app.store, err, sizeof(err)) != STORE_OK) {
        log_error(TAG, "cannot open data directory: %s", err);
        return 1;
    }
    /* Test and torture hook: inject storage faults from here on (recovery is not affected). */
    const char *faults = getenv("BINLOGD_FSIO_FAULTS");
    if (faults && *faults) {
        if (fsio_faults_parse(faults, err, sizeof(err)) == -1) {
            log_error(TAG, "BINLOGD_FSIO_FAULTS: %s", err);
            store_free(app.store);
            return 2;
        }
        log_warn(TAG, "fault injection armed: %s", faults);
    }
    const char *powerloss = getenv("BINLOGD_FSIO_POWERLOSS");
    if (powerloss && !strcmp(powerloss, "1")) {
        fsio_powerloss_enable();
        log_warn(TAG, "power-loss simulation armed: SIGUSR2 drops everything not synced and exits with status 9");
    }
    struct store_watermark wm;
    store_watermark_get(app.store, &wm);
    if (wm.file[0]) log_info(TAG, "recovered: committed position %s:%llu", wm.file, (unsigned long long)wm.offset);
    else log_info(TAG, "data directory is empty");

    if (evthread_use_pthreads() == -1 || !(app.base = event_base_new()) ||
        event_base_priority_init(app.base, REPLICAS_PRIORITIES) == -1) {
        log_error(TAG, "cannot initialise libevent");
        store_free(app.store);
        return 1;
    }
    app.ev_term = evsignal_new(app.base, SIGTERM, on_signal, &app);
    app.ev_int = evsignal_new(app.base, SIGINT, on_signal, &app);
    app.ev_hup = evsignal_new(app.base, SIGHUP, on_hup, &app);
    app.ev_fatal = event_new(app.base, -1, 0, on_fatal_event, &app);
    if (!app.ev_term || !app.ev_int || !app.ev_hup || !app.ev_fatal || event_add(app.ev_term, NULL) ||
        event_add(app.ev_int, NULL) || event_add(app.ev_hup, NULL)) {
        log_error(TAG, "cannot install signal handlers");
        return 1;
    }
    if (fsio_powerloss_enabled() && (!(app.ev_powerloss = evsignal_new(app.base, SIGUSR2, on_powerloss, &app)) ||
                                     event_add(app.ev_powerloss, NULL))) {
        log_error(TAG, "cannot install the SIGUSR2 handler");
        return 1;
    }
    if (mysql_library_init(0, NULL, NULL)) {
        log_error(TAG, "cannot initialise the MySQL client library");
        return 1;
    }

    app.server = listener_new(app.base, &app.cfg, app.store, NULL, err, sizeof(err));
    if (!app.server) {
        log_error(TAG, "cannot start the listener: %s", err);
        return 1;
    }
    struct retention_opts ro;
    retention_opts_from_config(&ro, &app.cfg);
    if (!(app.retention = retention_new(app.base, app.store, app.server, app.cfg.data_dir, &ro))) {
        log_error(TAG, "cannot start the retention timer");
        return 1;
    }
    /* Test hook: kill -9 at a step of the next purge (tests/integration/t_retention.sh). */
    const char *pcrash = getenv("BINLOGD_PURGE_CRASH");
    if (pcrash && *pcrash) {
        if (retention_set_crash(app.retention, pcrash) == -1) {
            log_error(TAG, "BINLOGD_PURGE_CRASH: bad step '%s' (intent, index, gtid_index, unlink[:N], done)", pcrash);
            return 2;
        }
        log_warn(TAG, "purge crash injection armed: kill -9 after step %s", pcrash);
    }
    listener_set_purge(app.server, retention_purge_stmt, app.retention);
    store_set_notify(app.store, on_watermark, &app);

    /* The archive state: which files the archive command has archived. A damaged state file
     * makes every command run again (they must tolerate a rerun) and purge keep every file
     * until then: the safe side. */
    if (!(app.archive_state = archive_state_new(store_dir_fd(app.store)))) {
        log_error(TAG, "cannot allocate the archive state");
        return 1;
    }
    if (archive_state_load(app.archive_state, err, sizeof(err)) == -1)
        log_warn(TAG, "archive state %s/%s: ignored, every closed file will be archived again", app.cfg.data_dir, err);
    size_t absent = archive_state_mark_absent_purged(app.archive_state, store_has_file, app.store);
    if (absent)
        log_info(TAG, "archive state: %zu archived file(s) no longer in the index marked purged (a purge that a crash "
                 "interrupted): restore on demand serves them", absent);
    listener_set_archive_state(app.server, app.archive_state);
    /* Never purged before archived: retention (age, size, free space) and PURGE BINARY LOGS
     * ask the archive state before each file, and tell it what they removed. */
    retention_set_keep(app.retention, purge_keep_unarchived, app.archive_state);
    retention_set_done(app.retention, purge_done_archived, app.archive_state);

    /* The ingest thread always runs: with no upstream it idles until CHANGE MASTER + START
     * SLAVE. Settings stored by CHANGE MASTER override the configuration file's. */
    /* The candidates, then the configured upstream: see config_failover_list. */
    static char failover[sizeof(app.cfg.up_candidates) + sizeof(app.cfg.up_host) + 8];
    if (config_failover_list(&app.cfg, failover, sizeof(failover)) == -1)
        log_warn(TAG, "upstream.candidates: no room to add the configured upstream %s:%u", app.cfg.up_host,
                 (unsigned)app.cfg.up_port);
    struct ingest_opts io = {
        .server_id = app.cfg.server_id, .connect_timeout_s = app.cfg.up_connect_timeout,
        .net_timeout_s = app.cfg.up_net_timeout, .heartbeat_ms = app.cfg.up_heartbeat_ms,
        .retry_min_ms = app.cfg.up_retry_min_ms, .retry_max_ms = app.cfg.up_retry_max_ms,
        .max_packet = app.cfg.up_max_packet, .group_commit_max_ms = app.cfg.group_commit_max_ms,
        .group_commit_max_bytes = app.cfg.group_commit_max_bytes,
        .sync_interval_ms = app.cfg.sync == CONFIG_SYNC_INTERVAL ? app.cfg.sync_interval_ms : 0,
        .semi_sync = app.cfg.up_semi_sync,
        .candidates = failover, .failover_after_s = app.cfg.up_failover_after,
    };
    snprintf(io.up.host, sizeof(io.up.host), "%s", app.cfg.up_host);
    io.up.port = app.cfg.up_port;
    snprintf(io.up.user, sizeof(io.up.user), "%s", app.cfg.up_user);
    snprintf(io.up.password, sizeof(io.up.password), "%s", app.cfg.up_password);
    snprintf(io.up.log_file, sizeof(io.up.log_file), "%s", app.cfg.up_start_file);
    io.up.use_gtid = app.cfg.up_use_gtid;
    io.up.ssl = app.cfg.up_ssl;
    io.up.ssl_verify_server_cert = app.cfg.up_ssl_verify_server_cert;
    snprintf(io.up.ssl_ca, sizeof(io.up.ssl_ca), "%s", app.cfg.up_ssl_ca);
    snprintf(io.up.ssl_capath, sizeof(io.up.ssl_capath), "%s", app.cfg.up_ssl_capath);
    snprintf(io.up.ssl_cert, sizeof(io.up.ssl_cert), "%s", app.cfg.up_ssl_cert);
    snprintf(io.up.ssl_key, sizeof(io.up.ssl_key), "%s", app.cfg.up_ssl_key);
    snprintf(io.up.ssl_cipher, sizeof(io.up.ssl_cipher), "%s", app.cfg.up_ssl_cipher);
    snprintf(io.up.ssl_crl, sizeof(io.up.ssl_crl), "%s", app.cfg.up_ssl_crl);
    snprintf(io.up.ssl_crlpath, sizeof(io.up.ssl_crlpath), "%s", app.cfg.up_ssl_crlpath);
    int lr = upstream_conf_load(store_dir_fd(app.store), &io.up, err, sizeof(err));
    if (lr == -1) {
        log_error(TAG, "%s/%s", app.cfg.data_dir, err);
        return 1;
    }
    if (lr == 0)
        log_info(TAG, "upstream settings from %s/%s (set by CHANGE MASTER): %s:%u%s%s", app.cfg.data_dir,
                 UPSTREAM_CONF_FILE, io.up.host[0] ? io.up.host : "(none)", io.up.port, io.up.ssl ? ", TLS" : "",
                 io.up.switch_pending ? " (switch pending: continuity not yet checked)" : "");
    if (lr == 0 && app.cfg.up_ssl && !io.up.ssl)
        log_warn(TAG, "upstream.ssl = on in the configuration, but CHANGE MASTER stored MASTER_SSL = 0 in %s/%s, "
                 "which takes precedence: the upstream connection is NOT encrypted", app.cfg.data_dir, UPSTREAM_CONF_FILE);
    if (app.cfg.stats_enabled) {
        struct traffic_opts to = {.max_tables = app.cfg.stats_max_tables, .large_trx_bytes = app.cfg.stats_large_trx_bytes};
        if (!(app.traffic = traffic_new(&to))) {
            log_error(TAG, "cannot allocate the traffic statistics");
            return 1;
        }
        io.traffic = app.traffic;
        listener_set_traffic(app.server, app.traffic);
    }
    app.ingest = ingest_new(&io, app.store, ingest_fatal, &app);
    if (app.ingest) ingest_set_on_nospace(app.ingest, retention_disk_full, app.retention);
    listener_set_ingest(app.server, app.ingest);
    if (!app.ingest || ingest_start(app.ingest) == -1) {
        log_error(TAG, "cannot start the ingest thread");
        return 1;
    }
    if (!io.up.host[0]) log_info(TAG, "no upstream.host: serving the stored files only");
    /* The split-brain watch: its own thread, started even while disabled so that a reload
     * (watch.enabled) or a first failover (auto) turns it on without a restart. */
    struct watch_opts wo = {.mode = (enum watch_mode)app.cfg.watch_enabled, .interval_ms = app.cfg.watch_interval_ms,
                            .connect_timeout_ms = app.cfg.watch_connect_timeout_ms, .candidates = failover};
    app.watch = watch_new(&wo, app.ingest, app.store);
    if (!app.watch || watch_start(app.watch) == -1) {
        log_error(TAG, "cannot start the split-brain watch thread");
        return 1;
    }
    listener_set_watch(app.server, app.watch);

    /* The service from here on: SIGHUP reloads (delivered once the loop runs, when
     * everything it touches exists); systemd hears READY=1 now that recovery is done and
     * the listener accepts. */
    app.sd = sdnotify_new();
    app.reload = reload_new(&app.cfg, load_config, &app, app.ingest, app.sd);
    if (!app.sd || !app.reload) {
        log_error(TAG, "cannot set up reload and service notification");
        return 1;
    }
    reload_set_status(app.reload, status_line, &app);
    if (reload_add_hook(app.reload, retention_reload, app.retention) == -1) {
        log_error(TAG, "cannot register the retention's reload hook");
        return 1;
    }
    if (reload_add_hook(app.reload, watch_reload, app.watch) == -1) {
        log_error(TAG, "cannot register the split-brain watch's reload hook");
        return 1;
    }
    /* tls.cert / tls.key / tls.ca are read again on every SIGHUP (renewed files under the
     * same names); tls.require and user.NAME.require_tls are read per login. */
    if (reload_add_hook(app.reload, listener_reload_tls, app.server) == -1) {
        log_error(TAG, "cannot register the TLS reload hook");
        return 1;
    }
    /* The archive runner: the loop only supervises its child processes. */
    struct archive_opts ao = {.data_dir = app.cfg.data_dir, .command = app.cfg.archive_command,
                              .timeout_s = app.cfg.archive_timeout, .retry_max_ms = app.cfg.archive_retry_max_ms,
                              .max_lag_s = app.cfg.archive_max_lag};
    if (!(app.archive = archive_new(app.base, app.store, app.archive_state, &ao, err, sizeof(err))) ||
        reload_add_hook(app.reload, archive_reload, app.archive) == -1) {
        log_error(TAG, "cannot start the archive runner: %s", app.archive ? "reload hooks full" : err);
        return 1;
    }
    /* History restored on demand: a dump that needs a file purged here but archived waits for
     * the restore command's copy (checked whole) in DATA_DIR/.binlogd-restore. */
    if (app.cfg.restore_command[0]) {
        struct restore_opts rso = {.data_dir = app.cfg.data_dir, .command = app.cfg.restore_command,
                                   .timeout_s = app.cfg.restore_timeout, .spool_bytes = app.cfg.restore_spool_bytes,
                                   .jobs = app.cfg.restore_jobs};
        if (!(app.restore = restore_new(app.base, app.archive_state, &rso, err, sizeof(err)))) {
            log_error(TAG, "cannot start restoring from the archive: %s", err);
            return 1;
        }
        app.restore_if = (struct dump_restore){.arg = app.restore, .archive = app.archive_state, .get = restore_if_get,
                                               .put = restore_if_put, .cancel = restore_if_cancel};
        listener_set_restore(app.server, &app.restore_if);
        log_info(TAG, "restore on demand: storage.restore_command set, up to %u at once, spool %s/%s bounded at %llu bytes",
                 app.cfg.restore_jobs, app.cfg.data_dir, RESTORE_SPOOL_DIR, (unsigned long long)app.cfg.restore_spool_bytes);
    }
    /* The compressor: its own thread; it waits for the archive when archiving is on. */
    struct compress_opts co;
    compress_opts_from(&co, &app.cfg);
    if (!(app.compress = compress_new(app.store, app.archive_state, &co, err, sizeof(err))) ||
        reload_add_hook(app.reload, compress_reload, &app) == -1) {
        log_error(TAG, "cannot start the compressor: %s", app.compress ? "reload hooks full" : err);
        return 1;
    }
    /* Monitoring reads app.cfg on each request, so the runtime metrics options a reload
     * copies into it apply from the next scrape; metrics.listen needs a restart. */
    if (app.cfg.metrics_port) {
        app.http = ops_http_new(app.base, &app.cfg, app.store, app.ingest, app.server, err, sizeof(err));
        if (!app.http) {
            log_error(TAG, "cannot start the monitoring server: %s", err);
            return 1;
        }
        ops_http_set_traffic(app.http, app.traffic);
        ops_http_set_watch(app.http, app.watch);
        if (ops_http_add_collector(app.http, retention_collect, app.retention) == -1 ||
            ops_http_add_section(app.http, "retention", "Retention", retention_render, app.retention) == -1)
            log_warn(TAG, "monitoring: no room for the retention's metrics or status section");
        ops_http_set_ready(app.http);   /* recovery is done, the listener accepts, ingest runs */
        if (ops_http_add_collector(app.http, archive_collect, app.archive) == -1 ||
            ops_http_add_collector(app.http, compress_collect, app.compress) == -1)
            log_warn(TAG, "no room for the archive or compression metrics in /metrics");
        archive_set_health(app.archive, ops_http_health(app.http));
        if (app.restore && ops_http_add_collector(app.http, restore_collect, app.restore) == -1)
            log_warn(TAG, "no room for the restore metrics in /metrics");
    }
    if (sdnotify_enabled(app.sd)) {
        char msg[sizeof(app.last_status) + 32];
        status_line(&app, app.last_status, sizeof(app.last_status));
        snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", app.last_status);
        sdnotify_send(app.sd, msg);
        struct timeval every = {.tv_sec = 5, .tv_usec = 0};
        if (sdnotify_watchdog_start(app.sd, app.base) == -1 ||
            !(app.ev_status = event_new(app.base, -1, EV_PERSIST, on_status_timer, &app)) ||
            event_add(app.ev_status, &every) == -1) {
            log_error(TAG, "cannot start the watchdog or status timer");
            return 1;
        }
    }

    event_base_dispatch(app.base);

    /* Ordered shutdown: stop the writer first (it leaves the store at a durable boundary),
     * then the sessions, then the store. */
    ops_http_free(app.http);         /* reads the watch and the statistics */
    watch_free(app.watch);           /* reads the ingest and the store: goes before them */
    if (app.ingest) ingest_free(app.ingest);
    archive_free(app.archive);       /* kills a command that runs: it runs again at the next start */
    compress_free(app.compress);     /* abandons a compression in progress at its next block (the file stays plain) */
    retention_free(app.retention);   /* after the ingest (it notifies it), before the listener it asks */
    listener_free(app.server);
    restore_free(app.restore);       /* after the sessions: their dumps hold its copies */
    traffic_free(app.traffic);   /* after the ingest (its feeder) and the sessions (readers) */
    store_watermark_get(app.store, &wm);
    store_free(app.store);
    archive_state_free(app.archive_state);
    if (app.ev_status) event_free(app.ev_status);
    sdnotify_free(app.sd);
    reload_free(app.reload);
    event_free(app.ev_term);
    event_free(app.ev_int);
    event_free(app.ev_hup);
    event_free(app.ev_fatal);
    if (app.ev_powerloss) event_free(app.ev_powerloss);
    event_base_free(app.base);
    mysql_library_end();
    int code = atomic_load(&app.exit_code);
    if (wm.file[0]) log_info(TAG, "stopped at %s:%llu (exit %d)", wm.file, (unsigned long long)wm.offset, code);
    else log_info(TAG, "stopped (exit %d)", code);
    return code;
}
