/*
 * gtid_index.c - see gtid_index.h.
 */
#include "storage/gtid_index.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/textlines.h"
#include "storage/binlog_file.h"
#include "storage/fsio.h"
#include "storage/zfile.h"
#include "storage/index.h"

#define GIX_HEADER "# binlogd gtid index v1\n"
#define GIX_MAX_FILE ((size_t)1 << 30)

struct gtid_index *gix_new(void) { return calloc(1, sizeof(struct gtid_index)); }

static void entry_free(struct gix_entry *e)
{
    free(e->start);
    free(e->end);
    e->start = e->end = NULL;
}

static void gix_clear(struct gtid_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) entry_free(&ix->v[i]);
    ix->n = 0;
}

void gix_free(struct gtid_index *ix)
{
    if (!ix) return;
    gix_clear(ix);
    free(ix->v);
    free(ix);
}

struct gix_entry *gix_find(struct gtid_index *ix, const char *name)
{
    for (size_t i = ix->n; i-- > 0;)   /* recent files are looked up most */
        if (!strcmp(ix->v[i].name, name)) return &ix->v[i];
    return NULL;
}

int gix_set(struct gtid_index *ix, const char *name, uint64_t size, enum gtid_track_flavor flavor,
            const char *start, const char *end)
{
    char *s = strdup(start ? start : ""), *e = strdup(end ? end : "");
    if (!s || !e || strlen(name) > EV_MAX_NAME_LEN) {
        free(s);
        free(e);
        return -1;
    }
    struct gix_entry *x = gix_find(ix, name);
    if (!x) {
        if (ix->n == ix->cap) {
            size_t cap = ix->cap ? ix->cap * 2 : 16;
            struct gix_entry *v = realloc(ix->v, cap * sizeof(*v));
            if (!v) {
                free(s);
                free(e);
                return -1;
            }
            ix->v = v;
            ix->cap = cap;
        }
        x = &ix->v[ix->n++];
        memset(x, 0, sizeof(*x));
        snprintf(x->name, sizeof(x->name), "%s", name);
    }
    entry_free(x);
    x->size = size;
    x->flavor = flavor;
    x->start = s;
    x->end = e;
    return 0;
}

int gix_track_states(const struct gtid_track *t, const struct gix_entry *prev, enum gtid_track_flavor *flavor,
                     char **start, char **end)
{
    if (!t->saw_first && prev) {
        *flavor = prev->flavor;
        *start = strdup(prev->end);
        *end = strdup(prev->end);
    } else {
        *flavor = t->flavor;
        *start = gtid_track_start_text(t);
        *end = gtid_track_end_text(t);
    }
    if (*start && *end) return 0;
    free(*start);
    free(*end);
    *start = *end = NULL;
    return -1;
}

int gix_set_track(struct gtid_index *ix, const char *name, uint64_t size, const struct gtid_track *t)
{
    const struct gix_entry *prev = NULL;
    for (size_t i = 0; i < ix->n; i++)
        if (!strcmp(ix->v[i].name, name)) {
            prev = i ? &ix->v[i - 1] : NULL;
            break;
        } else if (i + 1 == ix->n) {
            prev = &ix->v[i];   /* name is new: it follows the last entry */
        }
    enum gtid_track_flavor fl;
    char *s, *e;
    if (gix_track_states(t, prev, &fl, &s, &e) == -1) return -1;
    int rc = gix_set(ix, name, size, fl, s, e);   /* copies: prev may move */
    free(s);
    free(e);
    return rc;
}

void gix_retain(struct gtid_index *ix, char *const *names, size_t n)
{
    size_t out = 0;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = out; i < ix->n; i++) {
            if (strcmp(ix->v[i].name, names[k])) continue;
            struct gix_entry tmp = ix->v[out];
            ix->v[out] = ix->v[i];
            ix->v[i] = tmp;
            out++;
            break;
        }
    }
    for (size_t i = out; i < ix->n; i++) entry_free(&ix->v[i]);
    ix->n = out;
}

static int flavor_parse(const char *s, size_t len, enum gtid_track_flavor *f)
{
    static const enum gtid_track_flavor all[] = {GTID_TRACK_NONE, GTID_TRACK_MARIA, GTID_TRACK_MYSQL};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const char *n = gtid_track_flavor_name(all[i]);
        if (strlen(n) == len && !memcmp(n, s, len)) {
            *f = all[i];
            return 0;
        }
    }
    return -1;
}

/* Check a state text as the flavour would read it, so a damaged cache line is rejected. */
static int state_check(enum gtid_track_flavor f, const char *s, size_t len)
{
    const char *why;
    if (f == GTID_TRACK_NONE) return len == 0 ? 0 : -1;
    if (f == GTID_TRACK_MARIA) {
        struct gtid_blist l;
        gtid_blist_init(&l);
        int rc = gtid_blist_parse(&l, s, len, &why);
        gtid_blist_free(&l);
        return rc;
    }
    struct gtid_mysql_set *set = gtid_mysql_set_new();
    int rc = set ? gtid_mysql_set_parse(set, s, len, &why) : -1;
    gtid_mysql_set_free(set);
    return rc;
}

static int parse_line(struct gtid_index *ix, char *line, size_t len, const char **why)
{
    char *f[5];
    size_t fl[5], k = 0;
    char *p = line, *end = line + len;
    while (k < 5) {
        char *tab = k < 4 ? memchr(p, '\t', (size_t)(end - p)) : NULL;   /* the last field runs to the end */
        f[k] = p;
        fl[k] = (size_t)((tab ? tab : end) - p);
        k++;
        if (!tab) break;
        p = tab + 1;
    }
    if (k != 5 || memchr(f[4], '\t', fl[4])) return (*why = "expected 5 tab-separated fields"), -1;
    const char *nwhy;
    if (index_name_check(f[0], fl[0], &nwhy) == -1) return (*why = nwhy), -1;
    uint64_t size = 0;
    if (fl[1] == 0 || fl[1] > 20) return (*why = "bad size"), -1;
    for (size_t i = 0; i < fl[1]; i++) {
        if (f[1][i] < '0' || f[1][i] > '9' || size > (UINT64_MAX - 9) / 10) return (*why = "bad size"), -1;
        size = size * 10 + (uint64_t)(f[1][i] - '0');
    }
    enum gtid_track_flavor fv;
    if (flavor_parse(f[2], fl[2], &fv) == -1) return (*why = "bad flavour"), -1;
    if (state_check(fv, f[3], fl[3]) == -1 || state_check(fv, f[4], fl[4]) == -1)
        return (*why = "bad GTID state"), -1;
    for (size_t i = 0; i < 5; i++) f[i][fl[i]] = 0;
    if (gix_find(ix, f[0])) return (*why = "repeated file name"), -1;
    if (gix_set(ix, f[0], size, fv, f[3], f[4]) == -1) return (*why = "out of memory"), -1;
    return 0;
}

static int on_line(void *arg, size_t lineno, char *line, size_t len, const char **why)
{
    if (lineno > 1) return parse_line(arg, line, len, why);
    if (len + 1 != strlen(GIX_HEADER) || memcmp(line, GIX_HEADER, len)) return (*why = "not a binlogd gtid index v1"), -1;
    return 0;
}

int gix_parse(struct gtid_index *ix, const char *text, size_t len, char *err, size_t errlen)
{
    gix_clear(ix);
    int rc = textlines_walk(text, len, on_line, ix, err, errlen);
    if (rc == -1) gix_clear(ix);
    return rc;
}

int gix_format(const struct gtid_index *ix, char **out, size_t *len)
{
    size_t need = strlen(GIX_HEADER) + 1;
    for (size_t i = 0; i < ix->n; i++)
        need += strlen(ix->v[i].name) + 32 + strlen(ix->v[i].start) + strlen(ix->v[i].end);
    char *buf = malloc(need);
    if (!buf) return -1;
    size_t pos = (size_t)snprintf(buf, need, "%s", GIX_HEADER);
    for (size_t i = 0; i < ix->n; i++) {
        const struct gix_entry *e = &ix->v[i];
        pos += (size_t)snprintf(buf + pos, need - pos, "%s\t%" PRIu64 "\t%s\t%s\t%s\n", e->name, e->size,
                                gtid_track_flavor_name(e->flavor), e->start, e->end);
    }
    *out = buf;
    *len = pos;
    return 0;
}

int gix_load(struct gtid_index *ix, int dirfd, const char *fname, char *err, size_t errlen)
{
    gix_clear(ix);
    char *buf;
    size_t len;
    if (fsio_read_small(dirfd, fname, GIX_MAX_FILE, &buf, &len) == -1) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: cannot read: %s", fname, strerror(errno));
        return -1;
    }
    char perr[256];
    int rc = gix_parse(ix, buf, len, perr, sizeof(perr));
    free(buf);
    if (rc == -1) snprintf(err, errlen, "%s: %s", fname, perr);
    return rc;
}

int gix_save(const struct gtid_index *ix, int dirfd, const char *fname, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (gix_format(ix, &text, &len) == -1) {
        snprintf(err, errlen, "%s: out of memory", fname);
        return -1;
    }
    enum fsio_op op = FSIO_OP_OPEN;
    int rc = fsio_replace(dirfd, fname, text, len, &op);
    int e = errno;
    free(text);
    if (rc == -1) snprintf(err, errlen, "%s: cannot write (%s): %s", fname, fsio_op_name(op), strerror(e));
    return rc;
}

struct scan_ctx {
    struct gtid_track *t;
    const struct ev_fmt *fmt;
    const char *why;
    uint64_t bad_off;
    int failed;
};

static void on_event(void *arg, const struct ev_view *ev, uint64_t off, enum trx_verdict v)
{
    struct scan_ctx *c = arg;
    if (c->failed) return;
    if (gtid_track_feed_view(c->t, ev, c->fmt, v, &c->why) == -1) {
        c->failed = 1;
        c->bad_off = off;
    }
}

int gix_scan_file(int dirfd, const char *name, struct gtid_track *t, uint64_t *size, char *err, size_t errlen)
{
    gtid_track_reset(t);
    struct bsrc src;
    if (bsrc_open(dirfd, name, NULL, &src, err, errlen) == -1) return -1;
    /* The FDE decides the reading context; binlog_file_scan_cb parses it before the first
     * callback, and out.fmt is filled by then, so the callback reads it through the pointer. */
    struct binlog_scan out;
    struct scan_ctx c = {.t = t, .fmt = &out.fmt};
    int rc = binlog_file_scan_src(&src, name, on_event, &c, &out, err, errlen);
    bsrc_close(&src);
    if (rc == -1) return -1;
    if (c.failed) {
        snprintf(err, errlen, "%s:%" PRIu64 ": cannot read GTIDs: %s", name, c.bad_off, c.why ? c.why : "?");
        return -1;
    }
    *size = out.safe_end;
    return 0;
}
