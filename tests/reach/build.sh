#!/usr/bin/env bash
# tests/reach/build.sh KBUILD SRC OUT [planted]
# TEST-ONLY parts of tests/reach for one kernel build, into OUT:
#   OUT/vfio_ap_standin.ko  the stand-in attach module (kmod/), built out of
#                           tree against KBUILD (its Module.symvers)
#   OUT/standin_test        the static s390x user-space test
#   OUT/planted/NAME/vfio_ap.ko  with "planted": vfio_ap built from SRC's
#                           drivers/s390/crypto with fixtures/NAME.patch
#                           applied (one planted defect each)
# Incremental: make only rebuilds what changed. Last line: OUT.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
R=$TOP/tests/reach

kbuild=${1:?usage: build.sh KBUILD SRC OUT [planted]}
src=${2:?usage: build.sh KBUILD SRC OUT [planted]}
out=${3:?usage: build.sh KBUILD SRC OUT [planted]}
planted=${4:-}
[ -f "$kbuild/Module.symvers" ] || die "reach: $kbuild has no Module.symvers (build the kernel first)"
mkdir -p "$out/kmod"
K=(make -C "$kbuild" ARCH=s390 CROSS_COMPILE="$CROSS" -j"${JOBS:-2}")
command -v ccache >/dev/null && K+=(CC="ccache ${CROSS}gcc")

# copy only when changed: keeps make incremental
sync_file() { cmp -s "$1" "$2" 2>/dev/null || cp "$1" "$2"; }
for f in Kbuild vfio_ap_standin.c standin_uapi.h; do sync_file "$R/kmod/$f" "$out/kmod/$f"; done
log=$(logfile "reach-kmod-$(basename "$kbuild")")
"${K[@]}" M="$out/kmod" modules >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "FAILED: stage 'reach build' (vfio_ap_standin.ko for $kbuild), log: $log"; }
sync_file "$out/kmod/vfio_ap_standin.ko" "$out/vfio_ap_standin.ko"

if [ ! -x "$out/standin_test" ] || [ "$R/standin_test.c" -nt "$out/standin_test" ] ||
	[ "$R/kmod/standin_uapi.h" -nt "$out/standin_test" ]; then
	${CROSS}gcc -O2 -Wall -Wextra -Werror -static -pthread -I"$R" \
		-o "$out/standin_test" "$R/standin_test.c" ||
		die "FAILED: stage 'reach build' (standin_test)"
fi

if [ -n "$planted" ]; then
	for fx in "$R"/fixtures/planted-*.patch; do
		name=$(basename "$fx" .patch)
		d=$out/planted/$name
		mkdir -p "$d"
		sum=$(cat "$fx" "$src"/drivers/s390/crypto/{vfio_ap_drv.c,vfio_ap_ops.c,vfio_ap_private.h,ap_bus.h} | sha256sum | cut -d' ' -f1)
		if [ "$(cat "$d/.sum" 2>/dev/null)" != "$sum" ]; then
			rm -rf "$d" && mkdir -p "$d"
			cp "$src"/drivers/s390/crypto/{vfio_ap_drv.c,vfio_ap_ops.c,vfio_ap_private.h,ap_bus.h} "$d/"
			patch -s -p4 -d "$d" <"$fx" >"$d/patch.log" 2>&1 ||
				die "FAILED: stage 'reach build' ($name.patch does not apply to $src; the series changed: regenerate it), log: $d/patch.log"
			printf 'obj-m := vfio_ap.o\nvfio_ap-objs := vfio_ap_drv.o vfio_ap_ops.o\n' >"$d/Kbuild"
			echo "$sum" >"$d/.sum"
		fi
		log=$(logfile "reach-$name")
		"${K[@]}" M="$d" modules >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "FAILED: stage 'reach build' ($name), log: $log"; }
	done
fi
echo "$out"
