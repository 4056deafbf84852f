/*
 * gtid.c - MariaDB GTID states and MySQL GTID sets: parse, format, encode/decode, compare.
 * Pure code. Every number is parsed with an explicit overflow check; every count read from
 * the wire is checked against the bytes that remain before anything is allocated.
 */
#include "protocol/gtid.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/wire.h"

static int fail(const char **why, const char *msg)
{
    if (why) *why = msg;
    return -1;
}

/* Decimal digits only (no sign, no spaces), value <= max. */
static int parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    if (len == 0) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void trim(const char **s, size_t *len)
{
    while (*len && is_space(**s)) { (*s)++; (*len)--; }
    while (*len && is_space((*s)[*len - 1])) (*len)--;
}

/* Appends to a bounded buffer while counting what the whole text would need. */
struct sbuf { char *p; size_t cap, len; };

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = b->len < b->cap ? b->p + b->len : NULL;
    size_t room = b->len < b->cap ? b->cap - b->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0) b->len += (size_t)n;
}

static size_t sb_done(struct sbuf *b)
{
    if (b->cap) b->p[b->len < b->cap ? b->len : b->cap - 1] = '\0';
    return b->len;
}

/* ---------------------------------------------------------------- MariaDB */

struct gtid_maria_state *gtid_maria_state_new(void)
{
    struct gtid_maria_state *s = malloc(sizeof(*s));
    if (s) gtid_maria_state_init(s);
    return s;
}

void gtid_maria_state_free(struct gtid_maria_state *s) { free(s); }

void gtid_maria_state_init(struct gtid_maria_state *s) { s->n = 0; }

int gtid_maria_parse(const char *str, size_t len, struct gtid_maria *out)
{
    const char *d1 = str ? memchr(str, '-', len) : NULL;
    if (!d1) return -1;
    size_t rest = len - (size_t)(d1 - str) - 1;
    const char *d2 = memchr(d1 + 1, '-', rest);
    if (!d2) return -1;
    uint64_t dom, srv, seq;
    if (parse_u64(str, (size_t)(d1 - str), UINT32_MAX, &dom) || parse_u64(d1 + 1, (size_t)(d2 - d1 - 1), UINT32_MAX, &srv) ||
        parse_u64(d2 + 1, len - (size_t)(d2 + 1 - str), UINT64_MAX, &seq))
        return -1;
    out->domain = (uint32_t)dom;
    out->server = (uint32_t)srv;
    out->seq = seq;
    return 0;
}

size_t gtid_maria_format(const struct gtid_maria *g, char *out, size_t cap)
{
    struct sbuf b = {out, cap, 0};
    sb_printf(&b, "%u-%u-%llu", g->domain, g->server, (unsigned long long)g->seq);
    return sb_done(&b);
}

/* Index of domain, or the insertion point (as -(pos + 1)). Binary search over sorted v. */
static long maria_find(const struct gtid_maria_state *s, uint32_t domain)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].domain == domain) return (long)mid;
        if (s->v[mid].domain < domain) lo = mid + 1; else hi = mid;
    }
    return -(long)lo - 1;
}

int gtid_maria_state_update(struct gtid_maria_state *s, const struct gtid_maria *g)
{
    long i = maria_find(s, g->domain);
    if (i >= 0) {
        s->v[i] = *g;
        return 0;
    }
    if (s->n >= GTID_MARIA_MAX_DOMAINS) return -1;
    size_t pos = (size_t)(-i - 1);
    memmove(&s->v[pos + 1], &s->v[pos], (s->n - pos) * sizeof(s->v[0]));
    s->v[pos] = *g;
    s->n++;
    return 0;
}

const struct gtid_maria *gtid_maria_state_find(const struct gtid_maria_state *s, uint32_t domain)
{
    long i = maria_find(s, domain);
    return i >= 0 ? &s->v[i] : NULL;
}

int gtid_maria_state_parse(struct gtid_maria_state *s, const char *str, size_t len, const char **why)
{
    gtid_maria_state_init(s);
    if (!str) len = 0;
    const char *p = str, *end = str + len;
    size_t all = len;
    trim(&p, &all);
    if (all == 0) return 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *e = p;
        size_t elen = (size_t)(stop - p);
        trim(&e, &elen);
        struct gtid_maria g;
        if (gtid_maria_parse(e, elen, &g) != 0) {
            gtid_maria_state_init(s);
            return fail(why, "malformed GTID (want domain-server-seq, decimal, in range)");
        }
        if (gtid_maria_state_find(s, g.domain)) {
            gtid_maria_state_init(s);
            return fail(why, "GTID list names the same domain twice");
        }
        if (gtid_maria_state_update(s, &g) != 0) {
            gtid_maria_state_init(s);
            return fail(why, "GTID list has too many domains");
        }
        if (!comma) return 0;
        p = comma + 1;
    }
}

size_t gtid_maria_state_format(const struct gtid_maria_state *s, char *out, size_t cap)
{
    struct sbuf b = {out, cap, 0};
    for (uint32_t i = 0; i < s->n; i++)
        sb_printf(&b, "%s%u-%u-%llu", i ? "," : "", s->v[i].domain, s->v[i].server,
                  (unsigned long long)s->v[i].seq);
    return sb_done(&b);
}

int gtid_maria_state_contains(const struct gtid_maria_state *s, const struct gtid_maria *g)
{
    const struct gtid_maria *have = gtid_maria_state_find(s, g->domain);
    return have && have->seq >= g->seq;
}

enum gtid_cmp gtid_maria_state_compare(const struct gtid_maria_state *a, const struct gtid_maria_state *b)
{
    int a_ahead = 0, b_ahead = 0;
    uint32_t i = 0, j = 0;
    /* Merge walk over the two domain-sorted arrays. */
    while (i < a->n || j < b->n) {
        if (j >= b->n || (i < a->n && a->v[i].domain < b->v[j].domain)) {
            if (a->v[i].seq) a_ahead = 1;
            i++;
        } else if (i >= a->n || b->v[j].domain < a->v[i].domain) {
            if (b->v[j].seq) b_ahead = 1;
            j++;
        } else {
            const struct gtid_maria *x = &a->v[i++], *y = &b->v[j++];
            if (x->seq > y->seq) a_ahead = 1;
            else if (x->seq < y->seq) b_ahead = 1;
            else if (x->server != y->server) return GTID_CMP_DIVERGED;   /* same seq, other history */
        }
    }
    if (a_ahead && b_ahead) return GTID_CMP_DIVERGED;
    if (a_ahead) return GTID_CMP_AHEAD;
    if (b_ahead) return GTID_CMP_BEHIND;
    return GTID_CMP_EQUAL;
}

const char *gtid_cmp_name(enum gtid_cmp c)
{
    switch (c) {
    case GTID_CMP_EQUAL: return "EQUAL";
    case GTID_CMP_BEHIND: return "BEHIND";
    case GTID_CMP_AHEAD: return "AHEAD";
    case GTID_CMP_DIVERGED: return "DIVERGED";
    }
    return "?";
}

int gtid_maria_state_from_list(struct gtid_maria_state *s, const struct ev_gtid_list *l, const char **why)
{
    gtid_maria_state_init(s);
    for (uint32_t i = 0; i < l->count; i++) {
        struct gtid_maria g;
        ev_gtid_list_get(l, i, &g.domain, &g.server, &g.seq);
        if (gtid_maria_state_update(s, &g) != 0) {
            gtid_maria_state_init(s);
            return fail(why, "GTID_LIST has too many domains");
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- MySQL */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int gtid_uuid_parse(const char *str, size_t len, uint8_t out[16])
{
    int dashed = len == GTID_UUID_STR_LEN;
    if (!str || (!dashed && len != 32)) return -1;
    size_t k = 0;
    uint8_t u[16];
    for (size_t i = 0; i < len;) {
        if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (str[i] != '-') return -1;
            i++;
            continue;
        }
        int hi = hexval(str[i]), lo = i + 1 < len ? hexval(str[i + 1]) : -1;
        if (hi < 0 || lo < 0 || k >= 16) return -1;
        u[k++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    if (k != 16) return -1;
    memcpy(out, u, 16);
    return 0;
}

void gtid_uuid_format(const uint8_t uuid[16], char out[GTID_UUID_STR_LEN + 1])
{
    static const char hx[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hx[uuid[i] >> 4];
        *p++ = hx[uuid[i] & 15];
    }
    *p = '\0';
}

struct gtid_mysql_set *gtid_mysql_set_new(void) { return calloc(1, sizeof(struct gtid_mysql_set)); }

void gtid_mysql_set_free(struct gtid_mysql_set *s)
{
    if (!s) return;
    for (uint32_t i = 0; i < s->cap; i++) free(s->sids[i].iv);
    free(s->sids);
    free(s);
}

void gtid_mysql_set_clear(struct gtid_mysql_set *s)
{
    for (uint32_t i = 0; i < s->n; i++) s->sids[i].n = 0;
    s->n = 0;
    s->n_intervals = 0;
}

/* Index of uuid among the sorted sids, or -(insertion point + 1). */
static long sid_find(const struct gtid_mysql_set *s, const uint8_t uuid[16])
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(s->sids[mid].uuid, uuid, 16);
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return -(long)lo - 1;
}

/* Find or insert the sid entry. Slots past n keep their interval arrays for reuse, so the
 * insert rotates the spare slot at n into place instead of losing it. */
static struct gtid_sid *sid_get(struct gtid_mysql_set *s, const uint8_t uuid[16])
{
    long i = sid_find(s, uuid);
    if (i >= 0) return &s->sids[i];
    if (s->n >= GTID_MYSQL_MAX_SIDS) return NULL;
    if (s->n == s->cap) {
        uint32_t nc = s->cap ? s->cap * 2 : 4;
        if (nc > GTID_MYSQL_MAX_SIDS) nc = GTID_MYSQL_MAX_SIDS;
        struct gtid_sid *ns = realloc(s->sids, nc * sizeof(*ns));
        if (!ns) return NULL;
        memset(ns + s->cap, 0, (nc - s->cap) * sizeof(*ns));
        s->sids = ns;
        s->cap = nc;
    }
    size_t pos = (size_t)(-i - 1);
    struct gtid_sid spare = s->sids[s->n];
    memmove(&s->sids[pos + 1], &s->sids[pos], (s->n - pos) * sizeof(s->sids[0]));
    spare.n = 0;
    memcpy(spare.uuid, uuid, 16);
    s->sids[pos] = spare;
    s->n++;
    return &s->sids[pos];
}

/* Union [start, end) into the sid's sorted, merged list. Adjacent intervals coalesce. */
static int sid_add(struct gtid_mysql_set *s, struct gtid_sid *d, int64_t start, int64_t end)
{
    /* First interval that could touch [start, end): its end >= start. */
    uint32_t lo = 0, hi = d->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->iv[mid].end < start) lo = mid + 1; else hi = mid;
    }
    uint32_t first = lo, last = first;
    while (last < d->n && d->iv[last].start <= end) {
        if (d->iv[last].start < start) start = d->iv[last].start;
        if (d->iv[last].end > end) end = d->iv[last].end;
        last++;
    }
    uint32_t merged = last - first;   /* intervals replaced by the one new interval */
    if (merged == 0) {
        if (s->n_intervals >= GTID_MYSQL_MAX_INTERVALS) return -1;
        if (d->n == d->cap) {
            uint32_t nc = d->cap ? d->cap * 2 : 4;
            struct gtid_interval *ni = realloc(d->iv, (size_t)nc * sizeof(*ni));
            if (!ni) return -1;
            d->iv = ni;
            d->cap = nc;
        }
        memmove(&d->iv[first + 1], &d->iv[first], (d->n - first) * sizeof(d->iv[0]));
        d->n++;
        s->n_intervals++;
    } else if (merged > 1) {
        memmove(&d->iv[first + 1], &d->iv[last], (d->n - last) * sizeof(d->iv[0]));
        d->n -= merged - 1;
        s->n_intervals -= merged - 1;
    }
    d->iv[first].start = start;
    d->iv[first].end = end;
    return 0;
}

int gtid_mysql_set_add_interval(struct gtid_mysql_set *s, const uint8_t uuid[16], int64_t start, int64_t end)
{
    if (start < 1 || end <= start) return -1;
    struct gtid_sid *d = sid_get(s, uuid);
    if (!d) return -1;
    return sid_add(s, d, start, end);
}

int gtid_mysql_set_add(struct gtid_mysql_set *s, const uint8_t uuid[16], int64_t gno)
{
    if (gno < 1 || gno == INT64_MAX) return -1;
    return gtid_mysql_set_add_interval(s, uuid, gno, gno + 1);
}

int gtid_mysql_set_contains(const struct gtid_mysql_set *s, const uint8_t uuid[16], int64_t gno)
{
    long i = sid_find(s, uuid);
    if (i < 0) return 0;
    const struct gtid_sid *d = &s->sids[i];
    uint32_t lo = 0, hi = d->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->iv[mid].end <= gno) lo = mid + 1; else hi = mid;
    }
    return lo < d->n && d->iv[lo].start <= gno;
}

/* Text is collected as (uuid, interval) pairs, sorted, then merged in order: adding
 * intervals in descending order one by one would cost a memmove each (quadratic). */
struct text_iv { uint8_t uuid[16]; int64_t start, end; };
struct text_ivs { struct text_iv *v; size_t n, cap; };

static int text_iv_cmp(const void *a, const void *b)
{
    const struct text_iv *x = a, *y = b;
    int c = memcmp(x->uuid, y->uuid, 16);
    if (c) return c;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int text_ivs_push(struct text_ivs *t, const uint8_t uuid[16], int64_t start, int64_t end)
{
    if (t->n == t->cap) {
        if (t->cap >= GTID_MYSQL_MAX_INTERVALS) return -1;
        size_t nc = t->cap ? t->cap * 2 : 16;
        struct text_iv *nv = realloc(t->v, nc * sizeof(*nv));
        if (!nv) return -1;
        t->v = nv;
        t->cap = nc;
    }
    memcpy(t->v[t->n].uuid, uuid, 16);
    t->v[t->n].start = start;
    t->v[t->n].end = end;
    t->n++;
    return 0;
}

/* One "uuid:a-b:c..." entry. */
static int parse_sid_entry(struct text_ivs *t, const char *p, size_t len, const char **why)
{
    const char *colon = memchr(p, ':', len);
    if (!colon) return fail(why, "GTID set entry without ':'");
    const char *u = p;
    size_t ulen = (size_t)(colon - p);
    trim(&u, &ulen);
    uint8_t uuid[16];
    if (gtid_uuid_parse(u, ulen, uuid) != 0) return fail(why, "malformed UUID in GTID set");
    const char *q = colon + 1, *end = p + len;
    for (;;) {
        const char *c = memchr(q, ':', (size_t)(end - q));
        const char *stop = c ? c : end;
        const char *iv = q;
        size_t ilen = (size_t)(stop - q);
        trim(&iv, &ilen);
        const char *dash = memchr(iv, '-', ilen);
        uint64_t a, b;
        if (dash) {
            if (parse_u64(iv, (size_t)(dash - iv), INT64_MAX - 1, &a) ||
                parse_u64(dash + 1, ilen - (size_t)(dash + 1 - iv), INT64_MAX - 1, &b))
                return fail(why, "malformed interval in GTID set");
        } else {
            if (parse_u64(iv, ilen, INT64_MAX - 1, &a)) return fail(why, "malformed GTID number in GTID set");
            b = a;
        }
        if (a < 1 || b < a) return fail(why, "empty or reversed interval in GTID set");
        if (text_ivs_push(t, uuid, (int64_t)a, (int64_t)b + 1) != 0) return fail(why, "GTID set too large");
        if (!c) return 0;
        q = c + 1;
    }
}

int gtid_mysql_set_parse(struct gtid_mysql_set *s, const char *str, size_t len, const char **why)
{
    gtid_mysql_set_clear(s);
    if (!str) len = 0;
    const char *p = str, *end = str + len;
    size_t all = len;
    trim(&p, &all);
    if (all == 0) return 0;
    struct text_ivs t = {NULL, 0, 0};
    int rc = 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        if (parse_sid_entry(&t, p, (size_t)(stop - p), why) != 0) {
            rc = -1;
            break;
        }
        if (!comma) break;
        p = comma + 1;
    }
    if (rc == 0 && t.n) qsort(t.v, t.n, sizeof(t.v[0]), text_iv_cmp);
    for (size_t i = 0; rc == 0 && i < t.n; i++)
        if (gtid_mysql_set_add_interval(s, t.v[i].uuid, t.v[i].start, t.v[i].end) != 0)
            rc = fail(why, "GTID set too large");
    free(t.v);
    if (rc != 0) gtid_mysql_set_clear(s);
    return rc;
}

size_t gtid_mysql_set_format(const struct gtid_mysql_set *s, char *out, size_t cap)
{
    struct sbuf b = {out, cap, 0};
    for (uint32_t i = 0; i < s->n; i++) {
        const struct gtid_sid *d = &s->sids[i];
        if (d->n == 0) continue;
        char u[GTID_UUID_STR_LEN + 1];
        gtid_uuid_format(d->uuid, u);
        sb_printf(&b, "%s%s", b.len ? "," : "", u);
        for (uint32_t k = 0; k < d->n; k++) {
            long long a = (long long)d->iv[k].start, z = (long long)d->iv[k].end - 1;
            if (a == z) sb_printf(&b, ":%lld", a);
            else sb_printf(&b, ":%lld-%lld", a, z);
        }
    }
    return sb_done(&b);
}

size_t gtid_mysql_set_encoded_len(const struct gtid_mysql_set *s)
{
    size_t n = 8;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->sids[i].n) n += 16 + 8 + (size_t)s->sids[i].n * 16;
    return n;
}

size_t gtid_mysql_set_encode(const struct gtid_mysql_set *s, uint8_t *out, size_t cap)
{
    size_t need = gtid_mysql_set_encoded_len(s);
    if (!out || cap < need) return 0;
    uint64_t nonempty = 0;
    for (uint32_t i = 0; i < s->n; i++) nonempty += s->sids[i].n != 0;
    uint8_t *p = out;
    wire_put_u64(p, nonempty);
    p += 8;
    for (uint32_t i = 0; i < s->n; i++) {
        const struct gtid_sid *d = &s->sids[i];
        if (d->n == 0) continue;
        memcpy(p, d->uuid, 16);
        wire_put_u64(p + 16, d->n);
        p += 24;
        for (uint32_t k = 0; k < d->n; k++) {
            wire_put_u64(p, (uint64_t)d->iv[k].start);
            wire_put_u64(p + 8, (uint64_t)d->iv[k].end);
            p += 16;
        }
    }
    return need;
}

int gtid_mysql_set_decode(struct gtid_mysql_set *s, const uint8_t *buf, size_t len, const char **why)
{
    gtid_mysql_set_clear(s);
    if (!buf || len < 8) return fail(why, "GTID set encoding shorter than its count");
    uint64_t n_sids = wire_u64(buf);
    /* 8.3+ tagged sets put a format code in the low and high bytes; refuse rather than misread. */
    if (n_sids >> 56) return fail(why, "tagged GTID set format not supported");
    size_t rest = len - 8;
    if (n_sids > rest / 24) return fail(why, "GTID set sid count larger than the data");
    if (n_sids > GTID_MYSQL_MAX_SIDS) return fail(why, "GTID set has too many UUIDs");
    const uint8_t *p = buf + 8;
    for (uint64_t i = 0; i < n_sids; i++) {
        if ((size_t)(buf + len - p) < 24) goto trunc;
        const uint8_t *uuid = p;
        uint64_t n_iv = wire_u64(p + 16);
        p += 24;
        size_t left = (size_t)(buf + len - p);
        if (n_iv > left / 16) goto trunc;
        if (sid_find(s, uuid) >= 0) {
            gtid_mysql_set_clear(s);
            return fail(why, "GTID set repeats a UUID");
        }
        int64_t prev_end = 0;
        for (uint64_t k = 0; k < n_iv; k++, p += 16) {
            int64_t a = (int64_t)wire_u64(p), z = (int64_t)wire_u64(p + 8);
            /* Strictly after the previous one (MySQL rejects adjacent or unsorted ones too). */
            if (a <= prev_end || z <= a) {
                gtid_mysql_set_clear(s);
                return fail(why, "GTID set interval empty, reversed, unsorted or overlapping");
            }
            if (gtid_mysql_set_add_interval(s, uuid, a, z) != 0) {
                gtid_mysql_set_clear(s);
                return fail(why, "GTID set too large");
            }
            prev_end = z;
        }
    }
    if (p != buf + len) {
        gtid_mysql_set_clear(s);
        return fail(why, "trailing bytes after GTID set");
    }
    return 0;
trunc:
    gtid_mysql_set_clear(s);
    return fail(why, "GTID set encoding truncated");
}
