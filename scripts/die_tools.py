#!/usr/bin/env python3
"""Compare installsift's builder identification (`tools`, issue 21) with
Detect It Easy's, sample by sample.

Runs DIE (python `die-python`, which bundles DIE's engine and database:
`pip install die-python`) on every corpus file, as scripts/die_compare.py
does (DIE's detections on the file itself, not on its overlay), and
installsift (`scan -f jsonl`, the input's own node). Each DIE detection of
type Installer, Sfx, Packer, Protector, Compiler, Linker or Library is
paired with installsift's tool of the same name (DIE's names mapped to
ours by ALIASES; Installer and Sfx pair with each other), then:

  same     same tool, same version (versions compared as numbers: 11.00.28844
           = 11.0.0.28844; DIE's `2.25*` is 2.25)
  version  same tool, versions differ (both listed)
  die-v    same tool, only DIE states a version
  ours-v   same tool, only installsift states a version
  die      only DIE names it
  ours     only installsift names it (per tool of ours left unpaired)

Writes a Markdown table (one row per file where either side names a tool)
and the counts.

    python3 scripts/die_tools.py [--bin target/release/installsift] [--out FILE] [DIR...]
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import die_compare  # noqa: E402  (files_under, die_detections)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = {
    "Installer": "installer",
    "Sfx": "sfx",
    "Packer": "packer",
    "Protector": "protector",
    "Compiler": "compiler",
    "Linker": "linker",
    "Library": "library",
}
# DIE's name -> installsift's.
ALIASES = {
    "Nullsoft Scriptable Install System": "NSIS",
    "Inno Setup Module": "Inno Setup",
    "WiX Toolset Installer": "WiX Burn",
    "WiX Toolset installer": "WiX Burn",
    "Microsoft Cabinet": "IExpress",
    "Squirrel Installer": "Squirrel",
    "Wise Installer": "Wise",
    "Microsoft Visual C/C++": "MSVC",
    "Microsoft Linker": "MSVC",
    "Embarcadero Delphi": "Delphi",
    "Borland Delphi": "Delphi",
    "GNU linker ld (GNU Binutils)": "GNU ld",
    "MinGW": "GCC",
    "GCC": "GCC",
    ".NET Core": ".NET",
    ".NET Framework": ".NET",
}
DETECTION = re.compile(r"^(?P<name>[^(\[]*?)\s*(?:\((?P<version>[^)]*)\))?\s*(?:\[(?P<details>.*)\])?\s*$")


def parse(die_type, string):
    """(kind, name, version, details) of one DIE detection string, which
    die-python prefixes with its type (`Compiler: Microsoft Visual C/C++(19.36)[C]`)."""
    s = string
    if s.startswith(die_type + ": "):
        s = s[len(die_type) + 2:]
    m = DETECTION.match(s)
    name = m.group("name").strip() if m else s
    return KINDS[die_type], ALIASES.get(name, name), (m.group("version") if m else None), (m.group("details") if m else None)


def numbers(v):
    """The leading dotted number of a version, zero components dropped:
    `11.00.28844` and `11.0.0.28844` both give (11, 28844)."""
    if not v:
        return None
    m = re.match(r"v?(\d+(?:\.\d+)*)", v.strip())
    if not m:
        return (v,)
    return tuple(int(x) for x in m.group(1).split(".") if int(x) != 0)


def ours(binary, path):
    out = subprocess.run([binary, "scan", "-f", "jsonl", path], capture_output=True, text=True).stdout
    line = out.splitlines()[0] if out else "{}"
    return json.loads(line).get("tools") or []


def show(t):
    s = t["name"]
    if t.get("version"):
        s += f"({t['version']})"
    if t.get("details"):
        s += f"[{t['details']}]"
    return f"{t['kind'].capitalize()}: {s}"


def same_kind(a, b):
    return a == b or {a, b} == {"installer", "sfx"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/installsift"))
    ap.add_argument("--out", default=None)
    ap.add_argument("dirs", nargs="*")
    a = ap.parse_args()
    die = die_compare.die_module()
    dirs = a.dirs or [os.path.join(ROOT, "corpus")]
    counts = {k: 0 for k in ("same", "version", "die-v", "ours-v", "die", "ours")}
    rows = []
    files = die_compare.files_under(dirs)
    for f in files:
        own, _nested = die_compare.die_detections(die, f)
        theirs = [parse(t, s) for t, s in own if t in KINDS]
        mine = ours(a.bin, f)
        if not theirs and not mine:
            continue
        left = list(mine)
        verdicts = []
        for kind, name, version, _details in theirs:
            match = next((t for t in left if same_kind(t["kind"], kind) and t["name"] == name), None)
            if match is None:
                counts["die"] += 1
                verdicts.append(f"die: {name}" + (f"({version})" if version else ""))
                continue
            left.remove(match)
            dv, ov = numbers(version), numbers(match.get("version"))
            if dv and ov:
                st = "same" if dv == ov else "version"
            elif dv:
                st = "die-v"
            elif ov:
                st = "ours-v"
            else:
                st = "same"
            counts[st] += 1
            if st != "same":
                verdicts.append(f"{st}: {name} DIE {version or '-'} / ours {match.get('version') or '-'}")
        for t in left:
            counts["ours"] += 1
            verdicts.append(f"ours: {t['name']}")
        name = os.path.relpath(f, ROOT) if f.startswith(ROOT) else f
        die_s = "; ".join(s for t, s in own if t in KINDS) or "—"
        ours_s = "; ".join(show(t) for t in mine) or "—"
        rows.append(f"| `{name}` | {die_s} | {ours_s} | {'; '.join(verdicts) or 'agree'} |")
    paired = counts["same"] + counts["version"] + counts["die-v"] + counts["ours-v"]
    head = [
        f"# Builder identification: installsift `tools` vs Detect It Easy (scripts/die_tools.py)",
        "",
        f"die-python {die.__version__} (DIE engine {die.die_version}); installsift {os.path.relpath(a.bin, ROOT) if a.bin.startswith(ROOT) else a.bin}",
        f"{len(files)} files; {len(rows)} where either names a tool.",
        "",
        f"* tools both name: {paired}",
        f"  * same version (or neither states one): {counts['same']}",
        f"  * versions differ: {counts['version']}",
        f"  * only DIE states a version: {counts['die-v']}",
        f"  * only installsift states a version: {counts['ours-v']}",
        f"* only DIE names: {counts['die']}",
        f"* only installsift names: {counts['ours']}",
        "",
        "| file | DIE | installsift | differences |",
        "|---|---|---|---|",
    ]
    text = "\n".join(head + rows) + "\n"
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
