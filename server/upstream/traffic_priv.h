/*
 * traffic_priv.h - the accumulator's state, shared by traffic.c (the ingest side: feed,
 * hold back, apply) and traffic_snapshot.c (the read side). Only those two include it.
 *
 * Ownership: the ingest thread alone writes; it takes `mu` to apply (and to add a table or
 * a server); readers take `mu` to copy. Fields marked "ingest only" are never read by a
 * reader and need no lock.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_TRAFFIC_PRIV_H
#define BINLOGD_SERVER_UPSTREAM_TRAFFIC_PRIV_H

#include <pthread.h>
#include <stdint.h>

#include "protocol/table_map.h"
#include "protocol/trx.h"
#include "server/upstream/traffic.h"

#define RING 60   /* 60 x 1 s and 60 x 1 min */

struct bucket {
    uint32_t t;                 /* second (or minute) this bucket holds; older: stale */
    uint32_t events, rows, trx;
    uint64_t bytes;
};

struct tstat {
    uint64_t events, ins, upd, del, bytes, trx, undecoded;
    struct bucket sec[RING], min[RING];
};

struct tslot {                  /* a table, "db.*" or "(other)" */
    char *name;
    size_t db_len;              /* name = db "." rest; for lookups */
    struct tstat st;
    uint8_t pk;                 /* enum tm_pk of the last TABLE_MAP */
    uint32_t nopk_first, nopk_last;
    uint64_t nopk_rows, nopk_bytes, nopk_events;
    uint64_t last_warn_ms;      /* ingest only */
    int warned;                 /* ingest only */
};

struct sslot {                  /* an originating server_id, or "(other)" */
    char name[16];
    uint32_t server_id;
    struct tstat st;
};

struct topbucket {              /* largest transactions that ended in one minute */
    uint32_t m;
    uint32_t n;
    struct traffic_trx e[TRAFFIC_TOP_K];
};

/* A table map in force (ingest only). */
struct tmap {
    uint64_t table_id;
    int32_t slot;
    uint32_t ncols, cap;
    struct tm_col *cols;
};

/* The last TABLE_MAP body seen for a table_id (ingest only): a TABLE_MAP whose body is
 * byte-identical (the same table, columns and metadata: what every transaction on the same
 * table sends again) reuses its verdict instead of parsing, hashing and looking up the
 * table again. Direct-mapped by table_id. */
struct tmcache {
    uint64_t table_id;
    uint8_t *raw;               /* the event body (post-header onwards, no checksum) */
    size_t len, cap;
    int32_t slot;               /* -1: empty */
    uint8_t pk;                 /* enum tm_pk */
    uint32_t ncols;             /* 0: the columns did not parse (rows are not counted) */
    struct tm_col *cols;
    uint32_t cols_cap;
};

#define TM_CACHE 256

/* What a transaction in flight did to one table (ingest only, applied at its end). */
struct pend {
    int32_t slot;
    uint64_t events, ins, upd, del, bytes, undecoded;
    uint32_t first_ts, last_ts; /* of its UPDATE/DELETE rows events (doctor) */
    uint64_t changed_rows, changed_bytes, changed_events;
};

struct pserver { uint32_t server_id; uint64_t events, rows, bytes; };

#define MAX_MAPS 256
#define MAX_PSERVERS 8

struct traffic {
    struct traffic_opts o;
    pthread_mutex_t mu;

    /* read side (under mu) */
    struct tslot **tables;      /* [0 .. o.max_tables]: the last one is "(other)" */
    uint32_t ntables;           /* named tables in use */
    struct tslot *other;        /* tables[o.max_tables] once used, else NULL */
    struct sslot *servers;      /* [0 .. TRAFFIC_MAX_SERVERS] */
    uint32_t nservers;
    struct sslot *other_server;
    struct tstat kinds[TRAFFIC_KIND_COUNT];
    struct topbucket top[RING];
    struct traffic_trx large[TRAFFIC_LARGE_KEEP];
    uint32_t nlarge, large_next;
    struct traffic_counters c;

    /* ingest only */
    int32_t *hash;              /* open addressing: slot index or -1 */
    size_t hash_mask;
    struct tmap maps[MAX_MAPS];
    uint32_t nmaps, map_next;
    int maps_stale;             /* a statement ended: the next TABLE_MAP starts a new set */
    struct trx_parser tp;
    int in_trx;
    struct traffic_trx cur;     /* cur.gtid is filled from the fields below when needed */
    int cur_gtid_kind;          /* 0 none, 1 MariaDB (domain, server, seq), 2 MySQL (sid, gno) */
    uint32_t cur_domain;
    uint64_t cur_seq;
    uint8_t cur_sid[16];
    struct tmcache tmc[TM_CACHE];
    uint64_t trx_gen;
    uint64_t *pend_gen;         /* per slot: which trx its pend entry belongs to */
    uint32_t *pend_idx;
    struct pend *pend;
    uint32_t npend, pend_cap;
    struct pserver pserv[MAX_PSERVERS];
    uint32_t npserv;
    struct traffic_window pkind[TRAFFIC_KIND_COUNT];
    uint64_t pkind_ins, pkind_upd, pkind_del, pkind_undecoded[TRAFFIC_KIND_COUNT];
    uint64_t pfolded, pundecoded, pbad, pmaps_no, pmaps_yes;
    int said_cannot_tell;
    uint8_t *scratch;           /* inflated compressed rows */
    size_t scratch_cap;
};

/* traffic_snapshot.c: add to a stat's counters and rings at now_s (under mu). */
void traffic_stat_add(struct tstat *s, uint32_t now_s, uint64_t events, uint64_t rows, uint64_t bytes,
                      uint64_t trx);

#endif
