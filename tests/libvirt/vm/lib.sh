# shellcheck shell=dash disable=SC2154 # fails, MODE, T: set by lib.sh / host.sh
# lib.sh: sourced by the VM side of tests/libvirt (Debian's sh = dash), put
# in front of each test in the payload by tests/libvirt/host.sh, which
# also sets MODE (series: the protection must hold; base: negative control,
# the hole is open) and T (the test's name in PASS/FAIL lines).
#   "DEMO| # cmd"  what the admin types;  "DEMO| text"  what comes back
#   "PASS: libvirt: ..." / "FAIL: libvirt: ..."  checks
fails=0
say() { echo "DEMO| $*"; }
note() { echo "DEMO| -- $*"; }
pass() { echo "PASS: libvirt: $T [$MODE] $*"; }
fail() { echo "FAIL: libvirt: $T [$MODE] $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION CONDITION...
	d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
# run CMD: show it as typed, run it, show its output (also in /tmp/run.out);
# returns its exit code.
run() {
	say "# $*"
	(eval "$*") >/tmp/run.out 2>&1
	rc=$?
	sed 's/^/DEMO| /' /tmp/run.out
	[ "$rc" -eq 0 ] || say "(exit status $rc)"
	return $rc
}
drv() { # drv APQN -> driver the queue is bound to, or "-"
	l=$(readlink "/sys/bus/ap/devices/$1/driver" 2>/dev/null) && basename "$l" || echo -
}
lsz_drv() { # lszcrypt's DRIVER column (last field) for APQN
	lszcrypt -V 2>/dev/null | awk -v q="$1" '$1 == q { print $NF }'
}
wait_queues() { # until every AP queue has a driver (60 s at most)
	i=0
	while [ $i -lt 60 ]; do
		n=$(ls -d /sys/bus/ap/devices/??.???? 2>/dev/null | wc -l)
		b=$(ls -d /sys/bus/ap/devices/??.????/driver 2>/dev/null | wc -l)
		[ "$n" -gt 0 ] && [ "$n" -eq "$b" ] && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}
kernel_reports() { # a lockdep/BUG/WARNING report in the kernel log fails the run
	if dmesg | grep -qE "possible circular locking|possible recursive locking|BUG:|WARNING:|INFO: task .* blocked|Call Trace"; then
		fail "kernel log has a lockdep/BUG/WARNING report"
		dmesg | grep -E -A30 "possible circular|possible recursive|BUG:|WARNING:|blocked for" | sed 's/^/KLOG| /'
	else
		pass "no lockdep, BUG or WARNING report in the kernel log"
	fi
}
