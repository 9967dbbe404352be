#!/usr/bin/env bash
# Cross-check installsift's Authenticode digests against osslsigncode.
#
# 1. Signed corpus PEs: installsift's padded SHA-256 must equal the digest
#    `osslsigncode verify` calculates ("Calculated message digest").
# 2. Unsigned corpus PEs: osslsigncode pads an unsigned file to a multiple of
#    8 bytes before it signs it, so the digest it signs (and calculates when
#    verifying the signed copy) is the *padded* Authenticode digest of the
#    unsigned original. Each unsigned PE is signed twice (-h sha256, -h sha1)
#    with the corpus test key and compared with installsift's padded SHA-256
#    and SHA-1 of the original.
#
# Needs: osslsigncode, a debug build (cargo build). Prints one line per check
# and exits 1 on any mismatch. Run from the repository root.
set -euo pipefail
bin=${INSTALLSIFT:-target/debug/installsift}
keys=corpus/src/keys
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

ours() { # file field -> value
    "$bin" scan -f jsonl --hashes authenticode "$1" | head -1 |
        python3 -c "import sys,json; print(json.loads(sys.stdin.readline())['metadata']['authenticode']['$2'])"
}
calculated() { # file -> lowercase calculated digest
    osslsigncode verify -CAfile $keys/test_only_cert.pem -in "$1" 2>&1 | sed -n 's/^Calculated message digest : *\([0-9A-F]*\).*/\1/p' | tr 'A-F' 'a-f'
}
check() { # label expected got
    if [ "$2" = "$3" ] && [ -n "$2" ]; then echo "OK   $1 $2"; else echo "FAIL $1 osslsigncode=$2 installsift=$3"; fail=1; fi
}

echo "osslsigncode: $(osslsigncode --version 2>&1 | head -1)"
for f in corpus/pe/*.exe corpus/pe/*.dll; do
    signed=$(python3 - "$f" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", d, 0x3C)[0]
opt = pe + 24
dirs = opt + (96 if struct.unpack_from("<H", d, opt)[0] == 0x10B else 112)
off, size = struct.unpack_from("<II", d, dirs + 4 * 8)
print("yes" if size else "no")
PY
)
    if [ "$signed" = yes ]; then
        if [ -n "$(calculated "$f")" ]; then
            check "signed   sha256 $f" "$(calculated "$f")" "$(ours "$f" sha256)"
        else
            echo "SKIP signed $f: osslsigncode calculates no digest ($(osslsigncode verify -in "$f" 2>&1 | grep -m1 -i 'warning\|error' || true))"
        fi
        continue
    fi
    for alg in sha256 sha1; do
        out=$tmp/$(basename "$f").$alg
        osslsigncode sign -certs $keys/test_only_cert.pem -key $keys/test_only_key.pem \
            -h $alg -n "installsift check" -in "$f" -out "$out" >/dev/null
        check "unsigned $alg $f (size % 8 = $(( $(stat -c %s "$f") % 8 )))" "$(calculated "$out")" "$(ours "$f" $alg)"
    done
done
exit $fail
