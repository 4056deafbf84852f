#!/usr/bin/env bash
# t_auth.sh - accounts, roles and secrets against a real MariaDB primary:
#  1. secrets from everywhere but the command line: the upstream password from a 0600 file,
#     an account's from an environment variable, accounts stored as *HEX / $sha2$ hashes only;
#     binlogd mirrors the primary with them; a password file re-read on SIGHUP;
#  2. the warnings: plaintext account, config file readable by every user, password on the
#     command line (and that value is gone from /proc/PID/cmdline); two sources refused;
#  3. logins with mysql_native_password and caching_sha2_password (the MariaDB client's
#     plugin) against hash-only accounts, both ways round; wrong passwords 1045;
#  4. roles: replica may not run monitor or admin statements (1227 with mariadbd's texts),
#     monitor may not dump, CHANGE MASTER or STOP SLAVE; admin may;
#  5. a dump is not cut by binlogd.idle_timeout (an idle command session is);
#  6. no test password appears in any log or in any answer of this suite (SHOW SLAVE STATUS
#     after a CHANGE MASTER with a wrong MASTER_PASSWORD, PROCESSLIST, VARIABLES, STATUS,
#     --print-config, --print-sample-config, error messages).
source "$(dirname "$0")/harness.sh"
tl_init t_auth
W=$(tl_workdir)
UPPW='Up-S3cret-7781'; ADMPW='Adm-S3cret-4242'; REPPW='Rep-S3cret-9090'; MONPW='Mon-S3cret-5151'
PLNPW='Pln-S3cret-3131'; CLIPW='Cli-S3cret-6262'; BADPW='Bad-S3cret-0707'; NEWPW='New-S3cret-8383'
NATPW='Nat-S3cret-2525'
ALL_PW=("$UPPW" "$ADMPW" "$REPPW" "$MONPW" "$PLNPW" "$CLIPW" "$BADPW" "$NEWPW" "$NATPW")
AUTHCLI=$TL_REPO/bin/authcli
ANS=$W/answers   # every answer of the suite, grepped for the passwords at the end
: > "$ANS"

tl_mariadb_start p
tl_sql p "SET sql_log_bin=0; CREATE USER up@'%' IDENTIFIED BY '$UPPW';
  GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO up@'%'; CREATE DATABASE w; CREATE TABLE w.t (a INT)"
tl_sql p "INSERT INTO w.t VALUES (1), (2)"
native() { tl_sql p "SELECT PASSWORD('$1')"; }
sha2() { echo "\$sha2\$$(printf '%s' "$1" | openssl dgst -sha256 -binary | openssl dgst -sha256 -hex | awk '{print $NF}')"; }

A=$(tl_free_port)
printf '%s\n' "$UPPW" > "$W/up.pw"; chmod 600 "$W/up.pw"
cat > "$W/binlogd.ini" <<EOF
[upstream]
host = 127.0.0.1
port = $(tl_port p)
user = up
password_file = $W/up.pw
[user.ops]
password = $(native "$ADMPW") $(sha2 "$ADMPW")
role = admin
[user.mon]
password = $(sha2 "$MONPW")
role = monitor
[user.repl]
password_env = REPL_PW
[user.plain]
password = $PLNPW
[user.nat]
password = $(native "$NATPW")
EOF
chmod 644 "$W/binlogd.ini"
export REPL_PW=$REPPW
tl_binlogd_start b "$W/d" --config "$W/binlogd.ini" --binlogd.listen=127.0.0.1:"$A" --user.cli.password="$CLIPW" \
  --binlogd.idle_timeout=2
tl_wait_until 20 tl_port_open "$A" || { tl_log "binlogd did not start"; exit 1; }

# ---- 1. secrets from a file and the environment ----
tl_assert "binlogd mirrors the primary with the upstream password from a file" tl_wait_mirror_caught_up p "$W/d" 60

# ---- 2. warnings ----
tl_assert "warns: plaintext account" tl_log_has b "WARN.*user.plain: the password is stored in plaintext"
tl_assert "... not for the hashed ones" tl_not tl_log_has b "user.ops: the password is stored in plaintext"
tl_assert "... nor for a \$sha2\$ one" tl_not tl_log_has b "user.mon: the password is stored in plaintext"
tl_assert "warns: config file readable by every user" tl_log_has b "WARN.*binlogd.ini holds passwords and is readable by every user"
tl_assert "warns: password on the command line" tl_log_has b "WARN.*user.cli.password was given on the command line"
tl_assert "that password is gone from /proc/PID/cmdline" tl_not grep -qa "$CLIPW" "/proc/$(tl_binlogd_pid b)/cmdline"
out=$("$BINLOGD_BIN" --binlogd.server_id=9 --user.x.password="$CLIPW" --user.x.password_env=REPL_PW --print-config 2>&1); rc=$?
echo "$out" >> "$ANS"
tl_assert_eq "two password sources for one account: exit 2" "$rc" "2"
tl_assert "... naming the keys" grep -q "user.x: give only one of" <<<"$out"
out=$("$BINLOGD_BIN" --binlogd.server_id=9 --upstream.password "$CLIPW" 2>&1); rc=$?   # a space, not '='
echo "$out" >> "$ANS"
tl_assert_eq "--upstream.password VALUE (space): exit 2, the value not echoed (grepped below)" "$rc" "2"
printf '[upstream]\npassword: %s\n' "$PLNPW" > "$W/typo.ini"
"$BINLOGD_BIN" --config "$W/typo.ini" --binlogd.server_id=9 >> "$ANS" 2>&1
chmod 644 "$W/up.pw"
out=$("$BINLOGD_BIN" --config "$W/binlogd.ini" --binlogd.server_id=9 --print-config 2>&1); echo "$out" >> "$ANS"
tl_assert "--print-config shows the password file, not the password" grep -q "upstream.password_file = $W/up.pw" <<<"$out"
"$BINLOGD_BIN" --print-sample-config >> "$ANS" 2>&1
chmod 600 "$W/up.pw"

# ---- 3. logins against hash-only accounts ----
login() {  # USER PASSWORD SQL [client args]: the answer, also kept in $ANS
  local u=$1 pw=$2 sql=$3; shift 3
  mariadb -h127.0.0.1 -P"$A" -u"$u" ${pw:+-p"$pw"} "$@" -N -B -e "$sql" 2>&1 | tee -a "$ANS"
}
SHA2=(--default-auth=caching_sha2_password)
tl_assert_eq "*HEX + \$sha2\$ account, mysql_native_password" "$(login ops "$ADMPW" 'SELECT CURRENT_USER()')" "ops@127.0.0.1"
tl_assert_eq "... caching_sha2_password (fast path on the stored hash)" "$(login ops "$ADMPW" 'SELECT CURRENT_USER()' "${SHA2[@]}")" "ops@127.0.0.1"
tl_assert_eq "\$sha2\$-only account, caching_sha2_password" "$(login mon "$MONPW" 'SELECT CURRENT_USER()' "${SHA2[@]}")" "mon@127.0.0.1"
tl_assert_eq "... a mysql_native client is switched to caching_sha2" "$(login mon "$MONPW" 'SELECT CURRENT_USER()')" "mon@127.0.0.1"
tl_assert_eq "password from the environment" "$(login repl "$REPPW" 'SELECT CURRENT_USER()')" "repl@127.0.0.1"
tl_assert_eq "plaintext account" "$(login plain "$PLNPW" 'SELECT CURRENT_USER()' "${SHA2[@]}")" "plain@127.0.0.1"
tl_assert "wrong password -> 1045 (native)" grep -q "ERROR 1045 (28000): Access denied for user 'mon'@'127.0.0.1' (using password: YES)" \
  <<<"$(login mon "$BADPW" 'SELECT 1')"
tl_assert "wrong password -> 1045 (caching_sha2)" grep -q "ERROR 1045" <<<"$(login ops "$BADPW" 'SELECT 1' "${SHA2[@]}")"

# MySQL 8 clients and replicas send a caching_sha2 scramble in their first packet (authcli
# logs in that way; the MariaDB client above waits for the server to ask).
my8() { "$AUTHCLI" "$A" "$1" "$2" "$3" 2>&1 | tee -a "$ANS"; }
tl_assert_eq "MySQL 8 style, both hashes: the fast path at once" "$(my8 ops "$ADMPW" caching_sha2_password)" \
  "caching_sha2_password(32) > fast_auth_success > OK"
tl_assert_eq "MySQL 8 style, \$sha2\$ only" "$(my8 mon "$MONPW" caching_sha2_password)" \
  "caching_sha2_password(32) > fast_auth_success > OK"
tl_assert_eq "MySQL 8 style, *HEX only, plaintext TCP: switched to native, never asked for the password" \
  "$(my8 nat "$NATPW" caching_sha2_password)" "caching_sha2_password(32) > switch to mysql_native_password(20) > OK"
tl_assert_eq "native client, \$sha2\$ only: switched to caching_sha2" "$(my8 mon "$MONPW" mysql_native_password)" \
  "mysql_native_password(20) > switch to caching_sha2_password(32) > fast_auth_success > OK"
tl_assert_eq "MySQL 8 style, wrong password: 1045 at once" "$(my8 mon "$BADPW" caching_sha2_password)" \
  "caching_sha2_password(32) > ERR 1045"
tl_assert_eq "an unknown account answers as a real one" "$(my8 nobody "$BADPW" caching_sha2_password)" \
  "caching_sha2_password(32) > ERR 1045"

# ---- 4. roles ----
deny() { grep -q "ERROR 1227 (42000).*Access denied; you need (at least one of) the $1 privilege(s) for this operation"; }
# mariadb-binlog prints the server's text without the code
deny_text() { grep -q "Access denied; you need (at least one of) the $1 privilege(s) for this operation"; }
tl_assert "replica: SHOW SLAVE STATUS -> 1227 SUPER, SLAVE MONITOR" deny "SUPER, SLAVE MONITOR" <<<"$(login repl "$REPPW" 'SHOW SLAVE STATUS')"
tl_assert "replica: SHOW SLAVE HOSTS -> 1227 REPLICATION MASTER ADMIN" deny "REPLICATION MASTER ADMIN" <<<"$(login repl "$REPPW" 'SHOW SLAVE HOSTS')"
tl_assert "replica: SHOW BINLOG WATCH -> 1227" deny "SUPER, SLAVE MONITOR" <<<"$(login repl "$REPPW" 'SHOW BINLOG WATCH')"
tl_assert "replica: CHANGE MASTER -> 1227 SUPER, REPLICATION SLAVE ADMIN" deny "SUPER, REPLICATION SLAVE ADMIN" \
  <<<"$(login repl "$REPPW" "CHANGE MASTER TO MASTER_HOST='x'")"
tl_assert "replica: FLUSH LOGS -> 1227 RELOAD" deny "RELOAD" <<<"$(login repl "$REPPW" 'FLUSH LOGS')"
tl_assert "replica: SHOW BINARY LOGS (a chained binlogd needs it)" grep -q "$(tl_binlogs p | tail -1)" <<<"$(login repl "$REPPW" 'SHOW BINARY LOGS')"
first=$(tl_binlogs p | head -1)
tl_assert "monitor: no dump (1227 REPLICATION SLAVE)" deny_text "REPLICATION SLAVE" \
  <<<"$(mariadb-binlog --read-from-remote-server -h127.0.0.1 -P"$A" -umon -p"$MONPW" "$first" 2>&1 >/dev/null | tee -a "$ANS")"
tl_assert "monitor: CHANGE MASTER -> 1227" deny "SUPER, REPLICATION SLAVE ADMIN" <<<"$(login mon "$MONPW" "CHANGE MASTER TO MASTER_HOST='x'")"
tl_assert "monitor: STOP SLAVE -> 1227" deny "SUPER, REPLICATION SLAVE ADMIN" <<<"$(login mon "$MONPW" 'STOP SLAVE')"
tl_assert "monitor: SHOW SLAVE STATUS" grep -q "^streaming" <<<"$(login mon "$MONPW" 'SHOW SLAVE STATUS')"
tl_assert "Access_denied_errors counts 1045 and 1227" [ "$(login ops "$ADMPW" "SHOW GLOBAL STATUS LIKE 'Access_denied_errors'" | cut -f2)" -ge 12 ]

# ---- 5. a dump outlives idle_timeout (2 s) ----
mariadb-binlog --read-from-remote-server --stop-never -h127.0.0.1 -P"$A" -urepl -p"$REPPW" --raw \
  --result-file="$W/raw-" "$first" > /dev/null 2>&1 &
tailer=$!; tl_track_pid "$tailer"
tl_assert "the dump is streaming" tl_wait_until 10 bash -c "mariadb -h127.0.0.1 -P$A -uops -p'$ADMPW' -N -B -e 'SHOW PROCESSLIST' | grep -q 'Binlog Dump'"
sleep 4   # two idle_timeouts with nothing to send: the dump must stay
tl_sql p "INSERT INTO w.t VALUES (3)"
last=$(tl_binlogs p | tail -1)
tl_assert "after 4 s idle the dump is alive and gets the new transaction" \
  tl_wait_until 10 bash -c "[ \$(stat -c %s '$W/raw-$last' 2>/dev/null || echo 0) = \$(stat -c %s '$(tl_binlog_dir p)/$last') ]"
kill "$tailer" 2>/dev/null; wait "$tailer" 2>/dev/null

# ---- 6. CHANGE MASTER with a password: never shown ----
login ops "$ADMPW" 'STOP SLAVE' > /dev/null
r=$(login ops "$ADMPW" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PASSWORD='$BADPW'; START SLAVE")
tl_assert_eq "CHANGE MASTER with a wrong password + START SLAVE" "$r" ""
tl_assert "the failure shows in SHOW SLAVE STATUS" tl_wait_until 20 bash -c \
  "mariadb -h127.0.0.1 -P$A -uops -p'$ADMPW' -e 'SHOW SLAVE STATUS\G' | grep -q 'Last_IO_Error: .*Access denied'"
login ops "$ADMPW" 'SHOW SLAVE STATUS\G' > /dev/null
login ops "$ADMPW" 'SHOW FULL PROCESSLIST' > /dev/null
login ops "$ADMPW" 'SHOW GLOBAL VARIABLES' > /dev/null
login ops "$ADMPW" 'SHOW GLOBAL STATUS' > /dev/null
login ops "$ADMPW" 'STOP SLAVE' > /dev/null
login ops "$ADMPW" "CHANGE MASTER TO MASTER_PASSWORD='$UPPW'; START SLAVE" > /dev/null
tl_assert "back with the right password" tl_wait_until 20 bash -c \
  "mariadb -h127.0.0.1 -P$A -uops -p'$ADMPW' -e 'SHOW SLAVE STATUS\G' | grep -q 'Slave_IO_Running: Yes'"

# ---- 1b. a password file re-read on SIGHUP ----
printf '%s\n' "$NEWPW" > "$W/new.pw"; chmod 600 "$W/new.pw"
sed -i 's|^password_env = REPL_PW|password_file = '"$W"'/new.pw|' "$W/binlogd.ini"
kill -HUP "$(tl_binlogd_pid b)"
tl_assert "after SIGHUP the account's password comes from the new file" tl_wait_until 10 bash -c \
  "mariadb -h127.0.0.1 -P$A -urepl -p'$NEWPW' -N -B -e 'SELECT 1' 2>/dev/null | grep -q 1"
tl_assert "... and the old one is refused" grep -q "ERROR 1045" <<<"$(login repl "$REPPW" 'SELECT 1')"

# ---- 6b. no password anywhere ----
tl_binlogd_stop b
leaks=0
for pw in "${ALL_PW[@]}"; do
  if grep -rlaF -- "$pw" "$W"/*.log "$W"/*.err "$ANS" 2>/dev/null; then leaks=$((leaks + 1)); echo "leaked: $pw"; fi
done
tl_assert_eq "no test password in any log or answer ($(cat "$W"/*.log "$ANS" | wc -l) lines)" "$leaks" "0"
tl_assert "the suite's answers are there to be searched" [ "$(wc -l < "$ANS")" -gt 100 ]
tl_done
