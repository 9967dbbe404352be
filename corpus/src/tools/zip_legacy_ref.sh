#!/usr/bin/env bash
# installsift test corpus: reference listings of zip_legacy/ (PKZIP 1.x methods), which are
# committed as they are (no Debian tool writes shrink, reduce or implode): implode.zip,
# shrink.zip, reduce.zip from zip-rs/zip2 commit 00529ef8f7e8, tests/data/legacy/ (MIT);
# commons_*.{zip,ZIP} from apache/commons-compress commit 6862beae76a9, src/test/resources/
# (Apache-2.0). Run alone: bash corpus/src/tools/zip_legacy_ref.sh
#   all but reduce.zip       `7zz x` (7-Zip's Implode and Shrink decoders), cross-checked with
#                            Info-ZIP `unzip -p` (build fails if they disagree)
#   reduce.zip               neither 7-Zip 26.02 ("Unsupported Method") nor Info-ZIP UnZip 6.0
#                            ("`reduce' method not supported") decodes Reduce: the listing is the
#                            file zip2's own test says it decodes to (tests/data/folder/first.txt at
#                            the same commit), written to $ZIP2_FIRST_TXT by the caller
# Needs: 7zz, unzip.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REF=$HERE/reference
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-ziplegacy.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
command -v 7zz >/dev/null || { echo "missing 7zz -- apt-get install 7zip" >&2; exit 1; }
command -v unzip >/dev/null || { echo "missing unzip -- apt-get install unzip" >&2; exit 1; }
cd "$HERE"
row() { printf '%s\t%s\t%s\n' "$1" "$(stat -c %s -- "$2")" "$(sha256sum < "$2" | cut -d' ' -f1)"; }
for s in implode.zip shrink.zip commons_SHRUNK.ZIP commons_imploding-4Kdict-2trees.zip \
         commons_imploding-8Kdict-3trees.zip; do
    d=$WORK/$s; mkdir -p "$d"
    7zz x -bd -bso0 -bsp0 -y -o"$d" zip_legacy/$s
    out=$REF/zip_legacy__$s.tsv
    (cd "$d" && for f in *; do row "$f" "$f"; done) | LC_ALL=C sort > "$out"
    for f in "$d"/*; do
        [ "$(unzip -p zip_legacy/$s "$(basename "$f")" | sha256sum)" = "$(sha256sum < "$f")" ] \
            || { echo "7zz and unzip disagree on $s" >&2; exit 1; }
    done
done
if [ -n "${ZIP2_FIRST_TXT:-}" ]; then
    row first.txt "$ZIP2_FIRST_TXT" > "$REF"/zip_legacy__reduce.zip.tsv
fi
