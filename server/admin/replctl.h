/*
 * replctl.h - replica-control statements against binlogd's own upstream (admin role only):
 * CHANGE MASTER TO, START SLAVE, STOP SLAVE, and SHOW SLAVE STATUS (any role). Answers and
 * error codes are a MariaDB replica's (1198 while running, 1200 with no master).
 * Thread: the loop thread. Each fills r (initialised by the caller) and writes nothing.
 */
#ifndef BINLOGD_SERVER_ADMIN_REPLCTL_H
#define BINLOGD_SERVER_ADMIN_REPLCTL_H

#include "protocol/query.h"
#include "server/admin/stmt.h"

/* CHANGE MASTER TO: only while stopped (else 1198); stores the settings (ingest_set_conf). */
void replctl_change_master(const struct stmt_ctx *ctx, const struct query *q, struct stmt_result *r);
/* START SLAVE: OK, or 1200 with no master configured. */
void replctl_start_slave(const struct stmt_ctx *ctx, const struct query *q, struct stmt_result *r);
/* STOP SLAVE: asks the ingest thread to park and answers later (STMT_LATER), once it has. */
void replctl_stop_slave(const struct stmt_ctx *ctx, const struct query *q, struct stmt_result *r);
/* SHOW SLAVE STATUS: one row, or none with no master configured. */
void replctl_show_slave_status(const struct stmt_ctx *ctx, struct stmt_result *r);

#endif
