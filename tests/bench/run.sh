#!/usr/bin/env bash
# make bench (issue #6): the same corpus and the same clients against a MariaDB primary,
# binlogd mirroring it, a MariaDB intermediate master and a bare sendfile server, in one run,
# figures side by side with ratios (this 2-core machine is shared: absolute numbers are noisy,
# ratios from one run are what to compare). One table per benchmark:
#   corpus   sysbench oltp_write_only on the primary, BENCH_MB MB, rotated into several files
#   ingest   binlogd (storage.sync=trx) mirroring the corpus vs mariadb-binlog --raw (to disk)
#   fan-out  N readers reading to EOF (tests/bench/fanout: one epoll process, N sockets; and
#            N mariadb-binlog --raw for N <= 16) from MariaDB, binlogd and tests/bench/ceiling;
#            then 1000 dumps opened at once deep inside a file (time until all stream)
#   hop      1000 trx/s (tests/bench/pacedwriter); tests/bench/tailer stamps each GTID event
#            read from the primary, from binlogd (sync=trx, and sync=none for reference) and
#            from a MariaDB intermediate master; tests/bench/syncprobe times fdatasync
#   idle     N idle dumps (tests/bench/idlescale): RSS per connection, commit -> all N
#   gtidstorm  K GTID replicas reconnecting at once into a synthetic history, time to first
#            event and server CPU with the GTID position index ignored vs used (gtidstorm.sh;
#            its own knobs BENCH_STORM_*)
#   tiers    the tier failover of tests/integration/t_tiers.sh: a middle binlogd killed under
#            load, ms until a leaf replica gets the first transaction the survivor brought
#   compress the corpus compressed by storage.compress_after (zlib, 64 KiB blocks): ratio and
#            speed, `binlogd cat` inflate speed, then fan-out at BENCH_Z_N readers from a binlogd
#            serving the compressed copy vs one serving the plain copy, same files, same run
# Knobs (environment):
#   BENCH_QUICK=1          development run: BENCH_MB=40, BENCH_HOP_SECS=5, BENCH_IDLE_ROUNDS=3
#   BENCH_MB=500           corpus size in MB (10^6 bytes)
#   BENCH_FILE_MB=8        max_binlog_size of the primary in MB (at most BENCH_MB/10): many files,
#                          so that fan-out readers can start at a file start (see BENCH_FAN_MB)
#   BENCH_N="1 16 128 1000"        fan-out reader counts
#   BENCH_FAN_MB=16*BENCH_MB       bytes read per (server, N), about: each of N readers reads the
#                                  corpus from the latest file start with >= BENCH_FAN_MB/N MB after it
#   BENCH_TLS_N=16         N at which the fanout readers run again over TLS against the same
#                          binlogd (it offers TLS with a self-signed test certificate; tls.require
#                          stays off): one more row with the TLS/plaintext ratio; "" = skip
#   BENCH_RESUME_N=1000    readers that start at once deep inside a file (time to first event)
#   BENCH_TOOL_MAX_N=16    largest N that also runs N mariadb-binlog processes
#   BENCH_CEILING_THREADS=nproc    epoll threads of the sendfile ceiling server
#   BENCH_HOP_RATE=1000 BENCH_HOP_SECS=10  paced writer
#   BENCH_IDLE_N="1000 10000"      idle connection counts; BENCH_IDLE_MARIADB_MAX=10000 caps
#                                  MariaDB's (one thread each); BENCH_IDLE_ROUNDS=5 commits
#   BENCH_ONLY="ingest fanout hop idle gtidstorm tiers compress"    which benchmarks to run (the corpus is always made)
#   BENCH_Z_N="1 16"       fan-out reader counts of the compressed vs plain comparison
#   BENCH_TOOLS=bin        where the bench programs are; BINLOGD_BIN the binlogd binary
#   BENCH_BINLOGD_ARGS     extra --section.key=value options for the binlogd under test
#   BENCH_PERF=PREFIX      `perf record -g` of binlogd during its fan-out run at each N of
#                          BENCH_PERF_N (default 16) into PREFIX.N.data
#   BENCH_BEFORE=PATH      a second binlogd binary (e.g. an older revision's; tests/bench/compare.sh
#                          builds one) measured in the same run, on the same corpus, right after
#                          BINLOGD_BIN: one more row in the ingest table and per N in the fan-out
#                          table (fanout client), then a before/after table (MB/s, server cpu s).
#                          BENCH_BEFORE_LABEL / BENCH_AFTER_LABEL name the two (default before/after).
#                          Unset: the output is as without it.
#   BENCH_STATS_OFF=1      (default) one more ingest row: the same binlogd binary with
#                          --stats.enabled=0 (no traffic statistics), run right after the first,
#                          and a line comparing MB/s and cpu s with statistics on vs off; 0: skip.
source "$(dirname "$0")/../integration/harness.sh"

# ---- knobs ----
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  : "${BENCH_MB:=40}" "${BENCH_HOP_SECS:=5}" "${BENCH_IDLE_ROUNDS:=3}"
fi
MB=${BENCH_MB:-500}
FILE_MB=${BENCH_FILE_MB:-$(( MB / 10 > 8 ? 8 : (MB / 10 > 1 ? MB / 10 : 1) ))}
NS=${BENCH_N:-"1 16 128 1000"}
FAN_MB=${BENCH_FAN_MB:-$(( 16 * MB ))}
TOOL_MAX_N=${BENCH_TOOL_MAX_N:-16}
CEIL_T=${BENCH_CEILING_THREADS:-$(nproc)}
HOP_RATE=${BENCH_HOP_RATE:-1000}; HOP_SECS=${BENCH_HOP_SECS:-10}
IDLE_NS=${BENCH_IDLE_N:-"1000 10000"}; IDLE_M_MAX=${BENCH_IDLE_MARIADB_MAX:-10000}
IDLE_ROUNDS=${BENCH_IDLE_ROUNDS:-5}
ONLY=${BENCH_ONLY:-"ingest fanout hop idle gtidstorm tiers compress"}
Z_NS=${BENCH_Z_N:-"1 16"}
BT=${BENCH_TOOLS:-$TL_REPO/bin}
PERF_OUT=${BENCH_PERF:-}; PERF_N=${BENCH_PERF_N:-16}
STATS_OFF=${BENCH_STATS_OFF:-1}
BEFORE=${BENCH_BEFORE:-}; BLAB=${BENCH_BEFORE_LABEL:-before}; ALAB=${BENCH_AFTER_LABEL:-after}

tl_init bench
for t in fanout ceiling pacedwriter tailer idlescale waitpos binlogpos procmon syncprobe gtidstorm; do
  [ -x "$BT/$t" ] || { echo "bench: $BT/$t missing (run make)"; exit 2; }
done
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || { echo "bench: BENCH_BEFORE=$BEFORE is not an executable"; exit 2; }
command -v sysbench >/dev/null || { echo "bench: sysbench missing (scripts/deps.sh installs it)"; exit 2; }
# Every process started from here may hold thousands of sockets (idle scale).
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
W=$(tl_workdir)
wants() { case " $ONLY " in *" $1 "*) return 0;; esac; return 1; }
kv() { local x=" $1"; x=${x##* $2=}; x=${x%% *}; echo "${x//\"/}"; }   # LINE KEY -> value
ns_now() { date +%s%N; }
cpu() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); print ($12 + $13) / hz}' "/proc/$1/stat"; }
hr() { printf '%s\n' "------------------------------------------------------------------------------------------------"; }

echo "bench: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), open files $NOFILE," \
     "load $(cut -d' ' -f1-3 /proc/loadavg); $(mariadbd --version | awk '{print $3}'), binlogd $BINLOGD_BIN${BEFORE:+" ($ALAB); $BLAB: $BEFORE"}"

# ---- primary + corpus ----
tl_mariadb_start p --max-binlog-size=$(( FILE_MB * 1000000 )) --max-connections=$(( IDLE_M_MAX + 200 )) \
  --open-files-limit="$NOFILE" --table-open-cache=400 --thread-cache-size=0
P=$(tl_port p); PS=$(tl_sock p); PD=$(tl_datadir p); mpid=${TL_PID[p]}
tl_sql p "CREATE DATABASE sbtest; CREATE DATABASE bench"
SB=(sysbench oltp_write_only --db-driver=mysql --mysql-socket="$PS" --mysql-user=root --tables=4 --table-size=10000)
"${SB[@]}" prepare > "$W/sysbench.prepare" 2>&1 || { cat "$W/sysbench.prepare"; exit 2; }
corpus_full() { [ "$(stat -c %s "$PD"/p-bin.[0-9]* | awk '{s += $1} END {print s}')" -ge $(( MB * 1000000 )) ]; }
t0=$(ns_now)
"${SB[@]}" --threads=8 --time=0 --events=0 --report-interval=0 run > "$W/sysbench.run" 2>&1 &
sbpid=$!; tl_track_pid "$sbpid"
tl_wait_until 1800 corpus_full || { echo "bench: the corpus did not reach ${MB} MB"; exit 2; }
kill -KILL "$sbpid" 2>/dev/null; wait "$sbpid" 2>/dev/null   # (background jobs ignore SIGINT)
tl_flush_logs p
t1=$(ns_now)
mapfile -t FILES < <(tl_binlogs p)
bytes=0; for f in "${FILES[@]}"; do bytes=$(( bytes + $(stat -c %s "$PD/$f") )); done
trx=$(tl_sql p "SELECT @@gtid_binlog_pos" | awk -F- '{print $NF}')
read -r TF TP <<< "$(tl_master_status p)"
echo
hr
printf 'corpus: %.1f MB in %d files (max_binlog_size %d MB), sysbench oltp_write_only, 8 threads, %s transactions, %.1f s\n' \
  "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')" "${#FILES[@]}" "$FILE_MB" "$trx" \
  "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}')"

L=$(tl_free_port); D=$W/b; LM=$(tl_free_port)
BARGS=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass
       --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$L" --user.repl.password=replpass
       --storage.sync=trx ${BENCH_BINLOGD_ARGS:-})
# Only binlogd "b" serves /metrics (the hop reads its fdatasync figures): the stats-off and
# BENCH_BEFORE binlogds run beside it with BARGS and must not ask for the same port.
BMETRICS=(--metrics.listen=127.0.0.1:"$LM")
# binlogd's own fdatasync figures (binlogd_storage_sync_duration_seconds): sum, count, and
# the calls within 250 us, printed as "sum count le250".
bsyncs() {
  curl -s "http://127.0.0.1:$LM/metrics" | awk '$1 == "binlogd_storage_sync_duration_seconds_sum" { s = $2 }
    $1 == "binlogd_storage_sync_duration_seconds_count" { c = $2 }
    $1 ~ /^binlogd_storage_sync_duration_seconds_bucket\{le="0.00025"\}$/ { q = $2 } END { print s + 0, c + 0, q + 0 }'
}
# TLS fan-out (issue #14): the binlogd under test also offers TLS (tls.require stays off, so
# the plaintext rows are unchanged); BENCH_TLS_N readers read over verified TLS right after
# the plaintext fanout run at the same N. Self-signed test certificate made here.
TLS_NS=${BENCH_TLS_N:-16}; TLSARGS=()
if [ -n "$TLS_NS" ]; then
  mkdir -p "$W/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$W/tls/key.pem" \
    -out "$W/tls/cert.pem" -days 2 -subj /CN=binlogd-bench -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
    { echo "bench: cannot make the TLS test certificate"; exit 2; }
  TLSARGS=(--tls.cert="$W/tls/cert.pem" --tls.key="$W/tls/key.pem")
fi
# binlogd (on port $2, default $L) caught up with the primary's SHOW MASTER STATUS (its own
# is the durable watermark).
binlogd_caught_up() {
  local f p; read -r f p <<< "$(tl_master_status p)"
  "$BT/waitpos" -P "${2:-$L}" -u repl -p replpass -f "$f" -o "$p" -i 1000 -t "${1:-600}" > "$W/waitpos.out"
}
# The BENCH_BEFORE binlogd: the same options, its own port and data directory.
if [ -n "$BEFORE" ]; then
  LB=$(tl_free_port)
  BARGS_B=("${BARGS[@]/#--binlogd.listen=*/--binlogd.listen=127.0.0.1:$LB}")
fi
before_start() { BINLOGD_BIN=$BEFORE tl_binlogd_start bb "$W/bb" "${BARGS_B[@]}"; bbpid=$(tl_binlogd_pid bb); }
SUMMARY=()   # before/after rows: "what|before MB/s|before cpu s|after MB/s|after cpu s"

# ---- ingest ----
if wants ingest; then
  mkdir -p "$W/raw"
  t0=$(ns_now)
  (cd "$W/raw" && "$BT/procmon" -x "$mpid" -- mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P"$P" \
     -urepl -preplpass --to-last-log "${FILES[0]}") > "$W/ingest.raw" 2>&1
  t1=$(ns_now)
  rawb=$(cat "$W"/raw/* | wc -c); rm -rf "$W/raw"
  c0=$(cpu "$mpid"); t2=$(ns_now)
  tl_binlogd_start b "$D" "${BARGS[@]}" "${BMETRICS[@]}" "${TLSARGS[@]}"
  bpid=$(tl_binlogd_pid b)
  "$BT/waitpos" -P "$L" -u repl -p replpass -f "$TF" -o "$TP" -i 1000 -t 900 > "$W/ingest.wait" ||
    { echo "bench: binlogd did not catch up: $(cat "$W/ingest.wait")"; exit 2; }
  t3=$(kv "$(cat "$W/ingest.wait")" reached_wall_ns); bcpu=$(cpu "$bpid"); c1=$(cpu "$mpid")
  if [ -n "$BEFORE" ]; then   # the same ingest by the before binary, while binlogd idles
    t4=$(ns_now)
    before_start
    "$BT/waitpos" -P "$LB" -u repl -p replpass -f "$TF" -o "$TP" -i 1000 -t 900 > "$W/ingest.wait.bb" ||
      { echo "bench: binlogd $BLAB did not catch up: $(cat "$W/ingest.wait.bb")"; exit 2; }
    t5=$(kv "$(cat "$W/ingest.wait.bb")" reached_wall_ns); bbcpu=$(cpu "$bbpid")
  fi
  if [ "$STATS_OFF" = 1 ]; then   # the same ingest without traffic statistics, while binlogd idles
    LS=$(tl_free_port)
    t6=$(ns_now)
    tl_binlogd_start so "$W/so" "${BARGS[@]/#--binlogd.listen=*/--binlogd.listen=127.0.0.1:$LS}" --stats.enabled=0
    sopid=$(tl_binlogd_pid so)
    "$BT/waitpos" -P "$LS" -u repl -p replpass -f "$TF" -o "$TP" -i 1000 -t 900 > "$W/ingest.wait.so" ||
      { echo "bench: binlogd --stats.enabled=0 did not catch up: $(cat "$W/ingest.wait.so")"; exit 2; }
    t7=$(kv "$(cat "$W/ingest.wait.so")" reached_wall_ns); socpu=$(cpu "$sopid")
    tl_binlogd_stop so
    rm -rf "$W/so"
  fi
  echo
  hr
  printf 'ingest: the corpus (%.1f MB) read from the primary on this machine, from cold start to the last byte\n' \
    "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')"
  printf '%-48s %9s %9s %14s\n' "reader" "seconds" "MB/s" "reader cpu s"
  awk -v a="$t0" -v b="$t1" -v n="$rawb" -v c="$(kv "$(tail -1 "$W/ingest.raw")" cli_cpu_s)" \
    'BEGIN {printf "%-48s %9.2f %9.1f %14.2f\n", "mariadb-binlog --raw (to files, no fsync)", (b - a) / 1e9, n / (b - a) * 1e3, c}'
  awk -v a="$t2" -v b="$t3" -v n="$bytes" -v c="$bcpu" \
    'BEGIN {printf "%-48s %9.2f %9.1f %14.2f\n", "binlogd (storage.sync=trx, durable watermark)", (b - a) / 1e9, n / (b - a) * 1e3, c}'
  if [ -n "$BEFORE" ]; then
    awk -v a="$t4" -v b="$t5" -v n="$bytes" -v c="$bbcpu" -v l="binlogd $BLAB (same options)" \
      'BEGIN {printf "%-48s %9.2f %9.1f %14.2f\n", l, (b - a) / 1e9, n / (b - a) * 1e3, c}'
    SUMMARY+=("ingest|$(awk -v a="$t4" -v b="$t5" -v n="$bytes" 'BEGIN {print n / (b - a) * 1e3}')|$bbcpu|$(
      awk -v a="$t2" -v b="$t3" -v n="$bytes" 'BEGIN {print n / (b - a) * 1e3}')|$bcpu")
  fi
  if [ "$STATS_OFF" = 1 ]; then
    awk -v a="$t6" -v b="$t7" -v n="$bytes" -v c="$socpu" -v l="binlogd, stats.enabled=0 (same binary)" \
      'BEGIN {printf "%-48s %9.2f %9.1f %14.2f\n", l, (b - a) / 1e9, n / (b - a) * 1e3, c}'
    awk -v a="$t2" -v b="$t3" -v c="$t6" -v d="$t7" -v n="$bytes" -v on="$bcpu" -v off="$socpu" \
      'BEGIN {printf "traffic statistics: on %.1f MB/s, %.2f cpu s; off %.1f MB/s, %.2f cpu s (on/off: %.2fx MB/s, %.2fx cpu)\n", n / (b - a) * 1e3, on, n / (d - c) * 1e3, off, (n / (b - a)) / (n / (d - c)), (off > 0 ? on / off : 0)}'
  fi
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="$bytes" -v r="$rawb" \
    'BEGIN {x = (n / (d - c)) / (r / (b - a)); printf "ratio binlogd/mariadb-binlog: %.2fx (target >= 1.0x: %s); end detected by polling binlogd'"'"'s SHOW MASTER STATUS every 1 ms\n", x, x >= 1 ? "met" : "not met"}'
  [ "$rawb" -ge $(( bytes * 99 / 100 )) ] || echo "  WARNING: mariadb-binlog wrote $rawb bytes of $bytes"
  tl_sql p "SELECT 1" >/dev/null
else
  tl_binlogd_start b "$D" "${BARGS[@]}" "${BMETRICS[@]}" "${TLSARGS[@]}"
  binlogd_caught_up 900 || { echo "bench: binlogd did not catch up"; exit 2; }
  if [ -n "$BEFORE" ]; then
    before_start
    binlogd_caught_up 900 "$LB" || { echo "bench: binlogd $BLAB did not catch up"; exit 2; }
  fi
fi
bpid=$(tl_binlogd_pid b)
TL_PASS=$((TL_PASS + 1))

# ---- fan-out ----
# One N: the tail of the corpus each reader reads, then MariaDB, binlogd, ceiling, and
# N mariadb-binlog for small N. Figures go to $W/fan.N.* and one row block is printed.
mkdir -p "$W/null"
for f in "${FILES[@]}"; do ln -sf /dev/null "$W/null/$f"; done   # mariadb-binlog --raw output -> /dev/null
fan_row() {  # LABEL CLIENT LINE(maria) LINE(binlogd) LINE(ceiling or empty) [1: MariaDB shown above, print -]
  local m=$3 b=$4 c=$5
  awk -v lab="$1" -v cl="$2" -v hm="${6:-0}" \
      -v mm="$(kv "$m" mbps)" -v mc="$(kv "$m" srv_cpu_s)" -v mr="$(kv "$m" srv_rss_peak_kib)" \
      -v bm="$(kv "$b" mbps)" -v bc="$(kv "$b" srv_cpu_s)" -v br="$(kv "$b" srv_rss_peak_kib)" \
      -v cm="${c:+$(kv "$c" mbps)}" -v cc="${c:+$(kv "$c" srv_cpu_s)}" -v cr="${c:+$(kv "$c" srv_rss_peak_kib)}" \
      -v me="$(kv "$m" errors)" -v be="$(kv "$b" errors)" -v ce="${c:+$(kv "$c" errors)}" 'BEGIN {
    if (hm) printf "%-6s %-15s| %8s %6s %6s | %8.0f %6.2f %6.0f | ", lab, cl, "-", "-", "-", bm, bc, br / 1024
    else printf "%-6s %-15s| %8.0f %6.2f %6.0f | %8.0f %6.2f %6.0f | ", lab, cl, mm, mc, mr / 1024, bm, bc, br / 1024
    if (hm && cm != "") printf "%8s %6s %6s | %5.2fx %5.2fx", "-", "-", "-", (mm > 0 ? bm / mm : 0), (cm > 0 ? bm / cm : 0)
    else if (cm != "") printf "%8.0f %6.2f %6.0f | %5.2fx %5.2fx", cm, cc, cr / 1024, (mm > 0 ? bm / mm : 0), (cm > 0 ? bm / cm : 0)
    else printf "%8s %6s %6s | %5.2fx %6s", "-", "-", "-", (mm > 0 ? bm / mm : 0), "-"
    if (me + be + ce > 0) printf "  ERRORS maria=%d binlogd=%d ceiling=%d", me, be, ce
    printf "\n" }'
}
tool_fan() {  # PORT N FILE POS PID -> procmon line plus errors= (failed processes) and mbps=
  local port=$1 n=$2 f=$3 pos=$4 pid=$5 out
  out=$(cd "$W/null" && "$BT/procmon" -x "$pid" -- bash -c '
    pids=(); for i in $(seq 1 '"$n"'); do
      mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P'"$port"' -urepl -preplpass \
        --start-position='"$pos"' --to-last-log '"$f"' 2>>"'"$W"'/mariadb-binlog.err" & pids+=($!); done
    bad=0; for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done; exit $bad' | tail -1)
  echo "$out errors=$(kv "$out" status) mbps=$(awk -v n="$n" -v b="$TAIL" -v w="$(kv "$out" wall_s)" 'BEGIN {printf "%.1f", n * b / w / 1e6}')"
}
# perf record of binlogd, started disabled and switched on/off through its control fifo
# (each command is acknowledged, so the profile covers exactly the binlogd run).
perf_on() {
  rm -f "$W/perf.ctl" "$W/perf.ack"; mkfifo "$W/perf.ctl" "$W/perf.ack"
  exec 8<>"$W/perf.ctl" 9<>"$W/perf.ack"
  perf record -g -D -1 --control "fifo:$W/perf.ctl,$W/perf.ack" -o "$PERF_OUT.$1.data" -p "$bpid" > "$W/perf.log" 2>&1 &
  perfpid=$!
  echo enable >&8; read -r -t 30 -u 9 _ || echo "bench: perf did not acknowledge enable: $(cat "$W/perf.log")"
}
perf_off() {
  echo disable >&8; read -r -t 30 -u 9 _
  kill -INT "$perfpid"; wait "$perfpid"; perfpid=
  exec 8>&- 9>&-
}
if wants fanout; then
  echo
  hr
  printf 'fan-out: N readers each read the tail of the corpus to EOF at once (non-blocking dump, server_id 0)\n'
  printf 'MB/s = all readers'"'"' binlog bytes / wall time; cpu s = server CPU (utime+stime); RSS = server peak VmRSS (MiB)\n'
  printf 'ceiling = tests/bench/ceiling: sendfile of the same bytes, %d epoll threads, no framing\n' "$CEIL_T"
  printf '%-6s %-15s| %8s %6s %6s | %8s %6s %6s | %8s %6s %6s | %6s %6s\n' "N" "client" "MariaDB" "cpu s" "RSS" \
    "binlogd" "cpu s" "RSS" "ceiling" "cpu s" "RSS" "b/Mar" "b/ceil"
  for n in $NS; do
    per=$(( FAN_MB * 1000000 / n )); [ "$per" -ge "$bytes" ] && per=$(( 2 * bytes ))   # whole corpus
    read -r idx pos TAIL <<< "$("$BT/binlogpos" -s "$per" "${FILES[@]/#/$PD/}")"
    f=${FILES[$idx]}
    CP=$(tl_free_port)
    # The ceiling serves the primary's own files: the same bytes from the same page cache.
    cpos=$pos; [ "$pos" = 4 ] && cpos=0          # a whole file: the ceiling sends its magic too
    (cd "$PD" && exec "$BT/ceiling" -p "$CP" -t "$CEIL_T" -o "$cpos" "${FILES[@]:$idx}") > "$W/ceiling.out" 2>&1 &
    cpid=$!; tl_track_pid "$cpid"
    tl_wait_until 10 tl_port_open "$CP" || { echo "bench: ceiling did not start: $(cat "$W/ceiling.out")"; exit 2; }
    m=$("$BT/fanout" -n "$n" -P "$P" -u repl -p replpass -f "$f" -o "$pos" -x "$mpid" 2>&1 | tail -1)
    [ -n "$PERF_OUT" ] && case " $PERF_N " in *" $n "*) perf_on "$n";; esac
    b=$("$BT/fanout" -n "$n" -P "$L" -u repl -p replpass -f "$f" -o "$pos" -x "$bpid" 2>&1 | tail -1)
    [ -n "${perfpid:-}" ] && perf_off
    [ -n "$BEFORE" ] && bb=$("$BT/fanout" -n "$n" -P "$LB" -u repl -p replpass -f "$f" -o "$pos" -x "$bbpid" 2>&1 | tail -1)
    c=$("$BT/fanout" -n "$n" -R -P "$CP" -o "$cpos" -x "$cpid" 2>&1 | tail -1)
    kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null
    printf '%s\n%s\n%s\n' "maria $m" "binlogd $b" "ceiling $c" > "$W/fan.$n"
    fan_row "$n" "fanout" "$m" "$b" "$c"
    if [[ " $TLS_NS " == *" $n "* ]]; then   # the same readers over TLS, same binlogd process
      t=$("$BT/fanout" -n "$n" -P "$L" -u repl -p replpass -f "$f" -o "$pos" -x "$bpid" -S "$W/tls/cert.pem" 2>&1 | tail -1)
      awk -v lab="fanout TLS" -v tm="$(kv "$t" mbps)" -v tc="$(kv "$t" srv_cpu_s)" -v tr="$(kv "$t" srv_rss_peak_kib)" \
          -v bm="$(kv "$b" mbps)" -v bc="$(kv "$b" srv_cpu_s)" -v cc="$(kv "$t" cli_cpu_s)" 'BEGIN {
        printf "%-6s %-15s| %8s %6s %6s | %8.0f %6.2f %6.0f | TLS/plaintext (binlogd): %.2fx MB/s, %.2fx server cpu s (client cpu %s s)\n",
          "", lab, "-", "-", "-", tm, tc, tr / 1024, (bm > 0 ? tm / bm : 0), (bc > 0 ? tc / bc : 0), cc }'
      [ "$(kv "$t" errors)" = 0 ] || echo "       error (TLS): $t"
      [ "$(kv "$t" bytes_max)" = "$(kv "$b" bytes_max)" ] ||
        echo "       WARNING: a reader got $(kv "$t" bytes_max) bytes over TLS but $(kv "$b" bytes_max) in plaintext"
    fi
    if [ -n "$BEFORE" ]; then   # binlogd column: the before binary; ratios to the same MariaDB/ceiling runs
      fan_row "" "fanout $BLAB" "$m" "$bb" "$c" 1
      SUMMARY+=("fan-out N=$n|$(kv "$bb" mbps)|$(kv "$bb" srv_cpu_s)|$(kv "$b" mbps)|$(kv "$b" srv_cpu_s)")
      [ "$(kv "$bb" errors)" = 0 ] || echo "       error ($BLAB): $bb"
      [ "$(kv "$bb" bytes_max)" = "$(kv "$b" bytes_max)" ] ||
        echo "       WARNING: a reader got $(kv "$bb" bytes_max) bytes from binlogd $BLAB but $(kv "$b" bytes_max) from binlogd"
    fi
    if [ "$n" -le "$TOOL_MAX_N" ]; then
      tm=$(tool_fan "$P" "$n" "$f" "$pos" "$mpid")
      tb=$(tool_fan "$L" "$n" "$f" "$pos" "$bpid")
      fan_row "" "mariadb-binlog" "$tm" "$tb" ""
    fi
    printf '%-6s %-15s  (each reader: %.1f MB from %s:%s; fanout client cpu s: MariaDB %s, binlogd %s, ceiling %s)\n' "" "" \
      "$(awk -v b="$TAIL" 'BEGIN {print b / 1e6}')" "$f" "$pos" "$(kv "$m" cli_cpu_s)" "$(kv "$b" cli_cpu_s)" "$(kv "$c" cli_cpu_s)"
    # Server CPU per GB served: the figure that scales to bigger hosts (issue #15's target:
    # binlogd <= 0.20x MariaDB's at every N).
    awk -v mc="$(kv "$m" srv_cpu_s)" -v mb="$(kv "$m" bytes_total)" -v bc="$(kv "$b" srv_cpu_s)" \
        -v bb="$(kv "$b" bytes_total)" -v cc="$(kv "$c" srv_cpu_s)" -v cb="$(kv "$c" bytes_total)" 'BEGIN {
      m = mb > 0 ? mc / mb * 1e9 : 0; b = bb > 0 ? bc / bb * 1e9 : 0; c = cb > 0 ? cc / cb * 1e9 : 0
      printf "%-6s %-15s  server cpu s per GB served: MariaDB %.3f, binlogd %.3f (%.2fx MariaDB; target <= 0.20x), ceiling %.3f\n",
        "", "", m, b, (m > 0 ? b / m : 0), c }'
    for x in "$m" "$b" "$c"; do
      [ "$(kv "$x" errors)" = 0 ] || echo "       error: $x"
    done
    [ "$(kv "$m" bytes_max)" = "$(kv "$b" bytes_max)" ] ||
      echo "       WARNING: a reader got $(kv "$m" bytes_max) bytes from MariaDB but $(kv "$b" bytes_max) from binlogd"
  done
  echo "targets at N=16 and N=128: binlogd >= 3.5x MariaDB and >= 0.80x the ceiling (fanout client rows)"
  # Resuming inside a file: N dumps at once from a position deep in the largest file; the time
  # until every reader has its first event (fake ROTATE, FORMAT_DESCRIPTION, first event).
  # The largest file of the second half of the corpus (the first files hold sysbench's prepare).
  RN=${BENCH_RESUME_N:-1000}; k=$(( ${#FILES[@]} / 2 )); after=0
  for ((i = k; i < ${#FILES[@]} - 1; i++)); do
    [ "$(stat -c %s "$PD/${FILES[$i]}")" -gt "$(stat -c %s "$PD/${FILES[$k]}")" ] && k=$i
  done
  for ((i = k + 1; i < ${#FILES[@]}; i++)); do after=$(( after + $(stat -c %s "$PD/${FILES[$i]}") )); done
  read -r idx pos _ <<< "$("$BT/binlogpos" $(( after + $(stat -c %s "$PD/${FILES[$k]}") / 5 )) "${FILES[@]/#/$PD/}")"
  f=${FILES[$idx]}
  m=$("$BT/fanout" -n "$RN" -E 3 -P "$P" -u repl -p replpass -f "$f" -o "$pos" -x "$mpid" 2>&1 | tail -1)
  b=$("$BT/fanout" -n "$RN" -E 3 -P "$L" -u repl -p replpass -f "$f" -o "$pos" -x "$bpid" 2>&1 | tail -1)
  printf 'resume: %s dumps at once from %s:%s (%.1f MB into the file); until every reader has its first event:\n' \
    "$RN" "$f" "$pos" "$(awk -v p="$pos" 'BEGIN {print p / 1e6}')"
  printf '        MariaDB %.3f s (server cpu %s s), binlogd %.3f s (server cpu %s s): binlogd/MariaDB %.2fx%s\n' "$(kv "$m" wall_s)" \
    "$(kv "$m" srv_cpu_s)" "$(kv "$b" wall_s)" "$(kv "$b" srv_cpu_s)" \
    "$(awk -v a="$(kv "$b" wall_s)" -v b="$(kv "$m" wall_s)" 'BEGIN {print (b > 0 ? a / b : 0)}')" \
    "$( [ "$(kv "$m" errors)$(kv "$b" errors)" = 00 ] || echo "  ERRORS: $m / $b")"
  TL_PASS=$((TL_PASS + 1))
fi

# ---- before/after ----
if [ -n "$BEFORE" ]; then
  tl_binlogd_stop bb   # not part of the benchmarks that follow
  echo
  hr
  printf 'before/after in this run, same corpus: %s = %s, %s = %s\n' "$BLAB" "$BEFORE" "$ALAB" "$BINLOGD_BIN"
  printf 'MB/s: ingest = corpus / time to the last byte; fan-out = all readers (fanout client); cpu s = server utime+stime\n'
  cw=$(( ${#BLAB} > ${#ALAB} ? ${#BLAB} + 5 : ${#ALAB} + 5 )); [ "$cw" -ge 10 ] || cw=10   # "LABEL MB/s"
  printf "%-16s| %${cw}s %8s | %${cw}s %8s | %10s %10s\n" "" "$BLAB MB/s" "cpu s" "$ALAB MB/s" "cpu s" "MB/s a/b" "cpu s a/b"
  for r in "${SUMMARY[@]}"; do
    IFS='|' read -r what bm bc am ac <<< "$r"
    awk -v w="$what" -v bm="$bm" -v bc="$bc" -v am="$am" -v ac="$ac" -v cw="$cw" 'BEGIN {
      printf "%-16s| %" cw ".1f %8.2f | %" cw ".1f %8.2f | %9.2fx %9.2fx\n", w, bm, bc, am, ac, (bm > 0 ? am / bm : 0),
        (bc > 0 ? ac / bc : 0) }'
  done
  echo "a/b = $ALAB / $BLAB: MB/s above 1 is faster, cpu s below 1 is cheaper"
fi

# ---- hop latency ----
if wants hop; then
  tl_mariadb_start im --log-slave-updates=ON
  IMP=$(tl_port im)
  read -r f pos <<< "$(tl_master_status p)"
  tl_sql im "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass',
    MASTER_LOG_FILE='$f', MASTER_LOG_POS=$pos, MASTER_USE_GTID=no; START SLAVE"
  tl_sql p "CREATE DATABASE hop; CREATE TABLE hop.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB"
  tl_wait_until 60 tl_sql im "SELECT 1 FROM hop.t LIMIT 0" || { echo "bench: intermediate master not replicating"; exit 2; }
  binlogd_caught_up 60 || { echo "bench: binlogd not caught up"; exit 2; }
  # A second binlogd with storage.sync=none, mirroring from the primary's current file: the
  # difference to the first is what durability (fdatasync + group commit wait) costs.
  L2=$(tl_free_port)
  tl_binlogd_start bn "$W/bn" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
    --upstream.password=replpass --upstream.start_file="$f" --binlogd.listen=127.0.0.1:"$L2" \
    --user.repl.password=replpass --storage.sync=none
  read -r f2 pos2 <<< "$(tl_master_status p)"
  "$BT/waitpos" -P "$L2" -u repl -p replpass -f "$f2" -o "$pos2" -t 60 > "$W/waitpos.bn" ||
    { echo "bench: binlogd (sync=none) not caught up: $(cat "$W/waitpos.bn")"; exit 2; }
  rm -f "$W/tail.ready"
  "$BT/tailer" -u repl -p replpass -r "$W/tail.ready" -T $(( HOP_SECS + 120 )) direct=127.0.0.1:"$P" \
    binlogd=127.0.0.1:"$L" nosync=127.0.0.1:"$L2" im=127.0.0.1:"$IMP" > "$W/tail.out" 2> "$W/tail.err" &
  tpid=$!; tl_track_pid "$tpid"
  tl_wait_until 30 test -f "$W/tail.ready" || { echo "bench: tailer not ready: $(cat "$W/tail.err")"; exit 2; }
  read -r ss0 sc0 sq0 <<< "$(bsyncs)"
  wline=$("$BT/pacedwriter" -S "$PS" -u root -t hop.t -r "$HOP_RATE" -d "$HOP_SECS")
  kill -USR1 "$tpid"; wait "$tpid"
  read -r ss1 sc1 sq1 <<< "$(bsyncs)"
  hb=$(grep '^hop label=binlogd' "$W/tail.out"); hi=$(grep '^hop label=im' "$W/tail.out")
  hn=$(grep '^hop label=nosync' "$W/tail.out")
  sp=$("$BT/syncprobe" -r "$HOP_RATE" "$D" 1000 300)   # right after, on binlogd's disk, at the same pace
  spp=$("$BT/syncprobe" -p -r "$HOP_RATE" "$D" 1000 300)
  echo
  hr
  printf 'hop latency: %s single-row transactions/s for %s s on the primary; each GTID event stamped on arrival\n' "$HOP_RATE" "$HOP_SECS"
  printf '(one tailer process, CLOCK_MONOTONIC); added latency = arrival through X - arrival read from the primary directly\n'
  printf 'writer: %s trx at %s/s, commit p50 %s us, p99 %s us\n' "$(kv "$wline" sent)" "$(kv "$wline" rate)" \
    "$(kv "$wline" commit_p50_us)" "$(kv "$wline" commit_p99_us)"
  printf '%-64s %8s %8s %8s %8s %8s\n' "added latency through (us)" "matched" "p50" "p99" "max" "mean"
  for x in "binlogd (storage.sync=trx: fdatasync per batch)|$hb" "binlogd (storage.sync=none: no fdatasync; for reference)|$hn" \
           "MariaDB intermediate master (log_slave_updates, sync_binlog=0)|$hi"; do
    l=${x#*|}
    printf '%-64s %8s %8s %8s %8s %8s%s\n' "${x%%|*}" "$(kv "$l" matched)" "$(kv "$l" p50_us)" "$(kv "$l" p99_us)" \
      "$(kv "$l" max_us)" "$(kv "$l" mean_us)" "$( [ "$(kv "$l" missing)" = 0 ] || echo "  (missing $(kv "$l" missing))")"
  done
  printf '%-64s %8s %8s %8s %8s\n' "(300-byte append + fdatasync, binlogd's disk, same pace, after)" "$(kv "$sp" count)" \
    "$(kv "$sp" p50_us)" "$(kv "$sp" p99_us)" "$(kv "$sp" max_us)"
  printf '%-64s %8s %8s %8s %8s\n' "(300-byte overwrite, preallocated file (the journal's case), same)" "$(kv "$spp" count)" \
    "$(kv "$spp" p50_us)" "$(kv "$spp" p99_us)" "$(kv "$spp" max_us)"
  # The same syncs as binlogd's own histogram saw them during the hop: with the primary (and
  # the intermediate master) syncing on the same disk, slower than the probes above.
  awk -v s="$ss0" -v S="$ss1" -v c="$sc0" -v C="$sc1" -v q="$sq0" -v Q="$sq1" 'BEGIN { n = C - c;
    if (n > 0) printf "%-64s %8d %8s %8s %8s %8.0f  (%.0f%% within 250 us)\n", "(binlogd'"'"'s own fdatasync during the hop, from its metrics)", n, "", "", "", (S - s) / n * 1e6, (Q - q) * 100 / n }'
  # Issue 15's targets: sync=none p50 <= 0.3x the intermediate master's; sync=trx p50 no slower.
  awk -v a="$(kv "$hb" p50_us)" -v b="$(kv "$hb" p99_us)" -v c="$(kv "$hi" p50_us)" -v d="$(kv "$hi" p99_us)" \
      -v n="$(kv "$hn" p50_us)" 'BEGIN {
    printf "ratio to the intermediate master, p50: sync=none %.2fx (target <= 0.3x: %s), sync=trx %.2fx (target <= 1x: %s); sync=trx p99 %.2fx\n",
      n / c, n <= 0.3 * c ? "met" : "not met", a / c, a <= c ? "met" : "not met", b / d }'
  tl_mariadb_stop im; tl_binlogd_stop bn
  TL_PASS=$((TL_PASS + 1))
fi

# ---- idle scale ----
if wants idle; then
  echo
  hr
  printf 'idle scale: N dump connections waiting at the end of the log (one epoll client); then %s commits on the primary,\n' "$IDLE_ROUNDS"
  printf 'each timed from the COMMIT returning until ALL N connections have its GTID event (binlogd: includes the hop)\n'
  printf 'fresh server processes per N (primary restarted, binlogd restarted); RSS/conn = (VmRSS after - before) / N;\n'
  printf 'fds = the server'"'"'s open sockets/files once all wait (open-file limit here: %s)\n' "$NOFILE"
  printf '%-7s %-9s %10s %13s %14s %14s %14s %16s %10s\n' "N" "server" "ready/conn" "RSS/conn KiB" "all got it ms" \
    "worst ms" "p50 conn ms" "fds sock/file" "connect s"
  tl_sql p "CREATE TABLE IF NOT EXISTS bench.idle (id BIGINT AUTO_INCREMENT PRIMARY KEY, v BIGINT NOT NULL) ENGINE=InnoDB"
  idle_row() {  # N LABEL LINE
    local e; e=$(sed -n 's/.*error="\(.*\)".*/\1/p' <<< "$3")
    printf '%-7s %-9s %10s %13s %14s %14s %14s %16s %10s\n' "$1" "$2" "$(kv "$3" ready)/$(kv "$3" connected)" "$(kv "$3" per_conn_kib)" \
      "$(kv "$3" fan_max_ms)" "$(kv "$3" fan_max_worst_ms)" "$(kv "$3" fan_p50_ms)" \
      "$(kv "$3" srv_fd_sockets)/$(kv "$3" srv_fd_files)" "$(kv "$3" connect_s)"
    [ -z "$e" ] || printf '        %s: %s\n' "$2" "$e"
  }
  for n in $IDLE_NS; do
    tl_binlogd_stop b
    tl_mariadb_restart p; mpid=${TL_PID[p]}
    tl_binlogd_start b "$D" "${BARGS[@]}" "${BMETRICS[@]}"; bpid=$(tl_binlogd_pid b)
    binlogd_caught_up 120 || { echo "bench: binlogd did not reconnect: $(cat "$W/waitpos.out")"; exit 2; }
    ib=$("$BT/idlescale" -n "$n" -P "$L" -u repl -p replpass -x "$bpid" -W 127.0.0.1:"$P" -t bench.idle -r "$IDLE_ROUNDS" 2> "$W/idle.b.$n.err" | tail -1)
    idle_row "$n" binlogd "$ib"
    kill -0 "$bpid" 2>/dev/null || printf '        binlogd died: %s\n' "$(tail -3 "$W/b.log" | tr '\n' ' ')"
    if tl_log_has b "Too many open files"; then
      printf '        binlogd log: "%s" (RLIMIT_NOFILE %s)\n' "$(grep -m1 -o 'accept failed: Too many open files' "$W/b.log")" \
        "$(awk '/Max open files/ {print $4}' /proc/"$bpid"/limits 2>/dev/null)"
    fi
    nm=$(( n < IDLE_M_MAX ? n : IDLE_M_MAX )); l0=$(wc -l < "$W/p.err")
    im=$("$BT/idlescale" -n "$nm" -P "$P" -u repl -p replpass -x "$mpid" -W 127.0.0.1:"$P" -t bench.idle -r "$IDLE_ROUNDS" 2> "$W/idle.m.$n.err" | tail -1)
    idle_row "$nm" MariaDB "$im"
    e=$(tail -n +$((l0 + 1)) "$W/p.err" | grep -c 'Failed to open log.*errno 24'); [ "$e" = 0 ] ||
      printf '        MariaDB log: %s x "Failed to open log (... errno 24)" (EMFILE; open_files_limit %s)\n' "$e" \
        "$(tl_sql p "SELECT @@open_files_limit")"
  done
  echo "targets: <= 16 KiB RSS per idle replica; 10000 replicas on one process, all receiving a new transaction within 100 ms"
  TL_PASS=$((TL_PASS + 1))
fi
if wants gtidstorm; then
  echo; hr
  if storm=$(bash "$(dirname "$0")/gtidstorm.sh" 2>&1); then printf '%s\n' "$storm" | grep -v '^gtidstorm: '
  else printf '%s\n' "$storm"; echo "bench: the GTID reconnect storm failed"; TL_FAIL=$((TL_FAIL + 1)); fi
fi
if wants tiers; then
  echo; hr
  echo "tier failover (tests/integration/t_tiers.sh; upstream.failover_after = 2 s, target 3000 ms)"
  if tiers=$(bash "$(dirname "$0")/../integration/t_tiers.sh" 2>&1); then
    ms=$(printf '%s\n' "$tiers" | sed -n 's/.*first new transaction at D2 after \([0-9]*\) ms.*/\1/p' | head -1)
    printf 'middle binlogd killed -> first new transaction at a leaf: %s ms (%s)\n' "${ms:-?}" \
      "$([ -n "$ms" ] && [ "$ms" -le 3000 ] && echo met || echo "not met")"
    TL_PASS=$((TL_PASS + 1))
  else printf '%s\n' "$tiers" | tail -40; echo "bench: the tier failover test failed"; TL_FAIL=$((TL_FAIL + 1)); fi
fi
if wants compress; then
  # Two binlogds without upstream on copies of the mirrored corpus: one plain, one with every
  # closed file compressed by its own compressor (storage.compress_after=1). Same files, same
  # readers, one after the other in this run.
  echo; hr
  if [ -z "${bpid:-}" ] || ! kill -0 "$bpid" 2>/dev/null; then
    tl_binlogd_start b "$D" "${BARGS[@]}" "${BMETRICS[@]}"; bpid=$(tl_binlogd_pid b)
  fi
  binlogd_caught_up 900 || { echo "bench: binlogd did not catch up: $(cat "$W/waitpos.out")"; exit 2; }
  tl_binlogd_stop b
  rm -rf "$W/zp" "$W/zz"; cp -a "$D" "$W/zp"; cp -a "$D" "$W/zz"
  LZP=$(tl_free_port); LZZ=$(tl_free_port); MZ=$(tl_free_port)
  ZARGS=(--user.repl.password=replpass --storage.sync=trx)
  tl_binlogd_start zz "$W/zz" "${ZARGS[@]}" --binlogd.listen=127.0.0.1:"$LZZ" --storage.compress_after=1 \
    --metrics.listen=127.0.0.1:"$MZ"
  zzpid=$(tl_binlogd_pid zz)
  zclosed() { sed 's|.*/||' "$W/zz"/*.index | head -n -1; }
  zall() { local f; for f in $(zclosed); do [ -f "$W/zz/$f.z" ] && [ ! -e "$W/zz/$f" ] || return 1; done; }
  tl_wait_until 1800 zall || { echo "bench: the compressor did not finish"; exit 2; }
  zorig=0; zstored=0; zn=0
  for f in $(zclosed); do zn=$((zn + 1)); zorig=$((zorig + $(stat -c %s "$W/zp/$f"))); zstored=$((zstored + $(stat -c %s "$W/zz/$f.z"))); done
  zsecs=$(grep -o 'compressed [0-9]* bytes to [0-9]* ([0-9.]*%) in [0-9.]* s' "$W/zz.log" | awk '{s += $(NF - 1)} END {print s}')
  tl_binlogd_stop zz
  t0=$(ns_now); for f in $(zclosed); do "$BINLOGD_BIN" cat "$W/zz" "$f" > /dev/null; done; t1=$(ns_now)
  t2=$(ns_now); for f in $(zclosed); do cat "$W/zp/$f" > /dev/null; done; t3=$(ns_now)
  printf 'compressed history: %d closed files of the corpus, zlib level 6, 64 KiB blocks (storage.compress_after)\n' "$zn"
  awk -v o="$zorig" -v z="$zstored" -v cs="$zsecs" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
    printf "ratio: %.1f MB -> %.1f MB = %.3f (%.2fx smaller); compress %.1f MB/s (one thread, incl. fsync and read-back check)\n",
      o / 1e6, z / 1e6, z / o, o / z, (cs > 0 ? o / 1e6 / cs : 0)
    printf "binlogd cat (inflate + CRC32 per block, one thread): %.0f MB/s of original bytes; cat of the plain files: %.0f MB/s\n",
      o / 1e6 / ((b - a) / 1e9), o / 1e6 / ((d - c) / 1e9) }'
  # The codec alone, in memory, on the same bytes cut into the same 64 KiB blocks: zlib level 6
  # (python3's zlib module, the same library) and, when the zstd tool is there, zstd level 3
  # (`zstd -b`): what a second codec would have to earn its place with.
  for f in $(zclosed); do cat "$W/zp/$f"; done > "$W/zcorpus"
  python3 - "$W/zcorpus" <<'PY'
import sys, time, zlib
b = open(sys.argv[1], 'rb').read()
blocks = [b[i:i + 65536] for i in range(0, len(b), 65536)]
t0 = time.perf_counter(); c = [zlib.compress(x, 6) for x in blocks]; t1 = time.perf_counter()
for _ in range(3):
    for x in c: zlib.decompress(x)
t2 = time.perf_counter()
n = sum(len(x) for x in c)
print("codec in memory, 64 KiB blocks: zlib-6 x%.3f, compress %.0f MB/s, decompress %.0f MB/s" %
      (len(b) / n, len(b) / 1e6 / (t1 - t0), 3 * len(b) / 1e6 / (t2 - t1)))
PY
  if command -v zstd > /dev/null; then
    zstd -b3 -B64KB -i2 "$W/zcorpus" 2>&1 | tr '\r' '\n' | grep 'MB/s.*MB/s' | tail -1 |
      awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\(x/) r = $i; sub(/^\(x/, "", r); sub(/\),?$/, "", r)
             n = split($0, a, ","); printf "codec in memory, 64 KiB blocks: zstd-3 x%s, compress%s, decompress%s (zstd -b)\n", r, a[n - 1], a[n] }'
  else
    echo "codec in memory: zstd not installed, no zstd figures"
  fi
  rm -f "$W/zcorpus"
  zstart() {   # both servers, the compressed one with an empty block cache
    tl_binlogd_start zp "$W/zp" "${ZARGS[@]}" --binlogd.listen=127.0.0.1:"$LZP"; zppid=$(tl_binlogd_pid zp)
    tl_binlogd_start zz "$W/zz" "${ZARGS[@]}" --binlogd.listen=127.0.0.1:"$LZZ" --metrics.listen=127.0.0.1:"$MZ"
    zzpid=$(tl_binlogd_pid zz)
    tl_wait_until 30 tl_port_open "$LZP"; tl_wait_until 30 tl_port_open "$LZZ"
  }
  zmetric() { curl -s "http://127.0.0.1:$MZ/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
  printf 'fan-out from the compressed vs the plain copy: N readers read the whole corpus to EOF (fanout client)\n'
  printf '%-6s| %8s %6s %6s | %8s %6s %6s | %7s %7s | %s\n' "N" "plain" "cpu s" "RSS" "compr." "cpu s" "RSS" "MB/s" "cpu" \
    "block cache (decompressions / hits)"
  for n in $Z_NS; do
    zstart
    f0=$(zclosed | head -1)
    a=$("$BT/fanout" -n "$n" -P "$LZP" -u repl -p replpass -f "$f0" -o 4 -x "$zppid" 2>&1 | tail -1)
    d0=$(zmetric binlogd_block_cache_decompressions_total); h0=$(zmetric binlogd_block_cache_hits_total)
    z=$("$BT/fanout" -n "$n" -P "$LZZ" -u repl -p replpass -f "$f0" -o 4 -x "$zzpid" 2>&1 | tail -1)
    d1=$(zmetric binlogd_block_cache_decompressions_total); h1=$(zmetric binlogd_block_cache_hits_total)
    awk -v n="$n" -v am="$(kv "$a" mbps)" -v ac="$(kv "$a" srv_cpu_s)" -v ar="$(kv "$a" srv_rss_peak_kib)" \
        -v zm="$(kv "$z" mbps)" -v zc="$(kv "$z" srv_cpu_s)" -v zr="$(kv "$z" srv_rss_peak_kib)" \
        -v dd=$((d1 - d0)) -v hh=$((h1 - h0)) 'BEGIN {
      printf "%-6s| %8.0f %6.2f %6.0f | %8.0f %6.2f %6.0f | %6.2fx %6.2fx | %d / %d\n", n, am, ac, ar / 1024, zm, zc, zr / 1024,
        (am > 0 ? zm / am : 0), (ac > 0 ? zc / ac : 0), dd, hh }'
    for x in "$a" "$z"; do [ "$(kv "$x" errors)" = 0 ] || echo "       error: $x"; done
    [ "$(kv "$a" bytes_max)" = "$(kv "$z" bytes_max)" ] ||
      echo "       WARNING: a reader got $(kv "$z" bytes_max) bytes from the compressed copy but $(kv "$a" bytes_max) from the plain one"
    tl_binlogd_stop zp; tl_binlogd_stop zz
  done
  printf 'MB/s and cpu: compressed / plain, same run; each N starts with an empty block cache (storage.block_cache_bytes 64 MiB)\n'
  rm -rf "$W/zp" "$W/zz"
  TL_PASS=$((TL_PASS + 1))
fi
echo
[ -n "${TL_BPID[b]:-}" ] && tl_binlogd_stop b
tl_done
