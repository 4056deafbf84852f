/*
 * gtid_track.h - what GTIDs a binlog file holds: the state at its start (MariaDB GTID_LIST /
 * MySQL PREVIOUS_GTIDS, the file's second event) and at its end (start plus every GTID of a
 * complete group in the file).
 *
 * MariaDB keeps a "binlog state": the last GTID per (domain, server) pair, with the most recent
 * of each domain last (rpl_binlog_state, what GTID_LIST events and @@gtid_binlog_state list).
 * struct gtid_blist is that list; the per-domain view (@@gtid_binlog_pos) is its last entry of
 * each domain. MySQL keeps a GTID set (gtid_executed).
 *
 * Pure code; a tracker belongs to one reader or writer of one file. Not thread-safe.
 */
#ifndef BINLOGD_PROTOCOL_GTID_TRACK_H
#define BINLOGD_PROTOCOL_GTID_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/trx.h"

#define GTID_BLIST_MAX 65536   /* (domain, server) pairs; MariaDB has no limit, we refuse beyond */

struct gtid_blist {
    uint32_t n, cap;
    struct gtid_maria *v;   /* owned; grouped by domain, the domain's most recent entry last */
};

/* Empty list (no allocation) / release what it owns (the list is then empty again). */
void gtid_blist_init(struct gtid_blist *l);
void gtid_blist_free(struct gtid_blist *l);
/* Replace dst with a copy of src. 0, or -1 on ENOMEM (dst left empty). */
int gtid_blist_copy(struct gtid_blist *dst, const struct gtid_blist *src);

/* Record g as logged: it replaces the entry of its (domain, server) and becomes the domain's
 * most recent. 0, or -1 on ENOMEM or when GTID_BLIST_MAX pairs are already held. */
int gtid_blist_update(struct gtid_blist *l, const struct gtid_maria *g);
/* The entry of (domain, server), or NULL. Valid until the list changes. */
const struct gtid_maria *gtid_blist_find(const struct gtid_blist *l, uint32_t domain, uint32_t server);
/* The most recent GTID of a domain, or NULL. */
const struct gtid_maria *gtid_blist_last(const struct gtid_blist *l, uint32_t domain);

/* Load a GTID_LIST event's entries in their order (a later entry of a pair replaces an
 * earlier one). 0, or -1 with *why. */
int gtid_blist_from_event(struct gtid_blist *l, const struct ev_gtid_list *ev, const char **why);
/* Parse "d-s-n,d-s-n,..." ("" = empty) in order, as gtid_blist_update would apply them.
 * A repeated (domain, server) pair or garbage gives -1 with *why; *l is then empty. */
int gtid_blist_parse(struct gtid_blist *l, const char *str, size_t len, const char **why);
/* Format every entry ("d-s-n,..."), domains in first-seen order; snprintf-style return. */
size_t gtid_blist_format(const struct gtid_blist *l, char *out, size_t cap);
/* The per-domain view: the most recent GTID of each domain. -1 when more than
 * GTID_MARIA_MAX_DOMAINS domains. */
int gtid_blist_to_state(const struct gtid_blist *l, struct gtid_maria_state *s);

enum gtid_track_flavor { GTID_TRACK_NONE = 0, GTID_TRACK_MARIA, GTID_TRACK_MYSQL };

struct gtid_track {
    enum gtid_track_flavor flavor;
    int      saw_first;           /* the event after the FDE was fed */
    struct gtid_blist mstart, mend;
    struct gtid_mysql_set *ystart, *yend;   /* MySQL only; allocated on first use */
    /* GTID of the group being read; it enters the end state when the group completes */
    int      pending;
    struct gtid_maria pm;
    uint8_t  puuid[16];
    int64_t  pgno;
    uint64_t groups;              /* GTIDs that entered the end state */
};

/* Ready for the first event after a file's FDE. */
void gtid_track_init(struct gtid_track *t);
void gtid_track_free(struct gtid_track *t);
/* Forget everything (a new file starts); keeps allocations. */
void gtid_track_reset(struct gtid_track *t);

/* Feed one whole event of the file (after its FDE), already framed (the header is taken
 * from the view, not parsed again), with the transaction verdict the
 * caller's trx parser gave for it. The file's start state comes from its first event when
 * that is a GTID_LIST / PREVIOUS_GTIDS. 0, or -1 with *why (unparsable GTID event, state
 * too large, ENOMEM); the tracker is then unreliable for this file. */
int gtid_track_feed_view(struct gtid_track *t, const struct ev_view *ev, const struct ev_fmt *fmt,
                         enum trx_verdict verdict, const char **why);

/* gtid_track_feed_view for raw bytes (tests): frames ev/len first (ev_view_frame); a prefix or
 * a bad header is -1 with the framing reason. */
int gtid_track_feed(struct gtid_track *t, const uint8_t *ev, size_t len, const struct ev_fmt *fmt,
                    enum trx_verdict verdict, const char **why);

/* The start / end state as text: MariaDB "d-s-n,..." (gtid_blist_format), MySQL GTID set text,
 * "" when the file has no GTID information. snprintf-style return. */
size_t gtid_track_format_start(const struct gtid_track *t, char *out, size_t cap);
size_t gtid_track_format_end(const struct gtid_track *t, char *out, size_t cap);
/* Same, into a malloc'd string (NULL on ENOMEM). */
char *gtid_track_start_text(const struct gtid_track *t);
char *gtid_track_end_text(const struct gtid_track *t);

const char *gtid_track_flavor_name(enum gtid_track_flavor f);

#endif
