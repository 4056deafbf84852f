# shellcheck shell=bash
# lib.sh - the integration-test harness, sourced by every tests/integration/t_*.sh, by
# make_fixtures.sh and by the demo. Real MariaDB servers on 127.0.0.1 with free ports and
# throwaway datadirs, binlogd processes, workloads, byte comparisons and assertions.
# Everything started through it is stopped by the EXIT/INT/TERM/HUP trap, also on failure.
#
#   source "$(dirname "$0")/lib.sh"; tl_init NAME; tl_mariadb_start p; ...; tl_done
#
# Works with or without `set -euo pipefail` in the caller (the lib sets no shell options).
# Environment: BINLOGD_BIN, BINLOGD_DUMPCLI, BINLOGD_TEST_TMP (default /tmp/binlogd-it),
#   KEEP=1 (keep the work dir and say where), TORTURE=1 (tests run their long loops),
#   TL_FAIL_FAST=1 (tl_fail exits at once), MARIADBD (server binary).
# Per call (env prefix): TL_SERVER_ID=N and TL_BINLOG_BASENAME=X for tl_mariadb_start.
[ -n "${_TL_LIB_LOADED:-}" ] && return 0
_TL_LIB_LOADED=1

TL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BINLOGD_BIN=${BINLOGD_BIN:-$TL_REPO/bin/binlogd}
BINLOGD_DUMPCLI=${BINLOGD_DUMPCLI:-$TL_REPO/bin/dumpcli}
TL_ROOT=${BINLOGD_TEST_TMP:-/tmp/binlogd-it}
TORTURE=${TORTURE:-0}; export TORTURE
TL_FAIL_FAST=${TL_FAIL_FAST:-0}
TL_PASS=0; TL_FAIL=0; TL_NAME=${TL_NAME:-}; TL_DIR=; TL_SOCKDIR=; TL_OUT=1
TL_NEXT_ID=1; TL_BG_PID=; TL_T_START_MS=0; TL_CMP_FILES=0; TL_CMP_BYTES=0
declare -A TL_PORT TL_SOCK TL_DATA TL_PID TL_ARGS TL_SID TL_BASE TL_BPID TL_BSID
MARIADBD=${MARIADBD:-$(command -v mariadbd || echo /usr/sbin/mariadbd)}
TL_CLIENT=(mariadb --no-defaults)
TL_ADMIN=(mariadb-admin --no-defaults)
# Tied to the parent: a test killed with SIGKILL (timeout -k) takes its servers with it.
TL_PDEATH=(); command -v setpriv >/dev/null 2>&1 && TL_PDEATH=(setpriv --pdeathsig KILL --)
# Small, fast servers: the tests need correctness, not throughput. No fsync (a killed process
# loses nothing the OS page cache holds; the tests never crash the machine).
TL_SERVER_OPTS=(--no-defaults "--user=$(id -un)" --bind-address=127.0.0.1 --skip-name-resolve
  --binlog-format=ROW --max-allowed-packet=1G --max-connections=600 --character-set-server=utf8mb4
  --innodb-buffer-pool-size=64M --innodb-log-file-size=48M --innodb-flush-log-at-trx-commit=2
  --innodb-doublewrite=0 --innodb-buffer-pool-load-at-startup=0 --innodb-buffer-pool-dump-at-shutdown=0
  --sync-binlog=0)
# The replication account: what a replica, binlogd and mariadb-binlog --read-from-remote-server
# need on 10.11 (dump: REPLICATION SLAVE; SHOW BINARY LOGS / MASTER STATUS: BINLOG MONITOR;
# SHOW SLAVE HOSTS: REPLICATION MASTER ADMIN; SHOW SLAVE STATUS: SLAVE MONITOR). No SUPER on
# purpose: binlogd must work with what a real replica account has.
TL_REPL_GRANTS=${TL_REPL_GRANTS:-"REPLICATION SLAVE, BINLOG MONITOR, SLAVE MONITOR, REPLICATION MASTER ADMIN"}

# ---------------------------------------------------------------- generic helpers

# tl_log MSG...: timestamped line on the test's stdout (also from inside $(...)).
tl_log() { printf '[%s] %s: %s\n' "$(date +%H:%M:%S)" "${TL_NAME:-?}" "$*" >&"$TL_OUT"; }
# tl_die MSG: harness error (not an assertion): log and exit 2 (the trap cleans up).
tl_die() { tl_log "ERROR: $*"; exit 2; }
# tl_workdir: the per-test work dir.
tl_workdir() { echo "$TL_DIR"; }

_tl_now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
# tl_wait_until TIMEOUT CMD...: run CMD (output discarded) every 0.1 s until it succeeds;
# 1 after TIMEOUT seconds (fractions allowed).
tl_wait_until() {
  local deadline us
  us=$(awk -v t="$1" 'BEGIN { printf "%d", t * 1000000 }'); shift
  deadline=$(( ${EPOCHREALTIME/[.,]/} + us ))
  until "$@" >/dev/null 2>&1; do
    [ "${EPOCHREALTIME/[.,]/}" -ge "$deadline" ] && return 1
    sleep 0.1
  done
  return 0
}
# tl_not CMD...: succeeds when CMD fails (for tl_assert / tl_wait_until).
tl_not() { ! "$@"; }

# _tl_alive PID: the process exists and is not a zombie.
_tl_alive() {
  local s
  s=$(awk '{ sub(/^.*\) /, ""); print substr($0, 1, 1) }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "$s" != Z ]
}
_tl_starttime() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }
# tl_track_pid PID: kill PID (and its descendants) at exit. Safe from subshells: the list is a
# file, and each entry carries the start time so a recycled pid is never killed.
tl_track_pid() { [ -n "$TL_DIR" ] && echo "$1 $(_tl_starttime "$1")" >> "$TL_DIR/.pids"; return 0; }
_tl_untrack_pid() {
  [ -f "$TL_DIR/.pids" ] || return 0
  awk -v p="$1" '$1 != p' "$TL_DIR/.pids" > "$TL_DIR/.pids.new"; mv "$TL_DIR/.pids.new" "$TL_DIR/.pids"
}
# tl_wait_pid PID [TIMEOUT=600]: wait until PID (any process, not only our children) is gone.
tl_wait_pid() { tl_wait_until "${2:-600}" tl_not _tl_alive "$1"; }
# tl_bg CMD...: run CMD in the background, tracked; its pid is in $TL_BG_PID (not printed,
# so that the process stays a child of this shell).
tl_bg() { "$@" {TL_OUT}>&- & TL_BG_PID=$!; tl_track_pid "$TL_BG_PID"; }

_tl_kill_tree() {  # PID: stop it, kill its descendants, kill it
  local p=$1 c
  kill -STOP "$p" 2>/dev/null
  for c in $(pgrep -P "$p" 2>/dev/null); do _tl_kill_tree "$c"; done
  kill -KILL "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null
  return 0
}

_tl_cleanup() {
  local rc=$? n p st f
  set +e; trap - EXIT INT TERM HUP
  [ -n "$TL_DIR" ] || exit "$rc"
  exec 2>/dev/null   # no "Killed" job notices; everything below reports on stdout
  for n in "${!TL_BPID[@]}"; do _tl_kill_tree "${TL_BPID[$n]}"; done
  if [ -f "$TL_DIR/.pids" ]; then
    while read -r p st; do
      [ -n "$p" ] && [ "$(_tl_starttime "$p")" = "$st" ] && _tl_kill_tree "$p"
    done < "$TL_DIR/.pids"
  fi
  for n in "${!TL_PID[@]}"; do _tl_kill_tree "${TL_PID[$n]}"; done
  wait 2>/dev/null
  if [ "$TL_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
    for f in "$TL_DIR"/*.err "$TL_DIR"/*.log; do
      [ -s "$f" ] && { echo "---- tail of $f"; tail -n 25 "$f"; }
    done
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "KEEP=1: work dir kept: $TL_DIR"
  else rm -rf "$TL_DIR"; fi
  [ "$TL_SOCKDIR" != "$TL_DIR" ] && rm -rf "$TL_SOCKDIR"
  exit "$rc"
}

# tl_init NAME: work dir $BINLOGD_TEST_TMP/NAME.$$ and the cleanup trap.
tl_init() {
  TL_NAME=$1
  TL_DIR=$TL_ROOT/$1.$$
  rm -rf "$TL_DIR"; mkdir -p "$TL_DIR" || { echo "cannot create $TL_DIR" >&2; exit 2; }
  TL_SOCKDIR=$TL_DIR
  # Unix socket paths are limited to 107 bytes.
  [ ${#TL_DIR} -gt 70 ] && TL_SOCKDIR=$(mktemp -d /tmp/tl-sock.XXXXXX)
  exec {TL_OUT}>&1
  trap _tl_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  : > "$TL_DIR/.pids"; : > "$TL_DIR/.ports"
}

# tl_free_port: a free TCP port on 127.0.0.1, random in 20000-60000 outside the kernel's
# ephemeral range, never one already handed out in this test.
tl_free_port() {
  local lo hi p tries=0 lo_e=32768 hi_e=60999
  read -r lo_e hi_e < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  lo=20000; hi=60000
  while :; do
    tries=$((tries + 1)); [ $tries -gt 2000 ] && { echo "tl_free_port: no free port" >&2; return 1; }
    p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
    [ $tries -lt 1000 ] && [ "$p" -ge "$lo_e" ] && [ "$p" -le "$hi_e" ] && continue
    [ -n "$TL_DIR" ] && grep -qx "$p" "$TL_DIR/.ports" 2>/dev/null && continue
    tl_port_open "$p" && continue
    [ -n "$TL_DIR" ] && echo "$p" >> "$TL_DIR/.ports"
    echo "$p"; return 0
  done
}
# tl_port_open PORT: something listens on 127.0.0.1:PORT.
tl_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- assertions

# tl_pass MSG / tl_fail MSG: record an assertion result. tl_fail exits when TL_FAIL_FAST=1.
tl_pass() { TL_PASS=$((TL_PASS + 1)); echo "ok   - $*" >&"$TL_OUT"; }
tl_fail() {
  TL_FAIL=$((TL_FAIL + 1)); echo "FAIL - $*" >&"$TL_OUT"
  [ "$TL_FAIL_FAST" = 1 ] && exit 1
  return 0
}
# tl_assert DESCRIPTION CMD...: CMD must succeed. Its output is shown on failure; lines it prints
# that start with "figures:" are shown either way (for the reports).
tl_assert() {
  local d=$1 out=$TL_DIR/.assert.out; shift
  if "$@" > "$out" 2>&1; then
    tl_pass "$d"; grep '^figures:' "$out" | sed 's/^/       /' >&"$TL_OUT"
  else
    local rc=$?
    tl_fail "$d (exit $rc)"; sed 's/^/       /' "$out" | tail -n 20 >&"$TL_OUT"
  fi
  return 0
}
# tl_assert_eq DESCRIPTION GOT WANT
tl_assert_eq() {
  if [ "$2" = "$3" ]; then tl_pass "$1"; else tl_fail "$1: got '$2', want '$3'"; fi
}
# tl_done: print "NAME: N passed, N failed" and exit (non-zero on any failure or no assertion).
tl_done() {
  echo "$TL_NAME: $TL_PASS passed, $TL_FAIL failed" >&"$TL_OUT"
  if [ "$TL_FAIL" -eq 0 ] && [ "$TL_PASS" -gt 0 ]; then exit 0; fi
  exit 1
}

# ---------------------------------------------------------------- MariaDB servers

# The template datadir: one mariadb-install-db per machine, server version and install options,
# under build/; every server gets a cp -a of it.
TL_INSTALL_OPTS=(--no-defaults "--user=$(id -un)" --auth-root-authentication-method=normal
  --skip-test-db --innodb-log-file-size=48M)
_tl_template() {
  [ -n "${TL_TEMPLATE:-}" ] && [ -f "$TL_TEMPLATE/.done" ] && return 0
  local ver key base
  ver=$("$MARIADBD" --version | awk '{print $3}')
  key=$(echo "${TL_INSTALL_OPTS[*]}" | cksum | cut -d' ' -f1)
  base=$TL_REPO/build/mariadb-template
  TL_TEMPLATE=$base/$ver-$key
  [ -f "$TL_TEMPLATE/.done" ] && return 0
  mkdir -p "$base"
  (
    flock 9
    [ -f "$TL_TEMPLATE/.done" ] && exit 0
    t0=$(_tl_now_us)
    rm -rf "$TL_TEMPLATE.tmp"
    mariadb-install-db "${TL_INSTALL_OPTS[@]}" --datadir="$TL_TEMPLATE.tmp" \
      > "$TL_DIR/install-db.log" 2>&1 || { tail -n 30 "$TL_DIR/install-db.log"; exit 1; }
    rm -rf "$TL_TEMPLATE"; mv "$TL_TEMPLATE.tmp" "$TL_TEMPLATE"; touch "$TL_TEMPLATE/.done"
    tl_log "template datadir $TL_TEMPLATE created in $(( ($(_tl_now_us) - t0) / 1000 )) ms"
  ) 9>"$base/.lock" || tl_die "mariadb-install-db failed"
}

_tl_need() { [ -n "${TL_SOCK[$1]:-}" ] || tl_die "no server named '$1' (tl_mariadb_start it first)"; }
# tl_port/tl_sock/tl_datadir/tl_pid/tl_server_id NAME: facts about a server.
tl_port() { _tl_need "$1"; echo "${TL_PORT[$1]}"; }
tl_sock() { _tl_need "$1"; echo "${TL_SOCK[$1]}"; }
tl_datadir() { _tl_need "$1"; echo "${TL_DATA[$1]}"; }
tl_pid() { _tl_need "$1"; echo "${TL_PID[$1]:-}"; }
tl_server_id() { _tl_need "$1"; echo "${TL_SID[$1]}"; }
# tl_binlog_dir NAME: where its binlogs and index are (its datadir).
tl_binlog_dir() { _tl_need "$1"; echo "${TL_DATA[$1]}"; }
# tl_binlog_index NAME: path of its binlog index file.
tl_binlog_index() { _tl_need "$1"; echo "${TL_DATA[$1]}/${TL_BASE[$1]}.index"; }

# tl_sql NAME [SQL]: run SQL (or stdin) as root over the socket; batch output, no headers.
tl_sql() {
  _tl_need "$1"
  if [ $# -ge 2 ]; then "${TL_CLIENT[@]}" -S "${TL_SOCK[$1]}" -uroot --max-allowed-packet=1G -N -B -e "$2"
  else "${TL_CLIENT[@]}" -S "${TL_SOCK[$1]}" -uroot --max-allowed-packet=1G -N -B; fi
}
# tl_sql_tcp HOST PORT USER PASS [SQL]: same over TCP with a user and password ('' = none).
tl_sql_tcp() {
  local a=("${TL_CLIENT[@]}" --protocol=TCP -h "$1" -P "$2" -u "$3" --max-allowed-packet=1G -N -B)
  [ -n "$4" ] && a+=("--password=$4")
  if [ $# -ge 5 ]; then "${a[@]}" -e "$5"; else "${a[@]}"; fi
}
# tl_ping NAME: the server answers (mariadb-admin ping).
tl_ping() { "${TL_ADMIN[@]}" -S "${TL_SOCK[$1]}" -uroot --connect-timeout=2 ping; }

_tl_mariadb_launch() {  # NAME -> 0 up, 1 died (see $TL_DIR/NAME.err), 2 timeout
  local n=$1 args=() t0 from
  eval "args=(${TL_ARGS[$n]})"
  from=$(stat -c %s "$TL_DIR/$n.err" 2>/dev/null || echo 0)
  t0=$(_tl_now_us)
  rm -f "${TL_SOCK[$n]}"
  "${TL_PDEATH[@]}" "$MARIADBD" "${TL_SERVER_OPTS[@]}" --datadir="${TL_DATA[$n]}" \
    --port="${TL_PORT[$n]}" --socket="${TL_SOCK[$n]}" --server-id="${TL_SID[$n]}" \
    --log-bin="${TL_BASE[$n]}" --log-error="$TL_DIR/$n.err" --pid-file="$TL_DIR/$n.pid" \
    "${args[@]}" >> "$TL_DIR/$n.out" 2>&1 {TL_OUT}>&- &
  TL_PID[$n]=$!
  tl_track_pid "${TL_PID[$n]}"
  local deadline=$(( t0 + ${TL_START_TIMEOUT:-60} * 1000000 ))
  until tl_ping "$n" >/dev/null 2>&1; do
    if ! _tl_alive "${TL_PID[$n]}"; then
      wait "${TL_PID[$n]}" 2>/dev/null; _tl_untrack_pid "${TL_PID[$n]}"; unset "TL_PID[$n]"
      tail -c +"$((from + 1))" "$TL_DIR/$n.err" > "$TL_DIR/$n.err.last" 2>/dev/null
      return 1
    fi
    [ "${EPOCHREALTIME/[.,]/}" -ge "$deadline" ] && return 2
    sleep 0.05
  done
  TL_T_START_MS=$(( ($(_tl_now_us) - t0) / 1000 ))
  return 0
}

# tl_mariadb_start NAME [mariadbd args...]: a fresh server from the template datadir on a free
# port; binlogs NAME-bin.NNNNNN (or TL_BINLOG_BASENAME) in its datadir, server id unique in the
# test (or TL_SERVER_ID); waits until it answers; creates repl/replpass (TL_REPL_GRANTS) and
# root@127.0.0.1 without password, outside the binlog. Exits 2 if it cannot start.
tl_mariadb_start() {
  local n=$1 attempt rc; shift
  [ -n "$TL_DIR" ] || { echo "tl_init first" >&2; exit 2; }
  [ -z "${TL_SOCK[$n]:-}" ] || tl_die "server '$n' already exists"
  _tl_template
  TL_SOCK[$n]=$TL_SOCKDIR/$n.sock; TL_DATA[$n]=$TL_DIR/$n.data
  TL_SID[$n]=${TL_SERVER_ID:-$TL_NEXT_ID}; TL_NEXT_ID=$((TL_NEXT_ID + 1))
  TL_BASE[$n]=${TL_BINLOG_BASENAME:-$n-bin}
  TL_ARGS[$n]=; [ $# -gt 0 ] && TL_ARGS[$n]=$(printf '%q ' "$@")
  cp -a "$TL_TEMPLATE" "${TL_DATA[$n]}"
  for attempt in 1 2 3 4 5; do
    TL_PORT[$n]=$(tl_free_port)
    rc=0; _tl_mariadb_launch "$n" || rc=$?
    [ $rc = 0 ] && break
    [ $rc = 1 ] && grep -qiE "bind on tcp/ip port|address already in use" "$TL_DIR/$n.err.last" && continue
    break
  done
  if [ $rc != 0 ]; then
    tl_log "mariadbd $n did not start (rc $rc):"; tail -n 20 "$TL_DIR/$n.err" >&"$TL_OUT"; exit 2
  fi
  tl_sql "$n" "SET SESSION sql_log_bin = 0;
    DELETE FROM mysql.global_priv WHERE User = '' OR Host NOT IN ('localhost', '127.0.0.1', '::1', '%');
    DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost', '127.0.0.1', '::1', '%'); FLUSH PRIVILEGES;
    CREATE USER IF NOT EXISTS repl@'%' IDENTIFIED BY 'replpass';
    GRANT $TL_REPL_GRANTS ON *.* TO repl@'%';
    CREATE USER IF NOT EXISTS root@'127.0.0.1'; GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION" ||
    tl_die "account setup on $n failed"
  {
    echo "port=${TL_PORT[$n]} socket=${TL_SOCK[$n]} datadir=${TL_DATA[$n]} pid=${TL_PID[$n]} server_id=${TL_SID[$n]}"
    echo "mariadb --no-defaults -S ${TL_SOCK[$n]} -uroot"
  } > "$TL_DIR/$n.info"
  return 0
}

# tl_mariadb_stop NAME: clean shutdown (mariadb-admin shutdown), waits up to 60 s; 1 if it had
# to be killed.
tl_mariadb_stop() {
  local n=$1 pid rc=0; _tl_need "$n"
  pid=${TL_PID[$n]:-}; [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true   # SIGTERM is mariadbd's clean shutdown
  if ! tl_wait_pid "$pid" 60; then tl_log "mariadbd $n did not stop in 60 s: SIGKILL"; kill -9 "$pid" 2>/dev/null; rc=1; fi
  { wait "$pid"; } 2>/dev/null || true; _tl_untrack_pid "$pid"; unset "TL_PID[$n]"
  return $rc
}
# tl_mariadb_kill NAME: kill -9 (a crash; the datadir stays for a restart).
tl_mariadb_kill() {
  local n=$1 pid; _tl_need "$n"
  pid=${TL_PID[$n]:-}; [ -n "$pid" ] || return 0
  { kill -9 "$pid"; tl_wait_pid "$pid" 30; wait "$pid"; } 2>/dev/null || true
  _tl_untrack_pid "$pid"; unset "TL_PID[$n]"; return 0
}
# tl_mariadb_restart NAME: stop (if running) and start again: same datadir, port, options.
tl_mariadb_restart() {
  local n=$1 rc; _tl_need "$n"
  tl_mariadb_stop "$n" || true
  rc=0; _tl_mariadb_launch "$n" || rc=$?
  [ $rc = 0 ] || { tl_log "mariadbd $n did not restart (rc $rc):"; tail -n 20 "$TL_DIR/$n.err" >&"$TL_OUT"; exit 2; }
  return 0
}

# ---------------------------------------------------------------- binlog facts

# tl_binlogs NAME: its binlog names (SHOW BINARY LOGS), one a line.
tl_binlogs() { tl_sql "$1" "SHOW BINARY LOGS" | cut -f1; }
# tl_master_status NAME: "file position" (SHOW MASTER STATUS).
tl_master_status() { tl_sql "$1" "SHOW MASTER STATUS" | awk -F'\t' '{print $1, $2}'; }
# tl_flush_logs NAME: FLUSH BINARY LOGS (rotate).
tl_flush_logs() { tl_sql "$1" "FLUSH BINARY LOGS"; }
# tl_replica_at R "FILE POS": replica R has executed its primary's events up to FILE POS.
tl_replica_at() {
  [ "$(tl_sql "$1" "SHOW SLAVE STATUS" | awk -F'\t' '{print $10, $22}')" = "$2" ]
}

# ---------------------------------------------------------------- workloads (database w)

_tl_wl_schema() {
  tl_sql "$1" "CREATE DATABASE IF NOT EXISTS w;
    CREATE TABLE IF NOT EXISTS w.s (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB;
    CREATE TABLE IF NOT EXISTS w.big (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1100)) ENGINE=InnoDB;
    CREATE TABLE IF NOT EXISTS w.blob (id BIGINT AUTO_INCREMENT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB;
    CREATE TABLE IF NOT EXISTS w.m (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100)) ENGINE=MyISAM"
}
# SQL text of one ~MB MiB transaction of row events (1000-byte rows from a sequence table).
_tl_big_sql() {
  echo "INSERT INTO w.big (v) SELECT CONCAT(LPAD(seq, 8, '0'), REPEAT(MD5(seq), 31)) FROM w.seq_1_to_$(( ($1 * 1048576 + 1012) / 1013 ));"
}
# SQL text of one row with an MB MiB LONGBLOB (a 33-byte pattern that does not divide 2^24).
_tl_blob_sql() {
  local b=$(( $1 * 1048576 ))
  echo "INSERT INTO w.blob (b) VALUES (LEFT(REPEAT(CONCAT(MD5(RAND()), '/'), $(( b / 33 + 1 ))), $b));"
}
# tl_wl_small NAME COUNT: COUNT small autocommit transactions (one client session).
tl_wl_small() {
  _tl_wl_schema "$1" || return 1
  awk -v n="$2" -v r="$RANDOM" 'BEGIN { for (i = 1; i <= n; i++) printf "INSERT INTO w.s (v) VALUES (\"small %d %d\");\n", r, i }' |
    tl_sql "$1"
}
# tl_wl_big NAME MB: one transaction of about MB MiB of row events.
tl_wl_big() { _tl_wl_schema "$1" && _tl_big_sql "$2" | tl_sql "$1"; }
# tl_wl_blob NAME MB: one row with an MB MiB LONGBLOB: a single row event > 16 MiB when MB > 16.
tl_wl_blob() { _tl_wl_schema "$1" && _tl_blob_sql "$2" | tl_sql "$1"; }
# tl_wl_ddl NAME: a handful of DDL (CREATE/ALTER/INDEX/RENAME/TRUNCATE/DROP) and a MyISAM insert.
tl_wl_ddl() {
  local t=ddl_$RANDOM$RANDOM
  _tl_wl_schema "$1" && tl_sql "$1" "CREATE TABLE w.$t (a INT PRIMARY KEY, b TEXT) ENGINE=InnoDB;
    ALTER TABLE w.$t ADD COLUMN c INT; CREATE INDEX ic ON w.$t (c); INSERT INTO w.$t VALUES (1, 'x', 2);
    RENAME TABLE w.$t TO w.${t}_r; TRUNCATE TABLE w.${t}_r; INSERT INTO w.m (v) VALUES ('ddl');
    DROP TABLE w.${t}_r"
}
# tl_wl_mixed NAME SECONDS: background writer for SECONDS (then it stops by itself): batches of
# small trx, multi-statement trx, statement-format trx with user variables, ROLLBACK with a
# MyISAM part, 1 MiB trx, 2 MiB rows, a 17 MiB row, DDL, FLUSH BINARY LOGS. Prints its pid
# (tracked: killed at exit). Errors (e.g. the server restarting) are retried after 0.2 s.
tl_wl_mixed() {
  local n=$1 secs=$2 sock
  _tl_wl_schema "$n" || return 1
  sock=$(tl_sock "$n")
  (
    trap - EXIT INT TERM HUP
    end=$(( $(date +%s) + secs )); i=0
    # Stops by itself after SECONDS, or as soon as the test's shell is gone.
    while [ "$(date +%s)" -lt "$end" ] && kill -0 $$ 2>/dev/null; do
      i=$((i + 1))
      { awk -v r=$i 'BEGIN { for (k = 0; k < 40; k++) printf "INSERT INTO w.s (v) VALUES (\"mixed %d %d\");\n", r, k }'
        echo "BEGIN; INSERT INTO w.s (v) VALUES ('a$i'); UPDATE w.s SET v = 'u$i' WHERE id = $i; DELETE FROM w.s WHERE id = $((i / 2)); COMMIT;"
        [ $((i % 3)) = 0 ] && echo "SET SESSION binlog_format = STATEMENT; SET @x = $i; INSERT INTO w.s (v) VALUES (CONCAT('stmt', @x)); SET SESSION binlog_format = ROW;"
        [ $((i % 5)) = 0 ] && echo "BEGIN; INSERT INTO w.s (v) VALUES ('gone'); INSERT INTO w.m (v) VALUES ('kept'); ROLLBACK;"
        [ $((i % 4)) = 0 ] && _tl_big_sql 1
        [ $((i % 9)) = 0 ] && _tl_blob_sql 2
        [ $((i % 60)) = 30 ] && _tl_blob_sql 17
        [ $((i % 7)) = 0 ] && echo "CREATE TABLE IF NOT EXISTS w.d$i (a INT PRIMARY KEY); ALTER TABLE w.d$i ADD b INT; DROP TABLE IF EXISTS w.d$i;"
        [ $((i % 10)) = 0 ] && echo "FLUSH BINARY LOGS;"
      } | "${TL_CLIENT[@]}" -S "$sock" -uroot --max-allowed-packet=1G 2>/dev/null || sleep 0.2
    done
  ) > /dev/null 2>&1 {TL_OUT}>&- &
  tl_track_pid $!
  echo $!
}

# ---------------------------------------------------------------- comparisons

# _tl_index_of DIR: the binlog index in DIR (the *.index whose files BASE.NNNNNN exist; a
# relay-log index is never chosen).
_tl_index_of() {
  local f b found=
  for f in "$1"/*.index; do
    [ -f "$f" ] || continue
    b=${f%.index}
    case "$b" in *relay-bin) continue ;; esac
    compgen -G "$b.[0-9][0-9][0-9][0-9][0-9][0-9]" >/dev/null || continue
    [ -n "$found" ] && { echo "several binlog indexes in $1" >&2; return 1; }
    found=$f
  done
  [ -n "$found" ] || { echo "no binlog index in $1" >&2; return 1; }
  echo "$found"
}
# _tl_in_use FILE: the FORMAT_DESCRIPTION's IN_USE flag (byte 21, bit 0) is set.
_tl_in_use() { local b; b=$(od -An -tu1 -j21 -N1 "$1" | tr -d ' '); [ -n "$b" ] && [ $((b & 1)) = 1 ]; }
# _tl_prefix_diff FULL PART: "" when PART equals the start of FULL except at byte 21, else the
# first differing offset (0-based) or "longer".
_tl_prefix_diff() {
  local full=$1 part=$2 ps fs out
  ps=$(stat -c %s "$part"); fs=$(stat -c %s "$full")
  [ "$ps" -gt "$fs" ] && { echo longer; return; }
  if [ "$ps" -le 21 ]; then out=$(cmp -n "$ps" "$full" "$part" 2>&1) || { echo "${out##* byte }" | awk '{print $1 - 1}'; }; return; fi
  out=$(cmp -n 21 "$full" "$part" 2>&1) || { echo "${out##* byte }" | awk '{print $1 - 1}'; return; }
  [ "$ps" -le 22 ] && return
  out=$(cmp -i 22 -n $((ps - 22)) "$full" "$part" 2>&1) || { echo "${out##* byte }" | awk '{print $1 + 21}'; }
}
# tl_file_prefix_of FULL PART: PART equals the first bytes of FULL, byte 21 (IN_USE) aside.
tl_file_prefix_of() { [ -f "$1" ] && [ -f "$2" ] && [ -z "$(_tl_prefix_diff "$1" "$2")" ]; }

# tl_cmp_binlogs PRIMARY_DIR MIRROR_DIR: every file in the mirror's index against the primary's
# copy. Files the primary closed must be cmp-equal; the primary's last file: equal when both
# are closed, else the mirror's copy is a prefix (byte 21, IN_USE, may differ). The mirror's
# names must be a contiguous run of the primary's index. Prints one line per file and a
# "figures:" total; sets TL_CMP_FILES/TL_CMP_BYTES; 1 on any mismatch.
tl_cmp_binlogs() {
  local pd=$1 md=$2 pidx midx last name res ps ms d bad=0 files=0 bytes=0 i j
  local -a pn mn
  pidx=$(_tl_index_of "$pd") || return 1
  midx=$(_tl_index_of "$md") || return 1
  mapfile -t pn < <(sed 's|.*/||' "$pidx")
  mapfile -t mn < <(sed 's|.*/||' "$midx")
  [ ${#mn[@]} -gt 0 ] || { echo "mirror index $midx is empty"; return 1; }
  last=${pn[${#pn[@]}-1]}
  # Contiguity: mirror names appear in the primary's index, in order, without gaps.
  for i in "${!pn[@]}"; do [ "${pn[$i]}" = "${mn[0]}" ] && break; done
  for j in "${!mn[@]}"; do
    if [ "${pn[$((i + j))]:-}" != "${mn[$j]}" ]; then
      echo "  mirror index is not a contiguous run of the primary's: '${mn[$j]}' where the primary has '${pn[$((i + j))]:-(nothing)}'"
      bad=$((bad + 1)); break
    fi
  done
  for name in "${mn[@]}"; do
    files=$((files + 1))
    ms=$(stat -c %s "$md/$name" 2>/dev/null || echo -)
    ps=$(stat -c %s "$pd/$name" 2>/dev/null || echo -)
    if [ "$ms" = - ]; then res="MISMATCH: listed in the mirror's index but missing"
    elif [ "$ps" = - ]; then res="MISMATCH: not on the primary"
    elif [ "$name" != "$last" ]; then
      if cmp -s "$pd/$name" "$md/$name"; then res=identical
      else d=$(_tl_prefix_diff "$pd/$name" "$md/$name")
        if [ -z "$d" ] && [ "$ms" = "$ps" ]; then res="MISMATCH: IN_USE byte differs in a closed file"
        elif [ -z "$d" ]; then res="MISMATCH: short ($ms of $ps bytes)"
        else res="MISMATCH: differs at byte $d"; fi
      fi
    else
      d=$(_tl_prefix_diff "$pd/$name" "$md/$name")
      if [ -n "$d" ]; then res="MISMATCH: active file, differs at byte $d"
      elif ! _tl_in_use "$pd/$name" && [ "$ms" = "$ps" ] && ! _tl_in_use "$md/$name"; then res="identical (last, closed)"
      elif ! _tl_in_use "$pd/$name" && [ "$ms" = "$ps" ] && ! cmp -s "$pd/$name" "$md/$name"; then res="prefix ok (last, closed on the primary only)"
      else res="prefix ok (active, $ms of $ps bytes)"; fi
    fi
    case "$res" in MISMATCH*) bad=$((bad + 1)) ;; *) [ "$ms" != - ] && bytes=$((bytes + ms)) ;; esac
    printf '  %-28s %12s  %s\n' "$name" "$ms" "$res"
  done
  TL_CMP_FILES=$files; TL_CMP_BYTES=$bytes
  echo "$files $bytes $bad" >> "$TL_DIR/.cmp_figures"
  if [ $bad = 0 ]; then echo "figures: compared $files files, $bytes bytes: equal"; return 0; fi
  echo "figures: compared $files files, $bytes bytes: $bad MISMATCH(ES)"; return 1
}

# _tl_caught_up NAME MIRROR_DIR [verbose]: every file the primary lists has the same size in the
# mirror (the active one: the SHOW MASTER STATUS position).
_tl_caught_up() {
  local n=$1 md=$2 v=${3:-} name size ms ok=0 cur pos
  read -r cur pos < <(tl_master_status "$n") || return 1
  while read -r name size; do
    [ "$name" = "$cur" ] && size=$pos
    ms=$(stat -c %s "$md/$name" 2>/dev/null || echo missing)
    if [ "$ms" != "$size" ]; then ok=1; [ -n "$v" ] && echo "  $name: primary $size, mirror $ms" || return 1; fi
  done < <(tl_sql "$n" "SHOW BINARY LOGS" | cut -f1,2)
  return $ok
}
# tl_wait_mirror_caught_up PRIMARY MIRROR_DIR TIMEOUT: poll until the mirror holds every file of
# the primary at the primary's size; on timeout print what lags and return 1.
tl_wait_mirror_caught_up() {
  tl_wait_until "$3" _tl_caught_up "$1" "$2" && return 0
  tl_log "mirror $2 not caught up with $1 after $3 s:"; _tl_caught_up "$1" "$2" v >&"$TL_OUT"
  return 1
}

# tl_dir_grew DIR BYTES: du -sb DIR exceeds BYTES.
tl_dir_grew() { [ "$(du -sb "$1" 2>/dev/null | cut -f1)" -gt "$2" ]; }

# ---------------------------------------------------------------- binlogd

# tl_binlogd_start NAME DATADIR [--section.key=value ...]: bin/binlogd in the background with a
# server id unique in the test (kept across restarts of NAME); output appended to
# $TL_DIR/NAME.log after a "==== start" line.
tl_binlogd_start() {
  local n=$1 d=$2; shift 2
  [ -x "$BINLOGD_BIN" ] || tl_die "binlogd binary $BINLOGD_BIN missing (run make)"
  [ -z "${TL_BPID[$n]:-}" ] || tl_die "binlogd '$n' is already running"
  [ -n "${TL_BSID[$n]:-}" ] || { TL_BSID[$n]=$((1000 + TL_NEXT_ID)); TL_NEXT_ID=$((TL_NEXT_ID + 1)); }
  echo "==== start $(date +%T.%N)" >> "$TL_DIR/$n.log"
  "${TL_PDEATH[@]}" "$BINLOGD_BIN" --binlogd.server_id="${TL_BSID[$n]}" --binlogd.data_dir="$d" "$@" \
    >> "$TL_DIR/$n.log" 2>&1 {TL_OUT}>&- &
  TL_BPID[$n]=$!
  tl_track_pid "${TL_BPID[$n]}"
}
# tl_binlogd_pid NAME: pid of the running binlogd NAME.
tl_binlogd_pid() { echo "${TL_BPID[$1]:-}"; }
# tl_binlogd_stop NAME [TIMEOUT=30]: SIGTERM, wait; returns binlogd's exit status (124 and a
# SIGKILL if it did not stop in time).
tl_binlogd_stop() {
  local n=$1 pid=${TL_BPID[$1]:-} rc=0
  [ -n "$pid" ] || { tl_log "binlogd $n is not running"; return 1; }
  kill -TERM "$pid" 2>/dev/null
  if tl_wait_pid "$pid" "${2:-30}"; then wait "$pid" || rc=$?
  else tl_log "binlogd $n did not stop in ${2:-30} s: SIGKILL"; { kill -9 "$pid"; wait "$pid"; } 2>/dev/null; rc=124; fi
  _tl_untrack_pid "$pid"; unset "TL_BPID[$n]"
  return $rc
}
# tl_binlogd_kill NAME: SIGKILL (a crash).
tl_binlogd_kill() {
  local n=$1 pid=${TL_BPID[$1]:-}
  [ -n "$pid" ] || return 0
  { kill -9 "$pid"; wait "$pid"; } 2>/dev/null || true
  _tl_untrack_pid "$pid"; unset "TL_BPID[$n]"; return 0
}
# tl_log_has NAME TEXT: the current run of binlogd NAME (since its last start) logged TEXT.
tl_log_has() { sed -n '/^==== start/h; /^==== start/!H; ${x;p}' "$TL_DIR/$1.log" | grep -q -- "$2"; }
