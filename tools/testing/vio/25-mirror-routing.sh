#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Mirror read routing, leg 1 slow (dm-delay, 2 ms): service-time keeps the
# reads on the fast leg, round-robin shares them evenly or by weight, and a
# selector switched by message applies to the reads that follow it.
. "$(dirname "$0")/lib.sh"

len=16384
make_arrays 2 8
a=("${ARRAYS[@]}")

# randread <name> <seconds>: 4 KiB random reads, 8 in flight
randread() {
	fio --name="$1" --filename="$vol" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --iodepth=8 --time_based --runtime="$2" \
		--output="$VIO_TMP/$1.fio" || fail "fio $1"
	grep -q 'err= 0' "$VIO_TMP/$1.fio" || { cat "$VIO_TMP/$1.fio"; fail "fio $1 reported errors"; }
}

# share <what> <reads before> <reads after> <min %> <max %>: leg 0's share
# of the reads between two leg_reads samples
share() {
	local b e d0 d1 pct
	read -ra b <<<"$2"
	read -ra e <<<"$3"
	d0=$((e[0] - b[0])) d1=$((e[1] - b[1]))
	[ $((d0 + d1)) -gt 0 ] || fail "$1: no reads"
	[ $((d0 + d1)) -ge 300 ] || rate_fail "$1: only $((d0 + d1)) reads"
	pct=$((100 * d0 / (d0 + d1)))
	log "$1: leg 0 served $d0 reads, leg 1 $d1 ($pct% on leg 0, want $4-$5%)"
	[ "$pct" -ge "$4" ] && [ "$pct" -le "$5" ] ||
		rate_fail "$1: $pct% of the reads on leg 0 ($d0 vs $d1), want $4-$5%"
}

dm_create viot-slow "0 $len delay ${a[1]} 0 2"
mm0=$(majmin "${a[0]}") mm1=$(majmin /dev/mapper/viot-slow)
table() {
	echo "0 $len vio mirror $1 2 $mm0 0 $mm1 0 1 nosync"
}
vio_create viot-rt "$len" mirror 0 2 "${a[0]}" 0 /dev/mapper/viot-slow 0 1 nosync
vol=/dev/mapper/viot-rt
sys=$(dm_sysfs viot-rt)/vio

# A fresh volume, service-time (the default): the slow leg gets few reads.
expect_eq "default selector" "$(<"$sys/selector")" service-time
r0=$(leg_reads viot-rt)
randread st 4
share "service-time" "$r0" "$(leg_reads viot-rt)" 90 100

# A fresh table with round-robin: even shares, whatever the latency.
dmsetup reload viot-rt --table "$(table "2 selector round-robin")"
dmsetup resume viot-rt
expect_eq "selector after reload" "$(<"$sys/selector")" round-robin
r0=$(leg_reads viot-rt)
randread rr 4
share "round-robin" "$r0" "$(leg_reads viot-rt)" 40 60

# Weights 3 and 1: three reads in four on leg 0.
vio_msg viot-rt weight 0 3
expect_eq "sysfs weight of leg 0" "$(<"$sys/arrays/0/weight")" 3
expect_eq "status weight of leg 0" "$(leg_field viot-rt 0 weight)" 3
expect_eq "table with weights" "$(dmsetup table viot-rt)" \
	"$(table "6 region_size 2048 selector round-robin weights 3,1")"
r0=$(leg_reads viot-rt)
randread w31 4
share "round-robin, weights 3,1" "$r0" "$(leg_reads viot-rt)" 70 80
vio_msg viot-rt weight 0 1

# One fio run, the selector switched by message twice while it reads.
# wait_reads: until the volume's reads go up
wait_reads() {
	local i r s=$(($(<"$sys/arrays/0/reads") + $(<"$sys/arrays/1/reads")))
	for ((i = 0; i < 300; i++)); do
		r=$(($(<"$sys/arrays/0/reads") + $(<"$sys/arrays/1/reads")))
		[ "$r" -gt $((s + 100)) ] && return
		sleep 0.1
	done
	fail "fio did not start reading"
}
fio --name=live --filename="$vol" --direct=1 --ioengine=libaio --rw=randread \
	--bs=4k --iodepth=8 --time_based --runtime=120 --output="$VIO_TMP/live.fio" &
fio_pid=$!
wait_reads
s0=$(leg_reads viot-rt)
sleep 3
s1=$(leg_reads viot-rt)
vio_msg viot-rt selector service-time
expect_eq "sysfs selector after the message" "$(<"$sys/selector")" service-time
s2=$(leg_reads viot-rt)
sleep 3
s3=$(leg_reads viot-rt)
vio_msg viot-rt selector round-robin
expect_eq "status selector after the message" "$(mirror_field viot-rt selector)" round-robin
s4=$(leg_reads viot-rt)
sleep 3
s5=$(leg_reads viot-rt)
running "$fio_pid" || { cat "$VIO_TMP/live.fio"; fail "fio live ended early"; }
kill "$fio_pid"
wait "$fio_pid" || true
grep -q 'err= 0' "$VIO_TMP/live.fio" || { cat "$VIO_TMP/live.fio"; fail "fio live reported errors"; }
share "round-robin, before the switch" "$s0" "$s1" 40 60
share "service-time, switched live" "$s2" "$s3" 90 100
share "round-robin, switched back live" "$s4" "$s5" 40 60
expect_eq "table after the switches" "$(dmsetup table viot-rt)" "$(table "4 region_size 2048 selector round-robin")"

log "service-time, round-robin, weights 3,1, selector switched live"
