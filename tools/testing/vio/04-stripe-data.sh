#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Stripe: every chunk lands on array (chunk % n) at (chunk / n) chunks
# past the array's offset; large I/O is split at chunk edges.
. "$(dirname "$0")/lib.sh"

make_arrays 3 4
a=("${ARRAYS[@]}")
len=$((3 * 6144))	# 6144 sectors per array after offsets 2048, 0, 1024
vio_create viot-str "$len" stripe 1 16 3 "${a[0]}" 2048 "${a[1]}" 0 "${a[2]}" 1024
vol=/dev/mapper/viot-str

random_file "$VIO_TMP/all" $((len / 2))
write_file "$vol" "$VIO_TMP/all" 0
read_sectors "$vol" 0 "$len" | cmp - "$VIO_TMP/all" || fail "volume read-back differs"
python3 "$VIO_TOP/tools/testing/vio/layout-oracle.py" "$vol" "$len" stripe 16 \
	"${a[0]}:2048" "${a[1]}:0" "${a[2]}:1024"

# Volume chunk 4 (sectors 64..79) is array 1's chunk 1 (sectors 16..31).
random_file "$VIO_TMP/c" 8
write_file "$vol" "$VIO_TMP/c" 64
read_sectors "${a[1]}" 16 16 | cmp - "$VIO_TMP/c" || fail "chunk 4 not at array 1 sector 16"

# A 1 MiB write at an unaligned sector crosses many chunks and rows.
random_file "$VIO_TMP/big" 1024
write_file "$vol" "$VIO_TMP/big" 77
read_sectors "$vol" 77 2048 | cmp - "$VIO_TMP/big" || fail "large write read-back"
python3 "$VIO_TOP/tools/testing/vio/layout-oracle.py" "$vol" "$len" stripe 16 \
	"${a[0]}:2048" "${a[1]}:0" "${a[2]}:1024"
