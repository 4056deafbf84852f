/*
 * fuzz_storage.c - libFuzzer harness: the bytes binlogd reads back from its own data
 * directory, which a crash, a full disk or an operator may have damaged.
 *
 * Input: a selector byte, then the file's bytes:
 *   0  the commit journal (.binlogd-journal): journal_scan, every record's fields read
 *   1  the GTID index (<base>.gtid_index): gix_parse; what parses formats and parses back
 *      to the same text
 *   2  the binlog index (<base>.index): index_parse, the same round trip, the name helpers
 *   3  one file name: index_name_check, index_split_name, cmd_binlog_name_check
 *   4  a GTID position sidecar (<file>.gtidpos): gpos_parse; what parses has increasing
 *      offsets, formats and parses back to the same text, and can be searched and cut
 *   5  a compressed binlog file (NAME.z, protocol/zblocks.h): header, trailer and block index
 *      parsed as storage/zfile.c does; what parses serialises back to the same bytes and its
 *      blocks lie inside the file
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/command.h"
#include "protocol/zblocks.h"
#include "storage/gtid_index.h"
#include "storage/gtidpos.h"
#include "storage/index.h"
#include "storage/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_rec(void *arg, const struct journal_rec *r)
{
    unsigned *sum = arg;
    for (size_t i = 0; i < r->name_len; i++) *sum += (unsigned char)r->name[i];
    if (r->len) *sum += r->data[0] + r->data[r->len - 1];
    *sum += (unsigned)(r->generation ^ r->seq ^ r->offset ^ r->at);
    return 0;
}

static void journal(const uint8_t *p, size_t n)
{
    unsigned sum = 0;
    (void)journal_scan(p, n, on_rec, &sum);
}

static void gtid_index(const uint8_t *p, size_t n)
{
    char err[256];
    struct gtid_index *ix = gix_new(), *ix2 = gix_new();
    char *t1 = NULL, *t2 = NULL;
    size_t l1, l2;
    if (!ix || !ix2) goto out;
    if (gix_parse(ix, (const char *)p, n, err, sizeof(err)) != 0) goto out;
    for (size_t i = 0; i < ix->n; i++)
        if (gix_find(ix, ix->v[i].name) == NULL) abort();
    if (gix_format(ix, &t1, &l1) != 0) goto out;
    if (gix_parse(ix2, t1, l1, err, sizeof(err)) != 0) abort();   /* we read what we write */
    if (gix_format(ix2, &t2, &l2) != 0) goto out;
    if (l1 != l2 || memcmp(t1, t2, l1)) abort();
    if (ix->n) {
        char *names[1] = {ix->v[ix->n - 1].name};
        gix_retain(ix, names, 1);
    }
out:
    free(t1);
    free(t2);
    gix_free(ix);
    gix_free(ix2);
}

static void binlog_index(const uint8_t *p, size_t n)
{
    char err[256], base[EV_MAX_NAME_LEN + 1];
    const char *why;
    uint64_t num;
    struct binlog_index *ix = index_new(), *ix2 = index_new();
    char *t1 = NULL, *t2 = NULL;
    size_t l1, l2;
    if (!ix || !ix2) goto out;
    if (index_parse(ix, (const char *)p, n, err, sizeof(err)) != 0) goto out;
    for (size_t i = 0; i < ix->n; i++) {
        if (index_name_check(ix->names[i], strlen(ix->names[i]), &why) != 0) abort();   /* never a bad name */
        if (index_find(ix, ix->names[i]) != (long)i) abort();   /* no duplicates */
        (void)index_split_name(ix->names[i], base, sizeof(base), &num);
    }
    if (index_format(ix, &t1, &l1) != 0) goto out;
    if (index_parse(ix2, t1, l1, err, sizeof(err)) != 0) abort();
    if (index_format(ix2, &t2, &l2) != 0) goto out;
    if (l1 != l2 || memcmp(t1, t2, l1)) abort();
    if (ix->n) index_remove(ix, 0);
out:
    free(t1);
    free(t2);
    index_free(ix);
    index_free(ix2);
}

static void name(const uint8_t *p, size_t n)
{
    const char *why;
    char base[64];
    uint64_t num;
    (void)index_name_check((const char *)p, n, &why);
    (void)cmd_binlog_name_check((const char *)p, n, &why);
    char *s = malloc(n + 1);
    if (!s) return;
    memcpy(s, p, n);
    s[n] = 0;
    (void)index_split_name(s, base, sizeof(base), &num);
    free(s);
}

static int below(void *arg, const struct gpos_entry *e) { return e->off <= *(const uint64_t *)arg; }

static void gtidpos(const uint8_t *p, size_t n)
{
    char err[256];
    struct gpos_file f, f2;
    gpos_file_init(&f);
    gpos_file_init(&f2);
    char *t1 = NULL, *t2 = NULL;
    size_t l1, l2;
    if (gpos_parse(&f, (const char *)p, n, err, sizeof(err)) != 0) goto out;
    for (size_t i = 1; i < f.n; i++)
        if (f.v[i].off <= f.v[i - 1].off || f.v[i].seg > f.v[i].off) abort();
    if (gpos_format(&f, &t1, &l1) != 0) goto out;
    if (gpos_parse(&f2, t1, l1, err, sizeof(err)) != 0) abort();   /* we read what we write */
    if (gpos_format(&f2, &t2, &l2) != 0) goto out;
    if (l1 != l2 || memcmp(t1, t2, l1)) abort();
    if (f.n) {
        uint64_t mid = f.v[f.n / 2].off;
        long k = gpos_search(&f, 0, below, &mid);
        if (k != (long)(f.n / 2)) abort();
        gpos_file_cut(&f, mid);
        if (f.n != f2.n / 2 + 1) abort();
    }
out:
    free(t1);
    free(t2);
    gpos_file_free(&f);
    gpos_file_free(&f2);
}

static void zblocks(const uint8_t *p, size_t n)
{
    struct zb_header h;
    struct zb_trailer t;
    const char *why = NULL;
    uint8_t b[ZB_TRAILER_LEN];
    if (zb_header_parse(p, n, &h, &why) == -1) return;
    zb_header_put(b, &h);
    if (memcmp(b, p, ZB_HEADER_LEN)) abort();
    if (n < ZB_TRAILER_LEN || zb_trailer_parse(p + n - ZB_TRAILER_LEN, ZB_TRAILER_LEN, n, &h, &t, &why) == -1) return;
    zb_trailer_put(b, &t);
    if (memcmp(b, p + n - ZB_TRAILER_LEN, ZB_TRAILER_LEN)) abort();
    size_t ilen = (size_t)t.nblocks * ZB_ENTRY_LEN;
    struct zb_block *v = malloc(t.nblocks ? t.nblocks * sizeof(*v) : 1);
    if (!v) return;
    if (zb_index_parse(p + t.index_off, ilen, &h, &t, v, &why) == 0) {
        uint64_t orig = 0;
        for (uint32_t i = 0; i < t.nblocks; i++) {
            if (v[i].off < ZB_HEADER_LEN || v[i].off + v[i].clen > t.index_off) abort();
            zb_entry_put(b, &v[i]);
            if (memcmp(b, p + t.index_off + (size_t)i * ZB_ENTRY_LEN, ZB_ENTRY_LEN)) abort();
            orig += zb_block_len(&h, &t, i);
        }
        if (orig != t.orig_size) abort();
    }
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);   /* exact size: a read past the end is caught */
    if (!p) return 0;
    memcpy(p, data + 1, n);
    switch (data[0] % 6) {
    case 0: journal(p, n); break;
    case 1: gtid_index(p, n); break;
    case 2: binlog_index(p, n); break;
    case 3: name(p, n); break;
    case 4: gtidpos(p, n); break;
    case 5: zblocks(p, n); break;
    }
    free(p);
    return 0;
}
