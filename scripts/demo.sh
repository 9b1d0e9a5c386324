#!/usr/bin/env bash
# demo.sh (make demo): what the series changes, shown with the real tools.
# Builds what it needs (incremental): scripts/variants.sh series and base,
# scripts/build-qemu.sh, scripts/clients-overlay.sh (Debian's s390x mdevctl
# and lszcrypt). Then boots, in the emulated machine with its default AP
# adapters and ap.apmask leaving adapter 2 to vfio_ap:
#   1. 5.10.223 + the series: mdevctl defines and starts an mdev holding a
#      queue; the apmask write reclaiming it is refused (EBUSY), lszcrypt
#      still shows the queue on vfio_ap; after mdevctl stop/undefine the same
#      write succeeds and the queue goes back to cex4queue;
#   2. the unpatched 5.10.223: the same write succeeds while the mdev holds
#      the queue, which cex4queue now drives: the hole the series closes.
# Lines starting "# " are what the admin types; the lines under them are
# what comes back; "-- " lines explain. The VM consoles are saved to
# $CACHE/logs/demo-{series,base}.console, not shown.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
say "== Building what the demo needs (incremental; progress below)"
"$TOP/scripts/build-qemu.sh" >&2
"$TOP/scripts/variants.sh" series >&2
"$TOP/scripts/variants.sh" base >&2
"$TOP/scripts/clients-overlay.sh" >&2
t1=$(date +%s)
say "== Builds ready in $((t1 - t0)) s"

walk() { # KERNEL TITLE
	local k=$1 out rc=0 s
	s=$(date +%s)
	say ""
	say "== $2"
	say ""
	out=$(mktemp)
	"$TOP/tests/scenario/host.sh" "$k" "$LOGDIR/demo-$k.console" >"$out" 2>"$out.err" || rc=$?
	sed -n 's/^DEMO| \{0,1\}//p' "$out"
	grep '^KLOG|' "$out" | sed 's/^KLOG| /   kernel: /' || true
	say ""
	if [ "$rc" -ne 0 ]; then
		grep '^FAIL: ' "$out" | sed 's/^/   /' || true
		cat "$out.err" >&2
		say "   (the walk did not go as expected: exit $rc, console log $LOGDIR/demo-$k.console)"
	else
		say "   checks: $(grep -c '^PASS: ' "$out") passed, 0 failed ($(($(date +%s) - s)) s, console log $LOGDIR/demo-$k.console)"
	fi
	rm -f "$out" "$out.err"
	return "$rc"
}

rc=0
walk series "1. Linux 5.10.223 WITH the series: the queue stays with the guest's mdev" || rc=1
walk base "2. Linux 5.10.223 WITHOUT the series: the hole" || rc=1
say ""
say "== Done in $(($(date +%s) - t0)) s (builds $((t1 - t0)) s, two VM walks $(($(date +%s) - t1)) s)"
exit "$rc"
