#!/usr/bin/env bash
# test-qemu.sh: test the AP emulation of patches/qemu with the 5.10 test kernel.
#   - two AP configurations (machine properties + ap.apmask/ap.aqmask boot
#     parameters): /sys/bus/ap/devices lists exactly the configured cards
#     and queues, the masks and card type are those configured, every queue
#     is bound to the expected driver (cex4queue or vfio_ap), the boot and
#     the tests leave no WARNING/BUG/lockdep report;
#   - in the first configuration also: the hwrng of zcrypt returns data (a
#     CCA request/reply through NQAP/DQAP), request counters move, writing
#     /sys/bus/ap/apmask moves queues between the drivers, a vfio_ap mdev
#     can be created, rmmod/modprobe of zcrypt_cex4 and vfio_ap work;
#   - bad configurations that QEMU must refuse at start;
#   - instruction-level tests (tests/qemu/insn, bare metal, loaded with
#     -kernel): PQAP/NQAP/DQAP condition codes, registers and program
#     exceptions with the s390-ap-emu device, with the AP facility but no
#     device, and without the AP facility (-cpu max as upstream, and the
#     released machine type s390-ccw-virtio-7.2 with its default CPU);
#   - QMP fault injection and run-time configuration (issue 14): the
#     instruction-level program in MODE_FAULTS with the faults of
#     tests/qemu/insn/faults.qmp injected before it starts and the
#     (de)configurations it asks for through scripts/qmp.py --follow;
#     negative controls: the same run with the faults not injected
#     (planted no-faults) and without the configuration-change event
#     (planted no-notify) must fail the cases that check them; bad QMP
#     arguments are refused with a clear error and change nothing.
# Prints one "PASS: ..." / "FAIL: ..." line per check; exits non-zero on any
# failure.
#   KBUILD   kernel build dir (default $CACHE/build/base)
#   QEMU     qemu-system-s390x (default $CACHE/qemu/build/qemu-system-s390x)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

KBUILD=${KBUILD:-$CACHE/build/base}
QEMU=${QEMU:-$CACHE/qemu/build/qemu-system-s390x}
export QEMU
[ -x "$QEMU" ] || die "test-qemu: no QEMU at $QEMU (run scripts/build-qemu.sh)"
[ -f "$KBUILD/arch/s390/boot/bzImage" ] || die "test-qemu: no kernel in $KBUILD (run scripts/build-kernel.sh)"

fails=0
pass() { say "PASS: $*"; }
fail() { say "FAIL: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_py ADAPTERS DOMAINS CTRL APMASK_IDS AQMASK_IDS: print the expected
# device list, queue bindings and sysfs masks (ids as python lists)
expect() {
	python3 - "$@" <<'EOF'
import sys
ap, dom, ctrl, apm, aqm = (eval(a) for a in sys.argv[1:6])
def mask(ids):
    v = 0
    for i in ids:
        v |= 1 << (255 - i)
    return "0x%064x" % v
devs = ["card%02x" % a for a in ap] + ["%02x.%04x" % (a, d) for a in ap for d in dom]
print("DEVS='%s'" % " ".join(sorted(devs)))
binds = ["card%02x=cex4card" % a for a in ap]
binds += ["%02x.%04x=%s" % (a, d, "cex4queue" if a in apm and d in aqm else "vfio_ap")
          for a in ap for d in dom]
print("BINDS='%s'" % " ".join(sorted(binds)))
print("APM=%s AQM=%s ADM=%s" % (mask(ap), mask(dom), mask(ctrl)))
print("APMASK_PARAM=%s AQMASK_PARAM=%s" % (mask(apm), mask(aqm)))
EOF
}

# run_config NAME AP-PROPS TYPE FUNCS FUNCTIONAL AP DOM CTRL APMASK AQMASK
run_config() {
	local name=$1 mopts=$2 type=$3 funcs=$4 functional=$5 log rc
	shift 5
	local exp
	exp=$(expect "$@") || { fail "$name: expectation helper failed"; return; }
	eval "$exp"
	{
		echo "CFG='$name'"
		echo "$exp" | sed 's/^APM=\(.*\) AQM=\(.*\) ADM=\(.*\)$/APM=\1; AQM=\2; ADM=\3/;
			s/^APMASK_PARAM=\(.*\) AQMASK_PARAM=\(.*\)$/APMASK_PARAM=\1; AQMASK_PARAM=\2/'
		first=card${DEVS#*card}
		echo "TYPE=$type FUNCS=$funcs FIRSTCARD=${first%% *}"
		echo "FUNCTIONAL=$functional"
		cat "$TOP/tests/qemu/config.vm.sh"
	} >"$tmp/$name.sh"
	log=$(logfile "test-qemu-$name")
	rc=0
	"$TOP/scripts/run-vm.sh" --kernel-build "$KBUILD" --script "$tmp/$name.sh" \
		--add "$tmp/zcrypt-modexpo:/bin/zcrypt-modexpo" \
		${mopts:+--ap "$mopts"} --append "ap.apmask=$APMASK_PARAM ap.aqmask=$AQMASK_PARAM" \
		--timeout 400 --quiet --log "$log" || rc=$?
	tr -d '\r' <"$log" | grep -E '^(PASS|FAIL): |^  \| ' | while IFS= read -r l; do say "$l"; done
	fails=$((fails + $(tr -d '\r' <"$log" | grep -c '^FAIL: ')))
	if [ "$rc" -eq 0 ]; then
		pass "$name: VM run (-device s390-ap-emu,${mopts:-adapters=0-3,domains=0-7,reset-time-us=0}), console log: $log"
	else
		fail "$name: VM run exit $rc, console log: $log"
	fi
	if tr -d '\r' <"$log" | matches "Krnl PSW.*(ap_dqap"; then
		fail "$name: the guest kernel oopsed in ap_dqap(): a 5.10 kernel built with gcc 12 needs tests/kernel-fixups/0001-s390-ap-bind-the-AP-status-word-to-GR1.patch (see tests/kernel-fixups/README.md)"
	fi
	# Also scan the whole console (boot included) for splats.
	if tr -d '\r' <"$log" | matches -E "WARNING:|BUG:|Oops|possible circular locking|Kernel panic"; then
		fail "$name: console shows a WARNING/BUG/Oops/panic, see $log"
	else
		pass "$name: console free of WARNING/BUG/Oops/panic"
	fi
}

# A client sending RSA requests through /dev/z90crypt
${CROSS}gcc -static -O2 -Wall -o "$tmp/zcrypt-modexpo" "$TOP/tests/qemu/zcrypt-modexpo.c" ||
	die "test-qemu: cannot build tests/qemu/zcrypt-modexpo.c"

# 1. default AP configuration: adapters 0-3, domains 0-7, CEX7, CCA;
#    adapters 0-1 x domains 0-5 for zcrypt, the rest for vfio_ap
run_config default "" 13 0x72000000 1 \
	"[0,1,2,3]" "list(range(8))" "list(range(8))" "[0,1]" "list(range(6))"

# 2. sparse ids, separate control domains, CEX6 in EP11 mode;
#    adapter 5 x domains 3,4 for zcrypt, the rest (domain 16, adapter 10) for vfio_ap
run_config sparse-ep11 "adapters=5:0x0a,domains=3-4:16,control-domains=3-4:16:20,ap-type=12,mode=ep11,reset-time-us=0" \
	12 0x06000000 0 \
	"[5,10]" "[3,4,16]" "[3,4,16,20]" "[5]" "[d for d in range(256) if d != 16]"

# 3. a bad configuration must stop QEMU at start with a clear message
AP_CPU=max,ap=on,apqci=on,apft=on
for bad in \
	"-cpu $AP_CPU -device s390-ap-emu,adapters=0-256|adapters.*256.*0\.\.255" \
	"-cpu $AP_CPU -device s390-ap-emu,mode=rsa|mode.*rsa" \
	"-cpu $AP_CPU -device s390-ap-emu,ap-type=14|ap-type=14 is not supported" \
	"-cpu $AP_CPU -device s390-ap-emu,adapters=0-3,domains=0-16,max-domain=15|domains: id 16 is beyond max-domain=15" \
	"-cpu $AP_CPU -device s390-ap-emu,adapters=64,max-adapter=63|adapters: id 64 is beyond max-adapter=63" \
	"-cpu $AP_CPU -device s390-ap-emu -device s390-ap-emu|No 'ap-bus' bus found" \
	"-cpu max -device s390-ap-emu,adapters=0|No 'ap-bus' bus found" \
	"-M s390-ccw-virtio,ap-adapters=0-3 -cpu max|ap-adapters"; do
	opt=${bad%%|*} re=${bad#*|}
	rc=0
	read -r -a args <<<"$opt"
	case $opt in -M*) ;; *) args=(-M s390-ccw-virtio "${args[@]}") ;; esac
	out=$(timeout 30 "$QEMU" "${args[@]}" -nographic -display none \
		-serial none -monitor none -S 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && printf '%s' "$out" | matches -E "$re"; then
		pass "bad config '$opt' refused at start (exit $rc): $out"
	else
		fail "bad config '$opt': exit $rc, output: $out"
	fi
done

# 4. the device blocks migration (its queue state is not migrated); without
#    it, the same machine is migratable (negative control)
migrate_out() {
	printf 'migrate "exec:cat >/dev/null"\nquit\n' |
		timeout 30 "$QEMU" -M s390-ccw-virtio "$@" -nographic -display none \
			-serial none -monitor stdio -S 2>&1 | tr -d '\r'
}
if migrate_out -cpu "$AP_CPU" -device s390-ap-emu,adapters=0,domains=0 |
	matches "blocked by non-migratable device.*s390-ap-emu"; then
	pass "s390-ap-emu blocks migration"
else
	fail "s390-ap-emu: migration not blocked"
fi
if migrate_out -cpu "$AP_CPU" | matches "blocked by non-migratable"; then
	fail "migration blocked without the device"
else
	pass "without the device migration is not blocked (negative control)"
fi

# 5. instruction-level tests: tests/qemu/insn, one build per set-up
# insn_elf MODE: build the program for MODE (once), print its path
insn_elf() {
	local elf=$tmp/apinsn-$1.elf
	[ -f "$elf" ] || ${CROSS}gcc -DMODE_"$1" -O2 -ffreestanding -fno-stack-protector \
		-fno-pic -no-pie -nostdlib -static -march=z900 -Wall -Wextra -Werror \
		-T "$TOP/tests/qemu/insn/insn.lds" -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
		-o "$elf" "$TOP/tests/qemu/insn/head.S" "$TOP/tests/qemu/insn/insn.c" >&2 || return 1
	printf '%s\n' "$elf"
}
# run_insn MODE LABEL QEMU-ARGS...
run_insn() {
	local mode=$1 label=$2 elf log rc=0
	shift 2
	if ! elf=$(insn_elf "$mode"); then
		fail "qemu insn: $label: the test does not build"
		return
	fi
	log=$(logfile "test-qemu-insn-$label")
	timeout 60 "$QEMU" "$@" -smp 1 -m 64 -nographic -no-reboot -kernel "$elf" \
		</dev/null >"$log" 2>&1 || rc=$?
	insn_report "$label" "$log" "$rc"
}
# insn_report LABEL LOG RC: the program's TAP as PASS/FAIL lines
insn_report() {
	local label=$1 log=$2 rc=$3
	tr -d '\r' <"$log" | sed -n "s/^ok [0-9]* - \(.*\)/PASS: qemu insn: $label: \1/p; s/^not ok [0-9]* - \(.*\)/FAIL: qemu insn: $label: \1/p; s/^# \(.*: got .*\)/  | \1/p" |
		while IFS= read -r l; do say "$l"; done
	fails=$((fails + $(tr -d '\r' <"$log" | grep -c '^not ok ')))
	if [ "$rc" -eq 0 ] && tr -d '\r' <"$log" | matches '^APINSN-RESULT: PASS'; then
		pass "qemu insn: $label: completed ($(tr -d '\r' <"$log" | sed -n 's/^1\.\.//p') cases), log: $log"
	else
		fail "qemu insn: $label: QEMU exit $rc without a PASS result, log: $log"
	fi
}
run_insn FULL device -M s390-ccw-virtio -cpu "$AP_CPU" -device s390-ap-emu,adapters=0-1:5,domains=0-2:7,control-domains=0-3,max-adapter=15,max-domain=15,reply-latency-us=200000,reset-time-us=500000
run_insn NODEV no-device -M s390-ccw-virtio -cpu "$AP_CPU"
run_insn OFF cpu-max -M s390-ccw-virtio -cpu max
run_insn OFF machine-7.2 -M s390-ccw-virtio-7.2

# 6. QMP fault injection and run-time configuration (scripts/qmp.py).
# The QMP sockets live in a directory of this run's own.
qdir=$LOGDIR/qmp
[ -d "$qdir" ] || mkdir -m 700 "$qdir"
FAULT_DEV=adapters=0-1:5,domains=0-2:7,max-adapter=15,max-domain=15,reply-latency-us=1000,reset-time-us=0
# run_faults LABEL [PLANTED]: MODE_FAULTS with tests/qemu/insn/faults.qmp
# injected at the start; sets flog (console log; QMP log in $flog.qmp)
run_faults() {
	local label=$1 planted=${2:-} elf sock qpid rc=0
	flog=$(logfile "test-qemu-insn-$label")
	: >"$flog.qmp"
	elf=$(insn_elf FAULTS) || { : >"$flog"; return 1; }
	sock=$qdir/$label.sock
	rm -f "$sock"
	timeout 180 "$QEMU" -M s390-ccw-virtio -cpu "$AP_CPU" -device "s390-ap-emu,$FAULT_DEV" \
		-S -qmp "unix:$sock,server=on,wait=off" -smp 1 -m 64 -nographic -no-reboot \
		-kernel "$elf" </dev/null >"$flog" 2>&1 &
	qpid=$!
	python3 "$TOP/scripts/qmp.py" "$sock" --follow "$flog" --init "$TOP/tests/qemu/insn/faults.qmp" \
		--cont ${planted:+--planted "$planted"} >"$flog.qmp" 2>&1 || true
	wait "$qpid" || rc=$?
	return "$rc"
}
frc=0
run_faults faults || frc=$?
insn_report faults "$flog" "$frc"
if grep -q '^QMP-ERR' "$flog.qmp" || [ "$(grep -c '^QMP-OK: s390-ap-emu-' "$flog.qmp")" -ne 13 ]; then
	fail "qemu faults: QMP commands: not 9 injections and 4 (de)configurations all accepted, log: $flog.qmp"
else
	pass "qemu faults: 9 injected faults and 4 run-time (de)configurations accepted through QMP"
fi
# the query at the start and the one while adapter 1 was out
if python3 - "$flog.qmp" <<'PY'
import json, sys
qs = [l.split(" -> ", 1)[1] for l in open(sys.argv[1]) if l.startswith("QMP-OK: query-s390-ap-emu")]
first, during = json.loads(qs[0]), json.loads(qs[1])
q = {(e["adapter"], e["domain"]): e for e in during["queues"]}
q0 = {(e["adapter"], e["domain"]): e for e in first["queues"]}
ok = (len(q) == 12 and during["configured-adapters"] == "0:5" and during["adapters"] == "0-1:5"
      and all(q[(1, d)]["state"] == "deconfigured" for d in (0, 1, 2, 7))
      and q[(0, 0)]["state"] == "normal" and "response-fault" not in q[(0, 0)]
      and q[(0, 2)]["response-fault"] == {"type": "response-code", "code": "deconfigured"}
      and q0[(0, 0)]["response-fault"] == {"type": "response-code", "code": "busy", "count": 2}
      and q0[(5, 2)]["reply-fault"] == {"type": "oversize-reply", "size": 5000, "count": 1}
      and q0[(0, 1)]["response-fault"]["remaining-ms"] == 2000)
sys.exit(0 if ok else 1)
PY
then
	pass "qemu faults: query-s390-ap-emu shows the injected faults with their counts and time left, and adapter 1's queues deconfigured while it is out"
else
	fail "qemu faults: query-s390-ap-emu does not show the expected state, log: $flog.qmp"
fi
# Negative controls: the cases must notice a fault that is not injected
# and a configuration change that is not reported.
# want_fail LABEL PLANTED REGEX N: at least N cases whose names match
# REGEX fail (shown), and no other case.
want_fail() {
	local label=$1 planted=$2 re=$3 n=$4 nf bad
	run_faults "$label" "$planted" || true
	nf=$(tr -d '\r' <"$flog" | grep -cE "^not ok [0-9]+ - ($re)")
	bad=$(tr -d '\r' <"$flog" | grep -E '^not ok ' | grep -cvE "^not ok [0-9]+ - ($re)")
	if [ "$nf" -ge "$n" ] && [ "$bad" -eq 0 ]; then
		pass "qemu faults: negative control (planted $planted): $nf cases fail as they must, log: $flog"
		tr -d '\r' <"$flog" | grep -E "^not ok |^# .*: got " | sed 's/^/  | /'
	else
		fail "qemu faults: negative control (planted $planted): $nf of the $n expected cases fail, $bad others, log: $flog"
	fi
}
want_fail faults-no-faults no-faults 'fault ' 9
want_fail faults-no-notify no-notify 'adapter 1 deconfigured|adapter 1 reconfigured|domain 7 reconfigured' 3

# Bad QMP input: a clear error, and the state (query-s390-ap-emu) unchanged.
qmp() { python3 "$TOP/scripts/qmp.py" "$sock" "$@"; }
sock=$qdir/bad.sock
rm -f "$sock"
timeout 120 "$QEMU" -M s390-ccw-virtio -cpu "$AP_CPU" -device "s390-ap-emu,$FAULT_DEV" -S \
	-qmp "unix:$sock,server=on,wait=off" -nographic -display none -serial none -monitor none \
	</dev/null >"$(logfile test-qemu-qmp-bad)" 2>&1 &
bpid=$!
before=$(qmp query-s390-ap-emu) || before=
inj='"type": "response-code", "code": "busy"'
for bad in \
	"s390-ap-emu-inject-fault|{\"adapter\": 9, \"domain\": 0, $inj}|adapter 9 \(0x09\) is not one of the device's adapters \(0-1:5\)" \
	"s390-ap-emu-inject-fault|{\"adapter\": 0, \"domain\": 3, $inj}|domain 3 \(0x0003\) is not one of the device's usage domains \(0-2:7\)" \
	"s390-ap-emu-inject-fault|{\"adapter\": 0, \"domain\": 0, \"type\": \"response-code\", \"code\": \"normal\"}|normal" \
	"s390-ap-emu-inject-fault|{\"adapter\": 0, \"domain\": 0, $inj, \"count\": 0}|'count' must be at least 1" \
	"s390-ap-emu-inject-fault|{\"adapter\": 0, \"domain\": 0, $inj, \"count\": 1, \"duration-ms\": 5}|'count' and 'duration-ms' exclude each other" \
	"s390-ap-emu-inject-fault|{\"adapter\": 0, \"domain\": 0, \"type\": \"delay-reply\", \"delay-ms\": 0}|'delay-ms' must be at least 1" \
	"s390-ap-emu-inject-fault|{\"adapter\": 0, \"domain\": 0, \"type\": \"oversize-reply\", \"size\": 65537}|'size' must be in the range 1..65536" \
	"s390-ap-emu-inject-fault|{\"adapter\": 256, \"domain\": 0, $inj}|adapter.*uint8" \
	"s390-ap-emu-configure|{\"adapter\": 1, \"domain\": 1, \"configured\": false}|exactly one of 'adapter' and 'domain'" \
	"s390-ap-emu-configure|{\"configured\": false}|exactly one of 'adapter' and 'domain'" \
	"s390-ap-emu-configure|{\"adapter\": 2, \"configured\": false}|adapter 2 \(0x02\) is not one of the device's adapters" \
	"s390-ap-emu-clear-faults|{\"domain\": 8}|domain 8 \(0x0008\) is not one of the device's usage domains"; do
	cmd=${bad%%|*} rest=${bad#*|}
	qargs_=${rest%%|*} re=${rest#*|}
	rc=0
	out=$(qmp "$cmd" "$qargs_" 2>&1) || rc=$?
	if [ "$rc" -eq 1 ] && printf '%s' "$out" | matches -E "$re"; then
		pass "qemu faults: bad QMP input refused: $cmd $qargs_: $out"
	else
		fail "qemu faults: bad QMP input: $cmd $qargs_: exit $rc, output: $out"
	fi
done
after=$(qmp query-s390-ap-emu) || after=
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	pass "qemu faults: after the refused commands query-s390-ap-emu is unchanged"
else
	fail "qemu faults: the refused commands changed the state (before: $before, after: $after)"
fi
# negative control of that comparison: an accepted command changes it
qmp s390-ap-emu-inject-fault "{\"adapter\": 0, \"domain\": 0, $inj}" >/dev/null || true
if [ -n "$before" ] && [ "$(qmp query-s390-ap-emu)" != "$before" ]; then
	pass "qemu faults: an accepted injection changes query-s390-ap-emu (negative control of the comparison)"
else
	fail "qemu faults: an accepted injection left query-s390-ap-emu unchanged"
fi
qmp quit >/dev/null 2>&1 || true
wait "$bpid" 2>/dev/null || true
# without the device, the commands say so
sock=$qdir/nodev.sock
rm -f "$sock"
timeout 60 "$QEMU" -M s390-ccw-virtio -cpu "$AP_CPU" -S -qmp "unix:$sock,server=on,wait=off" \
	-nographic -display none -serial none -monitor none </dev/null >/dev/null 2>&1 &
bpid=$!
rc=0
out=$(qmp s390-ap-emu-configure '{"adapter": 0, "configured": false}' 2>&1) || rc=$?
if [ "$rc" -eq 1 ] && printf '%s' "$out" | matches "there is no s390-ap-emu device"; then
	pass "qemu faults: without the device the commands are refused: $out"
else
	fail "qemu faults: without the device: exit $rc, output: $out"
fi
qmp quit >/dev/null 2>&1 || true
wait "$bpid" 2>/dev/null || true

if [ "$fails" -ne 0 ]; then
	say "test-qemu: $fails check(s) failed"
	exit 1
fi
say "test-qemu: all checks passed"
