/*
 * archive_state.c - see archive_state.h.
 */
#include "storage/archive_state.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/fsio.h"
#include "storage/index.h"

#define HEADER "# binlogd archive state v1"
#define MAX_STATE_BYTES (512u << 20)   /* about a million archived files with their GTID states */

/* One file: what SHOW sees, plus the GTID states it was archived with (owned; "" when the
 * runner did not know them). */
struct entry {
    struct archive_file_status s;
    int flavor;
    char *start, *end;
};

struct archive_state {
    pthread_mutex_t mu;
    int dirfd;
    struct entry *v;
    size_t n, cap;
    struct archive_stats stats;
};

static void entry_clear(struct entry *e)
{
    free(e->start);
    free(e->end);
    e->start = e->end = NULL;
}

static void clear_locked(struct archive_state *st)
{
    for (size_t i = 0; i < st->n; i++) entry_clear(&st->v[i]);
    st->n = 0;
}

/* Copy len bytes of text into *dst as a string (replacing what it held). 0, or -1 on ENOMEM. */
static int set_text(char **dst, const char *text, size_t len)
{
    char *c = malloc(len + 1);
    if (!c) return -1;
    memcpy(c, text, len);
    c[len] = '\0';
    free(*dst);
    *dst = c;
    return 0;
}

/* A GTID state text as the state file can hold it: no tab, newline or NUL. */
static int gtid_text_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\0') return 0;
    return 1;
}

struct archive_state *archive_state_new(int dirfd)
{
    struct archive_state *st = calloc(1, sizeof(*st));
    if (!st) return NULL;
    pthread_mutex_init(&st->mu, NULL);
    st->dirfd = dirfd;
    return st;
}

void archive_state_free(struct archive_state *st)
{
    if (!st) return;
    pthread_mutex_destroy(&st->mu);
    clear_locked(st);
    free(st->v);
    free(st);
}

static struct entry *find_locked(struct archive_state *st, const char *name)
{
    for (size_t i = st->n; i-- > 0;)
        if (!strcmp(st->v[i].s.name, name)) return &st->v[i];
    return NULL;
}

/* name's entry, appended when new; NULL on ENOMEM or a name that does not fit. */
static struct entry *get_locked(struct archive_state *st, const char *name)
{
    struct entry *e = find_locked(st, name);
    if (e) return e;
    if (strlen(name) > EV_MAX_NAME_LEN) return NULL;
    if (st->n == st->cap) {
        size_t nc = st->cap ? st->cap * 2 : 32;
        struct entry *nv = realloc(st->v, nc * sizeof(*nv));
        if (!nv) return NULL;
        st->v = nv;
        st->cap = nc;
    }
    e = &st->v[st->n++];
    memset(e, 0, sizeof(*e));
    memcpy(e->s.name, name, strlen(name) + 1);
    return e;
}

static void recount_locked(struct archive_state *st)
{
    uint64_t n = 0;
    for (size_t i = 0; i < st->n; i++) n += st->v[i].s.archived != 0;
    st->stats.archived_total_files = n;
}

/* One decimal field of [p, end): 0 and *out, or -1. */
static int parse_dec(const char *p, const char *end, uint64_t *out)
{
    if (p == end || end - p > 20) return -1;
    uint64_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return -1;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int archive_state_parse(struct archive_state *st, const char *text, size_t len, char *err, size_t errlen)
{
    pthread_mutex_lock(&st->mu);
    clear_locked(st);
    const char *p = text, *end = text + len;
    unsigned line = 0;
    const char *why = NULL;
    while (p < end && !why) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) { line++; why = "truncated (no newline at the end)"; break; }
        const char *e = nl;
        line++;
        if (line == 1) {
            if ((size_t)(e - p) != strlen(HEADER) || memcmp(p, HEADER, strlen(HEADER))) why = "not a binlogd archive state";
            p = nl + 1;
            continue;
        }
        const char *f[7];
        size_t fl[7], nf = 0;
        const char *q = p;
        int more = 1;   /* a tab followed the last field taken */
        while (nf < 7 && more) {
            const char *t = memchr(q, '\t', (size_t)(e - q));
            f[nf] = q;
            fl[nf] = (size_t)((t ? t : e) - q);
            nf++;
            more = t != NULL;
            if (t) q = t + 1;
        }
        if (nf != 7 || more) { why = "expected 7 tab-separated fields"; break; }
        const char *nwhy;
        if (memchr(f[0], '\0', fl[0]) || index_name_check(f[0], fl[0], &nwhy) == -1) { why = "bad file name"; break; }
        uint64_t size, at;
        if (parse_dec(f[1], f[1] + fl[1], &size) == -1) { why = "bad size"; break; }
        if (parse_dec(f[2], f[2] + fl[2], &at) == -1 || at > INT64_MAX) { why = "bad time"; break; }
        int purged;
        if (fl[3] == 5 && !memcmp(f[3], "local", 5)) purged = 0;
        else if (fl[3] == 6 && !memcmp(f[3], "purged", 6)) purged = 1;
        else { why = "bad location (local|purged)"; break; }
        int flavor;
        if (fl[4] == 4 && !memcmp(f[4], "none", 4)) flavor = 0;
        else if (fl[4] == 7 && !memcmp(f[4], "mariadb", 7)) flavor = 1;
        else if (fl[4] == 5 && !memcmp(f[4], "mysql", 5)) flavor = 2;
        else { why = "bad GTID flavour (none|mariadb|mysql)"; break; }
        char name[EV_MAX_NAME_LEN + 1];
        memcpy(name, f[0], fl[0]);
        name[fl[0]] = '\0';
        if (find_locked(st, name)) { why = "file listed twice"; break; }
        struct entry *x = get_locked(st, name);
        if (!x || set_text(&x->start, f[5], fl[5]) == -1 || set_text(&x->end, f[6], fl[6]) == -1) {
            why = "out of memory";
            break;
        }
        x->flavor = flavor;
        x->s.size = size;
        x->s.archived = 1;
        x->s.archived_at = (int64_t)at;
        x->s.purged = purged;
        p = nl + 1;
    }
    if (!why && line == 0) why = "empty (no header)";
    if (why) {
        clear_locked(st);
        snprintf(err, errlen, "line %u: %s", line ? line : 1, why);
    }
    recount_locked(st);
    pthread_mutex_unlock(&st->mu);
    return why ? -1 : 0;
}

static int format_locked(struct archive_state *st, char **out, size_t *len)
{
    size_t cap = strlen(HEADER) + 2, used = 0;
    for (size_t i = 0; i < st->n; i++)
        cap += strlen(st->v[i].s.name) + 80 + (st->v[i].start ? strlen(st->v[i].start) : 0) +
               (st->v[i].end ? strlen(st->v[i].end) : 0);
    char *b = malloc(cap);
    if (!b) return -1;
    used += (size_t)snprintf(b, cap, "%s\n", HEADER);
    for (size_t i = 0; i < st->n; i++) {
        static const char *const flavors[] = {"none", "mariadb", "mysql"};
        const struct entry *x = &st->v[i];
        const struct archive_file_status *e = &x->s;
        if (!e->archived) continue;
        used += (size_t)snprintf(b + used, cap - used, "%s\t%" PRIu64 "\t%" PRId64 "\t%s\t%s\t%s\t%s\n", e->name,
                                 e->size, e->archived_at, e->purged ? "purged" : "local",
                                 flavors[x->flavor >= 0 && x->flavor <= 2 ? x->flavor : 0], x->start ? x->start : "",
                                 x->end ? x->end : "");
    }
    *out = b;
    *len = used;
    return 0;
}

int archive_state_format(struct archive_state *st, char **out, size_t *len)
{
    pthread_mutex_lock(&st->mu);
    int rc = format_locked(st, out, len);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int archive_state_load(struct archive_state *st, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    if (st->dirfd < 0) return 1;
    if (fsio_read_small(st->dirfd, ARCHIVE_STATE_FILE, MAX_STATE_BYTES, &text, &len) == -1) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: %s", ARCHIVE_STATE_FILE, strerror(errno));
        pthread_mutex_lock(&st->mu);
        clear_locked(st);
        recount_locked(st);
        pthread_mutex_unlock(&st->mu);
        return -1;
    }
    char e[256];
    int rc = archive_state_parse(st, text, len, e, sizeof(e));
    free(text);
    if (rc == -1) snprintf(err, errlen, "%s: %s", ARCHIVE_STATE_FILE, e);
    return rc;
}

/* Write the archived set by atomic replace. Called with the mutex held: the replace is one
 * small file, and holding the lock keeps two writers from racing each other's renames. */
static int persist_locked(struct archive_state *st, char *err, size_t errlen)
{
    if (st->dirfd < 0) return 0;
    char *text;
    size_t len;
    if (format_locked(st, &text, &len) == -1) {
        snprintf(err, errlen, "%s: out of memory", ARCHIVE_STATE_FILE);
        return -1;
    }
    enum fsio_op op = FSIO_OP_WRITE;
    int rc = fsio_replace(st->dirfd, ARCHIVE_STATE_FILE, text, len, &op);
    int saved = errno;
    free(text);
    if (rc == -1) snprintf(err, errlen, "%s: %s failed: %s", ARCHIVE_STATE_FILE, fsio_op_name(op), strerror(saved));
    return rc;
}

void archive_state_set_enabled(struct archive_state *st, int on)
{
    pthread_mutex_lock(&st->mu);
    st->stats.enabled = on != 0;
    pthread_mutex_unlock(&st->mu);
}

int archive_state_is_archived(struct archive_state *st, const char *name)
{
    pthread_mutex_lock(&st->mu);
    const struct entry *e = find_locked(st, name);
    int r = e && e->s.archived;
    pthread_mutex_unlock(&st->mu);
    return r;
}

int archive_state_must_keep(void *arg, const char *name)
{
    struct archive_state *st = arg;
    if (!st) return 0;
    pthread_mutex_lock(&st->mu);
    const struct entry *e = find_locked(st, name);
    int keep = st->stats.enabled && !(e && e->s.archived);
    pthread_mutex_unlock(&st->mu);
    return keep;
}

void archive_state_purged(void *arg, const char *name)
{
    struct archive_state *st = arg;
    if (!st) return;
    pthread_mutex_lock(&st->mu);
    struct entry *e = find_locked(st, name);
    if (e && e->s.archived && !e->s.purged) {
        e->s.purged = 1;
        char err[256];
        (void)persist_locked(st, err, sizeof(err));   /* a failure: archive_state_mark_absent_purged at the next start */
    } else if (e && !e->s.archived) {
        size_t i = (size_t)(e - st->v);
        entry_clear(e);
        memmove(&st->v[i], &st->v[i + 1], (st->n - i - 1) * sizeof(*e));
        st->n--;
    }
    pthread_mutex_unlock(&st->mu);
}

size_t archive_state_mark_absent_purged(struct archive_state *st, int (*is_local)(void *arg, const char *name),
                                       void *arg)
{
    size_t n = 0;
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->n; i++) {
        struct entry *e = &st->v[i];
        if (e->s.archived && !e->s.purged && !is_local(arg, e->s.name)) {
            e->s.purged = 1;
            n++;
        }
    }
    if (n) {
        char err[256];
        (void)persist_locked(st, err, sizeof(err));   /* a failure: found again at the next start */
    }
    pthread_mutex_unlock(&st->mu);
    return n;
}

void archive_state_attempt(struct archive_state *st, const char *name, uint64_t size, int64_t now)
{
    pthread_mutex_lock(&st->mu);
    struct entry *x = get_locked(st, name);
    if (x) {
        x->s.attempts++;
        x->s.last_attempt = now;
        if (!x->s.archived) x->s.size = size;
    }
    st->stats.running = 1;
    snprintf(st->stats.current, sizeof(st->stats.current), "%s", name);
    pthread_mutex_unlock(&st->mu);
}

void archive_state_failed(struct archive_state *st, const char *name, const char *why)
{
    pthread_mutex_lock(&st->mu);
    struct entry *x = get_locked(st, name);
    if (x) snprintf(x->s.last_error, sizeof(x->s.last_error), "%s", why);
    snprintf(st->stats.last_error, sizeof(st->stats.last_error), "%s: %s", name, why);
    st->stats.failures++;
    st->stats.running = 0;
    st->stats.current[0] = '\0';
    pthread_mutex_unlock(&st->mu);
}

int archive_state_done(struct archive_state *st, const char *name, uint64_t size, int64_t now, int flavor,
                       const char *gtid_start, const char *gtid_end, char *err, size_t errlen)
{
    pthread_mutex_lock(&st->mu);
    st->stats.running = 0;
    st->stats.current[0] = '\0';
    struct entry *x = get_locked(st, name);
    if (!gtid_start || !gtid_end || !gtid_text_ok(gtid_start, strlen(gtid_start)) ||
        !gtid_text_ok(gtid_end, strlen(gtid_end)) || flavor < 0 || flavor > 2) {
        flavor = 0;   /* states unknown: recorded as none, the restore check then skips them */
        gtid_start = gtid_end = "";
    }
    if (!x || set_text(&x->start, gtid_start, strlen(gtid_start)) == -1 ||
        set_text(&x->end, gtid_end, strlen(gtid_end)) == -1) {
        pthread_mutex_unlock(&st->mu);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    x->flavor = flavor;
    struct archive_file_status *e = &x->s;
    e->archived = 1;
    e->purged = 0;
    e->archived_at = now;
    e->size = size;
    e->last_error[0] = '\0';
    st->stats.archived_files++;
    st->stats.archived_bytes += size;
    st->stats.last_error[0] = '\0';
    recount_locked(st);
    int rc = persist_locked(st, err, errlen);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

void archive_state_set_progress(struct archive_state *st, uint32_t pending, int64_t lag_seconds, const char *running)
{
    pthread_mutex_lock(&st->mu);
    st->stats.pending_files = pending;
    st->stats.lag_seconds = lag_seconds;
    st->stats.running = running && *running;
    snprintf(st->stats.current, sizeof(st->stats.current), "%s", running ? running : "");
    pthread_mutex_unlock(&st->mu);
}

int archive_state_get(struct archive_state *st, const char *name, struct archive_file_status *out)
{
    pthread_mutex_lock(&st->mu);
    const struct entry *e = find_locked(st, name);
    if (e) *out = e->s;
    pthread_mutex_unlock(&st->mu);
    return e ? 0 : -1;
}

int archive_state_gtid(struct archive_state *st, const char *name, int *flavor, char **start, char **end)
{
    pthread_mutex_lock(&st->mu);
    const struct entry *e = find_locked(st, name);
    int rc = -1;
    *start = *end = NULL;
    if (e && e->s.archived) {
        *flavor = e->flavor;
        rc = set_text(start, e->start ? e->start : "", e->start ? strlen(e->start) : 0) == 0 &&
                     set_text(end, e->end ? e->end : "", e->end ? strlen(e->end) : 0) == 0 ? 0 : -1;
        if (rc == -1) {
            free(*start);
            free(*end);
            *start = *end = NULL;
        }
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

size_t archive_state_list(struct archive_state *st, struct archive_file_status *out, size_t cap)
{
    pthread_mutex_lock(&st->mu);
    size_t n = st->n;
    for (size_t i = 0; i < n && i < cap; i++) out[i] = st->v[i].s;
    pthread_mutex_unlock(&st->mu);
    return n;
}

void archive_state_stats(struct archive_state *st, struct archive_stats *out)
{
    pthread_mutex_lock(&st->mu);
    *out = st->stats;
    pthread_mutex_unlock(&st->mu);
}

int archive_state_purged_files(struct archive_state *st, struct archive_purged_file **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&st->mu);
    size_t k = 0;
    for (size_t i = 0; i < st->n; i++) k += st->v[i].s.archived && st->v[i].s.purged;
    struct archive_purged_file *v = k ? calloc(k, sizeof(*v)) : NULL;
    int rc = k && !v ? -1 : 0;
    size_t j = 0;
    for (size_t i = 0; i < st->n && rc == 0; i++) {
        const struct entry *e = &st->v[i];
        if (!e->s.archived || !e->s.purged) continue;
        struct archive_purged_file *f = &v[j++];
        memcpy(f->name, e->s.name, sizeof(f->name));
        f->size = e->s.size;
        f->flavor = e->flavor;
        if (set_text(&f->start, e->start ? e->start : "", e->start ? strlen(e->start) : 0) == -1 ||
            set_text(&f->end, e->end ? e->end : "", e->end ? strlen(e->end) : 0) == -1)
            rc = -1;
    }
    pthread_mutex_unlock(&st->mu);
    if (rc == -1) {
        archive_state_purged_free(v, j);
        return -1;
    }
    *out = v;
    *n = j;
    return 0;
}

void archive_state_purged_free(struct archive_purged_file *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].start);
        free(v[i].end);
    }
    free(v);
}

int archive_state_next(struct archive_state *st, const char *name, char *next, size_t cap)
{
    pthread_mutex_lock(&st->mu);
    const struct entry *e = find_locked(st, name);
    int rc = -1;
    if (e) {
        size_t i = (size_t)(e - st->v) + 1;
        rc = i < st->n ? 0 : 1;
        if (rc == 0) snprintf(next, cap, "%s", st->v[i].s.name);
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int archive_state_is_purged(struct archive_state *st, const char *name)
{
    pthread_mutex_lock(&st->mu);
    const struct entry *e = find_locked(st, name);
    int r = e && e->s.archived && e->s.purged;
    pthread_mutex_unlock(&st->mu);
    return r;
}
