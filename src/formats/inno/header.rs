//! The setup-0 records: the setup header, the entry lists up to the files,
//! and the data entries (file locations) of the second block stream.
//!
//! Layouts for setup data versions 5.5.0 through 6.4.x, from innoextract's
//! `src/setup/{header,language,message,permission,type,component,task,
//! directory,item,file,data,windows}.cpp`; each field is read through the
//! bounded [`Fields`] reader and every count is checked against the bytes
//! left, so no count or length read here allocates anything.

use super::stream::{decode, v, v4, Fields, Method, Version};
use crate::error::Error;

/// Oldest setup data version whose layout is implemented.
pub(crate) const OLDEST: Version = v(5, 5, 0);
/// Newest setup data version whose layout is implemented (6.5 changed the
/// records again; not known here).
pub(crate) const NEWEST: Version = v4(6, 4, 255, 255);

/// Facts of the setup header.
#[derive(Debug, Default)]
pub(crate) struct Header {
    pub app_name: String,
    pub app_versioned_name: String,
    pub app_id: String,
    pub app_publisher: String,
    pub app_version: String,
    pub default_dir_name: String,
    pub uninstallable: String,
    pub arch_allowed: String,
    pub arch_64bit: String,
    pub counts: Counts,
    pub privileges: Option<&'static str>,
    pub compression: Option<Method>,
    pub password: bool,
    pub encryption: bool,
}

/// Entry counts the header declares.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    pub languages: u32,
    pub messages: u32,
    pub permissions: u32,
    pub types: u32,
    pub components: u32,
    pub tasks: u32,
    pub directories: u32,
    pub files: u32,
    pub data_entries: u32,
    pub icons: u32,
    pub ini_entries: u32,
    pub registry_entries: u32,
    pub delete_entries: u32,
    pub uninstall_delete_entries: u32,
    pub run_entries: u32,
    pub uninstall_run_entries: u32,
}

/// A `[Files]` entry.
#[derive(Debug, Clone)]
pub(crate) struct FileEntry {
    pub source: String,
    pub destination: String,
    /// Index into the data entries; `u32::MAX` for external files.
    pub location: u32,
    pub external_size: u64,
}

/// A data entry: where a file's bytes are in setup-1.
#[derive(Debug, Clone)]
pub(crate) struct DataEntry {
    pub first_slice: u32,
    pub last_slice: u32,
    /// Offset of the chunk (its `zlb\x1a` magic) from the start of setup-1.
    pub chunk_offset: u32,
    /// Offset of the file in the decompressed chunk.
    pub file_offset: u64,
    pub file_size: u64,
    /// Compressed chunk size (after the magic).
    pub chunk_size: u64,
    /// SHA-1 (5.3.9 to 6.3) or SHA-256 (6.4+) of the file.
    pub checksum: Checksum,
    pub call_filter: bool,
    pub compressed: bool,
    pub encrypted: bool,
}

/// A stored file checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Checksum {
    Sha1([u8; 20]),
    Sha256([u8; 32]),
}

/// Is this data version's layout implemented?
pub(crate) fn supported(ver: Version) -> bool {
    (OLDEST..=NEWEST).contains(&ver)
}

fn string(f: &mut Fields<'_>, u: bool, what: &str) -> Result<String, Error> {
    Ok(decode(f.raw_string(what)?, u))
}

fn skip_strings(f: &mut Fields<'_>, n: usize, what: &str) -> Result<(), Error> {
    for _ in 0..n {
        f.raw_string(what)?;
    }
    Ok(())
}

/// Windows version range (`TSetupVersionData` min and only-below): 20 bytes.
const WINVER: usize = 20;

/// Parse the setup header of a 5.5.0–6.4.x setup. `f` is positioned at the
/// start of the first block stream's data.
pub(crate) fn parse_header(f: &mut Fields<'_>, ver: Version, u: bool) -> Result<Header, Error> {
    let mut h = Header {
        app_name: string(f, u, "AppName")?,
        app_versioned_name: string(f, u, "AppVerName")?,
        app_id: string(f, u, "AppId")?,
        ..Header::default()
    };
    f.raw_string("AppCopyright")?;
    h.app_publisher = string(f, u, "AppPublisher")?;
    // AppPublisherURL, AppSupportPhone, AppSupportURL, AppUpdatesURL
    skip_strings(f, 4, "AppSupportURL")?;
    h.app_version = string(f, u, "AppVersion")?;
    h.default_dir_name = string(f, u, "DefaultDirName")?;
    // DefaultGroupName, BaseFilename, UninstallFilesDir, UninstallDisplayName,
    // UninstallDisplayIcon, AppMutex, DefaultUserInfoName, …Org, …Serial,
    // AppReadmeFile, AppContact, AppComments, AppModifyPath,
    // CreateUninstallRegKey
    skip_strings(f, 14, "header string")?;
    h.uninstallable = string(f, u, "Uninstallable")?;
    f.raw_string("CloseApplicationsFilter")?;
    if ver >= v(5, 5, 6) {
        f.raw_string("SetupMutex")?;
    }
    if ver >= v(5, 6, 1) {
        skip_strings(f, 2, "ChangesEnvironment")?;
    }
    if ver >= v(6, 3, 0) {
        h.arch_allowed = string(f, u, "ArchitecturesAllowed")?;
        h.arch_64bit = string(f, u, "ArchitecturesInstallIn64BitMode")?;
    }
    // License, InfoBefore, InfoAfter (always ANSI), compiled [Code].
    skip_strings(f, 4, "license / info / code")?;
    if !u {
        f.skip(32, "LeadBytes")?;
    }
    let mut c = Counts::default();
    for slot in [
        &mut c.languages,
        &mut c.messages,
        &mut c.permissions,
        &mut c.types,
        &mut c.components,
        &mut c.tasks,
        &mut c.directories,
        &mut c.files,
        &mut c.data_entries,
        &mut c.icons,
        &mut c.ini_entries,
        &mut c.registry_entries,
        &mut c.delete_entries,
        &mut c.uninstall_delete_entries,
        &mut c.run_entries,
        &mut c.uninstall_run_entries,
    ] {
        *slot = f.u32("entry count")?;
    }
    h.counts = c;
    f.skip(WINVER, "MinVersion / OnlyBelowVersion")?;
    if ver < v4(6, 4, 0, 1) {
        f.skip(8, "BackColor")?;
    }
    if ver < v(5, 5, 7) {
        f.skip(4, "ImageBackColor")?;
    }
    if ver >= v(6, 0, 0) {
        f.skip(9, "WizardStyle / WizardSizePercent")?;
    }
    if ver >= v(5, 5, 7) {
        f.skip(1, "WizardImageAlphaFormat")?;
    }
    if ver >= v(6, 4, 0) {
        f.skip(4 + 44, "password test / salt")?;
    } else {
        f.skip(20 + 8, "password hash / salt")?;
    }
    f.skip(8 + 4, "ExtraDiskSpaceRequired / SlicesPerDisk")?;
    f.skip(2, "UninstallLogMode / DirExistsWarning")?;
    h.privileges = match f.u8("PrivilegesRequired")? {
        0 => Some("none"),
        1 => Some("poweruser"),
        2 => Some("admin"),
        3 => Some("lowest"),
        _ => None,
    };
    if ver >= v(5, 7, 0) {
        f.flags(2, "PrivilegesRequiredOverridesAllowed")?;
    }
    f.skip(2, "ShowLanguageDialog / LanguageDetectionMethod")?;
    let comp = f.u8("Compression")?;
    h.compression = Method::from_byte(comp);
    if h.compression.is_none() {
        return Err(Error::malformed(format!("compression method {comp}")));
    }
    if ver < v(6, 3, 0) {
        let n = if ver >= v(5, 6, 0) { 5 } else { 4 };
        let allowed = f.flags(n, "ArchitecturesAllowed")?;
        let bits64 = f.flags(n, "ArchitecturesInstallIn64BitMode")?;
        h.arch_allowed = arch_names(allowed, n);
        h.arch_64bit = arch_names(bits64, n);
    }
    f.skip(2, "DisableDirPage / DisableProgramGroupPage")?;
    f.skip(8, "UninstallDisplaySize")?;
    let (password, encryption) = header_flags(f, ver, u)?;
    h.password = password;
    h.encryption = encryption;
    Ok(h)
}

/// Architecture flag names (5.1–6.2 store a set, 6.3+ an expression).
fn arch_names(bits: u64, n: usize) -> String {
    let names: &[&str] = if n == 5 {
        &["unknown", "x86", "x64", "ia64", "arm64"]
    } else {
        &["unknown", "x86", "x64", "ia64"]
    };
    let all = (1u64 << n) - 1;
    if bits & all == all {
        return String::new();
    }
    names
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, s)| *s)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The header's option set; returns (Password, EncryptionUsed).
fn header_flags(f: &mut Fields<'_>, ver: Version, u: bool) -> Result<(bool, bool), Error> {
    // The 5.5+ flag order (innoextract `header::load_flags`), by name, with
    // the ones each version lacks left out.
    let mut names: Vec<&str> = vec![
        "DisableStartupPrompt",
        "CreateAppDir",
        "AllowNoIcons",
        "AlwaysRestart",
        "AlwaysUsePersonalGroup",
    ];
    if ver < v4(6, 4, 0, 1) {
        names.extend([
            "WindowVisible",
            "WindowShowCaption",
            "WindowResizable",
            "WindowStartMaximized",
        ]);
    }
    names.extend([
        "EnableDirDoesntExistWarning",
        "Password",
        "AllowRootDirectory",
        "DisableFinishedPage",
    ]);
    if ver < v(5, 6, 1) {
        names.push("ChangesAssociations");
    }
    names.push("UsePreviousAppDir");
    if ver < v4(6, 4, 0, 1) {
        names.push("BackColorHorizontal");
    }
    names.extend([
        "UsePreviousGroup",
        "UpdateUninstallLogAppName",
        "UsePreviousSetupType",
        "DisableReadyMemo",
        "AlwaysShowComponentsList",
        "FlatComponentsList",
        "ShowComponentSizes",
        "UsePreviousTasks",
        "DisableReadyPage",
        "AlwaysShowDirOnReadyPage",
        "AlwaysShowGroupOnReadyPage",
        "AllowUNCPath",
        "UserInfoPage",
        "UsePreviousUserInfo",
        "UninstallRestartComputer",
        "RestartIfNeededByRun",
        "ShowTasksTreeLines",
        "AllowCancelDuringInstall",
        "WizardImageStretch",
        "AppendDefaultDirName",
        "AppendDefaultGroupName",
        "EncryptionUsed",
    ]);
    if ver < v(5, 6, 1) {
        names.push("ChangesEnvironment");
    }
    if !u {
        names.push("ShowUndisplayableLanguages");
    }
    names.extend([
        "SetupLogging",
        "SignedUninstaller",
        "UsePreviousLanguage",
        "DisableWelcomePage",
        "CloseApplications",
        "RestartApplications",
        "AllowNetworkDrive",
    ]);
    if ver >= v(5, 5, 7) {
        names.push("ForceCloseApplications");
    }
    if ver >= v(6, 0, 0) {
        names.extend([
            "AppNameHasConsts",
            "UsePreviousPrivileges",
            "WizardResizable",
        ]);
    }
    if ver >= v(6, 3, 0) {
        names.push("UninstallLogging");
    }
    let bits = f.flags(names.len(), "header options")?;
    let has = |n: &str| {
        names
            .iter()
            .position(|x| *x == n)
            .is_some_and(|i| bits & (1 << i) != 0)
    };
    Ok((has("Password"), has("EncryptionUsed")))
}

/// Skip the language, message, permission, type, component, task and
/// directory entries, then read the file entries (at most `max_files`; the
/// rest are counted by the caller). Each loop reads at least one field per
/// entry, so a hostile count ends at the end of the bytes.
pub(crate) fn parse_entries(
    f: &mut Fields<'_>,
    ver: Version,
    u: bool,
    c: &Counts,
    max_files: u64,
) -> Result<Vec<FileEntry>, Error> {
    for _ in 0..c.languages {
        // Name, LanguageName, DialogFont, TitleFont, WelcomeFont,
        // CopyrightFont, Data, LicenseText, InfoBefore, InfoAfter
        skip_strings(f, 10, "language entry")?;
        f.skip(4, "LanguageID")?;
        if !u {
            f.skip(4, "LanguageCodePage")?;
        }
        f.skip(16 + 1, "language font sizes / RightToLeft")?;
    }
    for _ in 0..c.messages {
        skip_strings(f, 2, "message entry")?;
        f.skip(4, "message language")?;
    }
    for _ in 0..c.permissions {
        f.raw_string("permission entry")?;
    }
    for _ in 0..c.types {
        // Name, Description, Languages, Check
        skip_strings(f, 4, "type entry")?;
        f.skip(WINVER + 1 + 1 + 8, "type entry")?;
    }
    for _ in 0..c.components {
        // Name, Description, Types, Languages, Check
        skip_strings(f, 5, "component entry")?;
        // ExtraDiskSpace, Level, Used, versions, flags (5 → 1 byte), size
        f.skip(8 + 4 + 1 + WINVER + 1 + 8, "component entry")?;
    }
    for _ in 0..c.tasks {
        // Name, Description, GroupDescription, Components, Languages, Check
        skip_strings(f, 6, "task entry")?;
        // Level, Used, versions, flags (5 → 1 byte)
        f.skip(4 + 1 + WINVER + 1, "task entry")?;
    }
    for _ in 0..c.directories {
        // Name + condition data (Components, Tasks, Languages, Check,
        // AfterInstall, BeforeInstall)
        skip_strings(f, 7, "directory entry")?;
        // Attributes, versions, Permission, flags (5 → 1 byte)
        f.skip(4 + WINVER + 2 + 1, "directory entry")?;
    }
    let _ = ver;
    let mut files = Vec::new();
    for i in 0..c.files {
        let source = string(f, u, "file Source")?;
        let destination = string(f, u, "file DestName")?;
        // FontInstall, StrongAssemblyName + condition data
        skip_strings(f, 8, "file entry")?;
        f.skip(WINVER, "file versions")?;
        let location = f.u32("file location")?;
        f.skip(4, "file attributes")?;
        let external_size = f.u64("file ExternalSize")?;
        // Permission, 32 option flags
        f.skip(2 + 4, "file options")?;
        // 0: a user file; 1: the uninstaller (written by Setup itself, no
        // data entry); 2: RegSvr. Only user files are listed, as innoextract does.
        let kind = f.u8("file type")?;
        if kind == 0 && u64::from(i) < max_files {
            files.push(FileEntry {
                source,
                destination,
                location,
                external_size,
            });
        }
    }
    Ok(files)
}

/// Read the data entries of the second block stream.
pub(crate) fn parse_data_entries(
    f: &mut Fields<'_>,
    ver: Version,
    count: u32,
    max: u64,
) -> Result<Vec<DataEntry>, Error> {
    let mut out = Vec::new();
    for i in 0..count {
        let first_slice = f.u32("data FirstSlice")?;
        let last_slice = f.u32("data LastSlice")?;
        let chunk_offset = f.u32("data StartOffset")?;
        let file_offset = f.u64("data ChunkSuboffset")?;
        let file_size = f.u64("data OriginalSize")?;
        let chunk_size = f.u64("data ChunkCompressedSize")?;
        let checksum = if ver >= v(6, 4, 0) {
            let mut a = [0u8; 32];
            a.copy_from_slice(f.bytes(32, "data SHA256Sum")?);
            Checksum::Sha256(a)
        } else {
            let mut a = [0u8; 20];
            a.copy_from_slice(f.bytes(20, "data SHA1Sum")?);
            Checksum::Sha1(a)
        };
        f.skip(8 + 8, "data TimeStamp / FileVersion")?;
        // VersionInfoValid, VersionInfoNotValid, TimeStampInUTC,
        // IsUninstallerExe, CallInstructionOptimized, Touch, ChunkEncrypted,
        // ChunkCompressed, SolidBreak (+ Sign, SignOnce for 5.5.7–6.2)
        let n = if ver >= v(5, 5, 7) && ver < v(6, 3, 0) {
            11
        } else {
            9
        };
        let bits = f.flags(n, "data flags")?;
        if ver >= v(6, 3, 0) {
            f.skip(1, "data Sign")?;
        }
        if u64::from(i) < max {
            out.push(DataEntry {
                first_slice,
                last_slice,
                chunk_offset,
                file_offset,
                file_size,
                chunk_size,
                checksum,
                call_filter: bits & (1 << 4) != 0,
                encrypted: bits & (1 << 6) != 0,
                compressed: bits & (1 << 7) != 0,
            });
        }
    }
    Ok(out)
}
