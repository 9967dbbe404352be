//! InstallShield cabinets (`ISc(`): the header (`data1.hdr`, or a version 5
//! `data1.cab` that carries it) and the volumes (`dataN.cab`). Layout facts
//! from unshield's `lib/cabfile.h`, `libunshield.c`, `file.c`,
//! `file_group.c`; listing order and names as `unshield l` prints them.

use crate::container::Inspect;
use crate::container::{Container, Data, Decoded, End, Entry, Notes, Opened};
use crate::{le_u16, le_u32, le_u64, Metadata, Parsed};
use installsift_model::error::{context, Error, Result};
use installsift_model::hash::to_hex as hex;
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use md5::{Digest, Md5};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Read;

/// `ISc(` little-endian.
const SIGNATURE: &[u8; 4] = b"ISc(";
const COMMON_HEADER: usize = 20;
const VOLUME_HEADER_V5: usize = 40;
const VOLUME_HEADER_V6: usize = 64;
/// Slots for file-group and component lists in the cab descriptor.
const LIST_SLOTS: usize = 71;
/// Size of a version 6+ file descriptor.
const DESCRIPTOR_V6: usize = 0x57;
const FILE_SPLIT: u16 = 1;
const FILE_OBFUSCATED: u16 = 2;
const FILE_COMPRESSED: u16 = 4;
const FILE_INVALID: u16 = 8;
const LINK_PREV: u8 = 1;
/// Longest header string read, in bytes or UTF-16 units.
const MAX_STRING: usize = 4096;
/// Largest output of one compressed chunk (unshield decodes each into a
/// 64 KiB buffer; allow more, never without bound).
const MAX_CHUNK_OUT: usize = 1 << 20;
/// File groups kept by name in metadata.
const MAX_LISTED_GROUPS: usize = 256;
/// Links followed from a duplicate file to the one holding its data.
const MAX_LINKS: usize = 64;

/// InstallShield cabinet facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CabinetInfo {
    /// The header's version field, hex.
    pub version: String,
    /// Major version as unshield derives it (5 and below: old descriptors).
    pub major_version: u32,
    /// Strings are UTF-16 (major version 17 and later).
    pub unicode: bool,
    /// This node carries the cab descriptor (file table); otherwise it is a
    /// data volume only.
    pub has_header: bool,
    /// Directories in the file table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directories: Option<u64>,
    /// File descriptors in the file table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_descriptors: Option<u64>,
    /// Files `unshield l` lists (valid files of every file group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// File groups, by name (the first 256).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_groups: Vec<String>,
    /// Components.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<u64>,
    /// Volume header of a data volume: first and last file index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_files: Option<(u64, u64)>,
    /// Volumes available to unpack from (launcher sets), by number.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<u32>,
}

/// `ISc(` with a common header inside the data.
pub(crate) fn sniff(data: &[u8]) -> bool {
    data.starts_with(SIGNATURE) && data.len() >= COMMON_HEADER
}

/// A data volume (`ISc(` and a volume header).
pub(crate) fn sniff_volume(data: &[u8]) -> bool {
    sniff(data) && data.len() >= COMMON_HEADER + VOLUME_HEADER_V5
}

/// `ISc(` and a cab descriptor (file table) that lies inside the data.
pub(crate) fn has_descriptor(data: &[u8]) -> bool {
    sniff(data) && Header::parse(data).is_ok()
}

fn major_version(version: u32) -> u32 {
    match version >> 24 {
        1 => (version >> 12) & 0xf,
        2 | 4 => (version & 0xffff) / 100,
        _ => 0,
    }
}

/// The parsed cab descriptor.
struct Header<'a> {
    data: &'a [u8],
    version: u32,
    major: u32,
    /// Offset of the cab descriptor.
    desc: usize,
    /// Offset of the file table.
    table: usize,
    table2: u32,
    dirs: u32,
    files: u32,
    groups: [u32; LIST_SLOTS],
    components: [u32; LIST_SLOTS],
}

/// One file descriptor.
#[derive(Debug, Clone, Default)]
struct Fd {
    name_offset: u32,
    dir: u32,
    flags: u16,
    expanded: u64,
    compressed: u64,
    data_offset: u64,
    md5: Option<[u8; 16]>,
    volume: u32,
    link_prev: u32,
    link_flags: u8,
}

impl<'a> Header<'a> {
    fn parse(data: &'a [u8]) -> Result<Self> {
        if !data.starts_with(SIGNATURE) {
            return Err(Error::malformed("no `ISc(` signature"));
        }
        let cut = || {
            Error::truncated(format!("cabinet header cut at {} bytes", data.len()))
                .at(data.len() as u64)
        };
        let version = le_u32(data, 4).ok_or_else(cut)?;
        let desc = le_u32(data, 12).ok_or_else(cut)? as usize;
        let desc_size = le_u32(data, 16).ok_or_else(cut)? as usize;
        if desc_size == 0 {
            return Err(Error::malformed("no cab descriptor (a data volume)"));
        }
        let at = |o: usize| desc.checked_add(o).ok_or_else(cut);
        let rd = |o: usize| -> Result<u32> { le_u32(data, at(o)?).ok_or_else(cut) };
        let table_off = rd(0x0c)? as usize;
        let table2 = rd(0x2c)?;
        let dirs = rd(0x1c)?;
        let files = rd(0x28)?;
        let mut groups = [0u32; LIST_SLOTS];
        let mut components = [0u32; LIST_SLOTS];
        for (i, g) in groups.iter_mut().enumerate() {
            *g = rd(0x3e + 4 * i)?;
        }
        for (i, c) in components.iter_mut().enumerate() {
            *c = rd(0x3e + 4 * LIST_SLOTS + 4 * i)?;
        }
        let table = desc.checked_add(table_off).ok_or_else(cut)?;
        // The directory table (and, before version 6, the file table) must
        // fit: it bounds every count read from here.
        let entries = if major_version(version) <= 5 {
            u64::from(dirs) + u64::from(files)
        } else {
            u64::from(dirs)
        };
        let need = (table as u64).saturating_add(entries.saturating_mul(4));
        if need > data.len() as u64 {
            return Err(Error::truncated(format!(
                "file table of {dirs} directories and {files} files at {table:#x} runs past the header ({} bytes)",
                data.len()
            )).at(table as u64));
        }
        if major_version(version) > 5 {
            let fds = (table as u64)
                .saturating_add(u64::from(table2))
                .saturating_add(u64::from(files).saturating_mul(DESCRIPTOR_V6 as u64));
            if fds > data.len() as u64 {
                return Err(Error::truncated(format!(
                    "{files} file descriptors at {:#x} run past the header ({} bytes)",
                    table as u64 + u64::from(table2),
                    data.len()
                ))
                .at((table as u64).saturating_add(u64::from(table2))));
            }
        }
        Ok(Header {
            data,
            version,
            major: major_version(version),
            desc,
            table,
            table2,
            dirs,
            files,
            groups,
            components,
        })
    }

    /// A string at `at` (UTF-16LE from major version 17).
    fn string_at(&self, at: usize) -> Option<String> {
        if self.major >= 17 {
            let mut units = Vec::new();
            let mut p = at;
            while units.len() < MAX_STRING {
                let u = le_u16(self.data, p)?;
                if u == 0 {
                    return Some(String::from_utf16_lossy(&units));
                }
                units.push(u);
                p = p.checked_add(2)?;
            }
            None
        } else {
            let rest = self.data.get(at..)?;
            let w = rest.get(..rest.len().min(MAX_STRING))?;
            let b = w.get(..memchr::memchr(0, w)?)?;
            Some(match std::str::from_utf8(b) {
                Ok(s) => s.to_owned(),
                Err(_) => encoding_rs::WINDOWS_1252.decode(b).0.into_owned(),
            })
        }
    }

    /// A string at descriptor offset `off`.
    fn desc_string(&self, off: u32) -> Option<String> {
        self.string_at(self.desc.checked_add(off as usize)?)
    }

    fn table_entry(&self, i: u64) -> Option<u32> {
        le_u32(
            self.data,
            self.table.checked_add(usize::try_from(i * 4).ok()?)?,
        )
    }

    fn dir_name(&self, i: u32) -> Option<String> {
        if i >= self.dirs {
            return None;
        }
        let off = self.table_entry(u64::from(i))?;
        self.string_at(self.table.checked_add(off as usize)?)
    }

    fn file_name(&self, fd: &Fd) -> Option<String> {
        self.string_at(self.table.checked_add(fd.name_offset as usize)?)
    }

    fn descriptor(&self, i: u32) -> Option<Fd> {
        if i >= self.files {
            return None;
        }
        let d = self.data;
        if self.major <= 5 {
            let off = self.table_entry(u64::from(self.dirs) + u64::from(i))?;
            let p = self.table.checked_add(off as usize)?;
            let md5 = if self.major == 5 {
                let b = d.get(p.saturating_add(0x2a)..p.saturating_add(0x3a))?;
                let mut m = [0u8; 16];
                m.copy_from_slice(b);
                Some(m)
            } else {
                None
            };
            Some(Fd {
                name_offset: le_u32(d, p)?,
                dir: u32::from(le_u16(d, p.saturating_add(4))?),
                flags: le_u16(d, p.saturating_add(8))?,
                expanded: u64::from(le_u32(d, p.saturating_add(10))?),
                compressed: u64::from(le_u32(d, p.saturating_add(14))?),
                data_offset: u64::from(le_u32(d, p.saturating_add(0x26))?),
                md5,
                volume: 1,
                link_prev: 0,
                link_flags: 0,
            })
        } else {
            let p = self
                .table
                .checked_add(self.table2 as usize)?
                .checked_add((i as usize).checked_mul(DESCRIPTOR_V6)?)?;
            let b = d.get(p.saturating_add(26)..p.saturating_add(42))?;
            let mut m = [0u8; 16];
            m.copy_from_slice(b);
            Some(Fd {
                flags: le_u16(d, p)?,
                expanded: le_u64(d, p.saturating_add(2))?,
                compressed: le_u64(d, p.saturating_add(10))?,
                data_offset: le_u64(d, p.saturating_add(18))?,
                md5: Some(m),
                name_offset: le_u32(d, p.saturating_add(58))?,
                dir: u32::from(le_u16(d, p.saturating_add(62))?),
                link_prev: le_u32(d, p.saturating_add(76))?,
                link_flags: *d.get(p.saturating_add(84))?,
                volume: u32::from(le_u16(d, p.saturating_add(85))?),
            })
        }
    }

    /// Walk one of the descriptor's offset lists (file groups or
    /// components): every slot's chain, each offset visited once.
    fn list(&self, slots: &[u32; LIST_SLOTS], max: usize) -> Vec<u32> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for &first in slots {
            let mut next = first;
            while next != 0 && out.len() < max && seen.insert(next) {
                let Some(p) = self.desc.checked_add(next as usize) else {
                    break;
                };
                let (Some(descriptor), Some(n)) = (
                    le_u32(self.data, p.saturating_add(4)),
                    le_u32(self.data, p.saturating_add(8)),
                ) else {
                    break;
                };
                out.push(descriptor);
                next = n;
            }
        }
        out
    }

    /// File groups: (name, first file, last file).
    fn file_groups(&self, max: usize) -> Vec<(String, i64, i64)> {
        let skip = if self.major <= 5 { 0x48 } else { 0x12 };
        self.list(&self.groups, max)
            .into_iter()
            .filter_map(|off| {
                let p = self.desc.checked_add(off as usize)?;
                let name = self.desc_string(le_u32(self.data, p)?).unwrap_or_default();
                let first = le_u32(self.data, p.saturating_add(4 + skip))? as i32;
                let last = le_u32(self.data, p.saturating_add(8 + skip))? as i32;
                Some((name, i64::from(first), i64::from(last)))
            })
            .collect()
    }

    /// unshield's `unshield_file_is_valid`.
    fn valid(&self, fd: &Fd) -> bool {
        fd.flags & FILE_INVALID == 0 && fd.name_offset != 0 && fd.data_offset != 0
    }

    fn info(&self, max: usize) -> CabinetInfo {
        CabinetInfo {
            version: format!("{:#010x}", self.version),
            major_version: self.major,
            unicode: self.major >= 17,
            has_header: true,
            directories: Some(u64::from(self.dirs)),
            file_descriptors: Some(u64::from(self.files)),
            components: Some(self.list(&self.components, max).len() as u64),
            ..CabinetInfo::default()
        }
    }
}

/// The header's facts and its file listing, within the container limits.
fn listed(h: &Header<'_>, max: u64, notes: &mut Notes) -> (CabinetInfo, Vec<(u32, String, Fd)>) {
    let mut info = h.info(usize::try_from(max).unwrap_or(usize::MAX));
    let (files, groups) = listing(h, max, notes);
    info.files = Some(files.len() as u64);
    info.file_groups = groups.into_iter().take(MAX_LISTED_GROUPS).collect();
    (info, files)
}

/// A file as `unshield l` lists it: (index, `group\dir\name`).
fn listing(h: &Header<'_>, max: u64, notes: &mut Notes) -> (Vec<(u32, String, Fd)>, Vec<String>) {
    let groups = h.file_groups(usize::try_from(max).unwrap_or(usize::MAX));
    let mut out = Vec::new();
    let mut steps = 0u64;
    'groups: for (group, first, last) in &groups {
        if *first < 0 || *last < *first {
            continue;
        }
        let last = (*last).min(i64::from(h.files) - 1);
        for i in *first..=last {
            steps += 1;
            if steps > max {
                notes.error(Error::limit(
                    installsift_model::limits::Limit::MaxEntriesPerContainer,
                    format!("cabinet listing stopped after {max} entries"),
                ));
                break 'groups;
            }
            let Ok(i) = u32::try_from(i) else { break };
            let Some(fd) = h.descriptor(i) else {
                notes.error(Error::truncated(format!(
                    "file descriptor {i} runs past the header"
                )));
                break 'groups;
            };
            if !h.valid(&fd) {
                continue;
            }
            let mut dir = String::new();
            if !group.is_empty() {
                dir.push_str(group);
                dir.push('\\');
            }
            dir.push_str(&h.dir_name(fd.dir).unwrap_or_default());
            if !dir.is_empty() && !dir.ends_with('\\') {
                dir.push('\\');
            }
            let name = h.file_name(&fd).unwrap_or_default();
            out.push((i, format!("{dir}{name}").replace('\\', "/"), fd));
        }
    }
    let names = groups.into_iter().map(|g| g.0).collect();
    (out, names)
}

/// A cabinet on its own: a header (files listed in metadata; their data is
/// in other files unless this is a version 5 cabinet with its own data), or
/// a data volume.
pub(crate) fn open_alone<'a>(data: &'a [u8], max: u64, notes: &mut Notes) -> Opened<'a> {
    let leaf = |info: Option<CabinetInfo>| {
        Opened::Leaf(Parsed {
            format: Format::InstallShield,
            metadata: info.map(|i| Metadata::InstallShield(Box::new(i.into()))),
        })
    };
    match Header::parse(data) {
        Ok(h)
            if h.major <= 5
                && volume_header(data, h.major)
                    .is_some_and(|v| v.data_offset != 0 && v.data_offset < data.len() as u64) =>
        {
            // The header and the data in one file: unpack it.
            open_set(data, vec![(1, data)], max, notes)
        }
        Ok(h) => {
            let (info, files) = listed(&h, max, notes);
            notes.evidence(Evidence::strong(
                "installshield-cabinet-header",
                format!(
                    "InstallShield cabinet header, version {} (major {}): {} files; their data lies in the volumes",
                    info.version,
                    info.major_version,
                    files.len()
                ),
                Some(0),
            ));
            leaf(Some(info))
        }
        Err(_) => {
            let major = major_version(le_u32(data, 4).unwrap_or(0));
            let Some(v) = volume_header(data, major) else {
                notes.error(Error::truncated(
                    "InstallShield cabinet without a header or volume header",
                ));
                return leaf(None);
            };
            notes.evidence(Evidence::strong(
                "installshield-cabinet-volume",
                format!(
                    "InstallShield data volume, files {}..={}",
                    v.first_index, v.last_index
                ),
                Some(0),
            ));
            notes.error(Error::unsupported(format!(
                "data volume holding files {}..={}: their names, sizes and places are in the \
                 cabinet header (`data1.hdr`, or a `data1.cab` that carries it), which is not \
                 part of this file, so they are not listed",
                v.first_index, v.last_index
            )));
            leaf(Some(CabinetInfo {
                version: format!("{:#010x}", le_u32(data, 4).unwrap_or(0)),
                major_version: major,
                unicode: major >= 17,
                volume_files: Some((v.first_index, v.last_index)),
                ..CabinetInfo::default()
            }))
        }
    }
}

/// A data volume read as part of a set whose header is the sibling record
/// `header`: its files are that record's children, so it lists none.
pub(crate) fn open_volume_of_set<'a>(
    data: &'a [u8],
    header: &str,
    notes: &mut Notes,
) -> Opened<'a> {
    let version = le_u32(data, 4).unwrap_or(0);
    let major = major_version(version);
    let Some(v) = volume_header(data, major) else {
        notes.error(Error::truncated(format!(
            "InstallShield data volume cut before its volume header ({} bytes)",
            data.len()
        )));
        return Opened::Leaf(Parsed {
            format: Format::InstallShield,
            metadata: None,
        });
    };
    notes.evidence(Evidence::strong(
        "installshield-cabinet-volume",
        format!(
            "InstallShield data volume, files {}..={}: listed (and unpacked) under `{header}`",
            v.first_index, v.last_index
        ),
        Some(0),
    ));
    let info = CabinetInfo {
        version: format!("{version:#010x}"),
        major_version: major,
        unicode: major >= 17,
        volume_files: Some((v.first_index, v.last_index)),
        ..CabinetInfo::default()
    };
    Opened::Leaf(Parsed {
        format: Format::InstallShield,
        metadata: Some(Metadata::InstallShield(Box::new(info.into()))),
    })
}

/// A volume header.
#[derive(Debug, Clone, Copy)]
struct Volume {
    /// Where file data starts (0 in a header-only file).
    data_offset: u64,
    first_index: u64,
    last_index: u64,
    first_offset: u64,
    first_expanded: u64,
    first_compressed: u64,
    last_offset: u64,
    last_expanded: u64,
    last_compressed: u64,
}

fn volume_header(data: &[u8], major: u32) -> Option<Volume> {
    let p = COMMON_HEADER;
    if major <= 5 {
        let r = |i: usize| le_u32(data, p + 4 * i).map(u64::from);
        let last_offset = r(7)?;
        Some(Volume {
            data_offset: r(0)?,
            first_index: r(2)?,
            last_index: r(3)?,
            first_offset: r(4)?,
            first_expanded: r(5)?,
            first_compressed: r(6)?,
            last_offset: if last_offset == 0 {
                0x7FFF_FFFF
            } else {
                last_offset
            },
            last_expanded: r(8)?,
            last_compressed: r(9)?,
        })
    } else {
        let r = |i: usize| -> Option<u64> {
            let lo = u64::from(le_u32(data, p + 4 * i)?);
            let hi = u64::from(le_u32(data, p + 4 * i + 4)?);
            Some(lo | hi << 32)
        };
        let _ = VOLUME_HEADER_V6;
        Some(Volume {
            data_offset: r(0)?,
            first_index: u64::from(le_u32(data, p + 8)?),
            last_index: u64::from(le_u32(data, p + 12)?),
            first_offset: r(4)?,
            first_expanded: r(6)?,
            first_compressed: r(8)?,
            last_offset: r(10)?,
            last_expanded: r(12)?,
            last_compressed: r(14)?,
        })
    }
}

/// The header `data` with its volumes (`(number, bytes)`): every file
/// `unshield l` lists becomes an entry, unpacked where its volume is
/// present.
pub(crate) fn open_set<'a>(
    data: &'a [u8],
    volumes: Vec<(u32, &'a [u8])>,
    max: u64,
    notes: &mut Notes,
) -> Opened<'a> {
    let h = match Header::parse(data) {
        Ok(h) => h,
        Err(e) => {
            notes.error(context(e, "InstallShield cabinet header"));
            return Opened::Leaf(Parsed {
                format: Format::InstallShield,
                metadata: None,
            });
        }
    };
    let (mut info, files) = listed(&h, max, notes);
    info.volumes = volumes.iter().map(|v| v.0).collect();
    notes.evidence(Evidence::strong(
        "installshield-cabinet-header",
        format!(
            "InstallShield cabinet header, version {} (major {}): {} files in {} volume(s)",
            info.version,
            info.major_version,
            files.len(),
            volumes.len()
        ),
        Some(0),
    ));
    Opened::Container(Box::new(SetWalk {
        h,
        files: files.into_iter(),
        volumes,
        info,
        raw: std::borrow::Cow::Borrowed(&[]),
        md5: Md5::new(),
        want: None,
        pulled: 0,
        ranges: std::collections::HashMap::new(),
        reading: None,
    }))
}

/// The files of a cabinet set, unpacked as the engine pulls them.
struct SetWalk<'a> {
    h: Header<'a>,
    files: std::vec::IntoIter<(u32, String, Fd)>,
    volumes: Vec<(u32, &'a [u8])>,
    info: CabinetInfo,
    /// The stored bytes of the file being read (owned when split across
    /// volumes or de-obfuscated).
    raw: std::borrow::Cow<'a, [u8]>,
    /// Its MD5 as the engine reads it, and the file table's.
    md5: Md5,
    want: Option<[u8; 16]>,
    /// Entries handed over so far (the index of the next one).
    pulled: usize,
    /// Stored range of each file decoded → its entry index and the
    /// outcome of its MD5 check (`None`: not checked). Files naming the
    /// same range (links, or a hostile table pointing thousands of files
    /// at one compressed range) are copies of the first, not decoded
    /// again.
    ranges: std::collections::HashMap<RangeKey, (usize, Option<std::result::Result<(), Error>>)>,
    /// The range of the file the engine is reading.
    reading: Option<RangeKey>,
}

/// What makes two files' bytes the same: where their stored data lies
/// (volume, offset, stored and expanded size), how it is stored (flags)
/// and the MD5 the table states for it.
type RangeKey = (u32, u64, u64, u64, u16, Option<[u8; 16]>);

impl Container for SetWalk<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        let (i, name, fd) = self.files.next()?;
        let index = self.pulled;
        self.pulled += 1;
        let mut entry = EntryInfo::new(EntryKind::File);
        entry.method = Some(
            match (
                fd.flags & FILE_COMPRESSED != 0,
                fd.flags & FILE_OBFUSCATED != 0,
            ) {
                (true, false) => "deflate",
                (true, true) => "deflate+obfuscated",
                (false, false) => "stored",
                (false, true) => "stored+obfuscated",
            }
            .to_owned(),
        );
        entry.compressed_size = Some(fd.compressed);
        let src = match source(&self.h, i, &fd).and_then(|(si, src)| {
            let raw = stored_bytes(&self.h, si, &src, &self.volumes)?;
            Ok((raw, src))
        }) {
            Ok(s) => s,
            Err(error) => {
                return Some(Entry {
                    name,
                    info: entry,
                    data: Data::Missing {
                        size: fd.expanded,
                        error,
                    },
                })
            }
        };
        let (mut raw, src) = src;
        let key: RangeKey = (
            src.volume,
            src.data_offset,
            src.compressed,
            src.expanded,
            src.flags,
            src.md5,
        );
        if src.flags & FILE_SPLIT == 0 && src.compressed > 0 {
            if let Some((of, outcome)) = self.ranges.get(&key) {
                match outcome {
                    Some(Ok(())) => entry.add_verified(Check::InstallshieldMd5),
                    Some(Err(e)) => entry.add_error(e.clone()),
                    None => {}
                }
                return Some(Entry {
                    name,
                    info: entry,
                    data: Data::Copy { of: *of },
                });
            }
            self.ranges.insert(key, (index, None));
            self.reading = Some(key);
        }
        if src.flags & FILE_OBFUSCATED != 0 {
            deobfuscate(raw.to_mut());
        }
        self.raw = raw;
        self.md5 = Md5::new();
        self.want = src.md5.filter(|m| m.iter().any(|&b| b != 0));
        let stored = Some(self.raw.len() as u64);
        let reader: Box<dyn Read + '_> = if src.flags & FILE_COMPRESSED != 0 {
            Box::new(Chunks {
                raw: &self.raw,
                pos: 0,
                out: Vec::new(),
                out_pos: 0,
            })
        } else {
            Box::new(&self.raw[..])
        };
        // The file table's MD5, computed as the bytes stream.
        let md5 = &mut self.md5;
        let see = move |b: &[u8]| md5.update(b);
        Some(Entry {
            name,
            info: entry,
            data: Data::Decode {
                reader: Box::new(Inspect { inner: reader, see }),
                declared: Some(src.expanded),
                stored,
            },
        })
    }

    fn entry_read(
        &mut self,
        read: std::result::Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        let reading = self.reading.take();
        let (Ok(_), Some(want)) = (read, self.want.take()) else {
            return;
        };
        let got: [u8; 16] = std::mem::replace(&mut self.md5, Md5::new())
            .finalize()
            .into();
        let outcome = if got == want {
            info.add_verified(Check::InstallshieldMd5);
            Ok(())
        } else {
            let e = Error::checksum(format!(
                "MD5 of the unpacked file is {}, the cabinet's file table stores {}",
                hex(&got),
                hex(&want)
            ));
            info.add_error(e.clone());
            Err(e)
        };
        if let Some(r) = reading.and_then(|k| self.ranges.get_mut(&k)) {
            r.1 = Some(outcome);
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::InstallShield,
            metadata: Some(Metadata::InstallShield(Box::new(self.info.into()))),
        }
    }
}

/// The stored bytes of file `index` (descriptor `fd`), gathered from its
/// volume(s).
fn stored_bytes<'v>(
    h: &Header<'_>,
    index: u32,
    fd: &Fd,
    volumes: &[(u32, &'v [u8])],
) -> Result<std::borrow::Cow<'v, [u8]>> {
    let total = if fd.flags & FILE_COMPRESSED != 0 {
        fd.compressed
    } else {
        fd.expanded
    };
    let vol = |n: u32| volumes.iter().find(|v| v.0 == n).map(|v| v.1);
    let mut number = fd.volume.max(1);
    // Version 5 and below name no volume: the first whose range holds it.
    if h.major <= 5 {
        while let Some(v) = vol(number).and_then(|d| volume_header(d, h.major)) {
            if u64::from(index) <= v.last_index {
                break;
            }
            number += 1;
        }
    }
    let Some(first) = vol(number) else {
        return Err(Error::unsupported(format!(
            "data in volume {number}, which is not present"
        )));
    };
    if fd.flags & FILE_SPLIT == 0 {
        let start = usize::try_from(fd.data_offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(total).unwrap_or(usize::MAX));
        return first
            .get(start..end)
            .map(std::borrow::Cow::Borrowed)
            .ok_or_else(|| {
                Error::truncated(format!(
                    "{total} bytes at {start:#x} run past volume {number} ({} bytes)",
                    first.len()
                ))
            });
    }
    // A split file: its part in each volume from the volume headers.
    let available: u64 = volumes.iter().map(|v| v.1.len() as u64).sum();
    if total > available {
        return Err(Error::truncated(format!(
            "split file of {total} bytes, volumes hold {available}"
        )));
    }
    let mut out = Vec::new();
    let compressed = fd.flags & FILE_COMPRESSED != 0;
    while (out.len() as u64) < total {
        let Some(d) = vol(number) else {
            return Err(Error::truncated(format!(
                "split file continues in volume {number}, which is not present"
            )));
        };
        let v = volume_header(d, h.major)
            .ok_or_else(|| Error::truncated(format!("volume {number} has no volume header")))?;
        let (off, exp, comp) = if u64::from(index) == v.last_index && v.last_offset != 0x7FFF_FFFF {
            (v.last_offset, v.last_expanded, v.last_compressed)
        } else if u64::from(index) == v.first_index {
            (v.first_offset, v.first_expanded, v.first_compressed)
        } else {
            return Err(Error::malformed(format!(
                "split file {index} is neither first nor last of volume {number}"
            )));
        };
        let n = if compressed { comp } else { exp }.min(total - out.len() as u64);
        let start = usize::try_from(off).unwrap_or(usize::MAX);
        let part = d
            .get(start..start.saturating_add(usize::try_from(n).unwrap_or(usize::MAX)))
            .ok_or_else(|| Error::truncated(format!("split part runs past volume {number}")))?;
        if part.is_empty() {
            return Err(Error::malformed(format!(
                "empty split part in volume {number}"
            )));
        }
        out.extend_from_slice(part);
        number = number.saturating_add(1);
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// unshield's obfuscation, undone in place; `seed` counts bytes from the
/// start of the file's stored data.
fn deobfuscate(buf: &mut [u8]) {
    for (seed, b) in buf.iter_mut().enumerate() {
        *b = (*b ^ 0xd5)
            .rotate_right(2)
            .wrapping_sub((seed % 0x47) as u8);
    }
}

/// unshield's compression: chunks of `u16` length + raw deflate, each
/// decoded on its own.
struct Chunks<'a> {
    raw: &'a [u8],
    pos: usize,
    out: Vec<u8>,
    out_pos: usize,
}

impl Chunks<'_> {
    fn next_chunk(&mut self) -> std::io::Result<bool> {
        let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
        if self.pos >= self.raw.len() {
            return Ok(false);
        }
        let len = le_u16(self.raw, self.pos).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "chunk length cut short")
        })? as usize;
        if len == 0 {
            return Err(bad(format!("zero-length chunk at {:#x}", self.pos)));
        }
        let start = self.pos + 2;
        let chunk = self.raw.get(start..start + len).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("chunk of {len} bytes at {start:#x} runs past the data"),
            )
        })?;
        self.pos = start + len;
        let mut z = flate2::Decompress::new(false);
        self.out.clear();
        self.out_pos = 0;
        let mut input = chunk;
        loop {
            if self.out.len() >= MAX_CHUNK_OUT {
                return Err(bad(format!("chunk decodes past {MAX_CHUNK_OUT} bytes")));
            }
            self.out.reserve(64 << 10);
            let before_in = z.total_in();
            let before_out = z.total_out();
            let status = z
                .decompress_vec(input, &mut self.out, flate2::FlushDecompress::Sync)
                .map_err(|e| bad(format!("deflate: {e}")))?;
            let used = usize::try_from(z.total_in() - before_in).unwrap_or(usize::MAX);
            input = input.get(used..).unwrap_or(&[]);
            if status == flate2::Status::StreamEnd || input.is_empty() {
                break;
            }
            if z.total_in() == before_in && z.total_out() == before_out {
                return Err(bad("deflate made no progress".into()));
            }
        }
        Ok(true)
    }
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if !self.next_chunk()? {
                return Ok(0);
            }
        }
        let rest = self.out.get(self.out_pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or(&mut [])
            .copy_from_slice(rest.get(..n).unwrap_or(&[]));
        self.out_pos += n;
        Ok(n)
    }
}

/// The file whose data file `index` (descriptor `fd`) has: a duplicate's
/// data is the file it links to. (Its index and descriptor.)
fn source(h: &Header<'_>, index: u32, fd: &Fd) -> Result<(u32, Fd)> {
    let mut src = fd.clone();
    let mut src_index = index;
    let mut seen = HashSet::new();
    while src.link_flags & LINK_PREV != 0 {
        if !seen.insert(src_index) || seen.len() > MAX_LINKS {
            return Err(Error::malformed(format!(
                "file {index}: duplicate links loop or run deeper than {MAX_LINKS}"
            )));
        }
        src_index = src.link_prev;
        src = h.descriptor(src_index).ok_or_else(|| {
            Error::malformed(format!("file {index} links to missing file {src_index}"))
        })?;
    }
    Ok((src_index, src))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions_as_unshield_derives_them() {
        assert_eq!(major_version(0x0100_9500), 9);
        assert_eq!(major_version(0x0100_5000), 5);
        assert_eq!(major_version(0x0200_07d0), 20);
        assert_eq!(major_version(0x0400_0000), 0);
        assert_eq!(major_version(0), 0);
    }

    #[test]
    fn header_parse_rejects_cut_and_hostile_tables() {
        assert!(Header::parse(b"ISc(").is_err());
        let mut d = vec![0u8; 0x400];
        d[..4].copy_from_slice(SIGNATURE);
        d[4..8].copy_from_slice(&0x0100_9500u32.to_le_bytes());
        d[12..16].copy_from_slice(&0x100u32.to_le_bytes());
        d[16..20].copy_from_slice(&0x200u32.to_le_bytes());
        // 2^32-1 directories: the table cannot fit.
        d[0x100 + 0x1c..0x100 + 0x20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(Header::parse(&d), Err(Error::Truncated { .. })));
        d[0x100 + 0x1c..0x100 + 0x20].copy_from_slice(&0u32.to_le_bytes());
        let h = Header::parse(&d).expect("empty table");
        assert_eq!((h.dirs, h.files, h.major), (0, 0, 9));
        assert!(h.descriptor(0).is_none());
    }

    #[test]
    fn deobfuscation_matches_unshield() {
        // unshield: b' = ror8(b ^ 0xd5, 2) - (seed % 0x47).
        let mut b = [0xd5u8, 0x00, 0xff];
        deobfuscate(&mut b);
        assert_eq!(
            b,
            [
                0x00,
                0x75u8.wrapping_sub(1),
                0x2a_u8.rotate_right(2).wrapping_sub(2)
            ]
        );
    }
}
