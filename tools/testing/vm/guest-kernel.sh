#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-kernel.sh - build the tiny x86_64 kernel that guest-run.sh boots
# as a nested guest inside the test VM.
#
# Starts from "make tinyconfig" on the linux-source-6.12 tree of
# tools/kernel-tree.sh and turns on only what a busybox initramfs with a
# virtio-blk disk and a serial console needs; no modules. The build is
# kept in ${DM_VIO_CACHE:-$HOME/.cache/dm-vio}/guest-kernel and is
# incremental; when neither the configuration below, this script, the
# compiler nor the kernel tree changed since the last build, nothing is
# run at all. Prints the bzImage path on stdout; everything else goes to
# stderr.
#
# See README.md next to this file.
set -euo pipefail

readonly PROG=guest-kernel

# Options turned on over tinyconfig. Each must end up =y: a dependency
# that is missing makes the script fail rather than silently drop one.
readonly CONFIG_ON=(
	64BIT
	# output, and the console the nested command talks through
	PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE
	# the disk: virtio-blk over PCI (with MSI-X where qemu offers it)
	PCI PCI_MSI BLOCK BLK_DEV VIRTIO_MENU VIRTIO VIRTIO_PCI VIRTIO_BLK
	# an uncompressed initramfs with a busybox /init script
	BLK_DEV_INITRD BINFMT_ELF BINFMT_SCRIPT
	# what busybox sh, dd, cmp, timeout and friends expect to find
	DEVTMPFS DEVTMPFS_MOUNT PROC_FS SYSFS SHMEM TMPFS FUTEX POSIX_TIMERS
	MULTIUSER FILE_LOCKING HIGH_RES_TIMERS
	# Under nested TCG the PIT-only timer checks and TSC calibration
	# fail now and then (a panic, or lost ticks slowing the clock);
	# ACPI brings the PM timer and HPET as references and clocksources
	# that follow real time, and makes "poweroff -f" end qemu.
	ACPI X86_PM_TIMER HPET_TIMER
	# faster to unpack than tinyconfig's XZ under TCG
	KERNEL_GZIP
)
readonly CONFIG_OFF=(
	KERNEL_XZ MODULES
	# tinyconfig's TTY brings these along; the guest has no screen,
	# keyboard or pty users, and probing them costs boot time
	VT INPUT SERIO LEGACY_PTYS
)

verbose=0
copy_to=

usage() {
	cat <<EOF
usage: ${0##*/} [-o FILE] [-v]

Build (or reuse) the nested guest's kernel and print its bzImage path.
  -o FILE   also copy the bzImage to FILE and print FILE instead (the
            default cache under /root is hidden by a tmpfs in the test VM)
  -v        show the kernel build's output (default: only on failure)

Build directory: \${DM_VIO_CACHE:-\$HOME/.cache/dm-vio}/guest-kernel
EOF
}

msg() {
	echo "$PROG: $*" >&2
}

die() {
	msg "$*"
	exit 2
}

parse_args() {
	local opt

	while getopts ":o:vh" opt; do
		case $opt in
		o) copy_to=$OPTARG ;;
		v) verbose=1 ;;
		h) usage; exit 0 ;;
		:) usage >&2; die "option -$OPTARG needs an argument" ;;
		*) usage >&2; die "unknown option -$OPTARG" ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 0 ] || { usage >&2; die "unexpected argument: $1"; }
}

# Everything the result depends on besides the tree's sources: the
# option lists (this script), the compiler, and the unpack stamp of
# tools/kernel-tree.sh, which changes whenever the tree is re-unpacked.
fingerprint() {
	{
		cat "$0"
		gcc --version | head -n 1
		cat "$tree/.dm-vio-unpacked" 2>/dev/null || true
	} | sha256sum | cut -d' ' -f1
}

kmake() {
	make -C "$tree" O="$build" ARCH=x86_64 "$@"
}

# Run a build step, its output to the log (and stderr with -v).
step() {
	local rc=0

	echo "+ $*" >>"$log"
	if [ "$verbose" = 1 ]; then
		"$@" 2>&1 | tee -a "$log" >&2 || rc=$?
	else
		"$@" >>"$log" 2>&1 || rc=$?
	fi
	if [ $rc -ne 0 ]; then
		[ "$verbose" = 1 ] || tail -n 40 "$log" >&2
		die "failed: $* (log: $log)"
	fi
}

configure() {
	local args=() o missing=()

	for o in "${CONFIG_ON[@]}"; do
		args+=(--enable "$o")
	done
	for o in "${CONFIG_OFF[@]}"; do
		args+=(--disable "$o")
	done
	step kmake tinyconfig
	step "$tree/scripts/config" --file "$build/.config" "${args[@]}"
	step kmake olddefconfig
	for o in "${CONFIG_ON[@]}"; do
		grep -qx "CONFIG_$o=y" "$build/.config" || missing+=("$o")
	done
	[ ${#missing[@]} -eq 0 ] ||
		die "not enabled after olddefconfig (a dependency is missing): ${missing[*]}"
}

main() {
	local cache stamp want start

	parse_args "$@"
	tree=$(bash "$(dirname "$0")/../../kernel-tree.sh") ||
		die "no kernel tree (tools/kernel-tree.sh failed)"
	cache=${DM_VIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dm-vio}
	build=$cache/guest-kernel
	image=$build/arch/x86/boot/bzImage
	stamp=$build/.dm-vio-fingerprint
	log=$build/build.log
	mkdir -p "$build"

	# One build at a time per cache; a second caller waits, then
	# finds the fingerprint current.
	exec 9>"$build/.lock"
	flock 9

	want=$(fingerprint)
	if [ ! -f "$image" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
		start=$SECONDS
		rm -f "$stamp"
		: >"$log"
		msg "building $image (log: $log)"
		configure
		step kmake -j"$(nproc)" bzImage
		echo "$want" >"$stamp"
		msg "built in $((SECONDS - start)) s"
	fi
	if [ -n "$copy_to" ]; then
		cp -f "$image" "$copy_to" || die "cannot copy to $copy_to"
		image=$copy_to
	fi
	echo "$image"
}

main "$@"
