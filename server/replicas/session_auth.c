/*
 * session_auth.c - the login of a session: which plugin, which stored hash, the caching_sha2
 * exchanges, the slowed failure and the admin slot.
 *
 *   response with mysql_native_password (20 bytes) -- account has the native hash --> check
 *   response with caching_sha2_password (32 bytes) -- account has the sha2 hash  --> check,
 *       then AuthMoreData 01 03 (fast_auth_success) and OK
 *   the account lacks the hash for the client's plugin:
 *       native client, sha2-only account  --> AuthSwitch to caching_sha2 (nonce = scramble)
 *       sha2 client, native-only account  --> on a secure (TLS) session: AuthMoreData 01 04
 *           (perform_full_authentication), the password comes in clear and is checked
 *           against the stored hash; otherwise AuthSwitch to mysql_native_password
 *       any other plugin                  --> AuthSwitch to one the account can check
 * The account is looked up in each callback (a reload may replace the table in between).
 * A failure counts in the host's throttle; its ERR 1045 goes out at once or after the
 * throttle's delay on a timer (the loop never waits), with input stopped meanwhile.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "protocol/auth.h"
#include "protocol/errmsg.h"
#include "protocol/handshake.h"
#include "server/log.h"
#include "server/replicas/auth_throttle.h"
#include "server/replicas/limits.h"
#include "server/replicas/replicas_ctx.h"
#include "server/replicas/session_priv.h"

#define TAG "session"

/* WAIT_SHA2_THEN_FULL: switched to caching_sha2 for an account stored only as *HEX on a TLS
 * session; the scramble that comes back is not checkable, full authentication follows. */
enum auth_wait { WAIT_NATIVE = 0, WAIT_SHA2_FAST, WAIT_SHA2_FULL, WAIT_SHA2_THEN_FULL };

int session_is_secure(const struct session *s)
{
    /* A session switched to TLS by its SSLRequest: the login packets after it came through
     * OpenSSL, so a password in clear (caching_sha2 full authentication) is protected. */
    return s->tls && s->tls_handshake_done;
}

static void on_login_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct session *s = arg;
    /* mariadbd closes without a word at connect_timeout; counted in Aborted_connects. */
    log_debug(TAG, "connection %u from %s: no login within %u s: dropped", s->id, s->peer,
              s->ctx->cfg->connect_timeout);
    session_free(s);
}

static void deny_now(struct session *s)
{
    struct myerr e;
    myerr_access_denied(&e, s->user, s->peer_host, s->deny_had_password);
    s->ctx->counters->access_denied++;
    session_send_myerr(s, &e);
    session_close(s);
}

static void on_deny_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    deny_now(arg);
}

int session_auth_start(struct session *s)
{
    s->login_timer = evtimer_new(s->ctx->base, on_login_timeout, s);
    s->deny_timer = evtimer_new(s->ctx->base, on_deny_timer, s);
    if (!s->login_timer || !s->deny_timer) return -1;
    struct timeval tv = {.tv_sec = s->ctx->cfg->connect_timeout, .tv_usec = 0};
    return evtimer_add(s->login_timer, &tv);
}

void session_auth_free(struct session *s)
{
    if (s->login_timer) event_free(s->login_timer);
    if (s->deny_timer) event_free(s->deny_timer);
    s->login_timer = s->deny_timer = NULL;
}

static void auth_failed(struct session *s, int had_password)
{
    s->ctx->counters->auth_failures++;
    s->deny_had_password = had_password;
    uint32_t ms = s->ctx->throttle ? auth_throttle_failure(s->ctx->throttle, s->peer_host, session_now_ms()) : 0;
    /* A password-guessing flood must not flood the log: 20 lines per 10 s, then a count.
     * (Loop thread only: one limiter for all sessions.) */
    static struct log_ratelimit rl = {.period_ms = 10000, .burst = 20};
    unsigned suppressed = 0;
    if (log_ratelimit_allow(&rl, &suppressed))
        log_warn(TAG, "connection %u from %s: access denied for user '%s'%s (%u similar suppressed)", s->id, s->peer,
                 s->user, ms ? ", answer slowed" : "", suppressed);
    if (!ms) {
        deny_now(s);
        return;
    }
    /* Slowed: nothing more is read, the login deadline no longer applies (the delay is
     * capped), and the ERR leaves when the timer fires. */
    bufferevent_disable(s->bev, EV_READ);
    evtimer_del(s->login_timer);
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    if (evtimer_add(s->deny_timer, &tv) == -1) deny_now(s);
}

static void auth_ok(struct session *s)
{
    const struct config_user *u = config_user_find(s->ctx->cfg, s->user);
    enum config_role role = u ? u->role : CONFIG_ROLE_REPLICA;   /* u: just verified in this callback */
    evtimer_del(s->login_timer);
    if (s->admin_only && role != CONFIG_ROLE_ADMIN) {
        /* The extra slot over max_connections is an admin's (mariadbd: CONNECTION ADMIN). */
        struct myerr e;
        myerr_plain(&e, MYERR_CON_COUNT);
        s->ctx->counters->connections_refused++;
        log_debug(TAG, "connection %u from %s: max_connections reached, '%s' is not an admin account", s->id,
                  s->peer, s->user);
        session_send_myerr(s, &e);
        session_close(s);
        return;
    }
    s->role = role;
    s->authenticated = 1;
    s->state = SESSION_COMMAND;
    session_mark(s);
    /* Idle limit for command sessions (wait_timeout); dumps and pending statements re-arm
     * it in session.c's event callback. */
    struct timeval idle = {.tv_sec = s->ctx->cfg->idle_timeout, .tv_usec = 0};
    bufferevent_set_timeouts(s->bev, &idle, NULL);
    log_debug(TAG, "connection %u from %s: user '%s' authenticated", s->id, s->peer, s->user);
    session_send_ok(s);
}

/* The account's stored hashes. An unknown account is given both kinds (never checked:
 * *known = 0 fails it at the end), so it goes through the same exchanges as a real one and
 * a client cannot tell which account names exist. */
static void lookup(struct session *s, struct auth_stored *st, int *known)
{
    const struct config_user *u = config_user_find(s->ctx->cfg, s->user);
    *known = u != NULL;
    if (u) {
        auth_stored_parse(u->password, strlen(u->password), st);
    } else {
        memset(st, 0, sizeof(*st));
        st->has_native = st->has_sha2 = 1;
    }
}

/* The caching_sha2 fast path cannot be checked against a native hash: ask for the password
 * in clear (AuthMoreData 0x04), which only an encrypted connection may carry. */
static void ask_full(struct session *s)
{
    static const uint8_t full = 0x04;
    log_debug(TAG, "connection %u: caching_sha2 full authentication of '%s' over TLS", s->id, s->user);
    s->state = SESSION_AUTH_SWITCH;
    s->auth_wait = WAIT_SHA2_FULL;
    hs_build_auth_more_data(&s->out, &s->seq, &full, 1);
    session_flush(s);
}

static void switch_to(struct session *s, int wait)
{
    s->state = SESSION_AUTH_SWITCH;
    s->auth_wait = wait;
    if (wait == WAIT_NATIVE) {
        hs_build_auth_switch_native(&s->out, &s->seq, s->scramble);
    } else {
        uint8_t data[HS_SCRAMBLE_LEN + 1];
        memcpy(data, s->scramble, HS_SCRAMBLE_LEN);
        data[HS_SCRAMBLE_LEN] = 0;
        hs_build_auth_switch(&s->out, &s->seq, HS_PLUGIN_SHA2, data, sizeof(data));
    }
    session_flush(s);
}

/* Check a reply of the given kind; then OK (with fast_auth_success first for sha2). */
static void finish(struct session *s, int wait, const struct auth_stored *st, int known, const uint8_t *d, size_t len)
{
    int ok = -1;
    if (known) {
        switch (wait) {
        case WAIT_NATIVE: ok = auth_native_verify(s->scramble, d, len, st->empty ? NULL : st->native); break;
        case WAIT_SHA2_FAST: ok = auth_sha2_fast_verify(s->scramble, d, len, st->empty ? NULL : st->sha2); break;
        case WAIT_SHA2_FULL: ok = auth_plain_verify(st, d, len); break;
        }
    }
    if (ok != 0) {
        auth_failed(s, len != 0 && !(len == 1 && d[0] == 0));
        return;
    }
    /* fast_auth_success precedes the OK of a checked scramble; an empty password and a full
     * authentication get the OK alone, as MySQL sends them. */
    if (wait == WAIT_SHA2_FAST && !st->empty) hs_build_fast_auth_success(&s->out, &s->seq);
    auth_ok(s);
}

void session_auth_response(struct session *s, const struct hs_response *r)
{
    struct auth_stored st;
    int known;
    lookup(s, &st, &known);
    const char *plugin = r->has_plugin ? r->plugin : HS_PLUGIN_NATIVE;
    log_debug(TAG, "connection %u: login of '%s' with %s, %zu bytes of auth data", s->id, s->user, plugin, r->auth_len);
    int native = !strcmp(plugin, HS_PLUGIN_NATIVE), sha2 = !strcmp(plugin, HS_PLUGIN_SHA2);
    if (native && ((r->auth_len == HS_SCRAMBLE_LEN && st.has_native) || r->auth_len == 0)) {
        finish(s, WAIT_NATIVE, &st, known, r->auth, r->auth_len);   /* no reply: "using password: NO" */
    } else if (sha2 && r->auth_len == AUTH_SHA2_HASH_LEN && (st.has_sha2 || st.empty)) {
        finish(s, WAIT_SHA2_FAST, &st, known, r->auth, r->auth_len);
    } else if (sha2 && st.has_sha2) {
        /* A caching_sha2 client that sent no scramble (the greeting named another plugin):
         * ask again with ours. */
        switch_to(s, WAIT_SHA2_FAST);
    } else if (sha2 && st.has_native && session_is_secure(s)) {
        if (r->auth_len == AUTH_SHA2_HASH_LEN) {
            ask_full(s);
        } else {
            /* No scramble yet (the greeting named mysql_native_password): switch to
             * caching_sha2 with ours; its reply then gets the full-authentication request. */
            switch_to(s, WAIT_SHA2_FAST);
            s->auth_wait = WAIT_SHA2_THEN_FULL;
        }
    } else if (st.has_native || st.empty) {
        switch_to(s, WAIT_NATIVE);   /* an account without password: an empty native reply */
    } else {
        switch_to(s, WAIT_SHA2_FAST);
    }
    OPENSSL_cleanse(&st, sizeof(st));
}

void session_auth_more(struct session *s, const uint8_t *p, size_t len)
{
    struct auth_stored st;
    int known;
    lookup(s, &st, &known);
    if (s->auth_wait == WAIT_SHA2_THEN_FULL) {
        if (session_is_secure(s)) ask_full(s);
        else auth_failed(s, 1);   /* cannot happen: only TLS sessions take this way */
    } else if (s->auth_wait == WAIT_SHA2_FULL && len == 1 && p[0] == 0x02) {
        /* The client asks for the RSA public key: binlogd has none (full authentication
         * happens over TLS only). */
        auth_failed(s, 1);
    } else {
        finish(s, s->auth_wait, &st, known, p, len);
    }
    OPENSSL_cleanse(&st, sizeof(st));
}
