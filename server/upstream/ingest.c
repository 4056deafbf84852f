/*
 * ingest.c - the ingest thread: its lifecycle, reconnects with backoff, failover to a
 * candidate, and the control surface the loop thread uses (pause/resume, CHANGE MASTER,
 * status). One upstream session (connect, register, dump, events) is ingest_stream.c.
 *
 *   CONNECTING -> (queries, COM_REGISTER_SLAVE, COM_BINLOG_DUMP) -> STREAMING
 *   STREAMING  -> on any error: roll back the partial transaction, sync what is complete,
 *                 BACKOFF (1 s doubling to 30 s by default) -> CONNECTING
 *   any        -> STORE_FATAL -> FAILED (on_fatal: the process exits non-zero)
 *
 * Every byte from the upstream is hostile until checked: packet framing, header sanity,
 * size == packet length, CRC (all once, in ev_view_parse; the view is what goes down to the
 * store and its trackers), and (in the store) log_pos continuity, before anything is
 * written. Wire-only events (artificial flag, log_pos 0, fake ROTATE, heartbeats) are
 * dropped before the store.
 */
#include "server/upstream/ingest.h"
#include "server/upstream/ingest_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <mysql.h>

#include "server/log.h"

#define TAG "ingest"

const char *ingest_state_name(enum ingest_state s)
{
    switch (s) {
    case INGEST_IDLE: return "idle";
    case INGEST_CONNECTING: return "connecting";
    case INGEST_STREAMING: return "streaming";
    case INGEST_BACKOFF: return "backoff";
    case INGEST_STOPPED: return "stopped";
    case INGEST_FAILED: return "failed";
    case INGEST_PAUSED: return "paused";
    }
    return "?";
}

uint64_t ingest_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ingest_set_state(struct ingest *in, enum ingest_state s)
{
    pthread_mutex_lock(&in->mu);
    in->st.state = s;
    pthread_mutex_unlock(&in->mu);
}

void ingest_set_error(struct ingest *in, enum log_level lvl, uint32_t code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&in->mu);
    snprintf(in->st.last_error, sizeof(in->st.last_error), "%s", msg);
    in->st.last_errno = code;
    pthread_mutex_unlock(&in->mu);
    unsigned suppressed = 0;
    if (lvl >= LOG_ERROR || log_ratelimit_allow(&in->rl, &suppressed)) {
        if (suppressed) log_msg(lvl, TAG, "%s (%u similar messages suppressed)", msg, suppressed);
        else log_msg(lvl, TAG, "%s", msg);
    }
}

struct ingest *ingest_new(const struct ingest_opts *opts, struct store *store,
                          void (*on_fatal)(void *arg), void *arg)
{
    struct ingest *in = calloc(1, sizeof(*in));
    if (!in) return NULL;
    in->o = *opts;
    atomic_init(&in->heartbeat_ms, opts->heartbeat_ms);
    in->up = opts->up;
    in->o.candidates = NULL;
    if (opts->candidates && *opts->candidates && !(in->candidates = strdup(opts->candidates))) {
        free(in);
        return NULL;
    }
    in->store = store;
    in->on_fatal = on_fatal;
    in->fatal_arg = arg;
    in->sock = -1;
    in->rl.period_ms = 60000;
    in->rl.burst = 5;
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->cv, NULL);
    char err[512];
    if (upstream_history_load(store_dir_fd(store), &in->hist, err, sizeof(err)) == -1)
        log_warn(TAG, "%s (previous upstreams not known to the split-brain watch)", err);
    ingest_zombie_load(in);
    return in;
}

/* Sleep up to ms, returning early when stopping. */
static void backoff_wait(struct ingest *in, uint32_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&in->mu);
    while (!atomic_load(&in->stopping) && !in->paused)
        if (pthread_cond_timedwait(&in->cv, &in->mu, &ts) == ETIMEDOUT) break;
    pthread_mutex_unlock(&in->mu);
}

/* Run a statement that returns at most one interesting value (first column of the first
 * row) into out. Returns 0, or the server's error number (or -1 with no number). */
int ingest_query_value(MYSQL *m, const char *sql, char *out, size_t cap, int *has_row)
{
    if (has_row) *has_row = 0;
    if (out && cap) out[0] = 0;
    if (mysql_real_query(m, sql, strlen(sql))) return mysql_errno(m) ? (int)mysql_errno(m) : -1;
    MYSQL_RES *res = mysql_store_result(m);
    if (!res) return mysql_field_count(m) == 0 ? 0 : (mysql_errno(m) ? (int)mysql_errno(m) : -1);
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && has_row) *has_row = 1;
    if (row && row[0] && out) snprintf(out, cap, "%s", row[0]);
    mysql_free_result(res);
    return 0;
}

/* Disconnect policy: complete transactions are kept (and made durable), the partial one in
 * flight is cut off, so readers and the next session start at a boundary. */
static enum sess_result settle_store(struct ingest *in)
{
    char err[512];
    enum store_result r = store_rollback_partial(in->store, err, sizeof(err));
    if (r == STORE_OK) r = store_sync(in->store, err, sizeof(err));
    if (r == STORE_OK) return SESS_RETRY;
    ingest_set_error(in, LOG_ERROR, 0, "store: %s: %s", store_result_name(r), err);
    return r == STORE_FATAL ? SESS_FATAL : SESS_RETRY;
}

/* Park while STOP SLAVE is in effect or no upstream is configured. 1 when stopping. */
static int wait_while_paused(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    int parked = 0;
    while (!atomic_load(&in->stopping) && (in->paused || !in->up.host[0])) {
        if (!parked) {
            in->st.state = INGEST_PAUSED;
            in->idle = 1;
            parked = 1;
            pthread_cond_broadcast(&in->cv);
        }
        pthread_cond_wait(&in->cv, &in->mu);
    }
    in->idle = 0;
    if (parked) in->up_since_ms = ingest_now_ms();   /* the failover clock starts at START SLAVE */
    int stop = atomic_load(&in->stopping);
    pthread_mutex_unlock(&in->mu);
    return stop;
}

static void *ingest_main(void *arg)
{
    struct ingest *in = arg;
    uint32_t delay = in->o.retry_min_ms;
    pthread_mutex_lock(&in->mu);
    in->up_since_ms = ingest_now_ms();
    pthread_mutex_unlock(&in->mu);
    for (;;) {
        if (wait_while_paused(in)) break;
        int streamed = 0;
        enum sess_result r = ingest_session_run(in, &streamed);
        if (settle_store(in) == SESS_FATAL) r = SESS_FATAL;
        if (r == SESS_FATAL) {
            ingest_set_state(in, INGEST_FAILED);
            log_error(TAG, "storage failed: ingest stopped; binlogd must restart and re-verify the data directory");
            if (in->on_fatal) in->on_fatal(in->fatal_arg);
            return NULL;
        }
        if (atomic_load(&in->stopping)) break;
        pthread_mutex_lock(&in->mu);
        int paused = in->paused;
        if (streamed) in->up_since_ms = ingest_now_ms();
        uint64_t down_ms = ingest_now_ms() - in->up_since_ms;
        char host[sizeof(in->up.host)];
        snprintf(host, sizeof(host), "%s", in->up.host);
        unsigned port = in->up.port;
        pthread_mutex_unlock(&in->mu);
        if (paused) { delay = in->o.retry_min_ms; continue; }
        if (streamed) delay = in->o.retry_min_ms;
        uint64_t fo_ms = (uint64_t)in->o.failover_after_s * 1000u;
        int soon = 0;
        if (in->candidates && down_ms >= fo_ms && ingest_try_candidates(in, &soon)) {
            delay = in->o.retry_min_ms;
            continue;   /* connect to the new primary at once */
        }
        /* A sibling binlogd that merely lags binlogd catches up within moments: look again
         * after the shortest backoff rather than the doubled one. */
        if (soon) delay = in->o.retry_min_ms;
        /* The doubling backoff must not carry the first look at the candidates far past
         * upstream.failover_after: wake at that moment instead. */
        uint32_t wait_ms = delay;
        if (in->candidates && down_ms < fo_ms && fo_ms - down_ms < wait_ms) wait_ms = (uint32_t)(fo_ms - down_ms);
        pthread_mutex_lock(&in->mu);
        in->st.reconnects++;
        pthread_mutex_unlock(&in->mu);
        ingest_set_state(in, INGEST_BACKOFF);
        log_info(TAG, "reconnecting to %s:%u in %u ms", host, port, wait_ms);
        backoff_wait(in, wait_ms);
        if (atomic_load(&in->stopping)) break;
        delay = delay * 2 > in->o.retry_max_ms ? in->o.retry_max_ms : delay * 2;
    }
    ingest_set_state(in, INGEST_STOPPED);
    return NULL;
}

int ingest_start(struct ingest *in)
{
    int e = pthread_create(&in->thread, NULL, ingest_main, in);
    if (e) { errno = e; return -1; }
    in->started = 1;
    return 0;
}

void ingest_stop(struct ingest *in)
{
    if (!in->started) return;
    pthread_mutex_lock(&in->mu);
    atomic_store(&in->stopping, 1);
    /* Unblock a read in progress: the blocking client call returns an error at once. */
    if (in->sock >= 0) shutdown(in->sock, SHUT_RDWR);
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
    pthread_join(in->thread, NULL);
    in->started = 0;
}

void ingest_free(struct ingest *in)
{
    if (!in) return;
    ingest_stop(in);
    free(in->candidates);
    pthread_mutex_destroy(&in->mu);
    pthread_cond_destroy(&in->cv);
    free(in);
}

void ingest_status_get(struct ingest *in, struct ingest_status *st)
{
    pthread_mutex_lock(&in->mu);
    *st = in->st;
    pthread_mutex_unlock(&in->mu);
}

void ingest_request_pause(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    in->paused = 1;
    if (in->sock >= 0) shutdown(in->sock, SHUT_RDWR);   /* end a blocking read at once */
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
}

int ingest_settled(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    int done = !in->started || in->idle || atomic_load(&in->stopping) || in->st.state == INGEST_FAILED;
    pthread_mutex_unlock(&in->mu);
    return done;
}


int ingest_resume(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    int rc = in->up.host[0] ? 0 : -1;
    if (rc == 0) {
        in->paused = 0;
        pthread_cond_broadcast(&in->cv);
    }
    pthread_mutex_unlock(&in->mu);
    return rc;
}

int ingest_paused(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    int p = in->paused || !in->up.host[0];
    pthread_mutex_unlock(&in->mu);
    return p;
}

int ingest_set_conf(struct ingest *in, const struct upstream_conf *c, char *err, size_t errlen)
{
    pthread_mutex_lock(&in->mu);
    int rc = -1, moved = 0;
    struct upstream_conf old = in->up;
    if (in->started && !in->idle && in->up.host[0]) {
        snprintf(err, errlen, "the upstream session is running");
    } else if (upstream_conf_save(store_dir_fd(in->store), c, err, errlen) == 0) {
        in->up = *c;
        moved = old.host[0] && (strcmp(old.host, c->host) || old.port != c->port);
        in->st.last_error[0] = 0;
        in->st.last_errno = 0;
        rc = 0;
    }
    pthread_mutex_unlock(&in->mu);
    if (moved) ingest_history_note(in, &old);
    return rc;
}

void ingest_get_conf(struct ingest *in, struct upstream_conf *c)
{
    pthread_mutex_lock(&in->mu);
    *c = in->up;
    pthread_mutex_unlock(&in->mu);
}

void ingest_history_note(struct ingest *in, const struct upstream_conf *old)
{
    char who[300], err[512];
    snprintf(who, sizeof(who), "%.255s:%u", old->host, old->port);
    pthread_mutex_lock(&in->mu);
    uint32_t sid = !strcmp(in->sid_of, who) ? in->st.upstream_server_id : 0;
    int rc = upstream_history_add(&in->hist, old->host, old->port, sid, (int64_t)time(NULL));
    struct upstream_history h = in->hist;
    pthread_mutex_unlock(&in->mu);
    if (rc == 0 && upstream_history_save(store_dir_fd(in->store), &h, err, sizeof(err)) == -1) log_warn(TAG, "%s", err);
}

void ingest_history_get(struct ingest *in, struct upstream_history *out)
{
    pthread_mutex_lock(&in->mu);
    *out = in->hist;
    pthread_mutex_unlock(&in->mu);
}

void ingest_set_on_nospace(struct ingest *in, void (*fn)(void *arg), void *arg)
{
    in->on_nospace = fn;
    in->nospace_arg = arg;
}

void ingest_set_heartbeat_ms(struct ingest *in, uint32_t ms)
{
    atomic_store(&in->heartbeat_ms, ms);
}
