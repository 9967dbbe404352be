#!/usr/bin/env python3
"""installsift test corpus: add an Omaha tag to a signed PE as Omaha's ApplyTag
does: `Gact`, the tag length (u16 big-endian) and the tag text are appended to the
certificate table (padded to 8 bytes), and the WIN_CERTIFICATE length and the
security directory size grow to cover them. IN OUT TAG.
SPDX-License-Identifier: MIT OR Apache-2.0"""
import struct
import sys

src, dst, tag = sys.argv[1], sys.argv[2], sys.argv[3].encode("ascii")
pe = bytearray(open(src, "rb").read())
lfanew = struct.unpack_from("<I", pe, 0x3C)[0]
opt = lfanew + 24
magic = struct.unpack_from("<H", pe, opt)[0]
dirs = opt + (96 if magic == 0x10B else 112)
sec = dirs + 4 * 8
off, size = struct.unpack_from("<II", pe, sec)
assert off + size == len(pe), "the certificate table must end the file"
blob = b"Gact" + struct.pack(">H", len(tag)) + tag
blob += b"\0" * (-len(blob) % 8)
pe += blob
struct.pack_into("<I", pe, sec + 4, size + len(blob))
struct.pack_into("<I", pe, off, struct.unpack_from("<I", pe, off)[0] + len(blob))
open(dst, "wb").write(pe)
