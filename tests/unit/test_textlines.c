/*
 * test_textlines.c - the sidecars' line walk (protocol/textlines.h): every line seen once with
 * its number, writable and NUL-terminated; torn, empty and refused texts named by line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "protocol/textlines.h"

struct seen {
    size_t n;
    char joined[256];
    size_t refuse_at;   /* 0: never */
};

static int collect(void *arg, size_t lineno, char *line, size_t len, const char **why)
{
    struct seen *s = arg;
    assert_int_equal(lineno, s->n + 1);
    assert_int_equal(strlen(line), len);   /* NUL-terminated at the end of the line */
    if (len) line[0] = 'X';                /* writable */
    s->n++;
    strncat(s->joined, line, sizeof(s->joined) - strlen(s->joined) - 2);
    strcat(s->joined, "|");
    if (s->refuse_at == lineno) return (*why = "refused here"), -1;
    return 0;
}

static void test_walk(void **state)
{
    (void)state;
    char err[128];
    struct seen s = {0};
    const char ok[] = "head\nab\n\ncd\n";
    assert_int_equal(textlines_walk(ok, strlen(ok), collect, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.joined, "Xead|Xb||Xd|");
    assert_string_equal(ok, "head\nab\n\ncd\n");   /* the caller's text is not touched */

    memset(&s, 0, sizeof(s));
    assert_int_equal(textlines_walk("head\nab", 7, collect, &s, err, sizeof(err)), -1);
    assert_string_equal(err, "line 2: no newline (torn write)");
    assert_int_equal(s.n, 1);

    memset(&s, 0, sizeof(s));
    assert_int_equal(textlines_walk("", 0, collect, &s, err, sizeof(err)), -1);
    assert_string_equal(err, "empty file");
    assert_int_equal(s.n, 0);

    memset(&s, 0, sizeof(s));
    s.refuse_at = 2;
    assert_int_equal(textlines_walk(ok, strlen(ok), collect, &s, err, sizeof(err)), -1);
    assert_string_equal(err, "line 2: refused here");
    assert_int_equal(s.n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
