#!/usr/bin/env python3
"""Reference listing of a KWAJ or SZDD file from libmspack's own decoder
(pylibmspack 0.4.0): `name<TAB>size<TAB>sha256`, the name as libmspack's
header gives it (KWAJ name.ext) or the one given on the command line.
    kwaj_ref.py FILE [NAME]
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import hashlib
import sys

import pylibmspack

path = sys.argv[1]
raw = open(path, "rb").read()
if raw.startswith(b"KWAJ"):
    f = pylibmspack.KwajFile(path)
    name = f.info().get("filename")
else:
    f = pylibmspack.SzddFile(path)
    name = None
data = f.read()
name = sys.argv[2] if len(sys.argv) > 2 else name
print(f"{name}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}")
