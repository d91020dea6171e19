#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Weights 4:2:1 with every tenant busy: the volume's I/O is shared within
# ±2 points of 57.1/28.6/14.3 %; with the heaviest tenant idle the other
# two share 2:1 (work-conserving).
. "$(dirname "$0")/lib.sh"

# A device that is the bottleneck (2 ms per I/O, depth 2: 1k IOPS) and deep
# fio queues, so every tenant keeps a queue even when its fio waits for a
# CPU, and the scheduler decides who goes.
modprobe null_blk nr_devices=2 gb=4 bs=4096 irqmode=2 completion_nsec=2000000 \
	queue_mode=2 ||
	fail "cannot load null_blk"
trap 'vio_cleanup; modprobe -r null_blk' EXIT
len=$((2 * 4 * 1024 * 1024 * 2))
vio_create viot-w "$len" stripe 1 256 2 /dev/nullb0 0 /dev/nullb1 0
vol=/dev/mapper/viot-w
vio_msg viot-w depth 2
w=(400 200 100)
for i in 0 1 2; do
	vio_msg viot-w class create "w$i" "weight=${w[$i]}"
	vio_msg viot-w rule add "cgroup=/viot/w$i" "w$i"
	cg_make "viot/w$i"
	cgs[i]=$CG
done

# shares <seconds> <tenants...>: IOPS shares over a window, all busy
shares() {
	local secs=$1 i
	shift
	for i in "$@"; do
		cg_run "${cgs[$i]}" fio --name="w$i" --filename=$vol --direct=1 \
			--ioengine=libaio --rw=randread --bs=4k --iodepth=64 \
			--runtime=$((secs + 4)) --time_based --output=/dev/null &
	done
	sleep 2
	for i in "$@"; do b[i]=$(class_ios viot-w "w$i"); done
	sleep "$secs"
	for i in "$@"; do e[i]=$(class_ios viot-w "w$i"); done
	wait
	total=0
	for i in "$@"; do total=$((total + e[i] - b[i])); done
	[ "$total" -gt 0 ] || fail "no I/O in ${secs}s"
	[ "$total" -gt $((secs * 200)) ] || rate_fail "only $total I/Os in ${secs}s"
	for i in "$@"; do share[i]=$(((e[i] - b[i]) * 1000 / total)); done
}

# expect_share <tenant> <per-mille wanted>: within 20 per mille
expect_share() {
	local d=$((share[$1] - $2))
	log "w$1: ${share[$1]}/1000 of the I/O (want $2)"
	[ "${d#-}" -le 20 ] || rate_fail "w$1 got ${share[$1]}/1000, want $2 ± 20"
}

shares 10 0 1 2
expect_share 0 571
expect_share 1 286
expect_share 2 143

shares 10 1 2
expect_share 1 667
expect_share 2 333
