#!/usr/bin/env python3
"""Hand-built hostile samples (the corpus's malformed cases; everything else is
made by real tools). Deterministic: fixed timestamps, no randomness.

Usage: make_traps.py OUTDIR
  traversal.zip  stored zip whose entry names try to escape an extraction
                 directory: ../, absolute, drive letter, backslashes, NUL,
                 Windows device name, and a 65,535-byte name.

Usage: make_traps.py --bombs OUTDIR   (run in corpus/, after the real-tool
samples; the patched ones start from them)
  quine.zip          a zip whose one entry is the zip itself (r.zip style)
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
import itertools
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


# ---- quine.zip: a zip that contains itself (Russ Cox, "Zip Files All The
# Way Down", 2010: DEFLATE literal and repeat operations arranged as a quine
# with a prefix P = local header and a suffix S = central directory; the CRC-32
# that appears in its own data is the fixed point of an affine map, solved
# over GF(2)). Our encoding: every operation is 10 bytes, byte-aligned (an L
# op is an empty stored block plus a stored-block header; an R op is a fixed-
# Huffman block of copies at distance n, padded to size by splitting the copy,
# plus an empty stored block).

LBASE = [3,4,5,6,7,8,9,10,11,13,15,17,19,23,27,31,35,43,51,59,67,83,99,115,131,163,195,227,258]
LEXT = [0]*8 + [1]*4 + [2]*4 + [3]*4 + [4]*4 + [5]*4 + [0]
DBASE = [1,2,3,4,5,7,9,13,17,25,33,49,65,97,129,193,257,385,513,769,1025,1537,2049,3073,4097,6145,8193,12289,16385,24577]
DEXT = [0,0,0,0,1,1,2,2,3,3,4,4,5,5,6,6,7,7,8,8,9,9,10,10,11,11,12,12,13,13]

class Bits:
    def __init__(self): self.bits = []
    def put(self, v, n):  # LSB first
        for i in range(n): self.bits.append((v >> i) & 1)
    def huff(self, code, n):  # MSB first
        for i in reversed(range(n)): self.bits.append((code >> i) & 1)
    def align(self):
        while len(self.bits) % 8: self.bits.append(0)
    def bytes(self):
        assert len(self.bits) % 8 == 0
        return bytes(sum(b << i for i, b in enumerate(self.bits[k:k+8])) for k in range(0, len(self.bits), 8))

def litlen(b, sym):
    if sym < 144: b.huff(0x30 + sym, 8)
    elif sym < 256: b.huff(0x190 + sym - 144, 9)
    elif sym < 280: b.huff(sym - 256, 7)
    else: b.huff(0xC0 + sym - 280, 8)

def copy(b, length, dist):
    i = max(k for k in range(29) if LBASE[k] <= length)
    if length == 258: i = 28
    litlen(b, 257 + i); b.put(length - LBASE[i], LEXT[i])
    j = max(k for k in range(30) if DBASE[k] <= dist)
    b.huff(j, 5); b.put(dist - DBASE[j], DEXT[j])

def copy_bits(length, dist):
    b = Bits(); copy(b, length, dist); return len(b.bits)

def splits(n, want_bits):
    """Lengths summing to n whose copy codes (distance n) take want_bits."""
    cost = {l: copy_bits(l, n) for l in range(3, 259)}
    for k in (1, 2, 3):
        for parts in itertools.product(range(3, 259), repeat=k - 1):
            last = n - sum(parts)
            if 3 <= last <= 258 and sum(cost[p] for p in parts) + cost[last] == want_bits:
                return list(parts) + [last]
    return None

OP = 10  # every op is 10 bytes

def lit_hdr(n):
    """L op: an empty stored block, then the header of a stored block of n bytes."""
    return b"\x00\x00\x00\xff\xff" + b"\x00" + struct.pack("<HH", n, n ^ 0xFFFF)

def rep(n, final=False, size=OP):
    """R op: copy the last n bytes; a fixed-Huffman block (then, unless final,
    an empty stored block so the next op starts on a byte), exactly `size` bytes."""
    # header 3 + copies + end-of-block 7 (+ 3 for the empty stored header)
    budget_hi = (size - (0 if final else 4)) * 8 - 10 - (0 if final else 3)
    for want in range(budget_hi, budget_hi - 8, -1):
        parts = splits(n, want)
        if parts is None:
            continue
        b = Bits()
        b.put(1 if final else 0, 1); b.put(1, 2)
        for p in parts: copy(b, p, n)
        litlen(b, 256)
        if not final:
            b.put(0, 3)
            b.align()
            if len(b.bits) != (size - 4) * 8: continue
            return b.bytes() + b"\x00\x00\xff\xff"
        b.align()
        if len(b.bits) == size * 8:
            return b.bytes()
    raise ValueError(f"no {size}-byte encoding of R{n}")

def quine(P, S):
    p, s = len(P), len(S)
    L = lit_hdr
    R4 = rep(4 * OP)
    RA = rep(p + OP)
    assert len(RA) == OP and len(R4) == OP
    # final repeat: its size k, and it repeats k + s bytes
    for k in range(2, 12):
        try:
            RF = rep(k + s, final=True, size=k)
            break
        except ValueError:
            continue
    code = b"".join([
        L(p + OP), P, L(p + OP),
        RA,
        L(OP), RA,
        L(OP), L(OP),
        L(4 * OP), RA, L(OP), L(OP), L(4 * OP),
        R4,
        L(4 * OP), R4, L(4 * OP), R4, L(4 * OP),
        R4,
        L(4 * OP), R4, L(0), L(0), L(len(RF) + s),
        R4,
        L(0), L(0),
        L(len(RF) + s), RF, S,
        RF,
    ])
    return code

def build(name=b"quine.zip"):
    def parts(crc, code_len):
        total = 30 + len(name) + code_len + 46 + len(name) + 22
        lfh = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, code_len, total, len(name), 0) + name
        cdh = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, code_len, total, len(name), 0, 0, 0, 0, 0, 0) + name
        eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cdh), 30 + len(name) + code_len, 0)
        return lfh, cdh + eocd
    # the code length does not depend on the CRC or sizes (fixed-size fields)
    lfh, tail = parts(0, 0)
    code_len = len(quine(lfh, tail))
    def f(crc):
        lfh, tail = parts(crc, code_len)
        data = lfh + quine(lfh, tail) + tail
        return data, zlib.crc32(data) & 0xFFFFFFFF
    # crc(file(x)) is affine in x: solve f(x) = x over GF(2)
    _, c = f(0)
    cols = [f(1 << i)[1] ^ c for i in range(32)]
    # (M + I) x = c ; M column i = cols[i]
    rows = []  # augmented rows over 32 equations
    for r in range(32):
        row = 0
        for i in range(32):
            bit = ((cols[i] >> r) & 1) ^ (1 if i == r else 0)
            row |= bit << i
        row |= ((c >> r) & 1) << 32
        rows.append(row)
    # gaussian elimination
    where = [-1] * 32
    rank = 0
    for col in range(32):
        piv = next((r for r in range(rank, 32) if (rows[r] >> col) & 1), None)
        if piv is None: continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        for r in range(32):
            if r != rank and (rows[r] >> col) & 1: rows[r] ^= rows[rank]
        where[col] = rank; rank += 1
    for r in range(rank, 32):
        if (rows[r] >> 32) & 1: raise ValueError("no CRC fixed point")
    x = 0
    for col in range(32):
        if where[col] >= 0 and (rows[where[col]] >> 32) & 1: x |= 1 << col
    data, crc = f(x)
    assert crc == x, (hex(crc), hex(x))
    return data


def bombs(outdir):
    q = build()
    assert zlib.decompress(q[39:39 + struct.unpack_from("<I", q, 18)[0]], -15) == q
    (outdir / "quine.zip").write_bytes(q)
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
