#!/usr/bin/env bash
# order: 25
# selftest-host stage: the selftest against a simulated AP sysfs on the build host (no VM):
# x86_64 -Wall -Wextra build, parser model, only owned mask bits change,
# cleanup after SIGINT, a simulated deadlock fails instead of hanging, the
# root-only state (recovery after SIGKILL; planted and damaged state files
# are refused, nothing written), and tests/selftest/host.sh's TAP parser in
# all three modes.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
"$TOP/scripts/variants.sh" series >/dev/null 2>&1 ||
	{ say "FAIL: host-sim: series tree, log: $(logfile build-patched)"; exit 1; }
exec bash "$TOP/tests/selftest-host/host-check.sh" "$(vsrc series)"
