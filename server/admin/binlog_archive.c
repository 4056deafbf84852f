/*
 * binlog_archive.c - see binlog_archive.h.
 */
#include "server/admin/binlog_archive.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "storage/archive_state.h"
#include "storage/store.h"
#include "storage/zfile.h"

static const char *when(int64_t t, char *buf, size_t cap)
{
    if (t <= 0) return NULL;
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm)) return NULL;
    return buf;
}

/* The local copy: compressed (name.z) or plain, and its bytes on disk. 0, or -1 when neither
 * is there (purged). */
static int local_copy(const struct stmt_ctx *ctx, const char *name, int *compressed, uint64_t *bytes)
{
    int dfd = ctx->store ? store_dir_fd(ctx->store) : -1;
    if (dfd < 0) return -1;
    return zfile_stored_bytes(dfd, name, compressed, bytes);
}

static int add_row(const struct stmt_ctx *ctx, struct stmt_result *r, const char *name, uint64_t size,
                   const struct archive_file_status *a, const char *state)
{
    char sz[24], att[16], last[32], at[32], stored[24];
    int compressed = 0;
    uint64_t bytes = 0;
    int local = strcmp(state, "purged") && local_copy(ctx, name, &compressed, &bytes) == 0;
    snprintf(stored, sizeof(stored), "%" PRIu64, bytes);
    snprintf(sz, sizeof(sz), "%" PRIu64, size);
    snprintf(att, sizeof(att), "%" PRIu32, a ? a->attempts : 0);
    const char *cells[] = {name, sz, a && a->archived ? "Yes" : "No", state, att,
                           a ? when(a->last_attempt, last, sizeof(last)) : NULL,
                           a && a->last_error[0] ? a->last_error : "",
                           a && a->archived ? when(a->archived_at, at, sizeof(at)) : NULL,
                           local ? (compressed ? "Yes" : "No") : NULL, local ? stored : NULL};
    return stmt_row(r, cells);
}

void binlog_archive_show(const struct stmt_ctx *ctx, struct stmt_result *r)
{
    static const char *const names[] = {"Log_name", "File_size", "Archived", "State", "Attempts",
                                        "Last_attempt", "Last_error", "Archived_at", "Compressed", "Stored_size"};
    if (stmt_columns(r, names, 10) == -1) return;
    stmt_column_type(r, 1, STMT_COL_LONGLONG);
    stmt_column_type(r, 4, STMT_COL_LONG);
    stmt_column_type(r, 9, STMT_COL_LONGLONG);
    struct archive_stats s = {0};
    struct archive_file_status *known = NULL;
    size_t nknown = 0;
    if (ctx->archive) {
        archive_state_stats(ctx->archive, &s);
        size_t n = archive_state_list(ctx->archive, NULL, 0);
        if (n && !(known = calloc(n, sizeof(*known)))) { r->oom = 1; return; }
        nknown = archive_state_list(ctx->archive, known, n);
        if (nknown > n) nknown = n;
        /* Files whose local copy is gone: only the archive has them. */
        for (size_t i = 0; i < nknown; i++)
            if (known[i].purged && add_row(ctx, r, known[i].name, known[i].size, &known[i], "purged") == -1) goto out;
    }
    size_t nf = ctx->store ? store_files(ctx->store, NULL, 0) : 0;
    struct store_file_info *files = nf ? calloc(nf, sizeof(*files)) : NULL;
    if (nf && !files) { r->oom = 1; goto out; }
    if (nf) {
        size_t now = store_files(ctx->store, files, nf);   /* the index may have changed since */
        if (now < nf) nf = now;
    }
    for (size_t i = 0; i < nf; i++) {
        const struct archive_file_status *a = NULL;
        for (size_t k = 0; k < nknown; k++)
            if (!strcmp(known[k].name, files[i].name)) { a = &known[k]; break; }
        const char *state;
        if (a && a->archived) state = "archived";
        else if (!s.enabled) state = "off";
        else if (!files[i].sealed) state = "active";
        else if (s.running && !strcmp(s.current, files[i].name)) state = "archiving";
        else if (a && a->last_error[0]) state = "failing";
        else state = "waiting";
        if (add_row(ctx, r, files[i].name, a && a->archived ? a->size : files[i].size, a, state) == -1) break;
    }
    free(files);
out:
    free(known);
}
