#!/usr/bin/env bash
# installsift test corpus: 16-bit NE executables (ne/) and their reference listings.
# build.sh calls this at the end of a full build; it may run alone:  bash corpus/src/tools/ne.sh
#   ne/win16_plain.exe      a Windows 3.x NE program (src/tools/ne_build.py: a constructed
#                           layout, no Win16 linker on Debian): one code segment, VERSION and
#                           RCDATA resources, module name and description
#   ne/win16_zip_sfx.exe    the same NE followed by a zip (`zip -X`): the layout of a 16-bit
#                           zip self-extractor (WinZip/PKZIP SFX for Windows 3.x)
#   ne/is_setup_layout.exe  an NE with the names and version strings of InstallShield 5's
#                           16-bit SETUP.EXE (module ISSET_SE, "Setup Launcher"): constructed;
#                           the real file (59,904 bytes) is not redistributable
# Reference: winedump (wine64-tools) reads NE headers, names and resources:
#   reference/ne__<file>.winedump.txt = `winedump dump -x <file>` without its hex dump lines;
#   reference/ne__win16_zip_sfx.exe.tsv = `7zz x` (7-Zip opens the appended zip).
# Needs: python3, winedump (wine64-tools), zip, 7zz.
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REF=$HERE/reference
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-ne.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
for t in winedump:wine64-tools zip:zip 7zz:7zip python3:python3; do
    command -v "${t%%:*}" >/dev/null || { echo "ne.sh: missing ${t%%:*} -- apt-get install ${t#*:}" >&2; exit 1; }
done
cd "$HERE"
mkdir -p ne
rm -f ne/* reference/ne__*
B="python3 $HERE/src/tools/ne_build.py"
$B ne/win16_plain.exe W16SAMPL "installsift NE sample" "installsift test" "Win16 sample program" installsift
$B ne/is_setup_layout.exe ISSET_SE "InstallShield Software Corporation. 1996-1997" \
    "InstallShield Software Corporation" "Setup Launcher" "InstallShield"
mkdir -p "$WORK"/z
for i in $(seq 1 40); do printf 'line %02d of a file in a 16-bit self-extractor\r\n' "$i"; done > "$WORK"/z/README.TXT
touch -d '2024-06-01 00:00:00' "$WORK"/z/README.TXT
(cd "$WORK"/z && zip -q -X ../p.zip README.TXT)
cat ne/win16_plain.exe "$WORK"/p.zip > ne/win16_zip_sfx.exe
chmod 644 ne/*
for s in ne/*.exe; do
    winedump dump -x "$s" | grep -v '^ *[0-9a-f]\{8\}:' | sed "s|$s|<file>|" > "$REF/${s//\//__}.winedump.txt"
done
d=$WORK/x; mkdir -p "$d"
7zz x -bd -bso0 -bsp0 -y -o"$d" ne/win16_zip_sfx.exe
(cd "$d" && for f in *; do printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"; done) > "$REF"/ne__win16_zip_sfx.exe.tsv
[ -s "$REF"/ne__win16_zip_sfx.exe.tsv ] || { echo "ne.sh: 7zz found nothing" >&2; exit 1; }
echo "ne.sh: $(ls ne | wc -l) samples"
