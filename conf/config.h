/*
 * config.h - binlogd configuration: an INI file plus `--section.key=value` command-line
 * overrides, validated against one option table. Owns every string it returns.
 * Single-threaded: parse at start-up; afterwards the loop thread alone may change it, and
 * only through config_apply_runtime() (SIGHUP reload). Other threads get copies.
 */
#ifndef BINLOGD_CONF_CONFIG_H
#define BINLOGD_CONF_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define CONFIG_MAX_USERS 64
#define CONFIG_STR_MAX   512

enum config_sync { CONFIG_SYNC_TRX = 0, CONFIG_SYNC_INTERVAL, CONFIG_SYNC_NONE };
/* replica: log in and dump; admin: everything; monitor: reads only (SHOW, SELECT, ping,
 * statistics), no dump, no KILL of others, no change; the one role allowed an empty
 * password (HAProxy's option mysql-check logs in without one). */
enum config_role { CONFIG_ROLE_REPLICA = 0, CONFIG_ROLE_ADMIN, CONFIG_ROLE_MONITOR };
enum config_log_level { CONFIG_LOG_DEBUG = 0, CONFIG_LOG_INFO, CONFIG_LOG_WARN, CONFIG_LOG_ERROR };

struct config_user {
    char name[64];
    char password[CONFIG_STR_MAX];  /* plaintext, "*HEX", "$sha2$HEX" or both (conf/secret.h) */
    char password_file[CONFIG_STR_MAX];   /* read by secret_resolve into password */
    char password_env[128];         /* environment variable, read by secret_resolve */
    enum config_role role;
    int  has_password;
    int  require_tls;               /* refused over plaintext (1045, before the password check) */
};

struct config {
    /* [binlogd] */
    uint32_t server_id;
    int      server_id_set;
    char     data_dir[CONFIG_STR_MAX];
    char     listen_host[256];
    uint16_t listen_port;            /* 0 = do not listen */
    char     server_uuid[40];        /* "" = derived from server_id */
    char     server_version[64];
    enum config_log_level log_level;
    char     log_file[CONFIG_STR_MAX];   /* "" = stderr */
    uint32_t wake_threads;           /* helpers that send to waiting replicas after a commit */
    uint32_t direct_wakes;           /* waiting replicas the ingest thread sends a commit to itself */
    uint32_t memory_trim_after;      /* s of quiet after a burst of ended sessions before their
                                        memory is given back (server/replicas/memtrim.h); 0 = never */
    uint32_t max_connections;        /* client sessions; one more is kept for an admin login */
    uint32_t connect_timeout;        /* seconds from accept to a finished login */
    uint32_t idle_timeout;           /* seconds a logged-in command session may sit idle */
    uint32_t max_allowed_packet;     /* largest client command (bytes) */
    /* [upstream] */
    char     up_host[256];           /* "" = no upstream: serve what is stored */
    uint16_t up_port;
    char     up_user[128];
    char     up_password[CONFIG_STR_MAX];
    char     up_password_file[CONFIG_STR_MAX];   /* read by secret_resolve into up_password */
    char     up_password_env[128];
    char     up_start_file[CONFIG_STR_MAX];
    uint32_t up_connect_timeout;     /* seconds */
    uint32_t up_net_timeout;         /* seconds without any byte before reconnecting */
    uint32_t up_heartbeat_ms;        /* asked of the primary; 0 = net_timeout/2 */
    uint32_t up_retry_min_ms;
    uint32_t up_retry_max_ms;
    uint64_t up_max_packet;          /* largest event accepted from upstream */
    int      up_semi_sync;           /* register as a semi-sync replica; ACK only after fdatasync */
    int      up_use_gtid;            /* on a new primary, find the continuation by GTID state */
    char     up_candidates[CONFIG_STR_MAX];   /* "host:port,..." for automatic failover ("" = off) */
    uint32_t up_failover_after;      /* seconds the upstream must be gone before failing over */
    int      up_ssl;                 /* TLS to the upstream (and the watched servers), fail closed */
    int      up_ssl_verify_server_cert;   /* check the certificate's name against upstream.host */
    char     up_ssl_ca[CONFIG_STR_MAX];
    char     up_ssl_capath[CONFIG_STR_MAX];
    char     up_ssl_cert[CONFIG_STR_MAX];
    char     up_ssl_key[CONFIG_STR_MAX];
    char     up_ssl_cipher[CONFIG_STR_MAX];
    char     up_ssl_crl[CONFIG_STR_MAX];
    char     up_ssl_crlpath[CONFIG_STR_MAX];
    /* [storage] */
    enum config_sync sync;
    uint32_t sync_interval_ms;
    int      journal;                /* sync=trx: small batches made durable by the commit journal */
    uint32_t group_commit_max_ms;    /* longest a complete trx waits for its burst to end */
    uint64_t group_commit_max_bytes;
    /* retention (server/ops/retention.c) */
    uint64_t expire_logs_seconds;    /* 0 = off */
    uint64_t max_disk_bytes;         /* 0 = off */
    uint32_t min_files;              /* newest files never purged by retention (>= 1) */
    uint64_t min_free_bytes;         /* 0 = off */
    char     archive_command[1024];  /* "" = no archiving; %p path, %f name, %% percent */
    uint32_t archive_timeout;        /* seconds before a command's process group is killed (0 = never) */
    uint32_t archive_retry_max_ms;   /* cap of the retry backoff (1 s doubling) */
    uint32_t archive_max_lag;        /* seconds: /healthz fails when archiving lags more (0 = never) */
    char     restore_command[1024];  /* "" = no restore on demand; %p destination path, %f name, %% percent */
    uint32_t restore_timeout;        /* seconds before a restore command's process group is killed (0 = never) */
    uint64_t restore_spool_bytes;    /* bound of the spool of restored copies (LRU, never one being read) */
    uint32_t restore_jobs;           /* restore commands at most at once (1..16) */
    /* compressed history (server/ops/compress.c, storage/zfile.h) */
    uint64_t compress_after;         /* seconds after a file was closed (0 = off) */
    uint32_t compress_block_bytes;   /* original bytes per block */
    uint32_t compress_level;         /* zlib level */
    uint64_t block_cache_bytes;      /* bound of the inflated-block cache */
    /* [metrics] */
    char     metrics_host[256];
    uint16_t metrics_port;           /* 0 = no HTTP server (metrics, health, status page) */
    uint32_t metrics_replica_series; /* replicas with their own labelled series */
    uint32_t metrics_traffic_series; /* tables and originating server_ids with their own series */
    uint32_t metrics_health_max_lag; /* seconds: /healthz fails beyond this */
    /* [stats] */
    int      stats_enabled;          /* traffic statistics and the lag doctor on the ingest path */
    uint32_t stats_max_tables;       /* tables tracked by name; more fold into "(other)" */
    uint64_t stats_large_trx_bytes;  /* a transaction this big is flagged (log, counter, list) */
    /* [watch] the split-brain watch (server/upstream/watch.c) */
    int      watch_enabled;          /* -1 auto (on when there is something to watch), 0 off, 1 on */
    uint32_t watch_interval_ms;      /* between polling rounds */
    uint32_t watch_connect_timeout_ms;   /* per poll: connect, read, write */
    /* [tls] TLS towards replicas and admins (server/replicas/tls.c) */
    char     tls_cert[CONFIG_STR_MAX];   /* "" = no TLS: CLIENT_SSL is not advertised */
    char     tls_key[CONFIG_STR_MAX];
    char     tls_ca[CONFIG_STR_MAX];     /* "" = client certificates are not asked for */
    int      tls_require;                /* plaintext logins refused (3159) */
    /* [user.NAME] */
    struct config_user users[CONFIG_MAX_USERS];
    size_t   n_users;
};

/* Fill *cfg with defaults. */
void config_defaults(struct config *cfg);

/* Load an INI file on top of *cfg. Returns 0, or -1 with err = "FILE:LINE: message naming
 * the key". Unknown sections/keys and bad values are errors. */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

/* config_load_file on an open stream (not closed here); path names it in messages. Lets
 * tests and the fuzzer feed INI text from memory (fmemopen). */
int config_load_stream(struct config *cfg, FILE *f, const char *path, char *err, size_t errlen);
/* Apply one "section.key=value" override (the leading "--" already stripped).
 * Returns 0, or -1 with err naming the key. */
int config_set(struct config *cfg, const char *assignment, const char *origin, char *err, size_t errlen);

/* Cross-field checks after everything is loaded (server_id present, retry_min <= max, ...).
 * Returns 0, or -1 with err naming the key. */
int config_validate(const struct config *cfg, char *err, size_t errlen);

/* Find an account; NULL if none. */
const struct config_user *config_user_find(const struct config *cfg, const char *name);

/* The next "host[:port]" entry of a list separated by commas and spaces, split in place as
 * strtok_r does (list on the first call, NULL after; *save is strtok_r's): *host is the entry
 * with its ":port" cut off, *port its port (3306 when absent; 0 when it does not parse, for
 * the caller to refuse). 1, or 0 at the end. Pure. */
int config_hostport_next(char *list, char **save, char **host, unsigned long *port);

/* The failover list (out, cap): upstream.candidates, then the configured upstream
 * (upstream.host:port) when candidates are set and it is not listed already, so that a binlogd
 * that failed over to a candidate can come back to it when that candidate dies in turn (a pair
 * failing over back and forth, a sibling tier). "" when upstream.candidates is empty. 0, or -1
 * when the list does not fit (out holds the candidates alone then). Pure. */
int config_failover_list(const struct config *cfg, char *out, size_t cap);

/* Write the effective configuration as INI text (passwords masked) with `emit` per line. */
void config_dump(const struct config *cfg, void (*emit)(void *arg, const char *line), void *arg);

/* One entry of the option table, for --help, the sample configuration and reload. */
struct config_option {
    const char *name;                /* "section.key" (static) */
    const char *help;                /* one line (static) */
    int runtime;                     /* 1: a reload (SIGHUP) applies a new value */
    char default_value[CONFIG_STR_MAX + 16];   /* as INI text, or a description if default_is_text */
    int default_is_text;             /* the default depends on the machine: default_value says how */
};

/* How many options the table has ([user.NAME] accounts are not in it). Any thread. */
size_t config_option_count(void);

/* Fill *out for option i. 0, or -1 when i >= config_option_count(). Any thread (uses
 * ~40 KB of stack for a defaults struct). */
int config_option_info(size_t i, struct config_option *out);

enum config_change { CONFIG_APPLIED = 0, CONFIG_RESTART_NEEDED };

/* Reload: for every option whose value differs between *live and *next, copy it into *live
 * if it may change at runtime (report CONFIG_APPLIED), else keep live's value (report
 * CONFIG_RESTART_NEEDED). The account table is replaced by next's; each added, changed or
 * removed account is reported as "user.NAME[ (added)| (removed)]". `name` is valid during
 * the call only; report never sees a value (passwords). Returns how many were applied.
 * Thread: whoever owns *live (the loop thread in binlogd): nothing may hold a pointer into
 * live->users across this call. */
size_t config_apply_runtime(struct config *live, const struct config *next,
                            void (*report)(void *arg, const char *name, enum config_change what), void *arg);

const char *config_sync_name(enum config_sync s);
const char *config_role_name(enum config_role r);

#endif
