#!/usr/bin/env python3
"""judge.py: the rig's one judge of test output (Python standard library only).

Every VM test hands its console log here; the judge parses the test's
TAP/KTAP output, scans the kernel's lines with ONE pattern file
(console-patterns.txt: lockdep, WARNING, BUG, Oops, KASAN, hung task,
panic), applies the stage's expectation and prints one "PASS: COMPONENT:
..." / "FAIL: COMPONENT: ..." line per check. It also turns a whole
`make check` run into KTAP and JUnit XML for CI systems.

Subcommands (all read saved logs; none boots anything, so every VM test's
parse-only mode is the same code path as its live run):

  selftest LOG --label L --expect pass|must-fail:CASE,..|lockdep[:LOCK,..]
           [--cases C,..] [--allow-skip] [--vm-exit N] [--timeout S]
           [--results FILE]
      the vfio_ap kselftest (tests/selftest): rows "kernel | case |
      result | detail", then the checks.
  scenario LOG --label L [--vm-exit N]
      a VM script that prints its own PASS:/FAIL: lines (tests/scenario):
      keeps them, adds the console scan and the VM's exit.
  console LOG [--label L]
      only the console scan (any VM test can call it).
  tap FILE
      parse TAP/KTAP, print one "result name" line per test.
  report --summary FILE [--ktap OUT] [--junit OUT] [--name NAME]
      check.sh's summary (STAGE<TAB>PASS:/FAIL: lines) as KTAP / JUnit.

Exit status: 0 when no FAIL line was printed, 1 otherwise, 2 on bad usage.
"""

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
PATTERNS = os.path.join(HERE, "console-patterns.txt")

# A printk line: "[   12.345678] text". The timestamp may follow user
# output on the same console line (no newline between the two writers).
KTIME = re.compile(r"\[\s*(\d+\.\d+)\]\s?(.*)$")
DMESG_BEGIN = "VMTEST-DMESG-BEGIN"
DMESG_END = "VMTEST-DMESG-END"


# --------------------------------------------------------------------------
# Reading logs


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", errors="replace").replace("\r", "")
    return text.split("\n")


def framed(lines, begin, end):
    """Lines between the last BEGIN and the END after it (None if absent)."""
    start = None
    for i, l in enumerate(lines):
        if l.startswith(begin):
            start = i
    if start is None:
        return None
    for j in range(start + 1, len(lines)):
        if lines[j].startswith(end):
            return lines[start + 1:j]
    return None


def kernel_lines(lines):
    """The kernel's own lines: the dmesg dump that the VM's /init prints at
    the end (scripts/initramfs.sh) when present (complete even with `quiet`
    on the command line), else every timestamped console line. Text before
    a timestamp on the same line is user output and is cut off."""
    dump = framed(lines, DMESG_BEGIN, DMESG_END)
    src = dump if dump is not None else lines
    out = []
    for l in src:
        m = KTIME.search(l)
        if m:
            out.append("[%12s] %s" % (m.group(1), m.group(2)))
    return out


# --------------------------------------------------------------------------
# Console scan


def load_patterns(path=PATTERNS):
    pats = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cat, _, rx = line.partition("\t")
            if not rx:
                raise ValueError("%s: no TAB in %r" % (path, line))
            pats.append((cat, re.compile(rx)))
    return pats


class Finding:
    def __init__(self, category, line, index):
        self.category = category
        self.line = line
        self.index = index

    def text(self):
        return re.sub(r"^\[\s*[0-9.]+\]\s*", "", self.line).strip()


def scan(klines, patterns=None):
    """Findings (category, line) in kernel lines, first matching pattern."""
    patterns = patterns if patterns is not None else load_patterns()
    found = []
    for i, l in enumerate(klines):
        body = re.sub(r"^\[\s*[0-9.]+\]\s*", "", l)
        for cat, rx in patterns:
            if rx.search(body):
                found.append(Finding(cat, l, i))
                break
    return found


def summarize(findings, limit=3):
    """'category: text; ...' of the first distinct findings (not call traces
    when there is anything better)."""
    real = [f for f in findings if f.category != "call trace"] or findings
    seen, out = set(), []
    for f in real:
        key = (f.category, f.text())
        if key in seen:
            continue
        seen.add(key)
        out.append("%s: %s" % (f.category, f.text()))
        if len(out) >= limit:
            break
    return "; ".join(out)


def circular_reports(klines):
    """Each 'possible circular locking dependency' report: the two lock
    lines that follow 'is trying to acquire lock:' and 'is already holding
    lock:' (skipping interleaved lines that are not lock lines)."""
    reports = []
    cur = None
    want = False
    lockline = re.compile(r"\(([^()]*(?:\([^()]*\))?[^()]*)\)\{.*\}.*, at: ")
    for l in klines:
        if "possible circular locking dependency" in l:
            cur = []
            reports.append(cur)
            want = False
            continue
        if cur is None or len(cur) >= 2:
            continue
        if "is trying to acquire lock" in l or "is already holding lock" in l:
            want = True
            continue
        if want:
            m = lockline.search(l)
            if m:
                cur.append(re.sub(r"^\[\s*[0-9.]+\]\s*", "", l).strip())
                want = False
    return reports


def lock_names(report):
    names = []
    for l in report:
        m = re.search(r"\(([^{]*)\)\{", l)
        if m:
            names.append(m.group(1))
    return names


# --------------------------------------------------------------------------
# TAP / KTAP


class TapResult:
    def __init__(self, number, name, ok, directive="", reason=""):
        self.number = number
        self.name = name
        self.ok = ok
        self.directive = directive  # "SKIP", "TODO", "XFAIL" or ""
        self.reason = reason
        self.diag = []  # "# ..." lines that came before this result

    @property
    def status(self):
        if self.directive == "SKIP":
            return "SKIP"
        return "PASS" if self.ok else "FAIL"


class Tap:
    def __init__(self):
        self.version = None
        self.plan = None
        self.skip_all = None
        self.results = []
        self.subtests = {}  # parent result name -> Tap
        self.running = None  # name of a "#  RUN" case without a result
        self.bail = None


RESULT = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(\w+)\s*(.*))?$")


def parse_tap(lines):
    """Parse TAP 13/14 or KTAP 1 (kselftest and KUnit style). Indented
    lines are subtests (KTAP); their block belongs to the next result line
    at the outer level. kselftest harness diagnostics ("#  RUN name")
    mark the case in progress, so a crash can be blamed on it."""
    tap = Tap()
    diag = []
    sub = []
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith((" ", "\t")):
            sub.append(line.strip())
            continue
        m = re.match(r"^(TAP|KTAP) version (\d+)", line)
        if m:
            tap.version = "%s %s" % (m.group(1), m.group(2))
            continue
        m = re.match(r"^1\.\.(\d+)\s*(?:#\s*SKIP\s*(.*))?$", line)
        if m:
            tap.plan = int(m.group(1))
            if m.group(2) is not None or tap.plan == 0:
                tap.skip_all = (m.group(2) or "").strip()
            continue
        if line.startswith("Bail out!"):
            tap.bail = line[len("Bail out!"):].strip()
            continue
        m = RESULT.match(line)
        if m:
            name = m.group(3).strip()
            r = TapResult(int(m.group(2) or 0), name, m.group(1) == "ok",
                          (m.group(4) or "").upper(), (m.group(5) or "").strip())
            r.diag = diag
            diag = []
            if sub:
                tap.subtests[name] = parse_tap(sub)
                sub = []
            tap.results.append(r)
            tap.running = None
            continue
        if line.startswith("#"):
            diag.append(line)
            m = re.match(r"^#\s+RUN\s+(\S+)", line)
            if m:
                tap.running = m.group(1)
    return tap


def short(name):
    """kselftest harness names are FIXTURE[.VARIANT].CASE: the case is
    VARIANT_CASE (vfio_ap.apmask.busy -> apmask_busy) or CASE."""
    return name.split(".", 1)[1].replace(".", "_") if "." in name else name


# --------------------------------------------------------------------------
# Output


class Reporter:
    def __init__(self, label, out=None):  # None: the current sys.stdout
        self.label = label
        self.out = out
        self.failed = 0
        self.passed = 0

    def line(self, word, msg):
        # "scenario: [base]" reads as a prefix: "FAIL: scenario: [base] text"
        sep = " " if self.label.endswith("]") else ": "
        print("%s: %s%s%s" % (word, self.label, sep, msg), file=self.out)

    def ok(self, msg):
        self.passed += 1
        self.line("PASS", msg)

    def ko(self, msg):
        self.failed += 1
        self.line("FAIL", msg)

    def note(self, msg):
        print(msg, file=self.out)


def vm_state(vm_exit, timeout):
    if vm_exit is None:
        return "parsed from a saved log"
    if vm_exit == 124:
        return "VM timeout after %s s" % (timeout or "?")
    if vm_exit == 125:
        return "VM ended without exit code (crash/panic)"
    return "VM exit %d" % vm_exit


def dump_kernel_tail(rep, klines, findings, n=40, prefix="    "):
    """On a failure, the kernel's side of the story: the first report with
    its context, else the last lines of dmesg (`quiet` hides them on the
    console)."""
    if not klines:
        rep.note(prefix + "(no kernel log in the console log)")
        return
    if findings:
        i = findings[0].index
        part = klines[max(0, i - 3):i + n]
        rep.note(prefix + "kernel log around the first report:")
    else:
        part = klines[-n:]
        rep.note(prefix + "kernel log, last %d lines:" % len(part))
    for l in part:
        rep.note(prefix + l)


# --------------------------------------------------------------------------
# selftest


STRESS_KEYS = re.compile(r"^(apmask|aqmask|assign_adapter|unassign_adapter|assign_domain|"
                         r"unassign_domain|assign_control_domain|unassign_control_domain|checks)")
DEFAULT_CASES = ["apmask_busy", "aqmask_busy", "apmask_no_conflict", "aqmask_no_conflict",
                 "assign_reserved", "assign_shared", "mask_syntax", "bad_input", "stress"]
# the selftest's one line when the AP bus left released queues unbound
REPROBE_NOTE = "# drivers_probe workaround: "


def selftest_tap_lines(lines):
    """The test's own output: the framed copy (VFIOAP-TAP-BEGIN/END) when
    complete, else the live 'VFIOAP| ' lines (VM timeout or crash)."""
    block = framed(lines, "VFIOAP-TAP-BEGIN", "VFIOAP-TAP-END")
    if block is not None:
        return block, True
    live = []
    for l in lines:
        i = l.find("VFIOAP| ")
        if i >= 0:
            live.append(l[i + len("VFIOAP| "):])
    return live, False


def case_details(tap_lines):
    """First failure message per case and the stress counters."""
    first_exp, first_msg = {}, {}
    stress, deadlock, cur = [], "", None
    for l in tap_lines:
        m = re.match(r"^#\s+RUN\s+(\S+)", l)
        if m:  # TH_LOG names the test without its variant: use the RUN line
            cur = short(m.group(1))
            continue
        m = re.match(r"^# stress: (.*)$", l)
        if m:
            s = m.group(1)
            if STRESS_KEYS.match(s):
                stress.append(s)
            elif "DEADLOCK" in s:
                deadlock = s
            continue
        m = re.match(r"^# [^:]*:\d+:([a-z_]+):(.*)$", l)
        if m:
            nm, msg = cur or m.group(1), m.group(2)
            msg = re.sub(r"^[a-z_]+:", "", msg)
            if msg.startswith("Expected "):
                first_exp.setdefault(nm, msg)
            elif re.search(r"got |violat|unexpected|DEADLOCK|changed|not restored|stuck|failed|cannot", msg):
                first_msg.setdefault(nm, msg)
    return first_exp, first_msg, stress, deadlock


def selftest_rows(label, tap, tap_lines, cases):
    first_exp, first_msg, stress, deadlock = case_details(tap_lines)
    res = {}
    order = []
    for r in tap.results:
        c = short(r.name) if r.name else short(tap.running or "")
        if c not in res:
            order.append(c)
        res[c] = (r.status, r.reason if r.directive == "SKIP" else "")
    running = short(tap.running) if tap.running else None
    rows = []
    for c in cases + [c for c in order if c not in cases]:
        if tap.skip_all is not None:
            r, d = "SKIP", tap.skip_all
        elif c in res:
            r, d = res[c]
        elif c == running:
            r, d = "HANG", "no result (VM timeout or crash during this case)"
        else:
            r, d = "NOTRUN", ""
        if r == "FAIL":
            d = first_msg.get(c) or first_exp.get(c) or d
        if c == "stress":
            if deadlock:
                d = deadlock
            if stress:
                d = (d + " | " if d else "") + "; ".join(stress)
        rows.append((label, c, r, d))
    return rows


def parse_expect(expect):
    kind, _, arg = expect.partition(":")
    items = [a for a in arg.split(",") if a] if arg else []
    if kind == "fail-inuse":  # the name the stage used before the judge
        kind, items = "must-fail", ["apmask_busy", "aqmask_busy", "stress"]
    if kind == "lockdep" and not items:
        items = ["ap_perms_mutex", "matrix_dev->lock"]
    if kind not in ("pass", "must-fail", "lockdep"):
        raise SystemExit("judge: --expect pass|must-fail:CASE,...|lockdep[:LOCK,...], not %r" % expect)
    return kind, items


def cmd_selftest(a):
    lines = read_lines(a.log)
    kind, items = parse_expect(a.expect)
    cases = a.cases.split(",") if a.cases else list(DEFAULT_CASES)
    rep = Reporter(a.label)
    tap_lines, complete = selftest_tap_lines(lines)
    tap = parse_tap(tap_lines)
    rows = selftest_rows(a.label, tap, tap_lines, cases)
    klines = kernel_lines(lines)
    findings = scan(klines)
    state = vm_state(a.vm_exit, a.timeout)

    rep.note("kernel | case | result | detail")
    for r in rows:
        rep.note(" | ".join(r))
    if a.results:
        with open(a.results, "a", encoding="utf-8") as f:
            for r in rows:
                f.write("|".join(r) + "\n")
    if findings:
        rep.note("console findings (%s):" % a.log)
        for f in findings[:8]:
            rep.note("    %s: %s" % (f.category, f.text()))

    result = {c: r for _, c, r, _ in rows}
    detail = {c: d for _, c, _, d in rows}
    if tap.version is None and kind != "lockdep":
        hint = [l for l in lines if l.startswith(("VFIOAP-WARN", "VFIOAP-MOD|")) or
                "qemu-system" in l or "Kernel panic" in l][:3]
        rep.ko("the selftest did not run (%s, log %s)%s" %
               (state, a.log, ": " + ";".join(hint) if hint else ""))
        dump_kernel_tail(rep, klines, findings)
        return 1
    if tap.skip_all is not None and kind != "lockdep":
        rep.ko("the selftest skipped every case: %s" % tap.skip_all)
        return 1

    if kind in ("pass", "must-fail"):
        if a.vm_exit not in (None, 0):
            rep.ko("VM run failed: %s (log %s)" % (state, a.log))
        if not complete:
            rep.ko("selftest output incomplete (%s, log %s)" % (state, a.log))
        for c in cases:
            r, d = result.get(c, "NOTRUN"), detail.get(c, "")
            if kind == "must-fail" and c in items:
                if r == "FAIL":
                    rep.ok("%s fails as expected without in-use protection%s" % (c, " (%s)" % d if d else ""))
                else:
                    rep.ko("%s: expected FAIL on a kernel without in-use protection, got %s%s" %
                           (c, r, " (%s)" % d if d else ""))
                continue
            if r == "PASS":
                rep.ok(c)
            elif r == "SKIP" and a.allow_skip:
                rep.ok("%s skipped (allowed): %s" % (c, d))
            elif r == "SKIP":
                rep.ko("%s skipped: %s" % (c, d))
            else:
                rep.ko("%s: %s%s" % (c, r, " (%s)" % d if d else ""))
        if findings:
            rep.ko("console shows kernel reports: %s" % summarize(findings))
        else:
            rep.ok("no lockdep/WARNING/BUG/Oops/KASAN/hung task/panic reports on the console")
        # the drivers_probe workaround (kernels without the reprobe fix)
        note = [l for l in tap_lines if l.startswith(REPROBE_NOTE)]
        if a.reprobe == "none" and complete:
            if note:
                rep.ko("the AP bus did not reprobe released queues: %s" % note[0][2:])
            else:
                rep.ok("released queues were reprobed by the AP bus (no drivers_probe workaround)")
        elif a.reprobe == "needed" and complete:
            if note:
                rep.ok("the selftest needed and reported the drivers_probe workaround (%s)" % note[0][2:])
            else:
                rep.ko("expected the drivers_probe workaround line (a kernel without the reprobe fix, only vfio_ap loaded)")
        elif note:
            rep.note("note: %s: %s" % (a.label, note[0][2:]))
        rc_line = [l[len("VFIOAP-RC: "):].strip() for l in tap_lines if l.startswith("VFIOAP-RC: ")]
        if kind == "pass" and complete:
            if rc_line and rc_line[-1] == "0":
                rep.ok("selftest exit code 0")
            else:
                rep.ko("selftest exit code %s" % (rc_line[-1] if rc_line else "none"))
    else:  # lockdep: the wrong-lock-order control
        reports = circular_reports(klines)
        if reports:
            locks = ";".join(l for r in reports for l in r)
            rep.ok("lockdep reported a circular locking dependency (%d report(s)%s)" %
                   (len(reports), ": " + locks if locks else ""))
            named = set(n for r in reports for n in lock_names(r))
            if all(any(i in n for n in named) for i in items):
                rep.ok("the report names %s" % " and ".join(items))
            else:
                rep.ko("the circular dependency report does not name %s (%s)" %
                       (" and ".join(items), locks or "no lock lines"))
        else:
            rep.ko("no 'possible circular locking dependency' report on the console (%s, log %s)" % (state, a.log))
        d = detail.get("stress", "")
        if "DEADLOCK" in d:
            rep.note("note: %s: the stress case hit the deadlock and failed instead of hanging (%s)" %
                     (a.label, d.split(" |")[0]))
    if rep.failed:
        dump_kernel_tail(rep, klines, findings)
    return 1 if rep.failed else 0


# --------------------------------------------------------------------------
# scenario and console


OWN_RESULT = re.compile(r"((?:PASS|FAIL): [a-z0-9][a-z0-9_.-]*: .*)$")


def cmd_scenario(a):
    """The VM script judged its own walk (PASS:/FAIL: lines); the judge adds
    the console scan and the VM exit, and explains a failure with dmesg."""
    lines = read_lines(a.log)
    rep = Reporter(a.label)
    klines = kernel_lines(lines)
    findings = scan(klines)
    # The walk's lines. A PASS:/FAIL: line can be glued behind kernel output
    # on the shared console (no newline between the two writers): found
    # anywhere in a line, it still counts.
    own = []
    for l in lines:
        if l.startswith(("DEMO|", "KLOG|")):
            own.append(l)
            continue
        m = OWN_RESULT.search(l)
        if m:
            own.append(m.group(1))
    for l in own:
        rep.note(l)
        if l.startswith("FAIL: "):
            rep.failed += 1
        elif l.startswith("PASS: "):
            rep.passed += 1
    if findings:
        rep.ko("kernel log has a lockdep/BUG/WARNING/Oops/KASAN/hung task/panic report: %s" % summarize(findings))
    else:
        rep.ok("no lockdep, BUG, WARNING, Oops, KASAN, hung task or panic report in the kernel log")
    if a.vm_exit not in (None, 0) and not any(l.startswith("FAIL: ") for l in own):
        rep.ko("the VM run failed (%s), console log: %s" % (vm_state(a.vm_exit, a.timeout), a.log))
    if rep.failed:
        dump_kernel_tail(rep, klines, findings, n=60, prefix="KLOG| ")
    return 1 if rep.failed else 0


def cmd_console(a):
    lines = read_lines(a.log)
    rep = Reporter(a.label)
    klines = kernel_lines(lines)
    findings = scan(klines)
    if findings:
        rep.ko("console shows kernel reports: %s" % summarize(findings))
        dump_kernel_tail(rep, klines, findings)
        return 1
    rep.ok("no lockdep/WARNING/BUG/Oops/KASAN/hung task/panic reports on the console")
    return 0


def cmd_tap(a):
    tap = parse_tap(read_lines(a.file))
    if tap.version is None:
        print("judge: no TAP/KTAP version line in %s" % a.file, file=sys.stderr)
        return 1
    bad = 0
    for r in tap.results:
        print("%s %s%s" % (r.status, r.name, " # " + r.reason if r.reason else ""))
        bad += r.status == "FAIL"
    return 1 if bad else 0


# --------------------------------------------------------------------------
# report: a make check run as KTAP and JUnit XML


def read_summary(path):
    """check.sh's summary: 'STAGE<TAB>PASS: ...', 'STAGE<TAB>FAIL: ...',
    'STAGE<TAB>TIME: seconds'. Returns [(stage, [(ok, text)], seconds)]."""
    stages, index = [], {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            stage, _, rest = line.partition("\t")
            if not rest:
                continue
            if stage not in index:
                index[stage] = len(stages)
                stages.append([stage, [], 0])
            s = stages[index[stage]]
            if rest.startswith("TIME: "):
                s[2] = int(rest[6:] or 0)
            elif rest.startswith(("PASS: ", "FAIL: ")):
                s[1].append((rest.startswith("PASS: "), rest[6:]))
    return [tuple(s) for s in stages]


def ktap_name(text):
    return re.sub(r"#", "", text).strip()


def write_ktap(stages, out, name):
    lines = ["KTAP version 1", "# %s" % name, "1..%d" % len(stages)]
    for i, (stage, results, secs) in enumerate(stages, 1):
        lines.append("    KTAP version 1")
        lines.append("    # Subtest: %s" % stage)
        lines.append("    1..%d" % len(results))
        for j, (ok, text) in enumerate(results, 1):
            lines.append("    %s %d %s" % ("ok" if ok else "not ok", j, ktap_name(text)))
        good = all(ok for ok, _ in results) and results
        lines.append("%s %d %s # time %d s" % ("ok" if good else "not ok", i, stage, secs))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def write_junit(stages, out, name):
    root = ET.Element("testsuites", name=name)
    tt = tf = 0
    for stage, results, secs in stages:
        fails = sum(1 for ok, _ in results if not ok)
        suite = ET.SubElement(root, "testsuite", name=stage, tests=str(len(results)),
                              failures=str(fails), errors="0", time=str(secs))
        for ok, text in results:
            comp, _, rest = text.partition(": ")
            tc = ET.SubElement(suite, "testcase", classname="%s.%s" % (stage, comp),
                               name=rest or text)
            if not ok:
                ET.SubElement(tc, "failure", message=text).text = text
        tt += len(results)
        tf += fails
    root.set("tests", str(tt))
    root.set("failures", str(tf))
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)


def cmd_report(a):
    stages = read_summary(a.summary)
    if a.ktap:
        write_ktap(stages, a.ktap, a.name)
    if a.junit:
        write_junit(stages, a.junit, a.name)
    n = sum(len(r) for _, r, _ in stages)
    bad = sum(1 for _, r, _ in stages for ok, _ in r if not ok)
    print("%d passed, %d failed" % (n - bad, bad))
    return 1 if bad else 0


# --------------------------------------------------------------------------


def main(argv=None):
    p = argparse.ArgumentParser(prog="judge.py", description=__doc__.split("\n")[0])
    sp = p.add_subparsers(dest="cmd", required=True)

    s = sp.add_parser("selftest")
    s.add_argument("log")
    s.add_argument("--label", required=True)
    s.add_argument("--expect", default="pass")
    s.add_argument("--cases")
    s.add_argument("--allow-skip", action="store_true")
    s.add_argument("--vm-exit", type=int)
    s.add_argument("--timeout")
    s.add_argument("--results")
    s.add_argument("--reprobe", choices=["report", "none", "needed"], default="report")
    s.set_defaults(fn=cmd_selftest)

    s = sp.add_parser("scenario")
    s.add_argument("log")
    s.add_argument("--label", default="scenario")
    s.add_argument("--vm-exit", type=int)
    s.add_argument("--timeout")
    s.set_defaults(fn=cmd_scenario)

    s = sp.add_parser("console")
    s.add_argument("log")
    s.add_argument("--label", default="console")
    s.set_defaults(fn=cmd_console)

    s = sp.add_parser("tap")
    s.add_argument("file")
    s.set_defaults(fn=cmd_tap)

    s = sp.add_parser("report")
    s.add_argument("--summary", required=True)
    s.add_argument("--ktap")
    s.add_argument("--junit")
    s.add_argument("--name", default="make check")
    s.set_defaults(fn=cmd_report)

    a = p.parse_args(argv)
    for attr in ("log", "file", "summary"):
        v = getattr(a, attr, None)
        if v is not None and not os.path.isfile(v):
            print("judge: no such file: %s" % v, file=sys.stderr)
            return 2
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
