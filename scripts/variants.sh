#!/usr/bin/env bash
# variants.sh NAME: make the source tree of one kernel variant and build it.
#   base        the unpatched 5.10.223 (tag "base")
#   series      base + every patch in patches/linux/series; each prefix of
#               the series is built in turn first (bisectability; BISECT=0
#               skips that pass, for loops that only need the top)
#   wrongorder  series + tests/fixtures/wrong-lock-order.patch (negative control)
#   dev         the workspace as it is now (make vm-test): its HEAD plus its
#               uncommitted changes to tracked files, no bisect pass; for a
#               one-line edit only that file is rewritten and recompiled
# Every kernel that boots in the VM also gets tests/kernel-fixups/*.patch on
# top (test-rig fixes, not part of the series; see that folder's README).
# The bisect builds use the pure prefixes, without fixups.
# Directories come from lib.sh's variant map: the worktree is
# $CACHE/v/NAME/src, the build $CACHE/v/NAME/build; the last line printed
# is that build directory.
# Commits are deterministic (git am --committer-date-is-author-date, fixed
# identity), and a tree is only touched when its inputs changed, so a warm
# run rebuilds nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock

name=${1:?usage: variants.sh base|series|wrongorder}
case $name in
base | series | wrongorder | dev) ;;
*) die "variants: unknown variant '$name'" ;;
esac
"$TOP/scripts/workspace.sh" init >&2
SRC=$("$TOP/scripts/workspace.sh" path)
wt=$(vsrc "$name")
G=(git -C "$SRC" -c user.name=rig -c user.email=rig@localhost)
worktree_at "$SRC" "$wt"
W=(git -C "$wt" -c user.name=rig -c user.email=rig@localhost)
checkout() { # keep mtimes of unchanged files: only switch when needed
	[ "$("${W[@]}" rev-parse HEAD)" = "$("${W[@]}" rev-parse "$1^{commit}")" ] ||
		"${W[@]}" checkout -q --detach -f "$1"
}
build() { "$TOP/scripts/build-kernel.sh" "$name" >&2; } # progress to stderr

# make_tree REV PATCH...: the worktree at REV with PATCHes applied on top;
# nothing is touched when the worktree already holds exactly that.
make_tree() {
	local rev=$1 sum p
	shift
	sum=$( ("${W[@]}" rev-parse "$rev^{commit}"; for p in "$@"; do cat "$p"; done) | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$wt/.variant-sum" 2>/dev/null)" = "$sum" ] &&
		[ "$("${W[@]}" rev-parse HEAD)" = "$(cat "$wt/.variant-head" 2>/dev/null)" ]; then
		return 0
	fi
	checkout "$rev"
	am_onto "$wt" "variant $name" "$(logfile "am-$name")" "$@"
	echo "$sum" >"$wt/.variant-sum"
	"${W[@]}" rev-parse HEAD >"$wt/.variant-head"
}

fixups=("$TOP"/tests/kernel-fixups/*.patch)
[ -e "${fixups[0]}" ] || fixups=()

case $name in
base)
	make_tree base "${fixups[@]}"
	build
	;;
series)
	stamp=$(vbuild series)/.bisect-ok
	mkdir -p "$(vbuild series)"
	mapfile -t commits < <("${G[@]}" rev-list --reverse base..series)
	i=0
	[ "${BISECT:-1}" != 0 ] || commits=() # BISECT=0: top of the series only
	for c in "${commits[@]}"; do
		i=$((i + 1))
		grep -qx "$c" "$stamp" 2>/dev/null && continue
		say "bisect: building prefix $i/${#commits[@]}: $("${G[@]}" log -1 --format=%s "$c")"
		checkout "$c"
		rm -f "$wt/.variant-sum"
		build
		echo "$c" >>"$stamp"
	done
	[ "${BISECT:-1}" = 0 ] || say "PASS: bisect: all ${#commits[@]} prefixes of the series build for s390x"
	make_tree series "${fixups[@]}"
	build
	;;
dev)
	# The tree to build, as a commit made without touching any work tree:
	# the workspace's HEAD, its uncommitted changes ("git stash create"),
	# the fixups applied in a scratch index. The dev tree then moves to it
	# with one checkout, which rewrites only the files that differ.
	top=$("${G[@]}" stash create 2>/dev/null || true)
	top=${top:-$("${G[@]}" rev-parse HEAD)}
	idx=$(mktemp)
	trap 'rm -f "$idx"' EXIT
	GIT_INDEX_FILE=$idx "${G[@]}" read-tree "$top^{tree}"
	for p in "${fixups[@]}"; do
		GIT_INDEX_FILE=$idx "${G[@]}" apply --cached "$p" ||
			die "FAILED: stage 'variant dev' ($(basename "$p") does not apply on the workspace)"
	done
	tree=$(GIT_INDEX_FILE=$idx "${G[@]}" write-tree)
	c=$(GIT_COMMITTER_DATE='2024-08-10T00:00:00Z' GIT_AUTHOR_DATE='2024-08-10T00:00:00Z' \
		"${G[@]}" commit-tree -p "$("${G[@]}" rev-parse HEAD)" -m "dev: workspace + fixups" "$tree")
	checkout "$c"
	build
	;;
wrongorder)
	fix=$TOP/tests/fixtures/wrong-lock-order.patch
	[ -f "$fix" ] || die "variants: $fix does not exist"
	make_tree series "$fix" "${fixups[@]}"
	build
	;;
esac
vbuild "$name"; echo
