# shellcheck shell=dash disable=SC2154 # fails, MODE, T: set by lib.sh / host.sh
# boot-define.sh: boot 1 of the boot-time case, INSIDE the VM. Kernel
# command line: ap.apmask leaves adapter 2 to vfio_ap. The admin defines an
# auto-start mdev with mdevctl holding 02.0003 and 02.0004, starts it, and
# the machine powers off; boot 2 (boot-check.sh) comes up with ap.aqmask
# reserving domain 4, i.e. 02.0004, for the host.
UUID=5d3c2b1a-0f9e-4d8c-b7a6-958473625140
J=/etc/rig-auto-mdev.json
wait_queues || fail "AP queues bound to a driver within 60 s after boot"
run "cat /proc/cmdline"
run "lszcrypt -V 02"
cat >"$J" <<EOJ
{"mdev_type": "vfio_ap-passthrough", "start": "auto",
 "attrs": [{"assign_adapter": "0x02"}, {"assign_domain": "0x0003"}, {"assign_domain": "0x0004"}]}
EOJ
run "cat $J"
run "mdevctl define --uuid $UUID --parent matrix --jsonfile $J"
check "mdevctl define of an auto-start mdev holding 02.0003 and 02.0004" [ $? -eq 0 ]
run "mdevctl start --uuid $UUID"
check "mdevctl start" [ $? -eq 0 ]
run "mdevctl list --defined"
check "the definition is auto-start" grep -q auto /tmp/run.out
run "cat /sys/bus/mdev/devices/$UUID/matrix"
check "the mdev holds 02.0003 and 02.0004" [ "$(cat /sys/bus/mdev/devices/$UUID/matrix | tr '\n' ' ')" = "02.0003 02.0004 " ]
note "auto-start at boot: udev runs the rule of Debian's mdevctl package when vfio_ap registers the matrix device"
run "grep -h RUN /usr/lib/udev/rules.d/60-mdevctl.rules"
run "ls -l /usr/sbin/mdevctl /usr/bin/mdevctl"
if [ ! -e /usr/sbin/mdevctl ]; then
	note "Debian bookworm's mdevctl 1.2.0-3 installs /usr/bin/mdevctl, its rule runs /usr/sbin/mdevctl: without a fix the"
	note "auto-start never happens ('/bin/sh: 1: /usr/sbin/mdevctl: not found' in journalctl -t mdevctl; mdevctl/mdevctl#82)."
	note "The admin's fix, so that boot 2 exercises the kernel:"
	run "ln -s ../bin/mdevctl /usr/sbin/mdevctl"
fi
sync
[ "$fails" -eq 0 ]
