; installsift corpus: Inno 6.3 zlib, admin, 64-bit mode, files in subfolders, a non-ASCII name.
[Setup]
AppName=installsift Inno zlib
AppVersion=2.1.0
AppId={{6B1D0C3E-2A77-4E7B-9F3A-1D2C3B4A5E60}
DefaultDirName={autopf}\installsift-zlib
OutputBaseFilename=inno6_zlib_admin_x64
Compression=zip
SolidCompression=no
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
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
Source: "..\payload\license.txt"; DestDir: "{app}"; DestName: "Lizenz-Übersicht-ñ.txt"
Source: "tree\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs
Source: "..\..\pe\hello_x86.exe"; DestDir: "{app}\bin"
