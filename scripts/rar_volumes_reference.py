#!/usr/bin/env python3
"""RAR volume sets: libarchive, reading every volume of a set as one
archive (`archive_read_open_filenames`, what bsdtar's library offers for
multi-volume RAR; the bsdtar command itself takes one file), against
installsift scanning the set's first volume (the set's other volumes lie
beside it).

For each set under corpus/rar_volumes/ (files `NAME.partN.rar`, or in the
old numbering `NAME.rar`, `NAME.r00` ...), every file
libarchive writes must be a child of our first volume's node with the same
name, size and SHA-256, and we list nothing libarchive does not. The other
volumes, scanned alone, must list nothing (their first volume lies beside
them). Prints one line per set and exits 1 on any disagreement.

Needs libarchive (Debian: libarchive13, installed with libarchive-tools)
and a release build (cargo build --release).

With --write, also writes each set's listing as
corpus/reference/rar_volumes__<first volume>.bsdtar.tsv (`path\tsize\tsha256`,
sorted), which crates/cli/tests/it/reference.rs compares with the scan of
the first volume on every `cargo test`.

Usage: scripts/rar_volumes_reference.py [--bin target/release/installsift] [--write]
"""

import argparse
import collections
import ctypes
import ctypes.util
import glob
import hashlib
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETS = os.path.join(ROOT, "corpus", "rar_volumes")


def libarchive():
    name = ctypes.util.find_library("archive") or "libarchive.so.13"
    lib = ctypes.CDLL(name)
    lib.archive_read_new.restype = ctypes.c_void_p
    lib.archive_read_support_format_all.argtypes = [ctypes.c_void_p]
    lib.archive_read_support_filter_all.argtypes = [ctypes.c_void_p]
    lib.archive_read_open_filenames.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t]
    lib.archive_read_next_header.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.archive_entry_pathname_utf8.argtypes = [ctypes.c_void_p]
    lib.archive_entry_pathname_utf8.restype = ctypes.c_char_p
    lib.archive_entry_filetype.argtypes = [ctypes.c_void_p]
    lib.archive_read_data.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    lib.archive_read_data.restype = ctypes.c_ssize_t
    lib.archive_error_string.argtypes = [ctypes.c_void_p]
    lib.archive_error_string.restype = ctypes.c_char_p
    lib.archive_read_free.argtypes = [ctypes.c_void_p]
    return lib


def reference(lib, volumes):
    """{name: (size, sha256)} of the regular files libarchive reads."""
    a = lib.archive_read_new()
    lib.archive_read_support_format_all(a)
    lib.archive_read_support_filter_all(a)
    names = (ctypes.c_char_p * (len(volumes) + 1))(*[v.encode() for v in volumes], None)
    if lib.archive_read_open_filenames(a, names, 10240) != 0:
        raise RuntimeError(lib.archive_error_string(a))
    out = {}
    entry = ctypes.c_void_p()
    buf = ctypes.create_string_buffer(1 << 16)
    while True:
        r = lib.archive_read_next_header(a, ctypes.byref(entry))
        if r == 1:  # ARCHIVE_EOF
            break
        if r < -20:
            raise RuntimeError(lib.archive_error_string(a))
        name = lib.archive_entry_pathname_utf8(entry).decode()
        if lib.archive_entry_filetype(entry) != 0o100000:
            continue
        h, size = hashlib.sha256(), 0
        while True:
            n = lib.archive_read_data(a, buf, len(buf))
            if n < 0:
                raise RuntimeError(f"{name}: {lib.archive_error_string(a)}")
            if n == 0:
                break
            h.update(buf.raw[:n])
            size += n
        out[name.replace("\\", "/")] = (size, h.hexdigest())
    lib.archive_read_free(a)
    return out


def ours(binary, path):
    doc = json.loads(subprocess.run([binary, "scan", "-f", "json", path], check=True,
                                    capture_output=True, text=True).stdout)
    return doc[0]["root"]


def children(root):
    out = {}
    for c in root.get("children", []):
        name = c["path"][-1]
        out[name] = (c["size"], c.get("sha256"), c.get("errors", []))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "installsift"))
    ap.add_argument("--write", action="store_true", help="write the reference listings")
    args = ap.parse_args()
    lib = libarchive()
    sets = collections.defaultdict(list)
    for f in glob.glob(os.path.join(SETS, "*")):
        base = os.path.basename(f)
        m = re.match(r"(.*)\.part(\d+)\.rar$", base)
        if m:
            sets[m.group(1)].append((int(m.group(2)), f))
            continue
        # The old numbering: NAME.rar, NAME.r00, NAME.r01 ...
        m = re.match(r"(.*)\.(rar|r(\d\d))$", base)
        if m:
            sets[m.group(1)].append((-1 if m.group(2) == "rar" else int(m.group(3)), f))
    bad = 0
    for name in sorted(sets):
        volumes = [f for _, f in sorted(sets[name])]
        want = reference(lib, volumes)
        if args.write:
            out = os.path.join(ROOT, "corpus", "reference",
                               f"rar_volumes__{os.path.basename(volumes[0])}.bsdtar.tsv")
            rows = sorted(f"{n}\t{size}\t{sha}" for n, (size, sha) in want.items())
            with open(out, "w", encoding="utf-8") as fh:
                fh.write("".join(r + "\n" for r in sorted(rows, key=lambda r: r.encode())))
        root = ours(args.bin, volumes[0])
        got = children(root)
        problems = []
        for n, (size, sha) in sorted(want.items()):
            g = got.get(n)
            if g is None:
                problems.append(f"{n}: not listed")
            elif (g[0], g[1]) != (size, sha):
                problems.append(f"{n}: ours {g[0]} {g[1]} {g[2]}, libarchive {size} {sha}")
        for n in sorted(set(got) - set(want)):
            problems.append(f"{n}: listed by us only")
        if root.get("errors"):
            problems.append(f"errors on the first volume: {root['errors']}")
        for v in volumes[1:]:
            later = ours(args.bin, v)
            if later.get("children"):
                problems.append(f"{os.path.basename(v)} alone lists {len(later['children'])} files")
        status = "OK" if not problems else "DIFFERS"
        print(f"{status}  {name}: {len(volumes)} volumes, {len(want)} files = libarchive"
              if not problems else f"{status}  {name}: " + "; ".join(problems))
        bad += bool(problems)
    if not sets:
        print("no sets found under", SETS)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
