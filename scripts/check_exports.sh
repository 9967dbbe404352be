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
# --- sigma/xql (exp-bioc) ---
# 4. sigma: rules for every installer of the corpus (--depth all) pass
#    `sigma check` (sigma-cli) with no errors and no issues, and convert with
#    pySigma's Splunk backend (-p sysmon) and Elasticsearch backend (lucene
#    and eql, -p ecs_windows) without errors, one query per rule. Hostile
#    file names (quotes, `# x:`, leading `*`/`&`/`- `, `?`, non-ASCII) are
#    read back by pySigma: the Image|endswith / package value is the name.
#    pip install sigma-cli pysigma-backend-splunk pysigma-backend-elasticsearch pysigma-pipeline-sysmon
# 5. cortex-xql: there is no offline XQL validator. tests/it/bioc.rs has our
#    own tokenizer and parser (from the XQL reference) that every query of
#    the corpus must pass, with its regexes compiled and run; run here.
if ! command -v sigma >/dev/null; then
    echo "FAIL sigma-cli missing (pip install sigma-cli pysigma-backend-splunk pysigma-backend-elasticsearch pysigma-pipeline-sysmon)"; fail=1
else
    # sigma check's file-name validator wants 10-70 lowercase characters.
    rules="$tmp/installsift_behaviour_rules.yml"
    "$bin" export --to sigma --depth all corpus/ > "$rules" 2>/dev/null
    n=$(grep -c '^title: ' "$rules")
    echo "sigma-cli $(sigma version | cut -d' ' -f1), pySigma $(python3 -c 'import importlib.metadata as m; print(m.version("pySigma"))')"
    if sigma check --fail-on-error --fail-on-issues "$rules" > "$tmp/sigma.check" 2>&1; then
        echo "OK   sigma check: $n rules (--depth all corpus/), $(grep -o 'Found .*' "$tmp/sigma.check")"
    else
        echo "FAIL sigma check:"; tail -20 "$tmp/sigma.check"; fail=1
    fi
    for t in "splunk sysmon" "lucene ecs_windows" "eql ecs_windows"; do
        set -- $t
        if sigma convert -t "$1" -p "$2" "$rules" > "$tmp/conv.$1" 2>"$tmp/conv.err"; then
            q=$(grep -c . "$tmp/conv.$1")
            if [ "$q" -eq "$n" ]; then
                echo "OK   sigma convert -t $1 -p $2: $q queries for $n rules"
            else
                echo "FAIL sigma convert -t $1 -p $2: $q queries for $n rules"; fail=1
            fi
        else
            echo "FAIL sigma convert -t $1 -p $2: $(tail -3 "$tmp/conv.err")"; fail=1
        fi
    done
    mkdir -p "$tmp/hostile"
    # Five different NSIS installers (the same content would be merged).
    set -- zlib lzma bzip2 zlib_solid lzma_solid
    for name in "we'ird \"q\" # x: y.exe" '*star&amp?.exe' '&anchor.exe' '- dash: #.exe' 'Ünïcødé セットアップ.exe'; do
        cp "corpus/nsis/$1.exe" "$tmp/hostile/$name"; shift
    done
    cp corpus/msi/simple.msi "$tmp/hostile/{pkg}*?: #.msi"
    hostile="$tmp/installsift_hostile_names.yml"
    "$bin" export --to sigma "$tmp/hostile" > "$hostile" 2>/dev/null
    # The escaped_wildcard validator flags exactly what these names need
    # (a literal `*` or `?`, escaped): excluded for this set only.
    if sigma check --fail-on-error --fail-on-issues --exclude escaped_wildcard "$hostile" > "$tmp/sigma.check" 2>&1 \
        && sigma convert -t splunk -p sysmon "$hostile" > /dev/null 2>&1 \
        && sigma convert -t lucene -p ecs_windows "$hostile" > /dev/null 2>&1; then
        python3 - "$hostile" "$tmp/hostile" <<'PY' || fail=1
import os, sys
from sigma.collection import SigmaCollection
rules = SigmaCollection.from_yaml(open(sys.argv[1], encoding="utf-8").read())
names = sorted(os.listdir(sys.argv[2]))
seen = set()
for r in rules:
    for key in ("image_name", "package"):
        det = r.detection.detections.get(key)
        if det is None:
            continue
        for item in det.detection_items:
            for v in item.value:
                # endswith/contains added the outer `*`; the rest must be
                # one literal (no wildcard left from an unescaped `*`/`?`).
                parts = list(v.s)
                while parts and not isinstance(parts[0], str):
                    parts.pop(0)
                while parts and not isinstance(parts[-1], str):
                    parts.pop()
                if all(isinstance(p, str) for p in parts):
                    seen.add("".join(parts))
want = {"\\" + n for n in names if n.endswith(".exe")} | {n for n in names if n.endswith(".msi")}
missing = want - seen
if missing:
    print(f"FAIL hostile names not read back by pySigma: {sorted(missing)}"); sys.exit(1)
print(f"OK   hostile names: {len(rules)} rules pass sigma check (escaped_wildcard excluded: the escapes are meant), convert (splunk, lucene), and pySigma reads back all {len(want)} names exactly")
PY
    else
        echo "FAIL hostile names: $(tail -5 "$tmp/sigma.check")"; fail=1
    fi
fi
"$bin" export --to cortex-xql --depth all corpus/ > "$tmp/rules.xql" 2>/dev/null
echo "cortex-xql: $(grep -c '^dataset = xdr_data' "$tmp/rules.xql") queries for the corpus (--depth all); no offline validator exists"
if cargo test -q --test it bioc:: > "$tmp/bioc.test" 2>&1; then
    echo "OK   cargo test --test it bioc:: (own XQL grammar check, regexes compiled and run): $(grep -o '[0-9]* passed' "$tmp/bioc.test" | tail -1)"
else
    echo "FAIL cargo test --test it bioc::"; tail -20 "$tmp/bioc.test"; fail=1
fi
# --- end sigma/xql (exp-bioc) ---

exit $fail
