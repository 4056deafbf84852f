/*
 * gtidpos.c - see gtidpos.h.
 */
#include "storage/gtidpos.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/checksum.h"
#include "protocol/textlines.h"
#include "protocol/wire.h"
#include "storage/binlog_file.h"
#include "storage/fsio.h"
#include "storage/zfile.h"

#define GPOS_HEADER "# binlogd gtidpos v1 "
#define GPOS_MAX_FILE ((size_t)1 << 30)
#define GPOS_FIELDS 10

void gpos_file_init(struct gpos_file *f) { memset(f, 0, sizeof(*f)); }

void gpos_entry_free(struct gpos_entry *e)
{
    free(e->state);
    free(e->max);
    e->state = e->max = NULL;
}

static void entries_clear(struct gpos_file *f)
{
    for (size_t i = 0; i < f->n; i++) gpos_entry_free(&f->v[i]);
    f->n = 0;
}

void gpos_file_free(struct gpos_file *f)
{
    entries_clear(f);
    free(f->v);
    gpos_file_init(f);
}

void gpos_file_cut(struct gpos_file *f, uint64_t end)
{
    while (f->n && f->v[f->n - 1].off > end) gpos_entry_free(&f->v[--f->n]);
}

int gpos_entry_copy(struct gpos_entry *dst, const struct gpos_entry *src)
{
    *dst = *src;
    dst->state = strdup(src->state ? src->state : "");
    dst->max = strdup(src->max ? src->max : "");
    if (dst->state && dst->max) return 0;
    gpos_entry_free(dst);
    return -1;
}

int gpos_file_push(struct gpos_file *f, const struct gpos_entry *e)
{
    if (f->n && e->off <= f->v[f->n - 1].off) return -1;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        struct gpos_entry *v = realloc(f->v, cap * sizeof(*v));
        if (!v) return -1;
        f->v = v;
        f->cap = cap;
    }
    if (gpos_entry_copy(&f->v[f->n], e) == -1) return -1;
    f->n++;
    return 0;
}

uint32_t gpos_fde_id(const uint8_t *fde, size_t len)
{
    /* The timestamp (when the file was created) and the body: the flags, where IN_USE lives,
     * are left out; the stored CRC32 is computed with IN_USE clear, so it is stable too. */
    if (len < EV_HEADER_LEN) return 0;
    uint32_t c = ev_crc32_extend(0, fde, 4);
    return ev_crc32_extend(c, fde + EV_HEADER_LEN, len - EV_HEADER_LEN);
}

void gpos_sidecar_name(const char *binlog, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", GTIDPOS_DIR, binlog);
}

/* The sidecar directory in data directory dirfd (created when create; its entry made
 * durable), or -1 with errno. */
static int sidecar_dir(int dirfd, int create)
{
    if (create && mkdirat(dirfd, GTIDPOS_DIR, 0750) == 0) (void)fsio_fsync(dirfd);
    return fsio_open(dirfd, GTIDPOS_DIR, O_RDONLY | O_DIRECTORY, 0);
}

void gpos_dir_clean(int dirfd)
{
    int fd = sidecar_dir(dirfd, 0);
    DIR *d = fd == -1 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd != -1) close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, FSIO_TMP_PREFIX, strlen(FSIO_TMP_PREFIX))) (void)unlinkat(fd, de->d_name, 0);
    closedir(d);
}

/* ---- text form ---- */

static int num_parse(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

static int hex_parse(const char *s, size_t len, uint32_t *out)
{
    uint32_t v = 0;
    if (len != 8) return -1;
    for (size_t i = 0; i < len; i++) {
        int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;
        if (d < 0) return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* Check a state text as its reader will parse it, so a damaged line is refused here. */
static int state_check(enum gtid_track_flavor fl, const char *s, size_t len, int is_max)
{
    const char *why;
    if (len > GTIDPOS_MAX_STATE) return -1;
    if (fl == GTID_TRACK_MARIA) {
        struct gtid_blist l;
        gtid_blist_init(&l);
        int rc = gtid_blist_parse(&l, s, len, &why);
        gtid_blist_free(&l);
        return rc;
    }
    if (is_max) return len == 0 ? 0 : -1;
    struct gtid_mysql_set *set = gtid_mysql_set_new();
    int rc = set ? gtid_mysql_set_parse(set, s, len, &why) : -1;
    gtid_mysql_set_free(set);
    return rc;
}

static int parse_header(struct gpos_file *f, char *line, size_t len)
{
    size_t hl = strlen(GPOS_HEADER);
    if (len < hl || memcmp(line, GPOS_HEADER, hl)) return -1;
    char fl[16];
    unsigned crc = 2;
    uint32_t interval = 0;
    char id[9], tail;
    line[len] = 0;
    if (sscanf(line + hl, "%15s %8s %u %" SCNu32 "%c", fl, id, &crc, &interval, &tail) != 4) return -1;
    static const enum gtid_track_flavor all[] = {GTID_TRACK_NONE, GTID_TRACK_MARIA, GTID_TRACK_MYSQL};
    int found = 0;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) && !found; i++)
        if (!strcmp(fl, gtid_track_flavor_name(all[i]))) {
            f->flavor = all[i];
            found = 1;
        }
    if (!found) return -1;
    if (hex_parse(id, strlen(id), &f->fde_id) == -1 || crc > 1 || interval == 0) return -1;
    f->crc = (int)crc;
    f->interval = interval;
    return 0;
}

static int parse_line(struct gpos_file *f, char *line, size_t len, const char **why)
{
    char *tab = memrchr(line, '\t', len);
    uint32_t lcrc;
    if (!tab || hex_parse(tab + 1, (size_t)(line + len - tab - 1), &lcrc) == -1) return (*why = "no line CRC"), -1;
    if (ev_crc32_extend(0, (const uint8_t *)line, (size_t)(tab - line)) != lcrc) return (*why = "line CRC mismatch"), -1;
    char *fd[GPOS_FIELDS];
    size_t fl[GPOS_FIELDS], k = 0;
    char *p = line, *end = tab;
    for (;;) {
        if (k == GPOS_FIELDS - 1) return (*why = "too many fields"), -1;
        char *t = memchr(p, '\t', (size_t)(end - p));
        fd[k] = p;
        fl[k] = (size_t)((t ? t : end) - p);
        k++;
        if (!t) break;
        p = t + 1;
    }
    if (k != GPOS_FIELDS - 1) return (*why = "expected 10 tab-separated fields"), -1;
    uint64_t off, seg, type, elen, ts, sid;
    uint32_t ecrc;
    if (num_parse(fd[0], fl[0], UINT64_MAX, &off) || num_parse(fd[1], fl[1], UINT64_MAX, &seg) ||
        num_parse(fd[2], fl[2], 255, &type) || num_parse(fd[3], fl[3], UINT32_MAX, &elen) ||
        num_parse(fd[4], fl[4], UINT32_MAX, &ts) || num_parse(fd[5], fl[5], UINT32_MAX, &sid) ||
        hex_parse(fd[6], fl[6], &ecrc))
        return (*why = "bad number"), -1;
    if (f->flavor == GTID_TRACK_NONE) return (*why = "entries in a file without GTIDs"), -1;
    if (seg > off || elen < EV_HEADER_LEN || elen > off - BINLOG_MAGIC_LEN || off < BINLOG_MAGIC_LEN)
        return (*why = "impossible offsets"), -1;
    if (state_check(f->flavor, fd[7], fl[7], 0) == -1 || state_check(f->flavor, fd[8], fl[8], 1) == -1)
        return (*why = "bad GTID state"), -1;
    fd[7][fl[7]] = 0;
    fd[8][fl[8]] = 0;
    struct gpos_entry e = {.off = off, .seg = seg, .ev_len = (uint32_t)elen, .ev_ts = (uint32_t)ts,
                           .ev_server = (uint32_t)sid, .ev_crc = ecrc, .ev_type = (uint8_t)type,
                           .state = fd[7], .max = fd[8]};
    if (f->n && off <= f->v[f->n - 1].off) return (*why = "offsets do not increase"), -1;
    if (gpos_file_push(f, &e) == -1) return (*why = "out of memory"), -1;
    return 0;
}

static int on_line(void *arg, size_t lineno, char *line, size_t len, const char **why)
{
    if (lineno > 1) return parse_line(arg, line, len, why);
    return parse_header(arg, line, len) == -1 ? (*why = "not a binlogd gtidpos v1 header"), -1 : 0;
}

int gpos_parse(struct gpos_file *f, const char *text, size_t len, char *err, size_t errlen)
{
    gpos_file_free(f);
    int rc = textlines_walk(text, len, on_line, f, err, errlen);
    if (rc == -1) gpos_file_free(f);
    return rc;
}

int gpos_format(const struct gpos_file *f, char **out, size_t *len)
{
    size_t need = strlen(GPOS_HEADER) + 64;
    for (size_t i = 0; i < f->n; i++) need += 120 + strlen(f->v[i].state) + strlen(f->v[i].max);
    char *buf = malloc(need);
    if (!buf) return -1;
    size_t pos = (size_t)snprintf(buf, need, "%s%s %08" PRIx32 " %d %" PRIu32 "\n", GPOS_HEADER,
                                  gtid_track_flavor_name(f->flavor), f->fde_id, f->crc ? 1 : 0,
                                  f->interval ? f->interval : GTIDPOS_INTERVAL);
    for (size_t i = 0; i < f->n; i++) {
        const struct gpos_entry *e = &f->v[i];
        size_t start = pos;
        pos += (size_t)snprintf(buf + pos, need - pos,
                                "%" PRIu64 "\t%" PRIu64 "\t%u\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32 "\t%08" PRIx32 "\t%s\t%s",
                                e->off, e->seg, e->ev_type, e->ev_len, e->ev_ts, e->ev_server, e->ev_crc, e->state, e->max);
        uint32_t c = ev_crc32_extend(0, (const uint8_t *)buf + start, pos - start);
        pos += (size_t)snprintf(buf + pos, need - pos, "\t%08" PRIx32 "\n", c);
    }
    *out = buf;
    *len = pos;
    return 0;
}

int gpos_load(struct gpos_file *f, int dirfd, const char *name, char *err, size_t errlen)
{
    gpos_file_free(f);
    char sc[EV_MAX_NAME_LEN + sizeof(GTIDPOS_DIR) + 2], *buf;
    size_t len;
    gpos_sidecar_name(name, sc, sizeof(sc));
    if (fsio_read_small(dirfd, sc, GPOS_MAX_FILE, &buf, &len) == -1) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: cannot read: %s", sc, strerror(errno));
        return -1;
    }
    char perr[256];
    int rc = gpos_parse(f, buf, len, perr, sizeof(perr));
    free(buf);
    if (rc == -1) snprintf(err, errlen, "%s: %s", sc, perr);
    return rc;
}

int gpos_save(const struct gpos_file *f, int dirfd, const char *name, char *err, size_t errlen)
{
    char sc[EV_MAX_NAME_LEN + sizeof(GTIDPOS_DIR) + 2], *text;
    size_t len;
    gpos_sidecar_name(name, sc, sizeof(sc));
    if (gpos_format(f, &text, &len) == -1) {
        snprintf(err, errlen, "%s: out of memory", sc);
        return -1;
    }
    enum fsio_op op = FSIO_OP_OPEN;
    int sd = sidecar_dir(dirfd, 1);
    int rc = sd == -1 ? -1 : fsio_replace(sd, name, text, len, &op);
    int e = errno;
    if (sd != -1) close(sd);
    free(text);
    if (rc == -1) snprintf(err, errlen, "%s: cannot write (%s): %s", sc, fsio_op_name(op), strerror(e));
    return rc;
}

int gpos_drop(int dirfd, const char *name, char *err, size_t errlen)
{
    char sc[EV_MAX_NAME_LEN + sizeof(GTIDPOS_DIR) + 2];
    gpos_sidecar_name(name, sc, sizeof(sc));
    if (fsio_unlink(dirfd, sc) == -1 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove: %s", sc, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- builder ---- */

void gpos_builder_init(struct gpos_builder *b, struct gpos_file *f, const uint8_t *fde, size_t len,
                       const struct ev_fmt *fmt, uint32_t interval)
{
    struct gtid_mysql_set *y = b->yset;
    struct gtid_blist l = b->local, h = b->hi;
    memset(b, 0, sizeof(*b));
    b->local = l;
    b->hi = h;
    b->local.n = b->hi.n = 0;
    b->yset = y;
    if (y) gtid_mysql_set_clear(y);
    b->f = f;
    gpos_file_free(f);
    f->fde_id = gpos_fde_id(fde, len);
    f->crc = fmt->checksum == EV_CHECKSUM_CRC32;
    f->interval = interval ? interval : GTIDPOS_INTERVAL;
}

void gpos_builder_free(struct gpos_builder *b)
{
    gtid_blist_free(&b->local);
    gtid_blist_free(&b->hi);
    gtid_mysql_set_free(b->yset);
    b->yset = NULL;
}

static void stop(struct gpos_builder *b) { b->stopped = 1; }

/* The highest seq_no of g's pair goes into hi. */
static int hi_update(struct gtid_blist *hi, const struct gtid_maria *g)
{
    const struct gtid_maria *m = gtid_blist_find(hi, g->domain, g->server);
    if (m && m->seq >= g->seq) return 0;
    if (!m) return gtid_blist_update(hi, g);
    ((struct gtid_maria *)m)->seq = g->seq;   /* in place: the order of hi means nothing */
    return 0;
}

static char *max_text(const struct gpos_builder *b)
{
    struct gtid_blist out;
    gtid_blist_init(&out);
    for (uint32_t i = 0; i < b->hi.n; i++) {
        const struct gtid_maria *l = gtid_blist_find(&b->local, b->hi.v[i].domain, b->hi.v[i].server);
        if (l && l->seq != b->hi.v[i].seq && gtid_blist_update(&out, &b->hi.v[i]) == -1) {
            gtid_blist_free(&out);
            return NULL;
        }
    }
    size_t n = gtid_blist_format(&out, NULL, 0);
    char *s = malloc(n + 1);
    if (s) gtid_blist_format(&out, s, n + 1);
    gtid_blist_free(&out);
    return s;
}

static void add_entry(struct gpos_builder *b, const struct ev_view *ev, uint64_t end)
{
    struct gpos_entry e = {.off = end, .seg = b->seg, .ev_len = (uint32_t)ev->len, .ev_ts = ev->h.timestamp,
                           .ev_server = ev->h.server_id, .ev_type = ev->h.type};
    if (b->f->crc && ev->len >= EV_HEADER_LEN + EV_CRC_LEN) e.ev_crc = wire_u32(ev->buf + ev->len - EV_CRC_LEN);
    size_t n;
    if (b->f->flavor == GTID_TRACK_MARIA) {
        n = gtid_blist_format(&b->local, NULL, 0);
        if ((e.state = malloc(n + 1))) gtid_blist_format(&b->local, e.state, n + 1);
        e.max = max_text(b);
    } else {
        n = b->yset ? gtid_mysql_set_format(b->yset, NULL, 0) : 0;
        if ((e.state = malloc(n + 1))) {
            e.state[0] = 0;
            if (b->yset) gtid_mysql_set_format(b->yset, e.state, n + 1);
        }
        e.max = strdup("");
    }
    if (!e.state || !e.max || strlen(e.state) > GTIDPOS_MAX_STATE || strlen(e.max) > GTIDPOS_MAX_STATE ||
        gpos_file_push(b->f, &e) == -1)
        stop(b);
    else
        b->last = end;
    gpos_entry_free(&e);
}

void gpos_builder_feed(struct gpos_builder *b, const struct ev_view *ev, const struct ev_fmt *fmt, uint64_t off,
                       enum trx_verdict v)
{
    if (b->stopped || !b->f) return;
    uint8_t type = ev->h.type;
    uint64_t end = off + ev->len;
    const char *why;
    if (!b->started) {
        b->started = 1;
        b->f->flavor = type == EV_GTID_LIST ? GTID_TRACK_MARIA : type == EV_PREVIOUS_GTIDS ? GTID_TRACK_MYSQL
                                                                                          : GTID_TRACK_NONE;
        if (b->f->flavor == GTID_TRACK_NONE) return stop(b);
        b->seg = end;
        return;
    }
    switch (type) {
    case EV_FORMAT_DESCRIPTION: case EV_GTID_LIST: case EV_PREVIOUS_GTIDS: case EV_START_ENCRYPTION:
        return stop(b);   /* readers treat these specially: they read such a file from its start */
    case EV_MARIA_GTID: {
        struct ev_maria_gtid g;
        if (b->f->flavor != GTID_TRACK_MARIA || ev_view_maria_gtid(ev, fmt, &g, &why) != EV_OK) return stop(b);
        b->pm = (struct gtid_maria){g.domain_id, g.server_id, g.seq_no};
        b->pending = 1;
        break;
    }
    case EV_MYSQL_GTID: {
        struct ev_mysql_gtid g;
        if (b->f->flavor != GTID_TRACK_MYSQL || ev_view_mysql_gtid(ev, fmt, &g, &why) != EV_OK || g.gno < 1)
            return stop(b);
        memcpy(b->puuid, g.sid, 16);
        b->pgno = g.gno;
        b->pending = 2;
        break;
    }
    case EV_ANONYMOUS_GTID:
        b->pending = 0;
        break;
    default:
        break;
    }
    if (v == TRX_GROUP_END) {
        if (b->pending == 1) {
            if (gtid_blist_update(&b->local, &b->pm) == -1 || hi_update(&b->hi, &b->pm) == -1) return stop(b);
        } else if (b->pending == 2) {
            if ((!b->yset && !(b->yset = gtid_mysql_set_new())) || gtid_mysql_set_add(b->yset, b->puuid, b->pgno) == -1)
                return stop(b);
        } else {
            b->seg = end;   /* a group without a GTID: a reader must see it */
        }
        b->pending = 0;
    } else if (v == TRX_OUTSIDE) {
        b->seg = end;
        b->pending = 0;
    } else {
        return;   /* inside a group: not a boundary */
    }
    if (end - (b->last ? b->last : BINLOG_MAGIC_LEN) >= b->f->interval) add_entry(b, ev, end);
}

struct scan_ctx {
    struct gpos_builder *b;
    struct gtid_track *t;
    const struct ev_fmt *fmt;
    const char *why;
    uint64_t bad_off;
    int failed;
};

static void on_event(void *arg, const struct ev_view *ev, uint64_t off, enum trx_verdict v)
{
    struct scan_ctx *c = arg;
    gpos_builder_feed(c->b, ev, c->fmt, off, v);
    if (c->failed || !c->t) return;
    if (gtid_track_feed_view(c->t, ev, c->fmt, v, &c->why) == -1) {
        c->failed = 1;
        c->bad_off = off;
    }
}

int gpos_scan_file(int dirfd, const char *name, struct gpos_builder *ext, struct gpos_file *f, uint32_t interval,
                   struct gtid_track *t, uint64_t *size, char *err, size_t errlen)
{
    if (t) gtid_track_reset(t);
    gpos_file_free(f);
    struct bsrc src;
    if (bsrc_open(dirfd, name, NULL, &src, err, errlen) == -1) return -1;
    /* The FDE identifies the file; a file whose FDE cannot be read gets no entries (the scan
     * below then says what is wrong with it). */
    uint8_t fde[4096];
    size_t got = 0;
    struct ev_header h;
    struct ev_fde fp;
    struct ev_fmt fmt;
    const char *why;
    struct gpos_builder local = {0}, *b = ext ? ext : &local;
    b->f = NULL;
    b->stopped = 0;
    int have_fde = bsrc_pread(&src, fde, EV_HEADER_LEN, BINLOG_MAGIC_LEN, &got) == 0 && got == EV_HEADER_LEN &&
                   ev_header_parse(fde, EV_HEADER_LEN, &h, &why) == EV_OK && h.type == EV_FORMAT_DESCRIPTION &&
                   h.event_size <= sizeof(fde) && bsrc_pread(&src, fde, h.event_size, BINLOG_MAGIC_LEN, &got) == 0 &&
                   got == h.event_size && ev_fde_parse(fde, h.event_size, &fp, &why) == EV_OK;
    if (have_fde) {
        ev_fmt_from_fde(&fmt, &fp);
        gpos_builder_init(b, f, fde, h.event_size, &fmt, interval);
    }
    struct binlog_scan out;
    struct scan_ctx c = {.b = b, .t = t, .fmt = &out.fmt};
    int rc = binlog_file_scan_src(&src, name, on_event, &c, &out, err, errlen);
    bsrc_close(&src);
    if (!ext) gpos_builder_free(&local);
    b->pending = 0;   /* the writer continues from a boundary */
    if (rc == -1) return -1;
    gpos_file_cut(f, out.safe_end);
    if (c.failed) {
        snprintf(err, errlen, "%s:%" PRIu64 ": cannot read GTIDs: %s", name, c.bad_off, c.why ? c.why : "?");
        return -1;
    }
    if (size) *size = out.safe_end;
    return 0;
}

/* ---- use ---- */

long gpos_search(const struct gpos_file *f, uint64_t from, int (*ok)(void *arg, const struct gpos_entry *e),
                 void *arg)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {   /* first entry past `from` */
        size_t mid = lo + (hi - lo) / 2;
        if (f->v[mid].off <= from) lo = mid + 1;
        else hi = mid;
    }
    long best = -1;
    hi = f->n;
    while (lo < hi) {   /* ok holds on [first, x): find x */
        size_t mid = lo + (hi - lo) / 2;
        if (ok(arg, &f->v[mid])) {
            best = (long)mid;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return best;
}

int gpos_entry_check(int fd, uint64_t size, int crc, const struct gpos_entry *e, const char **why)
{
    struct bsrc src = {fd, NULL};
    return gpos_entry_check_src(&src, size, crc, e, why);
}

int gpos_entry_check_src(const struct bsrc *src, uint64_t size, int crc, const struct gpos_entry *e, const char **why)
{
    if (e->off > size || e->ev_len < EV_HEADER_LEN || e->off < BINLOG_MAGIC_LEN + (uint64_t)e->ev_len)
        return (*why = "the entry lies beyond the file's committed bytes"), -1;
    if (crc && e->ev_len < EV_HEADER_LEN + EV_CRC_LEN) return (*why = "event too short for its CRC32"), -1;
    uint8_t small[512], *buf = e->ev_len <= sizeof(small) ? small : malloc(e->ev_len);
    if (!buf) return (*why = "out of memory"), -1;
    size_t got = 0;
    int rc = -1;
    struct ev_header h;
    const char *hwhy;
    if (bsrc_pread(src, buf, e->ev_len, e->off - e->ev_len, &got) == -1 || got != e->ev_len) {
        *why = "cannot read the event";
    } else if (ev_header_parse(buf, e->ev_len, &h, &hwhy) != EV_OK || h.event_size != e->ev_len ||
               h.type != e->ev_type || h.timestamp != e->ev_ts || h.server_id != e->ev_server ||
               h.log_pos != (uint32_t)e->off) {
        *why = "no event with the recorded header ends at the entry's offset";
    } else if (crc && (wire_u32(buf + e->ev_len - EV_CRC_LEN) != e->ev_crc || ev_crc32_verify(buf, e->ev_len) != 0)) {
        *why = "the event at the entry's offset has another CRC32";
    } else {
        rc = 0;
    }
    if (buf != small) free(buf);
    return rc;
}
