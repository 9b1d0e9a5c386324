#!/usr/bin/env bash
# tests/reach/tree.sh VARIANT REV PATCH...: the source tree of a test-only
# kernel variant of tests/reach (gcov, kasan), $CACHE/v/VARIANT/src (lib.sh's
# variant map), a git worktree of the workspace (scripts/workspace.sh) at
# REV with PATCHes applied (git am, deterministic commits). Nothing is
# touched when it already holds exactly that (builds stay incremental).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
name=${1:?usage: tree.sh VARIANT REV PATCH...}
rev=${2:?usage: tree.sh VARIANT REV PATCH...}
wt=$(vsrc "$name")
shift 2
patches=()
for p in "$@"; do patches+=("$(realpath "$p")"); done
SRC=$("$TOP/scripts/workspace.sh" path)
G=(git -C "$SRC" -c user.name=rig -c user.email=rig@localhost)
worktree_at "$SRC" "$wt"
W=(git -C "$wt" -c user.name=rig -c user.email=rig@localhost)
sum=$( ("${G[@]}" rev-parse "$rev^{commit}"; cat "${patches[@]}") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$wt/.variant-sum" 2>/dev/null)" = "$sum" ] &&
	[ "$("${W[@]}" rev-parse HEAD)" = "$(cat "$wt/.variant-head" 2>/dev/null)" ]; then
	exit 0
fi
"${W[@]}" checkout -q --detach -f "$("${G[@]}" rev-parse "$rev^{commit}")"
for p in "${patches[@]}"; do
	GIT_COMMITTER_DATE='2024-08-10T00:00:00Z' "${W[@]}" am -q --committer-date-is-author-date "$p" || {
		"${W[@]}" am --abort >/dev/null 2>&1 || true
		die "FAILED: stage 'reach tree' ($(basename "$p") does not apply on $rev)"
	}
done
echo "$sum" >"$wt/.variant-sum"
"${W[@]}" rev-parse HEAD >"$wt/.variant-head"
