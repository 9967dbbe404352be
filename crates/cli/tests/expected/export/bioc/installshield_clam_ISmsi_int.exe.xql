// installsift behaviour rules for Cortex XDR (BIOC as XQL), 2024-06-01T00:00:00Z
// One query per rule: run it in XQL Search, then save it as a BIOC rule.
// Not run against a Cortex XDR tenant: field names are from the XQL schema reference.

// ---- installsift: installshield installer clam_ISmsi_int.exe run (f7531f276c9c)
// id: bc9ecbad-9932-5684-962c-ccd0e22c12a4
// severity: high
// fact: installsift scan: installshield installer 'clam_ISmsi_int.exe' (SHA-256 f7531f276c9ce9558676a435d926c1234226215e4392c57143b589c470f7235f, engine version 16.0.0.328)
// fact: evidence: pe-header: PE32 x86 exe; installshield-records: 4 overlay records in the `installshield` layout (`0x0409.ini`, `EvalMarker.dat`, `clam.msi`, `Setup.ini`); MSI package `clam.msi`; installshield-overlay-header: `InstallShield\x00` at overlay +105 (within its first 4096 bytes); installshield-launcher-manifest: manifest assembly identity `InstallShield.Setup`: the InstallShield Setup launcher (installs from setup.ini and the data files beside it when nothing is attached)
// fact: version-info OriginalFilename 'Setup.exe'
// matches: this exact file by SHA-256 under any name and arguments
// matches: a program named 'clam_ISmsi_int.exe' or with version-info OriginalFilename 'Setup.exe' started with /s (InstallShield Setup.exe command line: /s (silent; /f1 names the response file, /v passes arguments to msiexec))
// misses: copies with another hash (rebuilt, re-signed, repacked) run interactively, with the switch written otherwise (quoted), or renamed without the same OriginalFilename; what the installer extracts and starts (nested installers and packages have their own rules with --depth all)
// reference: installsift scan of clam_ISmsi_int.exe (SHA-256 f7531f276c9ce9558676a435d926c1234226215e4392c57143b589c470f7235f)
dataset = xdr_data
| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
    action_process_image_sha256 = "f7531f276c9ce9558676a435d926c1234226215e4392c57143b589c470f7235f"
    or ((lowercase(action_process_image_name) = "clam_ismsi_int.exe"
        or lowercase(json_extract_scalar(action_process_file_info, "$.original_name")) in ("setup.exe", "setup.exe                                        "))
        and action_process_image_command_line ~= "(?is).*\s(?:(?:/s)(?:\s.*)?)$"))

// ---- installsift: msiexec installs clam.msi (e44ea63a48dd)
// id: ed6bdbe1-f860-5af3-b70d-51a32a353982
// severity: high
// fact: installsift scan: Windows Installer package 'clam.msi' (SHA-256 e44ea63a48dd1ca9cbb488d8a7573856e6fe704d541e8a99d866f540e944b71d), found as clam_ISmsi_int.exe > clam.msi
// fact: evidence: cfb-root-clsid: root CLSID {000C1084-0000-0000-C000-000000000046}: installer database; msi-tables: 38 tables in `_Tables`; msi-product-code: `Property` table with `ProductCode` {589A5E26-AC31-469A-BA7A-0B562A931ABF}, `Media` table with 1 rows: a product package; msi-embedded-cabinet: cabinet stream `Data1.cab`, 335 bytes
// fact: Property table: ProductCode '{589A5E26-AC31-469A-BA7A-0B562A931ABF}', ProductName 'clam', ProductVersion '1.00.0000', Manufacturer 'company'
// matches: msiexec.exe (image name or OriginalFilename, so a renamed copy too) with /i or /package (- for / too) and the file name 'clam.msi' or the ProductCode {589A5E26-AC31-469A-BA7A-0B562A931ABF} on its command line; also its removal, /x or /uninstall with the ProductCode; the package's own hash is not testable (the image is msiexec.exe)
// misses: the package installed through the Windows Installer API or COM (Burn, InstallShield, SCCM, a script using WindowsInstaller.Installer: only the service, msiexec.exe /V, starts, with no package on its command line); the package renamed and started by path; /a, /j and /f
// reference: installsift scan of clam_ISmsi_int.exe > clam.msi (SHA-256 e44ea63a48dd1ca9cbb488d8a7573856e6fe704d541e8a99d866f540e944b71d)
dataset = xdr_data
| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
    (lowercase(action_process_image_name) = "msiexec.exe"
        or lowercase(json_extract_scalar(action_process_file_info, "$.original_name")) = "msiexec.exe")
    and ((action_process_image_command_line ~= "(?is).*\s[-/](?:i|package).*"
        and (lowercase(action_process_image_command_line) contains "clam.msi"
            or lowercase(action_process_image_command_line) contains "{589a5e26-ac31-469a-ba7a-0b562a931abf}"))
        or (action_process_image_command_line ~= "(?is).*\s[-/](?:x|uninstall).*"
        and lowercase(action_process_image_command_line) contains "{589a5e26-ac31-469a-ba7a-0b562a931abf}")))
