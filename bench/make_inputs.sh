#!/usr/bin/env bash
# Build benchmark inputs too big to commit: the same payload (about 40 MB of
# this machine's shared libraries, a realistic mix of code and data) packed by
# the real tools as NSIS (LZMA solid), MSI (wixl, embedded MSZIP cabinet),
# zip (deflate), 7z (LZMA2 solid) and cab (MSZIP).
#
#   bash bench/make_inputs.sh [OUTDIR]      default: target/bench-inputs
#   MB=40 bash bench/make_inputs.sh         payload size in MB
#
# Needs makensis, wixl, zip, 7zz, gcab. The payload is the first files of
# /usr/lib/x86_64-linux-gnu/*.so* in name order, so the figures are comparable
# on one machine, not across machines.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(mkdir -p "${1:-$HERE/target/bench-inputs}" && cd "${1:-$HERE/target/bench-inputs}" && pwd)
MB=${MB:-40}
for t in makensis wixl zip 7zz gcab; do
    command -v $t >/dev/null || { echo "make_inputs.sh: missing $t" >&2; exit 1; }
done
P=$OUT/payload
rm -rf "$P" && mkdir -p "$P"
total=0
limit=$((MB * 1000 * 1000))
for f in $(ls /usr/lib/x86_64-linux-gnu/ | grep '\.so' | sort); do
    src=/usr/lib/x86_64-linux-gnu/$f
    [ -f "$src" ] && [ ! -L "$src" ] || continue
    sz=$(stat -c %s "$src")
    [ "$sz" -le 8000000 ] || continue
    cp "$src" "$P/$f"
    total=$((total + sz))
    [ "$total" -lt "$limit" ] || break
done
n=$(ls "$P" | wc -l)
echo "payload: $n files, $total bytes"

# NSIS, LZMA solid.
cat > "$OUT/bench.nsi" <<NSI
Unicode true
SetCompressor /SOLID /FINAL lzma
Name "installsift bench"
OutFile "$OUT/bench_lzma_solid.exe"
InstallDir "\$PROGRAMFILES64\\installsift-bench"
Section
  SetOutPath "\$INSTDIR"
  File /r "$P/*"
SectionEnd
NSI
makensis -V1 "$OUT/bench.nsi"

# MSI with one component per file (wixl needs unique ids).
python3 - "$P" "$OUT/bench.wxs" <<'PY'
import os, sys
p, out = sys.argv[1], sys.argv[2]
files = sorted(os.listdir(p))
comps = []
for i, f in enumerate(files):
    comps.append(f'''<Component Id="C{i}" Guid="B0B0B0B0-0000-4000-8000-{i:012d}">
  <File Id="F{i}" Name="f{i}.bin" Source="{f}" KeyPath="yes"/></Component>''')
refs = "\n".join(f'<ComponentRef Id="C{i}"/>' for i in range(len(files)))
open(out, "w").write(f'''<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
<Product Id="B0B0B0B0-0001-4000-8000-000000000001" Name="installsift bench" Language="1033"
 Version="1.0.0.0" Manufacturer="installsift" UpgradeCode="B0B0B0B0-0001-4000-8000-0000000000FF">
<Package Id="B0B0B0B0-0001-4000-8000-0000000000AA" InstallerVersion="200" Compressed="yes"/>
<Media Id="1" Cabinet="bench.cab" EmbedCab="yes"/>
<Directory Id="TARGETDIR" Name="SourceDir"><Directory Id="ProgramFilesFolder">
<Directory Id="INSTALLDIR" Name="Bench">
{chr(10).join(comps)}
</Directory></Directory></Directory>
<Feature Id="Complete" Level="1">{refs}</Feature>
</Product></Wix>''')
PY
(cd "$P" && wixl -o "$OUT/bench.msi" "$OUT/bench.wxs")

rm -f "$OUT/bench_deflate.zip" "$OUT/bench_lzma2.7z" "$OUT/bench_mszip.cab"
(cd "$P" && zip -q -r -6 "$OUT/bench_deflate.zip" .)
(cd "$P" && 7zz a -bd -bso0 -t7z -mx=5 -mmt=1 "$OUT/bench_lzma2.7z" . >/dev/null)
(cd "$P" && gcab -c -z "$OUT/bench_mszip.cab" *)
# A 512 MiB file for the hashing figure (random, so nothing sniffs inside).
[ -f "$OUT/big512.bin" ] || head -c $((512 << 20)) /dev/urandom > "$OUT/big512.bin"
ls -l "$OUT"/bench* "$OUT/big512.bin" | awk '{print $5, $9}'
