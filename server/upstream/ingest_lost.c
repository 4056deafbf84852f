/*
 * ingest_lost.c - the primary came back with a shorter copy of the file binlogd is writing
 * (it crashed without sync_binlog=1 and lost the tail binlogd already holds).
 *
 * Policy: read the primary's file from offset 4 and compare it, event by event, with binlogd's
 * bytes. When the primary's whole file is a byte-for-byte prefix of binlogd's, binlogd
 * withdraws its bytes after the last transaction boundary the two share (they go to a side
 * file, fsync'ed: they may hold transactions the primary acknowledged before losing them),
 * readers never get them again, and mirroring continues from that boundary. When the bytes
 * differ anywhere, the histories diverged: refuse, write nothing.
 *
 * Thread: the ingest thread (the store's writer).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "protocol/checksum.h"
#include "protocol/trx.h"
#include "protocol/wire.h"
#include "server/upstream/ingest_priv.h"
#include "storage/fsio.h"

#define TAG "ingest"

struct cmp {
    int fd;                 /* binlogd's copy */
    uint64_t held;          /* its committed bytes */
    uint64_t common;        /* last boundary both hold byte for byte */
    uint64_t primary_end;   /* end of the primary's last whole event in the file */
    int diverged;
    uint64_t diverged_at;
    struct trx_parser trx;
    struct ev_fmt fmt;
    uint8_t *ours;
    size_t ours_cap;
};

/* One event of the primary's file (not wire-only). 0 to go on, 1 to stop. */
static int compare_event(struct cmp *c, const struct ev_view *v)
{
    const uint8_t *ev = v->buf;
    size_t len = v->len;
    const struct ev_header *h = &v->h;
    uint64_t off = (uint64_t)h->log_pos - len;   /* files under 4 GiB here: the resume check refused others */
    if (h->type == EV_FORMAT_DESCRIPTION) {
        struct ev_fde fde;
        const char *why;
        if (ev_fde_parse(ev, len, &fde, &why) == EV_OK) ev_fmt_from_fde(&c->fmt, &fde);
        c->primary_end = off + len;
        return 0;   /* its IN_USE bit differs by design; the FDE itself is re-checked below */
    }
    if (off + len > c->held) {   /* the primary has more than we hold here: not a lost tail */
        c->diverged = 1;
        c->diverged_at = off;
        return 1;
    }
    if (len > c->ours_cap) {
        uint8_t *p = realloc(c->ours, len);
        if (!p) { c->diverged = 1; c->diverged_at = off; return 1; }
        c->ours = p;
        c->ours_cap = len;
    }
    size_t got = 0;
    if (fsio_pread_all(c->fd, c->ours, len, off, &got) == -1 || got != len || memcmp(c->ours, ev, len)) {
        c->diverged = 1;
        c->diverged_at = off;
        return 1;
    }
    const char *why;
    enum trx_verdict tv = trx_feed_view(&c->trx, v, &c->fmt, &why);
    c->primary_end = off + len;
    if (tv == TRX_GROUP_END || tv == TRX_OUTSIDE) c->common = off + len;
    return tv == TRX_BAD;
}

/* Stream the primary's `file` from 4 on a fresh connection and compare. 0, or -1 (could not
 * read the primary; err filled). */
static int compare_with_primary(struct ingest *in, const struct upstream_conf *up, const char *file, struct cmp *c,
                                char *err, size_t errlen)
{
    unsigned en;
    MYSQL *m = ingest_connect(in, up, &en, err, errlen);
    if (!m) return -1;
    int rc = -1;
    if (ingest_query_value(m, "SET @master_binlog_checksum= @@global.binlog_checksum", NULL, 0, NULL) ||
        ingest_query_value(m, "SET @mariadb_slave_capability= 4", NULL, 0, NULL)) {
        snprintf(err, errlen, "session setup failed: %s", mysql_error(m));
        goto out;
    }
    size_t fl = strlen(file);
    uint8_t pkt[10 + EV_MAX_NAME_LEN];
    wire_put_u32(pkt, 4);
    wire_put_u16(pkt + 4, 0x01 | 0x02);   /* non-blocking, with ANNOTATE_ROWS: every byte of the file */
    wire_put_u32(pkt + 6, 0);
    memcpy(pkt + 10, file, fl);
    if (m->methods->db_command(m, COM_BINLOG_DUMP, (const char *)pkt, 10 + fl, 1, NULL)) {
        snprintf(err, errlen, "COM_BINLOG_DUMP %s:4 failed: %s", file, mysql_error(m));
        goto out;
    }
    int started = 0;
    for (;;) {
        unsigned long n = mysql_net_read_packet(m);
        if (n == packet_error || n == 0) {
            /* The end of a file the primary no longer writes may come as an error (the next
             * file is missing) or as EOF: what was compared up to here stands. */
            rc = started ? 0 : -1;
            if (rc) snprintf(err, errlen, "reading %s from the primary: %s", file, mysql_error(m));
            break;
        }
        const uint8_t *p = m->net.read_pos;
        if (p[0] == 0xFE && n < 8) { rc = 0; break; }
        if (p[0] != 0x00 || n < 1 + EV_HEADER_LEN) { snprintf(err, errlen, "unexpected packet"); break; }
        struct ev_view v;
        const char *why = NULL;
        /* No CRC check (fmt NULL), as before: events are compared byte for byte with our own,
         * CRC-verified copy. */
        int vr = ev_view_parse(&v, p + 1, n - 1, NULL, &why);
        if (vr != EV_OK) {
            snprintf(err, errlen, "bad event from the primary: %s", vr == EV_VIEW_BAD_SIZE ? "size" : why);
            break;
        }
        const struct ev_header h = v.h;
        if (h.type == EV_ROTATE && ((h.flags & EV_F_ARTIFICIAL) || h.log_pos == 0)) {
            if (started) { rc = 0; break; }   /* moving on to the next file: ours is done */
            started = 1;
            continue;
        }
        if ((h.flags & EV_F_ARTIFICIAL) || h.log_pos == 0 || h.type == EV_HEARTBEAT) continue;
        if (compare_event(c, &v)) { rc = 0; break; }
        if (h.type == EV_ROTATE || h.type == EV_STOP) { rc = 0; break; }
    }
out:
    mysql_close(m);
    return rc;
}

int ingest_lost_tail(struct ingest *in, const struct upstream_conf *up, const char *file, uint64_t primary_size,
                     uint64_t held)
{
    char err[512], keep[EV_MAX_NAME_LEN + 64];
    struct cmp c;
    memset(&c, 0, sizeof(c));
    c.held = held;
    trx_init(&c.trx);
    ev_fmt_default(&c.fmt, EV_CHECKSUM_CRC32);
    c.fd = openat(store_dir_fd(in->store), file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int rc = -1;
    if (c.fd == -1 || compare_with_primary(in, up, file, &c, err, sizeof(err)) == -1) {
        ingest_set_error(in, LOG_ERROR, 0, "refusing to resume on %s:%u: its %s is %" PRIu64 " bytes but binlogd holds "
                         "%" PRIu64 " committed bytes (the primary lost the tail of its binlog), and the primary's "
                         "copy could not be compared: %s", up->host, up->port, file, primary_size, held,
                         c.fd == -1 ? "cannot open binlogd's copy" : err);
        goto out;
    }
    if (c.diverged || c.common <= BINLOG_MAGIC_LEN) {
        ingest_set_error(in, LOG_ERROR, 0, "refusing to resume on %s:%u: its %s is %" PRIu64 " bytes but binlogd holds "
                         "%" PRIu64 " committed bytes (the primary lost the tail of its binlog), and the bytes differ "
                         "at offset %" PRIu64 ": the histories diverged; binlogd will not splice them",
                         up->host, up->port, file, primary_size, held, c.diverged_at);
        goto out;
    }
    snprintf(keep, sizeof(keep), "%s.withdrawn-%" PRIu64, file, c.common);
    enum store_result r = store_withdraw_tail(in->store, c.common, keep, err, sizeof(err));
    if (r != STORE_OK) {
        ingest_set_error(in, LOG_ERROR, 0, "the primary lost the tail of %s after offset %" PRIu64 ", but binlogd could "
                         "not withdraw its copy of it: %s", file, c.common, err);
        if (r == STORE_FATAL && in->on_fatal) in->on_fatal(in->fatal_arg);
        goto out;
    }
    ingest_set_error(in, LOG_WARN, 0, "the primary %s:%u lost the tail of %s (it has %" PRIu64 " bytes, binlogd had "
                     "%" PRIu64 "): binlogd withdrew its bytes after %" PRIu64 ", the last transaction boundary both hold "
                     "byte for byte; they are kept in %s and are never served again. Replicas that read past that "
                     "point get an error and must be reconciled. Mirroring continues from %s:%" PRIu64,
                     up->host, up->port, file, primary_size, held, c.common, keep, file, c.common);
    rc = 0;
out:
    if (c.fd != -1) close(c.fd);
    free(c.ours);
    return rc;
}
