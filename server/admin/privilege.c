/*
 * privilege.c - see privilege.h. One table: a statement kind, the roles that may run it,
 * and the privilege mariadbd names when refusing it. A kind missing from the table is
 * refused to everyone but admin (fail closed), so a statement added to the recogniser
 * without a line here cannot leak to the replica role.
 */
#include "server/admin/privilege.h"

#include <stddef.h>

enum { R = 1u << CONFIG_ROLE_REPLICA, M = 1u << CONFIG_ROLE_MONITOR, A = 1u << CONFIG_ROLE_ADMIN, ALL = R | M | A };

struct rule {
    enum query_kind kind;
    unsigned roles;
    const char *needs;   /* mariadbd 10.11's wording for the privilege list */
};

static const struct rule rules[] = {
    {QUERY_UNKNOWN, ALL, ""},                 /* answered with the parse error */
    {QUERY_EMPTY, ALL, ""},
    {QUERY_SELECT, ALL, ""},
    {QUERY_SET, ALL, ""},                     /* SET GLOBAL: refused inside (SUPER) */
    {QUERY_SHOW_VARIABLES, ALL, ""},
    {QUERY_SHOW_STATUS, ALL, ""},
    {QUERY_SHOW_WARNINGS, ALL, ""},
    {QUERY_KILL, ALL, ""},                    /* others' threads: admin only, inside (1094) */
    {QUERY_SHOW_PROCESSLIST, ALL, ""},        /* others' threads: admin only, inside */
    {QUERY_SHOW_MASTER_STATUS, ALL, "SUPER, BINLOG MONITOR"},
    {QUERY_SHOW_BINARY_LOGS, ALL, "SUPER, BINLOG MONITOR"},
    {QUERY_SHOW_BINLOG_EVENTS, ALL, "BINLOG MONITOR"},
    {QUERY_SHOW_SLAVE_STATUS, M | A, "SUPER, SLAVE MONITOR"},
    {QUERY_SHOW_SLAVE_HOSTS, M | A, "REPLICATION MASTER ADMIN"},
    /* binlogd's own monitoring statements: what SHOW SLAVE STATUS needs */
    {QUERY_SHOW_BINLOG_STATISTICS, M | A, "SUPER, SLAVE MONITOR"},
    {QUERY_SHOW_BINLOG_TOP_TRX, M | A, "SUPER, SLAVE MONITOR"},
    {QUERY_SHOW_BINLOG_LAG_DOCTOR, M | A, "SUPER, SLAVE MONITOR"},
    {QUERY_SHOW_BINLOG_WATCH, M | A, "SUPER, SLAVE MONITOR"},
    {QUERY_SHOW_BINLOG_ARCHIVE, M | A, "SUPER, SLAVE MONITOR"},
    {QUERY_CHANGE_MASTER, A, "SUPER, REPLICATION SLAVE ADMIN"},
    {QUERY_START_SLAVE, A, "SUPER, REPLICATION SLAVE ADMIN"},
    {QUERY_STOP_SLAVE, A, "SUPER, REPLICATION SLAVE ADMIN"},
    {QUERY_PURGE_BINARY_LOGS, A, "SUPER, BINLOG ADMIN"},
    {QUERY_FLUSH, A, "RELOAD"},               /* every FLUSH, as mariadbd (TABLES, STATUS, ...) */
};

static const struct rule *find(enum query_kind kind)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (rules[i].kind == kind) return &rules[i];
    return NULL;
}

const char *privilege_query_needs(enum query_kind kind)
{
    const struct rule *r = find(kind);
    return r ? r->needs : "SUPER";
}

int privilege_query_allowed(enum query_kind kind, enum config_role role, struct myerr *deny)
{
    const struct rule *r = find(kind);
    unsigned roles = r ? r->roles : A;
    if ((unsigned)role <= CONFIG_ROLE_MONITOR && (roles & (1u << role))) return 1;
    myerr_specific_access_denied(deny, r && r->needs[0] ? r->needs : "SUPER");
    return 0;
}

int privilege_cmd_allowed(enum privilege_cmd what, enum config_role role, struct myerr *deny)
{
    if (what == PRIVILEGE_CMD_ANY) return 1;
    if (role == CONFIG_ROLE_REPLICA || role == CONFIG_ROLE_ADMIN) return 1;
    myerr_specific_access_denied(deny, "REPLICATION SLAVE");
    return 0;
}

const char *privilege_cmd_name(enum privilege_cmd c)
{
    switch (c) {
    case PRIVILEGE_CMD_ANY: return "any";
    case PRIVILEGE_CMD_REPLICATION: return "replication";
    }
    return "?";
}
