#!/usr/bin/env bash
# Run every tests/integration/t_*.sh (or those named as arguments), each in its own bash
# with a time limit; print each script's result and one closing line "N passed, N failed"
# counting scripts. TORTURE=1 makes tests run their long loops.
set -u
cd "$(dirname "$0")/.."
limit=${TEST_TIMEOUT:-420}
pass=0; fail=0; failed=()
scripts=("$@")
[ ${#scripts[@]} -eq 0 ] && scripts=(tests/integration/t_*.sh)
for t in "${scripts[@]}"; do
  name=$(basename "$t" .sh)
  start=$(date +%s)
  timeout --kill-after=20 "$limit" bash "$t"
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "== $name: PASS (${secs}s)"
  else fail=$((fail + 1)); failed+=("$name"); echo "== $name: FAIL (exit $rc, ${secs}s)"; fi
done
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ]
