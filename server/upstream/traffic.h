/*
 * traffic.h - where the binlog traffic comes from, and the lag doctor. Computed on the
 * ingest path from the view of each event the store accepted (ingest_stream.c hands it
 * over; the header is not parsed again, only the bodies of TABLE_MAP, rows and QUERY
 * events are read):
 *
 *   per table ("db.table" from TABLE_MAP and the rows events that follow it; QUERY events
 *   count under "db.*"), per originating server_id and per event kind: events, rows
 *   (inserted / updated / deleted), bytes and transactions, since start and over the last
 *   minute (60 x 1 s buckets) and hour (60 x 1 min buckets) of arrival time;
 *   the largest transactions of the last hour (top TRAFFIC_TOP_K per minute, merged);
 *   the lag doctor: tables without a primary key that receive UPDATE/DELETE rows (needs
 *   binlog_row_metadata=FULL on the primary), and transactions of stats.large_trx_bytes
 *   or more.
 *
 * A transaction's figures are held back until it ends and then applied at once (one lock
 * per transaction, not per event), so a transaction rolled back at a reconnect (and sent
 * again) is not counted twice. Events outside transactions are applied as they come.
 *
 * Memory is bounded: stats.max_tables tables (about 3 KiB each) and TRAFFIC_MAX_SERVERS
 * server ids by name; more fold into "(other)" (counted). Names given out (struct
 * traffic_row.name) stay valid until traffic_free.
 *
 * Threads: the ingest thread feeds (traffic_feed, traffic_stream_reset); any thread reads
 * (traffic_snapshot_take, traffic_counters_get) under a mutex the feeder holds only to
 * apply a finished transaction. A snapshot copies the tables in chunks of 256 under the
 * lock, so a reader never holds the ingest thread up for long; each row is consistent,
 * rows may be from moments a few microseconds apart.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_TRAFFIC_H
#define BINLOGD_SERVER_UPSTREAM_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"
#include "protocol/trx.h"

#define TRAFFIC_TOP_K        10     /* largest transactions kept per minute (and shown) */
#define TRAFFIC_MAX_SERVERS  256    /* originating server_ids tracked by name */
#define TRAFFIC_LARGE_KEEP   32     /* most recent large transactions listed */
#define TRAFFIC_GTID_MAX     64     /* "domain-server-seq" or "uuid:gno" */

enum traffic_kind {
    TRAFFIC_WRITE_ROWS = 0,   /* WRITE_ROWS events: rows inserted */
    TRAFFIC_UPDATE_ROWS,      /* UPDATE_ROWS events */
    TRAFFIC_DELETE_ROWS,      /* DELETE_ROWS events */
    TRAFFIC_DDL,              /* QUERY: CREATE, ALTER, DROP, RENAME, TRUNCATE, ... */
    TRAFFIC_STATEMENT,        /* QUERY: any other statement (statement-based DML, ...) */
    TRAFFIC_TABLE_MAP,
    TRAFFIC_TRX_CONTROL,      /* GTID, XID, BEGIN / COMMIT / ROLLBACK / XA QUERY events */
    TRAFFIC_OTHER,            /* FORMAT_DESCRIPTION, ROTATE, GTID_LIST, ANNOTATE_ROWS, ... */
    TRAFFIC_KIND_COUNT
};

struct traffic_opts {
    uint32_t max_tables;        /* stats.max_tables (>= 1) */
    uint64_t large_trx_bytes;   /* stats.large_trx_bytes */
};

struct traffic_window { uint64_t events, rows, bytes, trx; };

/* One line of a breakdown (a table, a server_id or a kind). */
struct traffic_row {
    const char *name;           /* "db.table", "db.*", "(other)", "12" (server_id), "write_rows" */
    size_t db_len;              /* a table row: name[0..db_len) is the database, the table follows
                                   the '.' (names may hold dots); 0 for "(other)" and other rows */
    uint64_t events, rows_ins, rows_upd, rows_del, bytes, trx;
    uint64_t undecoded;         /* rows events whose rows could not be counted (unknown type, no map) */
    struct traffic_window minute, hour;
};

/* A transaction, for the top list and the lag doctor. */
struct traffic_trx {
    char gtid[TRAFFIC_GTID_MAX];   /* "" when the group had no GTID event */
    uint32_t server_id;
    uint64_t bytes, rows;
    uint32_t tables;            /* tables (and db.* statement groups) it touched */
    uint32_t first_ts, last_ts; /* primary's timestamps of its first and last event */
    uint64_t end_ms;            /* when it ended here (caller's clock) */
};

/* A table without a primary key that received UPDATE/DELETE rows. */
struct traffic_nopk {
    const char *table;
    uint32_t first_ts, last_ts; /* primary's timestamps of the first and last such event */
    uint64_t rows, bytes, events;
};

struct traffic_counters {
    uint64_t events, bytes, trx;
    uint64_t tables;                /* tracked by name */
    uint64_t folded_events;         /* events counted under "(other)": max_tables reached */
    uint64_t undecoded_rows_events; /* rows events whose rows could not be counted */
    uint64_t bad_events;            /* TABLE_MAP / rows / QUERY bodies that did not parse */
    uint64_t maps_without_pk_info;  /* TABLE_MAPs without FULL metadata (no primary-key info) */
    uint64_t maps_with_pk_info;
    uint64_t nopk_tables;           /* lag doctor: tables flagged */
    uint64_t nopk_rows;             /* rows updated / deleted in them */
    uint64_t large_trx;             /* lag doctor: transactions >= large_trx_bytes */
};

struct traffic_snapshot {
    uint64_t now_ms;
    uint64_t large_trx_bytes;
    struct traffic_counters c;
    size_t ntables;             /* matching the filter, sorted by bytes (largest first) */
    struct traffic_row *tables;
    size_t nservers;            /* sorted by bytes */
    struct traffic_row *servers;
    struct traffic_row kinds[TRAFFIC_KIND_COUNT];
    size_t ntop;                /* largest transactions of the last hour, largest first */
    struct traffic_trx top[TRAFFIC_TOP_K];
    size_t nnopk;
    struct traffic_nopk *nopk;
    size_t nlarge;              /* most recent first */
    struct traffic_trx large[TRAFFIC_LARGE_KEEP];
};

struct traffic;

/* A new accumulator (opts copied). NULL on ENOMEM. Any thread; before the ingest starts. */
struct traffic *traffic_new(const struct traffic_opts *opts);
void traffic_free(struct traffic *t);

/* A new upstream stream begins (a session connects): drop the transaction in flight (its
 * events will come again) and the table maps. Ingest thread. */
void traffic_stream_reset(struct traffic *t);

/* One event the store accepted (v framed and checked by ev_view_parse; fmt: the current
 * file's format). now_ms: the caller's monotonic clock (ingest_now_ms), which the minute
 * and hour windows are measured in. Never fails: a body that does not parse is counted as
 * bad_events and the event under its kind. Ingest thread. */
void traffic_feed(struct traffic *t, const struct ev_view *v, const struct ev_fmt *fmt, uint64_t now_ms);

/* traffic_feed with the event's transaction verdict as the caller's parser already computed
 * it (the store's, store_last_verdict; TRX_OUTSIDE for a FORMAT_DESCRIPTION), so the
 * statistics do not run a second one. The caller feeds every event of the stream to the
 * same parser in order (never TRX_BAD: the store refused those). Ingest thread. */
void traffic_feed_verdict(struct traffic *t, const struct ev_view *v, const struct ev_fmt *fmt,
                          enum trx_verdict verdict, uint64_t now_ms);

/* Everything, as of now_ms (same clock as traffic_feed): counters, the tables whose name
 * matches the SQL LIKE pattern like[0..like_len) (NULL = all), servers, kinds, top
 * transactions, doctor findings. Owned by the caller: traffic_snapshot_free. NULL on
 * ENOMEM. Any thread (takes the lock in short chunks). The snapshot API for the metrics
 * and status page code. */
struct traffic_snapshot *traffic_snapshot_take(struct traffic *t, uint64_t now_ms, const char *like, size_t like_len);
void traffic_snapshot_free(struct traffic_snapshot *s);

/* The counters only (cheap: one short lock). Any thread. */
void traffic_counters_get(struct traffic *t, struct traffic_counters *c);

const char *traffic_kind_name(enum traffic_kind k);

/* The kind of a QUERY text: TRAFFIC_TRX_CONTROL (BEGIN, COMMIT, ROLLBACK, XA, SAVEPOINT),
 * TRAFFIC_DDL (CREATE, ALTER, DROP, RENAME, TRUNCATE, GRANT, REVOKE, ...) or
 * TRAFFIC_STATEMENT. Leading blanks and comments are skipped. Pure. */
enum traffic_kind traffic_query_kind(const char *sql, size_t len);

#endif
