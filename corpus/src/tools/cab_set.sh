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
# Needs: gcab, faketime, cabextract, 7zz, python3.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
REF=$HERE/reference
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-cabset.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for c in gcab:gcab faketime:faketime cabextract:cabextract 7zz:7zip python3:python3; do
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
echo "cab_set.sh: $(cat reference/cab_set__*.tsv | wc -l) files listed"
