; installsift corpus: Inno 5.6 zlib, password only (ISCC 5 needs ISCrypt.dll for encryption).
[Setup]
AppName=installsift Inno 5 enc
AppVersion=5.6.1
DefaultDirName={pf}\installsift-5enc
OutputBaseFilename=inno5_zlib_password
Compression=zip
Password=installsift
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
Source: "..\payload\config.ini"; DestDir: "{app}"
