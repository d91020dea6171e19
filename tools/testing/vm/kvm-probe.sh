# SPDX-License-Identifier: GPL-2.0-only
#
# kvm-probe.sh - sourced by vm-run.sh and guest-run.sh.
#
# A /dev/kvm that opens is not always a /dev/kvm that works: nested or
# paravirtual hosts (e.g. kvm-pvm) accept the ioctls and then stop a
# stock kernel with "KVM internal error". kvm_boots boots a kernel under
# KVM for a moment and looks for its banner on the serial port.

# kvm_boots <kernel> <scratch dir>: succeeds if the kernel starts under KVM
kvm_boots() {
	local kernel=$1 dir=$2 log=$2/kvm-probe.log pid i

	qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults \
		-no-user-config -display none -no-reboot -kernel "$kernel" \
		-append 'console=ttyS0 earlyprintk=ttyS0 panic=-1 rdinit=/none' \
		-serial "file:$log" >"$dir/kvm-probe.err" 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		if grep -qs 'Linux version' "$log"; then
			kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
			return 0
		fi
		if grep -qs 'KVM internal error' "$dir/kvm-probe.err" ||
		   ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
	return 1
}
