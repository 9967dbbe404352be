#!/usr/bin/env python3
"""Check that a golden regeneration only added `error_details` beside `errors`.

For every expected file changed against a git revision: each new line with
its `,"error_details":[...]` removed must equal the old line byte for byte,
and each detail must rebuild its `errors` string (`kind: message`, or
`limit-exceeded: limit: message`). Prints counts; exits 1 on any mismatch.
"""
import json, subprocess, sys

rev = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
root = "crates/cli/tests/expected"
files = subprocess.run(["git", "diff", "--name-only", rev, "--", root],
                       capture_output=True, text=True, check=True).stdout.split()
dec = json.JSONDecoder()
bad = lines = added = with_offset = details = 0
for f in files:
    old = subprocess.run(["git", "show", f"{rev}:{f}"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    new = open(f, encoding="utf-8").read().splitlines()
    if len(old) != len(new):
        print(f"{f}: {len(old)} lines before, {len(new)} after"); bad += 1; continue
    for n, (a, b) in enumerate(zip(old, new), 1):
        lines += 1
        key = ',"error_details":'
        i = b.find(key)
        stripped = b
        if i >= 0:
            val, end = dec.raw_decode(b, i + len(key))
            stripped = b[:i] + b[end:]
            added += 1
            errs = json.loads(b)["errors"]
            if len(errs) != len(val):
                print(f"{f}:{n}: {len(errs)} errors, {len(val)} details"); bad += 1
            for s, d in zip(errs, val):
                details += 1
                with_offset += "offset" in d
                parts = [d["kind"]] + ([d["limit"]] if "limit" in d else []) + [d["message"]]
                if ": ".join(parts) != s:
                    print(f"{f}:{n}: detail {d} does not rebuild {s!r}"); bad += 1
        elif json.loads(b)["errors"]:
            print(f"{f}:{n}: errors without error_details"); bad += 1
        if stripped != a:
            print(f"{f}:{n}: differs beyond error_details"); bad += 1
print(f"{len(files)} files, {lines} lines compared, {added} lines gained error_details "
      f"({details} errors, {with_offset} with an offset); {bad} problems")
sys.exit(1 if bad else 0)
