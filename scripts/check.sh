#!/usr/bin/env bash
# check.sh [STAGE...]: every test of the project, in order; ends with
# "N passed, N failed". With STAGE names (make stage S=NAME) only those run;
# `check.sh --list` prints the stages in order.
#
# Stages: the builds (setup, kernel-base, kernel-series), then every test
# folder's stage: tests/NAME/stage.sh (its "# order: NN" line places it),
# and the older tests/stages/NN-NAME.sh files. A stage prints PASS:/FAIL:
# lines, counted here; a stage that fails without one counts as one FAIL.
# Logs: $LOGDIR (a directory per run, $CACHE/logs/latest), one
# stage-NAME.log per stage, all results in summary.txt, results.ktap and
# junit.xml (the judge's formats for CI systems).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)

# stage list: "ORDER NAME COMMAND..." lines, sorted by ORDER
stages() {
	{
		echo "00 setup $TOP/scripts/setup.sh"
		echo "02 kernel-base $TOP/scripts/variants.sh base"
		echo "04 kernel-series $TOP/scripts/variants.sh series"
		local f o n
		for f in "$TOP"/tests/*/stage.sh; do
			[ -e "$f" ] || continue
			o=$(sed -n 's/^# order: *\([0-9][0-9]*\).*/\1/p' "$f" | head -n 1)
			n=$(basename "$(dirname "$f")")
			echo "${o:-90} $n bash $f"
		done
		for f in "$TOP"/tests/stages/[0-9][0-9]-*.sh; do
			[ -e "$f" ] || continue
			n=$(basename "$f" .sh)
			echo "${n%%-*} ${n#*-} bash $f"
		done
	} | LC_ALL=C sort -n -k1,1 -k2,2
}

if [ "${1:-}" = --list ]; then
	stages | awk '{ print $1, $2 }'
	exit 0
fi
. "$TOP/scripts/lib.sh"
cache_lock
want=" $* "
if [ $# -gt 0 ]; then
	for s in "$@"; do
		stages | awk '{ print $2 }' | matches -x -- "$s" ||
			die "check: no stage '$s' (stages: $(stages | awk '{ print $2 }' | tr '\n' ' '))"
	done
fi

start=$(date +%s)
sum=$LOGDIR/summary.txt
: >"$sum"
pass=0 fail=0
stage() { # NAME CMD...: run, echo output, count PASS/FAIL lines
	local name=$1 rc out t0 p f
	shift
	t0=$(date +%s)
	out=$LOGDIR/stage-$name.log
	say "=== $name ($((t0 - start)) s since start, log: $out)"
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS: ' "$out")
	f=$(grep -c '^FAIL: ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name: stage failed (exit $rc), log: $out" | tee -a "$out"
		f=1
	fi
	grep -E '^(PASS|FAIL): ' "$out" | sed "s/^/$name\t/" >>"$sum"
	printf '%s\t%s\n' "$name" "TIME: $(($(date +%s) - t0))" >>"$sum"
	say "=== $name: $p passed, $f failed, $(($(date +%s) - t0)) s"
	pass=$((pass + p)) fail=$((fail + f))
	return "$rc"
}

while read -r _ name cmd; do
	[ $# -eq 0 ] || [[ $want == *" $name "* ]] || continue
	# shellcheck disable=SC2086 # cmd is "PROGRAM [ARG]" built above, no blanks in paths
	if ! stage "$name" $cmd && [ "$name" = setup ]; then
		say "0 passed, 1 failed"
		exit 1
	fi
	# A full run builds QEMU in the background from here on: the kernel
	# stages leave a core idle much of the time (unpack, git, config, links,
	# the bisect pass's make walks, checkpatch). The qemu stage's own
	# build-qemu.sh waits for it (a lock), then finds nothing to do.
	if [ "$name" = setup ] && [ $# -eq 0 ]; then
		nice "$TOP/scripts/build-qemu.sh" >"$LOGDIR/qemu-background-build.log" 2>&1 &
		say "=== QEMU builds in the background meanwhile, log: $LOGDIR/qemu-background-build.log"
	fi
done < <(stages)
wait

elapsed=$(($(date +%s) - start))
if [ -f "$TOP/tests/judge/judge.py" ]; then
	python3 "$TOP/tests/judge/judge.py" report --summary "$sum" --ktap "$LOGDIR/results.ktap" \
		--junit "$LOGDIR/junit.xml" --name "make check" >/dev/null ||
		# it exits 1 when a check failed, too: complain only without files
		[ -s "$LOGDIR/results.ktap" ] && [ -s "$LOGDIR/junit.xml" ] ||
		say "check: could not write results.ktap / junit.xml"
fi
say "=== summary ($elapsed s), results: $sum, $LOGDIR/junit.xml, $LOGDIR/results.ktap"
grep -P '\tFAIL: ' "$sum" | cut -f2- || true
if [ -s "$CCACHE_STATSLOG" ] && command -v ccache >/dev/null; then
	say "ccache, this run: $(ccache --show-log-stats 2>/dev/null | awk '/^ *Hits:/ { h = $2 " of " $4 } /^ *Misses:/ { m = $2 } END { printf "%s compilations from the cache, %s compiled", h, m }')"
fi
say "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
