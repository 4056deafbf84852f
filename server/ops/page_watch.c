/* page_watch.c - see page_watch.h. */
#include "server/ops/page_watch.h"

#include <inttypes.h>
#include <stdio.h>

#include "server/ops/textbuf.h"

void page_watch_section(void *arg, const struct ops_snapshot *s, struct bbuf *o)
{
    (void)arg;
    if (!s->has_watch || (!s->watch.enabled && !s->nwrows)) {
        text_puts(o, "<p class=\"empty\">Not watching: watch.enabled is off, or (auto) there are no "
                     "upstream.candidates and no previous primaries to watch.</p>");
        return;
    }
    if (s->watch.split_brain) {
        text_puts(o, "<p class=\"alarm\" id=\"split-brain-alarm\">SPLIT-BRAIN: ");
        html_escape(o, s->watch.reason);
        if (s->watch.split_brain > 1) text_printf(o, " (and %zu more servers)", s->watch.split_brain - 1);
        text_puts(o, "</p>");
    }
    if (!s->nwrows) {
        text_puts(o, "<p class=\"empty\">Watching: the first round has not finished yet.</p>");
        return;
    }
    text_puts(o, "<table id=\"watch-servers\"><tr><th>Server</th><th>Server id</th><th>Verdict</th><th class=\"num\">"
                 "Last poll</th><th>GTID state</th><th>Reason</th></tr>");
    for (size_t i = 0; i < s->nwrows; i++) {
        const struct watch_server_status *w = &s->wrows[i];
        const char *v = splitbrain_verdict_name(w->verdict);
        const char *cls = w->verdict == SPLITBRAIN_SPLIT         ? "split"
                        : w->verdict == SPLITBRAIN_UNREACHABLE   ? "unreachable"
                        : w->verdict == SPLITBRAIN_ERROR         ? "behind"
                                                                 : "";
        text_printf(o, "<tr class=\"%s\" data-verdict=\"%s\" data-server=\"", cls, v);
        html_escape(o, w->server);
        text_puts(o, "\"><td class=\"mono nw\">");
        html_escape(o, w->server);
        text_puts(o, "</td><td>");
        if (w->server_id) text_printf(o, "%" PRIu32, w->server_id);
        else text_puts(o, "-");
        text_printf(o, "</td><td class=\"v-%s\">%s</td><td class=\"num\">", v, v);
        if (w->last_poll_age_ms == UINT64_MAX) text_puts(o, "never");
        else text_printf(o, "%.1f s ago", (double)w->last_poll_age_ms / 1000.0);
        text_puts(o, "</td><td class=\"mono\">");
        html_escape(o, w->gtid_state[0] ? w->gtid_state : "-");
        text_puts(o, "</td><td>");
        html_escape(o, w->reason);
        text_puts(o, "</td></tr>");
    }
    text_printf(o, "</table><p class=\"muted\">%zu servers, %zu unreachable; %" PRIu64 " rounds. Split-brain: the server "
                "holds transactions neither binlogd nor its upstream has, in a domain the upstream writes.</p>",
                s->nwrows, s->watch.unreachable, s->watch.rounds);
}
