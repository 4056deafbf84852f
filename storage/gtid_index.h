/*
 * gtid_index.h - per binlog file, the GTID state at its start and at its end, kept in
 * `<basename>.gtid_index` next to the index file.
 *
 * It is a cache, never a second source of truth: every entry records the file size it
 * describes, and an entry that is missing, unparsable or describes another size is rebuilt by
 * scanning the file (gix_scan_file). Losing or damaging the file costs a rescan, nothing more,
 * so its writes are best effort (atomic replace; a failure is logged by the caller).
 *
 * File format (text, one line per binlog, oldest first, tab-separated):
 *   # binlogd gtid index v1
 *   NAME <TAB> SIZE <TAB> none|mariadb|mysql <TAB> START <TAB> END
 * START/END: MariaDB "domain-server-seq,..." (the file's GTID_LIST and the binlog state after
 * its last complete group), MySQL GTID set text (PREVIOUS_GTIDS and gtid_executed at the end),
 * empty for files without GTIDs.
 *
 * Threads: an index object has one owner (the store, which guards it with its mutex).
 */
#ifndef BINLOGD_STORAGE_GTID_INDEX_H
#define BINLOGD_STORAGE_GTID_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"
#include "protocol/gtid_track.h"

struct gix_entry {
    char     name[EV_MAX_NAME_LEN + 1];
    uint64_t size;                      /* file bytes the states describe */
    enum gtid_track_flavor flavor;
    char    *start, *end;               /* owned, never NULL */
};

struct gtid_index {
    struct gix_entry *v;
    size_t n, cap;
};

/* Empty index; NULL on ENOMEM. */
struct gtid_index *gix_new(void);
void gix_free(struct gtid_index *ix);

/* Entry of name, or NULL. Valid until the index changes. */
struct gix_entry *gix_find(struct gtid_index *ix, const char *name);

/* Set name's entry (copies the texts; appended when new). 0, or -1 on ENOMEM. */
int gix_set(struct gtid_index *ix, const char *name, uint64_t size, enum gtid_track_flavor flavor,
            const char *start, const char *end);
/* The states an entry must hold for a file whose bytes gave tracker t, the file before it
 * having entry prev (NULL for the first file). A file that holds nothing after its FDE yet
 * (t->saw_first == 0: the writer's new file before its GTID_LIST arrived, or one that a crash
 * cut right after the FDE) takes prev's end state as its start and end, with prev's flavor:
 * that is what its GTID_LIST / PREVIOUS_GTIDS will say (the binlog state at the rotation).
 * Without this, such a last file made the whole binlog state look empty and every GTID
 * replica got 1236 "...which is not in the master's binlog". *start and *end malloc'd (the
 * caller frees). 0, or -1 on ENOMEM. Pure. */
int gix_track_states(const struct gtid_track *t, const struct gix_entry *prev, enum gtid_track_flavor *flavor,
                     char **start, char **end);

/* Set name's entry from a tracker's states (gix_track_states, prev = the entry before
 * name's, or the last entry when name is new: entries are kept in file order). 0, or -1 on
 * ENOMEM. */
int gix_set_track(struct gtid_index *ix, const char *name, uint64_t size, const struct gtid_track *t);

/* Keep only the entries whose names are in names[0..n), in that order. */
void gix_retain(struct gtid_index *ix, char *const *names, size_t n);

/* Parse the text form into ix (replacing it). 0, or -1 with err "line N: reason" (ix empty). */
int gix_parse(struct gtid_index *ix, const char *text, size_t len, char *err, size_t errlen);
/* The text form, malloc'd into *out and *len. 0, or -1 on ENOMEM. */
int gix_format(const struct gtid_index *ix, char **out, size_t *len);

/* Load dirfd/fname. 0 loaded, 1 no such file (ix empty), -1 with err (ix empty). */
int gix_load(struct gtid_index *ix, int dirfd, const char *fname, char *err, size_t errlen);
/* Atomic replace of dirfd/fname. 0, or -1 with err. */
int gix_save(const struct gtid_index *ix, int dirfd, const char *fname, char *err, size_t errlen);

/* Scan dirfd/name up to its last complete transaction, feeding *t (reset first). *size gets
 * the offset the states describe (the scan's safe end). 0, or -1 with err naming file:offset. */
int gix_scan_file(int dirfd, const char *name, struct gtid_track *t, uint64_t *size, char *err, size_t errlen);

#endif
