/*
 * tier.c - see tier.h.
 */
#include "server/upstream/tier.h"

#include <inttypes.h>
#include <string.h>

#include "protocol/event.h"
#include "protocol/strbuf.h"
#include "protocol/wire.h"
#include "server/upstream/continuity.h"

const char *tier_verdict_name(enum tier_verdict v)
{
    switch (v) {
    case TIER_OK: return "ok";
    case TIER_NO_FILE: return "no such file";
    case TIER_BEHIND: return "behind";
    case TIER_NOT_POSITION: return "not a position";
    case TIER_STATE_DIFFERS: return "GTID state differs";
    case TIER_BYTES_DIFFER: return "bytes differ";
    case TIER_NOT_STREAMING: return "not streaming";
    case TIER_FOLLOWS_US: return "follows binlogd";
    case TIER_PROBE_FAILED: return "probe failed";
    }
    return "?";
}

/* The CRC32 an event carries in its last 4 bytes, for the message (0 when too short). */
static uint32_t tail_crc(const uint8_t *ev, size_t len)
{
    return len >= EV_HEADER_LEN + 4 ? wire_u32(ev + len - 4) : 0;
}

enum tier_verdict tier_qualify(const struct tier_answers *a, char *msg, size_t cap)
{
    struct strbuf b;
    strbuf_init(&b, msg, cap);
    if (cap) msg[0] = 0;
    const char *who = a->who ? a->who : "(sibling)", *file = a->file ? a->file : "";
    if (a->probe_error) {
        strbuf_addf(&b, "sibling binlogd %s could not be checked: %.300s", who, a->probe_error);
        return TIER_PROBE_FAILED;
    }
    if (!a->upstream_asked) {
        strbuf_addf(&b, "sibling binlogd %s: whether it streams from an upstream was not asked", who);
        return TIER_PROBE_FAILED;
    }
    if (!a->sibling_upstream_id) {
        strbuf_addf(&b, "sibling binlogd %s streams from no upstream itself (its upstream is down too, or it is "
                "stopped): it would hold binlogd's stream still; asked again at the next try", who);
        return TIER_NOT_STREAMING;
    }
    if (a->our_server_id && a->sibling_upstream_id == a->our_server_id) {
        strbuf_addf(&b, "sibling binlogd %s streams from binlogd itself (server_id %" PRIu32 "): following it would "
                "close a loop with no primary in it", who, a->our_server_id);
        return TIER_FOLLOWS_US;
    }
    if (!a->listed) {
        strbuf_addf(&b, "sibling binlogd %s does not hold %s (binlogd's copy ends at %s:%" PRIu64 "): it mirrors another "
                "primary, or purged the file", who, file, file, a->pos);
        return TIER_NO_FILE;
    }
    if (a->listed_size < a->pos) {
        strbuf_addf(&b, "sibling binlogd %s is behind: it holds %s up to %" PRIu64 ", binlogd up to %" PRIu64
                "; asked again at the next try", who, file, a->listed_size, a->pos);
        return TIER_BEHIND;
    }
    if (!a->state_asked) {
        strbuf_addf(&b, "sibling binlogd %s: its GTID state at %s:%" PRIu64 " was not read", who, file, a->pos);
        return TIER_PROBE_FAILED;
    }
    if (!a->state_at) {
        strbuf_addf(&b, "sibling binlogd %s answers NULL to BINLOG_GTID_POS('%s', %" PRIu64 "): that position is no "
                "event start in its copy, so its bytes differ from binlogd's; not continuing there", who, file, a->pos);
        return TIER_NOT_POSITION;
    }
    char cmsg[2048];
    enum cont_verdict cv = continuity_compare(a->state ? a->state : "", a->state_at, who, cmsg, sizeof(cmsg));
    if (cv != CONT_OK) {
        strbuf_addf(&b, "sibling binlogd %s has another history at %s:%" PRIu64 " (%s): %s", who, file, a->pos,
                cont_verdict_name(cv), cmsg);
        return TIER_STATE_DIFFERS;
    }
    if (!a->event_asked) {
        strbuf_addf(&b, "sibling binlogd %s: the last event before %s:%" PRIu64 " was not compared", who, file, a->pos);
        return TIER_PROBE_FAILED;
    }
    if (a->dump_error) {
        strbuf_addf(&b, "sibling binlogd %s refused to send %s from %" PRIu64 " (binlogd's last event before %" PRIu64
                " starts there): %.300s", who, file, a->event_at, a->pos, a->dump_error);
        return TIER_BYTES_DIFFER;
    }
    if (!a->theirs || !a->ours) {
        strbuf_addf(&b, "sibling binlogd %s sent no event at %s:%" PRIu64, who, file, a->event_at);
        return TIER_BYTES_DIFFER;
    }
    if (a->theirs_len != a->ours_len || memcmp(a->theirs, a->ours, a->ours_len)) {
        strbuf_addf(&b, "sibling binlogd %s holds another event at %s:%" PRIu64 " (%zu bytes, CRC32 0x%08" PRIx32
                ") than binlogd (%zu bytes, CRC32 0x%08" PRIx32 "): the bytes before %" PRIu64 " differ", who, file,
                a->event_at, a->theirs_len, tail_crc(a->theirs, a->theirs_len), a->ours_len,
                tail_crc(a->ours, a->ours_len), a->pos);
        return TIER_BYTES_DIFFER;
    }
    strbuf_addf(&b, "sibling binlogd %s holds %s up to %" PRIu64 " (binlogd's position %" PRIu64 ") with GTID state '%.300s' "
            "there and the same last event (%zu bytes, CRC32 0x%08" PRIx32 ")", who, file, a->listed_size, a->pos,
            a->state_at, a->ours_len, tail_crc(a->ours, a->ours_len));
    return TIER_OK;
}
