/* query.c - recognising the fixed statement shapes of query.h over the tokenizer. */
#include "protocol/query.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/query_lex.h"

struct parser {
    struct lexer L;
    struct tok t;           /* current token */
    size_t last_end;        /* end of the token before t */
    struct query *q;
};

struct query *query_new(void) { return calloc(1, sizeof(struct query)); }

void query_free(struct query *q) { free(q); }

const char *query_kind_name(enum query_kind k)
{
    switch (k) {
    case QUERY_UNKNOWN: return "unknown";
    case QUERY_EMPTY: return "empty";
    case QUERY_SELECT: return "SELECT";
    case QUERY_SET: return "SET";
    case QUERY_SHOW_VARIABLES: return "SHOW VARIABLES";
    case QUERY_SHOW_STATUS: return "SHOW STATUS";
    case QUERY_SHOW_MASTER_STATUS: return "SHOW MASTER STATUS";
    case QUERY_SHOW_BINARY_LOGS: return "SHOW BINARY LOGS";
    case QUERY_SHOW_SLAVE_HOSTS: return "SHOW SLAVE HOSTS";
    case QUERY_SHOW_SLAVE_STATUS: return "SHOW SLAVE STATUS";
    case QUERY_SHOW_WARNINGS: return "SHOW WARNINGS";
    case QUERY_KILL: return "KILL";
    case QUERY_START_SLAVE: return "START SLAVE";
    case QUERY_STOP_SLAVE: return "STOP SLAVE";
    case QUERY_CHANGE_MASTER: return "CHANGE MASTER";
    case QUERY_PURGE_BINARY_LOGS: return "PURGE BINARY LOGS";
    case QUERY_FLUSH: return "FLUSH";
    case QUERY_SHOW_BINLOG_EVENTS: return "SHOW BINLOG EVENTS";
    case QUERY_SHOW_BINLOG_STATISTICS: return "SHOW BINLOG STATISTICS";
    case QUERY_SHOW_BINLOG_TOP_TRX: return "SHOW BINLOG TOP TRANSACTIONS";
    case QUERY_SHOW_BINLOG_LAG_DOCTOR: return "SHOW BINLOG LAG DOCTOR";
    case QUERY_SHOW_BINLOG_WATCH: return "SHOW BINLOG WATCH";
    case QUERY_SHOW_BINLOG_ARCHIVE: return "SHOW BINLOG ARCHIVE";
    case QUERY_SHOW_PROCESSLIST: return "SHOW PROCESSLIST";
    }
    return "?";
}

const char *query_stats_by_name(enum query_stats_by b)
{
    switch (b) {
    case QSTATS_BY_TABLE: return "table";
    case QSTATS_BY_SERVER: return "server";
    case QSTATS_BY_KIND: return "kind";
    }
    return "?";
}

const char *query_scope_name(enum query_scope s)
{
    switch (s) {
    case QSCOPE_DEFAULT: return "default";
    case QSCOPE_SESSION: return "session";
    case QSCOPE_GLOBAL: return "global";
    }
    return "?";
}

const char *qval_kind_name(enum qval_kind k)
{
    switch (k) {
    case QVAL_NONE: return "none";
    case QVAL_STRING: return "string";
    case QVAL_NUMBER: return "number";
    case QVAL_NULL: return "NULL";
    case QVAL_WORD: return "word";
    case QVAL_SYSVAR: return "system variable";
    case QVAL_USERVAR: return "user variable";
    case QVAL_FUNC: return "function";
    }
    return "?";
}

const char *query_assign_kind_name(enum query_assign_kind k)
{
    switch (k) {
    case QA_USERVAR: return "user variable";
    case QA_SYSVAR: return "system variable";
    case QA_NAMES: return "NAMES";
    case QA_CHARSET: return "CHARACTER SET";
    case QA_OPTION: return "option";
    }
    return "?";
}

static void adv(struct parser *P)
{
    P->last_end = P->t.end;
    lex_next(&P->L, &P->t);
}

static int is_kw(const struct parser *P, const char *kw)
{
    return P->t.type == TOK_WORD && query_name_eq(P->t.s, P->t.len, kw);
}

static int is_punct(const struct parser *P, char c) { return P->t.type == TOK_PUNCT && P->t.punct == c; }

static int accept_kw(struct parser *P, const char *kw)
{
    if (!is_kw(P, kw)) return 0;
    adv(P);
    return 1;
}

static int fail(struct parser *P, const char *why)
{
    if (!P->q->why) {
        P->q->why = P->t.type == TOK_ERROR ? P->t.why : why;
        P->q->error_pos = P->t.start;
    }
    return -1;
}

static int expect_kw(struct parser *P, const char *kw)
{
    return accept_kw(P, kw) ? 0 : fail(P, "unexpected word");
}

static int expect_punct(struct parser *P, char c)
{
    if (!is_punct(P, c)) return fail(P, "unexpected token");
    adv(P);
    return 0;
}

/* Trailing ';'s, then the end of the input. */
static int expect_end(struct parser *P)
{
    while (is_punct(P, ';')) adv(P);
    return P->t.type == TOK_END ? 0 : fail(P, "unexpected text after the statement");
}

static int copy(struct parser *P, const char *s, size_t n, const char **out)
{
    *out = lex_arena_copy(P->q, s, n);
    return *out ? 0 : fail(P, "statement too long");
}

/* The current WORD/QWORD/STRING token as a name (copied), then advance. */
static int take_name(struct parser *P, const char **s, size_t *n)
{
    if (P->t.type == TOK_WORD) {
        if (copy(P, P->t.s, P->t.len, s) == -1) return -1;
    } else if (P->t.type == TOK_QWORD || P->t.type == TOK_STRING) {
        *s = P->t.s;
    } else {
        return fail(P, "name expected");
    }
    *n = P->t.len;
    adv(P);
    return 0;
}

static void number_value(struct qval *v, const char *s, size_t n)
{
    uint64_t u = 0;
    v->is_int = 0;
    if (n > 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
        if (n - 2 > 16) return;
        for (size_t i = 2; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            u = u << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') return;
            uint64_t d = (uint64_t)(s[i] - '0');
            if (u > (UINT64_MAX - d) / 10) return;
            u = u * 10 + d;
        }
    }
    v->is_int = 1;
    v->u = u;
}

/* A string of 1..20 decimal digits as a number. 0 or -1. */
static int decimal_string(const char *s, size_t n, uint64_t *out)
{
    struct qval v = { 0 };
    if (n == 0 || n > 20) return -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return -1;
    number_value(&v, s, n);
    if (!v.is_int) return -1;
    *out = v.u;
    return 0;
}

static int parse_value(struct parser *P, struct qval *v, int allow_func);

static int parse_func_args(struct parser *P, struct qval *v)
{
    struct query *q = P->q;
    adv(P);   /* '(' */
    v->kind = QVAL_FUNC;
    v->first_arg = q->nargs;
    if (is_punct(P, ')')) { adv(P); return 0; }
    for (;;) {
        if (q->nargs >= QUERY_MAX_ARGS) return fail(P, "too many function arguments");
        if (parse_value(P, &q->args[q->nargs], 0) == -1) return -1;
        q->nargs++;
        v->nargs++;
        if (is_punct(P, ')')) { adv(P); return 0; }
        if (expect_punct(P, ',') == -1) return -1;
    }
}

static int parse_value(struct parser *P, struct qval *v, int allow_func)
{
    memset(v, 0, sizeof(*v));
    switch (P->t.type) {
    case TOK_STRING:
        v->kind = QVAL_STRING;
        v->s = P->t.s;
        v->len = P->t.len;
        adv(P);
        return 0;
    case TOK_USERVAR:
    case TOK_SYSVAR:
        v->kind = P->t.type == TOK_USERVAR ? QVAL_USERVAR : QVAL_SYSVAR;
        v->scope = P->t.scope;
        v->s = P->t.s;
        v->len = P->t.len;
        adv(P);
        return 0;
    case TOK_PUNCT:
    case TOK_NUMBER: {
        int neg = 0;
        if (is_punct(P, '-') || is_punct(P, '+')) {
            neg = P->t.punct == '-';
            adv(P);
            if (P->t.type != TOK_NUMBER) return fail(P, "number expected");
        } else if (P->t.type != TOK_NUMBER) {
            return fail(P, "value expected");
        }
        v->kind = QVAL_NUMBER;
        number_value(v, P->t.s, P->t.len);
        v->negative = neg && !(v->is_int && v->u == 0);
        /* A negative whole number must fit int64. */
        if (v->negative && v->is_int && v->u > (uint64_t)INT64_MAX + 1) v->is_int = 0;
        /* The text as written, sign included (without any blanks that followed it). */
        size_t n = P->t.len + (size_t)neg;
        if (n + 1 > sizeof(P->q->arena) - P->q->arena_used) return fail(P, "statement too long");
        char *d = P->q->arena + P->q->arena_used;
        if (neg) d[0] = '-';
        memcpy(d + neg, P->t.s, P->t.len);
        d[n] = 0;
        P->q->arena_used += n + 1;
        v->s = d;
        v->len = n;
        adv(P);
        return 0;
    }
    case TOK_WORD:
        if (query_name_eq(P->t.s, P->t.len, "NULL")) {
            v->kind = QVAL_NULL;
            adv(P);
            return 0;
        }
        if (take_name(P, &v->s, &v->len) == -1) return -1;
        v->kind = QVAL_WORD;
        if (allow_func && is_punct(P, '(')) return parse_func_args(P, v);
        return 0;
    case TOK_QWORD:
        v->kind = QVAL_WORD;
        return take_name(P, &v->s, &v->len);
    default:
        return fail(P, "value expected");
    }
}

static int parse_select(struct parser *P)
{
    struct query *q = P->q;
    q->kind = QUERY_SELECT;
    adv(P);
    for (;;) {
        if (q->nitems >= QUERY_MAX_ITEMS) return fail(P, "too many select items");
        struct query_item *it = &q->items[q->nitems];
        size_t start = P->t.start;
        if (parse_value(P, &it->val, 1) == -1) return -1;
        it->text_len = P->last_end - start;
        if (copy(P, P->L.in + start, it->text_len, &it->text) == -1) return -1;
        q->nitems++;
        if (accept_kw(P, "AS")) {
            if (take_name(P, &it->alias, &it->alias_len) == -1) return -1;
        } else if ((P->t.type == TOK_WORD && !is_kw(P, "FROM") && !is_kw(P, "LIMIT")) ||
                   P->t.type == TOK_QWORD || P->t.type == TOK_STRING) {
            if (take_name(P, &it->alias, &it->alias_len) == -1) return -1;
        }
        if (!is_punct(P, ',')) break;
        adv(P);
    }
    if (accept_kw(P, "FROM") && expect_kw(P, "DUAL") == -1) return -1;
    if (accept_kw(P, "LIMIT")) {
        struct qval n;
        if (P->t.type != TOK_NUMBER || parse_value(P, &n, 0) == -1 || !n.is_int)
            return fail(P, "LIMIT needs a whole number");
        q->has_limit = 1;
        q->limit = n.u;
    }
    return expect_end(P);
}

static int scope_word(struct parser *P, enum query_scope *sc)
{
    if (accept_kw(P, "GLOBAL")) *sc = QSCOPE_GLOBAL;
    else if (accept_kw(P, "SESSION") || accept_kw(P, "LOCAL")) *sc = QSCOPE_SESSION;
    else return 0;
    return 1;
}

static int parse_charset_name(struct parser *P, struct query_assign *a)
{
    if (P->t.type != TOK_WORD && P->t.type != TOK_QWORD && P->t.type != TOK_STRING)
        return fail(P, "character set name expected");
    a->val.kind = P->t.type == TOK_STRING ? QVAL_STRING : QVAL_WORD;
    return take_name(P, &a->val.s, &a->val.len);
}

static int parse_set(struct parser *P)
{
    struct query *q = P->q;
    enum query_scope dflt = QSCOPE_DEFAULT;
    q->kind = QUERY_SET;
    adv(P);
    for (;;) {
        if (q->nassign >= QUERY_MAX_ITEMS) return fail(P, "too many assignments");
        struct query_assign *a = &q->assign[q->nassign];
        /* A scope keyword also applies to the assignments after it (MySQL's rule). */
        scope_word(P, &dflt);
        if (P->t.type == TOK_USERVAR || P->t.type == TOK_SYSVAR) {
            a->kind = P->t.type == TOK_USERVAR ? QA_USERVAR : QA_SYSVAR;
            a->scope = P->t.type == TOK_SYSVAR && P->t.scope != QSCOPE_DEFAULT ? P->t.scope : dflt;
            if (a->kind == QA_USERVAR) a->scope = QSCOPE_DEFAULT;
            a->name = P->t.s;
            a->name_len = P->t.len;
            adv(P);
            if (expect_punct(P, '=') == -1 || parse_value(P, &a->val, 1) == -1) return -1;
        } else if (accept_kw(P, "NAMES")) {
            a->kind = QA_NAMES;
            if (parse_charset_name(P, a) == -1) return -1;
            if (accept_kw(P, "COLLATE")) {
                if (P->t.type != TOK_WORD && P->t.type != TOK_QWORD && P->t.type != TOK_STRING)
                    return fail(P, "collation name expected");
                if (take_name(P, &a->collate, &a->collate_len) == -1) return -1;
            }
        } else if (is_kw(P, "CHARACTER") || is_kw(P, "CHARSET")) {
            if (accept_kw(P, "CHARACTER")) {
                if (expect_kw(P, "SET") == -1) return -1;
            } else {
                adv(P);
            }
            a->kind = QA_CHARSET;
            if (parse_charset_name(P, a) == -1) return -1;
        } else if (P->t.type == TOK_WORD || P->t.type == TOK_QWORD) {
            a->kind = QA_SYSVAR;
            a->scope = dflt;
            if (take_name(P, &a->name, &a->name_len) == -1) return -1;
            if (expect_punct(P, '=') == -1 || parse_value(P, &a->val, 1) == -1) return -1;
        } else {
            return fail(P, "variable expected");
        }
        q->nassign++;
        if (!is_punct(P, ',')) break;
        adv(P);
    }
    return expect_end(P);
}

/* A whole number (no sign, no fraction) that fits 64 bits, as the grammar's ulonglong_num. */
static int take_u64(struct parser *P, uint64_t *out, const char *why)
{
    struct qval n;
    if (P->t.type != TOK_NUMBER) return fail(P, why);
    size_t at = P->t.start;
    if (parse_value(P, &n, 0) == -1) return -1;
    if (!n.is_int) {
        P->q->why = why;
        P->q->error_pos = at;
        return -1;
    }
    *out = n.u;
    return 0;
}

/* After SHOW BINLOG EVENTS: [IN 'file'] [FROM n] [LIMIT n | off, n | n OFFSET off]. */
static int parse_binlog_events(struct parser *P)
{
    struct query *q = P->q;
    q->kind = QUERY_SHOW_BINLOG_EVENTS;
    if (accept_kw(P, "IN")) {
        if (P->t.type != TOK_STRING) return fail(P, "quoted file name expected");
        q->arg = P->t.s;
        q->arg_len = P->t.len;
        adv(P);
    }
    if (accept_kw(P, "FROM")) {
        if (take_u64(P, &q->from, "FROM needs a whole number") == -1) return -1;
        q->has_from = 1;
    }
    if (accept_kw(P, "LIMIT")) {
        uint64_t a;
        if (take_u64(P, &a, "LIMIT needs a whole number") == -1) return -1;
        q->has_limit = 1;
        q->limit = a;
        if (is_punct(P, ',')) {
            adv(P);
            q->limit_offset = a;
            if (take_u64(P, &q->limit, "LIMIT needs a whole number") == -1) return -1;
        } else if (accept_kw(P, "OFFSET")) {
            if (take_u64(P, &q->limit_offset, "OFFSET needs a whole number") == -1) return -1;
        }
    }
    return expect_end(P);
}

/* After SHOW BINLOG STATISTICS: [BY TABLE | SERVER | KIND] [LIKE 'pat']. */
static int parse_binlog_statistics(struct parser *P)
{
    struct query *q = P->q;
    q->kind = QUERY_SHOW_BINLOG_STATISTICS;
    if (accept_kw(P, "BY")) {
        if (accept_kw(P, "TABLE")) q->stats_by = QSTATS_BY_TABLE;
        else if (accept_kw(P, "SERVER")) q->stats_by = QSTATS_BY_SERVER;
        else if (accept_kw(P, "KIND")) q->stats_by = QSTATS_BY_KIND;
        else return fail(P, "TABLE, SERVER or KIND expected");
    }
    if (accept_kw(P, "LIKE")) {
        if (P->t.type != TOK_STRING) return fail(P, "LIKE needs a quoted pattern");
        q->like = P->t.s;
        q->like_len = P->t.len;
        adv(P);
    }
    return expect_end(P);
}

static int parse_show(struct parser *P)
{
    struct query *q = P->q;
    adv(P);
    int scoped = scope_word(P, &q->scope);
    if (is_kw(P, "VARIABLES") || is_kw(P, "STATUS")) {
        q->kind = is_kw(P, "VARIABLES") ? QUERY_SHOW_VARIABLES : QUERY_SHOW_STATUS;
        adv(P);
        if (accept_kw(P, "LIKE")) {
            if (P->t.type != TOK_STRING) return fail(P, "LIKE needs a quoted pattern");
            q->like = P->t.s;
            q->like_len = P->t.len;
            adv(P);
        }
        return expect_end(P);
    }
    if (scoped) return fail(P, "VARIABLES or STATUS expected");
    if (accept_kw(P, "MASTER")) {
        if (accept_kw(P, "STATUS")) q->kind = QUERY_SHOW_MASTER_STATUS;
        else if (accept_kw(P, "LOGS")) q->kind = QUERY_SHOW_BINARY_LOGS;
        else return fail(P, "STATUS or LOGS expected");
    } else if (accept_kw(P, "BINARY")) {
        if (accept_kw(P, "LOGS")) q->kind = QUERY_SHOW_BINARY_LOGS;
        else if (accept_kw(P, "LOG") && expect_kw(P, "STATUS") == 0) q->kind = QUERY_SHOW_MASTER_STATUS;
        else return fail(P, "LOGS or LOG STATUS expected");
    } else if (accept_kw(P, "BINLOG")) {
        if (accept_kw(P, "EVENTS")) return parse_binlog_events(P);
        if (accept_kw(P, "STATISTICS")) return parse_binlog_statistics(P);
        if (accept_kw(P, "TOP")) {
            if (expect_kw(P, "TRANSACTIONS") == -1) return -1;
            q->kind = QUERY_SHOW_BINLOG_TOP_TRX;
            if (accept_kw(P, "LIMIT")) {
                if (take_u64(P, &q->limit, "LIMIT needs a whole number") == -1) return -1;
                q->has_limit = 1;
            }
            return expect_end(P);
        }
        if (accept_kw(P, "LAG")) {
            if (expect_kw(P, "DOCTOR") == -1) return -1;
            q->kind = QUERY_SHOW_BINLOG_LAG_DOCTOR;
            return expect_end(P);
        }
        if (accept_kw(P, "WATCH")) {
            q->kind = QUERY_SHOW_BINLOG_WATCH;
            return expect_end(P);
        }
        if (accept_kw(P, "ARCHIVE")) {
            q->kind = QUERY_SHOW_BINLOG_ARCHIVE;
            return expect_end(P);
        }
        if (expect_kw(P, "STATUS") == -1) return -1;
        q->kind = QUERY_SHOW_MASTER_STATUS;
    } else if (accept_kw(P, "SLAVE") || accept_kw(P, "REPLICA")) {
        if (accept_kw(P, "HOSTS")) q->kind = QUERY_SHOW_SLAVE_HOSTS;
        else if (accept_kw(P, "STATUS")) q->kind = QUERY_SHOW_SLAVE_STATUS;
        else return fail(P, "HOSTS or STATUS expected");
    } else if (accept_kw(P, "REPLICAS")) {
        q->kind = QUERY_SHOW_SLAVE_HOSTS;
    } else if (accept_kw(P, "ALL")) {
        if (!accept_kw(P, "SLAVES") && !accept_kw(P, "REPLICAS")) return fail(P, "SLAVES expected");
        if (expect_kw(P, "STATUS") == -1) return -1;
        q->kind = QUERY_SHOW_SLAVE_STATUS;
        q->all = 1;
    } else if (accept_kw(P, "WARNINGS")) {
        q->kind = QUERY_SHOW_WARNINGS;
    } else if (accept_kw(P, "FULL")) {
        if (expect_kw(P, "PROCESSLIST") == -1) return -1;
        q->kind = QUERY_SHOW_PROCESSLIST;
        q->full = 1;
    } else if (accept_kw(P, "PROCESSLIST")) {
        q->kind = QUERY_SHOW_PROCESSLIST;
    } else {
        return fail(P, "unsupported SHOW statement");
    }
    return expect_end(P);
}

static int parse_kill(struct parser *P)
{
    struct query *q = P->q;
    struct qval n;
    q->kind = QUERY_KILL;
    adv(P);
    if (!accept_kw(P, "HARD")) accept_kw(P, "SOFT");
    if (accept_kw(P, "QUERY")) q->kill_query = 1;
    else accept_kw(P, "CONNECTION");
    /* KILL QUERY ID n names a query id, which binlogd does not have: not accepted. */
    if (P->t.type != TOK_NUMBER) return fail(P, "thread id expected");
    if (parse_value(P, &n, 0) == -1) return -1;
    if (!n.is_int) return fail(P, "thread id expected");
    q->id = n.u;
    return expect_end(P);
}

static int parse_start_stop(struct parser *P, enum query_kind kind)
{
    struct query *q = P->q;
    q->kind = kind;
    adv(P);
    if (accept_kw(P, "ALL")) {
        q->all = 1;
        if (!accept_kw(P, "SLAVES") && !accept_kw(P, "REPLICAS")) return fail(P, "SLAVES expected");
        return expect_end(P);
    }
    if (!accept_kw(P, "SLAVE") && !accept_kw(P, "REPLICA")) return fail(P, "SLAVE expected");
    while (P->t.type == TOK_WORD) {
        if (accept_kw(P, "IO_THREAD")) q->threads |= QUERY_THREAD_IO;
        else if (accept_kw(P, "SQL_THREAD")) q->threads |= QUERY_THREAD_SQL;
        else return fail(P, "IO_THREAD or SQL_THREAD expected");
        if (!is_punct(P, ',')) break;
        adv(P);
    }
    return expect_end(P);
}

static int parse_change(struct parser *P)
{
    struct query *q = P->q;
    q->kind = QUERY_CHANGE_MASTER;
    adv(P);
    if (!accept_kw(P, "MASTER")) {
        if (expect_kw(P, "REPLICATION") == -1 || expect_kw(P, "SOURCE") == -1) return -1;
    }
    if (expect_kw(P, "TO") == -1) return -1;
    for (;;) {
        if (q->nassign >= QUERY_MAX_ITEMS) return fail(P, "too many options");
        struct query_assign *a = &q->assign[q->nassign];
        a->kind = QA_OPTION;
        if (P->t.type != TOK_WORD) return fail(P, "option name expected");
        if (take_name(P, &a->name, &a->name_len) == -1) return -1;
        if (expect_punct(P, '=') == -1 || parse_value(P, &a->val, 0) == -1) return -1;
        q->nassign++;
        if (!is_punct(P, ',')) break;
        adv(P);
    }
    return expect_end(P);
}

static int parse_purge(struct parser *P)
{
    struct query *q = P->q;
    q->kind = QUERY_PURGE_BINARY_LOGS;
    adv(P);
    if (!accept_kw(P, "BINARY") && !accept_kw(P, "MASTER")) return fail(P, "BINARY expected");
    if (expect_kw(P, "LOGS") == -1) return -1;
    if (accept_kw(P, "BEFORE")) q->purge_before = 1;
    else if (expect_kw(P, "TO") == -1) return -1;
    if (P->t.type != TOK_STRING) return fail(P, "quoted text expected");
    q->arg = P->t.s;
    q->arg_len = P->t.len;
    adv(P);
    return expect_end(P);
}

static int parse_flush(struct parser *P)
{
    struct query *q = P->q;
    q->kind = QUERY_FLUSH;
    adv(P);
    if (P->t.type != TOK_WORD) return fail(P, "what to flush?");
    size_t start = P->t.start;
    /* Recognised only: walk to the end so a malformed tail still fails cleanly. */
    while (P->t.type != TOK_END && P->t.type != TOK_ERROR && !is_punct(P, ';')) adv(P);
    size_t end = P->last_end;
    if (expect_end(P) == -1) return -1;
    q->rest_len = end - start;
    return copy(P, P->L.in + start, q->rest_len, &q->rest);
}

enum query_kind query_parse(struct query *q, const char *sql, size_t len)
{
    struct parser P;
    memset(q, 0, offsetof(struct query, arena));
    memset(&P, 0, sizeof(P));
    P.q = q;
    lex_init(&P.L, q, sql, len);
    adv(&P);
    while (is_punct(&P, ';')) adv(&P);
    int rc;
    if (P.t.type == TOK_END) { q->kind = QUERY_EMPTY; return q->kind; }
    if (is_kw(&P, "SELECT")) rc = parse_select(&P);
    else if (is_kw(&P, "SET")) rc = parse_set(&P);
    else if (is_kw(&P, "SHOW")) rc = parse_show(&P);
    else if (is_kw(&P, "KILL")) rc = parse_kill(&P);
    else if (is_kw(&P, "START")) rc = parse_start_stop(&P, QUERY_START_SLAVE);
    else if (is_kw(&P, "STOP")) rc = parse_start_stop(&P, QUERY_STOP_SLAVE);
    else if (is_kw(&P, "CHANGE")) rc = parse_change(&P);
    else if (is_kw(&P, "PURGE")) rc = parse_purge(&P);
    else if (is_kw(&P, "FLUSH")) rc = parse_flush(&P);
    else rc = fail(&P, "unsupported statement");
    if (rc == -1) {
        q->kind = QUERY_UNKNOWN;
        q->error_line = 1;
        for (size_t i = 0; i < q->error_pos && i < len; i++)
            if (sql[i] == '\n') q->error_line++;
    }
    return q->kind;
}

int qval_to_bool(const struct qval *v, int *out)
{
    static const char *const yes[] = { "ON", "TRUE", "YES" }, *const no[] = { "OFF", "FALSE", "NO" };
    if (v->kind == QVAL_NUMBER) {
        if (!v->is_int) return -1;
        *out = v->u != 0;
        return 0;
    }
    if (v->kind != QVAL_WORD && v->kind != QVAL_STRING) return -1;
    for (size_t i = 0; i < 3; i++) {
        if (query_name_eq(v->s, v->len, yes[i])) { *out = 1; return 0; }
        if (query_name_eq(v->s, v->len, no[i])) { *out = 0; return 0; }
    }
    uint64_t u;
    if (v->kind == QVAL_STRING && decimal_string(v->s, v->len, &u) == 0) {
        *out = u != 0;
        return 0;
    }
    return -1;
}

int qval_to_u64(const struct qval *v, uint64_t *out)
{
    if (v->kind == QVAL_NUMBER) {
        if (!v->is_int || v->negative) return -1;
        *out = v->u;
        return 0;
    }
    if (v->kind == QVAL_STRING) return decimal_string(v->s, v->len, out);
    return -1;
}

const char *query_item_name(const struct query_item *it)
{
    return it->alias ? it->alias : it->text;
}
