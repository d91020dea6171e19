#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Volumes of both layouts come and go: size, table, sysfs tree, device node.
. "$(dirname "$0")/lib.sh"

make_arrays 3 8
a=("${ARRAYS[@]}")

vio_create viot-lin 45056 linear 0 3 "${a[0]}" 0 "${a[1]}" 0 "${a[2]}" 4096
expect_eq "linear size" "$(sectors /dev/mapper/viot-lin)" 45056
sys=$(dm_sysfs viot-lin)
expect_eq "sysfs layout" "$(cat "$sys/vio/layout")" linear
expect_eq "sysfs nr_arrays" "$(cat "$sys/vio/nr_arrays")" 3
expect_eq "array 2 sectors" "$(cat "$sys/vio/arrays/2/sectors")" 12288
expect_eq "array 2 offset" "$(cat "$sys/vio/arrays/2/offset")" 4096

vio_create viot-str 24576 stripe 1 64 3 "${a[0]}" 8192 "${a[1]}" 8192 "${a[2]}" 0
expect_eq "stripe size" "$(sectors /dev/mapper/viot-str)" 24576
sys2=$(dm_sysfs viot-str)
expect_eq "stripe chunk" "$(cat "$sys2/vio/chunk_sectors")" 64
expect_eq "stripe array 0 sectors" "$(cat "$sys2/vio/arrays/0/sectors")" 8192

vio_remove viot-lin
vio_remove viot-str
[ ! -e /dev/mapper/viot-lin ] || fail "device node left after remove"
[ ! -d "$sys/vio" ] || fail "sysfs tree left after remove"
dmsetup info viot-str >/dev/null 2>&1 && fail "viot-str still exists"
log "created and removed linear and stripe volumes"
