/*
 * ingest_zombie.c - before asking a primary for a new dump, end binlogd's previous dump
 * connection to it if the primary still runs it ("zombie").
 *
 * Why the primary does not do it by itself at once (MariaDB 10.11 source):
 * - A new COM_BINLOG_DUMP with a non-zero server_id calls kill_zombie_dump_threads()
 *   (sql/sql_repl.cc), which finds the older dump thread with the same server_id and calls
 *   THD::awake_no_mutex(KILL_SLAVE_SAME_ID) on it.
 * - THD::awake_no_mutex() (sql/sql_class.cc) sets the killed flag, but shuts the victim's
 *   socket down (vio_shutdown(active_vio, SHUT_RDWR)) and fires its alarm only when the
 *   state is >= KILL_CONNECTION. enum killed_state (sql/sql_class.h) has
 *   KILL_SLAVE_SAME_ID = 10 < KILL_CONNECTION = 12: the flag is set and condition waits are
 *   woken, nothing more.
 * - An idle dump thread (waiting for the binlog to grow) sees the flag at once. A dump
 *   thread blocked in my_net_write() on a socket that never drains (the path went silent:
 *   no FIN, no RST, the peer's window stays shut) looks at the flag only after the write
 *   returns, i.e. after net_write_timeout (60 s by default). The 10.11 server also makes the
 *   new dump wait in kill_zombie_dump_threads() until the old thread is gone, so the new
 *   session stays silent for that minute (observed: State "starting").
 *
 * What binlogd does: it remembers the connection id (the handshake's thread id, the
 * processlist ID) and the start of each dump it asks for. On the next session to the same
 * host:port, before COM_BINLOG_DUMP, it looks for that id in SHOW PROCESSLIST as a dump
 * of the same account that is at least as old as ours (after a primary restart an
 * id can be reused by someone else's connection: that one is left alone), and sends
 * KILL CONNECTION <id>. KILL CONNECTION reaches THD::awake_no_mutex() with KILL_CONNECTION:
 * the old thread's socket is shut down, its blocked write returns at once, the thread ends.
 * A user may kill its own connections (no extra privilege); a refusal (1095) or a thread
 * already gone (1094) is logged and the session goes on as before.
 *
 * Thread: the ingest thread only (the fields it uses in struct ingest are its own).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>

#include "server/log.h"
#include "server/upstream/ingest_priv.h"

#define TAG "ingest"
#define ER_NO_SUCH_THREAD 1094
#define ER_KILL_DENIED_ERROR 1095

void ingest_zombie_note(struct ingest *in, MYSQL *m, const struct upstream_conf *up)
{
    in->dump_conn_id = mysql_thread_id(m);
    in->dump_started_ms = ingest_now_ms();
    snprintf(in->dump_conn_of, sizeof(in->dump_conn_of), "%.255s:%u", up->host, up->port);
}

/* SHOW PROCESSLIST on m: the Time of connection id if it is a dump ("Binlog Dump...") of
 * user, else -1. Columns are found by name. 0, or the server's error number (-1 if none). */
static int processlist_dump_age(MYSQL *m, uint64_t id, const char *user, long long *age)
{
    *age = -1;
    static const char q[] = "SHOW PROCESSLIST";
    if (mysql_real_query(m, q, sizeof(q) - 1)) return mysql_errno(m) ? (int)mysql_errno(m) : -1;
    MYSQL_RES *res = mysql_store_result(m);
    if (!res) return mysql_errno(m) ? (int)mysql_errno(m) : -1;
    int c_id = -1, c_user = -1, c_cmd = -1, c_time = -1;
    unsigned nf = mysql_num_fields(res);
    MYSQL_FIELD *f = mysql_fetch_fields(res);
    for (unsigned i = 0; i < nf; i++) {
        if (!strcasecmp(f[i].name, "Id")) c_id = (int)i;
        else if (!strcasecmp(f[i].name, "User")) c_user = (int)i;
        else if (!strcasecmp(f[i].name, "Command")) c_cmd = (int)i;
        else if (!strcasecmp(f[i].name, "Time")) c_time = (int)i;
    }
    MYSQL_ROW row;
    while (c_id >= 0 && c_user >= 0 && c_cmd >= 0 && c_time >= 0 && (row = mysql_fetch_row(res))) {
        if (!row[c_id] || strtoull(row[c_id], NULL, 10) != id) continue;
        if (row[c_user] && !strcmp(row[c_user], user) && row[c_cmd] && !strncmp(row[c_cmd], "Binlog Dump", 11) &&
            row[c_time])
            *age = strtoll(row[c_time], NULL, 10);
        break;
    }
    mysql_free_result(res);
    return 0;
}

void ingest_zombie_end(struct ingest *in, MYSQL *m, const struct upstream_conf *up)
{
    char who[sizeof(in->dump_conn_of)];
    snprintf(who, sizeof(who), "%.255s:%u", up->host, up->port);
    uint64_t id = in->dump_conn_id;
    uint64_t age_s = (ingest_now_ms() - in->dump_started_ms) / 1000;
    int same = id && !strcmp(who, in->dump_conn_of);
    in->dump_conn_id = 0;   /* one attempt per previous dump */
    if (!same || id == mysql_thread_id(m)) return;

    /* Ours and still there? A dump, same account, started no later than ours (Time counts
     * from the start of the dump command; 2 s of slack for rounding and the round trip).
     * SHOW PROCESSLIST, not information_schema: a binlogd upstream answers only the former. */
    char sql[64];
    long long t = -1;
    int e = processlist_dump_age(m, id, up->user, &t);
    if (e) {
        log_warn(TAG, "upstream %s: cannot look for binlogd's previous dump (connection %" PRIu64 "): %s; the "
                 "primary ends it by itself (net_write_timeout)", who, id, mysql_error(m));
        return;
    }
    if (t < 0) return;   /* gone already: the usual case after a clean disconnect */
    if ((uint64_t)t + 2 < age_s) {
        log_info(TAG, "upstream %s: connection %" PRIu64 " is a dump younger than binlogd's previous one (%lld s "
                 "< %" PRIu64 " s; the primary restarted?): left alone", who, id, t, age_s);
        return;
    }
    snprintf(sql, sizeof(sql), "KILL CONNECTION %" PRIu64, id);
    uint64_t t0 = ingest_now_ms();
    e = ingest_query_value(m, sql, NULL, 0, NULL);
    if (e == 0)
        log_info(TAG, "upstream %s: ended binlogd's previous dump, connection %" PRIu64 " (%lld s old, %" PRIu64
                 " ms), so the new dump does not wait for the primary's net_write_timeout", who, id, t,
                 ingest_now_ms() - t0);
    else if (e == ER_NO_SUCH_THREAD)
        log_info(TAG, "upstream %s: binlogd's previous dump (connection %" PRIu64 ") ended meanwhile", who, id);
    else
        log_warn(TAG, "upstream %s: KILL CONNECTION %" PRIu64 " (binlogd's previous dump) failed: %s%s; the primary "
                 "ends it by itself (net_write_timeout)", who, id, mysql_error(m),
                 e == ER_KILL_DENIED_ERROR ? " (the account may not end it)" : "");
}
