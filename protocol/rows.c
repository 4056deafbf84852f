/* rows.c - see rows.h. Value lengths follow MariaDB's table_def::calc_field_size
 * (rpl_utility.cc), except CHAR: a CHAR wider than 255 bytes carries a 2-byte length, as
 * Field_string::pack writes it (MySQL's calc_field_size agrees). */
#include "protocol/rows.h"

#include <string.h>
#include <zlib.h>

#include "protocol/wire.h"

static int fail(const char **why, const char *w)
{
    if (why) *why = w;
    return EV_ERROR;
}

const char *rows_kind_name(enum rows_kind k)
{
    switch (k) {
    case ROWS_WRITE: return "write";
    case ROWS_UPDATE: return "update";
    case ROWS_DELETE: return "delete";
    }
    return "?";
}

const char *rows_count_result_name(enum rows_count_result r)
{
    switch (r) {
    case ROWS_COUNT_OK: return "ok";
    case ROWS_COUNT_UNKNOWN: return "unknown";
    case ROWS_COUNT_BAD: return "bad";
    }
    return "?";
}

int rows_event_type(uint8_t type, enum rows_kind *kind, int *v2, int *compressed)
{
    int k, two = 0, comp = 0;
    switch (type) {
    case 23: k = ROWS_WRITE; break;
    case 24: k = ROWS_UPDATE; break;
    case 25: k = ROWS_DELETE; break;
    case 30: k = ROWS_WRITE; two = 1; break;
    case 31: k = ROWS_UPDATE; two = 1; break;
    case 32: k = ROWS_DELETE; two = 1; break;
    case 166: k = ROWS_WRITE; comp = 1; break;
    case 167: k = ROWS_UPDATE; comp = 1; break;
    case 168: k = ROWS_DELETE; comp = 1; break;
    case 169: k = ROWS_WRITE; two = comp = 1; break;
    case 170: k = ROWS_UPDATE; two = comp = 1; break;
    case 171: k = ROWS_DELETE; two = comp = 1; break;
    default: return 0;
    }
    if (kind) *kind = (enum rows_kind)k;
    if (v2) *v2 = two;
    if (compressed) *compressed = comp;
    return 1;
}

int rows_parse(const struct ev_view *v, const struct ev_fmt *fmt, struct rows_view *out, const char **why)
{
    const uint8_t *b;
    size_t blen, ph;
    memset(out, 0, sizeof(*out));
    if (!rows_event_type(v->h.type, &out->kind, &out->v2, &out->compressed)) return fail(why, "not a rows event");
    if (ev_view_body(v, fmt, &b, &blen, &ph, why) != EV_OK) return EV_ERROR;
    const uint8_t *p, *end = b + blen;
    if (ph == 6) {
        out->table_id = wire_u32(b);
        out->flags = wire_u16(b + 4);
    } else if (ph >= 8) {
        out->table_id = wire_u48(b);
        out->flags = wire_u16(b + 6);
    } else {
        return fail(why, "rows event post-header too short");
    }
    p = b + ph;
    if (out->v2) {
        if (ph < 10) return fail(why, "v2 rows event without extra data length");
        uint16_t extra = wire_u16(b + 8);
        if (extra < 2) return fail(why, "v2 rows event: extra data length below 2");
        if ((size_t)(end - p) < (size_t)(extra - 2)) return fail(why, "v2 rows event: extra data beyond the event");
        p += extra - 2;
    }
    uint64_t width;
    if (wire_lenenc_get(&p, end, &width) == -1) return fail(why, "rows event: bad column count");
    if (width == 0 || width > TM_MAX_COLUMNS) return fail(why, "rows event: column count out of range");
    out->width = (uint32_t)width;
    size_t nb = (size_t)(width + 7) / 8;
    int nbm = out->kind == ROWS_UPDATE ? 2 : 1;
    for (int i = 0; i < nbm; i++) {
        if ((size_t)(end - p) < nb) return fail(why, "rows event: column bitmap beyond the event");
        out->present[i] = p;
        p += nb;
    }
    out->rows = p;
    out->rows_len = (size_t)(end - p);
    return EV_OK;
}

static inline int bit(const uint8_t *bm, uint32_t i) { return (bm[i >> 3] >> (i & 7)) & 1; }

int rows_field_len(const struct tm_col *c, const uint8_t *p, size_t avail, size_t *len)
{
    size_t n, lb;
    switch (c->type) {
    case TM_TINY: case TM_YEAR: n = 1; break;
    case TM_SHORT: n = 2; break;
    case TM_INT24: case TM_DATE: case TM_NEWDATE: case TM_TIME: n = 3; break;
    case TM_LONG: case TM_TIMESTAMP: n = 4; break;
    case TM_LONGLONG: case TM_DATETIME: n = 8; break;
    case TM_NULL: n = 0; break;
    case TM_FLOAT: case TM_DOUBLE:
        if (c->meta != 4 && c->meta != 8) return 1;   /* pack length: anything else is not a float */
        n = c->meta;
        break;
    case TM_TIME2: case TM_DATETIME2: case TM_TIMESTAMP2:
        if (c->meta > 6) return 1;
        n = (c->type == TM_TIME2 ? 3 : c->type == TM_DATETIME2 ? 5 : 4) + (c->meta + 1u) / 2;
        break;
    case TM_NEWDECIMAL: {
        static const uint8_t dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
        unsigned prec = c->meta >> 8, scale = c->meta & 0xff;
        if (prec == 0 || prec > 65 || scale > 38 || scale > prec) return 1;
        unsigned intg = prec - scale;
        n = (intg / 9) * 4 + dig2bytes[intg % 9] + (scale / 9) * 4 + dig2bytes[scale % 9];
        break;
    }
    case TM_BIT: {
        unsigned bytes = c->meta >> 8, bits = c->meta & 0xff;
        if (bits > 7) return 1;
        n = bytes + (bits > 0);
        break;
    }
    case TM_VARCHAR: case TM_VARCHAR_COMPRESSED:
        lb = c->meta > 255 ? 2 : 1;
        if (avail < lb) return -1;
        n = lb + (lb == 1 ? p[0] : wire_u16(p));
        break;
    case TM_TINY_BLOB: case TM_MEDIUM_BLOB: case TM_LONG_BLOB: case TM_BLOB: case TM_BLOB_COMPRESSED:
    case TM_GEOMETRY: case TM_JSON:
        lb = c->meta;
        if (lb < 1 || lb > 4) return 1;
        if (avail < lb) return -1;
        n = lb + (lb == 1 ? p[0] : lb == 2 ? wire_u16(p) : lb == 3 ? wire_u24(p) : wire_u32(p));
        break;
    case TM_STRING: case TM_ENUM: case TM_SET: {
        unsigned real = c->meta >> 8, maxlen = c->meta & 0xff;
        if ((real & 0x30) != 0x30) {   /* CHAR wider than 255: two length bits hide in real_type */
            maxlen |= ((real & 0x30) ^ 0x30) << 4;
            real |= 0x30;
        }
        if (real == TM_ENUM || real == TM_SET) {
            n = c->meta & 0xff;   /* pack length */
        } else if (real == TM_STRING) {
            lb = maxlen > 255 ? 2 : 1;
            if (avail < lb) return -1;
            n = lb + (lb == 1 ? p[0] : wire_u16(p));
        } else {
            return 1;
        }
        break;
    }
    default:
        return 1;
    }
    if (n > avail) return -1;
    *len = n;
    return 0;
}

static uint32_t popcount_bits(const uint8_t *bm, uint32_t nbits)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < nbits; i++) c += (uint32_t)bit(bm, i);
    return c;
}

enum rows_count_result rows_count(const struct rows_view *rv, const struct tm_col *cols, uint32_t ncols,
                                  const uint8_t *data, size_t len, uint64_t *rows, const char **why)
{
    *rows = 0;
    if (rv->width > ncols) {
        if (why) *why = "rows event has more columns than its TABLE_MAP";
        return ROWS_COUNT_BAD;
    }
    int nimg = rv->kind == ROWS_UPDATE ? 2 : 1;
    uint32_t npresent[2] = {0, 0};
    for (int i = 0; i < nimg; i++) npresent[i] = popcount_bits(rv->present[i], rv->width);
    const uint8_t *p = data, *end = data + len;
    if (p == end) {
        if (why) *why = "rows event without rows";
        return ROWS_COUNT_BAD;
    }
    while (p < end) {
        for (int img = 0; img < nimg; img++) {
            size_t nb = (npresent[img] + 7) / 8;
            if ((size_t)(end - p) < nb) {
                if (why) *why = "row image truncated (null bitmap)";
                return ROWS_COUNT_BAD;
            }
            const uint8_t *nulls = p;
            p += nb;
            uint32_t j = 0;
            for (uint32_t i = 0; i < rv->width; i++) {
                if (!bit(rv->present[img], i)) continue;
                if (!bit(nulls, j++)) {
                    size_t n;
                    int r = rows_field_len(&cols[i], p, (size_t)(end - p), &n);
                    if (r == 1) {
                        if (why) *why = "column type whose length binlogd cannot tell";
                        return ROWS_COUNT_UNKNOWN;
                    }
                    if (r == -1) {
                        if (why) *why = "row image truncated (value beyond the event)";
                        return ROWS_COUNT_BAD;
                    }
                    p += n;
                }
            }
        }
        (*rows)++;
    }
    return ROWS_COUNT_OK;
}

int rows_inflated_len(const struct rows_view *rv, size_t *out, const char **why)
{
    if (!rv->compressed) return fail(why, "rows event is not compressed");
    const uint8_t *p = rv->rows;
    if (rv->rows_len < 1 || !(p[0] & 0x80)) return fail(why, "compressed rows: bad header");
    size_t n = p[0] & 0x07;
    if (n < 1 || n > 4 || rv->rows_len < 1 + n) return fail(why, "compressed rows: bad length size");
    size_t l = 0;
    for (size_t i = 0; i < n; i++) l = l << 8 | p[1 + i];
    *out = l;
    return EV_OK;
}

int rows_inflate(const struct rows_view *rv, uint8_t *out, size_t cap, size_t *out_len, const char **why)
{
    size_t want;
    if (rows_inflated_len(rv, &want, why) != EV_OK) return EV_ERROR;
    if (want > cap) return fail(why, "compressed rows: inflated length above the buffer");
    size_t hdr = 1 + (rv->rows[0] & 0x07);
    uLongf got = (uLongf)want;
    if (uncompress(out, &got, rv->rows + hdr, (uLong)(rv->rows_len - hdr)) != Z_OK || got != want)
        return fail(why, "compressed rows: corrupt zlib data or wrong length");
    *out_len = want;
    return EV_OK;
}
