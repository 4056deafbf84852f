/*
 * secret.c - see secret.h. Files are read with a bounded read (a password, not a stream:
 * /dev/zero or a FIFO cannot make start-up read forever), and their content is never
 * echoed in an error.
 */
#include "conf/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void note(void (*warn)(void *, const char *), void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(void (*warn)(void *, const char *), void *arg, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (warn) warn(arg, text);
}

static int all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return 0;
    }
    return 1;
}

static int is_native(const char *s, size_t n) { return n == SECRET_NATIVE_TEXT_LEN && s[0] == '*' && all_hex(s + 1, 40); }
static int is_sha2(const char *s, size_t n)
{
    size_t p = strlen(SECRET_SHA2_PREFIX);
    return n == SECRET_SHA2_TEXT_LEN && !memcmp(s, SECRET_SHA2_PREFIX, p) && all_hex(s + p, 64);
}

enum secret_form secret_form_of(const char *s)
{
    size_t n = strlen(s);
    if (!n) return SECRET_EMPTY;
    if (is_native(s, n)) return SECRET_NATIVE;
    if (is_sha2(s, n)) return SECRET_SHA2;
    const char *sp = memchr(s, ' ', n);
    if (sp) {
        size_t a = (size_t)(sp - s), b = n - a - 1;
        if ((is_native(s, a) && is_sha2(sp + 1, b)) || (is_sha2(s, a) && is_native(sp + 1, b))) return SECRET_BOTH;
    }
    return SECRET_PLAINTEXT;
}

const char *secret_form_name(enum secret_form f)
{
    switch (f) {
    case SECRET_EMPTY: return "empty";
    case SECRET_PLAINTEXT: return "plaintext";
    case SECRET_NATIVE: return "mysql_native hash";
    case SECRET_SHA2: return "caching_sha2 hash";
    case SECRET_BOTH: return "mysql_native and caching_sha2 hashes";
    }
    return "?";
}

/* Read a password file into dst (cap bytes with the NUL), one trailing "\n" or "\r\n"
 * stripped. 0, or -1 with err naming what (the key and the path). */
static int read_file(const char *key, const char *path, char *dst, size_t cap, void (*warn)(void *, const char *),
                     void *arg, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) return fail(err, errlen, "%s: cannot open %s: %s", key, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "%s: %s is not a regular file", key, path);
    }
    /* A Kubernetes secret volume is 0644 by default: warn, do not refuse. */
    if (st.st_mode & (S_IRGRP | S_IROTH))
        note(warn, arg, "%s: %s is readable by %s (mode %04o): chmod 0600 it", key, path,
             st.st_mode & S_IROTH ? "every user" : "its group", (unsigned)(st.st_mode & 07777));
    char buf[CONFIG_STR_MAX + 2];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return fail(err, errlen, "%s: reading %s: %s", key, path, strerror(e));
        }
        if (r == 0 || (n += (size_t)r) == sizeof(buf)) break;
    }
    close(fd);
    if (n && buf[n - 1] == '\n') n--;
    if (n && buf[n - 1] == '\r') n--;
    if (n >= cap || n > CONFIG_STR_MAX - 1) return fail(err, errlen, "%s: %s holds more than %zu bytes", key, path, cap - 1);
    if (memchr(buf, 0, n) || memchr(buf, '\n', n)) return fail(err, errlen, "%s: %s holds more than one line", key, path);
    if (!n) return fail(err, errlen, "%s: %s is empty", key, path);
    memcpy(dst, buf, n);
    dst[n] = 0;
    memset(buf, 0, sizeof(buf));
    return 0;
}

static int read_env(const char *key, const char *var, char *dst, size_t cap, char *err, size_t errlen)
{
    const char *v = getenv(var);
    if (!v || !*v) return fail(err, errlen, "%s: environment variable %s is not set or empty", key, var);
    if (strlen(v) >= cap) return fail(err, errlen, "%s: environment variable %s is too long", key, var);
    snprintf(dst, cap, "%s", v);
    return 0;
}

/* One account's (or the upstream's) sources: at most one of value / file / env. */
static int resolve_one(const char *what, char *pw, size_t cap, const char *file, const char *env,
                       void (*warn)(void *, const char *), void *arg, char *err, size_t errlen)
{
    int sources = !!pw[0] + !!file[0] + !!env[0];
    if (sources > 1)
        return fail(err, errlen, "%s: give only one of %s.password, %s.password_file, %s.password_env", what, what,
                    what, what);
    char key[192];
    if (file[0]) {
        snprintf(key, sizeof(key), "%s.password_file", what);
        return read_file(key, file, pw, cap, warn, arg, err, errlen);
    }
    if (env[0]) {
        snprintf(key, sizeof(key), "%s.password_env", what);
        return read_env(key, env, pw, cap, err, errlen);
    }
    return 0;
}

int secret_resolve(struct config *cfg, void (*warn)(void *arg, const char *text), void *arg, char *err,
                   size_t errlen)
{
    if (resolve_one("upstream", cfg->up_password, sizeof(cfg->up_password), cfg->up_password_file,
                    cfg->up_password_env, warn, arg, err, errlen) == -1)
        return -1;
    if (!cfg->up_password[0] && !cfg->up_password_file[0] && !cfg->up_password_env[0]) {
        const char *v = getenv(SECRET_UPSTREAM_ENV);
        if (v && *v) {
            if (strlen(v) >= sizeof(cfg->up_password))
                return fail(err, errlen, "%s is too long", SECRET_UPSTREAM_ENV);
            snprintf(cfg->up_password, sizeof(cfg->up_password), "%s", v);
        }
    }
    for (size_t i = 0; i < cfg->n_users; i++) {
        struct config_user *u = &cfg->users[i];
        char what[96];
        snprintf(what, sizeof(what), "user.%s", u->name);
        if (resolve_one(what, u->password, sizeof(u->password), u->password_file, u->password_env, warn, arg, err,
                        errlen) == -1)
            return -1;
        if (u->password_file[0] || u->password_env[0]) u->has_password = 1;
    }
    return 0;
}

void secret_warnings(const struct config *cfg, const char *config_path, void (*warn)(void *arg, const char *text),
                     void *arg)
{
    int any = cfg->up_password[0] != 0;
    for (size_t i = 0; i < cfg->n_users; i++) {
        const struct config_user *u = &cfg->users[i];
        any |= u->password[0] != 0;
        if (secret_form_of(u->password) == SECRET_PLAINTEXT)
            note(warn, arg,
                 "user.%s: the password is stored in plaintext; store the hash instead: SELECT PASSWORD('...') "
                 "gives the *HEX form (see the README, Accounts and secrets, for the caching_sha2 form)",
                 u->name);
    }
    struct stat st;
    if (config_path && any && stat(config_path, &st) == 0 && (st.st_mode & S_IROTH))
        note(warn, arg, "%s holds passwords and is readable by every user (mode %04o): chmod 0640 or 0600 it",
             config_path, (unsigned)(st.st_mode & 07777));
}

int secret_is_password_assignment(const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq) return 0;
    size_t n = (size_t)(eq - assignment);
    static const char suffix[] = ".password";
    size_t sl = sizeof(suffix) - 1;
    if (n == strlen("upstream.password") && !memcmp(assignment, "upstream.password", n)) return eq[1] != 0;
    return n > 5 + sl && !memcmp(assignment, "user.", 5) && !memcmp(assignment + n - sl, suffix, sl) && eq[1] != 0;
}
