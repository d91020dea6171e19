#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host side of "make vmtest": boot the test VM (tools/testing/vm/vm-run.sh)
# with the module built for its kernel, run the integration tests there,
# and fail on any failing test, on no test at all, on a hung or crashed
# guest, or on any error in the guest's kernel log.
#
# Usage: vmtest.sh [test-name-glob...]   (KDIR selects the guest kernel)
set -uo pipefail

top=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$top"
out=$(mktemp -d /tmp/vio-vmtest.XXXXXX)

[ -f dm-vio/dm-vio.ko ] || { echo "vmtest: dm-vio/dm-vio.ko not built" >&2; exit 1; }
# The nested guest's kernel, where the test VM can read it.
tools/testing/vm/guest-kernel.sh -o "$out/bzImage" >/dev/null ||
	{ echo "vmtest: cannot build the nested guest kernel" >&2; exit 1; }
VIO_GUEST_KERNEL=$out/bzImage VIO_VM_APPEND="${VIO_VM_APPEND:-} ima_policy=critical_data" \
	tools/testing/vm/vm-run.sh -t "${VIO_VM_TIMEOUT:-2400}" -m 3072 -o "$out" -- \
	bash tools/testing/vio/run.sh "$@"
rc=$?

passed=$(grep -c '^ok ' "$out/results.tap" 2>/dev/null)
failed=$(grep -c '^not ok ' "$out/results.tap" 2>/dev/null)
planned=$(sed -n 's/^1\.\.//p' "$out/results.tap" 2>/dev/null)
echo "vmtest: results and guest logs in $out"
grep -h '^# robustness:' "$out/results.tap" 2>/dev/null | sed 's/^# /vmtest: /'
echo "vmtest: ${passed:-0} passed, ${failed:-0} failed"
if [ "$rc" -ne 0 ]; then
	echo "vmtest: guest run failed (vm-run exit $rc)" >&2
	exit 1
fi
if [ "${passed:-0}" -eq 0 ] || [ "${failed:-0}" -ne 0 ] || [ "${planned:-0}" -ne "${passed:-0}" ]; then
	echo "vmtest: FAILED" >&2
	exit 1
fi
