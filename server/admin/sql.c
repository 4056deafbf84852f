/*
 * sql.c - see sql.h. Parses with protocol/query.c, answers from the configuration, the
 * store, the ingest status and the session's own variables.
 */
#include "server/admin/sql.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/query.h"
#include "server/admin/replctl.h"
#include "server/upstream/ingest.h"
#include "server/replicas/listener.h"
#include "server/replicas/session_priv.h"
#include "server/admin/sysvar.h"

#define MAX_ROWS 4096   /* SHOW BINARY LOGS beyond this is cut (and says so in the log) */

/* Cells of a reply; every string lives in `text`. */
struct cells {
    const char *v[QUERY_MAX_ITEMS];
    char text[QUERY_MAX_ITEMS][256];
};

static int is_admin(const struct session *s) { return s->acct && s->acct->role == CONFIG_ROLE_ADMIN; }

static void err_sysvar(struct session *s, const char *name, size_t len)
{
    struct myerr e;
    myerr_unknown_sysvar(&e, name, len);
    session_send_myerr(s, &e);
}

/* Evaluate one value. 0 with *out (NULL for SQL NULL; else points at buf), or -1 after an
 * ERR has been sent. */
static int eval(struct session *s, const struct qval *v, char *buf, size_t cap, const char **out)
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
        const char *x = session_var_get(s, v->s);
        if (!x) { *out = NULL; return 0; }
        snprintf(buf, cap, "%s", x);
        return 0;
    }
    case QVAL_SYSVAR:
        if (sysvar_get(s->srv, v->s, v->len, buf, cap) == -1) {
            err_sysvar(s, v->s, v->len);
            return -1;
        }
        return 0;
    case QVAL_FUNC:
        if (query_name_eq(v->s, v->len, "UNIX_TIMESTAMP") && v->nargs == 0) {
            snprintf(buf, cap, "%lld", (long long)time(NULL));
        } else if (query_name_eq(v->s, v->len, "VERSION") && v->nargs == 0) {
            snprintf(buf, cap, "%s", listener_config(s->srv)->server_version);
        } else if (query_name_eq(v->s, v->len, "CONNECTION_ID") && v->nargs == 0) {
            snprintf(buf, cap, "%u", s->id);
        } else if ((query_name_eq(v->s, v->len, "USER") || query_name_eq(v->s, v->len, "CURRENT_USER")) && v->nargs == 0) {
            if (snprintf(buf, cap, "%s@%s", s->user, s->peer_host) >= (int)cap) buf[cap - 1] = 0;  /* truncation is fine */
        } else if (query_name_eq(v->s, v->len, "DATABASE") || query_name_eq(v->s, v->len, "BINLOG_GTID_POS")) {
            /* No default database; GTID positions are not indexed yet: NULL, which a MariaDB
             * replica in file/position mode treats as "no GTID known". */
            *out = NULL;
        } else if (query_name_eq(v->s, v->len, "NOW") && v->nargs == 0) {
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
        } else {
            struct myerr e;
            myerr_custom(&e, 1305, "FUNCTION %.*s does not exist", (int)v->len, v->s);
            session_send_myerr(s, &e);
            return -1;
        }
        return 0;
    }
    return 0;
}

static void do_select(struct session *s, const struct query *q)
{
    struct cells *c = malloc(sizeof(*c));
    const char *names[QUERY_MAX_ITEMS];
    if (!c) { session_send_err(s, 1037, "Out of memory"); return; }
    for (size_t i = 0; i < q->nitems; i++) {
        names[i] = query_item_name(&q->items[i]);
        if (eval(s, &q->items[i].val, c->text[i], sizeof(c->text[i]), &c->v[i]) == -1) { free(c); return; }
    }
    size_t rows = q->has_limit && q->limit == 0 ? 0 : 1;
    session_send_rows(s, names, q->nitems, c->v, rows);
    free(c);
}

static void do_set(struct session *s, const struct query *q)
{
    char buf[256];
    char *big = NULL;
    for (size_t i = 0; i < q->nassign; i++) {
        const struct query_assign *a = &q->assign[i];
        if (a->kind == QA_USERVAR) {
            const char *v;
            /* User variables carry long values (@slave_connect_state); never truncate one. */
            if (!big && !(big = malloc(SESSION_VAR_MAX + 1))) {
                session_send_err(s, 1037, "Out of memory");
                return;
            }
            if (eval(s, &a->val, big, SESSION_VAR_MAX + 1, &v) == -1) goto out;
            if ((v && strlen(v) >= SESSION_VAR_MAX) ||
                session_var_set(s, a->name, a->name_len, v, v ? strlen(v) : 0, v == NULL) == -1) {
                session_send_err(s, 1105, "Too many or too long user variables");
                goto out;
            }
        } else if (a->kind == QA_SYSVAR) {
            if (a->scope == QSCOPE_GLOBAL) {
                struct myerr e;
                myerr_specific_access_denied(&e, "SUPER");
                session_send_myerr(s, &e);
                goto out;
            }
            if (!sysvar_settable(a->name, a->name_len) && sysvar_get(s->srv, a->name, a->name_len, buf, sizeof(buf)) == -1) {
                err_sysvar(s, a->name, a->name_len);
                goto out;
            }
        }
        /* NAMES / CHARACTER SET: we only ever send ASCII names and binary events. */
    }
    session_send_ok(s);
out:
    free(big);
}

struct var_rows {
    const struct query *q;
    const char **cells;
    char (*text)[2][256];
    size_t n, cap;
};

static void add_var(void *arg, const char *name, const char *value)
{
    struct var_rows *r = arg;
    if (r->q->like && !query_like_match(r->q->like, r->q->like_len, name, strlen(name))) return;
    if (r->n == r->cap) return;
    snprintf(r->text[r->n][0], 256, "%s", name);
    snprintf(r->text[r->n][1], 256, "%s", value);
    r->cells[2 * r->n] = r->text[r->n][0];
    r->cells[2 * r->n + 1] = r->text[r->n][1];
    r->n++;
}

static void do_show_variables(struct session *s, const struct query *q)
{
    static const char *names[] = {"Variable_name", "Value"};
    struct var_rows r = {.q = q, .cap = 128};
    r.cells = calloc(2 * r.cap, sizeof(*r.cells));
    r.text = calloc(r.cap, sizeof(*r.text));
    if (!r.cells || !r.text) session_send_err(s, 1037, "Out of memory");
    else {
        sysvar_foreach(s->srv, add_var, &r);
        session_send_rows(s, names, 2, r.cells, r.n);
    }
    free(r.cells);
    free(r.text);
}

static void do_show_status(struct session *s, const struct query *q)
{
    static const char *names[] = {"Variable_name", "Value"};
    struct listener_stats st;
    listener_stats_get(s->srv, &st);
    char v[12][32];
    const char *k[12] = {"Threads_connected", "Binlogd_connections_total", "Binlogd_dumps", "Binlogd_events_sent",
                         "Binlogd_bytes_sent", "Binlogd_auth_failures", "Binlogd_semi_sync_acks", "Binlogd_wakeups",
                         "Binlogd_wakeups_parallel", "Binlogd_wake_threads", "Binlogd_stream_rounds",
                         "Binlogd_stream_rounds_parallel"};
    uint64_t val[12] = {st.connections_now, st.connections_total, st.dumps_now, st.events_sent, st.bytes_sent,
                        st.auth_failures, st.semi_sync_acks, st.wakeups, st.wakeups_parallel, st.wake_threads,
                        st.stream_rounds, st.stream_rounds_parallel};
    const char *cells[24];
    size_t n = 0;
    for (size_t i = 0; i < 12; i++) {
        if (q->like && !query_like_match(q->like, q->like_len, k[i], strlen(k[i]))) continue;
        snprintf(v[i], sizeof(v[i]), "%" PRIu64, val[i]);
        cells[2 * n] = k[i];
        cells[2 * n + 1] = v[i];
        n++;
    }
    session_send_rows(s, names, 2, cells, n);
}

static void do_show_master_status(struct session *s)
{
    static const char *names[] = {"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"};
    struct store_watermark wm;
    store_watermark_get(listener_store(s->srv), &wm);
    char pos[24];
    snprintf(pos, sizeof(pos), "%" PRIu64, wm.offset);
    const char *cells[] = {wm.file, pos, "", ""};
    session_send_rows(s, names, 4, cells, wm.file[0] ? 1 : 0);
}

static void do_show_binary_logs(struct session *s)
{
    static const char *names[] = {"Log_name", "File_size"};
    struct store *st = listener_store(s->srv);
    size_t n = store_files(st, NULL, 0);
    if (n > MAX_ROWS) n = MAX_ROWS;
    struct store_file_info *fi = calloc(n ? n : 1, sizeof(*fi));
    const char **cells = calloc(2 * (n ? n : 1), sizeof(*cells));
    char (*sizes)[24] = calloc(n ? n : 1, sizeof(*sizes));
    if (!fi || !cells || !sizes) {
        session_send_err(s, 1037, "Out of memory");
    } else {
        size_t total = store_files(st, fi, n);
        if (total < n) n = total;
        for (size_t i = 0; i < n; i++) {
            snprintf(sizes[i], sizeof(sizes[i]), "%" PRIu64, fi[i].size);
            cells[2 * i] = fi[i].name;
            cells[2 * i + 1] = sizes[i];
        }
        session_send_rows(s, names, 2, cells, n);
    }
    free(fi);
    free(cells);
    free(sizes);
}

struct host_rows {
    const char *cells[5 * 64];
    char text[64][4][24];
    char host[64][256];
    size_t n;
    uint32_t master_id;
};

static void add_host(struct session *x, void *arg)
{
    struct host_rows *r = arg;
    struct session_replica_info ri;
    session_replica_info(x, &ri);
    if (!ri.registered || r->n == 64) return;
    snprintf(r->text[r->n][0], 24, "%u", ri.server_id);
    snprintf(r->host[r->n], 256, "%s", ri.host);
    snprintf(r->text[r->n][1], 24, "%u", ri.port);
    snprintf(r->text[r->n][2], 24, "%u", r->master_id);
    const char **c = &r->cells[4 * r->n];
    c[0] = r->text[r->n][0];
    c[1] = r->host[r->n];
    c[2] = r->text[r->n][1];
    c[3] = r->text[r->n][2];
    r->n++;
}

static void do_show_slave_hosts(struct session *s)
{
    static const char *names[] = {"Server_id", "Host", "Port", "Master_id"};
    struct host_rows *r = calloc(1, sizeof(*r));
    if (!r) { session_send_err(s, 1037, "Out of memory"); return; }
    r->master_id = listener_config(s->srv)->server_id;
    listener_foreach_session(s->srv, add_host, r);
    session_send_rows(s, names, 4, r->cells, r->n);
    free(r);
}

static void do_kill(struct session *s, const struct query *q)
{
    struct session *t = q->id <= UINT32_MAX ? listener_find_session(s->srv, (uint32_t)q->id) : NULL;
    if (!t) {
        struct myerr e;
        myerr_no_such_thread(&e, (unsigned long)q->id);
        session_send_myerr(s, &e);
        return;
    }
    if (!is_admin(s) && strcmp(t->user, s->user)) {
        struct myerr e;
        myerr_no_such_thread(&e, (unsigned long)q->id);   /* as mysqld: others' threads are invisible */
        session_send_myerr(s, &e);
        return;
    }
    if (t != s) {
        session_send_ok(s);
        session_kill(t, 1927, "Connection was killed");
    } else {
        session_kill(s, 1927, "Connection was killed");
    }
}

static void not_yet(struct session *s, const char *what)
{
    if (!is_admin(s)) {
        struct myerr e;
        myerr_specific_access_denied(&e, "SUPER, REPLICATION SLAVE ADMIN");
        session_send_myerr(s, &e);
        return;
    }
    struct myerr e;
    myerr_not_supported_yet(&e, what);
    session_send_myerr(s, &e);
}

void sql_execute(struct session *s, const char *sql, size_t len)
{
    struct query *q = query_new();
    if (!q) { session_send_err(s, 1037, "Out of memory"); return; }
    switch (query_parse(q, sql, len)) {
    case QUERY_SELECT: do_select(s, q); break;
    case QUERY_SET: do_set(s, q); break;
    case QUERY_SHOW_VARIABLES: do_show_variables(s, q); break;
    case QUERY_SHOW_STATUS: do_show_status(s, q); break;
    case QUERY_SHOW_MASTER_STATUS: do_show_master_status(s); break;
    case QUERY_SHOW_BINARY_LOGS: do_show_binary_logs(s); break;
    case QUERY_SHOW_SLAVE_HOSTS: do_show_slave_hosts(s); break;
    case QUERY_SHOW_SLAVE_STATUS: admin_show_slave_status(s); break;
    case QUERY_SHOW_WARNINGS: {
        static const char *names[] = {"Level", "Code", "Message"};
        session_send_rows(s, names, 3, NULL, 0);
        break;
    }
    case QUERY_KILL: do_kill(s, q); break;
    case QUERY_START_SLAVE: admin_start_slave(s, q); break;
    case QUERY_STOP_SLAVE: admin_stop_slave(s, q); break;
    case QUERY_CHANGE_MASTER: admin_change_master(s, q); break;
    case QUERY_PURGE_BINARY_LOGS: not_yet(s, "PURGE BINARY LOGS on binlogd"); break;
    case QUERY_FLUSH: session_send_ok(s); break;
    case QUERY_EMPTY: session_send_err(s, 1065, "Query was empty"); break;
    case QUERY_UNKNOWN: {
        struct myerr e;
        size_t at = q->error_pos < len ? q->error_pos : len;
        myerr_parse(&e, sql + at, len - at, q->error_line ? q->error_line : 1);
        session_send_myerr(s, &e);
        break;
    }
    }
    query_free(q);
}
