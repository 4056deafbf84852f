#!/usr/bin/env bash
# Issue #4: binlogd's own upstream is managed with the stock client, as a MariaDB replica's:
# CHANGE MASTER TO / START SLAVE / STOP SLAVE / SHOW SLAVE STATUS (and MySQL 8.0.23's CHANGE
# REPLICATION SOURCE TO SOURCE_* / START|STOP REPLICA / SHOW REPLICA STATUS), errors with mariadbd's codes,
# the settings stored atomically in the data directory (mode 0600) and used after a restart.
source "$(dirname "$0")/harness.sh"
tl_init admin

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); D=$(tl_workdir)/b
tl_sql p "CREATE DATABASE w"
tl_wl_small p 100
tl_binlogd_start b "$D" --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass \
    --user.ops.password=opspass --user.ops.role=admin --upstream.connect_timeout=4 --upstream.net_timeout=4
tl_wait_until 20 tl_port_open "$A"
ops() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "$1" 2>&1; }
repl() { mariadb -h127.0.0.1 -P"$A" -urepl -preplpass -N -B -e "$1" 2>&1; }
field() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -e "SHOW SLAVE STATUS\G" | awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }

tl_assert_eq "no upstream: SHOW SLAVE STATUS has no row" "$(ops 'SHOW SLAVE STATUS')" ""
tl_assert "START SLAVE without a master -> 1200" grep -q "ERROR 1200" <<<"$(ops 'START SLAVE')"
tl_assert "the replica role may not CHANGE MASTER -> 1227" grep -q "ERROR 1227" <<<"$(repl "CHANGE MASTER TO MASTER_HOST='x'")"
tl_assert "an unsupported option -> 1235" grep -q "ERROR 1235" <<<"$(ops "CHANGE MASTER TO MASTER_HOST='x', MASTER_DELAY=10")"
tl_assert "MASTER_LOG_POS other than 4 -> 1235" grep -q "ERROR 1235" <<<"$(ops "CHANGE MASTER TO MASTER_LOG_FILE='p-bin.000001', MASTER_LOG_POS=120")"
tl_assert "an unquoted host -> 1064" grep -q "ERROR 1064" <<<"$(ops "CHANGE MASTER TO MASTER_HOST=db1")"
tl_assert "a hostile file name is refused" grep -q "ERROR" <<<"$(ops "CHANGE MASTER TO MASTER_LOG_FILE='../../etc/passwd'")"
tl_assert_eq "nothing was stored by the refused statements" "$(ls -A "$D" | grep -c binlogd-upstream)" "0"

first=$(tl_binlogs p | head -1)
out=$(ops "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass', MASTER_LOG_FILE='$first', MASTER_LOG_POS=4")
tl_assert_eq "CHANGE MASTER accepted" "$out" ""
tl_assert_eq "settings stored with mode 0600" "$(stat -c %a "$D/.binlogd-upstream")" "600"
tl_assert_eq "before START SLAVE: not running" "$(field Slave_IO_Running)" "No"
tl_assert_eq "START SLAVE" "$(ops 'START SLAVE')" ""
tl_assert "binlogd mirrors the primary it was pointed at" tl_wait_mirror_caught_up p "$D" 60
tl_assert_eq "SHOW SLAVE STATUS: running" "$(field Slave_IO_Running)" "Yes"
tl_assert_eq "SHOW SLAVE STATUS: Master_Host" "$(field Master_Host)" "127.0.0.1"
tl_assert_eq "SHOW SLAVE STATUS: Master_Port" "$(field Master_Port)" "$P"
tl_assert_eq "SHOW SLAVE STATUS: Gtid_IO_Pos is the primary's state" "$(field Gtid_IO_Pos)" "$(tl_sql p 'SELECT @@gtid_binlog_pos')"
tl_assert "CHANGE MASTER while running -> 1198" grep -q "ERROR 1198" <<<"$(ops "CHANGE MASTER TO MASTER_PORT=1")"
tl_assert_eq "STOP SLAVE" "$(ops 'STOP SLAVE')" ""
tl_assert_eq "after STOP SLAVE: not running" "$(field Slave_IO_Running)" "No"
# Already stopped: STOP SLAVE is answered at once (the "answer later" path with nothing to
# wait for), and statements after it on the same connection are still read and answered.
tl_assert_eq "STOP SLAVE when stopped, then more statements on the connection" \
  "$(ops 'STOP SLAVE; STOP SLAVE; SELECT 7' | tail -1)" "7"
mirrored() { (cd "$D" && md5sum p-bin.[0-9]*); }
before=$(mirrored)
tl_wl_small p 20
sleep 1   # a stopped binlogd must not follow (no condition to poll for: nothing may happen)
tl_assert_eq "stopped: the new transactions are not mirrored" "$(mirrored)" "$before"
tl_assert_eq "START SLAVE again" "$(ops 'START SLAVE')" ""
tl_assert "resumed" tl_wait_mirror_caught_up p "$D" 60
# MySQL 8.0.23's statement and option names, as a MySQL operator types them
tl_assert_eq "STOP REPLICA" "$(ops 'STOP REPLICA')" ""
tl_assert "CHANGE REPLICATION SOURCE TO SOURCE_DELAY -> 1235 naming SOURCE_DELAY" \
  grep -q "ERROR 1235.*SOURCE_DELAY" <<<"$(ops "CHANGE REPLICATION SOURCE TO SOURCE_DELAY=10")"
rfield() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -e 'SHOW REPLICA STATUS\G' | awk -v k="$1:" '$1 == k { print $2 }'; }
# (the same host and port: another one would make the next START check continuity)
ops "CHANGE REPLICATION SOURCE TO SOURCE_USER='nobody', SOURCE_PASSWORD='x'" >/dev/null
tl_assert_eq "SOURCE_USER is read (SHOW REPLICA STATUS)" "$(rfield Master_User)" "nobody"
out=$(ops "CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=$P, SOURCE_USER='repl', MASTER_PASSWORD='replpass'")
tl_assert_eq "CHANGE REPLICATION SOURCE TO SOURCE_HOST/PORT/USER (and a MASTER_ name mixed in) accepted" "$out" ""
tl_assert_eq "SHOW REPLICA STATUS: as set" "$(rfield Master_Host) $(rfield Master_Port) $(rfield Master_User)" "127.0.0.1 $P repl"
tl_assert_eq "START REPLICA" "$(ops 'START REPLICA')" ""
tl_wl_small p 10
tl_assert "mirroring after START REPLICA" tl_wait_mirror_caught_up p "$D" 60
# STOP SLAVE while the upstream session hangs in a handshake (the primary is SIGSTOPped): the
# statement waits, the event loop does not (every replica is served from it).
ops "STOP SLAVE" >/dev/null
kill -STOP "$(cat "$(tl_workdir)/p.pid")"
ops "START SLAVE" >/dev/null
tl_wait_until 10 bash -c "mariadb -h127.0.0.1 -P$A -uops -popspass -e 'SHOW SLAVE STATUS\G' | grep -q 'Slave_IO_State: connecting'"
ops "STOP SLAVE" > "$(tl_workdir)/stop.out" 2>&1 &
stopper=$!
t0=$(date +%s%N)
tl_assert_eq "the loop answers while STOP SLAVE waits" "$(repl 'SELECT 1')" "1"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tl_assert "... promptly (${ms} ms)" [ "$ms" -lt 1000 ]
tl_assert "STOP SLAVE is still waiting for the hung session" kill -0 "$stopper"
kill -CONT "$(cat "$(tl_workdir)/p.pid")"
tl_assert "STOP SLAVE completes once the session ends" tl_wait_pid "$stopper" 30
tl_assert_eq "... with OK" "$(cat "$(tl_workdir)/stop.out")" ""
tl_assert_eq "START SLAVE after it" "$(ops 'START SLAVE')" ""
tl_assert "resumed again" tl_wait_mirror_caught_up p "$D" 60
tl_assert "restart: the stored settings are used" tl_binlogd_stop b
tl_binlogd_start b "$D" --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass \
    --user.ops.password=opspass --user.ops.role=admin
tl_assert "restart: logged where the settings came from" tl_wait_until 20 tl_log_has b "set by CHANGE MASTER): 127.0.0.1:$P"
tl_wl_small p 20
tl_assert "restart: mirroring again without any configured upstream" tl_wait_mirror_caught_up p "$D" 60
tl_assert "identical to the primary" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_done
