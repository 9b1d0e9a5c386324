# vfio_ap in-use protection for Linux 5.10: the patch series and its rig.
# Builds and caches live in $(CACHE) (default ~/.cache/vfio-ap-rig).
SHELL := /bin/bash
SC := scripts

.PHONY: help setup demo check stage workspace export kernels qemu static anchors

help:
	@echo "make demo       build the patched kernel and the emulator, show the main demo"
	@echo "make check      run every test (what CI runs); ends with 'N passed, N failed'"
	@echo "make stage S=NAME  run one stage of make check (NAME: make stage S=list)"
	@echo "make workspace  unpack 5.10.223 into a git work tree and apply the series"
	@echo "make export     write the work tree's commits back to patches/linux"
	@echo "make kernels    build the base, series (every prefix) and wrong-order kernels"
	@echo "make qemu       build QEMU with the AP emulation"
	@echo "make static     checkpatch, W=1, sparse and kernel-doc checks"
	@echo "make anchors    run the selftest on Debian's 6.1 and 6.12 (upstream parity)"

setup:
	$(SC)/setup.sh

demo: setup
	$(SC)/demo.sh

check:
	$(SC)/check.sh

stage:
	@if [ -z "$(S)" ] || [ "$(S)" = list ]; then $(SC)/check.sh --list; else $(SC)/check.sh $(S); fi

workspace: setup
	$(SC)/workspace.sh init

export:
	$(SC)/workspace.sh export

kernels: setup
	$(SC)/variants.sh base && $(SC)/variants.sh series && $(SC)/variants.sh wrongorder

qemu: setup
	$(SC)/build-qemu.sh

static: setup
	$(SC)/variants.sh base && bash tests/static/stage.sh

anchors: setup
	tests/anchors/anchors.sh
