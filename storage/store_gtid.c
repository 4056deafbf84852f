/*
 * store_gtid.c - the store's GTID bookkeeping: the GTID index cache (gtid_index.h) loaded and
 * repaired at open, the writer's tracker for the file being written, and the copies readers
 * take to find where a GTID start position lies.
 *
 * Policy: the GTID index is derived data. A failure to write it is a warning (the next open
 * rescans); a GTID event the tracker cannot read marks that file "no GTIDs" with a warning,
 * so a GTID replica is refused rather than started at a wrong place.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/gtid_index.h"
#include "storage/store_priv.h"

#define GIX_SUFFIX ".gtid_index"

static void set_gix_name(struct store *s)
{
    if (s->gix_name[0] || !s->index_name[0]) return;
    size_t bl = strlen(s->index_name) - strlen(INDEX_SUFFIX);
    snprintf(s->gix_name, sizeof(s->gix_name), "%.*s%s", (int)bl, s->index_name, GIX_SUFFIX);
}

enum store_result store_gtid_open(struct store *s, char *err, size_t errlen)
{
    gtid_track_init(&s->trk);
    if (!(s->gix = gix_new())) {
        store_seterr(err, errlen, "%s: out of memory", s->dir);
        return STORE_FATAL;
    }
    const char *iv = getenv("BINLOGD_GTIDPOS_INTERVAL");
    s->gpos_interval = iv && atol(iv) > 0 && atol(iv) <= (1L << 30) ? (uint32_t)atol(iv) : GTIDPOS_INTERVAL;
    if (!s->nfiles) {
        store_gpos_open(s);
        return STORE_OK;
    }
    set_gix_name(s);
    char lerr[512];
    int rc = gix_load(s->gix, s->dirfd, s->gix_name, lerr, sizeof(lerr));
    int dirty = rc != 0;
    if (rc == -1) store_warnf(s, "%s/%s (rebuilding from the binlog files)", s->dir, lerr);
    else if (rc == 1) store_warnf(s, "%s/%s: missing; building it from the binlog files", s->dir, s->gix_name);
    char **names = calloc(s->nfiles, sizeof(*names));
    if (!names) {
        store_seterr(err, errlen, "%s: out of memory", s->dir);
        return STORE_FATAL;
    }
    for (size_t i = 0; i < s->nfiles; i++) names[i] = s->files[i].name;
    size_t before = s->gix->n;
    gix_retain(s->gix, names, s->nfiles);
    free(names);
    if (s->gix->n != before) dirty = 1;
    struct gtid_track t;
    gtid_track_init(&t);
    size_t rescanned = 0;
    for (size_t i = 0; i < s->nfiles; i++) {
        const struct store_file_info *f = &s->files[i];
        int last = i + 1 == s->nfiles;
        struct gix_entry *e = gix_find(s->gix, f->name);
        /* The last file is always scanned: the writer continues its tracker. */
        if (e && e->size == f->size && !last) continue;
        uint64_t size = 0;
        struct gtid_track *use = last ? &s->trk : &t;
        /* The last file's scan also builds the writer's GTID positions, which it continues. */
        int src = last ? gpos_scan_file(s->dirfd, f->name, &s->gpb, &s->gpw, s->gpos_interval, use, &size, lerr, sizeof(lerr))
                       : gix_scan_file(s->dirfd, f->name, use, &size, lerr, sizeof(lerr));
        if (src == -1) {
            store_warnf(s, "%s/%s (GTID positioning in this file is refused)", s->dir, lerr);
            gtid_track_reset(use);
            use->saw_first = 1;   /* "no GTIDs", not "nothing yet" (gix_track_states) */
            s->trk_bad = last;
            size = f->size;
        }
        if (!e || e->size != f->size) rescanned++;
        if (gix_set_track(s->gix, f->name, f->size, use) == -1) {
            gtid_track_free(&t);
            store_seterr(err, errlen, "%s: out of memory", s->dir);
            return STORE_FATAL;
        }
        dirty = 1;
    }
    gtid_track_free(&t);
    if (rescanned) store_warnf(s, "%s/%s: rebuilt the entries of %zu file(s) from their bytes", s->dir, s->gix_name, rescanned);
    if (dirty) store_gtid_save(s);
    store_gpos_open(s);
    return STORE_OK;
}

void store_gtid_release(struct store *s)
{
    gix_free(s->gix);
    s->gix = NULL;
    gtid_track_free(&s->trk);
    store_gpos_release(s);
}

void store_gtid_file_begin(struct store *s)
{
    set_gix_name(s);
    gtid_track_reset(&s->trk);
    s->trk_bad = 0;
}

void store_gtid_append(struct store *s, const struct ev_view *ev, enum trx_verdict v)
{
    gpos_builder_feed(&s->gpb, ev, &s->fmt, s->end, v);
    if (s->trk_bad) return;
    const char *why = NULL;
    if (gtid_track_feed_view(&s->trk, ev, &s->fmt, v, &why) == -1) {
        store_warnf(s, "%s/%s:%" PRIu64 ": cannot read GTIDs (%s); GTID positioning in this file is refused", s->dir,
                    s->cur, s->end, why ? why : "?");
        gtid_track_reset(&s->trk);
        s->trk.saw_first = 1;
        s->trk_bad = 1;
    }
}

void store_gtid_rollback(struct store *s, int reread)
{
    s->trk.pending = 0;
    s->gpb.pending = 0;
    if (!reread) return;
    uint64_t size;
    char err[512];
    /* Rebuilt from the bytes now in the file: the writer's GTID positions too. */
    int rc = gpos_scan_file(s->dirfd, s->cur, &s->gpb, &s->gpw, s->gpos_interval, &s->trk, &size, err, sizeof(err));
    if (s->trk_bad) {
        gtid_track_reset(&s->trk);
        s->trk.saw_first = 1;
        return;
    }
    if (rc == -1) {
        store_warnf(s, "%s/%s (GTID positioning in this file is refused)", s->dir, err);
        gtid_track_reset(&s->trk);
        s->trk.saw_first = 1;
        s->trk_bad = 1;
    }
}

void store_gtid_publish_locked(struct store *s)
{
    if (!s->gix || !s->cur[0]) return;
    /* On ENOMEM the entry keeps its older size, so the next open rescans the file. */
    (void)gix_set_track(s->gix, s->cur, s->committed, &s->trk);
    store_gpos_publish_locked(s);
}

void store_gtid_save(struct store *s)
{
    store_gpos_save_current(s);
    if (!s->gix || !s->gix_name[0]) return;
    char *text;
    size_t len;
    /* dirmu: a purge on another thread rewrites the same file (same temp name). */
    pthread_mutex_lock(&s->dirmu);
    pthread_mutex_lock(&s->mu);
    int rc = gix_format(s->gix, &text, &len);
    pthread_mutex_unlock(&s->mu);
    if (rc == -1) {
        pthread_mutex_unlock(&s->dirmu);
        store_warnf(s, "%s/%s: out of memory writing it", s->dir, s->gix_name);
        return;
    }
    enum fsio_op op = FSIO_OP_OPEN;
    if (fsio_replace(s->dirfd, s->gix_name, text, len, &op) == -1)
        store_warnf(s, "%s/%s: cannot write (%s): %s; it is rebuilt at the next start", s->dir, s->gix_name,
                    fsio_op_name(op), strerror(errno));
    pthread_mutex_unlock(&s->dirmu);
    free(text);
}

/* ---- readers ---- */

int store_gtid_state(struct store *s, int full, int *flavor, char *out, size_t cap, char *file, size_t fcap)
{
    int rc = 0;
    *flavor = GTID_TRACK_NONE;
    if (cap) out[0] = 0;
    if (file && fcap) file[0] = 0;
    pthread_mutex_lock(&s->mu);
    const struct store_file_info *f = s->nfiles ? &s->files[s->nfiles - 1] : NULL;
    const struct gix_entry *e = f && s->gix ? gix_find(s->gix, f->name) : NULL;
    if (f && file) snprintf(file, fcap, "%s", f->name);
    if (e && e->size == f->size) {   /* an entry for other bytes is not trusted */
        *flavor = e->flavor;
        if (e->flavor != GTID_TRACK_MARIA || full) {
            snprintf(out, cap, "%s", e->end);
        } else {
            /* MariaDB's position: the most recent GTID of each domain of the binlog state */
            struct gtid_blist l;
            struct gtid_maria_state st;
            const char *why;
            gtid_blist_init(&l);
            rc = gtid_blist_parse(&l, e->end, strlen(e->end), &why) == 0 && gtid_blist_to_state(&l, &st) == 0 ? 0 : -1;
            if (rc == 0) gtid_maria_state_format(&st, out, cap);
            gtid_blist_free(&l);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void store_gtid_files_free(struct store_gtid_file *v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].start);
        free(v[i].end);
    }
    free(v);
}

int store_gtid_files(struct store *s, struct store_gtid_file **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&s->mu);
    size_t cnt = s->nfiles;
    struct store_gtid_file *v = cnt ? calloc(cnt, sizeof(*v)) : NULL;
    int rc = cnt && !v ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < cnt; i++) {
        const struct gix_entry *e = s->gix ? gix_find(s->gix, s->files[i].name) : NULL;
        snprintf(v[i].name, sizeof(v[i].name), "%s", s->files[i].name);
        v[i].size = s->files[i].size;
        /* An entry that does not describe the committed bytes is not trusted. */
        v[i].flavor = e && e->size == s->files[i].size ? e->flavor : GTID_TRACK_NONE;
        v[i].known = e && e->size == s->files[i].size;
        v[i].start = strdup(v[i].known ? e->start : "");
        v[i].end = strdup(v[i].known ? e->end : "");
        if (!v[i].start || !v[i].end) rc = -1;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc == -1) {
        store_gtid_files_free(v, cnt);
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}
