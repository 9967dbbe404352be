#!/usr/bin/env python3
"""installsift test corpus: fill a stand-in Burn stub's `.wixburn` section the way
WiX's binder (light.exe) does, then append the UX container and one attached
container: STUB UX.cab ATTACHED.cab BUNDLE-GUID OUT.

Section layout (WiX src/burn/engine/section.cpp, BURN_SECTION_HEADER): magic,
version, bundle GUID, stub size, original checksum, original signature offset and
size, container format (1 = cabinet), container count, container sizes (UX first).
The UX container starts at the stub size; attached containers follow the engine.
SPDX-License-Identifier: MIT OR Apache-2.0"""
import struct
import sys
import uuid

stub_path, ux_path, att_path, guid, out_path = sys.argv[1:6]
stub = bytearray(open(stub_path, "rb").read())
ux = open(ux_path, "rb").read()
att = open(att_path, "rb").read()

lfanew = struct.unpack_from("<I", stub, 0x3C)[0]
nsec = struct.unpack_from("<H", stub, lfanew + 6)[0]
opt_size = struct.unpack_from("<H", stub, lfanew + 20)[0]
table = lfanew + 24 + opt_size
for i in range(nsec):
    h = table + 40 * i
    if stub[h:h + 8] == b".wixburn":
        raw_size, raw_off = struct.unpack_from("<II", stub, h + 16)
        break
else:
    sys.exit("no .wixburn section in the stub")
magic, version = struct.unpack_from("<II", stub, raw_off)
assert (magic, version) == (0x00F14300, 2), "stub section is not a fresh Burn header"
header = struct.pack("<II", magic, version) + uuid.UUID(guid).bytes_le
header += struct.pack("<IIIIII", len(stub), 0, 0, 0, 1, 2)
header += struct.pack("<II", len(ux), len(att))
assert len(header) <= raw_size
stub[raw_off:raw_off + len(header)] = header
with open(out_path, "wb") as f:
    f.write(stub + ux + att)
