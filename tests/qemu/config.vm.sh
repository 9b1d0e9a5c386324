# shellcheck shell=dash  # busybox ash, run in the VM as /test.sh
# tests/qemu/config.vm.sh: the in-VM side of scripts/test-qemu.sh for one
# AP configuration. The host prepends CFG, DEVS, BINDS, APM, AQM, ADM,
# APMASK_PARAM, AQMASK_PARAM, TYPE, FUNCS, FIRSTCARD and FUNCTIONAL (1:
# also the request, apmask, mdev and module checks of the default
# configuration). Prints PASS:/FAIL: lines; exits with the failure count.
dmesg -n 1
n=0
ok() { echo "PASS: $CFG: $*"; }
ko() { echo "FAIL: $CFG: $*"; n=$((n + 1)); }
devs() { ls /sys/bus/ap/devices | sort | tr '\n' ' ' | sed 's/ $//'; }
binds() {
	for d in /sys/bus/ap/devices/*; do
		drv=none
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		echo "$(basename "$d")=$drv"
	done | sort | tr '\n' ' ' | sed 's/ $//'
}
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	t=$(($1 * 5)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.2; t=$((t - 1)); done
	return 1
}
[ -d /sys/bus/ap ] && ok "AP bus present" || ko "AP bus missing"
dmesg | grep -q "does not support AP instructions" &&
	ko "kernel says: no AP instructions" || ok "kernel found AP instructions"
modprobe zcrypt_cex4 && ok "modprobe zcrypt_cex4" || ko "modprobe zcrypt_cex4"
modprobe vfio_ap && ok "modprobe vfio_ap" || ko "modprobe vfio_ap"
same_devs() { [ "$(devs)" = "$DEVS" ]; }
same_binds() { [ "$(binds)" = "$BINDS" ]; }
wait_for 30 same_devs && ok "devices: $(devs)" ||
	ko "devices: got '$(devs)', want '$DEVS'"
wait_for 30 same_binds && ok "bindings as apmask/aqmask say" ||
	ko "bindings: got '$(binds)', want '$BINDS'"
for m in adapter usage_domain control_domain; do
	f=/sys/bus/ap/ap_${m}_mask
	case $m in adapter) want=$APM ;; usage_domain) want=$AQM ;; *) want=$ADM ;; esac
	[ "$(cat $f)" = "$want" ] && ok "$(basename $f) = $want" ||
		ko "$(basename $f): got $(cat $f), want $want"
done
[ "$(cat /sys/bus/ap/apmask)" = "$APMASK_PARAM" ] && ok "apmask from ap.apmask=" ||
	ko "apmask: got $(cat /sys/bus/ap/apmask), want $APMASK_PARAM"
[ "$(cat /sys/bus/ap/aqmask)" = "$AQMASK_PARAM" ] && ok "aqmask from ap.aqmask=" ||
	ko "aqmask: got $(cat /sys/bus/ap/aqmask), want $AQMASK_PARAM"
c=/sys/bus/ap/devices/$FIRSTCARD
[ "$(cat $c/raw_hwtype)" = "$TYPE" ] && [ "$(cat $c/hwtype)" = "$TYPE" ] &&
	ok "$FIRSTCARD: type $TYPE" || ko "$FIRSTCARD: raw_hwtype $(cat $c/raw_hwtype) hwtype $(cat $c/hwtype), want $TYPE"
[ "$(cat $c/ap_functions)" = "$FUNCS" ] && ok "$FIRSTCARD: ap_functions $FUNCS" ||
	ko "$FIRSTCARD: ap_functions $(cat $c/ap_functions), want $FUNCS"
[ "$(cat $c/depth)" = 7 ] && ok "$FIRSTCARD: depth 7" || ko "$FIRSTCARD: depth $(cat $c/depth)"
if [ "$FUNCTIONAL" = 1 ]; then
	q=/sys/bus/ap/devices/00.0000
	if [ -e /dev/hwrng ] && [ "$(cat /sys/class/misc/hw_random/rng_current)" = zcrypt ]; then
		b=$(head -c 64 /dev/hwrng | od -An -tx1 | tr -d ' \n')
		[ ${#b} -eq 128 ] && ok "64 bytes from the zcrypt hwrng (CCA request via NQAP/DQAP)" ||
			ko "hwrng read gave '${b}'"
	else
		ko "no zcrypt hwrng ($(cat /sys/class/misc/hw_random/rng_current 2>&1))"
	fi
	total=0
	for r in /sys/bus/ap/devices/??.????/request_count; do
		v=$(cat $r)	# "-" for queues zcrypt does not drive
		case $v in '' | *[!0-9]*) continue ;; esac
		total=$((total + v))
	done
	[ $total -gt 0 ] && ok "queues processed $total requests" || ko "no request counted"
	# 32 RSA requests through /dev/z90crypt: each completes with the error reply
	reqs() {
		t=0
		for r in /sys/bus/ap/devices/??.????/request_count; do
			v=$(cat $r)
			case $v in '' | *[!0-9]*) continue ;; esac
			t=$((t + v))
		done
		echo $t
	}
	r0=$(reqs)
	out=$(/bin/zcrypt-modexpo 32 2>&1) && ok "$out" || ko "zcrypt-modexpo: $out"
	r1=$(reqs)
	[ $((r1 - r0)) -ge 32 ] && ok "request counters +$((r1 - r0)) (NQAP/DQAP, type 82 replies)" ||
		ko "request counters moved by $((r1 - r0)), want >= 32"
	on=$(cat $q/online)
	[ "$on" = 1 ] && ok "00.0000 still online after requests" || ko "00.0000 online=$on"
	bad=0
	for d in /sys/bus/ap/devices/0[01].000[0-5]; do
		[ "$(cat $d/online)" = 1 ] || bad=1
	done
	[ $bad = 0 ] && ok "all cex4 queues online after the error replies" || ko "a cex4 queue went offline"

	# apmask write moves adapter 2 to the default drivers and back
	echo +2 > /sys/bus/ap/apmask && ok "echo +2 > apmask" || ko "echo +2 > apmask"
	drv() { basename "$(readlink /sys/bus/ap/devices/$1/driver 2>/dev/null)" 2>/dev/null; }
	is() { [ "$(drv $1)" = "$2" ]; }
	wait_for 20 is 02.0000 cex4queue && is 02.0006 vfio_ap && ok "02.0000 -> cex4queue, 02.0006 stays vfio_ap" ||
		ko "after +2: 02.0000 $(drv 02.0000), 02.0006 $(drv 02.0006)"
	echo -2 > /sys/bus/ap/apmask && ok "echo -2 > apmask" || ko "echo -2 > apmask"
	wait_for 20 is 02.0000 vfio_ap && ok "02.0000 -> vfio_ap" || ko "after -2: 02.0000 $(drv 02.0000)"
	wait_for 20 same_binds && ok "bindings back to the boot state" || ko "bindings: $(binds)"

	# a vfio_ap mediated device
	t=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
	u=$(cat /proc/sys/kernel/random/uuid)
	if echo $u > $t/create; then
		ok "mdev $u created"
		m=/sys/bus/mdev/devices/$u
		echo 2 > $m/assign_adapter && echo 6 > $m/assign_domain && echo 6 > $m/assign_control_domain &&
			ok "assign adapter 2, domain 6" || ko "assign adapter 2, domain 6"
		grep -qx 02.0006 $m/matrix && ok "mdev matrix shows 02.0006" || ko "mdev matrix: $(cat $m/matrix)"
		echo 1 > $m/remove && [ ! -e $m ] && ok "mdev removed" || ko "mdev remove"
	else
		ko "mdev create"
	fi

	# module unload / reload
	rmmod vfio_ap && ok "rmmod vfio_ap" || ko "rmmod vfio_ap"
	rmmod zcrypt_cex4 && ok "rmmod zcrypt_cex4" || ko "rmmod zcrypt_cex4"
	rmmod zcrypt && ok "rmmod zcrypt" || ko "rmmod zcrypt ($(lsmod | grep zcrypt))"
	[ -z "$(drv 00.0000)" ] && [ -z "$(drv 02.0006)" ] && ok "queues unbound after rmmod" ||
		ko "after rmmod: 00.0000 '$(drv 00.0000)', 02.0006 '$(drv 02.0006)'"
	modprobe zcrypt_cex4 && modprobe vfio_ap && ok "modprobe zcrypt_cex4 (and zcrypt) and vfio_ap again" || ko "modprobe again"
	out=$(/bin/zcrypt-modexpo 4 2>&1) && ok "after reload: $out" || ko "after reload: $out"
	wait_for 20 same_binds && ok "bindings restored after reload" || ko "bindings after reload: $(binds)"
fi
dmesg > /tmp/dmesg
if grep -qE "WARNING:|BUG:|Oops|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU|INFO: task .* blocked|Call Trace" /tmp/dmesg; then
	ko "kernel log has a warning:"
	grep -E -A3 "WARNING:|BUG:|Oops|possible circular|possible recursive|inconsistent lock|suspicious RCU|INFO: task|Call Trace" /tmp/dmesg | head -40 | sed 's/^/  | /'
else
	ok "no WARNING/BUG/lockdep report in dmesg"
fi
grep -E " ap:| zcrypt|vfio_ap|hwrng" /tmp/dmesg | sed 's/^/  dmesg| /'
exit $n
