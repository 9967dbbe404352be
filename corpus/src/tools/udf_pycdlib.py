#!/usr/bin/env python3
"""installsift corpus: a UDF 2.60 image written by pycdlib (PyPI `pycdlib`, a
library used to author ISO/UDF images), its ISO 9660 side named differently
(8.3 upper case) so that a listing of the wrong tree shows.

Usage: python3 udf_pycdlib.py OUT.iso
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import io
import sys

import pycdlib

iso = pycdlib.PyCdlib()
iso.new(udf="2.60", interchange_level=3, vol_ident="PYCDLIB")


def add(data, iso_path, udf_path):
    iso.add_fp(io.BytesIO(data), len(data), iso_path, udf_path=udf_path)


iso.add_directory("/SOURCES", udf_path="/sources")
iso.add_directory("/SOURCES/DEEP", udf_path="/sources/deep")
add(b"hello udf\n", "/README.TXT;1", "/readme.txt")
# 9000 bytes: five blocks, the last one partly used.
add(bytes((i * 7 + 3) % 256 for i in range(9000)), "/SOURCES/INSTALL.WIM;1", "/sources/install.wim")
# A name with a character outside Latin-1: OSTA CS0 with 16-bit characters.
add("Ünïcode ☃\n".encode(), "/SOURCES/DEEP/U.TXT;1", "/sources/deep/Ünïcode ☃ name.txt")
add(b"", "/EMPTY.BIN;1", "/empty.bin")
iso.write(sys.argv[1])
