#!/usr/bin/env python3
"""Compare installsift's installer verdicts with Detect It Easy's.

Runs DIE (python `die-python`, which bundles DIE's engine and signature
database: `pip install die-python`) and installsift on every file of the
corpus (and of any other directories given), and lists

  * every file where DIE names an installer (a detection of type
    `Installer` or `Sfx` on the file itself, not only inside its overlay)
    and installsift's verdict is not `installer`: a MISSED installer;
  * every file where installsift says `installer` and DIE names none
    (installsift's extra detections: structural facts DIE has no signature
    for, or formats DIE does not treat as installers, e.g. MSI);

with DIE's detection strings and installsift's family beside each. The
bar: no MISSED line.

    python3 scripts/die_compare.py [--bin target/release/installsift] [DIR...]
    (default DIR: corpus/; the summary goes to stdout)
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_TOP = {"src", "reference"}


def die_module():
    try:
        import die  # noqa: F401
    except ImportError:
        sys.exit("python module die missing: pip install die-python")
    return die


def die_detections(die, path):
    """[(type, string)] of DIE's detections on the file itself (its own
    filetype's values; detections of nested parts such as the overlay are
    returned separately)."""
    flags = die.ScanFlags.DEEP_SCAN | die.ScanFlags.RESULT_AS_JSON | die.ScanFlags.RECURSIVE_SCAN
    raw = die.scan_file(path, flags, str(die.database_path))
    own, nested = [], []
    if not raw:
        return own, nested
    try:
        doc = json.loads(raw)
    except ValueError:
        return own, nested

    def walk(values, into):
        for v in values:
            if "values" in v:  # a nested part (overlay, resource)
                walk(v["values"], nested)
            elif v.get("type") not in (None, "Unknown"):
                into.append((v["type"], v.get("string", "")))

    for d in doc.get("detects", []):
        walk(d.get("values", []), own)
    return own, nested


def is_installer(dets):
    return [s for t, s in dets if t.lower() in ("installer", "sfx")]


def files_under(dirs):
    out = []
    for d in dirs:
        for base, subdirs, names in os.walk(d):
            rel = os.path.relpath(base, d)
            top = rel.split(os.sep)[0]
            if d.rstrip("/").endswith("corpus") and top in SKIP_TOP:
                continue
            subdirs.sort()
            for n in sorted(names):
                if n.startswith(".") or n.endswith((".md", ".sh", ".tsv")):
                    continue
                if rel == "." and d.rstrip("/").endswith("corpus"):
                    continue  # corpus/README.md, build.sh, fetch.sh
                out.append(os.path.join(base, n))
    return out


def ours(binary, path):
    out = subprocess.run(
        [binary, "scan", "-f", "jsonl", path],
        capture_output=True, text=True,
    ).stdout
    line = out.splitlines()[0] if out else "{}"
    n = json.loads(line)
    signals = [e["signal"] for e in n.get("evidence", [])]
    return n.get("verdict"), n.get("family"), n.get("kind"), (n.get("installer") or {}).get("engine_version"), signals


def explained(kind, signals):
    """Why installsift deliberately says not-installer where DIE names an
    installer engine (docs/CLASSIFICATION.md), or None."""
    if kind == "uninstaller":
        return "an uninstaller (removes software, installs nothing); DIE names the engine that built it"
    if kind == "engine-stub":
        return "the engine's stub with no payload attached (installs nothing by itself)"
    if "squirrel-aware-version" in signals:
        return ("a Squirrel-aware application (version-info key SquirrelAwareVersion, which DIE's "
                "Squirrel rule keys on): the app Squirrel installs, not a Setup.exe")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/installsift"))
    ap.add_argument("dirs", nargs="*")
    a = ap.parse_args()
    die = die_module()
    dirs = a.dirs or [os.path.join(ROOT, "corpus")]
    missed, why_not, extra, agree, both_not = [], [], [], [], 0
    files = files_under(dirs)
    for f in files:
        own, nested = die_detections(die, f)
        die_inst = is_installer(own)
        verdict, family, kind, version, signals = ours(a.bin, f)
        name = os.path.relpath(f, ROOT) if f.startswith(ROOT) else f
        ours_s = f"{verdict}" + (f":{family}" if family else "") + (f" ({kind})" if kind else "") + (f" v{version}" if version else "")
        reason = explained(kind, signals)
        if die_inst and verdict != "installer" and reason:
            why_not.append(f"EXPLAINED {name}\n        DIE: {'; '.join(die_inst)}\n        installsift: {ours_s}: {reason}")
        elif die_inst and verdict != "installer":
            missed.append(f"MISSED  {name}\n        DIE: {'; '.join(die_inst)}\n        installsift: {ours_s}")
        elif verdict == "installer" and not die_inst:
            dn = "; ".join(s for _, s in own + nested) or "nothing"
            extra.append(f"EXTRA   {name}\n        DIE: {dn}\n        installsift: {ours_s}")
        elif die_inst:
            agree.append(f"agree   {name}: DIE {'; '.join(die_inst)} | installsift {ours_s}")
        else:
            both_not += 1
    print(f"die-python {die.__version__} (DIE engine {die.die_version}); installsift {a.bin}")
    print(f"{len(files)} files under {', '.join(os.path.relpath(d, ROOT) if d.startswith(ROOT) else d for d in dirs)}")
    print(f"  both installer: {len(agree)}")
    print(f"  DIE installer, installsift not, unexplained (MISSED): {len(missed)}")
    print(f"  DIE installer, installsift not by design (EXPLAINED): {len(why_not)}")
    print(f"  installsift installer, DIE none (EXTRA): {len(extra)}")
    print(f"  neither: {both_not}")
    print()
    for block in (missed, why_not, extra, agree):
        for line in block:
            print(line)
        if block:
            print()
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
