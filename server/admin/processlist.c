/*
 * processlist.c - see processlist.h. The rows come from the wing above through
 * ctx->threads; this file only decides what each row shows and who may see it.
 */
#include "server/admin/processlist.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const columns[] = {"Id", "User", "Host", "db", "Command", "Time", "State", "Info", "Progress"};

size_t processlist_utf8_prefix(const char *s, size_t len, size_t chars)
{
    size_t i = 0;
    while (i < len && chars > 0) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        if (i + n > len) n = 1;
        for (size_t k = 1; k < n; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80) { n = 1; break; }
        i += n;
        chars--;
    }
    return i;
}

static int by_id(const void *a, const void *b)
{
    uint32_t x = ((const struct stmt_thread *)a)->id, y = ((const struct stmt_thread *)b)->id;
    return x < y ? -1 : x > y;
}

void processlist_show(const struct stmt_ctx *c, int full, const char *sql, size_t len, struct stmt_result *r)
{
    size_t n = c->threads ? c->threads(c->up, NULL, 0) : 0;
    struct stmt_thread *t = calloc(n + 1, sizeof(*t));
    if (!t) { stmt_errf(r, 1037, "Out of memory"); return; }
    size_t got = n ? c->threads(c->up, t, n) : 0;
    if (got < n) n = got;
    int self_listed = 0;
    for (size_t i = 0; i < n; i++) self_listed |= t[i].id == c->conn_id;
    if (!self_listed)   /* no wing above (tests, tools): the caller still sees itself */
        t[n++] = (struct stmt_thread){.id = c->conn_id, .user = c->user, .host = c->peer_host};
    qsort(t, n, sizeof(*t), by_id);

    size_t info_len = full ? len : processlist_utf8_prefix(sql, len, PROCESSLIST_INFO_WIDTH);
    char *info = malloc(info_len + 1);
    if (!info) { free(t); stmt_errf(r, 1037, "Out of memory"); return; }
    memcpy(info, sql, info_len);
    info[info_len] = 0;   /* a NUL inside the statement ends Info early: harmless */

    if (stmt_columns(r, columns, 9) == 0) {
        stmt_column_type(r, 0, STMT_COL_LONGLONG);   /* Id, Time, Progress: mariadbd's types */
        stmt_column_type(r, 5, STMT_COL_LONG);
        stmt_column_type(r, 8, STMT_COL_DOUBLE);
        for (size_t i = 0; i < n; i++) {
            const struct stmt_thread *th = &t[i];
            int self = th->id == c->conn_id;
            const char *user = th->user && th->user[0] ? th->user : "unauthenticated user";
            /* Without PROCESS mariadbd shows only threads whose user name equals ours. */
            if (!c->is_admin && !self && (!th->user || strcmp(th->user, c->user))) continue;
            char id[16], secs[24];
            snprintf(id, sizeof(id), "%" PRIu32, th->id);
            snprintf(secs, sizeof(secs), "%" PRIu64, self ? 0 : th->time);
            /* Another connection's statement (one that waits, as STOP SLAVE on a hung
             * primary): cut as the caller's own. */
            char *other = NULL;
            if (!self && th->info) {
                size_t ol = full ? th->info_len : processlist_utf8_prefix(th->info, th->info_len, PROCESSLIST_INFO_WIDTH);
                if ((other = malloc(ol + 1))) {
                    memcpy(other, th->info, ol);
                    other[ol] = 0;
                }
            }
            const char *cells[9] = {id, user, th->host ? th->host : "", NULL,
                                    self ? "Query" : th->command ? th->command : "Sleep", secs,
                                    self ? "starting" : th->state, self ? info : other, "0.000"};
            int rc = stmt_row(r, cells);
            free(other);
            if (rc == -1) break;
        }
    }
    free(info);
    free(t);
}
