/* traffic_metrics.c - see traffic_metrics.h. */
#include "server/ops/traffic_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NL(a) (sizeof(a) / sizeof((a)[0]))
#define OTHER "(other)"

void ops_series_free(struct ops_series *set)
{
    for (size_t i = 0; i < set->n; i++) free(set->names[i]);
    free(set->names);
    memset(set, 0, sizeof(*set));
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Is name among the first n (sorted) names of set? */
static int series_has(const struct ops_series *set, size_t n, const char *name)
{
    return n && bsearch(&name, set->names, n, sizeof(*set->names), cmp_str) != NULL;
}

size_t ops_series_pick(struct ops_series *set, size_t max, const struct traffic_row *rows, size_t n, unsigned char *marks)
{
    if (set->n > max) {
        for (size_t i = 0; i < set->n; i++) free(set->names[i]);
        set->n = 0;
    }
    /* names[0..old) are sorted; names added by this call go after them. Row names are
     * unique within a snapshot, so a row is only ever looked up among the old ones. */
    size_t old = set->n, folded = 0;
    for (size_t i = 0; i < n; i++) {
        marks[i] = 0;
        if (!strcmp(rows[i].name, OTHER)) {
            folded++;
            continue;
        }
        if (series_has(set, old, rows[i].name)) {
            marks[i] = 1;
            continue;
        }
        if (set->n < max) {
            if (set->n == set->cap) {
                size_t nc = set->cap ? set->cap * 2 : 32;
                char **nn = realloc(set->names, nc * sizeof(*nn));
                if (!nn) { folded++; continue; }
                set->names = nn;
                set->cap = nc;
            }
            char *d = strdup(rows[i].name);
            if (!d) { folded++; continue; }
            set->names[set->n++] = d;
            marks[i] = 1;
            continue;
        }
        folded++;
    }
    if (set->n != old) qsort(set->names, set->n, sizeof(*set->names), cmp_str);
    return folded;
}

static void gauge_u64(struct prom *p, const char *name, const char *help, uint64_t v)
{
    if (prom_family(p, name, PROM_GAUGE, help) == 0) prom_sample_u64(p, "", NULL, 0, v);
}

static void counter(struct prom *p, const char *name, const char *help, uint64_t v)
{
    if (prom_family(p, name, PROM_COUNTER, help) == 0) prom_sample_u64(p, "", NULL, 0, v);
}

static void kinds(struct prom *p, const struct traffic_snapshot *t)
{
    if (prom_family(p, "binlogd_traffic_events_total", PROM_COUNTER,
                    "events stored, by kind (SHOW BINLOG STATISTICS BY KIND Events)") == 0)
        for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) {
            struct prom_label l[] = {{"kind", t->kinds[k].name}};
            prom_sample_u64(p, "", l, NL(l), t->kinds[k].events);
        }
    if (prom_family(p, "binlogd_traffic_bytes_total", PROM_COUNTER,
                    "event bytes stored, by kind (BY KIND Bytes; the kinds add up to every byte stored)") == 0)
        for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) {
            struct prom_label l[] = {{"kind", t->kinds[k].name}};
            prom_sample_u64(p, "", l, NL(l), t->kinds[k].bytes);
        }
    if (prom_family(p, "binlogd_traffic_rows_total", PROM_COUNTER,
                    "rows changed by row events, by operation (an UPDATE row is one before/after pair)") == 0) {
        const uint64_t v[3] = {t->kinds[TRAFFIC_WRITE_ROWS].rows_ins, t->kinds[TRAFFIC_UPDATE_ROWS].rows_upd,
                               t->kinds[TRAFFIC_DELETE_ROWS].rows_del};
        static const char *const ops[3] = {"insert", "update", "delete"};
        for (int i = 0; i < 3; i++) {
            struct prom_label l[] = {{"op", ops[i]}};
            prom_sample_u64(p, "", l, NL(l), v[i]);
        }
    }
    counter(p, "binlogd_traffic_transactions_total", "transactions ended (GTID or BEGIN to XID or COMMIT), counted "
            "once when they end", t->c.trx);
}

/* Sum rows[i] with marks[i] == 0 into *o (named "(other)"). */
static void fold(const struct traffic_row *rows, size_t n, const unsigned char *marks, struct traffic_row *o)
{
    memset(o, 0, sizeof(*o));
    o->name = OTHER;
    for (size_t i = 0; i < n; i++) {
        if (marks[i]) continue;
        o->events += rows[i].events;
        o->rows_ins += rows[i].rows_ins;
        o->rows_upd += rows[i].rows_upd;
        o->rows_del += rows[i].rows_del;
        o->bytes += rows[i].bytes;
        o->trx += rows[i].trx;
    }
}

/* Labels of a table row: db and table split at db_len; "(other)" for both when folded. */
static size_t table_labels(const struct traffic_row *r, int folded, char *db, size_t dbcap, struct prom_label *l)
{
    if (folded || !r->db_len) {
        l[0] = (struct prom_label){"db", OTHER};
        l[1] = (struct prom_label){"table", OTHER};
        return 2;
    }
    snprintf(db, dbcap, "%.*s", (int)r->db_len, r->name);
    l[0] = (struct prom_label){"db", db};
    l[1] = (struct prom_label){"table", r->name + r->db_len + 1};
    return 2;
}

enum fam { F_EVENTS, F_BYTES, F_TRX, F_ROWS };

static uint64_t fam_value(const struct traffic_row *r, enum fam f)
{
    return f == F_EVENTS ? r->events : f == F_BYTES ? r->bytes : r->trx;
}

static void tables(struct prom *p, const struct traffic_snapshot *t, size_t max, struct ops_series *set)
{
    unsigned char *marks = calloc(t->ntables ? t->ntables : 1, 1);
    if (!marks) return;
    size_t folded = ops_series_pick(set, max, t->tables, t->ntables, marks);
    struct traffic_row other;
    fold(t->tables, t->ntables, marks, &other);
    gauge_u64(p, "binlogd_traffic_table_series_folded", "tables (and the statistics' own \"(other)\" row) summed "
              "under db=\"(other)\",table=\"(other)\": beyond metrics.traffic_series", folded);
    static const struct { const char *name, *help; enum fam f; } fam[] = {
        {"binlogd_traffic_table_events_total", "events of the table: its rows events, or QUERY events under "
         "table=\"*\" of their default database (SHOW BINLOG STATISTICS Events)", F_EVENTS},
        {"binlogd_traffic_table_bytes_total", "bytes of those events (SHOW BINLOG STATISTICS Bytes)", F_BYTES},
        {"binlogd_traffic_table_transactions_total", "transactions that touched the table (Transactions)", F_TRX},
        {"binlogd_traffic_table_rows_total", "rows of the table changed by row events, by operation "
         "(Rows_inserted, Rows_updated, Rows_deleted)", F_ROWS},
    };
    char db[300];
    for (size_t f = 0; f < NL(fam); f++) {
        if (prom_family(p, fam[f].name, PROM_COUNTER, fam[f].help) == -1) continue;
        for (size_t i = 0; i <= t->ntables; i++) {
            int is_other = i == t->ntables;
            if (is_other ? !folded : !marks[i]) continue;
            const struct traffic_row *r = is_other ? &other : &t->tables[i];
            struct prom_label l[3];
            size_t nl = table_labels(r, is_other, db, sizeof(db), l);
            if (fam[f].f != F_ROWS) {
                prom_sample_u64(p, "", l, nl, fam_value(r, fam[f].f));
                continue;
            }
            static const char *const ops[3] = {"insert", "update", "delete"};
            const uint64_t v[3] = {r->rows_ins, r->rows_upd, r->rows_del};
            for (int k = 0; k < 3; k++) {
                l[2] = (struct prom_label){"op", ops[k]};
                prom_sample_u64(p, "", l, 3, v[k]);
            }
        }
    }
    free(marks);
}

static void servers(struct prom *p, const struct traffic_snapshot *t, size_t max, struct ops_series *set)
{
    unsigned char *marks = calloc(t->nservers ? t->nservers : 1, 1);
    if (!marks) return;
    size_t folded = ops_series_pick(set, max, t->servers, t->nservers, marks);
    struct traffic_row other;
    fold(t->servers, t->nservers, marks, &other);
    gauge_u64(p, "binlogd_traffic_server_series_folded", "originating server_ids summed under server_id=\"(other)\": "
              "beyond metrics.traffic_series", folded);
    static const struct { const char *name, *help; enum fam f; } fam[] = {
        {"binlogd_traffic_server_events_total", "events by the server_id in their header: the server that first "
         "wrote them (SHOW BINLOG STATISTICS BY SERVER Events)", F_EVENTS},
        {"binlogd_traffic_server_bytes_total", "bytes of those events (BY SERVER Bytes)", F_BYTES},
        {"binlogd_traffic_server_transactions_total", "transactions by the server_id of their first event "
         "(BY SERVER Transactions)", F_TRX},
    };
    for (size_t f = 0; f < NL(fam); f++) {
        if (prom_family(p, fam[f].name, PROM_COUNTER, fam[f].help) == -1) continue;
        for (size_t i = 0; i <= t->nservers; i++) {
            int is_other = i == t->nservers;
            if (is_other ? !folded : !marks[i]) continue;
            const struct traffic_row *r = is_other ? &other : &t->servers[i];
            struct prom_label l[] = {{"server_id", r->name}};
            prom_sample_u64(p, "", l, NL(l), fam_value(r, fam[f].f));
        }
    }
    free(marks);
}

static void doctor(struct prom *p, const struct traffic_snapshot *t)
{
    const struct traffic_counters *c = &t->c;
    gauge_u64(p, "binlogd_lag_doctor_tables_without_primary_key", "tables without a primary key that received "
              "UPDATE/DELETE row events (SHOW BINLOG LAG DOCTOR no_primary_key rows; needs binlog_row_metadata=FULL)",
              c->nopk_tables);
    counter(p, "binlogd_lag_doctor_rows_without_primary_key_total", "rows updated or deleted in those tables: each is "
            "a table scan on a row-based replica", c->nopk_rows);
    counter(p, "binlogd_lag_doctor_large_transactions_total", "transactions of stats.large_trx_bytes or more "
            "(LAG DOCTOR large_transaction)", c->large_trx);
    gauge_u64(p, "binlogd_lag_doctor_large_transaction_threshold_bytes", "stats.large_trx_bytes", t->large_trx_bytes);
    if (prom_family(p, "binlogd_lag_doctor_table_maps_total", PROM_COUNTER,
                    "TABLE_MAP events by whether they carry primary-key information (binlog_row_metadata=FULL)") == 0) {
        struct prom_label yes[] = {{"primary_key_info", "yes"}}, no[] = {{"primary_key_info", "no"}};
        prom_sample_u64(p, "", yes, 1, c->maps_with_pk_info);
        prom_sample_u64(p, "", no, 1, c->maps_without_pk_info);
    }
    gauge_u64(p, "binlogd_lag_doctor_cannot_tell", "1 when TABLE_MAP events without primary-key information were "
              "seen: tables without a primary key cannot (all) be told (LAG DOCTOR cannot_tell)",
              c->maps_without_pk_info ? 1 : 0);
    gauge_u64(p, "binlogd_traffic_largest_transaction_bytes", "size of the largest transaction that ended in the "
              "last hour (SHOW BINLOG TOP TRANSACTIONS first row; 0 = none)", t->ntop ? t->top[0].bytes : 0);
}

void traffic_metrics_write(struct prom *p, const struct traffic_snapshot *t, size_t max_series,
                           struct ops_series *tables_set, struct ops_series *servers_set)
{
    gauge_u64(p, "binlogd_traffic_enabled", "1 when traffic statistics and the lag doctor run (stats.enabled)",
              t != NULL);
    if (!t) return;
    kinds(p, t);
    gauge_u64(p, "binlogd_traffic_tables", "tables tracked by name (at most stats.max_tables)", t->c.tables);
    counter(p, "binlogd_traffic_folded_events_total", "events of tables beyond stats.max_tables, counted under the "
            "statistics' \"(other)\" table", t->c.folded_events);
    counter(p, "binlogd_traffic_undecoded_events_total", "rows events whose rows could not be counted (a column type "
            "binlogd cannot size, or no TABLE_MAP); their bytes still count", t->c.undecoded_rows_events);
    counter(p, "binlogd_traffic_unparsed_events_total", "TABLE_MAP, rows or QUERY events whose body did not parse",
            t->c.bad_events);
    tables(p, t, max_series, tables_set);
    servers(p, t, max_series, servers_set);
    doctor(p, t);
}
