#!/usr/bin/env bash
# installsift test corpus: Compiled HTML Help (chm/) and its reference listing.
# build.sh calls this at the end of a full build; it may run alone:
#   bash corpus/src/tools/chm.sh
#   chm/chmcmd_help.chm  chmcmd (Free Pascal 3.2.2's CHM compiler, Debian fp-utils-3.2.2)
#                        from src/chm/help.hhp: two small pages in section 1, a 300 KB
#                        page (src/chm/gen.py: eleven 32 KiB LZX frames, six reset
#                        intervals of 64 KiB) and a 27 KB BMP of noise; chmcmd adds its
#                        own #SYSTEM, #IDXHDR, $OBJINST ... streams.
# chmcmd writes the clock into the header and #SYSTEM (faketime cannot reach the static
# binary): src/chm/fix_timestamps.py sets both to a fixed value, so the file is
# byte-reproducible. Reference listing: `7zz x` (7-Zip lists the `/` names, not the
# format's own `::` streams, as installsift does).
# A real help file made by another compiler: signed_real/putty-0.68-installer.msi carries
# PuTTY's putty.chm (4 listing chunks, 475 files, 43 LZX frames); its `7zz x` listing is
# reference/signed_real__putty-0.68-installer.msi.deep.tsv (rows found at any depth).
# Needs: chmcmd (apt-get install fp-utils-3.2.2), 7zz, msiextract (msitools), python3.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
REF=$HERE/reference
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-chm.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for c in chmcmd:fp-utils-3.2.2 7zz:7zip msiextract:msitools python3:python3; do
    command -v "${c%%:*}" >/dev/null || { echo "chm.sh: missing ${c%%:*} -- apt-get install ${c#*:}" >&2; exit 1; }
done
cd "$HERE"
rm -rf chm
rm -f reference/chm__*.tsv reference/signed_real__putty-0.68-installer.msi.deep.tsv
mkdir -p chm

tsv() { # tsv DIR: one sorted path/size/sha256 line per regular file
    (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
}

mkdir "$WORK"/p
cp -r "$SRC"/chm/help.hhp "$SRC"/chm/index.html "$SRC"/chm/guide "$WORK"/p/
python3 "$SRC"/chm/gen.py "$WORK"/p
(cd "$WORK"/p && chmcmd --no-html-scan help.hhp >/dev/null)
python3 "$SRC"/chm/fix_timestamps.py "$WORK"/p/help.chm
cp "$WORK"/p/help.chm chm/chmcmd_help.chm

d=$(mktemp -d "$WORK"/ref.XXXXXX)
7zz x -bd -bso0 -bsp0 -y -o"$d" chm/chmcmd_help.chm
tsv "$d" > reference/chm__chmcmd_help.chm.tsv
[ -s reference/chm__chmcmd_help.chm.tsv ] || { echo "chm.sh: empty listing" >&2; exit 1; }
echo "chm.sh: $(wc -l < reference/chm__chmcmd_help.chm.tsv) files listed"

mkdir "$WORK"/putty "$WORK"/putty_chm
msiextract -C "$WORK"/putty signed_real/putty-0.68-installer.msi >/dev/null
7zz x -bd -bso0 -bsp0 -y -o"$WORK"/putty_chm "$WORK/putty/Program Files/PuTTY/putty.chm"
tsv "$WORK"/putty_chm > reference/signed_real__putty-0.68-installer.msi.deep.tsv
echo "chm.sh: $(wc -l < reference/signed_real__putty-0.68-installer.msi.deep.tsv) files of putty.chm listed"
