/*
 * splitbrain.c - see splitbrain.h for the rule. The walk below classifies each GTID of the
 * watched server; the verdict follows from which classes are non-empty.
 */
#include "server/upstream/splitbrain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/gtid.h"
#include "protocol/strbuf.h"
#include "protocol/gtid_track.h"

#define LIST_MAX 8   /* GTIDs named in a reason; the rest are counted */

const char *splitbrain_verdict_name(enum splitbrain_verdict v)
{
    switch (v) {
    case SPLITBRAIN_OK: return "ok";
    case SPLITBRAIN_BEHIND: return "behind";
    case SPLITBRAIN_AHEAD: return "ahead";
    case SPLITBRAIN_SPLIT: return "split-brain";
    case SPLITBRAIN_UNREACHABLE: return "unreachable";
    case SPLITBRAIN_ERROR: return "error";
    case SPLITBRAIN_UPSTREAM: return "upstream";
    case SPLITBRAIN_UNKNOWN: return "unknown";
    }
    return "?";
}

/* ---------------------------------------------------------------- MariaDB */

struct dset { uint32_t n; uint32_t v[GTID_MARIA_MAX_DOMAINS]; };

static int dset_has(const struct dset *d, uint32_t x)
{
    for (uint32_t i = 0; i < d->n; i++)
        if (d->v[i] == x) return 1;
    return 0;
}

static void dset_add(struct dset *d, uint32_t x)
{
    if (!dset_has(d, x) && d->n < GTID_MARIA_MAX_DOMAINS) d->v[d->n++] = x;
}

static int is_primary_id(const struct splitbrain_ctx *c, uint32_t sid)
{
    if (c->upstream_server_id && sid == c->upstream_server_id) return 1;
    for (size_t i = 0; i < c->n_previous_ids; i++)
        if (c->previous_ids[i] && c->previous_ids[i] == sid) return 1;
    return 0;
}

static void primary_domains(const struct splitbrain_ctx *c, const struct gtid_blist *o, const struct gtid_blist *u,
                            struct dset *p)
{
    p->n = 0;
    if (c->has_upstream_domain) dset_add(p, c->upstream_domain);
    for (uint32_t i = 0; i < o->n; i++)
        if (is_primary_id(c, o->v[i].server)) dset_add(p, o->v[i].domain);
    for (uint32_t i = 0; i < u->n; i++)
        if (is_primary_id(c, u->v[i].server)) dset_add(p, u->v[i].domain);
}

/* "0-10-101 (binlogd has up to 0-10-100)" for one GTID binlogd lacks. */
static void add_lacking(struct strbuf *b, const struct gtid_maria *t, const struct gtid_maria *og, unsigned *listed,
                        unsigned *more)
{
    if (*listed >= LIST_MAX) { (*more)++; return; }
    strbuf_addf(b, "%s%" PRIu32 "-%" PRIu32 "-%" PRIu64, *listed ? ", " : "", t->domain, t->server, t->seq);
    if (og) strbuf_addf(b, " (binlogd has up to %" PRIu32 "-%" PRIu32 "-%" PRIu64 ")", og->domain, og->server, og->seq);
    else strbuf_addf(b, " (binlogd has nothing from server %" PRIu32 " in domain %" PRIu32 ")", t->server, t->domain);
    (*listed)++;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct gtid_maria *x = a, *y = b;
    if (x->domain != y->domain) return x->domain < y->domain ? -1 : 1;
    if (x->server != y->server) return x->server < y->server ? -1 : 1;
    return 0;
}

enum splitbrain_verdict splitbrain_judge_maria(const struct splitbrain_ctx *c, const char *theirs, const char *who,
                                               char *reason, size_t cap, char *finding, size_t fcap)
{
    struct strbuf r, f;
    strbuf_init(&r, reason, cap);
    strbuf_init(&f, finding, fcap);
    struct gtid_blist o, t, u, wr;
    gtid_blist_init(&o);
    gtid_blist_init(&t);
    gtid_blist_init(&u);
    gtid_blist_init(&wr);
    const char *why = NULL;
    enum splitbrain_verdict v = SPLITBRAIN_ERROR;
    struct dset *pd = NULL;
    struct gtid_maria *split = NULL;
    if (gtid_blist_parse(&o, c->ours, strlen(c->ours), &why) == -1) {
        strbuf_addf(&r, "binlogd's GTID state does not parse: %s", why);
        goto out;
    }
    if (gtid_blist_parse(&t, theirs, strlen(theirs), &why) == -1) {
        strbuf_addf(&r, "%s's GTID state '%.200s' does not parse: %s", who, theirs, why);
        goto out;
    }
    /* An upstream state that does not parse is only "unknown": it can exempt nothing. */
    if (c->upstream && gtid_blist_parse(&u, c->upstream, strlen(c->upstream), &why) == -1) gtid_blist_init(&u);
    if (c->upstream_writers && gtid_blist_parse(&wr, c->upstream_writers, strlen(c->upstream_writers), &why) == -1)
        gtid_blist_init(&wr);
    if (!(pd = malloc(sizeof(*pd))) || (t.n && !(split = calloc(t.n, sizeof(*split))))) {
        strbuf_addf(&r, "out of memory");
        goto out;
    }
    primary_domains(c, &o, &u, pd);
    char lag_txt[1024], split_txt[1024], other_txt[1024], fresh_txt[1024];
    struct strbuf lag, spl, oth, fre;
    strbuf_init(&lag, lag_txt, sizeof(lag_txt));
    strbuf_init(&spl, split_txt, sizeof(split_txt));
    strbuf_init(&oth, other_txt, sizeof(other_txt));
    strbuf_init(&fre, fresh_txt, sizeof(fresh_txt));
    unsigned n_lag = 0, n_split = 0, n_other = 0, n_fresh = 0, more_lag = 0, more_split = 0, more_other = 0, more_fresh = 0;
    uint32_t nsplit = 0;
    for (uint32_t i = 0; i < t.n; i++) {
        const struct gtid_maria *tg = &t.v[i];
        const struct gtid_maria *og = gtid_blist_find(&o, tg->domain, tg->server);
        if (og && og->seq >= tg->seq) continue;                                   /* known */
        const struct gtid_maria *ug = gtid_blist_find(&u, tg->domain, tg->server);
        if ((ug && ug->seq >= tg->seq) || (c->upstream_server_id && tg->server == c->upstream_server_id) ||
            gtid_blist_find(&wr, tg->domain, tg->server)) {
            add_lacking(&lag, tg, og, &n_lag, &more_lag);                         /* on its way */
        } else if (c->target_mirror && !og && !ug) {
            add_lacking(&fre, tg, og, &n_fresh, &more_fresh);                     /* a new primary, mirrored first */
        } else if (dset_has(pd, tg->domain)) {
            add_lacking(&spl, tg, og, &n_split, &more_split);                     /* foreign, primary domain */
            split[nsplit++] = *tg;
        } else {
            add_lacking(&oth, tg, og, &n_other, &more_other);                     /* foreign, other domain */
        }
    }
    if (more_lag) strbuf_addf(&lag, " and %u more", more_lag);
    if (more_split) strbuf_addf(&spl, " and %u more", more_split);
    if (more_other) strbuf_addf(&oth, " and %u more", more_other);
    if (more_fresh) strbuf_addf(&fre, " and %u more", more_fresh);
    if (nsplit) {
        qsort(split, nsplit, sizeof(*split), cmp_pair);
        for (uint32_t i = 0; i < nsplit; i++) strbuf_addf(&f, "%s%" PRIu32 "-%" PRIu32, i ? "," : "", split[i].domain, split[i].server);
        if (c->upstream_reachable) {
            v = SPLITBRAIN_SPLIT;
            strbuf_addf(&r, "%s has transactions neither binlogd nor its upstream has, in a domain the upstream writes: %s; "
                    "a second server is taking writes (an old primary written to again?)", who, split_txt);
        } else {
            v = SPLITBRAIN_AHEAD;
            strbuf_addf(&r, "%s has transactions binlogd lacks in a domain its primary writes: %s, but the upstream did not "
                    "answer (a failover in progress?); judged again once it does", who, split_txt);
        }
        if (n_other) strbuf_addf(&r, "; in other domains: %s", other_txt);
        goto out;
    }
    if (n_fresh) {
        v = SPLITBRAIN_AHEAD;
        strbuf_addf(&r, "%s (a binlogd) has transactions of servers neither binlogd nor its upstream has seen: %s (a new "
                "primary its upstream failed over to first?)", who, fresh_txt);
        if (n_other) strbuf_addf(&r, "; in other domains: %s", other_txt);
        if (n_lag) strbuf_addf(&r, "; lag: %s", lag_txt);
        goto out;
    }
    if (n_other) {
        v = SPLITBRAIN_AHEAD;
        strbuf_addf(&r, "%s has transactions binlogd lacks only in domains the upstream does not write: %s (another source "
                "or local writes; not a split brain)", who, other_txt);
        if (n_lag) strbuf_addf(&r, "; lag: %s", lag_txt);
        goto out;
    }
    if (n_lag) {
        v = SPLITBRAIN_AHEAD;
        strbuf_addf(&r, "ahead of binlogd by transactions of the upstream (lag): %s", lag_txt);
        goto out;
    }
    struct gtid_maria_state *ts = gtid_maria_state_new(), *os = gtid_maria_state_new();
    if (ts && os && gtid_blist_to_state(&t, ts) == 0 && gtid_blist_to_state(&o, os) == 0 &&
        gtid_maria_state_compare(ts, os) == GTID_CMP_EQUAL) {
        v = SPLITBRAIN_OK;
        strbuf_addf(&r, "at binlogd's position");
    } else {
        v = SPLITBRAIN_BEHIND;
        strbuf_addf(&r, "everything it has, binlogd has");
    }
    gtid_maria_state_free(ts);
    gtid_maria_state_free(os);
out:
    free(pd);
    free(split);
    gtid_blist_free(&o);
    gtid_blist_free(&t);
    gtid_blist_free(&u);
    gtid_blist_free(&wr);
    return v;
}

/* ---------------------------------------------------------------- MySQL */

static const struct gtid_sid *find_sid(const struct gtid_mysql_set *s, const uint8_t uuid[16])
{
    for (uint32_t i = 0; s && i < s->n; i++)
        if (!memcmp(s->sids[i].uuid, uuid, 16)) return &s->sids[i];
    return NULL;
}

/* out += [a, b) minus what `minus` holds for uuid. 0, or -1 (bound / OOM). */
static int diff_add(struct gtid_mysql_set *out, const uint8_t uuid[16], int64_t a, int64_t b,
                    const struct gtid_mysql_set *minus)
{
    const struct gtid_sid *m = find_sid(minus, uuid);
    for (uint32_t i = 0; m && i < m->n && a < b; i++) {
        const struct gtid_interval *iv = &m->iv[i];
        if (iv->end <= a) continue;
        if (iv->start >= b) break;
        if (iv->start > a && gtid_mysql_set_add_interval(out, uuid, a, iv->start) == -1) return -1;
        a = iv->end;
    }
    if (a < b && gtid_mysql_set_add_interval(out, uuid, a, b) == -1) return -1;
    return 0;
}

/* out = x minus y. */
static int set_diff(struct gtid_mysql_set *out, const struct gtid_mysql_set *x, const struct gtid_mysql_set *y)
{
    gtid_mysql_set_clear(out);
    for (uint32_t i = 0; i < x->n; i++)
        for (uint32_t k = 0; k < x->sids[i].n; k++)
            if (diff_add(out, x->sids[i].uuid, x->sids[i].iv[k].start, x->sids[i].iv[k].end, y) == -1) return -1;
    return 0;
}

static void add_set(struct strbuf *b, const struct gtid_mysql_set *s)
{
    char txt[600];
    size_t n = gtid_mysql_set_format(s, txt, sizeof(txt));
    strbuf_addf(b, "%s%s", txt, n >= sizeof(txt) ? "..." : "");
}

enum splitbrain_verdict splitbrain_judge_mysql(const struct splitbrain_ctx *c, const char *theirs, const char *who,
                                               char *reason, size_t cap, char *finding, size_t fcap)
{
    struct strbuf r, f;
    strbuf_init(&r, reason, cap);
    strbuf_init(&f, finding, fcap);
    enum splitbrain_verdict v = SPLITBRAIN_ERROR;
    const char *why = NULL;
    struct gtid_mysql_set *o = gtid_mysql_set_new(), *t = gtid_mysql_set_new(), *u = gtid_mysql_set_new(),
                          *lack = gtid_mysql_set_new(), *foreign = gtid_mysql_set_new(), *split = gtid_mysql_set_new();
    uint8_t up_uuid[16];
    int has_up_uuid = c->upstream_uuid && gtid_uuid_parse(c->upstream_uuid, strlen(c->upstream_uuid), up_uuid) == 0;
    if (!o || !t || !u || !lack || !foreign || !split) {
        strbuf_addf(&r, "out of memory");
        goto out;
    }
    if (gtid_mysql_set_parse(o, c->ours, strlen(c->ours), &why) == -1) {
        strbuf_addf(&r, "binlogd's GTID set does not parse: %s", why);
        goto out;
    }
    if (gtid_mysql_set_parse(t, theirs, strlen(theirs), &why) == -1) {
        strbuf_addf(&r, "%s's GTID set '%.200s' does not parse: %s", who, theirs, why);
        goto out;
    }
    if (c->upstream && gtid_mysql_set_parse(u, c->upstream, strlen(c->upstream), &why) == -1) gtid_mysql_set_clear(u);
    if (set_diff(lack, t, o) == -1 || set_diff(foreign, lack, u) == -1) {
        strbuf_addf(&r, "GTID set too large to compare");
        goto out;
    }
    /* foreign minus the upstream's own UUID (its writes are on their way), split into UUIDs
     * this stream already knows (split-brain) and new ones (errant local writes: ahead). */
    int any_foreign = 0;
    for (uint32_t i = 0; i < foreign->n; i++) {
        const struct gtid_sid *s = &foreign->sids[i];
        if (has_up_uuid && !memcmp(s->uuid, up_uuid, 16)) continue;
        any_foreign = 1;
        if (!find_sid(o, s->uuid)) continue;
        for (uint32_t k = 0; k < s->n; k++)
            if (gtid_mysql_set_add_interval(split, s->uuid, s->iv[k].start, s->iv[k].end) == -1) goto out;
        char us[GTID_UUID_STR_LEN + 1];
        gtid_uuid_format(s->uuid, us);
        strbuf_addf(&f, "%s%s", f.len ? "," : "", us);
    }
    if (split->n) {
        v = c->upstream_reachable ? SPLITBRAIN_SPLIT : SPLITBRAIN_AHEAD;
        strbuf_addf(&r, "%s has transactions neither binlogd nor its upstream has, from a server this stream knows: ", who);
        add_set(&r, split);
        strbuf_addf(&r, c->upstream_reachable ? "; a second server is taking writes (an old primary written to again?)"
                                      : "; but the upstream did not answer (a failover in progress?)");
        goto out;
    }
    if (any_foreign) {
        v = SPLITBRAIN_AHEAD;
        strbuf_addf(&r, "%s has transactions binlogd lacks from servers new to this stream (errant local writes): ", who);
        add_set(&r, foreign);
        goto out;
    }
    if (lack->n) {
        v = SPLITBRAIN_AHEAD;
        strbuf_addf(&r, "ahead of binlogd by transactions of the upstream (lag): ");
        add_set(&r, lack);
        goto out;
    }
    struct gtid_mysql_set *back = lack;   /* reuse: ours minus theirs (empty: the same set) */
    if (set_diff(back, o, t) == 0 && back->n == 0) {
        v = SPLITBRAIN_OK;
        strbuf_addf(&r, "at binlogd's position");
    } else {
        v = SPLITBRAIN_BEHIND;
        strbuf_addf(&r, "everything it has, binlogd has");
    }
out:
    gtid_mysql_set_free(o);
    gtid_mysql_set_free(t);
    gtid_mysql_set_free(u);
    gtid_mysql_set_free(lack);
    gtid_mysql_set_free(foreign);
    gtid_mysql_set_free(split);
    return v;
}
