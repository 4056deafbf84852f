/* health.c - see health.h. */
#include "server/ops/health.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct health_cond {
    char name[32];
    char reason[256];
    int set;
};

struct health {
    pthread_mutex_t mu;
    struct health_cond c[HEALTH_MAX_CONDITIONS];
};

struct health *health_new(void)
{
    struct health *h = calloc(1, sizeof(*h));
    if (h) pthread_mutex_init(&h->mu, NULL);
    return h;
}

void health_free(struct health *h)
{
    if (!h) return;
    pthread_mutex_destroy(&h->mu);
    free(h);
}

int health_set(struct health *h, const char *name, const char *reason)
{
    int rc = -1;
    pthread_mutex_lock(&h->mu);
    struct health_cond *free_slot = NULL, *c = NULL;
    for (size_t i = 0; i < HEALTH_MAX_CONDITIONS && !c; i++) {
        if (h->c[i].set && !strcmp(h->c[i].name, name)) c = &h->c[i];
        else if (!h->c[i].set && !free_slot) free_slot = &h->c[i];
    }
    if (!c) c = free_slot;
    if (c) {
        snprintf(c->name, sizeof(c->name), "%s", name);
        snprintf(c->reason, sizeof(c->reason), "%s", reason);
        for (char *p = c->reason; *p; p++)   /* one line, whatever the caller passed */
            if (*p == '\n' || *p == '\r') *p = ' ';
        c->set = 1;
        rc = 0;
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

void health_clear(struct health *h, const char *name)
{
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < HEALTH_MAX_CONDITIONS; i++)
        if (h->c[i].set && !strcmp(h->c[i].name, name)) h->c[i].set = 0;
    pthread_mutex_unlock(&h->mu);
}

size_t health_failing(struct health *h, char *buf, size_t len)
{
    size_t n = 0;
    if (len) buf[0] = 0;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < HEALTH_MAX_CONDITIONS; i++) {
        if (!h->c[i].set) continue;
        if (!n++) snprintf(buf, len, "%s: %s", h->c[i].name, h->c[i].reason);
    }
    pthread_mutex_unlock(&h->mu);
    return n;
}

int health_eval(const struct ops_snapshot *s, uint32_t max_lag_s, struct health *h, char *buf, size_t len)
{
    const struct ingest_status *in = &s->in;
    const char *err = in->last_error[0] ? in->last_error : "no error recorded";
    if (s->has_ingest && in->state == INGEST_FAILED) {
        snprintf(buf, len, "storage failed, binlogd is stopping (restart re-verifies the data directory): %s", err);
        return 0;
    }
    if (s->has_watch && s->watch.split_brain) {
        /* The watch's reason names the server and the foreign GTIDs; worse than any lag. */
        if (s->watch.split_brain > 1)
            snprintf(buf, len, "split-brain: %s (and %zu more servers in split-brain, see SHOW BINLOG WATCH)",
                     s->watch.reason, s->watch.split_brain - 1);
        else
            snprintf(buf, len, "split-brain: %s", s->watch.reason);
        for (char *p = buf; *p; p++)   /* one line */
            if (*p == '\n' || *p == '\r') *p = ' ';
        return 0;
    }
    if (s->has_ingest && s->up_host[0]) {
        switch (in->state) {
        case INGEST_STREAMING: break;
        case INGEST_PAUSED:
            snprintf(buf, len, "upstream %s:%u stopped (STOP SLAVE)", s->up_host, s->up_port);
            return 0;
        default: {
            char code[32] = "";
            if (in->last_errno) snprintf(code, sizeof(code), " (error %u)", in->last_errno);
            snprintf(buf, len, "upstream %s:%u down (%s): %s%s", s->up_host, s->up_port, ingest_state_name(in->state),
                     err, code);
            return 0;
        }
        }
        if (!isnan(s->since_recv_s) && s->since_recv_s > max_lag_s) {
            snprintf(buf, len, "upstream %s:%u silent: nothing received for %.0f s (limit %u s)", s->up_host, s->up_port,
                     s->since_recv_s, max_lag_s);
            return 0;
        }
        if (!isnan(s->behind_s) && s->behind_s > max_lag_s) {
            snprintf(buf, len, "%.0f s behind the primary %s:%u (limit %u s)", s->behind_s, s->up_host, s->up_port,
                     max_lag_s);
            return 0;
        }
    }
    if (h && health_failing(h, buf, len)) return 0;
    snprintf(buf, len, "ok");
    return 1;
}
