#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Malformed messages are refused with -EINVAL and one precise kernel log
# line, and change nothing: classes, rules, capacity and depth read back
# the same before and after each.
. "$(dirname "$0")/lib.sh"

a0=$(make_array 8)
vio_create viot-msg 16384 linear 0 1 "$a0" 0
vio_msg viot-msg capacity iops=1000
vio_msg viot-msg class create gold iops=500 res_iops=200
vio_msg viot-msg class create silver weight=50
vio_msg viot-msg rule add 'vm=db*' gold

state() {
	vio_msg viot-msg class list
	vio_msg viot-msg rule list
	vio_msg viot-msg qos
}
state >"$VIO_TMP/before"

long=$(printf 'x%.0s' $(seq 300))
usage_rule='Usage: rule add <vm=glob|cgroup=glob> <class> | rule insert <index> <pattern> <class> | rule delete <pattern> | rule list'
usage_class='Usage: class create|set|delete <name> ... | class list | class stats'
# "<message> => <expected log text>"
cases=(
"frobnicate => Unknown message 'frobnicate'"
"class => $usage_class"
"class frob x => $usage_class"
"class list extra => $usage_class"
"class create => Usage: class create <name> [<key>=<value>]..."
"class create gold => Class gold already exists"
"class create default => Class default already exists"
"class create bad/name => Class name 'bad/name' may only use letters, digits and _.:-"
"class create abcdefghijabcdefghijabcdefghijXY => Class name 'abcdefghijabcdefghijabcdefghijXY' is longer than 31 characters"
"class create x weight=0 => Class weight 0 is out of range 1-10000"
"class create x weight=10001 => Class parameter 'weight=10001' is out of range (at most 10000)"
"class create x iops=abc => Class parameter 'iops=abc': expected a decimal number"
"class create x iops=-5 => Class parameter 'iops=-5': expected a decimal number"
"class create x iops=1k => Class parameter 'iops=1k': expected a decimal number"
"class create x iops=99999999999999999999 => Class parameter 'iops=99999999999999999999' is out of range (at most 100000000)"
"class create x iops=100000001 => Class parameter 'iops=100000001' is out of range (at most 100000000)"
"class create x bps=12q => Class parameter 'bps=12q': expected bytes (digits, optional k/m/g/t suffix)"
"class create x bps=2048t => Class parameter 'bps=2048t' is out of range (at most 1125899906842624)"
"class create x foo=1 => Unknown class parameter 'foo=1'"
"class create x iops => Class parameter 'iops' needs a value: iops=<n>"
"class create x iops= => Class parameter 'iops=': expected a decimal number"
"class create x iops=1 iops=2 => Class parameter 'iops' given twice"
"class create x iops_max=100 => Class parameter 'iops_max' needs the limit 'iops' it bursts above"
"class create x iops=100 iops_max=50 => Burst rate iops_max=50 must exceed the limit iops=100"
"class create x iops=100 iops_max_len=3 => Class parameter 'iops_max_len' needs a burst rate 'iops_max'"
"class create x iops=100 iops_max=200 iops_max_len=3601 => Class parameter 'iops_max_len=3601' is out of range (at most 3600)"
"class create x res_iops=900 => Reservations would total res_iops=1100, over the capacity iops=1000"
"class create x res_bps=1m => Reservations need the volume's capacity: send 'capacity bps=<n>' first"
"class create x iops=100 res_iops=50 bps=1m res_bps=2m => Reservation res_bps=2097152 exceeds the limit bps=1048576"
"class create x iops=100 res_iops=200 => Reservation res_iops=200 exceeds the limit iops=100"
"class set nosuch iops=1 => No class nosuch"
"class set gold => Usage: class set <name> <key>=<value>..."
"class set silver res_iops=2000 => Reservations would total res_iops=2200, over the capacity iops=1000"
"class set gold iops=100 => Reservation res_iops=200 exceeds the limit iops=100"
"class delete default => The default class cannot be deleted"
"class delete gold => Class gold is used by rule 0"
"class delete nosuch => No class nosuch"
"class delete => Usage: class delete <name>"
"class delete gold silver => Usage: class delete <name>"
"rule add vm=x nosuch => No class nosuch"
"rule add vm=db* gold => A rule for vm=db* already exists"
"rule add host=x gold => Tenant pattern 'host=x' must be vm=<glob> or cgroup=<glob>"
"rule add vm= gold => Tenant pattern 'vm=' is empty"
"rule add vm=$long gold => Tenant pattern 'vm=$(printf 'x%.0s' $(seq 37))...' is longer than 255 bytes"
"rule add vm=x => $usage_rule"
"rule frob => $usage_rule"
"rule insert 5 vm=x gold => Rule index '5' is not a number from 0 to 1"
"rule insert -1 vm=x gold => Rule index '-1' is not a number from 0 to 1"
"rule insert one vm=x gold => Rule index 'one' is not a number from 0 to 1"
"rule delete vm=nosuch => No rule vm=nosuch"
"rule delete nosuch => Tenant pattern 'nosuch' must be vm=<glob> or cgroup=<glob>"
"tenant show => Usage: tenant list"
"capacity => Usage: capacity [iops=<n>] [bps=<bytes>]"
"capacity iops=100 => Reservations would total res_iops=200, over the capacity iops=100"
"capacity iops=x => Capacity 'iops=x' is not a valid number of I/Os per second"
"capacity bps=1z => Capacity 'bps=1z' is not a valid number of bytes per second"
"capacity foo=1 => Unknown capacity parameter 'foo=1'"
"capacity iops=1000 iops=2000 => Capacity parameter 'iops=' given twice"
"depth 0 => Usage: depth <1-4096>"
"depth 4097 => Usage: depth <1-4096>"
"depth x => Usage: depth <1-4096>"
"depth => Usage: depth <1-4096>"
"qos now => Usage: qos (no arguments)"
)

dev=$(dmsetup info -c --noheadings -o major,minor --separator : viot-msg)
n=0
for c in "${cases[@]}"; do
	msg=${c%% => *}
	want=${c#* => }
	kmsg_mark
	# shellcheck disable=SC2086
	if vio_msg viot-msg $msg >"$VIO_TMP/out" 2>"$VIO_TMP/err"; then
		fail "accepted: $msg"
	fi
	grep -q 'Invalid argument' "$VIO_TMP/err" ||
		fail "dmsetup error for '$msg': $(cat "$VIO_TMP/err")"
	got=$(kmsg_since)
	[ "$(printf '%s\n' "$got" | wc -l)" -eq 1 ] ||
		fail "more than one kernel log line for '$msg': $got"
	grep -qF "vio: $dev: $want" <<<"$got" ||
		fail "for '$msg' want '$want', kernel log: $got"
	state >"$VIO_TMP/after"
	cmp -s "$VIO_TMP/before" "$VIO_TMP/after" ||
		fail "'$msg' changed the state: $(diff "$VIO_TMP/before" "$VIO_TMP/after")"
	n=$((n + 1))
done

# The class table is bounded: 64 classes (with default), then a precise no.
for ((i = 3; i < 64; i++)); do
	vio_msg viot-msg class create "c$i"
done
kmsg_mark
vio_msg viot-msg class create c64 2>/dev/null && fail "a 65th class was accepted"
kmsg_since | grep -qF 'A volume has at most 64 classes' || fail "no error for a 65th class"
n=$((n + 1))

log "$n malformed messages refused with precise errors, state unchanged"
[ "$n" -ge 30 ] || fail "only $n cases"
