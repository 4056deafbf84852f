#!/usr/bin/env bash
# Issue #5 (first part): binlogd as the only semi-sync replica of a real MariaDB primary,
# acknowledging each transaction after its fdatasync. The primary's yes_tx rises, no_tx stays
# 0, files stay identical; commit latency is reported next to a real MariaDB semi-sync replica.
source "$(dirname "$0")/harness.sh"
tl_init semisync
tl_mariadb_start p --rpl-semi-sync-master-enabled=ON --rpl-semi-sync-master-timeout=30000
P=$(tl_port p); D=$(tl_workdir)/b
N=${SEMISYNC_TRX:-300}
tl_sql p "CREATE DATABASE w; CREATE TABLE w.s (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB"
test_clients() { [ "$(status Rpl_semi_sync_master_clients)" = "$1" ]; }
status() { tl_sql p "SHOW GLOBAL STATUS LIKE '$1'" | cut -f2; }
# N single-row commits, one by one, in one session; prints the elapsed seconds.
commits() {
  local t0 t1; t0=$(date +%s.%N)
  awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "INSERT INTO w.s (v) VALUES (\"semi %d\");\n", i }' |
    mariadb -S "$(tl_sock p)" -uroot
  t1=$(date +%s.%N); echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}'
}

tl_binlogd_start b "$D" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
  --upstream.password=replpass --upstream.semi_sync=on
tl_assert "binlogd registered as a semi-sync replica" tl_wait_until 30 test_clients 1
yes0=$(status Rpl_semi_sync_master_yes_tx); no0=$(status Rpl_semi_sync_master_no_tx)
secs_b=$(commits)
yes1=$(status Rpl_semi_sync_master_yes_tx); no1=$(status Rpl_semi_sync_master_no_tx)
tl_assert_eq "every commit acknowledged by binlogd (yes_tx +$N)" "$((yes1 - yes0))" "$N"
tl_assert_eq "no commit fell back to asynchronous (no_tx unchanged)" "$((no1 - no0))" 0
tl_wait_mirror_caught_up p "$D" 60
tl_assert "files identical" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "binlogd stops cleanly" tl_binlogd_stop b
tl_assert "binlogd verify passes" "$BINLOGD_BIN" verify "$D"

# The same commits with a real MariaDB semi-sync replica instead.
tl_mariadb_start r --skip-log-bin --rpl-semi-sync-slave-enabled=ON
tl_sql r "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos; START SLAVE"
tl_assert "MariaDB replica registered as semi-sync" tl_wait_until 30 tl_status_is r Rpl_semi_sync_slave_status ON
yes2=$(status Rpl_semi_sync_master_yes_tx)
secs_r=$(commits)
yes3=$(status Rpl_semi_sync_master_yes_tx)
tl_assert_eq "MariaDB replica acknowledged every commit" "$((yes3 - yes2))" "$N"
tl_log "$(echo "$secs_b $secs_r" | awk -v n="$N" '{printf "semi-sync figures: %d commits one by one; mean commit latency with binlogd (ACK after fdatasync) %.0f us, with a MariaDB semi-sync replica (ACK after relay-log write, no fsync) %.0f us", n, $1 / n * 1e6, $2 / n * 1e6}')"
tl_done
