#!/usr/bin/env bash
# installsift test corpus: ARJ archives (arj/) and their reference listings. build.sh
# calls this at the end of a full build; it may run alone:  bash corpus/src/tools/arj.sh
#   arj/m0.arj .. m4.arj  Debian `arj` 3.10.22 (ARJ32 for Unix, a real ARJ archiver), one
#                  archive per method: `arj a -m<N>` of the same four files (a text, a
#                  repetitive binary, a random file arj stores whatever the method, an
#                  empty file), under faketime so the archive dates are fixed
#   arj/garbled.arj  `arj a -m1 -g<password>`: a garbled (password) entry, listed as encrypted
#   arj/sfx_elf    `arj a -je`: arj's self-extractor (its stub is an ELF for Linux; the ARJ
#                  archive follows it), opened by carving
#   arj/pe_arj.exe pe/hello_x86.exe followed by m4.arj, the layout of an ARJ32 SFX (no
#                  Windows ARJ SFX stub is on Debian), opened from the PE overlay
# Reference listings: `7zz x` (7-Zip's Arj handler decodes methods 1-4), cross-checked with
# `arj e` (build fails if they disagree).
# Needs: arj, 7zz, faketime.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REF=$HERE/reference
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-arj.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for t in arj:arj 7zz:7zip faketime:faketime; do
    command -v "${t%%:*}" >/dev/null || { echo "arj.sh: missing ${t%%:*} -- apt-get install ${t#*:}" >&2; exit 1; }
done
cd "$HERE"
mkdir -p arj
rm -f arj/* reference/arj__*.tsv

tsv() { # tsv DIR: one sorted path/size/sha256 line per file
    (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
}

# The files: deterministic content, fixed mtimes.
S=$WORK/src
mkdir -p "$S"/sub
head -c 12000 /usr/share/common-licenses/GPL-3 > "$S"/text.txt
python3 - "$S" <<'PY'
import random, sys
r = random.Random(17)
d = sys.argv[1]
open(d + "/sub/rand.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(1500)))
open(d + "/sub/mixed.bin", "wb").write(b"abcabcabd" * 300 + bytes(r.getrandbits(8) for _ in range(700)) + b"\0" * 16000)
PY
: > "$S"/empty.txt
find "$S" -exec touch -h -d '2024-06-01 00:00:00' {} +
A() { (cd "$S" && NO_FAKE_STAT=1 faketime '2024-06-01 00:00:00' arj "$@" >/dev/null); }
for m in 0 1 2 3 4; do
    A a -j$ -m$m -r "$HERE"/arj/m$m.arj text.txt sub empty.txt
done
A a -j$ -m1 -ginstallsift "$HERE"/arj/garbled.arj text.txt
A a -j$ -je "$WORK"/sfx_elf text.txt
cp "$WORK"/sfx_elf arj/sfx_elf
cat pe/hello_x86.exe arj/m4.arj > arj/pe_arj.exe
chmod 644 arj/*

for s in arj/m0.arj arj/m1.arj arj/m2.arj arj/m3.arj arj/m4.arj arj/sfx_elf arj/pe_arj.exe; do
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" "$s"
    out=$REF/${s//\//__}.tsv
    tsv "$d" > "$out"
    [ -s "$out" ] || { echo "arj.sh: empty listing $out" >&2; exit 1; }
    case $s in *.arj)
        # arj's own extraction must give the same files.
        d2=$(mktemp -d "$WORK"/arj.XXXXXX)
        (cd "$d2" && arj x -y "$HERE/$s" >/dev/null)
        [ "$(tsv "$d2")" = "$(cat "$out")" ] || { echo "arj.sh: 7zz and arj disagree on $s" >&2; exit 1; }
    esac
done
echo "arj.sh: $(ls arj | wc -l) samples, listings in reference/arj__*.tsv"
