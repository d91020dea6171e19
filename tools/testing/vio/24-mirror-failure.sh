#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Mirror failure: a leg that starts failing I/O (dm-error, then dm-flakey)
# under fio leaves service without a single lost or corrupt block; a read
# error is retried on the other leg; writes made while degraded are copied
# to the leg when it is reinstated, under fio, until both legs hold the
# same bytes; the last in-sync leg cannot be failed, even while the other
# leg is being resynced.
. "$(dirname "$0")/lib.sh"

len=16384		# 8 MiB: 64 regions of 128 KiB
half=$((len / 2))
off1=2048		# leg 1's offset on its device
make_arrays 2 9
b=("${ARRAYS[@]}")
lin0="0 $len linear ${b[0]} 0"
lin1="0 $((len + off1)) linear ${b[1]} 0"
dm_create viot-l0 "$lin0"
dm_create viot-l1 "$lin1"
l1mm=$(majmin /dev/mapper/viot-l1)
vio_create viot-mf "$len" mirror 2 region_size 256 2 /dev/mapper/viot-l0 0 /dev/mapper/viot-l1 "$off1"
vol=/dev/mapper/viot-mf
sys=$(dm_sysfs viot-mf)/vio
dev=$(dm_devnum viot-mf)
wait_states viot-mf AA 30

# fio_start <name> <rw>: fio writing (and verifying) the first half of the
# volume in the background until fio_stop; returns once it writes. The
# second half is kept for known patterns.
fio_start() {
	fio --name="$1" --filename="$vol" --direct=1 --ioengine=libaio --rw="$2" \
		--bs=4k --iodepth=16 --offset=0 --size=$((half * 512)) \
		--time_based --runtime=600 --verify=crc32c --verify_backlog=64 \
		--verify_fatal=1 --output="$VIO_TMP/$1.fio" &
	FIO_PID=$!
	fio_writes 100
}

# fio_writes <n>: wait until fio has written <n> more blocks
fio_writes() {
	local i w
	w=$(<"$sys/arrays/0/writes")
	for ((i = 0; i < 600; i++)); do
		[ "$(<"$sys/arrays/0/writes")" -ge $((w + $1)) ] && return
		running "$FIO_PID" || break
		sleep 0.1
	done
	fail "fio is not writing"
}

# fio_stop <name>: stop fio (still running: no error made it quit); it
# must report no error and no block that failed to verify
fio_stop() {
	kill -INT "$FIO_PID" || { cat "$VIO_TMP/$1.fio"; fail "fio $1 had quit"; }
	wait "$FIO_PID" || true
	grep -q 'err= 0' "$VIO_TMP/$1.fio" && ! grep -qi 'verify\|bad magic' "$VIO_TMP/$1.fio" ||
		{ cat "$VIO_TMP/$1.fio"; fail "fio $1 reported errors"; }
}

# fail_degraded <fault> <table>: leg 1 starts failing (its device gets
# <table>) under fio: no error reaches fio, leg 1 is failed in the status,
# in sysfs and in the kernel log, and dm sent an event.
fail_degraded() {
	local ev lines
	ev=$(dm_events viot-mf)
	kmsg_mark
	fio_start "$1" randwrite
	dm_swap viot-l1 "$2"
	# fio runs on until the leg has failed (a flaky leg within its first
	# down interval, 1 s after the swap), and a while after that.
	wait_states viot-mf AD 30
	running "$FIO_PID" || { cat "$VIO_TMP/$1.fio"; fail "$1: fio quit"; }
	fio_writes 300
	fio_stop "$1"
	expect_eq "$1: leg states" "$(leg_states viot-mf)" AD
	expect_eq "$1: sysfs state of leg 1" "$(<"$sys/arrays/1/state")" failed
	expect_eq "$1: sysfs state of leg 0" "$(<"$sys/arrays/0/state")" alive
	[ "$(dm_events viot-mf)" -gt "$ev" ] || fail "$1: no dm event for the failure"
	[ "$(<"$sys/arrays/1/errors")" -gt 0 ] || fail "$1: leg 1 counted no error"
	expect_eq "$1: leg 0 errors" "$(<"$sys/arrays/0/errors")" 0
	lines=$(kmsg_since | grep -c "vio: $dev: array 1 ($l1mm) failed on a \(write\|read\); the mirror is degraded" || true)
	expect_eq "$1: 'failed' lines in the kernel log" "$lines" 1
	# Dirty: fio went on writing after the failure.
	[ "$(<"$sys/arrays/1/in_sync_regions")" -lt "$(<"$sys/regions")" ] ||
		fail "$1: leg 1 has no dirty region"
}

# resync_under_fio <name> <pattern sector>: a known pattern written while
# degraded; then leg 1 back (every I/O delayed 50 ms, so that the resync
# lasts) and reinstated while fio writes and verifies; afterwards the legs
# are byte-identical and leg 1 has the pattern at its offset.
resync_under_fio() {
	local pat=$VIO_TMP/pat.$1 dirty state
	random_file "$pat" 512
	dd if="$pat" of="$vol" bs=4k seek=$(($2 / 8)) oflag=direct conv=notrunc status=none
	read_bulk "${b[1]}" $((off1 + $2)) 1024 | cmp -s - "$pat" &&
		fail "$1: a write reached the failed leg"
	dm_swap viot-l1 "0 $((len + off1)) delay ${b[1]} 0 50"
	kmsg_mark
	fio_start "$1-resync" randrw
	dirty=$(($(<"$sys/regions") - $(<"$sys/arrays/1/in_sync_regions")))
	[ "$dirty" -ge 2 ] || fail "$1: only $dirty dirty regions"
	vio_msg viot-mf reinstate 1
	read -r state <"$sys/arrays/1/state"
	expect_eq "$1: sysfs state of leg 1 after reinstate" "$state" recovering
	running "$FIO_PID" || fail "$1: fio ended before the resync started"
	kmsg_since | grep -qF "vio: $dev: array 1 ($l1mm) reinstated; resyncing $dirty of 64 regions" ||
		fail "$1: no reinstate line for $dirty regions: $(kmsg_since)"
	wait_states viot-mf AA 60
	kmsg_since | grep -qF "vio: $dev: array 1 ($l1mm) is in sync" || fail "$1: no 'in sync' line"
	# Some more verified I/O with both legs in sync.
	fio_writes 200
	fio_stop "$1-resync"
	dm_swap viot-l1 "$lin1"
	same_data "${b[0]}" 0 "${b[1]}" "$off1" "$len" || fail "$1: legs differ after the resync"
	read_bulk "${b[1]}" $((off1 + $2)) 1024 | cmp -s - "$pat" ||
		fail "$1: the pattern written while degraded is not on leg 1"
	expect_eq "$1: leg 1 in-sync regions" "$(<"$sys/arrays/1/in_sync_regions")" 64
}

# A dead leg (dm-error), then a flaky one (1 s up, 1 s failing everything).
fail_degraded error "0 $((len + off1)) error"
resync_under_fio error $((half + 200))
fail_degraded flakey "0 $((len + off1)) flakey ${b[1]} 0 1 1"
resync_under_fio flakey $((half + 4000))

# A read error fails the leg and the read is retried on leg 0; the first
# write error likewise. (Round-robin with leg 1 weighted 1000 to 1 sends it
# the first read.)
vio_msg viot-mf selector round-robin
vio_msg viot-mf weight 1 1000
dm_swap viot-l1 "0 $((len + off1)) error"
kmsg_mark
dd if="$vol" bs=4k count=8 skip=100 iflag=direct status=none | cmp -s - <(read_bulk "${b[0]}" 800 64) ||
	fail "reads retried on leg 0 returned wrong data"
expect_eq "leg states after a read error" "$(leg_states viot-mf)" AD
kmsg_since | grep -qF "vio: $dev: array 1 ($l1mm) failed on a read; the mirror is degraded" ||
	fail "no 'failed on a read' line: $(kmsg_since)"
vio_msg viot-mf weight 1 1
dm_swap viot-l1 "$lin1"
vio_msg viot-mf reinstate 1
wait_states viot-mf AA 30
dm_swap viot-l1 "0 $((len + off1)) error"
kmsg_mark
dd if=/dev/urandom of="$vol" bs=4k count=1 seek=3 oflag=direct status=none ||
	fail "a write failed although leg 0 took it"
expect_eq "leg states after a write error" "$(leg_states viot-mf)" AD
kmsg_since | grep -qF "vio: $dev: array 1 ($l1mm) failed on a write; the mirror is degraded" ||
	fail "no 'failed on a write' line: $(kmsg_since)"

# Leg 1 resyncing, held up (its I/O delayed until its device is swapped
# back): leg 0 is the last in-sync leg and cannot be failed; reads go to
# leg 0 only and are right.
random_file "$VIO_TMP/all" $((len / 2))
dd if="$VIO_TMP/all" of="$vol" bs=64k oflag=direct status=none
dm_swap viot-l1 "0 $((len + off1)) delay ${b[1]} 0 30000"
vio_msg viot-mf reinstate 1
expect_eq "leg states while resyncing" "$(leg_states viot-mf)" Aa
r1=$(<"$sys/arrays/1/reads")
msg_refused viot-mf "Array 0 is the last in-sync leg; failing it would leave no copy to serve" fail 0
msg_refused viot-mf "Array 1 is not failed (state a)" reinstate 1
read_bulk "$vol" 0 "$len" | cmp -s - "$VIO_TMP/all" || fail "reads while resyncing returned wrong data"
expect_eq "leg states after the refused messages" "$(leg_states viot-mf)" Aa
expect_eq "reads sent to the resyncing leg" "$(<"$sys/arrays/1/reads")" "$r1"
dm_swap viot-l1 "$lin1"
wait_states viot-mf AA 60
same_data "${b[0]}" 0 "${b[1]}" "$off1" "$len" || fail "legs differ after the slow resync"
read_bulk "$vol" 0 "$len" | cmp -s - "$VIO_TMP/all" || fail "volume data changed"
log "error and flakey legs failed and resynced under fio; last in-sync leg kept"
