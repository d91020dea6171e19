#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# guest-run.sh - run one shell command in a tiny nested qemu guest whose
# virtio disk is a given block device, with qemu optionally placed in a
# given cgroup v2 directory.
#
# Meant for the test VM (vm-run.sh), where it stands in for a VM that
# libvirt would start on a dm-vio device, but works on any Linux host
# with qemu. The guest boots the kernel from guest-kernel.sh with a
# per-run busybox initramfs. Its /init mounts proc, sysfs and devtmpfs,
# runs COMMAND with busybox sh (the disk is /dev/vda, / and /tmp are in
# RAM), prints a marker line with the exit status and powers off. Only
# COMMAND's output is printed, live; the script exits with its status.
#
# See README.md next to this file for usage and exit codes.
set -euo pipefail

readonly PROG=guest-run

kernel=${VIO_GUEST_KERNEL:-}
disk=
cgroup=
timeout_s=300
mem_mb=256
quiet=0
verbose=0

work=
run_pid=
reader_pid=

usage() {
	cat <<EOF
usage: ${0##*/} -k BZIMAGE -d DEV [-g CGROUP_DIR] [-t TIMEOUT_SEC] [-m MEM_MB] [-q] [-v] -- COMMAND [ARG...]

Boot BZIMAGE (from guest-kernel.sh) in qemu with DEV as its virtio disk
/dev/vda, run the shell command COMMAND there with busybox sh (ARGs are
its \$1...), print its output and exit with its status (124 timeout,
125 guest died without reporting a status, 2 usage or setup error).
  -k FILE   the guest kernel (default \$VIO_GUEST_KERNEL)
  -d DEV    block device for the guest's /dev/vda (an image file works
            too, but not on tmpfs: the disk is opened with O_DIRECT)
  -g DIR    run qemu in this cgroup v2 directory (created if missing)
  -t SEC    bound the whole run (default $timeout_s)
  -m MB     guest memory (default $mem_mb)
  -q        no timing messages on stderr
  -v        print the whole guest console, kernel messages included
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

	while getopts ":k:d:g:t:m:qvh" opt; do
		case $opt in
		k) kernel=$OPTARG ;;
		d) disk=$OPTARG ;;
		g) cgroup=$OPTARG ;;
		t) timeout_s=$OPTARG ;;
		m) mem_mb=$OPTARG ;;
		q) quiet=1 ;;
		v) verbose=1 ;;
		h) usage; exit 0 ;;
		:) usage >&2; die "option -$OPTARG needs an argument" ;;
		*) usage >&2; die "unknown option -$OPTARG" ;;
		esac
	done
	shift $((OPTIND - 1))
	cmd=("$@")
	[ ${#cmd[@]} -gt 0 ] || { usage >&2; die "no COMMAND given"; }
	[ -n "$kernel" ] || { usage >&2; die "no kernel given (-k or VIO_GUEST_KERNEL)"; }
	[ -n "$disk" ] || { usage >&2; die "no disk given (-d)"; }
	for opt in "$timeout_s" "$mem_mb"; do
		[[ $opt =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $opt"
	done
	# Under vm-run, /root (where guest-kernel.sh builds) is a tmpfs.
	[ -r "$kernel" ] ||
		die "cannot read $kernel (build it with guest-kernel.sh -o FILE)"
	[ -b "$disk" ] || [ -f "$disk" ] || die "not a block device or file: $disk"
	[ -x /bin/busybox ] || die "no /bin/busybox (install busybox-static)"
	command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64 (install qemu-system-x86)"
	command -v cpio >/dev/null || die "no cpio"
}

# The cgroup must exist before qemu starts, so that every byte of its
# I/O is charged there. The path is used as is: a systemd-style name
# such as machine-qemu\x2d1\x2dvm1.scope has a literal backslash.
setup_cgroup() {
	local d

	[ -n "$cgroup" ] || return 0
	# Create nothing outside a cgroup2 file system.
	d=$cgroup
	while [ ! -d "$d" ]; do
		d=$(dirname -- "$d")
	done
	[ "$(stat -f -c %T -- "$d")" = cgroup2fs ] ||
		die "not in a cgroup v2 file system: $cgroup"
	mkdir -p -- "$cgroup" || die "cannot create cgroup $cgroup"
	[ -f "$cgroup/cgroup.procs" ] || die "not a cgroup v2 directory: $cgroup"
}

# kvm_boots: tools/testing/vm/kvm-probe.sh
. "$(dirname "${BASH_SOURCE[0]}")/kvm-probe.sh"

# Sets accel_args. VIO_GUEST_ACCEL=kvm|tcg skips the detection, whose
# answer is cached per host boot.
pick_accel() {
	local accel=${VIO_GUEST_ACCEL:-auto} cache

	if [ "$accel" = auto ]; then
		accel=tcg
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			cache=/tmp/vio-guest-accel.$(cat /proc/sys/kernel/random/boot_id)
			if [ ! -s "$cache" ]; then
				if kvm_boots "$kernel" "$work"; then
					echo kvm
				else
					echo tcg
				fi >"$cache.$$"
				mv -f "$cache.$$" "$cache"
			fi
			accel=$(cat "$cache")
		fi
	fi
	case $accel in
	kvm) accel_args=(-accel kvm -cpu host) ;;
	tcg) accel_args=(-accel tcg -cpu max) ;;
	*) die "VIO_GUEST_ACCEL must be kvm, tcg or auto" ;;
	esac
}

# PID 1 of the nested guest. Markers carry a per-run token so COMMAND's
# own output cannot be taken for them. The console's \r\n line ends are
# left to the reader (stty would cost another exec). Should "poweroff -f"
# fail (a kernel without ACPI only halts), a reset ends qemu as well
# (-no-reboot).
read -r -d '' INIT <<'EOF' || true
#!/bin/busybox sh
export PATH=/bin HOME=/ TERM=dumb
. /guest-run.conf
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
cd /
read -r up _ </proc/uptime
echo "$TOKEN start $up"
# A subshell, not "sh /cmd.sh": every exec is slow under nested TCG.
(unset TOKEN up; . /cmd.sh) </dev/null
status=$?
echo "$TOKEN end $status"
poweroff -f
reboot -f
sleep 60
EOF
readonly INIT

# Quote $2 for busybox sh into the variable named $1 (no subshell).
sh_quote_v() {
	printf -v "$1" "'%s'" "${2//\'/\'\\\'\'}"
}

# COMMAND as a script for busybox sh, its ARGs as the positional
# parameters; sets cmd_text.
command_text() {
	local arg q

	cmd_text='set --'
	for arg in "${cmd[@]:1}"; do
		sh_quote_v q "$arg"
		cmd_text+=" $q"
	done
	cmd_text+=$'\n'"${cmd[0]}"$'\n'
}

# Append one entry to a newc cpio archive on stdout, with bash builtins
# only: in the test VM every fork costs a good part of a second, so the
# ~270 busybox applet links cannot be made with ln(1), nor the other
# small files written with cat. DATA is a file's contents or a symlink's
# target; sizes are in bytes, hence LC_ALL=C.
cpio_ino=1000
cpio_entry() {
	local LC_ALL=C
	local name=$1 mode=$2 data=${3:-} rmaj=${4:-0} rmin=${5:-0} pad

	cpio_ino=$((cpio_ino + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$cpio_ino" "$mode" 0 0 1 0 "${#data}" 0 0 "$rmaj" "$rmin" \
		$((${#name} + 1)) 0
	printf '%s\0' "$name"
	for ((pad = (110 + ${#name} + 1) % 4; pad && pad < 4; pad++)); do
		printf '\0'
	done
	printf '%s' "$data"
	for ((pad = ${#data} % 4; pad && pad < 4; pad++)); do
		printf '\0'
	done
}

# The kernel unpacks concatenated archives. The directories come first,
# then GNU cpio packs busybox straight from the host, then cpio_entry
# adds the rest: /dev/console (so no root is needed), which the kernel
# opens for init before devtmpfs is mounted, the applet links, /init,
# and COMMAND.
build_initramfs() {
	local out=$work/initramfs.cpio app d cmd_text

	for d in bin dev proc sys tmp; do
		cpio_entry "$d" $((8#40755))
	done >"$out"
	(cd / && echo bin/busybox | cpio -o -L -H newc --quiet) >>"$out" ||
		die "cannot pack /bin/busybox"
	command_text
	{
		cpio_entry dev/console $((8#20600)) '' 5 1
		for app in $(/bin/busybox --list); do
			[ "$app" = busybox ] ||
				cpio_entry "bin/$app" $((8#120777)) busybox
		done
		cpio_entry init $((8#100755)) "$INIT"$'\n'
		cpio_entry guest-run.conf $((8#100644)) "TOKEN=$token"$'\n'
		cpio_entry cmd.sh $((8#100644)) "$cmd_text"
		cpio_entry 'TRAILER!!!' 0
	} >>"$out"
}

# Start qemu under timeout(1) in the background; sets run_pid. With a
# cgroup, timeout's child joins it and only then execs qemu, so qemu
# (and each of its I/O threads) runs there from its first instruction,
# while timeout itself stays where it was. qemu splits options at
# commas, so paths have theirs doubled.
start_qemu() {
	# no_timer_check: the IO-APIC timer test is timing-sensitive and
	# panics now and then under nested TCG.
	local append="quiet console=ttyS0 panic=-1 rdinit=/init no_timer_check"
	local run=(timeout -k 5 "$timeout_s") qemu

	append+=" ${VIO_GUEST_APPEND:-}"
	qemu=(
		qemu-system-x86_64 "${accel_args[@]}" -smp 1 -m "$mem_mb"
		-nodefaults -no-user-config -display none -no-reboot
		-kernel "$kernel" -initrd "$work/initramfs.cpio" -append "$append"
		-chardev "file,id=con,path=${work//,/,,}/console.log"
		-serial chardev:con
		-drive "file=${disk//,/,,},format=raw,if=none,id=d0,cache=none,aio=threads"
		-device "virtio-blk-pci,drive=d0"
	)
	if [ -n "$cgroup" ]; then
		# shellcheck disable=SC2016 # expanded by the inner bash
		run+=("$BASH" -c 'echo $$ >"$1/cgroup.procs" || exit 126
			shift
			exec "$@"' "$PROG" "$cgroup")
	fi
	: >"$work/console.log"
	start_time=$EPOCHREALTIME
	"${run[@]}" "${qemu[@]}" </dev/null >"$work/qemu.log" 2>&1 &
	run_pid=$!
}

# Follow the console until qemu is gone (tail --pid needs it reaped
# first) and print what COMMAND wrote: the lines between the markers.
# Output that lacks a final newline gets the end marker on its line.
start_reader() {
	local line in=0 up

	tail -n +1 -s 0.1 -F --pid="$run_pid" "$work/console.log" 2>/dev/null |
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		[ "$verbose" = 0 ] || printf '%s\n' "$line"
		if [ $in = 0 ]; then
			[[ $line == "$token start "* ]] || continue
			in=1
			up=${line#"$token start "}
			[ "$quiet" = 1 ] || msg "guest up after $(elapsed) s" \
				"(kernel ${up} s, $accel_name), running command"
			continue
		fi
		if [[ $line == *"$token end "* ]]; then
			line=${line%%"$token end "*}
			[ "$verbose" = 1 ] || [ -z "$line" ] || printf '%s\n' "$line"
			in=0
			continue
		fi
		[ "$verbose" = 1 ] || printf '%s\n' "$line"
	done &
	reader_pid=$!
}

# Seconds since qemu was started, to 10 ms.
elapsed() {
	local us=$((${EPOCHREALTIME/./} - ${start_time/./}))

	printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000))
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	if [ -n "$run_pid" ]; then
		kill "$run_pid" 2>/dev/null || true
		wait "$run_pid" 2>/dev/null || true
		run_pid=
	fi
	if [ -n "$reader_pid" ]; then
		wait "$reader_pid" 2>/dev/null || true
		reader_pid=
	fi
	[ -z "$work" ] || rm -rf "$work"
}

console_tail() {
	{
		echo "---- last 50 lines of the guest console ----"
		tail -n 50 "$work/console.log" 2>/dev/null | sed 's/\r$//'
		if [ -s "$work/qemu.log" ]; then
			echo "---- qemu ----"
			cat "$work/qemu.log"
		fi
	} >&2
}

main() {
	local rc status

	parse_args "$@"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	work=$(mktemp -d "${TMPDIR:-/tmp}/guest-run.XXXXXX")
	token=$(printf '@@guest-run-%08x%08x@@' "$SRANDOM" "$SRANDOM")
	setup_cgroup
	pick_accel
	accel_name=${accel_args[1]}
	build_initramfs
	start_qemu
	start_reader
	rc=0
	wait "$run_pid" || rc=$?
	run_pid=
	wait "$reader_pid" || true
	reader_pid=

	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		console_tail
		msg "guest timed out after $timeout_s s"
		exit 124
	fi
	if [ $rc -eq 126 ] && [ -n "$cgroup" ] && [ ! -s "$work/console.log" ]; then
		console_tail
		die "cannot move qemu into $cgroup"
	fi
	status=$(sed -n "s/^.*$token end \([0-9]*\)\r*\$/\1/p" "$work/console.log" | tail -n 1)
	if [ -z "$status" ]; then
		console_tail
		msg "guest died without an exit status (qemu exit $rc)"
		exit 125
	fi
	[ "$quiet" = 1 ] || msg "command exited $status, $(elapsed) s in all"
	exit "$status"
}

main "$@"
