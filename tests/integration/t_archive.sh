#!/usr/bin/env bash
# Issue #4 "serving an archive with no upstream": binlogd started on a data directory that
# holds binlog files but no index and no upstream serves them. The MySQL 5.7 / 8.0 binlogs of
# mariadb-test-data reach mariadb-binlog and a second binlogd (whose upstream is the first)
# byte-identical; so do real MariaDB files copied from a primary's datadir.
source "$(dirname "$0")/harness.sh"
tl_init archive

STD=${BINLOGD_STD_DATA:-/usr/share/mysql/mysql-test/std_data}
W=$(tl_workdir)

# serve_and_copy NAME DIR FILES...: archive binlogd on DIR, then a chained binlogd and
# mariadb-binlog --raw read every file; all three copies must be identical.
serve_and_copy() {
  local n=$1 dir=$2; shift 2
  local a c out
  a=$(tl_free_port); c=$(tl_free_port)
  tl_binlogd_start "$n" "$dir" --binlogd.listen=127.0.0.1:"$a" --user.repl.password=replpass
  tl_wait_until 20 tl_port_open "$a" || { tl_assert "$n: archive binlogd listens" false; return; }
  tl_assert "$n: no upstream, serving stored files" tl_log_has "$n" "serving the stored files only"
  out=$W/$n.raw; mkdir -p "$out"
  (cd "$out" && timeout 60 mariadb-binlog --read-from-remote-server --raw --host=127.0.0.1 --port="$a" \
     --user=repl --password=replpass --to-last-log "$1") > "$W/$n.mb.log" 2>&1
  tl_assert "$n: mariadb-binlog exits 0" [ $? -eq 0 ]
  local f all=1
  for f in "$@"; do cmp -s "$dir/$f" "$out/$f" || { all=0; echo "  $f: $(cmp "$dir/$f" "$out/$f" 2>&1 | head -1)"; }; done
  tl_assert "$n: mariadb-binlog copies are byte-identical ($# files)" [ $all = 1 ]
  # binlogd behind binlogd, file/position mode from the first file
  tl_binlogd_start "${n}_chain" "$W/${n}_chain" --upstream.host=127.0.0.1 --upstream.port="$a" \
      --upstream.user=repl --upstream.password=replpass --upstream.start_file="$1"
  local last=${!#}
  tl_wait_until 60 cmp -s "$dir/$last" "$W/${n}_chain/$last"
  all=1
  for f in "$@"; do cmp -s "$dir/$f" "$W/${n}_chain/$f" || { all=0; echo "  chain $f: $(cmp "$dir/$f" "$W/${n}_chain/$f" 2>&1 | head -1)"; }; done
  tl_assert "$n: binlogd -> binlogd copies are byte-identical ($# files)" [ $all = 1 ]
  tl_assert "$n: the chained copy verifies" "$BINLOGD_BIN" verify "$W/${n}_chain"
  tl_binlogd_stop "${n}_chain"
  tl_binlogd_stop "$n"
  tl_assert "$n: the archive got an index" [ -f "$dir/$(echo "$1" | sed 's/\.[0-9]*$//').index" ]
}

for f in mdev35643_mysql_80_binlog.000001 rpl/mysql-8.0.13-stm-temporal-round-binlog.000001 \
         rpl/mysql-5.7.11-stm-temporal-round-binlog.000001; do
  [ -f "$STD/$f" ] || { tl_log "skip: $STD/$f not installed"; continue; }
  b=$(basename "$f"); n=my$(echo "$b" | tr -dc 0-9 | head -c 6)
  mkdir -p "$W/$n"; cp "$STD/$f" "$W/$n/"
  serve_and_copy "$n" "$W/$n" "$b"
done

# MySQL 8.0 bytes with real GTIDs (mariadb-test-data only has anonymous ones: gtidify turns
# them into UUID:1..9): served to MySQL auto-position dumps (COM_BINLOG_DUMP_GTID).
U=3e11fa47-71ca-11e1-9e33-c80aa9429562
mkdir -p "$W/mygtid"
ngtid=$("$TL_REPO/bin/gtidify" "$STD/mdev35643_mysql_80_binlog.000001" "$W/mygtid/my80g-bin.000001" "$U")
tl_assert_eq "gtidify made 9 GTIDs" "$ngtid" "9"
g=$(tl_free_port)
tl_binlogd_start mygtid "$W/mygtid" --binlogd.listen=127.0.0.1:"$g" --user.repl.password=replpass
tl_wait_until 20 tl_port_open "$g"
gq() { mariadb -h127.0.0.1 -P"$g" -urepl -preplpass -N -B -e "$1"; }
tl_assert_eq "GTID_MODE from what the files say" "$(gq 'SELECT @@GLOBAL.GTID_MODE')" "ON"
tl_assert_eq "gtid_executed from the files" "$(gq 'SELECT @@GLOBAL.gtid_executed')" "$U:1-9"
dump_gtid() { "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$g" -u repl -p replpass -F 1 -s 0 -M "$1" 2>&1; }
out=$(dump_gtid "")
tl_assert "empty set: every transaction ($out)" grep -q "end=eof errno=0.*gtid_events=9 heartbeats=0" <<<"$out"
out=$(dump_gtid "$U:1-5")
tl_assert "set 1-5: the other 4, the skipped ones announced by a heartbeat ($out)" \
  grep -q "end=eof errno=0.*gtid_events=4 heartbeats=[1-9]" <<<"$out"
out=$(dump_gtid "$U:1-9")
tl_assert "caught up: no transaction, a heartbeat at the end ($out)" grep -q "end=eof errno=0.*gtid_events=0 heartbeats=[1-9]" <<<"$out"
out=$(dump_gtid "$U:1-12")
tl_assert "replica with more GTIDs than the source -> 1236 ($out)" grep -q "errno=1236.*Replica has more GTIDs" <<<"$out"
tl_binlogd_stop mygtid
serve_and_copy mygtid2 "$W/mygtid" my80g-bin.000001

# Real MariaDB files with GTIDs, several of them, copied from a primary (no index).
tl_mariadb_start p
tl_sql p "CREATE DATABASE w"
tl_wl_small p 300; tl_flush_logs p; tl_wl_ddl p; tl_wl_small p 200; tl_flush_logs p; tl_wl_small p 100
tl_mariadb_stop p
mkdir -p "$W/maria"
mapfile -t files < <(sed 's|.*/||' "$(tl_datadir p)"/p-bin.index)
for f in "${files[@]}"; do cp "$(tl_datadir p)/$f" "$W/maria/"; done
serve_and_copy maria "$W/maria" "${files[@]}"
tl_assert "maria: the GTID index was built from the files" grep -q "mariadb" "$W/maria/p-bin.gtid_index"
a=$(tl_free_port)
tl_binlogd_start maria2 "$W/maria" --binlogd.listen=127.0.0.1:"$a" --user.repl.password=replpass
tl_wait_until 20 tl_port_open "$a"
out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$a" -u repl -p replpass -F 1 -s 0 -M "" 2>&1)
tl_assert "maria: a MySQL auto-position dump of a MariaDB history -> 1236 GTID_MODE ($out)" \
  grep -q "errno=1236.*GTID_MODE = OFF instead of ON" <<<"$out"
tl_binlogd_stop maria2
tl_assert "maria: binlogd verify checks the GTID index against the files" \
  bash -c "'$BINLOGD_BIN' verify '$W/maria' | grep -q 'gtid_index: ${#files[@]} entries agree'"
# A GTID index that lies (right size, wrong state) is caught by verify (binlogd trusts an entry
# whose size matches; deleting the file makes it rebuild).
sed -i '2s/\t0-\([0-9]*\)-\([0-9]*\)$/\t0-\1-999999/' "$W/maria/p-bin.gtid_index"
cp "$W/maria/${files[0]}" "$W/maria/p-bin.000099"
tl_assert "maria: verify fails on a binlog the index does not list" bash -c "! '$BINLOGD_BIN' verify '$W/maria' > '$W/v0.out'"
tl_assert "maria: ... and names it" grep -q "ERROR p-bin.000099: looks like a binlog but is not in the index" "$W/v0.out"
rm -f "$W/maria/p-bin.000099"
tl_assert "maria: verify fails on a lying GTID index" bash -c "! '$BINLOGD_BIN' verify '$W/maria' > '$W/v.out'"
tl_assert "maria: ... and names the entry" grep -q "ERROR p-bin.gtid_index: entry for ${files[0]}" "$W/v.out"

tl_done
