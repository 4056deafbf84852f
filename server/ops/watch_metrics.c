/* watch_metrics.c - see watch_metrics.h. */
#include "server/ops/watch_metrics.h"

#include <inttypes.h>
#include <stdio.h>

#define NL(a) (sizeof(a) / sizeof((a)[0]))

void watch_metrics_write(struct prom *p, const struct watch_summary *sum, const struct watch_server_status *rows,
                         size_t n)
{
    if (!sum) return;
    prom_scalar_u64(p, "binlogd_split_brain_watch_enabled", PROM_GAUGE,
                    "1 while the split-brain watch polls (watch.enabled on, or auto with candidates or previous "
                    "primaries to watch)", (uint64_t)(sum->enabled != 0));
    prom_scalar_u64(p, "binlogd_split_brain", PROM_GAUGE,
                    "watched servers in split-brain: they hold transactions of a second writer in a domain the "
                    "upstream writes (0 = no alarm; /healthz answers 503 while above 0)", sum->split_brain);
    prom_scalar_u64(p, "binlogd_split_brain_rounds_total", PROM_COUNTER,
                    "rounds of the watch thread, one per watch.interval_ms (while disabled a round only checks whether there is "
                    "something to poll)", sum->rounds);
    if (prom_family(p, "binlogd_split_brain_servers", PROM_GAUGE,
                    "watched servers (the current upstream included) by the verdict of their last poll") == 0 &&
        rows) {
        size_t count[SPLITBRAIN_UNKNOWN + 1] = {0};
        for (size_t i = 0; i < n; i++)
            if ((unsigned)rows[i].verdict <= SPLITBRAIN_UNKNOWN) count[rows[i].verdict]++;
        for (int v = SPLITBRAIN_OK; v <= SPLITBRAIN_UNKNOWN; v++) {
            struct prom_label l[] = {{"verdict", splitbrain_verdict_name((enum splitbrain_verdict)v)}};
            prom_sample_u64(p, "", l, NL(l), count[v]);
        }
    }
    if (prom_family(p, "binlogd_split_brain_server_info", PROM_GAUGE,
                    "each watched server (SHOW BINLOG WATCH row): its verdict (split-brain, ahead, ok, behind, "
                    "unreachable, error, upstream, unknown), server_id (0 = unknown) and whether it is binlogd's "
                    "current upstream") == 0 &&
        rows)
        for (size_t i = 0; i < n; i++) {
            char sid[16];
            snprintf(sid, sizeof(sid), "%" PRIu32, rows[i].server_id);
            struct prom_label l[] = {{"server", rows[i].server}, {"server_id", sid},
                                     {"verdict", splitbrain_verdict_name(rows[i].verdict)},
                                     {"upstream", rows[i].is_upstream ? "1" : "0"}};
            prom_sample_u64(p, "", l, NL(l), 1);
        }
    if (prom_family(p, "binlogd_split_brain_server_reachable", PROM_GAUGE,
                    "1 when the last poll of the server connected and read its GTID state, else 0") == 0 && rows)
        for (size_t i = 0; i < n; i++) {
            struct prom_label l[] = {{"server", rows[i].server}};
            prom_sample_u64(p, "", l, NL(l), (uint64_t)(rows[i].reachable != 0));
        }
    if (prom_family(p, "binlogd_split_brain_server_last_poll_age_seconds", PROM_GAUGE,
                    "seconds since the server was last polled (absent: not polled yet)") == 0 && rows)
        for (size_t i = 0; i < n; i++) {
            if (rows[i].last_poll_age_ms == UINT64_MAX) continue;
            struct prom_label l[] = {{"server", rows[i].server}};
            prom_sample(p, "", l, NL(l), (double)rows[i].last_poll_age_ms / 1000.0);
        }
}
