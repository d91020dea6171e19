#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# LVM on top, as the admin guide describes it: a volume group on a vio
# mirror whose legs start at offset 0, LVM kept off the legs by a filter;
# an LV written by a process in a VM's machine scope holds its data on
# both legs at the offset LVM put it, and the requests are the VM's, in
# its class; the LV survives a reload of the vio table under it.
. "$(dirname "$0")/lib.sh"

command -v lvm >/dev/null || fail "lvm2 is not installed (tools/install-deps.sh)"
make_arrays 2 64
l0=${ARRAYS[0]} l1=${ARRAYS[1]}
vio_create viot-lvm 131072 mirror 0 2 "$l0" 0 "$l1" 0 1 nosync
vol=/dev/mapper/viot-lvm

# No udev in the test VM: LVM makes its device nodes itself. Only the
# volume is scanned (the legs carry the same PV label), and nothing of
# the host's LVM configuration is used.
export DM_DISABLE_UDEV=1 LVM_SYSTEM_DIR=$VIO_TMP/lvm
mkdir -p "$LVM_SYSTEM_DIR"
cat >"$LVM_SYSTEM_DIR/lvm.conf" <<EOF
devices {
	use_devicesfile = 0
	global_filter = [ "r|^$l0\$|", "r|^$l1\$|" ]
	filter = [ "a|^$vol\$|", "r|.*|" ]
	obtain_device_list_from_udev = 0
}
activation {
	udev_sync = 0
	udev_rules = 0
}
backup {
	backup_dir = "$LVM_SYSTEM_DIR/backup"
	archive_dir = "$LVM_SYSTEM_DIR/archive"
}
EOF
lvm pvcreate -q "$vol" >/dev/null || fail "pvcreate on the volume"
lvm vgcreate -q viot_vg "$vol" >/dev/null || fail "vgcreate"
lvm lvcreate -q -y -n db1 -L 16m viot_vg >/dev/null || fail "lvcreate"
VIO_VOLUMES+=(viot_vg-db1)
lv=/dev/mapper/viot_vg-db1
[ -b "$lv" ] || fail "no $lv"
expect_eq "the LV's device" "$(dmsetup deps -o devname viot_vg-db1 | sed 's/.*(\(.*\))/\1/')" viot-lvm
# Where LVM put the LV on the volume: its first extent, in sectors.
start=$(lvm lvs --noheadings --units s --nosuffix -o seg_start_pe,vg_extent_size viot_vg/db1 |
	awk '{ print $1 * $2 }')
pe_start=$(lvm pvs --noheadings --units s --nosuffix -o pe_start "$vol" | tr -d ' ')
off=$((pe_start + start))
log "LV db1 at sector $off of the volume"

# A process of VM db1 writes a pattern through the LV.
vio_msg viot-lvm class create gold weight=400
vio_msg viot-lvm rule add vm=db1 gold
scope='machine.slice/machine-qemu\x2d5\x2ddb1.scope'
cg_make "$scope"
random_file "$VIO_TMP/pat" 4096		# KiB: 8192 sectors
cg_run "$CG" dd if="$VIO_TMP/pat" of="$lv" bs=64k oflag=direct status=none ||
	fail "writes through the LV"
read_bulk "$lv" 0 8192 | cmp -s - "$VIO_TMP/pat" || fail "the LV reads back other data"
for leg in "$l0" "$l1"; do
	read_bulk "$leg" "$off" 8192 | cmp -s - "$VIO_TMP/pat" ||
		fail "leg $leg lacks the LV's data at sector $off"
done
path="/$scope"
expect_eq "the VM's class" "$(tenant_field viot-lvm "$path" class)" gold
expect_eq "the VM's write bytes" "$(tenant_field viot-lvm "$path" write_bytes)" $((8192 * 512))
vio_msg viot-lvm tenant list | grep -qF "vm=db1 " || fail "no tenant vm=db1"

# A reload of the vio table under the LV: the LV's data stays.
dmsetup table viot-lvm >"$VIO_TMP/table"
dmsetup reload viot-lvm "$VIO_TMP/table"
dmsetup suspend viot-lvm
dmsetup resume viot-lvm
read_bulk "$lv" 0 8192 | cmp -s - "$VIO_TMP/pat" || fail "the LV's data changed across a reload"
expect_eq "rules after the reload" "$(vio_msg viot-lvm rule list)" "0 vm=db1 gold"

lvm vgchange -q -an viot_vg >/dev/null || fail "vgchange -an"
[ -b "$lv" ] && fail "$lv still there after vgchange -an"
lvm vgremove -q -f viot_vg >/dev/null || fail "vgremove"
lvm pvremove -q "$vol" >/dev/null || fail "pvremove"
log "PV, VG and LV on a mirror; the VM's writes on both legs at the LV's offset, in its class"
