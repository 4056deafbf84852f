#!/usr/bin/env bash
# Failover back and forth: primaries X and Y, each the other's replica while it is not the
# primary (log_slave_updates, GTID strict). binlogd B has upstream.host = X and
# upstream.candidates = Y only: the configured upstream is its last failover candidate
# (conf: config_failover_list), so after X -> Y it comes back to X when Y dies and X is
# promoted again. Each round: commits with rotations on the primary; the other catches up;
# the primary is killed (-9) or stopped; the other is promoted the documented way (STOP
# SLAVE, RESET SLAVE ALL, read_only off, FLUSH BINARY LOGS); the old one returns as its
# replica. Replicas D1 (file/pos) and D2 (GTID) behind B never get a CHANGE MASTER: D2 has
# each new primary's first row within failover_after + 5 s, and both end with the last
# primary's tables; no replica thread ever stops; B's data directory verifies.
source "$(dirname "$0")/harness.sh"
tl_init pingpong

ROUNDS=4
tl_mariadb_start x --gtid-strict-mode=ON --log-slave-updates=ON
tl_mariadb_start y --gtid-strict-mode=ON --log-slave-updates=ON
X=$(tl_port x); Y=$(tl_port y)
tl_sql y "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$X, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
tl_sql x "CREATE DATABASE w; CREATE TABLE w.s (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB"
B=$(tl_free_port); W=$(tl_workdir)
tl_binlogd_start b "$W/b" --upstream.host=127.0.0.1 --upstream.port="$X" --upstream.user=repl --upstream.password=replpass \
  --upstream.retry_min_ms=100 --upstream.retry_max_ms=500 --upstream.connect_timeout=2 \
  --upstream.candidates="127.0.0.1:$Y" --upstream.failover_after=1 --binlogd.listen=127.0.0.1:"$B" \
  --user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin
tl_wait_until 30 tl_port_open "$B"
tl_assert "B's failover list ends with its configured upstream" tl_wait_until 10 tl_log_has b "candidates 127.0.0.1:$Y,127.0.0.1:$X"
first=$(tl_binlogs x | head -1)
tl_mariadb_start d1 --skip-log-bin
tl_mariadb_start d2 --skip-log-bin
tl_sql d1 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$B, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1; START SLAVE"
tl_sql d2 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$B, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1; START SLAVE"

stops=$W/stops
threads_ok() {   # a stopped replica thread is noted (and restarted, so that the rest still runs)
  local r st
  for r in d1 d2; do
    st=$(tl_slave_field $r Slave_IO_Running)$(tl_slave_field $r Slave_SQL_Running)
    case "$st" in YesYes|ConnectingYes|PreparingYes) ;; *)
      echo "$r $st: $(tl_slave_field $r Last_IO_Error) $(tl_slave_field $r Last_SQL_Error)" >> "$stops"
      tl_sql $r "START SLAVE" ;; esac
  done
}
gtid_of() { tl_sql "$1" "SELECT @@gtid_binlog_pos"; }
slave_at() { [ "$(tl_sql "$1" 'SELECT @@gtid_slave_pos')" = "$2" ]; }
cur=x; oth=y
for round in $(seq $ROUNDS); do
  for k in 1 2; do tl_wl_small $cur 40; tl_flush_logs $cur; threads_ok; done
  tl_assert "round $round: $oth caught up with $cur" tl_wait_until 60 slave_at $oth "$(gtid_of $cur)"
  if [ $((round % 2)) = 1 ]; then how=killed; tl_mariadb_kill $cur; else how=stopped; tl_mariadb_stop $cur; fi
  tl_sql $oth "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0; FLUSH BINARY LOGS"
  t0=$(date +%s%N)
  tl_sql $oth "INSERT INTO w.s (v) VALUES ('round $round: first row on $oth')"
  tl_assert "round $round: $cur $how, $oth promoted: D2 has its first row within 6 s" tl_wait_until 6 slave_at d2 "$(gtid_of $oth)"
  tl_log "round $round: $cur $how -> $oth: D2 had the first row after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  threads_ok
  _tl_mariadb_launch $cur   # back as the new primary's replica
  tl_sql $cur "SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos; CHANGE MASTER TO MASTER_HOST='127.0.0.1',
    MASTER_PORT=$(tl_port $oth), MASTER_USER='repl', MASTER_PASSWORD='replpass', MASTER_USE_GTID=slave_pos,
    MASTER_CONNECT_RETRY=1; START SLAVE"
  t=$cur; cur=$oth; oth=$t
done
tl_assert_eq "B continued on the new primary in every round" "$(grep -c 'continued on' "$W/b.log")" "$ROUNDS"
tl_assert "... back on its configured upstream X too" tl_log_has b "switching to candidate 127.0.0.1:$X"
tl_wl_small $cur 20
tl_assert "D2 at the last primary's state" tl_wait_until 60 slave_at d2 "$(gtid_of $cur)"
b_end() { mariadb -h127.0.0.1 -P"$B" -uops -popspass -N -B -e 'SHOW MASTER STATUS' | awk '{print $1, $2}'; }
d1_at_end() { tl_replica_at d1 "$(b_end)"; }
tl_assert "D1 (file/pos) at binlogd's end" tl_wait_until 60 d1_at_end
threads_ok
tl_assert "D1 has the last primary's tables" tl_same_tables d1 $cur
tl_assert "D2 has the last primary's tables" tl_same_tables d2 $cur
[ -s "$stops" ] && cat "$stops"
tl_assert "no replica thread stopped" test ! -s "$stops"
tl_assert "B's data directory verifies" "$BINLOGD_BIN" verify "$W/b"
tl_done
