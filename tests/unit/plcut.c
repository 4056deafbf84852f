/* plcut.c - see plcut.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/plcut.h"

struct fsio_powerloss_report plcut_run(int (*fn)(void *arg), void *arg)
{
    struct fsio_powerloss_report r = {0};
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_int_not_equal(pid, -1);
    if (pid == 0) {
        close(pfd[0]);
        fsio_powerloss_enable();
        int rc = fn(arg);
        fsio_powerloss_cut(&r);
        if (write(pfd[1], &r, sizeof(r)) != (ssize_t)sizeof(r)) rc = 99;
        _exit(rc);
    }
    close(pfd[1]);
    assert_int_equal(read(pfd[0], &r, sizeof(r)), (ssize_t)sizeof(r));
    close(pfd[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(r.errors, 0);
    return r;
}
