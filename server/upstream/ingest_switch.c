/*
 * ingest_switch.c - continuing on a new primary (CHANGE MASTER or automatic failover).
 *
 * binlogd never splices: it appends a new primary's file only when that file starts exactly
 * at binlogd's committed GTID state (read with BINLOG_GTID_POS(file, 4), i.e. the file's
 * GTID_LIST) and its name clashes with nothing stored (server/continuity.c decides). GTIDs
 * locate the file; the bytes still come by file/position from offset 4, because a GTID dump
 * omits groups the replica has and a mirror must hold every byte.
 *
 * Thread: the ingest thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "protocol/gtid.h"
#include "protocol/gtid_track.h"
#include "server/upstream/continuity.h"
#include "server/upstream/ingest_priv.h"

#define TAG "ingest"
#define MAX_CANDIDATE_FILES 4096

/* binlogd's committed per-domain MariaDB GTID state and the names of the stored files (for the
 * name-clash rule), or -1 (recorded as the refusal when report is set). */
static int our_state(struct ingest *in, char *out, size_t cap, char ***names, size_t *n, int report)
{
    *names = NULL;
    *n = 0;
    int flavor;
    char last[EV_MAX_NAME_LEN + 1];
    if (store_gtid_state(in->store, 0, &flavor, out, cap, last, sizeof(last)) == -1 || flavor != GTID_TRACK_MARIA) {
        if (report)
            ingest_set_error(in, LOG_ERROR, 0, "refusing to continue on a new primary: binlogd's last file %s carries no "
                             "readable MariaDB GTID state, so continuity cannot be verified", last[0] ? last : "(none)");
        return -1;
    }
    size_t cnt = store_files(in->store, NULL, 0);
    struct store_file_info *fi = cnt ? calloc(cnt, sizeof(*fi)) : NULL;
    if (cnt && (!fi || !(*names = calloc(cnt, sizeof(**names))))) goto oom;
    size_t got = store_files(in->store, fi, cnt);
    if (got < cnt) cnt = got;
    for (size_t i = 0; i < cnt; i++) {
        if (!((*names)[i] = strdup(fi[i].name))) goto oom;
        (*n)++;
    }
    free(fi);
    return 0;
oom:
    free(fi);
    for (size_t i = 0; i < *n; i++) free((*names)[i]);
    free(*names);
    *names = NULL;
    *n = 0;
    ingest_set_error(in, LOG_ERROR, 0, "out of memory reading the stored files");
    return -1;
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* BINLOG_GTID_POS(file, 4) on the upstream: 0 with state text, or -1 (*errn, err filled). */
static int start_state(MYSQL *m, const char *file, char *out, size_t cap, char *err, size_t errlen)
{
    char esc[2 * EV_MAX_NAME_LEN + 1], sql[2 * EV_MAX_NAME_LEN + 64];
    size_t fl = strlen(file);
    if (fl > EV_MAX_NAME_LEN) {
        snprintf(err, errlen, "file name too long");
        return -1;
    }
    mysql_real_escape_string(m, esc, file, (unsigned long)fl);
    snprintf(sql, sizeof(sql), "SELECT BINLOG_GTID_POS('%s', 4)", esc);
    int has_row = 0;
    int e = ingest_query_value(m, sql, out, cap, &has_row);
    if (e) {
        snprintf(err, errlen, "%.300s failed: %.180s", sql, mysql_error(m));
        return -1;
    }
    if (!has_row) {
        snprintf(err, errlen, "%.300s returned no row", sql);
        return -1;
    }
    return 0;
}

/* The upstream's binlog names, oldest first (SHOW BINARY LOGS). */
static int list_files(MYSQL *m, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (mysql_real_query(m, "SHOW BINARY LOGS", 16)) return -1;
    MYSQL_RES *res = mysql_store_result(m);
    if (!res) return -1;
    size_t cap = mysql_num_rows(res);
    if (cap > MAX_CANDIDATE_FILES) cap = MAX_CANDIDATE_FILES;
    char **v = calloc(cap ? cap : 1, sizeof(*v));
    MYSQL_ROW row;
    while (v && *n < cap && (row = mysql_fetch_row(res)))
        if (row[0] && !(v[(*n)++] = strdup(row[0]))) (*n)--;
    mysql_free_result(res);
    if (!v) return -1;
    *out = v;
    return 0;
}

int ingest_locate_switch(struct ingest *in, MYSQL *m, const struct upstream_conf *up, char *file, size_t cap)
{
    char ours[8192], theirs[8192], err[512], msg[4096], who[300];
    char **stored = NULL, **cands = NULL;
    size_t nstored = 0, ncands = 0;
    int rc = -1;
    snprintf(who, sizeof(who), "%s:%u", up->host, up->port);
    if (our_state(in, ours, sizeof(ours), &stored, &nstored, 1) == -1) return -1;
    if (up->log_file[0]) {
        if (!(cands = calloc(1, sizeof(*cands))) || !(cands[0] = strdup(up->log_file))) {
            free(cands);
            names_free(stored, nstored);
            return -1;
        }
        ncands = 1;
    } else if (list_files(m, &cands, &ncands) == -1 || ncands == 0) {
        ingest_set_error(in, LOG_WARN, mysql_errno(m), "new primary %s: SHOW BINARY LOGS failed: %s", who, mysql_error(m));
        goto out;
    }
    msg[0] = 0;
    /* Newest first: after FLUSH BINARY LOGS several files may start at the same state; the
     * newest is the one whose name can follow ours. */
    for (size_t i = ncands; i-- > 0;) {
        if (start_state(m, cands[i], theirs, sizeof(theirs), err, sizeof(err)) == -1) {
            ingest_set_error(in, LOG_WARN, mysql_errno(m), "new primary %s: %s", who, err);
            goto out;
        }
        char cmsg[2048];
        enum cont_verdict v = continuity_compare(ours, theirs, who, cmsg, sizeof(cmsg));
        if (v == CONT_OK) {
            v = continuity_name((const char *const *)stored, nstored, cands[i], cmsg, sizeof(cmsg));
            if (v != CONT_OK) {
                ingest_set_error(in, LOG_ERROR, 0, "refusing to continue on %s at %s: %s", who, cands[i], cmsg);
                goto out;
            }
            snprintf(file, cap, "%s", cands[i]);
            log_info(TAG, "new primary %s: %s starts at binlogd's GTID state '%s'; continuing there", who, cands[i], ours);
            rc = 0;
            goto out;
        }
        if (!msg[0])   /* the newest file's story */
            snprintf(msg, sizeof(msg), "%.1000s (%s): %s", cands[i], cont_verdict_name(v), cmsg);
    }
    ingest_set_error(in, LOG_ERROR, 0, "refusing to continue on %s (nothing written): %s", who, msg);
out:
    names_free(stored, nstored);
    names_free(cands, ncands);
    return rc;
}

/* Size of file in the primary's SHOW BINARY LOGS: 1 found, 0 not listed, -1 query failed. */
static int listed_size(MYSQL *m, const char *file, uint64_t *size)
{
    if (mysql_real_query(m, "SHOW BINARY LOGS", 16)) return -1;
    MYSQL_RES *res = mysql_store_result(m);
    if (!res) return -1;
    int found = 0;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)))
        if (row[0] && !strcmp(row[0], file)) {
            found = 1;
            *size = row[1] ? strtoull(row[1], NULL, 10) : 0;
        }
    mysql_free_result(res);
    return found;
}

int ingest_check_resume(struct ingest *in, MYSQL *m, const struct upstream_conf *up, const char *file, uint64_t pos)
{
    uint64_t size = 0;
    int rc = listed_size(m, file, &size);
    if (rc == -1) return 0;   /* no BINLOG MONITOR privilege: the dump itself will tell */
    if (rc == 1 && size < pos) {
        /* Either way this session ends: after a withdrawal the next one resumes at the
         * boundary both hold; after a refusal it asks again later. */
        (void)ingest_lost_tail(in, up, file, size, pos);
        return -1;
    }
    if (!up->use_gtid) return 0;
    char ours[8192], theirs[8192], esc[2 * EV_MAX_NAME_LEN + 1], sql[2 * EV_MAX_NAME_LEN + 80], msg[2048], who[300];
    char **stored = NULL;
    size_t nstored = 0;
    if (our_state(in, ours, sizeof(ours), &stored, &nstored, 0) == -1) return 0;   /* no MariaDB GTIDs: nothing to check */
    names_free(stored, nstored);
    mysql_real_escape_string(m, esc, file, (unsigned long)strlen(file));
    snprintf(sql, sizeof(sql), "SELECT BINLOG_GTID_POS('%s', %llu)", esc, (unsigned long long)pos);
    int has_row = 0;
    if (ingest_query_value(m, sql, theirs, sizeof(theirs), &has_row) || !has_row) return 0;
    snprintf(who, sizeof(who), "%s:%u", up->host, up->port);
    if (continuity_compare(ours, theirs, who, msg, sizeof(msg)) == CONT_OK) return 0;
    ingest_set_error(in, LOG_ERROR, 0, "refusing to resume on %s at %s:%llu: %s", who, file, (unsigned long long)pos, msg);
    return -1;
}

void ingest_switch_done(struct ingest *in, const char *file)
{
    char err[512];
    pthread_mutex_lock(&in->mu);
    in->up.switch_pending = 0;
    in->up.log_file[0] = 0;
    struct upstream_conf c = in->up;
    pthread_mutex_unlock(&in->mu);
    log_info(TAG, "continued on %s:%u with %s", c.host, c.port, file);
    /* Failing to record it only means the next start re-checks continuity (and passes). */
    if (upstream_conf_save(store_dir_fd(in->store), &c, err, sizeof(err)) == -1) log_warn(TAG, "%s", err);
}

/* Is the server at m a primary binlogd may follow? 0, or -1 with why. */
static int is_primary(MYSQL *m, char *why, size_t cap)
{
    char v[64];
    int has_row = 0;
    if (ingest_query_value(m, "SELECT @@global.read_only", v, sizeof(v), &has_row) || !has_row) {
        snprintf(why, cap, "SELECT @@read_only failed: %s", mysql_error(m));
        return -1;
    }
    if (strcmp(v, "0")) {
        snprintf(why, cap, "read_only is on");
        return -1;
    }
    if (mysql_real_query(m, "SHOW SLAVE STATUS", 17)) {
        snprintf(why, cap, "SHOW SLAVE STATUS failed: %s", mysql_error(m));
        return -1;
    }
    MYSQL_RES *res = mysql_store_result(m);
    if (!res) {
        snprintf(why, cap, "SHOW SLAVE STATUS failed: %s", mysql_error(m));
        return -1;
    }
    int replicating = 0;
    MYSQL_ROW row = mysql_fetch_row(res);
    unsigned nf = mysql_num_fields(res);
    MYSQL_FIELD *f = mysql_fetch_fields(res);
    for (unsigned i = 0; row && i < nf; i++)
        if ((!strcmp(f[i].name, "Slave_IO_Running") || !strcmp(f[i].name, "Slave_SQL_Running")) && row[i] &&
            !strcmp(row[i], "Yes"))
            replicating = 1;
    mysql_free_result(res);
    if (replicating) {
        snprintf(why, cap, "it is still replicating (STOP SLAVE and promote it first)");
        return -1;
    }
    return 0;
}

int ingest_try_candidates(struct ingest *in, int *soon)
{
    *soon = 0;
    struct upstream_conf cur;
    pthread_mutex_lock(&in->mu);
    cur = in->up;
    pthread_mutex_unlock(&in->mu);
    char list[1024];
    snprintf(list, sizeof(list), "%s", in->candidates);
    char *save = NULL, *tok;
    unsigned long port;
    for (char *l = list; config_hostport_next(l, &save, &tok, &port); l = NULL) {
        struct upstream_conf c = cur;
        if (!*tok || port == 0 || port > 65535 || strlen(tok) >= sizeof(c.host)) continue;
        if (!strcmp(tok, cur.host) && port == cur.port) continue;
        snprintf(c.host, sizeof(c.host), "%s", tok);
        c.port = (uint16_t)port;
        c.log_file[0] = 0;
        c.switch_pending = 1;
        unsigned en;
        char err[512], why[256], file[EV_MAX_NAME_LEN + 1] = "";
        MYSQL *m = ingest_connect(in, &c, &en, err, sizeof(err));
        if (!m) {
            log_warn(TAG, "failover candidate %s:%lu: %s", tok, port, err);
            continue;
        }
        /* A sibling binlogd mirrors the same primary: binlogd's copy continues there byte for
         * byte (same file, same position), no new file and no continuity rule. */
        int sibling = ingest_is_binlogd(m), ok;
        char where[EV_MAX_NAME_LEN + 32];
        if (sibling) {
            c.switch_pending = 0;
            int behind = 0;
            ok = ingest_tier_check(in, m, &c, where, sizeof(where), &behind) == 0;
            if (behind) *soon = 1;
        } else {
            ok = is_primary(m, why, sizeof(why)) == 0;
            if (!ok) log_warn(TAG, "failover candidate %s:%lu is not usable: %s", tok, port, why);
            else ok = ingest_locate_switch(in, m, &c, file, sizeof(file)) == 0;
            snprintf(where, sizeof(where), "%s", file);
        }
        mysql_close(m);
        if (!ok) continue;
        if (!sibling) snprintf(c.log_file, sizeof(c.log_file), "%s", file);
        if (upstream_conf_save(store_dir_fd(in->store), &c, err, sizeof(err)) == -1) {
            log_error(TAG, "failover to %s:%lu not done: %s", tok, port, err);
            continue;
        }
        pthread_mutex_lock(&in->mu);
        in->up = c;
        pthread_mutex_unlock(&in->mu);
        ingest_history_note(in, &cur);
        log_warn(TAG, "failover: upstream %s:%u is gone; switching to %s %s:%lu at %s", cur.host, cur.port,
                 sibling ? "sibling binlogd" : "candidate", tok, port, where);
        return 1;
    }
    return 0;
}
