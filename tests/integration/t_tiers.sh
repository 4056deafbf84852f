#!/usr/bin/env bash
# Issue #15 acceptance 3: tiers of binlogd that fail over on their own.
#  - P primary, P2 its replica (log_slave_updates: the failover target at the root);
#  - binlogd A1 and A2 mirror P (candidate P2); binlogd B follows A1 with the candidates
#    X (a binlogd mirroring P2: another primary's files), Z (a binlogd on P stopped early:
#    streams from nothing), A3 (a binlogd streaming from Z: behind) and A2; D1
#    (file/position) and D2 (GTID) replicate from B;
#  - under load, kill -9 A1: B refuses X, Z and A3 with their reasons and continues on A2 at
#    the same file and position; the time from A1's death to the first new transaction at
#    D2 is printed; the replicas end with P's checksums, B's files are P's bytes;
#  - then P dies and P2 is promoted: A1 (restarted) and A2 follow P2 by the continuity rule,
#    B follows A2 into P2's files, the replicas end with P2's checksums;
#  - no CHANGE MASTER after the setup, and no split-brain alarm from the siblings.
source "$(dirname "$0")/harness.sh"
tl_init tiers
T0=$(date +%s%N)

FO_S=2
ADMIN=(--user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin)
tl_mariadb_start p --gtid-strict-mode=ON
tl_mariadb_start p2 --log-slave-updates=ON --gtid-strict-mode=ON
P=$(tl_port p); P2=$(tl_port p2)
tl_sql p2 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
tl_sql p "CREATE DATABASE w; CREATE TABLE w.k (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(200)) ENGINE=InnoDB"
W=$(tl_workdir)
A1=$(tl_free_port); A2=$(tl_free_port); A3=$(tl_free_port); X=$(tl_free_port); Z=$(tl_free_port); B=$(tl_free_port)
COMMON=(--upstream.user=repl --upstream.password=replpass --upstream.retry_min_ms=100 --upstream.retry_max_ms=500
        --upstream.connect_timeout=2 "${ADMIN[@]}")
ON_P=(--upstream.host=127.0.0.1 --upstream.port="$P" "${COMMON[@]}")
ROOT_FO=(--upstream.candidates="127.0.0.1:$P2" --upstream.failover_after=$FO_S)
tl_binlogd_start a1 "$W/a1" "${ON_P[@]}" "${ROOT_FO[@]}" --binlogd.listen=127.0.0.1:"$A1"
tl_binlogd_start a2 "$W/a2" "${ON_P[@]}" "${ROOT_FO[@]}" --binlogd.listen=127.0.0.1:"$A2"
tl_binlogd_start z "$W/z" "${ON_P[@]}" --binlogd.listen=127.0.0.1:"$Z"
tl_binlogd_start a3 "$W/a3" --upstream.host=127.0.0.1 --upstream.port="$Z" "${COMMON[@]}" --binlogd.listen=127.0.0.1:"$A3"
tl_binlogd_start x "$W/x" --upstream.host=127.0.0.1 --upstream.port="$P2" "${COMMON[@]}" --binlogd.listen=127.0.0.1:"$X"
tl_binlogd_start b "$W/b" --upstream.host=127.0.0.1 --upstream.port="$A1" --upstream.use_gtid=on "${COMMON[@]}" \
  --upstream.candidates="127.0.0.1:$X,127.0.0.1:$Z,127.0.0.1:$A3,127.0.0.1:$A2" --upstream.failover_after=$FO_S \
  --watch.interval_ms=500 --binlogd.listen=127.0.0.1:"$B"

bq() { mariadb -h127.0.0.1 -P"$1" -uops -popspass -N -B -e "$2"; }
b_field() {  # PORT FIELD: a field of binlogd's SHOW SLAVE STATUS
  mariadb -h127.0.0.1 -P"$1" -uops -popspass -e "SHOW SLAVE STATUS\G" | awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'
}
gtid_of() { tl_sql "$1" "SELECT @@gtid_binlog_pos"; }
slave_pos_is() { [ "$(tl_sql "$1" 'SELECT @@gtid_slave_pos')" = "$2" ]; }
seq_of() { sed 's/.*-//' <<< "$1"; }   # domain 0 only: "0-10-123" -> 123
d2_past() { [ "$(seq_of "$(tl_sql d2 'SELECT @@gtid_slave_pos')")" -gt "$1" ]; }
b_gtid_is() { [ "$(bq "$1" 'SELECT @@gtid_binlog_pos')" = "$2" ]; }
log_count() { grep -c "$2" "$W/$1.log"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# A background writer: small transactions (autocommit and a two-row one) until $W/stop.NAME exists.
writer() {
  rm -f "$W/stop.$1"
  ( while [ -d "$W" ] && [ ! -e "$W/stop.$1" ]; do
      mariadb -S "$(tl_sock "$1")" -uroot -e "INSERT INTO w.k (v) VALUES ('$1 $RANDOM'); BEGIN;
        INSERT INTO w.k (v) VALUES (REPEAT('x', 150)); INSERT INTO w.k (v) VALUES ('two'); COMMIT;" 2>/dev/null || sleep 0.1
      sleep 0.02
    done ) > /dev/null 2>&1 &
  tl_track_pid $!
  echo $!
}
stop_writer() { touch "$W/stop.$1"; tl_wait_pid "$2" 30; }
# Every file in binlogd dir DIR named PREFIX* against the primary's copy in SRC: identical
# when closed there, a prefix (IN_USE aside) for the primary's last file.
cmp_files() {
  local src=$1 dir=$2 prefix=$3 last name n=0
  last=$(sed 's|.*/||' "$src"/*.index | tail -1)
  for name in $(sed 's|.*/||' "$dir"/*.index | grep "^$prefix"); do
    n=$((n + 1))
    if [ "$name" = "$last" ]; then tl_file_prefix_of "$src/$name" "$dir/$name" || { echo "$name: active, not a prefix"; return 1; }
    else cmp "$src/$name" "$dir/$name" || return 1; fi
  done
  echo "compared $n $prefix files"; [ "$n" -gt 0 ]
}
checksums_equal() {  # REPLICA SOURCE
  local t
  for t in w.k; do [ "$(tl_sql "$1" "CHECKSUM TABLE $t")" = "$(tl_sql "$2" "CHECKSUM TABLE $t")" ] || return 1; done
}

tl_sql p "INSERT INTO w.k (v) VALUES ('first'); FLUSH BINARY LOGS; INSERT INTO w.k (v) VALUES ('second')"
tl_wait_mirror_caught_up p "$W/z" 30
tl_assert "Z stops (a sibling streaming from nothing)" bq "$Z" "STOP SLAVE"
tl_wait_mirror_caught_up p "$W/a3" 30   # A3 streams from Z: behind from now on
tl_wl_small p 30
tl_wait_mirror_caught_up p "$W/b" 30
first=$(tl_binlogs p | head -1)
tl_mariadb_start d1 --skip-log-bin
tl_mariadb_start d2 --skip-log-bin
tl_sql d1 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$B, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1; START SLAVE"
tl_sql d2 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$B, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
tl_assert "D2 follows B" tl_wait_until 30 slave_pos_is d2 "$(gtid_of p)"

# ---- the middle binlogd dies under load ----
wp=$(writer p)
tl_wait_until 10 d2_past "$(seq_of "$(gtid_of p)")"
n0=$(log_count b "reconnecting to 127.0.0.1:$A1"); m0=$(log_count b "mirroring")
t0=$(now_ms)
tl_binlogd_kill a1
tl_log "kill -9 A1 under load"
tl_wait_until 10 bash -c "[ \$(grep -c 'reconnecting to 127.0.0.1:$A1' '$W/b.log') -gt $n0 ]"
s0=$(seq_of "$(bq "$B" 'SELECT @@gtid_binlog_pos')")   # B's copy ends here until it continues elsewhere
tl_assert "D2 gets a transaction B never had from A1" tl_wait_until 30 d2_past "$s0"
t1=$(now_ms)
tl_log "tier failover: A1 killed -> first new transaction at D2 after $((t1 - t0)) ms (upstream.failover_after = ${FO_S} s; target $((FO_S + 1)) s)"
echo "tier_failover_ms $((t1 - t0))" >> "$W/.figures"
tl_assert "within upstream.failover_after + 3 s" [ $((t1 - t0)) -le $(( (FO_S + 3) * 1000 )) ]
tl_assert "B refuses X (another primary's files) with the reason" \
  tl_log_has b "refusing failover candidate 127.0.0.1:$X (no such file): sibling binlogd 127.0.0.1:$X does not hold p-bin"
tl_assert "B refuses Z (its own upstream stopped) with the reason" \
  tl_log_has b "refusing failover candidate 127.0.0.1:$Z (not streaming): sibling binlogd 127.0.0.1:$Z streams from no upstream"
tl_assert "B refuses A3 (behind) with the reason" \
  tl_log_has b "refusing failover candidate 127.0.0.1:$A3 (behind): sibling binlogd 127.0.0.1:$A3 is behind"
tl_assert "B continues on A2 at the same file and position" tl_log_has b "switching to sibling binlogd 127.0.0.1:$A2 at p-bin"
tl_assert "SHOW SLAVE STATUS on B keeps a refusal in Last_IO_Error" bash -c "mariadb -h127.0.0.1 -P$B -uops -popspass -e 'SHOW SLAVE STATUS\G' | grep -q 'Last_IO_Error: refusing failover candidate'"
tl_assert_eq "B's upstream is now A2" "$(b_field "$B" Master_Port)" "$A2"
tl_assert_eq "B started no new file for the switch (the same file continues)" "$(log_count b "mirroring")" "$m0"
tl_sql p "FLUSH BINARY LOGS"   # a rotation flows through A2 into B
tl_wait_until 10 d2_past "$(( $(seq_of "$(gtid_of p)") + 20 ))"
stop_writer p "$wp"
final=$(gtid_of p)
read -r pf pp < <(tl_master_status p)
tl_assert "D2 (GTID) reached P's $final" tl_wait_until 60 slave_pos_is d2 "$final"
tl_assert "D1 (file/pos) reached P's $pf:$pp" tl_wait_until 60 tl_replica_at d1 "$pf $pp"
for r in d1 d2; do
  tl_assert "$r: CHECKSUM TABLE equals P's" checksums_equal "$r" p
  tl_assert_eq "$r: threads running" "$(tl_slave_field "$r" Slave_IO_Running)$(tl_slave_field "$r" Slave_SQL_Running)" "YesYes"
done
tl_wait_mirror_caught_up p "$W/b" 30
tl_assert "B's files are P's bytes (closed: identical)" cmp_files "$(tl_datadir p)" "$W/b" p-bin
tl_assert "B's mirror of A2's stream is A2's bytes" tl_cmp_binlogs "$W/a2" "$W/b"

# ---- a primary failover at the root, the tiers running ----
tl_binlogd_start a1 "$W/a1" "${ON_P[@]}" "${ROOT_FO[@]}" --binlogd.listen=127.0.0.1:"$A1"
tl_assert "A1 restarted and caught up" tl_wait_mirror_caught_up p "$W/a1" 30
tl_assert "P2 caught up with P ($final)" tl_wait_until 30 slave_pos_is p2 "$final"
tl_wait_mirror_caught_up p "$W/a2" 30
tl_mariadb_kill p
tl_log "kill -9 P; promote P2"
tl_sql p2 "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0; FLUSH BINARY LOGS"
wp2=$(writer p2)
tl_assert "A2 follows P2 by the continuity rule" tl_wait_until 30 tl_log_has a2 "continued on 127.0.0.1:$P2"
tl_assert "A1 follows P2 by the continuity rule" tl_wait_until 30 tl_log_has a1 "continued on 127.0.0.1:$P2"
tl_assert "B mirrors P2's new file through A2" tl_wait_until 30 tl_log_has b "mirroring p2-bin"
tl_wait_until 10 d2_past "$(( $(seq_of "$(gtid_of p2)") + 20 ))"
stop_writer p2 "$wp2"
final2=$(gtid_of p2)
read -r qf qp < <(tl_master_status p2)
tl_assert "D2 (GTID) reached P2's $final2" tl_wait_until 60 slave_pos_is d2 "$final2"
tl_assert "D1 (file/pos) reached P2's $qf:$qp" tl_wait_until 60 tl_replica_at d1 "$qf $qp"
for r in d1 d2; do
  tl_assert "$r: CHECKSUM TABLE equals P2's" checksums_equal "$r" p2
  tl_assert_eq "$r: threads running" "$(tl_slave_field "$r" Slave_IO_Running)$(tl_slave_field "$r" Slave_SQL_Running)" "YesYes"
done
tl_assert "B reports P2's state" tl_wait_until 30 b_gtid_is "$B" "$final2"
tl_assert "B's P files are still P's bytes" cmp_files "$(tl_datadir p)" "$W/b" p-bin
tl_assert "B's P2 files are P2's bytes" cmp_files "$(tl_datadir p2)" "$W/b" p2-bin
tl_assert "B's data directory verifies" "$BINLOGD_BIN" verify "$W/b"
for n in b a1 a2; do
  tl_assert "$n: no split-brain alarm from siblings" tl_not grep -q "SPLIT-BRAIN" "$W/$n.log"
done
tl_assert "B's watch judged A1 and X without an alarm" bash -c "mariadb -h127.0.0.1 -P$B -uops -popspass -N -B -e 'SHOW BINLOG WATCH' | grep -v split-brain | grep -q ."
tl_log "wall time $(( ($(date +%s%N) - T0) / 1000000 )) ms"
tl_done
