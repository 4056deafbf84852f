#!/usr/bin/env bash
# Issue #12, the split-brain watch: binlogd polls the failover candidates and the primaries it
# followed before, and raises an alarm when one of them takes writes beside its upstream.
#  - A primary; B (candidate, log_slave_updates) and C (candidate, stopped: merely behind)
#    replicate from A; U is a candidate nobody listens on (unreachable);
#  - binlogd follows A with upstream.candidates=B,C,U and fails over to B when A stops;
#  - A comes back writable: behind, no alarm; a write on A: the alarm within 10 s (an ERROR
#    line naming A and its GTID, SHOW BINLOG WATCH says split-brain, /healthz 503 naming A,
#    binlogd_split_brain 1, the status page's red line), logged once;
#  - merely behind (C) or unreachable (U): /healthz 200, binlogd_split_brain 0, the page shows
#    U as unreachable;
#  - RESET MASTER on A clears it (a WARN line, /healthz 200 again, the metric 0); the history
#    survives a restart of binlogd.
source "$(dirname "$0")/harness.sh"
tl_init splitbrain

for n in a b c; do tl_mariadb_start $n --log-slave-updates=ON --gtid-strict-mode=ON; done
A=$(tl_port a); B=$(tl_port b); C=$(tl_port c); U=$(tl_free_port)
for n in b c; do
  tl_sql $n "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
    MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE"
done
asid=$(tl_sql a "SELECT @@server_id"); bsid=$(tl_sql b "SELECT @@server_id")
L=$(tl_free_port); M=$(tl_free_port); DB=$(tl_workdir)/bl
ARGS=(--upstream.host=127.0.0.1 --upstream.port="$A" --upstream.user=repl --upstream.password=replpass
      --upstream.use_gtid=on --upstream.retry_min_ms=100 --upstream.retry_max_ms=500 --upstream.connect_timeout=2
      --upstream.candidates="127.0.0.1:$B,127.0.0.1:$C,127.0.0.1:$U" --upstream.failover_after=2
      --watch.interval_ms=500 --binlogd.listen=127.0.0.1:"$L" --metrics.listen=127.0.0.1:"$M"
      --user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin --user.mon.role=monitor)
tl_sql a "CREATE DATABASE w; CREATE TABLE w.k (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
tl_binlogd_start bl "$DB" "${ARGS[@]}"

bq() { mariadb -h127.0.0.1 -P"$L" -uops -popspass -N -B -e "$1"; }
# watch_col SERVER COLUMN: a column of SHOW BINLOG WATCH's row for SERVER (host:port)
watch_col() {
  mariadb -h127.0.0.1 -P"$L" -umon -B -e "SHOW BINLOG WATCH" 2>/dev/null |
    awk -F'\t' -v s="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } $1 == s { print $k; exit }'
}
verdict_is() { [ "$(watch_col "127.0.0.1:$1" Verdict)" = "$2" ]; }
verdict_in() { local v; v=$(watch_col "127.0.0.1:$1" Verdict); shift; for w in "$@"; do [ "$v" = "$w" ] && return 0; done; return 1; }
slave_pos_is() { [ "$(tl_sql "$1" 'SELECT @@gtid_slave_pos')" = "$2" ]; }
URL=http://127.0.0.1:$M
metric() { curl -sf "$URL/metrics" | awk -v n="$1" '$1 == n { print $2; exit }'; }
healthz() { curl -s -w ' %{http_code}' "$URL/healthz" | tr -d '\n'; }   # "TEXT CODE"
healthz_code() { curl -s -o /dev/null -w '%{http_code}' "$URL/healthz"; }
page_row() { curl -sf "$URL/" | grep -o "<tr class=\"[a-z]*\" data-verdict=\"$2\" data-server=\"127.0.0.1:$1\">"; }
alarms() { sed -n '/^==== start/h; /^==== start/!H; ${x;p}' "$(tl_workdir)/bl.log" | grep -c "SPLIT-BRAIN: 127.0.0.1:$1" ; }

tl_wl_small a 100
final=$(tl_sql a "SELECT @@gtid_binlog_pos")
tl_assert "B and C caught up with A" tl_wait_until 60 bash -c "[ \"\$(mariadb -S $(tl_sock b) -uroot -N -e 'SELECT @@gtid_slave_pos')\" = '$final' ] && [ \"\$(mariadb -S $(tl_sock c) -uroot -N -e 'SELECT @@gtid_slave_pos')\" = '$final' ]"
tl_wait_mirror_caught_up a "$DB" 60
tl_assert "watch: A is the upstream row" tl_wait_until 10 verdict_is "$A" upstream
tl_assert "watch: B (a caught-up replica) is ok" tl_wait_until 10 verdict_is "$B" ok
tl_assert "watch: C is ok" tl_wait_until 10 verdict_is "$C" ok
tl_assert "watch: U (nobody listens) is unreachable" tl_wait_until 10 verdict_is "$U" unreachable
tl_assert_eq "watch: U's Reachable column" "$(watch_col "127.0.0.1:$U" Reachable)" "No"
tl_assert_eq "watch: B's Gtid_state is its @@gtid_binlog_pos" "$(watch_col "127.0.0.1:$B" Gtid_state)" "$final"
tl_assert_eq "watch: B's Server_id" "$(watch_col "127.0.0.1:$B" Server_id)" "$bsid"
# C stops replicating: it falls behind, which is no alarm.
tl_sql c "STOP SLAVE"
tl_wl_small a 20
tl_wait_mirror_caught_up a "$DB" 60
tl_assert "watch: C (stopped replica) is behind" tl_wait_until 10 verdict_is "$C" behind
tl_assert "watch: B replicating A is ok or a little ahead (lag)" tl_wait_until 10 verdict_in "$B" ok ahead
tl_assert_eq "C behind, U unreachable: /healthz 200 ok" "$(healthz)" "ok 200"
tl_assert_eq "... binlogd_split_brain 0" "$(metric binlogd_split_brain)" 0
tl_assert_eq "... binlogd_split_brain_watch_enabled 1" "$(metric binlogd_split_brain_watch_enabled)" 1
tl_assert "the page shows U as unreachable (grey, not healthy)" page_row "$U" unreachable
tl_assert "the page shows C as behind" page_row "$C" behind
tl_assert "the page has no alarm line" tl_not bash -c "curl -sf $URL/ | grep -q split-brain-alarm"

tl_log "fail over: stop A, promote B"
final=$(tl_sql a "SELECT @@gtid_binlog_pos")
tl_assert "B has everything of A" tl_wait_until 60 slave_pos_is b "$final"
tl_mariadb_stop a
tl_sql b "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0; FLUSH BINARY LOGS"
tl_assert "binlogd fails over to B" tl_wait_until 60 tl_log_has bl "continued on 127.0.0.1:$B"
tl_sql b "INSERT INTO w.k VALUES (1000001, 'on B after failover')"
b_gtid_is() { [ "$(mariadb -h127.0.0.1 -P"$L" -uops -popspass -e 'SHOW SLAVE STATUS\G' | awk '$1 == "Gtid_IO_Pos:" {print $2}')" = "$1" ]; }
bstate=$(tl_sql b "SELECT @@gtid_binlog_pos")
tl_assert "binlogd has B's first transaction ($bstate)" tl_wait_until 30 b_gtid_is "$bstate"
tl_assert "history: A is recorded in the data directory" grep -q "^127.0.0.1	$A	$asid	" "$DB/.binlogd-upstream-history"
tl_assert "watch: B is now the upstream row" tl_wait_until 10 verdict_is "$B" upstream
tl_assert "watch: A (previous primary, down) is unreachable" tl_wait_until 10 verdict_is "$A" unreachable
tl_assert "watch: C still behind" verdict_is "$C" behind

tl_log "A comes back, writable"
_tl_mariadb_launch a
tl_assert "watch: A back, not written to: behind" tl_wait_until 10 verdict_is "$A" behind
tl_assert_eq "no alarm while A is only behind" "$(alarms "$A")" "0"
tl_assert_eq "A back, only behind: /healthz 200 ok" "$(healthz)" "ok 200"
tl_assert_eq "... binlogd_split_brain 0" "$(metric binlogd_split_brain)" 0
t0=$(date +%s%N)
tl_sql a "INSERT INTO w.k VALUES (2000001, 'split brain: written on the old primary')"
agtid=$(tl_sql a "SELECT @@gtid_binlog_pos")
# Poll /healthz tightly (every 20 ms) to time the alarm as a load balancer would see it.
hz=""
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 10000 ]; do hz=$(healthz_code); [ "$hz" = 503 ] && break; sleep 0.02; done
t1=$(date +%s%N); alarm_ms=$(( (t1 - t0) / 1000000 ))
tl_assert_eq "the alarm: /healthz 503 within 10 s of the write" "$hz" 503
tl_log "alarm latency (write on A -> /healthz 503): $alarm_ms ms (watch.interval_ms=500)"
tl_assert "... an ERROR line naming A and its GTID $agtid" \
  tl_wait_until 10 tl_log_has bl "ERROR.*SPLIT-BRAIN: 127.0.0.1:$A has transactions .*$agtid"
t2=$(date +%s%N)
tl_log "alarm latency (write on A -> ERROR line seen): $(( (t2 - t0) / 1000000 )) ms"
curl -s "$URL/healthz" > "$(tl_workdir)/hz.txt"
tl_log "/healthz: $(cut -c1-300 "$(tl_workdir)/hz.txt")"
tl_assert "/healthz: one line, the split-brain reason naming A and the GTID" \
  bash -c "[ \$(wc -l < '$(tl_workdir)/hz.txt') = 1 ] && grep -q '^split-brain: 127.0.0.1:$A has transactions .*$agtid' '$(tl_workdir)/hz.txt'"
tl_assert_eq "binlogd_split_brain 1" "$(metric binlogd_split_brain)" 1
tl_assert_eq "binlogd_healthy 0" "$(metric binlogd_healthy)" 0
tl_assert "binlogd_split_brain_server_info: A's verdict split-brain" bash -c \
  "curl -sf $URL/metrics | grep -q '^binlogd_split_brain_server_info{server=\"127.0.0.1:$A\",server_id=\"$asid\",verdict=\"split-brain\",upstream=\"0\"} 1$'"
curl -sf "$URL/metrics" > "$(tl_workdir)/m.txt"
tl_assert "promtool check metrics passes during the alarm" bash -c "promtool check metrics < '$(tl_workdir)/m.txt'"
curl -sf "$URL/" > "$(tl_workdir)/page.html"
tl_assert "the status page: the red line naming A" grep -q "<p class=\"alarm\" id=\"split-brain-alarm\">SPLIT-BRAIN: 127.0.0.1:$A has transactions" "$(tl_workdir)/page.html"
tl_assert "the status page: A's row marked split-brain" page_row "$A" split-brain
tl_assert "the status page: the health badge is red" grep -q 'id="health" class="badge bad"' "$(tl_workdir)/page.html"
tl_assert "the status page: C (merely behind) is not marked" page_row "$C" behind
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then   # for people: the page during the alarm (t_metrics checks the DOM)
  ART=$TL_REPO/build/artifacts; mkdir -p "$ART"; rm -f "$ART/status-page-split-brain.png"
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$(mktemp -d -p "$(tl_workdir)")" \
    --screenshot="$ART/status-page-split-brain.png" --window-size=1400,1800 --hide-scrollbars "$URL/" >/dev/null 2>&1
  tl_assert "screenshot written to build/artifacts/status-page-split-brain.png" test -s "$ART/status-page-split-brain.png"
fi
tl_log "binlogd says: $(grep -m1 'SPLIT-BRAIN' "$(tl_workdir)/bl.log" | cut -c1-400)"
tl_assert "watch: SHOW BINLOG WATCH says split-brain for A" tl_wait_until 5 verdict_is "$A" split-brain
tl_assert "watch: the Reason names A's GTID" bash -c "mariadb -h127.0.0.1 -P$L -umon -N -B -e 'SHOW BINLOG WATCH' | grep -q '$agtid'"
tl_assert "watch: C (merely behind) is no alarm" verdict_is "$C" behind
tl_assert "watch: U still unreachable" verdict_is "$U" unreachable
# More writes on A by the same server: the same finding, not logged again.
tl_sql a "INSERT INTO w.k VALUES (2000002, 'more'); INSERT INTO w.k VALUES (2000003, 'more')"
agtid=$(tl_sql a "SELECT @@gtid_binlog_pos")
state_is() { [ "$(watch_col "127.0.0.1:$A" Gtid_state)" = "$1" ]; }
tl_assert "watch: A's newest GTID seen ($agtid)" tl_wait_until 10 state_is "$agtid"
# The round that saw the newer GTID judged A split-brain again after the first alarm: a line
# per poll would show here.
tl_assert_eq "the alarm is logged once per finding, not per poll" "$(alarms "$A")" "1"
b_port() { mariadb -h127.0.0.1 -P"$L" -uops -popspass -e 'SHOW SLAVE STATUS\G' | awk '$1 == "Master_Port:" {print $2}'; }
tl_assert_eq "binlogd stays on B (nothing of A's spliced)" "$(b_port)" "$B"

tl_log "A is rebuilt (RESET MASTER): the alarm clears"
tl_sql a "RESET MASTER"
tl_assert "a WARN line says the split-brain cleared" tl_wait_until 10 tl_log_has bl "WARN.*split-brain cleared: 127.0.0.1:$A"
tl_assert "watch: A is behind again" verdict_is "$A" behind
tl_assert "cleared: /healthz 200 ok again" tl_wait_until 10 bash -c "[ \"\$(curl -s $URL/healthz)\" = ok ]"
tl_assert_eq "cleared: binlogd_split_brain 0" "$(metric binlogd_split_brain)" 0
tl_assert "cleared: no alarm line on the page" tl_not bash -c "curl -sf $URL/ | grep -q split-brain-alarm"

tl_log "restart binlogd: the previous upstreams are remembered"
CONF=$(tl_workdir)/bl.conf
printf '[watch]\nenabled = auto\n' > "$CONF"
tl_assert "binlogd stops cleanly" tl_binlogd_stop bl
tl_binlogd_start bl "$DB" --config "$CONF" "${ARGS[@]}" --upstream.candidates=
tl_assert "watch (auto, no candidates): A is watched from the stored history" tl_wait_until 15 verdict_is "$A" behind
tl_assert "watch: B (the stored upstream) is the upstream row" tl_wait_until 10 verdict_is "$B" upstream
tl_assert_eq "watch: candidates no longer configured: C is not watched" "$(watch_col "127.0.0.1:$C" Verdict)" ""
printf '[watch]\nenabled = off\n' > "$CONF"
kill -HUP "$(tl_binlogd_pid bl)"
tl_assert "watch.enabled = off by reload (SIGHUP): SHOW BINLOG WATCH has no rows" tl_wait_until 10 bash -c "[ \$(mariadb -h127.0.0.1 -P$L -umon -N -B -e 'SHOW BINLOG WATCH' | wc -l) = 0 ]"
tl_done
