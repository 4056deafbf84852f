/*
 * reload.h - SIGHUP: apply what may change at runtime without dropping anyone.
 *
 * A reload reads the configuration again (the same file and command-line overrides as at
 * start), then:
 *   - reopens the log (logrotate renames the file and sends SIGHUP), also when the new
 *     configuration is rejected, or moves it to a changed binlogd.log_file;
 *   - a configuration that fails to parse or validate is logged and the running one kept;
 *   - options marked runtime in conf/config.c are applied: accounts (new logins use the new
 *     table; sessions already logged in keep going with the role they logged in with),
 *     binlogd.log_level, upstream.heartbeat_ms (from the next upstream connection);
 *   - every other changed option is named in a log line ("... cannot change at runtime;
 *     restart to apply") and keeps its running value;
 *   - hooks registered by later features (retention, archive, metrics) get the new
 *     configuration; nothing else is restarted, no replica is dropped.
 * systemd is told RELOADING=1 (+ MONOTONIC_USEC) before and READY=1 (+ STATUS=) after.
 *
 * Thread: the loop thread, the only one that reads the live config after start-up (the
 * ingest thread got a copy of its settings at start; helpers read none).
 */
#ifndef BINLOGD_SERVER_OPS_RELOAD_H
#define BINLOGD_SERVER_OPS_RELOAD_H

#include <stddef.h>

#include "conf/config.h"

struct ingest;
struct sdnotify;
struct reload;

/* Builds the configuration as at start-up into *out (defaults, file, overrides, validate).
 * 0, or -1 with err filled. */
typedef int (*reload_load_fn)(void *arg, struct config *out, char *err, size_t errlen);

/* Something a reload tells a feature: the live config after the runtime options were
 * applied. Called on the loop thread; must not keep pointers into cfg->users. */
typedef void (*reload_hook_fn)(void *arg, const struct config *cfg);

#define RELOAD_MAX_HOOKS 8

/* live: the running config (owned by the caller, changed in place by reload_run). ingest
 * and sd may be NULL. Returns NULL on ENOMEM. Caller owns the result (reload_free). */
struct reload *reload_new(struct config *live, reload_load_fn load, void *load_arg, struct ingest *ingest,
                          struct sdnotify *sd);
void reload_free(struct reload *r);

/* Later features (retention, archive, metrics settings) register here and read their
 * options from cfg on each reload. 0, or -1 when RELOAD_MAX_HOOKS are taken. */
int reload_add_hook(struct reload *r, reload_hook_fn fn, void *arg);

/* The text for STATUS= after a reload (e.g. status_text()); optional. */
void reload_set_status(struct reload *r, void (*status)(void *arg, char *buf, size_t len), void *arg);

/* Run one reload as described above. 0 when the new configuration was read (changes that
 * need a restart are not an error), -1 when it was rejected (the running one is kept). */
int reload_run(struct reload *r);

#endif
