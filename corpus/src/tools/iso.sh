#!/usr/bin/env bash
# installsift test corpus: ISO 9660 images (iso/) and their reference listings.
# build.sh calls this at the end of a full build; it may run alone:
#   bash corpus/src/tools/iso.sh
#   iso/plain.iso        genisoimage -D: ISO 9660 names only (8.3, upper case), 12-deep dirs
#   iso/joliet.iso       genisoimage -J: Joliet names (64 UCS-2 characters at most; its
#                        tree stops at ISO 9660's 8 levels: genisoimage drops deeper ones)
#   iso/rockridge.iso    genisoimage -R: Rock Ridge names; the deep directory is relocated
#                        to rr_moved (CL/RE/PL entries)
#   iso/joliet_rr.iso    genisoimage -J -R: both (Joliet's tree is the one read)
#   iso/eltorito.iso     genisoimage -J -R -b boot/boot.img -no-emul-boot -boot-load-size 4
#   iso/multi_extent.iso hand-made (src/tools/iso_multi_extent.py): a file in three extents
# Reference listings: `7zz x` (plain, joliet, joliet_rr, eltorito, multi_extent);
# `bsdtar -x` for rockridge.iso (7-Zip does not follow Rock Ridge relocation: it lists the
# moved directory under rr_moved and a 0-byte file in its place). Cross-checks: bsdtar
# agrees with 7zz on joliet_rr.iso's files and sizes (names differ: bsdtar uses Rock Ridge).
# Needs: genisoimage, 7zz, bsdtar (libarchive-tools). Not byte-reproducible (genisoimage
# writes the build time into the descriptors); the members are.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
REF=$HERE/reference
EPOCH=1717200000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-iso.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for c in genisoimage:genisoimage 7zz:7zip bsdtar:libarchive-tools python3:python3; do
    command -v "${c%%:*}" >/dev/null || { echo "iso.sh: missing ${c%%:*} -- apt-get install ${c#*:}" >&2; exit 1; }
done
cd "$HERE"
rm -rf iso
rm -f reference/iso__*.tsv
mkdir -p iso

tsv() { # tsv DIR: one sorted path/size/sha256 line per regular file
    (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
}

T=$WORK/tree
mkdir -p "$T"/docs/deep/a/b/c/d/e/f/g/h/i/j "$T"/bin "$T/Mixed Case Dir" "$T"/boot
echo hello > "$T"/README.txt
echo noext > "$T"/NOEXT
for i in $(seq 1 200); do printf 'leaf line %03d\n' "$i"; done > "$T"/docs/deep/a/b/c/d/e/f/g/h/i/j/leaf.txt
cp pe/hello_x86.exe "$T"/bin/setup.exe
echo long > "$T/Mixed Case Dir/A rather long file name with spaces and more than 64 characters in it.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 13 + 5) % 256 for i in range(2048)))' > "$T"/boot/boot.img
find "$T" -exec touch -h -d "@$EPOCH" {} +
G="genisoimage -quiet -no-pad -V INSTALLSIFT"
$G -D -o iso/plain.iso -m boot "$T"
$G -J -o iso/joliet.iso -m boot "$T" 2>/dev/null
$G -R -o iso/rockridge.iso -m boot "$T"
$G -J -R -o iso/joliet_rr.iso -m boot "$T"
$G -J -R -b boot/boot.img -c boot/boot.cat -no-emul-boot -boot-load-size 4 -o iso/eltorito.iso "$T"
python3 "$SRC"/tools/iso_multi_extent.py iso/multi_extent.iso

listing() { # listing TOOL SAMPLE [SUFFIX]
    local d out
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    out=$REF/${2//\//__}${3:+.$3}.tsv
    case $1 in
        7zz) 7zz x -bd -bso0 -bsp0 -y -o"$d" "$2" ;;
        bsdtar) bsdtar -xf "$2" -C "$d" ;;
    esac
    tsv "$d" > "$out"
    [ -s "$out" ] || { echo "iso.sh: empty listing $out" >&2; exit 1; }
    echo "$out"
}
for s in plain joliet joliet_rr eltorito multi_extent; do listing 7zz iso/$s.iso; done
listing bsdtar iso/rockridge.iso bsdtar
# bsdtar reads Rock Ridge names where 7-Zip reads Joliet ones: same sizes and hashes.
a=$(cut -f2,3 "$REF"/iso__joliet_rr.iso.tsv | sort)
d=$(mktemp -d "$WORK"/cx.XXXXXX); bsdtar -xf iso/joliet_rr.iso -C "$d"
b=$(tsv "$d" | cut -f2,3 | sort)
[ "$a" = "$b" ] || { echo "iso.sh: bsdtar and 7zz disagree on joliet_rr.iso's contents" >&2; exit 1; }
echo "bsdtar agrees with 7zz on the contents of iso/joliet_rr.iso"
