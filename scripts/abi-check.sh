#!/usr/bin/env bash
# abi-check.sh: the modversions CRCs of every symbol that drivers/s390/crypto
# exports (the AP bus, built into vmlinux even with CONFIG_ZCRYPT=m, and the
# zcrypt/vfio_ap modules) for three trees, configured as the test kernel plus
# CONFIG_MODVERSIONS=y (configs/modversions.config), variant "abi"
# ($CACHE/v/abi/{src,build}), one after the other (incremental):
#   base        Linux 5.10.223
#   series      + patches/linux (struct ap_driver grows by in_use)
#   debian-abi  + patches/debian (Debian's __GENKSYMS__ ABI patch)
# Only drivers/s390/crypto is compiled (after modules_prepare): with
# CONFIG_MODVERSIONS each exporting object carries one absolute symbol
# __crc_NAME whose value is the CRC, which is what modpost copies into
# Module.symvers; the CRC depends only on that file's preprocessed types, so
# a whole kernel per tree is not needed. Prints the table (symbol, object,
# CRC per tree; '*' where it differs from base) and:
#   PASS/FAIL  with the ABI patch every export keeps its base CRC
#   PASS/FAIL  negative control: without it the series changes the CRC of
#              ap_driver_register (else this check could not see a change)
# The CRC list of a tree is cached by its git tree id in $CACHE/abi.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/workspace.sh" init >&2
SRC=$("$TOP/scripts/workspace.sh" path)
wt=$(vsrc abi)
worktree_at "$SRC" "$wt"
W=(git -C "$wt" -c user.name=rig -c user.email=rig@localhost)
symdir=$CACHE/abi
mkdir -p "$symdir"

out=$(vbuild abi)
M=(make -C "$wt" O="$out" ARCH=s390 "CROSS_COMPILE=$CROSS" -j"${JOBS:-3}")
command -v ccache >/dev/null && M+=(CC="ccache ${CROSS}gcc")
# crcs LABEL: configure (once), prepare, compile drivers/s390/crypto, and
# print "CRC<tab>symbol<tab>object" for every __crc_ symbol there
crcs() {
	local log frags=("$TOP/configs/vfio-ap.config" "$TOP/configs/debug.config" "$TOP/configs/modversions.config") o
	log=$(logfile "abi-$1")
	if [ ! -f "$out/.config" ]; then
		mkdir -p "$out"
		{ "${M[@]}" tinyconfig &&
			"$wt/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" &&
			"${M[@]}" olddefconfig; } >"$log" 2>&1 || die "FAILED: stage 'abi config', log: $log"
	fi
	grep -q '^CONFIG_MODVERSIONS=y' "$out/.config" || die "FAILED: stage 'abi' (CONFIG_MODVERSIONS is not set in $out/.config)"
	grep -q '^CONFIG_ZCRYPT=m' "$out/.config" || die "FAILED: stage 'abi' (CONFIG_ZCRYPT=m is not set in $out/.config)"
	"${M[@]}" modules_prepare >>"$log" 2>&1 || die "FAILED: stage 'abi $1' (modules_prepare), log: $log"
	"${M[@]}" KBUILD_MODULES=1 drivers/s390/crypto/ >>"$log" 2>&1 || die "FAILED: stage 'abi $1' (build of drivers/s390/crypto), log: $log"
	for o in "$out"/drivers/s390/crypto/*.o; do
		case $o in */.tmp_*) continue ;; esac
		"${CROSS}nm" "$o" 2>/dev/null | awk -v o="${o##*/}" '$3 ~ /^__crc_/ { printf "0x%s\t%s\t%s\n", substr($1, length($1) - 7), substr($3, 7), o }'
	done | sort -t $'\t' -k2,2 -u
}

# symvers LABEL REV PATCH...: the CRC list of REV with PATCHes applied
symvers() {
	local label=$1 rev=$2 tree log
	shift 2
	[ "$("${W[@]}" rev-parse HEAD)" = "$("${W[@]}" rev-parse "$rev^{commit}")" ] ||
		"${W[@]}" checkout -q --detach -f "$rev"
	"${W[@]}" reset -q --hard "$rev"
	am_onto "$wt" "abi $label" "$(logfile "am-abi-$label")" "$@"
	tree=$("${W[@]}" rev-parse 'HEAD^{tree}')
	if [ ! -s "$symdir/$tree.symvers" ]; then
		crcs "$label" >"$symdir/$tree.symvers.part"
		[ -s "$symdir/$tree.symvers.part" ] || die "FAILED: stage 'abi $label' (no __crc_ symbol in drivers/s390/crypto)"
		mv "$symdir/$tree.symvers.part" "$symdir/$tree.symvers"
	fi
	cp "$symdir/$tree.symvers" "$symdir/$label.symvers"
}

debian=("$TOP"/patches/debian/*.patch)
[ -e "${debian[0]}" ] || die "FAILED: stage 'abi' (no patch in patches/debian)"
symvers base base
symvers series series
symvers debian-abi series "${debian[@]}"

# Every symbol the sources of drivers/s390/crypto export must have a CRC.
grep -ho 'EXPORT_SYMBOL[A-Z_]*([A-Za-z0-9_]*)' "$wt"/drivers/s390/crypto/*.c |
	sed 's/.*(\(.*\))/\1/' | sort -u >"$symdir/exports"
python3 - "$symdir" >"$symdir/table" 2>"$symdir/unbuilt" <<'PY'
import sys
d = sys.argv[1]
wanted = set(open(f"{d}/exports").read().split())
def load(label):
    out = {}
    for line in open(f"{d}/{label}.symvers"):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 3 and f[1] in wanted:
            out[f[1]] = (f[0], f[2])
    return out
trees = [load(t) for t in ("base", "series", "debian-abi")]
built = set().union(*trees)
# exported by a file this configuration does not build (pkey_api.c)
unbuilt = sorted(wanted - built)
if unbuilt:
    print("# not built in this configuration: " + " ".join(unbuilt), file=sys.stderr)
for sym in sorted(built):
    mod = next(t[sym][1] for t in trees if sym in t)
    print("\t".join([sym, mod] + [t[sym][0] if sym in t else "-" for t in trees]))
PY
n=$(wc -l <"$symdir/table")
[ ! -s "$symdir/unbuilt" ] || say "abi: $(sed 's/^# //' "$symdir/unbuilt")"
say "abi: modversions CRCs of the $n exports of drivers/s390/crypto ('*' = differs from base)"
printf '%-42s %-16s %-12s %-13s %-13s\n' symbol object base series series+abi-patch
awk -F'\t' '{ s = ($4 == $3) ? " " : "*"; d = ($5 == $3) ? " " : "*";
	printf "%-42s %-16s %-12s %-12s%s %-12s%s\n", $1, $2, $3, $4, s, $5, d }' "$symdir/table"
changed=$(awk -F'\t' '$4 != $3' "$symdir/table" | wc -l)
abichanged=$(awk -F'\t' '$5 != $3 { print $1 }' "$symdir/table")
nocrc=$(awk -F'\t' '$3 == "-" || $4 == "-" || $5 == "-" { print $1 }' "$symdir/table")
rc=0
if [ -n "$nocrc" ]; then
	say "FAIL: abi: exports without a CRC in at least one tree (is CONFIG_MODVERSIONS on?): $(echo $nocrc)"
	rc=1
fi
if [ "$n" -gt 0 ] && [ -z "$abichanged" ]; then
	say "PASS: abi: with Debian's ABI patch all $n exports of drivers/s390/crypto keep their 5.10.223 CRCs"
else
	say "FAIL: abi: with Debian's ABI patch these exports change their CRC: $(echo $abichanged)"
	rc=1
fi
if [ "$(awk -F'\t' '$1 == "ap_driver_register" && $4 != $3' "$symdir/table" | wc -l)" -eq 1 ]; then
	say "PASS: abi: negative control: without the ABI patch the series changes $changed of $n CRCs, ap_driver_register among them (struct ap_driver grows)"
else
	say "FAIL: abi: negative control: the series alone does not change the CRC of ap_driver_register (the check cannot see an ABI change)"
	rc=1
fi
exit "$rc"
