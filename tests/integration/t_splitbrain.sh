#!/usr/bin/env bash
# Issue #12, the split-brain watch: binlogd polls the failover candidates and the primaries it
# followed before, and raises an alarm when one of them takes writes beside its upstream.
#  - A primary; B (candidate, log_slave_updates) and C (candidate, stopped: merely behind)
#    replicate from A; U is a candidate nobody listens on (unreachable);
#  - binlogd follows A with upstream.candidates=B,C,U and fails over to B when A stops;
#  - A comes back writable: behind, no alarm; a write on A: the alarm within 10 s (an ERROR
#    line naming A and its GTID, SHOW BINLOG WATCH says split-brain), logged once;
#  - RESET MASTER on A clears it (a WARN line); the history survives a restart of binlogd.
source "$(dirname "$0")/harness.sh"
tl_init splitbrain

for n in a b c; do tl_mariadb_start $n --log-slave-updates=ON --gtid-strict-mode=ON; done
A=$(tl_port a); B=$(tl_port b); C=$(tl_port c); U=$(tl_free_port)
for n in b c; do
  tl_sql $n "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
    MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
done
asid=$(tl_sql a "SELECT @@server_id"); bsid=$(tl_sql b "SELECT @@server_id")
L=$(tl_free_port); DB=$(tl_workdir)/bl
ARGS=(--upstream.host=127.0.0.1 --upstream.port="$A" --upstream.user=repl --upstream.password=replpass
      --upstream.use_gtid=on --upstream.retry_min_ms=100 --upstream.retry_max_ms=500 --upstream.connect_timeout=2
      --upstream.candidates="127.0.0.1:$B,127.0.0.1:$C,127.0.0.1:$U" --upstream.failover_after=2
      --watch.interval_ms=500 --binlogd.listen=127.0.0.1:"$L"
      --user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin --user.mon.role=monitor)
tl_sql a "CREATE DATABASE w; CREATE TABLE w.k (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
tl_binlogd_start bl "$DB" "${ARGS[@]}"

bq() { mariadb -h127.0.0.1 -P"$L" -uops -popspass -N -B -e "$1"; }
# watch_col SERVER COLUMN: a column of SHOW BINLOG WATCH's row for SERVER (host:port)
watch_col() {
  mariadb -h127.0.0.1 -P"$L" -umon -B -e "SHOW BINLOG WATCH" 2>/dev/null |
    awk -F'\t' -v s="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } $1 == s { print $k; exit }'
}
verdict_is() { [ "$(watch_col "127.0.0.1:$1" Verdict)" = "$2" ]; }
verdict_in() { local v; v=$(watch_col "127.0.0.1:$1" Verdict); shift; for w in "$@"; do [ "$v" = "$w" ] && return 0; done; return 1; }
slave_pos_is() { [ "$(tl_sql "$1" 'SELECT @@gtid_slave_pos')" = "$2" ]; }
alarms() { sed -n '/^==== start/h; /^==== start/!H; ${x;p}' "$(tl_workdir)/bl.log" | grep -c "SPLIT-BRAIN: 127.0.0.1:$1" ; }

tl_wl_small a 100
final=$(tl_sql a "SELECT @@gtid_binlog_pos")
tl_assert "B and C caught up with A" tl_wait_until 60 bash -c "[ \"\$(mariadb -S $(tl_sock b) -uroot -N -e 'SELECT @@gtid_slave_pos')\" = '$final' ] && [ \"\$(mariadb -S $(tl_sock c) -uroot -N -e 'SELECT @@gtid_slave_pos')\" = '$final' ]"
tl_wait_mirror_caught_up a "$DB" 60
tl_assert "watch: A is the upstream row" tl_wait_until 10 verdict_is "$A" upstream
tl_assert "watch: B (a caught-up replica) is ok" tl_wait_until 10 verdict_is "$B" ok
tl_assert "watch: C is ok" tl_wait_until 10 verdict_is "$C" ok
tl_assert "watch: U (nobody listens) is unreachable" tl_wait_until 10 verdict_is "$U" unreachable
tl_assert_eq "watch: U's Reachable column" "$(watch_col "127.0.0.1:$U" Reachable)" "No"
tl_assert_eq "watch: B's Gtid_state is its @@gtid_binlog_pos" "$(watch_col "127.0.0.1:$B" Gtid_state)" "$final"
tl_assert_eq "watch: B's Server_id" "$(watch_col "127.0.0.1:$B" Server_id)" "$bsid"
# C stops replicating: it falls behind, which is no alarm.
tl_sql c "STOP SLAVE"
tl_wl_small a 20
tl_wait_mirror_caught_up a "$DB" 60
tl_assert "watch: C (stopped replica) is behind" tl_wait_until 10 verdict_is "$C" behind
tl_assert "watch: B replicating A is ok or a little ahead (lag)" tl_wait_until 10 verdict_in "$B" ok ahead

tl_log "fail over: stop A, promote B"
final=$(tl_sql a "SELECT @@gtid_binlog_pos")
tl_assert "B has everything of A" tl_wait_until 60 slave_pos_is b "$final"
tl_mariadb_stop a
tl_sql b "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0; FLUSH BINARY LOGS"
tl_assert "binlogd fails over to B" tl_wait_until 60 tl_log_has bl "continued on 127.0.0.1:$B"
tl_sql b "INSERT INTO w.k VALUES (1000001, 'on B after failover')"
b_gtid_is() { [ "$(mariadb -h127.0.0.1 -P"$L" -uops -popspass -e 'SHOW SLAVE STATUS\G' | awk '$1 == "Gtid_IO_Pos:" {print $2}')" = "$1" ]; }
bstate=$(tl_sql b "SELECT @@gtid_binlog_pos")
tl_assert "binlogd has B's first transaction ($bstate)" tl_wait_until 30 b_gtid_is "$bstate"
tl_assert "history: A is recorded in the data directory" grep -q "^127.0.0.1	$A	$asid	" "$DB/.binlogd-upstream-history"
tl_assert "watch: B is now the upstream row" tl_wait_until 10 verdict_is "$B" upstream
tl_assert "watch: A (previous primary, down) is unreachable" tl_wait_until 10 verdict_is "$A" unreachable
tl_assert "watch: C still behind" verdict_is "$C" behind

tl_log "A comes back, writable"
_tl_mariadb_launch a
tl_assert "watch: A back, not written to: behind" tl_wait_until 10 verdict_is "$A" behind
tl_assert_eq "no alarm while A is only behind" "$(alarms "$A")" "0"
t0=$(date +%s%N)
tl_sql a "INSERT INTO w.k VALUES (2000001, 'split brain: written on the old primary')"
agtid=$(tl_sql a "SELECT @@gtid_binlog_pos")
tl_assert "the alarm: an ERROR line naming A and its GTID $agtid within 10 s" \
  tl_wait_until 10 tl_log_has bl "ERROR.*SPLIT-BRAIN: 127.0.0.1:$A has transactions .*$agtid"
t1=$(date +%s%N)
tl_log "alarm latency: $(( (t1 - t0) / 1000000 )) ms (watch.interval_ms=500)"
tl_log "binlogd says: $(grep -m1 'SPLIT-BRAIN' "$(tl_workdir)/bl.log" | cut -c1-400)"
tl_assert "watch: SHOW BINLOG WATCH says split-brain for A" tl_wait_until 5 verdict_is "$A" split-brain
tl_assert "watch: the Reason names A's GTID" bash -c "mariadb -h127.0.0.1 -P$L -umon -N -B -e 'SHOW BINLOG WATCH' | grep -q '$agtid'"
tl_assert "watch: C (merely behind) is no alarm" verdict_is "$C" behind
tl_assert "watch: U still unreachable" verdict_is "$U" unreachable
# More writes on A by the same server: the same finding, not logged again.
tl_sql a "INSERT INTO w.k VALUES (2000002, 'more'); INSERT INTO w.k VALUES (2000003, 'more')"
agtid=$(tl_sql a "SELECT @@gtid_binlog_pos")
state_is() { [ "$(watch_col "127.0.0.1:$A" Gtid_state)" = "$1" ]; }
tl_assert "watch: A's newest GTID seen ($agtid)" tl_wait_until 10 state_is "$agtid"
# The round that saw the newer GTID judged A split-brain again after the first alarm: a line
# per poll would show here.
tl_assert_eq "the alarm is logged once per finding, not per poll" "$(alarms "$A")" "1"
b_port() { mariadb -h127.0.0.1 -P"$L" -uops -popspass -e 'SHOW SLAVE STATUS\G' | awk '$1 == "Master_Port:" {print $2}'; }
tl_assert_eq "binlogd stays on B (nothing of A's spliced)" "$(b_port)" "$B"

tl_log "A is rebuilt (RESET MASTER): the alarm clears"
tl_sql a "RESET MASTER"
tl_assert "a WARN line says the split-brain cleared" tl_wait_until 10 tl_log_has bl "WARN.*split-brain cleared: 127.0.0.1:$A"
tl_assert "watch: A is behind again" verdict_is "$A" behind

tl_log "restart binlogd: the previous upstreams are remembered"
CONF=$(tl_workdir)/bl.conf
printf '[watch]\nenabled = auto\n' > "$CONF"
tl_assert "binlogd stops cleanly" tl_binlogd_stop bl
tl_binlogd_start bl "$DB" --config "$CONF" "${ARGS[@]}" --upstream.candidates=
tl_assert "watch (auto, no candidates): A is watched from the stored history" tl_wait_until 15 verdict_is "$A" behind
tl_assert "watch: B (the stored upstream) is the upstream row" tl_wait_until 10 verdict_is "$B" upstream
tl_assert_eq "watch: candidates no longer configured: C is not watched" "$(watch_col "127.0.0.1:$C" Verdict)" ""
printf '[watch]\nenabled = off\n' > "$CONF"
kill -HUP "$(tl_binlogd_pid bl)"
tl_assert "watch.enabled = off by reload (SIGHUP): SHOW BINLOG WATCH has no rows" tl_wait_until 10 bash -c "[ \$(mariadb -h127.0.0.1 -P$L -umon -N -B -e 'SHOW BINLOG WATCH' | wc -l) = 0 ]"
tl_done
