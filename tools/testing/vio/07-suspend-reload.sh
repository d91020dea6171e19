#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Suspend, resume and table reloads while fio writes and verifies: no I/O
# is lost, every block verifies afterwards.
. "$(dirname "$0")/lib.sh"

make_arrays 3 16
a=("${ARRAYS[@]}")
len=$((3 * 32768))
table="0 $len vio stripe 1 16 3 ${a[0]} 0 ${a[1]} 0 ${a[2]} 0"
vio_create viot-sr "$len" stripe 1 16 3 "${a[0]}" 0 "${a[1]}" 0 "${a[2]}" 0
vol=/dev/mapper/viot-sr

fio --name=sr --filename="$vol" --direct=1 --ioengine=libaio --rw=randwrite \
	--bs=4k --iodepth=16 --size=100% --time_based --runtime=15 \
	--verify=crc32c --verify_backlog=64 --verify_fatal=1 \
	--output="$VIO_TMP/sr.fio" &
fio_pid=$!
sleep 2

cycles=0
while running "$fio_pid"; do
	timeout 30 dmsetup suspend viot-sr || fail "suspend hung or failed"
	sleep 0.2
	timeout 30 dmsetup resume viot-sr || fail "resume failed"
	timeout 30 dmsetup reload viot-sr --table "$table" || fail "reload failed"
	timeout 30 dmsetup resume viot-sr || fail "resume after reload failed"
	timeout 30 dmsetup suspend --noflush viot-sr || fail "noflush suspend failed"
	timeout 30 dmsetup resume viot-sr || fail "resume after noflush failed"
	cycles=$((cycles + 1))
	sleep 0.3
done
wait "$fio_pid" || { cat "$VIO_TMP/sr.fio"; fail "fio failed during suspend/reload"; }
[ "$cycles" -ge 3 ] || fail "only $cycles cycles ran"
grep -q 'err= 0' "$VIO_TMP/sr.fio" || { cat "$VIO_TMP/sr.fio"; fail "fio reported errors"; }

log "$cycles suspend/resume/reload cycles under fio, verify clean"
