#!/usr/bin/env bash
# Self-test of lib.sh: two servers on distinct free ports, the workloads, tl_cmp_binlogs on
# an identical copy / a flipped byte / an IN_USE-only difference / a short active file,
# tl_wait_mirror_caught_up against a live mariadb-binlog --stop-never mirror, kill -9 and
# restart, the binlogd process helpers (on a stand-in binary), and the cleanup trap on
# failure, on SIGTERM and on SIGKILL (nothing may be left running).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
tl_init harness
W=$(tl_workdir)

t0=$(_tl_now_us)
tl_mariadb_start a
tl_mariadb_start b --skip-log-bin
tl_log "figures: two servers up in $(( ($(_tl_now_us) - t0) / 1000 )) ms"
tl_assert "distinct ports" test "$(tl_port a)" != "$(tl_port b)"
tl_assert "distinct server ids" test "$(tl_server_id a)" != "$(tl_server_id b)"
tl_assert "a listens on its port" tl_port_open "$(tl_port a)"
tl_assert_eq "root over TCP from 127.0.0.1" "$(tl_sql_tcp 127.0.0.1 "$(tl_port a)" root '' 'SELECT CURRENT_USER()')" "root@127.0.0.1"
tl_assert_eq "repl can SHOW MASTER STATUS" "$(tl_sql_tcp 127.0.0.1 "$(tl_port a)" repl replpass 'SHOW MASTER STATUS' | cut -f1)" "a-bin.000001"
tl_assert_eq "setup statements stay out of the binlog" "$(mariadb-binlog "$(tl_binlog_dir a)/a-bin.000001" | grep -ci 'create user')" 0
ports=$(for i in $(seq 1 30); do tl_free_port; done | sort | uniq -d)
tl_assert_eq "tl_free_port never repeats itself (also from subshells)" "$ports" ""

t0=$(_tl_now_us)
tl_wl_small a 1000
tl_flush_logs a
tl_wl_big a 3
tl_wl_blob a 17
tl_wl_ddl a
wl=$(tl_wl_mixed a 2)
tl_assert "mixed writer is running" kill -0 "$wl"
tl_wait_pid "$wl" 30
tl_log "figures: workloads (1000 small, 3 MiB trx, 17 MiB row, DDL, 2 s mixed) in $(( ($(_tl_now_us) - t0) / 1000 )) ms"
tl_assert_eq "1000 small rows + mixed rows" "$(tl_sql a 'SELECT COUNT(*) >= 1000 FROM w.s')" 1
tl_assert "several binlogs" test "$(tl_binlogs a | wc -l)" -ge 3
# The 17 MiB row is one event larger than 16 MiB.
big=$(mariadb-binlog "$(tl_binlog_dir a)"/a-bin.000002 | awk '/^# at / { at = $3 } /end_log_pos/ {
  for (i = 1; i <= NF; i++) if ($i == "end_log_pos") { e = $(i + 1); if (e - at > m) m = e - at } } END { print m + 0 }')
tl_assert "a single event > 16 MiB ($big bytes)" test "$big" -gt 16777216

# ---- comparisons on copies of a's binlogs
P=$(tl_binlog_dir a); M=$W/mirror
mkdir -p "$M"
last=$(tl_binlogs a | tail -n 1); first=$(tl_binlogs a | head -n 1)
copy() { rm -f "$M"/*; cp "$P"/a-bin.[0-9]* "$P"/a-bin.index "$M"/; }
flip() {  # FILE OFFSET: invert the byte at OFFSET
  local v; v=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((v ^ ${3:-255})))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
copy
tl_assert "identical copy compares equal" tl_cmp_binlogs "$P" "$M"
flip "$M/$first" 1000
tl_assert "flipped byte in a closed file is detected" tl_not tl_cmp_binlogs "$P" "$M"
copy; flip "$M/$last" 300
tl_assert "flipped byte in the active file is detected" tl_not tl_cmp_binlogs "$P" "$M"
copy; flip "$M/$last" 21 1
tl_assert "IN_USE-only difference in the active file is accepted" tl_cmp_binlogs "$P" "$M"
copy; flip "$M/$first" 21 1
tl_assert "IN_USE difference in a closed file is detected" tl_not tl_cmp_binlogs "$P" "$M"
copy; truncate -s 1000 "$M/$last"
tl_assert "a short active file (prefix) is accepted" tl_cmp_binlogs "$P" "$M"
copy; truncate -s 1000 "$M/$first"
tl_assert "a short closed file is detected" tl_not tl_cmp_binlogs "$P" "$M"
copy; echo x >> "$M/$last"
tl_assert "a longer active file is detected" tl_not tl_cmp_binlogs "$P" "$M"
copy; sed -i 2d "$M/a-bin.index"
tl_assert "a gap in the mirror's index is detected" tl_not tl_cmp_binlogs "$P" "$M"
copy; rm "$M/$first"
tl_assert "a file listed but missing is detected" tl_not tl_cmp_binlogs "$P" "$M"
copy
tl_assert "caught-up: a complete copy" tl_wait_mirror_caught_up a "$M" 5
tl_wl_small a 1
t0=$(_tl_now_us)
tl_assert "caught-up: times out on a stale copy" tl_not tl_wait_mirror_caught_up a "$M" 0.5
ms=$(( ($(_tl_now_us) - t0) / 1000 ))
tl_assert "... after about 0.5 s ($ms ms)" test "$ms" -ge 500 -a "$ms" -lt 2000

# ---- a live mirror: mariadb-binlog --raw --stop-never, index written here
R=$W/raw; mkdir -p "$R"
(cd "$R" && exec mariadb-binlog --no-defaults --read-from-remote-server --raw --stop-never -h127.0.0.1 \
   -P"$(tl_port a)" -urepl -preplpass "$first") &
tailer=$!; tl_track_pid "$tailer"
wl=$(tl_wl_mixed a 2); tl_wait_pid "$wl" 30
tl_wl_small a 10
tl_binlogs a | sed 's|^|./|' > "$R/a-bin.index"
tl_assert "caught-up: a live mariadb-binlog mirror" tl_wait_mirror_caught_up a "$R" 30
tl_assert "live mirror compares equal (active file IN_USE aside)" tl_cmp_binlogs "$P" "$R"
kill "$tailer"; wait "$tailer" 2>/dev/null || true

# ---- crash and restart
pa=$(tl_pid a); port=$(tl_port a); rows=$(tl_sql a "SELECT COUNT(*) FROM w.s")
wl=$(tl_wl_mixed a 30)
tl_wait_until 10 test "$(tl_sql a 'SELECT COUNT(*) FROM w.s')" -gt "$rows"
t0=$(_tl_now_us)
tl_mariadb_kill a
tl_assert "kill -9: the process is gone" tl_not kill -0 "$pa"
tl_mariadb_restart a
tl_log "figures: kill -9 + restart (crash recovery) in $(( ($(_tl_now_us) - t0) / 1000 )) ms"
tl_assert_eq "restart keeps the port" "$(tl_port a)" "$port"
tl_assert "a new pid after the restart" test "$(tl_pid a)" != "$pa"
tl_assert "rows survive the crash" test "$(tl_sql a 'SELECT COUNT(*) FROM w.s')" -ge "$rows"
kill "$wl"; tl_wait_pid "$wl" 10
t0=$(_tl_now_us)
tl_assert "clean stop" tl_mariadb_stop a
tl_log "figures: clean stop in $(( ($(_tl_now_us) - t0) / 1000 )) ms"
tl_assert "closed last file has IN_USE cleared" tl_not _tl_in_use "$P/$(sed 's|.*/||' "$P/a-bin.index" | tail -n 1)"
tl_mariadb_restart a
tl_assert_eq "b (no binlog) still answers" "$(tl_sql b 'SELECT 1')" 1

# ---- binlogd helpers, on a stand-in binary that behaves like a daemon
FAKE=$W/fake-binlogd
cat > "$FAKE" <<'EOF'
#!/usr/bin/env bash
echo "fake binlogd: $*"
trap 'echo "stopping"; exit 7' TERM
while :; do sleep 0.05; done
EOF
chmod +x "$FAKE"
BINLOGD_BIN=$FAKE
tl_binlogd_start m "$W/m" --upstream.host=127.0.0.1 --upstream.port="$(tl_port a)"
tl_assert "binlogd started with server id and data dir" tl_wait_until 5 tl_log_has m "binlogd.data_dir=$W/m"
rc=0; tl_binlogd_stop m || rc=$?
tl_assert_eq "tl_binlogd_stop returns the exit status" "$rc" 7
tl_binlogd_start m "$W/m"
pm=$(tl_binlogd_pid m)
tl_binlogd_kill m
tl_assert "tl_binlogd_kill: gone" tl_not kill -0 "$pm"
tl_binlogd_start m "$W/m"

# ---- the cleanup trap: a failing test, a test killed by SIGTERM (timeout), and by SIGKILL
child() {  # MODE: start a server in a child test, record its pid and dir, then end as MODE says
  BINLOGD_TEST_TMP=$W/children bash -c '
    source "$1/lib.sh"; tl_init child
    tl_mariadb_start c; tl_wl_mixed c 60 > /dev/null
    echo "$(tl_pid c) $(tl_workdir)" > "$2.info"
    case $3 in fail) tl_fail "deliberate"; tl_done ;; *) sleep 60 ;; esac' _ "$HERE" "$W/$1" "$1" > "$W/$1.out" 2>&1 &
  local cpid=$!
  tl_wait_until 30 test -s "$W/$1.info"
  case $1 in term) kill -TERM "$cpid" ;; kill) kill -KILL "$cpid" ;; esac
  wait "$cpid" 2>/dev/null || true
  read -r cp cd < "$W/$1.info"
  tl_assert "$1: the child's mariadbd is gone" tl_wait_until 10 tl_not kill -0 "$cp"
  [ "$1" != kill ] && tl_assert "$1: the child's work dir is removed" tl_not test -e "$cd"
  [ "$1" = fail ] && tl_assert "fail: the server log tail was printed" grep -q "tail of .*c.err" "$W/$1.out"
  return 0
}
child fail
child term
child kill
tl_done
