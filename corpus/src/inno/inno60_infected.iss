; installsift corpus: Inno 6.0.2, Password=infected + Encryption=yes (ARC4, key SHA-1 of
; chunk salt and password), LZMA solid, files in subfolders. 6.0.2's npm package ships no
; ISCrypt.dll: fetch.sh copies 6.3.1's beside its ISCC (same ARC4 interface).
[Setup]
AppName=installsift Inno infected
AppVersion=6.0.0
DefaultDirName={autopf}\installsift-infected
OutputBaseFilename=inno60_infected
Compression=lzma
SolidCompression=yes
Password=infected
Encryption=yes
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
