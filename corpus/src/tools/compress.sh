#!/usr/bin/env bash
# installsift test corpus: COMPRESS.EXE files (szdd/, kwaj/) and their reference
# listings. build.sh calls this at the end of a full build; it may run alone:
#   bash corpus/src/tools/compress.sh
#   szdd/README.TXT_   mscompress 0.4 (Debian `mscompress`, binary compatible with
#                      COMPRESS.EXE) of a generated text: SZDD, mode A, no lost character
#   szdd/SETUP.EX_     mscompress of pe/hello_x86.exe copied to SETUP.EXE; mscompress
#                      names it SETUP.EXE_, renamed SETUP.EX_ as COMPRESS.EXE -r names it
#   kwaj/*.kwj         our own writer (src/tools/kwaj_write.py: no KWAJ compressor exists
#                      on Debian or PyPI; libmspack's kwajc.c is a stub): stored, XOR,
#                      LZSS and MS-ZIP, with and without the optional header fields
#   kwaj/libmspack_f*.kwj   libmspack's own test files (test/test_files/kwajd, LGPL-2.1,
#                      made by its make.pl): stored one byte, name/extension fields;
#                      committed as they are, not rebuilt here
# Reference listings: `7zz x` for SZDD (7-Zip's MsLZ handler), cross-checked with
# `msexpand` (mscompress package); libmspack's decoder (pylibmspack 0.4.0, `pip install
# pylibmspack`) for KWAJ (7-Zip has no KWAJ handler): reference/<name>.libmspack.tsv.
# Needs: mscompress, 7zz, python3 with pylibmspack (PYTHON=... to choose the interpreter).
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
REF=$HERE/reference
PY=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-compress.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
command -v mscompress >/dev/null || { echo "compress.sh: missing mscompress -- apt-get install mscompress" >&2; exit 1; }
command -v msexpand >/dev/null || { echo "compress.sh: missing msexpand -- apt-get install mscompress" >&2; exit 1; }
command -v 7zz >/dev/null || { echo "compress.sh: missing 7zz -- apt-get install 7zip" >&2; exit 1; }
"$PY" -c 'import pylibmspack' || { echo "compress.sh: missing pylibmspack -- pip install pylibmspack==0.4.0 (set PYTHON)" >&2; exit 1; }
cd "$HERE"
mkdir -p szdd kwaj
rm -f szdd/* reference/szdd__*.tsv reference/kwaj__*.tsv
find kwaj -type f ! -name 'libmspack_*' -delete

tsv() { # tsv DIR: one sorted path/size/sha256 line per file
    (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
}

# ------------------------------------------------------------------ SZDD
for i in $(seq 1 60); do
    printf 'Line %02d: the quick brown fox jumps over the lazy dog; COMPRESS.EXE packs it.\n' "$i"
done > "$WORK"/README.TXT
(cd "$WORK" && mscompress README.TXT && cp README.TXT_ "$HERE"/szdd/README.TXT_)
cp pe/hello_x86.exe "$WORK"/SETUP.EXE
(cd "$WORK" && mscompress SETUP.EXE && cp SETUP.EXE_ "$HERE"/szdd/SETUP.EX_)
for s in szdd/README.TXT_ szdd/SETUP.EX_; do
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" "$s"
    out=$REF/${s//\//__}.tsv
    tsv "$d" > "$out"
    [ -s "$out" ] || { echo "compress.sh: empty listing $out" >&2; exit 1; }
    # msexpand (mscompress's own expander) must give the same bytes.
    want=$(cut -f3 "$out")
    got=$(msexpand < "$s" | sha256sum | cut -d' ' -f1)
    [ "$want" = "$got" ] || { echo "compress.sh: 7zz and msexpand disagree on $s" >&2; exit 1; }
    echo "$out (msexpand agrees)"
done

# ------------------------------------------------------------------ KWAJ
W="$PY $SRC/tools/kwaj_write.py"
$W 0 "$WORK"/README.TXT kwaj/stored.kwj --name README --ext TXT --length
$W 1 "$WORK"/README.TXT kwaj/xor.kwj --name README --ext TXT --length --text 'XOR 0xFF'
$W 2 "$WORK"/SETUP.EXE kwaj/lzss.kwj --name SETUP --ext EXE --length
$W 2 "$WORK"/README.TXT kwaj/lzss_noname.kwj
$W 4 "$WORK"/SETUP.EXE kwaj/mszip.kwj --name SETUP --ext EXE --length --text 'MS-ZIP blocks'
for s in kwaj/*.kwj; do
    out=$REF/${s//\//__}.libmspack.tsv
    case $s in
        # Listed by name when the header names the file; else after the sample,
        # as installsift names it (7-Zip's rule: the extension dropped).
        kwaj/lzss_noname.kwj) "$PY" "$SRC"/tools/kwaj_ref.py "$s" lzss_noname > "$out" ;;
        kwaj/libmspack_f00.kwj) "$PY" "$SRC"/tools/kwaj_ref.py "$s" libmspack_f00 > "$out" ;;
        *) "$PY" "$SRC"/tools/kwaj_ref.py "$s" > "$out" ;;
    esac
    echo "$out"
done
