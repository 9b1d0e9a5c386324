#!/usr/bin/env bash
# rootfs.sh: a Debian bookworm s390x root file system for the VM (systemd,
# udev, libvirt with its node-device driver, mdevctl, s390-tools), built
# from Debian's packages on this x86 host, for tests/libvirt.
#
#   rootfs.sh tree            -> $CACHE/rootfs/tree (cached), prints its path
#   rootfs.sh image KBUILD    -> ext4 disk image of the tree plus the modules
#                                of kernel build KBUILD (cached per build),
#                                prints its path
#
# How (no binfmt_misc here, so no s390x program can run on the host):
#   - a private apt configuration ($CACHE/apt/bookworm-s390x-rootfs; the
#     machine's own apt configuration and dpkg database are never touched,
#     no "dpkg --add-architecture") resolves the packages below plus every
#     Priority: required / Essential: yes package of bookworm, and downloads
#     them (apt checks them against the signed Release files);
#   - each .deb is unpacked with dpkg-deb into a merged-/usr tree;
#   - no maintainer script runs. What they would do and the image needs is
#     done here by hand (base-passwd's passwd/group, update-alternatives'
#     links, the libvirt users as a sysusers.d file, enabled units as
#     symlinks); the rest is done by systemd itself on the first boot in
#     the emulated machine (systemd-sysusers, systemd-tmpfiles, ldconfig,
#     hwdb, machine-id: the ConditionNeedsUpdate/first-boot units);
#   - the disk image is made without mounting anything: mke2fs -d.
# The dpkg database stays empty (dpkg -l shows nothing): this is a test
# image, not an installable system; $CACHE/rootfs/manifest.txt lists every
# package and version, and so does /usr/share/rig/manifest.txt in the image.
# The VM side of the rig (tests/libvirt/rootfs/) is copied in: a unit that
# runs the payload tests/libvirt/host.sh writes into the image per boot
# (/rig-payload.tar), and a console login for debugging.
# Rebuilt when this script or tests/libvirt/rootfs/ changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:?usage: rootfs.sh tree | image KBUILD}
RD=$CACHE/rootfs
TREE=$RD/tree
RLOG=$(logfile rootfs)
fail() { die "FAILED: stage 'rootfs $what': $*, log: $RLOG"; }
mkdir -p "$RD"

PKGS=(systemd systemd-sysv udev dbus kmod
	libvirt-daemon libvirt-daemon-system libvirt-clients
	mdevctl s390-tools usr-is-merged procps less)

treesum=$( (cat "$0"; find "$TOP/tests/libvirt/rootfs" -type f | LC_ALL=C sort | xargs cat) | sha256sum | cut -d' ' -f1)

apt_rootfs() { # sets O: private apt for bookworm s390x, empty dpkg status
	local d=$CACHE/apt/bookworm-s390x-rootfs
	mkdir -p "$d/lists/partial" "$d/sources.d" "$d/state" "$d/archives/partial"
	: >"$d/status"
	cat >"$d/sources.d/debian.sources" <<EOS
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	O=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$d/sources.d"
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
		-o Dir::Etc::Parts=/dev/null -o "Dir::State=$d/state"
		-o "Dir::State::Lists=$d/lists" -o "Dir::State::status=$d/status"
		-o "Dir::Cache=$d/cache" -o "Dir::Cache::archives=$RD/debs"
		-o APT::Sandbox::User=root -o APT::Architecture=s390x
		-o APT::Architectures::=s390x -o APT::Get::Assume-Yes=true)
	mkdir -p "$RD/debs/partial"
	# Fresh lists at most once a day (bookworm point releases replace debs).
	if [ -z "$(find "$d/updated" -mmin -1440 2>/dev/null)" ]; then
		apt-get "${O[@]}" update >>"$RLOG" 2>&1 || fail "apt-get update (bookworm s390x) failed"
		touch "$d/updated"
	fi
}

deb_arch() { # PKG VERSION -> s390x or all (the .deb file name's last part)
	local f
	for f in "$RD/debs/${1}_${2//:/%3a}_s390x.deb" "$RD/debs/${1}_${2//:/%3a}_all.deb"; do
		[ -f "$f" ] && { f=${f##*_}; echo "${f%.deb}"; return; }
	done
	echo s390x
}

build_tree() {
	local start tmp T deb ess n pkg ver
	start=$(date +%s)
	: >"$RLOG"
	apt_rootfs
	# Everything a debootstrap of bookworm would hold (required + essential).
	mapfile -t ess < <(apt-cache "${O[@]}" dumpavail 2>>"$RLOG" | awk '
		/^Package:/ { p = $2 } /^Priority: required/ || /^Essential: yes/ { print p }' | sort -u)
	[ ${#ess[@]} -gt 10 ] || fail "no required packages found in the bookworm s390x lists"
	# The resolved set (name, version), then the download: .debs already in
	# $RD/debs are kept, and only the resolved versions are unpacked.
	apt-get "${O[@]}" install -s --no-install-recommends "${ess[@]}" "${PKGS[@]}" 2>>"$RLOG" |
		sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p' >"$RD/resolved.txt" ||
		fail "apt could not resolve the packages"
	[ -s "$RD/resolved.txt" ] || fail "apt resolved no package"
	apt-get "${O[@]}" install --download-only --no-install-recommends \
		"${ess[@]}" "${PKGS[@]}" >>"$RLOG" 2>&1 || fail "apt could not download the packages"
	tmp=$(mktemp -d "$RD/tree.XXXXXX")
	T=$tmp/t
	mkdir -p "$T"/usr/{bin,sbin,lib} "$T"/{etc,var,run,tmp,proc,sys,dev,root}
	for d in bin sbin lib; do ln -s "usr/$d" "$T/$d"; done
	n=0
	mkdir -p "$tmp/ctl"
	: >"$tmp/manifest"
	while read -r pkg ver; do
		deb=$RD/debs/${pkg}_${ver//:/%3a}_$(deb_arch "$pkg" "$ver").deb
		[ -f "$deb" ] || { rm -rf "$tmp"; fail "$pkg $ver was resolved but not downloaded ($deb)"; }
		dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$T" ||
			{ rm -rf "$tmp"; fail "cannot unpack $(basename "$deb")"; }
		dpkg-deb -e "$deb" "$tmp/ctl/$(dpkg-deb -f "$deb" Package)"
		echo "$pkg $ver" >>"$tmp/manifest"
		n=$((n + 1))
	done <"$RD/resolved.txt"
	say "rootfs: unpacked $n packages" >>"$RLOG"
	configure_tree "$T" "$tmp/ctl"
	mkdir -p "$T/usr/share/rig"
	sort "$tmp/manifest" >"$RD/manifest.txt"
	cp "$RD/manifest.txt" "$T/usr/share/rig/manifest.txt"
	rm -rf "$TREE" "$RD/images"
	mv "$T" "$TREE"
	rm -rf "$tmp"
	echo "$treesum" >"$RD/tree.sum"
	say "rootfs: tree of $n packages, $(du -sm "$TREE" | cut -f1) MiB, in $(($(date +%s) - start)) s" | tee -a "$RLOG" >&2
}

# configure_tree T CTL: what the maintainer scripts would have done, as far
# as the image needs it.
configure_tree() {
	local T=$1 C=$2 f link name path
	# Users and groups: base-passwd's masters; systemd-sysusers adds the
	# rest at first boot from sysusers.d (systemd's, and ours for the
	# packages that use adduser in their postinst: see tests/libvirt/rootfs).
	cp "$T/usr/share/base-passwd/passwd.master" "$T/etc/passwd"
	cp "$T/usr/share/base-passwd/group.master" "$T/etc/group"
	# root without a password: console login for debugging this test VM.
	awk -F: '{ printf "%s:%s:19000:0:99999:7:::\n", $1, ($1 == "root" ? "" : "*") }' "$T/etc/passwd" >"$T/etc/shadow"
	awk -F: '{ printf "%s:*::\n", $1 }' "$T/etc/group" >"$T/etc/gshadow"
	chmod 640 "$T/etc/shadow" "$T/etc/gshadow"
	chgrp 42 "$T/etc/shadow" "$T/etc/gshadow" # group shadow in base-passwd
	# update-alternatives: the best priority per link, as postinst would.
	cat "$C"/*/postinst 2>/dev/null | tr -d '\\' | grep -o 'update-alternatives[^;&|]*--install[^;&|]*' |
		awk '{ for (i = 1; i <= NF; i++) if ($i == "--install") { print $(i+1), $(i+2), $(i+3), $(i+4); break } }' |
		grep -v '\$' | sort -k2,2 -k4,4nr | awk '!seen[$2]++' >"$C.alternatives" || true
	while read -r link name path _; do
		[ -e "$T$path" ] || [ -L "$T$path" ] || continue
		[ -e "$T$link" ] || [ -L "$T$link" ] && continue
		mkdir -p "$T/etc/alternatives" "$(dirname "$T$link")"
		ln -s "$path" "$T/etc/alternatives/$name"
		ln -s "/etc/alternatives/$name" "$T$link"
		echo "alternative $link -> $path" >>"$RLOG"
	done <"$C.alternatives"
	[ -e "$T/usr/bin/awk" ] || fail "no /usr/bin/awk after the alternatives"
	[ -e "$T/usr/bin/sh" ] || ln -s dash "$T/usr/bin/sh"
	# base-files ships /var/run and /var/lock as directories; its postinst
	# makes them links to /run. Without that, libvirtd listens on
	# /run/libvirt/libvirt-sock and virsh looks in /var/run/libvirt.
	rm -rf "$T/var/run" "$T/var/lock"
	ln -s /run "$T/var/run"
	ln -s /run/lock "$T/var/lock"
	echo rig-s390x >"$T/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\trig-s390x\n' >"$T/etc/hosts"
	printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t1\n' >"$T/etc/fstab"
	: >"$T/etc/machine-id" # systemd writes one at first boot
	ln -sf /usr/share/zoneinfo/Etc/UTC "$T/etc/localtime"
	echo Etc/UTC >"$T/etc/timezone"
	# The rig's own files (test unit, sysusers, module list, ...).
	cp -a "$TOP/tests/libvirt/rootfs/." "$T/"
	chown -R root:root "$T/etc/systemd" "$T/usr/lib/sysusers.d" "$T/usr/local"
	# Enable units as "systemctl enable" would (their [Install] WantedBy=).
	for f in libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket \
		virtlogd.socket virtlockd.socket rig-test.service; do
		path=$(find "$T/usr/lib/systemd/system" "$T/etc/systemd/system" -maxdepth 1 -name "$f" | head -n 1)
		[ -n "$path" ] || fail "unit $f not found in the tree"
		for name in $(sed -n 's/^WantedBy=//p' "$path"); do
			mkdir -p "$T/etc/systemd/system/$name.wants"
			ln -sf "${path#"$T"}" "$T/etc/systemd/system/$name.wants/$f"
		done
	done
	ln -sf /usr/lib/systemd/system/multi-user.target "$T/etc/systemd/system/default.target"
}

make_image() { # make_image KBUILD -> image with the tree and KBUILD's modules
	local kb=$1 img stamp tmp kver
	[ -f "$kb/arch/s390/boot/bzImage" ] || fail "no kernel build at $kb"
	kver=$(cat "$kb/include/config/kernel.release" 2>/dev/null) || fail "no kernel.release in $kb"
	img=$kb/rootfs.img
	# The modules too: a change to a module alone (vfio_ap.ko) leaves the
	# bzImage as it was.
	stamp=$( (cat "$RD/tree.sum" "$kb/arch/s390/boot/bzImage" "$0"
		find "$kb" -name '*.ko' -print0 | LC_ALL=C sort -z | xargs -0r cat) | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$img.sum" 2>/dev/null)" = "$stamp" ] && [ -f "$img" ]; then
		echo "$img"
		return 0
	fi
	tmp=$(mktemp -d "$RD/image.XXXXXX")
	# A hard-linked copy of the tree plus this kernel's modules.
	cp -al "$TREE" "$tmp/t"
	make -C "$kb" ARCH=s390 CROSS_COMPILE=$CROSS INSTALL_MOD_PATH="$tmp/mods" \
		modules_install >>"$RLOG" 2>&1 || { rm -rf "$tmp"; fail "modules_install of $kb"; }
	mkdir -p "$tmp/t/usr/lib/modules"
	cp -a "$tmp/mods/lib/modules/$kver" "$tmp/t/usr/lib/modules/"
	rm -f "$tmp/t/usr/lib/modules/$kver/build" "$tmp/t/usr/lib/modules/$kver/source"
	# 2 GiB sparse; about 0.6 GiB used, the rest is room for the tests.
	mke2fs -q -t ext4 -L rig-root -d "$tmp/t" "$tmp/img" 2048M >>"$RLOG" 2>&1 ||
		{ rm -rf "$tmp"; fail "mke2fs -d of the root file system"; }
	mv "$tmp/img" "$img"
	rm -rf "$tmp"
	echo "$stamp" >"$img.sum"
	echo "$img"
}

case $what in
tree)
	if [ "$(cat "$RD/tree.sum" 2>/dev/null)" != "$treesum" ] || [ ! -x "$TREE/usr/bin/virsh" ]; then
		build_tree
	fi
	echo "$TREE"
	;;
image)
	kb=${2:?usage: rootfs.sh image KBUILD}
	"$0" tree >/dev/null
	make_image "$kb"
	;;
*) die "rootfs: unknown command '$what' (tree | image KBUILD)" ;;
esac
