// installsift behaviour rules for Cortex XDR (BIOC as XQL), 2024-06-01T00:00:00Z
// One query per rule: run it in XQL Search, then save it as a BIOC rule.
// Not run against a Cortex XDR tenant: field names are from the XQL schema reference.

// ---- installsift: omaha installer omaha_tagged.exe run (41ca8f39c7f9)
// id: ea565a20-4c50-50c2-913f-32ded32380ba
// severity: high
// fact: installsift scan: omaha installer 'omaha_tagged.exe' (SHA-256 41ca8f39c7f97ae857585f1a4e4ab2b07037c232f0ca883feff59f1127fb5e6d, engine version 1.3.36.0)
// fact: evidence: pe-header: PE32 x86 exe; pe-certificate-table: 1920 bytes; pe-resource-container: resource B/102/1033 holds lzma; authenticode-signer: Authenticode sha256 signature by installsift TEST ONLY code signing (installsift test corpus (TEST ONLY, not trusted)): its signed digest matches the file; trust chain not validated
// fact: version-info OriginalFilename 'InstallsiftUpdateSetup.exe'
// fact: Authenticode signer 'installsift TEST ONLY code signing', O='installsift test corpus (TEST ONLY, not trusted)' (issuer 'CN=installsift TEST ONLY code signing, O=installsift test corpus (TEST ONLY, not trusted), C=XX', serial 1157; the signed digest matches the file; the chain was not validated)
// fact: Omaha tag appguid {5B2E1D3C-0000-4000-8000-00000000D001}
// matches: this exact file by SHA-256 under any name and arguments
// matches: a program named 'omaha_tagged.exe' or with version-info OriginalFilename 'InstallsiftUpdateSetup.exe', validly signed by 'installsift TEST ONLY code signing', started with /install or --install (- for / too) (Omaha omaha/base/command_line_parser.cc: / or -, any case; mi_exe_stub/mi.cc passes /install and the tag to GoogleUpdate.exe)
// matches: any process (the metainstaller, the GoogleUpdate.exe it unpacks) with /install and appguid={5B2E1D3C-0000-4000-8000-00000000D001} on its command line
// misses: copies with another hash (rebuilt, re-signed, repacked) run interactively, with the switch written otherwise (quoted), or renamed without the same OriginalFilename; what the installer extracts and starts (nested installers and packages have their own rules with --depth all)
// signer: action_process_signature_vendor is compared with the certificate's subject CN (which subject field Cortex reports is not verified); ENUM.SIGNED needs a chain the endpoint trusts
// reference: installsift scan of omaha_tagged.exe (SHA-256 41ca8f39c7f97ae857585f1a4e4ab2b07037c232f0ca883feff59f1127fb5e6d)
dataset = xdr_data
| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
    action_process_image_sha256 = "41ca8f39c7f97ae857585f1a4e4ab2b07037c232f0ca883feff59f1127fb5e6d"
    or ((lowercase(action_process_image_name) = "omaha_tagged.exe"
        or lowercase(json_extract_scalar(action_process_file_info, "$.original_name")) = "installsiftupdatesetup.exe")
        and action_process_signature_status = ENUM.SIGNED
        and lowercase(action_process_signature_vendor) = "installsift test only code signing"
        and action_process_image_command_line ~= "(?is).*\s(?:(?:[-/]install|--install)(?:\s.*)?)$")
    or (lowercase(action_process_image_command_line) contains "appguid={5b2e1d3c-0000-4000-8000-00000000d001}"
        and action_process_image_command_line ~= "(?is).*\s(?:(?:[-/]install|--install)(?:\s.*)?)$"))
