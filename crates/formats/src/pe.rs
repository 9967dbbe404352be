//! Portable Executable: headers, sections, overlay (with the certificate table
//! carved out), resources that hold containers, version info, manifest.
//!
//! The layout (headers, sections, data directories, resource tree) is read by
//! our own bounds-checked code so that overlays and resources are found even
//! when goblin rejects a damaged file; goblin supplies imports, version-info
//! strings and the manifest when it parses.

use super::container::{
    Container, Data, End, Entry, Notes, OpenFn, Opened, Options, Preopened,
    MAX_EVIDENCE_PER_SIGNAL, MAX_NOTED_ERRORS,
};
use super::{find_embedded, le_u16, le_u32, le_u64, Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::hash::HashSelection;
use installsift_model::limits::{Limit, Limits};
use installsift_model::Check;
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

mod authenticode;
mod burn;
pub(crate) mod der;
mod imphash;
mod omaha;
mod ordinals;
pub mod signature;
pub mod toolchain;
mod velopack;

pub use authenticode::AuthenticodeHashes;
pub use burn::{BurnContainer, BurnInfo};
pub use omaha::OmahaTag;
pub use signature::{
    Certificate, DigestAlgorithm, SignatureInfo, Signer, TimestampInfo, TimestampKind,
};
pub use velopack::VelopackInfo;

/// PE facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PeInfo {
    /// `x86`, `x86_64`, `arm64`, `arm`, or `0x….` for others.
    pub machine: String,
    /// 32 or 64 (from the optional header magic).
    pub bits: u8,
    /// `exe`, `dll` or `driver`.
    pub kind: String,
    /// Subsystem name (`windows-gui`, `windows-cui`, `native`, `efi-application` …).
    pub subsystem: String,
    /// Entry point RVA.
    pub entry_point: u32,
    /// Preferred load address.
    pub image_base: u64,
    /// COFF time stamp (seconds since 1970, often a build hash in reproducible builds).
    pub timestamp: u32,
    /// Section table.
    pub sections: Vec<SectionInfo>,
    /// Imported DLLs and the number of imported functions (when goblin parsed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imports: Option<ImportSummary>,
    /// Whether a .NET (CLR) header is present.
    pub dotnet: bool,
    /// An Authenticode signature (certificate table) is present.
    pub signed: bool,
    /// Where the certificate table lies in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_table: Option<Region>,
    /// Bytes after the image (end of headers and section data), certificate
    /// table included; the payload children exclude the certificate table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlay: Option<Region>,
    /// Resource leaves found (all of them are searched for containers).
    pub resource_count: u64,
    /// The first 1,000 resources (type/name/language, offset, size).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceInfo>,
    /// Version-info strings and fixed versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_info: Option<VersionStrings>,
    /// `requestedExecutionLevel` from the manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_execution_level: Option<String>,
    /// The Authenticode signatures in the certificate table (the first, then
    /// nested ones): digest algorithm, signed digest, whether it matches the
    /// file, and the signer. Read for every signed PE.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<SignatureInfo>,
    /// Authenticode digests, when the scan asked for them
    /// ([`HashSelection::authenticode`](installsift_model::HashSelection::authenticode)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticode: Option<AuthenticodeHashes>,
    /// imphash (lowercase MD5 hex, as python pefile's `get_imphash()`), when
    /// the scan asked for it and the PE has an import directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imphash: Option<installsift_model::hash::Md5>,
    /// WiX Burn section facts (bundle id, containers), when the PE has a
    /// `.wixburn` section with the Burn magic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burn: Option<BurnInfo>,
    /// Velopack `Setup.exe` facts: where its placeholder says the bundled
    /// package lies, and the package's `.nuspec` id, version, title, authors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub velopack: Option<VelopackInfo>,
    /// InstallShield Setup Launcher records found in the overlay (each
    /// record is a child of this PE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installshield: Option<Box<super::installshield::LauncherInfo>>,
    /// Where an Inno Setup loader would keep its offset table (`Inno` at
    /// 0x30, the `RCDATA/11111` resources), read once for the classifier.
    /// Not part of the report.
    #[serde(skip)]
    pub inno_loader: Option<super::inno::LoaderMarks>,
    /// The Omaha (Google Update) tag in the certificate table (`Gact`, a
    /// length, `appguid=…`), read once for the classifier. Not part of the
    /// report.
    #[serde(skip)]
    pub omaha_tag: Option<OmahaTag>,
    /// An Inno Setup uninstaller's message tail (`IMsg` and the messages'
    /// offset, ending the file), read once for the classifier. Not part of
    /// the report.
    #[serde(skip)]
    pub inno_message_tail: Option<super::inno::MessageTail>,
    /// The first member of the Omaha metainstaller payload (the
    /// LZMA-compressed tar in resource `B/102`), read once for the
    /// classifier. Not part of the report.
    #[serde(skip)]
    pub omaha_payload_member: Option<String>,
    /// The first `MANIFEST` resource as text, read once for the classifier
    /// and the `sfxcab` search. Not part of the report.
    #[serde(skip)]
    pub manifest: Option<Manifest>,
}

/// A PE's application manifest as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// File offset of the resource's data.
    pub offset: u64,
    /// Its first [`MANIFEST_READ`] bytes, UTF-16LE when the second byte is
    /// zero, UTF-8 otherwise (lossy either way).
    pub text: String,
}

/// Bytes of a manifest resource read as text.
pub const MANIFEST_READ: usize = 1 << 16;

/// The first `MANIFEST` resource (type compared without case) whose data
/// lies in the file, as text.
fn manifest(data: &[u8], resources: &[ResourceInfo]) -> Option<Manifest> {
    let (r, b) = resources
        .iter()
        .filter(|r| {
            r.path
                .split('/')
                .next()
                .is_some_and(|t| t.eq_ignore_ascii_case("MANIFEST"))
        })
        .find_map(|r| {
            let a = usize::try_from(r.offset).ok()?;
            let b = a.checked_add(usize::try_from(r.size).ok()?)?;
            Some((r, data.get(a..b)?))
        })?;
    let b = b.get(..b.len().min(MANIFEST_READ))?;
    Some(Manifest {
        offset: r.offset,
        text: manifest_text(b),
    })
}

/// A manifest's bytes as text: UTF-16LE when the second byte is zero,
/// UTF-8 otherwise.
fn manifest_text(b: &[u8]) -> String {
    if b.get(1) == Some(&0) {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(b).into_owned()
    }
}

/// A byte range of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Region {
    /// Start offset.
    pub offset: u64,
    /// Length in bytes.
    pub size: u64,
}

/// One section header.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SectionInfo {
    /// Name (up to 8 bytes, lossy UTF-8).
    pub name: String,
    /// RVA.
    pub virtual_address: u32,
    /// Size in memory.
    pub virtual_size: u32,
    /// File offset of the raw data.
    pub raw_offset: u32,
    /// Raw data size in the file.
    pub raw_size: u32,
}

/// Imports, summarised.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImportSummary {
    /// Imported DLL names, as written.
    pub dlls: Vec<String>,
    /// Number of imported functions.
    pub functions: usize,
}

/// One resource leaf.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResourceInfo {
    /// `TYPE/NAME/LANG`, types named as in the SDK (RCDATA, VERSION …).
    pub path: String,
    /// File offset of the data.
    pub offset: u64,
    /// Data size.
    pub size: u64,
}

/// Version-info resource.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VersionStrings {
    /// VS_FIXEDFILEINFO file version `a.b.c.d`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_file_version: Option<String>,
    /// VS_FIXEDFILEINFO product version `a.b.c.d`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_product_version: Option<String>,
    #[allow(missing_docs)]
    #[serde(rename = "CompanyName", skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[allow(missing_docs)]
    #[serde(rename = "ProductName", skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    #[allow(missing_docs)]
    #[serde(rename = "FileDescription", skip_serializing_if = "Option::is_none")]
    pub file_description: Option<String>,
    #[allow(missing_docs)]
    #[serde(rename = "OriginalFilename", skip_serializing_if = "Option::is_none")]
    pub original_filename: Option<String>,
    #[allow(missing_docs)]
    #[serde(rename = "InternalName", skip_serializing_if = "Option::is_none")]
    pub internal_name: Option<String>,
    #[allow(missing_docs)]
    #[serde(rename = "FileVersion", skip_serializing_if = "Option::is_none")]
    pub file_version: Option<String>,
    #[allow(missing_docs)]
    #[serde(rename = "ProductVersion", skip_serializing_if = "Option::is_none")]
    pub product_version: Option<String>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "pe",
    format: Format::Pe,
    sniff,
    open,
};

/// `MZ` with `e_lfanew` pointing at `PE\0\0` inside the data.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(b"MZ")
        && le_u32(data, 0x3C)
            .and_then(|o| data.get(usize::try_from(o).ok()?..)?.get(..4))
            .is_some_and(|sig| sig == b"PE\0\0")
}

/// The raw layout we read ourselves.
struct Layout {
    /// Header fields that contradict each other, read as Windows reads them.
    problems: Vec<Error>,
    bits: u8,
    machine: u16,
    characteristics: u16,
    timestamp: u32,
    entry_point: u32,
    image_base: u64,
    size_of_headers: u32,
    subsystem: u16,
    sections: Vec<SectionInfo>,
    resource_dir: Option<(u32, u32)>,
    cert_dir: Option<(u32, u32)>,
    clr_dir: bool,
}

fn read_layout(data: &[u8]) -> Result<Layout, Error> {
    let lfanew = le_u32(data, 0x3C).ok_or_else(|| Error::truncated("no e_lfanew"))? as usize;
    let coff = lfanew
        .checked_add(4)
        .ok_or_else(|| Error::malformed("e_lfanew overflows"))?;
    let need = |what: &str| {
        Error::truncated(format!(
            "PE {what} runs past the end of the data ({} bytes)",
            data.len()
        ))
    };
    let machine = le_u16(data, coff).ok_or_else(|| need("COFF header"))?;
    let nsections = le_u16(data, coff + 2).ok_or_else(|| need("COFF header"))?;
    let timestamp = le_u32(data, coff + 4).ok_or_else(|| need("COFF header"))?;
    let size_opt = le_u16(data, coff + 16).ok_or_else(|| need("COFF header"))? as usize;
    let characteristics = le_u16(data, coff + 18).ok_or_else(|| need("COFF header"))?;
    let opt = coff + 20;
    let magic = le_u16(data, opt).ok_or_else(|| need("optional header"))?;
    let (bits, image_base, dirs_count_off, dirs_off) = match magic {
        0x10b => (
            32,
            le_u32(data, opt + 28).map(u64::from),
            opt + 92,
            opt + 96,
        ),
        0x20b => (64, le_u64(data, opt + 24), opt + 108, opt + 112),
        m => {
            return Err(Error::malformed(format!(
                "optional header magic {m:#x} is neither PE32 nor PE32+"
            )))
        }
    };
    let entry_point = le_u32(data, opt + 16).unwrap_or(0);
    let size_of_headers = le_u32(data, opt + 60).unwrap_or(0);
    let subsystem = le_u16(data, opt + 68).unwrap_or(0);
    let ndirs = le_u32(data, dirs_count_off).unwrap_or(0).min(16) as usize;
    let dir = |i: usize| -> Option<(u32, u32)> {
        if i >= ndirs || dirs_off + i * 8 + 8 > opt + size_opt {
            return None;
        }
        let va = le_u32(data, dirs_off + i * 8)?;
        let size = le_u32(data, dirs_off + i * 8 + 4)?;
        (va != 0 && size != 0).then_some((va, size))
    };
    let mut problems = Vec::new();
    // The loader finds the section table SizeOfOptionalHeader bytes after
    // the optional header's start, so that is where we read it too; but a
    // size too small for the fixed fields and the data directories the
    // header itself declares means the field (or the header) is damaged,
    // and everything found through the section table may be wrong.
    let needed = dirs_off - opt + ndirs * 8;
    if size_opt < needed {
        problems.push(Error::malformed(format!(
            "SizeOfOptionalHeader is {size_opt}, but a PE{} optional header with {ndirs} data directories needs {needed} bytes: the section table read at {:#x} overlaps it",
            if bits == 64 { "32+" } else { "" },
            opt + size_opt
        )).at((opt + size_opt) as u64));
    }
    let table = opt
        .checked_add(size_opt)
        .ok_or_else(|| Error::malformed("section table offset overflows"))?;
    let mut sections = Vec::new();
    for i in 0..usize::from(nsections) {
        let at = table + i * 40;
        let Some(raw) = data.get(at..at + 40) else {
            return Err(Error::truncated(format!(
                "section table declares {nsections} sections, data ends at entry {i}"
            )));
        };
        let name_bytes = raw.get(..8).unwrap_or(&[]);
        let end = name_bytes.iter().position(|&b| b == 0).unwrap_or(8);
        sections.push(SectionInfo {
            name: String::from_utf8_lossy(name_bytes.get(..end).unwrap_or(&[])).into_owned(),
            virtual_size: le_u32(raw, 8).unwrap_or(0),
            virtual_address: le_u32(raw, 12).unwrap_or(0),
            raw_size: le_u32(raw, 16).unwrap_or(0),
            raw_offset: le_u32(raw, 20).unwrap_or(0),
        });
    }
    Ok(Layout {
        problems,
        bits,
        machine,
        characteristics,
        timestamp,
        entry_point,
        image_base: image_base.unwrap_or(0),
        size_of_headers,
        subsystem,
        sections,
        resource_dir: dir(2),
        cert_dir: dir(4),
        clr_dir: dir(14).is_some(),
    })
}

impl Layout {
    /// File offset of an RVA, through the section table.
    fn rva_to_offset(&self, rva: u32) -> Option<usize> {
        for s in &self.sections {
            let span = s.virtual_size.max(s.raw_size);
            if rva >= s.virtual_address && rva - s.virtual_address < span {
                let delta = rva - s.virtual_address;
                if delta >= s.raw_size {
                    return None;
                }
                return usize::try_from(u64::from(s.raw_offset) + u64::from(delta)).ok();
            }
        }
        (rva < self.size_of_headers).then_some(rva as usize)
    }

    /// The section whose memory holds `rva` beyond its file data (an
    /// uninitialised tail), if any.
    fn uninitialized_section(&self, rva: u32) -> Option<&SectionInfo> {
        self.sections.iter().find(|s| {
            rva >= s.virtual_address
                && rva - s.virtual_address < s.virtual_size
                && rva - s.virtual_address >= s.raw_size
        })
    }

    /// End of the image in the file: headers and every section's raw data.
    fn image_end(&self, len: usize) -> usize {
        let mut end = u64::from(self.size_of_headers);
        for s in &self.sections {
            if s.raw_size > 0 {
                end = end.max(u64::from(s.raw_offset) + u64::from(s.raw_size));
            }
        }
        usize::try_from(end).unwrap_or(usize::MAX).min(len)
    }
}

fn machine_name(m: u16) -> String {
    match m {
        0x14c => "x86".into(),
        0x8664 => "x86_64".into(),
        0xaa64 => "arm64".into(),
        0x1c0 | 0x1c4 => "arm".into(),
        0x200 => "ia64".into(),
        0xebc => "efi-bytecode".into(),
        other => format!("{other:#06x}"),
    }
}

fn subsystem_name(s: u16) -> String {
    match s {
        1 => "native".into(),
        2 => "windows-gui".into(),
        3 => "windows-cui".into(),
        7 => "posix-cui".into(),
        9 => "windows-ce-gui".into(),
        10 => "efi-application".into(),
        11 => "efi-boot-service-driver".into(),
        12 => "efi-runtime-driver".into(),
        13 => "efi-rom".into(),
        14 => "xbox".into(),
        16 => "windows-boot-application".into(),
        other => format!("{other}"),
    }
}

/// Open a PE: everything it holds is decided here, from the headers, the
/// overlay, the resources and the certificate table (see [`Plan`]); the
/// engine then pulls the children that plan lists.
fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut layout = match read_layout(data) {
        Ok(l) => l,
        Err(e) => {
            notes.error(e);
            return Opened::Leaf(Parsed {
                format: Format::Pe,
                metadata: None,
            });
        }
    };
    let mut plan = Plan::new(opts.limits);
    for p in std::mem::take(&mut layout.problems) {
        plan.error(p);
    }
    let kind = if layout.subsystem == 1 {
        "driver"
    } else if layout.characteristics & 0x2000 != 0 {
        "dll"
    } else {
        "exe"
    };
    let mut info = PeInfo {
        machine: machine_name(layout.machine),
        bits: layout.bits,
        kind: kind.into(),
        subsystem: subsystem_name(layout.subsystem),
        entry_point: layout.entry_point,
        image_base: layout.image_base,
        timestamp: layout.timestamp,
        dotnet: layout.clr_dir,
        ..PeInfo::default()
    };
    plan.evidence(Evidence::strong(
        "pe-header",
        format!(
            "PE{} {} {}",
            if layout.bits == 64 { "32+" } else { "32" },
            info.machine,
            kind
        ),
        le_u32(data, 0x3C).map(u64::from),
    ));
    goblin_facts(data, opts.limits, &mut info, &mut plan);
    info.burn = burn_section(data, &layout, &mut plan);
    overlay(data, &layout, &mut info, opts, &mut plan);
    plan.end_part();
    resources(data, &layout, &mut info, opts, &mut plan);
    plan.end_part();
    info.manifest = manifest(data, &info.resources);
    info.omaha_payload_member = omaha::payload_first_member(data, &info.resources);
    sfxcab(data, &layout, &info, opts, &mut plan);
    plan.end_part();
    if kind == "exe" {
        let image = data.get(..layout.image_end(data.len())).unwrap_or(&[]);
        info.velopack = velopack::find(data, image);
        if let Some(v) = info.velopack.as_ref().filter(|v| !v.bundle_is_zip) {
            let end = v.bundle_offset.saturating_add(v.bundle_size);
            plan.error(if end > data.len() as u64 {
                Error::truncated(format!(
                    "Velopack bundle {:#x}+{} runs past the end of the file ({:#x})",
                    v.bundle_offset,
                    v.bundle_size,
                    data.len()
                ))
                .at(v.bundle_offset)
            } else {
                Error::malformed(format!(
                    "Velopack bundle at {:#x} is not a zip (no local header)",
                    v.bundle_offset
                ))
                .at(v.bundle_offset)
            });
        }
    }
    // An Inno Setup loader's offset table: its CRC32 (and the length it
    // gives the setup, and the compressed Setup.e32's block CRCs) checked
    // here, where the whole file is.
    info.inno_loader = super::inno::loader_marks(data, &info.resources);
    info.inno_message_tail = super::inno::message_tail(data);
    let mut loader = Notes::default();
    super::inno::check_loader(data, &info.resources, &mut loader);
    plan.notes(&mut loader);
    check_signature(data, &layout, &mut info, &mut plan);
    info.omaha_tag = info.certificate_table.and_then(|c| omaha::tag(data, c));
    pe_hashes(data, &layout, &mut info, opts.hashes, &mut plan);
    info.sections = layout.sections;
    let steps = plan.into_steps();
    if !steps.iter().any(|s| matches!(s, Step::Entry(..))) {
        // Nothing to pull: the node is parsed whole.
        for step in steps {
            step.flush(notes);
        }
        return Opened::Leaf(Parsed {
            format: Format::Pe,
            metadata: Some(Metadata::Pe(Box::new(info))),
        });
    }
    Opened::Container(Box::new(PeWalk {
        steps: steps.into_iter(),
        info,
        limits: opts.limits.clone(),
        hashes: opts.hashes,
    }))
}

/// What opening a PE decided, in the order it was decided: the node's
/// notes and its children, so that the engine, pulling the children one by
/// one, records the notes in the order they were met, its own (limits)
/// among them where they happen.
///
/// A hostile file controls how many notes a walk writes (a resource tree
/// of a million malformed entries): the plan keeps at most
/// [`MAX_NOTED_ERRORS`] errors, [`MAX_EVIDENCE_PER_SIGNAL`] pieces of
/// evidence per signal and `max_entries_per_container + 1` entries (the
/// engine takes no more), and counts the notes it drops, so its memory is
/// bounded whatever the tables say.
struct Plan<'a> {
    steps: Vec<Step<'a>>,
    errors: usize,
    omitted_errors: u64,
    evidence: HashMap<String, usize>,
    omitted_evidence: u64,
    entries: u64,
    max_entries: u64,
}

/// One step of a [`Plan`].
enum Step<'a> {
    Error(Error),
    Evidence(Evidence),
    Verified(Check),
    Digests(HashMap<String, (Check, super::container::Digest)>),
    /// A child: its name, its entry, its content.
    Entry(String, EntryInfo, Planned<'a>),
    /// The end of a part of the walk (the overlay, the resources, the
    /// `sfxcab` cabinet) that lists nothing more once one of its children
    /// is refused by the limits (see [`PeWalk::finish`]).
    EndPart,
    /// Notes the plan counted but did not keep (see [`Plan`]); always
    /// handed over, even when the limits stopped the listing.
    Omitted {
        errors: u64,
        evidence: u64,
    },
    /// Where entries past the container's entry limit were left out (see
    /// [`Plan::entry`]).
    Dropped,
}

/// A child's content, as planned.
enum Planned<'a> {
    /// A region of the PE.
    Slice(&'a [u8]),
    /// A region that cannot be had.
    Missing { size: u64, error: Error },
    /// An InstallShield Setup Launcher's records, listed as this node's
    /// children.
    Launcher(Box<super::installshield::LauncherWalk<'a>>),
    /// A region to open with this parser instead of the one its magic picks
    /// (opened when pulled).
    ParsedBy(&'a [u8], OpenFn),
}

impl<'a> Plan<'a> {
    fn new(limits: &Limits) -> Self {
        Plan {
            steps: Vec::new(),
            errors: 0,
            omitted_errors: 0,
            evidence: HashMap::new(),
            omitted_evidence: 0,
            entries: 0,
            max_entries: limits.max_entries_per_container.saturating_add(1),
        }
    }

    fn error(&mut self, e: Error) {
        if self.errors >= MAX_NOTED_ERRORS {
            self.omitted_errors += 1;
            return;
        }
        self.errors += 1;
        self.steps.push(Step::Error(e));
    }

    fn evidence(&mut self, e: Evidence) {
        let seen = self.evidence.entry(e.signal.clone()).or_insert(0);
        if *seen >= MAX_EVIDENCE_PER_SIGNAL {
            self.omitted_evidence += 1;
            return;
        }
        *seen += 1;
        self.steps.push(Step::Evidence(e));
    }

    /// The plan, with a last step saying what it counted and dropped.
    fn into_steps(mut self) -> Vec<Step<'a>> {
        if self.omitted_errors > 0 || self.omitted_evidence > 0 {
            self.steps.push(Step::Omitted {
                errors: self.omitted_errors,
                evidence: self.omitted_evidence,
            });
        }
        self.steps
    }

    fn verified(&mut self, c: Check) {
        self.steps.push(Step::Verified(c));
    }

    fn entry(&mut self, name: impl Into<String>, info: EntryInfo, data: Planned<'a>) {
        // Past the container's entry limit the engine stops pulling: one
        // entry more than it takes lets it say so, the rest would only
        // cost memory.
        if self.entries >= self.max_entries {
            // Marked, so that [`PeWalk::finish`] skips the notes after it
            // as it would after the entry.
            if !matches!(self.steps.last(), Some(Step::Dropped)) {
                self.steps.push(Step::Dropped);
            }
            return;
        }
        self.entries += 1;
        self.steps.push(Step::Entry(name.into(), info, data));
    }

    fn end_part(&mut self) {
        self.steps.push(Step::EndPart);
    }

    /// Notes written by another module's check, in the engine's order
    /// (errors, evidence, checks, digests).
    fn notes(&mut self, notes: &mut Notes) {
        for e in notes.errors.drain(..) {
            self.error(e);
        }
        for e in notes.evidence.drain(..) {
            self.evidence(e);
        }
        self.omitted_errors += std::mem::take(&mut notes.omitted_errors);
        self.omitted_evidence += std::mem::take(&mut notes.omitted_evidence);
        self.steps
            .extend(notes.verified.drain(..).map(Step::Verified));
        if !notes.digests.is_empty() {
            self.steps
                .push(Step::Digests(std::mem::take(&mut notes.digests)));
        }
    }
}

impl Step<'_> {
    /// A note step into `notes` (other steps are dropped).
    fn flush(self, notes: &mut Notes) {
        match self {
            Step::Error(e) => notes.error(e),
            Step::Evidence(e) => notes.evidence(e),
            Step::Verified(c) => notes.verified(c),
            Step::Digests(d) => notes.digests.extend(d),
            Step::Omitted { errors, evidence } => {
                notes.omitted_errors += errors;
                notes.omitted_evidence += evidence;
            }
            Step::Entry(..) | Step::EndPart | Step::Dropped => {}
        }
    }
}

/// A PE's children, handed over as the engine pulls (see [`Plan`]).
struct PeWalk<'a> {
    steps: std::vec::IntoIter<Step<'a>>,
    info: PeInfo,
    /// For the parsers of [`Planned::ParsedBy`] regions.
    limits: Limits,
    hashes: HashSelection,
}

impl Container for PeWalk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        loop {
            let (name, info, planned) = match self.steps.next()? {
                Step::Entry(name, info, planned) => (name, info, planned),
                step => {
                    step.flush(notes);
                    continue;
                }
            };
            let data = match planned {
                Planned::Slice(b) => Data::Slice(b),
                Planned::Missing { size, error } => Data::Missing { size, error },
                Planned::Launcher(walk) => Data::Splice(walk),
                Planned::ParsedBy(bytes, open) => {
                    let opts = Options {
                        limits: &self.limits,
                        hashes: self.hashes,
                        name: "",
                        passwords: &[],
                        read_ahead: false,
                    };
                    let mut notes = Notes::default();
                    let opened = open(bytes, &opts, &mut notes);
                    Data::Opened {
                        bytes,
                        child: Box::new(Preopened { notes, opened }),
                    }
                }
            };
            return Some(Entry { name, info, data });
        }
    }

    fn spliced(&mut self, parsed: Parsed, _notes: &mut Notes) {
        if let Some(Metadata::InstallShield(m)) = parsed.metadata {
            if let super::installshield::InstallShieldInfo::Launcher(l) = *m {
                self.info.installshield = Some(Box::new(l));
            }
        }
    }

    /// The notes not yet handed over. When the limits stopped the listing,
    /// they are those the walk would still have written: the part whose
    /// child was refused lists nothing more, and each later part stops at
    /// its first child (whose evidence is written: it is there).
    fn finish(self: Box<Self>, end: End, notes: &mut Notes) -> Parsed {
        let mut skipping = end == End::Stopped;
        for step in self.steps {
            match step {
                Step::EndPart => skipping = false,
                Step::Entry(..) | Step::Dropped => skipping = true,
                omitted @ Step::Omitted { .. } => omitted.flush(notes),
                note if !skipping => note.flush(notes),
                _ => {}
            }
        }
        Parsed {
            format: Format::Pe,
            metadata: Some(Metadata::Pe(Box::new(self.info))),
        }
    }
}

/// The signed Authenticode digest against the one computed over the file,
/// for every signature in the certificate table: all match → the node's
/// bytes are verified by `authenticode`; one differs → a checksum error (the
/// file was altered after signing).
fn check_signature(data: &[u8], layout: &Layout, info: &mut PeInfo, plan: &mut Plan<'_>) {
    let Some((off, size)) = layout.cert_dir else {
        return;
    };
    let start = usize::try_from(off).unwrap_or(usize::MAX);
    let end = start.saturating_add(usize::try_from(size).unwrap_or(usize::MAX));
    let Some(table) = data.get(start..end.min(data.len())) else {
        return; // already reported by `overlay`
    };
    let mut sigs = Vec::new();
    match signature::win_certificates(table) {
        Ok(blobs) => {
            for blob in blobs {
                match signature::parse_pkcs7(blob) {
                    Ok(s) => sigs.extend(s),
                    Err(e) => plan.error(installsift_model::error::context(
                        e,
                        "Authenticode signature",
                    )),
                }
            }
        }
        Err(e) => plan.error(installsift_model::error::context(
            e,
            "Authenticode signature",
        )),
    }
    // (algorithm, (padded, unpadded) digest or why not): one pass each.
    type Computed = Result<(Vec<u8>, Vec<u8>), Error>;
    let mut computed: Vec<(DigestAlgorithm, Computed)> = Vec::new();
    let mut all_match = !sigs.is_empty();
    for sig in sigs.iter().take(8) {
        let alg = sig.algorithm;
        if !computed.iter().any(|(a, _)| *a == alg) {
            computed.push((alg, authenticode::digest_with(data, layout, alg)));
        }
        let verdict = match computed.iter().find(|(a, _)| *a == alg).map(|(_, r)| r) {
            Some(Ok((padded, unpadded))) => {
                let ok = sig.digest == *padded || sig.digest == *unpadded;
                if !ok {
                    plan.error(Error::checksum(format!(
                        "Authenticode: file altered after signing: signed {} digest {}, computed {}",
                        alg.as_str(),
                        installsift_model::hash::to_hex(&sig.digest),
                        installsift_model::hash::to_hex(padded)
                    )));
                }
                Some(ok)
            }
            Some(Err(e)) => {
                plan.error(installsift_model::error::context(
                    e.clone(),
                    "Authenticode digest",
                ));
                None
            }
            None => None,
        };
        all_match &= verdict == Some(true);
        info.signatures.push(sig.info(verdict));
    }
    if all_match {
        plan.verified(installsift_model::Check::Authenticode);
    }
    if let Some(e) = signature::signer_evidence(&info.signatures) {
        plan.evidence(e);
    }
}

/// Authenticode and imphash, each only when the scan asked for it.
fn pe_hashes(
    data: &[u8],
    layout: &Layout,
    info: &mut PeInfo,
    sel: HashSelection,
    plan: &mut Plan<'_>,
) {
    if sel.authenticode {
        match authenticode::compute(data, layout) {
            Ok(h) => info.authenticode = Some(h),
            Err(e) => plan.error(e),
        }
    }
    if sel.imphash {
        info.imphash = imphash::compute(data, layout);
    }
}

/// Imports, version info and manifest through goblin; a goblin failure is an
/// error on the node, not the end of the parse.
///
/// Two counts in the file multiply goblin's work, not its size, so both are
/// measured first, walking the tables as goblin walks them, before goblin
/// runs ([`table_costs`]):
/// - goblin's import parser allocates per import entry, and descriptors
///   may share one thunk array (1,000 descriptors over one array of 30,000
///   ordinals in 260 KB): past `max_pe_imports` entries the imports are not
///   parsed;
/// - goblin reads every export, import and DLL name to its NUL once per
///   entry naming it, so 100,000 name pointers at one 600 KB string make
///   60 GB of reading in 1.2 MB: past `max_pe_name_bytes` read in all the
///   imports are not parsed, and when the exports alone pass it goblin
///   (which always parses exports) is not run at all.
fn goblin_facts(data: &[u8], limits: &Limits, info: &mut PeInfo, plan: &mut Plan<'_>) {
    use goblin::pe::options::{ParseMode, ParseOptions};
    let base = ParseOptions::default().with_parse_mode(ParseMode::Permissive);
    let max_names = limits.max_pe_name_bytes;
    let costs = table_costs(data, &base, limits.max_pe_imports, max_names);
    if costs.export_names > max_names {
        plan.error(Error::limit(
            Limit::MaxPeNameBytes,
            format!(
                "the export table's names would be read more than {max_names} bytes in all \
                 (name pointers sharing one long name); imports, version info and manifest \
                 not read"
            ),
        ));
        return;
    }
    let max_imports = limits.max_pe_imports;
    let too_many = costs.imports > max_imports;
    let too_long = costs.export_names.saturating_add(costs.import_names) > max_names;
    // One parse: with imports when the count allows them, else without.
    let opts = if too_many || too_long {
        base.with_parse_imports(false)
    } else {
        base
    };
    let pe = match goblin::pe::PE::parse_with_opts(data, &opts) {
        Ok(pe) => pe,
        Err(e) => {
            plan.error(Error::malformed(format!("PE: {e}")));
            return;
        }
    };
    if too_many {
        plan.error(Error::limit(
            Limit::MaxPeImports,
            format!(
                "the import table declares more than {max_imports} import entries \
                 (descriptors sharing thunk arrays); imports not listed"
            ),
        ));
    } else if too_long {
        plan.error(Error::limit(
            Limit::MaxPeNameBytes,
            format!(
                "the import table's names would be read more than {max_names} bytes in all \
                 (entries sharing one long name); imports not listed"
            ),
        ));
    } else {
        info.imports = Some(ImportSummary {
            dlls: pe.libraries.iter().map(|s| (*s).to_owned()).collect(),
            functions: pe.imports.len(),
        });
    }
    if let Some(rd) = &pe.resource_data {
        if let Some(vi) = &rd.version_info {
            let s = &vi.string_info;
            let ver = |ms: u32, ls: u32| {
                format!("{}.{}.{}.{}", ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff)
            };
            info.version_info = Some(VersionStrings {
                fixed_file_version: vi
                    .fixed_info
                    .as_ref()
                    .map(|f| ver(f.file_version_ms, f.file_version_ls)),
                fixed_product_version: vi
                    .fixed_info
                    .as_ref()
                    .map(|f| ver(f.product_version_ms, f.product_version_ls)),
                company_name: s.company_name(),
                product_name: s.product_name(),
                file_description: s.file_description(),
                original_filename: s.original_filename(),
                internal_name: s.internal_name(),
                file_version: s.file_version(),
                product_version: s.product_version(),
            });
        }
        if let Some(m) = &rd.manifest_data {
            info.requested_execution_level = execution_level(m.data);
        }
    }
}

/// What goblin's export and import parsers would do with this file,
/// counted before they run (see [`goblin_facts`]). Each count stops just
/// past its limit, so measuring costs at most the tables' size plus the
/// limits.
#[derive(Debug, Default, PartialEq, Eq)]
struct TableCosts {
    /// Import entries (all descriptors together), at most the limit + 1.
    imports: u64,
    /// Bytes of import and DLL names read, one read per entry naming one.
    import_names: u64,
    /// Bytes of export names and forwarder strings read, likewise.
    export_names: u64,
}

/// The headers goblin's table parsers start from: sections, optional
/// header and whether it is PE32+. None when they do not parse (goblin's
/// own parse then fails as well, or reads no tables).
fn table_heads(
    data: &[u8],
) -> Option<(
    Vec<goblin::pe::section_table::SectionTable>,
    goblin::pe::optional_header::OptionalHeader,
)> {
    let header = goblin::pe::header::Header::parse(data).ok()?;
    let oh = header.optional_header?;
    let mut at = usize::try_from(header.dos_header.pe_pointer)
        .ok()?
        .checked_add(4 + 20)?
        .checked_add(usize::from(header.coff_header.size_of_optional_header))?;
    let sections = header.coff_header.sections(data, &mut at).ok()?;
    Some((sections, oh))
}

/// Bytes goblin reads for the string at `at` (to its NUL or the end of
/// the data), counting at most `cap` + 1.
fn name_read(data: &[u8], at: Option<usize>, cap: u64) -> u64 {
    let Some(rest) = at.and_then(|a| data.get(a..)) else {
        return 0;
    };
    let window = rest
        .get(..usize::try_from(cap.saturating_add(1)).unwrap_or(usize::MAX))
        .unwrap_or(rest);
    window.iter().position(|&b| b == 0).unwrap_or(window.len()) as u64
}

/// The import entries and name bytes goblin's import parser would produce
/// and read, and the name bytes its export parser would read, walked as
/// they walk the tables: imports per descriptor (until an all-zero or
/// impossible one) in the lookup table, else the address table, until a
/// zero entry or the end of the data; exports per name pointer, its name
/// and, when the function it names is a forwarder, the forwarder string.
/// Entries stop at `max_imports` + 1 and name bytes at `max_names` + 1.
fn table_costs(
    data: &[u8],
    opts: &goblin::pe::options::ParseOptions,
    max_imports: u64,
    max_names: u64,
) -> TableCosts {
    use goblin::pe::utils::find_offset;
    let mut costs = TableCosts::default();
    let Some((sections, oh)) = table_heads(data) else {
        return costs;
    };
    let align = oh.windows_fields.file_alignment;
    let map = |rva: u32| find_offset(rva as usize, &sections, align, opts);
    let field = |d: &[u8], k: usize| le_u32(d, k).unwrap_or(0);
    // Exports: goblin gives up on counts larger than the data.
    if let Some(dir) = oh.data_directories.get_export_table() {
        let table = map(dir.virtual_address).and_then(|a| data.get(a..a.checked_add(40)?));
        if let Some(d) = table {
            let (functions, names) = (field(d, 20) as usize, field(d, 24) as usize);
            let (eat, npt, ot) = (map(field(d, 28)), map(field(d, 32)), map(field(d, 36)));
            let (start, end) = (
                dir.virtual_address,
                dir.virtual_address.saturating_add(dir.size),
            );
            if functions <= data.len() && names <= data.len() {
                for i in 0..names {
                    let left = max_names - costs.export_names.min(max_names);
                    let Some(ptr) = npt
                        .and_then(|t| t.checked_add(i.checked_mul(4)?))
                        .and_then(|a| le_u32(data, a))
                    else {
                        break;
                    };
                    costs.export_names += name_read(data, map(ptr), left);
                    // The function it names, when a forwarder (an address
                    // inside the export directory) is read as a string too.
                    let ordinal = ot
                        .and_then(|t| t.checked_add(i.checked_mul(2)?))
                        .and_then(|a| le_u16(data, a));
                    let address = ordinal
                        .filter(|&o| usize::from(o) < functions)
                        .and_then(|o| eat?.checked_add(usize::from(o) * 4))
                        .and_then(|a| le_u32(data, a));
                    if let Some(f) = address.filter(|&f| f >= start && f < end) {
                        let left = max_names - costs.export_names.min(max_names);
                        costs.export_names += name_read(data, map(f), left);
                    }
                    if costs.export_names > max_names {
                        return costs;
                    }
                }
            }
        }
    }
    let Some(dir) = oh.data_directories.get_import_table() else {
        return costs;
    };
    let Some(mut at) = map(dir.virtual_address) else {
        return costs;
    };
    let wide = oh.standard_fields.magic == goblin::pe::optional_header::MAGIC_64;
    let width = if wide { 8 } else { 4 };
    let ordinal_bit = if wide { 1u64 << 63 } else { 1u64 << 31 };
    while let Some(d) = at.checked_add(20).and_then(|end| data.get(at..end)) {
        at += 20;
        let (lookup, name, address) = (field(d, 0), field(d, 12), field(d, 16));
        if d.iter().all(|&b| b == 0) || name == 0 || address == 0 {
            break;
        }
        let left = max_names - costs.import_names.min(max_names);
        costs.import_names += name_read(data, map(name), left);
        if costs.import_names > max_names {
            return costs;
        }
        let Some(mut t) = map(lookup).or_else(|| map(address)) else {
            continue;
        };
        while let Some(entry) = t.checked_add(width).and_then(|end| data.get(t..end)) {
            let bits = if wide {
                le_u64(entry, 0).unwrap_or(0)
            } else {
                u64::from(le_u32(entry, 0).unwrap_or(0))
            };
            if bits == 0 {
                break;
            }
            costs.imports += 1;
            if bits & ordinal_bit == 0 {
                // The hint (two bytes), then the name.
                let left = max_names - costs.import_names.min(max_names);
                let hint = map((bits & 0x7fff_ffff) as u32);
                costs.import_names +=
                    2 + name_read(data, hint.and_then(|h| h.checked_add(2)), left);
            }
            if costs.imports > max_imports || costs.import_names > max_names {
                return costs;
            }
            t += width;
        }
    }
    costs
}

/// `level` of `requestedExecutionLevel` in a manifest (UTF-8 or UTF-16LE).
fn execution_level(manifest: &[u8]) -> Option<String> {
    let text = manifest_text(manifest);
    let at = text.find("requestedExecutionLevel")?;
    let rest = text.get(at..)?;
    let rest = rest.get(..rest.find('>')?)?;
    let l = rest.find("level")?;
    let after = rest
        .get(l + 5..)?
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = after.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value = after.get(1..)?;
    Some(value.get(..value.find(quote)?)?.to_owned())
}

/// The `.wixburn` section, parsed (anomalies become errors on the node).
fn burn_section(data: &[u8], layout: &Layout, plan: &mut Plan<'_>) -> Option<BurnInfo> {
    let sec = layout.sections.iter().find(|s| s.name == ".wixburn")?;
    let (info, problems) =
        burn::parse(data, sec.raw_offset as usize, sec.raw_size, layout.cert_dir)?;
    for p in problems {
        plan.error(Error::malformed(p));
    }
    Some(info)
}

/// A Burn bundle's containers as children, located as the Burn engine
/// locates them (`[burn-ux]`, `[burn-attached-1]` …). Returns false when the
/// file is no Burn bundle with containers (the generic overlay search runs).
/// The certificate table and overlay facts are still recorded.
fn burn_containers<'a>(data: &'a [u8], info: &PeInfo, plan: &mut Plan<'a>) -> bool {
    let Some(b) = info.burn.as_ref() else {
        return false;
    };
    if b.containers.is_empty() {
        return false;
    }
    for (i, c) in b.containers.iter().enumerate() {
        let name = if i == 0 {
            "[burn-ux]".to_owned()
        } else {
            format!("[burn-attached-{i}]")
        };
        let entry = EntryInfo::new(EntryKind::Overlay).at(c.offset);
        let part = usize::try_from(c.offset)
            .ok()
            .zip(usize::try_from(c.offset.saturating_add(c.size)).ok())
            .and_then(|(a, e)| data.get(a..e));
        match part {
            Some(bytes) => {
                plan.evidence(Evidence::strong(
                    "burn-container",
                    format!("{} container {i}: {} bytes", c.role, c.size),
                    Some(c.offset),
                ));
                plan.entry(name, entry, Planned::Slice(bytes));
            }
            None => plan.entry(
                name,
                entry,
                Planned::Missing {
                    size: c.size,
                    error: Error::truncated(format!(
                        "Burn {} container {i}: {} bytes at {:#x} run past the end ({:#x})",
                        c.role,
                        c.size,
                        c.offset,
                        data.len()
                    ))
                    .at(c.offset),
                },
            ),
        };
    }
    true
}

/// The overlay, split around the certificate table; each non-empty part
/// becomes a child (a container found in it by signature search starts there).
fn overlay<'a>(
    data: &'a [u8],
    layout: &Layout,
    info: &mut PeInfo,
    opts: &Options<'_>,
    plan: &mut Plan<'a>,
) {
    let len = data.len();
    let start = layout.image_end(len);
    let mut cert: Option<(usize, usize)> = None;
    if let Some((off, size)) = layout.cert_dir {
        let (off, size) = (off as usize, size as usize);
        let end = off.saturating_add(size);
        info.signed = true;
        info.certificate_table = Some(Region {
            offset: off as u64,
            size: size as u64,
        });
        if end > len {
            plan.error(
                Error::truncated(format!(
                    "certificate table {off:#x}+{size:#x} runs past the end ({len:#x})"
                ))
                .at(off as u64),
            );
        }
        if off < start {
            plan.error(
                Error::malformed(format!(
                    "certificate table at {off:#x} lies inside the image (ends {start:#x})"
                ))
                .at(off as u64),
            );
        } else if off < len {
            cert = Some((off, end.min(len)));
            plan.evidence(Evidence::strong(
                "pe-certificate-table",
                format!("{size} bytes"),
                Some(off as u64),
            ));
        }
    }
    if start >= len {
        // Raw data claimed past the end: the file is cut short, or a section
        // table lies to push the overlay search past the data.
        if let Some(s) = layout
            .sections
            .iter()
            .filter(|s| s.raw_size > 0)
            .max_by_key(|s| u64::from(s.raw_offset) + u64::from(s.raw_size))
        {
            let end = u64::from(s.raw_offset) + u64::from(s.raw_size);
            if end > len as u64 {
                plan.error(Error::truncated(format!(
                    "section raw data {:#x}+{:#x} runs past the end of the file ({len:#x}); no overlay",
                    s.raw_offset, s.raw_size
                )).at(u64::from(s.raw_offset)));
            }
        }
        return;
    }
    info.overlay = Some(Region {
        offset: start as u64,
        size: (len - start) as u64,
    });
    if burn_containers(data, info, plan) {
        return;
    }
    let regions: Vec<(&str, usize, usize)> = match cert {
        Some((c0, c1)) => vec![
            ("[overlay]", start, c0),
            ("[overlay-after-signature]", c1, len),
        ],
        None => vec![("[overlay]", start, len)],
    };
    let mut launcher = false;
    for (name, a, b) in regions {
        let Some(region) = data.get(a..b) else {
            continue;
        };
        if region.is_empty() || region.iter().all(|&x| x == 0) {
            // Alignment padding, not a payload.
            continue;
        }
        // An InstallShield Setup Launcher (an overlay no handler claims that
        // holds its record list): its records are our children.
        if !launcher
            && super::sniff(region).is_none()
            && super::installshield::looks_like_launcher(region, opts.limits.max_search_window)
        {
            let mut notes = Notes::default();
            let walk =
                super::installshield::open_launcher(region, a as u64, opts.limits, &mut notes);
            plan.notes(&mut notes);
            if let Some(walk) = walk {
                // Its facts come back when the engine has pulled its records
                // (`PeWalk::spliced`).
                launcher = true;
                let end = usize::try_from(walk.end()).unwrap_or(usize::MAX);
                plan.entry(
                    name,
                    EntryInfo::new(EntryKind::Overlay).at(a as u64),
                    Planned::Launcher(Box::new(walk)),
                );
                let tail = data.get(end..b).unwrap_or(&[]);
                if !tail.iter().all(|&x| x == 0) {
                    plan.entry(
                        format!("{name}-tail"),
                        EntryInfo::new(EntryKind::Overlay).at(end as u64),
                        Planned::Slice(tail),
                    );
                }
                continue;
            }
        }
        // An Inno Setup loader's table (CRC valid) that puts setup-1 here:
        // Inno even when the chunk magic that sniffs it was altered.
        if super::sniff(region).is_none()
            && super::inno::find_in_image(data, start).is_some_and(|t| t.offset1 == a as u64)
        {
            let entry = EntryInfo::new(EntryKind::Overlay).at(a as u64);
            plan.entry(
                name,
                entry,
                Planned::ParsedBy(region, super::inno::open_unmarked),
            );
            continue;
        }
        let window = opts.limits.max_search_window;
        let (skip, kind, format) = match super::sniff(region) {
            Some(h) => (0, EntryKind::Overlay, h.format),
            None => match (find_nsis(a, region, window), find_embedded(region, window)) {
                (Some(k), _) => (k, EntryKind::Carved, Format::Nsis),
                (None, Some((k, f))) => (k, EntryKind::Carved, f),
                (None, None) => (0, EntryKind::Overlay, Format::Unknown),
            },
        };
        let rest = region.get(skip..).unwrap_or(&[]);
        // A container whose headers give its length ends there; what follows
        // (other than alignment zeros before a certificate table) is a
        // payload of its own.
        let len = super::carved_len(format, rest).unwrap_or(rest.len());
        let (part, tail) = rest.split_at(len);
        let at = (a + skip) as u64;
        plan.evidence(Evidence::strong(
            "pe-overlay",
            format!("{} bytes of payload in `{name}`", part.len()),
            Some(at),
        ));
        let mut entry = EntryInfo::new(kind).at(at);
        // NSIS data: its CRC covers the exehead too, so it is checked here.
        if format == Format::Nsis {
            match super::nsis::exehead_crc(data, a + skip) {
                Some(Ok(_)) => entry = entry.verified(installsift_model::Check::NsisCrc32),
                Some(Err(e)) => entry = entry.with_error(e),
                None => {}
            }
        }
        // Data after an NSIS exehead that no signature names: its first
        // header was altered or damaged; the NSIS parser says which.
        let altered = format == Format::Unknown
            && layout
                .sections
                .iter()
                .any(|s| s.name.eq_ignore_ascii_case(".ndata"))
            && part.len() >= 28;
        let data = if altered {
            Planned::ParsedBy(part, super::nsis::open_altered)
        } else {
            Planned::Slice(part)
        };
        plan.entry(name, entry, data);
        if !tail.iter().all(|&x| x == 0) {
            let at = at + len as u64;
            plan.entry(
                format!("{name}-tail"),
                EntryInfo::new(EntryKind::Overlay).at(at),
                Planned::Slice(tail),
            );
        }
    }
}

/// NSIS data that does not start the overlay: the exehead itself looks for
/// its first header at every 512-byte boundary of the file (7-Zip does the
/// same), so search those offsets of `region` (which starts at file offset
/// `start`) within `window` bytes. Returns the offset in `region`.
fn find_nsis(start: usize, region: &[u8], window: u64) -> Option<usize> {
    const STEP: usize = 512;
    let end = region
        .len()
        .min(usize::try_from(window).unwrap_or(usize::MAX));
    let first = start.div_ceil(STEP) * STEP - start;
    (first..end)
        .step_by(STEP)
        .find(|&k| region.get(k..).is_some_and(super::nsis::sniff))
}

const RESOURCE_TYPES: &[(u32, &str)] = &[
    (1, "CURSOR"),
    (2, "BITMAP"),
    (3, "ICON"),
    (4, "MENU"),
    (5, "DIALOG"),
    (6, "STRING"),
    (7, "FONTDIR"),
    (8, "FONT"),
    (9, "ACCELERATOR"),
    (10, "RCDATA"),
    (11, "MESSAGETABLE"),
    (12, "GROUP_CURSOR"),
    (14, "GROUP_ICON"),
    (16, "VERSION"),
    (17, "DLGINCLUDE"),
    (19, "PLUGPLAY"),
    (20, "VXD"),
    (21, "ANICURSOR"),
    (22, "ANIICON"),
    (23, "HTML"),
    (24, "MANIFEST"),
];

/// Walk the resource tree (type / name / language, three levels, each
/// directory visited once); leaves holding a container become children.
fn resources<'a>(
    data: &'a [u8],
    layout: &Layout,
    info: &mut PeInfo,
    opts: &Options<'_>,
    plan: &mut Plan<'a>,
) {
    let Some((rva, dir_size)) = layout.resource_dir else {
        return;
    };
    let Some(base) = layout.rva_to_offset(rva) else {
        plan.error(Error::malformed(format!(
            "resource directory RVA {rva:#x} maps to no file data"
        )));
        return;
    };
    let mut walk = Walk {
        data,
        base,
        names: Vec::new(),
        ids: Vec::new(),
        visited: HashSet::new(),
        leaves: Vec::new(),
        steps: 0,
        max: opts.limits.max_table_rows,
    };
    walk.dir(0, 0, plan);
    if walk.steps == 0 && dir_size > 16 {
        // A resource table whose root lists nothing has no reason to be
        // longer than that root: the bytes at its RVA are probably not the
        // table the linker wrote (shifted or overwritten data), and every
        // resource in it is lost.
        plan.error(Error::malformed(format!(
            "the resource directory declares {dir_size} bytes at RVA {rva:#x}, but its root at {base:#x} lists no entries"
        )).at(base as u64));
    }
    let leaves = walk.leaves;
    for (ids, data_rva, size) in leaves {
        let path = format!(
            "{}/{}/{}",
            entry_name(data, base, 0, ids[0]),
            entry_name(data, base, 1, ids[1]),
            entry_name(data, base, 2, ids[2])
        );
        let Some(off) = layout.rva_to_offset(data_rva) else {
            if let Some(sec) = layout.uninitialized_section(data_rva) {
                // Inside a section's memory but past its file data: filled
                // in at run time (UPX and other packers leave resources
                // there for their unpacking stub). No bytes to read, and no
                // damage either.
                plan.evidence(Evidence::weak(
                    "pe-resource-in-memory",
                    format!(
                        "resource {path} lies in section `{}` past its file data: filled in when the program runs (a packer's layout)",
                        sec.name
                    ),
                    None,
                ));
                continue;
            }
            plan.error(Error::malformed(format!(
                "resource {path}: data RVA {data_rva:#x} maps to no file data"
            )));
            continue;
        };
        let end = off.saturating_add(size as usize);
        let Some(bytes) = data.get(off..end) else {
            plan.error(
                Error::truncated(format!(
                    "resource {path}: {size} bytes at {off:#x} run past the end"
                ))
                .at(off as u64),
            );
            continue;
        };
        info.resource_count += 1;
        if info.resources.len() < MAX_LISTED_RESOURCES {
            info.resources.push(ResourceInfo {
                path: path.clone(),
                offset: off as u64,
                size: u64::from(size),
            });
        }
        // Containers only: a manifest or other document stays a resource.
        if let Some(h) = super::sniff(bytes).filter(|h| h.format.is_container()) {
            plan.evidence(Evidence::strong(
                "pe-resource-container",
                format!("resource {path} holds {}", h.format),
                Some(off as u64),
            ));
            plan.entry(
                format!(".rsrc/{path}"),
                EntryInfo::new(EntryKind::Resource).at(off as u64),
                Planned::Slice(bytes),
            );
        }
    }
}

/// Microsoft's cabinet self-extractor (`sfxcab.exe`, the stub of the VC++
/// 2005/2008 redistributables and of many hotfixes): its manifest names the
/// assembly `sfxcab.exe`, and the cabinet lies in the `.rsrc` section's raw
/// data outside every resource leaf, where no resource walk finds it. The
/// first cabinet there that no resource holds becomes the child `[sfxcab]`.
fn sfxcab<'a>(
    data: &'a [u8],
    layout: &Layout,
    info: &PeInfo,
    opts: &Options<'_>,
    plan: &mut Plan<'a>,
) {
    let Some(m) = &info.manifest else { return };
    if !m.text.to_ascii_lowercase().contains("name=\"sfxcab.exe\"") {
        return;
    }
    let Some(sec) = layout.sections.iter().find(|s| s.name == ".rsrc") else {
        return;
    };
    let start = sec.raw_offset as usize;
    let end = start.saturating_add(sec.raw_size as usize).min(data.len());
    let Some(region) = data.get(start..end) else {
        return;
    };
    let window = usize::try_from(opts.limits.max_search_window).unwrap_or(usize::MAX);
    let hay = region.get(..region.len().min(window)).unwrap_or(region);
    // Each candidate is checked once (its magic, the cabinet sniff, not
    // inside a resource); at most this many are looked at.
    const MAX_CANDIDATES: usize = 4096;
    let found = memchr::memmem::find_iter(hay, b"MSCF\0\0\0\0")
        .take(MAX_CANDIDATES)
        .map(|k| start + k)
        .find(|&at| {
            let inside_leaf = info
                .resources
                .iter()
                .any(|r| r.offset <= at as u64 && (at as u64) < r.offset.saturating_add(r.size));
            !inside_leaf && data.get(at..).is_some_and(super::cab::sniff)
        });
    let Some(at) = found else { return };
    let rest = data.get(at..).unwrap_or(&[]);
    let len = super::carved_len(Format::Cab, rest).unwrap_or(rest.len());
    plan.evidence(Evidence::strong(
        "pe-sfxcab-cabinet",
        format!(
            "manifest names `sfxcab.exe` (Microsoft cabinet self-extractor); cabinet of {len} bytes in `.rsrc` outside any resource"
        ),
        Some(at as u64),
    ));
    plan.entry(
        "[sfxcab]",
        EntryInfo::new(EntryKind::Carved).at(at as u64),
        Planned::Slice(rest.get(..len).unwrap_or(rest)),
    );
}

/// Resources listed in metadata; all are counted and all are searched.
const MAX_LISTED_RESOURCES: usize = 1_000;

/// Longest resource name kept, in UTF-16 units.
const MAX_RESOURCE_NAME: usize = 256;

/// State of one resource-tree walk: every directory is visited once, and
/// every entry read (leaf or not) counts against `max`, so overlapping
/// hostile directories cannot multiply the work.
struct Walk<'a> {
    data: &'a [u8],
    base: usize,
    names: Vec<String>,
    /// The name ids of `names`.
    ids: Vec<u32>,
    visited: HashSet<usize>,
    /// (type, name and language ids, data RVA, size): 20 bytes a leaf, its
    /// path made again from the ids when it is used (a million leaves of a
    /// hostile tree would take a hundred MB as strings).
    leaves: Vec<([u32; 3], u32, u32)>,
    steps: u64,
    max: u64,
}

impl Walk<'_> {
    fn dir(&mut self, dir_off: usize, level: usize, plan: &mut Plan<'_>) {
        let data = self.data;
        if !self.visited.insert(dir_off) {
            plan.error(Error::malformed(format!(
                "resource directory loop at offset {dir_off:#x}"
            )));
            return;
        }
        let at = self.base.saturating_add(dir_off);
        let (Some(named), Some(ids)) = (le_u16(data, at + 12), le_u16(data, at + 14)) else {
            plan.error(
                Error::truncated(format!("resource directory at {at:#x} runs past the end"))
                    .at(at as u64),
            );
            return;
        };
        for i in 0..usize::from(named) + usize::from(ids) {
            self.steps += 1;
            if self.steps > self.max {
                plan.error(Error::limit(
                    installsift_model::limits::Limit::MaxTableRows,
                    format!("resource walk stopped after {} entries", self.max),
                ));
                return;
            }
            let e = at + 16 + i * 8;
            let (Some(name_id), Some(target)) = (le_u32(data, e), le_u32(data, e + 4)) else {
                plan.error(
                    Error::truncated(format!("resource entry at {e:#x} runs past the end"))
                        .at(e as u64),
                );
                return;
            };
            self.names.push(entry_name(data, self.base, level, name_id));
            self.ids.push(name_id);
            let sub = (target & 0x7fff_ffff) as usize;
            if target & 0x8000_0000 != 0 {
                if level < 2 {
                    self.dir(sub, level + 1, plan);
                } else {
                    plan.error(Error::malformed(
                        "resource tree deeper than type/name/language",
                    ));
                }
            } else if level < 2 {
                // Type, then name, then language: data only at the third
                // level (Windows' resource loader finds nothing else).
                plan.error(Error::malformed(format!(
                    "resource entry `{}` at {e:#x} points at data at level {}, where a directory belongs",
                    self.names.join("/"),
                    level + 1
                )).at(e as u64));
            } else {
                let d = self.base.saturating_add(sub);
                match (le_u32(data, d), le_u32(data, d + 4)) {
                    (Some(rva), Some(size)) => {
                        let mut ids = [0; 3];
                        for (slot, id) in ids.iter_mut().zip(&self.ids) {
                            *slot = *id;
                        }
                        self.leaves.push((ids, rva, size));
                    }
                    _ => plan.error(
                        Error::truncated(format!(
                            "resource data entry at {d:#x} runs past the end"
                        ))
                        .at(d as u64),
                    ),
                }
            }
            self.names.pop();
            self.ids.pop();
        }
    }
}

/// The name of a resource directory entry at `level` (0: type) from its
/// name id: a string the id points at, a type's name, or the number.
fn entry_name(data: &[u8], base: usize, level: usize, name_id: u32) -> String {
    if name_id & 0x8000_0000 != 0 {
        resource_name(data, base.saturating_add((name_id & 0x7fff_ffff) as usize))
    } else if level == 0 {
        RESOURCE_TYPES
            .iter()
            .find(|(id, _)| *id == name_id)
            .map_or(name_id.to_string(), |(_, n)| (*n).to_owned())
    } else {
        name_id.to_string()
    }
}

/// A length-prefixed UTF-16LE resource name.
fn resource_name(data: &[u8], at: usize) -> String {
    let Some(n) = le_u16(data, at) else {
        return "?".into();
    };
    let n = usize::from(n).min(MAX_RESOURCE_NAME);
    let units: Vec<u16> = (0..n).map_while(|i| le_u16(data, at + 2 + i * 2)).collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser alone records the manifest once, as text, with the
    /// offset of its resource: the InstallShield Setup launcher's names
    /// its assembly `InstallShield.Setup`; a PE without one has none.
    #[test]
    fn the_manifest_is_recorded_as_text() {
        let info = |rel: &str| {
            let data = crate::test_support::sample(rel).unwrap_or_default();
            match super::super::container::list(HANDLER.open, &data, &Limits::default(), 100)
                .parsed
                .metadata
            {
                Some(Metadata::Pe(p)) => Some(p),
                _ => None,
            }
        };
        let p = info("longtail/installshield_launcher_manifest.exe").expect("a PE");
        let m = p.manifest.as_ref().expect("manifest");
        let r = p
            .resources
            .iter()
            .find(|r| r.path.starts_with("MANIFEST/"))
            .expect("resource");
        assert_eq!(m.offset, r.offset);
        assert!(
            m.text.contains("name=\"InstallShield.Setup\""),
            "{}",
            m.text
        );
        let plain = info("pe/hello_x64.exe").expect("a PE");
        assert!(plain
            .resources
            .iter()
            .all(|r| !r.path.starts_with("MANIFEST/")));
        assert_eq!(plain.manifest, None);
    }

    /// The parser alone, without a scan: the children a PE plans, with
    /// its notes, for a signed PE, an SFX with a zip overlay, a Burn
    /// bundle and a PE whose resource holds a cabinet; stopped by the
    /// limits, it reports no damage it did not meet.
    #[test]
    fn listing_without_the_engine() {
        use crate::container::{list, Listed, Listing};
        let limits = installsift_model::Limits::default();
        let listing = |rel: &str, max: usize| -> Option<(Vec<u8>, Listing)> {
            let data = crate::test_support::sample(rel)?;
            let l = list(open, &data, &limits, max);
            assert_eq!(l.parsed.format, Format::Pe, "{rel}");
            assert!(l.notes.errors.is_empty(), "{rel}: {:?}", l.notes.errors);
            Some((data, l))
        };
        let pe = |l: &Listing| match &l.parsed.metadata {
            Some(Metadata::Pe(info)) => (**info).clone(),
            other => panic!("no PE facts: {other:?}"),
        };
        let signals = |l: &Listing| -> Vec<String> {
            l.notes.evidence.iter().map(|e| e.signal.clone()).collect()
        };

        // Signed (osslsigncode): the signature matches, nothing else inside.
        let Some((_, l)) = listing("pe/signed_x64.exe", usize::MAX) else {
            return;
        };
        assert_eq!(l.notes.verified, vec![Check::Authenticode]);
        assert!(l.entries.is_empty(), "{:?}", l.entries);
        let info = pe(&l);
        assert!(info.signed);
        assert_eq!(info.signatures.len(), 1);
        assert_eq!(
            signals(&l),
            ["pe-header", "pe-certificate-table", "authenticode-signer"]
        );

        // A zip appended to a PE: the overlay, a region of the file.
        let Some((_, l)) = listing("pe/with_zip.exe", usize::MAX) else {
            return;
        };
        assert!(l.notes.verified.is_empty());
        let [(
            name,
            info,
            Listed::Slice {
                at: 14848,
                len: 561,
            },
        )] = &l.entries[..]
        else {
            panic!("{:?}", l.entries);
        };
        assert_eq!(name, "[overlay]");
        assert_eq!((info.kind, info.offset), (EntryKind::Overlay, Some(14848)));
        assert_eq!(signals(&l), ["pe-header", "pe-overlay"]);

        // A Burn bundle: its two containers where the section puts them.
        let Some((_, l)) = listing("burn/burn_constructed.exe", usize::MAX) else {
            return;
        };
        let burn = pe(&l).burn.expect("burn facts");
        let names: Vec<&str> = l.entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, ["[burn-ux]", "[burn-attached-1]"]);
        for ((_, info, data), c) in l.entries.iter().zip(&burn.containers) {
            assert_eq!(info.offset, Some(c.offset));
            assert!(
                matches!(data, Listed::Slice { at, len } if *at as u64 == c.offset && *len as u64 == c.size),
                "{data:?}"
            );
        }
        let burn_evidence = signals(&l)
            .iter()
            .filter(|s| *s == "burn-container")
            .count();
        assert_eq!(burn_evidence, 2);

        // Stopped after the first container: the second is not listed, and
        // not reported missing or damaged; the node's own facts stay.
        let Some((_, l)) = listing("burn/burn_constructed.exe", 1) else {
            return;
        };
        assert_eq!(l.entries.len(), 1);
        assert!(pe(&l).burn.is_some());

        // A cabinet in a resource: a child named by its resource path.
        let Some((_, l)) = listing("pe/cab_resource.exe", usize::MAX) else {
            return;
        };
        let [(
            name,
            info,
            Listed::Slice {
                at: 14440,
                len: 423,
            },
        )] = &l.entries[..]
        else {
            panic!("{:?}", l.entries);
        };
        assert!(name.starts_with(".rsrc/RCDATA/CABINET/"), "{name}");
        assert_eq!(info.kind, EntryKind::Resource);
        assert!(signals(&l).contains(&"pe-resource-container".to_owned()));
        assert!(pe(&l).resource_count >= 1);
    }

    #[test]
    fn execution_level_forms() {
        let m = br#"<requestedExecutionLevel level="requireAdministrator" uiAccess="false"/>"#;
        assert_eq!(execution_level(m).as_deref(), Some("requireAdministrator"));
        let m = br"<requestedExecutionLevel uiAccess='false' level = 'asInvoker' />";
        assert_eq!(execution_level(m).as_deref(), Some("asInvoker"));
        assert_eq!(execution_level(b"<assembly/>"), None);
        let utf16: Vec<u8> = "<requestedExecutionLevel level=\"highestAvailable\"/>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(execution_level(&utf16).as_deref(), Some("highestAvailable"));
    }

    #[test]
    fn sniff_needs_pe_signature() {
        assert!(!sniff(b"MZ"));
        let mut d = vec![0u8; 0x80];
        d[0] = b'M';
        d[1] = b'Z';
        d[0x3C] = 0x40;
        assert!(!sniff(&d));
        d[0x40..0x44].copy_from_slice(b"PE\0\0");
        assert!(sniff(&d));
        d[0x3C] = 0xff;
        assert!(!sniff(&d));
    }

    #[test]
    fn a_size_of_optional_header_too_small_for_the_header_is_a_problem() {
        let Some(mut data) = crate::test_support::sample("nsis/signed_zlib.exe") else {
            return;
        };
        let coff = crate::le_u32(&data, 0x3C).expect("e_lfanew") as usize + 4;
        assert!(read_layout(&data).expect("layout").problems.is_empty());
        // SizeOfOptionalHeader (COFF header + 16): 224 for PE32 → 112.
        data[coff + 16] = 112;
        let layout = read_layout(&data).expect("layout");
        assert!(
            matches!(&layout.problems[..], [Error::Malformed { message, .. }] if message.contains("SizeOfOptionalHeader is 112")),
            "{:?}",
            layout.problems
        );
    }
}
