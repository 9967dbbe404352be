#!/usr/bin/env bash
# installsift test corpus, part 3: installer families built with real tools from our
# own sources (build.sh calls this at the end of a full build; it may also run alone).
#   iexpress/iexpress_windres.exe  IExpress layout: windres RCDATA CABINET (gcab) + RUNPROGRAM …
#   burn/burn_constructed.exe      WiX Burn layout: our stub's .wixburn section filled as
#                                  light.exe fills it, UX cab (manifest `0`) + attached cab
#   omaha/omaha_tagged.exe         Omaha metainstaller layout: resource B/102 (lzma tarball),
#                                  signed with the TEST ONLY key, then tagged (`Gact`)
#   omaha/chromium_updater_layout.exe  Chromium updater metainstaller layout: B7 `updater.packed.7z`
#   omaha/chrome_mini_installer_layout.exe  Chrome mini_installer layout: B7 `chrome.packed.7z`
#                                  (BCJ2 + LZMA with Chrome's own 7za flags, over a stored
#                                  chrome.7z of Chrome-bin/), BL `setup.ex_` (a cabinet)
#   lookalike_built/ice_validation.cub        ICE validation database (msibuild): MSI format, no installer
#   lookalike_built/jar_launcher.exe          a Java launcher layout: PE + JAR appended (zip -A)
#   lookalike_built/nsis_uninstall_7zz.exe    an NSIS uninstaller: 7zz rebuilds uninstall.exe from nsis/zlib.exe
# Needs: mingw-w64 gcc + windres, gcab, python3, osslsigncode, xz, tar, msibuild, faketime, 7zz, zip.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
EPOCH=1717200000
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-families.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CC32=$(command -v i686-w64-mingw32-gcc-win32 || echo i686-w64-mingw32-gcc)
CC64=$(command -v x86_64-w64-mingw32-gcc-win32 || echo x86_64-w64-mingw32-gcc)
RC32=i686-w64-mingw32-windres
PEFLAGS=(-O2 -s -Wl,--no-insert-timestamp)
cd "$HERE"
rm -rf iexpress burn omaha lookalike_built
mkdir -p iexpress burn omaha lookalike_built

# ---- IExpress: the cabinet and wextract's RCDATA strings, as windres resources
I=$WORK/iexpress; mkdir -p "$I"
cp "$SRC"/payload/readme.txt "$SRC"/iexpress/install.bat "$I"/
touch -d "@$EPOCH" "$I"/*
(cd "$I" && gcab -c -z payload.cab install.bat readme.txt)
$RC32 --include-dir="$I" -i "$SRC"/iexpress/iexpress.rc -o "$I"/res.o
$CC32 "${PEFLAGS[@]}" -mwindows -o iexpress/iexpress_windres.exe "$SRC"/pe/cabres.c "$I"/res.o

# ---- WiX Burn: stand-in engine + UX container + attached container
B=$WORK/burn; mkdir -p "$B"/ux "$B"/att
$CC64 "${PEFLAGS[@]}" -o "$B"/stub.exe "$SRC"/burn/stub.c
cp "$SRC"/burn/manifest.xml "$B"/ux/0
cp "$HERE"/pe/lib_x64.dll "$B"/ux/u0
cp "$SRC"/burn/BootstrapperApplicationData.xml "$B"/ux/u1
cp "$HERE"/msi/simple.msi "$B"/att/a0
touch -d "@$EPOCH" "$B"/ux/* "$B"/att/*
(cd "$B"/ux && gcab -c -z ../ux.cab 0 u0 u1)
(cd "$B"/att && gcab -c -z ../att.cab a0)
python3 "$SRC"/tools/build_burn.py "$B"/stub.exe "$B"/ux.cab "$B"/att.cab \
    5b2e1d3c-0000-4000-8000-00000000a001 burn/burn_constructed.exe

# ---- Omaha: resource B/102 = lzma tarball, signed (TEST ONLY key), then tagged
O=$WORK/omaha; mkdir -p "$O"/t
cp "$HERE"/pe/hello_x86.exe "$O"/t/InstallsiftUpdate.exe
cp "$SRC"/payload/readme.txt "$O"/t/
touch -d "@$EPOCH" "$O"/t/*
(cd "$O"/t && tar --format=ustar --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" \
    -cf ../payload.tar InstallsiftUpdate.exe readme.txt)
xz --format=lzma -9 -c "$O"/payload.tar > "$O"/payload.tar.lzma
$RC32 --include-dir="$O" -i "$SRC"/omaha/omaha.rc -o "$O"/res.o
$CC32 "${PEFLAGS[@]}" -mwindows -o "$O"/mi.exe "$SRC"/pe/cabres.c "$O"/res.o
osslsigncode sign -certs "$SRC"/keys/test_only_cert.pem -key "$SRC"/keys/test_only_key.pem \
    -n "installsift test" -time "$EPOCH" -in "$O"/mi.exe -out "$O"/mi_signed.exe >/dev/null
mkdir -p omaha
python3 "$SRC"/tools/omaha_tag.py "$O"/mi_signed.exe omaha/omaha_tagged.exe \
    'appguid={5B2E1D3C-0000-4000-8000-00000000D001}&iid={5B2E1D3C-0000-4000-8000-00000000D002}&lang=en&browser=4&usagestats=0&appname=Installsift%20Sample&needsadmin=prefers'
# ---- Chromium updater metainstaller layout: B7 resource `updater.packed.7z`
(cd "$O"/t && 7zz a -bd -bso0 -bsp0 -t7z -m0=lzma2 -mmt=1 ../updater.packed.7z InstallsiftUpdate.exe readme.txt)
$RC32 --include-dir="$O" -i "$SRC"/omaha/chromium_updater.rc -o "$O"/cu_res.o
$CC32 "${PEFLAGS[@]}" -mwindows -o omaha/chromium_updater_layout.exe "$SRC"/pe/cabres.c "$O"/cu_res.o
# ---- Chrome's mini_installer layout: chrome.7z (stored, -mx0) of Chrome-bin/, packed
# into chrome.packed.7z with the flags of chrome/tools/build/win/
# create_installer_archive.py (CompressUsingLZMA: BCJ2, LZMA:d27:fb128 main stream,
# LZMA:d22:fb128:mf=bt2 call/jump streams, -mtm-), and setup.ex_ as a cabinet
# (Chromium's makecab.py writes LZX; gcab writes MSZIP: the cabinet layer is the
# same format). Stand-ins: our corpus PEs as chrome.exe, chrome.dll, setup.exe.
C=$WORK/chrome; V=120.0.6099.71; mkdir -p "$C"/st/Chrome-bin/$V/Installer
cp "$HERE"/pe/hello_x86.exe "$C"/st/Chrome-bin/chrome.exe
cp "$HERE"/pe/lib_x64.dll "$C"/st/Chrome-bin/$V/chrome.dll
cp "$HERE"/pe/gui_x64.exe "$C"/st/Chrome-bin/$V/Installer/setup.exe
cp "$SRC"/payload/readme.txt "$C"/st/Chrome-bin/$V/
find "$C"/st -exec touch -d "@$EPOCH" {} +
(cd "$C"/st && 7zz a -bd -bso0 -bsp0 -t7z -mmt=1 ../chrome.7z "$C"/st/Chrome-bin -mx0)
(cd "$C" && 7zz a -bd -bso0 -bsp0 -t7z -mmt=1 -m0=BCJ2 -m1=LZMA:d27:fb128 \
    -m2=LZMA:d22:fb128:mf=bt2 -m3=LZMA:d22:fb128:mf=bt2 -mb0:1 -mb0s1:2 -mb0s2:3 -mtm- \
    chrome.packed.7z chrome.7z)
cp "$HERE"/pe/gui_x64.exe "$C"/setup.exe; touch -d "@$EPOCH" "$C"/setup.exe
(cd "$C" && gcab -c -z setup.ex_ setup.exe)
$RC32 --include-dir="$C" -i "$SRC"/omaha/chrome_mini_installer.rc -o "$C"/res.o
$CC32 "${PEFLAGS[@]}" -mwindows -o omaha/chrome_mini_installer_layout.exe "$SRC"/pe/cabres.c "$C"/res.o

# ---- ICE validation database (.cub): _ICESequence, no InstallExecuteSequence
faketime -f '2024-06-01 00:00:00' msibuild lookalike_built/ice_validation.cub \
    -i "$SRC"/cube/_ICESequence.idt "$SRC"/cube/Property.idt
faketime -f '2024-06-01 00:00:00' msibuild lookalike_built/ice_validation.cub \
    -s "Internal Consistency Evaluators" "installsift test" "Intel;1033" "{5B2E1D3C-0000-4000-8000-00000000E001}"
# ---- an NSIS uninstaller as the installer writes it (7-Zip rebuilds it from the
# exehead and the uninstaller data; NSIS first-header flag 1)
7zz x -bd -bso0 -bsp0 -y -o"$WORK"/un "$HERE"/nsis/zlib.exe uninstall.exe
cp "$WORK"/un/uninstall.exe lookalike_built/nsis_uninstall_7zz.exe
# ---- a Java launcher's layout (launch4j, exe4j): a PE with a JAR appended
J=$WORK/jar; mkdir -p "$J"/META-INF
printf 'Manifest-Version: 1.0\r\nMain-Class: Hello\r\n\r\n' > "$J"/META-INF/MANIFEST.MF
cp "$SRC"/payload/readme.txt "$J"/
touch -d "@$EPOCH" "$J"/META-INF/MANIFEST.MF "$J"/readme.txt "$J"/META-INF
(cd "$J" && zip -X -q -9 ../app.jar META-INF/MANIFEST.MF readme.txt)
cat "$HERE"/pe/hello_x64.exe "$WORK"/app.jar > lookalike_built/jar_launcher.exe
zip -q -A lookalike_built/jar_launcher.exe
chmod 644 iexpress/* burn/* omaha/* lookalike_built/*
touch -d "@$EPOCH" iexpress/* burn/* omaha/* lookalike_built/*
echo "families.sh: $(ls iexpress burn omaha lookalike_built | grep -c "\.") samples"
