#!/usr/bin/env bash
# order: 12
# tests/linux-6.12/stage.sh: the cheap part of the 6.12 improvement series
# for make check: it applies to Debian's 6.12.117 and every patch is
# checkpatch --strict clean (negative control: static-bad.patch is flagged).
# No kernel is built here; the builds of every prefix, W=1/sparse/kernel-doc
# and the runtime checks in the emulated machine are `make linux-6.12`
# (tests/linux-6.12/run.sh all), see the README for why.
exec "$(dirname "$0")/run.sh" quick
