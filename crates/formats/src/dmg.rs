//! Apple UDIF disk images (`.dmg`): the `koly` trailer, the property list's
//! `blkx` partition tables, and each partition decoded as a child.
//!
//! Layout (big-endian; Apple's `hdiutil` writes it, 7-Zip's `DmgHandler.cpp`
//! and libdmg-hfsplus read it):
//!
//! - the last 512 bytes are the `koly` trailer: version (4), header size
//!   (512), flags, running data fork offset, data fork offset and length at
//!   0x18/0x20, resource fork offset and length, segment number, count and
//!   id, the data fork checksum (type u32 at 0x50, size in bits, 128 bytes),
//!   the XML property list's offset and length at 0xD8/0xE0, the master
//!   checksum at 0x160 (a CRC-32 over the partitions' checksums), the image
//!   variant and the sector count at 0x1EC;
//! - the property list (`<plist><dict>` … `resource-fork` → `blkx`, an
//!   array of dicts with `Name`, `CFName`, `ID` and `Data`): each `Data` is a
//!   base64 `mish` block table: a 204-byte header (first sector, sector
//!   count, data offset, checksum at 0x40) and 40-byte chunk records (type,
//!   comment, first sector and sector count relative to the partition,
//!   compressed offset and length in the data fork);
//! - chunk types: 0 and 2 zero fill, 1 raw, 0x80000004 ADC, 0x80000005 zlib,
//!   0x80000006 bzip2, 0x80000007 LZFSE, 0x80000008 xz (7-Zip's name;
//!   decoded), 0x7FFFFFFE comment, 0xFFFFFFFF the end.
//!
//! Each partition becomes a decoded child named by its `Name` (else
//! `CFName`, else `partition <ID>`), decoded chunk by chunk as the engine
//! pulls it (the engine's entry-size, ratio and budget limits apply; zero
//! fill counts as stored bytes for the ratio: a zero run is a declared
//! extent of the image, not compressed data, and `max_entry_size` bounds it).
//! ADC and LZFSE chunks are decoded whole, each within
//! [`Limits::max_buffered_entry`]; zlib, bzip2, xz and raw chunks stream.
//! The data fork's CRC-32 (trailer) is checked against the stored bytes, the
//! master checksum against the partitions' checksums, and each partition's
//! CRC-32 against its decoded bytes (`udif-crc32`).
//!
//! Bounds: the property list is read up to [`Limits::max_toc_size`] bytes
//! with the crate's own tag scanner (no DTD, no entities beyond the
//! predefined ones); partitions are at most
//! [`Limits::max_entries_per_container`]; chunk tables are as long as their
//! base64 data, never longer than its header says.
//!
//! [`Limits::max_buffered_entry`]: installsift_model::Limits::max_buffered_entry
//! [`Limits::max_toc_size`]: installsift_model::Limits::max_toc_size
//! [`Limits::max_entries_per_container`]: installsift_model::Limits::max_entries_per_container

use super::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use super::xml::{tags, unescape};
use super::{Handler, Metadata, Parsed};
use installsift_model::error::{context, AtOffset, Error};
use installsift_model::limits::Limit;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Read};

/// UDIF facts from the trailer and the partition tables (big-endian).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DmgInfo {
    /// Trailer version (4 in current images).
    pub udif_version: u32,
    /// Offset of the property-list (XML) that maps the partitions.
    pub xml_offset: u64,
    /// Its length.
    pub xml_length: u64,
    /// Offset of the data fork (the chunks).
    pub data_fork_offset: u64,
    /// Its length.
    pub data_fork_length: u64,
    /// Sectors (512 bytes) of the whole image, as the trailer states.
    pub sector_count: u64,
    /// The data fork's CRC-32 matches the trailer (absent: no CRC-32 there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_fork_crc32_ok: Option<bool>,
    /// The master CRC-32 (over the partitions' CRC-32s) matches (absent: no
    /// CRC-32 there, or a partition without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_crc32_ok: Option<bool>,
    /// The partitions (`blkx` entries), in table order.
    pub partitions: Vec<PartitionInfo>,
    /// Chunk types and how many chunks use each (all partitions).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub chunk_types: BTreeMap<String, u64>,
}

/// One `blkx` entry.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PartitionInfo {
    /// `Name` (or `CFName`).
    pub name: String,
    /// `ID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// First sector of the partition in the image.
    pub first_sector: u64,
    /// Its sectors.
    pub sectors: u64,
    /// Chunk records (comments and the terminator excluded).
    pub chunks: u64,
    /// The file system its bytes start with (`hfs+`, `hfsx`, `apfs`), once
    /// the engine scanned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_system: Option<String>,
}

/// Dispatch entry: an image with its `koly` trailer.
pub(crate) const HANDLER: Handler = Handler {
    name: "dmg",
    format: Format::Dmg,
    sniff: has_koly,
    open,
};

/// Dispatch entry for an image cut before or inside its trailer
/// ([`bare_plist`]): sniffed after every other format, so that a container
/// whose last member happens to be a UDIF property list stays what it is.
pub(crate) const CUT_HANDLER: Handler = Handler {
    name: "dmg",
    format: Format::Dmg,
    sniff: |d| !has_koly(d) && bare_plist(d).is_some(),
    open,
};

const TRAILER: usize = 512;
/// `mish` header size and chunk record size.
const MISH_HEAD: usize = 0xCC;
const CHUNK: usize = 40;
const SECTOR: u64 = 512;
/// CRC-32 checksum type (with 32 bits).
const CRC32_TYPE: u32 = 2;

fn trailer(data: &[u8]) -> Option<&[u8]> {
    data.get(data.len().checked_sub(TRAILER)?..)
}

/// `koly` with header size 512 at the start of the last 512 bytes.
fn has_koly(data: &[u8]) -> bool {
    trailer(data).is_some_and(|t| t.starts_with(b"koly") && be_u32(t, 8) == Some(512))
}

/// A UDIF image: its `koly` trailer, or (cut before the trailer) the file
/// ending with its XML property list ([`bare_plist`]).
pub fn sniff(data: &[u8]) -> bool {
    has_koly(data) || bare_plist(data).is_some()
}

/// How far from the end a property list left without its trailer is
/// looked for (hdiutil's are a few KiB to some hundred KiB).
const BARE_PLIST_WINDOW: usize = 1 << 20;

/// An image cut before its `koly` trailer (the last thing UDIF writes), or
/// inside it, or inside its property list, still ends with that XML
/// property list, whole or in part: the file's last bytes (before a trailer
/// of fewer than 512 bytes, and trailing whitespace or NULs) belong to a
/// document begun (`<?xml`) within [`BARE_PLIST_WINDOW`] of the end that
/// holds the `resource-fork` `blkx` table and either closes with
/// `</plist>` at the very end or, cut, holds no NUL byte and no
/// `</plist>` at all. Its offset, its length, and whether it is whole.
fn bare_plist(data: &[u8]) -> Option<(usize, usize, bool)> {
    // A trailer cut short: what comes before its magic.
    let tail_from = data.len().saturating_sub(TRAILER - 1);
    let data = match memchr::memmem::rfind(data.get(tail_from..)?, b"koly") {
        Some(k) => data.get(..tail_from + k)?,
        None => data,
    };
    // Everything is looked for in the last BARE_PLIST_WINDOW bytes: a
    // sniff costs that much at most, whatever the file.
    let from = data.len().saturating_sub(BARE_PLIST_WINDOW);
    let end = from
        + data
            .get(from..)?
            .iter()
            .rposition(|&b| !matches!(b, 0 | b' ' | b'\t' | b'\r' | b'\n'))?
        + 1;
    let body = data.get(..end)?;
    // A property list is text: binary data (every node no other format
    // sniffed comes here) is turned away by its last bytes, before the
    // search of the window.
    let tail = body.get(end.saturating_sub(64)..)?;
    if tail
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n'))
    {
        return None;
    }
    let window = body.get(from..)?;
    // The list holds a `blkx` key after its `<?xml`: a forward search
    // (vectorised, unlike the reverse one) turns text without one away
    // first, so a text node costs one fast pass, not a reverse search.
    memchr::memmem::find(window, b"<key>blkx</key>")?;
    let start = from + memchr::memmem::rfind(window, b"<?xml")?;
    let xml = body.get(start..)?;
    let has = |needle: &[u8]| memchr::memmem::find(xml, needle).is_some();
    if !(has(b"<key>resource-fork</key>") && has(b"<key>blkx</key>")) {
        return None;
    }
    let whole = xml.ends_with(b"</plist>");
    (whole || !(has(b"</plist>") || has(b"\0"))).then_some((start, end - start, whole))
}

fn be_u32(d: &[u8], at: usize) -> Option<u32> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be_u64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(be_u32(d, at)?) << 32 | u64::from(be_u32(d, at.checked_add(4)?)?))
}

/// A checksum as UDIF stores it: type, bits, value (CRC-32 only).
fn crc32_of(d: &[u8], at: usize) -> Option<u32> {
    (be_u32(d, at)? == CRC32_TYPE && be_u32(d, at + 4)? == 32)
        .then(|| be_u32(d, at + 8))
        .flatten()
}

/// The region `off..off+len` of `data`, if it lies inside.
fn region(data: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let s = usize::try_from(off).ok()?;
    let e = s.checked_add(usize::try_from(len).ok()?)?;
    data.get(s..e)
}

/// How a chunk's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Zero,
    /// Type 2: free space; zeros, left out of the partition's CRC-32.
    Ignore,
    Raw,
    Adc,
    Zlib,
    Bzip2,
    Lzfse,
    Xz,
    Other(u32),
}

impl Method {
    fn of(t: u32) -> Option<Method> {
        Some(match t {
            0 => Method::Zero,
            2 => Method::Ignore,
            1 => Method::Raw,
            0x8000_0004 => Method::Adc,
            0x8000_0005 => Method::Zlib,
            0x8000_0006 => Method::Bzip2,
            0x8000_0007 => Method::Lzfse,
            0x8000_0008 => Method::Xz,
            // Comments and the terminator carry no data.
            0x7FFF_FFFE | 0xFFFF_FFFF => return None,
            t => Method::Other(t),
        })
    }

    fn name(self) -> String {
        match self {
            Method::Zero => "zero".into(),
            Method::Ignore => "ignore".into(),
            Method::Raw => "raw".into(),
            Method::Adc => "adc".into(),
            Method::Zlib => "zlib".into(),
            Method::Bzip2 => "bzip2".into(),
            Method::Lzfse => "lzfse".into(),
            Method::Xz => "xz".into(),
            Method::Other(t) => format!("0x{t:08x}"),
        }
    }
}

/// One chunk record.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    method: Method,
    /// Decoded bytes.
    size: u64,
    /// Stored bytes, absolute in the file.
    at: u64,
    len: u64,
}

/// One partition, planned.
struct Partition {
    name: String,
    first: u64,
    id: Option<String>,
    chunks: Vec<Chunk>,
    size: u64,
    stored: u64,
    crc: Option<u32>,
    /// A problem found in its table: the partition is reported missing.
    error: Option<Error>,
}

/// Read the trailer, the property list and the partition tables.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    if !has_koly(data) {
        if let Some((xml_at, xml_len, whole)) = bare_plist(data) {
            return open_without_trailer(data, xml_at, xml_len, whole, opts, notes);
        }
    }
    let t = trailer(data).unwrap_or_default();
    let at = data.len().saturating_sub(TRAILER) as u64;
    notes.evidence(Evidence::strong(
        "udif-koly-trailer",
        "UDIF `koly` trailer in the last 512 bytes",
        Some(at),
    ));
    let mut info = DmgInfo {
        udif_version: be_u32(t, 4).unwrap_or(0),
        xml_offset: be_u64(t, 0xD8).unwrap_or(0),
        xml_length: be_u64(t, 0xE0).unwrap_or(0),
        data_fork_offset: be_u64(t, 0x18).unwrap_or(0),
        data_fork_length: be_u64(t, 0x20).unwrap_or(0),
        sector_count: be_u64(t, 0x1EC).unwrap_or(0),
        ..DmgInfo::default()
    };
    if let Some(want) = crc32_of(t, 0x50) {
        match region(data, info.data_fork_offset, info.data_fork_length) {
            Some(fork) => {
                let got = crc32fast::hash(fork);
                info.data_fork_crc32_ok = Some(got == want);
                if got == want {
                    notes.verified(Check::UdifCrc32);
                } else {
                    notes.error(
                        Error::checksum(format!(
                            "UDIF data fork CRC-32 mismatch: trailer says {want:08x}, \
                             the {} bytes at {} give {got:08x}",
                            info.data_fork_length, info.data_fork_offset
                        ))
                        .at(info.data_fork_offset),
                    );
                }
            }
            None => notes.error(
                Error::truncated(format!(
                    "UDIF data fork at {} of {} bytes lies outside the {}-byte file",
                    info.data_fork_offset,
                    info.data_fork_length,
                    data.len()
                ))
                .at(at + 0x18),
            ),
        }
    }
    let partitions = plist(data, &info, opts, notes).unwrap_or_default();
    let parts = partitions
        .into_iter()
        .map(|(name, id, mish)| partition(&info, name, id, &mish, notes))
        .collect::<Vec<_>>();
    if let Some(want) = crc32_of(t, 0x160) {
        if parts.iter().all(|p| p.crc.is_some()) && !parts.is_empty() {
            let mut h = crc32fast::Hasher::new();
            for p in &parts {
                h.update(&p.crc.unwrap_or(0).to_be_bytes());
            }
            let got = h.finalize();
            info.master_crc32_ok = Some(got == want);
            if got != want {
                notes.error(
                    Error::checksum(format!(
                        "UDIF master CRC-32 mismatch: trailer says {want:08x}, \
                         the partitions' CRC-32s give {got:08x}"
                    ))
                    .at(at + 0x160),
                );
            }
        }
    }
    let sectors = count_chunks(&mut info, &parts);
    if !parts.is_empty() && sectors != info.sector_count {
        notes.error(
            Error::malformed(format!(
                "UDIF partitions hold {sectors} sectors, the trailer says {}",
                info.sector_count
            ))
            .at(at + 0x1EC),
        );
    }
    walk(data, info, parts, opts)
}

/// An image whose `koly` trailer is missing (the file ends with its
/// property list, [`bare_plist`]): kept as a `dmg` with a `truncated`
/// error saying what could not be checked, its partitions read from the
/// property list and their chunks from a data fork taken to start at
/// offset 0 (where hdiutil writes it; the trailer that would say so is
/// gone). Each chunk and partition is still checked as usual.
fn open_without_trailer<'a>(
    data: &'a [u8],
    xml_at: usize,
    xml_len: usize,
    whole: bool,
    opts: &Options<'_>,
    notes: &mut Notes,
) -> Opened<'a> {
    notes.evidence(Evidence::strong(
        "udif-property-list",
        "UDIF property list with a `resource-fork` `blkx` table at the end of the file",
        Some(xml_at as u64),
    ));
    let cut = if whole {
        format!("the file ends after the property list (at {xml_at}, {xml_len} bytes) where the 512-byte trailer belongs")
    } else {
        format!("the file ends inside the property list (at {xml_at}, {xml_len} bytes read): only the partitions it describes before the cut are listed")
    };
    notes.error(
        Error::truncated(format!(
            "no UDIF `koly` trailer: {cut}; partitions read from the property list with the data \
             fork taken to start at offset 0; the data fork and master CRC-32s (in the trailer) not checked"
        ))
        .at(data.len() as u64),
    );
    let mut info = DmgInfo {
        xml_offset: xml_at as u64,
        xml_length: xml_len as u64,
        data_fork_offset: 0,
        data_fork_length: xml_at as u64,
        ..DmgInfo::default()
    };
    let partitions = plist(data, &info, opts, notes).unwrap_or_default();
    let parts = partitions
        .into_iter()
        .map(|(name, id, mish)| partition(&info, name, id, &mish, notes))
        .collect::<Vec<_>>();
    info.sector_count = count_chunks(&mut info, &parts);
    walk(data, info, parts, opts)
}

/// Count the partitions' chunks by type into `info`; their sectors in all.
fn count_chunks(info: &mut DmgInfo, parts: &[Partition]) -> u64 {
    let mut sectors = 0u64;
    for p in parts {
        for c in &p.chunks {
            *info.chunk_types.entry(c.method.name()).or_default() += 1;
        }
        sectors = sectors.saturating_add(p.size / SECTOR);
    }
    sectors
}

/// The container over the partitions read.
fn walk<'a>(
    data: &'a [u8],
    info: DmgInfo,
    parts: Vec<Partition>,
    opts: &Options<'_>,
) -> Opened<'a> {
    Opened::Container(Box::new(Walk {
        data,
        info,
        parts,
        next: 0,
        pending: None,
        crc: crc32fast::Hasher::new(),
        max_chunk: opts.limits.max_buffered_entry,
    }))
}

/// A `blkx` dict's `Name`, `CFName`, `ID` and `Data` as read.
type Fields = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The `blkx` entries of the property list: (name, id, decoded `Data`).
type Blkx = (String, Option<String>, Vec<u8>);

fn plist(data: &[u8], info: &DmgInfo, opts: &Options<'_>, notes: &mut Notes) -> Option<Vec<Blkx>> {
    let at = data.len().saturating_sub(TRAILER) as u64;
    if info.xml_length == 0 {
        notes.error(
            Error::unsupported(
                "UDIF image without an XML property list (a resource-fork-only image, \
                 before Mac OS X 10.2): partitions not listed",
            )
            .at(at + 0xE0),
        );
        return None;
    }
    if info.xml_length > opts.limits.max_toc_size {
        notes.error(Error::limit(
            Limit::MaxTocSize,
            format!(
                "UDIF property list of {} bytes, more than {}",
                info.xml_length, opts.limits.max_toc_size
            ),
        ));
        return None;
    }
    let Some(xml) = region(data, info.xml_offset, info.xml_length) else {
        notes.error(
            Error::truncated(format!(
                "UDIF property list at {} of {} bytes lies outside the {}-byte file",
                info.xml_offset,
                info.xml_length,
                data.len()
            ))
            .at(at + 0xD8),
        );
        return None;
    };
    let text = String::from_utf8_lossy(xml);
    let max_parts = usize::try_from(opts.limits.max_entries_per_container).unwrap_or(usize::MAX);
    let mut out: Vec<Blkx> = Vec::new();
    // A small state machine over the tags: `<key>blkx</key><array>`, then
    // each `<dict>` directly inside it is a partition.
    let mut last_key = String::new();
    let mut in_blkx = false;
    let mut depth = 0usize; // nesting inside the blkx array
    let mut cur: Option<Fields> = None;
    let text_of = |after: usize| -> String {
        let rest = text.get(after..).unwrap_or("");
        let end = rest.find('<').unwrap_or(rest.len());
        unescape(rest.get(..end).unwrap_or(""))
    };
    let raw_of = |after: usize| -> &str {
        let rest = text.get(after..).unwrap_or("");
        let end = rest.find('<').unwrap_or(rest.len());
        rest.get(..end).unwrap_or("")
    };
    let mut found = false;
    for tag in tags(&text) {
        let name = tag.local();
        if !in_blkx {
            if name == "key" && !tag.end && !tag.empty {
                last_key = text_of(tag.after);
            } else if name == "array" && !tag.end && !tag.empty && last_key == "blkx" {
                in_blkx = true;
                found = true;
                depth = 0;
            } else if !tag.end {
                last_key.clear();
            }
            continue;
        }
        match (name, tag.end) {
            ("array", true) if depth == 0 => {
                in_blkx = false;
                last_key.clear();
            }
            ("dict", false) if !tag.empty => {
                depth += 1;
                if depth == 1 {
                    cur = Some((None, None, None, None));
                }
            }
            ("dict", true) => {
                if depth == 1 {
                    if let Some((n, cf, id, d)) = cur.take() {
                        if out.len() >= max_parts {
                            notes.error(Error::limit(
                                Limit::MaxEntriesPerContainer,
                                format!("UDIF blkx table lists more than {max_parts} partitions"),
                            ));
                            return Some(out);
                        }
                        let name = n
                            .filter(|s| !s.trim().is_empty())
                            .or(cf.filter(|s| !s.trim().is_empty()))
                            .unwrap_or_else(|| {
                                format!("partition {}", id.as_deref().unwrap_or("?"))
                            });
                        match d.as_deref().map(base64) {
                            Some(Some(bytes)) => out.push((name, id, bytes)),
                            Some(None) => notes.error(
                                Error::malformed(format!(
                                    "UDIF partition `{name}`: its Data is not base64"
                                ))
                                .at(info.xml_offset),
                            ),
                            None => notes.error(
                                Error::malformed(format!(
                                    "UDIF partition `{name}` has no Data (block table)"
                                ))
                                .at(info.xml_offset),
                            ),
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
            ("key", false) if depth == 1 && !tag.empty => last_key = text_of(tag.after),
            ("string", false) | ("data", false) if depth == 1 && !tag.empty => {
                if let Some(c) = cur.as_mut() {
                    match last_key.as_str() {
                        "Name" => c.0 = Some(text_of(tag.after)),
                        "CFName" => c.1 = Some(text_of(tag.after)),
                        "ID" => c.2 = Some(text_of(tag.after)),
                        "Data" => c.3 = Some(raw_of(tag.after).to_owned()),
                        _ => {}
                    }
                }
                last_key.clear();
            }
            _ => {}
        }
    }
    if !found {
        notes.error(
            Error::malformed("UDIF property list has no `resource-fork` `blkx` array")
                .at(info.xml_offset),
        );
        return None;
    }
    Some(out)
}

/// Standard base64 with whitespace between groups; `None` on any other
/// character.
fn base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Read one `mish` table into a plan.
fn partition(
    info: &DmgInfo,
    name: String,
    id: Option<String>,
    m: &[u8],
    notes: &mut Notes,
) -> Partition {
    let mut p = Partition {
        name,
        first: 0,
        id,
        chunks: Vec::new(),
        size: 0,
        stored: 0,
        crc: None,
        error: None,
    };
    let bad = |p: &mut Partition, msg: String| {
        p.error = Some(Error::malformed(format!(
            "UDIF partition `{}`: {msg}",
            p.name
        )));
    };
    if m.get(..4) != Some(b"mish") || m.len() < MISH_HEAD {
        bad(
            &mut p,
            format!("block table of {} bytes is no `mish` table", m.len()),
        );
        return p;
    }
    let (Some(first), Some(sectors), Some(data_off), Some(n)) = (
        be_u64(m, 8),
        be_u64(m, 0x10),
        be_u64(m, 0x18),
        be_u32(m, 0xC8),
    ) else {
        bad(&mut p, "short `mish` header".into());
        return p;
    };
    p.crc = crc32_of(m, 0x40);
    p.first = first;
    let room = (m.len() - MISH_HEAD) / CHUNK;
    if usize::try_from(n).map_or(true, |n| n > room) {
        bad(
            &mut p,
            format!(
                "`mish` table says {n} chunks, its {} bytes hold {room}",
                m.len()
            ),
        );
        return p;
    }
    let base = info.data_fork_offset.checked_add(data_off);
    let mut pos = 0u64;
    for i in 0..n as usize {
        let r = MISH_HEAD + i * CHUNK;
        let (Some(t), Some(s), Some(c), Some(off), Some(len)) = (
            be_u32(m, r),
            be_u64(m, r + 8),
            be_u64(m, r + 16),
            be_u64(m, r + 24),
            be_u64(m, r + 32),
        ) else {
            break;
        };
        if t == 0xFFFF_FFFF {
            break;
        }
        let Some(method) = Method::of(t) else {
            continue;
        };
        let size = c.checked_mul(SECTOR);
        let start = s.checked_mul(SECTOR);
        let (Some(size), Some(start)) = (size, start) else {
            bad(
                &mut p,
                format!("chunk {i}: sector numbers {s}+{c} overflow"),
            );
            return p;
        };
        if size == 0 {
            continue;
        }
        if start != pos {
            bad(
                &mut p,
                format!(
                    "chunk {i} starts at sector {s}, the chunks before it end at sector {}",
                    pos / SECTOR
                ),
            );
            return p;
        }
        if let Method::Other(t) = method {
            p.error = Some(Error::unsupported(format!(
                "UDIF partition `{}`: chunk {i} has type 0x{t:08x}, not one installsift decodes",
                p.name
            )));
            return p;
        }
        let Some(at) = base.and_then(|b| b.checked_add(off)) else {
            bad(&mut p, format!("chunk {i}: offset {off} overflows"));
            return p;
        };
        let stored = match method {
            Method::Zero | Method::Ignore => size,
            _ => len,
        };
        p.stored = p.stored.saturating_add(stored);
        pos = start.saturating_add(size);
        p.chunks.push(Chunk {
            method,
            size,
            at,
            len,
        });
    }
    p.size = pos;
    if pos / SECTOR != sectors {
        notes.error(Error::malformed(format!(
            "UDIF partition `{}`: its chunks hold {} sectors, its table says {sectors}",
            p.name,
            pos / SECTOR
        )));
    }
    p
}

/// The partitions as the engine pulls them.
struct Walk<'a> {
    data: &'a [u8],
    info: DmgInfo,
    parts: Vec<Partition>,
    next: usize,
    /// The partition being read: its expected CRC-32 and size.
    pending: Option<(String, Option<u32>, u64)>,
    crc: crc32fast::Hasher,
    max_chunk: u64,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        let i = self.next;
        let p = self.parts.get_mut(i)?;
        self.next += 1;
        self.info.partitions.push(PartitionInfo {
            name: p.name.clone(),
            id: p.id.clone(),
            first_sector: p.first,
            sectors: p.size / SECTOR,
            chunks: p.chunks.len() as u64,
            file_system: None,
        });
        let mut info = EntryInfo::new(EntryKind::Stream);
        info.compressed_size = Some(p.stored);
        info.key = p.id.clone().map(|id| format!("blkx {id}"));
        let mut methods: Vec<String> = Vec::new();
        for c in &p.chunks {
            if !matches!(c.method, Method::Zero | Method::Ignore)
                && !methods.contains(&c.method.name())
            {
                methods.push(c.method.name());
            }
        }
        info.method = (!methods.is_empty()).then(|| methods.join("+"));
        let name = p.name.clone();
        if let Some(e) = p.error.take() {
            return Some(Entry {
                name,
                info,
                data: Data::Missing {
                    size: p.size,
                    error: e,
                },
            });
        }
        // ADC and LZFSE chunks are decoded whole: one larger than the
        // buffer bound makes the partition missing, said before reading.
        if let Some(c) = p
            .chunks
            .iter()
            .find(|c| matches!(c.method, Method::Adc | Method::Lzfse) && c.size > self.max_chunk)
        {
            let error = Error::limit(
                Limit::MaxBufferedEntry,
                format!(
                    "UDIF partition `{name}`: {} chunk at {} decodes to {} bytes, decoded whole only up to {}",
                    c.method.name(),
                    c.at,
                    c.size,
                    self.max_chunk
                ),
            )
            .at(c.at);
            return Some(Entry {
                name,
                info,
                data: Data::Missing {
                    size: p.size,
                    error,
                },
            });
        }
        self.crc = crc32fast::Hasher::new();
        self.pending = Some((name.clone(), p.crc, p.size));
        let chunks = std::mem::take(&mut p.chunks);
        let (declared, stored) = (p.size, p.stored);
        Some(Entry {
            name,
            info,
            data: Data::Decode {
                reader: Box::new(PartReader {
                    data: self.data,
                    chunks,
                    next: 0,
                    cur: Source::None,
                    crc: &mut self.crc,
                    hashing: true,
                    max_chunk: self.max_chunk,
                }),
                declared: Some(declared),
                stored: Some(stored),
            },
        })
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        let Some((name, want, size)) = self.pending.take() else {
            return;
        };
        let got = std::mem::replace(&mut self.crc, crc32fast::Hasher::new()).finalize();
        let u = match read {
            Ok(u) => u,
            Err(e) => {
                *e = context(e.clone(), &format!("UDIF partition `{name}`"));
                return;
            }
        };
        if u.size != size {
            return;
        }
        match want {
            Some(w) if w == got => info.add_verified(Check::UdifCrc32),
            Some(w) => info.add_error(Error::checksum(format!(
                "UDIF partition `{name}`: CRC-32 mismatch: table says {w:08x}, \
                 the decoded bytes give {got:08x}"
            ))),
            None => {}
        }
    }

    fn entry_scanned(&mut self, format: Format, metadata: Option<&Metadata>) {
        if let (Some(p), Some(Metadata::Hfs(h))) = (self.info.partitions.last_mut(), metadata) {
            p.file_system = Some(h.signature.clone());
        } else if let Some(p) = self.info.partitions.last_mut() {
            match format {
                Format::Hfs => p.file_system = Some("hfs".into()),
                Format::Apfs => p.file_system = Some("apfs".into()),
                _ => {}
            }
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Dmg,
            metadata: Some(Metadata::Dmg(Box::new(self.info))),
        }
    }
}

/// The current chunk's decoder.
enum Source<'a> {
    None,
    Zero(u64),
    Slice(&'a [u8]),
    Zlib(io::Take<flate2::read::ZlibDecoder<&'a [u8]>>, u64),
    Bzip2(io::Take<bzip2::read::BzDecoder<&'a [u8]>>, u64),
    Xz(io::Take<liblzma::read::XzDecoder<&'a [u8]>>, u64),
    Owned(Vec<u8>, usize),
}

/// A partition's bytes, chunk by chunk.
struct PartReader<'a, 'c> {
    data: &'a [u8],
    chunks: Vec<Chunk>,
    next: usize,
    cur: Source<'a>,
    crc: &'c mut crc32fast::Hasher,
    /// Whether the current chunk counts in the CRC-32 (not type 2).
    hashing: bool,
    max_chunk: u64,
}

fn at_err(kind: io::ErrorKind, offset: u64, message: String) -> io::Error {
    io::Error::new(kind, AtOffset { offset, message })
}

impl<'a> PartReader<'a, '_> {
    /// Set up the next chunk's decoder; `false` at the end.
    fn start(&mut self) -> io::Result<bool> {
        let Some(c) = self.chunks.get(self.next).copied() else {
            return Ok(false);
        };
        self.next += 1;
        if matches!(c.method, Method::Zero | Method::Ignore) {
            self.cur = Source::Zero(c.size);
            self.hashing = c.method == Method::Zero;
            return Ok(true);
        }
        self.hashing = true;
        let what = format!("{} chunk at {} of {} bytes", c.method.name(), c.at, c.len);
        let Some(src) = region(self.data, c.at, c.len) else {
            return Err(at_err(
                io::ErrorKind::UnexpectedEof,
                c.at,
                format!("{what} lies outside the {}-byte file", self.data.len()),
            ));
        };
        self.cur = match c.method {
            Method::Raw => {
                if c.len < c.size {
                    return Err(at_err(
                        io::ErrorKind::InvalidData,
                        c.at,
                        format!("{what}: raw chunk shorter than its {} bytes", c.size),
                    ));
                }
                let n = usize::try_from(c.size).unwrap_or(usize::MAX);
                Source::Slice(src.get(..n).unwrap_or(src))
            }
            Method::Zlib => Source::Zlib(flate2::read::ZlibDecoder::new(src).take(c.size), c.size),
            Method::Bzip2 => Source::Bzip2(bzip2::read::BzDecoder::new(src).take(c.size), c.size),
            Method::Xz => Source::Xz(liblzma::read::XzDecoder::new(src).take(c.size), c.size),
            Method::Adc | Method::Lzfse => {
                if c.size > self.max_chunk {
                    return Err(io::Error::other(
                        Error::limit(
                            Limit::MaxBufferedEntry,
                            format!(
                                "{what} declares {} bytes, decoded whole only up to {}",
                                c.size, self.max_chunk
                            ),
                        )
                        .at(c.at),
                    ));
                }
                let cap = usize::try_from(c.size).unwrap_or(usize::MAX);
                let out = if c.method == Method::Adc {
                    adc(src, cap)
                } else {
                    crate::decmpfs::lzfse(src, cap)
                };
                match out {
                    Ok(v) if v.len() as u64 == c.size => Source::Owned(v, 0),
                    Ok(v) => {
                        return Err(at_err(
                            io::ErrorKind::UnexpectedEof,
                            c.at,
                            format!("{what} decodes to {} bytes, declares {}", v.len(), c.size),
                        ))
                    }
                    Err(m) => {
                        return Err(at_err(
                            io::ErrorKind::InvalidData,
                            c.at,
                            format!("{what}: {m}"),
                        ))
                    }
                }
            }
            Method::Zero | Method::Ignore => Source::Zero(c.size),
            Method::Other(t) => {
                return Err(io::Error::other(
                    Error::unsupported(format!(
                        "{what}: chunk type 0x{t:08x} is not one installsift decodes"
                    ))
                    .at(c.at),
                ))
            }
        };
        Ok(true)
    }
}

impl Read for PartReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = match &mut self.cur {
                Source::None => 0,
                Source::Zero(left) => {
                    let n = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    buf.get_mut(..n).unwrap_or_default().fill(0);
                    *left -= n as u64;
                    n
                }
                Source::Slice(s) => {
                    let n = buf.len().min(s.len());
                    buf.get_mut(..n)
                        .unwrap_or_default()
                        .copy_from_slice(s.get(..n).unwrap_or_default());
                    *s = s.get(n..).unwrap_or_default();
                    n
                }
                Source::Owned(v, pos) => {
                    let rest = v.get(*pos..).unwrap_or_default();
                    let n = buf.len().min(rest.len());
                    buf.get_mut(..n)
                        .unwrap_or_default()
                        .copy_from_slice(rest.get(..n).unwrap_or_default());
                    *pos += n;
                    n
                }
                Source::Zlib(r, left) => stream_step(r, left, buf)?,
                Source::Bzip2(r, left) => stream_step(r, left, buf)?,
                Source::Xz(r, left) => stream_step(r, left, buf)?,
            };
            if n > 0 {
                if self.hashing {
                    self.crc.update(buf.get(..n).unwrap_or_default());
                }
                return Ok(n);
            }
            if buf.is_empty() || !self.start()? {
                return Ok(0);
            }
        }
    }
}

/// Read a streaming chunk decoder; its end before the chunk's declared size
/// is truncation.
fn stream_step(r: &mut dyn Read, left: &mut u64, buf: &mut [u8]) -> io::Result<usize> {
    if *left == 0 {
        return Ok(0);
    }
    let n = r.read(buf)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("chunk ends {} bytes before its declared size", *left),
        ));
    }
    *left = left.saturating_sub(n as u64);
    Ok(n)
}

/// Apple Data Compression: a byte `b` with the top bit set starts a literal
/// run of `(b & 0x7f) + 1` bytes; `b & 0x40`: a copy of `(b & 0x3f) + 4`
/// bytes from distance `u16be + 1`; else a copy of `((b >> 2) & 0xf) + 3`
/// bytes from distance `((b & 3) << 8 | next) + 1`. Output stops at `cap`.
pub(crate) fn adc(src: &[u8], cap: usize) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0usize;
    while out.len() < cap {
        let Some(&b) = src.get(i) else {
            break;
        };
        if b & 0x80 != 0 {
            let n = usize::from(b & 0x7F) + 1;
            let lit = src
                .get(i + 1..i + 1 + n)
                .ok_or_else(|| format!("ADC literal of {n} bytes at {i} runs past the chunk"))?;
            let take = n.min(cap - out.len());
            out.extend_from_slice(lit.get(..take).unwrap_or_default());
            i += 1 + n;
            continue;
        }
        let (len, dist, step) = if b & 0x40 != 0 {
            let d = src
                .get(i + 1..i + 3)
                .ok_or_else(|| format!("ADC copy at {i} runs past the chunk"))?;
            (
                usize::from(b & 0x3F) + 4,
                usize::from(u16::from_be_bytes([d[0], d[1]])) + 1,
                3,
            )
        } else {
            let d = *src
                .get(i + 1)
                .ok_or_else(|| format!("ADC copy at {i} runs past the chunk"))?;
            (
                usize::from((b >> 2) & 0x0F) + 3,
                (usize::from(b & 3) << 8 | usize::from(d)) + 1,
                2,
            )
        };
        if dist > out.len() {
            return Err(format!(
                "ADC copy at {i} reaches {dist} bytes back, only {} decoded",
                out.len()
            ));
        }
        for _ in 0..len.min(cap - out.len()) {
            let v = out.get(out.len() - dist).copied().unwrap_or(0);
            out.push(v);
        }
        i += step;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use installsift_model::Limits;

    #[test]
    fn adc_literals_and_copies() {
        // "abc" literal, then a 2-byte copy of 3 from distance 3, then a
        // 3-byte copy of 4 from distance 6.
        let src = [0x82, b'a', b'b', b'c', 0x00, 0x02, 0x40, 0x00, 0x05];
        assert_eq!(adc(&src, 100).unwrap(), b"abcabcabca");
        assert_eq!(adc(&src, 5).unwrap(), b"abcab");
        assert!(adc(&[0x00, 0x00], 10).is_err());
        assert!(adc(&[0x85, b'a'], 10).is_err());
    }

    #[test]
    fn base64_decodes_plist_data() {
        assert_eq!(base64("bWlz\n\taA==").unwrap(), b"mish");
        assert!(base64("m*sh").is_none());
    }

    fn corpus(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../corpus/dmg/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    /// Every corpus image cut just before its `koly` trailer is still a
    /// `dmg`: a `truncated` error at the cut says what was not checked, and
    /// the partitions (read from the property list, the data fork from
    /// offset 0) are the same entries with the same bytes. Cut inside the
    /// property list, or a property list without a `blkx` table, is no
    /// image.
    #[test]
    fn an_image_cut_before_its_trailer_keeps_its_partitions() {
        let names = |l: &crate::container::Listing| -> Vec<(String, String)> {
            l.entries
                .iter()
                .map(|(n, _, listed)| (n.clone(), format!("{listed:?}")))
                .collect()
        };
        for f in [
            "hello-zlib.dmg",
            "hello-bzip2.dmg",
            "hello-lzfse.dmg",
            "hdiutil-hfs.dmg",
            "hdiutil-xattrs.dmg",
            "decmpfs-zlib.dmg",
        ] {
            let data = corpus(f);
            let whole = list(open, &data, &Limits::default(), 100);
            let cut = data.get(..data.len() - TRAILER).unwrap();
            assert!(sniff(cut), "{f}");
            let l = list(open, cut, &Limits::default(), 100);
            assert_eq!(l.parsed.format, Format::Dmg, "{f}");
            assert!(!whole.entries.is_empty(), "{f}");
            assert_eq!(names(&l), names(&whole), "{f}");
            let e = l
                .notes
                .errors
                .iter()
                .find(|e| e.message().contains("no UDIF `koly` trailer"))
                .unwrap_or_else(|| panic!("{f}: {:?}", l.notes.errors));
            assert_eq!(e.kind(), "truncated");
            assert_eq!(e.offset(), Some(cut.len() as u64));
            // Trailing zeros (a file preallocated, then cut) change nothing,
            // nor does a part of the trailer.
            let mut padded = cut.to_vec();
            padded.extend_from_slice(&[0; 300]);
            assert!(sniff(&padded), "{f}");
            for part in [4, 100, TRAILER - 1] {
                let d = data.get(..cut.len() + part).unwrap();
                assert!(sniff(d), "{f}, {part} bytes of the trailer");
                let l = list(open, d, &Limits::default(), 100);
                assert_eq!(names(&l), names(&whole), "{f}, {part} bytes of the trailer");
            }
            // Cut inside the property list: the partitions it describes
            // before the cut, with the same bytes; cut before it, no image.
            let (at, len, whole_list) = bare_plist(cut).unwrap();
            assert!(whole_list, "{f}");
            let mut some = 0;
            for part in [8, 4, 2] {
                let d = cut.get(..at + len - len / part).unwrap();
                assert!(sniff(d), "{f}, cut at {}", d.len());
                let l = list(open, d, &Limits::default(), 100);
                let (got, all) = (names(&l), names(&whole));
                assert!(
                    got.len() <= all.len(),
                    "{f}: {} of {}",
                    got.len(),
                    all.len()
                );
                assert_eq!(got, all.get(..got.len()).unwrap(), "{f}");
                assert!(l
                    .notes
                    .errors
                    .iter()
                    .any(|e| e.message().contains("inside the property list")));
                some += got.len();
            }
            assert!(
                some > 0,
                "{f}: no partition listed from a cut property list"
            );
            assert!(!sniff(cut.get(..at).unwrap()), "{f}");
            // A property list without the blkx table: no image.
            let mut other = cut.to_vec();
            let k = memchr::memmem::find(&other, b"<key>blkx</key>").unwrap();
            other[k + 5] = b'X';
            assert!(!sniff(&other), "{f}");
        }
    }

    #[test]
    fn listing_without_the_engine() {
        for (f, method) in [
            ("hello-zlib.dmg", "zlib"),
            ("hello-bzip2.dmg", "bzip2"),
            ("hello-lzfse.dmg", "lzfse"),
            ("hdiutil-hfs.dmg", "zlib"),
        ] {
            let data = corpus(f);
            let l = list(open, &data, &Limits::default(), 100);
            assert!(l.notes.errors.is_empty(), "{f}: {:?}", l.notes.errors);
            // libdmg-hfsplus writes a data fork CRC-32; hdiutil does not.
            assert_eq!(
                l.notes.verified.contains(&Check::UdifCrc32),
                f.starts_with("hello"),
                "{f}"
            );
            let hfs: Vec<_> = l
                .entries
                .iter()
                .filter(|e| e.0.contains("Apple_HFS"))
                .collect();
            assert_eq!(hfs.len(), 1, "{f}: {:?}", l.entries);
            let (_, info, listed) = hfs[0];
            assert!(
                info.verified_by.contains(&Check::UdifCrc32),
                "{f}: {info:?}"
            );
            assert!(info.errors.is_empty(), "{f}: {:?}", info.errors);
            assert!(info.method.as_deref().unwrap_or("").contains(method), "{f}");
            let Listed::Decoded(Ok(bytes)) = listed else {
                panic!("{f}: {listed:?}");
            };
            let sig = bytes.get(1024..1026).unwrap();
            assert!(sig == b"H+" || sig == b"HX", "{f}: {sig:?}");
            let Some(Metadata::Dmg(m)) = &l.parsed.metadata else {
                panic!()
            };
            assert_eq!(
                m.data_fork_crc32_ok.is_some(),
                f.starts_with("hello"),
                "{f}"
            );
            assert_ne!(m.data_fork_crc32_ok, Some(false), "{f}");
            assert_eq!(m.master_crc32_ok, Some(true), "{f}");
            assert!(
                m.chunk_types.contains_key(method),
                "{f}: {:?}",
                m.chunk_types
            );
        }
    }

    /// The HFS partition's entry of a listing.
    fn hfs_entry(l: &crate::container::Listing) -> &(String, EntryInfo, Listed) {
        l.entries
            .iter()
            .find(|e| e.0.contains("Apple_HFS"))
            .unwrap()
    }

    #[test]
    fn data_fork_crc_mismatch_is_a_checksum_error() {
        // Corrupt the trailer's data fork CRC-32 value (koly + 0x58).
        let mut data = corpus("hello-zlib.dmg");
        let at = data.len() - TRAILER + 0x58;
        data[at] ^= 0x01;
        let l = list(open, &data, &Limits::default(), 100);
        assert!(!l.notes.verified.contains(&Check::UdifCrc32));
        let e = l
            .notes
            .errors
            .iter()
            .find(|e| e.kind() == "checksum")
            .unwrap();
        assert!(e.message().contains("data fork"), "{e}");
        // The partitions are still read and vouched for by their own CRC.
        assert!(hfs_entry(&l).1.verified_by.contains(&Check::UdifCrc32));
    }

    #[test]
    fn partition_crc_mismatch_keeps_the_bytes() {
        // Change the HFS partition's `mish` checksum (byte 0x48 of the
        // table, base64 character 96 of its Data) in the property list.
        let mut data = corpus("hdiutil-hfs.dmg");
        let t = data.len() - TRAILER;
        let (xo, xl) = (
            be_u64(&data, t + 0xD8).unwrap() as usize,
            be_u64(&data, t + 0xE0).unwrap() as usize,
        );
        let xml = String::from_utf8(data[xo..xo + xl].to_vec()).unwrap();
        let name = xml.find("Apple_HFS").unwrap();
        let d = xo + name + xml[name..].find("<data>").unwrap() + "<data>".len();
        let mut seen = 0;
        let mut at = d;
        while seen <= 96 {
            if !data[at].is_ascii_whitespace() {
                seen += 1;
            }
            at += 1;
        }
        let at = at - 1;
        data[at] = if data[at] == b'A' { b'B' } else { b'A' };
        let l = list(open, &data, &Limits::default(), 100);
        let (_, info, listed) = hfs_entry(&l);
        assert!(!info.verified_by.contains(&Check::UdifCrc32));
        assert!(
            info.errors.iter().any(|e| e.kind() == "checksum"),
            "{info:?}"
        );
        assert!(matches!(listed, Listed::Decoded(Ok(b)) if b.len() == 10160 * 512));
        // The master CRC-32 covers the partitions' CRC-32s: it fails too.
        assert!(l
            .notes
            .errors
            .iter()
            .any(|e| e.message().contains("master")));
    }

    #[test]
    fn damaged_chunk_is_reported_not_hidden() {
        // Flip bytes in the middle of the data fork (the HFS partition's
        // zlib chunks): the partition fails to decode or fails its CRC.
        let mut data = corpus("hello-zlib.dmg");
        let mid = data.len() / 3;
        for b in &mut data[mid..mid + 10] {
            *b ^= 0x5A;
        }
        let l = list(open, &data, &Limits::default(), 100);
        let (_, info, listed) = hfs_entry(&l);
        let failed = matches!(listed, Listed::Decoded(Err(_)) | Listed::Missing { .. });
        assert!(failed || !info.errors.is_empty(), "{info:?}");
        // The trailer's data fork CRC-32 fails too.
        assert!(l
            .notes
            .errors
            .iter()
            .any(|e| e.message().contains("data fork")));
        assert!(!info.verified_by.contains(&Check::UdifCrc32));
    }

    #[test]
    fn chunk_table_longer_than_its_data_is_malformed() {
        let mut m = b"mish".to_vec();
        m.resize(MISH_HEAD, 0);
        m[0xC8..0xCC].copy_from_slice(&1000u32.to_be_bytes());
        let mut notes = Notes::default();
        let p = partition(&DmgInfo::default(), "p".into(), None, &m, &mut notes);
        assert!(p.error.unwrap().message().contains("1000 chunks"));
    }

    #[test]
    fn lzfse_chunk_past_its_declared_size_fails() {
        // "test" as LZFSE (an uncompressed `bvx-` block), declared 2 bytes.
        let enc = [
            0x62, 0x76, 0x78, 0x2d, 0x04, 0x00, 0x00, 0x00, 0x74, 0x65, 0x73, 0x74, 0x62, 0x76,
            0x78, 0x24,
        ];
        let mut crc = crc32fast::Hasher::new();
        let mk = |size: u64, crc: &mut crc32fast::Hasher| {
            let mut r = PartReader {
                data: &enc,
                chunks: vec![Chunk {
                    method: Method::Lzfse,
                    size,
                    at: 0,
                    len: enc.len() as u64,
                }],
                next: 0,
                cur: Source::None,
                crc,
                hashing: true,
                max_chunk: 1 << 20,
            };
            let mut out = Vec::new();
            r.read_to_end(&mut out).map(|_| out)
        };
        assert_eq!(mk(4, &mut crc).unwrap(), b"test");
        assert!(mk(2, &mut crc).is_err());
        assert!(mk(8, &mut crc).is_err());
    }
}
