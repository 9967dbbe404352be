//! The setup-0 records: the setup header, every entry list of the first
//! block stream (languages to uninstall-run entries, wizard images and
//! helper DLLs), and the data entries (file locations) of the second.
//!
//! Layouts for every setup data version from 1.2.10 (16- and 32-bit) and
//! the My Inno Setup Extensions (ISX) variants through 6.4.x. Which field
//! exists in which version is taken from innoextract's
//! `src/setup/{header,language,message,permission,type,component,task,
//! directory,item,file,icon,ini,registry,delete,run,data,windows,info}.cpp`
//! (facts; the code is ours). Each field is read through the bounded
//! [`Fields`] reader and every count is checked against the bytes left, so
//! no count or length read here allocates anything.
//!
//! The whole first block is parsed, and it must end where the last record
//! ends: that is how a wrong layout guess shows (several data versions were
//! released with the ID of the previous one; see [`candidates`]).

use super::stream::{decode, decode_ansi, v, v4, CallFilter, DataId, Fields, Method, Version};
use installsift_model::error::Error;
use installsift_model::hash;

/// Oldest setup data version whose layout is implemented.
pub(crate) const OLDEST: Version = v(1, 2, 10);
/// Newest setup data version whose layout is implemented: the IDs 6.5.0,
/// 6.5.2, 6.6.0, 6.6.1 and 6.7.0 (issrc `Shared.Struct.pas` at the tags
/// is-6_5_0 … is-6_7_3; 6.7.1–6.7.3 kept the 6.7.0 ID and records). The
/// next ID on issrc's main (7.0.0.x) is only recognised.
pub(crate) const NEWEST: Version = v4(6, 7, 255, 255);

/// Is this data version's layout implemented?
pub(crate) fn supported(ver: Version) -> bool {
    (OLDEST..=NEWEST).contains(&ver)
}

/// The variant a layout is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub v: Version,
    pub unicode: bool,
    pub isx: bool,
    pub bits16: bool,
}

impl Layout {
    pub(crate) fn of(id: &DataId) -> Layout {
        Layout {
            v: id.version,
            unicode: id.unicode,
            isx: id.isx,
            bits16: id.bits16,
        }
    }

    fn ge(&self, a: u32, b: u32, c: u32) -> bool {
        self.v >= v(a, b, c)
    }

    fn lt(&self, a: u32, b: u32, c: u32) -> bool {
        self.v < v(a, b, c)
    }

    /// An ISX setup at least this ISX version.
    fn isx_ge(&self, a: u32, b: u32, c: u32) -> bool {
        self.isx && self.ge(a, b, c)
    }

    /// Windows version range (`TSetupVersionData` min and only-below).
    fn winver(&self) -> usize {
        if self.ge(1, 3, 19) {
            20
        } else {
            8
        }
    }
}

/// Data versions that were released with the ID of an older layout (from
/// innoextract's `version::is_ambiguous` and its table of known IDs): the
/// ID's version, then the layouts to try after it, in order.
pub(crate) fn candidates(l: Layout) -> Vec<Version> {
    let mut out = vec![l.v];
    let next: &[Version] = match l.v {
        x if x == v(1, 3, 21) => &[v(1, 3, 24)],
        x if x == v(2, 0, 1) => &[v(2, 0, 2)],
        x if x == v(3, 0, 3) => &[v(3, 0, 4)],
        x if x == v(4, 2, 3) => &[v(4, 2, 4)],
        x if x == v(5, 3, 10) => &[v4(5, 3, 10, 1)],
        x if x == v(5, 4, 2) => &[v4(5, 4, 2, 1)],
        x if x == v(5, 5, 0) => &[v4(5, 5, 0, 1)],
        x if x == v(5, 5, 7) => &[v4(5, 5, 7, 1), v(5, 6, 0), v(5, 6, 2)],
        _ => &[],
    };
    out.extend_from_slice(next);
    out
}

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
    /// Before 6.4: the password check value (SHA-1 from 5.3.9, MD5 from
    /// 4.2.0, CRC-32 before) and its salt (8 bytes from 4.2.2).
    pub password_hash: Vec<u8>,
    pub password_salt: Vec<u8>,
    /// `SevenZipLibraryName` (6.5+): when set, the 7-Zip DLL follows the
    /// wizard images in the first block.
    pub seven_zip_library: bool,
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
    /// `[ISSigKeys]` entries (6.5+).
    pub issig_keys: u32,
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
    /// Index into the data entries; `u32::MAX` (`u16::MAX` in 16-bit
    /// setups) for external files.
    pub location: u32,
    pub external_size: u64,
}

/// A data entry: where a file's bytes are in setup-1.
#[derive(Debug, Clone)]
pub(crate) struct DataEntry {
    /// Disk slices, 0-based (1.x–3.x store them 1-based).
    pub first_slice: u32,
    pub last_slice: u32,
    /// Offset of the chunk (its `zlb\x1a` magic) from the start of setup-1
    /// (a Longint before 6.5.2, an Int64 from then on).
    pub chunk_offset: u64,
    /// Offset of the file in the decompressed chunk (0 before 4.0.1: one
    /// chunk per file).
    pub file_offset: u64,
    pub file_size: u64,
    /// Compressed chunk size (after the magic).
    pub chunk_size: u64,
    /// The checksum the setup stores for the file.
    pub checksum: Checksum,
    /// The call-instruction filter the file went through, if any.
    pub call_filter: Option<CallFilter>,
    /// How the chunk is compressed (the header's method, stored, or bzip2
    /// for 2.0.17–4.0.0 entries flagged `BZipped`).
    pub method: Method,
    pub encrypted: bool,
    /// The file's time as the compiler stored it (a FILETIME: UTC with the
    /// `TimeStampInUTC` flag, else the compiling machine's local time;
    /// `None` in 16-bit setups and when the field holds no time).
    pub mtime: Option<installsift_model::Timestamp>,
}

/// A stored file checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Checksum {
    /// Before 4.0.1.
    Adler32(u32),
    /// 4.0.1 to 4.1.x.
    Crc32(u32),
    /// 4.2.0 to 5.3.8.
    Md5(hash::Md5),
    /// 5.3.9 to 6.3.x.
    Sha1(hash::Sha1),
    /// 6.4.0+.
    Sha256(hash::Sha256),
}

/// Everything the first block stream holds that we report.
#[derive(Debug)]
pub(crate) struct Setup0 {
    pub header: Header,
    pub files: Vec<FileEntry>,
    /// Bytes of the block after its last record (0 when the layout fits).
    pub trailing: usize,
}

fn skip_strings(f: &mut Fields<'_>, n: usize, what: &str) -> Result<(), Error> {
    for _ in 0..n {
        f.raw_string(what)?;
    }
    Ok(())
}

/// Read a flag set whose members are listed by name (`None`: absent in
/// this version), and return the set bits' names.
fn flag_set(
    f: &mut Fields<'_>,
    l: Layout,
    names: &[Option<&'static str>],
    what: &str,
) -> Result<Vec<&'static str>, Error> {
    flag_set_min(f, l, names, 0, what)
}

/// [`flag_set`] over a set of at least `min_bits` members (6.7's sets are
/// padded with an unused member numbered 56, so they take 8 bytes in the
/// 32- and 64-bit builds alike).
fn flag_set_min(
    f: &mut Fields<'_>,
    l: Layout,
    names: &[Option<&'static str>],
    min_bits: usize,
    what: &str,
) -> Result<Vec<&'static str>, Error> {
    let present: Vec<&'static str> = names.iter().flatten().copied().collect();
    let bits = f.flags_pad(present.len().max(min_bits), !l.bits16, what)?;
    Ok(present
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 64 && bits & (1u64 << i) != 0)
        .map(|(_, n)| *n)
        .collect())
}

/// `Some(name)` when `cond`.
fn on(cond: bool, name: &'static str) -> Option<&'static str> {
    cond.then_some(name)
}

/// The header's strings kept raw until the codepage is known.
#[derive(Default)]
struct RawHeader<'a> {
    app_name: &'a [u8],
    app_versioned_name: &'a [u8],
    app_id: &'a [u8],
    app_publisher: &'a [u8],
    app_version: &'a [u8],
    default_dir_name: &'a [u8],
    uninstallable: &'a [u8],
    arch_allowed: &'a [u8],
    arch_64bit: &'a [u8],
    seven_zip: &'a [u8],
}

/// Parse the setup header. `f` is positioned at the start of the first
/// block stream's data.
fn parse_header<'a>(f: &mut Fields<'a>, l: Layout) -> Result<(Header, RawHeader<'a>), Error> {
    let mut h = Header::default();
    let mut r = RawHeader::default();
    if l.lt(1, 3, 0) {
        f.skip(4, "header size")?;
    }
    r.app_name = f.raw_string("AppName")?;
    r.app_versioned_name = f.raw_string("AppVerName")?;
    if l.ge(1, 3, 0) {
        r.app_id = f.raw_string("AppId")?;
    }
    f.raw_string("AppCopyright")?;
    if l.ge(1, 3, 0) {
        r.app_publisher = f.raw_string("AppPublisher")?;
        f.raw_string("AppPublisherURL")?;
    }
    if l.ge(5, 1, 13) {
        f.raw_string("AppSupportPhone")?;
    }
    if l.ge(1, 3, 0) {
        skip_strings(f, 2, "AppSupportURL / AppUpdatesURL")?;
        r.app_version = f.raw_string("AppVersion")?;
    }
    r.default_dir_name = f.raw_string("DefaultDirName")?;
    f.raw_string("DefaultGroupName")?;
    if l.lt(3, 0, 0) {
        f.raw_string("UninstallIconName")?;
    }
    f.raw_string("BaseFilename")?;
    if l.ge(1, 3, 0) && l.lt(5, 2, 5) {
        skip_strings(f, 3, "license / info texts")?;
    }
    if l.ge(1, 3, 3) {
        f.raw_string("UninstallFilesDir")?;
    }
    if l.ge(1, 3, 6) {
        skip_strings(f, 2, "UninstallDisplayName / Icon")?;
    }
    if l.ge(1, 3, 14) {
        f.raw_string("AppMutex")?;
    }
    if l.ge(3, 0, 0) {
        skip_strings(f, 2, "DefaultUserInfoName / Org")?;
    }
    if l.ge(4, 0, 0) || (l.isx && l.v >= v4(3, 0, 6, 1)) {
        f.raw_string("DefaultUserInfoSerial")?;
    }
    if (l.ge(4, 0, 0) && l.lt(5, 2, 5)) || l.isx_ge(1, 3, 24) {
        f.raw_string("CompiledCodeText")?;
    }
    if l.ge(4, 2, 4) {
        skip_strings(f, 4, "AppReadmeFile / Contact / Comments / ModifyPath")?;
    }
    if l.ge(5, 3, 8) {
        f.raw_string("CreateUninstallRegKey")?;
    }
    if l.ge(5, 3, 10) {
        r.uninstallable = f.raw_string("Uninstallable")?;
    }
    if l.ge(5, 5, 0) {
        f.raw_string("CloseApplicationsFilter")?;
    }
    if l.ge(5, 5, 6) {
        f.raw_string("SetupMutex")?;
    }
    if l.ge(5, 6, 1) {
        skip_strings(f, 2, "ChangesEnvironment / ChangesAssociations")?;
    }
    if l.ge(6, 3, 0) {
        r.arch_allowed = f.raw_string("ArchitecturesAllowed")?;
        r.arch_64bit = f.raw_string("ArchitecturesInstallIn64BitMode")?;
    }
    if l.ge(6, 4, 2) {
        f.raw_string("CloseApplicationsFilterExcludes")?;
    }
    if l.ge(6, 5, 0) {
        r.seven_zip = f.raw_string("SevenZipLibraryName")?;
        h.seven_zip_library = !r.seven_zip.is_empty();
    }
    if l.ge(6, 7, 0) {
        skip_strings(
            f,
            5,
            "UsePreviousAppDir / Group / SetupType / Tasks / UserInfo",
        )?;
    }
    if l.ge(5, 2, 5) {
        skip_strings(f, 3, "license / info texts")?;
    }
    if l.ge(5, 2, 1) && l.lt(5, 3, 10) {
        f.raw_string("UninstallerSignature")?;
    }
    if l.ge(5, 2, 5) {
        f.raw_string("CompiledCodeText")?;
    }
    if l.ge(2, 0, 6) && !l.unicode {
        f.skip(32, "LeadBytes")?;
    }
    let mut c = Counts::default();
    if l.ge(4, 0, 0) {
        c.languages = f.u32("NumLanguageEntries")?;
    } else if l.ge(2, 0, 1) {
        c.languages = 1;
    }
    if l.ge(4, 2, 1) {
        c.messages = f.u32("NumCustomMessageEntries")?;
    }
    if l.ge(4, 1, 0) {
        c.permissions = f.u32("NumPermissionEntries")?;
    }
    if l.ge(2, 0, 0) || l.isx {
        c.types = f.u32("NumTypeEntries")?;
        c.components = f.u32("NumComponentEntries")?;
    }
    if l.ge(2, 0, 0) || l.isx_ge(1, 3, 17) {
        c.tasks = f.u32("NumTaskEntries")?;
    }
    c.directories = f.int(l.bits16, "NumDirEntries")?;
    if l.ge(6, 5, 0) {
        c.issig_keys = f.u32("NumISSigKeyEntries")?;
    }
    for slot in [
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
        *slot = f.int(l.bits16, "entry count")?;
    }
    h.counts = c;
    let mut texts = [0u32; 3];
    if l.lt(1, 3, 0) {
        for t in &mut texts {
            *t = f.int(l.bits16, "license / info size")?;
        }
    }
    f.skip(l.winver(), "MinVersion / OnlyBelowVersion")?;
    if l.v < v4(6, 4, 0, 1) {
        f.skip(4, "BackColor")?;
    }
    if l.ge(1, 3, 3) && l.v < v4(6, 4, 0, 1) {
        f.skip(4, "BackColor2")?;
    }
    if l.lt(5, 5, 7) {
        f.skip(4, "WizardImageBackColor")?;
    }
    if (l.ge(2, 0, 0) && l.lt(5, 0, 4)) || l.isx {
        f.skip(4, "WizardSmallImageBackColor")?;
    }
    if l.ge(6, 6, 0) {
        f.skip(9, "WizardSizePercent / WizardDarkStyle")?;
    } else if l.ge(6, 0, 0) {
        f.skip(9, "WizardStyle / WizardSizePercent")?;
    }
    if l.ge(5, 5, 7) {
        f.skip(1, "WizardImageAlphaFormat")?;
    }
    if l.ge(6, 7, 0) {
        // Three back colours, their dynamic-dark twins, two opacities,
        // WizardLightControlStyling.
        f.skip(12 + 12 + 2 + 1, "wizard colours / opacities / styling")?;
    } else {
        if l.ge(6, 5, 2) {
            f.skip(8, "WizardImageBackColor / WizardSmallImageBackColor")?;
        }
        if l.ge(6, 6, 0) {
            f.skip(8, "wizard image back colours (dynamic dark)")?;
        }
        if l.ge(6, 6, 1) {
            f.skip(1, "WizardImageOpacity")?;
        }
    }
    // 6.5 moved the password test, KDF salt/iterations and base nonce to
    // the encryption header before the first block.
    let password_len = if l.ge(6, 5, 0) {
        0
    } else if l.ge(6, 4, 0) {
        4
    } else if l.ge(5, 3, 9) {
        20
    } else if l.ge(4, 2, 0) {
        16
    } else {
        4
    };
    let hash = f.bytes(password_len, "password hash")?;
    let salt_len = if l.ge(6, 5, 0) {
        0
    } else if l.ge(6, 4, 0) {
        44
    } else if l.ge(4, 2, 2) {
        8
    } else {
        0
    };
    let salt = f.bytes(salt_len, "password salt / KDF / nonce")?;
    if l.lt(6, 4, 0) {
        h.password_hash = hash.to_vec();
        h.password_salt = salt.to_vec();
    }
    if l.ge(4, 0, 0) {
        f.skip(8 + 4, "ExtraDiskSpaceRequired / SlicesPerDisk")?;
    } else {
        f.skip(4, "ExtraDiskSpaceRequired")?;
    }
    if (l.ge(2, 0, 0) && l.lt(5, 0, 0)) || l.isx_ge(1, 3, 4) {
        f.skip(1, "InstallMode")?;
    }
    if l.ge(1, 3, 0) {
        f.skip(1, "UninstallLogMode")?;
    }
    if l.lt(5, 0, 0) && (l.ge(2, 0, 0) || l.isx_ge(1, 3, 13)) {
        f.skip(1, "UninstallStyle")?;
    }
    if l.ge(1, 3, 6) {
        f.skip(1, "DirExistsWarning")?;
    }
    if l.isx && l.ge(2, 0, 10) && l.lt(3, 0, 0) {
        f.skip(4, "CodeLineOffset")?;
    }
    if l.ge(3, 0, 0) && l.lt(3, 0, 3) {
        f.skip(1, "AlwaysRestart")?;
    }
    let privileges = |b: u8, n: u8| -> Option<&'static str> {
        (b < n).then(|| ["none", "poweruser", "admin", "lowest"][usize::from(b)])
    };
    if l.ge(5, 3, 7) {
        let b = f.u8("PrivilegesRequired")?;
        h.privileges = privileges(b, 4);
        if h.privileges.is_none() {
            return Err(Error::malformed(format!("PrivilegesRequired {b}")));
        }
    } else if l.ge(3, 0, 4) || l.isx_ge(3, 0, 3) {
        let b = f.u8("PrivilegesRequired")?;
        h.privileges = privileges(b, 3);
        if h.privileges.is_none() {
            return Err(Error::malformed(format!("PrivilegesRequired {b}")));
        }
    }
    if l.ge(5, 7, 0) {
        f.flags(2, "PrivilegesRequiredOverridesAllowed")?;
    }
    if l.ge(4, 0, 10) {
        f.skip(2, "ShowLanguageDialog / LanguageDetectionMethod")?;
    }
    if l.ge(4, 1, 5) {
        let comp = f.u8("Compression")?;
        h.compression = Method::from_byte(comp, l.v);
        if h.compression.is_none() {
            return Err(Error::malformed(format!(
                "compression method {comp} (setup data {})",
                l.v
            )));
        }
    }
    if l.lt(6, 3, 0) && l.ge(5, 1, 0) {
        let n = if l.ge(5, 6, 0) { 5 } else { 4 };
        let allowed = f.flags(n, "ArchitecturesAllowed")?;
        let bits64 = f.flags(n, "ArchitecturesInstallIn64BitMode")?;
        h.arch_allowed = arch_names(allowed, n);
        h.arch_64bit = arch_names(bits64, n);
    }
    if l.ge(5, 2, 1) && l.lt(5, 3, 10) {
        f.skip(8, "signed uninstaller size / checksum")?;
    }
    if l.ge(5, 3, 3) {
        f.skip(2, "DisableDirPage / DisableProgramGroupPage")?;
    }
    if l.ge(5, 5, 0) {
        f.skip(8, "UninstallDisplaySize")?;
    } else if l.ge(5, 3, 6) {
        f.skip(4, "UninstallDisplaySize")?;
    }
    if [v4(5, 3, 10, 1), v4(5, 4, 2, 1), v4(5, 5, 0, 1)].contains(&l.v) {
        // A modified compiler (innoextract: "BlackBox v2?") writes one
        // more byte here under the official ID.
        f.skip(1, "variant byte")?;
    }
    let set = header_flags(f, l)?;
    h.password = set.contains(&"Password");
    h.encryption = set.contains(&"EncryptionUsed");
    if l.lt(3, 0, 4) && !(l.isx_ge(3, 0, 3)) {
        h.privileges = Some(if set.contains(&"AdminPrivilegesRequired") {
            "admin"
        } else {
            "none"
        });
    }
    if l.lt(4, 1, 5) {
        h.compression = Some(if set.contains(&"BzipUsed") {
            Method::Bzip2
        } else {
            Method::Zlib
        });
    }
    if l.lt(1, 3, 0) {
        for n in texts {
            f.skip(n as usize, "license / info text")?;
        }
    }
    Ok((h, r))
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

/// The header's option set (innoextract `header::load_flags`: the flags
/// in their stored order, each present from/until some version).
fn header_flags(f: &mut Fields<'_>, l: Layout) -> Result<Vec<&'static str>, Error> {
    let not16 = !l.bits16;
    // 6.7 made the UsePrevious* options expressions (header strings).
    let before67 = l.lt(6, 7, 0);
    let before6401 = l.v < v4(6, 4, 0, 1);
    let names = [
        Some("DisableStartupPrompt"),
        on(l.lt(5, 3, 10), "Uninstallable"),
        Some("CreateAppDir"),
        on(l.lt(5, 3, 3), "DisableDirPage"),
        on(l.lt(1, 3, 6), "DisableDirExistsWarning"),
        on(l.lt(5, 3, 3), "DisableProgramGroupPage"),
        Some("AllowNoIcons"),
        on(l.lt(3, 0, 0) || l.ge(3, 0, 3), "AlwaysRestart"),
        on(l.lt(1, 3, 3), "BackSolid"),
        Some("AlwaysUsePersonalGroup"),
        on(before6401, "WindowVisible"),
        on(before6401, "WindowShowCaption"),
        on(before6401, "WindowResizable"),
        on(before6401, "WindowStartMaximized"),
        Some("EnableDirDoesntExistWarning"),
        on(l.lt(4, 1, 2), "DisableAppendDir"),
        Some("Password"),
        on(l.ge(1, 2, 6), "AllowRootDirectory"),
        on(l.ge(1, 2, 14), "DisableFinishedPage"),
        on(not16 && l.lt(3, 0, 4), "AdminPrivilegesRequired"),
        on(not16 && l.lt(3, 0, 0), "AlwaysCreateUninstallIcon"),
        on(not16 && l.lt(1, 3, 6), "OverwriteUninstRegEntries"),
        on(not16 && l.lt(5, 6, 1), "ChangesAssociations"),
        on(l.ge(1, 3, 0) && l.lt(5, 3, 8), "CreateUninstallRegKey"),
        on(l.ge(1, 3, 1) && before67, "UsePreviousAppDir"),
        on(l.ge(1, 3, 3) && before6401, "BackColorHorizontal"),
        on(l.ge(1, 3, 10) && before67, "UsePreviousGroup"),
        on(l.ge(1, 3, 20), "UpdateUninstallLogAppName"),
        on(
            (l.ge(2, 0, 0) || l.isx_ge(1, 3, 10)) && before67,
            "UsePreviousSetupType",
        ),
        on(l.ge(2, 0, 0), "DisableReadyMemo"),
        on(l.ge(2, 0, 0), "AlwaysShowComponentsList"),
        on(l.ge(2, 0, 0), "FlatComponentsList"),
        on(l.ge(2, 0, 0), "ShowComponentSizes"),
        on(l.ge(2, 0, 0) && before67, "UsePreviousTasks"),
        on(l.ge(2, 0, 0), "DisableReadyPage"),
        on(l.ge(2, 0, 7), "AlwaysShowDirOnReadyPage"),
        on(l.ge(2, 0, 7), "AlwaysShowGroupOnReadyPage"),
        on(l.ge(2, 0, 17) && l.lt(4, 1, 5), "BzipUsed"),
        on(l.ge(2, 0, 18), "AllowUNCPath"),
        on(l.ge(3, 0, 0), "UserInfoPage"),
        on(l.ge(3, 0, 0) && before67, "UsePreviousUserInfo"),
        on(l.ge(3, 0, 1), "UninstallRestartComputer"),
        on(l.ge(3, 0, 3), "RestartIfNeededByRun"),
        on(l.ge(4, 0, 0) || l.isx_ge(3, 0, 3), "ShowTasksTreeLines"),
        on(l.ge(4, 0, 0) && l.lt(4, 0, 10), "ShowLanguageDialog"),
        on(l.ge(4, 0, 1) && l.lt(4, 0, 10), "DetectLanguageUsingLocale"),
        on(l.ge(4, 0, 9), "AllowCancelDuringInstall"),
        on(l.ge(4, 1, 3), "WizardImageStretch"),
        on(l.ge(4, 1, 8), "AppendDefaultDirName"),
        on(l.ge(4, 1, 8), "AppendDefaultGroupName"),
        on(l.ge(4, 2, 2) && l.lt(6, 5, 0), "EncryptionUsed"),
        on(l.ge(5, 0, 4) && l.lt(5, 6, 1), "ChangesEnvironment"),
        on(l.ge(5, 1, 7) && !l.unicode, "ShowUndisplayableLanguages"),
        on(l.ge(5, 1, 13), "SetupLogging"),
        on(l.ge(5, 2, 1), "SignedUninstaller"),
        on(l.ge(5, 3, 8), "UsePreviousLanguage"),
        on(l.ge(5, 3, 9), "DisableWelcomePage"),
        on(l.ge(5, 5, 0), "CloseApplications"),
        on(l.ge(5, 5, 0), "RestartApplications"),
        on(l.ge(5, 5, 0), "AllowNetworkDrive"),
        on(l.ge(5, 5, 7), "ForceCloseApplications"),
        on(l.ge(6, 0, 0), "AppNameHasConsts"),
        on(l.ge(6, 0, 0), "UsePreviousPrivileges"),
        on(l.ge(6, 0, 0) && l.lt(6, 6, 0), "WizardResizable"),
        on(l.ge(6, 3, 0), "UninstallLogging"),
        on(l.ge(6, 6, 0), "WizardModern"),
        on(l.ge(6, 6, 0), "WizardBorderStyled"),
        on(l.ge(6, 6, 0), "WizardKeepAspectRatio"),
        on(l.ge(6, 6, 0) && before67, "WizardLightButtonsUnstyled"),
        on(l.ge(6, 7, 0), "RedirectionGuard"),
        on(l.ge(6, 7, 0), "WizardBevelsHidden"),
    ];
    let min_bits = if before67 { 0 } else { 57 };
    flag_set_min(f, l, &names, min_bits, "header options")
}

/// `TSetupCondition` strings of an item (innoextract `item.cpp`).
fn condition(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    let n = usize::from(l.ge(2, 0, 0) || l.isx_ge(1, 3, 8))
        + usize::from(l.ge(2, 0, 0) || l.isx_ge(1, 3, 17))
        + usize::from(l.ge(4, 0, 1))
        + usize::from(l.ge(4, 0, 0) || l.isx_ge(1, 3, 24))
        + 2 * usize::from(l.ge(4, 1, 0));
    skip_strings(f, n, "item condition")
}

/// The leading size field of 1.2.x entries.
fn entry_size(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    if l.lt(1, 3, 0) {
        f.skip(4, "entry size")?;
    }
    Ok(())
}

/// Skip one language entry, returning its ANSI codepage (0 in Unicode
/// setups).
fn language(f: &mut Fields<'_>, l: Layout) -> Result<u32, Error> {
    if l.ge(6, 6, 0) {
        // 6.6 dropped the title and copyright fonts and made the ID a Word.
        skip_strings(f, 4, "language Name / LanguageName / fonts")?;
        skip_strings(f, 4, "language Data / license / info texts")?;
        f.skip(2, "LanguageID")?;
        f.skip(12, "DialogFontSize / BaseScaleHeight / BaseScaleWidth")?;
        f.skip(4 + 1, "WelcomeFontSize / RightToLeft")?;
        return Ok(0);
    }
    if l.ge(4, 0, 0) {
        f.raw_string("language Name")?;
    }
    f.raw_string("LanguageName")?;
    if l.v == v4(5, 5, 7, 1) {
        f.raw_string("language variant string")?;
    }
    skip_strings(f, 4, "language fonts")?;
    if l.ge(4, 0, 0) {
        f.raw_string("language Data")?;
    }
    if l.ge(4, 0, 1) {
        skip_strings(f, 3, "language license / info texts")?;
    }
    let id = f.u32("LanguageID")?;
    let mut cp = 0;
    if l.lt(4, 2, 2) {
        cp = super::stream::codepage_for_language(id);
    } else if !l.unicode {
        cp = f.u32("LanguageCodePage")?;
        if cp == 0 {
            cp = 1252;
        }
    } else if l.lt(5, 3, 0) {
        f.skip(4, "LanguageCodePage")?;
    }
    f.skip(4, "DialogFontSize")?;
    if l.lt(4, 1, 0) {
        f.skip(4, "DialogFontStandardHeight")?;
    }
    f.skip(12, "title / welcome / copyright font sizes")?;
    if l.v == v4(5, 5, 7, 1) {
        f.skip(4, "language variant field")?;
    }
    if l.ge(5, 2, 3) {
        f.skip(1, "RightToLeft")?;
    }
    Ok(cp)
}

fn type_entry(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    skip_strings(f, 2, "type Name / Description")?;
    if l.ge(4, 0, 1) {
        f.raw_string("type Languages")?;
    }
    if l.ge(4, 0, 0) || l.isx_ge(1, 3, 24) {
        f.raw_string("type Check")?;
    }
    f.skip(l.winver() + 1, "type versions / options")?;
    if l.ge(4, 0, 3) {
        f.skip(1, "type Typ")?;
    }
    f.skip(if l.ge(4, 0, 0) { 8 } else { 4 }, "type Size")
}

fn component(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    skip_strings(f, 3, "component Name / Description / Types")?;
    if l.ge(4, 0, 1) {
        f.raw_string("component Languages")?;
    }
    if l.ge(4, 0, 0) || l.isx_ge(1, 3, 24) {
        f.raw_string("component Check")?;
    }
    f.skip(if l.ge(4, 0, 0) { 8 } else { 4 }, "ExtraDiskSpaceRequired")?;
    if l.ge(6, 7, 0) {
        f.skip(1, "component Level")?;
    } else if l.ge(4, 0, 0) || l.isx_ge(3, 0, 3) {
        f.skip(4, "component Level")?;
    }
    if l.ge(4, 0, 0) || l.isx_ge(3, 0, 4) {
        f.skip(1, "component Used")?;
    }
    // Versions, then 3–5 option flags (one byte).
    f.skip(l.winver() + 1, "component versions / options")?;
    if l.ge(4, 0, 0) {
        f.skip(8, "component Size")?;
    } else if l.ge(2, 0, 0) || l.isx_ge(1, 3, 24) {
        f.skip(4, "component Size")?;
    }
    Ok(())
}

fn task(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    skip_strings(f, 4, "task strings")?;
    if l.ge(4, 0, 1) {
        f.raw_string("task Languages")?;
    }
    if l.ge(4, 0, 0) || l.isx_ge(1, 3, 24) {
        f.raw_string("task Check")?;
    }
    if l.ge(6, 7, 0) {
        f.skip(1, "task Level")?;
    } else if l.ge(4, 0, 0) || l.isx_ge(3, 0, 3) {
        f.skip(4, "task Level")?;
    }
    if l.ge(4, 0, 0) || l.isx_ge(3, 0, 4) {
        f.skip(1, "task Used")?;
    }
    f.skip(l.winver(), "task versions")?;
    // 2–5 option flags: one byte.
    f.skip(1, "task options")
}

fn directory(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    entry_size(f, l)?;
    f.raw_string("directory Name")?;
    condition(f, l)?;
    if l.ge(4, 0, 11) && l.lt(4, 1, 0) {
        f.raw_string("directory Permissions")?;
    }
    if l.ge(2, 0, 11) {
        f.skip(4, "directory Attribs")?;
    }
    f.skip(l.winver(), "directory versions")?;
    if l.ge(4, 1, 0) {
        f.skip(2, "directory PermissionsEntry")?;
    }
    // 3 or 5 option flags: one byte.
    f.skip(1, "directory options")
}

/// A raw file entry: source, destination, location, size, type.
struct RawFile<'a> {
    source: &'a [u8],
    destination: &'a [u8],
    location: u32,
    external_size: u64,
    kind: u8,
}

fn file<'a>(f: &mut Fields<'a>, l: Layout) -> Result<RawFile<'a>, Error> {
    entry_size(f, l)?;
    let source = f.raw_string("file Source")?;
    let destination = f.raw_string("file DestName")?;
    f.raw_string("file InstallFontName")?;
    if l.ge(5, 2, 5) {
        f.raw_string("file StrongAssemblyName")?;
    }
    condition(f, l)?;
    if l.ge(6, 5, 0) {
        skip_strings(
            f,
            5,
            "file Excludes / DownloadISSigSource / DownloadUserName / DownloadPassword / \
             ExtractArchivePassword",
        )?;
        // TSetupFileVerification: ISSigAllowedKeys (AnsiString), SHA-256, type.
        f.raw_string("file ISSigAllowedKeys")?;
        f.skip(32, "file verification hash")?;
        let t = f.u8("file verification type")?;
        if t > 2 {
            return Err(Error::malformed(format!("file verification type {t}")));
        }
    }
    f.skip(l.winver(), "file versions")?;
    let mut location = f.int(l.bits16, "file LocationEntry")?;
    if l.bits16 && location == u32::from(u16::MAX) {
        location = u32::MAX;
    }
    f.int(l.bits16, "file Attribs")?;
    let external_size = if l.ge(4, 0, 0) {
        f.u64("file ExternalSize")?
    } else {
        u64::from(f.u32("file ExternalSize")?)
    };
    if l.lt(3, 0, 5) {
        f.skip(1, "file CopyMode")?;
    }
    if l.ge(4, 1, 0) {
        f.skip(2, "file PermissionsEntry")?;
    }
    let not16 = !l.bits16;
    let names = [
        Some("ConfirmOverwrite"),
        Some("NeverUninstall"),
        Some("RestartReplace"),
        Some("DeleteAfterInstall"),
        on(not16, "RegisterServer"),
        on(not16, "RegisterTypeLib"),
        on(not16, "SharedFile"),
        on(l.lt(2, 0, 0) && !l.isx, "IsReadmeFile"),
        Some("CompareTimeStamp"),
        Some("FontIsNotTrueType"),
        on(l.ge(1, 2, 5), "SkipIfSourceDoesntExist"),
        on(l.ge(1, 2, 6), "OverwriteReadOnly"),
        on(l.ge(1, 3, 21), "OverwriteSameVersion"),
        on(l.ge(1, 3, 21), "CustomDestName"),
        on(l.ge(1, 3, 25), "OnlyIfDestFileExists"),
        on(l.ge(2, 0, 5), "NoRegError"),
        on(l.ge(3, 0, 1), "UninsRestartDelete"),
        on(l.ge(3, 0, 5), "OnlyIfDoesntExist"),
        on(l.ge(3, 0, 5), "IgnoreVersion"),
        on(l.ge(3, 0, 5), "PromptIfOlder"),
        on(
            l.ge(4, 0, 0) || (l.isx && l.v >= v4(3, 0, 6, 1)),
            "DontCopy",
        ),
        on(l.ge(4, 0, 5), "UninsRemoveReadOnly"),
        on(l.ge(4, 1, 8), "RecurseSubDirsExternal"),
        on(l.ge(4, 2, 1), "ReplaceSameVersionIfContentsDiffer"),
        on(l.ge(4, 2, 5), "DontVerifyChecksum"),
        on(l.ge(5, 0, 3), "UninsNoSharedFilePrompt"),
        on(l.ge(5, 1, 0), "CreateAllSubDirs"),
        on(l.ge(5, 1, 2), "32bit"),
        on(l.ge(5, 1, 2), "64bit"),
        on(l.ge(5, 2, 0), "ExternalSizePreset"),
        on(l.ge(5, 2, 0), "SetNtfsCompression"),
        on(l.ge(5, 2, 0), "UnsetNtfsCompression"),
        on(l.ge(5, 2, 5), "GacInstall"),
        on(l.ge(6, 5, 0), "Download"),
        on(l.ge(6, 5, 0), "ExtractArchive"),
    ];
    let min_bits = if l.ge(6, 7, 0) { 57 } else { 0 };
    flag_set_min(f, l, &names, min_bits, "file options")?;
    let kind = f.u8("file FileType")?;
    let kinds = if l.bits16 || l.ge(5, 0, 0) { 2 } else { 3 };
    if kind >= kinds {
        return Err(Error::malformed(format!("file type {kind}")));
    }
    Ok(RawFile {
        source,
        destination,
        location,
        external_size,
        kind,
    })
}

fn icon(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    entry_size(f, l)?;
    skip_strings(f, 6, "icon strings")?;
    condition(f, l)?;
    if l.ge(5, 3, 5) {
        f.raw_string("icon AppUserModelID")?;
    }
    if l.ge(6, 1, 0) {
        f.skip(16, "icon AppUserModelToastActivatorCLSID")?;
    }
    f.skip(l.winver(), "icon versions")?;
    f.int(l.bits16, "icon IconIndex")?;
    if l.ge(1, 3, 24) {
        f.skip(4, "icon ShowCmd")?;
    }
    if l.ge(1, 3, 15) {
        f.skip(1, "icon CloseOnExit")?;
    }
    if l.ge(2, 0, 7) {
        f.skip(2, "icon HotKey")?;
    }
    let names = [
        Some("NeverUninstall"),
        on(l.lt(1, 3, 26), "RunMinimized"),
        Some("CreateOnlyIfFileExists"),
        on(!l.bits16, "UseAppPaths"),
        on(l.ge(5, 0, 3) && l.lt(6, 3, 0), "FolderShortcut"),
        on(l.ge(5, 4, 2), "ExcludeFromShowInNewInstall"),
        on(l.ge(5, 5, 0), "PreventPinning"),
        on(l.ge(6, 1, 0), "HasAppUserModelToastActivatorCLSID"),
    ];
    flag_set(f, l, &names, "icon options").map(|_| ())
}

fn ini(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    entry_size(f, l)?;
    skip_strings(f, 4, "ini strings")?;
    condition(f, l)?;
    f.skip(l.winver(), "ini versions")?;
    // 5 option flags: one byte.
    f.skip(1, "ini options")
}

fn registry(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    entry_size(f, l)?;
    f.raw_string("registry Subkey")?;
    if !l.bits16 {
        f.raw_string("registry ValueName")?;
    }
    f.raw_string("registry ValueData")?;
    condition(f, l)?;
    if l.ge(4, 0, 11) && l.lt(4, 1, 0) {
        f.raw_string("registry Permissions")?;
    }
    f.skip(l.winver(), "registry versions")?;
    if !l.bits16 {
        f.skip(4, "registry RootKey")?;
    }
    if l.ge(4, 1, 0) {
        f.skip(2, "registry PermissionsEntry")?;
    }
    f.skip(1, "registry Typ")?;
    let not16 = !l.bits16;
    let names = [
        on(not16, "CreateValueIfDoesntExist"),
        on(not16, "UninsDeleteValue"),
        Some("UninsClearValue"),
        Some("UninsDeleteEntireKey"),
        Some("UninsDeleteEntireKeyIfEmpty"),
        on(l.ge(1, 2, 6), "PreserveStringType"),
        on(l.ge(1, 3, 9), "DeleteKey"),
        on(l.ge(1, 3, 9), "DeleteValue"),
        on(l.ge(1, 3, 12), "NoError"),
        on(l.ge(1, 3, 16), "DontCreateKey"),
        on(l.ge(5, 1, 0), "32bit"),
        on(l.ge(5, 1, 0), "64bit"),
    ];
    flag_set(f, l, &names, "registry options").map(|_| ())
}

fn delete(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    entry_size(f, l)?;
    f.raw_string("delete Name")?;
    condition(f, l)?;
    f.skip(l.winver() + 1, "delete versions / type")
}

fn run(f: &mut Fields<'_>, l: Layout) -> Result<(), Error> {
    entry_size(f, l)?;
    skip_strings(f, 3, "run Name / Parameters / WorkingDir")?;
    if l.ge(1, 3, 9) {
        f.raw_string("run RunOnceId")?;
    }
    if l.ge(2, 0, 2) {
        f.raw_string("run StatusMsg")?;
    }
    if l.ge(5, 1, 13) {
        f.raw_string("run Verb")?;
    }
    if l.ge(2, 0, 0) || l.isx {
        f.raw_string("run Description")?;
    }
    condition(f, l)?;
    f.skip(l.winver(), "run versions")?;
    if l.ge(1, 3, 24) {
        f.skip(4, "run ShowCmd")?;
    }
    f.skip(1, "run Wait")?;
    let names = [
        on(l.ge(1, 2, 3), "ShellExec"),
        on(l.ge(1, 3, 9) || l.isx_ge(1, 3, 8), "SkipIfDoesntExist"),
        on(l.ge(2, 0, 0), "PostInstall"),
        on(l.ge(2, 0, 0), "Unchecked"),
        on(l.ge(2, 0, 0), "SkipIfSilent"),
        on(l.ge(2, 0, 0), "SkipIfNotSilent"),
        on(l.ge(2, 0, 8), "HideWizard"),
        on(l.ge(5, 1, 10), "32bit"),
        on(l.ge(5, 1, 10), "64bit"),
        on(l.ge(5, 2, 0), "RunAsOriginalUser"),
        on(l.ge(6, 1, 0), "DontLogParameters"),
        on(l.ge(6, 3, 0), "LogOutput"),
    ];
    flag_set(f, l, &names, "run options").map(|_| ())
}

/// Wizard images, then the decompressor and decryption DLLs
/// (innoextract `info.cpp` `load_wizard_and_decompressor`).
fn wizard_and_dlls(f: &mut Fields<'_>, l: Layout, h: &Header) -> Result<(), Error> {
    let images = |f: &mut Fields<'_>| -> Result<(), Error> {
        let mut n = if l.ge(5, 6, 0) {
            f.u32("wizard image count")?
        } else {
            1
        };
        if n == u32::MAX && l.ge(6, 6, 1) {
            // -1: the dynamic-dark list equals the light one (not stored).
            n = 0;
        }
        for _ in 0..n {
            f.raw_string("wizard image")?;
        }
        Ok(())
    };
    // Wizard and small images; 6.6 adds their dynamic-dark variants, 6.7
    // the back images and theirs.
    let lists = if l.ge(6, 7, 0) {
        6
    } else if l.ge(6, 6, 0) {
        4
    } else if l.ge(2, 0, 0) || l.isx {
        2
    } else {
        1
    };
    for _ in 0..lists {
        images(f)?;
    }
    let dll = match h.compression {
        Some(Method::Bzip2) => true,
        Some(Method::Lzma1) => l.v == v(4, 1, 5),
        Some(Method::Zlib) => l.ge(4, 2, 6),
        _ => false,
    };
    if dll {
        f.raw_string("decompressor DLL")?;
    }
    if h.encryption && l.lt(6, 4, 0) {
        f.raw_string("decryption DLL")?;
    }
    if h.seven_zip_library {
        f.raw_string("7-Zip DLL")?;
    }
    Ok(())
}

/// Repeat `one` `n` times (each reads at least one byte, so a hostile
/// count ends at the end of the data).
fn each(
    f: &mut Fields<'_>,
    n: u32,
    mut one: impl FnMut(&mut Fields<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    for _ in 0..n {
        one(f)?;
    }
    Ok(())
}

/// Parse the whole first block stream with the layout `l`: the header,
/// every entry list, the wizard images and DLLs. Files beyond `max_files`
/// are parsed but not kept.
pub(crate) fn parse_setup0(block: &[u8], l: Layout, max_files: u64) -> Result<Setup0, Error> {
    let f = &mut Fields::new(block);
    let (mut h, raw) = parse_header(f, l)?;
    let c = h.counts;
    let mut codepages = Vec::new();
    for _ in 0..c.languages {
        let cp = language(f, l)?;
        if codepages.len() < 64 {
            codepages.push(cp);
        }
    }
    if l.lt(4, 0, 0) {
        wizard_and_dlls(f, l, &h)?;
    }
    each(f, c.messages, |f| {
        skip_strings(f, 2, "message entry")?;
        f.skip(4, "message language")
    })?;
    each(f, c.permissions, |f| {
        f.raw_string("permission entry").map(|_| ())
    })?;
    each(f, c.types, |f| type_entry(f, l))?;
    each(f, c.components, |f| component(f, l))?;
    each(f, c.tasks, |f| task(f, l))?;
    each(f, c.directories, |f| directory(f, l))?;
    // [ISSigKeys] (6.5+): PublicX, PublicY, RuntimeID.
    each(f, c.issig_keys, |f| skip_strings(f, 3, "ISSig key entry"))?;
    let mut raw_files = Vec::new();
    for i in 0..c.files {
        let r = file(f, l)?;
        // 0: a user file; 1: the uninstaller (written by Setup itself,
        // no data entry); 2: RegSvr. Only user files are listed, as
        // innoextract does.
        if r.kind == 0 && u64::from(i) < max_files {
            raw_files.push(r);
        }
    }
    each(f, c.icons, |f| icon(f, l))?;
    each(f, c.ini_entries, |f| ini(f, l))?;
    each(f, c.registry_entries, |f| registry(f, l))?;
    each(f, c.delete_entries, |f| delete(f, l))?;
    each(f, c.uninstall_delete_entries, |f| delete(f, l))?;
    each(f, c.run_entries, |f| run(f, l))?;
    each(f, c.uninstall_run_entries, |f| run(f, l))?;
    if l.ge(4, 0, 0) {
        wizard_and_dlls(f, l, &h)?;
    }
    // ANSI setups: the codepage of the languages (1252 if any uses it).
    let cp = if codepages.contains(&1252) {
        1252
    } else {
        codepages.first().copied().unwrap_or(1252)
    };
    let dec = |b: &[u8]| {
        if l.unicode {
            decode(b, true)
        } else {
            decode_ansi(b, cp)
        }
    };
    h.app_name = dec(raw.app_name);
    h.app_versioned_name = dec(raw.app_versioned_name);
    h.app_id = dec(raw.app_id);
    h.app_publisher = dec(raw.app_publisher);
    h.app_version = dec(raw.app_version);
    h.default_dir_name = dec(raw.default_dir_name);
    h.uninstallable = dec(raw.uninstallable);
    if l.ge(6, 3, 0) {
        h.arch_allowed = dec(raw.arch_allowed);
        h.arch_64bit = dec(raw.arch_64bit);
    }
    let files = raw_files
        .iter()
        .map(|r| FileEntry {
            source: dec(r.source),
            destination: dec(r.destination),
            location: r.location,
            external_size: r.external_size,
        })
        .collect();
    Ok(Setup0 {
        header: h,
        files,
        trailing: f.left(),
    })
}

/// Read the data entries of the second block stream. `compression` is the
/// header's method.
pub(crate) fn parse_data_entries(
    f: &mut Fields<'_>,
    l: Layout,
    count: u32,
    compression: Method,
    max: u64,
) -> Result<Vec<DataEntry>, Error> {
    let mut out = Vec::new();
    for i in 0..count {
        let mut first_slice = f.int(l.bits16, "data FirstSlice")?;
        let mut last_slice = f.int(l.bits16, "data LastSlice")?;
        if l.lt(4, 0, 0) {
            // 1-based before 4.0.0.
            if first_slice == 0 || last_slice == 0 {
                return Err(Error::malformed(format!(
                    "data entry {i}: slices {first_slice}..{last_slice} (1-based here)"
                )));
            }
            first_slice -= 1;
            last_slice -= 1;
        }
        let chunk_offset = if l.ge(6, 5, 2) {
            f.u64("data StartOffset")?
        } else {
            u64::from(f.u32("data StartOffset")?)
        };
        let file_offset = if l.ge(4, 0, 1) {
            f.u64("data ChunkSuboffset")?
        } else {
            0
        };
        let (file_size, chunk_size) = if l.ge(4, 0, 0) {
            (
                f.u64("data OriginalSize")?,
                f.u64("data ChunkCompressedSize")?,
            )
        } else {
            (
                u64::from(f.u32("data OriginalSize")?),
                u64::from(f.u32("data ChunkCompressedSize")?),
            )
        };
        let checksum = if l.ge(6, 4, 0) {
            let mut a = [0u8; 32];
            a.copy_from_slice(f.bytes(32, "data SHA256Sum")?);
            Checksum::Sha256(hash::Sha256(a))
        } else if l.ge(5, 3, 9) {
            let mut a = [0u8; 20];
            a.copy_from_slice(f.bytes(20, "data SHA1Sum")?);
            Checksum::Sha1(hash::Sha1(a))
        } else if l.ge(4, 2, 0) {
            let mut a = [0u8; 16];
            a.copy_from_slice(f.bytes(16, "data MD5Sum")?);
            Checksum::Md5(hash::Md5(a))
        } else if l.ge(4, 0, 1) {
            Checksum::Crc32(f.u32("data CRC")?)
        } else {
            Checksum::Adler32(f.u32("data Adler")?)
        };
        // FAT date/time in 16-bit setups, FILETIME otherwise; then the
        // file version (MS, LS).
        let stamp = if l.bits16 {
            f.skip(4, "data TimeStamp")?;
            None
        } else {
            let b = f.bytes(8, "data TimeStamp")?;
            b.try_into().ok().map(u64::from_le_bytes)
        };
        f.skip(8, "data FileVersion")?;
        // 6.4.3 cut the flags to five and dropped the Sign byte.
        let old = l.lt(6, 4, 3);
        let names = [
            Some("VersionInfoValid"),
            on(old, "VersionInfoNotValid"),
            on(l.ge(2, 0, 17) && l.lt(4, 0, 1), "BZipped"),
            on(l.ge(4, 0, 10), "TimeStampInUTC"),
            on(l.ge(4, 1, 0) && old, "IsUninstallerExe"),
            on(l.ge(4, 1, 8), "CallInstructionOptimized"),
            on(l.ge(4, 2, 0) && old, "Touch"),
            on(l.ge(4, 2, 2), "ChunkEncrypted"),
            on(l.ge(4, 2, 5), "ChunkCompressed"),
            on(l.ge(5, 1, 13) && old, "SolidBreak"),
            on(l.ge(5, 5, 7) && l.lt(6, 3, 0), "Sign"),
            on(l.ge(5, 5, 7) && l.lt(6, 3, 0), "SignOnce"),
        ];
        let set = flag_set(f, l, &names, "data flags")?;
        if l.ge(6, 3, 0) && old {
            f.skip(1, "data Sign")?;
        }
        let has = |n: &str| set.contains(&n);
        let compressed = l.lt(4, 2, 5) || has("ChunkCompressed");
        let method = if has("BZipped") {
            Method::Bzip2
        } else if compressed {
            compression
        } else {
            Method::Stored
        };
        if u64::from(i) < max {
            out.push(DataEntry {
                first_slice,
                last_slice,
                chunk_offset,
                file_offset,
                file_size,
                chunk_size,
                checksum,
                call_filter: has("CallInstructionOptimized").then(|| CallFilter::for_version(l.v)),
                method,
                encrypted: has("ChunkEncrypted"),
                mtime: stamp
                    .and_then(installsift_model::Timestamp::filetime)
                    .map(|t| installsift_model::Timestamp {
                        utc: has("TimeStampInUTC"),
                        ..t
                    }),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inno::stream;
    use crate::test_support::sample;

    /// Every layout, every variant, over a real decoded header block and
    /// over that block with bytes changed: errors, never a panic, and no
    /// more files than the block could hold.
    #[test]
    fn any_layout_on_any_block_is_bounded() {
        let data = sample("inno/inno5_lzma_nonsolid.exe").unwrap_or_default();
        let at = memchr::memmem::rfind(&data, stream::ID_PREFIX).expect("id");
        let id = stream::parse_id(&data[at..]).expect("id");
        let lim = installsift_model::limits::Limits::default();
        let b1 = stream::read_block(&data[at..], id.len, id.version, &lim).expect("block");
        let versions: Vec<Version> = [
            (1, 2, 10),
            (1, 3, 3),
            (1, 3, 21),
            (2, 0, 0),
            (2, 0, 11),
            (3, 0, 0),
            (3, 0, 4),
            (4, 0, 0),
            (4, 0, 9),
            (4, 1, 6),
            (4, 2, 2),
            (5, 0, 4),
            (5, 1, 13),
            (5, 2, 3),
            (5, 3, 9),
            (5, 4, 2),
            (5, 5, 7),
            (6, 0, 0),
            (6, 4, 0),
            (6, 4, 2),
            (6, 4, 3),
            (6, 5, 0),
            (6, 5, 2),
            (6, 6, 0),
            (6, 6, 1),
            (6, 7, 0),
        ]
        .iter()
        .map(|&(a, b, c)| v(a, b, c))
        .collect();
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        // A 6.7.0 block written from issrc's records, too.
        let spec = crate::inno::spec::specs()
            .into_iter()
            .find(|(n, _)| *n == "inno670_lzma2_solid")
            .map(|(_, s)| crate::inno::spec::build(&s))
            .expect("spec");
        let sid = memchr::memmem::rfind(&spec, stream::ID_PREFIX).expect("id");
        let b67 = stream::read_block(&spec, sid + 64 + 4 + 49, v(6, 7, 0), &lim).expect("block");
        for round in 0..80 {
            let mut block = if round % 2 == 0 {
                b1.data.clone()
            } else {
                b67.data.clone()
            };
            if round > 1 {
                for _ in 0..(1 + next() % 8) {
                    let i = (next() as usize) % block.len();
                    block[i] = next() as u8;
                }
            }
            for &ver in &versions {
                for (unicode, isx, bits16) in [
                    (false, false, false),
                    (true, false, false),
                    (false, true, false),
                    (false, false, true),
                ] {
                    let l = Layout {
                        v: ver,
                        unicode,
                        isx,
                        bits16,
                    };
                    if let Ok(s) = parse_setup0(&block, l, 1000) {
                        assert!(s.files.len() <= block.len());
                    }
                    let mut f = Fields::new(&block);
                    let _ = parse_data_entries(&mut f, l, u32::MAX, Method::Lzma1, 1000);
                }
            }
        }
        // The right layout reads the intact block exactly.
        let l = Layout::of(&id);
        let good = candidates(l)
            .into_iter()
            .map(|c| parse_setup0(&b1.data, Layout { v: c, ..l }, 1000))
            .any(|r| r.is_ok_and(|s| s.trailing == 0 && s.files.len() == 12));
        assert!(good);
        let l67 = Layout {
            v: v(6, 7, 0),
            unicode: true,
            isx: false,
            bits16: false,
        };
        let s = parse_setup0(&b67.data, l67, 1000).expect("6.7.0 records");
        assert_eq!((s.trailing, s.files.len()), (0, 3));
    }
}
