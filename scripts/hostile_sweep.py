#!/usr/bin/env python3
"""Hostile sweep: run the release binary on deterministic mutants of every
corpus sample under CPU and memory limits, and report every run that
panicked, hung, was killed, went over the CPU or memory bound, exited with
a wrong status or wrote output that breaks the JSONL contract.

(`scripts/mutation_sweep.py` asks another question: whether a mutant lost
children or bytes silently. This one asks whether the process survives.)

Mutants of each sample (seeded by the sample's path under corpus/, so a run
is repeatable; at most --per-kind of each kind, 3x that for `field`,
a quarter for `dup`, one `zeros`):

  trunc   the file cut at each known header, in its middle, just after it,
          and at a seeded point between it and the next (plus fixed
          fractions of the file)
  flip    one bit flipped at a seeded place inside a known header region
          (round robin over the headers found)
  field   a size/count/offset field at its documented offset overwritten
          with 0, 0xFFFFFFFF, 0x7FFFFFFF and the file size (2-byte fields:
          0, 0xFFFF, 0x7FFF and the size cut to 16 bits; 8-byte fields also
          all ones)
  dup     a 64 KiB block (the whole file when smaller) duplicated: repeated
          in place (inserted after itself), or copied over the next 64 KiB;
          the block at the file's start, at known headers (4 KiB aligned)
          and at seeded places, at most per-kind/4 of them
  zeros   1 MiB of zeros appended

"Known headers" are found by their magic anywhere in the file (PE with its
section table and data directories, ZIP local/central/end records and
ZIP64, 7z, CAB with its folders, files and data blocks, CFB/MSI with its
directory, xar, NSIS first header, Inno Setup loader table and setup-0
block, InstallShield launcher and ISc( cabinet, RAR, DMG koly, HFS+ volume header, APFS objects: the checksum of an APFS block is written again after a field mutation and after every other flip).

Each mutant is written to a temporary directory (deleted afterwards) and
scanned alone, one process at a time:

    installsift scan -f jsonl --progress never -j 1 MUTANT

under RLIMIT_CPU (--cpu-kill s, a safety net: the finding is measured, not
the kill) and RLIMIT_AS (--as-limit MiB, a safety net only: address space
counts mapped files and reserved stacks), with a wall-clock timeout
(--timeout s). Peak RSS and CPU time are GNU time's (`/usr/bin/time`,
Debian package `time`), for the scan alone. Classes:

  panic     exit 101, "panicked" on stderr, or an error of kind `panic`
  signal    killed by a signal (SIGXCPU from the CPU net, SIGSEGV, SIGABRT …)
  hang      still running after --timeout seconds of wall time (killed)
  cpu       user+system CPU over --cpu seconds (default 2)
  rss       peak RSS over --rss MiB (default 128)
  exit      an exit status other than 0 (README: 0 when every input was
            scanned; 1 only when an input could not be read, which a
            regular file we just wrote can always be; 2 on usage errors)
  output    stdout is not valid JSONL per the README's contract: a line
            that does not parse, a required field missing or of the wrong
            type, a verdict or error kind outside the documented sets, no
            root node for the input, a child before its parent

Usage: scripts/hostile_sweep.py [--bin target/release/installsift]
       [--only SUBSTR] [--per-kind N] [--kinds trunc,flip,...]
       [--save DIR] [--out scripts/results/hostile_sweep.txt]

--save DIR keeps the mutant of every finding there (to minimise it into a
regression). Standard library only, plus GNU time; Linux (setrlimit).
SPDX-License-Identifier: MIT OR Apache-2.0
"""

import argparse
import collections
import json
import os
import random
import re
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP_DIRS = {"reference", "src"}
SKIP_EXT = {".md", ".sh", ".tsv", ".py", ".txt"}
KINDS = ["trunc", "flip", "field", "dup", "zeros"]
CLASSES = ["panic", "signal", "hang", "cpu", "rss", "exit", "output"]
BLOCK = 64 << 10
ZEROS = 1 << 20
TIME = "/usr/bin/time"
# The scan's -j (--jobs).
JOBS = "1"

VERDICTS = {"installer", "not-installer", "unknown"}
ERROR_KINDS = {"io", "truncated", "malformed", "unsupported", "encrypted", "checksum",
               "limit-exceeded", "panic"}
HEX64 = re.compile(r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------- samples

def samples(only):
    """Corpus samples (reference listings, sources and docs left out)."""
    out = []
    base = os.path.join(ROOT, "corpus")
    for d, dirs, files in os.walk(base):
        dirs.sort()
        rel = os.path.relpath(d, base)
        if rel.split(os.sep)[0] in SKIP_DIRS:
            continue
        for f in files:
            if os.path.splitext(f)[1] in SKIP_EXT or f.startswith("."):
                continue
            r = os.path.relpath(os.path.join(d, f), base)
            if only and only not in r:
                continue
            out.append(r)
    return sorted(out)


# ---------------------------------------------------------------- structure

def rd(d, at, w, endian="<"):
    if at < 0 or at + w > len(d):
        return None
    if w not in (1, 2, 4, 8):
        return int.from_bytes(d[at:at + w], "little")
    return struct.unpack_from(endian + {1: "B", 2: "H", 4: "I", 8: "Q"}[w], d, at)[0]


def find_all(d, magic, limit=4, last=0):
    """Offsets of `magic`: the first `limit` and the last `last`."""
    out, at = [], d.find(magic)
    while at >= 0 and len(out) < limit:
        out.append(at)
        at = d.find(magic, at + 1)
    if last:
        at, tail = len(d), []
        while len(tail) < last:
            at = d.rfind(magic, 0, at)
            if at < 0:
                break
            tail.append(at)
        out += [t for t in tail if t not in out]
    return out


class Layout:
    """Header regions (offset, length, name) and fields (offset, width,
    endian, name) found in one file."""

    def __init__(self, d):
        self.d = d
        self.headers = []
        self.fields = []
        # APFS objects (block offset, size): their Fletcher-64 is written
        # again after a field or flip mutation (an attacker writes valid
        # checksums), so that the mutant reaches the structure behind it.
        self.sealed = []
        pe_find(self)
        zip_find(self)
        sevenz_find(self)
        cab_find(self)
        cfb_find(self)
        xar_find(self)
        nsis_find(self)
        inno_find(self)
        installshield_find(self)
        rar_find(self)
        arj_find(self)
        ne_find(self)
        streams_find(self)
        dmg_find(self)
        hfs_find(self)
        compress_find(self)
        chm_find(self)
        qtifw_find(self)
        iso_find(self)
        udf_find(self)
        apfs_find(self)
        n = len(d)
        self.headers = sorted({(a, ln, w) for a, ln, w in self.headers if 0 <= a < n and ln > 0})
        seen = set()
        fields = []
        for a, w, e, what in self.fields:
            if 0 <= a and a + w <= n and (a, w) not in seen:
                seen.add((a, w))
                fields.append((a, w, e, what))
        self.fields = fields

    def header(self, at, length, what):
        self.headers.append((at, length, what))

    def field(self, at, width, what, endian="<"):
        self.fields.append((at, width, endian, what))


def pe_find(L):
    d = L.d
    starts = [0] if d[:2] == b"MZ" else []
    # Embedded PEs (a bundled app, a resource): MZ whose e_lfanew finds PE\0\0.
    for at in find_all(d, b"MZ", limit=64):
        if at and len(starts) < 4:
            lf = rd(d, at + 0x3C, 4)
            if lf is not None and lf < 4096 and d[at + lf:at + lf + 4] == b"PE\0\0":
                starts.append(at)
    for a in starts:
        pe_one(L, a)


def pe_one(L, a):
    d = L.d
    L.header(a, 64, "pe dos header")
    L.field(a + 0x3C, 4, "pe e_lfanew")
    lf = rd(d, a + 0x3C, 4)
    if lf is None or d[a + lf:a + lf + 4] != b"PE\0\0":
        return
    pe = a + lf
    nsec = rd(d, pe + 6, 2) or 0
    optsize = rd(d, pe + 20, 2) or 0
    L.header(pe, 24, "pe file header")
    L.field(pe + 6, 2, "pe NumberOfSections")
    L.field(pe + 12, 4, "pe PointerToSymbolTable")
    L.field(pe + 16, 4, "pe NumberOfSymbols")
    L.field(pe + 20, 2, "pe SizeOfOptionalHeader")
    opt = pe + 24
    L.header(opt, optsize, "pe optional header")
    magic = rd(d, opt, 2)
    plus = magic == 0x20B
    L.field(opt + 56, 4, "pe SizeOfImage")
    L.field(opt + 60, 4, "pe SizeOfHeaders")
    nrva_at = opt + (108 if plus else 92)
    L.field(nrva_at, 4, "pe NumberOfRvaAndSizes")
    dirs_at = nrva_at + 4
    names = {0: "export", 1: "import", 2: "resource", 3: "exception", 4: "security",
             5: "basereloc", 6: "debug", 9: "tls", 10: "load config", 11: "bound import",
             12: "iat", 13: "delay import", 14: "clr"}
    dirs = {}
    for i, nm in names.items():
        at = dirs_at + 8 * i
        if at + 8 <= opt + optsize:
            L.field(at, 4, f"pe {nm} directory rva")
            L.field(at + 4, 4, f"pe {nm} directory size")
            dirs[i] = (rd(d, at, 4) or 0, rd(d, at + 4, 4) or 0)
    sect = opt + optsize
    nsec_read = min(nsec, 96)
    L.header(sect, 40 * nsec_read, "pe section table")
    sections = []
    end = 0
    for i in range(nsec_read):
        sh = sect + 40 * i
        if sh + 40 > len(d):
            break
        vs, va, rs, rp = (rd(d, sh + 8, 4), rd(d, sh + 12, 4), rd(d, sh + 16, 4), rd(d, sh + 20, 4))
        sections.append((va, max(vs, rs), rp))
        end = max(end, rp + rs)
        if i < 12:
            L.field(sh + 8, 4, f"pe section {i} VirtualSize")
            L.field(sh + 16, 4, f"pe section {i} SizeOfRawData")
            L.field(sh + 20, 4, f"pe section {i} PointerToRawData")
        if i < 4:
            L.field(sh + 12, 4, f"pe section {i} VirtualAddress")
            L.header(a + rp, 64, f"pe section {i} start")

    def off(rva):
        for va, size, rp in sections:
            if va <= rva < va + size:
                return a + rp + (rva - va)
        return None

    if 0 < a + end < len(d):
        L.header(a + end, 64, "pe overlay start")
    rva, size = dirs.get(1, (0, 0))
    io = off(rva) if rva else None
    if io is not None:
        L.header(io, 40, "pe import descriptors")
        for k in range(2):
            at = io + 20 * k
            L.field(at, 4, f"pe import {k} OriginalFirstThunk")
            L.field(at + 12, 4, f"pe import {k} Name")
            L.field(at + 16, 4, f"pe import {k} FirstThunk")
        thunk = off(rd(d, io, 4) or 0)
        if thunk is not None:
            L.header(thunk, 32, "pe import thunks")
            L.field(thunk, 8 if plus else 4, "pe import first thunk")
    rva, size = dirs.get(0, (0, 0))
    eo = off(rva) if rva else None
    if eo is not None:
        L.header(eo, 40, "pe export directory")
        for k, nm in ((20, "NumberOfFunctions"), (24, "NumberOfNames"), (28, "AddressOfFunctions"),
                      (32, "AddressOfNames"), (36, "AddressOfNameOrdinals"), (16, "Base")):
            L.field(eo + k, 4, f"pe export {nm}")
    rva, size = dirs.get(2, (0, 0))
    ro = off(rva) if rva else None
    if ro is not None:
        at = ro
        for level in range(3):
            L.header(at, 16 + 8 * 4, f"pe resource directory level {level}")
            L.field(at + 12, 2, f"pe resource level {level} named entries")
            L.field(at + 14, 2, f"pe resource level {level} id entries")
            L.field(at + 20, 4, f"pe resource level {level} first OffsetToData")
            v = rd(d, at + 20, 4)
            if v is None:
                break
            nxt = ro + (v & 0x7FFFFFFF)
            if not v & 0x80000000:
                L.header(nxt, 16, "pe resource data entry")
                L.field(nxt, 4, "pe resource data rva")
                L.field(nxt + 4, 4, "pe resource data size")
                break
            at = nxt
    so, ssize = dirs.get(4, (0, 0))
    if so and a + so < len(d):
        L.header(a + so, 64, "pe certificate table")
        L.field(a + so, 4, "pe certificate dwLength")
    rva, size = dirs.get(5, (0, 0))
    rel = off(rva) if rva else None
    if rel is not None:
        L.header(rel, 16, "pe relocations")
        L.field(rel + 4, 4, "pe relocation block size")
    rva, size = dirs.get(6, (0, 0))
    dbg = off(rva) if rva else None
    if dbg is not None:
        L.header(dbg, 28, "pe debug directory")
        L.field(dbg + 16, 4, "pe debug SizeOfData")
        L.field(dbg + 24, 4, "pe debug PointerToRawData")
    rva, size = dirs.get(14, (0, 0))
    clr = off(rva) if rva else None
    if clr is not None:
        L.header(clr, 72, "pe clr header")
        L.field(clr + 8, 4, "pe clr metadata rva")
        L.field(clr + 12, 4, "pe clr metadata size")
        L.field(clr + 24, 4, "pe clr resources rva")
        L.field(clr + 28, 4, "pe clr resources size")
    rva, size = dirs.get(13, (0, 0))
    dl = off(rva) if rva else None
    if dl is not None:
        L.header(dl, 32, "pe delay import descriptor")
        L.field(dl + 4, 4, "pe delay import name rva")
        L.field(dl + 12, 4, "pe delay import INT rva")


def zip_find(L):
    d = L.d
    for at in find_all(d, b"PK\x03\x04", limit=3):
        L.header(at, 30 + (rd(d, at + 26, 2) or 0), "zip local header")
        L.field(at + 18, 4, "zip local compressed size")
        L.field(at + 22, 4, "zip local size")
        L.field(at + 26, 2, "zip local name length")
        L.field(at + 28, 2, "zip local extra length")
    for at in find_all(d, b"PK\x01\x02", limit=3):
        L.header(at, 46 + (rd(d, at + 28, 2) or 0), "zip central header")
        L.field(at + 20, 4, "zip central compressed size")
        L.field(at + 24, 4, "zip central size")
        L.field(at + 28, 2, "zip central name length")
        L.field(at + 30, 2, "zip central extra length")
        L.field(at + 42, 4, "zip central local offset")
    for at in find_all(d, b"PK\x05\x06", limit=0, last=1):
        L.header(at, 22, "zip end record")
        L.field(at + 8, 2, "zip eocd entries on disk")
        L.field(at + 10, 2, "zip eocd entries")
        L.field(at + 12, 4, "zip eocd cd size")
        L.field(at + 16, 4, "zip eocd cd offset")
    for at in find_all(d, b"PK\x06\x06", limit=0, last=1):
        L.header(at, 56, "zip64 end record")
        L.field(at + 32, 8, "zip64 eocd entries")
        L.field(at + 40, 8, "zip64 eocd cd size")
        L.field(at + 48, 8, "zip64 eocd cd offset")
    for at in find_all(d, b"PK\x06\x07", limit=0, last=1):
        L.header(at, 20, "zip64 locator")
        L.field(at + 8, 8, "zip64 locator eocd offset")


def sevenz_find(L):
    d = L.d
    for at in find_all(d, b"7z\xbc\xaf\x27\x1c", limit=2):
        L.header(at, 32, "7z start header")
        L.field(at + 12, 8, "7z next-header offset")
        L.field(at + 20, 8, "7z next-header size")
        nho, nhs = rd(d, at + 12, 8), rd(d, at + 20, 8)
        if nho is not None and nhs is not None:
            L.header(at + 32 + nho, min(nhs, 256), "7z next header")


def cab_find(L):
    d = L.d
    for at in find_all(d, b"MSCF\0\0\0\0", limit=2):
        nfold = rd(d, at + 26, 2) or 0
        L.header(at, 36 + 8 * min(nfold, 8), "cab header and folders")
        L.field(at + 8, 4, "cab cbCabinet")
        L.field(at + 16, 4, "cab coffFiles")
        L.field(at + 26, 2, "cab cFolders")
        L.field(at + 28, 2, "cab cFiles")
        flags = rd(d, at + 30, 2) or 0
        fo = at + 36 + (4 + (rd(d, at + 36, 2) or 0) if flags & 4 else 0)
        L.field(fo, 4, "cab folder coffCabStart")
        L.field(fo + 4, 2, "cab folder cCFData")
        L.field(fo + 6, 2, "cab folder typeCompress")
        cf = rd(d, at + 16, 4)
        if cf is not None:
            L.header(at + cf, 32, "cab first file")
            L.field(at + cf, 4, "cab file cbFile")
            L.field(at + cf + 4, 4, "cab file uoffFolderStart")
            L.field(at + cf + 8, 2, "cab file iFolder")
        first = rd(d, fo, 4)
        if first is not None:
            L.header(at + first, 8, "cab first data block")
            L.field(at + first + 4, 2, "cab cfdata cbData")
            L.field(at + first + 6, 2, "cab cfdata cbUncomp")


def cfb_find(L):
    d = L.d
    for a in find_all(d, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", limit=2):
        L.header(a, 512, "cfb header")
        for k, w, nm in ((0x1E, 2, "sector shift"), (0x20, 2, "mini sector shift"),
                         (0x2C, 4, "fat sectors"), (0x30, 4, "first directory sector"),
                         (0x38, 4, "mini stream cutoff"), (0x3C, 4, "first minifat sector"),
                         (0x40, 4, "minifat sectors"), (0x44, 4, "first difat sector"),
                         (0x48, 4, "difat sectors"), (0x4C, 4, "first difat entry")):
            L.field(a + k, w, f"cfb {nm}")
        shift = rd(d, a + 0x1E, 2)
        first = rd(d, a + 0x30, 4)
        if shift in (9, 12) and first is not None and first < 0xFFFFFFFA:
            dirat = a + ((first + 1) << shift)
            L.header(dirat, 512, "cfb directory")
            for k in range(4):
                e = dirat + 128 * k
                L.field(e + 64, 2, f"cfb dir {k} name length")
                L.field(e + 68, 4, f"cfb dir {k} left sibling")
                L.field(e + 76, 4, f"cfb dir {k} child")
                L.field(e + 116, 4, f"cfb dir {k} start sector")
                L.field(e + 120, 8, f"cfb dir {k} stream size")


def xar_find(L):
    for at in find_all(L.d, b"xar!", limit=1):
        L.header(at, 28, "xar header")
        L.field(at + 4, 2, "xar header size", ">")
        L.field(at + 8, 8, "xar toc compressed length", ">")
        L.field(at + 16, 8, "xar toc length", ">")


def nsis_find(L):
    d = L.d
    for sig in find_all(d, b"\xef\xbe\xad\xdeNullsoftInst", limit=2):
        fh = sig - 4
        L.header(fh, 32, "nsis first header")
        L.field(fh, 4, "nsis flags")
        L.field(fh + 20, 4, "nsis header length")
        L.field(fh + 24, 4, "nsis data length")
        L.field(fh + 28, 4, "nsis first block size")


def inno_find(L):
    d = L.d
    if d[0x30:0x34] == b"Inno":
        L.header(0x30, 12, "inno 0x30 mark")
        L.field(0x34, 4, "inno 0x30 table offset")
    for at in find_all(d, b"rDlPtS", limit=2) + find_all(d, b"nS5W7dT", limit=1):
        L.header(at, 64, "inno loader table")
        for k in range(12, 44, 4):
            L.field(at + k, 4, f"inno loader table +{k}")
    for at in find_all(d, b"Inno Setup Setup Data (", limit=1) + \
            find_all(d, b"Inno Setup Messages (", limit=1):
        L.header(at, 73, "inno setup-0 block")
        L.field(at + 64, 4, "inno block crc")
        L.field(at + 68, 4, "inno block compressed size")
        if d[at + 23:at + 25] in (b"6.", b"7.") and d[at + 23:at + 26] >= b"6.5":
            # 6.5+: CRC32 + 49-byte encryption header, then the first block
            # header (13 bytes from 6.7).
            L.header(at + 64, 4 + 49 + 13, "inno 6.5+ encryption header + block")
            L.field(at + 68 + 17, 4, "inno KDF iterations")
            L.field(at + 117 + 4, 8, "inno 6.5+ block stored size")
    for at in find_all(d, b"zlb\x1a", limit=2) + find_all(d, b"idska32\x1a", limit=1) + \
            find_all(d, b"idskb32\x1a", limit=1):
        L.header(at, 16, "inno chunk")


def installshield_find(L):
    d = L.d
    for at in find_all(d, b"InstallShield\0", limit=1):
        L.header(at, 46 + 312, "installshield launcher header")
        L.field(at + 14, 2, "installshield record count")
        L.field(at + 46 + 260 + 8, 4, "installshield first record size")
    for at in find_all(d, b"ISSetupStream\0", limit=1):
        L.header(at, 46 + 48, "installshield stream header")
        L.field(at + 14, 2, "installshield stream count")
        L.field(at + 46, 4, "installshield first stream name length")
        L.field(at + 56, 4, "installshield first stream size")
    for at in find_all(d, b"ISc(", limit=2):
        L.header(at, 20, "installshield cabinet header")
        L.field(at + 12, 4, "ISc( descriptor offset")
        L.field(at + 16, 4, "ISc( descriptor size")


def rar_find(L):
    for at in find_all(L.d, b"Rar!\x1a\x07", limit=1):
        L.header(at, 48, "rar marker and main header")
        L.field(at + 12, 2, "rar4 main header size")


def ne_find(L):
    # A 16-bit NE: MZ whose e_lfanew points at NE; the header's table offsets
    # and counts, the first resource type block.
    d = L.d
    if d[:2] != b"MZ":
        return
    lf = rd(d, 0x3C, 4)
    if lf is None or d[lf:lf + 2] != b"NE":
        return
    L.field(0x3C, 4, "ne e_lfanew")
    L.header(lf, 64, "ne header")
    L.field(lf + 0x1C, 2, "ne segment count")
    L.field(lf + 0x22, 2, "ne segment table offset")
    L.field(lf + 0x24, 2, "ne resource table offset")
    L.field(lf + 0x26, 2, "ne resident name table offset")
    L.field(lf + 0x2C, 4, "ne non-resident name table offset")
    L.field(lf + 0x32, 2, "ne alignment shift")
    rs = rd(d, lf + 0x24, 2)
    if rs is not None:
        L.header(lf + rs, 2 + 8 + 12, "ne resource table")
        L.field(lf + rs + 4, 2, "ne resource count")
        L.field(lf + rs + 10, 2, "ne first resource offset")
        L.field(lf + rs + 12, 2, "ne first resource length")


def arj_find(L):
    # 60 EA, basic header size; the fixed fields of the main header and the
    # first file header (method, sizes, CRC), then the first file's data.
    for at in find_all(L.d, b"\x60\xea", limit=2):
        L.header(at, 4 + 30, "arj header")
        L.field(at + 2, 2, "arj basic header size")
        L.field(at + 4, 1, "arj first header size")
        L.field(at + 4 + 5, 1, "arj method")
        L.field(at + 4 + 12, 4, "arj compressed size")
        L.field(at + 4 + 16, 4, "arj original size")


def compress_find(L):
    d = L.d
    if d[:8] == b"SZDD\x88\xf0\x27\x33":
        L.header(0, 14, "szdd header")
        L.field(8, 1, "szdd mode")
        L.field(10, 4, "szdd unpacked length")
    if d[:8] == b"KWAJ\x88\xf0\x27\xd1":
        L.header(0, 14, "kwaj header")
        L.field(8, 2, "kwaj method")
        L.field(10, 2, "kwaj data offset")
        L.field(12, 2, "kwaj header flags")
        if d[12] & 1:
            L.field(14, 4, "kwaj unpacked length")


QTIFW_COOKIES = (b"\xf8\x68\xd6\x99\x1c\x0a\x63\xc2", b"\xf9\x68\xd6\x99\x1c\x0a\x63\xc2")


def qtifw_find(L):
    """Qt IFW binary content: the trailer before the cookie that ends the
    data (crates/formats/src/qtifw.rs), and every Qt resource file header."""
    d = L.d
    for at in find_all(d, b"qres", limit=4):
        L.header(at, 24, "qt rcc header")
        for off, what in ((4, "version"), (8, "tree offset"), (12, "data offset"), (16, "names offset")):
            L.field(at + off, 4, "qt rcc " + what, ">")
    end = len(d)
    if end < 64 or d[end - 8:end] not in QTIFW_COOKIES:
        return
    L.header(end - 64, 64, "qt ifw trailer")
    L.field(end - 16, 8, "qt ifw marker")
    L.field(end - 24, 8, "qt ifw content size")
    L.field(end - 32, 8, "qt ifw meta resource count")
    count = rd(d, end - 32, 8) or 0
    size = rd(d, end - 24, 8) or 0
    if count > 64 or size > end:
        return
    base = end - size
    ranges = end - 32 - 16 * (count + 2)
    for i in range(count + 2):
        L.field(ranges + 16 * i, 8, "qt ifw range start")
        L.field(ranges + 16 * i + 8, 8, "qt ifw range length")
    idx = rd(d, ranges, 8)
    if idx is not None and base + idx + 8 <= end:
        L.field(base + idx, 8, "qt ifw collection count")


def chm_find(L):
    d = L.d
    if d[:4] != b"ITSF" or len(d) < 0x60:
        return
    L.header(0, 0x60, "chm itsf header")
    L.field(4, 4, "chm version")
    L.field(0x38, 8, "chm header section 0 offset")
    L.field(0x48, 8, "chm directory (itsp) offset")
    L.field(0x58, 8, "chm content section 0 offset")
    hs1 = struct.unpack_from("<Q", d, 0x48)[0]
    if hs1 + 0x54 <= len(d) and d[hs1:hs1 + 4] == b"ITSP":
        L.header(hs1, 0x54, "chm itsp header")
        for off, what in ((0x10, "chunk size"), (0x20, "first pmgl"), (0x24, "last pmgl"), (0x2C, "chunk count")):
            L.field(hs1 + off, 4, "chm " + what)
    for at in find_all(d, b"PMGL", limit=4):
        L.header(at, 0x14, "chm pmgl chunk header")
    for at in find_all(d, b"LZXC", limit=1):
        L.header(at - 4, 28, "chm lzx control data")
        L.field(at + 8, 4, "chm lzx reset interval")
        L.field(at + 12, 4, "chm lzx window size")


def iso_find(L):
    d = L.d
    for k in range(16, 24):
        at = k * 2048
        if d[at + 1:at + 6] != b"CD001":
            break
        L.header(at, 190, "iso volume descriptor")
        L.field(at, 1, "iso descriptor type")
        if d[at] in (1, 2):
            L.field(at + 128, 2, "iso logical block size")
            L.field(at + 156 + 2, 4, "iso root extent")
            L.field(at + 156 + 10, 4, "iso root size")
        if d[at] == 0:
            L.field(at + 0x47, 4, "el torito catalog block")
        root = int.from_bytes(d[at + 158:at + 162], "little") * 2048
        if d[at] == 1 and root + 34 <= len(d):
            L.header(root, 256, "iso root directory records")
            L.field(root + 68 + 2, 4, "iso first record extent")
            L.field(root + 68 + 10, 4, "iso first record size")
            L.field(root + 68 + 25, 1, "iso first record flags")


def udf_find(L):
    """UDF: the volume recognition descriptors, the anchor at block 256, the
    main volume descriptor sequence (partition and logical volume
    descriptors, partition maps) and the File Set Descriptor."""
    d = L.d
    u16 = lambda a: int.from_bytes(d[a:a + 2], "little")
    u32 = lambda a: int.from_bytes(d[a:a + 4], "little")
    if not any(d[16 * 2048 + k * 2048 + 1:16 * 2048 + k * 2048 + 6] in (b"NSR02", b"NSR03")
               for k in range(32)):
        return
    for bs in (2048, 512, 1024, 4096):
        a = 256 * bs
        if a + 32 <= len(d) and u16(a) == 2 and u32(a + 12) == 256:
            break
    else:
        return
    L.header(a, 32, "udf anchor")
    L.field(a + 16, 4, "udf main vds length")
    L.field(a + 20, 4, "udf main vds block")
    L.field(a + 4, 1, "udf anchor tag checksum")
    vds = u32(a + 20)
    for k in range(min(u32(a + 16) // bs, 32)):
        at = (vds + k) * bs
        if at + 512 > len(d):
            break
        tag = u16(at)
        if tag == 5:
            L.header(at, 200, "udf partition descriptor")
            L.field(at + 188, 4, "udf partition start")
            L.field(at + 192, 4, "udf partition length")
        elif tag == 6:
            L.header(at, 512, "udf logical volume descriptor")
            L.field(at + 212, 4, "udf logical block size")
            L.field(at + 252, 4, "udf file set block")
            L.field(at + 264, 4, "udf partition map table length")
            L.field(at + 268, 4, "udf partition map count")
            L.field(at + 440, 1, "udf first partition map type")
            L.field(at + 441, 1, "udf first partition map length")
        elif tag == 8:
            break


def streams_find(L):
    """gzip, bzip2, xz, pbzx, .lzma, tar and cpio headers (at the start: they
    are opened there, or as entries of other containers)."""
    d = L.d
    if d[:2] == b"\x1f\x8b":
        L.header(0, 10, "gzip member header")
        L.field(3, 1, "gzip flags")
        if len(d) >= 18:
            L.header(len(d) - 8, 8, "gzip trailer")
            L.field(len(d) - 8, 4, "gzip crc32")
            L.field(len(d) - 4, 4, "gzip isize")
    if d[:3] == b"BZh":
        L.header(0, 14, "bzip2 stream and block header")
        L.field(10, 4, "bzip2 block crc", ">")
    if d[:6] == b"\xfd7zXZ\x00":
        L.header(0, 12, "xz stream header")
        L.field(6, 2, "xz stream flags")
        if len(d) >= 24:
            L.header(len(d) - 12, 12, "xz stream footer")
            L.field(len(d) - 8, 4, "xz backward size")
    if d[:4] == b"pbzx":
        L.header(0, 28, "pbzx header and first chunk")
        L.field(12, 8, "pbzx chunk size", ">")
        L.field(20, 8, "pbzx chunk stored length", ">")
    if len(d) > 13 and d[0] < 225 and (d[5:13] == b"\xff" * 8 or d[0] == 0x5D):
        L.header(0, 13, "lzma-alone header")
        L.field(1, 4, "lzma dictionary size")
        L.field(5, 8, "lzma unpacked size")
    for at in [a - 257 for a in find_all(d, b"ustar", limit=3) if a >= 257]:
        L.header(at, 512, "tar header")
        L.field(at + 124, 12, "tar size (octal)")
        L.field(at + 148, 8, "tar checksum (octal)")
    for magic in (b"070707", b"070701", b"070702"):
        for at in find_all(d, magic, limit=2):
            L.header(at, 110 if magic != b"070707" else 76, "cpio header")


def dmg_find(L):
    d = L.d
    at = len(d) - 512
    if at >= 0 and d[at:at + 4] == b"koly":
        L.header(at, 512, "dmg koly trailer")
        for k, nm in ((0x18, "data fork offset"), (0x20, "data fork length"),
                      (0x28, "rsrc fork offset"), (0x30, "rsrc fork length"),
                      (0xD8, "xml offset"), (0xE0, "xml length")):
            L.field(at + k, 8, f"dmg {nm}", ">")


def hfs_find(L):
    d = L.d
    if d[1024:1026] in (b"H+", b"HX"):
        L.header(1024, 512, "hfs+ volume header")
        for k, nm in ((40, "block size"), (44, "total blocks")):
            L.field(1024 + k, 4, f"hfs {nm}", ">")
        for base, nm in ((192, "extents"), (272, "catalog"), (352, "attributes")):
            L.field(1024 + base, 8, f"hfs {nm} logical size", ">")
            L.field(1024 + base + 16, 4, f"hfs {nm} first extent start", ">")


def fletcher64(b):
    """APFS's Fletcher-64 over an object's bytes after its checksum."""
    words = struct.unpack_from("<%dI" % ((len(b) - 8) // 4), b, 8)
    s1 = s2 = 0
    for w in words:
        s1 = (s1 + w) % 0xFFFFFFFF
        s2 = (s2 + s1) % 0xFFFFFFFF
    c1 = 0xFFFFFFFF - (s1 + s2) % 0xFFFFFFFF
    c2 = 0xFFFFFFFF - (s1 + c1) % 0xFFFFFFFF
    return c2 << 32 | c1


def apfs_find(L):
    d = L.d
    if d[32:36] != b"NXSB":
        return
    bs = rd(d, 36, 4) or 4096
    if bs not in (4096, 8192, 16384, 32768, 65536):
        return
    names = {1: "superblock", 2: "b-tree root", 3: "b-tree node", 0xB: "object map", 0xD: "volume"}
    for at in range(0, len(d) - bs + 1, bs):
        b = d[at:at + bs]
        kind = (rd(b, 24, 4) or 0) & 0xFFFF
        if kind not in names or rd(b, 0, 8) != fletcher64(b):
            continue
        what = "apfs " + names[kind]
        L.sealed.append((at, bs))
        L.header(at, 64, what)
        if kind == 1:
            for k, w, nm in ((36, 4, "block size"), (40, 8, "block count"), (104, 4, "checkpoint blocks"),
                             (112, 8, "checkpoint base"), (160, 8, "object map"),
                             (180, 4, "max volumes"), (184, 8, "first volume")):
                L.field(at + k, w, f"{what} {nm}")
        elif kind in (2, 3):
            for k, w, nm in ((34, 2, "level"), (36, 4, "keys"), (40, 2, "toc offset"),
                             (42, 2, "toc length"), (56, 2, "first key offset"),
                             (60, 2, "first value offset")):
                L.field(at + k, w, f"{what} {nm}")
            if kind == 2:
                L.field(at + bs - 36, 4, f"{what} node size")
        elif kind == 0xB:
            L.field(at + 48, 8, f"{what} tree")
        elif kind == 0xD:
            for k, nm in ((128, "object map"), (136, "root tree"), (264, "flags")):
                L.field(at + k, 8, f"{what} {nm}")


def reseal(m, sealed):
    """Write the Fletcher-64 of each APFS object block of `m` again."""
    for at, bs in sealed:
        if at + bs <= len(m):
            struct.pack_into("<Q", m, at, fletcher64(bytes(m[at:at + bs])))


# ---------------------------------------------------------------- mutants

def pick(rng, items, n):
    """A seeded choice of at most n items, in their original order."""
    if len(items) <= n:
        return items
    keep = sorted(rng.sample(range(len(items)), n))
    return [items[i] for i in keep]


def mutants(data, rel, per_kind, kinds):
    """Yield (kind, description, bytes) for one sample."""
    rng = random.Random("installsift-hostile:" + rel)
    n = len(data)
    L = Layout(data)
    heads = L.headers
    if "trunc" in kinds and n > 1:
        cuts = {}
        starts = sorted({a for a, _, _ in heads})
        for a, ln, what in heads:
            nxt = next((s for s in starts if s > a + ln), n)
            cuts.setdefault(a, f"at {what}")
            cuts.setdefault(a + ln // 2, f"inside {what}")
            cuts.setdefault(a + ln, f"after {what}")
            if nxt > a + ln + 1:
                cuts.setdefault(rng.randrange(a + ln + 1, nxt), f"between {what} and the next")
        cuts = [(c, w) for c, w in sorted(cuts.items()) if 0 < c < n]
        fixed = [(c, f"{q:.0%} of the file") for q in (0.5, 0.9) if 0 < (c := int(n * q)) < n]
        fixed.append((n - 1, "last byte"))
        chosen = pick(rng, cuts, max(0, per_kind - len(fixed)))
        done = set()
        for c, what in chosen + fixed:
            if c not in done:
                done.add(c)
                yield "trunc", f"cut at {c} ({what})", data[:c]
    if "flip" in kinds and n:
        regions = heads or [(0, min(n, 512), "file start")]
        order = pick(rng, regions, per_kind)
        for i in range(per_kind):
            a, ln, what = order[i % len(order)]
            at = a + rng.randrange(max(1, min(ln, n - a)))
            bit = rng.randrange(8)
            m = bytearray(data)
            m[at] ^= 1 << bit
            if L.sealed and i % 2:
                reseal(m, L.sealed)
                what += ", checksums written again"
            yield "flip", f"bit {bit} of byte {at} ({what})", bytes(m)
    if "field" in kinds:
        cands = []
        for at, w, e, what in L.fields:
            old = rd(data, at, w, e)
            top = (1 << (8 * w)) - 1
            if w not in (1, 2, 4, 8):
                # A text field (tar's octal sizes and checksums): all
                # zeros, all sevens, the file size in octal, all 0xFF.
                for raw in (b"0" * (w - 1) + b"\0", b"7" * (w - 1) + b"\0",
                            oct(n)[2:].encode().rjust(w - 1, b"0")[-(w - 1):] + b"\0",
                            b"\xff" * w):
                    if raw != data[at:at + w]:
                        cands.append((at, w, e, what, old, raw))
                continue
            if w == 1:
                vals = [0, 0xFF, 0x7F, n & 0xFF]
            elif w == 2:
                vals = [0, 0xFFFF, 0x7FFF, min(n, 0xFFFF)]
            else:
                vals = [0, 0xFFFFFFFF, 0x7FFFFFFF, min(n, top)] + ([top] if w == 8 else [])
            for v in dict.fromkeys(vals):
                if v != old:
                    cands.append((at, w, e, what, old, v))
        for at, w, e, what, old, v in pick(rng, cands, 3 * per_kind):
            m = bytearray(data)
            if isinstance(v, bytes):
                m[at:at + w] = v
                yield "field", f"{what} at {at}: -> {v!r}", bytes(m)
                continue
            struct.pack_into(e + {1: "B", 2: "H", 4: "I", 8: "Q"}[w], m, at, v)
            reseal(m, L.sealed)
            yield "field", f"{what} at {at}: {old:#x} -> {v:#x}", bytes(m)
    if "dup" in kinds and n:
        b = min(BLOCK, n)
        want = max(1, per_kind // 4)
        # The file's start (headers move 64 KiB away from what they point
        # at), blocks at known headers (4 KiB aligned), then seeded places.
        places = [0] + [a & ~0xFFF for a, _, _ in pick(rng, heads, want)]
        places += [rng.randrange(max(1, n - b + 1)) for _ in range(want)]
        places = [p for p in dict.fromkeys(places) if p + b <= n][:want]
        for i, a in enumerate(places):
            block = data[a:a + b]
            if i % 2 == 1 and a + 2 * b <= n:
                yield "dup", f"{b} bytes at {a} copied over the next {b}", data[:a + b] + block + data[a + 2 * b:]
            else:
                yield "dup", f"{b} bytes at {a} repeated after themselves", data[:a + b] + block + data[a + b:]
    if "zeros" in kinds:
        yield "zeros", f"{ZEROS} zero bytes appended", data + bytes(ZEROS)


# ---------------------------------------------------------------- running

def run(binary, path, a):
    """Run one scan; returns (status, cpu s, peak rss MiB, wall s, stdout, stderr, hung).

    The scan runs under GNU time (`/usr/bin/time`, Debian package `time`),
    which reports its child's CPU time and peak RSS: the rusage wait4 gives
    for a child of this script would count this Python process's own RSS
    (the kernel keeps a process's peak across exec, and the child starts as
    a copy of this one)."""
    out_path = path + ".out"
    err_path = path + ".err"
    time_path = path + ".time"
    cpu_kill = a.cpu_kill
    as_bytes = a.as_limit << 20

    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # child: its own process group, so a hang is killed whole
            try:
                os.setpgid(0, 0)
                resource.setrlimit(resource.RLIMIT_CPU, (cpu_kill, cpu_kill + 2))
                resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.execv(TIME, [TIME, "-f", "%e %U %S %M %x", "-o", time_path,
                                binary, "scan", "-f", "jsonl", "--progress", "never",
                                "-j", JOBS, path])
            finally:
                os._exit(127)
        hung = False
        delay = 0.001
        while True:
            wpid, status = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                break
            if time.monotonic() - start > a.timeout:
                hung = True
                os.killpg(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                break
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
        wall = time.monotonic() - start
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, "rb") as f:
        stderr = f.read()
    report = ""
    if os.path.exists(time_path):
        with open(time_path) as f:
            report = f.read()
        os.unlink(time_path)
    os.unlink(out_path)
    os.unlink(err_path)
    cpu, rss = 0.0, 0.0
    fields = report.strip().splitlines()[-1].split() if report.strip() else []
    if len(fields) == 5:
        cpu = float(fields[1]) + float(fields[2])
        rss = int(fields[3]) / 1024.0  # KiB
        code = int(fields[4])
        m = re.search(r"terminated by signal (\d+)", report)
        # The scan's own status (time's mirrors it: 128 + signal).
        status = (int(m.group(1)) & 0x7F) if m else (code & 0xFF) << 8
    elif not hung:
        stderr += f"\n[hostile_sweep: no report from {TIME}: {report!r}]".encode()
    return status, cpu, rss, wall, stdout, stderr, hung


def check_output(stdout, path):
    """None, or what breaks the JSONL contract."""
    seen = set()
    panics = []
    # Split on \n only: str.splitlines() also splits on U+0085, U+2028 and
    # U+2029, which JSON strings may hold unescaped.
    lines = [x for x in stdout.split(b"\n") if x]
    if not lines:
        return "no output", panics
    for i, line in enumerate(lines, 1):
        try:
            line = line.decode("utf-8")
            n = json.loads(line)
        except ValueError as e:
            return f"line {i} is not JSON: {e}", panics
        if not isinstance(n, dict):
            return f"line {i} is not an object", panics
        p = n.get("path")
        if not (isinstance(p, list) and p and all(isinstance(s, str) for s in p)):
            return f"line {i}: path {p!r}", panics
        checks = [
            (isinstance(n.get("depth"), int) and n["depth"] == len(p) - 1, "depth"),
            (isinstance(n.get("size"), int) and n["size"] >= 0, "size"),
            (n.get("sha256") is None or (isinstance(n["sha256"], str) and HEX64.match(n["sha256"])), "sha256"),
            ("sha256" in n, "sha256 present"),
            (isinstance(n.get("format"), str) and n["format"], "format"),
            (n.get("verdict") in VERDICTS, "verdict"),
            ("family" in n and (n["family"] is None or isinstance(n["family"], str)), "family"),
            (isinstance(n.get("evidence"), list) and all(
                isinstance(e, dict) and isinstance(e.get("signal"), str) and
                e.get("strength") in ("strong", "weak") for e in n["evidence"]), "evidence"),
            (isinstance(n.get("errors"), list) and all(isinstance(e, str) for e in n["errors"]), "errors"),
            (isinstance(n.get("verified_by", []), list), "verified_by"),
            (i == 1 or isinstance(n.get("entry"), dict), "entry"),
        ]
        for ok, what in checks:
            if not ok:
                return f"line {i}: bad {what}: {line[:200]}", panics
        for e in n["errors"]:
            kind = e.split(":", 1)[0]
            if kind not in ERROR_KINDS:
                return f"line {i}: error kind {kind!r} not documented: {e[:200]}", panics
            if kind == "panic":
                panics.append(e)
        if i == 1 and p != [path]:
            return f"first node is {p!r}, not the input", panics
        if i > 1 and tuple(p[:-1]) not in seen:
            return f"line {i}: child before its parent: {p!r}", panics
        seen.add(tuple(p))
    return None, panics


def classify(res, path, a):
    """(class, detail) findings of one run."""
    status, cpu, rss, wall, stdout, stderr, hung = res
    found = []
    err = stderr.decode("utf-8", "replace")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if hung:
        found.append(("hang", f"killed after {wall:.1f} s wall ({cpu:.2f} s CPU)"))
    elif sig is not None:
        found.append(("signal", f"{signal.Signals(sig).name} after {cpu:.2f} s CPU, {rss:.0f} MiB"))
    problem, panics = check_output(stdout, path)
    if code == 101 or "panicked" in err or panics:
        found.append(("panic", (panics[0] if panics else err.strip().splitlines() or ["exit 101"])[-1][:300]))
    if cpu > a.cpu:
        found.append(("cpu", f"{cpu:.2f} s CPU"))
    if rss > a.rss:
        found.append(("rss", f"{rss:.0f} MiB peak RSS"))
    if code is not None and code != 0 and code != 101:
        found.append(("exit", f"exit {code}: {err.strip()[:200]}"))
    if not hung and sig is None and problem:
        found.append(("output", problem))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/installsift"))
    ap.add_argument("--only", default="")
    ap.add_argument("--per-kind", type=int, default=12)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--cpu", type=float, default=2.0, help="CPU seconds bound")
    ap.add_argument("--rss", type=float, default=128.0, help="peak RSS bound, MiB")
    ap.add_argument("--timeout", type=float, default=30.0, help="wall seconds before a hang")
    ap.add_argument("--cpu-kill", type=int, default=20, help="RLIMIT_CPU seconds (safety net)")
    ap.add_argument("--as-limit", type=int, default=8192, help="RLIMIT_AS MiB (safety net)")
    ap.add_argument("--jobs", default="1",
                    help="the scan's -j: 1 (one thread), or 2 to reach what a spare core adds "
                         "(the input hashed beside its scan, cabinet folders decoded ahead)")
    ap.add_argument("--save", default="")
    ap.add_argument("--out", default=os.path.join(ROOT, "scripts/results/hostile_sweep.txt"))
    a = ap.parse_args()
    global JOBS
    JOBS = a.jobs
    binary = os.path.abspath(a.bin)
    if not os.path.exists(binary):
        sys.exit(f"{binary} missing: cargo build --release")
    if not os.path.exists(TIME):
        sys.exit(f"{TIME} missing: apt-get install time")
    kinds = [k for k in a.kinds.split(",") if k]
    todo = samples(a.only)
    counts = collections.Counter()
    findings = []
    worst_cpu = []
    worst_rss = []
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix="hostile.")
    try:
        for i, rel in enumerate(todo):
            data = open(os.path.join(ROOT, "corpus", rel), "rb").read()
            ext = os.path.splitext(rel)[1]
            before = len(findings)
            for j, (kind, desc, m) in enumerate(mutants(data, rel, a.per_kind, kinds)):
                p = os.path.join(work, f"m{j:04d}{ext}")
                with open(p, "wb") as f:
                    f.write(m)
                res = run(binary, p, a)
                counts[("mutants", kind)] += 1
                worst_cpu.append((res[1], rel, kind, desc))
                worst_rss.append((res[2], rel, kind, desc))
                for cls, detail in classify(res, p, a):
                    counts[(cls, kind)] += 1
                    findings.append((cls, rel, kind, desc, detail))
                    if a.save:
                        os.makedirs(a.save, exist_ok=True)
                        keep = os.path.join(a.save, f"{cls}-{rel.replace('/', '_')}-{kind}-{j}{ext}")
                        with open(keep, "wb") as f:
                            f.write(m)
                os.unlink(p)
            worst_cpu = sorted(worst_cpu, reverse=True)[:10]
            worst_rss = sorted(worst_rss, reverse=True)[:10]
            print(f"[{i + 1}/{len(todo)}] {rel}: {len(findings) - before} findings "
                  f"({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
    finally:
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)

    total = sum(v for (c, k), v in counts.items() if c == "mutants")
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty", "--abbrev=7"],
                            capture_output=True, text=True).stdout.strip()
    lines = ["# Hostile sweep (scripts/hostile_sweep.py, seeds from sample paths)", ""]
    lines.append(f"binary: release build of {commit}; per-kind {a.per_kind}; bounds: CPU {a.cpu} s, "
                 f"peak RSS {a.rss:.0f} MiB, wall {a.timeout:.0f} s; one process at a time")
    lines.append(f"samples: {len(todo)}; mutants: {total}; "
                 f"run time {time.monotonic() - t0:.0f} s")
    lines.append("")
    lines.append("| class | " + " | ".join(kinds) + " | total |")
    lines.append("|---|" + "---|" * (len(kinds) + 1))
    for c in ["mutants"] + CLASSES:
        row = [counts[(c, k)] for k in kinds]
        lines.append(f"| {c} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    lines.append("")
    lines.append("Highest CPU (s):")
    for v, rel, kind, desc in worst_cpu:
        lines.append(f"  {v:6.2f}  {rel} | {kind}: {desc}")
    lines.append("Highest peak RSS (MiB):")
    for v, rel, kind, desc in worst_rss:
        lines.append(f"  {v:6.1f}  {rel} | {kind}: {desc}")
    lines.append("")
    lines.append(f"Findings ({len(findings)}; class | sample | mutation | detail):")
    for cls, rel, kind, desc, detail in findings:
        lines.append(f"  {cls} | {rel} | {kind}: {desc} | {detail}")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[:14 + len(CLASSES)]))
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
