/*
 * page_watch.h - the status page's "Split-brain watch" section, from the snapshot's watch
 * rows (SHOW BINLOG WATCH): a red alarm line naming the server while one is in split-brain,
 * then every watched server with its verdict. An unreachable server is shown as
 * unreachable, never in the colours of a healthy one. Rows carry data-server and
 * data-verdict attributes for scripts and tests; everything polled is HTML-escaped.
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_OPS_PAGE_WATCH_H
#define BINLOGD_SERVER_OPS_PAGE_WATCH_H

#include "protocol/bbuf.h"
#include "server/ops/snapshot.h"

/* A page_section_fn renderer (status_page.h); arg unused. */
void page_watch_section(void *arg, const struct ops_snapshot *s, struct bbuf *out);

#endif
