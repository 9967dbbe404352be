#!/usr/bin/env bash
# installsift test corpus: regenerate every sample from corpus/src, then the reference
# listings in corpus/reference/.  Run from anywhere:  bash corpus/build.sh
# `bash corpus/build.sh nsis` rebuilds only the NSIS samples (corpus/nsis/,
# malformed/nsis_*, reference/nsis__*) and then samples.tsv and TOOLS.txt.
#
# Deterministic where the tools allow it: fixed mtimes (touch -d), TZ=UTC, zip -X,
# single-threaded 7zz, ld --no-insert-timestamp, osslsigncode -time, wixl/msibuild under
# faketime with a fixed package code.  Not deterministic: the AES-encrypted 7z
# archives (7-Zip draws a random IV per archive) and the encrypted zips (random
# ZipCrypto headers and AES salts).  See README.md.
#
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail

export LC_ALL=C TZ=UTC
umask 022
EPOCH=1717200000                      # 2024-06-01 00:00:00 UTC
FAKETIME_AT='2024-06-01 00:00:00'     # absolute, frozen clock for wixl/msibuild
export SOURCE_DATE_EPOCH=$EPOCH

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/src
REF=$HERE/reference
TOOL="python3 $SRC/tools/corpus_tool.py"
KEY=$SRC/keys/test_only_key.pem
CERT=$SRC/keys/test_only_cert.pem
SEVENZ_PASSWORD=installsift
ZIP_PASSWORD=infected                 # the encrypted zips and infected_*.7z
# pyzipper 0.4.0 writes the AE-1 zip (7-Zip writes AE-2 only); a venv's python may be named
PYZIPPER=${PYZIPPER_PYTHON:-python3}
ONLY=${1:-all}
case $ONLY in all|nsis|inno) ;; *) echo "usage: build.sh [nsis|inno]" >&2; exit 2 ;; esac

# ---------------------------------------------------------------- tool check
missing=0
need() { # need COMMAND APT_PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "build.sh: missing '$1' -- apt-get install $2" >&2
        missing=1
    fi
}
need x86_64-w64-mingw32-gcc     gcc-mingw-w64-x86-64
need i686-w64-mingw32-gcc       gcc-mingw-w64-i686
need x86_64-w64-mingw32-windres binutils-mingw-w64-x86-64
need osslsigncode               osslsigncode
need wixl                       wixl
need msibuild                   msitools
need msiinfo                    msitools
need msiextract                 msitools
need gcab                       gcab
need cabextract                 cabextract
need 7zz                        7zip
need zip                        zip
need faketime                   faketime
need python3                    python3
need sha256sum                  coreutils
need makensis                   nsis
need cargo                      cargo
if ! "$PYZIPPER" -c 'import pyzipper' 2>/dev/null; then
    echo "build.sh: missing python module pyzipper -- pip install pyzipper==0.4.0 (or set PYZIPPER_PYTHON)" >&2
    missing=1
fi
[ "$missing" = 0 ] || exit 1

log() { printf '== %s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-corpus.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# fix permissions and mtimes of files (and directories) so archives are reproducible
stamp() {
    local p
    for p in "$@"; do
        if [ -d "$p" ]; then chmod 755 "$p"; else chmod 644 "$p"; fi
        touch -h -d "@$EPOCH" "$p"
    done
}
# stamp a whole tree, deepest first so directory mtimes survive
stamp_tree() { find "$1" -depth -print0 | while IFS= read -r -d '' p; do stamp "$p"; done; }

# ---------------------------------------------------------------- clean
cd "$HERE"
if [ "$ONLY" = all ]; then
    rm -rf pe msi cab zip 7z nested malformed nsis
    # Listings this script makes; fetch.sh makes installshield__*, xar.sh
    # (npm) xar__* and pkg__*: those stay.
    find reference -maxdepth 1 -name '*.tsv' ! -name 'installshield__*' \
        ! -name 'xar__*' ! -name 'pkg__*' ! -name 'szdd__*' ! -name 'kwaj__*' ! -name 'iso__*' ! -name 'udf__*' ! -name 'carve__*' ! -name 'zip_legacy__*' -delete
else
    rm -rf nsis
    rm -f malformed/nsis_* reference/nsis__*.tsv
fi
mkdir -p pe msi cab zip 7z nested malformed nsis reference

# ---------------------------------------------------------------- payload staging
P=$WORK/payload
mkdir -p "$P"
cp "$SRC"/payload/readme.txt "$SRC"/payload/license.txt "$SRC"/payload/config.ini "$P"/
stamp "$P"/*

sign() { # sign IN OUT [OPTION...]  -- fixed signing time, no timestamp server
    local in=$1 out=$2
    shift 2
    rm -f "$out"
    osslsigncode sign -certs "$CERT" -key "$KEY" -n "installsift test" -time "$EPOCH" \
        "$@" -in "$in" -out "$out" >/dev/null
    osslsigncode verify -in "$out" -CAfile "$CERT" >/dev/null 2>&1 || die "signature on $out does not verify"
}

# prefer the win32 thread-model compilers explicitly (the samples were made with them;
# the plain names are update-alternatives links that may point to the -posix variant)
CC64=$(command -v x86_64-w64-mingw32-gcc-win32 || echo x86_64-w64-mingw32-gcc)
CC32=$(command -v i686-w64-mingw32-gcc-win32 || echo i686-w64-mingw32-gcc)
RC64=x86_64-w64-mingw32-windres

# the sections up to "malformed" run only for a full build (not indented, to keep history)
if [ "$ONLY" = all ]; then
# ---------------------------------------------------------------- PE (mingw-w64)
log "PE files"
PEFLAGS=(-O2 -s -Wl,--no-insert-timestamp)

$CC64 "${PEFLAGS[@]}" -o pe/hello_x64.exe "$SRC"/pe/hello.c
$CC32 "${PEFLAGS[@]}" -o pe/hello_x86.exe "$SRC"/pe/hello.c
$RC64 -I "$SRC"/pe -i "$SRC"/pe/lib.rc -o "$WORK"/lib_res.o
$CC64 "${PEFLAGS[@]}" -shared -o pe/lib_x64.dll "$SRC"/pe/lib.c "$WORK"/lib_res.o
$RC64 -I "$SRC"/pe -i "$SRC"/pe/gui.rc -o "$WORK"/gui_res.o
$CC64 "${PEFLAGS[@]}" -mwindows -o pe/gui_x64.exe "$SRC"/pe/gui.c "$WORK"/gui_res.o

cp pe/hello_x64.exe "$P"/hello.exe
cp pe/lib_x64.dll "$P"/lib.dll
stamp "$P"/hello.exe "$P"/lib.dll

sign pe/hello_x64.exe pe/signed_x64.exe

# small payload archives to append to PEs (text files only)
S=$WORK/small
mkdir -p "$S"
cp "$P"/readme.txt "$P"/config.ini "$S"/
stamp "$S"/*
(cd "$S" && zip -X -q -9 ../small.zip readme.txt config.ini)
(cd "$S" && 7zz a -bd -bso0 -bsp0 -t7z -m0=lzma2 -mmt=1 ../small.7z readme.txt config.ini)
(cd "$S" && gcab -c -z ../small.cab readme.txt config.ini)

cat pe/hello_x64.exe "$WORK"/small.zip > pe/with_zip.exe
cat pe/hello_x64.exe "$WORK"/small.7z  > pe/with_7z.exe
cat pe/hello_x64.exe "$WORK"/small.cab > pe/with_cab.exe
$TOOL prng installsift-overlay-1 4096 "$WORK"/random.bin
cat pe/hello_x64.exe "$WORK"/random.bin > pe/with_random.exe
# like a real SFX: zip -A rewrites the zip's offsets relative to the start of the exe
cp pe/with_zip.exe pe/with_zip_adjusted.exe
zip -q -A pe/with_zip_adjusted.exe

# zip appended, then signed: osslsigncode pads to 8 bytes and puts the
# certificate table after the zip (the zip is covered by the Authenticode hash)
cat pe/hello_x64.exe "$WORK"/small.zip > "$WORK"/hello_zip_unsigned.exe
sign "$WORK"/hello_zip_unsigned.exe pe/zip_before_cert.exe
# signed, then a zip appended after the certificate table (outside the signature)
cat pe/signed_x64.exe "$WORK"/small.zip > pe/zip_after_cert.exe

# IExpress-style: a cabinet in an RCDATA resource named CABINET
(cd "$S" && gcab -c -z "$WORK"/payload.cab readme.txt config.ini)
$RC64 -I "$SRC"/pe --include-dir="$WORK" -i "$SRC"/pe/cabres.rc -o "$WORK"/cabres_res.o
$CC64 "${PEFLAGS[@]}" -o pe/cab_resource.exe "$SRC"/pe/cabres.c "$WORK"/cabres_res.o

# ---------------------------------------------------------------- CAB (gcab)
log "CAB files"
T=$WORK/tree          # readme.txt config.ini docs/license.txt bin/hello.exe
mkdir -p "$T"/docs "$T"/bin
cp "$P"/readme.txt "$P"/config.ini "$T"/
cp "$P"/license.txt "$T"/docs/
cp "$P"/hello.exe "$T"/bin/
stamp_tree "$T"
TREE_FILES=(readme.txt config.ini docs/license.txt bin/hello.exe)
(cd "$T" && gcab -c -z "$HERE"/cab/mszip.cab "${TREE_FILES[@]}")
(cd "$T" && gcab -c    "$HERE"/cab/stored.cab "${TREE_FILES[@]}")

# LZX: no LZX compressor is packaged for Debian, so these cabinets are written by our
# own test encoder (tests/lzxgen, driven by examples/lzx_corpus.rs; seeded, so two runs
# give the same bytes). Their reference listings come from cabextract (libmspack).
log "LZX cabinets (test encoder)"
(cd "$HERE"/.. && cargo run --release --quiet --example lzx_corpus -- "$HERE"/cab)

# ---------------------------------------------------------------- ZIP (Info-ZIP)
log "ZIP files"
# explicit order; naming a directory without -r adds just its directory entry
ZIP_ITEMS=(readme.txt config.ini docs docs/license.txt bin bin/hello.exe)
(cd "$T" && zip -X -q -0 "$HERE"/zip/stored.zip  "${ZIP_ITEMS[@]}")
(cd "$T" && zip -X -q -9 "$HERE"/zip/deflate.zip "${ZIP_ITEMS[@]}")
# Encrypted with the password analysts use, `infected` (not deterministic: the
# ZipCrypto header bytes and AES salts are random). Info-ZIP: ZipCrypto with data
# descriptors (check byte = DOS time), hello.exe stored. 7zz: ZipCrypto
# (check byte = CRC), AES-256 and AES-128, all AE-2. pyzipper: AES-192 AE-1 (CRC kept).
# (zip's -n .exe does not store it under -9: a second, stored run adds it)
(cd "$T" && zip -X -q -9 -P "$ZIP_PASSWORD" "$HERE"/zip/enc_zipcrypto.zip readme.txt config.ini docs docs/license.txt bin \
    && zip -X -q -0 -P "$ZIP_PASSWORD" "$HERE"/zip/enc_zipcrypto.zip bin/hello.exe)
ZZ=(7zz a -bd -bso0 -bsp0 -tzip -mmt=1 -p"$ZIP_PASSWORD")
(cd "$T" && "${ZZ[@]}" -mem=ZipCrypto "$HERE"/zip/enc_zipcrypto_7z.zip readme.txt config.ini docs bin)
(cd "$T" && "${ZZ[@]}" -mem=AES256 "$HERE"/zip/enc_aes256.zip readme.txt config.ini docs bin)
(cd "$T" && "${ZZ[@]}" -mem=AES128 "$HERE"/zip/enc_aes128.zip readme.txt config.ini docs bin)
(cd "$T" && "$PYZIPPER" "$SRC"/tools/zip_aes_ae1.py "$HERE"/zip/enc_aes192_ae1.zip . "${ZIP_ITEMS[@]}")

# ---------------------------------------------------------------- 7z (7zz)
log "7z files"
SZ=(7zz a -bd -bso0 -bsp0 -t7z -mmt=1)
(cd "$T" && "${SZ[@]}" -m0=lzma2 "$HERE"/7z/lzma2.7z readme.txt config.ini docs bin)
(cd "$T" && "${SZ[@]}" -m0=lzma2 -p"$SEVENZ_PASSWORD" "$HERE"/7z/enc_data.7z readme.txt config.ini docs bin)
(cd "$T" && "${SZ[@]}" -m0=lzma2 -p"$SEVENZ_PASSWORD" -mhe=on "$HERE"/7z/enc_header.7z readme.txt config.ini docs bin)
(cd "$T" && "${SZ[@]}" -m0=lzma2 -p"$ZIP_PASSWORD" "$HERE"/7z/infected_data.7z readme.txt config.ini docs bin)
(cd "$T" && "${SZ[@]}" -m0=lzma2 -p"$ZIP_PASSWORD" -mhe=on "$HERE"/7z/infected_header.7z readme.txt config.ini docs bin)
# Copy coder, plain (uncompressed) header, one block per file: the CRCs lie in the
# header as written, for tests that damage data or CRCs at documented offsets.
(cd "$T" && "${SZ[@]}" -m0=copy -mhc=off -ms=off "$HERE"/7z/copy_plain_header.7z readme.txt config.ini)
# One block per coder chain 7-Zip writes besides LZMA2 (each added by a separate update,
# so each file gets its own block and method): the decoders of every 7z block kind.
# Each file: license.txt, 1024 prng bytes (branch-like words for the BCJ filters), readme.txt.
M=$WORK/methods
mkdir -p "$M"
METHODS=("ppmd:-m0=PPMd" "bzip2:-m0=BZip2" "deflate:-m0=Deflate" "deflate64:-m0=Deflate64"
         "copy:-m0=Copy" "lzma:-m0=LZMA" "delta:-m0=Delta:4 -m1=LZMA" "arm:-m0=ARM -m1=LZMA2"
         "armt:-m0=ARMT -m1=LZMA2" "arm64:-m0=ARM64 -m1=LZMA2" "ppc:-m0=PPC -m1=LZMA2"
         "sparc:-m0=SPARC -m1=LZMA2" "ia64:-m0=IA64 -m1=LZMA2" "riscv:-m0=RISCV -m1=LZMA2"
         "bcj2:-m0=BCJ2 -m1=LZMA -m2=LZMA -m3=LZMA -mb0s0:1 -mb0s1:2 -mb0s2:3")
for m in "${METHODS[@]}"; do
    n=${m%%:*}
    $TOOL prng "installsift-7z-$n" 1024 "$WORK"/m-$n.rnd
    cat "$P"/license.txt "$WORK"/m-$n.rnd "$P"/readme.txt > "$M"/$n.bin
    stamp "$M"/$n.bin
    # shellcheck disable=SC2086  # the options are words
    (cd "$M" && "${SZ[@]}" ${m#*:} "$HERE"/7z/methods.7z $n.bin)
done

# ---------------------------------------------------------------- nested
log "nested"
N=$WORK/nested
mkdir -p "$N"/l1 "$N"/l2 "$N"/l3
printf 'innermost payload of nested/zip_7z_zip.zip (zip > 7z > zip > this file)\n' > "$N"/l1/inner.txt
stamp "$N"/l1/inner.txt
(cd "$N"/l1 && zip -X -q -9 "$N"/l2/inner.zip inner.txt)
stamp "$N"/l2/inner.zip
(cd "$N"/l2 && "${SZ[@]}" -m0=lzma2 "$N"/l3/middle.7z inner.zip)
stamp "$N"/l3/middle.7z
(cd "$N"/l3 && zip -X -q -9 "$HERE"/nested/zip_7z_zip.zip middle.7z)

# ---------------------------------------------------------------- MSI (wixl + msibuild)
log "MSI files"
M=$WORK/msi
mkdir -p "$M"
cp "$P"/readme.txt "$P"/license.txt "$P"/config.ini "$M"/
cp pe/hello_x64.exe pe/lib_x64.dll "$M"/
stamp "$M"/*

# wixl ignores <Package Id> and stamps the current time: run it under a frozen clock and
# then rewrite the summary information (same Subject/Author/Template) with a fixed
# package code taken from the .wxs <Package Id>.
suminfo() { msiinfo suminfo "$1" | sed -n "s/^$2: //p"; }
pin_summary() { # pin_summary MSI {GUID}
    local subj auth tmpl
    subj=$(suminfo "$1" Subject); auth=$(suminfo "$1" Author); tmpl=$(suminfo "$1" Template)
    faketime -f "$FAKETIME_AT" msibuild "$1" -s "$subj" "$auth" "$tmpl" "$2"
}
package_code() { sed -n 's/.*<Package Id="\([0-9A-Fa-f-]*\)".*/{\1}/p' "$1"; }
wixl_build() { # wixl_build OUT WXS [wixl args...]
    local out=$1 wxs=$2; shift 2
    (cd "$M" && faketime -f "$FAKETIME_AT" wixl "$@" -o "$out" "$wxs")
    pin_summary "$out" "$(package_code "$wxs")"
}

wixl_build "$HERE"/msi/simple.msi   "$SRC"/msi/simple.wxs
wixl_build "$HERE"/msi/nonascii.msi "$SRC"/msi/nonascii.wxs

# dirs.msi: x64; wixl 0.101 writes only long names and ignores ShortName=, so give the
# File/Directory rows short|long pairs with msiinfo export -> shortnames.py -> msibuild -i
wixl_build "$WORK"/dirs.msi "$SRC"/msi/dirs.wxs -a x64
for t in File Directory; do
    msiinfo export "$WORK"/dirs.msi $t > "$WORK"/$t.idt
    python3 "$SRC"/tools/shortnames.py "$WORK"/$t.idt
    faketime -f "$FAKETIME_AT" msibuild "$WORK"/dirs.msi -i "$WORK"/$t.idt
done
pin_summary "$WORK"/dirs.msi "$(package_code "$SRC"/msi/dirs.wxs)"
cp "$WORK"/dirs.msi msi/dirs.msi

# external_cab.msi: wixl writes the Media row (Cabinet=external.cab, no '#') but no
# cabinet at all, so build external.cab with gcab: entries are named by File key, in
# File.Sequence order.
wixl_build "$HERE"/msi/external_cab.msi "$SRC"/msi/external_cab.wxs
E=$WORK/extcab
mkdir -p "$E"
cp "$M"/hello_x64.exe "$E"/hello.exe
cp "$M"/readme.txt "$M"/config.ini "$E"/
stamp "$E"/*
(cd "$E" && gcab -c -z "$HERE"/msi/external.cab hello.exe readme.txt config.ini)

# module.msm: wixl 0.101 has no <Module> support ("unhandled child Wix node Module"),
# so msibuild builds it from .idt tables plus a gcab cabinet stream MergeModule.CABinet
MM=$WORK/msm
G=A1B2C3D4_0005_4000_8000_0000000000AA
mkdir -p "$MM"/cab
for f in "$SRC"/msm/*.idt; do sed 's/$/\r/' "$f" > "$MM/$(basename "$f")"; done
sed -e "s/@SIZE_LIB@/$(stat -c %s "$M"/lib_x64.dll)/" \
    -e "s/@SIZE_README@/$(stat -c %s "$M"/readme.txt)/" \
    -e 's/$/\r/' "$SRC"/msm/File.idt.in > "$MM"/File.idt
cp "$M"/lib_x64.dll "$MM"/cab/lib.dll.$G
cp "$M"/readme.txt "$MM"/cab/readme.txt.$G
stamp "$MM"/cab/*
(cd "$MM"/cab && gcab -c -z "$MM"/MergeModule.CABinet lib.dll.$G readme.txt.$G)
MSM=$WORK/module.msm
for t in ModuleSignature ModuleComponents Directory Component File; do
    faketime -f "$FAKETIME_AT" msibuild "$MSM" -i "$MM"/$t.idt
done
faketime -f "$FAKETIME_AT" msibuild "$MSM" -a MergeModule.CABinet "$MM"/MergeModule.CABinet
faketime -f "$FAKETIME_AT" msibuild "$MSM" -s "installsift merge module" "installsift test corpus" \
    "Intel;0" "{A1B2C3D4-0005-4000-8000-0000000000AA}"
cp "$MSM" msi/module.msm

cp msi/simple.msi msi/renamed.bin

# signed MSI, extended form: -add-msi-dse adds \x05MsiDigitalSignatureEx (the pre-hash
# of the stream metadata) beside \x05DigitalSignature
sign msi/simple.msi msi/signed.msi -add-msi-dse

# MSI wrapped in a PE overlay
cat pe/hello_x64.exe msi/simple.msi > pe/msi_in_overlay.exe

# ---------------------------------------------------------------- large (benchmark) samples
# One payload in four containers, for issue 8's comparison with `7zz t`: about 2.4 MB of
# real PEs (mingw-w64 runtime DLLs as Debian ships them, unstripped, plus our own PEs)
# and text, so that unpacking, not process start-up, dominates the timings.
log "large samples"
L=$WORK/large
mkdir -p "$L"/bin "$L"/lib "$L"/doc
mingw_dll() { # mingw_dll NAME: the runtime DLL that $CC64 ships (the -win32 runtime package)
    local f
    f=$($CC64 -print-file-name="$1")
    [ -f "$f" ] || die "mingw-w64 runtime $1 not found (gcc-mingw-w64-x86-64-win32-runtime, mingw-w64-x86-64-dev)"
    printf '%s\n' "$f"
}
cp pe/hello_x64.exe "$L"/bin/hello.exe
cp pe/hello_x86.exe "$L"/bin/hello32.exe
cp pe/lib_x64.dll "$L"/bin/lib.dll
for d in libgcc_s_seh-1.dll libwinpthread-1.dll libssp-0.dll; do cp "$(mingw_dll $d)" "$L"/bin/; done
cp "$(mingw_dll libquadmath-0.dll)" "$L"/lib/
cp "$P"/readme.txt "$P"/license.txt "$L"/doc/
cp "$P"/config.ini "$L"/
stamp_tree "$L"
LARGE_FILES=(config.ini bin/hello.exe bin/hello32.exe bin/lib.dll bin/libgcc_s_seh-1.dll
             bin/libwinpthread-1.dll bin/libssp-0.dll lib/libquadmath-0.dll doc/readme.txt doc/license.txt)
(cd "$L" && gcab -c -z "$HERE"/cab/large_mszip.cab "${LARGE_FILES[@]}")
# zip: with directory entries, as zip -r would add them (explicit order)
LARGE_ZIP_ITEMS=(config.ini bin bin/hello.exe bin/hello32.exe bin/lib.dll bin/libgcc_s_seh-1.dll
                 bin/libwinpthread-1.dll bin/libssp-0.dll lib lib/libquadmath-0.dll doc doc/readme.txt
                 doc/license.txt)
(cd "$L" && zip -X -q -9 "$HERE"/zip/large_deflate.zip "${LARGE_ZIP_ITEMS[@]}")
(cd "$L" && "${SZ[@]}" -m0=lzma2 -mf=BCJ -ms=on "$HERE"/7z/large_lzma2_bcj.7z "${LARGE_FILES[@]}")
# wixl puts every file in one embedded MSZIP cabinet (stream large.cab); Source= is
# relative to the current directory
(cd "$L" && faketime -f "$FAKETIME_AT" wixl -a x64 -o "$HERE"/msi/large_mszip.msi "$SRC"/msi/large.wxs)
pin_summary "$HERE"/msi/large_mszip.msi "$(package_code "$SRC"/msi/large.wxs)"

# ---------------------------------------------------------------- malformed
log "malformed"
$TOOL trunc zip/deflate.zip   malformed/trunc_deflate.zip 70
$TOOL trunc 7z/lzma2.7z       malformed/trunc_lzma2.7z    70
$TOOL trunc msi/simple.msi    malformed/trunc_simple.msi  60
$TOOL trunc cab/mszip.cab     malformed/trunc_mszip.cab   60
# An MsiFileHash row that disagrees with its file: simple.msi with readme.txt's
# HashPart1 one higher, rewritten by msibuild (the cabinet is untouched).
msiinfo export msi/simple.msi MsiFileHash \
    | sed 's/^readme.txt\t0\t1476148061\t/readme.txt\t0\t1476148062\t/' > "$WORK"/MsiFileHash.idt
grep -q 1476148062 "$WORK"/MsiFileHash.idt || die "msifilehash_mismatch: readme.txt's hash row changed"
cp msi/simple.msi malformed/msifilehash_mismatch.msi
faketime -f "$FAKETIME_AT" msibuild malformed/msifilehash_mismatch.msi -i "$WORK"/MsiFileHash.idt
$TOOL corrupt-zip zip/deflate.zip malformed/corrupt_deflate.zip
$TOOL corrupt-cab cab/mszip.cab   malformed/corrupt_mszip.cab
: > malformed/empty.bin
# Hand-built hostile names (see the script's docstring): the only samples not
# made by a real tool, as the malformed cases they are.
python3 src/tools/make_traps.py malformed
python3 -c 'import sys; sys.exit(b"PK\x01\x02" in open(sys.argv[1], "rb").read())' \
    malformed/trunc_deflate.zip || die "trunc_deflate.zip still contains a central directory header"
fi # ONLY=all

# ---------------------------------------------------------------- NSIS (makensis)
log "NSIS files"
# Staging: payload text, an empty file, a non-ASCII name, a generated tree data/ of
# 3 x 3 directories x 4 files (listed in nested.nsh in sorted order: `File /r` would
# follow readdir order), the MSI and zip for the carrier, big.txt for the large sample.
NS=$WORK/nsis
mkdir -p "$NS"
cp "$SRC"/nsis/*.nsi "$P"/readme.txt "$P"/license.txt "$P"/config.ini "$NS"/
: > "$NS"/empty.txt
printf 'a file whose name is not ASCII (UTF-8 on disk, UTF-16 in the installer)\n' > "$NS/résumé-データ.txt"
cp msi/simple.msi zip/deflate.zip "$NS"/
$TOOL hexlines installsift-nsis-large 2200000 "$NS"/big.txt
: > "$NS"/nested.nsh
for a in alpha beta gamma; do
    for b in one two three; do
        d=data/$a/$b
        mkdir -p "$NS/$d"
        printf '  SetOutPath "$INSTDIR\\data\\%s\\%s"\n' "$a" "$b" >> "$NS"/nested.nsh
        for n in 1 2 3 4; do
            for k in $(seq 1 $((n * 8))); do
                printf '%s/%s item %d line %d of the nested test tree\n' "$a" "$b" "$n" "$k"
            done > "$NS/$d/item$n.txt"
            printf '  File "%s/item%d.txt"\n' "$d" "$n" >> "$NS"/nested.nsh
        done
    done
done
stamp_tree "$NS"
# makensis 3.08 output is deterministic for fixed inputs and mtimes (it stores them)
mknsis() { # mknsis OUT SCRIPT [-Ddefine...]
    local out=$1 nsi=$2; shift 2
    (cd "$NS" && LC_ALL=C.UTF-8 makensis -V2 -INPUTCHARSET UTF8 "-DOUT=$HERE/$out" "$@" "$nsi" >/dev/null) \
        || die "makensis failed for $out"
}
for c in zlib bzip2 lzma; do
    mknsis nsis/$c.exe basic.nsi -DCOMPRESSOR=$c
    mknsis nsis/${c}_solid.exe basic.nsi -DCOMPRESSOR=$c -DSOLID
done
mknsis nsis/ansi_lzma_solid.exe basic.nsi -DCOMPRESSOR=lzma -DSOLID -DTARGET=x86-ansi -DNO_NONASCII
mknsis nsis/amd64_zlib.exe basic.nsi -DCOMPRESSOR=zlib -DTARGET=amd64-unicode
mknsis nsis/carrier.exe carrier.nsi
mknsis nsis/nofiles.exe nofiles.nsi
mknsis nsis/large_lzma_solid.exe large.nsi
sign nsis/zlib.exe nsis/signed_zlib.exe
# a bare exehead stub, as makensis ships it: a PE without NSIS data
cp /usr/share/nsis/Stubs/zlib-x86-unicode nsis/stub_zlib-x86-unicode.exe
chmod 644 nsis/*.exe
# truncated installers: both cuts fall inside the NSIS data (after the stub)
$TOOL trunc nsis/large_lzma_solid.exe malformed/nsis_trunc_lzma_solid.exe 50
$TOOL trunc nsis/zlib.exe malformed/nsis_trunc_zlib.exe 97
for f in malformed/nsis_trunc_lzma_solid.exe malformed/nsis_trunc_zlib.exe; do
    python3 -c 'import sys; sys.exit(b"\xef\xbe\xad\xdeNullsoftInst" not in open(sys.argv[1], "rb").read())' "$f" \
        || die "$f: the cut falls before the NSIS first header"
done

# ---------------------------------------------------------------- traps (bombs)
if [ "$ONLY" = all ]; then # (not indented, to keep history)
log "traps"
rm -rf traps && mkdir -p traps
# Zip bomb: 1 GiB of zeros deflated by Info-ZIP (1 MB), zipped again (3 KB).
truncate -s 1G "$WORK"/zeros.bin
touch -d '2020-01-01 00:00:00' "$WORK"/zeros.bin
(cd "$WORK" && zip -q -X -9 zeros.zip zeros.bin && touch -d '2020-01-01 00:00:00' zeros.zip \
    && zip -q -X -9 zip_bomb_zeros.zip zeros.zip && rm zeros.bin)
mv "$WORK"/zip_bomb_zeros.zip traps/
# The others are hand-built or patched from the samples above (see the docstring).
python3 src/tools/make_traps.py --bombs traps
fi # ONLY=all

# ---------------------------------------------------------------- reference listings
log "reference listings"
# dir_tsv DIR: "<path>\t<size>\t<sha256>" for every regular file, sorted bytewise
dir_tsv() {
    (cd "$1" && find . -type f -print0 | while IFS= read -r -d '' f; do
        f=${f#./}
        printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done) | LC_ALL=C sort
}
ref_name() { local r=${1//\//__}; printf '%s/%s%s.tsv' "$REF" "$r" "${2:-}"; }
# ref_listing TOOL SAMPLE [SUFFIX] -- extract SAMPLE (relative to corpus/) with TOOL
ref_listing() {
    local tool=$1 sample=$2 suffix=${3:-} d out
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    out=$(ref_name "$sample" "$suffix")
    case $tool in
        msiextract) (cd "$(dirname "$HERE/$sample")" && msiextract -C "$d" "$(basename "$sample")" >/dev/null) ;;
        7zz)        7zz x -bd -bso0 -bsp0 -y -o"$d" "$HERE/$sample" ;;
        7zz-pw)     7zz x -bd -bso0 -bsp0 -y -p"$SEVENZ_PASSWORD" -o"$d" "$HERE/$sample" ;;
        7zz-infected) 7zz x -bd -bso0 -bsp0 -y -p"$ZIP_PASSWORD" -o"$d" "$HERE/$sample" ;;
        7zz-tzip)   7zz x -bd -bso0 -bsp0 -y -tzip -o"$d" "$HERE/$sample" ;;
        cabextract) cabextract -q -d "$d" "$HERE/$sample" ;;
        innoextract) innoextract -q -s -e -d "$d" "$HERE/$sample" >/dev/null ;;
        innoextract-infected) innoextract -q -s -e --password "$ZIP_PASSWORD" -d "$d" "$HERE/$sample" >/dev/null ;;
        *) die "ref_listing: unknown tool $tool" ;;
    esac
    dir_tsv "$d" > "$out"
    [ -s "$out" ] || die "empty reference listing $out"
    echo "$out"
}
# cab_crosscheck SAMPLE: cabextract must produce exactly the 7zz listing
cab_crosscheck() {
    local d
    d=$(mktemp -d "$WORK"/cx.XXXXXX)
    cabextract -q -d "$d" "$HERE/$1"
    if dir_tsv "$d" | cmp -s - "$(ref_name "$1")"; then
        echo "cabextract agrees with 7zz: $1"
    else
        die "cabextract and 7zz disagree on $1"
    fi
}

if [ "$ONLY" = all ]; then # (not indented, to keep history)
ref_listing msiextract msi/simple.msi
ref_listing msiextract msi/dirs.msi
ref_listing msiextract msi/nonascii.msi
ref_listing msiextract msi/external_cab.msi
ref_listing msiextract msi/renamed.bin
ref_listing msiextract msi/signed.msi
# msiextract needs a Media table, which a merge module lacks: list the cabinet stream
msiinfo extract msi/module.msm MergeModule.CABinet > "$WORK"/MergeModule.CABinet.cab
d=$(mktemp -d "$WORK"/ref.XXXXXX)
7zz x -bd -bso0 -bsp0 -y -o"$d" "$WORK"/MergeModule.CABinet.cab
dir_tsv "$d" > "$(ref_name msi/module.msm)"
[ -s "$(ref_name msi/module.msm)" ] || die "empty module.msm listing"
# Real Windows Installer files (msi_real/, msu/: copied, never rebuilt; see README):
# msiextract for the products, the cabinet stream for the merge module (no Media
# table), 7zz for the update package (a cabinet; cabextract must agree).
ref_listing msiextract msi_real/vsinstaller_Setup1.msi
ref_listing msiextract msi_real/IviNetSharedComponents32_Fx20_1.3.0.msi
msiinfo extract msi_real/MergeModule1_wix4.msm MergeModule.CABinet > "$WORK"/MergeModule1.cab
d=$(mktemp -d "$WORK"/ref.XXXXXX)
7zz x -bd -bso0 -bsp0 -y -o"$d" "$WORK"/MergeModule1.cab
dir_tsv "$d" > "$(ref_name msi_real/MergeModule1_wix4.msm)"
[ -s "$(ref_name msi_real/MergeModule1_wix4.msm)" ] || die "empty MergeModule1_wix4.msm listing"
ref_listing 7zz msu/Windows8.1-KB2937592-x86.msu
# Real NSIS 2.x installers (nsis_real/; 2.0rc1's names are raw variable codes, not listed)
for s in nsis_real/nsis2.08_NxS_BigClock_0_3_1.exe nsis_real/google_cloud_sdk_nsis246_signed.exe; do
    d=$(mktemp -d "$WORK"/ref.XXXXXX)
    LC_ALL=C.UTF-8 7zz x -bd -bso0 -bsp0 -y -o"$d" "$HERE/$s"
    dir_tsv "$d" > "$(ref_name "$s")"
done
cab_crosscheck msu/Windows8.1-KB2937592-x86.msu
# A real WiX 3 Burn bundle (real/wix3_v3bundle_CustomV3Theme.exe, copied): 7zz opens
# its first container (the UX cabinet) only; compared with our `burn-ux` node.
ref_listing 7zz real/wix3_v3bundle_CustomV3Theme.exe .7zz
# Real LZX (WiX's and Google's MSIs, Microsoft-made cabinets) and a merge module whose
# cabinet stores two identical files once: msiextract / cabextract, 7zz must agree.
ref_listing msiextract msi_real/gears-win32-opt.msi
ref_listing msiextract msi_real/Firewall4_wix406.msi
msiinfo extract msi_real/Module401_wix5.msm MergeModule.CABinet > "$WORK"/Module401.cab
d=$(mktemp -d "$WORK"/ref.XXXXXX)
7zz x -bd -bso0 -bsp0 -y -o"$d" "$WORK"/Module401.cab
dir_tsv "$d" > "$(ref_name msi_real/Module401_wix5.msm)"
[ -s "$(ref_name msi_real/Module401_wix5.msm)" ] || die "empty Module401_wix5.msm listing"
for s in cab_real/libarchive_lzx_e8.cab cab_real/wix_native_test.cab cab_real/wix_signed_cab1.cab \
    cab_real/libmspack_mszip_lzx_qtm.cab; do
    ref_listing cabextract "$s"
    d=$(mktemp -d "$WORK"/lzx.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" "$HERE/$s"
    dir_tsv "$d" | cmp -s - "$(ref_name "$s")" || die "cabextract and 7zz disagree on $s"
done
# second view of every MSI: what 7zz makes of it (embedded cab entries named by File
# key for wixl MSIs; the raw CFB streams for the merge module)
for s in msi/simple.msi msi/dirs.msi msi/nonascii.msi msi/renamed.bin msi/module.msm; do
    ref_listing 7zz "$s" .7zz
done

for s in cab/mszip.cab cab/stored.cab msi/external.cab; do
    ref_listing 7zz "$s"
    cab_crosscheck "$s"
done
# LZX cabinets from our test encoder: listed by cabextract; 7zz must agree, except on
# lzx_far_match.cab, where 7-Zip 26.02 writes one byte of a match at distance
# window - 3 wrongly (see reference/README.md).
for s in cab/lzx_e8.cab cab/lzx_blocks.cab cab/lzx_two_folders.cab cab/lzx_far_match.cab; do
    ref_listing cabextract "$s"
    d=$(mktemp -d "$WORK"/lzx.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" "$HERE/$s"
    if dir_tsv "$d" | cmp -s - "$(ref_name "$s")"; then
        echo "7zz agrees with cabextract: $s"
    elif [ "$s" != cab/lzx_far_match.cab ]; then
        die "cabextract and 7zz disagree on $s"
    fi
done
for s in zip/stored.zip zip/deflate.zip 7z/lzma2.7z 7z/copy_plain_header.7z 7z/methods.7z nested/zip_7z_zip.zip; do
    ref_listing 7zz "$s"
done
ref_listing 7zz-pw 7z/enc_data.7z
ref_listing 7zz-pw 7z/enc_header.7z
for s in zip/enc_zipcrypto.zip zip/enc_zipcrypto_7z.zip zip/enc_aes256.zip zip/enc_aes128.zip \
         zip/enc_aes192_ae1.zip 7z/infected_data.7z 7z/infected_header.7z; do
    ref_listing 7zz-infected "$s"
done
# the large (benchmark) samples: the MSI seen by msiextract and by 7zz (File keys), the
# cab by 7zz cross-checked with cabextract, zip and 7z by 7zz
ref_listing msiextract msi/large_mszip.msi
ref_listing 7zz msi/large_mszip.msi .7zz
ref_listing 7zz cab/large_mszip.cab
cab_crosscheck cab/large_mszip.cab
ref_listing 7zz zip/large_deflate.zip
ref_listing 7zz 7z/large_lzma2_bcj.7z

# PEs whose embedded archive 7zz opens by itself: the appended zip/7z/cab/MSI (7zz l
# reports Type = zip/7z/Cab, or Compound then Cab for the MSI, at Offset = end of the
# PE sections) and the
# CABINET resource of cab_resource.exe (Type = PE, then Cab for .rsrc/RCDATA/CABINET,
# and `7zz x` extracts the cabinet's files).  The other PEs open as plain PE: skipped.
for s in pe/with_zip.exe pe/with_zip_adjusted.exe pe/with_7z.exe pe/with_cab.exe \
         pe/zip_after_cert.exe pe/msi_in_overlay.exe pe/cab_resource.exe; do
    7zz l -slt "$HERE/$s" | grep -Eq '^Type = (zip|7z|Cab)$' \
        || die "7zz does not open the embedded archive of $s"
    ref_listing 7zz "$s"
done
# zip_before_cert.exe: 7zz opens it as PE (the certificate table follows the zip);
# only with -tzip does it find the zip ("There are data after the end of archive")
ref_listing 7zz-tzip pe/zip_before_cert.exe
ref_listing cabextract pe/with_cab.exe .cabextract
ref_listing cabextract pe/cab_resource.exe .cabextract

# nested: recursive view, each layer extracted with 7zz ("a/b" = member b of archive a)
nested_tsv() { # nested_tsv ARCHIVE PREFIX
    local d f
    d=$(mktemp -d "$WORK"/nest.XXXXXX)
    7zz x -bd -bso0 -bsp0 -y -o"$d" "$1"
    dir_tsv "$d" | while IFS=$'\t' read -r f size sha; do
        printf '%s%s\t%s\t%s\n' "$2" "$f" "$size" "$sha"
        case $f in *.zip|*.7z|*.cab) nested_tsv "$d/$f" "$2$f/" ;; esac
    done
}
nested_tsv "$HERE"/nested/zip_7z_zip.zip "" | LC_ALL=C sort > "$(ref_name nested/zip_7z_zip.zip .recursive)"
# Chrome's mini_installer layout: 7zz opens the exe as the 7z in its B7 resource
# (chrome.packed.7z: BCJ2) and, recursively, the stored chrome.7z inside;
# cabextract finds the BL resource's cabinet (setup.ex_). Our names are longer
# (`.rsrc/B7/CHROME.PACKED.7Z/1033/chrome.7z/...`): the `.deep` variant matches
# each row as a path suffix (tests/it/reference.rs).
{ nested_tsv "$HERE"/omaha/chrome_mini_installer_layout.exe ""
  d=$(mktemp -d "$WORK"/ref.XXXXXX)
  cabextract -q -d "$d" "$HERE"/omaha/chrome_mini_installer_layout.exe
  dir_tsv "$d"
} | LC_ALL=C sort > "$(ref_name omaha/chrome_mini_installer_layout.exe .deep)"
fi # ONLY=all

# NSIS: what 7zz x extracts (7-Zip also rebuilds uninstall.exe from the stub; see
# reference/README.md). nofiles.exe and the bare stub extract nothing and are not listed.
for s in nsis/zlib.exe nsis/zlib_solid.exe nsis/bzip2.exe nsis/bzip2_solid.exe \
         nsis/lzma.exe nsis/lzma_solid.exe nsis/ansi_lzma_solid.exe nsis/amd64_zlib.exe \
         nsis/carrier.exe nsis/large_lzma_solid.exe nsis/signed_zlib.exe; do
    7zz l -slt "$HERE/$s" | grep -c '^Type = Nsis$' >/dev/null || die "7zz does not open $s as Nsis"
    LC_ALL=C.UTF-8 ref_listing 7zz "$s"
done

# top layer: every sample itself (path relative to corpus/, size, sha256)
(cd "$HERE" && find pe msi cab zip 7z nested malformed nsis -type f -print0 | while IFS= read -r -d '' f; do
    printf '%s\t%s\t%s\n' "$f" "$(stat -c %s -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
done | LC_ALL=C sort) > "$REF"/samples.tsv

# ---------------------------------------------------------------- Inno references
# The Inno installers are made by fetch.sh (ISCC under Wine). innoextract 1.9 (Debian 12)
# reads setup data up to 6.1: the 6.3 and 6.4 samples have no listing ("Unexpected setup
# data version: 6.3.0", then a stream error).
if [ "$ONLY" = all ] || [ "$ONLY" = inno ]; then
for s in inno/inno5_lzma_nonsolid.exe inno/inno5_bzip2_solid.exe inno/inno5_zlib_password.exe \
         inno/inno60_bzip2.exe inno/inno60_stored_admin.exe inno/inno556_zip_solid.exe \
         inno/inno559_bzip_x86.exe inno/inno620_lzma2_x86.exe; do
    ref_listing innoextract "$s" .innoextract
done
# Encrypted (ARC4), password `infected`: innoextract decrypts it with the password
ref_listing innoextract-infected inno/inno60_infected.exe .innoextract
fi

# PE layout facts (our own parser, cross-checked by hand against objdump -p / osslsigncode)
[ "$ONLY" = all ] && (cd "$HERE" && $TOOL pe-layout pe/*.exe pe/*.dll) > "$REF"/pe_layout.tsv

# ---------------------------------------------------------------- tool versions
{
    echo "# tool versions used by the last build.sh run"
    echo "x86_64-w64-mingw32-gcc: $($CC64 --version | head -1)"
    echo "i686-w64-mingw32-gcc:   $($CC32 --version | head -1)"
    echo "windres:                $($RC64 --version | head -1)"
    echo "osslsigncode:           $(osslsigncode --version | head -1 | sed "s/, using://")"
    echo "wixl:                   $(wixl --version)"
    echo "msitools:               $(msiinfo --version 2>&1 | head -1)"
    echo "gcab:                   $(gcab --version)"
    echo "cabextract:             $(cabextract --version)"
    echo "7zz:                    $(7zz | sed -n 2p)"
    echo "zip:                    $(zip -v | sed -n 2p)"
    echo "faketime:               $(faketime --version 2>&1 | grep -m1 Version)"
    echo "python3:                $(python3 --version)"
    echo "pyzipper:               $("$PYZIPPER" -c 'import pyzipper; print(pyzipper.__version__)')"
    echo "makensis:               $(makensis -VERSION)"
    if command -v dpkg-query >/dev/null 2>&1; then
        echo
        echo "# Debian packages"
        dpkg-query -W -f '${Package}\t${Version}\n' gcc-mingw-w64-x86-64-win32 gcc-mingw-w64-i686-win32 \
            binutils-mingw-w64-x86-64 osslsigncode wixl msitools gcab cabextract 7zip zip faketime nsis \
            gcc-mingw-w64-x86-64-win32-runtime mingw-w64-x86-64-dev 2>/dev/null || true
    fi
} > "$REF"/TOOLS.txt


# installer families built from our own sources: iexpress/ burn/ omaha/
# (see src/tools/families.sh; it needs pe/lib_x64.dll and msi/simple.msi from above)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/families.sh; fi
# Constructed layouts of long-tail installer builders (src/tools/longtail.sh; needs
# pe/hello_x86.exe and cab/mszip.cab from above).
if [ "$ONLY" = all ]; then bash "$SRC"/tools/longtail.sh; fi

# xar archives and macOS flat packages: pkg/ xar/ and their reference listings
# (see src/tools/xar.sh; it needs bsdtar, cpio, node + npm)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/xar.sh; fi
# COMPRESS.EXE files (see src/tools/compress.sh; mscompress, pylibmspack)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/compress.sh; fi
# Cabinet sets (see src/tools/cab_set.sh; gcab, faketime, cabextract, 7zz)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/cab_set.sh; fi
# RAR volume sets as entries of a zip and an ISO (see src/tools/rar_volumes_in.sh; zip,
# genisoimage, faketime, bsdtar; from the committed rar_volumes/)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/rar_volumes_in.sh; fi
# Compiled HTML Help (see src/tools/chm.sh; chmcmd from fp-utils-3.2.2, 7zz)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/chm.sh; fi
# ISO 9660 images (see src/tools/iso.sh; genisoimage, bsdtar)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/iso.sh; fi
# UDF images (see src/tools/udf.sh; genisoimage -udf, pycdlib, mkudffs)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/udf.sh; fi
# Containers after data of no known format (see src/tools/carve.sh; gcab, zip)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/carve.sh; fi

# ARJ archives, methods 0-4, SFX (see src/tools/arj.sh; arj, 7zz, faketime)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/arj.sh; fi

# 16-bit NE executables, constructed (see src/tools/ne.sh; winedump, zip, 7zz)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/ne.sh; fi
# compressed streams, tar, cpio and the payloads installers carry in them
# (see src/tools/streams.sh; it needs tar, cpio, gzip, bzip2, xz, bsdtar, 7zz)
if [ "$ONLY" = all ]; then bash "$SRC"/tools/streams.sh; fi

log "done: $(find pe msi cab zip 7z nested malformed nsis traps -type f | wc -l) samples, $(ls "$REF"/*.tsv | wc -l) listings"
