/*
 * textlines.h - the line walk of binlogd's small text sidecars (the GTID index, the GTID
 * position index): '\n'-terminated lines, the first a header, an unterminated last line a
 * torn write, an empty text refused. One walk, so every sidecar reports damage the same way
 * ("line N: reason"). Pure: (buf, len) only.
 */
#ifndef BINLOGD_PROTOCOL_TEXTLINES_H
#define BINLOGD_PROTOCOL_TEXTLINES_H

#include <stddef.h>

/* Called per line: lineno from 1, line NUL-terminated in a private writable copy (fn may cut
 * it in place), len without the '\n'. 0 to go on, or -1 with *why (a static text). */
typedef int (*textlines_fn)(void *arg, size_t lineno, char *line, size_t len, const char **why);

/* Walk text[0..len) line by line through fn. 0, or -1 with err: "line N: <why>", "line N: no
 * newline (torn write)", "empty file" or "out of memory". */
int textlines_walk(const char *text, size_t len, textlines_fn fn, void *arg, char *err, size_t errlen);

#endif
