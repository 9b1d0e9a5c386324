#!/usr/bin/env bash
# tests/libvirt/run.sh [TEST...]: `make libvirt`, the libvirt path on a real
# Debian userspace (scripts/rootfs.sh), on 5.10 + series and on the base as
# negative control. TESTs (default all): libvirt boottime kselftest.
#   libvirt    virsh nodedev-define/start of a vfio_ap mdev; the apmask write
#              reclaiming its queue: refused (series) / let through (base);
#              virsh's error for an mdev naming a reserved APQN; after
#              nodedev-destroy/undefine the write succeeds
#   boottime   an mdevctl auto-start mdev meets ap.aqmask reserving one of
#              its APQNs at the next boot (udev + mdevctl's rule)
#   kselftest  make -C tools/testing/selftests TARGETS=vfio_ap install +
#              run_kselftest.sh in the VM; TAP judged (series: all ok; base:
#              the in-use cases fail) and compared case by case with the
#              initramfs run of tests/selftest (same kernel variant)
# Not in make check: see the README's libvirt section for why and for the
# times (cold 44 min 33 s on the idle machine).
# Prints PASS:/FAIL: lines and ends with "N passed, N failed"; the walks are
# in $LOGDIR/libvirt-TEST-KERNEL.walk; virsh's messages for the README in
# $LOGDIR/libvirt-messages.txt.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
H=$TOP/tests/libvirt

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(libvirt boottime kselftest)
start=$(date +%s)
out=$LOGDIR/libvirt-results.txt
: >"$out"
msgs=$LOGDIR/libvirt-messages.txt
: >"$msgs"

emit() { printf '%s\n' "$*" | tee -a "$out"; }

# The TAP of run_kselftest.sh (nested: the test's own TAP behind "# ").
# Rows "case|PASS|FAIL|SKIP" from the nested lines; harness names
# FIXTURE[.VARIANT].CASE become VARIANT_CASE (vfio_ap.apmask.busy ->
# apmask_busy), as tests/judge/judge.py names them.
ktap_rows() { # WALK -> rows
	sed -n 's/^TAP| //p' "$1" | awk '
		/^# ok [0-9]+ # SKIP/ { next }
		/^# ok [0-9]+ vfio_ap\./ { c = $4; sub(/^vfio_ap\./, "", c); gsub(/\./, "_", c); r = ($0 ~ /# SKIP/) ? "SKIP" : "PASS"; print c "|" r; next }
		/^# not ok [0-9]+ vfio_ap\./ { c = $5; sub(/^vfio_ap\./, "", c); gsub(/\./, "_", c); print c "|FAIL" }'
}

# rows_diff ROWS INIT: the cases whose result differs between ROWS
# ("case|result", ktap_rows) and an initramfs run's INIT
# ("label|case|result"), as " case:result/initramfs:result"; empty if the
# same.
rows_diff() {
	local rows=$1 irows c r ir diff=
	irows=$(awk -F'|' '{ print $2 "|" $3 }' "$2")
	while IFS='|' read -r c r; do
		ir=$(printf '%s\n' "$irows" | awk -F'|' -v c="$c" '$1 == c { print $2; exit }')
		[ "$ir" = "$r" ] || diff="$diff $c:$r/initramfs:${ir:-none}"
	done <"$rows"
	while IFS='|' read -r c ir; do
		grep -q "^$c|" "$rows" || diff="$diff $c:none/initramfs:$ir"
	done <<<"$irows"
	printf '%s' "$diff"
}

# The comparison's negative control: each kernel's run_kselftest.sh rows
# against the OTHER kernel's initramfs run must differ (the in-use cases),
# or the comparison could not tell a wrong result from a right one.
cross_check() {
	local a=$LOGDIR/libvirt-kselftest-series.rows b=$LOGDIR/libvirt-initramfs-base.rows d
	[ -s "$a" ] && [ -s "$b" ] || return 0
	d=$(rows_diff "$a" "$b")
	if [ -n "$d" ]; then
		emit "PASS: libvirt: kselftest negative control: the comparison tells the kernels apart (series run_kselftest.sh vs base initramfs:$d)"
	else
		emit "FAIL: libvirt: kselftest negative control: series run_kselftest.sh rows equal the base initramfs run's: the comparison cannot fail"
	fi
}

judge_kselftest() { # KERNEL WALK
	local k=$1 walk=$2 mode=series top ok nok rows init diff
	[ "$k" = base ] && mode=base
	top=$(sed -n 's/^TAP| //p' "$walk" | grep -E '^(not )?ok [0-9]+ selftests: vfio_ap: ')
	[ -n "$top" ] || top=none
	ok=$(printf '%s\n' "$top" | grep -c '^ok ')
	nok=$(printf '%s\n' "$top" | grep -c '^not ok ')
	if ! sed -n 's/^TAP| //p' "$walk" | matches '^TAP version'; then
		emit "FAIL: libvirt: kselftest [$mode] run_kselftest.sh printed no TAP (walk: $walk)"
		return
	fi
	if [ "$mode" = series ]; then
		if [ "$ok" -gt 0 ] && [ "$nok" -eq 0 ]; then
			emit "PASS: libvirt: kselftest [$mode] run_kselftest.sh: $ok ok, 0 not ok"
		else
			emit "FAIL: libvirt: kselftest [$mode] run_kselftest.sh: $ok ok, $nok not ok: $(printf '%s\n' "$top" | grep '^not ok' | tr '\n' ';')"
		fi
	else
		if [ "$nok" -gt 0 ]; then
			emit "PASS: libvirt: kselftest [$mode] negative control: run_kselftest.sh reports not ok on base ($nok)"
		else
			emit "FAIL: libvirt: kselftest [$mode] negative control: run_kselftest.sh reports no failure on base"
		fi
	fi
	rows=$LOGDIR/libvirt-kselftest-$k.rows
	ktap_rows "$walk" >"$rows"
	# The initramfs run of the same variant (tests/selftest), for comparison.
	init=$LOGDIR/libvirt-initramfs-$k.rows
	if [ ! -s "$init" ]; then
		emit "FAIL: libvirt: kselftest [$mode] no initramfs run to compare with ($init)"
		return
	fi
	[ -s "$rows" ] || { emit "FAIL: libvirt: kselftest [$mode] no case result in the nested TAP"; return; }
	diff=$(rows_diff "$rows" "$init")
	if [ -z "$diff" ]; then
		emit "PASS: libvirt: kselftest [$mode] same result per case as the initramfs run ($(wc -l <"$rows") cases: $(tr '\n' ' ' <"$rows"))"
	else
		emit "FAIL: libvirt: kselftest [$mode] results differ from the initramfs run:$diff"
	fi
}

# The initramfs run (tests/selftest/host.sh) of both variants, once.
initramfs_runs() {
	local bin=$CACHE/selftest log k exp kb
	log=$(logfile libvirt-selftest-static-build)
	selftest_build "$(vsrc series)" "$bin" "$log" ||
		{ emit "FAIL: libvirt: static selftest build for the initramfs run, log: $log"; return 1; }
	for k in series base; do
		exp=pass
		[ "$k" = base ] && exp=fail-inuse
		kb=$("$TOP/scripts/variants.sh" "$k" 2>/dev/null | tail -n 1)
		"$TOP/tests/selftest/host.sh" --label "initramfs-$k" --kernel-build "$kb" --selftest "$bin" \
			--expect "$exp" --results "$LOGDIR/libvirt-initramfs-$k.rows" >"$LOGDIR/libvirt-initramfs-$k.txt" 2>&1
		grep -E '^(PASS|FAIL): ' "$LOGDIR/libvirt-initramfs-$k.txt" | sed 's/^\(PASS\|FAIL\): /\1: libvirt: /' | tee -a "$out"
	done
}

summary() {
	local p f
	p=$(grep -c '^PASS: ' "$out")
	f=$(grep -c '^FAIL: ' "$out")
	say "libvirt: all results in $out ($(($(date +%s) - start)) s)"
	# repeated for the reader, not as FAIL: lines (make check counts those)
	grep '^FAIL: ' "$out" | sed 's/^FAIL: /  failed: /' || true
	say "$p passed, $f failed"
	[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
}
# The top of the series only, as vm-loop, faults and lockstat: the prefixes'
# bisect builds are make check's.
export BISECT=0
# Builds first, each timed; a failed one ends the run with one line naming
# it and its log.
build() { # NAME LOG CMD...
	local name=$1 log=$2 t0
	shift 2
	t0=$(date +%s)
	if ! "$@" >"$log" 2>&1; then
		emit "FAIL: libvirt: build: $name, log: $log"
		summary
		exit 1
	fi
	say "libvirt: build: $name: $(($(date +%s) - t0)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
}
build "root file system tree (scripts/rootfs.sh tree)" "$(logfile libvirt-build-tree)" "$TOP/scripts/rootfs.sh" tree
[ -n "${QEMU:-}" ] || build "QEMU (scripts/build-qemu.sh)" "$(logfile libvirt-build-qemu)" "$TOP/scripts/build-qemu.sh"
for k in series base; do
	build "$k kernel for the initramfs run (scripts/variants.sh $k)" "$(logfile "libvirt-build-$k")" "$TOP/scripts/variants.sh" "$k"
	build "rootfs-$k kernel (tests/libvirt/host.sh kernel $k)" "$(logfile "libvirt-build-rootfs-$k")" "$H/host.sh" kernel "$k"
	build "disk image with the rootfs-$k modules (scripts/rootfs.sh image)" "$(logfile "libvirt-build-image-$k")" \
		"$TOP/scripts/rootfs.sh" image "$(vbuild "rootfs-$k")"
	img=$(vbuild "rootfs-$k")/rootfs.img
	say "libvirt: image $img: $(du -m "$img" | cut -f1) MiB allocated of $(du -m --apparent-size "$img" | cut -f1) MiB"
done
for t in "${tests[@]}"; do
	[ "$t" = kselftest ] && initramfs_runs
	for k in series base; do
		walk=$LOGDIR/libvirt-$t-$k.walk
		t0=$(date +%s)
		"$H/host.sh" run "$k" "$t" >"$walk" 2>"$walk.err"
		vrc=$?
		grep -E '^(PASS|FAIL): ' "$walk" | tee -a "$out"
		grep '^KLOG|' "$walk" | head -n 40
		if [ "$vrc" -ne 0 ] && ! grep -q '^FAIL: ' "$walk"; then
			tail -n 5 "$walk.err" >&2
			emit "FAIL: libvirt: $t [$k] the VM run failed (exit $vrc), see $walk.err"
		fi
		[ "$t" = kselftest ] && judge_kselftest "$k" "$walk"
		if [ "$t" = libvirt ]; then
			{
				echo "== $k: virsh nodedev-start of an mdev naming a reserved APQN"
				sed -n 's/^VIRSH-ERROR| //p' "$walk"
			} >>"$msgs"
		fi
		say "libvirt: $t [$k]: $(($(date +%s) - t0)) s (load average $(cut -d" " -f1-3 /proc/loadavg)), walk: $walk"
	done
	[ "$t" = kselftest ] && cross_check
done
summary
