#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Mirror reloads keep what the volume knows about its legs: a new table
# takes over the failed and resyncing legs of the one it replaces (the
# same device at the same offset), with the regions they miss, whatever
# its own features say; a resync half done goes on; a changed region size
# carries the dirty regions over; a leg new to the volume copies it in
# full; a table that keeps no in-sync leg is refused at resume and the
# volume, still suspended, takes the right table next. Every step ends
# with the volume reading what was written and, once resynced, every leg
# holding the same bytes.
. "$(dirname "$0")/lib.sh"

len=16384		# 8 MiB: 64 regions of 128 KiB
regions=64
make_arrays 4 9
b=("${ARRAYS[@]}")
L=() M=()
for i in 0 1 2 3; do
	dm_create "viot-rl$i" "0 $len linear ${b[$i]} 0"
	L+=("/dev/mapper/viot-rl$i")
	M+=("$(majmin "${L[$i]}")")
done
vio_create viot-rl "$len" mirror 2 region_size 256 3 "${L[0]}" 0 "${L[1]}" 0 "${L[2]}" 0
vol=/dev/mapper/viot-rl
dev=$(dm_devnum viot-rl)
wait_states viot-rl AAA 60
random_file "$VIO_TMP/all" $((len / 2))
dd if="$VIO_TMP/all" of="$vol" bs=64k oflag=direct status=none

# reload <table>: load it, swap it in (suspend, resume), each step bounded
reload() {
	bounded 30 "load" dmsetup reload viot-rl --table "$1"
	bounded 30 "suspend" dmsetup suspend viot-rl
	bounded 30 "resume" dmsetup resume viot-rl
}

# put <KiB> <at KiB>: new random data at an offset, also in the copy of
# the volume's content ($VIO_TMP/all) that check compares with
put() {
	random_file "$VIO_TMP/p" "$1"
	dd if="$VIO_TMP/p" of="$vol" bs=1k seek="$2" oflag=direct status=none
	dd if="$VIO_TMP/p" of="$VIO_TMP/all" bs=1k seek="$2" conv=notrunc status=none
}

# check <what> [<leg devices>...]: the volume reads what was written, and
# the given legs hold it too
check() {
	local what=$1 d
	shift
	read_bulk "$vol" 0 "$len" | cmp -s - "$VIO_TMP/all" ||
		fail "$what: the volume does not read what was written (legs $(leg_states viot-rl))"
	for d in "$@"; do
		read_bulk "$d" 0 "$len" | cmp -s - "$VIO_TMP/all" ||
			fail "$what: $d does not hold the volume's data"
	done
}

in_sync() {
	leg_field viot-rl "$1" in_sync
}

# --- A failed leg stays failed, with the regions it missed. ---
vio_msg viot-rl fail 1
put 512 1024		# regions 8 to 11
t=$(dmsetup table viot-rl)
reload "$t"
expect_eq "legs after reloading TABLE with leg 1 failed" "$(leg_states viot-rl)" ADA
expect_eq "leg 1's in-sync regions after the reload" "$(in_sync 1)" $((regions - 4))
check "leg 1 failed, reloaded"
vio_msg viot-rl reinstate 1
wait_states viot-rl AAA 60
check "leg 1 reinstated after the reload" "${L[@]:0:3}"
log "a failed leg and its 4 dirty regions survive a reload; reinstated, it catches up"

# --- A resync half done goes on where it was. ---
# Leg 2 misses the whole volume, then copies it behind a device whose
# writes take 100 ms: 64 regions, several seconds.
vio_msg viot-rl fail 2
put 4096 0
dm_swap viot-rl2 "0 $len delay ${b[2]} 0 0 ${b[2]} 0 100"
vio_msg viot-rl reinstate 2
for ((i = 0; i < 300; i++)); do
	[ "$(in_sync 2)" -ge 8 ] && break
	nap 0.1
done
[ "$i" -lt 300 ] || fail "the resync of leg 2 did not start: $(dmsetup status viot-rl)"
t=$(dmsetup table viot-rl)
[[ $t != *nosync* ]] || fail "TABLE says nosync while leg 2 resyncs: $t"
reload "$t"
got=$(in_sync 2)
expect_eq "legs after a reload mid-resync" "$(leg_states viot-rl)" AAa
[ "$got" -ge 8 ] || fail "leg 2's resync started over after the reload: $got regions in sync"
check "reloaded mid-resync"
dm_swap viot-rl2 "0 $len linear ${b[2]} 0"
wait_states viot-rl AAA 60
check "resync finished after the reload" "${L[@]:0:3}"
log "a reload mid-resync keeps the $got regions already copied"

# --- A new region size keeps the dirty regions, converted. ---
vio_msg viot-rl fail 1
put 64 3000		# one 128 KiB region, two 64 KiB ones
t=$(dmsetup table viot-rl)
reload "${t/region_size 256/region_size 128}"
expect_eq "legs after a reload to 64 KiB regions" "$(leg_states viot-rl)" ADA
expect_eq "leg 1's in-sync regions at 64 KiB" "$(in_sync 1)" $((2 * regions - 2))
vio_msg viot-rl reinstate 1
wait_states viot-rl AAA 60
check "resynced at 64 KiB regions" "${L[@]:0:3}"
t=$(dmsetup table viot-rl)
reload "${t/region_size 128/region_size 256}"
expect_eq "legs after going back to 128 KiB regions" "$(leg_states viot-rl)" AAA
log "region size changed with a leg failed: its dirty regions carried over"

# --- nosync in the new table does not make a stale leg in sync. ---
vio_msg viot-rl fail 2
put 128 6000
t=$(dmsetup table viot-rl)
[[ $t == *" 0" ]] || fail "TABLE ends with features: $t"
reload "$t 1 nosync"
expect_eq "legs after a nosync reload with leg 2 failed" "$(leg_states viot-rl)" AAD
vio_msg viot-rl reinstate 2
wait_states viot-rl AAA 60
check "leg 2 resynced after a nosync reload" "${L[@]:0:3}"
log "nosync applies to new legs only"

# --- A leg replaced by a new device copies everything. ---
vio_msg viot-rl fail 1
put 256 7000
t=$(dmsetup table viot-rl)
reload "${t/${M[1]} /${M[3]} }"
states=$(leg_states viot-rl)
[[ $states == AaA || $states == AAA ]] || fail "legs after replacing leg 1: $states, want AaA"
wait_states viot-rl AAA 60
check "leg 1 replaced by a new device" "${L[0]}" "${L[3]}" "${L[2]}"
log "a new leg in place of a failed one is copied in full"

# --- A table that keeps no in-sync leg is refused. ---
vio_msg viot-rl fail 0
vio_msg viot-rl fail 2
put 128 2000
expect_eq "legs before the bad reload" "$(leg_states viot-rl)" DAD
good=$(dmsetup table viot-rl)
kmsg_mark
bounded 30 "load" dmsetup reload viot-rl --table "${good/${M[3]} /${M[1]} }"
dmsetup resume viot-rl 2>/dev/null && fail "a table without the in-sync leg ${M[3]} resumed"
# Our reason, then dm's own note of the failed resume; nothing else.
mapfile -t got < <(kmsg_dm_since)
want="vio: $dev: cannot resume: no leg of the new table is in sync; the data is on ${M[3]}+0"
[[ ${#got[@]} -eq 2 && ${got[0]} == *"$want" &&
	${got[1]} == *"table: $dev: vio: preresume failed, error = -22" ]] ||
	fail "kernel log for the refused resume: '${got[*]}', want '...$want' and dm's preresume note"
dmsetup info viot-rl | grep -q SUSPENDED || fail "the volume is not suspended after the refused resume"
bounded 30 "load the right table" dmsetup reload viot-rl --table "$good"
bounded 30 "resume the right table" dmsetup resume viot-rl
expect_eq "legs once the right table resumed" "$(leg_states viot-rl)" DAD
check "after the refused table"
vio_msg viot-rl reinstate 0
vio_msg viot-rl reinstate 2
wait_states viot-rl AAA 60
check "every leg back" "${L[0]}" "${L[3]}" "${L[2]}"
robust_count inputs 1
log "a table without the in-sync leg refused at resume; the next one took over"
