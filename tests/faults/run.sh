#!/usr/bin/env bash
# tests/faults/run.sh (make faults): kernel cases that use the emulator's
# QMP faults (issue 14, part 2). Not part of make check: it needs both
# kernels and five VM runs (about 4 minutes on a loaded 2-core machine).
#   adapter-gone  tests/faults/adapter-gone.vm.sh: adapter 2 deconfigured
#                 and reconfigured (s390-ap-emu-configure) while its APQNs
#                 are assigned to an mdev and apmask/aqmask writes and
#                 assign/unassign loops run. Every check must pass on
#                 5.10 + series. Negative control: with the emulator's
#                 configuration-change event suppressed (qmp.py --planted
#                 no-notify; the guest's periodic scan is set to 120 s) the
#                 "card02 removed" check must fail.
#   queue-stuck   tests/faults/queue-stuck.vm.sh: queue 02.0004 of the
#                 mdev answers deconfigured, checkstopped, busy and
#                 reset-in-progress in turn while it is unbound from
#                 vfio_ap (whose remove callback resets it). Every PASS
#                 check must pass on 5.10 + series; a WARNING in 5.10's
#                 vfio_ap_mdev_reset_queue() is reported as a FINDING of
#                 the 5.10 code (the series does not touch it), any other
#                 WARNING fails. The trace event s390_ap_emu_fault_hit
#                 must show each code applied to 02.0004. Negative
#                 control: with the injections dropped (--planted
#                 no-faults) that trace check must fail.
# The base runs the same cases; its lines are reported as they come
# (BASE-PASS/BASE-FAIL): what the base shows, not a verdict.
#   KERNELS  kernel variants (default "series base")
#   CASES    cases (default "adapter-gone queue-stuck")
# Prints PASS:/FAIL: lines; exits non-zero if a series check or a
# negative control fails.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

KERNELS=${KERNELS:-"series base"}
CASES=${CASES:-"adapter-gone queue-stuck"}
AP=adapters=0-3,domains=0-7,reset-time-us=0
# adapter 2 to vfio_ap, the others to zcrypt
APMASK=0xdfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
fails=0
pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$TOP/scripts/build-qemu.sh" >/dev/null || die "FAILED: stage 'faults' (QEMU build)"
qdir=$LOGDIR/qmp
[ -d "$qdir" ] || mkdir -m 700 "$qdir"

# vm KERNEL CASE LABEL [PLANTED]: one run; sets log (console) and rc
vm() {
	local k=$1 case=$2 label=$3 planted=${4:-} kb
	kb=$(BISECT=0 "$TOP/scripts/variants.sh" "$k" | tail -n 1) || die "FAILED: stage 'faults' ($k kernel build)"
	{ echo "KV='5.10 $label'"; cat "$TOP/tests/faults/$case.vm.sh"; } >"$tmp/$case-$label.sh"
	log=$(logfile "faults-$case-$label")
	rc=0
	"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --script "$tmp/$case-$label.sh" --ap "$AP" \
		--append "ap.apmask=$APMASK" --qmp "$qdir/$case-$label.sock" \
		--qmp-follow "${planted:+--planted $planted}" \
		--qemu-arg -trace --qemu-arg s390_ap_emu_fault_hit --qemu-arg -D --qemu-arg "$log.trace" \
		--timeout 900 --quiet --log "$log" || rc=$?
	say "== $case, 5.10 $label: VM exit $rc, console log: $log (QMP: $log.qmp, trace: $log.trace)"
}
lines() { tr -d '\r' <"$log" | grep -E '^(PASS|FAIL|INFO|WARN-SITE): |^  \| '; }
# fault_hits: the codes the trace shows applied to 02.0004
fault_hits() {
	local c v
	for c in deconfigured:0x3 checkstopped:0x4 busy:0x5 reset-in-progress:0x2; do
		v=${c#*:}
		grep -q "s390_ap_emu_fault_hit apqn 0x02.0x0004 response-code value $v$" "$log.trace" 2>/dev/null &&
			printf '%s ' "${c%%:*}"
	done
}
HITS_ALL='deconfigured checkstopped busy reset-in-progress '

for case in $CASES; do
	case $case in adapter-gone | queue-stuck) ;; *) die "faults: CASES: adapter-gone or queue-stuck" ;; esac
	for k in $KERNELS; do
		case $k in series | base) ;; *) die "faults: KERNELS: series or base" ;; esac
		start=$(date +%s)
		vm "$k" "$case" "$k"
		secs=$(($(date +%s) - start))
		if [ "$k" = series ]; then
			lines | grep -v '^WARN-SITE: '
			[ "$rc" -eq 0 ] && pass "5.10 series: $case: every check passed ($secs s)" ||
				fail "5.10 series: $case: VM exit $rc ($secs s)"
		else
			lines | grep -v '^WARN-SITE: ' | sed 's/^FAIL: /BASE-FAIL: /; s/^PASS: /BASE-PASS: /'
			say "INFO: 5.10 base: $case: VM exit $rc ($secs s)"
		fi
		while IFS= read -r w; do
			case $w in
			*vfio_ap_mdev_reset_queue*) say "FINDING: ${w#WARN-SITE: }" ;;
			*) if [ "$k" = series ]; then fail "unexpected ${w#WARN-SITE: }"; else say "BASE-FAIL: ${w#WARN-SITE: }"; fi ;;
			esac
		done < <(lines | grep '^WARN-SITE: ')
		if [ "$case" = queue-stuck ]; then
			h=$(fault_hits)
			if [ "$h" = "$HITS_ALL" ]; then
				pass "5.10 $k: queue-stuck: the trace shows each code applied to 02.0004 ($h)"
			else
				fail "5.10 $k: queue-stuck: the trace shows only '$h' applied to 02.0004"
			fi
		fi
		! grep -q '^QMP-ERR' "$log.qmp" || fail "5.10 $k: $case: a QMP command failed, see $log.qmp"
	done
done

# negative controls, on the series
case " $KERNELS " in *" series "*)
	case " $CASES " in *" adapter-gone "*)
		vm series adapter-gone series-no-notify no-notify
		if tr -d '\r' <"$log" | matches '^FAIL: .*adapter 2 deconfigured: card02 still there'; then
			pass "negative control (planted no-notify, the emulator skips the configuration-change event): adapter-gone notices"
			tr -d '\r' <"$log" | grep '^FAIL: ' | sed 's/^/  | /'
		else
			fail "negative control (planted no-notify): adapter-gone did not notice the missing event, log: $log"
		fi
		;;
	esac
	case " $CASES " in *" queue-stuck "*)
		vm series queue-stuck series-no-faults no-faults
		h=$(fault_hits)
		if [ -z "$h" ]; then
			pass "negative control (planted no-faults, the injections dropped): queue-stuck's trace check fails: no code applied to 02.0004"
		else
			fail "negative control (planted no-faults): the trace still shows '$h', log: $log"
		fi
		;;
	esac
	;;
esac
say "faults: $fails failure(s)"
[ "$fails" -eq 0 ]
