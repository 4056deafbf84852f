#!/usr/bin/env bash
# make demo: a throwaway MariaDB primary, binlogd mirroring it, a real MariaDB replica
# replicating through binlogd. Shows the copies are byte-identical and the replica's rows
# match. Everything is stopped and removed at the end (KEEP=1 keeps the directory).
source "$(dirname "$0")/harness.sh"
tl_init demo
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Starting a throwaway MariaDB primary on 127.0.0.1"
tl_mariadb_start primary
P=$(tl_port primary); L=$(tl_free_port); MP=$(tl_free_port); D=$(tl_workdir)/binlogd-data
echo "primary: port $P, binlogs in $(tl_binlog_dir primary)"

say "Writing transactions and rotating the binary log on the primary"
tl_sql primary "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(40), qty INT) ENGINE=InnoDB"
awk 'BEGIN { for (i = 1; i <= 500; i++) printf "INSERT INTO shop.orders (item, qty) VALUES (\"item-%d\", %d);\n", i, i % 7 + 1 }' |
  mariadb -S "$(tl_sock primary)" -uroot
tl_flush_logs primary
tl_sql primary "UPDATE shop.orders SET qty = qty + 1 WHERE id % 3 = 0; DELETE FROM shop.orders WHERE id % 10 = 0"
tl_wl_big primary 8
tl_flush_logs primary
tl_sql primary "SHOW BINARY LOGS" | sed 's/^/  /'

say "Starting binlogd: mirrors the primary, serves replicas on 127.0.0.1:$L"
tl_binlogd_start binlogd "$D" --metrics.listen=127.0.0.1:"$MP" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
  --upstream.password=replpass --binlogd.listen=127.0.0.1:"$L" --user.repl.password=replpass
tl_wait_mirror_caught_up primary "$D" 60 || { echo "binlogd did not catch up"; exit 1; }
echo "binlogd caught up; its log:"; grep -v "config:" "$(tl_workdir)/binlogd.log" | sed 's/^/  /' | tail -8

say "Comparing binlogd's copies with the primary's files (cmp)"
tl_cmp_binlogs "$(tl_binlog_dir primary)" "$D"
echo "index files:"; paste <(sed 's|.*/||' "$(tl_binlog_dir primary)"/*.index) <(sed 's|.*/||' "$D"/*.index) | sed 's/^/  primary: /; s/\t/   binlogd: /'

say "Starting a real MariaDB replica that replicates THROUGH binlogd"
tl_mariadb_start replica --skip-log-bin
first=$(tl_binlogs primary | head -1)
tl_sql replica "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$L, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no; START SLAVE"
say "More writes on the primary while the replica follows"
tl_sql primary "INSERT INTO shop.orders (item, qty) VALUES ('late order', 42); FLUSH BINARY LOGS; INSERT INTO shop.orders (item, qty) VALUES ('after rotation', 7)"
# The primary's position is re-read each poll: it appends a BINLOG_CHECKPOINT by itself after a
# rotation, so a position read once can be passed.
caught_up() { want=$(tl_master_status primary); tl_replica_at replica "$want"; }
tl_wait_until 60 caught_up || { echo "replica did not reach $want: at $(tl_slave_field replica Relay_Master_Log_File) $(tl_slave_field replica Exec_Master_Log_Pos)"; mariadb -S "$(tl_sock replica)" -uroot -e "SHOW SLAVE STATUS\G"; exit 1; }
mariadb -S "$(tl_sock replica)" -uroot -e "SHOW SLAVE STATUS\G" | grep -E "Master_Host|Master_Port|Master_Log_File|Exec_Master_Log_Pos|Slave_(IO|SQL)_Running:" | sed 's/^ */  /'
echo "rows:     primary $(tl_sql primary 'SELECT COUNT(*) FROM shop.orders')   replica $(tl_sql replica 'SELECT COUNT(*) FROM shop.orders')"
echo "checksum: primary $(tl_sql primary 'CHECKSUM TABLE shop.orders' | cut -f2)   replica $(tl_sql replica 'CHECKSUM TABLE shop.orders' | cut -f2)"
tl_assert_eq "replica's table matches the primary's" "$(tl_sql replica 'CHECKSUM TABLE shop.orders')" "$(tl_sql primary 'CHECKSUM TABLE shop.orders')"

say "A second replica through binlogd in GTID mode (MASTER_USE_GTID=slave_pos)"
tl_mariadb_start greplica --skip-log-bin
tl_sql greplica "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$L, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos; START SLAVE"
gwant=$(tl_sql primary "SELECT @@gtid_binlog_pos")
gat() { [ "$(tl_sql greplica 'SELECT @@gtid_slave_pos')" = "$gwant" ]; }
tl_wait_until 60 gat || { mariadb -S "$(tl_sock greplica)" -uroot -e "SHOW SLAVE STATUS\G"; exit 1; }
echo "  primary @@gtid_binlog_pos $gwant   replica @@gtid_slave_pos $(tl_sql greplica 'SELECT @@gtid_slave_pos')"
tl_assert_eq "GTID replica's table matches the primary's" "$(tl_sql greplica 'CHECKSUM TABLE shop.orders')" "$(tl_sql primary 'CHECKSUM TABLE shop.orders')"

say "mariadb-binlog --read-from-remote-server against binlogd"
mariadb-binlog --read-from-remote-server -h127.0.0.1 -P"$L" -urepl -preplpass --to-last-log "$first" 2>/dev/null |
  grep -c "^# at" | sed 's/^/  events decoded: /'

say "binlogd answers like a primary"
mariadb -h127.0.0.1 -P"$L" -urepl -preplpass -e "SELECT @@version, @@server_id; SHOW BINARY LOGS"

say "Monitoring: /metrics (Prometheus), /healthz, and the status page"
curl -s "http://127.0.0.1:$MP/metrics" | grep -E '^binlogd_(upstream_connected|upstream_lag_seconds|committed_|replicas_streaming|replica_lag_bytes|storage_binlog_bytes|storage_sync_duration_seconds_count|traffic_table_bytes_total|traffic_transactions_total|lag_doctor_tables_without_primary_key|split_brain )' | sed 's/^/  /'
echo "  /healthz: $(curl -s "http://127.0.0.1:$MP/healthz")"
echo "  status page: http://127.0.0.1:$MP/ (while binlogd runs; screenshot from make test: build/artifacts/status-page.png)"

say "Stopping binlogd with SIGTERM"
tl_binlogd_stop binlogd && echo "binlogd exited 0"
tl_assert "final copies still identical" tl_cmp_binlogs "$(tl_binlog_dir primary)" "$D"
"$BINLOGD_BIN" verify "$D" | tail -1
tl_done
