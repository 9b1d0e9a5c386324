#!/usr/bin/env bash
# debian-patches.sh [OUTDIR]: the series (patches/linux) as Debian kernel
# patches with DEP-3 headers, plus the Debian-only ABI patch
# (patches/debian/), laid out like Debian's linux source package:
#   OUTDIR/bugfix/s390x/NAME.patch   one per series patch, in order, NAME
#                                    from its subject
#   OUTDIR/debian/abi/NAME.patch     keeps the modversions CRCs (see there)
#   OUTDIR/series                    the lines to append to debian/patches/series
# OUTDIR defaults to $CACHE/debian-patches; it is recreated on every run, so
# nothing of a previous run is left. The repository is not touched.
# DEP-3 fields come from each patch: From/Date/Subject as git wrote them;
# Origin: vendor; the "Upstream:" paragraph of the message gives
# Applied-Upstream (the upstream commit(s) with the same change, which the
# patch does not copy) and Forwarded: not-needed, else Forwarded: no.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PDIR=$TOP/patches/linux
out=${1:-$CACHE/debian-patches}
case $out in /*) ;; *) out=$PWD/$out ;; esac
[ "$out" != / ] || die "debian-patches: refusing OUTDIR /"
# Only a directory this script made (marker file) or a new one is replaced.
if [ -e "$out" ] && [ ! -f "$out/.made-by-debian-patches" ]; then
	die "debian-patches: $out exists and was not made by this script; give another OUTDIR"
fi
tmp=$(mktemp -d "${out%/*}/.debian-patches.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bugfix/s390x" "$tmp/debian/abi"
: >"$tmp/.made-by-debian-patches"

# dep3 IN OUTDIR: rewrite one git format-patch file as a DEP-3 patch in
# OUTDIR, named after its subject; prints the file name
dep3() {
	python3 - "$1" "$2" <<'PY'
import re, sys
src, outdir = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
head, sep, rest = text.partition("\n\n")
if not sep:
    sys.exit(f"{src}: no header/body separator")
# unfold RFC 2822 header lines
fields = {}
for line in re.sub(r"\n[ \t]+", " ", head).splitlines()[1:]:
    k, _, v = line.partition(": ")
    fields[k] = v
subj = re.sub(r"^\[PATCH[^\]]*\]\s*", "", fields.get("Subject", ""))
body, sep, diff = rest.partition("\n---\n")
if not sep:
    sys.exit(f"{src}: no '---' before the diffstat")
up = re.search(r"^Upstream: (.*?)(?:\n\n|\nBackport notes:)", body, re.S | re.M)
hdr = [f"From: {fields.get('From', '')}", f"Date: {fields.get('Date', '')}",
       f"Subject: {subj}", "Origin: vendor, the vfio_ap in-use series for Linux 5.10 (patches/linux)"]
if up and re.match(r"[0-9a-f]{12}", up.group(1)):
    para = up.group(1)
    ids = re.findall(r"\b([0-9a-f]{12,40})\b", para)
    ver = re.search(r"\bv(\d+\.\d+)\b", para)
    hdr.append("Applied-Upstream: " + (ver.group(1) + ", " if ver else "") +
               ", ".join("commit:" + i for i in ids) +
               " (the same change, written differently upstream; see the backport notes)")
    hdr.append("Forwarded: not-needed")
else:
    hdr.append("Forwarded: no")
hdr.append("Last-Update: 2026-11-28")
name = re.sub(r"[^A-Za-z0-9_]+", "-", subj).strip("-") + ".patch"
dst = outdir + "/" + name
open(dst, "w", encoding="utf-8").write("\n".join(hdr) + "\n\n" + body.rstrip("\n") + "\n---\n" + diff)
print(name)
PY
}

n=0
while read -r p; do
	[ -f "$PDIR/$p" ] || die "debian-patches: patches/linux/series names $p, which does not exist"
	name=$(dep3 "$PDIR/$p" "$tmp/bugfix/s390x") || die "FAILED: stage 'debian-patches' ($p)"
	echo "bugfix/s390x/$name" >>"$tmp/series"
	n=$((n + 1))
done < <(grep -v -e '^#' -e '^[[:space:]]*$' "$PDIR/series")
for p in "$TOP"/patches/debian/*.patch; do
	[ -e "$p" ] || continue
	name=$(dep3 "$p" "$tmp/debian/abi") || die "FAILED: stage 'debian-patches' ($p)"
	echo "debian/abi/$name" >>"$tmp/series"
	n=$((n + 1))
done
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$tmp" "$out"
trap - EXIT
say "debian-patches: $n patches in $out (append $out/series to debian/patches/series)"
