#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host side of "make debugtest": the integration tests on a debug kernel.
# Builds UML from linux-source-6.12 with KASAN, UBSAN, lockdep,
# DEBUG_OBJECTS and kmemleak (debug.config) and dm-vio.ko against it, boots
# it with the host's root over hostfs, read-only (uml-init.sh is its PID 1)
# and runs tools/testing/vio/run.sh there with VIO_DEBUG_KERNEL=1: rates
# and latencies are not judged on so slow a kernel, everything else is.
# Fails on any failing test, on no test at all, on a UML that died or hung,
# and on any report in its kernel log (tools/testing/vm/kernel-log.sh) or
# from kmemleak. UML's own exit status says nothing about the tests: the
# results are files in the output directory.
#
# The build lives in dm-vio's cache beside KUnit's (uml-debug-build), so
# reruns are incremental; the module is built there from a copy of its
# sources, leaving the repository's dm-vio.ko (Debian's) alone.
#
# Usage: uml-run.sh [test-name-glob...]
# Environment: VIO_UML_TIMEOUT (the whole run, s), VIO_UML_MEM (MiB),
# VIO_TEST_TIMEOUT (each test, s), VIO_UML_KNOWN_BUGS=1 (run the tests
# UML_SKIP marks as known bugs too); every VIO_* variable reaches the
# tests.
set -euo pipefail

readonly PROG=debugtest

# Tests UML cannot run, and why: run.sh reports them as skipped. One
# "<name> <why>" per line.
readonly UML_SKIP='22-guest-attach boots a qemu guest on a volume: UML has no KVM, and qemu emulating a guest inside UML would take hours'

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
timeout_s=${VIO_UML_TIMEOUT:-3600}
mem_mb=${VIO_UML_MEM:-3072}
uml_pid=
tail_pid=

# check_kernel_log: the same rules as for the test VM
. "$top/tools/testing/vm/kernel-log.sh"

msg() {
	echo "$PROG: $*" >&2
}

die() {
	msg "$*"
	exit 1
}

# UML needs a fix of its own (uml-xstate-size.patch), which must not reach
# the tree KUnit builds from: it builds from a copy, made of hard links
# (no space, under a second), patched with patch(1), which replaces the
# files it changes rather than writing through their links. The copy is
# made again when the tree was unpacked again or a patch changed, and the
# build starts afresh then: a file back to what it was is older than what
# was built from its patched version, and make would keep that.
prepare_tree() {
	local stamp=$src/.dm-vio-uml want p

	want=$(cat "$tree/.dm-vio-unpacked" "$here"/*.patch | sha256sum)
	# KUnit's copy of the uapi header (kunit/stage.sh) would come first
	# in the module's include path: the module has its own.
	rm -f "$src/include/uapi/linux/dm-vio.h"
	[ -f "$stamp" ] && [ "$(cat "$stamp")" == "$want" ] && return
	msg "making the patched copy of $tree"
	rm -rf "$src" "$src.new" "$build"
	mkdir -p "$build"
	cp -al "$tree" "$src.new"
	rm -f "$src.new/include/uapi/linux/dm-vio.h"
	for p in "$here"/*.patch; do
		patch -d "$src.new" -p1 -s --no-backup-if-mismatch <"$p" ||
			die "cannot apply ${p##*/}"
	done
	echo "$want" >"$src.new/.dm-vio-uml"
	mv "$src.new" "$src"
}

# kmake <log> <make arguments...>: make in the UML build, quiet unless it
# fails
kmake() {
	local log=$build/$1

	shift
	if ! make -C "$src" O="$build" ARCH=um --jobs="$(nproc)" "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		die "make $* failed (log: $log)"
	fi
}

# The defconfig and debug.config, then olddefconfig: every option of
# debug.config must have survived it (a dependency UML lacks drops an
# option silently otherwise).
configure() {
	local want=$build/.config.dm-vio

	cat "$src/arch/um/configs/x86_64_defconfig" "$here/debug.config" >"$want.new"
	if [ ! -f "$build/.config" ] || ! cmp -s "$want.new" "$want"; then
		cp "$want.new" "$build/.config"
	fi
	mv "$want.new" "$want"
	kmake config.log olddefconfig
	awk '	FNR == NR {
			if (match($0, /^CONFIG_[A-Za-z0-9_]+=/))
				have[substr($0, 1, RLENGTH - 1)] = substr($0, RLENGTH + 1)
			next
		}
		/^CONFIG_/ || /^# CONFIG_.* is not set$/ {
			if (/^#/) { name = $2; value = "n" }
			else { name = $0; sub(/=.*/, "", name); value = substr($0, length(name) + 2) }
			got = name in have ? have[name] : "n"
			if (got != value) {
				printf "%s: want %s, got %s\n", name, value, got
				bad = 1
			}
		}
		END { exit bad }' "$build/.config" "$here/debug.config" >&2 ||
		die "debug.config does not apply to this kernel (see above)"
}

# The module's sources, copied only when they changed (as kunit/stage.sh
# does), so that its build is incremental too.
stage_module() {
	local f name

	mkdir -p "$modsrc/dm-vio" "$modsrc/include/uapi/linux"
	install -C -m 0644 "$top/Kbuild" "$modsrc/Kbuild"
	for f in "$top"/dm-vio/*.[ch] "$top/dm-vio/Kbuild"; do
		case $f in *.mod.c) continue ;; esac
		install -C -m 0644 "$f" "$modsrc/dm-vio/"
	done
	for f in "$modsrc"/dm-vio/*.[ch]; do
		name=${f##*/}
		case $name in *.mod.c) continue ;; esac
		[ -e "$top/dm-vio/$name" ] || rm -f "$f"
	done
	install -C -m 0644 "$top/include/uapi/linux/dm-vio.h" "$modsrc/include/uapi/linux/"
}

build_all() {
	local start=$SECONDS

	msg "building the debug UML kernel in $build (the first build takes a while)"
	prepare_tree
	configure
	kmake build.log all
	# From the build, not "make kernelrelease": under make (make check)
	# that would print the directories it enters too.
	krel=$(cat "$build/include/config/kernel.release") ||
		die "no kernel release in $build"
	# Its modules (null_blk), where modprobe looks for them in UML.
	rm -rf "$modroot"
	kmake modules_install.log INSTALL_MOD_PATH="$modroot" modules_install
	stage_module
	kmake module.log M="$modsrc" CONFIG_DM_VIO=m modules
	msg "kernel $krel and dm-vio.ko ready after $((SECONDS - start))s"
}

# write_conf <file> [test-name-glob...]: settings for uml-init.sh, as bash
# it sources
write_conf() {
	local file=$1 name skip UML_HOST_RO UML_TESTS

	shift
	UML_TESTS=("$@")

	# Parents before children, as they are mounted in this order.
	mapfile -t UML_HOST_RO < <(printf '%s\n' "$top" "$build" |
		awk '{ print length, $0 }' | sort -n | cut -d' ' -f2-)
	{
		printf 'UML_TOP=%q\n' "$top"
		printf 'UML_OUT=%q\n' "$out"
		printf 'UML_MODULES=%q\n' "$modroot/lib/modules/$krel"
		printf 'UML_KO_DIR=%q\n' "$modsrc/dm-vio"
		declare -p UML_HOST_RO UML_TESTS
		while IFS= read -r name; do
			[[ $name =~ ^VIO_[A-Za-z0-9_]*$ ]] || continue
			printf 'export %s=%q\n' "$name" "${!name}"
		done < <(compgen -e)
		printf 'export VIO_OUT=%q VIO_GUEST=1 VIO_DEBUG_KERNEL=1\n' "$out"
		skip=$UML_SKIP
		[ "${VIO_UML_KNOWN_BUGS:-0}" != 1 ] || skip=$(grep -v 'KNOWN BUG' <<<"$skip")
		printf 'export VIO_SKIP=%q\n' "$skip${VIO_SKIP:+$'\n'$VIO_SKIP}"
		# A debug kernel is slow: give each test more time.
		printf 'export VIO_TEST_TIMEOUT=%q\n' "${VIO_TEST_TIMEOUT:-600}"
	} >"$file"
}

run_uml() {
	local cmdline

	case "$top$out$build" in
	*[[:space:]]*) die "no white space in paths, please: they go on a kernel command line" ;;
	esac
	write_conf "$out/uml.conf" "$@"
	cmdline=(
		"mem=${mem_mb}M" rootfstype=hostfs rootflags=/ ro
		"init=$here/uml-init.sh" "VIO_UML_CONF=$out/uml.conf"
		con=null "con0=null,fd:1" quiet printk.devkmsg=on
		# Every KASAN report, not the first only; the IMA test
		# (14-ima.sh) needs device-mapper's measurements.
		kasan_multi_shot ima_policy=critical_data
	)
	msg "booting UML (output in $out)"
	timeout -k 10 "$timeout_s" "$build/linux" "${cmdline[@]}" </dev/null \
		>"$out/console.log" 2>&1 &
	uml_pid=$!
	# Follow the console until UML is gone (tail --pid needs it reaped
	# first: a zombie still counts as alive).
	tail -n +1 -s 0.1 -F --pid="$uml_pid" "$out/console.log" 2>/dev/null |
		sed -u 's/\r$//' &
	tail_pid=$!
	rc=0
	wait "$uml_pid" || rc=$?
	uml_pid=
	wait "$tail_pid" || true
	tail_pid=
}

# On any exit: a UML still running is told to stop (timeout passes the
# signal on), and the console stream ends with it.
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	if [ -n "$uml_pid" ]; then
		kill "$uml_pid" 2>/dev/null || true
		wait "$uml_pid" 2>/dev/null || true
	fi
	[ -z "$tail_pid" ] || wait "$tail_pid" 2>/dev/null || true
}

report() {
	local status tap=$out/results.tap bad=0
	local ok skipped failed planned judged

	status=$(cat "$out/status" 2>/dev/null) || true
	ok=$(grep -c '^ok ' "$tap" 2>/dev/null) || true
	skipped=$(grep -c '^ok .* # SKIP ' "$tap" 2>/dev/null) || true
	failed=$(grep -c '^not ok ' "$tap" 2>/dev/null) || true
	planned=$(sed -n 's/^1\.\.//p' "$tap" 2>/dev/null) || true
	judged=$(grep -c 'not judged on a debug kernel' "$tap" 2>/dev/null) || true

	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		msg "UML timed out after ${timeout_s}s"
		bad=1
	elif ! [[ $status =~ ^[0-9]+$ ]]; then
		echo "---- last 100 lines of $out/console.log ----"
		tail -n 100 "$out/console.log"
		msg "UML died without an exit status (UML exit $rc)"
		bad=1
	fi
	if ! check_kernel_log "$out"; then
		msg "the kernel reported errors (above)"
		bad=1
	fi
	if [ -s "$out/kmemleak.txt" ]; then
		echo "---- $out/kmemleak.txt ----"
		cat "$out/kmemleak.txt"
		msg "kmemleak found leaks (above)"
		bad=1
	elif [[ $status =~ ^[0-9]+$ ]] && [ ! -f "$out/kmemleak.txt" ]; then
		msg "no kmemleak report"
		bad=1
	fi
	echo "$PROG: results and logs in $out"
	grep -h '^# robustness:' "$tap" 2>/dev/null | sed "s/^# /$PROG: /" || true
	echo "$PROG: $((${ok:-0} - ${skipped:-0})) passed, ${skipped:-0} skipped," \
		"${failed:-0} failed; ${judged:-0} rates not judged on a debug kernel"
	if [ $((${ok:-0} - ${skipped:-0})) -le 0 ] || [ "${failed:-0}" -ne 0 ] ||
	   [ "${planned:-0}" -ne "${ok:-0}" ]; then
		bad=1
	fi
	[ "$bad" -eq 0 ] || { echo "$PROG: FAILED" >&2; exit 1; }
}

main() {
	tree=$(bash "$top/tools/kernel-tree.sh")
	src=$(dirname "$tree")/uml-debug-tree
	build=$(dirname "$tree")/uml-debug-build
	modroot=$build/modroot
	modsrc=$build/dm-vio-module
	mkdir -p "$build"
	# One run at a time per cache: a build would change what a UML reads.
	exec 9>"$build.lock"
	flock 9

	[ -x "$top/tools/dmvio/dmvio" ] || die "tools/dmvio/dmvio is not built (make tools)"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	build_all
	out=$(mktemp -d /tmp/vio-debugtest.XXXXXX)
	run_uml "$@"
	report
}

main "$@"
