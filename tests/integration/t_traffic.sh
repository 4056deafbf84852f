#!/usr/bin/env bash
# Issue #12: traffic statistics and the lag doctor. A real MariaDB primary with
# binlog_format=ROW and binlog_row_metadata=FULL; binlogd mirrors it. A workload with known
# row counts into known tables (with and without a primary key; inserts, multi-row updates
# and deletes; DDL; one large transaction over a lowered stats.large_trx_bytes). Asserted:
# per-table rows (against the workload and against mariadb-binlog --verbose) and bytes
# (against the rows events' sizes in the primary's SHOW BINLOG EVENTS), per-kind counts,
# the doctor's finding for exactly the no-PK tables that got UPDATE/DELETE, the oversized
# transaction; then a MINIMAL-metadata primary: the doctor says it cannot tell. The same
# numbers in /metrics (promtool-clean, equal to the statements at the same moment, at most
# metrics.traffic_series labelled tables plus "(other)") and on the status page.
source "$(dirname "$0")/harness.sh"
tl_init traffic

tl_mariadb_start p --binlog-format=ROW --binlog-row-metadata=FULL
A=$(tl_free_port); D=$(tl_workdir)/b
ps() { mariadb -S "$(tl_sock p)" -uroot -N -B "$@"; }

ps -e "CREATE DATABASE shop"
ps shop -e "
  CREATE TABLE pk (id INT PRIMARY KEY, v VARCHAR(100), c CHAR(10), d DECIMAL(10,2), ts DATETIME(3),
    b BLOB, e ENUM('a','b'), f DOUBLE, bits BIT(10), j JSON, s SET('x','y'), y YEAR, dt DATE, tm TIME(2),
    n INT NULL, u BIGINT UNSIGNED, fl FLOAT, tx TEXT, vb VARBINARY(300), ch CHAR(100) CHARACTER SET utf8mb4) ENGINE=InnoDB;
  CREATE TABLE nopk_upd (a INT, b VARCHAR(20)) ENGINE=InnoDB;
  CREATE TABLE nopk_del (a INT, b VARCHAR(20)) ENGINE=InnoDB;
  CREATE TABLE nopk_ins (a INT, b TEXT) ENGINE=InnoDB;
  CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, pad LONGTEXT) ENGINE=InnoDB;
  INSERT INTO pk SELECT seq, CONCAT('v', seq), 'ch', seq / 7, NOW(3), REPEAT('b', seq), IF(seq % 2, 'a', 'b'),
    seq * 1.5, seq, '{\"k\": 1}', 'x,y', 2000 + seq % 50, CURDATE(), '10:11:12.34', IF(seq % 3, NULL, seq),
    seq * 1000000000, seq / 3, REPEAT('t', seq * 3), REPEAT('z', seq), REPEAT('é', 90) FROM seq_1_to_100;
  UPDATE pk SET v = CONCAT(v, '!'), n = 7 WHERE id <= 30;
  DELETE FROM pk WHERE id > 90;
  INSERT INTO nopk_upd SELECT seq, 'x' FROM seq_1_to_50;
  UPDATE nopk_upd SET b = 'y' WHERE a <= 20;
  INSERT INTO nopk_del SELECT seq, 'x' FROM seq_1_to_40;
  DELETE FROM nopk_del WHERE a <= 15;
  INSERT INTO nopk_ins SELECT seq, 'x' FROM seq_1_to_60;
  ALTER TABLE pk ADD COLUMN z INT;
  UPDATE pk SET z = 1 WHERE id <= 5;"
ps shop -e "BEGIN; INSERT INTO big (pad) VALUES (REPEAT('p', 1048576)), (REPEAT('q', 1048576)), (REPEAT('r', 1048576)); COMMIT"
big_gtid=$(ps -e "SELECT @@gtid_binlog_pos")
ps shop -e "INSERT INTO pk (id) VALUES (1000)"

MP=$(tl_free_port)
tl_binlogd_start b "$D" --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass --user.mon.role=monitor \
    --upstream.host=127.0.0.1 --upstream.port="$(tl_port p)" --upstream.user=repl --upstream.password=replpass \
    --stats.large_trx_bytes=2000000 --metrics.listen=127.0.0.1:"$MP" --metrics.traffic_series=4
tl_wait_until 20 tl_port_open "$A"
tl_assert "binlogd mirrors the primary" tl_wait_mirror_caught_up p "$D" 60
b() { mariadb -h127.0.0.1 -P"$A" -umon -N -B -e "$1" 2>&1; }
# The last transaction is applied to the statistics right after the store took it: poll.
tl_assert "statistics have the last transaction" tl_wait_until 10 bash -c \
  "mariadb -h127.0.0.1 -P$A -umon -N -B -e \"SHOW BINLOG STATISTICS LIKE 'shop.pk'\" | awk '{exit !(\$3 == 101)}'"

# -- the oracles: the primary's own view of its binlog --
files=$(tl_binlogs p)
events=$(for f in $files; do ps -e "SHOW BINLOG EVENTS IN '$f'"; done)
# table -> rows events' bytes, and event counts per rows type, from SHOW BINLOG EVENTS
declare -A want_bytes
while read -r t n; do want_bytes[$t]=$n; done < <(awk -F'\t' '
  $3 == "Table_map" { match($6, /\(([^)]*)\)/, m); map[substr($6, 11, index($6, " (") - 11)] = m[1] }
  $3 ~ /_rows_v1$/ { split($6, a, " "); bytes[map[a[2]]] += $5 - $2 }
  END { for (t in bytes) print t, bytes[t] }' <<<"$events")
verbose=$(cd "$(tl_binlog_dir p)" && mariadb-binlog --verbose $files 2>/dev/null)
oracle_rows() { grep -c "^### $1 \`${2%%.*}\`.\`${2#*.}\`" <<<"$verbose"; }

stats=$(b "SHOW BINLOG STATISTICS LIKE 'shop.%'")
col() { awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' <<<"$stats"; }
check_table() {  # TABLE INS UPD DEL
  local t=$1
  tl_assert_eq "$t: rows inserted" "$(col "$t" 3)" "$2"
  tl_assert_eq "$t: rows updated" "$(col "$t" 4)" "$3"
  tl_assert_eq "$t: rows deleted" "$(col "$t" 5)" "$4"
  tl_assert_eq "$t: inserts as mariadb-binlog --verbose counts them" "$(col "$t" 3)" "$(oracle_rows "INSERT INTO" "$t")"
  tl_assert_eq "$t: updates as mariadb-binlog counts them" "$(col "$t" 4)" "$(oracle_rows "UPDATE" "$t")"
  tl_assert_eq "$t: deletes as mariadb-binlog counts them" "$(col "$t" 5)" "$(oracle_rows "DELETE FROM" "$t")"
  tl_assert_eq "$t: bytes = its rows events' sizes on the primary" "$(col "$t" 6)" "${want_bytes[$t]}"
  tl_assert_eq "$t: every rows event decoded" "$(col "$t" 14)" 0
  tl_assert_eq "$t: rows of the last hour = all its rows" "$(col "$t" 10)" "$(( $2 + $3 + $4 ))"
}
check_table shop.pk 101 35 10
check_table shop.nopk_upd 50 20 0
check_table shop.nopk_del 40 0 15
check_table shop.nopk_ins 60 0 0
check_table shop.big 3 0 0
tl_assert_eq "transactions touching shop.pk" "$(col shop.pk 7)" 5
tl_assert "DDL counted under shop.*" test "$(col 'shop.*' 2)" -ge 6
tl_assert_eq "LIKE filters tables" "$(b "SHOW BINLOG STATISTICS LIKE 'shop.nopk%'" | wc -l)" 3

# -- per kind, against the primary's event counts --
kinds=$(b "SHOW BINLOG STATISTICS BY KIND")
kcol() { awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' <<<"$kinds"; }
count_type() { awk -F'\t' -v t="$1" '$3 == t' <<<"$events" | wc -l; }
tl_assert_eq "write_rows events" "$(kcol write_rows 2)" "$(count_type Write_rows_v1)"
tl_assert_eq "update_rows events" "$(kcol update_rows 2)" "$(count_type Update_rows_v1)"
tl_assert_eq "delete_rows events" "$(kcol delete_rows 2)" "$(count_type Delete_rows_v1)"
tl_assert_eq "table_map events" "$(kcol table_map 2)" "$(count_type Table_map)"
tl_assert_eq "rows inserted (all tables)" "$(kcol write_rows 3)" $((101 + 50 + 40 + 60 + 3))
tl_assert_eq "rows updated (all tables)" "$(kcol update_rows 4)" $((35 + 20))
tl_assert_eq "rows deleted (all tables)" "$(kcol delete_rows 5)" $((10 + 15))
ddl=$(awk -F'\t' '$3 == "Query" { sub(/^use `[^`]*`; /, "", $6); if ($6 ~ /^(CREATE|ALTER|DROP)/) n++ } END { print n + 0 }' <<<"$events")
tl_assert_eq "DDL statements" "$(kcol ddl 2)" "$ddl"
tl_assert_eq "DDL statements (the workload's)" "$ddl" 7
total=$(awk -F'\t' '{ s += $6 } END { print s }' <<<"$kinds")
mirrored=$(for f in $files; do stat -c %s "$D/$f"; done | awk '{ s += $1 - 4 } END { print s }')
tl_assert_eq "bytes of all kinds = the mirrored files (less their magic)" "$total" "$mirrored"
srv=$(b "SHOW BINLOG STATISTICS BY SERVER")
tl_assert_eq "one originating server_id" "$(wc -l <<<"$srv")" 1
tl_assert_eq "its id is the primary's" "$(cut -f1 <<<"$srv")" "$(ps -e 'SELECT @@server_id')"

# -- top transactions and the lag doctor --
top=$(b "SHOW BINLOG TOP TRANSACTIONS LIMIT 3")
tl_assert_eq "the largest transaction is the big one" "$(head -1 <<<"$top" | cut -f1)" "$big_gtid"
tl_assert_eq "its rows" "$(head -1 <<<"$top" | cut -f4)" 3
tl_assert_eq "LIMIT 3" "$(wc -l <<<"$top")" 3
doc=$(b "SHOW BINLOG LAG DOCTOR")
echo "$doc" | sed 's/^/       doctor: /'
tl_assert_eq "no-PK findings: exactly the tables that got UPDATE/DELETE" \
  "$(awk -F'\t' '$1 == "no_primary_key" { print $2 }' <<<"$doc" | sort | tr '\n' ' ')" "shop.nopk_del shop.nopk_upd "
tl_assert_eq "rows changed in shop.nopk_upd" "$(awk -F'\t' '$2 == "shop.nopk_upd" { print $6 }' <<<"$doc")" 20
tl_assert_eq "rows changed in shop.nopk_del" "$(awk -F'\t' '$2 == "shop.nopk_del" { print $6 }' <<<"$doc")" 15
tl_assert_eq "the large transaction is flagged with its GTID" \
  "$(awk -F'\t' '$1 == "large_transaction" { print $2 }' <<<"$doc")" "$big_gtid"
tl_assert "no cannot_tell with FULL metadata" tl_not grep -q cannot_tell <<<"$doc"
tl_assert "WARN logged for shop.nopk_upd" tl_log_has b "WARN.*lag doctor: table shop.nopk_upd has no primary key"
tl_assert "WARN logged for the large transaction" tl_log_has b "WARN.*large transaction $big_gtid"
tl_assert_eq "one warning per table" "$(grep -c 'table shop.nopk_del has no primary key' "$(tl_workdir)/b.log")" 1
tl_assert "SHOW STATUS counts the statement" bash -c "mariadb -h127.0.0.1 -P$A -umon -N -B -e \"SHOW STATUS LIKE 'Com_show_binlog_lag_doctor'\" | grep -q '	1$'"
tl_assert "a malformed statement is a parse error" grep -q "ERROR 1064" <<<"$(b "SHOW BINLOG STATISTICS BY NOTHING")"

# -- /metrics: the same numbers at the same moment (the workload is over) --
for t in curl promtool; do command -v $t >/dev/null || { echo "$t missing (scripts/deps.sh)"; exit 2; }; done
W=$(tl_workdir)
curl -sf "http://127.0.0.1:$MP/metrics" > "$W/m.txt"
all=$(b "SHOW BINLOG STATISTICS"); kinds=$(b "SHOW BINLOG STATISTICS BY KIND"); srv=$(b "SHOW BINLOG STATISTICS BY SERVER")
tl_assert "promtool check metrics passes" bash -c "promtool check metrics < '$W/m.txt'"
mval() { awk -v n="$1" '$1 == n { print $2; exit }' "$W/m.txt"; }
# per table from the metrics: "name events bytes transactions inserted updated deleted"
mrows() { awk '
  match($0, /^binlogd_traffic_table_(events|bytes|transactions)_total\{db="([^"]*)",table="([^"]*)"\} ([0-9]+)$/, a) {
    n = a[2] == "(other)" ? "(other)" : a[2] "." a[3]; v[n, a[1]] = a[4]; names[n] = 1 }
  match($0, /^binlogd_traffic_table_rows_total\{db="([^"]*)",table="([^"]*)",op="([a-z]+)"\} ([0-9]+)$/, a) {
    n = a[1] == "(other)" ? "(other)" : a[1] "." a[2]; v[n, a[3]] = a[4]; names[n] = 1 }
  END { for (n in names) print n, v[n, "events"], v[n, "bytes"], v[n, "transactions"], v[n, "insert"], v[n, "update"], v[n, "delete"] }' "$W/m.txt" | sort; }
# the same from SHOW BINLOG STATISTICS, tables not in $1 summed as (other)
srows() { awk -F'\t' -v keep="$1" 'BEGIN { n = split(keep, k, " "); for (i = 1; i <= n; i++) kk[k[i]] = 1 }
  { t = ($1 in kk) ? $1 : "(other)"; e[t] += $2; by[t] += $6; x[t] += $7; ins[t] += $3; up[t] += $4; de[t] += $5; names[t] = 1 }
  END { for (t in names) print t, e[t], by[t], x[t], ins[t], up[t], de[t] }' <<<"$all" | sort; }
labelled=$(mrows | awk '$1 != "(other)" { print $1 }' | tr '\n' ' ')
tl_assert_eq "metrics.traffic_series=4: four tables labelled (the largest)" "$(wc -w <<<"$labelled")" 4
tl_assert "... shop.big (the largest) among them" grep -qw shop.big <<<"$labelled"
tl_assert_eq "... the others summed in one (other) series" "$(mrows | grep -c '^(other) ')" 1
tl_assert_eq "... binlogd_traffic_table_series_folded" "$(mval binlogd_traffic_table_series_folded)" "$(( $(wc -l <<<"$all") - 4 ))"
tl_assert_eq "per-table events, bytes, transactions, rows = SHOW BINLOG STATISTICS" "$(mrows)" "$(srows "$labelled")"
for k in write_rows update_rows delete_rows table_map ddl trx_control other; do
  tl_assert_eq "kind $k: events and bytes = BY KIND" \
    "$(mval "binlogd_traffic_events_total{kind=\"$k\"}") $(mval "binlogd_traffic_bytes_total{kind=\"$k\"}")" \
    "$(awk -F'\t' -v k=$k '$1 == k { print $2, $6 }' <<<"$kinds")"
done
tl_assert_eq "rows inserted = BY KIND" "$(mval 'binlogd_traffic_rows_total{op="insert"}')" "$(awk -F'\t' '$1 == "write_rows" { print $3 }' <<<"$kinds")"
tl_assert_eq "rows deleted = BY KIND" "$(mval 'binlogd_traffic_rows_total{op="delete"}')" "$(awk -F'\t' '$1 == "delete_rows" { print $5 }' <<<"$kinds")"
psid=$(ps -e 'SELECT @@server_id')
tl_assert_eq "server $psid: events, bytes, transactions = BY SERVER" \
  "$(mval "binlogd_traffic_server_events_total{server_id=\"$psid\"}") $(mval "binlogd_traffic_server_bytes_total{server_id=\"$psid\"}") $(mval "binlogd_traffic_server_transactions_total{server_id=\"$psid\"}")" \
  "$(cut -f2,6,7 <<<"$srv" | tr '\t' ' ')"
tl_assert_eq "binlogd_traffic_transactions_total = BY SERVER Transactions" "$(mval binlogd_traffic_transactions_total)" "$(cut -f7 <<<"$srv")"
tl_assert_eq "binlogd_upstream_transactions_received_total = the same" "$(mval binlogd_upstream_transactions_received_total)" "$(cut -f7 <<<"$srv")"
tl_assert_eq "lag doctor: two tables without a primary key" "$(mval binlogd_lag_doctor_tables_without_primary_key)" 2
tl_assert_eq "lag doctor: rows changed in them (20 + 15)" "$(mval binlogd_lag_doctor_rows_without_primary_key_total)" 35
tl_assert_eq "lag doctor: one large transaction" "$(mval binlogd_lag_doctor_large_transactions_total)" 1
tl_assert_eq "lag doctor: FULL metadata, it can tell" "$(mval binlogd_lag_doctor_cannot_tell)" 0
tl_assert_eq "the largest transaction of the hour = TOP TRANSACTIONS" "$(mval binlogd_traffic_largest_transaction_bytes)" "$(head -1 <<<"$top" | cut -f3)"
# -- the status page --
curl -sf "http://127.0.0.1:$MP/" > "$W/page.html"
tl_assert "page: shop.big's row with its bytes" grep -q "<tr data-table=\"shop.big\" data-bytes=\"$(col shop.big 6)\">" "$W/page.html"
tl_assert "page: shop.pk's row with its bytes" grep -q "<tr data-table=\"shop.pk\" data-bytes=\"$(col shop.pk 6)\">" "$W/page.html"
tl_assert_eq "page: the doctor's no-PK tables" \
  "$(sed -n 's/.*<table id="doctor-nopk">\(.*\)/\1/p' "$W/page.html" | grep -o 'data-table="[^"]*"' | head -2 | sort | tr '\n' ' ')" \
  'data-table="shop.nopk_del" data-table="shop.nopk_upd" '
tl_assert "page: the large transaction" grep -q "<table id=\"doctor-large\">.*<tr data-gtid=\"$big_gtid\">" "$W/page.html"

# -- MINIMAL metadata: the doctor cannot tell --
tl_mariadb_start m --binlog-format=ROW --binlog-row-metadata=MINIMAL
mariadb -S "$(tl_sock m)" -uroot -e "CREATE DATABASE s; CREATE TABLE s.t (a INT) ENGINE=InnoDB;
  INSERT INTO s.t VALUES (1), (2); UPDATE s.t SET a = 3; DELETE FROM s.t"
A2=$(tl_free_port); MP2=$(tl_free_port)
tl_binlogd_start m2 "$(tl_workdir)/m2" --binlogd.listen=127.0.0.1:"$A2" --user.repl.password=replpass --user.mon.role=monitor \
    --upstream.host=127.0.0.1 --upstream.port="$(tl_port m)" --upstream.user=repl --upstream.password=replpass \
    --metrics.listen=127.0.0.1:"$MP2"
tl_wait_until 20 tl_port_open "$A2"
tl_assert "binlogd mirrors the MINIMAL primary" tl_wait_mirror_caught_up m "$(tl_workdir)/m2" 60
b2() { mariadb -h127.0.0.1 -P"$A2" -umon -N -B -e "$1" 2>&1; }
tl_assert "its statistics have s.t" tl_wait_until 10 bash -c \
  "mariadb -h127.0.0.1 -P$A2 -umon -N -B -e \"SHOW BINLOG STATISTICS LIKE 's.t'\" | awk '{exit !(\$5 == 2)}'"
doc2=$(b2 "SHOW BINLOG LAG DOCTOR")
tl_assert "the doctor says it cannot tell" grep -q "^cannot_tell	(primary)	.*binlog_row_metadata=FULL" <<<"$doc2"
tl_assert "and flags no table" tl_not grep -q no_primary_key <<<"$doc2"
tl_assert "INFO logged once: cannot be told" tl_log_has m2 "INFO.*cannot be told"
tl_assert "binlogd_lag_doctor_cannot_tell 1" bash -c "curl -sf http://127.0.0.1:$MP2/metrics | grep -q '^binlogd_lag_doctor_cannot_tell 1$'"
tl_assert "the page says it cannot tell" bash -c "curl -sf http://127.0.0.1:$MP2/ | grep -q 'id=\"doctor-cannot-tell\"'"
tl_binlogd_stop m2

# -- statistics off --
tl_binlogd_stop b
tl_binlogd_start b "$D" --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass --user.mon.role=monitor \
    --upstream.host=127.0.0.1 --upstream.port="$(tl_port p)" --upstream.user=repl --upstream.password=replpass \
    --stats.enabled=off --metrics.listen=127.0.0.1:"$MP"
tl_wait_until 20 tl_port_open "$A"
tl_assert "stats.enabled=off: the statement says so" grep -q "statistics are off" <<<"$(b "SHOW BINLOG STATISTICS")"
tl_wait_until 20 tl_port_open "$MP"
curl -sf "http://127.0.0.1:$MP/metrics" > "$W/m3.txt"
tl_assert_eq "stats.enabled=off: binlogd_traffic_enabled 0" "$(awk '$1 == "binlogd_traffic_enabled" { print $2 }' "$W/m3.txt")" 0
tl_assert "... no traffic counters" tl_not grep -q '^binlogd_traffic_events_total' "$W/m3.txt"
tl_assert "... promtool check metrics passes" bash -c "promtool check metrics < '$W/m3.txt'"
tl_assert "... the page says so" bash -c "curl -sf http://127.0.0.1:$MP/ | grep -q 'Traffic statistics are off'"
tl_binlogd_stop b
tl_done
