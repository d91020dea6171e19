#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fabric changes live: on a 2-leg mirror, while fio writes, reads and
# verifies, about every second the test changes a port or the upstream
# link (generation, width, credits), turns the fabric off and on, switches
# multicast and host mode, or suspends and resumes: no I/O fails, every
# block verifies and the legs end identical. Then, under fio reads from an
# array far faster than any port (null_blk), the rate follows port 0: down
# to the Gen1 x1 model when it goes from Gen3 x4 to Gen1 x1, and back up
# when it returns.
. "$(dirname "$0")/lib.sh"

modprobe null_blk nr_devices=1 gb=4 memory_backed=0 irqmode=0 no_sched=1 \
	queue_mode=2 || fail "cannot load null_blk"
trap 'vio_cleanup; modprobe -r null_blk' EXIT
len=131072		# 64 MiB
make_arrays 2 64
a=("${ARRAYS[@]}")
up="gen=3,width=4,mps=256,lat_ns=1000"
port="gen=3,width=4,mps=256,lat_ns=1000,credits=64"
vio_create viot-lv "$len" mirror 0 2 "${a[0]}" 0 "${a[1]}" 0 5 nosync fabric 2 "$up" "$port"
vol=/dev/mapper/viot-lv
sys=$(dm_sysfs viot-lv)/vio/fabric
table=$(dmsetup table viot-lv)

# change <words...>: a message; "suspend" and "suspend-noflush" suspend
# and resume instead
change() {
	case $1 in
	suspend) timeout 30 dmsetup suspend viot-lv || fail "suspend" ;;
	suspend-noflush) timeout 30 dmsetup suspend --noflush viot-lv || fail "noflush suspend" ;;
	*) vio_msg viot-lv "$@" || fail "message '$*' refused"; return ;;
	esac
	sleep 0.2
	timeout 30 dmsetup resume viot-lv || fail "resume"
}

changes=(
"link 0 gen=1,width=1"
"link 0 credits=1"
"fabric off"
"fabric on"
"fabric mode host"
"suspend"
"link up gen=1,width=1,mps=128"
"link 0 gen=3,width=4"
"link 0 credits=64"
"fabric mode multicast"
"suspend-noflush"
"link up gen=3,width=4,mps=256"
)

fio --name=live --filename=$vol --direct=1 --ioengine=libaio --rw=randrw \
	--bsrange=4k-64k --iodepth=16 --time_based --runtime=30 \
	--verify=crc32c --verify_backlog=64 --verify_fatal=1 --output="$VIO_TMP/live.fio" &
fio_pid=$!
read -r w <"$sys/links/0/requests"
for ((i = 0; i < 300; i++)); do
	read -r r <"$sys/links/0/requests"
	[ "$r" -gt $((w + 100)) ] && break
	running "$fio_pid" || break
	sleep 0.1
done
[ "$i" -lt 300 ] || fail "fio did not start"

# usecs: microseconds now
usecs() {
	local t=$EPOCHREALTIME
	echo $((${t/./}))
}

# Round after round until fio ends, a change a second (or as fast as the
# guest goes); at least one whole round.
n=0 on=on
while running "$fio_pid"; do
	c=${changes[n % ${#changes[@]}]}
	read -r r <"$sys/links/0/requests"
	t=$(usecs)
	# shellcheck disable=SC2086
	change $c
	case $c in "fabric off") on=off ;; "fabric on") on=on ;; esac
	read -r state <"$sys/state"
	expect_eq "state after '$c'" "$state" "$on"
	n=$((n + 1))
	t=$((1000000 - $(usecs) + t))
	[ "$t" -lt 50000 ] || sleep "0.$(printf %06d "$t")"
	running "$fio_pid" || break
	# I/O goes on after each change (with the fabric off, it bypasses
	# the counters).
	read -r r2 <"$sys/links/0/requests"
	[ "$on" == off ] || [ "$r2" -gt "$r" ] ||
		rate_fail "no I/O through port 0 in the second after '$c'"
done
wait "$fio_pid" || { cat "$VIO_TMP/live.fio"; fail "fio failed during the changes"; }
grep -q 'err= 0' "$VIO_TMP/live.fio" || { cat "$VIO_TMP/live.fio"; fail "fio reported errors"; }
[ "$n" -ge ${#changes[@]} ] || rate_fail "only $n of ${#changes[@]} changes while fio ran"
log "$n live changes under fio randrw, crc32c verify clean"
# The rest of the last round brings every link back.
for ((; n % ${#changes[@]}; n++)); do
	# shellcheck disable=SC2086
	change ${changes[n % ${#changes[@]}]}
done
expect_eq "table after a full round of changes" "$(dmsetup table viot-lv)" "$table"
expect_eq "state" "$(cat "$sys/state") $(cat "$sys/mode")" "on multicast"
for l in up 0 1; do
	expect_eq "link $l: requests at the array, idle" "$(cat "$sys/links/$l/inflight")" 0
done
same_data "${a[0]}" 0 "${a[1]}" 0 "$len" || fail "the legs differ after the changes"

# --- The rate follows port 0. ---
vio_create viot-rt $((4 << 21)) linear 0 1 /dev/nullb0 0 4 fabric 2 "$up" "$port"
vol=/dev/mapper/viot-rt
stat=$(dm_sysfs viot-rt)/stat
links=$(dm_sysfs viot-rt)/vio/fabric/links
g1=($(pcie_model 1 1 128 read $((1 << 20))))

# rate <seconds>: bytes/s the volume reads over that long, from now
rate() {
	local s t0 s0 t1
	read -ra s <"$stat"
	t0=$(usecs) s0=${s[2]}
	sleep "$1"
	read -ra s <"$stat"
	t1=$(usecs)
	echo $(((s[2] - s0) * 512 * 1000000 / (t1 - t0)))
}

fio --name=rate --filename=$vol --direct=1 --ioengine=libaio --rw=read --bs=1M \
	--iodepth=64 --time_based --runtime=25 --output="$VIO_TMP/rate.fio" &
fio_pid=$!
for ((i = 0; i < 300; i++)); do
	read -r r <"$links/0/requests"
	[ "$r" -gt 200 ] && break
	running "$fio_pid" || break
	sleep 0.1
done
[ "$i" -lt 300 ] || fail "fio did not start reading"
r3=$(rate 2)
vio_msg viot-rt link 0 gen=1,width=1,mps=128
sleep 0.5
r1=$(rate 4)
vio_msg viot-rt link 0 gen=3,width=4,mps=256
sleep 0.5
r3b=$(rate 2)
running "$fio_pid" || fail "fio ended before the rates were measured"
wait "$fio_pid" || { cat "$VIO_TMP/rate.fio"; fail "fio (rates) failed"; }
grep -q 'err= 0' "$VIO_TMP/rate.fio" || { cat "$VIO_TMP/rate.fio"; fail "fio (rates) reported errors"; }
log "port 0 Gen3 x4: $((r3 / 1000000)) MB/s; Gen1 x1: $((r1 / 1000000)) MB/s (model $((g1[0] / 1000000))); Gen3 x4 again: $((r3b / 1000000)) MB/s"
[ "$r1" -le $((g1[0] * 110 / 100)) ] || fail "Gen1 x1: $r1 B/s, over the link's ${g1[0]}"
[ "$r1" -ge $((g1[0] / 2)) ] || rate_fail "Gen1 x1: $r1 B/s, far below the link's ${g1[0]}"
[ "$r3" -ge $((g1[0] * 2)) ] || rate_fail "Gen3 x4: $r3 B/s, not twice Gen1 x1"
[ "$r3b" -ge $((g1[0] * 2)) ] || rate_fail "Gen3 x4 again: $r3b B/s, not twice Gen1 x1"
