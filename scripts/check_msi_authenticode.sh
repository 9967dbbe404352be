#!/usr/bin/env bash
# Cross-check installsift's MSI Authenticode digests against osslsigncode.
#
# For MSI files `osslsigncode verify` prints three digests:
#   "Calculated MsiDigitalSignatureEx" -- the metadata pre-hash (extended
#                                         signatures only),
#   "Calculated DigitalSignature"      -- the MSI Authenticode digest,
#   "Calculated message digest"        -- the flat hash of the whole file
#                                         (for catalogs), NOT the MSI digest.
# So this script compares with "Calculated DigitalSignature".
#
# Every corpus MSI/MSM is signed with the corpus test key:
#   -h sha256, -h sha1            plain signatures: osslsigncode's digest of the
#                                 signed copy must equal installsift's sha256 /
#                                 sha1 of the unsigned original AND of the
#                                 signed copy (the signature streams are left
#                                 out of the digest);
#   -h sha256/sha1 -add-msi-dse   extended signatures: installsift's
#                                 extended.prehash_* and extended.* of the
#                                 signed copy must equal the calculated
#                                 MsiDigitalSignatureEx and DigitalSignature.
#
# Needs: osslsigncode, a debug build (cargo build). Prints one line per check
# and exits 1 on any mismatch. Run from the repository root.
set -euo pipefail
bin=${INSTALLSIFT:-target/debug/installsift}
keys=corpus/src/keys
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

ours() { # file dotted.field -> value
    "$bin" scan -f jsonl --hashes authenticode "$1" | head -1 |
        python3 -c "
import sys, json
v = json.loads(sys.stdin.readline())['metadata']['authenticode']
for k in '$2'.split('.'):
    v = (v or {}).get(k)
print(v if v is not None else '')"
}
calculated() { # file label -> lowercase calculated digest
    osslsigncode verify -CAfile $keys/test_only_cert.pem -in "$1" 2>&1 |
        sed -n "s/^Calculated $2 *: *\([0-9A-F]*\).*/\1/p" | tr 'A-F' 'a-f'
}
check() { # label expected got
    if [ "$2" = "$3" ] && [ -n "$2" ]; then echo "OK   $1 $2"; else echo "FAIL $1 osslsigncode=$2 installsift=$3"; fail=1; fi
}
sign() { # in out alg [extra]
    osslsigncode sign -certs $keys/test_only_cert.pem -key $keys/test_only_key.pem \
        -h "$3" -n "installsift check" ${4:-} -in "$1" -out "$2" >/dev/null
}

echo "osslsigncode: $(osslsigncode --version 2>&1 | head -1)"
for f in corpus/msi/*.msi corpus/msi/module.msm corpus/msi/renamed.bin; do
    case "$f" in corpus/msi/signed.msi) continue ;; esac
    b=$(basename "$f")
    for alg in sha256 sha1; do
        out=$tmp/$b.$alg.msi
        sign "$f" "$out" $alg
        want=$(calculated "$out" DigitalSignature)
        check "plain    $alg $f (unsigned original)" "$want" "$(ours "$f" $alg)"
        check "plain    $alg $f (signed copy)      " "$want" "$(ours "$out" $alg)"
        out=$tmp/$b.$alg.dse.msi
        sign "$f" "$out" $alg -add-msi-dse
        check "extended $alg $f prehash             " "$(calculated "$out" MsiDigitalSignatureEx)" "$(ours "$out" extended.prehash_$alg)"
        check "extended $alg $f digest              " "$(calculated "$out" DigitalSignature)" "$(ours "$out" extended.$alg)"
    done
done
# the committed sample: simple.msi signed with -add-msi-dse (extended form)
s=corpus/msi/signed.msi
if [ -f $s ]; then
    check "committed $s prehash           " "$(calculated $s MsiDigitalSignatureEx)" "$(ours $s extended.prehash_sha256)"
    check "committed $s digest            " "$(calculated $s DigitalSignature)" "$(ours $s extended.sha256)"
    check "committed $s plain = simple.msi" "$(ours corpus/msi/simple.msi sha256)" "$(ours $s sha256)"
fi
exit $fail
