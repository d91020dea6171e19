#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every bio is attributed to the cgroup that issued it, byte for byte; a
# process in a libvirt machine scope gets its VM's class, also after the VM
# "restarts" into a new scope; the root cgroup is the root tenant; cgroup
# and scope names cannot break the status lines; a table with a static tag
# attributes everything to that tag.
. "$(dirname "$0")/lib.sh"

make_arrays 2 64
vio_create viot-tag 131072 stripe 1 16 2 "${ARRAYS[0]}" 0 "${ARRAYS[1]}" 0
vol=/dev/mapper/viot-tag

# Exact attribution: 300 x 4 KiB direct writes and 200 reads per cgroup.
cg_make viot/a; a=$CG
cg_make viot/b; b=$CG
cg_run "$a" dd if=/dev/zero of=$vol bs=4k count=300 oflag=direct status=none
cg_run "$b" dd if=$vol of=/dev/null bs=4k count=200 iflag=direct status=none
expect_eq "tenant /viot/a write_bytes" "$(tenant_field viot-tag /viot/a write_bytes)" $((300 * 4096))
expect_eq "tenant /viot/a writes" "$(tenant_field viot-tag /viot/a writes)" 300
expect_eq "tenant /viot/a reads" "$(tenant_field viot-tag /viot/a reads)" 0
expect_eq "tenant /viot/b read_bytes" "$(tenant_field viot-tag /viot/b read_bytes)" $((200 * 4096))
expect_eq "tenant /viot/b completed" "$(tenant_field viot-tag /viot/b completed)" 200
expect_eq "unmatched tenant's class" "$(tenant_field viot-tag /viot/a class)" default

# Each tenant has a sysfs directory, named by its cgroup id.
id=$(vio_msg viot-tag tenant list | awk '$1 == "cgroup" && $NF == "path=/viot/a" { print $2 }')
tdir=$(dm_sysfs viot-tag)/vio/tenants/$id
for ((i = 0; i < 50; i++)); do [ -d "$tdir" ] && break; sleep 0.1; done
expect_eq "sysfs tenant path" "$(cat "$tdir/path")" /viot/a
expect_eq "sysfs tenant writes" "$(cat "$tdir/writes")" 300
expect_eq "sysfs tenant class" "$(cat "$tdir/class")" default
expect_eq "sysfs tenant path mode" "$(stat -c %a "$tdir/path")" 400
[ -d "$(dm_sysfs viot-tag)/vio/tenants/root" ] || fail "no sysfs directory for the root tenant"

# The root cgroup is the root tenant.
before=$(tenant_field viot-tag root reads)
dd if=$vol of=/dev/null bs=4k count=50 iflag=direct status=none
expect_eq "root tenant reads" "$(tenant_field viot-tag root reads)" $((before + 50))

# A VM keeps its class across a restart (new scope, new cgroup id).
vio_msg viot-tag class create vm1 iops=100
vio_msg viot-tag rule add vm=vm1 vm1
vio_msg viot-tag rule add 'cgroup=/viot/*' default
cg_make 'machine.slice/machine-qemu\x2d1\x2dvm1.scope'; s1=$CG
cg_run "$s1" fio --name=vm1 --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=8 --runtime=5 --time_based \
	--output-format=json --output="$VIO_TMP/vm1a.json"
p1='/machine.slice/machine-qemu\x2d1\x2dvm1.scope'
expect_eq "VM tenant's class" "$(tenant_field viot-tag "$p1" class)" vm1
expect_eq "VM tenant's reads" "$(tenant_field viot-tag "$p1" reads)" \
	"$(fio_json "$VIO_TMP/vm1a.json" "d['jobs'][0]['read']['total_ios']")"
within "vm1 IOPS (first run)" "$(fio_json "$VIO_TMP/vm1a.json" "d['jobs'][0]['read']['iops']")" 100 3
vio_msg viot-tag tenant list | grep -q "vm=vm1 " || fail "tenant list lacks vm=vm1"
sys=$(dm_sysfs viot-tag)/vio/classes
expect_eq "sysfs class params" "$(cat "$sys/vm1/params")" "iops=100"
expect_eq "sysfs class reads" "$(cat "$sys/vm1/reads")" "$(class_field viot-tag vm1 reads)"
expect_eq "sysfs classes" "$(ls "$sys" | tr '\n' ' ')" "default vm1 "

rmdir "$s1"
cg_make 'machine.slice/machine-qemu\x2d2\x2dvm1.scope'; s2=$CG
cg_run "$s2" fio --name=vm1 --filename=$vol --direct=1 --ioengine=libaio \
	--rw=randread --bs=4k --iodepth=8 --runtime=5 --time_based \
	--output-format=json --output="$VIO_TMP/vm1b.json"
p2='/machine.slice/machine-qemu\x2d2\x2dvm1.scope'
expect_eq "restarted VM tenant's class" "$(tenant_field viot-tag "$p2" class)" vm1
within "vm1 IOPS (after restart)" "$(fio_json "$VIO_TMP/vm1b.json" "d['jobs'][0]['read']['iops']")" 100 3

# Precedence: the first matching rule in list order decides.
vio_msg viot-tag class create other
vio_msg viot-tag rule add 'cgroup=/machine.slice/*' other
cg_run "$s2" dd if=$vol of=/dev/null bs=4k count=1 iflag=direct status=none
expect_eq "vm= rule listed first wins" "$(tenant_field viot-tag "$p2" class)" vm1
vio_msg viot-tag rule insert 0 'cgroup=/machine.slice/*' other 2>/dev/null &&
	fail "a duplicate rule was accepted"
vio_msg viot-tag rule delete 'cgroup=/machine.slice/*'
vio_msg viot-tag rule insert 0 'cgroup=/machine.slice/*' other
expect_eq "rule inserted first wins" "$(tenant_field viot-tag "$p2" class)" other
vio_msg viot-tag rule delete 'cgroup=/machine.slice/*'
expect_eq "back to the vm= rule" "$(tenant_field viot-tag "$p2" class)" vm1

# Another VM is not vm1.
cg_make 'machine.slice/machine-qemu\x2d3\x2dvm2.scope'; s3=$CG
cg_run "$s3" dd if=$vol of=/dev/null bs=4k count=10 iflag=direct status=none
expect_eq "vm2's class" "$(tenant_field viot-tag '/machine.slice/machine-qemu\x2d3\x2dvm2.scope' class)" default

# Hostile cgroup names: a path with a space, a tab and "key=" text is one
# escaped word at the end of its line, in sysfs too, and dmvio gives it
# back as it is; a machine scope whose name unescapes to something other
# than printable ASCII without spaces is no VM's (vm=-), not "bad vm".
hostile=$'viot/x y\tpath=/evil reads=9'
cg_make "$hostile"; h=$CG
cg_run "$h" dd if=$vol of=/dev/null bs=4k count=7 iflag=direct status=none
esc='/viot/x\040y\011path=/evil\040reads=9'
line=$(vio_msg viot-tag tenant list | grep -F "path=$esc") ||
	fail "no tenant line ends in path=$esc: $(vio_msg viot-tag tenant list)"
[ "$(wc -l <<<"$line")" -eq 1 ] || fail "the hostile path split its line: $line"
expect_eq "hostile tenant's reads" "$(tenant_field viot-tag "$esc" reads)" 7
expect_eq "fields after path=" "$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^path=/) print NF - i }' <<<"$line")" 0
hid=$(awk '{ print $2 }' <<<"$line")
for ((i = 0; i < 50; i++)); do [ -d "$(dm_sysfs viot-tag)/vio/tenants/$hid" ] && break; sleep 0.1; done
expect_eq "sysfs hostile path" "$(cat "$(dm_sysfs viot-tag)/vio/tenants/$hid/path")" "$esc"
expect_eq "dmvio: the path unescaped" \
	"$("$VIO_TOP/tools/dmvio/dmvio" tenants -J viot-tag | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tenants"]:
    if str(t.get("id")) == sys.argv[1]:
        print(repr(t["path"]))' "$hid")" "$(python3 -c 'import sys; print(repr(sys.argv[1]))' "/$hostile")"
cg_make 'machine.slice/machine-bad\x20vm.scope'; bad=$CG
cg_run "$bad" dd if=$vol of=/dev/null bs=4k count=3 iflag=direct status=none
badesc='/machine.slice/machine-bad\x20vm.scope'
expect_eq "a scope named with a space: no VM" \
	"$(vio_msg viot-tag tenant list | P="path=$badesc" awk '$NF == ENVIRON["P"] { print $4 }')" vm=-
cg_make 'machine.slice/machine-qemu\x2d4\x2dnl\x0avm=vm1.scope'; nl=$CG
cg_run "$nl" dd if=$vol of=/dev/null bs=4k count=3 iflag=direct status=none
expect_eq "a VM name with a newline: no VM, not vm1's class" \
	"$(vio_msg viot-tag tenant list | grep -F 'nl\x0avm=vm1' | awk '{ print $3, $4 }')" "default vm=-"

# Classes, rules and tenants survive a reload.
dmsetup table viot-tag >"$VIO_TMP/table"
dmsetup reload viot-tag "$VIO_TMP/table"
dmsetup resume viot-tag
expect_eq "rules after reload" "$(vio_msg viot-tag rule list | head -1)" "0 vm=vm1 vm1"
expect_eq "tenant after reload" "$(tenant_field viot-tag /viot/a writes)" 300

# A static tag: the whole volume is one tenant, classified by vm= rules.
tbl="0 131072 vio stripe 1 16 2 $(majmin "${ARRAYS[0]}") 0 $(majmin "${ARRAYS[1]}") 0 2 tag vm1"
dmsetup reload viot-tag --table "$tbl"
dmsetup resume viot-tag
expect_eq "table with tag" "$(dmsetup table viot-tag)" "$tbl"
cg_run "$a" dd if=/dev/zero of=$vol bs=4k count=20 oflag=direct status=none
expect_eq "static tenant's writes" "$(tenant_field viot-tag tag writes)" 20
expect_eq "static tenant's class" "$(tenant_field viot-tag tag class)" vm1
expect_eq "cgroup not charged under a tag" "$(tenant_field viot-tag /viot/a writes)" 300
log "attribution exact; VM class kept across restart; hostile names escaped or refused; tag feature"
