#!/usr/bin/env bash
# Issue #4 acceptance 1: MariaDB replicas in GTID mode (MASTER_USE_GTID=slave_pos) behind
# binlogd: from an empty state, from a mid-stream GTID (mid-file), and after their own
# restart; CHECKSUM TABLE equal to the primary at the end. Plus the refusals a MariaDB
# primary gives: a GTID that is not in the binlog, a diverged one, a malformed state.
source "$(dirname "$0")/harness.sh"
tl_init gtid

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); D=$(tl_workdir)/b
tl_sql p "CREATE DATABASE w; CREATE TABLE w.k (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
tl_binlogd_start b "$D" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
    --upstream.password=replpass --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$A" \
    --user.repl.password=replpass
tl_wl_small p 300
tl_flush_logs p
tl_wl_small p 300

point() {  # REPLICA PORT
  tl_sql "$1" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$2, MASTER_USER='repl', MASTER_PASSWORD='replpass',
     MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1; START SLAVE"
}

# g1: empty GTID state -> from the beginning of binlogd's history.
tl_mariadb_start g1 --skip-log-bin
point g1 "$A"
# g2: first catches up to a mid-file GTID directly from the primary, then moves to binlogd.
tl_mariadb_start g2 --skip-log-bin
mid=$(tl_sql p "SELECT @@gtid_binlog_pos")
tl_wl_small p 150
tl_sql g2 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass',
   MASTER_USE_GTID=slave_pos; START SLAVE UNTIL master_gtid_pos='$mid'"
tl_assert "g2 stopped at the mid-stream GTID $mid" tl_wait_until 60 bash -c \
  "[ \"\$(mariadb -S $(tl_sock g2) -uroot -N -e 'SELECT @@gtid_slave_pos')\" = '$mid' ]"
tl_wait_until 30 bash -c "[ \"\$(mariadb -S $(tl_sock g2) -uroot -N -e \"SHOW SLAVE STATUS\\G\" | awk '/Slave_SQL_Running:/ {print \$2}')\" = No ]"
tl_sql g2 "STOP SLAVE"
point g2 "$A"

wl=$(tl_wl_mixed p 6)
sleep 2   # let g1 stream for a while before its restart (no condition to poll: any moment will do)
tl_log "restart replica g1 mid-stream"
tl_mariadb_restart g1
tl_sql g1 "START SLAVE" 2>/dev/null || true
tl_wait_pid "$wl"
tl_wl_small p 100
tl_wait_mirror_caught_up p "$D" 120
for r in g1 g2; do
  tl_assert "$r: reached the primary's GTID position $(tl_sql p 'SELECT @@gtid_binlog_pos')" tl_wait_until 120 tl_gtid_at "$r" p
  tl_assert_eq "$r: threads running" "$(tl_slave_field "$r" Slave_IO_Running)$(tl_slave_field "$r" Slave_SQL_Running)" "YesYes"
  tl_assert_eq "$r: Using_Gtid" "$(tl_slave_field "$r" Using_Gtid)" "Slave_Pos"
  tl_assert "$r: CHECKSUM TABLE equal to the primary on every table" tl_same_tables "$r" p
done
tl_assert "binlogd logged the GTID dumps" tl_log_has b "GTID 0-"
tl_assert "binlogd answers @@gtid_binlog_pos like the primary" \
  [ "$(mariadb -h127.0.0.1 -P"$A" -urepl -preplpass -N -e 'SELECT @@gtid_binlog_pos')" = "$(tl_sql p 'SELECT @@gtid_binlog_pos')" ]

# Refusals, as a MariaDB primary words them (the replica's IO thread stops with 1236).
psid=$(tl_sql p "SELECT @@server_id")
last=$(tl_sql p "SELECT @@gtid_binlog_pos"); seq=${last##*-}
io_error() {  # REPLICA STATE -> waits for Last_IO_Errno 1236 and prints Last_IO_Error
  tl_sql "$1" "STOP SLAVE; SET GLOBAL gtid_slave_pos='$2'"
  point "$1" "$A"
  tl_wait_until 30 bash -c "[ \"\$(mariadb -S $(tl_sock "$1") -uroot -e 'SHOW SLAVE STATUS\\G' | awk '/Last_IO_Errno:/ {print \$2}')\" = 1236 ]"
  tl_slave_field "$1" Last_IO_Error
}
tl_mariadb_start x --skip-log-bin
e=$(io_error x "0-$psid-$((seq + 1000))")
tl_assert "future GTID -> 1236 not in the master's binlog ($e)" grep -q "which is not in the master's binlog'" <<<"$e"
e=$(io_error x "0-4242-$((seq - 1))")
tl_assert "GTID of an unknown server below the binlog's -> 1236 diverged ($e)" grep -q "slave has diverged" <<<"$e"
tl_sql x "STOP SLAVE; SET GLOBAL gtid_slave_pos=''"
# Malformed / duplicate-domain states straight on the wire: 1941 / 1943, as mariadbd.
out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "" -o 4 -F 1 -s 901 -G "0-1-x" -q 2>&1)
tl_assert "malformed @slave_connect_state -> 1941 ($out)" grep -q "1941" <<<"$out"
out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "" -o 4 -F 1 -s 902 -G "0-1-5,0-2-6" -q 2>&1)
tl_assert "duplicate domain -> 1943 ($out)" grep -q "1943" <<<"$out"
# A GTID dump from the current end, non-blocking: the fake GTID_LIST and EOF, nothing else.
out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "" -o 4 -F 1 -s 903 -G "$last" 2>&1)
tl_assert "a caught-up GTID dump ends at EOF after one fake GTID_LIST ($out)" grep -q "end=eof errno=0.*fake_gtid_lists=1" <<<"$out"
tl_assert "binlogd keeps serving after the refusals" tl_wait_until 5 tl_port_open "$A"
tl_done
