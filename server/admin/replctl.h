/*
 * replctl.h - replica-control statements against binlogd's own upstream (admin role only):
 * CHANGE MASTER TO, START SLAVE, STOP SLAVE, and SHOW SLAVE STATUS (any role).
 * Thread: the loop thread; each sends exactly one reply on the session.
 */
#ifndef BINLOGD_SERVER_ADMIN_REPLCTL_H
#define BINLOGD_SERVER_ADMIN_REPLCTL_H

#include "protocol/query.h"
#include "server/replicas/session.h"

void admin_change_master(struct session *s, const struct query *q);
void admin_start_slave(struct session *s, const struct query *q);
void admin_stop_slave(struct session *s, const struct query *q);
void admin_show_slave_status(struct session *s);

#endif
