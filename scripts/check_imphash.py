#!/usr/bin/env python3
"""Cross-check installsift's imphash against python pefile's get_imphash().

Reference: pefile 2023.2.7, whose ordinal tables are the ones pefile HEAD
freezes for imphash (`ordlookup.imphash_ords`; see
scripts/gen_imphash_ordinals.py). pefile 2024.8.26 (latest on PyPI) is shown
too when importable: it differs only for ordinal imports from
ws2_32/wsock32/oleaut32.

Inputs: every PE under corpus/ (top level), plus, when mingw-w64 is
installed, a throwaway PE built here that imports by ordinal from ws2_32,
wsock32, oleaut32 and an unknown DLL, and from a `.drv` DLL (extension kept).

    python3 -m venv /tmp/pefile2023 && /tmp/pefile2023/bin/pip install pefile==2023.2.7
    cargo build
    /tmp/pefile2023/bin/python scripts/check_imphash.py

Exits 1 on any mismatch.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pefile

BIN = os.environ.get("INSTALLSIFT", "target/debug/installsift")


def ours(path):
    out = subprocess.run(
        [BIN, "scan", "-f", "jsonl", "--hashes", "imphash", path],
        check=True, capture_output=True, text=True,
    ).stdout
    meta = json.loads(out.splitlines()[0]).get("metadata") or {}
    return meta.get("imphash", "")


def pefile_2024(path):
    """get_imphash() of the system pefile, when it is a different version."""
    py = shutil.which("python3")
    code = "import pefile,sys; print(pefile.__version__, pefile.PE(sys.argv[1]).get_imphash())"
    try:
        r = subprocess.run(
            ["/usr/bin/env", "-u", "VIRTUAL_ENV", py, "-c", code, path],
            capture_output=True, text=True, env={"PATH": "/root/.pyenv/shims:/usr/bin:/bin"},
        )
        return r.stdout.strip() if r.returncode == 0 else "n/a"
    except OSError:
        return "n/a"


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


def main():
    print(f"reference: pefile {pefile.__version__}")
    paths = sorted(glob.glob("corpus/pe/*.exe") + glob.glob("corpus/pe/*.dll"))
    tmp = tempfile.mkdtemp()
    try:
        extra = build_ordinal_pe(tmp)
        if extra:
            paths.append(extra)
            pe = pefile.PE(extra)
            for e in pe.DIRECTORY_ENTRY_IMPORT:
                print("  built", os.path.basename(extra), "imports", e.dll.decode(),
                      [(i.ordinal if i.import_by_ordinal else None, i.name) for i in e.imports])
        fail = 0
        for p in paths:
            want = pefile.PE(p).get_imphash()
            got = ours(p)
            ok = want == got
            fail |= not ok
            label = os.path.basename(p) if p == extra else p
            print(f"{'OK  ' if ok else 'FAIL'} {label} pefile={want} installsift={got}"
                  f" (system pefile: {pefile_2024(p)})")
        return 1 if fail else 0
    finally:
        shutil.rmtree(tmp)


sys.exit(main())
