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
 * processlist ID), the account and the start of each dump it asks for, in memory and in the
 * data directory (zombie_state.h, ZOMBIE_STATE_FILE), so a binlogd that was restarted while
 * its old dump hung on the primary (kill -9, crash, upgrade) knows it too. On the next
 * session to the same host:port with the same account, before COM_BINLOG_DUMP, it looks for
 * that id in SHOW PROCESSLIST as a dump of the same account that is at least as old as ours,
 * and sends KILL CONNECTION <id>. KILL CONNECTION reaches THD::awake_no_mutex() with
 * KILL_CONNECTION: the old thread's socket is shut down, its blocked write returns at once,
 * the thread ends. A user may kill its own connections (no extra privilege); a refusal
 * (1095) or a thread already gone (1094) is logged and the session goes on as before.
 *
 * Never someone else's connection. A primary gives every live connection its own id, so a
 * row with our id that has been a dump of our account since no later than our dump began
 * was alive when ours was, and is ours. Ids are reused only across a restart of the primary,
 * and every connection of the restarted primary began after it, i.e. after our dump began
 * on the old instance: younger than ours, it is left alone. "Our age" is therefore the heart
 * of the guard, and after a restart of binlogd it comes from the file:
 * - same boot of binlogd's host (boot_id unchanged): CLOCK_BOOTTIME now minus then, exact
 *   across the restart and not moved by wall clock steps (NTP), suspend included like the
 *   primary's clock;
 * - after a reboot only the wall clock can date it. A clock stepped forward makes our dump
 *   look older: a real zombie may be left alone (the primary ends it after net_write_timeout,
 *   the old minute). A clock stepped back makes it look younger, which loosens the guard by
 *   the step; a start in the future makes the age unknown and nothing is ended.
 * Time (processlist) counts from the start of the dump command on the primary; both sides
 * measure durations, so the clocks' offset does not matter. 2 s of slack cover rounding and
 * the round trip. The remaining risk is the one without the file: a primary that restarted
 * within those 2 s after our dump began and gave our id to another dump of our account.
 * A file from a clean stop is harmless: the old dump ended with its connection, the id is
 * not found, or found on a younger connection and left alone.
 *
 * Thread: the ingest thread only (the fields it uses in struct ingest are its own).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mysql.h>

#include "server/log.h"
#include "server/upstream/ingest_priv.h"
#include "server/upstream/zombie_state.h"
#include "storage/store.h"

#define TAG "ingest"
#define ER_NO_SUCH_THREAD 1094
#define ER_KILL_DENIED_ERROR 1095

static int64_t unix_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ingest_zombie_load(struct ingest *in)
{
    char err[256];
    zombie_boot_id(in->boot_id, sizeof(in->boot_id));
    int rc = zombie_state_load(store_dir_fd(in->store), &in->zs, err, sizeof(err));
    if (rc == 1) {
        log_debug(TAG, "%s: none (no previous dump to end on the primary)", ZOMBIE_STATE_FILE);
    } else if (rc == -1) {
        log_info(TAG, "%s ignored: %s (binlogd will not end a dump left by its previous run; the primary ends it "
                 "by itself at its net_write_timeout)", ZOMBIE_STATE_FILE, err);
    } else {
        in->zs_from_file = 1;
        log_debug(TAG, "%s: previous dump was connection %" PRIu64 " on %s:%u", ZOMBIE_STATE_FILE, in->zs.conn_id,
                  in->zs.host, in->zs.port);
    }
}

void ingest_zombie_note(struct ingest *in, MYSQL *m, const struct upstream_conf *up)
{
    struct zombie_state *z = &in->zs;
    memset(z, 0, sizeof(*z));
    z->conn_id = mysql_thread_id(m);
    snprintf(z->host, sizeof(z->host), "%s", up->host);
    z->port = up->port;
    snprintf(z->user, sizeof(z->user), "%s", up->user);
    z->started_unix_ms = unix_ms_now();
    snprintf(z->boot_id, sizeof(z->boot_id), "%s", in->boot_id);
    z->started_boot_ms = zombie_boot_ms();
    in->zs_from_file = 0;

    /* Write-path policy: the file only lets a restarted binlogd end this dump early. A failed
     * write (ENOSPC, EIO, a failed fsync or rename) loses that and nothing else: the memory
     * copy still serves this run, fsio_replace left the previous file whole or none, and a
     * stale file is harmless (see the guard above). So: warn once, go on streaming; warn
     * again only after a save succeeded in between. */
    char err[256];
    if (zombie_state_save(store_dir_fd(in->store), z, err, sizeof(err)) == -1) {
        if (!in->zs_save_failing)
            log_warn(TAG, "%s; a restarted binlogd cannot end this dump on the primary early (it waits for the "
                     "primary's net_write_timeout if the dump hangs)", err);
        else
            log_debug(TAG, "%s", err);
        in->zs_save_failing = 1;
    } else {
        in->zs_save_failing = 0;
    }
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
    char who[300];
    snprintf(who, sizeof(who), "%.255s:%u", up->host, up->port);
    struct zombie_state z = in->zs;
    const char *since = in->zs_from_file ? " (remembered from binlogd's previous run)" : "";
    in->zs.conn_id = 0;   /* one attempt per previous dump */
    in->zs_from_file = 0;
    uint64_t id = z.conn_id, age_ms = 0;
    if (!id || z.port != up->port || strcmp(z.host, up->host) || id == mysql_thread_id(m)) return;
    if (strcmp(z.user, up->user)) {
        log_debug(TAG, "upstream %s: binlogd's previous dump (connection %" PRIu64 ") ran as another account: left "
                  "alone", who, id);
        return;
    }
    if (zombie_state_age_ms(&z, in->boot_id, zombie_boot_ms(), unix_ms_now(), &age_ms) == -1) {
        log_info(TAG, "upstream %s: binlogd's previous dump (connection %" PRIu64 ") began in the future by the "
                 "clock; cannot tell it from another: left alone", who, id);
        return;
    }
    uint64_t age_s = age_ms / 1000;

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
        log_info(TAG, "upstream %s: ended binlogd's previous dump, connection %" PRIu64 "%s (%lld s old, %" PRIu64
                 " ms), so the new dump does not wait for the primary's net_write_timeout", who, id, since, t,
                 ingest_now_ms() - t0);
    else if (e == ER_NO_SUCH_THREAD)
        log_info(TAG, "upstream %s: binlogd's previous dump (connection %" PRIu64 ") ended meanwhile", who, id);
    else
        log_warn(TAG, "upstream %s: KILL CONNECTION %" PRIu64 " (binlogd's previous dump) failed: %s%s; the primary "
                 "ends it by itself (net_write_timeout)", who, id, mysql_error(m),
                 e == ER_KILL_DENIED_ERROR ? " (the account may not end it)" : "");
}
