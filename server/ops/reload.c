/* reload.c - see reload.h. */
#include "server/ops/reload.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/ops/sdnotify.h"
#include "server/upstream/ingest.h"

#define TAG "reload"

struct reload {
    struct config *live;
    reload_load_fn load;
    void *load_arg;
    struct ingest *ingest;
    struct sdnotify *sd;
    reload_hook_fn hooks[RELOAD_MAX_HOOKS];
    void *hook_args[RELOAD_MAX_HOOKS];
    size_t n_hooks;
    void (*status)(void *arg, char *buf, size_t len);
    void *status_arg;
    uint64_t log_errors_seen;        /* log_write_errors() at the last reopen */
};

struct reload *reload_new(struct config *live, reload_load_fn load, void *load_arg, struct ingest *ingest,
                          struct sdnotify *sd)
{
    struct reload *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    *r = (struct reload){.live = live, .load = load, .load_arg = load_arg, .ingest = ingest, .sd = sd};
    return r;
}

void reload_free(struct reload *r) { free(r); }

int reload_add_hook(struct reload *r, reload_hook_fn fn, void *arg)
{
    if (r->n_hooks == RELOAD_MAX_HOOKS) return -1;
    r->hooks[r->n_hooks] = fn;
    r->hook_args[r->n_hooks++] = arg;
    return 0;
}

void reload_set_status(struct reload *r, void (*status)(void *arg, char *buf, size_t len), void *arg)
{
    r->status = status;
    r->status_arg = arg;
}

static void report(void *arg, const char *name, enum config_change what)
{
    (void)arg;
    if (what == CONFIG_APPLIED) log_info(TAG, "%s: new value applied", name);
    else log_warn(TAG, "%s cannot change at runtime; restart to apply (keeping the running value)", name);
}

/* Put the log where `path` says (a changed binlogd.log_file) or reopen it in place. On
 * failure the log stays on the descriptor it had; the caller logs why once it can. */
static int move_log(const char *path, int changed, char *err, size_t errlen)
{
    return changed ? log_set_file(path, err, errlen) : log_reopen(err, errlen);
}

static void ready(struct reload *r)
{
    if (!sdnotify_enabled(r->sd)) return;
    char msg[1024] = "READY=1";
    if (r->status) {
        char st[900];
        r->status(r->status_arg, st, sizeof(st));
        snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", st);
    }
    sdnotify_send(r->sd, msg);
}

int reload_run(struct reload *r)
{
    sdnotify_reloading(r->sd);
    char err[1024], logerr[1024] = "";
    struct config *next = malloc(sizeof(*next));   /* ~40 KB: not on the loop's stack */
    int rc = -1, log_ok;
    if (!next) {
        snprintf(err, sizeof(err), "out of memory");
        log_ok = move_log(r->live->log_file, 0, logerr, sizeof(logerr)) == 0;
    } else if (r->load(r->load_arg, next, err, sizeof(err)) == -1) {
        log_ok = move_log(r->live->log_file, 0, logerr, sizeof(logerr)) == 0;
    } else {
        int changed = strcmp(next->log_file, r->live->log_file) != 0;
        log_ok = move_log(next->log_file, changed, logerr, sizeof(logerr)) == 0;
        if (!log_ok && changed) {
            /* Keep the log file the process really writes to as the running value. */
            snprintf(next->log_file, sizeof(next->log_file), "%s", r->live->log_file);
        }
        rc = 0;
    }
    log_info(TAG, "SIGHUP: reloading the configuration");
    if (!log_ok) log_error(TAG, "%s; the log goes where it went before", logerr);
    uint64_t lost = log_write_errors();
    if (lost != r->log_errors_seen) {
        log_warn(TAG, "%" PRIu64 " log lines could not be written to the log since the last reopen (sent to the "
                 "original stderr instead)", lost - r->log_errors_seen);
        r->log_errors_seen = lost;
    }
    if (rc == -1) {
        log_error(TAG, "configuration rejected, keeping the running configuration: %s", err);
    } else {
        size_t n = config_apply_runtime(r->live, next, report, NULL);
        log_set_level((enum log_level)r->live->log_level);
        if (r->ingest) ingest_set_heartbeat_ms(r->ingest, r->live->up_heartbeat_ms);
        for (size_t i = 0; i < r->n_hooks; i++) r->hooks[i](r->hook_args[i], r->live);
        log_info(TAG, "configuration reloaded: %zu change(s) applied, %zu account(s)", n, r->live->n_users);
    }
    free(next);
    ready(r);
    return rc;
}
