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

# robust_count <what> <n>: add <n> to a robustness counter of the run
# (inputs, cycles, faults, bytes_verified); run.sh prints their sums.
robust_count() {
	[ -n "${VIO_ROBUST_FILE:-}" ] && echo "$1 $2" >>"$VIO_ROBUST_FILE"
	return 0
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
	# Newest first: a mirror goes before the dm devices under its legs,
	# which must not be left suspended.
	for ((j = ${#VIO_VOLUMES[@]} - 1; j >= 0; j--)); do
		v=${VIO_VOLUMES[$j]}
		dmsetup info "$v" >/dev/null 2>&1 || continue
		dmsetup resume "$v" >/dev/null 2>&1
	done
	for ((j = ${#VIO_VOLUMES[@]} - 1; j >= 0; j--)); do
		v=${VIO_VOLUMES[$j]}
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

# dm_create <name> <table>: a device of another dm target (e.g. a linear,
# error, flakey or delay device under a mirror leg); removed at exit
dm_create() {
	dmsetup create "$1" --table "$2"
	VIO_VOLUMES+=("$1")
}

# dm_swap <name> <table>: replace a live device's table (suspend, swap,
# resume), e.g. to make a mirror leg fail or come back
dm_swap() {
	dmsetup load "$1" --table "$2"
	dmsetup resume "$1"
}

# dm_devnum <name>: "major:minor" of a dm device, as vio's log lines name it
dm_devnum() {
	local d n
	for d in /sys/block/dm-*; do
		read -r n <"$d/dm/name" || continue
		[ "$n" == "$1" ] || continue
		read -r n <"$d/dev"
		echo "$n"
		return
	done
	fail "no dm device $1"
}

# dm_events <name>: the device's event counter
dm_events() {
	dmsetup info -c --noheadings -o events "$1"
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

# read_bulk <dev> <start> <count>: like read_sectors, in reads of up to
# 1 MiB (for large ranges)
read_bulk() {
	dd if="$1" bs=1M iflag=direct,skip_bytes,count_bytes \
		skip=$(($2 * 512)) count=$(($3 * 512)) status=none
}

# same_data <dev> <start> <dev> <start> <sectors>: whether two devices hold
# the same bytes in the given ranges
same_data() {
	[ "$(read_bulk "$1" "$2" "$5" | md5sum)" == "$(read_bulk "$3" "$4" "$5" | md5sum)" ]
}

# Kernel log since a mark: kmsg_mark, then kmsg_since prints new lines.
# The mark is the last line itself (its timestamp makes it unique), not a
# line count: once the ring buffer is full, old lines drop out as new ones
# come in and a count stops moving. A mark that has itself dropped out
# means everything still in the log is new.
kmsg_mark() {
	KMSG_MARK=$(dmesg | tail -n 1)
}

kmsg_since() {
	# In one write (awk's), not one per line (bash's printf): a reader
	# that stops at its first match (grep -q) must not make a later line
	# fail with SIGPIPE, and the pipeline with it (pipefail).
	dmesg | KMSG_MARK=$KMSG_MARK awk '
		{ line[NR] = $0 }
		$0 == ENVIRON["KMSG_MARK"] { from = NR + 1 }
		END {
			if (ENVIRON["KMSG_MARK"] == "" || !from)
				from = 1
			for (i = from; i <= NR; i++)
				print line[i]
		}'
}

# kmsg_dm_since: kmsg_since, device-mapper's lines only (not, e.g., what
# the kernel says about its clocks when the host is busy)
kmsg_dm_since() {
	local l
	kmsg_since | while IFS= read -r l; do
		[[ $l != *"device-mapper: "* ]] || printf '%s\n' "$l"
	done
}

# kmsg_take <array name>: device-mapper's lines since the mark into the
# array, and the mark moves past them (one dmesg per check in a loop)
kmsg_take() {
	local -n kmsg_out=$1
	local lines l
	mapfile -t lines < <(kmsg_since)
	kmsg_out=()
	for l in "${lines[@]}"; do
		[[ $l != *"device-mapper: "* ]] || kmsg_out+=("$l")
	done
	[ "${#lines[@]}" -eq 0 ] || KMSG_MARK=${lines[-1]}
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

# msg_refused <volume> <want> <words...>: the message is refused with
# EINVAL and exactly one device-mapper log line, "vio: <major:minor>: <want>"
msg_refused() {
	local v=$1 want=$2 dev got
	shift 2
	dev=$(dm_devnum "$v")
	kmsg_mark
	vio_msg "$v" "$@" >/dev/null 2>"$VIO_TMP/err" && fail "accepted: $*"
	[[ $(<"$VIO_TMP/err") == *"Invalid argument"* ]] ||
		fail "dmsetup error for '$*': $(<"$VIO_TMP/err")"
	got=$(kmsg_dm_since)
	[[ $got != *$'\n'* ]] || fail "more than one kernel log line for '$*': $got"
	[[ $got == *"vio: $dev: $want" ]] || fail "for '$*' want '$want', kernel log: $got"
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

# rate_fail <message>: a rate, share or latency missed its target. A
# failure, except on a debug kernel (VIO_DEBUG_KERNEL=1: make debugtest),
# whose speed says nothing about dm-vio's: there it is logged, and the
# test goes on to check everything else.
rate_fail() {
	if [ "${VIO_DEBUG_KERNEL:-0}" == 1 ]; then
		log "not judged on a debug kernel: $*"
		return 0
	fi
	fail "$@"
}

# within <what> <got> <want> <percent>: |got - want| <= percent of want
within() {
	python3 -c 'import sys
got, want, pct = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
err = (got - want) / want * 100
print("# %s: %.1f vs %.1f (%+.2f%%, limit ±%g%%)" % (sys.argv[1], got, want, err, pct))
sys.exit(0 if abs(err) <= pct else 1)' "$@" || rate_fail "$1 off target"
}

# ---- mirrors ----

# status_leg <status line> <leg> <field>: a mirror leg's field from a
# status line: dev, state (A, a or D), reads, writes, read_sectors,
# write_sectors, discards, flushes, errors, inflight, service_us, weight
# or in_sync (its in-sync regions)
status_leg() {
	local words l=$2 n k
	local arr=(dev state reads writes read_sectors write_sectors discards flushes errors)
	local leg=(inflight service_us weight in_sync)
	read -ra words <<<"$1"
	[ "${words[3]}" == mirror ] || fail "not a mirror's status: $1"
	n=${words[4]}
	for k in "${!arr[@]}"; do
		[ "${arr[$k]}" == "$3" ] && { echo "${words[5 + 9 * l + k]}"; return; }
	done
	for k in "${!leg[@]}"; do
		[ "${leg[$k]}" == "$3" ] && { echo "${words[5 + 9 * n + 3 + 4 * l + k]%/*}"; return; }
	done
	fail "status_leg: no field $3"
}

# status_mirror <status line> <field>: selector, region_sectors, regions or
# fallbacks from a mirror's status line
status_mirror() {
	local words b
	read -ra words <<<"$1"
	[ "${words[3]}" == mirror ] || fail "not a mirror's status: $1"
	b=$((5 + 9 * words[4]))
	case $2 in
	selector) echo "${words[b]}" ;;
	region_sectors) echo "${words[b + 1]}" ;;
	regions) echo "${words[b + 6]#*/}" ;;
	fallbacks) echo "${words[b + 3 + 4 * words[4]]}" ;;
	*) fail "status_mirror: no field $2" ;;
	esac
}

# leg_field <volume> <leg> <field>, mirror_field <volume> <field>: the
# same from the volume's status now
leg_field() {
	status_leg "$(dmsetup status "$1")" "$2" "$3"
}

mirror_field() {
	status_mirror "$(dmsetup status "$1")" "$2"
}

# leg_states <volume>: every leg's state letter, e.g. "AaD"
leg_states() {
	local words i s=
	read -ra words <<<"$(dmsetup status "$1")"
	for ((i = 0; i < words[4]; i++)); do
		s+=${words[6 + 9 * i]}
	done
	echo "$s"
}

# wait_states <volume> <states> [<seconds>]: wait (10 s by default) until
# leg_states prints <states>; fail if it does not
wait_states() {
	local i n=$((${3:-10} * 5)) s
	for ((i = 0; i < n; i++)); do
		s=$(leg_states "$1")
		[ "$s" == "$2" ] && return 0
		sleep 0.2
	done
	fail "$1: legs are '$s' after ${3:-10}s, want '$2'"
}

# leg_reads <volume>: every leg's read counter, space separated
leg_reads() {
	local words i
	read -ra words <<<"$(dmsetup status "$1")"
	for ((i = 0; i < words[4]; i++)); do
		printf '%s ' "${words[7 + 9 * i]}"
	done
	echo
}

# ---- fabric ----

# kmsg_news: what kmsg_since prints, less what the kernel notes when the
# emulator stopped the guest for a while (the clocksource watchdog, a late
# timer interrupt): nothing a test did
kmsg_news() {
	kmsg_since | grep -v 'clocksource: \|hrtimer: interrupt took' || true
}

# fabric_value <link> <key>...: from "fabric stats" on stdin, a link's (up,
# 0, 1, ...) counters (requests, payload_bytes, wire_bytes, tlps,
# model_bps, ...) or keys of its spec (gen, width, mps, lat_ns, credits),
# space separated
fabric_value() {
	local l=$1
	shift
	L=$l K="$*" awk '
		BEGIN { l = ENVIRON["L"]; if (l != "up") l = "port" l }
		$1 == l { n = split($2, w, ",")
			  for (i = 3; i <= NF; i++) w[++n] = $i
			  for (i = 1; i <= n; i++) {
				j = index(w[i], "=")
				v[substr(w[i], 1, j - 1)] = substr(w[i], j + 1)
			  }
			  found = 1 }
		END { nk = split(ENVIRON["K"], k, " ")
		      for (i = 1; i <= nk; i++) {
			if (!found || !(k[i] in v)) {
				print "fabric_value: no " k[i] " for link " l > "/dev/stderr"
				exit 1
			}
			printf "%s%s", v[k[i]], i < nk ? " " : "\n"
		      } }'
}

# fabric_field <volume> <link> <key>...: the same from the volume now
fabric_field() {
	local v=$1
	shift
	vio_msg "$v" fabric stats | fabric_value "$@"
}

# fabric_delta <stats before> <stats after> <link> <key>...: how much
# counters of a link grew between two "fabric stats" outputs, space
# separated
fabric_delta() {
	local before=$1 after=$2 l=$3
	shift 3
	{ echo "$before"; echo --; echo "$after"; } | L=$l K="$*" awk '
		BEGIN { l = ENVIRON["L"]; if (l != "up") l = "port" l; s = 0 }
		$0 == "--" { s = 1 }
		$1 == l { for (i = 3; i <= NF; i++) {
				j = index($i, "=")
				v[s, substr($i, 1, j - 1)] = substr($i, j + 1)
			  }
			  seen[s] = 1 }
		END { nk = split(ENVIRON["K"], k, " ")
		      for (i = 1; i <= nk; i++) {
			if (!seen[0] || !seen[1] || !((0, k[i]) in v) || !((1, k[i]) in v)) {
				print "fabric_delta: no " k[i] " for link " l > "/dev/stderr"
				exit 1
			}
			printf "%.0f%s", v[1, k[i]] - v[0, k[i]], i < nk ? " " : "\n"
		      } }'
}

# fabric_specs <volume>: every link's name and spec, one line each
fabric_specs() {
	vio_msg "$1" fabric stats | awk '{ print $1, $2 }'
}

# status_fabric <status line> <state|mode|links> or <status line> <link>
# <field>: the fabric part of a status line; a link's field is one of
# payload_bytes wire_bytes tlps credit_stalls busy_down_us busy_up_us
# queue_us inflight max_inflight. Counted from the end of the line, where
# the fabric part has a fixed size.
status_fabric() {
	local words=($1) n b j k
	local f=(payload_bytes wire_bytes tlps credit_stalls busy_down_us busy_up_us
		queue_us inflight max_inflight)
	n=$((words[4] + 1))
	b=$((${#words[@]} - 4 - 10 * n))
	[ "$b" -gt 4 ] && [ "${words[b]}" == fabric ] || fail "no fabric part in the status: $1"
	case $2 in
	state) echo "${words[b + 1]}"; return ;;
	mode) echo "${words[b + 2]}"; return ;;
	links) echo "${words[b + 3]}"; return ;;
	up) j=0 ;;
	*) j=$(($2 + 1)) ;;
	esac
	[ "${words[b + 4 + 10 * j]}" == "$2" ] || fail "status_fabric: no link $2 in: $1"
	for k in "${!f[@]}"; do
		[ "${f[$k]}" == "$3" ] && { echo "${words[b + 5 + 10 * j + k]}"; return; }
	done
	fail "status_fabric: no field $3"
}

# fabric_counters [<status line>]: every link's counters, one line each in
# the status line's order and format ("<link> <payload_bytes> <wire_bytes>
# <tlps> <credit_stalls> <busy_down_us> <busy_up_us> <queue_us> <inflight>
# <max_inflight>"): from the status line if given, else from "fabric
# stats" on stdin
fabric_counters() {
	if [ $# -eq 1 ]; then
		local st=($1) n b j
		n=$((st[4] + 1))
		b=$((${#st[@]} - 4 - 10 * n))
		[ "$b" -gt 4 ] && [ "${st[b]}" == fabric ] || fail "no fabric part in the status: $1"
		for ((j = 0; j < n; j++)); do
			echo "${st[*]:b + 4 + 10 * j:10}"
		done
		return
	fi
	awk '{ for (i = 3; i <= NF; i++) { j = index($i, "="); v[substr($i, 1, j - 1)] = substr($i, j + 1) }
	       l = $1; sub(/^port/, "", l)
	       print l, v["payload_bytes"], v["wire_bytes"], v["tlps"], v["credit_stalls"],
		     v["busy_down_us"], v["busy_up_us"], v["queue_us"], v["inflight"], v["max_inflight"] }'
}

# pcie_model <gen> <width> <mps> <write|read> <bytes> [...]: the PCIe link
# model for requests of <bytes>, computed here from the constants rather
# than asked of the module: "<payload B/s> <wire bytes down> <wire bytes
# up> <TLPs down> <TLPs up>", one line per link given; the rate is that of
# back-to-back requests, limited by the busier direction. A write is
# ceil(bytes / mps) TLPs of 16 B header, 6 B sequence number and LCRC, and
# 2 (Gen1/2) or 4 (Gen3+) B framing; a read is one header-only request per
# 512 B down, and completions (12 B header) of at most min(mps, 512) B of
# data up.
pcie_model() {
	python3 - "$@" <<'PY'
import math, sys
args = sys.argv[1:]
for i in range(0, len(args), 5):
    gen, width, mps = map(int, args[i:i + 3])
    kind, size = args[i + 3], int(args[i + 4])
    lane = {1: 2.5e9 * 8 / 10, 2: 5e9 * 8 / 10, 3: 8e9 * 128 / 130,
            4: 16e9 * 128 / 130, 5: 32e9 * 128 / 130}[gen] / 8
    frame = 2 if gen <= 2 else 4
    req, cpl = 16 + 6 + frame, 12 + 6 + frame
    if kind == "write":
        td, tu = math.ceil(size / mps), 0
        wd, wu = size + td * req, 0
    else:
        td, tu = math.ceil(size / 512), math.ceil(size / min(mps, 512))
        wd, wu = td * req, size + tu * cpl
    print("%.0f %d %d %d %d" % (size * lane * width / max(wd, wu), wd, wu, td, tu))
PY
}

# stall_watch <seconds> <file>: in the background (wait for it), the
# longest time (ms) any of the guest's CPUs went without running a 5 ms
# sleep, written to <file> at the end. Under emulation on a busy host a
# virtual CPU, or the whole guest, can stop for a while; a rate measured
# across such a stop says little about the module.
stall_watch() {
	python3 -c 'import os, sys, time
r, w = os.pipe()
for cpu in sorted(os.sched_getaffinity(0)):
    if os.fork() == 0:
        os.close(r)
        os.sched_setaffinity(0, {cpu})
        end, worst = time.monotonic() + float(sys.argv[1]), 0.0
        while time.monotonic() < end:
            t = time.monotonic()
            time.sleep(0.005)
            worst = max(worst, time.monotonic() - t - 0.005)
        os.write(w, b"%d\n" % int(worst * 1000))
        os._exit(0)
os.close(w)
with os.fdopen(r) as f:
    print(max(int(x) for x in f.read().split()))' "$1" >"$2" &
}

# ---- robustness ----

# inflight_now: every block device with requests in flight, with its
# reads/writes in flight (a dm device also with its name)
inflight_now() {
	local d r w n
	for d in /sys/block/*; do
		read -r r w 2>/dev/null <"$d/inflight" || continue
		[ "$((r + w))" -gt 0 ] || continue
		n=$(cat "$d/dm/name" 2>/dev/null)
		printf '%s%s %s/%s ' "${d##*/}" "${n:+($n)}" "$r" "$w"
	done
}

# busiest <seconds>: the tasks that used most CPU over that long, as
# "<comm>/<pid>:<ticks>"
busiest() {
	local f
	f=$(mktemp)
	awk '{ sub(/^[0-9]+ \(/, ""); n = $0; sub(/\).*/, "", n); sub(/^[^)]*\) /, "");
	       print FILENAME, n, $12 + $13 }' /proc/[0-9]*/stat 2>/dev/null >"$f"
	sleep "$1"
	awk '{ sub(/^[0-9]+ \(/, ""); n = $0; sub(/\).*/, "", n); sub(/^[^)]*\) /, "");
	       print FILENAME, n, $12 + $13 }' /proc/[0-9]*/stat 2>/dev/null |
		awk 'NR == FNR { t[$1] = $3; next } { d = $3 - t[$1]; if (d > 0) print d, $2 "/" $1 }' "$f" - |
		sort -rn | head -5 | awk '{ sub(/\/proc\//, "", $2); sub(/\/stat$/, "", $2); printf "%s:%s ", $2, $1 }'
	rm -f "$f"
}

# running <pid>: the process runs; not when it is gone, nor when it
# exited and bash has not reaped it yet. kill -0 succeeds on such a
# zombie, and a bash that only runs builtins (a polling loop) may not
# reap it for as long as it polls. Builtins only: no process per call.
running() {
	local st
	{ read -r st </proc/"$1"/stat; } 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# bounded <seconds> <what> <command...>: a step that must neither hang nor
# fail: "<what>: hung" if the command still runs after <seconds> (it is
# then killed), "<what>: failed" if it exits non-zero. Its output passes.
# Watched from here rather than by timeout(1): one process less per step.
bounded() {
	local secs=$1 what=$2 pid i rc=0
	shift 2
	"$@" &
	pid=$!
	for ((i = 0; i < secs * 50; i++)); do
		running "$pid" || break
		nap 0.02
	done
	if running "$pid"; then
		# Where it waits, for the report: its state and kernel stack,
		# the block devices with I/O in flight, and every blocked
		# task's stack (sysrq w; t walks other tasks' stacks, which
		# crashes UML) in the kernel log.
		log "$what: stuck in: $(tr '\n' ' ' </proc/"$pid"/stack 2>/dev/null)"
		log "$what: state $(awk '{ print $3 }' /proc/"$pid"/stat 2>/dev/null)," \
			"wchan $(cat /proc/"$pid"/wchan 2>/dev/null)," \
			"syscall $(cut -d' ' -f1 /proc/"$pid"/syscall 2>/dev/null)"
		log "$what: in flight (reads/writes): $(inflight_now)"
		log "$what: load $(cat /proc/loadavg); busiest tasks over 1 s: $(busiest 1)"
		# No wchan: reading another task's on UML trips KASAN there.
		ps -eo pid,ppid,stat,time,comm 2>&1 |
			awk -v p="$pid" '$1 == p || $2 == p || $3 !~ /^[SI]/ || $5 ~ /dmsetup|fio/' |
			sed 's/^/# ps: /'
		# Every device's status: a dm-delay leg shows what it holds.
		timeout 5 dmsetup status 2>&1 | grep -v ' vio ' | sed 's/^/# status: /'
		for v in $(dmsetup ls --target vio 2>/dev/null | awk '{ print $1 }'); do
			timeout 5 dmsetup message "$v" 0 stats 2>&1 |
				grep -v '^class .* queued=0 \|^tenant .* queued=0 path' | sed "s/^/# $v: /"
		done
		echo w >/proc/sysrq-trigger 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null
		fail "$what: hung (still running after ${secs}s)"
	fi
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "$what: failed (exit $rc)"
}

# nap <seconds>: sleep without starting a process, for polling loops
# (under emulation, starting one costs more than the nap)
nap() {
	[ -n "${VIO_NAP_FD:-}" ] || exec {VIO_NAP_FD}<> <(:)
	read -rt "$1" -u "$VIO_NAP_FD" || true
}

# fio_bg <name> <cgroup dir|-> <fio args...>: fio in the background (in
# the cgroup, if one is given), its JSON report in $VIO_TMP/<name>.json;
# sets FIO_PID. End it with fio_end.
fio_bg() {
	local name=$1 cg=$2
	shift 2
	if [ "$cg" == - ]; then
		fio --output-format=json --output="$VIO_TMP/$name.json" "$@" \
			2>"$VIO_TMP/$name.err" &
	else
		# Not cg_run: $! must be fio itself, for fio_end's signal.
		(echo "$BASHPID" >"$cg/cgroup.procs" &&
			exec fio --output-format=json --output="$VIO_TMP/$name.json" \
				"$@") 2>"$VIO_TMP/$name.err" &
	fi
	FIO_PID=$!
}

# ios_done: IOS = reads and writes the volume whose /sys/block/dm-N is
# $dsys completed
ios_done() {
	local s
	read -ra s <"$dsys/stat"
	IOS=$((s[0] + s[4]))
}

# flowing <what> [<n>]: the I/O of the fio of fio_bg goes on: <n> (16)
# more complete on the volume at $dsys within 60 s
flowing() {
	local n i
	ios_done
	n=$((IOS + ${2:-16}))
	for ((i = 0; i < 1200; i++)); do
		ios_done
		[ "$IOS" -ge "$n" ] && return 0
		running "$FIO_PID" || fail "$1: fio quit: $(cat "$VIO_TMP"/*.err)"
		nap 0.05
	done
	fail "$1: fewer than ${2:-16} I/Os completed on the volume in 60 s"
}

# fio_end <name> [stop]: wait (at most 120 s: longer means a bio that never
# completes) for the fio of fio_bg to end, or with "stop" interrupt it
# (it must still be running: nothing made it quit). Fails on any I/O or
# verify error, and on an I/O fio issued but never saw complete. Sets
# FIO_READ to the bytes it read (with verify, the bytes it verified).
fio_end() {
	local name=$1 i
	if [ "${2:-}" == stop ]; then
		running "$FIO_PID" ||
			{ cat "$VIO_TMP/$name.err" "$VIO_TMP/$name.json"; fail "fio $name quit early"; }
		kill -INT "$FIO_PID"
	fi
	for ((i = 0; i < 1200; i++)); do
		running "$FIO_PID" || break
		nap 0.1
	done
	if running "$FIO_PID"; then
		# What it waits for, and where every volume's I/O is.
		ps -eo pid,stat,wchan:32,args | awk '$4 ~ /fio/'
		for i in $(pgrep fio); do
			echo "# $i: $(tr '\n' ' ' <"/proc/$i/stack" 2>/dev/null)"
		done
		for i in /sys/block/dm-*; do
			echo "# $(<"$i/dm/name") in flight: $(<"$i/inflight")"
		done
		dmsetup status
		fail "fio $name hung: I/O still not complete after 120 s"
	fi
	wait "$FIO_PID" || true
	FIO_READ=$(python3 -c 'import json, re, sys
# Lines such as "fio: terminating on signal 2" may come first.
t = open(sys.argv[1]).read()
d = json.JSONDecoder().raw_decode(t[re.search(r"^\{", t, re.M).start():])[0]
r, bad = 0, []
for j in d["jobs"]:
    if j["error"]:
        bad.append("%s: error %d" % (j["jobname"], j["error"]))
    for dd in ("read", "write"):
        x = j[dd]
        if x["short_ios"] or x["drop_ios"]:
            bad.append("%s: %d short, %d dropped %ss" % (j["jobname"], x["short_ios"], x["drop_ios"], dd))
        if x["total_ios"] != x["clat_ns"]["N"]:
            bad.append("%s: %d %ss issued, %d completed" % (j["jobname"], x["total_ios"], dd, x["clat_ns"]["N"]))
    r += j["read"]["io_bytes"]
if bad:
    sys.exit("; ".join(bad))
print(r)' "$VIO_TMP/$name.json" 2>"$VIO_TMP/$name.check") ||
		{ cat "$VIO_TMP/$name.err"; fail "fio $name: $(<"$VIO_TMP/$name.check")"; }
	! grep -qi 'verify failed\|bad magic\|bad header\|verify type mismatch' "$VIO_TMP/$name.err" ||
		{ cat "$VIO_TMP/$name.err"; fail "fio $name: verify errors"; }
}
