#!/usr/bin/env bash
# RAR 4 samples (corpus/rar/rar4_*): archives made by WinRAR 3.x/4.x, from libarchive's
# test data (libarchive/libarchive @ 4fe6c584b6e5d0028877b3b58872e5474629bc74,
# libarchive/test/test_read_format_rar*.rar.uu, BSD-2-Clause), uudecoded; and the
# reference listings of those that bsdtar 3.6.2 (Debian 12 libarchive-tools) extracts
# without an error. bsdtar 3.6.2 fails on three valid ones (lowdist_reset,
# multi_lzss_blocks, ppmd_lzss_conversion: libarchive bugs fixed after 3.6.2); those
# are checked by the CRC-32 each file header carries and, for lowdist_reset, by the
# 64 bytes libarchive's own test expects (crates/installsift/src/format_tests/rar.rs).
#
#   bash corpus/src/tools/rar4.sh [LIBARCHIVE_CLONE]
#
# No RAR writer exists on Debian (rar is non-free and not packaged), so these real
# archives are taken as they are; the rar4_bad_* ones are libarchive's fuzzing
# regressions, kept to show that damage is reported.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C.UTF-8
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOP=$(cd "$HERE/.." && pwd)
REV=4fe6c584b6e5d0028877b3b58872e5474629bc74
SRC=${1:-$TOP/target/libarchive}
command -v bsdtar >/dev/null || { echo "rar4.sh: needs bsdtar (apt-get install libarchive-tools)" >&2; exit 1; }
if [ ! -d "$SRC" ]; then git clone -q https://github.com/libarchive/libarchive "$SRC"; fi
OUT=$HERE/rar
REF=$HERE/reference
mkdir -p "$OUT"
rm -f "$OUT"/rar4_*.rar "$REF"/rar__rar4_*.tsv
take() { # take LIBARCHIVE_TEST_NAME OUR_NAME
    git -C "$SRC" show "$REV:libarchive/test/test_$1.rar.uu" | python3 "$HERE/src/tools/uudecode.py" > "$OUT/$2.rar"
}
# Valid archives: LZ with and without PPMd blocks (best: PPMd; ppmd_lzss_conversion:
# PPMd blocks that keep the model across an LZ block), DELTA and E8E9 filters,
# low-distance repeats across tables, Unicode names, a Unix symbolic link, a
# sub-block, partly encrypted, headers encrypted.
take read_format_rar_compress_normal rar4_normal
take read_format_rar_compress_best rar4_best_ppmd
take read_format_rar_filter rar4_filters
take read_format_rar3_lowdist_reset rar4_lowdist_reset
take read_format_rar_multi_lzss_blocks rar4_multi_lzss_blocks
take read_format_rar_ppmd_lzss_conversion rar4_ppmd_lzss_conversion
take read_format_rar_unicode rar4_unicode
take read_format_rar_windows rar4_windows
take read_format_rar rar4_links
take read_format_rar_subblock rar4_subblock
take read_format_rar4_encrypted rar4_partly_encrypted
take read_format_rar4_encrypted_filenames rar4_header_encrypted
# Damaged ones.
take read_format_rar_noeof rar4_bad_noeof
take read_format_rar_unbound_staticdata rar4_bad_unbound_staticdata
take read_format_rar_overflow rar4_bad_overflow
# Hand-made from rar4_best_ppmd (one byte): its first PPMd block declares a 256 MiB
# model instead of 8 MiB. The stream still decodes (the model never fills); it shows
# that a few bytes cannot make the decoder resident in 256 MiB (scripts/trap_rss.sh).
python3 - "$OUT" <<'PY'
import sys
out = sys.argv[1]
d = bytearray(open(f"{out}/rar4_best_ppmd.rar", "rb").read())
at = 7 + 13                       # marker block, main header
data = at + (d[at + 5] | d[at + 6] << 8)
assert d[data] & 0xA0 == 0xA0     # a PPMd block that restarts the model
d[data + 1] = 0xFF                # model memory: (255 + 1) MiB
open(f"{out}/rar4_ppmd_256mib_model.rar", "wb").write(d)
PY
# Reference listings: every regular file bsdtar writes (links are not listed).
for n in normal best_ppmd filters unicode windows links subblock; do
    f=$OUT/rar4_$n.rar
    d=$(mktemp -d)
    bsdtar -xf "$f" -C "$d"
    (cd "$d" && find . -type f -print0 | while IFS= read -r -d '' p; do
        p=${p#./}
        printf '%s\t%s\t%s\n' "$p" "$(stat -c %s -- "$p")" "$(sha256sum < "$p" | cut -d' ' -f1)"
    done) | LC_ALL=C sort > "$REF/rar__$(basename "$f").bsdtar.tsv"
    rm -rf "$d"
done
ls -l "$OUT"/rar4_*
