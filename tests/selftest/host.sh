#!/usr/bin/env bash
# tests/selftest/host.sh: run the vfio_ap kselftest (tools/testing/selftests/vfio_ap,
# patch 6 of patches/linux) inside the emulated s390x machine and judge the result.
#
#   --label NAME        kernel label for the report rows and PASS/FAIL lines
#   --kernel-build DIR  kernel build dir (bzImage + modules), required
#   --selftest DIR      the static s390x test binaries (vfio_ap_*_test),
#                       required (a single FILE: the one-binary selftest
#                       of before the split, with its case names); build
#                       them (selftest_build in scripts/lib.sh does this):
#                         make -C tools/testing/selftests/vfio_ap ARCH=s390 \
#                           CC=s390x-linux-gnu-gcc LDFLAGS=-static OUTPUT=DIR
#   --tests "T..."      run only these binaries (default: all in DIR)
#   --reprobe MODE      the drivers_probe workaround line: report (default),
#                       none (must not appear: the bus reprobes released
#                       queues), needed (must appear: a kernel without the
#                       reprobe fix with only vfio_ap loaded)
#   --expect MODE       pass (default): every case ok, no console findings
#                       must-fail:CASE,...: negative control: these cases
#                         must FAIL, the others pass; fail-inuse = the in-use
#                         cases (apmask_busy, aqmask_busy, stress), for a
#                         kernel without in-use protection
#                       lockdep[:LOCK,...]: wrong lock order variant: a
#                         "possible circular locking dependency" report
#                         naming the LOCKs (default ap_perms_mutex,
#                         matrix_dev->lock) must appear
#   --apmask STR        written to /sys/bus/ap/apmask in the VM before the
#   --aqmask STR        test (any syntax the bus accepts). Default: give
#                       vfio_ap the highest card and the highest domain
#                       (the two highest of each with >= 3), e.g. "-2,-3"
#   --modules "M..."    modules loaded in the VM first (default: vfio_ap
#                       zcrypt_cex4, the default driver the masks hand
#                       queues back to)
#   --env VAR=VAL       environment for the test, e.g. VFIO_AP_STRESS_SECS=20
#                       (repeatable)
#   --ap PROPS          passed to run-vm.sh --ap (AP configuration)
#   --qemu-args "A B"   extra QEMU arguments (split on blanks), or
#   --qemu-arg ARG      one extra QEMU argument (repeatable)
#   --append ARGS       extra kernel command line
#   --timeout SEC       VM timeout (default 900)
#   --log FILE          console log (default $LOGDIR/check-vm-NAME.log)
#   --results FILE      also write the rows "kernel|case|result|detail" here
#   --allow-skip        a skipped case does not fail --expect pass
#   --cases A,B,...     judge only these cases (default: all eight)
# Prints rows "kernel | case | result | detail" (detail: stress counts,
# first failure message), then one "PASS: NAME: ..." or "FAIL: NAME: ..."
# line per check. Exit status: 0 if no FAIL line, 1 otherwise.
# --parse-only LOG judges an existing console log (no VM) with the same
# rules, for re-evaluation and for testing this script. The judging is
# tests/judge/judge.py's; on a failure it prints the kernel log around the
# first report (or dmesg's tail), so a flake explains itself.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

label='' kbuild='' selftest='' expect=pass apmask='' aqmask='' ap='' append=''
timeout=900 log='' results='' allow_skip='' parse_only='' modules="vfio_ap zcrypt_cex4"
envs=() qargs=()
CASES=(apmask_busy aqmask_busy apmask_no_conflict aqmask_no_conflict assign_reserved assign_shared mask_syntax bad_input stress)
tests='' reprobe=report cases_given=
while [ $# -gt 0 ]; do
	case $1 in
	--label) label=$2; shift ;;
	--kernel-build) kbuild=$2; shift ;;
	--selftest) selftest=$2; shift ;;
	--expect) expect=$2; shift ;;
	--apmask) apmask=$2; shift ;;
	--aqmask) aqmask=$2; shift ;;
	--env) envs+=("$2"); shift ;;
	--modules) modules=$2; shift ;;
	--ap) ap=$2; shift ;;
	--qemu-args) read -r -a _q <<<"$2"; qargs+=("${_q[@]}"); shift ;;
	--qemu-arg) qargs+=("$2"); shift ;;
	--append) append=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--results) results=$2; shift ;;
	--allow-skip) allow_skip=1 ;;
	--cases) IFS=, read -r -a CASES <<<"$2"; cases_given=1; shift ;;
	--tests) tests=$2; shift ;;
	--reprobe) reprobe=$2; shift ;;
	--parse-only) parse_only=$2; shift ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "selftest: unknown option '$1' (see --help)" ;;
	esac
	shift
done
case $expect in pass | fail-inuse | must-fail:* | lockdep | lockdep:*) ;; *) die "selftest: --expect pass|fail-inuse|must-fail:CASE,..|lockdep[:LOCK,..]" ;; esac
[ -n "$label" ] || label=$(basename "${kbuild:-${parse_only:-vm}}")

vmrc=0
if [ -z "$parse_only" ]; then
	[ -n "$kbuild" ] || die "selftest: --kernel-build DIR is required"
	[ -e "$selftest" ] || die "selftest: --selftest DIR (the static s390x test binaries) is required"
	adds=()
	if [ -f "$selftest" ]; then	# one binary: the single-file selftest before the split
		tests=$(basename "$selftest")
		selftest=$(dirname "$selftest")
	fi
	for t in ${tests:-$(cd "$selftest" && ls vfio_ap_*_test 2>/dev/null)}; do
		[ -x "$selftest/$t" ] || die "selftest: no test binary $selftest/$t"
		file -L "$selftest/$t" 2>/dev/null | matches 'S/390.*statically linked' ||
			say "selftest: warning: $selftest/$t does not look like a static s390x binary"
		adds+=(--add "$selftest/$t:/vfio_ap/$t")
	done
	[ ${#adds[@]} -gt 0 ] || die "selftest: no vfio_ap_*_test binary in $selftest"
	if [ -z "$cases_given" ] && [ "$tests" = vfio_ap_test ]; then	# its case names
		CASES=(apmask_busy aqmask_busy assign_reserved assign_shared mask_no_conflict mask_syntax bad_input stress)
	fi
	log=${log:-$LOGDIR/check-vm-$label.log}
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	{
		echo "APMASK='${apmask//\'/}'"
		echo "AQMASK='${aqmask//\'/}'"
		echo "MODULES='${modules//\'/}'"
		for e in "${envs[@]}"; do
			case $e in [A-Za-z_]*=*) printf 'export %s=%q\n' "${e%%=*}" "${e#*=}" ;; esac
		done
		cat "$TOP/tests/selftest/vm.sh"
	} >"$tmp/test.sh"
	ma=()
	[ -n "$ap" ] && ma+=(--ap "$ap")
	[ -n "$append" ] && ma+=(--append "$append")
	for q in "${qargs[@]}"; do ma+=(--qemu-arg "$q"); done
	"$TOP/scripts/run-vm.sh" --kernel-build "$kbuild" --script "$tmp/test.sh" \
		"${adds[@]}" --timeout "$timeout" --log "$log" --quiet \
		"${ma[@]}" || vmrc=$?
else
	log=$parse_only
	[ -f "$log" ] || die "selftest: no log $log"
fi

# ---------------------------------------------------------------------------
# Judge: tests/judge/judge.py parses the TAP, scans the kernel's lines with
# the one pattern file and applies the expectation (same code for a live run
# and for --parse-only).
ja=(selftest "$log" --label "$label" --expect "$expect" --cases "$(IFS=,; echo "${CASES[*]}")" --reprobe "$reprobe")
[ -n "$results" ] && ja+=(--results "$results")
[ -n "$allow_skip" ] && ja+=(--allow-skip)
[ -z "$parse_only" ] && ja+=(--vm-exit "$vmrc" --timeout "$timeout")
exec python3 "$TOP/tests/judge/judge.py" "${ja[@]}"
