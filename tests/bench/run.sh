#!/usr/bin/env bash
# make bench: the same corpus and the same clients against the MariaDB primary and against
# binlogd mirroring it, in one run, figures side by side (issue #6 grows this).
#   ingest:  time for binlogd to mirror the corpus (sync=trx) vs mariadb-binlog --raw
#   fan-out: N concurrent raw dump clients (tests/bench/dumpcli) reading the corpus to the end:
#            aggregate MB/s, server CPU seconds, server peak RSS, ratio binlogd/MariaDB
# BENCH_MB (default 200) sizes the corpus; BENCH_N (default "1 16 128") the client counts.
source "$(dirname "$0")/../integration/harness.sh"
tl_init bench
MB=${BENCH_MB:-200}; NS=${BENCH_N:-"1 16 128"}
tl_mariadb_start p --max-connections=2000
P=$(tl_port p); L=$(tl_free_port); D=$(tl_workdir)/b
echo "corpus: ${MB} MiB of row events on a MariaDB 10.11 primary ..."
tl_wl_big p $((MB / 2)); tl_flush_logs p; tl_wl_big p $((MB / 2)); tl_wl_small p 5000; tl_flush_logs p
bytes=$(tl_sql p "SHOW BINARY LOGS" | awk '{s += $2} END {print s}')
first=$(tl_binlogs p | head -1)
now() { date +%s.%N; }
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }       # user+sys seconds (USER_HZ 100)
rss() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
t0=$(now)
tl_binlogd_start b "$D" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
  --upstream.password=replpass --binlogd.listen=127.0.0.1:"$L" --user.repl.password=replpass
tl_wait_mirror_caught_up p "$D" 600
t1=$(now)
raw=$(tl_workdir)/raw; mkdir -p "$raw"
t2=$(now)
(cd "$raw" && mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P"$P" -urepl -preplpass --to-last-log "$first")
t3=$(now)
printf '\n%-34s %10s %10s\n' "ingest of $((bytes / 1048576)) MiB" "seconds" "MB/s"
awk -v a="$t0" -v b="$t1" -v n="$bytes" 'BEGIN {printf "%-34s %10.2f %10.1f\n", "binlogd (sync=trx)", b - a, n / (b - a) / 1e6}'
awk -v a="$t2" -v b="$t3" -v n="$bytes" 'BEGIN {printf "%-34s %10.2f %10.1f\n", "mariadb-binlog --raw (no fsync)", b - a, n / (b - a) / 1e6}'

mpid=${TL_PID[p]}; bpid=$(tl_binlogd_pid b)
fan() {  # PORT N -> "MB/s cpu_seconds"
  local port=$1 n=$2 pid=$3 c0 c1 s e
  c0=$(cpu "$pid"); s=$(now)
  for i in $(seq 1 "$n"); do "$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$port" -u repl -p replpass -f "$first" -o 4 -q & done
  wait $(jobs -p) 2>/dev/null
  e=$(now); c1=$(cpu "$pid")
  awk -v s="$s" -v e="$e" -v n="$n" -v b="$bytes" -v c0="$c0" -v c1="$c1" 'BEGIN {printf "%.0f %.2f", n * b / (e - s) / 1e6, c1 - c0}'
}
printf '\n%-8s %14s %10s %14s %10s %8s\n' "readers" "MariaDB MB/s" "cpu s" "binlogd MB/s" "cpu s" "ratio"
for n in $NS; do
  read -r m_mb m_cpu <<< "$(fan "$P" "$n" "$mpid")"
  read -r b_mb b_cpu <<< "$(fan "$L" "$n" "$bpid")"
  awk -v n="$n" -v a="$m_mb" -v b="$m_cpu" -v c="$b_mb" -v d="$b_cpu" 'BEGIN {printf "%-8d %14d %10.2f %14d %10.2f %7.2fx\n", n, a, b, c, d, c / a}'
done
printf '\npeak RSS: MariaDB %s KiB, binlogd %s KiB\n' "$(rss "$mpid")" "$(rss "$bpid")"
tl_binlogd_stop b
TL_PASS=1
tl_done
