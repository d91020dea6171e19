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
# Tests add what they tried (lib.sh: robust_count); summed at the end.
export VIO_ROBUST_FILE=${VIO_OUT:-/tmp}/robustness.counts
: >"$VIO_ROBUST_FILE"
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

# skip_reason <name>: why the caller rules the test out, from VIO_SKIP
# (one "<name> <why>" per line; tools/testing/uml/uml-run.sh lists the
# tests UML cannot run), or nothing
skip_reason() {
	awk -v n="$1" '$1 == n { sub(/^[^ ]+ +/, ""); print; exit }' <<<"${VIO_SKIP:-}"
}

say "TAP version 13"
say "1..${#tests[@]}"
n=0 passed=0 failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	why=$(skip_reason "$name")
	if [ -n "$why" ]; then
		say "ok $n - $name # SKIP $why"
		continue
	fi
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
# The robustness summary: what the tests tried, and what the kernel
# reported about it (warnings, oopses, sanitizers: must be 0).
# The same patterns as tools/testing/vm/vm-run.sh, which fails the run on
# any of them.
reports=$(dmesg | grep -E 'BUG:|Oops|WARNING:|KASAN|UBSAN|general protection fault|Call Trace|possible (circular|recursive) locking|lockdep|INFO: task .* blocked|kmemleak|list_add corruption|refcount_t:|Kernel panic|stack-protector|soft lockup|hard LOCKUP|rcu_.*stall|ODEBUG' |
	grep -Evc 'kmemleak: (Kernel memory leak detector (initialized|disabled)|Automatic memory scanning thread (started|ended))|CPU stall (warnings|info)' || true)
awk -v reports="$reports" '
	{ sum[$1] += $2 }
	END {
		printf "# robustness: inputs tried %d, cycles run %d, faults injected %d, reports %d, bytes verified %d\n",
			sum["inputs"], sum["cycles"], sum["faults"], reports, sum["bytes_verified"]
	}' "$VIO_ROBUST_FILE" | tee -a "$tap"
say "# vmtest: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
