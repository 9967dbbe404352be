//! xar archives, the container of macOS flat installer packages (`.pkg`),
//! Safari extensions and other Apple archives: listed and extracted.
//!
//! Layout (Apple's xar, `include/xar.h.in` and `lib/archive.c`): a big-endian
//! header (`xar!`, header size u16 — 28 or more, honoured —, version u16,
//! TOC compressed length u64, TOC uncompressed length u64, checksum
//! algorithm u32: 0 none, 1 SHA-1, 2 MD5, 3 named by the TOC), then the table
//! of contents, a zlib-compressed XML document, then the heap. Every offset in
//! the TOC is relative to the heap, which starts right after the compressed
//! TOC. The TOC's own checksum (of the compressed TOC bytes) lies in the heap
//! at `<toc><checksum><offset>`.
//!
//! Each `<file>` names itself (`<name>`), its `<type>` (file, directory,
//! symlink, hardlink) and nests its directory's children; a file's `<data>`
//! gives `<offset>`, `<length>` (stored) and `<size>` (extracted), its
//! `<encoding style>` and its `<archived-checksum>` / `<extracted-checksum>`,
//! which are verified. `application/x-gzip` is, despite its name, a zlib
//! stream (xar's `lib/zxar.c` uses `inflate` with zlib headers); a real gzip
//! member (as the npm `xar` package writes) is accepted too.
//! `application/x-lzma` is the `.lzma` ("alone") format, `application/x-xz`
//! an xz stream, `application/x-bzip2` bzip2.
//!
//! Children are the files, named by their full path (`Distribution`,
//! `x.pkg/PackageInfo`, `x.pkg/Payload`); directories and links are counted in
//! the metadata. A flat package's `Distribution` (product archive) and
//! `PackageInfo` (component package) are read for a few installer facts.
//!
//! Bounds: the TOC decompresses to at most [`Limits::max_toc_size`] bytes,
//! directories nest at most [`Limits::max_toc_depth`] deep, entries (files,
//! directories, links) are at most [`Limits::max_entries_per_container`], and
//! entry data is decoded as the engine pulls it (the engine's limits apply).
//!
//! [`Limits::max_toc_size`]: installsift_model::Limits::max_toc_size
//! [`Limits::max_toc_depth`]: installsift_model::Limits::max_toc_depth
//! [`Limits::max_entries_per_container`]: installsift_model::Limits::max_entries_per_container

use super::container::{self, Container, Decoded, End, Notes, Opened, Options};
use super::xml::{tags, unescape, Tag};
use super::{Handler, Metadata, Parsed};
use crate::container::Inspect;
use installsift_model::error::{context, Error};
use installsift_model::hash::to_hex as hex;
use installsift_model::limits::Limits;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;

/// Smallest header (`xar.h`: `struct xar_header`).
const HEADER_MIN: usize = 28;
/// Packages and pkg-refs kept from a flat package's XML, and characters kept
/// of a value.
const MAX_PKG_ITEMS: usize = 64;
const MAX_TEXT: usize = 256;
/// Longest path reported (macOS `PATH_MAX`).
const MAX_PATH: usize = 1024;

/// xar facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct XarInfo {
    /// Header size (28, or more when the writer extends it).
    pub header_size: u16,
    /// Format version (1).
    pub version: u16,
    /// Compressed TOC length.
    pub toc_compressed: u64,
    /// Uncompressed TOC length, as the header states it.
    pub toc_uncompressed: u64,
    /// The header's checksum algorithm: `none`, `sha1`, `md5`, or the
    /// style the TOC names for algorithm 3 (`sha256`, `sha512`).
    pub checksum: String,
    /// The TOC checksum in the heap matches the compressed TOC (absent when
    /// there is none or its algorithm is not one installsift computes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toc_checksum_ok: Option<bool>,
    /// `<creation-time>` of the TOC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<String>,
    /// Signature styles in the TOC (`RSA`, `CMS` for `x-signature`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<String>,
    /// The TOC was inflated and read (false: only the header is known).
    pub toc_listed: bool,
    /// Regular files (with data) in the TOC.
    pub files: u64,
    /// Directories.
    pub directories: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Hard links without data of their own.
    pub hardlinks: u64,
    /// Data encodings and how many files use each.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub encodings: BTreeMap<String, u64>,
    /// Checksums (archived and extracted) that were verified and matched.
    pub checksums_verified: u64,
    /// Stored bytes hashed for archived checksums (bounded by the file size).
    #[serde(skip)]
    archived_hashed: u64,
    /// Flat installer package facts, when the archive is laid out as one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pkg: Option<PkgInfo>,
}

/// What a flat installer package states about itself.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PkgInfo {
    /// `product` (a `Distribution` at the top: a product archive, as
    /// `productbuild` writes) or `component` (a top-level `PackageInfo`, as
    /// `pkgbuild` writes).
    pub kind: &'static str,
    /// The Distribution's `<title>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The Distribution's `<product id version>`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub product: BTreeMap<String, String>,
    /// `<options hostArchitectures>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_architectures: Option<String>,
    /// The Distribution's `<pkg-ref>`s with an id (first of each id).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pkg_refs: Vec<PkgRef>,
    /// Each PackageInfo's `<pkg-info>` attributes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageFacts>,
    /// Paths of the component payloads (`Payload`) and scripts (`Scripts`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub payloads: Vec<String>,
    /// Paths of `Scripts` archives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<String>,
}

/// A `<pkg-ref>` of a Distribution.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PkgRef {
    /// Package identifier.
    pub id: String,
    /// Version, when stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The component it names (`#x.pkg`), when stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A component's `PackageInfo`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PackageFacts {
    /// Where the PackageInfo lies in the archive.
    pub path: String,
    /// `identifier`, `version`, `install-location`, `auth`, `format-version`,
    /// `postinstall-action` attributes, and `scripts` (the script file names
    /// of `<scripts>`, comma-separated).
    pub attributes: BTreeMap<String, String>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "xar",
    format: Format::Xar,
    sniff,
    open,
};

/// `xar!` then a header size of at least 28.
pub fn sniff(data: &[u8]) -> bool {
    // The magic with a plausible header size, or with version 1 (a xar
    // whose header-size field is damaged stays a xar; the parser says so).
    data.starts_with(b"xar!")
        && (be_u16(data, 4).is_some_and(|h| usize::from(h) >= HEADER_MIN)
            || be_u16(data, 6) == Some(1))
}

fn be_u16(d: &[u8], at: usize) -> Option<u16> {
    let b = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn be_u32(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be_u64(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_be_bytes(a))
}

/// Open a xar archive: the header and TOC are read (and checked) here; the
/// files are decoded as the engine pulls them.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = XarInfo::default();
    match read(data, opts.limits, notes, &mut info) {
        None => Opened::Leaf(Parsed {
            format: Format::Xar,
            metadata: Some(Metadata::Xar(Box::new(info))),
        }),
        Some((toc, paths, toc_end)) => Opened::Container(Box::new(Walk {
            data,
            toc_end,
            entries: toc.entries,
            paths,
            next: 0,
            info,
            max_doc: usize::try_from(opts.limits.max_document_size).unwrap_or(usize::MAX),
            max_entry: opts.limits.max_entry_size,
            pending: None,
            running: None,
        })),
    }
}

/// The files of a listed TOC, handed over one at a time.
struct Walk<'a> {
    data: &'a [u8],
    /// Where the heap starts.
    toc_end: usize,
    entries: Vec<Entry>,
    /// Each entry's full path.
    paths: Vec<String>,
    /// The next entry to look at.
    next: usize,
    info: XarInfo,
    max_doc: usize,
    max_entry: u64,
    /// The file being decoded: what checking it needs.
    pending: Option<Pending>,
    /// Its extracted checksum, fed as the engine reads it.
    running: Option<Running>,
}

/// What the check of a decoded file needs once the engine has read it.
struct Pending {
    what: String,
    path: String,
    /// The size the TOC declares.
    size: Option<u64>,
    /// The TOC's extracted checksum (style, hex).
    extracted: Option<(String, String)>,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<container::Entry<'_>> {
        while let Some((e, path)) = self.entries.get(self.next).zip(self.paths.get(self.next)) {
            self.next += 1;
            let is_file = e.kind == Kind::File || (e.kind == Kind::Hardlink && e.data.is_some());
            if is_file {
                let (data, heap_start) = (self.data, self.toc_end);
                return Some(extract(
                    e,
                    path,
                    data,
                    heap_start,
                    (self.max_entry, &mut self.info),
                    &mut self.pending,
                    &mut self.running,
                ));
            }
        }
        None
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        entry: &mut EntryInfo,
        notes: &mut Notes,
    ) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let got = self.running.take().map(Running::finish);
        let u = match read {
            Ok(u) => u,
            Err(e) => {
                *e = context(e.clone(), &p.what);
                return;
            }
        };
        let bad_size = p.size.filter(|&s| s != u.size);
        let bad_sum = p.extracted.as_ref().and_then(|s| {
            got.as_ref()
                .map(|g| (s, hex(g).eq_ignore_ascii_case(s.1.trim())))
        });
        match bad_sum {
            Some((_, true)) => {
                self.info.checksums_verified += 1;
                entry.add_verified(Check::XarExtractedChecksum);
            }
            // What the entry decodes to is kept and hashed, with the
            // error saying nothing vouches for it.
            Some((s, false)) => {
                entry.add_error(Error::checksum(format!(
                    "{}: extracted {} checksum mismatch: TOC says {}, data hashes to {}",
                    p.what,
                    s.0,
                    s.1.trim(),
                    got.as_ref().map(|g| hex(g)).unwrap_or_default()
                )));
            }
            None => {}
        }
        if let Some(s) = bad_size {
            notes.error(Error::malformed(format!(
                "{}: decodes to {} bytes, TOC says {s}",
                p.what, u.size
            )));
        }
        if let Some(bytes) = u.whole {
            pkg_document(&p.path, bytes, self.max_doc, &mut self.info);
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Xar,
            metadata: Some(Metadata::Xar(Box::new(self.info))),
        }
    }
}

/// Kind of a TOC entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    File,
    Directory,
    Symlink,
    Hardlink,
    Other,
}

/// A `<data>` element.
#[derive(Debug, Default, Clone)]
struct Data {
    offset: Option<u64>,
    length: Option<u64>,
    size: Option<u64>,
    encoding: Option<String>,
    archived: Option<(String, String)>,
    extracted: Option<(String, String)>,
}

/// One `<file>` of the TOC.
#[derive(Debug, Default)]
struct Entry {
    parent: Option<usize>,
    id: String,
    name: Option<String>,
    kind: Kind,
    data: Option<Data>,
}

/// What the TOC says besides its entries.
#[derive(Debug, Default)]
struct Toc {
    entries: Vec<Entry>,
    /// `(style, offset, size)` of the TOC checksum.
    checksum: Option<(String, u64, u64)>,
    creation_time: Option<String>,
    signatures: Vec<String>,
}

/// The header and the TOC, checked; `None` when no entry can be listed.
fn read(
    data: &[u8],
    limits: &Limits,
    notes: &mut Notes,
    info: &mut XarInfo,
) -> Option<(Toc, Vec<String>, usize)> {
    let (Some(h), Some(v), Some(c), Some(u), Some(alg)) = (
        be_u16(data, 4),
        be_u16(data, 6),
        be_u64(data, 8),
        be_u64(data, 16),
        be_u32(data, 24),
    ) else {
        notes.error(Error::truncated(format!(
            "xar header needs {HEADER_MIN} bytes, file has {}",
            data.len()
        )));
        return None;
    };
    info.header_size = h;
    info.version = v;
    info.toc_compressed = c;
    info.toc_uncompressed = u;
    info.checksum = match alg {
        0 => "none".into(),
        1 => "sha1".into(),
        2 => "md5".into(),
        3 => "other".into(),
        n => format!("unknown ({n})"),
    };
    notes.evidence(Evidence::strong(
        "xar-header",
        format!("xar v{v}, header {h} bytes, TOC {c} bytes compressed"),
        Some(0),
    ));
    let mut hs = usize::from(h);
    if hs < HEADER_MIN {
        // Every xar writer writes 28: read on from there.
        notes.error(Error::malformed(format!(
            "xar header size {h} (offset 4) is below {HEADER_MIN}; the TOC is read from offset {HEADER_MIN}"
        )).at(4));
        hs = HEADER_MIN;
    }
    let toc_end = usize::try_from(c)
        .ok()
        .and_then(|c| hs.checked_add(c))
        .filter(|&e| e <= data.len());
    let Some(toc_end) = toc_end else {
        notes.error(
            Error::truncated(format!(
                "xar TOC of {c} bytes at offset {h} runs past the end of the file ({} bytes)",
                data.len()
            ))
            .at(u64::from(h)),
        );
        return None;
    };
    let toc_bytes = data.get(hs..toc_end).unwrap_or(&[]);
    let max = limits.max_toc_size;
    if u > max {
        notes.error(Error::limit(
            installsift_model::limits::Limit::MaxTocSize,
            format!("xar TOC declares {u} bytes uncompressed, limit is {max}"),
        ));
        return None;
    }
    let mut xml = Vec::new();
    let read = flate2::read::ZlibDecoder::new(toc_bytes)
        .take(max.saturating_add(1))
        .read_to_end(&mut xml);
    if let Err(e) = read {
        notes.error(Error::malformed(format!(
            "xar TOC: zlib stream fails after {} bytes: {e}",
            xml.len()
        )));
        if xml.is_empty() {
            return None;
        }
    }
    if xml.len() as u64 > max {
        notes.error(Error::limit(
            installsift_model::limits::Limit::MaxTocSize,
            format!("xar TOC inflates past {max} bytes (header says {u})"),
        ));
        return None;
    }
    if xml.len() as u64 != u {
        notes.error(Error::malformed(format!(
            "xar TOC inflates to {} bytes, header says {u}",
            xml.len()
        )));
    }
    let text = String::from_utf8_lossy(&xml);
    let toc = read_toc(&text, limits, notes);
    info.toc_listed = true;
    info.creation_time = toc.creation_time.clone();
    info.signatures = toc.signatures.clone();
    let heap = data.get(toc_end..).unwrap_or(&[]);
    if alg == 3 {
        if let Some((style, _, _)) = &toc.checksum {
            info.checksum = style.clone();
        }
    }
    check_toc(toc_bytes, (heap, toc_end), alg, &toc, notes, info);
    let (paths, cut_paths) = resolve_paths(&toc.entries);
    if cut_paths > 0 {
        notes.error(Error::malformed(format!(
            "xar TOC: {cut_paths} paths longer than {MAX_PATH} bytes were cut"
        )));
    }
    info.pkg = pkg_layout(&toc.entries, &paths);
    if let Some(p) = &info.pkg {
        notes.evidence(Evidence::strong(
            "xar-pkg-layout",
            match p.kind {
                "product" => "flat package: `Distribution` at the top (product archive)".to_owned(),
                _ => "flat package: `PackageInfo` at the top (component package)".to_owned(),
            },
            None,
        ));
    }
    for e in &toc.entries {
        match (e.kind, &e.data) {
            (Kind::Directory, _) => info.directories += 1,
            (Kind::Symlink, _) => info.symlinks += 1,
            (Kind::Hardlink, None) => info.hardlinks += 1,
            (Kind::File, _) | (Kind::Hardlink, Some(_)) => info.files += 1,
            (Kind::Other, _) => {}
        }
    }
    Some((toc, paths, toc_end))
}

/// Verify the TOC checksum stored in the heap, when its algorithm is one we
/// compute.
/// `heap` is the heap and where it starts in the file.
fn check_toc(
    toc: &[u8],
    (heap, heap_start): (&[u8], usize),
    alg: u32,
    t: &Toc,
    notes: &mut Notes,
    info: &mut XarInfo,
) {
    let Some((style, off, size)) = &t.checksum else {
        if alg != 0 {
            notes.error(Error::malformed(
                "xar header names a TOC checksum, the TOC has no <checksum>",
            ));
        }
        return;
    };
    let Some(stored) = slice(heap, *off, *size) else {
        notes.error(
            Error::truncated(format!(
            "xar TOC checksum at heap offset {off} ({size} bytes) runs past the heap ({} bytes)",
            heap.len()
        ))
            .at_opt((heap_start as u64).checked_add(*off)),
        );
        return;
    };
    let Some(actual) = digest(style, toc) else {
        return;
    };
    let ok = actual.as_slice() == stored;
    info.toc_checksum_ok = Some(ok);
    if !ok {
        notes.error(Error::checksum(format!(
            "xar TOC {style} checksum (heap offset {off}) mismatch: heap holds {}, TOC hashes to {}",
            hex(stored),
            hex(&actual)
        )).at_opt((heap_start as u64).checked_add(*off)));
    }
}

fn slice(heap: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    heap.get(start..end)
}

/// The digest of `data` with the named algorithm, if installsift computes it.
fn digest(style: &str, data: &[u8]) -> Option<Vec<u8>> {
    use sha1::Digest as _;
    Some(match style.to_ascii_lowercase().as_str() {
        "sha1" => sha1::Sha1::digest(data).to_vec(),
        "md5" => md5::Md5::digest(data).to_vec(),
        "sha256" => sha2::Sha256::digest(data).to_vec(),
        "sha512" => sha2::Sha512::digest(data).to_vec(),
        _ => return None,
    })
}

/// A digest of one of the TOC's checksum styles, fed as bytes stream.
enum Running {
    Sha1(sha1::Sha1),
    Md5(md5::Md5),
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Running {
    fn new(style: &str) -> Option<Self> {
        use sha1::Digest as _;
        Some(match style.to_ascii_lowercase().as_str() {
            "sha1" => Running::Sha1(sha1::Sha1::new()),
            "md5" => Running::Md5(md5::Md5::new()),
            "sha256" => Running::Sha256(sha2::Sha256::new()),
            "sha512" => Running::Sha512(sha2::Sha512::new()),
            _ => return None,
        })
    }

    fn update(&mut self, b: &[u8]) {
        use sha1::Digest as _;
        match self {
            Running::Sha1(h) => h.update(b),
            Running::Md5(h) => h.update(b),
            Running::Sha256(h) => h.update(b),
            Running::Sha512(h) => h.update(b),
        }
    }

    fn finish(self) -> Vec<u8> {
        use sha1::Digest as _;
        match self {
            Running::Sha1(h) => h.finalize().to_vec(),
            Running::Md5(h) => h.finalize().to_vec(),
            Running::Sha256(h) => h.finalize().to_vec(),
            Running::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// Compare a TOC checksum (hex text) with the digest of `bytes`: `Some(true)`
/// on a match, `None` when the style is not computed.
fn verify(sum: &(String, String), bytes: &[u8]) -> Option<bool> {
    let d = digest(&sum.0, bytes)?;
    Some(hex(&d).eq_ignore_ascii_case(sum.1.trim()))
}

/// The decoder of an encoding style over the stored bytes.
fn decoder<'a>(
    style: &str,
    stored: &'a [u8],
    size: u64,
    max_entry: u64,
) -> Result<Box<dyn Read + 'a>, Error> {
    // A dictionary larger than the entry cannot be referred to; the memory
    // limit keeps a hostile header from asking liblzma for gigabytes.
    let mem = size.clamp(64 << 20, max_entry.max(64 << 20)) + (1 << 20);
    Ok(match style {
        "application/octet-stream" => Box::new(stored),
        "application/x-gzip" if stored.starts_with(&[0x1f, 0x8b]) => {
            Box::new(flate2::read::MultiGzDecoder::new(stored))
        }
        "application/x-gzip" => Box::new(flate2::read::ZlibDecoder::new(stored)),
        "application/x-bzip2" => Box::new(bzip2::read::BzDecoder::new(stored)),
        "application/x-lzma" => {
            let s = liblzma::stream::Stream::new_lzma_decoder(mem)
                .map_err(|e| Error::unsupported(format!("lzma decoder: {e}")))?;
            Box::new(liblzma::read::XzDecoder::new_stream(stored, s))
        }
        "application/x-xz" => {
            let s = liblzma::stream::Stream::new_stream_decoder(mem, 0)
                .map_err(|e| Error::unsupported(format!("xz decoder: {e}")))?;
            Box::new(liblzma::read::XzDecoder::new_stream(stored, s))
        }
        other => {
            return Err(Error::unsupported(format!(
                "encoding `{other}` is not decoded"
            )))
        }
    })
}

/// Short name of an encoding for the entry's `method`.
fn method(style: &str) -> String {
    match style {
        "application/octet-stream" => "stored".into(),
        "application/x-gzip" => "zlib".into(),
        "application/x-bzip2" => "bzip2".into(),
        "application/x-lzma" => "lzma".into(),
        "application/x-xz" => "xz".into(),
        other => other.chars().take(64).collect(),
    }
}

/// The entry for one file: empty, missing (with why), or its stored bytes
/// behind the decoder of its encoding, with the extracted checksum fed as
/// the engine reads it (`pending` and `running` say what to check then).
fn extract<'a, 's>(
    e: &Entry,
    path: &str,
    data: &'a [u8],
    heap_start: usize,
    (max_entry, info): (u64, &mut XarInfo),
    pending: &mut Option<Pending>,
    running: &'s mut Option<Running>,
) -> container::Entry<'s>
where
    'a: 's,
{
    let what = format!("xar entry `{path}`");
    let mut entry = EntryInfo::new(EntryKind::File);
    let item = |info, data| container::Entry {
        name: path.to_owned(),
        info,
        data,
    };
    let Some(d) = &e.data else {
        // A file without <data> is empty.
        return item(entry, container::Data::Slice(&[]));
    };
    let style = d
        .encoding
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    *info.encodings.entry(method(&style)).or_insert(0) += 1;
    entry.method = Some(method(&style));
    entry.compressed_size = d.length;
    let size = d.size.or(d.length).unwrap_or(0);
    let missing = |entry, error| item(entry, container::Data::Missing { size, error });
    let (Some(off), Some(len)) = (d.offset, d.length) else {
        let error = Error::malformed(format!("{what}: <data> lacks <offset> or <length>"));
        return missing(entry, error);
    };
    entry.offset = (heap_start as u64).checked_add(off);
    let heap = data.get(heap_start..).unwrap_or(&[]);
    let Some(stored) = slice(heap, off, len) else {
        let error = Error::truncated(format!(
            "{what}: data at heap offset {off} ({len} bytes) runs past the heap ({} bytes)",
            heap.len()
        ))
        .at_opt(entry.offset);
        return missing(entry, error);
    };
    // Stored bytes hashed for archived checksums: at most the file's size in
    // all, so entries that share one large region cannot multiply the work.
    let archived = d.archived.as_ref().filter(|_| {
        let within = info.archived_hashed.saturating_add(len) <= data.len() as u64;
        if within {
            info.archived_hashed += len;
        }
        within
    });
    if let Some(sum) = archived {
        match verify(sum, stored) {
            Some(true) => {
                info.checksums_verified += 1;
                entry = entry.verified(Check::XarArchivedChecksum);
            }
            // The stored bytes are not what the writer stored: said on the
            // entry, which is decoded anyway and keeps what it decodes to.
            Some(false) => {
                let at = entry.offset;
                entry = entry.with_error(
                    Error::checksum(format!(
                    "{what}: archived {} checksum of the stored bytes (heap offset {off}) mismatch",
                    sum.0
                ))
                    .at_opt(at),
                );
            }
            None => {}
        }
    }
    let reader = match decoder(&style, stored, size, max_entry) {
        Ok(r) => r,
        Err(err) => return missing(entry, context(err, &what)),
    };
    // The extracted checksum is computed as the bytes stream (an entry may
    // be too big to keep whole).
    *running = d.extracted.as_ref().and_then(|s| Running::new(&s.0));
    *pending = Some(Pending {
        what,
        path: path.to_owned(),
        size: d.size,
        extracted: d.extracted.clone(),
    });
    let see = |b: &[u8]| {
        if let Some(h) = running.as_mut() {
            h.update(b);
        }
    };
    item(
        entry,
        container::Data::Decode {
            reader: Box::new(Inspect { inner: reader, see }),
            declared: d.size,
            stored: Some(len),
        },
    )
}

/// The text content that follows a start tag, up to the next tag.
fn text_after(text: &str, t: &Tag<'_>) -> String {
    let rest = text.get(t.after..).unwrap_or("");
    let end = rest.find('<').unwrap_or(rest.len());
    let raw = rest.get(..end).unwrap_or("");
    unescape(raw.trim())
}

fn number(s: &str) -> Option<u64> {
    s.trim().parse().ok()
}

/// Walk the TOC's tags. Bounded by the entry limit and the nesting limit;
/// what was read before a limit is kept.
fn read_toc(text: &str, limits: &Limits, notes: &mut Notes) -> Toc {
    let max_depth = usize::try_from(limits.max_toc_depth).unwrap_or(usize::MAX);
    let max_entries = limits.max_entries_per_container;
    // Element stack (local names) and the stack of open <file>s.
    let elem_cap = max_depth.saturating_mul(2).saturating_add(32);
    let mut elems: Vec<&str> = Vec::new();
    let mut files: Vec<usize> = Vec::new();
    let mut toc = Toc::default();
    for t in tags(text) {
        let name: &str = t.name.rsplit(':').next().unwrap_or(t.name);
        if t.end {
            // Pop to the matching element (tolerates unclosed ones).
            if let Some(i) = elems.iter().rposition(|e| *e == name) {
                for closed in elems.drain(i..).rev() {
                    if closed == "file" {
                        files.pop();
                    }
                }
            }
            continue;
        }
        let parent = elems.last().copied().unwrap_or("");
        let in_data = parent == "data";
        match name {
            "file" => {
                if files.len() >= max_depth {
                    notes.error(Error::limit(
                        installsift_model::limits::Limit::MaxTocDepth,
                        format!("xar TOC nests directories deeper than {max_depth}"),
                    ));
                    break;
                }
                if toc.entries.len() as u64 >= max_entries {
                    notes.error(Error::limit(
                        installsift_model::limits::Limit::MaxEntriesPerContainer,
                        format!("xar TOC lists more than {max_entries} entries"),
                    ));
                    break;
                }
                if !t.empty {
                    toc.entries.push(Entry {
                        parent: files.last().copied(),
                        id: t.attr("id").unwrap_or("").chars().take(32).collect(),
                        ..Entry::default()
                    });
                    files.push(toc.entries.len() - 1);
                }
            }
            "name" | "type" | "data" if parent == "file" => {
                let Some(e) = files.last().and_then(|&i| toc.entries.get_mut(i)) else {
                    continue;
                };
                match name {
                    "name" => e.name = Some(text_after(text, &t)),
                    "type" => {
                        e.kind = match text_after(text, &t).as_str() {
                            "file" => Kind::File,
                            "directory" => Kind::Directory,
                            "symlink" => Kind::Symlink,
                            "hardlink" => Kind::Hardlink,
                            _ => Kind::Other,
                        }
                    }
                    _ => e.data = Some(Data::default()),
                }
            }
            "offset" | "length" | "size" | "encoding" | "archived-checksum"
            | "extracted-checksum"
                if in_data =>
            {
                let Some(d) = files
                    .last()
                    .and_then(|&i| toc.entries.get_mut(i))
                    .and_then(|e| e.data.as_mut())
                else {
                    continue;
                };
                let style = || t.attr("style").unwrap_or("").chars().take(64).collect();
                match name {
                    "offset" => d.offset = number(&text_after(text, &t)),
                    "length" => d.length = number(&text_after(text, &t)),
                    "size" => d.size = number(&text_after(text, &t)),
                    "encoding" => d.encoding = Some(style()),
                    "archived-checksum" => d.archived = Some((style(), text_after(text, &t))),
                    _ => d.extracted = Some((style(), text_after(text, &t))),
                }
            }
            "checksum" if parent == "toc" => {
                let style = t.attr("style").unwrap_or("").chars().take(32).collect();
                toc.checksum = Some((style, u64::MAX, 0));
            }
            "offset" | "size" if parent == "checksum" && files.is_empty() => {
                if let Some((_, off, size)) = toc.checksum.as_mut() {
                    let v = number(&text_after(text, &t)).unwrap_or(u64::MAX);
                    if name == "offset" {
                        *off = v;
                    } else {
                        *size = v;
                    }
                }
            }
            "creation-time" if parent == "toc" => {
                toc.creation_time = Some(text_after(text, &t).chars().take(64).collect());
            }
            "signature" | "x-signature" if parent == "toc" && toc.signatures.len() < 4 => {
                let s = t.attr("style").unwrap_or("?").chars().take(32).collect();
                toc.signatures.push(s);
            }
            _ => {}
        }
        if !t.empty {
            if elems.len() >= elem_cap {
                notes.error(Error::limit(
                    installsift_model::limits::Limit::MaxTocDepth,
                    format!("xar TOC nests elements deeper than {elem_cap}"),
                ));
                break;
            }
            elems.push(name);
        }
    }
    toc
}

/// Full paths (`dir/sub/name`) of every entry. Parents always precede their
/// children (an entry's parent was open when it started), so one pass in
/// order suffices.
/// A path longer than [`MAX_PATH`] bytes is cut there (the count of cut
/// paths is returned), so deep trees of long names cannot multiply memory.
fn resolve_paths(entries: &[Entry]) -> (Vec<String>, u64) {
    let mut paths: Vec<String> = Vec::new();
    let mut cut_paths = 0u64;
    for e in entries {
        let own = match &e.name {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("[file {}]", e.id),
        };
        let mut p = match e.parent.and_then(|i| paths.get(i)) {
            Some(parent) => format!("{parent}/{own}"),
            None => own,
        };
        if p.len() > MAX_PATH {
            let mut end = MAX_PATH;
            while !p.is_char_boundary(end) {
                end -= 1;
            }
            p.truncate(end);
            cut_paths += 1;
        }
        paths.push(p);
    }
    (paths, cut_paths)
}

/// A flat package: `Distribution` or `PackageInfo` at the top level.
fn pkg_layout(entries: &[Entry], paths: &[String]) -> Option<PkgInfo> {
    let top = |n: &str| {
        entries
            .iter()
            .any(|e| e.parent.is_none() && e.kind == Kind::File && e.name.as_deref() == Some(n))
    };
    let kind = if top("Distribution") {
        "product"
    } else if top("PackageInfo") {
        "component"
    } else {
        return None;
    };
    let mut p = PkgInfo {
        kind,
        ..PkgInfo::default()
    };
    for (e, path) in entries.iter().zip(paths) {
        if e.kind != Kind::File {
            continue;
        }
        let list = match e.name.as_deref() {
            Some("Payload") => &mut p.payloads,
            Some("Scripts") => &mut p.scripts,
            _ => continue,
        };
        if list.len() < MAX_PKG_ITEMS {
            list.push(path.clone());
        }
    }
    Some(p)
}

/// Read a flat package's Distribution or PackageInfo (its first `max_doc`
/// bytes: [`Limits::max_document_size`](installsift_model::Limits::max_document_size)).
fn pkg_document(path: &str, bytes: &[u8], max_doc: usize, info: &mut XarInfo) {
    let Some(p) = info.pkg.as_mut() else { return };
    let is_info = path == "PackageInfo" || path.ends_with("/PackageInfo");
    if path != "Distribution" && !is_info {
        return;
    }
    let text = String::from_utf8_lossy(bytes.get(..max_doc.min(bytes.len())).unwrap_or(bytes));
    if is_info {
        if p.packages.len() >= MAX_PKG_ITEMS {
            return;
        }
        let mut facts = PackageFacts {
            path: path.to_owned(),
            attributes: BTreeMap::new(),
        };
        let mut scripts: Vec<String> = Vec::new();
        for t in tags(&text).filter(|t| !t.end) {
            match t.local() {
                "pkg-info" if facts.attributes.is_empty() => {
                    for k in [
                        "identifier",
                        "version",
                        "install-location",
                        "auth",
                        "format-version",
                        "postinstall-action",
                    ] {
                        if let Some(v) = t.attr(k) {
                            facts.attributes.insert(k.into(), cut(v));
                        }
                    }
                }
                "preinstall" | "postinstall" if scripts.len() < 8 => {
                    if let Some(f) = t.attr("file") {
                        scripts.push(format!("{}={}", t.local(), cut(f)));
                    }
                }
                _ => {}
            }
        }
        if !scripts.is_empty() {
            facts.attributes.insert("scripts".into(), scripts.join(","));
        }
        p.packages.push(facts);
        return;
    }
    for t in tags(&text).filter(|t| !t.end) {
        match t.local() {
            "title" if p.title.is_none() => p.title = Some(cut(&text_after(&text, &t))),
            "product" if p.product.is_empty() => {
                for k in ["id", "version"] {
                    if let Some(v) = t.attr(k) {
                        p.product.insert(k.into(), cut(v));
                    }
                }
            }
            "options" if p.host_architectures.is_none() => {
                p.host_architectures = t.attr("hostArchitectures").map(cut);
            }
            "pkg-ref" => {
                let Some(id) = t.attr("id") else { continue };
                let target = Some(text_after(&text, &t)).filter(|s| !s.is_empty() && !t.empty);
                if let Some(r) = p.pkg_refs.iter_mut().find(|r| r.id == id) {
                    if r.version.is_none() {
                        r.version = t.attr("version").map(cut);
                    }
                    if r.path.is_none() {
                        r.path = target.map(|s| cut(&s));
                    }
                } else if p.pkg_refs.len() < MAX_PKG_ITEMS {
                    p.pkg_refs.push(PkgRef {
                        id: cut(id),
                        version: t.attr("version").map(cut),
                        path: target.map(|s| cut(&s)),
                    });
                }
            }
            _ => {}
        }
    }
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_TEXT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_needs_magic_and_header_size() {
        assert!(sniff(b"xar!\x00\x1c\x00\x01"));
        assert!(!sniff(b"xar!\x00\x1b\x00\x02"));
        // A damaged header size with version 1: still a xar.
        assert!(sniff(b"xar!\x00\x1b\x00\x01"));
        assert!(!sniff(b"xar"));
    }
}
