#!/usr/bin/env bash
# installsift test corpus: a real Python distutils bdist_wininst installer
# (corpus/bdist_wininst/), made by CPython 3.7's own distutils from
# src/bdist_wininst/ (setup.py + a one-module package). distutils writes the
# wininst-14.0.exe stub it ships, the [metadata] configuration, its 12-byte header
# and the zip of the files. Off Windows its 'mbcs' codec is aliased to cp1252
# (run_bdist.py). faketime pins the build date written into build_info.
# Needs: CPython 3.7-3.9 with distutils' wininst stubs (PYTHON37=..., default
# pyenv's 3.7.16), faketime (apt-get install faketime).
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=${PYTHON37:-$HOME/.pyenv/versions/3.7.16/bin/python3.7}
[ -x "$PY" ] || { echo "no CPython 3.7 at $PY (set PYTHON37)" >&2; exit 1; }
command -v faketime >/dev/null || { echo "missing faketime: apt-get install faketime" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/installsift-wininst.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -r "$HERE/src/bdist_wininst/." "$WORK/"
find "$WORK" -exec touch -d @1717200000 {} +
(cd "$WORK" && faketime -f '2024-06-01 00:00:00' "$PY" run_bdist.py >/dev/null 2>&1)
mkdir -p "$HERE/bdist_wininst"
cp "$WORK/dist/siftdemo-1.0.win32.exe" "$HERE/bdist_wininst/siftdemo-1.0.win32.exe"
chmod 644 "$HERE/bdist_wininst/siftdemo-1.0.win32.exe"
ls -l "$HERE/bdist_wininst"
