; installsift corpus: Inno 5.6 LZMA non-solid, subfolders, a non-ASCII name, an x86 exe.
[Setup]
AppName=installsift Inno 5 lzma
AppVersion=5.6.0
DefaultDirName={pf}\installsift-5
OutputBaseFilename=inno5_lzma_nonsolid
Compression=lzma
SolidCompression=no
PrivilegesRequired=admin
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
Source: "..\payload\license.txt"; DestDir: "{app}"; DestName: "Übersicht.txt"
Source: "tree\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs
Source: "..\..\pe\hello_x86.exe"; DestDir: "{app}"
