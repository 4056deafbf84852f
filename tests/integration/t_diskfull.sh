#!/usr/bin/env bash
# Issue #5: a real full disk. binlogd's data directory is a 6 MiB tmpfs and the primary holds
# about 30 MiB of binlog. binlogd must:
#   - pause ingest with a clear log line, the reason visible in SHOW SLAVE STATUS (Last_IO_Error);
#   - keep serving what is durable: a reader gets exactly everything up to the committed
#     position, identical to the primary's bytes;
#   - leave no garbage: stopped while the disk is full, binlogd verify passes and the last
#     file ends at the committed position;
#   - resume by itself once the tmpfs is grown (mount -o remount,size=...), and end with files
#     identical to the primary's.
# Needs mount(8) permission (root, as in CI); skips with a message otherwise.
source "$(dirname "$0")/harness.sh"
tl_init diskfull
W=$(tl_workdir); MNT=$W/mnt; D=$MNT/b
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=6m tmpfs "$MNT" 2> "$W/mount.err"; then
  echo "SKIP: cannot mount a tmpfs here ($(head -1 "$W/mount.err")); t_diskfull needs root (CI runs it as root)"
  exit 0
fi
# Unmount on every exit, before the harness removes the work directory (lazily: binlogd may
# still hold files there until the harness kills it).
trap 'rc=$?; [ "${BASHPID:-$$}" = "$TL_MAIN_PID" ] && umount -l "$MNT" 2>/dev/null; (exit $rc); tl_cleanup' EXIT

tl_mariadb_start p --max-binlog-size=4194304
P=$(tl_port p); L=$(tl_free_port)
ADM=(-h127.0.0.1 -P"$L" -uops -popspass)
tl_sql p "CREATE DATABASE w; CREATE TABLE w.big (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1100)) ENGINE=InnoDB"
for i in $(seq 1 150); do echo "INSERT INTO w.big (v) SELECT REPEAT(MD5(seq), 30) FROM w.seq_1_to_200;"; done |
  mariadb -S "$(tl_sock p)" -uroot
tl_log "primary: $(du -cb "$(tl_binlog_dir p)"/p-bin.0* | tail -1 | cut -f1) bytes of binlog; tmpfs: $(df -B1 --output=size "$MNT" | tail -1 | tr -d ' ') bytes"
OPTS=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
      --upstream.retry_min_ms=100 --upstream.retry_max_ms=1000 --binlogd.listen=127.0.0.1:"$L"
      --user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin)
full_logs() { sed -n '/^==== start/h; /^==== start/!H; ${x;p}' "$W/b.log" | grep -c "No space left on device"; }
full_twice() { [ "$(full_logs)" -ge 2 ]; }   # and the retry hit it again: the pause holds
committed() { mariadb "${ADM[@]}" -N -B -e "SHOW MASTER STATUS" | cut -f1,2; }

tl_binlogd_start b "$D" "${OPTS[@]}"
tl_assert "ingest pauses on the full disk, and says so" tl_wait_until 60 full_twice
# Take the last free pages too (a retry may still fit a small transaction into what a roll-back
# freed), and wait for a retry that failed after that: from here on the committed position holds.
n0=$(full_logs)
dd if=/dev/zero of="$MNT/filler" bs=64k status=none 2>/dev/null
full_again() { [ "$(full_logs)" -gt "$n0" ]; }
tl_assert "a retry on the completely full disk fails too" tl_wait_until 30 full_again
grep "No space left" "$W/b.log" | head -1 | sed 's/^/  logged: /'
io_error=$(mariadb "${ADM[@]}" -e "SHOW SLAVE STATUS\G" | sed -n 's/^ *Last_IO_Error: //p')
tl_assert "SHOW SLAVE STATUS shows why (Last_IO_Error)" grep -q "No space left on device" <<< "$io_error"
tl_log "Last_IO_Error: $io_error"
tl_assert "binlogd keeps running" kill -0 "$(tl_binlogd_pid b)"

# Serving continues: a reader gets exactly the committed bytes, which are the primary's.
read -r wf wp < <(committed)
raw=$W/raw; mkdir -p "$raw"
first=$(sed 's|.*/||' "$D"/*.index | head -1)
(cd "$raw" && mariadb-binlog --read-from-remote-server --raw --to-last-log -h127.0.0.1 -P"$L" -urepl -preplpass "$first")
tl_assert "the reader got every file up to the committed one" test -f "$raw/$wf"
tl_assert_eq "and the committed file up to the committed position" "$(stat -c %s "$raw/$wf" 2>/dev/null)" "$wp"
ok=1; for f in "$raw"/*; do tl_file_prefix_of "$(tl_binlog_dir p)/$(basename "$f")" "$f" || ok=0; done
tl_assert_eq "every byte served is the primary's" "$ok" 1
tl_assert_eq "the committed position held while paused" "$(committed | tr '\t' ' ')" "$wf $wp"

# No garbage: stopped while full, only complete, durable transactions are left.
tl_assert "clean stop while the disk is full" tl_binlogd_stop b
tl_assert "it stopped at the committed position" tl_log_has b "stopped at $wf:$wp "
tl_assert "verify passes" "$BINLOGD_BIN" verify "$D"
tl_assert_eq "the last file ends at the committed position" "$(sed 's|.*/||' "$D"/*.index | tail -1) $(stat -c %s "$D/$wf")" "$wf $wp"
tl_assert "no temporary files left" bash -c "! ls -A '$D' | grep -q '^.binlogd-tmp'"

# Restarted while still full it pauses again; growing the tmpfs lets it resume by itself.
tl_binlogd_start b "$D" "${OPTS[@]}"
tl_assert "after a restart on the full disk it pauses again" tl_wait_until 60 full_twice
tl_assert "the tmpfs grows" mount -o remount,size=128m "$MNT"
tl_assert "ingest resumes by itself and catches up" tl_wait_mirror_caught_up p "$D" 120
tl_assert "files identical to the primary's" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "clean stop" tl_binlogd_stop b
tl_assert "verify passes" "$BINLOGD_BIN" verify "$D"

# storage.min_free_bytes with an archive: the same 30 MiB of history through a 20 MiB tmpfs
# (8 MiB of it the journal's reserve, store_journal.c).
# Each time ingest hits the full disk it kicks retention, which purges the oldest archived
# file at once (min_files=2 keeps the newest two), so ingest never needs an operator; the
# archive ends with every closed file, identical to the primary's.
MNT2=$W/mnt2; D2=$MNT2/c; ARCH=$W/arch; mkdir -p "$MNT2" "$ARCH"
tl_assert "a 20 MiB tmpfs" mount -t tmpfs -o size=20m tmpfs "$MNT2"
trap 'rc=$?; [ "${BASHPID:-$$}" = "$TL_MAIN_PID" ] && umount -l "$MNT" "$MNT2" 2>/dev/null; (exit $rc); tl_cleanup' EXIT
L2=$(tl_free_port)
tl_binlogd_start c "$D2" "${OPTS[@]/--binlogd.listen=*/--binlogd.listen=127.0.0.1:$L2}" --storage.min_free_bytes=65536 \
  --storage.min_files=2 --storage.archive_command="cp %p $ARCH/%f.tmp && mv $ARCH/%f.tmp $ARCH/%f"
tail_caught_up() {   # the primary's active file, complete (older ones may be purged here)
  local f pos; read -r f pos < <(tl_sql p "SHOW MASTER STATUS" | cut -f1,2)
  [ -f "$D2/$f" ] && [ "$(stat -c %s "$D2/$f")" = "$pos" ]
}
tl_assert "ingest catches up through the small disk" tl_wait_until 120 tail_caught_up
tl_assert "the full disk made it purge archived files early, and it said so" \
  tl_log_has c "ingest paused on a full disk .*purging the oldest archived files early"
tl_assert "files were purged" test "$(wc -l < "$(ls "$D2"/*.index)")" -lt "$(wc -l < "$(ls "$(tl_binlog_dir p)"/*.index)")"
tl_assert "what is left is identical to the primary's" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D2"
n=$(( $(wc -l < "$(ls "$(tl_binlog_dir p)"/*.index)") - 1 ))   # every file but the active one
arch_done() { [ "$(ls "$ARCH" | grep -vc '\.tmp$')" -ge "$n" ]; }
tl_wait_until 30 arch_done
ok=1
for f in $(sed 's|.*/||' "$(tl_binlog_dir p)"/*.index | head -n "$n"); do
  cmp -s "$(tl_binlog_dir p)/$f" "$ARCH/$f" || { ok=0; tl_log "archive copy of $f differs or is missing"; }
done
tl_assert_eq "every closed file ($n) is in the archive, identical to the primary's" "$ok" 1
tl_log "min_free_bytes: $(grep -c 'ingest paused on a full disk' "$W/c.log") early purges, $(wc -l < "$(ls "$D2"/*.index)") files kept locally of $(wc -l < "$(ls "$(tl_binlog_dir p)"/*.index)")"
tl_assert "clean stop" tl_binlogd_stop c
tl_assert "verify passes" "$BINLOGD_BIN" verify "$D2"
tl_done
