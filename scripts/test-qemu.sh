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
#     released machine type s390-ccw-virtio-7.2 with its default CPU).
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
	if tr -d '\r' <"$log" | grep -q "Krnl PSW.*(ap_dqap"; then
		fail "$name: the guest kernel oopsed in ap_dqap(): a 5.10 kernel built with gcc 12 needs tests/kernel-fixups/0001-s390-ap-bind-the-AP-status-word-to-GR1.patch (see tests/kernel-fixups/README.md)"
	fi
	# Also scan the whole console (boot included) for splats.
	if tr -d '\r' <"$log" | grep -qE "WARNING:|BUG:|Oops|possible circular locking|Kernel panic"; then
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
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && printf '%s' "$out" | grep -qE "$re"; then
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
	grep -q "blocked by non-migratable device.*s390-ap-emu"; then
	pass "s390-ap-emu blocks migration"
else
	fail "s390-ap-emu: migration not blocked"
fi
if migrate_out -cpu "$AP_CPU" | grep -q "blocked by non-migratable"; then
	fail "migration blocked without the device"
else
	pass "without the device migration is not blocked (negative control)"
fi

# 5. instruction-level tests: tests/qemu/insn, one build per set-up
# run_insn MODE LABEL QEMU-ARGS...
run_insn() {
	local mode=$1 label=$2 elf log rc=0
	shift 2
	elf=$tmp/apinsn-$mode.elf
	if [ ! -f "$elf" ] && ! ${CROSS}gcc -DMODE_"$mode" -O2 -ffreestanding -fno-stack-protector \
		-fno-pic -no-pie -nostdlib -static -march=z900 -Wall -Wextra -Werror \
		-T "$TOP/tests/qemu/insn/insn.lds" -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
		-o "$elf" "$TOP/tests/qemu/insn/head.S" "$TOP/tests/qemu/insn/insn.c"; then
		fail "qemu insn: $label: the test does not build"
		return
	fi
	log=$(logfile "test-qemu-insn-$label")
	timeout 60 "$QEMU" "$@" -smp 1 -m 64 -nographic -no-reboot -kernel "$elf" \
		</dev/null >"$log" 2>&1 || rc=$?
	tr -d '\r' <"$log" | sed -n "s/^ok [0-9]* - \(.*\)/PASS: qemu insn: $label: \1/p; s/^not ok [0-9]* - \(.*\)/FAIL: qemu insn: $label: \1/p; s/^# \(.*: got .*\)/  | \1/p" |
		while IFS= read -r l; do say "$l"; done
	fails=$((fails + $(tr -d '\r' <"$log" | grep -c '^not ok ')))
	if [ "$rc" -eq 0 ] && tr -d '\r' <"$log" | grep -q '^APINSN-RESULT: PASS'; then
		pass "qemu insn: $label: completed ($(tr -d '\r' <"$log" | sed -n 's/^1\.\.//p') cases), log: $log"
	else
		fail "qemu insn: $label: QEMU exit $rc without a PASS result, log: $log"
	fi
}
run_insn FULL device -M s390-ccw-virtio -cpu "$AP_CPU" -device s390-ap-emu,adapters=0-1:5,domains=0-2:7,control-domains=0-3,max-adapter=15,max-domain=15,reply-latency-us=200000,reset-time-us=500000
run_insn NODEV no-device -M s390-ccw-virtio -cpu "$AP_CPU"
run_insn OFF cpu-max -M s390-ccw-virtio -cpu max
run_insn OFF machine-7.2 -M s390-ccw-virtio-7.2

if [ "$fails" -ne 0 ]; then
	say "test-qemu: $fails check(s) failed"
	exit 1
fi
say "test-qemu: all checks passed"
