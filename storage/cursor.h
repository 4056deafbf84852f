/*
 * cursor.h - one reader's position in the store: whole events, one at a time, never past
 * the committed watermark, hopping to the next file when one is complete.
 *
 * The cursor does not copy event bodies: it hands back (fd, offset, len) so the caller can
 * send them with sendfile/evbuffer_add_file_segment. It reads event headers through a small
 * read-ahead window that it frees when idle, so a replica waiting at the end of the log
 * costs one file descriptor and a few hundred bytes.
 *
 * Corruption at rest: an event that lies beyond its file's verified horizon (store.h: bytes
 * this process wrote, recovery scanned, or a reader already checked) has its CRC32 checked
 * before it is handed out, when the file's FORMAT_DESCRIPTION says events carry one; files
 * without checksums get the header checks only. The horizon is shared through the store, so
 * each byte is checked once per process however many replicas read it, and serving what
 * this process ingested costs nothing extra.
 *
 * Thread: the thread that owns the replica session (the loop thread). Not shared.
 */
#ifndef BINLOGD_STORAGE_CURSOR_H
#define BINLOGD_STORAGE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include "protocol/event.h"
#include "storage/store.h"

enum cursor_result {
    CURSOR_EVENT = 0,        /* *item is the next event */
    CURSOR_NEXT_FILE,        /* moved to the next file (positioned after its FDE); send fake
                                ROTATE + that file's FDE, then continue */
    CURSOR_WAIT,             /* at the committed watermark: nothing more to read yet */
    CURSOR_FILE_END,         /* at the end of a file opened by cursor_open_path (outside the
                                store): the caller finds the next file and opens it */
    CURSOR_ERROR             /* err says what and where (file:offset) */
};

/* What made the last cursor_next or cursor_read_fde fail, so the dump can answer with the
 * primary's words for it (MariaDB's LOG_READ_* texts). */
enum cursor_fault {
    CURSOR_FAULT_NONE = 0,
    CURSOR_FAULT_IO,         /* a read failed */
    CURSOR_FAULT_BOGUS,      /* a header that does not parse, runs past the committed end, or
                                whose log_pos breaks the chain */
    CURSOR_FAULT_CHECKSUM,   /* the event's CRC32 does not match its bytes */
    CURSOR_FAULT_PURGED,     /* the file being read was purged from the index: the next one
                                cannot be found (MariaDB: "could not find next log") */
    CURSOR_FAULT_OTHER       /* not about the bytes: cannot open */
};

/* Why cursor_open refused: the dump command answers each with ERR 1236 in a primary's words. */
enum cursor_open_error {
    CURSOR_OPEN_OK = 0,
    CURSOR_OPEN_BAD_NAME,    /* '/', "..", NUL, too long */
    CURSOR_OPEN_NO_FILE,     /* not in the index */
    CURSOR_OPEN_POS_LOW,     /* pos < 4 */
    CURSOR_OPEN_POS_HIGH,    /* pos > committed size of the file */
    CURSOR_OPEN_POS_MIDEVENT,/* pos is not an event boundary */
    CURSOR_OPEN_IO,          /* open/read failed */
    CURSOR_OPEN_CORRUPT      /* the stored file does not parse up to pos */
};

struct cursor_item {
    int      fd;             /* the file's descriptor; owned by the cursor */
    uint64_t offset;         /* where the event starts in the file */
    uint32_t len;            /* whole event length */
    struct ev_header h;
    const uint8_t *data;     /* the whole event when it lies in the read-ahead window (valid
                                until the next cursor call), else NULL: read it from fd */
};

struct cursor;

/* New cursor over store s (not positioned). NULL on ENOMEM. */
struct cursor *cursor_new(struct store *s);
void cursor_free(struct cursor *c);

/* Position at (name, pos). An empty name means the first file in the index. pos must be 4 or
 * an event boundary within the file's committed bytes. On failure returns the reason and
 * fills err; the cursor is left unpositioned. */
enum cursor_open_error cursor_open(struct cursor *c, const char *name, uint64_t pos, char *err, size_t errlen);

/* Position at (name, pos) in a file outside the store: path is a complete copy nobody writes
 * (a file restored from the archive, checked whole before it is handed out: server/ops/
 * restore.h), read by this cursor alone through its own descriptor. Its bytes count as
 * verified (the restore check read every event's CRC and the log_pos chain); at its end
 * cursor_next returns CURSOR_FILE_END, since the store does not know what follows. Errors and
 * pos rules as cursor_open (CURSOR_OPEN_IO when path cannot be opened). */
enum cursor_open_error cursor_open_path(struct cursor *c, const char *name, const char *path, uint64_t pos, char *err,
                                        size_t errlen);

/* Move within the current file to pos, an event boundary the caller vouches for (a GTID
 * position index entry checked against the file, storage/gtidpos.h): no header walk. The
 * events from pos on are checked as usual. 0, or -1 (not positioned, pos < 4 or beyond the
 * committed bytes: the cursor is unchanged). */
int cursor_seek(struct cursor *c, uint64_t pos);

/* The current file's name and the offset of the next event to read. */
const char *cursor_file(const struct cursor *c);
uint64_t cursor_pos(const struct cursor *c);

/* Read the current file's FORMAT_DESCRIPTION (at offset 4) into buf, checking its CRC when it
 * carries one. Returns its length, or 0 with err filled (cap too small, I/O error, corrupt). */
size_t cursor_read_fde(struct cursor *c, uint8_t *buf, size_t cap, char *err, size_t errlen);

/* Advance: see enum cursor_result. The returned event is whole and lies below the watermark;
 * its header is sane, its log_pos continues the file, and its CRC was checked unless the
 * bytes were already known good (see above). */
enum cursor_result cursor_next(struct cursor *c, struct cursor_item *item, char *err, size_t errlen);

/* Read bytes of the current file (e.g. an event body for CRC checks or for non-zero-copy
 * sends). Returns 0, or -1 with err. */
int cursor_pread(struct cursor *c, uint8_t *buf, size_t len, uint64_t offset, char *err, size_t errlen);

/* The fault behind the last CURSOR_ERROR (or failed cursor_read_fde): its kind, where the
 * event starts (*at) and how far it was read (*upto). CURSOR_FAULT_NONE after a success. */
enum cursor_fault cursor_fault(const struct cursor *c, uint64_t *at, uint64_t *upto);

/* Bound the read-ahead window by *max bytes (read at every refill, so the owner may change it
 * at any time: the listener shares a budget among its streaming readers; clamped to
 * [16 KiB, 128 KiB]). max must outlive the cursor; NULL = 128 KiB. */
void cursor_set_window_max(struct cursor *c, const uint32_t *max);

/* Drop the read-ahead window (call when the replica waits at the end of the log). */
void cursor_idle(struct cursor *c);

const char *cursor_open_error_name(enum cursor_open_error e);

#endif
