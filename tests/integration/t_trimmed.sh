#!/usr/bin/env bash
# Issue #5 (F4): the primary crashes and loses the tail of its binlog that binlogd already holds
# (sync_binlog=0 and a power loss: simulated by cutting the primary's last file back to an
# earlier event boundary while it is down). After the restart binlogd must detect it, write
# nothing, and say precisely what happened (log and SHOW SLAVE STATUS); a primary that only
# restarted (nothing lost) is followed as before.
source "$(dirname "$0")/harness.sh"
tl_init trimmed

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); D=$(tl_workdir)/b
START=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
       --upstream.retry_min_ms=100 --upstream.retry_max_ms=400 --upstream.use_gtid=on
       --binlogd.listen=127.0.0.1:"$A" --user.ops.password=opspass --user.ops.role=admin)
tl_sql p "CREATE DATABASE w"
tl_wl_small p 200
tl_binlogd_start b "$D" "${START[@]}"
tl_wait_mirror_caught_up p "$D" 60

# 1. A clean primary restart: nothing lost, binlogd follows (the check passes).
tl_mariadb_restart p
tl_wl_small p 50
tl_assert "after a clean primary restart binlogd keeps mirroring" tl_wait_mirror_caught_up p "$D" 60
tl_assert "the mirror is identical" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"

# 2. The primary loses its tail.
tl_wl_small p 100
tl_wait_mirror_caught_up p "$D" 60
tl_assert "binlogd stops cleanly" tl_binlogd_stop b
last=$(tl_binlogs p | tail -1)
tl_mariadb_kill p
cut=$(mariadb-binlog "$(tl_binlog_dir p)/$last" 2>/dev/null | awk '/^# at / {print $3}' | tail -60 | head -1)
held=$(stat -c %s "$D/$last")
tl_log "cut the primary's $last from $(stat -c %s "$(tl_binlog_dir p)/$last") to $cut bytes (binlogd holds $held)"
truncate -s "$cut" "$(tl_binlog_dir p)/$last"
_tl_mariadb_launch p
snap() { (cd "$D" && md5sum p-bin.[0-9]* p-bin.index); }
before=$(snap)
tl_binlogd_start b "$D" "${START[@]}"
tl_assert "binlogd detects the lost tail" tl_wait_until 30 tl_log_has b "lost the tail of its binlog"
tl_assert "... naming the file and both sizes" tl_log_has b "its $last is $cut bytes but binlogd holds $held"
err() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -e "SHOW SLAVE STATUS\G" | grep -q "Last_IO_Error: refusing to resume"; }
tl_assert "SHOW SLAVE STATUS shows the refusal" tl_wait_until 10 err
tl_wl_small p 20   # the primary goes on with its new history
sleep 1            # give a wrong binlogd the chance to write (nothing to poll for: it must not)
tl_assert_eq "binlogd wrote nothing from the primary's new history" "$(snap)" "$before"
tl_assert "binlogd keeps its copy intact" "$BINLOGD_BIN" verify "$D"
# As a semi-sync replica binlogd skips the check before the dump (SHOW BINARY LOGS could wait
# on a rotation that waits for binlogd's ACK); it runs once the primary refuses the position.
tl_assert "binlogd stops" tl_binlogd_stop b
tl_binlogd_start b "$D" "${START[@]}" --upstream.semi_sync=on
tl_assert "semi-sync: the primary's refusal is explained the same way" tl_wait_until 30 tl_log_has b "lost the tail of its binlog"
tl_assert_eq "semi-sync: still nothing written" "$(snap)" "$before"
tl_done
