/*
 * stmtfx.h - the fixture of the suites that run statements through sql_execute(): a real
 * store (empty) in a throwaway directory, optionally a real ingest that is never started,
 * user variables, a stmt_ctx over them and a stmt_result to answer into. A suite that needs
 * more (binlog files, fake upper-wing callbacks, its own numbers) puts struct stmtfx first in
 * its own fixture and adds that in its setup, after stmtfx_new.
 */
#ifndef BINLOGD_TESTS_UNIT_STMTFX_H
#define BINLOGD_TESTS_UNIT_STMTFX_H

#include <stddef.h>

#include "conf/config.h"
#include "server/admin/stmt.h"
#include "server/admin/uservars.h"
#include "server/upstream/ingest.h"
#include "storage/store.h"

struct stmtfx {
    char path[64];             /* the store's directory */
    struct config cfg;         /* defaults, server_id 42 */
    struct store *store;
    struct ingest *ingest;     /* NULL unless asked for */
    struct uservars vars;
    struct stmt_ctx ctx;
    struct stmt_result r;      /* the last statement's answer (stmtfx_run) */
};

/* Allocate size bytes, zeroed, for a fixture that begins with a struct stmtfx (size at least
 * sizeof(struct stmtfx); the suite's own fields follow it), and open that struct stmtfx: a
 * fresh directory /tmp/binlogd-NAME-XXXXXX with an empty store in it (sync per transaction),
 * the default config with server_id 42, and when with_ingest an ingest for 127.0.0.1:3306 as
 * user 'repl' that is configured and not stopped (CHANGE MASTER wants a STOP SLAVE first) and
 * never started. ctx is an admin session, id 11, user 'admin' from 127.0.0.1, with vars as
 * its user variables; callers change it at will. Returns the fixture (the caller's, freed
 * with stmtfx_teardown), or NULL with nothing left behind (a setup then fails). */
void *stmtfx_new(size_t size, const char *name, int with_ingest);

/* A cmocka teardown for a fixture made by stmtfx_new (*state): frees the ingest, the store,
 * the variables and the last answer, removes the directory with everything in it, and frees
 * the fixture. Returns 0. */
int stmtfx_teardown(void **state);

/* Run one statement (sql, NUL-terminated) in f->ctx into f->r, the previous answer freed
 * first. Fails the test if the answer ran out of memory. Returns &f->r, valid until the next
 * run or stmtfx_teardown. */
struct stmt_result *stmtfx_run(struct stmtfx *f, const char *sql);

/* Index of the column called name in r; fails the test when there is none. */
size_t stmtfx_col(const struct stmt_result *r, const char *name);

/* The first row's cell in the column called name; fails the test when the column is absent
 * or the cell is NULL. Points into r. */
const char *stmtfx_cell(const struct stmt_result *r, const char *name);

#endif
