#!/usr/bin/env bash
# integration: solo (asserts timings a second suite on the same cores would distort)
# Issue #12 (metrics, health, status page): a real MariaDB primary, binlogd mirroring it with
# metrics.listen, two real MariaDB replicas (file/position and GTID) and a tailing
# mariadb-binlog reading through binlogd.
#  1. /metrics passes `promtool check metrics`; its values equal the SQL answers taken at the
#     same moment (SHOW MASTER STATUS, SHOW SLAVE HOSTS, PROCESSLIST dumps, SHOW SLAVE STATUS
#     Binlogd_Bytes / Binlogd_Events); per-replica series with lag 0 once caught up;
#  2. the status page in headless Chromium: every streaming replica's row, with the committed
#     position; a screenshot in build/artifacts/status-page.png;
#  3. scrapes answer within 100 ms while 128 readers fan out (tests/bench/fanout) and while
#     STOP SLAVE waits for an upstream session hung in a handshake (primary SIGSTOPped);
#  4. /readyz 200; /healthz 200, 503 "stopped (STOP SLAVE)", 503 "down" with the error once
#     the primary stops, 200 again after it restarts; bounds: 404, POST refused.
source "$(dirname "$0")/harness.sh"
tl_init metrics
for t in curl promtool; do command -v $t >/dev/null || { echo "$t missing (scripts/deps.sh)"; exit 2; }; done
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
FANOUT=$TL_REPO/bin/fanout

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); M=$(tl_free_port); W=$(tl_workdir); D=$W/b
tl_sql p "CREATE DATABASE w"
tl_wl_small p 200
tl_flush_logs p
tl_wl_big p 24
first=$(tl_binlogs p | head -1)
BINLOGD_METRICS_SAMPLE_MS=500 tl_binlogd_start b "$D" --upstream.host=127.0.0.1 --upstream.port="$P" \
    --upstream.user=repl --upstream.password=replpass --upstream.retry_min_ms=100 --upstream.retry_max_ms=500 \
    --upstream.heartbeat_ms=1000 --binlogd.listen=127.0.0.1:"$A" --metrics.listen=127.0.0.1:"$M" \
    --metrics.health_max_lag_seconds=30 --user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin
tl_wait_until 20 tl_port_open "$M"
tl_assert "binlogd mirrors the primary" tl_wait_mirror_caught_up p "$D" 60
URL=http://127.0.0.1:$M
ops() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "$1" 2>&1; }
scrape() { curl -sf "$URL/metrics"; }
metric() {  # NAME [LABELMATCH]: the value of the first sample of NAME whose labels contain LABELMATCH
  scrape | awk -v n="$1" -v m="${2:-}" '$1 == n || index($1, n "{") == 1 { if (m == "" || index($1, m)) { print $2; exit } }'
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# ---- replicas: two real MariaDB replicas and a tailing mariadb-binlog ----
tl_mariadb_start r1 --skip-log-bin
tl_mariadb_start r2 --skip-log-bin
tl_sql r1 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no; START SLAVE"
tl_sql r2 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_USE_GTID=slave_pos; START SLAVE"
(cd "$W" && exec mariadb-binlog --read-from-remote-server --stop-never --stop-never-slave-server-id=4242 \
   -h127.0.0.1 -P"$A" -urepl -preplpass "$first" > /dev/null 2>&1) &
tl_track_pid $!
tl_wl_small p 100
caught_up() { tl_replica_at r1 "$(tl_master_status p)" && [ "$(tl_sql r2 'SELECT @@gtid_slave_pos')" = "$(tl_sql p 'SELECT @@gtid_binlog_pos')" ]; }
tl_assert "both replicas catch up through binlogd" tl_wait_until 90 caught_up
dumps() { ops "SHOW PROCESSLIST" | awk -F'\t' '$5 == "Binlog Dump"' | wc -l; }
all_waiting() { [ "$(metric binlogd_replicas_streaming)" = 3 ] && [ "$(scrape | grep -c '^binlogd_replica_info{.*state="waiting"')" = 3 ]; }
tl_assert "three dumps, all waiting at the committed position" tl_wait_until 30 all_waiting

# ---- 1. promtool, and the values against the SQL answers ----
scrape > "$W/m1.txt"
tl_assert "promtool check metrics passes" bash -c "promtool check metrics < '$W/m1.txt'"
tl_assert "Content-Type is the exposition format" bash -c "curl -sI $URL/metrics | grep -qi '^Content-Type: text/plain; version=0.0.4'"
read -r mf mp <<<"$(ops 'SHOW MASTER STATUS' | cut -f1,2)"
tl_assert_eq "binlogd_committed_position_bytes = SHOW MASTER STATUS Position" "$(metric binlogd_committed_position_bytes)" "$mp"
tl_assert_eq "binlogd_committed_info file = SHOW MASTER STATUS File" \
  "$(scrape | sed -n 's/^binlogd_committed_info{file="\(.*\)"} 1$/\1/p')" "$mf"
tl_assert_eq "... = the primary's position" "$mf $mp" "$(tl_master_status p)"
tl_assert_eq "binlogd_replicas_streaming = PROCESSLIST Binlog Dump rows" "$(metric binlogd_replicas_streaming)" "$(dumps)"
tl_assert_eq "binlogd_replicas_registered = SHOW SLAVE HOSTS rows" "$(metric binlogd_replicas_registered)" \
  "$(ops 'SHOW SLAVE HOSTS' | wc -l)"
sfield() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -e 'SHOW SLAVE STATUS\G' | awk -v k="$1:" '$1 == k {print $2}'; }
tl_assert_eq "received bytes = SHOW SLAVE STATUS Binlogd_Bytes" "$(metric binlogd_upstream_received_bytes_total)" "$(sfield Binlogd_Bytes)"
tl_assert_eq "received events = Binlogd_Events" "$(metric binlogd_upstream_received_events_total)" "$(sfield Binlogd_Events)"
tl_assert_eq "binlogd_upstream_connected 1" "$(metric binlogd_upstream_connected)" 1
tl_assert_eq "caught up: binlogd_upstream_lag_seconds 0" "$(metric binlogd_upstream_lag_seconds)" 0
tl_assert_eq "GTID state = @@gtid_binlog_pos" "$(scrape | sed -n 's/^binlogd_committed_gtid_info{gtid="\(.*\)"} 1$/\1/p')" \
  "$(tl_sql p 'SELECT @@gtid_binlog_pos')"
r1sid=$(tl_sql r1 "SELECT @@server_id"); r2sid=$(tl_sql r2 "SELECT @@server_id")
tl_assert_eq "replica r1: its own series, mode file, 0 bytes behind" \
  "$(metric binlogd_replica_lag_bytes "server_id=\"$r1sid\",host=\"127.0.0.1\",mode=\"file\"")" 0
tl_assert_eq "replica r2: mode gtid, 0 bytes behind" "$(metric binlogd_replica_lag_bytes "server_id=\"$r2sid\"")" 0
tl_assert "replica r2's series says mode gtid" grep -q "^binlogd_replica_lag_bytes{server_id=\"$r2sid\",host=\"127.0.0.1\",mode=\"gtid\"}" "$W/m1.txt"
sent_sum=$(scrape | awk '/^binlogd_replica_sent_bytes_total\{/ {s += $2} END {print s}')
tl_assert "per-replica bytes sent sum to at most the total sent" [ "$sent_sum" -le "$(metric binlogd_sent_bytes_total)" ]
tl_assert "fsync histogram: +Inf bucket = _count > 0" bash -c "
  inf=\$(awk '/^binlogd_storage_sync_duration_seconds_bucket\{le=\"\+Inf\"\}/ {print \$2}' '$W/m1.txt')
  cnt=\$(awk '/^binlogd_storage_sync_duration_seconds_count/ {print \$2}' '$W/m1.txt')
  [ \"\$inf\" = \"\$cnt\" ] && [ \"\$cnt\" -gt 0 ]"
tl_assert "connections by role: replicas counted" [ "$(metric binlogd_connections_open 'role="replica"')" -ge 3 ]
tl_assert "process gauges: fds and RSS" bash -c "[ \$(awk '/^binlogd_process_open_fds / {print \$2}' '$W/m1.txt') -gt 5 ] && [ \$(awk '/^binlogd_process_resident_memory_bytes / {print \$2}' '$W/m1.txt') -gt 1000000 ]"
tl_assert "filesystem free bytes present" grep -q '^binlogd_storage_filesystem_avail_bytes [1-9]' "$W/m1.txt"

# ---- 2. the status page in headless Chromium ----
ART=$TL_REPO/build/artifacts; mkdir -p "$ART"
tl_wl_small p 300   # some traffic for the charts (one sample every 500 ms here)
tl_wait_until 30 caught_up
tl_wait_until 20 all_waiting
read -r mf mp <<<"$(ops 'SHOW MASTER STATUS' | cut -f1,2)"
if [ -n "$CHROMIUM" ]; then
  chrome() { timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$(mktemp -d -p "$W")" "$@" 2>/dev/null; }
  chrome --dump-dom "$URL/" > "$W/page.html"
  rows=$(grep -o '<tr id="replica-[0-9]*"[^>]*>' "$W/page.html")
  tl_assert_eq "the rendered page has a row per streaming replica" "$(grep -c . <<<"$rows")" "$(dumps)"
  for sid in "$r1sid" "$r2sid" 4242; do
    tl_assert "row of server_id $sid at the committed position $mf:$mp" \
      grep -q "data-server-id=\"$sid\" data-file=\"$mf\" data-pos=\"$mp\" data-lag-bytes=\"0\"" <<<"$rows"
  done
  for s in upstream disk chart-ingest chart-lag replicas traffic lag-doctor split-brain; do
    tl_assert "section #$s" grep -q "<section id=\"$s\"" "$W/page.html"
  done
  tl_assert "the health badge says healthy" grep -q 'id="health" class="badge ok"' "$W/page.html"
  rm -f "$ART/status-page.png"
  chrome --screenshot="$ART/status-page.png" --window-size=1400,1000 --hide-scrollbars "$URL/" >/dev/null
  tl_assert "screenshot written to build/artifacts/status-page.png" test -s "$ART/status-page.png"
else
  echo "chromium missing (scripts/deps.sh): status page checks skipped"; TL_FAIL=$((TL_FAIL + 1))
fi

# ---- 3. scrape latency under load ----
lat_us() { curl -s -o /dev/null -w '%{time_total}' "$URL/metrics" | awk '{printf "%d", $1 * 1000000}'; }
# 128 readers of everything stored (non-blocking dumps to the end), scraped all along; four
# rounds of them, one after the other, so that the load outlasts a few scrapes however fast
# binlogd serves them (one round took about a second)
( for i in 1 2 3 4; do "$FANOUT" -n 128 -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -o 4 || exit 1; done ) \
  > "$W/fanout.out" 2>&1 &
fan=$!
tl_wait_until 20 bash -c "[ \$(curl -sf $URL/metrics | awk '/^binlogd_replicas_streaming / {print \$2}') -ge 100 ]"
max=0; n=0
while kill -0 "$fan" 2>/dev/null && [ $n -lt 200 ]; do
  l=$(lat_us); n=$((n + 1)); [ "$l" -gt "$max" ] && max=$l; lats="${lats:-} $l"
done
wait "$fan"; frc=$?
echo "  fan-out: $(cat "$W/fanout.out")"
echo "  $n scrapes during the 128-reader fan-out, slowest ${max} us (all:${lats:-})"
tl_assert_eq "the 128 readers finished" "$frc" 0
tl_assert "scrapes during the fan-out: $n, slowest ${max} us < 100 ms" [ "$n" -ge 3 -a "$max" -lt 100000 ]
# STOP SLAVE waiting on a session hung in the handshake (t_admin.sh's setup)
ops "STOP SLAVE" >/dev/null
tl_assert "/healthz 503 while stopped, saying STOP SLAVE" bash -c "[ \$(curl -s -o '$W/h.txt' -w '%{http_code}' $URL/healthz) = 503 ] && grep -q 'stopped (STOP SLAVE)' '$W/h.txt'"
kill -STOP "$(cat "$W/p.pid")"
ops "START SLAVE" >/dev/null
tl_wait_until 10 bash -c "mariadb -h127.0.0.1 -P$A -uops -popspass -e 'SHOW SLAVE STATUS\G' | grep -q 'Slave_IO_State: connecting'"
ops "STOP SLAVE" > "$W/stop.out" 2>&1 &
stopper=$!
max=0
for i in 1 2 3 4 5; do l=$(lat_us); [ "$l" -gt "$max" ] && max=$l; done
echo "  5 scrapes while STOP SLAVE waits, slowest ${max} us"
tl_assert "STOP SLAVE is still waiting" kill -0 "$stopper"
tl_assert "scrapes while STOP SLAVE waits: slowest ${max} us < 100 ms" [ "$max" -lt 100000 ]
# the waiting connection's statement in another connection's PROCESSLIST (Info), as mariadbd
tl_assert "PROCESSLIST shows the waiting STOP SLAVE as its Info" bash -c \
  "mariadb -h127.0.0.1 -P$A -uops -popspass -N -B -e 'SHOW PROCESSLIST' | awk -F'\t' '\$5 == \"Query\" && \$8 == \"STOP SLAVE\"' | grep -q ."
tl_assert_eq "... and /healthz answers too" "$(code "$URL/healthz")" 503
kill -CONT "$(cat "$W/p.pid")"
tl_assert "STOP SLAVE completes once the session ends" tl_wait_pid "$stopper" 30
ops "START SLAVE" >/dev/null

# ---- 4. health and readiness ----
tl_assert_eq "/readyz 200" "$(code "$URL/readyz")" 200
tl_assert "/healthz 200 ok once streaming again" tl_wait_until 30 bash -c "[ \$(curl -s $URL/healthz) = ok ]"
tl_mariadb_stop p
tl_assert "primary stopped: /healthz 503" tl_wait_until 30 bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' $URL/healthz) = 503 ]"
curl -s "$URL/healthz" > "$W/h.txt"
echo "  /healthz: $(cat "$W/h.txt")"
tl_assert "... with the reason: upstream down and its error" grep -q "^upstream 127.0.0.1:$P down (.*): .\+" "$W/h.txt"
tl_assert_eq "binlogd_upstream_connected 0" "$(metric binlogd_upstream_connected)" 0
tl_assert_eq "binlogd_healthy 0" "$(metric binlogd_healthy)" 0
tl_assert "binlogd_upstream_reconnects_total counts" [ "$(metric binlogd_upstream_reconnects_total)" -gt 0 ]
_tl_mariadb_launch p
tl_assert "primary back: /healthz 200 ok" tl_wait_until 60 bash -c "[ \$(curl -s $URL/healthz) = ok ]"
tl_assert_eq "binlogd_healthy 1" "$(metric binlogd_healthy)" 1
tl_assert_eq "unknown path: 404" "$(code "$URL/nope")" 404
tl_assert "POST is refused" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 $URL/metrics) -ge 400 ]"
tl_assert "HTML from the network is escaped: no raw tag from a hostile error text" bash -c "! grep -q '<script' <(curl -s $URL/)"
scrape > "$W/m2.txt"
tl_assert "promtool check metrics passes at the end too" bash -c "promtool check metrics < '$W/m2.txt'"
tl_done
