#!/usr/bin/env python3
"""Issue 16, point 3: hostile constructions where a count the file controls
(not its size) multiplies work, and their time and peak RSS under the
release binary.

Every file here is hand-made bytes (no tool writes such files; they are the
hostile cases), except the baselines `zip-60k-small` (Python's zipfile) and
`7z-60k-blocks` (7zz, apt package 7zip) and `installshield-one-range` (a
real set from the corpus, rewritten). Usage:

    python3 scripts/amplification.py OUT_DIR [BINARY [NAME,NAME...]]

writes the constructions to OUT_DIR and, when BINARY is given (e.g.
target/release/installsift), runs `BINARY scan FILE` on each under
/usr/bin/time and prints a Markdown table (construction, size, seconds,
peak RSS, the limit-exceeded / malformed errors the report carries).
The tests that keep them fixed build the same shapes in Rust
(crates/installsift/src/format_tests/amplification.rs).
"""
import json
import os
import struct
import subprocess
import sys
import zlib

p16 = lambda v: struct.pack("<H", v)
p32 = lambda v: struct.pack("<I", v)
p64 = lambda v: struct.pack("<Q", v)


def align(n, a):
    return (n + a - 1) & ~(a - 1)


def pe64(sections, dirs):
    """PE32+ image: sections (name, rva, data), dirs {index: (rva, size)};
    file alignment 0x200, headers 0x400 (as the Rust test builder)."""
    out = bytearray(0x400)
    out[0:2] = b"MZ"
    out[0x3C:0x40] = p32(0x80)
    out[0x80:0x84] = b"PE\0\0"
    coff = 0x84
    out[coff : coff + 2] = p16(0x8664)
    out[coff + 2 : coff + 4] = p16(len(sections))
    out[coff + 16 : coff + 18] = p16(240)
    out[coff + 18 : coff + 20] = p16(0x22)
    opt = coff + 20
    out[opt : opt + 2] = p16(0x20B)
    out[opt + 16 : opt + 20] = p32(sections[-1][1])
    out[opt + 24 : opt + 32] = p64(0x140000000)
    out[opt + 32 : opt + 36] = p32(0x1000)
    out[opt + 36 : opt + 40] = p32(0x200)
    out[opt + 40 : opt + 42] = p16(6)
    out[opt + 48 : opt + 50] = p16(6)
    image = max(rva + align(len(d), 0x1000) for _, rva, d in sections)
    out[opt + 56 : opt + 60] = p32(image)
    out[opt + 60 : opt + 64] = p32(0x400)
    out[opt + 68 : opt + 70] = p16(3)
    out[opt + 108 : opt + 112] = p32(16)
    for i, (rva, size) in dirs.items():
        out[opt + 112 + 8 * i : opt + 120 + 8 * i] = p32(rva) + p32(size)
    raw = 0x400
    for k, (name, rva, d) in enumerate(sections):
        sh = opt + 240 + 40 * k
        out[sh : sh + 8] = name.ljust(8, b"\0")
        out[sh + 8 : sh + 24] = p32(len(d)) + p32(rva) + p32(align(len(d), 0x200)) + p32(raw)
        out[sh + 36 : sh + 40] = p32(0x40000040)
        raw += align(len(d), 0x200)
    for _, _, d in sections:
        out += d + b"\0" * (align(len(d), 0x200) - len(d))
    return bytes(out)


def pe_with(section, dir_index, dir_size=None, extra_dirs=None):
    rva = 0x1000
    text = rva + align(len(section), 0x1000)
    dirs = {dir_index: (rva, dir_size if dir_size is not None else len(section))}
    dirs.update(extra_dirs or {})
    return pe64([(b".data", rva, section), (b".text", text, b"\xc3")], dirs)


def pe_export_names(names, name_len):
    """An export directory whose `names` name pointers all point at one
    string of `name_len` bytes (each name is read again: names x length)."""
    rva = 0x1000
    d = bytearray(40)
    eat = 40
    npt = eat + 4
    ot = npt + 4 * names
    s = ot + 2 * names
    d += p32(0x1000)  # one function, outside the export directory
    d += p32(rva + s) * names
    d += p16(0) * names
    d += b"A" * name_len + b"\0"
    d[12:16] = p32(rva + s)
    d[16:20] = p32(1)
    d[20:24] = p32(1)
    d[24:28] = p32(names)
    d[28:32] = p32(rva + eat)
    d[32:36] = p32(rva + npt)
    d[36:40] = p32(rva + ot)
    return pe_with(bytes(d), 0, dir_size=40)


def pe_export_counts():
    """NumberOfFunctions and NumberOfNames near 2^32 in a 2 KB file."""
    rva = 0x1000
    d = bytearray(64)
    d[16:20] = p32(1)
    d[20:24] = p32(0xFFFFFFF0)
    d[24:28] = p32(0xFFFFFFF0)
    d[28:32] = p32(rva + 40)
    d[32:36] = p32(rva + 40)
    d[36:40] = p32(rva + 40)
    return pe_with(bytes(d), 0, dir_size=40)


def pe_import_names(thunks, name_len):
    """One import descriptor whose `thunks` name thunks all point at one
    hint/name entry of `name_len` bytes."""
    rva = 0x1000
    d = bytearray(40)  # descriptor + terminator
    dll = len(d)
    d += b"a.dll\0\0\0"
    hint = len(d)
    d += p16(0) + b"B" * name_len + b"\0"
    d += b"\0" * (align(len(d), 8) - len(d))
    thunk = len(d)
    d += p64(rva + hint) * thunks + p64(0)
    d[0:4] = p32(rva + thunk)
    d[12:16] = p32(rva + dll)
    d[16:20] = p32(rva + thunk)
    return pe_with(bytes(d), 1, dir_size=40)


def pe_import_dll_names(descriptors, name_len):
    """`descriptors` import descriptors naming one DLL name of `name_len`
    bytes, each with one ordinal import (descriptors x length)."""
    rva = 0x1000
    d = bytearray(20 * (descriptors + 1))
    dll = len(d)
    d += b"C" * name_len + b".dll\0"
    d += b"\0" * (align(len(d), 8) - len(d))
    thunk = len(d)
    d += p64((1 << 63) | 1) + p64(0)
    for i in range(descriptors):
        d[20 * i : 20 * i + 20] = p32(rva + thunk) + p32(0) * 2 + p32(rva + dll) + p32(rva + thunk)
    return pe_with(bytes(d), 1, dir_size=20 * (descriptors + 1))


def pe_relocs(blocks):
    """A base relocation directory of `blocks` blocks of 4 KiB of entries."""
    entries = (4096 - 8) // 2
    b = b"".join(p32(0x1000 * (i % 16)) + p32(4096) + p16(0xA000) * entries for i in range(blocks))
    return pe_with(b, 5)


def pe_certs(entries):
    """An attribute certificate table of `entries` WIN_CERTIFICATE records
    of 16 bytes each (a tiny non-DER blob), after the image."""
    base = pe_with(b"\0" * 16, 1, dir_size=0)
    cert = b"".join(p32(16) + p16(0x200) + p16(2) + b"\x30\x06\x06\x04\x2a\x03\x04\x05" for _ in range(entries))
    out = bytearray(base)
    opt = 0x84 + 20
    out[opt + 112 + 8 * 4 : opt + 120 + 8 * 4] = p32(len(base)) + p32(len(cert))
    return bytes(out) + cert


def pe_certs_big_blob(copies):
    """One certificate table repeating a real-shaped (but unsigned) DER
    SEQUENCE of nested empty SETs: `copies` records."""
    inner = b"\x31\x00" * 60
    blob = b"\x30\x78" + inner
    rec = p32(8 + len(blob)) + p16(0x200) + p16(2) + blob
    rec += b"\0" * (align(len(rec), 8) - len(rec))
    base = pe_with(b"\0" * 16, 1, dir_size=0)
    cert = rec * copies
    out = bytearray(base)
    opt = 0x84 + 20
    out[opt + 112 + 8 * 4 : opt + 120 + 8 * 4] = p32(len(base)) + p32(len(cert))
    return bytes(out) + cert


def deflate_raw(data, level=9):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_same_offset(entries, kernel_size):
    """`entries` central records with distinct names all naming one local
    header whose deflate data inflates to `kernel_size` zeros."""
    kernel = b"\0" * kernel_size
    comp = deflate_raw(kernel)
    crc = zlib.crc32(kernel)
    name = b"k"
    local = b"PK\x03\x04" + p16(20) + p16(0) + p16(8) + p32(0) + p32(crc) + p32(len(comp)) + p32(kernel_size) + p16(len(name)) + p16(0) + name + comp
    cd = bytearray()
    for i in range(entries):
        n = b"f%06d" % i
        cd += b"PK\x01\x02" + p16(20) + p16(20) + p16(0) + p16(8) + p32(0) + p32(crc) + p32(len(comp)) + p32(kernel_size) + p16(len(n)) + p16(0) * 4 + p32(0) + p32(0) + n
    end = b"PK\x05\x06" + p16(0) * 2 + p16(entries) * 2 + p32(len(cd)) + p32(len(local)) + p16(0)
    return local + bytes(cd) + end


def zip_fifield(files, kernel_size):
    """David Fifield's overlapping "better zip bomb": file j's deflate data
    is a stored block quoting file j+1's local header, then file j+1's
    data, down to one kernel of `kernel_size` zeros; every file inflates to
    about the kernel (files x kernel in all)."""
    kernel = b"\0" * kernel_size
    kcomp = deflate_raw(kernel)

    def local(name, crc, clen, usize):
        return b"PK\x03\x04" + p16(20) + p16(0) + p16(8) + p32(0) + p32(crc) + p32(clen) + p32(usize) + p16(len(name)) + p16(0) + name

    names = [b"%08d" % i for i in range(files)]
    meta = [None] * files
    lhs = [None] * files
    prefix = b""
    clen, usize = len(kcomp), kernel_size
    for j in range(files - 1, -1, -1):
        if j < files - 1:
            clen = 5 + len(lhs[j + 1]) + clen
            usize = len(lhs[j + 1]) + usize
        crc = zlib.crc32(kernel, zlib.crc32(prefix))
        meta[j] = (names[j], crc, clen, usize)
        lhs[j] = local(*meta[j])
        prefix = lhs[j] + prefix
    out = bytearray()
    offsets = []
    for j in range(files):
        offsets.append(len(out))
        out += lhs[j]
        if j < files - 1:
            n = len(lhs[j + 1])
            out += b"\x00" + p16(n) + p16(n ^ 0xFFFF)
        else:
            out += kcomp
    cd = bytearray()
    for j in range(files):
        name, crc, clen, usize = meta[j]
        cd += b"PK\x01\x02" + p16(20) + p16(20) + p16(0) + p16(8) + p32(0) + p32(crc) + p32(clen) + p32(usize) + p16(len(name)) + p16(0) * 4 + p32(0) + p32(offsets[j]) + name
    end = b"PK\x05\x06" + p16(0) * 2 + p16(files) * 2 + p32(len(cd)) + p32(len(out)) + p16(0)
    return bytes(out) + bytes(cd) + end


def mszip_blocks(n, size=0x8000):
    """`n` CFDATA payloads of MSZIP ("CK" + raw deflate) of `size` zeros."""
    comp = b"CK" + deflate_raw(b"\0" * size)
    return [(comp, size)] * n


def cab_shared(n_folders, n_files, blocks, same_range=True):
    """A cabinet whose `n_folders` folders all name one run of `blocks`
    MSZIP CFDATA blocks (32 KiB of zeros each); `n_files` files spread
    over the folders, each the folder's whole data (or, with
    same_range False, file i starting i bytes in)."""
    payload = mszip_blocks(blocks)
    header_len = 36
    folders_at = header_len
    files_at = folders_at + 8 * n_folders
    file_recs = []
    for i in range(n_files):
        name = b"f%05d\0" % i
        off = 0 if same_range else i % 1000
        size = blocks * 0x8000 - off
        file_recs.append(p32(size) + p32(off) + p16(i % n_folders) + p16(0x21) + p16(0) + p16(0x20) + name)
    files_blob = b"".join(file_recs)
    data_at = files_at + len(files_blob)
    data = b"".join(p32(0) + p16(len(c)) + p16(u) + c for c, u in payload)
    total = data_at + len(data)
    hdr = b"MSCF" + p32(0) + p32(total) + p32(0) + p32(files_at) + p32(0) + bytes([3, 1]) + p16(n_folders) + p16(n_files) + p16(0) + p16(0x1234) + p16(0)
    folders = p32(data_at) + p16(blocks) + p16(1)
    return hdr + folders * n_folders + files_blob + data


def cfb_shared_chain(streams, sectors, reverse=True):
    """A compound file (v3, 512-byte sectors) whose `streams` streams all
    name one chain of `sectors` sectors (reversed, so not contiguous in the
    file): every stream reads the same bytes."""
    ENDOFCHAIN, FREESECT, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    entries = streams + 1
    dir_sectors = (entries * 128 + 511) // 512
    n_fat = 1
    while n_fat * 128 < n_fat + dir_sectors + sectors:
        n_fat += 1
    assert n_fat <= 109
    fat = [FREESECT] * (n_fat * 128)
    for i in range(n_fat):
        fat[i] = FATSECT
    d0 = n_fat
    for i in range(dir_sectors):
        fat[d0 + i] = d0 + i + 1 if i + 1 < dir_sectors else ENDOFCHAIN
    s0 = d0 + dir_sectors
    order = list(range(s0, s0 + sectors))
    if reverse:
        order.reverse()
    for a, b in zip(order, order[1:]):
        fat[a] = b
    fat[order[-1]] = ENDOFCHAIN
    start = order[0]

    def entry(name, kind, left, right, child, start, size):
        n = name.encode("utf-16-le") + b"\0\0"
        return (n.ljust(64, b"\0") + p16(len(n)) + bytes([kind, 1]) + p32(left) + p32(right) + p32(child)
                + b"\0" * 16 + p32(0) + b"\0" * 16 + p32(start) + p64(size))

    NOSTREAM = 0xFFFFFFFF
    tree = {}

    def build(lo, hi):
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        tree[mid] = (build(lo, mid), build(mid + 1, hi))
        return mid + 1

    root_child = build(0, streams)
    dirs = entry("Root Entry", 5, NOSTREAM, NOSTREAM, root_child, ENDOFCHAIN, 0)
    for i in range(streams):
        l, r = tree[i]
        dirs += entry("S%06d" % i, 2, l, r, NOSTREAM, start, sectors * 512)
    dirs = dirs.ljust(dir_sectors * 512, b"\0")
    hdr = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + p16(0x3E) + p16(3) + p16(0xFFFE) + p16(9) + p16(6)
           + b"\0" * 6 + p32(0) + p32(n_fat) + p32(d0) + p32(0) + p32(4096) + p32(ENDOFCHAIN) + p32(0)
           + p32(ENDOFCHAIN) + p32(0))
    difat = [i for i in range(n_fat)] + [FREESECT] * (109 - n_fat)
    hdr += b"".join(p32(x) for x in difat)
    assert len(hdr) == 512
    fat_bytes = b"".join(p32(x) for x in fat)
    # Stream content: a zip's local header magic, so the data sniffs as a
    # container too.
    data = bytearray(sectors * 512)
    return hdr + fat_bytes + dirs + bytes(data)


def installshield_shared_range():
    """A real InstallShield set (corpus/installshield/clam_IScab_int.exe,
    made by the InstallShield tool) whose header's 29 file descriptors are
    all given the stored range, sizes and MD5 of its largest compressed
    file: 28 files over one range (the sample holds no more descriptors)."""
    here = os.path.dirname(os.path.abspath(__file__))
    d = bytearray(open(os.path.join(here, "..", "corpus", "installshield", "clam_IScab_int.exe"), "rb").read())
    at = 0
    while True:
        h = d.find(b"ISc(", at)
        if h < 0:
            break
        at = h + 4
        desc, dsz = struct.unpack_from("<II", d, h + 12)
        if not dsz or h + desc + 0x30 > len(d):
            continue
        table = h + desc + struct.unpack_from("<I", d, h + desc + 0x0C)[0]
        files, t2 = struct.unpack_from("<II", d, h + desc + 0x28)
        if files < 2 or table + t2 + 0x57 * files > len(d):
            continue
        fd = lambda i: table + t2 + 0x57 * i
        ok = [i for i in range(files) if struct.unpack_from("<H", d, fd(i))[0] & 0b1101 == 4 and d[fd(i) + 84] == 0]
        src = max(ok, key=lambda i: struct.unpack_from("<Q", d, fd(i) + 2)[0])
        first = bytes(d[fd(src) : fd(src) + 0x57])
        for i in range(files):
            if i != src:
                d[fd(i) : fd(i) + 42] = first[:42]
                d[fd(i) + 84 : fd(i) + 87] = first[84:87]
    return bytes(d)


def zip_many_small(entries):
    """Not hostile: a zip of `entries` tiny deflated files, as Python's
    zipfile writes it (the per-entry memory baseline)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(entries):
            z.writestr("f%06d" % i, b"x%d" % i)
    return buf.getvalue()


def sevenz_many_blocks(files):
    """Not hostile: a 7z of `files` tiny files, one block each (`7zz a
    -ms=off`, the real tool; apt package 7zip): the per-block baseline."""
    import shutil
    import tempfile

    if not shutil.which("7zz"):
        sys.exit("7zz is missing: apt-get install 7zip")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        for i in range(files):
            with open(os.path.join(src, "f%06d" % i), "wb") as f:
                f.write(b"x%d" % i)
        out = os.path.join(tmp, "out.7z")
        subprocess.run(["7zz", "a", "-bd", "-bso0", "-ms=off", "-mtm=off", "-mtc=off", "-mta=off", out, "./src/*"],
                       cwd=tmp, check=True)
        with open(out, "rb") as f:
            return f.read()


def sz_num(n):
    """7z's variable-length number (7zFormat.txt, REAL_UINT64)."""
    if n < 0x80:
        return bytes([n])
    for k in range(1, 9):
        if n < (1 << (7 * (k + 1))) or k == 8:
            break
    if k == 8:
        return b"\xff" + p64(n)
    hi = n >> (8 * k)
    first = (0xFF << (8 - k)) & 0xFF | hi
    return bytes([first]) + n.to_bytes(8, "little")[:k]


def sz_archive(packed, header):
    """A 7z archive: start header, `packed` streams, then `header` (plain)."""
    start = p64(len(packed)) + p64(len(header)) + p32(zlib.crc32(header))
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + p32(zlib.crc32(start)) + start + packed + header


def sz_names(names):
    blob = b"".join(n.encode("utf-16-le") + b"\0\0" for n in names)
    return b"\x11" + sz_num(len(blob) + 1) + b"\x00" + blob


def sz_copy_folders(folders, unpack, packed_each, files, substreams=None, sub_sizes=None):
    """Hand-made 7z header: `folders` Copy folders of `packed_each` packed
    bytes each declaring `unpack` bytes; `substreams` per folder (with
    `sub_sizes` for all but the last of each) and `files` names."""
    h = b"\x01\x04"
    h += b"\x06" + sz_num(0) + sz_num(folders) + b"\x09" + sz_num(packed_each) * folders + b"\x00"
    h += b"\x07\x0b" + sz_num(folders) + b"\x00" + (b"\x01" + b"\x01\x00") * folders
    h += b"\x0c" + sz_num(unpack) * folders + b"\x00"
    if substreams is not None:
        h += b"\x08\x0d" + sz_num(substreams) * folders
        if sub_sizes is not None:
            h += b"\x09" + b"".join(sz_num(x) for x in sub_sizes)
        h += b"\x00"
    h += b"\x00"
    h += b"\x05" + sz_num(files) + sz_names(["f%06d" % i for i in range(files)]) + b"\x00"
    h += b"\x00"
    return sz_archive(b"\0" * (packed_each * folders), h)


def sz_header_bomb(numbers, folders=False):
    """A 7z whose header is LZMA-encoded (kEncodedHeader): a few KB that
    decode to a header declaring `numbers` packed streams of size 1 (the
    header parse reads and keeps every one), or with `folders`, `numbers`
    one-coder Copy folders (4 header bytes each)."""
    import lzma

    if folders:
        plain = (b"\x01\x04\x07\x0b" + sz_num(numbers) + b"\x00" + b"\x01\x01\x00" * numbers
                 + b"\x0c" + b"\x01" * numbers + b"\x00\x00\x00")
    else:
        plain = b"\x01\x04\x06" + sz_num(0) + sz_num(numbers) + b"\x09" + b"\x01" * numbers + b"\x00\x00\x00"
    props = bytes([93]) + p32(1 << 20)
    comp = lzma.compress(plain, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20, "lc": 3, "lp": 0, "pb": 2}])
    h = b"\x17"
    h += b"\x06" + sz_num(0) + sz_num(1) + b"\x09" + sz_num(len(comp)) + b"\x00"
    h += b"\x07\x0b" + sz_num(1) + b"\x00" + b"\x01" + b"\x23\x03\x01\x01" + b"\x05" + props
    h += b"\x0c" + sz_num(len(plain)) + b"\x00"
    h += b"\x00"
    return sz_archive(comp, h)


def sz_header_bomb_coders(folders, coders=64):
    """A 7z whose LZMA-encoded header declares `folders` folders of
    `coders` chained Copy coders each (the most a folder may hold): each
    folder is ~200 header bytes, but the 7z crate keeps every coder and
    bind pair (kilobytes per folder)."""
    import lzma

    one = sz_num(coders) + b"\x01\x00" * coders
    for k in range(coders - 1):
        one += sz_num(k) + sz_num(k + 1)
    plain = b"\x01\x04\x06" + sz_num(0) + sz_num(folders) + b"\x09" + b"\x01" * folders + b"\x00"
    plain += b"\x07\x0b" + sz_num(folders) + b"\x00" + one * folders
    plain += b"\x0c" + b"\x01" * (folders * coders) + b"\x00\x00\x00"
    props = bytes([93]) + p32(1 << 20)
    comp = lzma.compress(plain, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20, "lc": 3, "lp": 0, "pb": 2}])
    h = b"\x17"
    h += b"\x06" + sz_num(0) + sz_num(1) + b"\x09" + sz_num(len(comp)) + b"\x00"
    h += b"\x07\x0b" + sz_num(1) + b"\x00" + b"\x01" + b"\x23\x03\x01\x01" + b"\x05" + props
    h += b"\x0c" + sz_num(len(plain)) + b"\x00"
    h += b"\x00"
    return sz_archive(comp, h)


def msi_same_value(rows, length):
    """Not hand-made: an MSI by msibuild (apt package msitools) whose
    Property table has `rows` rows whose Value is one `length`-byte string
    (the string pool holds it once; each cell naming it was a copy)."""
    import shutil
    import tempfile

    if not shutil.which("msibuild"):
        sys.exit("msibuild is missing: apt-get install msitools")
    with tempfile.TemporaryDirectory() as tmp:
        idt = os.path.join(tmp, "Property.idt")
        with open(idt, "w") as f:
            f.write("Property\tValue\ns72\tl0\nProperty\tProperty\n")
            value = "A" * length
            for i in range(rows):
                f.write(f"P{i}\t{value}\n")
        out = os.path.join(tmp, "same.msi")
        subprocess.run(["msibuild", out, "-s", "same value", "installsift", "x",
                        "{11111111-2222-3333-4444-555555555555}"], check=True)
        subprocess.run(["msibuild", out, "-i", idt], check=True)
        with open(out, "rb") as f:
            return f.read()


def nsis_data(header):
    """NSIS data as makensis lays it out after the exehead (hand-made bytes:
    no tool writes the hostile headers below): the first header (flags 4,
    NO_CRC; `EF BE AD DE NullsoftInst`; header and archive sizes), then the
    header as one non-solid LZMA block (length word with bit 31 set; LZMA
    properties 5D, a 1 MiB dictionary, the raw stream without end marker)."""
    import lzma

    comp = lzma.compress(header, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20, "lc": 3, "lp": 0, "pb": 2}])
    body = p32(len(comp) + 5 | 0x80000000) + bytes([0x5D]) + p32(1 << 20) + comp
    first = p32(4) + b"\xEF\xBE\xAD\xDENullsoftInst" + p32(len(header)) + p32(28 + len(body))
    return first + body


def nsis_header(entries, table, lang_strings=(), common=None):
    """An NSIS 3 (ANSI) header for 32-bit exeheads, as 7-Zip's NsisIn.cpp and
    our script.rs read it: flags, 8 blocks (offset, count), the common header
    (`common`: {offset from byte 68: u32}), `entries` (opcode + 6 params,
    28 bytes each), the string table `table` (starting with a NUL) and one
    language table (US English) whose strings are `lang_strings`."""
    ent_off = 400
    str_off = ent_off + 28 * len(entries)
    lang_off = str_off + len(table)
    lt_size = 10 + 4 * max(1, len(lang_strings))
    h = bytearray(ent_off)
    blocks = [(0, 0), (0, 0), (ent_off, len(entries)), (str_off, 0), (lang_off, 1), (0, 0), (0, 0), (0, 0)]
    for k, (o, n) in enumerate(blocks):
        h[4 + 8 * k:12 + 8 * k] = p32(o) + p32(n)
    h[68 + 32:68 + 36] = p32(lt_size)
    for off, v in (common or {}).items():
        h[68 + off:72 + off] = p32(v)
    for op, params in entries:
        h += p32(op) + b"".join(p32(x) for x in (list(params) + [0] * 6)[:6])
    h += table
    lang = bytearray(p32(0) * 0)
    lang += (1033).to_bytes(2, "little") + bytes(8)
    for v in lang_strings or [0]:
        lang += p32(v)
    h += lang
    return bytes(h)


# NSIS 3 ANSI string codes: 1 language string, 2 shell folder, 3 variable
# (two bytes, 7 bits each, the high bit set so neither is NUL).
NSIS_OUTDIR = b"\x03\x96\x80"  # variable 22, $OUTDIR
NSIS_PLUGINSDIR = b"\x03\x9a\x80"  # variable 26, $PLUGINSDIR
NSIS_LANG0 = b"\x01\x80\x80"  # language string 0


def nsis_createdir_chain(n):
    """`n` CreateDir "$OUTDIR\\a" (EW_CREATEDIR 11, update $OUTDIR): each
    prefix is the one before it plus two characters."""
    table = b"\0" + NSIS_OUTDIR + b"\\a\0"
    return nsis_data(nsis_header([(11, [1, 1])] * n, table))


def nsis_long_names(n, length):
    """`n` File entries (EW_EXTRACTFILE 20) all named by one `length`-byte
    string."""
    table = b"\0" + b"A" * length + b"\0"
    return nsis_data(nsis_header([(20, [0, 1, 0])] * n, table))


def nsis_lang_cube(refs):
    """A branding text (language string 0) made of `refs` references to
    itself: resolved three levels deep, refs^4 pieces."""
    # The $OUTDIR string after it marks the table as NSIS 3 (as 7-Zip tells).
    table = b"\0" + NSIS_LANG0 * refs + b"\0" + NSIS_OUTDIR + b"\0"
    return nsis_data(nsis_header([], table, lang_strings=[1]))


def nsis_plugins(n):
    """`n` File entries named `$PLUGINSDIR\\pNNNNNN.dll`, all different
    (the plugin list was deduplicated by a linear search per file)."""
    table = bytearray(b"\0")
    entries = []
    for i in range(n):
        entries.append((20, [0, len(table), 0]))
        table += NSIS_PLUGINSDIR + b"\\p%06d.dll\0" % i
    return nsis_data(nsis_header(entries, bytes(table)))


CONSTRUCTIONS = [
    ("nsis-createdir-chain", lambda: nsis_createdir_chain(200_000), "hand-made NSIS header: 200,000 CreateDir $OUTDIR\\a, each prefix two characters longer than the last"),
    ("nsis-long-names", lambda: nsis_long_names(60_000, 1 << 20), "hand-made NSIS header: 60,000 File entries named by one 1 MiB string"),
    ("nsis-lang-cube", lambda: nsis_lang_cube(200), "hand-made NSIS header: a branding text of 200 references to itself, resolved three levels deep"),
    ("nsis-plugins", lambda: nsis_plugins(60_000), "hand-made NSIS header: 60,000 distinct $PLUGINSDIR\\*.dll files"),
    # name, builder, what it multiplies
    ("zip-60k-small", lambda: zip_many_small(60_000), "not hostile: 60,000 tiny deflated files (zipfile)"),
    ("7z-60k-blocks", lambda: sevenz_many_blocks(60_000), "not hostile: 60,000 tiny files, one block each (7zz -ms=off)"),
    ("7z-huge-unpack", lambda: sz_copy_folders(60_000, 1 << 40, 1, 60_000, 1), "hand-made header: 60,000 Copy folders of 1 packed byte declaring 1 TiB each"),
    ("7z-substreams", lambda: sz_copy_folders(1, 1 << 20, 1 << 20, 65_000, 65_000, [16] * 64_999), "hand-made header: one 1 MiB Copy folder split in 65,000 substreams"),
    ("7z-substream-count", lambda: sz_copy_folders(1, 1 << 20, 1 << 10, 1, 0xFFFFFFFF), "hand-made header: one folder declaring 2^32 - 1 substreams (no sizes)"),
    ("7z-header-bomb", lambda: sz_header_bomb(20_000_000), "LZMA-encoded header decoding to 20,000,000 packed-stream sizes"),
    ("7z-header-bomb-folders", lambda: sz_header_bomb(4_000_000, folders=True), "LZMA-encoded header decoding to 4,000,000 Copy folders (16 MB)"),
    ("7z-header-bomb-10m", lambda: sz_header_bomb(10_000_000), "LZMA-encoded header decoding to 10,000,000 packed-stream sizes (10 MB, under max_toc_size: the count is what stops it)"),
    ("7z-header-bomb-coders", lambda: sz_header_bomb_coders(40_000), "LZMA-encoded header declaring 40,000 folders of 64 chained Copy coders (12.8 MB decoded, under max_toc_size and max_entries_per_container)"),
    ("7z-header-bomb-60m", lambda: sz_header_bomb(60_000_000), "LZMA-encoded header decoding to 60,000,000 packed-stream sizes (60 MB, under the 64 MiB header bound)"),
    ("msi-rows-one-value", lambda: msi_same_value(20_000, 65_000), "msibuild: 20,000 Property rows whose Value is one 65,000-byte string"),
    ("zip-same-offset", lambda: zip_same_offset(60_000, 1 << 20), "60,000 central records naming one local header (1 MiB of zeros)"),
    ("zip-fifield", lambda: zip_fifield(1_000, 1 << 20), "Fifield's overlapping files: 1,000 files quoting each other over one 1 MiB kernel"),
    ("cab-files-one-range", lambda: cab_shared(1, 65_000, 32), "65,000 files naming one 1 MiB range of one folder"),
    ("cab-files-overlapping", lambda: cab_shared(1, 65_000, 32, same_range=False), "65,000 files at offsets 0..999 of one 1 MiB folder"),
    ("cab-folders-one-run", lambda: cab_shared(65_000, 65_000, 32), "65,000 folders naming one run of 32 CFDATA blocks (1 MiB), a file each"),
    ("cab-folders-headers", lambda: cab_shared(65_000, 65_000, 1), "65,000 folders x 65,000 files (folder membership)"),
    ("cfb-streams-one-chain", lambda: cfb_shared_chain(10_000, 2_048), "10,000 streams naming one chain of 2,048 sectors (1 MiB, not contiguous)"),
    ("cfb-streams-one-run", lambda: cfb_shared_chain(10_000, 2_048, reverse=False), "10,000 streams naming one contiguous run of 1 MiB"),
    ("installshield-one-range", installshield_shared_range, "28 InstallShield file descriptors naming one 426 KB file's stored range (from a real set)"),
    ("pe-export-names", lambda: pe_export_names(100_000, 600_000), "100,000 export name pointers at one 600 KB name"),
    ("pe-export-counts", pe_export_counts, "NumberOfFunctions = NumberOfNames = 2^32 - 16"),
    ("pe-import-names", lambda: pe_import_names(65_000, 500_000), "65,000 name thunks at one 500 KB hint/name entry"),
    ("pe-import-dll-names", lambda: pe_import_dll_names(30_000, 400_000), "30,000 descriptors naming one 400 KB DLL name"),
    ("pe-relocs", lambda: pe_relocs(256), "256 relocation blocks of 2,044 entries (1 MiB)"),
    ("pe-certs", lambda: pe_certs(65_000), "65,000 WIN_CERTIFICATE records"),
    ("pe-certs-der", lambda: pe_certs_big_blob(8_000), "8,000 WIN_CERTIFICATE records of nested DER"),
]


def main():
    out = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else None
    only = sys.argv[3].split(",") if len(sys.argv) > 3 else None
    os.makedirs(out, exist_ok=True)
    rows = []
    for name, build, what in CONSTRUCTIONS:
        if only and name not in only:
            continue
        path = os.path.join(out, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(build())
        size = os.path.getsize(path)
        if not binary:
            print(f"{name}\t{size}")
            continue
        try:
            r = subprocess.run(
                ["/usr/bin/time", "-f", "%e s (%U+%S cpu) %M KB", "timeout", "120", binary, "scan", "--progress", "never", "--format", "jsonl", path],
                capture_output=True,
            )
        except OSError as e:
            sys.exit(f"cannot run {binary}: {e}")
        timing = (r.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        if r.returncode == 124:
            timing = "> 120 s (killed) " + timing
        errors = {}
        for line in r.stdout.decode(errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            for e in rec.get("errors", []) or []:
                parts = str(e).split(": ")
                key = ": ".join(parts[:2]) if parts[0] == "limit-exceeded" else parts[0]
                errors[key] = errors.get(key, 0) + 1
        errs = ", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) or "none"
        rows.append((name, what, size, timing, r.returncode, errs))
        print(f"| {name} | {what} | {size:,} | {timing} | {r.returncode} | {errs} |", flush=True)


if __name__ == "__main__":
    main()
