#!/usr/bin/env python3
"""qmp.py: send QMP commands to a QEMU the rig started (run-vm.sh --qmp).

  qmp.py SOCKET COMMAND [ARGS-JSON]
      one command; prints its "return" as JSON on stdout. Exit 0 on
      success, 1 if QEMU answered with an error (printed on stderr as
      "qmp: COMMAND: CLASS: DESC"), 2 if QEMU cannot be reached.

  qmp.py SOCKET --follow CONSOLE-LOG [--init FILE] [--cont]
             [--planted no-notify|no-faults]
      drive QEMU from a test: run the commands of FILE (one JSON object
      {"execute": ..., "arguments": ...} a line; '#' comments), then
      "cont" with --cont (QEMU started with -S), then follow the console
      log: every line "QMP-REQ: {json}" the guest prints is executed. One
      line per command on stdout: "QMP-OK: cmd -> return" or "QMP-ERR:
      cmd -> class: desc". Ends when QEMU closes the socket. --planted is
      a defect for negative controls: no-notify adds "notify": false to
      every s390-ap-emu-configure (as if the emulator skipped the
      configuration-change event), no-faults drops every
      s390-ap-emu-inject-fault.

The socket is waited for up to QMP_WAIT seconds (default 30).
"""
import json
import os
import socket
import sys
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, wait):
        deadline = time.monotonic() + wait
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError as e:
                self.sock.close()
                if time.monotonic() >= deadline:
                    raise QMPError("cannot connect to %s: %s" % (path, e))
                time.sleep(0.1)
        self.f = self.sock.makefile("rwb")
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError("no QMP greeting from %s" % path)
        self.execute("qmp_capabilities")

    def _read(self):
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("QEMU closed the QMP socket")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def execute(self, cmd, args=None):
        req = {"execute": cmd}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req).encode() + b"\n")
        self.f.flush()
        resp = self._read()
        if "error" in resp:
            return False, "%s: %s" % (resp["error"].get("class"), resp["error"].get("desc"))
        return True, resp.get("return")


def plant(defect, cmd, args):
    """The planted defect applied to one command: None drops it."""
    if defect == "no-notify" and cmd == "s390-ap-emu-configure":
        args = dict(args or {}, notify=False)
    if defect == "no-faults" and cmd == "s390-ap-emu-inject-fault":
        return None
    return args


def run_one(q, req, defect):
    cmd, args = req["execute"], req.get("arguments")
    args = plant(defect, cmd, args)
    if args is None and req.get("arguments") is not None:
        print("QMP-SKIP: %s (planted defect %s)" % (cmd, defect), flush=True)
        return
    ok, res = q.execute(cmd, args)
    print("%s: %s %s -> %s" % ("QMP-OK" if ok else "QMP-ERR", cmd,
                                json.dumps(args or {}, sort_keys=True),
                                json.dumps(res, sort_keys=True) if ok else res), flush=True)


def follow(q, log, init, cont, defect):
    if init:
        with open(init) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    run_one(q, json.loads(line), defect)
    if cont:
        run_one(q, {"execute": "cont"}, None)
    pos = 0
    buf = b""
    while True:
        try:
            with open(log, "rb") as f:
                f.seek(pos)
                data = f.read()
        except FileNotFoundError:
            data = b""
        pos += len(data)
        buf += data
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            text = raw.decode(errors="replace").strip("\r")
            i = text.find("QMP-REQ: ")
            if i >= 0:
                try:
                    req = json.loads(text[i + len("QMP-REQ: "):])
                except ValueError as e:
                    print("QMP-ERR: bad request line %r: %s" % (text, e), flush=True)
                    continue
                run_one(q, req, defect)
        if not data:
            # QEMU gone? A query on a closed socket raises EOFError.
            try:
                q.execute("query-status")
            except (EOFError, OSError):
                return
            time.sleep(0.05)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    wait = float(os.environ.get("QMP_WAIT", "30"))
    try:
        q = QMP(argv[1], wait)
    except (QMPError, EOFError, OSError) as e:
        print("qmp: %s" % e, file=sys.stderr)
        return 2
    if argv[2] == "--follow":
        opts = argv[4:]
        init = cont = defect = None
        while opts:
            o = opts.pop(0)
            if o == "--init":
                init = opts.pop(0)
            elif o == "--cont":
                cont = True
            elif o == "--planted":
                defect = opts.pop(0)
                if defect not in ("no-notify", "no-faults"):
                    print("qmp: unknown planted defect %r" % defect, file=sys.stderr)
                    return 2
            else:
                print("qmp: unknown option %r" % o, file=sys.stderr)
                return 2
        try:
            follow(q, argv[3], init, cont, defect)
        except (EOFError, OSError):
            pass
        return 0
    cmd = argv[2]
    args = json.loads(argv[3]) if len(argv) > 3 else None
    try:
        ok, res = q.execute(cmd, args)
    except (EOFError, OSError) as e:
        print("qmp: %s: %s" % (cmd, e), file=sys.stderr)
        return 2
    if not ok:
        print("qmp: %s: %s" % (cmd, res), file=sys.stderr)
        return 1
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
