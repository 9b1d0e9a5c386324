#!/bin/sh
# Negative control for tests/lint/lint.py: unquoted, and an unused variable
# (shellcheck warnings SC2086, SC2034).
unused=1
rm -f $1
