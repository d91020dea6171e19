#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Module unload with every part of the module in use (08-module-refcount
# covers a plain linear volume and an inactive table): rmmod is refused,
# and leaves the volumes working, while a mirror with a fabric, QoS
# classes and tenants is live, suspended, or removed with --deferred but
# still open; a device whose vio table was swapped for another target's,
# and tables the constructor refused, hold no reference. Once the last
# vio table is gone, rmmod succeeds and leaves nothing behind: no
# /sys/module/dm_vio, no target, no trace events, no worker thread, no
# vio sysfs directory, the same slab caches as before the module was
# loaded. Then, many times over, a volume with I/O from a tenant is
# removed and the module unloaded at once: nothing the module queued (RCU
# callbacks, work) may run after it is gone; each reload of the module
# works.
. "$(dirname "$0")/lib.sh"

ko=$VIO_TOP/dm-vio/dm-vio.ko
T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs tracefs "$T"
len=16384		# 8 MiB
make_arrays 3 9
a=("${ARRAYS[@]}")
fab="fabric 2 gen=3,width=4 gen=3,width=2,credits=4"
cg_make viot-mu/t1
cg=$CG

# leftovers: what the module could leave behind, one item a line: its
# slab caches (all of them: bio sets create theirs on demand), the rescuer
# threads of its workqueues (kworker/R-<name>; a kworker's name only
# tells the last workqueue it served), vio sysfs directories, trace
# events
leftovers() {
	awk 'NR > 2 { print "slab " $1 }' /proc/slabinfo | sort
	{ cat /proc/[0-9]*/comm 2>/dev/null || true; } | awk '/^(kworker\/R-)?kvio/ { print "thread " $0 }'
	for d in /sys/block/dm-*/vio; do
		[ -e "$d" ] && echo "sysfs $d"
	done
	[ -e "$T/events/dm_vio" ] && echo "trace events $T/events/dm_vio"
	return 0
}

# refused <why>: rmmod must fail, as "in use", and leave the module loaded
refused() {
	if rmmod dm_vio 2>"$VIO_TMP/rmmod.err"; then
		fail "rmmod succeeded $1"
	fi
	grep -qi 'in use' "$VIO_TMP/rmmod.err" ||
		fail "rmmod $1: unexpected error: $(<"$VIO_TMP/rmmod.err")"
	grep -qw dm_vio /proc/modules || fail "module gone after a refused rmmod ($1)"
	robust_count inputs 1
}

# unload: rmmod succeeds and the module is gone
unload() {
	bounded 60 "rmmod $1" rmmod dm_vio
	! grep -qw dm_vio /proc/modules || fail "dm_vio still listed after rmmod ($1)"
	[ ! -e /sys/module/dm_vio ] || fail "/sys/module/dm_vio left after rmmod ($1)"
}

# refcnt: the module's reference count
refcnt() {
	cat /sys/module/dm_vio/refcnt
}

# mirror_up <name>: a 2-leg mirror with a fabric, a class and a rule for
# the test's cgroup, and a few writes from that cgroup (a tenant)
mirror_up() {
	vio_create "$1" "$len" mirror 2 region_size 256 2 "${a[0]}" 0 "${a[1]}" 0 \
		5 nosync $fab
	vio_msg "$1" class create lim iops=5000
	vio_msg "$1" rule add cgroup=/viot-mu/t1 lim
	cg_run "$cg" dd if=/dev/urandom of="/dev/mapper/$1" bs=4k count=32 \
		oflag=direct status=none || fail "writes to $1 failed"
}

# --- A baseline without the module (no vio volume exists yet). ---
[ -z "$(dmsetup table 2>/dev/null | awk '$4 == "vio"')" ] || fail "vio tables exist at the start"
unload "at the start"
leftovers >"$VIO_TMP/before"
insmod "$ko" || fail "insmod failed"
expect_eq "references with no table" "$(refcnt)" 0

# --- Every part in use: rmmod is refused, the volumes keep working. ---
mirror_up viot-mu
vio_create viot-mut 4096 linear 0 1 "${a[2]}" 0 2 tag vm1
expect_eq "references held by two vio tables" "$(refcnt)" 2
# A table the constructor refuses takes none.
dmsetup create viot-mus --table "0 4096 vio stripe 1 8 2 ${a[2]} 0 ${a[2]} 0" 2>/dev/null &&
	fail "a stripe over the same device twice was accepted"
robust_count inputs 1
expect_eq "references after a refused create" "$(refcnt)" 2
[ -n "$(vio_msg viot-mu tenant list | awk '$1 == "cgroup"')" ] || fail "no cgroup tenant on viot-mu"
[ -d "$(dm_sysfs viot-mu)/vio/classes/lim" ] || fail "no sysfs directory for class lim"
grep -qE '^(kworker/R-)?kvio' /proc/[0-9]*/comm 2>/dev/null ||
	fail "no rescuer thread of a vio workqueue with volumes up"
refused "with a live mirror, fabric and QoS volume"
cg_run "$cg" dd if=/dev/mapper/viot-mu of=/dev/null bs=4k count=32 iflag=direct status=none ||
	fail "reads failed after a refused rmmod"

bounded 30 "suspend viot-mu" dmsetup suspend viot-mu
refused "with a suspended volume"
bounded 30 "resume viot-mu" dmsetup resume viot-mu
refused "after resume"

# A reload the constructor refuses (a leg too small) takes no reference.
n=$(refcnt)
dmsetup reload viot-mu --table "0 $((len * 2)) vio mirror 0 2 ${a[0]} 0 ${a[1]} 0" 2>/dev/null &&
	fail "a mirror larger than its legs was accepted"
dmsetup reload viot-mu --table "0 $len vio mirror 0 2 ${a[0]} 0 ${a[1]} 0 4 fabric 2 gen=9 gen=3" \
	2>/dev/null && fail "fabric gen=9 was accepted"
robust_count inputs 2
expect_eq "references after refused tables" "$(refcnt)" "$n"

# A device whose vio table was replaced by another target's holds none.
dm_swap viot-mut "0 4096 error"
expect_eq "references after swapping a vio table out" "$(refcnt)" $((n - 1))

# Removed with --deferred while open: gone only when closed; until then
# the table, and the module, stay.
# (dmsetup removes the /dev/mapper node at once; /dev/dm-N stays.)
node=/dev/$(dmsetup info -c --noheadings -o blkdevname viot-mu)
trap 'exec 7<&-; vio_cleanup' EXIT
exec 7<"$node"
bounded 30 "deferred remove" dmsetup remove --deferred viot-mu
dmsetup info viot-mu >/dev/null 2>&1 || fail "viot-mu removed while open"
refused "with a volume open and removal deferred"
dd if="$node" of=/dev/null bs=4k count=16 iflag=direct status=none ||
	fail "reads from a volume whose removal is deferred failed"
exec 7<&-
for ((i = 0; i < 100; i++)); do
	dmsetup info viot-mu >/dev/null 2>&1 || break
	sleep 0.1
done
dmsetup info viot-mu >/dev/null 2>&1 && fail "viot-mu still there 10 s after its last close"
expect_eq "references after the deferred removal" "$(refcnt)" 0

# The error device is no vio volume: the module can go.
unload "with only a device whose vio table was swapped out"
vio_remove viot-mut
leftovers >"$VIO_TMP/after"
diff "$VIO_TMP/before" "$VIO_TMP/after" >"$VIO_TMP/diff" ||
	fail "left behind after rmmod: $(grep '^[<>]' "$VIO_TMP/diff" | tr '\n' ' ')"
dmsetup targets | grep -qw vio && fail "target vio still registered"

# --- Unload as soon as the last volume goes; many times. ---
# rmmod runs in a loop while the volumes are removed: refused while a
# table is left, it succeeds the moment the last one goes, as early as
# anything the module queued while tearing the volume down (the RCU
# callbacks that free classes and tenants, work items) could still run.
cycles=10
for ((c = 0; c < cycles; c++)); do
	insmod "$ko" || fail "insmod failed (cycle $c)"
	mirror_up viot-mu
	vio_create viot-mut 4096 linear 0 1 "${a[2]}" 0 2 tag vm1
	vio_msg viot-mut class create c$c weight=10
	vio_msg viot-mut rule add vm=vm1 c$c
	dd if=/dev/mapper/viot-mut of=/dev/null bs=4k count=8 iflag=direct status=none
	refused "in cycle $c"
	(until rmmod dm_vio 2>/dev/null; do :; done) &
	rp=$!
	bounded 30 "remove viot-mut (cycle $c)" dmsetup remove viot-mut
	grep -qw dm_vio /proc/modules || fail "rmmod succeeded while viot-mu was left (cycle $c)"
	bounded 30 "remove viot-mu (cycle $c)" dmsetup remove viot-mu
	for ((i = 0; i < 300; i++)); do
		running "$rp" || break
		sleep 0.1
	done
	if running "$rp"; then
		kill "$rp"
		fail "rmmod still refused 30 s after the last volume went (cycle $c)"
	fi
	[ ! -e /sys/module/dm_vio ] || fail "/sys/module/dm_vio left after rmmod (cycle $c)"
done
robust_count cycles "$cycles"
leftovers >"$VIO_TMP/after"
diff "$VIO_TMP/before" "$VIO_TMP/after" >"$VIO_TMP/diff" ||
	fail "left behind after $cycles load/unload cycles: $(grep '^[<>]' "$VIO_TMP/diff" | tr '\n' ' ')"

insmod "$ko" || fail "insmod after the cycles failed"
mirror_up viot-mu
same_data "${a[0]}" 0 "${a[1]}" 0 "$len" || fail "legs differ on the volume made after the cycles"
vio_remove viot-mu
log "rmmod refused with volumes live, suspended, open after a deferred removal; $cycles remove+unload cycles leave nothing behind"
