/*
 * textbuf.h - text into a growable byte buffer (protocol/bbuf.h): what the metrics
 * writer, the health answers and the status page build their responses in. A failed
 * allocation is sticky (bbuf_ok() says 0) and the response is then answered with a 500.
 * Thread: whoever owns the buffer.
 */
#ifndef BINLOGD_SERVER_OPS_TEXTBUF_H
#define BINLOGD_SERVER_OPS_TEXTBUF_H

#include <stddef.h>

#include "protocol/bbuf.h"

/* Append a NUL-terminated string (the NUL is not appended). */
void text_puts(struct bbuf *b, const char *s);
/* Append printf-style text. */
void text_printf(struct bbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s with &, <, >, " and ' replaced by entities, so text from the network (file names,
 * hosts, error messages) can go into HTML text and attribute values. Control characters
 * other than tab and newline become U+FFFD. */
void html_escape(struct bbuf *b, const char *s);
/* The buffer's text as a C string (a NUL is kept after the end, not counted in len);
 * "" when building it failed. */
const char *text_cstr(struct bbuf *b);

#endif
