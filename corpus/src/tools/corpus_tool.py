#!/usr/bin/env python3
# installsift test corpus: small deterministic helpers used by corpus/build.sh.
# Standard library only.  SPDX-License-Identifier: MIT OR Apache-2.0
#
#   prng SEED N OUT            N pseudo-random bytes: SHA-256(SEED || counter_le64) blocks
#   hexlines SEED N OUT        N bytes of text: lines of 64 lowercase hex digits of the prng
#                              stream (low-compressibility text, LZMA ~2x), newline-terminated
#   trunc IN OUT PERCENT       first floor(size*PERCENT/100) bytes of IN
#   corrupt-zip IN OUT         flip one bit inside the first entry's deflate data so the
#                              stream still inflates to the right length but the CRC-32 fails
#   corrupt-cab IN OUT         flip bits inside the first CFDATA block's MSZIP data so the
#                              block checksum fails and the deflate stream no longer decodes
#   pe-layout FILE...          TSV: file, sections_end, size, overlay_off, overlay_len,
#                              cert_off, cert_len, overlay_magic
import hashlib
import struct
import sys
import zlib


def prng(seed, n, out):
    buf = bytearray()
    ctr = 0
    while len(buf) < n:
        buf += hashlib.sha256(seed.encode() + struct.pack("<Q", ctr)).digest()
        ctr += 1
    data = bytes(buf[:n])
    for magic in (b"PK\x03\x04", b"PK\x05\x06", b"7z\xbc\xaf\x27\x1c", b"MSCF",
                  b"\xd0\xcf\x11\xe0", b"MZ", b"Rar!"):
        if magic in data:
            sys.exit(f"prng: seed {seed!r} happens to contain magic {magic!r}; pick another seed")
    open(out, "wb").write(data)


def hexlines(seed, n, out):
    hexed = bytearray()
    ctr = 0
    while len(hexed) < n:
        for _ in range(1024):
            hexed += hashlib.sha256(seed.encode() + struct.pack("<Q", ctr)).hexdigest().encode() + b"\n"
            ctr += 1
    open(out, "wb").write(bytes(hexed[:n - 1]) + b"\n")


def trunc(src, out, percent):
    data = open(src, "rb").read()
    open(out, "wb").write(data[: len(data) * int(percent) // 100])


def _search_order(lo, hi):
    """positions from the middle of [lo, hi) outwards (deterministic)."""
    mid = (lo + hi) // 2
    for d in range(0, hi - lo):
        for p in (mid + d, mid - d - 1):
            if lo <= p < hi:
                yield p


def corrupt_zip(src, out):
    data = bytearray(open(src, "rb").read())
    sig, _ver, _flag, method, _t, _d, crc, csize, usize, nlen, xlen = struct.unpack_from(
        "<IHHHHHIIIHH", data, 0)
    assert sig == 0x04034B50 and method == 8, "first entry must be a deflated local header"
    start = 30 + nlen + xlen
    name = bytes(data[30:30 + nlen]).decode()
    for pos in _search_order(start, start + csize):
        for bit in range(8):
            trial = bytearray(data[start:start + csize])
            trial[pos - start] ^= 1 << bit
            try:
                d = zlib.decompressobj(-15)
                outb = d.decompress(bytes(trial)) + d.flush()
            except zlib.error:
                continue
            if d.eof and len(outb) == usize and zlib.crc32(outb) != crc:
                data[pos] ^= 1 << bit
                open(out, "wb").write(data)
                print(f"corrupt-zip: entry {name!r}: data at {start}..{start + csize}, "
                      f"flipped bit {bit} of byte {pos} (0x{pos:x}); inflates to {usize} bytes, "
                      f"CRC-32 0x{zlib.crc32(outb):08x} != stored 0x{crc:08x}")
                return
    sys.exit("corrupt-zip: no suitable bit flip found")


def corrupt_cab(src, out):
    data = bytearray(open(src, "rb").read())
    assert data[:4] == b"MSCF"
    flags = struct.unpack_from("<H", data, 30)[0]
    off = 36
    if flags & 4:  # cfhdrRESERVE_PRESENT
        cb_hdr, cb_folder, cb_data = struct.unpack_from("<HBB", data, off)
        off += 4 + cb_hdr
    else:
        cb_folder = cb_data = 0
    coff_data, n_data, comp = struct.unpack_from("<IHH", data, off)
    assert comp & 0xF == 1, "first folder must be MSZIP"
    csum, cb, ucb = struct.unpack_from("<IHH", data, coff_data)
    start = coff_data + 8 + cb_data
    assert data[start:start + 2] == b"CK"
    lo, hi = start + 2, start + cb
    for pos in _search_order(lo, hi):
        trial = bytearray(data[lo:hi])
        trial[pos - lo] ^= 0xFF
        try:
            d = zlib.decompressobj(-15)
            outb = d.decompress(bytes(trial)) + d.flush()
            ok = d.eof and len(outb) == ucb
        except zlib.error:
            ok = False
        if not ok:
            data[pos] ^= 0xFF
            open(out, "wb").write(data)
            print(f"corrupt-cab: CFDATA #0 at {coff_data} (csum 0x{csum:08x}, cbData {cb}, "
                  f"cbUncomp {ucb}); inverted byte {pos} (0x{pos:x}) -> checksum mismatch and "
                  f"undecodable MSZIP block")
            return
    sys.exit("corrupt-cab: no suitable byte found")


def pe_layout(path):
    data = open(path, "rb").read()
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    assert data[pe:pe + 4] == b"PE\0\0"
    nsec, = struct.unpack_from("<H", data, pe + 6)
    optsz, = struct.unpack_from("<H", data, pe + 20)
    opt = pe + 24
    magic, = struct.unpack_from("<H", data, opt)
    ddir = opt + (112 if magic == 0x20B else 96)
    cert_off, cert_len = struct.unpack_from("<II", data, ddir + 4 * 8)
    sec = opt + optsz
    end = 0
    for i in range(nsec):
        raw_size, raw_ptr = struct.unpack_from("<II", data, sec + 40 * i + 16)
        if raw_size:
            end = max(end, raw_ptr + raw_size)
    ov_end = cert_off if cert_len and cert_off >= end else len(data)
    ov_len = max(0, ov_end - end)
    if cert_len and cert_off + cert_len < len(data):
        # data after the certificate table is overlay too; report the region after it
        ov_after = len(data) - (cert_off + cert_len)
    else:
        ov_after = 0
    magic_bytes = data[end:end + 8].hex() if ov_len else ""
    if ov_after:
        magic_bytes += ("|" if magic_bytes else "") + "after_cert:" + data[cert_off + cert_len:cert_off + cert_len + 8].hex()
    return [path, end, len(data), end if ov_len else "", ov_len, cert_off or "", cert_len or "", magic_bytes, ov_after]


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "prng":
        prng(args[0], int(args[1]), args[2])
    elif cmd == "hexlines":
        hexlines(args[0], int(args[1]), args[2])
    elif cmd == "trunc":
        trunc(*args)
    elif cmd == "corrupt-zip":
        corrupt_zip(*args)
    elif cmd == "corrupt-cab":
        corrupt_cab(*args)
    elif cmd == "pe-layout":
        print("file\tsections_end\tfile_size\toverlay_offset\toverlay_len_before_cert\t"
              "cert_table_offset\tcert_table_len\tfirst_overlay_bytes_hex\tbytes_after_cert")
        for p in args:
            print("\t".join(str(x) for x in pe_layout(p)))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
