"""The zip that Squirrel's releasify writes into Setup.exe's DATA resource:
Update.exe (taken from the template's own DATA zip), <id>-<version>-full.nupkg and
RELEASES (SHA-1, name, size).  Fixed timestamps.

usage: squirrel_payload.py TEMPLATE_SETUP.exe README.txt OUT.zip
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import hashlib
import io
import struct
import sys
import zipfile

template, readme, out = sys.argv[1:4]
data = open(template, "rb").read()
# The template's DATA resource is the one zip in it.
start = data.find(b"PK\x03\x04")
end = data.find(b"PK\x05\x06", start) + 22
upd = zipfile.ZipFile(io.BytesIO(data[start:end])).read("Update.exe")
D = (2024, 6, 1, 0, 0, 0)


def add(zf, name, content):
    zi = zipfile.ZipInfo(name, D)
    zi.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(zi, content)


nuspec = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd">
  <metadata>
    <id>installsift-sample</id>
    <version>1.0.0</version>
    <authors>installsift</authors>
    <description>installsift corpus sample: a Squirrel package holding one text file.</description>
  </metadata>
</package>
"""
nup = io.BytesIO()
with zipfile.ZipFile(nup, "w") as n:
    add(n, "installsift-sample.nuspec", nuspec)
    add(n, "lib/net45/readme.txt", open(readme, "rb").read())
nupb = nup.getvalue()
sha1 = hashlib.sha1(nupb).hexdigest().upper()
with zipfile.ZipFile(out, "w") as p:
    add(p, "Update.exe", upd)
    add(p, "installsift-sample-1.0.0-full.nupkg", nupb)
    add(p, "RELEASES", "%s installsift-sample-1.0.0-full.nupkg %d" % (sha1, len(nupb)))
