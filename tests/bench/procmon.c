/*
 * procmon.c - runs a command and measures another process while it runs, for `make bench`
 * (the server side of clients that are separate programs, e.g. N mariadb-binlog).
 * Samples PID's VmRSS every INTERVAL ms (default 10) while waiting for the command on a
 * pidfd, and reads PID's CPU seconds (utime + stime) before and after.
 * usage: procmon -x PID [-i ms] -- COMMAND [ARGS...]
 * Prints: status=S wall_s=W srv_cpu_s=C srv_rss_before_kib=B srv_rss_peak_kib=P cli_cpu_s=K
 * (cli_cpu_s: CPU of the command and everything it waited for). Exit status: the command's.
 */
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tests/bench/benchlib.h"

int main(int argc, char **argv)
{
    int pid = 0, every_ms = 10, i = 1;
    for (; i + 1 < argc && strcmp(argv[i], "--"); i += 2) {
        if (!strcmp(argv[i], "-x")) pid = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-i")) every_ms = atoi(argv[i + 1]);
        else break;
    }
    if (!pid || every_ms < 1 || i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
        fprintf(stderr, "usage: procmon -x PID [-i ms] -- COMMAND [ARGS...]\n");
        return 2;
    }
    struct bl_rss rss;
    bl_rss_start(&rss, pid);
    double cpu0 = bl_proc_cpu_s(pid);
    uint64_t t0 = bl_now_ns();
    pid_t child = fork();
    if (child == -1) { perror("procmon: fork"); return 1; }
    if (child == 0) {
        execvp(argv[i + 1], argv + i + 1);
        perror("procmon: exec");
        _exit(127);
    }
    int pfd = (int)syscall(SYS_pidfd_open, child, 0);
    if (pfd == -1) { perror("procmon: pidfd_open"); return 1; }
    for (;;) {
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        int r = poll(&p, 1, every_ms);
        if (r == -1 && errno != EINTR) { perror("procmon: poll"); return 1; }
        bl_rss_tick(&rss, 0);
        if (r == 1) break;
    }
    int st = 0;
    if (waitpid(child, &st, 0) == -1) { perror("procmon: waitpid"); return 1; }
    uint64_t t1 = bl_now_ns();
    double cpu1 = bl_proc_cpu_s(pid);
    struct rusage ru;
    double cli = 0;
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
        cli = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
              (double)ru.ru_stime.tv_usec / 1e6;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("status=%d wall_s=%.4f srv_cpu_s=%.2f srv_rss_before_kib=%ld srv_rss_peak_kib=%ld cli_cpu_s=%.2f\n", code,
           (double)(t1 - t0) / 1e9, cpu1 - cpu0, rss.before_kib, rss.peak_kib, cli);
    return code;
}
