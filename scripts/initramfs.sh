#!/usr/bin/env bash
# initramfs.sh KBUILD OUT.cpio.gz
# Base initramfs for the VM: Debian's busybox-static (s390x), an /init that
# mounts proc/sys/dev, loads nothing by itself, runs /test.sh if present,
# prints the kernel log between VMTEST-DMESG-BEGIN/END lines, then
# "VMTEST-EXIT: <rc>", and powers off; plus the modules of the kernel
# built in KBUILD (modules_install + depmod, so modprobe works).
# Per-run files (the test script, test binaries) are added by run-vm.sh as a
# second cpio archive appended to this one.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kbuild=${1:?usage: initramfs.sh KBUILD OUT.cpio.gz}
out=${2:?usage: initramfs.sh KBUILD OUT.cpio.gz}
[ -f "$kbuild/Makefile" ] || die "initramfs: $kbuild is not a kernel build directory"

"$TOP/scripts/fetch.sh" s390x busybox-static >/dev/null
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dpkg-deb -x "$CACHE"/dl/s390x/busybox-static_*_s390x.deb "$stage/pkg"
mkdir -p "$stage/root"/{bin,sbin,dev,proc,sys,tmp,run,root,etc,lib/modules}
cp "$stage/pkg/bin/busybox" "$stage/root/bin/busybox"
ln -s busybox "$stage/root/bin/sh"
make -s -C "$kbuild" ARCH=s390 CROSS_COMPILE=$CROSS INSTALL_MOD_PATH="$stage/root" \
	INSTALL_MOD_STRIP=1 modules_install >"$(logfile "modules-install-$(basename "$kbuild")")" 2>&1 ||
	die "FAILED: stage 'initramfs modules_install', log: $(logfile "modules-install-$(basename "$kbuild")")"
rm -f "$stage/root"/lib/modules/*/build "$stage/root"/lib/modules/*/source

cat >"$stage/root/init" <<'EOI'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
echo "VMTEST-BOOTED: $(uname -r)"
rc=0
if [ -f /test.sh ]; then
	sh /test.sh </dev/console >/dev/console 2>&1 || rc=$?
else
	setsid cttyhack sh || rc=$?
fi
# The whole kernel log, for the judge (tests/judge): `quiet` keeps most of
# it off the console, and a failed check must be explainable from the log.
echo "VMTEST-DMESG-BEGIN"
dmesg
echo "VMTEST-DMESG-END"
echo "VMTEST-EXIT: $rc"
sync
poweroff -f
EOI
chmod +x "$stage/root/init"
(cd "$stage/root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
