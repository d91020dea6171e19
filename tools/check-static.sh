#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Static checks for the kernel code: checkpatch --strict, and W=1 builds
# with sparse (C=1) against every supported kernel's headers. Any warning
# fails the run.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
fail=0

shopt -s nullglob
kernel_sources=()
for f in dm-vio/*.[ch] kunit/*.[ch] include/uapi/linux/*.h; do
	case $f in *.mod.c) ;; *) kernel_sources+=("$f") ;; esac
done
shopt -u nullglob

tree=$(bash tools/kernel-tree.sh)
echo "static: checkpatch --strict"
"$tree/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "${kernel_sources[@]}" |
	grep -v '^total: 0 errors, 0 warnings, 0 checks' >"${TMPDIR:-/tmp}/vio-checkpatch.$$" || true
if [ -s "${TMPDIR:-/tmp}/vio-checkpatch.$$" ]; then
	cat "${TMPDIR:-/tmp}/vio-checkpatch.$$" >&2
	echo "static: checkpatch found problems" >&2
	fail=1
else
	echo "static: checkpatch clean"
fi
rm -f "${TMPDIR:-/tmp}/vio-checkpatch.$$"

# Newest Debian 6.12 and 6.1 header trees.
kdirs=()
for pat in '6.12.*+deb12-amd64' '6.1.0-*-amd64'; do
	d=$(ls -d /usr/src/linux-headers-$pat 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || { echo "static: no linux-headers-$pat; run tools/install-deps.sh" >&2; exit 1; }
	kdirs+=("$d")
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for kdir in "${kdirs[@]}"; do
	rel=$(cat "$kdir/include/config/kernel.release")
	src=$work/$rel
	mkdir -p "$src"
	cp -r "$top/Kbuild" "$top/dm-vio" "$top/include" "$src/"
	echo "static: W=1 C=1 build against $rel"
	if ! make -s -C "$kdir" M="$src" CONFIG_DM_VIO=m W=1 C=1 modules >"$work/$rel.log" 2>&1; then
		cat "$work/$rel.log" >&2
		echo "static: build against $rel failed" >&2
		fail=1
	elif grep -E 'warning:|error:' "$work/$rel.log" >&2; then
		echo "static: build against $rel has warnings" >&2
		fail=1
	fi
done

[ "$fail" -eq 0 ] && echo "static: all checks passed"
exit "$fail"
