/*
 * stmt.c - see stmt.h. Cells live in one growing text arena and are addressed by offset,
 * so a SHOW BINARY LOGS of thousands of files costs a few reallocations, not a malloc per
 * cell.
 */
#include "server/admin/stmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *stmt_kind_name(enum stmt_kind k)
{
    switch (k) {
    case STMT_OK: return "ok";
    case STMT_ERR: return "err";
    case STMT_ROWS: return "rows";
    case STMT_LATER: return "later";
    }
    return "?";
}

const char *stmt_col_type_name(enum stmt_col_type t)
{
    switch (t) {
    case STMT_COL_TEXT: return "text";
    case STMT_COL_LONGLONG: return "longlong";
    case STMT_COL_LONG: return "long";
    case STMT_COL_DOUBLE: return "double";
    }
    return "?";
}

void stmt_result_init(struct stmt_result *r)
{
    memset(r, 0, sizeof(*r));
    r->kind = STMT_OK;
}

void stmt_result_free(struct stmt_result *r)
{
    free(r->cell_off);
    free(r->text);
    free(r->warn);
    stmt_result_init(r);
}

void stmt_ok(struct stmt_result *r, uint64_t affected)
{
    r->kind = STMT_OK;
    r->affected_rows = affected;
}

void stmt_err(struct stmt_result *r, const struct myerr *e)
{
    r->kind = STMT_ERR;
    r->err = *e;
}

void stmt_warnf(struct stmt_result *r, const char *level, uint16_t code, const char *fmt, ...)
{
    struct stmt_warning *nw = realloc(r->warn, (r->nwarn + 1) * sizeof(*nw));
    if (!nw) return;
    r->warn = nw;
    struct stmt_warning *w = &nw[r->nwarn++];
    w->level = level;
    w->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
    va_end(ap);
}

void stmt_errf(struct stmt_result *r, uint16_t code, const char *fmt, ...)
{
    char msg[MYERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    myerr_custom(&r->err, code, "%s", msg);
    r->kind = STMT_ERR;
}

void stmt_late_errf(struct stmt_result *r, uint16_t code, const char *fmt, ...)
{
    char msg[MYERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    myerr_custom(&r->err, code, "%s", msg);
    r->kind = STMT_ERR;
    r->nrows = 0;
    r->err_after_columns = r->ncols > 0;
}

void stmt_later(struct stmt_result *r, int (*ready)(void *arg), void *arg, uint32_t interval_ms,
                uint32_t timeout_ms, const struct myerr *timeout_err)
{
    r->kind = STMT_LATER;
    r->later = (struct stmt_later){.ready = ready, .arg = arg, .interval_ms = interval_ms ? interval_ms : 1,
                                   .timeout_ms = timeout_ms, .timeout_err = *timeout_err};
}

/* Copy s (with its NUL) into the arena; its offset, or SIZE_MAX with r->oom set. */
static size_t put_text(struct stmt_result *r, const char *s)
{
    size_t n = strlen(s) + 1;
    if (r->text_cap - r->text_len < n) {
        size_t cap = r->text_cap ? r->text_cap : 256;
        while (cap - r->text_len < n) cap *= 2;
        char *t = realloc(r->text, cap);
        if (!t) { r->oom = 1; return SIZE_MAX; }
        r->text = t;
        r->text_cap = cap;
    }
    size_t off = r->text_len;
    memcpy(r->text + off, s, n);
    r->text_len += n;
    return off;
}

int stmt_columns(struct stmt_result *r, const char *const *names, size_t ncols)
{
    r->kind = STMT_ROWS;
    r->ncols = 0;
    r->nrows = 0;
    memset(r->col_type, 0, sizeof(r->col_type));
    if (ncols > STMT_MAX_COLS) { r->oom = 1; return -1; }
    for (size_t i = 0; i < ncols; i++)
        if ((r->name_off[i] = put_text(r, names[i])) == SIZE_MAX) return -1;
    r->ncols = ncols;
    return 0;
}

void stmt_column_type(struct stmt_result *r, size_t col, enum stmt_col_type t)
{
    if (col < r->ncols) r->col_type[col] = (uint8_t)t;
}

int stmt_row(struct stmt_result *r, const char *const *cells)
{
    if (r->oom) return -1;
    size_t need = (r->nrows + 1) * r->ncols;
    if (need > r->cap_cells) {
        size_t cap = r->cap_cells ? r->cap_cells * 2 : 4 * (r->ncols ? r->ncols : 1);
        while (cap < need) cap *= 2;
        size_t *c = realloc(r->cell_off, cap * sizeof(*c));
        if (!c) { r->oom = 1; return -1; }
        r->cell_off = c;
        r->cap_cells = cap;
    }
    size_t *row = &r->cell_off[r->nrows * r->ncols];
    for (size_t i = 0; i < r->ncols; i++) {
        if (!cells[i]) { row[i] = SIZE_MAX; continue; }
        if ((row[i] = put_text(r, cells[i])) == SIZE_MAX) return -1;
    }
    r->nrows++;
    return 0;
}

const char *stmt_name(const struct stmt_result *r, size_t col)
{
    return col < r->ncols ? r->text + r->name_off[col] : NULL;
}

const char *stmt_cell(const struct stmt_result *r, size_t row, size_t col)
{
    if (row >= r->nrows || col >= r->ncols) return NULL;
    size_t off = r->cell_off[row * r->ncols + col];
    return off == SIZE_MAX ? NULL : r->text + off;
}
