#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The threat model of the design document, point by point:
# - identity is the kernel's: a cgroup named like a VM's scope outside
#   machine.slice, or inside another VM's scope, does not get that VM's
#   class; an unprivileged process cannot move itself into a VM's scope,
#   and its I/O stays its own cgroup's;
# - sysfs is read-only, and a tenant's cgroup path is root's only;
# - only root (CAP_SYS_ADMIN) reads status and sends messages;
# - message handlers bound every length and number (the fuzz tests send
#   a thousand; here the largest of each kind).
. "$(dirname "$0")/lib.sh"

make_arrays 2 16
vio_create viot-sec 32768 stripe 1 16 2 "${ARRAYS[0]}" 0 "${ARRAYS[1]}" 0
vol=/dev/mapper/viot-sec
vio_msg viot-sec class create vm1 weight=900
vio_msg viot-sec rule add vm=vm1 vm1
scope='machine.slice/machine-qemu\x2d1\x2dvm1.scope'
cg_make "$scope"; vm1=$CG

# A process in a real vm1 scope is vm1's.
cg_run "$vm1" dd if=$vol of=/dev/null bs=4k count=4 iflag=direct status=none
expect_eq "vm1's class" "$(tenant_field viot-sec "/$scope" class)" vm1

# Forged scopes: under a delegated user slice, under a non-slice, and
# nested in another VM's scope. None is vm1.
forged=('viot-user.slice/user@1000.service/machine-qemu\x2d9\x2dvm1.scope'
	'machine.slice/viot-app/machine-qemu\x2d9\x2dvm1.scope'
	'machine.slice/machine-qemu\x2d2\x2dvm2.scope/machine-qemu\x2d9\x2dvm1.scope')
want_vm=(vm=- vm=- vm=vm2)
for i in "${!forged[@]}"; do
	cg_make "${forged[$i]}"
	cg_run "$CG" dd if=$vol of=/dev/null bs=4k count=3 iflag=direct status=none
	line=$(vio_msg viot-sec tenant list | P="path=/${forged[$i]}" awk '$NF == ENVIRON["P"]')
	[ -n "$line" ] || fail "no tenant for /${forged[$i]}"
	expect_eq "forged scope /${forged[$i]}: VM" "$(awk '{ print $4 }' <<<"$line")" "${want_vm[$i]}"
	expect_eq "forged scope /${forged[$i]}: class" "$(awk '{ print $3 }' <<<"$line")" default
done
log "scopes named like vm1's outside machine.slice's own scopes get no VM name"

# An unprivileged process (nobody) in its own cgroup can neither join
# vm1's scope nor have its I/O counted anywhere but in its cgroup.
cg_make viot-nobody; nob=$CG
chmod 0666 "$vol"
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
}
cg_run "$nob" bash -c "
	$(declare -f nobody)
	nobody bash -c 'echo \$\$ >\"$vm1/cgroup.procs\"' 2>/dev/null && exit 7
	nobody dd if=$vol of=/dev/null bs=4k count=5 iflag=direct status=none" ||
	fail "nobody joined vm1's scope, or could not read the volume (exit $?)"
expect_eq "nobody's reads, in its cgroup" "$(tenant_field viot-sec /viot-nobody reads)" 5
expect_eq "nobody's class" "$(tenant_field viot-sec /viot-nobody class)" default
log "an unprivileged process cannot join a VM's scope; its I/O stays its own"

# Only root talks to the target.
nobody dmsetup status viot-sec >/dev/null 2>&1 && fail "nobody read the status"
nobody dmsetup message viot-sec 0 class create evil weight=10000 >/dev/null 2>&1 &&
	fail "nobody sent a message"
expect_eq "classes after nobody's attempt" "$(vio_msg viot-sec class list | awk '{ print $1 }' | tr '\n' ' ')" \
	"default vm1 "

# sysfs: nothing writable; paths root's only, other counters readable.
sys=$(dm_sysfs viot-sec)/vio
for ((i = 0; i < 50; i++)); do
	[ "$(find "$sys/tenants" -name path | wc -l)" -ge 5 ] && break
	sleep 0.1
done
writable=$(find "$sys" -type f -perm /0222 | head -3)
[ -z "$writable" ] || fail "writable sysfs files: $writable"
n=0
while read -r f; do
	expect_eq "mode of $f" "$(stat -c %a "$f")" 400
	nobody cat "$f" >/dev/null 2>&1 && fail "nobody read $f"
	n=$((n + 1))
done < <(find "$sys/tenants" -name path)
[ "$n" -ge 5 ] || fail "only $n tenant path files"
nobody cat "$sys/tenants/root/reads" >/dev/null || fail "nobody cannot read a counter"
log "sysfs read-only; $n tenant paths root's only"

# Bounded lengths: the longest name, pattern and spec of each kind are
# refused with their limits, however long they get.
big=$(printf 'x%.0s' $(seq 70000))
msg_refused viot-sec "Class name '$(printf 'x%.0s' $(seq 40))' is longer than 31 characters" \
	class create "$big"
vio_msg viot-sec class create "caf$(printf '\xc3')" 2>/dev/null && fail "a class name with a byte over 0x7f was taken"
vio_msg viot-sec rule add "vm=$big" vm1 2>/dev/null && fail "a 70000-byte pattern was taken"
vio_msg viot-sec class create big "weight=$big" 2>/dev/null && fail "a 70000-digit weight was taken"
expect_eq "rules after the long messages" "$(vio_msg viot-sec rule list)" "0 vm=vm1 vm1"
robust_count inputs 10
log "overlong names, patterns and numbers refused"
