/* strbuf: appends, truncation at every capacity, and a zero capacity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "protocol/strbuf.h"

static void test_append_and_truncate(void **state)
{
    (void)state;
    char want[] = "ab-12-xyz";
    for (size_t cap = 1; cap <= sizeof(want) + 2; cap++) {
        char buf[32];
        memset(buf, 'Q', sizeof(buf));
        struct strbuf b;
        strbuf_init(&b, buf, cap);
        strbuf_addf(&b, "%s", "ab");
        strbuf_addf(&b, "-%d-", 12);
        strbuf_addf(&b, "%s", "xyz");
        size_t n = cap - 1 < strlen(want) ? cap - 1 : strlen(want);
        assert_int_equal(b.len, n);
        assert_int_equal(strlen(buf), n);
        assert_memory_equal(buf, want, n);
        assert_int_equal(buf[cap], 'Q');   /* never past the buffer */
    }
}

static void test_zero_capacity(void **state)
{
    (void)state;
    char c = 'Q';
    struct strbuf b;
    strbuf_init(&b, &c, 0);
    strbuf_addf(&b, "%s", "anything");
    assert_int_equal(b.len, 0);
    assert_int_equal(c, 'Q');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_truncate),
        cmocka_unit_test(test_zero_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
