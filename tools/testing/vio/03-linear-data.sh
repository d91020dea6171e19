#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Linear: data written through the volume is on the right array at the
# right offset, including writes that straddle two arrays.
. "$(dirname "$0")/lib.sh"

a0=$(make_array 2)	# 4096 sectors, offset 0    -> volume [0, 4096)
a1=$(make_array 3)	# 6144 sectors, offset 2048 -> volume [4096, 8192)
a2=$(make_array 4)	# 8192 sectors, offset 1024 -> volume [8192, 12288)
len=12288
vio_create viot-lin "$len" linear 0 3 "$a0" 0 "$a1" 2048 "$a2" 1024
vol=/dev/mapper/viot-lin

random_file "$VIO_TMP/all" $((len / 2))
write_file "$vol" "$VIO_TMP/all" 0
read_sectors "$vol" 0 "$len" | cmp - "$VIO_TMP/all" || fail "volume read-back differs"
python3 "$VIO_TOP/tools/testing/vio/layout-oracle.py" "$vol" "$len" linear \
	"$a0:0" "$a1:2048" "$a2:1024"

# One write straddling arrays 0|1 and one straddling 1|2.
random_file "$VIO_TMP/x" 64
write_file "$vol" "$VIO_TMP/x" $((4096 - 40))
read_sectors "$a0" $((4096 - 40)) 40 | cmp - <(head -c $((40 * 512)) "$VIO_TMP/x") ||
	fail "straddling write: head not at the end of array 0"
read_sectors "$a1" 2048 88 | cmp - <(tail -c $((88 * 512)) "$VIO_TMP/x") ||
	fail "straddling write: tail not at offset 2048 of array 1"
write_file "$vol" "$VIO_TMP/x" $((8192 - 1))
read_sectors "$a1" $((2048 + 4095)) 1 | cmp - <(head -c 512 "$VIO_TMP/x") ||
	fail "straddling write: last sector of array 1"
read_sectors "$a2" 1024 127 | cmp - <(tail -c $((127 * 512)) "$VIO_TMP/x") ||
	fail "straddling write: head of array 2"
python3 "$VIO_TOP/tools/testing/vio/layout-oracle.py" "$vol" "$len" linear \
	"$a0:0" "$a1:2048" "$a2:1024"
# The bytes in front of array 1's offset were never touched.
read_sectors "$a1" 0 2048 | cmp - <(head -c $((2048 * 512)) /dev/zero) ||
	fail "data landed before array 1's offset"
