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
#   - one bad configuration that QEMU must refuse at start.
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

# The part of the VM script common to all configurations.
vm_common() {
	cat <<'EOF'
dmesg -n 1
n=0
ok() { echo "PASS: $CFG: $*"; }
ko() { echo "FAIL: $CFG: $*"; n=$((n + 1)); }
devs() { ls /sys/bus/ap/devices | sort | tr '\n' ' ' | sed 's/ $//'; }
binds() {
	for d in /sys/bus/ap/devices/*; do
		drv=none
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		echo "$(basename "$d")=$drv"
	done | sort | tr '\n' ' ' | sed 's/ $//'
}
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	t=$(($1 * 5)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.2; t=$((t - 1)); done
	return 1
}
[ -d /sys/bus/ap ] && ok "AP bus present" || ko "AP bus missing"
dmesg | grep -q "does not support AP instructions" &&
	ko "kernel says: no AP instructions" || ok "kernel found AP instructions"
modprobe zcrypt_cex4 && ok "modprobe zcrypt_cex4" || ko "modprobe zcrypt_cex4"
modprobe vfio_ap && ok "modprobe vfio_ap" || ko "modprobe vfio_ap"
same_devs() { [ "$(devs)" = "$DEVS" ]; }
same_binds() { [ "$(binds)" = "$BINDS" ]; }
wait_for 30 same_devs && ok "devices: $(devs)" ||
	ko "devices: got '$(devs)', want '$DEVS'"
wait_for 30 same_binds && ok "bindings as apmask/aqmask say" ||
	ko "bindings: got '$(binds)', want '$BINDS'"
for m in adapter:APM usage_domain:AQM control_domain:ADM; do
	f=/sys/bus/ap/ap_${m%%:*}_mask
	eval want=\$${m#*:}
	[ "$(cat $f)" = "$want" ] && ok "$(basename $f) = $want" ||
		ko "$(basename $f): got $(cat $f), want $want"
done
[ "$(cat /sys/bus/ap/apmask)" = "$APMASK_PARAM" ] && ok "apmask from ap.apmask=" ||
	ko "apmask: got $(cat /sys/bus/ap/apmask), want $APMASK_PARAM"
[ "$(cat /sys/bus/ap/aqmask)" = "$AQMASK_PARAM" ] && ok "aqmask from ap.aqmask=" ||
	ko "aqmask: got $(cat /sys/bus/ap/aqmask), want $AQMASK_PARAM"
c=/sys/bus/ap/devices/$FIRSTCARD
[ "$(cat $c/raw_hwtype)" = "$TYPE" ] && [ "$(cat $c/hwtype)" = "$TYPE" ] &&
	ok "$FIRSTCARD: type $TYPE" || ko "$FIRSTCARD: raw_hwtype $(cat $c/raw_hwtype) hwtype $(cat $c/hwtype), want $TYPE"
[ "$(cat $c/ap_functions)" = "$FUNCS" ] && ok "$FIRSTCARD: ap_functions $FUNCS" ||
	ko "$FIRSTCARD: ap_functions $(cat $c/ap_functions), want $FUNCS"
[ "$(cat $c/depth)" = 7 ] && ok "$FIRSTCARD: depth 7" || ko "$FIRSTCARD: depth $(cat $c/depth)"
EOF
}

# Extra checks of the first configuration (default AP configuration).
vm_functional() {
	cat <<'EOF'
q=/sys/bus/ap/devices/00.0000
before=$(cat $q/request_count)
if [ -e /dev/hwrng ] && [ "$(cat /sys/class/misc/hw_random/rng_current)" = zcrypt ]; then
	b=$(head -c 64 /dev/hwrng | od -An -tx1 | tr -d ' \n')
	[ ${#b} -eq 128 ] && ok "64 bytes from the zcrypt hwrng (CCA request via NQAP/DQAP)" ||
		ko "hwrng read gave '${b}'"
else
	ko "no zcrypt hwrng ($(cat /sys/class/misc/hw_random/rng_current 2>&1))"
fi
total=0
for r in /sys/bus/ap/devices/??.????/request_count; do
	v=$(cat $r)	# "-" for queues zcrypt does not drive
	case $v in '' | *[!0-9]*) continue ;; esac
	total=$((total + v))
done
[ $total -gt 0 ] && ok "queues processed $total requests" || ko "no request counted"
# 32 RSA requests through /dev/z90crypt: each completes with the error reply
reqs() {
	t=0
	for r in /sys/bus/ap/devices/??.????/request_count; do
		v=$(cat $r)
		case $v in '' | *[!0-9]*) continue ;; esac
		t=$((t + v))
	done
	echo $t
}
r0=$(reqs)
out=$(/bin/zcrypt-modexpo 32 2>&1) && ok "$out" || ko "zcrypt-modexpo: $out"
r1=$(reqs)
[ $((r1 - r0)) -ge 32 ] && ok "request counters +$((r1 - r0)) (NQAP/DQAP, type 82 replies)" ||
	ko "request counters moved by $((r1 - r0)), want >= 32"
on=$(cat $q/online)
[ "$on" = 1 ] && ok "00.0000 still online after requests" || ko "00.0000 online=$on"
bad=0
for d in /sys/bus/ap/devices/0[01].000[0-5]; do
	[ "$(cat $d/online)" = 1 ] || bad=1
done
[ $bad = 0 ] && ok "all cex4 queues online after the error replies" || ko "a cex4 queue went offline"

# apmask write moves adapter 2 to the default drivers and back
echo +2 > /sys/bus/ap/apmask && ok "echo +2 > apmask" || ko "echo +2 > apmask"
drv() { basename "$(readlink /sys/bus/ap/devices/$1/driver 2>/dev/null)" 2>/dev/null; }
is() { [ "$(drv $1)" = "$2" ]; }
wait_for 20 is 02.0000 cex4queue && is 02.0006 vfio_ap && ok "02.0000 -> cex4queue, 02.0006 stays vfio_ap" ||
	ko "after +2: 02.0000 $(drv 02.0000), 02.0006 $(drv 02.0006)"
echo -2 > /sys/bus/ap/apmask && ok "echo -2 > apmask" || ko "echo -2 > apmask"
wait_for 20 is 02.0000 vfio_ap && ok "02.0000 -> vfio_ap" || ko "after -2: 02.0000 $(drv 02.0000)"
wait_for 20 same_binds && ok "bindings back to the boot state" || ko "bindings: $(binds)"

# a vfio_ap mediated device
t=/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
u=$(cat /proc/sys/kernel/random/uuid)
if echo $u > $t/create; then
	ok "mdev $u created"
	m=/sys/bus/mdev/devices/$u
	echo 2 > $m/assign_adapter && echo 6 > $m/assign_domain && echo 6 > $m/assign_control_domain &&
		ok "assign adapter 2, domain 6" || ko "assign adapter 2, domain 6"
	grep -qx 02.0006 $m/matrix && ok "mdev matrix shows 02.0006" || ko "mdev matrix: $(cat $m/matrix)"
	echo 1 > $m/remove && [ ! -e $m ] && ok "mdev removed" || ko "mdev remove"
else
	ko "mdev create"
fi

# module unload / reload
rmmod vfio_ap && ok "rmmod vfio_ap" || ko "rmmod vfio_ap"
rmmod zcrypt_cex4 && ok "rmmod zcrypt_cex4" || ko "rmmod zcrypt_cex4"
rmmod zcrypt && ok "rmmod zcrypt" || ko "rmmod zcrypt ($(lsmod | grep zcrypt))"
[ -z "$(drv 00.0000)" ] && [ -z "$(drv 02.0006)" ] && ok "queues unbound after rmmod" ||
	ko "after rmmod: 00.0000 '$(drv 00.0000)', 02.0006 '$(drv 02.0006)'"
modprobe zcrypt_cex4 && modprobe vfio_ap && ok "modprobe zcrypt_cex4 (and zcrypt) and vfio_ap again" || ko "modprobe again"
out=$(/bin/zcrypt-modexpo 4 2>&1) && ok "after reload: $out" || ko "after reload: $out"
wait_for 20 same_binds && ok "bindings restored after reload" || ko "bindings after reload: $(binds)"
EOF
}

vm_tail() {
	cat <<'EOF'
dmesg > /tmp/dmesg
if grep -qE "WARNING:|BUG:|Oops|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU|INFO: task .* blocked|Call Trace" /tmp/dmesg; then
	ko "kernel log has a warning:"
	grep -E -A3 "WARNING:|BUG:|Oops|possible circular|possible recursive|inconsistent lock|suspicious RCU|INFO: task|Call Trace" /tmp/dmesg | head -40 | sed 's/^/  | /'
else
	ok "no WARNING/BUG/lockdep report in dmesg"
fi
grep -E " ap:| zcrypt|vfio_ap|hwrng" /tmp/dmesg | sed 's/^/  dmesg| /'
exit $n
EOF
}

# run_config NAME MACHINE-OPTS TYPE FUNCS FUNCTIONAL AP DOM CTRL APMASK AQMASK
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
		vm_common
		[ "$functional" = 1 ] && vm_functional
		vm_tail
	} >"$tmp/$name.sh"
	log=$(logfile "test-qemu-$name")
	rc=0
	"$TOP/scripts/run-vm.sh" --kernel-build "$KBUILD" --script "$tmp/$name.sh" \
		--add "$tmp/zcrypt-modexpo:/bin/zcrypt-modexpo" \
		--machine "$mopts" --append "ap.apmask=$APMASK_PARAM ap.aqmask=$AQMASK_PARAM" \
		--timeout 400 --quiet --log "$log" || rc=$?
	tr -d '\r' <"$log" | grep -E '^(PASS|FAIL): |^  \| ' | while IFS= read -r l; do say "$l"; done
	fails=$((fails + $(tr -d '\r' <"$log" | grep -c '^FAIL: ')))
	if [ "$rc" -eq 0 ]; then
		pass "$name: VM run (-M s390-ccw-virtio${mopts:+,$mopts}), console log: $log"
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
run_config sparse-ep11 "ap-adapters=5:0x0a,ap-domains=3-4:16,ap-control-domains=3-4:16:20,ap-type=cex6,ap-mode=ep11" \
	12 0x06000000 0 \
	"[5,10]" "[3,4,16]" "[3,4,16,20]" "[5]" "[d for d in range(256) if d != 16]"

# 3. a bad configuration must stop QEMU at start with a clear message
for bad in "ap-adapters=0-256|ap-adapters.*256.*0\.\.255" "ap-mode=rsa|ap-mode.*rsa" "ap-type=14|ap-type.*14.*not supported"; do
	opt=${bad%%|*} re=${bad#*|}
	rc=0
	out=$(timeout 30 "$QEMU" -M "s390-ccw-virtio,$opt" -cpu max -nographic -display none \
		-serial none -monitor none -S 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && printf '%s' "$out" | grep -qE "$re"; then
		pass "bad config '$opt' refused at start (exit $rc): $out"
	else
		fail "bad config '$opt': exit $rc, output: $out"
	fi
done

if [ "$fails" -ne 0 ]; then
	say "test-qemu: $fails check(s) failed"
	exit 1
fi
say "test-qemu: all checks passed"
