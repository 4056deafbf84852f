/* textbuf.c - see textbuf.h. */
#include "server/ops/textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void text_puts(struct bbuf *b, const char *s) { bbuf_append(b, s, strlen(s)); }

void text_printf(struct bbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof(small)) {
        bbuf_append(b, small, (size_t)n);
        return;
    }
    /* Longer than the stack buffer: format again straight into the buffer's room. */
    if (bbuf_reserve(b, (size_t)n + 1) == -1) return;
    uint8_t *p = bbuf_extend(b, (size_t)n + 1);
    if (!p) return;
    va_start(ap, fmt);
    vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len--;   /* drop the NUL */
}

void html_escape(struct bbuf *b, const char *s)
{
    for (const char *run = s;; s++) {
        const char *rep = NULL;
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case 0: break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n') rep = "\xef\xbf\xbd";
        }
        if (c == 0 || rep) {
            bbuf_append(b, run, (size_t)(s - run));
            if (c == 0) return;
            text_puts(b, rep);
            run = s + 1;
        }
    }
}

const char *text_cstr(struct bbuf *b)
{
    if (!bbuf_ok(b) || bbuf_reserve(b, 1) == -1) return "";
    b->p[b->len] = 0;
    return (const char *)b->p;
}
