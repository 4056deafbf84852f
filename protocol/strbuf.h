/* strbuf: printf-style appends into a caller's fixed buffer, truncating, always
 * NUL-terminated (when it has room for one byte). For building log and error texts
 * ("why" messages) without allocation. Pure: no I/O. */
#ifndef BINLOGD_PROTOCOL_STRBUF_H
#define BINLOGD_PROTOCOL_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *p;       /* the caller's buffer (not owned) */
    size_t cap;    /* its size in bytes */
    size_t len;    /* bytes written, at most cap - 1 */
};

/* Start an empty text in p[cap] (p[0] = NUL when cap > 0). Any thread; b is the caller's. */
void strbuf_init(struct strbuf *b, char *p, size_t cap);

/* Append printf-style text; what does not fit is cut off. A cap of 0 ignores every append. */
void strbuf_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
