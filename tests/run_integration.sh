#!/usr/bin/env bash
# Run every tests/integration/t_*.sh (or those named as arguments), each in its own bash
# with a time limit; print each script's result and one closing line "N passed, N failed"
# counting scripts. TORTURE=1 makes tests run their long loops.
#
# INTEGRATION_JOBS (default 2) suites run at once, each in its own port lane (harness.sh:
# TL_PORT_LANE) so two suites never pick the same port. A suite whose header has the line
# "# integration: solo" asserts timings that a second suite on the same cores would
# distort (scrape latency, login throttling windows, fan-out throughput): those run alone,
# after the others. Each suite's output is printed whole when it ends, so lines never
# interleave.
set -u
cd "$(dirname "$0")/.."
limit=${TEST_TIMEOUT:-420}
jobs=${INTEGRATION_JOBS:-2}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
scripts=("$@")
[ ${#scripts[@]} -eq 0 ] && scripts=(tests/integration/t_*.sh)

work=$(mktemp -d /tmp/binlogd-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
shared=(); solo=()
for t in "${scripts[@]}"; do
  if grep -q '^# integration: solo' "$t"; then solo+=("$t"); else shared+=("$t"); fi
done
[ "$jobs" -eq 1 ] && { shared=("${shared[@]}" "${solo[@]}"); solo=(); }

# run_one SCRIPT LANE: run it with the limit, record "name rc secs" and print its output.
run_one() {
  local t=$1 lane=$2 name start rc secs
  name=$(basename "$t" .sh)
  start=$(date +%s)
  TL_PORT_LANE=$lane TL_PORT_LANES=$jobs timeout --kill-after=20 "$limit" bash "$t" > "$work/$name.out" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  (
    flock 9
    cat "$work/$name.out"
    if [ $rc -eq 0 ]; then echo "== $name: PASS (${secs}s)"; else echo "== $name: FAIL (exit $rc, ${secs}s)"; fi
    echo "$name $rc" >> "$work/results"
  ) 9>"$work/print.lock"
}

# A lane takes the next unclaimed script from the shared list until none is left.
lane() {
  local lane=$1 i
  while :; do
    i=$( ( flock 8; n=$(cat "$work/next" 2>/dev/null || echo 0); echo $((n + 1)) > "$work/next"; echo "$n" ) 8>"$work/next.lock")
    [ "$i" -lt ${#shared[@]} ] || return 0
    run_one "${shared[$i]}" "$lane"
  done
}

touch "$work/results"
if [ ${#shared[@]} -gt 0 ]; then
  pids=()
  for ((l = 0; l < jobs; l++)); do lane "$l" & pids+=($!); done
  wait "${pids[@]}"
fi
for t in "${solo[@]}"; do run_one "$t" 0; done

pass=0; fail=0; failed=()
while read -r name rc; do
  if [ "$rc" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$name"); fi
done < "$work/results"
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $((pass + fail)) -eq ${#scripts[@]} ]
