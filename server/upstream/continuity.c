/*
 * continuity.c - see continuity.h.
 */
#include "server/upstream/continuity.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "protocol/gtid.h"
#include "protocol/strbuf.h"
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

/* "domain d: a-b-c..a-b-d" style range of what one side lacks. */
static void add_range(struct strbuf *b, const struct gtid_maria *from, const struct gtid_maria *to, int *first)
{
    strbuf_addf(b, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64, *first ? "" : ", ", to->domain, to->server,
        from ? from->seq + 1 : 1);
    if ((from ? from->seq + 1 : 1) != to->seq) strbuf_addf(b, "..%" PRIu32 "-%" PRIu32 "-%" PRIu64, to->domain, to->server, to->seq);
    *first = 0;
}

enum cont_verdict continuity_compare(const char *ours, const char *theirs, const char *who, char *msg, size_t cap)
{
    struct gtid_maria_state o, t;
    const char *why = NULL;
    struct strbuf b;
    strbuf_init(&b, msg, cap);
    if (cap) msg[0] = 0;
    if (gtid_maria_state_parse(&o, ours, strlen(ours), &why) == -1) {
        strbuf_addf(&b, "binlogd's GTID state '%.200s' does not parse: %s", ours, why);
        return CONT_BAD_STATE;
    }
    if (gtid_maria_state_parse(&t, theirs, strlen(theirs), &why) == -1) {
        strbuf_addf(&b, "%s's GTID state '%.200s' does not parse: %s", who, theirs, why);
        return CONT_BAD_STATE;
    }
    enum gtid_cmp cmp = gtid_maria_state_compare(&o, &t);
    if (cmp == GTID_CMP_EQUAL) return CONT_OK;
    /* The verdict is the comparison's; the walk below only lists what each side lacks. */
    char lack_us[1024], lack_them[1024], split[1024];
    struct strbuf us, them, sp;
    strbuf_init(&us, lack_us, sizeof(lack_us));
    strbuf_init(&them, lack_them, sizeof(lack_them));
    strbuf_init(&sp, split, sizeof(split));
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
                strbuf_addf(&sp, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64 " vs %" PRIu32 "-%" PRIu32 "-%" PRIu64, f_sp ? "" : ", ",
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
    strbuf_addf(&b, "%s starts at GTID state '%.300s' but binlogd's copy ends at '%.300s'", who, theirs[0] ? theirs : "(empty)",
        ours[0] ? ours : "(empty)");
    if (!f_them) strbuf_addf(&b, "; missing on %s: %s", who, lack_them);
    if (!f_us) strbuf_addf(&b, "; missing on binlogd: %s", lack_us);
    if (!f_sp) strbuf_addf(&b, "; same sequence number from different servers (diverged): %s", split);
    if (cmp == GTID_CMP_DIVERGED) {
        strbuf_addf(&b, ". The histories diverged: binlogd will not splice them; rebuild the new primary from "
                "binlogd's history, or start a new binlogd data directory for it");
        return CONT_DIVERGED;
    }
    if (cmp == GTID_CMP_AHEAD) {   /* ours is ahead: the new primary lacks our last transactions */
        strbuf_addf(&b, ". Let %s catch up (e.g. replicate from binlogd with MASTER_USE_GTID=slave_pos), then FLUSH BINARY "
                "LOGS on it so a new file starts at binlogd's state", who);
        return CONT_UPSTREAM_BEHIND;
    }
    strbuf_addf(&b, ". %s has transactions binlogd never received (errant transactions written on it, or binlogd "
            "lagged behind the old primary): binlogd will not splice; remove them from %s or pick another "
            "primary", who, who);
    return CONT_UPSTREAM_AHEAD;
}

enum cont_verdict continuity_name(const char *const *stored, size_t n, const char *cand, char *msg, size_t cap)
{
    struct strbuf b;
    strbuf_init(&b, msg, cap);
    if (cap) msg[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(stored[i], cand)) {
            strbuf_addf(&b, "binlogd already stores a file named %s; FLUSH BINARY LOGS on the new primary until its file name "
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
    strbuf_addf(&b, "the new primary's file %s has the same basename as binlogd's last file %s and is not numbered higher; "
            "run FLUSH BINARY LOGS on the new primary %" PRIu64 " more time(s)", cand, stored[n - 1], ln - cn + 1);
    return CONT_NAME_CLASH;
}
