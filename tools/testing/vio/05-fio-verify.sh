#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fio writes random-sized blocks all over both layouts and verifies crc32c.
. "$(dirname "$0")/lib.sh"

make_arrays 4 16
a=("${ARRAYS[@]}")
vio_create viot-lin $((4 * 32768 - 4096)) linear 0 4 "${a[0]}" 0 "${a[1]}" 0 "${a[2]}" 0 "${a[3]}" 4096
fio_verify /dev/mapper/viot-lin lin --size=100% --number_ios=3000
vio_remove viot-lin

vio_create viot-str $((4 * 32768)) stripe 1 8 4 "${a[0]}" 0 "${a[1]}" 0 "${a[2]}" 0 "${a[3]}" 0
fio_verify /dev/mapper/viot-str str --size=100% --number_ios=3000
log "fio crc32c verify clean on linear and stripe"
