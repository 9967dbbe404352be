// installsift behaviour rules for Cortex XDR (BIOC as XQL), 2024-06-01T00:00:00Z
// One query per rule: run it in XQL Search, then save it as a BIOC rule.
// Not run against a Cortex XDR tenant: field names are from the XQL schema reference.

// ---- installsift: msiexec installs simple.msi (4212122d9001)
// id: 2f607ed7-a687-54a5-b8b3-20f0ce6c938f
// severity: high
// fact: installsift scan: Windows Installer package 'simple.msi' (SHA-256 4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c)
// fact: evidence: cfb-root-clsid: root CLSID {000C1084-0000-0000-C000-000000000046}: installer database; msi-tables: 28 tables in `_Tables`; msi-product-code: `Property` table with `ProductCode` {A1B2C3D4-0001-4000-8000-000000000001}, `Media` table with 1 rows: a product package; msi-embedded-cabinet: cabinet stream `product.cab`, 6284 bytes
// fact: Property table: ProductCode '{A1B2C3D4-0001-4000-8000-000000000001}', ProductName 'installsift simple', ProductVersion '1.2.3.4', Manufacturer 'installsift test corpus'
// matches: msiexec.exe (image name or OriginalFilename, so a renamed copy too) with /i or /package (- for / too) and the file name 'simple.msi' or the ProductCode {A1B2C3D4-0001-4000-8000-000000000001} on its command line; also its removal, /x or /uninstall with the ProductCode; the package's own hash is not testable (the image is msiexec.exe)
// misses: the package installed through the Windows Installer API or COM (Burn, InstallShield, SCCM, a script using WindowsInstaller.Installer: only the service, msiexec.exe /V, starts, with no package on its command line); the package renamed and started by path; /a, /j and /f
// reference: installsift scan of simple.msi (SHA-256 4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c)
dataset = xdr_data
| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
    (lowercase(action_process_image_name) = "msiexec.exe"
        or lowercase(json_extract_scalar(action_process_file_info, "$.original_name")) = "msiexec.exe")
    and ((action_process_image_command_line ~= "(?is).*\s[-/](?:i|package).*"
        and (lowercase(action_process_image_command_line) contains "simple.msi"
            or lowercase(action_process_image_command_line) contains "{a1b2c3d4-0001-4000-8000-000000000001}"))
        or (action_process_image_command_line ~= "(?is).*\s[-/](?:x|uninstall).*"
        and lowercase(action_process_image_command_line) contains "{a1b2c3d4-0001-4000-8000-000000000001}")))
