#!/usr/bin/env bash
# tests/reach/stage.sh (make check stage "reach"): vfio_ap with a stand-in
# attach with no vCPUs, and the mask-commit window (tests/reach/README.md).
# order: 40
# Test-only kernel code: tests/reach/kmod (module) and
# tests/kernel-fixups/0002-s390-ap-TEST-ONLY-stop-a-mask-write-between-its-commit.patch
# (window gate).
#   5.10 + series      every standin_test case passes, console clean;
#                      each planted defect (tests/reach/fixtures) makes the
#                      case made for it FAIL (negative controls), each in a
#                      boot of its own
#   5.10 base          negative control: the headline case and the window
#                      case must FAIL (no in-use check, no mask check)
#   5.10 wrong order   negative control: the race case must make lockdep
#                      report ap_perms_mutex <-> matrix_dev->lock
# A negative control that passes is a FAIL.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
S=$TOP/scripts
R=$TOP/tests/reach

quiet() { stage_step standin "$@"; } # a build step: its last line, or FAIL

quiet "QEMU build" "$S/build-qemu.sh" >/dev/null || exit 1
series=$(quiet "series kernel build" "$S/variants.sh" series) || exit 1
base=$(quiet "base kernel build" "$S/variants.sh" base) || exit 1
wrong=$(quiet "wrong-lock-order kernel build" "$S/variants.sh" wrongorder) || exit 1
ps=$(quiet "stand-in parts for the series" "$R/build.sh" "$series" "$(vsrc series)" "$CACHE/reach/series" planted) || exit 1
pb=$(quiet "stand-in parts for the base" "$R/build.sh" "$base" "$(vsrc base)" "$CACHE/reach/base") || exit 1
pw=$(quiet "stand-in parts for the wrong order" "$R/build.sh" "$wrong" "$(vsrc wrongorder)" "$CACHE/reach/wrongorder") || exit 1
say "PASS: standin: module, test and $(ls -d "$ps"/planted/*/ | wc -l) planted vfio_ap modules build"

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
# planted defect -> the case it must make fail
PLANTED="planted-inuse-skips-attached:apmask_busy_attached planted-no-busy-when-attached:busy_attached planted-no-set-masks:attach_crycb planted-release-keeps-masks:release_clears planted-no-reserved-check:window_adapter,window_domain"
"$R/run.sh" --label 5.10-series --kernel-build "$series" --parts "$ps" >"$rows"
# each planted module in a boot of its own: every control starts from a clean kernel
for p in $PLANTED; do
	"$R/run.sh" --label 5.10-series --kernel-build "$series" --parts "$ps" --planted "${p%%:*}" \
		--cases "$(echo "${p#*:}" | tr , ' ')" --log "$LOGDIR/reach-5.10-series-${p%%:*}.log" >>"$rows"
done
"$R/run.sh" --label 5.10-base --kernel-build "$base" --parts "$pb" \
	--cases "attach_crycb apmask_busy_attached window_adapter" >>"$rows"
"$R/run.sh" --label 5.10-wrongorder --kernel-build "$wrong" --parts "$pw" --cases race \
	--env STANDIN_RACE_SECS=4 --run-limit 40 --timeout 240 >>"$rows"
grep '^reach-info|' "$rows" | sed 's/^reach-info|\([^|]*\)|\([^|]*\)|/  [\1 \2] /'

rc=0
row() { awk -F'|' -v k="$1" -v r="$2" -v c="$3" '$1 == "reach" && $2 == k && $3 == r && $4 == c { print $5 "|" $6; exit }' "$rows"; }
ok() { say "PASS: standin: $*"; }
ko() { say "FAIL: standin: $*"; rc=1; }
expect_ok() { # LABEL RUN CASE
	local r
	r=$(row "$1" "$2" "$3")
	case $r in
	ok\|*) ok "$1: $3" ;;
	"") ko "$1: $3: no result (VM crash, timeout or not run; log $LOGDIR/reach-$1.log)" ;;
	*) ko "$1: $3: ${r#*|}" ;;
	esac
}
expect_fail() { # LABEL RUN CASE WHY [PATTERN the reason must match]
	local r
	r=$(row "$1" "$2" "$3")
	case $r in
	"not ok|"*)
		if [ -n "${5:-}" ] && [[ ${r#*|} != *$5* ]]; then
			ko "$1: $2: $3 failed for another reason than expected ($5): ${r#*|}"
		else
			ok "$1: $2: $3 fails as it must ($4): ${r#*|}"
		fi
		;;
	"") ko "$1: $2: $3: no result (log $LOGDIR/reach-$1-$2.log)" ;;
	*) ko "$1: $2: $3 PASSED although $4 (negative control)" ;;
	esac
}
clean_console() {
	local r
	r=$(row "$1" - console)
	case $r in clean\|*) ok "$1: no lockdep/WARNING/BUG/hung task/KASAN report on the console" ;;
	*) ko "$1: console shows kernel reports: ${r#*|}" ;; esac
}

for c in attach_crycb apmask_busy_attached busy_attached release_clears window_adapter window_domain race; do
	expect_ok 5.10-series main "$c"
done
clean_console 5.10-series
expect_fail 5.10-series planted-inuse-skips-attached apmask_busy_attached "in_use skips attached mdevs" "expected EBUSY"
expect_fail 5.10-series planted-no-busy-when-attached busy_attached "assign_adapter has no EBUSY check" "assign_adapter 3"
expect_fail 5.10-series planted-no-set-masks attach_crycb "the notifier never sets the CRYCB masks" "CRYCB apm"
expect_fail 5.10-series planted-release-keeps-masks release_clears "release does not clear the CRYCB masks" "release left masks"
expect_fail 5.10-series planted-no-reserved-check window_adapter "the mask check is removed" "invariant violated"
expect_fail 5.10-series planted-no-reserved-check window_domain "the mask check is removed" "invariant violated"

expect_ok 5.10-base main attach_crycb
expect_fail 5.10-base main apmask_busy_attached "5.10 has no in-use check" "expected EBUSY"
expect_fail 5.10-base main window_adapter "5.10 has no mask check" "invariant violated"
clean_console 5.10-base

r=$(row 5.10-wrongorder - lockdep)
if [[ $r == circular\|*ap_perms_mutex*matrix_dev-\>lock* || $r == circular\|*matrix_dev-\>lock*ap_perms_mutex* ]]; then
	ok "5.10-wrongorder: the race case makes lockdep report ap_perms_mutex <-> matrix_dev->lock (${r#*|})"
elif [ -n "$r" ]; then
	ko "5.10-wrongorder: lockdep report does not name both locks: ${r#*|}"
else
	ko "5.10-wrongorder: no circular locking report with the race case (negative control; log $LOGDIR/reach-5.10-wrongorder.log)"
fi
exit $rc
