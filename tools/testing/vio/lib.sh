#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Shared helpers for dm-vio's integration tests. Sourced by each test,
# which runs as root in the test VM (tools/testing/vm/vm-run.sh) with the
# vio target loaded. Arrays are loop devices over tmpfs files: they keep
# data, honour flush and punch holes on discard, and can differ in size.

set -euo pipefail

VIO_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
VIO_TEST=$(basename "$0" .sh)
VIO_TMP=$(mktemp -d "/tmp/$VIO_TEST.XXXXXX")
export DM_DISABLE_UDEV=1

VIO_VOLUMES=()		# dm devices this test made (names)
# Tools such as fio write state files into the working directory.
cd "$VIO_TMP"

log() {
	echo "# $*"
}

fail() {
	echo "# FAIL: $*" >&2
	exit 1
}

# expect_eq <what> <got> <want>
expect_eq() {
	[ "$2" == "$3" ] || fail "$1: got '$2', want '$3'"
}

vio_cleanup() {
	local v j
	# Clean up as much as possible, whatever fails on the way.
	set +e
	# Background helpers (fio, blktrace) must not outlive the test; those
	# started in a cgroup are not children of the job bash knows about.
	for j in $(jobs -p); do
		kill "$j" 2>/dev/null
	done
	cg_kill
	wait 2>/dev/null
	for v in "${VIO_VOLUMES[@]}"; do
		dmsetup info "$v" >/dev/null 2>&1 || continue
		dmsetup remove --retry "$v" >/dev/null || echo "# cleanup: cannot remove $v"
	done
	cg_cleanup
	# Loop devices are made in subshells ($(make_array)), so find them
	# by their backing files rather than remembering them.
	losetup -n -O NAME,BACK-FILE 2>/dev/null | while read -r l f; do
		case $f in "$VIO_TMP"/*) losetup -d "$l" 2>/dev/null || true ;; esac
	done
	rm -rf "$VIO_TMP"
}
trap vio_cleanup EXIT

# make_array <MiB> -> prints a new loop device backed by a tmpfs file
make_array() {
	local f dev
	f=$(mktemp "$VIO_TMP/array.XXXXXX")
	truncate -s "${1}M" "$f"
	losetup -f --show "$f"
}

# make_arrays <count> <MiB>: fills the ARRAYS array
make_arrays() {
	local i
	ARRAYS=()
	for ((i = 0; i < $1; i++)); do
		ARRAYS+=("$(make_array "$2")")
	done
}

# vio_create <name> <length> <vio table args...>
vio_create() {
	local name=$1 len=$2
	shift 2
	dmsetup create "$name" --table "0 $len vio $*"
	VIO_VOLUMES+=("$name")
}

vio_remove() {
	dmsetup remove "$1"
}

# sectors <blockdev>
sectors() {
	blockdev --getsz "$1"
}

# majmin <blockdev>: "major:minor" as dm prints it
majmin() {
	local mm
	mm=$(stat -Lc '%t:%T' "$1")
	echo "$((16#${mm%:*})):$((16#${mm#*:}))"
}

# dm_sysfs <name>: /sys/block/dm-N for a dm device
dm_sysfs() {
	echo "/sys/block/$(dmsetup info -c --noheadings -o blkdevname "$1")"
}

# random_file <path> <KiB>
random_file() {
	head -c "$(($2 * 1024))" /dev/urandom >"$1"
}

# read_sectors <dev> <start> <count> -> stdout
read_sectors() {
	dd if="$1" bs=512 skip="$2" count="$3" iflag=direct status=none
}

# write_file <dev> <file> <start sector>
write_file() {
	dd if="$2" of="$1" bs=512 seek="$3" oflag=direct conv=notrunc,fsync status=none
}

# Kernel log since a mark: kmsg_mark, then kmsg_since prints new lines.
kmsg_mark() {
	KMSG_MARK=$(dmesg | wc -l)
}

kmsg_since() {
	dmesg | tail -n +"$((KMSG_MARK + 1))"
}

# fio_verify <dev> <name> [extra fio args...]: write then verify crc32c
fio_verify() {
	local dev=$1 name=$2
	shift 2
	fio --name="$name" --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k --bsrange=512-64k --iodepth=16 \
		--verify=crc32c --verify_fatal=1 --do_verify=1 \
		--output="$VIO_TMP/$name.fio" "$@" ||
		{ cat "$VIO_TMP/$name.fio"; fail "fio verify on $dev"; }
}

# ---- tenants and QoS ----

VIO_CGROUPS=()		# cgroups this test made, removed deepest first

# cg_make <path below /sys/fs/cgroup>: make a cgroup (and its parents) with
# the io controller enabled above it, so that its bios carry it (dm-vio
# sees the cgroup the io controller charges). Sets CG to its directory.
cg_make() {
	local d=/sys/fs/cgroup part parts
	IFS=/ read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		grep -qw io "$d/cgroup.subtree_control" ||
			echo +io >"$d/cgroup.subtree_control"
		d="$d/$part"
		if [ ! -d "$d" ]; then
			mkdir "$d"
			VIO_CGROUPS+=("$d")
		fi
	done
	CG=$d
}

# cg_run <cgroup dir> <command...>: run a command inside a cgroup
cg_run() {
	local cg=$1
	shift
	(echo "$BASHPID" >"$cg/cgroup.procs" && exec "$@")
}

# cg_kill: kill whatever still runs in the test's cgroups, and wait for it
cg_kill() {
	local d n
	for d in "${VIO_CGROUPS[@]}"; do
		[ -f "$d/cgroup.kill" ] && echo 1 >"$d/cgroup.kill"
	done
	for d in "${VIO_CGROUPS[@]}"; do
		for ((n = 0; n < 300; n++)); do
			grep -q 'populated 0' "$d/cgroup.events" 2>/dev/null && break
			[ -d "$d" ] || break
			sleep 0.1
		done
	done
}

cg_cleanup() {
	local i
	for ((i = ${#VIO_CGROUPS[@]} - 1; i >= 0; i--)); do
		[ -d "${VIO_CGROUPS[$i]}" ] || continue
		rmdir "${VIO_CGROUPS[$i]}" ||
			echo "# cleanup: cannot remove cgroup ${VIO_CGROUPS[$i]}"
	done
}

# vio_msg <volume> <words...>: a message; its output, if any, on stdout
vio_msg() {
	local v=$1
	shift
	# "--": words such as "-1" are the message's, not dmsetup options.
	dmsetup message "$v" 0 -- "$@"
}

# tenant_field <volume> <cgroup path|root|tag> <field>: a tenant counter
# ("class" gives its class).
tenant_field() {
	vio_msg "$1" tenant list | P=$2 F=$3 awk '
		BEGIN { p = ENVIRON["P"]; f = ENVIRON["F"] }
		{ path = $NF; sub(/^path=/, "", path)
		  if (($1 == "cgroup" && path == p) || ($1 == p)) {
			if (f == "class") { print $3; exit }
			for (i = 4; i <= NF; i++) {
				n = index($i, "=")
				if (substr($i, 1, n - 1) == f) { print substr($i, n + 1); exit }
			} } }'
}

# class_field <volume> <class> <field>: a class counter from "class stats"
class_field() {
	vio_msg "$1" class stats | C=$2 F=$3 awk '
		BEGIN { c = ENVIRON["C"]; f = ENVIRON["F"] }
		$1 == c { for (i = 2; i <= NF; i++) {
			n = index($i, "=")
			if (substr($i, 1, n - 1) == f) { print substr($i, n + 1); exit } } }'
}

# class_ios <volume> <class>: I/Os of a class completed so far
class_ios() {
	class_field "$1" "$2" completed
}

# fio_json <file> <expr>: a number from fio's JSON output, e.g.
# "jobs[0]['read']['iops']"
fio_json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# within <what> <got> <want> <percent>: |got - want| <= percent of want
within() {
	python3 -c 'import sys
got, want, pct = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
err = (got - want) / want * 100
print("# %s: %.1f vs %.1f (%+.2f%%, limit ±%g%%)" % (sys.argv[1], got, want, err, pct))
sys.exit(0 if abs(err) <= pct else 1)' "$@" || fail "$1 off target"
}
