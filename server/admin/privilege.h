/*
 * privilege.h - which account role may run what: every statement kind and every client
 * command is checked here before it runs, and a denial is mariadbd's ERR 1227 naming the
 * privilege mariadbd 10.11 would ask for (checked against a real 10.11 server).
 *
 * The roles, in mariadbd's terms:
 *   replica  REPLICATION SLAVE + BINLOG MONITOR: dump, register, the bootstrap queries,
 *            SHOW BINARY LOGS / MASTER STATUS / BINLOG EVENTS (what a chained binlogd and
 *            mariadb-binlog ask), its own threads in SHOW PROCESSLIST, KILL of its own user's
 *   monitor  reads: every SHOW (SLAVE STATUS, SLAVE HOSTS, binlogd's own), SELECT, ping,
 *            statistics; no dump, no change, no KILL of others
 *   admin    everything
 * Statements that act on details (SET GLOBAL, KILL of another user's thread, SHOW
 * PROCESSLIST's rows) refine this inside the statement.
 *
 * Pure functions on enums: any thread.
 */
#ifndef BINLOGD_SERVER_ADMIN_PRIVILEGE_H
#define BINLOGD_SERVER_ADMIN_PRIVILEGE_H

#include "conf/config.h"
#include "protocol/errmsg.h"
#include "protocol/query.h"

/* What a client command needs (the command byte decoded by protocol/command.h). */
enum privilege_cmd {
    PRIVILEGE_CMD_ANY = 0,       /* QUIT, PING, INIT_DB, STATISTICS, QUERY (the statement is checked) */
    PRIVILEGE_CMD_REPLICATION    /* BINLOG_DUMP, BINLOG_DUMP_GTID, REGISTER_SLAVE */
};

/* The privilege text mariadbd names when `kind` is refused ("" when no role is refused). */
const char *privilege_query_needs(enum query_kind kind);

/* 1 if `role` may run a statement of `kind`; 0 with *deny set to the 1227 to send. */
int privilege_query_allowed(enum query_kind kind, enum config_role role, struct myerr *deny);

/* 1 if `role` may send a command needing `what`; 0 with *deny set (1227 REPLICATION SLAVE). */
int privilege_cmd_allowed(enum privilege_cmd what, enum config_role role, struct myerr *deny);

const char *privilege_cmd_name(enum privilege_cmd c);

#endif
