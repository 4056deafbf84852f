/*
 * page_traffic.h - the status page's "Traffic by table" and "Lag doctor" sections, from the
 * snapshot's traffic statistics (the numbers of SHOW BINLOG STATISTICS, TOP TRANSACTIONS and
 * LAG DOCTOR). Table names, GTIDs and everything else from the binlog are HTML-escaped.
 * Rows carry data attributes for scripts and tests: data-table="db.table" on the traffic
 * and doctor rows, data-gtid on the transactions.
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_OPS_PAGE_TRAFFIC_H
#define BINLOGD_SERVER_OPS_PAGE_TRAFFIC_H

#include "protocol/bbuf.h"
#include "server/ops/snapshot.h"

/* Rows of the top-tables table (the largest by bytes); the rest are summed in one line. */
#define PAGE_TRAFFIC_ROWS 15
/* Largest transactions of the last hour shown. */
#define PAGE_TRAFFIC_TRX 5

/* page_section_fn renderers (status_page.h); arg unused. */
void page_traffic_section(void *arg, const struct ops_snapshot *s, struct bbuf *out);
void page_doctor_section(void *arg, const struct ops_snapshot *s, struct bbuf *out);

#endif
