//! ISO 9660 disk images (install media), with Joliet and Rock Ridge names;
//! UDF is [`crate::udf`]'s: the files are listed as regions of the image.
//!
//! Layout (ECMA-119; Joliet; IEEE P1282 Rock Ridge over SUSP P1281; El
//! Torito; ECMA-167 for UDF's volume recognition sequence):
//! - Volume descriptors from sector 16 (2048 bytes each): type, `CD001`,
//!   version. Type 1 is the primary descriptor (logical block size at 128,
//!   volume size at 80, the root directory record at 156), type 2 a
//!   supplementary one (Joliet when its escape sequence at 88 is `%/@`,
//!   `%/C` or `%/E`: names in UCS-2 big-endian), type 0 a boot record (El
//!   Torito: `EL TORITO SPECIFICATION` and the boot catalog's block at
//!   0x47), 255 the terminator. UDF's `BEA01`, `NSR02`/`NSR03`, `TEA01`
//!   descriptors follow in the same sectors.
//! - A directory is an extent of records: length, extent block (at 2),
//!   data length (at 10), flags (at 25: 0x02 directory, 0x80 not the last
//!   extent of a file), name length (at 32), name, then the system use area
//!   where Rock Ridge keeps SUSP entries (`SP` in the root's `.` record says
//!   they are there and how many bytes to skip; `NM` the POSIX name, `CE` a
//!   continuation area, `CL`/`RE` a relocated deep directory). A record of
//!   length 0 pads to the next sector.
//!
//! Behaviour:
//! - One tree is walked: Joliet's when the image has it (as `7zz` does),
//!   else the primary one, named by Rock Ridge `NM` where present, else by
//!   the ISO name without its `;1` version and a trailing `.`. A Rock Ridge
//!   deep directory moved under `rr_moved` is walked at its original place
//!   (`CL`) and not again under `rr_moved` (`RE`), as bsdtar shows it.
//! - Files are children named by their path; their bytes are the extent, a
//!   region of the image. A file of several extents (flag 0x80) is their
//!   concatenation: one region when they follow each other, else streamed
//!   from the pieces. Directories are counted, not children.
//! - Each directory extent is walked once: one reached again (a loop, or two
//!   records sharing a directory) is a `malformed` error and not walked
//!   again; directory bytes read in all (with Rock Ridge continuation areas)
//!   may not exceed the image's size (overlapping directories); nesting
//!   deeper than [`Limits::max_dir_depth`] is not walked (a `limit` error).
//! - An extent past the end of the image is a `Missing` child with a
//!   `truncated` error.
//! - El Torito: the boot catalog's entries are in the metadata and each
//!   boot image is a child `[BOOT]/Boot-<media>.img` (7-Zip's names), its
//!   size the catalog's sector count × 512 for no-emulation images (the
//!   floppy size for floppy emulation).
//! - UDF: an image with `NSR02`/`NSR03` is opened by [`crate::udf`] first
//!   (its handler comes before this one; 7-Zip too lists a bridge image's
//!   UDF tree). This module reads it only when the UDF structures cannot be
//!   read (the errors say why): the ISO 9660 tree is then listed, with the
//!   UDF named in the metadata (`udf`); an image that is UDF alone (no ISO
//!   9660 tree) is format `udf` with an `unsupported` error.
//!
//! [`Limits::max_dir_depth`]: installsift_model::Limits::max_dir_depth

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{le_u16, le_u32, Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::limits::Limit;
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Read;

/// Bytes per sector (volume descriptors, directory padding).
const SECTOR: usize = 2048;
/// Offset of the first volume descriptor (sector 16).
const FIRST_VD: usize = 16 * SECTOR;
/// Volume descriptors read at most before giving up on a terminator.
const MAX_DESCRIPTORS: usize = 64;
/// Rock Ridge continuation areas followed per record.
const MAX_CONTINUATIONS: usize = 16;

/// ISO 9660 / UDF facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IsoInfo {
    /// The primary volume descriptor's volume identifier.
    pub volume_id: String,
    /// Its system identifier.
    pub system_id: String,
    /// Logical block size (2048 on every real image).
    pub block_size: u32,
    /// Volume size in blocks.
    pub volume_blocks: u32,
    /// Joliet level (1–3), when a Joliet descriptor is present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joliet: Option<u8>,
    /// Rock Ridge entries (SUSP `SP`) in the primary tree.
    pub rock_ridge: bool,
    /// Where the names come from: `joliet`, `rock-ridge` or `iso9660`.
    pub names: String,
    /// Files listed.
    pub files: u64,
    /// Directories walked.
    pub directories: u64,
    /// Files stored in several extents.
    pub multi_extent_files: u64,
    /// El Torito boot catalog, when the image is bootable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub el_torito: Option<ElTorito>,
    /// UDF volume recognition descriptors seen (`NSR02`, `NSR03`), when
    /// the image carries UDF (its file system is not listed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udf: Option<String>,
}

/// An El Torito boot catalog.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ElTorito {
    /// Block of the catalog.
    pub catalog_block: u32,
    /// Platform of the validation entry (0 x86, 1 PowerPC, 2 Mac, 0xEF EFI).
    pub platform: u8,
    /// The bootable images.
    pub entries: Vec<BootEntry>,
}

/// One boot image of the catalog.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BootEntry {
    /// Bootable (indicator 0x88).
    pub bootable: bool,
    /// `no-emulation`, `floppy-1.2M`, `floppy-1.44M`, `floppy-2.88M`, `hard-disk`.
    pub media: String,
    /// Block of the image.
    pub load_block: u32,
    /// 512-byte sectors loaded.
    pub sector_count: u16,
    /// Platform of its section (the validation entry's for the default).
    pub platform: u8,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "iso",
    format: Format::Iso,
    sniff,
    open,
};

/// `CD001` (ISO 9660) or `BEA01` (UDF) in the descriptor at sector 16.
pub fn sniff(data: &[u8]) -> bool {
    matches!(
        data.get(FIRST_VD + 1..FIRST_VD + 6),
        Some(b"CD001") | Some(b"BEA01")
    )
}

/// Both-endian 32-bit field: the little-endian half.
fn both32(d: &[u8], at: usize) -> Option<u32> {
    le_u32(d, at)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim_end().to_string()
}

/// What the volume descriptors give.
#[derive(Default)]
struct Descriptors {
    primary_root: Option<usize>,
    joliet_root: Option<(usize, u8)>,
    boot_catalog: Option<u32>,
    udf: Vec<String>,
    iso: bool,
}

fn descriptors(data: &[u8], notes: &mut Notes) -> Descriptors {
    let mut d = Descriptors::default();
    let mut terminated = false;
    for k in 0..MAX_DESCRIPTORS {
        let at = FIRST_VD + k * SECTOR;
        let Some(vd) = data.get(at..at + SECTOR) else {
            if !terminated {
                notes.error(
                    Error::truncated(format!(
                        "volume descriptor at offset {at} is cut short (no terminator before it)"
                    ))
                    .at(at as u64),
                );
            }
            break;
        };
        let id = vd.get(1..6).unwrap_or_default();
        match id {
            b"CD001" if !terminated => {
                d.iso = true;
                match vd.first() {
                    Some(0) if vd.get(7..30) == Some(b"EL TORITO SPECIFICATION") => {
                        d.boot_catalog = le_u32(vd, 0x47);
                    }
                    Some(1) if d.primary_root.is_none() => d.primary_root = Some(at + 156),
                    Some(2) => {
                        let level = match vd.get(88..91) {
                            Some(b"%/@") => 1,
                            Some(b"%/C") => 2,
                            Some(b"%/E") => 3,
                            _ => 0,
                        };
                        if level > 0 && d.joliet_root.is_none() {
                            d.joliet_root = Some((at + 156, level));
                        }
                    }
                    Some(255) => terminated = true,
                    _ => {}
                }
            }
            b"BEA01" | b"NSR02" | b"NSR03" | b"TEA01" => {
                d.udf.push(String::from_utf8_lossy(id).into_owned());
                if id == b"TEA01" {
                    break;
                }
            }
            b"CD001" => {}
            // Past the terminator and no UDF: the descriptors end here.
            _ if terminated || !d.udf.is_empty() => break,
            _ => {
                notes.error(
                    Error::malformed(format!(
                        "volume descriptor at offset {at} has no `CD001` identifier and no terminator came before it"
                    ))
                    .at(at as u64),
                );
                break;
            }
        }
    }
    d
}

/// Open an ISO 9660 image (or a UDF one, detected only).
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let d = descriptors(data, notes);
    let mut info = IsoInfo {
        udf: d
            .udf
            .iter()
            .find(|s| s.starts_with("NSR"))
            .cloned()
            .or_else(|| (!d.udf.is_empty()).then(|| d.udf.join(","))),
        ..IsoInfo::default()
    };
    if info.udf.is_some() {
        notes.evidence(Evidence::strong(
            "udf-descriptors",
            format!("UDF volume recognition: {}", d.udf.join(", ")),
            Some(FIRST_VD as u64),
        ));
    }
    let Some(pvd_root) = d.primary_root else {
        let format = if info.udf.is_some() && !d.iso {
            notes.error(Error::unsupported(
                "UDF file system: detected, not listed (no ISO 9660 tree beside it)",
            ));
            Format::Udf
        } else {
            notes.error(
                Error::malformed("ISO 9660 image without a primary volume descriptor")
                    .at(FIRST_VD as u64),
            );
            Format::Iso
        };
        return Opened::Leaf(Parsed {
            format,
            metadata: Some(Metadata::Iso(Box::new(info))),
        });
    };
    let pvd = pvd_root - 156;
    notes.evidence(Evidence::strong(
        "iso9660-descriptor",
        "ISO 9660 primary volume descriptor (`CD001`)",
        Some(pvd as u64),
    ));
    info.system_id = text(data.get(pvd + 8..pvd + 40).unwrap_or_default());
    info.volume_id = text(data.get(pvd + 40..pvd + 72).unwrap_or_default());
    info.volume_blocks = both32(data, pvd + 80).unwrap_or(0);
    let block = le_u16(data, pvd + 128).unwrap_or(0);
    info.block_size = u32::from(block);
    let block = match block {
        512 | 1024 | 2048 => usize::from(block),
        b => {
            notes.error(
                Error::malformed(format!(
                    "logical block size {b} (offset {}) is not 512, 1024 or 2048; 2048 assumed",
                    pvd + 128
                ))
                .at((pvd + 128) as u64),
            );
            SECTOR
        }
    };
    if data.len() < FIRST_VD + SECTOR * 2 {
        notes.error(Error::truncated("image ends in its volume descriptors").at(data.len() as u64));
    }
    // Rock Ridge: an `SP` entry in the primary root's `.` record.
    let rr_skip = rock_ridge_sp(data, pvd_root, block);
    info.rock_ridge = rr_skip.is_some();
    let (root, names) = match d.joliet_root {
        Some((r, level)) => {
            info.joliet = Some(level);
            (r, Names::Joliet)
        }
        None => match rr_skip {
            Some(skip) => (pvd_root, Names::RockRidge(skip)),
            None => (pvd_root, Names::Iso),
        },
    };
    info.names = match names {
        Names::Joliet => "joliet",
        Names::RockRidge(_) => "rock-ridge",
        Names::Iso => "iso9660",
    }
    .into();
    let mut walk = Walk {
        data,
        block,
        names,
        max_depth: opts.limits.max_dir_depth,
        stack: Vec::new(),
        visited: HashSet::new(),
        dir_bytes: 0,
        pending_boot: Vec::new(),
        info,
        current: None,
    };
    if let Some(cat) = d.boot_catalog {
        walk.boot_catalog(cat, notes);
    }
    match Record::parse(data, root) {
        Some(r) if r.is_dir() => walk.enter(r.extent, r.size, String::new(), 0, root, notes),
        _ => notes.error(
            Error::malformed(format!(
                "root directory record at offset {root} is not a directory"
            ))
            .at(root as u64),
        ),
    }
    Opened::Container(Box::new(walk))
}

/// The root's `SP` entry: Rock Ridge is used; its skip count.
fn rock_ridge_sp(data: &[u8], root: usize, block: usize) -> Option<usize> {
    let r = Record::parse(data, root)?;
    let at = r.extent_offset(block)?;
    let dot = Record::parse(data, at)?;
    let su = data.get(dot.system_use.clone())?;
    (su.get(0..2) == Some(b"SP") && su.get(4..6) == Some(&[0xBE, 0xEF]))
        .then(|| su.get(6).map_or(0, |&s| usize::from(s)))
}

#[derive(Clone, Copy)]
enum Names {
    Joliet,
    /// SUSP bytes to skip at the start of each system use area.
    RockRidge(usize),
    Iso,
}

/// The recording time of the directory record at `at` (bytes 18–24:
/// years since 1900, month, day, hour, minute, second, and the zone in
/// 15-minute steps from UTC, -48..=52), as UTC; `None` when the fields
/// name no time (all zeros, as some writers leave them).
fn record_time(data: &[u8], at: usize) -> Option<installsift_model::Timestamp> {
    let t = data.get(at.checked_add(18)?..at.checked_add(25)?)?;
    let zone = i64::from(t[6] as i8);
    installsift_model::Timestamp::civil(
        1900 + i64::from(t[0]),
        u32::from(t[1]),
        u32::from(t[2]),
        u32::from(t[3]),
        u32::from(t[4]),
        u32::from(t[5]),
        Some(if (-48..=52).contains(&zone) {
            zone * 15
        } else {
            0
        }),
    )
}

/// A directory record.
struct Record {
    len: usize,
    extent: u32,
    size: u32,
    flags: u8,
    name: std::ops::Range<usize>,
    system_use: std::ops::Range<usize>,
}

impl Record {
    fn parse(data: &[u8], at: usize) -> Option<Record> {
        let len = usize::from(*data.get(at)?);
        if len < 34 {
            return None;
        }
        let rec = data.get(at..at + len)?;
        let name_len = usize::from(*rec.get(32)?);
        let name_end = 33 + name_len;
        if name_end > len {
            return None;
        }
        let su = name_end + usize::from(name_len % 2 == 0);
        Some(Record {
            len,
            extent: both32(rec, 2)?,
            size: both32(rec, 10)?,
            flags: *rec.get(25)?,
            name: at + 33..at + name_end,
            system_use: at + su.min(len)..at + len,
        })
    }

    fn is_dir(&self) -> bool {
        self.flags & 2 != 0
    }

    fn extent_offset(&self, block: usize) -> Option<usize> {
        usize::try_from(self.extent).ok()?.checked_mul(block)
    }
}

/// Rock Ridge facts of one record.
#[derive(Default)]
struct RockRidge {
    name: Option<Vec<u8>>,
    /// `CL`: a relocated directory's block.
    child_link: Option<u32>,
    /// `RE`: this is a relocated directory (walked from its `CL`).
    relocated: bool,
}

/// A directory to walk.
struct Dir {
    at: usize,
    end: usize,
    path: String,
    depth: u32,
}

/// A file being assembled from its extents (flag 0x80 on all but the last).
struct Pending {
    path: String,
    record_at: usize,
    pieces: Vec<(usize, usize)>,
    size: u64,
    missing: Option<Error>,
}

/// The walk over the chosen tree, one file at a time.
struct Walk<'a> {
    data: &'a [u8],
    block: usize,
    names: Names,
    max_depth: u32,
    stack: Vec<Dir>,
    visited: HashSet<u32>,
    /// Directory bytes read so far (with continuation areas).
    dir_bytes: u64,
    pending_boot: Vec<(String, usize, usize)>,
    info: IsoInfo,
    current: Option<Pending>,
}

impl<'a> Walk<'a> {
    /// Queue the directory at block `extent` (`size` bytes), reached from
    /// the record at `from`.
    fn enter(
        &mut self,
        extent: u32,
        size: u32,
        path: String,
        depth: u32,
        from: usize,
        notes: &mut Notes,
    ) {
        if depth > self.max_depth {
            notes.error(Error::limit(
                Limit::MaxDirDepth,
                format!(
                    "directory `{path}` is nested {depth} deep; deeper than {} is not walked",
                    self.max_depth
                ),
            ));
            return;
        }
        if !self.visited.insert(extent) {
            notes.error(
                Error::malformed(format!(
                    "directory `{path}` (record at offset {from}) points at block {extent}, a directory already walked (a loop or a shared directory); not walked again"
                ))
                .at(from as u64),
            );
            return;
        }
        let Some(at) = usize::try_from(extent)
            .ok()
            .and_then(|e| e.checked_mul(self.block))
        else {
            return;
        };
        let size = size as usize;
        self.dir_bytes = self.dir_bytes.saturating_add(size as u64);
        if self.dir_bytes > self.data.len() as u64 {
            notes.error(
                Error::malformed(format!(
                    "directory `{path}` (record at offset {from}): directories add up to more bytes than the image holds (they overlap); not walked"
                ))
                .at(from as u64),
            );
            return;
        }
        let end = at.saturating_add(size);
        if end > self.data.len() {
            notes.error(
                Error::truncated(format!(
                    "directory `{path}` at offset {at} ({size} bytes) runs past the end of the image ({} bytes)",
                    self.data.len()
                ))
                .at(at as u64),
            );
        }
        self.info.directories += 1;
        self.stack.push(Dir {
            at,
            end: end.min(self.data.len()),
            path,
            depth,
        });
    }

    /// The name of a record in the chosen tree, and its Rock Ridge facts.
    fn name_of(&mut self, r: &Record, notes: &mut Notes) -> (String, RockRidge) {
        let raw = self.data.get(r.name.clone()).unwrap_or_default();
        let mut rr = RockRidge::default();
        match self.names {
            Names::Joliet => {
                let units: Vec<u16> = raw
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                (clean_iso(&String::from_utf16_lossy(&units)), rr)
            }
            Names::RockRidge(skip) => {
                self.susp(r, skip, &mut rr, notes);
                let name = match &rr.name {
                    Some(n) => String::from_utf8_lossy(n).into_owned(),
                    None => clean_iso(&String::from_utf8_lossy(raw)),
                };
                (name, rr)
            }
            Names::Iso => (clean_iso(&String::from_utf8_lossy(raw)), rr),
        }
    }

    /// Read a record's SUSP entries (and its continuation areas).
    fn susp(&mut self, r: &Record, skip: usize, rr: &mut RockRidge, notes: &mut Notes) {
        let mut area = (r.system_use.start.saturating_add(skip), r.system_use.end);
        for _ in 0..=MAX_CONTINUATIONS {
            let mut next = None;
            let mut at = area.0;
            while at + 4 <= area.1 {
                let Some(e) = self.data.get(at..area.1) else {
                    break;
                };
                let len = usize::from(e.get(2).copied().unwrap_or(0));
                if len < 4 || len > e.len() {
                    break;
                }
                let body = e.get(4..len).unwrap_or_default();
                match e.get(0..2) {
                    Some(b"NM") => {
                        let flags = body.first().copied().unwrap_or(0);
                        // CURRENT / PARENT name no file.
                        if flags & 6 == 0 {
                            rr.name
                                .get_or_insert_with(Vec::new)
                                .extend_from_slice(body.get(1..).unwrap_or_default());
                        }
                    }
                    Some(b"CL") => rr.child_link = both32(body, 0),
                    Some(b"RE") => rr.relocated = true,
                    Some(b"CE") => {
                        let (Some(blk), Some(off), Some(n)) =
                            (both32(body, 0), both32(body, 8), both32(body, 16))
                        else {
                            break;
                        };
                        let start = usize::try_from(blk)
                            .ok()
                            .and_then(|b| b.checked_mul(self.block))
                            .and_then(|b| b.checked_add(off as usize));
                        next = start.map(|s| (s, s.saturating_add(n as usize)));
                    }
                    Some(b"ST") => break,
                    _ => {}
                }
                at += len;
            }
            let Some((s, e)) = next else { return };
            self.dir_bytes = self.dir_bytes.saturating_add((e - s) as u64);
            if e > self.data.len() || self.dir_bytes > self.data.len() as u64 {
                notes.error(
                    Error::malformed(format!(
                        "Rock Ridge continuation area at offset {s} ({} bytes) lies outside the image or overlaps what was read",
                        e - s
                    ))
                    .at(r.system_use.start as u64),
                );
                return;
            }
            area = (s, e);
        }
    }

    /// Read the El Torito boot catalog at block `cat`.
    fn boot_catalog(&mut self, cat: u32, notes: &mut Notes) {
        let Some(at) = usize::try_from(cat)
            .ok()
            .and_then(|c| c.checked_mul(self.block))
        else {
            return;
        };
        let Some(c) = self.data.get(at..at + SECTOR) else {
            notes.error(
                Error::truncated(format!(
                    "El Torito boot catalog at offset {at} lies past the end of the image"
                ))
                .at(at as u64),
            );
            return;
        };
        if c.first() != Some(&1) || c.get(0x1E..0x20) != Some(&[0x55, 0xAA]) {
            notes.error(
                Error::malformed(format!(
                    "El Torito boot catalog at offset {at} has no validation entry"
                ))
                .at(at as u64),
            );
            return;
        }
        let sum = c
            .get(..32)
            .unwrap_or_default()
            .chunks_exact(2)
            .fold(0u16, |s, w| {
                s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
            });
        if sum != 0 {
            notes.error(
                Error::checksum(format!(
                    "El Torito validation entry at offset {at}: its words sum to {sum:#06x}, not 0"
                ))
                .at(at as u64),
            );
        }
        let platform = c.get(1).copied().unwrap_or(0);
        let mut et = ElTorito {
            catalog_block: cat,
            platform,
            entries: Vec::new(),
        };
        notes.evidence(Evidence::strong(
            "el-torito",
            format!("El Torito boot catalog at block {cat}"),
            Some(at as u64),
        ));
        // The default entry, then section headers (0x90, 0x91 last) with
        // their entries; 32 bytes each, within the catalog's sector.
        let mut k = 32;
        let mut section_platform = platform;
        let mut in_section = 0u16;
        let mut last = false;
        let mut first = true;
        while let Some(e) = c.get(k..k + 32) {
            k += 32;
            let head = e.first().copied().unwrap_or(0);
            if !first && in_section == 0 {
                if head != 0x90 && head != 0x91 {
                    break;
                }
                if last {
                    break;
                }
                last = head == 0x91;
                section_platform = e.get(1).copied().unwrap_or(0);
                in_section = le_u16(e, 2).unwrap_or(0);
                continue;
            }
            if !first {
                in_section -= 1;
            }
            first = false;
            if head != 0x88 && head != 0x00 {
                continue;
            }
            let media = match e.get(1).map(|m| m & 0x0F) {
                Some(0) => "no-emulation",
                Some(1) => "floppy-1.2M",
                Some(2) => "floppy-1.44M",
                Some(3) => "floppy-2.88M",
                Some(4) => "hard-disk",
                _ => "unknown",
            };
            let b = BootEntry {
                bootable: head == 0x88,
                media: media.into(),
                load_block: le_u32(e, 8).unwrap_or(0),
                sector_count: le_u16(e, 6).unwrap_or(0),
                platform: section_platform,
            };
            let size = match media {
                "floppy-1.2M" => 1_228_800,
                "floppy-1.44M" => 1_474_560,
                "floppy-2.88M" => 2_949_120,
                _ => usize::from(b.sector_count) * 512,
            };
            let name = match media {
                "no-emulation" => "Boot-NoEmul.img",
                "floppy-1.2M" => "Boot-1.2M.img",
                "floppy-1.44M" => "Boot-1.44M.img",
                "floppy-2.88M" => "Boot-2.88M.img",
                _ => "Boot-HardDisk.img",
            };
            let n = self.pending_boot.len();
            let name = if n == 0 {
                format!("[BOOT]/{name}")
            } else {
                format!("[BOOT]/{}-{name}", n + 1)
            };
            if let Some(start) = usize::try_from(b.load_block)
                .ok()
                .and_then(|l| l.checked_mul(self.block))
            {
                self.pending_boot.push((name, start, size));
            }
            et.entries.push(b);
            if et.entries.len() >= 64 {
                break;
            }
        }
        self.info.el_torito = Some(et);
    }

    /// Walk records until a file is complete: its entry.
    fn step(&mut self, notes: &mut Notes) -> Option<Pending> {
        loop {
            let dir = self.stack.last_mut()?;
            if dir.at >= dir.end {
                self.stack.pop();
                continue;
            }
            let at = dir.at;
            let (path, depth) = (dir.path.clone(), dir.depth);
            let len = usize::from(self.data.get(at).copied().unwrap_or(0));
            if len == 0 {
                // Padding to the next sector.
                let next = (at / SECTOR + 1) * SECTOR;
                if let Some(d) = self.stack.last_mut() {
                    d.at = next;
                }
                continue;
            }
            let Some(r) = Record::parse(self.data, at)
                .filter(|r| at + r.len <= self.stack.last().map_or(0, |d| d.end))
            else {
                notes.error(
                    Error::malformed(format!(
                        "directory record at offset {at} (in `{}`) is shorter than 34 bytes or runs past its directory; the rest of the directory is not read",
                        if path.is_empty() { "/" } else { &path }
                    ))
                    .at(at as u64),
                );
                self.stack.pop();
                continue;
            };
            if let Some(d) = self.stack.last_mut() {
                d.at = at + r.len;
            }
            let raw = self.data.get(r.name.clone()).unwrap_or_default();
            if raw == [0] || raw == [1] {
                continue;
            }
            let (name, rr) = self.name_of(&r, notes);
            if rr.relocated {
                continue;
            }
            let full = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            // A file whose extents (flag 0x80) were not followed by its
            // next one: it ends here, said; this record is read again.
            if let Some(p) = self
                .current
                .take_if(|p| p.path != full || r.is_dir() || rr.child_link.is_some())
            {
                notes.error(
                    Error::malformed(format!(
                        "file `{}` (record at offset {}): its extents end without a last one",
                        p.path, p.record_at
                    ))
                    .at(p.record_at as u64),
                );
                if let Some(d) = self.stack.last_mut() {
                    d.at = at;
                }
                return Some(p);
            }
            if let Some(cl) = rr.child_link {
                // A deep directory moved to `rr_moved`: walked here; its size
                // is its own `.` record's.
                let size = usize::try_from(cl)
                    .ok()
                    .and_then(|c| c.checked_mul(self.block))
                    .and_then(|o| Record::parse(self.data, o))
                    .map_or(0, |dot| dot.size);
                self.enter(cl, size, full, depth + 1, at, notes);
                continue;
            }
            if r.is_dir() {
                self.enter(r.extent, r.size, full, depth + 1, at, notes);
                continue;
            }
            let piece = r.extent_offset(self.block).map(|s| (s, r.size as usize));
            let more = r.flags & 0x80 != 0;
            let mut p = self.current.take().unwrap_or(Pending {
                path: full,
                record_at: at,
                pieces: Vec::new(),
                size: 0,
                missing: None,
            });
            p.size = p.size.saturating_add(u64::from(r.size));
            match piece.filter(|&(s, n)| s.checked_add(n).is_some_and(|e| e <= self.data.len())) {
                Some(pc) => p.pieces.push(pc),
                None => {
                    p.missing.get_or_insert_with(|| {
                        Error::truncated(format!(
                            "file `{}`: its extent at block {} ({} bytes) lies past the end of the image ({} bytes)",
                            p.path,
                            r.extent,
                            r.size,
                            self.data.len()
                        ))
                        .at(at as u64)
                    });
                }
            }
            if more && p.pieces.len() < 1 << 16 {
                self.current = Some(p);
                continue;
            }
            return Some(p);
        }
    }
}

/// An ISO or Joliet name without its `;N` version and a trailing `.`.
fn clean_iso(n: &str) -> String {
    let n = match n.rfind(';') {
        Some(i)
            if n.get(i + 1..)
                .is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit())) =>
        {
            n.get(..i).unwrap_or(n)
        }
        _ => n,
    };
    let n = n.strip_suffix('.').filter(|s| !s.is_empty()).unwrap_or(n);
    n.to_string()
}

/// A file's extents that do not follow each other, read in turn.
struct Pieces<'a> {
    data: &'a [u8],
    pieces: Vec<(usize, usize)>,
    k: usize,
    at: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(&(s, n)) = self.pieces.get(self.k) {
            if self.at >= n {
                self.k += 1;
                self.at = 0;
                continue;
            }
            let src = self.data.get(s + self.at..s + n).unwrap_or_default();
            let m = src.len().min(buf.len());
            if m == 0 {
                self.k += 1;
                self.at = 0;
                continue;
            }
            if let (Some(d), Some(s)) = (buf.get_mut(..m), src.get(..m)) {
                d.copy_from_slice(s);
            }
            self.at += m;
            return Ok(m);
        }
        Ok(0)
    }
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        if !self.pending_boot.is_empty() {
            let (name, start, size) = self.pending_boot.remove(0);
            let mut info = EntryInfo::new(EntryKind::File).at(start as u64);
            info.key = Some("El Torito boot image".into());
            let data = match self.data.get(start..start.saturating_add(size)) {
                Some(b) => Data::Slice(b),
                None => Data::Missing {
                    size: size as u64,
                    error: Error::truncated(format!(
                        "El Torito boot image at offset {start} ({size} bytes) runs past the end of the image"
                    ))
                    .at(start as u64),
                },
            };
            return Some(Entry { name, info, data });
        }
        let p = match self.step(notes) {
            Some(p) => p,
            None => {
                let p = self.current.take()?;
                notes.error(
                    Error::malformed(format!(
                        "file `{}` (record at offset {}): its extents end without a last one",
                        p.path, p.record_at
                    ))
                    .at(p.record_at as u64),
                );
                p
            }
        };
        self.info.files += 1;
        let first = p.pieces.first().map_or(0, |&(s, _)| s);
        let info = EntryInfo::new(EntryKind::File)
            .at(first as u64)
            .modified(record_time(self.data, p.record_at));
        if p.pieces.len() > 1 {
            self.info.multi_extent_files += 1;
        }
        let data = if let Some(error) = p.missing {
            Data::Missing {
                size: p.size,
                error,
            }
        } else if p.pieces.len() <= 1 {
            let (s, n) = p.pieces.first().copied().unwrap_or((0, 0));
            Data::Slice(self.data.get(s..s + n).unwrap_or_default())
        } else if p.pieces.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0) {
            // Extents that follow each other: one region.
            let size = usize::try_from(p.size).unwrap_or(usize::MAX);
            Data::Slice(
                self.data
                    .get(first..first.saturating_add(size))
                    .unwrap_or_default(),
            )
        } else {
            Data::Decode {
                reader: Box::new(Pieces {
                    data: self.data,
                    pieces: p.pieces,
                    k: 0,
                    at: 0,
                }),
                declared: Some(p.size),
                stored: Some(p.size),
            }
        };
        Some(Entry {
            name: p.path,
            info,
            data,
        })
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Iso,
            metadata: Some(Metadata::Iso(Box::new(self.info))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed, Listing};
    use crate::test_support::sample;
    use installsift_model::Limits;
    use sha2::Digest as _;

    type Row = (String, u64, String);

    fn rows(l: &Listing, data: &[u8]) -> Vec<Row> {
        let mut v: Vec<Row> = l
            .entries
            .iter()
            .map(|(name, _, listed)| {
                let b: &[u8] = match listed {
                    Listed::Slice { at, len } => &data[*at..at + len],
                    Listed::Decoded(Ok(b)) => b,
                    other => panic!("{name}: {other:?}"),
                };
                let sha = installsift_model::hash::to_hex(&sha2::Sha256::digest(b));
                (name.clone(), b.len() as u64, sha)
            })
            .collect();
        v.sort();
        v
    }

    fn reference(tsv: &str) -> Vec<Row> {
        crate::test_support::reference_rows(tsv)
    }

    fn info(l: &Listing) -> &IsoInfo {
        match &l.parsed.metadata {
            Some(Metadata::Iso(i)) => i,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn listing_without_the_engine() {
        for (s, tsv, names) in [
            ("plain", "iso__plain.iso.tsv", "iso9660"),
            ("joliet", "iso__joliet.iso.tsv", "joliet"),
            ("joliet_rr", "iso__joliet_rr.iso.tsv", "joliet"),
            ("rockridge", "iso__rockridge.iso.bsdtar.tsv", "rock-ridge"),
            ("eltorito", "iso__eltorito.iso.tsv", "joliet"),
            ("multi_extent", "iso__multi_extent.iso.tsv", "iso9660"),
        ] {
            let d = sample(&format!("iso/{s}.iso")).expect("sample");
            let l = list(open, &d, &Limits::default(), 100);
            assert!(l.notes.errors.is_empty(), "{s}: {:?}", l.notes.errors);
            assert_eq!(rows(&l, &d), reference(tsv), "{s}");
            assert_eq!(info(&l).names, names, "{s}");
            // Stopped early: no false damage.
            let l = list(open, &d, &Limits::default(), 1);
            assert!(l.notes.errors.is_empty(), "{s}: {:?}", l.notes.errors);
        }
        let d = sample("iso/eltorito.iso").expect("sample");
        let l = list(open, &d, &Limits::default(), 100);
        let et = info(&l).el_torito.as_ref().expect("El Torito");
        assert_eq!(et.entries.len(), 1);
        assert_eq!(
            (
                et.entries[0].media.as_str(),
                et.entries[0].sector_count,
                et.entries[0].bootable
            ),
            ("no-emulation", 4, true)
        );
        let d = sample("iso/multi_extent.iso").expect("sample");
        let l = list(open, &d, &Limits::default(), 100);
        assert_eq!(info(&l).multi_extent_files, 1);
        // Its extents do not all follow each other: streamed from the pieces.
        assert!(l
            .entries
            .iter()
            .any(|(n, _, x)| n == "SPLIT.BIN" && matches!(x, Listed::Decoded(Ok(_)))));
    }

    /// Offset of the `HELLO.TXT` record in multi_extent.iso's root (block 18,
    /// after `.` and `..`).
    const HELLO: usize = 18 * 2048 + 68;

    #[test]
    fn a_directory_reached_twice_is_an_error_not_a_loop() {
        let mut d = sample("iso/multi_extent.iso").expect("sample");
        d[HELLO + 2..HELLO + 6].copy_from_slice(&18u32.to_le_bytes());
        d[HELLO + 25] = 2;
        let l = list(open, &d, &Limits::default(), 100);
        let e = &l.notes.errors[0];
        assert_eq!((e.kind(), e.offset()), ("malformed", Some(HELLO as u64)));
        assert!(e.to_string().contains("already walked"), "{e}");
        assert_eq!(l.entries.len(), 1, "SPLIT.BIN still listed");
    }

    #[test]
    fn damage_is_said_and_read_around() {
        // An extent past the end: missing, truncated, at its record.
        let mut d = sample("iso/multi_extent.iso").expect("sample");
        d[HELLO + 2..HELLO + 6].copy_from_slice(&0x00FF_FFFFu32.to_le_bytes());
        let l = list(open, &d, &Limits::default(), 100);
        let (_, _, x) = l
            .entries
            .iter()
            .find(|(n, _, _)| n == "HELLO.TXT")
            .expect("hello");
        let Listed::Missing { error, size } = x else {
            panic!("{x:?}")
        };
        assert_eq!(
            (error.kind(), error.offset(), *size),
            ("truncated", Some(HELLO as u64), 24)
        );
        // Multi-extent file whose last extent is missing: said.
        let mut d = sample("iso/multi_extent.iso").expect("sample");
        let last = HELLO + 3 * 44; // HELLO.TXT;1 and SPLIT.BIN;1 records are 44 bytes
        d[last + 25] = 0x80;
        let l = list(open, &d, &Limits::default(), 100);
        assert!(
            l.notes
                .errors
                .iter()
                .any(|e| e.to_string().contains("without a last one")),
            "{:?}",
            l.notes.errors
        );
        // Cut in the middle of the files: no panic, the cut said.
        let d = sample("iso/plain.iso").expect("sample");
        for cut in [100, 32_770, 40_000, 60_000, d.len() - 5_000] {
            let l = list(open, &d[..cut], &Limits::default(), 100);
            assert!(
                !l.notes.errors.is_empty()
                    || l.entries
                        .iter()
                        .any(|e| matches!(e.2, Listed::Missing { .. })),
                "cut at {cut}"
            );
        }
        // Nesting deeper than max_dir_depth: not walked, a limit error.
        let limits = Limits {
            max_dir_depth: 3,
            ..Limits::default()
        };
        let l = list(open, &d, &limits, 100);
        assert_eq!(l.notes.errors[0].kind(), "limit-exceeded");
        assert!(!l.entries.iter().any(|(n, _, _)| n.ends_with("LEAF.TXT")));
    }

    #[test]
    fn udf_alone_is_named_not_listed() {
        let mut d = vec![0u8; 20 * SECTOR];
        for (k, id) in [b"BEA01", b"NSR02", b"TEA01"].iter().enumerate() {
            let at = FIRST_VD + k * SECTOR;
            d[at + 1..at + 6].copy_from_slice(*id);
            d[at + 6] = 1;
        }
        assert!(sniff(&d));
        let l = list(open, &d, &Limits::default(), 100);
        assert_eq!(l.parsed.format, Format::Udf);
        assert_eq!(info(&l).udf.as_deref(), Some("NSR02"));
        assert_eq!(l.notes.errors[0].kind(), "unsupported");
        assert!(l.entries.is_empty());
    }
}
