#!/usr/bin/env bash
# Issue #13 (operators' tools, health checks):
#  1. config: an empty password only for role monitor (the error names the user);
#  2. SHOW [FULL] PROCESSLIST as mariadbd shows it: a replica's dump ("Binlog Dump", its
#     state text, Time counting), a login in progress, an idle client (Sleep), the asker
#     (Query / starting / its statement, cut at 100 characters without FULL); a monitor
#     sees only its own user's connections;
#  3. the monitor role: reads, ping and statistics yes; dump (1227 REPLICATION SLAVE), KILL
#     of others (1094), FLUSH / CHANGE MASTER / SET GLOBAL (1227) no;
#  4. mariadb-admin ping | status | version | processlist | extended-status | variables, and
#     SHOW GLOBAL STATUS with MariaDB's names;
#  5. 1000 bare connects and 1000 HAProxy-style logins (tests/bench/hcheck): descriptors back
#     to the baseline, RSS growth < 4 MiB, fewer than 10 log lines, no lockout afterwards;
#  6. a real HAProxy (option mysql-check user hc post-41) marks binlogd UP, the check stays
#     out of binlogd's log, and DOWN once binlogd stops.
source "$(dirname "$0")/harness.sh"
tl_init health
command -v haproxy >/dev/null && command -v socat >/dev/null || { echo "haproxy/socat missing (scripts/deps.sh)"; exit 2; }
HCHECK=$TL_REPO/bin/hcheck
[ -x "$HCHECK" ] || { echo "$HCHECK missing (run make)"; exit 2; }

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); W=$(tl_workdir); D=$W/b
tl_sql p "CREATE DATABASE w"
tl_wl_small p 50
first=$(tl_binlogs p | head -1)

# ---- 1. configuration ----
out=$(timeout 20 "$BINLOGD_BIN" --binlogd.server_id=5 --binlogd.data_dir="$W/x" --user.r.password= 2>&1); rc=$?
tl_assert "an empty password for a replica account is refused" [ "$rc" -ne 0 -a "$rc" -ne 124 ]
tl_assert "... naming the user" grep -q "user.r.password" <<<"$out"
out=$(timeout 20 "$BINLOGD_BIN" --binlogd.server_id=5 --binlogd.data_dir="$W/x" --user.o.role=admin 2>&1); rc=$?
tl_assert "... and a missing one for an admin account" grep -q "user.o.password" <<<"$out"

USERS=(--user.repl.password=replpass --user.ops.password=opspass --user.ops.role=admin --user.hc.role=monitor)
tl_binlogd_start b "$D" --upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl \
    --upstream.password=replpass --upstream.retry_min_ms=100 --binlogd.listen=127.0.0.1:"$A" "${USERS[@]}"
tl_wait_until 20 tl_port_open "$A"
tl_assert "binlogd mirrors the primary" tl_wait_mirror_caught_up p "$D" 60
BPID=$(tl_binlogd_pid b)
ops() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B "$@" 2>&1; }
hc() { mariadb -h127.0.0.1 -P"$A" -uhc -N -B "$@" 2>&1; }
status() { ops -e "SHOW GLOBAL STATUS LIKE '$1'" | cut -f2; }
plist() { ops -e "SHOW PROCESSLIST"; }

# ---- 2. SHOW PROCESSLIST ----
(cd "$W" && exec mariadb-binlog --read-from-remote-server --stop-never --stop-never-slave-server-id=4242 \
   -h127.0.0.1 -P"$A" -urepl -preplpass "$first" > /dev/null 2>&1) &
tailer=$!; tl_track_pid "$tailer"
waiting="Master has sent all binlog to slave; waiting for more updates"
dump_row() { plist | awk -F'\t' '$5 == "Binlog Dump"'; }
tl_assert "a tailing replica shows as Binlog Dump, waiting for more updates" \
    tl_wait_until 20 bash -c "mariadb -h127.0.0.1 -P$A -uops -popspass -N -B -e 'SHOW PROCESSLIST' | grep -q 'Binlog Dump	[0-9]*	$waiting	NULL'"
row=$(dump_row)
tl_assert_eq "... user repl, host ip:port, db NULL, Info NULL, Progress" \
    "$(awk -F'\t' '{print $2, ($3 ~ /^127\.0\.0\.1:[0-9]+$/), $4, $8, $9}' <<<"$row")" "repl 1 NULL NULL 0.000"
dump_time() { dump_row | cut -f6; }
dump_time_ge() { [ "$(dump_time)" -ge "$1" ]; }
tl_assert "... its Time counts the seconds since the dump began" tl_wait_until 10 dump_time_ge 2
sent_more() { [ "$(status Binlogd_events_sent)" -gt "$1" ]; }
ev0=$(status Binlogd_events_sent)
tl_wl_small p 20
tl_assert "new events reach the tailing replica" tl_wait_until 20 sent_more "$ev0"
tl_assert "... and its Time goes on counting (mariadbd's Time is the command's)" dump_time_ge 2
self=$(plist | awk -F'\t' '$5 == "Query"')
tl_assert_eq "the asker: Query, Time 0, starting, its statement" "$(cut -f2,5- <<<"$self")" \
    "ops	Query	0	starting	SHOW PROCESSLIST	0.000"
long="SHOW PROCESSLIST /* $(printf 'x%.0s' $(seq 150)) */"
info=$(ops --comments -e "$long" | awk -F'\t' '$5 == "Query" {print $8}')
tl_assert_eq "Info without FULL: the first 100 characters" "$info" "${long:0:100}"
info=$(ops --comments -e "${long/SHOW/SHOW FULL}" | awk -F'\t' '$5 == "Query" {print $8}')
tl_assert_eq "Info with FULL: all of it" "$info" "${long/SHOW/SHOW FULL}"
# an idle monitor client (Sleep) and a connection that never logs in (Connect)
mkfifo "$W/idle.fifo"
mariadb -h127.0.0.1 -P"$A" -uhc < "$W/idle.fifo" > /dev/null 2>&1 &
idle=$!; tl_track_pid "$idle"
exec 7> "$W/idle.fifo"
exec 8<> "/dev/tcp/127.0.0.1/$A"
tl_assert "an idle client shows as Sleep with an empty State" \
    tl_wait_until 10 bash -c "mariadb -h127.0.0.1 -P$A -uops -popspass -N -B -e 'SHOW PROCESSLIST' | grep -qP '^\d+\thc\t[^\t]+\tNULL\tSleep\t\d+\t\t'"
tl_assert "a login in progress: unauthenticated user, Connect, Reading from net" \
    grep -qP '^\d+\tunauthenticated user\t127\.0\.0\.1:\d+\tNULL\tConnect\t\d+\tReading from net\tNULL' <<<"$(plist)"
mine=$(hc -e "SHOW PROCESSLIST" | cut -f2 | sort -u | tr '\n' ' ')
tl_assert_eq "a monitor sees only its own user's connections" "$mine" "hc "
tl_assert_eq "... two of them (the idle one and itself)" "$(hc -e 'SHOW PROCESSLIST' | wc -l)" "2"
exec 8<&-

# ---- 3. the monitor role ----
dump_id=$(dump_row | cut -f1)
tl_assert "monitor: no binlog dump -> 1227 REPLICATION SLAVE" grep -q "REPLICATION SLAVE privilege" \
    <<<"$(mariadb-binlog --read-from-remote-server -h127.0.0.1 -P"$A" -uhc "$first" 2>&1 >/dev/null)"
tl_assert "monitor: KILL of another user's dump -> 1094" grep -q "ERROR 1094" <<<"$(hc -e "KILL $dump_id")"
tl_assert_eq "... and the dump is still there" "$(dump_row | cut -f1)" "$dump_id"
tl_assert "monitor: FLUSH LOGS -> 1227 RELOAD" grep -q "ERROR 1227.*RELOAD" <<<"$(hc -e 'FLUSH LOGS')"
tl_assert "monitor: CHANGE MASTER -> 1227" grep -q "ERROR 1227" <<<"$(hc -e "CHANGE MASTER TO MASTER_HOST='x'")"
tl_assert "monitor: STOP SLAVE -> 1227" grep -q "ERROR 1227" <<<"$(hc -e 'STOP SLAVE')"
tl_assert "monitor: SET GLOBAL -> 1227" grep -q "ERROR 1227" <<<"$(hc -e 'SET GLOBAL read_only=0')"
tl_assert_eq "monitor: SHOW MASTER STATUS" "$(hc -e 'SHOW MASTER STATUS' | cut -f1)" "$(tl_binlogs p | tail -1)"
tl_assert "monitor: SHOW SLAVE STATUS" grep -q "Slave_IO_Running: Yes" <<<"$(mariadb -h127.0.0.1 -P"$A" -uhc -e 'SHOW SLAVE STATUS\G')"
tl_assert "monitor with a password it does not have -> 1045" grep -q "ERROR 1045" <<<"$(mariadb -h127.0.0.1 -P"$A" -uhc -pwrong -e 'SELECT 1' 2>&1)"
exec 7>&-   # the idle client reads EOF and quits
tl_wait_pid "$idle" 10

# ---- 4. mariadb-admin and SHOW GLOBAL STATUS ----
adm() { mariadb-admin -h127.0.0.1 -P"$A" -uhc "$@" 2>&1; }
tl_assert_eq "mariadb-admin ping" "$(adm ping)" "mysqld is alive"
st=$(adm status)
tl_assert "mariadb-admin status: mariadbd's COM_STATISTICS line" grep -qP '^Uptime: \d+  Threads: \d+  Questions: \d+  Slow queries: 0  Opens: 0  Open tables: 0  Queries per second avg: \d+\.\d{3}$' <<<"$st"
tl_assert "mariadb-admin version: the uptime parsed" grep -qP '^Uptime:\t+\d+ (min |sec)' <<<"$(adm version)"
tl_assert "mariadb-admin processlist" grep -q "| Query .*show processlist" <<<"$(adm processlist)"
tl_assert "mariadb-admin -v processlist" grep -q "show full processlist" <<<"$(adm -v processlist)"
tl_assert "mariadb-admin extended-status" grep -qP '^\| Threads_connected +\| \d+' <<<"$(adm extended-status)"
tl_assert "mariadb-admin variables" grep -qP '^\| server_id +\| \d+' <<<"$(adm variables)"
for n in Uptime Threads_connected Threads_running Connections Aborted_connects Bytes_sent Bytes_received \
         Questions Queries Max_used_connections Com_select Com_show_processlist Com_show_status; do
  tl_assert "SHOW GLOBAL STATUS has $n" grep -qP "^$n\t\d+$" <<<"$(ops -e "SHOW GLOBAL STATUS LIKE '$n'")"
done
tl_assert "Threads_running counts the dump and the asker" [ "$(status Threads_running)" -ge 2 ]

# ---- 5. 1000 checks of each shape ----
fds() { ls "/proc/$BPID/fd" | wc -l; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$BPID/status"; }
loglines() { wc -l < "$W/b.log"; }
conns_now() { [ "$(status Threads_connected)" = "$1" ]; }
base_conn=$(status Threads_connected)   # the dump only (this statement's connection is counted: +1)
base_fd=$(fds); base_rss=$(rss); base_log=$(loglines); base_ab=$(status Aborted_connects)
for shape in bare login; do
  out=$("$HCHECK" "$shape" "$A" 1000 hc); rc=$?
  tl_log "$out"
  tl_assert "1000 $shape checks all answered" [ "$rc" = 0 ]
  tl_assert "$shape: sessions gone afterwards" tl_wait_until 10 conns_now "$base_conn"
  tl_assert "$shape: descriptors back to the baseline ($base_fd)" tl_wait_until 10 bash -c "[ \$(ls /proc/$BPID/fd | wc -l) -le $base_fd ]"
  grow=$(( $(rss) - base_rss )); lines=$(( $(loglines) - base_log ))
  tl_log "$shape: fds $base_fd -> $(fds), RSS ${base_rss} kB -> $(rss) kB (+${grow}), log lines +$lines"
  echo "$shape fds $base_fd $(fds) rss $base_rss $(rss) log +$lines" >> "$W/figures"
  tl_assert "$shape: RSS grew less than 4 MiB (+${grow} kB)" [ "$grow" -lt 4096 ]
  tl_assert "$shape: fewer than 10 log lines (+$lines)" [ "$lines" -lt 10 ]
done
ab=$(( $(status Aborted_connects) - base_ab ))
tl_assert "the bare connects count as Aborted_connects ($ab), the logins do not" [ "$ab" -ge 1000 -a "$ab" -lt 1010 ]
tl_assert_eq "no lockout: a login after 2000 checks" "$(ops -e 'SELECT 1')" "1"

# A client that connects and then says nothing (a checker that died mid-handshake) is
# dropped after mariadbd's connect_timeout (10 s), quietly; checked at the end.
exec 9<> "/dev/tcp/127.0.0.1/$A"
silent_t0=$(date +%s%N); silent_log=$(loglines)

# ---- 6. HAProxy ----
HP=$(tl_free_port)
cat > "$W/haproxy.cfg" <<CFG
global
  stats socket $W/haproxy.sock mode 600 level admin
defaults
  mode tcp
  timeout connect 1s
  timeout client 10s
  timeout server 10s
listen binlogd
  bind 127.0.0.1:$HP
  option mysql-check user hc post-41
  server b1 127.0.0.1:$A check inter 200ms fall 2 rise 1
CFG
hp_field() {  # column of `show stat` for server b1 (18 status, 37 check_status)
  echo "show stat" | socat - "UNIX-CONNECT:$W/haproxy.sock" 2>/dev/null | awk -F, -v c="$1" '$1 == "binlogd" && $2 == "b1" {print $c}'
}
hp_is() { [ "$(hp_field 18)" = "$1" ]; }
log_before=$(loglines); conns_before=$(status Connections)
t0=$(date +%s%N)
haproxy -f "$W/haproxy.cfg" -db > "$W/haproxy.log" 2>&1 &
tl_track_pid $!
tl_assert "HAProxy marks binlogd UP" tl_wait_until 20 hp_is UP
up_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tl_assert_eq "... with a layer-7 check" "$(hp_field 37)" "L7OK"
tl_assert_eq "a client through HAProxy reaches binlogd" "$(mariadb -h127.0.0.1 -P"$HP" -uops -popspass -N -B -e 'SELECT @@server_id' 2>&1)" "${TL_SID[b_b]}"
checks_done() { [ "$(status Connections)" -ge $((conns_before + 20)) ]; }
tl_assert "HAProxy keeps checking (20 checks)" tl_wait_until 30 checks_done
tl_assert_eq "... and binlogd logged none of them" "$(( $(loglines) - log_before ))" "0"
tl_assert "a silent client is dropped (EOF after the greeting)" timeout 20 cat <&9
silent_s=$(( ($(date +%s%N) - silent_t0) / 1000000000 ))
tl_assert "... after about 10 s ($silent_s s)" [ "$silent_s" -ge 9 -a "$silent_s" -le 12 ]
tl_assert_eq "... without a log line" "$(( $(loglines) - silent_log ))" "0"
exec 9<&-
tl_assert "binlogd stops" tl_binlogd_stop b
t0=$(date +%s%N)
tl_assert "HAProxy marks it DOWN" tl_wait_until 20 hp_is DOWN
down_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tl_log "HAProxy: UP ${up_ms} ms after start, DOWN ${down_ms} ms after binlogd stopped (inter 200ms fall 2)"
echo "haproxy up_ms $up_ms down_ms $down_ms" >> "$W/figures"
cp "$W/figures" "$TL_REPO/build/t_health.figures" 2>/dev/null
tl_done
