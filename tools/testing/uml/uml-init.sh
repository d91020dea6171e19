#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# PID 1 of the debug UML kernel booted by uml-run.sh (make debugtest). The
# root is the host's, over hostfs, read-only: this mounts the pseudo file
# systems and a tmpfs wherever the tests write, mounts again from the host
# what a tmpfs hid (the repository, the build, the output directory, which
# alone is writable), puts the UML kernel's modules and the module built
# for it where modprobe and run.sh look, runs the integration tests, has
# kmemleak look for leaks and powers off. Settings come from the file
# named by VIO_UML_CONF (the kernel passes it on the command line).
#
# Everything it leaves goes to the output directory: status (run.sh's exit
# status; none if anything before or around it failed), results.tap,
# dmesg.txt (followed live, so it survives a crash), kmemleak.txt.
set -uo pipefail

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 DM_DISABLE_UDEV=1

power_off() {
	echo o >/proc/sysrq-trigger
	# Should sysrq be missing: busybox does not need a running init.
	busybox poweroff -f
	sleep 60
}

fail() {
	echo "uml-init: $*"
	power_off
}

must() {
	"$@" || fail "failed: $*"
}

# host_mount <ro|rw> <host path> [<where>]: a directory of the host, at
# the same path by default, whatever is mounted above that path by now
host_mount() {
	local where=${3:-$2}

	[ -d "$where" ] || must mkdir -p "$where"
	must mount -t hostfs -o "$1,$2" none "$where"
}

# shellcheck source=/dev/null
. "$VIO_UML_CONF" || fail "cannot read $VIO_UML_CONF"

must mount -t proc proc /proc
must mount -t sysfs sysfs /sys
must mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
# Raw newlines keep the output free of carriage returns.
stty -onlcr 2>/dev/null
mkdir -p /dev/pts /dev/shm
must mount -t devpts -o mode=0620,ptmxmode=0666 devpts /dev/pts
must mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# devtmpfs lacks these; bash process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
for fs in debugfs:kernel/debug tracefs:kernel/tracing configfs:kernel/config \
	  securityfs:kernel/security cgroup2:fs/cgroup; do
	must mount -t "${fs%%:*}" "${fs%%:*}" "/sys/${fs#*:}"
done
# The same writable places as in the test VM (tools/testing/vm/vm-run.sh).
for d in tmp:1777 run:0755 var/tmp:1777 root:0700 mnt:0755 media:0755; do
	must mount -t tmpfs -o "mode=${d#*:}" tmpfs "/${d%%:*}"
done
# The host's modules are not this kernel's: only UML's own are there.
must mount -t tmpfs -o mode=0755 tmpfs /lib/modules
host_mount ro "$UML_MODULES" "/lib/modules/$(uname -r)"
for p in "${UML_HOST_RO[@]}"; do
	host_mount ro "$p"
done
host_mount rw "$UML_OUT"
# run.sh and the tests load "$top/dm-vio/dm-vio.ko": there, the module
# built for this kernel, not the repository's (built for Debian's).
must mount --bind "$UML_KO_DIR" "$UML_TOP/dm-vio"

# The kernel log, as it comes, where the host can read it after a crash.
dmesg -w >"$UML_OUT/dmesg.txt" 2>&1 &
follow=$!
# Leaks from before the tests (the boot) are not theirs.
echo scan >/sys/kernel/debug/kmemleak
echo clear >/sys/kernel/debug/kmemleak

read -r up _ </proc/uptime
echo "uml-init: $(uname -r) up after ${up}s, running the tests"
(cd "$UML_TOP" && exec bash tools/testing/vio/run.sh "${UML_TESTS[@]}")
status=$?

# Leak check. Unloading the module first turns what only it still points
# to into a leak; kmemleak reports an object once it was found
# unreferenced by a scan and is old enough, hence two scans. A kmemleak
# that turned itself off cannot scan: that is a report too.
grep -qw dm_vio /proc/modules && rmmod dm_vio
echo "uml-init: kmemleak scan"
if echo scan >/sys/kernel/debug/kmemleak && sleep 6 &&
   echo scan >/sys/kernel/debug/kmemleak; then
	cat /sys/kernel/debug/kmemleak >"$UML_OUT/kmemleak.txt"
else
	echo "uml-init: kmemleak cannot scan (off? see dmesg.txt)" >"$UML_OUT/kmemleak.txt"
fi

kill "$follow"
wait "$follow"
dmesg >"$UML_OUT/dmesg.txt"
echo "$status" >"$UML_OUT/status"
power_off
