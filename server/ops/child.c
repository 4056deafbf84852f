/*
 * child.c - see child.h.
 */
#include "server/ops/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

extern char **environ;

void child_init(struct ops_child *c)
{
    memset(c, 0, sizeof(*c));
    c->out_fd = -1;
}

static void close_output(struct ops_child *c)
{
    if (c->out_ev) {
        event_free(c->out_ev);
        c->out_ev = NULL;
    }
    if (c->out_fd >= 0) {
        close(c->out_fd);
        c->out_fd = -1;
    }
}

/* Read what the command wrote to stderr; keep the first CHILD_OUTPUT_KEEP bytes. */
static void drain_output(struct ops_child *c)
{
    char buf[4096];
    while (c->out_fd >= 0) {
        ssize_t r = read(c->out_fd, buf, sizeof(buf));
        if (r > 0) {
            size_t room = CHILD_OUTPUT_KEEP - c->out_len, n = (size_t)r < room ? (size_t)r : room;
            memcpy(c->out + c->out_len, buf, n);
            c->out_len += n;
            continue;
        }
        if (r == -1 && errno == EINTR) continue;
        if (r == 0) close_output(c);   /* every writer is gone */
        return;                        /* EAGAIN: later */
    }
}

static void on_output(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    drain_output(arg);
}

/* The environment without systemd's per-process variables (a command that speaks the
 * notify protocol must not speak for binlogd). Built per spawn: commands are rare. */
static char **filtered_env(void)
{
    static const char *drop[] = {"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", "LISTEN_FDS=", "LISTEN_PID=",
                                 "LISTEN_FDNAMES="};
    size_t n = 0;
    while (environ && environ[n]) n++;
    char **env = calloc(n + 1, sizeof(*env));
    if (!env) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int skip = 0;
        for (size_t d = 0; d < sizeof(drop) / sizeof(drop[0]); d++)
            if (!strncmp(environ[i], drop[d], strlen(drop[d]))) skip = 1;
        if (!skip) env[o++] = environ[i];
    }
    return env;
}

int child_spawn(struct ops_child *c, struct event_base *base, const char *dir, const char *cmd)
{
    char **env = filtered_env();
    if (!env) return -1;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) == -1) {
        free(env);
        return -1;
    }
    /* The child's end must block: a command writing much to stderr waits for us, it does
     * not fail with EAGAIN. */
    int fl = fcntl(pfd[1], F_GETFL);
    if (fl != -1) (void)fcntl(pfd[1], F_SETFL, fl & ~O_NONBLOCK);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    posix_spawn_file_actions_addchdir_np(&fa, dir);
    /* Sockets, binlog and journal descriptors, the lock file: none of them is the command's
     * business, whether or not whoever opened them asked for O_CLOEXEC. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* Its own process group, so a timeout kills the shell and everything it started; no
     * blocked signals; SIGPIPE (ignored here) and the signals libevent catches at default. */
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    int defsigs[] = {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGQUIT};
    for (size_t i = 0; i < sizeof(defsigs) / sizeof(defsigs[0]); i++) sigaddset(&def, defsigs[i]);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    free(env);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        errno = rc;
        return -1;
    }
    c->pid = pid;
    c->out_fd = pfd[0];
    c->out_len = 0;
    c->out_ev = event_new(base, c->out_fd, EV_READ | EV_PERSIST, on_output, c);
    if (c->out_ev) event_add(c->out_ev, NULL);
    return 0;
}

int child_poll(struct ops_child *c, int *status)
{
    if (c->pid <= 0) return -1;
    pid_t r = waitpid(c->pid, status, WNOHANG);
    if (r == 0 || (r == -1 && errno == EINTR)) return 0;
    int e = errno;
    if (c->out_fd >= 0) drain_output(c);
    close_output(c);
    c->pid = 0;
    if (r == -1) {
        errno = e;
        return -1;
    }
    return 1;
}

void child_kill(struct ops_child *c)
{
    if (c->pid > 0) kill(-c->pid, SIGKILL);
}

void child_kill_wait(struct ops_child *c)
{
    if (c->pid > 0) {
        kill(-c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) == -1 && errno == EINTR) {}
        c->pid = 0;
    }
    close_output(c);
}

void child_output_summary(const struct ops_child *c, char *buf, size_t cap)
{
    size_t o = 0, lines = 0;
    const char *p = c->out, *end = c->out + c->out_len;
    if (!cap) return;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) end--;
    for (; p < end && o + 4 < cap && lines < 5; p++) {
        if (*p == '\n') {
            lines++;
            if (lines < 5 && o + 4 < cap) { memcpy(buf + o, " | ", 3); o += 3; }
            continue;
        }
        buf[o++] = (*p == '\r' || *p == '\t' || (unsigned char)*p < 0x20) ? ' ' : *p;
    }
    buf[o] = '\0';
}

void child_status_text(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exit status %d%s", WEXITSTATUS(status),
                 WEXITSTATUS(status) == 127 ? " (command not found)" :
                 WEXITSTATUS(status) == 126 ? " (not executable)" : "");
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "ended with wait status %d", status);
}
