#!/usr/bin/env bash
# workspace.sh init [TREE]  unpack the base into a git tree (first commit,
#                           tag "base") and apply patches/linux/series with
#                           git am, one commit per patch.
# workspace.sh export       write the commits back to patches/linux with
#                           git format-patch (cover letter from the branch
#                           description); no change -> byte-identical files.
# workspace.sh path         print the work tree's path.
# The work tree lives in $CACHE/linux-5.10/src (outside the repo).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PDIR=$TOP/patches/linux
SRC=${KSRC:-$CACHE/linux-5.10/src}
G=(git -C "$SRC" -c user.name="$(git -C "$TOP" config user.name)" -c user.email="$(git -C "$TOP" config user.email)")

series_files() { grep -v -e '^#' -e '^[[:space:]]*$' "$PDIR/series" || true; }
series_hash() { (cat "$PDIR/series"; series_files | while read -r p; do cat "$PDIR/$p"; done) | sha256sum | cut -d' ' -f1; }

unpack_base() {
	local tarball=${KERNEL_TARBALL:-$CACHE/dl/linux-$KVER.tar.xz} tmp
	"$TOP/scripts/fetch.sh" kernel
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
		-m "Linux $KVER (Debian linux-source-5.10 $KPKG_VERSION)"
	git -C "$tmp" tag base
	rm -rf "$SRC" && mv "$tmp" "$SRC"
}

apply_series() {
	local want have p
	want=$(series_hash)
	have=$(cat "$SRC/.git/series-applied" 2>/dev/null || true)
	if [ "$want" = "$have" ] && [ "$("${G[@]}" rev-parse HEAD)" = "$(cat "$SRC/.git/series-head")" ]; then
		say "workspace: $SRC already holds the series ($(series_files | wc -l) patches)"
		return 0
	fi
	if [ -n "$have" ] && [ "$("${G[@]}" rev-parse HEAD)" != "$(cat "$SRC/.git/series-head" 2>/dev/null)" ] &&
		[ -z "${FORCE:-}" ]; then
		die "workspace: $SRC has commits that are not in patches/linux (run 'scripts/workspace.sh export' first, or FORCE=1 to discard them)"
	fi
	if [ -n "$("${G[@]}" status --porcelain --untracked-files=no)" ] && [ -z "${FORCE:-}" ]; then
		die "workspace: $SRC has uncommitted changes (commit and export them, or FORCE=1 to discard them)"
	fi
	"${G[@]}" am --abort >/dev/null 2>&1 || true
	"${G[@]}" checkout -q -B series base
	"${G[@]}" reset -q --hard base
	while read -r p; do
		[ -f "$PDIR/$p" ] || die "workspace: patches/linux/series names $p, which does not exist"
		if ! "${G[@]}" am -q --committer-date-is-author-date --whitespace=nowarn "$PDIR/$p" >"$LOGDIR/git-am.log" 2>&1; then
			"${G[@]}" am --abort >/dev/null 2>&1 || true
			"${G[@]}" reset -q --hard base
			tail -n 15 "$LOGDIR/git-am.log" >&2
			die "FAILED: stage 'workspace' (patch $p does not apply), log: $LOGDIR/git-am.log"
		fi
	done < <(series_files)
	# The cover letter's text is kept as the branch description.
	if [ -f "$PDIR/0000-cover-letter.patch" ]; then
		"${G[@]}" config branch.series.description "$(sed -n '/^Subject: /,/^-- $/p' "$PDIR/0000-cover-letter.patch" |
			sed -e '1s/^Subject: \[PATCH[^]]*\] //' -e '/^-- $/d' | sed -e '/^ .* | *[0-9]* [+-]*$/,$d' -e '/^[^ ].*([0-9]*):$/,$d')"
	fi
	echo "$want" >"$SRC/.git/series-applied"
	"${G[@]}" rev-parse HEAD >"$SRC/.git/series-head"
	say "workspace: applied $(series_files | wc -l) patches on base in $SRC"
}

export_series() {
	local tmp n f
	[ -d "$SRC/.git" ] || die "workspace: no work tree at $SRC (run 'scripts/workspace.sh init')"
	n=$("${G[@]}" rev-list --count base..series)
	tmp=$(mktemp -d)
	"${G[@]}" format-patch -q --zero-commit --no-signature --base=base --cover-letter \
		--cover-from-description=subject --subject-prefix=PATCH -o "$tmp" base..series
	# "base-commit:" names our private base commit: replace it by the release.
	sed -i "s/^base-commit: .*/base-commit: v$KVER (Debian linux-source-5.10 $KPKG_VERSION)/" "$tmp"/*.patch
	# The cover letter's Date is "now": keep the old file when only that differs.
	for f in "$tmp"/*.patch; do
		b=$(basename "$f")
		if [ -f "$PDIR/$b" ] && cmp -s <(grep -v '^Date: ' "$f") <(grep -v '^Date: ' "$PDIR/$b"); then
			continue
		fi
		cp "$f" "$PDIR/$b"
	done
	# Drop patch files that are no longer part of the series.
	for f in "$PDIR"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$f" ] || continue
		[ -e "$tmp/$(basename "$f")" ] || rm -f "$f"
	done
	{
		echo '# Patch order for the vfio_ap series (quilt-style, one file name per line).'
		for f in "$tmp"/*.patch; do b=$(basename "$f"); [ "$b" = 0000-cover-letter.patch ] || echo "$b"; done
	} >"$PDIR/series.new"
	cmp -s "$PDIR/series.new" "$PDIR/series" && rm "$PDIR/series.new" || mv "$PDIR/series.new" "$PDIR/series"
	rm -rf "$tmp"
	series_hash >"$SRC/.git/series-applied"
	"${G[@]}" rev-parse HEAD >"$SRC/.git/series-head"
	say "workspace: exported $n patches to patches/linux"
}

case ${1:-} in
init)
	[ -d "$SRC/.git" ] || run_stage unpack "$(logfile unpack)" unpack_base
	apply_series
	;;
export) export_series ;;
path) echo "$SRC" ;;
*) die "usage: workspace.sh init|export|path" ;;
esac
