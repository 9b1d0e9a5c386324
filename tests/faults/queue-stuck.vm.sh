# shellcheck shell=dash  # busybox ash, run in the VM as /test.sh
# tests/faults/queue-stuck.vm.sh: the in-VM side of tests/faults/run.sh,
# case queue-stuck. Queue 02.0004, assigned to a vfio_ap mdev, is made to
# answer every AP instruction with one response code (QMP
# s390-ap-emu-inject-fault, no limit) and is then unbound from vfio_ap,
# whose remove callback resets it (ZAPQ) under matrix_dev->lock. Codes in
# turn: deconfigured, checkstopped, busy, reset-in-progress (a reset that
# never ends). Each injection is followed by a doorbell: domain 7 (not the
# mdev's) leaves or rejoins the configuration and the guest waits for the
# AP bus to see it, so the injection is in place before the unbind (the
# follower runs the QMP-REQ lines in order). The host prepends KV.
# Expected: every unbind returns (no task hangs on matrix_dev->lock), the
# queue binds to vfio_ap again once the fault is cleared, the mdev keeps
# its assignment and can be removed, no lockdep report. WARNINGs are
# printed with their site; the host (tests/faults/run.sh) decides which
# are known 5.10 findings. Prints PASS:/FAIL:/WARN-SITE: lines.
dmesg -n 1
n=0
ok() { echo "PASS: $KV: $*"; }
ko() { echo "FAIL: $KV: $*"; n=$((n + 1)); }
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds (wall clock)
	e=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -le $e ]; do "$@" && return 0; sleep 0.2; done
	return 1
}
drv() { [ -e "/sys/bus/ap/devices/$1/driver" ] && basename "$(readlink "/sys/bus/ap/devices/$1/driver")"; }
is() { [ "$(drv "$1")" = "$2" ]; }
d7_gone() { [ ! -e /sys/bus/ap/devices/00.0007 ]; }
d7_there() { [ -e /sys/bus/ap/devices/00.0007 ]; }
door=in
doorbell() { # doorbell WHAT: after a QMP-REQ, wait until it is done
	if [ $door = in ]; then
		door=out cfg=false check=d7_gone
	else
		door=in cfg=true check=d7_there
	fi
	echo "QMP-REQ: {\"execute\": \"s390-ap-emu-configure\", \"arguments\": {\"domain\": 7, \"configured\": $cfg}}"
	wait_for 30 $check || ko "$1: doorbell (domain 7 $door) not seen in 30 s"
}
warns() { dmesg | grep -c "WARNING:"; }

modprobe zcrypt_cex4 && modprobe vfio_ap && ok "modprobe zcrypt_cex4 vfio_ap" || ko "modprobe"
wait_for 30 is 02.0004 vfio_ap && ok "02.0004 on vfio_ap" || ko "02.0004 on '$(drv 02.0004)'"
t=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
u=6ab1c2d3-7e8f-4a0b-9c1d-2e3f4a5b6c7d
m=/sys/bus/mdev/devices/$u
if echo $u >$t/create && echo 0x02 >$m/assign_adapter && echo 0x03 >$m/assign_domain &&
	echo 0x04 >$m/assign_domain; then
	ok "mdev $u holds 02.0003 and 02.0004"
else
	ko "mdev create/assign"
fi

for code in deconfigured checkstopped busy reset-in-progress; do
	echo "QMP-REQ: {\"execute\": \"s390-ap-emu-inject-fault\", \"arguments\": {\"adapter\": 2, \"domain\": 4, \"type\": \"response-code\", \"code\": \"$code\"}}"
	doorbell "$code"
	w0=$(warns)
	s=$(date +%s)
	if timeout 120 sh -c 'echo 02.0004 > /sys/bus/ap/drivers/vfio_ap/unbind'; then
		ok "$code: unbind of 02.0004 from vfio_ap returned after $(($(date +%s) - s)) s"
	else
		ko "$code: unbind of 02.0004 failed or hung ($(($(date +%s) - s)) s)"
	fi
	if [ "$(warns)" -gt "$w0" ]; then
		dmesg | grep "WARNING:" | tail -n $(($(warns) - w0)) | sed "s/^.*WARNING:/WARN-SITE: $KV: $code:/"
	else
		echo "INFO: $KV: $code: no WARNING"
	fi
	echo "QMP-REQ: {\"execute\": \"s390-ap-emu-clear-faults\", \"arguments\": {\"adapter\": 2, \"domain\": 4}}"
	doorbell "$code cleared"
	echo 02.0004 >/sys/bus/ap/drivers/vfio_ap/bind 2>/dev/null
	if wait_for 30 is 02.0004 vfio_ap; then
		ok "$code: fault cleared, 02.0004 bound to vfio_ap again"
	else
		ko "$code: fault cleared, 02.0004 on '$(drv 02.0004)'"
	fi
done
grep -qx 02.0004 $m/matrix && ok "the mdev still holds 02.0004" || ko "mdev matrix: $(cat $m/matrix)"
if timeout 30 sh -c "echo 1 > $m/remove" && [ ! -e $m ]; then
	ok "mdev removed"
else
	ko "mdev remove"
fi
dmesg >/tmp/dmesg
if grep -qE "BUG:|Oops|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU|INFO: task .* blocked" /tmp/dmesg; then
	ko "kernel log has a BUG/lockdep/hung-task report:"
	grep -E -A12 "BUG:|Oops|possible circular|possible recursive|inconsistent lock|suspicious RCU|INFO: task" /tmp/dmesg | head -40 | sed 's/^/  | /'
else
	ok "kernel log free of BUG/lockdep/hung-task reports"
fi
grep -E -A3 "WARNING:" /tmp/dmesg | grep -E "WARNING:|RIP|Krnl PSW|PQAP|invalid rc" | head -12 | sed "s/^/INFO: $KV: dmesg: /"
exit $n
