; installsift test corpus: an NSIS installer that installs no file at all.
; SPDX-License-Identifier: MIT OR Apache-2.0
Unicode true
SetCompressor /FINAL zlib
Name "installsift NSIS without files"
OutFile "${OUT}"
RequestExecutionLevel user

Section
  DetailPrint "nothing to install"
SectionEnd
