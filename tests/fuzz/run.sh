#!/usr/bin/env bash
# Run the libFuzzer harnesses (Makefile: fuzz, fuzz-short, fuzz-regress, fuzz-merge).
#   run.sh regress BIN...       replay tests/fuzz/regress/<harness>/* once each (exit != 0 on a crash)
#   run.sh run SECONDS BIN...   fuzz each harness for SECONDS from its seed corpus, FUZZ_JOBS
#                               (default 2, one per core) at once: each still gets SECONDS of a
#                               core; new inputs go to build/fuzz/work/<harness> (kept between
#                               runs), never into the repository; crashes to build/fuzz/crashes/
#   run.sh merge BIN...         add the inputs of build/fuzz/work/<harness> that bring new
#                               coverage to tests/fuzz/corpus/<harness>
# Prints one line per harness with libFuzzer's final figures (execs, exec/s, cov, ft).
set -u
here=$(cd "$(dirname "$0")" && pwd)
mode=$1; shift
secs=0
[ "$mode" = run ] && { secs=$1; shift; }
work=build/fuzz/work
crashes=build/fuzz/crashes
fail=0
# fuzz_one BIN: one harness for $secs; prints its line; exit 1 when it found a crash.
fuzz_one() {
  local bin=$1 h log rc stats execs eps cov ft
  h=$(basename "$bin")
  log=build/fuzz/$h.log
  # The first directory receives new inputs; the seed corpus is only read.
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$crashes/$h/" "$work/$h" "$here/corpus/$h" > "$log" 2>&1
  rc=$?
  stats=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(echo "$stats" | grep -o 'cov: [0-9]*' | cut -d' ' -f2)
  ft=$(echo "$stats" | grep -o 'ft: [0-9]*' | cut -d' ' -f2)
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -10
    echo "fuzz $h: FAILED after ${secs}s (log $log; input in $crashes/$h/; fix it, then keep the input in tests/fuzz/regress/$h/)"
    return 1
  fi
  echo "fuzz $h: ${secs}s, ${execs:-?} execs, ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}"
}
jobs=${FUZZ_JOBS:-2}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
mkdir -p build/fuzz
for bin in "$@"; do
  h=$(basename "$bin")
  corpus=$here/corpus/$h
  case $mode in
  regress)
    files=()
    [ -d "$here/regress/$h" ] && while IFS= read -r f; do files+=("$f"); done \
      < <(find "$here/regress/$h" -type f | sort)
    [ ${#files[@]} -eq 0 ] && { echo "fuzz $h: no regression inputs"; continue; }
    if out=$("$bin" -runs=1 "${files[@]}" 2>&1); then
      echo "fuzz $h: ${#files[@]} regression inputs replayed"
    else
      echo "$out" | tail -40
      echo "fuzz $h: FAILED on a regression input"
      fail=1
    fi
    ;;
  run)
    mkdir -p "$work/$h" "$crashes/$h"
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    fuzz_one "$bin" > "build/fuzz/$h.result" &
    ;;
  merge)
    mkdir -p "$corpus" "$work/$h"
    "$bin" -merge=1 -max_len=65536 "$corpus" "$work/$h" > "build/fuzz/$h.merge.log" 2>&1 || { echo "fuzz $h: merge failed"; fail=1; continue; }
    echo "fuzz $h: corpus now $(ls "$corpus" | wc -l) files, $(du -sk "$corpus" | cut -f1) KB"
    ;;
  *) echo "usage: run.sh regress|run SECONDS|merge BIN..." >&2; exit 2 ;;
  esac
done
if [ "$mode" = run ]; then
  wait
  for bin in "$@"; do
    r=build/fuzz/$(basename "$bin").result
    cat "$r"
    grep -q ': FAILED after' "$r" && fail=1
  done
fi
exit $fail
