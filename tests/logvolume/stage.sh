#!/usr/bin/env bash
# order: 46
# logvolume stage: what one refused mask write costs in kernel log lines,
# on 5.10 + series, with the unpatched 5.10.223 as the negative control.
# The VM script is tests/anchors/logvolume.vm.sh (shared with make anchors
# and the 6.12 series): one mdev holds adapter 2 x domains 0-63 (64 APQNs,
# s390-ap-emu domains=0-63), "echo +2 > apmask" is written once, then 20
# times in a row, and once more after 6 s.
#   series  each refused write returns EBUSY; the first logs at most
#           VFIO_AP_IN_USE_LOG_MDEVS + 1 = 5 lines, naming the mdev and its
#           APQNs in hex (02.0000); the one after the burst logs at most 2
#           lines (1 mdev + the count of the reports the rate limit
#           dropped), and never the rate limiter's "callbacks suppressed"
#   base    negative control: the write is accepted (no refusal at all)
# The judge scans each console for lockdep reports, WARNINGs, BUGs, Oopses.
# A negative control that passes is a FAIL. Missing builds are made.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
S=$TOP/scripts
U=7c0ffee0-0000-4000-8000-000000000064

pass() { say "PASS: logvolume: $*"; }
failm() { say "FAIL: logvolume: $*"; rc=1; }
line() { tr -d '\r' <"$1" | sed -n "s/^$2: //p" | tail -n 1; }
klines() { tr -d '\r' <"$1" | sed -n "s/^$2: \[[ 0-9.]*\] //p"; }

stage_qemu logvolume || exit 1
rc=0
for k in series base; do
	stage_kernel logvolume "$k" || { rc=1; continue; }
	kb=$KB
	log=$LOGDIR/logvolume-$k.log
	start=$(date +%s)
	vrc=0
	"$S/run-vm.sh" --kernel-build "$kb" --script "$TOP/tests/anchors/logvolume.vm.sh" \
		--ap adapters=0-3,domains=0-63,reset-time-us=0 \
		--append "quiet ap.apmask=0xdf$(printf 'f%.0s' $(seq 62))" \
		--timeout "${LOGVOLUME_TIMEOUT:-300}" --quiet --log "$log" || vrc=$?
	python3 "$TOP/tests/judge/judge.py" console "$log" --label "logvolume: [$k]" || rc=1
	[ "$vrc" -eq 0 ] || failm "[$k] the VM did not finish (exit $vrc), log: $log"
	one=$(line "$log" LOGVOL)
	burst=$(line "$log" LOGVOL-BURST)
	if [ "$k" = base ]; then
		case $one in
		*"resource busy"*) failm "negative control: base refused the write ($one), log: $log" ;;
		"") failm "negative control: no LOGVOL line, log: $log" ;;
		*) pass "negative control: base accepts the write that takes the mdev's 64 APQNs (write status $(echo "$one" | cut -d' ' -f2)), so nothing is refused or logged" ;;
		esac
	else
		n=${one%% *}
		case $one in
		*"resource busy"*)
			if [ "$n" -ge 1 ] && [ "$n" -le 5 ] && klines "$log" LOGVOL-LINE | matches "mdev $U holds 02\.0000,"; then
				pass "[$k] one refused write of 64 APQNs: EBUSY, $n line(s), naming the mdev and its APQNs in hex"
			else
				failm "[$k] one refused write: $n line(s) (1-5 naming mdev $U with 02.0000 expected), log: $log"
			fi
			;;
		*) failm "[$k] the write was not refused with EBUSY ($one), log: $log" ;;
		esac
		n=${burst%% *}
		case $burst in
		*"resource busy"*)
			if [ "$n" -le 2 ] && klines "$log" LOGVOL-BURST-LINE | matches 'earlier refusals were not logged' &&
				! klines "$log" LOGVOL-BURST-LINE | matches 'callbacks suppressed'; then
				pass "[$k] after a burst of 20 refusals the next one logs $n lines: \"$(klines "$log" LOGVOL-BURST-LINE | tail -n 1 | sed 's/^vfio_ap matrix: //')\""
			else
				failm "[$k] after a burst: $n lines (<= 2, counting the dropped reports, expected), log: $log"
			fi
			;;
		*) failm "[$k] the write after the burst was not refused with EBUSY ($burst), log: $log" ;;
		esac
	fi
	say "logvolume [$k]: $(($(date +%s) - start)) s, console log: $log"
done
exit "$rc"
