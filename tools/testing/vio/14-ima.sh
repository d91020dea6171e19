#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IMA measures the table as the target reports it (STATUSTYPE_IMA). Needs
# the guest booted with ima_policy=critical_data (vmtest.sh does that).
. "$(dirname "$0")/lib.sh"

sec=/sys/kernel/security
mountpoint -q "$sec" || mount -t securityfs securityfs "$sec"
m=$sec/ima/ascii_runtime_measurements
[ -r "$m" ] || fail "no IMA measurement list (boot with ima_policy=critical_data)"

make_arrays 2 2
a=("${ARRAYS[@]}")
vio_create viot-ima 8192 stripe 1 16 2 "${a[0]}" 0 "${a[1]}" 0
want="layout=stripe,chunk_sectors=16,array_count=2"
want+=",array_0_device_name=$(majmin "${a[0]}"),array_0_physical_start=0,array_0_status=A"
want+=",array_1_device_name=$(majmin "${a[1]}"),array_1_physical_start=0,array_1_status=A"
want+=",ignore_discard=n;"

# ima-buf records end in the measured buffer, hex encoded.
grep 'dm_table_load' "$m" | awk '{print $NF}' | while read -r hex; do
	python3 -c 'import sys; print(bytes.fromhex(sys.argv[1]).decode(errors="replace"))' "$hex"
done >"$VIO_TMP/loads"
grep -qF "target_name=vio," "$VIO_TMP/loads" || { cat "$VIO_TMP/loads"; fail "no vio table load measured"; }
grep -qF "$want" "$VIO_TMP/loads" || { tail -c 600 "$VIO_TMP/loads"; fail "measured table lacks: $want"; }
log "IMA measured: $want"
