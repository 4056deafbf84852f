/*
 * verify.c - see verify.h. Read-only: opens files O_RDONLY and takes no lock, so it can run
 * beside a live binlogd (the active file's last transaction may then still be arriving; run
 * it on a stopped instance for a strict answer).
 *
 * Checks per file: magic, FORMAT_DESCRIPTION, every event's header, length, CRC32 and log_pos
 * continuity, transaction completeness at the end. Across files: the index lists existing
 * files, each ROTATE names the next file in the index, closed files have IN_USE clear, no
 * binlog-looking file in the directory is missing from the index.
 */
#include "storage/verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/binlog_file.h"
#include "storage/fsio.h"
#include "storage/gtid_index.h"
#include "storage/gtidpos.h"
#include "storage/index.h"
#include "storage/journal.h"
#include "storage/purge.h"

static int find_index(int dirfd, const char *dir, char *name, size_t cap, FILE *out)
{
    DIR *d = fdopendir(dup(dirfd));
    if (!d) { fprintf(out, "ERROR %s: cannot list: %s\n", dir, strerror(errno)); return -1; }
    rewinddir(d);
    int found = 0, binlogs = 0;
    struct dirent *de;
    char base[EV_MAX_NAME_LEN + 1];
    uint64_t num;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, FSIO_TMP_PREFIX, strlen(FSIO_TMP_PREFIX)) &&
            index_split_name(de->d_name, base, sizeof(base), &num) == 0)
            binlogs++;
        if (l > 6 && !strcmp(de->d_name + l - 6, ".index") && de->d_name[0] != '.') {
            if (found++) { fprintf(out, "ERROR %s: more than one index file (%s, %s)\n", dir, name, de->d_name); break; }
            snprintf(name, cap, "%s", de->d_name);
        }
    }
    closedir(d);
    /* No index and no binlog file: a store that never got its first file (e.g. stopped before
     * the first event arrived) is empty, not damaged. */
    if (found == 0 && binlogs == 0) return 1;
    if (found == 0) fprintf(out, "ERROR %s: no <basename>.index file, but binlog files are there\n", dir);
    return found == 1 ? 0 : -1;
}

/* 1 when an interrupted purge's intent names `name` (storage/purge.h). */
static int in_intent(int dirfd, const char *name)
{
    char *text = NULL;
    size_t len = 0;
    if (fsio_read_small(dirfd, PURGE_INTENT_NAME, 16u << 20, &text, &len) == -1) return 0;
    int yes = 0;
    size_t nl = strlen(name);
    for (char *p = text; p && *p && !yes; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        yes = !strncmp(p, name, nl) && p[nl] == '\t';
    free(text);
    return yes;
}

/* Binlog-looking files in the directory that the index does not list. */
static int check_strays(int dirfd, const struct binlog_index *ix, FILE *out)
{
    DIR *d = fdopendir(dup(dirfd));
    if (!d) return 0;
    rewinddir(d);   /* a dup shares the offset: an earlier listing of dirfd left it at the end */
    int bad = 0;
    struct dirent *de;
    char base[EV_MAX_NAME_LEN + 1];
    uint64_t num;
    while ((de = readdir(d))) {
        if (!strncmp(de->d_name, FSIO_TMP_PREFIX, strlen(FSIO_TMP_PREFIX))) {
            fprintf(out, "WARN  %s: leftover temporary file (removed at the next start)\n", de->d_name);
            continue;
        }
        if (strstr(de->d_name, ".tail-")) {
            struct stat st;
            long long sz = fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (long long)st.st_size : -1;
            fprintf(out, "NOTE  %s: %lld bytes recovery cut from the end of a file binlogd did not write (it ended "
                    "inside a transaction); kept for the operator, never served\n", de->d_name, sz);
            continue;
        }
        if (!strcmp(de->d_name, PURGE_INTENT_NAME)) {
            fprintf(out, "WARN  %s: a purge was interrupted; the next start removes the files it purged\n", de->d_name);
            continue;
        }
        if (index_split_name(de->d_name, base, sizeof(base), &num) == 0 && index_find(ix, de->d_name) < 0 &&
            in_intent(dirfd, de->d_name)) {
            fprintf(out, "WARN  %s: purged from the index by an interrupted purge (removed at the next start)\n",
                    de->d_name);
            continue;
        }
        if (strstr(de->d_name, ".withdrawn-")) {
            fprintf(out, "NOTE  %s: bytes binlogd withdrew after the primary lost its binlog tail (kept for the "
                    "operator; never served)\n", de->d_name);
            continue;
        }
        if (index_split_name(de->d_name, base, sizeof(base), &num) == 0 && index_find(ix, de->d_name) < 0) {
            fprintf(out, "ERROR %s: looks like a binlog but is not in the index\n", de->d_name);
            bad++;
        }
    }
    closedir(d);
    return bad;
}

/* The commit journal: records whose bytes a file lacks (a power loss took them) are written
 * back by the next start, so they are a note; records binlogd would refuse to start on
 * (unknown file, a gap before the record) are errors. */
struct jcheck {
    int dirfd;
    const struct binlog_index *ix;
    FILE *out;
    int bad;
    long missing;
    uint64_t missing_bytes, upto;
    char last[EV_MAX_NAME_LEN + 1];
};

static int jcheck_one(void *arg, const struct journal_rec *r)
{
    struct jcheck *c = arg;
    char name[EV_MAX_NAME_LEN + 1];
    memcpy(name, r->name, r->name_len);
    name[r->name_len] = 0;
    if (index_find(c->ix, name) < 0) {
        fprintf(c->out, "ERROR %s: record %llu names %s, which is not in the index (binlogd will refuse to start)\n",
                JOURNAL_NAME, (unsigned long long)r->seq, name);
        c->bad++;
        return -1;
    }
    int fd = openat(c->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd == -1 || fstat(fd, &st) == -1) {
        if (fd != -1) close(fd);
        return 0;   /* the file check reports it */
    }
    if ((uint64_t)st.st_size < r->offset) {
        fprintf(c->out, "ERROR %s: record %llu continues %s at %llu, past its end (%llu): binlogd will refuse to start\n",
                JOURNAL_NAME, (unsigned long long)r->seq, name, (unsigned long long)r->offset,
                (unsigned long long)st.st_size);
        c->bad++;
        close(fd);
        return -1;
    }
    int lacks = !journal_rec_in_file(fd, r);
    close(fd);
    if (lacks) {
        c->missing++;
        c->missing_bytes += r->len;
        snprintf(c->last, sizeof(c->last), "%s", name);
        if (r->offset + r->len > c->upto) c->upto = r->offset + r->len;
    }
    return 0;
}

static int check_journal(int dirfd, const struct binlog_index *ix, FILE *out)
{
    char *buf = NULL;
    size_t len = 0;
    if (fsio_read_small(dirfd, JOURNAL_NAME, JOURNAL_SIZE, &buf, &len) == -1) return 0;   /* none: nothing pending */
    struct jcheck c = {.dirfd = dirfd, .ix = ix, .out = out};
    long n = journal_scan((const uint8_t *)buf, len, jcheck_one, &c);
    if (c.missing)
        fprintf(out, "NOTE  %s: %ld of %ld records (%llu bytes, %s up to offset %llu) are not in the files yet (a "
                "power loss took them after they were acknowledged); binlogd writes them back when it starts\n",
                JOURNAL_NAME, c.missing, n < 0 ? 0 : n, (unsigned long long)c.missing_bytes, c.last,
                (unsigned long long)c.upto);
    free(buf);
    return c.bad;
}

/* The GTID index (a cache): every entry that describes a file at its current size must say
 * what the file's bytes say. A stale entry (other size) is normal after a crash: binlogd
 * rebuilds it at start, so it is a warning. */
static int check_gtid_index(int dirfd, const char *index_name, const struct binlog_index *ix, FILE *out)
{
    char gname[EV_MAX_NAME_LEN + 32], err[512];
    size_t bl = strlen(index_name) - strlen(".index");
    snprintf(gname, sizeof(gname), "%.*s.gtid_index", (int)bl, index_name);
    struct gtid_index *g = gix_new();
    if (!g) return 1;
    int rc = gix_load(g, dirfd, gname, err, sizeof(err)), bad = 0;
    if (rc == 1) {
        fprintf(out, "WARN  %s: missing (binlogd builds it at start)\n", gname);
    } else if (rc == -1) {
        fprintf(out, "ERROR %s\n", err);
        bad = 1;
    } else {
        struct gtid_track t;
        gtid_track_init(&t);
        size_t checked = 0;
        for (size_t i = 0; i < g->n; i++) {
            const struct gix_entry *e = &g->v[i];
            uint64_t size = 0;
            if (index_find(ix, e->name) < 0) {
                fprintf(out, "ERROR %s: entry for %s, which the index does not list\n", gname, e->name);
                bad++;
                continue;
            }
            if (gix_scan_file(dirfd, e->name, &t, &size, err, sizeof(err)) == -1) {
                fprintf(out, "ERROR %s\n", err);
                bad++;
                continue;
            }
            if (size != e->size) {
                fprintf(out, "WARN  %s: entry for %s describes %llu bytes, the file has %llu (stale; rebuilt at start)\n",
                        gname, e->name, (unsigned long long)e->size, (unsigned long long)size);
                continue;
            }
            enum gtid_track_flavor fl = GTID_TRACK_NONE;
            char *st = NULL, *en = NULL;
            (void)gix_track_states(&t, i ? &g->v[i - 1] : NULL, &fl, &st, &en);
            if (!st || !en || fl != e->flavor || strcmp(st, e->start) || strcmp(en, e->end)) {
                fprintf(out, "ERROR %s: entry for %s says start '%.200s' end '%.200s', the file says start '%.200s' end '%.200s'\n",
                        gname, e->name, e->start, e->end, st ? st : "?", en ? en : "?");
                bad++;
            } else {
                checked++;
            }
            free(st);
            free(en);
        }
        gtid_track_free(&t);
        if (!bad) fprintf(out, "OK    %s: %zu entries agree with the files\n", gname, checked);
    }
    gix_free(g);
    return bad;
}

static int entry_same(const struct gpos_entry *a, const struct gpos_entry *b)
{
    return a->off == b->off && a->seg == b->seg && a->ev_len == b->ev_len && a->ev_ts == b->ev_ts &&
           a->ev_server == b->ev_server && a->ev_crc == b->ev_crc && a->ev_type == b->ev_type &&
           !strcmp(a->state, b->state) && !strcmp(a->max, b->max);
}

/* The GTID position index (<file>.gtidpos, a cache): every entry within the file's bytes must be
 * the one a scan of the file makes. Missing, unparsable, made for another file of the same name
 * or reaching beyond the file: warnings (binlogd rebuilds it at start); an entry that says
 * something else than the file is an error (a lying cache). */
static int check_gtidpos(int dirfd, const struct binlog_index *ix, FILE *out)
{
    char err[512];
    int bad = 0;
    size_t files = 0, entries = 0;
    for (size_t i = 0; i < ix->n; i++) {
        const char *name = ix->names[i];
        struct gpos_file f, scan;
        gpos_file_init(&f);
        gpos_file_init(&scan);
        int rc = gpos_load(&f, dirfd, name, err, sizeof(err));
        if (rc == 1) {
            fprintf(out, "WARN  %s/%s: missing (binlogd builds it at start)\n", GTIDPOS_DIR, name);
        } else if (rc == -1) {
            fprintf(out, "WARN  %s (binlogd rebuilds it at start)\n", err);
        } else if (gpos_scan_file(dirfd, name, NULL, &scan, f.interval, NULL, NULL, err, sizeof(err)) == -1) {
            fprintf(out, "WARN  %s/%s: cannot check it: %s\n", GTIDPOS_DIR, name, err);
        } else if (scan.fde_id != f.fde_id) {
            fprintf(out, "WARN  %s/%s: made for another file of the same name (rebuilt at start)\n", GTIDPOS_DIR, name);
        } else {
            size_t k = 0, lying = 0, beyond = 0;
            for (size_t j = 0; j < f.n; j++) {
                while (k < scan.n && scan.v[k].off < f.v[j].off) k++;
                if (k == scan.n) {
                    beyond++;
                } else if (!entry_same(&f.v[j], &scan.v[k]) || f.flavor != scan.flavor) {
                    if (!lying)
                        fprintf(out, "ERROR %s/%s: the entry at %llu does not match the file (the file says %s at %llu)\n",
                                GTIDPOS_DIR, name, (unsigned long long)f.v[j].off,
                                scan.v[k].off == f.v[j].off ? "another state" : "no boundary entry",
                                (unsigned long long)scan.v[k].off);
                    lying++;
                }
            }
            if (lying) bad++;
            else if (beyond) fprintf(out, "WARN  %s/%s: %zu entries beyond the file's bytes (stale; rebuilt at start)\n",
                                     GTIDPOS_DIR, name, beyond);
            else { files++; entries += f.n; }
        }
        gpos_file_free(&f);
        gpos_file_free(&scan);
    }
    if (!bad && files) fprintf(out, "OK    GTID positions: %zu entries in %zu file(s) agree with the files\n", entries, files);
    return bad;
}

int verify_data_dir(const char *dir, FILE *out)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd == -1) {
        fprintf(out, "ERROR %s: %s\n", dir, strerror(errno));
        return 2;
    }
    char index_name[EV_MAX_NAME_LEN + 16], err[512];
    struct binlog_index *ix = index_new();
    int fi = ix ? find_index(dirfd, dir, index_name, sizeof(index_name), out) : -1;
    if (fi != 0) {
        if (fi == 1) fprintf(out, "VERIFIED: empty data directory (no index, no binlog file)\n");
        index_free(ix);
        close(dirfd);
        return fi == 1 ? 0 : 2;
    }
    if (index_load(ix, dirfd, index_name, err, sizeof(err)) != 0) {
        fprintf(out, "ERROR %s\n", err);
        index_free(ix);
        close(dirfd);
        return 2;
    }
    int bad = 0;
    uint64_t total_bytes = 0, total_events = 0;
    for (size_t i = 0; i < ix->n; i++) {
        const char *name = ix->names[i];
        int last = i + 1 == ix->n;
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd == -1) {
            fprintf(out, "ERROR %s: listed in %s but cannot be opened: %s\n", name, index_name, strerror(errno));
            bad++;
            continue;
        }
        struct binlog_scan sc;
        if (binlog_file_scan(fd, name, &sc, err, sizeof(err)) == -1) {
            fprintf(out, "ERROR %s\n", err);
            bad++;
            close(fd);
            continue;
        }
        /* Damage with intact events after it is not a torn tail: recovery refuses such a file. */
        uint64_t intact = 0;
        int mid = sc.problem[0] && binlog_file_find_intact(fd, &sc, &intact) == 1;
        close(fd);
        total_bytes += sc.file_size;
        total_events += sc.events;
        int file_bad = 0;
        if (sc.problem[0]) {
            fprintf(out, "ERROR %s:%llu: %s", name, (unsigned long long)sc.problem_offset, sc.problem);
            if (mid) fprintf(out, " (an intact event follows at %llu: damage inside the file, not a torn tail)",
                             (unsigned long long)intact);
            fputc('\n', out);
            file_bad = 1;
        } else if (sc.safe_end != sc.file_size) {
            fprintf(out, "ERROR %s:%llu: incomplete transaction at the end of the file (%llu bytes)\n", name,
                    (unsigned long long)sc.safe_end, (unsigned long long)(sc.file_size - sc.safe_end));
            file_bad = 1;
        }
        if (!last) {
            if (sc.end_type == EV_ROTATE && strcmp(sc.rotate_name, ix->names[i + 1])) {
                fprintf(out, "ERROR %s: ends with ROTATE to %s, but the index continues with %s\n", name,
                        sc.rotate_name, ix->names[i + 1]);
                file_bad = 1;
            }
            if (sc.end_type && sc.in_use) {
                fprintf(out, "ERROR %s:21: closed file still has IN_USE set\n", name);
                file_bad = 1;
            }
            if (!sc.end_type)
                fprintf(out, "WARN  %s: ends without ROTATE/STOP (the primary crashed or binlogd switched upstream)\n", name);
        } else if (sc.end_type && sc.in_use) {
            fprintf(out, "ERROR %s:21: file ended with %s but IN_USE is still set\n", name,
                    sc.end_type == EV_ROTATE ? "ROTATE" : "STOP");
            file_bad = 1;
        }
        if (!file_bad)
            fprintf(out, "OK    %s size=%llu events=%llu%s\n", name, (unsigned long long)sc.file_size,
                    (unsigned long long)sc.events, last && !sc.end_type ? " (active)" : "");
        bad += file_bad;
    }
    bad += check_strays(dirfd, ix, out);
    bad += check_gtid_index(dirfd, index_name, ix, out);
    bad += check_gtidpos(dirfd, ix, out);
    bad += check_journal(dirfd, ix, out);
    fprintf(out, "%s: %zu files, %llu bytes, %llu events, %d problem%s\n", bad ? "FAILED" : "VERIFIED", ix->n,
            (unsigned long long)total_bytes, (unsigned long long)total_events, bad, bad == 1 ? "" : "s");
    index_free(ix);
    close(dirfd);
    return bad ? 1 : 0;
}
