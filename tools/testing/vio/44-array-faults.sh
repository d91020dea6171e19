#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Array faults under load, on a 3-leg mirror while fio writes and verifies
# crc32c: a leg that errors everything (dm-error); a leg whose reads fail
# on some sectors only (dm-flakey error_reads on some ranges): each such
# read is retried on another leg and returns the right data; a leg whose
# writes fail on some sectors only (dm-error ranges); a very slow leg
# (dm-delay, 500 ms): it stays in service, reads go around it. Through
# all of them fio sees no error and verifies every block, the volume stays
# up, and after repair and reinstate the legs are byte-identical; a read
# that fails on two legs is served by the third. Then the legs fail one
# by one: while one can serve, all I/O succeeds; when the last one fails
# (on a few sectors, then on all), reads and writes fail with EIO at once
# and only where it fails (the last leg is never taken out of service,
# and nothing hangs: suspend and resume still work), and they succeed
# again as soon as it is repaired. Last, the source of a resync fails:
# with another leg in sync the copy goes on from that leg; with none, it
# pauses, and reinstate completes it once the source is repaired.
. "$(dirname "$0")/lib.sh"

len=32768		# 16 MiB: fio uses the first half, a known pattern the second
half=$((len / 2))
make_arrays 3 16
b=("${ARRAYS[@]}")
f=()
for i in 0 1 2; do
	f+=("$(losetup -n -O BACK-FILE "${b[i]}")")
	dm_create viot-af$i "0 $len linear ${b[i]} 0"
done
vio_create viot-af "$len" mirror 4 region_size 256 selector round-robin \
	3 /dev/mapper/viot-af0 0 /dev/mapper/viot-af1 0 /dev/mapper/viot-af2 0 1 nosync
vol=/dev/mapper/viot-af
dev=$(dm_devnum viot-af)
dsys=$(dm_sysfs viot-af)
random_file "$VIO_TMP/pat" $((half / 2))
dd if="$VIO_TMP/pat" of=$vol bs=64k seek=$((half / 128)) oflag=direct status=none

# fio_run <name>: fio writes and verifies the first half, until fio_end
fio_run() {
	fio_bg "$1" - --name="$1" --filename=$vol --direct=1 --ioengine=libaio \
		--rw=randwrite --bs=4k --iodepth=16 --offset=0 --size=$((half * 512)) \
		--time_based --runtime=600 --verify=crc32c --verify_backlog=64 \
		--verify_fatal=1
	flowing "$1: fio start"
}

# swap <leg> <table>: the leg's device gets another table
swap() {
	bounded 30 "leg $1: load '${2:0:60}...'" dmsetup load "viot-af$1" --table "$2"
	bounded 30 "leg $1: swap in '${2:0:60}...'" dmsetup resume "viot-af$1"
}

# fault <leg> <table>: the leg's device gets a faulty table
fault() {
	swap "$@"
	robust_count faults 1
}

# eio <what> <dd args...>: the I/O fails with EIO, at once (30 s at most)
eio() {
	local what=$1 rc=0
	shift
	timeout -k 5 30 dd "$@" status=none 2>"$VIO_TMP/dd.err" || rc=$?
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "$what: hung"
	[ "$rc" -ne 0 ] || fail "$what: succeeded, with no leg that can serve it"
	grep -q 'Input/output error' "$VIO_TMP/dd.err" || fail "$what: not EIO: $(<"$VIO_TMP/dd.err")"
	robust_count inputs 1
}

# repair <legs...>: the legs' devices back to linear, reinstated; the
# resync ends within 60 s and every leg holds the same bytes
repair() {
	local l st
	for l in "$@"; do
		swap "$l" "0 $len linear ${b[l]} 0"
		st=$(leg_states viot-af)
		[ "${st:l:1}" != D ] ||
			bounded 30 "reinstate leg $l" dmsetup message viot-af 0 reinstate "$l"
	done
	wait_states viot-af AAA 60
	cmp -s "${f[0]}" "${f[1]}" && cmp -s "${f[0]}" "${f[2]}" ||
		fail "legs differ after repairing leg(s) $*"
	robust_count bytes_verified $((3 * len * 512))
}

# pattern <what>: the second half reads back the pattern
pattern() {
	read_bulk $vol "$half" "$half" | cmp -s - "$VIO_TMP/pat" ||
		fail "$1: the volume does not read back the pattern"
	robust_count bytes_verified $((half * 512))
}

# failed_on <leg> <read|write|read or write>: the kernel log says, once,
# that the leg failed on that
failed_on() {
	local l why
	l=$(kmsg_since | grep -F "vio: $dev: array $1 ($(majmin "/dev/mapper/viot-af$1")) failed on a ") ||
		fail "leg $1: no 'failed on a' line: $(kmsg_dm_since)"
	[[ $l != *$'\n'* ]] || fail "leg $1 failed more than once: $l"
	why=${l##* failed on a }
	why=${why%%;*}
	[[ " $2 " == *" $why "* ]] || fail "leg $1 failed on a $why, not on a $2: $l"
}

# ranges <leg> <first> <step> <count> <sectors> <target words...>: a
# linear table for the leg with <count> ranges of <sectors> from <first>,
# every <step>, mapped to the target instead ("flakey <dev> <offset> ..."
# or "error": <dev> and <offset> are filled in)
ranges() {
	local l=$1 at=$2 step=$3 n=$4 k=$5 from=0 i
	shift 5
	for ((i = 0; i < n; i++, at += step)); do
		echo "$from $((at - from)) linear ${b[l]} $from"
		if [ "$1" == error ]; then
			echo "$at $k error"
		else
			echo "$at $k $1 ${b[l]} $at ${*:2}"
		fi
		from=$((at + k))
	done
	echo "$from $((len - from)) linear ${b[l]} $from"
}

# --- (a) A leg errors everything. ---
kmsg_mark
fio_run dead
fault 2 "0 $len error"
wait_states viot-af AAD 30
flowing "dead leg" 200
fio_end dead stop
robust_count bytes_verified "$FIO_READ"
failed_on 2 "read or write"
[ "$(leg_field viot-af 2 errors)" -gt 0 ] || fail "leg 2 counted no error"
pattern "leg 2 dead"
repair 2

# --- (b) Reads fail on some ranges of leg 1 (writes go through). ---
# 32 ranges of 64 sectors, one every 512 KiB, half of them in the pattern.
# fio's reads hit one: leg 1 fails, the read is served by another leg.
kmsg_mark
fio_run badread
fault 1 "$(ranges 1 256 1024 32 64 flakey 0 1 1 error_reads)"
wait_states viot-af ADA 60
flowing "read errors on leg 1" 200
fio_end badread stop
robust_count bytes_verified "$FIO_READ"
failed_on 1 read
# Reinstated with its bad sectors (the resync only writes to it), then
# the pattern read, leg 1 first (weight 1000 to 1): a read of a bad range
# fails there, and returns the right data from another leg.
bounded 30 "reinstate leg 1 with bad sectors" dmsetup message viot-af 0 reinstate 1
wait_states viot-af AAA 60
kmsg_mark
vio_msg viot-af weight 1 1000
pattern "read errors on leg 1"
expect_eq "legs after reads of bad sectors" "$(leg_states viot-af)" ADA
failed_on 1 read
vio_msg viot-af weight 1 1
repair 1
# Legs 1 and 2 both fail reads of the same ranges, and get most reads: a
# read fails on one, then on the other, and leg 0 serves it.
fault 1 "$(ranges 1 256 1024 32 64 flakey 0 1 1 error_reads)"
fault 2 "$(ranges 2 256 1024 32 64 flakey 0 1 1 error_reads)"
kmsg_mark
vio_msg viot-af weight 1 1000
vio_msg viot-af weight 2 1000
pattern "read errors on legs 1 and 2"
expect_eq "legs after reads of bad sectors on legs 1 and 2" "$(leg_states viot-af)" ADD
failed_on 1 read
failed_on 2 read
vio_msg viot-af weight 1 1
vio_msg viot-af weight 2 1
repair 1 2

# --- (c) Writes fail on a few ranges of leg 2: fio writes there. ---
kmsg_mark
fio_run badwrite
fault 2 "$(ranges 2 500 1024 8 16 error)"
wait_states viot-af AAD 60
flowing "write errors on leg 2" 200
fio_end badwrite stop
robust_count bytes_verified "$FIO_READ"
failed_on 2 "read or write"
pattern "write errors on leg 2"
repair 2

# --- (d) A very slow leg: every I/O of leg 0 takes 500 ms. ---
vio_msg viot-af selector service-time
fio_run slow
fault 0 "0 $len delay ${b[0]} 0 500"
r=$(leg_reads viot-af)
flowing "slow leg 0" 100
fio_end slow stop
robust_count bytes_verified "$FIO_READ"
expect_eq "legs with a slow leg 0" "$(leg_states viot-af)" AAA
r2=$(leg_reads viot-af)
read -ra a1 <<<"$r"
read -ra a2 <<<"$r2"
d0=$((a2[0] - a1[0])) dall=$((a2[0] + a2[1] + a2[2] - a1[0] - a1[1] - a1[2]))
log "slow leg 0 served $d0 of $dall reads"
[ "$dall" -gt 0 ] && [ $((d0 * 10)) -le "$dall" ] ||
	fail "service-time sent $d0 of $dall reads to the leg 500 ms slower"
pattern "slow leg 0"
repair 0
vio_msg viot-af selector round-robin

# --- (e) Legs fail one by one, the last one too. ---
kmsg_mark
fault 1 "0 $len error"
fault 2 "0 $len error"
dd if=/dev/urandom of=$vol bs=4k count=16 oflag=direct status=none ||
	fail "writes failed with leg 0 in service"
expect_eq "legs 1 and 2 failed" "$(leg_states viot-af)" ADD
fio_run last
flowing "one leg left" 200
fio_end last stop
robust_count bytes_verified "$FIO_READ"
pattern "one leg left"
e0=$(leg_field viot-af 0 errors)
# Reads fail on some ranges of the last leg: those reads fail, and only
# those; the leg stays in service.
fault 0 "$(ranges 0 256 1024 32 64 flakey 0 1 1 error_reads)"
eio "a read of a bad range of the last leg" if=$vol of=/dev/null bs=4k count=1 \
	skip=$(((half + 256 + 1024) / 8)) iflag=direct
read_sectors $vol "$half" 8 | cmp -s - <(head -c 4096 "$VIO_TMP/pat") ||
	fail "a read beside the bad ranges of the last leg failed or returned wrong data"
expect_eq "legs after a bad sector of the last leg" "$(leg_states viot-af)" ADD
fault 0 "0 $len error"
eio "a write with no leg left" if=/dev/urandom of=$vol bs=4k count=1 seek=7 oflag=direct
eio "a read with no leg left" if=$vol of=/dev/null bs=4k count=1 skip=9 iflag=direct
expect_eq "legs once the last one errors" "$(leg_states viot-af)" ADD
[ "$(leg_field viot-af 0 errors)" -gt "$e0" ] || fail "leg 0 counted no error"
kmsg_since | grep -q "array 0 .* failed on a" && fail "the last leg was taken out of service"
bounded 30 "suspend with no leg left" dmsetup suspend viot-af
bounded 30 "resume with no leg left" dmsetup resume viot-af
swap 0 "0 $len linear ${b[0]} 0"
dd if=/dev/urandom of=$vol bs=4k count=1 seek=7 oflag=direct status=none ||
	fail "a write failed once leg 0 was repaired"
pattern "leg 0 repaired"
repair 1 2

# --- (f) The source of a resync fails. ---
# dirty <leg>: the leg fails, the first half is written, and the leg is
# reinstated behind a slow device (writes 100 ms): a resync of 64 regions
# runs from the first in-sync leg
dirty() {
	bounded 30 "fail leg $1" dmsetup message viot-af 0 fail "$1"
	dd if=/dev/urandom of=$vol bs=64k count=$((half / 128)) oflag=direct status=none ||
		fail "writes failed with leg $1 failed"
	swap "$1" "0 $len delay ${b[$1]} 0 0 ${b[$1]} 0 100"
	bounded 30 "reinstate leg $1" dmsetup message viot-af 0 reinstate "$1"
}
# Another leg is in sync: the source fails, the copy goes on from it.
dirty 1
kmsg_mark
fault 0 "0 $len flakey ${b[0]} 0 0 1 1 error_reads"
wait_states viot-af DAA 60
failed_on 0 "resync read"
pattern "resync source failed"
repair 0
# The source is the only leg in sync and cannot read: every region stays
# dirty and the resync pauses (a line, a table event); reads fail (no
# leg can serve them), writes still succeed; once the source is repaired,
# reinstate of the recovering leg retries the regions and it catches up.
bounded 30 "fail leg 2" dmsetup message viot-af 0 fail 2
dirty 1
kmsg_mark
ev=$(dm_events viot-af)
fault 0 "0 $len flakey ${b[0]} 0 0 1 1 error_reads"
want="vio: $dev: array 1: resync paused, [0-9]+ regions unreadable; 'reinstate 1' retries"
for ((i = 0; i < 300; i++)); do
	kmsg_since | grep -qE "$want" && break
	nap 0.1
done
[ "$i" -lt 300 ] || fail "no 'resync paused' line: $(kmsg_dm_since)"
[ "$(dm_events viot-af)" -gt "$ev" ] || fail "no table event for the paused resync"
expect_eq "legs with the only source unreadable" "$(leg_states viot-af)" AaD
eio "a read with the only in-sync leg unreadable" if=$vol of=/dev/null bs=4k count=1 \
	skip=$((half / 8 + 3)) iflag=direct
dd if=/dev/urandom of=$vol bs=4k count=4 seek=5 oflag=direct status=none ||
	fail "a write failed with the only in-sync leg unreadable"
swap 0 "0 $len linear ${b[0]} 0"
swap 1 "0 $len linear ${b[1]} 0"
pattern "source repaired"
expect_eq "legs, paused, once the source is repaired" "$(leg_states viot-af)" AaD
bounded 30 "reinstate leg 1 to retry its resync" dmsetup message viot-af 0 reinstate 1
wait_states viot-af AAD 60
repair 2
log "dead, bad-sector (read, write), slow and resync-source legs; I/O failed only where no leg could serve it"
