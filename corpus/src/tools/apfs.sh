#!/usr/bin/env bash
# APFS samples (corpus/apfs/) and their 7zz reference listings. No tool on Debian writes
# APFS, so these are real containers made on macOS, taken from public projects' test data:
#
#   apfs/dfvfs_apfs.raw     log2timeline/dfvfs @ ceb7ef3a02ec285433d185b57a8497e2ab9ca464,
#                           test_data/apfs.raw (Apache-2.0): one APFS container (newfs_apfs
#                           1933.61.1, `hdiutil create -fs APFS -size 4 MiB -volname apfs_test`,
#                           utils/generate_test_data_macos.sh) holding files, a directory, a
#                           symbolic link, an extended attribute and a resource fork
#   apfs/container-apfs.dmg Homebrew/brew @ aad366ffaf6a8c94c66d35e4b990d42ac4195305,
#                           Library/Homebrew/test/support/fixtures/cask/container-apfs.dmg
#                           (BSD-2-Clause): a UDIF image (zlib) whose GPT holds an Apple_APFS
#                           partition (newfs_apfs 1677.81.1) with one file
#
#   bash corpus/src/tools/apfs.sh [DFVFS_CLONE] [BREW_CLONE]
#
# Reference listings: `7zz x -sns` (7-Zip 26.02; -sns writes extended attributes as
# `file:name` alternate streams, as installsift names them), regular files only.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOP=$(cd "$HERE/.." && pwd)
DFVFS=${1:-$TOP/target/dfvfs}
BREW=${2:-$TOP/target/brew}
DFVFS_REV=ceb7ef3a02ec285433d185b57a8497e2ab9ca464
BREW_REV=aad366ffaf6a8c94c66d35e4b990d42ac4195305
command -v 7zz >/dev/null || { echo "apfs.sh: needs 7zz (apt-get install 7zip)" >&2; exit 1; }
[ -d "$DFVFS" ] || git clone -q --filter=blob:none --no-checkout https://github.com/log2timeline/dfvfs "$DFVFS"
[ -d "$BREW" ] || git clone -q --filter=blob:none --no-checkout https://github.com/Homebrew/brew "$BREW"
OUT=$HERE/apfs
REF=$HERE/reference
mkdir -p "$OUT"
git -C "$DFVFS" show "$DFVFS_REV:test_data/apfs.raw" > "$OUT/dfvfs_apfs.raw"
git -C "$BREW" show "$BREW_REV:Library/Homebrew/test/support/fixtures/cask/container-apfs.dmg" > "$OUT/container-apfs.dmg"
(cd "$OUT" && sha256sum -c <<'SUMS'
e3e3adcbbf189403d892b013d6cba155f2e58e42ff5eb541ec681c37a91a3f29  dfvfs_apfs.raw
0630aa1145e8c3fa77aeb6ec414fee35204e90f224d6d06cb23e18a4d6112a5d  container-apfs.dmg
SUMS
)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-apfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for f in dfvfs_apfs.raw container-apfs.dmg; do
    d=$WORK/$f
    7zz x -bd -bso0 -bsp0 -y -sns -o"$d" "$OUT/$f"
    (cd "$d" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r p; do
        printf '%s\t%s\t%s\n' "$p" "$(stat -c %s "$p")" "$(sha256sum "$p" | cut -c1-64)"
    done) > "$REF/apfs__$f.tsv"
    [ -s "$REF/apfs__$f.tsv" ] || { echo "apfs.sh: empty listing for $f" >&2; exit 1; }
    echo "$REF/apfs__$f.tsv"
done
