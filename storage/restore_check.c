/*
 * restore_check.c - see restore_check.h.
 */
#include "storage/restore_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/gtid_track.h"
#include "storage/binlog_file.h"
#include "storage/gtid_index.h"

int restore_check_file(int dirfd, const char *path, const char *name, uint64_t size, int flavor, const char *start,
                       const char *end, char *why, size_t cap)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1) {
        snprintf(why, cap, "%s: the restored copy cannot be opened: %s", name, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
        snprintf(why, cap, "%s: the restored copy is not a regular file", name);
        close(fd);
        return -1;
    }
    if ((uint64_t)sb.st_size != size) {
        snprintf(why, cap, "%s: the restored copy has %llu bytes, the archived file had %llu", name,
                 (unsigned long long)sb.st_size, (unsigned long long)size);
        close(fd);
        return -1;
    }
    char err[512];
    struct binlog_scan sc;
    int rc = binlog_file_scan(fd, name, &sc, err, sizeof(err));
    close(fd);
    if (rc == -1) {
        snprintf(why, cap, "%s", err);   /* names the file and the offset already */
        return -1;
    }
    if (sc.problem[0]) {
        snprintf(why, cap, "%s:%llu: %s", name, (unsigned long long)sc.problem_offset, sc.problem);
        return -1;
    }
    if (sc.safe_end != sc.file_size) {
        snprintf(why, cap, "%s:%llu: incomplete transaction at the end of the restored copy", name,
                 (unsigned long long)sc.safe_end);
        return -1;
    }
    if (!sc.end_type || sc.in_use) {
        snprintf(why, cap, "%s: the restored copy is not a closed file (%s)", name,
                 !sc.end_type ? "no ROTATE or STOP at its end" : "IN_USE set");
        return -1;
    }
    if (flavor == GTID_TRACK_NONE || !start || !end) return 0;
    struct gtid_track t;
    gtid_track_init(&t);
    uint64_t upto = 0;
    if (gix_scan_file(dirfd, path, &t, &upto, err, sizeof(err)) == -1) {
        gtid_track_free(&t);
        snprintf(why, cap, "%s: GTID states unreadable: %s", name, err);
        return -1;
    }
    char *s = gtid_track_start_text(&t), *e = gtid_track_end_text(&t);
    int bad = !s || !e || (int)t.flavor != flavor || strcmp(s, start) || strcmp(e, end);
    if (bad)
        snprintf(why, cap, "%s: GTID states differ from the archived file's: %s %s..%s, archived %s %s..%s", name,
                 gtid_track_flavor_name(t.flavor), s ? s : "?", e ? e : "?",
                 gtid_track_flavor_name((enum gtid_track_flavor)flavor), start, end);
    free(s);
    free(e);
    gtid_track_free(&t);
    return bad ? -1 : 0;
}
