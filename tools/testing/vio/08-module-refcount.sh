#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The module cannot be removed while a table uses it, and can afterwards;
# loading it again and "dmsetup create" work.
. "$(dirname "$0")/lib.sh"

a0=$(make_array 1)
vio_create viot-mod 2048 linear 0 1 "$a0" 0
if rmmod dm_vio 2>"$VIO_TMP/rmmod.err"; then
	fail "rmmod succeeded while a vio table is live"
fi
grep -qi 'in use' "$VIO_TMP/rmmod.err" || fail "unexpected rmmod error: $(cat "$VIO_TMP/rmmod.err")"

# An inactive (loaded, never resumed) table holds the module too.
dmsetup create viot-inact --notable
VIO_VOLUMES+=(viot-inact)
dmsetup load viot-inact --table "0 2048 vio linear 0 1 $a0 0"
vio_remove viot-mod
rmmod dm_vio 2>/dev/null && fail "rmmod succeeded while an inactive vio table exists"
vio_remove viot-inact

rmmod dm_vio || fail "rmmod failed with no vio table left"
grep -qw dm_vio /proc/modules && fail "dm_vio still loaded"
[ ! -d /sys/module/dm_vio ] || fail "/sys/module/dm_vio left behind"
insmod "$VIO_TOP/dm-vio/dm-vio.ko" || fail "insmod after rmmod failed"
vio_create viot-mod 2048 linear 0 1 "$a0" 0
vio_remove viot-mod
