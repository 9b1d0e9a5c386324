#!/usr/bin/env bash
# Negative control for tests/lint/lint.py's sigpipe check: grep -q at the
# end of a pipeline under pipefail.
set -o pipefail
if seq 100000 | grep -q '^1$'; then echo found; fi
