/*
 * owned.h - the marker of the file binlogd wrote last, and keeping bytes it did not write
 * (see owned.c). Internal to storage/ (store.c, store_recover.c); the writer's thread, or
 * store_open's.
 */
#ifndef BINLOGD_STORAGE_OWNED_H
#define BINLOGD_STORAGE_OWNED_H

#include <stddef.h>
#include <stdint.h>

#include "storage/store.h"

/* 1 when dirfd/name (open as fd) is the file binlogd last created or took over: its torn
 * tail is binlogd's own. 0 otherwise (also when the marker is missing or unreadable). */
int store_owned_is(struct store *s, const char *name, int fd);

/* Record name (open as fd) as binlogd's file. Best effort: a failure is a warning. */
void store_owned_set(struct store *s, const char *name, int fd);

/* Copy [from, to) of fd (the file `name`) into a new side file `name.tail-FROM` (another
 * suffix when that exists), fsync'ed with its directory entry; side gets its name.
 * STORE_OK, or STORE_FATAL with err (the caller must not cut the bytes then). */
enum store_result store_keep_tail(struct store *s, int fd, const char *name, uint64_t from, uint64_t to, char *side,
                                  size_t sidecap, char *err, size_t errlen);

#endif
