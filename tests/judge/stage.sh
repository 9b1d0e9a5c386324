#!/usr/bin/env bash
# order: 06
# judge stage: the judge's own tests (tests/judge/test_judge.py, pytest) on
# console logs saved from real runs of this rig (tests/judge/fixtures/),
# one PASS:/FAIL: line per test.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if command -v pytest-3 >/dev/null; then PYTEST=(pytest-3); else PYTEST=(python3 -m pytest); fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
(cd "$here" && "${PYTEST[@]}" -v -p no:cacheprovider test_judge.py) >"$out" 2>&1 || rc=$?
sed -n -E 's/^test_judge\.py::(.*) PASSED.*/PASS: judge: \1/p; s/^test_judge\.py::(.*) (FAILED|ERROR).*/FAIL: judge: \1/p' "$out"
if [ "$rc" -ne 0 ]; then
	grep -q '^test_judge\.py::.* \(FAILED\|ERROR\)' "$out" || echo "FAIL: judge: pytest did not run (exit $rc)"
	tail -n 40 "$out"
fi
exit "$rc"
