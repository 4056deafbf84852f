/*
 * gtid_track.c - see gtid_track.h.
 */
#include "protocol/gtid_track.h"

#include <stdlib.h>
#include <string.h>

static int fail(const char **why, const char *msg)
{
    if (why) *why = msg;
    return -1;
}

/* ---------------------------------------------------------------- binlog state list */

void gtid_blist_init(struct gtid_blist *l) { memset(l, 0, sizeof(*l)); }

void gtid_blist_free(struct gtid_blist *l)
{
    free(l->v);
    gtid_blist_init(l);
}

int gtid_blist_copy(struct gtid_blist *dst, const struct gtid_blist *src)
{
    if (dst == src) return 0;
    dst->n = 0;
    if (src->n > dst->cap) {
        struct gtid_maria *v = realloc(dst->v, src->n * sizeof(*v));
        if (!v) return -1;
        dst->v = v;
        dst->cap = src->n;
    }
    if (src->n) memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
    dst->n = src->n;
    return 0;
}

static long pair_index(const struct gtid_blist *l, uint32_t domain, uint32_t server)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->v[i].domain == domain && l->v[i].server == server) return (long)i;
    return -1;
}

int gtid_blist_update(struct gtid_blist *l, const struct gtid_maria *g)
{
    long at = pair_index(l, g->domain, g->server);
    if (at >= 0) {
        /* Common case: the pair is already its domain's most recent entry. */
        if ((uint32_t)at + 1 == l->n || l->v[at + 1].domain != g->domain) {
            l->v[at] = *g;
            return 0;
        }
        memmove(l->v + at, l->v + at + 1, (l->n - (uint32_t)at - 1) * sizeof(*l->v));
        l->n--;
    } else if (l->n >= GTID_BLIST_MAX) {
        return -1;
    }
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        struct gtid_maria *v = realloc(l->v, cap * sizeof(*v));
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    /* Insert after the domain's last entry, so each domain stays one run, most recent last. */
    uint32_t pos = l->n;
    for (uint32_t i = l->n; i-- > 0;)
        if (l->v[i].domain == g->domain) { pos = i + 1; break; }
    memmove(l->v + pos + 1, l->v + pos, (l->n - pos) * sizeof(*l->v));
    l->v[pos] = *g;
    l->n++;
    return 0;
}

const struct gtid_maria *gtid_blist_find(const struct gtid_blist *l, uint32_t domain, uint32_t server)
{
    long at = pair_index(l, domain, server);
    return at < 0 ? NULL : &l->v[at];
}

const struct gtid_maria *gtid_blist_last(const struct gtid_blist *l, uint32_t domain)
{
    for (uint32_t i = l->n; i-- > 0;)
        if (l->v[i].domain == domain) return &l->v[i];
    return NULL;
}

int gtid_blist_from_event(struct gtid_blist *l, const struct ev_gtid_list *ev, const char **why)
{
    l->n = 0;
    for (uint32_t i = 0; i < ev->count; i++) {
        struct gtid_maria g;
        ev_gtid_list_get(ev, i, &g.domain, &g.server, &g.seq);
        if (gtid_blist_update(l, &g) == -1) {
            l->n = 0;
            return fail(why, "GTID_LIST holds more (domain, server) pairs than binlogd keeps");
        }
    }
    return 0;
}

int gtid_blist_parse(struct gtid_blist *l, const char *str, size_t len, const char **why)
{
    l->n = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && str[j] != ',') j++;
        const char *p = str + i;
        size_t n = j - i;
        while (n && (*p == ' ' || *p == '\t')) { p++; n--; }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        struct gtid_maria g;
        if (gtid_maria_parse(p, n, &g) == -1) {
            l->n = 0;
            return fail(why, "malformed GTID (expected domain-server-seq)");
        }
        if (pair_index(l, g.domain, g.server) >= 0) {
            l->n = 0;
            return fail(why, "repeated domain-server pair");
        }
        if (gtid_blist_update(l, &g) == -1) {
            l->n = 0;
            return fail(why, "too many GTIDs");
        }
        i = j + 1;
        if (j + 1 == len) {   /* trailing comma */
            l->n = 0;
            return fail(why, "empty GTID after ','");
        }
    }
    return 0;
}

size_t gtid_blist_format(const struct gtid_blist *l, char *out, size_t cap)
{
    size_t len = 0;
    char one[GTID_MARIA_STR_MAX + 2];
    for (uint32_t i = 0; i < l->n; i++) {
        size_t n = gtid_maria_format(&l->v[i], one + 1, sizeof(one) - 1);
        const char *p = i ? one : one + 1;
        if (i) { one[0] = ','; n++; }
        if (len + n < cap) memcpy(out + len, p, n);
        len += n;
    }
    if (cap) out[len < cap ? len : cap - 1] = 0;
    return len;
}

int gtid_blist_to_state(const struct gtid_blist *l, struct gtid_maria_state *s)
{
    gtid_maria_state_init(s);
    for (uint32_t i = 0; i < l->n; i++) {
        const struct gtid_maria *last = gtid_blist_last(l, l->v[i].domain);
        if (last == &l->v[i] && gtid_maria_state_update(s, last) == -1) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- tracker */

const char *gtid_track_flavor_name(enum gtid_track_flavor f)
{
    switch (f) {
    case GTID_TRACK_NONE: return "none";
    case GTID_TRACK_MARIA: return "mariadb";
    case GTID_TRACK_MYSQL: return "mysql";
    }
    return "?";
}

void gtid_track_init(struct gtid_track *t)
{
    memset(t, 0, sizeof(*t));
    gtid_blist_init(&t->mstart);
    gtid_blist_init(&t->mend);
}

void gtid_track_free(struct gtid_track *t)
{
    gtid_blist_free(&t->mstart);
    gtid_blist_free(&t->mend);
    gtid_mysql_set_free(t->ystart);
    gtid_mysql_set_free(t->yend);
    gtid_track_init(t);
}

void gtid_track_reset(struct gtid_track *t)
{
    t->flavor = GTID_TRACK_NONE;
    t->saw_first = 0;
    t->pending = 0;
    t->groups = 0;
    t->mstart.n = t->mend.n = 0;
    if (t->ystart) gtid_mysql_set_clear(t->ystart);
    if (t->yend) gtid_mysql_set_clear(t->yend);
}

static int ensure_mysql(struct gtid_track *t)
{
    if (!t->ystart && !(t->ystart = gtid_mysql_set_new())) return -1;
    if (!t->yend && !(t->yend = gtid_mysql_set_new())) return -1;
    return 0;
}

static int set_copy(struct gtid_mysql_set *dst, const struct gtid_mysql_set *src)
{
    gtid_mysql_set_clear(dst);
    for (uint32_t i = 0; i < src->n; i++)
        for (uint32_t k = 0; k < src->sids[i].n; k++)
            if (gtid_mysql_set_add_interval(dst, src->sids[i].uuid, src->sids[i].iv[k].start, src->sids[i].iv[k].end) == -1)
                return -1;
    return 0;
}

static int feed_first(struct gtid_track *t, const struct ev_view *ev, const struct ev_fmt *fmt, const char **why)
{
    t->saw_first = 1;
    if (ev->h.type == EV_GTID_LIST) {
        struct ev_gtid_list gl;
        if (ev_view_gtid_list(ev, fmt, &gl, why) != EV_OK) return -1;
        if (gtid_blist_from_event(&t->mstart, &gl, why) == -1) return -1;
        if (gtid_blist_copy(&t->mend, &t->mstart) == -1) return fail(why, "out of memory");
        t->flavor = GTID_TRACK_MARIA;
    } else if (ev->h.type == EV_PREVIOUS_GTIDS) {
        struct ev_previous_gtids pg;
        if (ev_view_previous_gtids(ev, fmt, &pg, why) != EV_OK) return -1;
        if (ensure_mysql(t) == -1) return fail(why, "out of memory");
        if (gtid_mysql_set_decode(t->ystart, pg.data, pg.len, why) == -1) return -1;
        if (set_copy(t->yend, t->ystart) == -1) return fail(why, "out of memory");
        t->flavor = GTID_TRACK_MYSQL;
    }
    return 0;
}

int gtid_track_feed(struct gtid_track *t, const uint8_t *ev, size_t len, const struct ev_fmt *fmt,
                    enum trx_verdict verdict, const char **why)
{
    struct ev_view v;
    if (ev_view_frame(&v, ev, len, why) != EV_OK) return -1;
    return gtid_track_feed_view(t, &v, fmt, verdict, why);
}

int gtid_track_feed_view(struct gtid_track *t, const struct ev_view *v, const struct ev_fmt *fmt,
                         enum trx_verdict verdict, const char **why)
{
    uint8_t type = v->h.type;
    if (!t->saw_first && feed_first(t, v, fmt, why) == -1) return -1;
    if (type == EV_MARIA_GTID) {
        struct ev_maria_gtid g;
        if (ev_view_maria_gtid(v, fmt, &g, why) != EV_OK) return -1;
        t->pm.domain = g.domain_id;
        t->pm.server = g.server_id;
        t->pm.seq = g.seq_no;
        t->pending = 1;
        if (t->flavor == GTID_TRACK_NONE) t->flavor = GTID_TRACK_MARIA;   /* a file without GTID_LIST */
    } else if (type == EV_MYSQL_GTID) {
        struct ev_mysql_gtid g;
        if (ev_view_mysql_gtid(v, fmt, &g, why) != EV_OK) return -1;
        if (g.gno < 1) return fail(why, "GTID event with gno < 1");
        memcpy(t->puuid, g.sid, 16);
        t->pgno = g.gno;
        t->pending = 2;
        if (t->flavor == GTID_TRACK_NONE) t->flavor = GTID_TRACK_MYSQL;
    } else if (type == EV_ANONYMOUS_GTID) {
        t->pending = 0;
    }
    if (verdict == TRX_GROUP_END && t->pending) {
        if (t->pending == 1 && t->flavor == GTID_TRACK_MARIA) {
            if (gtid_blist_update(&t->mend, &t->pm) == -1) return fail(why, "too many (domain, server) pairs");
        } else if (t->pending == 2 && t->flavor == GTID_TRACK_MYSQL) {
            if (ensure_mysql(t) == -1 || gtid_mysql_set_add(t->yend, t->puuid, t->pgno) == -1)
                return fail(why, "cannot add GTID to the set (out of memory or bound)");
        }
        t->pending = 0;
        t->groups++;
    }
    return 0;
}

static size_t format_state(const struct gtid_track *t, int end, char *out, size_t cap)
{
    if (t->flavor == GTID_TRACK_MARIA) return gtid_blist_format(end ? &t->mend : &t->mstart, out, cap);
    const struct gtid_mysql_set *s = end ? t->yend : t->ystart;
    if (t->flavor == GTID_TRACK_MYSQL && s) return gtid_mysql_set_format(s, out, cap);
    if (cap) out[0] = 0;
    return 0;
}

size_t gtid_track_format_start(const struct gtid_track *t, char *out, size_t cap) { return format_state(t, 0, out, cap); }
size_t gtid_track_format_end(const struct gtid_track *t, char *out, size_t cap) { return format_state(t, 1, out, cap); }

static char *state_text(const struct gtid_track *t, int end)
{
    size_t n = format_state(t, end, NULL, 0);
    char *s = malloc(n + 1);
    if (s) format_state(t, end, s, n + 1);
    return s;
}

char *gtid_track_start_text(const struct gtid_track *t) { return state_text(t, 0); }
char *gtid_track_end_text(const struct gtid_track *t) { return state_text(t, 1); }
