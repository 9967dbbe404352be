@echo off
rem installsift test corpus: the command IExpress runs after extracting
copy /y readme.txt "%TEMP%\installsift-readme.txt" >nul
