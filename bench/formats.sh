#!/usr/bin/env bash
# Issue 17's speed point: each format added for it, where 7-Zip opens it, scanned
# against `7zz t` on the same file (bench/compare.sh: interleaved pairs, medians).
#
#   bash bench/formats.sh [--build-only]     inputs in target/bench-inputs/formats/
#   RUNS=10 bash bench/formats.sh
#
# Inputs are made by the real tools from the bench payload (bench/make_inputs.sh:
# about 40 MB of this machine's shared libraries), so the figures are about the
# formats, not process start-up:
#   payload.tar             GNU tar (ustar/GNU headers), the payload uncompressed
#   payload.cpio            cpio -H newc
#   payload.tar.gz/.bz2/.xz gzip -6, bzip2 -9, xz -6 of that tar (7zz t decodes the
#                           stream only; we also open the tar inside and hash its files)
#   payload.iso             genisoimage -J -R (ISO 9660 with Joliet and Rock Ridge)
#   payload_udf.iso         genisoimage -udf (7-Zip and we list the UDF tree)
#   payload.arj             arj a -m1 (ARJ method 1)
#   payload.chm             chmcmd (Free Pascal) of 2,000 generated HTML pages (LZX)
#   <largest file>_         mscompress (SZDD, COMPRESS.EXE's format) of the largest payload file
# and from the corpus (no tool here writes these at size): apfs/dfvfs_apfs.raw (APFS),
# dmg/hello-zlib.dmg (UDIF zlib + HFSX), dmg/decmpfs-zlib.dmg (HFS+ decmpfs; left out
# when 7zz t refuses it, as 7-Zip 26.02 does).
# Not measured: RAR (Debian's 7zz has no RAR handler), NE, KWAJ, Qt IFW (7-Zip
# opens none of them), zip shrink/reduce/implode (no tool here writes them).
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IN=$HERE/target/bench-inputs
OUT=$IN/formats
P=$IN/payload
C=$HERE/corpus
[ -d "$P" ] || bash "$HERE/bench/make_inputs.sh"
for t in tar cpio gzip bzip2 xz genisoimage arj chmcmd mscompress 7zz; do
    command -v $t >/dev/null || { echo "formats.sh: missing $t" >&2; exit 1; }
done
mkdir -p "$OUT"
if [ ! -s "$OUT/payload.chm" ] || [ "${1:-}" = --build-only ]; then
    (cd "$P" && tar --sort=name -cf "$OUT/payload.tar" .)
    (cd "$P" && find . -type f | LC_ALL=C sort | cpio -o -H newc --quiet > "$OUT/payload.cpio")
    gzip -6 -c "$OUT/payload.tar" > "$OUT/payload.tar.gz"
    bzip2 -9 -c "$OUT/payload.tar" > "$OUT/payload.tar.bz2"
    xz -6 -T1 -c "$OUT/payload.tar" > "$OUT/payload.tar.xz"
    genisoimage -quiet -J -R -o "$OUT/payload.iso" "$P"
    genisoimage -quiet -udf -o "$OUT/payload_udf.iso" "$P"
    rm -f "$OUT/payload.arj"
    (cd "$P" && arj a -m1 -y "$OUT/payload.arj" '*' >/dev/null)
    big=$(ls -S "$P" | head -1)
    rm -f "$OUT"/*_
    cp "$P/$big" "$OUT/$big" && (cd "$OUT" && mscompress "$big") && rm -f "$OUT/$big"
    H=$(mktemp -d)
    python3 - "$H" <<'PY'
import sys, random
h = sys.argv[1]
r = random.Random(5)
words = "installer payload cabinet archive setup product feature component registry".split()
pages = []
for i in range(2000):
    body = " ".join(r.choice(words) for _ in range(600))
    open(f"{h}/p{i:04d}.html", "w").write(f"<html><head><title>Page {i}</title></head><body><h1>Page {i}</h1><p>{body}</p></body></html>\n")
    pages.append(f"p{i:04d}.html")
open(f"{h}/bench.hhp", "w").write("[OPTIONS]\nCompiled file=payload.chm\nDefault topic=p0000.html\nTitle=bench\n\n[FILES]\n" + "\n".join(pages) + "\n")
PY
    (cd "$H" && chmcmd bench.hhp >/dev/null && mv payload.chm "$OUT/payload.chm")
    rm -rf "$H"
fi
[ "${1:-}" = --build-only ] && { ls -la "$OUT"; exit 0; }
set -- "$OUT"/payload.tar "$OUT"/payload.cpio "$OUT"/payload.tar.gz "$OUT"/payload.tar.bz2 \
    "$OUT"/payload.tar.xz "$OUT"/payload.iso "$OUT"/payload_udf.iso "$OUT"/payload.arj \
    "$OUT"/payload.chm "$OUT"/*_ "$C"/apfs/dfvfs_apfs.raw "$C"/dmg/hello-zlib.dmg \
    "$C"/dmg/decmpfs-zlib.dmg
# Only files `7zz t` accepts (exit 0) are compared (decmpfs-zlib.dmg: 7-Zip
# refuses libdmg-hfsplus's oversized blocks).
OK=()
for f in "$@"; do
    if 7zz t -bd -bso0 -bsp0 "$f" >/dev/null 2>&1; then OK+=("$f"); else echo "formats.sh: 7zz t fails on $f: left out" >&2; fi
done
exec bash "$HERE/bench/compare.sh" "${OK[@]}"
