#!/usr/bin/env bash
# Directory-scan scaling: `installsift scan -j 1` against `-j 2` over corpus/
# copied COPIES times (default 20), medians of RUNS runs, plus peak RSS.
#
#   bash bench/threads.sh             COPIES=20 RUNS=5 by default
# Prints: median seconds for 1 and 2 threads, the speed-up (goal >= 1.8),
# peak RSS of each, and whether both outputs are byte-identical.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$HERE/target/release/installsift
RUNS=${RUNS:-5}
COPIES=${COPIES:-20}
[ -x "$BIN" ] || { echo "threads.sh: build first: cargo build --release" >&2; exit 1; }
D=$HERE/target/bench-inputs/corpus_x$COPIES
if [ ! -d "$D" ]; then
    mkdir -p "$D"
    for i in $(seq 1 "$COPIES"); do cp -r "$HERE/corpus" "$D/c$i"; done
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$TMP/r.json" \
    "$BIN scan -j 1 -f jsonl -o /dev/null $D" "$BIN scan -j 2 -f jsonl -o /dev/null $D" >/dev/null
r1=$( { /usr/bin/time -f %M "$BIN" scan -j 1 -f jsonl -o "$TMP/o1" "$D"; } 2>&1 | tail -1)
r2=$( { /usr/bin/time -f %M "$BIN" scan -j 2 -f jsonl -o "$TMP/o2" "$D"; } 2>&1 | tail -1)
same=$(cmp -s "$TMP/o1" "$TMP/o2" && echo identical || echo DIFFERENT)
python3 - "$TMP/r.json" "$r1" "$r2" "$same" "$(find "$D" -type f | wc -l)" "$(du -sm "$D" | cut -f1)" <<'PY'
import json, sys
a, b = (x["median"] for x in json.load(open(sys.argv[1]))["results"])
print(f"{sys.argv[5]} files, {sys.argv[6]} MB")
print(f"-j 1: {a:.2f} s, peak RSS {int(sys.argv[2]) / 1024:.1f} MiB")
print(f"-j 2: {b:.2f} s, peak RSS {int(sys.argv[3]) / 1024:.1f} MiB")
print(f"speed-up: {a / b:.2f}x (goal >= 1.8); outputs {sys.argv[4]}")
PY
