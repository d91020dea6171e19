#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run dm-vio's KUnit suites in UML on linux-source-6.12. The kernel tree and
# the build directory live in dm-vio's cache (see tools/kernel-tree.sh), so
# a rerun rebuilds only what changed. Fails if any test fails, and also if
# no test ran at all (kunit.py itself exits 0 then).
#
# Usage: kunit/run.sh [extra kunit.py run arguments, e.g. a suite glob]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$(bash "$top/tools/kernel-tree.sh")
build=$(dirname "$tree")/kunit-build
log=$build/kunit.log

bash "$top/kunit/stage.sh" "$tree"
mkdir -p "$build"

echo "kunit: building UML in $build (the first build takes several minutes)"
set +e
(cd "$tree" && python3 tools/testing/kunit/kunit.py run \
	--kunitconfig="$top/kunit/.kunitconfig" \
	--build_dir="$build" --jobs="$(nproc)" --timeout=600 "$@") 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

summary=$(grep -Eo 'Ran [0-9]+ tests?: .*' "$log" | tail -n 1 || true)
ran=$(sed -nE 's/^Ran ([0-9]+) tests?.*/\1/p' <<<"$summary")
count() { grep -Eo "$1: [0-9]+" <<<"$summary" | grep -Eo '[0-9]+' || echo 0; }
passed=$(count passed)
failed=$(count failed)

if [ "$rc" -ne 0 ]; then
	echo "kunit: kunit.py failed (exit $rc)" >&2
	echo "kunit: ${passed:-0} passed, $failed failed"
	exit 1
fi
if [ -z "$ran" ] || [ "$ran" -eq 0 ]; then
	echo "kunit: no test ran; the suites were not built or not found" >&2
	exit 1
fi
echo "kunit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
