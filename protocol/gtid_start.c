/*
 * gtid_start.c - see gtid_start.h. The comments name the MariaDB function each rule mirrors.
 */
#include "protocol/gtid_start.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/wire.h"

void gtid_start_init(struct gtid_start *gs)
{
    memset(gs, 0, sizeof(*gs));
    gtid_blist_init(&gs->seen);
    gtid_blist_init(&gs->binlog);
}

void gtid_start_free(struct gtid_start *gs)
{
    gtid_blist_free(&gs->seen);
    gtid_blist_free(&gs->binlog);
    gtid_mysql_set_free(gs->exclude);
    gs->exclude = NULL;
}

static void want_remove(struct gtid_maria_state *s, uint32_t domain)
{
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->v[i].domain != domain) continue;
        memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof(s->v[0]));
        s->n--;
        return;
    }
}

static long empty_find(const struct gtid_start *gs, uint32_t domain)
{
    for (uint32_t i = 0; i < gs->n_empty; i++)
        if (gs->empty_domain[i] == domain) return (long)i;
    return -1;
}

/* slave_connection_state::load: "d-s-n,d-s-n"; a repeated domain is 1943, garbage 1941. */
static int parse_request(struct gtid_start *gs, const char *req, size_t len, struct myerr *e)
{
    gtid_maria_state_init(&gs->want);
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && req[j] != ',') j++;
        const char *p = req + i;
        size_t n = j - i;
        while (n && *p == ' ') { p++; n--; }
        while (n && p[n - 1] == ' ') n--;
        struct gtid_maria g;
        if (gtid_maria_parse(p, n, &g) == -1 || (j < len && j + 1 == len)) {
            myerr_custom(e, 1941, "Could not parse GTID list");
            return -1;
        }
        const struct gtid_maria *old = gtid_maria_state_find(&gs->want, g.domain);
        if (old) {
            myerr_custom(e, 1943, "GTID %" PRIu32 "-%" PRIu32 "-%" PRIu64 " and %" PRIu32 "-%" PRIu32 "-%" PRIu64
                         " conflict (duplicate domain id %" PRIu32 ")", g.domain, g.server, g.seq, old->domain,
                         old->server, old->seq, g.domain);
            return -1;
        }
        if (gtid_maria_state_update(&gs->want, &g) == -1) {
            myerr_custom(e, 1941, "Could not parse GTID list");
            return -1;
        }
        i = j + 1;
    }
    return 0;
}

/* give_error_start_pos_missing_in_binlog */
static void not_in_binlog(const struct gtid_start *gs, const struct gtid_maria *g, struct myerr *e)
{
    const struct gtid_maria *last = gtid_blist_last(&gs->binlog, g->domain);
    myerr_gtid_not_in_binlog(e, g->domain, g->server, g->seq, last && last->seq >= g->seq);
}

/* contains_all_slave_gtid: may the dump start in a file whose GTID_LIST is `list`? */
static int contains_all(const struct gtid_maria_state *st, const struct gtid_blist *list)
{
    for (uint32_t i = 0; i < list->n; i++) {
        const struct gtid_maria *l = &list->v[i];
        const struct gtid_maria *g = gtid_maria_state_find(st, l->domain);
        if (!g) return 0;   /* the replica needs this domain from its beginning: look further back */
        if (g->server == l->server && g->seq <= l->seq) {
            if (g->seq < l->seq) return 0;
            if (i + 1 < list->n && list->v[i + 1].domain == l->domain) return 0;
        }
    }
    return 1;
}

int gtid_start_resolve(struct gtid_start *gs, const char *req, size_t req_len, int strict, int ignore_duplicates,
                       const char *binlog_state, const struct gtid_start_file *files, size_t n, size_t *file_index,
                       struct myerr *e)
{
    const char *why = NULL;
    gs->strict = strict;
    gs->skip = 0;
    gs->fake_pending = 0;
    gs->n_empty = 0;
    gs->seen.n = 0;
    if (parse_request(gs, req, req_len, e) == -1) return -1;
    if (gtid_blist_parse(&gs->binlog, binlog_state, strlen(binlog_state), &why) == -1) {
        myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "binlogd cannot read its own GTID state: %s", why);
        return -1;
    }
    /* check_slave_start_position */
    for (uint32_t i = 0; i < gs->want.n; i++) {
        const struct gtid_maria *g = &gs->want.v[i];
        const struct gtid_maria *m = gtid_blist_find(&gs->binlog, g->domain, g->server);
        if (m && m->seq >= g->seq) continue;
        const struct gtid_maria *last = gtid_blist_last(&gs->binlog, g->domain);
        if (!last) {   /* START_ON_EMPTY_DOMAIN: checked again if the domain ever shows up */
            gs->empty_domain[gs->n_empty++] = g->domain;
            continue;
        }
        if (ignore_duplicates && last->seq < g->seq) continue;
        not_in_binlog(gs, g, e);
        return -1;
    }
    /* gtid_find_binlog_file: newest to oldest */
    struct gtid_blist list;
    gtid_blist_init(&list);
    for (size_t i = n; i-- > 0;) {
        const struct gtid_start_file *f = &files[i];
        int has_list = f->flavor == GTID_TRACK_MARIA;
        if (!f->known || f->flavor == GTID_TRACK_MYSQL) {
            gtid_blist_free(&list);
            myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG,
                         "Could not read GTID list event while looking for GTID position in binlog");
            return -1;
        }
        if (has_list && gtid_blist_parse(&list, f->start, strlen(f->start), &why) == -1) {
            gtid_blist_free(&list);
            myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG,
                         "Could not read GTID list event while looking for GTID position in binlog");
            return -1;
        }
        if (has_list && !contains_all(&gs->want, &list)) continue;
        if (has_list) {
            for (uint32_t k = 0; k < list.n; k++) {
                const struct gtid_maria *g = gtid_maria_state_find(&gs->want, list.v[k].domain);
                if (g && g->server == list.v[k].server && g->seq == list.v[k].seq) want_remove(&gs->want, list.v[k].domain);
            }
        }
        gtid_blist_free(&list);
        *file_index = i;
        return 0;
    }
    gtid_blist_free(&list);
    myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG,
                 "Could not find GTID state requested by slave in any binlog files. Probably the slave state is too "
                 "old and required binlog files have been purged.");
    return -1;
}

int gtid_start_idle(const struct gtid_start *gs)
{
    if (gs->mysql) return 0;   /* every group is checked against the replica's set */
    return gs->want.n == 0 && gs->skip == 0 && !gs->fake_pending;
}

int gtid_start_reached(const struct gtid_start *gs)
{
    if (gs->mysql) return 0;   /* `created` stays 0: the replica must not take the FDE for a restart */
    /* is_pos_reached: only domains the binlog never had may remain */
    for (uint32_t i = 0; i < gs->want.n; i++)
        if (empty_find(gs, gs->want.v[i].domain) < 0) return 0;
    return 1;
}

/* Log_event::is_part_of_group */
static int part_of_group(uint8_t t)
{
    return t == EV_MARIA_GTID || t == EV_INTVAR || t == EV_RAND || t == EV_USER_VAR || t == EV_TABLE_MAP ||
           t == EV_ANNOTATE_ROWS;
}

/* Query_log_event::peek_is_commit_rollback */
static int is_commit_rollback(const uint8_t *ev, size_t avail, size_t len, const struct ev_fmt *fmt)
{
    if (avail != len || len > GTID_START_PEEK) return 0;
    struct ev_query q;
    const char *why;
    if (ev_query_parse(ev, len, fmt, &q, &why) != EV_OK) return 0;
    return (q.sql_len == 6 && !memcmp(q.sql, "COMMIT", 6)) || (q.sql_len == 8 && !memcmp(q.sql, "ROLLBACK", 8));
}

enum gtid_start_verdict gtid_start_event(struct gtid_start *gs, const uint8_t *ev, size_t avail, size_t len,
                                         const struct ev_fmt *fmt, int *fake_after, struct myerr *e)
{
    *fake_after = 0;
    struct ev_header h;
    const char *why = NULL;
    if (avail < EV_HEADER_LEN || ev_header_parse(ev, avail, &h, &why) != EV_OK) {
        myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "bogus data in log event");
        return GTID_START_ERROR;
    }
    enum gtid_start_verdict v = GTID_START_SEND;
    if (gs->mysql) {   /* Binlog_sender::skip_event */
        if (h.type == EV_MYSQL_GTID) {
            struct ev_mysql_gtid g;
            if (avail != len || ev_mysql_gtid_parse(ev, len, fmt, &g, &why) != EV_OK) {
                myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "bogus data in log event");
                return GTID_START_ERROR;
            }
            gs->in_group = gtid_mysql_set_contains(gs->exclude, g.sid, g.gno);
        } else if (h.type == EV_ANONYMOUS_GTID || h.type == EV_ROTATE) {
            gs->in_group = 0;
        }
        return gs->in_group ? GTID_START_SKIP : GTID_START_SEND;
    }
    if (h.type == EV_MARIA_GTID && gs->want.n > 0) {
        struct ev_maria_gtid g;
        if (avail != len || ev_maria_gtid_parse(ev, len, fmt, &g, &why) != EV_OK) {
            myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "bogus data in log event");
            return GTID_START_ERROR;
        }
        struct gtid_maria eg = {g.domain_id, g.server_id, g.seq_no};
        (void)gtid_blist_update(&gs->seen, &eg);   /* on ENOMEM the fake list is shorter, never wrong */
        const struct gtid_maria *w = gtid_maria_state_find(&gs->want, eg.domain);
        if (w) {
            struct gtid_maria want = *w;
            long ed = empty_find(gs, eg.domain);
            if (ed >= 0) {
                const struct gtid_maria *m = gtid_blist_find(&gs->binlog, want.domain, want.server);
                if (!m || m->seq < want.seq) {
                    not_in_binlog(gs, &want, e);
                    return GTID_START_ERROR;
                }
                gs->empty_domain[ed] = gs->empty_domain[--gs->n_empty];
            }
            if (eg.server != want.server || eg.seq <= want.seq)
                gs->skip = (g.flags2 & EV_MGTID_STANDALONE) ? 1 : 2;
            if (eg.server == want.server && eg.seq >= want.seq) {
                if (gs->strict && eg.seq > want.seq) {
                    myerr_gtid_binlog_hole(e, want.domain, want.server, want.seq);
                    return GTID_START_ERROR;
                }
                gs->fake_pending = 1;
                want_remove(&gs->want, eg.domain);
            }
        }
    }
    if (gs->skip == 1) {
        if (!part_of_group(h.type)) gs->skip = 0;
        v = GTID_START_SKIP;
    } else if (gs->skip == 2) {
        if (h.type == EV_XID || h.type == EV_XA_PREPARE ||
            (h.type == EV_QUERY && is_commit_rollback(ev, avail, len, fmt)))
            gs->skip = 0;
        v = GTID_START_SKIP;
    }
    if (gs->fake_pending && gs->skip == 0) {
        gs->fake_pending = 0;
        *fake_after = 1;
    }
    return v;
}

int gtid_start_jump_ready(const struct gtid_start *gs)
{
    if (gs->mysql) return 1;
    return gs->want.n > 0 && gs->skip == 0 && !gs->fake_pending;
}

int gtid_start_jump_ok(const struct gtid_start *gs, const char *state, const char *max)
{
    const char *why;
    if (gs->mysql) {   /* every group of [P, B) is one the replica has */
        struct gtid_mysql_set *set = gtid_mysql_set_new();
        int ok = set && gtid_mysql_set_parse(set, state, strlen(state), &why) == 0 &&
                 gtid_mysql_set_subset(set, gs->exclude);
        gtid_mysql_set_free(set);
        return ok;
    }
    struct gtid_blist l, hi;
    gtid_blist_init(&l);
    gtid_blist_init(&hi);
    int ok = gtid_blist_parse(&l, state, strlen(state), &why) == 0 && gtid_blist_parse(&hi, max, strlen(max), &why) == 0;
    for (uint32_t i = 0; ok && i < l.n; i++) {
        const struct gtid_maria *g = &l.v[i], *h = gtid_blist_find(&hi, g->domain, g->server);
        const struct gtid_maria *w = gtid_maria_state_find(&gs->want, g->domain);
        /* a domain not requested (or reached at the file's start) is sent; an empty domain
         * is checked against the binlog state; reaching a requested GTID ends the skipping */
        if (!w || empty_find(gs, g->domain) >= 0) ok = 0;
        else if (g->server == w->server && (h ? h->seq : g->seq) >= w->seq) ok = 0;
        else if (h && h->seq < g->seq) ok = 0;   /* a max below the last: not ours */
    }
    gtid_blist_free(&l);
    gtid_blist_free(&hi);
    return ok;
}

int gtid_start_jump(struct gtid_start *gs, const char *state)
{
    if (gs->mysql) {
        gs->in_group = 1;   /* the last group of [P, B) was skipped: what follows it is too */
        return 0;
    }
    struct gtid_blist l, seen;
    const char *why;
    gtid_blist_init(&l);
    gtid_blist_init(&seen);
    /* Each pair of l is in the order of its last update, so updating `seen` with them in
     * order leaves it as the updates one by one would have. */
    int rc = gtid_blist_parse(&l, state, strlen(state), &why) == 0 && gtid_blist_copy(&seen, &gs->seen) == 0 ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < l.n; i++) rc = gtid_blist_update(&seen, &l.v[i]);
    if (rc == 0) {
        gtid_blist_free(&gs->seen);
        gs->seen = seen;
    } else {
        gtid_blist_free(&seen);
    }
    gtid_blist_free(&l);
    return rc;
}

size_t gtid_start_fake_list(const struct gtid_start *gs, uint8_t *out, size_t cap, uint32_t server_id,
                            uint32_t log_pos, enum ev_checksum_alg alg)
{
    size_t body_len = 4 + 16 * (size_t)gs->seen.n;
    if (gs->seen.n >= (1u << 28)) return 0;
    uint8_t *body = malloc(body_len);
    if (!body) return 0;
    wire_put_u32(body, gs->seen.n);
    for (uint32_t i = 0; i < gs->seen.n; i++) {
        wire_put_u32(body + 4 + 16 * i, gs->seen.v[i].domain);
        wire_put_u32(body + 8 + 16 * i, gs->seen.v[i].server);
        wire_put_u64(body + 12 + 16 * i, gs->seen.v[i].seq);
    }
    size_t n = ev_build_event(out, cap, EV_GTID_LIST, server_id, log_pos, EV_F_ARTIFICIAL, body, body_len, alg);
    free(body);
    return n;
}

/* ---------------------------------------------------------------- MySQL */

int gtid_mysql_set_subset(const struct gtid_mysql_set *a, const struct gtid_mysql_set *b)
{
    for (uint32_t i = 0; i < a->n; i++) {
        const struct gtid_sid *sa = &a->sids[i], *sb = NULL;
        for (uint32_t k = 0; k < b->n && !sb; k++)
            if (!memcmp(b->sids[k].uuid, sa->uuid, 16)) sb = &b->sids[k];
        for (uint32_t j = 0; j < sa->n; j++) {
            /* b's intervals are merged: one of them must cover this one whole */
            int covered = 0;
            for (uint32_t k = 0; sb && k < sb->n && !covered; k++)
                covered = sb->iv[k].start <= sa->iv[j].start && sa->iv[j].end <= sb->iv[k].end;
            if (!covered) return 0;
        }
    }
    return 1;
}

static int set_from_text(struct gtid_mysql_set *s, const char *text)
{
    const char *why;
    return gtid_mysql_set_parse(s, text, strlen(text), &why);
}

int gtid_start_resolve_mysql(struct gtid_start *gs, const uint8_t *data, size_t len, const char *executed,
                             const struct gtid_start_file *files, size_t n, size_t *file_index, struct myerr *e)
{
    const char *why = NULL;
    gs->mysql = 1;
    gs->in_group = 0;
    gs->exclude_end = 0;
    struct gtid_mysql_set *ex = gtid_mysql_set_new(), *exe = gtid_mysql_set_new(), *tmp = gtid_mysql_set_new();
    int rc = -1;
    if (!ex || !exe || !tmp) {
        myerr_custom(e, 1037, "Out of memory");
        goto out;
    }
    if (gtid_mysql_set_decode(ex, data, len, &why) == -1) {
        myerr_custom(e, MYERR_MALFORMED_PACKET, "Malformed communication packet");
        goto out;
    }
    if (!executed[0] || set_from_text(exe, executed) == -1) {
        myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "The replication sender thread cannot start in "
                     "AUTO_POSITION mode: this server has GTID_MODE = OFF instead of ON.");
        goto out;
    }
    /* (1) the replica has GTIDs of a server whose history binlogd holds, but binlogd lacks them */
    for (uint32_t i = 0; i < ex->n; i++) {
        int known = 0;
        for (uint32_t k = 0; k < exe->n && !known; k++) known = !memcmp(exe->sids[k].uuid, ex->sids[i].uuid, 16);
        if (!known) continue;
        gtid_mysql_set_clear(tmp);
        for (uint32_t j = 0; j < ex->sids[i].n; j++)
            (void)gtid_mysql_set_add_interval(tmp, ex->sids[i].uuid, ex->sids[i].iv[j].start, ex->sids[i].iv[j].end);
        if (!gtid_mysql_set_subset(tmp, exe)) {
            myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "Replica has more GTIDs than the source has, using "
                         "the source's SERVER_UUID. This may indicate that the the last binary log file was truncated "
                         "or lost, e.g., after a power failure when sync_binlog != 1. The source may have rolled back "
                         "transactions that were already replicated to the replica. Replicate any transactions that "
                         "source has rolled back from replica to source, and/or commit empty transactions on source to "
                         "account for transactions that have been committed on source but are not included in "
                         "GTID_EXECUTED.");
            goto out;
        }
    }
    /* (2)+(3) newest file whose PREVIOUS_GTIDS the replica has; none: the history is purged */
    for (size_t i = n; i-- > 0;) {
        const struct gtid_start_file *f = &files[i];
        if (!f->known || f->flavor != GTID_TRACK_MYSQL) {
            myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "Found old binary log without GTIDs while looking "
                         "for the oldest binary log that contains any GTID that is not in the given gtid set");
            goto out;
        }
        if (set_from_text(tmp, f->start) == -1) {
            myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "Error reading header of binary log while looking "
                         "for the oldest binary log that contains any GTID that is not in the given gtid set");
            goto out;
        }
        if (gtid_mysql_set_subset(tmp, ex)) {
            *file_index = i;
            gs->exclude = ex;
            ex = NULL;
            rc = 0;
            goto out;
        }
    }
    myerr_custom(e, MYERR_MASTER_FATAL_READING_BINLOG, "Cannot replicate because the source purged required binary "
                 "logs. Replicate the missing transactions from elsewhere, or provision a new replica from backup. "
                 "Consider increasing the source's binary log expiration period.");
out:
    gtid_mysql_set_free(ex);
    gtid_mysql_set_free(exe);
    gtid_mysql_set_free(tmp);
    return rc;
}
