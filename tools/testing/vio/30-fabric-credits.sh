#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Port credits: with 2 and 4 credits, 32 requests in flight hold at most 2
# and 4 at their arrays (10 ms each, null_blk), the others wait (credit
# stalls), and the volume does no more I/Os than the credits allow; with
# 64 credits, 8 in flight never wait for one.
. "$(dirname "$0")/lib.sh"

modprobe null_blk nr_devices=2 gb=1 memory_backed=0 irqmode=2 \
	completion_nsec=10000000 no_sched=1 queue_mode=2 || fail "cannot load null_blk"
trap 'vio_cleanup; modprobe -r null_blk' EXIT
len=$((2 << 21))		# 2 x 1 GiB
up="gen=3,width=4,mps=256,lat_ns=1000"
p0="gen=3,width=4,mps=256,lat_ns=1000,credits=2"
p1="gen=3,width=4,mps=256,lat_ns=1000,credits=4"
vio_create viot-cr "$len" stripe 1 128 2 /dev/nullb0 0 /dev/nullb1 0 5 fabric 3 "$up" "$p0" "$p1"
vol=/dev/mapper/viot-cr
sys=$(dm_sysfs viot-cr)/vio/fabric/links

# randread <name> <iodepth>: 4 s of 4 KiB random reads; "<IOPS> <ms>"
randread() {
	fio --name="$1" --filename=$vol --direct=1 --ioengine=libaio --rw=randread \
		--bs=4k --iodepth="$2" --runtime=4 --time_based --output-format=json \
		--output="$VIO_TMP/$1.json" || fail "fio $1"
	fio_json "$VIO_TMP/$1.json" \
		"'%d %d' % (d['jobs'][0]['read']['iops'], d['jobs'][0]['read']['runtime'])"
}

expect_eq "port 0 spec" "$(cat "$sys/0/params")" "$p0"
expect_eq "port 1 spec" "$(cat "$sys/1/params")" "$p1"
s0=$(vio_msg viot-cr fabric stats)
f=($(randread few 32))
s1=$(vio_msg viot-cr fabric stats)
for i in 0 1; do
	c=$((2 + 2 * i))
	d=($(fabric_delta "$s0" "$s1" $i requests credit_stalls))
	max=$(fabric_value $i max_inflight <<<"$s1")
	log "port $i, $c credits: ${d[0]} requests ($((d[0] * 1000 / f[1]))/s), ${d[1]} waited for a credit, at most $max at the array"
	[ "${d[0]}" -gt 0 ] || fail "port $i: no request"
	[ "${d[0]}" -ge 200 ] || rate_fail "port $i: only ${d[0]} requests"
	# Each credit held at least 10 ms per request: 100 requests/s.
	[ $((d[0] * 1000 / f[1])) -le $((c * 102)) ] ||
		fail "port $i: $((d[0] * 1000 / f[1])) requests/s through $c credits of 10 ms requests"
	expect_eq "port $i: most requests at the array" "$max" $c
	[ "${d[1]}" -gt 0 ] || fail "port $i: no request waited for one of $c credits"
	expect_eq "port $i: sysfs max_inflight" "$(cat "$sys/$i/max_inflight")" $c
	expect_eq "port $i: status max_inflight" \
		"$(status_fabric "$(dmsetup status viot-cr)" $i max_inflight)" $c
	expect_eq "port $i: requests at the array, idle" "$(cat "$sys/$i/inflight")" 0
done
log "32 in flight, 2 + 4 credits: ${f[0]} IOPS (at most 600)"
# While 32 are in flight, those beyond the credits wait on the ports.
fio --name=wait --filename=$vol --direct=1 --ioengine=libaio --rw=randread \
	--bs=4k --iodepth=32 --runtime=3 --time_based --output=/dev/null &
sleep 1.5
w=($(fabric_field viot-cr 0 waiting) $(fabric_field viot-cr 1 waiting))
ws=$(cat "$sys/0/waiting")
wait
log "requests waiting on the ports mid-run: ${w[*]} (sysfs port 0: $ws)"
[ $((w[0] + w[1])) -gt 0 ] || fail "no request waiting on a port with 26 beyond its credits"
for i in 0 1; do
	expect_eq "port $i: requests waiting, idle" "$(cat "$sys/$i/waiting")" 0
	expect_eq "port $i: requests waiting in fabric stats, idle" \
		"$(fabric_field viot-cr $i waiting)" 0
done
[ "${f[0]}" -le 612 ] || fail "${f[0]} IOPS through 6 credits of 10 ms requests"

# 64 credits each (only the key given changes), 8 in flight: no waiting.
vio_msg viot-cr link 0 credits=64
vio_msg viot-cr link 1 credits=64
expect_eq "port 0 spec, 64 credits" "$(cat "$sys/0/params")" "${p0%,credits=*},credits=64"
expect_eq "port 1 spec, 64 credits" "$(fabric_specs viot-cr | awk '$1 == "port1" { print $2 }')" \
	"${p1%,credits=*},credits=64"
s0=$(vio_msg viot-cr fabric stats)
f=($(randread many 8))
s1=$(vio_msg viot-cr fabric stats)
for i in 0 1; do
	d=($(fabric_delta "$s0" "$s1" $i requests credit_stalls))
	max=$(fabric_value $i max_inflight <<<"$s1")
	log "port $i, 64 credits: ${d[0]} requests, ${d[1]} waited for a credit, at most $max at the array"
	[ "${d[0]}" -gt 0 ] || fail "port $i: no request"
	[ "${d[0]}" -ge 200 ] || rate_fail "port $i: only ${d[0]} requests"
	expect_eq "port $i: credit stalls with 64 credits" "${d[1]}" 0
	[ "$max" -le 8 ] || fail "port $i: $max requests at the array with 8 in flight"
done
[ "$(fabric_value 0 max_inflight <<<"$s1")" -gt 2 ] ||
	fail "port 0 still held at most 2 requests at its array with 64 credits"
log "8 in flight, 64 credits: ${f[0]} IOPS, no credit stall"
