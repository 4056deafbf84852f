/*
 * index.h - the `<basename>.index` file in mysqld's format (one "./NAME\n" line per binlog,
 * oldest first) and its rebuild from the directory.
 *
 * Every name that enters the list (parsed, rebuilt or appended) has passed
 * index_name_check(), so a hostile or damaged index can never make us open a path outside
 * the data directory. Written only by atomic replace (fsio_replace).
 *
 * Threads: an index object belongs to its owner (the store's writer side); not shared.
 */
#ifndef BINLOGD_STORAGE_INDEX_H
#define BINLOGD_STORAGE_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "protocol/event.h"
#include "storage/fsio.h"

struct binlog_index {
    char   **names;    /* owned; names[i] NUL-terminated, valid */
    size_t   n, cap;
};

/* 0 when name[0..len) is acceptable as a binlog file name in the data directory: not empty,
 * <= EV_MAX_NAME_LEN, no '/', no "..", no NUL, not "." and not one of our own ".binlogd*"
 * files. Otherwise -1 and *why (static text). Pure; any thread. */
int index_name_check(const char *name, size_t len, const char **why);

/* Split "base.000123" into base (copied into base/cap) and *num. 0, or -1 when the name has
 * no all-digit extension or base does not fit. Pure. */
int index_split_name(const char *name, char *base, size_t cap, uint64_t *num);

/* Empty list. NULL on ENOMEM. */
struct binlog_index *index_new(void);
void index_free(struct binlog_index *ix);

/* Drop every entry. */
void index_clear(struct binlog_index *ix);

/* Append a copy of name (which must pass index_name_check). 0, or -1 (ENOMEM / invalid). */
int index_append(struct binlog_index *ix, const char *name);

/* Remove entry i (later entries move up). */
void index_remove(struct binlog_index *ix, size_t i);

/* Position of name, or -1. */
long index_find(const struct binlog_index *ix, const char *name);

/* Replace the contents with the lines of text/len. Each line may carry any path; its
 * basename is taken ("./a.000001", "/var/lib/mysql/a.000001" -> "a.000001"). Empty lines
 * are skipped, a trailing '\r' is dropped. A bad or duplicate name fails the whole parse:
 * -1 with err "line N: reason" (the list is then empty). */
int index_parse(struct binlog_index *ix, const char *text, size_t len, char *err, size_t errlen);

/* Serialise as mysqld does ("./NAME\n" per entry) into a malloc'd buffer (*out, *len).
 * 0, or -1 on ENOMEM. */
int index_format(const struct binlog_index *ix, char **out, size_t *len);

/* Load dirfd/index_name. 0 when loaded, 1 when the file does not exist (list left empty),
 * -1 with err ("<index_name>: reason") on I/O or parse errors. */
int index_load(struct binlog_index *ix, int dirfd, const char *index_name, char *err, size_t errlen);

/* Write the list to dirfd/index_name by atomic replace. 0, or -1 with errno of the failed
 * step, *failed_op naming it (see fsio_replace), and err filled. */
int index_save(const struct binlog_index *ix, int dirfd, const char *index_name, enum fsio_op *failed_op,
               char *err, size_t errlen);

/* Rebuild from the directory: every regular file named `<base>.<digits>` whose first four
 * bytes are the binlog magic, sorted by number. base == NULL means "whatever basename the
 * files have", which must then be a single one: with two or more the order across them
 * cannot be known and -1 is returned naming them. On success the basename used is copied
 * into found_base (may be "" when no file matched). 0, or -1 with err. */
int index_rebuild(struct binlog_index *ix, int dirfd, const char *base, char *found_base, size_t cap,
                  char *err, size_t errlen);

#endif
