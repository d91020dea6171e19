#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of "make vmtest": load the module just built, run every
# integration test (NN-name.sh, one behaviour each) and print TAP. Each
# test is bounded in time and must leave no vio device or loop device
# behind. Writes the TAP stream to $VIO_OUT/results.tap as well.
#
# Usage (in the test VM): run.sh [test-name-glob...]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
tap=${VIO_OUT:-/tmp}/results.tap
per_test_timeout=${VIO_TEST_TIMEOUT:-300}

say() {
	echo "$*" | tee -a "$tap"
}

: >"$tap"
log=$(mktemp /tmp/vio-test-log.XXXXXX)
modprobe dm-mod && modprobe loop && modprobe dm-zero || { echo "run: cannot load dm-mod/loop" >&2; exit 1; }
# Keep the console for TAP; the full kernel log is checked after the run.
dmesg -n 3
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
if ! grep -qw dm_vio /proc/modules; then
	insmod "$top/dm-vio/dm-vio.ko" || { echo "run: insmod dm-vio.ko failed" >&2; exit 1; }
fi

patterns=("${@:-*}")
tests=()
for t in "$here"/[0-9][0-9]-*.sh; do
	name=$(basename "$t" .sh)
	for p in "${patterns[@]}"; do
		# shellcheck disable=SC2053
		[[ $name == $p ]] && { tests+=("$t"); break; }
	done
done

say "TAP version 13"
say "1..${#tests[@]}"
n=0 passed=0 failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	start=$(date +%s)
	# Output goes to a file, not a pipe: a stray background process of a
	# failed test must not keep the runner waiting.
	timeout -k 10 "$per_test_timeout" bash "$t" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	sed 's/^/# /; s/^# # /# /' "$log" | tee -a "$tap"

	# Leftovers are a failure of the test that left them.
	left=$(dmsetup ls 2>/dev/null | awk '$1 ~ /^viot-/ {print $1}')
	loops=$(losetup -n -O NAME 2>/dev/null)
	if [ -n "$left$loops" ]; then
		say "# left behind: $left $loops"
		for d in $left; do dmsetup remove --force "$d" >/dev/null 2>&1; done
		losetup -D
		[ "$rc" -eq 0 ] && rc=1
	fi
	grep -qw dm_vio /proc/modules || insmod "$top/dm-vio/dm-vio.ko"

	if [ "$rc" -eq 0 ]; then
		say "ok $n - $name (${secs}s)"
		passed=$((passed + 1))
	else
		[ "$rc" -eq 124 ] && say "# timed out after ${per_test_timeout}s"
		say "not ok $n - $name (exit $rc, ${secs}s)"
		failed=$((failed + 1))
	fi
done
say "# vmtest: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
