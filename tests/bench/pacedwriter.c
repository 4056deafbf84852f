/*
 * pacedwriter.c - commits single-row transactions at a fixed rate, for the hop-latency
 * benchmark of `make bench`. Transaction i is issued at start + i / RATE (absolute
 * schedule on CLOCK_MONOTONIC: a slow commit delays the next one, it does not shift the
 * schedule), as an autocommit INSERT INTO TABLE (v) VALUES (i).
 * usage: pacedwriter [-H host] [-P port] [-S socket] [-u user] [-p pass] -t db.table
 *                    [-r rate/s] [-d seconds]
 * Prints: sent=N seconds=S rate=R commit_p50_us commit_p99_us commit_max_us late_max_us
 * Exit status 0 when every INSERT succeeded, 1 otherwise, 2 on bad usage.
 */
#include "tests/bench/benchlib.h"

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *sock = NULL, *user = "root", *pass = "", *table = NULL;
    unsigned port = 3306;
    double rate = 1000, secs = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "-H")) host = v;
        else if (!strcmp(a, "-P")) port = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-S")) sock = v;
        else if (!strcmp(a, "-u")) user = v;
        else if (!strcmp(a, "-p")) pass = v;
        else if (!strcmp(a, "-t")) table = v;
        else if (!strcmp(a, "-r")) rate = strtod(v, NULL);
        else if (!strcmp(a, "-d")) secs = strtod(v, NULL);
        else { table = NULL; break; }
    }
    if (!table || rate <= 0 || secs <= 0 || argc % 2 == 0) {
        fprintf(stderr, "usage: pacedwriter [-H host] [-P port] [-S socket] [-u user] [-p pass] -t db.table [-r rate] [-d seconds]\n");
        return 2;
    }
    MYSQL *m = mysql_init(NULL);
    if (!m || !mysql_real_connect(m, sock ? NULL : host, user, pass, NULL, port, sock, 0)) {
        fprintf(stderr, "pacedwriter: connect: %s\n", m ? mysql_error(m) : "out of memory");
        return 1;
    }
    size_t total = (size_t)(rate * secs);
    int64_t *lat = calloc(total ? total : 1, sizeof(*lat));
    if (!lat) return 1;
    uint64_t period = (uint64_t)(1e9 / rate), start = bl_now_ns() + 10000000ull;
    int64_t late_max = 0;
    size_t sent = 0;
    char q[256];
    for (; sent < total; sent++) {
        uint64_t due = start + sent * period;
        struct timespec ts = {.tv_sec = (time_t)(due / 1000000000ull), .tv_nsec = (long)(due % 1000000000ull)};
        int rc;
        while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR) {}
        if (rc != 0) { fprintf(stderr, "pacedwriter: clock_nanosleep: %s\n", strerror(rc)); return 1; }
        uint64_t t0 = bl_now_ns();
        if ((int64_t)(t0 - due) > late_max) late_max = (int64_t)(t0 - due);
        snprintf(q, sizeof(q), "INSERT INTO %s (v) VALUES (%zu)", table, sent);
        if (mysql_query(m, q)) {
            fprintf(stderr, "pacedwriter: %s: %s\n", q, mysql_error(m));
            return 1;
        }
        lat[sent] = (int64_t)(bl_now_ns() - t0);
    }
    double took = (double)(bl_now_ns() - start) / 1e9;
    qsort(lat, sent, sizeof(*lat), bl_cmp_i64);
    printf("sent=%zu seconds=%.3f rate=%.1f commit_p50_us=%.0f commit_p99_us=%.0f commit_max_us=%.0f late_max_us=%.0f\n",
           sent, took, took > 0 ? (double)sent / took : 0.0, (double)bl_pct(lat, sent, 50) / 1e3,
           (double)bl_pct(lat, sent, 99) / 1e3, sent ? (double)lat[sent - 1] / 1e3 : 0.0, (double)late_max / 1e3);
    free(lat);
    mysql_close(m);
    return 0;
}
