# shellcheck shell=dash  # busybox ash (local, $((...))), run in the VM
# probe-edges.vm.sh: runs INSIDE the VM (busybox sh); host side: tests/anchors/anchors.sh
# probe. Edge behaviours where 5.10 + series and upstream 6.x may differ
# without either failing the selftest; prints "PROBE: <what> -> rc=N <error>"
# and the kernel log of the refused mask write as "PROBE-LOG: ...".
# Needs ap.apmask leaving adapter 2 to vfio_ap (default emulated machine).
modprobe zcrypt_cex4; modprobe vfio_ap
i=0; while [ $i -lt 30 ] && [ "$(ls -d /sys/bus/ap/devices/02.* 2>/dev/null | wc -l)" -lt 8 ]; do sleep 1; i=$((i+1)); done
T=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create
# shellcheck disable=SC2320 # the write's own status is what we want
w() { echo "$1" > "$2" 2>/tmp/e; r=$?; echo "PROBE: $3 -> rc=$r $(cat /tmp/e | sed 's/.*error: //')"; }
U1=11111111-0000-4000-8000-000000000001; U2=11111111-0000-4000-8000-000000000002
echo $U1 > $T; echo $U2 > $T
M1=/sys/bus/mdev/devices/$U1; M2=/sys/bus/mdev/devices/$U2
w 0x10 $M1/assign_adapter "assign_adapter 0x10 (adapter not in the configuration)"
w 0x10 $M1/unassign_adapter "unassign_adapter 0x10"
w 0x20 $M1/assign_domain "assign_domain 0x20 (domain not in the configuration)"
w 0x20 $M1/unassign_domain "unassign_domain 0x20"
w 0x0 $M1/assign_adapter "assign_adapter 0x0 (queues on cex4queue, no domain yet)"
w 0x3 $M1/assign_domain "then assign_domain 0x3 (00.0003 reserved)"
w 0x0 $M1/unassign_adapter "unassign_adapter 0x0"
w 2 $M1/assign_adapter "mdev1 assign_adapter 2"; w 3 $M1/assign_domain "mdev1 assign_domain 3"
w 2 $M2/assign_adapter "mdev2 assign_adapter 2"; w 4 $M2/assign_domain "mdev2 assign_domain 4"
w 3 $M2/assign_domain "mdev2 assign_domain 3 (02.0003 held by mdev1)"
b=$(dmesg | wc -l)
w +2 /sys/bus/ap/apmask "apmask +2 (02.0003 in mdev1, 02.0004 in mdev2)"
a=$(dmesg | wc -l)
dmesg | tail -n $((a - b)) | sed 's/^\[[ 0-9.]*\] /PROBE-LOG: /'
w "$(cat /sys/bus/ap/apmask)" /sys/bus/ap/apmask "apmask rewritten with its current value"
w -2 /sys/bus/ap/apmask "apmask -2 (already free)"
echo 1 > $M1/remove; echo 1 > $M2/remove
