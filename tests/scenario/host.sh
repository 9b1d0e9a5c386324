#!/usr/bin/env bash
# tests/scenario/host.sh KERNEL [LOG]: the admin scenario (tests/scenario/vm.sh) in
# the emulated machine, with the real clients (mdevctl, lszcrypt) of
# scripts/clients-overlay.sh. Used by tests/scenario/stage.sh and scripts/demo.sh.
#   KERNEL  a variant of lib.sh's map: series | base (built with
#           scripts/variants.sh when missing)
#           | anchor-6.1 | anchor-6.12 (built by tests/anchors/anchors.sh build)
#   LOG     console log (default $CACHE/logs/scenario-KERNEL.log)
# Prints only the walk's own lines ("DEMO| ...", "PASS: ...", "FAIL: ...",
# "KLOG| ..."), never the console noise, judged by tests/judge/judge.py
# (console scan; on a failure the kernel log as KLOG| lines); exit code =
# the VM script's (run-vm.sh: 124 timeout, 125 no exit code), else the
# judge's. --parse-only LOG [MODE] re-judges a saved console log.
# MODE inside the VM: base -> negative control (the hole is open), every
# other kernel -> the protection must hold.
# The QEMU binary is built with scripts/build-qemu.sh when missing ($QEMU
# overrides it, as for run-vm.sh).
# Kernel command line: ap.apmask=$SCENARIO_APMASK (default: every adapter
# for the default drivers except adapter 2, so the queues 02.xxxx go to
# vfio_ap), ap.aqmask left at its default (all domains).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

judge() { # LOG MODE [VM-EXIT]: the walk's lines and checks, plus the judge's
	python3 "$TOP/tests/judge/judge.py" scenario "$1" --label "scenario: [$2]" ${3:+--vm-exit "$3"}
}
if [ "${1:-}" = --parse-only ]; then # --parse-only LOG [series|base]
	[ -f "${2:-}" ] || die "usage: tests/scenario/host.sh --parse-only LOG [series|base]"
	judge "$2" "${3:-series}"
	exit
fi
k=${1:?usage: tests/scenario/host.sh series|base|anchor-6.1|anchor-6.12 [LOG] | --parse-only LOG [MODE]}
log=${2:-$LOGDIR/scenario-$k.log}
# Build only what is missing: make check and make demo build (incrementally)
# the kernels and QEMU before they get here.
kb=$(vbuild "$k")
kb=${SCENARIO_KBUILD:-$kb} # a development build dir instead
if [ ! -f "$kb/arch/s390/boot/bzImage" ]; then
	case $k in
	series | base) "$TOP/scripts/variants.sh" "$k" >&2 ;;
	anchor-6.1 | anchor-6.12) "$TOP/tests/anchors/anchors.sh" build >&2 ;;
	*) die "scenario: unknown kernel '$k'" ;;
	esac
fi
if [ -z "${QEMU:-}" ] && [ ! -x "$CACHE/qemu/build/qemu-system-s390x" ]; then
	"$TOP/scripts/build-qemu.sh" >&2
fi
mode=series
[ "$k" = base ] && mode=base

# apmask: 256 bits, bit 0 = leftmost; all set except adapter 2 by default.
APMASK=${SCENARIO_APMASK:-0xdf$(printf 'f%.0s' $(seq 62))}

mapfile -t adds < <("$TOP/scripts/clients-overlay.sh" --add-args)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{ echo "MODE=$mode"; cat "$TOP/tests/scenario/vm.sh"; } >"$tmp"
rc=0
"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --script "$tmp" "${adds[@]}" \
	--append "quiet ap.apmask=$APMASK" --timeout "${SCENARIO_TIMEOUT:-300}" \
	--log "$log" --quiet || rc=$?
[ "$rc" -eq 0 ] || echo "scenario: $k: VM exit $rc, console log: $log" >&2
jrc=0
judge "$log" "$mode" "$rc" || jrc=$?
[ "$rc" -ne 0 ] || rc=$jrc
exit "$rc"
