#!/usr/bin/env bash
# integration: solo (asserts timings a second suite on the same cores would distort)
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
    --upstream.password=replpass --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass \
    --binlogd.wake_threads=2
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
bstat() { mariadb -h127.0.0.1 -P"$A" -urepl -preplpass -N -B -e "SHOW STATUS LIKE '$1'" | cut -f2; }
sr=$(bstat Binlogd_stream_rounds_parallel)
tl_log "fanout figures: loop turns that pumped streaming dumps: $(bstat Binlogd_stream_rounds), shared with the helpers: $sr"
tl_assert "the 50 readers were served through the shared (parallel) pumps" test "${sr:-0}" -gt 0
tl_log "fanout figures: RSS before ${rss0} KiB, peak ${peak} KiB with 50 readers + 2 stalled ($(( (peak - rss0) / 52 )) KiB per reader)"
tl_assert "RSS bounded (< 64 MiB growth for 52 readers of $((bytes / 1048576)) MiB)" test $((peak - rss0)) -lt 65536
for s in "${stalled[@]}"; do kill -CONT "$s" 2>/dev/null; kill "$s" 2>/dev/null; done

# Parallel wake-up (binlogd.wake_threads): 300 dumps waiting at the end of the log (more than
# WAKE_PARALLEL_MIN, so helper threads share the sends) plus 4 blocking readers that write what
# they receive. First 4 small commits; then 4 commits with a 100 kB row, more than a fresh
# socket takes at once: the wake-up's direct write is partial, and the socket buffer has to
# finish every stream.
tl_sql p "CREATE TABLE w.idle (id BIGINT AUTO_INCREMENT PRIMARY KEY, v BIGINT NOT NULL, pad LONGBLOB)"
wdirs=()
for i in 1 2 3 4; do
  mkdir -p "$out/w$i"; wdirs+=("$out/w$i")
  "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4 -F 0 -s $((950 + i)) -w "$out/w$i" -q &
  tl_track_pid $!; writers+=($!)
done
got_all() {  # every writer's newest file is as long as the primary's active one
  local st name size d
  st=$(tl_master_status p); name=${st% *}; size=${st#* }
  for d in "${wdirs[@]}"; do
    [ -f "$d/$name" ] && [ "$(stat -c %s "$d/$name")" = "$size" ] || return 1
  done
}
field() { echo "$2" | sed "s/.* $1=\([^ ]*\).*/\1/"; }
tl_assert "4 writing readers caught up" tl_wait_until 120 got_all
tl_assert_eq "binlogd runs 2 wake helper threads" "$(bstat Binlogd_wake_threads)" 2
for pad in 0 100000; do
  par0=$(bstat Binlogd_wakeups_parallel)
  is=$("$TL_REPO/bin/idlescale" -n 300 -P "$A" -u repl -p replpass -x "$pid" -W 127.0.0.1:"$P" -t w.idle -r 4 -s $pad 2>&1 | tail -1)
  par=$(( $(bstat Binlogd_wakeups_parallel) - par0 ))
  tl_log "parallel wake figures (row pad $pad bytes): $is; wake-ups shared with the helpers: $par"
  tl_assert_eq "pad $pad: 300 waiting dumps ready" "$(field ready "$is")" 300
  tl_assert_eq "pad $pad: all 300 received the 4th transaction" "$(field received "$is")" 300
  tl_assert_eq "pad $pad: no error from the idle clients" "$(echo "$is" | sed 's/.*error="\(.*\)"$/\1/')" ""
  if [ $pad = 0 ]; then tl_assert "pad 0: the 4 commits' wake-ups were shared with the helpers" test "$par" -ge 4; fi
done
tl_assert "4 writing readers caught up after the parallel wake-ups" tl_wait_until 120 got_all
bad=0
for d in "${wdirs[@]}"; do
  for f in "$d"/*; do tl_file_prefix_of "$(tl_binlog_dir p)/${f##*/}" "$f" || { tl_log "MISMATCH: $f"; bad=1; }; done
done
tl_assert_eq "the writing readers' files are byte-identical prefixes of the primary's" "$bad" 0
for w_ in "${writers[@]}"; do kill "$w_" 2>/dev/null; done

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
