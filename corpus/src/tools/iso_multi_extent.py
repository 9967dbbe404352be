#!/usr/bin/env python3
"""A minimal ISO 9660 image whose file `SPLIT.BIN` is stored in three
extents (directory records with flag 0x80 on all but the last), the way
mkisofs -iso-level 3 and libisofs store files over 4 GiB; two extents follow
each other, the third lies elsewhere. Hand-made: no tool writes a multi-extent
file smaller than 4 GiB. `7zz x` is the reference reader.
    iso_multi_extent.py OUTPUT
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import struct
import sys

B = 2048


def both16(v):
    return struct.pack("<H", v) + struct.pack(">H", v)


def both32(v):
    return struct.pack("<I", v) + struct.pack(">I", v)


def record(extent, size, flags, name):
    n = len(name)
    body = (both32(extent) + both32(size) + bytes([124, 6, 1, 0, 0, 0, 0]) + bytes([flags, 0, 0])
            + both16(1) + bytes([n]) + name)
    if n % 2 == 0:
        body += b"\0"
    return bytes([len(body) + 2, 0]) + body


def main():
    out = sys.argv[1]
    a = bytes((i * 7 + 1) % 251 for i in range(3 * B))   # extents 1 and 2: 2 + 1 blocks
    c = b"third extent, stored apart\n" * 40             # extent 3
    hello = b"hello from a plain file\n"
    # Blocks: 16 PVD, 17 terminator, 18 root, 19 HELLO.TXT, 20-21 extent 1,
    # 22 extent 2, 23 a gap, 24 extent 3.
    root = record(18, B, 2, b"\0") + record(18, B, 2, b"\1")
    root += record(19, len(hello), 0, b"HELLO.TXT;1")
    root += record(20, 2 * B, 0x80, b"SPLIT.BIN;1")
    root += record(22, B, 0x80, b"SPLIT.BIN;1")
    root += record(24, len(c), 0, b"SPLIT.BIN;1")
    total = 25
    pvd = bytearray(B)
    pvd[0:7] = b"\x01CD001\x01"
    pvd[8:40] = b"LINUX".ljust(32)
    pvd[40:72] = b"MULTI_EXTENT".ljust(32)
    pvd[80:88] = both32(total)
    pvd[120:124] = both16(1)
    pvd[124:128] = both16(1)
    pvd[128:132] = both16(B)
    pvd[156:190] = record(18, B, 2, b"\0")
    pvd[881] = 1
    term = bytearray(B)
    term[0:7] = b"\xffCD001\x01"
    img = bytearray(16 * B) + pvd + term + root.ljust(B, b"\0") + hello.ljust(B, b"\0")
    img += a + b"gap block, no file\n".ljust(B, b"\0") + c.ljust(B, b"\0")
    assert len(img) == total * B
    open(out, "wb").write(img)


if __name__ == "__main__":
    main()
