# shellcheck shell=bash
# Common helpers for the rig's scripts. Sourced, never run.

# (the variables set here are used by the scripts that source this file)
# shellcheck disable=SC2034
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything generated lives outside the repo.
CACHE=${VFIO_AP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-ap-rig}
mkdir -p "$CACHE"

# Logs: every top-level command (make check, make vm-test, ...) gets its own
# directory $CACHE/logs/<time>-<pid>, exported so that the scripts it runs
# log there too; $CACHE/logs/latest points to the newest one, and only the
# newest $LOG_KEEP (default 8) run directories are kept.
if [ -z "${LOGDIR:-}" ]; then
	LOGDIR=$CACHE/logs/$(date +%Y%m%d-%H%M%S)-$$
	mkdir -p "$LOGDIR"
	ln -sfn "$(basename "$LOGDIR")" "$CACHE/logs/latest"
	# prune: only directories named like ours, oldest first
	find "$CACHE/logs" -mindepth 1 -maxdepth 1 -type d -name '20[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]-*' -printf '%f\n' |
		LC_ALL=C sort | head -n "-${LOG_KEEP:-8}" | while read -r d; do rm -rf "${CACHE:?}/logs/$d"; done
fi
export LOGDIR
mkdir -p "$LOGDIR"

# One place maps kernel variants to directories: every variant NAME (base,
# series, wrongorder, static-*, anchor-6.x, ...) has its source tree in
# $CACHE/v/NAME/src and its out-of-tree build in $CACHE/v/NAME/build. The
# compiler runs in the build dir and sees the sources as ../src/... in every
# variant (ccache's base_dir rewrites absolute paths relative to the build
# dir), so identical files of different variants hash the same and share
# their objects in ccache.
vdir() { printf '%s/v/%s' "$CACHE" "${1:?vdir: variant name}"; }
vsrc() { printf '%s/src' "$(vdir "$1")"; }
vbuild() { printf '%s/build' "$(vdir "$1")"; }

# Compiled objects are shared between the kernel variants' and QEMU's
# builds through ccache (Debian's), kept in the cache as well. Paths under
# $CACHE are hashed relative to it, so a second cache directory (another
# clone's VFIO_AP_CACHE) can share objects through VFIO_AP_CCACHE.
export CCACHE_DIR=${VFIO_AP_CCACHE:-$CACHE/ccache}
export CCACHE_BASEDIR=$CACHE CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# base_dir makes the include paths relative, but s390's Makefile also passes
# the source tree to the assembler, -Wa,-I$(srctree)/arch/s390/include,
# which ccache cannot rewrite: with it in the hash no object was ever shared
# between two variants (measured: 0 of 2 vs 1 of 2 for one file built in two
# variant trees). The folder it names is the variant's own
# arch/s390/include, the same files in every 5.10 variant (neither the
# series nor the fixups touch what the assembler .includes), so it is left
# out of the hash.
export CCACHE_IGNOREOPTIONS='-Wa,-I*'
# Each run's own hit rate ("ccache --show-log-stats" with this variable set):
# the shared cache's counters mix every user's builds.
export CCACHE_STATSLOG=${CCACHE_STATSLOG:-$LOGDIR/ccache-stats.log}

# shellcheck disable=SC2034
{
	KVER=5.10.223
	KPKG_VERSION=5.10.223-1
	CROSS=s390x-linux-gnu-
}

say() { printf '%s\n' "$*"; }
die() { printf '%s\n' "$*" >&2; exit 1; }

logfile() { printf '%s/%s.log' "$LOGDIR" "$1"; }

# worktree_at REPO WT: WT is a detached git worktree of REPO (made at tag
# base if missing). It is made under a temporary name and then moved into
# place, so an interrupted run never leaves a half-made tree at WT; a
# directory at WT without .git (such a leftover from before) is replaced.
worktree_at() {
	local repo=$1 wt=$2
	if [ -d "$wt" ] && [ ! -e "$wt/.git" ]; then
		say "worktree: $wt is incomplete (an interrupted run); making it again" >&2
		rm -rf "$wt"
	fi
	[ -d "$wt" ] && return 0
	mkdir -p "$(dirname "$wt")"
	rm -rf "$wt.new"
	git -C "$repo" worktree prune
	git -C "$repo" worktree add -q --detach "$wt.new" base
	git -C "$repo" worktree move "$wt.new" "$wt"
}

# am_onto WT STAGE LOG PATCH...: apply PATCHes to the work tree WT with git
# am, deterministic commits (fixed committer date, the rig's identity); on
# failure abort the am and die naming STAGE, the patch and LOG.
am_onto() {
	local wt=$1 stage=$2 log=$3 p
	shift 3
	for p in "$@"; do
		GIT_COMMITTER_DATE='2024-08-10T00:00:00Z' git -C "$wt" -c user.name=rig -c user.email=rig@localhost \
			am -q --committer-date-is-author-date "$p" >"$log" 2>&1 || {
			git -C "$wt" am --abort >/dev/null 2>&1 || true
			die "FAILED: stage '$stage' ($(basename "$p") does not apply), log: $log"
		}
	done
}

# cache_lock: one run at a time per cache. Two runs that share $CACHE check
# out the same work trees and build in the same directories; a second make
# in a build dir deletes the first one's dependency files (seen: "fixdep:
# error opening file: arch/s390/kernel/.uv.o.d"). Every script that changes
# the cache calls this; the first one takes the lock (fd 9, inherited) and
# marks it in the environment, so the scripts it runs do not wait for it.
cache_lock() {
	[ "${VFIO_AP_CACHE_LOCKED:-}" = "$CACHE" ] && return 0
	exec 9>>"$CACHE/.lock"
	if ! flock -n 9; then
		say "waiting for another run that uses $CACHE (lock $CACHE/.lock) to finish" >&2
		flock 9
	fi
	export VFIO_AP_CACHE_LOCKED=$CACHE
}

# stage_step STAGE WHAT CMD...: a build step of a stage, quiet: prints the
# step's last output line (e.g. the path it built), or on failure its last
# 5 lines and "FAIL: STAGE: WHAT failed", and returns 1.
stage_step() {
	local st=$1 what=$2 out
	shift 2
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" | tail -n 5
		say "FAIL: $st: $what failed"
		return 1
	fi
	printf '%s\n' "$out" | tail -n 1
}

# stage_qemu STAGE: for a VM stage: build QEMU (incremental), or print
# "FAIL: STAGE: QEMU build failed, log: ..." and return 1.
stage_qemu() {
	"$TOP/scripts/build-qemu.sh" >"$(logfile "$1-qemu")" 2>&1 && return 0
	say "FAIL: $1: QEMU build failed, log: $(logfile "$1-qemu")"
	return 1
}

# stage_kernel STAGE VARIANT: for a VM stage: build VARIANT
# (scripts/variants.sh) and set KB to its build directory, or print
# "FAIL: STAGE: [VARIANT] kernel build failed, log: ..." and return 1.
stage_kernel() {
	local log
	log=$(logfile "$1-build-$2")
	KB=$("$TOP/scripts/variants.sh" "$2" 2>"$log" | tail -n 1)
	[ -f "$KB/arch/s390/boot/bzImage" ] && return 0
	say "FAIL: $1: [$2] kernel build failed, log: $log"
	return 1
}

# selftest_build TREE OUTDIR LOG: the vfio_ap kselftest of kernel TREE as
# static s390x binaries OUTDIR/vfio_ap_*_test (the form tests/selftest/host.sh
# --selftest takes); on failure the log's tail goes to stderr, status 1.
selftest_build() {
	mkdir -p "$2"
	if ! nice make -C "$1/tools/testing/selftests/vfio_ap" ARCH=s390 CC="${CROSS}gcc" \
		LDFLAGS=-static OUTPUT="$2" >"$3" 2>&1 || ! ls "$2"/vfio_ap_*_test >/dev/null 2>&1; then
		tail -n 10 "$3" >&2
		return 1
	fi
}

# matches GREP-ARGS...: true if grep finds a line of stdin, like "grep -q",
# but reads ALL of stdin. At the end of a pipeline under pipefail, grep -q
# exits at the first match, the writer's next write dies of SIGPIPE, and the
# pipeline fails with 141: a check whose answer depends on timing (seen:
# libvirt's "run_kselftest.sh printed no TAP" with the TAP right there).
# tests/lint (sigpipe) rejects "| grep -q" in scripts that set pipefail.
matches() { [ "$(grep -c "$@")" -gt 0 ]; }

# watch NAME PID LOG: while PID runs, print "[NAME] running for N s, log:
# LOG" to stderr every 30 s (long silent steps: VM runs, W=1 builds).
watch() {
	local name=$1 pid=$2 log=$3 start
	start=$(date +%s)
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || return 0
			sleep 1
		done
		kill -0 "$pid" 2>/dev/null && printf '[%s] running for %d s, log: %s\n' "$name" "$(($(date +%s) - start))" "$log" >&2
	done
	return 0
}

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
