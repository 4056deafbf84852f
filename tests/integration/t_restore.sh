#!/usr/bin/env bash
# Issue #11 "history restored on demand": storage.restore_command (acceptance 6).
# A MariaDB primary's files are mirrored, archived to a local directory (archive_command) and
# purged here (PURGE BINARY LOGS); then, through restored copies fetched with restore_command
# into the bounded spool:
#  a. a new file/position replica starting at the very first file reaches the primary's
#     CHECKSUM TABLE (and a raw dump of the purged files is cmp-identical to the primary's);
#  b. a GTID replica whose state lies in a purged file does too;
#  c. a corrupted archive copy is refused: ERR 1236 naming the file and the reason, and a log line;
#  d. the spool stays under storage.restore_spool_bytes while the replicas read (du, sampled);
#  and a reader stalled in a restored copy keeps every local file from PURGE BINARY LOGS;
#  e. storage.restore_jobs: two dumps needing two different purged files, with a command that
#     takes 1.5 s, get their first events after about one fetch with 2 jobs, two with 1 job.
#  f. a MariaDB replica waiting for a slow archive (a FIFO the test fills when it chooses) does
#     not time out: with slave_net_timeout=2 and MASTER_HEARTBEAT_PERIOD=0.5 it gets heartbeats
#     while its first file is fetched, and again while the next file is (the first copy's
#     ROTATE held back), as does a GTID replica that joins that second fetch (its
#     Master_Log_File empty); one dump for each in binlogd's log, their I/O threads running.
#  g. storage.max_disk_bytes purges the files under a stalled reader (archived): it reads on to
#     the end of its file, then gets the purged ones after it restored, then the local ones:
#     every file byte for byte, EOF without an error.
#  h. a purge killed (BINLOGD_PURGE_CRASH=index) after its index step: after the restart the
#     file is still served, restored from the archive.
source "$(dirname "$0")/harness.sh"
tl_init restore

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); M=$(tl_free_port); W=$(tl_workdir); D=$W/b; PD=$(tl_datadir p); SP=$D/.binlogd-restore
mkdir -p "$W/arch"
# Five closed files of about the same size before binlogd starts (it mirrors them all); the
# GTID replica's old state lies in the middle of the second one.
tl_sql p "CREATE DATABASE w; CREATE TABLE w.k (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
for i in 1 2 3 4 5; do
  tl_wl_small p 150
  [ $i = 2 ] && mid=$(tl_sql p "SELECT @@gtid_binlog_pos")
  tl_wl_small p 150
  tl_flush_logs p
done
mapfile -t FILES < <(tl_binlogs p)
first=${FILES[0]}; keep=${FILES[4]}
max=0; for f in "${FILES[@]:0:4}"; do s=$(stat -c %s "$PD/$f"); [ "$s" -gt "$max" ] && max=$s; done
# Three copies fit, a fourth does not: two replicas reading two copies (pinned, never removed)
# and a third being fetched stay within it, and the four purged files make it evict.
BOUND=$((max * 3 + max / 2))
RESTORE_CMD='cp ARCH/%f %p'
tl_assert "the local-directory restore command is the README's" \
  grep -qF "restore_command = ${RESTORE_CMD//ARCH//mnt/archive}" "$TL_REPO/README.md"
{ tl_conf_head "$A" "$P"; cat <<EOF
[storage]
archive_command = test ! -f $W/arch/%f && cp %p $W/arch/%f
restore_command = ${RESTORE_CMD//ARCH/$W/arch}
restore_timeout = 20
restore_spool_bytes = $BOUND
[metrics]
listen = 127.0.0.1:$M
[user.repl]
password = replpass
[user.ops]
password = opspass
role = admin
EOF
} > "$W/b.conf"
tl_binlogd_start b "$D" --config="$W/b.conf"
tl_assert "binlogd mirrors the primary's ${#FILES[@]} files" tl_wait_mirror_caught_up p "$D" 30
q() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "$1"; }
archived() { q "SHOW BINLOG ARCHIVE" | awk -F'\t' -v f="$1" '$1 == f && $3 == "Yes" { ok = 1 } END { exit !ok }'; }
four_archived() { local f; for f in "${FILES[@]:0:4}"; do archived "$f" || return 1; done; }
tl_assert "the first four files are archived" tl_wait_until 20 four_archived
q "PURGE BINARY LOGS TO '$keep'"
tl_assert "PURGE BINARY LOGS removed $first..${FILES[3]} here" bash -c "! ls '$D' | grep -q -x -e '$first' -e '${FILES[3]}'"
tl_assert_eq "... the archive state marks them purged" "$(q "SHOW BINLOG ARCHIVE" | awk -F'\t' '$4 == "purged"' | wc -l)" 4

# d. sample the spool's size while the replicas read (a measurement, not a synchronisation)
( while :; do du -sb "$SP" 2>/dev/null | cut -f1; sleep 0.05; done > "$W/spool.du" ) &
DU=$!; tl_track_pid $DU

# a. a raw non-blocking dump from the first file: the purged files come back byte for byte
mkdir -p "$W/raw"
out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4 -F 1 -s 0 -w "$W/raw" 2>&1)
tl_assert "a dump from the purged first file ends at EOF ($out)" grep -q "end=eof errno=0" <<<"$out"
bad=0; for f in "${FILES[@]:0:5}"; do cmp -s "$PD/$f" "$W/raw/$f" || { bad=1; echo "  $f differs"; }; done
tl_assert "... the four restored files and the local closed one are cmp-identical to the primary's" [ $bad = 0 ]
tl_assert "... fetched with restore_command and checked" grep -q "restored $first from the archive (.* bytes, checked)" "$W/b.log"

# f. A replica waiting for a copy, or reading one, protects every local file (all are ahead
# of it). The archive's copies of the first two files are made FIFOs, so that the
# command's cp waits until the test writes the file into it: a slow archive,
# deterministically. The waiting replica is a MariaDB replica with a short slave_net_timeout:
# it would reconnect after 2 s of silence.
tl_assert "$first was evicted from the spool" test ! -e "$SP/$first"
for f in "$first" "${FILES[1]}"; do mv "$W/arch/$f" "$W/$f.real"; mkfifo "$W/arch/$f"; done
fetches() { grep -c "fetching $1 from the archive" "$W/b.log"; }   # the raw dump fetched each once
fetched_again() { [ "$(fetches "$1")" -gt "$2" ]; }
n0=$(fetches "$first"); n1=$(fetches "${FILES[1]}")
tl_mariadb_start r --skip-log-bin
tl_mariadb_start g --skip-log-bin
RSID=${TL_SID[r]}; GSID=${TL_SID[g]}
# g first gets the primary's data up to $mid straight from the primary (meanwhile); it moves
# to binlogd below
tl_sql g "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass',
   MASTER_USE_GTID=slave_pos; START SLAVE UNTIL master_gtid_pos='$mid'"
tl_sql r "SET GLOBAL slave_net_timeout=2; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A,
   MASTER_USER='repl', MASTER_PASSWORD='replpass', MASTER_LOG_FILE='$first', MASTER_LOG_POS=4,
   MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.5; START SLAVE"
tl_assert "r waits for $first from the archive" tl_wait_until 10 fetched_again "$first" "$n0"
act=$(tl_binlogs p | tail -1)
out=$(q "PURGE BINARY LOGS TO '$act'; SHOW WARNINGS" 2>&1)
tl_assert "PURGE keeps $keep for it: Note 1375 in use" \
  grep -q "^Note	1375	Binary log '$keep' is not purged because it is in use by a connected replica" <<<"$out"
tl_assert "... $keep is still here" test -f "$D/$keep"
heartbeats() { tl_sql "$1" "SHOW GLOBAL STATUS LIKE 'Slave_received_heartbeats'" | cut -f2; }
hb_above() { [ "$(heartbeats "$1")" -ge "$2" ]; }
live() {   # X SID: one dump for X so far, its I/O thread running without error
  [ "$(grep -c "binlog dump for server_id $2 from" "$W/b.log")" = 1 ] &&
    [ "$(tl_slave_field "$1" Slave_IO_Running)" = Yes ] && [ "$(tl_slave_field "$1" Last_IO_Errno)" = 0 ]
}
# 5 heartbeats at 0.5 s: 2.5 s of waiting, longer than slave_net_timeout
tl_assert "f. r gets heartbeats while $first is fetched" tl_wait_until 15 hb_above r 5
tl_assert "... and did not reconnect: one dump for it, I/O thread running" live r "$RSID"
tl_assert "... it stands where it asked to start" \
  [ "$(tl_slave_field r Master_Log_File) $(tl_slave_field r Read_Master_Log_Pos)" = "$first 4" ]
tl_assert "the archive's copy of $first arrives" timeout 10 sh -c "cat '$W/$first.real' > '$W/arch/$first'"
restored_again() { [ "$(grep -c "restored $first from the archive" "$W/b.log")" -ge 2 ]; }
tl_assert "... checked and served" tl_wait_until 10 restored_again
tl_assert "f. r reads $first to its ROTATE and waits for ${FILES[1]}" \
  tl_wait_until 10 fetched_again "${FILES[1]}" "$n1"
tl_assert "g stopped at the old GTID state $mid" tl_wait_until 60 bash -c \
  "[ \"\$(mariadb -S $(tl_sock g) -uroot -N -e 'SELECT @@gtid_slave_pos')\" = '$mid' ]"
sql_stopped() { [ "$(tl_slave_field g Slave_SQL_Running)" = No ]; }
tl_assert "... its SQL thread stopped there" tl_wait_until 30 sql_stopped
# g moves to binlogd now: its GTID state starts in ${FILES[1]}, whose fetch it joins; after
# CHANGE MASTER TO MASTER_PORT its Master_Log_File is empty (heartbeats name that)
tl_sql g "STOP SLAVE; SET GLOBAL slave_net_timeout=2; CHANGE MASTER TO MASTER_PORT=$A, MASTER_CONNECT_RETRY=1,
   MASTER_HEARTBEAT_PERIOD=0.5"
gfile=$(tl_slave_field g Master_Log_File)
tl_sql g "START SLAVE"
tl_assert "f. g (GTID, Master_Log_File '$gfile') waits for ${FILES[1]} too" tl_wait_until 10 \
  grep -q "binlog dump for server_id $GSID from ${FILES[1]}:4 GTID $mid" "$W/b.log"
hb=$(heartbeats r)
tl_assert "... r gets heartbeats again while it is fetched" tl_wait_until 15 hb_above r $((hb + 5))
tl_assert "... and g" tl_wait_until 15 hb_above g 5
tl_assert "... still no reconnect of r: one dump for it, I/O thread running" live r "$RSID"
tl_assert "... none of g" live g "$GSID"
# the copy's last event is its ROTATE naming the next file: header, position, name, CRC32
rotate_at=$(( $(stat -c %s "$W/$first.real") - (19 + 8 + ${#FILES[1]} + 4) ))
tl_assert "... at the end of $first's last transaction: the held ROTATE's offset $rotate_at" \
  [ "$(tl_slave_field r Master_Log_File) $(tl_slave_field r Read_Master_Log_Pos)" = "$first $rotate_at" ]
tl_assert "the archive's copy of ${FILES[1]} arrives" timeout 10 sh -c "cat '$W/${FILES[1]}.real' > '$W/arch/${FILES[1]}'"
for f in "$first" "${FILES[1]}"; do rm -f "$W/arch/$f"; mv "$W/$f.real" "$W/arch/$f"; done

# a. + b. two MariaDB replicas at once (above): file/position from the first file, GTID from
# $mid
tl_wl_small p 100   # live traffic after the restored history
for x in r g; do
  tl_assert "$x reached the primary's GTID position" tl_wait_until 60 tl_gtid_at "$x" p
  tl_assert_eq "$x: threads running" "$(tl_slave_field "$x" Slave_IO_Running)$(tl_slave_field "$x" Slave_SQL_Running)" "YesYes"
  tl_assert "$x: CHECKSUM TABLE equal to the primary's" tl_same_tables "$x" p w.k w.s
done
kill "$DU" 2>/dev/null
peak=$(sort -n "$W/spool.du" | tail -1)
tl_assert "the spool was used (peak $peak bytes)" [ "${peak:-0}" -gt "$max" ]
tl_assert "d. the spool stayed under storage.restore_spool_bytes=$BOUND (peak $peak)" [ "$peak" -le "$((BOUND + 4096))" ]
tl_assert "... least recently used copies were removed to stay there" grep -q "spool over $BOUND bytes: removed" "$W/b.log"

# c. a corrupted archive copy: refused with 1236 naming the file and why, and a log line
for x in r g; do tl_sql "$x" "STOP SLAVE"; done
tl_assert "$first is no longer in the spool (evicted)" tl_wait_until 10 test ! -e "$SP/$first"
printf '\xff' | dd of="$W/arch/$first" bs=1 seek=300 conv=notrunc status=none
out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4 -F 1 -s 0 -e 1236 2>&1)
tl_assert "the replica gets ERR 1236 ($out)" grep -q "errno=1236" <<<"$out"
tl_assert "... naming the file and the reason" grep -q "Binary log '$first' was purged here and could not be restored from the archive: $first:[0-9]*: " <<<"$out"
tl_assert "... and the log says what was wrong" grep -q "restore of $first refused: $first:[0-9]*: " "$W/b.log"
tl_assert "binlogd keeps serving" tl_port_open "$A"
metrics=$(curl -s "http://127.0.0.1:$M/metrics")
tl_assert "/metrics counts the refused copy" grep -qx 'binlogd_restore_refused_total 1' <<<"$metrics"
tl_assert "... the restored files" grep -q '^binlogd_restore_files_total \([5-9]\|[1-9][0-9]\)$' <<<"$metrics"
tl_assert "... the evictions" grep -q '^binlogd_restore_evicted_total [1-9]' <<<"$metrics"
spool=$(awk '$1 == "binlogd_restore_spool_bytes" { print $2 }' <<<"$metrics")
tl_assert "... and the spool's bytes, within the bound ($spool)" [ -n "$spool" -a "${spool:-0}" -le "$BOUND" ]
if command -v promtool >/dev/null; then
  tl_assert "promtool accepts /metrics" bash -c "curl -s http://127.0.0.1:$M/metrics | promtool check metrics"
fi
tl_binlogd_stop b
tl_assert_eq "binlogd stops cleanly" "$?" "0"
tl_assert "binlogd verify passes (the spool is not a binlog file)" "$BINLOGD_BIN" verify "$D"

# ---- storage.restore_jobs: replicas needing different purged files are not served in turn ----
# binlogd restarts on the same data directory (the spool is emptied) with a restore command
# that takes FETCH_S seconds; two dumps at once from two different purged files. With
# restore_jobs = 2 both get their first event (the fake ROTATE, sent once the copy is checked)
# after about one fetch; with restore_jobs = 1 the second waits for the first (about two).
FETCH_S=1.5
metric() { curl -s "http://127.0.0.1:$M/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
secs() { sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' "$1"; }
# first_events JOBS: start binlogd with it, run the two dumps, stop it; sets T1 and T2
first_events() {
  local jobs=$1 i pids=()
  tl_binlogd_start b "$D" --config="$W/b.conf" --storage.restore_jobs="$jobs" \
    --storage.restore_command="sleep $FETCH_S; cp $W/arch/%f %p"
  tl_assert "restore_jobs=$jobs: binlogd listens" tl_wait_until 20 tl_port_open "$A"
  for i in 1 2; do
    "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "${FILES[$i]}" -o 4 -F 1 -s $((920 + i)) \
      -m 1 -t > "$W/jobs$jobs.$i" 2>&1 &
    pids+=($!); tl_track_pid $!
  done
  if [ "$jobs" = 2 ]; then
    tl_assert "... /metrics: two restore commands run at once" tl_wait_until 10 metric_is binlogd_restore_running 2
  else
    tl_assert "... /metrics: one restore command runs, the other file waits" tl_wait_until 10 \
      bash -c "curl -s http://127.0.0.1:$M/metrics | grep -qx 'binlogd_restore_queued 1'"
    tl_assert "... ... and one runs" metric_is binlogd_restore_running 1
  fi
  for i in "${pids[@]}"; do wait "$i"; done
  for i in 1 2; do
    tl_assert "... the dump from ${FILES[$i]} got its first event ($(cat "$W/jobs$jobs.$i"))" \
      grep -q "events=1 .*end=limit errno=0" "$W/jobs$jobs.$i"
  done
  T1=$(secs "$W/jobs$jobs.1"); T2=$(secs "$W/jobs$jobs.2")
  for i in 1 2; do tl_assert "... ${FILES[$i]} fetched and checked" tl_log_has b "restored ${FILES[$i]} from the archive"; done
  [ "$jobs" = 2 ] && tl_assert "... the log says two ran at once" tl_log_has b "(pid [0-9]*, 2 of 2 restore jobs running)"
  tl_binlogd_stop b
  tl_assert_eq "... binlogd stops cleanly" "$?" "0"
}
first_events 2
P1=$T1; P2=$T2
tl_log "restore_jobs=2 (parallel): first events after $P1 s and $P2 s (a fetch takes $FETCH_S s)"
tl_assert "restore_jobs=2: both first events well under 2 x $FETCH_S s (${P1}s, ${P2}s)" \
  awk -v a="$P1" -v b="$P2" -v f="$FETCH_S" 'BEGIN { m = a > b ? a : b; exit !(a >= f - 0.2 && b >= f - 0.2 && m < 1.5 * f) }'
first_events 1
S1=$T1; S2=$T2
tl_log "restore_jobs=1 (serial): first events after $S1 s and $S2 s"
tl_assert "restore_jobs=1: the second waits for the first fetch (${S1}s, ${S2}s: the later >= 2 x $FETCH_S s - 0.5)" \
  awk -v a="$S1" -v b="$S2" -v f="$FETCH_S" 'BEGIN { m = a > b ? a : b; exit !(m >= 2 * f - 0.5) }'
tl_assert "... the oldest request first: one of them after about one fetch" \
  awk -v a="$S1" -v b="$S2" -v f="$FETCH_S" 'BEGIN { m = a < b ? a : b; exit !(m < 1.5 * f) }'

# ---- g. storage.max_disk_bytes purges the files under a stalled reader, archived ----
# The reader reads on to the end of the file it has open, then gets the purged files after it
# restored from the archive and the local ones after them: to the end, byte for byte, no ERR.
# Files of 4 MiB, so the stalled reader stays in the first ones (loopback socket buffers hold
# several MiB) and the file after its own is purged too; a spool that holds such copies.
sed -i "s/^restore_spool_bytes = .*/restore_spool_bytes = $((64 << 20))/" "$W/b.conf"
tl_binlogd_start b "$D" --config="$W/b.conf"
tl_wait_until 20 tl_port_open "$A"
for i in 1 2 3 4 5 6; do tl_wl_big p 4; tl_flush_logs p; done
# (the primary still has the files purged here: compare its newest one only)
newest_here() { local l; l=$(tl_binlogs p | tail -1); [ "$(stat -c %s "$D/$l" 2>/dev/null)" = "$(stat -c %s "$PD/$l")" ]; }
tl_assert "g: binlogd mirrors the new files" tl_wait_until 60 newest_here
mapfile -t LOCAL < <(sed 's|.*/||' "$D"/*.index)
closed_archived() { local f; for f in "${LOCAL[@]:0:${#LOCAL[@]}-1}"; do archived "$f" || return 1; done; }
tl_assert "g: the ${#LOCAL[@]} local files but the active one are archived" tl_wait_until 30 closed_archived
mkdir -p "$W/orph"
"$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "${LOCAL[0]}" -o 4 -F 1 -s 930 -S 3 -w "$W/orph" \
  > "$W/orph.out" 2>&1 &
OR=$!; tl_track_pid $OR
tl_wait_until 10 grep -q stalled "$W/orph.out"
sed -i 's/^\[storage\]$/[storage]\nmax_disk_bytes = 1/' "$W/b.conf"
kill -HUP "$(tl_binlogd_pid b)"
tl_assert "g: max_disk_bytes purged the stalled reader's file" tl_wait_until 20 tl_log_has b "although replica server_id 930"
kill -USR1 "$OR"; tl_wait_pid "$OR" 60
tl_assert "g: the reader reads to the end without an error ($(tail -1 "$W/orph.out"))" grep -q "end=eof errno=0" "$W/orph.out"
tl_assert "g: ... the purged files after its own came from the archive" tl_log_has b "server_id 930: reading .* restored from the archive"
bad=0; n=0
for f in "${LOCAL[@]}"; do
  n=$((n + 1)); tl_file_prefix_of "$PD/$f" "$W/orph/$f" && [ "$(stat -c %s "$W/orph/$f")" -gt 4 ] || { bad=1; echo "  $f differs or is missing"; }
done
tl_assert "g: ... all $n files byte for byte as the primary's" [ $bad = 0 ]

# ---- h. a purge killed after its index step: the file is still served from the archive ----
# Recovery finishes the purge; the archive state, which the purge never told, learns it at
# start (archive_state_mark_absent_purged), so restore on demand serves the file.
tl_binlogd_stop b
for i in 1 2 3; do tl_wl_small p 50; tl_flush_logs p; done
h0=$(sed -n '1s|.*/||p' "$D"/*.index)   # archived already: the first file retention purges
BINLOGD_PURGE_CRASH=index tl_binlogd_start b "$D" --config="$W/b.conf"
tl_assert "h: retention's purge of $h0 was killed after its index step" tl_wait_pid "$(tl_binlogd_pid b)" 30
tl_binlogd_kill b
tl_binlogd_start b "$D" --config="$W/b.conf"
tl_wait_until 20 tl_port_open "$A"
tl_assert "h: $h0 is gone from the index" bash -c "! grep -q '$h0\$' $D/*.index"
tl_assert "h: binlogd says the archive state learnt it" tl_log_has b "no longer in the index marked purged"
out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$h0" -o 4 -F 1 -s 931 -m 1 2>&1)
tl_assert "h: a dump from $h0 gets it restored from the archive ($out)" grep -q "events=1 .*errno=0" <<<"$out"
tl_done
