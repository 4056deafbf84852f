/*
 * sysvar.h - the system variables binlogd reports (SELECT @@x, SHOW VARIABLES), computed
 * from the configuration and the store the way a primary would report its own.
 * Thread: any one thread at a time (reads the config and the store's committed state).
 */
#ifndef BINLOGD_SERVER_ADMIN_SYSVAR_H
#define BINLOGD_SERVER_ADMIN_SYSVAR_H

#include <stddef.h>

struct config;
struct store;

/* Value of @@name (case-insensitive, without "global."/"session."), written into buf.
 * Returns 0, or -1 when binlogd has no such variable (the caller answers ERR 1193). */
int sysvar_get(const struct config *cfg, struct store *st, const char *name, size_t name_len, char *buf, size_t cap);

/* Call fn(name, value) for each variable, in name order. */
void sysvar_foreach(const struct config *cfg, struct store *st, void (*fn)(void *arg, const char *name, const char *value), void *arg);

/* 1 for session variables a client may SET without effect here (names, sql_mode, ...). */
int sysvar_settable(const char *name, size_t name_len);

#endif
