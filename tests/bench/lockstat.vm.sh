# shellcheck shell=sh
# lockstat-vm.sh: runs INSIDE the VM (busybox sh) for make bench; host side:
# tests/bench/bench.sh. Lock hold times (CONFIG_LOCK_STAT, configs/debug.config)
# of ap_perms_mutex and matrix_dev's lock(s) during the selftest's stress
# case. Machine: the default AP configuration (adapters 0-3, domains 0-7);
# like tests/selftest/host.sh's default, adapters 2,3 and domains 6,7 go to vfio_ap.
# Parameters from the kernel command line (no eval, nothing sourced):
#   bench.stresssecs=S   VFIO_AP_STRESS_SECS for the stress case (default 10)
# /vfio_ap_test is the selftest's stress binary (vfio_ap_stress_test) or,
# for a series whose selftest is one binary, the whole selftest (the 5.10
# harness cannot select a case). /proc/lock_stat is cleared before the
# binary starts and again when the harness announces a stress case ("RUN
# ...stress"; with the single binary the fixture setup may race with that
# clear by a few operations), and read when the binary has ended.
# Output:
#   BENCH-STRESS: started | <the harness' result line for stress>
#   BENCH-LOCKSTAT: <lock_stat class line> (times in microseconds)
#   BENCH-ERR: TEXT (setup failure; exit 1)

param() { # NAME DEFAULT: value of bench.NAME on the kernel command line
	v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^bench\\.$1=//p" | tail -n 1)
	case $v in
	'' | *[!0-9]*) echo "$2" ;;
	*) echo "$v" ;;
	esac
}
VFIO_AP_STRESS_SECS=$(param stresssecs 10)
export VFIO_AP_STRESS_SECS
AP=/sys/bus/ap

fail() {
	echo "BENCH-ERR: $*"
	exit 1
}
[ -f /proc/lock_stat ] || fail "no /proc/lock_stat (CONFIG_LOCK_STAT off)"
echo -2,-3 >$AP/apmask || fail "apmask -2,-3 refused"
echo -6,-7 >$AP/aqmask || fail "aqmask -6,-7 refused"
modprobe zcrypt_cex4 || fail "modprobe zcrypt_cex4"
modprobe vfio_ap || fail "modprobe vfio_ap"
count() { # the number of existing paths among the arguments (a glob)
	c=0
	for p in "$@"; do [ -e "$p" ] && c=$((c + 1)); done
	echo $c
}
i=0
while [ "$(count "$AP"/drivers/vfio_ap/0?.00??)" -lt 20 ]; do
	[ $i -lt 120 ] || fail "only $(count "$AP"/drivers/vfio_ap/0?.00??) of 20 queues bound to vfio_ap after 120 s"
	sleep 1
	i=$((i + 1))
done
echo "BENCH-STRESS: secs=$VFIO_AP_STRESS_SECS, queues bound after ${i} s"
echo 0 >/proc/lock_stat
/vfio_ap_test 2>&1 | while IFS= read -r l; do
	case $l in
	*RUN*stress*)
		echo 0 >/proc/lock_stat
		echo "BENCH-STRESS: started"
		;;
	*ok*stress* | *stress:\ checks=*) echo "BENCH-STRESS: $l" ;;
	esac
done
grep -E '^ *(ap_perms_mutex|&?matrix_dev->[a-z_]*):' /proc/lock_stat | sed 's/^ */BENCH-LOCKSTAT: /'
echo "BENCH-DONE"
