; installsift corpus: Inno 6.3 password + encryption, LZMA solid.
[Setup]
AppName=installsift Inno encrypted
AppVersion=1.0.0
DefaultDirName={autopf}\installsift-enc
OutputBaseFilename=inno6_encrypted
Compression=lzma
SolidCompression=yes
Password=installsift
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
Source: "..\payload\config.ini"; DestDir: "{app}"
