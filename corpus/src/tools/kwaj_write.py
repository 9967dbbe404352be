#!/usr/bin/env python3
"""Our own KWAJ writer, for test samples only (no KWAJ compressor exists on
Debian or PyPI: libmspack's kwajc.c is a stub). Listings of what it writes come
from libmspack's decoder (pylibmspack), never from installsift.

    kwaj_write.py METHOD INPUT OUTPUT [--name N] [--ext E] [--length] [--text T]

METHOD: 0 stored, 1 XOR 0xFF, 2 LZSS (QBasic SZDD variant: writes from window
position 4096-18, 4096-byte window of spaces, control bits low first, 1 =
literal, 0 = match of 12-bit absolute position + 4-bit length-3), 4 MS-ZIP
(u16 length, "CK", raw deflate of <= 32 KiB with the previous 32 KiB as
dictionary; a zero length ends). Header flags: bit 0 length, bit 3 name, bit 4
extension, bit 5 text. SPDX-License-Identifier: MIT OR Apache-2.0
"""
import argparse
import struct
import zlib


def lzss(data, start=4096 - 18):
    out = bytearray()
    i, n = 0, len(data)
    heads = {}
    while i < n:
        ctrl_at = len(out)
        out.append(0)
        ctrl = 0
        for bit in range(8):
            if i >= n:
                break
            best_len, best_d = 0, 0
            key = data[i:i + 3]
            for p in reversed(heads.get(key, [])[-64:]):
                d = i - p
                if d > 4096 - 18:
                    break
                ln = 0
                while ln < 18 and i + ln < n and data[i + ln] == data[i + ln - d]:
                    ln += 1
                if ln > best_len:
                    best_len, best_d = ln, d
            if best_len >= 3:
                pos = (start + i - best_d) % 4096
                out += bytes([pos & 0xFF, ((pos >> 4) & 0xF0) | (best_len - 3)])
                step = best_len
            else:
                ctrl |= 1 << bit
                out.append(data[i])
                step = 1
            for k in range(i, i + step):
                heads.setdefault(data[k:k + 3], []).append(k)
            i += step
        out[ctrl_at] = ctrl
    return bytes(out)


def mszip(data):
    out = bytearray()
    for at in range(0, len(data), 32768):
        dic = data[max(0, at - 32768):at]
        c = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=dic) if dic else zlib.compressobj(9, zlib.DEFLATED, -15)
        body = b"CK" + c.compress(data[at:at + 32768]) + c.flush()
        out += struct.pack("<H", len(body)) + body
    return bytes(out + b"\0\0")


def main():
    a = argparse.ArgumentParser()
    a.add_argument("method", type=int)
    a.add_argument("input")
    a.add_argument("output")
    a.add_argument("--name")
    a.add_argument("--ext")
    a.add_argument("--length", action="store_true")
    a.add_argument("--text")
    o = a.parse_args()
    data = open(o.input, "rb").read()
    body = {0: lambda d: d, 1: lambda d: bytes(b ^ 0xFF for b in d), 2: lzss, 4: mszip}[o.method](data)
    flags, ext = 0, b""
    if o.length:
        flags |= 1
        ext += struct.pack("<I", len(data))
    if o.name is not None:
        flags |= 8
        ext += o.name.encode() + b"\0"
    if o.ext is not None:
        flags |= 16
        ext += o.ext.encode() + b"\0"
    if o.text is not None:
        flags |= 32
        ext += struct.pack("<H", len(o.text)) + o.text.encode()
    head = b"KWAJ\x88\xf0\x27\xd1" + struct.pack("<HHH", o.method, 14 + len(ext), flags)
    open(o.output, "wb").write(head + ext + body)


if __name__ == "__main__":
    main()
