#!/usr/bin/env python3
"""Make chmcmd's output reproducible: chmcmd (Free Pascal 3.2.2, a static
binary that faketime cannot reach) writes the clock into the ITSF header
(offset 16) and into the #SYSTEM file's record 10. Both are set to a fixed
value here; nothing in a CHM checks them.

usage: fix_timestamps.py FILE.chm
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import struct
import sys

FIXED = 0x665A6280  # 2024-06-01 00:00:00 UTC


def encint(b, p):
    v = 0
    while True:
        x = b[p]
        p += 1
        v = (v << 7) | (x & 0x7F)
        if not x & 0x80:
            return v, p


def main(path):
    d = bytearray(open(path, "rb").read())
    assert d[:4] == b"ITSF"
    struct.pack_into(">I", d, 16, FIXED)
    hs1 = struct.unpack_from("<Q", d, 0x48)[0]
    chunk = struct.unpack_from("<I", d, hs1 + 0x10)[0]
    cs0 = struct.unpack_from("<Q", d, 0x58)[0]
    first = hs1 + 0x54
    c = d[first:first + chunk]
    assert c[:4] == b"PMGL"
    n = struct.unpack_from("<H", c, chunk - 2)[0]
    p = 0x14
    for _ in range(n):
        ln, p = encint(c, p)
        name = bytes(c[p:p + ln])
        p += ln
        sec, p = encint(c, p)
        off, p = encint(c, p)
        length, p = encint(c, p)
        if name == b"/#SYSTEM" and sec == 0:
            at, end = cs0 + off + 4, cs0 + off + length
            while at + 4 <= end:
                code, size = struct.unpack_from("<HH", d, at)
                if code == 10 and size >= 4:
                    struct.pack_into("<I", d, at + 4, FIXED)
                at += 4 + size
    open(path, "wb").write(d)


if __name__ == "__main__":
    main(sys.argv[1])
