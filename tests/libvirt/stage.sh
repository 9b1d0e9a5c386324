#!/usr/bin/env bash
# tests/libvirt/stage.sh (make check stage "libvirt"): the libvirt path on
# a Debian bookworm s390x root file system (tests/libvirt/run.sh, also
# `make libvirt`): virsh nodedev-define/start and the refused mask write,
# the boot-time auto-start mdev, and the selftest installed and run the
# kselftest way; each on 5.10 + series and on the base (negative control).
# order: 70
# Cost, idle machine: cold (apt lists, .debs, two rootfs kernels) 44 min
# 33 s; warm (the VM runs only) about 29 min. One systemd boot under TCG
# takes 1.5-3 min idle and several times that under load.
exec bash "$(dirname "$0")/run.sh"
