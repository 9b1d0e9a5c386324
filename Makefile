# vfio_ap in-use protection for Linux 5.10: the patch series and its rig.
# Builds and caches live in $(CACHE) (default ~/.cache/vfio-ap-rig).
SHELL := /bin/bash
SC := scripts

.PHONY: help setup demo check stage vm-test selftest-host vm-loop lint judge-test workspace export kernels qemu lockstat faults static anchors bench linux-6.12 coverage kasan libvirt debian-patches abi

help:
	@echo "make demo       build the patched kernel and the emulator, show the main demo"
	@echo "make check      run every test (what CI runs); ends with 'N passed, N failed'"
	@echo "make stage S=NAME  run one stage of make check (NAME: make stage S=list)"
	@echo "make vm-test [CASE=name]  fast inner loop: the workspace as it is (edits"
	@echo "                included) -> top of the series built -> selftest in the VM"
	@echo "make selftest-host  the selftest of the workspace against a simulated AP"
	@echo "                sysfs on the host (no kernel build, no VM)"
	@echo "make vm-loop [N=20]  N runs of the scenario and selftest VMs (flake hunt)"
	@echo "make lint       shellcheck, paths named in scripts and docs, .PHONY rules"
	@echo "make judge-test the judge's own tests on saved logs (pytest)"
	@echo "make workspace  unpack 5.10.223 into a git work tree and apply the series"
	@echo "make export     write the work tree's commits back to patches/linux"
	@echo "make kernels    build the base, series (every prefix) and wrong-order kernels"
	@echo "make qemu       build QEMU with the AP emulation"
	@echo "make lockstat   lock hold times of the stress case with the emulator's"
	@echo "                reset time (RESET_US=\"0 10000\" STRESS=20; minutes per VM)"
	@echo "make faults     kernel cases with emulated hardware faults (QMP): an adapter"
	@echo "                deconfigured under an mdev (series, base; minutes per VM)"
	@echo "make static     checkpatch, W=1, sparse and kernel-doc checks"
	@echo "make anchors    run the selftest on Debian's 6.1 and 6.12 (upstream parity)"
	@echo "make bench      measured cost: mask write latency, refusal log lines, lock hold times (not in check)"
	@echo "make linux-6.12 the 6.12 improvement series (patches/linux-6.12): static"
	@echo "                checks, every prefix built, runtime checks in the VM"
	@echo "                (KSERIES=6.12 make workspace / make export for its work tree)"
	@echo "make debian-patches [OUT=dir]  the series as Debian patches with DEP-3"
	@echo "                headers + series lines (default \$$CACHE/debian-patches)"
	@echo "make abi        modversions CRCs of the drivers/s390/crypto exports:"
	@echo "                base, series, series + Debian's ABI patch"
	@echo "make coverage   changed-line coverage of the series (gcov kernel; tests/reach)"
	@echo "make kasan      selftest + stand-in cases on a KASAN series kernel (tests/reach)"
	@echo "make libvirt    virsh, mdevctl at boot, run_kselftest.sh on a Debian bookworm root fs (longer)"

setup:
	$(SC)/setup.sh

demo: setup
	$(SC)/demo.sh

check:
	$(SC)/check.sh

stage:
	@if [ -z "$(S)" ] || [ "$(S)" = list ]; then $(SC)/check.sh --list; else $(SC)/check.sh $(S); fi

vm-test: setup
	tests/selftest/vm-test.sh $(CASE)

selftest-host:
	$(SC)/workspace.sh init >/dev/null && bash tests/selftest-host/host-check.sh "$$($(SC)/workspace.sh path)"

vm-loop: setup
	$(SC)/vm-loop.sh $(or $(N),20)

lint:
	bash tests/lint/stage.sh

judge-test:
	bash tests/judge/stage.sh

workspace: setup
	$(SC)/workspace.sh init

export:
	$(SC)/workspace.sh export

kernels: setup
	$(SC)/variants.sh base && $(SC)/variants.sh series && $(SC)/variants.sh wrongorder

qemu: setup
	$(SC)/build-qemu.sh

lockstat: setup
	tests/qemu/lockstat.sh

faults: setup
	tests/faults/run.sh

static: setup
	$(SC)/variants.sh base && bash tests/static/stage.sh

anchors: setup
	tests/anchors/anchors.sh

bench: setup
	tests/bench/bench.sh

linux-6.12: setup
	tests/linux-6.12/run.sh all

coverage: setup
	tests/reach/coverage.sh

kasan: setup
	tests/reach/kasan.sh

libvirt: setup
	tests/libvirt/run.sh

debian-patches:
	$(SC)/debian-patches.sh $(OUT)

abi: setup
	$(SC)/abi-check.sh
