#!/usr/bin/env bash
# check.sh: every test of the project, in order; ends with "N passed, N failed".
# Each stage prints PASS:/FAIL: lines, which are counted here. A stage that
# cannot run (a build failed) counts as one FAIL and names its log.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
sum=$LOGDIR/check-summary.txt
: >"$sum"
pass=0 fail=0
stage() { # NAME CMD...: run, echo output, count PASS/FAIL lines
	local name=$1 rc out
	shift
	say "=== $name ($(($(date +%s) - start)) s since start)"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	local p f
	p=$(grep -c '^PASS: ' "$out")
	f=$(grep -c '^FAIL: ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name: stage failed (exit $rc)" | tee -a "$out"
		f=1
	fi
	grep -E '^(PASS|FAIL): ' "$out" >>"$sum"
	rm -f "$out"
	pass=$((pass + p)) fail=$((fail + f))
	return "$rc"
}

stage setup "$TOP/scripts/setup.sh" || { say "0 passed, 1 failed"; exit 1; }
stage "kernel base" "$TOP/scripts/variants.sh" base
stage "kernel series (every prefix)" "$TOP/scripts/variants.sh" series
stage "static checks" "$TOP/scripts/check-static.sh"
for t in "$TOP"/tests/stages/*.sh; do
	[ -e "$t" ] || continue
	stage "$(basename "$t" .sh)" bash "$t"
done

say "=== summary ($(($(date +%s) - start)) s), all results: $sum"
grep '^FAIL: ' "$sum" || true
say "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
