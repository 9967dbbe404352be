#!/usr/bin/env bash
# Reproduce, byte for byte, the x86 assembly objects that the lzma-sdk-sys
# crate ships prebuilt (precompiled-asm/x86/*/*.o, assembled by its author
# with UASM) from the crate's own .asm sources, with a UASM built here from
# source with gcc (issue 18: no opaque object code in a security tool).
#
#   scripts/reproduce_lzma_asm.sh [OUTDIR]        (default scripts/results)
#
# Environment (defaults in brackets):
#   UASM_REPO     git repository of UASM, a local path or a URL
#                 [https://github.com/Terraspace/UASM.git]
#   UASM_COMMIT   the UASM commit to build
#                 [4dc0a4f96e2296c2e56c9224a2a0453c99470e2c, tag v2.56.2]
#   SEVENZIP_REPO git repository of 7-Zip (Igor Pavlov's ip7z/7zip), local
#                 path or URL; when set, the crate's .asm files are also
#                 compared with tag 25.01's (line endings aside) and the
#                 objects are assembled from those too [unset: skipped]
#   BIN           a built installsift binary; when it exists, the assembly
#                 code it contains is compared with the reproduced objects
#                 [target/release/installsift]
#
# Writes OUTDIR/lzma_asm_reproduce.tsv (one row per shipped object) and
# OUTDIR/lzma_asm_reproduce.txt (tools, commands, verdicts). Exits 1 when an
# object we link (linux-x64) differs in any byte, or when any shipped object
# differs in anything but a COFF header's TimeDateStamp.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$ROOT/scripts/results}
UASM_REPO=${UASM_REPO:-https://github.com/Terraspace/UASM.git}
UASM_COMMIT=${UASM_COMMIT:-4dc0a4f96e2296c2e56c9224a2a0453c99470e2c}
SEVENZIP_TAG=25.01
BIN=${BIN:-$ROOT/target/release/installsift}
command -v gcc >/dev/null || { echo "gcc missing: apt-get install gcc make" >&2; exit 2; }
command -v make >/dev/null || { echo "make missing: apt-get install make" >&2; exit 2; }
command -v git >/dev/null || { echo "git missing: apt-get install git" >&2; exit 2; }

# The crate version the lock file pins, and its unpacked source.
VER=$(awk '/^name = "lzma-sdk-sys"$/ { getline; gsub(/"/, "", $3); print $3 }' "$ROOT/Cargo.lock")
[ -n "$VER" ] || { echo "lzma-sdk-sys not in Cargo.lock" >&2; exit 2; }
find_crate() { ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"lzma-sdk-sys-$VER" 2>/dev/null | head -1; }
CRATE=$(find_crate)
if [ -z "$CRATE" ]; then (cd "$ROOT" && cargo fetch --locked >/dev/null); CRATE=$(find_crate); fi
[ -d "$CRATE" ] || { echo "lzma-sdk-sys-$VER source not found" >&2; exit 2; }

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# 1. UASM from source, at the pinned commit.
if [ -d "$UASM_REPO" ]; then UGIT=$UASM_REPO; else
    git clone --quiet --no-checkout "$UASM_REPO" "$W/uasm.git"; UGIT=$W/uasm.git; fi
[ "$(git -C "$UGIT" rev-parse "$UASM_COMMIT^{commit}")" = "$UASM_COMMIT" ] ||
    { echo "UASM commit $UASM_COMMIT not found in $UASM_REPO" >&2; exit 2; }
mkdir "$W/uasm"
git -C "$UGIT" archive "$UASM_COMMIT" | tar -x -C "$W/uasm"
# -fcommon: UASM defines globals in headers (its makefile's note for
# compilers that default to -fno-common, as gcc >= 10 does).
(cd "$W/uasm" && make -f gccLinux64.mak CC="gcc -fcommon" >"$W/uasm-build.log" 2>&1) ||
    { tail -20 "$W/uasm-build.log" >&2; exit 2; }
UASM=$W/uasm/GccUnixR/uasm
UASM_BANNER=$("$UASM" -h 2>&1 | head -1 | sed 's/\x1b\[[0-9;]*m//g')

# 2. The command lines of the crate's precompiled-asm/readme.md, per platform.
flags() {
    case $1 in
    linux-x64) echo "-elf64 -DABI_LINUX" ;;
    linux-x86) echo "-elf -DABI_LINUX -DABI_CDECL" ;;
    win-x64) echo "-win64" ;;
    win-x86) echo "-coff -DABI_WINDOWS -DABI_CDECL" ;;
    apple-x64) echo "-macho64 -DABI_LINUX" ;;
    esac
}
coff() { [ "$1" = win-x64 ] || [ "$1" = win-x86 ]; }
# A COFF object's header without its TimeDateStamp (bytes 4..7, the time
# UASM ran); the rest of the file unchanged.
unstamped() { python3 -c 'import sys,hashlib; b=bytearray(open(sys.argv[1],"rb").read()); b[4:8]=bytes(4); print(hashlib.sha256(b).hexdigest())' "$1"; }
stamp() { python3 -c 'import sys,struct,datetime; t=struct.unpack_from("<I",open(sys.argv[1],"rb").read(),4)[0]; print(datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }

mkdir -p "$OUT"
TSV=$OUT/lzma_asm_reproduce.tsv
printf 'source\tplatform\tobject\tshipped_sha256\tours_sha256\tresult\tshipped_coff_timestamp\n' >"$TSV"
fail=0
assemble_all() { # assemble_all LABEL ASMDIR
    local label=$1 src=$2 plat obj o shipped a b
    for plat in linux-x64 linux-x86 win-x64 win-x86 apple-x64; do
        for shipped in "$CRATE"/precompiled-asm/x86/"$plat"/*.o; do
            obj=$(basename "$shipped" .o)
            rm -rf "$W/asm" && cp -r "$src" "$W/asm"
            # shellcheck disable=SC2046
            (cd "$W/asm" && "$UASM" -q $(flags "$plat") "$obj.asm" >"$W/asm.log" 2>&1) ||
                { cat "$W/asm.log" >&2; echo "uasm failed on $plat $obj" >&2; exit 2; }
            o=$W/asm/$obj.o
            a=$(sha256sum <"$shipped" | cut -c1-64)
            b=$(sha256sum <"$o" | cut -c1-64)
            t=-
            coff "$plat" && t=$(stamp "$shipped")
            if [ "$a" = "$b" ]; then r=identical
            elif coff "$plat" && [ "$(unstamped "$shipped")" = "$(unstamped "$o")" ]; then
                r=identical-except-timestamp
            else r=DIFFERENT; fail=1; fi
            [ "$plat" = linux-x64 ] && [ "$r" != identical ] && fail=1
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$plat" "$obj" "$a" "$b" "$r" "$t" >>"$TSV"
        done
    done
}
assemble_all crate "$CRATE/7z/Asm/x86"

# 3. Optionally: the crate's .asm against Igor Pavlov's tag, and objects from it.
ASM_CMP="not checked (SEVENZIP_REPO unset)"
if [ -n "${SEVENZIP_REPO:-}" ]; then
    if [ -d "$SEVENZIP_REPO" ]; then SGIT=$SEVENZIP_REPO; else
        git clone --quiet --no-checkout --depth 1 --branch "$SEVENZIP_TAG" "$SEVENZIP_REPO" "$W/7z.git"
        SGIT=$W/7z.git; fi
    mkdir "$W/up"
    ASM_CMP="tag $SEVENZIP_TAG ($(git -C "$SGIT" rev-parse "$SEVENZIP_TAG^{commit}")):"
    for f in "$CRATE"/7z/Asm/x86/*.asm; do
        n=$(basename "$f")
        git -C "$SGIT" show "$SEVENZIP_TAG:Asm/x86/$n" >"$W/up/$n"
        if cmp -s <(tr -d '\r' <"$f") "$W/up/$n"; then ASM_CMP="$ASM_CMP $n same;"
        else ASM_CMP="$ASM_CMP $n DIFFERENT;"; fail=1; fi
    done
    assemble_all "7-Zip $SEVENZIP_TAG" "$W/up"
fi

# 4. The assembly code in our binary: each global symbol of a linux-x64
# object that the binary defines, compared with the object's code section
# (the objects carry no relocations, so the linked bytes must be the same).
LINKED="not checked (no $BIN)"
if [ -f "$BIN" ]; then
    LINKED=$(python3 - "$BIN" "$CRATE/precompiled-asm/x86/linux-x64" <<'PY'
import os, struct, sys
def elf(path):
    d = open(path, 'rb').read()
    shoff, = struct.unpack_from('<Q', d, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x3a)
    secs = []
    for i in range(shnum):
        name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from('<IIQQQQIIQQ', d, shoff + i * shentsize)
        secs.append(dict(name=name, type=typ, addr=addr, off=off, size=size, link=link, entsize=entsize))
    strtab = secs[shstrndx]
    for s in secs:
        e = d.index(b'\0', strtab['off'] + s['name'])
        s['name'] = d[strtab['off'] + s['name']:e].decode()
    syms = {}
    for s in secs:
        if s['type'] != 2:  # SHT_SYMTAB
            continue
        st = secs[s['link']]
        for k in range(s['size'] // 24):
            nm, info, other, shndx, value, size = struct.unpack_from('<IBBHQQ', d, s['off'] + 24 * k)
            if info >> 4 == 1 and shndx != 0:  # global, defined
                e = d.index(b'\0', st['off'] + nm)
                syms[d[st['off'] + nm:e].decode()] = (shndx, value)
    return d, secs, syms
b, bsecs, bsyms = elf(sys.argv[1])
def at(vaddr, n):
    for s in bsecs:
        if s['type'] == 1 and s['addr'] <= vaddr and vaddr + n <= s['addr'] + s['size']:
            return b[s['off'] + vaddr - s['addr']:s['off'] + vaddr - s['addr'] + n]
out = []
for f in sorted(os.listdir(sys.argv[2])):
    d, secs, syms = elf(os.path.join(sys.argv[2], f))
    relocs = any(s['type'] == 4 or s['type'] == 9 for s in secs)  # SHT_RELA / SHT_REL
    for name, (shndx, value) in sorted(syms.items()):
        if name not in bsyms:
            out.append(f'{f}: {name} not in the binary')
            continue
        if relocs:
            out.append(f'{f}: {name} in the binary; the object has relocations, bytes not compared')
            continue
        sec = secs[shndx]
        code = d[sec['off']:sec['off'] + sec['size']]
        start = bsyms[name][1] - value
        got = at(start, len(code))
        verdict = 'the same bytes' if got == code else 'DIFFERENT BYTES'
        out.append(f'{f}: {name} in the binary at {bsyms[name][1]:#x}: {len(code)} bytes of {sec["name"]}, {verdict}')
print('\n'.join(out))
PY
)
    grep -q 'DIFFERENT BYTES' <<<"$LINKED" && fail=1
fi

{
    echo "lzma-sdk-sys $VER: $CRATE"
    echo "UASM: $UASM_REPO at $UASM_COMMIT ($UASM_BANNER)"
    echo "UASM built with: make -f gccLinux64.mak CC=\"gcc -fcommon\" ($(gcc --version | head -1))"
    for p in linux-x64 linux-x86 win-x64 win-x86 apple-x64; do echo "  $p: uasm -q $(flags "$p") NAME.asm"; done
    echo "crate .asm against 7-Zip: $ASM_CMP"
    echo
    echo "objects per source, platform and result (identical-except-timestamp: only"
    echo "the 4-byte TimeDateStamp of the COFF header, the time UASM ran, differs):"
    awk -F'\t' 'NR > 1 { n[$1 " / " $2 " / " $6]++ } END { for (k in n) print "  " k ": " n[k] }' "$TSV" | sort
    echo
    echo "in $BIN:"
    echo "$LINKED"
    echo
    [ $fail = 0 ] && echo "RESULT: reproduced" || echo "RESULT: NOT reproduced"
} | tee "$OUT/lzma_asm_reproduce.txt"
exit $fail
