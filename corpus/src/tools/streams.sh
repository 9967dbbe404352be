#!/usr/bin/env bash
# installsift test corpus, part 5: compressed streams, tar and cpio (corpus/streams/,
# corpus/malformed/streams_*) and their reference listings. build.sh calls this at the end
# of a full build; it may also run alone:  bash corpus/src/tools/streams.sh
#   streams/ustar.tar  pax.tar  gnu.tar   GNU tar --format=ustar|pax|gnu of the same tree
#                        (gnu and pax hold a 150-character name: ././@LongLink / pax path)
#   streams/odc.cpio  newc.cpio  crc.cpio GNU cpio -o -H odc|newc|crc --reproducible
#   streams/hello.txt.gz                  gzip -9 (stores FNAME hello.txt and the mtime)
#   streams/ustar.tar.gz                  gzip -n -9 (no name: the child is named after the file)
#   streams/multi.txt.gz                  two gzip -n members, concatenated (cat)
#   streams/hello.txt.bz2  gnu.tar.bz2    bzip2 -9
#   streams/hello.txt.xz  pax.tar.xz  newc.cpio.xz   xz -9 (CRC-64), newc.cpio.xz --check=sha256
#   streams/ustar.tar.lzma  hello.txt.lzma xz --format=lzma (LZMA alone; the text one is
#                        not detected: no magic, and its content is no known format)
#   streams/newc.cpio.pbzx                pbzx layout (Apple's Payload format) assembled by
#                        this script around one `xz` stream: no pbzx writer exists on Debian
#   malformed/streams_*                   corruptions of the above at documented offsets
#                        (hand-made; see corpus/README.md)
# Deterministic: fixed mtimes, owner 0:0, sorted names, gzip -n where no name is wanted.
# Needs: tar, cpio, gzip, bzip2, xz, bsdtar (libarchive-tools), 7zz (7zip), python3.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REF=$HERE/reference
EPOCH=1717200000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-streams.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
need() { command -v "$1" >/dev/null || { echo "streams.sh: missing $1 -- apt-get install $2" >&2; exit 1; }; }
need tar tar; need cpio cpio; need gzip gzip; need bzip2 bzip2; need xz xz-utils
need bsdtar libarchive-tools; need 7zz 7zip; need python3 python3
cd "$HERE"
rm -rf streams malformed/streams_*
rm -f reference/streams__*.tsv
mkdir -p streams malformed

# ---------------------------------------------------------------- the tree archived
T=$WORK/tree
mkdir -p "$T"/dir/sub
printf 'hello, streams\n' > "$T"/hello.txt
python3 -c "
import sys
x = 12345
out = bytearray()
for _ in range(6000):
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out.append((x >> 16) & 0xff)
sys.stdout.buffer.write(bytes(out))" > "$T"/data.bin
LONG90=$(printf 'n%.0s' $(seq 1 86)).txt
printf 'under a ustar prefix\n' > "$T/dir/sub/$LONG90"
ln -s hello.txt "$T"/link
: > "$T"/empty.txt
find "$T" -depth -exec touch -h -d "@$EPOCH" {} +
T2=$WORK/tree2
cp -a "$T" "$T2"
LONG150=$(printf 'L%.0s' $(seq 1 146)).txt
printf 'a name longer than 100 bytes\n' > "$T2/dir/$LONG150"
find "$T2" -depth -exec touch -h -d "@$EPOCH" {} +

TARFLAGS=(--sort=name --owner=0 --group=0 --numeric-owner --mtime=@$EPOCH)
tar -C "$T" "${TARFLAGS[@]}" --format=ustar -cf streams/ustar.tar .
tar -C "$T2" "${TARFLAGS[@]}" --format=gnu -cf streams/gnu.tar .
tar -C "$T2" "${TARFLAGS[@]}" --format=pax \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf streams/pax.tar .
for h in odc newc crc; do
    (cd "$T" && find . | sort | cpio -o --quiet -H "$h" --reproducible --owner 0:0) > streams/$h.cpio
done

# ---------------------------------------------------------------- compressed streams
cp "$T"/hello.txt "$WORK"/hello.txt
touch -d "@$EPOCH" "$WORK"/hello.txt
gzip -9 -c "$WORK"/hello.txt > streams/hello.txt.gz
gzip -n -9 -c streams/ustar.tar > streams/ustar.tar.gz
{ printf 'first member\n' | gzip -n -9; printf 'second member\n' | gzip -n -1; } > streams/multi.txt.gz
bzip2 -9 -c "$WORK"/hello.txt > streams/hello.txt.bz2
bzip2 -9 -c streams/gnu.tar > streams/gnu.tar.bz2
xz -9 -c "$WORK"/hello.txt > streams/hello.txt.xz
xz -9 -c streams/pax.tar > streams/pax.tar.xz
xz -9 --check=sha256 -c streams/newc.cpio > streams/newc.cpio.xz
xz --format=lzma -9 -c streams/ustar.tar > streams/ustar.tar.lzma
xz --format=lzma -9 -c "$WORK"/hello.txt > streams/hello.txt.lzma
python3 - "$HERE" <<'PY'
import struct, subprocess, sys
here = sys.argv[1]
raw = open(f"{here}/streams/newc.cpio", "rb").read()
xz = subprocess.run(["xz", "-9", "-c"], input=raw, capture_output=True, check=True).stdout
out = b"pbzx" + struct.pack(">Q", 0x1000000) + struct.pack(">QQ", len(raw), len(xz)) + xz
open(f"{here}/streams/newc.cpio.pbzx", "wb").write(out)
PY

# ---------------------------------------------------------------- malformed (hand-made)
python3 - "$HERE" <<'PY'
import sys
here = sys.argv[1]
def put(name, data):
    open(f"{here}/malformed/{name}", "wb").write(data)
gz = bytearray(open(f"{here}/streams/hello.txt.gz", "rb").read())
gz[-8] ^= 0xFF                       # the trailer's CRC-32
put("streams_bad_crc.txt.gz", bytes(gz))
tar = bytearray(open(f"{here}/streams/ustar.tar", "rb").read())
put("streams_cut.tar", bytes(tar[:1024 + 100]))   # inside the second entry's data
bad = bytearray(tar)
bad[136] ^= 0x01                     # first header's mtime: only the checksum notices
put("streams_bad_header_checksum.tar", bytes(bad))
crc = bytearray(open(f"{here}/streams/crc.cpio", "rb").read())
i = crc.index(b"hello, streams")
crc[i] ^= 0x01                       # data of hello.txt: its 070702 check fails
put("streams_bad_check.cpio", bytes(crc))
tgz = open(f"{here}/streams/ustar.tar.gz", "rb").read()
put("streams_cut.tar.gz", tgz[: len(tgz) // 2])
PY

# ---------------------------------------------------------------- reference listings
dir_tsv() {
    (cd "$1" && find . -type f -print0 | while IFS= read -r -d '' f; do
        f=${f#./}
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done) | LC_ALL=C sort
}
ref() { # ref TOOL SAMPLE [SUFFIX]
    local d out
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    out=$REF/${2//\//__}${3:-}.tsv
    case $1 in
        7zz)    7zz x -bd -bso0 -bsp0 -y -o"$d" "$HERE/$2" ;;
        bsdtar) bsdtar -xf "$HERE/$2" -C "$d" ;;
        cpio)   (cd "$d" && cpio -i -d --quiet < "$HERE/$2") ;;
    esac
    dir_tsv "$d" > "$out"
    [ -s "$out" ] || { echo "streams.sh: empty listing $out" >&2; exit 1; }
}
for s in ustar.tar pax.tar gnu.tar; do ref bsdtar streams/$s .bsdtar; ref 7zz streams/$s .7zz; done
for s in odc.cpio newc.cpio crc.cpio; do ref bsdtar streams/$s .bsdtar; ref cpio streams/$s .cpio; done
for s in hello.txt.gz ustar.tar.gz multi.txt.gz hello.txt.bz2 gnu.tar.bz2 hello.txt.xz \
         pax.tar.xz newc.cpio.xz ustar.tar.lzma; do
    ref 7zz streams/$s .7zz
done
# Cross-checks: the tar and cpio listings agree between their two tools.
for s in ustar.tar pax.tar gnu.tar; do
    cmp -s "$REF/streams__$s.bsdtar.tsv" "$REF/streams__$s.7zz.tsv" \
        || { echo "streams.sh: bsdtar and 7zz disagree on $s" >&2; exit 1; }
done
for s in odc.cpio newc.cpio crc.cpio; do
    cmp -s "$REF/streams__$s.bsdtar.tsv" "$REF/streams__$s.cpio.tsv" \
        || { echo "streams.sh: bsdtar and cpio disagree on $s" >&2; exit 1; }
done
# The pbzx Payload's cpio, listed by bsdtar after our own assembly is undone by xz.
d=$(mktemp -d "$WORK"/ref.XXXXXX)
python3 -c "
import sys, struct
b = open('$HERE/streams/newc.cpio.pbzx','rb').read()
n = struct.unpack('>Q', b[20:28])[0]
sys.stdout.buffer.write(b[28:28+n])" | xz -dc > "$d"/newc.cpio
cmp -s "$d"/newc.cpio streams/newc.cpio || { echo "streams.sh: pbzx does not hold newc.cpio" >&2; exit 1; }
find streams malformed/streams_* -exec touch -h -d "@$EPOCH" {} +
echo "streams.sh: $(ls streams | wc -l) samples, $(ls "$REF"/streams__*.tsv | wc -l) listings"

# ---------------------------------------------------------------- payloads of installers
# What installers carry in these formats, listed two levels deep by the reference tools
# (reference/payloads/, read by crates/cli/tests/it/streams.rs, not by reference.rs):
#   omaha: `7zz x` of the metainstaller writes the decoded B/102 payload as `102~` (7-Zip
#          opens the LZMA-alone resource itself); `7zz x 102~` then writes the tar's files.
#          Rows: `102~` and `102~/<member>`.
#   pkg:   `7zz x` writes Payload and Scripts (gzip'd cpio); `bsdtar -xf` of each writes their
#          files. Rows: `<xar path>/<member>`.
mkdir -p "$REF"/payloads
rm -f "$REF"/payloads/*.tsv
omaha_ref() { # omaha_ref SAMPLE
    local d out
    d=$(mktemp -d "$WORK"/om.XXXXXX)
    out=$REF/payloads/${1//\//__}.tsv
    7zz x -bd -bso0 -bsp0 -y -o"$d/x" "$HERE/$1"
    [ -f "$d/x/102~" ] || { echo "streams.sh: 7zz wrote no 102~ for $1" >&2; exit 1; }
    7zz x -bd -bso0 -bsp0 -y -o"$d/t" "$d/x/102~"
    { printf '102~\t%s\t%s\n' "$(stat -c %s "$d/x/102~")" "$(sha256sum < "$d/x/102~" | cut -d' ' -f1)"
      dir_tsv "$d/t" | sed 's|^|102~/|'; } | LC_ALL=C sort > "$out"
}
omaha_ref omaha/omaha_tagged.exe
omaha_ref real/omaha_GoogleUpdateSetup_1.2.121.9_untagged.exe
pkg_ref() { # pkg_ref SAMPLE
    local d out p
    d=$(mktemp -d "$WORK"/pkg.XXXXXX)
    out=$REF/payloads/${1//\//__}.tsv
    7zz x -bd -bso0 -bsp0 -y -o"$d/x" "$HERE/$1"
    (cd "$d/x" && find . -type f \( -name Payload -o -name Scripts \) | sed 's|^\./||' | LC_ALL=C sort) |
    while read -r p; do
        mkdir -p "$d/t/$p"
        bsdtar -xf "$d/x/$p" -C "$d/t/$p"
        dir_tsv "$d/t/$p" | sed "s|^|$p/|"
    done | LC_ALL=C sort > "$out"
    [ -s "$out" ] || { echo "streams.sh: empty listing $out" >&2; exit 1; }
}
pkg_ref pkg/component.pkg
pkg_ref pkg/product.pkg
echo "streams.sh: $(ls "$REF"/payloads | wc -l) payload listings"
