#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bios deferred by QoS are never lost or stranded: suspend (with and
# without flush), resume and reload complete promptly while a tenant
# limited to 20 IOPS has a deep queue, fio verifies every block; deleting
# the class of queued bios, and removing the device afterwards, leave
# nothing queued or in flight.
. "$(dirname "$0")/lib.sh"

make_arrays 2 32
vio_create viot-lc 65536 stripe 1 16 2 "${ARRAYS[0]}" 0 "${ARRAYS[1]}" 0
vol=/dev/mapper/viot-lc
table=$(dmsetup table viot-lc)
vio_msg viot-lc class create slow iops=20
vio_msg viot-lc rule add cgroup=/viot/slow slow
cg_make viot/slow

cg_run "$CG" fio --name=lc --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randwrite --bs=4k --iodepth=32 --size=4m --time_based --runtime=15 \
	--verify=crc32c --verify_backlog=16 --verify_fatal=1 \
	--output="$VIO_TMP/lc.fio" &
queued() {
	vio_msg viot-lc qos | sed -n 's/.* queued=\([0-9]*\) .*/\1/p'
}
for ((i = 0; i < 100; i++)); do
	[ "$(queued)" -gt 0 ] && break
	sleep 0.1
done
[ "$(queued)" -gt 0 ] ||
	fail "nothing queued under a 20 IOPS limit: $(vio_msg viot-lc qos; vio_msg viot-lc tenant list)"
q=$(cat "$(dm_sysfs viot-lc)/vio/qos/queued")
[ "$q" -gt 0 ] || fail "sysfs qos/queued shows $q under a deep queue"

cycles=0
for ((i = 0; i < 4; i++)); do
	q=$(queued)
	start=$(date +%s%N)
	timeout 20 dmsetup suspend viot-lc || fail "suspend with $q queued hung or failed"
	ms=$((($(date +%s%N) - start) / 1000000))
	expect_eq "queued while suspended" "$(queued)" 0
	timeout 20 dmsetup resume viot-lc || fail "resume failed"
	timeout 20 dmsetup reload viot-lc --table "$table" || fail "reload failed"
	timeout 20 dmsetup resume viot-lc || fail "resume after reload failed"
	timeout 20 dmsetup suspend --noflush viot-lc || fail "noflush suspend failed"
	timeout 20 dmsetup resume viot-lc || fail "resume after noflush failed"
	log "cycle $i: suspend with $q bios queued took $ms ms"
	cycles=$((cycles + 1))
	sleep 1
done
expect_eq "class after reloads" "$(vio_msg viot-lc rule list)" "0 cgroup=/viot/slow slow"

# Delete the rule and the class under queued bios: they still complete.
[ "$(queued)" -gt 0 ] || sleep 1
vio_msg viot-lc rule delete cgroup=/viot/slow
[ -d "$(dm_sysfs viot-lc)/vio/classes/slow" ] || fail "no sysfs directory for class slow"
vio_msg viot-lc class delete slow
[ -d "$(dm_sysfs viot-lc)/vio/classes/slow" ] && fail "sysfs directory of a deleted class remains"
wait || { cat "$VIO_TMP/lc.fio"; fail "fio failed"; }
grep -q 'err= 0' "$VIO_TMP/lc.fio" || { cat "$VIO_TMP/lc.fio"; fail "fio reported errors"; }
grep -q 'verify' "$VIO_TMP/lc.fio" || true
expect_eq "nothing queued or in flight at the end" \
	"$(vio_msg viot-lc qos | grep -o 'inflight=[0-9]* queued=[0-9]*')" "inflight=0 queued=0"
expect_eq "sysfs qos/queued, inflight at the end" \
	"$(cat "$(dm_sysfs viot-lc)"/vio/qos/{queued,inflight})" "0
0"
dmsetup remove viot-lc || fail "remove failed"
log "$cycles suspend/resume/reload cycles with a deep QoS queue; fio verify clean"
