/*
 * status_page.h - GET /: one self-contained HTML page (inline CSS and SVG, a meta refresh,
 * no script, no external asset) in the spirit of HAProxy's stats page: the upstream, the
 * committed position, the disk, charts of the last hour, the replicas (laggards
 * highlighted), then the sections other modules contribute.
 *
 * Every string that came from the network or the disk (hosts, file names, errors, GTID
 * states) goes through html_escape. Replica rows carry stable ids and data attributes
 * (id="replica-<connection id>", data-server-id, data-file, data-pos, data-lag-bytes) for
 * scripts and tests.
 *
 * Sections: a section is a title and a function that writes its HTML body from the same
 * snapshot (escaping what it prints). Three are reserved with an empty state until a
 * renderer is registered under the same id: "traffic" (Traffic by table, page_traffic.h),
 * "lag-doctor" (Lag doctor, page_traffic.h), "split-brain" (Split-brain watch,
 * page_watch.h); server/ops/http.c registers them when the statistics and the watch exist.
 *
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_OPS_STATUS_PAGE_H
#define BINLOGD_SERVER_OPS_STATUS_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/bbuf.h"
#include "server/ops/ring.h"
#include "server/ops/snapshot.h"

/* The ring's values (server/ops/http.c samples them every 10 s). */
enum { PAGE_V_INGEST_BPS = 0, PAGE_V_LAG_S, PAGE_V_SENT_BPS, PAGE_V_REPLICAS };

/* Write a section's HTML body for snapshot s (escaping what it prints). */
typedef void (*page_section_fn)(void *arg, const struct ops_snapshot *s, struct bbuf *out);

struct page_section {
    char id[32];                 /* HTML id of the section: [a-z0-9-] */
    char title[64];
    page_section_fn render;      /* NULL: the empty state */
    void *arg;
    const char *empty;           /* text of the empty state (static) */
};

/* What the page says about health (from health_eval). */
struct page_health {
    int healthy;
    const char *reason;
    uint32_t max_lag_s;
};

/* The page at most shows this many replica rows (the most behind first). */
#define PAGE_MAX_REPLICA_ROWS 200

/* Write the page for snapshot s (its reps are reordered: most behind first), history r,
 * and sections[0..n). */
void status_page_write(struct bbuf *out, struct ops_snapshot *s, const struct ring *r, const struct page_health *h,
                       const struct page_section *sections, size_t n);

/* "1.5 MiB" style (binary units), into buf. Pure. */
const char *page_bytes(char *buf, size_t len, double v);

#endif
