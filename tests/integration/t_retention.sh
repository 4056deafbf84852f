#!/usr/bin/env bash
# Issue #11, acceptance 1, 2, 3 and 9: retention and PURGE BINARY LOGS against a real primary
# whose files are small (max_binlog_size=4096, one 1 MiB transaction per file):
#  (1) age expiry stops at the file a stalled replica reads and proceeds once it is gone; a
#      replica that comes back for a purged file gets 1236 in mariadbd's words, a GTID
#      replica whose state is older than the oldest file too; storage.max_disk_bytes
#      overrides a stalled replica, logs it by name, and the replica gets 1236 at the gap.
#  (2) PURGE BINARY LOGS TO / BEFORE with the stock client: admin works, the replica role
#      gets 1227, an unknown file 1373, a file a replica reads is kept with Note 1375.
#  (3) kill -9 after each step of a purge: restart, `binlogd verify` passes, what remains is
#      identical to the primary's files.
#  (9) a copied file that ends inside a transaction: complete transactions are served, the
#      cut tail is kept in a side file (file + side file == the original), logged, and
#      `binlogd verify` mentions it.
source "$(dirname "$0")/harness.sh"
tl_init retention

W=$(tl_workdir)
tl_mariadb_start p --max-binlog-size=4096
P=$(tl_port p); A=$(tl_free_port); M=$(tl_free_port); D=$W/b; CONF=$W/b.conf
PSID=$(tl_sql p "SELECT @@server_id")
tl_wl_small p 20
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do tl_wl_big p 1; done
tl_wl_small p 20

conf() {  # expire max_disk [min_free]: the retention options, applied by SIGHUP
  printf '[storage]\nexpire_logs_seconds = %s\nmax_disk_bytes = %s\nmin_files = 2\nmin_free_bytes = %s\n' \
    "$1" "$2" "${3:-0}" > "$CONF"
}
start_b() {
  tl_binlogd_start b "$D" --config "$CONF" --binlogd.listen=127.0.0.1:"$A" --upstream.host=127.0.0.1 \
    --upstream.port="$P" --upstream.user=repl --upstream.password=replpass --user.repl.password=replpass \
    --user.ops.password=opspass --user.ops.role=admin --metrics.listen=127.0.0.1:"$M"
  tl_wait_until 20 tl_port_open "$A"
}
nreloads() { grep -c "configuration reloaded" "$W/b.log"; }
# NAME's log has TEXT (any run). Not tl_log_has: its sed | grep -q pipeline fails under pipefail
# once the log is larger than a pipe buffer (grep -q exits early, sed gets SIGPIPE).
logged() { grep -q -- "$2" "$W/$1.log"; }
reload() {  # SIGHUP, and wait until it is applied
  local n; n=$(nreloads)
  kill -HUP "$(tl_binlogd_pid b)"
  tl_wait_until 10 bash -c "[ \$(grep -c 'configuration reloaded' $W/b.log) -gt $n ]"
}
verify_ok() { "$BINLOGD_BIN" verify "$D" > "$W/verify.$1" 2>&1; }
same_as_primary() { tl_cmp_binlogs "$(tl_binlog_dir p)" "$D" > "$W/cmp.$1"; }
ops() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "$1" 2>&1; }
repl() { mariadb -h127.0.0.1 -P"$A" -urepl -preplpass -N -B -e "$1" 2>&1; }
idx() { sed 's|.*/||' "$D"/*.index; }
first() { idx | head -1; }
nfiles() { idx | wc -l; }
DUMPCLI=$BINLOGD_DUMPCLI
# Caught up with the primary's active file (the harness's check wants every file the primary
# lists, and retention removes the old ones here).
_caught_up() {
  local f s
  read -r f s < <(tl_sql p "SHOW MASTER STATUS" | cut -f1,2)
  [ -f "$D/$f" ] && [ "$(stat -c %s "$D/$f")" = "$s" ]
}
caught_up() { tl_wait_until "${1:-60}" _caught_up; }

conf 0 0
start_b
tl_assert "binlogd mirrors the primary" caught_up
total=$(nfiles)
tl_log "mirrored $total files"
tl_assert "many small files to work with" [ "$total" -ge 14 ]

# ---- (2) PURGE BINARY LOGS: roles and errors ----
tl_assert "the replica role may not PURGE -> 1227" grep -q "ERROR 1227.*BINLOG ADMIN" <<<"$(repl "PURGE BINARY LOGS TO '$(first)'")"
tl_assert "an unknown file -> 1373" grep -q "ERROR 1373 .*Target log not found in binlog index" <<<"$(ops "PURGE BINARY LOGS TO 'p-bin.999999'")"
f2=$(idx | sed -n 2p)
tl_assert_eq "PURGE TO the second file" "$(ops "PURGE BINARY LOGS TO '$f2'")" ""
tl_assert_eq "the first file is gone, from the index and the disk" "$(first)" "$f2"
tl_assert "SHOW BINARY LOGS starts there" grep -q "^$f2" <<<"$(ops 'SHOW BINARY LOGS')"
gone=$(tl_binlogs p | head -1)
tl_assert "its file was unlinked" [ ! -e "$D/$gone" ]

# ---- (1) a stalled replica protects its file from age expiry ----
"$DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$f2" -s 901 -S 3 -F 0 > "$W/r1.out" 2>&1 &
R1=$!; tl_track_pid "$R1"
tl_wait_until 10 grep -q stalled "$W/r1.out"
conf 1 0
reload
# everything is older than a second soon; the reader's file and later ones stay
tl_assert "age expiry purged the files before the reader's" tl_wait_until 20 bash -c "[ \"\$(sed 's|.*/||' $D/*.index | head -1)\" != $f2 ]"
sleep 2   # two more checks: nothing further may go while the replica is stalled
kept=$(nfiles)
tl_log "with a stalled replica: $kept of $total files kept (first $(first))"
tl_assert "the stalled replica's file and later ones are kept" [ "$kept" -gt 2 ]
# PURGE TO the active file while the replica reads: its file is kept, with mariadbd's note
last=$(idx | tail -1)
out=$(mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "PURGE BINARY LOGS TO '$last'; SHOW WARNINGS" 2>&1)
tl_assert "PURGE keeps the file a replica reads: Note 1375" grep -q "^Note	1375	Binary log '$(first)' is not purged because it is in use by a connected replica" <<<"$out"
tl_assert_eq "nothing purged past the reader" "$(nfiles)" "$kept"
kill "$R1"; wait "$R1" 2>/dev/null
tl_assert "once the replica is gone, expiry proceeds to min_files" tl_wait_until 20 bash -c "[ \$(wc -l < $D/*.index) = 2 ]"

# a replica coming back for a purged file, and a GTID replica with an old state
out=$("$DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$f2" -s 902 -e 1236)
tl_assert "file/pos replica for a purged file -> 1236 in mariadbd's words" \
  grep -q 'errno=1236 error="Could not find first log file name in binary log index file"' <<<"$out"
out=$("$DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -G "0-$PSID-1" -s 903 -e 1236)
tl_assert "GTID replica with a purged state -> 1236 'slave state is too old'" \
  grep -q "errno=1236 .*Probably the slave state is too old and required binlog files have been purged" <<<"$out"
# PURGE BEFORE a future date: all but the active file, with the note for it
out=$(mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "PURGE BINARY LOGS BEFORE '2099-01-01 00:00:00'; SHOW WARNINGS" 2>&1)
tl_assert "PURGE BEFORE: the active file is kept with Note 1375" grep -q "is not purged because it is the current active binlog" <<<"$out"
tl_assert_eq "PURGE BEFORE left the active file" "$(nfiles)" "1"
tl_assert "PURGE BEFORE a non-date purges nothing, warns 1292" grep -q "1292" <<<"$(mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "PURGE BINARY LOGS BEFORE 'someday'; SHOW WARNINGS" 2>&1)"

# ---- (1) max_disk_bytes overrides a stalled replica ----
conf 0 0
reload
for _ in 1 2 3 4 5 6 7 8; do tl_wl_big p 1; done
tl_assert "binlogd mirrors the new files" caught_up
f0=$(first)
"$DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$f0" -s 904 -S 3 -F 0 > "$W/r2.out" 2>&1 &
R2=$!; tl_track_pid "$R2"
tl_wait_until 10 grep -q stalled "$W/r2.out"
conf 0 2500000
reload
tl_assert "max_disk_bytes purges the stalled replica's file" tl_wait_until 20 logged b "is reading it: it reads on to that file's end"
tl_assert "the log names the replica" logged b "replica server_id 904"
tl_assert "the files fit the limit" [ "$(cat $(sed "s|^\./|$D/|" "$D"/*.index) | wc -c)" -le 2500000 ]
kill -USR1 "$R2"
tl_wait_pid "$R2" 30; wait "$R2" 2>/dev/null
tl_assert "the overridden replica gets 1236 at the gap" grep -q "errno=1236 error=\"could not find next log" "$W/r2.out"
tl_assert "the purges were logged" logged b "purged .* file(s)"
metric() { curl -s "http://127.0.0.1:$M/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
tl_assert "/metrics counts purged files" [ "$(metric binlogd_purge_files_total)" -gt 5 ]
tl_assert "/metrics counts the overridden replica" [ "$(metric binlogd_purge_readers_overridden_total)" -ge 1 ]

# ---- (3) kill -9 after each step of a purge ----
conf 0 0
reload
for _ in 1 2 3 4 5 6 7 8 9 10; do tl_wl_big p 1; done
for step in intent index gtid_index unlink:1 done; do
  tl_binlogd_stop b
  BINLOGD_PURGE_CRASH=$step start_b
  caught_up
  before=$(first); target=$(idx | sed -n 3p)   # two files go: a crash can fall between their unlinks
  ops "PURGE BINARY LOGS TO '$target'" > /dev/null
  tl_assert "[$step] the injected crash killed binlogd" tl_wait_pid "$(tl_binlogd_pid b)" 20
  tl_binlogd_kill b   # (already dead: reaps it)
  start_b
  tl_assert "[$step] restart after kill -9 mirrors again" caught_up
  tl_binlogd_stop b
  want=$target; [ "$step" = intent ] && want=$before
  tl_assert_eq "[$step] the index starts where the purge left it" "$(first)" "$want"
  tl_assert "[$step] the purged file is not on disk" bash -c "[ $step = intent ] || [ ! -e $D/$before ]"
  tl_assert "[$step] no purge intent left" [ ! -e "$D/.binlogd-purge" ]
  tl_assert "[$step] binlogd verify passes" verify_ok "$step"
  tl_assert "[$step] the files are the primary's" same_as_primary "$step"
  start_b
done
# storage.min_free_bytes above what the filesystem has free: purge early, loudly, to min_files
tl_assert "several files before the free-space test" [ "$(nfiles)" -gt 2 ]
conf 0 0 1152921504606846976
reload
tl_assert "min_free_bytes purges early, with a warning" tl_wait_until 20 logged b "purging the oldest files early"
tl_assert "... down to min_files" tl_wait_until 20 bash -c "[ \$(wc -l < $D/*.index) = 2 ]"
tl_binlogd_stop b

# ---- (9) bytes binlogd did not write ----
F=$W/foreign; mkdir -p "$F"
big=$(ls -S "$(tl_binlog_dir p)"/p-bin.[0-9]* | head -1); bn=$(basename "$big")
size=$(stat -c %s "$big"); cut=$((size / 2))
head -c "$cut" "$big" > "$F/$bn"
cp "$F/$bn" "$W/original"
FP=$(tl_free_port)
tl_binlogd_start f "$F" --binlogd.listen=127.0.0.1:"$FP" --user.repl.password=replpass
tl_assert "recovery keeps the cut tail in a side file" tl_wait_until 20 logged f "did not write this file"
tl_wait_until 20 tl_port_open "$FP"
out=$("$DUMPCLI" -H 127.0.0.1 -P "$FP" -u repl -p replpass -f "$bn" -s 905 -F 1)
tl_assert "its complete transactions are served (non-blocking dump to the end)" grep -q "end=eof errno=0" <<<"$out"
side=$(ls "$F" | grep "^$bn.tail-" | head -1)
tl_assert "the side file exists" [ -n "$side" ]
tl_assert "file + side file == the original" cmp <(cat "$F/$bn" "$F/$side") "$W/original"
tl_assert "the file was cut back to a transaction boundary" [ "$(stat -c %s "$F/$bn")" -lt "$cut" ]
tl_binlogd_stop f
"$BINLOGD_BIN" verify "$F" > "$W/verify.foreign" 2>&1
tl_assert "binlogd verify passes and mentions the side file" grep -q "NOTE  $bn.tail-" "$W/verify.foreign"

tl_done
