/* command.c - bounds-checked decoding of client command packets. */
#include "protocol/command.h"

#include <string.h>

#include "protocol/wire.h"

const char *cmd_type_name(enum cmd_type t)
{
    switch (t) {
    case CMD_UNKNOWN: return "unknown";
    case CMD_QUIT: return "COM_QUIT";
    case CMD_INIT_DB: return "COM_INIT_DB";
    case CMD_QUERY: return "COM_QUERY";
    case CMD_PROCESS_KILL: return "COM_PROCESS_KILL";
    case CMD_PING: return "COM_PING";
    case CMD_BINLOG_DUMP: return "COM_BINLOG_DUMP";
    case CMD_REGISTER_SLAVE: return "COM_REGISTER_SLAVE";
    case CMD_BINLOG_DUMP_GTID: return "COM_BINLOG_DUMP_GTID";
    case CMD_SEMI_SYNC_ACK: return "semi-sync ACK";
    case CMD_STATISTICS: return "COM_STATISTICS";
    }
    return "?";
}

static int bad(const char **why, const char *msg)
{
    if (why) *why = msg;
    return -1;
}

/* Both servers read the dump file name as a C string: it ends at the first NUL. */
static size_t cstr_len(const uint8_t *p, size_t max)
{
    const uint8_t *nul = max ? memchr(p, 0, max) : NULL;
    return nul ? (size_t)(nul - p) : max;
}

/* One COM_REGISTER_SLAVE string. Clients write lenenc, MariaDB reads a single length
 * byte; below 251 the two agree, and lenenc is what clients really send above it. */
static int reg_string(const uint8_t **pp, const uint8_t *end, char dst[CMD_REPORT_MAX + 1])
{
    const uint8_t *s;
    size_t n;
    if (wire_lenenc_str_get(pp, end, &s, &n) == -1) return -1;
    if (n > CMD_REPORT_MAX) return -2;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

static int parse_register(const uint8_t *p, const uint8_t *end, struct cmd_register_slave *r,
                          const char **why)
{
    static const char wrong[] = "Wrong parameters to function register_slave";
    static const char *const too_long[3] = {
        "Failed to register slave: too long 'report-host'",
        "Failed to register slave: too long 'report-user'",
        "Failed to register slave; too long 'report-password'",
    };
    char *dst[3] = { r->host, r->user, r->password };
    if (end - p < 4) return bad(why, wrong);
    r->server_id = wire_u32(p);
    p += 4;
    for (int i = 0; i < 3; i++) {
        int rc = reg_string(&p, end, dst[i]);
        if (rc == -2) return bad(why, too_long[i]);
        if (rc == -1) return bad(why, wrong);
    }
    /* port(2) + rank(4) + master_id(4): the servers insist on all ten bytes. */
    if (end - p < 10) return bad(why, wrong);
    r->port = wire_u16(p);
    r->rank = wire_u32(p + 2);
    r->master_id = wire_u32(p + 6);
    return 0;
}

static int parse_dump(const uint8_t *p, const uint8_t *end, struct cmd_binlog_dump *d, const char **why)
{
    if (end - p < 10) return bad(why, "Malformed COM_BINLOG_DUMP packet");
    d->pos = wire_u32(p);
    d->flags = wire_u16(p + 4);
    d->server_id = wire_u32(p + 6);
    p += 10;
    d->name = (const char *)p;
    d->name_len = cstr_len(p, (size_t)(end - p));
    if (d->name_len > CMD_NAME_MAX) return bad(why, "Binlog file name too long");
    return 0;
}

static int parse_dump_gtid(const uint8_t *p, const uint8_t *end, struct cmd_binlog_dump_gtid *d,
                           const char **why)
{
    static const char malformed[] = "Malformed COM_BINLOG_DUMP_GTID packet";
    if (end - p < 10) return bad(why, malformed);
    d->flags = wire_u16(p);
    d->server_id = wire_u32(p + 2);
    uint32_t name_size = wire_u32(p + 6);
    p += 10;
    if (name_size > CMD_NAME_MAX) return bad(why, "Binlog file name too long");
    if ((size_t)(end - p) < (size_t)name_size + 8 + 4) return bad(why, malformed);
    d->name = (const char *)p;
    d->name_len = cstr_len(p, name_size);
    p += name_size;
    d->pos = wire_u64(p);
    uint32_t data_size = wire_u32(p + 8);
    p += 12;
    if (data_size > (size_t)(end - p)) return bad(why, malformed);
    d->gtid_data = p;
    d->gtid_data_len = data_size;
    return 0;
}

static int parse_ack(const uint8_t *p, const uint8_t *end, struct cmd_semi_sync_ack *a, const char **why)
{
    if (end - p < 8) return bad(why, "Semi-sync reply packet is too small");
    a->pos = wire_u64(p);
    p += 8;
    a->name = (const char *)p;
    a->name_len = (size_t)(end - p);
    if (a->name_len > CMD_NAME_MAX) return bad(why, "Semi-sync reply file name is too long");
    return 0;
}

int cmd_parse(const uint8_t *p, size_t len, struct cmd *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    if (len == 0) return bad(why, "Malformed communication packet");
    const uint8_t *body = p + 1, *end = p + len;
    out->code = p[0];
    switch (p[0]) {
    case CMD_CODE_QUIT:
        out->type = CMD_QUIT;
        return 0;
    case CMD_CODE_PING:
        out->type = CMD_PING;
        return 0;
    case CMD_CODE_STATISTICS:   /* any bytes after the command byte are ignored, as by mariadbd */
        out->type = CMD_STATISTICS;
        return 0;
    case CMD_CODE_QUERY:
        out->type = CMD_QUERY;
        out->u.query.text = (const char *)body;
        out->u.query.len = len - 1;
        return 0;
    case CMD_CODE_INIT_DB:
        out->type = CMD_INIT_DB;
        out->u.init_db.name = (const char *)body;
        out->u.init_db.len = cstr_len(body, len - 1);
        return 0;
    case CMD_CODE_PROCESS_KILL:
        out->type = CMD_PROCESS_KILL;
        if (len < 5) return bad(why, "Malformed communication packet");
        out->u.kill_id = wire_u32(body);
        return 0;
    case CMD_CODE_REGISTER_SLAVE:
        out->type = CMD_REGISTER_SLAVE;
        return parse_register(body, end, &out->u.reg, why);
    case CMD_CODE_BINLOG_DUMP:
        out->type = CMD_BINLOG_DUMP;
        return parse_dump(body, end, &out->u.dump, why);
    case CMD_CODE_BINLOG_DUMP_GTID:
        out->type = CMD_BINLOG_DUMP_GTID;
        return parse_dump_gtid(body, end, &out->u.dump_gtid, why);
    case CMD_CODE_SEMI_SYNC_ACK:
        out->type = CMD_SEMI_SYNC_ACK;
        return parse_ack(body, end, &out->u.ack, why);
    default:
        out->type = CMD_UNKNOWN;
        return 0;
    }
}

int cmd_binlog_name_check(const char *name, size_t len, const char **why)
{
    if (len > CMD_NAME_MAX) return bad(why, "binlog file name too long");
    if (len == 1 && name[0] == '.') return bad(why, "binlog file name is not a file");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '/') return bad(why, "binlog file name contains '/'");
        if (c < 0x20 || c == 0x7F) return bad(why, "binlog file name contains a control byte");
        if (c == '.' && i + 1 < len && name[i + 1] == '.') return bad(why, "binlog file name contains '..'");
    }
    return 0;
}
