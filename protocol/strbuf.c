/* strbuf: see strbuf.h. */
#include "protocol/strbuf.h"

#include <stdarg.h>
#include <stdio.h>

void strbuf_init(struct strbuf *b, char *p, size_t cap)
{
    *b = (struct strbuf){p, cap, 0};
    if (cap) p[0] = 0;
}

void strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
    if (!b->cap || b->len >= b->cap - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0) b->len += (size_t)n;
    if (b->len >= b->cap) b->len = b->cap - 1;   /* vsnprintf cut it: len says what is there */
}
