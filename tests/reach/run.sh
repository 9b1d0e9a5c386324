#!/usr/bin/env bash
# tests/reach/run.sh: boot one kernel in the emulated machine and run
# standin_test (tests/reach) in it, optionally the kselftest first; print
# one row per result.
#
#   --label NAME         kernel label (rows, log name)
#   --kernel-build DIR   kernel build dir, required
#   --parts DIR          output of tests/reach/build.sh for that kernel
#   --cases "C..."       standin_test cases of the main run (default: all)
#   --planted N          boot with the planted vfio_ap.ko N
#                        (PARTS/planted/N/vfio_ap.ko) instead of the real
#                        one; the run is named N instead of main. One boot
#                        per planted module, so that every control starts
#                        from a clean kernel (tests/reach/README.md, "Open
#                        finding")
#   --selftest DIR       also run the kselftest binaries DIR/vfio_ap_*_test
#                        (before the cases)
#   --gcov FILE          copy /sys/kernel/debug/gcov out of the VM through
#                        the console into FILE (.tar.gz) at the end
#   --env VAR=VAL        environment for standin_test (repeatable)
#   --timeout SEC        VM timeout (default 600)
#   --run-limit SEC      longest wait for one test run in the VM (default
#                        300); a run stuck in the kernel is left behind
#   --log FILE           console log (default $LOGDIR/reach-NAME.log)
# Rows on stdout: "reach|LABEL|RUN|CASE|ok|detail" / "...|not ok|reason",
# RUN = main, the planted module's name, or kselftest; then
# "reach|LABEL|X|console|clean|" or "...|findings|<first lines>",
# "reach|LABEL|X|vm|exit N|", X = - (or the planted module's name).
# Exit 0 if the VM ran to its end.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

label='' kbuild='' parts='' cases='' planted='' selftest='' gcov='' timeout=600 log='' run_limit=300
envs=()
while [ $# -gt 0 ]; do
	case $1 in
	--label) label=$2; shift ;;
	--kernel-build) kbuild=$2; shift ;;
	--parts) parts=$2; shift ;;
	--cases) cases=$2; shift ;;
	--planted) planted=$2; shift ;;
	--selftest) selftest=$2; shift ;;
	--gcov) gcov=$2; shift ;;
	--env) envs+=("$2"); shift ;;
	--timeout) timeout=$2; shift ;;
	--run-limit) run_limit=$2; shift ;;
	--log) log=$2; shift ;;
	*) die "reach run: unknown option '$1'" ;;
	esac
	shift
done
[ -n "$label" ] && [ -d "$kbuild" ] && [ -d "$parts" ] || die "reach run: --label, --kernel-build and --parts are required"
log=${log:-$LOGDIR/reach-$label.log}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
adds=(--add "$parts/vfio_ap_standin.ko:/reach/vfio_ap_standin.ko"
	--add "$parts/standin_test:/reach/standin_test")
if [ -n "$planted" ]; then
	case $planted in *[!a-z0-9-]*) die "reach run: --planted $planted: not a module name" ;; esac
	[ -f "$parts/planted/$planted/vfio_ap.ko" ] || die "reach run: no planted module $planted in $parts"
	adds+=(--add "$parts/planted/$planted/vfio_ap.ko:/reach/planted/vfio_ap.ko")
fi
if [ -n "$selftest" ]; then
	for t in "$selftest"/vfio_ap_*_test; do
		[ -x "$t" ] || die "reach run: no vfio_ap_*_test in $selftest"
		adds+=(--add "$t:/reach/selftest/$(basename "$t")")
	done
fi

{
	echo "CASES='${cases//\'/}'"
	echo "PLANTED='$planted'"
	echo "SELFTEST='${selftest:+1}'"
	echo "GCOV='${gcov:+1}'"
	echo "RUN_LIMIT=$run_limit"
	for e in "${envs[@]}"; do
		case $e in [A-Za-z_]*=*) printf 'export %s=%q\n' "${e%%=*}" "${e#*=}" ;; esac
	done
	cat <<'EOS'
# inside the VM (busybox sh). Masks first (the AP bus is built in):
# vfio_mdev binds the mdevs (their IOMMU group exists only then);
# adapters 2 and 3 and domain 7 are free for vfio_ap.
echo -2,-3 >/sys/bus/ap/apmask
echo -7 >/sys/bus/ap/aqmask
for m in zcrypt_cex4 vfio_ap vfio_mdev vfio_iommu_type1; do
	if [ $m = vfio_ap ] && [ -n "$PLANTED" ]; then
		# its dependencies first, then the planted build itself
		for d in $(sed -n 's,^[^:]*/vfio_ap\.ko:,,p' "/lib/modules/$(uname -r)/modules.dep"); do
			d=${d##*/}
			modprobe "${d%.ko*}" 2>&1 | sed 's/^/REACH-MOD| /'
		done
		insmod /reach/planted/vfio_ap.ko 2>&1 | sed 's/^/REACH-MOD| /'
		continue
	fi
	modprobe $m 2>&1 | sed 's/^/REACH-MOD| /'
done
insmod /reach/vfio_ap_standin.ko 2>&1 | sed 's/^/REACH-MOD| /'
echo "REACH-MASKS: $(cat /sys/bus/ap/apmask) $(cat /sys/bus/ap/aqmask)"
run() { # LABEL ARGS...: framed output, as TAP; bounded: a task stuck
	# in the kernel (a deadlock) cannot be killed, so do not wait for it
	l=$1
	shift
	rm -f /tmp/rc
	( "$@" >/tmp/out 2>&1; echo $? >/tmp/rc ) &
	i=0
	while [ ! -f /tmp/rc ] && [ $i -lt "$RUN_LIMIT" ]; do
		sleep 1
		i=$((i + 1))
	done
	rc=$(cat /tmp/rc 2>/dev/null || echo "stuck after ${RUN_LIMIT}s")
	echo "REACH-BEGIN $l"
	sed "s/^/REACH|$l| /" /tmp/out
	echo "REACH-END $l rc=$rc"
}
if [ -n "$SELFTEST" ]; then
	# the kselftest uses its own masks: start it from the defaults
	echo 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff >/sys/bus/ap/apmask
	echo 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff >/sys/bus/ap/aqmask
	echo -2,-3 >/sys/bus/ap/apmask
	echo -6,-7 >/sys/bus/ap/aqmask
	for t in /reach/selftest/vfio_ap_*_test; do
		run "kselftest-${t##*/}" "$t"
	done
	echo 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff >/sys/bus/ap/aqmask
	echo -7 >/sys/bus/ap/aqmask
fi
# shellcheck disable=SC2086 # the case list is split on purpose
run "${PLANTED:-main}" /reach/standin_test $CASES
if [ -n "$GCOV" ]; then
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
	# debugfs gcov files show size 0: copy them with cat first
	mkdir -p /tmp/gcov
	cd /sys/kernel/debug/gcov && find . -name '*.gcda' | while read -r f; do
		mkdir -p "/tmp/gcov/${f%/*}"
		cat "$f" >"/tmp/gcov/$f"
	done
	cd /
	echo 1 >/proc/sys/kernel/printk	# no kernel lines inside the dump
	echo "REACH-GCOV-BEGIN"
	tar czf - -C /tmp/gcov . | base64
	echo "REACH-GCOV-END"
fi
echo "REACH-AFTER: $(timeout 5 cat /sys/bus/ap/apmask) $(timeout 5 cat /sys/bus/ap/aqmask)"
exit 0
EOS
} >"$tmp/test.sh"

vmrc=0
"$TOP/scripts/run-vm.sh" --kernel-build "$kbuild" --script "$tmp/test.sh" \
	"${adds[@]}" --timeout "$timeout" --log "$log" --quiet || vmrc=$?

X=${planted:--}
clean=$tmp/clean
tr -d '\r' <"$log" >"$clean"
# results: TAP lines inside each frame; a run cut short gives "HANG"
awk -v label="$label" '
	/^REACH-BEGIN / { run = $2; inrun = 1; next }
	/^REACH-END / { inrun = 0; next }
	inrun && index($0, "REACH|" run "| ") == 1 {
		l = substr($0, length("REACH|" run "| ") + 1)
		if (l ~ /^ok [0-9]+ /) { split(l, a, " "); printf "reach|%s|%s|%s|ok|\n", label, run, a[3] }
		else if (l ~ /^not ok [0-9]+ /) { split(l, a, " "); r = l; sub(/^[^#]*# ?/, "", r); if (r == l) r = ""; printf "reach|%s|%s|%s|not ok|%s\n", label, run, a[4], r }
		else if (l ~ /^# /) printf "reach-info|%s|%s|%s\n", label, run, substr(l, 3)
	}' "$clean"
pat='possible circular locking dependency|WARNING: |BUG: |INFO: task .* blocked for more than|KASAN|inconsistent lock state|suspicious RCU usage|Call Trace'
findings=$(grep -v -e '^REACH' "$clean" | grep -E "$pat" | sort | uniq -c | sort -rn | head -n 5 | sed 's/^ *[0-9]* //' | tr '\n' ';')
if [ -n "$findings" ]; then
	echo "reach|$label|$X|console|findings|$findings"
else
	echo "reach|$label|$X|console|clean|"
fi
circ=$(awk '/possible circular locking dependency/ { on = 1 } on && /(is trying to acquire lock|is already holding lock)/ { want = 1; next } on && want && /\)\{.*\}.*, at: / { sub(/^\[[ 0-9.]*\] */, ""); printf "%s;", $0; want = 0; if (++n >= 2) on = 0 }' "$clean")
[ -z "$circ" ] || echo "reach|$label|$X|lockdep|circular|$circ"
echo "reach|$label|$X|vm|exit $vmrc|$log"
if [ -n "$gcov" ]; then
	if grep -q '^REACH-GCOV-END' "$clean"; then
		sed -n '/^REACH-GCOV-BEGIN/,/^REACH-GCOV-END/p' "$clean" | sed '1d;$d' | base64 -d >"$gcov" 2>/dev/null &&
			echo "reach|$label|$X|gcov|saved|$gcov" || echo "reach|$label|$X|gcov|broken|"
	else
		echo "reach|$label|$X|gcov|missing|"
	fi
fi
[ "$vmrc" -eq 0 ]
