#!/usr/bin/env bash
# tests/linux-6.12/run.sh [quick|static|build|vm|all]: the 6.12 improvement
# series (patches/linux-6.12, on Debian's linux-source-6.12 6.12.117),
# checked like the 5.10 series. `make linux-6.12` runs "all"; make check
# runs "quick" (tests/linux-6.12/stage.sh); make anchors builds the series
# kernel ("build") and adds it as a column of the parity table.
#   quick   the series applies to 6.12.117 (KSERIES=6.12 scripts/workspace.sh,
#           one commit per patch) and every patch is checkpatch --strict
#           clean; negative control: tests/linux-6.12/static-bad.patch is
#           flagged. Cheap: no kernel build.
#   static  tests/static/stage.sh with KSERIES=6.12: checkpatch, and no new
#           W=1 / sparse / kernel-doc finding in the touched files, each
#           shown to fail on tests/linux-6.12/static-bad.patch.
#   build   = build-top + bisect:
#           build-top: plain 6.12 (variant anchor-6.12, tests/anchors/anchors.sh
#           build 6.12) and the top of the series (variant series-6.12,
#           $CACHE/v/series-6.12/{src,build}): the kernels of "vm";
#           bisect: every shorter prefix in variant series-6.12-bisect (one
#           incremental build dir; "vm" may run meanwhile).
#   vm      in the emulated machine with lockdep (CONFIG_PROVE_LOCKING=y),
#           on 6.12 + series and, as the negative control, on plain 6.12:
#           - the vfio_ap selftest (built from the series' last patch)
#             passes on both (no case tests a bug the series fixes);
#           - reprobe: only vfio_ap loaded, "echo -N > apmask" binds the
#             queues of adapter N to vfio_ap on the series; they stay
#             unbound on plain 6.12;
#           - lockdep: the fixture module tests/fixtures/ap-helper-unlocked
#             (mask helpers called without ap_perms_mutex) makes lockdep
#             WARN on the series; plain 6.12 stays silent;
#           - log volume: one refused apmask write of 64 APQNs (1 mdev)
#             logs <= 2 lines naming the mdev on the series (64 on plain);
#             with two mdevs blocking, both are named.
#           Rows for the parity table: $CACHE/anchors/results-6.12-series.txt
#           (the selftest cases; make anchors adds the scenario and the
#           log volume).
# Prints PASS:/FAIL: lines; a negative control that passes is a FAIL.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
export KSERIES=6.12 JOBS=${JOBS:-2}
D=$TOP/tests/linux-6.12
V=series-6.12
pass=0 fail=0
ok() { say "PASS: linux-6.12: $*"; pass=$((pass + 1)); }
ko() { say "FAIL: linux-6.12: $*"; fail=$((fail + 1)); }

quick() {
	local src pdir log p r
	"$TOP/scripts/workspace.sh" init >&2 || { ko "the series does not apply to 6.12.117"; return 1; }
	src=$("$TOP/scripts/workspace.sh" path)
	pdir=$TOP/patches/linux-6.12
	ok "the series applies to 6.12.117 ($(git -C "$src" rev-list --count base..series) commits, one per patch)"
	log=$(logfile checkpatch-6.12)
	: >"$log"
	checkpatch() { # FILE [CHECKPATCH-OPTION...] -> "E W C"
		local f=$1
		shift
		(cd "$src" && perl scripts/checkpatch.pl --strict --show-types "$@" "$f") >"$log.one" 2>&1 || true
		cat "$log.one" >>"$log"
		sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p' "$log.one"
	}
	while read -r p; do
		r=$(checkpatch "$pdir/$p")
		if [ "$r" = "0 0 0" ]; then ok "checkpatch --strict $p"; else
			ko "checkpatch --strict $p: errors/warnings/checks = ${r:-none}, log: $log"; fi
	done < <(grep -v -e '^#' -e '^[[:space:]]*$' "$pdir/series")
	r=$(checkpatch "$D/static-bad.patch")
	if [ -n "$r" ] && [ "$r" != "0 0 0" ]; then ok "negative control: checkpatch flags static-bad.patch ($r)"; else
		ko "negative control: checkpatch did not flag static-bad.patch"; fi
	rm -f "$log.one"
}

tree_at() { # VARIANT COMMIT: the variant's worktree of the 6.12 workspace at COMMIT
	local wt src
	src=$("$TOP/scripts/workspace.sh" path)
	wt=$(vsrc "$1")
	worktree_at "$src" "$wt"
	# keep mtimes of unchanged files: only switch when needed
	[ "$(git -C "$wt" rev-parse HEAD)" = "$2" ] || git -C "$wt" checkout -q --detach -f "$2"
}

# build-top: plain 6.12 (anchor-6.12) and the top of the series (series-6.12),
# the two kernels of the VM checks.
build_top() {
	local src top
	"$TOP/tests/anchors/anchors.sh" build 6.12 >&2 || { ko "plain 6.12 build (tests/anchors/anchors.sh build 6.12)"; return 1; }
	"$TOP/scripts/workspace.sh" init >&2 || { ko "the series does not apply to 6.12.117"; return 1; }
	src=$("$TOP/scripts/workspace.sh" path)
	top=$(git -C "$src" rev-parse series)
	tree_at "$V" "$top"
	nice -n 10 "$TOP/scripts/build-kernel.sh" "$V" anchor-6.x.config >&2 ||
		{ ko "the series (top) does not build, log: $(logfile "build-$V")"; return 1; }
}

# bisect: every shorter prefix in its own variant (series-6.12-bisect, one
# incremental build dir), so that the series kernel stays as it is and the
# VM checks can run meanwhile; the top is the build of build_top.
bisect() {
	local src stamp c i n
	src=$("$TOP/scripts/workspace.sh" path)
	stamp=$(vdir "$V-bisect")/.bisect-ok
	mapfile -t commits < <(git -C "$src" rev-list --reverse base..series)
	n=${#commits[@]} i=0
	for c in "${commits[@]}"; do
		i=$((i + 1))
		[ "$i" -lt "$n" ] || break
		grep -qx "$c" "$stamp" 2>/dev/null && continue
		say "linux-6.12: building prefix $i/$n: $(git -C "$src" log -1 --format=%s "$c")" >&2
		tree_at "$V-bisect" "$c"
		if ! nice -n 10 "$TOP/scripts/build-kernel.sh" "$V-bisect" anchor-6.x.config >&2; then
			ko "prefix $i/$n does not build: $(git -C "$src" log -1 --format=%s "$c"), log: $(logfile "build-$V-bisect")"
			return 1
		fi
		mkdir -p "$(dirname "$stamp")"
		echo "$c" >>"$stamp"
	done
	ok "bisect: all $n prefixes of the 6.12 series build for s390x"
}

build() { build_top && bisect; }

selftest_bin() { # the series' selftest, built in the 6.12 tree: a directory of binaries
	local out=$CACHE/selftest-6.12
	rm -rf "$out"
	selftest_build "$(vsrc "$V")" "$out" "$(logfile selftest-build-6.12)" >/dev/null 2>&1 || return 1
	echo "$out"
}

fixture_ko() { # VARIANT -> path of the fixture module built against it
	local kb out log
	kb=$(vbuild "$1")
	out=$CACHE/fixtures/ap-helper-unlocked-$1
	log=$(logfile "fixture-$1")
	rm -rf "$out" && mkdir -p "$out"
	cp "$TOP/tests/fixtures/ap-helper-unlocked/"* "$out/"
	make -C "$kb" ARCH=s390 CROSS_COMPILE=$CROSS M="$out" modules >"$log" 2>&1 || return 1
	echo "$out/ap_helper_unlocked.ko"
}

vmline() { tr -d '\r' <"$1" | sed -n "s/^$2: //p" | tail -n 1; }

vm() {
	local k kb label bin log r ko_path res n lines
	if bin=$(selftest_bin); then
		ok "the series' selftest builds statically for s390x in the 6.12 tree ($(cd "$bin" && echo vfio_ap_*_test))"
	else
		ko "the series' selftest does not build in the 6.12 tree, log: $(logfile selftest-build-6.12)"
		return 1
	fi
	[ -n "${QEMU:-}" ] || [ -x "$CACHE/qemu/build/qemu-system-s390x" ] || "$TOP/scripts/build-qemu.sh" >&2
	mkdir -p "$CACHE/anchors"
	res=$CACHE/anchors/results-6.12-series.txt
	: >"$res"
	for k in "$V" anchor-6.12; do
		kb=$(vbuild "$k")
		label=${k/series-6.12/6.12-series}
		label=${label/anchor-/}
		[ -f "$kb/arch/s390/boot/bzImage" ] || { ko "$label: no kernel at $kb (run: $0 build)"; continue; }

		# selftest: every case passes on both, no lockdep/WARNING/BUG
		# with the series the bus reprobes released queues itself: the
		# selftest's drivers_probe workaround must not be needed
		if [ "$k" = "$V" ]; then
			"$TOP/tests/selftest/host.sh" --label "$label" --kernel-build "$kb" --selftest "$bin" \
				--expect pass --reprobe none --results "$res" && ok "$label: selftest" || ko "$label: selftest"
		else
			"$TOP/tests/selftest/host.sh" --label "$label" --kernel-build "$kb" --selftest "$bin" \
				--expect pass && ok "$label: selftest" || ko "$label: selftest"
		fi

		# reprobe with only vfio_ap loaded
		log=$LOGDIR/linux-6.12-reprobe-$label.log
		"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --script "$D/reprobe.vm.sh" --append quiet \
			--timeout 300 --quiet --log "$log" || true
		r=$(vmline "$log" REPROBE)
		# r = "adapter=NN queues=Q vfio_ap=B unbound=U"
		# shellcheck disable=SC2046 # the four numbers, split on purpose
		set -- $(echo "$r" | sed 's/[a-z_]*=//g')
		if [ "$#" -ne 4 ] || [ "$2" -eq 0 ]; then
			ko "$label: reprobe: no result ($r), log: $log"
		elif [ "$k" = "$V" ]; then
			[ "$3" -eq "$2" ] && ok "$label: reprobe: apmask -$((0x$1)) binds all $2 queues of adapter $1 to vfio_ap without drivers_probe" ||
				ko "$label: reprobe: $r, log: $log"
		else
			[ "$4" -eq "$2" ] && ok "$label: negative control: reprobe: the $2 queues of adapter $1 stay unbound after apmask -$((0x$1))" ||
				ko "$label: negative control: reprobe: the bug did not show ($r), log: $log"
		fi

		# lockdep assertion: fixture module calls the helpers unlocked
		log=$LOGDIR/linux-6.12-lockdep-$label.log
		if ! ko_path=$(fixture_ko "$k"); then
			ko "$label: fixture module build, log: $(logfile "fixture-$k")"
		else
			"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --script "$D/lockdep.vm.sh" --append quiet \
				--add "$ko_path:/ap_helper_unlocked.ko" --timeout 300 --quiet --log "$log" || true
			n=$(tr -d '\r' <"$log" | grep '^LOCKDEP-LINE: .*WARNING:' | grep -c 'ap_bus.c.*\(ap_owned_by_def_drv\|ap_apqn_in_matrix_owned_by_def_drv\)')
			if ! tr -d '\r' <"$log" | matches '^LOCKDEP-FIXTURE: loaded'; then
				ko "$label: lockdep fixture did not load, log: $log"
			elif [ "$k" = "$V" ]; then
				[ "$n" -eq 2 ] && ok "$label: lockdep_assert_held fires in both mask helpers called without ap_perms_mutex (2 WARNINGs)" ||
					ko "$label: lockdep: $n WARNINGs from the mask helpers, 2 expected, log: $log"
			else
				[ "$n" -eq 0 ] && ! tr -d '\r' <"$log" | matches '^LOCKDEP-LINE: .*WARNING:' &&
					ok "$label: negative control: the same fixture passes silently (no assertion upstream)" ||
					ko "$label: negative control: plain 6.12 warned, log: $log"
			fi
		fi

		# log volume: one refused write of 64 APQNs, and two blocking mdevs
		log=$LOGDIR/linux-6.12-logvolume-$label.log
		"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --script "$TOP/tests/anchors/logvolume.vm.sh" \
			--ap adapters=0-3,domains=0-63,reset-time-us=0 --append "quiet ap.apmask=0xdf$(printf 'f%.0s' $(seq 62))" \
			--timeout 300 --quiet --log "$log" || true
		r=$(vmline "$log" LOGVOL)
		lines=${r%% *}
		case $r in *"resource busy"*) ;; *) lines= ;; esac
		if [ -z "$lines" ]; then
			ko "$label: log volume: the write was not refused with EBUSY ($r), log: $log"
		elif [ "$k" = "$V" ]; then
			if [ "$lines" -le 2 ] && tr -d '\r' <"$log" | grep '^LOGVOL-LINE: ' | matches '7c0ffee0-0000-4000-8000-000000000064'; then
				ok "$label: log volume: one refused write of 64 APQNs logs $lines line(s), naming the mdev"
			else
				ko "$label: log volume: $lines lines (<= 2 naming the mdev expected), log: $log"
			fi
		else
			ok "$label: log volume (reference): $lines lines for the same refused write"
		fi
		r=$(vmline "$log" LOGVOL-BURST)
		lines=${r%% *}
		case $r in *"resource busy"*) ;; *) lines= ;; esac
		if [ -z "$lines" ]; then
			ko "$label: log volume after a burst: the write was not refused with EBUSY ($r), log: $log"
		elif [ "$k" = "$V" ]; then
			if [ "$lines" -le 2 ] && tr -d '\r' <"$log" | grep '^LOGVOL-BURST-LINE: ' | matches 'earlier refusals were not logged' &&
				! tr -d '\r' <"$log" | grep '^LOGVOL-BURST-LINE: ' | matches 'callbacks suppressed'; then
				ok "$label: log volume after a burst of 20 refusals: the next one logs $lines lines and counts the dropped reports"
			else
				ko "$label: log volume after a burst: $lines lines (<= 2, counting the dropped reports, expected), log: $log"
			fi
		else
			ok "$label: log volume after a burst (reference): $lines lines"
		fi
		log=$LOGDIR/linux-6.12-conflicts-$label.log
		"$TOP/scripts/run-vm.sh" --kernel-build "$kb" --script "$D/conflicts.vm.sh" \
			--append "quiet ap.apmask=0xdf$(printf 'f%.0s' $(seq 62))" --timeout 300 --quiet --log "$log" || true
		r=$(vmline "$log" CONFLICTS)
		n=0
		for u in 7c0ffee0-0000-4000-8000-000000000001 7c0ffee0-0000-4000-8000-000000000002; do
			tr -d '\r' <"$log" | grep '^CONFLICTS-LINE: ' | matches "$u" && n=$((n + 1))
		done
		case $r in *"resource busy"*) ;; *) ko "$label: two blocking mdevs: the write was not refused with EBUSY ($r), log: $log"; continue ;; esac
		if [ "$k" = "$V" ]; then
			[ "$n" -eq 2 ] && ok "$label: two blocking mdevs: both named (${r%% *} lines)" ||
				ko "$label: two blocking mdevs: $n of 2 named, log: $log"
		else
			ok "$label: two blocking mdevs (reference): $n of 2 named (${r%% *} lines)"
		fi
	done
}

mode=${1:-all}
case $mode in
quick) quick ;;
static) "$TOP/tests/static/stage.sh" ;;
build) build ;;
build-top) build_top ;;
bisect) bisect ;;
vm) vm ;;
all)
	quick
	build && { "$TOP/tests/static/stage.sh" || fail=$((fail + 1)); vm; }
	;;
*) die "usage: tests/linux-6.12/run.sh [quick|static|build|build-top|bisect|vm|all]" ;;
esac
say "linux-6.12: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
