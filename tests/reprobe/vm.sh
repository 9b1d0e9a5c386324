# shellcheck shell=dash  # busybox ash, run in the VM
# reprobe.sh: runs INSIDE the VM (busybox sh) as /test.sh; the host side is
# tests/reprobe/stage.sh, which prepends "MODE=series" or "MODE=base".
# A KVM host that loads only vfio_ap (no default zcrypt queue driver) gives
# adapter 0x$A to vfio_ap with "echo -0x$A > /sys/bus/ap/apmask". The AP bus
# must then probe the queues of that adapter, which have no driver, so that
# vfio_ap binds them, without anybody writing /sys/bus/ap/drivers_probe.
#   MODE=series  the queues bind to vfio_ap; "+0x$A" releases them again
#   MODE=base    negative control: 5.10.223 computes the "default driver"
#                flag of a queue without a driver from address 0 (lowcore)
#                and skips the reprobe: the queues stay unbound
# Needs the default kernel command line (every adapter and domain reserved
# for the default drivers) and emulated adapter 0x$A with queues.
MODE=${MODE:-series}
A=${A:-01}
fails=0
pass() { echo "PASS: reprobe: [$MODE] $*"; }
fail() { echo "FAIL: reprobe: [$MODE] $*"; fails=$((fails + 1)); }
drv() { # drv APQN -> driver the queue is bound to, or "-"
	l=$(readlink "/sys/bus/ap/devices/$1/driver" 2>/dev/null) && basename "$l" || echo -
}
drivers_of_adapter() { # one line "APQN=driver ..." for the queues of $A
	for d in /sys/bus/ap/devices/$A.????; do
		[ -e "$d" ] || continue
		q=${d##*/}
		printf '%s=%s ' "$q" "$(drv "$q")"
	done
}
all_queues() { # all_queues DRIVER: every queue of $A is bound to DRIVER ("-": none)
	n=0
	for d in /sys/bus/ap/devices/$A.????; do
		[ -e "$d" ] || continue
		n=$((n + 1))
		[ "$(drv "${d##*/}")" = "$1" ] || return 1
	done
	[ "$n" -gt 0 ]
}
wait_for() { # wait_for SECONDS DRIVER
	i=0
	while [ "$i" -lt "$1" ]; do
		all_queues "$2" && return 0
		sleep 1
		i=$((i + 1))
	done
	all_queues "$2"
}

modprobe vfio_ap || fail "modprobe vfio_ap"
# The bus scans asynchronously: wait for the queues of adapter $A.
i=0
while [ $i -lt 30 ] && [ "$(ls -d /sys/bus/ap/devices/$A.???? 2>/dev/null | wc -l)" -lt 1 ]; do
	sleep 1
	i=$((i + 1))
done
sleep 2
echo "INFO: reprobe: [$MODE] drivers: $(ls /sys/bus/ap/drivers | tr '\n' ' ')"
echo "INFO: reprobe: [$MODE] apmask before: $(cat /sys/bus/ap/apmask)"
echo "INFO: reprobe: [$MODE] before: $(drivers_of_adapter)"
if [ -e /sys/bus/ap/drivers/cex4queue ] || ! [ -e /sys/bus/ap/drivers/vfio_ap ]; then
	fail "setup: only vfio_ap must be loaded (drivers: $(ls /sys/bus/ap/drivers | tr '\n' ' '))"
elif ! all_queues -; then
	fail "setup: the queues of adapter $A are reserved for the default drivers and unbound ($(drivers_of_adapter))"
else
	pass "setup: only vfio_ap loaded, the queues of adapter $A exist and have no driver"
	echo "-0x$A" >/sys/bus/ap/apmask
	# shellcheck disable=SC2320 # the write's own status is what we want
	wrc=$?
	[ "$wrc" -eq 0 ] || fail "echo -0x$A > /sys/bus/ap/apmask failed (exit $wrc)"
	wait_for 10 vfio_ap
	bound=$?
	echo "INFO: reprobe: [$MODE] after -0x$A: $(drivers_of_adapter)"
	if [ "$MODE" = series ]; then
		if [ "$bound" -eq 0 ]; then
			pass "echo -0x$A > apmask binds every queue of adapter $A to vfio_ap, without drivers_probe"
		else
			fail "echo -0x$A > apmask did not bind the queues of adapter $A to vfio_ap: $(drivers_of_adapter)"
		fi
		echo "+0x$A" >/sys/bus/ap/apmask
		if wait_for 10 -; then
			pass "echo +0x$A > apmask releases them again (no default driver loaded: unbound)"
		else
			fail "echo +0x$A > apmask did not release the queues of adapter $A: $(drivers_of_adapter)"
		fi
	else
		if all_queues -; then
			pass "negative control: on base the queues of adapter $A stay unbound after -0x$A (no reprobe)"
		else
			fail "negative control: on base the queues of adapter $A were bound: $(drivers_of_adapter)"
		fi
	fi
fi
if dmesg | grep -qE "possible circular locking|possible recursive locking|BUG:|WARNING:|INFO: task .* blocked|Call Trace"; then
	fail "kernel log has a lockdep/BUG/WARNING report"
	dmesg | grep -E -A30 "possible circular|possible recursive|BUG:|WARNING:|blocked for" | sed 's/^/KLOG| /'
else
	pass "no lockdep, BUG or WARNING report in the kernel log"
fi
[ "$fails" -eq 0 ]
