#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Class limits hold within ±2% from 10 IOPS to 20k IOPS and from 64 KiB/s
# to 256 MiB/s (fio in its own cgroup, 10 s each); a write limit does not
# slow reads.
. "$(dirname "$0")/lib.sh"

modprobe null_blk nr_devices=2 gb=4 bs=4096 irqmode=0 queue_mode=2 ||
	fail "cannot load null_blk"
trap 'vio_cleanup; modprobe -r null_blk' EXIT
len=$((2 * 4 * 1024 * 1024 * 2))
vio_create viot-lim "$len" stripe 1 256 2 /dev/nullb0 0 /dev/nullb1 0
vol=/dev/mapper/viot-lim
cg_make viot/lim; cg=$CG
vio_msg viot-lim class create lim
vio_msg viot-lim rule add cgroup=/viot/lim lim
runtime=${VIO_QOS_RUNTIME:-10}

# rate_case <class params> <fio rw> <bs> <iodepth> <iops|bw> <target>
rate_case() {
	local params=$1 rw=$2 bs=$3 qd=$4 what=$5 want=$6 got
	vio_msg viot-lim class set lim iops=0 bps=0 riops=0 wiops=0 rbps=0 wbps=0
	# shellcheck disable=SC2086
	vio_msg viot-lim class set lim $params
	cg_run "$cg" fio --name=lim --filename=$vol --direct=1 --ioengine=libaio \
		--rw="$rw" --bs="$bs" --iodepth="$qd" --runtime="$runtime" \
		--time_based --output-format=json --output="$VIO_TMP/lim.json" ||
		fail "fio ($params)"
	if [ "$what" = iops ]; then
		got=$(fio_json "$VIO_TMP/lim.json" \
			"d['jobs'][0]['read']['iops'] + d['jobs'][0]['write']['iops']")
	else
		got=$(fio_json "$VIO_TMP/lim.json" \
			"(d['jobs'][0]['read']['bw_bytes'] + d['jobs'][0]['write']['bw_bytes'])")
	fi
	within "$params ($rw, bs $bs)" "$got" "$want" 2
}

rate_case iops=10 randread 4k 4 iops 10
rate_case iops=1000 randread 4k 16 iops 1000
rate_case iops=20000 randread 4k 32 iops 20000
rate_case bps=64k randread 4k 4 bw 65536
rate_case bps=16m randwrite 64k 16 bw $((16 << 20))
rate_case bps=256m randread 1m 8 bw $((256 << 20))
rate_case "iops=2000 iops_size=16k" randread 64k 16 iops 500

# A write limit leaves reads alone: reads run far above it.
vio_msg viot-lim class set lim iops=0 bps=0 wiops=100
cg_run "$cg" fio --name=r --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=16 --runtime=3 --time_based \
	--output-format=json --output="$VIO_TMP/r.json"
r=$(fio_json "$VIO_TMP/r.json" "int(d['jobs'][0]['read']['iops'])")
[ "$r" -gt 1000 ] || rate_fail "reads ran at $r IOPS under a 100 IOPS write limit"
throttled=$(class_field viot-lim lim throttled)
[ "$throttled" -gt 0 ] || fail "no bio was ever throttled"
log "limits within 2%; reads at $r IOPS under wiops=100"
