#!/usr/bin/env python3
"""Constructed samples of installer builders no real file of which could be had
here (see corpus/README.md, "Long-tail installer builders"): each is a real PE
built by mingw-w64 (pe/hello_x86.exe, or a windres-resourced variant made by
longtail.sh) with the one structure Detect It Easy's database (or RetDec's
rules, where named) states for that builder, and our own filler bytes after it.
The builders' engines are NOT here: these files test recognition of the
structure, nothing else. Deterministic: two runs give identical bytes.

    python3 longtail.py CORPUS_DIR WORK_DIR   (WORK_DIR holds longtail.sh's PEs)
"""
import hashlib
import os
import struct
import sys

corpus, work = sys.argv[1], sys.argv[2]
out = os.path.join(corpus, "longtail")
os.makedirs(out, exist_ok=True)
hello = open(os.path.join(corpus, "pe/hello_x86.exe"), "rb").read()
cab = open(os.path.join(corpus, "cab/mszip.cab"), "rb").read()


def filler(seed, n):
    """Deterministic filler (SHA-256 counter stream), free of known magics."""
    b = bytearray()
    i = 0
    while len(b) < n:
        b += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(b[:n])


def write(name, data):
    open(os.path.join(out, name), "wb").write(data)


# Wise: dword at overlay +77 equals the file size (DIE Wise lines 8-10).
ov = bytearray(filler("wise", 512))
size = len(hello) + len(ov)
ov[77:81] = struct.pack("<I", size)
write("wise_overlay_size.exe", hello + bytes(ov))

# Wise: "Wise Installation Wizard..." within the first 0x1000 overlay bytes (line 25).
write("wise_wizard_string.exe", hello + filler("wise2", 64) + b"Initializing Wise Installation Wizard..." + filler("wise3", 256))

# CreateInstall: overlay starts "aWAW" (DIE CreateInstall line 15).
write("createinstall_awaw.exe", hello + b"aWAW" + filler("ci", 400))

# Gentee: RetDec gentee_installer: dword@0x3F0 = overlay offset, @0x3F4 + @0x3F8 <= overlay
# size, first overlay dword = @0x3F8 (the header area of hello_x86 is zero there).
g = bytearray(hello)
assert g[0x3F0:0x3FC] == b"\0" * 12
body = filler("gentee", 600)
ovl = struct.pack("<I", 600) + body
g[0x3F0:0x3FC] = struct.pack("<III", len(hello), 4, 600)
write("gentee_header.exe", bytes(g) + ovl)

# Smart Install Maker: overlay starts "Smart Install Maker v" then the version (DIE line 9).
write("smart_install_maker.exe", hello + b"Smart Install Maker v. 5.04\0" + filler("sim", 400))

# Clickteam Install Creator: overlay starts "wwgT)H" (DIE ClickTeam line 9, RetDec install_creator).
write("clickteam_wwgt.exe", hello + b"wwgT)H" + filler("ct", 400))

# Ghost Installer: overlay is a cabinet XOR 0x8D ("c0 de ce cb 8d 8d 8d 8d", DIE line 8).
write("ghost_installer_xor_cab.exe", hello + bytes(b ^ 0x8D for b in cab))

# Setup Factory 8/9: overlay starts e0 e0 e1 e1 ... e7 e7 (DIE Setup Factory lines 14-24).
write("setup_factory_overlay.exe", hello + bytes(x for i in range(8) for x in (0xE0 + i, 0xE0 + i)) + filler("sf", 400))

# Advanced Installer: "ADVINSTSFX" within the last 0x50 bytes (DIE line 21).
write("advinst_tail.exe", hello + filler("ai", 400) + b"ADVINSTSFX" + filler("ai2", 16))

# Advanced Installer: its 76-byte footer (0, own offset, file count, version, info offset,
# table pointer, file data start, 32 hex chars, a dword, "ADVINSTSFX\0", pad) at the end of
# the unsigned file; longtail.sh signs it with the TEST ONLY key, so the footer then lies
# just before the certificate table, where DIE's last-0x50-bytes test cannot see it.
payload = filler("aipayload", 512)
foot_at = len(hello) + len(payload)
footer = struct.pack("<IIIIIII", 0, foot_at, 1, 2, len(hello), len(hello), len(hello))
footer += b"0123456789abcdef0123456789abcdef" + struct.pack("<I", 0) + b"ADVINSTSFX\0" + b"\0"
assert len(footer) == 76
open(os.path.join(work, "advinst_footer_unsigned.exe"), "wb").write(hello + payload + footer)

# Advanced Installer: BOM then UTF-16LE "[GeneralOptions]" at overlay +2 (DIE line 30).
write("advinst_options.exe", hello + b"\xff\xfe" + "[GeneralOptions]\r\nVersion=1\r\n".encode("utf-16-le") + filler("ai3", 200))

# BitRock InstallBuilder: ".eh_frame\0" at overlay +8 (DIE BitRock line 7).
write("bitrock_overlay.exe", hello + filler("br", 8) + b".eh_frame\0" + filler("br2", 400))

# install4j: overlay starts d5 13 e4 e8 01 00 00 00 (DIE install4j line 7).
write("install4j_overlay.exe", hello + b"\xd5\x13\xe4\xe8\x01\x00\x00\x00" + filler("i4j", 400))

# Qt Installer Framework: overlay starts "qres" 00 00 00 01 ?? ?? ?? ?? 00 00 00 14 00 (DIE line 8).
write("qt_ifw_overlay.exe", hello + b"qres\0\0\0\x01" + struct.pack(">I", 0x40) + b"\0\0\0\x14\0" + filler("qt", 400))

# MindVision Vise: overlay starts "ESIV" (DIE Vise line 7).
write("vise_overlay.exe", hello + b"ESIV" + filler("vise", 400))

# InstallShield 3: the overlay's first byte is a record length n; the IS3 archive magic
# 13 5d 65 8c follows at overlay + n + 12 (DIE InstallShield lines 8-11).
write("installshield3_overlay.exe", hello + bytes([9]) + b"_SETUP.LIB" + bytes(10) + b"\x13\x5d\x65\x8c" + filler("is3", 400))

# Two of the further overlay magics DIE names (src/classify/longtail.rs OVERLAY_BUILDERS).
write("excelsior_overlay.exe", hello + b"ExcelsiorII1" + filler("exc", 400))
write("veracrypt_overlay.exe", hello + b"VCINSTRT" + filler("vc", 400))

# Resource layouts built by longtail.sh (windres), each with a small overlay where the
# builder's rule needs one.
for name, overlay in [
    ("astrum_resource.exe", filler("astrum", 300)),
    ("installaware_comments.exe", b""),
    ("setup_factory7_runtime.exe", b""),
    ("gentee_setup_temp.exe", b""),
    ("installshield2_szdd.exe", b""),
    ("installshield_launcher_manifest.exe", b""),
]:
    pe = open(os.path.join(work, name), "rb").read()
    write(name, pe + overlay)
