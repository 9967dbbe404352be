#!/usr/bin/env bash
# installsift test corpus: Apple UDIF disk images (dmg/) and their 7zz reference listings.
# Runs alone:  LIBDMG_SRC=... LZFSE_SRC=... bash corpus/src/tools/dmg.sh
#   dmg/hello-zlib.dmg  dmg/hello-bzip2.dmg  dmg/hello-lzfse.dmg
#       one HFSX volume ("Firefox", libdmg-hfsplus's test/empty.hfs grown to 2 MiB) holding
#       Hello.app/Contents/{Info.plist,MacOS/Hello,Resources/{numbers.txt,noise.bin}},
#       README.txt, a symlink README.link -> README.txt, s1..s11 and frag.bin (written after
#       h1..h11 were deleted between the s files, so it is laid out after them), written by
#       libdmg-hfsplus's `hfsplus` tool and made into UDIF by its `dmg build` with
#       `-c zlib|bzip2|lzfse` (Apple_partition_map, driver and free partitions around it)
#   dmg/hdiutil-hfs.dmg  dmg/hdiutil-xattrs.dmg
#       made by macOS `hdiutil create -megabytes 5 -fs HFS+ -volname myDisk -srcfolder`
#       (zlib, UDZO), committed in libdmg-hfsplus as test/hfs_xattrs_reference/hdiutil.hfs.dmg
#       and hdiutilab.hfs.dmg (the second with an extended attribute on each file); copied
# Needs: a checkout of https://github.com/glankk/libdmg-hfsplus (GPL-3.0; commit
# fb17a7baf984c9cf9cff4b9dd7354d06a99b5130 used) in LIBDMG_SRC and of
# https://github.com/lzfse/lzfse (BSD-3-Clause) in LZFSE_SRC; cmake, zlib1g-dev, libbz2-dev,
# liblzma-dev, libssl-dev, 7zz. Not byte-reproducible (HFS+ dates are the build time); the
# listings and hashes of the files are.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REF=$HERE/reference
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-dmg.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
: "${LIBDMG_SRC:?set LIBDMG_SRC to a libdmg-hfsplus checkout}"
: "${LZFSE_SRC:?set LZFSE_SRC to an lzfse checkout}"
for c in cmake make cc 7zz python3; do
    command -v "$c" >/dev/null || { echo "dmg.sh: missing $c" >&2; exit 1; }
done

# Build lzfse, then libdmg-hfsplus against it.
cmake -S "$LZFSE_SRC" -B "$WORK/lzfse" -DCMAKE_INSTALL_PREFIX="$WORK/prefix" >/dev/null
make -C "$WORK/lzfse" -j2 install >/dev/null
cmake -S "$LIBDMG_SRC" -B "$WORK/libdmg" -DCMAKE_PREFIX_PATH="$WORK/prefix" >/dev/null
make -C "$WORK/libdmg" -j2 >/dev/null
H=$WORK/libdmg/hfs/hfsplus
D=$WORK/libdmg/dmg/dmg
export LD_LIBRARY_PATH=$WORK/prefix/lib

# The volume's files.
S=$WORK/stage
mkdir -p "$S/Hello.app/Contents/MacOS" "$S/Hello.app/Contents/Resources"
cat > "$S/Hello.app/Contents/Info.plist" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleExecutable</key><string>Hello</string>
	<key>CFBundleIdentifier</key><string>org.installsift.hello</string>
	<key>CFBundleName</key><string>Hello</string>
	<key>CFBundleVersion</key><string>1.0</string>
</dict>
</plist>
EOF
printf '#!/bin/sh\necho "Hello from installsift corpus"\n' > "$S/Hello.app/Contents/MacOS/Hello"
chmod 755 "$S/Hello.app/Contents/MacOS/Hello"
seq 1 30000 > "$S/Hello.app/Contents/Resources/numbers.txt"
printf 'Read me: an installsift test volume.\n' > "$S/README.txt"
python3 - "$S" "$WORK" <<'EOF'
import random, sys
s, w = sys.argv[1], sys.argv[2]
r = random.Random(17)
open(f"{s}/Hello.app/Contents/Resources/noise.bin", "wb").write(bytes(r.getrandbits(8) for _ in range(3000)))
open(f"{w}/frag.bin", "w").write("".join("line %05d of a fragmented file\n" % i for i in range(1500)))
for i in range(1, 12):
    open(f"{w}/h{i}", "wb").write(b"a" * 4096)
    open(f"{w}/s{i}", "wb").write(b"b" * 4096)
EOF
V=$WORK/vol.hfs
cp "$LIBDMG_SRC/test/empty.hfs" "$V"
"$H" "$V" grow 2097152 >/dev/null
"$H" "$V" addall "$S" >/dev/null
"$H" "$V" symlink README.link README.txt >/dev/null
for i in $(seq 1 11); do
    "$H" "$V" add "$WORK/h$i" "h$i" >/dev/null
    "$H" "$V" add "$WORK/s$i" "s$i" >/dev/null
done
for i in $(seq 1 11); do "$H" "$V" rm "h$i" >/dev/null; done
"$H" "$V" add "$WORK/frag.bin" frag.bin >/dev/null

cd "$HERE"
mkdir -p dmg
rm -f reference/dmg__*.tsv
for c in zlib bzip2 lzfse; do
    "$D" -c "$c" build "$V" "dmg/hello-$c.dmg" >/dev/null
done
cp "$LIBDMG_SRC/test/hfs_xattrs_reference/hdiutil.hfs.dmg" dmg/hdiutil-hfs.dmg
cp "$LIBDMG_SRC/test/hfs_xattrs_reference/hdiutilab.hfs.dmg" dmg/hdiutil-xattrs.dmg

dir_tsv() {
    (cd "$1" && find . -type f -print0 | while IFS= read -r -d '' f; do
        f=${f#./}
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done) | LC_ALL=C sort
}
# 7-Zip opens the image's main HFS partition and writes its files below the volume name;
# it writes extended attributes (alternate streams) only with -sns, not used here.
for s in dmg/hello-zlib.dmg dmg/hello-bzip2.dmg dmg/hello-lzfse.dmg dmg/hdiutil-hfs.dmg \
         dmg/hdiutil-xattrs.dmg; do
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" "$HERE/$s"
    out=$REF/${s//\//__}.tsv
    dir_tsv "$d" > "$out"
    [ -s "$out" ] || { echo "dmg.sh: empty listing $out" >&2; exit 1; }
    echo "$out"
done
