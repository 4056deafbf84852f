/*
 * replctl.c - the replica-control statements an operator runs with the stock client against
 * binlogd's own upstream: CHANGE MASTER TO (also CHANGE REPLICATION SOURCE TO, with MySQL
 * 8.0.23's SOURCE_* option names), START SLAVE, STOP SLAVE, SHOW SLAVE STATUS.
 * Answers and error codes are a MariaDB replica's (1198 while running, 1200 with no master).
 *
 * Thread: the loop thread. The ingest thread is reached only through ingest.h calls; STOP
 * SLAVE answers later (struct stmt_later) so the loop never waits for it.
 */
#include "server/admin/replctl.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/errmsg.h"
#include "server/log.h"
#include "server/upstream/ingest.h"
#include "server/upstream/upstream_conf.h"
#include "storage/store.h"
#include "storage/index.h"

#define TAG "admin"

static int require_admin(const struct stmt_ctx *c, struct stmt_result *r)
{
    if (c->is_admin) return 0;
    struct myerr e;
    myerr_specific_access_denied(&e, "SUPER, REPLICATION SLAVE ADMIN");
    stmt_err(r, &e);
    return -1;
}

/* No upstream session at all (binlogd without ingest): as a server with no master. */
static int require_ingest(const struct stmt_ctx *c, struct stmt_result *r)
{
    if (c->ingest) return 0;
    stmt_errf(r, 1200, "The server is not configured as slave; fix in config file or with CHANGE MASTER TO");
    return -1;
}

/* A string option: QVAL_STRING only (as mariadbd: MASTER_HOST=db1 unquoted is a syntax error). */
static int opt_str(struct stmt_result *r, const struct query_assign *a, char *dst, size_t cap, const char *what)
{
    if (a->val.kind != QVAL_STRING) {
        stmt_errf(r, 1064, "You have an error in your SQL syntax; %s needs a quoted string", what);
        return -1;
    }
    if (a->val.len >= cap || memchr(a->val.s, '\n', a->val.len) || memchr(a->val.s, 0, a->val.len)) {
        stmt_errf(r, 1470, "String '%.*s' is too long or not valid for %s", (int)(a->val.len > 64 ? 64 : a->val.len),
                  a->val.s, what);
        return -1;
    }
    memcpy(dst, a->val.s, a->val.len);
    dst[a->val.len] = 0;
    return 0;
}

static int opt_num(struct stmt_result *r, const struct query_assign *a, uint64_t max, uint64_t *out, const char *what)
{
    if (a->val.kind != QVAL_NUMBER || a->val.negative || !a->val.is_int || a->val.u > max) {
        stmt_errf(r, 1064, "You have an error in your SQL syntax; %s needs a number in range", what);
        return -1;
    }
    *out = a->val.u;
    return 0;
}

/* MASTER_SSL and MASTER_SSL_VERIFY_SERVER_CERT: an unsigned number, non-zero = on, as
 * mariadbd's grammar takes them (ulong_num: no quotes, no sign, no ON/OFF). */
static int opt_flag(struct stmt_result *r, const struct query_assign *a, int *dst, const char *what)
{
    if (a->val.kind != QVAL_NUMBER || a->val.negative || !a->val.is_int) {
        stmt_errf(r, 1064, "You have an error in your SQL syntax; %s needs 0 or 1", what);
        return -1;
    }
    *dst = a->val.u != 0;
    return 0;
}

#define OPT_IS(a, n) query_name_eq((a)->name, (a)->name_len, n)

/* The TLS options of CHANGE MASTER. 1 = a TLS option (handled, or r set on error: then
 * *failed = 1), 0 = not one of them. */
static int tls_option(struct stmt_result *r, const struct query_assign *a, struct upstream_conf *c, int *failed)
{
    static const struct { const char *name; size_t off; } paths[] = {
        {"MASTER_SSL_CA", offsetof(struct upstream_conf, ssl_ca)},
        {"MASTER_SSL_CAPATH", offsetof(struct upstream_conf, ssl_capath)},
        {"MASTER_SSL_CERT", offsetof(struct upstream_conf, ssl_cert)},
        {"MASTER_SSL_KEY", offsetof(struct upstream_conf, ssl_key)},
        {"MASTER_SSL_CIPHER", offsetof(struct upstream_conf, ssl_cipher)},
        {"MASTER_SSL_CRL", offsetof(struct upstream_conf, ssl_crl)},
        {"MASTER_SSL_CRLPATH", offsetof(struct upstream_conf, ssl_crlpath)},
    };
    *failed = 0;
    if (OPT_IS(a, "MASTER_SSL")) {
        *failed = opt_flag(r, a, &c->ssl, "MASTER_SSL") == -1;
        return 1;
    }
    if (OPT_IS(a, "MASTER_SSL_VERIFY_SERVER_CERT")) {
        *failed = opt_flag(r, a, &c->ssl_verify_server_cert, "MASTER_SSL_VERIFY_SERVER_CERT") == -1;
        return 1;
    }
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (!OPT_IS(a, paths[i].name)) continue;
        *failed = opt_str(r, a, (char *)c + paths[i].off, UPSTREAM_PATH_MAX, paths[i].name) == -1;
        return 1;
    }
    return 0;
}

void replctl_change_master(const struct stmt_ctx *ctx, const struct query *q, struct stmt_result *r)
{
    if (require_admin(ctx, r) || require_ingest(ctx, r)) return;
    struct ingest *in = ctx->ingest;
    if (!ingest_paused(in)) {
        stmt_errf(r, 1198, "This operation cannot be performed as you have a running slave '%s'; run STOP SLAVE '' first",
                    "");
        return;
    }
    struct upstream_conf c;
    ingest_get_conf(in, &c);
    struct upstream_conf old = c;
    int file_given = 0, gtid_given = 0, failed = 0;
    c.log_file[0] = 0;
    for (size_t i = 0; i < q->nassign; i++) {
        /* MySQL 8.0.23+ names (SOURCE_HOST, ...) are read as their MASTER_* equivalents;
         * the user's own spelling stays in `spelled` for the refusal of an unknown one. */
        const struct query_assign *spelled = &q->assign[i];
        struct query_assign canon = *spelled;
        const char *alias = query_source_option_alias(spelled->name, spelled->name_len);
        if (alias) {
            canon.name = alias;
            canon.name_len = strlen(alias);
        }
        const struct query_assign *a = &canon;
        uint64_t n;
        if (OPT_IS(a, "MASTER_HOST")) {
            if (opt_str(r, a, c.host, sizeof(c.host), "MASTER_HOST")) return;
        } else if (OPT_IS(a, "MASTER_PORT")) {
            if (opt_num(r, a, 65535, &n, "MASTER_PORT")) return;
            c.port = (uint16_t)n;
        } else if (OPT_IS(a, "MASTER_USER")) {
            if (opt_str(r, a, c.user, sizeof(c.user), "MASTER_USER")) return;
        } else if (OPT_IS(a, "MASTER_PASSWORD")) {
            if (opt_str(r, a, c.password, sizeof(c.password), "MASTER_PASSWORD")) return;
        } else if (OPT_IS(a, "MASTER_LOG_FILE")) {
            const char *why;
            if (opt_str(r, a, c.log_file, sizeof(c.log_file), "MASTER_LOG_FILE")) return;
            if (index_name_check(c.log_file, strlen(c.log_file), &why) == -1) {
                stmt_errf(r, 1236, "MASTER_LOG_FILE is not a binlog file name: %s", why);
                return;
            }
            file_given = 1;
        } else if (OPT_IS(a, "MASTER_LOG_POS")) {
            if (opt_num(r, a, UINT64_MAX, &n, "MASTER_LOG_POS")) return;
            if (n != 4) {
                stmt_errf(r, 1235, "This version of binlogd doesn't yet support '%s'",
                            "MASTER_LOG_POS other than 4 (binlogd continues a new primary only at the start of a file)");
                return;
            }
        } else if (OPT_IS(a, "MASTER_USE_GTID")) {
            if (a->val.kind != QVAL_WORD) {
                stmt_errf(r, 1064, "You have an error in your SQL syntax; %s", "MASTER_USE_GTID = slave_pos | current_pos | no");
                return;
            }
            if (query_name_eq(a->val.s, a->val.len, "slave_pos") || query_name_eq(a->val.s, a->val.len, "current_pos"))
                c.use_gtid = 1;
            else if (query_name_eq(a->val.s, a->val.len, "no"))
                c.use_gtid = 0;
            else {
                stmt_errf(r, 1064, "You have an error in your SQL syntax; %s", "MASTER_USE_GTID = slave_pos | current_pos | no");
                return;
            }
            gtid_given = c.use_gtid;
        } else if (tls_option(r, a, &c, &failed)) {
            if (failed) return;
        } else {
            char what[96];
            snprintf(what, sizeof(what), "CHANGE MASTER option %.*s", (int)(spelled->name_len > 64 ? 64 : spelled->name_len),
                     spelled->name);
            stmt_errf(r, 1235, "This version of binlogd doesn't yet support '%s'", what);
            return;
        }
    }
    /* As config_validate: Connector/C needs the certificate and its key together. */
    if (!c.ssl_cert[0] != !c.ssl_key[0]) {
        stmt_errf(r, 1064, "You have an error in your SQL syntax; %s",
                  "MASTER_SSL_CERT and MASTER_SSL_KEY go together (one is set, the other empty)");
        return;
    }
    if (file_given && gtid_given) {
        stmt_errf(r, 1064, "You have an error in your SQL syntax; %s",
                    "MASTER_LOG_FILE and MASTER_USE_GTID=slave_pos cannot be combined");
        return;
    }
    /* A different primary, or an explicit start: continue only by the continuity rule. */
    int moved = strcmp(c.host, old.host) || c.port != old.port;
    if (moved || file_given || gtid_given) c.switch_pending = 1;
    if (!file_given) c.log_file[0] = 0;
    char err[512];
    if (ingest_set_conf(in, &c, err, sizeof(err)) == -1) {
        stmt_errf(r, 1201, "Could not initialize master info structure; %s", err);
        return;
    }
    log_info(TAG, "connection %u (%s): CHANGE MASTER TO %s:%u%s%s%s%s", ctx->conn_id, ctx->user, c.host, c.port,
             c.ssl ? (c.ssl_verify_server_cert ? " TLS (verified)" : " TLS (name not verified)") : "",
             file_given ? " MASTER_LOG_FILE=" : "", file_given ? c.log_file : "",
             c.switch_pending ? " (the next START SLAVE checks continuity)" : "");
    stmt_ok(r, 0);
}

void replctl_start_slave(const struct stmt_ctx *ctx, const struct query *q, struct stmt_result *r)
{
    (void)q;
    if (require_admin(ctx, r) || require_ingest(ctx, r)) return;
    if (ingest_resume(ctx->ingest) == -1) {
        stmt_errf(r, 1200, "The server is not configured as slave; fix in config file or with CHANGE MASTER TO");
        return;
    }
    log_info(TAG, "connection %u (%s): START SLAVE", ctx->conn_id, ctx->user);
    stmt_ok(r, 0);
}

static int stop_ready(void *arg) { return ingest_settled(arg); }

/* STOP SLAVE answers once the ingest thread has parked, without blocking the event loop
 * (every replica is served from it): the caller polls ingest_settled every 20 ms, for at
 * most 30 s. */
void replctl_stop_slave(const struct stmt_ctx *ctx, const struct query *q, struct stmt_result *r)
{
    (void)q;
    if (require_admin(ctx, r) || require_ingest(ctx, r)) return;
    log_info(TAG, "connection %u (%s): STOP SLAVE", ctx->conn_id, ctx->user);
    ingest_request_pause(ctx->ingest);
    struct myerr timeout;
    myerr_custom(&timeout, 1205, "Lock wait timeout exceeded; %s", "the upstream session did not stop within 30 s");
    stmt_later(r, stop_ready, ctx->ingest, 20, 30000, &timeout);
}

void replctl_show_slave_status(const struct stmt_ctx *ctx, struct stmt_result *r)
{
    /* mariadbd's names, in its relative order (the Master_SSL_* group, then the verify flag
     * before Last_IO_Errno, the CRL pair after Master_Server_Id); binlogd's own at the end. */
    static const char *const names[] = {"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Master_Log_File",
                                        "Read_Master_Log_Pos", "Slave_IO_Running", "Slave_SQL_Running",
                                        "Master_SSL_Allowed", "Master_SSL_CA_File", "Master_SSL_CA_Path",
                                        "Master_SSL_Cert", "Master_SSL_Cipher", "Master_SSL_Key",
                                        "Master_SSL_Verify_Server_Cert", "Last_IO_Errno",
                                        "Last_IO_Error", "Master_Server_Id", "Master_SSL_Crl", "Master_SSL_Crlpath",
                                        "Using_Gtid", "Gtid_IO_Pos", "Binlogd_Events",
                                        "Binlogd_Bytes", "Binlogd_Reconnects", "Binlogd_Semi_Sync",
                                        "Binlogd_Semi_Sync_Acks", "Binlogd_Switch_Pending"};
    enum { NCOLS = sizeof(names) / sizeof(names[0]) };
    if (stmt_columns(r, names, NCOLS) == -1 || !ctx->ingest) return;
    struct ingest_status st;
    struct upstream_conf c;
    ingest_status_get(ctx->ingest, &st);
    ingest_get_conf(ctx->ingest, &c);
    if (!c.host[0]) return;   /* as mariadbd: no master configured, no row */
    char port[8], pos[24], eno[16], sid[16], ev[24], by[24], rc[24], acks[24], gpos[4096];
    snprintf(port, sizeof(port), "%u", c.port);
    snprintf(pos, sizeof(pos), "%" PRIu64, st.upstream_pos);
    snprintf(eno, sizeof(eno), "%u", st.last_errno);
    snprintf(sid, sizeof(sid), "%u", st.upstream_server_id);
    snprintf(ev, sizeof(ev), "%" PRIu64, st.events);
    snprintf(by, sizeof(by), "%" PRIu64, st.bytes);
    snprintf(rc, sizeof(rc), "%" PRIu64, st.reconnects);
    snprintf(acks, sizeof(acks), "%" PRIu64, st.acks);
    int flavor;
    if (store_gtid_state(ctx->store, 0, &flavor, gpos, sizeof(gpos), NULL, 0) == -1) gpos[0] = 0;
    const char *running = st.state == INGEST_STREAMING ? "Yes"
                          : st.state == INGEST_CONNECTING || st.state == INGEST_BACKOFF ? "Connecting" : "No";
    const char *cells[NCOLS] = {ingest_state_name(st.state), c.host, c.user, port, st.upstream_file, pos,
                                running, "No", c.ssl ? "Yes" : "No", c.ssl_ca, c.ssl_capath, c.ssl_cert,
                                c.ssl_cipher, c.ssl_key, c.ssl_verify_server_cert ? "Yes" : "No", eno, st.last_error,
                                sid, c.ssl_crl, c.ssl_crlpath, c.use_gtid ? "Slave_Pos" : "No", gpos, ev, by, rc,
                                st.semi_sync_active ? "ON" : "OFF", acks, c.switch_pending ? "Yes" : "No"};
    stmt_row(r, cells);
}
