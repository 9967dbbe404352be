#!/usr/bin/env python3
"""Differential test of installsift's NSIS decoders against 7-Zip.

For each seed, a payload of random files (incompressible bytes, text, runs
of one byte, empty files; sizes from 0 to ~300 KB; nested folders) is built
by makensis with every compressor (zlib, bzip2, lzma), solid and not, for the
x86-unicode target (and, every third seed, x86-ansi and amd64-unicode). Each
installer is extracted with `7zz x` and scanned with installsift; every file
7-Zip writes must be a node with the same SHA-256, and every file node must be
one 7-Zip wrote. The uninstaller (7-Zip rebuilds it from the exe stub, which
installsift reports in metadata instead) and `$PLUGINSDIR` are outside the
comparison for that documented reason.

    scripts/nsis_differential.py BINARY [--seeds N] [--out FILE]

Needs Debian's `nsis` (makensis) and `7zip` (7zz). Deterministic per seed.
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

CONFIGS = [(c, s) for c in ("zlib", "bzip2", "lzma") for s in (False, True)]


def payload(rng, root):
    """Random files under root; returns their relative paths."""
    names = []
    for i in range(rng.randrange(4, 24)):
        depth = rng.randrange(0, 3)
        parts = [f"d{rng.randrange(3)}" for _ in range(depth)] + [f"f{i}.{rng.choice(['bin', 'txt', 'dat'])}"]
        rel = "/".join(parts)
        kind = rng.random()
        size = int(rng.paretovariate(1.2) * 800) % 300_000
        if kind < 0.3:
            data = rng.randbytes(size)
        elif kind < 0.6:
            words = [b"alpha", b"beta", b"gamma", b"installsift", b"\r\n", b"0123456789"]
            data = b" ".join(rng.choice(words) for _ in range(size // 6 + 1))[:size]
        elif kind < 0.75:
            data = bytes([rng.randrange(256)]) * size
        elif kind < 0.85:
            data = b""
        else:
            # mixed: compressible runs and random spans
            data = b"".join(rng.randbytes(64) + b"\0" * rng.randrange(512) for _ in range(size // 300 + 1))
        p = os.path.join(root, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "wb").write(data)
        names.append(rel)
    return names


def script(names, compressor, solid, target, out):
    lines = [f"Target {target}", f"SetCompressor {'/SOLID ' if solid else ''}/FINAL {compressor}",
             'Name "installsift differential"', f'OutFile "{out}"', 'InstallDir "$TEMP\\sift"',
             "RequestExecutionLevel user", "Section"]
    for rel in names:
        d, f = os.path.split(rel)
        lines.append(f'SetOutPath "$INSTDIR\\{d.replace("/", chr(92))}"' if d else 'SetOutPath "$INSTDIR"')
        lines.append(f'File "{rel}"')
    lines.append('WriteUninstaller "$INSTDIR\\uninstall.exe"')
    lines += ["SectionEnd", "Section Uninstall", 'Delete "$INSTDIR\\uninstall.exe"', "SectionEnd"]
    return "\n".join(lines) + "\n"


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def reference(exe, tmp):
    out = os.path.join(tmp, "x")
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run(["7zz", "x", "-y", f"-o{out}", exe], capture_output=True, check=False)
    if r.returncode != 0:
        return None
    got = {}
    for dp, _, fs in os.walk(out):
        for f in fs:
            p = os.path.join(dp, f)
            rel = os.path.relpath(p, out).replace(os.sep, "/")
            if rel.startswith("$PLUGINSDIR") or rel in ("uninstall.exe", "uninstall.exe.nsis"):
                continue
            got[rel] = sha(p)
    return got


def ours(binary, exe):
    out = subprocess.run([binary, "scan", "-f", "jsonl", exe], capture_output=True, text=True, check=True).stdout
    got, errors = {}, []
    for line in out.splitlines():
        n = json.loads(line)
        if n["errors"]:
            errors.append((n["path"][1:], n["errors"]))
        if n["depth"] == 2 and n["path"][1] == "[overlay]" and (n.get("entry") or {}).get("kind") == "file":
            name = n["path"][2]
            if name.startswith("$PLUGINSDIR") or name.endswith(".nsis"):
                continue
            got[name] = n["sha256"]
    return got, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--out")
    a = ap.parse_args()
    for tool, pkg in (("makensis", "nsis"), ("7zz", "7zip")):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install {pkg}")
    installers = files = streams = bytes_ = 0
    bad = []
    no_7zz = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(a.seeds):
            rng = random.Random(seed)
            src = os.path.join(tmp, "src")
            shutil.rmtree(src, ignore_errors=True)
            os.makedirs(src)
            names = payload(rng, src)
            targets = ["x86-unicode"] + (["x86-ansi", "amd64-unicode"] if seed % 3 == 0 else [])
            for target in targets:
                for comp, solid in CONFIGS:
                    exe = os.path.join(tmp, "out.exe")
                    nsi = os.path.join(src, "t.nsi")
                    open(nsi, "w").write(script(names, comp, solid, target, exe))
                    subprocess.run(["makensis", "-V1", nsi], cwd=src, check=True, capture_output=True)
                    ref = reference(exe, tmp)
                    got, errors = ours(a.binary, exe)
                    installers += 1
                    label = f"seed {seed} {target} {comp}{' solid' if solid else ''}"
                    if ref is None:
                        # 7-Zip cannot open it: compare with the payload itself
                        ref = {n: sha(os.path.join(src, n)) for n in names}
                        no_7zz.append(label)
                    files += len(ref)
                    # non-solid: one compressed stream per stored block (same
                    # contents are stored once); solid: one stream in all
                    streams += 1 if solid else len(set(ref.values()))
                    bytes_ += sum(os.path.getsize(os.path.join(src, n)) for n in names)
                    if errors:
                        bad.append(f"{label}: errors {errors[:2]}")
                    for name in sorted(set(ref) | set(got)):
                        if ref.get(name) != got.get(name):
                            bad.append(f"{label}: `{name}` 7zz {ref.get(name)} installsift {got.get(name)}")
            print(f"seed {seed}: {installers} installers so far, {len(bad)} disagreements", file=sys.stderr)
    summary = (f"installers built: {installers}\nfiles compared: {files}\n"
               f"compressed streams decoded: {streams}\npayload bytes: {bytes_}\n"
               f"disagreements: {len(bad)}\n"
               f"installers 7zz could not open (compared with the payload files instead): {len(no_7zz)}\n")
    text_7zz = "".join(f"  7zz failed: {x}\n" for x in no_7zz)
    text = summary + text_7zz + "".join(f"  {b}\n" for b in bad)
    if a.out:
        open(a.out, "w").write(text)
    print(text, end="")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
