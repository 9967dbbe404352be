"""Make a pip/distlib-style console-script exe with distlib's own ScriptMaker.

usage: distlib_script.py DISTLIB_WHEEL_DIR OUT.exe

ScriptMaker writes the Windows layout (t64.exe launcher + shebang line + zip holding
__main__.py) only on Windows; here `_is_nt` is set and `_get_launcher` returns the
package's own t64.exe, so the bytes are what pip writes on 64-bit Windows.
SOURCE_DATE_EPOCH pins the zip timestamp.  SPDX-License-Identifier: MIT OR Apache-2.0
"""
import os
import sys
import tempfile

wheel_dir, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, wheel_dir)
os.environ["SOURCE_DATE_EPOCH"] = "1717200000"
from distlib.scripts import ScriptMaker  # noqa: E402

launcher = open(os.path.join(wheel_dir, "distlib", "t64.exe"), "rb").read()
with tempfile.TemporaryDirectory() as d:
    m = ScriptMaker(None, d)
    m._is_nt = True
    m._get_launcher = lambda kind: launcher
    m.executable = r"C:\Python312\python.exe"
    m.variants = {""}
    names = m.make("installsift-sample = installsift_sample.cli:main")
    exe = [n for n in names if n.endswith(".exe")][0]
    data = open(exe, "rb").read()
open(out, "wb").write(data)
