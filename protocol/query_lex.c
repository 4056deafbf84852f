/* query_lex.c - SQL tokenizer for the statement recogniser, plus LIKE matching. */
#include "protocol/query_lex.h"

#include <string.h>

static int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_xdigit(unsigned char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
/* Identifier bytes as MySQL sees them: letters, digits, '_', '$' and any non-ASCII byte. */
static int is_ident(unsigned char c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c == '$' || c >= 0x80;
}
static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c; }

int query_name_eq(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (n != len) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != lower((unsigned char)lit[i])) return 0;
    return 1;
}

const char *query_source_option_alias(const char *name, size_t len)
{
    /* MySQL 8.0.23 sql_yacc.yy: each change_replication_source_* rule takes the MASTER_ token
     * or the SOURCE_ one (lex.h spells MASTER_/SOURCE_COMPRESSION_ALGORITHMS with an S). */
    static const char *const pairs[][2] = {
        {"SOURCE_AUTO_POSITION", "MASTER_AUTO_POSITION"},
        {"SOURCE_BIND", "MASTER_BIND"},
        {"SOURCE_COMPRESSION_ALGORITHMS", "MASTER_COMPRESSION_ALGORITHMS"},
        {"SOURCE_CONNECT_RETRY", "MASTER_CONNECT_RETRY"},
        {"SOURCE_DELAY", "MASTER_DELAY"},
        {"SOURCE_HEARTBEAT_PERIOD", "MASTER_HEARTBEAT_PERIOD"},
        {"SOURCE_HOST", "MASTER_HOST"},
        {"SOURCE_LOG_FILE", "MASTER_LOG_FILE"},
        {"SOURCE_LOG_POS", "MASTER_LOG_POS"},
        {"SOURCE_PASSWORD", "MASTER_PASSWORD"},
        {"SOURCE_PORT", "MASTER_PORT"},
        {"SOURCE_PUBLIC_KEY_PATH", "MASTER_PUBLIC_KEY_PATH"},
        {"SOURCE_RETRY_COUNT", "MASTER_RETRY_COUNT"},
        {"SOURCE_SSL", "MASTER_SSL"},
        {"SOURCE_SSL_CA", "MASTER_SSL_CA"},
        {"SOURCE_SSL_CAPATH", "MASTER_SSL_CAPATH"},
        {"SOURCE_SSL_CERT", "MASTER_SSL_CERT"},
        {"SOURCE_SSL_CIPHER", "MASTER_SSL_CIPHER"},
        {"SOURCE_SSL_CRL", "MASTER_SSL_CRL"},
        {"SOURCE_SSL_CRLPATH", "MASTER_SSL_CRLPATH"},
        {"SOURCE_SSL_KEY", "MASTER_SSL_KEY"},
        {"SOURCE_SSL_VERIFY_SERVER_CERT", "MASTER_SSL_VERIFY_SERVER_CERT"},
        {"SOURCE_TLS_CIPHERSUITES", "MASTER_TLS_CIPHERSUITES"},
        {"SOURCE_TLS_VERSION", "MASTER_TLS_VERSION"},
        {"SOURCE_USER", "MASTER_USER"},
        {"SOURCE_ZSTD_COMPRESSION_LEVEL", "MASTER_ZSTD_COMPRESSION_LEVEL"},
        {"GET_SOURCE_PUBLIC_KEY", "GET_MASTER_PUBLIC_KEY"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        if (query_name_eq(name, len, pairs[i][0])) return pairs[i][1];
    return NULL;
}

void lex_init(struct lexer *L, struct query *q, const char *in, size_t len)
{
    L->in = in;
    L->len = len;
    L->pos = 0;
    L->exec_depth = 0;
    L->q = q;
}

const char *lex_arena_copy(struct query *q, const char *s, size_t n)
{
    if (n >= sizeof(q->arena) - q->arena_used) return NULL;
    char *d = q->arena + q->arena_used;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    q->arena_used += n + 1;
    return d;
}

static void tok_error(struct tok *t, size_t at, const char *why)
{
    t->type = TOK_ERROR;
    t->start = t->end = at;
    t->why = why;
}

/* Whitespace and comments. -1 (with *why) on an unterminated comment. */
static int skip_blank(struct lexer *L, const char **why)
{
    const char *in = L->in;
    size_t len = L->len;
    while (L->pos < len) {
        unsigned char c = (unsigned char)in[L->pos];
        size_t left = len - L->pos;
        if (is_space(c)) { L->pos++; continue; }
        if (c == '#' || (c == '-' && left >= 2 && in[L->pos + 1] == '-' &&
                         (left == 2 || (unsigned char)in[L->pos + 2] <= ' '))) {
            const char *nl = memchr(in + L->pos, '\n', left);
            L->pos = nl ? (size_t)(nl - in) + 1 : len;
            continue;
        }
        if (c == '/' && left >= 2 && in[L->pos + 1] == '*') {
            /* Executable comments (bang, or MariaDB's M-bang) hold code: drop only the
             * marker and version number, and the closing mark later. */
            size_t skip = left >= 3 && in[L->pos + 2] == '!' ? 3
                        : left >= 4 && in[L->pos + 2] == 'M' && in[L->pos + 3] == '!' ? 4 : 0;
            if (skip) {
                /* mariadbd's rule (sql_lex.cc): a version is exactly 5 or 6 digits; fewer
                 * digits are no version (and stay code). A version newer than ours, or a
                 * MySQL 5.7+ one (50700-99999) without the M, makes it a plain comment. */
                size_t at = L->pos + skip, nd = 0;
                unsigned long ver = 0;
                while (nd < 6 && at + nd < len && is_digit((unsigned char)in[at + nd]))
                    ver = ver * 10 + (unsigned long)(in[at + nd++] - '0');
                int versioned = nd >= 5;
                if (!versioned ||
                    (ver <= QUERY_SERVER_VERSION_ID && (skip == 4 || ver < 50700 || ver > 99999))) {
                    L->pos = at + (versioned ? nd : 0);
                    L->exec_depth++;
                    continue;
                }
            }
            const char *close = left >= 4 ? memmem(in + L->pos + 2, left - 2, "*/", 2) : NULL;
            if (!close) { *why = "unterminated comment"; return -1; }
            L->pos = (size_t)(close - in) + 2;
            continue;
        }
        if (c == '*' && L->exec_depth > 0 && left >= 2 && in[L->pos + 1] == '/') {
            L->pos += 2;
            L->exec_depth--;
            continue;
        }
        break;
    }
    return 0;
}

/* A quoted run ending at `quote` (doubled quote = one). Backslash escapes apply to
 * strings, not to `identifiers`. Unescaped into the arena. */
static void lex_quoted(struct lexer *L, struct tok *t, char quote, int escapes, enum tok_type type)
{
    struct query *q = L->q;
    size_t start = L->pos;
    size_t room = sizeof(q->arena) - q->arena_used;
    char *d = q->arena + q->arena_used;
    size_t n = 0;
    L->pos++;
    for (;;) {
        if (L->pos >= L->len) { tok_error(t, start, "unterminated quoted text"); return; }
        if (n + 2 >= room) { tok_error(t, start, "statement too long"); return; }
        char c = L->in[L->pos];
        if (c == quote) {
            if (L->pos + 1 < L->len && L->in[L->pos + 1] == quote) { d[n++] = quote; L->pos += 2; continue; }
            L->pos++;
            break;
        }
        if (escapes && c == '\\' && L->pos + 1 < L->len) {
            char e = L->in[L->pos + 1];
            L->pos += 2;
            switch (e) {
            case '0': d[n++] = 0; break;
            case 'b': d[n++] = '\b'; break;
            case 'n': d[n++] = '\n'; break;
            case 'r': d[n++] = '\r'; break;
            case 't': d[n++] = '\t'; break;
            case 'Z': d[n++] = 26; break;
            /* MySQL keeps the backslash before % and _ so LIKE sees them escaped. */
            case '%': case '_': d[n++] = '\\'; d[n++] = e; break;
            default: d[n++] = e; break;
            }
            continue;
        }
        d[n++] = c;
        L->pos++;
    }
    d[n] = 0;
    q->arena_used += n + 1;
    t->type = type;
    t->start = start;
    t->end = L->pos;
    t->s = d;
    t->len = n;
}

static void lex_number(struct lexer *L, struct tok *t)
{
    const char *in = L->in;
    size_t p = L->pos, len = L->len;
    if (in[p] == '0' && p + 2 < len && (in[p + 1] | 0x20) == 'x' && is_xdigit((unsigned char)in[p + 2])) {
        p += 2;
        while (p < len && is_xdigit((unsigned char)in[p])) p++;
    } else {
        while (p < len && is_digit((unsigned char)in[p])) p++;
        if (p + 1 < len && in[p] == '.' && is_digit((unsigned char)in[p + 1])) {
            p++;
            while (p < len && is_digit((unsigned char)in[p])) p++;
        }
        if (p < len && (in[p] | 0x20) == 'e') {
            size_t e = p + 1;
            if (e < len && (in[e] == '+' || in[e] == '-')) e++;
            if (e < len && is_digit((unsigned char)in[e])) {
                p = e;
                while (p < len && is_digit((unsigned char)in[p])) p++;
            }
        }
    }
    if (p < len && is_ident((unsigned char)in[p])) { tok_error(t, L->pos, "malformed number"); return; }
    t->type = TOK_NUMBER;
    t->start = L->pos;
    t->end = p;
    t->s = in + L->pos;
    t->len = p - L->pos;
    L->pos = p;
}

/* A bare or `quoted` name right at L->pos, copied to the arena. 0, or -1 with t set. */
static int lex_name(struct lexer *L, struct tok *t, int allow_dot, const char **s, size_t *n)
{
    size_t start = L->pos;
    if (L->pos < L->len && L->in[L->pos] == '`') {
        lex_quoted(L, t, '`', 0, TOK_QWORD);
        if (t->type == TOK_ERROR) return -1;
        *s = t->s;
        *n = t->len;
    } else {
        while (L->pos < L->len && (is_ident((unsigned char)L->in[L->pos]) || (allow_dot && L->in[L->pos] == '.')))
            L->pos++;
        *n = L->pos - start;
        *s = lex_arena_copy(L->q, L->in + start, *n);
        if (!*s) { tok_error(t, start, "statement too long"); return -1; }
    }
    if (*n == 0) { tok_error(t, start, "variable name expected"); return -1; }
    return 0;
}

static void lex_var(struct lexer *L, struct tok *t)
{
    size_t start = L->pos;
    const char *s;
    size_t n;
    t->scope = QSCOPE_DEFAULT;
    if (L->pos + 1 < L->len && L->in[L->pos + 1] == '@') {
        L->pos += 2;
        if (lex_name(L, t, 0, &s, &n) == -1) return;
        if (L->pos < L->len && L->in[L->pos] == '.') {
            enum query_scope sc = query_name_eq(s, n, "global") ? QSCOPE_GLOBAL
                                : query_name_eq(s, n, "session") || query_name_eq(s, n, "local") ? QSCOPE_SESSION
                                : QSCOPE_DEFAULT;
            if (sc != QSCOPE_DEFAULT) {
                L->pos++;
                if (lex_name(L, t, 0, &s, &n) == -1) return;
                t->scope = sc;
            }
        }
        t->type = TOK_SYSVAR;
    } else {
        L->pos++;
        char c = L->pos < L->len ? L->in[L->pos] : 0;
        if (c == '\'' || c == '"') {
            lex_quoted(L, t, c, 1, TOK_STRING);
            if (t->type == TOK_ERROR) return;
            s = t->s;
            n = t->len;
            if (n == 0) { tok_error(t, start, "variable name expected"); return; }
        } else if (lex_name(L, t, 1, &s, &n) == -1) {
            return;
        }
        t->type = TOK_USERVAR;
    }
    t->start = start;
    t->end = L->pos;
    t->s = s;
    t->len = n;
}

void lex_next(struct lexer *L, struct tok *t)
{
    const char *why = NULL;
    if (t->type == TOK_ERROR && t->why) return;
    memset(t, 0, sizeof(*t));
    if (skip_blank(L, &why) == -1) { tok_error(t, L->pos, why); return; }
    if (L->pos >= L->len) {
        if (L->exec_depth > 0) { tok_error(t, L->pos, "unterminated comment"); return; }
        t->type = TOK_END;
        t->start = t->end = L->len;
        return;
    }
    unsigned char c = (unsigned char)L->in[L->pos];
    if (c == '\'' || c == '"') { lex_quoted(L, t, (char)c, 1, TOK_STRING); return; }
    if (c == '`') { lex_quoted(L, t, '`', 0, TOK_QWORD); return; }
    if (c == '@') { lex_var(L, t); return; }
    if (is_digit(c) || (c == '.' && L->pos + 1 < L->len && is_digit((unsigned char)L->in[L->pos + 1]))) {
        lex_number(L, t);
        return;
    }
    if (is_ident(c)) {
        size_t start = L->pos;
        while (L->pos < L->len && is_ident((unsigned char)L->in[L->pos])) L->pos++;
        t->type = TOK_WORD;
        t->start = start;
        t->end = L->pos;
        t->s = L->in + start;
        t->len = L->pos - start;
        return;
    }
    t->type = TOK_PUNCT;
    t->start = L->pos;
    t->punct = (char)c;
    L->pos++;
    if (c == ':' && L->pos < L->len && L->in[L->pos] == '=') { t->punct = '='; L->pos++; }
    t->end = L->pos;
}

/* Bytes of the UTF-8 sequence starting at s[0] (1 for anything malformed), within n. */
static size_t utf8_len(const char *s, size_t n)
{
    size_t k = 1;
    while (k < n && ((unsigned char)s[k] & 0xC0) == 0x80 && ((unsigned char)s[0] & 0xC0) == 0xC0) k++;
    return k;
}

int query_like_match(const char *pat, size_t plen, const char *s, size_t slen)
{
    /* Greedy with one backtrack point (the last '%'): O(plen * slen), no recursion. */
    size_t p = 0, i = 0, star_p = 0, star_i = 0;
    int have_star = 0;
    while (i < slen) {
        if (p < plen && pat[p] == '%') {
            while (p < plen && pat[p] == '%') p++;
            have_star = 1;
            star_p = p;
            star_i = i;
            continue;
        }
        if (p < plen) {
            if (pat[p] == '_') {
                p++;
                i += utf8_len(s + i, slen - i);
                continue;
            }
            size_t pl = 1;
            unsigned char pc = (unsigned char)pat[p];
            if (pc == '\\' && p + 1 < plen) { pc = (unsigned char)pat[p + 1]; pl = 2; }
            if (lower(pc) == lower((unsigned char)s[i])) { p += pl; i++; continue; }
        }
        if (!have_star) return 0;
        p = star_p;
        i = ++star_i;
    }
    while (p < plen && pat[p] == '%') p++;
    return p == plen;
}
