; installsift corpus: Inno Setup 6.2.0 (npm innosetup-compiler 6.2.0; data 6.1.0 (u)): LZMA2
; non-solid, an x86 exe (call filter), subfolders, a non-ASCII name.
[Setup]
AppName=installsift Inno 6.2.0 lzma2
AppVersion=6.2.0
DefaultDirName={autopf}\installsift-620
OutputBaseFilename=inno620_lzma2_x86
Compression=lzma2
SolidCompression=no
PrivilegesRequired=lowest
AppPublisher=installsift
DisableProgramGroupPage=yes
DisableDirPage=yes
Uninstallable=no
TimeStampsInUTC=yes
TouchDate=2024-06-01
TouchTime=00:00:00
OutputDir=out

[Files]
Source: "..\payload\readme.txt"; DestDir: "{app}"; DestName: "lisez-moi-été.txt"
Source: "tree\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs
Source: "..\..\pe\hello_x86.exe"; DestDir: "{app}\bin"
