/*
 * gtid_pos.c - see gtid_pos.h. The walk follows gtid_state_from_pos step by step: at each
 * event start it notes whether pos was met, and it stops once the FORMAT_DESCRIPTION and the
 * GTID_LIST are behind it and pos is reached; so pos 4 still reads ahead to the GTID_LIST.
 */
#include "server/admin/gtid_pos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/gtid_track.h"
#include "storage/cursor.h"
#include "storage/gtidpos.h"
#include "storage/store.h"

#define FDE_MAX 4096
#define GTID_EV_MAX 256      /* a GTID event with XID and ALTER id is below 100 bytes */

/* The whole event *it, from the cursor's window or read into buf (cap bytes). */
static const uint8_t *whole(struct cursor *cur, const struct cursor_item *it, uint8_t *buf, size_t cap)
{
    char err[256];
    if (it->data) return it->data;
    if (it->len > cap || cursor_pread(cur, buf, it->len, it->offset, err, sizeof(err)) == -1) return NULL;
    return buf;
}

enum walk { WALK_STATE, WALK_NULL, WALK_OOM };

static int at_or_before(void *arg, const struct gpos_entry *e) { return e->off <= *(const uint64_t *)arg; }

/* Past the GTID_LIST at `at`: continue at the GTID position index's last boundary at or before
 * pos (storage/gtidpos.h), with the GTIDs of the groups before it applied to st. 1 when the
 * cursor moved, 0 to read on from `at`. */
static int jump(struct store *store, struct cursor *cur, uint64_t at, uint64_t pos, struct gtid_maria_state *st)
{
    struct gpos_entry e;
    int flavor, rc = 0;
    if (!store || store_gtidpos_find(store, cursor_file(cur), at, at_or_before, &pos, &flavor, &e) != 1) return 0;
    struct gtid_blist l;
    const char *why;
    gtid_blist_init(&l);
    if (flavor == GTID_TRACK_MARIA && gtid_blist_parse(&l, e.state, strlen(e.state), &why) == 0) {
        struct gtid_maria_state next = *st;
        int ok = 1;
        for (uint32_t i = 0; ok && i < l.n; i++) ok = gtid_maria_state_update(&next, &l.v[i]) == 0;
        if (ok && cursor_seek(cur, e.off) == 0) {
            *st = next;
            rc = 1;
        }
    }
    gtid_blist_free(&l);
    gpos_entry_free(&e);
    return rc;
}

static enum walk walk(struct store *store, struct cursor *cur, uint64_t pos, const struct ev_fmt *fmt0,
                      struct gtid_maria_state *st)
{
    struct ev_fmt fmt = *fmt0;
    int seen_fde = 0, seen_list = 0, found = 0, jumped = 0;
    char err[256];
    uint8_t *big = NULL;
    size_t big_cap = 0;
    uint8_t small[GTID_EV_MAX];
    enum walk res = WALK_NULL;
    for (;;) {
        uint64_t at = cursor_pos(cur);
        if (at == pos) found = 1;
        if (seen_fde && seen_list && at >= pos) break;
        if (seen_fde && seen_list && !jumped) {
            jumped = 1;
            if (jump(store, cur, at, pos, st)) continue;
        }
        struct cursor_item it;
        if (cursor_next(cur, &it, err, sizeof(err)) != CURSOR_EVENT) goto out;   /* read error: NULL */
        const char *why;
        switch (it.h.type) {
        case EV_FORMAT_DESCRIPTION:
            if (seen_fde) goto out;
            seen_fde = 1;
            continue;
        case EV_START_ENCRYPTION:
            goto out;   /* encrypted binlogs: binlogd has no key to read the GTIDs with */
        case EV_ROTATE: case EV_STOP: case EV_BINLOG_CHECKPOINT:
            continue;
        case EV_GTID_LIST: {
            if (seen_list) goto out;
            if (it.len > big_cap) {
                uint8_t *b = realloc(big, it.len);
                if (!b) { res = WALK_OOM; goto out; }
                big = b;
                big_cap = it.len;
            }
            const uint8_t *ev = whole(cur, &it, big, big_cap);
            struct ev_gtid_list l;
            if (!ev || ev_gtid_list_parse(ev, it.len, &fmt, &l, &why) != EV_OK ||
                gtid_maria_state_from_list(st, &l, &why) == -1)
                goto out;
            seen_list = 1;
            continue;
        }
        default:
            break;
        }
        if (!seen_list) {   /* an old-style binlog: mariadbd answers the empty state */
            gtid_maria_state_init(st);
            res = WALK_STATE;
            goto out;
        }
        if (it.h.type == EV_MARIA_GTID) {
            const uint8_t *ev = whole(cur, &it, small, sizeof(small));
            struct ev_maria_gtid g;
            if (!ev || ev_maria_gtid_parse(ev, it.len, &fmt, &g, &why) != EV_OK) goto out;
            struct gtid_maria m = {.domain = g.domain_id, .server = g.server_id, .seq = g.seq_no};
            if (gtid_maria_state_update(st, &m) == -1) goto out;
        }
    }
    if (found) res = WALK_STATE;
out:
    free(big);
    return res;
}

int gtid_pos_compute(const struct stmt_ctx *c, const char *name, size_t name_len, uint64_t pos, char **out,
                     struct stmt_result *r)
{
    *out = NULL;
    struct store_file_info fi;
    char nm[EV_MAX_NAME_LEN + 1];
    if (store_files(c->store, &fi, 1) == 0) return 0;   /* nothing mirrored yet: NULL (see gtid_pos.h) */
    if (name_len) {
        if (name_len >= sizeof(nm) || memchr(name, 0, name_len)) return 0;
        memcpy(nm, name, name_len);
        nm[name_len] = 0;
        if (store_file_lookup(c->store, nm, &fi) == -1) return 0;   /* not in the index: NULL */
    }
    if (pos < BINLOG_MAGIC_LEN) pos = BINLOG_MAGIC_LEN;
    char err[512];
    struct cursor *cur = cursor_new(c->store);
    struct gtid_maria_state *st = gtid_maria_state_new();
    uint8_t *fde = malloc(FDE_MAX);
    int rc = 0;
    if (!cur || !st || !fde) goto oom;
    enum cursor_open_error oe = cursor_open(cur, fi.name, BINLOG_MAGIC_LEN, err, sizeof(err));
    if (oe == CURSOR_OPEN_NO_FILE) goto done;
    if (oe != CURSOR_OPEN_OK) {
        stmt_errf(r, 29, "File '%s/%s' not found (Errcode: 2 \"No such file or directory\")", c->cfg->data_dir, fi.name);
        rc = -1;
        goto done;
    }
    struct ev_fde f;
    struct ev_fmt fmt;
    const char *why;
    size_t n = cursor_read_fde(cur, fde, FDE_MAX, err, sizeof(err));
    if (!n || ev_fde_parse(fde, n, &f, &why) != EV_OK) goto done;
    ev_fmt_from_fde(&fmt, &f);
    switch (walk(c->store, cur, pos, &fmt, st)) {
    case WALK_NULL: goto done;
    case WALK_OOM: goto oom;
    case WALK_STATE: break;
    }
    size_t len = gtid_maria_state_format(st, NULL, 0);
    if (!(*out = malloc(len + 1))) goto oom;
    gtid_maria_state_format(st, *out, len + 1);
    goto done;
oom:
    stmt_errf(r, 1037, "Out of memory");
    rc = -1;
done:
    free(fde);
    gtid_maria_state_free(st);
    cursor_free(cur);
    return rc;
}
