#!/usr/bin/env bash
# order: 20
# qemu stage: the emulator's own tests: the AP model's unit test, then
# scripts/test-qemu.sh with the 5.10 base kernel (two AP configurations,
# bad configurations QEMU must refuse, instruction-level tests of
# PQAP/NQAP/DQAP in tests/qemu/insn, QMP fault injection and run-time
# (de)configuration with their negative controls).
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

# build-qemu.sh's progress lines ("[qemu build] running for N s") pass
# through, so a cold build is not minutes of silence.
blog=$(logfile qemu-build-stage)
if ! "$TOP/scripts/build-qemu.sh" 2>&1 | tee "$blog" | { grep --line-buffered '^\[qemu ' || true; }; then
	tail -n 5 "$blog"
	say "FAIL: qemu: build failed, log: $blog"
	exit 1
fi
say "PASS: qemu: qemu-system-s390x with the AP emulation builds"

# The AP model's unit test (patches/qemu 0005), GLib TAP output.
qb=$CACHE/qemu/build
log=$(logfile qemu-unit)
if nice ninja -C "$qb" tests/unit/test-s390-ap-emu >"$log" 2>&1 &&
	"$qb/tests/unit/test-s390-ap-emu" --tap >>"$log" 2>&1; then
	sed -n 's/^ok [0-9]* \(.*\)/PASS: qemu unit: \1/p' "$log"
else
	sed -n 's/^not ok [0-9]* \(.*\)/FAIL: qemu unit: \1/p' "$log"
	grep -q '^not ok' "$log" || say "FAIL: qemu unit: test-s390-ap-emu did not build or run, log: $log"
fi
if ! kb=$("$TOP/scripts/variants.sh" base 2>/dev/null | tail -n 1); then
	say "FAIL: qemu: base kernel build failed, log: $(logfile build-base)"
	exit 1
fi
KBUILD=$kb "$TOP/scripts/test-qemu.sh"
