#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bursts: iops=200 iops_max=1000 iops_max_len=3 lets a busy tenant run at
# about 1000 IOPS for 3 s, then holds it to 200 IOPS within ±2%; in all,
# the first 12 s carry 200 IOPS plus 3 s of 800 more (4800 I/Os), so a
# burst that lasts too long or ends too soon fails too.
. "$(dirname "$0")/lib.sh"

modprobe null_blk nr_devices=1 gb=4 bs=4096 irqmode=0 queue_mode=2 ||
	fail "cannot load null_blk"
trap 'vio_cleanup; modprobe -r null_blk' EXIT
vio_create viot-b $((4 * 1024 * 1024 * 2)) linear 0 1 /dev/nullb0 0
vol=/dev/mapper/viot-b
vio_msg viot-b class create b iops=200 iops_max=1000 iops_max_len=3
vio_msg viot-b rule add cgroup=/viot/b b
cg_make viot/b; cg=$CG

cg_run "$cg" fio --name=b --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=16 --runtime=13 --time_based \
	--write_iops_log="$VIO_TMP/b" --log_avg_msec=1000 --output=/dev/null
# One line per second: "<msec>, <iops>, ...".
mapfile -t iops < <(awk -F', *' '{ print $2 }' "$VIO_TMP/b_iops.1.log")
[ "${#iops[@]}" -ge 12 ] || fail "only ${#iops[@]} samples"
log "IOPS per second: ${iops[*]}"
burst=$((iops[0] + iops[1] + iops[2]))
within "IOPS during the burst (first 3 s)" "$((burst / 3))" 1000 5
steady=0
for ((s = 5; s < 12; s++)); do steady=$((steady + iops[s])); done
within "IOPS after the burst (s 6-12)" "$(python3 -c "print($steady / 7)")" 200 2
total=0
for ((s = 0; s < 12; s++)); do total=$((total + iops[s])); done
within "I/Os in the first 12 s" "$total" $((200 * 12 + 800 * 3)) 3
