/* reply.c - OK / ERR / EOF and text resultsets, framed into a bbuf. */
#include "protocol/reply.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "protocol/packet.h"

#define REPLY_MAX_TEXT_COLS 64

struct reply_col reply_col_text(const char *name)
{
    struct reply_col c = { name, COL_TYPE_VAR_STRING, CHARSET_UTF8MB4_GENERAL_CI, 1024, 0, 39 };
    return c;
}

struct reply_col reply_col_int(const char *name)
{
    struct reply_col c = { name, COL_TYPE_LONGLONG, CHARSET_BINARY, 21, COL_FLAG_BINARY, 0 };
    return c;
}

struct reply_col reply_col_long(const char *name)
{
    struct reply_col c = { name, COL_TYPE_LONG, CHARSET_BINARY, 7, COL_FLAG_BINARY, 0 };
    return c;
}

struct reply_col reply_col_double(const char *name, uint8_t decimals)
{
    struct reply_col c = { name, COL_TYPE_DOUBLE, CHARSET_BINARY, 7, COL_FLAG_NOT_NULL | COL_FLAG_BINARY, decimals };
    return c;
}

int reply_ok(struct bbuf *b, uint8_t *seq, uint64_t affected_rows, uint64_t last_insert_id,
             uint16_t status, uint16_t warnings)
{
    size_t at = pkt_begin(b);
    bbuf_put_u8(b, 0x00);
    bbuf_put_lenenc(b, affected_rows);
    bbuf_put_lenenc(b, last_insert_id);
    bbuf_put_u16(b, status);
    bbuf_put_u16(b, warnings);
    return pkt_end(b, at, seq);
}

int reply_err(struct bbuf *b, uint8_t *seq, uint16_t code, const char *sqlstate, const char *msg)
{
    if (!sqlstate) sqlstate = myerr_sqlstate(code);
    if (strlen(sqlstate) != 5) sqlstate = "HY000";
    size_t at = pkt_begin(b);
    bbuf_put_u8(b, 0xFF);
    bbuf_put_u16(b, code);
    bbuf_put_u8(b, '#');
    bbuf_append(b, sqlstate, 5);
    bbuf_append(b, msg ? msg : "", msg ? strlen(msg) : 0);
    return pkt_end(b, at, seq);
}

int reply_err_myerr(struct bbuf *b, uint8_t *seq, const struct myerr *e)
{
    return reply_err(b, seq, e->code, e->sqlstate, e->msg);
}

int reply_eof(struct bbuf *b, uint8_t *seq, uint16_t warnings, uint16_t status)
{
    size_t at = pkt_begin(b);
    bbuf_put_u8(b, 0xFE);
    bbuf_put_u16(b, warnings);
    bbuf_put_u16(b, status);
    return pkt_end(b, at, seq);
}

int reply_column_count(struct bbuf *b, uint8_t *seq, uint64_t ncols)
{
    size_t at = pkt_begin(b);
    bbuf_put_lenenc(b, ncols);
    return pkt_end(b, at, seq);
}

int reply_column_def(struct bbuf *b, uint8_t *seq, const struct reply_col *c)
{
    const char *name = c->name ? c->name : "";
    size_t at = pkt_begin(b);
    bbuf_put_lenenc_str(b, "def", 3);   /* catalog */
    bbuf_put_lenenc(b, 0);              /* schema */
    bbuf_put_lenenc(b, 0);              /* table */
    bbuf_put_lenenc(b, 0);              /* org_table */
    bbuf_put_lenenc_str(b, name, strlen(name));
    bbuf_put_lenenc(b, 0);              /* org_name */
    bbuf_put_lenenc(b, 0x0c);           /* length of the fixed fields below */
    bbuf_put_u16(b, c->charset);
    bbuf_put_u32(b, c->length);
    bbuf_put_u8(b, c->type);
    bbuf_put_u16(b, c->flags);
    bbuf_put_u8(b, c->decimals);
    bbuf_put_u16(b, 0);
    return pkt_end(b, at, seq);
}

int reply_row(struct bbuf *b, uint8_t *seq, const char *const *cells, const size_t *lens, size_t n)
{
    size_t at = pkt_begin(b);
    for (size_t i = 0; i < n; i++) {
        if (!cells[i]) { bbuf_put_u8(b, 0xFB); continue; }
        bbuf_put_lenenc_str(b, cells[i], lens ? lens[i] : strlen(cells[i]));
    }
    return pkt_end(b, at, seq);
}

int reply_resultset(struct bbuf *b, uint8_t *seq, const struct reply_col *cols, size_t ncols,
                    const char *const *cells, size_t nrows, uint16_t status)
{
    reply_column_count(b, seq, ncols);
    for (size_t i = 0; i < ncols; i++) reply_column_def(b, seq, &cols[i]);
    reply_eof(b, seq, 0, status);
    for (size_t r = 0; r < nrows; r++) reply_row(b, seq, cells + r * ncols, NULL, ncols);
    return reply_eof(b, seq, 0, status);
}

int reply_text_result(struct bbuf *b, uint8_t seq, const char *const *names, size_t ncols,
                      const char *const *cells, size_t nrows)
{
    struct reply_col cols[REPLY_MAX_TEXT_COLS];
    if (ncols == 0 || ncols > REPLY_MAX_TEXT_COLS) { b->failed = 1; return -1; }
    for (size_t i = 0; i < ncols; i++) cols[i] = reply_col_text(names[i]);
    if (reply_resultset(b, &seq, cols, ncols, cells, nrows, REPLY_STATUS_AUTOCOMMIT) == -1)
        return -1;
    return seq;
}

/* mariadbd writes the text into a 250-byte buffer with my_snprintf(buff, 249, ...). */
#define REPLY_STATS_MAX 249

size_t reply_statistics_text(const struct reply_stats *st, char *buf, size_t cap)
{
    if (!cap) return 0;
    uint64_t qps1000 = st->uptime ? st->questions * 1000 / st->uptime : 0;
    char tmp[REPLY_STATS_MAX + 1];
    int n = snprintf(tmp, sizeof(tmp),
                     "Uptime: %" PRIu64 "  Threads: %" PRIu64 "  Questions: %" PRIu64 "  Slow queries: %" PRIu64
                     "  Opens: %" PRIu64 "  Open tables: %" PRIu64 "  Queries per second avg: %" PRIu64 ".%03u",
                     st->uptime, st->threads, st->questions, st->slow_queries, st->opens, st->open_tables,
                     qps1000 / 1000, (unsigned)(qps1000 % 1000));
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1;
    if (len >= cap) len = cap - 1;
    memcpy(buf, tmp, len);
    buf[len] = 0;
    return len;
}

int reply_statistics(struct bbuf *b, uint8_t *seq, const struct reply_stats *st)
{
    char text[REPLY_STATS_MAX + 1];
    size_t n = reply_statistics_text(st, text, sizeof(text));
    size_t at = pkt_begin(b);
    bbuf_append(b, text, n);
    return pkt_end(b, at, seq);
}
