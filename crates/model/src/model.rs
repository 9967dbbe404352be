//! The vocabulary every layer shares: formats, verdicts, families, evidence,
//! how an entry sits in its container and what vouched for its bytes. No
//! I/O, no parsing, no tree: formats, classification and the engine all
//! speak it, and it depends on nothing of theirs (only `error`).

use crate::error::Error;
use serde::{Serialize, Serializer};

/// What a node's bytes are, decided by content (never by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Format {
    /// Portable Executable (exe, dll, sys).
    Pe,
    /// Windows Installer database.
    Msi,
    /// Windows Installer merge module.
    Msm,
    /// Windows Installer patch.
    Msp,
    /// Windows Installer transform (`.mst`): changes an MSI when applied to
    /// it; not an installer on its own.
    Mst,
    /// Compound File Binary that is not a Windows Installer file (e.g. Office).
    Cfb,
    /// Microsoft cabinet.
    Cab,
    /// ZIP archive.
    Zip,
    /// 7-Zip archive.
    #[serde(rename = "7z")]
    SevenZ,
    /// Nullsoft Scriptable Install System data (first header + archive).
    Nsis,
    /// RAR archive (detected, not listed).
    Rar,
    /// xar archive (macOS flat package).
    Xar,
    /// Apple UDIF disk image.
    Dmg,
    /// HFS+ or HFSX volume (a disk image's partition).
    Hfs,
    /// APFS container (a disk image's partition): its volumes' files.
    Apfs,
    /// XML document (installer manifests are named in its metadata).
    Xml,
    /// Squirrel.Windows `RELEASES` file.
    #[serde(rename = "squirrel-releases")]
    SquirrelReleases,
    /// A Windows update package's properties (`<name>-pkgProperties.txt`).
    #[serde(rename = "msu-properties")]
    MsuProperties,
    /// Inno Setup setup data (setup-0 and setup-1).
    Inno,
    /// InstallShield cabinet (`ISc(`) or launcher records.
    InstallShield,
    /// `COMPRESS.EXE` SZDD file (`SETUP.EX_`).
    Szdd,
    /// `COMPRESS.EXE` KWAJ file.
    Kwaj,
    /// ISO 9660 disk image (with Joliet / Rock Ridge names).
    Iso,
    /// UDF disk image without an ISO 9660 tree (detected, not listed).
    Udf,
    /// gzip stream (RFC 1952): one decoded child.
    Gzip,
    /// bzip2 stream: one decoded child.
    Bzip2,
    /// xz stream: one decoded child.
    Xz,
    /// Legacy `.lzma` ("LZMA alone") stream: one decoded child.
    Lzma,
    /// Apple pbzx stream (chunks of xz, a newer `.pkg`'s Payload): one
    /// decoded child.
    Pbzx,
    /// tar archive (ustar, pax, GNU).
    Tar,
    /// cpio archive (odc, newc, crc).
    Cpio,
    /// An x86 BCJ2 split in four streams behind Google Omaha's 20-byte
    /// header (an Omaha 1.3 metainstaller's decoded payload).
    Bcj2,
    /// ARJ archive (ARJ 2.x/3.x, ARJ32).
    Arj,
    /// 16-bit Windows / OS/2 "New Executable" (an MZ stub whose `e_lfanew`
    /// points at `NE`).
    Ne,
    /// Microsoft Compiled HTML Help (`ITSF`): a help file's pages and images.
    Chm,
    /// Qt Installer Framework binary content (appended to `installerbase`:
    /// meta resources, components' archives, the trailer with its cookie).
    #[serde(rename = "qt-ifw")]
    QtIfw,
    /// Qt binary resource file (`qres`, `rcc -binary`): a Qt IFW
    /// installer's meta resources.
    #[serde(rename = "qt-rcc")]
    QtRcc,
    /// Not recognised.
    Unknown,
}

impl Format {
    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pe => "pe",
            Format::Msi => "msi",
            Format::Msm => "msm",
            Format::Msp => "msp",
            Format::Mst => "mst",
            Format::Cfb => "cfb",
            Format::Cab => "cab",
            Format::Zip => "zip",
            Format::SevenZ => "7z",
            Format::Nsis => "nsis",
            Format::Rar => "rar",
            Format::Xar => "xar",
            Format::Dmg => "dmg",
            Format::Hfs => "hfs",
            Format::Apfs => "apfs",
            Format::Xml => "xml",
            Format::SquirrelReleases => "squirrel-releases",
            Format::MsuProperties => "msu-properties",
            Format::Inno => "inno",
            Format::InstallShield => "installshield",
            Format::Szdd => "szdd",
            Format::Kwaj => "kwaj",
            Format::Iso => "iso",
            Format::Udf => "udf",
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Lzma => "lzma",
            Format::Pbzx => "pbzx",
            Format::Tar => "tar",
            Format::Cpio => "cpio",
            Format::Bcj2 => "bcj2",
            Format::Arj => "arj",
            Format::Ne => "ne",
            Format::Chm => "chm",
            Format::QtIfw => "qt-ifw",
            Format::QtRcc => "qt-rcc",
            Format::Unknown => "unknown",
        }
    }
}

impl Format {
    /// Whether nodes of this format hold other files (documents such as XML
    /// manifests do not: inside a PE resource they are no payload).
    pub fn is_container(self) -> bool {
        !matches!(
            self,
            Format::Xml | Format::SquirrelReleases | Format::MsuProperties | Format::Unknown
        )
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Is this an installer?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// An installer (or an installer package such as an MSI).
    Installer,
    /// Recognised, and not an installer.
    NotInstaller,
    /// Not enough evidence either way.
    Unknown,
}

impl Verdict {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Installer => "installer",
            Verdict::NotInstaller => "not-installer",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Installer family, lowercase and stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// Windows Installer package.
    Msi,
    /// Windows Installer merge module.
    Msm,
    /// Windows Installer patch.
    Msp,
    /// Windows update standalone package (`.msu`): a cabinet of the update's
    /// cabinets or `.psf`/`.wim`, `WSUSSCAN.cab` and a manifest, installed by
    /// `wusa.exe`.
    Msu,
    /// PE carrying a 7z archive (with or without a `;!@Install@!` config).
    SevenZSfx,
    /// PE carrying a zip archive.
    ZipSfx,
    /// PE carrying a cabinet.
    CabSfx,
    /// Nullsoft Scriptable Install System.
    Nsis,
    /// PE carrying a RAR archive.
    RarSfx,
    /// A stub carrying an ARJ archive (ARJ's `-je` self-extractors).
    ArjSfx,
    /// Inno Setup.
    Inno,
    /// InstallShield (Setup Launcher, cab or MSI payload).
    InstallShield,
    /// WiX Toolset Burn bundle.
    WixBurn,
    /// Squirrel.Windows `Setup.exe`.
    Squirrel,
    /// Velopack `Setup.exe` (Squirrel's successor): a package bundled by its
    /// placeholder.
    Velopack,
    /// IExpress / wextract self-extractor.
    IExpress,
    /// MSIX / AppX package or bundle.
    Msix,
    /// Setup Factory.
    SetupFactory,
    /// Wise Installation System.
    Wise,
    /// Advanced Installer.
    AdvancedInstaller,
    /// InstallAware.
    InstallAware,
    /// Clickteam Install Creator.
    Clickteam,
    /// Smart Install Maker.
    SmartInstallMaker,
    /// Ghost Installer.
    GhostInstaller,
    /// BitRock InstallBuilder.
    BitRock,
    /// install4j.
    Install4j,
    /// Qt Installer Framework.
    QtIfw,
    /// Gentee Installer.
    Gentee,
    /// CreateInstall (Gentee's builder).
    CreateInstall,
    /// Astrum InstallWizard.
    Astrum,
    /// MindVision Installer VISE.
    Vise,
    /// Python distutils `bdist_wininst` installer.
    BdistWininst,
    /// Google Update (Omaha) metainstaller.
    Omaha,
    /// ClickOnce deployment or application manifest.
    ClickOnce,
    /// macOS flat package (xar).
    Pkg,
    /// macOS disk image (UDIF).
    Dmg,
    /// An installer by agreement of weak signals; the engine is not identified.
    Other,
}

impl Family {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Msi => "msi",
            Family::Msm => "msm",
            Family::Msp => "msp",
            Family::Msu => "msu",
            Family::SevenZSfx => "7z-sfx",
            Family::ZipSfx => "zip-sfx",
            Family::CabSfx => "cab-sfx",
            Family::Nsis => "nsis",
            Family::RarSfx => "rar-sfx",
            Family::ArjSfx => "arj-sfx",
            Family::Inno => "inno",
            Family::InstallShield => "installshield",
            Family::WixBurn => "wix-burn",
            Family::Squirrel => "squirrel",
            Family::Velopack => "velopack",
            Family::IExpress => "iexpress",
            Family::Msix => "msix",
            Family::SetupFactory => "setup-factory",
            Family::Wise => "wise",
            Family::AdvancedInstaller => "advanced-installer",
            Family::InstallAware => "installaware",
            Family::Clickteam => "clickteam",
            Family::SmartInstallMaker => "smart-install-maker",
            Family::GhostInstaller => "ghost-installer",
            Family::BitRock => "bitrock",
            Family::Install4j => "install4j",
            Family::QtIfw => "qt-ifw",
            Family::Gentee => "gentee",
            Family::CreateInstall => "createinstall",
            Family::Astrum => "astrum",
            Family::Vise => "vise",
            Family::BdistWininst => "bdist-wininst",
            Family::Omaha => "omaha",
            Family::ClickOnce => "clickonce",
            Family::Pkg => "pkg",
            Family::Dmg => "dmg",
            Family::Other => "other",
        }
    }
}

impl Family {
    /// Every family, in declaration order (the JSON Schema's enum of
    /// `family`; `every_family_is_listed` fails when a variant is missing).
    pub const ALL: &'static [Family] = &[
        Family::Msi,
        Family::Msm,
        Family::Msp,
        Family::Msu,
        Family::SevenZSfx,
        Family::ZipSfx,
        Family::CabSfx,
        Family::Nsis,
        Family::RarSfx,
        Family::ArjSfx,
        Family::Inno,
        Family::InstallShield,
        Family::WixBurn,
        Family::Squirrel,
        Family::Velopack,
        Family::IExpress,
        Family::Msix,
        Family::SetupFactory,
        Family::Wise,
        Family::AdvancedInstaller,
        Family::InstallAware,
        Family::Clickteam,
        Family::SmartInstallMaker,
        Family::GhostInstaller,
        Family::BitRock,
        Family::Install4j,
        Family::QtIfw,
        Family::Gentee,
        Family::CreateInstall,
        Family::Astrum,
        Family::Vise,
        Family::BdistWininst,
        Family::Omaha,
        Family::ClickOnce,
        Family::Pkg,
        Family::Dmg,
        Family::Other,
    ];
}

impl Serialize for Family {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What `Serialize` writes: one of [`Family::as_str`]'s names.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Family {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Family".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
        schemars::json_schema!({
            "description": "Installer family, lowercase and stable.",
            "type": "string",
            "enum": names,
        })
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Installer facts a defender acts on (BIOC hints) and family-specific
/// properties read from the installer's own configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InstallerFacts {
    /// Engine or package version, when a marker states it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    /// Arguments for an unattended install, as the family documents them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silent_args: Option<String>,
    /// The process an install runs under or spawns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<String>,
    /// Where the family unpacks its payload before installing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpacks_to: Option<String>,
    /// Family-specific values read from the file (7z SFX config keys,
    /// IExpress RUNPROGRAM, Burn bundle id, MSIX identity …).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub properties: std::collections::BTreeMap<String, String>,
}

/// What part a tool identified in a file played (the kinds Detect It Easy
/// reports: `Installer:`, `Sfx:`, `Packer:` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    /// The installer engine or authoring tool that built the package.
    Installer,
    /// A self-extracting archive module.
    Sfx,
    /// An executable packer (compresses the program, unpacks it in memory).
    Packer,
    /// A protector (obfuscates or virtualises the program).
    Protector,
    /// The compiler, or the language toolchain, of the program.
    Compiler,
    /// The linker.
    Linker,
    /// A runtime or framework the program is built on (.NET, Python …).
    Library,
}

impl ToolKind {
    /// The name used in JSONL (`installer`, `sfx` …).
    pub fn as_str(self) -> &'static str {
        match self {
            ToolKind::Installer => "installer",
            ToolKind::Sfx => "sfx",
            ToolKind::Packer => "packer",
            ToolKind::Protector => "protector",
            ToolKind::Compiler => "compiler",
            ToolKind::Linker => "linker",
            ToolKind::Library => "library",
        }
    }

    /// The label of the text view (`Installer`, `Sfx` …).
    pub fn label(self) -> &'static str {
        match self {
            ToolKind::Installer => "Installer",
            ToolKind::Sfx => "Sfx",
            ToolKind::Packer => "Packer",
            ToolKind::Protector => "Protector",
            ToolKind::Compiler => "Compiler",
            ToolKind::Linker => "Linker",
            ToolKind::Library => "Library",
        }
    }
}

/// A tool identified from a file's content: who built, packed or
/// protected it, with the version the file states (never a guessed one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Tool {
    /// The part it played.
    pub kind: ToolKind,
    /// Its name (`NSIS`, `UPX`, `MSVC`, `Go` …).
    pub name: String,
    /// Its version as the file states it; `null` when the file carries
    /// none we can read (the name alone is then reported).
    pub version: Option<String>,
    /// Options it recorded (`lzma,solid`, `NRV,best`, `C++`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// What matched, in words (the marker and where the version came from).
    pub evidence: String,
    /// Byte offset in this node of what matched, when one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl Tool {
    /// A tool known by name, without version or details.
    pub fn new(kind: ToolKind, name: impl Into<String>, evidence: impl Into<String>) -> Self {
        Tool {
            kind,
            name: name.into(),
            version: None,
            details: None,
            evidence: evidence.into(),
            offset: None,
        }
    }

    /// With the version the file states (ignored when empty).
    pub fn version(mut self, v: Option<String>) -> Self {
        self.version = v.filter(|v| !v.is_empty());
        self
    }

    /// With recorded options (ignored when empty).
    pub fn details(mut self, d: Option<String>) -> Self {
        self.details = d.filter(|d| !d.is_empty());
        self
    }

    /// At this offset.
    pub fn at(mut self, offset: Option<u64>) -> Self {
        self.offset = offset;
        self
    }
}

/// `Installer: NSIS(3.08)[lzma,solid]`, `Packer: UPX`, DIE's notation.
impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.label(), self.name)?;
        if let Some(v) = &self.version {
            write!(f, "({v})")?;
        }
        if let Some(d) = &self.details {
            write!(f, "[{d}]")?;
        }
        Ok(())
    }
}

/// How strongly a signal supports its conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    /// Decisive on its own (a structure that parsed).
    Strong,
    /// Suggestive only (names, keywords).
    Weak,
}

/// One fact behind a format or verdict, checkable by a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Evidence {
    /// Stable identifier of the signal, e.g. `cfb-root-clsid`, `pe-overlay-container`.
    pub signal: String,
    /// What was seen, in words.
    pub detail: String,
    /// Byte offset in this node where it was seen, when one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Strong or weak.
    pub strength: Strength,
}

impl Strength {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Strong => "strong",
            Strength::Weak => "weak",
        }
    }
}

impl Evidence {
    /// A strong signal.
    pub fn strong(signal: &str, detail: impl Into<String>, offset: Option<u64>) -> Self {
        Evidence {
            signal: signal.to_owned(),
            detail: detail.into(),
            offset,
            strength: Strength::Strong,
        }
    }
    /// A weak signal.
    pub fn weak(signal: &str, detail: impl Into<String>, offset: Option<u64>) -> Self {
        Evidence {
            signal: signal.to_owned(),
            detail: detail.into(),
            offset,
            strength: Strength::Weak,
        }
    }
}

/// A checksum or signature the format carries that matched the node's bytes
/// (or the stored data they were decoded from): see `installsift::NodeInfo::verified_by`.
///
/// Each name says what it covers. *Content* checks cover the decoded bytes
/// whose SHA-256 we report, so a decoder bug could not pass them;
/// *stored-data* checks cover the compressed bytes the node was decoded
/// from (a damaged file is caught, a wrong decoder is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Check {
    /// Zip entry CRC-32 (content).
    ZipCrc32,
    /// 7z stream or file CRC-32 (content).
    #[serde(rename = "7z-crc32")]
    SevenZCrc32,
    /// Cabinet CFDATA checksums of every data block the node was decoded
    /// from (stored data).
    CabChecksum,
    /// The MSI `MsiFileHash` row of the file: MD5 of the whole file (content).
    MsiFileHash,
    /// Inno Setup file entry SHA-256 (content).
    InnoSha256,
    /// Inno Setup file entry SHA-1 (content).
    InnoSha1,
    /// Inno Setup file entry MD5 (content).
    InnoMd5,
    /// Inno Setup file entry CRC-32 (content).
    InnoCrc32,
    /// Inno Setup file entry Adler-32 (content; setup data before 4.0.1).
    InnoAdler32,
    /// Inno Setup block streams: the CRC-32 of each block header and of
    /// each 4 KiB chunk of stored data (stored data): setup-0's blocks on
    /// the `inno` node, the compressed Setup.e32 on the PE.
    InnoBlockCrc32,
    /// Inno Setup loader offset table CRC-32 (the table in the setup
    /// loader, stored data).
    InnoLoaderCrc32,
    /// InstallShield cabinet file MD5 (content).
    InstallshieldMd5,
    /// NSIS installer CRC-32 over the exehead and data (stored data).
    NsisCrc32,
    /// xar extracted-checksum (content).
    XarExtractedChecksum,
    /// xar archived-checksum (stored data).
    XarArchivedChecksum,
    /// RAR file CRC-32 of a stored entry (content).
    RarCrc32,
    /// gzip member trailers: the CRC-32 and ISIZE of every member matched
    /// the decoded bytes (content).
    GzipCrc32,
    /// bzip2 block CRCs and the stream's combined CRC, checked by the
    /// decoder (libbz2's rules) while decoding (content).
    Bzip2Crc,
    /// xz integrity check of every block (CRC-32, CRC-64 or SHA-256 of the
    /// decoded data, as the stream flags name it), checked by liblzma
    /// (content).
    XzCheck,
    /// tar header checksum of the entry's header (the header only, not the
    /// content).
    TarHeaderChecksum,
    /// cpio `070702` (crc format) sum of the entry's bytes (content).
    CpioCrc,
    /// The Authenticode digest signed in the file equals the one computed
    /// over its bytes (content: the node's own bytes, as stored). Says
    /// nothing about who signed or whether the certificate is trusted.
    Authenticode,
    /// UDIF CRC-32: of a partition's decoded bytes (its `mish` table's
    /// checksum; content), and of the image's data fork (the `koly`
    /// trailer's checksum, on the image's own bytes).
    UdifCrc32,
    /// ARJ file CRC-32 (content).
    ArjCrc32,
    /// WinZip AES authentication code (HMAC-SHA1-80 over the encrypted
    /// data, keyed from the password): the stored data, as the archive
    /// holds it, was decrypted with the right key and not altered. AE-1
    /// entries carry a CRC-32 as well (`zip-crc32`); AE-2 entries (CRC 0)
    /// only this.
    ZipAesHmac,
    /// RAR 5 file hash record: BLAKE2sp of the file's content (WinRAR's
    /// `-htb`, stored instead of the CRC-32).
    RarBlake2sp,
    /// Qt Installer Framework: the SHA-1 in an archive's `.sha1` sibling
    /// resource (written by `binarycreator`) matched the archive (content).
    QtIfwSha1,
    /// APFS object checksums: the Fletcher-64 of every metadata object
    /// read (superblocks, object maps, B-tree nodes) matched (stored
    /// data: the structure, not file content, which APFS does not check).
    #[serde(rename = "apfs-fletcher64")]
    ApfsFletcher64,
}

impl Check {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::ZipCrc32 => "zip-crc32",
            Check::SevenZCrc32 => "7z-crc32",
            Check::CabChecksum => "cab-checksum",
            Check::MsiFileHash => "msi-file-hash",
            Check::InnoSha256 => "inno-sha256",
            Check::InnoSha1 => "inno-sha1",
            Check::InnoMd5 => "inno-md5",
            Check::InnoCrc32 => "inno-crc32",
            Check::InnoAdler32 => "inno-adler32",
            Check::InnoBlockCrc32 => "inno-block-crc32",
            Check::InnoLoaderCrc32 => "inno-loader-crc32",
            Check::InstallshieldMd5 => "installshield-md5",
            Check::NsisCrc32 => "nsis-crc32",
            Check::XarExtractedChecksum => "xar-extracted-checksum",
            Check::XarArchivedChecksum => "xar-archived-checksum",
            Check::RarCrc32 => "rar-crc32",
            Check::GzipCrc32 => "gzip-crc32",
            Check::Bzip2Crc => "bzip2-crc",
            Check::XzCheck => "xz-check",
            Check::TarHeaderChecksum => "tar-header-checksum",
            Check::CpioCrc => "cpio-crc",
            Check::Authenticode => "authenticode",
            Check::UdifCrc32 => "udif-crc32",
            Check::ArjCrc32 => "arj-crc32",
            Check::ZipAesHmac => "zip-aes-hmac",
            Check::RarBlake2sp => "rar-blake2sp",
            Check::QtIfwSha1 => "qt-ifw-sha1",
            Check::ApfsFletcher64 => "apfs-fletcher64",
        }
    }

    /// Whether the check covers the decoded bytes we hash (true), or only
    /// the stored data they were decoded from (false).
    pub fn covers_content(self) -> bool {
        !matches!(
            self,
            Check::CabChecksum
                | Check::NsisCrc32
                | Check::XarArchivedChecksum
                | Check::InnoBlockCrc32
                | Check::InnoLoaderCrc32
                | Check::TarHeaderChecksum
                | Check::ZipAesHmac
                | Check::ApfsFletcher64
        )
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a node sits inside its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EntryKind {
    /// A member of an archive, cabinet or installer payload.
    File,
    /// Data appended after a PE image (the overlay).
    Overlay,
    /// A PE resource.
    Resource,
    /// A stream of a compound file.
    Stream,
    /// A container found by signature search inside a larger region.
    Carved,
}

/// How a child is stored in its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EntryInfo {
    /// Kind of placement.
    pub kind: EntryKind,
    /// Byte offset of the child's data in the parent, when stored contiguously.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Size as stored (compressed), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    /// Compression method, as the container names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Modification time as the container keeps it (RFC 3339; no zone
    /// when the format keeps the packer's local time), when it keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime: Option<crate::Timestamp>,
    /// The entry is encrypted; its content was not read.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub encrypted: bool,
    /// The name the container itself uses, when the reported name differs
    /// (e.g. the cabinet key of an MSI file, the raw stream name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The entry was hashed while it streamed and not kept whole: it is no
    /// container we open (or too large to buffer, see
    /// [`Limits::max_buffered_entry`](crate::Limits::max_buffered_entry)),
    /// so it was not parsed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub streamed: bool,
    /// Checks that matched this entry's bytes, set by the container's
    /// parser; the engine moves them to the node's
    /// `installsift::NodeInfo::verified_by` (not serialized here).
    #[serde(skip)]
    pub verified_by: Vec<Check>,
    /// Problems the container found with this entry's bytes (a checksum
    /// mismatch); the engine moves them to the node's errors.
    #[serde(skip)]
    pub errors: Vec<Error>,
}

impl EntryInfo {
    /// An entry of the given kind with nothing else known.
    pub fn new(kind: EntryKind) -> Self {
        EntryInfo {
            kind,
            offset: None,
            compressed_size: None,
            method: None,
            mtime: None,
            encrypted: false,
            key: None,
            streamed: false,
            verified_by: Vec::new(),
            errors: Vec::new(),
        }
    }
    /// Set the offset.
    pub fn at(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }
    /// Set the modification time (`None` leaves none).
    pub fn modified(mut self, mtime: Option<crate::Timestamp>) -> Self {
        self.mtime = mtime;
        self
    }
    /// Record a check that matched the entry's bytes.
    pub fn verified(mut self, check: Check) -> Self {
        self.add_verified(check);
        self
    }
    /// Record a problem with the entry's bytes (a checksum mismatch): the
    /// child keeps its bytes, hash and format, and carries the error.
    pub fn with_error(mut self, e: Error) -> Self {
        self.add_error(e);
        self
    }
    /// [`EntryInfo::verified`] in place.
    pub fn add_verified(&mut self, check: Check) {
        if !self.verified_by.contains(&check) {
            self.verified_by.push(check);
        }
    }
    /// [`EntryInfo::with_error`] in place.
    pub fn add_error(&mut self, e: Error) {
        self.errors.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::Family;

    /// `Family::ALL` is the schema's enum: a variant added to `Family`
    /// makes `position` fail to compile until it is given the next
    /// position, and this test then fails until `ALL` holds it there (the
    /// corpus output's validation against the schema catches the rest).
    #[test]
    fn every_family_is_listed() {
        fn position(f: Family) -> usize {
            match f {
                Family::Msi => 0,
                Family::Msm => 1,
                Family::Msp => 2,
                Family::Msu => 3,
                Family::SevenZSfx => 4,
                Family::ZipSfx => 5,
                Family::CabSfx => 6,
                Family::Nsis => 7,
                Family::RarSfx => 8,
                Family::ArjSfx => 9,
                Family::Inno => 10,
                Family::InstallShield => 11,
                Family::WixBurn => 12,
                Family::Squirrel => 13,
                Family::Velopack => 14,
                Family::IExpress => 15,
                Family::Msix => 16,
                Family::SetupFactory => 17,
                Family::Wise => 18,
                Family::AdvancedInstaller => 19,
                Family::InstallAware => 20,
                Family::Clickteam => 21,
                Family::SmartInstallMaker => 22,
                Family::GhostInstaller => 23,
                Family::BitRock => 24,
                Family::Install4j => 25,
                Family::QtIfw => 26,
                Family::Gentee => 27,
                Family::CreateInstall => 28,
                Family::Astrum => 29,
                Family::Vise => 30,
                Family::BdistWininst => 31,
                Family::Omaha => 32,
                Family::ClickOnce => 33,
                Family::Pkg => 34,
                Family::Dmg => 35,
                Family::Other => 36,
            }
        }
        for (i, f) in Family::ALL.iter().enumerate() {
            assert_eq!(position(*f), i, "{f}");
        }
        let mut names: Vec<&str> = Family::ALL.iter().map(|f| f.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Family::ALL.len(), "two families share a name");
    }
}
