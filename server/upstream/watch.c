/*
 * watch.c - see watch.h. One thread, one round per interval:
 *   targets  = candidates, then previous upstreams, without the current upstream (dedup'ed)
 *   poll     each target, then the current upstream (connect, one SELECT, close)
 *   ours     binlogd's committed binlog state (store_gtid_state, after the polls)
 *   judge    splitbrain_judge_*() per reachable target
 *   publish  the table under the mutex; log ERROR on a new split-brain finding, WARN when
 *            it clears (or can no longer be confirmed), outside the mutex.
 */
#include "server/upstream/watch.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include "conf/config.h"
#include "protocol/gtid_track.h"
#include "server/log.h"
#include "server/upstream/ingest.h"
#include "server/upstream/upstream_tls.h"
#include "storage/store.h"

#define TAG "watch"
#define STATE_CAP 65536   /* a polled GTID state longer than this is an error, not judged */

/* What one poll read. */
struct poll_res {
    int reachable, is_maria, has_domain;
    int is_binlogd;   /* @@version_comment says binlogd: a mirror, it writes nothing itself */
    uint32_t server_id, domain;
    char err[512];
    char uuid[64];
    char *pos;     /* @@gtid_binlog_pos / @@gtid_executed (display) */
    char *state;   /* @@gtid_binlog_state / @@gtid_executed (judged) */
};

struct row {
    struct watch_server_status st;
    char finding[512];             /* the split-brain finding last logged ("" = none) */
};

struct watch {
    struct watch_opts o;
    char *candidates;
    struct ingest *in;
    struct store *store;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;            /* guards everything below */
    pthread_cond_t cv;
    int stopping, kick;
    enum watch_mode mode;
    uint32_t interval_ms, timeout_ms;
    int enabled;
    size_t n;
    struct row rows[WATCH_MAX_SERVERS];
    uint64_t rounds;
    /* thread only: the current upstream's last good poll, exempting its GTIDs when it does not answer */
    char up_key[300];
    char *up_state;
    char up_uuid[64];
};

const char *watch_mode_name(enum watch_mode m)
{
    switch (m) {
    case WATCH_AUTO: return "auto";
    case WATCH_OFF: return "off";
    case WATCH_ON: return "on";
    }
    return "?";
}

static uint64_t now_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct watch *watch_new(const struct watch_opts *o, struct ingest *in, struct store *st)
{
    struct watch *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    w->o = *o;
    w->o.candidates = NULL;
    if (o->candidates && *o->candidates && !(w->candidates = strdup(o->candidates))) {
        free(w);
        return NULL;
    }
    w->in = in;
    w->store = st;
    w->mode = o->mode;
    w->interval_ms = o->interval_ms ? o->interval_ms : 3000;
    w->timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 1000;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    return w;
}

void watch_set_options(struct watch *w, enum watch_mode mode, uint32_t interval_ms, uint32_t connect_timeout_ms)
{
    pthread_mutex_lock(&w->mu);
    w->mode = mode;
    if (interval_ms) w->interval_ms = interval_ms;
    if (connect_timeout_ms) w->timeout_ms = connect_timeout_ms;
    w->kick = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* "a,b,c" into out (bounded), keeping it a valid C string; a cut state ends in "...". */
static void copy_state(char *out, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n < cap) { memcpy(out, s, n + 1); return; }
    snprintf(out, cap, "%.*s...", (int)(cap - 4), s);
}

static void poll_res_free(struct poll_res *r)
{
    free(r->pos);
    free(r->state);
    memset(r, 0, sizeof(*r));
}

/* Connect to host:port with the replication account and the upstream's TLS settings (the
 * account's password must not travel in the clear to a sibling either: fail closed as the
 * ingest does), read its GTID variables, close. */
static void poll_one(const char *host, unsigned port, const struct upstream_conf *up, uint32_t timeout_ms,
                     struct poll_res *r)
{
    memset(r, 0, sizeof(*r));
    MYSQL *m = mysql_init(NULL);
    if (!m) { snprintf(r->err, sizeof(r->err), "mysql_init: out of memory"); return; }
    unsigned int t = (timeout_ms + 999) / 1000;   /* the client library counts whole seconds */
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &t);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &t);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &t);
    char terr[256];
    unsigned en = 0;
    if (upstream_tls_apply(m, up, terr, sizeof(terr)) == -1) {
        snprintf(r->err, sizeof(r->err), "cannot connect: TLS/SSL error: %s (error %u)", terr, UPSTREAM_TLS_ERRNO);
        mysql_close(m);
        return;
    }
    if (!mysql_real_connect(m, host, up->user, up->password, NULL, port, NULL, 0)) {
        snprintf(r->err, sizeof(r->err), "cannot connect: %s (error %u)", mysql_error(m), mysql_errno(m));
        mysql_close(m);
        return;
    }
    if (upstream_tls_check(m, up, &en, terr, sizeof(terr)) == -1) {
        snprintf(r->err, sizeof(r->err), "cannot connect: %s (error %u)", terr, en);
        mysql_close(m);
        return;
    }
    const char *info = mysql_get_server_info(m);
    r->is_maria = info && strstr(info, "MariaDB") != NULL;
    const char *sql = r->is_maria ? "SELECT @@server_id, @@global.gtid_binlog_pos, @@global.gtid_binlog_state, "
                                    "@@global.gtid_domain_id, @@version_comment"
                                  : "SELECT @@server_id, @@global.gtid_executed, @@global.gtid_executed, @@server_uuid, "
                                    "@@version_comment";
    MYSQL_RES *res = NULL;
    MYSQL_ROW row = NULL;
    if (mysql_query(m, sql) || !(res = mysql_store_result(m)) || mysql_num_fields(res) != 5 ||
        !(row = mysql_fetch_row(res))) {
        snprintf(r->err, sizeof(r->err), "%s failed: %s (error %u)", sql, mysql_error(m), mysql_errno(m));
        goto out;
    }
    unsigned long *len = mysql_fetch_lengths(res);
    if (len[1] > STATE_CAP || len[2] > STATE_CAP) {
        snprintf(r->err, sizeof(r->err), "its GTID state is longer than %u bytes", STATE_CAP);
        goto out;
    }
    r->server_id = row[0] ? (uint32_t)strtoul(row[0], NULL, 10) : 0;
    r->is_binlogd = row[4] && !strncmp(row[4], "binlogd", 7);
    r->pos = strndup(row[1] ? row[1] : "", len[1]);
    r->state = strndup(row[2] ? row[2] : "", len[2]);
    if (!r->pos || !r->state) { snprintf(r->err, sizeof(r->err), "out of memory"); goto out; }
    /* MySQL prints long executed sets over several lines */
    for (char *p = r->state; *p; p++) if (*p == '\n') *p = ' ';
    for (char *p = r->pos; *p; p++) if (*p == '\n') *p = ' ';
    if (r->is_maria && row[3]) {
        r->has_domain = 1;
        r->domain = (uint32_t)strtoul(row[3], NULL, 10);
    } else if (row[3]) {
        snprintf(r->uuid, sizeof(r->uuid), "%s", row[3]);
    }
    r->reachable = 1;
out:
    if (res) mysql_free_result(res);
    mysql_close(m);
}

struct target { char host[256]; unsigned port; char key[300]; };

static int add_target(struct target *t, size_t *n, const char *host, unsigned long port, const char *up_key)
{
    if (!*host || !port || port > 65535 || strlen(host) >= sizeof(t[0].host) || *n >= WATCH_MAX_SERVERS - 1) return 0;
    char key[300];
    snprintf(key, sizeof(key), "%s:%lu", host, port);
    if (!strcmp(key, up_key)) return 0;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t[i].key, key)) return 0;
    snprintf(t[*n].host, sizeof(t[*n].host), "%s", host);
    t[*n].port = (unsigned)port;
    snprintf(t[*n].key, sizeof(t[*n].key), "%s", key);
    (*n)++;
    return 1;
}

/* The previous row for key (to carry the logged finding across rounds), or NULL. Under mu. */
static const struct row *old_row(const struct watch *w, const char *key)
{
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->rows[i].st.server, key)) return &w->rows[i];
    return NULL;
}

/* A log line decided under the mutex, written after it. */
struct note { enum log_level lvl; char text[WATCH_REASON_MAX + 400]; };

static void round_run(struct watch *w)
{
    pthread_mutex_lock(&w->mu);
    enum watch_mode mode = w->mode;
    uint32_t timeout_ms = w->timeout_ms;
    pthread_mutex_unlock(&w->mu);

    struct upstream_conf up;
    struct ingest_status ist;
    struct upstream_history hist;
    ingest_get_conf(w->in, &up);
    ingest_status_get(w->in, &ist);
    ingest_history_get(w->in, &hist);
    char up_key[300] = "";
    if (up.host[0]) snprintf(up_key, sizeof(up_key), "%s:%u", up.host, up.port);

    int enabled = mode == WATCH_ON || (mode == WATCH_AUTO && ((w->candidates && *w->candidates) || hist.n));
    if (!enabled) {
        pthread_mutex_lock(&w->mu);
        w->enabled = 0;
        w->n = 0;
        w->rounds++;
        pthread_mutex_unlock(&w->mu);
        return;
    }

    struct target *t = calloc(WATCH_MAX_SERVERS, sizeof(*t));
    struct poll_res *pr = calloc(WATCH_MAX_SERVERS, sizeof(*pr));
    struct row *rows = calloc(WATCH_MAX_SERVERS, sizeof(*rows));
    struct note *notes = calloc(WATCH_MAX_SERVERS, sizeof(*notes));
    char *ours = malloc(STATE_CAP);
    if (!t || !pr || !rows || !notes || !ours) {
        log_warn(TAG, "out of memory: round skipped");
        goto out;
    }
    size_t n = 0;
    if (w->candidates) {
        char list[1024];
        snprintf(list, sizeof(list), "%s", w->candidates);
        char *save = NULL, *host;
        unsigned long port;
        for (char *l = list; config_hostport_next(l, &save, &host, &port); l = NULL) add_target(t, &n, host, port, up_key);
    }
    for (size_t i = 0; i < hist.n; i++) add_target(t, &n, hist.v[i].host, hist.v[i].port, up_key);

    /* Targets first, the upstream last: see watch.h. */
    uint64_t poll_at[WATCH_MAX_SERVERS];
    for (size_t i = 0; i < n; i++) {
        poll_one(t[i].host, t[i].port, &up, timeout_ms, &pr[i]);
        poll_at[i] = now_unix_ms();
    }
    struct poll_res upr;
    memset(&upr, 0, sizeof(upr));
    uint64_t up_at = 0;
    if (up.host[0]) {
        poll_one(up.host, up.port, &up, timeout_ms, &upr);
        up_at = now_unix_ms();
        if (strcmp(w->up_key, up_key)) {   /* another upstream: its predecessor's state exempts nothing */
            free(w->up_state);
            w->up_state = NULL;
            w->up_uuid[0] = 0;
            snprintf(w->up_key, sizeof(w->up_key), "%s", up_key);
        }
        if (upr.reachable) {
            char *s = strdup(upr.state);
            if (s) { free(w->up_state); w->up_state = s; }
            snprintf(w->up_uuid, sizeof(w->up_uuid), "%s", upr.uuid);
        }
    }
    int flavor = GTID_TRACK_NONE;
    if (store_gtid_state(w->store, 1, &flavor, ours, STATE_CAP, NULL, 0) == -1) flavor = GTID_TRACK_NONE;

    uint32_t prev_ids[UPSTREAM_HISTORY_MAX];
    for (size_t i = 0; i < hist.n; i++) prev_ids[i] = hist.v[i].server_id;
    struct splitbrain_ctx ctx = {
        .ours = ours, .upstream = w->up_state, .upstream_reachable = upr.reachable,
        .upstream_server_id = upr.reachable ? upr.server_id : ist.upstream_server_id,
        .has_upstream_domain = upr.reachable && upr.has_domain, .upstream_domain = upr.domain,
        .previous_ids = prev_ids, .n_previous_ids = hist.n, .upstream_uuid = w->up_uuid[0] ? w->up_uuid : NULL,
        .upstream_writers = upr.reachable && upr.is_binlogd ? upr.pos : NULL,
    };
    char finding[WATCH_MAX_SERVERS][512];
    for (size_t i = 0; i < n; i++) {
        struct watch_server_status *s = &rows[i].st;
        snprintf(s->server, sizeof(s->server), "%s", t[i].key);
        s->last_poll_unix_ms = poll_at[i];
        s->reachable = pr[i].reachable;
        s->server_id = pr[i].server_id;
        finding[i][0] = 0;
        if (!pr[i].reachable) {
            s->verdict = SPLITBRAIN_UNREACHABLE;
            snprintf(s->reason, sizeof(s->reason), "%s", pr[i].err);
            continue;
        }
        copy_state(s->gtid_state, sizeof(s->gtid_state), pr[i].pos);
        if (flavor == GTID_TRACK_NONE) {
            s->verdict = SPLITBRAIN_ERROR;
            snprintf(s->reason, sizeof(s->reason), "binlogd's history carries no readable GTID state: nothing to compare");
        } else if ((flavor == GTID_TRACK_MARIA) != pr[i].is_maria) {
            s->verdict = SPLITBRAIN_ERROR;
            snprintf(s->reason, sizeof(s->reason), "it is a %s server but binlogd's history has %s GTIDs",
                     pr[i].is_maria ? "MariaDB" : "MySQL", flavor == GTID_TRACK_MARIA ? "MariaDB" : "MySQL");
        } else if (flavor == GTID_TRACK_MARIA) {
            ctx.target_mirror = pr[i].is_binlogd;
            s->verdict = splitbrain_judge_maria(&ctx, pr[i].state, t[i].key, s->reason, sizeof(s->reason), finding[i],
                                                sizeof(finding[i]));
        } else {
            s->verdict = splitbrain_judge_mysql(&ctx, pr[i].state, t[i].key, s->reason, sizeof(s->reason), finding[i],
                                                sizeof(finding[i]));
        }
    }
    size_t nrows = n;
    if (up.host[0]) {
        struct watch_server_status *s = &rows[nrows++].st;
        snprintf(s->server, sizeof(s->server), "%s", up_key);
        s->is_upstream = 1;
        s->last_poll_unix_ms = up_at;
        s->reachable = upr.reachable;
        s->server_id = upr.server_id;
        if (upr.reachable) {
            copy_state(s->gtid_state, sizeof(s->gtid_state), upr.pos);
            s->verdict = SPLITBRAIN_UPSTREAM;
            if (upr.has_domain)
                snprintf(s->reason, sizeof(s->reason), "binlogd's current upstream (gtid_domain_id %" PRIu32 "): "
                         "what it has beyond binlogd is lag, not judged", upr.domain);
            else
                snprintf(s->reason, sizeof(s->reason), "binlogd's current upstream: what it has beyond binlogd is lag, "
                         "not judged");
        } else {
            s->verdict = SPLITBRAIN_UNREACHABLE;
            snprintf(s->reason, sizeof(s->reason), "binlogd's current upstream: %s", upr.err);
        }
    }

    /* Carry the logged findings over and decide the log lines. */
    size_t nnotes = 0;
    char up_desc[400];
    if (up.host[0]) snprintf(up_desc, sizeof(up_desc), "binlogd's upstream %s (server_id %" PRIu32 ")", up_key, ctx.upstream_server_id);
    else snprintf(up_desc, sizeof(up_desc), "no upstream");
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < n; i++) {
        struct row *r = &rows[i];
        const struct row *o = old_row(w, r->st.server);
        if (o && !o->st.is_upstream) {
            snprintf(r->finding, sizeof(r->finding), "%s", o->finding);
            r->st.split_since_unix_ms = o->st.split_since_unix_ms;
        }
        enum splitbrain_verdict v = r->st.verdict;
        if (v == SPLITBRAIN_SPLIT) {
            if (strcmp(r->finding, finding[i])) {
                struct note *nt = &notes[nnotes++];
                nt->lvl = LOG_ERROR;
                snprintf(nt->text, sizeof(nt->text), "SPLIT-BRAIN: %s (server_id %" PRIu32 "; %s)", r->st.reason,
                         r->st.server_id, up_desc);
                snprintf(r->finding, sizeof(r->finding), "%s", finding[i]);
                r->st.split_since_unix_ms = r->st.last_poll_unix_ms;
            }
            if (!r->st.split_since_unix_ms) r->st.split_since_unix_ms = r->st.last_poll_unix_ms;
            continue;
        }
        r->st.split_since_unix_ms = 0;
        if (!r->finding[0]) continue;
        int confirmed_gone = v == SPLITBRAIN_OK || v == SPLITBRAIN_BEHIND || (v == SPLITBRAIN_AHEAD && upr.reachable);
        int was_split = o && o->st.verdict == SPLITBRAIN_SPLIT;
        struct note *nt = &notes[nnotes];
        if (confirmed_gone) {
            nt->lvl = LOG_WARN;
            snprintf(nt->text, sizeof(nt->text), "split-brain cleared: %s is %s now (%s)", r->st.server,
                     splitbrain_verdict_name(v), r->st.reason);
            r->finding[0] = 0;
            nnotes++;
        } else if (was_split) {
            /* Keep the finding: if it comes back with the same writers, it is not news. */
            nt->lvl = LOG_WARN;
            snprintf(nt->text, sizeof(nt->text), "split-brain on %s can no longer be confirmed: %s now (%s)",
                     r->st.server, splitbrain_verdict_name(v), r->st.reason);
            nnotes++;
        }
    }
    memcpy(w->rows, rows, nrows * sizeof(*rows));
    w->n = nrows;
    w->enabled = 1;
    w->rounds++;
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < nnotes; i++) log_msg(notes[i].lvl, TAG, "%s", notes[i].text);
    for (size_t i = 0; i < n; i++) poll_res_free(&pr[i]);
    poll_res_free(&upr);
out:
    free(t);
    free(pr);
    free(rows);
    free(notes);
    free(ours);
}

static void *watch_main(void *arg)
{
    struct watch *w = arg;
    mysql_thread_init();
    pthread_mutex_lock(&w->mu);
    log_info(TAG, "split-brain watch: watch.enabled=%s, every %u ms, candidates %s", watch_mode_name(w->mode),
             w->interval_ms, w->candidates ? w->candidates : "(none)");
    pthread_mutex_unlock(&w->mu);
    for (;;) {
        pthread_mutex_lock(&w->mu);
        int stop = w->stopping;
        pthread_mutex_unlock(&w->mu);
        if (stop) break;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        round_run(w);
        /* Wait for the rest of the interval (a round that took longer starts the next at once). */
        pthread_mutex_lock(&w->mu);
        uint64_t iv = w->interval_ms;
        struct timespec now, until;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t spent = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000 + (uint64_t)((now.tv_nsec - t0.tv_nsec) / 1000000);
        uint64_t left = spent < iv ? iv - spent : 0;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)(left / 1000);
        until.tv_nsec += (long)(left % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        while (!w->stopping && !w->kick)
            if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT) break;
        w->kick = 0;
        pthread_mutex_unlock(&w->mu);
    }
    mysql_thread_end();
    return NULL;
}

int watch_start(struct watch *w)
{
    int e = pthread_create(&w->thread, NULL, watch_main, w);
    if (e) { errno = e; return -1; }
    w->started = 1;
    return 0;
}

void watch_stop(struct watch *w)
{
    if (!w || !w->started) return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->started = 0;
}

void watch_free(struct watch *w)
{
    if (!w) return;
    watch_stop(w);
    free(w->candidates);
    free(w->up_state);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

size_t watch_status_get(struct watch *w, struct watch_server_status *out, size_t cap)
{
    uint64_t now = now_unix_ms();
    pthread_mutex_lock(&w->mu);
    size_t n = w->n;
    for (size_t i = 0; i < n && i < cap; i++) {
        out[i] = w->rows[i].st;
        out[i].last_poll_age_ms = !out[i].last_poll_unix_ms ? UINT64_MAX
                                  : now > out[i].last_poll_unix_ms ? now - out[i].last_poll_unix_ms : 0;
    }
    pthread_mutex_unlock(&w->mu);
    return n;
}

void watch_summary_get(struct watch *w, struct watch_summary *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&w->mu);
    out->enabled = w->enabled;
    out->servers = w->n;
    out->rounds = w->rounds;
    for (size_t i = 0; i < w->n; i++) {
        const struct watch_server_status *s = &w->rows[i].st;
        if (s->verdict == SPLITBRAIN_SPLIT && !out->split_brain++) snprintf(out->reason, sizeof(out->reason), "%s", s->reason);
        if (s->verdict == SPLITBRAIN_UNREACHABLE) out->unreachable++;
    }
    pthread_mutex_unlock(&w->mu);
}
