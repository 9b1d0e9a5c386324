#!/usr/bin/env bash
# tests/reach/coverage.sh (make coverage): changed-line coverage of the series.
#  1. the series kernel with gcov on drivers/s390/crypto: worktree
#     variant gcov ($CACHE/v/gcov/{src,build}) = series + tests/kernel-fixups
#     + tests/reach/gcov-profile.patch, config + configs/gcov.config
#     (ccache off: the .gcno files must match the objects)
#  2. VM 1: the kselftest, then every standin_test case, then a vfio_ap
#     unload/reload; VM 2: the admin scenario (tests/scenario/vm.sh, real
#     mdevctl/lszcrypt); VM 3: the refusal report of an mdev with 64
#     APQNs and of a burst (tests/anchors/logvolume.vm.sh, as the
#     logvolume stage). Each copies /sys/kernel/debug/gcov out through the
#     console (base64 tar).
#  3. host: gcov-tool merges the counters, gcov -j reads them, coverage.py
#     prints the per-patch table and every changed line that did not run
#     with its reason (tests/reach/coverage-reasons.txt).
# Fails if < 90 % ran, a refusal-path line did not run, or a line lacks a
# reason. The table also goes to $CACHE/reach/coverage.md.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
R=$TOP/tests/reach
S=$TOP/scripts
GCOV=${CROSS}gcov
GCOVTOOL=${CROSS}gcov-tool
command -v "$GCOV" >/dev/null || die "FAILED: stage 'coverage': $GCOV missing (gcc-s390x-linux-gnu)"

"$S/build-qemu.sh" >/dev/null || die "FAILED: stage 'coverage' (QEMU build)"
"$S/workspace.sh" init >/dev/null || die "FAILED: stage 'coverage' (workspace)"
SRC=$("$S/workspace.sh" path)
wt=$(vsrc gcov)
# its own variant: the series + the rig's kernel fixups + the gcov Makefile line
"$R/tree.sh" gcov series "$TOP"/tests/kernel-fixups/*.patch "$R/gcov-profile.patch" ||
	die "FAILED: stage 'coverage' (tree $wt)"
G=(git -C "$SRC" -c user.name=rig -c user.email=rig@localhost)
kb=$(vbuild gcov)
CCACHE_DISABLE=1 "$S/build-kernel.sh" gcov gcov.config >/dev/null ||
	die "FAILED: stage 'coverage' (gcov kernel build), log: $(logfile build-gcov)"
parts=$("$R/build.sh" "$kb" "$wt" "$CACHE/reach/gcov" | tail -n 1) || die "FAILED: stage 'coverage' (stand-in parts)"

# the kselftest, from the series tree (as tests/selftest/stage.sh)
bin=$CACHE/reach/selftest-coverage
selftest_build "$wt" "$bin" "$(logfile selftest-build-coverage)" ||
	die "FAILED: stage 'coverage' (selftest build), log: $(logfile selftest-build-coverage)"

out=$CACHE/reach/coverage
rm -rf "$out" && mkdir -p "$out"/{vm1,vm2,vm3,merged,json}
# VM 1: kselftest + stand-in cases (+ a vfio_ap unload/reload at the end)
"$R/run.sh" --label 5.10-gcov --kernel-build "$kb" --parts "$parts" --selftest "$bin" \
	--planted "" --gcov "$out/vm1.tar.gz" --timeout 1200 >"$out/rows1.txt"
grep -E '^reach\|' "$out/rows1.txt" | grep -v '|ok|' || true
# gcov_vm N NAME SCRIPT SHOW COMMANDS [RUN-VM-ARGS...]: boot the gcov kernel
# with SCRIPT as /reach/NAME.sh, run COMMANDS (shell lines), then copy the
# counters out (run.sh's dump) to $out/vmN.tar.gz; print the console lines
# matching the regex SHOW
gcov_vm() {
	local n=$1 name=$2 script=$3 show=$4 cmds=$5 log=$LOGDIR/reach-5.10-gcov-$2.log
	shift 5
	{
		printf '%s\n' "$cmds"
		sed -n '/^if \[ -n "\$GCOV" \]; then/,/^fi$/p' "$R/run.sh" | sed '1d;$d'
		echo "exit 0"
	} >"$out/vm$n.sh"
	cp "$script" "$out/$name.sh"
	"$S/run-vm.sh" --kernel-build "$kb" --script "$out/vm$n.sh" --add "$out/$name.sh:/reach/$name.sh" "$@" \
		--append "quiet ap.apmask=0xdf$(printf 'f%.0s' $(seq 62))" --timeout 600 --log "$log" --quiet >/dev/null 2>&1
	tr -d '\r' <"$log" | grep -E "$show" | sed "s/^/  $name: /"
	tr -d '\r' <"$log" | sed -n '/^REACH-GCOV-BEGIN/,/^REACH-GCOV-END/p' | sed '1d;$d' |
		base64 -d >"$out/vm$n.tar.gz" 2>/dev/null || true
}
# VM 2: the admin scenario with mdevctl/lszcrypt, a vfio_ap reload
mapfile -t adds < <("$S/clients-overlay.sh" --add-args)
gcov_vm 2 scenario "$TOP/tests/scenario/vm.sh" '^(PASS|FAIL): ' \
	"$(printf '%s\n' "export MODE=series" "sh /reach/scenario.sh" "rmmod vfio_ap; modprobe vfio_ap")" "${adds[@]}"
# VM 3: the log volume case (64 APQNs in one mdev, a burst)
gcov_vm 3 logvolume "$TOP/tests/anchors/logvolume.vm.sh" '^LOGVOL(-BURST)?: ' \
	"sh /reach/logvolume.sh" --ap adapters=0-3,domains=0-63,reset-time-us=0

n=0
for v in vm1 vm2 vm3; do
	if tar xzf "$out/$v.tar.gz" -C "$out/$v" 2>/dev/null; then
		n=$((n + 1))
	else
		say "FAIL: coverage: no gcov data from $v (console: $LOGDIR/reach-5.10-gcov*.log)"
	fi
done
[ "$n" -eq 3 ] || exit 1
# gcov data path in debugfs = the build dir's absolute path
d1=$out/vm1$kb/drivers/s390/crypto
d2=$out/vm2$kb/drivers/s390/crypto
d3=$out/vm3$kb/drivers/s390/crypto
[ -d "$d1" ] && [ -d "$d2" ] && [ -d "$d3" ] || die "FAIL: coverage: no counters for drivers/s390/crypto in the VM data"
# gcov-tool merges two directories at a time
"$GCOVTOOL" merge -o "$out/m12" "$d1" "$d2" && "$GCOVTOOL" merge -o "$out/merged" "$out/m12" "$d3" ||
	die "FAIL: coverage: gcov-tool merge failed"
cp "$kb"/drivers/s390/crypto/*.gcno "$out/merged/"
(cd "$out/json" && for f in "$out"/merged/*.gcda; do
	"$GCOV" -j -o "$out/merged" "$f" >/dev/null 2>&1
done)
"${G[@]}" log --format=%s --reverse base..series -- '*.c' '*.h' ':!tools' >"$out/subjects.txt"
python3 "$R/coverage.py" "$wt" "$out/subjects.txt" "$out/json" "$R/coverage-reasons.txt" \
	--markdown "$CACHE/reach/coverage.md"
