#!/usr/bin/env bash
# installsift test corpus, part 4: xar archives and macOS flat packages (pkg/, xar/),
# and their 7zz reference listings. build.sh calls this at the end of a full build;
# it may also run alone:  bash corpus/src/tools/xar.sh
#   pkg/product.pkg     product archive (productbuild layout): Distribution,
#                       demo.pkg/{PackageInfo,Payload,Scripts}; bsdtar, zlib ("gzip"), SHA-1
#   pkg/component.pkg   component package (pkgbuild layout): PackageInfo, Payload, Scripts
#                       at the top; bsdtar, zlib, SHA-1
#   xar/none.xar  xar/bzip2.xar  xar/xz.xar  xar/lzma.xar
#                       plain xar of the payload files (with a subdirectory), one per
#                       libarchive encoding; MD5 checksums for none.xar, SHA-1 otherwise
#   xar/xarjs.xar       npm xar-js 0.2.0 (the Safari-extension writer): zlib, SHA-1
#   xar/xarjs_signed.xar  the same, RSA-signed with the TEST ONLY key (corpus/src/keys)
#   xar/npm_gzip_truncated.xar  npm xar 1.1.1: real gzip members under "application/x-gzip";
#                       the writer loses the end of its heap (its ranges-stream copy stops
#                       early: bsdtar and 7zz report truncation too), kept as a real broken file
# Payload and Scripts are what pkgbuild writes: `find . | cpio -o --format odc | gzip`
# (GNU cpio --reproducible, gzip -n). No Bom: Debian has no mkbom (bomutils is not
# packaged). Needs: bsdtar (libarchive-tools), cpio, gzip, node + npm (network, once).
# Not byte-reproducible: the TOCs hold creation times (bsdtar, npm xar) and inode
# numbers (bsdtar); the listings and hashes of the members are.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
REF=$HERE/reference
EPOCH=1717200000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-xar.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for c in bsdtar cpio gzip node npm 7zz; do
    command -v "$c" >/dev/null || { echo "xar.sh: missing $c" >&2; exit 1; }
done
cd "$HERE"
rm -rf pkg xar
rm -f reference/pkg__*.tsv reference/xar__*.tsv
mkdir -p pkg xar

stamp_tree() { find "$1" -depth -exec touch -h -d "@$EPOCH" {} +; }
# cpio_gz DIR OUT: a pkgbuild-style Payload/Scripts archive of DIR
cpio_gz() { (cd "$1" && find . | LC_ALL=C sort | cpio -o --quiet --format odc --reproducible \
    --owner 0:0 | gzip -n -9) > "$2"; }
XAR_OWN=(--uid 0 --gid 0 --uname root --gname wheel)

# ---- flat package staging
S=$WORK/stage
mkdir -p "$S"/root/usr/local/share/installsift "$S"/scripts "$S"/product/demo.pkg "$S"/component
cp "$SRC"/payload/readme.txt "$SRC"/payload/license.txt "$SRC"/payload/config.ini \
    "$S"/root/usr/local/share/installsift/
cp "$SRC"/xar/postinstall "$S"/scripts/
chmod 755 "$S"/scripts/postinstall
stamp_tree "$S"/root; stamp_tree "$S"/scripts
cpio_gz "$S"/root "$S"/Payload
cpio_gz "$S"/scripts "$S"/Scripts
cp "$SRC"/xar/Distribution "$S"/product/
cp "$SRC"/xar/PackageInfo "$S"/Payload "$S"/Scripts "$S"/product/demo.pkg/
cp "$SRC"/xar/PackageInfo "$S"/Payload "$S"/Scripts "$S"/component/
stamp_tree "$S"/product; stamp_tree "$S"/component
bsdtar -cf pkg/product.pkg --format xar "${XAR_OWN[@]}" \
    --options xar:compression=gzip,xar:toc-checksum=sha1,xar:checksum=sha1 \
    -C "$S"/product Distribution demo.pkg
bsdtar -cf pkg/component.pkg --format xar "${XAR_OWN[@]}" \
    --options xar:compression=gzip,xar:toc-checksum=sha1,xar:checksum=sha1 \
    -C "$S"/component PackageInfo Payload Scripts

# ---- plain xar, one per encoding libarchive writes
P=$WORK/plain
mkdir -p "$P"/docs
cp "$SRC"/payload/readme.txt "$SRC"/payload/config.ini "$P"/
cp "$SRC"/payload/license.txt "$P"/docs/
stamp_tree "$P"
bsdtar -cf xar/none.xar --format xar "${XAR_OWN[@]}" \
    --options xar:compression=none,xar:toc-checksum=md5,xar:checksum=md5 -C "$P" .
for c in bzip2 xz lzma; do
    bsdtar -cf "xar/$c.xar" --format xar "${XAR_OWN[@]}" \
        --options "xar:compression=$c,xar:toc-checksum=sha1,xar:checksum=sha1" -C "$P" .
done

# ---- npm writers (pinned)
N=$WORK/npm
mkdir -p "$N"
(cd "$N" && npm install --silent --no-audit --no-fund --no-save xar-js@0.2.0 xar@1.1.1 >/dev/null)
# xar-js reads the clock for <creation-time>: freeze it for the run
cat > "$N"/clock.js <<'JS'
const T = 1717200000000, D = Date;
global.Date = class extends D { constructor(...a) { a.length ? super(...a) : super(T); } static now() { return T; } };
JS
(cd "$P" && node -r "$N"/clock.js "$N"/node_modules/xar-js/xarjs create "$HERE"/xar/xarjs.xar \
    readme.txt config.ini docs)
(cd "$P" && node -r "$N"/clock.js "$N"/node_modules/xar-js/xarjs create "$HERE"/xar/xarjs_signed.xar \
    --cert "$SRC"/keys/test_only_cert.pem --private-key "$SRC"/keys/test_only_key.pem \
    readme.txt config.ini docs)
# npm xar 1.1.1 predates Node 10: give it os.tmpDir and a callback for fs.unlink
cat > "$N"/compat.js <<'JS'
const os = require('os'), fs = require('fs');
os.tmpDir = os.tmpDir || os.tmpdir;
const unlink = fs.unlink; fs.unlink = (p, cb) => unlink(p, cb || (() => {}));
JS
(cd "$P" && node -r "$N"/compat.js -e "
  require('$N/node_modules/xar').pack(['readme.txt', 'config.ini'], {compression: 'gzip'})
    .pipe(require('fs').createWriteStream('$HERE/xar/npm_gzip_truncated.xar'))")

# ---- reference listings: 7zz x (7-Zip's Xar handler also writes the TOC as [TOC].xml;
# tests/it/reference.rs drops that row). 7-Zip 26.02 has no lzma/xz in its Xar handler
# ("Unsupported Method"): those two are listed with bsdtar (libarchive) instead, and
# bsdtar must agree with 7zz on every other sample.
dir_tsv() {
    (cd "$1" && find . -type f -print0 | while IFS= read -r -d '' f; do
        f=${f#./}
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done) | LC_ALL=C sort
}
bsdtar_tsv() { local d; d=$(mktemp -d "$WORK"/bsd.XXXXXX); bsdtar -xf "$HERE/$1" -C "$d"; dir_tsv "$d"; }
for s in pkg/product.pkg pkg/component.pkg xar/none.xar xar/bzip2.xar xar/xarjs.xar \
         xar/xarjs_signed.xar; do
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" "$HERE/$s" || { echo "xar.sh: 7zz x $s failed" >&2; exit 1; }
    out=$REF/${s//\//__}.tsv
    dir_tsv "$d" > "$out"
    grep -v '^\[TOC\]\.xml	' "$out" | cmp -s - <(bsdtar_tsv "$s") \
        || { echo "xar.sh: bsdtar and 7zz disagree on $s" >&2; exit 1; }
done
for s in xar/xz.xar xar/lzma.xar; do
    bsdtar_tsv "$s" > "$REF/${s//\//__}.bsdtar.tsv"
done
ls -l pkg xar
