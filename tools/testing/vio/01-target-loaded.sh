#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The module is loaded and registers the vio target at its version.
. "$(dirname "$0")/lib.sh"

line=$(dmsetup targets | awk '$1 == "vio"')
[ -n "$line" ] || fail "vio not in 'dmsetup targets'"
expect_eq "target version" "$(awk '{print $2}' <<<"$line")" "v1.0.0"
grep -qw dm_vio /proc/modules || fail "dm_vio not in /proc/modules"
