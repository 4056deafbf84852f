#!/usr/bin/env bash
# Issue #3 acceptance 1-5: binlogd serves real clients as a primary would.
#  1. a real MariaDB replica (file/pos from the first file) through binlogd during writes:
#     CHECKSUM TABLE equal to the primary's;
#  2. mariadb-binlog --raw from binlogd == from the primary; --stop-never keeps tailing;
#  3. chain primary -> binlogd A -> binlogd B -> replica: identical files at A and B;
#  4. binlogd restarted under the replica: it reconnects by itself and ends consistent;
#  5. hostile dump requests -> ERR 1236, no crash; wrong password -> 1045.
source "$(dirname "$0")/harness.sh"
tl_init serve

tl_mariadb_start p
P=$(tl_port p)
A=$(tl_free_port); B=$(tl_free_port)
DA=$(tl_workdir)/a; DB=$(tl_workdir)/b
USERS=(--user.repl.password=replpass --user.repl.role=replica
       --user.ops.password='*14E65567ABDB5135D0CFD9A70B3032C179A49EE7' --user.ops.role=admin)
tl_sql p "CREATE DATABASE w; CREATE TABLE w.k (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
tl_binlogd_start a "$DA" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
    --upstream.password=replpass --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$A" "${USERS[@]}"
tl_binlogd_start b "$DB" --upstream.host=127.0.0.1 --upstream.port="$A" --upstream.user=repl \
    --upstream.password=replpass --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$B" "${USERS[@]}"
first=$(tl_binlogs p | head -1)

# Replicas: r1 behind A, r2 behind B (the chain).
tl_mariadb_start r1 --skip-log-bin
tl_mariadb_start r2 --skip-log-bin
tl_mariadb_start r3 --skip-log-bin --rpl-semi-sync-slave-enabled=ON
for r in r1:$A r2:$B r3:$A; do
  tl_sql "${r%%:*}" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${r##*:}, MASTER_USER='repl',
     MASTER_PASSWORD='replpass', MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no,
     MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1; START SLAVE"
done

wl=$(tl_wl_mixed p 8)
tl_wl_blob p 20   # one row event > 16 MiB: split into several packets on the way out
tl_wait_until 30 tl_log_has a "binlog dump for server_id"
tl_log "restart binlogd A under its replica and tailer"
tl_assert "A stops cleanly" tl_binlogd_stop a
tl_binlogd_start a "$DA" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
    --upstream.password=replpass --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$A" "${USERS[@]}"
tl_wait_until 30 tl_port_open "$A"
# mariadb-binlog --stop-never tails binlogd A while the primary keeps writing.
tail_dir=$(tl_workdir)/tail; mkdir -p "$tail_dir"
(cd "$tail_dir" && exec mariadb-binlog --read-from-remote-server --raw --stop-never -h127.0.0.1 -P"$A" \
   -urepl -preplpass "$first") &
tailer=$!
tl_track_pid "$tailer"
tl_wait_pid "$wl"
tl_wl_small p 200
tl_wait_mirror_caught_up p "$DA" 120
tl_wait_mirror_caught_up p "$DB" 120
tl_assert "tier A identical to the primary" tl_cmp_binlogs "$(tl_binlog_dir p)" "$DA"
tl_assert "tier B identical to the primary" tl_cmp_binlogs "$(tl_binlog_dir p)" "$DB"

replicas_consistent() {
  local r t
  for r in r1 r2 r3; do
    at_primary() { tl_replica_at "$1" "$(tl_master_status p)"; }   # re-read: the primary may append a checkpoint
    tl_assert "$r: reached the primary's position $(tl_master_status p)" tl_wait_until 120 at_primary "$r"
    tl_assert_eq "$r: replica threads running" "$(tl_slave_field "$r" Slave_IO_Running)$(tl_slave_field "$r" Slave_SQL_Running)" "YesYes" ||
      tl_log "$r: IO error $(tl_slave_field "$r" Last_IO_Errno): $(tl_slave_field "$r" Last_IO_Error); SQL error $(tl_slave_field "$r" Last_SQL_Errno): $(tl_slave_field "$r" Last_SQL_Error)"
    for t in $(tl_sql p "SELECT CONCAT(table_schema,'.',table_name) FROM information_schema.tables WHERE table_schema='w'"); do
      tl_assert_eq "$r: CHECKSUM TABLE $t" "$(tl_sql "$r" "CHECKSUM TABLE $t")" "$(tl_sql p "CHECKSUM TABLE $t")"
    done
  done
}
replicas_consistent

# Idle link: heartbeats at the replica's period, at a transaction boundary, accepted.
hb0=$(tl_sql r1 "SHOW GLOBAL STATUS LIKE 'Slave_received_heartbeats'" | cut -f2)
tl_assert "r1 receives heartbeats while idle" tl_wait_until 20 tl_status_above r1 Slave_received_heartbeats "$hb0"
tl_assert_eq "r1 still running after heartbeats" "$(tl_slave_field r1 Slave_IO_Running)" "Yes"
tl_assert_eq "r3 (semi-sync replica) running" "$(tl_slave_field r3 Slave_IO_Running)$(tl_slave_field r3 Slave_SQL_Running)" "YesYes"
tl_assert_eq "r3 negotiated semi-sync with binlogd" "$(tl_sql r3 "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_slave_status'" | cut -f2)" "ON"
tl_assert "binlogd logged r3's dump as semi-sync" grep -q "(semi-sync)" "$(tl_workdir)/a.log"

# A second dump with the same server_id ends the older one (ER_SLAVE_SAME_ID).
"$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4 -F 0 -s 777 -e 4052 -q &
older=$!
tl_wait_until 20 tl_log_has a "dump for server_id 777"
tl_assert "newer dump with the same server_id runs" "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4 -F 0 -s 777 -m 3 -q
tl_assert "older dump with that server_id ended with 4052" wait "$older"

# 2. --raw from binlogd vs from the primary, same files.
rp=$(tl_workdir)/rawp; rb=$(tl_workdir)/rawb; mkdir -p "$rp" "$rb"
(cd "$rp" && mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P"$P" -urepl -preplpass --to-last-log "$first")
(cd "$rb" && mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P"$A" -urepl -preplpass --to-last-log "$first")
n=0; same=0
for f in "$rp"/*; do n=$((n + 1)); cmp -s "$f" "$rb/$(basename "$f")" && same=$((same + 1)); done
tl_assert_eq "mariadb-binlog --raw: every file equal from binlogd and from the primary" "$same/$n" "$n/$n"
last=$(tl_binlogs p | tail -1)
tl_assert "--stop-never tailer is still waiting for events at the end" kill -0 "$tailer"
kill -TERM "$tailer"; tl_wait_pid "$tailer" 20   # it flushes its files on exit
tl_assert "--stop-never tailer received the live file" tl_file_prefix_of "$(tl_binlog_dir p)/$last" "$tail_dir/$last"
tl_assert_eq "--stop-never tailer: live file complete" "$(stat -c %s "$tail_dir/$last")" "$(stat -c %s "$(tl_binlog_dir p)/$last")"

# Direct wake-ups (binlogd.direct_wakes, server/replicas/park.h): a commit reaches a caught-up
# dump from the ingest thread before the event loop wakes. Such dumps then go through a
# rotation, commits one at a time and a KILL of every dump on A (r1, r3 and tier B reconnect
# by themselves): the tiers stay identical and the replicas end with the primary's checksums.
bstat() { mariadb -h127.0.0.1 -P"$1" -uops -psecret -N -B -e "SHOW STATUS LIKE '$2'" | cut -f2; }
dwa=$(bstat "$A" Binlogd_direct_wakes); dwb=$(bstat "$B" Binlogd_direct_wakes)
tl_sql p "FLUSH BINARY LOGS"
tl_wl_small p 100
tl_log "direct wake-ups so far: A $(bstat "$A" Binlogd_direct_wakes) (was $dwa), B $(bstat "$B" Binlogd_direct_wakes) (was $dwb)"
tl_assert "A's ingest thread sent commits to caught-up dumps itself" test "$(bstat "$A" Binlogd_direct_wakes)" -gt "$dwa"
tl_assert "so did B's (replica r2 behind the chain)" test "$(bstat "$B" Binlogd_direct_wakes)" -gt "$dwb"
tl_assert "SHOW PROCESSLIST while dumps are parked" bash -c "mariadb -h127.0.0.1 -P$A -uops -psecret -N -e 'SHOW PROCESSLIST' | grep -q 'Binlog Dump'"
for id in $(mariadb -h127.0.0.1 -P"$A" -uops -psecret -N -B -e "SHOW PROCESSLIST" | awk -F'\t' '$5 == "Binlog Dump" {print $1}'); do
  mariadb -h127.0.0.1 -P"$A" -uops -psecret -e "KILL $id" || tl_fail "KILL $id of a dump on A"
done
tl_wl_small p 100
tl_wait_mirror_caught_up p "$DA" 120
tl_wait_mirror_caught_up p "$DB" 120
tl_assert "tier A identical to the primary after the KILLs" tl_cmp_binlogs "$(tl_binlog_dir p)" "$DA"
tl_assert "tier B identical to the primary after the KILLs" tl_cmp_binlogs "$(tl_binlog_dir p)" "$DB"
replicas_consistent

# The same under churn: 8 mariadb-binlog tailers (each its own server_id) while commits come
# one at a time with rotations between; meanwhile tailers are killed and restarted, dumps are
# KILLed (a KILLed tailer exits and is restarted) and SHOW PROCESSLIST runs. Every file any
# tailer holds is a prefix of the primary's; at the end every tailer has the file that was live
# during the churn whole.
NT=8; declare -A TP TD
start_tailer() {
  local i=$1 d; d=$(tl_workdir)/churn$i.$RANDOM; mkdir -p "$d"
  (cd "$d" && exec mariadb-binlog --read-from-remote-server --raw --stop-never --stop-never-slave-server-id=$((2000 + i)) \
     -h127.0.0.1 -P"$A" -urepl -preplpass "$first") 2>/dev/null &
  TP[$i]=$!; TD[$i]=$d; tl_track_pid "${TP[$i]}"
}
for i in $(seq $NT); do start_tailer "$i"; done
churn_stop=$(tl_workdir)/churn.stop
( while [ ! -e "$churn_stop" ]; do tl_wl_small p 60; tl_sql p "FLUSH BINARY LOGS"; done ) &
churn_wl=$!
churn=0
while [ "$churn" -lt 20 ]; do
  for j in $(seq $NT); do kill -0 "${TP[$j]}" 2>/dev/null || start_tailer "$j"; done
  i=$(( RANDOM % NT + 1 )); churn=$((churn + 1))
  case $(( RANDOM % 3 )) in
    0) kill -9 "${TP[$i]}" 2>/dev/null; wait "${TP[$i]}" 2>/dev/null; start_tailer "$i" ;;
    1) id=$(mariadb -h127.0.0.1 -P"$A" -uops -psecret -N -B -e "SHOW PROCESSLIST" | awk -F'\t' '$5 == "Binlog Dump" {print $1}' | shuf -n1)
       [ -n "$id" ] && mariadb -h127.0.0.1 -P"$A" -uops -psecret -e "KILL $id" 2>/dev/null ;;
    2) mariadb -h127.0.0.1 -P"$A" -uops -psecret -N -e "SHOW FULL PROCESSLIST; SHOW SLAVE HOSTS" > /dev/null ;;
  esac
done
touch "$churn_stop"; wait "$churn_wl"
for j in $(seq $NT); do kill -0 "${TP[$j]}" 2>/dev/null || start_tailer "$j"; done
# mariadb-binlog writes a file out whole when the ROTATE ends it: one more rotation closes
# the file that was live during the churn.
last=$(tl_binlogs p | tail -1)
tl_sql p "FLUSH BINARY LOGS"
tl_wl_small p 1
tl_wait_mirror_caught_up p "$DA" 120
# A tailer whose dump the last action KILLed may still have been exiting when the loop above
# looked: one found dead here is started again (it reads from the first file).
tailers_whole() {
  local i
  for i in $(seq $NT); do
    kill -0 "${TP[$i]}" 2>/dev/null || start_tailer "$i"
    cmp -s "$(tl_binlog_dir p)/$last" "${TD[$i]}/$last" || return 1
  done
}
tl_log "churn: $churn actions; direct wake-ups on A: $(bstat "$A" Binlogd_direct_wakes)"
tl_assert "churn: every tailer has the file that was live, equal to the primary's" tl_wait_until 60 tailers_whole
bad=0
for f in "$(tl_workdir)"/churn*/*; do
  [ -f "$f" ] && ! tl_file_prefix_of "$(tl_binlog_dir p)/$(basename "$f")" "$f" && bad=$((bad + 1))
done
tl_assert_eq "churn: no tailer's file differs from the primary's" "$bad" 0
for i in $(seq $NT); do kill "${TP[$i]}" 2>/dev/null; done
replicas_consistent

# A replica that received a ROTATE and reconnects before the file it names exists here: B
# restarted after the ROTATE of a rotation while its upstream is away, and r2 asks for the
# new file at 4. A primary never refuses that (its next file exists before a reader sees the
# ROTATE); a 1236 would stop r2's IO thread for good. It waits with heartbeats naming its own
# coordinates, and takes the file when B's upstream is back.
tl_sql p "FLUSH BINARY LOGS"   # the new file holds no transaction, so r2 can stand at its 4
nf=$(tl_binlogs p | tail -1)
tl_wait_mirror_caught_up p "$DB" 120
r2_at_primary() { tl_replica_at r2 "$(tl_master_status p)"; }
tl_wait_until 60 r2_at_primary
tl_assert "B stops cleanly" tl_binlogd_stop b
rm "$DB/$nf"; sed -i "/$nf\$/d" "$DB/p-bin.index"
tl_binlogd_start b "$DB" --upstream.host=127.0.0.1 --upstream.port="$(tl_free_port)" --upstream.user=repl \
    --upstream.password=replpass --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$B" "${USERS[@]}"
tl_wait_until 30 tl_port_open "$B"
tl_sql r2 "STOP SLAVE; CHANGE MASTER TO MASTER_LOG_FILE='$nf', MASTER_LOG_POS=4, MASTER_HEARTBEAT_PERIOD=1; START SLAVE"
hb0=$(tl_sql r2 "SHOW GLOBAL STATUS LIKE 'Slave_received_heartbeats'" | cut -f2)
tl_assert "r2 asking for the announced $nf gets heartbeats" tl_wait_until 20 tl_status_above r2 Slave_received_heartbeats $((hb0 + 1))
tl_assert_eq "... and its IO thread runs" "$(tl_slave_field r2 Slave_IO_Running) $(tl_slave_field r2 Last_IO_Errno)" "Yes 0"
tl_assert "B logged r2's dump from $nf:4" tl_log_has b "from $nf:4"
tl_binlogd_stop b
tl_binlogd_start b "$DB" --upstream.host=127.0.0.1 --upstream.port="$A" --upstream.user=repl \
    --upstream.password=replpass --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$B" "${USERS[@]}"
tl_wl_small p 20
tl_wait_mirror_caught_up p "$DB" 120
tl_assert "tier B identical to the primary after its upstream came back" tl_cmp_binlogs "$(tl_binlog_dir p)" "$DB"
replicas_consistent

# 5. hostile requests against A.
DC=("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -e 1236)
tl_assert "unknown file -> 1236" "${DC[@]}" -f nosuch.000001 -o 4
tl_assert "../ path -> 1236" "${DC[@]}" -f "../$first" -o 4
tl_assert "absolute path -> 1236" "${DC[@]}" -f /etc/passwd -o 4
tl_assert "4 KiB name -> 1236" "${DC[@]}" -f "$(head -c 4096 /dev/zero | tr '\0' 'a')" -o 4
tl_assert "position 0 -> 1236" "${DC[@]}" -f "$first" -o 0
tl_assert "position 3 -> 1236" "${DC[@]}" -f "$first" -o 3
tl_assert "position mid-event -> 1236" "${DC[@]}" -f "$first" -o 5
tl_assert "position past the end -> 1236" "${DC[@]}" -f "$first" -o 4000000000
tl_assert "wrong password -> 1045" "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p wrong -e 1045
tl_assert "unknown user -> 1045" "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u nobody -p x -e 1045
tl_assert "binlogd A still serves after hostile requests" "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4
tl_assert "no file outside the data dir was opened" tl_not grep -q "passwd" "$(tl_workdir)/a.log"
tl_assert_eq "unknown variable -> 1193" "$(mariadb -h127.0.0.1 -P"$A" -urepl -preplpass -e 'SELECT @@no_such_var' 2>&1 | grep -o 'ERROR 1193')" "ERROR 1193"

# The bootstrap statements of MySQL 5.7/8.0/8.4 and MariaDB replicas (PROTOCOL.md 1.1-1.3), verbatim.
q() { mariadb -h127.0.0.1 -P"$A" -urepl -preplpass -N -B -e "$1" 2>&1; }
sid=$(q "SELECT @@GLOBAL.SERVER_ID")
tl_assert "SELECT @@GLOBAL.SERVER_ID is binlogd's own id" test "$sid" -gt 1000
tl_assert_eq "SHOW VARIABLES LIKE 'SERVER_ID' (column 2)" "$(q "SHOW VARIABLES LIKE 'SERVER_ID'" | cut -f2)" "$sid"
tl_assert "SELECT UNIX_TIMESTAMP() is an integer" bash -c "[[ \"$(q 'SELECT UNIX_TIMESTAMP()')\" =~ ^[0-9]+$ ]]"
tl_assert_eq "MySQL 8 checksum handshake" "$(q "SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum; SELECT @source_binlog_checksum")" "CRC32"
tl_assert_eq "MySQL 5.7 checksum handshake" "$(q "SET @master_binlog_checksum= @@global.binlog_checksum; SELECT @master_binlog_checksum")" "CRC32"
tl_assert_eq "heartbeat period (both names)" "$(q "SET @master_heartbeat_period = 30000001024, @source_heartbeat_period = 30000001024; SELECT @source_heartbeat_period")" "30000001024"
tl_assert_eq "SELECT @@GLOBAL.GTID_MODE" "$(q 'SELECT @@GLOBAL.GTID_MODE')" "OFF"
tl_assert "SELECT @@GLOBAL.SERVER_UUID is a UUID" bash -c "[[ \"$(q 'SELECT @@GLOBAL.SERVER_UUID')\" =~ ^[0-9a-f-]{36}$ ]]"
tl_assert_eq "SET @slave_uuid / @replica_uuid" "$(q "SET @slave_uuid = 'u1', @replica_uuid = 'u1'; SELECT @replica_uuid")" "u1"
tl_assert "MySQL 8.0.26+ semi-sync probe gets 1193 first" bash -c "mariadb -h127.0.0.1 -P$A -urepl -preplpass -e 'SELECT @@global.rpl_semi_sync_source_enabled' 2>&1 | grep -q 'ERROR 1193'"
tl_assert_eq "semi-sync probe, master name" "$(q 'SELECT @@global.rpl_semi_sync_master_enabled')" "ON"
tl_assert_eq "MariaDB semi-sync probe" "$(q "SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'")" "$(printf 'rpl_semi_sync_master_enabled\tON')"
tl_assert_eq "SELECT @@GLOBAL.gtid_domain_id" "$(q 'SELECT @@GLOBAL.gtid_domain_id')" "0"
tl_assert_eq "SET NAMES + SELECT @@version_comment LIMIT 1" "$(q "SET NAMES utf8mb4; SELECT @@version_comment LIMIT 1")" "binlogd binlog server"
tl_assert_eq "binlog_gtid_pos() answers as the primary" "$(q "SELECT binlog_gtid_pos('$first', 4)")" "$(tl_sql p "SELECT binlog_gtid_pos('$first', 4)")"
tl_assert "unknown statement -> clear ERR, connection usable" bash -c "mariadb -h127.0.0.1 -P$A -urepl -preplpass -e 'DROP DATABASE w' 2>&1 | grep -q 'ERROR 1064'"
tl_assert_eq "SHOW MASTER STATUS names the primary's file" "$(q 'SHOW MASTER STATUS' | cut -f1)" "$(tl_binlogs p | tail -1)"
tl_assert "SHOW SLAVE HOSTS lists the registered replicas" bash -c "[ \$(mariadb -h127.0.0.1 -P$A -uops -psecret -N -e 'SHOW SLAVE HOSTS' | wc -l) -ge 2 ]"

# MySQL 8 clients open with caching_sha2_password: fast auth for a plaintext account, an
# AuthSwitchRequest to mysql_native_password for an account stored as a *HEX hash.
tl_assert_eq "caching_sha2 fast auth (plaintext account)" "$(mariadb -h127.0.0.1 -P"$A" -urepl -preplpass --default-auth=caching_sha2_password -N -e 'SELECT CURRENT_USER()' 2>&1)" "repl@127.0.0.1"
tl_assert_eq "caching_sha2 -> AuthSwitch (*HEX account)" "$(mariadb -h127.0.0.1 -P"$A" -uops -psecret --default-auth=caching_sha2_password -N -e 'SELECT CURRENT_USER()' 2>&1)" "ops@127.0.0.1"
tl_assert "caching_sha2 with a wrong password -> 1045" bash -c "mariadb -h127.0.0.1 -P$A -urepl -pnope --default-auth=caching_sha2_password -e 'SELECT 1' 2>&1 | grep -q 'ERROR 1045'"
tl_assert "KILL of an unknown id -> 1094" bash -c "mariadb -h127.0.0.1 -P$A -uops -psecret -e 'KILL 999999' 2>&1 | grep -q 'ERROR 1094'"
tl_assert "replica role may not CHANGE MASTER -> 1227" bash -c "mariadb -h127.0.0.1 -P$A -urepl -preplpass -e \"CHANGE MASTER TO MASTER_HOST='x'\" 2>&1 | grep -q 'ERROR 1227'"

tl_assert "A stops cleanly" tl_binlogd_stop a
tl_assert "B stops cleanly" tl_binlogd_stop b
tl_done
