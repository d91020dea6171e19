#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vm-run.sh - run one command as root inside a throw-away qemu guest.
#
# The guest boots Debian's 6.12 kernel with a tiny per-run initramfs
# (static busybox + the 9p modules). Its /init mounts the host's root
# file system read-only over virtio-9p, adds the usual pseudo and tmpfs
# mounts, shares OUTDIR read-write at the same path the host uses, then
# chroots into the host tree and runs COMMAND from the caller's directory.
# COMMAND's output goes to the serial console, which is streamed live.
#
# See README.md next to this file for usage, environment and exit codes.
set -euo pipefail

readonly PROG=vm-run
readonly ROOT_TAG=hostroot
readonly OUT_TAG=vioout
# Large 9p messages make reading binaries and modules much faster; the
# virtio transport caps this at 512000 on 6.12, so ask for exactly that.
readonly MSIZE=512000
readonly GUEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

timeout_s=1800
mem_mb=2048
cpus=2
outdir=
quiet=0

work=
qemu_pid=
stream_pid=

usage() {
	cat <<EOF
usage: ${0##*/} [-t TIMEOUT_SEC] [-m MEM_MB] [-c CPUS] [-o OUTDIR] [-q] -- COMMAND [ARGS...]

Run COMMAND as root in a qemu guest booted with Debian's 6.12 kernel and
exit with its status (124 timeout, 125 guest died, 3 kernel log errors).
  -t SEC    bound the whole run (default $timeout_s)
  -m MB     guest memory (default $mem_mb)
  -c N      guest CPUs (default $cpus)
  -o DIR    output directory (default: a new /tmp/vio-vm.XXXXXX)
  -q        do not stream the guest console to stdout
EOF
}

msg() {
	echo "$PROG: $*" >&2
}

die() {
	msg "$*"
	exit 2
}

# Quote one word for a POSIX shell: the guest scripts run under busybox
# sh and the host's /bin/sh (dash), so bash's printf %q is not an option.
sh_quote() {
	printf "'%s'" "${1//\'/\'\\\'\'}"
}

parse_args() {
	local opt

	while getopts ":t:m:c:o:qh" opt; do
		case $opt in
		t) timeout_s=$OPTARG ;;
		m) mem_mb=$OPTARG ;;
		c) cpus=$OPTARG ;;
		o) outdir=$OPTARG ;;
		q) quiet=1 ;;
		h) usage; exit 0 ;;
		:) usage >&2; die "option -$OPTARG needs an argument" ;;
		*) usage >&2; die "unknown option -$OPTARG" ;;
		esac
	done
	shift $((OPTIND - 1))
	cmd=("$@")
	[ ${#cmd[@]} -gt 0 ] || { usage >&2; die "no COMMAND given"; }
	for opt in "$timeout_s" "$mem_mb" "$cpus"; do
		[[ $opt =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $opt"
	done
}

# KREL wins, then the release of a kernel tree in KDIR, then the newest
# installed Debian 6.12 kernel.
pick_kernel() {
	local f

	if [ -z "${KREL:-}" ] && [ -n "${KDIR:-}" ] &&
	   [ -f "$KDIR/include/config/kernel.release" ]; then
		KREL=$(<"$KDIR/include/config/kernel.release")
	fi
	if [ -z "${KREL:-}" ]; then
		f=$(compgen -G '/boot/vmlinuz-6.12.*+deb12-amd64' | sort -V | tail -n 1) || true
		[ -n "$f" ] || die "no /boot/vmlinuz-6.12.*+deb12-amd64 (run tools/install-deps.sh)"
		KREL=${f#/boot/vmlinuz-}
	fi
	vmlinuz=/boot/vmlinuz-$KREL
	[ -f "$vmlinuz" ] || die "missing $vmlinuz (run tools/install-deps.sh)"
	[ -d "/lib/modules/$KREL" ] || die "missing /lib/modules/$KREL (run tools/install-deps.sh)"
	[ -r "$vmlinuz" ] || die "cannot read $vmlinuz (run as root?)"
}

# kvm_boots: tools/testing/vm/kvm-probe.sh
. "$(dirname "${BASH_SOURCE[0]}")/kvm-probe.sh"
# check_kernel_log: tools/testing/vm/kernel-log.sh
. "$(dirname "${BASH_SOURCE[0]}")/kernel-log.sh"

# The probe costs a couple of seconds when KVM is broken, and its answer
# cannot change until the host reboots: remember it per boot.
probe_accel() {
	local cache

	cache=/tmp/vio-vm-accel.$(cat /proc/sys/kernel/random/boot_id)
	if [ ! -s "$cache" ]; then
		# Atomically, as runs in parallel may probe at the same time.
		if kvm_boots "$vmlinuz" "$work"; then
			echo kvm
		else
			echo tcg
		fi >"$cache.$$"
		mv -f "$cache.$$" "$cache"
	fi
	cat "$cache"
}

# Sets accel_args and accel_append. VIO_VM_ACCEL=kvm|tcg skips the
# detection.
#
# Under TCG the guest's clocksource watchdog finds the emulated TSC a
# fraction of a percent off the emulated HPET after a few minutes and
# switches every clock read to the HPET, an emulated MMIO access: the
# guest's time base, and the cost of every ktime_get_ns() (dm-vio takes
# two per bio), then change in the middle of a run. The TSC qemu emulates
# is monotonic and shared by all vCPUs, so the guest is told to keep it.
pick_accel() {
	local accel=${VIO_VM_ACCEL:-auto}

	if [ "$accel" = auto ]; then
		accel=tcg
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			accel=$(probe_accel)
			[ "$accel" = kvm ] || [ "$quiet" = 1 ] ||
				msg "/dev/kvm cannot run this kernel, using TCG"
		fi
	fi
	case $accel in
	kvm) accel_args=(-accel kvm -cpu host) ;;
	tcg) accel_append="tsc=reliable"
	     case ${VIO_VM_TCG:-multi} in
	     multi) accel_args=(-accel "tcg,thread=multi" -cpu max) ;;
	     # One host thread runs all vCPUs, and guest time is the count of
	     # instructions executed (1 ns each), skipping ahead while every
	     # vCPU idles: the guest's timings no longer depend on the host's
	     # load, so a rate measured inside is the inverse of the
	     # instructions it costs, reproducible to 0.1 %.
	     icount) accel_args=(-accel "tcg,thread=single" -cpu max
				 -icount "shift=0,sleep=off") ;;
	     *) die "VIO_VM_TCG must be multi or icount" ;;
	     esac ;;
	*) die "VIO_VM_ACCEL must be kvm, tcg or auto" ;;
	esac
}

setup_outdir() {
	if [ -z "$outdir" ]; then
		outdir=$(mktemp -d /tmp/vio-vm.XXXXXX)
	else
		mkdir -p "$outdir"
	fi
	# The guest mounts OUTDIR at the host's physical path.
	outdir=$(cd "$outdir" && pwd -P)
	rm -f "$outdir/status" "$outdir/dmesg.txt" "$outdir/console.log" \
		"$outdir/qemu.log"
}

# Paths of the modules /init loads, dependencies first: 9p over virtio
# for the host tree, and configfs, which Debian builds as a module but
# the guest should have mounted. Note that "modprobe A B" would treat B
# as a parameter of A, hence -a. Built-in ones show up as "builtin X".
module_chain() {
	modprobe -a --show-depends -S "$KREL" 9p 9pnet_virtio configfs |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# busybox insmod cannot read compressed modules.
unpack_module() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.zst) zstd -dcq "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac >"$2"
}

# The directories /init covers with a tmpfs, with their modes.
readonly TMPFS_DIRS='tmp:1777 run:0755 var/tmp:1777 root:0700 mnt:0755 media:0755'

# Is the caller's directory hidden by one of those tmpfs mounts? Then
# /init carries it over from the 9p view (read-only) so "cd" works.
cwd_shadowed() {
	local d

	for d in $TMPFS_DIRS; do
		d=/${d%%:*}
		case $cwd/ in "$d"/*) return 0 ;; esac
	done
	return 1
}

# Settings /init reads; every value is quoted for busybox sh.
write_config() {
	local shadow=0

	cwd_shadowed && shadow=1
	{
		echo "ROOT_TAG=$ROOT_TAG"
		echo "OUT_TAG=$OUT_TAG"
		echo "MSIZE=$MSIZE"
		echo "TMPFS_DIRS=$(sh_quote "$TMPFS_DIRS")"
		echo "OUTDIR=$(sh_quote "$outdir")"
		echo "CWD=$(sh_quote "$cwd")"
		echo "CWD_SHADOWED=$shadow"
	} >"$1"
}

# The wrapper the host's /bin/sh runs inside the chroot: it starts from
# an empty environment (env -i), so list every variable COMMAND gets.
write_command() {
	local name arg line

	{
		echo "# generated by vm-run.sh"
		echo "cd $(sh_quote "$cwd") || exit 126"
		echo "unset OLDPWD"
		echo "export PATH=$(sh_quote "$GUEST_PATH")"
		echo "export HOME=/root TERM=dumb LANG=C.UTF-8 DM_DISABLE_UDEV=1"
		while IFS= read -r name; do
			[[ $name =~ ^VIO_[A-Za-z0-9_]*$ ]] || continue
			case $name in VIO_OUT|VIO_GUEST) continue ;; esac
			echo "export $name=$(sh_quote "${!name}")"
		done < <(compgen -e)
		echo "export VIO_OUT=$(sh_quote "$outdir") VIO_GUEST=1"
		line='exec'
		for arg in "${cmd[@]}"; do
			line+=" $(sh_quote "$arg")"
		done
		echo "$line"
	} >"$1"
}

# PID 1. It stays this busybox shell for the whole run: COMMAND is only
# ever a child, so a crash in it cannot take init down with it and panic
# the guest. Anything that goes wrong before COMMAND runs powers off
# without a status file, which the host reports as a dead guest.
write_init() {
	cat >"$1" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
. /vio.conf

power_off() {
	poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 60
}

fail() {
	echo "vm-run guest: $*"
	power_off
}

must() {
	"$@" || fail "failed: $*"
}

mount_9p() {
	must mount -t 9p -o "trans=virtio,version=9p2000.L,msize=$MSIZE,$3" "$1" "$2"
}

must mount -t proc proc /proc
must mount -t sysfs sysfs /sys
must mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
for m in /modules/*.ko; do
	must insmod "$m"
done

# The host tree does not change during a run, so cache it loosely.
mount_9p "$ROOT_TAG" /host ro,cache=loose
H=/host
must mount -t proc proc $H/proc
must mount -t sysfs sysfs $H/sys
must mount -t devtmpfs devtmpfs $H/dev
mkdir -p $H/dev/pts $H/dev/shm
must mount -t devpts -o mode=0620,ptmxmode=0666 devpts $H/dev/pts
must mount -t tmpfs -o mode=1777 tmpfs $H/dev/shm
# devtmpfs lacks these; bash process substitution needs /dev/fd.
ln -sf /proc/self/fd $H/dev/fd
ln -sf /proc/self/fd/0 $H/dev/stdin
ln -sf /proc/self/fd/1 $H/dev/stdout
ln -sf /proc/self/fd/2 $H/dev/stderr
# What "kmod static-nodes" does on a normal boot: nodes whose first open
# loads their module, e.g. /dev/loop-control for losetup.
while read -r mod node dev; do
	case $mod in '#'*|'') continue ;; esac
	[ -e "$H/dev/$node" ] && continue
	mkdir -p "$(dirname "$H/dev/$node")"
	type=c
	case $dev in b*) type=b ;; esac
	dev=${dev#?}
	mknod -m 600 "$H/dev/$node" $type "${dev%:*}" "${dev#*:}"
done <"$H/lib/modules/$(uname -r)/modules.devname"
# A kernel built without one of these just lacks its mount point.
for fs in debugfs:kernel/debug tracefs:kernel/tracing \
	  configfs:kernel/config cgroup2:fs/cgroup; do
	[ -d $H/sys/${fs#*:} ] || continue
	must mount -t ${fs%%:*} ${fs%%:*} $H/sys/${fs#*:}
done

if [ "$CWD_SHADOWED" = 1 ]; then
	mkdir -p /cwd
	must mount --bind "$H$CWD" /cwd
fi
for d in $TMPFS_DIRS; do
	[ -d "$H/${d%%:*}" ] || continue
	must mount -t tmpfs -o mode=${d#*:} tmpfs "$H/${d%%:*}"
done
if [ "$CWD_SHADOWED" = 1 ]; then
	mkdir -p "$H$CWD"
	must mount --move /cwd "$H$CWD"
fi
# Results must reach the host at once: no caching on OUTDIR.
mkdir -p "$H$OUTDIR"
mount_9p "$OUT_TAG" "$H$OUTDIR" rw,cache=none

# The kernel runs its module autoloader (e.g. "dm-zero" when a table
# names that target, char-major-10-236 for /dev/mapper/control) from
# the initramfs root, which has no modprobe: send it into the host tree.
printf '#!/bin/sh\nexec chroot %s /sbin/modprobe "$@"\n' $H >/bin/vio-modprobe
chmod 755 /bin/vio-modprobe
echo /bin/vio-modprobe >/proc/sys/kernel/modprobe

must mkdir -p $H/run/vio
must cp /vio-cmd.sh $H/run/vio/cmd.sh
# Raw newlines keep COMMAND's output free of carriage returns.
stty -onlcr 2>/dev/null
read -r up _ </proc/uptime
echo "vm-run: guest $(uname -r) up after ${up}s, running command"
chroot $H /usr/bin/env -i /bin/sh /run/vio/cmd.sh </dev/null >/dev/console 2>&1
status=$?

dmesg >"$H$OUTDIR/dmesg.txt"
echo $status >"$H$OUTDIR/status"
sync
power_off
EOF
	chmod 755 "$1"
}

build_initramfs() {
	local root=$work/root path name n=0

	mkdir -p "$root"/{bin,dev,proc,sys,host,modules}
	cp /bin/busybox "$root/bin/busybox"
	# The kernel opens /dev/console for init before devtmpfs exists.
	[ "$(id -u)" -ne 0 ] || mknod -m 600 "$root/dev/console" c 5 1
	while IFS= read -r path; do
		n=$((n + 1))
		name=${path##*/}
		unpack_module "$path" \
			"$root/modules/$(printf '%02d' $n)-${name%.ko*}.ko"
	done < <(module_chain)
	[ $n -gt 0 ] || die "cannot resolve the 9p modules for $KREL"
	write_config "$root/vio.conf"
	write_command "$root/vio-cmd.sh"
	write_init "$root/init"
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) \
		>"$work/initramfs.cpio"
}

# qemu splits options at commas; a literal comma is written twice.
qemu_path() {
	printf '%s' "${1//,/,,}"
}

# Start qemu in the background under timeout(1); sets qemu_pid.
start_qemu() {
	# A log big enough for the whole run: the fuzz tests log thousands of
	# refusals, and the log is checked for errors once, at the end.
	local append="console=ttyS0 panic=-1 quiet rdinit=/init printk.devkmsg=on log_buf_len=16M"

	append+=" ${accel_append:-} ${VIO_VM_APPEND:-}"
	timeout -k 5 "$timeout_s" qemu-system-x86_64 \
		"${accel_args[@]}" -smp "$cpus" -m "$mem_mb" \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$vmlinuz" -initrd "$work/initramfs.cpio" \
		-append "$append" \
		-chardev "file,id=con,path=$(qemu_path "$outdir/console.log")" \
		-serial chardev:con \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device "virtio-9p-pci,fsdev=root,mount_tag=$ROOT_TAG" \
		-fsdev "local,id=out,path=$(qemu_path "$outdir"),security_model=none,multidevs=remap" \
		-device "virtio-9p-pci,fsdev=out,mount_tag=$OUT_TAG" \
		</dev/null >"$outdir/qemu.log" 2>&1 &
	qemu_pid=$!
}

# Follow the console until qemu is gone (tail --pid needs qemu reaped
# first: a zombie still counts as alive). Kernel lines end in \r\n; the
# kernel's own "Power down" notice at the end of every run is noise.
start_stream() {
	[ "$quiet" = 0 ] || return 0
	touch "$outdir/console.log"
	tail -n +1 -s 0.1 -F --pid="$qemu_pid" "$outdir/console.log" 2>/dev/null |
		sed -u -e 's/\r$//' -e '/^\[ *[0-9.]*\] reboot: Power down$/d' &
	stream_pid=$!
}

# Runs on every exit: stop qemu first so tail ends by itself.
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
		qemu_pid=
	fi
	if [ -n "$stream_pid" ]; then
		wait "$stream_pid" 2>/dev/null || true
		stream_pid=
	fi
	[ -z "$work" ] || rm -rf "$work"
}

console_tail() {
	echo "---- last 200 lines of $outdir/console.log ----"
	tail -n 200 "$outdir/console.log" 2>/dev/null | sed 's/\r$//'
	if [ -s "$outdir/qemu.log" ]; then
		echo "---- $outdir/qemu.log ----"
		cat "$outdir/qemu.log"
	fi
}

main() {
	local rc status

	parse_args "$@"
	cwd=$(pwd -P)
	pick_kernel
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	work=$(mktemp -d /tmp/vio-vm-work.XXXXXX)
	setup_outdir
	pick_accel
	build_initramfs
	start_qemu
	start_stream
	rc=0
	wait "$qemu_pid" || rc=$?
	qemu_pid=
	if [ -n "$stream_pid" ]; then
		wait "$stream_pid" || true
		stream_pid=
	fi

	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		console_tail
		msg "guest timed out after $timeout_s s (output in $outdir)"
		exit 124
	fi
	status=$(cat "$outdir/status" 2>/dev/null) || true
	if ! [[ $status =~ ^[0-9]+$ ]]; then
		console_tail
		check_kernel_log "$outdir" || true
		msg "guest died without an exit status (output in $outdir)"
		exit 125
	fi
	if ! check_kernel_log "$outdir"; then
		msg "kernel log has errors (output in $outdir)"
		exit 3
	fi
	if [ "$status" -ne 0 ]; then
		# With -q nothing was shown yet; show why it failed.
		[ "$quiet" = 0 ] || console_tail
		msg "command exited $status (output in $outdir)"
	fi
	exit "$status"
}

main "$@"
