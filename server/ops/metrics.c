/* metrics.c - see metrics.h. Families are grouped as README "Monitoring" lists them. */
#include "server/ops/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NL(a) (sizeof(a) / sizeof((a)[0]))

static void gauge(struct prom *p, const char *name, const char *help, double v)
{
    if (prom_family(p, name, PROM_GAUGE, help) == 0) prom_sample(p, "", NULL, 0, v);
}

static void gauge_u64(struct prom *p, const char *name, const char *help, uint64_t v)
{
    if (prom_family(p, name, PROM_GAUGE, help) == 0) prom_sample_u64(p, "", NULL, 0, v);
}

static void counter(struct prom *p, const char *name, const char *help, uint64_t v)
{
    if (prom_family(p, name, PROM_COUNTER, help) == 0) prom_sample_u64(p, "", NULL, 0, v);
}

static void upstream(struct prom *p, const struct ops_snapshot *s)
{
    const struct ingest_status *in = &s->in;
    gauge(p, "binlogd_upstream_connected", "1 while binlogd streams from its primary, else 0", s->connected);
    if (prom_family(p, "binlogd_upstream_state", PROM_GAUGE,
                    "state of the upstream session: 1 for the current state, 0 for the others") == 0 && s->has_ingest)
        for (int st = INGEST_IDLE; st <= INGEST_PAUSED; st++) {
            struct prom_label l[] = {{"state", ingest_state_name((enum ingest_state)st)}};
            prom_sample(p, "", l, NL(l), in->state == (enum ingest_state)st);
        }
    if (prom_family(p, "binlogd_upstream_info", PROM_GAUGE,
                    "the configured primary (host, port, its server_id once known); absent with no upstream") == 0 &&
        s->up_host[0]) {
        char port[8], sid[16];
        snprintf(port, sizeof(port), "%u", s->up_port);
        snprintf(sid, sizeof(sid), "%u", in->upstream_server_id);
        struct prom_label l[] = {{"host", s->up_host}, {"port", port}, {"server_id", sid},
                                 {"use_gtid", s->up_use_gtid ? "on" : "off"}};
        prom_sample(p, "", l, NL(l), 1);
    }
    if (prom_family(p, "binlogd_upstream_lag_seconds", PROM_GAUGE,
                    "seconds behind the primary (Seconds_Behind_Master for a server that only receives): 0 when "
                    "everything received is committed, else now minus the timestamp of the last event received; "
                    "absent while not streaming") == 0 &&
        !isnan(s->behind_s))
        prom_sample(p, "", NULL, 0, s->behind_s);
    if (prom_family(p, "binlogd_upstream_last_receive_age_seconds", PROM_GAUGE,
                    "seconds since the last event or heartbeat from the primary (or since the dump began)") == 0 &&
        !isnan(s->since_recv_s))
        prom_sample(p, "", NULL, 0, s->since_recv_s);
    if (prom_family(p, "binlogd_upstream_last_event_timestamp_seconds", PROM_GAUGE,
                    "header timestamp (primary's clock) of the last event stored") == 0 && in->last_event_ts)
        prom_sample_u64(p, "", NULL, 0, in->last_event_ts);
    counter(p, "binlogd_upstream_received_bytes_total", "event bytes received from the primary and stored "
            "(SHOW SLAVE STATUS Binlogd_Bytes)", in->bytes);
    counter(p, "binlogd_upstream_received_events_total", "events received from the primary and stored "
            "(Binlogd_Events)", in->events);
    counter(p, "binlogd_upstream_transactions_received_total", "transactions received from the primary and stored "
            "(counted at their last event: XID, COMMIT, or the end of a DDL group)", in->trx);
    counter(p, "binlogd_upstream_heartbeats_total", "heartbeat events received from the primary", in->heartbeats);
    counter(p, "binlogd_upstream_reconnects_total", "reconnects to the primary (Binlogd_Reconnects)", in->reconnects);
    counter(p, "binlogd_upstream_group_commits_total", "batches of transactions made durable and published by the "
            "ingest thread", in->syncs);
    counter(p, "binlogd_upstream_semi_sync_acks_total", "semi-sync ACKs sent to the primary", in->acks);
    gauge_u64(p, "binlogd_upstream_last_error_code", "Last_IO_Errno: the primary's error number of the last failure "
              "(0: none, or an error without a number; the text is in /healthz and SHOW SLAVE STATUS)", in->last_errno);
    if (prom_family(p, "binlogd_committed_info", PROM_GAUGE,
                    "the file of the committed position (SHOW MASTER STATUS File)") == 0 && s->wm.file[0]) {
        struct prom_label l[] = {{"file", s->wm.file}};
        prom_sample(p, "", l, NL(l), 1);
    }
    if (prom_family(p, "binlogd_committed_position_bytes", PROM_GAUGE,
                    "the committed offset in that file (SHOW MASTER STATUS Position)") == 0 && s->wm.file[0])
        prom_sample_u64(p, "", NULL, 0, s->wm.offset);
    if (prom_family(p, "binlogd_committed_gtid_info", PROM_GAUGE,
                    "the committed GTID state (@@gtid_binlog_pos, or MySQL's executed set)") == 0 && s->gtid[0]) {
        struct prom_label l[] = {{"gtid", s->gtid}};
        prom_sample(p, "", l, NL(l), 1);
    }
}

static void storage(struct prom *p, const struct ops_snapshot *s)
{
    const struct sync_stats *y = &s->sync;
    if (prom_family(p, "binlogd_storage_syncs_total", PROM_COUNTER, "fsync and fdatasync calls on the data directory") == 0)
        for (int k = 0; k < SYNC_KIND__COUNT; k++) {
            struct prom_label l[] = {{"call", sync_kind_name((enum sync_kind)k)}};
            prom_sample_u64(p, "", l, NL(l), y->calls[k]);
        }
    if (prom_family(p, "binlogd_storage_sync_errors_total", PROM_COUNTER,
                    "fsync and fdatasync calls that failed (binlogd stops after one: fsyncgate)") == 0)
        for (int k = 0; k < SYNC_KIND__COUNT; k++) {
            struct prom_label l[] = {{"call", sync_kind_name((enum sync_kind)k)}};
            prom_sample_u64(p, "", l, NL(l), y->errors[k]);
        }
    if (prom_family(p, "binlogd_storage_sync_duration_seconds", PROM_HISTOGRAM,
                    "latency of fsync and fdatasync calls") == 0)
        prom_histogram(p, NULL, 0, sync_stats_bounds, SYNC_STATS_BUCKETS, y->bucket, (double)y->sum_ns / 1e9);
    if (s->journal_on) {
        gauge_u64(p, "binlogd_storage_journal_used_bytes", "bytes of the commit journal ring used by its current lap",
                  s->journal_used);
        gauge_u64(p, "binlogd_storage_journal_size_bytes", "size of the commit journal ring", s->journal_size);
        counter(p, "binlogd_storage_journal_laps_total", "laps of the commit journal (each after an fdatasync of the "
                "binlog file)", s->journal_laps);
    }
    gauge_u64(p, "binlogd_storage_binlog_files", "binlog files in the index (SHOW BINARY LOGS rows)", s->nfiles);
    gauge_u64(p, "binlogd_storage_binlog_bytes", "committed bytes of all stored binlog files", s->binlog_bytes);
    if (s->fs_ok) {
        gauge_u64(p, "binlogd_storage_filesystem_size_bytes", "size of the filesystem holding the data directory",
                  s->fs_size);
        gauge_u64(p, "binlogd_storage_filesystem_free_bytes", "free bytes of that filesystem", s->fs_free);
        gauge_u64(p, "binlogd_storage_filesystem_avail_bytes", "free bytes of that filesystem available to "
                  "unprivileged users (what binlogd running as its own user can use)", s->fs_avail);
    }
}

static void rep_labels(const struct ops_replica *r, char *sid, size_t sidlen, struct prom_label *l)
{
    snprintf(sid, sidlen, "%u", r->d.server_id);
    l[0] = (struct prom_label){"server_id", sid};
    l[1] = (struct prom_label){"host", r->d.host};
    l[2] = (struct prom_label){"mode", dump_mode_name(r->d.mode)};
}

static void replicas(struct prom *p, struct ops_snapshot *s, size_t max_series)
{
    gauge_u64(p, "binlogd_replicas_streaming", "connections running a binlog dump (SHOW PROCESSLIST 'Binlog Dump')",
              s->nreps);
    gauge_u64(p, "binlogd_replicas_registered", "replicas registered with COM_REGISTER_SLAVE (SHOW SLAVE HOSTS rows)",
              s->registered);
    size_t n = ops_replica_merge(s->reps, s->nreps);
    struct ops_replica other;
    size_t keep = ops_replica_select(s->reps, n, max_series, &other);
    gauge_u64(p, "binlogd_replica_series_folded", "replicas beyond metrics.replica_series, summed under "
              "server_id=\"other\"", other.others);
    static const struct {
        const char *name, *help;
        enum prom_type t;
    } fam[] = {
        {"binlogd_replica_sent_bytes_total", "event bytes sent to the replica by its current dump", PROM_COUNTER},
        {"binlogd_replica_sent_events_total", "events sent to the replica by its current dump", PROM_COUNTER},
        {"binlogd_replica_lag_bytes", "committed bytes the replica has not been sent (same file: committed offset minus "
         "its position; else the rest of its file and every later file)", PROM_GAUGE},
        {"binlogd_replica_lag_seconds", "0 while the replica waits at the committed position, else seconds since it "
         "last did (since its dump began if never)", PROM_GAUGE},
        {"binlogd_replica_semi_sync_acks_total", "semi-sync ACKs received from the replica", PROM_COUNTER},
    };
    for (size_t f = 0; f < NL(fam); f++) {
        if (prom_family(p, fam[f].name, fam[f].t, fam[f].help) == -1) continue;
        for (size_t i = 0; i <= keep; i++) {
            const struct ops_replica *r = i < keep ? &s->reps[i] : &other;
            if (i == keep && !other.others) break;
            char sid[16];
            struct prom_label l[3];
            if (i < keep) rep_labels(r, sid, sizeof(sid), l);
            else {
                l[0] = (struct prom_label){"server_id", "other"};
                l[1] = (struct prom_label){"host", ""};
                l[2] = (struct prom_label){"mode", ""};
            }
            uint64_t v = f == 0 ? r->d.bytes_sent : f == 1 ? r->d.events_sent : f == 2 ? r->bytes_behind
                       : f == 3 ? r->d.behind_s : r->d.semi_sync_acks;
            prom_sample_u64(p, "", l, 3, v);
        }
    }
    if (prom_family(p, "binlogd_replica_info", PROM_GAUGE,
                    "each labelled replica: what it is doing (waiting, streaming, blocked: its socket is full), where "
                    "it is (file, position) and how many connections the series sums") == 0)
        for (size_t i = 0; i < keep; i++) {
            const struct ops_replica *r = &s->reps[i];
            char sid[16], pos[24], conns[16];
            struct prom_label l[7];
            rep_labels(r, sid, sizeof(sid), l);
            snprintf(pos, sizeof(pos), "%" PRIu64, r->d.pos);
            snprintf(conns, sizeof(conns), "%u", r->others ? r->others : 1);
            l[3] = (struct prom_label){"state", dump_activity_name(r->d.activity)};
            l[4] = (struct prom_label){"file", r->d.file};
            l[5] = (struct prom_label){"position", pos};
            l[6] = (struct prom_label){"connections", conns};
            prom_sample(p, "", l, NL(l), 1);
        }
}

static void process(struct prom *p, const struct ops_snapshot *s)
{
    const struct replicas_counters *c = &s->lc;
    if (prom_family(p, "binlogd_connections_open", PROM_GAUGE,
                    "client connections now, by the role of the account they logged in with") == 0) {
        static const char *const roles[] = {"replica", "admin", "monitor"};
        for (int r = 0; r < 3; r++) {
            struct prom_label l[] = {{"role", roles[r]}};
            prom_sample_u64(p, "", l, NL(l), s->conn_role[r]);
        }
        struct prom_label l[] = {{"role", "unauthenticated"}};
        prom_sample_u64(p, "", l, NL(l), s->conn_unauth);
    }
    counter(p, "binlogd_connections_total", "client connections accepted (SHOW STATUS Connections)", c->connections_total);
    counter(p, "binlogd_auth_failures_total", "logins refused (wrong password, unknown account)", c->auth_failures);
    counter(p, "binlogd_aborted_connects_total", "connections that ended before logging in (Aborted_connects)",
            c->aborted_connects);
    counter(p, "binlogd_aborted_clients_total", "logged-in sessions closed at binlogd.idle_timeout (Aborted_clients)",
            c->aborted_clients);
    counter(p, "binlogd_access_denied_total", "ERR 1045 and 1227 sent (Access_denied_errors)", c->access_denied);
    counter(p, "binlogd_connections_refused_total", "ERR 1040 over binlogd.max_connections "
            "(Connection_errors_max_connections)", c->connections_refused);
    counter(p, "binlogd_auth_delayed_total", "failed logins whose ERR was slowed (Binlogd_auth_delayed)",
            c->auth_delayed);
    gauge_u64(p, "binlogd_auth_throttled_hosts", "client addresses with failed logins remembered",
              c->auth_throttled_hosts);
    counter(p, "binlogd_sent_bytes_total", "binlog event bytes sent to all replicas (Binlogd_bytes_sent)", c->bytes_sent);
    counter(p, "binlogd_sent_events_total", "binlog events sent to all replicas (Binlogd_events_sent)", c->events_sent);
    counter(p, "binlogd_questions_total", "commands from clients except ping and statistics (Questions)", c->questions);
    gauge_u64(p, "binlogd_uptime_seconds", "seconds since binlogd started serving (SHOW STATUS Uptime)", c->uptime_s);
    gauge(p, "binlogd_process_start_time_seconds", "Unix time binlogd started serving", (double)s->start_unix);
    gauge_u64(p, "binlogd_process_open_fds", "open file descriptors (/proc/self/fd)", s->open_fds);
    gauge_u64(p, "binlogd_process_resident_memory_bytes", "resident set size (/proc/self/statm)", s->rss_bytes);
    gauge_u64(p, "binlogd_process_virtual_memory_bytes", "virtual memory size (/proc/self/statm)", s->vsz_bytes);
}

void metrics_write(struct prom *p, struct ops_snapshot *s, size_t replica_series)
{
    upstream(p, s);
    storage(p, s);
    replicas(p, s, replica_series);
    process(p, s);
}
