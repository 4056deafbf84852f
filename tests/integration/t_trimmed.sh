#!/usr/bin/env bash
# Issue #5 (F4): the primary crashes and loses the tail of its binlog that binlogd already holds
# (sync_binlog=0 and a power loss: simulated by cutting the primary's last file back to an
# earlier transaction boundary while it is down). binlogd must notice at reconnect, compare the
# primary's copy with its own, withdraw its bytes after the last boundary both hold byte for
# byte (kept in a side file, never served again) and carry on until its files are identical to
# the primary's again. A clean primary restart changes nothing. Done twice: once as a plain
# replica (checked before the dump), once as a semi-sync replica (checked after the primary
# refuses the position).
source "$(dirname "$0")/harness.sh"
tl_init trimmed

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); D=$(tl_workdir)/b
START=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
       --upstream.retry_min_ms=100 --upstream.retry_max_ms=400 --upstream.use_gtid=on
       --binlogd.listen=127.0.0.1:"$A" --user.ops.password=opspass --user.ops.role=admin
       --user.repl.password=replpass)
tl_sql p "CREATE DATABASE w"
tl_wl_small p 200
tl_binlogd_start b "$D" "${START[@]}"
tl_wait_mirror_caught_up p "$D" 60

# A clean primary restart: nothing lost, binlogd follows (the checks pass).
tl_mariadb_restart p
tl_wl_small p 50
tl_assert "after a clean primary restart binlogd keeps mirroring" tl_wait_mirror_caught_up p "$D" 60
tl_assert "the mirror is identical" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"

lose_tail() {  # ROUND EXTRA-BINLOGD-ARGS...: the primary loses its last transactions
  local round=$1; shift
  tl_wl_small p 100
  tl_wait_mirror_caught_up p "$D" 60
  tl_assert "$round: binlogd stops cleanly" tl_binlogd_stop b
  last=$(tl_binlogs p | tail -1)
  tl_mariadb_kill p
  # the start of a transaction 30 groups before the end: a boundary both copies hold
  cut=$(mariadb-binlog "$(tl_binlog_dir p)/$last" 2>/dev/null |
        awk '/^# at / {at = $3} /GTID [0-9]+-[0-9]+-[0-9]+/ {print at}' | tail -30 | head -1)
  held=$(stat -c %s "$D/$last")
  tl_log "$round: cut the primary's $last from $(stat -c %s "$(tl_binlog_dir p)/$last") to $cut bytes (binlogd holds $held)"
  truncate -s "$cut" "$(tl_binlog_dir p)/$last"
  _tl_mariadb_launch p
  tl_binlogd_start b "$D" "${START[@]}" "$@"
  tl_assert "$round: binlogd notices and withdraws its bytes after $cut" tl_wait_until 30 tl_log_has b "withdrew its bytes after $cut"
  tl_assert_eq "$round: the withdrawn bytes are kept for the operator" \
    "$(stat -c %s "$D/$last.withdrawn-$cut" 2>/dev/null)" "$((held - cut))"
  out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$last" -o "$held" -F 1 -s 0 2>&1)
  tl_assert "$round: a reader asking for the withdrawn position gets 1236 ($out)" grep -q "errno=1236" <<<"$out"
  tl_wl_small p 40
  tl_assert "$round: mirroring goes on" tl_wait_mirror_caught_up p "$D" 60
  tl_assert "$round: binlogd's files are identical to the primary's again" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
  tl_assert "$round: binlogd verify passes" "$BINLOGD_BIN" verify "$D"
  tl_assert "$round: verify points at the withdrawn bytes" bash -c "'$BINLOGD_BIN' verify '$D' | grep -q 'NOTE  $last.withdrawn-$cut'"
}
lose_tail plain
# As a semi-sync replica binlogd skips the check before the dump (SHOW BINARY LOGS could wait
# on a rotation that waits for binlogd's ACK); it runs once the primary refuses the position.
lose_tail semi-sync --upstream.semi_sync=on
tl_done
