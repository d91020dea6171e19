#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Generated bad tables: a thousand (VIO_FUZZ_COUNT) malformed or hostile
# table lines from vio-fuzz.py (seeded: VIO_FUZZ_SEED, printed) are each
# refused with exactly one precise error from dm-vio, and the kernel logs
# nothing else: no warning, oops or sanitizer report. The device they are
# loaded into never gets a table.
. "$(dirname "$0")/lib.sh"

seed=${VIO_FUZZ_SEED:-1125}
count=${VIO_FUZZ_COUNT:-1000}
a0=$(make_array 2)	# 4096 sectors
a1=$(make_array 2)
a2=$(make_array 1)	# 2048 sectors
f=$(mktemp "$VIO_TMP/small.XXXXXX")
truncate -s 4k "$f"
small=$(losetup -f --show "$f")	# 8 sectors
dmsetup create viot-fz --notable
VIO_VOLUMES+=(viot-fz)

log "seed $seed, $count tables"
python3 "$VIO_TOP/tools/testing/vio/vio-fuzz.py" tables --seed "$seed" --count "$count" \
	--volume viot-fz --dev "$a0" --dev "$a1" --dev "$a2" --small "$small" >"$VIO_TMP/out" ||
	{ sed 's/^/# /' "$VIO_TMP/out"; fail "bad tables not refused as they should be (seed $seed)"; }
sed 's/^/# /' "$VIO_TMP/out"
robust_count inputs "$count"
expect_eq "tables of the fuzzed device" "$(dmsetup info -c --noheadings -o tables_loaded viot-fz)" \
	None
