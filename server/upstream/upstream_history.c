/*
 * upstream_history.c - see upstream_history.h.
 */
#include "server/upstream/upstream_history.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/fsio.h"

static int host_ok(const char *host)
{
    size_t n = strlen(host);
    if (!n || n >= sizeof(((struct upstream_history_entry *)0)->host)) return 0;
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char)host[i]) || (unsigned char)host[i] < 0x20) return 0;
    return 1;
}

int upstream_history_add(struct upstream_history *h, const char *host, uint16_t port, uint32_t server_id,
                         int64_t now)
{
    if (!host_ok(host) || !port) return -1;
    struct upstream_history_entry e = {.port = port, .server_id = server_id, .left_unix = now};
    snprintf(e.host, sizeof(e.host), "%s", host);
    size_t at = h->n;   /* where the old entry for host:port is, if any */
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].port == port && !strcmp(h->v[i].host, host)) at = i;
    if (at < h->n) {
        if (!e.server_id) e.server_id = h->v[at].server_id;
        memmove(&h->v[at], &h->v[at + 1], (h->n - at - 1) * sizeof(h->v[0]));
        h->n--;
    }
    if (h->n == UPSTREAM_HISTORY_MAX) h->n--;   /* the oldest falls off */
    memmove(&h->v[1], &h->v[0], h->n * sizeof(h->v[0]));
    h->v[0] = e;
    h->n++;
    return 0;
}

size_t upstream_history_parse(struct upstream_history *h, const char *text, size_t len)
{
    h->n = 0;
    size_t pos = 0, skipped = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        if (ll == 0 || line[0] == '#') continue;
        char buf[512], host[256];
        unsigned long long port, sid;
        long long left;
        int used = 0;
        if (ll >= sizeof(buf)) { skipped++; continue; }
        memcpy(buf, line, ll);
        buf[ll] = 0;
        if (sscanf(buf, "%255[^\t]\t%llu\t%llu\t%lld%n", host, &port, &sid, &left, &used) != 4 || (size_t)used != ll ||
            port == 0 || port > 65535 || sid > UINT32_MAX || h->n == UPSTREAM_HISTORY_MAX || !host_ok(host)) {
            skipped++;
            continue;
        }
        struct upstream_history_entry *e = &h->v[h->n++];
        snprintf(e->host, sizeof(e->host), "%s", host);
        e->port = (uint16_t)port;
        e->server_id = (uint32_t)sid;
        e->left_unix = left;
    }
    return skipped;
}

size_t upstream_history_format(const struct upstream_history *h, char *out, size_t cap)
{
    size_t len = 0;
    int n = snprintf(out, cap, "# written by binlogd: primaries it followed before (newest first)\n"
                               "# host<TAB>port<TAB>server_id<TAB>left_unix_seconds\n");
    if (n > 0) len = (size_t)n;
    for (size_t i = 0; i < h->n; i++) {
        n = snprintf(len < cap ? out + len : NULL, len < cap ? cap - len : 0, "%s\t%u\t%" PRIu32 "\t%" PRId64 "\n",
                     h->v[i].host, h->v[i].port, h->v[i].server_id, h->v[i].left_unix);
        if (n > 0) len += (size_t)n;
    }
    return len;
}

int upstream_history_load(int dirfd, struct upstream_history *h, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    h->n = 0;
    if (fsio_read_small(dirfd, UPSTREAM_HISTORY_FILE, 65536, &buf, &len) == -1) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: cannot read: %s", UPSTREAM_HISTORY_FILE, strerror(errno));
        return -1;
    }
    upstream_history_parse(h, buf, len);
    free(buf);
    return 0;
}

int upstream_history_save(int dirfd, const struct upstream_history *h, char *err, size_t errlen)
{
    char buf[8192];
    size_t n = upstream_history_format(h, buf, sizeof(buf));
    if (n >= sizeof(buf)) {
        snprintf(err, errlen, "%s: too long", UPSTREAM_HISTORY_FILE);
        return -1;
    }
    enum fsio_op op = FSIO_OP_OPEN;
    if (fsio_replace(dirfd, UPSTREAM_HISTORY_FILE, buf, n, &op) == -1) {
        snprintf(err, errlen, "%s: cannot write (%s): %s", UPSTREAM_HISTORY_FILE, fsio_op_name(op), strerror(errno));
        return -1;
    }
    return 0;
}
