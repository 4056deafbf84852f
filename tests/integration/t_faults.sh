#!/usr/bin/env bash
# Issue #5 (part): write-path faults with a real primary, injected through fsio.
#  - fdatasync EIO: binlogd stops ingest and exits 1 (fsyncgate: no retry-and-continue); the
#    restart re-verifies the tail and catches up to identical files;
#  - ENOSPC on a data write: the partial tail is rolled back, ingest retries and converges.
source "$(dirname "$0")/harness.sh"
tl_init faults
tl_mariadb_start p
P=$(tl_port p)
UP=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
    --upstream.retry_min_ms=100 --upstream.retry_max_ms=500)
tl_wl_small p 300

D=$(tl_workdir)/eio
BINLOGD_FSIO_FAULTS="fdatasync:3:EIO" tl_binlogd_start b "$D" "${UP[@]}"
pid=$(tl_binlogd_pid b)
# Group commit may cover a whole burst with one fdatasync: keep committing in small bursts
# until the third one has happened (and failed).
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; tl_wl_small p 20; sleep 0.2; done
tl_assert "binlogd exits after the injected fdatasync EIO" tl_wait_pid "$pid" 30
wait "$pid"; rc=$?
tl_assert_eq "exit status 1 (storage failure)" "$rc" 1
tl_assert "the log says why and what to do" grep -q "must restart and re-verify" "$(tl_workdir)/b.log"
tl_binlogd_start b "$D" "${UP[@]}"
tl_assert "restarted binlogd catches up" tl_wait_mirror_caught_up p "$D" 60
tl_assert "files identical after the EIO restart" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "clean stop" tl_binlogd_stop b
tl_assert "verify passes" "$BINLOGD_BIN" verify "$D"

D2=$(tl_workdir)/nospace
# Journal off: the fault must land on a binlog file write (a journal write that fails with
# ENOSPC falls back to the file's own fdatasync; test_journal covers that).
BINLOGD_FSIO_FAULTS="write:4:ENOSPC:3" tl_binlogd_start c "$D2" "${UP[@]}" --storage.journal=off
tl_wl_small p 300
tl_assert "binlogd logs the full disk and retries" tl_wait_until 30 tl_log_has c "NOSPACE\|No space"
tl_assert "it converges once writes succeed again" tl_wait_mirror_caught_up p "$D2" 60
tl_assert "still running (disk full is not fatal)" kill -0 "$(tl_binlogd_pid c)"
tl_assert "files identical after ENOSPC" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D2"
tl_assert "clean stop" tl_binlogd_stop c
tl_assert "verify passes" "$BINLOGD_BIN" verify "$D2"
tl_done
