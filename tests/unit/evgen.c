/*
 * evgen.c - see evgen.h.
 */
#include "tests/unit/evgen.h"

#include <string.h>
#include <zlib.h>

#include "protocol/event.h"
#include "protocol/wire.h"

/* MariaDB 10.11 post-header lengths, index = type - 1 (171 entries). */
static void mariadb_post_headers(uint8_t *t)
{
    memset(t, 0, 171);
    t[EV_START_V3 - 1] = 56;
    t[EV_QUERY - 1] = 13;
    t[EV_ROTATE - 1] = 8;
    t[6 - 1] = 18;            /* LOAD */
    t[8 - 1] = 4;             /* CREATE_FILE */
    t[9 - 1] = 4;             /* APPEND_BLOCK */
    t[10 - 1] = 4;            /* EXEC_LOAD */
    t[11 - 1] = 4;            /* DELETE_FILE */
    t[12 - 1] = 18;           /* NEW_LOAD */
    t[EV_FORMAT_DESCRIPTION - 1] = 56 + 1 + 171;
    t[17 - 1] = 4;            /* BEGIN_LOAD_QUERY */
    t[18 - 1] = 26;           /* EXECUTE_LOAD_QUERY */
    t[EV_TABLE_MAP - 1] = 8;
    for (int i = 20; i <= 25; i++) t[i - 1] = 8;   /* pre-GA and v1 rows events */
    t[EV_INCIDENT - 1] = 2;
    for (int i = 30; i <= 32; i++) t[i - 1] = 10;  /* v2 rows events */
    t[EV_MYSQL_GTID - 1] = 42;
    t[EV_ANONYMOUS_GTID - 1] = 42;
    t[EV_BINLOG_CHECKPOINT - 1] = 4;
    t[EV_MARIA_GTID - 1] = 19;
    t[EV_GTID_LIST - 1] = 4;
    t[EV_QUERY_COMPRESSED - 1] = 13;
    for (int i = 166; i <= 168; i++) t[i - 1] = 8;
    for (int i = 169; i <= 171; i++) t[i - 1] = 10;
}

void evgen_init(struct evgen *g)
{
    g->pos = BINLOG_MAGIC_LEN;
    g->server_id = 1;
    g->timestamp = 1700000000;
    g->crc = 1;
}

void evgen_fix_crc(uint8_t *ev, size_t len)
{
    if (len < EV_HEADER_LEN + EV_CRC_LEN) return;
    uint8_t flags_lo = ev[EV_FLAGS_OFFSET];
    /* FDE rule: the CRC is computed with IN_USE cleared. */
    if (ev[4] == EV_FORMAT_DESCRIPTION) ev[EV_FLAGS_OFFSET] &= (uint8_t)~EV_F_BINLOG_IN_USE;
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32(c, ev, (uInt)(len - EV_CRC_LEN));
    ev[EV_FLAGS_OFFSET] = flags_lo;
    wire_put_u32(ev + len - EV_CRC_LEN, (uint32_t)c);
}

/* Header + body (+ CRC when with_crc). */
static size_t finish(struct evgen *g, uint8_t *out, size_t cap, uint8_t type, uint16_t flags, const uint8_t *body,
                     size_t body_len, int with_crc)
{
    size_t len = EV_HEADER_LEN + body_len + (with_crc ? EV_CRC_LEN : 0);
    if (len > cap || len > UINT32_MAX) return 0;
    wire_put_u32(out, g->timestamp);
    out[4] = type;
    wire_put_u32(out + 5, g->server_id);
    wire_put_u32(out + 9, (uint32_t)len);
    wire_put_u32(out + 13, (uint32_t)(g->pos + len));
    wire_put_u16(out + 17, flags);
    if (body && body != out + EV_HEADER_LEN) memmove(out + EV_HEADER_LEN, body, body_len);
    if (with_crc) evgen_fix_crc(out, len);
    g->pos += len;
    return len;
}

size_t evgen_fde(struct evgen *g, uint8_t *out, size_t cap)
{
    uint8_t body[2 + 50 + 4 + 1 + 171 + 1];
    memset(body, 0, sizeof(body));
    wire_put_u16(body, 4);
    memcpy(body + 2, "10.11.6-MariaDB-log", strlen("10.11.6-MariaDB-log"));
    wire_put_u32(body + 52, g->timestamp);
    body[56] = EV_HEADER_LEN;
    mariadb_post_headers(body + 57);
    body[57 + 171] = g->crc ? EV_CHECKSUM_CRC32 : EV_CHECKSUM_OFF;
    /* A checksum-aware server's FDE always carries alg + CRC, even with alg OFF. */
    return finish(g, out, cap, EV_FORMAT_DESCRIPTION, 0, body, sizeof(body), 1);
}

size_t evgen_event(struct evgen *g, uint8_t *out, size_t cap, uint8_t type, uint16_t flags, const uint8_t *body,
                   size_t body_len)
{
    size_t len = EV_HEADER_LEN + body_len + (g->crc ? EV_CRC_LEN : 0);
    if (len > cap) return 0;
    if (!body)
        for (size_t i = 0; i < body_len; i++) out[EV_HEADER_LEN + i] = (uint8_t)(i * 31 + 7);
    return finish(g, out, cap, type, flags, body ? body : out + EV_HEADER_LEN, body_len, g->crc);
}

size_t evgen_gtid(struct evgen *g, uint8_t *out, size_t cap, uint32_t domain, uint64_t seq, uint8_t flags2)
{
    uint8_t body[19];
    memset(body, 0, sizeof(body));
    wire_put_u64(body, seq);
    wire_put_u32(body + 8, domain);
    body[12] = flags2;
    return evgen_event(g, out, cap, EV_MARIA_GTID, EV_F_SUPPRESS_USE, body, sizeof(body));
}

size_t evgen_query(struct evgen *g, uint8_t *out, size_t cap, const char *db, const char *sql)
{
    size_t dl = strlen(db), sl = strlen(sql);
    size_t body_len = 13 + dl + 1 + sl;
    if (EV_HEADER_LEN + body_len + EV_CRC_LEN > cap || dl > 255) return 0;
    uint8_t *b = out + EV_HEADER_LEN;
    wire_put_u32(b, 42);          /* thread id */
    wire_put_u32(b + 4, 0);       /* exec time */
    b[8] = (uint8_t)dl;
    wire_put_u16(b + 9, 0);       /* error code */
    wire_put_u16(b + 11, 0);      /* status vars length */
    memcpy(b + 13, db, dl);
    b[13 + dl] = 0;
    memcpy(b + 14 + dl, sql, sl);
    return evgen_event(g, out, cap, EV_QUERY, 0, b, body_len);
}

size_t evgen_xid(struct evgen *g, uint8_t *out, size_t cap, uint64_t xid)
{
    uint8_t body[8];
    wire_put_u64(body, xid);
    return evgen_event(g, out, cap, EV_XID, 0, body, sizeof(body));
}

size_t evgen_rotate(struct evgen *g, uint8_t *out, size_t cap, const char *next, uint64_t pos)
{
    size_t nl = strlen(next);
    if (EV_HEADER_LEN + 8 + nl + EV_CRC_LEN > cap) return 0;
    uint8_t *b = out + EV_HEADER_LEN;
    wire_put_u64(b, pos);
    memcpy(b + 8, next, nl);
    return evgen_event(g, out, cap, EV_ROTATE, 0, b, 8 + nl);
}

size_t evgen_stop(struct evgen *g, uint8_t *out, size_t cap)
{
    return evgen_event(g, out, cap, EV_STOP, 0, NULL, 0);
}

size_t evgen_trx(struct evgen *g, uint8_t *out, size_t cap, uint64_t seq, const char *sql)
{
    struct evgen save = *g;
    size_t a = evgen_gtid(g, out, cap, 0, seq, EV_MGTID_TRANSACTIONAL | EV_MGTID_ALLOW_PARALLEL);
    size_t b = a ? evgen_query(g, out + a, cap - a, "test", sql) : 0;
    size_t c = b ? evgen_xid(g, out + a + b, cap - a - b, seq) : 0;
    if (!c) {
        *g = save;
        return 0;
    }
    return a + b + c;
}

size_t evgen_table_map(struct evgen *g, uint8_t *out, size_t cap, uint64_t table_id, const char *db, const char *table,
                       const uint8_t *types, size_t ncols, const uint8_t *meta, size_t meta_len, const uint8_t *opt,
                       size_t opt_len)
{
    static uint8_t body[65536];
    size_t n = 0, dl = strlen(db), tl = strlen(table);
    if (8 + 2 + dl + tl + 2 + 9 + ncols + 9 + meta_len + ncols / 8 + 1 + opt_len > sizeof(body)) return 0;
    wire_put_u32(body, (uint32_t)table_id);
    wire_put_u16(body + 4, (uint16_t)(table_id >> 32));
    wire_put_u16(body + 6, 1);
    n = 8;
    body[n++] = (uint8_t)dl;
    memcpy(body + n, db, dl + 1);
    n += dl + 1;
    body[n++] = (uint8_t)tl;
    memcpy(body + n, table, tl + 1);
    n += tl + 1;
    n += wire_lenenc_put(body + n, ncols);
    memcpy(body + n, types, ncols);
    n += ncols;
    n += wire_lenenc_put(body + n, meta_len);
    if (meta_len) memcpy(body + n, meta, meta_len);
    n += meta_len;
    memset(body + n, 0xff, (ncols + 7) / 8);
    n += (ncols + 7) / 8;
    if (opt_len) memcpy(body + n, opt, opt_len);
    n += opt_len;
    return evgen_event(g, out, cap, EV_TABLE_MAP, 0, body, n);
}

size_t evgen_rows(struct evgen *g, uint8_t *out, size_t cap, uint8_t type, uint64_t table_id, uint16_t flags,
                  uint32_t width, const uint8_t *images, size_t images_len)
{
    static uint8_t body[1 << 20];
    int v2 = (type >= 30 && type <= 32) || type >= 169;
    int upd = type == 24 || type == 31 || type == 167 || type == 170;
    size_t n = 0, nb = (width + 7) / 8;
    if (10 + 9 + 2 * nb + images_len > sizeof(body)) return 0;
    wire_put_u32(body, (uint32_t)table_id);
    wire_put_u16(body + 4, (uint16_t)(table_id >> 32));
    wire_put_u16(body + 6, flags);
    n = 8;
    if (v2) { wire_put_u16(body + 8, 2); n = 10; }
    n += wire_lenenc_put(body + n, width);
    for (int i = 0; i < 1 + upd; i++) {
        memset(body + n, 0xff, nb);
        if (width % 8) body[n + nb - 1] = (uint8_t)((1u << (width % 8)) - 1);
        n += nb;
    }
    if (images_len) memcpy(body + n, images, images_len);
    n += images_len;
    return evgen_event(g, out, cap, type, 0, body, n);
}
