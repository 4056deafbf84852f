/*
 * table_map.h - TABLE_MAP_EVENT (19): which table a rows event's table_id names, the column
 * types and their metadata (needed to walk row images), and the optional metadata TLVs a
 * primary with binlog_row_metadata=MINIMAL|FULL appends (MySQL 8.0 / MariaDB 10.5+):
 * FULL carries COLUMN_NAME and, for a table with a primary key, SIMPLE_PRIMARY_KEY or
 * PRIMARY_KEY_WITH_PREFIX, which the lag doctor reads.
 *
 * Layout (MariaDB 10.11 / MySQL 8.0):
 *   post-header: table_id u48 (u32 when the FDE says the post-header is 6 bytes), flags u16
 *   body: db_len u8, db, NUL, table_len u8, table, NUL, column_count (packed int),
 *         column types (column_count bytes), metadata_len (packed int), metadata,
 *         null bitmap ((column_count + 7) / 8), then TLVs: type u8, len (packed int), value.
 *
 * Pure code over (buf, len): no I/O, no clock, no allocation. Every length inside the event
 * is hostile; parsers return EV_ERROR with a static *why rather than read outside it.
 */
#ifndef BINLOGD_PROTOCOL_TABLE_MAP_H
#define BINLOGD_PROTOCOL_TABLE_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"

/* Column types as they appear in TABLE_MAP (mysql_com.h's enum_field_types). */
enum tm_type {
    TM_DECIMAL = 0, TM_TINY = 1, TM_SHORT = 2, TM_LONG = 3, TM_FLOAT = 4, TM_DOUBLE = 5, TM_NULL = 6,
    TM_TIMESTAMP = 7, TM_LONGLONG = 8, TM_INT24 = 9, TM_DATE = 10, TM_TIME = 11, TM_DATETIME = 12, TM_YEAR = 13,
    TM_NEWDATE = 14, TM_VARCHAR = 15, TM_BIT = 16, TM_TIMESTAMP2 = 17, TM_DATETIME2 = 18, TM_TIME2 = 19,
    TM_BLOB_COMPRESSED = 140, TM_VARCHAR_COMPRESSED = 141,   /* MariaDB, row events only */
    TM_JSON = 245,                                           /* MySQL (MariaDB's JSON is a BLOB) */
    TM_NEWDECIMAL = 246, TM_ENUM = 247, TM_SET = 248, TM_TINY_BLOB = 249, TM_MEDIUM_BLOB = 250,
    TM_LONG_BLOB = 251, TM_BLOB = 252, TM_VAR_STRING = 253, TM_STRING = 254, TM_GEOMETRY = 255
};

/* Optional metadata TLV types (Table_map_log_event::Optional_metadata_field_type). */
enum tm_opt {
    TM_OPT_SIGNEDNESS = 1, TM_OPT_DEFAULT_CHARSET = 2, TM_OPT_COLUMN_CHARSET = 3, TM_OPT_COLUMN_NAME = 4,
    TM_OPT_SET_STR_VALUE = 5, TM_OPT_ENUM_STR_VALUE = 6, TM_OPT_GEOMETRY_TYPE = 7,
    TM_OPT_SIMPLE_PRIMARY_KEY = 8, TM_OPT_PRIMARY_KEY_WITH_PREFIX = 9,
    TM_OPT_ENUM_AND_SET_DEFAULT_CHARSET = 10, TM_OPT_ENUM_AND_SET_COLUMN_CHARSET = 11,
    TM_OPT_COLUMN_VISIBILITY = 12
};

/* Most columns a table can have (MariaDB and MySQL: 4096). A TABLE_MAP claiming more is bad. */
#define TM_MAX_COLUMNS 4096

/* What the primary's TABLE_MAP says about the table's primary key. */
enum tm_pk {
    TM_PK_UNKNOWN = 0,   /* no FULL metadata (no COLUMN_NAME TLV): the map cannot tell */
    TM_PK_NONE,          /* FULL metadata and no primary-key TLV: the table has no primary key */
    TM_PK_PRESENT        /* SIMPLE_PRIMARY_KEY or PRIMARY_KEY_WITH_PREFIX with at least one column */
};

/* A parsed TABLE_MAP. Pointers point into the event (db and table are NOT NUL-terminated
 * in this struct; the event has a NUL after each, which the parser checks). */
struct tm_view {
    uint64_t table_id;
    uint16_t flags;
    const char *db;      size_t db_len;
    const char *table;   size_t table_len;
    uint32_t ncols;
    const uint8_t *types;        /* ncols bytes */
    const uint8_t *meta;         /* metadata block */
    size_t meta_len;
    const uint8_t *null_bits;    /* (ncols + 7) / 8 bytes */
    const uint8_t *opt;          /* optional metadata TLVs (may be empty) */
    size_t opt_len;
    uint32_t opt_seen;           /* bit t set: a TLV of type t (1..31) is present */
    enum tm_pk pk;
};

/* One column as a row image reader needs it: type and metadata, decoded as MariaDB's
 * table_def does (STRING/ENUM/SET: real_type << 8 | byte; NEWDECIMAL: precision << 8 |
 * scale; BIT: bits | bytes << 8; VARCHAR: max length; the rest: the metadata byte). */
struct tm_col {
    uint8_t type;
    uint16_t meta;
};

/*
 * Parse a framed TABLE_MAP (ev_view_parse). Checks: type 19, post-header present, both
 * names inside the body and NUL-terminated, column count <= TM_MAX_COLUMNS and its types,
 * metadata and null bitmap inside the body, every TLV's length inside the body. A TLV of
 * an unknown type is skipped (its length frames it). EV_OK, or EV_ERROR with *why.
 * Pure, any thread; out points into v->buf.
 */
int tm_parse(const struct ev_view *v, const struct ev_fmt *fmt, struct tm_view *out, const char **why);

/*
 * Decode the metadata block into cols[0 .. tm->ncols) (cap must be >= tm->ncols). EV_OK, or
 * EV_ERROR with *why when the block is shorter than the column types need ("lying lengths");
 * bytes left over at the end are tolerated (a newer server may append). Pure, any thread.
 */
int tm_columns(const struct tm_view *tm, struct tm_col *cols, size_t cap, const char **why);

/* Bytes of the metadata block column type `type` uses (0, 1 or 2). Pure. */
size_t tm_type_meta_len(uint8_t type);

const char *tm_pk_name(enum tm_pk pk);
const char *tm_type_name(uint8_t type);

#endif
