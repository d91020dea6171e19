#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Generated bad messages: a thousand (VIO_FUZZ_COUNT) malformed or hostile
# messages from vio-fuzz.py (seeded: VIO_FUZZ_SEED, printed) to a live
# mirror with a fabric and QoS classes are each refused with EINVAL and
# exactly one error line from dm-vio, naming what is wrong (each kind of
# bad message has the errors it may get), nothing else in the kernel log; the
# volume's configuration is the same afterwards, and it serves the same
# data all along (read back and compared while the messages fly, and on
# every leg at the end).
. "$(dirname "$0")/lib.sh"

seed=${VIO_FUZZ_SEED:-1125}
count=${VIO_FUZZ_COUNT:-1000}
len=16384		# 8 MiB
make_arrays 3 9
b=("${ARRAYS[@]}")
vio_create viot-fm "$len" mirror 0 3 "${b[0]}" 0 "${b[1]}" 0 "${b[2]}" 0 \
	4 fabric 2 gen=3,width=4 gen=2,width=2,credits=8
vol=/dev/mapper/viot-fm
wait_states viot-fm AAA 60
vio_msg viot-fm capacity iops=1000
vio_msg viot-fm class create gold res_iops=100 weight=400
vio_msg viot-fm rule add vm=db1 gold
random_file "$VIO_TMP/data" $((len / 2))
dd if="$VIO_TMP/data" of="$vol" bs=1M oflag=direct status=none

# What must not change: the table, the policy, leg states, selector,
# weights and links.
config() {
	local d
	d=$(dm_sysfs viot-fm)/vio
	dmsetup table viot-fm
	vio_msg viot-fm class list
	vio_msg viot-fm rule list
	vio_msg viot-fm qos | sed -E 's/ (inflight|queued)=[0-9]+//g'
	leg_states viot-fm
	cat "$d/selector" "$d"/arrays/*/weight "$d"/fabric/state "$d"/fabric/mode \
		"$d"/fabric/links/*/params
}
config >"$VIO_TMP/config0"

# A reader compares the whole volume with what was written, over and over,
# until the messages are done.
reader() {
	local n=0
	while [ ! -e "$VIO_TMP/done" ]; do
		read_bulk "$vol" 0 "$len" | cmp -s - "$VIO_TMP/data" ||
			{ echo "pass $n: wrong data" >"$VIO_TMP/bad"; return; }
		n=$((n + 1))
	done
	echo "$n" >"$VIO_TMP/passes"
}
reader &
rpid=$!

log "seed $seed, $count messages"
rc=0
python3 "$VIO_TOP/tools/testing/vio/vio-fuzz.py" messages --seed "$seed" --count "$count" \
	--volume viot-fm --legs 3 >"$VIO_TMP/out" || rc=$?
touch "$VIO_TMP/done"
wait "$rpid"
sed 's/^/# /' "$VIO_TMP/out"
[ "$rc" -eq 0 ] || fail "bad messages not refused as they should be (seed $seed)"
robust_count inputs "$count"
[ -e "$VIO_TMP/bad" ] && fail "the volume served wrong data: $(cat "$VIO_TMP/bad")"
passes=$(cat "$VIO_TMP/passes")
[ "$passes" -ge 1 ] || fail "the reader never completed a pass"
config >"$VIO_TMP/config1"
diff -u "$VIO_TMP/config0" "$VIO_TMP/config1" >&2 || fail "the configuration changed"
read_bulk "$vol" 0 "$len" | cmp -s - "$VIO_TMP/data" || fail "wrong data at the end"
for i in 0 1 2; do
	read_bulk "${b[$i]}" 0 "$len" | cmp -s - "$VIO_TMP/data" || fail "leg $i differs"
done
robust_count bytes_verified $(((passes + 4) * len * 512))
log "the volume read back right $passes times during the messages, and on every leg"
