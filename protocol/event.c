/*
 * event.c - binlog v4 event header, FORMAT_DESCRIPTION and the bodies binlogd reads, plus
 * builders for the wire-only events (fake ROTATE, heartbeat). Pure code.
 *
 * Framing rule shared by every parser: the header's event_size is authoritative. Fewer than
 * event_size bytes in (ev, len) is EV_AGAIN (a prefix of an event); extra bytes after
 * event_size are ignored. Every length inside the body is checked against the body before
 * any pointer is formed from it.
 */
#include "protocol/event.h"

#include <stdio.h>
#include <string.h>

#include "protocol/checksum.h"
#include "protocol/wire.h"

/* FDE body: u16 binlog_version + char[50] server_version + u32 created + u8 header_len. */
#define FDE_VERSION_LEN   50
#define FDE_CREATED_OFF   (2 + FDE_VERSION_LEN)
#define FDE_FIXED_LEN     (2 + FDE_VERSION_LEN + 4 + 1)
#define FDE_ALG_TRAILER   (1 + EV_CRC_LEN)
#define QUERY_PH_MIN      11   /* thread_id, exec_time, db_len, error_code (binlog v3) */
#define QUERY_PH_V4       13   /* + status_vars_len */
#define MARIA_GTID_PH     19
#define MARIA_GTID_FIXED  13   /* seq_no + domain_id + flags2 */
#define MYSQL_GTID_MIN    25   /* flags + sid + gno (MySQL 5.6 layout) */
#define MYSQL_GTID_LT     42   /* + lt_type + last_committed + sequence_number */
#define LT_TYPECODE       2
#define MIN_PH_TYPES      4    /* the FDE table must cover at least QUERY(2) and ROTATE(4) */
#define MARIA_N_TYPES     171  /* MariaDB 10.2-10.11 FDE table: types 1..171 */

static int fail(const char **why, const char *msg)
{
    if (why) *why = msg;
    return EV_ERROR;
}

/* Short static name per type; unknown types are formatted into a per-thread buffer so that
 * concurrent loggers never see each other's numbers. */
const char *ev_type_name(uint8_t type)
{
    static const char *const low[] = {
        "UNKNOWN", "START_V3", "QUERY", "STOP", "ROTATE", "INTVAR", "LOAD", "SLAVE", "CREATE_FILE",
        "APPEND_BLOCK", "EXEC_LOAD", "DELETE_FILE", "NEW_LOAD", "RAND", "USER_VAR", "FORMAT_DESCRIPTION",
        "XID", "BEGIN_LOAD_QUERY", "EXECUTE_LOAD_QUERY", "TABLE_MAP", "PRE_GA_WRITE_ROWS",
        "PRE_GA_UPDATE_ROWS", "PRE_GA_DELETE_ROWS", "WRITE_ROWS_V1", "UPDATE_ROWS_V1", "DELETE_ROWS_V1",
        "INCIDENT", "HEARTBEAT", "IGNORABLE", "ROWS_QUERY", "WRITE_ROWS", "UPDATE_ROWS", "DELETE_ROWS",
        "MYSQL_GTID", "ANONYMOUS_GTID", "PREVIOUS_GTIDS", "TRANSACTION_CONTEXT", "VIEW_CHANGE",
        "XA_PREPARE", "PARTIAL_UPDATE_ROWS", "TRANSACTION_PAYLOAD", "HEARTBEAT_V2", "GTID_TAGGED",
    };
    static const char *const maria[] = {
        "ANNOTATE_ROWS", "BINLOG_CHECKPOINT", "GTID", "GTID_LIST", "START_ENCRYPTION", "QUERY_COMPRESSED",
        "WRITE_ROWS_COMPRESSED_V1", "UPDATE_ROWS_COMPRESSED_V1", "DELETE_ROWS_COMPRESSED_V1",
        "WRITE_ROWS_COMPRESSED", "UPDATE_ROWS_COMPRESSED", "DELETE_ROWS_COMPRESSED",
    };
    static _Thread_local char buf[16];
    if (type < sizeof(low) / sizeof(low[0])) return low[type];
    if (type >= 160 && type - 160 < (int)(sizeof(maria) / sizeof(maria[0]))) return maria[type - 160];
    snprintf(buf, sizeof(buf), "type_%u", (unsigned)type);
    return buf;
}

/* The 19 header bytes as they are, unchecked. */
static void header_read(const uint8_t *buf, struct ev_header *t)
{
    t->timestamp = wire_u32(buf);
    t->type = buf[4];
    t->server_id = wire_u32(buf + 5);
    t->event_size = wire_u32(buf + 9);
    t->log_pos = wire_u32(buf + 13);
    t->flags = wire_u16(buf + EV_FLAGS_OFFSET);
}

/* Header only: never needs more than 19 bytes. */
int ev_header_parse(const uint8_t *buf, size_t len, struct ev_header *h, const char **why)
{
    if (!buf || len < EV_HEADER_LEN) {
        if (why) *why = "event header incomplete";
        return EV_AGAIN;
    }
    struct ev_header t;
    header_read(buf, &t);
    if (t.event_size < EV_HEADER_LEN) return fail(why, "event_size smaller than the 19-byte header");
    if (h) *h = t;
    return EV_OK;
}

/* Post-header lengths before any FDE: what MariaDB 10.x and MySQL 5.7/8.0 both write for the
 * types binlogd decodes. n_post_header covers the MariaDB type range so QUERY/ROTATE resolve. */
void ev_fmt_default(struct ev_fmt *fmt, enum ev_checksum_alg alg)
{
    memset(fmt, 0, sizeof(*fmt));
    fmt->checksum = alg == EV_CHECKSUM_CRC32 ? EV_CHECKSUM_CRC32 : EV_CHECKSUM_OFF;
    fmt->flavor = EV_FLAVOR_UNKNOWN;
    fmt->n_post_header = MARIA_N_TYPES;
    fmt->post_header_len[EV_QUERY - 1] = QUERY_PH_V4;
    fmt->post_header_len[EV_ROTATE - 1] = 8;
    fmt->post_header_len[EV_FORMAT_DESCRIPTION - 1] = (uint8_t)(FDE_FIXED_LEN + MARIA_N_TYPES);
    fmt->post_header_len[EV_MYSQL_GTID - 1] = MYSQL_GTID_LT;
    fmt->post_header_len[EV_ANONYMOUS_GTID - 1] = MYSQL_GTID_LT;
    fmt->post_header_len[EV_MARIA_GTID - 1] = MARIA_GTID_PH;
    fmt->post_header_len[EV_GTID_LIST - 1] = 4;
    fmt->post_header_len[EV_BINLOG_CHECKPOINT - 1] = 4;
    /* XID, STOP, heartbeat, PREVIOUS_GTIDS, payload: 0 */
}

/* Post-header length for type. Types past the FDE's table get a default only when their
 * post-header has been fixed since it was introduced; anything else is refused. */
static int post_header(const struct ev_fmt *fmt, uint8_t type, size_t *ph)
{
    if (type >= 1 && (size_t)(type - 1) < fmt->n_post_header) {
        *ph = fmt->post_header_len[type - 1];
        return 0;
    }
    switch (type) {
    case EV_STOP: case EV_XID: case EV_HEARTBEAT: case EV_PREVIOUS_GTIDS: *ph = 0; return 0;
    case EV_MYSQL_GTID: case EV_ANONYMOUS_GTID: *ph = MYSQL_GTID_LT; return 0;
    case EV_MARIA_GTID: *ph = MARIA_GTID_PH; return 0;
    case EV_GTID_LIST: case EV_BINLOG_CHECKPOINT: *ph = 4; return 0;
    default: return -1;
    }
}

/* Header + completeness check. The header is kept even when it is refused: the caller's
 * message can then say what size the event claimed. */
int ev_view_frame(struct ev_view *v, const uint8_t *buf, size_t len, const char **why)
{
    memset(v, 0, sizeof(*v));
    if (!buf || len < EV_HEADER_LEN) {
        if (why) *why = "event header incomplete";
        return EV_AGAIN;
    }
    header_read(buf, &v->h);
    if (v->h.event_size < EV_HEADER_LEN) return fail(why, "event_size smaller than the 19-byte header");
    if (len < v->h.event_size) {
        if (why) *why = "event incomplete";
        return EV_AGAIN;
    }
    v->buf = buf;
    v->len = v->h.event_size;
    return EV_OK;
}

/* Header, exact size, then the CRC as the event's kind says. */
static int view_checks(struct ev_view *v, const uint8_t *buf, size_t len, const struct ev_fmt *fmt,
                       const char **why)
{
    int r = ev_view_frame(v, buf, len, why);
    if (r == EV_OK && v->len != len) r = EV_AGAIN;
    if (r != EV_OK) {
        if (!buf || len < EV_HEADER_LEN || v->h.event_size < EV_HEADER_LEN) return EV_VIEW_BAD_HEADER;
        if (why) *why = "event_size does not match the length";
        return EV_VIEW_BAD_SIZE;
    }
    if (!fmt) return EV_OK;
    int crc = fmt->checksum == EV_CHECKSUM_CRC32;
    if (v->h.type == EV_FORMAT_DESCRIPTION) {
        struct ev_fde fde;
        if (ev_fde_parse(buf, len, &fde, why) != EV_OK) return EV_VIEW_BAD_FDE;
        crc = fde.has_checksum_alg;
    }
    if (crc && ev_crc32_verify(buf, len) != 0) {
        if (why) *why = "CRC32 mismatch";
        return EV_VIEW_BAD_CRC;
    }
    return EV_OK;
}

/* The one place an arriving event is checked; the order (frame, size, FDE body, CRC) is the
 * order the ingest checked them in before, so the first fault reported is the same. A
 * refused event leaves no usable view (buf NULL), only its header for the message. */
int ev_view_parse(struct ev_view *v, const uint8_t *buf, size_t len, const struct ev_fmt *fmt, const char **why)
{
    int r = view_checks(v, buf, len, fmt, why);
    if (r != EV_OK) {
        v->buf = NULL;
        v->len = 0;
    }
    return r;
}

/* Body bounds of a framed event by fmt's checksum; -1 when it cannot hold its CRC. */
static int view_body(const struct ev_view *v, const struct ev_fmt *fmt, const uint8_t **b, size_t *blen)
{
    size_t crc = fmt && fmt->checksum == EV_CHECKSUM_CRC32 ? EV_CRC_LEN : 0;
    if (v->len < EV_HEADER_LEN + crc) return -1;
    *b = v->buf + EV_HEADER_LEN;
    *blen = v->len - EV_HEADER_LEN - crc;
    return 0;
}

/* Body bounds by event_size and fmt's checksum; AGAIN for a prefix. No why: callers that
 * need one use a typed parser. */
int ev_body(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, const uint8_t **body, size_t *body_len)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, NULL);
    if (r != EV_OK) return r;
    return view_body(&v, fmt, body, body_len) == 0 ? EV_OK : EV_ERROR;
}

/* Common prologue on a framed event: type (when type != 0), body, post-header length
 * (>= ph_min) present in the body. The header is the view's: not parsed again. */
static int prologue_view(const struct ev_view *v, const struct ev_fmt *fmt, uint8_t type, size_t ph_min,
                         const uint8_t **b, size_t *blen, size_t *ph, const char **why)
{
    if (type && v->h.type != type) return fail(why, "unexpected event type");
    if (!fmt) return fail(why, "no format context");
    if (view_body(v, fmt, b, blen) != 0) return fail(why, "event shorter than header + CRC");
    if (post_header(fmt, v->h.type, ph) != 0) return fail(why, "format description does not cover this event type");
    if (*ph < ph_min) return fail(why, "post-header length too short for this event type");
    if (*blen < *ph) return fail(why, "body shorter than its post-header");
    return EV_OK;
}

int ev_view_body(const struct ev_view *v, const struct ev_fmt *fmt, const uint8_t **body, size_t *body_len,
                 size_t *post_header_len, const char **why)
{
    return prologue_view(v, fmt, 0, 0, body, body_len, post_header_len, why);
}

/* Same for raw bytes: frame first (the framing rule: EV_AGAIN for a prefix). */
static int prologue(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, uint8_t type, size_t ph_min,
                    struct ev_header *h, const uint8_t **b, size_t *blen, size_t *ph, const char **why)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, why);
    if (r != EV_OK) return r;
    *h = v.h;
    return prologue_view(&v, fmt, type, ph_min, b, blen, ph, why);
}

static int valid_name_len(size_t n) { return n > 0 && n <= EV_MAX_NAME_LEN; }

/* Parse "X.Y.Z..." the way the servers split it: up to three numbers, each < 256; anything
 * unparsable counts as 0.0.0 (i.e. a pre-checksum server). */
static void version_split(const char *v, unsigned out[3])
{
    out[0] = out[1] = out[2] = 0;
    const char *p = v;
    for (int i = 0; i < 3; i++) {
        unsigned n = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 4) {
            n = n * 10 + (unsigned)(*p - '0');
            p++;
            digits++;
        }
        if (!digits || n > 255 || (i == 0 && *p != '.')) {
            out[0] = out[1] = out[2] = 0;
            return;
        }
        out[i] = n;
        if (*p != '.') return;
        p++;
    }
}

static int is_mariadb_version(const char *v) { return strstr(v, "MariaDB") || strstr(v, "-maria-"); }

static int version_has_checksum(const char *v)
{
    unsigned s[3];
    version_split(v, s);
    unsigned min[3] = {5, 6, 1};
    if (is_mariadb_version(v)) { min[0] = 5; min[1] = 3; min[2] = 0; }
    for (int i = 0; i < 3; i++)
        if (s[i] != min[i]) return s[i] > min[i];
    return 1;
}

/* FDE: the trailer (alg + CRC) is decided by the version string, as servers do, so that the
 * table length N never swallows or loses those 5 bytes. *fde points into ev. */
int ev_fde_parse(const uint8_t *ev, size_t len, struct ev_fde *fde, const char **why)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, why);
    if (r != EV_OK) return r;
    if (v.h.type != EV_FORMAT_DESCRIPTION) return fail(why, "unexpected event type");
    const uint8_t *b = ev + EV_HEADER_LEN;
    size_t blen = v.len - EV_HEADER_LEN;
    if (blen < FDE_FIXED_LEN) return fail(why, "format description body too short");
    struct ev_fde f;
    memset(&f, 0, sizeof(f));
    f.binlog_version = wire_u16(b);
    if (f.binlog_version != 4) return fail(why, "binlog version is not 4");
    memcpy(f.server_version, b + 2, FDE_VERSION_LEN);
    f.server_version[FDE_VERSION_LEN] = '\0';
    f.created = wire_u32(b + FDE_CREATED_OFF);
    f.header_len = b[FDE_CREATED_OFF + 4];
    if (f.header_len != EV_HEADER_LEN) return fail(why, "common header length is not 19");
    f.has_checksum_alg = version_has_checksum(f.server_version);
    size_t rest = blen - FDE_FIXED_LEN;
    if (f.has_checksum_alg) {
        if (rest < FDE_ALG_TRAILER) return fail(why, "format description too short for its checksum trailer");
        rest -= FDE_ALG_TRAILER;
        uint8_t alg = b[blen - FDE_ALG_TRAILER];
        if (alg != EV_CHECKSUM_OFF && alg != EV_CHECKSUM_CRC32) return fail(why, "unknown checksum algorithm");
        f.checksum = (enum ev_checksum_alg)alg;
    } else {
        f.checksum = EV_CHECKSUM_OFF;
    }
    /* A table that stops before QUERY/ROTATE made mysqld read past it (MySQL bug #120777). */
    if (rest < MIN_PH_TYPES) return fail(why, "post-header table too short");
    if (rest > 255) return fail(why, "post-header table longer than 255 entries");
    f.post_header_len = b + FDE_FIXED_LEN;
    f.n_post_header = (uint16_t)rest;
    if (f.post_header_len[EV_QUERY - 1] < QUERY_PH_MIN) return fail(why, "QUERY post-header length too short");
    if (f.post_header_len[EV_ROTATE - 1] != 0 && f.post_header_len[EV_ROTATE - 1] < 8)
        return fail(why, "ROTATE post-header length too short");
    if (is_mariadb_version(f.server_version) || f.n_post_header >= EV_GTID_LIST)
        f.flavor = EV_FLAVOR_MARIADB;
    else
        f.flavor = EV_FLAVOR_MYSQL;
    if (fde) *fde = f;
    return EV_OK;
}

/* Copies the table (fmt does not point into the event). alg OFF, UNDEF or no trailer all
 * mean events carry no CRC. */
void ev_fmt_from_fde(struct ev_fmt *fmt, const struct ev_fde *fde)
{
    memset(fmt, 0, sizeof(*fmt));
    fmt->checksum = fde->has_checksum_alg && fde->checksum == EV_CHECKSUM_CRC32 ? EV_CHECKSUM_CRC32
                                                                               : EV_CHECKSUM_OFF;
    fmt->flavor = fde->flavor;
    size_t n = fde->n_post_header > 255 ? 255 : fde->n_post_header;
    if (fde->post_header_len) memcpy(fmt->post_header_len, fde->post_header_len, n);
    fmt->n_post_header = (uint16_t)n;
}

/* ROTATE: u64 position (when the post-header has it) + name; name points into ev. */
int ev_rotate_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_rotate *out,
                    const char **why)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, why);   /* framing faults first, as before */
    return r != EV_OK ? r : ev_view_rotate(&v, fmt, out, why);
}

int ev_view_rotate(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_rotate *out, const char **why)
{
    const uint8_t *b;
    size_t blen, ph;
    int r = prologue_view(v, fmt, EV_ROTATE, 0, &b, &blen, &ph, why);
    if (r != EV_OK) return r;
    struct ev_rotate t;
    if (ph == 0) {
        t.position = BINLOG_MAGIC_LEN;  /* binlog v1 rotates carried no position */
    } else {
        if (ph < 8) return fail(why, "ROTATE post-header too short");
        t.position = wire_u64(b);
    }
    t.name = (const char *)b + ph;
    t.name_len = blen - ph;
    if (!valid_name_len(t.name_len)) return fail(why, "ROTATE file name empty or too long");
    if (out) *out = t;
    return EV_OK;
}

/* QUERY: fixed post-header, status vars (skipped), db + NUL, SQL to the end of the body.
 * db/sql point into ev. */
int ev_query_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_query *out,
                   const char **why)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, why);   /* framing faults first, as before */
    return r != EV_OK ? r : ev_view_query(&v, fmt, out, why);
}

int ev_view_query(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_query *out, const char **why)
{
    const uint8_t *b;
    size_t blen, ph;
    int r = prologue_view(v, fmt, EV_QUERY, QUERY_PH_MIN, &b, &blen, &ph, why);
    if (r != EV_OK) return r;
    struct ev_query q;
    q.thread_id = wire_u32(b);
    q.exec_time = wire_u32(b + 4);
    size_t db_len = b[8];
    q.error_code = wire_u16(b + 9);
    size_t status_len = ph >= QUERY_PH_V4 ? wire_u16(b + 11) : 0;
    size_t rest = blen - ph;
    /* The classic underflow site: every piece is checked against what is left. */
    if (status_len > rest || db_len + 1 > rest - status_len)
        return fail(why, "QUERY status vars / db name overrun the body");
    const uint8_t *p = b + ph + status_len;
    if (p[db_len] != 0) return fail(why, "QUERY db name not NUL-terminated");
    q.db = (const char *)p;
    q.db_len = db_len;
    q.sql = (const char *)p + db_len + 1;
    q.sql_len = rest - status_len - db_len - 1;
    if (out) *out = q;
    return EV_OK;
}

/* XID: u64 after the (empty) post-header. */
int ev_xid_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_xid *out, const char **why)
{
    struct ev_header h;
    const uint8_t *b;
    size_t blen, ph;
    int r = prologue(ev, len, fmt, EV_XID, 0, &h, &b, &blen, &ph, why);
    if (r != EV_OK) return r;
    if (blen - ph < 8) return fail(why, "XID body too short");
    if (out) out->xid = wire_u64(b + ph);
    return EV_OK;
}

/* MariaDB GTID: seq, domain, flags2 [+ commit id]; XA and 10.8+ extra fields are not decoded. */
int ev_maria_gtid_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_maria_gtid *out,
                        const char **why)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, why);   /* framing faults first, as before */
    return r != EV_OK ? r : ev_view_maria_gtid(&v, fmt, out, why);
}

int ev_view_maria_gtid(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_maria_gtid *out,
                       const char **why)
{
    const uint8_t *b;
    size_t blen, ph;
    int r = prologue_view(v, fmt, EV_MARIA_GTID, MARIA_GTID_PH, &b, &blen, &ph, why);
    if (r != EV_OK) return r;
    struct ev_maria_gtid g;
    g.seq_no = wire_u64(b);
    g.domain_id = wire_u32(b + 8);
    g.flags2 = b[12];
    g.server_id = v->h.server_id;
    g.commit_id = 0;
    if (g.flags2 & EV_MGTID_GROUP_COMMIT_ID) {
        if (blen < MARIA_GTID_FIXED + 8) return fail(why, "GTID too short for its commit id");
        g.commit_id = wire_u64(b + MARIA_GTID_FIXED);
    }
    if (out) *out = g;
    return EV_OK;
}

/* GTID_LIST: the count is checked against the body in 64 bits so count * 16 cannot wrap. */
int ev_gtid_list_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_gtid_list *out,
                       const char **why)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, why);   /* framing faults first, as before */
    return r != EV_OK ? r : ev_view_gtid_list(&v, fmt, out, why);
}

int ev_view_gtid_list(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_gtid_list *out,
                      const char **why)
{
    const uint8_t *b;
    size_t blen, ph;
    int r = prologue_view(v, fmt, EV_GTID_LIST, 4, &b, &blen, &ph, why);
    if (r != EV_OK) return r;
    uint32_t cf = wire_u32(b);
    struct ev_gtid_list l;
    l.count = cf & 0x0FFFFFFFu;
    l.flags = cf & 0xF0000000u;   /* kept in place, as MariaDB's FLAG_UNTIL_REACHED = 1<<28 */
    if ((uint64_t)l.count * 16 > (uint64_t)(blen - ph)) return fail(why, "GTID_LIST count overruns the body");
    l.entries = b + ph;
    if (out) *out = l;
    return EV_OK;
}

/* Entry i of a list that ev_gtid_list_parse accepted. */
void ev_gtid_list_get(const struct ev_gtid_list *list, uint32_t i, uint32_t *domain, uint32_t *server,
                      uint64_t *seq)
{
    if (i >= list->count) {   /* caller bug: answer zeros rather than read past the list */
        *domain = 0; *server = 0; *seq = 0;
        return;
    }
    const uint8_t *e = list->entries + (size_t)i * 16;
    *domain = wire_u32(e);
    *server = wire_u32(e + 4);
    *seq = wire_u64(e + 8);
}

/* MySQL GTID / ANONYMOUS_GTID (not GTID_TAGGED, whose body is serialized differently). */
int ev_mysql_gtid_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_mysql_gtid *out,
                        const char **why)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, why);   /* framing faults first, as before */
    return r != EV_OK ? r : ev_view_mysql_gtid(&v, fmt, out, why);
}

int ev_view_mysql_gtid(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_mysql_gtid *out,
                       const char **why)
{
    if (v->h.type != EV_MYSQL_GTID && v->h.type != EV_ANONYMOUS_GTID) return fail(why, "unexpected event type");
    if (!fmt) return fail(why, "no format context");
    const uint8_t *b;
    size_t blen;
    if (view_body(v, fmt, &b, &blen) != 0) return fail(why, "event shorter than header + CRC");
    /* The fields ARE the post-header, decoded by length rather than by the FDE's table: 5.6
     * wrote 25 bytes, 5.7+ adds the logical clock, 8.0 optional fields after it. */
    if (blen < MYSQL_GTID_MIN) return fail(why, "GTID body too short");
    struct ev_mysql_gtid g;
    g.flags = b[0];
    memcpy(g.sid, b + 1, 16);
    g.gno = (int64_t)wire_u64(b + 17);
    g.last_committed = -1;
    g.sequence_number = -1;
    if (blen >= MYSQL_GTID_LT) {
        if (b[25] != LT_TYPECODE) return fail(why, "GTID logical timestamp type is not 2");
        g.last_committed = (int64_t)wire_u64(b + 26);
        g.sequence_number = (int64_t)wire_u64(b + 34);
    }
    if (out) *out = g;
    return EV_OK;
}

/* PREVIOUS_GTIDS: the raw encoded set (decode it with gtid_mysql_set_decode). */
int ev_previous_gtids_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt,
                            struct ev_previous_gtids *out, const char **why)
{
    struct ev_view v;
    int r = ev_view_frame(&v, ev, len, why);   /* framing faults first, as before */
    return r != EV_OK ? r : ev_view_previous_gtids(&v, fmt, out, why);
}

int ev_view_previous_gtids(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_previous_gtids *out,
                           const char **why)
{
    const uint8_t *b;
    size_t blen, ph;
    int r = prologue_view(v, fmt, EV_PREVIOUS_GTIDS, 0, &b, &blen, &ph, why);
    if (r != EV_OK) return r;
    if (out) {
        out->data = b + ph;
        out->len = blen - ph;
    }
    return EV_OK;
}

/* BINLOG_CHECKPOINT: u32 length + name; name points into ev. */
int ev_checkpoint_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_checkpoint *out,
                        const char **why)
{
    struct ev_header h;
    const uint8_t *b;
    size_t blen, ph;
    int r = prologue(ev, len, fmt, EV_BINLOG_CHECKPOINT, 4, &h, &b, &blen, &ph, why);
    if (r != EV_OK) return r;
    uint32_t n = wire_u32(b);
    if (n > blen - ph) return fail(why, "BINLOG_CHECKPOINT name overruns the body");
    if (!valid_name_len(n)) return fail(why, "BINLOG_CHECKPOINT name empty or too long");
    if (out) {
        out->name = (const char *)b + ph;
        out->name_len = n;
    }
    return EV_OK;
}

/* Heartbeat v1: name = body, position = header log_pos. The MariaDB variant for offsets past
 * 4 GiB (log_pos 0 + an 8-byte position before the name) is not decoded. */
int ev_heartbeat_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, const char **name,
                       size_t *name_len, uint64_t *pos, const char **why)
{
    struct ev_header h;
    const uint8_t *b;
    size_t blen, ph;
    int r = prologue(ev, len, fmt, EV_HEARTBEAT, 0, &h, &b, &blen, &ph, why);
    if (r != EV_OK) return r;
    if (!valid_name_len(blen - ph)) return fail(why, "heartbeat file name empty or too long");
    if (name) *name = (const char *)b + ph;
    if (name_len) *name_len = blen - ph;
    if (pos) *pos = h.log_pos;
    return EV_OK;
}

/* Header + pre (fixed part) + name [+ CRC]; 0 when it does not fit or the name is unusable. */
static size_t build(uint8_t *out, size_t cap, uint8_t type, uint32_t server_id, uint32_t log_pos, uint16_t flags,
                    const uint8_t *pre, size_t pre_len, const char *name, size_t name_len,
                    enum ev_checksum_alg alg)
{
    uint8_t body[16 + EV_MAX_NAME_LEN];
    if (!out || !name || !valid_name_len(name_len) || pre_len > 16) return 0;
    if (pre_len) memcpy(body, pre, pre_len);
    memcpy(body + pre_len, name, name_len);
    return ev_build_event(out, cap, type, server_id, log_pos, flags, body, pre_len + name_len, alg);
}

/* Fake ROTATE as primaries send it: timestamp 0, log_pos 0, ARTIFICIAL. An empty name is
 * refused too (replicas reject it). */
size_t ev_build_fake_rotate(uint8_t *out, size_t cap, uint32_t server_id, uint64_t pos, const char *name,
                            size_t name_len, enum ev_checksum_alg alg)
{
    uint8_t p[8];
    wire_put_u64(p, pos);
    return build(out, cap, EV_ROTATE, server_id, 0, EV_F_ARTIFICIAL, p, sizeof(p), name, name_len, alg);
}

/* Heartbeat v1: timestamp 0, flags 0, body = file name. */
size_t ev_build_heartbeat(uint8_t *out, size_t cap, uint32_t server_id, uint32_t log_pos, const char *name,
                          size_t name_len, enum ev_checksum_alg alg)
{
    return build(out, cap, EV_HEARTBEAT, server_id, log_pos, 0, NULL, 0, name, name_len, alg);
}

/* The FDE must parse first: a rewrite never touches bytes it could not validate. */
int ev_fde_rewrite_for_resume(uint8_t *ev, size_t len, const char **why)
{
    struct ev_fde f;
    int r = ev_fde_parse(ev, len, &f, why);
    if (r != EV_OK) return r;
    uint32_t size = wire_u32(ev + 9);
    uint16_t flags = wire_u16(ev + EV_FLAGS_OFFSET);
    wire_put_u16(ev + EV_FLAGS_OFFSET, (uint16_t)(flags & ~EV_F_BINLOG_IN_USE));
    wire_put_u32(ev + 13, 0);
    wire_put_u32(ev + EV_HEADER_LEN + FDE_CREATED_OFF, 0);
    if (f.has_checksum_alg) ev_crc32_store(ev, size);
    return EV_OK;
}

size_t ev_build_event(uint8_t *out, size_t cap, uint8_t type, uint32_t server_id, uint32_t log_pos, uint16_t flags,
                      const uint8_t *body, size_t body_len, enum ev_checksum_alg alg)
{
    size_t crc = alg == EV_CHECKSUM_CRC32 ? EV_CRC_LEN : 0;
    if (!out || body_len > UINT32_MAX - EV_HEADER_LEN - EV_CRC_LEN) return 0;
    size_t size = EV_HEADER_LEN + body_len + crc;
    if (cap < size) return 0;
    wire_put_u32(out, 0);
    out[4] = type;
    wire_put_u32(out + 5, server_id);
    wire_put_u32(out + 9, (uint32_t)size);
    wire_put_u32(out + 13, log_pos);
    wire_put_u16(out + EV_FLAGS_OFFSET, flags);
    if (body_len) memcpy(out + EV_HEADER_LEN, body, body_len);
    if (crc) ev_crc32_store(out, size);
    return size;
}

int ev_fde_clear_created(uint8_t *ev, size_t len, const char **why)
{
    struct ev_fde f;
    int r = ev_fde_parse(ev, len, &f, why);
    if (r != EV_OK) return r;
    wire_put_u32(ev + EV_HEADER_LEN + FDE_CREATED_OFF, 0);
    if (f.has_checksum_alg) ev_crc32_store(ev, wire_u32(ev + 9));
    return EV_OK;
}
