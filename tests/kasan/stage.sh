#!/usr/bin/env bash
# tests/kasan/stage.sh (make check stage "kasan"): the series kernel with
# KASAN (configs/kasan.config, variant kasan) booted in the emulated machine:
# the kselftest and every stand-in case (tests/reach/kasan.sh, also
# `make kasan`); any KASAN, lockdep, WARNING or BUG report fails it.
# order: 42
# Cost: warm 3 min 16 s; the KASAN kernel's cold build took 36 min on the
# shared machine (load 7-11), ccache cannot serve it from the other variants.
exec bash "$(dirname "$0")/../reach/kasan.sh"
