#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fabric throughput: an array far faster than its port (null_blk, no data)
# behind Gen1 x1 (mps 128 and 512), Gen2 x1 and Gen1 x2 ports and a Gen3
# x16 upstream link delivers what the port model says, within ±3%, to 1 MiB
# sequential writes and reads (8 s each, 128 in flight); every request is
# charged exactly the wire bytes and TLPs of the model on both links. A
# rate is measured again (a few times per test) only if it missed while
# the whole guest stood still for over half of what the queue covers: a
# stop of the emulator on a busy host, not of the fabric.
. "$(dirname "$0")/lib.sh"

modprobe null_blk nr_devices=1 gb=4 memory_backed=0 irqmode=0 no_sched=1 \
	queue_mode=2 || fail "cannot load null_blk"
trap 'vio_cleanup; modprobe -r null_blk' EXIT
len=$((4 << 21))		# 4 GiB
size=$((1 << 20)) qd=128 runtime=${VIO_FABRIC_RUNTIME:-8}
up="gen=3,width=16,mps=256"
spare=2				# measurements that may be repeated
ports=("1 1 128" "1 1 512" "2 1 256" "1 2 256")

# The model for every port and the upstream link, writes and reads.
declare -A model
args=()
for p in "${ports[@]}" "3 16 256"; do
	args+=($p write $size $p read $size)
done
mapfile -t lines < <(pcie_model "${args[@]}")
[ ${#lines[@]} -eq $((2 * ${#ports[@]} + 2)) ] || fail "no model"
i=0
for p in "${ports[@]}" "3 16 256"; do
	model["$p write"]=${lines[i]} model["$p read"]=${lines[i + 1]}
	i=$((i + 2))
done

# pct <1/100 %>: signed, as a percentage
pct() {
	printf '%s%d.%02d%%' "$([ "$1" -lt 0 ] && echo - || echo +)" $((${1#-} / 100)) $((${1#-} % 100))
}

# measure <gen> <width> <mps> <write|read>: fio against the port model
measure() {
	local gen=$1 width=$2 mps=$3 rw=$4 what m um s0 s1 d u reqs fio got stall cover job err
	what="gen$gen x$width mps $mps, $rw"
	m=(${model["$gen $width $mps $rw"]}) um=(${model["3 16 256 $rw"]})
	# fio fills the buffers of a job that may write before it starts
	# the clock; a read job's buffers would be faulted in while it runs.
	job=(--rw=write)
	[ "$rw" == read ] && job=(--rw=rw --rwmixread=100)
	# How long the queue keeps the port busy if the guest stops.
	cover=$((qd * size * 1000 / m[0]))
	while :; do
		s0=$(vio_msg viot-fab fabric stats)
		stall_watch $((runtime + 2)) "$VIO_TMP/stall"
		fio --name=tp --filename=$vol --direct=1 --ioengine=libaio "${job[@]}" \
			--bs=$size --iodepth=$qd --zero_buffers --runtime="$runtime" --time_based \
			--output-format=json --output="$VIO_TMP/tp.json" || fail "fio ($what)"
		wait
		s1=$(vio_msg viot-fab fabric stats)
		stall=$(cat "$VIO_TMP/stall")

		# Every request 1 MiB, charged exactly what the model says.
		d=($(fabric_delta "$s0" "$s1" 0 requests payload_bytes wire_bytes tlps))
		u=($(fabric_delta "$s0" "$s1" up requests payload_bytes wire_bytes tlps))
		reqs=${d[0]}
		[ "$reqs" -gt 0 ] || fail "$what: no request"
		[ "$reqs" -ge $((runtime * m[0] / size / 2)) ] || rate_fail "$what: only $reqs requests"
		expect_eq "$what: port payload" "${d[1]}" $((reqs * size))
		expect_eq "$what: port wire bytes" "${d[2]}" $((reqs * (m[1] + m[2])))
		expect_eq "$what: port TLPs" "${d[3]}" $((reqs * (m[3] + m[4])))
		expect_eq "$what: upstream requests" "${u[0]}" "$reqs"
		expect_eq "$what: upstream payload" "${u[1]}" $((reqs * size))
		expect_eq "$what: upstream wire bytes" "${u[2]}" $((reqs * (um[1] + um[2])))
		expect_eq "$what: upstream TLPs" "${u[3]}" $((reqs * (um[3] + um[4])))
		fio=($(fio_json "$VIO_TMP/tp.json" \
			"'%d %d' % (d['jobs'][0]['$rw']['io_bytes'] * 1000 // d['jobs'][0]['$rw']['runtime'], d['jobs'][0]['$rw']['total_ios'])"))
		got=${fio[0]}
		expect_eq "$what: fio's requests, all through the port" "${fio[1]}" "$reqs"
		# Off by how much, in 1/100 %.
		err=$((10000 * (got - m[0]) / m[0]))
		[ "${err#-}" -le 300 ] && break
		# A miss counts unless a CPU of the guest stopped long enough to
		# drain the queue: then measure again (a few times per test).
		[ "$stall" -gt $((cover / 2)) ] && [ "$spare" -gt 0 ] || break
		spare=$((spare - 1))
		log "$what: $((got / 1000000)) MB/s, but the guest stopped for $stall ms (the queue covers $cover ms): again"
	done
	log "$what: $reqs requests, wire/payload $((d[2] / d[1])).$(printf %06d \
		$((d[2] % d[1] * 1000000 / d[1]))), $((m[3] + m[4])) TLPs each; $got B/s, model ${m[0]} ($(pct $err)); CPUs stopped for at most $stall ms"
	[ "${err#-}" -le 300 ] || rate_fail "$what: $got B/s is more than 3% off the model's ${m[0]}"
}

vol=/dev/mapper/viot-fab
for port in "${ports[@]}"; do
	p=($port)
	spec="gen=${p[0]},width=${p[1]},mps=${p[2]},lat_ns=1000,credits=64"
	vio_create viot-fab "$len" linear 0 1 /dev/nullb0 0 4 fabric 2 "$up" "$spec"
	sys=$(dm_sysfs viot-fab)/vio/fabric/links
	expect_eq "port spec" "$(cat "$sys/0/params")" "$spec"
	expect_eq "upstream spec" "$(cat "$sys/up/params")" "$up,lat_ns=1000"
	expect_eq "port link rate" "$(fabric_field viot-fab 0 model_bps)" \
		$((p[0] * 250000000 * p[1]))
	expect_eq "sysfs port link rate" "$(cat "$sys/0/model_bps")" $((p[0] * 250000000 * p[1]))
	measure "${p[@]}" write
	measure "${p[@]}" read
	expect_eq "port requests in flight at the end" "$(cat "$sys/0/inflight")" 0
	vio_remove viot-fab
done
log "four ports within 3% of the model for 1 MiB writes and reads; exact wire bytes and TLPs"
