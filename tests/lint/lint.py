#!/usr/bin/env python3
"""lint.py [--root DIR] [CHECK...]: the rig's hygiene checks (stdlib only).

  shellcheck  `shellcheck -S warning` on every shell file: *.sh, files whose
              first line runs sh/bash, and the in-VM scripts (their
              "# shellcheck shell=..." line names the shell)
  paths       every repository path named in the scripts and docs exists
              (tokens starting with scripts/, tests/, configs/, patches/,
              docs/, .ci/; paths of other trees, such as the kernel's own
              scripts/checkpatch.pl, are listed in tests/lint/foreign-paths)
  phony       every .PHONY target of the Makefile has a rule, and every
              rule named in `make help` exists

Prints one PASS:/FAIL: line per check ("lint: CHECK ..."), with the
findings under a FAIL. Exit 1 if any check failed. Files are the ones git
tracks (plus untracked, not ignored ones), so build output never counts.
"""

import os
import re
import subprocess
import sys

SKIP_DIRS = ("tests/lint/bad/",)  # the negative control's planted defects
PATH_RX = re.compile(r"(?<![\w./~$-])((?:scripts|tests|configs|patches|docs|\.ci)/[A-Za-z0-9_.@+/*-]*)")
# placeholders in usage texts: tests/NAME/stage.sh, tests/stages/NN-NAME.sh
PLACEHOLDER = re.compile(r"^(NN-)?[A-Z][A-Z0-9_]*(\.[a-z]+)?$")
DOC_EXT = (".md", ".sh", ".py", ".txt", ".config")


def repo_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
        files = [f for f in out if f]
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = []
        for d, dirs, fs in os.walk(root):
            dirs[:] = [x for x in dirs if x != ".git"]
            for f in fs:
                files.append(os.path.relpath(os.path.join(d, f), root))
    if os.path.abspath(root) == os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")):
        files = [f for f in files if not f.startswith(SKIP_DIRS)]
    return sorted(f for f in files if os.path.isfile(os.path.join(root, f)))


def first_line(path):
    try:
        with open(path, "rb") as f:
            return f.readline(200).decode("utf-8", "replace")
    except OSError:
        return ""


def shell_files(root, files):
    out = []
    for f in files:
        if f.startswith("patches/"):
            continue
        fl = first_line(os.path.join(root, f))
        if f.endswith(".sh") or re.match(r"#!.*\b(ba|da|k)?sh\b", fl) or fl.startswith("# shellcheck shell="):
            out.append(f)
    return out


def check_shellcheck(root, files):
    sh = shell_files(root, files)
    if not sh:
        return ["no shell files found"]
    r = subprocess.run(["shellcheck", "-S", "warning", "-f", "gcc"] + sh, cwd=root,
                       capture_output=True, text=True)
    if r.returncode not in (0, 1):
        return ["shellcheck did not run: " + (r.stderr.strip() or "exit %d" % r.returncode)]
    return [l for l in r.stdout.split("\n") if l.strip()], len(sh)


def foreign(root):
    p = os.path.join(root, "tests", "lint", "foreign-paths")
    out = set()
    if os.path.isfile(p):
        with open(p, encoding="utf-8") as f:
            for l in f:
                l = l.split("#", 1)[0].strip()
                if l:
                    out.add(l)
    return out


def check_paths(root, files):
    known = foreign(root)
    bad = []
    n = 0
    for f in files:
        if f.startswith("patches/") or not (f.endswith(DOC_EXT) or f == "Makefile" or
                                            f in shell_files(root, [f])):
            continue
        try:
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        for ln, line in enumerate(text.split("\n"), 1):
            for m in PATH_RX.finditer(line):
                p = m.group(1).rstrip("/.-")
                if "/" not in p:
                    continue  # the folder's name alone, as in "scripts/ builds"
                after = line[m.end():m.end() + 1]
                if after in ("$", "<", "{", "[") or "*" in p:
                    continue  # a pattern or a path built at run time
                if any(PLACEHOLDER.match(c) and c not in ("README.md", "Makefile") for c in p.split("/")):
                    continue
                n += 1
                if p in known or os.path.exists(os.path.join(root, p)):
                    continue
                bad.append("%s:%d: names %s, which does not exist" % (f, ln, p))
    return bad, n


def check_phony(root, files):
    mk = os.path.join(root, "Makefile")
    if not os.path.isfile(mk):
        return ["no Makefile"], 0
    with open(mk, encoding="utf-8") as fh:
        text = fh.read().replace("\\\n", " ")
    phony = []
    for m in re.finditer(r"^\.PHONY\s*:(.*)$", text, re.M):
        phony += m.group(1).split()
    rules = set()
    for m in re.finditer(r"^([A-Za-z0-9_.%-][^:=\n]*?)\s*::?(?!=)", text, re.M):
        for t in m.group(1).split():
            rules.add(t)
    bad = ["Makefile: .PHONY target '%s' has no rule" % t for t in phony if t not in rules]
    for m in re.finditer(r'@echo "make ([a-z][a-z0-9.-]*[a-z0-9])', text):
        if m.group(1) not in rules:
            bad.append("Makefile: 'make help' names '%s', which has no rule" % m.group(1))
    for t in sorted(rules):
        if t not in phony and not t.startswith(".") and "%" not in t and "/" not in t and "." not in t:
            bad.append("Makefile: rule '%s' is not in .PHONY" % t)
    return bad, len(phony)


GREP_Q = re.compile(r"\|\s*grep\s+(?:-[A-Za-z]+\s+)*-[A-Za-z]*q")


def check_sigpipe(root, files):
    """No "... | grep -q" in a script that sets pipefail: grep -q exits at
    the first match, the writer's next write then dies of SIGPIPE, and
    the pipeline's status is 141 instead of 0 - a check that fails (or a
    negated one that passes) depending on timing. Use lib.sh's matches."""
    bad, n = [], 0
    for f in shell_files(root, files):
        try:
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                lines = fh.read().split("\n")
        except (OSError, UnicodeDecodeError):
            continue
        if not any("pipefail" in l and not l.lstrip().startswith("#") for l in lines):
            continue
        n += 1
        for i, l in enumerate(lines, 1):
            if not l.lstrip().startswith("#") and GREP_Q.search(l):
                bad.append("%s:%d: '| grep -q' under pipefail (SIGPIPE to the writer): %s" % (f, i, l.strip()))
    return bad, n


CHECKS = {
    "shellcheck": (check_shellcheck, "shellcheck -S warning on %d shell files"),
    "paths": (check_paths, "%d repository paths named in scripts and docs exist"),
    "phony": (check_phony, "every one of %d .PHONY targets has a rule"),
    "sigpipe": (check_sigpipe, "no '| grep -q' in the %d scripts that set pipefail"),
}


def main(argv):
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    names = []
    it = iter(argv)
    for a in it:
        if a == "--root":
            root = os.path.abspath(next(it))
        elif a in CHECKS:
            names.append(a)
        else:
            print("usage: lint.py [--root DIR] [%s]..." % "|".join(CHECKS), file=sys.stderr)
            return 2
    files = repo_files(root)
    failed = 0
    for name in names or list(CHECKS):
        fn, what = CHECKS[name]
        r = fn(root, files)
        bad, n = r if isinstance(r, tuple) else (r, 0)
        if bad:
            failed += 1
            print("FAIL: lint: %s: %d finding(s)" % (name, len(bad)))
            for b in bad[:40]:
                print("    " + b)
        else:
            print("PASS: lint: " + what % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
