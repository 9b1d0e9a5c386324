#!/usr/bin/env bash
# Install the host packages the rig needs (Debian 12). Idempotent: a second
# run with everything present only checks and returns.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(
	# s390x cross toolchain (kernel, selftest, initramfs helpers)
	gcc-s390x-linux-gnu binutils-s390x-linux-gnu libc6-dev-s390x-cross
	# kernel build
	make ccache flex bison bc libelf-dev libssl-dev cpio xz-utils kmod rsync
	# static checks
	sparse coccinelle perl python3 python3-ply
	# lint and the judge's own tests (tests/lint, tests/judge)
	shellcheck python3-pytest
	# QEMU build
	ninja-build meson pkg-config libglib2.0-dev libpixman-1-dev zlib1g-dev
	python3-venv libfdt-dev
	# s390-ccw.img firmware for the self-built qemu-system-s390x
	qemu-system-data
	# fetching sources
	dpkg-dev debian-archive-keyring ca-certificates git quilt
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | matches '^install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	say "setup: all ${#PKGS[@]} host packages present"
	exit 0
fi
say "setup: installing ${#missing[@]} packages: ${missing[*]}"
log=$(logfile setup)
run_stage setup "$log" bash -c "export DEBIAN_FRONTEND=noninteractive; apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
