#!/usr/bin/env bash
# A fuzz campaign: the whole-scan target on one core, the per-format targets
# one after another on the other, each for a fixed time; every target's final
# libFuzzer statistics go to LOGDIR/<target>.log.
#
#   bash fuzz/campaign.sh SCAN_SECONDS PER_TARGET_SECONDS [LOGDIR]
#
# Seeds: corpus/ samples per format (copied to LOGDIR/seeds-<target>); the
# corpora grow there, not in the repository. Build first:
#   (cd fuzz && cargo fuzz build -s none)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCAN_T=${1:?scan seconds}
EACH_T=${2:?per-target seconds}
LOG=${3:-/tmp/installsift-fuzz}
mkdir -p "$LOG"
BIN=$HERE/target/x86_64-unknown-linux-gnu/release
C=$HERE/../corpus
seed() { # seed TARGET FILES...
    local d=$LOG/seeds-$1; shift
    mkdir -p "$d"; cp "$@" "$d"/ 2>/dev/null || true
}
seed scan "$C"/pe/*.exe "$C"/msi/*.msi "$C"/cab/*.cab "$C"/zip/*.zip "$C"/7z/*.7z "$C"/nested/* "$C"/malformed/* "$C"/traps/* "$C"/cab_set_in/set.tar "$C"/cab_set_in/set.zip "$C"/cab_set_in/set.7z
seed pe "$C"/pe/*.exe "$C"/pe/*.dll
seed cfb "$C"/msi/*.msi "$C"/msi/*.msm "$C"/malformed/*.msi
seed cab "$C"/cab/*.cab "$C"/msi/*.cab "$C"/malformed/*.cab
seed zip "$C"/zip/*.zip "$C"/zip_legacy/* "$C"/nested/*.zip "$C"/malformed/*.zip
seed sevenz "$C"/7z/*.7z "$C"/malformed/*.7z
seed xar "$C"/xar/*.xar "$C"/pkg/*.pkg
seed xml "$C"/clickonce/* "$C"/appinstaller/*
seed dmg "$C"/dmg/*.dmg
mkdir -p "$LOG"/seeds-hfs
# The HFS+ partitions' first 512 KiB (header, B-trees, small files), as our own
# release build extracts them (7zz opens the volume inside and writes files, not
# the partition). Needs `cargo build --release` first; without it, no hfs seeds.
IS=$HERE/../target/release/installsift
if [ -x "$IS" ]; then
    d=$(mktemp -d)
    "$IS" extract --max-depth 1 -o "$d" "$C"/dmg/*.dmg 2>/dev/null | python3 -c '
import json, os, sys
d, out = sys.argv[1], sys.argv[2]
for n, line in enumerate(sys.stdin):
    r = json.loads(line)
    if r.get("format") == "hfs" and r.get("extracted_to"):
        p = r["extracted_to"]
        p = p if os.path.isabs(p) else os.path.join(d, p)
        if os.path.exists(p):
            open(os.path.join(out, "%d.hfs" % n), "wb").write(open(p, "rb").read(524288))
' "$d" "$LOG"/seeds-hfs
    rm -rf "$d"
fi
# APFS: the containers' first 512 KiB (every metadata block of both samples
# lies there; the rest of dfvfs_apfs.raw is zeros), and the DMG's partition.
mkdir -p "$LOG"/seeds-apfs
head -c 524288 "$C"/apfs/dfvfs_apfs.raw > "$LOG"/seeds-apfs/dfvfs_apfs.raw
if [ -x "$IS" ]; then
    d=$(mktemp -d)
    "$IS" extract --max-depth 1 -o "$d" "$C"/apfs/container-apfs.dmg 2>/dev/null | python3 -c '
import json, os, sys
d, out = sys.argv[1], sys.argv[2]
for n, line in enumerate(sys.stdin):
    r = json.loads(line)
    if r.get("format") == "apfs" and r.get("extracted_to"):
        p = r["extracted_to"]
        p = p if os.path.isabs(p) else os.path.join(d, p)
        if os.path.exists(p):
            open(os.path.join(out, "%d.apfs" % n), "wb").write(open(p, "rb").read(524288))
' "$d" "$LOG"/seeds-apfs
    rm -rf "$d"
fi
seed szdd "$C"/szdd/*
seed kwaj "$C"/kwaj/* "$C"/malformed/kwaj_*
seed chm "$C"/chm/*.chm
seed qtifw "$C"/qtifw/*
seed iso "$C"/iso/*.iso
seed udf "$C"/udf/*
seed gzip "$C"/streams/*.gz "$C"/malformed/streams_*.gz
seed bzip2 "$C"/streams/*.bz2
seed xz "$C"/streams/*.xz
seed lzma "$C"/streams/*.lzma
seed pbzx "$C"/streams/*.pbzx
seed tar "$C"/streams/*.tar "$C"/malformed/streams_*.tar
seed cpio "$C"/streams/*.cpio "$C"/malformed/streams_*.cpio
seed arj "$C"/arj/*.arj
seed rar "$C"/rar/*.rar
for f in "$C"/sfx/winrar_sfx_rar*.exe; do # the RAR 4 / RAR 5 archive behind the SFX module
    python3 - "$f" "$LOG/seeds-rar/$(basename "$f").rar" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'Rar!\x1a\x07', 1)
if i > 0:
    open(sys.argv[2], 'wb').write(d[i:])
PY
done
seed ne "$C"/ne/*.exe
mkdir -p "$LOG"/seeds-bcj2 # a tiny Omaha BCJ2 split: header, 10 main bytes, 5 range-coder bytes
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<5I',10,10,0,0,5)+b'0123456789'+bytes(5))" \
    > "$LOG"/seeds-bcj2/tiny
mkdir -p "$LOG"/seeds-nsis
for f in "$C"/nsis/*.exe; do # the NSIS data alone (the overlay), small ones
    python3 - "$f" "$LOG/seeds-nsis/$(basename "$f")" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'\xef\xbe\xad\xdeNullsoftInst')
if i >= 4 and len(d) - i < 200_000:
    open(sys.argv[2], 'wb').write(d[i - 4:])
PY
done
mkdir -p "$LOG"/seeds-inno
for f in "$C"/inno/*.exe; do # setup-1 + setup-0 (loader table Offset1..OffsetEXE), small ones
    python3 - "$f" "$LOG/seeds-inno/$(basename "$f")" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
t = d.find(b'rDlPtS\xcd\xe6\xd7{\x0b*')
if t >= 0:
    rev, total, exe, _, _, off0, off1 = struct.unpack_from('<7I', d, t + 12)
    if rev == 1 and off1 < off0 < exe <= len(d) and exe - off1 < 200_000:
        open(sys.argv[2], 'wb').write(d[off1:exe])
PY
done
# Setup data 6.4.2-6.7.x written from issrc's records (bare overlays already).
seed inno "$C"/inno/spec/*.bin
mkdir -p "$LOG"/seeds-installshield
python3 - "$C/installshield" "$LOG/seeds-installshield" <<'PY'
import os, sys
src, out = sys.argv[1:]
def put(name, b):
    open(os.path.join(out, name), 'wb').write(b[:65536])
for f in sorted(os.listdir(src)):
    d = open(os.path.join(src, f), 'rb').read()
    i = d.rfind(b'InstallShield\0')  # the encrypted layout's header
    if b'ISmsi' in f.encode() and i > 0:
        put(f + '.header', d[i:])
    h = d.find(b'data1.hdr\0Disk1\\data1.hdr\0')  # plain records: header + data2.cab
    e = d.find(b'engine32.cab\0Disk1\\')
    if 0 < h < e:
        put(f + '.records', d[h:e])
        k = d.find(b'ISc(', h)
        put(f + '.data1.hdr', d[k:e])
    c = d.find(b'clam.exe\0Disk1\\clam.exe\0')
    if c > 0:
        put(f + '.first', d[c:])
PY
mkdir -p "$LOG"/seeds-lzx
python3 - "$C/cab" "$LOG/seeds-lzx" <<'PY'
# Each LZX folder of the corpus cabinets in exercise_lzx's layout: the window
# byte (bits - 15), then per CFDATA block a u16 data length, a u16 output
# length and the data.
import os, struct, sys
src, out = sys.argv[1:]
for f in sorted(os.listdir(src)):
    d = open(os.path.join(src, f), 'rb').read()
    if d[:4] != b'MSCF' or d[30] & 4:
        continue
    for k in range(struct.unpack_from('<H', d, 26)[0]):
        at, n, t = struct.unpack_from('<IHH', d, 36 + 8 * k)
        if t & 15 != 3:
            continue
        seed = bytes([(t >> 8 & 31) - 15])
        for _ in range(n):
            _, cb, ucb = struct.unpack_from('<IHH', d, at)
            seed += struct.pack('<HH', cb, ucb) + d[at + 8:at + 8 + cb]
            at += 8 + cb
        open(os.path.join(out, f'{f}.{k}'), 'wb').write(seed[:200_000])
PY
# SEEDS_ONLY=1: stop here (fuzz/sanitize.sh takes the seeds for its own runs).
if [ -n "${SEEDS_ONLY:-}" ]; then exit 0; fi
run() { # run TARGET SECONDS [MAX_LEN]
    mkdir -p "$LOG/artifacts-$1"
    "$BIN/$1" "$LOG/seeds-$1" -dict="$HERE/dict/installsift.dict" -max_total_time="$2" \
        -max_len="${3:-65536}" \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$LOG/artifacts-$1/" >"$LOG/$1.log" 2>&1 || true
}
# Inputs of at most 32 KiB for the whole scan (speed: ~1 M runs an hour);
# the NSIS target needs room for a solid block.
run scan "$SCAN_T" 32768 &
for t in pe cfb cab zip sevenz; do run "$t" "$EACH_T"; done
run nsis "$EACH_T" 200000
run inno "$EACH_T" 200000
run installshield "$EACH_T"
run xml "$EACH_T"
run xar "$EACH_T"
run dmg "$EACH_T" 200000
run hfs "$EACH_T" 600000
run apfs "$EACH_T" 524288
run lzx "$EACH_T" 200000
run szdd "$EACH_T"
run kwaj "$EACH_T"
run chm "$EACH_T" 131072
run qtifw "$EACH_T"
run iso "$EACH_T" 262144
run udf "$EACH_T" 1048576
run rar "$EACH_T"
wait
for t in gzip bzip2 xz lzma pbzx bcj2 tar cpio arj ne; do run "$t" "$EACH_T"; done
wait
for t in scan pe cfb cab zip sevenz nsis inno installshield xml xar dmg hfs apfs lzx szdd kwaj chm qtifw iso udf rar gzip bzip2 xz lzma pbzx bcj2 tar cpio arj ne; do
    printf '%-8s %s\n' "$t" "$(grep -E 'stat::(number_of_executed_units|average_exec_per_sec)' "$LOG/$t.log" | awk '{print $2}' | paste -sd' ')"
    ls "$LOG/artifacts-$t" 2>/dev/null | sed 's/^/    artifact: /'
done
