#!/usr/bin/env bash
# RAR volume sets as sibling entries of containers made by the real tools
# (corpus/rar_volumes_in/), as on an install medium: three of the WinRAR sets of
# corpus/rar_volumes/ (run rar_volumes.sh and rarfile.sh first) side by side in
# `Disk1/`:
#   test_rar_multivolume_multiple_files.part{1..6}.rar   RAR 4, new numbering
#   test_read_format_rar5_multiarchive_solid.part0{1..4}.rar  RAR 5, solid
#   test_rar_multivolume_single_file.part{1..3}.rar      RAR 4, one file over all three
#   set.zip   Info-ZIP zip -X (deflate)
#   set.iso   genisoimage -J (Joliet names; no Rock Ridge, whose change times would make
#             each build differ)
# Reference (`.recursive`: every level): the container extracted by bsdtar, then
# each set's files as libarchive lists the set read from its volumes
# (reference/rar_volumes__<first volume>.bsdtar.tsv, written by
# scripts/rar_volumes_reference.py), under the first volume's path: the later
# volumes list nothing (their files are the first's).
#
#   bash corpus/src/tools/rar_volumes_in.sh
#
# Needs: zip, genisoimage, faketime, bsdtar.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for c in zip:zip genisoimage:genisoimage faketime:faketime bsdtar:libarchive-tools; do
    command -v "${c%%:*}" >/dev/null || { echo "rar_volumes_in.sh: missing ${c%%:*} -- apt-get install ${c#*:}" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-rarin.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$HERE"
SETS="test_rar_multivolume_multiple_files.part1.rar test_read_format_rar5_multiarchive_solid.part01.rar test_rar_multivolume_single_file.part1.rar"
mkdir -p rar_volumes_in "$WORK"/in/Disk1
rm -f rar_volumes_in/* reference/rar_volumes_in__*.tsv
for first in $SETS; do
    stem=${first%.part*}
    cp rar_volumes/"$stem".part*.rar "$WORK"/in/Disk1/
done
touch -d @1717200000 "$WORK"/in/Disk1/* "$WORK"/in/Disk1 "$WORK"/in
(cd "$WORK"/in && zip -qX -r "$HERE"/rar_volumes_in/set.zip Disk1)
(cd "$WORK"/in && faketime -f '2024-06-01 00:00:00' genisoimage -quiet -no-pad -J -V RARSET -o "$HERE"/rar_volumes_in/set.iso .)
tsv() { # tsv DIR: one sorted path/size/sha256 line per regular file
    (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
}
for c in set.zip set.iso; do
    x=$(mktemp -d "$WORK"/x.XXXXXX)
    bsdtar -xf rar_volumes_in/$c -C "$x"
    {
        tsv "$x"
        for first in $SETS; do
            cmp -s "$x/Disk1/$first" rar_volumes/"$first" ||
                { echo "rar_volumes_in.sh: $c: Disk1/$first differs from rar_volumes/" >&2; exit 1; }
            sed "s|^|Disk1/$first/|" reference/rar_volumes__"$first".bsdtar.tsv
        done
    } | LC_ALL=C sort > reference/rar_volumes_in__$c.recursive.tsv
done
echo "rar_volumes_in.sh: $(cat reference/rar_volumes_in__*.tsv | wc -l) files listed"
