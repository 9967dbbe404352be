#!/usr/bin/env python3
"""Hand-built hostile samples (the corpus's malformed cases; everything else is
made by real tools). Deterministic: fixed timestamps, no randomness.

Usage: make_traps.py OUTDIR
  traversal.zip  stored zip whose entry names try to escape an extraction
                 directory: ../, absolute, drive letter, backslashes, NUL,
                 Windows device name, and a 65,535-byte name.
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


def main():
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
