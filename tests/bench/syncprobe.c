/*
 * syncprobe.c - what one durable append costs on this disk: COUNT times, append SIZE bytes
 * to a file in DIR and fdatasync it, as binlogd's storage.sync=trx does once per batch of
 * transactions (context for the hop-latency figures of `make bench`). With -p the file is
 * preallocated (fallocate + fsync) first and the writes overwrite it in place, so that an
 * fdatasync has no file size to commit: what a preallocating writer would pay (binlogd's
 * commit journal). With -r RATE the writes are paced at RATE per second, as the hop test's
 * commits are: an fdatasync after an idle millisecond costs more than one right after another
 * on this kind of virtual disk, so an unpaced probe understates what binlogd pays.
 * usage: syncprobe [-p] [-r RATE] DIR [COUNT=1000] [SIZE=300]
 * Prints: count=N p50_us p99_us max_us. Exit status 0, 1 on an I/O error, 2 on bad usage.
 */
#include "tests/bench/benchlib.h"

int main(int argc, char **argv)
{
    int prealloc = 0;
    long rate = 0;
    for (;;) {
        if (argc > 1 && !strcmp(argv[1], "-p")) { prealloc = 1; argv++; argc--; continue; }
        if (argc > 2 && !strcmp(argv[1], "-r")) { rate = strtol(argv[2], NULL, 10); argv += 2; argc -= 2; continue; }
        break;
    }
    if (argc < 2) { fprintf(stderr, "usage: syncprobe [-p] [-r RATE] DIR [COUNT] [SIZE]\n"); return 2; }
    size_t count = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 1000, size = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 300;
    if (!count || !size || size > 65536) { fprintf(stderr, "syncprobe: bad COUNT or SIZE\n"); return 2; }
    char path[4096];
    snprintf(path, sizeof(path), "%s/syncprobe.%d", argv[1], (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (prealloc ? 0 : O_APPEND), 0644);
    if (fd == -1) { fprintf(stderr, "syncprobe: %s: %s\n", path, strerror(errno)); return 1; }
    if (prealloc) {
        /* Blocks allocated and written (zeroes), size fixed: later fdatasyncs flush data only. */
        static const uint8_t zero[65536];
        size_t total = count * size;
        for (size_t done = 0; done < total;) {
            size_t k = total - done < sizeof(zero) ? total - done : sizeof(zero);
            if (bl_write_all(fd, zero, k) == -1) { fprintf(stderr, "syncprobe: %s: %s\n", path, strerror(errno)); return 1; }
            done += k;
        }
        if (fsync(fd) == -1) { fprintf(stderr, "syncprobe: fsync %s: %s\n", path, strerror(errno)); return 1; }
    }
    uint8_t buf[65536];
    memset(buf, 'x', size);
    int64_t *lat = calloc(count, sizeof(*lat));
    if (!lat) return 1;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (size_t i = 0; i < count; i++) {
        if (rate > 0) {   /* the next slot of the pace, absolute: no drift */
            uint64_t ns = (uint64_t)next.tv_nsec + 1000000000ull / (uint64_t)rate;
            next.tv_sec += (time_t)(ns / 1000000000ull);
            next.tv_nsec = (long)(ns % 1000000000ull);
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
        }
        uint64_t t0 = bl_now_ns();
        int rc = prealloc ? (pwrite(fd, buf, size, (off_t)(i * size)) == (ssize_t)size ? 0 : -1) : bl_write_all(fd, buf, size);
        if (rc == -1 || fdatasync(fd) == -1) {
            fprintf(stderr, "syncprobe: %s: %s\n", path, strerror(errno));
            return 1;
        }
        lat[i] = (int64_t)(bl_now_ns() - t0);
    }
    close(fd);
    if (unlink(path) == -1) fprintf(stderr, "syncprobe: unlink %s: %s\n", path, strerror(errno));
    qsort(lat, count, sizeof(*lat), bl_cmp_i64);
    printf("count=%zu p50_us=%.0f p99_us=%.0f max_us=%.0f\n", count, (double)bl_pct(lat, count, 50) / 1e3,
           (double)bl_pct(lat, count, 99) / 1e3, (double)lat[count - 1] / 1e3);
    free(lat);
    return 0;
}
