/*
 * status_text.h - binlogd's state in one line, for systemd's STATUS= (what `systemctl status`
 * shows): the upstream and its session state, the committed position, the replicas.
 * Thread: the loop thread (reads the listener's session table).
 */
#ifndef BINLOGD_SERVER_OPS_STATUS_TEXT_H
#define BINLOGD_SERVER_OPS_STATUS_TEXT_H

#include <stddef.h>

struct ingest;
struct store;
struct listener;

/* Write e.g. "mirroring 10.0.0.5:3306 (streaming), committed db1-bin.000042:1234, 12 replicas
 * streaming" into buf (always terminated). ingest and lis may be NULL. */
void status_text(char *buf, size_t len, struct ingest *in, struct store *st, const struct listener *lis);

#endif
