#!/usr/bin/env python3
"""Changed-line coverage of the vfio_ap series (make coverage, tests/reach).

usage: coverage.py TREE SERIES_SUBJECTS GCOV_DIR REASONS [--markdown OUT]

TREE             git work tree of the gcov kernel (series + rig fixups)
SERIES_SUBJECTS  file, one subject per line: the series' C patches, in order
GCOV_DIR         folder with the *.gcov.json.gz that gcov -j wrote
REASONS          tests/reach/coverage-reasons.txt: "file|text|reason" lines;
                 an unexecuted changed line whose source contains "text"
                 gets that reason ("a\\nb": the line before contains a,
                 this one b)

A changed line is a line of the final tree that `git blame` attributes to a
commit of the series (the lines a patch added or changed and that survive
to the end of the series). It counts if gcov calls it executable. Exit 1
if less than 90 % of them ran, if a line of a refusal path did not run, or
if an unexecuted line has no recorded reason.
"""
import gzip
import json
import os
import re
import subprocess
import sys

GOAL = 90.0
FILES = ["drivers/s390/crypto/ap_bus.c", "drivers/s390/crypto/ap_bus.h",
         "drivers/s390/crypto/vfio_ap_ops.c", "drivers/s390/crypto/vfio_ap_drv.c",
         "drivers/s390/crypto/vfio_ap_private.h"]
# lines of the new refusal paths: every one must have run
REFUSAL = re.compile(r"-EBUSY|-EADDRNOTAVAIL|-EADDRINUSE|in_use = true")


def blame(tree, path):
    out = subprocess.run(["git", "-C", tree, "blame", "--line-porcelain", "HEAD", "--", path],
                         capture_output=True, text=True, check=True).stdout
    res, summ, cur, lineno = [], {}, None, None
    for l in out.splitlines():
        if l.startswith("\t"):
            res.append((lineno, cur, l[1:]))
            continue
        f = l.split(" ")
        if len(f) >= 3 and re.fullmatch(r"[0-9a-f]{40}", f[0]):
            cur, lineno = f[0], int(f[2])
        elif l.startswith("summary "):
            summ[cur] = l[len("summary "):]
    return [(n, summ.get(c, ""), text) for n, c, text in res]


def gcov_lines(gdir):
    cov = {}
    for fn in os.listdir(gdir):
        if not fn.endswith(".gcov.json.gz"):
            continue
        with gzip.open(os.path.join(gdir, fn), "rt") as f:
            data = json.load(f)
        for fe in data.get("files", []):
            base = os.path.basename(fe["file"])
            d = cov.setdefault(base, {})
            for ln in fe.get("lines", []):
                n = ln["line_number"]
                d[n] = d.get(n, 0) + ln["count"]
    return cov


def main():
    tree, subjects_file, gdir, reasons_file = sys.argv[1:5]
    md = sys.argv[sys.argv.index("--markdown") + 1] if "--markdown" in sys.argv else None
    subjects = [s.strip() for s in open(subjects_file) if s.strip()]
    reasons = []
    for l in open(reasons_file):
        if l.strip() and not l.startswith("#"):
            f, text, why = l.rstrip("\n").split("|", 2)
            reasons.append((f.strip(), text.strip(), why.strip()))
    cov = gcov_lines(gdir)
    per = {s: [0, 0] for s in subjects}
    missed, refusal_missed, noreason = [], [], []
    for path in FILES:
        base = os.path.basename(path)
        lines = blame(tree, path)
        after_call = 0
        src = {n: text for n, _, text in lines}
        for n, subj, text in lines:
            c = cov.get(base, {}).get(n)
            if c is None:  # not executable
                continue
            # the "goto done" after a call of the mask check is a refusal
            # line, whatever commit blame gives it
            goto_refusal = after_call > 0 and "goto" in text
            after_call = 2 if "vfio_ap_mdev_verify_not_reserved(" in text and "=" in text \
                else max(0, after_call - 1)
            if goto_refusal and c == 0:
                refusal_missed.append((base, n, text.strip()))
            if subj not in per:
                continue
            per[subj][0] += 1
            if c > 0:
                per[subj][1] += 1
            refusal = bool(REFUSAL.search(text))
            if c == 0:
                # "text" may span the line before: "prev\\nthis"
                ctx = src.get(n - 1, "").strip() + "\\n" + text.strip()
                why = next((w for f, t, w in reasons if f == base and (t in text or t in ctx)), None)
                patch = subjects.index(subj) + 1
                missed.append((patch, base, n, text.strip(), why))
                if refusal:
                    refusal_missed.append((base, n, text.strip()))
                if why is None:
                    noreason.append((base, n))
    tot = sum(v[0] for v in per.values())
    ran = sum(v[1] for v in per.values())
    pct = 100.0 * ran / tot if tot else 0.0
    rows = ["| patch | changed executable lines | executed | % |", "|---|---:|---:|---:|"]
    for i, s in enumerate(subjects, 1):
        t, r = per[s]
        rows.append("| %d %s | %d | %d | %s |" % (i, s, t, r, ("%.1f" % (100.0 * r / t)) if t else "-"))
    rows.append("| **total** | **%d** | **%d** | **%.1f** |" % (tot, ran, pct))
    out = ["Changed-line coverage of the series (gcov, drivers/s390/crypto):", ""] + rows + [""]
    if missed:
        out.append("Changed lines that did not run (%d):" % len(missed))
        out.append("")
        for patch, base, n, text, why in missed:
            out.append("- patch %d, %s:%d `%s` -- %s" % (patch, base, n, text, why or "NO REASON RECORDED"))
    else:
        out.append("Every changed executable line ran.")
    text = "\n".join(out)
    print(text)
    if md:
        with open(md, "w") as f:
            f.write(text + "\n")
    ok = True
    if pct < GOAL:
        print("FAIL: coverage: %.1f %% of the changed lines ran, goal %.0f %%" % (pct, GOAL))
        ok = False
    else:
        print("PASS: coverage: %.1f %% of the changed lines ran (%d of %d), goal %.0f %%" % (pct, ran, tot, GOAL))
    if refusal_missed:
        for b, n, t in refusal_missed:
            print("FAIL: coverage: refusal-path line did not run: %s:%d `%s`" % (b, n, t))
        ok = False
    else:
        print("PASS: coverage: every line of the refusal paths ran (EBUSY, EADDRNOTAVAIL, EADDRINUSE, in_use)")
    if noreason:
        print("FAIL: coverage: %d unexecuted lines without a reason in %s: %s" % (
            len(noreason), reasons_file, ", ".join("%s:%d" % x for x in noreason)))
        ok = False
    if tot == 0:
        print("FAIL: coverage: no changed executable line found (gcov data missing?)")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
