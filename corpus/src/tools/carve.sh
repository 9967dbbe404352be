#!/usr/bin/env bash
# installsift test corpus: containers appended to files of no known format (carve/),
# and their 7zz reference listings. build.sh calls this at the end of a full build; it
# may run alone:  bash corpus/src/tools/carve.sh
#   carve/rust_logo_cab.png  a real PNG (src/carve/rust-favicon-32x32.png: the Rust
#                            project's 32x32 favicon from the rustup stable toolchain's
#                            docs, rust-lang/rust, MIT OR Apache-2.0) followed by a gcab
#                            cabinet (MSZIP) of two text files: `cat png cab`
#   carve/stub_zip.sh        a shell-script stub followed by a zip (zip -X, deflate), as
#                            makeself/shar-style self-extracting scripts are made
# Reference: `7zz x` (7-Zip opens both by its signature search).
# Needs: gcab, zip, 7zz.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
REF=$HERE/reference
EPOCH=1717200000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-carve.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for c in gcab:gcab zip:zip 7zz:7zip; do
    command -v "${c%%:*}" >/dev/null || { echo "carve.sh: missing ${c%%:*} -- apt-get install ${c#*:}" >&2; exit 1; }
done
cd "$HERE"
rm -rf carve
rm -f reference/carve__*.tsv
mkdir -p carve

tsv() {
    (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
}

mkdir -p "$WORK"/p
printf 'first file carried after the image\n' > "$WORK"/p/one.txt
for i in $(seq 1 50); do printf 'second file, line %02d\n' "$i"; done > "$WORK"/p/two.txt
find "$WORK"/p -exec touch -h -d "@$EPOCH" {} +
(cd "$WORK"/p && gcab -c -z "$WORK"/pay.cab one.txt two.txt)
cat "$SRC"/carve/rust-favicon-32x32.png "$WORK"/pay.cab > carve/rust_logo_cab.png
cat > "$WORK"/stub.sh <<'SH'
#!/bin/sh
# A self-extracting script: the zip after the marker line is the payload.
skip=$(awk '/^__ARCHIVE__$/ { print NR + 1; exit 0 }' "$0")
tail -n +"$skip" "$0" > "${TMPDIR:-/tmp}/payload.zip" && unzip -o "${TMPDIR:-/tmp}/payload.zip"
exit 0
__ARCHIVE__
SH
(cd "$WORK"/p && zip -q -X "$WORK"/pay.zip one.txt two.txt)
cat "$WORK"/stub.sh "$WORK"/pay.zip > carve/stub_zip.sh
for s in carve/rust_logo_cab.png carve/stub_zip.sh; do
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" "$s"
    out=$REF/${s//\//__}.tsv
    tsv "$d" > "$out"
    [ -s "$out" ] || { echo "carve.sh: empty listing $out" >&2; exit 1; }
    echo "$out"
done
