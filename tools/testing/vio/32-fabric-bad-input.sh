#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Malformed fabric tables are refused with a precise error and nothing else
# in the kernel log; malformed fabric and link messages are refused with
# -EINVAL and one precise line, and change nothing: table, status, every
# link's spec, sysfs and the data read back the same. Specs at the limits
# of every key are accepted and printed back in full.
. "$(dirname "$0")/lib.sh"

a0=$(make_array 2)	# 4096 sectors
a1=$(make_array 2)	# 4096 sectors
one="0 4096 vio linear 0 1 $a0 0"
two="0 8192 vio linear 0 2 $a0 0 $a1 0"
keys="(expected gen, width, mps, lat_ns or credits)"
upkeys="(expected gen, width, mps, lat_ns)"
long="gen=3$(printf ",lat_ns=1%.0s" $(seq 12))"	# 113 characters

# "<table>|<expected error text>"
cases=(
"$one 1 fabric|Feature 'fabric' needs <#specs> <upstream spec> <port spec>..."
"$one 2 fabric gen=3|Feature 'fabric': invalid number of link specs 'gen=3' (expected 2)"
"$one 4 fabric 3 gen=3 gen=3|Feature 'fabric': invalid number of link specs '3' (expected 2)"
"$one 3 fabric 1 gen=3|Feature 'fabric': invalid number of link specs '1' (expected 2)"
"$one 4 fabric +2 gen=3 gen=3|Feature 'fabric': invalid number of link specs '+2' (expected 2)"
"$two 5 fabric +3 gen=3 gen=3 gen=3|Feature 'fabric': invalid number of link specs '+3' (expected 2 or 3)"
"$two 6 fabric 4 gen=3 gen=3 gen=3 gen=3|Feature 'fabric': invalid number of link specs '4' (expected 2 or 3)"
"$one 3 fabric 2 gen=3|Feature 'fabric': expected 2 link specs, got 1"
"$two 4 fabric 3 gen=3 gen=3|Feature 'fabric': expected 3 link specs, got 2"
"$one 4 fabric 2 gen=3|Expected 4 feature arguments, got 3"
"$one 4 fabric 2 gen=3 gen=3 ignore_discard|Unexpected argument 'ignore_discard' after the feature group"
"$one 8 fabric 2 gen=3 gen=3 fabric 2 gen=3 gen=3|Feature 'fabric' given twice"
"$one 2 fabric_host fabric_host|Feature 'fabric_host' given twice"
"$one 4 fabric 2 gen=3 gen=0|Link gen '0' is not 1 to 5"
"$one 4 fabric 2 gen=6 gen=3|Link gen '6' is not 1 to 5"
"$one 4 fabric 2 gen=3 gen=3x|Link gen '3x' is not 1 to 5"
"$one 4 fabric 2 gen=3 gen=+3|Link gen '+3' is not 1 to 5"
"$one 4 fabric 2 gen=3 gen=|Link gen '' is not 1 to 5"
"$one 4 fabric 2 gen=3 gen|Link gen '' is not 1 to 5"
"$one 4 fabric 2 gen=3 width=3|Link width 3 is not 1, 2, 4, 8 or 16"
"$one 4 fabric 2 width=12 gen=3|Link width 12 is not 1, 2, 4, 8 or 16"
"$one 4 fabric 2 gen=3 width=32|Link width '32' is not 1 to 16"
"$one 4 fabric 2 gen=3 mps=100|Link mps '100' is not 128 to 4096"
"$one 4 fabric 2 gen=3 mps=8192|Link mps '8192' is not 128 to 4096"
"$one 4 fabric 2 mps=384 gen=3|Link mps 384 is not a power of two"
"$one 4 fabric 2 gen=3 lat_ns=10000001|Link lat_ns '10000001' is not 0 to 10000000"
"$one 4 fabric 2 gen=3 credits=0|Link credits '0' is not 1 to 4096"
"$one 4 fabric 2 gen=3 credits=4097|Link credits '4097' is not 1 to 4096"
"$one 4 fabric 2 credits=64 gen=3|Unknown link key 'credits' $upkeys"
"$one 4 fabric 2 gen=3 gen=3,gen=3|Link key 'gen' given twice"
"$one 4 fabric 2 gen=3 speed=5|Unknown link key 'speed' $keys"
"$one 4 fabric 2 gen=3 ,|Unknown link key '' $keys"
"$one 4 fabric 2 gen=3 gen=3,|Unknown link key '' $keys"
"$one 4 fabric 2 gen=3 abcdefghijklmnopqrstuvwxyz=1|Unknown link key 'abcdefghijklmnopqrst' $keys"
"$one 4 fabric 2 gen=3 $long|Link spec '${long:0:40}...' is too long"
"$two 5 fabric 3 gen=3 gen=3 gen=9|Link gen '9' is not 1 to 5"
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
	grep -q 'Invalid argument' "$VIO_TMP/err" ||
		fail "dmsetup error for '$table': $(cat "$VIO_TMP/err")"
	dmsetup info viot-bad >/dev/null 2>&1 && fail "device left behind by: $table"
	got=$(kmsg_news)
	grep -qF "vio: $want (-E" <<<"$got" ||
		fail "for '$table' want '$want', kernel log: $got"
	other=$(grep -vF "vio: $want (-E" <<<"$got" |
		grep -v 'device-mapper: ioctl: error adding target to table' || true)
	[ -z "$other" ] || fail "unexpected kernel log lines for '$table': $other"
	n=$((n + 1))
done
log "$n malformed fabric tables refused with precise errors"

# --- Every key at its limits, keys in any order: accepted, printed in
# full and in order. ---
up="mps=4096,gen=5,width=16,lat_ns=0"
p0="credits=1,lat_ns=10000000,mps=128,width=1,gen=1"
p1="gen=2,width=8"
vio_create viot-fm 8192 linear 0 2 "$a0" 0 "$a1" 0 5 fabric 3 "$up" "$p0" "$p1"
vol=/dev/mapper/viot-fm
sys=$(dm_sysfs viot-fm)/vio/fabric
up="gen=5,width=16,mps=4096,lat_ns=0"
p0="gen=1,width=1,mps=128,lat_ns=10000000,credits=1"
p1="gen=2,width=8,mps=256,lat_ns=1000,credits=64"
table="0 8192 vio linear 0 2 $(majmin "$a0") 0 $(majmin "$a1") 0 5 fabric 3 $up $p0 $p1"
expect_eq "table with limit specs" "$(dmsetup table viot-fm)" "$table"
expect_eq "link specs" "$(fabric_specs viot-fm | tr '\n' ' ')" "up $up port0 $p0 port1 $p1 "
expect_eq "sysfs specs" "$(cat "$sys/links/up/params" "$sys/links/0/params" "$sys/links/1/params" | tr '\n' ' ')" \
	"$up $p0 $p1 "
vio_msg viot-fm link 0 credits=4096,lat_ns=0
vio_msg viot-fm link 0 credits=1,lat_ns=10000000
expect_eq "table after two changes that cancel out" "$(dmsetup table viot-fm)" "$table"
random_file "$VIO_TMP/data" 4096
dd if="$VIO_TMP/data" of=$vol bs=64k oflag=direct status=none

state() {
	dmsetup table viot-fm
	dmsetup status viot-fm
	fabric_specs viot-fm
	cat "$sys/state" "$sys/mode" "$sys"/links/*/params
}

fu="Usage: fabric on|off|stats, fabric mode multicast|host"
lu="Usage: link up|<array> <spec>"
# "<message> => <expected log text>"
msgs=(
"fabric => $fu"
"fabric sideways => $fu"
"fabric on now => $fu"
"fabric stats all => $fu"
"fabric mode => $fu"
"fabric mode x => $fu"
"fabric mode host now => $fu"
"link => $lu"
"link 0 => $lu"
"link 0 gen=1 width=1 => $lu"
"link 9 gen=1 => Invalid link '9' (expected up or 0 to 1)"
"link -1 gen=1 => Invalid link '-1' (expected up or 0 to 1)"
"link x gen=1 => Invalid link 'x' (expected up or 0 to 1)"
"link up credits=3 => Unknown link key 'credits' $upkeys"
"link 0 gen=7 => Link gen '7' is not 1 to 5"
"link 0 gen=2,width=3 => Link width 3 is not 1, 2, 4, 8 or 16"
"link 1 width=8,mps=100 => Link mps '100' is not 128 to 4096"
"link up mps=8192 => Link mps '8192' is not 128 to 4096"
"link 0 mps=1000 => Link mps 1000 is not a power of two"
"link 0 lat_ns=10000001 => Link lat_ns '10000001' is not 0 to 10000000"
"link 1 credits=0 => Link credits '0' is not 1 to 4096"
"link 1 gen=1,gen=2 => Link key 'gen' given twice"
"link 0 speed=1 => Unknown link key 'speed' $keys"
"link 0 , => Unknown link key '' $keys"
"link 1 $long => Link spec '${long:0:40}...' is too long"
)

# refused <want> <words...>: the message is refused with EINVAL and
# exactly one kernel log line, "vio: <major:minor>: <want>"
dev=$(dm_devnum viot-fm)
refused() {
	local want=$1 got
	shift
	kmsg_mark
	vio_msg viot-fm "$@" >/dev/null 2>"$VIO_TMP/err" && fail "accepted: $*"
	grep -q 'Invalid argument' "$VIO_TMP/err" ||
		fail "dmsetup error for '$*': $(cat "$VIO_TMP/err")"
	got=$(kmsg_news)
	[ "$(printf '%s\n' "$got" | wc -l)" -eq 1 ] ||
		fail "more than one kernel log line for '$*': $got"
	grep -qF "vio: $dev: $want" <<<"$got" || fail "for '$*' want '$want', kernel log: $got"
}

state >"$VIO_TMP/before"
for c in "${msgs[@]}"; do
	msg=${c%% => *}
	# shellcheck disable=SC2086
	refused "${c#* => }" $msg
	state >"$VIO_TMP/after"
	cmp -s "$VIO_TMP/before" "$VIO_TMP/after" ||
		fail "'$msg' changed the state: $(diff "$VIO_TMP/before" "$VIO_TMP/after")"
	n=$((n + 1))
done
log "${#msgs[@]} malformed fabric messages refused with precise errors, state unchanged"
read_bulk "$vol" 0 8192 | cmp -s - "$VIO_TMP/data" || fail "volume data changed"
expect_eq "table at the end" "$(dmsetup table viot-fm)" "$table"
[ "$n" -ge 60 ] || fail "only $n cases"
