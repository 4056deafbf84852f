/*
 * dump_resolve.c - where a GTID dump starts (dump.h: dump_gtid_resolve,
 * dump_gtid_resolve_mysql): the store's per-file GTID states, preceded by those of the files
 * purged here but archived, handed to protocol/gtid_start.c, which checks the replica's
 * state as a primary does and picks the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/errmsg.h"
#include "protocol/gtid_start.h"
#include "server/replicas/dump.h"
#include "storage/archive_state.h"
#include "storage/store.h"

/* Both GTID dialects: the store's GTID view in, a resolved start (and its file) out. data/len
 * is the MySQL set (mysql = 1), req the MariaDB @slave_connect_state otherwise. */
static struct gtid_start *resolve(struct store *store, struct archive_state *archive, int mysql, const char *req,
                                  int strict, int ignore_duplicates, const uint8_t *data, size_t len, char *file,
                                  size_t cap, struct myerr *e)
{
    struct store_gtid_file *v = NULL;
    struct archive_purged_file *pv = NULL;
    size_t n = 0, np = 0, na = 0;
    struct gtid_start *gs = calloc(1, sizeof(*gs));
    struct gtid_start_file *files = NULL;
    if (!gs || store_gtid_files(store, &v, &n) == -1 || (archive && archive_state_purged_files(archive, &pv, &np) == -1) ||
        (n + np && !(files = calloc(n + np, sizeof(*files))))) {
        myerr_custom(e, 1037, "Out of memory");
        goto fail;
    }
    gtid_start_init(gs);
    /* Purged but archived files come first (oldest first), with the GTID states recorded
     * when they were archived; a name the index still lists is the local file's. Only the
     * newest run of them whose states are known: an older state then gets the primary's
     * "too old" refusal, not an unreadable-list one. */
    size_t from = np;
    while (from > 0 && pv[from - 1].flavor != GTID_TRACK_NONE) from--;
    for (size_t i = from; i < np; i++) {
        int local = 0;
        for (size_t k = 0; k < n && !local; k++) local = !strcmp(v[k].name, pv[i].name);
        if (local) continue;
        files[na].name = pv[i].name;
        files[na].known = 1;
        files[na].flavor = (enum gtid_track_flavor)pv[i].flavor;
        files[na].start = pv[i].start;
        na++;
    }
    for (size_t i = 0; i < n; i++) {
        files[na + i].name = v[i].name;
        files[na + i].known = v[i].known;
        files[na + i].flavor = (enum gtid_track_flavor)v[i].flavor;
        files[na + i].start = v[i].start;
    }
    /* The state the history ends with is the newest file's end (each file's list carries it on). */
    enum gtid_track_flavor want = mysql ? GTID_TRACK_MYSQL : GTID_TRACK_MARIA;
    const char *end = n && v[n - 1].known && v[n - 1].flavor == (int)want ? v[n - 1].end : "";
    size_t at = 0;
    int rc = mysql ? gtid_start_resolve_mysql(gs, data, len, end, files, na + n, &at, e)
                   : gtid_start_resolve(gs, req, strlen(req), strict, ignore_duplicates, end, files, na + n, &at, e);
    if (rc == -1) {
        gtid_start_free(gs);
        goto fail;
    }
    snprintf(file, cap, "%s", files[at].name);
    free(files);
    store_gtid_files_free(v, n);
    archive_state_purged_free(pv, np);
    return gs;
fail:
    free(gs);
    free(files);
    store_gtid_files_free(v, n);
    archive_state_purged_free(pv, np);
    return NULL;
}

struct gtid_start *dump_gtid_resolve_mysql(struct store *store, struct archive_state *archive, const uint8_t *data,
                                           size_t len, char *file, size_t cap, struct myerr *e)
{
    return resolve(store, archive, 1, NULL, 0, 0, data, len, file, cap, e);
}

struct gtid_start *dump_gtid_resolve(struct store *store, struct archive_state *archive, const char *req, int strict,
                                     int ignore_duplicates, char *file, size_t cap, struct myerr *e)
{
    return resolve(store, archive, 0, req, strict, ignore_duplicates, NULL, 0, file, cap, e);
}
