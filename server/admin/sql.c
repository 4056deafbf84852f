/*
 * sql.c - see sql.h. Parses with protocol/query.c, answers from the configuration, the
 * store, the ingest status, the caller's user variables and what the caller's context
 * reports (replicas, counters, KILL).
 */
#include "server/admin/sql.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "protocol/query.h"
#include "server/admin/binlog_events.h"
#include "server/admin/binlog_archive.h"
#include "server/admin/binlog_watch.h"
#include "server/admin/gtid_pos.h"
#include "server/admin/privilege.h"
#include "server/admin/processlist.h"
#include "server/admin/purge_stmt.h"
#include "server/admin/replctl.h"
#include "server/admin/sysvar.h"
#include "server/admin/traffic_stmt.h"
#include "server/admin/uservars.h"
#include "server/log.h"
#include "server/upstream/ingest.h"
#include "storage/archive_state.h"
#include "storage/store.h"

#define MAX_ROWS 4096   /* SHOW BINARY LOGS beyond this is cut */

/* Cells of a reply; every string lives in `text`. */
struct cells {
    const char *v[QUERY_MAX_ITEMS];
    char *own[QUERY_MAX_ITEMS];        /* values too long for text (malloc'd), else NULL */
    char text[QUERY_MAX_ITEMS][256];
};

static void err_sysvar(struct stmt_result *r, const char *name, size_t len)
{
    struct myerr e;
    myerr_unknown_sysvar(&e, name, len);
    stmt_err(r, &e);
}

static void err_oom(struct stmt_result *r) { stmt_errf(r, 1037, "Out of memory"); }

static int eval(const struct stmt_ctx *c, const struct query *q, const struct qval *v, char *buf, size_t cap,
                const char **out, char **own, struct stmt_result *r);

/* MariaDB's integer value of a function argument's text: optional sign and leading digits
 * ('12abc' is 12, 'abc' is 0). -1 when negative, else 0 with *n (saturated). */
static int arg_int(const char *s, uint64_t *n)
{
    while (*s == ' ') s++;
    int neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t)(*s - '0');
    if (neg && v) return -1;
    *n = v;
    return 0;
}

/* BINLOG_GTID_POS(file, pos): NULL for a NULL argument or a pos outside 0..2^32-1, as
 * Item_func_binlog_gtid_pos; the rest is gtid_pos.h. */
static int eval_gtid_pos(const struct stmt_ctx *c, const struct query *q, const struct qval *v, const char **out,
                         char **own, struct stmt_result *r)
{
    char a[2][512];
    const char *s[2];
    *out = NULL;
    if (v->nargs != 2) {
        stmt_errf(r, 1582, "Incorrect parameter count in the call to native function '%.*s'", (int)v->len, v->s);
        return -1;
    }
    for (size_t i = 0; i < 2; i++)
        if (eval(c, q, &q->args[v->first_arg + i], a[i], sizeof(a[i]), &s[i], NULL, r) == -1) return -1;
    uint64_t pos;
    if (!s[0] || !s[1] || arg_int(s[1], &pos) == -1 || pos > UINT32_MAX) return 0;
    if (gtid_pos_compute(c, s[0], strlen(s[0]), pos, own, r) == -1) return -1;
    *out = *own;
    return 0;
}

/* Evaluate one value. 0 with *out (NULL for SQL NULL; else points at buf, or at a malloc'd
 * *own when own is given and the value needs it), or -1 with the error in r. */
static int eval(const struct stmt_ctx *c, const struct query *q, const struct qval *v, char *buf, size_t cap,
                const char **out, char **own, struct stmt_result *r)
{
    *out = buf;
    switch (v->kind) {
    case QVAL_STRING: case QVAL_NUMBER: case QVAL_WORD:
        snprintf(buf, cap, "%.*s", (int)v->len, v->s);
        return 0;
    case QVAL_NULL: case QVAL_NONE:
        *out = NULL;
        return 0;
    case QVAL_USERVAR: {
        const char *x = c->vars ? uservars_get(c->vars, v->s) : NULL;
        if (!x) { *out = NULL; return 0; }
        snprintf(buf, cap, "%s", x);
        return 0;
    }
    case QVAL_SYSVAR:
        if (query_name_eq(v->s, v->len, "binlogd_upstream_server_id")) {
            /* binlogd's own: the server_id of the upstream its session streams from, 0 while it
             * streams from nothing (connecting, backing off, stopped, no upstream). A follower
             * asks it of a sibling before failing over to it (server/upstream/tier.h): never
             * one whose own upstream is down, never one that follows the follower itself. */
            struct ingest_status ist;
            uint32_t sid = 0;
            if (c->ingest) {
                ingest_status_get(c->ingest, &ist);
                if (ist.state == INGEST_STREAMING) sid = ist.upstream_server_id;
            }
            snprintf(buf, cap, "%" PRIu32, sid);
            return 0;
        }
        if (sysvar_get(c->cfg, c->store, v->s, v->len, buf, cap) == -1) {
            err_sysvar(r, v->s, v->len);
            return -1;
        }
        return 0;
    case QVAL_FUNC:
        if (query_name_eq(v->s, v->len, "UNIX_TIMESTAMP") && v->nargs == 0) {
            snprintf(buf, cap, "%lld", (long long)time(NULL));
        } else if (query_name_eq(v->s, v->len, "VERSION") && v->nargs == 0) {
            snprintf(buf, cap, "%s", c->cfg->server_version);
        } else if (query_name_eq(v->s, v->len, "CONNECTION_ID") && v->nargs == 0) {
            snprintf(buf, cap, "%u", c->conn_id);
        } else if ((query_name_eq(v->s, v->len, "USER") || query_name_eq(v->s, v->len, "CURRENT_USER")) && v->nargs == 0) {
            if (snprintf(buf, cap, "%s@%s", c->user, c->peer_host) >= (int)cap) buf[cap - 1] = 0;  /* truncation is fine */
        } else if (query_name_eq(v->s, v->len, "BINLOG_GTID_POS")) {
            char *mine = NULL;
            if (eval_gtid_pos(c, q, v, out, &mine, r) == -1) return -1;
            if (mine && !own) {   /* the caller keeps no heap values: copy what fits */
                snprintf(buf, cap, "%s", mine);
                *out = buf;
                free(mine);
            } else if (own) {
                *own = mine;
            }
        } else if (query_name_eq(v->s, v->len, "DATABASE")) {
            *out = NULL;   /* no default database */
        } else if (query_name_eq(v->s, v->len, "NOW") && v->nargs == 0) {
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
        } else {
            stmt_errf(r, 1305, "FUNCTION %.*s does not exist", (int)v->len, v->s);
            return -1;
        }
        return 0;
    }
    return 0;
}

static void do_select(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    struct cells *cl = malloc(sizeof(*cl));
    const char *names[QUERY_MAX_ITEMS];
    if (!cl) { err_oom(r); return; }
    for (size_t i = 0; i < q->nitems; i++) {
        names[i] = query_item_name(&q->items[i]);
        cl->own[i] = NULL;
        if (eval(c, q, &q->items[i].val, cl->text[i], sizeof(cl->text[i]), &cl->v[i], &cl->own[i], r) == -1) {
            for (size_t j = 0; j <= i; j++) free(cl->own[j]);
            free(cl);
            return;
        }
    }
    if (stmt_columns(r, names, q->nitems) == 0 && !(q->has_limit && q->limit == 0)) stmt_row(r, cl->v);
    for (size_t i = 0; i < q->nitems; i++) free(cl->own[i]);
    free(cl);
}

static void do_set(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    char buf[256];
    char *big = NULL;
    for (size_t i = 0; i < q->nassign; i++) {
        const struct query_assign *a = &q->assign[i];
        if (a->kind == QA_USERVAR) {
            const char *v;
            /* User variables carry long values (@slave_connect_state); never truncate one. */
            if (!big && !(big = malloc(USERVAR_VALUE_MAX + 1))) {
                err_oom(r);
                return;
            }
            if (eval(c, q, &a->val, big, USERVAR_VALUE_MAX + 1, &v, NULL, r) == -1) goto out;
            if (!c->vars || (v && strlen(v) >= USERVAR_VALUE_MAX) ||
                uservars_set(c->vars, a->name, a->name_len, v, v ? strlen(v) : 0, v == NULL) == -1) {
                stmt_errf(r, 1105, "Too many or too long user variables");
                goto out;
            }
        } else if (a->kind == QA_SYSVAR) {
            if (a->scope == QSCOPE_GLOBAL) {
                struct myerr e;
                myerr_specific_access_denied(&e, "SUPER");
                stmt_err(r, &e);
                goto out;
            }
            if (!sysvar_settable(a->name, a->name_len) &&
                sysvar_get(c->cfg, c->store, a->name, a->name_len, buf, sizeof(buf)) == -1) {
                err_sysvar(r, a->name, a->name_len);
                goto out;
            }
        }
        /* NAMES / CHARACTER SET: we only ever send ASCII names and binary events. */
    }
    stmt_ok(r, 0);
out:
    free(big);
}

struct var_rows {
    const struct query *q;
    struct stmt_result *r;
};

static void add_var(void *arg, const char *name, const char *value)
{
    struct var_rows *v = arg;
    if (v->q->like && !query_like_match(v->q->like, v->q->like_len, name, strlen(name))) return;
    const char *cells[2] = {name, value};
    stmt_row(v->r, cells);
}

static const char *const name_value[] = {"Variable_name", "Value"};

static void do_show_variables(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    struct var_rows v = {.q = q, .r = r};
    if (stmt_columns(r, name_value, 2) == 0) sysvar_foreach(c->cfg, c->store, add_var, &v);
}

#define MAX_COUNTERS 128

static int by_name(const void *a, const void *b)
{
    return strcasecmp(((const struct stmt_counter *)a)->name, ((const struct stmt_counter *)b)->name);
}

/* The wing's counters, sorted by name as mariadbd lists them. The MariaDB names
 * (Threads_connected, Uptime, Com_select, ...) mean what they mean there; Binlogd_* are ours. */
static void do_show_status(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    struct stmt_counter k[MAX_COUNTERS + 5];
    size_t n = c->counters ? c->counters(c->up, k, MAX_COUNTERS) : 0;
    if (n > MAX_COUNTERS) n = MAX_COUNTERS;
    if (c->archive) {   /* the archive command's progress, as /metrics has it */
        struct archive_stats as;
        archive_state_stats(c->archive, &as);
        k[n++] = (struct stmt_counter){"Binlogd_archive_archived_files", as.archived_files};
        k[n++] = (struct stmt_counter){"Binlogd_archive_archived_bytes", as.archived_bytes};
        k[n++] = (struct stmt_counter){"Binlogd_archive_failures", as.failures};
        k[n++] = (struct stmt_counter){"Binlogd_archive_pending_files", as.pending_files};
        k[n++] = (struct stmt_counter){"Binlogd_archive_lag_seconds", as.lag_seconds > 0 ? (uint64_t)as.lag_seconds : 0};
    }
    qsort(k, n, sizeof(k[0]), by_name);
    if (stmt_columns(r, name_value, 2) == -1) return;
    /* The session's own TLS, text values mariadbd shows beside the counters (empty in
     * plaintext), merged in name order. */
    const char *tn[2] = {"Ssl_cipher", "Ssl_version"};
    const char *tv[2] = {c->ssl_cipher ? c->ssl_cipher : "", c->ssl_version ? c->ssl_version : ""};
    size_t t = 0;
    for (size_t i = 0; i <= n; i++) {
        while (t < 2 && (i == n || strcasecmp(tn[t], k[i].name) < 0)) {
            if (!q->like || query_like_match(q->like, q->like_len, tn[t], strlen(tn[t]))) {
                const char *cells[2] = {tn[t], tv[t]};
                stmt_row(r, cells);
            }
            t++;
        }
        if (i == n) break;
        if (q->like && !query_like_match(q->like, q->like_len, k[i].name, strlen(k[i].name))) continue;
        char v[24];
        snprintf(v, sizeof(v), "%" PRIu64, k[i].value);
        const char *cells[2] = {k[i].name, v};
        stmt_row(r, cells);
    }
}

const char *sql_com_name(int kind)
{
    switch ((enum query_kind)kind) {
    case QUERY_SELECT: return "Com_select";
    case QUERY_SET: return "Com_set_option";
    case QUERY_SHOW_VARIABLES: return "Com_show_variables";
    case QUERY_SHOW_STATUS: return "Com_show_status";
    case QUERY_SHOW_MASTER_STATUS: return "Com_show_binlog_status";   /* 10.5+: SHOW MASTER STATUS counts here */
    case QUERY_SHOW_BINARY_LOGS: return "Com_show_binlogs";
    case QUERY_SHOW_SLAVE_HOSTS: return "Com_show_slave_hosts";
    case QUERY_SHOW_SLAVE_STATUS: return "Com_show_slave_status";
    case QUERY_SHOW_WARNINGS: return "Com_show_warnings";
    case QUERY_SHOW_PROCESSLIST: return "Com_show_processlist";
    case QUERY_SHOW_BINLOG_EVENTS: return "Com_show_binlog_events";
    case QUERY_SHOW_BINLOG_STATISTICS: return "Com_show_binlog_statistics";   /* binlogd's own */
    case QUERY_SHOW_BINLOG_TOP_TRX: return "Com_show_binlog_top_transactions";
    case QUERY_SHOW_BINLOG_LAG_DOCTOR: return "Com_show_binlog_lag_doctor";
    case QUERY_SHOW_BINLOG_WATCH: return "Com_show_binlog_watch";   /* binlogd's own statement */
    case QUERY_SHOW_BINLOG_ARCHIVE: return "Com_show_binlog_archive";   /* binlogd's own statement */
    case QUERY_KILL: return "Com_kill";
    case QUERY_START_SLAVE: return "Com_start_slave";
    case QUERY_STOP_SLAVE: return "Com_stop_slave";
    case QUERY_CHANGE_MASTER: return "Com_change_master";
    case QUERY_PURGE_BINARY_LOGS: return "Com_purge";
    case QUERY_FLUSH: return "Com_flush";
    case QUERY_UNKNOWN: case QUERY_EMPTY: return NULL;
    }
    return NULL;
}

static void do_show_master_status(const struct stmt_ctx *c, struct stmt_result *r)
{
    static const char *const names[] = {"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"};
    struct store_watermark wm;
    store_watermark_get(c->store, &wm);
    char pos[24];
    snprintf(pos, sizeof(pos), "%" PRIu64, wm.offset);
    const char *cells[] = {wm.file, pos, "", ""};
    if (stmt_columns(r, names, 4) == 0 && wm.file[0]) stmt_row(r, cells);
}

static void do_show_binary_logs(const struct stmt_ctx *c, struct stmt_result *r)
{
    static const char *const names[] = {"Log_name", "File_size"};
    size_t n = store_files(c->store, NULL, 0);
    if (n > MAX_ROWS) n = MAX_ROWS;
    struct store_file_info *fi = calloc(n ? n : 1, sizeof(*fi));
    if (!fi) { err_oom(r); return; }
    size_t total = store_files(c->store, fi, n);
    if (total < n) n = total;
    if (stmt_columns(r, names, 2) == 0)
        for (size_t i = 0; i < n; i++) {
            char size[24];
            snprintf(size, sizeof(size), "%" PRIu64, fi[i].size);
            const char *cells[2] = {fi[i].name, size};
            if (stmt_row(r, cells) == -1) break;
        }
    free(fi);
}

static void do_show_slave_hosts(const struct stmt_ctx *c, struct stmt_result *r)
{
    static const char *const names[] = {"Server_id", "Host", "Port", "Master_id"};
    if (stmt_columns(r, names, 4) == -1) return;
    size_t n = c->replicas ? c->replicas(c->up, NULL, 0) : 0;
    if (!n) return;
    struct stmt_replica *rep = calloc(n, sizeof(*rep));
    if (!rep) { err_oom(r); return; }
    size_t got = c->replicas(c->up, rep, n);
    if (got < n) n = got;
    for (size_t i = 0; i < n; i++) {
        char sid[16], port[8], mid[16];
        snprintf(sid, sizeof(sid), "%u", rep[i].server_id);
        snprintf(port, sizeof(port), "%u", rep[i].port);
        snprintf(mid, sizeof(mid), "%u", c->cfg->server_id);
        const char *cells[4] = {sid, rep[i].host, port, mid};
        if (stmt_row(r, cells) == -1) break;
    }
    free(rep);
}

static void do_kill(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    enum stmt_kill_outcome k = STMT_KILL_NOT_FOUND;
    if (q->id <= UINT32_MAX && c->kill) k = c->kill(c->up, (uint32_t)q->id, c);
    switch (k) {
    case STMT_KILL_NOT_FOUND: {
        struct myerr e;
        myerr_no_such_thread(&e, (unsigned long)q->id);   /* as mysqld: others' threads are invisible */
        stmt_err(r, &e);
        return;
    }
    case STMT_KILL_DONE:
        stmt_ok(r, 0);
        return;
    case STMT_KILL_SELF:
        stmt_errf(r, 1927, "Connection was killed");
        r->close_after = 1;
        return;
    }
}

/* FLUSH's options as written (q->rest), one flag per kind we act on. */
enum { FLUSH_REOPEN_LOG = 1, FLUSH_BINARY_LOGS = 2 };

static int flush_kinds(const char *rest, size_t len)
{
    int kinds = 0;
    size_t i = 0;
    while (i < len) {   /* one comma-separated option per round: "ERROR LOGS", "LOGS", ... */
        char words[3][24] = {{0}};
        size_t nw = 0;
        int depth = 0;
        while (i < len && (depth || rest[i] != ',')) {
            if (rest[i] == '(') depth++;
            else if (rest[i] == ')' && depth) depth--;
            if (!depth && (isalpha((unsigned char)rest[i]) || rest[i] == '_')) {
                size_t n = 0;
                char w[24];
                while (i < len && (isalnum((unsigned char)rest[i]) || rest[i] == '_')) {
                    if (n + 1 < sizeof(w)) w[n++] = (char)toupper((unsigned char)rest[i]);
                    i++;
                }
                w[n] = 0;
                if (nw == 0 && (!strcmp(w, "NO_WRITE_TO_BINLOG") || !strcmp(w, "LOCAL"))) continue;
                if (nw < 3) memcpy(words[nw++], w, sizeof(w));
                continue;
            }
            i++;
        }
        i++;   /* the comma */
        if (nw == 1 && !strcmp(words[0], "LOGS")) kinds |= FLUSH_REOPEN_LOG;
        else if (nw >= 2 && !strcmp(words[0], "ERROR") && !strcmp(words[1], "LOGS")) kinds |= FLUSH_REOPEN_LOG;
        else if (nw >= 2 && !strcmp(words[0], "BINARY") && !strcmp(words[1], "LOGS")) kinds |= FLUSH_BINARY_LOGS;
    }
    return kinds;
}

/* FLUSH LOGS / FLUSH ERROR LOGS reopen binlogd's log file (logrotate). FLUSH BINARY LOGS is
 * refused with 1235: the binary logs are the primary's, binlogd mirrors them byte for byte and
 * cannot start a new one; a script that rotates them must learn that it did not happen here
 * (FLUSH LOGS, which on a primary also rotates them, only reopens the log). The rest (TABLES,
 * PRIVILEGES, STATUS, RELAY/ENGINE/SLOW/GENERAL LOGS, ...) has nothing to act on: OK, as
 * before. Acting on logs needs mysqld's RELOAD privilege: the admin role. */
static void do_flush(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    int kinds = flush_kinds(q->rest, q->rest_len);
    if (!kinds) {
        stmt_ok(r, 0);
        return;
    }
    if (!c->is_admin) {
        struct myerr e;
        myerr_specific_access_denied(&e, "RELOAD");
        stmt_err(r, &e);
        return;
    }
    if (kinds & FLUSH_BINARY_LOGS) {
        struct myerr e;
        myerr_not_supported_yet(&e, "FLUSH BINARY LOGS on binlogd (the binary logs are the primary's: run it there)");
        stmt_err(r, &e);
        return;
    }
    char err[512];
    if (log_reopen(err, sizeof(err)) == -1) {
        log_error("sql", "FLUSH LOGS by connection %u: %s", c->conn_id, err);
        stmt_errf(r, 1105, "FLUSH LOGS: %s", err);
        return;
    }
    log_info("sql", "FLUSH LOGS by connection %u (%s): log reopened", c->conn_id, c->user);
    stmt_ok(r, 0);
}

static enum config_role ctx_role(const struct stmt_ctx *c)
{
    return c->is_admin ? CONFIG_ROLE_ADMIN : c->is_monitor ? CONFIG_ROLE_MONITOR : CONFIG_ROLE_REPLICA;
}

void sql_execute(const struct stmt_ctx *c, const char *sql, size_t len, struct stmt_result *r)
{
    stmt_result_init(r);
    struct query *q = query_new();
    if (!q) { err_oom(r); return; }
    enum query_kind kind = query_parse(q, sql, len);
    struct myerr deny;
    /* Every statement kind is checked against the role first (privilege.c's table). */
    if (!privilege_query_allowed(kind, ctx_role(c), &deny)) {
        stmt_err(r, &deny);
        r->com = (int)kind;
        query_free(q);
        return;
    }
    switch (kind) {
    case QUERY_SELECT: do_select(c, q, r); break;
    case QUERY_SET: do_set(c, q, r); break;
    case QUERY_SHOW_VARIABLES: do_show_variables(c, q, r); break;
    case QUERY_SHOW_STATUS: do_show_status(c, q, r); break;
    case QUERY_SHOW_MASTER_STATUS: do_show_master_status(c, r); break;
    case QUERY_SHOW_BINARY_LOGS: do_show_binary_logs(c, r); break;
    case QUERY_SHOW_SLAVE_HOSTS: do_show_slave_hosts(c, r); break;
    case QUERY_SHOW_SLAVE_STATUS: replctl_show_slave_status(c, r); break;
    case QUERY_SHOW_WARNINGS: purge_stmt_show_warnings(c, r); break;
    case QUERY_KILL: do_kill(c, q, r); break;
    case QUERY_START_SLAVE: replctl_start_slave(c, q, r); break;
    case QUERY_STOP_SLAVE: replctl_stop_slave(c, q, r); break;
    case QUERY_CHANGE_MASTER: replctl_change_master(c, q, r); break;
    case QUERY_PURGE_BINARY_LOGS: purge_stmt_run(c, q, r); break;
    case QUERY_SHOW_PROCESSLIST: processlist_show(c, q->full, sql, len, r); break;
    case QUERY_FLUSH: do_flush(c, q, r); break;
    case QUERY_SHOW_BINLOG_EVENTS:
        binlog_events_show(c, q, r, BINLOG_EVENTS_MAX_ROWS, BINLOG_EVENTS_MAX_BYTES);
        break;
    case QUERY_SHOW_BINLOG_STATISTICS: traffic_stmt_statistics(c, q, r); break;
    case QUERY_SHOW_BINLOG_TOP_TRX: traffic_stmt_top(c, q, r); break;
    case QUERY_SHOW_BINLOG_LAG_DOCTOR: traffic_stmt_doctor(c, r); break;
    case QUERY_SHOW_BINLOG_WATCH: binlog_watch_show(c, r); break;
    case QUERY_SHOW_BINLOG_ARCHIVE: binlog_archive_show(c, r); break;
    case QUERY_EMPTY: stmt_errf(r, 1065, "Query was empty"); break;
    case QUERY_UNKNOWN: {
        struct myerr e;
        size_t at = q->error_pos < len ? q->error_pos : len;
        myerr_parse(&e, sql + at, len - at, q->error_line ? q->error_line : 1);
        stmt_err(r, &e);
        break;
    }
    }
    r->com = (int)q->kind;
    query_free(q);
}
