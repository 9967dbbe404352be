//! The rule table. Facts come from `docs/CLASSIFICATION.md`, which cites where
//! each marker is documented (Detect It Easy's database, 7-Zip, innoextract,
//! the engines' own sources); no rule matches entry-point code bytes.
//!
//! Adding a rule is one entry here; a test that needs more than byte and
//! metadata lookups is a function in `probe.rs`.

use super::longtail;
use super::probe;
use super::{Hit, Subject};
use installsift_model::{Family, Format, Strength};

/// What a rule that fires means for the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Means {
    /// A structural marker of this installer family.
    Installer(Family),
    /// A child is an installer; the family is the child's.
    CarriedInstaller,
    /// Not an installer, although it looks like one: the kind.
    LookAlike(&'static str),
    /// An archive carried in the overlay or a resource; the family (7z-sfx …)
    /// comes from the hit. Overruled by a look-alike.
    Payload,
    /// A packer's marker: not an installer unless something stronger says so.
    Packed(&'static str),
    /// Supports a family, never decides (reported only).
    Hint(Family),
    /// A weak installer keyword in one UAC installer-detection category.
    Uac(UacCategory),
}

/// The categories of Microsoft's UAC installer detection that installsift
/// checks; weak signals count once per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum UacCategory {
    /// The file name.
    FileName,
    /// Version-info strings.
    VersionInfo,
    /// The manifest asks for administrator rights.
    Manifest,
    /// Imports of Windows Installer functions (msi.dll).
    Imports,
}

impl UacCategory {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UacCategory::FileName => "file name",
            UacCategory::VersionInfo => "version info",
            UacCategory::Manifest => "manifest",
            UacCategory::Imports => "imports",
        }
    }
}

/// Where in a PE's version info a keyword is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionKey {
    ProductName,
    CompanyName,
    FileDescription,
    OriginalFilename,
    InternalName,
}

/// A test over a node. Byte searches are bounded by the window they name or
/// by [`probe::IMAGE_SEARCH`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Test {
    /// Always fires (format-level facts, e.g. an MSI is an installer).
    Always(&'static str),
    /// These bytes at this offset from the start of the PE overlay.
    OverlayAt(usize, &'static [u8]),
    /// These bytes within the first `window` bytes of the PE overlay.
    OverlayHas(usize, &'static [u8]),
    /// These bytes within the last `window` bytes of the file.
    TailHas(usize, &'static [u8]),
    /// These bytes at this file offset.
    FileAt(usize, &'static [u8]),
    /// Any of these byte strings in the first [`probe::IMAGE_SEARCH`] bytes of a
    /// program (a DLL or driver is not searched).
    ImageHasAny(&'static [&'static [u8]]),
    /// A section with this name (ASCII case-insensitive).
    Section(&'static str),
    /// A resource of this type (and name, when given) whose data starts with
    /// these bytes (empty: any data).
    Resource(&'static str, Option<&'static str>, &'static [u8]),
    /// The version-info resource holds this text (UTF-16LE), e.g. a key such
    /// as `SquirrelAwareVersion` or a `Comments` value.
    VersionText(&'static str),
    /// A version-info value starts with this text (ASCII case-insensitive).
    VersionStarts(VersionKey, &'static str),
    /// The manifest holds this text (ASCII case-insensitive).
    ManifestHas(&'static str),
    /// A test that needs code.
    Probe(fn(&Subject<'_>) -> Option<Hit>),
}

/// One rule.
#[derive(Debug)]
pub(crate) struct Rule {
    /// Stable signal id, reported as the evidence's `signal`.
    pub signal: &'static str,
    /// Strong (structural) or weak (keywords, hints).
    pub strength: Strength,
    /// The format of node it applies to.
    pub on: Format,
    /// What it means when it fires.
    pub means: Means,
    /// When it fires.
    pub test: Test,
}

use Means::*;
use Strength::{Strong, Weak};
use Test::*;

const fn strong(signal: &'static str, on: Format, means: Means, test: Test) -> Rule {
    Rule {
        signal,
        strength: Strong,
        on,
        means,
        test,
    }
}

const fn weak(signal: &'static str, on: Format, means: Means, test: Test) -> Rule {
    Rule {
        signal,
        strength: Weak,
        on,
        means,
        test,
    }
}

const PE: Format = Format::Pe;

/// AutoIt's script resource / overlay header (16 bytes before `AU3!`).
const AUTOIT_HEADER: &[u8] = b"\xA3\x48\x4B\xBE\x98\x6C\x4A\xA9\x99\x4C\x53\x0A\x86\xD6\x48\x7D";

/// Every rule, in priority order inside each tier.
pub(crate) static RULES: &[Rule] = &[
    // ------------------------------------------------------------ formats
    strong(
        "installer-format",
        Format::Msi,
        Installer(Family::Msi),
        Probe(probe::msi_package),
    ),
    strong(
        "msi-validation-database",
        Format::Msi,
        LookAlike("validation-database"),
        Probe(probe::msi_cube),
    ),
    strong(
        "installer-format",
        Format::Msm,
        Installer(Family::Msm),
        Probe(probe::msm_package),
    ),
    strong(
        "msi-transform",
        Format::Mst,
        LookAlike("transform"),
        Always("Windows Installer transform (root CLSID {000C1082-…}): changes an MSI's tables when applied to it (`TRANSFORMS=`), installs nothing on its own"),
    ),
    strong(
        "installer-format",
        Format::Msp,
        Installer(Family::Msp),
        Always("Windows Installer patch (CFB with the MSP root CLSID)"),
    ),
    strong(
        "installer-format",
        Format::Nsis,
        Installer(Family::Nsis),
        Probe(probe::nsis_installer_data),
    ),
    strong(
        "nsis-uninstaller-data",
        Format::Nsis,
        LookAlike("uninstaller"),
        Probe(probe::nsis_uninstaller_data),
    ),
    strong(
        "installer-format",
        Format::Inno,
        Installer(Family::Inno),
        Always(
            "Inno Setup setup data: `Inno Setup Setup Data (x.y.z)` ID and setup-0 block streams",
        ),
    ),
    strong(
        "msu-layout",
        Format::Cab,
        Installer(Family::Msu),
        Probe(probe::msu_layout),
    ),
    strong(
        "cfb-not-msi",
        Format::Cfb,
        LookAlike("compound-document"),
        Always("compound file without Windows Installer structures"),
    ),
    strong(
        "msix-manifest",
        Format::Zip,
        Installer(Family::Msix),
        Probe(probe::msix_manifest),
    ),
    strong(
        "clickonce-deployment",
        Format::Xml,
        Installer(Family::ClickOnce),
        Probe(probe::clickonce_deployment),
    ),
    strong(
        "clickonce-application-manifest",
        Format::Xml,
        Installer(Family::ClickOnce),
        Probe(probe::clickonce_application),
    ),
    strong(
        "appinstaller-file",
        Format::Xml,
        Installer(Family::Msix),
        Probe(probe::appinstaller),
    ),
    strong(
        "installer-format",
        Format::Xar,
        Installer(Family::Pkg),
        Probe(probe::xar_pkg),
    ),
    strong(
        "installer-format",
        Format::QtIfw,
        Installer(Family::QtIfw),
        Probe(probe::qtifw_installer),
    ),
    strong(
        "qt-ifw-maintenance-tool",
        Format::QtIfw,
        LookAlike("maintenance-tool"),
        Probe(probe::qtifw_maintenance_tool),
    ),
    strong(
        "installer-format",
        Format::Dmg,
        Installer(Family::Dmg),
        Always("UDIF disk image (`koly` trailer)"),
    ),
    // ------------------------------------------------------------ NE (16-bit)
    strong(
        "ne-installshield-setup",
        Format::Ne,
        Installer(Family::InstallShield),
        Probe(probe::ne_installshield),
    ),
    strong(
        "ne-carries-installer",
        Format::Ne,
        CarriedInstaller,
        Probe(probe::carried_installer),
    ),
    strong(
        "ne-carries-archive",
        Format::Ne,
        Payload,
        Probe(probe::carried_archive),
    ),
    // ------------------------------------------------------------ PE: installers
    strong(
        "pe-carries-installer",
        PE,
        CarriedInstaller,
        Probe(probe::carried_installer),
    ),
    strong(
        "inno-loader-table",
        PE,
        Installer(Family::Inno),
        Probe(probe::inno_loader_table),
    ),
    strong(
        "inno-offset-table-0x30",
        PE,
        Installer(Family::Inno),
        Probe(probe::inno_offset_0x30),
    ),
    strong(
        "inno-overlay-zlb",
        PE,
        Installer(Family::Inno),
        OverlayAt(0, b"zlb\x1a"),
    ),
    strong(
        "inno-overlay-disk-slice",
        PE,
        Installer(Family::Inno),
        OverlayAt(0, b"idska32\x1a"),
    ),
    strong(
        "installshield-records",
        PE,
        Installer(Family::InstallShield),
        Probe(probe::installshield_records),
    ),
    strong(
        "installshield-overlay-stream",
        PE,
        Installer(Family::InstallShield),
        OverlayHas(4096, b"ISSetupStream"),
    ),
    strong(
        "installshield-overlay-isc",
        PE,
        Installer(Family::InstallShield),
        OverlayHas(256, b"ISc("),
    ),
    strong(
        "installshield-overlay-header",
        PE,
        Installer(Family::InstallShield),
        OverlayHas(4096, b"InstallShield\0"),
    ),
    strong(
        "installshield-disk1-table",
        PE,
        Installer(Family::InstallShield),
        Probe(probe::installshield_disk1),
    ),
    strong(
        "installshield-launcher-manifest",
        PE,
        Installer(Family::InstallShield),
        Probe(probe::installshield_launcher),
    ),
    strong(
        "installshield-cabinet-section",
        PE,
        Installer(Family::InstallShield),
        Section("_cabinet"),
    ),
    strong(
        "wix-burn-section",
        PE,
        Installer(Family::WixBurn),
        Probe(probe::burn_section),
    ),
    strong(
        "omaha-metainstaller",
        PE,
        Installer(Family::Omaha),
        Probe(probe::omaha),
    ),
    strong(
        "velopack-bundle",
        PE,
        Installer(Family::Velopack),
        Probe(probe::velopack),
    ),
    strong(
        "chromium-mini-installer",
        PE,
        Installer(Family::Other),
        Probe(probe::chromium_mini_installer),
    ),
    strong(
        "squirrel-nupkg",
        PE,
        Installer(Family::Squirrel),
        Probe(probe::squirrel_nupkg),
    ),
    strong(
        "squirrel-damaged-payload",
        PE,
        Installer(Family::Squirrel),
        Probe(probe::squirrel_damaged),
    ),
    strong(
        "iexpress-wextract",
        PE,
        Installer(Family::IExpress),
        Probe(probe::iexpress),
    ),
    strong(
        "7z-sfx-config",
        PE,
        Installer(Family::SevenZSfx),
        OverlayHas(4096, b";!@Install@!UTF-8!"),
    ),
    strong(
        "setup-factory-overlay",
        PE,
        Installer(Family::SetupFactory),
        OverlayAt(
            0,
            b"\xE0\xE0\xE1\xE1\xE2\xE2\xE3\xE3\xE4\xE4\xE5\xE5\xE6\xE6\xE7\xE7",
        ),
    ),
    strong(
        "setup-factory-overlay-old",
        PE,
        Installer(Family::SetupFactory),
        OverlayAt(0, b"\xE0\xE1\xE2\xE3\xE4\xE5\xE6"),
    ),
    strong(
        "setup-factory-runtime",
        PE,
        Installer(Family::SetupFactory),
        Probe(longtail::setup_factory_runtime),
    ),
    strong(
        "advanced-installer-footer",
        PE,
        Installer(Family::AdvancedInstaller),
        Probe(longtail::advanced_installer),
    ),
    strong(
        "advanced-installer-tail",
        PE,
        Installer(Family::AdvancedInstaller),
        TailHas(0x50, b"ADVINSTSFX"),
    ),
    strong(
        "advanced-installer-overlay",
        PE,
        Installer(Family::AdvancedInstaller),
        OverlayAt(0, b"\x2F\x30\xEE\x1F\x5E\x4E\xE5\x1E"),
    ),
    strong(
        "advanced-installer-options",
        PE,
        Installer(Family::AdvancedInstaller),
        Probe(longtail::advanced_installer_options),
    ),
    strong(
        "installaware-comments",
        PE,
        Installer(Family::InstallAware),
        VersionText("This installation was built with InstallAware"),
    ),
    strong(
        "wise-section",
        PE,
        Installer(Family::Wise),
        Section(".WISE"),
    ),
    strong(
        "wise-overlay-size",
        PE,
        Installer(Family::Wise),
        Probe(longtail::wise_overlay_size),
    ),
    strong(
        "wise-overlay-wizard",
        PE,
        Installer(Family::Wise),
        OverlayHas(0x1000, b"Wise Installation Wizard"),
    ),
    strong(
        "createinstall-overlay",
        PE,
        Installer(Family::CreateInstall),
        OverlayAt(0, b"aWAW"),
    ),
    strong(
        "createinstall-overlay-2003",
        PE,
        Installer(Family::CreateInstall),
        OverlayAt(0, b"\x02\x06\x0a\x04\x05\xfd\x59"),
    ),
    strong(
        "gentee-loader-header",
        PE,
        Installer(Family::Gentee),
        Probe(longtail::gentee_header),
    ),
    strong(
        "gentee-overlay-ows9g1",
        PE,
        Installer(Family::Gentee),
        OverlayAt(0x0B, b"OWS9G1"),
    ),
    strong(
        "gentee-gea",
        PE,
        Installer(Family::Gentee),
        Probe(longtail::gentee_gea),
    ),
    strong(
        "smart-install-maker-overlay",
        PE,
        Installer(Family::SmartInstallMaker),
        Probe(longtail::smart_install_maker),
    ),
    strong(
        "smart-install-maker-lzma",
        PE,
        Installer(Family::SmartInstallMaker),
        Probe(longtail::smart_install_maker_lzma),
    ),
    strong(
        "astrum-resource",
        PE,
        Installer(Family::Astrum),
        Probe(longtail::astrum),
    ),
    strong(
        "clickteam-overlay",
        PE,
        Installer(Family::Clickteam),
        OverlayAt(0, b"wwgT)"),
    ),
    strong(
        "clickteam-overlay-header",
        PE,
        Installer(Family::Clickteam),
        Probe(longtail::clickteam_header),
    ),
    strong(
        "ghost-installer-overlay",
        PE,
        Installer(Family::GhostInstaller),
        OverlayAt(0, b"\xC0\xDE\xCE\xCB\x8D\x8D\x8D\x8D"),
    ),
    strong(
        "install4j-overlay",
        PE,
        Installer(Family::Install4j),
        OverlayAt(0, b"\xD5\x13\xE4\xE8\x01\x00\x00\x00"),
    ),
    strong(
        "bitrock-manifest",
        PE,
        Installer(Family::BitRock),
        ManifestHas("BitRock"),
    ),
    strong(
        "bitrock-overlay",
        PE,
        Installer(Family::BitRock),
        Probe(longtail::bitrock_overlay),
    ),
    strong(
        "qt-ifw-overlay",
        PE,
        Installer(Family::QtIfw),
        OverlayAt(0, b"qres\0\0\0\x01"),
    ),
    strong(
        "vise-overlay",
        PE,
        Installer(Family::Vise),
        OverlayAt(0, b"ESIV"),
    ),
    strong(
        "vise-svm-0xf000",
        PE,
        Installer(Family::Vise),
        FileAt(0xF000, b"SIVM"),
    ),
    strong(
        "bdist-wininst-config",
        PE,
        Installer(Family::BdistWininst),
        Probe(longtail::bdist_wininst_hit),
    ),
    strong(
        "vs-bootstrapper-setupcfg",
        PE,
        Installer(Family::Other),
        Probe(longtail::vs_bootstrapper_hit),
    ),
    strong(
        "builder-overlay-magic",
        PE,
        Installer(Family::Other),
        Probe(longtail::die_overlay_builder),
    ),
    strong(
        "installshield3-overlay",
        PE,
        Installer(Family::InstallShield),
        Probe(longtail::installshield3),
    ),
    strong(
        "installshield-szdd-resource",
        PE,
        Installer(Family::InstallShield),
        Probe(longtail::installshield_szdd),
    ),
    strong(
        "installshield-java-overlay",
        PE,
        Installer(Family::InstallShield),
        OverlayHas(0x100, b"InstallShield Native Installer"),
    ),
    // ------------------------------------------------------------ PE: look-alikes
    strong(
        "nsis-uninstaller",
        PE,
        LookAlike("uninstaller"),
        Probe(probe::nsis_uninstaller_pe),
    ),
    strong(
        "inno-uninstaller",
        PE,
        LookAlike("uninstaller"),
        FileAt(0x30, b"InUn"),
    ),
    strong(
        "inno-uninstaller-messages",
        PE,
        LookAlike("uninstaller"),
        Probe(probe::inno_uninstaller_messages),
    ),
    strong(
        "pyinstaller-cookie",
        PE,
        LookAlike("pyinstaller"),
        TailHas(4096, b"MEI\x0c\x0b\x0a\x0b\x0e"),
    ),
    strong(
        "pyinstaller-bootloader",
        PE,
        LookAlike("pyinstaller"),
        ImageHasAny(&[
            b"_PYI_ARCHIVE_FILE",
            b"_MEIPASS2",
            b"Cannot open PyInstaller archive",
        ]),
    ),
    strong(
        "script-launcher-shebang",
        PE,
        LookAlike("script-launcher"),
        Probe(probe::shebang_launcher),
    ),
    strong(
        "distlib-launcher",
        PE,
        LookAlike("script-launcher"),
        ImageHasAny(&[b"Unable to find an appended archive."]),
    ),
    strong(
        "setuptools-launcher",
        PE,
        LookAlike("script-launcher"),
        Probe(probe::setuptools_launcher),
    ),
    strong(
        "java-launcher-jar",
        PE,
        LookAlike("java-launcher"),
        Probe(probe::jar_launcher),
    ),
    strong(
        "autoit-script-overlay",
        PE,
        LookAlike("autoit"),
        OverlayHas(64, b"AU3!EA0"),
    ),
    strong(
        "autoit-script-resource",
        PE,
        LookAlike("autoit"),
        Resource("RCDATA", Some("SCRIPT"), AUTOIT_HEADER),
    ),
    strong(
        "dotnet-single-file-bundle",
        PE,
        LookAlike("dotnet-bundle"),
        Probe(probe::dotnet_bundle),
    ),
    strong(
        "system-tool",
        PE,
        LookAlike("system-tool"),
        Probe(probe::system_tool),
    ),
    strong(
        "squirrel-setup-template",
        PE,
        LookAlike("engine-stub"),
        Probe(probe::squirrel_template),
    ),
    strong(
        "inno-stub",
        PE,
        LookAlike("engine-stub"),
        Probe(probe::inno_stub),
    ),
    strong(
        "nsis-exehead-stub",
        PE,
        LookAlike("engine-stub"),
        Probe(probe::nsis_stub),
    ),
    strong(
        "wix-burn-engine-stub",
        PE,
        LookAlike("engine-stub"),
        Probe(probe::burn_engine_stub),
    ),
    strong(
        "omaha-metainstaller-stub",
        PE,
        LookAlike("engine-stub"),
        Probe(probe::omaha_stub),
    ),
    strong(
        "7z-sfx-module-stub",
        PE,
        LookAlike("engine-stub"),
        Probe(probe::sevenz_sfx_stub),
    ),
    // ------------------------------------------------------------ PE: payloads
    strong(
        "pe-carries-archive",
        PE,
        Payload,
        Probe(probe::carried_archive),
    ),
    // ------------------------------------------------------------ PE: packers
    strong("packer-upx", PE, Packed("packed-upx"), Section("UPX0")),
    strong("packer-upx1", PE, Packed("packed-upx"), Section("UPX1")),
    strong(
        "packer-aspack",
        PE,
        Packed("packed-aspack"),
        Section(".aspack"),
    ),
    strong(
        "packer-petite",
        PE,
        Packed("packed-petite"),
        Section(".petite"),
    ),
    strong(
        "packer-wwpack",
        PE,
        Packed("packed-wwpack"),
        Section(".WWP32"),
    ),
    strong("packer-mew", PE, Packed("packed-mew"), Section("MEW")),
    strong(
        "packer-pespin",
        PE,
        Packed("packed-pespin"),
        Section(" KuNgBiM"),
    ),
    strong(
        "packer-mpress",
        PE,
        Packed("packed-mpress"),
        Section(".MPRESS1"),
    ),
    strong(
        "packer-themida",
        PE,
        Packed("packed-themida"),
        Section(".themida"),
    ),
    strong(
        "packer-vmprotect",
        PE,
        Packed("packed-vmprotect"),
        Section(".vmp0"),
    ),
    // ------------------------------------------------------------ PE: hints
    weak(
        "squirrel-aware-version",
        PE,
        Hint(Family::Squirrel),
        VersionText("SquirrelAwareVersion"),
    ),
    weak(
        "inno-comments",
        PE,
        Hint(Family::Inno),
        VersionText("This installation was built with Inno Setup"),
    ),
    weak(
        "installshield-version-info",
        PE,
        Hint(Family::InstallShield),
        VersionStarts(VersionKey::ProductName, "InstallShield"),
    ),
    weak(
        "installshield-version-company",
        PE,
        Hint(Family::InstallShield),
        Probe(probe::installshield_company),
    ),
    // ------------------------------------------------------------ PE: UAC keywords
    weak(
        "uac-name-keyword",
        PE,
        Uac(UacCategory::FileName),
        Probe(probe::name_keyword),
    ),
    weak(
        "uac-version-keyword",
        PE,
        Uac(UacCategory::VersionInfo),
        Probe(probe::version_keyword),
    ),
    weak(
        "uac-require-administrator",
        PE,
        Uac(UacCategory::Manifest),
        Probe(probe::require_admin),
    ),
    weak(
        "uac-msi-import",
        PE,
        Uac(UacCategory::Imports),
        Probe(probe::msi_import),
    ),
];

impl Test {
    /// Run the test.
    pub(crate) fn eval(&self, s: &Subject<'_>) -> Option<Hit> {
        match *self {
            Always(why) => Some(Hit::at(why, None)),
            OverlayAt(off, magic) => probe::overlay_at(s, off, magic),
            OverlayHas(window, needle) => probe::overlay_has(s, window, needle),
            TailHas(window, needle) => probe::tail_has(s, window, needle),
            FileAt(off, magic) => probe::file_at(s, off, magic),
            ImageHasAny(needles) => probe::image_has_any(s, needles),
            Section(name) => probe::section(s, name),
            Resource(ty, name, magic) => probe::resource(s, ty, name, magic),
            VersionText(text) => probe::version_text(s, text),
            VersionStarts(key, text) => probe::version_starts(s, key, text),
            ManifestHas(text) => probe::manifest_has(s, text),
            Probe(f) => f(s),
        }
    }
}
