/*
 * traffic_snapshot.c - see traffic.h: the read side. Windows are summed from the rings at
 * the reader's `now`; a bucket whose second (minute) is older than the window is stale and
 * not counted, so nothing has to clear the rings when traffic stops.
 */
#include "server/upstream/traffic.h"
#include "server/upstream/traffic_priv.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/query.h"

#define CHUNK 256

static void bucket_add(struct bucket *b, uint32_t t, uint64_t events, uint64_t rows, uint64_t bytes, uint64_t trx)
{
    if (b->t != t) memset(b, 0, sizeof(*b)), b->t = t;
    b->events += (uint32_t)events;
    b->rows += (uint32_t)rows;
    b->trx += (uint32_t)trx;
    b->bytes += bytes;
}

void traffic_stat_add(struct tstat *s, uint32_t now_s, uint64_t events, uint64_t rows, uint64_t bytes, uint64_t trx)
{
    s->events += events;
    s->bytes += bytes;
    s->trx += trx;
    bucket_add(&s->sec[now_s % RING], now_s, events, rows, bytes, trx);
    bucket_add(&s->min[(now_s / 60) % RING], now_s / 60, events, rows, bytes, trx);
}

static void window(const struct bucket *b, uint32_t now, struct traffic_window *w)
{
    memset(w, 0, sizeof(*w));
    for (int i = 0; i < RING; i++) {
        if (b[i].t > now || now - b[i].t >= RING) continue;
        w->events += b[i].events;
        w->rows += b[i].rows;
        w->bytes += b[i].bytes;
        w->trx += b[i].trx;
    }
}

static void fill_row(struct traffic_row *r, const char *name, const struct tstat *s, uint32_t now_s)
{
    r->name = name;
    r->events = s->events;
    r->rows_ins = s->ins;
    r->rows_upd = s->upd;
    r->rows_del = s->del;
    r->bytes = s->bytes;
    r->trx = s->trx;
    r->undecoded = s->undecoded;
    window(s->sec, now_s, &r->minute);
    window(s->min, now_s / 60, &r->hour);
}

static int by_bytes(const void *a, const void *b)
{
    uint64_t x = ((const struct traffic_row *)a)->bytes, y = ((const struct traffic_row *)b)->bytes;
    if (x != y) return x > y ? -1 : 1;
    return strcmp(((const struct traffic_row *)a)->name, ((const struct traffic_row *)b)->name);
}

static int trx_by_bytes(const void *a, const void *b)
{
    uint64_t x = ((const struct traffic_trx *)a)->bytes, y = ((const struct traffic_trx *)b)->bytes;
    return x > y ? -1 : x < y;
}

static int nopk_by_rows(const void *a, const void *b)
{
    uint64_t x = ((const struct traffic_nopk *)a)->rows, y = ((const struct traffic_nopk *)b)->rows;
    return x > y ? -1 : x < y;
}

void traffic_counters_get(struct traffic *t, struct traffic_counters *c)
{
    pthread_mutex_lock(&t->mu);
    *c = t->c;
    c->tables = t->ntables;
    pthread_mutex_unlock(&t->mu);
}

struct traffic_snapshot *traffic_snapshot_take(struct traffic *t, uint64_t now_ms, const char *like, size_t like_len)
{
    uint32_t now_s = (uint32_t)(now_ms / 1000);
    struct traffic_snapshot *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->now_ms = now_ms;
    s->large_trx_bytes = t->o.large_trx_bytes;

    pthread_mutex_lock(&t->mu);
    uint32_t n = t->ntables + (t->other ? 1 : 0);
    pthread_mutex_unlock(&t->mu);
    s->tables = calloc(n ? n : 1, sizeof(*s->tables));
    s->nopk = calloc(n ? n : 1, sizeof(*s->nopk));
    s->servers = calloc(TRAFFIC_MAX_SERVERS + 1, sizeof(*s->servers));
    if (!s->tables || !s->nopk || !s->servers) {
        traffic_snapshot_free(s);
        return NULL;
    }
    /* Tables in chunks: the ingest thread waits at most one chunk's copy to apply. */
    for (uint32_t i = 0; i < n; i += CHUNK) {
        pthread_mutex_lock(&t->mu);
        for (uint32_t j = i; j < n && j < i + CHUNK; j++) {
            const struct tslot *ts = j < t->ntables ? t->tables[j] : t->other;
            if (!ts) continue;
            if (ts->nopk_events) {
                s->nopk[s->nnopk++] = (struct traffic_nopk){.table = ts->name, .first_ts = ts->nopk_first,
                                                            .last_ts = ts->nopk_last, .rows = ts->nopk_rows,
                                                            .bytes = ts->nopk_bytes, .events = ts->nopk_events};
            }
            if (!ts->st.events) continue;   /* mapped, but nothing of it applied yet (or rolled back) */
            if (like && !query_like_match(like, like_len, ts->name, strlen(ts->name))) continue;
            fill_row(&s->tables[s->ntables], ts->name, &ts->st, now_s);
            s->tables[s->ntables++].db_len = ts == t->other ? 0 : ts->db_len;
        }
        pthread_mutex_unlock(&t->mu);
    }
    pthread_mutex_lock(&t->mu);
    for (uint32_t i = 0; i < t->nservers; i++) fill_row(&s->servers[s->nservers++], t->servers[i].name, &t->servers[i].st, now_s);
    if (t->other_server) fill_row(&s->servers[s->nservers++], t->other_server->name, &t->other_server->st, now_s);
    for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) fill_row(&s->kinds[k], traffic_kind_name((enum traffic_kind)k), &t->kinds[k], now_s);
    /* Top K of the hour: the K largest of every minute's K largest. */
    struct traffic_trx all[RING * TRAFFIC_TOP_K];
    size_t na = 0;
    uint32_t now_m = now_s / 60;
    for (int i = 0; i < RING; i++) {
        const struct topbucket *b = &t->top[i];
        if (b->m > now_m || now_m - b->m >= RING) continue;
        for (uint32_t j = 0; j < b->n; j++) all[na++] = b->e[j];
    }
    for (uint32_t i = 0; i < t->nlarge; i++)   /* most recent first */
        s->large[s->nlarge++] = t->large[(t->large_next + TRAFFIC_LARGE_KEEP - 1 - i) % TRAFFIC_LARGE_KEEP];
    s->c = t->c;
    s->c.tables = t->ntables;
    pthread_mutex_unlock(&t->mu);

    qsort(all, na, sizeof(all[0]), trx_by_bytes);
    s->ntop = na < TRAFFIC_TOP_K ? na : TRAFFIC_TOP_K;
    memcpy(s->top, all, s->ntop * sizeof(all[0]));
    qsort(s->tables, s->ntables, sizeof(*s->tables), by_bytes);
    qsort(s->servers, s->nservers, sizeof(*s->servers), by_bytes);
    qsort(s->nopk, s->nnopk, sizeof(*s->nopk), nopk_by_rows);
    return s;
}

void traffic_snapshot_free(struct traffic_snapshot *s)
{
    if (!s) return;
    free(s->tables);
    free(s->servers);
    free(s->nopk);
    free(s);
}
