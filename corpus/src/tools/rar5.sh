#!/usr/bin/env bash
# RAR 5 samples (corpus/rar/): archives made by WinRAR / rar 5.x, from libarchive's test
# data (libarchive/libarchive @ 4fe6c584b6e5d0028877b3b58872e5474629bc74,
# libarchive/test/test_read_format_rar5_*.rar.uu, BSD-2-Clause), uudecoded; and the
# reference listings of the valid ones by bsdtar 3.6.2 (Debian 12 libarchive-tools), whose
# RAR 5 reader is libarchive's own decoder, independent of ours.
#
#   bash corpus/src/tools/rar5.sh [LIBARCHIVE_CLONE]
#
# LIBARCHIVE_CLONE: a git clone of libarchive holding that commit (default: cloned from
# GitHub into target/). No RAR 5 writer exists on Debian (rar is non-free and not
# packaged), so these real archives are taken as they are. The malformed ones
# (rar5_bad_*) are libarchive's fuzzing regressions: kept to show that damage is reported.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOP=$(cd "$HERE/.." && pwd)
REV=4fe6c584b6e5d0028877b3b58872e5474629bc74
SRC=${1:-$TOP/target/libarchive}
command -v bsdtar >/dev/null || { echo "rar5.sh: needs bsdtar (apt-get install libarchive-tools)" >&2; exit 1; }
if [ ! -d "$SRC" ]; then git clone -q https://github.com/libarchive/libarchive "$SRC"; fi
OUT=$HERE/rar
REF=$HERE/reference
# Only this script's files: rar4.sh and rarfile.sh write beside them.
mkdir -p "$OUT"
rm -f "$OUT"/rar5_*.rar "$REF"/rar__rar5_*.tsv
take() { # take LIBARCHIVE_NAME OUR_NAME
    git -C "$SRC" show "$REV:libarchive/test/test_read_format_rar5_$1.rar.uu" | python3 "$HERE/src/tools/uudecode.py" > "$OUT/$2.rar"
}
# Valid archives: compressed (methods 1-5), solid streams, the E8/E8E9 (win32) and ARM
# filters, a BLAKE2sp-hashed file, a file version record, links.
for n in compressed multiple_files multiple_files_solid solid win32 arm blake2 \
         extra_field_version symlink stored_manyfiles; do
    take "$n" "rar5_$n"
done
# Damaged ones.
take loop_bug rar5_bad_loop_bug
take bad_tables rar5_bad_tables
take invalid_dict_reference rar5_bad_dict_reference
# Reference listings: every regular file bsdtar writes (links are not listed).
for f in "$OUT"/rar5_*.rar; do
    case $f in *rar5_bad_*) continue ;; esac
    d=$(mktemp -d)
    bsdtar -xf "$f" -C "$d"
    (cd "$d" && find . -type f -print0 | while IFS= read -r -d '' p; do
        p=${p#./}
        printf '%s\t%s\t%s\n' "$p" "$(stat -c %s -- "$p")" "$(sha256sum < "$p" | cut -d' ' -f1)"
    done) | LC_ALL=C sort > "$REF/rar__$(basename "$f").bsdtar.tsv"
    rm -rf "$d"
done
ls -l "$OUT"
