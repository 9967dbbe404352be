; installsift corpus: Inno Setup 5.5.6 data (npm innosetup-compiler 5.5.62): zlib solid,
; one source under two names (one shared data entry), an empty file, subfolders, a non-ASCII name.
[Setup]
AppName=installsift Inno 5.5.6 zip
AppVersion=5.5.6
DefaultDirName={pf}\installsift-556
OutputBaseFilename=inno556_zip_solid
Compression=zip
SolidCompression=yes
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
Source: "..\payload\readme.txt"; DestDir: "{app}\copy"; DestName: "readme-kopie.txt"
Source: "..\payload\license.txt"; DestDir: "{app}"; DestName: "Lizenz-Übersicht.txt"
Source: "tree\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs
