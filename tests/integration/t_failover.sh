#!/usr/bin/env bash
# Issue #4 acceptance 2-4: the primary dies, a replica is promoted, binlogd continues on it.
#  - P primary; C candidate (log_slave_updates, GTID); E and F bad candidates;
#  - binlogd B (repointed by CHANGE MASTER) and binlogd B2 (automatic: upstream.candidates),
#    both mirroring P: their files are identical (acceptance 4);
#  - D1 replica on B in file/pos mode, D2 on B in GTID mode; later D1 moves to B2 with the
#    same file/pos. Neither ever gets a CHANGE MASTER for the failover; both end with C's data.
#  - refusals: E carries an errant transaction, F lacks B's last transactions: B writes
#    nothing and names the GTIDs.
source "$(dirname "$0")/harness.sh"
tl_init failover

ADMIN=(--user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin)
tl_mariadb_start p --gtid-strict-mode=ON
P=$(tl_port p)
for n in c e f; do
  tl_mariadb_start $n --log-slave-updates=ON --gtid-strict-mode=ON
  tl_sql $n "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass',
    MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
done
C=$(tl_port c); E=$(tl_port e); F=$(tl_port f)
A=$(tl_free_port); A2=$(tl_free_port)
DB=$(tl_workdir)/b; DB2=$(tl_workdir)/b2
tl_sql p "CREATE DATABASE w; CREATE TABLE w.k (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
UP=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
    --upstream.retry_min_ms=100 --upstream.retry_max_ms=500 --upstream.connect_timeout=2)
tl_binlogd_start b "$DB" "${UP[@]}" --upstream.use_gtid=on --binlogd.listen=127.0.0.1:"$A" "${ADMIN[@]}"
tl_binlogd_start b2 "$DB2" "${UP[@]}" --upstream.candidates="127.0.0.1:$F,127.0.0.1:$E,127.0.0.1:$C" \
    --upstream.failover_after=2 --binlogd.listen=127.0.0.1:"$A2" "${ADMIN[@]}"
first=$(tl_binlogs p | head -1)
tl_mariadb_start d1 --skip-log-bin
tl_mariadb_start d2 --skip-log-bin
tl_sql d1 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1; START SLAVE"
tl_sql d2 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"

gtid_of() { tl_sql "$1" "SELECT @@gtid_binlog_pos"; }
slave_pos_is() { [ "$(tl_sql "$1" 'SELECT @@gtid_slave_pos')" = "$2" ]; }
bq() { mariadb -h127.0.0.1 -P"$1" -uops -popspass -N -B -e "$2"; }
b_field() {  # PORT FIELD: a field of binlogd's SHOW SLAVE STATUS
  mariadb -h127.0.0.1 -P"$1" -uops -popspass -e "SHOW SLAVE STATUS\G" | awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'
}
b_gtid_is() { [ "$(b_field "$1" Gtid_IO_Pos)" = "$2" ]; }
# DIR holds C's active file at C's current size (binlogd started on C mid-history).
has_c_tail() { local f s; read -r f s < <(tl_sql c "SHOW MASTER STATUS" | cut -f1,2); [ "$(stat -c %s "$1/$f" 2>/dev/null)" = "$s" ]; }

wl=$(tl_wl_mixed p 5)
tl_wl_small p 200
tl_wait_pid "$wl"
# F stops replicating early: it will lack the last transactions.
tl_sql f "STOP SLAVE"
tl_wl_small p 50
final=$(gtid_of p)
tl_wait_mirror_caught_up p "$DB" 60
tl_wait_mirror_caught_up p "$DB2" 60
tl_assert "C caught up with P ($final)" tl_wait_until 60 slave_pos_is c "$final"
tl_assert "E caught up with P" tl_wait_until 60 slave_pos_is e "$final"
tl_assert "B and B2 hold identical files (two mirrors of one primary)" tl_cmp_binlogs "$DB" "$DB2"
tl_assert "binlogd B reports the primary's GTID state" tl_wait_until 10 b_gtid_is "$A" "$final"

tl_log "kill -9 the primary"
tl_mariadb_kill p
pfiles=$(ls "$DB" | grep -c '^p-bin\.[0-9]')

# E: an errant transaction written on it before promotion.
tl_sql e "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0; INSERT INTO w.k VALUES (999999, 'errant'); FLUSH BINARY LOGS"
esid=$(tl_sql e "SELECT @@server_id")
bq "$A" "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$E, MASTER_USER='repl', MASTER_PASSWORD='replpass', MASTER_USE_GTID=slave_pos; START SLAVE"
err_has() { b_field "$A" Last_IO_Error | grep -q "$1"; }
tl_assert "B refuses E: names the errant GTID 0-$esid-..." tl_wait_until 20 err_has "missing on binlogd: 0-$esid-"
tl_log "B says: $(b_field "$A" Last_IO_Error)"
tl_assert_eq "B wrote nothing from E" "$(ls "$DB" | grep -c '^e-bin\.')" "0"
# F: lacks B's last transactions.
tl_sql f "RESET SLAVE ALL; SET GLOBAL read_only=0; FLUSH BINARY LOGS"
bq "$A" "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$F, MASTER_USE_GTID=slave_pos; START SLAVE"
tl_assert "B refuses F: names what F is missing" tl_wait_until 20 err_has "missing on 127.0.0.1:$F"
tl_assert "B refuses F: says how to fix it" err_has "catch up"
tl_assert_eq "B wrote nothing from F" "$(ls "$DB" | grep -c '^f-bin\.')" "0"
tl_assert_eq "D1 untouched by the refusals" "$(tl_slave_field d1 Slave_IO_Running)" "Yes"
tl_assert "B2 (automatic) looked at E and refused it" tl_wait_until 20 tl_log_has b2 "127.0.0.1:$E"

# Promote C the documented way: stop replicating, writable, new binlog file.
tl_sql c "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0; FLUSH BINARY LOGS"
bq "$A" "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$C, MASTER_USE_GTID=slave_pos; START SLAVE"
tl_assert "B continues on C" tl_wait_until 30 tl_log_has b "continued on 127.0.0.1:$C"
tl_assert "B2 fails over to C by itself" tl_wait_until 60 tl_log_has b2 "continued on 127.0.0.1:$C"
tl_sql c "INSERT INTO w.k VALUES (1000001, 'after failover')"
wl=$(tl_wl_mixed c 4)
# D1 moves from B to B2 at the same file/position.
tl_wait_until 30 bash -c "[ \"\$(mariadb -S $(tl_sock d1) -uroot -e 'SHOW SLAVE STATUS\\G' | awk '/Exec_Master_Log_Pos:/ {print \$2}')\" != 0 ]"
tl_sql d1 "STOP SLAVE"
f1=$(tl_slave_field d1 Relay_Master_Log_File); p1=$(tl_slave_field d1 Exec_Master_Log_Pos)
tl_log "move D1 from B to B2 at $f1:$p1"
tl_sql d1 "CHANGE MASTER TO MASTER_PORT=$A2, MASTER_LOG_FILE='$f1', MASTER_LOG_POS=$p1; START SLAVE"
tl_wait_pid "$wl"
tl_wl_small c 100
final=$(gtid_of c)
cfile=$(tl_sql c "SHOW MASTER STATUS" | cut -f1); cpos=$(tl_sql c "SHOW MASTER STATUS" | cut -f2)
tl_assert "D2 (GTID) reached C's state $final" tl_wait_until 90 slave_pos_is d2 "$final"
tl_assert "D1 (file/pos, moved to B2) reached C's $cfile:$cpos" tl_wait_until 90 tl_replica_at d1 "$cfile $cpos"
for r in d1 d2; do
  tl_assert_eq "$r: threads running" "$(tl_slave_field "$r" Slave_IO_Running)$(tl_slave_field "$r" Slave_SQL_Running)" "YesYes"
  for t in $(tl_sql c "SELECT CONCAT(table_schema,'.',table_name) FROM information_schema.tables WHERE table_schema='w'"); do
    tl_assert_eq "$r: CHECKSUM TABLE $t equals C's" "$(tl_sql "$r" "CHECKSUM TABLE $t")" "$(tl_sql c "CHECKSUM TABLE $t")"
  done
  tl_assert_eq "$r: no errant row from E" "$(tl_sql "$r" "SELECT COUNT(*) FROM w.k WHERE id=999999")" "0"
  tl_assert_eq "$r: the first post-failover row exactly once" "$(tl_sql "$r" "SELECT COUNT(*) FROM w.k WHERE id=1000001")" "1"
done
tl_assert "B caught up with C" tl_wait_until 60 has_c_tail "$DB"
tl_assert "B2 caught up with C" tl_wait_until 60 has_c_tail "$DB2"
newest_c=$(ls "$DB" | grep '^c-bin\.[0-9]' | head -1)
tl_assert "B's first C file ($newest_c) is byte-identical to C's (prefix while active)" \
  tl_file_prefix_of "$(tl_datadir c)/$newest_c" "$DB/$newest_c"
tl_assert_eq "B kept every file of the dead primary" "$(ls "$DB" | grep -c '^p-bin\.[0-9]')" "$pfiles"
tl_assert "B and B2 still hold identical files" tl_cmp_binlogs "$DB" "$DB2"
tl_assert "B's data directory verifies" "$BINLOGD_BIN" verify "$DB"
# F, which lacked B's last transactions, catches up FROM binlogd B in GTID mode (the documented
# way for a promoted replica that is behind), then C dies and B fails over to F.
bstate=$(b_field "$A" Gtid_IO_Pos)
tl_sql f "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
f_at() { [ "$(tl_sql f 'SELECT @@gtid_slave_pos')" = "$(b_field "$A" Gtid_IO_Pos)" ]; }
tl_assert "F caught up from binlogd B ($bstate)" tl_wait_until 60 f_at
tl_mariadb_kill c
tl_sql f "STOP SLAVE; RESET SLAVE ALL; FLUSH BINARY LOGS"
bq "$A" "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$F, MASTER_USE_GTID=slave_pos; START SLAVE"
tl_assert "B continues on F after C died" tl_wait_until 30 tl_log_has b "continued on 127.0.0.1:$F"
tl_sql f "INSERT INTO w.k VALUES (1000002, 'second failover')"
fstate=$(gtid_of f)
tl_assert "D2 follows onto F without a CHANGE MASTER ($fstate)" tl_wait_until 60 slave_pos_is d2 "$fstate"
tl_assert_eq "D2 has the second failover's row once" "$(tl_sql d2 "SELECT COUNT(*) FROM w.k WHERE id=1000002")" "1"
tl_assert_eq "D2 equals F" "$(tl_sql d2 'CHECKSUM TABLE w.k')" "$(tl_sql f 'CHECKSUM TABLE w.k')"
tl_assert "the switch survives a restart of B" tl_binlogd_stop b
tl_binlogd_start b "$DB" "${UP[@]}" --binlogd.listen=127.0.0.1:"$A" "${ADMIN[@]}"
tl_assert "restarted B uses the stored upstream (F), not the configured one" tl_wait_until 20 tl_log_has b "set by CHANGE MASTER): 127.0.0.1:$F"
tl_sql f "INSERT INTO w.k VALUES (1000003, 'after restart')"
fstate=$(gtid_of f)
tl_assert "restarted B keeps serving F's new transactions to D2" tl_wait_until 60 slave_pos_is d2 "$fstate"
tl_done
