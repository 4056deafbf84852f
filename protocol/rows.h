/*
 * rows.h - rows events: WRITE/UPDATE/DELETE_ROWS v1 (23-25, what MariaDB 10.11 writes), v2
 * (30-32, MySQL) and MariaDB's compressed forms (166-168 v1, 169-171 v2), and counting the
 * rows they carry, which needs every value's length and so the TABLE_MAP's column types
 * (table_map.h).
 *
 * Layout:
 *   post-header: table_id u48 (u32 when the FDE says 6 bytes), flags u16
 *                [v2: extra_len u16 (counting itself), then extra_len - 2 bytes of extra data]
 *   body: width (packed int), columns-present bitmap ((width + 7) / 8)
 *         [UPDATE: a second, after-image bitmap], then rows to the end of the body:
 *         per image a null bitmap over the present columns ((present + 7) / 8) and the
 *         values of the present, non-NULL columns. An UPDATE row is a before and an after
 *         image and counts as one row (as mariadb-binlog prints one "### UPDATE").
 *   compressed: the rows part is u8 header (0x80 | n), n bytes big-endian inflated length,
 *               then zlib data (MariaDB's binlog_buf_compress).
 *
 * Pure code over (buf, len): no I/O, no clock; the only allocation is zlib's own state
 * while inflating (rows_inflate). Every length is hostile.
 */
#ifndef BINLOGD_PROTOCOL_ROWS_H
#define BINLOGD_PROTOCOL_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"
#include "protocol/table_map.h"

enum rows_kind { ROWS_WRITE = 0, ROWS_UPDATE, ROWS_DELETE };

/* Rows-event flag: the last rows event of a statement (its table maps end with it). */
#define ROWS_F_STMT_END 0x0001

struct rows_view {
    enum rows_kind kind;
    int v2;                      /* version 2 post-header (extra data) */
    int compressed;              /* MariaDB compressed rows: `rows` is the compressed blob */
    uint64_t table_id;
    uint16_t flags;
    uint32_t width;              /* columns in the images */
    const uint8_t *present[2];   /* columns-present bitmaps; [1] only for UPDATE */
    const uint8_t *rows;         /* row images (or the compressed blob) to the end of the body */
    size_t rows_len;
};

/* Is `type` a rows event binlogd can read? 1 with *kind (and *v2, *compressed when not NULL),
 * else 0. Pure. */
int rows_event_type(uint8_t type, enum rows_kind *kind, int *v2, int *compressed);

/* Parse a framed rows event (ev_view_parse) up to its row images. Checks the post-header,
 * v2 extra data, width (1..TM_MAX_COLUMNS) and bitmaps against the body. EV_OK or EV_ERROR
 * with *why. Pure, any thread; out points into v->buf. */
int rows_parse(const struct ev_view *v, const struct ev_fmt *fmt, struct rows_view *out, const char **why);

enum rows_count_result {
    ROWS_COUNT_OK = 0,           /* every row walked to the exact end of the images */
    ROWS_COUNT_UNKNOWN = 1,      /* a column type whose length binlogd cannot tell */
    ROWS_COUNT_BAD = -1          /* the images do not fit (truncated, lying lengths, width) */
};

/*
 * Count the rows of rv's images in data[0..len) (rv->rows/rows_len, or the inflated bytes
 * of a compressed event) using the table's columns (cols[0..ncols), from tm_columns). Sets
 * *rows to the rows walked completely (all of them on ROWS_COUNT_OK) and *why otherwise.
 * A width above ncols is ROWS_COUNT_BAD. Pure, any thread.
 */
enum rows_count_result rows_count(const struct rows_view *rv, const struct tm_col *cols, uint32_t ncols,
                                  const uint8_t *data, size_t len, uint64_t *rows, const char **why);

/* Inflated length a compressed event announces (its header), or -1 when the header is bad. */
int rows_inflated_len(const struct rows_view *rv, size_t *out, const char **why);

/* Inflate a compressed event's rows into out[0..cap) (cap >= rows_inflated_len). EV_OK with
 * *out_len == the announced length, or EV_ERROR with *why. */
int rows_inflate(const struct rows_view *rv, uint8_t *out, size_t cap, size_t *out_len, const char **why);

/* Bytes one value of column c takes at p (avail bytes there): 0 with *len, 1 for a type
 * (or metadata) binlogd cannot size, -1 when the value does not fit in avail. Pure. */
int rows_field_len(const struct tm_col *c, const uint8_t *p, size_t avail, size_t *len);

const char *rows_kind_name(enum rows_kind k);
const char *rows_count_result_name(enum rows_count_result r);

#endif
