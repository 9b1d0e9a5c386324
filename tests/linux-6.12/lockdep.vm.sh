# shellcheck shell=dash  # busybox ash, run in the VM
# lockdep.vm.sh: runs INSIDE the VM; host side: run.sh vm.
# Loads the rig fixture tests/fixtures/ap-helper-unlocked (added to the VM
# as /ap_helper_unlocked.ko), which calls the AP bus mask helpers without
# ap_perms_mutex. The host looks for lockdep's WARNING on the console.
modprobe vfio_ap
insmod /ap_helper_unlocked.ko && echo "LOCKDEP-FIXTURE: loaded" || echo "LOCKDEP-FIXTURE: insmod failed"
dmesg | grep -c 'WARNING:' | sed 's/^/LOCKDEP-WARNINGS: /'
