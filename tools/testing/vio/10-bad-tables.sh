#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Malformed tables are refused with a precise error naming what is wrong;
# no device is left behind and the kernel log holds nothing but that error.
. "$(dirname "$0")/lib.sh"

a0=$(make_array 2)	# 4096 sectors
a1=$(make_array 2)	# 4096 sectors
a2=$(make_array 1)	# 2048 sectors
f4k=$(mktemp "$VIO_TMP/4k.XXXXXX")
truncate -s 2M "$f4k"
b4k=$(losetup -f --show -b 4096 "$f4k")	# 4096-byte logical blocks
a0_mm=$(majmin "$a0")
f33=$(for i in $(seq 33); do printf ' %s 0' "$a0"; done)

# "<table>|<expected error text>"
cases=(
"0 4096 vio|Missing layout (linear, stripe or mirror)"
"0 4096 vio raid5 0 1 $a0 0|Unknown layout 'raid5' (expected linear, stripe or mirror)"
"0 4096 vio linear|Missing number of layout arguments"
"0 4096 vio linear x 1 $a0 0|Invalid number of layout arguments 'x' (expected 0 to 1)"
"0 4096 vio linear 1 8 1 $a0 0|Layout linear takes no arguments, got 1"
"0 8192 vio stripe 0 2 $a0 0 $a1 0|Layout stripe takes 1 argument (<chunk_sectors>), got 0"
"0 8192 vio stripe 1 100 2 $a0 0 $a1 0|Stripe chunk size 100 is not a power of two"
"0 8192 vio stripe 1 0 2 $a0 0 $a1 0|Invalid stripe chunk size '0' (sectors, 1 to 4294967295)"
"0 8192 vio stripe 1 4294967296 2 $a0 0 $a1 0|Invalid stripe chunk size '4294967296' (sectors, 1 to 4294967295)"
"0 8192 vio stripe 1 8k 2 $a0 0 $a1 0|Invalid stripe chunk size '8k' (sectors, 1 to 4294967295)"
"0 4096 vio linear 0 0|Invalid number of arrays '0' (expected 1 to 32)"
"0 4096 vio linear 0 33$f33|Invalid number of arrays '33' (expected 1 to 32)"
"0 4096 vio linear 0 2 $a0 0|Expected 2 arrays (<dev> <offset> pairs), got 2 words"
"0 4096 vio linear 0 1 $a0 abc|Array 0 ($a0): invalid offset 'abc' (sectors)"
"0 4096 vio linear 0 1 $a0 -8|Array 0 ($a0): invalid offset '-8' (sectors)"
"0 4096 vio linear 0 1 $a0 18446744073709551616|Array 0 ($a0): invalid offset '18446744073709551616' (sectors)"
"0 4096 vio linear 0 1 $a0 0 junk|Invalid number of feature arguments 'junk' (expected 0 to 42)"
"0 4096 vio linear 0 1 $a0 0 43 a b c d e f g h i|Invalid number of feature arguments '43' (expected 0 to 42)"
"0 4096 vio linear 0 1 $a0 0 2 ignore_discard|Expected 2 feature arguments, got 1"
"0 4096 vio linear 0 1 $a0 0 1 frobnicate|Unknown feature 'frobnicate'"
"0 4096 vio linear 0 1 $a0 0 2 ignore_discard ignore_discard|Feature 'ignore_discard' given twice"
"0 4096 vio linear 0 1 $a0 0 1 ignore_discard trailing|Unexpected argument 'trailing' after the feature group"
"0 4096 vio linear 0 1 $a0 0 1 tag|Feature 'tag' needs a name: tag <name>"
"0 4096 vio linear 0 1 $a0 0 4 tag a tag b|Feature 'tag' given twice"
"0 4096 vio linear 0 1 $a0 0 2 tag $(printf 'v%.0s' $(seq 64))|Tag '$(printf 'v%.0s' $(seq 40))' must be 1 to 63 characters"
"0 4096 vio linear 0 1 $a0 0 1 ignore_discard tag x|Unexpected argument 'tag' after the feature group"
"0 4096 vio linear 0 1 /dev/nonexistent 0|Array 0 (/dev/nonexistent): cannot open device"
"0 4096 vio linear 0 1 /etc/hostname 0|Array 0 (/etc/hostname): cannot open device"
"0 8192 vio linear 0 2 $a0 0 $a0 0|Array 1 ($a0) is the same device as array 0"
"0 8192 vio linear 0 2 $a0 0 $a0_mm 2048|Array 1 ($a0_mm) is the same device as array 0"
"0 8193 vio linear 0 2 $a0 0 $a1 0|Length 8193 exceeds the arrays' capacity of 8192 sectors"
"0 4096 vio linear 0 2 $a0 0 $a1 0|Length 4096 leaves array 1 ($a1) unused: the arrays before it hold 4096 sectors"
"0 4096 vio linear 0 2 $a0 4096 $a1 0|Array 0 ($a0): offset 4096 is beyond its end (4096 sectors)"
"0 8008 vio stripe 1 8 2 $a0 0 $a1 0|Length 8008 is not a multiple of the stripe width (2 x 8 = 16 sectors)"
"0 8192 vio stripe 1 8 2 $a0 0 $a2 0|Array 1 ($a2) too small: needs 4096 sectors after offset 0, has 2048"
"0 4096 vio stripe 1 16 2 $a0 0 $a1 2049|Array 1 ($a1) too small: needs 2048 sectors after offset 2049, has 2047"
"0 2048 vio stripe 1 4 1 $b4k 0|Stripe chunk size 4 is below the logical block size (4096 bytes)"
"0 2048 vio linear 0 1 $b4k 3|Array 0 ($b4k): offset 3 is not aligned to its logical block size (4096 bytes)"
"0 4092 vio linear 0 1 $b4k 0|Length 4092 is not a multiple of the logical block size (4096 bytes)"
)

n=0
for c in "${cases[@]}"; do
	table=${c%%|*}
	want=${c#*|}
	kmsg_mark
	if dmsetup create viot-bad --table "$table" 2>"$VIO_TMP/err"; then
		VIO_VOLUMES+=(viot-bad)
		fail "accepted: $table"
	fi
	grep -q 'Invalid argument\|No such device\|Device or resource busy\|Block device required\|No such file' "$VIO_TMP/err" ||
		fail "dmsetup error for '$table': $(cat "$VIO_TMP/err")"
	dmsetup info viot-bad >/dev/null 2>&1 && fail "device left behind by: $table"
	got=$(kmsg_since)
	grep -qF "vio: $want (-E" <<<"$got" ||
		fail "for '$table' want '$want', kernel log: $got"
	# Nothing but dm's report of our error and its ioctl summary.
	other=$(grep -vF "vio: $want (-E" <<<"$got" |
		grep -v 'device-mapper: ioctl: error adding target to table' || true)
	[ -z "$other" ] || fail "unexpected kernel log lines for '$table': $other"
	n=$((n + 1))
done

# A vio target that does not start at sector 0 (sysfs tree is per device).
kmsg_mark
printf '0 8 zero\n8 4096 vio linear 0 1 %s 0\n' "$a0" | dmsetup create viot-bad 2>/dev/null &&
	fail "accepted a vio target at sector 8"
kmsg_since | grep -qF 'vio: A vio target must start at sector 0 of its table' ||
	fail "no precise error for a vio target at sector 8"
n=$((n + 1))

log "$n malformed tables refused with precise errors"
[ "$n" -ge 30 ] || fail "only $n cases"
