/*
 * child.h - one shell command in a supervised child process, for the archive runner and the
 * restore fetcher: `/bin/sh -c COMMAND` started with posix_spawn (safe beside the ingest and
 * helper threads), in its own process group (a timeout kills the shell and all it started),
 * cwd a given directory, stdin and stdout /dev/null, stderr into a pipe the event loop reads
 * (the first CHILD_OUTPUT_KEEP bytes are kept), every other descriptor closed, no blocked
 * signals, SIGPIPE and the signals binlogd handles at their defaults, systemd's per-process
 * variables (NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*) left out of its environment.
 *
 * Nothing here waits: the owner polls child_poll() from a timer.
 *
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_OPS_CHILD_H
#define BINLOGD_SERVER_OPS_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#define CHILD_OUTPUT_KEEP 2048

struct event_base;
struct event;

struct ops_child {
    pid_t pid;                       /* 0: none runs */
    int out_fd;                      /* read end of its stderr (-1: closed) */
    struct event *out_ev;
    char out[CHILD_OUTPUT_KEEP + 1];
    size_t out_len;
};

/* An idle child (call before anything else). */
void child_init(struct ops_child *c);

/* Start `/bin/sh -c cmd` in dir. 0, or -1 with errno (nothing runs then). */
int child_spawn(struct ops_child *c, struct event_base *base, const char *dir, const char *cmd);

/* Has it ended? 1 with *status (a wait status; the output is drained and closed, pid 0),
 * 0 while it runs, -1 with errno when waitpid fails (the child is forgotten, pid 0). */
int child_poll(struct ops_child *c, int *status);

/* SIGKILL its process group (it is reaped by the next child_poll). */
void child_kill(struct ops_child *c);

/* SIGKILL its process group and reap it now (shutdown). */
void child_kill_wait(struct ops_child *c);

/* The first lines of what it wrote to stderr, as one line ("a | b"). */
void child_output_summary(const struct ops_child *c, char *buf, size_t cap);

/* "exit status N", "killed by signal N (name)", ... for a wait status. */
void child_status_text(int status, char *buf, size_t cap);

#endif
