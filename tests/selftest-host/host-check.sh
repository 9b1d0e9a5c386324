#!/usr/bin/env bash
# host-check.sh [WT]: exercise the vfio_ap selftest on the build host
# against fake_ap.so (a model of the 5.10 AP bus/vfio_ap sysfs, see
# fake_ap.c), and tests/selftest/host.sh's parser on the output. No VM.
#   WT: kernel tree holding tools/testing/selftests/vfio_ap
#       (default: the series variant's tree, lib.sh's vsrc series)
# Prints PASS:/FAIL: lines; exit 1 on any FAIL.
# shellcheck disable=SC2010 # ls | grep on the simulated sysfs: names without blanks
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/scripts/lib.sh"
wt=${1:-$(vsrc series)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nfail=0
ok() { echo "PASS: host-sim: $*"; }
ko() { echo "FAIL: host-sim: $*"; nfail=$((nfail + 1)); }

# The test binaries: built from the tree for x86_64 (-Wextra: the harness
# itself has one unused parameter in 5.10 and 6.x), or SELFTEST_BIN, one
# binary of another build (e.g. the original single-file selftest) that
# then plays every role.
st=$wt/tools/testing/selftests/vfio_ap
if [ -n "${SELFTEST_BIN:-}" ]; then
	cp "$SELFTEST_BIN" "$out/vfio_ap_test"
	BINS=vfio_ap_test MASKS=vfio_ap_test STRESS=vfio_ap_test
else
	BINS="vfio_ap_assign_test vfio_ap_input_test vfio_ap_masks_test vfio_ap_stress_test"
	MASKS=vfio_ap_masks_test STRESS=vfio_ap_stress_test
	for b in $BINS; do
		gcc -Wall -Wextra -Wno-unused-parameter -O2 -D_GNU_SOURCE -pthread -I"$st/include" \
			-o "$out/$b" "$st/$b.c" "$st"/lib/*.c 2>>"$out/cc.log" || break
	done
	[ ! -s "$out/cc.log" ] && ok "selftest builds for x86_64 without warnings (-Wall -Wextra)" ||
		{ ko "selftest x86_64 build: $(head -c 300 "$out/cc.log")"; exit 1; }
fi
plant=${PLANT:-$here/plant.py}
gcc -O2 -shared -fPIC -o "$out/fake_ap.so" "$here/fake_ap.c" -ldl || { ko "fake_ap.so build"; exit 1; }
if [ -f "$st/include/vfio_ap.h" ]; then
	gcc -Wall -Wextra -O2 -I"$st/include" -o "$out/lib_check" "$here/lib_check.c" "$st/lib/bits.c" &&
		"$out/lib_check" self-check >"$out/self.log" 2>&1 && ok "parser model and library self-check" ||
		ko "parser model self-check: $(grep 'not ok' "$out/self.log" | head -3)"
	export STATE_LAYOUT="${STATE_LAYOUT:-$("$out/lib_check" layout)}"
fi
# all binaries in turn, the stress test last (as tests/selftest/vm.sh)
run_all() {
	local b rc=0 r
	for b in $BINS; do
		"$out/$b"
		r=$?
		[ "$rc" -ne 0 ] || rc=$r
	done
	return "$rc"
}

M0="0xa$(printf 'f%.0s' $(seq 63))"	# bits 1 and 3 clear
STATE=run/vfio_ap_selftest/state	# the state file, below the fake root
mkroot() { # DIR [nodefault]: 4 cards x 4 domains; vfio_ap gets cards 1, 3 and
	# domains 1, 3; the others have cex4queue (nodefault: no driver)
	local r=$1 a q
	rm -rf "$r"
	mkdir -p "$r/sys/bus/ap/devices" "$r/sys/bus/ap/drivers/vfio_ap" "$r/sys/bus/ap/drivers/cex4queue" \
		"$r/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough" "$r/run"
	mkdir -m 0700 "$r/run/vfio_ap_selftest"	# the state directory, as root would have it
	: >"$r/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
	: >"$r/sys/bus/ap/drivers_probe"
	echo "$M0" >"$r/sys/bus/ap/apmask"
	echo "$M0" >"$r/sys/bus/ap/aqmask"
	for a in 0 1 2 3; do
		mkdir -p "$r/sys/bus/ap/devices/card0$a"
		for q in 0 1 2 3; do
			mkdir -p "$r/sys/bus/ap/devices/0$a.000$q"
			if [ $((a % 2)) = 1 ] || [ $((q % 2)) = 1 ]; then
				ln -s ../../../../bus/ap/drivers/vfio_ap "$r/sys/bus/ap/devices/0$a.000$q/driver"
			elif [ "${2:-}" != nodefault ]; then
				ln -s ../../../../bus/ap/drivers/cex4queue "$r/sys/bus/ap/devices/0$a.000$q/driver"
			fi
		done
	done
}

run() { # MODE NAME
	local r=$out/root-$2
	mkroot "$r"
	VFIO_AP_SYSFS_ROOT=$r FAKE_AP_MODE=$1 FAKE_AP_GUARD=$out/guard-$2 FAKE_AP_OURS=1,3 VFIO_AP_STRESS_SECS=${STRESS_SECS:-3} \
		LD_PRELOAD=$out/fake_ap.so timeout 600 bash -c "$(declare -f run_all); out=$out BINS='$BINS' run_all" >"$out/$2.out" 2>&1
	echo "VFIOAP-RC: $?" >>"$out/$2.out"
	{ echo "VFIOAP-TAP-BEGIN"; cat "$out/$2.out"; echo "VFIOAP-TAP-END"; } >"$out/$2.log"
	if [ -s "$out/guard-$2" ]; then
		ko "$2: the test changed mask bits it does not own: $(head -n 3 "$out/guard-$2" | tr '\n' ';')"
	else
		ok "$2: only owned mask bits were ever changed"
	fi
	# restored: masks back to the start, no mdev left
	if [ "$(cat "$r/sys/bus/ap/apmask")" = "$M0" ] && [ "$(cat "$r/sys/bus/ap/aqmask")" = "$M0" ] &&
		[ -z "$(ls "$r/sys/devices/vfio_ap/matrix" | grep -- -)" ] && [ ! -e "$r/$STATE" ]; then
		ok "$2: masks and mdevs restored, state file removed"
	else
		ko "$2: not restored ($(cat "$r/sys/bus/ap/apmask") / $(ls "$r/sys/devices/vfio_ap/matrix" | tr '\n' ' '))"
	fi
}

run series series
"$top/tests/selftest/host.sh" --label sim-series --parse-only "$out/series.log" --expect pass >"$out/cv1" 2>&1 &&
	ok "series model: check-vm --expect pass" || { ko "series model: check-vm --expect pass"; cat "$out/cv1"; grep -v '^ok\|^#  *\(RUN\|OK\)' "$out/series.out" | head -40; }
run base base
"$top/tests/selftest/host.sh" --label sim-base --parse-only "$out/base.log" --expect fail-inuse >"$out/cv2" 2>&1 &&
	ok "base model: check-vm --expect fail-inuse" || { ko "base model: check-vm --expect fail-inuse"; cat "$out/cv2"; }
"$top/tests/selftest/host.sh" --label sim-base --parse-only "$out/base.log" --expect pass >"$out/cv3" 2>&1 &&
	ko "base model must fail --expect pass" || ok "base model fails --expect pass (control of the control)"
grep -E '^(kernel|sim)' "$out/cv1" "$out/cv2" | sed 's/^[^:]*://' | sed 's/^/    /'
# SIGINT in the middle of the stress case: everything restored
r=$out/root-int
mkroot "$r"
VFIO_AP_SYSFS_ROOT=$r VFIO_AP_STRESS_SECS=60 \
	LD_PRELOAD=$out/fake_ap.so "$out/$STRESS" >"$out/int.out" 2>&1 &
tpid=$!
for _ in $(seq 120); do
	grep -q 'stress: adapters' "$out/int.out" && break
	sleep 0.5
done
sleep 1
kill -INT "$tpid"
wait "$tpid"
if grep -q 'interrupted, cleaning up' "$out/int.out" && [ "$(cat "$r/sys/bus/ap/apmask")" = "$M0" ] &&
	[ "$(cat "$r/sys/bus/ap/aqmask")" = "$M0" ] && [ -z "$(ls "$r/sys/devices/vfio_ap/matrix" | grep -- -)" ] &&
	[ ! -e "$r/$STATE" ]; then
	ok "SIGINT during stress: masks and mdevs restored, state file removed"
else
	ko "SIGINT during stress: not restored ($(tail -n 2 "$out/int.out" | tr '\n' ';'))"
fi
# a simulated deadlock in the stress case: the test must end and fail
r=$out/root-hang
mkroot "$r"
t0=$(date +%s)
VFIO_AP_SYSFS_ROOT=$r FAKE_AP_HANG=1 VFIO_AP_STRESS_SECS=2 VFIO_AP_OP_TIMEOUT=3 \
	LD_PRELOAD=$out/fake_ap.so timeout 120 "$out/$STRESS" 2>&1 | timeout 150 cat >"$out/hang.out"
hrc=${PIPESTATUS[0]}	# through a pipe, as in the VM: the stuck worker must not hold it
if [ "$hrc" -ne 124 ] && grep -q '^not ok .* vfio_ap.stress' "$out/hang.out" && grep -q 'stress: DEADLOCK' "$out/hang.out" &&
	grep -q 'cleanup skipped' "$out/hang.out"; then
	ok "simulated deadlock: stress fails after $(($(date +%s) - t0)) s instead of hanging, cleanup skipped"
else
	ko "simulated deadlock (exit $hrc): $(grep -E 'stress|DEADLOCK|cleanup' "$out/hang.out" | head -5 | tr '\n' ';')"
fi
# Only vfio_ap loaded: the drivers_probe workaround is used, and said in
# one line, exactly when the bus leaves released queues unbound (the fake's
# FAKE_AP_NOREPROBE models __ap_revise_reserved() without its fix).
for mode in fixed unfixed; do
	r=$out/root-rep-$mode
	mkroot "$r" nodefault
	want=none other=needed nr=
	[ $mode = fixed ] || { want=needed other=none nr=FAKE_AP_NOREPROBE=1; }
	env FAKE_AP_NODEFAULT=1 $nr VFIO_AP_SYSFS_ROOT=$r \
		LD_PRELOAD=$out/fake_ap.so timeout 300 "$out/$MASKS" >"$out/rep-$mode.out" 2>&1
	echo "VFIOAP-RC: $?" >>"$out/rep-$mode.out"
	{ echo "VFIOAP-TAP-BEGIN"; cat "$out/rep-$mode.out"; echo "VFIOAP-TAP-END"; } >"$out/rep-$mode.log"
	c=apmask_busy,aqmask_busy,apmask_no_conflict,aqmask_no_conflict
	if "$top/tests/selftest/host.sh" --label sim-$mode --parse-only "$out/rep-$mode.log" --cases $c \
		--reprobe $want >"$out/rep-$mode.cv" 2>&1 &&
		! "$top/tests/selftest/host.sh" --label sim-$mode --parse-only "$out/rep-$mode.log" --cases $c \
			--reprobe $other >/dev/null 2>&1; then
		ok "reprobe $mode bus, only vfio_ap: the masks cases pass, workaround line $want ($(grep -m1 -o 'drivers_probe workaround: [0-9]* queue' "$out/rep-$mode.out" || echo absent))"
	else
		ko "reprobe $mode bus, only vfio_ap: $(grep -E '^FAIL' "$out/rep-$mode.cv" | head -n 3 | tr '\n' ';')"
	fi
done

# ---------------------------------------------------------------------------
# Root-only state: a stale state of a killed run is recovered; planted or
# damaged state is refused with one clear message and nothing is written.
FOREIGN=0f0e0d0c-0b0a-4908-8706-050403020100	# an mdev the test did not create
tree() { # PID: PID and its descendants, parents first
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do tree "$c"; done
}
killtree() { # PID: the test, its harness children and their workers, all at
	# once (SIGKILL, parent first: no survivor gets to report or clean up)
	# shellcheck disable=SC2046 # one pid a word
	kill -KILL $(tree "$1") 2>/dev/null
}
mkhostile() { # ROOT: mkroot plus things a hostile state file could aim at
	local r=$1
	mkroot "$r"
	mkdir -p "$r/sys/devices/pci0000:00/0000:00:00.0" "$r/sys/devices/vfio_ap/matrix/$FOREIGN" "$r/etc"
	: >"$r/sys/devices/pci0000:00/0000:00:00.0/remove"
	for a in remove matrix control_domains assign_adapter assign_domain; do
		: >"$r/sys/devices/vfio_ap/matrix/$FOREIGN/$a"
	done
	echo "precious, must stay byte-identical" >"$r/etc/precious"
}
snap() { # ROOT: one line that changes when anything below ROOT changes
	(cd "$1" && { find . -path ./.lock -prune -o -printf '%p %y %m %U %s %l\n' | sort
		find . -type f ! -name .lock -exec sha256sum {} + | sort; } | sha256sum | cut -c1-16)
}

# a genuine stale state: kill -9 the whole test in the middle of the stress case
r=$out/root-killed
mkroot "$r"
VFIO_AP_SYSFS_ROOT=$r VFIO_AP_STRESS_SECS=60 LD_PRELOAD=$out/fake_ap.so "$out/$STRESS" >"$out/killed.out" 2>&1 &
tpid=$!
for _ in $(seq 120); do	# the stress workers run: its three mdevs exist
	[ "$(find "$r/sys/devices/vfio_ap/matrix" -name control_domains | wc -l)" -ge 3 ] && break
	sleep 0.5
done
sleep 1
killtree "$tpid"
wait "$tpid" 2>/dev/null
if [ -f "$r/$STATE" ] && cp "$r/$STATE" "$out/genuine.state" &&
	VFIO_AP_SYSFS_ROOT=$r VFIO_AP_STRESS_SECS=2 LD_PRELOAD=$out/fake_ap.so timeout 300 "$out/$MASKS" >"$out/recover.out" 2>&1 &&
	grep -q '^# recovering what the run of pid' "$out/recover.out" && [ ! -e "$r/$STATE" ] &&
	[ "$(cat "$r/sys/bus/ap/apmask")" = "$M0" ] && [ "$(cat "$r/sys/bus/ap/aqmask")" = "$M0" ] &&
	[ -z "$(ls "$r/sys/devices/vfio_ap/matrix" | grep -- -)" ]; then
	ok "state left by a killed run (SIGKILL during stress): recovered by the next run, which passes"
else
	ko "recovery of a killed run's state: $(grep -E 'recover|SKIP|not ok' "$out/recover.out" "$out/killed.out" 2>/dev/null | head -n 3 | tr '\n' ';')"
fi

# hostile NAME WANT PLANT...: plant the state with PLANT (run in the fresh
# fake root, $1 = root, $st = state file); the test must skip with a message
# matching WANT, write nothing to sysfs, and leave every file as it was.
hostile() {
	local name=$1 want=$2 r=$out/root-h-$1 before after skipmsg why
	shift 2
	mkhostile "$r"
	st=$r/$STATE
	"$@" "$r" || { ko "hostile $name: planting failed"; return; }
	before=$(snap "$r")
	VFIO_AP_SYSFS_ROOT=$r FAKE_AP_AUDIT=$out/audit-$name VFIO_AP_STRESS_SECS=2 LD_PRELOAD=$out/fake_ap.so \
		timeout 300 "$out/$MASKS" >"$out/h-$name.out" 2>&1
	after=$(snap "$r")
	skipmsg=$(sed -n 's/^1\.\.0 # SKIP //p' "$out/h-$name.out" | head -n 1)
	why=()
	[ -n "$skipmsg" ] && [[ $skipmsg =~ $want ]] ||
		why+=("no refusal matching '$want' (first lines: $(grep -m2 -E 'SKIP|recover|^ok|^not ok' "$out/h-$name.out" | tr '\n' ';'))")
	[ -s "$out/audit-$name" ] && why+=("sysfs written: $(head -n 2 "$out/audit-$name" | tr '\t\n' '=;')")
	[ "$before" = "$after" ] || why+=("files below the root changed")
	if [ ${#why[@]} -eq 0 ]; then
		ok "hostile $name: refused, nothing written, planted files byte-identical ($skipmsg)"
	else
		ko "hostile $name: $(printf '%s; ' "${why[@]}")"
	fi
}
plant_as() { # KIND ARG ROOT: a damaged copy of the genuine state, root-owned 0600
	python3 "$plant" "$out/genuine.state" "$st" "$1" "$2" && chmod 0600 "$st"
}
other_uid() { cp "$out/genuine.state" "$st" && chmod 0600 "$st" && chown 65534:65534 "$st"; }
symlinked() { ln -s ../../etc/precious "$st"; }
dotdot() { plant_as name ../../pci0000:00/0000:00:00.0; }	# matrix/<name>/remove
foreign() { plant_as name "$FOREIGN"; }
notours() { plant_as rsvbit 0; }	# adapter 0 is the host's (set in apmask)
truncated() { plant_as truncate 100; }
badversion() { plant_as version 99; }
worldwritable() { chmod 0777 "$1/run/vfio_ap_selftest"; }
if [ -f "$out/genuine.state" ]; then
	hostile other-uid 'refused: owned by uid 65534' other_uid
	hostile symlink 'refused: not a regular file \(a symlink\)' symlinked
	hostile dotdot-name "mdev '\.\./\.\./pci0000:00/0000:00:00\.0' was not created by this test \(not a canonical UUID\)" dotdot
	hostile foreign-uuid "mdev '$FOREIGN' was not created by this test \(not its tag\)" foreign
	hostile unreserved-bits 'apmask bits 0 were never reserved by this test' notours
	hostile truncated 'corrupt \(100 bytes' truncated
	hostile bad-version 'corrupt \(magic 76666170, version 99' badversion
	hostile world-writable-dir 'state directory .* mode 0777' worldwritable
else
	ko "hostile state checks: no genuine state file to start from"
fi
# parser: a lockdep splat in a console log
cat >"$out/lockdep.log" <<'EOL'
[   12.000000] ======================================================
[   12.000001] WARNING: possible circular locking dependency detected
[   12.000002] 5.10.223 #1 Not tainted
[   12.000003] ------------------------------------------------------
[   12.000004] vfio_ap_test/99 is trying to acquire lock:
[   12.000005] 0000000001234567 (ap_perms_mutex){+.+.}-{3:3}, at: ap_apqn_in_matrix_owned_by_def_drv+0x2a/0x90 [ap]
[   12.000006]
[   12.000007] but task is already holding lock:
[   12.000008] 0000000001234568 (&matrix_dev->lock){+.+.}-{3:3}, at: assign_adapter_store+0x5c/0x1b0 [vfio_ap]
EOL
"$top/tests/selftest/host.sh" --label sim-lockdep --parse-only "$out/lockdep.log" --expect lockdep >"$out/cv4" 2>&1 &&
	ok "check-vm --expect lockdep recognises a circular dependency report" || { ko "lockdep parse"; cat "$out/cv4"; }
"$top/tests/selftest/host.sh" --label sim-series --parse-only "$out/series.log" --expect lockdep >/dev/null 2>&1 &&
	ko "lockdep expectation passed without a report" || ok "check-vm --expect lockdep fails without a report"
[ "$nfail" -eq 0 ]
