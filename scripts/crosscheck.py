#!/usr/bin/env python3
"""Reference cross-check over the whole corpus.

Every file under corpus/ (reference listings, sources and docs left out) is
given to each reference tool that can extract it: 7zz (recursively into the
archives it extracts, up to --depth levels), msiextract, cabextract,
innoextract, unshield, bsdtar. Every file a tool writes must be among our
nodes (the scan of that sample, every depth) with the same name or entry
key, size and SHA-256. Each extracted file gets one verdict:

  matched           a node with this name (path suffix or entry key), size
                    and SHA-256
  matched-renamed   a node with this size and SHA-256 under another name
                    (the reason names the naming convention)
  BYTE-MISMATCH     a node with this name whose size or SHA-256 differs:
                    a wrong hash of ours or the tool's, always explained
  not-decoded       a node with this name that has no hash (our error says
                    why: encrypted, unsupported method ...)
  not-listed        no node with this name or hash (the reason says why:
                    what the tool extracts that we do not report as a node)

Reasons come from the rules in `explain` below; a disagreement no rule
explains is listed as UNEXPLAINED and makes the exit status 1.

Usage: scripts/crosscheck.py [--bin target/release/installsift] [--only SUBSTR]
       [--out scripts/results/crosscheck.txt] [--depth 3] [--root corpus/]
"""

import argparse
import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_DIRS = {"reference", "src"}
SKIP_EXT = {".md", ".sh", ".tsv", ".py"}
PASSWORD = "installsift"  # the documented password of the encrypted corpus samples
TOOLS = ["7zz", "msiextract", "cabextract", "innoextract", "unshield", "bsdtar"]
PACKAGES = {"7zz": "7zip", "msiextract": "msitools", "cabextract": "cabextract",
            "innoextract": "innoextract", "unshield": "unshield", "bsdtar": "libarchive-tools"}
# 7-Zip archive types worth opening again (not PE: its sections are not archives).
NESTED_TYPES = {"7z", "zip", "Cab", "Compound", "xar", "Nsis", "Rar", "Rar5", "gzip",
                "bzip2", "xz", "tar", "Iso", "Udf", "Dmg", "Xar", "lzma", "Chm"}


CORPUS = os.path.join(ROOT, "corpus")


def samples(only):
    out = []
    base = CORPUS
    for d, _, files in os.walk(base):
        rel = os.path.relpath(d, base)
        if rel.split(os.sep)[0] in SKIP_DIRS:
            continue
        for f in files:
            if os.path.splitext(f)[1] in SKIP_EXT or f.startswith("."):
                continue
            r = os.path.relpath(os.path.join(d, f), base)
            if only and only not in r:
                continue
            out.append(r)
    return sorted(out)


def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def listing(dest):
    out = []
    for d, _, files in os.walk(dest):
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            out.append((os.path.relpath(p, dest), os.path.getsize(p), sha(p), p))
    return sorted(out)


def run(cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=300).returncode
    except subprocess.TimeoutExpired:
        return -1


def sevenzip_type(path):
    try:
        out = subprocess.run(["7zz", "l", "-slt", "-p" + PASSWORD, path], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=120).stdout
    except subprocess.TimeoutExpired:
        return None
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("Type = "):
            return line[7:].strip()
    return None


def extract(tool, path, dest, depth, max_depth):
    """Files the tool extracts from path: [(relpath, size, sha256)]."""
    os.makedirs(dest, exist_ok=True)
    if tool == "7zz":
        run(["7zz", "x", "-bd", "-bso0", "-bsp0", "-y", "-p" + PASSWORD, "-o" + dest, path])
    elif tool == "msiextract":
        run(["msiextract", "-C", dest, os.path.abspath(path)])
    elif tool == "cabextract":
        run(["cabextract", "-q", "-d", dest, path])
    elif tool == "innoextract":
        run(["innoextract", "-q", "-s", "-e", "-p", "1", "-d", dest, "--password", PASSWORD, path])
    elif tool == "unshield":
        run(["unshield", "-d", dest, "x", path])
    elif tool == "bsdtar":
        run(["bsdtar", "-x", "-f", path, "-C", dest])
    files = listing(dest)
    out = [(r, s, h) for r, s, h, _ in files]
    if tool == "7zz" and depth < max_depth:
        for r, s, h, p in files:
            t = sevenzip_type(p)
            if t in NESTED_TYPES:
                for rr, ss, hh in extract(tool, p, p + ".x", depth + 1, max_depth):
                    out.append((r + "/" + rr, ss, hh))
    return out


def our_scan(binary, path, workdir):
    out = os.path.join(workdir, "ours.jsonl")
    run([binary, "scan", "-f", "jsonl", "--progress", "never", "-o", out, path])
    nodes = []
    if os.path.exists(out):
        for line in open(out):
            nodes.append(json.loads(line))
    return nodes


def norm(s):
    return s.replace("\\", "/").strip("/")


def index(nodes):
    by_hash = collections.defaultdict(list)
    by_name = collections.defaultdict(list)
    for n in nodes:
        if len(n["path"]) < 2:
            continue
        if n.get("sha256"):
            by_hash[(n["sha256"], n["size"])].append(n)
        comps = [norm(c) for c in n["path"][1:]]
        # every suffix of the path, joined: a/b/c, b/c, c
        for k in range(len(comps)):
            by_name["/".join(comps[k:]).lower()].append(n)
        key = (n.get("entry") or {}).get("key")
        if key:
            by_name[norm(key).lower()].append(n)
    return by_hash, by_name


def name_keys(rel):
    """Names an extracted file may have among our nodes: the whole relative
    path, then shorter suffixes (a nested archive's members are named
    inside it; 7zz prefixes nothing else)."""
    parts = norm(rel).split("/")
    return ["/".join(parts[k:]).lower() for k in range(len(parts))]


def explain(tool, sample, rel, size, nodes, named, root_format, elsewhere):
    """Why a file the tool extracted is not among our nodes with its name and
    bytes, or None (unexplained)."""
    low = norm(rel).lower()
    base = os.path.basename(low)
    root = nodes[0] if nodes else {}
    if tool == "bsdtar" and sample.startswith("rar_volumes/"):
        return ("the bsdtar command reads one volume of a RAR set: it writes the part of a spanning file "
                "that volume holds, at the file's size; installsift lists the set from its first volume "
                "with the others beside it, = libarchive reading every volume (scripts/rar_volumes_reference.py)")
    if tool == "cabextract" and sample.startswith("cab_set_in/") and size == 0:
        return ("cabextract finds each cabinet of the set by its MSCF signature inside the container and reads it "
                "alone: the set's other cabinets are not files beside it (\"can't find cabd_multi_basic_pt2.cab\", "
                "\"cabinet set is incomplete\") and it writes empty files; installsift joins the set among the "
                "container's entries (= cabextract on the extracted set, reference/cab_set_in__*)")
    if tool == "7zz" and sample.startswith("cab_set_in/") and ".cab/" in low:
        return ("7-Zip opens each cabinet of a set it extracted from the container alone (the recursive run): "
                "a file that spans cabinets is written empty or cut; installsift joins the set among the "
                "container's entries (= cabextract and 7zz on the extracted set, reference/cab_set_in__*)")
    if tool == "7zz" and sample == "dmg/decmpfs-zlib.dmg" and size == 0:
        return ("7-Zip does not accept libdmg-hfsplus's decmpfs blocks and writes an empty file; our bytes are the "
                "ones the image was made from (reference/dmg__decmpfs-zlib.dmg.source.tsv)")
    if tool == "bsdtar" and sample == "rar/rar4_lowdist_reset.rar":
        return ("bsdtar 3.6.2 decodes this valid archive wrongly (a libarchive bug fixed after 3.6.2); our bytes are "
                "the 64 libarchive's own test expects (crates/installsift/src/format_tests/rar.rs)")
    bad = [n for n in named if any(str(e).startswith("checksum") for e in n.get("errors", []))]
    if bad:
        return "the entry's stored data is corrupt: our node keeps what it decodes to with the checksum error; tools decode such data differently"
    if tool == "7zz" and size == 0 and any(n["size"] > 0 for n in named) and root_format == "xar":
        return "7-Zip's Xar handler does not decode the lzma/xz encodings and writes empty files (bsdtar decodes them and agrees with us)"
    if tool == "bsdtar" and root_format == "7z" and base == "deflate64.bin" and any("7z-crc32" in n.get("verified_by", []) for n in named):
        return "libarchive's 7z reader has no Deflate64 coder (\"Unknown codec ID: 40109\") and writes a file of the declared size without its bytes; ours match the recorded CRC-32 and 7zz"
    if any(str(e).startswith("encrypted") for n in nodes for e in n.get("errors", [])):
        return "encrypted: the tool was given the corpus password, installsift tries none (the node says `encrypted`)"
    if tool == "innoextract":
        return "innoextract writes `{app}\\dir\\f` as `app/dir/f`; installsift keeps Inno's own names (same bytes)"
    if tool == "7zz" and base == "[toc].xml":
        return "7-Zip writes the xar table of contents as `[TOC].xml`; installsift reads it into the node's metadata"
    if elsewhere and root_format in ("msi", "msm", "msp", "cfb"):
        return f"same name and bytes in sample `{elsewhere}`: the tool reads a sibling file (an MSI's external cabinet), which we scan as its own sample"
    if tool == "7zz" and root.get("family") == "inno" and "/" not in low:
        return "7-Zip's signature search opens a compressed stream inside the Inno data (with errors); it is not a file of the installer"
    if tool == "7zz" and root_format == "pe":
        if low.startswith(".") or "/" not in low or "certificate" in low:
            return "7-Zip's PE handler writes each section, resource and the certificate table as a file; installsift reports the PE as one node (resources that carry a payload are children)"
    if tool == "7zz" and (base.endswith("payload~") or base.endswith("scripts~")):
        return "7-Zip also decompresses a pkg's Payload/Scripts (gzip+cpio) stream; installsift reports that stream as one node"
    if tool == "7zz" and root_format in ("msi", "msm", "msp", "mst", "cfb"):
        return "7-Zip's Compound handler writes every CFB stream (tables, summary information, binary streams); installsift reports files, cabinets and payload streams"
    if tool == "7zz" and root_format == "nsis" or low.startswith("$"):
        return "7-Zip's NSIS handler names files by install-time path variables; installsift keeps NSIS's own names"
    if "uninstall.exe" in low or (base.endswith(".exe") and any(
            str(n.get("path", [""])[-1]).lower().endswith(base + ".nsis") for n in nodes)):
        return "7-Zip rebuilds the NSIS uninstaller from the exe stub (see crates/cli/tests/it/reference.rs)"
    if tool == "7zz" and "/" in low:
        parents = {norm(str(n.get("path", [""])[-1])).lower(): n.get("format") for n in nodes}
        parts = low.split("/")
        for k in range(1, len(parts)):
            if parents.get(parts[k - 1]) in ("cfb", "msi", "msm", "msp", "mst") or any(
                    key.endswith("/" + parts[k - 1]) and f in ("cfb",) for key, f in parents.items()):
                return "7-Zip's Compound handler writes every stream of a nested compound document; installsift lists the document as one node (its streams are opened only for installer databases)"
    if root.get("errors"):
        return "the sample is damaged and our root says so: " + str(root["errors"][0])[:120]
    if tool == "bsdtar" and root_format == "cfb":
        return "libarchive finds a zip by its end record inside a compound document's stream (an OOXML theme part); installsift does not open the streams of a compound document that is no installer"
    if tool == "cabextract" and root_format in ("msi", "msm", "msp", "cfb") and size == 0:
        return ("cabextract finds the cabinet by its MSCF signature inside the compound file and reads on as if the "
                "stream were contiguous; its sectors are not, so it writes empty files (cabextract on the stream itself, "
                "`msiinfo extract`, gives our bytes, as msiextract does)")
    if tool == "bsdtar" and sample.endswith("cab/lzx_blocks.cab"):
        return ("libarchive's LZX decoder fails on this generated stream (`LZX decompression failed (-25)`: an "
                "uncompressed block across frames) and writes what it had; cabextract and the encoder's input agree with us")
    if tool == "7zz" and sample.endswith("cab/lzx_far_match.cab"):
        return ("7-Zip 26.02 writes one byte of a match at distance window - 3 wrongly (reference/README.md); "
                "cabextract and the encoder's input agree with us")
    if tool == "bsdtar" and size > 0 and named and (
            sample.startswith("zip_legacy/") or sample.endswith("libmspack_mszip_lzx_qtm.cab")):
        return ("libarchive 3.6.2 has no shrink/reduce/implode (zip) or Quantum (cab) decoder: bsdtar reports "
                "`Unsupported ... compression` and writes zeros of the declared size; 7zz and unzip/cabextract agree with us")
    if tool == "7zz" and size == 0 and sample.startswith("zip_legacy/") and any(n["size"] > 0 for n in named):
        return "7-Zip has no reduce (methods 2-5) decoder and writes an empty file; our bytes are the ones zip2's test expects (README)"
    if tool in ("7zz", "cabextract") and sample.startswith("cab_set/") and elsewhere:
        return (f"a file of a cabinet set whose folder begins in an earlier cabinet: listed, with these bytes, under "
                f"that cabinet (`{elsewhere}`), which is joined with its siblings; the tool lists it again here")
    if tool == "7zz" and sample.endswith("iso/rockridge.iso") and size == 0:
        return ("7-Zip does not follow Rock Ridge directory relocation: it writes a 0-byte file where the moved "
                "directory belongs (and the directory under rr_moved); bsdtar agrees with our tree")
    if tool == "7zz" and sample.endswith(".lzma") and root_format == "unknown":
        return ("LZMA alone carries no magic: installsift opens one only when it decodes to a known format "
                "(content decides, corpus/README.md); 7-Zip opens it by its extension")
    if tool == "7zz" and root_format == "pe" and root.get("family") == "omaha":
        return "7-Zip decodes the Omaha payload resource (raw LZMA, then tar); installsift does not open it yet (gap in the PE/Omaha handling, not a wrong hash)"
    return None


def main():
    global CORPUS
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/installsift"))
    ap.add_argument("--only", default="")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--root", default=CORPUS, help="directory of samples (default: corpus/)")
    ap.add_argument("--out", default=os.path.join(ROOT, "scripts/results/crosscheck.txt"))
    a = ap.parse_args()
    CORPUS = os.path.abspath(a.root)
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        sys.exit("missing tools: " + ", ".join(f"{t} (apt-get install {PACKAGES[t]})" for t in missing))
    # Every node of every sample by (sha256, size) and name, for files a tool
    # reads from a sibling (an MSI's external cabinet).
    everywhere = {}
    todo = samples(a.only)
    for s in samples(""):
        work = tempfile.mkdtemp(prefix="xcheck.")
        try:
            for n in our_scan(a.bin, os.path.join(CORPUS, s), work)[1:]:
                if n.get("sha256"):
                    everywhere.setdefault((n["sha256"], n["size"], n["path"][-1].lower()), s)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    stats = {t: collections.Counter() for t in TOOLS}
    reasons = {t: collections.Counter() for t in TOOLS}
    detail = []
    unexplained = []
    for s in todo:
        path = os.path.join(CORPUS, s)
        work = tempfile.mkdtemp(prefix="xcheck.")
        try:
            nodes = our_scan(a.bin, path, work)
            root_format = nodes[0]["format"] if nodes else "unknown"
            by_hash, by_name = index(nodes)
            for t in TOOLS:
                files = extract(t, path, os.path.join(work, t), 1, a.depth)
                if not files:
                    continue
                stats[t]["samples"] += 1
                for rel, size, h in files:
                    stats[t]["files"] += 1
                    keys = name_keys(rel)
                    named = [n for k in keys for n in by_name.get(k, [])]
                    hashed = by_hash.get((h, size), [])
                    same = [n for n in named if n.get("sha256") == h and n["size"] == size]
                    other = everywhere.get((h, size, os.path.basename(norm(rel)).lower()))
                    # Only for a file not in this sample's nodes at all.
                    elsewhere = other if other and other != s and not named and not hashed else None
                    why = explain(t, s, rel, size, nodes, named, root_format, elsewhere)
                    if same:
                        stats[t]["matched"] += 1
                        continue
                    if hashed:
                        stats[t]["matched-renamed"] += 1
                        why = why or "same bytes under our name `" + "/".join(hashed[0]["path"][1:]) + "`"
                        reasons[t]["matched-renamed: " + (why if len(why) < 90 else why[:90] + "…")] += 1
                        detail.append(f"{t} | {s} | {rel} | matched-renamed | ours: {'/'.join(hashed[0]['path'][1:])}")
                        continue
                    with_hash = [n for n in named if n.get("sha256")]
                    no_hash = [n for n in named if not n.get("sha256")]
                    if with_hash:
                        stats[t]["BYTE-MISMATCH"] += 1
                        line = f"{t} | {s} | {rel} | BYTE-MISMATCH | tool {size} B {h} ours {with_hash[0]['size']} B {with_hash[0]['sha256']} | {why or 'UNEXPLAINED'}"
                        reasons[t]["BYTE-MISMATCH: " + (why or "UNEXPLAINED")] += 1
                        detail.append(line)
                        if not why:
                            unexplained.append(line)
                        continue
                    if no_hash:
                        stats[t]["not-decoded"] += 1
                        err = "; ".join(str(e)[:100] for e in no_hash[0].get("errors", []))
                        kind = err.split(":")[0] if err else "no error"
                        reasons[t][f"not-decoded: {kind}"] += 1
                        detail.append(f"{t} | {s} | {rel} | not-decoded | {err}")
                        continue
                    stats[t]["not-listed"] += 1
                    reasons[t]["not-listed: " + (why or "UNEXPLAINED")] += 1
                    line = f"{t} | {s} | {rel} | not-listed | {why or 'UNEXPLAINED'}"
                    detail.append(line)
                    if not why:
                        unexplained.append(line)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(s, file=sys.stderr)

    cols = ["samples", "files", "matched", "matched-renamed", "BYTE-MISMATCH", "not-decoded", "not-listed"]
    lines = ["# Reference cross-check (scripts/crosscheck.py)", "",
             "| tool | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for t in TOOLS:
        lines.append(f"| {t} | " + " | ".join(str(stats[t][c]) for c in cols) + " |")
    lines += ["", "Reasons:"]
    for t in TOOLS:
        for r, v in reasons[t].most_common():
            lines.append(f"  {t}: {v} × {r}")
    lines += ["", f"Unexplained: {len(unexplained)}"] + ["  " + u for u in unexplained]
    lines += ["", "Every disagreement (tool | sample | file | verdict | detail):"] + ["  " + d for d in detail]
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    # Names a tool wrote that are not UTF-8 (surrogate escapes) are replaced.
    with open(a.out, "w", errors="replace") as f:
        f.write("\n".join(lines) + "\n")
    sys.stdout.reconfigure(errors="replace")
    print("\n".join(lines[:4 + len(TOOLS) + 2 + sum(len(r) for r in reasons.values()) + 2]))
    sys.exit(1 if unexplained else 0)


if __name__ == "__main__":
    main()
