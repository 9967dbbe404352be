//! The Setup Launcher's overlay: records in one of four layouts (see the
//! module documentation), each record a child of the node that holds them.

use super::cabinet::{self, CabinetInfo};
use crate::container::{Container, Data, Decoded, End, Entry, Notes, Preopened};
use crate::{le_u16, le_u32, Metadata, Parsed};
use installsift_model::error::{context, Error};
use installsift_model::limits::Limits;
use installsift_model::{EntryInfo, EntryKind, Format};
use memchr::memmem;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;

/// Longest string of a plain record (ClamAV reads at most 2048).
const MAX_PLAIN_STRING: usize = 2048;
/// Size of the `InstallShield` / `ISSetupStream` header.
const HEADER_LEN: usize = 46;
/// Size of an `InstallShield` file record.
const RECORD_LEN: usize = 312;
/// The name field of an `InstallShield` file record (MAX_PATH).
const NAME_LEN: usize = 260;
/// Size of an `ISSetupStream` file record before its name.
const STREAM_RECORD_LEN: usize = 24;
/// Longest `ISSetupStream` name, in bytes (MAX_PATH UTF-16 units).
const MAX_STREAM_NAME: u32 = 520;
/// Records described in metadata; all are counted and all become children.
const MAX_LISTED: usize = 1_000;
/// The key of the record obfuscation is the name XOR these bytes.
const KEY_MASK: [u8; 4] = [0x13, 0x35, 0x86, 0x07];

/// Setup Launcher facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LauncherInfo {
    /// `plain`, `plain-utf16`, `installshield` or `issetupstream`.
    pub layout: String,
    /// Offset of the first record (or of the header) in the node.
    pub offset: u64,
    /// End of the last record in the node.
    pub end: u64,
    /// Records found.
    pub record_count: u64,
    /// The first 1,000 records.
    pub records: Vec<RecordInfo>,
    /// Records that turned out to be Windows Installer packages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub msi_packages: Vec<String>,
    /// The InstallShield cabinet carried as records, read as one set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cabinet: Option<CabinetInfo>,
}

/// One overlay record.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RecordInfo {
    /// Name (for plain records, the destination path, `\` kept).
    pub name: String,
    /// Plain records: the version string (`0.0.0.0` for data files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Offset of the record's data in the node.
    pub offset: u64,
    /// Stored size.
    pub size: u64,
    /// `stored`, or the obfuscation (`xor-1024`, `xor-file`) and `+zlib`.
    pub method: String,
}

/// How a record's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Obfuscation {
    None,
    /// Key index restarts every 1024 bytes (flag 4).
    Block1024,
    /// Key index runs over the whole record (flag 2 alone).
    Whole,
}

struct Record<'a> {
    name: String,
    /// The child's name (plain: the path with `/`).
    child: String,
    version: Option<String>,
    /// Offset of the data in the region.
    at: usize,
    data: &'a [u8],
    obfuscation: Obfuscation,
    zlib: bool,
    /// Key seed (name bytes) for obfuscated records.
    seed: Vec<u8>,
}

impl Record<'_> {
    fn method(&self) -> String {
        let mut m = match self.obfuscation {
            Obfuscation::None => "stored",
            Obfuscation::Block1024 => "xor-1024",
            Obfuscation::Whole => "xor-file",
        }
        .to_owned();
        if self.zlib {
            m = if self.obfuscation == Obfuscation::None {
                "zlib".into()
            } else {
                m + "+zlib"
            };
        }
        m
    }
}

/// Records found in `region` (bytes of a node at node offset `base`), with
/// the layout and where they start and end.
struct Found<'a> {
    layout: &'static str,
    start: usize,
    end: usize,
    records: Vec<Record<'a>>,
}

/// Does `region` start with (or hold, after the debug record) a launcher
/// record list? Cheap; used by the PE module before anything else.
/// `window`: bytes searched for an `InstallShield\0` / `ISSetupStream\0`
/// header, which follows the launcher's CodeView debug record (`NB10` + PDB
/// path) when the overlay starts with that ([`Limits::max_search_window`]).
///
/// [`Limits::max_search_window`]: installsift_model::Limits::max_search_window
pub(crate) fn looks_like_launcher(region: &[u8], window: u64) -> bool {
    // A first record whose strings parse is enough: when its data is cut
    // short the record table is reported truncated, not lost.
    plain_strings(region, 0).is_some()
        || utf16_records(region, usize::MAX).is_some_and(|(r, _)| !r.is_empty())
        || find_header(region, window).is_some()
}

/// The records of a launcher overlay `region` (at offset `base` of the
/// node being parsed), as a container whose entries are the records; none
/// when the region holds no record list.
pub(crate) fn open_launcher<'a>(
    region: &'a [u8],
    base: u64,
    limits: &Limits,
    notes: &mut Notes,
) -> Option<LauncherWalk<'a>> {
    let max = usize::try_from(limits.max_entries_per_container).unwrap_or(usize::MAX);
    let found = find(region, max, limits.max_search_window, notes)?;
    let mut info = LauncherInfo {
        layout: found.layout.to_owned(),
        offset: base + found.start as u64,
        end: base + found.end as u64,
        record_count: found.records.len() as u64,
        ..LauncherInfo::default()
    };
    for r in found.records.iter().take(MAX_LISTED) {
        info.records.push(RecordInfo {
            name: r.name.clone(),
            version: r.version.clone(),
            offset: base + r.at as u64,
            size: r.data.len() as u64,
            method: r.method(),
        });
    }
    let sets = cabinet_sets(&found.records);
    // Volume records of a set: their files are children of the header's
    // record, which says so on each volume.
    let mut listed_under: HashMap<usize, String> = HashMap::new();
    for (&h, vols) in &sets {
        if let Some(hr) = found.records.get(h) {
            for &(_, j) in vols {
                if j != h {
                    listed_under.insert(j, hr.child.clone());
                }
            }
        }
    }
    Some(LauncherWalk {
        records: found.records,
        sets,
        listed_under,
        base,
        next: 0,
        last: None,
        info,
        max: limits.max_entries_per_container,
    })
}

/// A launcher's records, handed over as the engine pulls.
pub(crate) struct LauncherWalk<'a> {
    records: Vec<Record<'a>>,
    /// Cabinet sets by header record: (volume number, record).
    sets: HashMap<usize, Vec<(u32, usize)>>,
    /// Volume records by index → the header record's child name.
    listed_under: HashMap<usize, String>,
    base: u64,
    next: usize,
    /// The record handed over last, and whether it heads a cabinet set.
    last: Option<(usize, bool)>,
    info: LauncherInfo,
    /// Bound on a cabinet set's file table.
    max: u64,
}

impl LauncherWalk<'_> {
    /// Where the record list ends, as an offset of the node whose region
    /// was opened (what follows is no record).
    pub(crate) fn end(&self) -> u64 {
        self.info.end
    }
}

impl Container for LauncherWalk<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        let i = self.next;
        let r = self.records.get(i)?;
        self.next += 1;
        self.last = Some((i, self.sets.contains_key(&i)));
        let mut entry = EntryInfo::new(EntryKind::File).at(self.base + r.at as u64);
        entry.method = Some(r.method());
        let name = r.child.clone();
        let data = if let Some(vols) = self.sets.get(&i) {
            let volumes: Vec<(u32, &[u8])> = vols
                .iter()
                .filter_map(|&(n, j)| Some((n, self.records.get(j)?.data)))
                .collect();
            let mut notes = Notes::default();
            let opened = cabinet::open_set(r.data, volumes, self.max, &mut notes);
            Data::Opened {
                bytes: r.data,
                child: Box::new(Preopened { notes, opened }),
            }
        } else if let Some(header) = self.listed_under.get(&i) {
            let mut notes = Notes::default();
            let opened = cabinet::open_volume_of_set(r.data, header, &mut notes);
            Data::Opened {
                bytes: r.data,
                child: Box::new(Preopened { notes, opened }),
            }
        } else if r.obfuscation == Obfuscation::None && !r.zlib {
            Data::Slice(r.data)
        } else {
            entry.compressed_size = Some(r.data.len() as u64);
            match decoder(r) {
                Ok((reader, declared)) => Data::Decode {
                    reader,
                    declared,
                    stored: Some(r.data.len() as u64),
                },
                Err(e) => Data::Missing {
                    size: r.data.len() as u64,
                    error: context(e, &format!("record `{}`", r.name)),
                },
            }
        };
        Some(Entry {
            name,
            info: entry,
            data,
        })
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        _info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        if let (Err(e), Some((i, _))) = (read, self.last) {
            if let Some(r) = self.records.get(i) {
                *e = context(e.clone(), &format!("record `{}`", r.name));
            }
        }
    }

    fn entry_scanned(&mut self, format: Format, metadata: Option<&Metadata>) {
        let Some((i, heads_set)) = self.last else {
            return;
        };
        if heads_set && self.info.cabinet.is_none() {
            if let Some(Metadata::InstallShield(m)) = metadata {
                if let super::InstallShieldInfo::Cabinet(ci) = m.as_ref() {
                    self.info.cabinet = Some(ci.clone());
                }
            }
        }
        if format == Format::Msi {
            if let Some(r) = self.records.get(i) {
                self.info.msi_packages.push(r.child.clone());
            }
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::InstallShield,
            metadata: Some(Metadata::InstallShield(Box::new(self.info.into()))),
        }
    }
}

/// InstallShield cabinet sets among plain records, by header record: the
/// header (`<prefix>1.hdr`, or a version 5 `<prefix>1.cab` carrying its own
/// header) and its volume records `<prefix><n>.cab` (number, record), as
/// unshield pairs them by name.
fn cabinet_sets(records: &[Record<'_>]) -> HashMap<usize, Vec<(u32, usize)>> {
    sets_among(records.iter().map(|r| {
        let plain = r.obfuscation == Obfuscation::None && !r.zlib;
        (r.name.as_str(), plain.then_some(r.data))
    }))
}

/// The cabinet sets among named parts (a launcher's records, the entries
/// of one directory of a container), by name as unshield pairs them:
/// header part → its volumes (number, part), sorted. A part whose bytes
/// are `None` (obfuscated, compressed) takes no part.
pub(crate) fn sets_among<'n>(
    parts: impl Iterator<Item = (&'n str, Option<&'n [u8]>)>,
) -> HashMap<usize, Vec<(u32, usize)>> {
    // Volumes by lowercase prefix, in one pass (records can be many).
    let mut by_prefix: HashMap<String, Vec<(u32, usize)>> = HashMap::new();
    // Header candidates by prefix: (is `.hdr`, record index).
    let mut headers: HashMap<String, (bool, usize)> = HashMap::new();
    for (j, (name, data)) in parts.enumerate() {
        let Some(data) = data.filter(|d| cabinet::sniff(d)) else {
            continue;
        };
        let Some((prefix, n)) = volume_number(name) else {
            continue;
        };
        let prefix = prefix.to_ascii_lowercase();
        let is_hdr = name.to_ascii_lowercase().ends_with(".hdr");
        if !is_hdr && cabinet::sniff_volume(data) {
            by_prefix.entry(prefix.clone()).or_default().push((n, j));
        }
        // unshield reads `<prefix>1.hdr`, else `<prefix>1.cab` (version 5
        // cabinets carry their header).
        if n == 1 && cabinet::has_descriptor(data) {
            let slot = headers.entry(prefix).or_insert((is_hdr, j));
            if is_hdr && !slot.0 {
                *slot = (true, j);
            }
        }
    }
    headers
        .into_iter()
        .map(|(prefix, (_, header))| {
            let mut volumes = by_prefix.remove(&prefix).unwrap_or_default();
            volumes.sort_unstable();
            volumes.dedup_by_key(|v| v.0);
            (header, volumes)
        })
        .collect()
}

/// The file name of a record name (after the last `\` or `/`).
fn file_name(name: &str) -> &str {
    name.rsplit(['\\', '/']).next().unwrap_or(name)
}

/// `data12.cab` → (`data`, 12).
fn volume_number(name: &str) -> Option<(&str, u32)> {
    let f = file_name(name);
    let dot = f.rfind('.')?;
    let (stem, ext) = f.split_at(dot);
    if !ext.eq_ignore_ascii_case(".cab") && !ext.eq_ignore_ascii_case(".hdr") {
        return None;
    }
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, num) = stem.split_at(stem.len() - digits);
    let n: u32 = num.parse().ok()?;
    (n > 0).then_some((prefix, n))
}

/// Find the record list of `region`, whichever layout it uses.
fn find<'a>(region: &'a [u8], max: usize, window: u64, notes: &mut Notes) -> Option<Found<'a>> {
    if plain_strings(region, 0).is_some() {
        let mut records = Vec::new();
        let mut at = 0usize;
        while let Some((r, next)) = plain_record(region, at) {
            if records.len() >= max {
                notes.error(Error::limit(
                    installsift_model::limits::Limit::MaxEntriesPerContainer,
                    format!("overlay records stopped after {max}"),
                ));
                break;
            }
            records.push(r);
            at = next;
        }
        if at < region.len() {
            if let Some(e) = plain_truncated(region, at) {
                notes.error(e);
            } else if let Some(e) = stray_tail(region, at) {
                notes.error(e);
            }
        }
        return Some(Found {
            layout: "plain",
            start: 0,
            end: at,
            records,
        });
    }
    if let Some((records, end)) = utf16_records(region, max) {
        if !records.is_empty() {
            return Some(Found {
                layout: "plain-utf16",
                start: 0,
                end,
                records,
            });
        }
    }
    let (start, stream) = find_header(region, window)?;
    let kind = le_u32(region, start + 16).unwrap_or(0);
    let (records, end) = if stream {
        header_records(region, start, max, "ISSetupStream", notes, |at| {
            stream_record(region, at, kind, usize::MAX)
        })
    } else {
        header_records(region, start, max, "InstallShield", notes, |at| {
            installshield_record(region, at, usize::MAX)
        })
    };
    Some(Found {
        layout: if stream {
            "issetupstream"
        } else {
            "installshield"
        },
        start,
        end,
        records,
    })
}

/// A NUL-terminated string at `at` of at most `max` bytes: (bytes, next).
fn cstr(data: &[u8], at: usize, max: usize) -> Option<(&[u8], usize)> {
    let rest = data.get(at..)?;
    let window = rest.get(..rest.len().min(max + 1))?;
    let n = memchr::memchr(0, window)?;
    Some((window.get(..n)?, at + n + 1))
}

/// Printable text as ISx accepts it (0x20..=0xFE), decoded as UTF-8 when
/// valid, else Windows-1252.
fn text(b: &[u8]) -> Option<String> {
    if b.iter().any(|&c| !(0x20..=0xFE).contains(&c)) {
        return None;
    }
    Some(match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(b).0.into_owned(),
    })
}

fn is_version(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|c| c.is_ascii_digit() || c == b'.')
}

fn decimal(s: &str) -> Option<u64> {
    (!s.is_empty() && s.len() <= 20 && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// The four strings of a plain record at `at`, when they make sense.
fn plain_strings(region: &[u8], at: usize) -> Option<(String, String, String, u64, usize)> {
    let (name, at) = cstr(region, at, MAX_PLAIN_STRING)?;
    let (path, at) = cstr(region, at, MAX_PLAIN_STRING)?;
    let (version, at) = cstr(region, at, MAX_PLAIN_STRING)?;
    let (size, at) = cstr(region, at, MAX_PLAIN_STRING)?;
    let name = text(name).filter(|n| !n.is_empty())?;
    let path = text(path)?;
    let version = text(version).filter(|v| is_version(v))?;
    let size = decimal(std::str::from_utf8(size).ok()?)?;
    Some((name, path, version, size, at))
}

/// A plain record (`name\0path\0version\0size\0` + data) at `at`.
fn plain_record(region: &[u8], at: usize) -> Option<(Record<'_>, usize)> {
    let (name, path, version, size, data_at) = plain_strings(region, at)?;
    let end = data_at.checked_add(usize::try_from(size).ok()?)?;
    let data = region.get(data_at..end)?;
    let shown = if path.is_empty() { &name } else { &path };
    Some((
        Record {
            child: shown.replace('\\', "/"),
            name: shown.clone(),
            version: Some(version),
            at: data_at,
            data,
            obfuscation: Obfuscation::None,
            zlib: false,
            seed: Vec::new(),
        },
        end,
    ))
}

/// The error for a plain record whose strings parse but whose data is cut.
fn plain_truncated(region: &[u8], at: usize) -> Option<Error> {
    let (name, _, _, size, data_at) = plain_strings(region, at)?;
    Some(Error::truncated(format!(
        "overlay record table cut short at overlay offset {at:#x}: record `{name}` declares \
         {size} bytes at {data_at:#x}, {} remain; the records after it are lost",
        region.len().saturating_sub(data_at)
    )))
}

/// Bytes after the last plain record that are neither padding nor a
/// format of their own: a record before them declared the wrong size (so
/// it swallowed or cut the next), or its strings were damaged.
fn stray_tail(region: &[u8], at: usize) -> Option<Error> {
    let rest = region.get(at..)?;
    if rest.iter().all(|&b| b == 0) || crate::sniff(rest).is_some() {
        return None;
    }
    Some(Error::malformed(format!(
        "overlay record table ends at {at:#x}, but {} bytes follow that are no record: \
         a record's size or strings may be damaged, and records after it lost",
        rest.len()
    )))
}

/// A NUL-terminated UTF-16LE string at `at`, at most `max` units.
fn wstr(data: &[u8], at: usize, max: usize) -> Option<(String, usize)> {
    let mut units = Vec::new();
    let mut p = at;
    loop {
        let u = le_u16(data, p)?;
        p = p.checked_add(2)?;
        if u == 0 {
            break;
        }
        if units.len() >= max || u < 0x20 {
            return None;
        }
        units.push(u);
    }
    Some((String::from_utf16(&units).ok()?, p))
}

/// The UTF-16 plain layout: `u32` count, then records of four UTF-16LE
/// strings and the data. `None` unless the count is plausible and the first
/// record parses.
fn utf16_records(region: &[u8], max: usize) -> Option<(Vec<Record<'_>>, usize)> {
    let count = le_u32(region, 0)?;
    if count == 0 || count > 0xFFFF {
        return None;
    }
    let mut records = Vec::new();
    let mut at = 4usize;
    for _ in 0..count {
        if records.len() >= max {
            break;
        }
        let Some((name, a)) = wstr(region, at, MAX_PLAIN_STRING) else {
            break;
        };
        let Some((path, a)) = wstr(region, a, MAX_PLAIN_STRING) else {
            break;
        };
        let Some((version, a)) = wstr(region, a, MAX_PLAIN_STRING) else {
            break;
        };
        let Some((size, a)) = wstr(region, a, 20) else {
            break;
        };
        let (Some(size), true, false) = (decimal(&size), is_version(&version), name.is_empty())
        else {
            break;
        };
        let Some(end) = usize::try_from(size).ok().and_then(|s| a.checked_add(s)) else {
            break;
        };
        let Some(data) = region.get(a..end) else {
            break;
        };
        let shown = if path.is_empty() { name } else { path };
        records.push(Record {
            child: shown.replace('\\', "/"),
            name: shown,
            version: Some(version),
            at: a,
            data,
            obfuscation: Obfuscation::None,
            zlib: false,
            seed: Vec::new(),
        });
        at = end;
    }
    Some((records, at))
}

/// Offset of a valid `InstallShield\0` or `ISSetupStream\0` header in the
/// first `window` bytes, and whether it is the stream layout.
fn find_header(region: &[u8], window: u64) -> Option<(usize, bool)> {
    let window = usize::try_from(window).unwrap_or(usize::MAX);
    let hay = region.get(..region.len().min(window))?;
    for (magic, stream) in [
        (&b"InstallShield\0"[..], false),
        (&b"ISSetupStream\0"[..], true),
    ] {
        for at in memmem::find_iter(hay, magic) {
            if header_ok(region, at, stream) {
                return Some((at, stream));
            }
        }
    }
    None
}

/// A header with files whose first record's fields parse (its data may be
/// cut: that is reported as truncated).
fn header_ok(region: &[u8], at: usize, stream: bool) -> bool {
    let Some(count) = le_u16(region, at + 14) else {
        return false;
    };
    // The data ends before the header or its first record is whole: a
    // record table cut short (reported as truncated by `header_records`).
    // A count of 0 needs a whole record after it (a damaged count).
    let first_len = if stream {
        STREAM_RECORD_LEN
    } else {
        RECORD_LEN
    };
    if region.len() < at + HEADER_LEN + first_len {
        return count != 0;
    }
    // The first record with its data cut to what is there.
    let end = region.len();
    if stream {
        le_u32(region, at + 16).is_some_and(|t| t <= 4)
            && stream_record(
                region,
                at + HEADER_LEN,
                le_u32(region, at + 16).unwrap_or(0),
                end,
            )
            .is_some()
    } else {
        installshield_record(region, at + HEADER_LEN, end).is_some()
    }
}

fn obfuscation(flags: u32) -> Obfuscation {
    if flags & 4 != 0 {
        Obfuscation::Block1024
    } else if flags & 2 != 0 {
        Obfuscation::Whole
    } else {
        Obfuscation::None
    }
}

/// One `InstallShield` record at `at`: (record, end). With `clamp`, data
/// running past `clamp` is cut there instead of failing (header checks).
fn installshield_record(region: &[u8], at: usize, clamp: usize) -> Option<(Record<'_>, usize)> {
    let head = region.get(at..at.checked_add(RECORD_LEN)?)?;
    let raw = head.get(..NAME_LEN)?;
    let name_bytes = raw.get(..memchr::memchr(0, raw)?)?;
    let name = text(name_bytes).filter(|n| !n.is_empty())?;
    let flags = le_u32(head, NAME_LEN)?;
    let size = le_u32(head, NAME_LEN + 8)? as usize;
    let zlib = le_u16(head, NAME_LEN + 20)? != 0;
    let data_at = at + RECORD_LEN;
    let end = data_at.checked_add(size)?.min(clamp);
    let data = region.get(data_at..end)?;
    let obfuscation = obfuscation(flags);
    Some((
        Record {
            child: name.replace('\\', "/"),
            seed: name_bytes.to_vec(),
            name,
            version: None,
            at: data_at,
            data,
            obfuscation,
            zlib,
        },
        end,
    ))
}

/// One `ISSetupStream` record at `at`: (record, end); `clamp` as for
/// [`installshield_record`].
fn stream_record(region: &[u8], at: usize, kind: u32, clamp: usize) -> Option<(Record<'_>, usize)> {
    let name_len = le_u32(region, at)?;
    if name_len == 0 || name_len >= MAX_STREAM_NAME || name_len % 2 != 0 {
        return None;
    }
    let flags = le_u32(region, at + 4)?;
    let size = le_u32(region, at + 10)? as usize;
    let zlib = le_u16(region, at + 22)? != 0;
    let mut p = at + STREAM_RECORD_LEN;
    if kind == 4 {
        p += STREAM_RECORD_LEN;
    }
    let raw = region.get(p..p.checked_add(name_len as usize)?)?;
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let name = String::from_utf16(&units).ok()?;
    if name.is_empty() || name.chars().any(char::is_control) {
        return None;
    }
    let data_at = p + name_len as usize;
    let end = data_at.checked_add(size)?.min(clamp);
    let data = region.get(data_at..end)?;
    Some((
        Record {
            child: name.replace('\\', "/"),
            seed: name.as_bytes().to_vec(),
            name,
            version: None,
            at: data_at,
            data,
            obfuscation: if flags & 4 != 0 {
                Obfuscation::Block1024
            } else {
                Obfuscation::None
            },
            zlib,
        },
        end,
    ))
}

/// The records after an `InstallShield` / `ISSetupStream` header at
/// `start` (its file count at +14), each read by `record` at an offset:
/// (records, end of the last). Stops at `max` records or the first invalid
/// one, with an error on the node.
fn header_records<'a>(
    region: &'a [u8],
    start: usize,
    max: usize,
    header: &str,
    notes: &mut Notes,
    record: impl Fn(usize) -> Option<(Record<'a>, usize)>,
) -> (Vec<Record<'a>>, usize) {
    let count = le_u16(region, start + 14).unwrap_or(0);
    let mut records = Vec::new();
    let mut at = start + HEADER_LEN;
    for i in 0..count {
        if records.len() >= max {
            notes.error(Error::limit(
                installsift_model::limits::Limit::MaxEntriesPerContainer,
                format!("overlay records stopped after {max}"),
            ));
            break;
        }
        let Some((r, end)) = record(at) else {
            notes.error(Error::truncated(format!(
                "{header} header declares {count} files; record {i} at {at:#x} is cut short or invalid"
            )));
            break;
        };
        records.push(r);
        at = end;
    }
    if records.len() == usize::from(count) {
        if let Some((r, _)) = record(at) {
            notes.error(Error::malformed(format!(
                "{header} header declares {count} files, but a further record `{}` follows at \
                 {at:#x}: the count is damaged; the records that follow are listed too",
                r.name
            )));
        }
        while let Some((r, end)) = record(at) {
            if records.len() >= max {
                break;
            }
            records.push(r);
            at = end;
        }
    }
    (records, at)
}

/// Undo the record obfuscation as the bytes stream through.
struct Deobfuscate<'a> {
    data: &'a [u8],
    pos: usize,
    key: Vec<u8>,
    block: bool,
}

impl Read for Deobfuscate<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        let len = self.key.len().max(1);
        for (i, (o, &b)) in buf.iter_mut().zip(rest).take(n).enumerate() {
            let p = self.pos + i;
            let k = if self.block {
                (p % 1024) % len
            } else {
                p % len
            };
            let key = self.key.get(k).copied().unwrap_or(0);
            *o = !(key ^ b.rotate_left(4));
        }
        self.pos += n;
        Ok(n)
    }
}

/// The obfuscation key for a seed (the record name's bytes).
fn key(seed: &[u8]) -> Vec<u8> {
    seed.iter()
        .zip(KEY_MASK.iter().cycle())
        .map(|(s, m)| s ^ m)
        .collect()
}

/// The decoder of an obfuscated and/or compressed record, with the size
/// to expect (an empty zlib record decodes to nothing).
#[allow(clippy::type_complexity)]
fn decoder<'r>(
    r: &Record<'r>,
) -> installsift_model::error::Result<(Box<dyn Read + 'r>, Option<u64>)> {
    let plain: Box<dyn Read + 'r> = if r.obfuscation == Obfuscation::None {
        Box::new(r.data)
    } else {
        if r.seed.is_empty() {
            return Err(Error::malformed(
                "obfuscated record without a name to key it",
            ));
        }
        Box::new(Deobfuscate {
            data: r.data,
            pos: 0,
            key: key(&r.seed),
            block: r.obfuscation == Obfuscation::Block1024,
        })
    };
    Ok(if r.zlib {
        if r.data.is_empty() {
            (Box::new(std::io::empty()), Some(0))
        } else {
            (Box::new(flate2::read::ZlibDecoder::new(plain)), None)
        }
    } else {
        (plain, None)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names() {
        assert_eq!(volume_number("Disk1\\data1.cab"), Some(("data", 1)));
        assert_eq!(volume_number("data12.CAB"), Some(("data", 12)));
        assert_eq!(volume_number("data1.hdr"), Some(("data", 1)));
        assert_eq!(volume_number("engine32.cab"), Some(("engine", 32)));
        assert_eq!(volume_number("setup.inx"), None);
        assert_eq!(volume_number("data0.cab"), None);
        assert_eq!(volume_number(".cab"), None);
    }

    #[test]
    fn plain_record_needs_four_sane_strings() {
        let mut d = b"a.txt\0Disk1\\a.txt\x000.0.0.0\x003\0xyz".to_vec();
        let (r, end) = plain_record(&d, 0).expect("record");
        assert_eq!(
            (r.child.as_str(), r.data, end),
            ("Disk1/a.txt", &b"xyz"[..], d.len())
        );
        d.truncate(d.len() - 1);
        assert!(plain_record(&d, 0).is_none(), "data cut short");
        assert!(
            plain_record(b"a\0b\0x.y\x003\0xyz", 0).is_none(),
            "bad version"
        );
        assert!(plain_record(b"a\0b\x001\0-3\0xyz", 0).is_none(), "bad size");
        assert!(
            plain_record(b"\0b\x001\x003\0xyz", 0).is_none(),
            "empty name"
        );
        assert!(plain_record(b"", 0).is_none());
    }

    /// ISx's encoding of a record: zlib, then `swap_nibbles(key ^ !b)`.
    fn encode(seed: &[u8], plain: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(plain).expect("deflate");
        let packed = z.finish().expect("deflate");
        let k = key(seed);
        packed
            .iter()
            .enumerate()
            .map(|(p, &b)| (k[(p % 1024) % k.len()] ^ !b).rotate_left(4))
            .collect()
    }

    #[test]
    fn deobfuscation_inverts_the_documented_encoding() {
        let seed = b"clam.msi";
        let k = key(seed);
        let plain: Vec<u8> = (0..3000u32).map(|i| (i * 7 + 3) as u8).collect();
        // Encoding per ISx: b' = swap_nibbles(key ^ !b), key index per 1024-byte block.
        let enc: Vec<u8> = plain
            .iter()
            .enumerate()
            .map(|(p, &b)| (k[(p % 1024) % k.len()] ^ !b).rotate_left(4))
            .collect();
        let mut d = Deobfuscate {
            data: &enc,
            pos: 0,
            key: k,
            block: true,
        };
        let mut out = Vec::new();
        let mut buf = [0u8; 100];
        loop {
            let n = d.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, plain);
    }

    /// The launcher parser alone on `data`, whatever its sniff says.
    fn list(data: &[u8]) -> crate::container::Listing {
        crate::container::list(super::super::HANDLER.open, data, &Default::default(), 100)
    }

    #[test]
    fn issetupstream_record_is_decoded_and_a_cut_one_reported() {
        let plain = b"[Startup]\r\nProduct=x\r\n".repeat(100);
        let enc = encode(b"Setup.ini", &plain);
        let name: Vec<u8> = "Setup.ini"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut d = b"junk before".to_vec();
        d.extend_from_slice(b"ISSetupStream\0");
        d.extend_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&[0u8; 30]); // type 0, reserved
        d.extend_from_slice(&(name.len() as u32).to_le_bytes());
        d.extend_from_slice(&4u32.to_le_bytes()); // flags: 1024-byte blocks
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&(enc.len() as u32).to_le_bytes());
        d.extend_from_slice(&[0u8; 8]);
        d.extend_from_slice(&1u16.to_le_bytes()); // zlib
        d.extend_from_slice(&name);
        d.extend_from_slice(&enc);
        let l = list(&d);
        let (name, info, listed) = &l.entries[0];
        assert_eq!(name, "Setup.ini");
        assert!(info.errors.is_empty(), "{:?}", info.errors);
        match listed {
            crate::container::Listed::Decoded(Ok(b)) => assert_eq!(b[..], plain[..]),
            other => panic!("{other:?}"),
        }
        // Cut inside the data: the header still names the record, which
        // is reported as truncated.
        let cut = list(&d[..d.len() - 10]);
        assert!(cut.entries.is_empty());
        assert!(cut.notes.errors.iter().any(|e| e.kind() == "truncated"));
    }
}
