#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Queue limits stack sensibly: io_min/io_opt from the stripe geometry,
# discard only when every array supports it and ignore_discard is unset.
. "$(dirname "$0")/lib.sh"

make_arrays 3 2
a=("${ARRAYS[@]}")
vio_create viot-ql 6144 stripe 1 16 3 "${a[0]}" 0 "${a[1]}" 0 "${a[2]}" 0
q=$(dm_sysfs viot-ql)/queue
expect_eq "minimum_io_size" "$(cat "$q/minimum_io_size")" 8192
expect_eq "optimal_io_size" "$(cat "$q/optimal_io_size")" 24576
[ "$(cat "$q/discard_max_bytes")" -gt 0 ] || fail "discard not advertised"

dmsetup reload viot-ql --table "0 6144 vio stripe 1 16 3 ${a[0]} 0 ${a[1]} 0 ${a[2]} 0 1 ignore_discard"
dmsetup resume viot-ql
expect_eq "ignore_discard" "$(cat "$q/discard_max_bytes")" 0
blkdiscard /dev/mapper/viot-ql 2>/dev/null && fail "discard accepted with ignore_discard"

# null_blk without its discard option cannot discard: neither can the volume.
modprobe null_blk nr_devices=1 gb=1
vio_create viot-ql2 8192 linear 0 2 "${a[0]}" 0 /dev/nullb0 0
expect_eq "discard with a non-discarding array" \
	"$(cat "$(dm_sysfs viot-ql2)/queue/discard_max_bytes")" 0
vio_remove viot-ql2
rmmod null_blk

vio_create viot-ql3 8192 linear 0 2 "${a[0]}" 0 "${a[1]}" 0
expect_eq "linear minimum_io_size" "$(cat "$(dm_sysfs viot-ql3)/queue/minimum_io_size")" 512
