# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# accel.sh - sourced by the benchmarks: what runs this guest.
#
# bench_accel <what TCG's numbers are good for>: prints one line for the
# report's "accel:" field. Numbers from an emulated CPU mean little on
# their own, so every report says where they come from. Under qemu's
# instruction counting (vm-run.sh's VIO_VM_TCG=icount, which the guest
# inherits) guest time counts instructions: rates compare CPU costs
# exactly, but are not those of any real machine.
bench_accel() {
	if grep -q 'QEMU TCG CPU' /proc/cpuinfo; then
		# qemu -cpu max under TCG names itself in the model string.
		if [ "${VIO_VM_TCG:-}" = icount ]; then
			echo "TCG with instruction counting (icount: guest time = instructions executed; rates compare CPU costs, reproducibly)"
		else
			echo "TCG (qemu software emulation: slow and noisy, $1)"
		fi
	elif dmesg | grep -q 'Hypervisor detected: KVM'; then
		echo "KVM"
	elif grep -qw hypervisor /proc/cpuinfo; then
		echo "virtualised ($(dmesg | grep -m1 -o 'Hypervisor detected: .*' || echo unknown))"
	else
		echo "bare metal or unknown hypervisor"
	fi
}
