#!/usr/bin/env python3
"""Split a one-folder cabinet (no reserved areas) into a set of two, as
makecab's MaxDiskSize does: the first cabinet keeps blocks 0..k-1 and the
first half of block k's data (cbUncomp 0), the second the rest; files are
marked by where their bytes lie (iFolder 0xFFFE "continued to next" in the
first, 0xFFFD "continued from previous" in the second, 0 elsewhere; offsets
count from the folder's start in the first cabinet). Checksums are
recomputed for every block written. No Windows cabinet maker runs here
(Wine has no makecab): this hand-made split is checked by cabextract, which
joins sets.

usage: split_cab.py IN.cab K OUT_A.cab OUT_B.cab
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import os
import struct
import sys


def checksum(data, seed=0):
    v = seed
    n = len(data) // 4
    for i in range(n):
        v ^= struct.unpack_from("<I", data, 4 * i)[0]
    rem = data[4 * n:]
    t = 0
    if len(rem) == 3:
        t = rem[0] << 16 | rem[1] << 8 | rem[2]
    elif len(rem) == 2:
        t = rem[0] << 8 | rem[1]
    elif len(rem) == 1:
        t = rem[0]
    return v ^ t


def block(data, ucb):
    return struct.pack("<IHH", checksum(data) ^ (len(data) | ucb << 16), len(data), ucb) + data


def cabinet(set_id, index, prev, nxt, typ, blocks, files):
    flags = (1 if prev else 0) | (2 if nxt else 0)
    links = b""
    for link in (prev, nxt):
        if link:
            links += link.encode() + b"\0" + b"disk\0"
    ftab = b"".join(
        struct.pack("<IIHHHH", size, off, folder, date, time, attr) + name + b"\0"
        for name, size, off, folder, date, time, attr in files)
    head = 36 + len(links) + 8
    data_at = head + len(ftab)
    body = b"".join(blocks)
    total = data_at + len(body)
    hdr = struct.pack("<4sIIIIIBBHHHHH", b"MSCF", 0, total, 0, head, 0, 3, 1, 1,
                      len(files), flags, set_id, index)
    folder = struct.pack("<IHH", data_at, len(blocks), typ)
    return hdr + links + folder + ftab + body


def main(src, k, out_a, out_b):
    d = open(src, "rb").read()
    nf, nfi, flags = struct.unpack_from("<HHH", d, 26)
    assert nf == 1 and flags == 0, "one folder, no reserve, no set"
    coff = struct.unpack_from("<I", d, 16)[0]
    off, nblocks, typ = struct.unpack_from("<IHH", d, 36)
    blocks, p, start = [], off, 0
    for _ in range(nblocks):
        _, cb, ucb = struct.unpack_from("<IHH", d, p)
        blocks.append((d[p + 8:p + 8 + cb], ucb, start))
        start += ucb
        p += 8 + cb
    files, p = [], coff
    for _ in range(nfi):
        size, foff, _, date, time, attr = struct.unpack_from("<IIHHHH", d, p)
        e = d.index(b"\0", p + 16)
        files.append((d[p + 16:e], size, foff, date, time, attr))
        p = e + 1
    data, ucb, split_at = blocks[k]
    half = len(data) // 2
    a_blocks = [block(b, u) for b, u, _ in blocks[:k]] + [block(data[:half], 0)]
    b_blocks = [block(data[half:], ucb)] + [block(b, u) for b, u, _ in blocks[k + 1:]]
    a_files, b_files = [], []
    for name, size, foff, date, time, attr in files:
        if foff + size <= split_at:
            a_files.append((name, size, foff, 0, date, time, attr))
        elif foff >= split_at + ucb:
            b_files.append((name, size, foff, 0, date, time, attr))
        else:
            a_files.append((name, size, foff, 0xFFFE, date, time, attr))
            b_files.append((name, size, foff, 0xFFFD, date, time, attr))
    na, nb = os.path.basename(out_a), os.path.basename(out_b)
    open(out_a, "wb").write(cabinet(0x1717, 0, None, nb, typ, a_blocks, a_files))
    open(out_b, "wb").write(cabinet(0x1717, 1, na, None, typ, b_blocks, b_files))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
