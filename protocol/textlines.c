/*
 * textlines.c - see textlines.h.
 */
#include "protocol/textlines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int textlines_walk(const char *text, size_t len, textlines_fn fn, void *arg, char *err, size_t errlen)
{
    if (len == 0) {
        snprintf(err, errlen, "empty file");
        return -1;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(copy, text, len);
    copy[len] = 0;
    size_t pos = 0, lineno = 0;
    int rc = 0;
    while (pos < len) {
        char *line = copy + pos, *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        lineno++;
        pos += ll + 1;
        if (!nl) {
            snprintf(err, errlen, "line %zu: no newline (torn write)", lineno);
            rc = -1;
            break;
        }
        *nl = 0;
        const char *why = "?";
        if (fn(arg, lineno, line, ll, &why) == -1) {
            snprintf(err, errlen, "line %zu: %s", lineno, why);
            rc = -1;
            break;
        }
    }
    free(copy);
    return rc;
}
