#!/usr/bin/env bash
# order: 10
# tests/static/stage.sh (make static): static checks of the series, each printed as PASS:/FAIL:.
#   checkpatch   scripts/checkpatch.pl --strict on every patch: 0 errors,
#                0 warnings, 0 checks
#   w1-sparse    W=1 and sparse (C=2) on every .c file the series touches
#                under drivers/: no finding the base did not already have
#   kernel-doc   scripts/kernel-doc -none on touched .c/.h files: likewise
#   negative controls: tests/static/static-bad.patch must fail all three
# Bisectability (every prefix builds) is checked by variants.sh series.
# KSERIES=6.12 runs the W=1/sparse/kernel-doc checks on patches/linux-6.12 against 6.12.117
# (tests/linux-6.12/run.sh static): variants static612-*, the plain 6.12
# anchor's .config, the fixture tests/linux-6.12/static-bad.patch.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

"$TOP/scripts/workspace.sh" init >/dev/null
SRC=$("$TOP/scripts/workspace.sh" path)
PDIR=$("$TOP/scripts/workspace.sh" pdir)
case ${KSERIES:-5.10} in
6.12) SV=static612 BASECFG=$(vbuild anchor-6.12)/.config BAD=$TOP/tests/linux-6.12/static-bad.patch TAG="static 6.12" ;;
*) SV=static BASECFG=$(vbuild base)/.config BAD=$TOP/tests/static/static-bad.patch TAG=static ;;
esac
pass=0 fail=0
ok() { say "PASS: $TAG: $*"; pass=$((pass + 1)); }
ko() { say "FAIL: $TAG: $*"; fail=$((fail + 1)); }

# --- checkpatch --------------------------------------------------------
# (KSERIES=6.12: tests/linux-6.12/run.sh quick checks the patches, with
# its documented exception for the user-space selftest patch.)
if [ "${KSERIES:-5.10}" != 6.12 ]; then
	checkpatch() { # FILE LOG -> prints "E W C"
		(cd "$SRC" && perl scripts/checkpatch.pl --strict --show-types "$1") >"$2" 2>&1 || true
		sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p' "$2"
	}
	log=$(logfile checkpatch)
	: >"$log"
	while read -r p; do
		r=$(checkpatch "$PDIR/$p" "$log.one")
		cat "$log.one" >>"$log"
		if [ "$r" = "0 0 0" ]; then ok "checkpatch --strict $p"; else
			ko "checkpatch --strict $p: errors/warnings/checks = $r, log: $log"; fi
	done < <(grep -v -e '^#' -e '^[[:space:]]*$' "$PDIR/series")
	r=$(checkpatch "$BAD" "$log.one")
	if [ "$r" != "0 0 0" ] && [ -n "$r" ]; then ok "negative control: checkpatch flags static-bad.patch ($r)"; else
		ko "negative control: checkpatch did not flag static-bad.patch"; fi
	rm -f "$log.one"
fi

# --- W=1 + sparse, kernel-doc: compare a tree against base ----------------
# Findings are normalized (no line/column numbers, no paths to the tree) and
# compared as multisets: a finding counts as new if it occurs more often.
wt_for() { # NAME REV [FIXTURE] -> prints worktree path at REV (+ fixture)
	local wt
	wt=$(vsrc "$SV-$1")
	worktree_at "$SRC" "$wt" >&2
	git -C "$wt" checkout -q --detach -f "$2"
	if [ -n "${3:-}" ]; then
		GIT_COMMITTER_DATE='2024-08-10T00:00:00Z' git -C "$wt" -c user.name=rig -c user.email=rig@localhost \
			am -q --committer-date-is-author-date "$3" >/dev/null 2>&1 ||
			{ git -C "$wt" am --abort; die "FAILED: stage 'static' ($3 does not apply)"; }
	fi
	echo "$wt"
}
w1_findings() { # WT BUILDDIR FILES... -> normalized findings on stdout
	local wt=$1 out=$2 f
	shift 2
	local M=(make -C "$wt" O="$out" ARCH=s390 "CROSS_COMPILE=$CROSS" -j"${JOBS:-3}")
	if [ ! -f "$out/.config" ]; then
		mkdir -p "$out"
		cp "$BASECFG" "$out/.config"
		"${M[@]}" olddefconfig >/dev/null 2>&1
	fi
	local pid name
	name=$(basename "$(dirname "$out")")
	"${M[@]}" prepare >"$out/prepare.log" 2>&1 &
	pid=$!
	watch "$name prepare" "$pid" "$out/prepare.log"
	wait "$pid" || { cat "$out/prepare.log" >&2; return 1; }
	for f in "$@"; do rm -f "$out/${f%.c}.o"; done
	# Objects of composite modules (ap_bus.o is part of ap.o) cannot be
	# built one by one: build their directories, keep the touched files'
	# findings only.
	# shellcheck disable=SC2046
	"${M[@]}" W=1 C=2 $(for f in "$@"; do echo "$(dirname "$f")/"; done | sort -u) >"$out/w1.log" 2>&1 &
	pid=$!
	watch "$name W=1" "$pid" "$out/w1.log"
	wait "$pid" || {
		tail -n 20 "$out/w1.log" >&2
		die "FAILED: stage 'static W=1' (build failed), log: $out/w1.log"
	}
	for f in "$@"; do
		{ grep -E "^$wt/$f:[0-9]+(:[0-9]+)?: (warning|error):" "$out/w1.log" || true; } |
			sed -E -e "s#$wt/##g" -e 's/:[0-9]+(:[0-9]+)?:/:/'
	done | LC_ALL=C sort
}
doc_findings() { # WT FILES...
	local wt=$1 f
	shift
	for f in "$@"; do
		[ -f "$wt/$f" ] || continue
		(cd "$wt" && perl scripts/kernel-doc -none "$f" 2>&1) || true
	done | sed -E 's/:[0-9]+:/:/' | LC_ALL=C sort
}
# cached KIND WT CMD...: the findings of one tree state are computed once;
# the key is the tree's commit, the files and this script.
cached() {
	local kind=$1 wt=$2 key f
	shift 2
	key=$( (echo "$kind"; git -C "$wt" rev-parse HEAD; echo "$*"; cat "$0") | sha256sum | cut -c1-20)
	f=$CACHE/static-cache/$key
	if [ ! -f "$f" ]; then
		mkdir -p "$CACHE/static-cache"
		"$@" >"$f.tmp" && mv "$f.tmp" "$f"
	fi
	cat "$f"
}
new_findings() { LC_ALL=C comm -13 "$1" "$2"; }

compare() { # LABEL REV [FIXTURE] -> 0 if no new findings
	local label=$1 rev=$2 fix=${3:-} wt files cfiles b p
	wt=$(wt_for "$label" "$rev" "$fix")
	files=$(git -C "$wt" diff --name-only base HEAD -- '*.c' '*.h')
	cfiles=$(echo "$files" | grep -E '^drivers/.*\.c$' || true)
	b=$(mktemp) p=$(mktemp)
	local bwt
	bwt=$(wt_for base base)
	RES_W1=0 RES_DOC=0
	if [ -n "$cfiles" ]; then
		# shellcheck disable=SC2086
		cached w1 "$bwt" w1_findings "$bwt" "$(vbuild "$SV-base")" $cfiles >"$b"
		# shellcheck disable=SC2086
		cached w1 "$wt" w1_findings "$wt" "$(vbuild "$SV-$label")" $cfiles >"$p"
		new_findings "$b" "$p" >"$LOGDIR/$SV-w1-new-$label.log"
		[ -s "$LOGDIR/$SV-w1-new-$label.log" ] && RES_W1=1
	fi
	if [ -n "$files" ]; then
		# shellcheck disable=SC2086
		cached kdoc "$bwt" doc_findings "$bwt" $files >"$b"
		# shellcheck disable=SC2086
		cached kdoc "$wt" doc_findings "$wt" $files >"$p"
		new_findings "$b" "$p" >"$LOGDIR/$SV-kdoc-new-$label.log"
		[ -s "$LOGDIR/$SV-kdoc-new-$label.log" ] && RES_DOC=1
	fi
	rm -f "$b" "$p"
	NFILES=$(echo "$files" | grep -c . || true)
}

compare series series
if [ "$RES_W1" = 0 ]; then ok "W=1 + sparse: no new findings in the series' touched files"; else
	ko "W=1 + sparse: new findings, log: $LOGDIR/$SV-w1-new-series.log"; sed 's/^/  /' "$LOGDIR/$SV-w1-new-series.log" | head -20; fi
if [ "$RES_DOC" = 0 ]; then ok "kernel-doc: no new findings in $NFILES touched files"; else
	ko "kernel-doc: new findings, log: $LOGDIR/$SV-kdoc-new-series.log"; sed 's/^/  /' "$LOGDIR/$SV-kdoc-new-series.log" | head -20; fi

compare bad base "$BAD"
if [ "$RES_W1" = 1 ]; then ok "negative control: W=1 + sparse flag static-bad.patch ($(wc -l <"$LOGDIR/$SV-w1-new-bad.log") new)"; else
	ko "negative control: W=1 + sparse did not flag static-bad.patch"; fi
if [ "$RES_DOC" = 1 ]; then ok "negative control: kernel-doc flags static-bad.patch ($(wc -l <"$LOGDIR/$SV-kdoc-new-bad.log") new)"; else
	ko "negative control: kernel-doc did not flag static-bad.patch"; fi

say "$TAG: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
