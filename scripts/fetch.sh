#!/usr/bin/env bash
# fetch.sh WHAT: download a source package into the cache, verified.
#   kernel  linux-source-5.10 5.10.223-1 (bullseye)  -> $CACHE/dl/linux-5.10.223.tar.xz
#   qemu    qemu 7.2+dfsg-7+deb12u18 source (bookworm) -> $CACHE/dl/qemu/
#   anchor-6.1 / anchor-6.12  linux-source-6.x (bookworm)
#   debian-src  Debian's linux 5.10.223-1 SOURCE package (bullseye deb-src:
#           .dsc, orig tarball, debian tarball) -> $CACHE/dl/linux-deb/
#   s390x PKG...  s390x binary packages (bookworm) -> $CACHE/dl/s390x/*.deb,
#           versions pinned by scripts/sources.sha256 (deb file names)
# A private apt configuration is used; the machine's own is never touched.
# KERNEL_TARBALL=/path/linux-source-5.10.tar.xz skips the download.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:?usage: fetch.sh kernel|qemu|anchor-6.1|anchor-6.12|debian-src|s390x PKG...}
DL=$CACHE/dl
FLOG=$(logfile "fetch-$what")
: >"$FLOG"
fail() { die "FAILED: stage 'fetch $what': $*, log: $FLOG"; }
mkdir -p "$DL"

apt_private() { # apt_private bullseye|bookworm [s390x] -> sets O
	local d=$CACHE/apt/$1${2:+-$2} extra=
	mkdir -p "$d/lists/partial" "$d/sources.d"
	[ "$1" = bookworm ] && extra="
Types: deb deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
	cat >"$d/sources.d/debian.sources" <<EOS
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: $1 $([ "$1" = bookworm ] && echo bookworm-updates)
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
$extra
EOS
	O=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$d/sources.d"
		-o "Dir::State::Lists=$d/lists" -o Dir::Cache="$d/cache" -o APT::Sandbox::User=root)
	[ -z "${2:-}" ] || O+=(-o "APT::Architecture=$2" -o "APT::Architectures::=$2" -o Dir::State::status=/dev/null)
	if [ ! -f "$d/updated" ]; then
		apt-get "${O[@]}" update >>"$FLOG" 2>&1 || fail "apt-get update failed"
		touch "$d/updated"
	fi
}

# check_sha FILE SUMFILE-LINE-NAME: compare with the pinned checksum
check_sha() {
	local f=$1 name=$2 want got
	want=$(awk -v n="$name" '$2 == n { print $1 }' "$TOP/scripts/sources.sha256")
	[ -n "$want" ] || fail "no pinned checksum for $name in scripts/sources.sha256"
	got=$(sha256sum "$f" | cut -d' ' -f1)
	[ "$want" = "$got" ] || { echo "$f: sha256 $got, pinned $want" >>"$FLOG"; rm -f "$f"; fail "checksum mismatch for $name (removed it; run again to download it anew)"; }
}

deb_source_tarball() { # PKG VERSION SUITE TARBALL-IN-DEB OUT
	local pkg=$1 ver=$2 suite=$3 inner=$4 out=$5 deb tmp
	[ -f "$out" ] && return 0
	deb=${pkg}_${ver}_all.deb
	if [ ! -f "$DL/$deb" ]; then
		apt_private "$suite"
		(cd "$DL" && apt-get "${O[@]}" download "$pkg=$ver") >>"$FLOG" 2>&1 || fail "cannot download $pkg=$ver"
	fi
	check_sha "$DL/$deb" "$deb"
	tmp=$(mktemp -d "$DL/x.XXXXXX")
	dpkg-deb --fsys-tarfile "$DL/$deb" 2>>"$FLOG" | tar -x -C "$tmp" "./usr/src/$inner" 2>>"$FLOG" ||
		{ rm -rf "$tmp"; fail "cannot unpack $deb"; }
	mv "$tmp/usr/src/$inner" "$out.part" && mv "$out.part" "$out"
	rm -rf "$tmp"
}

case $what in
kernel)
	if [ -n "${KERNEL_TARBALL:-}" ]; then
		[ -f "$KERNEL_TARBALL" ] || fail "KERNEL_TARBALL=$KERNEL_TARBALL does not exist"
		xz -t "$KERNEL_TARBALL" >>"$FLOG" 2>&1 || fail "KERNEL_TARBALL=$KERNEL_TARBALL is not a valid .tar.xz"
		say "fetch: using local tarball $KERNEL_TARBALL"
		exit 0
	fi
	deb_source_tarball linux-source-5.10 "$KPKG_VERSION" bullseye \
		linux-source-5.10.tar.xz "$DL/linux-$KVER.tar.xz"
	;;
anchor-6.1)
	deb_source_tarball linux-source-6.1 6.1.192-2 bookworm \
		linux-source-6.1.tar.xz "$DL/linux-6.1.tar.xz"
	;;
anchor-6.12)
	deb_source_tarball linux-source-6.12 6.12.117-1~deb12u1 bookworm \
		linux-source-6.12.tar.xz "$DL/linux-6.12.tar.xz"
	;;
qemu)
	ver=1:7.2+dfsg-7+deb12u18
	if [ ! -f "$DL/qemu/qemu_7.2+dfsg-7+deb12u18.dsc" ]; then
		apt_private bookworm
		mkdir -p "$DL/qemu"
		(cd "$DL/qemu" && apt-get "${O[@]}" source --download-only "qemu=$ver") >>"$FLOG" 2>&1 || fail "cannot download the qemu=$ver source"
	fi
	for f in "$DL"/qemu/*; do check_sha "$f" "$(basename "$f")"; done
	;;
debian-src)
	# The Debian source package, with its own debian/patches stack: what
	# the Debian kernel team builds from (scripts/debian-patches.sh).
	if [ ! -f "$DL/linux-deb/linux_$KPKG_VERSION.dsc" ]; then
		apt_private bullseye
		mkdir -p "$DL/linux-deb"
		(cd "$DL/linux-deb" && apt-get "${O[@]}" source --download-only "linux=$KPKG_VERSION") >>"$FLOG" 2>&1 ||
			fail "cannot download the linux=$KPKG_VERSION source"
	fi
	for f in "$DL"/linux-deb/*; do check_sha "$f" "$(basename "$f")"; done
	;;
s390x)
	shift
	mkdir -p "$DL/s390x"
	for pkg in "$@"; do
		# The pinned file name fixes the version: <pkg>_<version>_s390x.deb
		deb=$(awk -v p="$pkg" 'index($2, p "_") == 1 && $2 ~ /_s390x\.deb$/ { print $2 }' "$TOP/scripts/sources.sha256")
		[ -n "$deb" ] || fail "no pinned s390x package '$pkg' in scripts/sources.sha256"
		if [ ! -f "$DL/s390x/$deb" ]; then
			apt_private bookworm s390x
			ver=$(echo "$deb" | cut -d_ -f2 | sed 's/%3a/:/')
			(cd "$DL/s390x" && apt-get "${O[@]}" download "$pkg=$ver") >>"$FLOG" 2>&1 || fail "cannot download $pkg=$ver (s390x)"
		fi
		check_sha "$DL/s390x/$deb" "$deb"
	done
	;;
*) fail "unknown source '$what'" ;;
esac
