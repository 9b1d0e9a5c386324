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

series_sum() { # hash of the series file and every patch it lists
	{
		cat "$SERIES" 2>/dev/null || true
		series_list | while read -r p; do cat "$PDIR/$p"; done
	} | sha256sum | cut -d' ' -f1
}
series_list() { [ -f "$SERIES" ] && grep -v -e '^#' -e '^[[:space:]]*$' "$SERIES" || true; }

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

apply_series() {
	local want have head recorded new wt
	want=$(series_sum)
	have=$(cat "$SRC/.git/rig-series.sum" 2>/dev/null || true)
	[ "$want" = "$have" ] && return 0
	head=$("${GIT[@]}" rev-parse HEAD)
	recorded=$(cat "$SRC/.git/rig-head" 2>/dev/null || "${GIT[@]}" rev-parse base)
	if [ "${FORCE:-0}" != 1 ]; then
		[ -z "$("${GIT[@]}" status --porcelain --untracked-files=no)" ] ||
			die "build-qemu: $SRC has uncommitted changes; commit and 'build-qemu.sh export' them, or FORCE=1 to discard"
		[ "$head" = "$recorded" ] ||
			die "build-qemu: $SRC has commits not exported to patches/qemu ($recorded..$head); run 'build-qemu.sh export' or FORCE=1 to discard"
	fi
	# Apply in a scratch worktree, then move the real tree there with
	# 'checkout': only files that differ are rewritten, so the others keep
	# their mtimes and the rebuild stays incremental.
	wt=$QDIR/am.tmp
	"${GIT[@]}" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
	"${GIT[@]}" worktree prune
	"${GIT[@]}" worktree add -q --detach "$wt" base
	local p
	while read -r p; do
		git -C "$wt" -c user.name=rig -c user.email=rig@localhost -c commit.gpgsign=false \
			am -q --keep-cr --committer-date-is-author-date "$PDIR/$p" ||
			{ git -C "$wt" am --abort || true; die "build-qemu: patch $p does not apply (see above)"; }
	done < <(series_list)
	new=$(git -C "$wt" rev-parse HEAD)
	"${GIT[@]}" worktree remove --force "$wt"
	if [ "${FORCE:-0}" = 1 ]; then
		"${GIT[@]}" reset -q --hard
	fi
	"${GIT[@]}" checkout -q -B rig "$new"
	echo "$new" >"$SRC/.git/rig-head"
	echo "$want" >"$SRC/.git/rig-series.sum"
	say "build-qemu: applied $(series_list | wc -l) patches from $SERIES"
}

export_series() {
	[ -d "$SRC/.git" ] || die "build-qemu: no tree at $SRC; run build-qemu.sh first"
	[ -z "$("${GIT[@]}" status --porcelain --untracked-files=no)" ] ||
		die "build-qemu: $SRC has uncommitted changes; commit them first"
	local tmp p
	tmp=$(mktemp -d)
	"${GIT[@]}" format-patch -q --zero-commit --no-signature --no-stat -o "$tmp" base..HEAD
	mkdir -p "$PDIR"
	# Drop the patches of the old series, then write the new ones.
	series_list | while read -r p; do rm -f "$PDIR/$p"; done
	: >"$SERIES.tmp"
	for p in "$tmp"/*.patch; do
		[ -e "$p" ] || continue
		cp "$p" "$PDIR/$(basename "$p")"
		basename "$p" >>"$SERIES.tmp"
	done
	mv "$SERIES.tmp" "$SERIES"
	rm -rf "$tmp"
	"${GIT[@]}" rev-parse HEAD >"$SRC/.git/rig-head"
	series_sum >"$SRC/.git/rig-series.sum"
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
