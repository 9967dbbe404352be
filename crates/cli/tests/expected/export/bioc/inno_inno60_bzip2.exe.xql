// installsift behaviour rules for Cortex XDR (BIOC as XQL), 2024-06-01T00:00:00Z
// One query per rule: run it in XQL Search, then save it as a BIOC rule.
// Not run against a Cortex XDR tenant: field names are from the XQL schema reference.

// ---- installsift: inno installer inno60_bzip2.exe run (b2f937e4b74b)
// id: 075ed35e-760d-5089-92f8-8a7786f7650a
// severity: high
// fact: installsift scan: inno installer 'inno60_bzip2.exe' (SHA-256 b2f937e4b74bb32850ff1207d7dbfff65289901210003bc25530196ab26a86fb, engine version 6.0.0)
// fact: evidence: pe-header: PE32 x86 exe; pe-overlay: 710839 bytes of payload in `[overlay]`; inno-setup-e32-block: compressed Setup.e32 at 0xb5a1e: 169 block CRC32s match; pe-carries-installer: overlay `[overlay]` is a inno installer (inno)
// matches: this exact file by SHA-256 under any name and arguments
// matches: a program named 'inno60_bzip2.exe' started with /SILENT, /VERYSILENT or /LOADINF=… (issrc Projects/Src/Setup.MainFunc.pas: whole words, any case, / only; /LOADINF= reads Silent=/VerySilent= from the file's [Setup] section)
// misses: copies with another hash (rebuilt, re-signed, repacked) run interactively, with the switch written otherwise (quoted), or renamed; what the installer extracts and starts (nested installers and packages have their own rules with --depth all)
// reference: installsift scan of inno60_bzip2.exe (SHA-256 b2f937e4b74bb32850ff1207d7dbfff65289901210003bc25530196ab26a86fb)
dataset = xdr_data
| filter event_type = ENUM.PROCESS and event_sub_type = ENUM.PROCESS_START and (
    action_process_image_sha256 = "b2f937e4b74bb32850ff1207d7dbfff65289901210003bc25530196ab26a86fb"
    or (lowercase(action_process_image_name) = "inno60_bzip2.exe"
        and action_process_image_command_line ~= "(?is).*\s(?:(?:/silent|/verysilent)(?:\s.*)?|/loadinf=.*)$"))
