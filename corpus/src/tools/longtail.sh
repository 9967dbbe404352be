#!/usr/bin/env bash
# installsift test corpus: constructed layouts of long-tail installer builders
# (corpus/longtail/). No real file of these builders could be had here (see
# corpus/README.md); each sample is a real mingw-w64 PE carrying the structure the
# builder's detection fact names, built from src/longtail/*.rc and src/pe/hello.c.
# Needs: i686-w64-mingw32 gcc + windres, python3; pe/hello_x86.exe and cab/mszip.cab.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$HERE/src
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-longtail.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CC32=$(command -v i686-w64-mingw32-gcc-win32 || echo i686-w64-mingw32-gcc)
RC32=i686-w64-mingw32-windres
PEFLAGS=(-O2 -s -Wl,--no-insert-timestamp)
for t in "$CC32" "$RC32" python3 osslsigncode; do
  command -v "$t" >/dev/null || { echo "missing $t: apt-get install gcc-mingw-w64-i686-win32 binutils-mingw-w64-i686 python3 osslsigncode" >&2; exit 1; }
done
cd "$HERE"
rm -rf longtail
for pair in astrum:astrum_resource installaware:installaware_comments \
            setupfactory7:setup_factory7_runtime gentee:gentee_setup_temp is2:installshield2_szdd \
            islauncher:installshield_launcher_manifest; do
  rc=${pair%%:*} exe=${pair#*:}
  $RC32 --include-dir="$SRC/longtail" -i "$SRC/longtail/$rc.rc" -o "$WORK/$rc.o"
  $CC32 "${PEFLAGS[@]}" -o "$WORK/$exe.exe" "$SRC/pe/hello.c" "$WORK/$rc.o"
done
python3 "$SRC/tools/longtail.py" "$HERE" "$WORK"
osslsigncode sign -certs "$SRC"/keys/test_only_cert.pem -key "$SRC"/keys/test_only_key.pem \
  -n "installsift test" -time 1717200000 \
  -in "$WORK/advinst_footer_unsigned.exe" -out longtail/advinst_footer_signed.exe >/dev/null
chmod 644 longtail/*
ls -l longtail
