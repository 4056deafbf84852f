/*
 * purge_stmt.c - see purge_stmt.h.
 */
#include "server/admin/purge_stmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protocol/errmsg.h"
#include "protocol/event.h"

int purge_stmt_parse_datetime(const char *s, size_t len, int64_t *t)
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf)) return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    char sep = ' ';
    int got = sscanf(buf, "%4d-%2d-%2d%n%c%2d:%2d:%2d%n", &y, &mo, &d, &n, &sep, &h, &mi, &sec, &n);
    if (got != 3 && got != 7) return -1;
    if (got == 7 && sep != ' ' && sep != 'T') return -1;
    /* a fraction of a second is accepted and ignored, as UNIX_TIMESTAMP rounds it away here */
    const char *rest = buf + n;
    if (*rest == '.') {
        rest++;
        while (*rest >= '0' && *rest <= '9') rest++;
    }
    if (*rest) return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    time_t v = mktime(&tm);
    if (v == (time_t)-1 || tm.tm_mday != d) return -1;   /* mktime normalised a 31st that does not exist */
    *t = (int64_t)v;
    return 0;
}

void purge_stmt_run(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r)
{
    struct myerr e;
    if (!c->is_admin) {
        myerr_specific_access_denied(&e, "BINLOG ADMIN");
        stmt_err(r, &e);
        return;
    }
    if (!c->purge) {
        myerr_not_supported_yet(&e, "PURGE BINARY LOGS without a data directory");
        stmt_err(r, &e);
        return;
    }
    char arg[EV_MAX_NAME_LEN * 2 + 2];
    size_t n = q->arg_len < sizeof(arg) - 1 ? q->arg_len : sizeof(arg) - 1;
    memcpy(arg, q->arg ? q->arg : "", n);
    arg[n] = 0;
    if (q->purge_before) {
        int64_t t = 0;
        if (purge_stmt_parse_datetime(arg, n, &t) == -1) {
            /* mariadbd: UNIX_TIMESTAMP('junk') is NULL, so nothing is older than it */
            stmt_warnf(r, "Warning", 1292, "Incorrect datetime value: '%.200s'", arg);
            stmt_ok(r, 0);
            return;
        }
        c->purge(c->purge_arg, STMT_PURGE_BEFORE, NULL, t, r);
    } else {
        c->purge(c->purge_arg, STMT_PURGE_TO, arg, 0, r);
    }
}

void purge_stmt_show_warnings(const struct stmt_ctx *c, struct stmt_result *r)
{
    static const char *const names[] = {"Level", "Code", "Message"};
    if (stmt_columns(r, names, 3) == -1) return;
    stmt_column_type(r, 1, STMT_COL_LONG);
    for (size_t i = 0; i < c->last_nwarn; i++) {
        char code[8];
        snprintf(code, sizeof(code), "%u", c->last_warn[i].code);
        const char *cells[3] = {c->last_warn[i].level, code, c->last_warn[i].msg};
        if (stmt_row(r, cells) == -1) return;
    }
}
