/*
 * query_lex.h - the tokenizer behind query.c (internal to protocol/; callers use query.h).
 *
 * Tokens are produced one at a time; quoted identifiers, strings and variable names are
 * unescaped into the query's arena as they are read, so each is stored once.
 */
#ifndef BINLOGD_PROTOCOL_QUERY_LEX_H
#define BINLOGD_PROTOCOL_QUERY_LEX_H

#include <stddef.h>

#include "protocol/query.h"

enum tok_type {
    TOK_END = 0,
    TOK_WORD,       /* keyword or identifier: s points into the input (not terminated) */
    TOK_QWORD,      /* `quoted identifier`: arena copy */
    TOK_STRING,     /* 'string' or "string": arena copy, unescaped */
    TOK_NUMBER,     /* digits[.digits][e[+-]digits] or 0xHEX: s points into the input */
    TOK_USERVAR,    /* @name: arena copy of the name */
    TOK_SYSVAR,     /* @@[scope.]name: arena copy of the name, scope set */
    TOK_PUNCT,      /* one character; ":=" is reported as '=' */
    TOK_ERROR       /* why says what */
};

struct tok {
    enum tok_type type;
    size_t start, end;          /* byte span in the input */
    const char *s;
    size_t len;
    char punct;
    enum query_scope scope;
    const char *why;
};

struct lexer {
    const char *in;
    size_t len, pos;
    int exec_depth;             /* inside executable comments: their closing marks are skipped */
    struct query *q;
};

void lex_init(struct lexer *L, struct query *q, const char *in, size_t len);

/* The next token. After TOK_END or TOK_ERROR it keeps returning the same. */
void lex_next(struct lexer *L, struct tok *t);

/* Copy n bytes into the arena, NUL-terminated. NULL when the arena is full. */
const char *lex_arena_copy(struct query *q, const char *s, size_t n);

#endif
