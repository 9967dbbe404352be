; installsift corpus: Inno 6.3 LZMA non-solid; a 32-bit PE gets the x86 call filter.
[Setup]
AppName=installsift Inno lzma
AppVersion=1.2.3
DefaultDirName={autopf}\installsift-lzma
OutputBaseFilename=inno6_lzma_bcj
Compression=lzma2/fast
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
Source: "..\..\pe\hello_x86.exe"; DestDir: "{app}"
Source: "..\..\pe\hello_x64.exe"; DestDir: "{app}"
Source: "..\payload\readme.txt"; DestDir: "{app}"
