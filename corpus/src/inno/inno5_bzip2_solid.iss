; installsift corpus: Inno 5.6 bzip2 solid, x64 mode.
[Setup]
AppName=installsift Inno 5 bzip2
AppVersion=5.6.2
DefaultDirName={pf}\installsift-5bz
OutputBaseFilename=inno5_bzip2_solid
Compression=bzip
SolidCompression=yes
PrivilegesRequired=lowest
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
Source: "tree\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs
