/*
 * uservars.h - a connection's user variables (SET @x = ..., SELECT @x). Replicas use them
 * to tell the primary about themselves before a dump (@master_binlog_checksum,
 * @slave_connect_state, @master_heartbeat_period, ...). Bounded: an idle replica keeps a
 * few, nobody keeps more than USERVARS_MAX of at most USERVAR_VALUE_MAX bytes each.
 * Thread: the owner's (the loop thread for sessions).
 */
#ifndef BINLOGD_SERVER_ADMIN_USERVARS_H
#define BINLOGD_SERVER_ADMIN_USERVARS_H

#include <stddef.h>

#define USERVARS_MAX       32
/* @slave_connect_state lists one GTID per domain: 256 domains need ~11 KB. */
#define USERVAR_VALUE_MAX  65536

struct uservar {
    char name[64];
    char *value;        /* owned, NUL-terminated */
    int is_null;
};

/* Zero-initialised is empty; uservars_free releases it. */
struct uservars {
    struct uservar *v;  /* grown on demand */
    size_t n, cap;
};

/* Value of @name (name without '@', case-insensitive), or NULL when unset or NULL. */
const char *uservars_get(const struct uservars *u, const char *name);

/* 1 when @name was set (even to NULL). */
int uservars_exists(const struct uservars *u, const char *name);

/* Set @name (nlen bytes) to value (vlen bytes; copied) or to NULL. 0, or -1 when the name
 * or value is too long, the table is full, or memory ran out (nothing changed then). */
int uservars_set(struct uservars *u, const char *name, size_t nlen, const char *value, size_t vlen, int is_null);

void uservars_free(struct uservars *u);

#endif
