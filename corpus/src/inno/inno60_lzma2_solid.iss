; installsift corpus: Inno 6.0 LZMA2 solid, subfolders, an x86 exe.
[Setup]
AppName=installsift Inno 6.0 lzma2
AppVersion=6.0.2
DefaultDirName={autopf}\installsift-60
OutputBaseFilename=inno60_lzma2_solid
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
Source: "tree\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs
Source: "..\..\pe\hello_x86.exe"; DestDir: "{app}"
