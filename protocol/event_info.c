/*
 * event_info.c - see event_info.h. Each formatter mirrors one pack_info of MariaDB 10.11; the
 * byte layouts are the writers' (Gtid_log_event::write packs the optional parts from offset
 * 13 and pads the body to 19 bytes at the end).
 */
#include "protocol/event_info.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/wire.h"

#define GTID_FIXED 13                  /* seq_no 8, domain 4, flags2 1 */
#define GTID_EXTRA_MULTI_ENGINE 0x01   /* flags_extra bits (FL_*_E1) */
#define GTID_EXTRA_START_ALTER 0x02
#define GTID_EXTRA_COMMIT_ALTER 0x04
#define GTID_EXTRA_ROLLBACK_ALTER 0x08
#define XID_DATA_MAX 128               /* XIDDATASIZE: gtrid + bqual */

/* Query flags2 bits pack_info shows (sql_priv.h OPTION_*). */
#define OPT_NO_CHECK_CONSTRAINT_CHECKS (1u << 15)
#define OPT_NO_FOREIGN_KEY_CHECKS (1u << 26)
#define OPT_RELAXED_UNIQUE_CHECKS (1u << 27)
#define OPT_IF_EXISTS (1u << 30)

static int fail(const char **why, const char *w)
{
    if (why) *why = w;
    return EV_ERROR;
}

const char *ev_info_type_name(uint8_t type)
{
    switch (type) {
    case 1: return "Start_v3";
    case EV_QUERY: return "Query";
    case EV_STOP: return "Stop";
    case EV_ROTATE: return "Rotate";
    case EV_INTVAR: return "Intvar";
    case 6: return "Load";
    case 7: return "Slave";
    case 8: return "Create_file";
    case 9: return "Append_block";
    case 10: return "Exec_load";
    case 11: return "Delete_file";
    case 12: return "New_load";
    case EV_RAND: return "RAND";
    case EV_USER_VAR: return "User var";
    case EV_FORMAT_DESCRIPTION: return "Format_desc";
    case EV_XID: return "Xid";
    case 17: return "Begin_load_query";
    case 18: return "Execute_load_query";
    case EV_TABLE_MAP: return "Table_map";
    case 20: return "Write_rows_event_old";
    case 21: return "Update_rows_event_old";
    case 22: return "Delete_rows_event_old";
    case EV_INFO_WRITE_ROWS_V1: return "Write_rows_v1";
    case EV_INFO_UPDATE_ROWS_V1: return "Update_rows_v1";
    case EV_INFO_DELETE_ROWS_V1: return "Delete_rows_v1";
    case EV_INCIDENT: return "Incident";
    case EV_HEARTBEAT: return "Heartbeat";
    case EV_IGNORABLE: return "Ignorable";
    case EV_ROWS_QUERY: return "Rows_query";
    case EV_INFO_WRITE_ROWS: return "Write_rows";
    case EV_INFO_UPDATE_ROWS: return "Update_rows";
    case EV_INFO_DELETE_ROWS: return "Delete_rows";
    case EV_MYSQL_GTID: return "Gtid";
    case EV_ANONYMOUS_GTID: return "Anonymous_Gtid";
    case EV_PREVIOUS_GTIDS: return "Previous_gtids";
    case EV_TRANSACTION_CONTEXT: return "Transaction_context";
    case EV_VIEW_CHANGE: return "View_change";
    case EV_XA_PREPARE: return "XA_prepare";
    case EV_ANNOTATE_ROWS: return "Annotate_rows";
    case EV_BINLOG_CHECKPOINT: return "Binlog_checkpoint";
    case EV_MARIA_GTID: return "Gtid";
    case EV_GTID_LIST: return "Gtid_list";
    case EV_START_ENCRYPTION: return "Start_encryption";
    case EV_QUERY_COMPRESSED: return "Query_compressed";
    case 166: return "Write_rows_compressed_v1";
    case 167: return "Update_rows_compressed_v1";
    case 168: return "Delete_rows_compressed_v1";
    case 169: return "Write_rows_compressed";
    case 170: return "Update_rows_compressed";
    case 171: return "Delete_rows_compressed";
    default: return "Unknown";
    }
}

static int is_rows(uint8_t type)
{
    return (type >= EV_INFO_WRITE_ROWS_V1 && type <= EV_INFO_DELETE_ROWS_V1) ||
           (type >= EV_INFO_WRITE_ROWS && type <= EV_INFO_DELETE_ROWS) ||
           (type >= EV_INFO_WRITE_ROWS_COMPRESSED_V1 && type <= EV_INFO_DELETE_ROWS_COMPRESSED);
}

static size_t ph_len(const struct ev_fmt *fmt, uint8_t type)
{
    return fmt && type >= 1 && (size_t)(type - 1) < fmt->n_post_header ? fmt->post_header_len[type - 1] : 0;
}

size_t ev_info_need(const struct ev_header *h, const struct ev_fmt *fmt)
{
    if (is_rows(h->type)) {
        size_t ph = ph_len(fmt, h->type);
        size_t need = EV_HEADER_LEN + (ph ? ph : 8);
        return need < h->event_size ? need : h->event_size;
    }
    return h->event_size;
}

static void putf(struct bbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct bbuf *out, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) bbuf_append(out, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void puts_(struct bbuf *out, const char *s) { bbuf_append(out, s, strlen(s)); }

/* XID::serialize: X'<gtrid hex>',X'<bqual hex>',<formatID>. */
static void put_xid(struct bbuf *out, uint32_t format_id, const uint8_t *data, size_t gtrid, size_t bqual)
{
    static const char hex[] = "0123456789abcdef";
    for (int part = 0; part < 2; part++) {
        const uint8_t *p = part ? data + gtrid : data;
        size_t n = part ? bqual : gtrid;
        puts_(out, part ? ",X'" : "X'");
        for (size_t i = 0; i < n; i++) {
            char h[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
            bbuf_append(out, h, 2);
        }
        puts_(out, "'");
    }
    putf(out, ",%" PRIu32, format_id);
}

static int info_fde(const uint8_t *ev, size_t len, struct bbuf *out, const char **why)
{
    struct ev_fde f;
    int r = ev_fde_parse(ev, len, &f, why);
    if (r != EV_OK) return r;
    putf(out, "Server ver: %s, Binlog ver: %u", f.server_version, (unsigned)f.binlog_version);
    return EV_OK;
}

static int info_gtid(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct bbuf *out, const char **why)
{
    struct ev_maria_gtid g;
    const uint8_t *b;
    size_t blen;
    int r = ev_maria_gtid_parse(ev, len, fmt, &g, why);
    if (r != EV_OK) return r;
    if (ev_body(ev, len, fmt, &b, &blen) != EV_OK) return fail(why, "GTID body missing");
    size_t p = GTID_FIXED + (g.flags2 & EV_MGTID_GROUP_COMMIT_ID ? 8 : 0);
    const uint8_t *xid = NULL;
    uint32_t format_id = 0;
    size_t gtrid = 0, bqual = 0;
    if (g.flags2 & (EV_MGTID_PREPARED_XA | EV_MGTID_COMPLETED_XA)) {
        if (blen < p + 6) return fail(why, "GTID too short for its XID");
        format_id = wire_u32(b + p);
        gtrid = b[p + 4];
        bqual = b[p + 5];
        p += 6;
        if (gtrid > 64 || bqual > 64 || blen - p < gtrid + bqual) return fail(why, "GTID XID overruns the body");
        xid = b + p;
        p += gtrid + bqual;
    }
    uint8_t extra = 0;
    uint64_t sa_seq = 0;
    if (p < blen) {
        extra = b[p++];
        if (extra & GTID_EXTRA_MULTI_ENGINE) p++;
        if (extra & (GTID_EXTRA_COMMIT_ALTER | GTID_EXTRA_ROLLBACK_ALTER)) {
            if (p > blen || blen - p < 8) return fail(why, "GTID too short for its ALTER id");
            sa_seq = wire_u64(b + p);
        }
    }
    if (g.flags2 & EV_MGTID_STANDALONE) {
        puts_(out, "GTID ");
    } else if (g.flags2 & EV_MGTID_PREPARED_XA) {
        puts_(out, "XA START ");
        put_xid(out, format_id, xid, gtrid, bqual);
        puts_(out, " GTID ");
    } else {
        puts_(out, "BEGIN GTID ");
    }
    putf(out, "%" PRIu32 "-%" PRIu32 "-%" PRIu64, g.domain_id, g.server_id, g.seq_no);
    if (g.flags2 & EV_MGTID_GROUP_COMMIT_ID) putf(out, " cid=%" PRIu64, g.commit_id);
    if (extra & GTID_EXTRA_START_ALTER) puts_(out, " START ALTER");
    if (extra & GTID_EXTRA_COMMIT_ALTER) putf(out, " COMMIT ALTER id=%" PRIu64, sa_seq);
    if (extra & GTID_EXTRA_ROLLBACK_ALTER) putf(out, " ROLLBACK ALTER id=%" PRIu64, sa_seq);
    return EV_OK;
}

struct glle { uint32_t domain, server; uint64_t seq; uint32_t at; };

/* compare_glle_gtids: domain, then seq_no; the list order breaks ties (a stable sort). */
static int cmp_glle(const void *a, const void *b)
{
    const struct glle *x = a, *y = b;
    if (x->domain != y->domain) return x->domain < y->domain ? -1 : 1;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

static int info_gtid_list(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct bbuf *out, const char **why)
{
    struct ev_gtid_list l;
    int r = ev_gtid_list_parse(ev, len, fmt, &l, why);
    if (r != EV_OK) return r;
    struct glle *v = l.count ? malloc((size_t)l.count * sizeof(*v)) : NULL;
    if (l.count && !v) {
        out->failed = 1;
        return EV_OK;
    }
    for (uint32_t i = 0; i < l.count; i++) {
        ev_gtid_list_get(&l, i, &v[i].domain, &v[i].server, &v[i].seq);
        v[i].at = i;
    }
    if (l.count > 1) qsort(v, l.count, sizeof(*v), cmp_glle);
    puts_(out, "[");
    for (uint32_t i = 0; i < l.count; i++)
        putf(out, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64, i ? "," : "", v[i].domain, v[i].server, v[i].seq);
    puts_(out, "]");
    free(v);
    return EV_OK;
}

/* append_identifier with sql_quote_show_create on (the default): backticks, doubled inside. */
static void put_ident(struct bbuf *out, const char *s, size_t n)
{
    puts_(out, "`");
    for (size_t i = 0; i < n; i++) {
        bbuf_append(out, s + i, 1);
        if (s[i] == '`') bbuf_append(out, "`", 1);
    }
    puts_(out, "`");
}

static int info_query(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct bbuf *out, const char **why)
{
    struct ev_query q;
    struct ev_header h;
    const uint8_t *b;
    size_t blen;
    int r = ev_query_parse(ev, len, fmt, &q, why);
    if (r != EV_OK) return r;
    if (ev_header_parse(ev, len, &h, why) != EV_OK || ev_body(ev, len, fmt, &b, &blen) != EV_OK)
        return fail(why, "QUERY body missing");
    /* flags2 is the first status variable mariadbd writes (Q_FLAGS2_CODE = 0, 4 bytes). */
    size_t ph = ph_len(fmt, EV_QUERY);
    uint32_t flags2 = 0;
    if (ph >= 13) {
        size_t status_len = wire_u16(b + 11);
        if (status_len >= 5 && b[ph] == 0) flags2 = wire_u32(b + ph + 1);
    }
    if (!(h.flags & EV_F_SUPPRESS_USE) && q.db_len) {
        puts_(out, "use ");
        put_ident(out, q.db, q.db_len);
        puts_(out, "; ");
    }
    if (flags2 & (OPT_NO_FOREIGN_KEY_CHECKS | OPT_RELAXED_UNIQUE_CHECKS | OPT_NO_CHECK_CONSTRAINT_CHECKS | OPT_IF_EXISTS)) {
        puts_(out, "set ");
        if (flags2 & OPT_NO_FOREIGN_KEY_CHECKS) puts_(out, "foreign_key_checks=0, ");
        if (flags2 & OPT_RELAXED_UNIQUE_CHECKS) puts_(out, "unique_checks=0, ");
        if (flags2 & OPT_NO_CHECK_CONSTRAINT_CHECKS) puts_(out, "check_constraint_checks=0, ");
        if (flags2 & OPT_IF_EXISTS) puts_(out, "@@sql_if_exists=1, ");
        if (bbuf_ok(out)) out->p[out->len - 2] = ';';
    }
    bbuf_append(out, q.sql, q.sql_len);
    return EV_OK;
}

/* Table id: 6 bytes after a 8-byte post-header (10 for v2 rows), 4 bytes after a 6-byte one. */
static int table_id(const uint8_t *b, size_t blen, size_t ph, uint64_t *id, uint16_t *flags, const char **why)
{
    if (ph == 6) {
        if (blen < 6) return fail(why, "post-header truncated");
        *id = wire_u32(b);
        *flags = wire_u16(b + 4);
    } else {
        if (ph < 8 || blen < 8) return fail(why, "post-header truncated");
        *id = wire_u48(b);
        *flags = wire_u16(b + 6);
    }
    return EV_OK;
}

static int info_rows(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct bbuf *out, const char **why)
{
    struct ev_header h;
    int r = ev_header_parse(ev, len, &h, why);
    if (r != EV_OK) return r;
    size_t ph = ph_len(fmt, h.type);
    if (!ph) ph = 8;
    size_t crc = fmt && fmt->checksum == EV_CHECKSUM_CRC32 ? EV_CRC_LEN : 0;
    if (h.event_size < EV_HEADER_LEN + crc + ph) return fail(why, "rows event shorter than its post-header");
    if (len < EV_HEADER_LEN + ph) return EV_AGAIN;
    uint64_t id;
    uint16_t flags;
    if (table_id(ev + EV_HEADER_LEN, ph, ph, &id, &flags, why) != EV_OK) return EV_ERROR;
    putf(out, "table_id: %" PRIu64 "%s", id, flags & 1 ? " flags: STMT_END_F" : "");
    return EV_OK;
}

static int info_table_map(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct bbuf *out, const char **why)
{
    const uint8_t *b;
    size_t blen;
    int r = ev_body(ev, len, fmt, &b, &blen);
    if (r == EV_AGAIN) return r;
    if (r != EV_OK) return fail(why, "TABLE_MAP shorter than header + CRC");
    size_t ph = ph_len(fmt, EV_TABLE_MAP);
    if (!ph) ph = 8;
    uint64_t id;
    uint16_t flags;
    if (blen < ph || table_id(b, blen, ph, &id, &flags, why) != EV_OK) return fail(why, "TABLE_MAP post-header truncated");
    const uint8_t *p = b + ph, *end = b + blen;
    size_t n[2];
    const uint8_t *s[2];
    for (int i = 0; i < 2; i++) {
        if (p >= end) return fail(why, "TABLE_MAP names truncated");
        n[i] = *p++;
        if ((size_t)(end - p) < n[i] + 1 || p[n[i]] != 0) return fail(why, "TABLE_MAP name overruns the body");
        s[i] = p;
        p += n[i] + 1;
    }
    putf(out, "table_id: %" PRIu64 " (", id);
    bbuf_append(out, s[0], n[0]);
    puts_(out, ".");
    bbuf_append(out, s[1], n[1]);
    puts_(out, ")");
    return EV_OK;
}

static int info_xa_prepare(const uint8_t *b, size_t blen, struct bbuf *out, const char **why)
{
    if (blen < 13) return fail(why, "XA_PREPARE body too short");
    uint32_t gtrid = wire_u32(b + 5), bqual = wire_u32(b + 9);
    if (gtrid > 64 || bqual > 64 || blen - 13 < (size_t)gtrid + bqual) return fail(why, "XA_PREPARE XID overruns the body");
    puts_(out, b[0] ? "XA COMMIT " : "XA PREPARE ");
    put_xid(out, wire_u32(b + 1), b + 13, gtrid, bqual);
    if (b[0]) puts_(out, " ONE PHASE");
    return EV_OK;
}

int ev_info_format(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct bbuf *out, const char **why)
{
    struct ev_header h;
    int r = ev_header_parse(ev, len, &h, why);
    if (r != EV_OK) return r;
    if (h.type == EV_FORMAT_DESCRIPTION) return info_fde(ev, len, out, why);
    if (!fmt) return fail(why, "no format context");
    if (is_rows(h.type)) return info_rows(ev, len, fmt, out, why);
    if (len < h.event_size) return EV_AGAIN;
    switch (h.type) {
    case EV_MARIA_GTID: return info_gtid(ev, len, fmt, out, why);
    case EV_GTID_LIST: return info_gtid_list(ev, len, fmt, out, why);
    case EV_QUERY: return info_query(ev, len, fmt, out, why);
    case EV_TABLE_MAP: return info_table_map(ev, len, fmt, out, why);
    case EV_XID: {
        struct ev_xid x;
        if ((r = ev_xid_parse(ev, len, fmt, &x, why)) != EV_OK) return r;
        putf(out, "COMMIT /* xid=%" PRId64 " */", (int64_t)x.xid);   /* longlong10_to_str: signed */
        return EV_OK;
    }
    case EV_ROTATE: {
        struct ev_rotate t;
        if ((r = ev_rotate_parse(ev, len, fmt, &t, why)) != EV_OK) return r;
        bbuf_append(out, t.name, t.name_len);
        putf(out, ";pos=%" PRIu64, t.position);
        return EV_OK;
    }
    case EV_BINLOG_CHECKPOINT: {
        struct ev_checkpoint c;
        if ((r = ev_checkpoint_parse(ev, len, fmt, &c, why)) != EV_OK) return r;
        bbuf_append(out, c.name, c.name_len);
        return EV_OK;
    }
    default: break;
    }
    const uint8_t *b;
    size_t blen;
    if (ev_body(ev, len, fmt, &b, &blen) != EV_OK) return fail(why, "event shorter than header + CRC");
    switch (h.type) {
    case EV_ANNOTATE_ROWS:
        bbuf_append(out, b, blen);
        return EV_OK;
    case EV_XA_PREPARE:
        return info_xa_prepare(b, blen, out, why);
    case EV_INTVAR:
        if (blen < 9) return fail(why, "INTVAR body too short");
        putf(out, "%s=%" PRId64, b[0] == 1 ? "LAST_INSERT_ID" : b[0] == 2 ? "INSERT_ID" : "INVALID_INT",
             (int64_t)wire_u64(b + 1));
        return EV_OK;
    case EV_RAND:
        if (blen < 16) return fail(why, "RAND body too short");
        putf(out, "rand_seed1=%" PRIu64 ",rand_seed2=%" PRIu64, wire_u64(b), wire_u64(b + 8));
        return EV_OK;
    case EV_INCIDENT: {
        if (blen < 3) return fail(why, "INCIDENT body too short");
        unsigned kind = wire_u16(b);
        size_t n = b[2];
        if (blen - 3 < n) return fail(why, "INCIDENT message overruns the body");
        putf(out, "#%u (%s)", kind, kind == 0 ? "NONE" : kind == 1 ? "LOST_EVENTS" : "UNKNOWN");
        if (n) {
            puts_(out, ": ");
            bbuf_append(out, b + 3, n);
        }
        return EV_OK;
    }
    default:
        return EV_OK;   /* Stop, Start_encryption, Heartbeat, ...: empty, as pack_info's default */
    }
}
