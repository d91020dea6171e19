#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check a vio volume's data against its arrays, sector by sector.

An independent model of the layouts: for every sector of the volume it
computes which array and which sector on it must hold the data, and
compares the bytes read through the volume with the bytes read directly
from that array. Exits 1 naming the first mismatching sector.

usage: layout-oracle.py VOLUME LEN linear DEV:OFFSET...
       layout-oracle.py VOLUME LEN stripe CHUNK DEV:OFFSET...
"""
import fcntl
import os
import sys

SECTOR = 512
BLKFLSBUF = 0x1261  # drop the device's page cache: writes through dm bypass it


def read(dev, start, count):
    with open(dev, "rb", buffering=0) as f:
        fcntl.ioctl(f.fileno(), BLKFLSBUF, 0)
        f.seek(start * SECTOR)
        data = f.read(count * SECTOR)
    if len(data) != count * SECTOR:
        sys.exit(f"short read from {dev} at sector {start}")
    return data


def dev_sectors(dev):
    with open(dev, "rb") as f:
        return f.seek(0, os.SEEK_END) // SECTOR


def linear_extents(arrays, length):
    """(array index, array sector, volume start, count) per array."""
    out, start = [], 0
    for i, (dev, off) in enumerate(arrays):
        usable = dev_sectors(dev) - off
        count = min(usable, length - start)
        out.append((i, 0, start, count))
        start += count
    if start != length:
        sys.exit(f"arrays hold {start} sectors, volume has {length}")
    return out


def stripe_extents(arrays, length, chunk):
    n = len(arrays)
    for c in range(length // chunk):
        yield (c % n, (c // n) * chunk, c * chunk, chunk)


def main(argv):
    volume, length, layout = argv[1], int(argv[2]), argv[3]
    rest = argv[4:]
    chunk = None
    if layout == "stripe":
        chunk, rest = int(rest[0]), rest[1:]
    arrays = [(d, int(o)) for d, o in (a.rsplit(":", 1) for a in rest)]

    vol = read(volume, 0, length)
    if layout == "linear":
        extents = linear_extents(arrays, length)
    else:
        extents = stripe_extents(arrays, length, chunk)

    cache = {}
    checked = 0
    for i, asec, vsec, count in extents:
        dev, off = arrays[i]
        if dev not in cache:
            cache[dev] = read(dev, 0, dev_sectors(dev))
        want = cache[dev][(off + asec) * SECTOR:(off + asec + count) * SECTOR]
        got = vol[vsec * SECTOR:(vsec + count) * SECTOR]
        if got != want:
            for k in range(count):
                if got[k * SECTOR:(k + 1) * SECTOR] != want[k * SECTOR:(k + 1) * SECTOR]:
                    sys.exit(f"volume sector {vsec + k} differs from {dev} "
                             f"sector {off + asec + k}")
        checked += count
    if checked != length:
        sys.exit(f"checked {checked} of {length} sectors")
    print(f"# oracle: all {length} sectors of {volume} match their arrays")


if __name__ == "__main__":
    main(sys.argv)
