# shellcheck shell=dash  # busybox ash (local, $((...))), run in the VM
# tests/selftest/vm.sh: runs INSIDE the VM (busybox sh) as /test.sh; the host
# side (tests/selftest/host.sh) prepends APMASK=, AQMASK=, MODULES= and the
# test's environment. Output lines are prefixed VFIOAP.
# masks first (the AP bus is built in), modules after: the drivers then
# probe each queue according to the masks
echo "VFIOAP-DEVICES: $(ls /sys/bus/ap/devices 2>/dev/null | tr '\n' ' ')"
echo "VFIOAP-BEFORE: apmask=$(cat /sys/bus/ap/apmask 2>&1) aqmask=$(cat /sys/bus/ap/aqmask 2>&1)"
# "-a,-b": the two highest hex numbers of the list (the highest if fewer
# than three), for the mask write that gives them to vfio_ap
highest() {
	k=1
	[ "$(echo "$1" | grep -c .)" -ge 3 ] && k=2
	out=
	for x in $(echo "$1" | tail -n "$k"); do
		out="${out:+$out,}-$((0x$x))"
	done
	echo "$out"
}
[ -n "$APMASK" ] ||
	APMASK=$(highest "$(ls /sys/bus/ap/devices 2>/dev/null | sed -n 's/^card\([0-9a-f][0-9a-f]\)$/\1/p' | sort)")
[ -n "$AQMASK" ] ||
	AQMASK=$(highest "$(ls /sys/bus/ap/devices 2>/dev/null | sed -n 's/^[0-9a-f][0-9a-f]\.\([0-9a-f]\{4\}\)$/\1/p' | sort -u)")
[ -n "$APMASK" ] && { echo "$APMASK" >/sys/bus/ap/apmask || echo "VFIOAP-WARN: apmask '$APMASK' refused"; }
[ -n "$AQMASK" ] && { echo "$AQMASK" >/sys/bus/ap/aqmask || echo "VFIOAP-WARN: aqmask '$AQMASK' refused"; }
echo "VFIOAP-SET: apmask '$APMASK' aqmask '$AQMASK'"
for m in $MODULES; do
	modprobe "$m" 2>&1 | sed 's/^/VFIOAP-MOD| /'
	# busybox modprobe reports success when init_module() fails with
	# EEXIST, even from the module's own init: say what really loaded
	case $m in
	vfio_ap) d=vfio_ap ;;
	zcrypt_cex4) d=cex4queue ;;
	*) continue ;;
	esac
	[ -d "/sys/bus/ap/drivers/$d" ] ||
		echo "VFIOAP-WARN: after modprobe $m, /sys/bus/ap/drivers has no $d (loaded: $(cut -d' ' -f1,5 /proc/modules | tr '\n' ';'))"
done
echo "VFIOAP-MASKS: apmask=$(cat /sys/bus/ap/apmask 2>&1) aqmask=$(cat /sys/bus/ap/aqmask 2>&1)"
for q in /sys/bus/ap/devices/*.*; do
	[ -e "$q" ] || continue
	drv=$(readlink "$q/driver" 2>/dev/null)
	echo "VFIOAP-QUEUE: ${q##*/} ${drv##*/}"
done
echo "VFIOAP-START"
# every test binary in turn (the stress test last); the first failing
# exit code is the run's
( rc=0
for t in /vfio_ap/*; do
	case $t in *stress*) continue ;; esac
	"$t" 2>&1
	r=$?
	[ "$rc" -ne 0 ] || rc=$r
done
for t in /vfio_ap/*stress*; do
	[ -e "$t" ] || continue
	"$t" 2>&1
	r=$?
	[ "$rc" -ne 0 ] || rc=$r
done
echo "VFIOAP-RC: $rc" ) | tee /tmp/vfio_ap.out |
	while IFS= read -r l; do echo "VFIOAP| $l"; done
echo "VFIOAP-TAP-BEGIN"
cat /tmp/vfio_ap.out
echo "VFIOAP-TAP-END"
# bounded: after a kernel deadlock ap_perms_mutex may never be free again
echo "VFIOAP-AFTER: apmask=$(timeout 5 cat /sys/bus/ap/apmask 2>&1) aqmask=$(timeout 5 cat /sys/bus/ap/aqmask 2>&1) mdevs=$(find /sys/devices/vfio_ap/matrix/ -maxdepth 1 -name "*-*" 2>/dev/null | grep -c .)"
exit 0
