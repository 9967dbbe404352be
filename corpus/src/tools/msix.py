"""A minimal MSIX package, hand-built from the documented AppxManifest schema
(http://schemas.microsoft.com/appx/manifest/foundation/windows10): AppxManifest.xml,
[Content_Types].xml and one payload file.  Unsigned (no AppxSignature.p7x) and without
AppxBlockMap.xml, so Windows would refuse to install it; it has the structure a
classifier keys on.  usage: msix.py README.txt OUT.msix
SPDX-License-Identifier: MIT OR Apache-2.0
"""
import sys
import zipfile

readme, out = sys.argv[1:3]
manifest = """<?xml version="1.0" encoding="utf-8"?>
<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10"
         xmlns:uap="http://schemas.microsoft.com/appx/manifest/uap/windows10">
  <Identity Name="Installsift.Sample" Publisher="CN=installsift test" Version="1.0.0.0"
            ProcessorArchitecture="x64"/>
  <Properties>
    <DisplayName>installsift sample</DisplayName>
    <PublisherDisplayName>installsift</PublisherDisplayName>
    <Logo>readme.txt</Logo>
  </Properties>
  <Dependencies>
    <TargetDeviceFamily Name="Windows.Desktop" MinVersion="10.0.17763.0" MaxVersionTested="10.0.22621.0"/>
  </Dependencies>
  <Resources><Resource Language="en-us"/></Resources>
  <Applications/>
</Package>
"""
types = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="xml" ContentType="application/vnd.ms-appx.manifest+xml"/>
<Default Extension="txt" ContentType="text/plain"/>
</Types>
"""
D = (2024, 6, 1, 0, 0, 0)
with zipfile.ZipFile(out, "w") as z:
    for name, content in [("readme.txt", open(readme, "rb").read()),
                          ("AppxManifest.xml", manifest),
                          ("[Content_Types].xml", types)]:
        zi = zipfile.ZipInfo(name, D)
        zi.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(zi, content)
