#!/usr/bin/env bash
# build-kernel.sh VARIANT [FRAGMENT...]
# Cross-build the s390x test kernel of VARIANT from its source tree
# $CACHE/v/VARIANT/src out of tree in $CACHE/v/VARIANT/build (lib.sh's
# vsrc/vbuild; incremental), config = tinyconfig + configs/vfio-ap.config +
# configs/debug.config + extra fragments (file names under configs/).
# Prints the bzImage path on the last line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock

name=${1:?usage: build-kernel.sh VARIANT [FRAGMENT...]}
shift
src=$(vsrc "$name")
[ -f "$src/Makefile" ] || die "build-kernel: no source tree for variant '$name' at $src"
frags=("$TOP/configs/vfio-ap.config" "$TOP/configs/debug.config")
for f in "$@"; do frags+=("$TOP/configs/$f"); done
out=$(vbuild "$name")
mkdir -p "$out"
M=(make -C "$src" O="$out" ARCH=s390 "CROSS_COMPILE=$CROSS" -j"${JOBS:-3}")
command -v ccache >/dev/null && M+=(CC="ccache ${CROSS}gcc")

# Regenerate the config only when a fragment changed (keeps builds incremental).
cfgsum=$(cat "${frags[@]}" "$src/Makefile" | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.fragments.sum" 2>/dev/null)" != "$cfgsum" ]; then
	log=$(logfile "config-$name")
	run_stage "config $name" "$log" bash -c '
		set -e
		"$@" tinyconfig
		"$0"/scripts/kconfig/merge_config.sh -m -O "'"$out"'" "'"$out"'/.config" '"${frags[*]}"'
		"$@" olddefconfig' "$src" "${M[@]}"
	# Kconfig silently drops what it cannot satisfy: check every option.
	# Options this kernel does not know (6.x renamed some) are skipped.
	bad=
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		opt=${line%%=*}
		grep -rqs --include='Kconfig*' -E "^[[:space:]]*(menu)?config ${opt#CONFIG_}\$" "$src" || continue
		grep -qx -- "$line" "$out/.config" || bad="$bad $line"
	done < <(cat "${frags[@]}")
	[ -z "$bad" ] || die "FAILED: stage 'config $name': options not set:$bad; log: $log"
	echo "$cfgsum" >"$out/.fragments.sum"
fi

# A warm make with nothing to do still walks the whole tree (~30 s here,
# and make check asks for the same kernel up to three times). When the
# source is a git tree, the build is skipped if nothing it depends on
# changed since the last successful build: the tree's commit and its
# uncommitted changes, the config, the compiler. (Delete
# $out/.build-stamp to force make.)
stamp=
if git -C "$src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
	stamp=$({
		git -C "$src" rev-parse HEAD
		git -C "$src" diff HEAD
		cat "$out/.config"
		"${CROSS}gcc" --version | head -n 1
		command -v ccache || true
	} | sha256sum | cut -d' ' -f1)
	if [ -f "$out/arch/s390/boot/bzImage" ] && [ "$(cat "$out/.build-stamp" 2>/dev/null)" = "$stamp" ]; then
		say "[build $name] up to date (same tree, config and compiler as the last build)"
		echo "$out/arch/s390/boot/bzImage"
		exit 0
	fi
fi
rm -f "$out/.build-stamp"
log=$(logfile "build-$name")
run_stage "build $name" "$log" "${M[@]}" bzImage modules
[ -z "$stamp" ] || echo "$stamp" >"$out/.build-stamp"
echo "$out/arch/s390/boot/bzImage"
