# shellcheck shell=dash  # busybox ash, run in the VM
# lockdep.vm.sh: runs INSIDE the VM; host side: run.sh vm.
# Loads the rig fixture tests/fixtures/ap-helper-unlocked (added to the VM
# as /ap_helper_unlocked.ko), which calls the AP bus mask helpers without
# ap_perms_mutex, and prints the kernel's WARNING lines from dmesg (the
# console is quiet), "LOCKDEP-LINE: ...", for the host to judge.
modprobe vfio_ap
if insmod /ap_helper_unlocked.ko; then echo "LOCKDEP-FIXTURE: loaded"; else echo "LOCKDEP-FIXTURE: insmod failed"; fi
dmesg | grep -E 'WARNING:|ap_helper_unlocked:' | sed 's/^/LOCKDEP-LINE: /'
