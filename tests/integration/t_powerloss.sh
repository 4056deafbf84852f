#!/usr/bin/env bash
# Issue #5: power loss. binlogd is the only semi-sync replica of a real MariaDB primary
# (10 min timeout: no commit returns without binlogd's ACK). Two writers commit
# one transaction at a time and record the GTID of each commit that returned; a dump client
# tails binlogd and keeps every byte it is sent. At a random moment right after a commit
# returned, binlogd's power fails (BINLOGD_FSIO_POWERLOSS=1 + SIGUSR2: everything not
# fsync'ed/fdatasync'ed is thrown away, creations and renames not made durable by a directory
# fsync are undone, exit 9). Then, after recovery alone (no upstream):
#   - every acknowledged transaction is in binlogd's files (its GTID, read back from the
#     stored bytes with mariadb-binlog): acked-but-lost must be 0;
#   - every byte the tailer received is still there (its files are prefixes of binlogd's):
#     served-but-lost must be 0;
#   - binlogd verify passes.
# Every third cycle (tenth with TORTURE=1) the power fails instead while a 29 MB transaction
# is being written, so unsynced bytes are really thrown away and recovery cuts a torn tail.
# Finally binlogd catches up and the files are identical to the primary's. 6 cycles in
# `make test`, 100 with TORTURE=1.
source "$(dirname "$0")/harness.sh"
tl_init powerloss
tl_mariadb_start p --max-binlog-size=1048576
P=$(tl_port p); L=$(tl_free_port); W=$(tl_workdir); D=$W/b
cycles=6; big_every=3; [ "${TORTURE:-0}" = 1 ] && { cycles=100; big_every=10; }
UP=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
    --upstream.semi_sync=on --upstream.retry_min_ms=100 --upstream.retry_max_ms=500
    --binlogd.listen=127.0.0.1:"$L" --user.repl.password=replpass)
tl_sql p "CREATE DATABASE w; CREATE TABLE w.s (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(300)) ENGINE=InnoDB;
  CREATE TABLE w.big (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1100)) ENGINE=InnoDB"
# Semi-sync only now: with no replica yet, every binlogged statement would wait for an ACK.
# AFTER_COMMIT, not AFTER_SYNC: with AFTER_SYNC a commit that rotates the binlog waits for the
# ACK holding LOCK_log, and binlogd's reconnect runs SHOW BINARY LOGS (the resume check), which
# then waits for LOCK_log until the semi-sync timeout: a deadlock outside what this test checks.
# What a client sees is the same: its commit returns only after binlogd's ACK.
tl_sql p "SET GLOBAL rpl_semi_sync_master_timeout=600000; SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_COMMIT;
  SET GLOBAL rpl_semi_sync_master_enabled=ON"
status() { tl_sql p "SHOW GLOBAL STATUS LIKE '$1'" | cut -f2; }
semi_clients() { [ "$(status Rpl_semi_sync_master_clients)" -ge 1 ]; }

# A writer: one session, one transaction at a time, then the GTID it got, printed as soon as
# the commit returned (--unbuffered). Statements come from a fifo so both ends can be killed.
writer() {  # NAME STATEMENT-GENERATOR (awk program printing one group of statements per i)
  local n=$1 prog=$2
  mkfifo "$W/$n.fifo"
  awk "BEGIN { srand($RANDOM); for (i = 1; ; i++) { $prog; print \"SELECT @@last_gtid;\" } }" > "$W/$n.fifo" 2>/dev/null &
  WRITERS+=($!)
  mariadb -S "$(tl_sock p)" -uroot -N -B --unbuffered --force < "$W/$n.fifo" > "$W/$n.acked" 2> "$W/$n.err" &
  WRITERS+=($!)
  tl_track_pid "${WRITERS[-2]}"; tl_track_pid "${WRITERS[-1]}"
}
WRITERS=()
acked() { cat "$W"/*.acked 2>/dev/null | grep -E '^[0-9]+-[0-9]+-[0-9]+$'; }
acked_count() { acked | wc -l; }
acked_above() { [ "$(acked_count)" -ge "$1" ]; }

# tl_wait_until with a 10 ms period, for the short window while a big transaction streams in.
wait_fast() {  # TRIES CMD...
  local n=$1; shift
  until "$@"; do n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.01; done
}

# GTIDs in binlogd's stored bytes. Closed files do not change: each is decoded once per size.
stored_gtids() {
  local f sz c
  for f in $(sed 's|.*/||' "$D"/*.index); do
    sz=$(stat -c %s "$D/$f"); c=$W/gtids.$f.$sz
    [ -f "$c" ] || mariadb-binlog "$D/$f" 2>/dev/null | grep -oE 'GTID [0-9]+-[0-9]+-[0-9]+' | cut -d' ' -f2 > "$c"
    cat "$c"
  done | sort -u
}

lost_total=0; acked_checked=0; served_lost=0; served_bytes=0; verified=0; cuts=0; dropped=0; cut_tails=0
restores=0; journal_cycles=0; jnotes=0
for i in $(seq 1 "$cycles"); do
  # Odd cycles make batches durable through the commit journal (the default), even ones by
  # an fdatasync of the binlog file (storage.journal=off): both paths lose nothing.
  jr=off; [ $((i % 2)) = 1 ] && { jr=on; journal_cycles=$((journal_cycles + 1)); }
  BINLOGD_FSIO_POWERLOSS=1 tl_binlogd_start b "$D" "${UP[@]}" --storage.journal=$jr
  pid=$(tl_binlogd_pid b)
  tl_wait_until 30 tl_port_open "$L" || { tl_log "cycle $i: binlogd did not listen"; break; }
  tl_wait_until 30 semi_clients || {
    tl_log "cycle $i: binlogd did not register as semi-sync; the primary is doing:"
    timeout 10 mariadb -S "$(tl_sock p)" -uroot -N -B -e "SHOW FULL PROCESSLIST" | cut -c1-160; break; }
  if [ "$i" = 1 ]; then   # only now: an empty binlogd asks SHOW BINARY LOGS, which waiting commits block
    writer w1 'printf "INSERT INTO w.s (v) VALUES (REPEAT(\"a\", %d));\n", 1 + int(rand() * 290); if (i % 60 == 0) print "FLUSH BINARY LOGS;"'
    writer w2 'print "INSERT INTO w.big (v) SELECT REPEAT(MD5(seq), 30) FROM w.seq_1_to_40;"; print "DO SLEEP(0.02);"'
  fi
  # The tailer starts at the last stored file (what earlier cycles served was checked then).
  T=$W/tail.$i; mkdir -p "$T"; from=$(sed 's|.*/||' "$D"/*.index 2>/dev/null | tail -1)
  "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$L" -u repl -p replpass -f "$from" -F 0 -s 4242 -w "$T" > "$T.out" 2>&1 &
  tailer=$!; tl_track_pid "$tailer"
  if [ $((i % big_every)) = 2 ]; then
    # A 29 MB transaction streams in: the power fails once part of it is written, unsynced.
    # The writers hold still meanwhile, so the growth watched is that transaction's.
    kill -STOP "${WRITERS[@]}"
    before=$(du -sb "$D" | cut -f1)
    mariadb -S "$(tl_sock p)" -uroot -N -B -e "INSERT INTO w.big (v) SELECT REPEAT(MD5(seq), 30)
      FROM w.seq_1_to_30000; SELECT @@last_gtid" > "$W/big.$i.acked" 2>/dev/null &
    tl_track_pid $!
    wait_fast 600 tl_dir_grew "$D" $((before + 2 * 1048576)) || { tl_log "cycle $i: the big transaction did not arrive"; break; }
  else
    # The power fails right after the n-th next commit returned (n random).
    want=$(( $(acked_count) + 1 + RANDOM % 50 ))
    tl_wait_until 60 acked_above "$want" || { tl_log "cycle $i: commits stopped returning"; break; }
  fi
  kill -USR2 "$pid"
  tl_wait_pid "$pid" 30
  wait "$pid"; rc=$?
  unset "TL_BPID[b]"
  [ "$rc" = 9 ] && cuts=$((cuts + 1)) || tl_log "cycle $i: binlogd exited $rc, not 9"
  acked | sort -u > "$W/acked.$i"   # binlogd is dead: no commit can return from here on
  kill -CONT "${WRITERS[@]}"
  tl_wait_pid "$tailer" 30
  d=$(tl_log_has b "simulated power loss" && sed -n 's/.*(\([0-9]*\) bytes dropped.*/\1/p' "$W/b.log" | tail -1)
  dropped=$((dropped + ${d:-0})); [ "${d:-0}" -gt 0 ] && cut_tails=$((cut_tails + 1))
  [ $((i % big_every)) = 2 ] && [ "${d:-0}" = 0 ] && tl_log "cycle $i: the big transaction was already synced at the cut"

  # Offline, before any start: verify names what the journal holds that the files lost.
  "$BINLOGD_BIN" verify "$D" > "$W/preverify.$i" 2>&1
  grep -q "^NOTE  .binlogd-journal: .* not in the files yet" "$W/preverify.$i" && jnotes=$((jnotes + 1))
  # Recovery alone, no upstream: what is on disk now is all there is.
  tl_binlogd_start b "$D"
  tl_wait_until 30 tl_log_has b "no upstream.host\|cannot open data directory"
  tl_log_has b "restored journaled bytes" && restores=$((restores + 1))
  tl_binlogd_stop b || tl_log "cycle $i: recovery failed: $(grep 'cannot open' "$W/b.log" | tail -1)"
  if "$BINLOGD_BIN" verify "$D" > "$W/verify.$i" 2>&1; then verified=$((verified + 1))
  else tl_log "cycle $i: verify failed:"; grep -v '^OK' "$W/verify.$i" | head -5; fi

  stored_gtids > "$W/stored.$i"
  lost=$(comm -23 "$W/acked.$i" "$W/stored.$i" | wc -l)
  [ "$lost" = 0 ] || tl_log "cycle $i: $lost acknowledged transactions missing, e.g. $(comm -23 "$W/acked.$i" "$W/stored.$i" | head -3 | tr '\n' ' ')"
  lost_total=$((lost_total + lost)); acked_checked=$(wc -l < "$W/acked.$i")
  for f in "$T"/*; do
    [ -f "$f" ] || continue
    served_bytes=$((served_bytes + $(stat -c %s "$f")))
    tl_file_prefix_of "$D/$(basename "$f")" "$f" || {
      served_lost=$((served_lost + 1)); tl_log "cycle $i: served $(basename "$f") ($(stat -c %s "$f") bytes) is not a prefix of the recovered file"; }
  done
done
tl_assert_eq "every power-loss cycle ran (binlogd exited 9)" "$cuts" "$cycles"
tl_assert_eq "every recovery verified" "$verified" "$cycles"
tl_assert_eq "acked-but-lost (over $acked_checked acknowledged transactions)" "$lost_total" 0
tl_assert_eq "served-but-lost files" "$served_lost" 0
tl_assert "the tailer was served data to check" test "$served_bytes" -gt 0
tl_assert "the cuts threw unsynced bytes away" test "$dropped" -gt 0
tl_log "power-loss figures: $journal_cycles cycles with the commit journal; its records restored lost bytes in $restores recoveries"
tl_assert "the commit journal restored bytes a cut took (journal cycles: $journal_cycles)" test "$restores" -gt 0
tl_assert_eq "verify noted pending journal records exactly before the recoveries that restored them" "$jnotes" "$restores"

tl_binlogd_start b "$D" "${UP[@]}"
n=$(( $(acked_count) + 20 ))
tl_assert "commits flow again after the last power loss" tl_wait_until 60 acked_above "$n"
kill "${WRITERS[@]}" 2>/dev/null
tl_wait_mirror_caught_up p "$D" 60
tl_assert "files identical to the primary's" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert_eq "no commit fell back to asynchronous (no_tx)" "$(status Rpl_semi_sync_master_no_tx)" 0
tl_assert "clean stop" tl_binlogd_stop b
tl_assert "verify passes" "$BINLOGD_BIN" verify "$D"
tl_log "power-loss figures: $cuts cycles, $acked_checked acknowledged transactions checked after each, acked-but-lost $lost_total, served $served_bytes bytes to the tailer, served-but-lost $served_lost, $dropped unsynced bytes dropped by the cuts ($cut_tails cycles caught bytes in flight)"
tl_done
