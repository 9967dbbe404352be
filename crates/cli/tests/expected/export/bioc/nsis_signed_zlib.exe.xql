// installsift behaviour rules for Cortex XDR (BIOC as XQL), 2024-06-01T00:00:00Z
// One query per rule: run it in XQL Search, then save it as a BIOC rule.
// Not run against a Cortex XDR tenant: field names are from the XQL schema reference.

// ---- installsift: nsis installer signed_zlib.exe run (1fdb30de5eeb)
// id: c5a4dbce-77d8-5c2c-bfec-9bacf13234b8
// severity: high
// fact: installsift scan: nsis installer 'signed_zlib.exe' (SHA-256 1fdb30de5eebcb105194ec10ed7959ee722bb0a963e7ec5b1aeb41a3425e4592, engine version 3.08-3+deb12u1)
// fact: evidence: pe-header: PE32 x86 exe; pe-certificate-table: 1744 bytes; pe-overlay: 22736 bytes of payload in `[overlay]`; authenticode-signer: Authenticode sha256 signature by installsift TEST ONLY code signing (installsift test corpus (TEST ONLY, not trusted)): its signed digest matches the file; trust chain not validated
// fact: Authenticode signer 'installsift TEST ONLY code signing', O='installsift test corpus (TEST ONLY, not trusted)' (issuer 'CN=installsift TEST ONLY code signing, O=installsift test corpus (TEST ONLY, not trusted), C=XX', serial 1157; the signed digest matches the file; the chain was not validated)
// matches: this exact file by SHA-256 under any name and arguments
// matches: a program named 'signed_zlib.exe', validly signed by 'installsift TEST ONLY code signing', started with /S (case-sensitive) (NSIS Source/exehead/Main.c: /S, uppercase, as its own word)
// misses: copies with another hash (rebuilt, re-signed, repacked) run interactively, with the switch written otherwise (quoted), or renamed; what the installer extracts and starts (nested installers and packages have their own rules with --depth all)
// signer: action_process_signature_vendor is compared with the certificate's subject CN (which subject field Cortex reports is not verified); ENUM.SIGNED needs a chain the endpoint trusts
// reference: installsift scan of signed_zlib.exe (SHA-256 1fdb30de5eebcb105194ec10ed7959ee722bb0a963e7ec5b1aeb41a3425e4592)
dataset = xdr_data
| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
    action_process_image_sha256 = "1fdb30de5eebcb105194ec10ed7959ee722bb0a963e7ec5b1aeb41a3425e4592"
    or (lowercase(action_process_image_name) = "signed_zlib.exe"
        and action_process_signature_status = ENUM.SIGNED
        and lowercase(action_process_signature_vendor) = "installsift test only code signing"
        and action_process_image_command_line ~= "(?s).*\s(?:(?:/S)(?:\s.*)?)$"))
