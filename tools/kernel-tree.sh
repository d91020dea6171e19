#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Print the path of an unpacked linux-source-6.12 tree in dm-vio's cache,
# unpacking /usr/src/linux-source-6.12.tar.xz on first use. The cache lives
# outside the repository so KUnit and debug builds stay incremental:
# ${DM_VIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dm-vio}.
set -euo pipefail

cache=${DM_VIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dm-vio}
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1)
if [ -z "$tarball" ]; then
	echo "kernel-tree: linux-source-6.12 is not installed; run tools/install-deps.sh" >&2
	exit 1
fi

tree=$cache/linux-source-6.12
stamp=$tree/.dm-vio-unpacked
# Re-unpack when the package is updated (the stamp records the tarball).
if [ ! -e "$stamp" ] || [ "$(cat "$stamp")" != "$(stat -c '%n %s %Y' "$tarball")" ]; then
	echo "kernel-tree: unpacking $tarball into $cache" >&2
	rm -rf "$tree"
	mkdir -p "$cache"
	tar -C "$cache" -xf "$tarball"
	stat -c '%n %s %Y' "$tarball" >"$stamp"
fi
echo "$tree"
