#!/usr/bin/env bash
# tests/linux-6.12/port-selftest.sh TREE: put the vfio_ap selftest patch of
# the 5.10 series (the last patch of patches/linux, owned by the selftest
# work) on top of the 6.12 series in the git tree TREE (the KSERIES=6.12
# workspace), as one commit with the same author, date and message.
# The files under tools/testing/selftests/vfio_ap/ are taken as they are;
# only the two one-line hunks outside that folder differ, because their
# context differs in 6.12: the MAINTAINERS entry (S390 VFIO AP DRIVER) and
# the TARGETS line of tools/testing/selftests/Makefile. Used to refresh the
# 6.12 series when the selftest changes; then scripts/workspace.sh export.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

tree=${1:?usage: port-selftest.sh TREE}
pdir=$TOP/patches/linux
p=$(grep -v -e '^#' -e '^[[:space:]]*$' "$pdir/series" | grep -m1 'selftests-vfio_ap') ||
	die "port-selftest: no selftest patch in $pdir/series"
patch=$pdir/$p
G=(git -C "$tree")
[ -z "$("${G[@]}" status --porcelain --untracked-files=no)" ] || die "port-selftest: $tree has uncommitted changes"
[ ! -e "$tree/tools/testing/selftests/vfio_ap" ] || die "port-selftest: $tree already has tools/testing/selftests/vfio_ap"

"${G[@]}" apply --include='tools/testing/selftests/vfio_ap/*' "$patch"

# MAINTAINERS: the selftest folder belongs to the vfio_ap driver's entry
m=$tree/MAINTAINERS
grep -qx 'F:	drivers/s390/crypto/vfio_ap\*' "$m" || die "port-selftest: no vfio_ap entry in MAINTAINERS"
sed -i 's|^F:\tdrivers/s390/crypto/vfio_ap\*$|&\nF:\ttools/testing/selftests/vfio_ap/|' "$m"
# selftests Makefile: TARGETS, alphabetically after vDSO
mk=$tree/tools/testing/selftests/Makefile
grep -qx 'TARGETS += vDSO' "$mk" || die "port-selftest: no 'TARGETS += vDSO' in $mk"
sed -i 's|^TARGETS += vDSO$|&\nTARGETS += vfio_ap|' "$mk"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git mailinfo "$tmp/msg" "$tmp/diff" <"$patch" >"$tmp/info"
author=$(sed -n 's/^Author: //p' "$tmp/info")
email=$(sed -n 's/^Email: //p' "$tmp/info")
date=$(sed -n 's/^Date: //p' "$tmp/info")
subject=$(sed -n 's/^Subject: //p' "$tmp/info")
"${G[@]}" add -A -f tools/testing/selftests/vfio_ap MAINTAINERS tools/testing/selftests/Makefile
{ echo "$subject"; echo; cat "$tmp/msg"; } |
	GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
		"${G[@]}" -c user.name="$author" -c user.email="$email" commit -q -F -
say "port-selftest: $p committed on top of the 6.12 series in $tree"
