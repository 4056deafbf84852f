#!/usr/bin/env bash
# Issue #2 acceptance 5: a bad configuration exits non-zero with a message naming the key
# (and file:line); an unreachable upstream is retried with log lines, not a crash.
source "$(dirname "$0")/harness.sh"
tl_init config
cfg=$(tl_workdir)/bad.conf
expect_bad() {  # DESCRIPTION NEEDLE ARGS...
  local d=$1 needle=$2; shift 2
  "$BINLOGD_BIN" "$@" > "$(tl_workdir)/out" 2>&1; local rc=$?
  tl_assert_eq "$d: exit status" "$rc" 2
  tl_assert "$d: message names '$needle'" grep -q -- "$needle" "$(tl_workdir)/out"
}
printf '[binlogd]\nserver_id = 7\ndata_dir = %s\nbogus_key = 1\n' "$(tl_workdir)/d" > "$cfg"
expect_bad "unknown key in file" "bad.conf:4: unknown key 'binlogd.bogus_key'" --config "$cfg"
printf '[binlogd]\nserver_id = seven\n' > "$cfg"
expect_bad "bad value in file" "bad.conf:2: bad value 'seven' for binlogd.server_id" --config "$cfg"
expect_bad "missing server_id" "binlogd.server_id is required" --binlogd.data_dir="$(tl_workdir)/d"
expect_bad "bad command-line value" "upstream.port" --binlogd.server_id=1 --upstream.port=99999
expect_bad "unknown command-line key" "unknown key 'storage.nope'" --binlogd.server_id=1 --storage.nope=1
expect_bad "missing config file" "cannot open" --config /nonexistent/binlogd.conf
tl_assert "--print-config works without a file" "$BINLOGD_BIN" --print-config --binlogd.server_id=9

# Unreachable upstream: binlogd stays up and logs its retries with backoff.
port=$(tl_free_port)
tl_binlogd_start b "$(tl_workdir)/d" --upstream.host=127.0.0.1 --upstream.port="$port" --upstream.user=repl \
  --upstream.retry_min_ms=100 --upstream.retry_max_ms=400
tl_assert "logs the connection failure with host:port" tl_wait_until 20 tl_log_has b "upstream 127.0.0.1:$port: cannot connect"
tl_assert "logs its retry schedule" tl_wait_until 20 tl_log_has b "reconnecting to 127.0.0.1:$port in 400 ms"
tl_assert "still running while the upstream is down" kill -0 "$(tl_binlogd_pid b)"
tl_binlogd_stop b; rc=$?
tl_assert_eq "SIGTERM while retrying exits 0" "$rc" 0
tl_done
