#!/usr/bin/env bash
# order: 55
# abi stage: modversions CRCs of every export of drivers/s390/crypto (the AP
# bus in vmlinux, the zcrypt and vfio_ap modules), the values modpost writes
# into Module.symvers: 5.10.223 vs the series vs the series + Debian's ABI
# patch (patches/debian), compiled with CONFIG_MODVERSIONS=y as variant "abi"
# (scripts/abi-check.sh, which says how).
#   PASS  with the ABI patch every export keeps its 5.10.223 CRC
#   PASS  negative control: the series alone changes ap_driver_register's
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
log=$(logfile abi-build)
start=$(date +%s)
"$TOP/scripts/abi-check.sh" 2>"$log"
rc=$?
[ "$rc" -eq 0 ] || tail -n 5 "$log"
say "abi: $(($(date +%s) - start)) s, build log: $log"
exit "$rc"
