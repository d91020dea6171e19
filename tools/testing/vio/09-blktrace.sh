#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# blktrace on the arrays shows dm's remap events: each write to a volume
# sector appears on the array and array sector the layout says.
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
log "blktrace shows remaps to the right arrays and sectors"
