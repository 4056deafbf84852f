/*
 * continuity.c - see continuity.h.
 */
#include "server/upstream/continuity.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "protocol/gtid.h"
#include "storage/index.h"

const char *cont_verdict_name(enum cont_verdict v)
{
    switch (v) {
    case CONT_OK: return "ok";
    case CONT_NAME_CLASH: return "name clash";
    case CONT_UPSTREAM_BEHIND: return "upstream behind";
    case CONT_UPSTREAM_AHEAD: return "upstream ahead";
    case CONT_DIVERGED: return "diverged";
    case CONT_BAD_STATE: return "bad state";
    }
    return "?";
}

struct mbuf { char *p; size_t cap, len; };

__attribute__((format(printf, 2, 3)))
static void add(struct mbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (b->len < b->cap) {
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        if (n > 0) b->len += (size_t)n;
    }
    va_end(ap);
    if (b->len >= b->cap && b->cap) b->len = b->cap - 1;
}

/* "domain d: a-b-c..a-b-d" style range of what one side lacks. */
static void add_range(struct mbuf *b, const struct gtid_maria *from, const struct gtid_maria *to, int *first)
{
    add(b, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64, *first ? "" : ", ", to->domain, to->server,
        from ? from->seq + 1 : 1);
    if ((from ? from->seq + 1 : 1) != to->seq) add(b, "..%" PRIu32 "-%" PRIu32 "-%" PRIu64, to->domain, to->server, to->seq);
    *first = 0;
}

enum cont_verdict continuity_compare(const char *ours, const char *theirs, const char *who, char *msg, size_t cap)
{
    struct gtid_maria_state o, t;
    const char *why = NULL;
    struct mbuf b = {msg, cap, 0};
    if (cap) msg[0] = 0;
    if (gtid_maria_state_parse(&o, ours, strlen(ours), &why) == -1) {
        add(&b, "binlogd's GTID state '%.200s' does not parse: %s", ours, why);
        return CONT_BAD_STATE;
    }
    if (gtid_maria_state_parse(&t, theirs, strlen(theirs), &why) == -1) {
        add(&b, "%s's GTID state '%.200s' does not parse: %s", who, theirs, why);
        return CONT_BAD_STATE;
    }
    enum gtid_cmp cmp = gtid_maria_state_compare(&o, &t);
    if (cmp == GTID_CMP_EQUAL) return CONT_OK;
    /* The verdict is the comparison's; the walk below only lists what each side lacks. */
    char lack_us[1024], lack_them[1024], split[1024];
    struct mbuf us = {lack_us, sizeof(lack_us), 0}, them = {lack_them, sizeof(lack_them), 0},
                sp = {split, sizeof(split), 0};
    lack_us[0] = lack_them[0] = split[0] = 0;
    int f_us = 1, f_them = 1, f_sp = 1;
    /* Walk the union of domains (both states are sorted by domain). */
    uint32_t i = 0, k = 0;
    while (i < o.n || k < t.n) {
        const struct gtid_maria *a = i < o.n ? &o.v[i] : NULL, *c = k < t.n ? &t.v[k] : NULL;
        if (a && (!c || a->domain < c->domain)) {
            add_range(&them, NULL, a, &f_them);
            i++;
        } else if (c && (!a || c->domain < a->domain)) {
            add_range(&us, NULL, c, &f_us);
            k++;
        } else {
            if (a->seq == c->seq && a->server != c->server) {
                add(&sp, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64 " vs %" PRIu32 "-%" PRIu32 "-%" PRIu64, f_sp ? "" : ", ",
                    a->domain, a->server, a->seq, c->domain, c->server, c->seq);
                f_sp = 0;
            } else if (a->seq < c->seq) {
                add_range(&us, a, c, &f_us);
            } else if (a->seq > c->seq) {
                add_range(&them, c, a, &f_them);
            }
            i++;
            k++;
        }
    }
    add(&b, "%s starts at GTID state '%.300s' but binlogd's copy ends at '%.300s'", who, theirs[0] ? theirs : "(empty)",
        ours[0] ? ours : "(empty)");
    if (!f_them) add(&b, "; missing on %s: %s", who, lack_them);
    if (!f_us) add(&b, "; missing on binlogd: %s", lack_us);
    if (!f_sp) add(&b, "; same sequence number from different servers (diverged): %s", split);
    if (cmp == GTID_CMP_DIVERGED) {
        add(&b, ". The histories diverged: binlogd will not splice them; rebuild the new primary from "
                "binlogd's history, or start a new binlogd data directory for it");
        return CONT_DIVERGED;
    }
    if (cmp == GTID_CMP_AHEAD) {   /* ours is ahead: the new primary lacks our last transactions */
        add(&b, ". Let %s catch up (e.g. replicate from binlogd with MASTER_USE_GTID=slave_pos), then FLUSH BINARY "
                "LOGS on it so a new file starts at binlogd's state", who);
        return CONT_UPSTREAM_BEHIND;
    }
    add(&b, ". %s has transactions binlogd never received (errant transactions written on it, or binlogd "
            "lagged behind the old primary): binlogd will not splice; remove them from %s or pick another "
            "primary", who, who);
    return CONT_UPSTREAM_AHEAD;
}

enum cont_verdict continuity_name(const char *const *stored, size_t n, const char *cand, char *msg, size_t cap)
{
    struct mbuf b = {msg, cap, 0};
    if (cap) msg[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(stored[i], cand)) {
            add(&b, "binlogd already stores a file named %s; FLUSH BINARY LOGS on the new primary until its file name "
                    "is new to binlogd", cand);
            return CONT_NAME_CLASH;
        }
    }
    if (!n) return CONT_OK;
    char lb[EV_MAX_NAME_LEN + 1], cb[EV_MAX_NAME_LEN + 1];
    uint64_t ln, cn;
    if (index_split_name(stored[n - 1], lb, sizeof(lb), &ln) == -1 || index_split_name(cand, cb, sizeof(cb), &cn) == -1)
        return CONT_OK;   /* different naming schemes cannot clash by number */
    if (strcmp(lb, cb) || cn > ln) return CONT_OK;
    add(&b, "the new primary's file %s has the same basename as binlogd's last file %s and is not numbered higher; "
            "run FLUSH BINARY LOGS on the new primary %" PRIu64 " more time(s)", cand, stored[n - 1], ln - cn + 1);
    return CONT_NAME_CLASH;
}
