#!/usr/bin/env bash
# build-qemu.sh [build|export]
#   build (default): fetch Debian's qemu 7.2 source, unpack it (with Debian's
#     own quilt patches) into $CACHE/qemu/src as a git repo (first commit =
#     tag 'base'), apply patches/qemu/series with 'git am' when the series
#     changed since the last apply, configure out of tree in
#     $CACHE/qemu/build and build qemu-system-s390x (incremental).
#     Prints the binary path as its last line.
#     A re-apply refuses to drop local commits that were never exported
#     (or uncommitted changes) unless FORCE=1.
#   export: write the commits base..HEAD of $CACHE/qemu/src back to
#     patches/qemu (git format-patch --zero-commit --no-signature) and
#     rewrite patches/qemu/series. Exporting twice without change leaves
#     the files byte-identical.
# JOBS (default 2) sets ninja's parallelism; builds run under nice.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock
. "$(dirname "$0")/patch-stack.sh"

mode=${1:-build}
QDIR=$CACHE/qemu
SRC=$QDIR/src
BUILD=$QDIR/build
PDIR=$TOP/patches/qemu
SERIES=$PDIR/series
DSC=$CACHE/dl/qemu/qemu_7.2+dfsg-7+deb12u18.dsc
FIRMWARE=/usr/share/qemu/s390-ccw.img
CONF_ARGS=(--target-list=s390x-softmmu --without-default-features --enable-tcg
	--disable-docs --disable-werror --disable-debug-info)
GIT=(git -C "$SRC" -c user.name=rig -c user.email=rig@localhost
	-c commit.gpgsign=false -c core.autocrlf=false)

unpack() {
	[ -d "$SRC/.git" ] && return 0
	"$TOP/scripts/fetch.sh" qemu
	rm -rf "$QDIR/unpack.tmp"
	mkdir -p "$QDIR"
	run_stage "qemu unpack" "$(logfile qemu-unpack)" bash -c '
		set -e
		cd "$1"
		dpkg-source --no-check -x "$2" unpack.tmp
		rm -rf unpack.tmp/.pc
		git -C unpack.tmp init -q -b rig
		git -C unpack.tmp add -A -f .
		git -C unpack.tmp -c user.name=rig -c user.email=rig@localhost \
			-c commit.gpgsign=false commit -q \
			-m "base: Debian qemu 7.2+dfsg-7+deb12u18 (with Debian patches)"
		git -C unpack.tmp tag base
		mv unpack.tmp src
		rm -f ./*.orig.tar.*' _ "$QDIR" "$DSC"
}

# The patch stack (scripts/patch-stack.sh, shared with the kernel
# workspace), under the state names this tree has always used.
# shellcheck disable=SC2034 # read by patch-stack.sh
PS_SUM_FILE=rig-series.sum PS_HEAD_FILE=rig-head PS_SCRATCH=1
series_list() { ps_files "$PDIR"; }

apply_series() {
	ps_current "$SRC" "$PDIR" && return 0
	[ -f "$SRC/.git/rig-head" ] || "${GIT[@]}" rev-parse base >"$SRC/.git/rig-head"
	ps_guard "$SRC" build-qemu
	ps_apply "$SRC" "$PDIR" rig "$(logfile qemu-git-am)" --keep-cr
	say "build-qemu: applied $(series_list | wc -l) patches from $SERIES"
}

export_series() {
	[ -d "$SRC/.git" ] || die "build-qemu: no tree at $SRC; run build-qemu.sh first"
	[ -z "$("${GIT[@]}" status --porcelain --untracked-files=no)" ] ||
		die "build-qemu: $SRC has uncommitted changes; commit them first"
	local tmp
	tmp=$(mktemp -d)
	"${GIT[@]}" format-patch -q --zero-commit --no-signature --no-stat -o "$tmp" base..HEAD
	ps_write "$PDIR" "$tmp"
	rm -rf "$tmp"
	ps_record "$SRC" "$PDIR"
	say "build-qemu: exported $(series_list | wc -l) patches to $PDIR"
	cat "$SERIES"
}

configure() {
	local want
	want=$(printf '%s\n' "${CONF_ARGS[@]}" | sha256sum | cut -d' ' -f1)
	if [ -f "$BUILD/build.ninja" ] && [ "$(cat "$BUILD/.rig-conf.sum" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	rm -rf "$BUILD"
	mkdir -p "$BUILD"
	run_stage "qemu configure" "$(logfile qemu-configure)" \
		bash -c 'cd "$1" && shift && nice "$@"' _ "$BUILD" "$SRC/configure" "${CONF_ARGS[@]}"
	echo "$want" >"$BUILD/.rig-conf.sum"
}

case $mode in
build)
	# One build of this cache's QEMU at a time: make check starts it in the
	# background while the kernels build (scripts/check.sh), and the qemu
	# stage's own call then waits here for it.
	mkdir -p "$QDIR"
	exec 9>"$QDIR/.build.lock"
	w=0
	until flock -n 9; do
		[ $((w % 30)) -ne 0 ] || say "[qemu build] waiting for the build already running on $QDIR ($w s)"
		sleep 1
		w=$((w + 1))
	done
	unpack
	apply_series
	configure
	run_stage "qemu build" "$(logfile qemu-build)" \
		nice ninja -C "$BUILD" -j"${JOBS:-2}" qemu-system-s390x
	# The s390-ccw firmware (loaded even with -kernel) is not in the dfsg
	# source: use Debian's (qemu-system-data) from the build tree's bundle.
	[ -f "$FIRMWARE" ] || die "build-qemu: $FIRMWARE missing (scripts/setup.sh installs qemu-system-data)"
	ln -sf "$FIRMWARE" "$BUILD/qemu-bundle/usr/local/share/qemu/s390-ccw.img"
	echo "$BUILD/qemu-system-s390x"
	;;
export)
	export_series
	;;
*) die "usage: build-qemu.sh [build|export]" ;;
esac
