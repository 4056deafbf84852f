/*
 * event_info.h - what SHOW BINLOG EVENTS prints for one event: mariadbd's Event_type name
 * (Log_event::get_type_str) and its Info text (the event class's pack_info), MariaDB 10.11.
 *
 * Pure code over (buf, len): no I/O, no clock. Every length inside the event is hostile; a
 * malformed event gives EV_ERROR with a static reason, never a read outside (buf, len).
 *
 * Info texts (facts: /work/shared/facts/mariadb-operator-statements.md section 2):
 *   Format_desc        Server ver: <version>, Binlog ver: <n>
 *   Gtid               [BEGIN ]GTID d-s-n | XA START <xid> GTID d-s-n, then " cid=<n>",
 *                      " START ALTER", " COMMIT ALTER id=<n>", " ROLLBACK ALTER id=<n>"
 *   Gtid_list          [d-s-n,...] sorted by domain then seq_no
 *   Binlog_checkpoint  the file name
 *   Query              [use `db`; ][set foreign_key_checks=0, ...; ]<statement>
 *   Table_map          table_id: N (db.table)
 *   *_rows[_v1]        table_id: N[ flags: STMT_END_F]
 *   Xid                COMMIT / * xid=N * /   (without the blanks inside the comment marks)
 *   XA_prepare         XA PREPARE <xid> | XA COMMIT <xid> ONE PHASE
 *   Annotate_rows      the statement, verbatim
 *   Rotate             <name>;pos=<n>
 *   Intvar, RAND, Incident: as mariadbd; Stop, Start_encryption and the rest: empty.
 * Not reproduced: User var values (empty here) and Query_compressed statements (empty).
 */
#ifndef BINLOGD_PROTOCOL_EVENT_INFO_H
#define BINLOGD_PROTOCOL_EVENT_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/bbuf.h"
#include "protocol/event.h"

/* Event types SHOW BINLOG EVENTS names that event.h does not list. */
enum {
    EV_INFO_WRITE_ROWS_V1 = 23, EV_INFO_UPDATE_ROWS_V1 = 24, EV_INFO_DELETE_ROWS_V1 = 25,
    EV_INFO_WRITE_ROWS = 30, EV_INFO_UPDATE_ROWS = 31, EV_INFO_DELETE_ROWS = 32,
    EV_INFO_WRITE_ROWS_COMPRESSED_V1 = 166, EV_INFO_DELETE_ROWS_COMPRESSED = 171
};

/* mariadbd's Event_type column for a type code ("Query", "Write_rows_v1", "Unknown", ...).
 * Static strings; any thread. */
const char *ev_info_type_name(uint8_t type);

/* How many leading bytes of the event with header h ev_info_format needs: the whole event,
 * except for rows events, whose Info comes from the post-header alone (so a statement need
 * not read megabytes of row images to print "table_id: N"). fmt: the file's context. */
size_t ev_info_need(const struct ev_header *h, const struct ev_fmt *fmt);

/* Append the Info text of the event in ev[0..len) (at least ev_info_need bytes of it) to out.
 * fmt: the context of the event's file (ignored for a FORMAT_DESCRIPTION, which carries its
 * own). Returns EV_OK; EV_AGAIN when len is short of what is needed; EV_ERROR with *why when
 * the event is malformed (out then holds whatever was appended before the fault was found:
 * callers drop the row). Memory failure shows as !bbuf_ok(out). Any thread. */
int ev_info_format(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct bbuf *out, const char **why);

#endif
