#!/usr/bin/env bash
# installsift test corpus: Qt Installer Framework installers (qtifw/) and the
# reference listing of their binary content.
#   qtifw/two.exe   binarycreator 4.6.1 (Qt IFW's own, built from
#                   qtproject/installer-framework tag 4.6.1 against Debian's Qt 5.15.8,
#                   CONFIG+=c++17) with its `dependencies` example config, components
#                   componentA and componentB (`-i componentA,componentB`), and
#                   `-t pe/hello_x86.exe` as the template instead of installerbase
#                   (6.6 MB here): the binary content is the PE's overlay.
#   qtifw/two_linux the same with an ELF template (src/qtifw/stub.c, gcc -Os -s): the
#                   layout of a Linux installer, scanned whole (no ELF parser: the
#                   qt-ifw node is the file, the executable its `[installerbase]` child).
#   qtifw/resources.rcc  Qt 5.15.8's `rcc -binary` (Debian qtbase5-dev-tools; format
#                   version 3) of src/qtifw/rcc/resources.qrc: config.xml stored,
#                   docs/licence.txt zlib-compressed (its sources are the reference).
# Reference: `devtool dump <installer> <dir>` (Qt IFW's own tool, same build) writes the
# meta resource's files (mounted at :/metadata) and each component's resources below
# <dir>/metadata/; reference/qtifw__two.exe.deep.tsv lists those files relative to
# metadata/ (Qt's own built-in resources, which devtool copies too, are not listed).
# The rcc carries the temporary `rccprojectXXXXXX.qrc` name binarycreator chose, so a
# rebuild differs in that name: the committed samples and listing go together.
# Needs: QTIFW_BIN=<dir with binarycreator and devtool> (build: qmake -r CONFIG+=c++17
# installerfw.pro && make; apt-get install qtbase5-dev qtbase5-private-dev
# qtdeclarative5-dev qtdeclarative5-private-dev qttools5-dev libqt5svg5-dev), gcc, and
# the example tree at QTIFW_SRC (the installer-framework checkout).
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC QT_HASH_SEED=0 QT_QPA_PLATFORM=offscreen
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${QTIFW_BIN:?set QTIFW_BIN to the directory holding binarycreator and devtool}"
: "${QTIFW_SRC:?set QTIFW_SRC to the installer-framework 4.6.1 checkout}"
for c in "$QTIFW_BIN/binarycreator" "$QTIFW_BIN/devtool"; do
    [ -x "$c" ] || { echo "qtifw.sh: missing $c" >&2; exit 1; }
done
command -v gcc >/dev/null || { echo "qtifw.sh: missing gcc -- apt-get install gcc" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-qtifw.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -r "$QTIFW_SRC/examples/dependencies" "$WORK/ex"
find "$WORK/ex" -exec touch -h -d '2024-01-01 00:00:00 UTC' {} +
gcc -Os -s -o "$WORK/stub" "$HERE/src/qtifw/stub.c"
cd "$WORK"
"$QTIFW_BIN/binarycreator" -c ex/config/config.xml -p ex/packages -i componentA,componentB \
    -t "$HERE/pe/hello_x86.exe" two.exe >/dev/null
"$QTIFW_BIN/binarycreator" -c ex/config/config.xml -p ex/packages -i componentA,componentB \
    -t stub two_linux >/dev/null
"$QTIFW_BIN/devtool" dump two.exe dump >/dev/null
(cd dump/metadata && find . -type f | sed 's|^\./||' | while read -r f; do
    printf '%s\t%s\t%s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
done) | sort > "$HERE/reference/qtifw__two.exe.deep.tsv"
cp two.exe two_linux "$HERE/qtifw/"
command -v rcc >/dev/null || { echo "qtifw.sh: missing rcc -- apt-get install qtbase5-dev-tools" >&2; exit 1; }
(cd "$HERE/src/qtifw/rcc" && rcc -binary resources.qrc -o "$HERE/qtifw/resources.rcc")
