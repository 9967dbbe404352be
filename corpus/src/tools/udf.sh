#!/usr/bin/env bash
# installsift test corpus: UDF images (udf/) and their reference listings.
# build.sh calls this at the end of a full build; it may run alone:
#   bash corpus/src/tools/udf.sh
#   udf/genisoimage_bridge.iso  genisoimage -udf -J: UDF 1.02 beside ISO 9660 + Joliet (a
#                               bridge image; 7-Zip lists its UDF tree, and so do we)
#   udf/pycdlib.iso             pycdlib 1.22 (PyPI) udf="2.60" (its only UDF option; the
#                               structures it writes say NSR02 and domain revision 1.02)
#                               beside an ISO 9660 tree of other (8.3) names; a 16-bit
#                               CS0 name
#   udf/mkudffs_hd512.img       mkudffs (udftools) -m hd -b 512 -r 2.01: an empty file
#                               system with 512-byte blocks (the anchor at byte 131072)
#   udf/mkudffs_vat.img         mkudffs -m dvdr -r 2.60: a Virtual Allocation Table
#                               partition (write-once media); neither 7-Zip nor we read it
# Reference listings: `7zz x` (the two images with files). mkudffs writes empty file
# systems (no files to list; `7zz l` lists none).
# Needs: genisoimage, 7zz (7zip), mkudffs (udftools), python3 with pycdlib (pip install
# pycdlib). Not byte-reproducible (the tools write the build time and a random volume
# set id); the members are.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C.UTF-8 TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
REF=$HERE/reference
EPOCH=1717200000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-udf.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for c in genisoimage:genisoimage 7zz:7zip mkudffs:udftools python3:python3; do
    command -v "${c%%:*}" >/dev/null || { echo "udf.sh: missing ${c%%:*} -- apt-get install ${c#*:}" >&2; exit 1; }
done
python3 -c 'import pycdlib' 2>/dev/null || { echo "udf.sh: missing pycdlib -- pip install pycdlib" >&2; exit 1; }
cd "$HERE"
rm -rf udf
rm -f reference/udf__*.tsv
mkdir -p udf

tsv() { # tsv DIR: one sorted path/size/sha256 line per regular file
    (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
}

T=$WORK/tree
mkdir -p "$T"/docs/sub "$T"/bin
echo hello > "$T"/README.txt
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 31 + 7) % 251 for i in range(5000)))' > "$T"/docs/sub/big.bin
echo "ünïcode" > "$T/docs/Ünïcödé name.txt"
cp pe/hello_x86.exe "$T"/bin/setup.exe
: > "$T"/empty.bin
find "$T" -exec touch -h -d "@$EPOCH" {} +
genisoimage -quiet -no-pad -udf -J -V UDFBRIDGE -o udf/genisoimage_bridge.iso "$T" 2>/dev/null
python3 "$SRC"/tools/udf_pycdlib.py udf/pycdlib.iso
mkudffs --new-file --media-type=hd -b 512 -r 2.01 --label=MKUDFFS udf/mkudffs_hd512.img 300 >/dev/null
mkudffs --new-file --media-type=dvdr -b 2048 -r 2.60 --label=MKUDFVAT udf/mkudffs_vat.img 300 >/dev/null
chmod 644 udf/*

for s in genisoimage_bridge.iso pycdlib.iso; do
    7zz l -slt udf/$s | grep -qx 'Type = Udf' || { echo "udf.sh: 7zz does not open udf/$s as Udf" >&2; exit 1; }
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" udf/$s
    tsv "$d" > "$REF"/udf__$s.tsv
    [ -s "$REF"/udf__$s.tsv ] || { echo "udf.sh: empty listing for $s" >&2; exit 1; }
    echo "$REF/udf__$s.tsv"
done
# The empty file systems: 7-Zip opens the first as Udf with no files, not the VAT one.
7zz l -slt udf/mkudffs_hd512.img | grep -qx 'Type = Udf' || { echo "udf.sh: 7zz does not open mkudffs_hd512.img" >&2; exit 1; }
if 7zz l udf/mkudffs_vat.img >/dev/null 2>&1; then echo "udf.sh: 7zz now opens mkudffs_vat.img: list it" >&2; exit 1; fi
