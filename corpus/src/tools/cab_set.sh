#!/usr/bin/env bash
# installsift test corpus: cabinet sets (cab_set/) and their reference listings.
# build.sh calls this at the end of a full build; it may run alone:
#   bash corpus/src/tools/cab_set.sh
#   cab_set/cabd_multi_basic_pt{1..5}.cab  libmspack's test set (kyz/libmspack @ 55d5019,
#       libmspack/test/test_files/cabd/multi_basic_pt*.cab, LGPL-2.1), byte for byte, under
#       the names the cabinets give each other (`cabd_multi_basic_ptN.cab`); one stored
#       folder of 3 files runs through all five, each CFDATA block cut at a cabinet's end.
#       Copied from a libmspack checkout: LIBMSPACK=/path/to/libmspack/repo.
#   cab_set/split_a.cab, split_b.cab  hand-made (src/cab_set/split_cab.py): a gcab -z
#       (MSZIP) cabinet of four generated files split after its first block, the second
#       block cut in two; f1 and f2 span, f3 lies wholly in the second cabinet's continued
#       folder. No Windows cabinet maker runs here (Wine has no makecab).
# Reference listings: `cabextract -d $d cabd_multi_basic_pt1.cab` (= 7zz x); `7zz x
# split_a.cab` (cabextract 1.9 joins the set but drops f3: libmspack deletes every file
# of the next cabinet's merged folder, taking them all for continued ones).
# Needs: gcab, faketime, cabextract, 7zz, python3, genisoimage, zip, bsdtar, tar.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
REF=$HERE/reference
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-cabset.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for c in gcab:gcab faketime:faketime cabextract:cabextract 7zz:7zip python3:python3 genisoimage:genisoimage zip:zip bsdtar:libarchive-tools tar:tar; do
    command -v "${c%%:*}" >/dev/null || { echo "cab_set.sh: missing ${c%%:*} -- apt-get install ${c#*:}" >&2; exit 1; }
done
cd "$HERE"
mkdir -p cab_set
rm -f reference/cab_set__*.tsv

tsv() { # tsv DIR: one sorted path/size/sha256 line per regular file
    (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
}

if [ -n "${LIBMSPACK:-}" ]; then
    for i in 1 2 3 4 5; do
        git -C "$LIBMSPACK" show "HEAD:libmspack/test/test_files/cabd/multi_basic_pt$i.cab" \
            > cab_set/cabd_multi_basic_pt$i.cab
    done
fi
d=$(mktemp -d "$WORK"/ref.XXXXXX)
cabextract -q -d "$d" cab_set/cabd_multi_basic_pt1.cab
tsv "$d" > reference/cab_set__cabd_multi_basic_pt1.cab.cabextract.tsv
d2=$(mktemp -d "$WORK"/ref.XXXXXX)
7zz x -bd -bso0 -bsp0 -y -o"$d2" cab_set/cabd_multi_basic_pt1.cab
tsv "$d2" | cmp -s - reference/cab_set__cabd_multi_basic_pt1.cab.cabextract.tsv \
    || { echo "cab_set.sh: cabextract and 7zz disagree on multi_basic" >&2; exit 1; }

mkdir "$WORK"/src
python3 - "$WORK"/src <<'PY'
import random, sys
r = random.Random(5)
w = "alpha beta gamma delta cabinet folder block split set".split()
for i, n in enumerate([20000, 45000, 3000, 30000]):
    open("%s/f%d.txt" % (sys.argv[1], i), "w").write(" ".join(r.choice(w) for _ in range(n // 6))[:n])
PY
touch -d @1717200000 "$WORK"/src/*
(cd "$WORK"/src && faketime '2024-06-01 00:00:00' gcab -c -z "$WORK"/whole.cab f0.txt f1.txt f2.txt f3.txt)
python3 "$SRC"/cab_set/split_cab.py "$WORK"/whole.cab 1 cab_set/split_a.cab cab_set/split_b.cab
d3=$(mktemp -d "$WORK"/ref.XXXXXX)
7zz x -bd -bso0 -bsp0 -y -o"$d3" cab_set/split_a.cab
tsv "$d3" > reference/cab_set__split_a.cab.tsv
tsv "$WORK"/src | cmp -s - reference/cab_set__split_a.cab.tsv \
    || { echo "cab_set.sh: 7zz's split_a.cab listing is not the input files" >&2; exit 1; }

# The same two sets as sibling entries of containers made by the real tools
# (cab_set_in/): the cabinets side by side in `Disk1/`, as on an install medium.
#   set.iso        genisoimage -J -R (Joliet and Rock Ridge names)
#   set_plain.iso  genisoimage -l (ISO 9660 names only, upper case, no Joliet/RR)
#   set.zip        zip -X (deflate), set.7z  7zz a (LZMA2, one solid block),
#   set.tar        GNU tar (ustar, sorted, fixed owner and times)
# Reference (`.recursive`: every level): the container extracted by bsdtar
# (7zz for the 7z), then each set joined from the extracted files by
# cabextract (multi_basic; its first cabinet) or 7zz (split_a.cab; cabextract
# 1.9 drops f3.txt, see above), its files listed under the first cabinet's
# path. The later cabinets list nothing (their files are the first's).
rm -f reference/cab_set_in__*.tsv
mkdir -p cab_set_in
rm -rf "$WORK"/in && mkdir -p "$WORK"/in/Disk1
cp cab_set/*.cab "$WORK"/in/Disk1/
touch -d @1717200000 "$WORK"/in/Disk1/* "$WORK"/in/Disk1 "$WORK"/in
(cd "$WORK"/in && faketime -f '2024-06-01 00:00:00' genisoimage -quiet -no-pad -J -R -V CABSET -o "$HERE"/cab_set_in/set.iso .)
(cd "$WORK"/in && faketime -f '2024-06-01 00:00:00' genisoimage -quiet -no-pad -l -V CABSET -o "$HERE"/cab_set_in/set_plain.iso .)
(cd "$WORK"/in && rm -f "$HERE"/cab_set_in/set.zip && zip -qX -r "$HERE"/cab_set_in/set.zip Disk1)
(cd "$WORK"/in && rm -f "$HERE"/cab_set_in/set.7z && 7zz a -bd -bso0 -bsp0 "$HERE"/cab_set_in/set.7z Disk1)
(cd "$WORK"/in && tar --sort=name --owner=0 --group=0 --numeric-owner --format=ustar -cf "$HERE"/cab_set_in/set.tar Disk1)
for c in set.iso set_plain.iso set.zip set.7z set.tar; do
    x=$(mktemp -d "$WORK"/x.XXXXXX)
    case $c in
        *.7z) 7zz x -bd -bso0 -bsp0 -y -o"$x" cab_set_in/$c ;;
        *) bsdtar -xf cab_set_in/$c -C "$x" ;;
    esac
    {
        tsv "$x"
        (cd "$x" && find . -type f | sed 's|^\./||') | while IFS= read -r f; do
            base=$(basename "$f" | tr 'A-Z' 'a-z')
            case $base in cabd_multi_basic_pt1.cab | split_a.cab) ;; *) continue ;; esac
            # Its directory's files under lower-case names: the set's cabinets
            # name each other in lower case, and Windows (whose media these
            # are) compares names without case; 7zz on Linux does not.
            l=$(mktemp -d "$WORK"/l.XXXXXX)
            for g in "$x/$(dirname "$f")"/*; do
                cp "$g" "$l/$(basename "$g" | tr 'A-Z' 'a-z')"
            done
            j=$(mktemp -d "$WORK"/j.XXXXXX)
            case $base in
                cabd_multi_basic_pt1.cab) cabextract -q -d "$j" "$l/$base" ;;
                split_a.cab) 7zz x -bd -bso0 -bsp0 -y -o"$j" "$l/$base" ;;
            esac
            tsv "$j" | sed "s|^|$f/|"
        done
    } | LC_ALL=C sort > reference/cab_set_in__$c.recursive.tsv
done
echo "cab_set.sh: $(cat reference/cab_set__*.tsv reference/cab_set_in__*.tsv | wc -l) files listed"
