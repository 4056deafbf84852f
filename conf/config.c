/*
 * config.c - option table, INI parser and command-line overrides.
 *
 * One table drives parsing, validation and dumping, so an option cannot be parsed by one
 * code path and forgotten by another. Per-account options ([user.NAME]) are the one
 * dynamic family and are handled beside the table.
 */
#include "conf/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum opt_type { OPT_UINT32, OPT_UINT64, OPT_PORT, OPT_STR, OPT_HOSTPORT, OPT_SYNC, OPT_LOGLEVEL, OPT_BOOL,
                OPT_AUTOBOOL /* auto | on | off as -1 | 1 | 0 in an int */ };

struct opt {
    const char *name;       /* "section.key" */
    enum opt_type type;
    size_t offset;          /* into struct config */
    size_t size;            /* buffer size for OPT_STR */
    uint64_t min, max;      /* numeric bounds */
    const char *help;
    int runtime;            /* RUNTIME: a reload (SIGHUP) applies a new value; else restart */
    const char *default_text;   /* shown instead of the default value when that depends on
                                 * the machine (NULL = print the value) */
    size_t port_offset;         /* OPT_HOSTPORT: where the port (uint16_t) goes; offset is the host */
};

#define RUNTIME 1

#define OFF(f) offsetof(struct config, f)
#define SZ(f) sizeof(((struct config *)0)->f)

static const struct opt opts[] = {
    {"binlogd.server_id", OPT_UINT32, OFF(server_id), 0, 1, UINT32_MAX,
     "server_id binlogd uses towards the primary and reports to replicas (required)", 0, "none (required)", 0},
    {"binlogd.data_dir", OPT_STR, OFF(data_dir), SZ(data_dir), 1, 0, "directory of the mirrored binlogs", 0, NULL, 0},
    {"binlogd.listen", OPT_HOSTPORT, OFF(listen_host), SZ(listen_host), 0, 0,
     "host:port replicas connect to (empty = no listener)", 0, NULL, OFF(listen_port)},
    {"binlogd.server_uuid", OPT_STR, OFF(server_uuid), SZ(server_uuid), 0, 0,
     "server_uuid reported to replicas (default derived from server_id)", 0, NULL, 0},
    {"binlogd.server_version", OPT_STR, OFF(server_version), SZ(server_version), 1, 0,
     "version string in the handshake", 0, NULL, 0},
    {"binlogd.log_level", OPT_LOGLEVEL, OFF(log_level), 0, 0, 0, "debug | info | warn | error", RUNTIME, NULL, 0},
    {"binlogd.log_file", OPT_STR, OFF(log_file), SZ(log_file), 0, 0,
     "file the log is appended to, reopened on SIGHUP and FLUSH LOGS (empty = stderr)", RUNTIME, NULL, 0},
    {"binlogd.wake_threads", OPT_UINT32, OFF(wake_threads), 0, 0, 64,
     "helper threads that share the sends when a commit wakes many waiting replicas (0 = none)", 0,
     "one per further CPU, at most 3", 0},
    {"binlogd.direct_wakes", OPT_UINT32, OFF(direct_wakes), 0, 0, 64,
     "waiting replicas the ingest thread sends each commit to itself, before the event loop wakes (0 = none)", 0, NULL,
     0},
    {"binlogd.memory_trim_after", OPT_UINT32, OFF(memory_trim_after), 0, 0, 86400,
     "seconds after a burst of 32+ ended sessions (then only a trickle) before their memory goes back to the system (0 = never)",
     0, NULL, 0},
    {"binlogd.max_connections", OPT_UINT32, OFF(max_connections), 0, 1, 1000000,
     "client sessions at most; one more is let in for an admin login (ERR 1040 beyond)", RUNTIME, NULL, 0},
    {"binlogd.connect_timeout", OPT_UINT32, OFF(connect_timeout), 0, 1, 3600,
     "seconds from connect to a finished login, else the connection is closed", RUNTIME, NULL, 0},
    {"binlogd.idle_timeout", OPT_UINT32, OFF(idle_timeout), 0, 1, 31536000,
     "seconds a logged-in client may send nothing before it is disconnected (not dumps)", RUNTIME, NULL, 0},
    {"binlogd.max_allowed_packet", OPT_UINT32, OFF(max_allowed_packet), 0, 1024, 16777215,
     "largest client command in bytes (ERR 1153 and disconnect beyond)", RUNTIME, NULL, 0},
    {"upstream.host", OPT_STR, OFF(up_host), SZ(up_host), 0, 0, "primary to mirror (empty = none)", 0, NULL, 0},
    {"upstream.port", OPT_PORT, OFF(up_port), 0, 1, 65535, "primary's port", 0, NULL, 0},
    {"upstream.user", OPT_STR, OFF(up_user), SZ(up_user), 0, 0, "replication account on the primary", 0, NULL, 0},
    {"upstream.password", OPT_STR, OFF(up_password), SZ(up_password), 0, 0,
     "its password (prefer password_file: a command line is visible to every user)", 0, NULL, 0},
    {"upstream.password_file", OPT_STR, OFF(up_password_file), SZ(up_password_file), 0, 0,
     "file holding the upstream password (one trailing newline stripped)", 0, NULL, 0},
    {"upstream.password_env", OPT_STR, OFF(up_password_env), SZ(up_password_env), 0, 0,
     "environment variable holding the upstream password (default: BINLOGD_UPSTREAM_PASSWORD if set)", 0, NULL,
     0},
    {"upstream.start_file", OPT_STR, OFF(up_start_file), SZ(up_start_file), 0, 0,
     "first file to mirror into an empty data dir (default: oldest on the primary)", 0, NULL, 0},
    {"upstream.connect_timeout", OPT_UINT32, OFF(up_connect_timeout), 0, 1, 3600, "seconds", 0, NULL, 0},
    {"upstream.net_timeout", OPT_UINT32, OFF(up_net_timeout), 0, 2, 86400,
     "seconds of silence before the link is declared dead", 0, NULL, 0},
    {"upstream.heartbeat_ms", OPT_UINT32, OFF(up_heartbeat_ms), 0, 0, 86400000,
     "heartbeat period asked of the primary (0 = net_timeout/2; a change applies at the next connection)",
     RUNTIME, NULL, 0},
    {"upstream.retry_min_ms", OPT_UINT32, OFF(up_retry_min_ms), 0, 10, 3600000, "first reconnect delay", 0, NULL, 0},
    {"upstream.retry_max_ms", OPT_UINT32, OFF(up_retry_max_ms), 0, 10, 3600000, "longest reconnect delay", 0, NULL, 0},
    {"upstream.max_packet", OPT_UINT64, OFF(up_max_packet), 0, 1024 * 1024, 1024ULL * 1024 * 1024,
     "largest event accepted from the primary (bytes)", 0, NULL, 0},
    {"upstream.semi_sync", OPT_BOOL, OFF(up_semi_sync), 0, 0, 1,
     "register as a semi-sync replica and acknowledge only what is fdatasync'ed (on | off)", 0, NULL, 0},
    {"upstream.use_gtid", OPT_BOOL, OFF(up_use_gtid), 0, 0, 1,
     "on a new primary, continue at the file that starts at binlogd's GTID state (on | off)", 0, NULL, 0},
    {"upstream.candidates", OPT_STR, OFF(up_candidates), SZ(up_candidates), 0, 0,
     "host:port,... to fail over to: primaries that may be promoted, or sibling binlogds mirroring the same primary; "
     "then the configured upstream (empty = off)", 0, NULL, 0},
    {"upstream.failover_after", OPT_UINT32, OFF(up_failover_after), 0, 1, 86400,
     "seconds the upstream must be unreachable before a candidate is looked for", 0, NULL, 0},
    {"upstream.ssl", OPT_BOOL, OFF(up_ssl), 0, 0, 1,
     "TLS to the primary, the failover candidates and the watched servers; no plaintext fallback (on | off)", 0,
     NULL, 0},
    {"upstream.ssl_verify_server_cert", OPT_BOOL, OFF(up_ssl_verify_server_cert), 0, 0, 1,
     "with upstream.ssl: the server certificate must name the host binlogd connects to (on | off)", 0, NULL, 0},
    {"upstream.ssl_ca", OPT_STR, OFF(up_ssl_ca), SZ(up_ssl_ca), 0, 0,
     "PEM file of the CA(s) that sign the servers' certificates (empty = the system's store)", 0, NULL, 0},
    {"upstream.ssl_capath", OPT_STR, OFF(up_ssl_capath), SZ(up_ssl_capath), 0, 0,
     "directory of hashed CA certificates (c_rehash), besides or instead of upstream.ssl_ca", 0, NULL, 0},
    {"upstream.ssl_cert", OPT_STR, OFF(up_ssl_cert), SZ(up_ssl_cert), 0, 0,
     "client certificate (PEM) for servers that require one (REQUIRE X509)", 0, NULL, 0},
    {"upstream.ssl_key", OPT_STR, OFF(up_ssl_key), SZ(up_ssl_key), 0, 0, "its private key (PEM)", 0, NULL, 0},
    {"upstream.ssl_cipher", OPT_STR, OFF(up_ssl_cipher), SZ(up_ssl_cipher), 0, 0,
     "OpenSSL cipher list for TLS 1.2 (empty = the library's default)", 0, NULL, 0},
    {"upstream.ssl_crl", OPT_STR, OFF(up_ssl_crl), SZ(up_ssl_crl), 0, 0,
     "certificate revocation list (PEM) checked against the server certificate", 0, NULL, 0},
    {"upstream.ssl_crlpath", OPT_STR, OFF(up_ssl_crlpath), SZ(up_ssl_crlpath), 0, 0,
     "directory of revocation lists", 0, NULL, 0},
    {"storage.sync", OPT_SYNC, OFF(sync), 0, 0, 0, "trx | interval:MS | none", 0, NULL, 0},
    {"storage.journal", OPT_BOOL, OFF(journal), 0, 0, 1,
     "with sync=trx, make small batches durable by the commit journal, an overwrite (on | off)", 0, NULL, 0},
    {"storage.group_commit_max_ms", OPT_UINT32, OFF(group_commit_max_ms), 0, 0, 10000,
     "longest a complete transaction waits for its read burst to end before fdatasync", 0, NULL, 0},
    {"storage.group_commit_max_bytes", OPT_UINT64, OFF(group_commit_max_bytes), 0, 4096, 1ULL << 34,
     "complete bytes after which fdatasync happens even mid-burst", 0, NULL, 0},
    {"storage.expire_logs_seconds", OPT_UINT64, OFF(expire_logs_seconds), 0, 0, 1ULL << 40,
     "purge closed files whose last event is older than this (0 = off); a file a connected replica is on, or "
     "a later one, is kept", RUNTIME, NULL, 0},
    {"storage.max_disk_bytes", OPT_UINT64, OFF(max_disk_bytes), 0, 0, 1ULL << 60,
     "purge the oldest closed files while the binlog files take more than this on disk (a compressed file "
     "counts at its compressed size; 0 = off); overrides replicas",
     RUNTIME, NULL, 0},
    {"storage.min_files", OPT_UINT32, OFF(min_files), 0, 1, 1000000,
     "the newest files retention never purges (the active one included)", RUNTIME, NULL, 0},
    {"storage.min_free_bytes", OPT_UINT64, OFF(min_free_bytes), 0, 0, 1ULL << 60,
     "when the filesystem has less free space than this, purge purgeable files early, oldest first (0 = off)",
     RUNTIME, NULL, 0},
    {"storage.archive_command", OPT_STR, OFF(archive_command), SZ(archive_command), 0, 0,
     "shell command run for every closed binlog file, oldest first (%p its path, %f its name, %% a percent sign); "
     "exit 0 = archived; must tolerate a rerun for a file it already archived (empty = off)", RUNTIME, NULL, 0},
    {"storage.archive_timeout", OPT_UINT32, OFF(archive_timeout), 0, 0, 604800,
     "seconds an archive command may run before its process group is killed and it is retried (0 = no limit)",
     RUNTIME, NULL, 0},
    {"storage.archive_retry_max_ms", OPT_UINT32, OFF(archive_retry_max_ms), 0, 1000, 86400000,
     "longest wait before retrying a failed archive command (the wait starts at 1 s and doubles)", RUNTIME, NULL, 0},
    {"storage.archive_max_lag_seconds", OPT_UINT32, OFF(archive_max_lag), 0, 0, 31536000,
     "/healthz fails when a closed file has waited longer than this to be archived (0 = never)", RUNTIME, NULL, 0},
    {"storage.restore_command", OPT_STR, OFF(restore_command), SZ(restore_command), 0, 0,
     "shell command that copies an archived binlog file back (%f its name, %p the destination path, %% a percent "
     "sign), run when a replica needs a file purged here; exit 0 = copied (empty = off)", 0, NULL, 0},
    {"storage.restore_timeout", OPT_UINT32, OFF(restore_timeout), 0, 0, 604800,
     "seconds a restore command may run before its process group is killed and the waiting replicas get ERR 1236 "
     "(0 = no limit)", 0, NULL, 0},
    {"storage.restore_spool_bytes", OPT_UINT64, OFF(restore_spool_bytes), 0, 1, 1ULL << 60,
     "bound of the spool of restored files (DATA_DIR/.binlogd-restore): the least recently used copies nobody "
     "reads are removed", 0, NULL, 0},
    {"storage.restore_jobs", OPT_UINT32, OFF(restore_jobs), 0, 1, 16,
     "restore commands run at most at once, for different files (oldest request first; a fetch starts beside "
     "others only when the spool has room for it too)", 0, NULL, 0},
    {"storage.compress_after", OPT_UINT64, OFF(compress_after), 0, 0, 1ULL << 40,
     "seconds after a binlog file was closed (and archived, when storage.archive_command is set) to replace it by "
     "its seekable zlib-compressed form NAME.z, on a background thread (0 = off); readers get the original bytes",
     RUNTIME, NULL, 0},
    {"storage.compress_block_bytes", OPT_UINT32, OFF(compress_block_bytes), 0, 4096, 16777216,
     "original bytes per independently compressed block (a reader starting mid-file inflates from its block on)",
     RUNTIME, NULL, 0},
    {"storage.compress_level", OPT_UINT32, OFF(compress_level), 0, 1, 9, "zlib compression level", RUNTIME, NULL, 0},
    {"storage.block_cache_bytes", OPT_UINT64, OFF(block_cache_bytes), 0, 0, 1ULL << 40,
     "inflated blocks of compressed files kept for readers, least recently used evicted (0 = none kept)", RUNTIME,
     NULL, 0},
    {"metrics.listen", OPT_HOSTPORT, OFF(metrics_host), SZ(metrics_host), 0, 0,
     "host:port of the HTTP server: /metrics (Prometheus), /healthz, /readyz, / (status page); empty = off", 0, NULL,
     OFF(metrics_port)},
    {"metrics.replica_series", OPT_UINT32, OFF(metrics_replica_series), 0, 0, 100000,
     "replicas (the most behind) with their own labelled series; the rest are summed as server_id=\"other\"", RUNTIME,
     NULL, 0},
    {"metrics.traffic_series", OPT_UINT32, OFF(metrics_traffic_series), 0, 0, 10000,
     "tables (and originating server_ids) with their own labelled traffic series, the largest first and kept once "
     "given; the rest are summed as \"(other)\"", RUNTIME, NULL, 0},
    {"metrics.health_max_lag_seconds", OPT_UINT32, OFF(metrics_health_max_lag), 0, 1, 86400,
     "/healthz fails when nothing came from the primary, or binlogd is behind it, for longer than this", RUNTIME, NULL, 0},
    {"stats.enabled", OPT_BOOL, OFF(stats_enabled), 0, 0, 1,
     "traffic statistics per table, server and kind, top transactions and the lag doctor (on | off)", 0, NULL, 0},
    {"stats.max_tables", OPT_UINT32, OFF(stats_max_tables), 0, 1, 1000000,
     "tables tracked by name (about 3 KiB each); further tables are counted under (other)", 0, NULL, 0},
    {"stats.large_trx_bytes", OPT_UINT64, OFF(stats_large_trx_bytes), 0, 1, 1ULL << 40,
     "a transaction of at least this many bytes is flagged by the lag doctor", 0, NULL, 0},
    {"watch.enabled", OPT_AUTOBOOL, OFF(watch_enabled), 0, 0, 0,
     "split-brain watch: poll the candidates and previous primaries (auto = on when upstream.candidates is set or "
     "previous primaries are recorded | on | off)", RUNTIME, NULL, 0},
    {"watch.interval_ms", OPT_UINT32, OFF(watch_interval_ms), 0, 100, 3600000,
     "split-brain watch: period of its polling rounds", RUNTIME, NULL, 0},
    {"watch.connect_timeout_ms", OPT_UINT32, OFF(watch_connect_timeout_ms), 0, 100, 60000,
     "split-brain watch: connect/read timeout of each poll (rounded up to whole seconds)", RUNTIME, NULL, 0},
    {"tls.cert", OPT_STR, OFF(tls_cert), SZ(tls_cert), 0, 0,
     "PEM certificate chain offered to replicas and admins (empty = no TLS; reread on SIGHUP)", RUNTIME, NULL, 0},
    {"tls.key", OPT_STR, OFF(tls_key), SZ(tls_key), 0, 0, "PEM private key of tls.cert (unencrypted)", RUNTIME, NULL, 0},
    {"tls.ca", OPT_STR, OFF(tls_ca), SZ(tls_ca), 0, 0,
     "PEM CA bundle: clients must present a certificate it signed (empty = not asked)", RUNTIME, NULL, 0},
    {"tls.require", OPT_BOOL, OFF(tls_require), 0, 0, 1,
     "refuse plaintext logins with ERR 3159 before any password check (on | off)", RUNTIME, NULL, 0},
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", "./binlogd-data");
    snprintf(cfg->server_version, sizeof(cfg->server_version), "%s", "10.11.6-MariaDB-binlogd");
    cfg->log_level = CONFIG_LOG_INFO;
    /* One per further CPU, at most 3: the sends are kernel work that spreads over cores. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->memory_trim_after = 30;
    cfg->wake_threads = ncpu > 1 ? (uint32_t)(ncpu - 1 < 3 ? ncpu - 1 : 3) : 0;
    /* A tier below and a few latency-sensitive replicas; more would delay the ingest thread's
     * next read by a send each (park.h). */
    cfg->direct_wakes = 8;
    cfg->max_connections = 20000;       /* a fan-out server: thousands of idle replicas are normal */
    cfg->connect_timeout = 10;          /* mariadbd's connect_timeout */
    cfg->idle_timeout = 28800;          /* mariadbd's wait_timeout */
    cfg->max_allowed_packet = 1u << 20; /* binlogd's statements are short; mariadbd has 16 MiB */
    cfg->up_port = 3306;
    cfg->up_connect_timeout = 10;
    cfg->up_net_timeout = 60;
    cfg->up_retry_min_ms = 1000;
    cfg->up_retry_max_ms = 30000;
    cfg->up_failover_after = 30;
    cfg->up_max_packet = 1024ULL * 1024 * 1024;
    cfg->up_ssl_verify_server_cert = 1;   /* once TLS is on, verify it fully unless told not to */
    cfg->sync = CONFIG_SYNC_TRX;
    cfg->journal = 1;
    cfg->group_commit_max_ms = 5;
    cfg->group_commit_max_bytes = 8ULL * 1024 * 1024;
    cfg->min_files = 2;
    cfg->archive_timeout = 3600;
    cfg->archive_retry_max_ms = 60000;
    cfg->compress_block_bytes = 65536;
    cfg->compress_level = 6;
    cfg->block_cache_bytes = 64ULL << 20;
    cfg->archive_max_lag = 3600;
    cfg->restore_timeout = 600;
    cfg->restore_spool_bytes = 4ULL * 1024 * 1024 * 1024;
    cfg->restore_jobs = 2;
    cfg->metrics_replica_series = 20;
    cfg->metrics_traffic_series = 20;
    cfg->metrics_health_max_lag = 60;
    cfg->stats_enabled = 1;
    cfg->stats_max_tables = 10000;
    cfg->stats_large_trx_bytes = 64ULL * 1024 * 1024;
    cfg->watch_enabled = -1;
    cfg->watch_interval_ms = 3000;
    cfg->watch_connect_timeout_ms = 1000;
}

static int parse_u64(const char *v, uint64_t *out)
{
    if (!*v || !isdigit((unsigned char)*v)) return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end) return -1;
    *out = x;
    return 0;
}

static int set_opt(struct config *cfg, const struct opt *o, const char *v, const char *origin,
                   char *err, size_t errlen)
{
    char *base = (char *)cfg + o->offset;
    uint64_t n;
    switch (o->type) {
    case OPT_UINT32: case OPT_UINT64: case OPT_PORT:
        if (parse_u64(v, &n) == -1 || n < o->min || n > o->max)
            return fail(err, errlen, "%s: bad value '%s' for %s (an integer from %llu to %llu)", origin, v,
                        o->name, (unsigned long long)o->min, (unsigned long long)o->max);
        if (o->type == OPT_UINT32) *(uint32_t *)base = (uint32_t)n;
        else if (o->type == OPT_PORT) *(uint16_t *)base = (uint16_t)n;
        else *(uint64_t *)base = n;
        if (o->offset == OFF(server_id)) cfg->server_id_set = 1;
        return 0;
    case OPT_STR:
        if (strlen(v) >= o->size)
            return fail(err, errlen, "%s: value for %s is too long (max %zu bytes)", origin, o->name, o->size - 1);
        if (o->min && !*v) return fail(err, errlen, "%s: %s must not be empty", origin, o->name);
        memcpy(base, v, strlen(v) + 1);
        return 0;
    case OPT_HOSTPORT: {
        uint16_t *port = (uint16_t *)((char *)cfg + o->port_offset);
        if (!*v) { base[0] = 0; *port = 0; return 0; }
        const char *colon = strrchr(v, ':');
        if (!colon || colon == v || (size_t)(colon - v) >= o->size ||
            parse_u64(colon + 1, &n) == -1 || n < 1 || n > 65535)
            return fail(err, errlen, "%s: bad value '%s' for %s (expected host:port)", origin, v, o->name);
        memcpy(base, v, (size_t)(colon - v));
        base[colon - v] = 0;
        *port = (uint16_t)n;
        return 0;
    }
    case OPT_SYNC:
        if (!strcmp(v, "trx")) cfg->sync = CONFIG_SYNC_TRX;
        else if (!strcmp(v, "none")) cfg->sync = CONFIG_SYNC_NONE;
        else if (!strncmp(v, "interval:", 9) && parse_u64(v + 9, &n) == 0 && n >= 1 && n <= 60000) {
            cfg->sync = CONFIG_SYNC_INTERVAL;
            cfg->sync_interval_ms = (uint32_t)n;
        } else
            return fail(err, errlen, "%s: bad value '%s' for %s (trx | interval:MS | none)", origin, v, o->name);
        return 0;
    case OPT_BOOL:
        if (!strcasecmp(v, "on") || !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
            *(int *)base = 1;
        else if (!strcasecmp(v, "off") || !strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no"))
            *(int *)base = 0;
        else
            return fail(err, errlen, "%s: bad value '%s' for %s (on | off)", origin, v, o->name);
        return 0;
    case OPT_AUTOBOOL:
        if (!strcasecmp(v, "auto")) *(int *)base = -1;
        else if (!strcasecmp(v, "on") || !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
            *(int *)base = 1;
        else if (!strcasecmp(v, "off") || !strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no"))
            *(int *)base = 0;
        else
            return fail(err, errlen, "%s: bad value '%s' for %s (auto | on | off)", origin, v, o->name);
        return 0;
    case OPT_LOGLEVEL:
        if (!strcmp(v, "debug")) cfg->log_level = CONFIG_LOG_DEBUG;
        else if (!strcmp(v, "info")) cfg->log_level = CONFIG_LOG_INFO;
        else if (!strcmp(v, "warn")) cfg->log_level = CONFIG_LOG_WARN;
        else if (!strcmp(v, "error")) cfg->log_level = CONFIG_LOG_ERROR;
        else return fail(err, errlen, "%s: bad value '%s' for %s (debug | info | warn | error)", origin, v, o->name);
        return 0;
    }
    return fail(err, errlen, "%s: internal: option type", origin);
}

/* [user.NAME] password / role: NAME is what a client types as its user name. */
static int set_user(struct config *cfg, const char *name, size_t name_len, const char *key, const char *v,
                    const char *origin, char *err, size_t errlen)
{
    if (name_len == 0 || name_len >= sizeof(cfg->users[0].name))
        return fail(err, errlen, "%s: bad account name in user.%.*s.%s", origin, (int)name_len, name, key);
    struct config_user *u = NULL;
    for (size_t i = 0; i < cfg->n_users; i++)
        if (strlen(cfg->users[i].name) == name_len && !memcmp(cfg->users[i].name, name, name_len)) u = &cfg->users[i];
    if (!u) {
        if (cfg->n_users == CONFIG_MAX_USERS)
            return fail(err, errlen, "%s: too many accounts (max %d)", origin, CONFIG_MAX_USERS);
        u = &cfg->users[cfg->n_users++];
        memset(u, 0, sizeof(*u));
        memcpy(u->name, name, name_len);
    }
    if (!strcmp(key, "password")) {
        if (strlen(v) >= sizeof(u->password))
            return fail(err, errlen, "%s: user.%s.password is too long", origin, u->name);
        snprintf(u->password, sizeof(u->password), "%s", v);
        u->has_password = 1;
        return 0;
    }
    if (!strcmp(key, "password_file") || !strcmp(key, "password_env")) {
        int file = !strcmp(key, "password_file");
        char *dst = file ? u->password_file : u->password_env;
        size_t cap = file ? sizeof(u->password_file) : sizeof(u->password_env);
        if (strlen(v) >= cap) return fail(err, errlen, "%s: user.%s.%s is too long", origin, u->name, key);
        snprintf(dst, cap, "%s", v);
        return 0;
    }
    if (!strcmp(key, "role")) {
        if (!strcmp(v, "replica")) u->role = CONFIG_ROLE_REPLICA;
        else if (!strcmp(v, "admin")) u->role = CONFIG_ROLE_ADMIN;
        else if (!strcmp(v, "monitor")) u->role = CONFIG_ROLE_MONITOR;
        else return fail(err, errlen, "%s: bad value '%s' for user.%s.role (replica | admin | monitor)", origin, v,
                         u->name);
        return 0;
    }
    if (!strcmp(key, "require_tls")) {
        if (!strcasecmp(v, "on") || !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"))
            u->require_tls = 1;
        else if (!strcasecmp(v, "off") || !strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no"))
            u->require_tls = 0;
        else
            return fail(err, errlen, "%s: bad value '%s' for user.%s.require_tls (on | off)", origin, v, u->name);
        return 0;
    }
    return fail(err, errlen, "%s: unknown key 'user.%s.%s' (password | password_file | password_env | role | require_tls)", origin, u->name, key);
}

static int set_key(struct config *cfg, const char *key, const char *v, const char *origin, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (!strcmp(opts[i].name, key)) return set_opt(cfg, &opts[i], v, origin, err, errlen);
    if (!strncmp(key, "user.", 5)) {
        const char *name = key + 5, *dot = strrchr(name, '.');
        if (dot) return set_user(cfg, name, (size_t)(dot - name), dot + 1, v, origin, err, errlen);
    }
    return fail(err, errlen, "%s: unknown key '%s'", origin, key);
}

int config_set(struct config *cfg, const char *assignment, const char *origin, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    char key[CONFIG_STR_MAX];
    if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof(key))
        return fail(err, errlen, "%s: expected section.key=value (not echoed: it may hold a secret)", origin);
    memcpy(key, assignment, (size_t)(eq - assignment));
    key[eq - assignment] = 0;
    return set_key(cfg, key, eq + 1, origin, err, errlen);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    int rc = config_load_stream(cfg, f, path, err, errlen);
    fclose(f);
    return rc;
}

int config_load_stream(struct config *cfg, FILE *f, const char *path, char *err, size_t errlen)
{
    char line[4096], section[256] = "", origin[CONFIG_STR_MAX + 32];
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) { rc = fail(err, errlen, "%s: line too long", origin); break; }
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || close[1] || close - s - 1 >= (long)sizeof(section) || close == s + 1) {
                rc = fail(err, errlen, "%s: bad section header '%s'", origin, s);
                break;
            }
            *close = 0;
            snprintf(section, sizeof(section), "%s", trim(s + 1));
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            /* The line is not echoed: a mistyped "password: ..." must not reach the log. */
            rc = fail(err, errlen, "%s: expected key = value (the line has no '=')", origin);
            break;
        }
        *eq = 0;
        char *k = trim(s), *v = trim(eq + 1);
        size_t vl = strlen(v);
        if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
            v[vl - 1] = 0;
            v++;
        }
        if (!*section) { rc = fail(err, errlen, "%s: key '%s' outside any [section]", origin, k); break; }
        char key[CONFIG_STR_MAX];
        if ((size_t)snprintf(key, sizeof(key), "%s.%s", section, k) >= sizeof(key)) {
            rc = fail(err, errlen, "%s: key too long", origin);
            break;
        }
        rc = set_key(cfg, key, v, origin, err, errlen);
    }
    if (rc == 0 && ferror(f)) rc = fail(err, errlen, "%s: read error", path);
    return rc;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
    if (!cfg->server_id_set)
        return fail(err, errlen, "binlogd.server_id is required (a unique id, 1..4294967295, not the primary's)");
    if (cfg->up_retry_min_ms > cfg->up_retry_max_ms)
        return fail(err, errlen, "upstream.retry_min_ms (%u) must not exceed upstream.retry_max_ms (%u)",
                    cfg->up_retry_min_ms, cfg->up_retry_max_ms);
    if (cfg->up_host[0] && !cfg->up_user[0])
        return fail(err, errlen, "upstream.user is required when upstream.host is set");
    /* TLS files given with TLS off would silently mean plaintext: refuse the contradiction. */
    if (!cfg->up_ssl) {
        const char *const set = cfg->up_ssl_ca[0] ? "upstream.ssl_ca" : cfg->up_ssl_capath[0] ? "upstream.ssl_capath"
                              : cfg->up_ssl_cert[0] ? "upstream.ssl_cert" : cfg->up_ssl_key[0] ? "upstream.ssl_key"
                              : cfg->up_ssl_cipher[0] ? "upstream.ssl_cipher" : cfg->up_ssl_crl[0] ? "upstream.ssl_crl"
                              : cfg->up_ssl_crlpath[0] ? "upstream.ssl_crlpath" : NULL;
        if (set) return fail(err, errlen, "%s is set but upstream.ssl is off: set upstream.ssl = on", set);
    }
    if (!cfg->up_ssl_cert[0] != !cfg->up_ssl_key[0])
        return fail(err, errlen, "upstream.ssl_cert and upstream.ssl_key go together (one is set, the other empty)");
    /* The same placeholders as PostgreSQL's archive_command and restore_command; a typo
     * ('%P', a lone '%') is refused here rather than archiving every file to a wrong name. */
    const char *cmds[2][2] = {{"storage.archive_command", cfg->archive_command},
                              {"storage.restore_command", cfg->restore_command}};
    for (int c = 0; c < 2; c++)
        for (const char *p = cmds[c][1]; *p; p++)
            if (*p == '%') {
                if (p[1] != 'p' && p[1] != 'f' && p[1] != '%')
                    return fail(err, errlen, "%s: %s (only %%p, %%f and %%%% are known)", cmds[c][0],
                                p[1] ? "unknown placeholder" : "'%' at the end");
                p++;
            }
    /* An empty password is for health checks only: a monitor account cannot dump, kill
     * others or change anything, so logging in without a secret exposes nothing more than
     * SHOW does. */
    for (size_t i = 0; i < cfg->n_users; i++)
        if (cfg->users[i].role != CONFIG_ROLE_MONITOR && !cfg->users[i].password[0])
            return fail(err, errlen, "user.%s.password is required (only role = monitor may have an empty password)",
                        cfg->users[i].name);
    /* TLS that cannot be had is refused here, not discovered by the first client:
     * mariadbd's ER_NO_SECURE_TRANSPORTS_CONFIGURED in spirit. */
    if (!cfg->tls_cert[0] != !cfg->tls_key[0])
        return fail(err, errlen, "tls.cert and tls.key go together (one of them is empty)");
    if (cfg->tls_ca[0] && !cfg->tls_cert[0]) return fail(err, errlen, "tls.ca needs tls.cert and tls.key");
    if (cfg->tls_require && !cfg->tls_cert[0])
        return fail(err, errlen, "tls.require = on needs tls.cert and tls.key (no secure transport configured)");
    for (size_t i = 0; i < cfg->n_users; i++)
        if (cfg->users[i].require_tls && !cfg->tls_cert[0])
            return fail(err, errlen, "user.%s.require_tls = on needs tls.cert and tls.key", cfg->users[i].name);
    return 0;
}

const struct config_user *config_user_find(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_users; i++)
        if (!strcmp(cfg->users[i].name, name)) return &cfg->users[i];
    return NULL;
}

int config_hostport_next(char *list, char **save, char **host, unsigned long *port)
{
    char *tok = strtok_r(list, ", ", save);
    if (!tok) return 0;
    char *colon = strrchr(tok, ':');
    *port = colon ? strtoul(colon + 1, NULL, 10) : 3306;
    if (colon) *colon = 0;
    *host = tok;
    return 1;
}

int config_failover_list(const struct config *cfg, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s", cfg->up_candidates);
    if (n < 0 || (size_t)n >= cap) return -1;
    if (!cfg->up_candidates[0] || !cfg->up_host[0]) return 0;
    /* Listed already? Tokens as ingest reads them: "host[:port]", port 3306 by default. */
    char list[sizeof(cfg->up_candidates)], *save = NULL, *host;
    unsigned long port;
    snprintf(list, sizeof(list), "%s", cfg->up_candidates);
    for (char *l = list; config_hostport_next(l, &save, &host, &port); l = NULL)
        if (!strcmp(host, cfg->up_host) && port == cfg->up_port) return 0;
    size_t len = (size_t)n;
    int m = snprintf(out + len, cap - len, ",%s:%u", cfg->up_host, (unsigned)cfg->up_port);
    if (m < 0 || (size_t)m >= cap - len) {
        out[len] = 0;
        return -1;
    }
    return 0;
}

const char *config_sync_name(enum config_sync s)
{
    switch (s) {
    case CONFIG_SYNC_TRX: return "trx";
    case CONFIG_SYNC_INTERVAL: return "interval";
    case CONFIG_SYNC_NONE: return "none";
    }
    return "?";
}

const char *config_role_name(enum config_role r)
{
    switch (r) {
    case CONFIG_ROLE_REPLICA: return "replica";
    case CONFIG_ROLE_ADMIN: return "admin";
    case CONFIG_ROLE_MONITOR: return "monitor";
    }
    return "?";
}

static const char *loglevel_name(enum config_log_level l)
{
    static const char *n[] = {"debug", "info", "warn", "error"};
    return (unsigned)l < 4 ? n[l] : "?";
}

/* The value of option o in cfg as text an INI file would set (mask: passwords as ********). */
static void format_value(const struct config *cfg, const struct opt *o, int mask, char *buf, size_t len)
{
    const char *base = (const char *)cfg + o->offset;
    switch (o->type) {
    case OPT_UINT32: snprintf(buf, len, "%u", *(const uint32_t *)base); return;
    case OPT_UINT64: snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)base); return;
    case OPT_PORT: snprintf(buf, len, "%u", *(const uint16_t *)base); return;
    case OPT_STR:
        snprintf(buf, len, "%s", mask && o->offset == OFF(up_password) && *base ? "********" : base);
        return;
    case OPT_HOSTPORT: {
        uint16_t port = *(const uint16_t *)((const char *)cfg + o->port_offset);
        if (port) snprintf(buf, len, "%s:%u", base, port);
        else snprintf(buf, len, "%s", "");
        return;
    }
    case OPT_SYNC:
        if (cfg->sync == CONFIG_SYNC_INTERVAL) snprintf(buf, len, "interval:%u", cfg->sync_interval_ms);
        else snprintf(buf, len, "%s", config_sync_name(cfg->sync));
        return;
    case OPT_LOGLEVEL: snprintf(buf, len, "%s", loglevel_name(cfg->log_level)); return;
    case OPT_BOOL: snprintf(buf, len, "%s", *(const int *)base ? "on" : "off"); return;
    case OPT_AUTOBOOL:
        snprintf(buf, len, "%s", *(const int *)base < 0 ? "auto" : *(const int *)base ? "on" : "off");
        return;
    }
    snprintf(buf, len, "?");
}

void config_dump(const struct config *cfg, void (*emit)(void *arg, const char *line), void *arg)
{
    char line[CONFIG_STR_MAX + 128], val[CONFIG_STR_MAX + 16];
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        format_value(cfg, &opts[i], 1, val, sizeof(val));
        if (*val) snprintf(line, sizeof(line), "%s = %s", opts[i].name, val);
        else snprintf(line, sizeof(line), "%s =", opts[i].name);
        emit(arg, line);
    }
    for (size_t i = 0; i < cfg->n_users; i++) {
        if (cfg->users[i].password_file[0]) {
            snprintf(line, sizeof(line), "user.%s.password_file = %s", cfg->users[i].name, cfg->users[i].password_file);
            emit(arg, line);
        } else if (cfg->users[i].password_env[0]) {
            snprintf(line, sizeof(line), "user.%s.password_env = %s", cfg->users[i].name, cfg->users[i].password_env);
            emit(arg, line);
        } else {
            snprintf(line, sizeof(line), "user.%s.password = %s", cfg->users[i].name,
                     cfg->users[i].password[0] ? "********" : "");
            emit(arg, line);
        }
        snprintf(line, sizeof(line), "user.%s.role = %s", cfg->users[i].name, config_role_name(cfg->users[i].role));
        emit(arg, line);
        if (cfg->users[i].require_tls) {
            snprintf(line, sizeof(line), "user.%s.require_tls = on", cfg->users[i].name);
            emit(arg, line);
        }
    }
}

size_t config_option_count(void) { return sizeof(opts) / sizeof(opts[0]); }

int config_option_info(size_t i, struct config_option *out)
{
    if (i >= config_option_count()) return -1;
    struct config defaults;   /* ~40 KB of stack, for help and sample text only */
    config_defaults(&defaults);
    const struct opt *o = &opts[i];
    out->name = o->name;
    out->help = o->help;
    out->runtime = o->runtime;
    if (o->default_text) snprintf(out->default_value, sizeof(out->default_value), "%s", o->default_text);
    else format_value(&defaults, o, 0, out->default_value, sizeof(out->default_value));
    out->default_is_text = o->default_text != NULL;
    return 0;
}

static int user_equal(const struct config_user *a, const struct config_user *b)
{
    return a->role == b->role && !strcmp(a->password, b->password) && a->has_password == b->has_password &&
           a->require_tls == b->require_tls && !strcmp(a->password_file, b->password_file) &&
           !strcmp(a->password_env, b->password_env);
}

size_t config_apply_runtime(struct config *live, const struct config *next,
                            void (*report)(void *arg, const char *name, enum config_change what), void *arg)
{
    char a[CONFIG_STR_MAX + 16], b[CONFIG_STR_MAX + 16];
    size_t applied = 0;
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        const struct opt *o = &opts[i];
        format_value(live, o, 0, a, sizeof(a));
        format_value(next, o, 0, b, sizeof(b));
        if (!strcmp(a, b)) continue;
        if (!o->runtime) {
            report(arg, o->name, CONFIG_RESTART_NEEDED);
            continue;
        }
        /* Every runtime option is a plain field: copying its bytes is the whole change. */
        size_t sz = o->type == OPT_STR ? o->size : o->type == OPT_LOGLEVEL ? sizeof(live->log_level)
                  : o->type == OPT_UINT64 ? sizeof(uint64_t) : o->type == OPT_PORT ? sizeof(uint16_t)
                  : o->type == OPT_BOOL || o->type == OPT_AUTOBOOL ? sizeof(int) : sizeof(uint32_t);
        memcpy((char *)live + o->offset, (const char *)next + o->offset, sz);
        report(arg, o->name, CONFIG_APPLIED);
        applied++;
    }
    /* Accounts: the whole table is replaced; each added, changed or removed one is named. */
    char name[CONFIG_STR_MAX];
    for (size_t i = 0; i < next->n_users; i++) {
        const struct config_user *old = config_user_find(live, next->users[i].name);
        if (old && user_equal(old, &next->users[i])) continue;
        snprintf(name, sizeof(name), "user.%s%s", next->users[i].name, old ? "" : " (added)");
        report(arg, name, CONFIG_APPLIED);
        applied++;
    }
    for (size_t i = 0; i < live->n_users; i++) {
        if (config_user_find(next, live->users[i].name)) continue;
        snprintf(name, sizeof(name), "user.%s (removed)", live->users[i].name);
        report(arg, name, CONFIG_APPLIED);
        applied++;
    }
    memcpy(live->users, next->users, sizeof(live->users));
    live->n_users = next->n_users;
    return applied;
}
