# shellcheck shell=dash  # busybox ash (local, $((...))), run in the VM
# tests/scenario/vm.sh: runs INSIDE the VM (busybox sh) as /test.sh; the host
# side is tests/scenario/host.sh. The caller prepends "MODE=series" or "MODE=base".
# The admin's walk: real mdevctl holds an APQN through an mdev, an apmask
# write tries to take it back for the default driver, lszcrypt shows who
# owns the queue. Output:
#   "DEMO| # cmd"   what the admin types;  "DEMO| text"  what comes back
#   "PASS: scenario: ..." / "FAIL: scenario: ..."   checks (MODE=series:
#   the series closes the hole; MODE=base: negative control, the hole is open)
# The kernel log (lockdep, WARNING, ...) is judged on the host from the
# dmesg dump that /init prints after this script.
# Needs the clients overlay (scripts/clients-overlay.sh) and ap.apmask on the
# kernel command line leaving at least one queue free for vfio_ap.
MODE=${MODE:-series}
UUID=6ab1c2d3-7e8f-4a0b-9c1d-2e3f4a5b6c7d
J=/etc/vfio-ap-demo.json
fails=0

say() { echo "DEMO| $*"; }
note() { echo "DEMO| -- $*"; }
pass() { echo "PASS: scenario: [$MODE] $*"; }
fail() { echo "FAIL: scenario: [$MODE] $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION CONDITION...
	d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
# run CMD: show it as typed, run it, show its output; returns its exit code.
# Output goes to a file, not a tty, so mdevctl prints no colour codes.
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

note "setup: load the AP device drivers (ap.apmask/aqmask come from the kernel command line)"
run "modprobe zcrypt_cex4 && modprobe vfio_ap" || fail "modprobe zcrypt_cex4 vfio_ap"
# busybox modprobe reports success when init_module() fails with EEXIST,
# even when the module's own init returned it: check the drivers exist.
for d in cex4card cex4queue vfio_ap; do
	[ -d "/sys/bus/ap/drivers/$d" ] ||
		fail "after modprobe, /sys/bus/ap/drivers has no $d (loaded: $(cut -d' ' -f1,5 /proc/modules | tr '\n' ';'))"
done
# The AP bus scans asynchronously; wait for the queues to be bound.
i=0
while [ $i -lt 60 ]; do
	n=$(ls -d /sys/bus/ap/devices/??.???? 2>/dev/null | wc -l)
	b=$(ls -d /sys/bus/ap/devices/??.????/driver 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] && [ "$n" -eq "$b" ] && break
	sleep 1
	i=$((i + 1))
done
run "cat /proc/cmdline"
run "cat /sys/bus/ap/apmask /sys/bus/ap/aqmask"
run "lszcrypt -V"

# The APQN to use: 02.0003 (the example of the docs) if the masks leave it
# to vfio_ap, else the first queue they leave to vfio_ap.
Q=
[ "$(drv 02.0003)" = vfio_ap ] && Q=02.0003
for d in /sys/bus/ap/devices/??.????; do
	[ -z "$Q" ] || break
	[ "$(drv "${d##*/}")" = vfio_ap ] && Q=${d##*/}
done
if [ -z "$Q" ]; then
	fail "no AP queue is bound to vfio_ap (emulated adapters or ap.apmask wrong?)"
	ls -l /sys/bus/ap/devices/ /sys/bus/ap/drivers/*/ 2>&1 | sed 's/^/DEMO| /'
	exit 1
fi
A=${Q%%.*} D=${Q#*.}
note "queue $Q (adapter 0x$A, domain 0x$D) is free for vfio_ap; give it to an mdev with mdevctl"
cat >"$J" <<EOF
{"mdev_type": "vfio_ap-passthrough", "start": "manual",
 "attrs": [{"assign_adapter": "0x$A"}, {"assign_domain": "0x$D"}]}
EOF
run "cat $J"
run "mdevctl define --uuid $UUID --parent matrix --jsonfile $J"
check "mdevctl define" [ $? -eq 0 ]
run "mdevctl start --uuid $UUID"
check "mdevctl start" [ $? -eq 0 ]
run "mdevctl list"
run "cat /sys/bus/mdev/devices/$UUID/matrix"
check "the mdev holds $Q" grep -qx "$Q" "/sys/bus/mdev/devices/$UUID/matrix"

note "the admin now reclaims adapter 0x$A for the host's default drivers"
before=$(cat /sys/bus/ap/apmask)
run "echo +0x$A > /sys/bus/ap/apmask"
wrc=$?
wout=$(cat /tmp/run.out)
after=$(cat /sys/bus/ap/apmask)
sleep 2 # let the bus re-probe the queues
run "cat /sys/bus/ap/apmask"
run "lszcrypt -V $A"
run "cat /sys/bus/mdev/devices/$UUID/matrix"
if [ "$MODE" = series ]; then
	check "apmask write reclaiming $Q fails while the mdev holds it" [ "$wrc" -ne 0 ]
	case $wout in
	*"resource busy"*) pass "the refused write reports EBUSY" ;;
	*) fail "the refused write reports EBUSY (got: $wout)" ;;
	esac
	check "apmask unchanged after the refused write" [ "$before" = "$after" ]
	check "$Q still bound to vfio_ap (sysfs)" [ "$(drv "$Q")" = vfio_ap ]
	check "lszcrypt -V still shows $Q on vfio_ap" [ "$(lsz_drv "$Q")" = vfio_ap ]
else
	check "negative control: on base the apmask write succeeds while the mdev holds $Q" [ "$wrc" -eq 0 ]
	check "negative control: on base lszcrypt shows $Q on cex4queue although assigned" \
		[ "$(lsz_drv "$Q")" = cex4queue ]
	check "negative control: on base the mdev still lists $Q" grep -qx "$Q" "/sys/bus/mdev/devices/$UUID/matrix"
	note "the hole: $Q is assigned to mdev $UUID AND driven by the host's cex4queue"
fi

note "release it: stop and undefine the mdev"
run "mdevctl stop --uuid $UUID"
check "mdevctl stop" [ $? -eq 0 ]
run "mdevctl undefine --uuid $UUID"
check "mdevctl undefine" [ $? -eq 0 ]
run "mdevctl list --defined"
if [ "$MODE" = series ]; then
	note "now nothing holds $Q: the same write succeeds"
	run "echo +0x$A > /sys/bus/ap/apmask"
	check "the same apmask write succeeds once the mdev is gone" [ $? -eq 0 ]
	sleep 2
	run "lszcrypt -V $A"
	check "lszcrypt -V shows $Q back on cex4queue" [ "$(lsz_drv "$Q")" = cex4queue ]
fi

# The overlay's udevadm is a logging stub: mdevctl 1.2.0 is not expected to call it.
if [ -s /run/udevadm.log ]; then
	note "mdevctl called the udevadm stub: $(tr '\n' ';' </run/udevadm.log)"
fi

# Lock-order and sleep debugging is on: the host side's judge
# (tests/judge) fails the run on any report in the kernel log.
note "kernel messages about AP/vfio_ap during the walk:"
dmesg | grep -v "Kernel command line" | grep -iE "vfio_ap|apmask|aqmask|refused|re-assign|in use" |
	sed 's/^\[[ 0-9.]*\] //; s/^/DEMO| dmesg: /'
if ! dmesg | grep -qiE "refused|re-assign|in use"; then
	note "no kernel message about the queue changing hands: nobody is told"
fi
[ "$fails" -eq 0 ]
