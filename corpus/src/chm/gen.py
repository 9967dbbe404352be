#!/usr/bin/env python3
"""Write the generated pages of the CHM sample into DIR: guide/big.html
(about 300 KB of text: eleven LZX frames, six reset intervals) and
img/logo.bmp (a 96x96 24-bit BMP of noise: poorly compressible).
Fixed seed: the same bytes every run.

usage: gen.py DIR
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import os
import random
import struct
import sys


def main(out):
    r = random.Random(17)
    words = ("installer cabinet folder stream window frame reset table "
             "section content directory chunk listing entry").split()
    lines = ["<html><head><title>Long page</title></head><body>"]
    n = 0
    while sum(len(x) for x in lines) < 300000:
        n += 1
        lines.append("<p>%d %s</p>" % (n, " ".join(r.choice(words) for _ in range(12))))
    lines.append("</body></html>")
    os.makedirs(os.path.join(out, "guide"), exist_ok=True)
    os.makedirs(os.path.join(out, "img"), exist_ok=True)
    with open(os.path.join(out, "guide", "big.html"), "w") as f:
        f.write("\n".join(lines))
    w = h = 96
    pix = bytes(r.randrange(256) for _ in range(w * 3 * h))
    hdr = b"BM" + struct.pack("<IHHI", 54 + len(pix), 0, 0, 54) + struct.pack(
        "<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pix), 2835, 2835, 0, 0)
    with open(os.path.join(out, "img", "logo.bmp"), "wb") as f:
        f.write(hdr + pix)


if __name__ == "__main__":
    main(sys.argv[1])
