#!/usr/bin/env bash
# tests/libvirt/host.sh: host side of the libvirt tests (tests/libvirt/vm/*)
# on the Debian bookworm s390x root file system of scripts/rootfs.sh.
#
#   host.sh kernel KERNEL        build the rootfs kernel of KERNEL (series |
#                                base): the variant's tree (scripts/variants.sh)
#                                with configs/rootfs.config added, in its own
#                                variant dir rootfs-KERNEL; prints the build dir
#   host.sh run KERNEL TEST      boot it from a fresh copy of the disk image
#                                and run TEST; prints the walk's lines
#                                ("DEMO| ...", "PASS: ...", "FAIL: ...",
#                                "KLOG| ...", "VIRSH-ERROR| ...", TAP)
# TEST:
#   libvirt    virsh nodedev-define/start of a vfio_ap mdev, apmask write,
#              reserved APQN, nodedev-destroy/undefine (vm/libvirt.sh)
#   boottime   boot 1 defines an auto-start mdev with mdevctl (vm/boot-define.sh);
#              boot 2 has ap.aqmask reserving one of its APQNs for the host;
#              vm/boot-check.sh shows and checks what udev/mdevctl did
#   kselftest  the vfio_ap selftest installed the kselftest way (make -C
#              tools/testing/selftests TARGETS=vfio_ap install, against the
#              root file system's glibc), run by run_kselftest.sh (vm/kselftest.sh)
# MODE in the VM: series -> the protection must hold; base -> negative control.
# LIBVIRT_KBUILD=DIR uses that kernel build as it is (development).
# Console logs: $LOGDIR/libvirt-TEST-KERNEL[-N].log (LIBVIRT_QUIET="": with the
# kernel and systemd messages). Timeout per boot:
# $LIBVIRT_TIMEOUT (default 1800 s: one boot, test and power-off took 5 to
# 15 min under TCG on the shared 2-core machine at load 7-12); the power-off
# gets 120 s after the test's VMTEST-EXIT (scripts/run-vm.sh, POWEROFF_GRACE).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
H=$TOP/tests/libvirt

cmd=${1:?usage: host.sh kernel KERNEL | run KERNEL TEST}
k=${2:?usage: host.sh kernel KERNEL | run KERNEL TEST}
case $k in series | base) ;; *) die "libvirt: unknown kernel '$k' (series | base)" ;; esac

# The rootfs kernel: the variant's own source tree (made and built by
# variants.sh, which also keeps it at the right patches) plus the fragment,
# built out of tree in $CACHE/v/rootfs-KERNEL/build.
rootfs_kernel() {
	local v=rootfs-$k
	"$TOP/scripts/variants.sh" "$k" >&2
	mkdir -p "$(vdir "$v")"
	[ -L "$(vsrc "$v")" ] || ln -s "../$k/src" "$(vsrc "$v")"
	"$TOP/scripts/build-kernel.sh" "$v" rootfs.config >&2
	vbuild "$v"
}

# payload DIR TESTFILE: DIR/root (test.sh and what the caller put there)
# as DIR/payload.tar, which put_payload writes into the image.
payload() {
	local dir=$1 test=$2
	{
		echo "MODE=$mode T=$test"
		cat "$H/vm/lib.sh" "$H/vm/$test.sh"
	} >"$dir/root/test.sh"
	tar -C "$dir/root" -cf "$dir/payload.tar" .
}

# put_payload IMG DIR: DIR/payload.tar into the ext4 image IMG as
# /rig-payload.tar (debugfs: no mount, no loop device; vm rig-run unpacks
# and removes it).
put_payload() {
	printf 'rm /rig-payload.tar\nwrite %s /rig-payload.tar\n' "$2/payload.tar" >"$2/debugfs.cmd"
	debugfs -w -f "$2/debugfs.cmd" "$1" >"$2/debugfs.log" 2>&1
	debugfs -R 'stat /rig-payload.tar' "$1" 2>/dev/null | matches "Size: $(stat -c %s "$2/payload.tar")" ||
		die "libvirt: cannot write the payload into $1 (debugfs, log: $2/debugfs.log)"
}

# boot IMG PAYLOAD-DIR LOG APPEND: one boot, the walk's lines to stdout
boot() {
	local img=$1 pd=$2 log=$3 append=$4 rc=0
	put_payload "$img" "$pd"
	"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --disk "$img" \
		--append "$append" --timeout "${LIBVIRT_TIMEOUT:-1800}" --log "$log" --quiet || rc=$?
	# From the FIRST marker on (kernel messages may precede it on the
	# console line); a marker later in the line is text (a journal line
	# shown by the test repeats the test's own PASS:/FAIL: lines).
	tr -d '\r' <"$log" | awk 'match($0, /DEMO\||PASS: |FAIL: |KLOG\||VIRSH-ERROR\||TAP\|/) { print substr($0, RSTART) }'
	[ "$rc" -eq 0 ] || echo "libvirt: $k: VM exit $rc, console log: $log" >&2
	return "$rc"
}

case $cmd in
kernel)
	rootfs_kernel
	exit 0
	;;
run) ;;
*) die "libvirt: unknown command '$cmd'" ;;
esac

test=${3:?usage: host.sh run KERNEL libvirt|boottime|kselftest}
# LIBVIRT_KBUILD: a development build dir instead (no variants.sh, no build)
if [ -n "${LIBVIRT_KBUILD:-}" ]; then kb=$LIBVIRT_KBUILD; else kb=$(rootfs_kernel | tail -n 1); fi
[ -n "${QEMU:-}" ] || "$TOP/scripts/build-qemu.sh" >&2
raw_img=$("$TOP/scripts/rootfs.sh" image "$kb" | tail -n 1)
mode=series
[ "$k" = base ] && mode=base
tmp=$(mktemp -d "$CACHE/libvirt-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The image's first boot (the configuration the maintainer scripts would
# have done: systemd-sysusers, tmpfiles, ldconfig, hwdb, machine id) runs
# once per image in the emulated machine, vm/prime.sh; the primed image is
# kept next to it, and every test boots a fresh copy of that.
# The kernel's own messages go to the kernel log, not the console: only
# the walk's lines are on it (LIBVIRT_QUIET="" shows the boot, to debug it).
quiet=${LIBVIRT_QUIET-"quiet loglevel=3 systemd.show_status=0"}
base_img=${raw_img%.img}-primed.img
pstamp=$(cat "$raw_img.sum" "$H/vm/prime.sh" "$H/vm/lib.sh" | sha256sum | cut -d' ' -f1)
if [ ! -f "$base_img" ] || [ "$(cat "$base_img.sum" 2>/dev/null)" != "$pstamp" ]; then
	rm -f "$base_img" "$base_img.sum"
	mkdir -p "$tmp/prime/root"
	cp --sparse=always "$raw_img" "$tmp/prime/root.img"
	payload "$tmp/prime" prime
	p0=$(date +%s)
	if ! boot "$tmp/prime/root.img" "$tmp/prime" "$LOGDIR/libvirt-prime-$k.log" "$quiet"; then
		echo "FAIL: libvirt: prime [$mode] the first boot of the image failed, console log: $LOGDIR/libvirt-prime-$k.log"
		exit 1
	fi
	echo "DEMO| -- first boot (priming) of the image: $(($(date +%s) - p0)) s"
	mv "$tmp/prime/root.img" "$base_img"
	echo "$pstamp" >"$base_img.sum"
	rm -rf "$tmp/prime"
fi
img=$tmp/root.img
cp --sparse=always "$base_img" "$img"
mkdir -p "$tmp/p/root"
# apmask: 256 bits, bit 0 = leftmost: every adapter for the default drivers
# except adapter 2 (its queues 02.xxxx go to vfio_ap), as tests/scenario.
APMASK_ALL_BUT_2=0xdf$(printf 'f%.0s' $(seq 62))
log=$LOGDIR/libvirt-$test-$k.log
rc=0
case $test in
libvirt)
	payload "$tmp/p" libvirt
	boot "$img" "$tmp/p" "$log" "$quiet ap.apmask=$APMASK_ALL_BUT_2" || rc=$?
	;;
boottime)
	payload "$tmp/p" boot-define
	boot "$img" "$tmp/p" "${log%.log}-1.log" "$quiet ap.apmask=$APMASK_ALL_BUT_2" || rc=$?
	if [ "$rc" -eq 0 ]; then
		rm -rf "$tmp/p" && mkdir -p "$tmp/p/root"
		payload "$tmp/p" boot-check
		# Every adapter and every domain but 3 for the default drivers:
		# of the mdev's APQNs 02.0003 and 02.0004, 02.0004 is now the host's.
		boot "$img" "$tmp/p" "${log%.log}-2.log" "$quiet ap.aqmask=0xef" || rc=$?
	fi
	;;
kselftest)
	# Kernel CI's way: the selftests' install target into the payload
	# (unpacked at /rig in the VM), built against the root file system's
	# glibc (Debian's libc6-dev-s390x-cross is the same 2.36).
	blog=$(logfile "libvirt-kselftest-build-$k")
	src=$(vsrc series) # the selftest is part of the series, for both kernels
	if ! make -C "$src/tools/testing/selftests" ARCH=s390 CROSS_COMPILE=$CROSS \
		TARGETS=vfio_ap INSTALL_PATH="$tmp/p/root/kselftest" O="$tmp/kst" install >"$blog" 2>&1 ||
		[ ! -x "$tmp/p/root/kselftest/run_kselftest.sh" ]; then
		tail -n 10 "$blog"
		echo "FAIL: libvirt: kselftest [$mode] make -C tools/testing/selftests TARGETS=vfio_ap install (cross, s390x), log: $blog"
		exit 1
	fi
	echo "PASS: libvirt: kselftest [$mode] make -C tools/testing/selftests TARGETS=vfio_ap install (cross, s390x)"
	# 5.10's runner reads the per-test timeout from the INSTALLED
	# vfio_ap/settings (default 45 s); 5.10's lib.mk installs it only when
	# the Makefile lists it in TEST_FILES.
	if [ -f "$tmp/p/root/kselftest/vfio_ap/settings" ]; then
		echo "PASS: libvirt: kselftest [$mode] the install carries vfio_ap/settings ($(tr '\n' ' ' <"$tmp/p/root/kselftest/vfio_ap/settings"))"
	else
		echo "FAIL: libvirt: kselftest [$mode] the install lacks vfio_ap/settings: run_kselftest.sh gives each binary the default 45 s (5.10 lib.mk installs only TEST_FILES)"
	fi
	payload "$tmp/p" kselftest
	# As tests/selftest's initramfs run: adapters 2, 3 and domains 6, 7
	# for vfio_ap, everything else for the default drivers.
	boot "$img" "$tmp/p" "$log" "$quiet ap.apmask=0xcf$(printf 'f%.0s' $(seq 62)) ap.aqmask=0xfc$(printf 'f%.0s' $(seq 62))" || rc=$?
	;;
*) die "libvirt: unknown test '$test' (libvirt | boottime | kselftest)" ;;
esac
exit "$rc"
