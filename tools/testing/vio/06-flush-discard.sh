#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A flush reaches every array; a discard or write-zeroes reaches exactly
# the arrays that hold part of its range, at the right place, and nothing
# else is lost.
. "$(dirname "$0")/lib.sh"

make_arrays 3 2
a=("${ARRAYS[@]}")
len=$((3 * 4096))
vio_create viot-str "$len" stripe 1 8 3 "${a[0]}" 0 "${a[1]}" 0 "${a[2]}" 0
vol=/dev/mapper/viot-str
sys=$(dm_sysfs viot-str)

# Flush: the volume advertises a write cache, fsync sends an empty flush.
expect_eq "volume write cache" "$(cat "$sys/queue/write_cache")" "write back"
flushes_before() {
	local i
	for i in 0 1 2; do
		cat "/sys/block/$(basename "${a[$i]}")/stat" | awk '{print $16}'
	done
}
before=($(flushes_before))
python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_WRONLY); os.fsync(fd)' "$vol"
after=($(flushes_before))
for i in 0 1 2; do
	[ "${after[$i]}" -gt "${before[$i]}" ] ||
		fail "array $i saw no flush (${before[$i]} -> ${after[$i]})"
	[ "$(cat "$sys/vio/arrays/$i/flushes")" -ge 1 ] || fail "array $i flush counter"
done

# Discard: fill, discard volume sectors 20..59 (chunks 2..7, partly), check
# that exactly those sectors read back as zeroes and the rest survived.
random_file "$VIO_TMP/all" $((len / 2))
write_file "$vol" "$VIO_TMP/all" 0
expect_eq "discard supported" "$(($(cat "$sys/queue/discard_max_bytes") > 0))" 1
blkdiscard -o $((20 * 512)) -l $((40 * 512)) "$vol"
cp "$VIO_TMP/all" "$VIO_TMP/want"
dd if=/dev/zero of="$VIO_TMP/want" bs=512 seek=20 count=40 conv=notrunc status=none
read_sectors "$vol" 0 "$len" | cmp - "$VIO_TMP/want" || fail "discard: wrong sectors zeroed"
python3 "$VIO_TOP/tools/testing/vio/layout-oracle.py" "$vol" "$len" stripe 8 \
	"${a[0]}:0" "${a[1]}:0" "${a[2]}:0"
for i in 0 1 2; do
	[ "$(cat "$sys/vio/arrays/$i/discards")" -ge 1 ] || fail "array $i got no discard"
done

# A discard inside one chunk goes to one array only.
d0=$(cat "$sys/vio/arrays/0/discards") d1=$(cat "$sys/vio/arrays/1/discards")
blkdiscard -o $((8 * 512)) -l $((8 * 512)) "$vol"
expect_eq "array 0 discards" "$(cat "$sys/vio/arrays/0/discards")" "$d0"
expect_eq "array 1 discards" "$(cat "$sys/vio/arrays/1/discards")" $((d1 + 1))

# Write-zeroes: like discard, each array gets its share of the range and
# sectors 100..219 read back as zeroes. (Loop devices over tmpfs advertise
# write-zeroes but answer "not supported" for it, and the kernel then
# writes zero pages instead: both reach every array, neither is a fault.)
[ "$(cat "$sys/queue/write_zeroes_max_bytes")" -gt 0 ] || fail "write-zeroes not advertised"
random_file "$VIO_TMP/all" $((len / 2))
write_file "$vol" "$VIO_TMP/all" 0
ws=($(for i in 0 1 2; do cat "$sys/vio/arrays/$i/write_sectors"; done))
blkdiscard -z -o $((100 * 512)) -l $((120 * 512)) "$vol"
cp "$VIO_TMP/all" "$VIO_TMP/want"
dd if=/dev/zero of="$VIO_TMP/want" bs=512 seek=100 count=120 conv=notrunc status=none
read_sectors "$vol" 0 "$len" | cmp - "$VIO_TMP/want" || fail "write-zeroes: wrong sectors zeroed"
for i in 0 1 2; do
	d=$(($(cat "$sys/vio/arrays/$i/write_sectors") - ws[i]))
	[ "$d" -gt 0 ] || fail "array $i got no part of the write-zeroes"
	expect_eq "array $i errors" "$(cat "$sys/vio/arrays/$i/errors")" 0
done
python3 "$VIO_TOP/tools/testing/vio/layout-oracle.py" "$vol" "$len" stripe 8 \
	"${a[0]}:0" "${a[1]}:0" "${a[2]}:0"
