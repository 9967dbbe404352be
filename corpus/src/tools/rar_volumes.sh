#!/usr/bin/env bash
# RAR volume sets (corpus/rar_volumes/): multi-volume archives made by WinRAR (RAR 4:
# 3.x/4.x `-v`, new volume numbering; RAR 5), from libarchive's test data
# (libarchive/libarchive @ 4fe6c584b6e5d0028877b3b58872e5474629bc74,
# libarchive/test/test_rar_multivolume_*.rar.uu and
# test_read_format_rar5_multiarchive*.rar.uu, BSD-2-Clause), uudecoded under their own
# names; then the reference listings reference/rar_volumes__*.bsdtar.tsv, written by
# scripts/rar_volumes_reference.py from libarchive reading each set's volumes as one
# archive (archive_read_open_filenames; the bsdtar command takes one file only).
#
#   bash corpus/src/tools/rar_volumes.sh [LIBARCHIVE_CLONE]
#
# Not taken: test_read_format_rar_multivolume.part000[1-4].rar (230 MiB of PPMd output
# from 190 KB: too slow for the debug-build tests that scan every sample).
# No RAR writer exists on Debian (rar is non-free and not packaged), so these real
# sets are taken as they are.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C.UTF-8
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOP=$(cd "$HERE/.." && pwd)
REV=4fe6c584b6e5d0028877b3b58872e5474629bc74
SRC=${1:-$TOP/target/libarchive}
if [ ! -d "$SRC" ]; then git clone -q https://github.com/libarchive/libarchive "$SRC"; fi
OUT=$HERE/rar_volumes
mkdir -p "$OUT"
# Only this script's sets (rarfile.sh writes rar3-old.* beside them).
rm -f "$OUT"/test_*.rar "$HERE"/reference/rar_volumes__test_*.tsv
for f in $(git -C "$SRC" ls-tree --name-only "$REV" libarchive/test/ |
    grep -E '/test_(rar_multivolume_(single_file|multiple_files|uncompressed_files)|read_format_rar5_multiarchive(_solid)?)\.part[0-9]+\.rar\.uu$'); do
    name=$(basename "$f" .uu)
    git -C "$SRC" show "$REV:$f" | python3 "$HERE/src/tools/uudecode.py" > "$OUT/$name"
done
python3 "$TOP/scripts/rar_volumes_reference.py" --write
