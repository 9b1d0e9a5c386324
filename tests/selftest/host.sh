#!/usr/bin/env bash
# tests/selftest/host.sh: run the vfio_ap kselftest (tools/testing/selftests/vfio_ap,
# patch 6 of patches/linux) inside the emulated s390x machine and judge the result.
#
#   --label NAME        kernel label for the report rows and PASS/FAIL lines
#   --kernel-build DIR  kernel build dir (bzImage + modules), required
#   --selftest BIN      static s390x vfio_ap_test binary, required; build it:
#                         make -C tools/testing/selftests/vfio_ap \
#                           CC=s390x-linux-gnu-gcc LDFLAGS=-static
#   --expect MODE       pass (default): every case ok, no console findings
#                       fail-inuse: negative control for a kernel without
#                         in-use protection: the in-use cases (apmask_busy,
#                         aqmask_busy, stress) must FAIL, the others pass
#                       lockdep: wrong lock order variant: a "possible
#                         circular locking dependency" report must appear
#   --apmask STR        written to /sys/bus/ap/apmask in the VM before the
#   --aqmask STR        test (any syntax the bus accepts). Default: give
#                       vfio_ap the highest card and the highest domain
#                       (the two highest of each with >= 3), e.g. "-2,-3"
#   --modules "M..."    modules loaded in the VM first (default: vfio_ap
#                       zcrypt_cex4, the default driver the masks hand
#                       queues back to)
#   --env VAR=VAL       environment for the test, e.g. VFIO_AP_STRESS_SECS=20
#                       (repeatable)
#   --machine OPTS      passed to run-vm.sh --machine (AP configuration)
#   --qemu-args "A B"   extra QEMU arguments (split on blanks), or
#   --qemu-arg ARG      one extra QEMU argument (repeatable)
#   --append ARGS       extra kernel command line
#   --timeout SEC       VM timeout (default 900)
#   --log FILE          console log (default $LOGDIR/check-vm-NAME.log)
#   --results FILE      also write the rows "kernel|case|result|detail" here
#   --allow-skip        a skipped case does not fail --expect pass
# Prints rows "kernel | case | result | detail" (detail: stress counts,
# first failure message), then one "PASS: NAME: ..." or "FAIL: NAME: ..."
# line per check. Exit status: 0 if no FAIL line, 1 otherwise.
# --parse-only LOG judges an existing console log (no VM) with the same
# rules, for re-evaluation and for testing this script.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

label= kbuild= selftest= expect=pass apmask= aqmask= machine= append=
timeout=900 log= results= allow_skip= parse_only= modules="vfio_ap zcrypt_cex4"
envs=() qargs=()
while [ $# -gt 0 ]; do
	case $1 in
	--label) label=$2; shift ;;
	--kernel-build) kbuild=$2; shift ;;
	--selftest) selftest=$2; shift ;;
	--expect) expect=$2; shift ;;
	--apmask) apmask=$2; shift ;;
	--aqmask) aqmask=$2; shift ;;
	--env) envs+=("$2"); shift ;;
	--modules) modules=$2; shift ;;
	--machine) machine=$2; shift ;;
	--qemu-args) read -r -a _q <<<"$2"; qargs+=("${_q[@]}"); shift ;;
	--qemu-arg) qargs+=("$2"); shift ;;
	--append) append=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--results) results=$2; shift ;;
	--allow-skip) allow_skip=1 ;;
	--parse-only) parse_only=$2; shift ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "check-vm: unknown option '$1' (see --help)" ;;
	esac
	shift
done
case $expect in pass | fail-inuse | lockdep) ;; *) die "check-vm: --expect pass|fail-inuse|lockdep" ;; esac
[ -n "$label" ] || label=$(basename "${kbuild:-${parse_only:-vm}}")
CASES=(apmask_busy aqmask_busy assign_reserved assign_shared mask_no_conflict mask_syntax bad_input stress)
INUSE=" apmask_busy aqmask_busy stress "

vmrc=0
if [ -z "$parse_only" ]; then
	[ -n "$kbuild" ] || die "check-vm: --kernel-build DIR is required"
	[ -f "$selftest" ] || die "check-vm: --selftest BIN is required (static s390x build)"
	file -L "$selftest" 2>/dev/null | grep -q 'S/390.*statically linked' ||
		say "check-vm: warning: $selftest does not look like a static s390x binary"
	log=${log:-$LOGDIR/check-vm-$label.log}
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	{
		echo "APMASK='${apmask//\'/}'"
		echo "AQMASK='${aqmask//\'/}'"
		echo "MODULES='${modules//\'/}'"
		for e in "${envs[@]}"; do
			case $e in [A-Za-z_]*=*) printf 'export %s=%q\n' "${e%%=*}" "${e#*=}" ;; esac
		done
		cat "$TOP/tests/selftest/vm.sh"
	} >"$tmp/test.sh"
	ma=()
	[ -n "$machine" ] && ma+=(--machine "$machine")
	[ -n "$append" ] && ma+=(--append "$append")
	for q in "${qargs[@]}"; do ma+=(--qemu-arg "$q"); done
	"$TOP/scripts/run-vm.sh" --kernel-build "$kbuild" --script "$tmp/test.sh" \
		--add "$selftest:/vfio_ap_test" --timeout "$timeout" --log "$log" --quiet \
		"${ma[@]}" || vmrc=$?
else
	log=$parse_only
	[ -f "$log" ] || die "check-vm: no log $log"
fi

# ---------------------------------------------------------------------------
# Parse. The framed copy (VFIOAP-TAP-BEGIN/END) is clean; without it (VM
# timeout, crash) the live "VFIOAP| " lines are used.
clean=$(mktemp)
[ -f "$log" ] && tr -d '\r' <"$log" >"$clean"
tap=$(mktemp)
if grep -q '^VFIOAP-TAP-END' "$clean"; then
	sed -n '/^VFIOAP-TAP-BEGIN/,/^VFIOAP-TAP-END/p' "$clean" | sed '1d;$d' >"$tap"
	complete=1
else
	sed -n 's/^.*VFIOAP| //p' "$clean" >"$tap"
	complete=
fi
rows=$(mktemp)
awk -v label="$label" -v cases="${CASES[*]}" '
	function setres(name, r, d) { if (!(name in res)) order[n++] = name; res[name] = r; if (d != "") det[name] = d }
	/^# +RUN +vfio_ap\./ { cur = $3; sub(/^vfio_ap\./, "", cur); sub(/ .*/, "", cur); running = cur; next }
	/^1\.\.0 # SKIP/ { allskip = $0; sub(/^1\.\.0 # SKIP */, "", allskip); next }
	/^# stress: / { s = $0; sub(/^# stress: /, "", s); if (s ~ /^(apmask|aqmask|assign_adapter|unassign_adapter|assign_domain|unassign_domain|assign_control_domain|unassign_control_domain|checks)/) stress = stress (stress == "" ? "" : "; ") s; else if (s ~ /DEADLOCK/) dl = s; next }
	/^# .*:[0-9]+:[a-z_]+:/ { m = $0; sub(/^# [^:]*:[0-9]+:/, "", m); nm = m; sub(/:.*/, "", nm); sub(/^[a-z_]+:/, "", m)
		if (m ~ /^Expected /) { if (!(nm in firstexp)) firstexp[nm] = m }
		else if (m ~ /got |violat|unexpected|DEADLOCK|changed|not restored|stuck|failed|cannot/) { if (!(nm in firstmsg)) firstmsg[nm] = m }
		next }
	/^ok [0-9]+ # SKIP/ { r = $0; sub(/^ok [0-9]+ # SKIP */, "", r); setres(running, "SKIP", r); running = ""; next }
	/^ok [0-9]+ vfio_ap\./ { nm = $3; sub(/^vfio_ap\./, "", nm); setres(nm, "PASS", ""); running = ""; next }
	/^not ok [0-9]+ vfio_ap\./ { nm = $4; sub(/^vfio_ap\./, "", nm); setres(nm, "FAIL", ""); running = ""; next }
	END {
		split(cases, cl, " ")
		for (i = 1; i in cl; i++) {
			c = cl[i]
			if (allskip != "") { r = "SKIP"; d = allskip }
			else if (c in res) { r = res[c]; d = det[c] }
			else if (c == running) { r = "HANG"; d = "no result (VM timeout or crash during this case)" }
			else { r = "NOTRUN"; d = "" }
			if (r == "FAIL" && (c in firstmsg)) d = firstmsg[c]
			else if (r == "FAIL" && (c in firstexp)) d = firstexp[c]
			if (c == "stress") { if (dl != "") d = dl; if (stress != "") d = (d == "" ? "" : d " | ") stress }
			printf "%s|%s|%s|%s\n", label, c, r, d
		}
		for (j = 0; j < n; j++) { c = order[j]; known = 0
			for (i = 1; i in cl; i++) if (cl[i] == c) known = 1
			if (!known) printf "%s|%s|%s|%s\n", label, c, res[c], det[c] }
	}' "$tap" >"$rows"
rc_line=$(sed -n 's/^VFIOAP-RC: //p' "$tap" | tail -n 1)

# Console findings: kernel lines only (not the test's own output).
pat='possible circular locking dependency|WARNING: |BUG: |INFO: task .* blocked for more than|KASAN|inconsistent lock state|suspicious RCU usage|Call Trace'
findings=$(grep -v -e '^VFIOAP' -e '^# ' "$clean" | sed '/^VFIOAP-TAP-BEGIN/,/^VFIOAP-TAP-END/d' | grep -E "$pat" | sort | uniq -c | sort -rn | head -n 8)
circular=$(grep -c 'possible circular locking dependency' "$clean")
# The lock line follows its header, but user-space output on the same
# console may be interleaved: take the next line that looks like a lock.
circ_locks=$(awk '/possible circular locking dependency/ { on = 1; n = 0 } on && /(is trying to acquire lock|is already holding lock)/ { want = 1; next } on && want && /\)\{.*\}.*, at: / { print; want = 0; n++; if (n >= 2) on = 0 }' "$clean" |
	sed 's/^\[[ 0-9.]*\] *//' | tr '\n' ';' | sed 's/;$//')

# ---------------------------------------------------------------------------
# Report.
printf '%s\n' "kernel | case | result | detail"
while IFS='|' read -r k c r d; do
	printf '%s | %s | %s | %s\n' "$k" "$c" "$r" "$d"
done <"$rows"
[ -n "$results" ] && cp "$rows" "$results"
[ -n "$findings" ] && { say "console findings ($log):"; printf '%s\n' "$findings" | sed 's/^/    /'; }

nfail=0
ok() { say "PASS: $label: $*"; }
ko() { say "FAIL: $label: $*"; nfail=$((nfail + 1)); }
vmstate="VM exit $vmrc"
case $vmrc in 124) vmstate="VM timeout after $timeout s" ;; 125) vmstate="VM ended without exit code (crash/panic)" ;; esac

result_of() { awk -F'|' -v c="$1" '$2 == c { print $3; exit }' "$rows"; }
detail_of() { awk -F'|' -v c="$1" '$2 == c { print $4; exit }' "$rows"; }

if ! grep -q '^TAP version' "$tap" && [ "$expect" != lockdep ]; then
	# one infrastructure failure, not one per case
	ko "the selftest did not run ($vmstate, log $log): $(grep -E '^(VFIOAP-WARN|VFIOAP-MOD\|)|qemu-system|Kernel panic' "$clean" | head -n 3 | tr '\n' ';')"
	rm -f "$clean" "$tap" "$rows"
	exit 1
fi
allskip=$(sed -n 's/^1\.\.0 # SKIP *//p' "$tap" | head -n 1)
if [ -n "$allskip" ] && [ "$expect" != lockdep ]; then
	ko "the selftest skipped every case: $allskip"
	rm -f "$clean" "$tap" "$rows"
	exit 1
fi
case $expect in
pass | fail-inuse)
	if [ -z "$parse_only" ] && [ "$vmrc" -ne 0 ]; then ko "VM run failed: $vmstate (log $log)"; fi
	[ -n "$complete" ] || ko "selftest output incomplete ($vmstate, log $log)"
	for c in "${CASES[@]}"; do
		r=$(result_of "$c")
		d=$(detail_of "$c")
		if [ "$expect" = fail-inuse ] && [[ $INUSE == *" $c "* ]]; then
			if [ "$r" = FAIL ]; then
				ok "$c fails as expected without in-use protection${d:+ ($d)}"
			else
				ko "$c: expected FAIL on a kernel without in-use protection, got $r${d:+ ($d)}"
			fi
			continue
		fi
		case $r in
		PASS) ok "$c" ;;
		SKIP) if [ -n "$allow_skip" ]; then ok "$c skipped (allowed): $d"; else ko "$c skipped: $d"; fi ;;
		*) ko "$c: $r${d:+ ($d)}" ;;
		esac
	done
	if [ -n "$findings" ]; then
		ko "console shows kernel reports: $(printf '%s' "$findings" | head -n 3 | sed 's/^ *[0-9]* //' | tr '\n' ';')"
	else
		ok "no lockdep/WARNING/BUG/hung task/KASAN reports on the console"
	fi
	if [ "$expect" = pass ] && [ -n "$complete" ]; then
		if [ "$rc_line" = 0 ]; then ok "selftest exit code 0"; else ko "selftest exit code ${rc_line:-none}"; fi
	fi
	;;
lockdep)
	if [ "$circular" -gt 0 ]; then
		ok "lockdep reported a circular locking dependency ($circular report(s)${circ_locks:+: $circ_locks})"
		# (no "printf | grep -q" here: with pipefail, grep's early exit
		# can make the pipeline fail through SIGPIPE)
		if [[ $circ_locks == *ap_perms_mutex* && $circ_locks == *matrix_dev-\>lock* ]]; then
			ok "the report names ap_perms_mutex and matrix_dev->lock"
		else
			ko "the circular dependency report does not name ap_perms_mutex and matrix_dev->lock (${circ_locks:-no lock lines})"
		fi
	else
		ko "no 'possible circular locking dependency' report on the console ($vmstate, log $log)"
	fi
	# not a check (timing dependent): did the inversion actually deadlock?
	d=$(detail_of stress)
	case $d in *DEADLOCK*) say "note: $label: the stress case hit the deadlock and failed instead of hanging (${d%% |*})" ;; esac
	;;
esac
rm -f "$clean" "$tap" "$rows"
[ "$nfail" -eq 0 ]
