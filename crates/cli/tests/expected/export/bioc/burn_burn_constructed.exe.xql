// installsift behaviour rules for Cortex XDR (BIOC as XQL), 2024-06-01T00:00:00Z
// One query per rule: run it in XQL Search, then save it as a BIOC rule.
// Not run against a Cortex XDR tenant: field names are from the XQL schema reference.

// ---- installsift: wix-burn installer burn_constructed.exe run (66b6826af03a)
// id: d09beb85-c8c1-542c-9220-185067c110d3
// severity: high
// fact: installsift scan: wix-burn installer 'burn_constructed.exe' (SHA-256 66b6826af03a2e3e4b7379ed801ed3fb43dde639f974a25cc597d681fe369990, engine version 1.2.3.0)
// fact: evidence: pe-header: PE32+ x86_64 exe; burn-container: ux container 0: 6393 bytes; burn-container: attached container 1: 9480 bytes; wix-burn-section: section `.wixburn` with the Burn header (magic 0x00F14300, version 2), bundle {5B2E1D3C-0000-4000-8000-00000000A001}, 2 container(s)
// matches: this exact file by SHA-256 under any name and arguments
// matches: a program named 'burn_constructed.exe' started with /q, /quiet, /s, /silent or /passive (- for / too) (WiX src/burn/engine/core.cpp: -q, -quiet, -s, -silent (no UI), -passive; - or /, any case)
// misses: copies with another hash (rebuilt, re-signed, repacked) run interactively, with the switch written otherwise (quoted), or renamed; what the installer extracts and starts (nested installers and packages have their own rules with --depth all)
// reference: installsift scan of burn_constructed.exe (SHA-256 66b6826af03a2e3e4b7379ed801ed3fb43dde639f974a25cc597d681fe369990)
dataset = xdr_data
| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
    action_process_image_sha256 = "66b6826af03a2e3e4b7379ed801ed3fb43dde639f974a25cc597d681fe369990"
    or (lowercase(action_process_image_name) = "burn_constructed.exe"
        and action_process_image_command_line ~= "(?is).*\s(?:(?:[-/]q|[-/]quiet|[-/]s|[-/]silent|[-/]passive)(?:\s.*)?)$"))

// ---- installsift: msiexec installs a0 (4212122d9001)
// id: 2f607ed7-a687-54a5-b8b3-20f0ce6c938f
// severity: high
// fact: installsift scan: Windows Installer package 'a0' (SHA-256 4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c), found as burn_constructed.exe > [burn-attached-1] > a0
// fact: evidence: cfb-root-clsid: root CLSID {000C1084-0000-0000-C000-000000000046}: installer database; msi-tables: 28 tables in `_Tables`; msi-product-code: `Property` table with `ProductCode` {A1B2C3D4-0001-4000-8000-000000000001}, `Media` table with 1 rows: a product package; msi-embedded-cabinet: cabinet stream `product.cab`, 6284 bytes
// fact: Property table: ProductCode '{A1B2C3D4-0001-4000-8000-000000000001}', ProductName 'installsift simple', ProductVersion '1.2.3.4', Manufacturer 'installsift test corpus'
// matches: msiexec.exe (image name or OriginalFilename, so a renamed copy too) with /i or /package (- for / too) and the ProductCode {A1B2C3D4-0001-4000-8000-000000000001} on its command line; also its removal, /x or /uninstall with the ProductCode; the package's own hash is not testable (the image is msiexec.exe)
// misses: the package installed through the Windows Installer API or COM (Burn, InstallShield, SCCM, a script using WindowsInstaller.Installer: only the service, msiexec.exe /V, starts, with no package on its command line); the package renamed and started by path; /a, /j and /f
// reference: installsift scan of burn_constructed.exe > [burn-attached-1] > a0 (SHA-256 4212122d9001746713628945e09a23c6da21b570ca3b1875ddf0a417f5310b6c)
dataset = xdr_data
| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
    (lowercase(action_process_image_name) = "msiexec.exe"
        or lowercase(json_extract_scalar(action_process_file_info, "$.original_name")) = "msiexec.exe")
    and ((action_process_image_command_line ~= "(?is).*\s[-/](?:i|package).*"
        and (lowercase(action_process_image_command_line) contains "{a1b2c3d4-0001-4000-8000-000000000001}"))
        or (action_process_image_command_line ~= "(?is).*\s[-/](?:x|uninstall).*"
        and lowercase(action_process_image_command_line) contains "{a1b2c3d4-0001-4000-8000-000000000001}")))
