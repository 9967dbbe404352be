; installsift corpus: Inno 6.0 no compression, admin, a non-ASCII name, an exe.
[Setup]
AppName=installsift Inno stored
AppVersion=6.0.1
DefaultDirName={autopf}\installsift-stored
OutputBaseFilename=inno60_stored_admin
Compression=none
PrivilegesRequired=admin
ArchitecturesAllowed=x64
ArchitecturesInstallIn64BitMode=x64
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
Source: "..\payload\config.ini"; DestDir: "{app}\conf"; DestName: "café.ini"
Source: "..\..\pe\hello_x86.exe"; DestDir: "{app}"
