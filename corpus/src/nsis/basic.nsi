; installsift test corpus: the main NSIS sample, built in several variants by
; corpus/build.sh with -D defines:
;   OUT         output file (absolute path)
;   COMPRESSOR  zlib | bzip2 | lzma
;   SOLID       defined: one solid stream for header and data
;   TARGET      x86-unicode (default) | x86-ansi | amd64-unicode
;   NO_NONASCII defined: leave out the non-ASCII file name (ANSI build)
; Run from the staging directory, which holds the payload files and the
; generated nested.nsh (SetOutPath/File lines for data/...).
; SPDX-License-Identifier: MIT OR Apache-2.0

!ifndef TARGET
  !define TARGET x86-unicode
!endif
Target ${TARGET}
!ifdef SOLID
  SetCompressor /SOLID /FINAL ${COMPRESSOR}
!else
  SetCompressor /FINAL ${COMPRESSOR}
!endif

Name "installsift NSIS sample"
Caption "installsift NSIS sample (${COMPRESSOR}, ${TARGET})"
OutFile "${OUT}"
InstallDir "$PROGRAMFILES\installsift-sample"
InstallDirRegKey HKLM "Software\installsift-sample" "InstallDir"
RequestExecutionLevel admin

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "Main files" SecMain
  SetOutPath "$INSTDIR"
  File readme.txt
  File license.txt
  ; identical content: makensis stores the data block once, both entries use it
  File /oname=readme-copy.txt readme.txt
  File empty.txt
!ifndef NO_NONASCII
  File "résumé-データ.txt"
!endif
  SetOutPath "$INSTDIR\conf"
  File config.ini
  !include nested.nsh

  ; a plugin call: makensis adds $PLUGINSDIR\System.dll
  System::Call 'kernel32::GetTickCount() i .r0'

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "Software\installsift-sample" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\installsift-sample" "DisplayName" "installsift NSIS sample"
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\installsift-sample" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\installsift-sample" "NoModify" 1
  ExecWait '"$SYSDIR\notepad.exe" "$INSTDIR\readme.txt"'
  Exec '"$INSTDIR\conf\config.ini"'
SectionEnd

Section "Uninstall"
  DeleteRegKey HKLM "Software\Microsoft\Windows\CurrentVersion\Uninstall\installsift-sample"
  DeleteRegKey HKLM "Software\installsift-sample"
  RMDir /r "$INSTDIR"
SectionEnd
