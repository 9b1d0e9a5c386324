#!/usr/bin/env bash
# Stage: the emulator's own test (scripts/test-qemu.sh) with the 5.10 base
# kernel: two AP configurations and one bad configuration QEMU must refuse.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

if ! out=$("$TOP/scripts/build-qemu.sh" 2>&1); then
	printf '%s\n' "$out" | tail -n 5
	say "FAIL: qemu: build failed"
	exit 1
fi
say "PASS: qemu: qemu-system-s390x with the AP emulation builds"
if ! kb=$("$TOP/scripts/variants.sh" base 2>/dev/null | tail -n 1); then
	say "FAIL: qemu: base kernel build failed, log: $(logfile build-base)"
	exit 1
fi
KBUILD=$kb "$TOP/scripts/test-qemu.sh"
