#!/usr/bin/env bash
# order: 60
# debian stage: the series as Debian ships kernel patches.
# scripts/debian-patches.sh writes it with DEP-3 headers; here they are applied with
# quilt (--fuzz=0, as Debian's kernel team builds) on top of Debian's REAL
# source package linux 5.10.223-1 (bullseye deb-src, sha256 pinned in
# scripts/sources.sha256), after that package's own debian/patches stack.
#   PASS per patch: it applies after Debian's stack and our earlier patches
#   negative control: the series' patches in reverse order must not apply
# The unpacked source with Debian's stack applied is cached in
# $CACHE/debian-src (made once, ~1 GB); our patches are popped again after
# the check, so the cached tree stays at Debian's top patch.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
S=$TOP/scripts

fail() { say "FAIL: debian: $*"; exit 1; }
DL=$CACHE/dl/linux-deb
dsc=$DL/linux_$KPKG_VERSION.dsc
"$S/fetch.sh" debian-src >/dev/null || fail "fetching Debian's linux $KPKG_VERSION source failed, log: $(logfile fetch-debian-src)"
tree=$CACHE/debian-src/linux-$KVER
stamp=$tree/.rig-debian-stack
want=$(sha256sum "$dsc" | cut -d' ' -f1)
log=$(logfile debian-quilt)
: >"$log"
Q=(env QUILT_PATCHES=debian/patches QUILT_PC=.pc quilt --quiltrc=-)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	rm -rf "$tree" "$tree.part"
	mkdir -p "$CACHE/debian-src"
	say "debian: unpacking $(basename "$dsc") (without its patches) into $tree"
	dpkg-source --skip-patches -x "$dsc" "$tree.part" >>"$log" 2>&1 ||
		fail "dpkg-source -x $(basename "$dsc") failed, log: $log"
	(cd "$tree.part" && "${Q[@]}" push -a -q --fuzz=0) >>"$log" 2>&1 ||
		fail "Debian's own patch stack does not apply on its orig tarball (?), log: $log"
	mv "$tree.part" "$tree"
	echo "$want" >"$stamp"
fi
cd "$tree" || fail "no tree at $tree"
ntop=$(grep -cv -e '^#' -e '^[[:space:]]*$' debian/patches/series)
top=$("${Q[@]}" top 2>/dev/null)
[ "$("${Q[@]}" unapplied 2>/dev/null | wc -l)" -eq 0 ] ||
	fail "the cached tree is not at Debian's top patch (remove $tree to start afresh)"
say "PASS: debian: Debian's linux $KPKG_VERSION source with its own stack applied ($ntop patches, top: $top)"

out=$CACHE/debian-patches
"$S/debian-patches.sh" "$out" >>"$log" 2>&1 || fail "scripts/debian-patches.sh failed, log: $log"
mapfile -t ours < <(cat "$out/series")
[ "${#ours[@]}" -gt 0 ] || fail "scripts/debian-patches.sh wrote no patch"
for p in "${ours[@]}"; do
	head -n 12 "$out/$p" | matches '^Forwarded: ' || fail "$p has no DEP-3 Forwarded: field"
	head -n 12 "$out/$p" | matches '^Subject: ' || fail "$p has no DEP-3 Subject: field"
done
say "PASS: debian: make debian-patches wrote ${#ours[@]} patches with DEP-3 headers (From, Subject, Origin, Forwarded[, Applied-Upstream])"

cp debian/patches/series "$CACHE/debian-src/series.debian"
restore() { # pop our patches, restore Debian's series
	while [ "$("${Q[@]}" top 2>/dev/null)" != "$top" ]; do
		"${Q[@]}" pop -q >>"$log" 2>&1 || break
	done
	cp "$CACHE/debian-src/series.debian" debian/patches/series
}
cleanup() { # ... and drop our files
	restore
	for p in "${ours[@]}"; do
		rm -f "debian/patches/$p"
		rmdir -p --ignore-fail-on-non-empty "debian/patches/$(dirname "$p")" 2>/dev/null || true
	done
}
trap cleanup EXIT
for p in "${ours[@]}"; do
	mkdir -p "debian/patches/$(dirname "$p")"
	cp "$out/$p" "debian/patches/$p"
done

rc=0
# Negative control first: the series' own patches (bugfix/) in reverse
# order must not apply (a later patch needs the context of an earlier one).
{ cat "$CACHE/debian-src/series.debian"; printf '%s\n' "${ours[@]}" | grep '^bugfix/' | tac; } >debian/patches/series
if "${Q[@]}" push -a -q --fuzz=0 >>"$log" 2>&1; then
	say "FAIL: debian: negative control: the patches applied in reverse order (the check cannot see a wrong order), log: $log"
	rc=1
else
	say "PASS: debian: negative control: in reverse order quilt stops at $("${Q[@]}" next 2>/dev/null)"
fi
restore

{ cat "$CACHE/debian-src/series.debian"; printf '%s\n' "${ours[@]}"; } >debian/patches/series
for p in "${ours[@]}"; do
	if "${Q[@]}" push -q --fuzz=0 >>"$log" 2>&1; then
		say "PASS: debian: quilt push --fuzz=0 $p on linux $KPKG_VERSION after Debian's $ntop patches"
	else
		say "FAIL: debian: $p does not apply with quilt on linux $KPKG_VERSION, log: $log"
		rc=1
		break
	fi
done
exit "$rc"
