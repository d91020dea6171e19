#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Stage dm-vio into a kernel tree as drivers/md/dm-vio/, so it builds
# in-tree with its KUnit suites. Files are copied only when they changed,
# keeping rebuilds incremental; files that left the repo leave the tree.
#
# Usage: kunit/stage.sh <kernel tree>
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: stage.sh <kernel tree>}
dst=$tree/drivers/md/dm-vio

shopt -s nullglob
files=("$top"/dm-vio/*.[ch] "$top"/dm-vio/Kconfig "$top"/dm-vio/Kbuild "$top"/kunit/*_test.c "$top"/kunit/*.h "$top"/kunit/test_module.c)
shopt -u nullglob

mkdir -p "$dst"
for f in "${files[@]}"; do
	case $f in *.mod.c) continue ;; esac
	install -C -m 0644 "$f" "$dst/"
done
for f in "$dst"/*; do
	name=${f##*/}
	[ -e "$top/dm-vio/$name" ] || [ -e "$top/kunit/$name" ] || rm -f "$f"
done
install -C -m 0644 "$top/include/uapi/linux/dm-vio.h" "$tree/include/uapi/linux/dm-vio.h"

# Hook the directory into drivers/md once.
if ! grep -q 'dm-vio/Kconfig' "$tree/drivers/md/Kconfig"; then
	sed -i 's|^endif # MD$|source "drivers/md/dm-vio/Kconfig"\n\n&|' "$tree/drivers/md/Kconfig"
	grep -q 'dm-vio/Kconfig' "$tree/drivers/md/Kconfig"
fi
if ! grep -q 'dm-vio/' "$tree/drivers/md/Makefile"; then
	echo 'obj-$(CONFIG_DM_VIO)		+= dm-vio/' >>"$tree/drivers/md/Makefile"
fi
