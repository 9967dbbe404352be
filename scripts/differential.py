#!/usr/bin/env python3
"""Differential decoder test: our bytes against the real tools', stream by stream.

Seeded, deterministic content (text, x86-like code full of E8/E9 calls and
jumps, zeros, random bytes, and mixes of them; sizes from 0 to a few MB) is
packed by the real tools with every codec configuration below, then each
archive is

  - scanned by installsift (`scan -f jsonl`): the SHA-256 of every entry;
  - extracted by the reference tool(s) (7zz x, cabextract, bsdtar -x);

and every entry's three hashes are compared: the content we generated, what
the reference tool extracted, what we decoded. A "stream" here is one file
entry: its own folder/block in non-solid archives, a slice of a solid block
otherwise (so solid configurations check boundaries inside a block).

Usage: scripts/differential.py [--streams N] [--only SUBSTR] [--seed S]
       [--bin target/release/installsift] [--out scripts/results/differential.txt]

Exit status 1 when any of our hashes disagrees with the content, 0 otherwise.
"""

import argparse
import collections
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORDS = (b"the of and to in is that for it as with was on be by this installer setup "
         b"file program windows version copy license registry key value data folder "
         b"system user install uninstall update package component feature").split()


def text(rng, n):
    out = bytearray()
    while len(out) < n:
        out += rng.choice(WORDS) + (b"\r\n" if rng.random() < 0.08 else b" ")
    return bytes(out[:n])


def x86(rng, n):
    """Code-like bytes: many E8/E9 (call/jmp rel32) with plausible targets,
    some at every alignment, between common opcodes."""
    ops = [b"\x55", b"\x8b\xec", b"\x83\xec\x10", b"\x89\x45\xfc", b"\x8b\x45\x08", b"\xc3",
           b"\x33\xc0", b"\x50", b"\x6a\x00", b"\xff\x15\x00\x10\x40\x00", b"\x90", b"\x0f\x84"]
    out = bytearray()
    while len(out) < n:
        r = rng.random()
        if r < 0.18:
            rel = rng.randrange(-0x8000, 0x8000) if rng.random() < 0.8 else rng.randrange(-2**31, 2**31)
            out += bytes([rng.choice((0xE8, 0xE9))]) + (rel & 0xFFFFFFFF).to_bytes(4, "little")
        elif r < 0.2:
            # a call right at the end or crossing a 32 KiB frame boundary
            pad = (-len(out) - rng.randrange(0, 6)) % 0x8000
            out += b"\x90" * min(pad, 64)
        else:
            out += rng.choice(ops)
    return bytes(out[:n])


def zeros(rng, n):
    return bytes(n)


def noise(rng, n):
    return rng.randbytes(n)


def mixed(rng, n):
    out = bytearray()
    while len(out) < n:
        k = min(n - len(out), rng.choice((100, 1000, 5000, 40000)))
        out += rng.choice((text, x86, zeros, noise))(rng, k)
    return bytes(out)


KINDS = [("text", text), ("x86", x86), ("zeros", zeros), ("random", noise), ("mixed", mixed)]


def size_of(rng, big):
    r = rng.random()
    if r < 0.05:
        return rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 31, 32, 33))
    if r < 0.75:
        return rng.randrange(1, 4096)
    if r < 0.97 or not big:
        return rng.randrange(4096, 96 * 1024)
    return rng.randrange(96 * 1024, 3 * 1024 * 1024)


def make_files(d, rng, count, big=True):
    """count files in d; returns {name: sha256}."""
    want = {}
    for i in range(count):
        name, gen = rng.choice(KINDS)
        data = gen(rng, size_of(rng, big))
        fname = f"f{i:05d}_{name}.bin"
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
        want[fname] = hashlib.sha256(data).hexdigest()
    return want


# (name, container, files per archive, pack command builder, reference tools)
def sz(*m):
    return lambda src, out, files: ["7zz", "a", "-bd", "-bso0", "-bsp0", "-t7z", *m, out] + files


def szip(*m):
    return lambda src, out, files: ["7zz", "a", "-bd", "-bso0", "-bsp0", "-tzip", *m, out] + files


CONFIGS = [
    ("7z-lzma", sz("-m0=lzma", "-ms=off")),
    ("7z-lzma-solid", sz("-m0=lzma", "-ms=on")),
    ("7z-lzma2", sz("-m0=lzma2", "-ms=off")),
    ("7z-lzma2-solid-multiblock", sz("-m0=lzma2", "-ms=20f")),
    ("7z-bcj-lzma2", sz("-m0=bcj", "-m1=lzma2", "-ms=off")),
    ("7z-bcj-lzma-solid", sz("-m0=bcj", "-m1=lzma", "-ms=on")),
    ("7z-bcj2", sz("-m0=BCJ2", "-m1=LZMA:d22", "-m2=LZMA:d20", "-m3=LZMA:d20",
                   "-mb0:1", "-mb0s1:2", "-mb0s2:3", "-ms=off")),
    ("7z-bcj2-solid", sz("-m0=BCJ2", "-m1=LZMA:d22", "-m2=LZMA:d20", "-m3=LZMA:d20",
                         "-mb0:1", "-mb0s1:2", "-mb0s2:3", "-ms=on")),
    ("7z-arm64", sz("-m0=ARM64", "-m1=lzma2", "-ms=off")),
    ("7z-arm", sz("-m0=ARM", "-m1=lzma2", "-ms=off")),
    ("7z-armt", sz("-m0=ARMT", "-m1=lzma2", "-ms=off")),
    ("7z-ppc", sz("-m0=PPC", "-m1=lzma2", "-ms=off")),
    ("7z-sparc", sz("-m0=SPARC", "-m1=lzma2", "-ms=off")),
    ("7z-ia64", sz("-m0=IA64", "-m1=lzma2", "-ms=off")),
    ("7z-delta", sz("-m0=Delta:4", "-m1=lzma2", "-ms=off")),
    ("7z-bzip2", sz("-m0=bzip2", "-ms=off")),
    ("7z-bzip2-solid", sz("-m0=bzip2", "-ms=on")),
    ("7z-deflate", sz("-m0=deflate", "-ms=off")),
    ("7z-deflate64", sz("-m0=deflate64", "-ms=off")),
    ("7z-ppmd", sz("-m0=ppmd", "-ms=off")),
    ("7z-ppmd-solid", sz("-m0=ppmd", "-ms=on")),
    ("7z-copy", sz("-m0=copy", "-ms=off")),
    ("7z-copy-solid", sz("-m0=copy", "-ms=on")),
    ("zip-deflate-7zz", szip("-mm=Deflate")),
    ("zip-deflate64", szip("-mm=Deflate64")),
    ("zip-bzip2", szip("-mm=BZip2")),
    ("zip-lzma", szip("-mm=LZMA")),
    ("zip-ppmd", szip("-mm=PPMd")),
    ("zip-xz", szip("-mm=XZ")),
    ("zip-stored-7zz", szip("-mm=Copy")),
    ("zip-deflate-infozip", lambda src, out, files: ["zip", "-q", "-X", "-9", out] + files),
    ("zip-stored-infozip", lambda src, out, files: ["zip", "-q", "-X", "-0", out] + files),
    ("cab-mszip", lambda src, out, files: ["gcab", "-c", "-z", out] + files),
    ("cab-stored", lambda src, out, files: ["gcab", "-c", out] + files),
    ("xar-gzip", lambda src, out, files: ["bsdtar", "-c", "-f", out, "--format", "xar", "--options", "xar:compression=gzip"] + files),
    ("xar-bzip2", lambda src, out, files: ["bsdtar", "-c", "-f", out, "--format", "xar", "--options", "xar:compression=bzip2"] + files),
    ("xar-xz", lambda src, out, files: ["bsdtar", "-c", "-f", out, "--format", "xar", "--options", "xar:compression=xz"] + files),
    ("xar-lzma", lambda src, out, files: ["bsdtar", "-c", "-f", out, "--format", "xar", "--options", "xar:compression=lzma"] + files),
    ("xar-none", lambda src, out, files: ["bsdtar", "-c", "-f", out, "--format", "xar", "--options", "xar:compression=none"] + files),
]


def references(name):
    """Reference extractors for a configuration."""
    if name.startswith("7z-"):
        return ["7zz"]
    if name.startswith("zip-"):
        return ["7zz", "bsdtar"]
    if name.startswith("cab-"):
        return ["7zz", "cabextract"]
    if name.startswith("xar-"):
        return ["bsdtar"]
    return []


def extract(tool, archive, dest):
    os.makedirs(dest)
    cmd = {
        "7zz": ["7zz", "x", "-bd", "-bso0", "-bsp0", "-y", "-o" + dest, archive],
        "bsdtar": ["bsdtar", "-x", "-f", archive, "-C", dest],
        "cabextract": ["cabextract", "-q", "-d", dest, archive],
    }[tool]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    got = {}
    for d, _, files in os.walk(dest):
        for f in files:
            p = os.path.join(d, f)
            got[os.path.relpath(p, dest)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return got


def ours(binary, archive, workdir):
    out = os.path.join(workdir, "ours.jsonl")
    # Generated zeros compress past the default ratio limit: not what is tested.
    subprocess.run([binary, "scan", "-f", "jsonl", "--progress", "never", "--max-depth", "1",
                    "--max-ratio", "1000000000", "-o", out, archive], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    got, errors = {}, {}
    for line in open(out):
        n = json.loads(line)
        if n["depth"] == 1:
            got[n["path"][-1]] = n.get("sha256")
            if n.get("errors"):
                errors[n["path"][-1]] = n["errors"]
    return got, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/installsift"))
    ap.add_argument("--streams", type=int, default=3000, help="file entries per configuration")
    ap.add_argument("--per-archive", type=int, default=150)
    ap.add_argument("--only", default="")
    ap.add_argument("--seed", default="installsift-differential-1")
    ap.add_argument("--out", default=os.path.join(ROOT, "scripts/results/differential.txt"))
    a = ap.parse_args()
    for tool, pkg in (("7zz", "7zip"), ("gcab", "gcab"), ("bsdtar", "libarchive-tools"),
                      ("cabextract", "cabextract"), ("zip", "zip")):
        if not shutil.which(tool):
            sys.exit(f"{tool} missing: apt-get install {pkg}")
    stats = collections.OrderedDict()
    problems = []
    started = time.time()
    for name, pack in CONFIGS:
        if a.only and a.only not in name:
            continue
        rng = random.Random(f"{a.seed}:{name}")
        st = stats[name] = collections.Counter()
        done = 0
        k = 0
        while done < a.streams:
            work = tempfile.mkdtemp(prefix="diff.")
            try:
                src = os.path.join(work, "src")
                os.makedirs(src)
                n = min(a.per_archive, a.streams - done)
                want = make_files(src, rng, n, big=(k % 4 == 0))
                arch = os.path.join(work, "a.bin")
                r = subprocess.run(pack(src, arch, sorted(want)), cwd=src,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                if r.returncode != 0 or not os.path.exists(arch):
                    st["pack-failed"] += n
                    problems.append(f"{name}: packing failed: {r.stderr.decode(errors='replace')[:200]}")
                    done += n
                    k += 1
                    continue
                st["archives"] += 1
                got, errs = ours(a.bin, arch, work)
                refs = {t: extract(t, arch, os.path.join(work, "x-" + t)) for t in references(name)}
                for f, h in want.items():
                    st["streams"] += 1
                    mine = got.get(f)
                    for t, ref in refs.items():
                        if ref.get(f) == h:
                            st[f"{t}-agrees"] += 1
                        elif f not in ref:
                            st[f"{t}-did-not-extract"] += 1
                        else:
                            st[f"{t}-differs"] += 1
                            problems.append(f"{name}: {t} differs from the content on {f} (archive {k})")
                    if mine == h:
                        st["ours-match"] += 1
                    elif f not in got:
                        st["ours-missing-entry"] += 1
                        problems.append(f"{name}: no entry {f} (archive {k})")
                    elif mine is None:
                        kinds = " / ".join(str(e)[:120] for e in errs.get(f, []))
                        key = "ours-unsupported" if "unsupported" in kinds else "ours-not-decoded"
                        st[key] += 1
                        if key == "ours-not-decoded":
                            problems.append(f"{name}: {f} not decoded: {kinds} (archive {k})")
                    else:
                        st["ours-MISMATCH"] += 1
                        problems.append(f"{name}: OUR BYTES DIFFER on {f} (archive {k}); errors: {errs.get(f)}")
                done += n
                k += 1
            finally:
                shutil.rmtree(work, ignore_errors=True)
        print(f"{name}: {dict(st)}", file=sys.stderr)

    cols = ["streams", "ours-match", "ours-MISMATCH", "ours-not-decoded", "ours-unsupported",
            "ours-missing-entry", "7zz-agrees", "7zz-differs", "bsdtar-agrees", "bsdtar-differs",
            "cabextract-agrees", "cabextract-differs"]
    lines = [f"# Differential decoder test (scripts/differential.py, seed {a.seed!r})", "",
             f"{a.streams} file entries per configuration, up to {a.per_archive} per archive; "
             f"sizes 0..3 MiB; content text / x86 E8-E9 / zeros / random / mixed.",
             f"Run time {time.time() - started:.0f} s.", "",
             "| configuration | archives | " + " | ".join(cols) + " |",
             "|---|---|" + "---|" * len(cols)]
    for name, st in stats.items():
        lines.append(f"| {name} | {st['archives']} | " + " | ".join(str(st[c]) for c in cols) + " |")
    total = collections.Counter()
    for st in stats.values():
        total.update(st)
    lines.append(f"| **total** | {total['archives']} | " + " | ".join(str(total[c]) for c in cols) + " |")
    lines += ["", f"Problems ({len(problems)}):"] + ["  " + p for p in problems[:500]]
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[:len(stats) + 12]))
    sys.exit(1 if total["ours-MISMATCH"] else 0)


if __name__ == "__main__":
    main()
