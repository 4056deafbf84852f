/*
 * dumpcli.c - a minimal binlog dump client for tests and benchmarks.
 *
 * Connects with libmariadb, optionally sets the session variables a replica sets, sends
 * COM_BINLOG_DUMP with exactly the file/position/flags/server_id given (including hostile
 * values the stock tools refuse to send), reads the stream and prints one summary line:
 *   events=N bytes=N files=N end=eof|error|limit errno=E error="..."
 * Exit status: 0 when the stream ended as expected (EOF, or the error given by --expect-error),
 * 1 otherwise, 2 on bad usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mysql.h>

#include "protocol/wire.h"

static void usage(void)
{
    fprintf(stderr, "usage: dumpcli -H host -P port -u user [-p pass] [-f file] [-o pos] [-F flags] [-s server_id]\n"
                    "               [-c (no checksum vars)] [-m max_events] [-e expect_errno] [-q] [-t (timing)]\n");
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *user = "root", *pass = "", *file = "";
    unsigned port = 3306, flags = 0x01, server_id = 0;
    unsigned long long pos = 4, max_events = 0;
    int set_vars = 1, quiet = 0, timing = 0;
    long expect = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-c")) { set_vars = 0; continue; }
        if (!strcmp(a, "-q")) { quiet = 1; continue; }
        if (!strcmp(a, "-t")) { timing = 1; continue; }
        if (!v) { usage(); return 2; }
        i++;
        if (!strcmp(a, "-H")) host = v;
        else if (!strcmp(a, "-P")) port = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-u")) user = v;
        else if (!strcmp(a, "-p")) pass = v;
        else if (!strcmp(a, "-f")) file = v;
        else if (!strcmp(a, "-o")) pos = strtoull(v, NULL, 0);
        else if (!strcmp(a, "-F")) flags = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "-s")) server_id = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-m")) max_events = strtoull(v, NULL, 10);
        else if (!strcmp(a, "-e")) expect = strtol(v, NULL, 10);
        else { usage(); return 2; }
    }
    MYSQL *m = mysql_init(NULL);
    unsigned long maxp = 1UL << 30;
    mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxp);
    if (!mysql_real_connect(m, host, user, pass, NULL, port, NULL, 0)) {
        printf("events=0 bytes=0 files=0 end=connect errno=%u error=\"%s\"\n", mysql_errno(m), mysql_error(m));
        return expect >= 0 && (unsigned)expect == mysql_errno(m) ? 0 : 1;
    }
    if (set_vars) {
        const char *q[] = {"SET @master_binlog_checksum= @@global.binlog_checksum", "SET @mariadb_slave_capability=4"};
        for (size_t i = 0; i < 2; i++)
            if (mysql_query(m, q[i])) {
                printf("events=0 bytes=0 files=0 end=setup errno=%u error=\"%s\"\n", mysql_errno(m), mysql_error(m));
                return 1;
            }
    }
    size_t fl = strlen(file);
    uint8_t *pkt = malloc(10 + fl);
    wire_put_u32(pkt, (uint32_t)pos);
    wire_put_u16(pkt + 4, (uint16_t)flags);
    wire_put_u32(pkt + 6, server_id);
    memcpy(pkt + 10, file, fl);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long events = 0, bytes = 0, files = 0;
    const char *end = "eof";
    unsigned err = 0;
    if (m->methods->db_command(m, COM_BINLOG_DUMP, (const char *)pkt, 10 + fl, 1, NULL)) {
        end = "error";
        err = mysql_errno(m);
    } else {
        for (;;) {
            unsigned long n = mysql_net_read_packet(m);
            if (n == packet_error) { end = "error"; err = mysql_errno(m); break; }
            const uint8_t *p = m->net.read_pos;
            if (n < 8 && p[0] == 0xFE) break;
            events++;
            bytes += n - 1;
            if (n > 5 && p[5] == 4 /* ROTATE */) files++;
            if (max_events && events >= max_events) { end = "limit"; break; }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (!quiet || err) {
        printf("events=%llu bytes=%llu files=%llu end=%s errno=%u error=\"%s\"", events, bytes, files, end, err,
               err ? mysql_error(m) : "");
        if (timing) printf(" seconds=%.6f mbps=%.1f", secs, secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
        printf("\n");
    }
    free(pkt);
    mysql_close(m);
    if (expect >= 0) return (long)err == expect ? 0 : 1;
    return strcmp(end, "error") ? 0 : 1;
}
