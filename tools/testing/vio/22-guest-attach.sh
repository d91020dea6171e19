#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A real guest on top: a nested QEMU guest whose virtio disk is a dm-vio
# volume, its qemu in a libvirt-style machine scope, writes a pattern and
# reads it back; the volume holds the same bytes; dm-vio attributes the
# guest's I/O to the VM and the bps limit of the VM's class caps the
# throughput the guest measures.
. "$(dirname "$0")/lib.sh"

[ -n "${VIO_GUEST_KERNEL:-}" ] && [ -f "$VIO_GUEST_KERNEL" ] ||
	fail "no guest kernel (VIO_GUEST_KERNEL); vmtest.sh builds it"

make_arrays 2 64
vio_create viot-g 131072 stripe 1 128 2 "${ARRAYS[0]}" 0 "${ARRAYS[1]}" 0
vol=/dev/mapper/viot-g
limit=$((2 << 20))
vio_msg viot-g class create vm7 bps=$limit
vio_msg viot-g rule add vm=vm7 vm7
scope='machine.slice/machine-qemu\x2d7\x2dvm7.scope'
cg_make "$scope"

# In the guest: 1 MiB pattern written and read back with O_DIRECT, then
# 8 MiB read and timed. Prints "md5 <sum>" and "rate <bytes/s>".
# shellcheck disable=SC2016
guest_cmd='
set -e
dd if=/dev/urandom of=/tmp/p bs=4096 count=256 2>/dev/null
dd if=/tmp/p of=/dev/vda bs=65536 count=16 oflag=direct 2>/dev/null
dd if=/dev/vda of=/tmp/q bs=65536 count=16 iflag=direct 2>/dev/null
cmp /tmp/p /tmp/q
echo "md5 $(md5sum </tmp/p | cut -d" " -f1)"
t0=$(cut -d" " -f1 /proc/uptime)
dd if=/dev/vda of=/dev/null bs=65536 count=128 skip=64 iflag=direct 2>/dev/null
t1=$(cut -d" " -f1 /proc/uptime)
echo "secs $t0 $t1"
'
"$VIO_TOP/tools/testing/vm/guest-run.sh" -q -t 240 -d "$vol" -g "$CG" -- \
	"$guest_cmd" >"$VIO_TMP/guest.out" 2>&1 ||
	{ cat "$VIO_TMP/guest.out"; fail "nested guest failed"; }
cat "$VIO_TMP/guest.out" | sed 's/^/guest: /'

# The volume holds what the guest wrote.
want=$(sed -n 's/^md5 //p' "$VIO_TMP/guest.out")
got=$(dd if=$vol bs=65536 count=16 iflag=direct status=none | md5sum | cut -d' ' -f1)
expect_eq "md5 of the guest's pattern on the volume" "$got" "$want"

# Attribution: the VM's tenant, in its class, did the I/O.
path="/$scope"
expect_eq "guest tenant's class" "$(tenant_field viot-g "$path" class)" vm7
wb=$(tenant_field viot-g "$path" write_bytes)
rb=$(tenant_field viot-g "$path" read_bytes)
[ "$wb" -ge $((1 << 20)) ] || fail "guest tenant wrote only $wb bytes"
[ "$rb" -ge $((9 << 20)) ] || fail "guest tenant read only $rb bytes"
log "guest tenant: read $rb bytes, wrote $wb bytes, class vm7"

# The class's limit is what the guest saw.
read -r t0 t1 < <(sed -n 's/^secs //p' "$VIO_TMP/guest.out")
rate=$(python3 -c "print(int((8 << 20) / ($t1 - $t0)))")
log "guest-measured read rate: $rate bytes/s (class limit $limit)"
[ "$rate" -le $((limit * 105 / 100)) ] || fail "guest read $rate bytes/s over a $limit limit"
[ "$rate" -ge $((limit * 80 / 100)) ] || fail "guest read only $rate bytes/s, limit $limit"
