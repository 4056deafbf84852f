#!/usr/bin/env bash
# Issue #2 acceptance 3: kill -9 of binlogd at random moments during a workload, 20 times
# in a row (200 with TORTURE=1): after each restart the store holds only complete
# transactions (binlogd verify), then it catches up to identical files.
source "$(dirname "$0")/harness.sh"
tl_init crash

tl_mariadb_start p
P=$(tl_port p)
D=$(tl_workdir)/mirror
UP=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
    --upstream.retry_min_ms=100 --upstream.retry_max_ms=500)
cycles=20; [ "${TORTURE:-0}" = 1 ] && cycles=200
tl_sql p "CREATE DATABASE IF NOT EXISTS w"
wl=$(tl_wl_mixed p 3600)
kills=0; verified=0
for i in $(seq 1 "$cycles"); do
  tl_binlogd_start b1 "$D" "${UP[@]}"
  # Let it get going: some bytes must have arrived since the start, then kill at a random instant.
  before=$(du -sb "$D" 2>/dev/null | cut -f1)
  tl_wait_until 20 tl_dir_grew "$D" "${before:-0}"
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
kill "$wl" 2>/dev/null; tl_wait_pid "$wl" 30
tl_assert_eq "every recovery left only complete transactions" "$verified" "$cycles"
tl_binlogd_start b1 "$D" "${UP[@]}"
tl_wait_mirror_caught_up p "$D" 120
tl_assert "identical after $kills kill -9 cycles" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "clean stop" tl_binlogd_stop b1
tl_log "crash figures: $kills kill -9 cycles, $verified verified recoveries"
tl_done
