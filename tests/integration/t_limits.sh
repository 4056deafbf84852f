#!/usr/bin/env bash
# integration: solo (asserts timings a second suite on the same cores would distort)
# t_limits.sh - binlogd's bounds on clients, with no primary (binlogd serves its empty store,
# so no MariaDB server is started: the suite costs only binlogd starts):
#  1. binlogd.connect_timeout covers the whole login: a client that connects and says nothing,
#     and one that sends half a login packet and then a byte every 0.3 s (a slowloris that
#     a per-read timeout would never close), are both closed after it; Aborted_connects;
#  2. binlogd.idle_timeout: an idle logged-in client is disconnected silently (mariadbd's
#     wait_timeout: "server has gone away"), Aborted_clients; a client that keeps talking is not;
#  3. binlogd.max_allowed_packet: a longer command gets ERR 1153 with mariadbd's text and the
#     connection is closed; one under it is answered;
#  4. failed logins from one host are slowed (0, 0, 100 ms doubling to 2 s), a correct password
#     from the same host meanwhile answers at once, another host's first failure is not
#     slowed; Access_denied_errors, Binlogd_auth_delayed;
#  5. binlogd.max_connections: at the limit one more login is let in for an admin account
#     (a replica account gets ERR 1040 after logging in), beyond it ERR 1040 comes instead of
#     the greeting; Connection_errors_max_connections.
source "$(dirname "$0")/harness.sh"
tl_init t_limits
W=$(tl_workdir)
A=$(tl_free_port); M=$(tl_free_port)
OPSPW='Ops-Lim1ts-pw'; REPLPW='Repl-Lim1ts-pw'
USERS=(--user.repl.password="$REPLPW" --user.ops.password="$OPSPW" --user.ops.role=admin)
ops() { mariadb -h127.0.0.1 -P"$A" -uops -p"$OPSPW" -N -B -e "$1" 2>&1; }
status() { ops "SHOW GLOBAL STATUS LIKE '$1'" | cut -f2; }
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
within() { [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]; }   # N LOW HIGH

tl_binlogd_start b "$W/d" --binlogd.listen=127.0.0.1:"$A" --binlogd.connect_timeout=2 --binlogd.idle_timeout=2 \
  --binlogd.max_allowed_packet=4096 --metrics.listen=127.0.0.1:"$M" --binlogd.log_level=debug "${USERS[@]}"
tl_wait_until 20 tl_port_open "$A" || { tl_log "binlogd did not start"; exit 1; }

# ---- 1. connect_timeout ----
ac0=$(status Aborted_connects)
t0=$(ms_now)
exec 5<>"/dev/tcp/127.0.0.1/$A"
timeout 10 cat <&5 > "$W/silent.out"    # the greeting, then EOF when binlogd closes
t1=$(ms_now); exec 5>&-
tl_assert "a silent client got the greeting" grep -q "binlogd" "$W/silent.out"
tl_assert "... and is closed after connect_timeout (2 s): $((t1 - t0)) ms" within $((t1 - t0)) 1800 6000

t0=$(ms_now)
exec 6<>"/dev/tcp/127.0.0.1/$A"
printf '\xb8\x0b\x00\x01\x85\xa6\x3f\x20' >&6   # a login packet of 3000 bytes, 4 of them sent
( for _ in $(seq 40); do printf 'x' >&6 2>/dev/null || exit 0; sleep 0.3; done ) &
drip=$!
timeout 15 cat <&6 > /dev/null
t1=$(ms_now); exec 6>&-; kill "$drip" 2>/dev/null; wait "$drip" 2>/dev/null
tl_assert "half a login packet, then a byte every 0.3 s: closed after connect_timeout: $((t1 - t0)) ms" \
  within $((t1 - t0)) 1800 6000
tl_assert "both counted in Aborted_connects" [ "$(status Aborted_connects)" -ge $((ac0 + 2)) ]
tl_assert "logged at debug only" tl_log_has b "DEBUG.*no login within 2 s"

# ---- 2. idle_timeout ----
idle=$( (echo "SELECT 'first';"; sleep 3.5; echo "SELECT 'second';") |
  mariadb -h127.0.0.1 -P"$A" -urepl -p"$REPLPW" -N -B 2>&1)
tl_assert "an idle client is answered first" grep -q "^first$" <<<"$idle"
tl_assert "... and disconnected after idle_timeout (2 s), without an error packet" \
  grep -q "ERROR 2006\|ERROR 2013" <<<"$idle"
tl_assert "... never answered after it" tl_not grep -q "^second$" <<<"$idle"
tl_assert_eq "Aborted_clients counts it" "$(status Aborted_clients)" "1"
busy=$( (for i in 1 2 3 4; do echo "SELECT $i;"; sleep 1; done) | mariadb -h127.0.0.1 -P"$A" -urepl -p"$REPLPW" -N -B 2>&1)
tl_assert_eq "a client that talks every second stays (4 s > idle_timeout)" "$(echo $busy)" "1 2 3 4"

# ---- 3. max_allowed_packet ----
long=$(printf 'y%.0s' $(seq 5000))
big=$(mariadb -h127.0.0.1 -P"$A" -urepl -p"$REPLPW" -N -B -e "SELECT '$long'" 2>&1)
tl_assert "a 5000-byte command over max_allowed_packet=4096 -> 1153" \
  grep -q "ERROR 1153 (08S01).*Got a packet bigger than 'max_allowed_packet' bytes" <<<"$big"
mid=$(printf 'z%.0s' $(seq 3000))
tl_assert "a 3000-byte command is answered" bash -c "mariadb -h127.0.0.1 -P$A -urepl -p'$REPLPW' -N -B -e \"SELECT '$mid' AS v\" | grep -q '^zzz'"

# ---- 4. failed logins slowed per host ----
fail_ms() {  # [extra client args]: time of one failed login, in ms
  local s e; s=$(ms_now)
  mariadb -h127.0.0.1 -P"$A" -urepl -pwrong-password "$@" -e 'SELECT 1' > "$W/fail.out" 2>&1
  e=$(ms_now); grep -q "ERROR 1045" "$W/fail.out" || echo "no 1045: $(cat "$W/fail.out")" >&2
  echo $((e - s))
}
times=()
for _ in 1 2 3 4 5 6 7 8; do times+=("$(fail_ms)"); done
tl_log "failed logins from 127.0.0.1 took ${times[*]} ms"
tl_assert "the first two failures are not slowed (${times[0]}, ${times[1]} ms)" within "$((times[0] > times[1] ? times[0] : times[1]))" 0 1500
tl_assert "the 7th waits about 1.6 s (${times[6]} ms)" [ "${times[6]}" -ge 1500 ]
tl_assert "the 8th about 2 s, the cap (${times[7]} ms)" within "${times[7]}" 1900 4500
mariadb -h127.0.0.1 -P"$A" -urepl -pwrong-password -e 'SELECT 1' > /dev/null 2>&1 &
pending=$!
t0=$(ms_now)
ok=$(mariadb -h127.0.0.1 -P"$A" -urepl -p"$REPLPW" -N -B -e 'SELECT 42' 2>&1)
t1=$(ms_now)
wait "$pending"
tl_assert_eq "a correct password from the throttled host, while a failure waits, is answered" "$ok" "42"
tl_assert "... at once ($((t1 - t0)) ms, the pending failure waits 2 s)" [ $((t1 - t0)) -lt 1500 ]
# Another host: the same client through socat, whose connection to binlogd comes from 127.0.0.2.
P2=$(tl_free_port)
socat TCP-LISTEN:"$P2",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$A",bind=127.0.0.2 &
tl_track_pid $!
tl_wait_until 10 tl_port_open "$P2"
A_SAVED=$A; A=$P2
other=$(fail_ms)
A=$A_SAVED
tl_assert "another host's failure is not slowed (${other} ms)" [ "$other" -lt 1500 ]
tl_assert "Access_denied_errors counts every 1045" [ "$(status Access_denied_errors)" -ge 10 ]
tl_assert "Binlogd_auth_delayed counts the slowed ones" [ "$(status Binlogd_auth_delayed)" -ge 6 ]
tl_assert_eq "two hosts remembered" "$(status Binlogd_auth_throttled_hosts)" "2"
metrics=$(curl -s "http://127.0.0.1:$M/metrics")
tl_assert "/metrics: binlogd_auth_delayed_total as SHOW STATUS" grep -q "^binlogd_auth_delayed_total $(status Binlogd_auth_delayed)$" <<<"$metrics"
tl_assert "/metrics: binlogd_aborted_clients_total 1" grep -q "^binlogd_aborted_clients_total 1$" <<<"$metrics"
tl_assert "/metrics: binlogd_auth_throttled_hosts 2" grep -q "^binlogd_auth_throttled_hosts 2$" <<<"$metrics"
tl_binlogd_stop b

# ---- 5. max_connections ----
tl_binlogd_start b "$W/d" --binlogd.listen=127.0.0.1:"$A" --binlogd.max_connections=2 "${USERS[@]}"
tl_wait_until 20 tl_port_open "$A"
exec 7<>"/dev/tcp/127.0.0.1/$A"; exec 8<>"/dev/tcp/127.0.0.1/$A"
tl_wait_until 10 bash -c "[ \$(ss -tn state established '( sport = :$A )' | tail -n +2 | wc -l) -ge 2 ]"
r=$(mariadb -h127.0.0.1 -P"$A" -urepl -p"$REPLPW" -N -B -e 'SELECT 1' 2>&1)
tl_assert "at max_connections a replica account gets 1040 after its login" grep -q "ERROR 1040 (08004).*Too many connections" <<<"$r"
exec 9<>"/dev/tcp/127.0.0.1/$A"   # takes the admin slot while it logs in
tl_wait_until 10 bash -c "[ \$(ss -tn state established '( sport = :$A )' | tail -n +2 | wc -l) -ge 3 ]"
r=$(mariadb -h127.0.0.1 -P"$A" -uops -p"$OPSPW" -N -B -e 'SELECT 1' 2>&1)
tl_assert "beyond it even an admin gets 1040, before any greeting" grep -q "1040.*Too many connections" <<<"$r"
exec 9>&-
tl_wait_until 10 bash -c "[ \$(ss -tn state established '( sport = :$A )' | tail -n +2 | wc -l) -le 2 ]"
tl_assert_eq "the extra slot lets an admin in" "$(ops 'SELECT 7')" "7"
exec 7>&- 8>&-
tl_assert "refusals counted (Connection_errors_max_connections)" [ "$(status Connection_errors_max_connections)" -ge 2 ]
tl_assert "the refusal is logged" tl_log_has b "max_connections (2) reached"
tl_binlogd_stop b
tl_done
