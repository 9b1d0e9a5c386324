#!/usr/bin/env bash
# bench.sh (make bench): measured cost of the in-use protection, in the
# emulated machine, every kernel in the same run (same host state).
#   P3  latency of an accepted and of a refused apmask/aqmask write with
#       1, 16 and 256 mdevs (tests/bench/bench.vm.sh, emulated adapters 0-3 x
#       domains 0-63 = 256 APQNs, instant resets), timed in the VM by a static helper
#       (tests/bench/apwrite.c: write(2) between two CLOCK_MONOTONIC reads)
#   P4  kernel log lines of ONE refused write at each size
#   P5  lock_stat hold times of ap_perms_mutex and matrix_dev->lock during
#       the selftest's stress case (tests/bench/lockstat.vm.sh)
# Kernels: 5.10 base and 5.10+series (built here if needed), and Debian's
# 6.1/6.12 where make anchors built them ($CACHE/v/anchor-6.x/build; skipped
# with a note otherwise). All are the rig's debug test kernels
# (configs/debug.config: PROVE_LOCKING and LOCK_STAT on).
# Environment: BENCH_SIZES (1,16,256), BENCH_REPS (200, accepted writes),
#   BENCH_RREPS (50, refused writes: they may log to the console),
#   BENCH_HREPS (0: a "refused" write that a kernel without the protection
#   accepts moves all 256 queues, seconds to a minute each under TCG; the
#   one write of the log count is then the only sample), BENCH_RLWAIT (6 s before
#   the one-write log count), BENCH_STRESS_SECS (10), BENCH_LOG_CAP (the
#   series' cap of refusal lines; default: read from its "... and N more"
#   line), BENCH_KERNELS (base series 6.1 6.12), BENCH_ROUNDS (1; 2 runs
#   every kernel twice in the order A B B A and pools the samples' medians),
#   BENCH_SERIES_VARIANT (series: the hub's series, built with its bisect
#   pass; dev: the workspace as it is, no bisect pass, for quick runs),
#   BENCH_BUILD_BASE / BENCH_BUILD_SERIES (measure these kernel build dirs
#   as they are, built by hand; the selftest then comes from the series
#   build's ../src).
# Output: the table on stdout and in $CACHE/bench/table.md (raw rows in
# $CACHE/bench/rows-*.txt, console logs $CACHE/logs/bench-*.log), then
# PASS:/FAIL: lines for the targets (accepted write at 256 mdevs at most
# 1.2x base; log lines of one refused write at most cap + 1 at every size).
# Exit 1 if a VM run failed or a target was missed.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
cache_lock

SIZES=${BENCH_SIZES:-1,16,256}
REPS=${BENCH_REPS:-200}
HREPS=${BENCH_HREPS:-0}
RREPS=${BENCH_RREPS:-50}
RLWAIT=${BENCH_RLWAIT:-6}
SV=${BENCH_SERIES_VARIANT:-series}
case $SV in series | dev) ;; *) die "FAILED: stage 'bench' (BENCH_SERIES_VARIANT must be series or dev), log: none" ;; esac
SSECS=${BENCH_STRESS_SECS:-10}
KERNELS=${BENCH_KERNELS:-base series 6.1 6.12}
for v in "$SIZES" "$REPS" "$HREPS" "$RREPS" "$RLWAIT" "$SSECS" "${BENCH_LOG_CAP:-0}"; do
	[[ $v =~ ^[0-9][0-9,]*$ ]] || die "FAILED: stage 'bench' (bad parameter '$v'), log: none"
done
BDIR=$CACHE/bench
mkdir -p "$BDIR"
export JOBS=${JOBS:-2}

# ---- inputs ----------------------------------------------------------------
kb_of() { # LABEL -> build dir
	case $1 in
	base) echo "${BENCH_BUILD_BASE:-$(vbuild base)}" ;;
	series) echo "${BENCH_BUILD_SERIES:-$(vbuild "$SV")}" ;;
	*) vbuild "anchor-$1" ;;
	esac
}
labels=() notes=()
for k in $KERNELS; do
	case $k in
	base | series)
		v=$k
		[ "$k" = base ] || v=$SV
		given=${BENCH_BUILD_SERIES:-}
		[ "$k" = series ] || given=${BENCH_BUILD_BASE:-}
		if [ -n "$given" ]; then
			[ -f "$(kb_of "$k")/arch/s390/boot/bzImage" ] || die "FAILED: stage 'bench' (no kernel in $(kb_of "$k")), log: none"
			notes+=("$k is the build in $(kb_of "$k"), given by hand")
		else
			nice "$TOP/scripts/variants.sh" "$v" >/dev/null
		fi
		labels+=("$k")
		;;
	6.1 | 6.12)
		if [ -f "$(kb_of "$k")/arch/s390/boot/bzImage" ]; then
			labels+=("$k")
		else
			notes+=("$k skipped: no anchor build in $(kb_of "$k") (make anchors builds it)")
		fi
		;;
	*) die "FAILED: stage 'bench' (unknown kernel '$k'), log: none" ;;
	esac
done
# the emulator follows patches/qemu (an incremental no-op when current)
if [ -z "${QEMU:-}" ]; then
	nice "$TOP/scripts/build-qemu.sh" >&2 || die "FAILED: stage 'bench qemu build', log: see above"
fi

apw=$BDIR/apwrite
if [ ! -x "$apw" ] || [ "$TOP/tests/bench/apwrite.c" -nt "$apw" ]; then
	log=$(logfile bench-apwrite)
	"${CROSS}gcc" -static -O2 -Wall -Wextra -Werror -o "$apw.tmp" "$TOP/tests/bench/apwrite.c" >"$log" 2>&1 ||
		die "FAILED: stage 'bench apwrite build', log: $log"
	mv "$apw.tmp" "$apw"
fi
# the selftest binary from the series tree (as tests/selftest/stage.sh)
# (its stress binary runs in the VM as /vfio_ap_test)
st=$BDIR/selftest/vfio_ap_stress_test
if [ -n "${BENCH_BUILD_SERIES:-}" ]; then
	wt=$BENCH_BUILD_SERIES/../src
else
	wt=$(vsrc "$SV")
	nice "$TOP/scripts/variants.sh" "$SV" >/dev/null
fi
[ -d "$wt/tools/testing/selftests/vfio_ap" ] || die "FAILED: stage 'bench selftest build' (no selftest in $wt), log: none"
log=$(logfile bench-selftest-build)
selftest_build "$wt" "$(dirname "$st")" "$log" || die "FAILED: stage 'bench selftest build', log: $log"

# ---- runs ------------------------------------------------------------------
# The emulated adapters: QEMU's s390-ap-emu device where the binary has it
# (through run-vm.sh --ap, or as plain QEMU arguments where run-vm.sh does
# not know --ap yet), else the older machine properties.
QBIN=${QEMU:-$CACHE/qemu/build/qemu-system-s390x}
dev256=adapters=0-3,domains=0-63,reset-time-us=0 dev32=adapters=0-3,domains=0-7,reset-time-us=0
if ! "$QBIN" -device help 2>/dev/null | matches '"s390-ap-emu"'; then
	AP256=(--machine "ap-adapters=0-3,ap-domains=0-63")
	AP32=()
elif grep -q -- '--ap)' "$TOP/scripts/run-vm.sh"; then
	AP256=(--ap "$dev256")
	AP32=(--ap "$dev32")
else
	cpu=(--qemu-arg -cpu --qemu-arg "max,ap=on,apqci=on,apft=on" --qemu-arg -device)
	AP256=("${cpu[@]}" --qemu-arg "s390-ap-emu,$dev256")
	AP32=("${cpu[@]}" --qemu-arg "s390-ap-emu,$dev32")
fi
vmfail=0
load() { cut -d' ' -f1 /proc/loadavg; }
run_bench() { # LABEL ROUND
	local k=$1 r=$2 log t0 l0
	log=$LOGDIR/bench-$k-$r.log
	t0=$(date +%s) l0=$(load)
	"$TOP/scripts/run-vm.sh" --kernel-build "$(kb_of "$k")" --script "$TOP/tests/bench/bench.vm.sh" \
		--add "$apw:/apwrite" "${AP256[@]}" \
		--append "bench.sizes=$SIZES bench.reps=$REPS bench.rreps=$RREPS bench.hreps=$HREPS bench.rlwait=$RLWAIT" \
		--timeout 3600 --quiet --log "$log" || { vmfail=1; say "bench: $k round $r: VM failed, log: $log" >&2; }
	tr -d '\r' <"$log" | sed -n 's/^.*\(BENCH-[A-Z]*\(: \|$\)\)/\1/p' | sed "s/^/$k $r /" >>"$BDIR/rows.txt"
	echo "$k $r BENCH-HOST: load $l0 -> $(load), $(($(date +%s) - t0)) s" >>"$BDIR/rows.txt"
	say "bench: P3/P4 on $k (round $r) took $(($(date +%s) - t0)) s, host load $l0 -> $(load), log: $log"
	grep -q "^$k $r BENCH-DONE" "$BDIR/rows.txt" || {
		vmfail=1
		say "bench: $k round $r did not finish: $(grep "^$k $r BENCH-ERR" "$BDIR/rows.txt" | head -n 1)" >&2
	}
}
run_lockstat() { # LABEL
	local k=$1 log t0 l0
	log=$LOGDIR/bench-lockstat-$k.log
	t0=$(date +%s) l0=$(load)
	"$TOP/scripts/run-vm.sh" --kernel-build "$(kb_of "$k")" --script "$TOP/tests/bench/lockstat.vm.sh" \
		--add "$st:/vfio_ap_test" "${AP32[@]}" --append "bench.stresssecs=$SSECS" \
		--timeout 1800 --quiet --log "$log" || { vmfail=1; say "bench: lockstat $k: VM failed, log: $log" >&2; }
	tr -d '\r' <"$log" | sed -n 's/^.*\(BENCH-[A-Z]*\(: \|$\)\)/\1/p' | sed "s/^/$k L /" >>"$BDIR/rows.txt"
	say "bench: P5 on $k took $(($(date +%s) - t0)) s, host load $l0 -> $(load), log: $log"
	grep -q "^$k L BENCH-LOCKSTAT" "$BDIR/rows.txt" || {
		vmfail=1
		say "bench: lockstat $k: no lock_stat lines $(grep "^$k L BENCH-ERR" "$BDIR/rows.txt" | head -n 1)" >&2
	}
}

: >"$BDIR/rows.txt"
start=$(date -u +%Y-%m-%dT%H:%MZ) t_all=$(date +%s)
rounds=${BENCH_ROUNDS:-1}
order=("${labels[@]}")
for ((r = 1; r <= rounds; r++)); do
	for k in "${order[@]}"; do run_bench "$k" "$r"; done
	# next round in the reverse order (A B, then B A): drift cancels out
	mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
done
for k in "${labels[@]}"; do run_lockstat "$k"; done
cp "$BDIR/rows.txt" "$BDIR/rows-$(date +%Y%m%d-%H%M%S).txt"

# ---- table -----------------------------------------------------------------
series_rev=$(git -C "$TOP" log -1 --format='%h %s' -- patches/linux 2>/dev/null || echo unknown)
[ "$SV" = series ] || series_rev="$series_rev; workspace $(git -C "$("$TOP/scripts/workspace.sh" path)" describe --always --dirty 2>/dev/null)"
{
	say "## make bench: $start, $(($(date +%s) - t_all)) s"
	say ""
	say "Host: $(nproc) cores, shared; 1-min load average at the start of each VM in the rows below."
	say "Kernels: ${labels[*]} (series = variant $SV, patches/linux at $series_rev); debug test kernels (PROVE_LOCKING, LOCK_STAT)."
	say "Emulator: $QBIN (AP: ${AP256[*]})."
	for n in "${notes[@]}"; do say "Note: $n."; done
	say ""
	awk -v labels="${labels[*]}" -v sizes="$SIZES" -v cap="${BENCH_LOG_CAP:-}" -f "$TOP/tests/bench/table.awk" "$BDIR/rows.txt"
} >"$BDIR/table.md"
cat "$BDIR/table.md"
fails=$(grep -c '^FAIL: ' "$BDIR/table.md" || true)
[ "$vmfail" -eq 0 ] || say "FAIL: bench: a VM run failed (logs above)"
[ "$vmfail" -eq 0 ] && [ "$fails" -eq 0 ]
