//! Hash-list export: scan results written in the import formats of security
//! products (EDR IOC lists, allow/deny policies, threat-intel formats).
//!
//! | format | consumed by | hashes |
//! |---|---|---|
//! | `sha256sum`, `sha1sum`, `md5sum` | `sha256sum -c`, scripts | one per file |
//! | `cortex-xdr-csv`, `cortex-xdr-json` | Cortex XDR IOC rules (`insert_csv`, `insert_jsons`) | SHA-256, MD5 |
//! | `cortex-xdr-blocklist` | Cortex XDR block/allow list (`hash_list`) | SHA-256 of PE files only |
//! | `defender-csv` | Defender for Endpoint indicator import (≤ 500 rows per file) | SHA-256, SHA-1 |
//! | `crowdstrike-json` | Falcon IOC API | SHA-256, MD5 |
//! | `applocker-xml` | AppLocker policy (`FileHashRule`) | Authenticode SHA-256 (PE), flat SHA-256 (scripts) |
//! | `wdac-xml` | App Control for Business policy | Authenticode SHA-1 and SHA-256 (PE) |
//! | `stix2` | STIX 2.1 bundle (Sentinel, OpenCTI, MISP …) | SHA-256, SHA-1, MD5 |
//! | `misp-json` | MISP event with `file` objects | all, plus authentihash and imphash |
//! | `openioc` | OpenIOC 1.1 | SHA-256, SHA-1, MD5 |
//! | `yara` | YARA / YARA-X rules | SHA-256, SHA-1, MD5 (lowercase), imphash |
//! | `sigma` | Sigma `process_creation` behaviour rules, one per installer | SHA-256 (+ SHA-1, MD5); image name or `OriginalFileName` with the family's switch; msiexec with the package |
//! | `cortex-xql` | Cortex XDR BIOC rules as XQL, one per installer | SHA-256 (+ MD5); switches, original name, signer |
//!
//! An [`Exporter`] takes scanned nodes one at a time, filters them
//! ([`ExportOptions`]), drops repeated content (same SHA-256; the first path
//! wins), and writes as it goes, so the output order is the scan order, which
//! [`Scanner::scan_paths`](installsift::Scanner::scan_paths) keeps deterministic.
//! Anything a format cannot express becomes a [`Warning`], never a silent
//! drop. Output is byte-for-byte reproducible: identifiers are UUIDv5 (of
//! the hashes; in STIX of the action and the whole indicator, see the
//! `stix` module) and every date comes from [`ExportOptions::timestamp`].
//!
//! ```no_run
//! use installsift_export::{ExportFormat, ExportOptions, Exporter};
//! use installsift::Scanner;
//! let format = ExportFormat::Yara;
//! let opts = ExportOptions::default();
//! let scanner = Scanner::new().with_hashes(format.hashes_needed(&opts));
//! let mut ex = Exporter::new(format, opts, Box::new(std::io::stdout()))?;
//! let report = scanner.scan_path("setup.exe".as_ref()).unwrap();
//! ex.add_report(&report.root)?;
//! for w in ex.take_warnings() {
//!     eprintln!("warning: {w}");
//! }
//! ex.finish()?;
//! # Ok::<(), std::io::Error>(())
//! ```

use installsift::formats::cfb::{CfbInfo, MsiAuthenticode};
use installsift::formats::pe::{AuthenticodeHashes, PeInfo};
use installsift::formats::Metadata;
use installsift::hash::{HashSelection, Md5, Sha1, Sha256};
use installsift::{Format, Node, NodeInfo, Verdict};
use std::collections::HashSet;
use std::io::{self, Write};

mod applocker;
mod bioc;
mod cortex_xdr_blocklist;
mod cortex_xdr_csv;
mod cortex_xdr_json;
mod crowdstrike;
mod defender;
mod misp;
mod misp_x509;
mod openioc;
mod sigma;
mod signer;
mod stix;
mod sums;
mod util;
mod wdac;
mod xql;
mod yara;

pub use defender::part_path;
pub use util::Timestamp;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFormat {
    /// `HASH  PATH` lines, as `sha256sum` writes them.
    Sha256sum,
    /// `HASH  PATH` lines, as `sha1sum` writes them.
    Sha1sum,
    /// `HASH  PATH` lines, as `md5sum` writes them.
    Md5sum,
    /// Cortex XDR IOC CSV (`insert_csv` / UI import).
    CortexXdrCsv,
    /// Cortex XDR IOC JSON (`insert_jsons` request body).
    CortexXdrJson,
    /// Cortex XDR block/allow list request body (`hash_list`).
    CortexXdrBlocklist,
    /// Defender for Endpoint indicators CSV.
    DefenderCsv,
    /// CrowdStrike Falcon IOC API request body.
    CrowdstrikeJson,
    /// AppLocker policy XML.
    ApplockerXml,
    /// App Control for Business (WDAC) policy XML.
    WdacXml,
    /// STIX 2.1 bundle of indicators.
    Stix2,
    /// MISP event JSON.
    MispJson,
    /// OpenIOC 1.1 XML.
    Openioc,
    /// YARA rules.
    Yara,
    /// Sigma `process_creation` rules for installer runs.
    Sigma,
    /// Cortex XDR BIOC rules as XQL queries, for installer runs.
    CortexXql,
}

impl ExportFormat {
    /// Every format, in the order `--help` lists them.
    pub const ALL: &'static [ExportFormat] = &[
        ExportFormat::Sha256sum,
        ExportFormat::Sha1sum,
        ExportFormat::Md5sum,
        ExportFormat::CortexXdrCsv,
        ExportFormat::CortexXdrJson,
        ExportFormat::CortexXdrBlocklist,
        ExportFormat::DefenderCsv,
        ExportFormat::CrowdstrikeJson,
        ExportFormat::ApplockerXml,
        ExportFormat::WdacXml,
        ExportFormat::Stix2,
        ExportFormat::MispJson,
        ExportFormat::Openioc,
        ExportFormat::Yara,
        ExportFormat::Sigma,
        ExportFormat::CortexXql,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Sha256sum => "sha256sum",
            ExportFormat::Sha1sum => "sha1sum",
            ExportFormat::Md5sum => "md5sum",
            ExportFormat::CortexXdrCsv => "cortex-xdr-csv",
            ExportFormat::CortexXdrJson => "cortex-xdr-json",
            ExportFormat::CortexXdrBlocklist => "cortex-xdr-blocklist",
            ExportFormat::DefenderCsv => "defender-csv",
            ExportFormat::CrowdstrikeJson => "crowdstrike-json",
            ExportFormat::ApplockerXml => "applocker-xml",
            ExportFormat::WdacXml => "wdac-xml",
            ExportFormat::Stix2 => "stix2",
            ExportFormat::MispJson => "misp-json",
            ExportFormat::Openioc => "openioc",
            ExportFormat::Yara => "yara",
            ExportFormat::Sigma => "sigma",
            ExportFormat::CortexXql => "cortex-xql",
        }
    }

    /// The format with this command-line name.
    pub fn from_name(name: &str) -> Option<ExportFormat> {
        ExportFormat::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Usual file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Sha256sum => "sha256",
            ExportFormat::Sha1sum => "sha1",
            ExportFormat::Md5sum => "md5",
            ExportFormat::CortexXdrCsv | ExportFormat::DefenderCsv => "csv",
            ExportFormat::ApplockerXml | ExportFormat::WdacXml | ExportFormat::Openioc => "xml",
            ExportFormat::Yara => "yar",
            ExportFormat::Sigma => "yml",
            ExportFormat::CortexXql => "xql",
            _ => "json",
        }
    }

    /// The hash kinds this format can carry, the default first.
    pub fn supported_hashes(self) -> &'static [HashKind] {
        use HashKind::*;
        match self {
            ExportFormat::Sha256sum | ExportFormat::CortexXdrBlocklist => &[Sha256],
            ExportFormat::Sha1sum => &[Sha1],
            ExportFormat::Md5sum => &[Md5],
            ExportFormat::CortexXdrCsv
            | ExportFormat::CortexXdrJson
            | ExportFormat::CrowdstrikeJson => &[Sha256, Md5],
            ExportFormat::DefenderCsv => &[Sha256, Sha1],
            // Authenticode hashes, not selectable.
            ExportFormat::ApplockerXml | ExportFormat::WdacXml => &[Sha256],
            ExportFormat::Stix2 | ExportFormat::Openioc => &[Sha256, Sha1, Md5],
            ExportFormat::MispJson => &[Sha256, Sha1, Md5, Imphash],
            ExportFormat::Yara => &[Sha256, Sha1, Md5, Imphash],
            ExportFormat::Sigma => &[Sha256, Sha1, Md5],
            ExportFormat::CortexXql => &[Sha256, Md5],
        }
    }

    /// The hashes a scan must compute for this format with these options.
    pub fn hashes_needed(self, opts: &ExportOptions) -> HashSelection {
        let mut sel = HashSelection::SHA256;
        match self {
            ExportFormat::ApplockerXml | ExportFormat::WdacXml => sel.authenticode = true,
            // MISP file objects carry everything installsift knows.
            ExportFormat::MispJson => return HashSelection::EVERYTHING,
            _ => {}
        }
        for k in opts.hash_kinds(self) {
            match k {
                HashKind::Sha256 => {}
                HashKind::Sha1 => sel.sha1 = true,
                HashKind::Md5 => sel.md5 = true,
                HashKind::Imphash => sel.imphash = true,
            }
        }
        sel
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A hash kind a format can emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    /// SHA-256 of the content.
    Sha256,
    /// SHA-1 of the content.
    Sha1,
    /// MD5 of the content.
    Md5,
    /// imphash of a PE (YARA `pe.imphash()`, MISP `imphash`).
    Imphash,
}

impl HashKind {
    /// Parse `sha256`, `sha1`, `md5` or `imphash`.
    pub fn from_name(s: &str) -> Option<HashKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Some(HashKind::Sha256),
            "sha1" | "sha-1" => Some(HashKind::Sha1),
            "md5" => Some(HashKind::Md5),
            "imphash" => Some(HashKind::Imphash),
            _ => None,
        }
    }
    /// The lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            HashKind::Sha256 => "sha256",
            HashKind::Sha1 => "sha1",
            HashKind::Md5 => "md5",
            HashKind::Imphash => "imphash",
        }
    }
}

/// Which nodes to export by verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Only {
    /// Every node.
    #[default]
    All,
    /// Nodes whose verdict is `installer`.
    Installers,
    /// Nodes whose verdict is not `installer` (including `unknown`).
    NonInstallers,
}

/// Which levels of the node tree to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Depth {
    /// The input files only (what `sha256sum -c` can check).
    #[default]
    Top,
    /// Every nested layer too.
    All,
}

/// Severity, mapped onto each product's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    #[default]
    High,
    /// Critical (Defender has no such level: High there, with a warning).
    Critical,
}

/// What the product should do with a matching file, mapped onto each
/// product's actions (see the README's Export section for the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    /// Allow-list.
    Allow,
    /// Alert only.
    Audit,
    /// Warn the user (Defender); elsewhere the nearest alerting action.
    Warn,
    /// Block.
    #[default]
    Block,
    /// Block and remediate (Defender); elsewhere block.
    BlockAndRemediate,
}

/// Which rules the allow/deny policy formats (`applocker-xml`, `wdac-xml`)
/// write; other formats take only [`RuleKind::Hash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleKind {
    /// Hash rules (Authenticode hashes).
    #[default]
    Hash,
    /// Publisher rules from the Authenticode signer: AppLocker
    /// `FilePublisherRule`; WDAC file-publisher level (`Signer` with
    /// `CertRoot` TBS, `CertPublisher` and `FileAttribRef`), or publisher
    /// level when the file has no version resource.
    Publisher,
    /// WDAC PCA-certificate level: `Signer` with `CertRoot` TBS only (every
    /// file the issuing CA signed); AppLocker has no such level.
    Pca,
    /// Hash rules and publisher rules.
    Both,
}

impl RuleKind {
    /// Parse `hash`, `publisher`, `pca` or `both`.
    pub fn from_name(s: &str) -> Option<RuleKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hash" => Some(RuleKind::Hash),
            "publisher" => Some(RuleKind::Publisher),
            "pca" => Some(RuleKind::Pca),
            "both" => Some(RuleKind::Both),
            _ => None,
        }
    }
    /// Whether hash rules are written.
    pub fn hashes(self) -> bool {
        matches!(self, RuleKind::Hash | RuleKind::Both)
    }
    /// Whether signer (publisher or PCA) rules are written.
    pub fn signers(self) -> bool {
        !matches!(self, RuleKind::Hash)
    }
}

/// Filters and per-format options.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Filter by verdict.
    pub only: Only,
    /// Keep only nodes of these families (names as in the report's `family`
    /// field, e.g. `msi`, `zip-sfx`); empty keeps every node.
    pub families: Vec<String>,
    /// Input files only, or every layer.
    pub depth: Depth,
    /// Smallest node size exported, in bytes.
    pub min_size: u64,
    /// Hash kinds to emit, where the format offers a choice; empty means the
    /// format's default ([`ExportFormat::supported_hashes`], first entry).
    pub hashes: Vec<HashKind>,
    /// Severity of the indicators.
    pub severity: Severity,
    /// Action of the indicators.
    pub action: Action,
    /// When the indicators expire; `None` for never.
    pub expiration: Option<Timestamp>,
    /// Comment / description template: `{path}`, `{name}`, `{family}`,
    /// `{format}`, `{verdict}`, `{what}`, `{sha256}`, `{size}` are replaced.
    pub comment: String,
    /// Source reliability A–F (Cortex XDR).
    pub reliability: char,
    /// Creation time written into formats that carry one (STIX, MISP,
    /// OpenIOC, WDAC/AppLocker comments): fixed so output is reproducible.
    pub timestamp: Timestamp,
    /// Hash and/or publisher rules (AppLocker, WDAC).
    pub rule: RuleKind,
    /// Also export nested entries whose bytes carry an error (checksum
    /// mismatch, truncation, …): their hash may not be the hash of the file
    /// the installer writes. Off by default: such nodes are skipped with a
    /// warning. Empty files and imphashes of no imports are skipped always.
    pub include_unverified: bool,
    /// Write input paths as given (`{path}` in comments, YARA `meta`);
    /// off by default, an absolute input path or one with `..` is reduced
    /// to its base name so shared intelligence does not carry the analyst's
    /// local directories. Checksum lists (`sha256sum` …) always write the
    /// path as given, or `-c` could not find the file.
    pub full_paths: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            only: Only::All,
            families: Vec::new(),
            depth: Depth::Top,
            min_size: 0,
            hashes: Vec::new(),
            severity: Severity::High,
            action: Action::Block,
            expiration: None,
            comment: "installsift: {what} {path}".to_owned(),
            reliability: 'A',
            timestamp: Timestamp::from_unix(0),
            rule: RuleKind::Hash,
            include_unverified: false,
            full_paths: false,
        }
    }
}

impl ExportOptions {
    /// The hash kinds `format` will emit with these options.
    pub fn hash_kinds(&self, format: ExportFormat) -> Vec<HashKind> {
        let supported = format.supported_hashes();
        if self.hashes.is_empty() {
            return supported.iter().take(1).copied().collect();
        }
        let mut out: Vec<HashKind> = Vec::new();
        for k in &self.hashes {
            if supported.contains(k) && !out.contains(k) {
                out.push(*k);
            }
        }
        out
    }

    /// Check the options against a format: unsupported hash kinds, a bad
    /// reliability letter, an expiration before the timestamp.
    pub fn validate(&self, format: ExportFormat) -> Result<(), String> {
        let supported = format.supported_hashes();
        for k in &self.hashes {
            if !supported.contains(k) {
                let names: Vec<&str> = supported.iter().map(|k| k.name()).collect();
                return Err(format!(
                    "{format} cannot carry {} hashes (it takes: {}){}",
                    k.name(),
                    names.join(", "),
                    match (format, k) {
                        (ExportFormat::DefenderCsv, HashKind::Md5) =>
                            "; FileMd5 indicators exist only in the Defender API, not the CSV import",
                        (
                            ExportFormat::CortexXdrCsv
                            | ExportFormat::CortexXdrJson
                            | ExportFormat::CrowdstrikeJson,
                            HashKind::Sha1,
                        ) => "; the product does not accept SHA-1 indicators",
                        (ExportFormat::ApplockerXml | ExportFormat::WdacXml, _) =>
                            "; its rules use the Authenticode hash",
                        (ExportFormat::CortexXql, HashKind::Sha1) =>
                            "; xdr_data has only the SHA-256 and MD5 of process images",
                        (ExportFormat::Sigma | ExportFormat::CortexXql, HashKind::Imphash) =>
                            "; an installer's imphash is its engine stub's, shared by every \
                             installer of that engine build",
                        _ => "",
                    }
                ));
            }
        }
        if matches!(format, ExportFormat::Sigma | ExportFormat::CortexXql)
            && self.action == Action::Allow
        {
            return Err(format!(
                "{format} rules detect (or, as a BIOC, block) installer runs; they cannot \
                 allow-list (use an allow-list format such as applocker-xml)"
            ));
        }
        match (self.rule, format) {
            (RuleKind::Hash, _)
            | (RuleKind::Publisher | RuleKind::Both, ExportFormat::ApplockerXml)
            | (_, ExportFormat::WdacXml) => {}
            (RuleKind::Pca, ExportFormat::ApplockerXml) => {
                return Err(
                    "applocker-xml has no PCA-certificate rules (WDAC only); use \
                            --rule publisher"
                        .to_owned(),
                )
            }
            (_, f) => {
                return Err(format!(
                    "{f} writes hash indicators only; publisher rules exist for applocker-xml \
                     and wdac-xml"
                ))
            }
        }
        if !('A'..='F').contains(&self.reliability) {
            return Err(format!(
                "reliability must be a letter A to F, not `{}`",
                self.reliability
            ));
        }
        if let Some(e) = self.expiration {
            if e <= self.timestamp {
                return Err(format!(
                    "expiration {} is not after the export time {}",
                    e.rfc3339(),
                    self.timestamp.rfc3339()
                ));
            }
        }
        Ok(())
    }

    /// The comment template filled in for one item.
    pub(crate) fn comment_for(&self, it: &Item<'_>) -> String {
        let mut out = String::with_capacity(self.comment.len() + 64);
        let mut rest = self.comment.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(rest.get(..open).unwrap_or_default());
            let after = rest.get(open..).unwrap_or_default();
            let Some(close) = after.find('}') else {
                out.push_str(after);
                rest = "";
                break;
            };
            let key = after.get(1..close).unwrap_or_default();
            let value = match key {
                "path" => Some(it.shared_path.clone()),
                "name" => Some(it.name.to_owned()),
                "family" => Some(it.family().to_owned()),
                "format" => Some(it.node.format.as_str().to_owned()),
                "verdict" => Some(it.node.verdict.as_str().to_owned()),
                "what" => Some(it.what()),
                "sha256" => Some(it.sha256.to_string()),
                "size" => Some(it.node.size.to_string()),
                _ => None,
            };
            match value {
                Some(v) => out.push_str(&v),
                None => out.push_str(after.get(..=close).unwrap_or_default()),
            }
            rest = after.get(close + 1..).unwrap_or_default();
        }
        out.push_str(rest);
        out
    }
}

/// Something a format could not express, or a mapping it had to approximate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The node's path (` > ` between nesting levels), or empty for a
    /// warning about the export as a whole.
    pub path: String,
    /// What happened.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Counters of one export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Nodes written (one node may give several rows).
    pub written: u64,
    /// Nodes left out because their content was already written.
    pub duplicates: u64,
    /// Nodes left out by the filters.
    pub filtered: u64,
    /// Nodes the format could not express (each has a warning).
    pub skipped: u64,
    /// Output files written (more than 1 only for split formats).
    pub parts: u32,
}

impl ExportStats {
    /// The closing line of an export (without its newline), as the CLI
    /// prints it on standard error: `sha256sum: 3 written, 1 duplicates
    /// merged, 0 skipped with a warning, 2 filtered out`, with ` in N
    /// files` when the output was split and `, N inputs unreadable` when
    /// some inputs could not be read.
    pub fn summary(&self, format: ExportFormat, unreadable: u64) -> String {
        let parts = if self.parts > 1 {
            format!(" in {} files", self.parts)
        } else {
            String::new()
        };
        let mut line = format!(
            "{format}: {} written{parts}, {} duplicates merged, {} skipped with a warning, {} filtered out",
            self.written, self.duplicates, self.skipped, self.filtered
        );
        if unreadable > 0 {
            line.push_str(&format!(", {unreadable} inputs unreadable"));
        }
        line
    }
}

/// Warnings collected while writing, plus one-time notes.
pub(crate) struct Warnings {
    list: Vec<Warning>,
    once: HashSet<&'static str>,
}

impl Warnings {
    pub(crate) fn node(&mut self, it: &Item<'_>, message: impl Into<String>) {
        self.list.push(Warning {
            path: it.path.clone(),
            message: message.into(),
        });
    }
    /// A warning about the export as a whole, given once per `key`.
    pub(crate) fn once(&mut self, key: &'static str, message: impl Into<String>) {
        if self.once.insert(key) {
            self.list.push(Warning {
                path: String::new(),
                message: message.into(),
            });
        }
    }
}

/// Where output goes: one writer, or numbered parts for split formats.
pub(crate) struct Sink {
    cur: Box<dyn Write>,
    open: Option<PartOpener>,
    part: u32,
}

/// Opens output part `n` (2, 3, …) of a split format.
pub type PartOpener = Box<dyn FnMut(u32) -> io::Result<Box<dyn Write>>>;

impl Sink {
    /// Start the next part, if this sink can split; false otherwise.
    pub(crate) fn next_part(&mut self) -> io::Result<bool> {
        let Some(open) = &mut self.open else {
            return Ok(false);
        };
        self.cur.flush()?;
        self.part += 1;
        self.cur = open(self.part)?;
        Ok(true)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.cur.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.cur.flush()
    }
}

/// Said for an MSI whose signature has the extended form.
pub(crate) const MSI_EXTENDED_WARNING: &str =
    "signed with an extended MSI signature (MsiDigitalSignatureEx): the rule uses the plain \
     MSI Authenticode hash; whether Windows hashes the extended form for this file is not \
     verified";

/// A digest of one [`HashKind`]; `Display` writes its lowercase hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashValue {
    Sha256(Sha256),
    Sha1(Sha1),
    /// An MD5 (of the content, or an imphash).
    Md5(Md5),
}

impl std::fmt::Display for HashValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashValue::Sha256(d) => d.fmt(f),
            HashValue::Sha1(d) => d.fmt(f),
            HashValue::Md5(d) => d.fmt(f),
        }
    }
}

/// One node as the format writers see it.
pub(crate) struct Item<'a> {
    pub node: &'a NodeInfo,
    /// Path with ` > ` between nesting levels (as given: for local use).
    pub path: String,
    /// [`Item::path`] for shared intelligence: the input path reduced to its
    /// base name when absolute or climbing (`..`), unless
    /// [`ExportOptions::full_paths`].
    pub shared_path: String,
    /// The input path's own bytes, when known and not valid UTF-8 in
    /// [`Item::path`] (checksum lists write names byte for byte).
    pub input_bytes: Option<&'a [u8]>,
    /// Last component of the innermost name.
    pub name: &'a str,
    pub sha256: Sha256,
    pub pe: Option<&'a PeInfo>,
    /// Compound-file metadata (MSI, MSP, MSM, transforms).
    pub cfb: Option<&'a CfbInfo>,
}

impl<'a> Item<'a> {
    pub(crate) fn sha1(&self) -> Option<Sha1> {
        self.node.sha1
    }
    pub(crate) fn md5(&self) -> Option<Md5> {
        self.node.md5
    }
    /// The hash of this kind, when computed (and non-empty).
    pub(crate) fn hash(&self, k: HashKind) -> Option<HashValue> {
        match k {
            HashKind::Sha256 => Some(HashValue::Sha256(self.sha256)),
            HashKind::Sha1 => self.sha1().map(HashValue::Sha1),
            HashKind::Md5 => self.md5().map(HashValue::Md5),
            HashKind::Imphash => self.imphash().map(HashValue::Md5),
        }
    }
    pub(crate) fn authenticode(&self) -> Option<&'a AuthenticodeHashes> {
        self.pe?.authenticode.as_ref()
    }
    /// The MSI Authenticode digests of an installer database, when computed.
    pub(crate) fn msi_authenticode(&self) -> Option<&'a MsiAuthenticode> {
        self.cfb?.authenticode.as_ref()
    }
    /// The imphash, unless it is the hash of no imports (pefile's `""` or
    /// the MD5 of the empty string), which every import-less PE shares.
    pub(crate) fn imphash(&self) -> Option<Md5> {
        self.pe?.imphash.filter(|d| !util::is_empty_imphash(d))
    }
    /// The path as bytes: the input's own bytes when given, then the nested
    /// names.
    pub(crate) fn path_bytes(&self) -> Vec<u8> {
        let Some(raw) = self.input_bytes else {
            return self.path.clone().into_bytes();
        };
        let mut out = raw.to_vec();
        for p in self.node.path.iter().skip(1) {
            out.extend_from_slice(b" > ");
            out.extend_from_slice(p.as_bytes());
        }
        out
    }
    pub(crate) fn family(&self) -> &'static str {
        self.node.family.map_or("none", |f| f.as_str())
    }
    pub(crate) fn is_installer(&self) -> bool {
        self.node.verdict == Verdict::Installer
    }
    /// `msi installer`, `pe file`, …
    pub(crate) fn what(&self) -> String {
        match (self.node.verdict, self.node.family) {
            (Verdict::Installer, Some(f)) => format!("{} installer", f.as_str()),
            _ => format!("{} file", self.node.format),
        }
    }
    /// Lowercase extension of the name, if any.
    pub(crate) fn extension(&self) -> Option<String> {
        let (_, ext) = self.name.rsplit_once('.')?;
        Some(ext.to_ascii_lowercase())
    }
}

/// One format's writer.
pub(crate) trait FormatWriter {
    /// Before the first item (and at the start of every part).
    fn begin(&mut self, _out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        Ok(())
    }
    /// Write one item; false when the format cannot express it (a warning
    /// says why).
    fn item(
        &mut self,
        out: &mut Sink,
        it: &Item<'_>,
        opts: &ExportOptions,
        warn: &mut Warnings,
    ) -> io::Result<bool>;
    /// After the last item.
    fn end(&mut self, _out: &mut Sink, _opts: &ExportOptions) -> io::Result<()> {
        Ok(())
    }
}

fn writer_for(format: ExportFormat) -> Box<dyn FormatWriter> {
    match format {
        ExportFormat::Sha256sum => Box::new(sums::Sums(HashKind::Sha256)),
        ExportFormat::Sha1sum => Box::new(sums::Sums(HashKind::Sha1)),
        ExportFormat::Md5sum => Box::new(sums::Sums(HashKind::Md5)),
        ExportFormat::CortexXdrCsv => Box::new(cortex_xdr_csv::CortexXdrCsv),
        ExportFormat::CortexXdrJson => Box::new(cortex_xdr_json::CortexXdrJson::default()),
        ExportFormat::CortexXdrBlocklist => {
            Box::new(cortex_xdr_blocklist::CortexXdrBlocklist::default())
        }
        ExportFormat::DefenderCsv => Box::new(defender::DefenderCsv::default()),
        ExportFormat::CrowdstrikeJson => Box::new(crowdstrike::CrowdstrikeJson::default()),
        ExportFormat::ApplockerXml => Box::new(applocker::ApplockerXml::default()),
        ExportFormat::WdacXml => Box::new(wdac::WdacXml::default()),
        ExportFormat::Stix2 => Box::new(stix::Stix2::default()),
        ExportFormat::MispJson => Box::new(misp::MispJson::default()),
        ExportFormat::Openioc => Box::new(openioc::OpenIoc),
        ExportFormat::Yara => Box::new(yara::Yara::default()),
        ExportFormat::Sigma => Box::new(sigma::Sigma::default()),
        ExportFormat::CortexXql => Box::new(xql::Xql),
    }
}

/// Streams filtered, deduplicated nodes into one output format.
pub struct Exporter {
    format: ExportFormat,
    opts: ExportOptions,
    sink: Sink,
    writer: Box<dyn FormatWriter>,
    seen: HashSet<Sha256>,
    warnings: Warnings,
    stats: ExportStats,
    skips: util::Skips,
    /// Raw bytes of the input path being added, when not UTF-8.
    input: Option<Vec<u8>>,
}

impl Exporter {
    /// An exporter writing everything to `out`. Fails when the options do not
    /// fit the format ([`ExportOptions::validate`]) or the header cannot be
    /// written.
    pub fn new(format: ExportFormat, opts: ExportOptions, out: Box<dyn Write>) -> io::Result<Self> {
        Self::build(format, opts, out, None)
    }

    /// An exporter for a format that splits its output (`defender-csv`:
    /// 500 rows per file): part 1 goes to `first`, parts 2, 3, … to
    /// `open(n)` (name them with [`part_path`]). Other formats never call
    /// `open`.
    pub fn with_parts(
        format: ExportFormat,
        opts: ExportOptions,
        first: Box<dyn Write>,
        open: PartOpener,
    ) -> io::Result<Self> {
        Self::build(format, opts, first, Some(open))
    }

    fn build(
        format: ExportFormat,
        opts: ExportOptions,
        out: Box<dyn Write>,
        open: Option<PartOpener>,
    ) -> io::Result<Self> {
        opts.validate(format)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mut ex = Exporter {
            format,
            writer: writer_for(format),
            sink: Sink {
                cur: out,
                open,
                part: 1,
            },
            seen: HashSet::new(),
            warnings: Warnings {
                list: Vec::new(),
                once: HashSet::new(),
            },
            stats: ExportStats::default(),
            skips: util::Skips::default(),
            input: None,
            opts,
        };
        ex.writer.begin(&mut ex.sink, &ex.opts)?;
        Ok(ex)
    }

    /// An exporter writing to the file `first` (already created at
    /// `path`, buffered here); when the format splits its output, parts 2,
    /// 3, … are created beside it under [`part_path`] names.
    pub fn to_file(
        format: ExportFormat,
        opts: ExportOptions,
        first: std::fs::File,
        path: &std::path::Path,
    ) -> io::Result<Self> {
        let base = path.to_path_buf();
        Self::with_parts(
            format,
            opts,
            Box::new(io::BufWriter::new(first)),
            Box::new(move |n| {
                let f = std::fs::File::create(part_path(&base, n))?;
                Ok(Box::new(io::BufWriter::new(f)) as Box<dyn Write>)
            }),
        )
    }

    /// The format being written.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// Add every node of a scanned tree, parent before children.
    pub fn add_report(&mut self, root: &Node) -> io::Result<()> {
        let mut result = Ok(());
        root.walk(&mut |n| {
            if result.is_ok() {
                result = self.add_node(&n.info);
            }
        });
        result
    }

    /// [`Exporter::add_report`] for the report of the file at `input`: a
    /// name that is not valid UTF-8 (kept lossily in the report) is written
    /// byte for byte where a format can carry it (`sha256sum` …).
    pub fn add_report_from(&mut self, input: &std::path::Path, root: &Node) -> io::Result<()> {
        let raw = input.as_os_str().as_encoded_bytes();
        self.input = std::str::from_utf8(raw).is_err().then(|| raw.to_vec());
        let result = self.add_report(root);
        self.input = None;
        result
    }

    /// Add one node (filtered, deduplicated, then written).
    pub fn add_node(&mut self, node: &NodeInfo) -> io::Result<()> {
        let o = &self.opts;
        let keep = (o.depth == Depth::All || node.depth == 0)
            && match o.only {
                Only::All => true,
                Only::Installers => node.verdict == Verdict::Installer,
                Only::NonInstallers => node.verdict != Verdict::Installer,
            }
            && (o.families.is_empty()
                || node
                    .family
                    .is_some_and(|f| o.families.iter().any(|w| w == f.as_str())))
            && node.size >= o.min_size;
        if !keep {
            self.stats.filtered += 1;
            return Ok(());
        }
        let path = node.path.join(" > ");
        let Some(sha256) = node.sha256 else {
            self.stats.skipped += 1;
            let why = node
                .errors
                .first()
                .map_or_else(|| "no reason recorded".to_owned(), ToString::to_string);
            self.warnings.list.push(Warning {
                path,
                message: format!("content could not be read, so it has no hash ({why})"),
            });
            return Ok(());
        };
        // Empty content first (every empty file is one content); then
        // duplicates; an unverified node is not remembered as seen, so a
        // clean copy of the same bytes later is still written.
        let why = util::meaningless(node, sha256, o.include_unverified);
        if why != Some(util::Skip::EmptyFile) && self.seen.contains(&sha256) {
            self.stats.duplicates += 1;
            return Ok(());
        }
        if let Some(why) = why {
            self.stats.skipped += 1;
            self.skips.add(why, path);
            return Ok(());
        }
        self.seen.insert(sha256);
        let last = node.path.last().map_or("", String::as_str);
        let name = last.rsplit(['/', '\\']).next().unwrap_or(last);
        let pe = match (&node.metadata, node.format) {
            (Some(Metadata::Pe(info)), Format::Pe) => Some(info.as_ref()),
            _ => None,
        };
        if pe.is_some_and(|p| p.imphash.as_ref().is_none_or(util::is_empty_imphash))
            && (self.format == ExportFormat::MispJson
                || o.hash_kinds(self.format).contains(&HashKind::Imphash))
        {
            self.skips.add(util::Skip::NoImports, path.clone());
        }
        let shared_path = if o.full_paths {
            path.clone()
        } else {
            util::shared_path(&node.path)
        };
        let cfb = match &node.metadata {
            Some(Metadata::Cfb(info)) => Some(info.as_ref()),
            _ => None,
        };
        let item = Item {
            node,
            path,
            shared_path,
            input_bytes: self.input.as_deref().filter(|_| !node.path.is_empty()),
            name,
            sha256,
            pe,
            cfb,
        };
        if self
            .writer
            .item(&mut self.sink, &item, &self.opts, &mut self.warnings)?
        {
            self.stats.written += 1;
        } else {
            self.stats.skipped += 1;
        }
        Ok(())
    }

    /// Warnings produced since the last call.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings.list)
    }

    /// Write the trailer and flush. Warnings still pending are returned with
    /// the counters, followed by one summary per kind of meaningless
    /// indicator left out (how many, and the first paths).
    pub fn finish(mut self) -> io::Result<(ExportStats, Vec<Warning>)> {
        self.writer.end(&mut self.sink, &self.opts)?;
        self.sink.flush()?;
        self.stats.parts = self.sink.part;
        let mut list = self.warnings.list;
        list.extend(self.skips.summaries());
        Ok((self.stats, list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_names_parts_and_unreadable_inputs_only_when_present() {
        let mut stats = ExportStats {
            written: 3,
            duplicates: 1,
            skipped: 0,
            filtered: 2,
            parts: 1,
        };
        assert_eq!(
            stats.summary(ExportFormat::Sha256sum, 0),
            "sha256sum: 3 written, 1 duplicates merged, 0 skipped with a warning, 2 filtered out"
        );
        stats.parts = 2;
        assert_eq!(
            stats.summary(ExportFormat::DefenderCsv, 4),
            "defender-csv: 3 written in 2 files, 1 duplicates merged, 0 skipped with a warning, 2 filtered out, 4 inputs unreadable"
        );
    }

    #[test]
    fn to_file_writes_the_export_into_the_file() {
        let dir = std::env::temp_dir().join(format!("installsift-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("out.sha256");
        let file = std::fs::File::create(&path).expect("create");
        let report = installsift::Scanner::new().scan_bytes("a.bin", b"hello");
        let mut ex = Exporter::to_file(
            ExportFormat::Sha256sum,
            ExportOptions::default(),
            file,
            &path,
        )
        .expect("exporter");
        ex.add_report(&report.root).expect("add");
        let (stats, _) = ex.finish().expect("finish");
        let text = std::fs::read_to_string(&path).expect("read back");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(stats.written, 1);
        assert_eq!(
            text,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  a.bin\n"
        );
    }
}
