#!/usr/bin/env bash
# Issue #5: corruption at rest. binlogd mirrors a real MariaDB primary and is stopped; one byte
# in the middle of a closed file is flipped; binlogd is started again (serving the stored
# files). The damaged event must never be served:
#   - mariadb-binlog --read-from-remote-server gets ERR 1236 with MariaDB's text for a CRC
#     failure, naming the file and the event's offset; its --raw copy ends exactly before it;
#   - a real MariaDB replica stops with Last_IO_Errno 1236, the same text, and has read up to
#     the damaged event and not beyond;
#   - the rest serves: the file before the damage, the events after it, the other files.
# A flipped byte in the middle of the last file (intact events after it) makes binlogd refuse
# to start (exit 1, naming file:offset) instead of truncating durable data. Once the bytes
# are put back, binlogd converges with the primary.
source "$(dirname "$0")/harness.sh"
tl_init rot
tl_mariadb_start p
P=$(tl_port p); L=$(tl_free_port); W=$(tl_workdir); D=$W/b
SERVE=(--binlogd.listen=127.0.0.1:"$L" --user.repl.password=replpass)
UP=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
    --upstream.retry_min_ms=100)
tl_wl_small p 200; tl_flush_logs p; tl_wl_small p 200; tl_flush_logs p; tl_wl_small p 200
tl_binlogd_start b "$D" "${UP[@]}"
tl_wait_mirror_caught_up p "$D" 60
tl_assert "binlogd stops cleanly" tl_binlogd_stop b
mapfile -t files < <(sed 's|.*/||' "$D"/*.index)
f1=${files[0]}; f2=${files[1]}; last=${files[-1]}

# Offsets "start end" of the middle Write_rows event of a file (mariadb-binlog prints "# at N",
# then the event's header line with its end_log_pos).
mid_event() {
  mariadb-binlog "$1" 2>/dev/null | awk '/^# at / { at = $3 }
    /end_log_pos/ && /Write_rows/ { match($0, /end_log_pos [0-9]+/); ev[n++] = at " " substr($0, RSTART + 12, RLENGTH - 12) }
    END { if (n) print ev[int(n / 2)] }'
}
flip_byte() {  # FILE OFFSET: xor the byte with 0x10
  local b; b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 16)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
read -r at end < <(mid_event "$D/$f2")
tl_log "flipping one byte of the Write_rows event at $f2:$at (ends at $end)"
cp "$D/$f2" "$W/$f2.good"
flip_byte "$D/$f2" $(( (at + end) / 2 ))
tl_assert "the byte changed" tl_not cmp -s "$D/$f2" "$W/$f2.good"

tl_binlogd_start b "$D" "${SERVE[@]}"
tl_wait_until 30 tl_port_open "$L"
R=(--read-from-remote-server -h127.0.0.1 -P"$L" -urepl -preplpass)
raw=$W/raw; mkdir -p "$raw"
(cd "$raw" && mariadb-binlog "${R[@]}" --raw --to-last-log "$f1") 2> "$W/mb.err"
rc=$?
tl_assert "mariadb-binlog fails on the damaged event" test "$rc" -ne 0
tl_assert "it got MariaDB's text for a failed CRC check" grep -q "event read from binlog did not pass crc check" "$W/mb.err"
tl_assert "the text names the file and the event's offset" grep -q "the last event read from '$f2' at $at, the last byte read from '$f2' at $end" "$W/mb.err"
tl_assert "binlogd logged file:offset and the event type" tl_log_has b "$f2:$at: CRC32 mismatch in WRITE_ROWS"
tl_assert "the files before it were served whole" tl_file_prefix_of "$D/$f1" "$raw/$f1"
tl_assert_eq "the damaged file was served up to the damaged event, not a byte more" "$(stat -c %s "$raw/$f2")" "$at"
tl_assert "and what was served is the file's bytes" tl_file_prefix_of "$W/$f2.good" "$raw/$f2"
grep -o "event read from binlog.*" "$W/mb.err" | head -1 | sed 's/^/  mariadb-binlog: /'

# A real replica from the first file: stops at the damaged event with 1236.
tl_mariadb_start r --skip-log-bin
tl_sql r "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$L, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_LOG_FILE='$f1', MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1; START SLAVE"
io_errno() { [ "$(tl_slave_field r Last_IO_Errno)" = "$1" ]; }
tl_assert "the replica's IO thread stops with 1236" tl_wait_until 30 io_errno 1236
tl_assert "its Last_IO_Error names the CRC failure and where" bash -c "[[ \"$(tl_slave_field r Last_IO_Error)\" == *\"did not pass crc check\"*\"'$f2' at $at\"* ]]"
tl_assert_eq "it read up to the damaged event and not beyond" \
  "$(tl_slave_field r Master_Log_File) $(tl_slave_field r Read_Master_Log_Pos)" "$f2 $at"
tl_log "replica: $(tl_slave_field r Last_IO_Error)"

# Everything else still serves: the events after the damage, and the other files.
tl_assert "the damaged file serves from the event after the damage" \
  bash -c "mariadb-binlog ${R[*]} --start-position=$end $f2 > /dev/null"
same_size() { [ "$(stat -c %s "$1")" = "$(stat -c %s "$2")" ]; }
for f in "${files[@]:2}"; do
  (cd "$raw" && mariadb-binlog "${R[@]}" --raw "$f")
  tl_assert "$f serves whole" tl_file_prefix_of "$D/$f" "$raw/$f"
  tl_assert "$f: every byte of it" same_size "$D/$f" "$raw/$f"
done
mariadb-binlog "${R[@]}" "$f2" > /dev/null 2> "$W/mb2.err"
tl_assert "a second reader is refused at the same event" grep -q "the last event read from '$f2' at $at," "$W/mb2.err"
tl_assert "binlogd stops cleanly" tl_binlogd_stop b
tl_assert "binlogd verify reports the damage" bash -c "! '$BINLOGD_BIN' verify '$D' > '$W/verify.out'; grep -q '$f2:$at: CRC32 mismatch' '$W/verify.out'"

# Damage in the middle of the last file: recovery refuses to cut durable data.
read -r lat lend < <(mid_event "$D/$last")
cp "$D/$last" "$W/$last.good"
flip_byte "$D/$last" $(( (lat + lend) / 2 ))
tl_binlogd_start b "$D" "${SERVE[@]}"
pid=$(tl_binlogd_pid b)
tl_assert "binlogd refuses to start" tl_wait_pid "$pid" 30
wait "$pid"; rc=$?; unset "TL_BPID[b]"
tl_assert_eq "exit status 1" "$rc" 1
tl_assert "the log names file:offset and says why" tl_log_has b "$last:$lat: CRC32 mismatch.*intact event follows"
tl_assert "and what to do" tl_log_has b "truncate -s"
tl_assert "nothing was truncated" cmp -s <(stat -c %s "$D/$last") <(stat -c %s "$W/$last.good")
tl_log "refusal: $(grep -o 'cannot open data directory.*' "$W/b.log" | tail -1 | cut -c1-220)..."

# Bytes put back: binlogd starts, catches up with the primary, files identical.
cp "$W/$f2.good" "$D/$f2"; cp "$W/$last.good" "$D/$last"
tl_wl_small p 100
tl_binlogd_start b "$D" "${UP[@]}" "${SERVE[@]}"
tl_assert "binlogd catches up after the repair" tl_wait_mirror_caught_up p "$D" 60
tl_assert "files identical to the primary's" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "the once-damaged file now serves whole" bash -c "mariadb-binlog ${R[*]} $f2 > /dev/null"
tl_assert "clean stop" tl_binlogd_stop b
tl_assert "verify passes" "$BINLOGD_BIN" verify "$D"
tl_done
