/*
 * index.c - see index.h.
 */
#include "storage/index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/zblocks.h"

int index_name_check(const char *name, size_t len, const char **why)
{
    if (len == 0) { *why = "empty file name"; return -1; }
    if (len > EV_MAX_NAME_LEN) { *why = "file name longer than 511 bytes"; return -1; }
    if (memchr(name, 0, len)) { *why = "file name contains NUL"; return -1; }
    /* Control bytes: a '\n' or '\r' would split or change the name's line in the index (and a
     * '\t' its gtid_index field) the next time it is read back (found by fuzz_storage). */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7F) { *why = "file name contains a control byte"; return -1; }
    }
    if (memchr(name, '/', len)) { *why = "file name contains '/'"; return -1; }
    if (len == 1 && name[0] == '.') { *why = "file name is '.'"; return -1; }
    for (size_t i = 0; i + 1 < len; i++)
        if (name[i] == '.' && name[i + 1] == '.') { *why = "file name contains '..'"; return -1; }
    size_t pl = strlen(FSIO_OWN_PREFIX);
    if (len >= pl && !memcmp(name, FSIO_OWN_PREFIX, pl)) { *why = "file name is reserved for binlogd"; return -1; }
    return 0;
}

int index_split_name(const char *name, char *base, size_t cap, uint64_t *num)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name || !dot[1]) return -1;
    uint64_t v = 0;
    for (const char *p = dot + 1; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        if (v > (UINT64_MAX - 9) / 10) return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    size_t bl = (size_t)(dot - name);
    if (bl >= cap) return -1;
    memcpy(base, name, bl);
    base[bl] = 0;
    *num = v;
    return 0;
}

struct binlog_index *index_new(void)
{
    return calloc(1, sizeof(struct binlog_index));
}

void index_clear(struct binlog_index *ix)
{
    for (size_t i = 0; i < ix->n; i++) free(ix->names[i]);
    ix->n = 0;
}

void index_free(struct binlog_index *ix)
{
    if (!ix) return;
    index_clear(ix);
    free(ix->names);
    free(ix);
}

int index_append(struct binlog_index *ix, const char *name)
{
    const char *why;
    size_t len = strlen(name);
    if (index_name_check(name, len, &why) == -1) {
        errno = EINVAL;
        return -1;
    }
    if (ix->n == ix->cap) {
        size_t nc = ix->cap ? ix->cap * 2 : 16;
        char **nn = realloc(ix->names, nc * sizeof(*nn));
        if (!nn) return -1;
        ix->names = nn;
        ix->cap = nc;
    }
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, name, len + 1);
    ix->names[ix->n++] = copy;
    return 0;
}

void index_remove(struct binlog_index *ix, size_t i)
{
    if (i >= ix->n) return;
    free(ix->names[i]);
    memmove(ix->names + i, ix->names + i + 1, (ix->n - i - 1) * sizeof(*ix->names));
    ix->n--;
}

long index_find(const struct binlog_index *ix, const char *name)
{
    for (size_t i = 0; i < ix->n; i++)
        if (!strcmp(ix->names[i], name)) return (long)i;
    return -1;
}

int index_parse(struct binlog_index *ix, const char *text, size_t len, char *err, size_t errlen)
{
    index_clear(ix);
    const char *p = text, *end = text + len;
    unsigned line = 0;
    char name[EV_MAX_NAME_LEN + 1];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r') ll--;
        if (ll) {
            if (memchr(p, 0, ll)) {
                snprintf(err, errlen, "line %u: file name contains NUL", line);
                goto fail;
            }
            const char *b = p + ll;
            while (b > p && b[-1] != '/') b--;   /* basename: text after the last '/' */
            size_t bl = (size_t)(p + ll - b);
            const char *why;
            if (index_name_check(b, bl, &why) == -1) {
                snprintf(err, errlen, "line %u: %s", line, why);
                goto fail;
            }
            memcpy(name, b, bl);
            name[bl] = 0;
            if (index_find(ix, name) != -1) {
                snprintf(err, errlen, "line %u: %s is listed twice", line, name);
                goto fail;
            }
            if (index_append(ix, name) == -1) {
                snprintf(err, errlen, "line %u: out of memory", line);
                goto fail;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
fail:
    index_clear(ix);
    return -1;
}

int index_format(const struct binlog_index *ix, char **out, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < ix->n; i++) total += 2 + strlen(ix->names[i]) + 1;
    char *buf = malloc(total + 1);
    if (!buf) return -1;
    size_t pos = 0;
    for (size_t i = 0; i < ix->n; i++) {
        size_t l = strlen(ix->names[i]);
        memcpy(buf + pos, "./", 2);
        memcpy(buf + pos + 2, ix->names[i], l);
        buf[pos + 2 + l] = '\n';
        pos += 3 + l;
    }
    buf[pos] = 0;
    *out = buf;
    *len = pos;
    return 0;
}

int index_load(struct binlog_index *ix, int dirfd, const char *index_name, char *err, size_t errlen)
{
    index_clear(ix);
    char *buf;
    size_t got;
    /* A sane index holds at most a few MiB of names; refuse absurd sizes. */
    if (fsio_read_small(dirfd, index_name, (size_t)64 << 20, &buf, &got) == -1) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: cannot read: %s", index_name,
                 errno == EFBIG ? "too large for an index" : errno == EINVAL ? "not a regular file" : strerror(errno));
        return -1;
    }
    char perr[256];
    int rc = index_parse(ix, buf, got, perr, sizeof(perr));
    free(buf);
    if (rc == -1) {
        snprintf(err, errlen, "%s: %s", index_name, perr);
        return -1;
    }
    return 0;
}

int index_save(const struct binlog_index *ix, int dirfd, const char *index_name, enum fsio_op *failed_op,
               char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (index_format(ix, &text, &len) == -1) {
        if (failed_op) *failed_op = FSIO_OP_WRITE;
        snprintf(err, errlen, "%s: out of memory", index_name);
        errno = ENOMEM;
        return -1;
    }
    enum fsio_op op = FSIO_OP_OPEN;
    int rc = fsio_replace(dirfd, index_name, text, len, &op);
    int e = errno;
    free(text);
    if (rc == -1) {
        if (failed_op) *failed_op = op;
        snprintf(err, errlen, "%s: cannot write (%s): %s", index_name, fsio_op_name(op), strerror(e));
        errno = e;
        return -1;
    }
    return 0;
}

struct rb_entry {
    char *name;
    char *base;
    uint64_t num;
};

static int rb_cmp(const void *a, const void *b)
{
    const struct rb_entry *x = a, *y = b;
    if (x->num != y->num) return x->num < y->num ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* 1 when dirfd/name is a regular file starting with magic (mlen bytes). */
static int starts_with(int dirfd, const char *name, const char *magic_bytes, size_t mlen)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode)) return 0;
    int fd = fsio_open(dirfd, name, O_RDONLY | O_NOFOLLOW, 0);
    if (fd == -1) return 0;
    uint8_t magic[16];
    size_t got = 0;
    int ok = mlen <= sizeof(magic) && fsio_pread_all(fd, magic, mlen, 0, &got) == 0 && got == mlen &&
             !memcmp(magic, magic_bytes, mlen);
    close(fd);
    return ok;
}

int index_rebuild(struct binlog_index *ix, int dirfd, const char *base, char *found_base, size_t cap,
                  char *err, size_t errlen)
{
    index_clear(ix);
    if (found_base && cap) found_base[0] = 0;
    int dfd = dup(dirfd);
    if (dfd == -1) {
        snprintf(err, errlen, "cannot list the directory: %s", strerror(errno));
        return -1;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        snprintf(err, errlen, "cannot list the directory: %s", strerror(errno));
        close(dfd);
        return -1;
    }
    rewinddir(d);
    struct rb_entry *v = NULL;
    size_t n = 0, vcap = 0;
    int rc = -1;
    struct dirent *de;
    char b[EV_MAX_NAME_LEN + 1];
    while ((de = readdir(d))) {
        const char *why;
        uint64_t num;
        /* A compressed file (storage/zfile.h: NAME.z) stands for NAME, which the index lists
         * by its original name; both present (a crash mid-replacement) count once. */
        char stem[EV_MAX_NAME_LEN + 1];
        size_t dl = strlen(de->d_name);
        int packed = dl > 2 && dl - 2 <= EV_MAX_NAME_LEN && !strcmp(de->d_name + dl - 2, ".z");
        snprintf(stem, sizeof(stem), "%.*s", (int)(packed ? dl - 2 : dl > EV_MAX_NAME_LEN ? EV_MAX_NAME_LEN : dl), de->d_name);
        if (index_name_check(stem, strlen(stem), &why) == -1) continue;
        if (index_split_name(stem, b, sizeof(b), &num) == -1) continue;
        if (base && strcmp(base, b)) continue;
        if (packed ? !starts_with(dirfd, de->d_name, ZB_MAGIC, strlen(ZB_MAGIC))
                   : !starts_with(dirfd, de->d_name, (const char *)BINLOG_MAGIC, BINLOG_MAGIC_LEN))
            continue;
        if (n == vcap) {
            size_t nc = vcap ? vcap * 2 : 64;
            struct rb_entry *nv = realloc(v, nc * sizeof(*nv));
            if (!nv) goto oom;
            v = nv;
            vcap = nc;
        }
        v[n].name = strdup(stem);
        v[n].base = strdup(b);
        v[n].num = num;
        n++;
        if (!v[n - 1].name || !v[n - 1].base) goto oom;
    }
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i].base, v[0].base)) {
            snprintf(err, errlen, "cannot rebuild the index: binlog files with different basenames ('%s' and "
                     "'%s') cannot be ordered; restore the .index file", v[0].base, v[i].base);
            goto out;
        }
    if (n) qsort(v, n, sizeof(*v), rb_cmp);
    for (size_t i = 0; i < n; i++)
        if ((i == 0 || strcmp(v[i].name, v[i - 1].name)) && index_append(ix, v[i].name) == -1) goto oom;
    if (n && found_base) snprintf(found_base, cap, "%s", v[0].base);
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "cannot rebuild the index: out of memory");
    index_clear(ix);
out:
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].base);
    }
    free(v);
    closedir(d);
    return rc;
}
