#!/usr/bin/env python3
"""Set the UF_COMPRESSED owner flag (0x20, BSD info byte 41) on the catalog
file record of NAME in an HFS+ volume image, in place, so that the next
`hfsplus IMAGE add SRC NAME` of libdmg-hfsplus writes the file through its
decmpfs compressor (hfs/hfscompress.c). Only the flag byte is edited: the
compressed data, the com.apple.decmpfs attribute and the resource fork are
libdmg-hfsplus's own.

    hfs_set_compressed.py VOLUME.hfs NAME      (NAME: a file in the root folder)
"""
import struct
import sys

path, name = sys.argv[1], sys.argv[2]
d = bytearray(open(path, "rb").read())
vh = 1024
assert d[vh:vh + 2] in (b"H+", b"HX"), "not an HFS+ volume"
block = struct.unpack_from(">I", d, vh + 40)[0]
start = struct.unpack_from(">I", d, vh + 272 + 16)[0]
cat = start * block
node_size = struct.unpack_from(">H", d, cat + 14 + 18)[0]
leaf = struct.unpack_from(">I", d, cat + 14 + 10)[0]
want = name.encode("utf-16-be")
done = 0
while leaf:
    n = cat + leaf * node_size
    count = struct.unpack_from(">H", d, n + 10)[0]
    for i in range(count):
        s = struct.unpack_from(">H", d, n + node_size - 2 * (i + 1))[0]
        klen = struct.unpack_from(">H", d, n + s)[0]
        parent = struct.unpack_from(">I", d, n + s + 2)[0]
        nlen = struct.unpack_from(">H", d, n + s + 6)[0]
        key_name = bytes(d[n + s + 8:n + s + 8 + 2 * nlen])
        rec = n + s + 2 + klen
        kind = struct.unpack_from(">H", d, rec)[0]
        if parent == 2 and key_name == want and kind == 2:
            d[rec + 41] |= 0x20
            done += 1
    leaf = struct.unpack_from(">I", d, n)[0]
assert done == 1, f"{name}: {done} file records found"
open(path, "wb").write(d)
