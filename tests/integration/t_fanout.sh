#!/usr/bin/env bash
# Issue #3 acceptance 6: 50 concurrent mariadb-binlog readers plus 2 stalled readers
# (SIGSTOP): the others finish; binlogd's RSS stays bounded. Also 16 readers' aggregate
# MB/s from binlogd vs from the MariaDB primary, same data, same run.
source "$(dirname "$0")/harness.sh"
tl_init fanout

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port)
D=$(tl_workdir)/a
tl_sql p "CREATE DATABASE w"
tl_wl_big p 48
tl_flush_logs p
tl_wl_small p 2000
tl_binlogd_start a "$D" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
    --upstream.password=replpass --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass
tl_wait_mirror_caught_up p "$D" 120
first=$(tl_binlogs p | head -1)
bytes=$(tl_sql p "SHOW BINARY LOGS" | awk '{s+=$2} END {print s}')
pid=$(tl_binlogd_pid a)
rss0=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status)

# Two stalled readers: blocking dumps that stop reading at once.
for i in 1 2; do
  "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4 -F 0 -s $((900 + i)) -q &
  kill -STOP $!; tl_track_pid $!; stalled+=($!)
done
# 50 readers to the end (non-blocking).
out=$(tl_workdir)/readers; mkdir -p "$out"
pids=()
for i in $(seq 1 50); do
  mkdir -p "$out/$i"
  (cd "$out/$i" && mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P"$A" -urepl -preplpass --to-last-log "$first") &
  pids+=($!)
done
peak=$rss0; ok=0
while :; do
  r=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status); [ "$r" -gt "$peak" ] && peak=$r
  alive=0; for p_ in "${pids[@]}"; do kill -0 "$p_" 2>/dev/null && alive=1; done
  [ $alive = 0 ] && break
  sleep 0.2
done
for p_ in "${pids[@]}"; do wait "$p_" && ok=$((ok + 1)); done
tl_assert_eq "all 50 readers finished" "$ok" 50
same=0
for i in $(seq 1 50); do cmp -s "$out/$i/$first" "$(tl_binlog_dir p)/$first" && same=$((same + 1)); done
tl_assert_eq "all 50 readers got identical first files" "$same" 50
tl_log "fanout figures: RSS before ${rss0} KiB, peak ${peak} KiB with 50 readers + 2 stalled ($(( (peak - rss0) / 52 )) KiB per reader)"
tl_assert "RSS bounded (< 64 MiB growth for 52 readers of $((bytes / 1048576)) MiB)" test $((peak - rss0)) -lt 65536
for s in "${stalled[@]}"; do kill -CONT "$s" 2>/dev/null; kill "$s" 2>/dev/null; done

# Aggregate throughput: 16 readers from binlogd vs from the primary.
agg() {  # port
  local t0 t1; t0=$(date +%s.%N)
  for i in $(seq 1 16); do "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$1" -u repl -p replpass -f "$first" -o 4 -q & done
  wait; t1=$(date +%s.%N)
  echo "$t0 $t1" | awk -v b="$bytes" '{printf "%.0f", 16 * b / ($2 - $1) / 1e6}'
}
mb_p=$(agg "$P"); mb_b=$(agg "$A")
tl_log "fanout figures: 16 readers aggregate: primary ${mb_p} MB/s, binlogd ${mb_b} MB/s"
tl_assert "binlogd still running" kill -0 "$pid"
tl_assert "clean stop" tl_binlogd_stop a
tl_done
