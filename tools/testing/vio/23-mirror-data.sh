#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Mirror: a new mirror copies leg 0 onto every other leg once resumed,
# then every write lands on every leg at its offset, a flush and a discard
# reach every leg, and nosync skips the copy. The sysfs tree agrees with
# the status line.
. "$(dirname "$0")/lib.sh"

len=8192		# 4 MiB
make_arrays 3 5		# 10240 sectors each
a=("${ARRAYS[@]}")
mm=("$(majmin "${a[0]}")" "$(majmin "${a[1]}")" "$(majmin "${a[2]}")")

# fill_random <dev>: the whole device, with new random bytes
fill_random() {
	head -c $((5 << 20)) /dev/urandom | dd of="$1" bs=1M oflag=direct status=none
}

# write_through <volume> <file> <start sector, a multiple of 8>
write_through() {
	dd if="$2" of="$1" bs=4k seek=$(($3 / 8)) oflag=direct conv=notrunc status=none
}

# read_through <volume> <start sector, a multiple of 8> <KiB>
read_through() {
	dd if="$1" bs=4k skip=$(($2 / 8)) count=$(($3 / 4)) iflag=direct status=none
}

# --- Two legs: leg 1 holds junk that the resync replaces. ---
for i in 0 1; do fill_random "${a[$i]}"; done
read_bulk "${a[1]}" 0 2048 >"$VIO_TMP/head1"
dmsetup create viot-md --notable
VIO_VOLUMES+=(viot-md)
dmsetup load viot-md --table "0 $len vio mirror 0 2 ${a[0]} 0 ${a[1]} 2048"
# Loaded, never resumed: leg 1 waits to be copied, and TABLE has no nosync.
read -ra ist <<<"$(dmsetup status --inactive viot-md)"
expect_eq "inactive leg states" "${ist[6]}${ist[15]}" Aa
expect_eq "inactive leg 0 in-sync regions" "${ist[29]}" 4/4
expect_eq "inactive leg 1 in-sync regions" "${ist[33]}" 0/4
expect_eq "inactive table" "$(dmsetup table --inactive viot-md)" \
	"0 $len vio mirror 4 region_size 2048 selector service-time 2 ${mm[0]} 0 ${mm[1]} 2048"
kmsg_mark
dmsetup resume viot-md
vol=/dev/mapper/viot-md
dev=$(dm_devnum viot-md)
wait_states viot-md AA 30
kmsg_since | grep -qF "vio: $dev: array 1 (${mm[1]}) is in sync" ||
	fail "no 'in sync' line for array 1: $(kmsg_since)"
expect_eq "leg 1 in-sync regions" "$(leg_field viot-md 1 in_sync)" 4
same_data "${a[0]}" 0 "${a[1]}" 2048 "$len" || fail "resync: leg 1 differs from leg 0"
read_bulk "${a[1]}" 0 2048 | cmp -s - "$VIO_TMP/head1" ||
	fail "resync wrote in front of leg 1's offset"
expect_eq "table once in sync" "$(dmsetup table viot-md)" \
	"0 $len vio mirror 4 region_size 2048 selector service-time 2 ${mm[0]} 0 ${mm[1]} 2048 1 nosync"

# A write that straddles a region boundary lands on both legs.
random_file "$VIO_TMP/x" 1536
write_through "$vol" "$VIO_TMP/x" 1000
read_through "$vol" 1000 1536 | cmp -s - "$VIO_TMP/x" || fail "2 legs: read-back differs"
read_bulk "${a[0]}" 1000 3072 | cmp -s - "$VIO_TMP/x" || fail "2 legs: not on leg 0 at 1000"
read_bulk "${a[1]}" $((2048 + 1000)) 3072 | cmp -s - "$VIO_TMP/x" ||
	fail "2 legs: not on leg 1 at 2048 + 1000"
same_data "${a[0]}" 0 "${a[1]}" 2048 "$len" || fail "2 legs: legs differ after writes"
vio_remove viot-md

# --- Three legs, small regions: legs 1 and 2 junk, at other offsets. ---
for i in 1 2; do fill_random "${a[$i]}"; done
kmsg_mark
vio_create viot-md "$len" mirror 4 region_size 256 selector round-robin \
	3 "${a[0]}" 0 "${a[1]}" 1024 "${a[2]}" 2048
dev=$(dm_devnum viot-md)
wait_states viot-md AAA 30
for i in 1 2; do
	kmsg_since | grep -qF "vio: $dev: array $i (${mm[$i]}) is in sync" ||
		fail "no 'in sync' line for array $i: $(kmsg_since)"
done
same_data "${a[0]}" 0 "${a[1]}" 1024 "$len" || fail "resync: leg 1 differs from leg 0"
same_data "${a[0]}" 0 "${a[2]}" 2048 "$len" || fail "resync: leg 2 differs from leg 0"
random_file "$VIO_TMP/y" 1024
write_through "$vol" "$VIO_TMP/y" 4000
read_through "$vol" 4000 1024 | cmp -s - "$VIO_TMP/y" || fail "3 legs: read-back differs"
read_bulk "${a[2]}" $((2048 + 4000)) 2048 | cmp -s - "$VIO_TMP/y" ||
	fail "3 legs: not on leg 2 at 2048 + 4000"
# Round-robin spreads the read-back over the three legs.
st=$(dmsetup status viot-md)
for i in 0 1 2; do
	[ "$(status_leg "$st" "$i" reads)" -gt 0 ] || fail "3 legs: leg $i served no read"
done
expect_eq "3-leg table" "$(dmsetup table viot-md)" \
	"0 $len vio mirror 4 region_size 256 selector round-robin 3 ${mm[0]} 0 ${mm[1]} 1024 ${mm[2]} 2048 1 nosync"

# A write with fsync: one write and one flush on every leg.
st=$(dmsetup status viot-md)
dd if=/dev/urandom of="$vol" bs=4k count=1 seek=5 oflag=direct conv=notrunc,fsync status=none
st2=$(dmsetup status viot-md)
for i in 0 1 2; do
	expect_eq "leg $i writes after a 4k write" "$(status_leg "$st2" "$i" writes)" \
		$(($(status_leg "$st" "$i" writes) + 1))
	expect_eq "leg $i flushes after fsync" "$(status_leg "$st2" "$i" flushes)" \
		$(($(status_leg "$st" "$i" flushes) + 1))
done

# A discard of 2 MiB: 16 regions' worth on every leg, zeroes everywhere.
sys=$(dm_sysfs viot-md)/vio
expect_eq "discard supported" "$(($(<"${sys%/vio}/queue/discard_max_bytes") > 0))" 1
st=$(dmsetup status viot-md)
blkdiscard -f -o $((1 << 20)) -l $((2 << 20)) "$vol" 2>"$VIO_TMP/err" ||
	fail "blkdiscard: $(<"$VIO_TMP/err")"
st2=$(dmsetup status viot-md)
for i in 0 1 2; do
	expect_eq "leg $i discards" "$(status_leg "$st2" "$i" discards)" \
		$(($(status_leg "$st" "$i" discards) + 16))
done
head -c $((2 << 20)) /dev/zero >"$VIO_TMP/zero"
read_through "$vol" 2048 2048 | cmp -s - "$VIO_TMP/zero" || fail "discarded range not zero"
read_bulk "${a[1]}" $((1024 + 2048)) 4096 | cmp -s - "$VIO_TMP/zero" ||
	fail "discarded range not zero on leg 1"
same_data "${a[0]}" 0 "${a[1]}" 1024 "$len" || fail "leg 1 differs from leg 0 after I/O"
same_data "${a[0]}" 0 "${a[2]}" 2048 "$len" || fail "leg 2 differs from leg 0 after I/O"

# The sysfs tree says what the status line says (the volume is idle).
st=$(dmsetup status viot-md)
expect_eq "sysfs layout" "$(<"$sys/layout")" mirror
expect_eq "sysfs nr_arrays" "$(<"$sys/nr_arrays")" 3
expect_eq "sysfs selector" "$(<"$sys/selector")" "$(status_mirror "$st" selector)"
expect_eq "selector" "$(<"$sys/selector")" round-robin
expect_eq "sysfs region_sectors" "$(<"$sys/region_sectors")" "$(status_mirror "$st" region_sectors)"
expect_eq "region_sectors" "$(<"$sys/region_sectors")" 256
expect_eq "sysfs regions" "$(<"$sys/regions")" "$(status_mirror "$st" regions)"
expect_eq "regions" "$(<"$sys/regions")" $((len / 256))
expect_eq "sysfs fallbacks" "$(<"$sys/fallbacks")" "$(status_mirror "$st" fallbacks)"
for i in 0 1 2; do
	s=$sys/arrays/$i
	expect_eq "sysfs array $i device" "$(<"$s/device")" "$(status_leg "$st" "$i" dev)"
	expect_eq "sysfs array $i state" "$(<"$s/state")" alive
	expect_eq "status array $i state" "$(status_leg "$st" "$i" state)" A
	for f in reads writes read_sectors write_sectors discards flushes errors \
		inflight weight; do
		expect_eq "sysfs array $i $f" "$(<"$s/$f")" "$(status_leg "$st" "$i" "$f")"
	done
	# An idle leg's service time halves every second: read right after
	# a status line (not $st, which a slow kernel may have taken seconds
	# ago), sysfs shows at most as much and not much less.
	st_svc=$(leg_field viot-md "$i" service_us) svc=$(<"$s/service_us")
	[ "$svc" -le "$st_svc" ] && [ $((svc * 4 + 1)) -ge "$st_svc" ] ||
		fail "sysfs array $i service_us $svc, status $st_svc"
	expect_eq "sysfs array $i in_sync_regions" "$(<"$s/in_sync_regions")" \
		"$(status_leg "$st" "$i" in_sync)"
	expect_eq "array $i errors" "$(<"$s/errors")" 0
	expect_eq "array $i weight" "$(<"$s/weight")" 1
	expect_eq "array $i in-sync regions" "$(<"$s/in_sync_regions")" $((len / 256))
done
vio_remove viot-md

# --- nosync: every leg is in sync at once, nothing is copied. ---
fill_random "${a[1]}"
read_bulk "${a[1]}" 0 "$len" >"$VIO_TMP/leg1"
kmsg_mark
vio_create viot-md "$len" mirror 2 selector least-outstanding \
	2 "${a[0]}" 0 "${a[1]}" 0 1 nosync
expect_eq "nosync leg states" "$(leg_states viot-md)" AA
expect_eq "nosync leg 1 in-sync regions" "$(leg_field viot-md 1 in_sync)" 4
expect_eq "nosync table" "$(dmsetup table viot-md)" \
	"0 $len vio mirror 4 region_size 2048 selector least-outstanding 2 ${mm[0]} 0 ${mm[1]} 0 1 nosync"
dd if=/dev/zero of="$vol" bs=4k count=1 oflag=direct status=none
expect_eq "nosync leg states after a write" "$(leg_states viot-md)" AA
read_bulk "${a[1]}" 8 $((len - 8)) | cmp -s - <(tail -c +4097 "$VIO_TMP/leg1") ||
	fail "nosync: leg 1 was copied to"
kmsg_since | grep -q 'in sync' && fail "nosync: a resync ran: $(kmsg_since)"
log "resync, writes, flush and discard reach every leg of 2 and 3; nosync copies nothing"
