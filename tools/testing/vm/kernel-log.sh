# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# kernel-log.sh - sourced by vm-run.sh (the test VM) and
# tools/testing/uml/uml-run.sh (the debug UML kernel of "make debugtest"),
# which judge the kernel logs of their runs by the same rules.

# Kernel log lines that mean the run is broken even if COMMAND passed.
# Extended regular expressions, no backslashes (they go through awk).
readonly KERNEL_ERROR_PATTERNS=(
	'BUG:' 'Oops' 'WARNING:' 'KASAN' 'UBSAN' 'kernel BUG'
	'general protection fault' 'Call Trace'
	'possible circular locking' 'possible recursive locking' 'lockdep'
	'INFO: task .* blocked' 'kmemleak' 'list_add corruption'
	'refcount_t:' 'Kernel panic' 'stack-protector' 'soft lockup'
	'hard LOCKUP' 'rcu_.*stall' 'ODEBUG' 'list_del corruption'
)
# Lines matching the above that are expected, not errors: the taint
# notes for an unsigned out-of-tree module (ours), and what a debug
# kernel with kmemleak or tuned RCU stall timeouts announces at boot.
readonly KERNEL_BENIGN_PATTERNS=(
	'module verification failed' 'loading out-of-tree module taints kernel'
	'kmemleak: Kernel memory leak detector (initialized|disabled)'
	'kmemleak: Automatic memory scanning thread (started|ended)'
	'CPU stall warnings (timeout set to|suppressed)'
	'CPU stall info multiplier'
)

join_by() {
	local IFS=$1

	shift
	echo "$*"
}

# Print FILE's lines LINENOS (space separated) with 5 lines of context.
print_context() {
	awk -v lines="$2" '
		BEGIN {
			n = split(lines, l, " ")
			for (i = 1; i <= n; i++)
				for (j = l[i] - 5; j <= l[i] + 5; j++)
					want[j] = 1
		}
		want[FNR] {
			if (prev && FNR != prev + 1)
				print "--"
			sub(/\r$/, "")
			print
			prev = FNR
		}' "$1"
}

# check_kernel_log <dir>: scan the kernel log of a run for errors; returns
# 1 if there are any. <dir>/dmesg.txt is all kernel; in <dir>/console.log
# only lines with a printk timestamp are kernel messages (the rest is the
# command's output, which may well say "WARNING:"), and only those missing
# from dmesg.txt are new: they were logged after the snapshot, or there is
# no snapshot because the guest died.
check_kernel_log() {
	local dmesg=$1/dmesg.txt console=$1/console.log
	local hits bad=0

	[ -f "$dmesg" ] || dmesg=/dev/null
	# awk gets the regexes through the environment, which (unlike -v)
	# leaves them exactly as written.
	ERRORS=$(join_by '|' "${KERNEL_ERROR_PATTERNS[@]}")
	BENIGN=$(join_by '|' "${KERNEL_BENIGN_PATTERNS[@]}")
	export ERRORS BENIGN
	hits=$(awk '$0 ~ ENVIRON["ERRORS"] && $0 !~ ENVIRON["BENIGN"] {
			print FNR
		    }' "$dmesg")
	if [ -n "$hits" ]; then
		echo "---- kernel errors in $dmesg ----"
		print_context "$dmesg" "$hits"
		bad=1
	fi
	[ -f "$console" ] || return $bad
	hits=$(awk 'FILENAME == ARGV[1] { seen[$0] = 1; next }
		    { sub(/\r$/, "") }
		    /^\[ *[0-9]+\.[0-9]+\] / && !($0 in seen) &&
		    $0 ~ ENVIRON["ERRORS"] && $0 !~ ENVIRON["BENIGN"] {
			print FNR
		    }' \
		    "$dmesg" "$console")
	if [ -n "$hits" ]; then
		echo "---- kernel errors in $console ----"
		print_context "$console" "$hits"
		bad=1
	fi
	return $bad
}
