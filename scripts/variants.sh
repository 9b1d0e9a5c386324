#!/usr/bin/env bash
# variants.sh NAME: make the source tree of one kernel variant and build it.
#   base        the unpatched 5.10.223 (tag "base")
#   series      base + every patch in patches/linux/series; each prefix of
#               the series is built in turn first (bisectability), so the
#               build dir ends at the full series
#   wrongorder  series + tests/fixtures/wrong-lock-order.patch (negative control)
# Worktrees live in $CACHE/linux-5.10/wt-NAME, builds in $CACHE/build/DIR
# with DIR = base, patched, wrongorder. The last line printed is that DIR.
# Commits are deterministic (git am --committer-date-is-author-date), so a
# warm run checks out the same commits and rebuilds nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: variants.sh base|series|wrongorder}
case $name in series) bdir=patched ;; *) bdir=$name ;; esac
"$TOP/scripts/workspace.sh" init >/dev/null
SRC=$("$TOP/scripts/workspace.sh" path)
wt=$CACHE/linux-5.10/wt-$name
G=(git -C "$SRC" -c user.name=rig -c user.email=rig@localhost)
if [ ! -d "$wt" ]; then
	"${G[@]}" worktree prune
	"${G[@]}" worktree add -q --detach "$wt" base
fi
W=(git -C "$wt" -c user.name=rig -c user.email=rig@localhost)
checkout() { # keep mtimes of unchanged files: only switch when needed
	[ "$("${W[@]}" rev-parse HEAD)" = "$("${W[@]}" rev-parse "$1^{commit}")" ] ||
		"${W[@]}" checkout -q --detach -f "$1"
}
build() { "$TOP/scripts/build-kernel.sh" "$1" "$wt" >&2; } # progress to stderr

case $name in
base)
	checkout base
	build base
	;;
series)
	stamp=$CACHE/build/patched/.bisect-ok
	mapfile -t commits < <("${G[@]}" rev-list --reverse base..series)
	i=0
	for c in "${commits[@]}"; do
		i=$((i + 1))
		if grep -qx "$c" "$stamp" 2>/dev/null && [ "$c" != "${commits[-1]}" ]; then
			continue
		fi
		say "bisect: building prefix $i/${#commits[@]}: $("${G[@]}" log -1 --format=%s "$c")"
		checkout "$c"
		build patched
		echo "$c" >>"$stamp"
	done
	[ ${#commits[@]} -gt 0 ] || { checkout base; build patched; }
	checkout series
	build patched
	say "bisect: all ${#commits[@]} prefixes of the series build"
	;;
wrongorder)
	fix=$TOP/tests/fixtures/wrong-lock-order.patch
	[ -f "$fix" ] || die "variants: $fix does not exist"
	want=$( (git -C "$SRC" rev-parse series; cat "$fix") | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$wt/.fixture-sum" 2>/dev/null)" != "$want" ]; then
		checkout series
		"${W[@]}" am -q --committer-date-is-author-date "$fix" >"$(logfile am-wrongorder)" 2>&1 || {
			"${W[@]}" am --abort || true
			die "FAILED: stage 'wrongorder' (fixture does not apply), log: $(logfile am-wrongorder)"
		}
		echo "$want" >"$wt/.fixture-sum"
	fi
	build wrongorder
	;;
*) die "variants: unknown variant '$name'" ;;
esac
echo "$CACHE/build/$bdir"
