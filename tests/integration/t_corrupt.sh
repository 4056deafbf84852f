#!/usr/bin/env bash
# Issue #2: "an event with a bad CRC ... is never persisted: log it with file:offset, drop the
# connection, retry". A proxy between binlogd and a real primary flips one bit in the middle
# of the binlog stream on the first connection; binlogd must refuse the event, reconnect,
# and end with files identical to the primary's.
source "$(dirname "$0")/harness.sh"
tl_init corrupt
tl_mariadb_start p
P=$(tl_port p); X=$(tl_free_port); D=$(tl_workdir)/b
tl_wl_big p 8
tl_flush_logs p
tl_wl_small p 200
"$TL_REPO/bin/flipproxy" "$X" "$P" 3000000 2> "$(tl_workdir)/proxy.log" &
tl_track_pid $!
tl_wait_until 10 tl_port_open "$X"
tl_binlogd_start b "$D" --upstream.host=127.0.0.1 --upstream.port="$X" --upstream.user=repl \
  --upstream.password=replpass --upstream.retry_min_ms=100 --upstream.net_timeout=5
tl_assert "the proxy corrupted the stream" tl_wait_until 30 grep -q flipped "$(tl_workdir)/proxy.log"
tl_assert "binlogd refused the corrupt event and says where" tl_wait_until 30 tl_log_has b "CRC mismatch\|corrupt event\|stream ended\|unexpected packet"
tl_assert "binlogd reconnected" tl_wait_until 30 tl_log_has b "reconnecting"
tl_assert "caught up through the clean reconnection" tl_wait_mirror_caught_up p "$D" 60
tl_assert "files identical: nothing corrupt was persisted" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "clean stop" tl_binlogd_stop b
tl_assert "verify passes" "$BINLOGD_BIN" verify "$D"
grep -h "CRC mismatch\|corrupt event" "$(tl_workdir)/b.log" | head -2 | sed 's/^/  logged: /'

# The same with 8 bytes of 0xff (absurd packet / event lengths) and with a packet cut in the
# middle: each time nothing bad is stored, binlogd reconnects and the files end identical.
for mode in garble cut; do
  Y=$(tl_free_port)
  "$TL_REPO/bin/flipproxy" "$Y" "$P" 1000000 "$mode" 2> "$(tl_workdir)/proxy.$mode.log" &
  tl_track_pid $!
  tl_wait_until 10 tl_port_open "$Y"
  tl_wl_big p 6
  tl_binlogd_start b "$D" --upstream.host=127.0.0.1 --upstream.port="$Y" --upstream.user=repl \
    --upstream.password=replpass --upstream.retry_min_ms=100 --upstream.net_timeout=5
  tl_assert "$mode: the proxy damaged the stream" tl_wait_until 30 grep -q flipped "$(tl_workdir)/proxy.$mode.log"
  tl_assert "$mode: binlogd reconnected" tl_wait_until 30 tl_log_has b "reconnecting"
  tl_assert "$mode: caught up" tl_wait_mirror_caught_up p "$D" 60
  tl_assert "$mode: files identical, nothing bad persisted" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
  tl_assert "$mode: clean stop" tl_binlogd_stop b
  tl_assert "$mode: verify passes" "$BINLOGD_BIN" verify "$D"
  sed -n '/^==== start/h; /^==== start/!H; ${x;p}' "$(tl_workdir)/b.log" | grep -v "\[secret\]" | grep -m1 "WARN\|ERROR" | sed "s/^/  $mode logged: /"
done
tl_done
