/*
 * binlog_events.c - see binlog_events.h. The file is read through a storage cursor of the
 * statement's own, so the rows show exactly the committed, checked bytes a replica would be
 * sent; the cursor's hop to the next file ends the listing (SHOW BINLOG EVENTS shows one
 * file).
 */
#include "server/admin/binlog_events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/event_info.h"
#include "storage/cursor.h"
#include "storage/store.h"

#define CMD "Error when executing command SHOW BINLOG EVENTS: "
#define FDE_MAX 4096

/* mariadbd sends the columns first and fails after them: so does binlogd. */
static void fail(struct stmt_result *r, const char *what)
{
    stmt_late_errf(r, 1220, CMD "%.128s", what);
}

/* mariadbd's answer for a file listed in the index whose bytes cannot be opened. */
static void fail_open(const struct stmt_ctx *c, struct stmt_result *r, const char *name)
{
    stmt_late_errf(r, 29, "File '%s/%s' not found (Errcode: 2 \"No such file or directory\")", c->cfg->data_dir, name);
}

/* The bytes of one event the Info text needs: from the cursor's window, else read into *buf. */
static const uint8_t *event_bytes(struct cursor *cur, const struct cursor_item *it, size_t need, uint8_t **buf,
                                  size_t *cap, char *err, size_t errlen)
{
    if (it->data) return it->data;
    if (need > *cap) {
        uint8_t *b = realloc(*buf, need);
        if (!b) return NULL;
        *buf = b;
        *cap = need;
    }
    return cursor_pread(cur, *buf, need, it->offset, err, errlen) == 0 ? *buf : NULL;
}

static const char *const columns[] = {"Log_name", "Pos", "Event_type", "Server_id", "End_log_pos", "Info"};

/* One row for the event *it. 0, 1 when the cap is reached, -1 (r holds the error). */
static int add_row(struct cursor *cur, const struct cursor_item *it, const struct ev_fmt *fmt, const char *name,
                   struct bbuf *info, uint8_t **buf, size_t *cap, size_t max_bytes, struct stmt_result *r)
{
    char err[256];
    const char *why = NULL;
    size_t need = ev_info_need(&it->h, fmt);
    if (need > max_bytes) return 1;
    const uint8_t *ev = event_bytes(cur, it, need, buf, cap, err, sizeof(err));
    if (!ev) {
        fail(r, "Wrong offset or I/O error");
        return -1;
    }
    bbuf_reset(info);
    if (ev_info_format(ev, need, fmt, info, &why) != EV_OK) {
        /* mariadbd cannot construct the event either: its read loop stops with this error. */
        fail(r, "Wrong offset or I/O error");
        return -1;
    }
    if (!bbuf_ok(info) || bbuf_append(info, "", 1) == -1) {
        r->oom = 1;
        return -1;
    }
    char pos[24], sid[16], end[24];
    snprintf(pos, sizeof(pos), "%" PRIu64, it->offset);
    snprintf(sid, sizeof(sid), "%" PRIu32, it->h.server_id);
    snprintf(end, sizeof(end), "%" PRIu32, it->h.log_pos);
    const char *cells[6] = {name, pos, ev_info_type_name(it->h.type), sid, end, (const char *)info->p};
    if (r->text_len + strlen(name) + strlen(pos) + 64 + info->len > max_bytes) return 1;
    return stmt_row(r, cells) == 0 ? 0 : -1;
}

void binlog_events_show(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r, size_t max_rows,
                        size_t max_bytes)
{
    if (stmt_columns(r, columns, 6) == -1) return;
    struct store_file_info fi;
    if (q->arg) {
        if (store_file_lookup(c->store, q->arg, &fi) == -1) {
            fail(r, "Could not find target log");
            return;
        }
    } else if (store_files(c->store, &fi, 1) == 0) {
        return;   /* nothing logged yet: mariadbd with binary logging off answers an empty set */
    }
    char err[512];
    struct cursor *cur = cursor_new(c->store);
    uint8_t *fde = malloc(FDE_MAX), *buf = NULL;
    size_t cap = 0;
    struct bbuf info;
    bbuf_init(&info);
    if (!cur || !fde) {
        r->oom = 1;
        goto out;
    }
    enum cursor_open_error oe = cursor_open(cur, fi.name, 4, err, sizeof(err));
    if (oe == CURSOR_OPEN_NO_FILE) {
        fail(r, "Could not find target log");   /* purged since the lookup */
        goto out;
    }
    if (oe != CURSOR_OPEN_OK) {
        fail_open(c, r, fi.name);
        goto out;
    }
    struct ev_fde f;
    struct ev_fmt fmt;
    const char *why;
    size_t n = cursor_read_fde(cur, fde, FDE_MAX, err, sizeof(err));
    if (!n || ev_fde_parse(fde, n, &f, &why) != EV_OK) {
        fail(r, "Wrong offset or I/O error");
        goto out;
    }
    ev_fmt_from_fde(&fmt, &f);
    uint64_t from = q->has_from && q->from > 4 ? q->from : 4;
    /* The size the scan may read: the committed bytes (the lookup above may be a moment old). */
    if (store_file_lookup(c->store, fi.name, &fi) == -1) {
        fail(r, "Could not find target log");
        goto out;
    }
    if (from > fi.size) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Invalid pos specified. Requested from pos:%" PRIu64
                 " is greater than actual file size:%" PRIu64, from, fi.size);
        fail(r, msg);
        goto out;
    }
    oe = cursor_open(cur, fi.name, from, err, sizeof(err));
    if (oe == CURSOR_OPEN_POS_MIDEVENT) {
        fail(r, fmt.checksum == EV_CHECKSUM_CRC32 ? "Wrong offset or I/O error"
                                                  : "Invalid input pos specified please provide valid one.");
        goto out;
    }
    if (oe != CURSOR_OPEN_OK) {
        fail(r, "Wrong offset or I/O error");
        goto out;
    }
    /* Select_limit_counters::set_limit: a row count of 0 drops the offset (so LIMIT 2, 0 also
     * shows the first event, through the quirk below). */
    uint64_t offset = q->has_limit && q->limit ? q->limit_offset : 0;
    uint64_t limit_end = !q->has_limit ? UINT64_MAX
                         : q->limit > UINT64_MAX - offset ? UINT64_MAX : offset + q->limit;
    for (uint64_t count = 0;;) {
        struct cursor_item it;
        enum cursor_result cr = cursor_next(cur, &it, err, sizeof(err));
        if (cr == CURSOR_NEXT_FILE || cr == CURSOR_WAIT || cr == CURSOR_FILE_END) break;
        if (cr == CURSOR_ERROR) {
            fail(r, "Wrong offset or I/O error");
            goto out;
        }
        if (count >= offset) {
            int rc = r->nrows >= max_rows ? 1 : add_row(cur, &it, &fmt, fi.name, &info, &buf, &cap, max_bytes, r);
            if (rc == -1) goto out;
            if (rc == 1) {
                char msg[128];
                snprintf(msg, sizeof(msg), "result over binlogd's cap of %zu rows / %zu MiB: narrow it with FROM and LIMIT",
                         max_rows, max_bytes >> 20);
                fail(r, msg);
                goto out;
            }
        }
        /* As mariadbd's loop: the count is checked after the event, so LIMIT 0 shows one. */
        if (++count >= limit_end) break;
    }
out:
    if (r->oom) {
        stmt_result_free(r);
        stmt_errf(r, 1037, "Out of memory");
    }
    bbuf_free(&info);
    free(buf);
    free(fde);
    cursor_free(cur);
}
