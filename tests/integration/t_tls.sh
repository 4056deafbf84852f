#!/usr/bin/env bash
# Issue #14, "TLS to replicas and admins" (acceptance 1): binlogd as a TLS server.
#  1. a MariaDB 10.11 replica with MASTER_SSL=1 + MASTER_SSL_VERIFY_SERVER_CERT=1 replicates
#     through binlogd running tls.require=on, a >16 MiB row event included (TLS dumps read
#     through the cursor in pieces, no sendfile): CHECKSUM TABLE equal to the primary's;
#  2. mariadb-binlog --read-from-remote-server --ssl --ssl-ca: files identical (cmp);
#  3. plaintext refused with ERR 3159 BEFORE the password check (a wrong password over
#     plaintext gets 3159, not 1045; over TLS the same wrong password gets 1045);
#  4. SIGHUP: a renewed certificate is served to new connections (serial seen by
#     openssl s_client -starttls mysql) while the replica's TLS dump keeps streaming; a
#     broken certificate keeps the running one and logs why; tls.require=off lets
#     plaintext in, user.NAME.require_tls still refuses that account (1045, no password check);
#  5. tls.ca: a client without a certificate from that CA is refused, one with it is let in;
#  6. no certificate: an SSLRequest gets 1043 Bad handshake, as from mariadbd; CLIENT_SSL is
#     not advertised.
source "$(dirname "$0")/harness.sh"
tl_init tls

W=$(tl_workdir); K=$W/pki; mkdir -p "$K"
# ---- a CA, two server certificates (127.0.0.1 / localhost), a client certificate ----
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
mkcert() {  # NAME SERIAL EXTENSIONS
  openssl req "${ec[@]}" -keyout "$K/$1.key" -out "$K/$1.csr" -subj "/CN=binlogd-test-$1" 2>/dev/null &&
  printf '%b' "$3" > "$K/$1.ext" &&
  openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" -set_serial "$2" -days 2 \
    -extfile "$K/$1.ext" -out "$K/$1.pem" 2>/dev/null
}
openssl req -x509 "${ec[@]}" -keyout "$K/ca.key" -out "$K/ca.pem" -days 2 -subj /CN=binlogd-test-CA 2>/dev/null
SRV='subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n'
mkcert s1 0x5151 "$SRV"; mkcert s2 0x5252 "$SRV"
mkcert client 0x7171 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n'
openssl req -x509 "${ec[@]}" -keyout "$K/rogue.key" -out "$K/rogue.pem" -days 2 -subj /CN=rogue 2>/dev/null
tl_assert "test PKI generated" test -s "$K/s1.pem" -a -s "$K/s2.pem" -a -s "$K/client.pem"
cp "$K/s1.pem" "$K/server.pem"; cp "$K/s1.key" "$K/server.key"   # the files binlogd is configured with

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); DA=$W/a; CONF=$W/a.conf
tl_sql p "CREATE DATABASE w; CREATE TABLE w.k (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB"
writeconf() {  # REQUIRE CA [extra lines]
  { tl_conf_head "$A" "$P"; cat <<EOF
[tls]
cert = $K/server.pem
key = $K/server.key
ca = $2
require = $1
[user.repl]
password = replpass
role = replica
[user.ops]
password = opspass
role = admin
[user.mon]
role = monitor
[user.sec]
password = secpass
role = admin
${3:-}
EOF
} > "$CONF"
}
writeconf on ""
tl_binlogd_start a "$DA" --config="$CONF"
tl_wait_until 20 tl_port_open "$A"
tl_assert "binlogd logged the certificate it offers" tl_wait_until 10 tl_log_has a "TLS offered to clients: subject.*serial 5151"

# my NAME [mariadb args]: a query against binlogd as user/password; prints rows or the error.
my() { mariadb -h127.0.0.1 -P"$A" -N -B --connect-timeout=10 "$@" 2>&1; }
TLSC=(--ssl --ssl-ca="$K/ca.pem" --ssl-verify-server-cert)

# ---- 3. refused before the password check ----
out=$(my --skip-ssl -urepl -pWRONG -e "SELECT 1")
tl_assert_eq "plaintext + wrong password: ERR 3159 (TLS error), not 1045" "$out" \
  "ERROR 3159 (HY000): Connections using insecure transport are prohibited while --require_secure_transport=ON."
out=$(my --skip-ssl -urepl -preplpass -e "SELECT 1")
tl_assert "plaintext + right password: the same 3159" grep -q "^ERROR 3159 " <<< "$out"
out=$(my "${TLSC[@]}" -urepl -pWRONG -e "SELECT 1")
tl_assert "TLS + wrong password: 1045 (the password is checked over TLS)" grep -q "^ERROR 1045 (28000): Access denied for user 'repl'" <<< "$out"
out=$(my "${TLSC[@]}" -uops -popspass -e '\s')
tl_assert "TLS + verified certificate: logged in, cipher in use" grep -q "Cipher in use is TLS_" <<< "$out"
out=$(my "${TLSC[@]}" -uops -popspass -e "SHOW STATUS LIKE 'Ssl_%'")
tl_assert "SHOW STATUS: the session's Ssl_cipher" grep -q "^Ssl_cipher	TLS_" <<< "$out"
tl_assert "SHOW STATUS: the session's Ssl_version (1.2 or 1.3)" grep -qE "^Ssl_version	TLSv1\.[23]$" <<< "$out"
tl_assert "binlogd: plaintext logins counted as refused" tl_log_has a "plaintext login of user 'repl' refused (tls.require)"
# An SSLRequest followed at once, in the same write, by bytes that are not a ClientHello:
# the bytes must reach OpenSSL (the socket is read no further than the SSLRequest), which
# rejects them; the session does not see them as plaintext.
sslreq='\x20\x00\x00\x01\x00\x0a\x00\x00\x00\x00\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
# raw_probe PORT BYTES: read the greeting, send BYTES, print the first 8 reply bytes as hex
# (header + ERR code); the greeting's capability bytes go to $W/caps.
raw_probe() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  local h len; h=($(dd bs=1 count=4 status=none <&3 | od -An -tu1))
  len=$(( h[0] + h[1] * 256 + h[2] * 65536 ))
  dd bs=1 count="$len" status=none <&3 > "$W/greeting"
  printf "$2" >&3
  timeout 10 dd bs=1 count=8 status=none <&3 | od -An -tx1 | tr -d ' \n'
  exec 3<&-
}
raw_probe "$A" "${sslreq}GARBAGE-NOT-A-CLIENTHELLO" > /dev/null
tl_assert "SSLRequest + pipelined bytes: handed to OpenSSL, handshake refused" \
  tl_wait_until 10 tl_log_has a "TLS handshake failed"
tl_assert "... not read as plaintext around the SSLRequest" tl_not tl_log_has a "bytes around the SSLRequest"
# A 32-byte first packet without CLIENT_SSL is a truncated login, not an SSLRequest.
nossl='\x20\x00\x00\x01\x00\x02\x00\x00\x00\x00\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
reply=$(raw_probe "$A" "$nossl")
tl_assert_eq "32-byte packet without CLIENT_SSL: ERR 1043 (seq 2)" "${reply:6:8}" "02ff1304"

# ---- 1. a replica over verified TLS, a >16 MiB event included ----
first=$(tl_binlogs p | head -1)
tl_mariadb_start r --skip-log-bin
RSID=${TL_SID[r]}
tl_sql r "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$A, MASTER_USER='repl', MASTER_PASSWORD='replpass',
   MASTER_LOG_FILE='$first', MASTER_LOG_POS=4, MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=1,
   MASTER_SSL=1, MASTER_SSL_CA='$K/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1; START SLAVE"
tl_wl_small p 300
tl_flush_logs p     # a rotation under TLS: fake ROTATE + the next FDE
tl_wl_blob p 20      # one row event > 16 MiB: several packets, streamed through TLS in pieces
tl_sql p "INSERT INTO w.k VALUES (100000, 'after the blob')"
tl_wait_mirror_caught_up p "$DA" 60
at_primary() { tl_replica_at r "$(tl_master_status p)"; }
tl_assert "replica (MASTER_SSL, verified) reached the primary's position" tl_wait_until 60 at_primary
tl_assert_eq "replica threads running" "$(tl_slave_field r Slave_IO_Running)$(tl_slave_field r Slave_SQL_Running)" "YesYes"
tl_assert_eq "replica: Master_SSL_Allowed" "$(tl_slave_field r Master_SSL_Allowed)" "Yes"
for t in $(tl_sql p "SELECT CONCAT(table_schema,'.',table_name) FROM information_schema.tables WHERE table_schema='w'"); do
  tl_assert_eq "replica: CHECKSUM TABLE $t" "$(tl_sql r "CHECKSUM TABLE $t")" "$(tl_sql p "CHECKSUM TABLE $t")"
  tl_assert_eq "replica: rows in $t" "$(tl_sql r "SELECT COUNT(*) FROM $t")" "$(tl_sql p "SELECT COUNT(*) FROM $t")"
done
tl_assert "binlogd: the dump runs over TLS (Ssl_finished_accepts > 0)" \
  bash -c "mariadb -h127.0.0.1 -P$A -uops -popspass --ssl --ssl-ca=$K/ca.pem -N -B -e \"SHOW STATUS LIKE 'Ssl_finished_accepts'\" | awk '\$2 > 0' | grep -q ."

# ---- 2. mariadb-binlog over TLS ----
rp=$W/rawp; rb=$W/rawb; mkdir -p "$rp" "$rb"
(cd "$rp" && mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P"$P" -urepl -preplpass --to-last-log "$first")
(cd "$rb" && mariadb-binlog --read-from-remote-server --raw -h127.0.0.1 -P"$A" -urepl -preplpass --to-last-log \
   --ssl --ssl-ca="$K/ca.pem" --ssl-verify-server-cert "$first")
n=0; same=0
for f in "$rp"/*; do n=$((n + 1)); cmp -s "$f" "$rb/$(basename "$f")" && same=$((same + 1)); done
tl_assert_eq "mariadb-binlog --ssl: every file identical to the primary's" "$same/$n" "$n/$n"
tl_assert "... and there were files ($n)" test "$n" -gt 0

# ---- 2b. binlogd -> binlogd over verified TLS (the chained binlogd's upstream.ssl) ----
C=$(tl_free_port)
tl_binlogd_start c "$W/c" --binlogd.listen=127.0.0.1:"$C" --user.repl.password=replpass \
    --upstream.host=127.0.0.1 --upstream.port="$A" --upstream.user=repl --upstream.password=replpass \
    --upstream.ssl=on --upstream.ssl_ca="$K/ca.pem" --upstream.ssl_verify_server_cert=on
tl_assert "the chained binlogd mirrors binlogd over TLS" tl_wait_mirror_caught_up p "$W/c" 60
tl_assert "... and its log says the session is verified TLS" tl_log_has c "TLS (TLSv1\.[23].*certificate and name verified)"
n=0; same=0
for f in $(tl_binlogs p | head -n -1); do n=$((n + 1)); cmp -s "$(tl_datadir p)/$f" "$W/c/$f" && same=$((same + 1)); done
tl_assert_eq "... every closed file identical to the primary's" "$same/$n" "$n/$n"
tl_binlogd_stop c

# ---- 2c. caching_sha2 full authentication (the password in clear) inside TLS only ----
# An account stored only as mysql_native's *HEX: a caching_sha2 client's fast-path scramble
# cannot be checked against it, so binlogd asks for the password in clear, over TLS only;
# over plaintext it switches the client to mysql_native_password instead.
NAT=$(tl_sql p "SELECT PASSWORD('natpass')")
D2=$(tl_free_port)
tl_binlogd_start d "$W/d" --binlogd.listen=127.0.0.1:"$D2" --binlogd.log_level=debug \
    --tls.cert="$K/server.pem" --tls.key="$K/server.key" --user.nat.password="$NAT" --user.nat.role=monitor
tl_wait_until 20 tl_port_open "$D2"
sha2() { mariadb -h127.0.0.1 -P"$D2" -unat -pnatpass --default-auth=caching_sha2_password -N -B -e "SELECT 7" "$@" 2>&1; }
tl_assert_eq "caching_sha2 client, *HEX-only account, over TLS: logs in" "$(sha2 --ssl --ssl-ca="$K/ca.pem" --ssl-verify-server-cert)" 7
tl_assert "... through full authentication inside TLS" tl_log_has d "caching_sha2 full authentication of 'nat' over TLS"
n_full=$(grep -c "caching_sha2 full authentication" "$W/d.log")
tl_assert_eq "the same over plaintext: logs in (switched to mysql_native_password)" "$(sha2 --skip-ssl)" 7
tl_assert_eq "... and no password was asked for in clear" "$(grep -c "caching_sha2 full authentication" "$W/d.log")" "$n_full"
tl_assert "no test password in its log" tl_not grep -q natpass "$W/d.log"
tl_binlogd_stop d

# ---- 4. SIGHUP: renewed certificate, require off, an account that requires TLS ----
serial() { echo | timeout 10 openssl s_client -starttls mysql -connect 127.0.0.1:"$A" -CAfile "$K/ca.pem" \
             -verify_return_error 2>/dev/null | openssl x509 -noout -serial 2>/dev/null; }
tl_assert_eq "openssl s_client -starttls mysql sees the first certificate" "$(serial)" "serial=5151"
dumps_before=$(grep -c "binlog dump for server_id $RSID " "$W/a.log")
cp "$K/s2.pem" "$K/server.pem"; cp "$K/s2.key" "$K/server.key"
writeconf off "" "require_tls = on"
kill -HUP "$(tl_binlogd_pid a)"
tl_assert "SIGHUP: TLS reloaded" tl_wait_until 10 tl_log_has a "TLS reloaded for new connections: .*serial 5252"
tl_assert_eq "a new connection sees the renewed certificate" "$(serial)" "serial=5252"
tl_sql p "INSERT INTO w.k VALUES (100001, 'after the reload')"
tl_wl_small p 50
tl_assert "the replica's TLS dump keeps streaming across the reload" tl_wait_until 60 at_primary
tl_assert_eq "... on the same connection (no new dump)" "$(grep -c "binlog dump for server_id $RSID " "$W/a.log")" "$dumps_before"
tl_assert_eq "tls.require=off: plaintext login accepted" "$(my --skip-ssl -urepl -preplpass -e 'SELECT 1')" "1"
# HAProxy's mysql-check: a 41-byte plaintext login (monitor, no password) and COM_QUIT in one
# write, while TLS is offered: the first read stops at 36 bytes, the rest must still be read.
login='\x25\x00\x00\x01\x00\x82\x00\x00\x00\x80\x00\x01\x21\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00mon\x00\x00\x01\x00\x00\x00\x01'
reply=$(raw_probe "$A" "$login")
tl_assert_eq "pipelined plaintext login + COM_QUIT while TLS is offered: OK (seq 2)" "${reply:0:10}" "0700000200"
tl_assert_eq "... its Ssl_cipher is empty" "$(my --skip-ssl -uops -popspass -e "SHOW STATUS LIKE 'Ssl_cipher'")" "Ssl_cipher	"
out=$(my --skip-ssl -usec -psecpass -e "SELECT 1")
tl_assert "user.sec.require_tls over plaintext: 1045" grep -q "^ERROR 1045 (28000): Access denied for user 'sec'" <<< "$out"
tl_assert "... refused before its password was checked (logged why)" tl_log_has a "plaintext login of user 'sec' refused (require_tls)"
tl_assert_eq "user.sec.require_tls over TLS: accepted" "$(my "${TLSC[@]}" -usec -psecpass -e 'SELECT 1')" "1"
# A broken certificate: the running one stays, the log says why.
echo "not a certificate" > "$K/server.pem"
kill -HUP "$(tl_binlogd_pid a)"
tl_assert "broken certificate on SIGHUP: logged, old one kept" tl_wait_until 10 tl_log_has a "TLS reload failed, keeping the running certificate"
tl_assert_eq "... new connections still get the renewed certificate" "$(serial)" "serial=5252"

# ---- 5. tls.ca: client certificates ----
cp "$K/s2.pem" "$K/server.pem"
writeconf off "$K/ca.pem"
kill -HUP "$(tl_binlogd_pid a)"
tl_assert "tls.ca set by SIGHUP" tl_wait_until 10 tl_log_has a "client certificates required"
out=$(my "${TLSC[@]}" -uops -popspass -e "SELECT 1")
tl_assert "TLS client without a certificate: refused" tl_not test "$out" = "1"
out=$(my "${TLSC[@]}" --ssl-cert="$K/rogue.pem" --ssl-key="$K/rogue.key" -uops -popspass -e "SELECT 1")
tl_assert "TLS client with a certificate from another CA: refused" tl_not test "$out" = "1"
tl_assert "binlogd logged the refused handshakes" tl_log_has a "TLS handshake failed: .*certificate"
tl_assert_eq "TLS client with a certificate from tls.ca: accepted" \
  "$(my "${TLSC[@]}" --ssl-cert="$K/client.pem" --ssl-key="$K/client.key" -uops -popspass -e 'SELECT 1')" "1"
tl_assert_eq "the replica is still streaming" "$(tl_slave_field r Slave_IO_Running)" "Yes"

# ---- 6. no certificate: no CLIENT_SSL, and an SSLRequest is a bad handshake ----
tl_assert "binlogd stops" tl_binlogd_stop a
tl_binlogd_start a "$DA" --binlogd.listen=127.0.0.1:"$A" --user.repl.password=replpass
tl_wait_until 20 tl_port_open "$A"
reply=$(raw_probe "$A" "$sslreq")
tl_assert_eq "SSLRequest without a certificate: ERR 1043 (seq 2)" "${reply:6:8}" "02ff1304"
# protocol byte, version up to its NUL (byte n), conn id 4, scramble 8, filler 1, caps low 2:
# the caps' second byte is byte n + 15.
capbyte=$(od -An -tx1 -v "$W/greeting" | tr -s ' \n' '\n' | grep -v '^$' |
          awk 'NR > 1 && !n && $1 == "00" { n = NR } n && NR == n + 15 { print; exit }')
tl_assert "greeting without a certificate: CLIENT_SSL (0x0800) not advertised" test $(( 0x$capbyte & 0x08 )) -eq 0
tl_assert_eq "plaintext still works without TLS" "$(my --skip-ssl -urepl -preplpass -e 'SELECT 1')" "1"
tl_done
