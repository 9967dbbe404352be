#!/usr/bin/env python3
"""Mutation sweep over the NSIS, Inno Setup and InstallShield samples of the corpus.

Every mutant (a truncation, a bit flip, or a size/count field overwritten) is
scanned and compared with the scan of the intact sample. A baseline node that
the mutant lost (missing, or without content), whose decoded bytes changed, or
whose format fell back to `unknown` must carry an error, on itself or on an
ancestor that is still there. One that does not is a *silent loss*: the bug
class of issue 14 ("damage reported as nothing").

Not counted as losses: a node renamed (the same bytes under another name, at
the same parent: an unchecked name table was hit), and nodes whose bytes are a
borrowed region of the input (overlay, stored record) that changed because the
mutation changed them (those are the bytes that are there).

    scripts/installer_mutations.py BINARY [--seed N] [--per-sample N] [--out FILE]
                                          [--extra SETUP.exe ...]

`--extra` adds installers from outside the corpus (e.g. the real Inno 4.0.9 and
5.2.3 setups in /work/samples/inno, which may not be committed).

Deterministic for a seed. Standard library only.
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = [
    "nsis/zlib.exe", "nsis/zlib_solid.exe", "nsis/bzip2.exe", "nsis/bzip2_solid.exe",
    "nsis/lzma.exe", "nsis/lzma_solid.exe", "nsis/ansi_lzma_solid.exe", "nsis/amd64_zlib.exe",
    "nsis/carrier.exe", "nsis/signed_zlib.exe", "nsis/nofiles.exe",
    "inno/inno5_bzip2_solid.exe", "inno/inno5_lzma_nonsolid.exe", "inno/inno5_zlib_password.exe",
    "inno/inno60_bzip2.exe", "inno/inno60_stored_admin.exe", "inno/inno64_lzma2_solid.exe",
    "inno/inno6_encrypted.exe", "inno/inno6_zlib_admin_x64.exe", "inno/inno_lzma2.exe",
    "inno/inno556_zip_solid.exe", "inno/inno559_bzip_x86.exe", "inno/inno620_lzma2_x86.exe",
    "installshield/clam_IScab_int.exe", "installshield/clam_IScab_ext.exe",
    "installshield/clam_ISmsi_int.exe", "installshield/clam_ISmsi_ext.exe",
]
NSIS_SIG = b"\xef\xbe\xad\xdeNullsoftInst"


def scan(binary, paths):
    """JSONL nodes of each path, by input path."""
    out = subprocess.run([binary, "scan", "-f", "jsonl", "-j", "2", *paths],
                         capture_output=True, text=True, check=False).stdout
    by = {}
    for line in out.splitlines():
        n = json.loads(line)
        by.setdefault(n["path"][0], []).append(n)
    return by


def overlay_start(nodes):
    meta = nodes[0].get("metadata") or {}
    ov = meta.get("overlay")
    return ov["offset"] if ov else 0


def fields(data, ov):
    """(offset, width, what) of size and count fields worth overwriting."""
    out = []
    k = data.find(NSIS_SIG)
    if k >= 4:
        at = k - 4
        out += [(at, 4, "nsis flags"), (at + 20, 4, "nsis header size"), (at + 24, 4, "nsis archive size"),
                (at + 28, 4, "nsis first block word")]
    k = data.rfind(b"Inno Setup Setup Data (")
    if k >= 0:
        out += [(k + 64, 4, "inno block crc"), (k + 68, 4, "inno block size")]
        out += [(ov, 4, "inno chunk magic")]
    k = data.find(b"InstallShield\0", ov)
    if k >= 0:
        out += [(k + 14, 2, "installshield count"), (k + 46 + 268, 4, "installshield record size")]
    if data[ov:ov + 5] == b"data1" or b"Disk1\\" in data[ov:ov + 64]:
        # plain records: the first record's size string
        parts = data[ov:ov + 2048].split(b"\0")
        if len(parts) > 4:
            at = ov + sum(len(p) + 1 for p in parts[:3])
            out += [(at, 1, "installshield plain size digit")]
    k = data.find(b"ISc(", ov)
    if k >= 0:
        out += [(k + 12, 4, "isc descriptor offset"), (k + 16, 4, "isc descriptor size"),
                (k + 20 + 8, 4, "isc volume first index")]
    return out


def signatures(data, ov):
    """Byte ranges that are a format's own signature: a mutant that cuts or
    changes one is reported apart ("signature destroyed"), as issue 14 allows."""
    out = []
    k = data.find(NSIS_SIG)
    if k >= 0:
        out.append((k, k + len(NSIS_SIG)))
    if data[ov:ov + 4] == b"zlb\x1a":
        out.append((ov, ov + 4))
    k = data.rfind(b"Inno Setup Setup Data (")
    if k >= 0:
        out.append((k, k + 64))
    k = data.find(b"InstallShield\0", ov)
    if k >= 0:
        out.append((k, k + 14))
    k = data.find(b"ISc(", ov)
    while k >= 0:
        out.append((k, k + 4))
        k = data.find(b"ISc(", k + 4)
    parts = data[ov:ov + 2048].split(b"\0")
    if len(parts) > 4 and b"Disk1\\" in parts[1]:
        # the first plain record's four strings identify the layout
        out.append((ov, ov + sum(len(p) + 1 for p in parts[:4])))
    return out


def exempt(desc, sigs):
    """Whether mutation `desc` cut or hit a signature."""
    words = desc.split()
    at = int(words[-1] if desc.startswith(("truncate", "flip")) else words[-3])
    if desc.startswith("truncate"):
        first = min((a for a, _ in sigs), default=None)
        return any(a < at < b for a, b in sigs) or (first is not None and at <= first) or \
            any(at <= a for a, _ in sigs[:1])
    return any(a <= at < b for a, b in sigs)


def mutants(data, ov, rng, per):
    """(description, bytes) pairs: truncations, bit flips, overwritten fields."""
    n = len(data)
    span = max(1, n - ov)
    out = []
    for i in range(per // 3):
        cut = ov + (span * (i + 1)) // (per // 3 + 1)
        out.append((f"truncate at {cut}", data[:cut]))
    for cut in (ov + 4, ov + 64, ov + 512):
        if cut < n:
            out.append((f"truncate at {cut}", data[:cut]))
    for _ in range(per // 3):
        m = bytearray(data)
        pos = rng.randrange(ov, n) if rng.random() < 0.8 else rng.randrange(ov, min(n, ov + 4096))
        m[pos] ^= 1 << rng.randrange(8)
        out.append((f"flip bit at {pos}", bytes(m)))
    for at, width, what in fields(data, ov):
        for val in (0, 0xFFFFFFFF, 0x7FFFFFFF, 1):
            m = bytearray(data)
            if at + width > n:
                continue
            m[at:at + width] = struct.pack("<I", val & 0xFFFFFFFF)[:width]
            if width == 1:
                m[at] = ord("9")
            out.append((f"overwrite {what} at {at} with {val:#x}", bytes(m)))
    return out


def key(n):
    return tuple(n["path"][1:])


def decoded(n):
    e = n.get("entry") or {}
    return e.get("kind") == "file" and e.get("method") not in (None, "stored")


def losses(base, mut):
    """Silent losses of `mut` against `base` (lists of JSONL nodes)."""
    have = {key(n): n for n in mut}
    errs = {key(n): bool(n["errors"]) for n in mut}
    shas = {}
    for n in mut:
        shas.setdefault(key(n)[:-1], set()).add(n.get("sha256"))

    def covered(k):
        # an error on the node or on any ancestor still present
        while True:
            if errs.get(k):
                return True
            if not k:
                return False
            k = k[:-1]

    found = []
    for b in base[1:]:
        k = key(b)
        m = have.get(k)
        if m is None:
            if b.get("sha256") in shas.get(k[:-1], set()):
                continue  # renamed: same bytes, another name
            why = "missing"
        elif m.get("sha256") is None and b.get("sha256") is not None:
            why = "no content"
        elif m.get("sha256") != b.get("sha256") and decoded(b):
            why = "decoded bytes changed"
        elif m["format"] == "unknown" and b["format"] != "unknown":
            why = f"format {b['format']} lost"
        else:
            continue
        if not covered(k):
            found.append((why, "/".join(k)))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--per-sample", type=int, default=60)
    ap.add_argument("--out")
    ap.add_argument("--extra", nargs="*", default=[])
    a = ap.parse_args()
    rng = random.Random(a.seed)
    tried = silent = exempted = 0
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for rel in SAMPLES + a.extra:
            path = os.path.join(ROOT, "corpus", rel) if rel in SAMPLES else os.path.abspath(rel)
            data = open(path, "rb").read()
            base = scan(a.binary, [path])[path]
            ov = overlay_start(base)
            ms = mutants(data, ov, rng, a.per_sample)
            paths = []
            for i, (_, b) in enumerate(ms):
                p = os.path.join(tmp, f"{i:04d}.exe")
                open(p, "wb").write(b)
                paths.append(p)
            got = scan(a.binary, paths)
            sigs = signatures(data, ov)
            per = 0
            for (desc, _), p in zip(ms, paths):
                tried += 1
                lost = losses(base, got.get(p, []))
                if lost and exempt(desc, sigs):
                    exempted += 1
                    lines.append(f"  [signature destroyed] {rel}: {desc}: {len(lost)} lost: " +
                                 "; ".join(f"{w} `{n}`" for w, n in lost[:3]))
                elif lost:
                    silent += 1
                    per += 1
                    lines.append(f"  {rel}: {desc}: {len(lost)} silent: " +
                                 "; ".join(f"{w} `{n}`" for w, n in lost[:3]))
            print(f"{rel}: {len(ms)} mutants, {per} with a silent loss", file=sys.stderr)
            for p in paths:
                os.remove(p)
    summary = (f"mutants tried: {tried}\n"
               f"mutants with a silent loss: {silent}\n"
               f"mutants that lost nodes silently after destroying a format signature: {exempted}\n")
    text = summary + "\n".join(lines) + "\n"
    if a.out:
        open(a.out, "w").write(text)
    print(summary, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
