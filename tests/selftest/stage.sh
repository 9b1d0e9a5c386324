#!/usr/bin/env bash
# order: 30
# selftest stage: the vfio_ap kselftest in the emulated machine (host side:
# tests/selftest/host.sh, in-VM side: tests/selftest/vm.sh).
#   5.10 + series      every case passes, no lockdep/WARN/BUG/hung task
#   5.10 base          negative control: the in-use cases must fail
#   5.10 + series, only vfio_ap loaded: released queues are reprobed by the
#                      bus (no drivers_probe workaround) once the series
#                      has the __ap_revise_reserved() fix (before: needed)
#   5.10 base, only vfio_ap loaded: the workaround is needed and reported
#   5.10 wrong order   negative control: lockdep must report the circular
#                      dependency between ap_perms_mutex and matrix_dev->lock
# A negative control that passes is a FAIL.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
S=$TOP/scripts

quiet() { stage_step selftest "$@"; } # a build step: its last line, or FAIL

quiet "QEMU build" "$S/build-qemu.sh" >/dev/null || exit 1
series=$(quiet "series kernel build" "$S/variants.sh" series) || exit 1
base=$(quiet "base kernel build" "$S/variants.sh" base) || exit 1

# The selftest is part of the series: build it from the series tree.
bin=$CACHE/selftest
log=$(logfile selftest-build)
if ! selftest_build "$(vsrc series)" "$bin" "$log"; then
	say "FAIL: selftest: static s390x build of tools/testing/selftests/vfio_ap, log: $log"
	exit 1
fi
say "PASS: selftest: builds statically for s390x ($(cd "$bin" && stat -c '%n %s' vfio_ap_*_test | tr '\n' ' ')bytes)"

rc=0
res=$LOGDIR/selftest-results.txt
: >"$res"
"$TOP/tests/selftest/host.sh" --label 5.10-series --kernel-build "$series" --selftest "$bin" \
	--expect pass --results "$res" || rc=1
"$TOP/tests/selftest/host.sh" --label 5.10-base --kernel-build "$base" --selftest "$bin" \
	--expect fail-inuse --results "$res" || rc=1
# Only vfio_ap loaded (no default queue driver): a queue a mask write
# releases must be reprobed by the bus itself. Without the
# __ap_revise_reserved() fix it stays unbound and the selftest needs (and
# reports) its drivers_probe workaround: required on the base (the
# control that the detection works) and, until the fix is in the series,
# on the series; with the fix, the series must not need it.
mask_cases=apmask_busy,aqmask_busy,apmask_no_conflict,aqmask_no_conflict
if grep -v '^#' "$TOP/patches/linux/series" | matches reprobe; then want=none; else want=needed; fi
"$TOP/tests/selftest/host.sh" --label 5.10-series-vfio_ap-only --kernel-build "$series" --selftest "$bin" \
	--modules vfio_ap --tests vfio_ap_masks_test --cases "$mask_cases" --reprobe "$want" || rc=1
"$TOP/tests/selftest/host.sh" --label 5.10-base-vfio_ap-only --kernel-build "$base" --selftest "$bin" \
	--modules vfio_ap --tests vfio_ap_masks_test --cases "$mask_cases" --reprobe needed \
	--expect must-fail:apmask_busy,aqmask_busy || rc=1
if wrong=$(quiet "wrong-lock-order kernel build" "$S/variants.sh" wrongorder); then
	"$TOP/tests/selftest/host.sh" --label 5.10-wrongorder --kernel-build "$wrong" --selftest "$bin" \
		--expect lockdep --results "$res" || rc=1
else
	rc=1
fi
exit $rc
