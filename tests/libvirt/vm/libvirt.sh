# shellcheck shell=dash disable=SC2154 # fails, MODE, T: set by lib.sh / host.sh
# libvirt.sh: the libvirt scenario, INSIDE the VM (Debian bookworm, systemd,
# libvirtd 9.0 with its node-device driver, mdevctl 1.2.0). Kernel command
# line: ap.apmask leaves adapter 2 to vfio_ap, every other adapter to the
# default drivers (tests/libvirt/host.sh).
#   1. virsh nodedev-define + nodedev-start: an mdev holding queue 02.0003
#   2. the apmask write that reclaims adapter 2: series refuses it (EBUSY,
#      apmask unchanged, queue stays on vfio_ap); base lets it through
#      (negative control: the queue ends up on cex4queue, still assigned)
#   3. an mdev naming a reserved APQN (adapter 0): nodedev-start fails,
#      with virsh's exact error text shown
#   4. nodedev-destroy + nodedev-undefine, then the same write succeeds
UUID=8f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
UUID_R=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d

note "system state: kernel $(uname -r), $(virsh --version 2>&1 | sed 's/^/libvirt /'), $(mdevctl --version 2>&1 | head -n 1)"
run "cat /proc/cmdline"
wait_queues || fail "AP queues bound to a driver within 60 s after boot"
run "systemctl is-active libvirtd.service systemd-udevd.service"
run "lsmod"
run "cat /sys/bus/ap/apmask /sys/bus/ap/aqmask"
run "lszcrypt -V"
Q=02.0003 A=02 D=0003
check "queue $Q is bound to vfio_ap after boot (ap.apmask, modules-load.d)" [ "$(drv $Q)" = vfio_ap ]

note "how libvirt names the vfio_ap matrix device"
run "virsh nodedev-list --cap ap_matrix"
check "virsh lists the vfio_ap matrix device as ap_matrix" grep -qx ap_matrix /tmp/run.out
run "virsh nodedev-dumpxml ap_matrix"
check "ap_matrix offers mdev type vfio_ap-passthrough" grep -q "type id='vfio_ap-passthrough'" /tmp/run.out

cat >/tmp/mdev.xml <<EOX
<device>
  <parent>ap_matrix</parent>
  <capability type='mdev'>
    <type id='vfio_ap-passthrough'/>
    <uuid>$UUID</uuid>
    <attr name='assign_adapter' value='0x$A'/>
    <attr name='assign_domain' value='0x$D'/>
  </capability>
</device>
EOX
run "cat /tmp/mdev.xml"
run "virsh nodedev-define /tmp/mdev.xml"
check "virsh nodedev-define of an mdev holding $Q" [ $? -eq 0 ]
NAME=$(sed -n "s/^Node device '\([^']*\)' defined.*/\1/p" /tmp/run.out)
[ -n "$NAME" ] || NAME=mdev_$(echo $UUID | tr - _)_matrix
note "libvirt's name for it: $NAME"
run "virsh nodedev-start $NAME"
check "virsh nodedev-start $NAME" [ $? -eq 0 ]
run "mdevctl list"
run "virsh nodedev-list --cap mdev"
check "the mdev holds $Q" grep -qx "$Q" "/sys/bus/mdev/devices/$UUID/matrix"

note "the admin now reclaims adapter 0x$A for the host's default drivers (at a root prompt: bash)"
# bash, not this script's dash: dash's echo reports every failed write as
# "I/O error", whatever the errno; bash prints strerror(errno).
before=$(cat /sys/bus/ap/apmask)
run "bash -c 'echo +0x$A > /sys/bus/ap/apmask'"
wrc=$?
wout=$(cat /tmp/run.out)
after=$(cat /sys/bus/ap/apmask)
sleep 2 # let the bus re-probe the queues
run "lszcrypt -V $A"
run "virsh nodedev-dumpxml $NAME"
if [ "$MODE" = series ]; then
	check "apmask write reclaiming $Q is refused while libvirt's mdev holds it" [ "$wrc" -ne 0 ]
	case $wout in
	*"resource busy"*) pass "the refused write reports EBUSY (Device or resource busy)" ;;
	*) fail "the refused write reports EBUSY (got: $wout)" ;;
	esac
	check "apmask unchanged after the refused write" [ "$before" = "$after" ]
	check "$Q still bound to vfio_ap" [ "$(drv $Q)" = vfio_ap ]
	run "dmesg | grep -i 'vfio_ap\|in use' | tail -n 5"
else
	check "negative control: on base the apmask write succeeds while libvirt's mdev holds $Q" [ "$wrc" -eq 0 ]
	check "negative control: on base $Q is on cex4queue although assigned" [ "$(lsz_drv $Q)" = cex4queue ]
	check "negative control: on base the mdev still lists $Q" grep -qx "$Q" "/sys/bus/mdev/devices/$UUID/matrix"
	note "the hole: $Q is assigned to $NAME AND driven by the host's cex4queue; libvirt says nothing"
	run "bash -c 'echo -0x$A > /sys/bus/ap/apmask'"
	wait_queues
fi

note "an mdev naming APQN 00.0003, which ap.apmask reserves for the host"
sed -e "s/$UUID/$UUID_R/" -e "s/0x$A'/0x00'/" /tmp/mdev.xml >/tmp/mdev-r.xml
run "cat /tmp/mdev-r.xml"
run "virsh nodedev-define /tmp/mdev-r.xml"
check "virsh nodedev-define of an mdev naming a reserved APQN (only writes its definition)" [ $? -eq 0 ]
NAME_R=$(sed -n "s/^Node device '\([^']*\)' defined.*/\1/p" /tmp/run.out)
[ -n "$NAME_R" ] || NAME_R=mdev_$(echo $UUID_R | tr - _)_matrix
run "virsh nodedev-start $NAME_R"
src=$?
cp /tmp/run.out /tmp/start-r.out
check "virsh nodedev-start of the mdev naming reserved 00.0003 fails" [ "$src" -ne 0 ]
# The exact text for the README: marked lines, taken by the host side.
sed 's/^/VIRSH-ERROR| /' /tmp/start-r.out
check "the error names the refused attribute write (EADDRNOTAVAIL: Cannot assign requested address)" \
	grep -q "Cannot assign requested address" /tmp/start-r.out
check "no mdev $UUID_R is left behind after the failed start" [ ! -e "/sys/bus/mdev/devices/$UUID_R" ]
run "virsh nodedev-undefine $NAME_R"
check "virsh nodedev-undefine $NAME_R" [ $? -eq 0 ]

note "release: nodedev-destroy + nodedev-undefine"
run "virsh nodedev-destroy $NAME"
check "virsh nodedev-destroy $NAME" [ $? -eq 0 ]
run "virsh nodedev-undefine $NAME"
check "virsh nodedev-undefine $NAME" [ $? -eq 0 ]
run "mdevctl list --defined"
# (mdevctl prints one empty line when it has nothing to list)
check "mdevctl has no definition left" sh -c "! grep -q '[^[:space:]]' /tmp/run.out"
run "bash -c 'echo +0x$A > /sys/bus/ap/apmask'"
check "the same apmask write succeeds once the mdev is gone" [ $? -eq 0 ]
sleep 2
run "lszcrypt -V $A"
check "$Q back on cex4queue" [ "$(lsz_drv $Q)" = cex4queue ]

run "journalctl -b -u libvirtd --no-pager -o cat | grep -iE 'mdev|error' | tail -n 20"
kernel_reports
[ "$fails" -eq 0 ]
