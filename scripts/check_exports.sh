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
exit $fail
