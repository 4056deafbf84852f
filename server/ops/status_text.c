/* status_text.c - see status_text.h. */
#include "server/ops/status_text.h"

#include <inttypes.h>
#include <stdio.h>

#include "server/replicas/listener.h"
#include "server/upstream/ingest.h"
#include "storage/store.h"

void status_text(char *buf, size_t len, struct ingest *in, struct store *st, const struct listener *lis)
{
    char up[600] = "no upstream", pos[600] = "nothing stored yet";
    if (in) {
        struct upstream_conf c;
        struct ingest_status s;
        ingest_get_conf(in, &c);
        ingest_status_get(in, &s);
        if (c.host[0]) snprintf(up, sizeof(up), "mirroring %s:%u (%s)", c.host, c.port, ingest_state_name(s.state));
    }
    struct store_watermark wm;
    store_watermark_get(st, &wm);
    if (wm.file[0]) snprintf(pos, sizeof(pos), "committed %s:%" PRIu64, wm.file, wm.offset);
    struct replicas_counters rc = {0};
    if (lis) listener_stats_get(lis, &rc);
    snprintf(buf, len, "%s, %s, %" PRIu64 " replicas streaming", up, pos, rc.dumps_now);
}
