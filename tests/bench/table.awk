# table.awk: the make bench table from the rows tests/bench/bench.sh collected
# ("LABEL ROUND BENCH-...: ..."). Variables: labels (kernels, in column
# order), sizes (comma separated), cap (the series' cap of refusal lines;
# empty: read from its "... and N more" line). Prints Markdown, then
# PASS:/FAIL: lines for the targets.
function fld(s, key,   m) { # value of key=... in an apwrite row
	if (match(s, "(^| )" key "=[^ ]*")) { m = substr(s, RSTART, RLENGTH); sub(/^ /, "", m); sub(/^[^=]*=/, "", m); return m }
	return ""
}
function num(x) { return x + 0 }
function fmt(x) { return x >= 1000 ? sprintf("%.0f", x) : x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }
function cell(k, n, c,   key) {
	key = k SUBSEP n SUBSEP c
	if (!(key in nr)) return "-"
	return fmt(med[key] / nr[key]) " [" fmt(p10[key]) "–" fmt(p90[key]) "]"
}
function ratio_head(   i) { # header of a table with a column per kernel, then one per ratio to base
	printf "| mdevs | write |"; for (i = 1; i <= nk; i++) printf " %s |", K[i]
	for (i = 1; i <= nk; i++) if (K[i] != "base") printf " %s/base |", K[i]
	print ""
	printf "|---|---|"; for (i = 1; i <= nk; i++) printf "---|"
	for (i = 1; i <= nk; i++) if (K[i] != "base") printf "---|"
	print ""
}
BEGIN {
	nk = split(labels, K, " ")
	ns = split(sizes, S, ",")
	nc = split("apmask-accepted apmask-refused aqmask-accepted aqmask-refused", C, " ")
}
$3 == "BENCH-ROW:" {
	k = $1; n = $4; c = $5; key = k SUBSEP n SUBSEP c
	line = $0
	nr[key]++
	med[key] += num(fld(line, "med"))
	if (!(key in p10) || num(fld(line, "p10")) < p10[key]) p10[key] = num(fld(line, "p10"))
	if (!(key in p90) || num(fld(line, "p90")) > p90[key]) p90[key] = num(fld(line, "p90"))
	reps[key] += num(fld(line, "n"))
	if (!(key in mn) || num(fld(line, "min")) < mn[key]) mn[key] = num(fld(line, "min"))
	res[key] = fld(line, "res")
	resns[k] = fld(line, "res_ns"); gran[k] = fld(line, "gran_ns")
	next
}
$3 == "BENCH-LOG:" && $2 == "1" { logn[$1, $4, $5] = $6; logres[$1, $4, $5] = $7; logall[$1, $4, $5] = $8; next }
$3 == "BENCH-LOGLINE:" && $2 == "1" {
	t = $0; sub(/^[^ ]+ [^ ]+ BENCH-LOGLINE: [^ ]+ [^ ]+ /, "", t); sub(/^\[[ 0-9.]*\] */, "", t)
	if (match(t, /and [0-9]+ more/)) { m = substr(t, RSTART + 4, RLENGTH - 9); more[$1, $4, $5] = m + 0 }
	if (!(($1, $4, $5) in first)) first[$1, $4, $5] = t
	next
}
$3 == "BENCH-HOST:" { host[$1] = host[$1] (host[$1] == "" ? "" : "; ") "round " $2 ": " $5 " -> " $7 " " $8 " " $9; next }
$3 == "BENCH-LOCKSTAT:" {
	name = $4; sub(/:$/, "", name)
	if (!(name in seenl)) { seenl[name] = 1; locks[nl++] = name }
	contn[$1, name] = $6; wmax[$1, name] = $8; acq[$1, name] = $12
	hmax[$1, name] = $14; havg[$1, name] = $16
	next
}
$3 == "BENCH-STRESS:" && /checks=/ { t = $0; sub(/^.*stress: /, "", t); stress[$1] = t; next }
END {
	print "### P3: latency of one mask write (µs: median [p10–p90] of the write(2), in the VM)"
	print ""
	ratio_head()
	for (j = 1; j <= ns; j++) for (c = 1; c <= nc; c++) {
		n = S[j]; cc = C[c]
		printf "| %s | %s |", n, cc
		for (i = 1; i <= nk; i++) {
			key = K[i] SUBSEP n SUBSEP cc
			v = cell(K[i], n, cc)
			if (cc ~ /refused/ && (key in res) && res[key] !~ /^EBUSY:/)
				v = "n/a (accepted: " res[key] "; took " v ")"
			printf " %s |", v
		}
		for (i = 1; i <= nk; i++) {
			if (K[i] == "base") continue
			kb = "base" SUBSEP n SUBSEP cc; ki = K[i] SUBSEP n SUBSEP cc
			if (cc ~ /accepted/ && (kb in nr) && (ki in nr) && med[kb] > 0) {
				ratio[K[i], n, cc] = (med[ki] / nr[ki]) / (med[kb] / nr[kb])
				printf " %.2f |", ratio[K[i], n, cc]
			} else printf " — |"
		}
		print ""
	}
	print ""
	# the floor: the fastest write of all rounds, the write's own cost with
	# the least interference from the rest of the emulated machine
	print "Floor of the accepted writes (µs: the fastest of all timed writes, every round):"
	print ""
	ratio_head()
	for (j = 1; j <= ns; j++) for (c = 1; c <= nc; c += 2) {
		n = S[j]; cc = C[c]
		printf "| %s | %s |", n, cc
		for (i = 1; i <= nk; i++) {
			key = K[i] SUBSEP n SUBSEP cc
			printf " %s |", (key in mn) ? fmt(mn[key]) : "-"
		}
		for (i = 1; i <= nk; i++) {
			if (K[i] == "base") continue
			kb = "base" SUBSEP n SUBSEP cc; ki = K[i] SUBSEP n SUBSEP cc
			if ((kb in mn) && (ki in mn) && mn[kb] > 0) printf " %.2f |", mn[ki] / mn[kb]
			else printf " — |"
		}
		print ""
	}
	print ""
	printf "Repetitions per cell (timed, after 2 untimed warm-ups; none for a write that moves queues):"
	for (i = 1; i <= nk; i++) {
		key = K[i] SUBSEP S[ns] SUBSEP "apmask-accepted"; key2 = K[i] SUBSEP S[ns] SUBSEP "apmask-refused"
		printf " %s %s (refused: %s)%s", K[i], reps[key], reps[key2], i < nk ? ";" : ".\n"
	}
	printf "Clock: CLOCK_MONOTONIC; smallest step seen in back-to-back reads (clock_getres)"
	for (i = 1; i <= nk; i++) printf " %s %s ns (%s ns)%s", K[i], gran[K[i]], resns[K[i]], i < nk ? "," : ".\n"
	printf "Host load (1-min average, VM start -> end, VM wall time):"
	for (i = 1; i <= nk; i++) printf " %s: %s%s", K[i], host[K[i]], i < nk ? ";" : ".\n"
	print ""

	print "### P4: kernel log lines of ONE refused write (every mdev blocks it; lines of the AP bus/vfio_ap, other kernel messages in the same window apart)"
	print ""
	printf "| mdevs | write |"; for (i = 1; i <= nk; i++) printf " %s |", K[i]; print ""
	printf "|---|---|"; for (i = 1; i <= nk; i++) printf "---|"; print ""
	for (j = 1; j <= ns; j++) for (m = 1; m <= 2; m++) {
		n = S[j]; mk = m == 1 ? "apmask" : "aqmask"
		printf "| %s | %s |", n, mk
		for (i = 1; i <= nk; i++) {
			key = K[i] SUBSEP n SUBSEP mk
			if (!(key in logn)) { printf " - |"; continue }
			other = (logall[key] != "" && logall[key] != logn[key]) ? sprintf(" (+%d other)", logall[key] - logn[key]) : ""
			if (logres[key] !~ /^EBUSY/) printf " n/a (accepted, %s lines%s) |", logn[key], other
			else printf " %s%s |", logn[key], other
		}
		print ""
	}
	# the series' cap: from its "... and N more" line (blocking mdevs = size)
	if (cap == "") for (j = ns; j >= 1 && cap == ""; j--) for (m = 1; m <= 2; m++) {
		key = "series" SUBSEP S[j] SUBSEP (m == 1 ? "apmask" : "aqmask")
		if (key in more) { cap = S[j] - more[key]; break }
	}
	print ""
	for (i = 1; i <= nk; i++) {
		key = K[i] SUBSEP S[ns] SUBSEP "apmask"
		if (key in first) printf "First line on %s: `%s`\n", K[i], first[key]
	}
	print ""

	print "### P5: lock_stat during the selftest's stress case (µs)"
	print ""
	printf "| lock | metric |"; for (i = 1; i <= nk; i++) printf " %s |", K[i]; print ""
	printf "|---|---|"; for (i = 1; i <= nk; i++) printf "---|"; print ""
	for (l = 0; l < nl; l++) {
		name = locks[l]
		split("hold max|hold avg|acquisitions|contentions|wait max", MT, "|")
		for (t = 1; t <= 5; t++) {
			printf "| %s | %s |", name, MT[t]
			for (i = 1; i <= nk; i++) {
				key = K[i] SUBSEP name
				if (!(key in acq)) { printf " - |"; continue }
				v = t == 1 ? hmax[key] : t == 2 ? havg[key] : t == 3 ? acq[key] : t == 4 ? contn[key] : wmax[key]
				printf " %s |", v
			}
			print ""
		}
	}
	print ""
	for (i = 1; i <= nk; i++) if (K[i] in stress) printf "Stress on %s: %s\n", K[i], stress[K[i]]
	print ""

	# targets
	big = S[ns]
	for (m = 1; m <= 2; m++) {
		cc = (m == 1 ? "apmask" : "aqmask") "-accepted"
		if (("series", big, cc) in ratio) {
			r = ratio["series", big, cc]
			printf "%s: bench: accepted %s write at %s mdevs: series/base %.2f (target <= 1.2)\n",
				r <= 1.2 ? "PASS" : "FAIL", substr(cc, 1, 6), big, r
		} else printf "FAIL: bench: accepted %s write at %s mdevs: no series/base ratio\n", substr(cc, 1, 6), big
	}
	for (j = 1; j <= ns; j++) for (m = 1; m <= 2; m++) {
		mk = m == 1 ? "apmask" : "aqmask"; key = "series" SUBSEP S[j] SUBSEP mk
		if (!(key in logn)) { printf "FAIL: bench: no log count for a refused %s write at %s mdevs on series\n", mk, S[j]; continue }
		if (logres[key] !~ /^EBUSY/) { printf "FAIL: bench: the %s write at %s mdevs was not refused on series (%s)\n", mk, S[j], logres[key]; continue }
		if (cap == "") { printf "FAIL: bench: refused %s write at %s mdevs: %s log lines, no cap (no \"and N more\" line)\n", mk, S[j], logn[key]; continue }
		printf "%s: bench: refused %s write at %s mdevs: %s log lines (target <= cap %d + 1)\n",
			logn[key] <= cap + 1 ? "PASS" : "FAIL", mk, S[j], logn[key], cap
	}
}
