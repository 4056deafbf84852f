/* table_map.c - see table_map.h. */
#include "protocol/table_map.h"

#include <string.h>

#include "protocol/wire.h"

static int fail(const char **why, const char *w)
{
    if (why) *why = w;
    return EV_ERROR;
}

const char *tm_pk_name(enum tm_pk pk)
{
    switch (pk) {
    case TM_PK_UNKNOWN: return "unknown";
    case TM_PK_NONE: return "none";
    case TM_PK_PRESENT: return "present";
    }
    return "?";
}

const char *tm_type_name(uint8_t type)
{
    switch ((enum tm_type)type) {
    case TM_DECIMAL: return "DECIMAL";
    case TM_TINY: return "TINY";
    case TM_SHORT: return "SHORT";
    case TM_LONG: return "LONG";
    case TM_FLOAT: return "FLOAT";
    case TM_DOUBLE: return "DOUBLE";
    case TM_NULL: return "NULL";
    case TM_TIMESTAMP: return "TIMESTAMP";
    case TM_LONGLONG: return "LONGLONG";
    case TM_INT24: return "INT24";
    case TM_DATE: return "DATE";
    case TM_TIME: return "TIME";
    case TM_DATETIME: return "DATETIME";
    case TM_YEAR: return "YEAR";
    case TM_NEWDATE: return "NEWDATE";
    case TM_VARCHAR: return "VARCHAR";
    case TM_BIT: return "BIT";
    case TM_TIMESTAMP2: return "TIMESTAMP2";
    case TM_DATETIME2: return "DATETIME2";
    case TM_TIME2: return "TIME2";
    case TM_BLOB_COMPRESSED: return "BLOB_COMPRESSED";
    case TM_VARCHAR_COMPRESSED: return "VARCHAR_COMPRESSED";
    case TM_JSON: return "JSON";
    case TM_NEWDECIMAL: return "NEWDECIMAL";
    case TM_ENUM: return "ENUM";
    case TM_SET: return "SET";
    case TM_TINY_BLOB: return "TINY_BLOB";
    case TM_MEDIUM_BLOB: return "MEDIUM_BLOB";
    case TM_LONG_BLOB: return "LONG_BLOB";
    case TM_BLOB: return "BLOB";
    case TM_VAR_STRING: return "VAR_STRING";
    case TM_STRING: return "STRING";
    case TM_GEOMETRY: return "GEOMETRY";
    }
    return "unknown";
}

/* As MariaDB's table_def constructor (rpl_utility.cc) reads the metadata block. */
size_t tm_type_meta_len(uint8_t type)
{
    switch (type) {
    case TM_TINY_BLOB: case TM_BLOB: case TM_BLOB_COMPRESSED: case TM_MEDIUM_BLOB: case TM_LONG_BLOB:
    case TM_DOUBLE: case TM_FLOAT: case TM_GEOMETRY: case TM_JSON:
    case TM_TIME2: case TM_DATETIME2: case TM_TIMESTAMP2:
        return 1;
    case TM_SET: case TM_ENUM: case TM_STRING: case TM_BIT: case TM_VARCHAR: case TM_VARCHAR_COMPRESSED:
    case TM_NEWDECIMAL:
        return 2;
    default:
        return 0;
    }
}

int tm_parse(const struct ev_view *v, const struct ev_fmt *fmt, struct tm_view *out, const char **why)
{
    const uint8_t *b;
    size_t blen, ph;
    memset(out, 0, sizeof(*out));
    if (v->h.type != EV_TABLE_MAP) return fail(why, "not a TABLE_MAP event");
    if (ev_view_body(v, fmt, &b, &blen, &ph, why) != EV_OK) return EV_ERROR;
    if (ph == 6) {
        out->table_id = wire_u32(b);
        out->flags = wire_u16(b + 4);
    } else if (ph >= 8) {
        out->table_id = wire_u48(b);
        out->flags = wire_u16(b + 6);
    } else {
        return fail(why, "TABLE_MAP post-header too short");
    }
    const uint8_t *p = b + ph, *end = b + blen;
    if (p >= end) return fail(why, "TABLE_MAP: no database name");
    size_t n = *p++;
    if ((size_t)(end - p) < n + 1 || p[n] != 0) return fail(why, "TABLE_MAP: database name outside the event");
    out->db = (const char *)p;
    out->db_len = n;
    p += n + 1;
    if (p >= end) return fail(why, "TABLE_MAP: no table name");
    n = *p++;
    if ((size_t)(end - p) < n + 1 || p[n] != 0) return fail(why, "TABLE_MAP: table name outside the event");
    out->table = (const char *)p;
    out->table_len = n;
    p += n + 1;
    uint64_t ncols;
    if (wire_lenenc_get(&p, end, &ncols) == -1) return fail(why, "TABLE_MAP: bad column count");
    if (ncols == 0 || ncols > TM_MAX_COLUMNS) return fail(why, "TABLE_MAP: column count out of range");
    out->ncols = (uint32_t)ncols;
    if ((size_t)(end - p) < ncols) return fail(why, "TABLE_MAP: column types beyond the event");
    out->types = p;
    p += ncols;
    uint64_t mlen;
    if (wire_lenenc_get(&p, end, &mlen) == -1) return fail(why, "TABLE_MAP: bad metadata length");
    if ((uint64_t)(end - p) < mlen) return fail(why, "TABLE_MAP: metadata beyond the event");
    out->meta = p;
    out->meta_len = (size_t)mlen;
    p += mlen;
    size_t nb = (size_t)(ncols + 7) / 8;
    if ((size_t)(end - p) < nb) return fail(why, "TABLE_MAP: null bitmap beyond the event");
    out->null_bits = p;
    p += nb;
    out->opt = p;
    out->opt_len = (size_t)(end - p);
    int pk_cols = 0;
    while (p < end) {
        uint8_t t = *p++;
        uint64_t l;
        if (wire_lenenc_get(&p, end, &l) == -1) return fail(why, "TABLE_MAP: bad optional metadata length");
        if ((uint64_t)(end - p) < l) return fail(why, "TABLE_MAP: optional metadata beyond the event");
        if (t >= 1 && t <= 31) out->opt_seen |= 1u << t;
        if ((t == TM_OPT_SIMPLE_PRIMARY_KEY || t == TM_OPT_PRIMARY_KEY_WITH_PREFIX) && l > 0) pk_cols = 1;
        p += l;
    }
    if (pk_cols) out->pk = TM_PK_PRESENT;
    else if (out->opt_seen & (1u << TM_OPT_COLUMN_NAME)) out->pk = TM_PK_NONE;
    else out->pk = TM_PK_UNKNOWN;
    return EV_OK;
}

int tm_columns(const struct tm_view *tm, struct tm_col *cols, size_t cap, const char **why)
{
    if (cap < tm->ncols) return fail(why, "TABLE_MAP: too many columns for the caller");
    size_t at = 0;
    for (uint32_t i = 0; i < tm->ncols; i++) {
        uint8_t t = tm->types[i];
        size_t need = tm_type_meta_len(t);
        if (tm->meta_len - at < need) return fail(why, "TABLE_MAP: metadata shorter than the column types need");
        const uint8_t *m = tm->meta + at;
        uint16_t meta = 0;
        switch (t) {
        case TM_SET: case TM_ENUM: case TM_STRING: case TM_NEWDECIMAL:
            meta = (uint16_t)(m[0] << 8 | m[1]);
            break;
        case TM_BIT: case TM_VARCHAR: case TM_VARCHAR_COMPRESSED:
            meta = wire_u16(m);
            break;
        default:
            meta = need ? m[0] : 0;
        }
        cols[i].type = t;
        cols[i].meta = meta;
        at += need;
    }
    return EV_OK;
}
