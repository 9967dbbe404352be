#!/usr/bin/env python3
"""Hostile sweep of RAR volume sets: each volume of each set in
corpus/rar_volumes/ in turn replaced by the hostile sweep's mutants
(scripts/hostile_sweep.py: cuts, bit flips, header fields, duplicated and
zeroed ranges), its sibling volumes left whole beside it, and the set's
first volume scanned (the walk reads the mutant as it goes on into the
set); when the mutant is a later volume it is also scanned itself (it looks
for its first volume). Every run must end normally within the sweep's CPU,
memory and wall bounds with output that keeps the JSONL contract (the
findings are the hostile sweep's classes), and never be silently wrong: a
file of the set listed with a hash and no error must have the bytes
libarchive gives for that name (the reference listings), else the class
is `wrong-hash`.

Usage: scripts/rar_set_sweep.py [--per-kind 6] [--out scripts/results/rar_set_sweep.txt]
"""

import argparse
import collections
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import hostile_sweep as hs  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/installsift"))
    ap.add_argument("--per-kind", type=int, default=6)
    ap.add_argument("--out", default=os.path.join(ROOT, "scripts/results/rar_set_sweep.txt"))
    a = ap.parse_args()
    # The hostile sweep's bounds and run settings, unchanged.
    bounds = argparse.Namespace(cpu=2.0, rss=128.0, timeout=30.0, cpu_kill=20, as_limit=8192,
                                jobs="1")
    sets = collections.defaultdict(list)
    for f in glob.glob(os.path.join(ROOT, "corpus", "rar_volumes", "*")):
        base = os.path.basename(f)
        m = re.match(r"(.*)\.part(\d+)\.rar$", base)
        if m:
            sets[m.group(1)].append((int(m.group(2)), base))
            continue
        m = re.match(r"(.*)\.(rar|r(\d\d))$", base)  # the old numbering
        if m:
            sets[m.group(1)].append((-1 if m.group(2) == "rar" else int(m.group(3)), base))
    counts = collections.Counter()
    findings = []
    classes = hs.CLASSES + ["wrong-hash"]
    worst = []
    t0 = time.monotonic()
    for name in sorted(sets):
        volumes = [v for _, v in sorted(sets[name])]
        ref = {}
        with open(os.path.join(ROOT, "corpus", "reference",
                               f"rar_volumes__{volumes[0]}.bsdtar.tsv"), encoding="utf-8") as fh:
            for line in fh:
                n, size, sha = line.rstrip("\n").split("\t")
                ref[n] = sha
        for k, target in enumerate(volumes):
            data = open(os.path.join(ROOT, "corpus", "rar_volumes", target), "rb").read()
            rel = f"rar_volumes/{target}"
            for kind, desc, m in hs.mutants(data, rel, a.per_kind, hs.KINDS):
                work = tempfile.mkdtemp(prefix="rarset.")
                try:
                    for v in volumes:
                        if v != target:
                            shutil.copy(os.path.join(ROOT, "corpus", "rar_volumes", v), work)
                    with open(os.path.join(work, target), "wb") as fh:
                        fh.write(m)
                    scans = [volumes[0]] + ([target] if k > 0 else [])
                    for s in scans:
                        res = hs.run(a.bin, os.path.join(work, s), bounds)
                        counts[("runs", kind)] += 1
                        worst.append((res[1], res[2], target, kind, desc, s))
                        for cls, detail in hs.classify(res, os.path.join(work, s), bounds):
                            counts[(cls, kind)] += 1
                            findings.append((cls, target, kind, desc, s, detail))
                        for line in res[4].decode("utf-8", "replace").splitlines():
                            try:
                                node = json.loads(line)
                            except ValueError:
                                continue
                            path = node.get("path") or []
                            if not (len(path) == 2 and node.get("sha256")
                                    and not node.get("errors") and path[1] in ref):
                                continue
                            counts[("compared", "")] += 1
                            if node["sha256"] != ref[path[1]]:
                                counts[("wrong-hash", kind)] += 1
                                findings.append(("wrong-hash", target, kind, desc, s,
                                                 f"{path[1]}: {node['sha256']}"))
                finally:
                    shutil.rmtree(work)
        print(f"{name}: {len(findings)} findings so far ({time.monotonic() - t0:.0f} s)",
              file=sys.stderr, flush=True)
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty", "--abbrev=7"],
                            capture_output=True, text=True).stdout.strip()
    runs = sum(v for (c, _), v in counts.items() if c == "runs")
    compared = counts[("compared", "")]
    lines = ["# RAR volume-set sweep (scripts/rar_set_sweep.py)", "",
             f"binary: release build of {commit}; per-kind {a.per_kind}; bounds: CPU {bounds.cpu} s, "
             f"peak RSS {bounds.rss:.0f} MiB, wall {bounds.timeout:.0f} s; one process at a time",
             f"sets: {len(sets)}; volumes mutated: {sum(len(v) for v in sets.values())}; "
             f"scans: {runs}; run time {time.monotonic() - t0:.0f} s; files listed with a hash "
             f"and no error, compared with libarchive's: {compared}", "",
             "| class | " + " | ".join(hs.KINDS) + " | total |",
             "|---|" + "---|" * (len(hs.KINDS) + 1)]
    for c in ["runs"] + classes:
        row = [counts[(c, k)] for k in hs.KINDS]
        lines.append(f"| {c} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    lines.append("")
    lines.append("Highest CPU (s) and peak RSS (MiB):")
    for cpu, rss, target, kind, desc, s in sorted(worst, reverse=True)[:5]:
        lines.append(f"- {cpu:.2f} s, {rss:.0f} MiB: {target} {kind} {desc} (scanned {s})")
    lines.append("")
    lines.append("Findings:" if findings else "Findings: none")
    for f in findings:
        lines.append("- " + " | ".join(map(str, f)))
    text = "\n".join(lines) + "\n"
    with open(a.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(text)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
