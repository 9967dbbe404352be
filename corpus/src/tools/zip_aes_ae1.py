#!/usr/bin/env python3
"""Write a WinZip AES-192, AE-1 zip (CRC-32 kept beside the authentication
code) with pyzipper, password `infected`: 7-Zip writes only AE-2 (CRC 0).

usage: zip_aes_ae1.py OUT.zip TREE_DIR NAME...   (run from corpus/build.sh;
needs `pip install pyzipper==0.4.0`). Directories named are added as
directory entries; deflate, except `bin/hello.exe`, stored, so that both
paths under the encryption are exercised.

SPDX-License-Identifier: MIT OR Apache-2.0
"""
import os
import sys

import pyzipper


def main():
    out, tree, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    with pyzipper.AESZipFile(
        out,
        "w",
        compression=pyzipper.ZIP_DEFLATED,
        encryption=pyzipper.WZ_AES,
        encryption_kwargs={"nbits": 192, "force_wz_aes_version": 1},
    ) as z:
        z.setpassword(b"infected")
        for name in names:
            path = os.path.join(tree, name)
            method = pyzipper.ZIP_STORED if name.endswith(".exe") else pyzipper.ZIP_DEFLATED
            z.write(path, name, compress_type=method)


if __name__ == "__main__":
    main()
