# shellcheck shell=dash disable=SC2154 # fails, MODE, T: set by lib.sh / host.sh
# boot-check.sh: boot 2 of the boot-time case, INSIDE the VM. The mdev of
# boot-define.sh (02.0003 + 02.0004, "start": "auto") meets a kernel
# command line ap.aqmask=0xef: every adapter and every domain but 3 belong
# to the default drivers, so 02.0004 is reserved for the host. udev runs
# mdevctl's rule when vfio_ap registers the matrix device
# (60-mdevctl.rules: MDEV_STATE=registered -> mdevctl start-parent-mdevs).
# Shows what an admin sees (journal, mdev and queue state), checks the
# invariant (no APQN both reserved for the host and assigned to an mdev),
# then the admin's fix: give 02.0004 back to vfio_ap, start the mdev.
UUID=5d3c2b1a-0f9e-4d8c-b7a6-958473625140
wait_queues || fail "AP queues bound to a driver within 60 s after boot"
sleep 5 # udev workers and mdevctl finish after the queues are bound
run "cat /proc/cmdline"
run "cat /sys/bus/ap/apmask /sys/bus/ap/aqmask"
run "lszcrypt -V 02"
run "mdevctl list --defined"
run "mdevctl list"
active=0
[ -e "/sys/bus/mdev/devices/$UUID" ] && active=1
[ "$active" -eq 1 ] && run "cat /sys/bus/mdev/devices/$UUID/matrix"
note "where the boot-time error is logged: the journal (systemd-udevd runs mdevctl)"
run "journalctl -b --no-pager -o short-monotonic | grep -iE 'mdevctl|$UUID|vfio_ap|assign|Cannot assign' | grep -v 'Kernel command line' | tail -n 25"
journal=$(cat /tmp/run.out)
run "dmesg | grep -iE 'vfio_ap|mdev' | grep -v 'Kernel command line' | tail -n 10"

# bit N of a mask ("0x" + 64 hex digits, bit 0 leftmost)
bit() { h=$(echo "$1" | cut -c3-); c=$(echo "$h" | cut -c$(($2 / 4 + 1))); [ $(((0x$c >> (3 - $2 % 4)) & 1)) -eq 1 ]; }
apm=$(cat /sys/bus/ap/apmask) aqm=$(cat /sys/bus/ap/aqmask)
viol=
for m in /sys/bus/mdev/devices/*; do
	[ -e "$m/matrix" ] || continue
	for q in $(cat "$m/matrix"); do
		a=$((0x${q%%.*})) d=$((0x${q#*.}))
		bit "$apm" $a && bit "$aqm" $d && viol="$viol ${m##*/}:$q"
	done
done
note "queue 02.0004: driver $(drv 02.0004); queue 02.0003: driver $(drv 02.0003); mdev active: $active"
# The same checks on both kernels. At boot the series changes nothing
# visible: 5.10's own assign_domain check already refuses an APQN whose
# queue is not bound to vfio_ap, and 02.0004 is on cex4queue. The base run
# shows that (its lines say so); a base that let the mdev take 02.0004
# would fail them.
why=
[ "$MODE" = base ] && why=" (base: 5.10's own check, the queue must be bound to vfio_ap)"
check "invariant at boot: no APQN both reserved for the host and assigned to an mdev${viol:+ (violated:$viol)}" [ -z "$viol" ]
check "02.0004 (reserved by ap.aqmask) is on the host's cex4queue" [ "$(drv 02.0004)" = cex4queue ]
check "the auto-start mdev did not come up holding the reserved 02.0004$why" \
	sh -c "[ ! -e /sys/bus/mdev/devices/$UUID ] || ! grep -qx 02.0004 /sys/bus/mdev/devices/$UUID/matrix"
case $journal in
*"Cannot assign requested address"*) pass "the journal names the refused assignment (Cannot assign requested address)$why" ;;
*) fail "the journal names the refused assignment (Cannot assign requested address)$why" ;;
esac

note "the admin's fix: hand 02.0004 back to vfio_ap (or drop it from the definition), then start"
[ "$active" -eq 1 ] && run "mdevctl stop --uuid $UUID"
run "bash -c 'echo -4 > /sys/bus/ap/aqmask'"
wait_queues
sleep 2
run "lszcrypt -V 02"
run "mdevctl start --uuid $UUID"
check "after the fix, mdevctl start of the auto-start mdev succeeds" [ $? -eq 0 ]
run "cat /sys/bus/mdev/devices/$UUID/matrix"
check "after the fix, the mdev holds 02.0003 and 02.0004" \
	[ "$(cat /sys/bus/mdev/devices/$UUID/matrix 2>/dev/null | tr '\n' ' ')" = "02.0003 02.0004 " ]
kernel_reports
[ "$fails" -eq 0 ]
