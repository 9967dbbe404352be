; installsift test corpus: an LZMA-solid installer above 2 MB unpacked
; (big.txt: 2,200,000 bytes of pseudo-random hex lines that LZMA halves).
; SPDX-License-Identifier: MIT OR Apache-2.0
Unicode true
SetCompressor /SOLID /FINAL lzma
Name "installsift NSIS large"
OutFile "${OUT}"
InstallDir "$PROGRAMFILES64\installsift-large"
RequestExecutionLevel admin

Section
  SetOutPath "$INSTDIR"
  File readme.txt
  SetOutPath "$INSTDIR\data"
  File big.txt
  File config.ini
SectionEnd
