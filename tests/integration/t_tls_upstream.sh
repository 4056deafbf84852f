#!/usr/bin/env bash
# Issue #14, "TLS to the upstream": binlogd mirrors a MariaDB primary that has
# require_secure_transport=ON over verified TLS, and fails closed (no plaintext, nothing
# written, the reason in SHOW SLAVE STATUS and the log) when TLS cannot be had:
#   - a CA that did not sign the server's certificate;
#   - a certificate that does not name the host binlogd connects to;
#   - a primary that offers no TLS at all (with and without the name check: the second case
#     is caught by binlogd's own check that the session has a cipher);
#   - the split-brain watch polls a server without TLS: unreachable, not polled in plaintext.
# CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA=... from the stock client works, is stored
# (mode 0600) and survives a restart.
source "$(dirname "$0")/harness.sh"
tl_init tls_upstream
W=$(tl_workdir)

# ---- a throwaway CA, a server certificate for 127.0.0.1/localhost, one for another name,
# and an unrelated CA ----
ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@" 2>/dev/null; }
mkca() { ec -x509 -days 2 -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
           -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$W/$1-key.pem" -out "$W/$1.pem"; }
mkcert() {  # NAME SAN
  ec -subj "/CN=binlogd test $1" -keyout "$W/$1-key.pem" -out "$W/$1.csr" &&
  openssl x509 -req -in "$W/$1.csr" -CA "$W/ca.pem" -CAkey "$W/ca-key.pem" -CAcreateserial -days 2 \
    -out "$W/$1-cert.pem" -extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2") 2>/dev/null
}
mkca ca "binlogd test CA" && mkca wrongca "some other CA" && mkcert server "IP:127.0.0.1,DNS:localhost" &&
  mkcert other "DNS:db.invalid" || { echo "openssl failed"; exit 2; }
# The primary reads its certificate from these paths; FLUSH SSL rereads them.
cp "$W/server-cert.pem" "$W/p-cert.pem"; cp "$W/server-key.pem" "$W/p-key.pem"

tl_mariadb_start p --ssl-ca="$W/ca.pem" --ssl-cert="$W/p-cert.pem" --ssl-key="$W/p-key.pem" --require-secure-transport=ON
tl_mariadb_start q    # no TLS at all
P=$(tl_port p); Q=$(tl_port q); A=$(tl_free_port)
tl_sql p "CREATE DATABASE w"
tl_wl_small p 50; tl_flush_logs p; tl_wl_small p 20

tl_assert "the primary refuses a plaintext TCP login (require_secure_transport)" \
  tl_not mariadb -h127.0.0.1 -P"$P" -urepl -preplpass --skip-ssl -N -e "SELECT 1"
tl_assert "... and accepts a verified TLS one" \
  mariadb -h127.0.0.1 -P"$P" -urepl -preplpass --ssl-ca="$W/ca.pem" --ssl-verify-server-cert -N -e "SELECT 1"

D=$W/b
OPS=(--binlogd.listen=127.0.0.1:"$A" --user.ops.password=opspass --user.ops.role=admin
     --upstream.connect_timeout=3 --upstream.net_timeout=6 --upstream.retry_min_ms=200 --upstream.retry_max_ms=500)
UP=(--upstream.host=127.0.0.1 --upstream.port="$P" --upstream.user=repl --upstream.password=replpass --upstream.ssl=on)
field() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -e "SHOW SLAVE STATUS\G" 2>/dev/null | awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }
errno_is() { [ "$(field Last_IO_Errno)" = "$1" ]; }
binlog_sums() { (cd "$1" && find . -maxdepth 1 -name '*-bin.*' -type f | sort | xargs -r md5sum); }
start_b() { tl_binlogd_start b "$D" "${OPS[@]}" "$@"; tl_wait_until 20 tl_port_open "$A"; }

# ---- 1. verified TLS: mirrors, files identical; semi-sync ACKs travel over TLS too ----
tl_sql p "SET GLOBAL rpl_semi_sync_master_timeout=5000, rpl_semi_sync_master_enabled=ON"
start_b "${UP[@]}" --upstream.ssl_ca="$W/ca.pem" --upstream.candidates=127.0.0.1:"$Q" \
  --watch.enabled=on --watch.interval_ms=300 --upstream.semi_sync=on
tl_assert "verified TLS: binlogd mirrors the primary" tl_wait_mirror_caught_up p "$D" 30
tl_assert "... as a semi-sync replica" tl_wait_until 10 tl_status_is p Rpl_semi_sync_master_clients 1
pstat() { tl_sql p "SHOW GLOBAL STATUS LIKE '$1'" | cut -f2; }
yes0=$(pstat Rpl_semi_sync_master_yes_tx); no0=$(pstat Rpl_semi_sync_master_no_tx)
tl_wl_small p 30
tl_assert "... and follows new transactions" tl_wait_mirror_caught_up p "$D" 30
yes1=$(pstat Rpl_semi_sync_master_yes_tx); no1=$(pstat Rpl_semi_sync_master_no_tx)
tl_assert "... each acknowledged over TLS (Rpl_semi_sync_master_yes_tx +$((yes1 - yes0)))" [ $((yes1 - yes0)) -ge 30 ]
tl_assert_eq "... none timed out (Rpl_semi_sync_master_no_tx)" "$((no1 - no0))" 0
tl_sql p "SET GLOBAL rpl_semi_sync_master_enabled=OFF"   # the failing phases must not make commits wait
tl_assert "... files identical to the primary's" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert "the log says TLS, certificate and name verified" \
  tl_wait_until 5 tl_log_has b "TLS (TLSv1.[23], .*certificate and name verified)"
tl_assert_eq "Master_SSL_Allowed" "$(field Master_SSL_Allowed)" "Yes"
tl_assert_eq "Master_SSL_CA_File" "$(field Master_SSL_CA_File)" "$W/ca.pem"
tl_assert_eq "Master_SSL_Verify_Server_Cert" "$(field Master_SSL_Verify_Server_Cert)" "Yes"
# The watch polls q (no TLS) with the same settings: refused, never polled in plaintext.
wq() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "SHOW BINLOG WATCH" 2>/dev/null | awk -F'\t' -v s="127.0.0.1:$Q" '$1 == s'; }
tl_assert "watch: the server without TLS is unreachable with the TLS reason" \
  tl_wait_until 10 bash -c "$(declare -f wq); A=$A Q=$Q; wq | grep -q 'No.*SSL is required, but the server does not support it'"
tl_assert_eq "... it never read q's state" "$(wq | cut -f2)" "NULL"
tl_binlogd_stop b

# ---- 2. a CA that did not sign the server certificate: fails closed ----
before=$(binlog_sums "$D")
tl_wl_small p 20     # there is something to fetch
start_b "${UP[@]}" --upstream.ssl_ca="$W/wrongca.pem"
tl_assert "wrong CA: Last_IO_Errno 2026 (CR_SSL_CONNECTION_ERROR)" tl_wait_until 15 errno_is 2026
err=$(field Last_IO_Error); tl_log "wrong CA: $err"
tl_assert "... Last_IO_Error has the library's reason" grep -q "TLS/SSL error: .*certificate" <<<"$err"
tl_assert "... and the log too" tl_wait_until 5 tl_log_has b "TLS/SSL error"
tl_assert "... not streaming" tl_not test "$(field Slave_IO_Running)" = Yes
tl_assert_eq "... no binlog byte written" "$(binlog_sums "$D")" "$before"
tl_binlogd_stop b
# No CA given: the system's store, which does not know the test CA.
start_b "${UP[@]}"
tl_assert "no ssl_ca (system CA store): Last_IO_Errno 2026" tl_wait_until 15 errno_is 2026
tl_assert "... Last_IO_Error has the library's reason" grep -q "TLS/SSL error: .*certificate" <<<"$(field Last_IO_Error)"
tl_assert_eq "... no binlog byte written" "$(binlog_sums "$D")" "$before"
tl_binlogd_stop b

# ---- 3. a certificate for another name (same CA): fails closed ----
cp "$W/other-cert.pem" "$W/p-cert.pem"; cp "$W/other-key.pem" "$W/p-key.pem"
tl_sql p "FLUSH SSL"
start_b "${UP[@]}" --upstream.ssl_ca="$W/ca.pem"
tl_assert "name mismatch: Last_IO_Errno 2026" tl_wait_until 15 errno_is 2026
err=$(field Last_IO_Error); tl_log "name mismatch: $err"
tl_assert "... Last_IO_Error says the certificate did not validate" grep -qE "TLS/SSL error: .*([Vv]alidation|certificate|name)" <<<"$err"
tl_assert_eq "... no binlog byte written" "$(binlog_sums "$D")" "$before"
tl_binlogd_stop b
# Without the name check the same certificate is accepted (chain still verified): the
# check above was the name, not the chain.
start_b "${UP[@]}" --upstream.ssl_ca="$W/ca.pem" --upstream.ssl_verify_server_cert=off
tl_assert "verify off, same CA: mirrors again" tl_wait_mirror_caught_up p "$D" 30
tl_assert "... the log says the name was not checked" tl_wait_until 5 tl_log_has b "name not checked"
tl_binlogd_stop b
cp "$W/server-cert.pem" "$W/p-cert.pem"; cp "$W/server-key.pem" "$W/p-key.pem"
tl_sql p "FLUSH SSL"

# ---- 4. a primary without TLS: no plaintext, with and without the name check ----
D=$W/c
tl_sql q "CREATE DATABASE w"; tl_wl_small q 10
QUP=(--upstream.host=127.0.0.1 --upstream.port="$Q" --upstream.user=repl --upstream.password=replpass --upstream.ssl=on
     --upstream.ssl_ca="$W/ca.pem")
start_b "${QUP[@]}"
tl_assert "no TLS offered: Last_IO_Errno 2026" tl_wait_until 15 errno_is 2026
tl_assert_eq "... Last_IO_Error" "$(field Last_IO_Error)" \
  "upstream 127.0.0.1:$Q: cannot connect: TLS/SSL error: SSL is required, but the server does not support it"
tl_binlogd_stop b
# Without the name check Connector/C would continue in plaintext: binlogd's cipher check stops
# it. q's general log shows what reached it: logins, and not one command after them.
tl_sql q "SET GLOBAL general_log_file='$W/q-general.log', general_log=ON"
start_b "${QUP[@]}" --upstream.ssl_verify_server_cert=off
tl_assert "no TLS offered, verify off: Last_IO_Errno 2026 (binlogd's own check)" tl_wait_until 15 errno_is 2026
tl_assert "... same reason" grep -q "SSL is required, but the server does not support it" <<<"$(field Last_IO_Error)"
tl_binlogd_stop b
tl_assert_eq "no binlog file in the data directory" "$(binlog_sums "$D")" ""
tl_sql q "SET GLOBAL general_log=OFF"
# "[date time] ID Command Argument": the commands of the sessions that logged in as repl.
repl_cmds() { awk '{ for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+$/ && $(i + 1) ~ /^[A-Z][a-z]/) { id = $i; cmd = $(i + 1); break }
                     if (cmd == "Connect" && /[ \t]repl@/) r[id] = 1; else if (id in r) print cmd }' "$W/q-general.log"; }
tl_assert "verify off: binlogd's plaintext logins reached q (what binlogd's own check is for)" \
  grep -qP "Connect\\trepl@" "$W/q-general.log"
tl_assert_eq "... and nothing followed them but Quit: no query, no COM_REGISTER_SLAVE, no dump" \
  "$(repl_cmds | sort -u | tr '\n' ' ')" "Quit "

# ---- 5. CHANGE MASTER TO MASTER_SSL=1 from the stock client, stored, survives a restart ----
start_b
ops() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "$1" 2>&1; }
tl_assert_eq "CHANGE MASTER TO ... MASTER_SSL=1, MASTER_SSL_CA" \
  "$(ops "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P, MASTER_USER='repl', MASTER_PASSWORD='replpass', MASTER_SSL=1, MASTER_SSL_CA='$W/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1")" ""
tl_assert_eq "stored with mode 0600" "$(stat -c %a "$D/.binlogd-upstream")" "600"
tl_assert "... with the TLS settings" grep -qx "ssl_ca=$W/ca.pem" "$D/.binlogd-upstream"
tl_assert_eq "START SLAVE" "$(ops 'START SLAVE')" ""
tl_assert "mirrors over TLS" tl_wait_mirror_caught_up p "$D" 30
tl_binlogd_stop b
tl_wl_small p 20
start_b    # no upstream options: the stored settings rule
tl_assert "after a restart: mirrors again from the stored settings" tl_wait_mirror_caught_up p "$D" 30
tl_assert "... files identical to the primary's" tl_cmp_binlogs "$(tl_binlog_dir p)" "$D"
tl_assert_eq "... Master_SSL_Allowed" "$(field Master_SSL_Allowed)" "Yes"
tl_assert_eq "... Master_SSL_CA_File" "$(field Master_SSL_CA_File)" "$W/ca.pem"
tl_assert "... over TLS" tl_wait_until 5 tl_log_has b "TLS (TLSv1.[23], .*certificate and name verified)"
tl_assert "no test password in binlogd's log" tl_not grep -q replpass "$W/b.log"
tl_binlogd_stop b
tl_done
