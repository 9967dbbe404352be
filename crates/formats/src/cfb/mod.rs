//! Compound File Binary, and the Windows Installer files built on it
//! (MSI, MSM, MSP).
//!
//! Everything is read by our own bounds-checked code ([`reader`] for the
//! compound file, [`msi`] for the database tables and summary information),
//! so a truncated or damaged file still yields its format, listing and every
//! intact stream; embedded cabinets are unpacked by [`super::cab`], each
//! folder decoded once, with members named by the File table.
//!
//! The format is decided by content: the root storage CLSID
//! (`{000C1084-…}` MSI, `{000C1086-…}` MSP, `{000C1082-…}` transform), or
//! the MSI catalog streams when the CLSID is something else; an MSI database
//! with a `ModuleSignature` table is a merge module. When the directory
//! itself is lost (a truncated file), standard MSI table names in the raw
//! bytes are weak evidence for MSI, and a cabinet found by its signature is
//! handed on as a carved child.
//!
//! Children: the files of embedded cabinets (`Media.Cabinet` = `#stream`, or
//! `MergeModule.CABinet` in a merge module), named by their install path
//! (see [`paths`] for the exact rule, which matches `msiextract`); and every
//! other stream whose content is itself a known format (custom-action DLLs in
//! `Binary.*`, nested packages), named by its decoded stream name.

pub(crate) mod authenticode;
pub(crate) mod msi;
pub(crate) mod paths;
pub(crate) mod reader;

pub use self::authenticode::{MsiAuthenticode, MsiExtendedDigest};
use self::msi::{ColType, Column, StringPool, Table, Value};
use self::paths::DirRow;
use self::reader::StreamRef;
use self::reader::{Cfb, DirEntry, EntryType};
use super::container::{Container, Data, Digest, End, Entry, Notes, Opened, Options};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::limits::Limits;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Prefix an error with where it happened (argument order of this module).
fn context(what: &str, e: Error) -> Error {
    installsift_model::error::context(e, what)
}

/// Compound file and Windows Installer facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CfbInfo {
    /// What the root CLSID says: `msi`, `msp`, `transform`, `other`, or
    /// `unknown` when the root entry could not be read.
    pub kind: String,
    /// Root storage CLSID, `{…}` form, when the root entry was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_clsid: Option<String>,
    /// Compound file major version (3: 512-byte sectors, 4: 4096).
    pub major_version: u16,
    /// Streams (decoded names, `storage/stream` below the root), up to the
    /// container entry limit.
    pub streams: Vec<StreamInfo>,
    /// Storages below the root (MSP transforms, Office sub-storages).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub storages: Vec<String>,
    /// Windows Installer facts, when the file holds an installer database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msi: Option<MsiInfo>,
    /// MSI Authenticode digests (see [`authenticode`]), when the scan asked
    /// for Authenticode hashes
    /// ([`HashSelection::authenticode`](installsift_model::HashSelection::authenticode))
    /// and the file is an installer database, patch, transform or merge
    /// module.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticode: Option<MsiAuthenticode>,
    /// The Authenticode signatures of `\x05DigitalSignature` (digest
    /// algorithm, signed digest, whether it matches, signer), read for every
    /// signed file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<crate::pe::SignatureInfo>,
}

/// One stream of the compound file.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StreamInfo {
    /// Decoded name (MSI-compressed names decoded; tables prefixed `!` and
    /// control characters shown as `[5]`, as 7-Zip shows them).
    pub name: String,
    /// Declared size in bytes.
    pub size: u64,
}

/// Windows Installer database facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MsiInfo {
    /// Database codepage (from the string pool).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codepage: Option<u32>,
    /// Summary information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<SummaryInfo>,
    /// Selected Property table values: ProductName, ProductVersion,
    /// Manufacturer, ProductCode, UpgradeCode, ALLUSERS, ProductLanguage.
    pub properties: BTreeMap<String, String>,
    /// Table names from `_Tables`.
    pub tables: Vec<String>,
    /// Rows in the File table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_rows: Option<u64>,
    /// Rows in the Component table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component_rows: Option<u64>,
    /// Rows in the Directory table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_rows: Option<u64>,
    /// Media table rows.
    pub media: Vec<MediaInfo>,
    /// Cabinets the Media table names that are not streams of this file
    /// (shipped beside it): their files are not extracted. Not an error.
    pub external_cabinets: Vec<String>,
    /// Merge module signature: the module's own (MSM), or the first of the
    /// modules merged into a product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module_signature: Option<ModuleSignature>,
    /// What the database is, from its structure: `product` (has
    /// `Property.ProductCode` or `Media` rows), `merge-module`
    /// (`ModuleSignature` and neither), `patch`, `transform`, `database`
    /// (none of these, e.g. a validation database), or `undecided` (damage
    /// hid the tables that tell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Rows in `MsiFileHash`: files whose extracted bytes are checked
    /// against the MD5 stated there (`verified_by: msi-file-hash`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_hash_rows: Option<u64>,
}

/// Summary information (property set `\005SummaryInformation`).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SummaryInfo {
    /// PID 2, Title ("Installation Database", "Patch", …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// PID 3, Subject (usually the product name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// PID 4, Author (usually the manufacturer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// PID 5, Keywords.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<String>,
    /// PID 6, Comments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// PID 7, Template: `platform;languages`, e.g. `x64;1033`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// PID 9, Revision number: the package code GUID (for a patch, the patch
    /// code followed by the product codes it applies to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision_number: Option<String>,
    /// PID 12, creation time, seconds since 1970.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// PID 13, last save time, seconds since 1970.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_saved: Option<i64>,
    /// PID 14, Page count: the minimum installer schema (e.g. 200 = 2.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_count: Option<i32>,
    /// PID 15, Word count: source-image flags (bit 1 compressed, bit 2
    /// admin image, bit 3 elevated privileges not needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word_count: Option<i32>,
    /// PID 18, Creating application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creating_application: Option<String>,
    /// PID 19, Security (0 none, 2 read-only recommended, 4 enforced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<i32>,
}

/// One Media table row.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MediaInfo {
    /// `DiskId`.
    pub disk_id: i32,
    /// `LastSequence`: the highest File sequence number on this medium.
    pub last_sequence: i32,
    /// `Cabinet` as written (`#name` means a stream of this file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cabinet: Option<String>,
    /// The cabinet is a stream of this file.
    pub embedded: bool,
}

/// ModuleSignature row of a merge module.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ModuleSignature {
    /// `ModuleID`.
    pub module_id: String,
    /// `Version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `Language`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<i32>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "cfb",
    format: Format::Cfb,
    sniff,
    open,
};

/// The CFB signature, major version 3 or 4, little-endian byte order mark
/// and a 512- or 4096-byte sector shift.
pub fn sniff(data: &[u8]) -> bool {
    // The 8-byte signature, and at least one of version, byte order and
    // sector shift as the specification has them: one damaged header field
    // keeps the format (the parser says what is wrong).
    data.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
        && (matches!(super::le_u16(data, 26), Some(3 | 4))
            || super::le_u16(data, 28) == Some(0xFFFE)
            || matches!(super::le_u16(data, 30), Some(9 | 12)))
}

/// Root CLSID of an installer database, `{000C1084-0000-0000-C000-000000000046}`.
const CLSID_MSI: [u8; 16] = clsid(0x000C_1084);
/// Root CLSID of a patch, `{000C1086-…}`.
const CLSID_MSP: [u8; 16] = clsid(0x000C_1086);
/// Root CLSID of a transform, `{000C1082-…}`.
const CLSID_MST: [u8; 16] = clsid(0x000C_1082);

const fn clsid(d1: u32) -> [u8; 16] {
    let b = d1.to_le_bytes();
    [
        b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ]
}

/// Standard table names; finding several in raw bytes is weak evidence of an
/// MSI string pool when the directory is lost.
const MSI_MARKERS: &[&[u8]] = &[
    b"_Validation",
    b"InstallExecuteSequence",
    b"InstallUISequence",
    b"FeatureComponents",
    b"ProductCode",
    b"AdminExecuteSequence",
];

/// Name of the summary information stream.
const SUMMARY_STREAM: &str = "\u{5}SummaryInformation";
/// Cabinet stream of a merge module.
const MSM_CABINET: &str = "MergeModule.CABinet";

/// Open a compound file: the directory, the format decision, the
/// signature, summary information and database tables are read here; the
/// embedded cabinets' files and the streams that hold a known format are
/// handed over as the engine pulls.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let limits = opts.limits;
    let max_entries = limits.max_entries_per_container;
    let cfb = match Cfb::open(data, max_entries) {
        Ok(c) => c,
        Err(e) => {
            notes.error(e);
            return Opened::Leaf(Parsed {
                format: Format::Cfb,
                metadata: None,
            });
        }
    };
    for p in &cfb.problems {
        notes.error(p.clone());
    }
    let mut info = CfbInfo {
        major_version: cfb.major_version,
        ..CfbInfo::default()
    };
    let (stream_refs, storage_refs, walk_problems) = cfb.walk();
    for p in walk_problems {
        notes.error(p);
    }

    // Root-level streams by decoded name; tables by table name.
    let mut by_name: HashMap<String, &DirEntry> = HashMap::new();
    let mut tables: HashMap<String, &DirEntry> = HashMap::new();
    for s in &stream_refs {
        let Some(e) = cfb.entries.get(s.id as usize) else {
            continue;
        };
        let (name, is_table) = msi::decode_stream_name(&e.name);
        let shown = if is_table {
            format!("!{name}")
        } else {
            display_name(&name)
        };
        let full = if s.parents.is_empty() {
            shown
        } else {
            format!("{}/{shown}", s.parents.join("/"))
        };
        if (info.streams.len() as u64) < max_entries {
            info.streams.push(StreamInfo {
                name: full,
                size: e.size,
            });
        }
        if s.parents.is_empty() {
            if is_table {
                tables.insert(name, e);
            } else {
                by_name.insert(name, e);
            }
        }
    }
    info.streams.sort_by(|a, b| a.name.cmp(&b.name));
    for s in storage_refs
        .iter()
        .take(usize::try_from(max_entries).unwrap_or(usize::MAX))
    {
        if let Some(e) = cfb.entries.get(s.id as usize) {
            let mut p = s.parents.clone();
            p.push(e.name.clone());
            info.storages.push(p.join("/"));
        }
    }

    // Format by content.
    let mut format = Format::Cfb;
    let mut carved = Vec::new();
    let has_catalog = tables.contains_key("_Tables") && tables.contains_key("_StringPool");
    match cfb.root() {
        Some(root) => {
            let at = root.offset.map(|o| o + 0x50);
            let s = reader::clsid_string(&root.clsid);
            info.root_clsid = Some(s.clone());
            info.kind = match root.clsid {
                CLSID_MSI => {
                    format = Format::Msi;
                    notes.evidence(Evidence::strong(
                        "cfb-root-clsid",
                        format!("root CLSID {s}: installer database"),
                        at,
                    ));
                    "msi"
                }
                CLSID_MSP => {
                    format = Format::Msp;
                    notes.evidence(Evidence::strong(
                        "cfb-root-clsid",
                        format!("root CLSID {s}: installer patch"),
                        at,
                    ));
                    "msp"
                }
                CLSID_MST => {
                    format = Format::Mst;
                    notes.evidence(Evidence::strong(
                        "cfb-root-clsid",
                        format!("root CLSID {s}: installer transform"),
                        at,
                    ));
                    "transform"
                }
                _ => "other",
            }
            .to_owned();
            if format == Format::Cfb && info.kind == "other" && has_catalog {
                format = Format::Msi;
                notes.evidence(Evidence::strong(
                    "msi-tables",
                    format!("root CLSID {s} is not an installer's, but `_Tables` and `_StringPool` streams are present"),
                    None,
                ));
            }
        }
        None => {
            info.kind = "unknown".to_owned();
            let found: Vec<String> = MSI_MARKERS
                .iter()
                .filter(|m| memchr::memmem::find(data, m).is_some())
                .map(|m| String::from_utf8_lossy(m).into_owned())
                .collect();
            if found.len() >= 3 {
                // A product's string pool always holds `ProductCode` (its
                // Property row); a merge module's holds `ModuleSignature`
                // and, unless a formatted string names it, no `ProductCode`.
                let module = memchr::memmem::find(data, b"ModuleSignature").is_some()
                    && !found.iter().any(|f| f == "ProductCode");
                format = if module { Format::Msm } else { Format::Msi };
                notes.evidence(Evidence::weak(
                    "msi-strings",
                    format!(
                        "root entry unreadable; standard MSI names in the data: {}{}",
                        found.join(", "),
                        if module {
                            "; `ModuleSignature` and no `ProductCode`: a merge module's names"
                        } else {
                            ""
                        }
                    ),
                    None,
                ));
            }
            carved = carve_cabinets(data, limits, notes);
        }
    }

    if opts.hashes.authenticode && (has_catalog || is_installer_file(format)) {
        match authenticode::compute(&cfb, limits.max_entry_size) {
            Ok(a) => info.authenticode = Some(a),
            Err(e) => notes.error(e),
        }
    }

    if let Some(check) = authenticode::check_signature(&cfb, limits.max_entry_size) {
        for e in check.errors {
            notes.error(e);
        }
        if check.verified {
            notes.verified(installsift_model::Check::Authenticode);
        }
        info.signatures = check.signatures;
        if let Some(e) = super::pe::signature::signer_evidence(&info.signatures) {
            notes.evidence(e);
        }
    }

    let mut consumed: HashSet<u32> = HashSet::new();
    let mut cabs: Vec<(String, u32)> = Vec::new();
    let mut names = HashMap::new();
    if has_catalog || is_installer_file(format) {
        let mut mi = MsiInfo::default();
        if let Some(e) = by_name.get(SUMMARY_STREAM) {
            match cfb
                .read_stream(e, 1 << 20)
                .and_then(|b| msi::parse_summary(&b))
            {
                Ok(s) => mi.summary = Some(summary_info(&s)),
                Err(err) => notes.error(context("summary information", err)),
            }
        }
        let db = Db::load(&cfb, &tables, limits, notes);
        if let Some(db) = &db {
            mi.codepage = Some(db.pool.codepage);
            mi.tables = db.names.clone();
            notes.evidence(Evidence::strong(
                "msi-tables",
                format!("{} tables in `_Tables`", db.names.len()),
                None,
            ));
        }
        let t = |name: &str, notes: &mut Notes| {
            db.as_ref()
                .and_then(|d| d.table(&cfb, &tables, name, limits, notes))
        };
        let property = t("Property", notes);
        let file = t("File", notes);
        let component = t("Component", notes);
        let directory = t("Directory", notes);
        let media = t("Media", notes);
        let signature = t("ModuleSignature", notes);
        let file_hash = t("MsiFileHash", notes);
        if let Some(p) = &property {
            for row in &p.rows {
                if let (Some(k), Some(v)) = (p.str(row, "Property"), p.str(row, "Value")) {
                    if matches!(
                        k,
                        "ProductName"
                            | "ProductVersion"
                            | "Manufacturer"
                            | "ProductCode"
                            | "UpgradeCode"
                            | "ALLUSERS"
                            | "ProductLanguage"
                    ) {
                        mi.properties.insert(k.to_owned(), v.to_owned());
                    }
                }
            }
        }
        mi.file_rows = file.as_ref().map(|t| t.rows.len() as u64);
        mi.component_rows = component.as_ref().map(|t| t.rows.len() as u64);
        mi.directory_rows = directory.as_ref().map(|t| t.rows.len() as u64);
        if let Some(s) = &signature {
            mi.module_signature = s.rows.first().map(|row| ModuleSignature {
                module_id: s.str(row, "ModuleID").unwrap_or_default().to_owned(),
                version: s.str(row, "Version").map(str::to_owned),
                language: s.get(row, "Language").and_then(Value::as_int),
            });
        }
        let catalog = db.as_ref().is_some_and(|d| !d.names.is_empty());
        let listed = |name: &str| table_listed(db.as_ref(), &tables, name);
        let facts = DbFacts {
            catalog,
            product_code: property.as_ref().and_then(|p| {
                p.rows
                    .iter()
                    .find(|r| p.str(r, "Property") == Some("ProductCode"))
                    .and_then(|r| p.str(r, "Value"))
                    .map(str::to_owned)
            }),
            property_read: property.is_some() || (catalog && !listed("Property")),
            property_table: property.is_some() || listed("Property"),
            media_rows: media.as_ref().map(|m| m.rows.len()),
            media_listed: listed("Media"),
            signature_rows: signature
                .as_ref()
                .map(|t| t.rows.len())
                .or_else(|| listed("ModuleSignature").then_some(0)),
            module_id: mi.module_signature.as_ref().map(|m| m.module_id.clone()),
            module_components: listed("ModuleComponents"),
            msm_cabinet: by_name.contains_key(MSM_CABINET),
            patch_sequence: listed("MsiPatchSequence"),
            storages: info.storages.len(),
        };
        // Without the root entry nothing below was read: the raw-string
        // evidence stands alone.
        let decided = if info.kind == "unknown" {
            mi.package = Some("undecided".to_owned());
            None
        } else {
            decide(format, &facts)
        };
        if let Some((f, ev, package)) = decided {
            format = f;
            mi.package = Some(package.to_owned());
            notes.evidence(ev);
        } else if format == Format::Mst {
            mi.package = Some("transform".to_owned());
        }
        if let Some(s) = &mi.summary {
            if let Some(ev) = summary_evidence(s, matches!(format, Format::Msi | Format::Msm)) {
                notes.evidence(ev);
            }
        }
        names = install_names(file.as_ref(), component.as_ref(), directory.as_ref(), notes);
        // Cabinets: Media rows, or the merge module's fixed stream.

        if let Some(m) = &media {
            for row in &m.rows {
                let cabinet = m.str(row, "Cabinet").map(str::to_owned);
                let embedded = cabinet.as_deref().is_some_and(|c| c.starts_with('#'));
                mi.media.push(MediaInfo {
                    disk_id: m.get(row, "DiskId").and_then(Value::as_int).unwrap_or(0),
                    last_sequence: m
                        .get(row, "LastSequence")
                        .and_then(Value::as_int)
                        .unwrap_or(0),
                    cabinet: cabinet.clone(),
                    embedded,
                });
                match cabinet {
                    Some(c) if embedded => {
                        let stream = c.get(1..).unwrap_or_default();
                        match by_name.get(stream) {
                            Some(e) => cabs.push((stream.to_owned(), e.id)),
                            None => notes.error(Error::malformed(format!(
                                "Media cabinet `{c}` names no stream of this file"
                            ))),
                        }
                    }
                    Some(c) if !c.is_empty() => mi.external_cabinets.push(c),
                    _ => {}
                }
            }
        }
        if let Some(e) = by_name.get(MSM_CABINET) {
            if !cabs.iter().any(|&(_, id)| id == e.id) {
                cabs.push((MSM_CABINET.to_owned(), e.id));
            }
        }
        if let Some(h) = &file_hash {
            let (digests, problem) = file_digests(h);
            if let Some(p) = problem {
                notes.error(p);
            }
            mi.file_hash_rows = Some(h.rows.len() as u64);
            notes.expect_digests(digests);
        }
        info.msi = Some(mi);
        for (_, id) in &cabs {
            consumed.insert(*id);
        }
    }
    Opened::Container(Box::new(Walk {
        cfb,
        format,
        info,
        carved,
        cabs,
        names,
        unnamed: Cell::new(0),
        claimed: RefCell::new(HashMap::new()),
        cab_bytes: Cow::Borrowed(&[]),
        cab_name: String::new(),
        streams: stream_refs,
        consumed,
        phase: Phase::Carved(0),
        max_entry: limits.max_entry_size,
        read_ahead: opts.read_ahead,
    }))
}

/// Where the walk over a compound file's children is.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Cabinets found by their signature (the directory was lost).
    Carved(usize),
    /// Embedded cabinets, their files spliced in as this node's.
    Cabinets(usize),
    /// Other streams whose content is a known format.
    Streams(usize),
    Done,
}

/// The children of a compound file, handed over as the engine pulls.
struct Walk<'a> {
    cfb: Cfb<'a>,
    format: Format,
    info: CfbInfo,
    carved: Vec<(usize, &'a [u8])>,
    /// Embedded cabinet streams: (name, directory entry id).
    cabs: Vec<(String, u32)>,
    /// File key → install path.
    names: HashMap<String, String>,
    /// Files of the current cabinet without a File table row.
    unnamed: Cell<usize>,
    /// Sectors of the streams read so far → their directory entry (see
    /// [`Cfb::claim_sectors`]).
    claimed: RefCell<HashMap<u32, u32>>,
    /// The current cabinet's bytes (borrowed when its sectors are
    /// contiguous in the file).
    cab_bytes: Cow<'a, [u8]>,
    cab_name: String,
    streams: Vec<StreamRef>,
    /// Directory entries already handed over (the cabinets).
    consumed: HashSet<u32>,
    phase: Phase,
    max_entry: u64,
    /// [`Options::read_ahead`], for the embedded cabinets.
    read_ahead: bool,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        loop {
            match self.phase {
                Phase::Carved(i) => {
                    let Some(&(start, part)) = self.carved.get(i) else {
                        self.phase = Phase::Cabinets(0);
                        continue;
                    };
                    self.phase = Phase::Carved(i + 1);
                    return Some(Entry {
                        name: format!("[carved-cabinet@{start:#x}]"),
                        info: EntryInfo::new(EntryKind::Carved).at(start as u64),
                        data: Data::Slice(part),
                    });
                }
                Phase::Cabinets(i) => {
                    let Some((cab_name, id)) = self.cabs.get(i).cloned() else {
                        self.phase = Phase::Streams(0);
                        continue;
                    };
                    self.phase = Phase::Cabinets(i + 1);
                    let Some(e) = self.cfb.entries.get(id as usize) else {
                        continue;
                    };
                    let bytes = match self.cfb.read_stream_cow(e, self.max_entry) {
                        Ok(b) => b,
                        Err(err) => {
                            notes.error(context(&format!("cabinet stream `{cab_name}`"), err));
                            continue;
                        }
                    };
                    notes.evidence(Evidence::strong(
                        "msi-embedded-cabinet",
                        format!("cabinet stream `{cab_name}`, {} bytes", bytes.len()),
                        None,
                    ));
                    self.cab_bytes = bytes;
                    self.cab_name = cab_name;
                    self.unnamed.set(0);
                    let (names, unnamed, cab) = (&self.names, &self.unnamed, &self.cab_name);
                    let namer = move |key: &str| match names.get(key) {
                        Some(path) => path.clone(),
                        None => {
                            unnamed.set(unnamed.get() + 1);
                            format!("[{cab}]/{key}")
                        }
                    };
                    // The cabinet's offsets are in the stream, not in the
                    // MSI's bytes: its errors keep their text only.
                    let from = notes.errors.len();
                    let files = super::cab::walk(
                        &self.cab_bytes,
                        Some(Box::new(namer)),
                        self.read_ahead,
                        notes,
                    );
                    notes.clear_offsets_from(from);
                    return Some(Entry {
                        name: String::new(),
                        info: EntryInfo::new(EntryKind::File),
                        data: Data::Splice(Box::new(crate::container::Unlocated(
                            files.into_container(),
                        ))),
                    });
                }
                Phase::Streams(i) => {
                    let Some(s) = self.streams.get(i) else {
                        self.phase = Phase::Done;
                        continue;
                    };
                    self.phase = Phase::Streams(i + 1);
                    if let Some(e) = self.stream_child(s, notes) {
                        return Some(e);
                    }
                }
                Phase::Done => return None,
            }
        }
    }

    fn spliced(&mut self, _parsed: Parsed, notes: &mut Notes) {
        let unnamed = self.unnamed.get();
        if unnamed > 0 {
            let cab_name = &self.cab_name;
            notes.error(Error::malformed(format!(
                "{unnamed} files of cabinet `{cab_name}` have no File table row; named `[{cab_name}]/<key>`"
            )));
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        done(self.format, self.info)
    }
}

impl Walk<'_> {
    /// A stream whose content is a known format, as a child; none for
    /// tables, cabinets already handed over, storages, tiny or unreadable
    /// streams (noted) and streams of no known format.
    fn stream_child<'s>(&self, s: &StreamRef, notes: &mut Notes) -> Option<Entry<'s>> {
        let e = self.cfb.entries.get(s.id as usize)?;
        let (name, is_table) = msi::decode_stream_name(&e.name);
        if is_table || self.consumed.contains(&e.id) || e.kind != EntryType::Stream || e.size < 2 {
            return None;
        }
        let name = display_name(&name);
        let full = if s.parents.is_empty() {
            name
        } else {
            format!("{}/{name}", s.parents.join("/"))
        };
        let shared = self
            .cfb
            .claim_sectors(e, e.id, &mut self.claimed.borrow_mut());
        if let Some((sector, owner)) = shared {
            let other = self.cfb.entries.get(owner as usize).map_or_else(
                || format!("entry {owner}"),
                |o| display_name(&msi::decode_stream_name(&o.name).0),
            );
            let mut info = EntryInfo::new(EntryKind::Stream);
            if e.name != full {
                info.key = Some(e.name.clone());
            }
            return Some(Entry {
                name: full.clone(),
                info,
                data: Data::Missing {
                    size: e.size,
                    error: Error::malformed(format!(
                        "stream `{full}` runs into the sectors of stream `{other}` (sector {sector}); not read again"
                    )),
                },
            });
        }
        let bytes = match self.cfb.read_stream(e, self.max_entry) {
            Ok(b) => b,
            Err(err) => {
                notes.error(context(&format!("stream `{full}`"), err));
                return None;
            }
        };
        super::sniff(&bytes)?;
        let mut entry = EntryInfo::new(EntryKind::Stream);
        if e.name != full {
            entry.key = Some(e.name.clone());
        }
        Some(Entry {
            name: full,
            info: entry,
            data: Data::Owned(bytes),
        })
    }
}

/// MD5 of zero bytes, `d41d8cd98f00b204e9800998ecf8427e`.
const MD5_OF_NOTHING: [u8; 16] = [
    0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e,
];

/// `MsiFileHash` rows as digests by File key: the MD5 of an unversioned
/// file, stored as four little-endian 32-bit integers `HashPart1..4`
/// (`MsiGetFileHash`). A row with a NULL part cannot be checked and is
/// reported.
fn file_digests(t: &Table) -> (HashMap<String, (Check, Digest)>, Option<Error>) {
    let mut out = HashMap::new();
    let mut unusable = Vec::new();
    for row in &t.rows {
        let Some(key) = t.str(row, "File_") else {
            continue;
        };
        let mut md5 = [0u8; 16];
        let mut whole = true;
        for (i, part) in md5.chunks_exact_mut(4).enumerate() {
            match t
                .get(row, &format!("HashPart{}", i + 1))
                .and_then(Value::as_int)
            {
                Some(v) => part.copy_from_slice(&v.to_le_bytes()),
                None => whole = false,
            }
        }
        if whole {
            // Windows writes an all-zero hash for an empty file (WiX and
            // MsiGetFileHash do): that row states the MD5 of no bytes.
            if md5 == [0; 16] {
                md5 = MD5_OF_NOTHING;
            }
            out.insert(
                key.to_owned(),
                (
                    Check::MsiFileHash,
                    Digest::Md5(installsift_model::hash::Md5(md5)),
                ),
            );
        } else {
            unusable.push(key.to_owned());
        }
    }
    let problem = (!unusable.is_empty()).then(|| {
        Error::malformed(format!(
            "MsiFileHash rows with a NULL hash part, not checked: {}",
            unusable.join(", ")
        ))
    });
    (out, problem)
}

/// Windows Installer files whose database is read.
fn is_installer_file(f: Format) -> bool {
    matches!(f, Format::Msi | Format::Msm | Format::Msp | Format::Mst)
}

/// Whether the catalog lists table `name`, or (catalog unreadable) its
/// stream is present.
fn table_listed(db: Option<&Db>, tables: &HashMap<String, &DirEntry>, name: &str) -> bool {
    tables.contains_key(name) || db.is_some_and(|d| d.names.iter().any(|n| n == name))
}

/// The structure that tells a product from a merge module, patch or
/// transform.
#[derive(Debug, Default)]
struct DbFacts {
    /// `_Tables` was read: a table it does not list is absent.
    catalog: bool,
    /// `Property.ProductCode`.
    product_code: Option<String>,
    /// The `Property` table was decoded (rows read), or the catalog says
    /// there is none: `product_code` being `None` then means absent.
    property_read: bool,
    /// A `Property` table exists.
    property_table: bool,
    /// Rows of the `Media` table (`Some(0)`: present, none read).
    media_rows: Option<usize>,
    /// The catalog lists `Media`, or its stream is present.
    media_listed: bool,
    /// Rows of `ModuleSignature` (`Some(0)`: present, none read).
    signature_rows: Option<usize>,
    /// First `ModuleSignature.ModuleID`.
    module_id: Option<String>,
    /// A `ModuleComponents` table exists.
    module_components: bool,
    /// A `MergeModule.CABinet` stream exists.
    msm_cabinet: bool,
    /// A `MsiPatchSequence` table exists.
    patch_sequence: bool,
    /// Storages below the root (a patch's transforms).
    storages: usize,
}

/// What a database decision rests on: the format, the evidence, and the
/// package kind recorded in [`MsiInfo::package`].
type Decision = (Format, Evidence, &'static str);

/// Decide msi vs msm from the database's structure, as Windows Installer
/// does: a package it installs has `Property.ProductCode` (msiexec refuses a
/// database without one) and `Media` rows for its files; a merge module has
/// `ModuleSignature`, neither of those, and its files in
/// `MergeModule.CABinet`. A product that merged modules keeps their
/// `ModuleSignature` / `ModuleComponents` rows (mergemod.dll copies them, as
/// the VC++ redistributables and Visual Studio Installer Projects MSIs
/// show), so that table alone decides nothing. A merge module is concluded
/// only from absences that were read (the catalog, the Property rows); when
/// damage hides them the package is `undecided` (weak evidence, format
/// msi), and when the evidence conflicts (ModuleSignature, no ProductCode,
/// but Media rows) the product wins: dropping a real MSI from every export
/// is the worse mistake. `None` leaves `format` as the CLSID said.
fn decide(format: Format, f: &DbFacts) -> Option<Decision> {
    match format {
        Format::Msp => {
            let mut parts = Vec::new();
            if f.patch_sequence {
                parts.push("`MsiPatchSequence` table".to_owned());
            }
            if f.storages > 0 {
                parts.push(format!("{} transform storages", f.storages));
            }
            return (!parts.is_empty()).then(|| {
                (
                    Format::Msp,
                    Evidence::strong(
                        "msp-structure",
                        format!("patch structure: {}", parts.join(", ")),
                        None,
                    ),
                    "patch",
                )
            });
        }
        Format::Msi => {}
        _ => return None,
    }
    let media = match f.media_rows {
        Some(n) if n > 0 => format!("`Media` table with {n} rows"),
        _ if f.media_listed => "`Media` table (rows not read)".to_owned(),
        _ if f.catalog => "no `Media` table".to_owned(),
        _ => "`Media` not known (the catalog was not read)".to_owned(),
    };
    let has_media = f.media_rows.is_some_and(|n| n > 0) || f.media_listed;
    let signature = match (f.signature_rows, &f.module_id) {
        (Some(_), Some(id)) => format!("`ModuleSignature` (`{id}`)"),
        (Some(_), None) => "`ModuleSignature`".to_owned(),
        (None, _) => String::new(),
    };
    let components = if f.module_components {
        " and `ModuleComponents`"
    } else {
        ""
    };
    if let Some(code) = &f.product_code {
        let merged = if signature.is_empty() {
            String::new()
        } else {
            format!(
                "; {signature}{components} rows record merge modules merged into this product: not a merge module"
            )
        };
        return Some((
            Format::Msi,
            Evidence::strong(
                "msi-product-code",
                format!("`Property` table with `ProductCode` {code}, {media}: a product package{merged}"),
                None,
            ),
            "product",
        ));
    }
    let property = if f.property_read && f.property_table {
        "`Property` table without `ProductCode`"
    } else if f.property_read {
        "no `Property` table"
    } else {
        "`Property` not read"
    };
    if has_media {
        let why = if signature.is_empty() {
            String::new()
        } else {
            format!("{signature}{components} and ")
        };
        return Some((
            Format::Msi,
            Evidence::strong(
                "msi-product-media",
                format!(
                    "{why}{property}, but {media}: a product's file layout (a merge module has no Media table); taken as a product package"
                ),
                None,
            ),
            "product",
        ));
    }
    if !(f.catalog && f.property_read) {
        if f.msm_cabinet && f.signature_rows.is_some() {
            // Only a merge module carries its files in this stream (a
            // product merges them into its own cabinets); still weak: the
            // absences were not read.
            return Some((
                Format::Msm,
                Evidence::weak(
                    "msi-undecided",
                    format!(
                        "{signature}{components} and a `MergeModule.CABinet` stream, {property}, {media}: a merge module's layout, but the tables that would prove it could not be read"
                    ),
                    None,
                ),
                "undecided",
            ));
        }
        return Some((
            Format::Msi,
            Evidence::weak(
                "msi-undecided",
                format!(
                    "{}{property}, {media}: the tables that tell a product from a merge module could not be read; taken as an installer database",
                    if signature.is_empty() { String::new() } else { format!("{signature}{components}, ") }
                ),
                None,
            ),
            "undecided",
        ));
    }
    if f.signature_rows.is_none() {
        return Some((
            Format::Msi,
            Evidence::strong(
                "msi-database",
                format!(
                    "no `ModuleSignature`, {property}, {media}: a database that is neither a product nor a merge module"
                ),
                None,
            ),
            "database",
        ));
    }
    let cab = if f.msm_cabinet {
        "; `MergeModule.CABinet` stream"
    } else {
        ""
    };
    Some((
        Format::Msm,
        Evidence::strong(
            "msi-module-signature",
            format!("{signature}{components}, {property}, {media}{cab}: a merge module"),
            None,
        ),
        "merge-module",
    ))
}

/// The summary information as supporting evidence (it decides nothing:
/// tools write what they like there).
/// `Word Count` is source-image flags only in a database (a patch and a
/// transform use it otherwise).
fn summary_evidence(s: &SummaryInfo, database: bool) -> Option<Evidence> {
    let mut parts = Vec::new();
    if let Some(t) = &s.title {
        parts.push(format!("Title `{t}`"));
    }
    if let Some(t) = &s.template {
        parts.push(format!("Template `{t}`"));
    }
    if let Some(w) = s.word_count.filter(|_| !database) {
        parts.push(format!("Word Count {w}"));
    }
    if let Some(w) = s.word_count.filter(|_| database) {
        let mut flags = Vec::new();
        flags.push(if w & 1 != 0 {
            "short names"
        } else {
            "long names"
        });
        if w & 2 != 0 {
            flags.push("compressed");
        }
        if w & 4 != 0 {
            flags.push("administrative image");
        }
        if w & 8 != 0 {
            flags.push("no elevation");
        }
        parts.push(format!("Word Count {w} ({})", flags.join(", ")));
    }
    if let Some(a) = &s.creating_application {
        parts.push(format!("created by `{a}`"));
    }
    (!parts.is_empty()).then(|| {
        Evidence::weak(
            "msi-summary",
            format!(
                "summary information (supporting only): {}",
                parts.join(", ")
            ),
            None,
        )
    })
}

/// A stream name for people: control characters (the `\u{5}` of property
/// sets) shown as `[5]`, as 7-Zip does.
fn display_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                format!("[{}]", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn done(format: Format, info: CfbInfo) -> Parsed {
    Parsed {
        format,
        metadata: Some(Metadata::Cfb(Box::new(info))),
    }
}

fn summary_info(s: &msi::Summary) -> SummaryInfo {
    SummaryInfo {
        title: s.str(2),
        subject: s.str(3),
        author: s.str(4),
        keywords: s.str(5),
        comments: s.str(6),
        template: s.str(7),
        revision_number: s.str(9),
        created: s.unix_time(12),
        last_saved: s.unix_time(13),
        page_count: s.int(14),
        word_count: s.int(15),
        creating_application: s.str(18),
        security: s.int(19),
    }
}

/// The database catalog: string pool, table names and column definitions.
struct Db {
    pool: StringPool,
    names: Vec<String>,
    columns: HashMap<String, Vec<Column>>,
}

impl Db {
    fn load(
        cfb: &Cfb<'_>,
        tables: &HashMap<String, &DirEntry>,
        limits: &Limits,
        notes: &mut Notes,
    ) -> Option<Db> {
        let max = limits.max_entry_size;
        let read = |name: &str, notes: &mut Notes| -> Option<Vec<u8>> {
            let e = tables.get(name)?;
            match cfb.read_stream(e, max) {
                Ok(b) => Some(b),
                Err(err) => {
                    notes.error(context(&format!("table stream `{name}`"), err));
                    None
                }
            }
        };
        let (Some(pool), Some(sdata)) = (read("_StringPool", notes), read("_StringData", notes))
        else {
            if tables.contains_key("_StringPool") || tables.contains_key("_Tables") {
                notes.error(Error::malformed(
                    "the string pool could not be read; tables are not decoded",
                ));
            }
            return None;
        };
        let (pool, problem) = StringPool::parse(&pool, &sdata);
        if let Some(p) = problem {
            notes.error(context("string pool", p));
        }
        let max_rows = limits.max_table_rows;
        let rw = pool.ref_width();
        let names = read("_Tables", notes)
            .map(|b| {
                b.chunks_exact(rw)
                    .take(usize::try_from(max_rows).unwrap_or(usize::MAX))
                    .filter_map(|c| pool.get(ref_value(c)).map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let mut columns: HashMap<String, Vec<(i32, Column)>> = HashMap::new();
        let catalog = [
            Column {
                name: "Table".into(),
                ty: ColType::Str,
            },
            Column {
                name: "Number".into(),
                ty: ColType::I16,
            },
            Column {
                name: "Name".into(),
                ty: ColType::Str,
            },
            Column {
                name: "Type".into(),
                ty: ColType::I16,
            },
        ];
        if let Some(b) = read("_Columns", notes) {
            match msi::decode_table(&b, &catalog, &pool, max_rows) {
                Ok((t, problem)) => {
                    if let Some(p) = problem {
                        notes.error(context("_Columns", p));
                    }
                    for row in &t.rows {
                        let (
                            Some(Value::Str(table)),
                            Some(Value::Int(n)),
                            Some(Value::Str(name)),
                            Some(Value::Int(ty)),
                        ) = (row.first(), row.get(1), row.get(2), row.get(3))
                        else {
                            notes.error(Error::malformed("_Columns row with a NULL cell"));
                            continue;
                        };
                        match ColType::from_bits(*ty) {
                            Ok(ty) => columns.entry(table.to_string()).or_default().push((
                                *n,
                                Column {
                                    name: name.to_string(),
                                    ty,
                                },
                            )),
                            Err(e) => notes.error(context(&format!("column {table}.{name}"), e)),
                        }
                    }
                }
                Err(e) => notes.error(context("_Columns", e)),
            }
        }
        let columns = columns
            .into_iter()
            .map(|(t, mut cols)| {
                cols.sort_by_key(|(n, _)| *n);
                (t, cols.into_iter().map(|(_, c)| c).collect())
            })
            .collect();
        Some(Db {
            pool,
            names,
            columns,
        })
    }

    /// Decode table `name`; `None` when absent or unreadable (an error is
    /// recorded for unreadable ones).
    fn table(
        &self,
        cfb: &Cfb<'_>,
        tables: &HashMap<String, &DirEntry>,
        name: &str,
        limits: &Limits,
        notes: &mut Notes,
    ) -> Option<Table> {
        let cols = self.columns.get(name)?;
        let Some(e) = tables.get(name) else {
            // A table listed in the catalog with no stream has no rows.
            return self.names.iter().any(|n| n == name).then(|| Table {
                columns: cols.clone(),
                rows: Vec::new(),
            });
        };
        let bytes = match cfb.read_stream(e, limits.max_entry_size) {
            Ok(b) => b,
            Err(err) => {
                notes.error(context(&format!("table `{name}`"), err));
                return None;
            }
        };
        match msi::decode_table(&bytes, cols, &self.pool, limits.max_table_rows) {
            Ok((t, problem)) => {
                if let Some(p) = problem {
                    notes.error(context(&format!("table `{name}`"), p));
                }
                Some(t)
            }
            Err(err) => {
                notes.error(context(&format!("table `{name}`"), err));
                None
            }
        }
    }
}

fn ref_value(c: &[u8]) -> u32 {
    c.iter().rev().fold(0u32, |acc, &b| acc << 8 | u32::from(b))
}

/// File key → install path (see [`paths`]).
fn install_names(
    file: Option<&Table>,
    component: Option<&Table>,
    directory: Option<&Table>,
    notes: &mut Notes,
) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(file) = file else { return out };
    let mut dirs: HashMap<String, DirRow> = HashMap::new();
    if let Some(d) = directory {
        for row in &d.rows {
            if let Some(k) = d.str(row, "Directory") {
                dirs.insert(
                    k.to_owned(),
                    DirRow {
                        parent: d.str(row, "Directory_Parent").map(str::to_owned),
                        default_dir: d.str(row, "DefaultDir").unwrap_or_default().to_owned(),
                    },
                );
            }
        }
    }
    let mut comp_dir: HashMap<&str, &str> = HashMap::new();
    if let Some(c) = component {
        for row in &c.rows {
            if let (Some(k), Some(d)) = (c.str(row, "Component"), c.str(row, "Directory_")) {
                comp_dir.insert(k, d);
            }
        }
    }
    let mut dir_cache: HashMap<&str, String> = HashMap::new();
    let mut reported = false;
    for row in &file.rows {
        let (Some(key), Some(fname)) = (file.str(row, "File"), file.str(row, "FileName")) else {
            continue;
        };
        let dir = match file
            .str(row, "Component_")
            .and_then(|c| comp_dir.get(c).copied())
        {
            Some(d) => dir_cache
                .entry(d)
                .or_insert_with(|| {
                    let (p, problem) = paths::dir_path(&dirs, d);
                    if let Some(problem) = problem {
                        if !reported {
                            reported = true;
                            notes.error(Error::malformed(format!(
                                "Directory table: {problem:?} while resolving `{d}`"
                            )));
                        }
                    }
                    p
                })
                .clone(),
            None => String::new(),
        };
        out.insert(key.to_owned(), paths::join(&dir, paths::long_name(fname)));
    }
    out
}

/// When the directory is lost, the cabinets found by their signature
/// (wixl and msibuild write streams contiguously, so an embedded cabinet is
/// often intact in the bytes that remain): (offset, bytes as its header
/// bounds them), each noted as weak evidence.
fn carve_cabinets<'a>(
    data: &'a [u8],
    limits: &Limits,
    notes: &mut Notes,
) -> Vec<(usize, &'a [u8])> {
    let mut out = Vec::new();
    let window = usize::try_from(limits.max_search_window)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let mut at = 512usize;
    while at < window {
        let Some(rest) = data.get(at..window) else {
            break;
        };
        let Some(k) = memchr::memmem::find(rest, b"MSCF\0\0\0\0") else {
            break;
        };
        let start = at + k;
        let tail = data.get(start..).unwrap_or(&[]);
        if super::cab::sniff(tail) {
            let declared = super::le_u32(tail, 8).unwrap_or(0) as usize;
            let part = tail.get(..declared.min(tail.len())).unwrap_or(tail);
            notes.evidence(Evidence::weak(
                "cfb-carved-cabinet",
                format!("cabinet signature at {start:#x} in a damaged compound file"),
                Some(start as u64),
            ));
            out.push((start, part));
            at = start + part.len().max(1);
        } else {
            at = start + 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample as corpus;

    /// The parser alone, without a scan: the embedded cabinet's files are
    /// spliced in as the MSI's entries, named by their install path with
    /// the cabinet key kept; the MsiFileHash digests are stated in the
    /// notes for the engine to check.
    #[test]
    fn listing_without_the_engine() {
        use crate::container::{list, Listed};
        let Some(data) = corpus("msi/dirs.msi") else {
            return;
        };
        let limits = installsift_model::Limits::default();
        let l = list(open, &data, &limits, usize::MAX);
        assert_eq!(l.parsed.format, Format::Msi);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        assert!(l
            .notes
            .evidence
            .iter()
            .any(|e| e.signal == "msi-embedded-cabinet"));
        // The names `msiextract -l` gives (corpus/reference has the listing).
        let mut names: Vec<&str> = l.entries.iter().map(|e| e.0.as_str()).collect();
        names.sort();
        let app = "Installsift Vendor/Sample Application";
        let want: Vec<String> = [
            "bin/hello_console_application.exe",
            "bin/installsift_sample_library.dll",
            "doc/License Agreement.txt",
            "doc/extra notes/release notes for version 1.2.3.txt",
            "doc/readme.txt",
            "etc/config.ini",
        ]
        .iter()
        .map(|p| format!("{app}/{p}"))
        .collect();
        assert_eq!(names, want.iter().map(String::as_str).collect::<Vec<_>>());
        for (name, info, data) in &l.entries {
            assert!(info.key.is_some(), "{name}");
            assert!(!name.starts_with('['), "{name} has no File row");
            assert!(matches!(data, Listed::Decoded(Ok(_))), "{name}: {data:?}");
        }
        // Stopped after one file: the cabinet and the MSI stop there.
        let l = list(open, &data, &limits, 1);
        assert_eq!(l.entries.len(), 1);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
    }

    #[test]
    fn clsids() {
        assert_eq!(
            reader::clsid_string(&CLSID_MSI),
            "{000C1084-0000-0000-C000-000000000046}"
        );
        assert_eq!(
            reader::clsid_string(&CLSID_MSP),
            "{000C1086-0000-0000-C000-000000000046}"
        );
    }

    /// A product that merged modules, a merge module, and the cases where
    /// damage or conflict must not make a merge module of a product.
    #[test]
    fn product_or_merge_module_from_structure() {
        let product = DbFacts {
            catalog: true,
            product_code: Some("{P}".into()),
            property_read: true,
            property_table: true,
            media_rows: Some(1),
            media_listed: true,
            signature_rows: Some(3),
            module_id: Some("VsdBase.X".into()),
            module_components: true,
            ..DbFacts::default()
        };
        let (f, ev, kind) = decide(Format::Msi, &product).expect("decided");
        assert_eq!((f, kind), (Format::Msi, "product"));
        assert_eq!(ev.signal, "msi-product-code");
        for table in [
            "ProductCode",
            "Media",
            "ModuleSignature",
            "ModuleComponents",
        ] {
            assert!(ev.detail.contains(table), "{table}: {}", ev.detail);
        }
        let module = DbFacts {
            catalog: true,
            property_read: true,
            signature_rows: Some(1),
            module_id: Some("M.1".into()),
            msm_cabinet: true,
            ..DbFacts::default()
        };
        let (f, ev, kind) = decide(Format::Msi, &module).expect("decided");
        assert_eq!(
            (f, kind, ev.signal.as_str()),
            (Format::Msm, "merge-module", "msi-module-signature")
        );
        assert!(
            ev.detail.contains("no `Property` table") && ev.detail.contains("no `Media` table")
        );
        // Property rows lost: a module is not concluded from what was not read.
        let hidden = DbFacts {
            property_read: false,
            property_table: true,
            msm_cabinet: false,
            ..module
        };
        let (f, ev, kind) = decide(Format::Msi, &hidden).expect("decided");
        assert_eq!((f, kind), (Format::Msi, "undecided"));
        assert_eq!(ev.strength, installsift_model::Strength::Weak);
        // ModuleSignature, no ProductCode, but Media rows: the product wins.
        let conflict = DbFacts {
            media_rows: Some(2),
            media_listed: true,
            ..DbFacts {
                catalog: true,
                property_read: true,
                signature_rows: Some(1),
                ..DbFacts::default()
            }
        };
        let (f, ev, _) = decide(Format::Msi, &conflict).expect("decided");
        assert_eq!((f, ev.signal.as_str()), (Format::Msi, "msi-product-media"));
        // A patch names its structure; a transform is left as it is.
        let patch = DbFacts {
            patch_sequence: true,
            storages: 4,
            ..DbFacts::default()
        };
        let (f, ev, _) = decide(Format::Msp, &patch).expect("decided");
        assert_eq!(f, Format::Msp);
        assert!(ev.detail.contains("MsiPatchSequence") && ev.detail.contains("4 transform"));
        assert!(decide(Format::Mst, &patch).is_none());
    }

    #[test]
    fn file_hash_rows_are_little_endian_parts_and_zero_means_empty() {
        let cols = [
            "File_",
            "Options",
            "HashPart1",
            "HashPart2",
            "HashPart3",
            "HashPart4",
        ];
        let t = Table {
            columns: cols
                .iter()
                .map(|n| Column {
                    name: (*n).into(),
                    ty: if *n == "File_" {
                        ColType::Str
                    } else {
                        ColType::I32
                    },
                })
                .collect(),
            rows: vec![
                // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72
                vec![
                    Value::Str("a".into()),
                    Value::Int(0),
                    Value::Int(i32::from_le_bytes([0x90, 0x01, 0x50, 0x98])),
                    Value::Int(i32::from_le_bytes([0x3c, 0xd2, 0x4f, 0xb0])),
                    Value::Int(i32::from_le_bytes([0xd6, 0x96, 0x3f, 0x7d])),
                    Value::Int(i32::from_le_bytes([0x28, 0xe1, 0x7f, 0x72])),
                ],
                vec![
                    Value::Str("empty".into()),
                    Value::Int(0),
                    Value::Int(0),
                    Value::Int(0),
                    Value::Int(0),
                    Value::Int(0),
                ],
                vec![
                    Value::Str("null".into()),
                    Value::Int(0),
                    Value::Null,
                    Value::Int(1),
                    Value::Int(1),
                    Value::Int(1),
                ],
            ],
        };
        let (d, problem) = file_digests(&t);
        let md5 = |k: &str| match d.get(k) {
            Some((Check::MsiFileHash, Digest::Md5(m))) => Some(*m),
            _ => None,
        };
        assert_eq!(
            md5("a").map(|m| m.to_string()),
            Some("900150983cd24fb0d6963f7d28e17f72".to_owned())
        );
        assert_eq!(md5("empty").map(|m| m.0), Some(MD5_OF_NOTHING));
        assert_eq!(md5("null"), None);
        assert!(problem.is_some_and(|p| p.to_string().contains("null")));
    }
}
