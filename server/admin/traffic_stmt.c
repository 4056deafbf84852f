/* traffic_stmt.c - see traffic_stmt.h. */
#include "server/admin/traffic_stmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/upstream/ingest.h"
#include "server/upstream/traffic.h"

static const char *const stat_cols[] = {
    "Table", "Events", "Rows_inserted", "Rows_updated", "Rows_deleted", "Bytes", "Transactions",
    "Rows_last_minute", "Bytes_last_minute", "Rows_last_hour", "Bytes_last_hour", "Events_last_hour",
    "Transactions_last_hour", "Undecoded_events"};
#define NSTAT (sizeof(stat_cols) / sizeof(stat_cols[0]))

static struct traffic_snapshot *snap(const struct stmt_ctx *c, const char *like, size_t like_len,
                                     struct stmt_result *r)
{
    if (!c->traffic) {
        stmt_errf(r, 1105, "binlog statistics are off (stats.enabled = off)");
        return NULL;
    }
    struct traffic_snapshot *s = traffic_snapshot_take(c->traffic, ingest_now_ms(), like, like_len);
    if (!s) stmt_errf(r, 1037, "Out of memory");
    return s;
}

static void u64s(char *b, uint64_t v) { snprintf(b, 24, "%" PRIu64, v); }

static void when(char *b, size_t cap, uint32_t ts)
{
    time_t t = (time_t)ts;
    struct tm tm;
    if (!ts || !gmtime_r(&t, &tm)) {
        snprintf(b, cap, "%s", "");
        return;
    }
    strftime(b, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static int stat_row(struct stmt_result *r, const struct traffic_row *row)
{
    char v[NSTAT][24];
    const char *cells[NSTAT];
    uint64_t n[NSTAT] = {0, row->events, row->rows_ins, row->rows_upd, row->rows_del, row->bytes, row->trx,
                         row->minute.rows, row->minute.bytes, row->hour.rows, row->hour.bytes, row->hour.events,
                         row->hour.trx, row->undecoded};
    cells[0] = row->name;
    for (size_t i = 1; i < NSTAT; i++) {
        u64s(v[i], n[i]);
        cells[i] = v[i];
    }
    return stmt_row(r, cells);
}

void traffic_stmt_statistics(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    int by_table = q->stats_by == QSTATS_BY_TABLE;
    struct traffic_snapshot *s = snap(c, by_table ? q->like : NULL, q->like_len, r);
    if (!s) return;
    const char *names[NSTAT];
    memcpy(names, stat_cols, sizeof(names));
    names[0] = q->stats_by == QSTATS_BY_SERVER ? "Server_id" : q->stats_by == QSTATS_BY_KIND ? "Kind" : "Table";
    if (stmt_columns(r, names, NSTAT) == 0) {
        for (size_t i = 1; i < NSTAT; i++) stmt_column_type(r, i, STMT_COL_LONGLONG);
        const struct traffic_row *rows = by_table ? s->tables : q->stats_by == QSTATS_BY_SERVER ? s->servers : s->kinds;
        size_t n = by_table ? s->ntables : q->stats_by == QSTATS_BY_SERVER ? s->nservers : TRAFFIC_KIND_COUNT;
        for (size_t i = 0; i < n; i++) {
            if (!by_table && q->like && !query_like_match(q->like, q->like_len, rows[i].name, strlen(rows[i].name)))
                continue;
            if (stat_row(r, &rows[i]) == -1) break;
        }
    }
    traffic_snapshot_free(s);
}

void traffic_stmt_top(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    static const char *const names[] = {"Gtid", "Server_id", "Bytes", "Rows", "Tables", "Primary_seconds",
                                        "Started_at"};
    struct traffic_snapshot *s = snap(c, NULL, 0, r);
    if (!s) return;
    if (stmt_columns(r, names, 7) == 0) {
        for (size_t i = 1; i < 6; i++) stmt_column_type(r, i, STMT_COL_LONGLONG);
        size_t n = s->ntop;
        if (q->has_limit && q->limit < n) n = (size_t)q->limit;
        for (size_t i = 0; i < n; i++) {
            const struct traffic_trx *x = &s->top[i];
            char v[5][24], at[32];
            u64s(v[0], x->server_id);
            u64s(v[1], x->bytes);
            u64s(v[2], x->rows);
            u64s(v[3], x->tables);
            u64s(v[4], x->last_ts >= x->first_ts ? x->last_ts - x->first_ts : 0);
            when(at, sizeof(at), x->first_ts);
            const char *cells[7] = {x->gtid[0] ? x->gtid : NULL, v[0], v[1], v[2], v[3], v[4], at};
            if (stmt_row(r, cells) == -1) break;
        }
    }
    traffic_snapshot_free(s);
}

void traffic_stmt_doctor(const struct stmt_ctx *c, struct stmt_result *r)
{
    static const char *const names[] = {"Finding", "Subject", "First_seen", "Last_seen", "Events", "Rows",
                                        "Bytes", "Detail"};
    struct traffic_snapshot *s = snap(c, NULL, 0, r);
    if (!s) return;
    if (stmt_columns(r, names, 8) == 0) {
        for (size_t i = 4; i < 7; i++) stmt_column_type(r, i, STMT_COL_LONGLONG);
        char v[3][24], first[32], last[32], detail[256];
        if (s->c.maps_without_pk_info) {
            u64s(v[0], s->c.maps_without_pk_info);
            snprintf(detail, sizeof(detail), "%s",
                     s->c.maps_with_pk_info
                         ? "some TABLE_MAP events carry no primary-key information: tables without a primary key "
                           "cannot all be told (binlog_row_metadata=FULL on the primary)"
                         : "the primary's TABLE_MAP events carry no primary-key information: tables without a "
                           "primary key cannot be told (set binlog_row_metadata=FULL on the primary)");
            const char *cells[8] = {"cannot_tell", "(primary)", NULL, NULL, v[0], NULL, NULL, detail};
            stmt_row(r, cells);
        }
        for (size_t i = 0; i < s->nnopk; i++) {
            const struct traffic_nopk *f = &s->nopk[i];
            u64s(v[0], f->events);
            u64s(v[1], f->rows);
            u64s(v[2], f->bytes);
            when(first, sizeof(first), f->first_ts);
            when(last, sizeof(last), f->last_ts);
            const char *cells[8] = {"no_primary_key", f->table, first, last, v[0], v[1], v[2],
                                    "UPDATE/DELETE row events on a table without a primary key: a row-based "
                                    "replica scans the table for every row changed"};
            if (stmt_row(r, cells) == -1) break;
        }
        for (size_t i = 0; i < s->nlarge; i++) {
            const struct traffic_trx *x = &s->large[i];
            u64s(v[1], x->rows);
            u64s(v[2], x->bytes);
            when(first, sizeof(first), x->first_ts);
            when(last, sizeof(last), x->last_ts);
            snprintf(detail, sizeof(detail), "transaction of %" PRIu64 " bytes (stats.large_trx_bytes = %" PRIu64
                     ") from server_id %" PRIu32 ", %" PRIu32 " tables", x->bytes, s->large_trx_bytes, x->server_id,
                     x->tables);
            const char *cells[8] = {"large_transaction", x->gtid[0] ? x->gtid : "(no GTID)", first, last, NULL,
                                    v[1], v[2], detail};
            if (stmt_row(r, cells) == -1) break;
        }
    }
    traffic_snapshot_free(s);
}
