/*
 * zombie_state.h - what binlogd knows about its last dump connection on the primary, kept in
 * the data directory (ZOMBIE_STATE_FILE) so that a binlogd that restarts (crash, kill -9,
 * upgrade) can still end its previous dump there (ingest_zombie.c). Without it, a restart
 * while the old dump thread is blocked in a write to a silent path makes the new dump wait
 * for the primary's net_write_timeout (60 s by default).
 *
 * The file is a hint, never data: missing, damaged or from another upstream, it is ignored
 * (the primary ends the old thread by itself, only later). Written by atomic replace
 * (fsio_replace: temp file, fsync, rename, directory fsync) each time a dump is asked for.
 * Text, one "key value" per line; unknown keys are skipped (a newer binlogd may add some):
 *   host H              upstream host (no whitespace)
 *   port N              1..65535
 *   user U              the account the dump ran as (printable, may hold spaces)
 *   connection_id N     the primary's connection id (processlist ID), > 0
 *   started_unix_ms N   when the dump was asked for, wall clock
 *   boot_id B           /proc/sys/kernel/random/boot_id then (a UUID; "-" if unknown)
 *   started_boot_ms N   when the dump was asked for, CLOCK_BOOTTIME
 *
 * Pure parse/format/age plus load/save through fsio. The caller owns the struct (the ingest
 * thread keeps it; nobody else touches it).
 */
#ifndef BINLOGD_SERVER_UPSTREAM_ZOMBIE_STATE_H
#define BINLOGD_SERVER_UPSTREAM_ZOMBIE_STATE_H

#include <stddef.h>
#include <stdint.h>

#define ZOMBIE_STATE_FILE ".binlogd-upstream-dump"
#define ZOMBIE_BOOT_ID_MAX 64

struct zombie_state {
    uint64_t conn_id;                    /* 0 = nothing known */
    char     host[256];
    uint16_t port;
    char     user[128];
    int64_t  started_unix_ms;
    char     boot_id[ZOMBIE_BOOT_ID_MAX]; /* "" = unknown */
    uint64_t started_boot_ms;
};

/* The current boot's id (/proc/sys/kernel/random/boot_id) into out; "" when it cannot be
 * read (then only the wall clock can date a remembered dump). Any thread. */
void zombie_boot_id(char *out, size_t cap);
/* CLOCK_BOOTTIME in ms (counts across suspend, like the primary's clock). Any thread. */
uint64_t zombie_boot_ms(void);

/* Parse the file text into *z. 0, or -1 with err (z->conn_id is then 0): any line that does
 * not parse, a key given twice, a missing key, a value out of range. Pure. */
int zombie_state_parse(struct zombie_state *z, const char *text, size_t len, char *err, size_t errlen);
/* Format; snprintf-style return. Pure. */
size_t zombie_state_format(const struct zombie_state *z, char *out, size_t cap);

/* How long ago (ms) the remembered dump was asked for, seen from now (boot_id, boot_ms,
 * unix_ms: the current boot's id and clocks). Same boot: the CLOCK_BOOTTIME difference
 * (wall clock steps do not move it); another or an unknown boot: the wall clock difference.
 * 0 with *age_ms, or -1 when the age cannot be known (the clock says the dump began in the
 * future): the caller must then not end anything. Pure. */
int zombie_state_age_ms(const struct zombie_state *z, const char *boot_id, uint64_t boot_ms, int64_t unix_ms,
                        uint64_t *age_ms);

/* Load dirfd/ZOMBIE_STATE_FILE into *z. 0 loaded, 1 no file, -1 unreadable or damaged (err;
 * z->conn_id 0). Any thread (ingest_new's caller, before the ingest thread runs). */
int zombie_state_load(int dirfd, struct zombie_state *z, char *err, size_t errlen);
/* Save *z by atomic replace. 0, or -1 with err naming the failed step; the previous file is
 * then left whole (or none). Any thread; the ingest thread calls it at each dump. */
int zombie_state_save(int dirfd, const struct zombie_state *z, char *err, size_t errlen);

#endif
