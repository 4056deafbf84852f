/*
 * store_gtidpos.c - the store's GTID position index (gtidpos.h): loaded and checked at open
 * (rebuilt from a file's bytes when its sidecar is missing, damaged, for another file, or
 * describes bytes beyond the file), built by the writer as it appends, published to readers
 * with the watermark, written out when the file being written is finished, and checked entry
 * by entry when a reader uses it.
 *
 * Policy: derived data, like the GTID index. A failure to write a sidecar is a warning (the
 * next open rebuilds it); an entry that does not match the file is a warning, the reader falls
 * back to reading the file from its start, and the file's entries are rebuilt from its bytes.
 *
 * Environment (testing and measuring, not configuration): BINLOGD_GTIDPOS=off makes readers
 * ignore the index (the writer still keeps it); BINLOGD_GTIDPOS_INTERVAL=N records an entry
 * every N bytes instead of GTIDPOS_INTERVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/fsio.h"
#include "storage/gtidpos.h"
#include "storage/store_priv.h"

/* Shared entry of name, or NULL. Caller holds s->mu. */
static struct store_gpos *shared_find(struct store *s, const char *name)
{
    for (size_t i = s->ngps; i-- > 0;)
        if (!strcmp(s->gps[i].name, name)) return &s->gps[i];
    return NULL;
}

/* Shared entry of name, created empty when missing. Caller holds s->mu. NULL on ENOMEM. */
static struct store_gpos *shared_get(struct store *s, const char *name)
{
    struct store_gpos *g = shared_find(s, name);
    if (g) return g;
    if (s->ngps == s->capgps) {
        size_t cap = s->capgps ? s->capgps * 2 : 16;
        struct store_gpos *v = realloc(s->gps, cap * sizeof(*v));
        if (!v) return NULL;
        s->gps = v;
        s->capgps = cap;
    }
    g = &s->gps[s->ngps++];
    memset(g, 0, sizeof(*g));
    snprintf(g->name, sizeof(g->name), "%s", name);
    gpos_file_init(&g->f);
    return g;
}

/* Move f's entries into the shared entry of name (f is left empty). Caller holds s->mu. */
static void shared_take(struct store *s, const char *name, struct gpos_file *f)
{
    struct store_gpos *g = shared_get(s, name);
    if (!g) {
        gpos_file_free(f);
        return;
    }
    gpos_file_free(&g->f);
    g->f = *f;
    g->bad = 0;
    gpos_file_init(f);
}

/* The FDE identity of dirfd/name, or 0 when it cannot be read. */
static uint32_t file_fde_id(int dirfd, const char *name)
{
    struct bsrc src;
    char berr[256];
    if (bsrc_open(dirfd, name, NULL, &src, berr, sizeof(berr)) == -1) return 0;
    uint8_t fde[4096];
    size_t got = 0;
    struct ev_header h;
    const char *why;
    uint32_t id = 0;
    if (bsrc_pread(&src, fde, EV_HEADER_LEN, BINLOG_MAGIC_LEN, &got) == 0 && got == EV_HEADER_LEN &&
        ev_header_parse(fde, EV_HEADER_LEN, &h, &why) == EV_OK && h.event_size <= sizeof(fde) &&
        bsrc_pread(&src, fde, h.event_size, BINLOG_MAGIC_LEN, &got) == 0 && got == h.event_size)
        id = gpos_fde_id(fde, h.event_size);
    bsrc_close(&src);
    return id;
}

/* Does the loaded sidecar describe this very file? why says what is wrong. */
static int sidecar_fits(struct store *s, const struct store_file_info *fi, const struct gpos_file *f, const char **why)
{
    if (f->interval != s->gpos_interval) return (*why = "made with another interval"), 0;
    if (f->fde_id != file_fde_id(s->dirfd, fi->name)) return (*why = "made for another file of the same name"), 0;
    if (!f->n) return 1;
    const struct gpos_entry *last = &f->v[f->n - 1];
    if (last->off > fi->size) return (*why = "describes bytes beyond the end of the file"), 0;
    struct bsrc src;
    char berr[256];
    /* not through the shared block cache: a start does not fill it with one block per file */
    int opened = bsrc_open(s->dirfd, fi->name, NULL, &src, berr, sizeof(berr)) == 0;
    int rc = opened && gpos_entry_check_src(&src, fi->size, f->crc, last, why) == 0;
    if (!opened) *why = "cannot open the binlog file";
    else bsrc_close(&src);
    return rc;
}

void store_gpos_open(struct store *s)
{
    const char *off = getenv("BINLOGD_GTIDPOS");   /* gpos_interval: set by store_gtid_open */
    s->gpos_off = off && (!strcmp(off, "off") || !strcmp(off, "0"));
    char err[512];
    size_t rebuilt = 0;
    gpos_dir_clean(s->dirfd);
    for (size_t i = 0; i + 1 < s->nfiles; i++) {   /* the last one was scanned by store_gtid_open */
        struct store_file_info fi = s->files[i];
        struct gpos_file f;
        gpos_file_init(&f);
        const char *why = NULL;
        int rc = gpos_load(&f, s->dirfd, fi.name, err, sizeof(err));
        if (rc == 0 && sidecar_fits(s, &fi, &f, &why)) {
            pthread_mutex_lock(&s->mu);
            shared_take(s, fi.name, &f);
            pthread_mutex_unlock(&s->mu);
            continue;
        }
        if (rc == -1) store_warnf(s, "%s/%s (rebuilding it from the binlog file)", s->dir, err);
        else if (rc == 0) store_warnf(s, "%s/%s/%s: %s; rebuilding it from the binlog file", s->dir, GTIDPOS_DIR, fi.name, why);
        uint64_t size;
        if (gpos_scan_file(s->dirfd, fi.name, NULL, &f, s->gpos_interval, NULL, &size, err, sizeof(err)) == -1) {
            store_warnf(s, "%s/%s (no GTID positions for this file: GTID starts read it from its start)", s->dir, err);
            gpos_file_free(&f);
            continue;
        }
        rebuilt++;
        gpos_file_cut(&f, fi.size);
        if (gpos_save(&f, s->dirfd, fi.name, err, sizeof(err)) == -1)
            store_warnf(s, "%s/%s; it is rebuilt at the next start", s->dir, err);
        pthread_mutex_lock(&s->mu);
        shared_take(s, fi.name, &f);
        pthread_mutex_unlock(&s->mu);
    }
    if (rebuilt) store_warnf(s, "%s: rebuilt the GTID positions of %zu file(s) from their bytes", s->dir, rebuilt);
    pthread_mutex_lock(&s->mu);
    store_gpos_publish_locked(s);
    pthread_mutex_unlock(&s->mu);
}

void store_gpos_release(struct store *s)
{
    for (size_t i = 0; i < s->ngps; i++) gpos_file_free(&s->gps[i].f);
    free(s->gps);
    s->gps = NULL;
    s->ngps = s->capgps = 0;
    gpos_builder_free(&s->gpb);
    gpos_file_free(&s->gpw);
}

void store_gpos_file_begin(struct store *s, const uint8_t *fde, size_t len)
{
    gpos_builder_init(&s->gpb, &s->gpw, fde, len, &s->fmt, s->gpos_interval);
    pthread_mutex_lock(&s->mu);
    struct store_gpos *g = shared_get(s, s->cur);
    if (g) {
        gpos_file_free(&g->f);
        g->bad = 0;
    }
    pthread_mutex_unlock(&s->mu);
}

void store_gpos_publish_locked(struct store *s)
{
    if (!s->cur[0]) return;
    struct store_gpos *g = shared_get(s, s->cur);
    if (!g) return;
    gpos_file_cut(&g->f, s->committed);   /* the tail may have been cut back */
    g->f.flavor = s->gpw.flavor;
    g->f.fde_id = s->gpw.fde_id;
    g->f.crc = s->gpw.crc;
    g->f.interval = s->gpw.interval;
    uint64_t have = g->f.n ? g->f.v[g->f.n - 1].off : 0;
    size_t lo = 0, hi = s->gpw.n;   /* the writer's first entry past `have`: O(log n) per commit */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->gpw.v[mid].off <= have) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i < s->gpw.n; i++) {
        const struct gpos_entry *e = &s->gpw.v[i];
        if (e->off > s->committed) break;
        if (gpos_file_push(&g->f, e) == -1) break;   /* ENOMEM: fewer entries, longer reads */
    }
}

void store_gpos_save_current(struct store *s)
{
    if (!s->cur[0] || !s->gpw.interval) return;
    char err[512];
    struct gpos_file f;
    gpos_file_init(&f);
    f.flavor = s->gpw.flavor;
    f.fde_id = s->gpw.fde_id;
    f.crc = s->gpw.crc;
    f.interval = s->gpw.interval;
    for (size_t i = 0; i < s->gpw.n && s->gpw.v[i].off <= s->committed; i++)
        if (gpos_file_push(&f, &s->gpw.v[i]) == -1) {
            gpos_file_free(&f);
            return;
        }
    if (gpos_save(&f, s->dirfd, s->cur, err, sizeof(err)) == -1)
        store_warnf(s, "%s/%s; it is rebuilt at the next start", s->dir, err);
    gpos_file_free(&f);
}

int store_gtidpos_find(struct store *s, const char *name, uint64_t from,
                       int (*ok)(void *arg, const struct gpos_entry *e), void *arg, int *flavor, struct gpos_entry *out)
{
    struct store_file_info fi;
    if (s->gpos_off || store_file_lookup(s, name, &fi) == -1) return 0;
    pthread_mutex_lock(&s->mu);
    struct store_gpos *g = shared_find(s, name);
    long at = g && !g->bad ? gpos_search(&g->f, from, ok, arg) : -1;
    int crc = g ? g->f.crc : 0, rc = 0;
    if (at >= 0 && g->f.v[at].off <= fi.size && gpos_entry_copy(out, &g->f.v[at]) == 0) rc = 1;
    if (rc) *flavor = g->f.flavor;
    pthread_mutex_unlock(&s->mu);
    if (!rc) return 0;
    struct bsrc src;
    int opened = store_reader_src_get(s, name, &src) == 0;
    const char *why = "cannot open the binlog file";
    if (opened && gpos_entry_check_src(&src, fi.size, crc, out, &why) == 0) {
        store_reader_src_put(s, name);
        return 1;
    }
    if (opened) store_reader_src_put(s, name);
    store_warnf(s, "%s/%s/%s: the entry at %" PRIu64 " does not match the binlog file (%s); reading the file from its "
                "start, rebuilding its GTID positions", s->dir, GTIDPOS_DIR, name, out->off, why);
    gpos_entry_free(out);
    store_gtidpos_rebuild(s, name);
    return 0;
}

void store_gtidpos_rebuild(struct store *s, const char *name)
{
    char err[512];
    pthread_mutex_lock(&s->mu);
    struct store_gpos *g = shared_find(s, name);
    if (g) g->bad = 1;
    /* The writer's file: its entries come from what it wrote; a mismatch means the file was
     * changed under us. Not used again in this process; the next open rebuilds them. */
    int current = !strcmp(name, s->wm.file);
    pthread_mutex_unlock(&s->mu);
    (void)gpos_drop(s->dirfd, name, err, sizeof(err));
    if (current) return;
    struct store_file_info fi;
    struct gpos_file f;
    gpos_file_init(&f);
    if (store_file_lookup(s, name, &fi) == -1 ||
        gpos_scan_file(s->dirfd, name, NULL, &f, s->gpos_interval, NULL, NULL, err, sizeof(err)) == -1) {
        gpos_file_free(&f);
        return;
    }
    gpos_file_cut(&f, fi.size);
    if (gpos_save(&f, s->dirfd, name, err, sizeof(err)) == -1) store_warnf(s, "%s/%s", s->dir, err);
    pthread_mutex_lock(&s->mu);
    if (shared_find(s, name)) shared_take(s, name, &f);   /* not purged meanwhile */
    pthread_mutex_unlock(&s->mu);
    gpos_file_free(&f);
}

int store_gtidpos_drop_file(struct store *s, const char *name, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    struct store_gpos *g = shared_find(s, name);
    if (g) {
        gpos_file_free(&g->f);
        size_t i = (size_t)(g - s->gps);
        memmove(g, g + 1, (s->ngps - i - 1) * sizeof(*g));
        s->ngps--;
    }
    pthread_mutex_unlock(&s->mu);
    return gpos_drop(s->dirfd, name, err, errlen);
}

int store_gtidpos_disabled(const struct store *s) { return s->gpos_off; }
