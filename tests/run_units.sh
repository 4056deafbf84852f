#!/usr/bin/env bash
# Run every cmocka unit binary in DIR; print one closing line "N passed, N failed".
# Each binary's own cmocka summary is shown; a binary that crashes counts as failed.
set -u
dir=$1
pass=0; fail=0; failed_bins=()
export BINLOGD_FIXTURES=${BINLOGD_FIXTURES:-$PWD/build/fixtures}
export BINLOGD_STD_DATA=${BINLOGD_STD_DATA:-/usr/share/mysql/mysql-test/std_data}
for t in "$dir"/test_*; do
  [ -x "$t" ] || continue
  out=$("$t" 2>&1); rc=$?
  echo "$out" | grep -E '^\[  (PASSED|FAILED)|^\[==========\]|ERROR|FAIL|runtime error|Sanitizer' | sed "s|^|$(basename "$t"): |"
  p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
  if [ $rc -ne 0 ] && [ -z "$f" ]; then fail=$((fail + 1)); failed_bins+=("$(basename "$t") (exit $rc)"); echo "$out" | tail -20; fi
  [ -n "$f" ] && [ "$f" != 0 ] && failed_bins+=("$(basename "$t")")
done
[ ${#failed_bins[@]} -gt 0 ] && echo "failed: ${failed_bins[*]}"
echo "unit($dir): $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
