/*
 * stmtfx.c - see stmtfx.h.
 */
#include "tests/unit/stmtfx.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/admin/sql.h"
#include "tests/unit/tmpdir.h"

/* Free what open_fx made (any part of it) and remove the directory; f itself stays. */
static void close_fx(struct stmtfx *f)
{
    stmt_result_free(&f->r);
    ingest_free(f->ingest);   /* it holds the store: freed first */
    f->ingest = NULL;
    store_free(f->store);
    f->store = NULL;
    uservars_free(&f->vars);
    if (f->path[0]) tmpdir_remove(f->path);
    f->path[0] = 0;
}

/* Open f (zeroed) as stmtfx_new says: 0, or -1 with what was made freed. */
static int open_fx(struct stmtfx *f, const char *name, int with_ingest)
{
    stmt_result_init(&f->r);
    snprintf(f->path, sizeof(f->path), "/tmp/binlogd-%s-XXXXXX", name);
    if (!mkdtemp(f->path)) {
        f->path[0] = 0;
        return -1;
    }
    config_defaults(&f->cfg);
    f->cfg.server_id = 42;
    char err[512];
    struct store_opts o = {.dir = f->path, .sync = STORE_SYNC_TRX};
    if (store_open(&o, &f->store, err, sizeof(err)) != STORE_OK) {
        f->store = NULL;
        close_fx(f);
        return -1;
    }
    if (with_ingest) {
        struct ingest_opts io = {.server_id = 42, .connect_timeout_s = 1, .net_timeout_s = 1, .retry_min_ms = 100,
                                 .retry_max_ms = 1000, .max_packet = 1 << 20};
        snprintf(io.up.host, sizeof(io.up.host), "127.0.0.1");
        io.up.port = 3306;
        snprintf(io.up.user, sizeof(io.up.user), "repl");
        f->ingest = ingest_new(&io, f->store, NULL, NULL);
        if (!f->ingest) {
            close_fx(f);
            return -1;
        }
    }
    f->ctx = (struct stmt_ctx){.cfg = &f->cfg, .store = f->store, .ingest = f->ingest, .conn_id = 11, .user = "admin",
                               .peer_host = "127.0.0.1", .is_admin = 1, .vars = &f->vars};
    return 0;
}

void *stmtfx_new(size_t size, const char *name, int with_ingest)
{
    if (size < sizeof(struct stmtfx)) return NULL;
    struct stmtfx *f = calloc(1, size);
    if (!f) return NULL;
    if (open_fx(f, name, with_ingest) == -1) {
        free(f);
        return NULL;
    }
    return f;
}

int stmtfx_teardown(void **state)
{
    close_fx(*state);
    free(*state);
    return 0;
}

struct stmt_result *stmtfx_run(struct stmtfx *f, const char *sql)
{
    stmt_result_free(&f->r);
    sql_execute(&f->ctx, sql, strlen(sql), &f->r);
    assert_false(f->r.oom);
    return &f->r;
}

size_t stmtfx_col(const struct stmt_result *r, const char *name)
{
    for (size_t i = 0; i < r->ncols; i++)
        if (!strcmp(stmt_name(r, i), name)) return i;
    fail_msg("no column %s", name);
    return 0;
}

const char *stmtfx_cell(const struct stmt_result *r, const char *name)
{
    const char *v = stmt_cell(r, 0, stmtfx_col(r, name));
    assert_non_null(v);
    return v;
}
