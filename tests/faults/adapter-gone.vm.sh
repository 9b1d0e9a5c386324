# shellcheck shell=dash  # busybox ash, run in the VM as /test.sh
# tests/faults/adapter-gone.vm.sh: the in-VM side of tests/faults/run.sh.
# An adapter is deconfigured (QMP, through the "QMP-REQ:" console lines
# that scripts/qmp.py --follow executes) while its APQNs are assigned to
# a vfio_ap mdev and apmask/aqmask writes and assign/unassign loops run;
# then it comes back. The host prepends KV (kernel name).
# Expected on 5.10 + series: the AP bus removes card02 and its queues at
# once (the configuration-change event; the periodic scan is set to 120
# s so it cannot stand in for the event), no task hangs, the mdev keeps
# its assignment and its matrix stays readable, nothing is both reserved
# by the masks and assigned, the adapter's queues return to vfio_ap, the
# mdev can be removed, and the console has no WARNING/BUG/lockdep report.
# Prints PASS:/FAIL: lines; exits with the failure count.
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
gone() { [ ! -e /sys/bus/ap/devices/card02 ] && [ ! -e /sys/bus/ap/devices/02.0003 ]; }
back() { [ -e /sys/bus/ap/devices/card02 ] && is 02.0003 vfio_ap && is 02.0004 vfio_ap; }
# bit MASKFILE N: bit N (0 = leftmost) of a 256-bit sysfs mask is set
bit() {
	m=$(cat "$1")
	m=${m#0x}
	d=$(echo "$m" | cut -c$(($2 / 4 + 1)))
	[ $(((0x$d >> (3 - $2 % 4)) & 1)) -eq 1 ]
}
# the design's invariant: no APQN of the mdev is reserved by apmask+aqmask
invariant() {
	for q in $(cat "$m/matrix"); do
		a=$((0x${q%%.*})) d=$((0x${q#*.}))
		if bit /sys/bus/ap/apmask $a && bit /sys/bus/ap/aqmask $d; then
			echo "$q"
			return 1
		fi
	done
	return 0
}

modprobe zcrypt_cex4 && modprobe vfio_ap && ok "modprobe zcrypt_cex4 vfio_ap" || ko "modprobe"
# 120 s, the most 5.10 accepts: the periodic scan cannot stand in for the
# event within the 20 s the removal is given
echo 120 >/sys/bus/ap/config_time && ok "periodic AP bus scan set to 120 s" ||
	ko "config_time: $(cat /sys/bus/ap/config_time)"
wait_for 30 is 02.0003 vfio_ap && ok "02.0003 on vfio_ap (ap.apmask leaves adapter 2 to it)" ||
	ko "02.0003 on '$(drv 02.0003)'"
t=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
u=6ab1c2d3-7e8f-4a0b-9c1d-2e3f4a5b6c7d
m=/sys/bus/mdev/devices/$u
if echo $u >$t/create && echo 0x02 >$m/assign_adapter && echo 0x03 >$m/assign_domain &&
	echo 0x04 >$m/assign_domain; then
	ok "mdev $u holds 02.0003 and 02.0004"
else
	ko "mdev create/assign"
fi

# the load: mask writes for adapter 2 (EBUSY with the series), an aqmask
# write, assign/unassign of domain 5 on the mdev
rm -f /tmp/stop
(while [ ! -e /tmp/stop ]; do
	echo +0x02 >/sys/bus/ap/apmask 2>/dev/null
	echo -0x02 >/sys/bus/ap/apmask 2>/dev/null
done) &
p1=$!
(while [ ! -e /tmp/stop ]; do
	echo -0x05 >/sys/bus/ap/aqmask 2>/dev/null
	echo +0x05 >/sys/bus/ap/aqmask 2>/dev/null
done) &
p2=$!
(while [ ! -e /tmp/stop ]; do
	echo 0x05 >$m/assign_domain 2>/dev/null
	echo 0x05 >$m/unassign_domain 2>/dev/null
done) &
p3=$!
# Sample the invariant while the loops run, before and after the removal.
# The mdev holds 02.0003 and 02.0004 and aqmask keeps domains 3 and 4 (the
# loop toggles domain 5 only), so it breaks exactly when apmask reserves
# adapter 2: bit 2 of the first hex digit. A read of apmask is all a
# sample costs (the full check, invariant(), takes seconds under TCG).
samples=0 broken=0
sample() { # sample SECONDS
	e=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt $e ]; do
		read -r a </sys/bus/ap/apmask
		case $a in 0x[2367abefABEF]*) broken=$((broken + 1)) ;; esac
		samples=$((samples + 1))
	done
}
sample 2

echo 'QMP-REQ: {"execute": "s390-ap-emu-configure", "arguments": {"adapter": 2, "configured": false}}'
s=$(date +%s)
if wait_for 20 gone; then
	ok "adapter 2 deconfigured: card02 and its queues removed after $(($(date +%s) - s)) s (configuration-change event)"
else
	ko "adapter 2 deconfigured: card02 still there after 20 s ($(ls /sys/bus/ap/devices | tr '\n' ' '))"
fi
sample 3
if [ "$broken" -eq 0 ]; then
	ok "invariant held in all $samples samples of apmask under the loops"
else
	ko "invariant broken under the loops: apmask reserved adapter 2 (02.0003, 02.0004 assigned) in $broken of $samples samples"
fi
alive() { kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null || kill -0 $p3 2>/dev/null; }
touch /tmp/stop
if wait_for 30 sh -c "! kill -0 $p1 2>/dev/null && ! kill -0 $p2 2>/dev/null && ! kill -0 $p3 2>/dev/null"; then
	ok "the mask-write and assign loops end (no task hangs)"
else
	ko "a loop still runs 30 s after stop: a task hangs ($(cat /proc/$p1/wchan 2>/dev/null) $(cat /proc/$p2/wchan 2>/dev/null) $(cat /proc/$p3/wchan 2>/dev/null))"
fi
alive && kill $p1 $p2 $p3 2>/dev/null
mx=$(timeout 10 cat $m/matrix)
if echo "$mx" | grep -qx 02.0003 && echo "$mx" | grep -qx 02.0004; then
	ok "adapter gone, the mdev keeps its assignment: matrix $(echo $mx)"
else
	ko "adapter gone: mdev matrix '$(echo $mx)'"
fi
v=$(invariant) && ok "invariant: no APQN of the mdev reserved by apmask/aqmask" ||
	ko "invariant broken: $v reserved by apmask $(cat /sys/bus/ap/apmask) / aqmask $(cat /sys/bus/ap/aqmask) and assigned"

echo 'QMP-REQ: {"execute": "s390-ap-emu-configure", "arguments": {"adapter": 2, "configured": true}}'
s=$(date +%s)
if wait_for 30 back; then
	ok "adapter 2 back after $(($(date +%s) - s)) s: 02.0003 and 02.0004 on vfio_ap again"
else
	ko "adapter 2 back: card02 $([ -e /sys/bus/ap/devices/card02 ] && echo present || echo missing), 02.0003 on '$(drv 02.0003)'"
fi
echo 'QMP-REQ: {"execute": "query-s390-ap-emu"}'
v=$(invariant) && ok "invariant after the return" || ko "invariant after the return: $v"
echo +0x02 >/sys/bus/ap/apmask 2>/tmp/err && r=accepted || r="refused: $(cat /tmp/err)"
echo "INFO: $KV: apmask +0x02 with the mdev holding 02.0003 after the return: $r"
echo -0x02 >/sys/bus/ap/apmask 2>/dev/null
if timeout 30 sh -c "echo 1 > $m/remove" && [ ! -e $m ]; then
	ok "mdev removed"
else
	ko "mdev remove"
fi
dmesg >/tmp/dmesg
if grep -qE "WARNING:|BUG:|Oops|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU|INFO: task .* blocked|Call Trace" /tmp/dmesg; then
	ko "kernel log has a WARNING/BUG/lockdep report:"
	grep -E -A12 "WARNING:|BUG:|Oops|possible circular|possible recursive|inconsistent lock|suspicious RCU|INFO: task" /tmp/dmesg | head -40 | sed 's/^/  | /'
else
	ok "kernel log free of WARNING/BUG/lockdep reports"
fi
grep -iE "vfio_ap|ap_bus|zcrypt" /tmp/dmesg | tail -n 12 | sed "s/^/INFO: $KV: dmesg: /"
exit $n
