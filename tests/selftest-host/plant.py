#!/usr/bin/env python3
# plant.py TEMPLATE OUT KIND [ARG]: write a hostile variant of a genuine
# state file of the vfio_ap selftest (struct vap_state, version 2, host
# byte order), for the hostile-input checks of host-check.sh:
#   name NAME     the first mdev entry becomes NAME
#   rsvbit N      apmask bit N is marked as one the test reserved, although
#                 the run never owned it
#   truncate N    only the first N bytes
#   version N     the version field becomes N
# The offsets come from the selftest's own header: STATE_LAYOUT is what
# "lib_check layout" prints (host-check.sh builds lib_check against the
# selftest), so a changed layout cannot make this plant garbage.
import os
import struct
import sys

LAY = dict(kv.split("=") for kv in os.environ["STATE_LAYOUT"].split())
SIZE = int(LAY["size"])
OFF = {k: int(v) for k, v in LAY.items()}
UUID_LEN = 36


def main():
    tpl, out, kind = sys.argv[1:4]
    arg = sys.argv[4] if len(sys.argv) > 4 else ""
    data = bytearray(open(tpl, "rb").read())
    magic, = struct.unpack_from("<I", data, OFF["magic"])
    version, = struct.unpack_from("<I", data, OFF["version"])
    size, = struct.unpack_from("<I", data, OFF["sizef"])
    if len(data) != SIZE or magic != 0x76666170 or version != 2 or size != SIZE:
        sys.exit(f"plant.py: {tpl} is not a version 2 state file of {SIZE} bytes "
                 f"(len {len(data)}, magic {magic:08x}, version {version}, size {size}): "
                 "not a state file of this selftest")
    if kind == "name":
        name = arg.encode()[:UUID_LEN]
        data[OFF["mdev"]:OFF["mdev"] + UUID_LEN + 1] = name.ljust(UUID_LEN + 1, b"\0")
    elif kind == "rsvbit":
        n = int(arg)
        data[OFF["rsv_apm"] + n // 8] |= 0x80 >> (n % 8)
    elif kind == "truncate":
        data = data[:int(arg)]
    elif kind == "version":
        struct.pack_into("<I", data, OFF["version"], int(arg))
    else:
        sys.exit(f"plant.py: unknown kind {kind}")
    with open(out, "wb") as f:
        f.write(data)


main()
