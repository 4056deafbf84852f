/*
 * cursor.c - see cursor.h.
 *
 * The committed end of the current file is cached in `limit` and refreshed from the store
 * only when the cursor reaches it, so streaming a backlog costs no lock per event.
 */
#include "storage/cursor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/wire.h"
#include "storage/index.h"

#define CURSOR_WIN 16384   /* read-ahead window; freed when the reader goes idle */

struct cursor {
    struct store *store;
    char name[EV_MAX_NAME_LEN + 1];
    int fd;
    uint64_t pos;          /* next event starts here */
    uint64_t limit;        /* committed bytes of the current file, as last seen */
    uint8_t *win;          /* read-ahead window [win_off, win_off + win_len) of the file */
    uint64_t win_off;
    size_t win_len;
};

const char *cursor_open_error_name(enum cursor_open_error e)
{
    switch (e) {
    case CURSOR_OPEN_OK: return "ok";
    case CURSOR_OPEN_BAD_NAME: return "bad_name";
    case CURSOR_OPEN_NO_FILE: return "no_file";
    case CURSOR_OPEN_POS_LOW: return "pos_low";
    case CURSOR_OPEN_POS_HIGH: return "pos_high";
    case CURSOR_OPEN_POS_MIDEVENT: return "pos_midevent";
    case CURSOR_OPEN_IO: return "io";
    case CURSOR_OPEN_CORRUPT: return "corrupt";
    }
    return "?";
}

struct cursor *cursor_new(struct store *s)
{
    struct cursor *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->store = s;
    c->fd = -1;
    return c;
}

static void close_file(struct cursor *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->win_len = 0;
}

void cursor_free(struct cursor *c)
{
    if (!c) return;
    close_file(c);
    free(c->win);
    free(c);
}

void cursor_idle(struct cursor *c)
{
    free(c->win);
    c->win = NULL;
    c->win_len = 0;
}

const char *cursor_file(const struct cursor *c) { return c->name; }
uint64_t cursor_pos(const struct cursor *c) { return c->pos; }

int cursor_pread(struct cursor *c, uint8_t *buf, size_t len, uint64_t offset, char *err, size_t errlen)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(c->fd, buf + done, len - done, (off_t)(offset + done));
        if (n == -1) {
            if (errno == EINTR) continue;
            snprintf(err, errlen, "%s:%llu: read failed: %s", c->name, (unsigned long long)(offset + done), strerror(errno));
            return -1;
        }
        if (n == 0) {
            snprintf(err, errlen, "%s:%llu: unexpected end of file", c->name, (unsigned long long)(offset + done));
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Copy the 19-byte header at off into hdr, through the window. */
static int read_header(struct cursor *c, uint64_t off, uint8_t *hdr, char *err, size_t errlen)
{
    if (c->win && off >= c->win_off && off + EV_HEADER_LEN <= c->win_off + c->win_len) {
        memcpy(hdr, c->win + (off - c->win_off), EV_HEADER_LEN);
        return 0;
    }
    if (!c->win && !(c->win = malloc(CURSOR_WIN))) return cursor_pread(c, hdr, EV_HEADER_LEN, off, err, errlen);
    /* Fill the window with what is committed from off on (never beyond the limit). */
    uint64_t avail = c->limit > off ? c->limit - off : 0;
    size_t want = avail < CURSOR_WIN ? (size_t)avail : CURSOR_WIN;
    if (want < EV_HEADER_LEN) want = EV_HEADER_LEN;
    if (cursor_pread(c, c->win, want, off, err, errlen) == -1) {
        c->win_len = 0;
        return -1;
    }
    c->win_off = off;
    c->win_len = want;
    memcpy(hdr, c->win, EV_HEADER_LEN);
    return 0;
}

static int refresh_limit(struct cursor *c)
{
    struct store_file_info fi;
    if (store_file_lookup(c->store, c->name, &fi) == -1) return -1;
    c->limit = fi.size;
    return 0;
}

static enum cursor_open_error open_file(struct cursor *c, const char *name, char *err, size_t errlen)
{
    struct store_file_info fi;
    if (store_file_lookup(c->store, name, &fi) == -1) {
        snprintf(err, errlen, "Could not find first log file name in binary log index file");
        return CURSOR_OPEN_NO_FILE;
    }
    int fd = openat(store_dir_fd(c->store), name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
        return CURSOR_OPEN_IO;
    }
    close_file(c);
    c->fd = fd;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->limit = fi.size;
    c->pos = BINLOG_MAGIC_LEN;
    return CURSOR_OPEN_OK;
}

/* Check the event header at c->pos: sane, whole below the limit, log_pos continues. */
static int check_event(struct cursor *c, struct ev_header *h, char *err, size_t errlen)
{
    uint8_t hdr[EV_HEADER_LEN];
    const char *why = NULL;
    if (read_header(c, c->pos, hdr, err, errlen) == -1) return -1;
    if (ev_header_parse(hdr, sizeof(hdr), h, &why) != EV_OK) {
        snprintf(err, errlen, "%s:%llu: bad event header: %s", c->name, (unsigned long long)c->pos, why ? why : "?");
        return -1;
    }
    if (c->pos + h->event_size > c->limit) {
        snprintf(err, errlen, "%s:%llu: event of %u bytes runs past the committed end %llu", c->name,
                 (unsigned long long)c->pos, h->event_size, (unsigned long long)c->limit);
        return -1;
    }
    /* log_pos is 32 bits on disk: in files over 4 GiB it wraps, so compare modulo 2^32. */
    if (h->log_pos != (uint32_t)(c->pos + h->event_size)) {
        snprintf(err, errlen, "%s:%llu: log_pos %u does not continue the file (expected %llu)", c->name,
                 (unsigned long long)c->pos, h->log_pos, (unsigned long long)(c->pos + h->event_size));
        return -1;
    }
    return 0;
}

enum cursor_open_error cursor_open(struct cursor *c, const char *name, uint64_t pos, char *err, size_t errlen)
{
    struct store_file_info first;
    const char *why = NULL;
    if (!name[0]) {
        if (store_files(c->store, &first, 1) == 0) {
            snprintf(err, errlen, "Could not find first log file name in binary log index file");
            return CURSOR_OPEN_NO_FILE;
        }
        name = first.name;
    } else if (index_name_check(name, strlen(name), &why) == -1) {
        snprintf(err, errlen, "Could not find first log file name in binary log index file");
        return CURSOR_OPEN_BAD_NAME;
    }
    if (pos < BINLOG_MAGIC_LEN) {
        snprintf(err, errlen, "Client requested master to start replication from position < 4");
        return CURSOR_OPEN_POS_LOW;
    }
    enum cursor_open_error e = open_file(c, name, err, errlen);
    if (e != CURSOR_OPEN_OK) return e;
    if (pos > c->limit) {
        snprintf(err, errlen, "Client requested master to start replication from position > file size");
        close_file(c);
        return CURSOR_OPEN_POS_HIGH;
    }
    /* Walk headers to pos: a position inside an event would make us send garbage. */
    while (c->pos < pos) {
        struct ev_header h;
        if (check_event(c, &h, err, errlen) == -1) {
            close_file(c);
            return CURSOR_OPEN_CORRUPT;
        }
        c->pos += h.event_size;
    }
    if (c->pos != pos) {
        snprintf(err, errlen, "Client requested master to start replication from impossible position: %llu is "
                 "inside an event in '%s'", (unsigned long long)pos, name);
        close_file(c);
        return CURSOR_OPEN_POS_MIDEVENT;
    }
    return CURSOR_OPEN_OK;
}

size_t cursor_read_fde(struct cursor *c, uint8_t *buf, size_t cap, char *err, size_t errlen)
{
    uint8_t hdr[EV_HEADER_LEN];
    struct ev_header h;
    const char *why = NULL;
    if (cursor_pread(c, hdr, sizeof(hdr), BINLOG_MAGIC_LEN, err, errlen) == -1) return 0;
    if (ev_header_parse(hdr, sizeof(hdr), &h, &why) != EV_OK || h.type != EV_FORMAT_DESCRIPTION) {
        snprintf(err, errlen, "%s:4: no FORMAT_DESCRIPTION event", c->name);
        return 0;
    }
    if (h.event_size > cap) {
        snprintf(err, errlen, "%s:4: FORMAT_DESCRIPTION of %u bytes is too large", c->name, h.event_size);
        return 0;
    }
    if (cursor_pread(c, buf, h.event_size, BINLOG_MAGIC_LEN, err, errlen) == -1) return 0;
    return h.event_size;
}

enum cursor_result cursor_next(struct cursor *c, struct cursor_item *item, char *err, size_t errlen)
{
    if (c->fd < 0) {
        snprintf(err, errlen, "cursor is not positioned");
        return CURSOR_ERROR;
    }
    if (c->pos >= c->limit) {
        if (refresh_limit(c) == -1) {
            snprintf(err, errlen, "%s: no longer in the index (purged?)", c->name);
            return CURSOR_ERROR;
        }
        if (c->pos >= c->limit) {
            struct store_file_info next;
            if (store_file_next(c->store, c->name, &next) == -1) return CURSOR_WAIT;
            /* A newer file exists, so this one is final: re-read its size once more, since
             * the last bytes may have been committed just before the switch. */
            if (refresh_limit(c) == 0 && c->pos < c->limit) goto have_data;
            if (open_file(c, next.name, err, errlen) != CURSOR_OPEN_OK) return CURSOR_ERROR;
            struct ev_header h;
            if (check_event(c, &h, err, errlen) == -1) return CURSOR_ERROR;
            if (h.type != EV_FORMAT_DESCRIPTION) {
                snprintf(err, errlen, "%s:4: first event is %s, not FORMAT_DESCRIPTION", c->name, ev_type_name(h.type));
                return CURSOR_ERROR;
            }
            c->pos += h.event_size;
            return CURSOR_NEXT_FILE;
        }
    }
have_data:
    if (check_event(c, &item->h, err, errlen) == -1) return CURSOR_ERROR;
    item->fd = c->fd;
    item->offset = c->pos;
    item->len = item->h.event_size;
    item->data = NULL;
    if (c->win && c->pos >= c->win_off && c->pos + item->len <= c->win_off + c->win_len)
        item->data = c->win + (c->pos - c->win_off);
    c->pos += item->h.event_size;
    return CURSOR_EVENT;
}
