#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Generated bad input for the dmvio tool: 1000 (VIO_FUZZ_TOOL_COUNT)
# policy files, each a valid policy with one to three bad lines, and as
# many malformed argument lists, from vio-fuzz.py (seeded: VIO_FUZZ_SEED,
# printed), against a live volume. Each is refused: exit status 1, the
# reason on stderr (for a policy file, as file:line), never a crash, and
# nothing sent: the volume's classes, rules, capacity, depth and table are
# as they were.
. "$(dirname "$0")/lib.sh"

seed=${VIO_FUZZ_SEED:-1125}
count=${VIO_FUZZ_TOOL_COUNT:-1000}	# each a process: slow in an emulator
make_arrays 3 4
vio_create viot-ft 4096 mirror 0 2 "${ARRAYS[0]}" 0 "${ARRAYS[1]}" 0 1 nosync
dm_create viot-fother "0 4096 linear ${ARRAYS[2]} 0"
dmvio=$VIO_TOP/tools/dmvio/dmvio
cat >"$VIO_TMP/policy" <<EOT
capacity iops=1000
depth 32
class gold res_iops=100 weight=400
class bronze iops=500 iops_max=800 iops_max_len=5
rule vm=db1 gold
rule cgroup=/x/* bronze
EOT
"$dmvio" apply viot-ft "$VIO_TMP/policy" >/dev/null || fail "the valid policy was refused"

log "seed $seed, $count policy files and $count argument lists"
python3 "$VIO_TOP/tools/testing/vio/vio-fuzz.py" tool --seed "$seed" --count "$count" \
	--volume viot-ft --dmvio "$dmvio" --other viot-fother >"$VIO_TMP/out" ||
	{ sed 's/^/# /' "$VIO_TMP/out"; fail "bad dmvio input not refused as it should be (seed $seed)"; }
sed 's/^/# /' "$VIO_TMP/out"
robust_count inputs $((2 * count))
expect_eq "a second apply of the valid policy" "$("$dmvio" apply viot-ft "$VIO_TMP/policy")" \
	"viot-ft: nothing to do"
