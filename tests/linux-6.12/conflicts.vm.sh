# shellcheck shell=dash  # busybox ash, run in the VM
# conflicts.vm.sh: runs INSIDE the VM; host side: run.sh vm.
# Two mdevs hold 02.0003 and 02.0004 (ap.apmask on the command line leaves
# adapter 2 to vfio_ap). "echo +2 > apmask" must fail with EBUSY; prints
# the kernel lines the refused write added, so that the host can check that
# every blocking mdev is named ("CONFLICTS-LINE: ...").
modprobe zcrypt_cex4
modprobe vfio_ap
i=0
while [ $i -lt 30 ] && [ ! -e /sys/bus/ap/devices/02.0004 ]; do
	sleep 1
	i=$((i + 1))
done
T=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create
d=3
for U in 7c0ffee0-0000-4000-8000-000000000001 7c0ffee0-0000-4000-8000-000000000002; do
	echo $U >$T || echo "CONFLICTS-ERR: create $U"
	echo 2 >/sys/bus/mdev/devices/$U/assign_adapter || echo "CONFLICTS-ERR: assign_adapter $U"
	echo $d >/sys/bus/mdev/devices/$U/assign_domain || echo "CONFLICTS-ERR: assign_domain $d $U"
	d=$((d + 1))
done
before=$(dmesg | wc -l)
echo +2 >/sys/bus/ap/apmask 2>/tmp/err
# shellcheck disable=SC2320 # the write's own status is what we want
rc=$?
after=$(dmesg | wc -l)
echo "CONFLICTS: $((after - before)) $rc $(cat /tmp/err)"
dmesg | tail -n $((after - before)) | head -n 8 | sed 's/^/CONFLICTS-LINE: /'
