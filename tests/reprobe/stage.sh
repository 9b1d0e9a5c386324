#!/usr/bin/env bash
# order: 45
# reprobe stage: a queue without a driver is probed after an apmask write.
# In the emulated machine (default adapters, every APQN reserved for the
# default drivers), with only vfio_ap loaded, "echo -0x01 > apmask" must
# bind the queues of adapter 1 to vfio_ap without /sys/bus/ap/drivers_probe
# (tests/reprobe/vm.sh):
#   series  the queues bind to vfio_ap; "+0x01" releases them
#   base    negative control on unpatched 5.10.223: they stay unbound
# A negative control that passes is a FAIL. Missing builds are made.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
S=$TOP/scripts

stage_qemu reprobe || exit 1
rc=0
for k in series base; do
	stage_kernel reprobe "$k" || { rc=1; continue; }
	kb=$KB
	log=$LOGDIR/reprobe-$k.log
	tmp=$(mktemp)
	{ echo "MODE=$k"; cat "$TOP/tests/reprobe/vm.sh"; } >"$tmp"
	start=$(date +%s)
	vrc=0
	"$S/run-vm.sh" --kernel-build "$kb" --script "$tmp" --append quiet \
		--timeout "${REPROBE_TIMEOUT:-180}" --log "$log" --quiet || vrc=$?
	rm -f "$tmp"
	tr -d '\r' <"$log" | grep -E '^(INFO: |KLOG\|)' | head -n 40
	# the judge keeps the script's PASS:/FAIL: lines, adds its console scan
	# (lockdep, WARNING, BUG, ...) and a FAIL for a VM that did not exit 0
	python3 "$TOP/tests/judge/judge.py" scenario "$log" --label "reprobe: [$k]" --vm-exit "$vrc" || vrc=1
	[ "$vrc" -eq 0 ] || rc=1
	say "reprobe [$k]: $(($(date +%s) - start)) s, console log: $log"
done
exit "$rc"
