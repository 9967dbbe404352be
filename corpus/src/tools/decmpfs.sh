#!/usr/bin/env bash
# installsift test corpus: dmg/decmpfs-zlib.dmg, an HFS+ volume whose files are compressed
# by the file system (decmpfs), and its reference listing.
#
#   LIBDMG_SRC=... LZFSE_SRC=... bash corpus/src/tools/decmpfs.sh
#
# No tool on Debian writes a file-system-compressed file, and no public project commits a
# volume holding one that we found. libdmg-hfsplus (glankk/libdmg-hfsplus, GPL-3.0, commit
# fb17a7baf984c9cf9cff4b9dd7354d06a99b5130, as dmg.sh) has Apple's compressor for the zlib
# types (hfs/hfscompress.c), used when it writes a file that already carries the
# UF_COMPRESSED flag. So each file is added empty, the flag byte of its catalog record is
# set by hand (src/tools/hfs_set_compressed.py: that one byte, nothing else), and the file
# is added again with its content: libdmg-hfsplus then writes the com.apple.decmpfs
# attribute and the resource fork itself.
#   small.txt  2,030 bytes: decmpfs type 3 (zlib inline in the attribute)
#   big.txt    260,948 bytes: type 4 (zlib, five 64 KiB blocks in the resource fork)
#   noise.bin  70,000 random bytes: type 4, blocks zlib makes larger than 64 KiB (Apple's
#              compressor would store those raw; libdmg-hfsplus does not)
#   plain.txt  small.txt's bytes, not compressed
# The image is made by libdmg-hfsplus's `dmg build -c zlib`. 7-Zip 26.02 decodes small.txt
# and plain.txt without an error and writes big.txt's bytes correctly but reports a data
# error (libdmg-hfsplus's resource map is not Apple's), and refuses noise.bin (a block
# larger than 64 KiB + 1); so the reference listing, dmg__decmpfs-zlib.dmg.source.tsv, is
# the files given to the tool, and this script checks that 7-Zip's bytes equal them for
# the three it writes. Not byte-reproducible (HFS+ dates are the build time); the
# listings and hashes of the files are.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REF=$HERE/reference
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-decmpfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
: "${LIBDMG_SRC:?set LIBDMG_SRC to a libdmg-hfsplus checkout}"
: "${LZFSE_SRC:?set LZFSE_SRC to an lzfse checkout}"
for c in cmake make cc 7zz python3; do
    command -v "$c" >/dev/null || { echo "decmpfs.sh: missing $c" >&2; exit 1; }
done
cmake -S "$LZFSE_SRC" -B "$WORK/lzfse" -DCMAKE_INSTALL_PREFIX="$WORK/prefix" >/dev/null
make -C "$WORK/lzfse" -j2 install >/dev/null
cmake -S "$LIBDMG_SRC" -B "$WORK/libdmg" -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null 2>&1
make -C "$WORK/libdmg" -j2 >/dev/null 2>&1
H=$WORK/libdmg/hfs/hfsplus
D=$WORK/libdmg/dmg/dmg
export LD_LIBRARY_PATH=$WORK/prefix/lib

S=$WORK/stage
mkdir -p "$S"
python3 - "$S" <<'PY'
import random, sys
s = sys.argv[1]
r = random.Random(23)
open(f"{s}/small.txt", "w").write("".join(f"small line {i}: compressed inline by decmpfs type 3\n" for i in range(40)))
open(f"{s}/big.txt", "w").write("".join(f"big line {i:06d} {r.choice(['alpha','beta','gamma','delta'])}\n" for i in range(12000)))
open(f"{s}/noise.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(70000)))
open(f"{s}/empty", "wb").close()
PY
V=$WORK/vol.hfs
cp "$LIBDMG_SRC/test/empty.hfs" "$V"
"$H" "$V" grow 2097152 >/dev/null
for f in small.txt big.txt noise.bin; do
    "$H" "$V" add "$S/empty" "$f" >/dev/null
    python3 "$HERE/src/tools/hfs_set_compressed.py" "$V" "$f"
    "$H" "$V" add "$S/$f" "$f" >/dev/null
done
"$H" "$V" add "$S/small.txt" plain.txt >/dev/null
mkdir -p "$HERE/dmg"
"$D" -c zlib build "$V" "$HERE/dmg/decmpfs-zlib.dmg" >/dev/null

row() { printf '%s\t%s\t%s\n' "$1" "$(stat -c %s -- "$2")" "$(sha256sum < "$2" | cut -d' ' -f1)"; }
# The volume is named Firefox (libdmg-hfsplus's empty.hfs), as 7-Zip's paths begin.
{
    for f in big.txt noise.bin small.txt; do row "Firefox/$f" "$S/$f"; done
    row Firefox/plain.txt "$S/small.txt"
} | LC_ALL=C sort > "$REF/dmg__decmpfs-zlib.dmg.source.tsv"
X=$WORK/x
7zz x -bd -bso0 -bsp0 -y -o"$X" "$HERE/dmg/decmpfs-zlib.dmg" >/dev/null 2>&1 || true
for f in big.txt small.txt plain.txt; do
    src=$S/$f; [ "$f" = plain.txt ] && src=$S/small.txt
    cmp -s "$src" "$X/Firefox/$f" || { echo "decmpfs.sh: 7zz's $f differs from its source" >&2; exit 1; }
done
echo "$REF/dmg__decmpfs-zlib.dmg.source.tsv"
