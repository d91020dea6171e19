#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Mirror class affinity: the reads of a class with prefer= go to its
# preferred legs, those of a class with avoid= to the other legs, whether
# the class comes from a static tag or from the issuing cgroup; when those
# legs cannot serve (failed), the reads go to an in-sync leg all the same,
# return the right data, and each counts as a fallback.
. "$(dirname "$0")/lib.sh"

len=16384
make_arrays 2 8
a=("${ARRAYS[@]}")
random_file "$VIO_TMP/data" 1024
for i in 0 1; do
	dd if="$VIO_TMP/data" of="${a[$i]}" bs=64k oflag=direct status=none
done

# randread <name> <seconds> [<cgroup>]: 4 KiB random reads, 8 in flight
randread() {
	local cmd=(fio --name="$1" --filename="$vol" --direct=1 --ioengine=libaio
		--rw=randread --bs=4k --iodepth=8 --time_based --runtime="$2"
		--output="$VIO_TMP/$1.fio")
	if [ -n "${3:-}" ]; then
		cg_run "$3" "${cmd[@]}" || fail "fio $1"
	else
		"${cmd[@]}" || fail "fio $1"
	fi
	grep -q 'err= 0' "$VIO_TMP/$1.fio" || { cat "$VIO_TMP/$1.fio"; fail "fio $1 reported errors"; }
}

# affinity <what> <leg that must serve> [<cgroup>]: at least 99% of 3 s of
# random reads on that leg, and no fallback
affinity() {
	local b e want other f
	read -ra b <<<"$(leg_reads "$v")"
	f=$(mirror_field "$v" fallbacks)
	randread "$1" 3 "${3:-}"
	read -ra e <<<"$(leg_reads "$v")"
	want=$((e[$2] - b[$2])) other=$((e[1 - $2] - b[1 - $2]))
	log "$1: $want reads on leg $2, $other on leg $((1 - $2))"
	[ "$want" -ge 1000 ] || rate_fail "$1: only $want reads on leg $2"
	[ $((100 * want)) -ge $((99 * (want + other))) ] ||
		fail "$1: $other of $((want + other)) reads not on leg $2"
	expect_eq "$1: fallbacks" "$(mirror_field "$v" fallbacks)" "$f"
}

# fallback <what> <leg that serves> [<cgroup>]: 200 reads return the right
# data, all from that leg, each counted as a fallback
fallback() {
	local b e f cmd=(dd if="$vol" bs=4k count=200 iflag=direct status=none)
	read -ra b <<<"$(leg_reads "$v")"
	f=$(mirror_field "$v" fallbacks)
	if [ -n "${3:-}" ]; then
		cg_run "$3" "${cmd[@]}" >"$VIO_TMP/got" || fail "$1: reads failed"
	else
		"${cmd[@]}" >"$VIO_TMP/got" || fail "$1: reads failed"
	fi
	cmp -s "$VIO_TMP/got" <(head -c $((200 * 4096)) "$VIO_TMP/data") || fail "$1: wrong data"
	read -ra e <<<"$(leg_reads "$v")"
	expect_eq "$1: reads on leg $2" $((e[$2] - b[$2])) 200
	expect_eq "$1: fallbacks" "$(mirror_field "$v" fallbacks)" $((f + 200))
	expect_eq "$1: sysfs fallbacks" "$(<"$(dm_sysfs "$v")/vio/fallbacks")" $((f + 200))
}

# A static tag: every read is the tenant vm1, whose class changes.
v=viot-tg
vio_create "$v" "$len" mirror 0 2 "${a[0]}" 0 "${a[1]}" 0 3 nosync tag vm1
vol=/dev/mapper/$v
vio_msg "$v" class create c1 prefer=1
vio_msg "$v" rule add vm=vm1 c1
expect_eq "class of the tag" "$(tenant_field "$v" tag class)" c1
affinity "tag, prefer=1" 1
vio_msg "$v" class set c1 prefer=none avoid=0
affinity "tag, avoid=0" 1
vio_msg "$v" fail 1
fallback "tag, avoid=0, leg 1 failed" 0
expect_eq "table with a failed leg (no nosync)" "$(dmsetup table "$v")" \
	"0 $len vio mirror 4 region_size 2048 selector service-time 2 $(majmin "${a[0]}") 0 $(majmin "${a[1]}") 0 2 tag vm1"
vio_remove "$v"

# Two cgroups, two classes.
v=viot-af
vio_create "$v" "$len" mirror 0 2 "${a[0]}" 0 "${a[1]}" 0 1 nosync
vol=/dev/mapper/$v
vio_msg "$v" class create pref prefer=1
vio_msg "$v" class create avoid avoid=1
vio_msg "$v" rule add cgroup=/viot/pref pref
vio_msg "$v" rule add cgroup=/viot/avoid avoid
cg_make viot/pref; pref=$CG
cg_make viot/avoid; avoid=$CG
# The reads of each cgroup are its tenant's, in its class.
cg_run "$pref" dd if="$vol" of=/dev/null bs=4k count=10 iflag=direct status=none
expect_eq "reads of /viot/pref" "$(tenant_field "$v" /viot/pref reads)" 10
expect_eq "class of /viot/pref" "$(tenant_field "$v" /viot/pref class)" pref
affinity "cgroup, prefer=1" 1 "$pref"
affinity "cgroup, avoid=1" 0 "$avoid"
expect_eq "fallbacks with both legs in sync" "$(mirror_field "$v" fallbacks)" 0
# Leg 1 failed: the class that prefers it reads from leg 0.
vio_msg "$v" fail 1
fallback "cgroup, prefer=1, leg 1 failed" 0 "$pref"
# Leg 0 failed: the class that avoids leg 1 reads from it all the same.
vio_msg "$v" reinstate 1
wait_states "$v" AA 30
vio_msg "$v" fail 0
fallback "cgroup, avoid=1, leg 0 failed" 1 "$avoid"
log "prefer= and avoid= route a class's reads; fallbacks are counted"
