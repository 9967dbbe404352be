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
# 5. cortex-xql: there is no offline XQL validator. crates/cli/tests/it/bioc.rs has our
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

# --- applocker/wdac/x509 (exp-ms) ---
# 4. wdac-xml: every action x rule kind over the whole corpus validates with
#    `xmllint --schema cipolicy.xsd`; deny policies carry Enabled:UMCI, allow
#    policies are supplemental.
# 5. applocker-xml: hash and publisher rules validate with the AppLocker XSD.
# 6. misp-json: the x509 objects load with PyMISP and rebuild strictly
#    against its x509 template; each is referenced by its file (signed-by).
# The schemas are public but not committed; fetched at check time:
#   cipolicy.xsd: Windows ships it as %windir%\schemas\CodeIntegrity\cipolicy.xsd;
#     public copy: github.com/yufanphombolimbu/WDAC (cipolicy.xsd, commit
#     474dc0a13409d702293d759f70110bf01fb0e215, found with the code search).
#   AppLocker: Microsoft's "AppLocker XSD" page, the ```xml block of
#     MicrosoftDocs/windows-itpro-docs windows/client-management/mdm/applocker-xsd.md.
# Without the web: put cipolicy.xsd and applocker.xsd in $SCHEMA_DIR
# (default ~/.cache/installsift-schemas). A missing schema is a FAIL, not a skip.
echo "== applocker/wdac/x509 (exp-ms)"
schema_dir=${SCHEMA_DIR:-$HOME/.cache/installsift-schemas}
cipolicy_url=https://raw.githubusercontent.com/yufanphombolimbu/WDAC/474dc0a13409d702293d759f70110bf01fb0e215/cipolicy.xsd
applocker_url=https://raw.githubusercontent.com/MicrosoftDocs/windows-itpro-docs/public/windows/client-management/mdm/applocker-xsd.md
fetch_schema() { # name url extract
    if curl -fsSL --max-time 20 "$2" -o "$tmp/$1.src" 2>/dev/null; then
        echo "     schema $1: fetched from $2"
    elif [ -s "$schema_dir/$1" ]; then
        cp "$schema_dir/$1" "$tmp/$1.src"
        echo "     schema $1: $schema_dir/$1 (web unreachable)"
    else
        echo "FAIL schema $1: not fetched ($2) and not in $schema_dir"; return 1
    fi
    case $3 in
        # The ```xml block of the docs page (a .xsd copy passes through).
        markdown) python3 -c 'import re,sys; t=open(sys.argv[1]).read(); m=re.search(r"```xml\n(.*?)```", t, re.S); print((m.group(1) if m else t).strip())' "$tmp/$1.src" > "$tmp/$1" ;;
        # libxml2 rejects `\$` (not an XSD escape) in the three macro
        # patterns (Macros, SidType, AppIdType), which our policies never use.
        cipolicy) sed -e 's/\\\$/$/g' "$tmp/$1.src" > "$tmp/$1" ;;
        *) cp "$tmp/$1.src" "$tmp/$1" ;;
    esac
}
if fetch_schema cipolicy.xsd "$cipolicy_url" cipolicy; then
    for action in block audit allow; do
        for rule in hash publisher pca both; do
            out="$tmp/wdac-$action-$rule.xml"
            "$bin" export --to wdac-xml --depth all --action $action --rule $rule corpus/ > "$out" 2>/dev/null
            h=$(grep -c ' Hash="' "$out" || true)
            g=$(grep -c '<Signer ID=' "$out" || true)
            type=$(grep -o 'PolicyType="[^"]*"' "$out")
            umci=$(grep -c '<Option>Enabled:UMCI</Option>' "$out" || true)
            if ! xmllint --noout --schema "$tmp/cipolicy.xsd" "$out" 2>"$tmp/xmllint.err"; then
                echo "FAIL wdac-xml --action $action --rule $rule: $(head -3 "$tmp/xmllint.err")"; fail=1
            elif [ "$action" = allow ] && [ "$type $umci" != 'PolicyType="Supplemental Policy" 0' ]; then
                echo "FAIL wdac-xml --action allow --rule $rule: $type, UMCI $umci (want a supplemental policy)"; fail=1
            elif [ "$action" != allow ] && [ "$type $umci" != 'PolicyType="Base Policy" 1' ]; then
                echo "FAIL wdac-xml --action $action --rule $rule: $type, UMCI $umci (want a base policy with UMCI)"; fail=1
            else
                echo "OK   wdac-xml --action $action --rule $rule: valid against cipolicy.xsd, $type, UMCI $umci, $h hash rules (Sha1+Sha256), $g signers"
            fi
        done
    done
    # Control: the schema does reject the IDs we used to write (a digit
    # right after ID_DENY_).
    sed -e 's/ID_DENY_H/ID_DENY_8/g' "$tmp/wdac-block-hash.xml" > "$tmp/wdac-digit.xml"
    if xmllint --noout --schema "$tmp/cipolicy.xsd" "$tmp/wdac-digit.xml" 2>/dev/null; then
        echo "FAIL control: cipolicy.xsd accepted ID_DENY_8…"; fail=1
    else
        echo "OK   control: cipolicy.xsd rejects the same policy with IDs ID_DENY_8… (digit after ID_DENY_)"
    fi
else
    fail=1
fi
if fetch_schema applocker.xsd "$applocker_url" markdown; then
    for action in block allow; do
        for rule in hash publisher both; do
            out="$tmp/applocker-$action-$rule.xml"
            "$bin" export --to applocker-xml --depth all --action $action --rule $rule corpus/ > "$out" 2>/dev/null
            h=$(grep -c '<FileHashRule ' "$out" || true)
            p=$(grep -c '<FilePublisherRule ' "$out" || true)
            if ! xmllint --noout --schema "$tmp/applocker.xsd" "$out" 2>"$tmp/xmllint.err"; then
                echo "FAIL applocker-xml --action $action --rule $rule: $(head -3 "$tmp/xmllint.err")"; fail=1
            elif grep -q 'EnforcementMode="Enabled"' "$out"; then
                echo "FAIL applocker-xml --action $action --rule $rule: a collection is Enabled"; fail=1
            else
                echo "OK   applocker-xml --action $action --rule $rule: valid against the AppLocker XSD, $h hash + $p publisher rules, AuditOnly"
            fi
        done
    done
else
    fail=1
fi
"$bin" export --to misp-json --depth all corpus/ > "$tmp/misp.json" 2>/dev/null
python3 - "$tmp/misp.json" <<'PY' || fail=1
import sys
try:
    import pymisp
    from pymisp import MISPEvent, MISPObject
except ImportError:
    sys.exit("FAIL pymisp missing: pip install pymisp")
ev = MISPEvent()
ev.load(open(sys.argv[1]).read())
objs = {o.uuid: o for o in ev.objects}
certs = [o for o in ev.objects if o.name == "x509"]
referenced = set()
for o in ev.objects:
    for r in o.references:
        assert r.relationship_type == "signed-by", r.relationship_type
        assert objs[r.referenced_uuid].name == "x509", r.referenced_uuid
        referenced.add(r.referenced_uuid)
for o in certs:
    t = MISPObject("x509", strict=True)  # the template PyMISP ships
    assert o.template_uuid == t.template_uuid and int(o.template_version) == int(t.template_version), \
        (o.template_uuid, o.template_version, t.template_uuid, t.template_version)
    for a in o.attributes:
        b = t.add_attribute(a.object_relation, value=a.value)  # unknown relation raises
        assert b.type == a.type, (a.object_relation, a.type, b.type)
    t._validate()  # requiredOneOf
assert certs and referenced == {o.uuid for o in certs}, (len(certs), len(referenced))
print(f"OK   pymisp {pymisp.__version__}: {len(certs)} x509 objects (template {certs[0].template_uuid} "
      f"v{certs[0].template_version}) rebuild strictly; each referenced signed-by from its file object")
PY
# --- end applocker/wdac/x509 (exp-ms) ---
# --- ioc (exp-ioc) ---
# Issue 19, hash exports: STIX with stix2-validator, MISP with pymisp and the
# file template it ships, YARA rules with yara-x as with YARA, no indicator
# of empty content, and a name that is not UTF-8 through `sha256sum -c`.
# Needs: pip install stix2-validator pymisp yara-x; coreutils; yara.
ioc=$tmp/ioc; mkdir -p "$ioc"

# STIX 2.1: the bundle of the corpus (every layer, three hash kinds).
# stix2-validator warns {103} on every indicator: ids are UUIDv5 on purpose
# (reproducible; see crates/export/src/stix.rs); with that one check disabled the
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

# --- openioc ---
# 7. openioc: the document validates with xmllint against the OpenIOC 1.1
#    schema (fireeye/OpenIOC_1.1 schemas/ioc.xsd, Apache-2.0; fetched at check
#    time, or openioc-1.1.xsd in $SCHEMA_DIR), for the corpus with --depth all.
echo "== openioc"
openioc_url=https://raw.githubusercontent.com/fireeye/OpenIOC_1.1/master/schemas/ioc.xsd
if fetch_schema openioc-1.1.xsd "$openioc_url" plain; then
    "$bin" export --to openioc --depth all corpus/ > "$tmp/all.ioc" 2>/dev/null
    n=$(grep -c '<IndicatorItem ' "$tmp/all.ioc" || true)
    if xmllint --noout --schema "$tmp/openioc-1.1.xsd" "$tmp/all.ioc" 2>"$tmp/openioc.err"; then
        echo "OK   openioc: valid against the OpenIOC 1.1 schema, $n indicator items"
    else
        echo "FAIL openioc: $(tail -3 "$tmp/openioc.err")"; fail=1
    fi
else
    fail=1
fi
# --- end openioc ---

exit $fail
