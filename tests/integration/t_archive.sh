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
tl_assert "maria: binlogd verify checks the GTID index against the files" \
  bash -c "'$BINLOGD_BIN' verify '$W/maria' | grep -q 'gtid_index: ${#files[@]} entries agree'"
# A GTID index that lies (right size, wrong state) is caught by verify (binlogd trusts an entry
# whose size matches; deleting the file makes it rebuild).
sed -i '2s/\t0-\([0-9]*\)-\([0-9]*\)$/\t0-\1-999999/' "$W/maria/p-bin.gtid_index"
tl_assert "maria: verify fails on a lying GTID index" bash -c "! '$BINLOGD_BIN' verify '$W/maria' > '$W/v.out'"
tl_assert "maria: ... and names the entry" grep -q "ERROR p-bin.gtid_index: entry for ${files[0]}" "$W/v.out"

tl_done
