#!/usr/bin/env bash
# The C decoders under AddressSanitizer (issue 16): 7-Zip's LZMA SDK (crate
# lzma-sdk-sys, as its build.rs compiles it, but WITHOUT its prebuilt x86-64
# assembly core, so the decoder loop itself is C and instrumented) and xz's
# liblzma (crate liblzma-sys, static, from its vendored source), both compiled
# by clang with -fsanitize=address (+ libFuzzer's coverage) and linked into
# the nightly `cargo fuzz build -s address` targets that reach them.
#
#   bash fuzz/sanitize.sh build                 build + instrumentation checks
#   bash fuzz/sanitize.sh replay                seeds, existing corpora and
#                                               targeted truncated streams, once each
#   bash fuzz/sanitize.sh fuzz SECONDS          fuzz each target SECONDS
#   bash fuzz/sanitize.sh all SECONDS           the three in order
#
# Environment: WORK (default /tmp/installsift-asan: the instrumented copy,
# its target dir, seeds, logs), CORPORA (default /tmp/installsift-fuzz: grown
# corpora of earlier campaigns, replayed if present), CLANG (default
# clang-22: the LLVM major of `rustc +nightly -vV`, so the instrumentation
# matches the ASan runtime rustc links; apt-get install clang-22 llvm-22).
# TARGETS (default "sevenz nsis inno xar scan"): the targets built and run.
# One process at a time, nice 10 (a shared 2-core machine).
#
# The repository is not modified: crates/, fuzz/ and the lock files are
# copied to WORK/src, the lzma-sdk-sys source to WORK/lzma-sdk-sys, where its
# build.rs is made to ignore the `enable-asm` feature (the only change), and
# the fuzz workspace there patches crates.io's lzma-sdk-sys with that copy.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MODE=${1:?build, replay, fuzz SECONDS or all SECONDS}
SECS=${2:-0}
WORK=${WORK:-/tmp/installsift-asan}
CORPORA=${CORPORA:-/tmp/installsift-fuzz}
CLANG=${CLANG:-clang-22}
TARGETS=${TARGETS:-sevenz nsis inno xar scan}
TRIPLE=x86_64-unknown-linux-gnu
BIN=$WORK/src/fuzz/target/$TRIPLE/release
LOG=$WORK/logs
mkdir -p "$LOG"

need() { command -v "$1" >/dev/null || { echo "$1 missing: apt-get install $2" >&2; exit 2; }; }

build() {
    need "$CLANG" "${CLANG} (the LLVM of rustc +nightly: $(rustc +nightly -vV | sed -n 's/^LLVM version: //p'))"
    need llvm-symbolizer llvm
    local llvm
    llvm=$(rustc +nightly -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
    [ "$("$CLANG" -dumpversion | cut -d. -f1)" = "$llvm" ] ||
        echo "warning: $CLANG is not LLVM $llvm (rustc +nightly's); the ASan ABI may not match" >&2
    rm -rf "$WORK/src" "$WORK/lzma-sdk-sys"
    mkdir -p "$WORK/src"
    (cd "$ROOT" && tar --exclude=target --exclude='fuzz/artifacts' --exclude='fuzz/corpus' \
        -cf - Cargo.toml Cargo.lock crates fuzz) | tar -xf - -C "$WORK/src"
    local ver crate
    ver=$(awk '/^name = "lzma-sdk-sys"$/ { getline; gsub(/"/, "", $3); print $3 }' "$HERE/Cargo.lock")
    crate=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"lzma-sdk-sys-$ver" | head -1)
    cp -r "$crate" "$WORK/lzma-sdk-sys"
    # build.rs reads CARGO_FEATURE_ENABLE_ASM to define Z7_LZMA_DEC_OPT and
    # link precompiled-asm/x86/linux-x64/*.o; make it read a variable cargo
    # never sets, and remove the objects so that a missed use fails the build.
    sed -i 's/CARGO_FEATURE_ENABLE_ASM/INSTALLSIFT_SANITIZE_NO_ASM/g' "$WORK/lzma-sdk-sys/build.rs"
    grep -q INSTALLSIFT_SANITIZE_NO_ASM "$WORK/lzma-sdk-sys/build.rs"
    rm -rf "$WORK/lzma-sdk-sys/precompiled-asm"
    printf '\n[patch.crates-io]\nlzma-sdk-sys = { path = "%s" }\n' "$WORK/lzma-sdk-sys" >>"$WORK/src/fuzz/Cargo.toml"
    # The cc crate reads CC_<triple> / CFLAGS_<triple> for the target's C
    # (build scripts and proc macros, built for the host, are not affected).
    # fuzzer-no-link: libFuzzer's coverage counters in the C code too, so the
    # fuzzer is guided through the decoders' branches.
    export "CC_${TRIPLE//-/_}=$CLANG"
    export "CFLAGS_${TRIPLE//-/_}=-fsanitize=address -fsanitize=fuzzer-no-link -fno-omit-frame-pointer -g -O1"
    local t
    for t in $TARGETS; do
        (cd "$WORK/src/fuzz" && nice -n 10 cargo +nightly fuzz build -s address "$t") 2>&1 | tail -3
    done
    check | tee "$LOG/instrumentation.txt"
}

check() { # the instrumentation reached the C code, and the asm is gone
    local out a
    out=$(ls -d "$WORK"/src/fuzz/target/$TRIPLE/release/build/lzma-sdk-sys-*/out | head -1)
    a=$out/lib7zip.a
    echo "== lzma-sdk-sys ($a): distinct __asan_ symbols each object calls"
    nm -A "$a" 2>/dev/null | awk '/ U __asan_/ { n[substr($1, index($1, ":") + 1)]++ }
        END { for (k in n) printf "  %s %d\n", k, n[k] }' | sort
    ar t "$a" | grep -qE '(7zCrcOpt|XzCrc64Opt|AesOpt|Sha1Opt|Sha256Opt|LzmaDecOpt)\.o$' &&
        { echo "FAIL: an assembly object is in lib7zip.a"; return 1; }
    nm "$BIN/sevenz" | grep -qE ' T LzmaDec_DecodeReal_3$' &&
        { echo "FAIL: global LzmaDec_DecodeReal_3 (the asm core) in the sevenz binary"; return 1; }
    echo "== the LZMA decoder core in the sevenz binary: C (LzmaDec_DecodeReal_3 is static"
    echo "   and inlined into LzmaDec_DecodeReal2), with its ASan reports (disassembly):"
    objdump -d --no-show-raw-insn "$BIN/sevenz" |
        awk '/^[0-9a-f]+ <LzmaDec_DecodeReal/ { f = $2; next } /^$/ { f = "" } f && /call.*__asan_report/ { n[f]++ }
            END { for (k in n) printf "  %s %d calls to __asan_report_*\n", k, n[k] }'
    a=$(find "$WORK"/src/fuzz/target/$TRIPLE/release/build/liblzma-sys-*/out -name 'liblzma.a' | head -1)
    echo "== liblzma ($a): objects calling __asan_ / objects"
    echo "  $(nm -A "$a" 2>/dev/null | awk '/ U __asan_/ { print substr($1, index($1, ":") + 1) }' | sort -u | wc -l) / $(ar t "$a" | wc -l)"
    nm -A "$a" 2>/dev/null | awk '/ U __asan_/ { n[substr($1, index($1, ":") + 1)]++ }
        END { for (k in n) printf "  %s %d\n", k, n[k] }' | grep -E '(lzma_decoder|lzma2_decoder|lz_decoder|stream_decoder)\.o' | sort
    echo "== in the xar binary: $(objdump -d --no-show-raw-insn "$BIN/xar" |
        awk '/^[0-9a-f]+ <lzma_decode>:/ { f = 1; next } /^$/ { f = 0 } f && /call.*__asan_report/' | wc -l) __asan_report calls in liblzma's lzma_decode"
    canary
}

canary() { # a deliberate heap overread in C, built the same way, must be caught
    local d=$WORK/canary
    rm -rf "$d" && mkdir -p "$d"
    cat >"$d/canary.c" <<'C'
#include <stdlib.h>
/* Reads one byte past a malloc'd buffer, as a decoder overrunning its input would. */
int canary_read(int n) { unsigned char *p = malloc(n); for (int i = 0; i < n; i++) p[i] = i; int v = p[n]; free(p); return v; }
C
    cat >"$d/main.rs" <<'RS'
extern "C" { fn canary_read(n: i32) -> i32; }
fn main() { println!("{}", unsafe { canary_read(16) }); }
RS
    "$CLANG" -fsanitize=address -fno-omit-frame-pointer -g -O1 -c "$d/canary.c" -o "$d/canary.o"
    ar rcs "$d/libcanary.a" "$d/canary.o"
    rustc +nightly -Zsanitizer=address -g --target $TRIPLE "$d/main.rs" -L "$d" -l static=canary -o "$d/canary"
    if "$d/canary" >"$d/out.txt" 2>&1; then
        echo "FAIL: the canary's overread was not reported"; return 1; fi
    echo "== canary: a C overread under rustc's ASan runtime"
    grep -m1 -E 'ERROR: AddressSanitizer' "$d/out.txt" | sed 's/^==[0-9]*==/  /'
    grep -m1 -E '#0 .* in canary_read' "$d/out.txt" | sed 's/^ */  /'
}

seeds() { # campaign.sh's seeds, the earlier campaigns' corpora, targeted truncations
    rm -rf "$WORK/seeds" && mkdir -p "$WORK/seeds"
    SEEDS_ONLY=1 bash "$HERE/campaign.sh" 0 0 "$WORK/seeds" >/dev/null
    local t
    for t in $TARGETS; do
        mkdir -p "$WORK/in-$t"
        cp -n "$WORK/seeds/seeds-$t"/* "$WORK/in-$t"/ 2>/dev/null || true
        [ -d "$CORPORA/seeds-$t" ] && cp -n "$CORPORA/seeds-$t"/* "$WORK/in-$t"/ 2>/dev/null || true
    done
    python3 - "$WORK" "$ROOT/corpus" <<'PY'
# Truncated and damaged compressed streams, written as inputs of the targets
# that decode them: NSIS and Inno LZMA (the SDK), 7z LZMA/LZMA2 (the SDK),
# xar xz/lzma members (liblzma), and whole corpus files (scan).
import hashlib, os, sys
work, corpus = sys.argv[1:]
def out(target, data, tag):
    d = os.path.join(work, 'targeted-' + target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16] + '-' + tag
    open(os.path.join(d, name), 'wb').write(data)
def cuts(n):
    # every 1/64 of the length, and the last 32 bytes one by one
    s = {n * k // 64 for k in range(1, 64)} | {n - k for k in range(1, 33)}
    return sorted(c for c in s if 0 < c < n)
seeds = os.path.join(work, 'seeds')
for target in ('nsis', 'inno', 'xar'):
    d = os.path.join(seeds, 'seeds-' + target)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        b = open(os.path.join(d, f), 'rb').read()
        for c in cuts(len(b)):
            out(target, b[:c], f'{f}.cut{c}')
# 7z: the packed streams sit between the 32-byte signature header and the
# header at the end; damage them, keeping the header (so the decoder, not the
# header reader, meets the damage): zero the tail of the packed area from
# several points, and flip single bytes.
import struct
for sub in ('7z', 'malformed'):
    d = os.path.join(corpus, sub)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not f.endswith('.7z'):
            continue
        b = open(os.path.join(d, f), 'rb').read()
        if b[:6] != b"7z\xbc\xaf'\x1c" or len(b) < 32:
            continue
        hoff, = struct.unpack_from('<Q', b, 12)
        end = 32 + hoff
        if not 32 < end <= len(b):
            continue
        for k in range(1, 16):
            c = 32 + (end - 32) * k // 16
            out('sevenz', b[:c] + bytes(end - c) + b[end:], f'{f}.zero{c}')
        for k in range(64):
            i = 32 + (end - 32) * k // 64
            m = bytearray(b); m[i] ^= 0x55
            out('sevenz', bytes(m), f'{f}.flip{i}')
# scan: every corpus sample under 1 MiB cut at 16 points (the engine's
# streaming NSIS/Inno/7z/xar/xz paths meet the cut).
for sub in ('nsis', 'inno', '7z', 'xar', 'pkg'):
    d = os.path.join(corpus, sub)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        b = open(os.path.join(d, f), 'rb').read()
        if len(b) > 1 << 20:
            continue
        for k in range(1, 16):
            out('scan', b[:len(b) * k // 16], f'{f}.cut{k}')
PY
}

runit() { # runit TARGET LOGNAME ARGS... (one process, nice 10)
    local t=$1 name=$2; shift 2
    mkdir -p "$WORK/artifacts-$t"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
        nice -n 10 "$BIN/$t" -rss_limit_mb=2560 -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$WORK/artifacts-$t/" "$@" >"$LOG/$name.log" 2>&1 || true
    printf '%-22s %s\n' "$name" "$(grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$LOG/$name.log" | awk '{print $2}' | paste -sd' ') $(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' "$LOG/$name.log" || true)"
}

replay() {
    seeds
    local t
    for t in $TARGETS; do
        # -runs=0: execute every input once, no mutation
        runit "$t" "replay-$t" -runs=0 "$WORK/in-$t"
        [ -d "$WORK/targeted-$t" ] && runit "$t" "targeted-$t" -runs=0 -max_len=4194304 "$WORK/targeted-$t"
    done
}

fuzz() {
    local t max
    for t in $TARGETS; do
        max=65536
        case $t in nsis | inno) max=200000 ;; scan) max=32768 ;; esac
        mkdir -p "$WORK/corpus-$t"
        runit "$t" "fuzz-$t" -max_total_time="$SECS" -max_len=$max \
            -dict="$HERE/dict/installsift.dict" "$WORK/corpus-$t" "$WORK/in-$t"
    done
}

case $MODE in
build) build ;;
check) check ;;
replay) replay ;;
fuzz) fuzz ;;
all) build && replay && fuzz ;;
*) echo "unknown mode $MODE" >&2; exit 2 ;;
esac
