#!/usr/bin/env bash
# SHA-256 of one big top-level file: `installsift scan` (memory-mapped, every
# byte hashed once, nothing inside found) against `openssl dgst -sha256` and
# coreutils `sha256sum`, medians of RUNS hyperfine runs, plus our peak RSS.
#
#   bash bench/hash.sh [FILE]    default: target/bench-inputs/big512.bin
#                                (made by bench/make_inputs.sh)
# Prints: median ms of each tool, our speed as a share of openssl's, our RSS.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$HERE/target/release/installsift
RUNS=${RUNS:-5}
F=${1:-$HERE/target/bench-inputs/big512.bin}
[ -x "$BIN" ] || { echo "hash.sh: build first: cargo build --release" >&2; exit 1; }
[ -f "$F" ] || { echo "hash.sh: no $F (run bench/make_inputs.sh)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cat "$F" >/dev/null # warm the page cache
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$TMP/r.json" \
    "$BIN scan -f jsonl -o /dev/null $F" \
    "$BIN scan --hashes sha256,sha1,md5 -f jsonl -o /dev/null $F" \
    "openssl dgst -sha256 $F" "sha256sum $F" >/dev/null
rss=$( { /usr/bin/time -f %M "$BIN" scan -f jsonl -o /dev/null "$F"; } 2>&1 | tail -1)
python3 - "$TMP/r.json" "$(stat -c %s "$F")" "$rss" <<'PY'
import json, sys
r = [x["median"] for x in json.load(open(sys.argv[1]))["results"]]
size = int(sys.argv[2]) / 1e9
names = ["installsift (sha256)", "installsift (sha256,sha1,md5)", "openssl dgst -sha256", "sha256sum"]
for n, t in zip(names, r):
    print(f"{n:<32} {t * 1000:9.1f} ms {size / t:6.2f} GB/s")
print(f"installsift sha256 speed / openssl's: {r[2] / r[0] * 100:.0f} %  (goal >= 90 %)")
print(f"installsift peak RSS: {int(sys.argv[3]) / 1024:.1f} MiB")
PY
