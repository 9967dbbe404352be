#!/usr/bin/env bash
# External checks of `installsift export` output (not cargo tests: they need
# tools a build machine may lack). Run once from the repository root after
# `cargo build`; the output is recorded in scripts/results/exports.txt.
#
# 1. sha256sum/sha1sum/md5sum: `sha256sum -c` (etc.) passes on the output
#    for the whole corpus (top-level files).
# 2. yara: the rules compile with the `yara` CLI, and scanning corpus/ with
#    them matches exactly the files listed (each rule its own file, every
#    listed file matched, nothing else).
# 3. stix2: the bundle parses and validates with python `stix2`
#    (pip install stix2), every indicator pattern included.
set -euo pipefail
bin=${INSTALLSIFT:-target/debug/installsift}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1717200000
fail=0

for f in sha256sum sha1sum md5sum; do
    "$bin" export --to $f corpus/ > "$tmp/list.$f" 2>/dev/null
    if $f -c --quiet "$tmp/list.$f"; then
        echo "OK   $f -c: $(wc -l < "$tmp/list.$f") top-level files"
    else
        echo "FAIL $f -c"; fail=1
    fi
done

echo "yara: $(yara --version)"
"$bin" export --to yara --hash sha256,md5 corpus/ > "$tmp/rules.yar" 2>/dev/null
if yarac "$tmp/rules.yar" "$tmp/rules.bin" 2>"$tmp/yarac.err"; then
    echo "OK   yarac compiles $(grep -c '^rule ' "$tmp/rules.yar") rules"
else
    echo "FAIL yarac: $(cat "$tmp/yarac.err")"; fail=1
fi
"$bin" export --to yara --hash sha256,imphash --depth all corpus/pe > "$tmp/imphash.yar" 2>/dev/null
if yarac "$tmp/imphash.yar" "$tmp/imphash.bin" 2>"$tmp/yarac.err"; then
    n=$(yara -r "$tmp/imphash.yar" corpus/pe/hello_x64.exe | grep -c imphash_ || true)
    echo "OK   yarac compiles $(grep -c '^rule ' "$tmp/imphash.yar") rules with pe.imphash(); $n imphash rule(s) match hello_x64.exe"
else
    echo "FAIL yarac (imphash): $(cat "$tmp/yarac.err")"; fail=1
fi
# Each rule is named after the SHA-256 of its file: a match is right when the
# matched file's SHA-256 is the one in the rule name.
yara -r "$tmp/rules.yar" corpus/ > "$tmp/matches" || true
python3 - "$tmp/matches" "$tmp/list.sha256sum" <<'PY' || fail=1
import hashlib, os, sys
matches = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
# sha256sum lines: the files the rules list (one per distinct content).
listed = {os.path.normpath(l.split("  ", 1)[1]): l.split("  ", 1)[0]
          for l in open(sys.argv[2]).read().splitlines()}
bad = 0
matched_files = set()
for rule, path in matches:
    path = os.path.normpath(path)
    want = rule.removeprefix("installsift_")
    got = hashlib.sha256(open(path, "rb").read()).hexdigest()
    matched_files.add(path)
    if want != got:
        print(f"FAIL yara rule {rule} matched {path} (sha256 {got})"); bad = 1
for p in listed:
    if p not in matched_files:
        print(f"FAIL yara: no rule matched listed file {p}"); bad = 1
if not bad:
    print(f"OK   yara -r corpus/: {len(matches)} matches, each on a file whose SHA-256 is its rule's; "
          f"all {len(listed)} listed files matched")
sys.exit(bad)
PY

"$bin" export --to stix2 --depth all --hash sha256,sha1,md5 --expiration 2030-01-01 corpus/ > "$tmp/bundle.json" 2>/dev/null
python3 - "$tmp/bundle.json" <<'PY' || fail=1
import json, sys
import stix2
from stix2.pattern_visitor import create_pattern_object
text = open(sys.argv[1]).read()
bundle = stix2.parse(text, allow_custom=False)
n = 0
for ind in bundle.objects:
    assert ind.type == "indicator" and ind.spec_version == "2.1"
    create_pattern_object(ind.pattern, version="2.1")  # raises on a bad pattern
    n += 1
ids = [o["id"] for o in json.loads(text)["objects"]]
assert len(ids) == len(set(ids)), "duplicate ids"
print(f"OK   stix2 {stix2.__version__ if hasattr(stix2, '__version__') else ''}: bundle {bundle.id} with {n} indicators parses and validates")
PY
# --- ioc (exp-ioc) ---
# Issue 19, hash exports: STIX with stix2-validator, MISP with pymisp and the
# file template it ships, YARA rules with yara-x as with YARA, no indicator
# of empty content, and a name that is not UTF-8 through `sha256sum -c`.
# Needs: pip install stix2-validator pymisp yara-x; coreutils; yara.
ioc=$tmp/ioc; mkdir -p "$ioc"

# STIX 2.1: the bundle of the corpus (every layer, three hash kinds).
# stix2-validator warns {103} on every indicator: ids are UUIDv5 on purpose
# (reproducible; see src/export/stix.rs); with that one check disabled the
# strict run (warnings as errors) must pass too.
if stix2_validator -q "$tmp/bundle.json"; then
    n103=$(stix2_validator "$tmp/bundle.json" 2>&1 | grep -c '{103}' || true)
    if stix2_validator -q --strict -d 103 "$tmp/bundle.json"; then
        echo "OK   stix2-validator $(pip show stix2-validator 2>/dev/null | sed -n 's/^Version: //p'): bundle valid; --strict valid with check 103 disabled; $n103 warning(s) {103} 'not a valid UUIDv4 ID' (deliberate UUIDv5)"
    else
        echo "FAIL stix2-validator --strict -d 103:"; stix2_validator --strict -d 103 "$tmp/bundle.json" | grep -v '^=' | head -20; fail=1
    fi
else
    echo "FAIL stix2-validator:"; stix2_validator "$tmp/bundle.json" | grep -v '{103}' | head -20; fail=1
fi
"$bin" export --to stix2 --depth all --action allow corpus/ > "$ioc/allow.json" 2>/dev/null
"$bin" export --to stix2 --depth all --action block corpus/ > "$ioc/block.json" 2>/dev/null
python3 - "$ioc/allow.json" "$ioc/block.json" <<'PY' || fail=1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ia = {o["id"] for o in a["objects"]} | {a["id"]}
ib = {o["id"] for o in b["objects"]} | {b["id"]}
shared = ia & ib
if shared:
    print(f"FAIL stix2: allow and block exports share {len(shared)} ids"); sys.exit(1)
print(f"OK   stix2: allow and block exports of the corpus share no id ({len(ia) - 1} + {len(ib) - 1} indicators, 2 bundles)")
PY

# MISP: the event loads in pymisp; every object is rebuilt through a strict
# MISPObject of the template pymisp ships (unknown relation, wrong type or a
# missing requiredOneOf fails), at that template's uuid and version.
"$bin" export --to misp-json --depth all corpus/ > "$ioc/event.json" 2>/dev/null
python3 - "$ioc/event.json" <<'PY' || fail=1
import json, logging, sys
import pymisp
from pymisp import MISPEvent, MISPObject
logging.getLogger("pymisp").setLevel(logging.ERROR)
ev = MISPEvent()
ev.load(open(sys.argv[1]).read())
types = ev.describe_types
bad, rels = [], 0
for o in ev.objects:
    strict = MISPObject(o.name, strict=True)
    d = strict._definition
    if (o.template_uuid, str(o.template_version)) != (d["uuid"], str(d["version"])):
        bad.append(f"{o.uuid}: template {o.template_uuid} v{o.template_version}, pymisp has {d['uuid']} v{d['version']}")
    for a in o.attributes:
        rels += 1
        t = d["attributes"].get(a.object_relation)
        if t is None:
            bad.append(f"{o.uuid}: relation {a.object_relation} not in the template"); continue
        if a.type != t["misp-attribute"]:
            bad.append(f"{o.uuid}: {a.object_relation} has type {a.type}, template says {t['misp-attribute']}")
        if a.type not in types["category_type_mappings"].get(a.category, []):
            bad.append(f"{o.uuid}: category {a.category} does not take type {a.type}")
        strict.add_attribute(a.object_relation, value=a.value, category=a.category, to_ids=a.to_ids)
    try:
        strict.to_dict(strict=True)
    except Exception as e:  # InvalidMISPObject
        bad.append(f"{o.uuid}: {e}")
for b in bad[:20]:
    print("FAIL pymisp", b)
if bad:
    sys.exit(1)
d = MISPObject("file")._definition
print(f"OK   pymisp {pymisp.__version__}: event with {len(ev.objects)} file objects ({rels} attributes) loads; "
      f"all match the file template v{d['version']} ({d['uuid']}) in strict mode")
PY

# yara-x: the same rules compile, and scanning corpus/ matches exactly what
# `yara -r` matched above; the imphash rules compile too.
python3 - "$tmp/rules.yar" "$tmp/imphash.yar" "$tmp/matches" <<'PY' || fail=1
import os, sys
import yara_x
rules = yara_x.compile(open(sys.argv[1]).read())
yara_x.compile(open(sys.argv[2]).read())
scanner = yara_x.Scanner(rules)
got = set()
for root, _, files in os.walk("corpus"):
    for f in files:
        p = os.path.join(root, f)
        for r in scanner.scan_file(p).matching_rules:
            got.add((r.identifier, os.path.normpath(p)))
want = {(l.split(" ", 1)[0], os.path.normpath(l.split(" ", 1)[1]))
        for l in open(sys.argv[3]).read().splitlines()}
if got != want:
    print(f"FAIL yara-x: {len(got - want)} matches yara has not, {len(want - got)} yara has and yara-x not")
    for m in sorted(got ^ want)[:10]:
        print("     ", m)
    sys.exit(1)
from importlib.metadata import version
print(f"OK   yara-x {version('yara-x')}: both rule files compile; "
      f"scanning corpus/ gives the same {len(got)} matches as yara -r")
PY

# No format writes the hash of empty content, though corpus/ holds empty
# files (top level and nested): each export warns instead.
empty_re='e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855|da39a3ee5e6b4b0d3255bfef95601890afd80709|d41d8cd98f00b204e9800998ecf8427e'
n_fmt=0
for f in sha256sum sha1sum md5sum cortex-xdr-csv cortex-xdr-json cortex-xdr-blocklist defender-csv crowdstrike-json applocker-xml wdac-xml stix2 misp-json openioc yara; do
    case $f in
        sha256sum|sha1sum|md5sum|applocker-xml|wdac-xml|cortex-xdr-blocklist|misp-json) h=() ;;
        defender-csv) h=(--hash sha256,sha1) ;;
        cortex-xdr-*|crowdstrike-json) h=(--hash sha256,md5) ;;
        yara) h=(--hash sha256,sha1,md5,imphash) ;;
        *) h=(--hash sha256,sha1,md5) ;;
    esac
    "$bin" export --to $f "${h[@]}" --depth all corpus/ > "$ioc/out.$f" 2> "$ioc/err.$f" || true
    if grep -Eiq "$empty_re" "$ioc/out.$f"; then
        echo "FAIL $f writes an empty-content hash"; fail=1
    elif ! grep -q "skipped [0-9]* empty file" "$ioc/err.$f"; then
        echo "FAIL $f: no warning about the empty files left out"; fail=1
    else
        n_fmt=$((n_fmt + 1))
    fi
done
echo "OK   no empty-content hash (SHA-256/SHA-1/MD5 of no bytes, imphash of no imports) in $n_fmt formats over corpus/ --depth all; each warns: $(grep -o 'skipped [0-9]* empty file(s)' "$ioc/err.sha256sum"); also left out: $(grep -o 'skipped [0-9]* nested entr[a-z]*' "$ioc/err.sha256sum") with bytes in doubt"

# `sha256sum -c` on a name that is not UTF-8 and holds a newline and a
# backslash (written raw and escaped as coreutils does).
odd=$ioc/names; mkdir -p "$odd"
printf 'odd' > "$odd/$(printf 'set\377up\nv2\\x.exe')"
printf 'plain' > "$odd/plain.txt"
abs_bin=$(realpath "$bin")
if (cd "$odd" && "$abs_bin" export --to sha256sum . > ../names.sha256 2>/dev/null && sha256sum -c ../names.sha256 > ../names.out); then
    echo "OK   sha256sum -c: a name with byte 0xff, a newline and a backslash round-trips ($(grep -c ': OK$' "$ioc/names.out") files OK)"
else
    echo "FAIL sha256sum -c on a non-UTF-8 name:"; cat "$ioc/names.out" 2>/dev/null; fail=1
fi
# --- end ioc (exp-ioc) ---

exit $fail
