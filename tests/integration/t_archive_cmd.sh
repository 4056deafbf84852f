#!/usr/bin/env bash
# Issue #11 "off-host archive, the PostgreSQL way": storage.archive_command.
#  1. the README's local-directory command: every closed file archived, in order, cmp-identical
#     to the primary's; SHOW BINLOG ARCHIVE and .binlogd-archive say so;
#  2. a command that fails 3 times then succeeds (SIGHUP reload to a scripted command): three
#     loud log lines with the exit status and stderr, attempts 4, failures in /metrics;
#  3. a command that hangs: its process group is killed at storage.archive_timeout, then retried;
#  4. a command that sleeps: ingest and a streaming reader (a blocking dump writing what it gets) go on;
#  5. kill -9 of binlogd mid-command: the command runs again for that file after the restart;
#  6. an S3 round trip through a local S3 endpoint (OpenStack Swift's s3api, Debian's swift
#     packages) with s3cmd: the README's object-store example, archived and fetched back; then
#     the README's s3cmd restore_command serves two files purged here to a dump (restore on demand).
source "$(dirname "$0")/harness.sh"
tl_init archive_cmd

tl_mariadb_start p
P=$(tl_port p); A=$(tl_free_port); M=$(tl_free_port); W=$(tl_workdir); D=$W/b; PD=$(tl_datadir p)
mkdir -p "$W/arch"
tl_sql p "CREATE DATABASE w"
tl_wl_small p 20

# ---- 1. the README's local-directory example, verbatim but for the directory ----
LOCAL_CMD='if [ -f ARCH/%f ]; then cmp -s %p ARCH/%f; else cp %p ARCH/%f.part && sync ARCH/%f.part && mv ARCH/%f.part ARCH/%f && sync ARCH; fi'
grep -qF "${LOCAL_CMD//ARCH//mnt/archive}" "$TL_REPO/README.md"
tl_assert "the local-directory command is the README's" [ $? -eq 0 ]
{ tl_conf_head "$A" "$P"; cat <<EOF
[storage]
archive_command = ${LOCAL_CMD//ARCH/$W/arch}
archive_timeout = 2
archive_retry_max_ms = 1000
archive_max_lag_seconds = 30
[metrics]
listen = 127.0.0.1:$M
[user.repl]
password = replpass
[user.ops]
password = opspass
role = admin
EOF
} > "$W/b.conf"
tl_binlogd_start b "$D" --config="$W/b.conf"
tl_wait_until 20 tl_port_open "$A"
for i in 1 2 3; do tl_wl_small p 30; tl_flush_logs p; done
tl_assert "binlogd mirrors the primary" tl_wait_mirror_caught_up p "$D" 30
closed() { sed 's|.*/||' "$D"/*.index | head -n -1; }
all_archived() { local f; for f in $(closed); do [ -f "$W/arch/$f" ] || return 1; done; }
tl_assert "every closed file is archived" tl_wait_until 20 all_archived
bad=0; n=0
for f in $(closed); do n=$((n + 1)); cmp "$PD/$f" "$W/arch/$f" || bad=1; done
tl_assert "the $n archived files are cmp-identical to the primary's" [ $bad = 0 -a $n -ge 3 ]
tl_assert "the active file is not archived" [ ! -e "$W/arch/$(sed 's|.*/||' "$D"/*.index | tail -1)" ]
order=$(grep -o 'archived [^ ]* (' "$W/b.log" | awk '{print $2}' | tr '\n' ' ')
tl_assert_eq "archived oldest first, one after the other" "$order" "$(closed | tr '\n' ' ')"
q() { mariadb -h127.0.0.1 -P"$A" -uops -popspass -N -B -e "$1"; }
first=$(closed | head -1)
row=$(q "SHOW BINLOG ARCHIVE" | awk -F'\t' -v f="$first" '$1 == f { print $3, $4, $5 }')
tl_assert_eq "SHOW BINLOG ARCHIVE: $first archived, 1 attempt" "$row" "Yes archived 1"
tl_assert "SHOW BINLOG ARCHIVE: the active file shows as active" \
  bash -c "mariadb -h127.0.0.1 -P$A -uops -popspass -N -B -e 'SHOW BINLOG ARCHIVE' | tail -1 | cut -f4 | grep -qx active"
tl_assert "the archive state file lists every archived file" \
  bash -c "[ \$(grep -c $'\tlocal\tmariadb\t' '$D/.binlogd-archive') -eq $n ]"
tl_assert "... with each file's GTID states as the GTID index has them" bash -c \
  "diff <(awk -F'\t' 'NR > 1 { print \$1, \$2, \$5, \$6, \$7 }' '$D/.binlogd-archive') \
        <(awk -F'\t' 'NR > 1 { print \$1, \$2, \$3, \$4, \$5 }' '$D'/*.gtid_index | head -n $n)"

# ---- 2. failing three times, then succeeding (reload to a scripted command) ----
cat > "$W/arch.sh" <<'EOF'
#!/bin/sh
# $1 = %p, $2 = %f; behaviour from $W/mode: ok | flaky | hang | slow
W=$(dirname "$0")
echo "$2" >> "$W/starts"
case $(cat "$W/mode") in
  flaky) n=$(cat "$W/cnt.$2" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$W/cnt.$2"
         if [ $n -le 3 ]; then echo "simulated failure $n of $2" >&2; echo "second line" >&2; exit 3; fi ;;
  hang)  sleep 7777; exit 0 ;;
  slow)  sleep 4.01 ;;
esac
if [ -f "$W/arch/$2" ]; then cmp -s "$1" "$W/arch/$2"; exit $?; fi
cp "$1" "$W/arch/$2.part" && mv "$W/arch/$2.part" "$W/arch/$2"
EOF
chmod +x "$W/arch.sh"
echo flaky > "$W/mode"
sed -i "s|^archive_command = .*|archive_command = $W/arch.sh %p %f|" "$W/b.conf"
kill -HUP "$(tl_binlogd_pid b)"
tl_assert "the reload applies the new command" tl_wait_until 10 tl_log_has b "archive_command: $W/arch.sh"
tl_wl_small p 10; tl_flush_logs p
f5=$(tl_binlogs p | tail -2 | head -1)
tl_assert "the flaky file is archived after three failures" tl_wait_until 20 test -f "$W/arch/$f5"
tl_assert "each failure is logged with the exit status and stderr" \
  bash -c "[ \$(grep -c 'archive_command failed for $f5 (attempt [123],.*exit status 3; stderr: simulated failure [123] of $f5 | second line' '$W/b.log') -eq 3 ]"
tl_assert "... and retried after a backoff" grep -q "archive_command failed for $f5 (attempt 2.*retrying in 1000 ms" "$W/b.log"
# The command copied the file before it exited; binlogd marks it archived once it has reaped
# the child (polled every 100 ms): wait for that, not for the copy.
archived_yes() { q "SHOW BINLOG ARCHIVE" | awk -F'\t' -v f="$1" '$1 == f && $3 == "Yes" { ok = 1 } END { exit !ok }'; }
tl_wait_until 10 archived_yes "$f5"
tl_assert_eq "SHOW BINLOG ARCHIVE: 4 attempts, no error left" \
  "$(q "SHOW BINLOG ARCHIVE" | awk -F'\t' -v f="$f5" '$1 == f { print $3, $5, "[" $7 "]" }')" "Yes 4 []"
tl_assert "cmp-identical to the primary's" cmp "$PD/$f5" "$W/arch/$f5"
metrics=$(curl -s "http://127.0.0.1:$M/metrics")
tl_assert_eq "SHOW STATUS counts them" "$(q "SHOW STATUS LIKE 'Binlogd_archive_failures'" | cut -f2)" "3"
tl_assert "/metrics counts the failures" grep -qx 'binlogd_archive_failures_total 3' <<<"$metrics"
tl_assert "/metrics counts the archived files" grep -q '^binlogd_archive_archived_files_total [4-9]' <<<"$metrics"
if command -v promtool >/dev/null; then
  tl_assert "promtool accepts /metrics" bash -c "curl -s http://127.0.0.1:$M/metrics | promtool check metrics"
fi

# ---- 3. a hanging command: killed at archive_timeout (2 s), then retried; /healthz meanwhile ----
echo hang > "$W/mode"
sed -i "s|^archive_max_lag_seconds = .*|archive_max_lag_seconds = 1|" "$W/b.conf"
kill -HUP "$(tl_binlogd_pid b)"
tl_assert "the reload applies the lag bound" tl_wait_until 10 tl_log_has b "storage.archive_max_lag_seconds: new value applied"
tl_wl_small p 10; tl_flush_logs p
f6=$(tl_binlogs p | tail -2 | head -1)
tl_assert "the hung command is killed at storage.archive_timeout" \
  tl_wait_until 10 grep -q "archive_command for $f6 still runs after 2s (storage.archive_timeout): killing process group" "$W/b.log"
tl_assert "... logged as a timeout" tl_wait_until 5 grep -q "archive_command failed for $f6 (attempt 1, .*timed out after 2s" "$W/b.log"
tl_assert "... and its whole process group is gone (no sleep 7777 left)" tl_wait_until 5 tl_not pgrep -f "[s]leep 7777"
tl_assert "/healthz fails while the archive lags over storage.archive_max_lag_seconds" \
  tl_wait_until 5 bash -c "curl -s http://127.0.0.1:$M/healthz | grep -q 'archive: archive lag .* over storage.archive_max_lag_seconds=1: 1 closed file(s) not archived, oldest $f6; last error: $f6: timed out'"
echo ok > "$W/mode"
tl_assert "then the retry archives it" tl_wait_until 10 test -f "$W/arch/$f6"
tl_assert "and /healthz is fine again" tl_wait_until 5 curl -sf "http://127.0.0.1:$M/healthz"
tl_assert "cmp-identical to the primary's" cmp "$PD/$f6" "$W/arch/$f6"

# ---- 4. a slow command does not delay ingest or serving ----
sed -i "s|^archive_timeout = .*|archive_timeout = 30|; s|^archive_max_lag_seconds = .*|archive_max_lag_seconds = 30|" "$W/b.conf"
kill -HUP "$(tl_binlogd_pid b)"
tl_assert "the reload applies the new timeout" tl_wait_until 10 tl_log_has b "storage.archive_timeout: new value applied"
mkdir -p "$W/raw"
"$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$first" -F 0 -s 777 -w "$W/raw" > "$W/dumpcli.log" 2>&1 &
tl_track_pid $!
echo slow > "$W/mode"
tl_flush_logs p
f7=$(tl_binlogs p | tail -2 | head -1); cur=$(tl_binlogs p | tail -1)
tl_assert "the slow command started" tl_wait_until 10 grep -qx "$f7" "$W/starts"
t0=$(date +%s%N)
tl_wl_small p 50
tl_assert "binlogd caught up with the primary while the command sleeps" tl_wait_mirror_caught_up p "$D" 3
tl_assert "the streaming reader got the new transactions meanwhile" tl_wait_until 3 tl_file_prefix_of "$PD/$cur" "$W/raw/$cur"
tl_assert "... and it has all of them" tl_wait_until 3 bash -c "[ \$(stat -c %s '$W/raw/$cur') = \$(stat -c %s '$PD/$cur') ]"
took=$(( ($(date +%s%N) - t0) / 1000000 ))
tl_assert "... while the archive command still ran ($took ms after it started)" [ ! -e "$W/arch/$f7" ]
tl_assert "then the slow command finishes" tl_wait_until 10 test -f "$W/arch/$f7"

# ---- 5. kill -9 of binlogd in the middle of a command: it runs again after the restart ----
tl_flush_logs p
f8=$(tl_binlogs p | tail -2 | head -1)
tl_assert "the command for $f8 started" tl_wait_until 10 grep -qx "$f8" "$W/starts"
tl_binlogd_kill b
echo ok > "$W/mode"
tl_binlogd_start b "$D" --config="$W/b.conf"
tl_assert "after the restart the command runs again for $f8" tl_wait_until 15 bash -c "[ \$(grep -cx '$f8' '$W/starts') -ge 2 ]"
tl_assert "... and archives it" tl_wait_until 10 grep -q "archived $f8 " "$W/b.log"
tl_assert "cmp-identical to the primary's (after the orphaned first run ended too)" \
  tl_wait_until 10 bash -c "cmp '$PD/$f8' '$W/arch/$f8' && ! pgrep -f '[s]leep 4.01' >/dev/null && ! ls '$W/arch/'*.part"
n=0; bad=0
for f in $(closed); do n=$((n + 1)); cmp -s "$PD/$f" "$W/arch/$f" || { bad=1; echo "  $f differs or is missing"; }; done
tl_assert "in the end all $n closed files are archived and identical" [ $bad = 0 ]
# a stop (SIGTERM) while a command runs: it is killed with its group, and runs again at the next start
echo slow > "$W/mode"
tl_flush_logs p
f9=$(tl_binlogs p | tail -2 | head -1)
tl_assert "the command for $f9 started" tl_wait_until 10 grep -qx "$f9" "$W/starts"
tl_binlogd_stop b
tl_assert_eq "SIGTERM while a command runs: exit 0" "$?" "0"
tl_assert "... the command was killed with its process group" tl_not pgrep -f "[s]leep 4.01"
tl_assert "... and the log says it runs again" grep -q "archive_command for $f9 interrupted (killed); it runs again at the next start" "$W/b.log"
echo ok > "$W/mode"
tl_binlogd_start b "$D" --config="$W/b.conf"
tl_assert "after the restart $f9 is archived" tl_wait_until 15 bash -c "cmp -s '$PD/$f9' '$W/arch/$f9'"
tl_assert "no file was started twice except $f8" bash -c "[ \$(sort '$W/starts' | uniq -d | grep -v -x -e '$f8' -e '$f9' -e '$f5' -e '$f6' | wc -l) = 0 ]"
tl_assert "/healthz is fine" bash -c "curl -sf http://127.0.0.1:$M/healthz"

# ---- 6. S3: the README's object-store example against a local endpoint ----
if [ -x "$TL_REPO/tests/integration/s3_endpoint.sh" ] && "$TL_REPO/tests/integration/s3_endpoint.sh" check; then
  source "$TL_REPO/tests/integration/s3_endpoint.sh"
  s3_start "$W/s3" || { tl_assert "the local S3 endpoint starts" false; tl_done; }
  S3CFG=$W/s3/s3cfg
  S3_CMD=$(grep -o "archive_command = s3cmd[^\`]*" "$TL_REPO/README.md" | head -1 | sed 's/^archive_command = //')
  tl_assert "the README has an s3cmd example" [ -n "$S3_CMD" ]
  S3_CMD=${S3_CMD//\/etc\/binlogd\/s3cfg/$S3CFG}
  s3cmd -c "$S3CFG" mb s3://binlogs >/dev/null 2>&1
  R3_CMD=$(grep -o "restore_command = s3cmd[^\`]*" "$TL_REPO/README.md" | head -1 | sed 's/^restore_command = //')
  tl_assert "the README has an s3cmd restore example" [ -n "$R3_CMD" ]
  R3_CMD=${R3_CMD//\/etc\/binlogd\/s3cfg/$S3CFG}
  tl_binlogd_stop b
  sed -i "s|^archive_command = .*|archive_command = $S3_CMD\nrestore_command = $R3_CMD|" "$W/b.conf"
  rm -f "$D/.binlogd-archive"   # archive everything again, this time to S3
  tl_binlogd_start b "$D" --config="$W/b.conf"
  tl_wl_small p 10; tl_flush_logs p
  tl_assert "every closed file is archived to S3" tl_wait_until 30 bash -c \
    "[ \$(s3cmd -c '$S3CFG' ls s3://binlogs/binlogs/ | wc -l) -eq \$(sed 's|.*/||' '$D'/*.index | head -n -1 | wc -l) ]"
  mkdir -p "$W/s3back"; bad=0; n=0
  for f in $(closed); do
    n=$((n + 1))
    s3cmd -c "$S3CFG" get --quiet "s3://binlogs/binlogs/$f" "$W/s3back/$f" && cmp -s "$PD/$f" "$W/s3back/$f" || bad=1
  done
  tl_assert "the $n files fetched back from S3 are cmp-identical to the primary's" [ $bad = 0 -a $n -gt 0 ]
  # a rerun of the command for an archived file (after a crash) succeeds without harm
  f=$(closed | head -1); cmd=${S3_CMD//%p/$D/$f}; cmd=${cmd//%f/$f}
  tl_assert "a rerun for an already archived file exits 0" sh -c "$cmd"
  # restore on demand from S3: purge the two oldest files here, a dump from the first file
  # gets them back through the README's s3cmd restore example, byte for byte
  s3f=$(closed | head -2); s3next=$(closed | sed -n 3p)
  for f in $s3f; do tl_wait_until 10 archived_yes "$f"; done
  q "PURGE BINARY LOGS TO '$s3next'"
  tl_assert "the two oldest files are purged here" bash -c "! ls '$D' | grep -q -x -e $(echo $s3f | sed 's/ / -e /')"
  S3_PURGED=2
  mkdir -p "$W/s3raw"
  out=$("$BINLOGD_DUMPCLI" -H 127.0.0.1 -P "$A" -u repl -p replpass -f "$(echo $s3f | cut -d' ' -f1)" -o 4 -F 1 -s 0 -w "$W/s3raw" 2>&1)
  tl_assert "a dump from the purged first file ends at EOF ($out)" grep -q "end=eof errno=0" <<<"$out"
  bad=0; for f in $s3f; do cmp -s "$PD/$f" "$W/s3raw/$f" || bad=1; done
  tl_assert "... the files restored from S3 (s3cmd get) are cmp-identical to the primary's" [ $bad = 0 ]
  tl_assert "... fetched with restore_command and checked" grep -q "restored $(echo $s3f | cut -d' ' -f2) from the archive (.* bytes, checked)" "$W/b.log"
  s3_stop
else
  tl_log "skip S3: no local S3 endpoint (swift-proxy / s3cmd missing: scripts/deps.sh)"
fi
# ---- 7. never purged before archived: PURGE BINARY LOGS stops at the unarchived file ----
all_archived_now() { local f; for f in $(closed); do q "SHOW BINLOG ARCHIVE" | awk -F'\t' -v f="$f" '$1 == f && $3 == "Yes" { ok = 1 } END { exit !ok }' || return 1; done; }
tl_assert "every closed file archived before the archive breaks" tl_wait_until 30 all_archived_now
tl_binlogd_stop b
sed -i "s|^archive_command = .*|archive_command = echo archive store down >\&2; exit 1|" "$W/b.conf"
tl_binlogd_start b "$D" --config="$W/b.conf"
tl_wait_until 20 tl_port_open "$A"
tl_wl_small p 5; tl_flush_logs p
fu=$(tl_binlogs p | tail -2 | head -1)
act=$(tl_binlogs p | tail -1)
# (not tl_wait_mirror_caught_up: section 6 purged files here that the primary still lists)
has_act() { [ -f "$D/$act" ] && [ "$(stat -c %s "$D/$act")" = "$(stat -c %s "$PD/$act")" ]; }
tl_assert "binlogd has $act" tl_wait_until 30 has_act
tl_assert "the command fails for $fu" tl_wait_until 10 grep -q "archive_command failed for $fu" "$W/b.log"
before=$(closed | grep -c -v -x "$fu")
pw=$(q "PURGE BINARY LOGS TO '$act'; SHOW WARNINGS" 2>&1)
tl_assert "PURGE warns that $fu is not archived (Note 1375)" grep -q "1375.*$fu.*not archived" <<<"$pw"
tl_assert "... $fu is still on disk" test -f "$D/$fu"
tl_assert_eq "... and the first file the index lists" "$(sed 's|.*/||' "$D"/*.index | head -1)" "$fu"
tl_assert "... the $before archived files before it are purged" bash -c "[ $before -ge 1 ] && ! ls '$D' | grep -q -x '$(tl_binlogs p | head -1)'"
tl_assert_eq "SHOW BINLOG ARCHIVE keeps the purged ones, marked purged" \
  "$(q "SHOW BINLOG ARCHIVE" | awk -F'\t' '$4 == "purged"' | wc -l)" "$((before + ${S3_PURGED:-0}))"
tl_binlogd_stop b
tl_assert "binlogd verify passes" "$BINLOGD_BIN" verify "$D"
tl_done
