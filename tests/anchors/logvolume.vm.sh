# shellcheck shell=dash  # busybox ash (local, $((...))), run in the VM
# logvolume.vm.sh: runs INSIDE the VM (busybox sh); host side: tests/anchors/anchors.sh.
# How much does the kernel log for ONE refused mask write? One mdev holds
# adapter 2 x domains 0-63 (64 APQNs; s390-ap-emu domains=0-63, ap.apmask
# leaves adapter 2 to vfio_ap); "echo +2 > apmask" must fail with EBUSY;
# prints "LOGVOL: <lines the write added to the kernel log> <exit status>".
# Then a burst: 20 refused writes in a row (the kernel's default rate limit
# lets 10 reports through per 5 s), 6 s of quiet, and one more refused
# write; prints "LOGVOL-BURST: <lines that last write added> <exit status>"
# and those lines as LOGVOL-BURST-LINE. The ring buffer is emptied first
# (dmesg -c), so a kernel that logs per APQN cannot wrap the count.
modprobe zcrypt_cex4
modprobe vfio_ap
i=0
while [ $i -lt 60 ] && [ "$(ls -d /sys/bus/ap/devices/02.* 2>/dev/null | wc -l)" -lt 64 ]; do
	sleep 1
	i=$((i + 1))
done
U=7c0ffee0-0000-4000-8000-000000000064
echo $U >/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create || echo "LOGVOL-ERR: create"
M=/sys/bus/mdev/devices/$U
echo 2 >$M/assign_adapter || echo "LOGVOL-ERR: assign_adapter"
d=0
while [ $d -lt 64 ]; do
	echo $d >$M/assign_domain || echo "LOGVOL-ERR: assign_domain $d"
	d=$((d + 1))
done
echo "LOGVOL-APQNS: $(wc -l <$M/matrix)"
before=$(dmesg | wc -l)
echo +2 >/sys/bus/ap/apmask 2>/tmp/err
# shellcheck disable=SC2320 # the write's own status is what we want
rc=$?
after=$(dmesg | wc -l)
echo "LOGVOL: $((after - before)) $rc $(cat /tmp/err)"
dmesg | tail -n $((after - before)) | head -n 3 | sed 's/^/LOGVOL-LINE: /'
n=0
while [ $n -lt 20 ]; do
	echo +2 >/sys/bus/ap/apmask 2>/dev/null
	n=$((n + 1))
done
sleep 6
dmesg -c >/dev/null
echo +2 >/sys/bus/ap/apmask 2>/tmp/err
# shellcheck disable=SC2320 # the write's own status is what we want
rc=$?
echo "LOGVOL-BURST: $(dmesg | wc -l) $rc $(cat /tmp/err)"
dmesg | sed 's/^/LOGVOL-BURST-LINE: /'
echo 1 >$M/remove
