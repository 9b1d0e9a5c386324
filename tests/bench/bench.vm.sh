# shellcheck shell=sh
# bench-vm.sh: runs INSIDE the VM (busybox sh) for make bench; host side:
# tests/bench/bench.sh. Emulated adapters 0-3 x domains 0-63 (256 APQNs).
# Parameters from the kernel command line (no eval, nothing sourced):
#   bench.sizes=1,16,256  mdev counts, ascending
#   bench.reps=N          timed repetitions of an accepted write (default 200)
#   bench.rreps=N         timed repetitions of a refused write (default 50;
#                         a refusal may log a line per mdev to the console)
#   bench.hreps=N         further repetitions when the "refused" write is
#                         accepted and moves every queue (default 0: the
#                         one write of the log count is the sample; each
#                         takes seconds to a minute under TCG)
#   bench.rlwait=S        seconds of quiet before the one-write log count,
#                         so a rate limit of the refusal message has reset
#                         (default 6)
# mdev i (0-based) holds exactly one APQN: adapter i/64, domain i%64.
# Every timed write is done by /apwrite (tests/bench/apwrite.c), which
# times the write(2) alone with CLOCK_MONOTONIC and undoes it untimed.
#
# State A: apmask has adapters 0-3 clear (theirs queues belong to vfio_ap),
# aqmask all set. State B: aqmask has domains 0-63 clear, apmask all set.
# Both leave every configured queue to vfio_ap; A tests apmask, B aqmask.
#   accepted  +10 (apmask, state A) / +100 (aqmask, state B): reserves
#             APQNs no mdev holds (nothing is configured there), so a
#             protecting kernel asks vfio_ap and scans every mdev, and the
#             bus walks its devices; undo -10 / -100
#   refused   +0-3 (apmask, A) / +0-63 (aqmask, B): reserves every
#             configured APQN, so every mdev blocks it; a protecting kernel
#             refuses (EBUSY), a kernel without protection accepts it and
#             moves all 256 queues to zcrypt_cex4; undo -0-3 / -0-63 (moves
#             them back)
# Output (one line each):
#   BENCH-ROW: SIZE CASE <apwrite fields>
#   BENCH-LOG: SIZE MASK LINES RESULT ALL (kernel log lines of ONE refused
#                                        write: from the AP bus/vfio_ap, all)
#   BENCH-LOGLINE: SIZE MASK TEXT       (the first eight of those lines)
#   BENCH-ERR: TEXT                     (setup failure; exit 1)

param() { # NAME DEFAULT: value of bench.NAME on the kernel command line
	v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^bench\\.$1=//p" | tail -n 1)
	case $v in
	'' | *[!0-9,]*) echo "$2" ;;
	*) echo "$v" ;;
	esac
}
SIZES=$(param sizes 1,16,256 | tr ',' ' ')
REPS=$(param reps 200)
RREPS=$(param rreps 50)
HREPS=$(param hreps 0)
RLWAIT=$(param rlwait 6)
AP=/sys/bus/ap
TYPE=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough

fail() {
	echo "BENCH-ERR: $*"
	exit 1
}
w() { # FILE VALUE: a setup write that must succeed
	echo "$2" >"$1" || fail "write '$2' > $1 refused"
}

echo "BENCH-START: $(uname -r) sizes=$SIZES reps=$REPS rreps=$RREPS hreps=$HREPS rlwait=$RLWAIT"
w $AP/apmask -0-3
modprobe zcrypt_cex4 || fail "modprobe zcrypt_cex4"
modprobe vfio_ap || fail "modprobe vfio_ap"
count() { # the number of existing paths among the arguments (a glob)
	c=0
	for p in "$@"; do [ -e "$p" ] && c=$((c + 1)); done
	echo $c
}
i=0
while [ "$(count "$AP"/drivers/vfio_ap/0[0-3].00[0-3]?)" -lt 256 ]; do
	[ $i -lt 120 ] || fail "only $(count "$AP"/drivers/vfio_ap/0[0-3].00[0-3]?) of 256 queues bound to vfio_ap after 120 s"
	sleep 1
	i=$((i + 1))
done
echo "BENCH-READY: 256 queues bound to vfio_ap after ${i} s"

uuid() { printf '7c0ffee0-0000-4000-8000-%012x' "$1"; }
have=0
grow() { # N: create mdevs have..N-1
	while [ $have -lt "$1" ]; do
		u=$(uuid $have)
		w $TYPE/create "$u"
		w /sys/bus/mdev/devices/"$u"/assign_adapter $((have / 64))
		w /sys/bus/mdev/devices/"$u"/assign_domain $((have % 64))
		have=$((have + 1))
	done
}

onelog() { # SIZE MASK VALUE: kernel log lines of one refused write
	sleep "$RLWAIT"
	dmesg -c >/dev/null
	/apwrite -n 1 -w 0 "$AP/$2" "$3" >/tmp/bench.one
	r=$(sed -n 's/^APWRITE .* res=\([^ ]*\) .*$/\1/p' /tmp/bench.one)
	dmesg >/tmp/bench.log
	# the refusal's lines come from the AP bus or vfio_ap; other kernel
	# messages in the same window (e.g. "random: crng init done") are
	# counted apart
	rel=$(grep -c -E 'vfio_ap|mdev|apmask|aqmask|ap_bus|zcrypt' /tmp/bench.log)
	echo "BENCH-LOG: $1 $2 $rel ${r:-none} $(wc -l </tmp/bench.log)"
	head -n 8 /tmp/bench.log | sed "s/^/BENCH-LOGLINE: $1 $2 /"
	case $r in
	ok*) echo "$r" >/tmp/bench.accepted ;;
	*) : >/tmp/bench.accepted ;;
	esac
}

WARM=2
timed() { # SIZE CASE MASK VALUE UNDO REPS [RESULT]: RESULT = ok: must be accepted
	out=$(/apwrite -n "$6" -w "$WARM" -u "$5" ${7:+-e "$7"} "$AP/$3" "$4" 2>&1) || fail "$2 at $1 mdevs: $out"
	echo "BENCH-ROW: $1 $2 ${out#APWRITE }"
}

refused() { # SIZE MASK VALUE UNDO: log count, then the timed writes
	onelog "$1" "$2" "$3"
	if [ -s /tmp/bench.accepted ]; then
		# accepted: it moved every queue (seconds to a minute under TCG);
		# undo it; the write just timed is the sample, plus HREPS more
		w "$AP/$2" "$4"
		if [ "$HREPS" -gt 0 ]; then
			WARM=0
			timed "$1" "$2-refused" "$2" "$3" "$4" "$HREPS"
			WARM=2
		else
			out=$(cat /tmp/bench.one)
			echo "BENCH-ROW: $1 $2-refused ${out#APWRITE }"
		fi
	else
		timed "$1" "$2-refused" "$2" "$3" "$4" "$RREPS"
	fi
}

for n in $SIZES; do
	grow "$n"
	echo "BENCH-SIZE: $n mdevs, $(cat /sys/devices/vfio_ap/matrix/*/matrix 2>/dev/null | wc -l) APQNs assigned"
	# state A
	timed "$n" apmask-accepted apmask +10 -10 "$REPS" ok
	refused "$n" apmask +0-3 -0-3
	# state A -> B
	w $AP/aqmask -0-63
	w $AP/apmask +0-3
	timed "$n" aqmask-accepted aqmask +100 -100 "$REPS" ok
	refused "$n" aqmask +0-63 -0-63
	# state B -> A
	w $AP/apmask -0-3
	w $AP/aqmask +0-63
done
echo "BENCH-DONE"
