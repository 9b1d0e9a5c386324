#!/usr/bin/env bash
# vm-test.sh [CASE] (make vm-test [CASE=name]): the fast inner loop. One
# command from an edit in the kernel workspace ($CACHE/linux-5.10/src,
# uncommitted changes included) to the selftest's verdict in the VM:
#   1. scripts/variants.sh dev: the workspace as it is + the test fixups,
#      built incrementally in $CACHE/v/dev (top of the series only, no
#      bisect pass, nothing exported, make check's trees untouched);
#   2. the selftest, built from the same tree (static, s390x);
#   3. the selftest in the VM, judged like make check's series run
#      (tests/selftest/host.sh --expect pass: every case, clean console).
# CASE runs only the test binary that holds that case and judges that case
# (the 5.10 kselftest harness cannot select one test, so the binary's other
# cases still run).
# Prints each step's time; the console log is named in the output.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

case=${1:-${CASE:-}}
t0=$(date +%s)
step() { say "vm-test: $1 ($(($(date +%s) - t0)) s)"; }

[ -x "${QEMU:-$CACHE/qemu/build/qemu-system-s390x}" ] || "$TOP/scripts/build-qemu.sh" >&2 ||
	die "FAILED: stage 'vm-test qemu', log: $(logfile qemu-build)"
kb=$("$TOP/scripts/variants.sh" dev | tail -n 1) || die "FAILED: stage 'vm-test kernel' (see above)"
step "kernel built: $kb"

src=$(vsrc dev)
bin=$CACHE/selftest-dev
log=$(logfile selftest-build-dev)
selftest_build "$src" "$bin" "$log" || die "FAILED: stage 'vm-test selftest build', log: $log"
step "selftest built: $bin"

args=(--label dev --kernel-build "$kb" --selftest "$bin" --expect pass --log "$LOGDIR/vm-test.log")
if [ -n "$case" ]; then
	case $case in	# the binary that holds the case
	apmask_busy | aqmask_busy | apmask_no_conflict | aqmask_no_conflict) t=masks ;;
	assign_reserved | assign_shared) t=assign ;;
	mask_syntax | bad_input) t=input ;;
	stress) t=stress ;;
	*) die "vm-test: unknown CASE '$case'" ;;
	esac
	args+=(--cases "$case" --tests "vfio_ap_${t}_test")
fi
rc=0
"$TOP/tests/selftest/host.sh" "${args[@]}" || rc=$?
step "done, exit $rc, console log: $LOGDIR/vm-test.log"
exit "$rc"
