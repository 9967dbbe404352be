#!/usr/bin/env python3
"""Decode a uuencoded file (libarchive's test data: `begin MODE NAME`, data
lines, `end`) from stdin to stdout. Lines that do not decode are skipped,
as libarchive's own test harness does."""
# SPDX-License-Identifier: MIT OR Apache-2.0
import binascii
import sys

out = b""
for line in sys.stdin:
    if line.startswith("begin"):
        continue
    if line.strip() == "end":
        break
    try:
        out += binascii.a2b_uu(line)
    except binascii.Error:
        pass
sys.stdout.buffer.write(out)
