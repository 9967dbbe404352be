; installsift corpus: Inno 6.4 LZMA2 solid, subfolders, an x86 exe (SHA-256 checksums).
[Setup]
AppName=installsift Inno 6.4
AppVersion=6.4.1
DefaultDirName={autopf}\installsift-64
OutputBaseFilename=inno64_lzma2_solid
Compression=lzma2
SolidCompression=yes
PrivilegesRequired=lowest
AppPublisher=installsift
DefaultGroupName=installsift
DisableProgramGroupPage=yes
DisableDirPage=yes
TimeStampsInUTC=yes
TouchDate=2024-06-01
TouchTime=00:00:00
OutputDir=out

[Files]
Source: "..\payload\readme.txt"; DestDir: "{app}"
Source: "tree\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs
Source: "..\..\pe\hello_x86.exe"; DestDir: "{app}\bin"
