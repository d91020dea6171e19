#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install every Debian package dm-vio needs to build, test and demo.
# Idempotent: packages already present are left alone. Must run as root
# (or through sudo). The 6.12 kernel ABI is discovered with apt, never pinned.
set -euo pipefail

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

stamp=/var/lib/apt/periodic/dm-vio-update-stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
	$SUDO apt-get update -q
	$SUDO mkdir -p "${stamp%/*}" && $SUDO touch "$stamp"
fi

newest() {
	apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -n 1
}

# Newest Debian 6.12 (bookworm-security) and 6.1 flavours for amd64.
img612=$(newest '^linux-image-6\.12\.[0-9]+\+deb12-amd64$')
hdr61=$(newest '^linux-headers-6\.1\.0-[0-9]+-amd64$')
if [ -z "$img612" ] || [ -z "$hdr61" ]; then
	echo "install-deps: cannot find Debian 6.12/6.1 kernel packages (is bookworm-security in apt sources?)" >&2
	exit 1
fi
abi612=${img612#linux-image-}

pkgs=(
	# module build, static checks
	build-essential bc bison flex libelf-dev libssl-dev kmod sparse perl python3
	"linux-headers-$abi612" "$hdr61"
	# KUnit (UML) and the debug-kernel tree; patch for the debug UML's fix
	linux-source-6.12 xz-utils patch
	# the test VM: Debian's 6.12 kernel and its modules, qemu, a static busybox, cpio
	"$img612" qemu-system-x86 busybox-static cpio
	# what the tests and the demo drive
	dmsetup fio blktrace trace-cmd linux-perf util-linux e2fsprogs
	# LVM on a volume (tools/testing/vio/42-lvm.sh)
	lvm2
	# the dmvio command-line tool (tools/dmvio)
	libdevmapper-dev libsmartcols-dev pkg-config
	# md raid1, a peer in the mirror benchmark (tools/bench/mirror.sh)
	mdadm
	# the benchmarks' plots (tools/bench/qos.sh, mirror.sh)
	gnuplot-nox
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	# The VM kernel is only booted by qemu; no initramfs or bootloader is needed.
	$SUDO env INITRD=No apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all packages present (guest kernel $abi612)"
