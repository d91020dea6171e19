#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - a short guided tour of dm-vio, run by "make demo" inside the
# test VM (tools/testing/vm/vm-run.sh), as root:
#
#   load the module, emulate three storage arrays with brd ramdisks, stripe
#   a volume over them, prove the data is intact and see where it lands,
#   give two tenants (a VM in its machine scope and a batch cgroup) their
#   own QoS classes and watch their rates, mirror a volume over two arrays
#   and kill one of them under a verifying fio, bring it back and resync,
#   put three arrays behind PCIe links of different speeds and watch reads
#   route around the slow one, then tear everything down again.
#
# Every step must succeed; the script exits non-zero at the first one that
# does not. It takes well under a minute in a TCG guest.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# No udev in the VM: dmsetup makes the /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1

vol=vio0
mvol=vio-mirror
fvol=vio-fabric
legs=()
nr_arrays=3
array_mib=64
chunk=128				# sectors: 64 KiB chunks
array_sectors=$((array_mib * 2048))
len=$((nr_arrays * array_sectors))	# whole rows: a multiple of 3 * 128
fio_seconds=5

# The host tree is read-only in the guest, and fio drops state files into
# its working directory: work in a tmpfs directory.
tmp=$(mktemp -d /tmp/vio-demo.XXXXXX)
cd "$tmp"

step=0
section() {
	step=$((step + 1))
	printf '\n== %d. %s\n' "$step" "$*"
}

# Show a command, then run it, so the reader can repeat it by hand.
run() {
	echo "\$ $*"
	"$@"
}

loaded_vio=0
loaded_brd=0
cgroups=()
cleanup() {
	local rc=$?

	# Leave the guest as we found it even when a step failed halfway.
	for cg in "${cgroups[@]}"; do
		[ -f "$cg/cgroup.kill" ] && echo 1 >"$cg/cgroup.kill" 2>/dev/null
	done
	wait 2>/dev/null || true
	dmsetup remove --retry "$vol" >/dev/null 2>&1 || true
	dmsetup remove --retry "$mvol" >/dev/null 2>&1 || true
	dmsetup remove --retry "$fvol" >/dev/null 2>&1 || true
	for leg in "${legs[@]}"; do
		dmsetup remove --retry "$leg" >/dev/null 2>&1 || true
	done
	for ((i = ${#cgroups[@]} - 1; i >= 0; i--)); do
		rmdir "${cgroups[$i]}" 2>/dev/null || true
	done
	[ "$loaded_vio" = 0 ] || rmmod dm_vio 2>/dev/null || true
	[ "$loaded_brd" = 0 ] || rmmod brd 2>/dev/null || true
	cd /
	rm -rf "$tmp"
	if [ "$rc" != 0 ]; then
		echo
		echo "demo FAILED (exit status $rc)" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT
# errtrace: also name commands that fail inside functions such as run().
set -o errtrace
trap 'echo "demo: command failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# fio_summary <json>: one line per direction with IOPS, bandwidth, latency.
fio_summary() {
	python3 - "$1" <<'EOF'
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]
for rw in ("read", "write"):
    d = job[rw]
    if d["total_ios"] == 0:
        continue
    print("  %-5s %8.0f IOPS  %7.1f MiB/s  avg latency %6.0f us  (%d MiB in total)"
          % (rw, d["iops"], d["bw_bytes"] / 2**20, d["lat_ns"]["mean"] / 1000,
             d["io_bytes"] / 2**20))
EOF
}

# --------------------------------------------------------------------------
section "Load dm-vio and check that device-mapper knows the vio target"
run modprobe dm-mod
if ! grep -qw dm_vio /proc/modules; then
	# Built in the source tree, not installed: load it from there.
	run insmod "$top/dm-vio/dm-vio.ko"
	loaded_vio=1
fi
echo "\$ dmsetup targets | grep vio"
dmsetup targets | grep -w vio

# --------------------------------------------------------------------------
section "Emulate $nr_arrays storage arrays ($array_mib MiB ramdisks)"
if [ -e /dev/ram0 ]; then
	echo "demo: /dev/ram0 already exists; this demo wants its own brd devices" >&2
	exit 1
fi
# brd: RAM-backed, keeps data, so we can read back what we wrote.
run modprobe brd rd_nr="$nr_arrays" rd_size=$((array_mib * 1024))
loaded_brd=1
arrays=()
for ((i = 0; i < nr_arrays; i++)); do
	arrays+=("/dev/ram$i")
	printf '  array %d: /dev/ram%d, %d sectors\n' "$i" "$i" \
		"$(blockdev --getsz "/dev/ram$i")"
done

# --------------------------------------------------------------------------
section "Create volume $vol: striped over the $nr_arrays arrays, 64 KiB chunks"
table="0 $len vio stripe 1 $chunk $nr_arrays"
for a in "${arrays[@]}"; do
	table+=" $a 0"
done
run dmsetup create "$vol" --table "$table"
echo "  /dev/mapper/$vol: $(($(blockdev --getsize64 /dev/mapper/$vol) / 1048576)) MiB"
echo
run dmsetup table "$vol"
echo
run dmsetup status "$vol"
echo "  (<layout> <#arrays>, then per array: <maj:min> <state, A = alive>"
echo "   <reads> <writes> <read sectors> <write sectors> <discards> <flushes> <errors>)"
dm=$(dmsetup info -c --noheadings -o blkdevname "$vol")
sys=/sys/block/$dm/vio
echo
echo "  sysfs: $sys: layout=$(cat "$sys/layout")" \
	"chunk_sectors=$(cat "$sys/chunk_sectors") nr_arrays=$(cat "$sys/nr_arrays")"

# --------------------------------------------------------------------------
section "Data integrity: write every 4 KiB block with a crc32c, read all back"
# Random order, each block exactly once, then fio reads the whole volume
# and checks every block's checksum; any mismatch makes fio fail.
echo "\$ fio --rw=randwrite --bs=4k --size=100% --verify=crc32c --verify_fatal=1 ..."
fio --name=verify --filename="/dev/mapper/$vol" --ioengine=libaio --direct=1 \
	--rw=randwrite --bs=4k --iodepth=16 --size=100% \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --eta=never \
	--output-format=json --output="$tmp/verify.json"
python3 - "$tmp/verify.json" <<'EOF'
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]
print("  wrote %d MiB, read back and verified %d MiB: %d errors"
      % (job["write"]["io_bytes"] / 2**20, job["read"]["io_bytes"] / 2**20,
         job["error"]))
EOF

# --------------------------------------------------------------------------
section "Workload: ${fio_seconds} s of 4 KiB random I/O, 70% reads, queue depth 16"
echo "\$ fio --rw=randrw --rwmixread=70 --bs=4k --ioengine=libaio --direct=1" \
	"--iodepth=16 --runtime=$fio_seconds ..."
fio --name=randrw --filename="/dev/mapper/$vol" --ioengine=libaio --direct=1 \
	--rw=randrw --rwmixread=70 --bs=4k --iodepth=16 \
	--runtime="$fio_seconds" --time_based --eta=never \
	--output-format=json --output="$tmp/randrw.json"
fio_summary "$tmp/randrw.json"
echo "  (a TCG guest emulates every instruction: expect a fraction of real speed)"

# --------------------------------------------------------------------------
section "Where did the I/O go? Status and per-array counters"
run dmsetup status "$vol"
echo
echo "\$ cat $sys/arrays/<i>/{name,reads,writes,read_sectors,...}"
printf '  %-5s %-6s %9s %9s %9s %11s %7s %6s\n' \
	array name reads writes "read MiB" "written MiB" flushes errors
for ((i = 0; i < $(cat "$sys/nr_arrays"); i++)); do
	d=$sys/arrays/$i
	printf '  %-5s %-6s %9s %9s %9s %11s %7s %6s\n' "$i" "$(cat "$d/name")" \
		"$(cat "$d/reads")" "$(cat "$d/writes")" \
		"$(awk '{printf "%.1f", $1 / 2048}' "$d/read_sectors")" \
		"$(awk '{printf "%.1f", $1 / 2048}' "$d/write_sectors")" \
		"$(cat "$d/flushes")" "$(cat "$d/errors")"
done
echo "  (the stripe spreads random I/O evenly: each array sees about a third."
echo "   brd has no volatile write cache, so the block layer sends no flushes.)"

# --------------------------------------------------------------------------
section "The stripe layout: volume chunk c lives on array c % 3, chunk c / 3"
# 1 MiB = 16 chunks, each filled with a text line naming it, so a chunk
# found on an array says where it came from.
# 16-byte lines, 4096 of them = 64 KiB per chunk.
python3 -c 'import sys
with open(sys.argv[1], "w") as f:
	for c in range(16):
		f.write(f"volume chunk {c:02d}\n" * 4096)' "$tmp/pattern"
echo "\$ dd if=pattern of=/dev/mapper/$vol bs=1M count=1 oflag=direct"
dd if="$tmp/pattern" of="/dev/mapper/$vol" bs=1M count=1 oflag=direct \
	conv=notrunc,fsync status=none

# chunk_on_array <array> <array chunk> > stdout: 64 KiB read from the array
chunk_on_array() {
	dd if="/dev/ram$1" bs=64k skip="$2" count=1 iflag=direct status=none
}
vol_chunk() {
	dd if="$tmp/pattern" bs=64k skip="$1" count=1 status=none
}

echo "\$ cmp <(volume chunk 1) <(dd if=/dev/ram1 bs=64k skip=0 count=1)"
cmp <(vol_chunk 1) <(chunk_on_array 1 0)
chunk_on_array 1 0 >"$tmp/found"
echo "  first line on array 1 at offset 0: \"$(head -n 1 "$tmp/found")\""
echo "  -> chunk 1 of the volume is on array 1 at offset 0"
echo
for ((c = 0; c < 6; c++)); do
	a=$((c % nr_arrays)) r=$((c / nr_arrays))
	cmp -s <(vol_chunk "$c") <(chunk_on_array "$a" "$r") || {
		echo "  volume chunk $c is NOT on array $a chunk $r" >&2
		exit 1
	}
	printf '  volume chunk %d -> array %d (/dev/ram%d) sectors %3d-%-3d  ok\n' \
		"$c" "$a" "$a" $((r * chunk)) $(((r + 1) * chunk - 1))
done

# --------------------------------------------------------------------------
section "Two tenants, two classes: a VM with a reservation, a capped batch job"
# dm-vio sees the cgroup the io controller charges: enable it on the way.
mkcg() {
	local d=/sys/fs/cgroup part parts
	IFS=/ read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		grep -qw io "$d/cgroup.subtree_control" || echo +io >"$d/cgroup.subtree_control"
		d="$d/$part"
		[ -d "$d" ] || { mkdir "$d"; cgroups+=("$d"); }
	done
}
vm_scope='machine.slice/machine-qemu\x2d4\x2ddb1.scope'
mkcg "$vm_scope"
mkcg batch.slice/backup
echo "  cgroups: /$vm_scope (libvirt's scope for VM db1), /batch.slice/backup"
run dmsetup message "$vol" 0 capacity iops=8000
run dmsetup message "$vol" 0 class create gold res_iops=1500 weight=400
run dmsetup message "$vol" 0 class create batch iops=500 weight=50
run dmsetup message "$vol" 0 rule add vm=db1 gold
run dmsetup message "$vol" 0 rule add 'cgroup=/batch.slice/*' batch
run dmsetup message "$vol" 0 rule list
echo
echo "\$ fio (in each cgroup) --rw=randread --bs=4k --iodepth=16 --runtime=$fio_seconds ..."
tenant_fio() {
	(echo "$BASHPID" >"/sys/fs/cgroup/$1/cgroup.procs" &&
		exec fio --name="$2" --filename="/dev/mapper/$vol" --ioengine=libaio \
			--direct=1 --rw=randread --bs=4k --iodepth=16 \
			--runtime="$fio_seconds" --time_based --eta=never \
			--output-format=json --output="$tmp/$2.json")
}
tenant_fio "$vm_scope" db1 &
tenant_fio batch.slice/backup backup &
wait
for t in db1 backup; do
	printf '  %-7s' "$t"
	fio_summary "$tmp/$t.json" | sed 's/^ *//'
done
echo "  (backup is held to its class's 500 IOPS; db1 gets the rest)"
echo
run dmsetup message "$vol" 0 class stats
echo
echo "\$ dmsetup message $vol 0 tenant list   (kind id class vm counters... path)"
dmsetup message "$vol" 0 tenant list | awk '{ print "  " $1, $2, $3, $4, $5, $NF }'
echo
echo "  sysfs: $sys/classes/: $(ls "$sys/classes" | tr '\n' ' ')"
echo "  $sys/classes/gold/params: $(cat "$sys/classes/gold/params")"

# --------------------------------------------------------------------------
section "A mirror over two arrays loses one and gets it back, with no data lost"
run dmsetup remove "$vol"
# Each leg is a dm-linear device over a ramdisk, so that we can swap it
# for dm-error (a dead array) and back while I/O runs.
leg_sectors=$array_sectors
for i in 0 1; do
	run dmsetup create "vio-leg$i" --table "0 $leg_sectors linear /dev/ram$i 0"
	legs+=("vio-leg$i")
done
run dmsetup create "$mvol" --table \
	"0 $leg_sectors vio mirror 2 selector service-time 2 /dev/mapper/vio-leg0 0 /dev/mapper/vio-leg1 0"
mirror_state() {
	dmsetup status "$mvol" | awk '{ printf "leg0=%s leg1=%s", $7, $16 }'
}
for ((t = 0; t < 300; t++)); do
	[ "$(mirror_state)" = "leg0=A leg1=A" ] && break
	sleep 0.1
done
echo "  initial resync (leg 1 copied from leg 0): $(mirror_state)"
echo "\$ fio --rw=randwrite --verify=crc32c ... while array 1 dies and comes back"
fio --name=mirror --filename="/dev/mapper/$mvol" --ioengine=libaio --direct=1 \
	--rw=randwrite --bs=4k --iodepth=16 --size=100% --time_based --runtime=8 \
	--verify=crc32c --verify_backlog=256 --verify_fatal=1 --eta=never \
	--output-format=json --output="$tmp/mirror.json" &
fio_pid=$!
sleep 2
echo "\$ dmsetup load vio-leg1 --table '0 $leg_sectors error'   # array 1 dies"
dmsetup suspend vio-leg1
dmsetup load vio-leg1 --table "0 $leg_sectors error"
dmsetup resume vio-leg1
sleep 2
echo "  after the failure: $(mirror_state)   (D = failed, I/O goes on on leg 0)"
dmsetup load vio-leg1 --table "0 $leg_sectors linear /dev/ram1 0"
dmsetup suspend vio-leg1
dmsetup resume vio-leg1
echo "  array 1 repaired; its table is linear again"
run dmsetup message "$mvol" 0 reinstate 1
wait "$fio_pid"
# The reads are fio's verification of what it wrote, checked as it goes.
fio_summary "$tmp/mirror.json" | grep write
for ((t = 0; t < 300; t++)); do
	[ "$(mirror_state)" = "leg0=A leg1=A" ] && break
	sleep 0.1
done
echo "  after the resync: $(mirror_state)"
run cmp "/dev/mapper/vio-leg0" "/dev/mapper/vio-leg1"
echo "  the two arrays hold identical data; fio verified every block it wrote"
dmesg | grep 'device-mapper: vio' | tail -n 4 | sed 's/^/  /'

run dmsetup remove "$mvol"
run dmsetup remove vio-leg0 vio-leg1
legs=()

# --------------------------------------------------------------------------
section "Three arrays behind different PCIe links: reads route around the slow one"
# The same ramdisks, now behind a simulated fabric: a Gen3 x4 upstream
# link and one port per array, Gen3 x4, Gen2 x1 and Gen1 x1.
ftable="0 $leg_sectors vio mirror 2 selector service-time 3"
ftable+=" /dev/ram0 0 /dev/ram1 0 /dev/ram2 0"
ftable+=" 7 nosync fabric 4 gen=3,width=4 gen=3,width=4 gen=2,width=1 gen=1,width=1,mps=128"
run dmsetup create "$fvol" --table "$ftable"
fabric_reads() {
	dmsetup status "$fvol" |
		awk '{ printf "array0 %s  array1 %s  array2 %s reads", $8, $17, $26 }'
}
for sel in round-robin service-time; do
	run dmsetup message "$fvol" 0 selector "$sel"
	before=$(fabric_reads)
	fio --name=fabric --filename="/dev/mapper/$fvol" --ioengine=libaio --direct=1 \
		--rw=randread --bs=64k --iodepth=16 --runtime=4 --time_based --eta=never \
		--output-format=json --output="$tmp/fabric-$sel.json"
	echo "  $sel: $(fio_summary "$tmp/fabric-$sel.json" | sed 's/^ *//')"
	echo "    before: $before"
	echo "    after:  $(fabric_reads)"
done
echo "  service-time learns each port's service time and keeps reads off the"
echo "  Gen1 x1 port; round-robin waits for it on every third read."
echo "\$ dmsetup message $fvol 0 fabric stats"
dmsetup message "$fvol" 0 fabric stats |
	awk '{ printf "  %-6s %-40s payload %6.0f MiB  wire %6.0f MiB\n", $1, $2,
		substr($5, 15) / 1048576, substr($6, 12) / 1048576 }'

# --------------------------------------------------------------------------
section "Tear down: remove the volumes, unload"
run dmsetup remove "$fvol"
if [ "$loaded_vio" = 1 ]; then
	run rmmod dm_vio
	loaded_vio=0
fi
run rmmod brd
loaded_brd=0
grep -qw dm_vio /proc/modules && echo "  dm_vio still loaded (it was loaded before the demo)" ||
	echo "  dm_vio unloaded"

printf '\nDemo complete: dm-vio striped, verified and placed data as promised,\nits mirror lost an array and got it back with nothing lost, and its\nreads routed around the slowest link of the fabric.\n'
