# shellcheck shell=dash  # busybox ash, run in the VM
# reprobe.vm.sh: runs INSIDE the VM (busybox sh); host side: run.sh vm.
# A KVM host that loads only vfio_ap (no zcrypt_cex4): at boot the masks
# reserve every queue for the default drivers, none is loaded, so the queues
# of the highest adapter N have no driver. "echo -N > apmask" gives adapter N
# to vfio_ap: the AP bus must reprobe those queues and vfio_ap bind them,
# without anybody writing to /sys/bus/ap/drivers_probe.
# Prints "REPROBE: adapter=NN queues=Q vfio_ap=B unbound=U".
modprobe vfio_ap
i=0
while [ $i -lt 30 ] && ! ls -d /sys/bus/ap/devices/[0-9a-f][0-9a-f].[0-9a-f]* >/dev/null 2>&1; do
	sleep 1
	i=$((i + 1))
done
N=$(ls /sys/bus/ap/devices | sed -n 's/^card\([0-9a-f][0-9a-f]\)$/\1/p' | sort | tail -n 1)
[ -n "$N" ] || { echo "REPROBE-ERR: no AP card"; exit 1; }
state() { # -> "queues bound-to-vfio_ap unbound"
	q=0 b=0 u=0
	for d in /sys/bus/ap/devices/$N.*; do
		[ -e "$d" ] || continue
		q=$((q + 1))
		drv=$(readlink "$d/driver" 2>/dev/null)
		case ${drv##*/} in
		vfio_ap) b=$((b + 1)) ;;
		"") u=$((u + 1)) ;;
		esac
	done
	echo "$q $b $u"
}
echo "REPROBE-BEFORE: adapter=$N apmask=$(cat /sys/bus/ap/apmask) queues/vfio_ap/unbound=$(state)"
echo "-$((0x$N))" >/sys/bus/ap/apmask || echo "REPROBE-ERR: apmask write failed"
# the reprobe runs in the write itself; give late binds a few seconds anyway
i=0
while [ $i -lt 5 ]; do
	# shellcheck disable=SC2046 # three numbers, split on purpose
	set -- $(state)
	[ "$3" -eq 0 ] && break
	sleep 1
	i=$((i + 1))
done
# shellcheck disable=SC2046 # three numbers, split on purpose
set -- $(state)
echo "REPROBE: adapter=$N queues=$1 vfio_ap=$2 unbound=$3"
for d in /sys/bus/ap/devices/$N.*; do
	drv=$(readlink "$d/driver" 2>/dev/null)
	echo "REPROBE-QUEUE: ${d##*/} ${drv##*/}"
done
