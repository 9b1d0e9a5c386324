#!/usr/bin/env bash
# order: 50
# scenario stage: the admin's scenario with the real clients (Debian's s390x
# mdevctl 1.2.0 and lszcrypt from s390-tools 2.16.0) in the emulated machine,
# default emulated adapters, ap.apmask leaving adapter 2 to vfio_ap:
#   series  an mdevctl-started mdev holds an APQN; the apmask write that
#           reclaims it fails with EBUSY, apmask is unchanged, lszcrypt still
#           shows the queue on vfio_ap; after mdevctl stop + undefine the
#           same write succeeds and lszcrypt shows it on cex4queue; no
#           lockdep/BUG/WARNING report.
#   base    negative control on unpatched 5.10: the same write succeeds and
#           lszcrypt shows the queue on cex4queue while the mdev still holds it.
# Missing builds (QEMU, series, base) are made by tests/scenario/host.sh
# through scripts/build-qemu.sh and scripts/variants.sh, never skipped.
# Prints "PASS: scenario: ..." / "FAIL: scenario: ..."; the walk-through
# itself is in $CACHE/logs/scenario-{series,base}.walk.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

rc=0
for k in series base; do
	walk=$LOGDIR/scenario-$k.walk
	start=$(date +%s)
	"$TOP/tests/scenario/host.sh" "$k" "$LOGDIR/scenario-$k.log" >"$walk" 2>"$walk.err" &
	watch "scenario $k" $! "$LOGDIR/scenario-$k.log" 2>&1
	wait $!
	vrc=$?
	grep -E '^(PASS|FAIL): ' "$walk"
	grep "^KLOG|" "$walk" | head -n 80
	if [ "$vrc" -ne 0 ] && ! grep -q '^FAIL: ' "$walk"; then
		tail -n 5 "$walk.err" >&2
		echo "FAIL: scenario: [$k] the VM run failed (exit $vrc), console log: $LOGDIR/scenario-$k.log"
	fi
	[ "$vrc" -eq 0 ] || rc=1
	say "scenario [$k]: $(($(date +%s) - start)) s, walk-through: $walk"
done
exit "$rc"
