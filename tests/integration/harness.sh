#!/usr/bin/env bash
# harness.sh - sourced by every integration test: real MariaDB servers on 127.0.0.1 with
# free ports and throwaway datadirs, binlogd processes, workloads, byte comparisons and
# assertions. Everything started here is stopped by the EXIT trap, also on failure.
#
# A test: source harness.sh; tl_init NAME; ...; tl_done (prints "N passed, N failed").
set -uo pipefail

TL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BINLOGD_BIN=${BINLOGD_BIN:-$TL_REPO/bin/binlogd}
BINLOGD_DUMPCLI=${BINLOGD_DUMPCLI:-$TL_REPO/bin/dumpcli}
TL_ROOT=${BINLOGD_TEST_TMP:-/tmp/binlogd-it}
TL_PASS=0; TL_FAIL=0; TL_NAME=; TL_DIR=
TL_PIDS=(); TL_NEXT_ID=10
declare -A TL_PORT TL_SOCK TL_DATA TL_PID TL_ARGS TL_SID TL_BPID
MYSQLD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
# Fast, small servers: the tests need correctness, not InnoDB throughput.
TL_SERVER_OPTS=(--no-defaults --user=root --bind-address=127.0.0.1 --skip-name-resolve
  --innodb-buffer-pool-size=64M --innodb-log-file-size=48M --innodb-flush-log-at-trx-commit=2
  --sync-binlog=0 --max-allowed-packet=1G --binlog-format=ROW --max-connections=600
  --character-set-server=utf8mb4)

tl_log() { printf '[%s] %s: %s\n' "$(date +%H:%M:%S)" "$TL_NAME" "$*"; }
tl_workdir() { echo "$TL_DIR"; }
tl_track_pid() { TL_PIDS+=("$1"); }
# Wait for a process that is not our child (e.g. started inside $(...)), with a deadline.
tl_wait_pid() { tl_wait_until "${2:-600}" bash -c "! kill -0 $1 2>/dev/null"; }

tl_cleanup() {
  local rc=$?
  # Subshells ($(...) with background jobs) can run the EXIT trap too: only the test's own
  # shell may tear the servers down.
  [ "${BASHPID:-$$}" = "$TL_MAIN_PID" ] || return $rc
  set +e
  exec 2>/dev/null   # bash reports every job it kills below ("Killed ..."): noise, not news
  for n in "${!TL_BPID[@]}"; do kill -9 "${TL_BPID[$n]}" 2>/dev/null; done
  for p in "${TL_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
  for n in "${!TL_PID[@]}"; do kill -9 "${TL_PID[$n]}" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$TL_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
    for f in "$TL_DIR"/*.log "$TL_DIR"/*.err; do
      [ -f "$f" ] && { echo "---- tail of $f"; tail -n 25 "$f"; }
    done
  fi
  [ "${KEEP:-0}" = 1 ] || rm -rf "$TL_DIR"
  exit $rc
}

tl_init() {
  TL_NAME=$1
  TL_MAIN_PID=$BASHPID
  TL_DIR=$TL_ROOT/$1.$$
  rm -rf "$TL_DIR"; mkdir -p "$TL_DIR"
  trap tl_cleanup EXIT
  trap 'exit 130' INT TERM
  [ -x "$BINLOGD_BIN" ] || { echo "binlogd binary $BINLOGD_BIN missing (run make)"; exit 2; }
  tl_template
}

# One mariadb-install-db per machine and server version, copied for every server.
tl_template() {
  local ver; ver=$("$MYSQLD" --version | awk '{print $3}')
  TL_TEMPLATE=$TL_REPO/build/mariadb-template/$ver
  [ -f "$TL_TEMPLATE/.done" ] && return 0
  mkdir -p "$(dirname "$TL_TEMPLATE")"
  (
    flock 9
    [ -f "$TL_TEMPLATE/.done" ] && exit 0
    rm -rf "$TL_TEMPLATE.tmp"
    mariadb-install-db --no-defaults --user=root --datadir="$TL_TEMPLATE.tmp" \
      --auth-root-authentication-method=normal --skip-test-db \
      --innodb-log-file-size=48M > "$TL_DIR/install-db.log" 2>&1 || { cat "$TL_DIR/install-db.log"; exit 1; }
    rm -rf "$TL_TEMPLATE"; mv "$TL_TEMPLATE.tmp" "$TL_TEMPLATE"; touch "$TL_TEMPLATE/.done"
  ) 9>"$(dirname "$TL_TEMPLATE")/.lock" || { echo "mariadb-install-db failed"; exit 2; }
}

# A port nobody listens on, below the kernel's ephemeral range: a port inside that range can
# be taken at any moment as the local end of an outgoing connection (a replica's, a client's),
# and a mariadbd restarted later on it then fails with "Address already in use". Ports handed
# out are recorded in a file so that calls from $(...) subshells never repeat one.
tl_free_port() {
  local p lo hi used=$TL_DIR/ports.used
  read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768; hi=60999; }
  [ "$lo" -gt 12000 ] || lo=12000
  # Suites run side by side (tests/run_integration.sh) each draw from their own slice.
  local lanes=${TL_PORT_LANES:-1} lane=${TL_PORT_LANE:-0} span
  span=$(( (lo - 10000) / lanes ))
  touch "$used"
  while :; do
    p=$((10000 + lane * span + RANDOM % span))
    grep -qx "$p" "$used" && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p" >> "$used"
      echo "$p"; return 0
    fi
  done
}

tl_wait_until() {  # TIMEOUT CMD... : poll every 0.1 s until CMD succeeds
  local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
  while ! "$@" >/dev/null 2>&1; do
    [ $(( $(date +%s%N) / 1000000 )) -ge $deadline ] && return 1
    sleep 0.1
  done
}

tl_port() { echo "${TL_PORT[$1]}"; }
tl_sock() { echo "${TL_SOCK[$1]}"; }
tl_datadir() { echo "${TL_DATA[$1]}"; }
tl_binlog_dir() { echo "${TL_DATA[$1]}"; }
tl_sql() { mariadb -S "${TL_SOCK[$1]}" -uroot --max-allowed-packet=1G -N -B -e "$2"; }
tl_ping() { mariadb-admin -S "${TL_SOCK[$1]}" -uroot ping; }

_tl_mariadb_launch() {
  local n=$1
  # shellcheck disable=SC2086
  "$MYSQLD" "${TL_SERVER_OPTS[@]}" --datadir="${TL_DATA[$n]}" --port="${TL_PORT[$n]}" \
    --socket="${TL_SOCK[$n]}" --server-id="${TL_SID[$n]}" --log-bin="${TL_DATA[$n]}/$n-bin" \
    --log-error="$TL_DIR/$n.err" --pid-file="$TL_DIR/$n.pid" ${TL_ARGS[$n]} > /dev/null 2>&1 &
  TL_PID[$n]=$!
  tl_wait_until 90 tl_ping "$n" || { tl_log "mariadbd $n did not start"; tail -20 "$TL_DIR/$n.err"; exit 2; }
}

tl_mariadb_start() {  # NAME [extra mariadbd args]
  local n=$1; shift
  TL_PORT[$n]=$(tl_free_port); TL_SOCK[$n]=$TL_DIR/$n.sock; TL_DATA[$n]=$TL_DIR/$n.data
  TL_SID[$n]=$TL_NEXT_ID; TL_NEXT_ID=$((TL_NEXT_ID + 1)); TL_ARGS[$n]="$*"
  cp -a "$TL_TEMPLATE" "${TL_DATA[$n]}"
  _tl_mariadb_launch "$n"
  tl_sql "$n" "SET sql_log_bin=0; DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;
    CREATE USER IF NOT EXISTS repl@'%' IDENTIFIED BY 'replpass';
    GRANT REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR, SLAVE MONITOR ON *.* TO repl@'%';
    CREATE USER IF NOT EXISTS root@'127.0.0.1'; GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;
    SET GLOBAL max_allowed_packet=1073741824" || exit 2
}

tl_mariadb_stop() {
  local n=$1
  mariadb-admin -S "${TL_SOCK[$n]}" -uroot shutdown >/dev/null 2>&1
  tl_wait_until 60 bash -c "! kill -0 ${TL_PID[$n]} 2>/dev/null"
  wait "${TL_PID[$n]}" 2>/dev/null
  return 0
}
tl_mariadb_kill() { kill -9 "${TL_PID[$1]}" 2>/dev/null; wait "${TL_PID[$1]}" 2>/dev/null; }
tl_mariadb_restart() { tl_mariadb_stop "$1"; _tl_mariadb_launch "$1"; }

tl_binlogs() { tl_sql "$1" "SHOW BINARY LOGS" | cut -f1; }
tl_master_status() { tl_sql "$1" "SHOW MASTER STATUS" | awk '{print $1, $2}'; }
tl_flush_logs() { tl_sql "$1" "FLUSH BINARY LOGS"; }

# ---- workloads (database w) ----
tl_wl_small() {  # NAME COUNT: COUNT autocommit transactions in one client session
  tl_sql "$1" "CREATE DATABASE IF NOT EXISTS w; CREATE TABLE IF NOT EXISTS w.s (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB"
  awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++) printf "INSERT INTO w.s (v) VALUES (\"row %d %d\");\n", i, rand() * 1e9 }' |
    mariadb -S "${TL_SOCK[$1]}" -uroot
}
tl_wl_big() {  # NAME MB: one transaction of about MB MiB of row events
  tl_sql "$1" "CREATE DATABASE IF NOT EXISTS w; CREATE TABLE IF NOT EXISTS w.big (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1100)) ENGINE=InnoDB;
    INSERT INTO w.big (v) SELECT CONCAT(seq, REPEAT(MD5(seq), 31)) FROM w.seq_1_to_$(( $2 * 1024 ))"
}
tl_wl_blob() {  # NAME MB: one row of MB MiB: a single row event larger than 16 MiB when MB > 16
  tl_sql "$1" "CREATE DATABASE IF NOT EXISTS w; CREATE TABLE IF NOT EXISTS w.blob (id BIGINT AUTO_INCREMENT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB;
    INSERT INTO w.blob (b) VALUES (REPEAT('b', $(( $2 * 1048576 ))))"
}
tl_wl_ddl() {
  local t=ddl_$RANDOM
  tl_sql "$1" "CREATE DATABASE IF NOT EXISTS w; CREATE TABLE w.$t (a INT PRIMARY KEY, b TEXT); ALTER TABLE w.$t ADD COLUMN c INT;
    INSERT INTO w.$t VALUES (1, 'x', 2); CREATE TABLE IF NOT EXISTS w.m (a INT) ENGINE=MyISAM; INSERT INTO w.m VALUES (1); DROP TABLE w.$t"
}
tl_wl_mixed() {  # NAME SECONDS: background writer (small trx, 1 MiB trx, DDL, rotations); prints its pid
  local n=$1 secs=$2
  tl_sql "$n" "CREATE DATABASE IF NOT EXISTS w; CREATE TABLE IF NOT EXISTS w.s (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB;
    CREATE TABLE IF NOT EXISTS w.big (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1100)) ENGINE=InnoDB"
  (
    end=$(( $(date +%s) + secs )); i=0
    while [ "$(date +%s)" -lt "$end" ]; do
      i=$((i + 1))
      { awk -v n=50 -v r=$i 'BEGIN { for (k = 0; k < n; k++) printf "INSERT INTO w.s (v) VALUES (\"mixed %d %d\");\n", r, k }'
        echo "BEGIN; INSERT INTO w.s (v) VALUES ('a'); INSERT INTO w.s (v) VALUES ('b'); COMMIT;"
        [ $((i % 4)) = 0 ] && echo "INSERT INTO w.big (v) SELECT REPEAT(MD5(seq), 32) FROM w.seq_1_to_1000;"
        [ $((i % 7)) = 0 ] && echo "CREATE TABLE IF NOT EXISTS w.d$i (a INT); DROP TABLE IF EXISTS w.d$i;"
        [ $((i % 10)) = 0 ] && echo "FLUSH BINARY LOGS;"
      } | mariadb -S "${TL_SOCK[$n]}" -uroot 2>/dev/null || sleep 0.2
    done
  ) > /dev/null 2>&1 &
  echo $!
}

# ---- comparisons ----
# PART equals the first bytes of FULL, except that byte 21 (IN_USE) may differ.
tl_file_prefix_of() {
  local full=$1 part=$2 ps fs
  [ -f "$full" ] && [ -f "$part" ] || return 1
  ps=$(stat -c %s "$part"); fs=$(stat -c %s "$full")
  [ "$ps" -le "$fs" ] || return 1
  [ "$ps" -eq 0 ] && return 0
  { cmp -l -n "$ps" "$full" "$part" 2>/dev/null || true; } | awk '$1 != 22 { bad = 1 } END { exit bad }'
}

# Every file of the mirror's index against the primary's: closed files identical, the
# primary's active file compared as a prefix (IN_USE aside). Prints figures; 1 on mismatch.
tl_cmp_binlogs() {
  local pd=$1 md=$2 files=0 bytes=0 bad=0 last name
  last=$(sed 's|.*/||' "$pd"/*.index | tail -1)
  for name in $(sed 's|.*/||' "$md"/*.index); do
    files=$((files + 1))
    if [ "$name" = "$last" ]; then
      if tl_file_prefix_of "$pd/$name" "$md/$name"; then echo "  $name: active, prefix ok ($(stat -c %s "$md/$name") bytes)"
      else echo "  $name: ACTIVE FILE MISMATCH"; bad=1; fi
    elif cmp -s "$pd/$name" "$md/$name"; then
      echo "  $name: identical ($(stat -c %s "$md/$name") bytes)"
    else
      echo "  $name: MISMATCH: $(cmp "$pd/$name" "$md/$name" 2>&1 | head -1)"; bad=1
    fi
    bytes=$((bytes + $(stat -c %s "$md/$name" 2>/dev/null || echo 0)))
  done
  echo "  compared $files files, $bytes bytes"
  echo "$files $bytes" >> "$TL_DIR/.cmp_figures"
  [ $bad = 0 ] && [ $files -gt 0 ]
}

# Sizes of every file the primary lists equal the mirror's.
_tl_caught_up() {
  local n=$1 md=$2 name size
  while read -r name size; do
    [ -f "$md/$name" ] && [ "$(stat -c %s "$md/$name")" = "$size" ] || return 1
  done < <(tl_sql "$n" "SHOW BINARY LOGS" | cut -f1,2)
}
tl_wait_mirror_caught_up() { tl_wait_until "$3" _tl_caught_up "$1" "$2"; }

# A field of SHOW SLAVE STATUS by name (column order differs between versions).
tl_slave_field() {
  mariadb -S "${TL_SOCK[$1]}" -uroot -e "SHOW SLAVE STATUS\G" | awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'
}
# Replica R has executed up to "file pos" of its primary.
tl_replica_at() {
  [ "$(tl_slave_field "$1" Relay_Master_Log_File) $(tl_slave_field "$1" Exec_Master_Log_Pos)" = "$2" ]
}
# GTID replica R has applied everything primary P logged (@@gtid_slave_pos = @@gtid_binlog_pos).
tl_gtid_at() { [ "$(tl_sql "$1" 'SELECT @@gtid_slave_pos')" = "$(tl_sql "$2" 'SELECT @@gtid_binlog_pos')" ]; }
# CHECKSUM TABLE on R equals P's for TABLE... (default: every table of schema w on P); says
# which differ.
tl_same_tables() {  # R P [TABLE...]
  local r=$1 p=$2 t bad=0; shift 2
  local ts=("$@")
  [ ${#ts[@]} -gt 0 ] ||
    mapfile -t ts < <(tl_sql "$p" "SELECT CONCAT(table_schema,'.',table_name) FROM information_schema.tables WHERE table_schema='w'")
  for t in "${ts[@]}"; do
    [ "$(tl_sql "$r" "CHECKSUM TABLE $t")" = "$(tl_sql "$p" "CHECKSUM TABLE $t")" ] || { echo "  $r: $t differs"; bad=1; }
  done
  return $bad
}

# ---- binlogd ----
# The first lines of a binlogd configuration file: listen on 127.0.0.1:LISTEN, mirror the
# primary at 127.0.0.1:UP as repl/replpass (the harness's replication account).
tl_conf_head() {  # LISTEN UP
  printf '[binlogd]\nlisten = 127.0.0.1:%s\n[upstream]\nhost = 127.0.0.1\nport = %s\nuser = repl\npassword = replpass\nretry_min_ms = 100\n' "$1" "$2"
}
tl_binlogd_start() {  # NAME DATADIR [--section.key=value ...]
  local n=$1 d=$2; shift 2
  [ -n "${TL_SID[b_$n]:-}" ] || { TL_SID[b_$n]=$((1000 + TL_NEXT_ID)); TL_NEXT_ID=$((TL_NEXT_ID + 1)); }
  echo "==== start $(date +%T.%N)" >> "$TL_DIR/$n.log"
  "$BINLOGD_BIN" --binlogd.server_id="${TL_SID[b_$n]}" --binlogd.data_dir="$d" "$@" >> "$TL_DIR/$n.log" 2>&1 &
  TL_BPID[$n]=$!
}
tl_binlogd_pid() { echo "${TL_BPID[$1]}"; }
tl_binlogd_stop() {  # SIGTERM, wait; returns binlogd's exit status (124 if it did not stop)
  local n=$1 pid=${TL_BPID[$1]} rc
  kill -TERM "$pid" 2>/dev/null
  tl_wait_until 30 bash -c "! kill -0 $pid 2>/dev/null" || { kill -9 "$pid"; wait "$pid" 2>/dev/null; return 124; }
  wait "$pid"; rc=$?
  unset "TL_BPID[$n]"
  return $rc
}
tl_binlogd_kill() { kill -9 "${TL_BPID[$1]}" 2>/dev/null; wait "${TL_BPID[$1]}" 2>/dev/null; unset "TL_BPID[$1]"; }

# Predicates for tl_wait_until (re-evaluated at every poll).
tl_dir_grew() { [ "$(du -sb "$1" 2>/dev/null | cut -f1)" -gt "$2" ]; }
# The current run of binlogd NAME (since its last start) logged TEXT.
# grep reads to the end (no -q): under pipefail, grep -q leaving early made sed die of SIGPIPE
# on a long log, and a line that was there read as missing.
tl_log_has() { sed -n '/^==== start/h; /^==== start/!H; ${x;p}' "$TL_DIR/$1.log" | grep "$2" > /dev/null; }

tl_status_above() { [ "$(tl_sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" | cut -f2)" -gt "$3" ]; }
tl_status_is() { [ "$(tl_sql "$1" "SHOW GLOBAL STATUS LIKE '$2'" | cut -f2)" = "$3" ]; }
tl_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
tl_not() { ! "$@"; }

# ---- assertions ----
tl_assert() {  # DESCRIPTION CMD...
  local d=$1; shift
  if "$@" > "$TL_DIR/.assert.out" 2>&1; then
    TL_PASS=$((TL_PASS + 1)); echo "ok   - $d"
  else
    TL_FAIL=$((TL_FAIL + 1)); echo "FAIL - $d"; sed 's/^/       /' "$TL_DIR/.assert.out" | tail -15
  fi
}
tl_assert_eq() {  # DESCRIPTION GOT WANT
  if [ "$2" = "$3" ]; then TL_PASS=$((TL_PASS + 1)); echo "ok   - $1"
  else TL_FAIL=$((TL_FAIL + 1)); echo "FAIL - $1: got '$2', want '$3'"; return 1; fi
}
tl_done() {
  echo "$TL_NAME: $TL_PASS passed, $TL_FAIL failed"
  [ "$TL_FAIL" -eq 0 ] && [ "$TL_PASS" -gt 0 ]
  exit $?
}
