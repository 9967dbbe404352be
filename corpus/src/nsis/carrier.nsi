; installsift test corpus: an NSIS installer that carries an MSI and a zip,
; so that a scan recurses NSIS > MSI > cabinet and NSIS > zip.
; SPDX-License-Identifier: MIT OR Apache-2.0
Unicode true
SetCompressor /FINAL lzma
Name "installsift NSIS carrier"
OutFile "${OUT}"
InstallDir "$TEMP\installsift-carrier"
RequestExecutionLevel user

Section
  SetOutPath "$INSTDIR"
  File simple.msi
  SetOutPath "$INSTDIR\extra"
  File deflate.zip
  ExecWait 'msiexec /i "$INSTDIR\simple.msi" /qn'
SectionEnd
