; installsift corpus: the smallest useful Inno Setup installer (one text file).
[Setup]
AppName=installsift Inno sample
AppVersion=1.0.0
AppPublisher=installsift
DefaultDirName={autopf}\installsift-inno-sample
OutputDir=out
OutputBaseFilename=inno_lzma2
Compression=lzma2/max
SolidCompression=yes
PrivilegesRequired=lowest
DisableProgramGroupPage=yes
TimeStampsInUTC=yes
TouchDate=2024-06-01
TouchTime=00:00:00

[Files]
Source: "readme.txt"; DestDir: "{app}"
