/*
 * secret.h - where passwords come from and what binlogd warns about them.
 *
 * A password may be written in the file or on the command line (`upstream.password`,
 * `user.NAME.password`), read from a file (`*.password_file`: its content, one trailing
 * newline stripped) or from an environment variable (`*.password_env = VAR`; for the
 * upstream, BINLOGD_UPSTREAM_PASSWORD when nothing else is given). At most one source per
 * account. Stored forms of an account's password (user.NAME.*):
 *   plaintext                      accepted, with a warning at start
 *   *HEX (41 chars)                mysql_native_password: SHA1(SHA1(pw)), PASSWORD()'s text
 *   $sha2$HEX (6 + 64 chars)       caching_sha2_password: SHA256(SHA256(pw)), binlogd's form
 *   "*HEX $sha2$HEX"               both, so clients of either plugin log in without plaintext
 * Never printed: callers get the form, not the value. conf/ only (no logging here: the
 * warnings go through a callback). Single-threaded, like config.h.
 */
#ifndef BINLOGD_CONF_SECRET_H
#define BINLOGD_CONF_SECRET_H

#include <stddef.h>

#include "conf/config.h"

#define SECRET_NATIVE_TEXT_LEN 41   /* '*' + 40 hex */
#define SECRET_SHA2_PREFIX "$sha2$"
#define SECRET_SHA2_TEXT_LEN 70     /* "$sha2$" + 64 hex */
#define SECRET_UPSTREAM_ENV "BINLOGD_UPSTREAM_PASSWORD"

enum secret_form {
    SECRET_EMPTY = 0,
    SECRET_PLAINTEXT,
    SECRET_NATIVE,        /* *HEX only */
    SECRET_SHA2,          /* $sha2$HEX only */
    SECRET_BOTH           /* "*HEX $sha2$HEX" (either order) */
};

/* Which stored form s is (a value that looks like a hash is one; "*", "$sha2$" followed by
 * the wrong number of hex digits is plaintext, as before). */
enum secret_form secret_form_of(const char *s);
const char *secret_form_name(enum secret_form f);

/* Resolve every *_file / *_env source into the password fields of cfg. 0, or -1 with err
 * naming the key (never the value): two sources for one account, a file that cannot be
 * read, an empty or unset variable. warn(arg, text) is called for what deserves a warning:
 * a password file readable by other users. */
int secret_resolve(struct config *cfg, void (*warn)(void *arg, const char *text), void *arg, char *err,
                   size_t errlen);

/* Start-up warnings about a resolved configuration: each account whose password is
 * plaintext ("store the hash: SELECT PASSWORD(...)"), a config file readable by other
 * users while it holds a password. config_path may be NULL. */
void secret_warnings(const struct config *cfg, const char *config_path, void (*warn)(void *arg, const char *text),
                     void *arg);

/* 1 if a "--section.key=value" command-line assignment (without the "--") sets a password
 * value directly (visible in ps and /proc/PID/cmdline). */
int secret_is_password_assignment(const char *assignment);

#endif
