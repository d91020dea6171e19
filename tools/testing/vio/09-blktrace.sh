#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# blktrace on the arrays shows dm's remap events: each write to a volume
# sector appears on the array and array sector the layout says, and a FUA
# write stays FUA.
. "$(dirname "$0")/lib.sh"

make_arrays 3 2
a=("${ARRAYS[@]}")
vio_create viot-bt 12000 stripe 1 8 3 "${a[0]}" 0 "${a[1]}" 8 "${a[2]}" 16
vol=/dev/mapper/viot-bt
volid=$(dmsetup info -c --noheadings -o major,minor --separator , viot-bt)

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
cd "$VIO_TMP"
blktrace -d "${a[0]}" -d "${a[1]}" -d "${a[2]}" -d "$vol" -D trace &
bt=$!
sleep 1
# Volume chunk 4 -> array 1 chunk 1 (array sector 8 + 8 = 16);
# volume chunk 8 -> array 2 chunk 2 (array sector 16 + 16 = 32).
random_file "$VIO_TMP/c" 4
write_file "$vol" "$VIO_TMP/c" 32
write_file "$vol" "$VIO_TMP/c" 64
sleep 1
kill -INT "$bt"
wait "$bt" || true
for d in "${a[@]}"; do
	blkparse -D trace -i "$(basename "$d")" >>parsed.txt
done
# Remap lines read: "<dev> ... A WS <sector> + <n> <- (<maj,min>) <from>".
want_remap() {
	local dev=$1 to=$2 from=$3 devid
	devid=$(majmin "$dev")
	devid=${devid/:/,}
	awk -v d="$devid" -v to="$to" -v from="$from" -v src="($volid)" '
		$6 == "A" && $1 == d && $8 == to && $12 == src && $13 == from { found = 1 }
		END { exit !found }' parsed.txt ||
		{ grep ' A ' parsed.txt | head -20; fail "no remap of volume sector $from to $dev sector $to"; }
}
want_remap "${a[1]}" 16 32
want_remap "${a[2]}" 32 64

# FUA survives the remap. Loop devices do not offer FUA, a null_blk with
# a write cache does: a volume over it plus a loop device offers FUA too,
# and an O_DSYNC direct write to volume sector 2048 reaches null_blk
# sector 1024 + 0 (linear: the loop device holds volume sectors 0..2047)
# as a FUA write.
modprobe null_blk nr_devices=1 gb=1 memory_backed=1 cache_size=16
trap 'vio_cleanup; rmmod null_blk 2>/dev/null' EXIT
vio_create viot-fua 4096 linear 0 2 "${a[0]}" 2048 /dev/nullb0 1024
expect_eq "volume FUA" "$(cat "$(dm_sysfs viot-fua)/queue/fua")" 1
blktrace -d /dev/nullb0 -D fua &
bt=$!
sleep 1
dd if="$VIO_TMP/c" of=/dev/mapper/viot-fua bs=512 seek=2048 oflag=direct,dsync conv=notrunc status=none
sleep 1
kill -INT "$bt"
wait "$bt" || true
blkparse -D fua -i nullb0 >fua.txt
awk '$6 == "A" && $8 == 1024 && $7 ~ /F/ { found = 1 } END { exit !found }' fua.txt ||
	{ grep ' A ' fua.txt | head; fail "FUA lost in the remap to null_blk"; }
log "blktrace shows remaps to the right arrays and sectors, FUA kept"
