/*
 * waitpos.c - detects the moment a server's SHOW MASTER STATUS reaches FILE:POS, for the
 * ingest benchmark of `make bench` (binlogd's SHOW MASTER STATUS is its committed, i.e.
 * durable, watermark). Connects (retrying every interval while the server starts), then
 * polls every interval (default 1000 us) until (file, pos) >= (FILE, POS), comparing file
 * names by their numeric extension.
 * Prints: reached_wall_ns=N polls=N file=F pos=P   (CLOCK_REALTIME, like `date +%s%N`)
 * Exit status 0 when reached, 1 on timeout (with the last position seen), 2 on bad usage.
 * usage: waitpos [-H host] [-P port] [-u user] [-p pass] -f FILE -o POS [-i interval_us] [-t timeout_s]
 */
#include "tests/bench/benchlib.h"

static unsigned long long file_seq(const char *f)
{
    const char *dot = strrchr(f, '.');
    return dot ? strtoull(dot + 1, NULL, 10) : 0;
}

static void pause_us(unsigned us)
{
    struct timespec ts = {.tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *user = "repl", *pass = "", *target = NULL;
    unsigned port = 3306, interval = 1000, timeout_s = 900;
    unsigned long long tpos = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "-H")) host = v;
        else if (!strcmp(a, "-P")) port = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-u")) user = v;
        else if (!strcmp(a, "-p")) pass = v;
        else if (!strcmp(a, "-f")) target = v;
        else if (!strcmp(a, "-o")) tpos = strtoull(v, NULL, 10);
        else if (!strcmp(a, "-i")) interval = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-t")) timeout_s = (unsigned)strtoul(v, NULL, 10);
        else { target = NULL; break; }
    }
    if (!target || argc % 2 == 0) {
        fprintf(stderr, "usage: waitpos [-H host] [-P port] [-u user] [-p pass] -f FILE -o POS [-i interval_us] [-t timeout_s]\n");
        return 2;
    }
    unsigned long long tseq = file_seq(target), polls = 0, pos = 0;
    uint64_t deadline = bl_now_ns() + (uint64_t)timeout_s * 1000000000ull;
    char file[512] = "", err[256] = "";
    MYSQL *m = NULL;
    while (!m) {
        /* The server is starting: poll its port at the same interval. */
        MYSQL *x = mysql_init(NULL);
        unsigned ct = 1;
        mysql_options(x, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
        if (x && mysql_real_connect(x, host, user, pass, NULL, port, NULL, 0)) m = x;
        else {
            snprintf(err, sizeof(err), "%s", x ? mysql_error(x) : "out of memory");
            mysql_close(x);
            if (bl_now_ns() > deadline) { printf("timeout connecting: %s\n", err); return 1; }
            pause_us(interval);
        }
    }
    for (;;) {
        polls++;
        if (bl_master_status(m, file, sizeof(file), &pos) == 0) {
            unsigned long long s = file_seq(file);
            if (s > tseq || (s == tseq && pos >= tpos)) break;
        } else if (mysql_errno(m)) {
            printf("SHOW MASTER STATUS: %s\n", mysql_error(m));
            return 1;
        }
        if (bl_now_ns() > deadline) { printf("timeout at file=%s pos=%llu\n", file, pos); return 1; }
        pause_us(interval);
    }
    printf("reached_wall_ns=%llu polls=%llu file=%s pos=%llu\n", (unsigned long long)bl_wall_ns(), polls, file, pos);
    mysql_close(m);
    return 0;
}
