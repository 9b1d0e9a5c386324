# vfio_ap in-use protection for Linux 5.10: the patch series and its rig.
# Builds and caches live in $(CACHE) (default ~/.cache/vfio-ap-rig).
SHELL := /bin/bash
S := scripts

.PHONY: help setup demo check workspace export kernels qemu static vmtest anchors clean-cache

help:
	@echo "make demo       build the patched kernel and the emulator, show the main demo"
	@echo "make check      run every test (what CI runs); ends with 'N passed, N failed'"
	@echo "make workspace  unpack 5.10.223 into a git work tree and apply the series"
	@echo "make export     write the work tree's commits back to patches/linux"
	@echo "make kernels    build the base, series (every prefix) and wrong-order kernels"
	@echo "make qemu       build QEMU with the AP emulation"
	@echo "make static     checkpatch, W=1, sparse and kernel-doc checks"
	@echo "make anchors    run the selftest on Debian's 6.1 and 6.12 (upstream parity)"

setup:
	$(S)/setup.sh

demo: setup
	$(S)/demo.sh

check:
	$(S)/check.sh

workspace: setup
	$(S)/workspace.sh init

export:
	$(S)/workspace.sh export

kernels: setup
	$(S)/variants.sh base && $(S)/variants.sh series && $(S)/variants.sh wrongorder

qemu: setup
	$(S)/build-qemu.sh

static: setup
	$(S)/variants.sh base && $(S)/check-static.sh

anchors: setup
	$(S)/anchors.sh
