/* fuzz_feed.c - the event reader the event harnesses share (see fuzz_feed.h). */
#include "tests/fuzz/fuzz_feed.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/checksum.h"
#include "protocol/event_info.h"
#include "protocol/gtid.h"
#include "storage/index.h"

/* A MariaDB replica asking for slave_pos 0-1-3,1-2-1 from a store of one file. */
static const struct gtid_start_file gs_files[] = {
    {.name = "mysql-bin.000001", .known = 1, .flavor = GTID_TRACK_MARIA, .start = "0-1-1"},
    {.name = "mysql-bin.000002", .known = 1, .flavor = GTID_TRACK_MARIA, .start = "0-1-2,1-2-1"},
};

void feed_init(struct feed *f, unsigned opts)
{
    memset(f, 0, sizeof(*f));
    f->opts = opts;
    ev_fmt_default(&f->fmt, (opts & FEED_WIRE_CRC) ? EV_CHECKSUM_CRC32 : EV_CHECKSUM_OFF);
    trx_init(&f->trx);
    gtid_track_init(&f->trk);
    bbuf_init(&f->info);
    gtid_start_init(&f->gs);
    if (opts & FEED_GTID_START) {
        size_t at;
        struct myerr e;
        f->gs_on = gtid_start_resolve(&f->gs, "0-1-3,1-2-1", 11, opts & 0x08, 0, "0-1-9,1-2-4", gs_files, 2, &at,
                                      &e) == 0;
    }
}

void feed_free(struct feed *f)
{
    char *s = gtid_track_start_text(&f->trk), *e = gtid_track_end_text(&f->trk);
    free(s);
    free(e);
    char small[8];
    (void)gtid_track_format_end(&f->trk, small, sizeof(small));
    struct gtid_maria_state *st = gtid_maria_state_new();
    if (st) (void)gtid_blist_to_state(&f->trk.mend, st);
    gtid_maria_state_free(st);
    gtid_track_free(&f->trk);
    gtid_start_free(&f->gs);
    bbuf_free(&f->info);
}

void feed_new_file(struct feed *f)
{
    f->seen_fde = 0;
    ev_fmt_default(&f->fmt, (f->opts & FEED_WIRE_CRC) ? EV_CHECKSUM_CRC32 : EV_CHECKSUM_OFF);
}

static void fix_crc(struct feed *f, uint8_t *e, size_t len)
{
    if (len < EV_HEADER_LEN + EV_CRC_LEN) return;
    if (e[EV_TYPE_OFFSET] == EV_FORMAT_DESCRIPTION) {
        struct ev_fde fde;
        const char *why;
        if (ev_fde_parse(e, len, &fde, &why) == EV_OK && fde.has_checksum_alg) ev_crc32_store(e, len);
    } else if (f->fmt.checksum == EV_CHECKSUM_CRC32) {
        ev_crc32_store(e, len);
    }
}

/* The typed parsers, each on the view (they check the type themselves). */
static void typed(struct feed *f, const struct ev_view *v)
{
    const char *why;
    struct ev_rotate rot;
    struct ev_query q;
    struct ev_maria_gtid mg;
    struct ev_gtid_list gl;
    struct ev_mysql_gtid yg;
    struct ev_previous_gtids pg;
    struct ev_xid x;
    struct ev_checkpoint cp;
    const char *name;
    size_t name_len;
    uint64_t pos;
    if (ev_view_rotate(v, &f->fmt, &rot, &why) == EV_OK) (void)index_name_check(rot.name, rot.name_len, &why);
    (void)ev_view_query(v, &f->fmt, &q, &why);
    (void)ev_view_maria_gtid(v, &f->fmt, &mg, &why);
    if (ev_view_gtid_list(v, &f->fmt, &gl, &why) == EV_OK) {
        struct gtid_maria_state *st = gtid_maria_state_new();
        if (st) (void)gtid_maria_state_from_list(st, &gl, &why);
        gtid_maria_state_free(st);
        struct gtid_blist bl;
        gtid_blist_init(&bl);
        (void)gtid_blist_from_event(&bl, &gl, &why);
        gtid_blist_free(&bl);
    }
    (void)ev_view_mysql_gtid(v, &f->fmt, &yg, &why);
    if (ev_view_previous_gtids(v, &f->fmt, &pg, &why) == EV_OK) {
        struct gtid_mysql_set *s = gtid_mysql_set_new();
        if (s && gtid_mysql_set_decode(s, pg.data, pg.len, &why) == 0) {
            char txt[256];
            (void)gtid_mysql_set_format(s, txt, sizeof(txt));
        }
        gtid_mysql_set_free(s);
    }
    (void)ev_xid_parse(v->buf, v->len, &f->fmt, &x, &why);
    (void)ev_checkpoint_parse(v->buf, v->len, &f->fmt, &cp, &why);
    (void)ev_heartbeat_parse(v->buf, v->len, &f->fmt, &name, &name_len, &pos, &why);
}

/* SHOW BINLOG EVENTS: the whole event, then (in an exact-size copy) just what it needs. */
static void info(struct feed *f, const uint8_t *e, size_t len, const struct ev_header *h)
{
    const char *why;
    bbuf_reset(&f->info);
    (void)ev_info_type_name(h->type);
    (void)ev_info_format(e, len, &f->fmt, &f->info, &why);
    size_t need = ev_info_need(h, &f->fmt);
    if (need < len && need > 0) {
        uint8_t *p = malloc(need);
        if (!p) return;
        memcpy(p, e, need);
        bbuf_reset(&f->info);
        (void)ev_info_format(p, need, &f->fmt, &f->info, &why);
        free(p);
    }
}

static void gtid_start(struct feed *f, const uint8_t *e, size_t len)
{
    if (!f->gs_on) return;
    int fake = 0;
    struct myerr err;
    /* A dump peeks at most GTID_START_PEEK bytes of a long event. */
    size_t avail = len > GTID_START_PEEK ? GTID_START_PEEK : len;
    if (gtid_start_event(&f->gs, e, avail, len, &f->fmt, &fake, &err) == GTID_START_ERROR) {
        f->gs_on = 0;
        return;
    }
    (void)gtid_start_reached(&f->gs);
    (void)gtid_start_idle(&f->gs);
    if (fake) {
        uint8_t out[512];
        (void)gtid_start_fake_list(&f->gs, out, sizeof(out), 1, 1000, f->fmt.checksum);
    }
}

void feed_event(struct feed *f, const uint8_t *ev, size_t len)
{
    const char *why = NULL;
    uint8_t *e = malloc(len ? len : 1);
    if (!e) return;
    memcpy(e, ev, len);
    if (f->opts & FEED_FIX_CRC) fix_crc(f, e, len);

    struct ev_view v;
    (void)ev_view_frame(&v, e, len, &why);
    (void)ev_view_parse(&v, e, len, NULL, &why);
    int vr = ev_view_parse(&v, e, len, &f->fmt, &why);
    if (vr != EV_OK) goto out;
    const struct ev_header h = v.h;
    if (h.type == EV_FORMAT_DESCRIPTION) {
        struct ev_fde fde;
        if (ev_fde_parse(e, len, &fde, &why) != EV_OK) goto out;   /* view_parse read it: cannot fail */
        ev_fmt_from_fde(&f->fmt, &fde);
        f->seen_fde = 1;
        trx_init(&f->trx);
        gtid_track_reset(&f->trk);
        f->trk_bad = 0;
        info(f, e, len, &h);
        uint8_t *c = malloc(len);
        if (c) {
            memcpy(c, e, len);
            (void)ev_fde_clear_created(c, len, &why);
            (void)ev_fde_rewrite_for_resume(c, len, &why);
            free(c);
        }
        goto out;
    }
    typed(f, &v);
    info(f, e, len, &h);
    if (h.type == EV_ROTATE && ((h.flags & EV_F_ARTIFICIAL) || h.log_pos == 0)) {
        feed_new_file(f);
        goto out;
    }
    if (!f->seen_fde || (h.flags & EV_F_ARTIFICIAL) || h.log_pos == 0) goto out;   /* wire-only */
    /* As the store: a sequence-breaking event is refused (the tracker never sees it); a
     * tracker that failed is reset and ignored for the rest of the file. */
    struct trx_parser next = f->trx;
    enum trx_verdict tv = trx_feed_view(&next, &v, &f->fmt, &why);
    (void)trx_state_name(next.state);
    (void)trx_verdict_name(tv);
    if (tv == TRX_BAD) goto out;
    f->trx = next;
    if (!f->trk_bad && gtid_track_feed_view(&f->trk, &v, &f->fmt, tv, &why) == -1) {
        gtid_track_reset(&f->trk);
        f->trk.saw_first = 1;
        f->trk_bad = 1;
    }
    gtid_start(f, e, len);
out:
    free(e);
}
