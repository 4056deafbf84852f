/*
 * zombie_state.c - see zombie_state.h.
 */
#include "server/upstream/zombie_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/fsio.h"

#define MAX_FILE 4096

/* The kernel's form: 36 characters, lower-case hex with dashes at 8, 13, 18 and 23. */
static int boot_id_ok(const char *s, size_t n)
{
    if (n != 36) return 0;
    for (size_t i = 0; i < n; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    }
    return 1;
}

void zombie_boot_id(char *out, size_t cap)
{
    out[0] = 0;
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd == -1) return;
    char buf[ZOMBIE_BOOT_ID_MAX];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 36 || !boot_id_ok(buf, 36) || (n > 36 && buf[36] != '\n') || cap <= 36) return;
    memcpy(out, buf, 36);
    out[36] = 0;
}

uint64_t zombie_boot_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A decimal number, digits only, no overflow past max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s) return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Printable ASCII (or UTF-8 bytes), no control characters; no_space: no ' ' either. */
static int text_ok(const char *s, size_t min, size_t cap, int no_space)
{
    size_t n = strlen(s);
    if (n < min || n >= cap) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || (no_space && c == ' ')) return 0;
    }
    return 1;
}

enum { K_HOST, K_PORT, K_USER, K_CONN, K_UNIX, K_BOOT_ID, K_BOOT_MS, K__COUNT };
static const char *const key_names[K__COUNT] = {"host", "port", "user", "connection_id", "started_unix_ms",
                                                 "boot_id", "started_boot_ms"};

/* One "key value" line into z; which key it was in *k (K__COUNT: unknown key, skipped). */
static int parse_line(struct zombie_state *z, const char *line, int *k, char *err, size_t errlen)
{
    const char *sp = strchr(line, ' ');
    if (!sp) { snprintf(err, errlen, "no value"); return -1; }
    size_t kl = (size_t)(sp - line);
    const char *v = sp + 1;
    uint64_t n = 0;
    for (*k = 0; *k < K__COUNT; (*k)++)
        if (strlen(key_names[*k]) == kl && !memcmp(line, key_names[*k], kl)) break;
    switch (*k) {
    case K_HOST:
        if (!text_ok(v, 1, sizeof(z->host), 1)) break;
        snprintf(z->host, sizeof(z->host), "%s", v);
        return 0;
    case K_PORT:
        if (parse_u64(v, 65535, &n) || n == 0) break;
        z->port = (uint16_t)n;
        return 0;
    case K_USER:
        if (!text_ok(v, 1, sizeof(z->user), 0)) break;
        snprintf(z->user, sizeof(z->user), "%s", v);
        return 0;
    case K_CONN:
        if (parse_u64(v, UINT64_MAX, &n) || n == 0) break;
        z->conn_id = n;
        return 0;
    case K_UNIX:
        if (parse_u64(v, INT64_MAX, &n)) break;
        z->started_unix_ms = (int64_t)n;
        return 0;
    case K_BOOT_ID:
        if (!strcmp(v, "-")) { z->boot_id[0] = 0; return 0; }
        if (!boot_id_ok(v, strlen(v))) break;
        snprintf(z->boot_id, sizeof(z->boot_id), "%s", v);
        return 0;
    case K_BOOT_MS:
        if (parse_u64(v, UINT64_MAX, &n)) break;
        z->started_boot_ms = n;
        return 0;
    default:
        for (size_t i = 0; i < kl; i++)
            if (!((line[i] >= 'a' && line[i] <= 'z') || (line[i] >= '0' && line[i] <= '9') || line[i] == '_')) {
                snprintf(err, errlen, "bad key");
                return -1;
            }
        if (kl) return 0;   /* a key of a newer binlogd */
        snprintf(err, errlen, "bad key");
        return -1;
    }
    snprintf(err, errlen, "bad value for %s", key_names[*k]);
    return -1;
}

int zombie_state_parse(struct zombie_state *z, const char *text, size_t len, char *err, size_t errlen)
{
    memset(z, 0, sizeof(*z));
    struct zombie_state t = {0};
    unsigned seen = 0, lineno = 0;
    size_t pos = 0;
    char e[96] = "";
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        lineno++;
        if (ll == 0 || line[0] == '#') continue;
        char buf[512];
        int k = K__COUNT;
        if (ll >= sizeof(buf)) snprintf(e, sizeof(e), "line too long");
        else if (memchr(line, 0, ll)) snprintf(e, sizeof(e), "NUL byte");
        if (!e[0]) {
            memcpy(buf, line, ll);
            buf[ll] = 0;
            if (parse_line(&t, buf, &k, e, sizeof(e)) == 0 && k < K__COUNT && (seen & (1u << k)))
                snprintf(e, sizeof(e), "%s given twice", key_names[k]);
        }
        if (e[0]) {
            snprintf(err, errlen, "%s: line %u: %s", ZOMBIE_STATE_FILE, lineno, e);
            return -1;
        }
        if (k < K__COUNT) seen |= 1u << k;
    }
    for (int k = 0; k < K__COUNT; k++)
        if (!(seen & (1u << k))) {
            snprintf(err, errlen, "%s: %s missing", ZOMBIE_STATE_FILE, key_names[k]);
            return -1;
        }
    *z = t;
    return 0;
}

size_t zombie_state_format(const struct zombie_state *z, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "# written by binlogd: its last dump connection on the primary, to end it after a restart\n"
                     "host %s\nport %u\nuser %s\nconnection_id %" PRIu64 "\nstarted_unix_ms %" PRId64
                     "\nboot_id %s\nstarted_boot_ms %" PRIu64 "\n",
                     z->host, z->port, z->user, z->conn_id, z->started_unix_ms, z->boot_id[0] ? z->boot_id : "-",
                     z->started_boot_ms);
    return n > 0 ? (size_t)n : 0;
}

int zombie_state_age_ms(const struct zombie_state *z, const char *boot_id, uint64_t boot_ms, int64_t unix_ms,
                        uint64_t *age_ms)
{
    if (z->boot_id[0] && boot_id && !strcmp(z->boot_id, boot_id)) {
        if (boot_ms < z->started_boot_ms) return -1;   /* cannot happen within one boot */
        *age_ms = boot_ms - z->started_boot_ms;
        return 0;
    }
    if (unix_ms < z->started_unix_ms) return -1;
    *age_ms = (uint64_t)(unix_ms - z->started_unix_ms);
    return 0;
}

int zombie_state_load(int dirfd, struct zombie_state *z, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    memset(z, 0, sizeof(*z));
    if (fsio_read_small(dirfd, ZOMBIE_STATE_FILE, MAX_FILE, &buf, &len) == -1) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: cannot read: %s", ZOMBIE_STATE_FILE, strerror(errno));
        return -1;
    }
    int rc = zombie_state_parse(z, buf, len, err, errlen);
    free(buf);
    return rc;
}

int zombie_state_save(int dirfd, const struct zombie_state *z, char *err, size_t errlen)
{
    char buf[1024];
    size_t n = zombie_state_format(z, buf, sizeof(buf));
    if (n == 0 || n >= sizeof(buf)) {
        snprintf(err, errlen, "%s: cannot format", ZOMBIE_STATE_FILE);
        return -1;
    }
    enum fsio_op op = FSIO_OP_OPEN;
    if (fsio_replace(dirfd, ZOMBIE_STATE_FILE, buf, n, &op) == -1) {
        snprintf(err, errlen, "%s: cannot write (%s): %s", ZOMBIE_STATE_FILE, fsio_op_name(op), strerror(errno));
        return -1;
    }
    return 0;
}
