#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A tenant with a reservation of 30% of the volume's capacity (and the
# lowest weight) gets at least 99% of it while three greedy tenants with
# 100x its weight saturate the volume.
. "$(dirname "$0")/lib.sh"

# A device that is the bottleneck (1 ms per I/O, depth 4: 4k IOPS) and deep
# fio queues, so every tenant keeps a queue even when its fio waits for a
# CPU, and the scheduler decides who goes.
modprobe null_blk nr_devices=2 gb=4 bs=4096 irqmode=2 completion_nsec=1000000 \
	queue_mode=2 ||
	fail "cannot load null_blk"
trap 'vio_cleanup; modprobe -r null_blk' EXIT
len=$((2 * 4 * 1024 * 1024 * 2))
vio_create viot-r "$len" stripe 1 256 2 /dev/nullb0 0 /dev/nullb1 0
vol=/dev/mapper/viot-r
vio_msg viot-r depth 4
for t in r g1 g2 g3; do
	vio_msg viot-r class create "$t"
	vio_msg viot-r rule add "cgroup=/viot/$t" "$t"
done
declare -A cg
for t in r g1 g2 g3; do cg_make "viot/$t"; cg[$t]=$CG; done

# window <seconds>: run all four greedy, count each class's I/O
window() {
	local secs=$1 t
	declare -gA b e
	for t in r g1 g2 g3; do
		cg_run "${cg[$t]}" fio --name="$t" --filename=$vol --direct=1 \
			--ioengine=libaio --rw=randread --bs=4k --iodepth=64 \
			--runtime=$((secs + 4)) --time_based --output=/dev/null &
	done
	sleep 2
	for t in r g1 g2 g3; do b[$t]=$(class_ios viot-r "$t"); done
	sleep "$secs"
	for t in r g1 g2 g3; do e[$t]=$(class_ios viot-r "$t"); done
	wait
}

# Capacity: what the four get together at this depth, all weights equal.
window 5
cap=0
for t in r g1 g2 g3; do cap=$((cap + e[$t] - b[$t])); done
cap=$((cap / 5))
[ "$cap" -gt 10 ] || fail "capacity only $cap IOPS"
[ "$cap" -gt 1000 ] || rate_fail "capacity only $cap IOPS"
res=$((cap * 30 / 100))
log "capacity $cap IOPS; reserving $res for tenant r"

vio_msg viot-r capacity iops=$cap
vio_msg viot-r class set r weight=1 res_iops=$res
for t in g1 g2 g3; do vio_msg viot-r class set "$t" weight=100; done
window 10
got=$(((e[r] - b[r]) / 10))
[ $((got * 100)) -ge $((res * 99)) ] || rate_fail "reserved tenant got $got IOPS, reservation $res"
log "reserved tenant: $got IOPS (reservation $res, $((got * 1000 / res))/1000)"
for t in g1 g2 g3; do log "greedy $t: $(((e[$t] - b[$t]) / 10)) IOPS"; done
[ "$(class_field viot-r r res_met)" -gt 0 ] || fail "res_met not counted"

# The vio_defer tracepoint names the reason: a bio of another class that
# arrives to an empty queue while the reserved class is behind its
# schedule (the volume's depth full) waits for the reservation.
T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs tracefs "$T"
echo >"$T/trace"
echo 1 >"$T/events/dm_vio/vio_defer/enable"
cg_run "${cg[r]}" fio --name=r --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=64 --runtime=4 --time_based --output=/dev/null &
cg_run "${cg[g1]}" fio --name=g1 --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=1 --runtime=4 --time_based --output=/dev/null &
wait
echo 0 >"$T/events/dm_vio/vio_defer/enable"
grep ' vio_defer: ' "$T/trace" >"$VIO_TMP/defer.txt" || true
n=$(grep -c ' class=g1 .* reason=reservation$' "$VIO_TMP/defer.txt" || true)
log "vio_defer reasons: $(sed 's/.*class=\([^ ]*\) .*reason=/\1:/' "$VIO_TMP/defer.txt" |
	sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')"
[ "$n" -gt 0 ] || fail "no bio of class g1 deferred for the reservation"
