#!/usr/bin/env bash
# Issue #15 acceptance 2: a silent upstream link heals within upstream.net_timeout + 5 s.
#  - primary P (net_write_timeout left at its 60 s default) -> holeproxy.py -> binlogd B
#    (upstream.net_timeout=3) -> MariaDB replica R (file/pos);
#  - a write load of 1 MiB transactions; then every connection through the proxy goes silent
#    (no FIN, no RST, nothing read: P's dump thread blocks in a socket write) while new
#    connections pass: the path is back at once, only the old flow is lost;
#  - B notices after net_timeout, reconnects, ends its previous dump on P (KILL CONNECTION,
#    see server/upstream/ingest_zombie.c: P's same-server_id rule would wait for
#    net_write_timeout), and R is caught up with P within net_timeout + 5 s;
#  - then 200 dump readers connect, read 300 events each and disconnect: B's RSS is back
#    within 2x of before them (server/replicas/memtrim.c).
#  - then the flows go silent again and B is killed (kill -9) before it notices: the
#    restarted B knows its old dump only from the data directory (.binlogd-upstream-dump,
#    server/upstream/zombie_state.h), ends it all the same, and R is caught up within
#    net_timeout + 5 s of the restart (FORGET=1 removes the file first: about a minute).
#  - R ends with P's checksums, B's files are cmp-identical to P's, binlogd verify passes.
# COMPARE=1 also puts a stock MariaDB replica S behind the same proxy and prints how long it
# takes (about a minute: it waits for P's net_write_timeout); not part of `make test`.
source "$(dirname "$0")/harness.sh"
tl_init silent_link

NET_TIMEOUT=3
tl_mariadb_start p
P=$(tl_port p)
tl_assert_eq "P keeps net_write_timeout at its default" "$(tl_sql p 'SELECT @@net_write_timeout')" 60
python3 "$TL_REPO/tests/integration/holeproxy.py" 0 "$P" "$(tl_workdir)/proxy.port" > "$(tl_workdir)/proxy.log" 2>&1 &
PROXY=$!
tl_track_pid "$PROXY"
tl_wait_until 10 test -s "$(tl_workdir)/proxy.port" || { tl_log "proxy did not start"; exit 2; }
X=$(cat "$(tl_workdir)/proxy.port")

tl_sql p "CREATE DATABASE w; CREATE TABLE w.big (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1100)) ENGINE=InnoDB"
A=$(tl_free_port)
D=$(tl_workdir)/b
BARGS=(--upstream.host=127.0.0.1 --upstream.port="$X" --upstream.user=repl
    --upstream.password=replpass --upstream.net_timeout=$NET_TIMEOUT --upstream.connect_timeout=2
    --upstream.retry_min_ms=200 --upstream.retry_max_ms=1000 --binlogd.listen=127.0.0.1:"$A"
    --user.repl.password=replpass --binlogd.memory_trim_after=2)
tl_binlogd_start b "$D" "${BARGS[@]}"
tl_assert "B streams through the proxy" tl_wait_until 20 tl_log_has b "dumping from"
first=$(tl_binlogs p | head -1)
tl_mariadb_start r --skip-log-bin
tl_sql r "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1; START SLAVE"
if [ "${COMPARE:-0}" = 1 ]; then
  tl_mariadb_start s --skip-log-bin
  tl_sql s "SET GLOBAL slave_net_timeout=$NET_TIMEOUT;
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$X, MASTER_USER='repl', MASTER_PASSWORD='replpass',
    MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1,
    MASTER_HEARTBEAT_PERIOD=1.5; START SLAVE"
fi

# Load: 1 MiB transactions, one after the other, until the stop file appears.
STOP=$(tl_workdir)/stop-load
start_load() {
  rm -f "$STOP"
  (
    while [ ! -e "$STOP" ]; do
      mariadb -S "$(tl_sock p)" -uroot w -e "INSERT INTO w.big (v) SELECT REPEAT(MD5(seq), 32) FROM seq_1_to_1000"
    done
  ) > /dev/null 2>&1 &
  LOAD=$!
  tl_track_pid "$LOAD"
}
start_load
tl_assert "B mirrors the load" tl_wait_until 30 tl_dir_grew "$D" 20000000

dumps() { tl_sql p "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump' ORDER BY ID" | tr '\n' ' '; }
old=$(dumps)
tl_log "dump threads on P before the link goes silent: $old"
kill -USR1 "$PROXY"
t0=$(date +%s%N)
tl_assert "the proxy silenced the flows" tl_wait_until 5 grep -q "silenced [1-9]" "$(tl_workdir)/proxy.log"
# The primary keeps writing into the silent flow until the socket buffers are full.
# B reconnects after net_timeout: look before that.
blocked() {
  local id st
  for id in $old; do
    st=$(tl_sql p "SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = $id")
    echo "$id: $st" >> "$(tl_workdir)/dump-states"
    [ "$st" = "Writing to net" ] || return 1
  done
}
tl_assert "P's dump thread blocks in a socket write (buffers full)" tl_wait_until $((NET_TIMEOUT - 1)) blocked
tl_log "states seen: $(sort "$(tl_workdir)/dump-states" | uniq -c | tr '\n' ';')"
touch "$STOP"
tl_wait_pid "$LOAD" 30
read -r pf pp < <(tl_master_status p)
tl_log "load stopped at $pf:$pp after $(( ($(date +%s%N) - t0) / 1000000 )) ms"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
tl_assert "B catches up with P" tl_wait_until 60 _tl_caught_up p "$D"
tb=$(ms_since "$t0")
tl_assert "R catches up with P through B" tl_wait_until 60 tl_replica_at r "$pf $pp"
tr=$(ms_since "$t0")
tl_log "silent-link figures: B caught up ${tb} ms, R ${tr} ms after the flows went silent (path back at once; net_timeout ${NET_TIMEOUT} s)"
tl_assert "R caught up within net_timeout + 5 s (${tr} ms)" test "$tr" -le $(( (NET_TIMEOUT + 5) * 1000 ))
tl_assert "B ended its previous dump on P" tl_log_has b "ended binlogd's previous dump"
tl_assert "the old dump thread is gone from P" bash -c "! grep -qw '$(echo "$old" | awk '{print $1}')' <<< '$(dumps)'"
if [ "${COMPARE:-0}" = 1 ]; then
  tl_assert "stock replica S catches up (waits for net_write_timeout)" tl_wait_until 120 tl_replica_at s "$pf $pp"
  tl_log "silent-link figures: stock replica S caught up $(ms_since "$t0") ms after the flows went silent"
fi

# Memory comes back (server/replicas/memtrim.c): 200 readers (one tests/bench/fanout
# process) open dumps at once, read 300 events each and disconnect.
bpid=$(tl_binlogd_pid b)
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$bpid/status"; }
rss_within() { [ "$(rss)" -le "$1" ]; }
rss0=$(rss)
fan=$("$TL_REPO/bin/fanout" -n 200 -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4 -x "$bpid" -b 4096 -E 300 -T 60)
tl_log "fanout: $fan"
peak=$(sed -n 's/.*srv_rss_peak_kib=\([0-9]*\).*/\1/p' <<< "$fan")
tl_assert "the readers' buffers raised RSS above 2x (peak ${peak} KiB, before ${rss0} KiB)" test "${peak:-0}" -gt $((2 * rss0))
t1=$(date +%s%N)
tl_assert "RSS back within 2x of before the readers" tl_wait_until 15 rss_within $((2 * rss0))
tl_log "memory figures: RSS before $rss0 KiB, peak $peak KiB, after $(rss) KiB ($(ms_since "$t1") ms after the readers ended)"
tl_assert "binlogd trimmed" tl_log_has b "returned .* KiB of freed memory"

# binlogd itself restarts while its old dump hangs on P (kill -9 here; a crash, an upgrade):
# the new process knows that connection only from .binlogd-upstream-dump
# (server/upstream/zombie_state.h) and must end it all the same, or its dump waits for P's
# net_write_timeout. FORGET=1 removes the file before the restart, to measure that minute
# (not part of `make test`).
start_load
sz=$(du -sb "$D" | cut -f1)
tl_assert "B mirrors the load again" tl_wait_until 30 tl_dir_grew "$D" $((sz + 5000000))
zid=$(sed -n 's/^connection_id //p' "$D/.binlogd-upstream-dump")
tl_assert "B's state file names its current dump on P (connection ${zid:-none})" \
  bash -c "[ -n '$zid' ] && grep -qw '$zid' <<< '$(dumps)'"
b_status() {
  mariadb -h127.0.0.1 -P"$A" -urepl -preplpass -N -B -e "SHOW MASTER STATUS" 2>/dev/null | awk '{print $1, $2}'
}
r_has_all_of_b() {   # R's IO thread holds every byte B committed: R is between transactions
  [ "$(tl_slave_field r Master_Log_File) $(tl_slave_field r Read_Master_Log_Pos)" = "$(b_status)" ]
}
sessions=$(grep -c "dumping from" "$(tl_workdir)/b.log")
kill -USR1 "$PROXY"
t0=$(date +%s%N)
silenced_twice() { [ "$(grep -c 'silenced [1-9]' "$(tl_workdir)/proxy.log")" -ge 2 ]; }
tl_assert "the proxy silenced the flows again" tl_wait_until 5 silenced_twice
# Kill B before it notices the silence itself (net_timeout), once R has all it committed (a
# file/position replica cut inside a transaction by its master's death stops, t_crash.sh).
tl_assert "R received everything B committed" tl_wait_until $((NET_TIMEOUT - 1)) r_has_all_of_b
tl_binlogd_kill b
tl_assert_eq "B had not reconnected before the kill" "$(grep -c "dumping from" "$(tl_workdir)/b.log")" "$sessions"
zstate() { tl_sql p "SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = $zid"; }
zblocked() { [ "$(zstate)" = "Writing to net" ]; }
tl_assert "P's old dump thread blocks in a socket write" tl_wait_until 15 zblocked
touch "$STOP"
tl_wait_pid "$LOAD" 30
read -r pf pp < <(tl_master_status p)
[ "${FORGET:-0}" = 1 ] && rm -f "$D/.binlogd-upstream-dump"
tl_log "restart: P's old dump $zid is '$(zstate)' $(ms_since "$t0") ms after the silence; P at $pf:$pp"
t1=$(date +%s%N)
tl_binlogd_start b "$D" "${BARGS[@]}"
tl_assert "restarted B catches up with P" tl_wait_until 90 _tl_caught_up p "$D"
tb=$(ms_since "$t1")
tl_assert "R catches up with P through the restarted B" tl_wait_until 90 tl_replica_at r "$pf $pp"
tr=$(ms_since "$t1")
tl_log "restart figures: B caught up ${tb} ms, R ${tr} ms after B was started again (the flows went silent $(ms_since "$t0") ms ago; FORGET=${FORGET:-0})"
if [ "${FORGET:-0}" != 1 ]; then
  tl_assert "R caught up within net_timeout + 5 s of the restart (${tr} ms)" test "$tr" -le $(( (NET_TIMEOUT + 5) * 1000 ))
  tl_assert "the restarted B ended its previous run's dump on P" \
    tl_log_has b "ended binlogd's previous dump, connection $zid (remembered from binlogd's previous run)"
  tl_assert "the old dump thread is gone from P" bash -c "! grep -qw '$zid' <<< '$(dumps)'"
fi

tl_assert_eq "R: CHECKSUM TABLE w.big equals P's" "$(tl_sql r 'CHECKSUM TABLE w.big')" "$(tl_sql p 'CHECKSUM TABLE w.big')"
tl_assert "B's files identical to P's" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "binlogd verify passes" "$BINLOGD_BIN" verify "$D"
tl_assert "clean stop" tl_binlogd_stop b
tl_done
