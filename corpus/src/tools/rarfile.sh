#!/usr/bin/env bash
# RAR samples from rarfile's tests (markokr/rarfile @ 36ecdb7bf5197e80cd96e01aa4c4776de3246aad,
# test/files/, ISC licence): the old formats no other public fixture here has, taken as
# they are (no RAR writer exists on Debian):
#   rar/rar15_comment.rar      RAR 1.5, archive and file comments embedded in the headers,
#                              one file of the RAR 1.5 method, one stored
#   rar/rar20_comment.rar      RAR 2.0, the same with two stored files
#   rar/rar20_unix_owner.rar   RAR 2.0 method, an old-style Unix owner sub-block (type 0x77)
#                              and an old recovery record (type 0x78)
#   rar_volumes/rar3-old.{rar,r00,r01}   a RAR 3 volume set in the old numbering
# then the volume sets' reference listings (scripts/rar_volumes_reference.py --write, which
# needs a release build).
#
#   bash corpus/src/tools/rarfile.sh [RARFILE_CLONE]
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOP=$(cd "$HERE/.." && pwd)
REV=36ecdb7bf5197e80cd96e01aa4c4776de3246aad
SRC=${1:-$TOP/target/rarfile}
if [ ! -d "$SRC" ]; then git clone -q https://github.com/markokr/rarfile "$SRC"; fi
take() { git -C "$SRC" show "$REV:test/files/$1" > "$HERE/$2"; }
take rar15-comment.rar rar/rar15_comment.rar
take rar202-comment-nopsw.rar rar/rar20_comment.rar
take rar2-unix-owner.rar rar/rar20_unix_owner.rar
for v in rar r00 r01; do take "rar3-old.$v" "rar_volumes/rar3-old.$v"; done
python3 "$TOP/scripts/rar_volumes_reference.py" --write
