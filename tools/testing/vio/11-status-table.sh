#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Status counts exactly the I/O each array received; the table line
# round-trips: "dmsetup table" output loads again unchanged.
. "$(dirname "$0")/lib.sh"

make_arrays 3 2
a=("${ARRAYS[@]}")
vio_create viot-st 6144 stripe 1 8 3 "${a[0]}" 0 "${a[1]}" 0 "${a[2]}" 2048
vol=/dev/mapper/viot-st

# One 24-sector write at 0 covers chunks 0..2: one 8-sector write each.
head -c $((24 * 512)) /dev/urandom | dd of="$vol" bs=$((24 * 512)) oflag=direct status=none
# One 48-sector read at 8 covers chunks 1..6: two 8-sector reads each.
dd if="$vol" of=/dev/null bs=$((48 * 512)) skip=1 count=1 iflag=direct status=none 2>/dev/null ||
	dd if="$vol" of=/dev/null bs=512 skip=8 count=48 iflag=direct status=none
st=($(dmsetup status viot-st))
# 0 6144 vio stripe 3 [dev state reads writes rsect wsect discards flushes errors] x3
expect_eq "status layout" "${st[3]}" stripe
expect_eq "status array count" "${st[4]}" 3
for i in 0 1 2; do
	b=$((5 + i * 9))
	expect_eq "array $i dev" "${st[$b]}" "$(majmin "${a[$i]}")"
	expect_eq "array $i state" "${st[$((b + 1))]}" A
	expect_eq "array $i writes" "${st[$((b + 3))]}" 1
	expect_eq "array $i write sectors" "${st[$((b + 5))]}" 8
	expect_eq "array $i errors" "${st[$((b + 8))]}" 0
	sys=$(dm_sysfs viot-st)/vio/arrays/$i
	expect_eq "sysfs writes $i" "$(cat "$sys/writes")" "${st[$((b + 3))]}"
	expect_eq "sysfs reads $i" "$(cat "$sys/reads")" "${st[$((b + 2))]}"
	expect_eq "sysfs read_sectors $i" "$(cat "$sys/read_sectors")" "${st[$((b + 4))]}"
done
total_read=$((st[9] + st[18] + st[27]))
expect_eq "sectors read over all arrays" "$total_read" 48

# Round trip, with and without the feature group.
for extra in "" " 1 ignore_discard"; do
	dmsetup reload viot-st --table "0 6144 vio stripe 1 8 3 ${a[0]} 0 ${a[1]} 0 ${a[2]} 2048$extra"
	dmsetup resume viot-st
	t1=$(dmsetup table viot-st)
	dmsetup create viot-st2 --table "$t1"
	VIO_VOLUMES+=(viot-st2)
	t2=$(dmsetup table viot-st2)
	expect_eq "round-tripped table" "$t2" "$t1"
	vio_remove viot-st2
	log "table: $t1"
done
case $t1 in *" 1 ignore_discard") ;; *) fail "feature missing from table: $t1" ;; esac
dmsetup reload viot-st --table "0 8192 vio linear 0 2 ${a[0]} 0 ${a[1]} 4" 2>/dev/null &&
	fail "loaded a linear table 4 sectors too long"
dmsetup reload viot-st --table "0 8188 vio linear 0 2 ${a[0]} 0 ${a[1]} 4"
dmsetup resume viot-st
expect_eq "linear table" "$(dmsetup table viot-st)" \
	"0 8188 vio linear 0 2 $(majmin "${a[0]}") 0 $(majmin "${a[1]}") 4"
dmsetup create viot-st2 --table "$(dmsetup table viot-st)"
VIO_VOLUMES+=(viot-st2)
expect_eq "linear round trip" "$(dmsetup table viot-st2)" "$(dmsetup table viot-st)"
