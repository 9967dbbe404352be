#!/usr/bin/env bash
# Wall time of a whole installsift scan against `7zz t` (which decodes and
# CRC-checks every entry) on the same file, median of RUNS runs (hyperfine).
#
#   bash bench/compare.sh [FILE...]     default: the largest NSIS, MSI, zip, 7z
#                                       and cab samples of corpus/
#   bash bench/compare.sh target/bench-inputs/bench*.{exe,msi,zip,7z,cab}
#                                       (40 MB inputs from bench/make_inputs.sh)
#   RUNS=10 bash bench/compare.sh ...
#
# Needs a release build (cargo build --release), hyperfine and 7zz.
# Prints: file, our median (ms), 7zz median (ms), ratio ours/7zz (goal <= 1.0).
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$HERE/target/release/installsift
RUNS=${RUNS:-10}
[ -x "$BIN" ] || { echo "compare.sh: build first: cargo build --release" >&2; exit 1; }
for t in hyperfine 7zz python3; do
    command -v $t >/dev/null || { echo "compare.sh: missing $t" >&2; exit 1; }
done
[ $# -gt 0 ] || set -- "$HERE"/corpus/nsis/large_lzma_solid.exe "$HERE"/corpus/msi/dirs.msi "$HERE"/corpus/zip/stored.zip "$HERE"/corpus/7z/lzma2.7z "$HERE"/corpus/cab/stored.cab
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
printf '%-40s %12s %12s %8s\n' file ours_ms 7zz_t_ms ratio
for f in "$@"; do
    hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$TMP/r.json" \
        "$BIN scan -f jsonl -o /dev/null $f" "7zz t -bd -bso0 -bsp0 $f" >/dev/null
    python3 - "$TMP/r.json" "$(basename "$f")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ours, sz = (x["median"] * 1000 for x in r)
print(f"{sys.argv[2]:<40} {ours:12.1f} {sz:12.1f} {ours / sz:8.2f}")
PY
done
