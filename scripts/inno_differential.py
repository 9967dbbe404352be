#!/usr/bin/env python3
"""Inno Setup differential test: real compilers, many payloads, two references.

For every available Inno Setup compiler (npm `innosetup-compiler` 5.5.62,
5.5.9, 5.6.1, 6.0.2, 6.2.0, 6.3.1 and npm `innosetup` 6.4.1, run under the
project's 32-bit Wine, `../shared/tools/wine32`), build installers from
generated payloads with every compression (zlib, bzip2, lzma, lzma2, none),
solid and not, then compare every file installsift lists (name, size,
SHA-256) with

  * the payload itself (what the script told the compiler to store), and
  * `innoextract` (Debian 1.9) where it reads the setup data version.

Any difference (a file missing, extra, renamed, or with other bytes; an
error on the node) is a disagreement and is listed. Results go to
scripts/results/inno_differential.txt.

    scripts/inno_differential.py run BINARY [--seeds N] [--work DIR]
                                 [--compiler LABEL=DIR[,ansi] ...] [--only LABEL ...]
    scripts/inno_differential.py compare BINARY SETUP.exe...

`--compiler` adds a local Inno Setup directory (ISCC.exe and its files), e.g.
an older release you have; `,ansi` for a non-Unicode compiler (the script is
then written in Windows-1252 and names it cannot encode are left out).

`compare` checks existing installers against innoextract only (e.g. the
real setups in /work/samples/inno).

Payloads (seeded, reproducible): text, pseudo x86 code named .exe/.dll
(E8/E9-dense, so the call filter is used) and a real x86 exe
(corpus/pe/hello_x86.exe), random bytes, empty files, one source installed
under two names (one shared data entry), subdirectories, non-ASCII names.
Standard library only; needs innoextract (apt: innoextract), npm, and Wine
(/work/shared/tools/wine32-setup, root).
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
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WINE32 = os.environ.get("WINE32", os.path.join(ROOT, "..", "..", "shared", "tools", "wine32"))
if not os.path.exists(WINE32):
    WINE32 = "/work/shared/tools/wine32"

# (label, npm package spec, data version it writes)
COMPILERS = [
    ("is5.5.6", "innosetup-compiler@5.5.62", "5.5.6 (u)"),
    ("is5.5.9", "innosetup-compiler@5.5.9", "5.5.7 (u)"),
    ("is5.6.1", "innosetup-compiler@5.6.1", "5.5.7 (u)"),
    ("is6.0.2", "innosetup-compiler@6.0.2", "6.0.0 (u)"),
    ("is6.2.0", "innosetup-compiler@6.2.0", "6.1.0 (u)"),
    ("is6.3.1", "innosetup-compiler@6.3.1", "6.3.0"),
    ("is6.4.1", "innosetup@6.4.1", "6.4.0.1"),
]
METHODS = ["zip", "bzip", "lzma", "lzma2", "none"]  # the Compression= words (zlib, bzip2, ...)


def sha256(b):
    return hashlib.sha256(b).hexdigest()


# ---------------------------------------------------------------- payloads

def pseudo_code(rng, n):
    """Bytes shaped like x86 code: many E8/E9 calls with near targets."""
    out = bytearray()
    while len(out) < n:
        r = rng.random()
        if r < 0.15:
            rel = rng.randint(-40000, 40000)
            out += bytes([rng.choice((0xE8, 0xE9))]) + (rel & 0xFFFFFFFF).to_bytes(4, "little")
        elif r < 0.2:
            out += bytes([0xE8]) + rng.randbytes(4)
        else:
            out += bytes(rng.choice((0x55, 0x8B, 0xEC, 0x83, 0xC4, 0x90, 0x50, 0xFF, 0x00))
                         for _ in range(rng.randint(1, 6)))
    return bytes(out[:n])


def text(rng, n):
    words = ["setup", "install", "alpha", "beta", "gamma", "delta", "files", "data", "café",
             "Übersicht", "naïve", "日本語", "line"]
    s = []
    size = 0
    while size < n:
        w = rng.choice(words)
        s.append(w)
        size += len(w.encode()) + 1
    return (" ".join(s) + "\n").encode()[:n]


def payload(seed):
    """A list of (relative source path, destination under {app}, bytes)."""
    rng = random.Random(seed)
    hello = os.path.join(ROOT, "corpus", "pe", "hello_x86.exe")
    files = []
    names = ["readme.txt", "notes.md", "Über.txt", "données.csv", "测试.txt", "big.log"]
    for i in range(rng.randint(2, 5)):
        files.append((f"t{i}.txt", f"docs\\{rng.choice(names)}".replace(".", f"{i}."),
                      text(rng, rng.choice([10, 300, 5000, 70000]))))
    for i in range(rng.randint(1, 3)):
        ext = rng.choice([".exe", ".dll"])
        files.append((f"c{i}{ext}", f"bin\\prog{i}{ext}",
                      pseudo_code(rng, rng.choice([2000, 70000, 200000]))))
    if os.path.exists(hello):
        files.append(("hello_x86.exe", "bin\\hello_x86.exe", open(hello, "rb").read()))
    for i in range(rng.randint(1, 3)):
        files.append((f"r{i}.bin", f"data\\sub{i}\\random{i}.bin",
                      rng.randbytes(rng.choice([1, 100, 4096, 65537, 300000]))))
    files.append(("empty.txt", "data\\empty.txt", b""))
    files.append(("empty2.dat", "data\\deep\\er\\empty2.dat", b""))
    # One source under two names: one data entry, two [Files] entries.
    dup = text(rng, 1234)
    files.append(("dup.txt", "dup\\first.txt", dup))
    files.append(("dup.txt", "dup\\second.txt", dup))
    # Identical contents from two sources: two data entries.
    files.append(("same1.txt", "same\\one.txt", b"same bytes\n" * 50))
    files.append(("same2.txt", "same\\two.txt", b"same bytes\n" * 50))
    return files


def write_script(d, name, files, method, solid, unicode_ok=True):
    src = os.path.join(d, name + "_src")
    os.makedirs(src, exist_ok=True)
    lines = ["[Setup]", f"AppName=diff {name}", "AppVersion=1.0", f"DefaultDirName={{pf}}\\diff_{name}",
             "OutputDir=out", f"OutputBaseFilename={name}", "Uninstallable=no",
             "DisableProgramGroupPage=yes",
             # 5.2 and older know no `lowest`; the setups are never run.
             *(["PrivilegesRequired=lowest"] if unicode_ok else [f"AppVerName=diff {name} 1.0"]),
             f"Compression={method}", f"SolidCompression={'yes' if solid else 'no'}", "", "[Files]"]
    expected = []
    for s, dest, data in files:
        if not unicode_ok:
            try:
                dest.encode("cp1252")
            except UnicodeEncodeError:
                continue
        p = os.path.join(src, s)
        with open(p, "wb") as f:
            f.write(data)
        ddir, dname = dest.rsplit("\\", 1)
        lines.append(f'Source: "{name}_src\\{s}"; DestDir: "{{app}}\\{ddir}"; DestName: "{dname}"')
        expected.append(("{app}\\" + dest, len(data), sha256(data)))
    enc = "utf-8-sig" if unicode_ok else "cp1252"
    with open(os.path.join(d, name + ".iss"), "w", encoding=enc) as f:
        f.write("\r\n".join(lines) + "\r\n")
    return expected


# ---------------------------------------------------------------- scanning

def ours(binary, exe):
    """installsift's files under the Inno node: name -> [(size, sha, errors, verified)]."""
    out = subprocess.run([binary, "scan", "-f", "jsonl", exe], capture_output=True, text=True,
                         check=False).stdout
    nodes = [json.loads(l) for l in out.splitlines()]
    inno = [n for n in nodes if n.get("format") == "inno"]
    if not inno:
        return None, ["no inno node"]
    ip = inno[0]["path"]
    files = {}
    for n in nodes:
        if len(n["path"]) == len(ip) + 1 and n["path"][:len(ip)] == ip:
            files.setdefault(n["path"][-1], []).append(
                (n["size"], n.get("sha256"), [e.get("kind", "") if isinstance(e, dict) else str(e)
                                               for e in n.get("errors", [])],
                 n.get("verified_by", [])))
    errs = [json.dumps(e) for e in inno[0].get("errors", [])]
    return files, errs


def innoextract(exe, work):
    d = os.path.join(work, "ie")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    r = subprocess.run(["innoextract", "-e", "-q", "-d", d, exe], capture_output=True, text=True)
    if r.returncode != 0:
        return None, (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
    got = {}
    for base, _, fs in os.walk(d):
        for f in fs:
            p = os.path.join(base, f)
            rel = os.path.relpath(p, d).replace(os.sep, "/")
            b = open(p, "rb").read()
            got[rel] = (len(b), sha256(b))
    return got, None


def norm(name):
    """`{app}\\a\\b.txt` as innoextract names it: `app/a/b.txt`."""
    return name.replace("{", "").replace("}", "").replace("\\", "/")


def compare_ie(files, ie, truth=None):
    """Disagreements between our files and innoextract's. With `truth` (the
    payload, as innoextract names it), a difference where installsift
    matches the payload and innoextract does not is returned apart, as
    innoextract's."""
    bad = []
    theirs = []
    ours_n = {}
    for name, vs in files.items():
        ours_n.setdefault(norm(name), []).extend(vs)
    for rel, (size, h) in ie.items():
        vs = ours_n.get(rel)
        if not vs:
            bad.append(f"innoextract has {rel}, installsift does not")
        elif not any(v[0] == size and v[1] == h for v in vs):
            bad.append(f"{rel}: innoextract {size} {h[:16]}, installsift "
                       + ", ".join(f"{v[0]} {str(v[1])[:16]}" for v in vs))
    for rel in ours_n:
        if all(v[1] is None and any("external file" in e for e in v[2]) for v in ours_n[rel]):
            continue  # [Files] external: installed from outside the setup, listed as missing
        if rel not in ie:
            if truth is not None and rel in truth and \
                    sorted((v[0], v[1]) for v in ours_n[rel]) == sorted(truth[rel]):
                theirs.append(f"innoextract does not extract {rel} (installsift's matches the payload)")
            else:
                bad.append(f"installsift has {rel}, innoextract does not")
    return bad, theirs


def compare_truth(files, expected):
    bad = []
    want = {}
    for name, size, h in expected:
        want.setdefault(name, []).append((size, h))
    for name, vs in want.items():
        got = files.get(name, [])
        if sorted((g[0], g[1]) for g in got) != sorted(vs):
            bad.append(f"{name}: payload {vs}, installsift {[(g[0], g[1]) for g in got]}")
    for name in files:
        if name not in want:
            bad.append(f"installsift lists {name}, not in the payload")
    for name, vs in files.items():
        for v in vs:
            if v[2]:
                bad.append(f"{name}: errors {v[2]}")
            if not v[3]:
                bad.append(f"{name}: no checksum verified")
    return bad


# ---------------------------------------------------------------- commands

def fetch_compilers(work):
    have = {}
    npm = os.path.join(work, "npm")
    os.makedirs(npm, exist_ok=True)
    for label, spec, _ in COMPILERS:
        d = os.path.join(npm, label)
        iscc = os.path.join(d, "package", "bin", "ISCC.exe")
        if not os.path.exists(iscc):
            r = subprocess.run(["npm", "pack", spec], cwd=npm, capture_output=True, text=True)
            tgz = r.stdout.strip().splitlines()[-1] if r.returncode == 0 else ""
            if not tgz:
                print(f"{label}: npm pack {spec} failed: {r.stderr[-200:]}", file=sys.stderr)
                continue
            os.makedirs(d, exist_ok=True)
            with tarfile.open(os.path.join(npm, tgz)) as t:
                t.extractall(d, filter="data")
        have[label] = os.path.join(d, "package", "bin")
    return have


def run(args):
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    compilers = fetch_compilers(work)
    ansi = set()
    table = list(COMPILERS)
    for spec in args.compiler or []:
        label, rest = spec.split("=", 1)
        path, _, flag = rest.partition(",")
        compilers[label] = os.path.abspath(path)
        if flag == "ansi":
            ansi.add(label)
        dv = "?"
        for f in ("ISCmplr.dll", "Setup.e32"):
            try:
                b = open(os.path.join(path, f), "rb").read()
            except OSError:
                continue
            k = b.find(b"Inno Setup Setup Data (")
            if k >= 0:
                dv = b[k + 23:b.index(b")", k)].decode() + ("" if flag == "ansi" else " (u)")
                break
        table.append((label, path, dv))
    t0 = time.time()
    rows = []
    problems = []
    totals = dict(installers=0, files=0, ie_installers=0, ie_files=0, failed_builds=0,
                  rejected=0)
    ie_own = []
    for label, spec, dv in table:
        if label not in compilers or (args.only and label not in args.only):
            continue
        d = os.path.join(work, "build", label)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "out"))
        shutil.copytree(compilers[label], os.path.join(d, "isbin"))
        jobs = []
        for seed in range(args.seeds):
            files = payload(seed * 1000 + 17)
            for method in METHODS:
                for solid in (False, True):
                    name = f"s{seed}_{method}_{'solid' if solid else 'plain'}"
                    jobs.append((name, method, solid,
                                 write_script(d, name, files, method, solid, label not in ansi)))
        # One Wine session per compiler: a batch file runs ISCC per script.
        with open(os.path.join(d, "build.bat"), "w") as f:
            for name, *_ in jobs:
                f.write(f'isbin\\ISCC.exe /Q {name}.iss > {name}.log 2>&1\r\n')
        tb = time.time()
        subprocess.run([WINE32, "cmd", "/c", "build.bat"], cwd=d, capture_output=True)
        build_s = time.time() - tb
        per = dict(installers=0, files=0, ie=0, bad=0)
        for name, method, solid, expected in jobs:
            exe = os.path.join(d, "out", name + ".exe")
            if not os.path.exists(exe):
                log = open(os.path.join(d, name + ".log"), errors="replace").read()[-300:]
                if '"Compression" is invalid' in log:
                    # This package's compiler lacks the method.
                    totals["rejected"] += 1
                    continue
                totals["failed_builds"] += 1
                problems.append(f"{label} {name}: not built: {log!r}")
                continue
            files, errs = ours(args.binary, exe)
            per["installers"] += 1
            bad = []
            if files is None:
                bad = errs
            else:
                per["files"] += sum(len(v) for v in files.values())
                bad += [f"inno node error {e}" for e in errs]
                bad += compare_truth(files, expected)
                ie, why = innoextract(exe, work)
                if ie is not None:
                    per["ie"] += 1
                    totals["ie_files"] += len(ie)
                    truth = {}
                    for n_, sz, h in expected:
                        truth.setdefault(norm(n_), []).append((sz, h))
                    b2, own = compare_ie(files, ie, truth)
                    bad += b2
                    ie_own += [f"{label} {name}: {o}" for o in own]
            if bad:
                per["bad"] += 1
                problems += [f"{label} {name}: {b}" for b in bad]
        totals["installers"] += per["installers"]
        totals["files"] += per["files"]
        totals["ie_installers"] += per["ie"]
        rows.append(f"| {label} | {dv} | {per['installers']} | {per['files']} | {per['ie']} | "
                    f"{per['bad']} | {build_s:.0f} s |")
        print(rows[-1], flush=True)
    secs = time.time() - t0
    lines = [
        "# Inno Setup differential run (scripts/inno_differential.py)",
        "",
        f"{totals['installers']} installers built by {len(rows)} real compilers under Wine "
        f"({args.seeds} payload seeds x {len(METHODS)} compressions x solid/non-solid), "
        f"{totals['files']} files listed; innoextract 1.9 read {totals['ie_installers']} of them "
        f"({totals['ie_files']} files). {totals['failed_builds']} builds failed; "
        f"{totals['rejected']} scripts were refused by a compiler without that compression. "
        f"{len(problems)} disagreements. Wall time {secs:.0f} s on 2 cores.",
        "",
        "Every file is compared with its payload (name, size, SHA-256, no error, a checksum",
        "verified) and, where innoextract reads the setup, with innoextract's extraction.",
        "",
        "| compiler | setup data | installers | files | innoextract read | with disagreements | build time |",
        "|---|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "## Disagreements",
        "",
        *(problems or ["none"]),
        "",
        "## Where innoextract differs and installsift matches the payload",
        "",
        *(ie_own or ["none"]),
        "",
    ]
    out = os.path.join(ROOT, "scripts", "results", "inno_differential.txt")
    with open(out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines[:4]))
    return 1 if problems else 0


def compare(args):
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    status = 0
    for exe in args.setups:
        files, errs = ours(args.binary, exe)
        ie, why = innoextract(exe, work)
        if files is None or ie is None:
            print(f"{exe}: installsift {errs if files is None else 'ok'}, innoextract {why}")
            status = 1
            continue
        bad, _ = compare_ie(files, ie)
        n = sum(len(v) for v in files.values())
        ver = sum(1 for vs in files.values() for v in vs if v[3])
        print(f"{exe}: {n} files listed ({ver} with a verified checksum), innoextract "
              f"{len(ie)} files; {len(bad)} disagreements; inno node errors {errs}")
        for b in bad:
            print("   ", b)
        status |= bool(bad)
    return status


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("binary")
    r.add_argument("--seeds", type=int, default=4)
    r.add_argument("--work", default=os.path.join(ROOT, ".work", "inno-diff"))
    r.add_argument("--only", nargs="*")
    r.add_argument("--compiler", nargs="*", help="LABEL=DIR[,ansi]: a local compiler")
    c = sub.add_parser("compare")
    c.add_argument("binary")
    c.add_argument("setups", nargs="+")
    c.add_argument("--work", default=os.path.join(ROOT, ".work", "inno-diff"))
    a = p.parse_args()
    sys.exit(run(a) if a.cmd == "run" else compare(a))


if __name__ == "__main__":
    main()
