#!/usr/bin/env python3
"""Mutation sweep: damage every corpus sample in many deterministic ways and
report every node that lost children or bytes with no error saying so.

For each sample under corpus/ (reference listings, sources and docs left out)
the sweep makes mutants (seeded by the sample's path, so a run is repeatable):

  trunc   the file cut at fixed fractions and a few seeded points
  flip    one bit flipped at a seeded offset (more of them near the start and
          the end, where headers and directories live)
  field   a 2/4/8-byte field overwritten (0, all ones, half, double, +1):
          the size/count/offset fields of the container formats at their
          documented offsets, plus seeded aligned places
  dup     a seeded block of the file copied over another place, or inserted

Each mutant is scanned (`installsift scan -f jsonl`) and compared with the
original's scan, node by node (same path):

  lost-children  the node has fewer children than in the original
  lost-bytes     a child kept its name but lost its hash or got smaller
  lost-format    the node was a container and is now `unknown`

A finding counts only when neither the node nor any ancestor carries an
error. It is excused ("signature") when the mutation touched the bytes the
format's signature lies in (its magic at the node's start, for a node whose
place in the file is known: the root and overlay/carved/resource regions),
and ("undeclared") when a cut shortened a region of no known format (a PE
overlay nothing describes): no field says how long it was, so no reader can
tell; its hash is of what is there.

Usage: scripts/mutation_sweep.py [--bin target/release/installsift]
       [--only SUBSTR] [--per-kind N] [--out scripts/results/mutation_sweep.txt]

Writes the counts and every finding to --out (and a summary to stdout).
"""

import argparse
import collections
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_DIRS = {"reference", "src"}
SKIP_EXT = {".md", ".sh", ".tsv", ".py", ".txt"}
# Formats we own here (the rest are listed for their owners).
OURS = {"7z", "zip", "cab", "xar", "rar"}
BORROWED = {"overlay", "carved", "resource"}
STORED_FILES = {"iso", "udf", "tar", "cpio"}
# Bytes at a node's start that make its signature.
SIGNATURE = {
    "7z": 8,
    "zip": 4,
    "cab": 8,
    "xar": 8,  # magic, header size, version: the sniff needs one of the last two
    "rar": 8,  # RAR 4: 7 bytes; RAR 5: 8 ("Rar!\x1a\x07\x01\x00")
    "cfb": 8,
    "msi": 8,
    "msp": 8,
    "msm": 8,
    "mst": 8,
    "pe": 2,
    "dmg": 512,  # the trailer, at the end (see compare)
    "nsis": 20,  # flags, then EF BE AD DE "NullsoftInst" at 4..20
}


def samples(only):
    out = []
    for d, dirs, files in os.walk(os.path.join(ROOT, "corpus")):
        rel = os.path.relpath(d, os.path.join(ROOT, "corpus"))
        if rel.split(os.sep)[0] in SKIP_DIRS:
            continue
        for f in files:
            p = os.path.join(d, f)
            if os.path.splitext(f)[1] in SKIP_EXT or f.startswith("."):
                continue
            r = os.path.relpath(p, os.path.join(ROOT, "corpus"))
            if only and only not in r:
                continue
            if os.path.getsize(p) == 0:
                continue
            out.append(r)
    return sorted(out)


def u16(d, at):
    return struct.unpack_from("<H", d, at)[0] if 0 <= at and at + 2 <= len(d) else None


def u32(d, at):
    return struct.unpack_from("<I", d, at)[0] if 0 <= at and at + 4 <= len(d) else None


def known_fields(d):
    """(offset, width, what) of the size/count/offset fields of the container
    that starts `d` (or is found in it), at their documented offsets."""
    f = []
    # 7z start header: next header offset, size, CRC.
    for at in find_all(d, b"7z\xbc\xaf\x27\x1c")[:2]:
        f += [(at + 12, 8, "7z next-header offset"), (at + 20, 8, "7z next-header size"),
              (at + 28, 4, "7z next-header crc")]
    # zip end record and the first central and local headers.
    eocd = d.rfind(b"PK\x05\x06")
    if eocd >= 0:
        f += [(eocd + 8, 2, "zip eocd entries on disk"), (eocd + 10, 2, "zip eocd entries"),
              (eocd + 12, 4, "zip eocd cd size"), (eocd + 16, 4, "zip eocd cd offset")]
    cd = d.find(b"PK\x01\x02")
    if cd >= 0:
        f += [(cd + 20, 4, "zip cd compressed size"), (cd + 24, 4, "zip cd size"),
              (cd + 28, 2, "zip cd name length"), (cd + 42, 4, "zip cd local offset")]
    lh = d.find(b"PK\x03\x04")
    if lh >= 0:
        f += [(lh + 18, 4, "zip local compressed size"), (lh + 22, 4, "zip local size"),
              (lh + 26, 2, "zip local name length")]
    # cab header, first CFFOLDER and CFFILE.
    for at in find_all(d, b"MSCF\0\0\0\0")[:2]:
        f += [(at + 8, 4, "cab cbCabinet"), (at + 16, 4, "cab coffFiles"),
              (at + 26, 2, "cab cFolders"), (at + 28, 2, "cab cFiles"),
              (at + 36, 4, "cab folder coffCabStart"), (at + 40, 2, "cab folder cCFData")]
        cf = u32(d, at + 16)
        if cf is not None:
            f += [(at + cf, 4, "cab file cbFile"), (at + cf + 4, 4, "cab file uoffFolderStart"),
                  (at + cf + 8, 2, "cab file iFolder")]
        first = u32(d, at + 36)
        if first is not None:
            f += [(at + first + 4, 2, "cab cfdata cbData"), (at + first + 6, 2, "cab cfdata cbUncomp")]
    # xar header: header size, TOC lengths.
    for at in find_all(d, b"xar!")[:1]:
        f += [(at + 4, 2, "xar header size"), (at + 8, 8, "xar toc compressed length"),
              (at + 16, 8, "xar toc length")]
    # PE: e_lfanew, number of sections.
    if d[:2] == b"MZ":
        pe = u32(d, 0x3C)
        f += [(0x3C, 4, "pe e_lfanew")]
        if pe is not None:
            f += [(pe + 6, 2, "pe section count"), (pe + 20, 2, "pe optional header size")]
    # CFB header: sector shift, FAT sector count, first directory sector.
    if d[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        f += [(0x1E, 2, "cfb sector shift"), (0x2C, 4, "cfb fat sectors"),
              (0x30, 4, "cfb first directory sector"), (0x4C, 4, "cfb first difat entry")]
    return [(a, w, what) for (a, w, what) in f if 0 <= a and a + w <= len(d)]


def find_all(d, magic):
    out, at = [], d.find(magic)
    while at >= 0 and len(out) < 8:
        out.append(at)
        at = d.find(magic, at + 1)
    return out


def mutants(data, rel, per_kind):
    """Yield (kind, description, (start, end) of bytes touched, new data)."""
    rng = random.Random("installsift-mutation:" + rel)
    n = len(data)
    cuts = sorted({int(n * q) for q in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)} |
                  {max(0, n - 1), max(0, n - 8), max(0, n - 64)} |
                  {rng.randrange(n) for _ in range(per_kind)})
    for c in cuts:
        if 0 < c < n:
            yield "trunc", f"cut at {c}", (c, n), data[:c]
    places = [rng.randrange(n) for _ in range(per_kind)]
    places += [rng.randrange(min(n, 512)) for _ in range(max(2, per_kind // 3))]
    places += [n - 1 - rng.randrange(min(n, 512)) for _ in range(max(2, per_kind // 3))]
    for at in places:
        bit = rng.randrange(8)
        m = bytearray(data)
        m[at] ^= 1 << bit
        yield "flip", f"bit {bit} of byte {at}", (at, at + 1), bytes(m)
    fields = known_fields(data)
    for _ in range(per_kind):
        w = rng.choice((2, 4, 4))
        at = rng.randrange(max(1, n - w)) & ~(w - 1)
        fields.append((at, w, "seeded place"))
    fmt = {2: "<H", 4: "<I", 8: "<Q"}
    for at, w, what in fields:
        old = struct.unpack_from(fmt[w], data, at)[0]
        top = (1 << (8 * w)) - 1
        for new in sorted({0, top, old // 2, min(top, old * 2), min(top, old + 1)} - {old}):
            m = bytearray(data)
            struct.pack_into(fmt[w], m, at, new)
            yield "field", f"{what} at {at}: {old} -> {new}", (at, at + w), bytes(m)
    for i in range(max(2, per_kind // 2)):
        k = rng.randrange(16, max(17, min(4096, n // 4 + 17)))
        a = rng.randrange(max(1, n - k))
        b = rng.randrange(max(1, n - k))
        block = data[a:a + k]
        if i % 2 == 0:
            m = data[:b] + block + data[b + len(block):]
            yield "dup", f"bytes {a}..{a + k} copied over {b}", (b, b + len(block)), m
        else:
            m = data[:b] + block + data[b:]
            yield "dup", f"bytes {a}..{a + k} inserted at {b}", (b, n + len(block)), m


def scan(binary, paths, workdir):
    """Scan files; map each input path to its nodes (list of dicts)."""
    out = os.path.join(workdir, "scan.jsonl")
    subprocess.run([binary, "scan", "-f", "jsonl", "--progress", "never", "-j", "2",
                    "-o", out] + paths, check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=600)
    nodes = collections.defaultdict(list)
    with open(out) as f:
        for line in f:
            n = json.loads(line)
            nodes[n["path"][0]].append(n)
    return nodes


def tree(nodes):
    """path tuple (without the input name) -> node, children per path.
    Paths that occur more than once (duplicate names in an archive) map to
    None: which of them is which cannot be told by path."""
    by = {}
    kids = collections.defaultdict(list)
    for n in nodes:
        p = tuple(n["path"][1:])
        by[p] = None if p in by else n
        if p:
            kids[p[:-1]].append(n)
    return by, kids


def pe_signature(data, a):
    """The bytes a PE's signature lies in: MZ, e_lfanew, and PE\0\0 where
    e_lfanew points (all part of what makes it a PE)."""
    regions = [(a, a + 2), (a + 0x3C, a + 0x40)]
    if a + 0x40 <= len(data):
        lfanew = struct.unpack_from("<I", data, a + 0x3C)[0]
        regions.append((a + lfanew, a + lfanew + 4))
    return regions


def abs_offsets(by):
    """Absolute offset in the input of every node whose bytes are a region of it."""
    off = {(): 0}
    for p in sorted(by, key=len):
        if not p or p[:-1] not in off or by[p] is None:
            continue
        e = by[p].get("entry") or {}
        parent = by.get(p[:-1]) or {}
        # A file of a container that stores its files as they are (an
        # ISO's or UDF image's extents, a tar's or cpio's members) lies at
        # its offset too.
        stored = parent.get("format") in STORED_FILES and not e.get("method")
        if (e.get("kind") in BORROWED or stored) and e.get("offset") is not None:
            off[p] = off[p[:-1]] + e["offset"]
    return off


def has_error(by, p):
    for k in range(len(p), -1, -1):
        n = by.get(p[:k])
        if n is not None and n.get("errors"):
            return True
    return False


def compare(orig, mut, touched, data, kind=""):
    """Findings: (class, node path, node format, detail, excused).

    `excused` is False, or the reason the loss cannot be seen from inside
    the file: "signature" (the format's own magic was destroyed) or
    "undeclared" (the file was cut inside a region of no known format, such
    as a PE overlay nothing describes: no field anywhere says how long it
    was, so no reader can tell it lost its tail)."""
    ob, okids = tree(orig)
    mb, mkids = tree(mut)
    offs = abs_offsets(ob)
    found = []
    for p, n in ob.items():
        m = mb.get(p)
        if m is None or n is None:
            continue  # its parent accounts for it (or a duplicate path)
        sig = SIGNATURE.get(n["format"], 4)
        excused = False
        if p in offs and sig:
            a = offs[p]
            if n["format"] == "pe":
                regions = pe_signature(data, a)
            elif n["format"] == "cab":
                # MSCF, the reserved zeros and the version (1.3) at 24
                regions = [(a, a + 8), (a + 24, a + 26)]
            elif n["format"] == "iso":
                # The primary volume descriptor's `CD001`, in sector 16: a
                # cut before it leaves a system area of zeros.
                regions = [(a + 32768, a + 32774)]
            elif n["format"] == "dmg" and a == 0:
                # UDIF identifies itself at its end: the `koly` trailer, and
                # (cut before it) the property list's `blkx` table; a cut
                # before that key leaves compressed chunks only.
                k = data.rfind(b"<key>blkx</key>")
                regions = [(k, len(data))] if k >= 0 else [(len(data) - 512, len(data))]
            else:
                regions = [(a, a + sig)]
            excused = any(touched[0] < e and touched[1] > s for s, e in regions) and "signature"
        err = has_error(mb, p)
        want = okids.get(p, [])
        got = mkids.get(p, [])
        fmt = n["format"]
        if want and m["format"] == "unknown" and fmt != "unknown" and not err:
            found.append(("lost-format", p, fmt, f"{fmt} -> unknown", excused))
            continue
        if len(got) < len(want) and not err:
            found.append(("lost-children", p, fmt, f"{len(want)} -> {len(got)} children", excused))
        gb = {tuple(c["path"][1:]): c for c in got}
        for c in want:
            cp = tuple(c["path"][1:])
            if ob.get(cp) is None or mb.get(cp) is None:
                continue
            g = gb.get(cp)
            if g is None or c.get("sha256") is None:
                continue
            if (g.get("sha256") is None or g["size"] < c["size"]) and not has_error(mb, cp):
                why = excused
                if not why and kind == "trunc" and c["format"] == "unknown" and g.get("sha256"):
                    why = "undeclared"
                found.append(("lost-bytes", cp, fmt, f"{c['size']} -> {g['size']} bytes, hash {'kept' if g.get('sha256') else 'lost'}", why))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/installsift"))
    ap.add_argument("--only", default="")
    ap.add_argument("--per-kind", type=int, default=8)
    ap.add_argument("--max-size", type=int, default=4 << 20)
    ap.add_argument("--out", default=os.path.join(ROOT, "scripts/results/mutation_sweep.txt"))
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit(f"{a.bin} missing: cargo build --release")
    todo = [s for s in samples(a.only) if os.path.getsize(os.path.join(ROOT, "corpus", s)) <= a.max_size]
    counts = collections.Counter()
    findings = []
    per_format = collections.Counter()
    for i, rel in enumerate(todo):
        src = os.path.join(ROOT, "corpus", rel)
        data = open(src, "rb").read()
        work = tempfile.mkdtemp(prefix="mutsweep.")
        try:
            orig_path = os.path.join(work, "orig.bin")
            shutil.copyfile(src, orig_path)
            orig = scan(a.bin, [orig_path], work)[orig_path]
            root_fmt = orig[0]["format"] if orig else "unknown"
            muts = []
            for j, (kind, desc, touched, m) in enumerate(mutants(data, rel, a.per_kind)):
                p = os.path.join(work, f"m{j:05d}.bin")
                with open(p, "wb") as f:
                    f.write(m)
                muts.append((p, kind, desc, touched))
            res = scan(a.bin, [p for p, *_ in muts], work)
            for p, kind, desc, touched in muts:
                counts[("mutants", kind)] += 1
                per_format[root_fmt] += 1
                mut = res.get(p)
                if not mut:
                    counts[("no-output", kind)] += 1
                    findings.append(("no-output", rel, kind, desc, (), root_fmt, "", False))
                    continue
                if any(str(e).startswith("panic:") for n in mut for e in n.get("errors", [])):
                    counts[("panic", kind)] += 1
                    findings.append(("panic", rel, kind, desc, (), root_fmt, "", False))
                for cls, path, fmt, detail, excused in compare(orig, mut, touched, data, kind):
                    counts[(cls + (f" ({excused})" if excused else ""), kind)] += 1
                    findings.append((cls, rel, kind, desc, path, fmt, detail, excused))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"[{i + 1}/{len(todo)}] {rel}: {sum(1 for f in findings if f[1] == rel and not f[7])} findings", file=sys.stderr)

    kinds = ["trunc", "flip", "field", "dup"]
    lines = ["# Mutation sweep (scripts/mutation_sweep.py, seeds from sample paths)", ""]
    lines.append(f"samples: {len(todo)}; mutants: {sum(v for (c, k), v in counts.items() if c == 'mutants')}")
    lines.append("")
    lines.append("| class | " + " | ".join(kinds) + " | total |")
    lines.append("|---|" + "---|" * (len(kinds) + 1))
    classes = sorted({c for c, _ in counts})
    for c in classes:
        row = [counts[(c, k)] for k in kinds]
        lines.append(f"| {c} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    lines.append("")
    real = [f for f in findings if not f[7]]
    by_fmt = collections.Counter((f[5], f[0]) for f in real)
    lines.append("Unexcused findings by format of the node that lost something:")
    for (fmt, cls), v in sorted(by_fmt.items()):
        owner = "ours" if fmt in OURS else "other engineer"
        lines.append(f"  {fmt:12} {cls:14} {v:6}  ({owner})")
    lines.append("")
    lines.append("Every unexcused finding (sample | mutation | node | format | what):")
    for cls, rel, kind, desc, path, fmt, detail, excused in real:
        lines.append(f"  {cls} | {rel} | {kind}: {desc} | {'/'.join(path) or '<root>'} | {fmt} | {detail}")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[:12 + len(classes) + len(by_fmt)]))


if __name__ == "__main__":
    main()
