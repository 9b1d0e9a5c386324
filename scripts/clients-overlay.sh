#!/usr/bin/env bash
# clients-overlay.sh: the real user-space clients for the VM, as an overlay.
# Fetches Debian bookworm's s390x mdevctl 1.2.0-3+b1 and s390-tools 2.16.0-2
# (pinned in scripts/sources.sha256, via fetch.sh), unpacks them with
# dpkg-deb -x, keeps mdevctl/lsmdev and lszcrypt/chzcrypt and every shared
# library they need (readelf -d NEEDED, resolved recursively from libc6 and
# libgcc-s1), and adds what mdevctl wants at run time. Measured in the VM:
#   - /etc/mdevctl.d and /etc/mdevctl.d/scripts.d/callouts must exist, else
#     every command (define, start, stop, list...) fails with 'Required
#     directory "..." doesn't exist'; they come from the package (empty:
#     no callouts, no notifiers). Definitions land in /etc/mdevctl.d/matrix/.
#   - mdevctl 1.2.0 never runs udevadm; udev only matters for its rule
#     60-mdevctl.rules (auto-start of "start": "auto" devices when the
#     parent appears), which the scenario does not use ("start": "manual").
#     /usr/sbin/udevadm here is a tripwire stub: it logs its arguments to
#     /run/udevadm.log and succeeds; tests/scenario/vm.sh reports any call.
#   - lszcrypt needs /sys/bus/ap only (no config files).
# Result: $CACHE/overlay/clients/{usr,lib,sbin,etc}. Add it to a VM with
#   $(scripts/clients-overlay.sh --add-args)  ->  --add DIR/usr:/usr ...
# Rebuilt only when this script or sources.sha256 changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OV=$CACHE/overlay/clients
PKGS=(mdevctl s390-tools libc6 libgcc-s1)
want=$(cat "$0" "$TOP/scripts/sources.sha256" | sha256sum | cut -d' ' -f1)

if [ "$(cat "$OV.sum" 2>/dev/null)" != "$want" ] || [ ! -x "$OV/usr/bin/mdevctl" ]; then
	"$TOP/scripts/fetch.sh" s390x "${PKGS[@]}" >&2
	tmp=$(mktemp -d "$CACHE/overlay.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	for p in "${PKGS[@]}"; do
		deb=$(awk -v p="$p" 'index($2, p "_") == 1 && $2 ~ /_s390x\.deb$/ { print $2 }' "$TOP/scripts/sources.sha256")
		dpkg-deb -x "$CACHE/dl/s390x/$deb" "$tmp/pkgs"
	done
	R=$tmp/root
	mkdir -p "$R"/usr/bin "$R"/usr/sbin "$R"/sbin "$R"/lib/s390x-linux-gnu \
		"$R"/etc/mdevctl.d/scripts.d/callouts "$R"/etc/mdevctl.d/scripts.d/notifiers
	cp -a "$tmp/pkgs/usr/bin/mdevctl" "$tmp/pkgs/usr/bin/lsmdev" "$R/usr/bin/"
	cp -a "$tmp/pkgs/sbin/lszcrypt" "$tmp/pkgs/sbin/chzcrypt" "$R/sbin/"
	# The dynamic loader (PT_INTERP /lib/ld64.so.1) and NEEDED, recursively.
	cp -a "$tmp/pkgs/lib/ld64.so.1" "$R/lib/"
	cp -a "$tmp/pkgs/lib/s390x-linux-gnu/ld64.so.1" "$R/lib/s390x-linux-gnu/"
	todo=("$R/usr/bin/mdevctl" "$R/sbin/lszcrypt" "$R/sbin/chzcrypt")
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $(${CROSS}readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			[ -e "$R/lib/s390x-linux-gnu/$lib" ] && continue
			src=$(find "$tmp/pkgs" -name "$lib" \( -type f -o -type l \) | head -n 1)
			[ -n "$src" ] || die "clients-overlay: $(basename "$f") needs $lib, which none of ${PKGS[*]} ships"
			cp -L "$src" "$R/lib/s390x-linux-gnu/$lib"
			say "clients-overlay: $(basename "$f") needs $lib" >&2
			todo+=("$R/lib/s390x-linux-gnu/$lib")
		done
	done
	cat >"$R/usr/sbin/udevadm" <<'EOS'
#!/bin/sh
# Stub: the rig's VM has no udev. Records the call and succeeds.
echo "udevadm $*" >>/run/udevadm.log
exit 0
EOS
	chmod +x "$R/usr/sbin/udevadm"
	rm -rf "$OV"
	mkdir -p "$(dirname "$OV")"
	mv "$R" "$OV"
	echo "$want" >"$OV.sum"
fi
if [ "${1:-}" = --add-args ]; then
	for d in usr lib sbin etc; do printf -- '--add\n%s/%s:/%s\n' "$OV" "$d" "$d"; done
else
	echo "$OV"
fi
