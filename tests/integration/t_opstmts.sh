#!/usr/bin/env bash
# Issue #13: the operators' statements answered from binlogd's stored files exactly as the primary
# answers them from its own (the files are byte-identical): SHOW BINLOG EVENTS (every column, the
# IN / FROM / LIMIT forms, its errors) and BINLOG_GTID_POS at every transaction boundary of a file.
source "$(dirname "$0")/harness.sh"
tl_init opstmts

tl_mariadb_start p
A=$(tl_free_port); D=$(tl_workdir)/b
# Workload: DDL, InnoDB row transactions (Gtid BEGIN, Annotate_rows, Table_map, Write/Update/
# Delete_rows_v1, Xid), a MyISAM statement (Query COMMIT), a multi-statement transaction, a
# statement with foreign_key_checks=0 (the Query "set ...;" prefix), then a rotation.
tl_sql p "CREATE DATABASE w; CREATE TABLE w.t (id INT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB;
  CREATE TABLE w.m (a INT) ENGINE=MyISAM;
  INSERT INTO w.t VALUES (1, 'one'), (2, 'two');
  BEGIN; INSERT INTO w.t VALUES (3, 'three'); UPDATE w.t SET v = 'uno' WHERE id = 1; DELETE FROM w.t WHERE id = 2; COMMIT;
  INSERT INTO w.m VALUES (7);
  SET foreign_key_checks = 0; CREATE TABLE w.f (a INT PRIMARY KEY) ENGINE=InnoDB; SET foreign_key_checks = 1;
  ALTER TABLE w.t ADD COLUMN c INT"
tl_wl_small p 20
tl_flush_logs p
tl_sql p "INSERT INTO w.t VALUES (10, 'ten', 1); INSERT INTO w.m VALUES (8); DROP TABLE w.f"
first=$(tl_binlogs p | head -1); second=$(tl_binlogs p | sed -n 2p)

tl_binlogd_start b "$D" --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass \
    --upstream.host=127.0.0.1 --upstream.port="$(tl_port p)" --upstream.user=repl --upstream.password=replpass
tl_wait_until 20 tl_port_open "$A"
tl_assert "binlogd mirrors the primary" tl_wait_mirror_caught_up p "$D" 60
tl_assert "the closed file is byte-identical" cmp "$(tl_binlog_dir p)/$first" "$D/$first"

b() { mariadb -h127.0.0.1 -P"$A" -urepl -preplpass -N -B -e "$1" 2>&1; }
p() { mariadb -S "$(tl_sock p)" -uroot -N -B -e "$1" 2>&1; }
same() {  # DESCRIPTION STATEMENT: both answer the same (rows or error text)
  local got want
  got=$(b "$2"); want=$(p "$2")
  tl_assert_eq "$1" "$got" "$want"
  [ "$got" = "$want" ] || diff <(echo "$want") <(echo "$got") | head -10
}
# mariadbd sends SHOW BINLOG EVENTS' column definitions before a late ERR, and so does binlogd:
# the client's whole output (how it shows the error included) must match, not only the ERROR line.
same_err() {  # DESCRIPTION STATEMENT
  local got want
  got=$(b "$2"); want=$(p "$2")
  tl_assert "$1 (mariadbd answers an error)" grep -q '^ERROR' <<<"$want"
  tl_assert_eq "$1" "$got" "$want"
}

# -- SHOW BINLOG EVENTS: every column of every event, closed and active file --
same "no IN: the first file, all columns" "SHOW BINLOG EVENTS"
same "IN the closed file" "SHOW BINLOG EVENTS IN '$first'"
same "IN the active file" "SHOW BINLOG EVENTS IN '$second'"
rows=$(b "SHOW BINLOG EVENTS IN '$first'")
for t in Format_desc Gtid_list Binlog_checkpoint Gtid Query Annotate_rows Table_map Write_rows_v1 Update_rows_v1 Delete_rows_v1 Xid Rotate; do
  tl_assert "the first file shows $t events" grep -q "	$t	" <<<"$rows"
done
tl_assert "a Query event shows the foreign_key_checks prefix" grep -q "set foreign_key_checks=0; CREATE TABLE" <<<"$rows"
tl_assert "a MyISAM statement ends with Query COMMIT" grep -qP "\tQuery\t.*\tCOMMIT$" <<<"$rows"
mid=$(awk -F'\t' '$3 == "Table_map" { print $2; exit }' <<<"$rows")
last=$(awk -F'\t' 'END { print $5 }' <<<"$rows")
same "FROM an event boundary" "SHOW BINLOG EVENTS IN '$first' FROM $mid"
same "FROM 0 acts as 4" "SHOW BINLOG EVENTS IN '$first' FROM 0"
same "FROM the end of the file: no rows" "SHOW BINLOG EVENTS IN '$first' FROM $last"
same "LIMIT n" "SHOW BINLOG EVENTS IN '$first' LIMIT 5"
same "LIMIT offset, n" "SHOW BINLOG EVENTS IN '$first' LIMIT 3, 4"
same "LIMIT n OFFSET m" "SHOW BINLOG EVENTS IN '$first' LIMIT 4 OFFSET 3"
same "FROM + LIMIT" "SHOW BINLOG EVENTS IN '$first' FROM $mid LIMIT 2, 3"
same "LIMIT 0 still shows one row (mariadbd's quirk)" "SHOW BINLOG EVENTS IN '$first' LIMIT 0"
same "LIMIT 2, 0: no rows" "SHOW BINLOG EVENTS IN '$first' LIMIT 2, 0"
same "no IN, LIMIT" "SHOW BINLOG EVENTS LIMIT 2"
same_err "a file not in the index: 1220" "SHOW BINLOG EVENTS IN 'nosuch-bin.000001'"
same_err "a path is not an index entry: 1220" "SHOW BINLOG EVENTS IN './$first'"
same_err "FROM inside an event: 1220 Wrong offset" "SHOW BINLOG EVENTS IN '$first' FROM $((mid + 1))"
same_err "FROM past the end: 1220 with the sizes" "SHOW BINLOG EVENTS IN '$first' FROM $((last + 100))"

# -- BINLOG_GTID_POS at every transaction boundary of both files, and elsewhere --
boundaries() {  # FILE: the file start and the end of every Xid / COMMIT / standalone-GTID group
  b "SHOW BINLOG EVENTS IN '$1'" | awk -F'\t' '
    BEGIN { print 4 }
    $3 == "Gtid" { standalone = ($6 ~ /^GTID /); next }
    $3 == "Xid" || ($3 == "Query" && ($6 == "COMMIT" || standalone)) { print $5; standalone = 0 }'
}
for f in "$first" "$second"; do
  n=0; bad=0
  for pos in $(boundaries "$f"); do
    n=$((n + 1))
    got=$(b "SELECT BINLOG_GTID_POS('$f', $pos)"); want=$(p "SELECT BINLOG_GTID_POS('$f', $pos)")
    [ "$got" = "$want" ] || { bad=$((bad + 1)); echo "  $f $pos: got '$got', want '$want'"; }
  done
  tl_assert_eq "BINLOG_GTID_POS equals the primary's at all $n transaction boundaries of $f" "$bad" "0"
  tl_assert "... which are more than a handful" [ "$n" -gt 3 ]
done
ann=$(awk -F'\t' '$3 == "Annotate_rows" { print $2; exit }' <<<"$rows")
same "BINLOG_GTID_POS inside a transaction (an event boundary)" "SELECT BINLOG_GTID_POS('$first', $ann)"
same "BINLOG_GTID_POS inside an event: NULL" "SELECT BINLOG_GTID_POS('$first', $((ann + 1)))"
same "BINLOG_GTID_POS at the end of the file" "SELECT BINLOG_GTID_POS('$first', $last)"
same "BINLOG_GTID_POS past the end: NULL" "SELECT BINLOG_GTID_POS('$first', $((last + 1000)))"
same "BINLOG_GTID_POS pos 0 acts as 4" "SELECT BINLOG_GTID_POS('$second', 0)"
same "BINLOG_GTID_POS '' is the first file" "SELECT BINLOG_GTID_POS('', $last)"
same "BINLOG_GTID_POS of a file not in the index: NULL" "SELECT BINLOG_GTID_POS('nosuch-bin.000001', 4)"
same "BINLOG_GTID_POS with a NULL argument" "SELECT BINLOG_GTID_POS(NULL, 4), BINLOG_GTID_POS('$first', NULL)"
same "BINLOG_GTID_POS with a negative / too large pos: NULL" "SELECT BINLOG_GTID_POS('$first', -1), BINLOG_GTID_POS('$first', 4294967296)"

# -- several domains: the same GTIDs (mariadbd prints them in its hash order; binlogd sorts) --
tl_sql p "SET gtid_domain_id = 5; INSERT INTO w.t VALUES (50, 'd5', 5); SET gtid_domain_id = 7; INSERT INTO w.t VALUES (70, 'd7', 7)"
tl_assert "binlogd mirrors the other domains" tl_wait_mirror_caught_up p "$D" 60
end2=$(p "SHOW MASTER STATUS" | cut -f2)
sorted() { tr ',' '\n' <<<"$1" | sort; }
tl_assert_eq "BINLOG_GTID_POS with three domains: the same GTIDs" \
  "$(sorted "$(b "SELECT BINLOG_GTID_POS('$second', $end2)")")" "$(sorted "$(p "SELECT BINLOG_GTID_POS('$second', $end2)")")"
tl_assert_eq "... binlogd lists them by domain" "$(b "SELECT BINLOG_GTID_POS('$second', $end2)" | tr ',' '\n' | cut -d- -f1 | tr '\n' ' ')" "0 5 7 "

# -- a binlogd that follows binlogd with upstream.use_gtid: the GTID search asks BINLOG_GTID_POS --
C=$(tl_workdir)/c; CA=$(tl_free_port)
tl_binlogd_start c "$C" --binlogd.listen=127.0.0.1:"$CA" --user.ops.password=opspass --user.ops.role=admin \
    --upstream.host=127.0.0.1 --upstream.port="$(tl_port p)" --upstream.user=repl --upstream.password=replpass
tl_wait_until 20 tl_port_open "$CA"
tl_assert "binlogd c mirrors the primary" tl_wait_mirror_caught_up p "$C" 60
ops() { mariadb -h127.0.0.1 -P"$CA" -uops -popspass -N -B -e "$1" 2>&1; }
tl_assert_eq "c: STOP SLAVE" "$(ops 'STOP SLAVE')" ""
tl_flush_logs p
tl_wl_small p 10
tl_assert "b follows the rotation" tl_wait_mirror_caught_up p "$D" 60
tl_assert_eq "c: CHANGE MASTER to binlogd b, no file (GTID continuity)" \
  "$(ops "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass', MASTER_USE_GTID=slave_pos")" ""
tl_assert_eq "c: START SLAVE" "$(ops 'START SLAVE')" ""
third=$(tl_binlogs p | sed -n 3p)
has_third() { [ -f "$C/$third" ] && [ "$(stat -c %s "$C/$third")" = "$(stat -c %s "$D/$third")" ]; }
tl_assert "c continues from b at the file that starts at its GTID state" tl_wait_until 60 has_third
tl_assert "c's copy of the new file is the primary's" tl_file_prefix_of "$(tl_binlog_dir p)/$third" "$C/$third"

tl_done
