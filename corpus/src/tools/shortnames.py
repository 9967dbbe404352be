#!/usr/bin/env python3
# installsift test corpus: give File.FileName and Directory.DefaultDir values that are
# not valid 8.3 names a "SHORT|Long Name" pair, the way real WiX/InstallShield MSIs do.
# wixl 0.101 only writes the long name (it ignores ShortName=), so build.sh exports the
# tables with `msiinfo export`, runs them through this script and re-imports them with
# `msibuild -i`.  Deterministic: SHORT = first 6 usable chars of the stem + "~N" + ext[:3].
# usage: shortnames.py File.idt|Directory.idt   (rewritten in place)
# SPDX-License-Identifier: MIT OR Apache-2.0
import re
import sys

VALID83 = re.compile(r"^[A-Za-z0-9_\-!#$%&'()@^`{}~]{1,8}(\.[A-Za-z0-9_\-!#$%&'()@^`{}~]{1,3})?$")


def short_for(name, used):
    if VALID83.match(name) or name in (".", "SourceDir") or "|" in name:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    clean = lambda s: re.sub(r"[^A-Za-z0-9_\-]", "", s).upper()
    stem, ext = clean(stem)[:6] or "FILE", clean(ext)[:3]
    n = 1
    while True:
        cand = f"{stem}~{n}" + (f".{ext}" if ext else "")
        if cand not in used:
            used.add(cand)
            return f"{cand}|{name}"
        n += 1


def main(path):
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\r\n")
    cols = lines[0].split("\t")
    table = lines[2].split("\t")[0]
    col = {"File": "FileName", "Directory": "DefaultDir"}[table]
    idx = cols.index(col)
    used = set()
    for i in range(3, len(lines)):
        if not lines[i]:
            continue
        row = lines[i].split("\t")
        row[idx] = short_for(row[idx], used)
        lines[i] = "\t".join(row)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1])
