#!/usr/bin/env python3
"""Write a minimal Windows 3.x NE executable (16-bit "New Executable").

No tool on Debian, PyPI or npm links Win16 NE files (mingw cannot; Open Watcom is not
packaged), so corpus/ne/ samples are built here from the layout Microsoft's NE
specification and winedump read: an MZ stub whose e_lfanew points at the NE header, the
segment table (one code segment), the resource table (VERSION, RCDATA), the resident
name table (module name), module-reference and imported-name tables (empty), the entry
table (empty) and the non-resident name table (description). These are **constructed
layouts**: corpus/README.md says so, and winedump (wine64-tools) is the reference reader.

usage: ne_build.py OUT MODULE DESCRIPTION COMPANY FILEDESC PRODUCT
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import struct
import sys

SHIFT = 4  # resource and segment alignment: 16-byte sectors


def block(key, value=b"", kids=b"", text=False):
    """A 16-bit VS_VERSIONINFO block: len, value len, key, value, children."""
    k = key.encode("latin-1") + b"\0"
    body = k + b"\0" * ((-(4 + len(k))) % 4) + value
    if kids:
        body += b"\0" * ((-(4 + len(body))) % 4) + kids
    return struct.pack("<HH", 4 + len(body), len(value)) + body


def pad4(b):
    return b + b"\0" * ((-len(b)) % 4)


def version_resource(strings):
    fixed = struct.pack("<13I", 0xFEEF04BD, 0x10000, 0x10000, 0, 0x10000, 0, 0x3F, 0, 0x10001, 1, 0, 0, 0)
    table = b"".join(pad4(block(k, v.encode("latin-1") + b"\0")) for k, v in strings)
    sfi = block("StringFileInfo", kids=block("040904E4", kids=table))
    return block("VS_VERSION_INFO", fixed, pad4(sfi))


def sectors(b):
    return b + b"\0" * ((-len(b)) % (1 << SHIFT))


def main():
    out, module, desc, company, filedesc, product = sys.argv[1:7]
    stub_code = bytes.fromhex("0e1fba0e00b409cd21b8014ccd21") + b"This program requires Microsoft Windows.\r\n$"
    ne_at = 0x80
    # Tables after the 64-byte NE header, offsets relative to it.
    seg_tab = 0x40
    rsrc_tab = seg_tab + 8
    ver = version_resource([
        ("CompanyName", company), ("FileDescription", filedesc), ("FileVersion", "1.0.0.0"),
        ("ProductName", product), ("ProductVersion", "1.0.0.0"),
    ])
    rcdata = b"installsift NE RCDATA payload\r\n" * 4
    # Resource table: shift, VERSION (1 entry), RCDATA (1 entry), 0, names (none), 0.
    rsrc_len = 2 + (8 + 12) * 2 + 2 + 1
    res_tab = rsrc_tab + rsrc_len
    resident = bytes([len(module)]) + module.encode() + b"\0\0" + b"\0"
    mod_tab = res_tab + len(resident)
    imp_tab = mod_tab  # no module references
    imported = b"\0"
    ent_tab = imp_tab + len(imported)
    entry = b"\0\0"
    tables_end = ne_at + ent_tab + len(entry)
    # Data: segment, resources, then the non-resident names.
    code = bytes.fromhex("b8004ccd21")
    seg_at = (tables_end + (1 << SHIFT) - 1) >> SHIFT << SHIFT
    ver_at = seg_at + len(sectors(code))
    rc_at = ver_at + len(sectors(ver))
    nonres_at = rc_at + len(sectors(rcdata))
    nonres = bytes([len(desc)]) + desc.encode("latin-1") + b"\0\0" + b"\0"
    rsrc = struct.pack("<H", SHIFT)
    rsrc += struct.pack("<HHI", 0x8010, 1, 0) + struct.pack("<6H", ver_at >> SHIFT, len(sectors(ver)) >> SHIFT, 0x0C30, 0x8001, 0, 0)
    rsrc += struct.pack("<HHI", 0x800A, 1, 0) + struct.pack("<6H", rc_at >> SHIFT, len(sectors(rcdata)) >> SHIFT, 0x0C30, 0x8065, 0, 0)
    rsrc += b"\0\0" + b"\0"
    assert len(rsrc) == rsrc_len
    header = struct.pack(
        "<2sBBHHIHHHHIIHHHHHHHHIHHHBB6sBB",
        b"NE", 5, 60, ent_tab, len(entry), 0, 0x0302, 0, 0x400, 0x2000, 1 << 16, 0,
        1, 0, len(nonres), seg_tab, rsrc_tab, res_tab, mod_tab, imp_tab, nonres_at,
        0, SHIFT, 0, 2, 0x08, b"\0" * 6, 10, 3,
    )
    assert len(header) == 64
    seg = struct.pack("<4H", seg_at >> SHIFT, len(code), 0x0C50, len(code))
    mz = bytearray(0x40)
    mz[0:2] = b"MZ"
    struct.pack_into("<HHHHHHHHHHHHH", mz, 2, 0x80 % 512, 1, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40, 0)
    struct.pack_into("<I", mz, 0x3C, ne_at)
    f = bytearray(mz + stub_code)
    f += b"\0" * (ne_at - len(f))
    f += header + seg + rsrc + resident + imported + entry
    f += b"\0" * (seg_at - len(f))
    f += sectors(code) + sectors(ver) + sectors(rcdata) + nonres
    open(out, "wb").write(f)


if __name__ == "__main__":
    main()
