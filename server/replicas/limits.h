/*
 * limits.h - how many clients, for how long, how big: the decisions, kept apart from the
 * session's state machine.
 *
 * max_connections: with fewer sessions than binlogd.max_connections a connection is let in;
 * at exactly that many, one more is let in on the "admin slot" (as mariadbd's extra
 * connection for SUPER / CONNECTION ADMIN): it goes through the handshake, and once it has
 * logged in it must be an admin account, else it gets ERR 1040 and is closed. binlogd
 * cannot know an account's role before the login packet, so the slot is reserved after it,
 * as mariadbd does. Beyond that, ERR 1040 ("Too many connections") is the first packet,
 * instead of the greeting, and the connection is closed.
 *
 * Thread: the loop thread. Pure decisions; no sockets.
 */
#ifndef BINLOGD_SERVER_REPLICAS_LIMITS_H
#define BINLOGD_SERVER_REPLICAS_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "protocol/bbuf.h"

enum limits_admit {
    LIMITS_ADMIT = 0,        /* under max_connections */
    LIMITS_ADMIT_ADMIN_ONLY, /* the extra slot: must log in as an admin account */
    LIMITS_REFUSE            /* ERR 1040 at once */
};

/* Whether a new connection is let in while `sessions_now` sessions exist. */
enum limits_admit limits_admit(const struct config *cfg, size_t sessions_now);
const char *limits_admit_name(enum limits_admit a);

/* The ERR 1040 packet a refused connection gets instead of the greeting (sequence 0). 0 or -1. */
int limits_build_too_many(struct bbuf *b);

#endif
