#!/usr/bin/env bash
# order: 05
# lint stage: the rig's hygiene (tests/lint/lint.py): shellcheck -S warning
# on every shell file, every path named in scripts and docs exists, every
# .PHONY target has a rule, no "| grep -q" under pipefail. Negative
# control: tests/lint/bad/ holds one planted defect per check, and each
# check must FAIL on it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rc=0
python3 "$here/lint.py" || rc=1
for c in shellcheck paths phony sigpipe; do
	if out=$(python3 "$here/lint.py" --root "$here/bad" "$c" 2>&1); then
		echo "FAIL: lint: negative control: $c passed on tests/lint/bad"
		rc=1
	else
		echo "PASS: lint: negative control: $c fails on tests/lint/bad ($(printf '%s\n' "$out" | grep -c '^    ') finding(s))"
	fi
done
exit "$rc"
