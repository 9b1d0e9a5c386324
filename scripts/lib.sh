# shellcheck shell=bash
# Common helpers for the rig's scripts. Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything generated lives outside the repo.
CACHE=${VFIO_AP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-ap-rig}
LOGDIR=${LOGDIR:-$CACHE/logs}
mkdir -p "$CACHE" "$LOGDIR"

# Compiled objects are shared between the kernel variants' and QEMU's
# builds through ccache (Debian's), kept in the cache as well. Paths under
# $CACHE are hashed relative to it, so a second cache directory (another
# clone's VFIO_AP_CACHE) can share objects through VFIO_AP_CCACHE.
export CCACHE_DIR=${VFIO_AP_CCACHE:-$CACHE/ccache}
export CCACHE_BASEDIR=$CACHE CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}

KVER=5.10.223
KPKG_VERSION=5.10.223-1
CROSS=s390x-linux-gnu-

say() { printf '%s\n' "$*"; }
die() { printf '%s\n' "$*" >&2; exit 1; }

logfile() { printf '%s/%s.log' "$LOGDIR" "$1"; }

# run_stage NAME LOG CMD...: run CMD with output into LOG; print progress
# every 30 s; on failure print the log's tail and one line naming the stage
# and the log, then exit non-zero.
run_stage() {
	local name=$1 log=$2 start pid rc
	shift 2
	start=$(date +%s)
	say "[$name] started, log: $log"
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		kill -0 "$pid" 2>/dev/null &&
			say "[$name] running for $(($(date +%s) - start)) s, log: $log"
	done
	rc=0
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 25 "$log" | sed "s/^/[$name] | /" >&2
		die "FAILED: stage '$name' (exit $rc), log: $log"
	fi
	say "[$name] done in $(($(date +%s) - start)) s"
}
