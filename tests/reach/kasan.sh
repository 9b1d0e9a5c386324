#!/usr/bin/env bash
# tests/reach/kasan.sh (make kasan): the series kernel with KASAN
# (configs/kasan.config on top of the test fragments, variant kasan:
# $CACHE/v/kasan/{src,build}), booted in the emulated machine (TCG):
# the kselftest (tests/selftest/host.sh --expect pass, which fails on any
# KASAN report) and every standin_test case (tests/reach/run.sh).
# Prints PASS:/FAIL: lines; the consoles stay in $LOGDIR.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
R=$TOP/tests/reach
S=$TOP/scripts

"$S/build-qemu.sh" >/dev/null || die "FAILED: stage 'kasan' (QEMU build)"
"$S/workspace.sh" init >/dev/null || die "FAILED: stage 'kasan' (workspace)"
wt=$(vsrc kasan)
# its own variant (series + the rig's kernel fixups): builds in parallel
# with the other variants without sharing a work tree
"$R/tree.sh" kasan series "$TOP"/tests/kernel-fixups/*.patch || die "FAILED: stage 'kasan' (tree $wt)"
kb=$(vbuild kasan)
"$S/build-kernel.sh" kasan kasan.config >/dev/null ||
	die "FAILED: stage 'kasan' (KASAN kernel build), log: $(logfile build-kasan)"
grep -q '^CONFIG_KASAN=y' "$kb/.config" || die "FAILED: stage 'kasan': CONFIG_KASAN not set in $kb/.config"
parts=$("$R/build.sh" "$kb" "$wt" "$CACHE/reach/kasan" | tail -n 1) || die "FAILED: stage 'kasan' (stand-in parts)"
bin=$CACHE/reach/selftest-kasan
selftest_build "$wt" "$bin" "$(logfile selftest-build-kasan)" ||
	die "FAILED: stage 'kasan' (selftest build), log: $(logfile selftest-build-kasan)"

rc=0
start=$(date +%s)
"$TOP/tests/selftest/host.sh" --label 5.10-kasan --kernel-build "$kb" --selftest "$bin" \
	--expect pass --timeout 1800 || rc=1
say "kasan: kselftest VM run $(($(date +%s) - start)) s"
start=$(date +%s)
rows=$("$R/run.sh" --label 5.10-kasan --kernel-build "$kb" --parts "$parts" --timeout 1800)
say "kasan: stand-in VM run $(($(date +%s) - start)) s"
printf '%s\n' "$rows" | grep '^reach-info|' | sed 's/^reach-info|[^|]*|[^|]*|/  /'
while IFS='|' read -r _ k _ c r d; do
	case $c in
	console) if [ "$r" = clean ]; then say "PASS: $k: stand-in run: no KASAN/lockdep/WARNING/BUG report"; else say "FAIL: $k: stand-in run: console shows kernel reports: $d"; rc=1; fi ;;
	vm | lockdep | gcov) ;;
	*) if [ "$r" = ok ]; then say "PASS: $k: $c"; else say "FAIL: $k: $c: $r $d"; rc=1; fi ;;
	esac
done < <(printf '%s\n' "$rows" | grep '^reach|')
exit $rc
