#!/usr/bin/env bash
# tests/anchors/anchors.sh [build|test|all]: upstream parity (make anchors = all).
#   build  unpack Debian's linux-source-6.1 (6.1.192) and linux-source-6.12
#          (6.12.117) once into $CACHE/v/anchor-6.x/src and build each for
#          s390x with the test fragments plus configs/anchor-6.x.config
#          (build dirs $CACHE/v/anchor-6.x/build, lib.sh's map); checks that
#          VFIO_AP=m, ZCRYPT=m, KVM=y and PROVE_LOCKING=y really ended up in
#          each .config. Runs under nice, JOBS=2 unless set.
#   test   the vfio_ap selftest (the static binary built from the series
#          tree, as tests/selftest/stage.sh does) on 5.10+series, 6.1,
#          6.12 and 6.12 + the 6.12 series (variant series-6.12, built by
#          tests/linux-6.12/run.sh build) through tests/selftest/host.sh
#          --expect pass, and the
#          mdevctl/lszcrypt scenario (tests/scenario/host.sh) on each, and
#          counts the kernel log lines of one refused apmask write of 64
#          APQNs (tests/anchors/logvolume.vm.sh, device s390-ap-emu domains=0-63).
#          Per-kernel rows: $CACHE/anchors/results-<kernel>.txt, logs in
#          $CACHE/logs/latest/check-vm-<kernel>.log; the kernel x case table:
#          $CACHE/anchors/parity.md (also printed).
# anchors.sh probe: edge behaviours (tests/anchors/probe-edges.vm.sh) on the three.
# Upstream is compared against, never copied. Prints PASS:/FAIL: lines from
# tests/selftest/host.sh; a FAIL on an anchor is a finding to explain (see
# the README's "Upstream parity" section).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

mode=${1:-all}
ADIR=$CACHE/anchors
mkdir -p "$ADIR"
ANCHORS=(6.1 6.12)
export JOBS=${JOBS:-2}

unpack() { # VER -> $CACHE/v/anchor-VER/src (once)
	local v=$1 d
	d=$(vsrc "anchor-$1")
	[ -f "$d/Makefile" ] && return 0
	"$TOP/scripts/fetch.sh" "anchor-$v"
	rm -rf "$d.unpack"
	mkdir -p "$d.unpack"
	run_stage "unpack linux-$v" "$(logfile "unpack-anchor-$v")" \
		tar -xf "$CACHE/dl/linux-$v.tar.xz" -C "$d.unpack" --strip-components=1
	mv "$d.unpack" "$d"
}

build() { # VER
	local v=$1 cfg t0 o
	unpack "$v"
	t0=$(date +%s)
	nice -n 10 "$TOP/scripts/build-kernel.sh" "anchor-$v" anchor-6.x.config
	cfg=$(vbuild "anchor-$v")/.config
	for o in CONFIG_VFIO_AP=m CONFIG_ZCRYPT=m CONFIG_KVM=y CONFIG_PROVE_LOCKING=y; do
		grep -qx "$o" "$cfg" || die "FAILED: stage 'anchor $v config': $o not in $cfg"
	done
	say "anchor $v: build (incremental) took $(($(date +%s) - t0)) s, $(vbuild "anchor-$v")"
}

selftest_bin() { # the static binaries the selftest stage uses, from the series tree
	local wt bin=$CACHE/selftest log
	wt=$(vsrc series)
	"$TOP/scripts/variants.sh" series >/dev/null
	[ -d "$wt/tools/testing/selftests/vfio_ap" ] || die "anchors: no vfio_ap selftest in the series tree $wt"
	log=$(logfile selftest-build-anchors)
	selftest_build "$wt" "$bin" "$log" || die "FAILED: stage 'selftest build', log: $log"
	echo "$bin"
}

test_all() {
	local bin k kb label t0 rc=0
	bin=$(selftest_bin)
	[ -x "${QEMU:-$CACHE/qemu/build/qemu-system-s390x}" ] || "$TOP/scripts/build-qemu.sh" >&2
	[ -f "$(vbuild series)/arch/s390/boot/bzImage" ] || "$TOP/scripts/variants.sh" series >/dev/null
	for k in 5.10-series "${ANCHORS[@]}" 6.12-series; do
		case $k in
		5.10-series) kb=$(vbuild series) label=5.10-series sk=series ;;
		6.12-series) kb=$(vbuild series-6.12) label=6.12-series sk=series-6.12 ;; # tests/linux-6.12
		*) kb=$(vbuild "anchor-$k") label=$k sk=anchor-$k ;;
		esac
		if [ ! -f "$kb/arch/s390/boot/bzImage" ]; then
			if [ "$k" = 6.12-series ]; then "$TOP/tests/linux-6.12/run.sh" build >&2; else build "$k"; fi
		fi
		t0=$(date +%s)
		: >"$ADIR/results-$label.txt" # this run's rows only (the judge appends)
		"$TOP/tests/selftest/host.sh" --label "$label" --kernel-build "$kb" --selftest "$bin" \
			--expect pass --results "$ADIR/results-$label.txt" || rc=1
		say "anchors: selftest on $label took $(($(date +%s) - t0)) s"
		t0=$(date +%s)
		if "$TOP/tests/scenario/host.sh" "$sk" "$LOGDIR/scenario-$sk.log" >"$ADIR/scenario-$label.walk" 2>&1; then
			echo "$label|mdevctl scenario|PASS|" >>"$ADIR/results-$label.txt"
		else
			echo "$label|mdevctl scenario|FAIL|$(grep -m1 '^FAIL: ' "$ADIR/scenario-$label.walk" | sed 's/^FAIL: scenario: \[[a-z]*\] //')" \
				>>"$ADIR/results-$label.txt"
			rc=1
		fi
		grep -E '^(PASS|FAIL): ' "$ADIR/scenario-$label.walk" | sed "s/^\(PASS\|FAIL\): scenario: \[series\]/\1: $label: scenario:/" || true
		say "anchors: scenario on $label took $(($(date +%s) - t0)) s"
		logvol "$kb" "$label"
	done
	table | tee "$ADIR/parity.md"
	return $rc
}

logvol() { # KBUILD LABEL: kernel log lines for ONE refused apmask write
	# (tests/anchors/logvolume.vm.sh: one mdev holding adapter 2 x domains 0-63)
	local kb=$1 label=$2 log=$LOGDIR/logvolume-$2.log r n
	"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --script "$TOP/tests/anchors/logvolume.vm.sh" \
		--ap adapters=0-3,domains=0-63,reset-time-us=0 --append "quiet ap.apmask=0xdf$(printf 'f%.0s' $(seq 62))" \
		--timeout 300 --quiet --log "$log" || true
	r=$(tr -d '\r' <"$log" | sed -n 's/^LOGVOL: //p' | tail -n 1)
	n=${r%% *}
	case $r in
	*"resource busy"*) ;;
	*) n="FAIL" ;;
	esac
	echo "$label|log lines for one refused write (1 mdev, 64 APQNs)|${n:-FAIL}|$(tr -d '\r' <"$log" | sed -n 's/^LOGVOL-LINE: \[[ 0-9.]*\] //p' | head -n 1)" \
		>>"$ADIR/results-$label.txt"
	say "anchors: $label logs ${n:-?} line(s) for one refused write of 64 APQNs ($log)"
	r=$(tr -d '\r' <"$log" | sed -n 's/^LOGVOL-BURST: //p' | tail -n 1)
	n=${r%% *}
	case $r in *"resource busy"*) ;; *) n="FAIL" ;; esac
	echo "$label|log lines for the next refused write after a burst of 20|${n:-FAIL}|$(tr -d '\r' <"$log" | sed -n 's/^LOGVOL-BURST-LINE: \[[ 0-9.]*\] //p' | tail -n 1)" \
		>>"$ADIR/results-$label.txt"
}

table() { # kernel x case from the results files: rows = cases, columns = kernels
	local files=("$ADIR"/results-5.10-series.txt)
	for k in "${ANCHORS[@]}" 6.12-series; do files+=("$ADIR/results-$k.txt"); done
	awk -F'|' '
		{ if (!($1 in seenk)) { seenk[$1] = 1; ks[nk++] = $1 }
		  if (!($2 in seenc)) { seenc[$2] = 1; cs[nc++] = $2 }
		  r[$1, $2] = $3 }
		END {
			printf "| case |"; for (i = 0; i < nk; i++) printf " %s |", ks[i]; print ""
			printf "|---|"; for (i = 0; i < nk; i++) printf "---|"; print ""
			for (j = 0; j < nc; j++) {
				printf "| %s |", cs[j]
				for (i = 0; i < nk; i++) printf " %s |", ((ks[i], cs[j]) in r ? r[ks[i], cs[j]] : "-")
				print ""
			}
		}' "${files[@]}" 2>/dev/null
}

case $mode in
build) # build [VER]: one anchor only (tests/linux-6.12/run.sh builds 6.12)
	if [ -n "${2:-}" ]; then build "$2"; else for v in "${ANCHORS[@]}"; do build "$v"; done; fi ;;
test) test_all ;;
probe) # the edge probe (tests/anchors/probe-edges.vm.sh) on 5.10+series, 6.1, 6.12
	for k in 5.10-series:series 6.1:anchor-6.1 6.12:anchor-6.12; do
		"$TOP/scripts/run-vm.sh" --kernel-build "$(vbuild "${k#*:}")" --script "$TOP/tests/anchors/probe-edges.vm.sh" \
			--append "quiet ap.apmask=0xdf$(printf 'f%.0s' $(seq 62))" --quiet --log "$LOGDIR/probe-${k%%:*}.log" || true
		say "== ${k%%:*}"
		tr -d '\r' <"$LOGDIR/probe-${k%%:*}.log" | grep '^PROBE' | sed 's/^\(PROBE-LOG: \)\[[ 0-9.]*\] /\1/' | tee "$ADIR/probe-${k%%:*}.txt"
	done
	;;
logvol) # logvol LABEL KBUILD: only the log-volume measurement
	logvol "${3:?usage: anchors.sh logvol LABEL KBUILD}" "$2"
	;;
all)
	for v in "${ANCHORS[@]}"; do build "$v"; done
	"$TOP/tests/linux-6.12/run.sh" build # the 6.12 + our series column
	test_all
	;;
table) table ;;
*) die "usage: anchors.sh [build|test|all|table]" ;;
esac
