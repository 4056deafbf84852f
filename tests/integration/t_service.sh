#!/usr/bin/env bash
# Issue #13 "a proper service": a real primary, binlogd configured by a file, a MariaDB
# replica streaming through it, and systemd's side of the notify protocol played by
# bin/notifylisten.
#  (a) SIGHUP with a changed password: the new one logs in, the old one is refused, the
#      streaming replica keeps streaming without reconnecting; log_level applies at once;
#  (b) logrotate (mv + SIGHUP) and FLUSH LOGS: new lines go to a new file; FLUSH BINARY LOGS
#      refused (1235), FLUSH LOGS needs the admin role (1227);
#  (c) a changed non-runtime option is named in the log and not applied; a broken file on
#      reload keeps the running configuration;
#  (d) notify: READY=1 only once the port accepts and recovery is done, WATCHDOG=1 at about
#      WATCHDOG_USEC/2, RELOADING=1 (+MONOTONIC_USEC) then READY=1 on SIGHUP, STOPPING=1 at
#      SIGTERM; an abstract socket; a WATCHDOG_PID that is not ours means no pings;
#  (e) make install DESTDIR=... PREFIX=/usr: binary, unit, sample config, man page; --help,
#      the sample and the man page name every option of the table.
source "$(dirname "$0")/harness.sh"
tl_init service
W=$(tl_workdir)

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); A2=$(tl_free_port); D=$W/b
LOG=$W/service.log; CFG=$W/binlogd.conf; N=$W/notify.out
tl_sql p "CREATE DATABASE w"
tl_wl_small p 50

write_cfg() {  # REPL_PASSWORD LISTEN_PORT LOG_LEVEL
  cat > "$CFG" <<EOF
[binlogd]
listen = 127.0.0.1:$2
log_file = $LOG
log_level = $3
[upstream]
host = 127.0.0.1
port = $P
user = repl
password = replpass
retry_min_ms = 100
[user.repl]
password = $1
[user.ops]
password = opspass
role = admin
EOF
}
write_cfg replpass "$A" info

"$TL_REPO/bin/notifylisten" "$W/notify.sock" -p "$A" > "$N" 2>&1 &
tl_track_pid $!
tl_wait_until 10 grep -q X_BOUND "$N"
NOTIFY_SOCKET=$W/notify.sock WATCHDOG_USEC=400000 tl_binlogd_start b "$D" --config "$CFG"
B=$(tl_binlogd_pid b)

# ---- (d) start-up: READY=1 after recovery and listen, then the watchdog ----
notify_has() { grep -q -- "$1" "$N"; }
tl_assert "READY=1 sent" tl_wait_until 30 notify_has " READY=1"
first_ready=$(awk '$3 == "READY=1" { print $2; exit }' "$N")
tl_assert_eq "the port accepted when READY=1 arrived" "$(awk -v s="$first_ready" '$2 == s && $3 ~ /^X_PORT_OPEN/ { print $3 }' "$N")" "X_PORT_OPEN=1"
tl_assert "STATUS= sent with READY=1" grep -q "^[0-9.]* $first_ready STATUS=" "$N"
tl_assert "recovery was logged before READY=1" grep -q "data directory is empty\|recovered: committed position" "$LOG"
ready_ms=$(awk '$3 == "READY=1" { print $1; exit }' "$N")
wd_after() { awk -v t0="$ready_ms" -v t1="$1" '$3 == "WATCHDOG=1" && $1 >= t0 && $1 <= t0 + t1 { n++ } END { print n + 0 }' "$N"; }
tl_wait_until 10 bash -c "[ \$(awk -v t0=$ready_ms '\$3 == \"WATCHDOG=1\" && \$1 >= t0 + 2000 { n++ } END { print n + 0 }' '$N') -gt 0 ]"
pings=$(wd_after 2000)
tl_assert "WATCHDOG_USEC=400000: at least 6 pings in the first 2 s ($pings)" [ "$pings" -ge 6 ]
tl_assert "... and not flooding (at most 12)" [ "$pings" -le 12 ]
gap=$(awk '$3 == "WATCHDOG=1" { if (last) { g = $1 - last; if (g > max) max = g } last = $1 } END { printf "%d", max }' "$N")
tl_assert "no two pings more than 1 s apart (largest gap ${gap} ms)" [ "$gap" -le 1000 ]

# ---- a replica streaming through binlogd ----
tl_assert "binlogd mirrors the primary" tl_wait_mirror_caught_up p "$D" 60
first=$(tl_binlogs p | head -1)
tl_mariadb_start r --skip-log-bin
tl_sql r "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
  MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1; START SLAVE"
tl_assert "the replica catches up through binlogd" tl_wait_until 60 tl_replica_at r "$(tl_master_status p)"
dumps() { cat "$LOG"* | grep -c "binlog dump for server_id"; }   # the log gets rotated below
dumps_before=$(dumps)
login() { mariadb -h127.0.0.1 -P"$1" -u"$2" -p"$3" -N -B -e "${4:-SELECT 1}" 2>&1; }

# ---- (a) a changed password on SIGHUP ----
write_cfg newpass "$A" debug
kill -HUP "$B"
tl_assert "reload logged" tl_wait_until 10 grep -q "configuration reloaded" "$LOG"
tl_assert "the account change is named" grep -q "user.repl: new value applied" "$LOG"
tl_assert "no password in the log" tl_not grep -q "newpass" "$LOG"
tl_assert_eq "the new password logs in" "$(login "$A" repl newpass)" "1"
tl_assert "the old password is refused (1045)" grep -q "ERROR 1045" <<<"$(login "$A" repl replpass)"
tl_assert "log_level=debug applies at once" grep -q "DEBUG.*user 'repl' authenticated" "$LOG"
tl_wl_small p 50
tl_assert "the streaming replica keeps up after the reload" tl_wait_until 60 tl_replica_at r "$(tl_master_status p)"
tl_assert_eq "... without reconnecting (one dump in binlogd's log)" "$(dumps)" "$dumps_before"
tl_assert_eq "... and without an error on its side" "$(tl_slave_field r Last_IO_Errno)" "0"
tl_assert_eq "... still running" "$(tl_slave_field r Slave_IO_Running)" "Yes"

# ---- (d) reload as systemd sees it ----
rl=$(awk '$3 == "RELOADING=1" { print $2; exit }' "$N")
tl_assert "RELOADING=1 on SIGHUP" [ -n "$rl" ]
tl_assert "... with MONOTONIC_USEC in the same datagram" grep -q "^[0-9.]* $rl MONOTONIC_USEC=[0-9]" "$N"
tl_assert "... followed by READY=1" bash -c "awk -v s=$rl '\$3 == \"READY=1\" && \$2 > s { f = 1 } END { exit !f }' '$N'"

# ---- (b) logrotate: rename + SIGHUP, then FLUSH LOGS ----
mv "$LOG" "$LOG.1"
kill -HUP "$B"
tl_assert "SIGHUP reopens the log at its path" tl_wait_until 10 grep -q "configuration reloaded" "$LOG"
login "$A" nobody x > /dev/null
tl_assert "new lines go to the new file" tl_wait_until 10 grep -q "access denied for user 'nobody'" "$LOG"
tl_assert "... not to the renamed one" tl_not grep -q "access denied for user 'nobody'" "$LOG.1"
mv "$LOG" "$LOG.2"
tl_assert_eq "FLUSH LOGS (admin)" "$(login "$A" ops opspass 'FLUSH LOGS')" ""
tl_assert "FLUSH LOGS reopens the log" tl_wait_until 10 grep -q "FLUSH LOGS by connection" "$LOG"
tl_assert_eq "FLUSH ERROR LOGS (admin)" "$(login "$A" ops opspass 'FLUSH ERROR LOGS')" ""
tl_assert "FLUSH BINARY LOGS is refused (1235, the primary's)" grep -q "ERROR 1235.*primary" <<<"$(login "$A" ops opspass 'FLUSH BINARY LOGS')"
tl_assert "FLUSH LOGS needs the admin role (1227)" grep -q "ERROR 1227" <<<"$(login "$A" repl newpass 'FLUSH LOGS')"
tl_assert_eq "other FLUSH options answer OK (admin)" "$(login "$A" ops opspass 'FLUSH TABLES')" ""
tl_assert "... and need RELOAD, as in mariadbd (1227)" grep -q "ERROR 1227.*RELOAD" <<<"$(login "$A" repl newpass 'FLUSH TABLES')"

# ---- (c) a non-runtime option, then a broken file ----
write_cfg newpass "$A2" info
kill -HUP "$B"
tl_assert "a changed listen is named" tl_wait_until 10 grep -q "binlogd.listen cannot change at runtime; restart to apply" "$LOG"
tl_assert "... and not applied: the old port serves" grep -qx 1 <<<"$(login "$A" repl newpass)"
tl_assert "... the new port is not opened" tl_not tl_port_open "$A2"
printf '[binlogd]\nlisten = 127.0.0.1:%s\nbogus_key = 1\n' "$A" > "$CFG"
kill -HUP "$B"
tl_assert "a broken file is rejected, naming file:line" tl_wait_until 10 grep -q "configuration rejected, keeping the running configuration: $CFG:3: unknown key 'binlogd.bogus_key'" "$LOG"
tl_assert_eq "the running accounts are kept" "$(login "$A" repl newpass)" "1"
tl_assert_eq "the ops account too" "$(login "$A" ops opspass)" "1"
tl_wl_small p 20
tl_assert "the replica still streams" tl_wait_until 60 tl_replica_at r "$(tl_master_status p)"
tl_assert_eq "... on its first connection" "$(dumps)" "$dumps_before"
tl_assert "binlogd is still running" kill -0 "$B"
tl_assert "every reload answered READY=1 ($(grep -c ' RELOADING=1' "$N") reloads)" \
  [ "$(grep -c ' RELOADING=1' "$N")" -eq "$(( $(grep -c ' READY=1' "$N") - 1 ))" ]

# ---- (d) STOPPING=1, then a restart with recovery on an abstract socket ----
tl_binlogd_stop b; rc=$?
tl_assert_eq "SIGTERM exits 0" "$rc" 0
tl_assert "STOPPING=1 at SIGTERM" grep -q " STOPPING=1" "$N"
abs=@binlogd-test-$$-$RANDOM
"$TL_REPO/bin/notifylisten" "$abs" -p "$A" > "$W/notify2.out" 2>&1 &
tl_track_pid $!
tl_wait_until 10 grep -q X_BOUND "$W/notify2.out"
write_cfg newpass "$A" info
NOTIFY_SOCKET=$abs WATCHDOG_USEC=400000 WATCHDOG_PID=1 tl_binlogd_start b "$D" --config "$CFG"
tl_assert "abstract socket: READY=1" tl_wait_until 30 grep -q " READY=1" "$W/notify2.out"
tl_assert "... the port accepted by then" grep -q "X_PORT_OPEN=1" "$W/notify2.out"
tl_assert "... after recovering the stored files" grep -q "recovered: committed position" "$LOG"
sleep 1   # WATCHDOG_PID names another process: nothing may arrive (no condition to poll)
tl_assert_eq "WATCHDOG_PID not ours: no pings" "$(grep -c WATCHDOG=1 "$W/notify2.out")" "0"
tl_binlogd_stop b

# ---- (e) make install, --help, sample config, man page ----
I=$W/inst
make -s -C "$TL_REPO" install DESTDIR="$I" PREFIX=/usr > "$W/install.out" 2>&1
tl_assert "make install succeeded" [ $? -eq 0 ]
tl_assert "binary in /usr/sbin" test -x "$I/usr/sbin/binlogd"
tl_assert "unit in /usr/lib/systemd/system" test -f "$I/usr/lib/systemd/system/binlogd.service"
tl_assert "sample config in /etc/binlogd" test -f "$I/etc/binlogd/binlogd.conf.sample"
tl_assert "man page in /usr/share/man/man8" test -f "$I/usr/share/man/man8/binlogd.8"
U=$I/usr/lib/systemd/system/binlogd.service
for k in "Type=notify" "ExecStart=/usr/sbin/binlogd --config /etc/binlogd/binlogd.conf" \
         'ExecReload=/bin/kill -HUP $MAINPID' "Restart=on-failure" "ProtectSystem=strict" "NoNewPrivileges=yes" \
         "PrivateTmp=yes" "ProtectHome=yes" "User=binlogd" "WatchdogSec=" "LimitNOFILE=" "ReadWritePaths=/var/lib/binlogd"; do
  tl_assert "unit: $k" grep -qF -- "$k" "$U"
done
M=$I/usr/share/man/man8/binlogd.8
for s in NAME SYNOPSIS OPTIONS; do tl_assert "man page: .SH $s" grep -q "^\.SH $s" "$M"; done
tl_assert_eq "--version" "$("$I/usr/sbin/binlogd" --version | cut -d' ' -f1)" "binlogd"
"$I/usr/sbin/binlogd" --help > "$W/help.out"
help_opts=$(grep -o '^  --[a-z_]*\.[a-z_]*=' "$W/help.out" | sed 's/^  --//; s/=$//' | sort)
sample_opts=$(awk '/^# \[user\./ { exit } /^\[[a-z]+\]$/ { s = substr($0, 2, length($0) - 2) } /^# [a-z_]+ =/ { print s "." $2 }' \
  "$I/etc/binlogd/binlogd.conf.sample" | sort)
tl_assert "the option table has options" [ "$(wc -l <<<"$help_opts")" -gt 20 ]
tl_assert_eq "--help lists exactly the sample config's options" "$help_opts" "$sample_opts"
tl_assert "--help shows defaults" grep -q 'upstream.port=VALUE  (default: "3306")' "$W/help.out"
missing=$(for o in $help_opts; do grep -qF ".B $o" "$M" || echo "$o"; done)
tl_assert_eq "the man page lists every option" "$missing" ""
tl_assert "the sample config is a valid file" "$I/usr/sbin/binlogd" --config "$I/etc/binlogd/binlogd.conf.sample" \
  --binlogd.server_id=1 --print-config
tl_done
