#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fabric fan-out on a 3-leg mirror: in multicast mode a write crosses the
# upstream link once and every leg's port; in host mode (by message, or
# fabric_host in the table) once per leg; a read crosses the upstream link
# and one port. Every byte and TLP is accounted as the model says, the
# status line, sysfs and TABLE agree, the fabric off charges nothing, and
# fio verifies every block.
. "$(dirname "$0")/lib.sh"

len=16384		# 8 MiB
make_arrays 3 8
a=("${ARRAYS[@]}")
mm=("$(majmin "${a[0]}")" "$(majmin "${a[1]}")" "$(majmin "${a[2]}")")
up="gen=3,width=4,mps=256,lat_ns=1000"
port="gen=3,width=8,mps=128,lat_ns=500,credits=64"
bs=65536 n=$((2 << 20)) nio=32		# each phase: 32 writes of 64 KiB
# Per request: a 64 KiB write and read on the upstream link and on a port.
mapfile -t m < <(pcie_model 3 4 256 write $bs 3 4 256 read $bs 3 8 128 write $bs 3 8 128 read $bs)
uw=(${m[0]}) ur=(${m[1]}) pw=(${m[2]}) pr=(${m[3]})

vio_create viot-mc "$len" mirror 0 3 "${a[0]}" 0 "${a[1]}" 0 "${a[2]}" 0 \
	5 nosync fabric 2 "$up" "$port"
vol=/dev/mapper/viot-mc
sys=$(dm_sysfs viot-mc)/vio/fabric
legs="3 ${mm[0]} 0 ${mm[1]} 0 ${mm[2]} 0"
table="0 $len vio mirror 4 region_size 2048 selector service-time $legs"

# phase <name> <offset>: fio writes 2 MiB at <offset> (crc32c headers, not
# read back); S0 and S1, the fabric stats around it
phase() {
	S0=$(vio_msg viot-mc fabric stats)
	fio --name="$1" --filename=$vol --direct=1 --ioengine=libaio --rw=write \
		--bs=$bs --iodepth=8 --offset="$2" --size=$n --verify=crc32c \
		--do_verify=0 --output="$VIO_TMP/$1.fio" || { cat "$VIO_TMP/$1.fio"; fail "fio $1"; }
	S1=$(vio_msg viot-mc fabric stats)
}

# verify <name> <offset>: fio reads back what phase <name> wrote
verify() {
	fio --name="$1" --filename=$vol --direct=1 --ioengine=libaio --rw=write \
		--bs=$bs --iodepth=8 --offset="$2" --size=$n --verify=crc32c \
		--verify_only --verify_fatal=1 --output="$VIO_TMP/$1.verify" ||
		{ cat "$VIO_TMP/$1.verify"; fail "fio verify $1"; }
	grep -q 'err= 0' "$VIO_TMP/$1.verify" || { cat "$VIO_TMP/$1.verify"; fail "fio $1 verify errors"; }
}

# charged <what> <copies upstream>: the writes of the last phase, on every
# link
charged() {
	local d i
	d=($(fabric_delta "$S0" "$S1" up requests payload_bytes wire_bytes tlps))
	expect_eq "$1: upstream requests" "${d[0]}" $(($2 * nio))
	expect_eq "$1: upstream payload" "${d[1]}" $(($2 * n))
	expect_eq "$1: upstream wire bytes" "${d[2]}" $(($2 * nio * uw[1]))
	expect_eq "$1: upstream TLPs" "${d[3]}" $(($2 * nio * uw[3]))
	for i in 0 1 2; do
		d=($(fabric_delta "$S0" "$S1" $i requests payload_bytes wire_bytes tlps))
		expect_eq "$1: port $i requests" "${d[0]}" $nio
		expect_eq "$1: port $i payload" "${d[1]}" $n
		expect_eq "$1: port $i wire bytes" "${d[2]}" $((nio * pw[1]))
		expect_eq "$1: port $i TLPs" "${d[3]}" $((nio * pw[3]))
	done
	log "$1: $n bytes written, $(fabric_delta "$S0" "$S1" up payload_bytes) over the upstream link"
}

# read_charged <what> <name> <offset>: fio's read-back crosses the upstream
# link and, all told, one port
read_charged() {
	local s0 s1 d p=0 i
	s0=$(vio_msg viot-mc fabric stats)
	verify "$2" "$3"
	s1=$(vio_msg viot-mc fabric stats)
	d=($(fabric_delta "$s0" "$s1" up payload_bytes wire_bytes tlps))
	expect_eq "$1: upstream payload" "${d[0]}" $n
	expect_eq "$1: upstream wire bytes" "${d[1]}" $((nio * (ur[1] + ur[2])))
	expect_eq "$1: upstream TLPs" "${d[2]}" $((nio * (ur[3] + ur[4])))
	d=(0 0 0)
	for i in 0 1 2; do
		p=($(fabric_delta "$s0" "$s1" $i payload_bytes wire_bytes tlps))
		d=($((d[0] + p[0])) $((d[1] + p[1])) $((d[2] + p[2])))
	done
	expect_eq "$1: ports' payload" "${d[0]}" $n
	expect_eq "$1: ports' wire bytes" "${d[1]}" $((nio * (pr[1] + pr[2])))
	expect_eq "$1: ports' TLPs" "${d[2]}" $((nio * (pr[3] + pr[4])))
}

# --- Multicast, the default. ---
expect_eq "sysfs state" "$(cat "$sys/state")" on
expect_eq "sysfs mode" "$(cat "$sys/mode")" multicast
st=$(dmsetup status viot-mc)
expect_eq "status state" "$(status_fabric "$st" state)" on
expect_eq "status mode" "$(status_fabric "$st" mode)" multicast
expect_eq "status links" "$(status_fabric "$st" links)" 4
expect_eq "table, multicast" "$(dmsetup table viot-mc)" \
	"$table 7 nosync fabric 4 $up $port $port $port"
for l in up 0 1 2; do
	expect_eq "link $l: nothing charged yet" "$(cat "$sys/links/$l/payload_bytes")" 0
done
expect_eq "sysfs port 2 spec" "$(cat "$sys/links/2/params")" "$port"
phase mc 0
charged multicast 1
read_charged "multicast read-back" mc 0

# --- Host mode, by message. ---
vio_msg viot-mc fabric mode host
expect_eq "sysfs mode" "$(cat "$sys/mode")" host
expect_eq "status mode" "$(status_fabric "$(dmsetup status viot-mc)" mode)" host
expect_eq "table, host mode" "$(dmsetup table viot-mc)" \
	"$table 8 nosync fabric 4 $up $port $port $port fabric_host"
phase host $n
charged "host mode" 3
read_charged "host mode read-back" host $n

# The status line counts what "fabric stats" and sysfs count (idle now).
st=$(fabric_counters "$(dmsetup status viot-mc)")
expect_eq "counters: status vs fabric stats" "$st" "$(vio_msg viot-mc fabric stats | fabric_counters)"
expect_eq "counters: status vs sysfs" "$st" "$(for l in up 0 1 2; do
	cd "$sys/links/$l"
	echo $l $(cat payload_bytes wire_bytes tlps credit_stalls busy_down_us busy_up_us \
		queue_us inflight max_inflight)
done)"
# Two writes (1 and 3 copies up) and two read-backs so far.
expect_eq "upstream payload in the status" \
	"$(status_fabric "$(dmsetup status viot-mc)" up payload_bytes)" $((6 * n))

# --- The fabric off: nothing is charged, TABLE drops the fabric. ---
vio_msg viot-mc fabric off
expect_eq "sysfs state, off" "$(cat "$sys/state")" off
expect_eq "table, fabric off" "$(dmsetup table viot-mc)" "$table 1 nosync"
phase off $((2 * n))
for l in up 0 1 2; do
	expect_eq "fabric off: link $l charged" \
		"$(fabric_delta "$S0" "$S1" $l requests payload_bytes wire_bytes tlps)" "0 0 0 0"
done
vio_msg viot-mc fabric on

# --- fabric_host in the table: the table printed in host mode loads again,
# in host mode, with fresh counters. ---
vio_msg viot-mc fabric mode host
t=$(dmsetup table viot-mc)
dmsetup reload viot-mc --table "$t"
dmsetup resume viot-mc
sys=$(dm_sysfs viot-mc)/vio/fabric
expect_eq "table after the reload" "$(dmsetup table viot-mc)" "$t"
expect_eq "mode after the reload" "$(cat "$sys/mode")" host
expect_eq "upstream payload after the reload" "$(cat "$sys/links/up/payload_bytes")" 0
phase table $((3 * n))
charged "fabric_host from the table" 3
vio_msg viot-mc fabric mode multicast
expect_eq "table, multicast again" "$(dmsetup table viot-mc)" \
	"$table 7 nosync fabric 4 $up $port $port $port"
phase back $((3 * n))
charged "multicast again" 1

# The phases not read back yet read back, and the legs hold the same
# bytes.
verify off $((2 * n))
verify back $((3 * n))
for i in 1 2; do
	same_data "${a[0]}" 0 "${a[$i]}" 0 "$len" || fail "leg $i differs from leg 0"
done
log "multicast: 1 upstream copy, host mode: 3; every port 1; reads 1 port; data verified"
