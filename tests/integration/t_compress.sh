#!/usr/bin/env bash
# Issue #11 "compressed history" (acceptance 7): storage.compress_after replaces closed files by
# their seekable zlib form NAME.z while replicas and tools keep getting the original bytes:
#  1. closed files are compressed (the active one never); SHOW BINARY LOGS keeps the original
#     names and sizes; `binlogd cat` gives each file cmp-identical to the primary's; verify passes;
#  2. a file/pos MariaDB replica starting mid-compressed-file and a GTID replica from an empty
#     state replicate across the compressed files and end with the primary's checksums;
#  3. SHOW BINLOG EVENTS and BINLOG_GTID_POS on a compressed file answer as the primary does;
#  4. after a restart (empty block cache), 50 concurrent mariadb-binlog --raw readers of one
#     compressed file get cmp-identical copies and the block cache inflates each block once;
#     and a binlogd chained behind it copies every compressed file byte for byte;
#  5. verify catches a flipped byte in a compressed file; a reader gets an error, never the bytes;
#     With an archive command switched on there: the damaged file is not archived (log names file
#     and block), stays un-archived and is kept by PURGE; the file before it is archived identical;
#  6. a compression interrupted after NAME.z was complete: the start keeps NAME, removes NAME.z;
#     lost GTID caches are rebuilt from the compressed files;
#  7. the index lost: rebuilt from plain and compressed files alike;
#  8. files compressed while no archive command was set are archived once a reload switches
#     archiving on (the README's local-directory command): each archived copy cmp-identical to
#     the primary's file, made from a checked plain copy in binlogd's spool, which is emptied.
source "$(dirname "$0")/harness.sh"
tl_init compress

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); M=$(tl_free_port); W=$(tl_workdir); D=$W/b; PD=$(tl_datadir p)
tl_sql p "CREATE DATABASE w"
start_b() {
  tl_binlogd_start b "$D" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
      --upstream.password=replpass --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$A" \
      --user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin \
      --storage.compress_after=1 --metrics.listen=127.0.0.1:"$M"
  tl_wait_until 20 tl_port_open "$A"
}
start_b
q() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "$1"; }
# caught up: binlogd lists the primary's files with the primary's sizes (a compressed file has no
# plain copy to stat, so the harness's tl_wait_mirror_caught_up does not apply)
mirrored() { [ "$(q 'SHOW BINARY LOGS' 2>/dev/null | cut -f1,2)" = "$(tl_sql p 'SHOW BINARY LOGS' | cut -f1,2)" ]; }
for i in 1 2 3 4; do tl_wl_small p 100; tl_wl_big p 1; tl_wl_small p 50; tl_flush_logs p; done
tl_wl_small p 20
tl_assert "binlogd mirrors the primary" tl_wait_until 60 mirrored
closed() { sed 's|.*/||' "$D"/*.index | head -n -1; }
all_compressed() { local f; for f in $(closed); do [ -f "$D/$f.z" ] && [ ! -e "$D/$f" ] || return 1; done; }
tl_assert "every closed file is compressed (NAME.z, the plain file removed)" tl_wait_until 30 all_compressed
active=$(sed 's|.*/||' "$D"/*.index | tail -1)
tl_assert "the active file is not compressed" [ -f "$D/$active" -a ! -e "$D/$active.z" ]
tl_assert_eq "SHOW BINARY LOGS lists the original names and sizes" \
  "$(q 'SHOW BINARY LOGS' | cut -f1,2 | head -n -1)" "$(tl_sql p 'SHOW BINARY LOGS' | cut -f1,2 | head -n "$(closed | wc -l)")"
fz=$(closed | head -1)
tl_assert_eq "SHOW BINLOG ARCHIVE: $fz compressed, its stored size that of $fz.z" \
  "$(q 'SHOW BINLOG ARCHIVE' | awk -F'\t' -v f="$fz" '$1 == f { print $2, $9, $10 }')" \
  "$(stat -c %s "$PD/$fz") Yes $(stat -c %s "$D/$fz.z")"
tl_assert_eq "SHOW BINLOG ARCHIVE: the active file is plain" \
  "$(q 'SHOW BINLOG ARCHIVE' | tail -1 | cut -f9)" "No"
bad=0; n=0; orig=0; stored=0
for f in $(closed); do
  n=$((n + 1)); orig=$((orig + $(stat -c %s "$PD/$f"))); stored=$((stored + $(stat -c %s "$D/$f.z")))
  "$BINLOGD_BIN" cat "$D" "$f" | cmp - "$PD/$f" || bad=1
done
tl_log "compressed $n files: $orig -> $stored bytes"
tl_assert "binlogd cat: the $n compressed files are cmp-identical to the primary's" [ $bad = 0 -a $n -ge 4 ]
tl_assert "binlogd cat of the active file works too" bash -c "'$BINLOGD_BIN' cat '$D' '$active' | cmp - '$D/$active'"
tl_assert "binlogd verify passes with compressed files" bash -c "'$BINLOGD_BIN' verify '$D' > '$W/verify1.out'"
tl_assert "... and says it checked their blocks" grep -q "^OK    $(closed | head -1).z: [0-9]* blocks" "$W/verify1.out"

# ---- 2. replicas across compressed files ----
f2=$(closed | sed -n 2p)
# a transaction boundary in the middle of the second file (the end of an Xid event)
pos=$(tl_sql p "SHOW BINLOG EVENTS IN '$f2'" | awk -F'\t' '$3 == "Xid" { print $5 }' | awk '{ a[NR] = $1 } END { print a[int(NR / 2)] }')
tl_mariadb_start r1 --skip-log-bin
tl_sql r1 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass';
   START SLAVE UNTIL MASTER_LOG_FILE='$f2', MASTER_LOG_POS=$pos"
tl_assert "r1 stopped at $f2:$pos, straight from the primary" tl_wait_until 60 tl_replica_at r1 "$f2 $pos"
sql_stopped() { [ "$(tl_slave_field "$1" Slave_SQL_Running)" = No ]; }
io_running() { [ "$(tl_slave_field "$1" Slave_IO_Running)" = Yes ]; }
tl_wait_until 30 sql_stopped r1
tl_sql r1 "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
   MASTER_LOG_FILE='$f2', MASTER_LOG_POS=$pos, MASTER_CONNECT_RETRY=1; START SLAVE"
tl_mariadb_start g1 --skip-log-bin
tl_sql g1 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
   MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
tl_wl_small p 100; tl_flush_logs p; tl_wl_small p 30
tl_assert "binlogd mirrors the primary" tl_wait_until 60 mirrored
at_primary() { [ "$(tl_slave_field "$1" Relay_Master_Log_File) $(tl_slave_field "$1" Exec_Master_Log_Pos)" = "$(tl_master_status p)" ]; }
tl_assert "r1 (file/pos from mid-$f2, compressed) reaches the primary's position" tl_wait_until 60 at_primary r1
tl_assert "g1 (GTID, from the first, compressed, file) reaches the primary's GTID position" tl_wait_until 60 tl_gtid_at g1 p
for r in r1 g1; do
  tl_assert_eq "$r: threads running" "$(tl_slave_field "$r" Slave_IO_Running)$(tl_slave_field "$r" Slave_SQL_Running)" "YesYes"
  tl_assert "$r: CHECKSUM TABLE equal to the primary on every table" tl_same_tables "$r" p
done

# ---- 3. statements reading compressed files ----
tl_assert "$f2 is compressed" [ -f "$D/$f2.z" -a ! -e "$D/$f2" ]
tl_assert_eq "SHOW BINLOG EVENTS IN '$f2' (compressed): positions and types as the primary's" \
  "$(q "SHOW BINLOG EVENTS IN '$f2'" | cut -f1,2,3,5 | md5sum)" "$(tl_sql p "SHOW BINLOG EVENTS IN '$f2'" | cut -f1,2,3,5 | md5sum)"
tl_assert_eq "BINLOG_GTID_POS('$f2', $pos) (compressed) as the primary's" \
  "$(q "SELECT BINLOG_GTID_POS('$f2', $pos)")" "$(tl_sql p "SELECT BINLOG_GTID_POS('$f2', $pos)")"

# ---- 4. 50 concurrent readers after a restart: each block inflated once ----
# Every reader reads every file (--to-last-log): the compressed ones through the block cache.
tl_binlogd_stop b
start_b
tl_assert "after a restart r1 reconnects" tl_wait_until 30 io_running r1
tl_assert "... and g1" tl_wait_until 30 io_running g1
metric() { curl -s "http://127.0.0.1:$M/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
f1=$(closed | head -1)
blocks=$("$BINLOGD_BIN" verify "$D" | awk '$1 == "OK" && $2 ~ /\.z:$/ { n += $3 } END { print n }')
# storage.max_disk_bytes counts bytes on disk: the gauge it is checked against sums NAME.z's size
# for a compressed file (the primary is quiet: the active file's size is its committed size)
tl_assert "every closed file is compressed again" tl_wait_until 30 all_compressed
on_disk() { local t=0 f; for f in $(sed 's|.*/||' "$D"/*.index); do
  if [ -f "$D/$f.z" ]; then t=$((t + $(stat -c %s "$D/$f.z"))); else t=$((t + $(stat -c %s "$D/$f"))); fi; done; echo $t; }
disk_gauge_ok() { [ "$(metric binlogd_storage_binlog_disk_bytes)" = "$(on_disk)" ]; }
tl_assert "/metrics binlogd_storage_binlog_disk_bytes = the files' bytes on disk (compressed ones at NAME.z's size)" \
  tl_wait_until 10 disk_gauge_ok
tl_assert "... well below binlogd_storage_binlog_bytes, the original bytes" \
  [ "$(metric binlogd_storage_binlog_disk_bytes)" -lt "$(metric binlogd_storage_binlog_bytes)" ]
d0=$(metric binlogd_block_cache_decompressions_total); h0=$(metric binlogd_block_cache_hits_total)
pids=()
for i in $(seq 1 50); do
  mkdir -p "$W/r$i"
  (cd "$W/r$i" && timeout 60 mariadb-binlog --read-from-remote-server --raw --host=127.0.0.1 --port="$A" \
     --user=repl --password=replpass --to-last-log "$f1") > "$W/r$i.log" 2>&1 &
  pids+=($!)
done
fails=0; for p_ in "${pids[@]}"; do wait "$p_" || fails=$((fails + 1)); done
tl_assert_eq "50 concurrent mariadb-binlog --raw --to-last-log readers exit 0" "$fails" 0
bad=0; for i in $(seq 1 50); do for f in $(closed); do cmp -s "$W/r$i/$f" "$PD/$f" || bad=$((bad + 1)); done; done
tl_assert_eq "... and their copies of the $(closed | wc -l) compressed files are cmp-identical to the primary's" "$bad" 0
d1=$(metric binlogd_block_cache_decompressions_total); h1=$(metric binlogd_block_cache_hits_total)
tl_log "block cache: $blocks blocks in the compressed files; decompressions $d0 -> $d1, hits $h0 -> $h1"
tl_assert_eq "the block cache inflated each of the $blocks blocks once for 50 readers" "$((d1 - d0))" "$blocks"
tl_assert "... and served the other reads from the cache ($((h1 - h0)) hits)" [ $((h1 - h0)) -ge $((49 * blocks)) ]
tl_assert_eq "SHOW STATUS has the same counter" "$(q "SHOW STATUS LIKE 'Binlogd_block_cache_decompressions'" | cut -f2)" "$d1"
tl_assert "/metrics: the compressed bytes are counted" [ "$(metric binlogd_compress_stored_bytes_total)" -ge 0 ]

# ---- 4b. a binlogd chained behind this one copies the compressed files byte for byte ----
C=$(tl_free_port)
tl_binlogd_start c "$W/c" --binlogd.listen=127.0.0.1:"$C" --upstream.host=127.0.0.1 --upstream.port="$A" \
    --upstream.user=repl --upstream.password=replpass --upstream.retry_min_ms=100 --upstream.start_file="$f1"
chain_has_all() { local f; for f in $(closed); do cmp -s "$W/c/$f" "$PD/$f" || return 1; done; }
tl_assert "a chained binlogd gets every compressed file cmp-identical to the primary's" tl_wait_until 60 chain_has_all
tl_binlogd_stop c

# ---- 5. a flipped byte in a compressed file ----
tl_binlogd_stop b
tl_assert "verify passes after a clean stop" "$BINLOGD_BIN" verify "$D"
cp -a "$D" "$W/flip"
printf '\x55' | dd of="$W/flip/$f2.z" bs=1 seek=200 conv=notrunc 2>/dev/null
"$BINLOGD_BIN" verify "$W/flip" > "$W/verify2.out" 2>&1; rc=$?
tl_assert_eq "verify fails on a flipped byte in $f2.z" "$rc" 1
tl_assert "... and names the damaged block" grep -q "^ERROR $f2.z: block [0-9]* " "$W/verify2.out"
tl_assert "binlogd cat refuses the damaged file" tl_not "$BINLOGD_BIN" cat "$W/flip" "$f2" > /dev/null
FP=$(tl_free_port); f3=$(closed | sed -n 3p)
mkdir -p "$W/flip-arch"
tl_binlogd_start flip "$W/flip" --binlogd.listen=127.0.0.1:"$FP" --user.repl.password=replpass \
    --user.ops.password=opspass --user.ops.role=admin --storage.archive_retry_max_ms=1000 \
    --storage.archive_command="cp %p $W/flip-arch/%f"
tl_wait_until 20 tl_port_open "$FP"
mkdir -p "$W/flipread"
(cd "$W/flipread" && timeout 60 mariadb-binlog --read-from-remote-server --raw --host=127.0.0.1 --port="$FP" \
   --user=repl --password=replpass --to-last-log "$f1") > "$W/flipread.log" 2>&1; rc=$?
tl_assert "a reader of the damaged file gets an error, not the bytes (exit $rc)" [ $rc -ne 0 ]
tl_assert "... a primary's read error (ERR 1236: I/O error reading log event) naming the file" grep -q "I/O error reading log event.*$f2" "$W/flipread.log"
tl_assert "... the file before it arrived whole" cmp "$W/flipread/$f1" "$PD/$f1"
tl_assert "... and binlogd logged the damaged block" tl_log_has flip "damaged block"
tl_assert "the archive command got $f1 (compressed) cmp-identical to the primary's" \
  tl_wait_until 20 cmp -s "$W/flip-arch/$f1" "$PD/$f1"
tl_assert "the damaged $f2.z is not archived: the log names the file and the block" \
  tl_wait_until 20 tl_log_has flip "cannot archive $f2: $f2.z: block [0-9]* of [0-9]* (original offsets [0-9]*-[0-9]*): "
tl_assert "... nothing reached the archive for it, nor for a later file" [ ! -e "$W/flip-arch/$f2" -a ! -e "$W/flip-arch/$f3" ]
fq() { mariadb -h127.0.0.1 -P"$FP" -uops -popspass -N -B -e "$1"; }
tl_assert_eq "SHOW BINLOG ARCHIVE: $f2 not archived, its last error names the block" \
  "$(fq 'SHOW BINLOG ARCHIVE' | awk -F'\t' -v f="$f2" '$1 == f { print $3, ($7 ~ /block [0-9]+ of/) }')" "No 1"
tl_assert "PURGE BINARY LOGS TO a later file keeps $f2: Warning 1375, not archived yet" \
  bash -c "mariadb -h127.0.0.1 -P$FP -uops -popspass -N -B -e \"PURGE BINARY LOGS TO '$(closed | tail -1)'; SHOW WARNINGS\" | grep -q \"1375.*'$f2' is not purged because it is not archived yet\""
tl_assert "... $f2.z stays" [ -f "$W/flip/$f2.z" ]
tl_binlogd_stop flip
tl_assert "the spool of decompressed copies is empty after the stop" \
  bash -c "[ -z \"\$(ls -A '$W/flip/.binlogd-archive-spool' 2>/dev/null)\" ]"

# ---- 6. a compression interrupted before the plain file was removed: both forms there ----
"$BINLOGD_BIN" cat "$D" "$f3" > "$W/$f3.plain" && mv "$W/$f3.plain" "$D/$f3"
tl_assert "verify notes the interrupted compression" bash -c "'$BINLOGD_BIN' verify '$D' | grep -q '^NOTE  $f3.z: a compression was interrupted'"
# ... and the GTID caches lost: the start rebuilds them from the compressed files' bytes
rm -f "$D"/*.gtid_index "$D/.binlogd-gtidpos/$f1" "$D/.binlogd-gtidpos/$f2"
tl_binlogd_start b "$D" --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass --user.ops.password=opspass \
    --user.ops.role=admin
tl_wait_until 20 tl_port_open "$A"
tl_assert "the start keeps the plain file and removes the copy" tl_log_has b "$f3.z: removed: an interrupted compression"
tl_assert "the GTID position sidecars of compressed $f1 and $f2 are rebuilt" \
  test -s "$D/.binlogd-gtidpos/$f1" -a -s "$D/.binlogd-gtidpos/$f2"
tl_assert_eq "BINLOG_GTID_POS('$f2', $pos) still as the primary's" \
  "$(q "SELECT BINLOG_GTID_POS('$f2', $pos)")" "$(tl_sql p "SELECT BINLOG_GTID_POS('$f2', $pos)")"
tl_assert "... so $f3 is plain again and identical to the primary's" cmp "$D/$f3" "$PD/$f3"
tl_assert "... $f3.z is gone" [ ! -e "$D/$f3.z" ]
tl_binlogd_stop b
tl_assert "verify passes (the rebuilt GTID index and positions agree with the compressed files)" \
  bash -c "'$BINLOGD_BIN' verify '$D' > '$W/verify3.out'"
tl_assert "... it checked the GTID index" grep -q "^OK    .*gtid_index: [0-9]* entries agree" "$W/verify3.out"
# ---- 7. the index lost: rebuilt from plain and compressed files alike ----
cp "$D"/*.index "$W/index.before"; rm -f "$D"/*.index
tl_binlogd_start b "$D" --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass --user.ops.password=opspass \
    --user.ops.role=admin
tl_wait_until 20 tl_port_open "$A"
tl_assert_eq "the index rebuilt from the directory lists the compressed files by their names" \
  "$(sed 's|.*/||' "$D"/*.index)" "$(sed 's|.*/||' "$W/index.before")"
tl_assert_eq "... and SHOW BINARY LOGS has their original sizes" \
  "$(q 'SHOW BINARY LOGS' | cut -f1,2 | head -n "$(closed | wc -l)")" "$(tl_sql p 'SHOW BINARY LOGS' | cut -f1,2 | head -n "$(closed | wc -l)")"
tl_binlogd_stop b

# ---- 8. archiving switched on (reload) after the files were compressed ----
mkdir -p "$W/arch"
printf '[binlogd]\nlisten = 127.0.0.1:%s\n[user.ops]\npassword = opspass\nrole = admin\n[storage]\n' "$A" > "$W/b8.conf"
tl_binlogd_start b "$D" --config="$W/b8.conf"
tl_wait_until 20 tl_port_open "$A"
tl_assert_eq "before: no closed file is archived (archiving off)" \
  "$(q 'SHOW BINLOG ARCHIVE' | awk -F'\t' '$3 == "Yes"' | wc -l)" 0
LOCAL_CMD='if [ -f ARCH/%f ]; then cmp -s %p ARCH/%f; else cp %p ARCH/%f.part && sync ARCH/%f.part && mv ARCH/%f.part ARCH/%f && sync ARCH; fi'
grep -qF "${LOCAL_CMD//ARCH//mnt/archive}" "$TL_REPO/README.md"
tl_assert "the local-directory command is the README's" [ $? -eq 0 ]
echo "archive_command = ${LOCAL_CMD//ARCH/$W/arch}" >> "$W/b8.conf"
kill -HUP "$(tl_binlogd_pid b)"
all_archived() { local f; for f in $(closed); do cmp -s "$W/arch/$f" "$PD/$f" || return 1; done; }
tl_assert "after the reload every closed file is archived, cmp-identical to the primary's" tl_wait_until 60 all_archived
ncomp=$(for f in $(closed); do [ -f "$D/$f.z" ] && echo "$f"; done | wc -l)
tl_assert "... $ncomp of them from their compressed form, through a decompressed copy in the spool" \
  [ "$ncomp" -ge 3 -a "$(grep -c "decompressed its copy (.*every block checked) for the archive command" "$TL_DIR/b.log")" -ge "$ncomp" ]
tl_assert_eq "SHOW BINLOG ARCHIVE: every closed file archived" \
  "$(q 'SHOW BINLOG ARCHIVE' | awk -F'\t' '$3 == "Yes"' | wc -l)" "$(closed | wc -l)"
tl_assert "the compressed files stay compressed" [ -f "$D/$f1.z" -a ! -e "$D/$f1" ]
spool_empty() { [ -z "$(ls -A "$D/.binlogd-archive-spool")" ]; }
tl_assert "the spool holds no copy once the commands ended" tl_wait_until 5 spool_empty
tl_binlogd_stop b
tl_assert "binlogd verify passes with the spool in the data directory" "$BINLOGD_BIN" verify "$D"
tl_done
