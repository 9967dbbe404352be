#!/usr/bin/env python3
"""Cross-check installsift's imphash against python pefile's get_imphash().

Reference: pefile 2023.2.7, whose ordinal tables are the ones pefile HEAD
freezes for imphash (`ordlookup.imphash_ords`; see
scripts/gen_imphash_ordinals.py). pefile 2024.8.26 (latest on PyPI) differs
only for ordinal imports from ws2_32/wsock32/oleaut32.

Inputs:
1. every PE in corpus/, top-level or nested at any depth: `installsift
   extract --hashes imphash` writes each node's bytes and reports its
   imphash; pefile reads the same bytes. One line per distinct content.
2. when mingw-w64 is installed, a throwaway PE built here that imports by
   ordinal from ws2_32, wsock32, oleaut32 and an unknown DLL, and from a
   `.drv` DLL (extension kept).
3. with SAMPLES=DIR, every file under DIR too (figures only: samples that may
   not be committed are not named in the results).

    python3 -m venv /tmp/pefile2023 && /tmp/pefile2023/bin/pip install pefile==2023.2.7
    cargo build
    /tmp/pefile2023/bin/python scripts/check_imphash.py > scripts/results/imphash.txt

Exits 1 on any unexplained mismatch. A file pefile rejects (PEFormatError)
is counted apart: pefile gives no imphash to compare with.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import pefile

BIN = os.environ.get("INSTALLSIFT", "target/debug/installsift")

# Differences understood and kept, by SHA-256 of the PE.
EXPLAINED = {
    # traps/pe_65535_sections.exe: hello_x64.exe with NumberOfSections
    # 65535; the file holds 361 entries. pefile reads what is there and finds
    # hello_x64's imports; installsift refuses the section table (a
    # `truncated` error on the root, no PE metadata, so no imphash): an
    # image whose section table runs past the end of the file cannot be
    # mapped, and reading one of 65535 declared sections as the import
    # table's home would be a guess.
    "f88e52780b415ef453aee292262a8019271bfcb3e9767bfac2c12e05e855eecb":
        "section table declares 65535 sections, the file holds 361: installsift keeps no layout",
}


class Timeout(Exception):
    pass


def _alarm(*_):
    raise Timeout()


def pefile_imphash(path):
    """(imphash, None) or (None, why pefile gave none)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    try:
        return pefile.PE(path).get_imphash(), None
    except pefile.PEFormatError as e:
        return None, f"pefile rejects: {e}"
    except Timeout:
        return None, "pefile timed out (60 s)"
    except Exception as e:  # pefile bugs on hostile input
        return None, f"pefile raised {type(e).__name__}: {e}"
    finally:
        signal.alarm(0)


def extract(inputs, out):
    """installsift's PE nodes of `inputs`: (label, path of the bytes, imphash, sha256)."""
    r = subprocess.run(
        [BIN, "extract", "--hashes", "imphash", "-o", out, *inputs],
        capture_output=True, text=True,
    )
    nodes = []
    for line in r.stdout.splitlines():
        n = json.loads(line)
        if n.get("format") != "pe" or not n.get("sha256"):
            continue
        if n["depth"] == 0:
            where = n["path"][0]
        elif n.get("extracted_to"):
            where = os.path.join(out, n["extracted_to"])
        else:
            continue
        meta = n.get("metadata") or {}
        nodes.append((" > ".join(n["path"]), where, meta.get("imphash", ""), n["sha256"]))
    return nodes


ORDINAL_C = r"""

int __stdcall WSAStartup(int, void *);
int __stdcall socket(int, int, int);
int __stdcall recv(int, char *, int, int);
void *__stdcall SysAllocString(const void *);
int __stdcall unknown_by_ordinal(void);
int __stdcall DrvThing(void);
int main(void) {
    WSAStartup(0, 0);
    socket(0, 0, 0);
    recv(0, 0, 0, 0);
    SysAllocString(0);
    unknown_by_ordinal();
    DrvThing();
    return 0;
}
"""
DEFS = {
    "ws2_32": "LIBRARY ws2_32.dll\nEXPORTS\nWSAStartup@8 @115 NONAME\nsocket@12 @23 NONAME\n",
    "wsock32": "LIBRARY WSOCK32.DLL\nEXPORTS\nrecv@16 @16 NONAME\n",
    "oleaut32": "LIBRARY OleAut32.dll\nEXPORTS\nSysAllocString@4 @2 NONAME\n",
    "unknown": "LIBRARY unknown.ocx\nEXPORTS\nunknown_by_ordinal@0 @7 NONAME\n",
    "drv": "LIBRARY Sample.DRV\nEXPORTS\nDrvThing@0\n",
}


def build_ordinal_pe(tmp):
    gcc = shutil.which("i686-w64-mingw32-gcc")
    dlltool = shutil.which("i686-w64-mingw32-dlltool")
    if not gcc or not dlltool:
        return None
    libs = []
    for name, text in DEFS.items():
        d = os.path.join(tmp, name + ".def")
        with open(d, "w") as f:
            f.write(text)
        lib = os.path.join(tmp, "lib" + name + ".a")
        subprocess.run([dlltool, "-k", "-d", d, "-l", lib], check=True)
        libs.append(lib)
    c = os.path.join(tmp, "ord.c")
    with open(c, "w") as f:
        f.write(ORDINAL_C)
    exe = os.path.join(tmp, "ordinals_x86.exe")
    subprocess.run([gcc, "-O0", "-s", c, "-o", exe] + libs, check=True)
    return exe


def craft_variants(tmp):
    """Hand-made odd import tables (malformed on purpose), from
    corpus/pe/hello_x86.exe: the fields are found with pefile and patched.
    The same variants are unit tests in crates/formats/src/pe/imphash.rs."""
    src = "corpus/pe/hello_x86.exe"
    pe = pefile.PE(src)
    data = bytearray(open(src, "rb").read())
    dir_off = pe.OPTIONAL_HEADER.DATA_DIRECTORY[1].get_file_offset()
    desc_off = pe.DIRECTORY_ENTRY_IMPORT[0].struct.get_file_offset()
    bss = next(s.VirtualAddress for s in pe.sections if s.SizeOfRawData == 0)
    out = []
    for name, at, value in [
        ("dir_size0", dir_off + 4, 0),            # import directory Size 0
        ("oft_in_bss", desc_off, bss),            # lookup table with no file data
        ("oft_unmapped", desc_off, 0x7FFF0000),   # lookup table past everything
    ]:
        d = bytearray(data)
        d[at:at + 4] = value.to_bytes(4, "little")
        p = os.path.join(tmp, f"hello_x86_{name}.exe")
        with open(p, "wb") as f:
            f.write(d)
        out.append(p)
    return out


def corpus_files(root):
    out = []
    for p in sorted(glob.glob(os.path.join(root, "**", "*"), recursive=True)):
        rel = os.path.relpath(p, root)
        if os.path.isfile(p) and rel.split(os.sep)[0] not in ("src", "reference") \
                and os.sep in rel:
            out.append(p)
    return out


def compare(nodes, show, tally):
    """Compare each distinct content once; print lines when `show`."""
    fail = 0
    for label, where, ours, sha in nodes:
        if sha in tally["seen"]:
            continue
        tally["seen"].add(sha)
        want, why = pefile_imphash(where)
        if want is None:
            tally["rejected"] += 1
            if show:
                print(f"SKIP {label}: {why}; installsift={ours or '(none)'}")
            continue
        tally["compared"] += 1
        if want == ours:
            tally["match"] += 1
            if show:
                print(f"OK   {label} {ours or '(no imports)'}")
        elif sha in EXPLAINED:
            tally["explained"] = tally.get("explained", 0) + 1
            print(f"KNOWN {label if show else sha} pefile={want or '(empty)'} "
                  f"installsift={ours or '(empty)'}: {EXPLAINED[sha]}")
        else:
            fail = 1
            tally["differ"] += 1
            print(f"FAIL {label if show else sha} pefile={want or '(empty)'} installsift={ours or '(empty)'}")
    return fail


def main():
    print(f"reference: pefile {pefile.__version__}")
    tmp = tempfile.mkdtemp()
    fail = 0
    try:
        tally = {"seen": set(), "compared": 0, "match": 0, "differ": 0, "rejected": 0}
        files = corpus_files("corpus")
        # In batches: the command line stays short, the extraction small.
        for i in range(0, len(files), 40):
            out = os.path.join(tmp, f"x{i}")
            fail |= compare(extract(files[i:i + 40], out), True, tally)
            shutil.rmtree(out, ignore_errors=True)
        print(f"corpus: {len(files)} files scanned; {tally['compared']} distinct PE contents compared "
              f"(top-level and nested), {tally['match']} match, {tally.get('explained', 0)} differ as "
              f"explained (KNOWN), {tally['differ']} differ unexplained; "
              f"{tally['rejected']} that pefile rejects (no imphash to compare)")

        extra = build_ordinal_pe(tmp)
        if extra:
            pe = pefile.PE(extra)
            for e in pe.DIRECTORY_ENTRY_IMPORT:
                print("  built", os.path.basename(extra), "imports", e.dll.decode(),
                      [(i.ordinal if i.import_by_ordinal else None, i.name) for i in e.imports])
            out = os.path.join(tmp, "built")
            fail |= compare(
                [(os.path.basename(extra), w, h, s) for _, w, h, s in extract([extra], out)],
                True, tally)

        crafted = craft_variants(tmp)
        out = os.path.join(tmp, "crafted")
        fail |= compare(
            [(os.path.basename(w), w, h, s) for _, w, h, s in extract(crafted, out)],
            True, {"seen": set(), "compared": 0, "match": 0, "differ": 0, "rejected": 0})

        samples = os.environ.get("SAMPLES")
        if samples:
            st = {"seen": set(), "compared": 0, "match": 0, "differ": 0, "rejected": 0}
            files = sorted(p for p in glob.glob(os.path.join(samples, "**", "*"), recursive=True)
                           if os.path.isfile(p))
            for i in range(0, len(files), 20):
                out = os.path.join(tmp, f"s{i}")
                fail |= compare(extract(files[i:i + 20], out), False, st)
                shutil.rmtree(out, ignore_errors=True)
            print(f"samples ({len(files)} files, not committed): {st['compared']} distinct PE "
                  f"contents compared, {st['match']} match, {st['differ']} differ; "
                  f"{st['rejected']} that pefile rejects")
        return 1 if fail else 0
    finally:
        shutil.rmtree(tmp)


sys.exit(main())
