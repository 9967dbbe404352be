; installsift corpus: Inno 6.0 bzip2 non-solid, files in subfolders.
[Setup]
AppName=installsift Inno bzip2
AppVersion=6.0.0
DefaultDirName={autopf}\installsift-bzip2
OutputBaseFilename=inno60_bzip2
Compression=bzip/9
SolidCompression=no
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
