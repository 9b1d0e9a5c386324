# shellcheck shell=bash
# patch-stack.sh: one patch stack, shared by the Linux workspace
# (scripts/workspace.sh) and the QEMU tree (scripts/build-qemu.sh). Sourced
# after lib.sh, never run.
#
# A stack is a git tree SRC whose tag "base" is the unpacked upstream source
# and whose commits base..BRANCH are the patches listed, one file name a
# line, in PDIR/series (quilt-style; '#' comments). The tree remembers what
# it was built from in SRC/.git/$PS_SUM_FILE (hash of the series and its
# patches) and SRC/.git/$PS_HEAD_FILE (the commit that hash produced), so
#   - a tree already holding the series is not touched (builds stay warm);
#   - commits or changes that were never exported are not thrown away
#     (ps_guard dies unless FORCE=1).
# Callers may set PS_SUM_FILE / PS_HEAD_FILE (default series-applied /
# series-head) to keep the state names an existing tree already has.
# shellcheck disable=SC2034 # (PS_* are read here, set by the callers)

ps_files() { # PDIR: the patch file names in series order
	[ -f "$1/series" ] || return 0
	grep -v -e '^#' -e '^[[:space:]]*$' "$1/series" || true
}

ps_sum() { # PDIR: hash of the series file and every patch it lists
	local p
	{
		cat "$1/series" 2>/dev/null || true
		ps_files "$1" | while read -r p; do cat "$1/$p"; done
	} | sha256sum | cut -d' ' -f1
}

ps_state() { printf '%s/.git/%s' "$1" "$2"; }
ps_forced() { [ -n "${FORCE:-}" ] && [ "$FORCE" != 0 ]; }

ps_current() { # SRC PDIR: true if SRC holds exactly PDIR's series, as applied
	local src=$1
	[ "$(ps_sum "$2")" = "$(cat "$(ps_state "$src" "${PS_SUM_FILE:-series-applied}")" 2>/dev/null)" ] &&
		[ "$(git -C "$src" rev-parse HEAD)" = "$(cat "$(ps_state "$src" "${PS_HEAD_FILE:-series-head}")" 2>/dev/null)" ]
}

ps_record() { # SRC PDIR: remember that SRC's HEAD is PDIR's series
	ps_sum "$2" >"$(ps_state "$1" "${PS_SUM_FILE:-series-applied}")"
	git -C "$1" rev-parse HEAD >"$(ps_state "$1" "${PS_HEAD_FILE:-series-head}")"
}

ps_guard() { # SRC WHAT: refuse to discard unexported work (FORCE=1 overrides)
	local src=$1 what=$2 recorded
	! ps_forced || return 0
	[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
		die "$what: $src has uncommitted changes (commit and export them, or FORCE=1 to discard them)"
	recorded=$(cat "$(ps_state "$src" "${PS_HEAD_FILE:-series-head}")" 2>/dev/null) || return 0
	[ "$(git -C "$src" rev-parse HEAD)" = "$recorded" ] ||
		die "$what: $src has commits that are not exported ($recorded..HEAD; export them first, or FORCE=1 to discard them)"
}

# ps_apply SRC PDIR BRANCH LOG [GIT-AM-OPTION...]: make BRANCH = base +
# every patch of PDIR/series (git am, committer date = author date and a
# fixed committer, so the same files give the same commits) and check it
# out. A patch that does not apply leaves SRC as it was and dies naming the
# patch and LOG. Where SRC itself is built (QEMU), PS_SCRATCH=1 applies
# the patches in a scratch worktree (SRC.am.tmp) and then moves SRC there
# with one checkout, which rewrites only the files that differ, so the
# others keep their mtimes and the build stays incremental. Without it
# (the kernel workspace, 1 GB: its variants are built in worktrees of
# their own) the stack is re-applied in place.
ps_apply() {
	local src=$1 pdir branch=$3 log=$4 p at old new
	pdir=$(cd "$2" && pwd)
	shift 4
	local G=(-c user.name=rig -c user.email=rig@localhost -c commit.gpgsign=false)
	old=$(git -C "$src" rev-parse HEAD)
	git -C "$src" am --abort >/dev/null 2>&1 || true
	if [ "${PS_SCRATCH:-0}" = 1 ]; then
		at=$src.am.tmp
		git -C "$src" worktree remove --force "$at" >/dev/null 2>&1 || rm -rf "$at"
		git -C "$src" worktree prune
		git -C "$src" worktree add -q --detach "$at" base
	else
		at=$src
		if ps_forced; then git -C "$src" checkout -q -f -B "$branch" base; else git -C "$src" checkout -q -B "$branch" base; fi
	fi
	: >"$log"
	while read -r p; do
		if [ ! -f "$pdir/$p" ] || ! git -C "$at" "${G[@]}" am -q --committer-date-is-author-date "$@" "$pdir/$p" >>"$log" 2>&1; then
			[ -f "$pdir/$p" ] || echo "$pdir/series names $p, which does not exist" >>"$log"
			git -C "$at" am --abort >/dev/null 2>&1 || true
			if [ "$at" = "$src" ]; then
				git -C "$src" checkout -q -f -B "$branch" "$old"
			else
				git -C "$src" worktree remove --force "$at"
			fi
			tail -n 15 "$log" >&2
			die "FAILED: stage 'patch stack' (patch $p does not apply; $src left as it was), log: $log"
		fi
	done < <(ps_files "$pdir")
	if [ "$at" != "$src" ]; then
		new=$(git -C "$at" rev-parse HEAD)
		git -C "$src" worktree remove --force "$at"
		if ps_forced; then git -C "$src" checkout -q -f -B "$branch" "$new"; else git -C "$src" checkout -q -B "$branch" "$new"; fi
	fi
	ps_record "$src" "$pdir"
}

# ps_write PDIR NEWDIR [KEEP...]: make PDIR's patch files those of NEWDIR
# (git format-patch output) and rewrite PDIR/series. A file that differs
# only in its Date: line is left alone, so exporting twice without a change
# leaves the files byte-identical. Patch files of the old series that are not
# in NEWDIR are removed. Names in KEEP (e.g. 0000-cover-letter.patch) are
# written but not listed in the series.
ps_write() {
	local pdir=$1 new=$2 f b k skip
	shift 2
	mkdir -p "$pdir"
	for f in "$new"/*.patch; do
		[ -e "$f" ] || continue
		b=$(basename "$f")
		if [ -f "$pdir/$b" ] && cmp -s <(grep -v '^Date: ' "$f") <(grep -v '^Date: ' "$pdir/$b"); then
			continue
		fi
		cp "$f" "$pdir/$b"
	done
	ps_files "$pdir" | while read -r b; do [ -e "$new/$b" ] || rm -f "${pdir:?}/$b"; done
	{
		if [ -f "$pdir/series" ]; then grep '^#' "$pdir/series" || true; fi
		for f in "$new"/*.patch; do
			[ -e "$f" ] || continue
			b=$(basename "$f") skip=
			for k in "$@"; do [ "$b" = "$k" ] && skip=1; done
			[ -n "$skip" ] || echo "$b"
		done
	} >"$pdir/series.new"
	if cmp -s "$pdir/series.new" "$pdir/series"; then rm "$pdir/series.new"; else mv "$pdir/series.new" "$pdir/series"; fi
}
