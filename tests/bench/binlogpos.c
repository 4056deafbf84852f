/*
 * binlogpos.c - where a reader must start so that it reads about TAIL bytes to the end of
 * a set of binlog files, for `make bench` (so that N readers read N * TAIL bytes, not N
 * times the whole corpus). Walks the event headers of the file holding that point and picks
 * the first GTID event at or after it, else the last one before it (a transaction boundary;
 * any event boundary would do for MariaDB and binlogd alike).
 * With -s the start snaps to a file start: the latest file from whose start on there are at
 * least TAIL bytes (readers then never resume mid-file).
 * usage: binlogpos [-s] TAIL_BYTES FILE...      (the files in index order)
 * Prints: INDEX OFFSET BYTES  - the 0-based index of the start file in the arguments, the
 * offset in it (4 = the whole file) and the bytes from there to the end of the last file.
 * Exit status 0, 1 on a read error or a file that is not a binlog, 2 on bad usage.
 */
#include <sys/stat.h>

#include "tests/bench/benchlib.h"

int main(int argc, char **argv)
{
    int snap = argc > 1 && !strcmp(argv[1], "-s");
    if (snap) { argv++; argc--; }
    if (argc < 3) { fprintf(stderr, "usage: binlogpos [-s] TAIL_BYTES FILE...\n"); return 2; }
    unsigned long long tail = strtoull(argv[1], NULL, 10), total = 0;
    int nf = argc - 2;
    unsigned long long *size = calloc((size_t)nf, sizeof(*size));
    if (!size) return 1;
    for (int i = 0; i < nf; i++) {
        struct stat sb;
        if (stat(argv[2 + i], &sb) == -1) { fprintf(stderr, "binlogpos: %s: %s\n", argv[2 + i], strerror(errno)); return 1; }
        size[i] = (unsigned long long)sb.st_size;
        total += size[i];
    }
    if (tail >= total) { printf("0 4 %llu\n", total); return 0; }
    if (snap) {
        unsigned long long rest = 0;
        int f = nf;
        while (f > 0 && rest < tail) rest += size[--f];
        printf("%d 4 %llu\n", f, rest);
        return 0;
    }
    /* The file holding global offset total - tail, and the local offset in it. */
    unsigned long long want = total - tail, before = 0;
    int f = 0;
    while (f < nf - 1 && before + size[f] <= want) before += size[f++];
    unsigned long long local = want - before;
    int fd = open(argv[2 + f], O_RDONLY | O_CLOEXEC);
    if (fd == -1) { fprintf(stderr, "binlogpos: %s: %s\n", argv[2 + f], strerror(errno)); return 1; }
    unsigned long long off = 4, last_gtid = 0;
    for (;;) {
        uint8_t h[BL_EV_HEADER];
        ssize_t r = pread(fd, h, sizeof(h), (off_t)off);
        if (r == -1) { fprintf(stderr, "binlogpos: %s: %s\n", argv[2 + f], strerror(errno)); return 1; }
        if (r < (ssize_t)sizeof(h)) {
            /* No GTID event after the point: the last one before it, else the next file. */
            if (last_gtid) off = last_gtid;
            else if (f + 1 < nf) { f++; off = 4; }
            break;
        }
        uint32_t len = wire_u32(h + 9);
        if (len < BL_EV_HEADER) { fprintf(stderr, "binlogpos: %s:%llu: bad event length %u\n", argv[2 + f], off, len); return 1; }
        if (h[4] == BL_EV_GTID) {
            if (off >= local) break;
            last_gtid = off;
        }
        off += len;
    }
    close(fd);
    unsigned long long rest = size[f] - off;
    for (int i = f + 1; i < nf; i++) rest += size[i];
    printf("%d %llu %llu\n", f, off, rest);
    free(size);
    return 0;
}
