/*
 * event.h - binlog v4 events: header, the event types binlogd must understand, builders
 * for the wire-only events a primary sends. Pure code: no I/O, no clock, no allocation.
 *
 * Every parser takes the WHOLE event (19-byte header + body [+ 4-byte CRC]) as (buf, len)
 * and a format context that says whether a trailing CRC is present. Every length and
 * offset inside the bytes is treated as hostile: a parser returns EV_ERROR (with a static
 * reason string) rather than read outside (buf, len). The header's event_size frames the
 * event: len < event_size is EV_AGAIN (a prefix), bytes past event_size are ignored.
 */
#ifndef BINLOGD_PROTOCOL_EVENT_H
#define BINLOGD_PROTOCOL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define BINLOG_MAGIC        "\xfe" "bin"
#define BINLOG_MAGIC_LEN    4
#define EV_HEADER_LEN       19
#define EV_CRC_LEN          4
/* Common-header fields (little-endian): timestamp 0..3, type 4, server_id 5..8,
 * event_size 9..12, log_pos 13..16, flags 17..18. Named for readers that load one field
 * in place instead of parsing the whole header (cursor.c). */
#define EV_TYPE_OFFSET      4
#define EV_SERVER_ID_OFFSET 5
#define EV_SIZE_OFFSET      9
#define EV_LOG_POS_OFFSET   13
#define EV_FLAGS_OFFSET     17
/* Offset of the FDE flags byte in a binlog file: magic + 17. Closing a file clears bit 0 here. */
#define BINLOG_IN_USE_OFFSET (BINLOG_MAGIC_LEN + EV_FLAGS_OFFSET)
/* Longest file name we accept anywhere (wire or disk). mysqld's FN_REFLEN is 512. */
#define EV_MAX_NAME_LEN     511

enum ev_type {
    EV_UNKNOWN = 0, EV_START_V3 = 1, EV_QUERY = 2, EV_STOP = 3, EV_ROTATE = 4, EV_INTVAR = 5,
    EV_RAND = 13, EV_USER_VAR = 14, EV_FORMAT_DESCRIPTION = 15, EV_XID = 16,
    EV_TABLE_MAP = 19, EV_INCIDENT = 26, EV_HEARTBEAT = 27, EV_IGNORABLE = 28, EV_ROWS_QUERY = 29,
    EV_MYSQL_GTID = 33, EV_ANONYMOUS_GTID = 34, EV_PREVIOUS_GTIDS = 35,
    EV_TRANSACTION_CONTEXT = 36, EV_VIEW_CHANGE = 37, EV_XA_PREPARE = 38,
    EV_TRANSACTION_PAYLOAD = 40, EV_HEARTBEAT_V2 = 41, EV_GTID_TAGGED = 42,
    EV_ANNOTATE_ROWS = 160, EV_BINLOG_CHECKPOINT = 161, EV_MARIA_GTID = 162, EV_GTID_LIST = 163,
    EV_START_ENCRYPTION = 164, EV_QUERY_COMPRESSED = 165
};

/* Header flags (u16 at offset 17). */
#define EV_F_BINLOG_IN_USE     0x0001
#define EV_F_THREAD_SPECIFIC   0x0004
#define EV_F_SUPPRESS_USE      0x0008
#define EV_F_ARTIFICIAL        0x0020
#define EV_F_RELAY_LOG         0x0040
#define EV_F_IGNORABLE         0x0080
#define EV_F_SKIP_REPLICATION  0x8000

/* MariaDB GTID flags2 bits. */
#define EV_MGTID_STANDALONE      0x01
#define EV_MGTID_GROUP_COMMIT_ID 0x02
#define EV_MGTID_TRANSACTIONAL   0x04
#define EV_MGTID_ALLOW_PARALLEL  0x08
#define EV_MGTID_WAITED          0x10
#define EV_MGTID_DDL             0x20
#define EV_MGTID_PREPARED_XA     0x40
#define EV_MGTID_COMPLETED_XA    0x80

enum ev_result { EV_OK = 0, EV_AGAIN = 1, EV_ERROR = -1 };

enum ev_checksum_alg { EV_CHECKSUM_OFF = 0, EV_CHECKSUM_CRC32 = 1, EV_CHECKSUM_UNDEF = 255 };

enum ev_flavor { EV_FLAVOR_UNKNOWN = 0, EV_FLAVOR_MARIADB, EV_FLAVOR_MYSQL };

struct ev_header {
    uint32_t timestamp;
    uint8_t  type;
    uint32_t server_id;
    uint32_t event_size;   /* header + body + CRC */
    uint32_t log_pos;      /* END offset of this event in its file; 0 = artificial */
    uint16_t flags;
};

/*
 * What a reader needs to know about the events that follow a FORMAT_DESCRIPTION.
 * Built by ev_fmt_from_fde(); ev_fmt_default() gives the context before any FDE is seen
 * (the checksum of the very first events on the wire is what @master_binlog_checksum said).
 */
struct ev_fmt {
    enum ev_checksum_alg checksum;  /* OFF or CRC32: whether events carry a trailing CRC */
    enum ev_flavor flavor;
    uint8_t post_header_len[256];   /* per type code; 0 where the FDE did not say */
    uint16_t n_post_header;         /* how many entries the FDE carried */
};

struct ev_fde {
    uint16_t binlog_version;        /* must be 4 */
    char     server_version[51];    /* NUL-terminated copy */
    uint32_t created;
    uint8_t  header_len;            /* must be 19 */
    const uint8_t *post_header_len; /* points into the event */
    uint16_t n_post_header;
    enum ev_checksum_alg checksum;  /* alg byte, or OFF for servers that predate checksums */
    int      has_checksum_alg;      /* 1 when the FDE carries alg + CRC (>= MySQL 5.6.1 / MariaDB 5.3) */
    enum ev_flavor flavor;
};

struct ev_rotate {
    uint64_t position;
    const char *name;   /* points into the event, NOT NUL-terminated */
    size_t   name_len;
};

struct ev_query {
    uint32_t thread_id;
    uint32_t exec_time;
    uint16_t error_code;
    const char *db;     size_t db_len;     /* not NUL-terminated */
    const char *sql;    size_t sql_len;    /* not NUL-terminated */
};

struct ev_xid { uint64_t xid; };

/* MariaDB GTID (162). */
struct ev_maria_gtid {
    uint32_t domain_id;
    uint32_t server_id;  /* from the header */
    uint64_t seq_no;
    uint8_t  flags2;
    uint64_t commit_id;  /* valid if flags2 & GROUP_COMMIT_ID */
};

/* MariaDB GTID_LIST (163): entries are decoded on demand with ev_gtid_list_get(). */
struct ev_gtid_list {
    uint32_t count;
    uint32_t flags;      /* top 4 bits of count_and_flags, in place (0x10000000 = UNTIL_REACHED) */
    const uint8_t *entries; /* count * 16 bytes: u32 domain, u32 server, u64 seq */
};

/* MySQL GTID / ANONYMOUS_GTID (33/34). */
struct ev_mysql_gtid {
    uint8_t  flags;
    uint8_t  sid[16];
    int64_t  gno;
    int64_t  last_committed;   /* -1 when absent */
    int64_t  sequence_number;  /* -1 when absent */
};

/* PREVIOUS_GTIDS (35): the encoded GTID set (same encoding as COM_BINLOG_DUMP_GTID). */
struct ev_previous_gtids { const uint8_t *data; size_t len; };

struct ev_checkpoint { const char *name; size_t name_len; };

/* Short, static name for logs ("QUERY", "GTID", ...; "type_NNN" style for unknown types is
 * written into a thread-local buffer). Thread-safe. */
const char *ev_type_name(uint8_t type);

/* Parse the 19-byte header at buf. EV_AGAIN if len < 19; EV_ERROR (with *why) if event_size
 * < 19 or the type/size are impossible. Does not require the whole event to be present. */
int ev_header_parse(const uint8_t *buf, size_t len, struct ev_header *h, const char **why);

/*
 * One event, framed and checked once where it arrives, then handed down the ingest path
 * (store, transaction tracker, GTID tracker) so that no module parses the header again.
 * Invariant: h was read from buf[0..19) and len == h.event_size (>= 19). buf is borrowed:
 * the view is valid only while the caller's bytes are.
 */
struct ev_view {
    const uint8_t *buf;   /* the whole event: header + body [+ CRC] */
    size_t len;           /* == h.event_size */
    struct ev_header h;
};

/* What ev_view_parse refused. Negative, so `!= EV_OK` still means "failed"; distinct so a
 * caller can keep its own wording per fault. */
enum ev_view_fault {
    EV_VIEW_BAD_HEADER = -1,  /* fewer than 19 bytes, or event_size < 19 (== EV_ERROR) */
    EV_VIEW_BAD_SIZE   = -2,  /* event_size != len: not exactly one event */
    EV_VIEW_BAD_FDE    = -3,  /* a FORMAT_DESCRIPTION whose body cannot be read */
    EV_VIEW_BAD_CRC    = -4   /* the event carries a CRC32 and it does not match */
};

/*
 * Frame the event at buf with the usual framing rule: EV_AGAIN for a prefix (why "event
 * header incomplete" / "event incomplete"), EV_ERROR when event_size < 19; bytes past
 * event_size are ignored (v->len = event_size). No CRC check. v->h is filled whenever 19
 * bytes are present (also on failure, for the caller's message); *v is zeroed otherwise.
 * Pure, any thread.
 */
int ev_view_frame(struct ev_view *v, const uint8_t *buf, size_t len, const char **why);

/*
 * Parse and check one whole event exactly as it arrived (buf/len is one packet or one
 * stored event): header, event_size == len, and the CRC when the event carries one. A
 * FORMAT_DESCRIPTION says itself whether it carries one (ev_fde_parse: the alg byte), so its
 * body is read for that; any other event carries one when fmt->checksum is CRC32. fmt NULL:
 * no CRC check and the FDE body is not read (bytes verified before, e.g. already stored).
 * Returns EV_OK, or an enum ev_view_fault with *why (static), v->buf NULL and v->len 0 (v->h
 * as for ev_view_frame, for the message).
 * Pure, any thread; v borrows buf.
 */
int ev_view_parse(struct ev_view *v, const uint8_t *buf, size_t len, const struct ev_fmt *fmt, const char **why);

/* Default reading context before any FDE: checksum as given, MariaDB-ish post headers. */
void ev_fmt_default(struct ev_fmt *fmt, enum ev_checksum_alg alg);

/* Parse a FORMAT_DESCRIPTION event (whole event). Rejects binlog_version != 4, header_len
 * != 19, a post-header table too short to cover the types binlogd reads (MySQL bug #120777),
 * and bodies shorter than their fixed part. */
int ev_fde_parse(const uint8_t *ev, size_t len, struct ev_fde *fde, const char **why);

/* Fill *fmt from a parsed FDE. */
void ev_fmt_from_fde(struct ev_fmt *fmt, const struct ev_fde *fde);

/* Body bounds: bytes after the header, before the CRC (when fmt says CRC32). EV_ERROR if the
 * event is shorter than header + CRC. The FDE itself always carries a CRC when it has the alg
 * byte, whatever its alg says: use ev_fde_parse for FDEs. */
int ev_body(const uint8_t *ev, size_t len, const struct ev_fmt *fmt,
            const uint8_t **body, size_t *body_len);

int ev_rotate_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_rotate *out, const char **why);
int ev_query_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_query *out, const char **why);
int ev_xid_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_xid *out, const char **why);
int ev_maria_gtid_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_maria_gtid *out, const char **why);
int ev_gtid_list_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_gtid_list *out, const char **why);
/* i-th entry of a parsed GTID_LIST; i < list->count. */
void ev_gtid_list_get(const struct ev_gtid_list *list, uint32_t i, uint32_t *domain, uint32_t *server, uint64_t *seq);
int ev_mysql_gtid_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_mysql_gtid *out, const char **why);
int ev_previous_gtids_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_previous_gtids *out, const char **why);
int ev_checkpoint_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_checkpoint *out, const char **why);
/*
 * The same typed parsers on a framed event (ev_view_parse / ev_view_frame): the header is
 * the view's, not parsed again; the type, body and field checks and their *why texts are
 * those of the byte forms above (which frame, then call these). Out pointers point into
 * v->buf. Pure, any thread.
 */
int ev_view_rotate(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_rotate *out, const char **why);
int ev_view_query(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_query *out, const char **why);
int ev_view_maria_gtid(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_maria_gtid *out, const char **why);
int ev_view_gtid_list(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_gtid_list *out, const char **why);
int ev_view_mysql_gtid(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_mysql_gtid *out, const char **why);
int ev_view_previous_gtids(const struct ev_view *v, const struct ev_fmt *fmt, struct ev_previous_gtids *out,
                           const char **why);

/* Body (after the header, before the CRC when fmt says CRC32) and post-header length (from
 * fmt's table) of a framed event, for parsers of event types outside this file (table_map.c,
 * rows.c). The header is the view's, not parsed again. EV_OK, or EV_ERROR with *why (no
 * format context, body shorter than header + CRC or than its post-header, a type the FDE
 * does not cover). Pure, any thread; *body points into v->buf. */
int ev_view_body(const struct ev_view *v, const struct ev_fmt *fmt, const uint8_t **body, size_t *body_len,
                 size_t *post_header_len, const char **why);

/* Heartbeat v1 (27): the file name is the body; position is the header log_pos. */
int ev_heartbeat_parse(const uint8_t *ev, size_t len, const struct ev_fmt *fmt,
                       const char **name, size_t *name_len, uint64_t *pos, const char **why);

/*
 * Builders for wire-only events. Each writes a whole event (header + body + CRC when
 * alg == CRC32) into out (capacity cap) and returns its length, or 0 if cap is too small
 * or the name is longer than EV_MAX_NAME_LEN.
 */
size_t ev_build_fake_rotate(uint8_t *out, size_t cap, uint32_t server_id, uint64_t pos,
                            const char *name, size_t name_len, enum ev_checksum_alg alg);
size_t ev_build_heartbeat(uint8_t *out, size_t cap, uint32_t server_id, uint32_t log_pos,
                          const char *name, size_t name_len, enum ev_checksum_alg alg);

/* Any event: header (timestamp 0) + body + CRC when alg == CRC32. Length, or 0 when cap is
 * too small. Used for wire-only events such as a fake GTID_LIST. */
size_t ev_build_event(uint8_t *out, size_t cap, uint8_t type, uint32_t server_id, uint32_t log_pos, uint16_t flags,
                      const uint8_t *body, size_t body_len, enum ev_checksum_alg alg);

/* Zero the FDE's `created` field in place and fix its CRC (a GTID start not yet reached:
 * the replica must not take it as a server restart). ev/len is the whole FDE. */
int ev_fde_clear_created(uint8_t *ev, size_t len, const char **why);

/* Rewrite an FDE copy in place for sending mid-file: clear IN_USE, zero log_pos and created,
 * recompute the CRC when the FDE carries one. ev/len is the whole FDE. */
int ev_fde_rewrite_for_resume(uint8_t *ev, size_t len, const char **why);

#endif
