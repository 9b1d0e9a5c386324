#!/usr/bin/env bash
# run-vm.sh [options] -- boot a kernel in the emulated s390x machine (TCG, with
# the AP emulation of patches/qemu), run a shell script inside, power off.
#
#   --kernel-build DIR  kernel build dir (bzImage + modules), required
#   --script FILE       shell script run as /test.sh inside the VM (busybox sh);
#                       without it the VM runs an interactive shell
#   --add SRC:DEST      copy a host file into the VM at DEST (repeatable)
#   --disk IMG          attach IMG (raw) as a virtio-blk disk (repeatable:
#                       vda, vdb, ...) and boot from the first one (root=
#                       /dev/vda, its own init) instead of the initramfs;
#                       --script/--add do not apply (tests/libvirt)
#   --ap PROPS          the emulated AP adapters: properties of QEMU's
#                       s390-ap-emu device (patches/qemu), default
#                       "adapters=0-3,domains=0-7,reset-time-us=0"; e.g.
#                       "adapters=0-3,domains=0-63,reset-time-us=0". PROPS
#                       replace the default; the device's own defaults
#                       (reply latency 100 us, reset 10 ms, Nd 84) fill the
#                       rest. The rig's resets take no time: 5.10's
#                       vfio_ap_mdev_reset_queue() WARNs on every reset that
#                       is not complete when ZAPQ returns (see
#                       patches/qemu/README.md, make lockstat)
#   --no-ap             no AP facility and no adapters (-cpu max as upstream)
#   --machine OPTS      appended to -M s390-ccw-virtio,OPTS
#   --append ARGS       extra kernel command line arguments
#   --qemu-arg ARG      extra QEMU argument (repeatable)
#   --qmp SOCK          QEMU serves QMP on the Unix socket SOCK, for
#                       scripts/qmp.py (fault injection, run-time AP
#                       configuration). SOCK's directory is created
#                       private (0700) if missing; use one the run owns,
#                       e.g. under $LOGDIR, never a fixed name in /tmp.
#                       A stale socket at SOCK is replaced.
#   --qmp-follow ARGS   with --qmp: run "scripts/qmp.py SOCK --follow
#                       CONSOLE-LOG ARGS" next to the VM (the guest's
#                       "QMP-REQ: {json}" console lines become QMP
#                       commands), its output in CONSOLE-LOG.qmp; ARGS
#                       are split at blanks (e.g. "--planted no-notify")
#   --timeout SEC       kill the VM after SEC seconds (default 300)
#   --log FILE          console log (default $CACHE/logs/vm-<time>.log)
#   --quiet             do not copy the console to stdout
# Exit code: the script's exit code, 124 on timeout, 125 if the VM ended
# without reporting one (crash, panic, QEMU start-up error).
# QEMU binary: $QEMU, else $CACHE/qemu/build/qemu-system-s390x.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kbuild='' script='' machine='' append='' timeout=300 log='' quiet=''
qmp='' qmp_follow='' follow='' fpid=''
ap=adapters=0-3,domains=0-7,reset-time-us=0
adds=() qargs=() disks=()
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-build) kbuild=$2; shift ;;
	--script) script=$2; shift ;;
	--add) adds+=("$2"); shift ;;
	--disk) disks+=("$2"); shift ;;
	--machine) machine=$2; shift ;;
	--ap) ap=$2; shift ;;
	--no-ap) ap= ;;
	--append) append=$2; shift ;;
	--qemu-arg) qargs+=("$2"); shift ;;
	--qmp) qmp=$2; shift ;;
	--qmp-follow) follow=1 qmp_follow=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--log) log=$2; shift ;;
	--quiet) quiet=1 ;;
	*) die "run-vm: unknown option '$1' (see the header of $0)" ;;
	esac
	shift
done
[ -n "$kbuild" ] || die "run-vm: --kernel-build DIR is required"
case ,$machine, in *,ap-*) die "run-vm: --machine $machine: the AP adapters are the s390-ap-emu device now: use --ap PROPS (e.g. --ap adapters=0-3,domains=0-7)" ;; esac
bz=$kbuild/arch/s390/boot/bzImage
[ -f "$bz" ] || die "run-vm: no kernel at $bz (build it with scripts/build-kernel.sh)"
QEMU=${QEMU:-$CACHE/qemu/build/qemu-system-s390x}
[ -x "$QEMU" ] || die "run-vm: no QEMU at $QEMU (build it with scripts/build-qemu.sh)"
log=${log:-$LOGDIR/vm-$(date +%Y%m%d-%H%M%S).log}
mkdir -p "$(dirname "$log")"
if [ -n "$qmp" ]; then
	case $qmp in *,*) die "run-vm: --qmp $qmp: no commas in the socket path" ;; esac
	[ ${#qmp} -lt 108 ] || die "run-vm: --qmp $qmp: a Unix socket path must be shorter than 108 bytes"
	if [ ! -d "$(dirname "$qmp")" ]; then
		mkdir -p "$(dirname "$(dirname "$qmp")")"
		mkdir -m 700 "$(dirname "$qmp")"
	fi
	[ -O "$(dirname "$qmp")" ] || die "run-vm: --qmp $qmp: its directory is not ours"
	[ ! -e "$qmp" ] || [ -S "$qmp" ] || die "run-vm: --qmp $qmp exists and is not a socket"
	rm -f "$qmp"
	qargs+=(-qmp "unix:$qmp,server=on,wait=off")
elif [ -n "$follow" ]; then
	die "run-vm: --qmp-follow needs --qmp SOCK"
fi

if [ ${#disks[@]} -gt 0 ]; then # boot from a disk: no initramfs
	[ -z "$script" ] && [ ${#adds[@]} -eq 0 ] || die "run-vm: --disk excludes --script and --add"
	boot=(-append "console=ttysclp0 root=/dev/vda rw panic=1 $append")
	i=0
	for d in "${disks[@]}"; do
		[ -f "$d" ] || die "run-vm: --disk $d does not exist"
		boot+=(-drive "file=$d,format=raw,if=none,id=disk$i" -device "virtio-blk-ccw,drive=disk$i")
		i=$((i + 1))
	done
	set -- "${boot[@]}"
else

# Base initramfs, cached per kernel build; rebuilt when the kernel or the
# builder changed.
base=$kbuild/vmtest-initramfs.cpio.gz
if [ ! -f "$base" ] || [ "$bz" -nt "$base" ] || [ "$TOP/scripts/initramfs.sh" -nt "$base" ] ||
	[ -n "$(find "$kbuild" -name '*.ko' -newer "$base" -print -quit)" ]; then
	"$TOP/scripts/initramfs.sh" "$kbuild" "$base"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root"
[ -z "$script" ] || cp "$script" "$tmp/root/test.sh"
for a in "${adds[@]}"; do
	src=${a%%:*} dst=${a#*:}
	[ -e "$src" ] || die "run-vm: --add $a: $src does not exist"
	mkdir -p "$tmp/root/$(dirname "$dst")"
	cp -a "$src" "$tmp/root/$dst"
done
(cd "$tmp/root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -1) >"$tmp/extra.cpio.gz"
cat "$base" "$tmp/extra.cpio.gz" >"$tmp/initrd.cpio.gz"
set -- -initrd "$tmp/initrd.cpio.gz" -append "console=ttysclp0 rdinit=/init panic=1 $append"
fi

apcpu=max,ap=on,apqci=on,apft=on
apargs=(-cpu max)
[ -z "$ap" ] || apargs=(-cpu "$apcpu" -device "s390-ap-emu,$ap")
cmd=("$QEMU" -M "s390-ccw-virtio${machine:+,$machine}" "${apargs[@]}" -smp 2 -m 1024
	-nographic -no-reboot -kernel "$bz" "$@" "${qargs[@]}")
echo "# ${cmd[*]}" >"$log"
# poweroff_watch PID: a disk boot (systemd) reports VMTEST-EXIT after its
# test has synced the disk, then powers off; under TCG a systemd shutdown
# took from seconds to more than 15 min (stop jobs of libvirtd and the mdev
# units). The disk is a throwaway copy, so once the exit code is on the
# console the guest gets $POWEROFF_GRACE s (default 120) to power off, and
# is then stopped; the log says so.
poweroff_watch() {
	local pid=$1 start t=0 n=0 grace=${POWEROFF_GRACE:-120}
	start=$(date +%s)
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		if [ "$t" -eq 0 ] && grep -qa 'VMTEST-EXIT: ' "$log"; then
			t=$(date +%s)
		fi
		if [ "$t" -gt 0 ] && [ $(($(date +%s) - t)) -ge "$grace" ]; then
			echo "run-vm: the guest did not power off within $grace s of its VMTEST-EXIT; stopped" | tee -a "$log" >&2
			pkill -TERM -P "$pid" 2>/dev/null || true # QEMU, timeout's child
			break
		fi
		[ $((n % 30)) -ne 0 ] ||
			printf '[vm] running for %d s, log: %s\n' "$(($(date +%s) - start))" "$log" >&2
	done
}
rc=0
if [ -n "$follow" ]; then
	# shellcheck disable=SC2086 # ARGS are split at blanks, as documented
	QMP_WAIT=60 python3 "$TOP/scripts/qmp.py" "$qmp" --follow "$log" $qmp_follow >"$log.qmp" 2>&1 &
	fpid=$!
fi
if [ -n "$quiet" ]; then
	timeout -k 5 "$timeout" "${cmd[@]}" </dev/null >>"$log" 2>&1 &
	pid=$!
	if [ ${#disks[@]} -gt 0 ]; then
		poweroff_watch "$pid"
	else
		watch vm "$pid" "$log"
	fi
	wait "$pid" || rc=$?
else
	timeout -k 5 "$timeout" "${cmd[@]}" </dev/null 2>&1 | tee -a "$log" || rc=${PIPESTATUS[0]}
fi
# the follower ends when QEMU closes the socket
[ -z "$fpid" ] || wait "$fpid" || true
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "run-vm: timeout after $timeout s, console log: $log" >&2
	exit 124
fi
ex=$(sed -n 's/^.*VMTEST-EXIT: \([0-9]*\).*$/\1/p' "$log" | tail -n 1 | tr -d '\r')
if [ -z "$ex" ]; then
	echo "run-vm: the VM ended without an exit code (QEMU exit $rc), console log: $log" >&2
	exit 125
fi
exit "$ex"
