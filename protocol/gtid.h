/*
 * gtid.h - GTIDs of both flavours. Pure code, no global state; a state or set is owned by
 * its caller and is not thread-safe (copy or lock it to share).
 *
 * MariaDB: a GTID is domain-server-seq; a "state" keeps the last GTID per domain (what
 * @slave_connect_state / @@gtid_binlog_pos list), at most GTID_MARIA_MAX_DOMAINS domains,
 * kept sorted by domain so formatting is canonical. Fixed capacity: copyable by value.
 *
 * MySQL: a GTID set is uuid:intervals ("3E11FA47-...:1-5:7,..."); intervals are half-open
 * [start, end) as in the binary encoding (PROTOCOL.md 2.3), kept sorted, merged and
 * non-adjacent per UUID, UUIDs sorted bytewise. Heap-allocated, bounded by
 * GTID_MYSQL_MAX_SIDS and GTID_MYSQL_MAX_INTERVALS.
 */
#ifndef BINLOGD_PROTOCOL_GTID_H
#define BINLOGD_PROTOCOL_GTID_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"

/* ---------------------------------------------------------------- MariaDB */

#define GTID_MARIA_MAX_DOMAINS 256
/* Longest text of one GTID: 10 + 1 + 10 + 1 + 20 digits. */
#define GTID_MARIA_STR_MAX     42

struct gtid_maria {
    uint32_t domain;
    uint32_t server;
    uint64_t seq;
};

struct gtid_maria_state {
    uint32_t n;
    struct gtid_maria v[GTID_MARIA_MAX_DOMAINS];   /* sorted by domain, one per domain */
};

enum gtid_cmp {
    GTID_CMP_EQUAL = 0,   /* same GTID in every domain */
    GTID_CMP_BEHIND,      /* a <= b in every domain (a is a prefix of b's history) */
    GTID_CMP_AHEAD,       /* a >= b in every domain */
    GTID_CMP_DIVERGED     /* each is ahead somewhere, or same seq from different servers */
};

/* Heap-allocate an empty state (NULL on OOM) / free it (NULL is fine). */
struct gtid_maria_state *gtid_maria_state_new(void);
void gtid_maria_state_free(struct gtid_maria_state *s);
/* Empty an existing state. */
void gtid_maria_state_init(struct gtid_maria_state *s);

/* Parse one "domain-server-seq" (decimal, no sign, no spaces) of exactly len bytes.
 * 0 on success, -1 on garbage or overflow (domain/server > 2^32-1, seq > 2^64-1). */
int gtid_maria_parse(const char *str, size_t len, struct gtid_maria *out);
/* Format one GTID; returns the length it needs (snprintf-style, NUL-terminated if cap > 0). */
size_t gtid_maria_format(const struct gtid_maria *g, char *out, size_t cap);

/* Parse a comma-separated list (spaces around entries allowed; "" = empty state) into *s,
 * replacing its contents. A repeated domain, garbage, overflow or more than
 * GTID_MARIA_MAX_DOMAINS entries give -1 with *why set and leave *s empty. */
int gtid_maria_state_parse(struct gtid_maria_state *s, const char *str, size_t len, const char **why);
/* Format as "d-s-n,d-s-n" sorted by domain; snprintf-style return. */
size_t gtid_maria_state_format(const struct gtid_maria_state *s, char *out, size_t cap);

/* Record g as the last GTID of its domain (replacing the previous one). -1 if the state is full. */
int gtid_maria_state_update(struct gtid_maria_state *s, const struct gtid_maria *g);
/* The GTID of a domain, or NULL. The pointer is valid until the state changes. */
const struct gtid_maria *gtid_maria_state_find(const struct gtid_maria_state *s, uint32_t domain);
/* 1 when s already includes g (same domain with seq >= g->seq), else 0. */
int gtid_maria_state_contains(const struct gtid_maria_state *s, const struct gtid_maria *g);
/* Compare two states domain by domain (a domain missing on one side counts as seq 0). */
enum gtid_cmp gtid_maria_state_compare(const struct gtid_maria_state *a, const struct gtid_maria_state *b);
const char *gtid_cmp_name(enum gtid_cmp c);

/* Load a parsed GTID_LIST event into *s (replacing it). MariaDB lists one entry per
 * (domain, server) with the domain's most recent last, so a later entry for a domain
 * replaces an earlier one. -1 with *why when there are more domains than fit. */
int gtid_maria_state_from_list(struct gtid_maria_state *s, const struct ev_gtid_list *l, const char **why);

/* ---------------------------------------------------------------- MySQL */

#define GTID_MYSQL_MAX_SIDS      4096
#define GTID_MYSQL_MAX_INTERVALS (1u << 20)   /* over all UUIDs of one set */
#define GTID_UUID_STR_LEN        36

struct gtid_interval { int64_t start, end; };   /* [start, end), 1 <= start < end */

struct gtid_sid {
    uint8_t uuid[16];
    uint32_t n, cap;
    struct gtid_interval *iv;
};

struct gtid_mysql_set {
    uint32_t n, cap;
    uint32_t n_intervals;   /* total over all sids, checked against the bound */
    struct gtid_sid *sids;
};

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (or 32 hex digits) of exactly len bytes. */
int gtid_uuid_parse(const char *str, size_t len, uint8_t out[16]);
/* Lower-case canonical form; out must hold GTID_UUID_STR_LEN + 1 bytes. */
void gtid_uuid_format(const uint8_t uuid[16], char out[GTID_UUID_STR_LEN + 1]);

/* Heap-allocate an empty set (NULL on OOM) / free it with everything it owns. */
struct gtid_mysql_set *gtid_mysql_set_new(void);
void gtid_mysql_set_free(struct gtid_mysql_set *s);
/* Remove every GTID (keeps the allocations). */
void gtid_mysql_set_clear(struct gtid_mysql_set *s);

/* Union one GTID / one interval [start, end) into the set. -1 on a bad gno, OOM or bound. */
int gtid_mysql_set_add(struct gtid_mysql_set *s, const uint8_t uuid[16], int64_t gno);
int gtid_mysql_set_add_interval(struct gtid_mysql_set *s, const uint8_t uuid[16], int64_t start, int64_t end);
/* 1 when uuid:gno is in the set. */
int gtid_mysql_set_contains(const struct gtid_mysql_set *s, const uint8_t uuid[16], int64_t gno);

/* Parse text ("" = empty; whitespace around entries allowed; intervals may be unsorted and
 * overlap, as MySQL accepts) into *s, replacing it. -1 with *why; *s is then empty. */
int gtid_mysql_set_parse(struct gtid_mysql_set *s, const char *str, size_t len, const char **why);
/* "uuid:1-5:7,uuid:..." in canonical order; snprintf-style return. */
size_t gtid_mysql_set_format(const struct gtid_mysql_set *s, char *out, size_t cap);

/* Binary form of COM_BINLOG_DUMP_GTID / PREVIOUS_GTIDS (untagged). */
size_t gtid_mysql_set_encoded_len(const struct gtid_mysql_set *s);
/* Returns bytes written, or 0 when cap is too small. */
size_t gtid_mysql_set_encode(const struct gtid_mysql_set *s, uint8_t *out, size_t cap);
/* Decode exactly len bytes into *s (replacing it). Hostile input is refused: counts larger
 * than the bytes can hold, intervals not strictly increasing / empty / start < 1, repeated
 * UUIDs, trailing bytes, the tagged (8.3+) format. -1 with *why; *s is then empty. */
int gtid_mysql_set_decode(struct gtid_mysql_set *s, const uint8_t *buf, size_t len, const char **why);

#endif
