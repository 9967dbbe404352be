; installsift corpus: Inno Setup 5.5.9 (npm innosetup-compiler 5.5.9; data ID 5.5.7 (u) with
; 5.5.7's own layout, where 5.6.1 writes the same ID with 5.6.0's): bzip2 non-solid, an x86
; exe (call filter), subfolders.
[Setup]
AppName=installsift Inno 5.5.9 bzip
AppVersion=5.5.9
DefaultDirName={pf}\installsift-559
OutputBaseFilename=inno559_bzip_x86
Compression=bzip
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
Source: "..\payload\readme.txt"; DestDir: "{app}"
Source: "tree\*"; DestDir: "{app}\tree"; Flags: recursesubdirs createallsubdirs
Source: "..\..\pe\hello_x86.exe"; DestDir: "{app}\bin"
