#!/usr/bin/env python3
"""Cross-check installsift's signed-Authenticode-digest check against
`osslsigncode verify` (Debian package `osslsigncode`).

For every signed PE and MSI given (default: the signed samples of corpus/
and /work/samples/), and for altered copies of each (PE: one byte flipped
inside the first section with raw data; MSI: one byte of the largest
non-signature stream changed with python `olefile`, same size), compare per
signature index:

  osslsigncode  "Current message digest" / "Current DigitalSignature" (signed)
                "Calculated ..." (computed), MISMATCH or not
  installsift   metadata.signatures[i].signed_digest, digest_matches,
                verified_by contains "authenticode", a checksum error

Prints one line per file and a summary; exit 1 on any disagreement.

    python3 scripts/check_signatures.py [--bin target/release/installsift] [FILE...]
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def need(tool, package):
    if shutil.which(tool) is None:
        sys.exit(f"{tool} not found: apt-get install {package}")


def ossl(path):
    """[(index, algorithm, signed, calculated)] from osslsigncode verify."""
    r = subprocess.run(
        ["osslsigncode", "verify", "-in", path],
        capture_output=True, text=True, errors="replace",
    )
    out = r.stdout + r.stderr
    sigs = []
    cur = None
    for line in out.splitlines():
        m = re.match(r"Signature Index: (\d+)", line)
        if m:
            cur = {"index": int(m.group(1))}
            sigs.append(cur)
            continue
        if cur is None:
            continue
        m = re.match(r"Message digest algorithm\s*:\s*(\S+)", line)
        if m and "alg" not in cur:
            cur["alg"] = m.group(1).lower()
        m = re.match(r"Current (message digest|DigitalSignature)\s*:\s*([0-9A-F]+)", line)
        if m:
            cur["signed"] = m.group(2).lower()
        m = re.match(r"Calculated (message digest|DigitalSignature)\s*:\s*([0-9A-F]+)", line)
        if m and "calculated" not in cur:
            cur["calculated"] = m.group(2).lower()
        m = re.match(r"Current MsiDigitalSignatureEx\s*:\s*([0-9A-F]+)", line)
        if m:
            cur["ex_signed"] = m.group(1).lower()
        m = re.match(r"Calculated MsiDigitalSignatureEx\s*:\s*([0-9A-F]+)", line)
        if m:
            cur["ex_calculated"] = m.group(1).lower()
    refused = "PE signature not at the end of the file" in out
    return [s for s in sigs if "signed" in s], refused


def cert_dir_at(data):
    lfanew = int.from_bytes(data[0x3C:0x40], "little")
    opt = lfanew + 24
    magic = int.from_bytes(data[opt:opt + 2], "little")
    return opt + (96 if magic == 0x10B else 112) + 4 * 8


def split_entries(path, tmp):
    """A PE whose certificate table holds several WIN_CERTIFICATEs (which
    osslsigncode refuses as "Corrupted attribute certificate table"): one copy
    per entry, the table holding that entry alone (the digest does not cover
    the table, so each copy's signature is checked against the same bytes)."""
    data = open(path, "rb").read()
    d = cert_dir_at(data)
    off = int.from_bytes(data[d:d + 4], "little")
    size = int.from_bytes(data[d + 4:d + 8], "little")
    table = data[off:off + size]
    copies, at = [], 0
    while at + 8 <= len(table):
        n = int.from_bytes(table[at:at + 4], "little")
        if n < 8:
            break
        entry = table[at:at + n]
        entry += b"\0" * (-len(entry) % 8)
        head = bytearray(data[:off])
        head[d + 4:d + 8] = len(entry).to_bytes(4, "little")
        out = os.path.join(tmp, f"entry{len(copies)}-" + os.path.basename(path))
        open(out, "wb").write(bytes(head) + entry)
        copies.append(out)
        at += (n + 7) // 8 * 8
    return copies


def ossl_all(path, tmp):
    """osslsigncode's signatures, entry by entry when the table holds several."""
    ref, refused = ossl(path)
    r = subprocess.run(["osslsigncode", "verify", "-in", path],
                       capture_output=True, text=True, errors="replace")
    out = r.stdout + r.stderr
    if not ref and "Corrupted attribute certificate table" in out:
        for copy in split_entries(path, tmp):
            more, _ = ossl(copy)
            ref.extend(more)
    return ref, refused


def ours(binary, path):
    out = subprocess.run(
        [binary, "scan", "-f", "jsonl", "--max-depth", "0", path],
        capture_output=True, text=True, check=True,
    ).stdout
    node = json.loads(out.splitlines()[0])
    meta = node.get("metadata") or {}
    return node, meta.get("signatures", [])


def alter_pe(src, dst):
    data = bytearray(open(src, "rb").read())
    lfanew = int.from_bytes(data[0x3C:0x40], "little")
    nsec = int.from_bytes(data[lfanew + 6:lfanew + 8], "little")
    opt = int.from_bytes(data[lfanew + 20:lfanew + 22], "little")
    table = lfanew + 24 + opt
    for i in range(nsec):
        h = table + 40 * i
        raw_size = int.from_bytes(data[h + 16:h + 20], "little")
        raw_off = int.from_bytes(data[h + 20:h + 24], "little")
        if raw_size > 0x80:
            data[raw_off + 0x40] ^= 0x01
            open(dst, "wb").write(data)
            return f"byte {raw_off + 0x40:#x} flipped (section {i})"
    return None


def alter_msi(src, dst):
    try:
        import olefile
    except ImportError:
        sys.exit("python module olefile missing: pip install olefile")
    shutil.copy(src, dst)
    with olefile.OleFileIO(dst, write_mode=True) as ole:
        streams = [
            s for s in ole.listdir(streams=True, storages=False)
            if not s[0].startswith("\x05") and ole.get_size("/".join(s)) > 0
        ]
        if not streams:
            return None
        name = max(streams, key=lambda s: ole.get_size("/".join(s)))
        data = bytearray(ole.openstream(name).read())
        data[len(data) // 2] ^= 0x01
        ole.write_stream(name, bytes(data))
    return f"stream {'/'.join(name)!r} byte {len(data) // 2} changed"


def default_files():
    files = []
    for pattern in ["corpus/**/*", "/work/samples/**/*"]:
        base = pattern if pattern.startswith("/") else os.path.join(ROOT, pattern)
        for f in sorted(glob.glob(base, recursive=True)):
            if os.path.isfile(f) and not os.path.basename(f).startswith("."):
                files.append(f)
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/installsift"))
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    need("osslsigncode", "osslsigncode")
    files = a.files or default_files()
    tmp = tempfile.mkdtemp(prefix="sigcheck-")
    rows, bad = [], 0
    for f in files:
        try:
            node, sigs = ours(a.bin, f)
        except (subprocess.CalledProcessError, IndexError, ValueError):
            continue
        if node["format"] not in ("pe", "msi", "msm", "msp") or not sigs:
            continue
        variants = [(f, "as committed")]
        alt = os.path.join(tmp, "altered-" + os.path.basename(f))
        how = alter_pe(f, alt) if node["format"] == "pe" else alter_msi(f, alt)
        if how:
            variants.append((alt, how))
        for path, what in variants:
            node, sigs = ours(a.bin, path)
            ref, refused = ossl_all(path, tmp)
            problems = []
            if refused:
                # Data follows the signature: osslsigncode will not verify
                # (Windows rejects such files since MS13-098). The signed
                # digest cannot cover what was appended: we must say mismatch.
                verified = "authenticode" in node["verified_by"]
                if verified or any(s.get("digest_matches") for s in sigs):
                    problems.append("data after the signature, yet we report a match")
                name = os.path.relpath(f, ROOT) if f.startswith(ROOT) else f
                status = "ok" if not problems else "DISAGREE"
                bad += bool(problems)
                rows.append(f"{status:8} {'MISMATCH':8} {'':12} {name} ({what}; osslsigncode refuses: data after the signature)")
                continue
            if len(ref) != len(sigs):
                problems.append(f"osslsigncode reads {len(ref)} signatures, we read {len(sigs)}")
            for r, s in zip(ref, sigs):
                if r["signed"] != s["signed_digest"]:
                    problems.append(f"#{r['index']} signed digest {r['signed']} vs ours {s['signed_digest']}")
                same = r["signed"] == r.get("calculated")
                if "ex_signed" in r and r["ex_signed"] != r.get("ex_calculated"):
                    same = False
                if same != s.get("digest_matches"):
                    problems.append(f"#{r['index']} osslsigncode match={same}, ours={s.get('digest_matches')}")
            verified = "authenticode" in node["verified_by"]
            checksum = any(e.startswith("checksum") and "Authenticode" in e for e in node["errors"])
            want = all(r["signed"] == r.get("calculated") and r.get("ex_signed") == r.get("ex_calculated") for r in ref)
            if verified != want or checksum == want:
                problems.append(f"verified_by authenticode={verified}, checksum error={checksum}, osslsigncode all match={want}")
            name = os.path.relpath(f, ROOT) if f.startswith(ROOT) else f
            algs = ",".join(s["digest_algorithm"] for s in sigs)
            status = "ok" if not problems else "DISAGREE"
            bad += bool(problems)
            rows.append(f"{status:8} {'match' if want else 'MISMATCH':8} {algs:12} {name} ({what})")
            for p in problems:
                rows.append(f"         {p}")
    print("\n".join(rows))
    n = sum(1 for r in rows if r.startswith(("ok", "DISAGREE")))
    print(f"\n{n} files checked ({sum(1 for r in rows if ' MISMATCH ' in r)} altered/mismatching), {bad} disagreements with osslsigncode")
    shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
