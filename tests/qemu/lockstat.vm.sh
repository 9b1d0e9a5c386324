# shellcheck shell=dash  # busybox ash, run in the VM as /test.sh
# tests/qemu/lockstat.vm.sh: the vfio_ap kselftest (stress case included)
# with lock statistics on; prints the lock_stat lines of matrix_dev->lock
# and ap_perms_mutex (LOCKSTAT| ...) and every WARNING of the run
# (LOCKSTAT-WARN| ...). Runs tests/selftest/vm.sh (added as
# /selftest-vm.sh) for the test itself. Host side: tests/qemu/lockstat.sh.
export APMASK='' AQMASK='' MODULES='vfio_ap zcrypt_cex4'
for a in $(cat /proc/cmdline); do
	case $a in vfioap.stress_secs=*) export VFIO_AP_STRESS_SECS="${a#*=}" ;; esac
done
if [ ! -w /proc/sys/kernel/lock_stat ]; then
	echo "LOCKSTAT-ERROR: no /proc/sys/kernel/lock_stat (CONFIG_LOCK_STAT off)"
	exit 1
fi
echo 0 >/proc/lock_stat
echo 1 >/proc/sys/kernel/lock_stat
sh /selftest-vm.sh
echo 0 >/proc/sys/kernel/lock_stat
# the class lines: name, contentions, wait min/max/total/avg, acquisitions,
# hold min/max/total/avg (us)
grep -E '(matrix_dev->lock|ap_perms_mutex):' /proc/lock_stat | sed 's/^/LOCKSTAT| /'
dmesg | grep -E -A2 'WARNING:|BUG:|possible circular|INFO: task' | sed 's/^/LOCKSTAT-WARN| /'
exit 0
