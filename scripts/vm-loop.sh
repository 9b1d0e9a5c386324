#!/usr/bin/env bash
# vm-loop.sh [N] (make vm-loop N=20): boot the scenario (series and base) and
# the selftest (series, --expect pass) N times in a row (default 20), to
# show that a flaky VM test is gone or to catch it. Builds what is missing
# first (incremental). Each run's verdict and VM time go to
# $LOGDIR/loop.txt; the console log of every failing run is kept as
# $LOGDIR/fail-<run>-<test>.log (the judge prints the kernel log around
# the failure into $LOGDIR/fail-<run>-<test>.out). Ends with one line per
# test: "PASS: vm-loop: <test>: N/N runs passed" or FAIL.
# LOOP_TESTS (default "scenario-series scenario-base selftest") picks tests.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

n=${1:-${N:-20}}
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "vm-loop: N must be a positive number, not '$n'"
tests=${LOOP_TESTS:-scenario-series scenario-base selftest}

[ -n "${QEMU:-}" ] || "$TOP/scripts/build-qemu.sh" >&2 || die "FAILED: stage 'vm-loop qemu'"
series=$(BISECT=0 "$TOP/scripts/variants.sh" series | tail -n 1) || die "FAILED: stage 'vm-loop series kernel'"
"$TOP/scripts/variants.sh" base >/dev/null || die "FAILED: stage 'vm-loop base kernel'"
bin=$CACHE/selftest
selftest_build "$(vsrc series)" "$bin" "$(logfile selftest-build)" ||
	die "FAILED: stage 'vm-loop selftest build', log: $(logfile selftest-build)"

res=$LOGDIR/loop.txt
: >"$res"
declare -A ok=()
for t in $tests; do ok[$t]=0; done
for i in $(seq "$n"); do
	for t in $tests; do
		log=$LOGDIR/run-$t.log out=$LOGDIR/run-$t.out s=$(date +%s) rc=0
		case $t in
		scenario-series | scenario-base)
			"$TOP/tests/scenario/host.sh" "${t#scenario-}" "$log" >"$out" 2>&1 || rc=$? ;;
		selftest)
			"$TOP/tests/selftest/host.sh" --label loop-series --kernel-build "$series" --selftest "$bin" \
				--expect pass --log "$log" >"$out" 2>&1 || rc=$? ;;
		*) die "vm-loop: unknown test '$t'" ;;
		esac
		d=$(($(date +%s) - s))
		if [ "$rc" -eq 0 ] && ! grep -q '^FAIL: ' "$out"; then
			ok[$t]=$((ok[$t] + 1))
			v=PASS
		else
			v=FAIL
			cp "$log" "$LOGDIR/fail-$i-$t.log"
			cp "$out" "$LOGDIR/fail-$i-$t.out"
		fi
		printf '%s run %d/%d %s %s %d s load %s\n' "$(date +%H:%M:%S)" "$i" "$n" "$t" "$v" "$d" \
			"$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$res"
		[ "$v" = PASS ] || grep '^FAIL: ' "$out" | head -n 3 | sed 's/^/    /'
	done
done
rc=0
for t in $tests; do
	if [ "${ok[$t]}" -eq "$n" ]; then
		say "PASS: vm-loop: $t: $n/$n runs passed"
	else
		say "FAIL: vm-loop: $t: ${ok[$t]}/$n runs passed (failing consoles: $LOGDIR/fail-*-$t.log)"
		rc=1
	fi
done
exit "$rc"
