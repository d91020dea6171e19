#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Flushes and FUA writes under QoS: a tenant held to a limit, beside a
# greedy tenant of its class, writes with O_DSYNC (every write is FUA) and
# fsyncs every 8 writes (an empty flush). Its flushes wait in its queue
# behind the writes it issued before them, so they reach the array in the
# order the tenant issued them, still flushes, and every write still FUA.
# blktrace on the volume and on the array gives both orders; the test also
# makes sure the flushes did arrive while writes were still queued, so the
# order was the scheduler's to keep. fio reads back and verifies what it
# wrote.
. "$(dirname "$0")/lib.sh"

# A null_blk with a write cache offers flushes and FUA (loop devices no FUA).
modprobe null_blk nr_devices=1 gb=1 memory_backed=1 cache_size=16 ||
	fail "cannot load null_blk"
trap 'vio_cleanup; modprobe -r null_blk' EXIT
arr=/dev/nullb0
vio_create viot-fl $((64 * 2048)) linear 0 1 "$arr" 0
vol=/dev/mapper/viot-fl
vio_msg viot-fl class create slow iops=100
vio_msg viot-fl rule add 'cgroup=/viot/fl*' slow
cg_make viot/flw
cgw=$CG
cg_make viot/flg
cgg=$CG
expect_eq "volume write cache" "$(cat "$(dm_sysfs viot-fl)/queue/write_cache")" "write back"
expect_eq "volume FUA" "$(cat "$(dm_sysfs viot-fl)/queue/fua")" 1

mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
cg_run "$cgg" fio --name=greedy --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=32 --size=16m --runtime=120 \
	--time_based --output=/dev/null &
greedy=$!
for ((n = 0; n < 300; n++)); do
	[ "$(tenant_field viot-fl /viot/flg queued)" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
[ "$(tenant_field viot-fl /viot/flg class)" = slow ] || fail "the greedy tenant is not in class slow"

base=$(dmsetup info -c --noheadings -o blkdevname viot-fl)
blktrace -d "$vol" -d "$arr" -a queue -D "$VIO_TMP" >/dev/null 2>&1 &
bt=$!
sleep 1
cg_run "$cgw" fio --name=flw --filename=$vol --direct=1 --ioengine=libaio \
	--rw=write --bs=4k --iodepth=16 --size=512k --offset=32m \
	--sync=dsync --fsync=8 --verify=crc32c --output="$VIO_TMP/flw.out" ||
	fail "the flushing writer failed or read back other data"
sleep 1
kill -INT "$bt"
wait "$bt" || true
kill "$greedy" 2>/dev/null || true
wait "$greedy" 2>/dev/null || true
[ "$(tenant_field viot-fl /viot/flw class)" = slow ] || fail "the writer is not in class slow"
[ "$(tenant_field viot-fl /viot/flw throttled)" -gt 0 ] ||
	fail "none of the writer's bios waited: the order was never at stake"

fmt='%a %d %S %T.%9t\n'
blkparse -q -D "$VIO_TMP" -i "$base" -f "$fmt" >"$VIO_TMP/vol.txt"
blkparse -q -D "$VIO_TMP" -i "$(basename "$arr")" -f "$fmt" >"$VIO_TMP/arr.txt"
python3 - "$VIO_TMP/vol.txt" "$VIO_TMP/arr.txt" <<'EOF' || fail "flush/FUA order"
import sys

def events(path):
    """The writer's queue events: (kind, sector, time); reads are the greedy's."""
    out = []
    for line in open(path):
        f = line.split()
        if len(f) != 4 or f[0] != "Q" or "W" not in f[1]:
            continue
        rwbs, sector, t = f[1], int(f[2]), float(f[3])
        if rwbs.startswith("F"):
            out.append(("flush", 0, t))
        else:
            out.append(("fua" if "F" in rwbs[1:] else "write", sector, t))
    return out

vol, arr = events(sys.argv[1]), events(sys.argv[2])
nf = sum(1 for e in vol if e[0] == "flush")
nw = sum(1 for e in vol if e[0] != "flush")
print("# volume: %d writes, %d flushes; array: %d events" % (nw, nf, len(arr)))
bad = 0
if nw != 128 or nf < 15:
    print("# expected 128 writes and at least 15 flushes (one per 8 writes) at the volume", file=sys.stderr)
    bad = 1
if any(e[0] == "write" for e in vol + arr):
    print("# a write lost its FUA flag", file=sys.stderr)
    bad = 1
if [e[:2] for e in vol] != [e[:2] for e in arr]:
    for i, (v, a) in enumerate(zip(vol, arr)):
        if v[:2] != a[:2]:
            print("# first difference at event %d: volume %s, array %s" % (i, v[:2], a[:2]),
                  file=sys.stderr)
            break
    else:
        print("# volume has %d events, array %d" % (len(vol), len(arr)), file=sys.stderr)
    bad = 1
else:
    # A flush was at stake if a write issued before it reached the array
    # after the flush reached the volume.
    late = 0
    for i, e in enumerate(vol):
        if e[0] == "flush" and any(arr[j][2] > e[2] for j in range(i) if vol[j][0] != "flush"):
            late += 1
    print("# %d of %d flushes arrived while earlier writes were still queued" % (late, nf))
    if late < nf // 2:
        print("# too few flushes found writes queued ahead of them", file=sys.stderr)
        bad = 1
sys.exit(bad)
EOF
log "flushes and FUA writes of a throttled tenant keep their order and flags"
