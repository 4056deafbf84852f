/*
 * upstream_history.h - the primaries binlogd followed before its current upstream, newest
 * first, at most UPSTREAM_HISTORY_MAX. The split-brain watch (watch.c) polls them: an old
 * primary that comes back and takes writes is exactly what it looks for.
 *
 * Kept in the data directory next to the stored upstream settings (UPSTREAM_HISTORY_FILE,
 * atomic replace, fsync'ed) so a restart remembers them. One line per entry:
 *   host<TAB>port<TAB>server_id<TAB>left_unix_seconds
 * server_id 0 = never learnt. Hosts with whitespace cannot be stored (CHANGE MASTER hosts
 * are names or addresses; such an entry is skipped, never mangled).
 *
 * Pure parse/format/add plus load/save through fsio; the caller owns the struct and
 * serialises access (the ingest keeps it under its mutex).
 */
#ifndef BINLOGD_SERVER_UPSTREAM_UPSTREAM_HISTORY_H
#define BINLOGD_SERVER_UPSTREAM_UPSTREAM_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#define UPSTREAM_HISTORY_FILE ".binlogd-upstream-history"
#define UPSTREAM_HISTORY_MAX  8

struct upstream_history_entry {
    char     host[256];
    uint16_t port;
    uint32_t server_id;       /* 0 = unknown (binlogd never got to ask it) */
    int64_t  left_unix;       /* when binlogd moved away from it (Unix seconds) */
};

struct upstream_history {
    size_t n;
    struct upstream_history_entry v[UPSTREAM_HISTORY_MAX];   /* newest first */
};

/* Record that binlogd left host:port (server_id 0 if unknown) at time now. An existing entry
 * for host:port moves to the front (keeping a known server_id when the new one is 0); the
 * oldest falls off beyond UPSTREAM_HISTORY_MAX. 0, or -1 when host is empty, too long or
 * holds whitespace (nothing changes). */
int upstream_history_add(struct upstream_history *h, const char *host, uint16_t port, uint32_t server_id,
                         int64_t now);

/* Parse the file text into *h (replacing it). Lines that do not parse are skipped (the
 * file is a hint, not data: a damaged line must not stop binlogd). Returns lines skipped. */
size_t upstream_history_parse(struct upstream_history *h, const char *text, size_t len);
/* Format; snprintf-style return. */
size_t upstream_history_format(const struct upstream_history *h, char *out, size_t cap);

/* Load dirfd/UPSTREAM_HISTORY_FILE into *h. 0 loaded, 1 no file (h empty), -1 with err. */
int upstream_history_load(int dirfd, struct upstream_history *h, char *err, size_t errlen);
/* Save by atomic replace. 0, or -1 with err. */
int upstream_history_save(int dirfd, const struct upstream_history *h, char *err, size_t errlen);

#endif
