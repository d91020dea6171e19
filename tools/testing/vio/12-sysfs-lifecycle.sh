#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The sysfs tree follows the live table: it mirrors status, it is gone
# while the device is suspended, it is rebuilt for a swapped table with a
# different shape, and it disappears with the device. Files are read-only.
. "$(dirname "$0")/lib.sh"

make_arrays 3 2
a=("${ARRAYS[@]}")
vio_create viot-sy 8192 linear 0 2 "${a[0]}" 0 "${a[1]}" 0
sys=$(dm_sysfs viot-sy)/vio
expect_eq "nr_arrays" "$(cat "$sys/nr_arrays")" 2
expect_eq "chunk_sectors (linear)" "$(cat "$sys/chunk_sectors")" 0
expect_eq "array 1 device" "$(cat "$sys/arrays/1/device")" "$(majmin "${a[1]}")"
expect_eq "array 1 name" "$(cat "$sys/arrays/1/name")" "$(basename "${a[1]}")"
expect_eq "array 0 state" "$(cat "$sys/arrays/0/state")" alive
# vio/qos mirrors the "qos" line, key for key ("qos" is in state).
vio_msg viot-sy capacity iops=5000 bps=100m
vio_msg viot-sy class create gold res_iops=1200 res_bps=4m
vio_msg viot-sy class create bulk iops=300
vio_msg viot-sy rule add 'vm=db*' gold
line=$(vio_msg viot-sy qos)
for f in state capacity_iops capacity_bps reserved_iops reserved_bps depth \
	inflight queued classes rules tenants; do
	k=$f
	[ "$f" = state ] && k=qos
	want=$(tr ' ' '\n' <<<"$line" | sed -n "s/^$k=//p")
	[ -n "$want" ] || fail "no $k= in the qos line: $line"
	expect_eq "qos/$f" "$(cat "$sys/qos/$f")" "$want"
done
expect_eq "qos/reserved_iops" "$(cat "$sys/qos/reserved_iops")" 1200
expect_eq "qos/classes" "$(cat "$sys/qos/classes")" 3
vio_msg viot-sy rule delete 'vm=db*'
vio_msg viot-sy class delete gold
expect_eq "qos/reserved_iops after delete" "$(cat "$sys/qos/reserved_iops")" 0
expect_eq "qos/rules after delete" "$(cat "$sys/qos/rules")" 0

for f in "$sys"/* "$sys"/arrays/0/* "$sys"/qos/*; do
	[ -d "$f" ] && continue
	perm=$(stat -c '%a' "$f")
	expect_eq "mode of ${f#"$sys"/}" "$perm" 444
	(echo 1 >"$f") 2>/dev/null && fail "${f#"$sys"/} is writable"
done

dd if=/dev/zero of=/dev/mapper/viot-sy bs=12k count=1 seek=1 oflag=direct status=none
expect_eq "array 0 writes" "$(cat "$sys/arrays/0/writes")" 1
expect_eq "array 0 write_sectors" "$(cat "$sys/arrays/0/write_sectors")" 24

dmsetup suspend viot-sy
[ ! -e "$sys" ] || fail "tree present while suspended"
dmsetup resume viot-sy
expect_eq "counters kept across suspend" "$(cat "$sys/arrays/0/writes")" 1

dmsetup reload viot-sy --table "0 6144 vio stripe 1 8 3 ${a[0]} 0 ${a[1]} 0 ${a[2]} 0"
expect_eq "old tree stays until the swap" "$(cat "$sys/layout")" linear
dmsetup resume viot-sy
expect_eq "swapped layout" "$(cat "$sys/layout")" stripe
expect_eq "swapped nr_arrays" "$(cat "$sys/nr_arrays")" 3
expect_eq "swapped chunk" "$(cat "$sys/chunk_sectors")" 8
expect_eq "new table counts afresh" "$(cat "$sys/arrays/0/writes")" 0
[ -d "$sys/arrays/2" ] || fail "array 2 missing after swap"

vio_remove viot-sy
[ ! -e "$sys" ] || fail "tree left after remove"
