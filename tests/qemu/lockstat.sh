#!/usr/bin/env bash
# tests/qemu/lockstat.sh: lock hold times of the stress case with the
# emulator's reset and reply latency (issue 13's kernel evidence).
# For each kernel (5.10 + series, 5.10 base) and each reset time, boot the
# VM with lockdep and lock_stat, run the vfio_ap kselftest (stress case
# included) and print the lock_stat class lines of matrix_dev->lock and
# ap_perms_mutex plus every WARNING.
#   RESET_US   reset times to compare (default "0 10000")
#   STRESS     stress seconds (default 20)
#   KERNELS    kernel variants (default "series base"; "dev" is the
#              workspace's top of the series without the bisect builds)
# Not part of make check (several minutes per VM run); `make lockstat`.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

RESET_US=${RESET_US:-"0 10000"}
KERNELS=${KERNELS:-"series base"}
STRESS=${STRESS:-20}
case $STRESS in '' | *[!0-9]*) die "lockstat: STRESS must be a number of seconds" ;; esac
"$TOP/scripts/build-qemu.sh" >/dev/null || die "FAILED: stage 'lockstat' (QEMU build)"
for k in $KERNELS; do
	case $k in series | base | dev) ;; *) die "lockstat: KERNELS: series, base or dev" ;; esac
	kb=$(BISECT=0 "$TOP/scripts/variants.sh" "$k" | tail -n 1) || die "FAILED: stage 'lockstat' ($k kernel build)"
	# the selftest is part of the series: build it from the series' tree
	# (make is incremental: a changed selftest is rebuilt, an unchanged one not)
	bin=$CACHE/selftest-lockstat
	st=$k
	[ "$k" = base ] && st=series
	selftest_build "$(vsrc "$st")" "$bin" "$(logfile lockstat-selftest-build)" ||
		die "FAILED: stage 'lockstat' (selftest build), log: $(logfile lockstat-selftest-build)"
	adds=()
	for t in "$bin"/vfio_ap_*_test; do
		adds+=(--add "$t:/vfio_ap/${t##*/}")
	done
	for r in $RESET_US; do
		case $r in '' | *[!0-9]*) die "lockstat: RESET_US must hold numbers" ;; esac
		log=$(logfile "lockstat-$k-reset$r")
		rc=0
		"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --script "$TOP/tests/qemu/lockstat.vm.sh" \
			--add "$TOP/tests/selftest/vm.sh:/selftest-vm.sh" "${adds[@]}" \
			--ap "adapters=0-3,domains=0-7,reset-time-us=$r" --append "vfioap.stress_secs=$STRESS" \
			--timeout 1200 --quiet --log "$log" || rc=$?
		say "== 5.10 $k, reset-time-us=$r (VM exit $rc), log: $log"
		say "   class: contentions waittime-min/max/total/avg acquisitions holdtime-min/max/total/avg (us)"
		tr -d '\r' <"$log" | sed -n 's/^LOCKSTAT| *//p' | awk '{
			printf "   %-22s con %s wait %s/%s/%s/%s acq %s hold %s/%s/%s/%s\n",
				$1, $3, $4, $5, $6, $7, $9, $10, $11, $12, $13 }'
		tr -d '\r' <"$log" | grep -E '^VFIOAP\| *(ok|not ok) ' | sed 's/^VFIOAP| */   /'
		w=$(tr -d '\r' <"$log" | grep -c '^LOCKSTAT-WARN| .*WARNING:')
		say "   WARNINGs: $w"
		tr -d '\r' <"$log" | sed -n 's/^LOCKSTAT-WARN| /   | /p' | head -n 12
	done
done
