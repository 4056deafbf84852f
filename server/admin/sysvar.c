/*
 * sysvar.c - see sysvar.h. One table: name -> how to compute the value.
 *
 * rpl_semi_sync_source_enabled is deliberately absent: binlogd presents itself as MariaDB,
 * so a MySQL 8 replica's probe gets 1193 for it and falls back to the _master_ name, exactly
 * as against a MariaDB primary.
 */
#include "server/admin/sysvar.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf/config.h"
#include "protocol/gtid_track.h"
#include "storage/cursor.h"
#include "storage/store.h"

enum sv_kind { SV_CONST, SV_SERVER_ID, SV_SERVER_UUID, SV_VERSION, SV_CHECKSUM, SV_PORT, SV_HOSTNAME, SV_GTID_POS,
               SV_GTID_STATE, SV_GTID_EXECUTED, SV_GTID_MODE };

struct sv { const char *name; enum sv_kind kind; const char *value; };

/* Sorted by name (SHOW VARIABLES lists them in this order). */
static const struct sv vars[] = {
    {"auto_increment_increment", SV_CONST, "1"},
    {"auto_increment_offset", SV_CONST, "1"},
    {"autocommit", SV_CONST, "ON"},
    {"binlog_checksum", SV_CHECKSUM, NULL},
    {"binlog_format", SV_CONST, "ROW"},
    {"binlog_row_image", SV_CONST, "FULL"},
    {"character_set_client", SV_CONST, "utf8mb4"},
    {"character_set_connection", SV_CONST, "utf8mb4"},
    {"character_set_results", SV_CONST, "utf8mb4"},
    {"character_set_server", SV_CONST, "utf8mb4"},
    {"collation_connection", SV_CONST, "utf8mb4_general_ci"},
    {"collation_server", SV_CONST, "utf8mb4_general_ci"},
    {"gtid_binlog_pos", SV_GTID_POS, NULL},
    {"gtid_binlog_state", SV_GTID_STATE, NULL},
    {"gtid_current_pos", SV_GTID_POS, NULL},
    {"gtid_domain_id", SV_CONST, "0"},
    {"gtid_executed", SV_GTID_EXECUTED, NULL},
    {"gtid_mode", SV_GTID_MODE, NULL},
    {"gtid_strict_mode", SV_CONST, "OFF"},
    {"hostname", SV_HOSTNAME, NULL},
    {"interactive_timeout", SV_CONST, "28800"},
    {"log_bin", SV_CONST, "ON"},
    {"log_slave_updates", SV_CONST, "ON"},
    {"lower_case_table_names", SV_CONST, "0"},
    {"max_allowed_packet", SV_CONST, "1073741824"},
    {"net_read_timeout", SV_CONST, "30"},
    {"net_write_timeout", SV_CONST, "60"},
    {"port", SV_PORT, NULL},
    {"read_only", SV_CONST, "ON"},
    {"rpl_semi_sync_master_enabled", SV_CONST, "ON"},
    {"server_id", SV_SERVER_ID, NULL},
    {"server_uuid", SV_SERVER_UUID, NULL},
    {"sql_mode", SV_CONST, ""},
    {"system_time_zone", SV_CONST, "UTC"},
    {"time_zone", SV_CONST, "SYSTEM"},
    {"version", SV_VERSION, NULL},
    {"version_comment", SV_CONST, "binlogd binlog server"},
    {"wait_timeout", SV_CONST, "28800"},
};

/* Checksum algorithm of the newest stored file (what the primary was logging with). */
static const char *stored_checksum(struct store *st)
{
    struct store_watermark wm;
    store_watermark_get(st, &wm);
    if (!wm.file[0]) return "CRC32";
    struct cursor *c = cursor_new(st);
    const char *alg = "CRC32";
    char err[256];
    uint8_t fde[4096];
    if (c && cursor_open(c, wm.file, 4, err, sizeof(err)) == CURSOR_OPEN_OK) {
        size_t n = cursor_read_fde(c, fde, sizeof(fde), err, sizeof(err));
        struct ev_fde f;
        const char *why;
        if (n && ev_fde_parse(fde, n, &f, &why) == EV_OK)
            alg = f.has_checksum_alg && f.checksum == EV_CHECKSUM_CRC32 ? "CRC32" : "NONE";
    }
    cursor_free(c);
    return alg;
}

/* GTID variables, from what the newest stored file ends with. */
static void gtid_value(struct store *st, enum sv_kind k, char *buf, size_t cap)
{
    int flavor;
    if (store_gtid_state(st, k == SV_GTID_STATE, &flavor, buf, cap, NULL, 0) == -1) buf[0] = 0;
    if (k == SV_GTID_MODE)   /* what the files say: a MySQL history with GTIDs was written with GTID_MODE=ON */
        snprintf(buf, cap, "%s", flavor == GTID_TRACK_MYSQL && buf[0] ? "ON" : "OFF");
    else if ((k == SV_GTID_EXECUTED) != (flavor == GTID_TRACK_MYSQL))
        buf[0] = 0;   /* MariaDB variables of a MySQL history, or the reverse: empty */
}

static void value_of(const struct config *cfg, struct store *st, const struct sv *v, char *buf, size_t cap)
{
    switch (v->kind) {
    case SV_CONST: snprintf(buf, cap, "%s", v->value); break;
    case SV_SERVER_ID: snprintf(buf, cap, "%u", cfg->server_id); break;
    case SV_SERVER_UUID:
        if (cfg->server_uuid[0]) snprintf(buf, cap, "%s", cfg->server_uuid);
        else snprintf(buf, cap, "b1d0b1d0-0000-4000-8000-%012x", cfg->server_id);
        break;
    case SV_VERSION: snprintf(buf, cap, "%s", cfg->server_version); break;
    case SV_CHECKSUM: snprintf(buf, cap, "%s", stored_checksum(st)); break;
    case SV_PORT: snprintf(buf, cap, "%u", cfg->listen_port); break;
    case SV_HOSTNAME: snprintf(buf, cap, "%s", cfg->listen_host[0] ? cfg->listen_host : "localhost"); break;
    case SV_GTID_POS: case SV_GTID_STATE: case SV_GTID_EXECUTED: case SV_GTID_MODE: gtid_value(st, v->kind, buf, cap); break;
    }
}

int sysvar_get(const struct config *cfg, struct store *st, const char *name, size_t name_len, char *buf, size_t cap)
{
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if (strlen(vars[i].name) == name_len && !strncasecmp(vars[i].name, name, name_len)) {
            value_of(cfg, st, &vars[i], buf, cap);
            return 0;
        }
    return -1;
}

void sysvar_foreach(const struct config *cfg, struct store *st, void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
    char buf[256];
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        value_of(cfg, st, &vars[i], buf, sizeof(buf));
        fn(arg, vars[i].name, buf);
    }
}

int sysvar_settable(const char *name, size_t name_len)
{
    static const char *ok[] = {"names", "character_set_client", "character_set_connection", "character_set_results",
                               "collation_connection", "sql_mode", "time_zone", "wait_timeout", "net_read_timeout",
                               "net_write_timeout", "autocommit", "skip_replication", "sql_log_bin",
                               "interactive_timeout", "session_track_schema", "sql_quote_show_create", "foreign_key_checks",
                               "unique_checks", "max_statement_time", "gtid_domain_id", "gtid_seq_no", "server_id"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strlen(ok[i]) == name_len && !strncasecmp(ok[i], name, name_len)) return 1;
    return 0;
}
