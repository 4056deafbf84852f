#!/usr/bin/env bash
# Issue #2 acceptance 3 / #5 acceptance 2: kill -9 of binlogd at random moments during a
# mixed workload with rotations and large (32 MiB) transactions, 20 times in a row (200 with
# TORTURE=1): after each restart the store holds only complete transactions (binlogd verify),
# then it catches up to identical files, and a MariaDB replica reading through binlogd the
# whole time ends consistent with the primary.
source "$(dirname "$0")/harness.sh"
tl_init crash

tl_mariadb_start p
P=$(tl_port p)
D=$(tl_workdir)/mirror; L=$(tl_free_port)
UP=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
    --upstream.retry_min_ms=100 --upstream.retry_max_ms=500 --binlogd.listen=127.0.0.1:"$L"
    --user.repl.password=replpass)
cycles=20; [ "${TORTURE:-0}" = 1 ] && cycles=200
tl_sql p "CREATE DATABASE IF NOT EXISTS w"
wl=$(tl_wl_mixed p 3600)
( while :; do tl_wl_big p 32 >/dev/null 2>&1 || sleep 1; sleep 5; done ) &
big=$!
tl_track_pid "$big"
tl_mariadb_start r --skip-log-bin
# A GTID replica: a kill -9 can cut the stream in the middle of a multi-event statement, and a
# MariaDB replica in file/position mode then stops ("did not receive an expected Rows-log
# end-of-statement"), as it would behind a crashed primary; in GTID mode it resumes at a group.
# It starts once binlogd holds a file: a GTID dump from an empty data directory gets 1236
# "Binary log is not open", which stops a MariaDB replica for good.
tl_sql r "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$L, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1"
kills=0; verified=0
for i in $(seq 1 "$cycles"); do
  tl_binlogd_start b1 "$D" "${UP[@]}"
  # Let it get going: some bytes must have arrived since the start, then kill at a random instant.
  before=$(du -sb "$D" 2>/dev/null | cut -f1)
  tl_wait_until 20 tl_dir_grew "$D" "${before:-0}"
  [ "$i" = 1 ] && tl_wait_until 20 tl_log_has b1 "mirroring" && tl_sql r "START SLAVE"
  sleep 0.0$((RANDOM % 10))
  tl_binlogd_kill b1
  kills=$((kills + 1))
  # Restart with no upstream: recovery alone must leave only complete transactions.
  tl_binlogd_start b1 "$D" "${UP[@]}" --upstream.host=
  tl_wait_until 20 tl_log_has b1 "no upstream.host"
  tl_binlogd_stop b1 >/dev/null || true
  if "$BINLOGD_BIN" verify "$D" > "$(tl_workdir)/verify.$i" 2>&1; then
    verified=$((verified + 1))
  else
    tl_log "cycle $i: verify failed after recovery:"; tail -3 "$(tl_workdir)/verify.$i"
  fi
done
kill "$wl" "$big" 2>/dev/null; tl_wait_pid "$wl" 30; tl_wait_pid "$big" 60
tl_assert_eq "every recovery left only complete transactions" "$verified" "$cycles"
tl_binlogd_start b1 "$D" "${UP[@]}"
tl_wait_mirror_caught_up p "$D" 120
tl_assert "identical after $kills kill -9 cycles" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
at_primary() { [ "$(tl_sql r 'SELECT @@gtid_slave_pos')" = "$(tl_sql p 'SELECT @@gtid_binlog_pos')" ]; }
tl_assert "the replica behind binlogd reached the primary's position" tl_wait_until 120 at_primary
for t in $(tl_sql p "SELECT CONCAT(table_schema,'.',table_name) FROM information_schema.tables WHERE table_schema='w'"); do
  tl_assert_eq "replica: CHECKSUM TABLE $t equals the primary's" "$(tl_sql r "CHECKSUM TABLE $t")" "$(tl_sql p "CHECKSUM TABLE $t")"
done
tl_assert "clean stop" tl_binlogd_stop b1
tl_log "crash figures: $kills kill -9 cycles, $verified verified recoveries"
tl_done
