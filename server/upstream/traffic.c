/*
 * traffic.c - see traffic.h: the ingest side. Each accepted event is classified from its
 * view; TABLE_MAP, rows and QUERY bodies are parsed (protocol/table_map.c, rows.c); what a
 * transaction does is held in `pend` and applied under the lock when it ends.
 */
#include "server/upstream/traffic.h"
#include "server/upstream/traffic_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/rows.h"
#include "protocol/wire.h"
#include "server/log.h"

#define TAG "traffic"
#define HOUR_MS 3600000ULL
#define MAX_INFLATE (64u << 20)   /* compressed rows inflated beyond this are not counted */

const char *traffic_kind_name(enum traffic_kind k)
{
    switch (k) {
    case TRAFFIC_WRITE_ROWS: return "write_rows";
    case TRAFFIC_UPDATE_ROWS: return "update_rows";
    case TRAFFIC_DELETE_ROWS: return "delete_rows";
    case TRAFFIC_DDL: return "ddl";
    case TRAFFIC_STATEMENT: return "statement";
    case TRAFFIC_TABLE_MAP: return "table_map";
    case TRAFFIC_TRX_CONTROL: return "trx_control";
    case TRAFFIC_OTHER: return "other";
    case TRAFFIC_KIND_COUNT: break;
    }
    return "?";
}

static int word_is(const char *s, size_t n, const char *w)
{
    size_t l = strlen(w);
    if (n < l) return 0;
    for (size_t i = 0; i < l; i++)
        if ((s[i] | 0x20) != (w[i] | 0x20)) return 0;
    return n == l || !((s[l] >= 'A' && s[l] <= 'Z') || (s[l] >= 'a' && s[l] <= 'z') || s[l] == '_');
}

enum traffic_kind traffic_query_kind(const char *sql, size_t len)
{
    size_t i = 0;
    for (;;) {   /* blanks and comments (an executable comment's text counts: stop at it) */
        while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r' || sql[i] == '(')) i++;
        if (i + 2 < len && sql[i] == '/' && sql[i + 1] == '*' && sql[i + 2] != '!' && sql[i + 2] != 'M') {
            const char *e = memmem(sql + i + 2, len - i - 2, "*/", 2);
            if (!e) return TRAFFIC_STATEMENT;
            i = (size_t)(e - sql) + 2;
        } else if (i + 2 < len && sql[i] == '/' && sql[i + 1] == '*') {
            i += 3;   /* slash-star-bang NNNNN: the content is the statement */
            if (i < len && sql[i - 1] == 'M' && sql[i] == '!') i++;
            while (i < len && sql[i] >= '0' && sql[i] <= '9') i++;
        } else if (i + 1 < len && sql[i] == '-' && sql[i + 1] == '-') {
            const char *e = memchr(sql + i, '\n', len - i);
            if (!e) return TRAFFIC_STATEMENT;
            i = (size_t)(e - sql) + 1;
        } else if (i < len && sql[i] == '#') {
            const char *e = memchr(sql + i, '\n', len - i);
            if (!e) return TRAFFIC_STATEMENT;
            i = (size_t)(e - sql) + 1;
        } else {
            break;
        }
    }
    const char *s = sql + i;
    size_t n = len - i;
    static const char *const trx[] = {"BEGIN", "COMMIT", "ROLLBACK", "XA", "SAVEPOINT", "RELEASE", "START"};
    static const char *const ddl[] = {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE",
                                      "ANALYZE", "OPTIMIZE", "REPAIR", "INSTALL", "UNINSTALL"};
    for (size_t k = 0; k < sizeof(trx) / sizeof(trx[0]); k++)
        if (word_is(s, n, trx[k])) return TRAFFIC_TRX_CONTROL;
    for (size_t k = 0; k < sizeof(ddl) / sizeof(ddl[0]); k++)
        if (word_is(s, n, ddl[k])) return TRAFFIC_DDL;
    return TRAFFIC_STATEMENT;
}

struct traffic *traffic_new(const struct traffic_opts *opts)
{
    struct traffic *t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    t->o = *opts;
    if (t->o.max_tables < 1) t->o.max_tables = 1;
    size_t hcap = 16;
    while (hcap < 2 * ((size_t)t->o.max_tables + 1)) hcap <<= 1;
    t->hash = malloc(hcap * sizeof(*t->hash));
    t->hash_mask = hcap - 1;
    t->tables = calloc((size_t)t->o.max_tables + 1, sizeof(*t->tables));
    t->servers = calloc(TRAFFIC_MAX_SERVERS + 1, sizeof(*t->servers));
    t->pend_gen = calloc((size_t)t->o.max_tables + 1, sizeof(*t->pend_gen));
    t->pend_idx = calloc((size_t)t->o.max_tables + 1, sizeof(*t->pend_idx));
    if (!t->hash || !t->tables || !t->servers || !t->pend_gen || !t->pend_idx || pthread_mutex_init(&t->mu, NULL)) {
        free(t->hash); free(t->tables); free(t->servers); free(t->pend_gen); free(t->pend_idx);
        free(t);
        return NULL;
    }
    memset(t->hash, 0xff, hcap * sizeof(*t->hash));
    for (size_t i = 0; i < TM_CACHE; i++) t->tmc[i].slot = -1;
    trx_init(&t->tp);
    t->trx_gen = 1;
    return t;
}

void traffic_free(struct traffic *t)
{
    if (!t) return;
    for (uint32_t i = 0; i <= t->o.max_tables; i++)
        if (t->tables[i]) {
            free(t->tables[i]->name);
            free(t->tables[i]);
        }
    for (uint32_t i = 0; i < MAX_MAPS; i++) free(t->maps[i].cols);
    for (size_t i = 0; i < TM_CACHE; i++) {
        free(t->tmc[i].raw);
        free(t->tmc[i].cols);
    }
    pthread_mutex_destroy(&t->mu);
    free(t->tables); free(t->servers); free(t->hash); free(t->pend_gen); free(t->pend_idx); free(t->pend);
    free(t->scratch);
    free(t);
}

static void pend_clear(struct traffic *t)
{
    t->npend = 0;
    t->npserv = 0;
    memset(t->pkind, 0, sizeof(t->pkind));
    memset(t->pkind_undecoded, 0, sizeof(t->pkind_undecoded));
    t->pkind_ins = t->pkind_upd = t->pkind_del = 0;
    t->pfolded = t->pundecoded = t->pbad = t->pmaps_no = t->pmaps_yes = 0;
    memset(&t->cur, 0, sizeof(t->cur));
    t->cur_gtid_kind = 0;
    t->in_trx = 0;
    t->trx_gen++;
}

void traffic_stream_reset(struct traffic *t)
{
    pend_clear(t);
    trx_init(&t->tp);
    t->nmaps = 0;
    t->maps_stale = 0;
}

static uint64_t hash_key(const char *db, size_t db_len, const char *rest, size_t rest_len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < db_len; i++) h = (h ^ (uint8_t)db[i]) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (size_t i = 0; i < rest_len; i++) h = (h ^ (uint8_t)rest[i]) * 1099511628211ULL;
    return h;
}

/* The slot of db.rest, created when there is room, else "(other)" (folded). Ingest thread;
 * takes the lock only to publish a new slot. */
static int32_t table_slot(struct traffic *t, const char *db, size_t db_len, const char *rest, size_t rest_len)
{
    size_t i = (size_t)hash_key(db, db_len, rest, rest_len) & t->hash_mask;
    for (;;) {
        int32_t s = t->hash[i];
        if (s < 0) break;
        const struct tslot *ts = t->tables[s];
        if (ts->db_len == db_len && !memcmp(ts->name, db, db_len) && !memcmp(ts->name + db_len + 1, rest, rest_len) &&
            ts->name[db_len + 1 + rest_len] == 0)
            return s;
        i = (i + 1) & t->hash_mask;
    }
    int32_t idx;
    struct tslot *ts = NULL;
    if (t->ntables < t->o.max_tables && (ts = calloc(1, sizeof(*ts))) && (ts->name = malloc(db_len + rest_len + 2))) {
        memcpy(ts->name, db, db_len);
        ts->name[db_len] = '.';
        memcpy(ts->name + db_len + 1, rest, rest_len);
        ts->name[db_len + 1 + rest_len] = 0;
        ts->db_len = db_len;
        idx = (int32_t)t->ntables;
        t->hash[i] = idx;
        pthread_mutex_lock(&t->mu);
        t->tables[idx] = ts;
        t->ntables++;
        pthread_mutex_unlock(&t->mu);
        return idx;
    }
    if (ts) free(ts);
    idx = (int32_t)t->o.max_tables;
    if (!t->other) {
        struct tslot *o = calloc(1, sizeof(*o));
        if (!o || !(o->name = strdup("(other)"))) {
            free(o);
            return -1;
        }
        o->db_len = 7;
        pthread_mutex_lock(&t->mu);
        t->tables[idx] = o;
        t->other = o;
        pthread_mutex_unlock(&t->mu);
    }
    return idx;
}

/* This transaction's entry for slot s (created on first touch). NULL on ENOMEM. */
static struct pend *pend_for(struct traffic *t, int32_t s)
{
    if (t->pend_gen[s] == t->trx_gen) return &t->pend[t->pend_idx[s]];
    if (t->npend == t->pend_cap) {
        uint32_t nc = t->pend_cap ? t->pend_cap * 2 : 16;
        struct pend *np = realloc(t->pend, nc * sizeof(*np));
        if (!np) return NULL;
        t->pend = np;
        t->pend_cap = nc;
    }
    struct pend *p = &t->pend[t->npend];
    memset(p, 0, sizeof(*p));
    p->slot = s;
    t->pend_gen[s] = t->trx_gen;
    t->pend_idx[s] = t->npend++;
    return p;
}

static void pend_server(struct traffic *t, uint32_t sid, uint64_t rows, uint64_t bytes)
{
    uint32_t i;
    for (i = 0; i < t->npserv; i++)
        if (t->pserv[i].server_id == sid) break;
    if (i == t->npserv) {
        if (t->npserv == MAX_PSERVERS) i = MAX_PSERVERS - 1;   /* more ids in one group: the last takes them */
        else t->pserv[t->npserv++] = (struct pserver){.server_id = sid};
    }
    t->pserv[i].events++;
    t->pserv[i].rows += rows;
    t->pserv[i].bytes += bytes;
}

static struct sslot *server_slot(struct traffic *t, uint32_t sid)
{
    for (uint32_t i = 0; i < t->nservers; i++)
        if (t->servers[i].server_id == sid) return &t->servers[i];
    if (t->nservers < TRAFFIC_MAX_SERVERS) {
        struct sslot *s = &t->servers[t->nservers++];
        memset(s, 0, sizeof(*s));
        s->server_id = sid;
        snprintf(s->name, sizeof(s->name), "%" PRIu32, sid);
        return s;
    }
    if (!t->other_server) {
        t->other_server = &t->servers[TRAFFIC_MAX_SERVERS];
        memset(t->other_server, 0, sizeof(*t->other_server));
        snprintf(t->other_server->name, sizeof(t->other_server->name), "(other)");
    }
    return t->other_server;
}

/* Decimal digits of v at o (no NUL); returns the end. */
static char *put_u64(char *o, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10); while ((v /= 10));
    while (n) *o++ = tmp[--n];
    return o;
}

/* Write the current transaction's GTID into cur.gtid from the fields the GTID event left:
 * only for the transactions that are kept (top list, large ones), not for every one. */
static void cur_gtid_text(struct traffic *t)
{
    char *o = t->cur.gtid;
    if (t->cur_gtid_kind == 1) {   /* "domain-server-seq": at most 10 + 1 + 10 + 1 + 20 chars */
        o = put_u64(o, t->cur_domain);
        *o++ = '-';
        o = put_u64(o, t->cur.server_id);
        *o++ = '-';
        o = put_u64(o, t->cur_seq);
        *o = 0;
    } else if (t->cur_gtid_kind == 2) {   /* "uuid:gno": 36 + 1 + 20 chars */
        static const char hx[] = "0123456789abcdef";
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
            *o++ = hx[t->cur_sid[i] >> 4];
            *o++ = hx[t->cur_sid[i] & 15];
        }
        *o++ = ':';
        if ((int64_t)t->cur_seq < 0) {
            *o++ = '-';
            o = put_u64(o, (uint64_t)0 - t->cur_seq);
        } else {
            o = put_u64(o, t->cur_seq);
        }
        *o = 0;
    }
    t->cur_gtid_kind = 0;   /* written: later calls keep it */
}

struct warn_line { char text[600]; };

/* Apply what was held back (a finished transaction, or one event outside any: is_trx 0).
 * Takes the lock once; logs after releasing it. */
static void apply(struct traffic *t, uint64_t now_ms, int is_trx)
{
    uint32_t now_s = (uint32_t)(now_ms / 1000);
    struct warn_line *warns = NULL;
    size_t nwarn = 0;
    uint64_t trx_rows = 0;
    for (uint32_t i = 0; i < t->npend; i++) trx_rows += t->pend[i].ins + t->pend[i].upd + t->pend[i].del;
    t->cur.rows = trx_rows;
    t->cur.tables = t->npend;
    t->cur.end_ms = now_ms;
    int large = is_trx && t->cur.bytes >= t->o.large_trx_bytes;

    pthread_mutex_lock(&t->mu);
    for (uint32_t i = 0; i < t->npend; i++) {
        struct pend *p = &t->pend[i];
        struct tslot *ts = t->tables[p->slot];
        traffic_stat_add(&ts->st, now_s, p->events, p->ins + p->upd + p->del, p->bytes, (uint64_t)is_trx);
        ts->st.ins += p->ins;
        ts->st.upd += p->upd;
        ts->st.del += p->del;
        ts->st.undecoded += p->undecoded;
        if (p->changed_rows && ts->pk == TM_PK_NONE) {
            if (!ts->nopk_events) {
                ts->nopk_first = p->first_ts;
                t->c.nopk_tables++;
            }
            ts->nopk_last = p->last_ts;
            ts->nopk_rows += p->changed_rows;
            ts->nopk_bytes += p->changed_bytes;
            ts->nopk_events += p->changed_events;
            t->c.nopk_rows += p->changed_rows;
            if ((!ts->warned || now_ms - ts->last_warn_ms >= HOUR_MS) && nwarn < 16) {
                if (!warns) warns = calloc(16, sizeof(*warns));
                if (warns) {
                    snprintf(warns[nwarn++].text, sizeof(warns->text),
                             "lag doctor: table %s has no primary key and received UPDATE/DELETE row events: "
                             "%" PRIu64 " rows changed so far; a row-based replica applies each with a table scan "
                             "(add a primary key)", ts->name, ts->nopk_rows);
                    ts->warned = 1;
                    ts->last_warn_ms = now_ms;
                }
            }
        }
    }
    for (uint32_t i = 0; i < t->npserv; i++) {
        struct sslot *s = server_slot(t, t->pserv[i].server_id);
        traffic_stat_add(&s->st, now_s, t->pserv[i].events, t->pserv[i].rows, t->pserv[i].bytes,
                         (uint64_t)(is_trx && i == 0));
    }
    for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) {
        if (!t->pkind[k].events) continue;
        traffic_stat_add(&t->kinds[k], now_s, t->pkind[k].events, t->pkind[k].rows, t->pkind[k].bytes,
                         (uint64_t)is_trx);
        t->kinds[k].undecoded += t->pkind_undecoded[k];
        t->c.events += t->pkind[k].events;
        t->c.bytes += t->pkind[k].bytes;
    }
    t->kinds[TRAFFIC_WRITE_ROWS].ins += t->pkind_ins;
    t->kinds[TRAFFIC_UPDATE_ROWS].upd += t->pkind_upd;
    t->kinds[TRAFFIC_DELETE_ROWS].del += t->pkind_del;
    t->c.trx += (uint64_t)is_trx;
    t->c.folded_events += t->pfolded;
    t->c.undecoded_rows_events += t->pundecoded;
    t->c.bad_events += t->pbad;
    t->c.maps_without_pk_info += t->pmaps_no;
    t->c.maps_with_pk_info += t->pmaps_yes;
    t->c.tables = t->ntables;
    if (is_trx) {
        uint32_t m = now_s / 60;
        struct topbucket *b = &t->top[m % RING];
        if (b->m != m || b->n > TRAFFIC_TOP_K) { b->m = m; b->n = 0; }
        if (b->n < TRAFFIC_TOP_K) {
            cur_gtid_text(t);
            b->e[b->n++] = t->cur;
        } else {
            uint32_t min = 0;
            for (uint32_t i = 1; i < b->n; i++)
                if (b->e[i].bytes < b->e[min].bytes) min = i;
            if (t->cur.bytes > b->e[min].bytes) {
                cur_gtid_text(t);
                b->e[min] = t->cur;
            }
        }
        if (large) {
            cur_gtid_text(t);
            t->large[t->large_next] = t->cur;
            t->large_next = (t->large_next + 1) % TRAFFIC_LARGE_KEEP;
            if (t->nlarge < TRAFFIC_LARGE_KEEP) t->nlarge++;
            t->c.large_trx++;
        }
    }
    pthread_mutex_unlock(&t->mu);

    for (size_t i = 0; i < nwarn; i++) log_warn(TAG, "%s", warns[i].text);
    free(warns);
    if (large)
        log_warn(TAG, "lag doctor: large transaction %s from server %" PRIu32 ": %" PRIu64 " bytes, %" PRIu64
                 " rows, %" PRIu32 " tables, %" PRIu32 " s on the primary (stats.large_trx_bytes = %" PRIu64 ")",
                 t->cur.gtid[0] ? t->cur.gtid : "(no GTID)", t->cur.server_id, t->cur.bytes, t->cur.rows,
                 t->cur.tables, t->cur.last_ts - t->cur.first_ts, t->o.large_trx_bytes);
    pend_clear(t);
}

static struct tmap *map_find(struct traffic *t, uint64_t id)
{
    for (uint32_t i = 0; i < t->nmaps; i++)
        if (t->maps[i].table_id == id) return &t->maps[i];
    return NULL;
}

/* The live map of table_id (a new entry when none): a finished statement's maps are
 * dropped first. */
static struct tmap *map_take(struct traffic *t, uint64_t id)
{
    if (t->maps_stale) {
        t->nmaps = 0;
        t->maps_stale = 0;
    }
    struct tmap *m = map_find(t, id);
    if (!m) {
        if (t->nmaps < MAX_MAPS) m = &t->maps[t->nmaps++];
        else m = &t->maps[t->map_next++ % MAX_MAPS];   /* a statement over 256 tables: reuse the oldest */
    }
    m->table_id = id;
    m->ncols = 0;
    return m;
}

/* cols[0..n) into *dst (grown to *cap). 0, or -1 on ENOMEM. */
static int cols_put(struct tm_col **dst, uint32_t *cap, const struct tm_col *cols, uint32_t n)
{
    if (*cap < n) {
        struct tm_col *nc = realloc(*dst, n * sizeof(*nc));
        if (!nc) return -1;
        *dst = nc;
        *cap = n;
    }
    if (n) memcpy(*dst, cols, n * sizeof(*cols));
    return 0;
}

/* What a TABLE_MAP says about its table: the primary-key verdict, counted. */
static void map_verdict(struct traffic *t, int32_t slot, enum tm_pk pk)
{
    if (slot < 0) return;
    if (slot == (int32_t)t->o.max_tables) {
        t->pfolded++;
        return;   /* "(other)": many tables, no single primary-key verdict */
    }
    struct tslot *ts = t->tables[slot];
    if (pk == TM_PK_UNKNOWN) {
        t->pmaps_no++;
        if (!t->said_cannot_tell) {
            t->said_cannot_tell = 1;
            log_info(TAG, "lag doctor: TABLE_MAP of %s carries no primary-key information (the primary's "
                     "binlog_row_metadata is not FULL): tables without a primary key cannot be told", ts->name);
        }
    } else {
        t->pmaps_yes++;
    }
    if (ts->pk != pk) {
        pthread_mutex_lock(&t->mu);
        ts->pk = (uint8_t)pk;
        pthread_mutex_unlock(&t->mu);
    }
}

static void on_table_map(struct traffic *t, const struct ev_view *v, const struct ev_fmt *fmt)
{
    const char *why = NULL;
    /* Every transaction on a table sends the same TABLE_MAP again: a body identical to the
     * last one of its table_id has the same table, columns and verdict. */
    const uint8_t *b;
    size_t blen, ph;
    struct tmcache *c = NULL;
    if (ev_view_body(v, fmt, &b, &blen, &ph, &why) == EV_OK && (ph == 6 || ph >= 8) && blen >= ph) {
        uint64_t id = ph == 6 ? wire_u32(b) : wire_u48(b);
        c = &t->tmc[id % TM_CACHE];
        if (c->slot >= 0 && c->table_id == id && c->len == blen && !memcmp(c->raw, b, blen)) {
            struct tmap *m = map_take(t, id);
            m->slot = c->slot;
            if (!c->ncols) t->pbad++;   /* its columns did not parse, as the first time */
            else if (cols_put(&m->cols, &m->cap, c->cols, c->ncols) == 0) m->ncols = c->ncols;
            map_verdict(t, m->slot, (enum tm_pk)c->pk);
            return;
        }
    }
    struct tm_view tm;
    if (tm_parse(v, fmt, &tm, &why) != EV_OK) {
        t->pbad++;
        log_debug(TAG, "TABLE_MAP not understood: %s", why);
        return;
    }
    struct tmap *m = map_take(t, tm.table_id);
    m->slot = table_slot(t, tm.db, tm.db_len, tm.table, tm.table_len);
    if (m->cap < tm.ncols) {
        struct tm_col *nc = realloc(m->cols, tm.ncols * sizeof(*nc));
        if (!nc) { m->slot = -1; return; }
        m->cols = nc;
        m->cap = tm.ncols;
    }
    if (tm_columns(&tm, m->cols, m->cap, &why) != EV_OK) {
        t->pbad++;
        log_debug(TAG, "TABLE_MAP of %.*s.%.*s: %s", (int)tm.db_len, tm.db, (int)tm.table_len, tm.table, why);
    } else {
        m->ncols = tm.ncols;
    }
    map_verdict(t, m->slot, tm.pk);
    /* Remember it (not on ENOMEM: the next one is parsed again). */
    if (c && m->slot >= 0) {
        c->slot = -1;
        if (c->cap < blen) {
            uint8_t *nr = realloc(c->raw, blen);
            if (!nr) return;
            c->raw = nr;
            c->cap = blen;
        }
        if (cols_put(&c->cols, &c->cols_cap, m->cols, m->ncols) == -1) return;
        memcpy(c->raw, b, blen);
        c->len = blen;
        c->table_id = tm.table_id;
        c->ncols = m->ncols;
        c->pk = (uint8_t)tm.pk;
        c->slot = m->slot;
    }
}

/* Rows of a rows event (its table's slot in *slot, -1 if no map), or 0 with *undecoded. */
static uint64_t on_rows(struct traffic *t, const struct ev_view *v,
                        const struct rows_view *rv, int32_t *slot, int *undecoded)
{
    const char *why = NULL;
    uint64_t n = 0;
    *slot = -1;
    *undecoded = 1;
    if (rv->flags & ROWS_F_STMT_END) t->maps_stale = 1;
    struct tmap *m = map_find(t, rv->table_id);
    if (!m) return 0;
    *slot = m->slot;
    if (!m->ncols) return 0;
    const uint8_t *data = rv->rows;
    size_t len = rv->rows_len;
    if (rv->compressed) {
        size_t want;
        if (rows_inflated_len(rv, &want, &why) != EV_OK || want > MAX_INFLATE) return 0;
        if (t->scratch_cap < want) {
            uint8_t *s = realloc(t->scratch, want ? want : 1);
            if (!s) return 0;
            t->scratch = s;
            t->scratch_cap = want;
        }
        if (rows_inflate(rv, t->scratch, t->scratch_cap, &len, &why) != EV_OK) return 0;
        data = t->scratch;
    }
    enum rows_count_result r = rows_count(rv, m->cols, m->ncols, data, len, &n, &why);
    if (r != ROWS_COUNT_OK) {
        log_debug(TAG, "rows event at log_pos %u not counted (%s): %s", v->h.log_pos, rows_count_result_name(r), why);
        return 0;
    }
    *undecoded = 0;
    return n;
}

void traffic_feed(struct traffic *t, const struct ev_view *v, const struct ev_fmt *fmt, uint64_t now_ms)
{
    const char *why = NULL;
    enum trx_verdict verdict = trx_feed_view(&t->tp, v, fmt, &why);
    traffic_feed_verdict(t, v, fmt, verdict, now_ms);
}

void traffic_feed_verdict(struct traffic *t, const struct ev_view *v, const struct ev_fmt *fmt,
                          enum trx_verdict verdict, uint64_t now_ms)
{
    uint8_t type = v->h.type;
    uint64_t bytes = v->len;
    enum traffic_kind kind = TRAFFIC_OTHER;
    const char *why = NULL;
    uint64_t rows = 0;
    int32_t slot = -1;
    if (verdict == TRX_INSIDE && !t->in_trx) {
        t->in_trx = 1;
        t->cur.first_ts = v->h.timestamp;
        t->cur.server_id = v->h.server_id;
    }
    if (t->in_trx || verdict == TRX_GROUP_END) {
        t->cur.bytes += bytes;
        t->cur.last_ts = v->h.timestamp;
        if (!t->cur.first_ts) t->cur.first_ts = v->h.timestamp;
    }

    struct rows_view rv;
    if (type == EV_TABLE_MAP) {
        kind = TRAFFIC_TABLE_MAP;
        on_table_map(t, v, fmt);
    } else if (rows_event_type(type, NULL, NULL, NULL)) {
        if (rows_parse(v, fmt, &rv, &why) != EV_OK) {
            t->pbad++;
            kind = TRAFFIC_OTHER;
        } else {
            int undecoded;
            kind = rv.kind == ROWS_WRITE ? TRAFFIC_WRITE_ROWS : rv.kind == ROWS_UPDATE ? TRAFFIC_UPDATE_ROWS
                                                                                       : TRAFFIC_DELETE_ROWS;
            rows = on_rows(t, v, &rv, &slot, &undecoded);
            if (undecoded) {
                t->pundecoded++;
                t->pkind_undecoded[kind]++;
            }
            if (slot >= 0) {
                struct pend *p = pend_for(t, slot);
                if (p) {
                    p->events++;
                    p->bytes += bytes;
                    p->undecoded += (uint64_t)undecoded;
                    if (kind == TRAFFIC_WRITE_ROWS) p->ins += rows;
                    else if (kind == TRAFFIC_UPDATE_ROWS) p->upd += rows;
                    else p->del += rows;
                    if (kind != TRAFFIC_WRITE_ROWS) {
                        if (!p->changed_events) p->first_ts = v->h.timestamp;
                        p->last_ts = v->h.timestamp;
                        p->changed_rows += rows;
                        p->changed_bytes += bytes;
                        p->changed_events++;
                    }
                }
                if (slot == (int32_t)t->o.max_tables) t->pfolded++;
            }
            if (kind == TRAFFIC_WRITE_ROWS) t->pkind_ins += rows;
            else if (kind == TRAFFIC_UPDATE_ROWS) t->pkind_upd += rows;
            else t->pkind_del += rows;
        }
    } else if (type == EV_QUERY || type == EV_QUERY_COMPRESSED) {
        struct ev_query q;
        if (type == EV_QUERY_COMPRESSED) {
            kind = TRAFFIC_STATEMENT;   /* its text is compressed: not worth inflating to classify */
        } else if (ev_view_query(v, fmt, &q, &why) != EV_OK) {
            t->pbad++;
        } else {
            kind = traffic_query_kind(q.sql, q.sql_len);
            if (kind != TRAFFIC_TRX_CONTROL) {
                slot = q.db_len ? table_slot(t, q.db, q.db_len, "*", 1) : table_slot(t, "(none)", 6, "*", 1);
                struct pend *p = slot >= 0 ? pend_for(t, slot) : NULL;
                if (p) {
                    p->events++;
                    p->bytes += bytes;
                }
                if (slot == (int32_t)t->o.max_tables) t->pfolded++;
            }
        }
    } else if (type == EV_MARIA_GTID || type == EV_MYSQL_GTID || type == EV_ANONYMOUS_GTID || type == EV_XID ||
               type == EV_XA_PREPARE) {
        kind = TRAFFIC_TRX_CONTROL;
        /* The GTID's text is written only if the transaction is kept (cur_gtid_text). */
        if (type == EV_MARIA_GTID) {
            struct ev_maria_gtid g;
            if (ev_view_maria_gtid(v, fmt, &g, &why) == EV_OK) {
                t->cur_gtid_kind = 1;
                t->cur_domain = g.domain_id;
                t->cur_seq = g.seq_no;
                t->cur.server_id = g.server_id;
            }
        } else if (type == EV_MYSQL_GTID) {
            struct ev_mysql_gtid g;
            if (ev_view_mysql_gtid(v, fmt, &g, &why) == EV_OK) {
                t->cur_gtid_kind = 2;
                memcpy(t->cur_sid, g.sid, 16);
                t->cur_seq = (uint64_t)g.gno;
            }
        }
    }
    t->pkind[kind].events++;
    t->pkind[kind].rows += rows;
    t->pkind[kind].bytes += bytes;
    pend_server(t, v->h.server_id, rows, bytes);

    if (verdict == TRX_INSIDE) return;   /* held back until the group ends */
    apply(t, now_ms, verdict == TRX_GROUP_END || (verdict == TRX_BAD && t->in_trx));
    if (verdict == TRX_BAD) trx_init(&t->tp);
}
