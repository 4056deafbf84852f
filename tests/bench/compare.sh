#!/usr/bin/env bash
# tests/bench/compare.sh REV (make bench-compare BEFORE=REV): the bench with binlogd as built
# from git revision REV ("before") next to this tree's bin/binlogd ("after"), in one run on one
# corpus (run.sh, BENCH_BEFORE). REV is built in a temporary clone of this repository
# (git clone -q, make -j2 all), so the work tree is left alone; the clone is removed at exit
# unless BENCH_KEEP_BEFORE=1. Defaults: BENCH_ONLY="ingest fanout", BENCH_N="16 128",
# BENCH_BEFORE_LABEL=REV; every other run.sh knob (BENCH_QUICK, BENCH_MB, ...) passes through.
# Build this tree first (make all; make bench-compare does).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 REV   (a commit, tag or branch of this repository)"; exit 2; }
REV=$1
HERE=$(cd "$(dirname "$0")/../.." && pwd)
TOP=$(git -C "$HERE" rev-parse --show-toplevel)
SHA=$(git -C "$TOP" rev-parse --verify -q "$REV^{commit}") || { echo "compare: $REV is not a commit here"; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/binlogd-before.XXXXXX")
[ "${BENCH_KEEP_BEFORE:-0}" = 1 ] || trap 'rm -rf "$TMP"' EXIT

# A clone has every branch of this repository; a commit reachable only from elsewhere (another
# worktree's detached HEAD, say) is fetched by name.
git clone -q --no-checkout "$TOP" "$TMP/src"
git -C "$TMP/src" cat-file -e "$SHA^{commit}" 2>/dev/null || git -C "$TMP/src" fetch -q "$TOP" "$SHA"
git -C "$TMP/src" -c advice.detachedHead=false checkout -q "$SHA"
echo "compare: building $REV ($SHA) in $TMP/src"
make -C "$TMP/src" -j2 all > "$TMP/build.log" 2>&1 || { tail -20 "$TMP/build.log"; echo "compare: build of $REV failed"; exit 2; }

BENCH_BEFORE="$TMP/src/bin/binlogd" BENCH_BEFORE_LABEL="${BENCH_BEFORE_LABEL:-$REV}" \
  BENCH_ONLY="${BENCH_ONLY:-ingest fanout}" BENCH_N="${BENCH_N:-16 128}" bash "$HERE/tests/bench/run.sh"
