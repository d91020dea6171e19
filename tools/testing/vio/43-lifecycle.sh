#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Lifecycle under load: 100 cycles on a 2-leg mirror whose fabric ports
# have 2 to 4 credits (the fabric holds bios for them) while fio, in a
# cgroup whose class has an IOPS limit (QoS defers its bios), writes and
# verifies crc32c. First, under one fio run: suspend/resume with and
# without flush, reloads that change the selector, the region size or the
# ports' links, class, rule and depth changes, and a leg failed and
# reinstated (a resync runs through the following cycles). Then remove
# (deferred, while fio runs) and create, fio verifying each time that the
# previous run's data survived. No step hangs (each is bounded); no bio
# is lost or completed twice: while suspended nothing is queued or in
# flight in QoS, the legs, the fabric or the block layer, and every class
# completed exactly as many requests as it was given; fio saw every I/O
# it issued complete, without error; classes and rules survive reloads.
# At the end each leg holds exactly what fio last wrote. Last, a reload
# while leg 0 is failed keeps what was written to the volume meanwhile.
. "$(dirname "$0")/lib.sh"

len=65536		# 32 MiB: 256 regions of 128 KiB, or 128 of 256 KiB
make_arrays 2 33
b=("${ARRAYS[@]}")
# The arrays' files: comparing them compares the legs, cheaply.
f=("$(losetup -n -O BACK-FILE "${b[0]}")" "$(losetup -n -O BACK-FILE "${b[1]}")")
# Writes to the legs take 5 ms, so that a resync lasts a few cycles. On
# the debug kernel 50 ms: below that dm-delay releases bios from a thread
# that polls while any is waiting, which on its single CPU leaves every
# other task (fio, dmsetup, the test) a sliver of it, so that bounded
# steps time out.
wdelay=5
[ "${VIO_DEBUG_KERNEL:-0}" != 1 ] || wdelay=50
dm_create viot-lc0 "0 $len delay ${b[0]} 0 0 ${b[0]} 0 $wdelay"
dm_create viot-lc1 "0 $len delay ${b[1]} 0 0 ${b[1]} 0 $wdelay"
l0=$(majmin /dev/mapper/viot-lc0)
l1=$(majmin /dev/mapper/viot-lc1)
up=gen=3,width=4,mps=256,lat_ns=1000
vol=/dev/mapper/viot-lc
cg_make viot-lc/t1
cg=$CG
cycles_a=85		# under one fio run
cycles_b=15		# remove/create

# The table as this test loads it, and as TABLE prints it back: the
# selector, region size and port generation and credits as they are now.
sel=round-robin rs=256 gen=3 credits=2
table() {
	local port=gen=$gen,width=4,mps=256,lat_ns=1000,credits=$credits
	if [ -n "${1:-}" ]; then
		echo "0 $len vio mirror 4 region_size $rs selector $sel 2 $l0 0 $l1 0 6 nosync fabric 3 $up $port $port"
	else
		echo "0 $len vio mirror 4 region_size $rs selector $sel 2 $l0 0 $l1 0 5 fabric 3 $up $port $port"
	fi
}

# msg <words>: a message that changes something, bounded; queries use
# vio_msg
msg() {
	bounded 30 "message '$*'" dmsetup message viot-lc 0 -- "$@"
}

# up_volume <iops> [nosync]: create the volume, check it starts with no
# class, rule or tenant of a previous device of that name, and give the
# test's cgroup a class with that IOPS limit
up_volume() {
	local q
	bounded 30 "create" dmsetup create viot-lc --table "$(table "${2:-}")"
	[[ " ${VIO_VOLUMES[*]} " == *" viot-lc "* ]] || VIO_VOLUMES+=(viot-lc)
	dsys=$(dm_sysfs viot-lc)
	q=$(vio_msg viot-lc qos)
	[[ $q == "qos=off "* && $q == *" classes=1 rules=0 tenants=0" ]] || fail "a new volume has a policy already: $q"
	vio_msg viot-lc class create lim iops="$1"
	vio_msg viot-lc rule add cgroup=/viot-lc/t1 lim
}

# quiesced <what>: with the volume suspended, nothing is queued or in
# flight anywhere (block layer, QoS, classes, legs, fabric ports), and
# every class and tenant completed as many requests as it was given (fio
# issues no flush, which would count as a completion only). Parsed in
# bash: the test runs this a hundred times under emulation.
quiesced() {
	local st w k rq cp bad='' r wr
	read -r r wr <"$dsys/inflight"
	[ "$r $wr" == "0 0" ] || fail "$1: $r reads and $wr writes in flight on the suspended volume"
	st=$(vio_msg viot-lc stats)
	while read -ra w; do
		rq=0 cp=
		for k in "${w[@]}"; do
			case $k in
			max_inflight=*) ;;
			*inflight=* | *queued=* | waiting=*) [ "${k#*=}" == 0 ] || bad+="${w[0]} ${w[1]}: $k; " ;;
			reads=* | writes=*) rq=$((rq + ${k#*=})) ;;
			completed=*) cp=${k#*=} ;;
			state=a) resyncing=$((resyncing + 1)) ;;
			esac
		done
		[[ ${w[0]} != class && ${w[0]} != tenant ]] || [ "$rq" == "$cp" ] ||
			bad+="${w[0]} ${w[1]} ${w[2]}: $rq requests, $cp completed; "
	done <<<"$st"
	[ -z "$bad" ] || fail "$1: suspended, but $bad"
}

# suspended <what> [--noflush]: suspend, check, resume
suspended() {
	local what=$1
	shift
	bounded 30 "$what: suspend $*" dmsetup suspend "$@" viot-lc
	quiesced "$what: suspended $*"
	bounded 30 "$what: resume" dmsetup resume viot-lc
}

# policy: the classes and rules now, which reloads must keep
policy() {
	cl=$(vio_msg viot-lc class list)
	rl=$(vio_msg viot-lc rule list)
}

# reload <what>: load table (the variables changed by the caller), swap it
# in, check it is the one TABLE prints and that classes and rules are
# unchanged, and that the legs' states carried over (a leg failed or
# resyncing stays so; a resync may finish meanwhile). The reload says
# nosync when both legs are in sync.
reload() {
	local st ns='' got
	st=$(leg_states viot-lc)
	[ "$st" != AA ] || ns=nosync
	bounded 30 "$1: reload" dmsetup reload viot-lc --table "$(table $ns)"
	suspended "$1"
	got=$(dmsetup table viot-lc)
	[ "$got" == "$(table)" ] || [ "$got" == "$(table nosync)" ] ||
		fail "$1: table after the reload: '$got', want '$(table)' (with or without nosync)"
	got=$(leg_states viot-lc)
	if [ "$got" != "$st" ] && ! { [ "$got" == AA ] && [[ $st != *D* ]]; }; then
		fail "$1: legs $st before the reload, $got after"
	fi
	expect_eq "$1: classes after the reload" "$(vio_msg viot-lc class list)" "$cl"
	expect_eq "$1: rules after the reload" "$(vio_msg viot-lc rule list)" "$rl"
	reloads=$((reloads + 1))
}

# ---- Phase A: everything but remove, under one fio run ----
up_volume 500 nosync		# new tmpfs files: both legs are zeroes
policy
fio_bg a "$cg" --name=a --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randwrite --bs=4k --iodepth=16 --time_based --runtime=900 \
	--verify=crc32c --verify_backlog=64 --verify_fatal=1
flowing "fio start"

resyncing=0 reloads=0 failed=0 fl=1
sels=(round-robin least-outstanding service-time)
for ((c = 0; c < cycles_a; c++)); do
	r=$((c / 11))
	case $((c % 11)) in
	0) suspended "cycle $c" ;;
	1)	# Rounds 2 and 5 fail leg 0, the others leg 1 (after the last
		# round's resync, which must end within 60 s).
		wait_states viot-lc AA 60
		fl=$((r % 3 == 2 ? 0 : 1))
		msg fail "$fl"
		st=$(leg_states viot-lc)
		expect_eq "cycle $c: leg $fl after 'fail'" "${st:fl:1}" D
		failed=$((failed + 1))
		;;
	2) suspended "cycle $c" --noflush ;;
	3)	# classes, rules, depth
		case $((r % 4)) in
		0) msg class set lim iops=300 prefer=1; msg depth 8 ;;
		1) msg class create spare weight=50
		   msg rule insert 0 cgroup=/viot-lc/none spare ;;
		2) msg class set lim iops=700 prefer=none avoid=0; msg depth 32 ;;
		3) msg rule delete cgroup=/viot-lc/none; msg class delete spare
		   msg class set lim iops=500 avoid=none ;;
		esac
		policy
		;;
	4)	msg reinstate "$fl"
		st=$(leg_states viot-lc)
		[ "${st:fl:1}" != D ] || fail "cycle $c: leg $fl still failed after 'reinstate'"
		;;
	5) sel=${sels[r % 3]}; reload "cycle $c: selector $sel" ;;
	6) suspended "cycle $c" ;;
	7) rs=$((rs == 256 ? 512 : 256)); reload "cycle $c: region size $rs" ;;
	8) suspended "cycle $c" --noflush ;;
	9)	gen=$((gen == 3 ? 2 : 3)); credits=$((credits == 2 ? 4 : 2))
		reload "cycle $c: ports gen=$gen credits=$credits"
		;;
	10)	# live changes (the table follows them)
		sel=${sels[(r + 1) % 3]}
		msg selector "$sel"
		credits=$((credits == 2 ? 3 : 2))
		msg link 0 credits=$credits
		msg link 1 credits=$credits
		expect_eq "cycle $c: table after live changes" \
			"$(dmsetup table viot-lc | sed 's/ 6 nosync / 5 /')" "$(table)"
		;;
	esac
	flowing "cycle $c"
done
robust_count cycles "$cycles_a"
st=$(vio_msg viot-lc stats)
stalls=$(grep -o 'credit_stalls=[0-9]*' <<<"$st" | awk -F= '{ n += $2 } END { print n + 0 }')
throttled=$(class_field viot-lc lim throttled)
log "$cycles_a cycles under fio: $reloads reloads, $failed legs failed and reinstated," \
	"$resyncing suspends during a resync; $throttled bios deferred by QoS, $stalls waited for a credit"
[ "$throttled" -gt 0 ] || fail "QoS deferred no bio"
[ "$stalls" -gt 0 ] || fail "no bio waited for a fabric credit"
[ "$resyncing" -gt 0 ] || fail "no suspend happened during a resync"
st=$(leg_states viot-lc)
[[ $st != *D* ]] || msg reinstate "$fl"
wait_states viot-lc AA 60
fio_end a stop
robust_count bytes_verified "$FIO_READ"
cmp -s "${f[0]}" "${f[1]}" || fail "legs differ after the cycles"
robust_count bytes_verified $((2 * len * 512))

# ---- Phase B: remove (deferred, under fio) and create ----
# Each fio run first checks the previous run's blocks, then writes and
# verifies its own (seed = cycle), 512 KiB in 8 KiB blocks. fio closes and
# opens the device between its phases, so the test holds it open too, and
# the removal, requested while fio writes, happens when the test closes it
# after fio's last verify. (dmsetup removes the /dev/mapper node at once:
# fio uses /dev/dm-N.)
fio_job() {
	{
		printf '[global]\nfilename=%s\ndirect=1\nioengine=libaio\niodepth=16\n' "$1"
		printf 'bs=8k\nsize=512k\nrw=randwrite\nverify=crc32c\nverify_fatal=1\n'
		[ "$2" -eq 0 ] || printf '[check]\nverify_only=1\nrandseed=%d\n' $(($2 - 1))
		printf '[write]\nstonewall\ndo_verify=1\nrandseed=%d\n' "$2"
	} >"$VIO_TMP/b.fio"
}
trap 'exec 8<&-; vio_cleanup' EXIT

for ((c = 0; c < cycles_b; c++)); do
	node=/dev/${dsys##*/}
	fio_job "$node" "$c"
	exec 8<"$node"
	ios_done
	want=$((IOS + 16))
	fio_bg b "$cg" "$VIO_TMP/b.fio"
	for ((i = 0; i < 300; i++)); do
		ios_done
		[ "$IOS" -ge "$want" ] && break
		running "$FIO_PID" || break
		nap 0.1
	done
	bounded 30 "cycle B$c: deferred remove" dmsetup remove --deferred viot-lc
	dmsetup info viot-lc >/dev/null 2>&1 || fail "cycle B$c: removed while open"
	fio_end b
	robust_count bytes_verified "$FIO_READ"
	exec 8<&-
	for ((i = 0; i < 300; i++)); do
		[ -e "$dsys" ] || break
		nap 0.1
	done
	[ ! -e "$dsys" ] || fail "cycle B$c: volume still there 30 s after its last close"
	dmsetup info viot-lc >/dev/null 2>&1 && fail "cycle B$c: $dsys gone, but dm still lists viot-lc"
	# Without nosync: leg 1 is copied from leg 0 under the next fio run.
	up_volume 1000
done
robust_count cycles "$cycles_b"

# ---- The end: every leg holds what the last fio run wrote ----
wait_states viot-lc AA 60
cmp -s "${f[0]}" "${f[1]}" || fail "legs differ at the end"
robust_count bytes_verified $((2 * len * 512))
for dev in $vol /dev/mapper/viot-lc0 /dev/mapper/viot-lc1; do
	fio --name=final --filename="$dev" --direct=1 --ioengine=libaio --iodepth=16 \
		--bs=8k --size=512k --rw=randwrite --verify=crc32c --verify_fatal=1 \
		--verify_only=1 --randseed=$((cycles_b - 1)) --output="$VIO_TMP/final.out" ||
		{ cat "$VIO_TMP/final.out"; fail "$dev does not hold what the last fio run wrote"; }
	robust_count bytes_verified $((512 << 10))
done
bounded 30 "suspend at the end" dmsetup suspend viot-lc
quiesced "at the end"
bounded 30 "resume at the end" dmsetup resume viot-lc
log "$cycles_b remove/create cycles under fio; each leg holds the last run's data"

# ---- A reload while leg 0 is failed ----
# TABLE prints no nosync then; the new table takes over leg 0's state and
# the regions it missed: what was written meanwhile stays, and reinstating
# leg 0 copies exactly those regions to it.
msg fail 0
random_file "$VIO_TMP/pat" 1024
dd if="$VIO_TMP/pat" of="$vol" bs=64k seek=320 oflag=direct status=none
bounded 30 "reload with leg 0 failed" dmsetup reload viot-lc --table "$(dmsetup table viot-lc)"
bounded 30 "suspend for the reload with leg 0 failed" dmsetup suspend viot-lc
bounded 30 "resume with leg 0 failed" dmsetup resume viot-lc
expect_eq "legs after reloading with leg 0 failed" "$(leg_states viot-lc)" DA
read_bulk "$vol" 40960 2048 | cmp -s - "$VIO_TMP/pat" ||
	fail "after reloading the table TABLE printed while leg 0 was failed, the volume no longer reads what was written meanwhile"
msg reinstate 0
wait_states viot-lc AA 120
read_bulk "$vol" 40960 2048 | cmp -s - "$VIO_TMP/pat" ||
	fail "data written while leg 0 was failed lost once the legs are $(leg_states viot-lc)"
cmp -s "${f[0]}" "${f[1]}" || fail "legs differ after leg 0 was reinstated"
log "a reload with leg 0 failed keeps its state and the data written meanwhile"
