#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Malformed mirror tables are refused with a precise error and no other
# device-mapper log line; malformed mirror messages are refused with -EINVAL
# and one precise line, and change nothing: status, table, classes and data
# read back the same. Mirror messages on a linear volume are refused too.
. "$(dirname "$0")/lib.sh"

a0=$(make_array 2)	# 4096 sectors
a1=$(make_array 2)	# 4096 sectors
a2=$(make_array 1)	# 2048 sectors
a0_mm=$(majmin "$a0")
legs="2 $a0 0 $a1 0"
legs9=$(for i in $(seq 9); do printf ' %s 0' "$a0"; done)
range="(sectors, a power of two from 8 to 4194304)"
sels="(expected round-robin, least-outstanding or service-time)"

# "<table>|<expected error text>"
cases=(
"0 4096 vio mirror|Missing number of layout arguments"
"0 4096 vio mirror x $legs|Invalid number of layout arguments 'x' (expected 0 to 6)"
"0 4096 vio mirror 8 region_size 8 selector round-robin weights 1,1 $legs|Invalid number of layout arguments '8' (expected 0 to 6)"
"0 4096 vio mirror 2 region_size|Expected 2 mirror arguments, got 1"
"0 4096 vio mirror 1 region_size 2 $a0 0 $a1 0|Mirror arguments come in <key> <value> pairs, got 1 words"
"0 4096 vio mirror 3 region_size 8 selector $legs|Mirror arguments come in <key> <value> pairs, got 3 words"
"0 4096 vio mirror 2 chunk 8 $legs|Unknown mirror argument 'chunk' (expected region_size, selector or weights)"
"0 4096 vio mirror 2 2048 region_size $legs|Unknown mirror argument '2048' (expected region_size, selector or weights)"
"0 4096 vio mirror 4 region_size 8 region_size 16 $legs|Mirror argument 'region_size' given twice"
"0 4096 vio mirror 4 selector round-robin selector round-robin $legs|Mirror argument 'selector' given twice"
"0 4096 vio mirror 4 weights 1,2 weights 1,2 $legs|Mirror argument 'weights' given twice"
"0 4096 vio mirror 2 region_size 1000 $legs|Invalid region_size '1000' $range"
"0 4096 vio mirror 2 region_size 4 $legs|Invalid region_size '4' $range"
"0 4096 vio mirror 2 region_size 0 $legs|Invalid region_size '0' $range"
"0 4096 vio mirror 2 region_size 8388608 $legs|Invalid region_size '8388608' $range"
"0 4096 vio mirror 2 region_size 4294967296 $legs|Invalid region_size '4294967296' $range"
"0 4096 vio mirror 2 region_size 1m $legs|Invalid region_size '1m' $range"
"0 4096 vio mirror 2 region_size -8 $legs|Invalid region_size '-8' $range"
"0 4096 vio mirror 2 selector fastest $legs|Unknown selector 'fastest' $sels"
"0 4096 vio mirror 2 selector Round-Robin $legs|Unknown selector 'Round-Robin' $sels"
"0 4096 vio mirror 2 weights 0,1 $legs|Mirror weight '0' in '0,1' is not 1 to 1000"
"0 4096 vio mirror 2 weights 1,1001 $legs|Mirror weight '1001' in '1,1001' is not 1 to 1000"
"0 4096 vio mirror 2 weights abc,1 $legs|Mirror weight 'abc' in 'abc,1' is not 1 to 1000"
"0 4096 vio mirror 2 weights 1,,1 $legs|Mirror weight '' in '1,,1' is not 1 to 1000"
"0 4096 vio mirror 2 weights +1,1 $legs|Mirror weight '+1' in '+1,1' is not 1 to 1000"
"0 4096 vio mirror 2 weights 1,2,3 $legs|Mirror weights: 3 given for 2 legs"
"0 4096 vio mirror 2 weights 5 $legs|Mirror weights: 1 given for 2 legs"
"0 4096 vio mirror 2 weights 1,1,1,1,1,1,1,1,1 $legs|Mirror weights '1,1,1,1,1,1,1,1,1': more than 8"
"0 4096 vio mirror 2 weights $(printf '1000,%.0s' $(seq 16))1 $legs|Mirror weights '$(printf '1000,%.0s' $(seq 8))' are too long"
"0 4096 vio mirror 0 1 $a0 0|Invalid number of mirror legs '1' (expected 2 to 8)"
"0 4096 vio mirror 0 0|Invalid number of mirror legs '0' (expected 2 to 8)"
"0 4096 vio mirror 0 9$legs9|Invalid number of mirror legs '9' (expected 2 to 8)"
"0 4096 vio mirror 0 two $a0 0 $a1 0|Invalid number of mirror legs 'two' (expected 2 to 8)"
"0 4096 vio mirror 0 3 $a0 0 $a1 0|Expected 3 arrays (<dev> <offset> pairs), got 4 words"
"0 4096 vio mirror 0 2 $a0 0 $a2 0|Mirror leg 1 ($a2) too small: needs 4096 sectors after offset 0, has 2048"
"0 4096 vio mirror 0 2 $a0 0 $a1 8|Mirror leg 1 ($a1) too small: needs 4096 sectors after offset 8, has 4088"
"0 4097 vio mirror 0 2 $a0 0 $a1 0|Mirror leg 0 ($a0) too small: needs 4097 sectors after offset 0, has 4096"
"0 4096 vio mirror 0 2 $a0 0 $a0 0|Array 1 ($a0) is the same device as array 0"
"0 2048 vio mirror 0 3 $a0 0 $a1 0 $a0_mm 2048|Array 2 ($a0_mm) is the same device as array 0"
"0 4096 vio mirror 0 $legs 2 nosync nosync|Feature 'nosync' given twice"
"0 4096 vio mirror 0 $legs 2 nosync|Expected 2 feature arguments, got 1"
"0 4096 vio mirror 0 $legs 1 nosync ignore_discard|Unexpected argument 'ignore_discard' after the feature group"
"0 4096 vio linear 0 1 $a0 0 1 nosync|Feature 'nosync' applies to the mirror layout only"
"0 8192 vio stripe 1 8 2 $a0 0 $a1 0 1 nosync|Feature 'nosync' applies to the mirror layout only"
"0 4096 vio mirror 0 $legs 1 sync|Unknown feature 'sync'"
)

# (A device left behind would make the next create fail: "File exists".)
n=0
kmsg_mark
for c in "${cases[@]}"; do
	table=${c%%|*}
	want=${c#*|}
	if dmsetup create viot-bad --table "$table" 2>"$VIO_TMP/err"; then
		VIO_VOLUMES+=(viot-bad)
		fail "accepted: $table"
	fi
	[[ $(<"$VIO_TMP/err") == *"Invalid argument"* ]] ||
		fail "dmsetup error for '$table': $(<"$VIO_TMP/err")"
	# dm's report of our error, then its ioctl summary, and nothing else.
	kmsg_take got
	[ "${#got[@]}" -eq 2 ] && [[ ${got[0]} == *"vio: $want (-EINVAL)" ]] &&
		[[ ${got[1]} == *"device-mapper: ioctl: error adding target to table" ]] ||
		fail "for '$table' want '$want', kernel log: $(printf '%s\n' "${got[@]}")"
	n=$((n + 1))
done
dmsetup info viot-bad >/dev/null 2>&1 && fail "device left behind"
log "$n malformed mirror tables refused with precise errors"

# --- Messages, on a healthy mirror, then with leg 1 failed. ---
vio_create viot-mm 4096 mirror 4 region_size 256 selector round-robin 2 "$a0" 0 "$a1" 0
wait_states viot-mm AA 30
vol=/dev/mapper/viot-mm
sys=$(dm_sysfs viot-mm)/vio
random_file "$VIO_TMP/data" 2048
dd if="$VIO_TMP/data" of="$vol" bs=64k oflag=direct status=none
vio_msg viot-mm class create gold prefer=0
state() {
	local f l
	# Less each leg's service time, which halves every second the leg
	# stands idle: no message changed it.
	dmsetup status viot-mm |
		awk '$4 == "mirror" { for (l = 0; l < $5; l++) $(10 + 9 * $5 + 4 * l) = "-" } 1'
	dmsetup table viot-mm
	for f in "$sys/selector" "$sys"/arrays/*/weight "$sys"/arrays/*/state \
		"$sys"/classes/*/params; do
		read -r l <"$f" || l=
		echo "$f $l"
	done
}

sel_usage="Usage: selector <round-robin|least-outstanding|service-time>"
w_usage="Usage: weight <array> <1-1000>"
mask="expected array indices below 32, like 0,2, or none"
# "<message> => <expected log text>"
healthy=(
"fail => Usage: fail <array>"
"reinstate => Usage: reinstate <array>"
"fail 0 1 => Usage: fail <array>"
"reinstate 1 now => Usage: reinstate <array>"
"fail x => Invalid array 'x' (expected 0 to 1)"
"fail 2 => Invalid array '2' (expected 0 to 1)"
"fail -1 => Invalid array '-1' (expected 0 to 1)"
"fail 99999999999 => Invalid array '99999999999' (expected 0 to 1)"
"reinstate 2 => Invalid array '2' (expected 0 to 1)"
"reinstate 0 => Array 0 is not failed (state A)"
"reinstate 1 => Array 1 is not failed (state A)"
"selector => $sel_usage"
"selector round-robin now => $sel_usage"
"selector fastest => Unknown selector 'fastest' $sels"
"selector service_time => Unknown selector 'service_time' $sels"
"weight => $w_usage"
"weight 0 => $w_usage"
"weight 0 2 3 => $w_usage"
"weight 0 0 => Invalid weight '0' (expected 1 to 1000)"
"weight 0 1001 => Invalid weight '1001' (expected 1 to 1000)"
"weight 0 x => Invalid weight 'x' (expected 1 to 1000)"
"weight 0 -1 => Invalid weight '-1' (expected 1 to 1000)"
"weight 2 1 => Invalid array '2' (expected 0 to 1)"
"weight y 1 => Invalid array 'y' (expected 0 to 1)"
"class create x prefer=99 => Class parameter 'prefer=99': $mask"
"class create x avoid=1,1 => Class parameter 'avoid=1,1': $mask"
"class create x prefer= => Class parameter 'prefer=': $mask"
"class create x prefer=0, => Class parameter 'prefer=0,': $mask"
"class create x avoid=one => Class parameter 'avoid=one': $mask"
"class create x prefer => Class parameter 'prefer' needs a value: prefer=<n>"
"class create x prefer=0 avoid=0 => Class both prefers and avoids array 0"
"class create x prefer=0,1 avoid=1 => Class both prefers and avoids array 1"
"class set gold prefer=32 => Class parameter 'prefer=32': $mask"
"class set gold avoid=0 => Class both prefers and avoids array 0"
)
failed=(
"fail 1 => Array 1 is already failed"
"fail 0 => Array 0 is the last in-sync leg; failing it would leave no copy to serve"
"reinstate 0 => Array 0 is not failed (state A)"
"weight 0 0 => Invalid weight '0' (expected 1 to 1000)"
)

# refuse_all <case>...: each refused, the state as before
refuse_all() {
	local c msg
	state >"$VIO_TMP/before"
	for c in "$@"; do
		msg=${c%% => *}
		# shellcheck disable=SC2086
		msg_refused viot-mm "${c#* => }" $msg
		[ "$(state)" == "$(<"$VIO_TMP/before")" ] ||
			fail "'$msg' changed the state: $(state | diff "$VIO_TMP/before" -)"
		n=$((n + 1))
	done
}
n=0
refuse_all "${healthy[@]}"
vio_msg viot-mm fail 1
expect_eq "leg states after fail 1" "$(leg_states viot-mm)" AD
refuse_all "${failed[@]}"
vio_msg viot-mm reinstate 1
wait_states viot-mm AA 30
read_bulk "$vol" 0 4096 | cmp -s - "$VIO_TMP/data" || fail "volume data changed"
same_data "$a0" 0 "$a1" 0 4096 || fail "legs differ"
expect_eq "table at the end" "$(dmsetup table viot-mm)" \
	"0 4096 vio mirror 4 region_size 256 selector round-robin 2 $a0_mm 0 $(majmin "$a1") 0 1 nosync"
log "$n malformed mirror messages refused with precise errors, state unchanged"

# Mirror messages on a linear volume.
vio_remove viot-mm
vio_create viot-mm 4096 linear 0 1 "$a0" 0
sys=$(dm_sysfs viot-mm)/vio
state() {
	dmsetup status viot-mm
	dmsetup table viot-mm
}
refuse_all "fail 0 => Message 'fail' applies to mirror volumes only" \
	"reinstate 0 => Message 'reinstate' applies to mirror volumes only" \
	"selector round-robin => Message 'selector' applies to mirror volumes only" \
	"weight 0 2 => Message 'weight' applies to mirror volumes only" \
	"fail => Message 'fail' applies to mirror volumes only"
log "mirror messages refused on a linear volume"
