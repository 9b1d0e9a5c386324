# shellcheck shell=dash disable=SC2154 # fails, MODE, T: set by lib.sh / host.sh
# kselftest.sh: the vfio_ap selftest the way kernel CI runs it, INSIDE the
# VM: installed by the selftests' install target (tests/libvirt/host.sh) on
# the payload (/rig/kselftest, copied to /tmp first, as CI copies its tree) and
# run by the installed run_kselftest.sh. Masks come from the kernel command
# line (the same split as tests/selftest's initramfs run: the two highest
# adapters and domains for vfio_ap), the modules from modules-load.d.
wait_queues || fail "AP queues bound to a driver within 60 s after boot"
run "cat /sys/bus/ap/apmask /sys/bus/ap/aqmask"
run "lszcrypt -V"
cp -a /rig/kselftest /tmp/kselftest
run "ls -R /tmp/kselftest"
echo "TAP| BEGIN"
(cd /tmp/kselftest && ./run_kselftest.sh; echo "RC $?") 2>&1 | sed -u "s/^/TAP| /"
echo "TAP| END"
kernel_reports
[ "$fails" -eq 0 ]
