#!/usr/bin/env bash
# Issue #2 acceptance 1, 2, 4: a real MariaDB primary; binlogd mirrors it byte for byte.
#  - empty data dir; workload of thousands of small trx, a ~64 MiB transaction, a > 16 MiB
#    single-row event, DDL and several FLUSH BINARY LOGS: closed files cmp-equal, active file
#    a prefix (IN_USE byte aside), index lists the same names;
#  - binlogd restarted repeatedly while the primary writes;
#  - the primary restarted mid-stream.
# Also reports ingest throughput next to mariadb-binlog --raw pulling the same files.
source "$(dirname "$0")/harness.sh"
tl_init mirror

tl_mariadb_start p
P=$(tl_port p)
D=$(tl_workdir)/mirror
UP=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
    --upstream.retry_min_ms=100 --upstream.retry_max_ms=1000)

tl_log "workload: small trx, 64 MiB trx, 20 MiB row, DDL, rotations"
tl_sql p "CREATE DATABASE IF NOT EXISTS w; CREATE TABLE w.k (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
tl_wl_small p 3000
tl_flush_logs p
tl_wl_big p 64
tl_flush_logs p
tl_wl_blob p 20
tl_wl_ddl p
tl_flush_logs p
tl_wl_small p 1000

# Ingest throughput: binlogd from an empty data dir vs mariadb-binlog --raw, same files.
bytes=$(tl_sql p "SHOW BINARY LOGS" | awk '{s+=$2} END {print s}')
t0=$(date +%s.%N)
tl_binlogd_start b1 "$D" "${UP[@]}"
tl_wait_mirror_caught_up p "$D" 120
t1=$(date +%s.%N)
raw=$(tl_workdir)/raw; mkdir -p "$raw"
first=$(tl_binlogs p | head -1)
t2=$(date +%s.%N)
(cd "$raw" && mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P"$P" -urepl -preplpass --to-last-log "$first")
t3=$(date +%s.%N)
tl_log "$(awk -v b="$bytes" -v a="$(awk -v x="$t0" -v y="$t1" 'BEGIN {print y - x}')" -v r="$(awk -v x="$t2" -v y="$t3" 'BEGIN {print y - x}')" \
   'BEGIN {printf "ingest figures: %d bytes; binlogd %.2fs (%.1f MB/s incl. start) vs mariadb-binlog --raw %.2fs (%.1f MB/s)", b, a, b/a/1e6, r, b/r/1e6}')"

tl_assert "closed files identical, active file a prefix" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert_eq "index lists the primary's files" "$(tl_binlogs p | tr '\n' ' ')" \
    "$(sed 's|.*/||' "$D"/*.index | tr '\n' ' ')"
tl_assert "binlogd verify passes" "$BINLOGD_BIN" verify "$D"

tl_log "binlogd restarted repeatedly during a workload"
wl=$(tl_wl_mixed p 12)
for i in 1 2 3 4 5; do
  tl_wait_until 30 tl_log_has b1 "dumping from"
  sleep 0.$((RANDOM % 9 + 1))   # a random moment in the workload, not a synchronisation
  tl_assert "clean stop $i exits 0" tl_binlogd_stop b1
  tl_binlogd_start b1 "$D" "${UP[@]}"
done
tl_wait_pid "$wl"
tl_wait_mirror_caught_up p "$D" 120
tl_assert "identical after restarts" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"

tl_log "primary restarted mid-stream"
wl=$(tl_wl_mixed p 6)
sleep 2
tl_mariadb_restart p
tl_wait_pid "$wl"
tl_wl_small p 500
tl_wait_mirror_caught_up p "$D" 120
tl_assert "identical after primary restart" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "binlogd reconnected" grep -q "reconnecting" "$(tl_workdir)/b1.log"
tl_assert "clean stop" tl_binlogd_stop b1
tl_assert "binlogd verify passes at the end" "$BINLOGD_BIN" verify "$D"
tl_done
