/*
 * listener.c - see listener.h.
 */
#include "server/replicas/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <unistd.h>

#include <event2/listener.h>

#include "protocol/errmsg.h"
#include "server/admin/sql.h"
#include "server/log.h"
#include "server/replicas/auth_throttle.h"
#include "server/replicas/dump_info.h"
#include "server/replicas/limits.h"
#include "server/replicas/memtrim.h"
#include "server/replicas/park.h"
#include "server/replicas/session.h"
#include "server/replicas/tls.h"
#include "server/replicas/wake_pool.h"

#define TAG "server"
/* Fewer waiting dumps than this are woken by the loop thread alone: handing work to a
 * helper costs a thread wake-up (tens of microseconds), which only pays off in bulk. */
#define WAKE_PARALLEL_MIN 256
/* Streaming dumps pumped in one loop turn: below this many the helpers' wake-up costs more
 * than the sends they would take over. */
#define STREAM_PARALLEL_MIN 4
/* A round of streaming refills stops starting new ones after this long; the rest go first in
 * the next round. The loop thread waits for the whole round, and everything else (a scrape, a
 * login, a dump start) waits for it: 128 readers taking 256 KiB refills as fast as the kernel
 * took them made rounds of 60-100 ms, and a /metrics scrape waited for two or three of them. */
#define STREAM_ROUND_MS 5
#define DUMP_ID_BUCKETS 4096
/* binlogd.direct_wakes is capped here: each parked dump costs the writer thread a read and a
 * send per commit (some 30 us here) before it reads the primary's next packet. */
#define PARK_MAX 64
/* Memory of ended sessions goes back to the system (memtrim.h) after 32 or more ended and
 * the next binlogd.memory_trim_after seconds saw no more than a trickle; at most every 10 s. */
static const struct memtrim_opts MEMTRIM_OPTS = {.min_interval_ms = 10000, .min_sessions = 32};

/* memtrim_opts.each_thread: the wake helpers allocate for sessions in arenas of their own. */
static void on_each_helper(void *arg, void (*fn)(void))
{
    wake_pool_each_helper(arg, fn);
}

struct listener {
    struct replicas_ctx ctx;    /* what every session gets at birth (points into this struct) */
    struct event_base *base;
    const struct config *cfg;
    struct evconnlistener *lis;
    struct event *ev_wm;
    struct session **sess;
    void **scratch;             /* the sessions on_watermark / on_flush work on, cap_sess long */
    size_t n_sess, cap_sess;
    /* Dumps per server_id bucket (listener_dump_id): a dump start scans the sessions for an
     * older dump with its server_id only when its bucket holds one, instead of every time
     * (O(N) per start, O(N^2) per reconnect storm). */
    uint32_t dump_ids[DUMP_ID_BUCKETS];
    struct wake_pool *pool;     /* NULL: one thread wakes every dump */
    struct event *ev_flush;     /* pumps queued by streaming dumps, run once per loop turn */
    void **pend;                /* those dumps (cap_sess long); session.pump_pending marks them */
    uint64_t flush_deadline_ms; /* the current round of refills starts no pump after this */
    int in_flush;               /* inside on_flush: a pump queued now waits for the next loop turn */
    size_t n_pend;
    uint32_t next_id;
    struct replicas_counters st;
    struct tls_server *tls;     /* the TLS context new sessions are offered (may hold none) */
    struct log_ratelimit rl_accept;
    struct log_ratelimit rl_refused;  /* "too many connections" log lines */
    struct auth_throttle *throttle;   /* failed logins per host */
    uint64_t started_ms;        /* session_now_ms at creation: Uptime */
    struct memtrim *trim;       /* returns ended sessions' memory once the loop is quiet */
    struct park *park;          /* dumps the writer thread sends commits to itself (park.h) */
};

void listener_set_ingest(struct listener *srv, struct ingest *ingest) { srv->ctx.ingest = ingest; }
void listener_set_watch(struct listener *srv, struct watch *w) { srv->ctx.watch = w; }
void listener_set_archive_state(struct listener *srv, struct archive_state *st) { srv->ctx.archive = st; }

void listener_set_traffic(struct listener *srv, struct traffic *traffic) { srv->ctx.traffic = traffic; }

void listener_set_purge(struct listener *srv,
                        void (*fn)(void *arg, enum stmt_purge_kind kind, const char *to, int64_t before,
                                   struct stmt_result *r),
                        void *arg)
{
    srv->ctx.purge = fn;
    srv->ctx.purge_arg = arg;
}

void listener_set_restore(struct listener *srv, const struct dump_restore *r) { srv->ctx.restore = r; }

static uint32_t next_conn_id(struct listener *srv)
{
    if (++srv->next_id == 0) srv->next_id = 1;
    return srv->next_id;
}

void listener_stats_get(const struct listener *srv, struct replicas_counters *st)
{
    *st = srv->st;
    st->connections_now = srv->n_sess;
    st->wake_threads = wake_pool_helpers(srv->pool);
    st->dumps_now = 0;
    st->threads_running = 0;
    for (size_t i = 0; i < srv->n_sess; i++) {
        if (session_get_state(srv->sess[i]) == SESSION_DUMP) st->dumps_now++;
        if (session_busy(srv->sess[i])) st->threads_running++;
    }
    st->uptime_s = (session_now_ms() - srv->started_ms) / 1000;
    struct auth_throttle_stats ts = {0};
    if (srv->throttle) auth_throttle_stats_get(srv->throttle, &ts);
    st->auth_delayed = ts.delayed;
    st->auth_throttled_hosts = ts.hosts;
}

size_t listener_counters(struct listener *srv, struct stmt_counter *out, size_t cap)
{
    struct replicas_counters st;
    listener_stats_get(srv, &st);
    /* MariaDB's names first (same meaning as there; Queries = Questions: binlogd runs no
     * stored programs), then binlogd's own. */
    const struct stmt_counter k[] = {
        {"Uptime", st.uptime_s}, {"Threads_connected", st.connections_now}, {"Threads_running", st.threads_running},
        {"Connections", st.connections_total}, {"Aborted_connects", st.aborted_connects},
        {"Aborted_clients", st.aborted_clients}, {"Access_denied_errors", st.access_denied},
        {"Connection_errors_max_connections", st.connections_refused},
        {"Binlogd_auth_delayed", st.auth_delayed}, {"Binlogd_auth_throttled_hosts", st.auth_throttled_hosts},
        {"Bytes_sent", st.bytes_replies + st.bytes_sent}, {"Bytes_received", st.bytes_received},
        {"Questions", st.questions}, {"Queries", st.questions}, {"Max_used_connections", st.max_used_connections},
        {"Binlogd_connections_total", st.connections_total},
        {"Binlogd_dumps", st.dumps_now}, {"Binlogd_events_sent", st.events_sent},
        {"Binlogd_bytes_sent", st.bytes_sent}, {"Binlogd_auth_failures", st.auth_failures},
        {"Binlogd_semi_sync_acks", st.semi_sync_acks}, {"Binlogd_wakeups", st.wakeups},
        {"Binlogd_wakeups_parallel", st.wakeups_parallel}, {"Binlogd_wake_threads", st.wake_threads},
        {"Binlogd_direct_wakes", st.direct_wakes},
        {"Binlogd_stream_rounds", st.stream_rounds}, {"Binlogd_stream_rounds_parallel", st.stream_rounds_parallel},
        {"Ssl_accepts", st.ssl_accepts}, {"Ssl_finished_accepts", st.ssl_finished_accepts},
        {"Binlogd_tls_refused", st.tls_refused},
    };
    size_t n = sizeof(k) / sizeof(k[0]);
    for (size_t i = 0; i < n && i < cap; i++) out[i] = k[i];
    for (int kind = 0; kind < QUERY_KIND_COUNT; kind++) {   /* Com_*, zeros included as in mariadbd */
        const char *name = sql_com_name(kind);
        if (!name) continue;
        if (n < cap) out[n] = (struct stmt_counter){name, st.com[kind]};
        n++;
    }
    return n;
}

size_t listener_threads(struct listener *srv, struct stmt_thread *out, size_t cap)
{
    uint64_t now = session_now_ms();
    park_lock(srv->park);   /* parked dumps move on the writer thread: read them whole */
    for (size_t i = 0; i < srv->n_sess && i < cap; i++) session_thread_info(srv->sess[i], now, &out[i]);
    park_unlock(srv->park);
    return srv->n_sess;
}

size_t listener_replicas(struct listener *srv, struct stmt_replica *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < srv->n_sess; i++) {
        struct session_replica_info ri;
        session_replica_info(srv->sess[i], &ri);
        if (!ri.registered) continue;
        if (n < cap) {
            out[n].server_id = ri.server_id;
            out[n].port = ri.port;
            snprintf(out[n].host, sizeof(out[n].host), "%s", ri.host);
        }
        n++;
    }
    return n;
}

size_t listener_dumps(struct listener *srv, struct dump_info *out, size_t cap)
{
    uint64_t now = session_now_ms();
    size_t n = 0;
    park_lock(srv->park);
    for (size_t i = 0; i < srv->n_sess; i++) {
        struct dump_info tmp;
        if (session_dump_info(srv->sess[i], now, n < cap ? &out[n] : &tmp) == 0) n++;
    }
    park_unlock(srv->park);
    return n;
}

size_t listener_reader_files(struct listener *srv,
                             void (*cb)(void *arg, const char *file, uint32_t server_id, const char *host), void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < srv->n_sess; i++) {
        char file[EV_MAX_NAME_LEN + 1], host[256];
        uint32_t sid = 0;
        park_lock(srv->park);   /* not around cb: it may take its own locks */
        int have = session_dump_file(srv->sess[i], file, sizeof(file), &sid, host, sizeof(host)) == 0 && file[0];
        park_unlock(srv->park);
        if (have) {
            cb(arg, file, sid, host);
            n++;
        }
    }
    return n;
}

void listener_connections_by_role(struct listener *srv, uint64_t by_role[3], uint64_t *unauthenticated)
{
    by_role[0] = by_role[1] = by_role[2] = 0;
    *unauthenticated = 0;
    for (size_t i = 0; i < srv->n_sess; i++) {
        enum config_role r;
        if (session_role(srv->sess[i], &r) == 0 && (unsigned)r < 3) by_role[r]++;
        else (*unauthenticated)++;
    }
}

static struct session *find_session(struct listener *srv, uint32_t conn_id)
{
    for (size_t i = 0; i < srv->n_sess; i++)
        if (session_conn_id(srv->sess[i]) == conn_id) return srv->sess[i];
    return NULL;
}

enum stmt_kill_outcome listener_kill(struct listener *srv, uint32_t conn_id, uint32_t caller_id, const char *user,
                                     int is_admin)
{
    struct session *t = find_session(srv, conn_id);
    if (!t) return STMT_KILL_NOT_FOUND;
    if (conn_id == caller_id) return STMT_KILL_SELF;
    if (!is_admin && strcmp(session_user(t), user)) return STMT_KILL_NOT_FOUND;
    session_kill(t, 1927, "Connection was killed");
    return STMT_KILL_DONE;
}

static int add_session(struct listener *srv, struct session *s)
{
    if (srv->n_sess == srv->cap_sess) {
        size_t cap = srv->cap_sess ? srv->cap_sess * 2 : 64;
        struct session **v = realloc(srv->sess, cap * sizeof(*v));
        if (!v) return -1;
        srv->sess = v;
        void **w = realloc(srv->scratch, cap * sizeof(*w));
        if (!w) return -1;
        srv->scratch = w;
        if (!(w = realloc(srv->pend, cap * sizeof(*w)))) return -1;
        srv->pend = w;
        srv->cap_sess = cap;
    }
    session_set_slot(s, srv->n_sess);
    srv->sess[srv->n_sess++] = s;
    if (srv->n_sess > srv->st.max_used_connections) srv->st.max_used_connections = srv->n_sess;
    return 0;
}

void listener_session_closed(struct listener *srv, struct session *s)
{
    if (session_pump_pending(s)) {   /* queued for the next flush: take it out */
        for (size_t k = 0; k < srv->n_pend; k++)
            if (srv->pend[k] == s) {
                srv->pend[k] = srv->pend[--srv->n_pend];
                break;
            }
    }
    size_t i = session_get_slot(s);
    if (i >= srv->n_sess || srv->sess[i] != s) return;
    if (srv->trim) memtrim_note_session_end(srv->trim);
    srv->sess[i] = srv->sess[--srv->n_sess];
    if (i < srv->n_sess) session_set_slot(srv->sess[i], i);
}

void listener_dump_id(struct listener *srv, uint32_t server_id, int delta)
{
    uint32_t *c = &srv->dump_ids[server_id % DUMP_ID_BUCKETS];
    if (delta > 0) (*c)++;
    else if (*c) (*c)--;
}

void listener_kill_dumps_with_server_id(struct listener *srv, struct session *except, uint32_t server_id)
{
    if (!srv->dump_ids[server_id % DUMP_ID_BUCKETS]) return;   /* no dump with this server_id */
    for (size_t i = 0; i < srv->n_sess;) {
        struct session *s = srv->sess[i];
        if (s != except && session_get_state(s) == SESSION_DUMP && session_replica_server_id(s) == server_id) {
            log_info(TAG, "connection %u: a new dump with server_id %u replaces this one", session_conn_id(s), server_id);
            /* session_kill may free s and reshuffle the array: re-check slot i after it. */
            size_t before = srv->n_sess;
            struct myerr e;
            myerr_slave_same_id(&e);
            session_kill(s, e.code, e.msg);
            if (srv->n_sess == before) i++;
        } else {
            i++;
        }
    }
}

static void on_watermark(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct listener *srv = arg;
    /* Read before any pump reads the store's watermark (park.h: a round must not park a
     * session that a commit after this read would miss). */
    uint64_t gen = park_generation(srv->park);
    /* Those the writer thread sent to: theirs are the loop's outcomes to apply. They are
     * waiting dumps again (usually), so the scan below pumps them too: a commit after the
     * writer's run but before this round reaches them that way. */
    void *handed[PARK_MAX];
    size_t nh = park_take_handed(srv->park, handed, PARK_MAX);
    srv->st.direct_wakes += nh;
    for (size_t i = 0; i < nh; i++) session_direct_finish(handed[i]);
    size_t n = 0;
    for (size_t i = 0; i < srv->n_sess; i++)
        if (session_wake_wanted(srv->sess[i])) srv->scratch[n++] = srv->sess[i];
    /* The pumps only touch their own session; the loop thread waits for all of them, then
     * applies the outcomes (which may start closing sessions, never free them). */
    if (!n) return;
    int parallel = n >= WAKE_PARALLEL_MIN && srv->pool;
    srv->st.wakeups++;
    srv->st.wakeups_parallel += (uint64_t)parallel;
    wake_pool_run(parallel ? srv->pool : NULL, srv->scratch, n, session_wake_pump);
    for (size_t i = 0; i < n; i++) session_wake_finish(srv->scratch[i]);
    /* Hand the first few that wait again to the writer thread for the next commit. */
    for (size_t i = 0; i < n; i++) {
        struct session *s = srv->scratch[i];
        if (!session_park_eligible(s)) continue;
        if (park_add(srv->park, s, gen) == -1) break;   /* full, off, or a commit came meanwhile */
        session_set_parked(s);
    }
}

int listener_unpark(struct listener *srv, struct session *s) { return park_claim(srv->park, s); }

/* Streaming dumps whose socket buffers drained during this loop turn: pump and write them
 * all, on the loop thread and the helpers, then apply the outcomes on the loop thread. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct listener *srv = arg;
    size_t n = srv->n_pend;
    if (!n) return;
    memcpy(srv->scratch, srv->pend, n * sizeof(*srv->scratch));
    srv->n_pend = 0;
    for (size_t i = 0; i < n; i++) session_set_pump_pending(srv->scratch[i], 0);
    /* Streaming dumps are never parked (only waiting ones are); claiming costs nothing then. */
    for (size_t i = 0; i < n; i++) session_claim(srv->scratch[i]);
    srv->st.stream_rounds++;
    srv->st.stream_rounds_parallel += (uint64_t)(n >= STREAM_PARALLEL_MIN);
    srv->flush_deadline_ms = session_now_ms() + STREAM_ROUND_MS;
    srv->in_flush = 1;
    wake_pool_run(n >= STREAM_PARALLEL_MIN ? srv->pool : NULL, srv->scratch, n, session_stream_pump);
    /* Those the deadline skipped first in line for the next round, then the others' outcomes
     * (which may queue them again, behind). */
    for (size_t i = 0; i < n; i++)
        if (session_stream_skipped(srv->scratch[i])) listener_queue_pump(srv, srv->scratch[i]);
    for (size_t i = 0; i < n; i++)
        if (!session_stream_skipped(srv->scratch[i])) session_stream_finish(srv->scratch[i]);
    srv->in_flush = 0;
    /* Pumps queued during this round run in a later loop turn, after a look at the sockets:
     * event_active from inside this callback would run it again in the same pass of the
     * loop's active queue, and dumps that keep their sockets drained (every refill written at
     * once) would then keep the loop from ever polling: no scrape, login or dump start served
     * until the readers finished (a 3.5 s /metrics request during a 128-reader fan-out). A
     * zero timeout fires in the next turn, after epoll_wait. */
    if (srv->n_pend) {
        static const struct timeval now = {0, 0};
        event_add(srv->ev_flush, &now);
    }
}

uint64_t listener_flush_deadline_ms(const struct listener *srv) { return srv->flush_deadline_ms; }

void listener_queue_pump(struct listener *srv, struct session *s)
{
    if (session_pump_pending(s)) return;
    session_set_pump_pending(s, 1);
    srv->pend[srv->n_pend++] = s;
    if (srv->n_pend == 1 && !srv->in_flush) event_active(srv->ev_flush, EV_READ, 0);
}

void listener_notify_watermark(void *arg)
{
    struct listener *srv = arg;
    /* The parked dumps get the commit from this thread now; the loop wakes after, to apply
     * their outcomes and to wake everyone else. */
    park_run(srv->park, session_direct_pump);
    event_active(srv->ev_wm, EV_READ, 0);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *addr, int socklen, void *arg)
{
    (void)lis;
    struct listener *srv = arg;
    srv->st.connections_total++;
    enum limits_admit adm = limits_admit(srv->cfg, srv->n_sess);
    if (adm == LIMITS_REFUSE) {
        /* mariadbd's answer over max_connections + 1: ERR 1040 instead of the greeting. The
         * socket is new and empty: one non-blocking send of a few bytes fits. */
        struct bbuf b;
        bbuf_init(&b);
        if (limits_build_too_many(&b) == 0 && send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            /* nothing to do: the close below tells the client enough */
        }
        bbuf_free(&b);
        evutil_closesocket(fd);
        srv->st.connections_refused++;   /* as mariadbd: not an aborted connect, a connection error */
        unsigned suppressed = 0;
        if (log_ratelimit_allow(&srv->rl_refused, &suppressed))
            log_warn(TAG, "binlogd.max_connections (%u) reached: connection refused (%u similar suppressed)",
                     srv->cfg->max_connections, suppressed);
        return;
    }
    struct session *s = session_new(&srv->ctx, next_conn_id(srv), fd, addr, socklen);
    if (!s) return;
    if (adm == LIMITS_ADMIT_ADMIN_ONLY) session_set_admin_only(s);
    if (add_session(srv, s) == -1) session_free(s);
}

static void on_accept_error(struct evconnlistener *lis, void *arg)
{
    (void)lis;
    struct listener *srv = arg;
    int e = EVUTIL_SOCKET_ERROR();
    unsigned suppressed = 0;
    /* EMFILE and friends: keep running; the listener retries on the next event. */
    if (log_ratelimit_allow(&srv->rl_accept, &suppressed))
        log_warn(TAG, "accept failed: %s (%u similar suppressed)", evutil_socket_error_to_string(e), suppressed);
}

struct listener *listener_new(struct event_base *base, const struct config *cfg, struct store *store,
                          struct ingest *ingest, char *err, size_t errlen)
{
    struct listener *srv = calloc(1, sizeof(*srv));
    if (!srv) { snprintf(err, errlen, "out of memory"); return NULL; }
    srv->base = base;
    srv->cfg = cfg;
    srv->ctx = (struct replicas_ctx){.base = base, .cfg = cfg, .store = store, .ingest = ingest, .counters = &srv->st,
                                     .lis = srv};
    srv->started_ms = session_now_ms();
    if (!(srv->tls = srv->ctx.tls = tls_server_new())) { snprintf(err, errlen, "out of memory"); listener_free(srv); return NULL; }
    struct tls_paths tp = {.cert = cfg->tls_cert, .key = cfg->tls_key, .ca = cfg->tls_ca};
    char terr[512];
    if (tls_server_load(srv->tls, &tp, terr, sizeof(terr)) == -1) {
        snprintf(err, errlen, "TLS: %s", terr);
        listener_free(srv);
        return NULL;
    }
    if (tls_server_not_valid_now(srv->tls))
        log_warn(TAG, "TLS certificate not valid now: %s", tls_server_describe(srv->tls));
    if (tls_server_key_exposed(srv->tls))
        log_warn(TAG, "tls.key %s is accessible to group or others (mode %04o): chmod 600 it", cfg->tls_key,
                 tls_server_key_exposed(srv->tls));
    if (tls_server_enabled(srv->tls))
        log_info(TAG, "TLS offered to clients: %s%s%s", tls_server_describe(srv->tls),
                 tls_server_verifies_clients(srv->tls) ? "; client certificates required" : "",
                 cfg->tls_require ? "; plaintext logins refused" : "");
    srv->rl_accept.period_ms = 10000;
    srv->rl_accept.burst = 3;
    srv->rl_refused.period_ms = 10000;
    srv->rl_refused.burst = 3;
    if (!(srv->throttle = auth_throttle_new(0))) { snprintf(err, errlen, "out of memory"); free(srv); return NULL; }
    srv->ctx.throttle = srv->throttle;
    unsigned pc = cfg->direct_wakes < PARK_MAX ? cfg->direct_wakes : PARK_MAX;
    if (!(srv->park = park_new(pc))) { snprintf(err, errlen, "out of memory"); listener_free(srv); return NULL; }
    srv->ev_wm = event_new(base, -1, 0, on_watermark, srv);
    if (!srv->ev_wm) { snprintf(err, errlen, "out of memory"); listener_free(srv); return NULL; }
    srv->ev_flush = event_new(base, -1, 0, on_flush, srv);
    if (srv->ev_flush) (void)event_priority_set(srv->ev_flush, REPLICAS_PRIO_STREAM);
    if (!srv->ev_flush) { snprintf(err, errlen, "out of memory"); listener_free(srv); return NULL; }
    if (cfg->wake_threads && !(srv->pool = wake_pool_new(cfg->wake_threads, err, errlen))) {
        listener_free(srv);
        return NULL;
    }
    /* Sessions' descriptors up to the connection limit (and the files, sockets and pipes
     * around them) get their loop map entries now, packed at the start of the heap. */
    uint64_t t0 = session_now_ms();
    unsigned presized = memtrim_presize_fd_map(base, cfg->max_connections + 1024u);
    log_debug(TAG, "loop descriptor map sized for %u descriptors in %llu ms", presized,
              (unsigned long long)(session_now_ms() - t0));
    struct memtrim_opts mo = MEMTRIM_OPTS;
    mo.quiet_ms = cfg->memory_trim_after * 1000u;
    if (srv->pool) {
        mo.each_thread = on_each_helper;
        mo.each_thread_arg = srv->pool;
    }
    if (cfg->memory_trim_after && !(srv->trim = memtrim_new(base, &mo))) {
        snprintf(err, errlen, "out of memory");
        listener_free(srv);
        return NULL;
    }
    if (!cfg->listen_port) return srv;

    struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = EVUTIL_AI_PASSIVE},
                           *ai = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%u", cfg->listen_port);
    int gai = evutil_getaddrinfo(cfg->listen_host[0] ? cfg->listen_host : NULL, port, &hints, &ai);
    if (gai || !ai) {
        snprintf(err, errlen, "binlogd.listen %s:%u: %s", cfg->listen_host, cfg->listen_port, evutil_gai_strerror(gai));
        listener_free(srv);
        return NULL;
    }
    srv->lis = evconnlistener_new_bind(base, on_accept, srv,
                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
                                       ai->ai_addr, (int)ai->ai_addrlen);
    evutil_freeaddrinfo(ai);
    if (!srv->lis) {
        snprintf(err, errlen, "binlogd.listen %s:%u: %s", cfg->listen_host, cfg->listen_port, strerror(errno));
        listener_free(srv);
        return NULL;
    }
    evconnlistener_set_error_cb(srv->lis, on_accept_error);
    log_info(TAG, "listening on %s:%u", cfg->listen_host, cfg->listen_port);
    return srv;
}

void listener_free(struct listener *srv)
{
    if (!srv) return;
    if (srv->lis) evconnlistener_free(srv->lis);
    while (srv->n_sess) session_free(srv->sess[srv->n_sess - 1]);   /* each claimed from the park */
    park_free(srv->park);
    memtrim_free(srv->trim);
    free(srv->sess);
    free(srv->scratch);
    free(srv->pend);
    wake_pool_free(srv->pool);
    tls_server_free(srv->tls);   /* sessions are gone; their references with them */
    auth_throttle_free(srv->throttle);
    if (srv->ev_flush) event_free(srv->ev_flush);
    if (srv->ev_wm) event_free(srv->ev_wm);
    free(srv);
}

void listener_reload_tls(void *arg, const struct config *cfg)
{
    struct listener *srv = arg;
    struct tls_paths tp = {.cert = cfg->tls_cert, .key = cfg->tls_key, .ca = cfg->tls_ca};
    char err[512];
    int was = tls_server_enabled(srv->tls);
    if (tls_server_load(srv->tls, &tp, err, sizeof(err)) == -1) {
        log_error(TAG, "TLS reload failed, keeping the running certificate%s: %s", was ? "" : " (none: TLS stays off)", err);
        return;
    }
    if (tls_server_not_valid_now(srv->tls))
        log_warn(TAG, "TLS certificate not valid now: %s", tls_server_describe(srv->tls));
    if (tls_server_key_exposed(srv->tls))
        log_warn(TAG, "tls.key %s is accessible to group or others (mode %04o): chmod 600 it", cfg->tls_key,
                 tls_server_key_exposed(srv->tls));
    if (tls_server_enabled(srv->tls))
        log_info(TAG, "TLS reloaded for new connections: %s%s", tls_server_describe(srv->tls),
                 tls_server_verifies_clients(srv->tls) ? "; client certificates required" : "");
    else if (was)
        log_info(TAG, "TLS turned off for new connections (tls.cert is empty)");
}
