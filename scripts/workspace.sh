#!/usr/bin/env bash
# workspace.sh init [TREE]  unpack the base into a git tree (first commit,
#                           tag "base") and apply patches/linux/series with
#                           git am, one commit per patch.
# workspace.sh export       write the commits back to patches/linux with
#                           git format-patch (cover letter from the branch
#                           description); no change -> byte-identical files.
# workspace.sh path         print the work tree's path.
# The work tree lives in $CACHE/linux-5.10/src (outside the repo).
# KSERIES selects the series (default 5.10):
#   KSERIES=5.10  patches/linux on Debian linux-source-5.10 (5.10.223)
#   KSERIES=6.12  patches/linux-6.12 on Debian linux-source-6.12 (6.12.117),
#                 work tree $CACHE/linux-6.12/src
# workspace.sh pdir          print the series' patch folder.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/patch-stack.sh"

case ${KSERIES:-5.10} in
5.10)
	PDIR=$TOP/patches/linux
	SRC=${KSRC:-$CACHE/linux-5.10/src}
	WS_FETCH=kernel WS_TARBALL=${KERNEL_TARBALL:-$CACHE/dl/linux-$KVER.tar.xz}
	WS_VER=$KVER WS_ORIGIN="Debian linux-source-5.10 $KPKG_VERSION"
	;;
6.12)
	PDIR=$TOP/patches/linux-6.12
	SRC=${KSRC:-$CACHE/linux-6.12/src}
	WS_FETCH=anchor-6.12 WS_TARBALL=$CACHE/dl/linux-6.12.tar.xz
	WS_VER=6.12.117 WS_ORIGIN="Debian linux-source-6.12 6.12.117-1~deb12u1"
	;;
*) die "workspace: unknown KSERIES '$KSERIES' (5.10 or 6.12)" ;;
esac
G=(git -C "$SRC" -c user.name="$(git -C "$TOP" config user.name)" -c user.email="$(git -C "$TOP" config user.email)")

series_files() { ps_files "$PDIR"; }
unpack_base() {
	local tarball=$WS_TARBALL tmp
	"$TOP/scripts/fetch.sh" "$WS_FETCH"
	tmp=$SRC.unpack
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xf "$tarball" -C "$tmp" --strip-components=1
	git -C "$tmp" init -q -b base-branch
	git -C "$tmp" config core.looseCompression 1
	git -C "$tmp" config gc.auto 0
	git -C "$tmp" add -A -f  # Debian's .gitignore ignores "/*"
	GIT_AUTHOR_DATE='2024-08-10T00:00:00Z' GIT_COMMITTER_DATE='2024-08-10T00:00:00Z' \
		git -C "$tmp" -c user.name=base -c user.email=base@localhost commit -q \
		-m "Linux $WS_VER ($WS_ORIGIN)"
	git -C "$tmp" tag base
	rm -rf "$SRC" && mv "$tmp" "$SRC"
}

apply_series() {
	if ps_current "$SRC" "$PDIR"; then
		say "workspace: $SRC already holds the series ($(series_files | wc -l) patches)"
		return 0
	fi
	ps_guard "$SRC" workspace
	"${G[@]}" am --abort >/dev/null 2>&1 || true
	ps_apply "$SRC" "$PDIR" series "$(logfile git-am)" --whitespace=nowarn
	# The cover letter's text is kept as the branch description.
	if [ -f "$PDIR/0000-cover-letter.patch" ]; then
		"${G[@]}" config branch.series.description "$(sed -n '/^Subject: /,/^-- $/p' "$PDIR/0000-cover-letter.patch" | sed -e '1{N;s/\n / /}' |
			sed -e '1s/^Subject: \[PATCH[^]]*\] //' -e '/^-- $/d' | sed -e '/^ .* | *[0-9]* [+-]*$/,$d' -e '/^[^ ].*([0-9]*):$/,$d')"
	fi
	say "workspace: applied $(series_files | wc -l) patches on base in $SRC"
}

export_series() {
	local tmp n
	[ -d "$SRC/.git" ] || die "workspace: no work tree at $SRC (run 'scripts/workspace.sh init')"
	n=$("${G[@]}" rev-list --count base..series)
	tmp=$(mktemp -d)
	"${G[@]}" format-patch -q --zero-commit --no-signature --base=base --cover-letter \
		--cover-from-description=subject --subject-prefix=PATCH -o "$tmp" base..series
	# "base-commit:" names our private base commit: replace it by the release.
	sed -i "s/^base-commit: .*/base-commit: v$WS_VER ($WS_ORIGIN)/" "$tmp"/*.patch
	ps_write "$PDIR" "$tmp" 0000-cover-letter.patch
	rm -rf "$tmp"
	ps_record "$SRC" "$PDIR"
	say "workspace: exported $n patches to ${PDIR#"$TOP"/}"
}

case ${1:-} in
init)
	cache_lock
	[ -d "$SRC/.git" ] || run_stage unpack "$(logfile unpack)" unpack_base
	apply_series
	;;
export) cache_lock && export_series ;;
path) echo "$SRC" ;;
pdir) echo "$PDIR" ;;
*) die "usage: workspace.sh init|export|path|pdir" ;;
esac
