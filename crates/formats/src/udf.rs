//! UDF file systems (ECMA-167 / OSTA UDF 1.02–2.60, read-only): the install
//! media of Windows and Office, whose ISO 9660 side holds only a README. The
//! files are listed as regions of the image (or streamed from their extents).
//!
//! Layout (ECMA-167 parts 3 and 4; OSTA UDF 2.60):
//! - Every descriptor starts with a 16-byte tag: identifier (u16), version,
//!   checksum (byte 4: the sum of bytes 0–3 and 5–15), serial, CRC (u16 at
//!   8, CRC-ITU-T over `CRC length` (u16 at 10) bytes after the tag), and
//!   the tag's own block (u32 at 12).
//! - The Anchor Volume Descriptor Pointer (tag 2) lies at block 256 (else at
//!   the last block, or 256 before it): the Main and Reserve Volume
//!   Descriptor Sequences' extents (at 16 and 24).
//! - The sequence: Primary VD (1), Partition Descriptors (5: number at 22,
//!   start block at 188, length at 192), the Logical Volume Descriptor (6:
//!   block size at 212, the domain's UDF revision at 216+24, the File Set
//!   Descriptor's `long_ad` at 248, partition maps at 440), a pointer to
//!   the next extent (3), the terminator (8).
//! - Partition maps: type 1 names a partition descriptor; type 2
//!   `*UDF Metadata Partition` (UDF 2.50+) names one too, and the block
//!   of its metadata file (a File Entry of type 250 in it) whose data is
//!   the metadata partition: the file set, directories and File Entries.
//!   `*UDF Sparable Partition` and `*UDF Virtual Partition` are not read.
//! - File Set Descriptor (256): the root directory's ICB at 400.
//! - File Entry (261) and Extended File Entry (266): ICB tag at 16 (file
//!   type at 27: 4 a directory; flags at 34: the allocation descriptors'
//!   kind), information length (u64 at 56), `L_EA`/`L_AD` at 168/172 (FE)
//!   or 208/212 (EFE), then the extended attributes and the allocation
//!   descriptors: `short_ad` (8 bytes, same partition), `long_ad` (16),
//!   `ext_ad` (20), or the data itself (embedded). An extent's length's top
//!   two bits: 0 recorded, 1 allocated only, 2 neither (both read as zeros),
//!   3 the next Allocation Extent Descriptor (258).
//! - File Identifier Descriptors (257) make a directory's data: flags at 18
//!   (2 directory, 4 deleted, 8 parent), `L_FI` at 19, the ICB's `long_ad`
//!   at 20, `L_IU` at 36, then the implementation use and the name in OSTA
//!   CS0 (a compression id, 8 or 16 bits per character, then the
//!   characters), padded to 4 bytes.
//!
//! Behaviour:
//! - Files are children named by their full path (as `7zz l` names them);
//!   their bytes are a region of the image when their recorded extents
//!   follow each other, else streamed from the extents, unrecorded ones
//!   read as zeros (as 7-Zip does). Directories are counted, not children.
//! - A tag whose checksum or CRC does not match is a `checksum` error on the
//!   image (on the file, for a file's own File Entry); what it says is still
//!   read. A tag with the wrong identifier is `malformed`: that node is not
//!   read.
//! - Every directory ICB is walked once (a loop, or a directory shared, is
//!   `malformed`); nesting deeper than [`Limits::max_dir_depth`] is a
//!   `limit` error; directory bytes and allocation-extent bytes read in all
//!   may not exceed the image's size; every extent must lie in the image
//!   (a file's that does not is `Missing`, `truncated`).
//!
//! [`Limits::max_dir_depth`]: installsift_model::Limits::max_dir_depth

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{le_u16, le_u32, le_u64, Handler, Metadata, Parsed};
use installsift_model::error::{context, Error};
use installsift_model::limits::Limit;
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Read;

/// Where the volume recognition sequence starts (byte 32 768).
const VRS: usize = 16 * 2048;
/// Volume recognition descriptors looked at (2048 bytes apart).
const VRS_DESCRIPTORS: usize = 32;
/// Descriptors read in one volume descriptor sequence (pointers included).
const MAX_VDS_DESCRIPTORS: usize = 256;
/// Allocation Extent Descriptors followed for one file.
const MAX_AD_CONTINUATIONS: usize = 1024;
/// Partition maps read.
const MAX_PARTITION_MAPS: usize = 64;

/// UDF facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UdfInfo {
    /// Volume recognition descriptors seen (`NSR02` UDF ≤ 1.50, `NSR03` 2.00+).
    pub recognition: String,
    /// Whether an ISO 9660 tree (`CD001`) lies beside it (a bridge image; the
    /// UDF tree is the one listed, as 7-Zip does).
    pub iso9660_bridge: bool,
    /// The UDF revision of the logical volume's domain (`1.02`, `2.50`, …).
    pub revision: String,
    /// Logical block size.
    pub block_size: u32,
    /// Block of the anchor used (256, or the last block's fallback).
    pub anchor_block: u64,
    /// The Primary Volume Descriptor's volume identifier.
    pub volume_id: String,
    /// The Logical Volume Descriptor's identifier.
    pub logical_volume_id: String,
    /// The partition maps, in order: `physical #N`, `metadata on #N`, or the
    /// kind not read (`sparable`, `virtual`).
    pub partition_maps: Vec<String>,
    /// Files listed.
    pub files: u64,
    /// Directories walked.
    pub directories: u64,
    /// Files whose data is embedded in their File Entry.
    pub embedded_files: u64,
    /// Files whose extents do not follow each other (or hold unrecorded ones).
    pub fragmented_files: u64,
}

/// Dispatch entry: before ISO 9660's (7-Zip opens a bridge image as UDF).
pub(crate) const HANDLER: Handler = Handler {
    name: "udf",
    format: Format::Udf,
    sniff,
    open,
};

/// `NSR02` or `NSR03` among the volume recognition descriptors at 32 KiB.
pub fn sniff(data: &[u8]) -> bool {
    (0..VRS_DESCRIPTORS).any(|k| {
        let at = VRS + k * 2048;
        matches!(data.get(at + 1..at + 6), Some(b"NSR02") | Some(b"NSR03"))
    })
}

/// CRC-ITU-T (polynomial 0x1021, initial 0, not reflected), ECMA-167 7.2.6.
const CRC_TABLE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000 != 0 {
                (c << 1) ^ 0x1021
            } else {
                c << 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// The descriptor CRC of `b`.
pub fn crc_itu(b: &[u8]) -> u16 {
    b.iter().fold(0u16, |c, &x| {
        (c << 8) ^ CRC_TABLE[usize::from(((c >> 8) as u8) ^ x)]
    })
}

/// A descriptor tag's problems with its checksum or CRC, if any (`d`: the
/// bytes from the tag on, as many as are at hand).
fn tag_check(d: &[u8]) -> Option<String> {
    let sum = d
        .get(..16)?
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != 4)
        .fold(0u8, |s, (_, &b)| s.wrapping_add(b));
    let stored = *d.get(4)?;
    if sum != stored {
        return Some(format!(
            "tag checksum {stored:#04x}, its bytes sum to {sum:#04x}"
        ));
    }
    let len = usize::from(le_u16(d, 10)?);
    let want = le_u16(d, 8)?;
    match d.get(16..16 + len) {
        None => Some(format!(
            "CRC length {len} runs past the {} bytes of the descriptor",
            d.len().saturating_sub(16)
        )),
        Some(body) => {
            let got = crc_itu(body);
            (got != want).then(|| format!("descriptor CRC {want:#06x}, computed {got:#06x}"))
        }
    }
}

/// Whether `d` starts with a tag `id` whose checksum matches (for finding
/// the anchor: a block that merely starts with the right two bytes is not one).
fn tag_is(d: &[u8], id: u16) -> bool {
    le_u16(d, 0) == Some(id)
        && d.get(..16).is_some_and(|t| {
            t.iter()
                .enumerate()
                .filter(|&(k, _)| k != 4)
                .fold(0u8, |s, (_, &b)| s.wrapping_add(b))
                == t[4]
        })
}

/// An OSTA CS0 string (compression id 8/254: one byte per character;
/// 16/255: UTF-16 big-endian).
fn cs0(b: &[u8]) -> String {
    match b.split_first() {
        Some((8 | 254, rest)) => rest.iter().map(|&c| char::from(c)).collect(),
        Some((16 | 255, rest)) => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => String::new(),
    }
}

/// A `dstring` of `b.len()` bytes: its used length in the last byte.
fn dstring(b: &[u8]) -> String {
    let n = b.last().map_or(0, |&n| usize::from(n));
    cs0(b
        .get(..n.min(b.len().saturating_sub(1)))
        .unwrap_or_default())
}

/// A piece of a file or directory: bytes of the image, or zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Image { at: usize, len: usize },
    Zeros(u64),
}

impl Piece {
    fn len(&self) -> u64 {
        match *self {
            Piece::Image { len, .. } => len as u64,
            Piece::Zeros(n) => n,
        }
    }
}

/// A partition as a partition map makes it.
#[derive(Debug, Clone)]
enum Part {
    /// Blocks `start..start + len` of the image.
    Physical { start: u64, len: u64 },
    /// The metadata file's data, in the image.
    Metadata(Vec<Piece>),
    /// A kind not read (sparable, virtual, a map naming no partition).
    Unsupported(String),
}

/// An extent as an allocation descriptor gives it.
#[derive(Debug, Clone, Copy)]
struct Ext {
    len: u32,
    kind: u8,
    block: u32,
    part: u16,
}

/// The volume: the image, its block size and partitions.
struct Volume<'a> {
    data: &'a [u8],
    bs: usize,
    parts: Vec<Part>,
    /// Allocation-extent bytes read so far (bounded by the image).
    ad_bytes: u64,
}

impl<'a> Volume<'a> {
    /// The image pieces of `len` bytes from block `block` of partition `part`.
    fn map(&self, block: u32, part: u16, len: u64) -> Result<Vec<Piece>, Error> {
        let p = self.parts.get(usize::from(part)).ok_or_else(|| {
            Error::malformed(format!(
                "partition reference {part}, but the volume has {} partition maps",
                self.parts.len()
            ))
        })?;
        match p {
            Part::Physical { start, len: plen } => {
                let blocks = len.div_ceil(self.bs as u64);
                if u64::from(block).saturating_add(blocks) > *plen {
                    return Err(Error::malformed(format!(
                        "extent at block {block} ({len} bytes) runs past partition {part} ({plen} blocks)"
                    )));
                }
                let at = start
                    .checked_add(u64::from(block))
                    .and_then(|b| b.checked_mul(self.bs as u64));
                match at.and_then(|a| Some((a, a.checked_add(len)?))) {
                    Some((a, e)) if e <= self.data.len() as u64 => Ok(vec![Piece::Image {
                        at: a as usize,
                        len: len as usize,
                    }]),
                    _ => Err(Error::truncated(format!(
                        "extent at block {block} of partition {part} ({len} bytes) lies past the end of the image ({} bytes)",
                        self.data.len()
                    ))),
                }
            }
            Part::Metadata(pieces) => {
                let from = u64::from(block) * self.bs as u64;
                let to = from.checked_add(len).ok_or_else(|| {
                    Error::malformed(format!("extent at block {block}: {len} bytes overflow"))
                })?;
                let mut out = Vec::new();
                let mut pos = 0u64;
                for pc in pieces {
                    let (s, e) = (pos, pos + pc.len());
                    pos = e;
                    if e <= from || s >= to {
                        continue;
                    }
                    let a = from.max(s) - s;
                    let b = to.min(e) - s;
                    out.push(match *pc {
                        Piece::Image { at, .. } => Piece::Image {
                            at: at + a as usize,
                            len: (b - a) as usize,
                        },
                        Piece::Zeros(_) => Piece::Zeros(b - a),
                    });
                    if e >= to {
                        break;
                    }
                }
                if pos < to {
                    return Err(Error::malformed(format!(
                        "extent at block {block} of the metadata partition ({len} bytes) runs past it ({pos} bytes)"
                    )));
                }
                Ok(out)
            }
            Part::Unsupported(kind) => Err(Error::unsupported(format!(
                "partition {part} is a {kind} partition, not read"
            ))),
        }
    }

    /// One block (a descriptor): its image offset and bytes.
    fn block(&self, block: u32, part: u16) -> Result<(usize, &'a [u8]), Error> {
        match self.map(block, part, self.bs as u64)?.as_slice() {
            [Piece::Image { at, len }] => {
                Ok((*at, self.data.get(*at..at + len).unwrap_or_default()))
            }
            _ => Err(Error::malformed(format!(
                "block {block} of partition {part} is not recorded in one piece"
            ))),
        }
    }

    /// The allocation descriptors of a File Entry (`ads`, of kind `kind`),
    /// continuation extents followed: the extents, or why not.
    fn extents(&mut self, ads: &'a [u8], kind: u16, icb_part: u16) -> Result<Vec<Ext>, Error> {
        let size = match kind {
            0 => 8,
            1 => 16,
            2 => 20,
            _ => {
                return Err(Error::malformed(format!(
                    "allocation descriptor kind {kind}"
                )))
            }
        };
        let mut out = Vec::new();
        let mut area = ads;
        let mut seen = HashSet::new();
        for _ in 0..=MAX_AD_CONTINUATIONS {
            let mut next = None;
            for ad in area.chunks_exact(size) {
                let raw = le_u32(ad, 0).unwrap_or(0);
                let (len, ty) = (raw & 0x3FFF_FFFF, (raw >> 30) as u8);
                let (block, part) = match kind {
                    0 => (le_u32(ad, 4).unwrap_or(0), icb_part),
                    1 => (le_u32(ad, 4).unwrap_or(0), le_u16(ad, 8).unwrap_or(0)),
                    _ => (le_u32(ad, 12).unwrap_or(0), le_u16(ad, 16).unwrap_or(0)),
                };
                if len == 0 {
                    break;
                }
                if ty == 3 {
                    next = Some((block, part, len));
                    break;
                }
                out.push(Ext {
                    len,
                    kind: ty,
                    block,
                    part,
                });
            }
            let Some((block, part, len)) = next else {
                return Ok(out);
            };
            if !seen.insert((block, part)) {
                return Err(Error::malformed(format!(
                    "allocation extent at block {block} of partition {part} is reached twice (a loop)"
                )));
            }
            let (at, b) = self.block(block, part)?;
            self.ad_bytes = self.ad_bytes.saturating_add(self.bs as u64);
            if self.ad_bytes > self.data.len() as u64 {
                return Err(Error::malformed(
                    "allocation extents add up to more bytes than the image holds",
                ));
            }
            if le_u16(b, 0) != Some(258) {
                return Err(Error::malformed(format!(
                    "block {block} of partition {part} (offset {at}) is not an Allocation Extent Descriptor"
                ))
                .at(at as u64));
            }
            let n = le_u32(b, 20).unwrap_or(0) as usize;
            let n = n.min(len as usize).min(b.len().saturating_sub(24));
            area = b.get(24..24 + n).unwrap_or_default();
        }
        Err(Error::malformed(format!(
            "more than {MAX_AD_CONTINUATIONS} allocation extents for one file"
        )))
    }

    /// The image pieces of `extents`, cut at `size` bytes.
    fn pieces(&self, extents: &[Ext], size: u64) -> Result<Vec<Piece>, Error> {
        let mut out: Vec<Piece> = Vec::new();
        let mut have = 0u64;
        for e in extents {
            if have >= size {
                break;
            }
            let len = u64::from(e.len).min(size - have);
            have += len;
            if e.kind == 0 {
                for p in self.map(e.block, e.part, len)? {
                    match (out.last_mut(), p) {
                        (Some(Piece::Image { at, len }), Piece::Image { at: a2, len: l2 })
                            if *at + *len == a2 =>
                        {
                            *len += l2
                        }
                        _ => out.push(p),
                    }
                }
            } else {
                match out.last_mut() {
                    Some(Piece::Zeros(n)) => *n += len,
                    _ => out.push(Piece::Zeros(len)),
                }
            }
        }
        if have < size {
            return Err(Error::malformed(format!(
                "its extents hold {have} bytes, its File Entry says {size}"
            )));
        }
        Ok(out)
    }
}

/// A File Entry or Extended File Entry, read.
struct Fe<'a> {
    /// Offset of the entry in the image.
    at: usize,
    file_type: u8,
    size: u64,
    /// The allocation descriptors' kind (0 short, 1 long, 2 extended, 3 embedded).
    ad_kind: u16,
    /// The allocation descriptors (or the embedded data), and where they start.
    ads: &'a [u8],
    ads_at: usize,
    /// A checksum or CRC mismatch in its tag.
    bad_tag: Option<Error>,
    /// Its modification time.
    mtime: Option<installsift_model::Timestamp>,
}

/// An ECMA-167 timestamp (1/7.3): type and zone (type 0 UTC, 1 local time
/// at the zone's offset in minutes, a 12-bit signed value, -2047 when not
/// given), year, month, day, hour, minute, second. A local time with no
/// zone is the packer's local time.
fn udf_time(t: &[u8]) -> Option<installsift_model::Timestamp> {
    let tz_type = le_u16(t, 0)?;
    let year = i16::from_le_bytes([*t.get(2)?, *t.get(3)?]);
    let tz = i64::from(tz_type & 0xFFF);
    let tz = if tz >= 0x800 { tz - 0x1000 } else { tz };
    let offset = match tz_type >> 12 {
        0 => Some(0),
        1 if tz != -2047 && (-1440..=1440).contains(&tz) => Some(tz),
        _ => None,
    };
    installsift_model::Timestamp::civil(
        i64::from(year),
        u32::from(*t.get(4)?),
        u32::from(*t.get(5)?),
        u32::from(*t.get(6)?),
        u32::from(*t.get(7)?),
        u32::from(*t.get(8)?),
        offset,
    )
}

/// Read the File Entry at block `block` of partition `part`.
fn read_fe<'a>(v: &Volume<'a>, block: u32, part: u16) -> Result<Fe<'a>, Error> {
    let (at, b) = v.block(block, part)?;
    let id = le_u16(b, 0).unwrap_or(0);
    let base = match id {
        261 => 176,
        266 => 216,
        259 => {
            return Err(Error::unsupported(format!(
                "ICB at offset {at} is an Indirect Entry (strategy 4096), not followed"
            ))
            .at(at as u64))
        }
        _ => {
            return Err(Error::malformed(format!(
                "block {block} of partition {part} (offset {at}) is not a File Entry (tag {id})"
            ))
            .at(at as u64))
        }
    };
    let bad_tag = tag_check(b)
        .map(|m| Error::checksum(format!("File Entry at offset {at}: {m}")).at(at as u64));
    let (l_ea, l_ad) = if id == 261 { (168, 172) } else { (208, 212) };
    let l_ea = le_u32(b, l_ea).unwrap_or(0) as usize;
    let l_ad = le_u32(b, l_ad).unwrap_or(0) as usize;
    let start = base + l_ea.min(b.len());
    let ads = b
        .get(start..start.saturating_add(l_ad))
        .ok_or_else(|| {
            Error::malformed(format!(
                "File Entry at offset {at}: extended attributes ({l_ea} bytes) and allocation descriptors ({l_ad} bytes) do not fit its block"
            ))
            .at(at as u64)
        })?;
    Ok(Fe {
        at,
        file_type: b.get(27).copied().unwrap_or(0),
        size: le_u64(b, 56).unwrap_or(0),
        ad_kind: le_u16(b, 34).unwrap_or(0) & 7,
        ads,
        ads_at: at + start,
        bad_tag,
        // Modification time: at 84 in a File Entry, 92 in an Extended one.
        mtime: b
            .get(if id == 261 { 84..96 } else { 92..104 })
            .and_then(udf_time),
    })
}

/// The contents of a File Entry: pieces of the image (embedded data too).
fn contents<'a>(v: &mut Volume<'a>, fe: &Fe<'a>, part: u16) -> Result<Vec<Piece>, Error> {
    if fe.ad_kind == 3 {
        if fe.size > fe.ads.len() as u64 {
            return Err(Error::malformed(format!(
                "File Entry at offset {}: {} bytes embedded, its size says {}",
                fe.at,
                fe.ads.len(),
                fe.size
            ))
            .at(fe.at as u64));
        }
        return Ok(vec![Piece::Image {
            at: fe.ads_at,
            len: fe.size as usize,
        }]);
    }
    let ext = v.extents(fe.ads, fe.ad_kind, part)?;
    v.pieces(&ext, fe.size)
}

/// A directory to walk: its FIDs, its path.
struct Dir {
    bytes: Vec<u8>,
    pos: usize,
    path: String,
    depth: u32,
    /// Image offset of its File Entry (for errors).
    at: usize,
}

/// The walk over the file set, one file at a time.
struct Walk<'a> {
    vol: Volume<'a>,
    max_depth: u32,
    stack: Vec<Dir>,
    visited: HashSet<(u16, u32)>,
    dir_bytes: u64,
    info: UdfInfo,
}

impl<'a> Walk<'a> {
    /// Queue the directory whose ICB is at `block` of `part`.
    fn enter(&mut self, block: u32, part: u16, path: String, depth: u32, notes: &mut Notes) {
        let shown = if path.is_empty() { "/" } else { path.as_str() };
        if depth > self.max_depth {
            notes.error(Error::limit(
                Limit::MaxDirDepth,
                format!(
                    "directory `{shown}` is nested {depth} deep; deeper than {} is not walked",
                    self.max_depth
                ),
            ));
            return;
        }
        if !self.visited.insert((part, block)) {
            notes.error(Error::malformed(format!(
                "directory `{shown}` points at block {block} of partition {part}, a directory already walked (a loop or a shared directory); not walked again"
            )));
            return;
        }
        let fe = match read_fe(&self.vol, block, part) {
            Ok(fe) => fe,
            Err(e) => {
                notes.error(context(e, &format!("directory `{shown}`")));
                return;
            }
        };
        if let Some(e) = &fe.bad_tag {
            notes.error(context(e.clone(), &format!("directory `{shown}`")));
        }
        if fe.file_type != 4 {
            notes.error(
                Error::malformed(format!(
                    "directory `{shown}`: its File Entry at offset {} has file type {}, not a directory",
                    fe.at, fe.file_type
                ))
                .at(fe.at as u64),
            );
            return;
        }
        self.dir_bytes = self.dir_bytes.saturating_add(fe.size);
        if self.dir_bytes > self.vol.data.len() as u64 {
            notes.error(
                Error::malformed(format!(
                    "directory `{shown}` ({} bytes): directories add up to more bytes than the image holds; not walked",
                    fe.size
                ))
                .at(fe.at as u64),
            );
            return;
        }
        let pieces = match contents(&mut self.vol, &fe, part) {
            Ok(p) => p,
            Err(e) => {
                let e = context(e, &format!("directory `{shown}`"));
                let e = if e.offset().is_some() {
                    e
                } else {
                    e.at(fe.at as u64)
                };
                notes.error(e);
                return;
            }
        };
        // Bounded: the directories' sizes add up to no more than the image.
        let mut bytes = Vec::with_capacity(usize::try_from(fe.size).unwrap_or(0));
        for p in pieces {
            match p {
                Piece::Image { at, len } => {
                    bytes.extend_from_slice(self.vol.data.get(at..at + len).unwrap_or_default())
                }
                Piece::Zeros(n) => bytes.resize(bytes.len() + n as usize, 0),
            }
        }
        self.info.directories += 1;
        self.stack.push(Dir {
            bytes,
            pos: 0,
            path,
            depth,
            at: fe.at,
        });
    }

    /// Walk File Identifier Descriptors until a file: its path and ICB.
    fn step(&mut self, notes: &mut Notes) -> Option<(String, u32, u16)> {
        loop {
            let dir = self.stack.last_mut()?;
            let rest = dir.bytes.get(dir.pos..).unwrap_or_default();
            if rest.is_empty() {
                self.stack.pop();
                continue;
            }
            let shown = if dir.path.is_empty() {
                "/"
            } else {
                dir.path.as_str()
            };
            if le_u16(rest, 0) != Some(257) || rest.len() < 38 {
                if rest.iter().any(|&b| b != 0) {
                    notes.error(
                        Error::malformed(format!(
                            "directory `{shown}` (File Entry at offset {}): byte {} of its data is not a File Identifier Descriptor; the rest of the directory is not read",
                            dir.at, dir.pos
                        ))
                        .at(dir.at as u64),
                    );
                }
                self.stack.pop();
                continue;
            }
            let l_fi = usize::from(rest.get(19).copied().unwrap_or(0));
            let l_iu = usize::from(le_u16(rest, 36).unwrap_or(0));
            let used = 38 + l_iu + l_fi;
            let Some(fid) = rest.get(..used) else {
                notes.error(
                    Error::malformed(format!(
                        "directory `{shown}` (File Entry at offset {}): the File Identifier Descriptor at byte {} runs past its data",
                        dir.at, dir.pos
                    ))
                    .at(dir.at as u64),
                );
                self.stack.pop();
                continue;
            };
            let padded = used.div_ceil(4) * 4;
            if let Some(m) = tag_check(rest.get(..padded).unwrap_or(fid)) {
                notes.error(
                    Error::checksum(format!(
                        "directory `{shown}`: File Identifier Descriptor at byte {}: {m}",
                        dir.pos
                    ))
                    .at(dir.at as u64),
                );
            }
            dir.pos += padded;
            let flags = fid.get(18).copied().unwrap_or(0);
            if flags & 0x0C != 0 {
                // Deleted, or the parent.
                continue;
            }
            let name = cs0(fid.get(38 + l_iu..).unwrap_or_default());
            let path = if dir.path.is_empty() {
                name
            } else {
                format!("{}/{name}", dir.path)
            };
            let depth = dir.depth;
            let block = le_u32(fid, 24).unwrap_or(0);
            let part = le_u16(fid, 28).unwrap_or(0);
            if flags & 0x02 != 0 {
                self.enter(block, part, path, depth + 1, notes);
                continue;
            }
            return Some((path, block, part));
        }
    }
}

/// A file's pieces that do not make one region, read in turn (zeros for
/// unrecorded extents).
struct Pieces<'a> {
    data: &'a [u8],
    pieces: Vec<Piece>,
    k: usize,
    at: u64,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(&p) = self.pieces.get(self.k) {
            let left = p.len().saturating_sub(self.at);
            if left == 0 || buf.is_empty() {
                if buf.is_empty() {
                    return Ok(0);
                }
                self.k += 1;
                self.at = 0;
                continue;
            }
            let m = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            let Some(dst) = buf.get_mut(..m) else {
                return Ok(0);
            };
            match p {
                Piece::Image { at, .. } => {
                    let s = at + self.at as usize;
                    match self.data.get(s..s + m) {
                        Some(src) => dst.copy_from_slice(src),
                        None => {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "extent past the end of the image",
                            ))
                        }
                    }
                }
                Piece::Zeros(_) => dst.fill(0),
            }
            self.at += m as u64;
            return Ok(m);
        }
        Ok(0)
    }
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        let (name, block, part) = self.step(notes)?;
        self.info.files += 1;
        let fe = match read_fe(&self.vol, block, part) {
            Ok(fe) => fe,
            Err(e) => {
                return Some(Entry {
                    name,
                    info: EntryInfo::new(EntryKind::File),
                    data: Data::Missing { size: 0, error: e },
                })
            }
        };
        let mut info = EntryInfo::new(EntryKind::File)
            .at(fe.at as u64)
            .modified(fe.mtime);
        if let Some(e) = fe.bad_tag.clone() {
            info = info.with_error(e);
        }
        let pieces = match contents(&mut self.vol, &fe, part) {
            Ok(p) => p,
            Err(e) => {
                let e = if e.offset().is_some() {
                    e
                } else {
                    e.at(fe.at as u64)
                };
                return Some(Entry {
                    name,
                    info,
                    data: Data::Missing {
                        size: fe.size,
                        error: e,
                    },
                });
            }
        };
        if fe.ad_kind == 3 {
            self.info.embedded_files += 1;
        }
        let data = match pieces.as_slice() {
            [] => Data::Slice(&[]),
            [Piece::Image { at, len }] => {
                info = info.at(*at as u64);
                Data::Slice(self.vol.data.get(*at..at + len).unwrap_or_default())
            }
            _ => {
                self.info.fragmented_files += 1;
                Data::Decode {
                    reader: Box::new(Pieces {
                        data: self.vol.data,
                        pieces,
                        k: 0,
                        at: 0,
                    }),
                    declared: Some(fe.size),
                    stored: None,
                }
            }
        };
        Some(Entry { name, info, data })
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Udf,
            metadata: Some(Metadata::Udf(Box::new(self.info))),
        }
    }
}

/// The anchor: block size and block, or `None`.
fn anchor(data: &[u8]) -> Option<(usize, u64)> {
    for bs in [2048usize, 512, 1024, 4096] {
        let last = (data.len() / bs) as u64;
        let mut at = vec![256u64];
        if let Some(l) = last.checked_sub(1) {
            at.push(l);
            if let Some(m) = l.checked_sub(256) {
                at.push(m);
            }
        }
        for b in at {
            let Some(off) = usize::try_from(b).ok().and_then(|b| b.checked_mul(bs)) else {
                continue;
            };
            let Some(d) = data.get(off..off.saturating_add(bs)) else {
                continue;
            };
            if tag_is(d, 2) && le_u32(d, 12).map(u64::from) == Some(b) {
                return Some((bs, b));
            }
        }
    }
    None
}

/// What a volume descriptor sequence gives.
#[derive(Default)]
struct Vds<'a> {
    /// Primary VD: (sequence number, bytes).
    pvd: Option<(u32, &'a [u8])>,
    /// Logical VD: (sequence number, bytes).
    lvd: Option<(u32, &'a [u8])>,
    /// Partition descriptors by number: (start block, length in blocks).
    partitions: Vec<(u16, u64, u64)>,
}

/// Read the volume descriptor sequence at `block` (`len` bytes).
fn vds<'a>(data: &'a [u8], bs: usize, block: u32, len: u32, notes: &mut Notes) -> Vds<'a> {
    let mut v = Vds::default();
    let (mut block, mut left) = (u64::from(block), u64::from(len) / bs as u64);
    let mut seen = HashSet::new();
    let mut n = 0;
    while left > 0 && n < MAX_VDS_DESCRIPTORS {
        n += 1;
        let Some(at) = usize::try_from(block).ok().and_then(|b| b.checked_mul(bs)) else {
            break;
        };
        let Some(d) = data.get(at..at.saturating_add(bs)) else {
            notes.error(
                Error::truncated(format!(
                    "volume descriptor at block {block} lies past the end of the image"
                ))
                .at(at as u64),
            );
            break;
        };
        let id = le_u16(d, 0).unwrap_or(0);
        if !(1..=8).contains(&id) {
            notes.error(
                Error::malformed(format!(
                    "block {block} (offset {at}) in the volume descriptor sequence holds tag {id}, not a volume descriptor"
                ))
                .at(at as u64),
            );
            break;
        }
        if let Some(m) = tag_check(d) {
            notes.error(
                Error::checksum(format!("volume descriptor (tag {id}) at offset {at}: {m}"))
                    .at(at as u64),
            );
        }
        let seq = le_u32(d, 16).unwrap_or(0);
        match id {
            1 if v.pvd.is_none_or(|(s, _)| seq >= s) => v.pvd = Some((seq, d)),
            5 => {
                let num = le_u16(d, 22).unwrap_or(0);
                let p = (
                    num,
                    u64::from(le_u32(d, 188).unwrap_or(0)),
                    u64::from(le_u32(d, 192).unwrap_or(0)),
                );
                match v.partitions.iter_mut().find(|q| q.0 == num) {
                    Some(q) => *q = p,
                    None => v.partitions.push(p),
                }
            }
            6 if v.lvd.is_none_or(|(s, _)| seq >= s) => v.lvd = Some((seq, d)),
            3 => {
                // A pointer to the sequence's next extent.
                let (nl, nb) = (le_u32(d, 20).unwrap_or(0), le_u32(d, 24).unwrap_or(0));
                if !seen.insert(nb) {
                    notes.error(
                        Error::malformed(format!(
                            "volume descriptor pointer at offset {at} points back at block {nb} (a loop)"
                        ))
                        .at(at as u64),
                    );
                    break;
                }
                block = u64::from(nb);
                left = u64::from(nl) / bs as u64;
                continue;
            }
            8 => break,
            _ => {}
        }
        block += 1;
        left -= 1;
    }
    v
}

/// Open a UDF image; an image whose UDF structures cannot be read is opened
/// as ISO 9660 when it has that tree (the errors said), else named `udf`.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let recognition: Vec<String> = (0..VRS_DESCRIPTORS)
        .filter_map(|k| data.get(VRS + k * 2048 + 1..VRS + k * 2048 + 6))
        .filter(|id| matches!(*id, b"BEA01" | b"NSR02" | b"NSR03" | b"TEA01"))
        .map(|id| String::from_utf8_lossy(id).into_owned())
        .collect();
    let bridge = data.get(VRS + 1..VRS + 6) == Some(b"CD001");
    notes.evidence(Evidence::strong(
        "udf-descriptors",
        format!("UDF volume recognition: {}", recognition.join(", ")),
        Some(VRS as u64),
    ));
    let mut info = UdfInfo {
        recognition: recognition.join(","),
        iso9660_bridge: bridge,
        ..UdfInfo::default()
    };
    match walk(data, opts, notes, &mut info) {
        Ok(w) => Opened::Container(Box::new(w)),
        Err(e) => {
            notes.error(e);
            if bridge {
                // iso::open names the UDF descriptors again.
                notes.evidence.retain(|e| e.signal != "udf-descriptors");
                notes.error(Error::malformed(
                    "UDF file system not read: the ISO 9660 tree beside it is listed instead",
                ));
                return super::iso::open(data, opts, notes);
            }
            Opened::Leaf(Parsed {
                format: Format::Udf,
                metadata: Some(Metadata::Udf(Box::new(info))),
            })
        }
    }
}

/// Read the volume down to the root directory.
fn walk<'a>(
    data: &'a [u8],
    opts: &Options<'_>,
    notes: &mut Notes,
    info: &mut UdfInfo,
) -> Result<Walk<'a>, Error> {
    let (bs, ab) = anchor(data).ok_or_else(|| {
        Error::malformed(
            "no Anchor Volume Descriptor Pointer at block 256, the last block or 256 before it",
        )
    })?;
    info.block_size = bs as u32;
    info.anchor_block = ab;
    let a = data.get(ab as usize * bs..).unwrap_or_default();
    if let Some(m) = tag_check(a.get(..bs).unwrap_or(a)) {
        notes.error(Error::checksum(format!("anchor at block {ab}: {m}")).at(ab * bs as u64));
    }
    let main = vds(
        data,
        bs,
        le_u32(a, 20).unwrap_or(0),
        le_u32(a, 16).unwrap_or(0),
        notes,
    );
    let v = if main.lvd.is_some() && !main.partitions.is_empty() {
        main
    } else {
        notes.error(Error::malformed(
            "the main volume descriptor sequence has no logical volume or partition: the reserve one is read",
        ));
        vds(
            data,
            bs,
            le_u32(a, 28).unwrap_or(0),
            le_u32(a, 24).unwrap_or(0),
            notes,
        )
    };
    let (_, lvd) = v
        .lvd
        .ok_or_else(|| Error::malformed("no Logical Volume Descriptor"))?;
    if let Some((_, pvd)) = v.pvd {
        info.volume_id = dstring(pvd.get(24..56).unwrap_or_default());
    }
    info.logical_volume_id = dstring(lvd.get(84..212).unwrap_or_default());
    let lbs = le_u32(lvd, 212).unwrap_or(0);
    if lbs as usize != bs {
        return Err(Error::unsupported(format!(
            "logical block size {lbs}, but the anchor was found at {bs}-byte blocks"
        )));
    }
    if let Some(&[lo, hi]) = lvd.get(216 + 24..216 + 26) {
        info.revision = format!("{:x}.{:02x}", hi, lo);
    }
    let map_len = le_u32(lvd, 264).unwrap_or(0) as usize;
    let maps_n = le_u32(lvd, 268).unwrap_or(0) as usize;
    let maps = lvd
        .get(440..440usize.saturating_add(map_len))
        .ok_or_else(|| {
            Error::malformed(format!(
                "partition maps ({map_len} bytes) run past the Logical Volume Descriptor's block"
            ))
        })?;
    let mut vol = Volume {
        data,
        bs,
        parts: Vec::new(),
        ad_bytes: 0,
    };
    let physical = |num: u16| {
        v.partitions
            .iter()
            .find(|p| p.0 == num)
            .map(|&(_, start, len)| Part::Physical { start, len })
    };
    // A partition that runs past the end: the image is cut short (its
    // files there will be missing; said once here).
    for &(num, start, len) in &v.partitions {
        let end = start.saturating_add(len).saturating_mul(bs as u64);
        if end > data.len() as u64 {
            notes.error(
                Error::truncated(format!(
                    "partition {num} (blocks {start}..{}) runs past the end of the image ({} bytes)",
                    start.saturating_add(len),
                    data.len()
                ))
                .at(data.len() as u64),
            );
        }
    }
    let mut pos = 0usize;
    let mut metadata = Vec::new();
    for k in 0..maps_n.min(MAX_PARTITION_MAPS) {
        let ty = maps.get(pos).copied().unwrap_or(0);
        let len = usize::from(maps.get(pos + 1).copied().unwrap_or(0));
        let Some(m) = maps.get(pos..pos + len).filter(|_| len >= 6) else {
            return Err(Error::malformed(format!(
                "partition map {k} ({len} bytes at byte {pos}) runs past the table or is too short"
            )));
        };
        pos += len;
        let (part, desc) = match ty {
            1 => {
                let num = le_u16(m, 4).unwrap_or(0);
                (physical(num), format!("physical #{num}"))
            }
            2 => {
                let ident = m.get(5..28).unwrap_or_default();
                // A regid: flags, then the identifier (`*UDF Metadata Partition`).
                let num = le_u16(m, 38).unwrap_or(0);
                if ident.starts_with(b"*UDF Metadata Partition") {
                    metadata.push((
                        k,
                        num,
                        le_u32(m, 40).unwrap_or(0),
                        le_u32(m, 44).unwrap_or(0),
                    ));
                    (physical(num), format!("metadata on #{num}"))
                } else {
                    let kind = if ident.starts_with(b"*UDF Sparable Partition") {
                        "sparable"
                    } else if ident.starts_with(b"*UDF Virtual Partition") {
                        "virtual"
                    } else {
                        "unknown type-2"
                    };
                    (Some(Part::Unsupported(kind.into())), kind.to_string())
                }
            }
            _ => (None, format!("type {ty}")),
        };
        vol.parts.push(part.unwrap_or_else(|| {
            Part::Unsupported(format!("map {k} naming no partition descriptor"))
        }));
        info.partition_maps.push(desc);
    }
    // Metadata partitions: their metadata file (or its mirror) read from
    // the physical partition they name (placed at its map index meanwhile).
    for (k, _, main, mirror) in metadata {
        let mut got = None;
        for (which, block) in [("metadata file", main), ("metadata mirror file", mirror)] {
            let r = read_fe(&vol, block, k as u16).and_then(|fe| {
                if let Some(e) = &fe.bad_tag {
                    notes.error(context(e.clone(), which));
                }
                if fe.file_type != 250 && fe.file_type != 251 {
                    return Err(Error::malformed(format!(
                        "{which} at offset {}: file type {}, not 250/251",
                        fe.at, fe.file_type
                    )));
                }
                contents(&mut vol, &fe, k as u16)
            });
            match r {
                Ok(p) => {
                    got = Some(p);
                    break;
                }
                Err(e) => notes.error(context(e, &format!("partition map {k}: {which}"))),
            }
        }
        if let Some(slot) = vol.parts.get_mut(k) {
            *slot = match got {
                Some(p) => Part::Metadata(p),
                None => {
                    Part::Unsupported("metadata partition whose metadata file was not read".into())
                }
            };
        }
    }
    // The File Set Descriptor.
    let fsd_block = le_u32(lvd, 252).unwrap_or(0);
    let fsd_part = le_u16(lvd, 256).unwrap_or(0);
    let (fat, fsd) = vol
        .block(fsd_block, fsd_part)
        .map_err(|e| context(e, "File Set Descriptor"))?;
    if le_u16(fsd, 0) != Some(256) {
        return Err(Error::malformed(format!(
            "block {fsd_block} of partition {fsd_part} (offset {fat}) is not a File Set Descriptor"
        ))
        .at(fat as u64));
    }
    if let Some(m) = tag_check(fsd) {
        notes.error(
            Error::checksum(format!("File Set Descriptor at offset {fat}: {m}")).at(fat as u64),
        );
    }
    let root = (le_u32(fsd, 404).unwrap_or(0), le_u16(fsd, 408).unwrap_or(0));
    let mut w = Walk {
        vol,
        max_depth: opts.limits.max_dir_depth,
        stack: Vec::new(),
        visited: HashSet::new(),
        dir_bytes: 0,
        info: std::mem::take(info),
    };
    w.enter(root.0, root.1, String::new(), 0, notes);
    if w.stack.is_empty() {
        *info = w.info;
        return Err(Error::malformed("the root directory could not be read"));
    }
    Ok(w)
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

    fn info(l: &Listing) -> &UdfInfo {
        match &l.parsed.metadata {
            Some(Metadata::Udf(i)) => i,
            other => panic!("{other:?}"),
        }
    }

    fn listing(d: &[u8]) -> Listing {
        list(open, d, &Limits::default(), 100)
    }

    #[test]
    fn crc_itu_t_check_value() {
        // The CRC-16/XMODEM check value (ECMA-167 7.2.6's CRC, initial 0).
        assert_eq!(crc_itu(b"123456789"), 0x31C3);
    }

    #[test]
    fn listing_equals_7zz() {
        for (s, tsv, revision, maps) in [
            (
                "genisoimage_bridge.iso",
                "udf__genisoimage_bridge.iso.tsv",
                "1.02",
                "physical #0",
            ),
            // pycdlib's `udf="2.60"` writes structures that say 1.02.
            ("pycdlib.iso", "udf__pycdlib.iso.tsv", "1.02", "physical #0"),
        ] {
            let d = sample(&format!("udf/{s}")).expect("sample");
            assert!(sniff(&d), "{s}");
            let l = listing(&d);
            assert!(l.notes.errors.is_empty(), "{s}: {:?}", l.notes.errors);
            assert_eq!(l.parsed.format, Format::Udf);
            assert_eq!(rows(&l, &d), reference(tsv), "{s}");
            let i = info(&l);
            assert_eq!(
                (
                    i.revision.as_str(),
                    i.partition_maps.join(","),
                    i.iso9660_bridge
                ),
                (revision, maps.to_string(), true),
                "{s}"
            );
            // Stopped early: no false damage.
            let l = list(open, &d, &Limits::default(), 1);
            assert!(l.notes.errors.is_empty(), "{s}: {:?}", l.notes.errors);
        }
    }

    #[test]
    fn mkudffs_layouts() {
        // An empty file system of 512-byte blocks: the root walked, no files.
        let d = sample("udf/mkudffs_hd512.img").expect("sample");
        let l = listing(&d);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let i = info(&l);
        assert_eq!(
            (i.block_size, i.anchor_block, i.files, i.directories),
            (512, 256, 0, 1)
        );
        assert_eq!(i.revision, "2.01");
        // A virtual partition (VAT): named, not read.
        let d = sample("udf/mkudffs_vat.img").expect("sample");
        let l = listing(&d);
        assert_eq!(l.parsed.format, Format::Udf);
        assert!(l.entries.is_empty());
        let e = &l.notes.errors[0];
        assert_eq!(e.kind(), "unsupported", "{e}");
        assert!(e.to_string().contains("virtual"), "{e}");
        assert!(info(&l).partition_maps.iter().any(|m| m == "virtual"));
    }

    /// Rewrite the tag at `at` for `len` bytes of descriptor: CRC length,
    /// CRC, checksum (as an authoring tool would).
    fn retag(d: &mut [u8], at: usize, len: usize) {
        let body = len - 16;
        d[at + 10..at + 12].copy_from_slice(&(body as u16).to_le_bytes());
        let crc = crc_itu(&d[at + 16..at + len]);
        d[at + 8..at + 10].copy_from_slice(&crc.to_le_bytes());
        let sum = (0..16)
            .filter(|&k| k != 4)
            .fold(0u8, |s, k| s.wrapping_add(d[at + k]));
        d[at + 4] = sum;
    }

    /// The File Identifier Descriptor naming `name` (8-bit CS0): its offset,
    /// padded length, and the image offset of the File Entry it points at.
    fn fid(d: &[u8], name: &str) -> (usize, usize, usize) {
        let mut cs0 = vec![8u8];
        cs0.extend_from_slice(name.as_bytes());
        let n = memchr::memmem::find_iter(d, &cs0)
            .find(|&n| {
                n >= 38 && le_u16(d, n - 38) == Some(257) && usize::from(d[n - 19]) == cs0.len()
            })
            .expect("fid");
        let at = n - 38;
        let len = (38 + cs0.len()).div_ceil(4) * 4;
        let mut notes = Notes::default();
        let limits = Limits::default();
        let opts = Options {
            limits: &limits,
            hashes: installsift_model::hash::HashSelection::SHA256,
            name: "",
            passwords: &[],
            read_ahead: false,
        };
        let w = walk(d, &opts, &mut notes, &mut UdfInfo::default()).expect("walk");
        let (fe, _) = w
            .vol
            .block(le_u32(d, at + 24).unwrap(), le_u16(d, at + 28).unwrap())
            .expect("fe");
        (at, len, fe)
    }

    #[test]
    fn a_directory_that_contains_itself_is_an_error_not_a_loop() {
        let mut d = sample("udf/pycdlib.iso").expect("sample");
        // `sources/deep`'s FID pointed at `sources` (its parent): walked once.
        let (parent, _, _) = fid(&d, "sources");
        let (at, len, _) = fid(&d, "deep");
        let target: Vec<u8> = d[parent + 20..parent + 36].to_vec();
        d[at + 20..at + 36].copy_from_slice(&target);
        retag(&mut d, at, len);
        let l = listing(&d);
        assert_eq!(l.notes.errors.len(), 1, "{:?}", l.notes.errors);
        let e = &l.notes.errors[0];
        assert_eq!(e.kind(), "malformed");
        assert!(e.to_string().contains("already walked"), "{e}");
        assert_eq!(l.entries.len(), 3, "the other files still listed");
    }

    #[test]
    fn damage_is_said_and_read_around() {
        let clean = sample("udf/pycdlib.iso").expect("sample");
        let (_, _, fe) = fid(&clean, "install.wim");
        let l_ea = le_u32(&clean, fe + 168).unwrap() as usize;
        let ad = fe + 176 + l_ea;
        assert_eq!(
            le_u16(&clean, fe).unwrap(),
            261,
            "pycdlib writes File Entries"
        );
        fn find(l: &Listing) -> &Listed {
            l.entries
                .iter()
                .find(|(n, _, _)| n == "sources/install.wim")
                .map(|e| &e.2)
                .expect("install.wim")
        }
        // An extent past the end of the image: missing, truncated.
        let mut d = clean.clone();
        d[ad + 4..ad + 8].copy_from_slice(&0x00FF_FFF0u32.to_le_bytes());
        retag(&mut d, fe, 176 + l_ea + 8);
        let l = listing(&d);
        let Listed::Missing { error, size } = find(&l) else {
            panic!("{:?}", find(&l))
        };
        assert_eq!((error.kind(), *size), ("malformed", 9000), "{error}");
        // A size the extents do not hold (a huge count): missing, said.
        let mut d = clean.clone();
        d[fe + 56..fe + 64].copy_from_slice(&u64::MAX.to_le_bytes());
        retag(&mut d, fe, 176 + l_ea + 8);
        let l = listing(&d);
        let Listed::Missing { error, .. } = find(&l) else {
            panic!()
        };
        assert!(error.to_string().contains("its File Entry says"), "{error}");
        // L_AD far past the block: malformed, not read.
        let mut d = clean.clone();
        d[fe + 172..fe + 176].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        let l = listing(&d);
        let Listed::Missing { error, .. } = find(&l) else {
            panic!()
        };
        assert_eq!(error.kind(), "malformed", "{error}");
        // A byte of the File Entry changed: a checksum error on the file,
        // its bytes still read.
        let mut d = clean.clone();
        d[fe + 36] ^= 1; // uid
        let l = listing(&d);
        let (_, i, x) = l
            .entries
            .iter()
            .find(|(n, _, _)| n == "sources/install.wim")
            .expect("install.wim");
        assert!(matches!(x, Listed::Slice { len: 9000, .. }), "{x:?}");
        assert_eq!(i.errors.first().map(|e| e.kind()), Some("checksum"));
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        // Two extents, the second allocated but not recorded: zeros, as
        // 7-Zip reads them; the file streamed from its pieces.
        let mut d = clean.clone();
        let pos = le_u32(&d, ad + 4).unwrap();
        d[ad..ad + 4].copy_from_slice(&4096u32.to_le_bytes());
        d[ad + 8..ad + 12].copy_from_slice(&((1u32 << 30) | 4904).to_le_bytes());
        d[ad + 12..ad + 16].copy_from_slice(&(pos + 2).to_le_bytes());
        d[fe + 172..fe + 176].copy_from_slice(&16u32.to_le_bytes());
        retag(&mut d, fe, 176 + l_ea + 16);
        let l = listing(&d);
        let Listed::Decoded(Ok(b)) = find(&l) else {
            panic!("{:?}", find(&l))
        };
        let orig = rows(&listing(&clean), &clean);
        assert_eq!(b.len(), 9000);
        assert!(b[4096..].iter().all(|&x| x == 0));
        assert_ne!(
            orig.iter()
                .find(|r| r.0 == "sources/install.wim")
                .unwrap()
                .2,
            installsift_model::hash::to_hex(&sha2::Sha256::digest(b))
        );
        assert_eq!(info(&l).fragmented_files, 1);
        // Two recorded extents that follow each other (as a file over 1 GiB
        // is stored): one region of the image, the same bytes.
        let mut d = clean.clone();
        d[ad..ad + 4].copy_from_slice(&4096u32.to_le_bytes());
        d[ad + 8..ad + 12].copy_from_slice(&4904u32.to_le_bytes());
        d[ad + 12..ad + 16].copy_from_slice(&(pos + 2).to_le_bytes());
        d[fe + 172..fe + 176].copy_from_slice(&16u32.to_le_bytes());
        retag(&mut d, fe, 176 + l_ea + 16);
        let l = listing(&d);
        assert!(
            matches!(find(&l), Listed::Slice { len: 9000, .. }),
            "{:?}",
            find(&l)
        );
        assert_eq!(rows(&l, &d), rows(&listing(&clean), &clean));
        assert_eq!(info(&l).fragmented_files, 0);
        // A continuation extent pointing at a File Entry: malformed.
        let mut d = clean.clone();
        d[ad..ad + 4].copy_from_slice(&((3u32 << 30) | 2048).to_le_bytes());
        let own = le_u32(&clean, fid(&clean, "install.wim").0 + 24).unwrap();
        d[ad + 4..ad + 8].copy_from_slice(&own.to_le_bytes());
        retag(&mut d, fe, 176 + l_ea + 8);
        let l = listing(&d);
        let Listed::Missing { error, .. } = find(&l) else {
            panic!()
        };
        assert!(error.to_string().contains("Allocation Extent"), "{error}");
        // Cut anywhere: no panic, the cut said.
        for cut in [1000, 40_000, 300_000, 530_000, 570_000] {
            let l = listing(&clean[..cut]);
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
            max_dir_depth: 1,
            ..Limits::default()
        };
        let l = list(open, &clean, &limits, 100);
        assert_eq!(l.notes.errors[0].kind(), "limit-exceeded");
        assert_eq!(l.entries.len(), 3);
    }

    #[test]
    fn descriptor_sequence_loop_and_bad_tags() {
        let clean = sample("udf/genisoimage_bridge.iso").expect("sample");
        let a = 256 * 2048;
        let (len, loc) = (
            le_u32(&clean, a + 16).unwrap(),
            le_u32(&clean, a + 20).unwrap(),
        );
        // The terminator turned into a pointer back to the sequence's start.
        let term = (0..len as usize / 2048)
            .map(|k| (loc as usize + k) * 2048)
            .find(|&o| le_u16(&clean, o) == Some(8))
            .expect("terminator");
        let mut d = clean.clone();
        d[term] = 3;
        d[term + 20..term + 24].copy_from_slice(&len.to_le_bytes());
        d[term + 24..term + 28].copy_from_slice(&loc.to_le_bytes());
        retag(&mut d, term, 512);
        let l = listing(&d);
        assert!(
            l.notes
                .errors
                .iter()
                .any(|e| e.to_string().contains("a loop")),
            "{:?}",
            l.notes.errors
        );
        assert_eq!(rows(&l, &d), reference("udf__genisoimage_bridge.iso.tsv"));
        // A descriptor's CRC wrong: a checksum error, the volume still read.
        let lvd = (0..len as usize / 2048)
            .map(|k| (loc as usize + k) * 2048)
            .find(|&o| le_u16(&clean, o) == Some(6))
            .expect("lvd");
        let mut d = clean.clone();
        d[lvd + 300] ^= 0x55; // implementation use
        let l = listing(&d);
        assert_eq!(l.notes.errors.len(), 1, "{:?}", l.notes.errors);
        assert_eq!(l.notes.errors[0].kind(), "checksum");
        assert_eq!(rows(&l, &d), reference("udf__genisoimage_bridge.iso.tsv"));
        // No anchor at block 256: the one in the last block is read.
        let mut d = clean.clone();
        d[a] = 0;
        let l = listing(&d);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        assert_eq!(info(&l).anchor_block, (d.len() / 2048 - 1) as u64);
        assert_eq!(rows(&l, &d), reference("udf__genisoimage_bridge.iso.tsv"));
        // No anchor anywhere: the ISO 9660 tree is listed instead, said.
        for b in [256, d.len() / 2048 - 1, d.len() / 2048 - 257] {
            d[b * 2048] = 0;
        }
        let l = listing(&d);
        assert_eq!(l.parsed.format, Format::Iso);
        assert!(l.notes.errors[0].to_string().contains("Anchor"));
        assert!(!l.entries.is_empty());
    }
}

#[cfg(test)]
mod metadata_partition {
    //! No tool on Debian writes files into a UDF 2.50+ file system with a
    //! metadata partition (mkudffs does so only for write-once media, over a
    //! virtual partition): pycdlib.iso is rewritten into that layout here, as
    //! Windows install media have it: a type-2 map, a metadata file (type
    //! 250) whose two extents hold the partition's blocks in swapped halves,
    //! and the file set, the root and `sources` reached through it.
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;
    use installsift_model::Limits;

    fn retag(d: &mut [u8], at: usize, len: usize) {
        d[at + 10..at + 12].copy_from_slice(&((len - 16) as u16).to_le_bytes());
        let crc = crc_itu(&d[at + 16..at + len]);
        d[at + 8..at + 10].copy_from_slice(&crc.to_le_bytes());
        d[at + 4] = (0..16)
            .filter(|&k| k != 4)
            .fold(0u8, |s, k| s.wrapping_add(d[at + k]));
    }

    fn put32(d: &mut [u8], at: usize, v: u32) {
        d[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn files_are_read_through_the_metadata_file() {
        let mut d = sample("udf/pycdlib.iso").expect("sample");
        let bs = 2048;
        let a = 256 * bs;
        let (len, loc) = (le_u32(&d, a + 16).unwrap(), le_u32(&d, a + 20).unwrap());
        let vds: Vec<usize> = (0..len as usize / bs)
            .map(|k| (loc as usize + k) * bs)
            .collect();
        let pd = *vds.iter().find(|&&o| le_u16(&d, o) == Some(5)).unwrap();
        let lvd = *vds.iter().find(|&&o| le_u16(&d, o) == Some(6)).unwrap();
        let start = le_u32(&d, pd + 188).unwrap() as usize;
        let plen = le_u32(&d, pd + 192).unwrap() as usize;
        assert_eq!(start + plen + 1, d.len() / bs, "a last block to take");
        let half = plen / 2;
        // Physical block p of the partition is metadata block m.
        let meta = |p: u32| -> u32 {
            let h = half as u32;
            if p >= h {
                p - h
            } else {
                p + (plen as u32 - h)
            }
        };
        // The partition grows by the last block (the second anchor): the
        // metadata file's File Entry goes there.
        put32(&mut d, pd + 192, plen as u32 + 1);
        retag(&mut d, pd, 512);
        let mfe = (start + plen) * bs;
        d[mfe..mfe + bs].fill(0);
        d[mfe] = 0x05; // tag 261
        d[mfe + 1] = 0x01;
        d[mfe + 2] = 2; // version
        put32(&mut d, mfe + 12, plen as u32);
        d[mfe + 27] = 250; // metadata file
        d[mfe + 56..mfe + 64].copy_from_slice(&((plen * bs) as u64).to_le_bytes());
        put32(&mut d, mfe + 172, 16);
        put32(&mut d, mfe + 176, ((plen - half) * bs) as u32);
        put32(&mut d, mfe + 180, half as u32);
        put32(&mut d, mfe + 184, (half * bs) as u32);
        put32(&mut d, mfe + 188, 0);
        retag(&mut d, mfe, 176 + 16);
        // The map: type 2, `*UDF Metadata Partition` on partition 0.
        let maps = lvd + 440 + le_u32(&d, lvd + 264).unwrap() as usize;
        let m = &mut d[maps..maps + 64];
        m.fill(0);
        m[0] = 2;
        m[1] = 64;
        m[5..28].copy_from_slice(b"*UDF Metadata Partition");
        m[28..30].copy_from_slice(&0x0250u16.to_le_bytes());
        m[36] = 1;
        m[40..44].copy_from_slice(&(plen as u32).to_le_bytes());
        m[44..48].copy_from_slice(&(plen as u32).to_le_bytes());
        m[48..52].copy_from_slice(&u32::MAX.to_le_bytes());
        let table = le_u32(&d, lvd + 264).unwrap() + 64;
        put32(&mut d, lvd + 264, table);
        put32(&mut d, lvd + 268, 2);
        d[lvd + 240..lvd + 242].copy_from_slice(&0x0250u16.to_le_bytes());
        // The file set, its root and `sources` through the metadata partition.
        let fsd_p = le_u32(&d, lvd + 252).unwrap();
        put32(&mut d, lvd + 252, meta(fsd_p));
        d[lvd + 256..lvd + 258].copy_from_slice(&1u16.to_le_bytes());
        retag(&mut d, lvd, 440 + table as usize);
        let fsd = (start + fsd_p as usize) * bs;
        let root_p = le_u32(&d, fsd + 404).unwrap();
        put32(&mut d, fsd + 404, meta(root_p));
        d[fsd + 408..fsd + 410].copy_from_slice(&1u16.to_le_bytes());
        retag(&mut d, fsd, 512);
        let name = b"\x08sources";
        let f = memchr::memmem::find_iter(&d, name)
            .find(|&n| n >= 38 && le_u16(&d, n - 38) == Some(257))
            .unwrap()
            - 38;
        let p = le_u32(&d, f + 24).unwrap();
        put32(&mut d, f + 24, meta(p));
        d[f + 28..f + 30].copy_from_slice(&1u16.to_le_bytes());
        retag(&mut d, f, (38 + name.len()).div_ceil(4) * 4);

        // Their directories' data too: a `short_ad` is in the partition of
        // its File Entry (ECMA-167 4/14.14.1), the metadata partition now.
        for p in [root_p, p] {
            let fe = (start + p as usize) * bs;
            assert_eq!(le_u16(&d, fe), Some(261));
            let l_ea = le_u32(&d, fe + 168).unwrap() as usize;
            let l_ad = le_u32(&d, fe + 172).unwrap() as usize;
            assert_eq!((d[fe + 34] & 7, l_ad), (0, 8), "one short_ad");
            let ad = fe + 176 + l_ea;
            let pos = le_u32(&d, ad + 4).unwrap();
            put32(&mut d, ad + 4, meta(pos));
            retag(&mut d, fe, 176 + l_ea + l_ad);
        }

        let l = list(open, &d, &Limits::default(), 100);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let Some(Metadata::Udf(i)) = &l.parsed.metadata else {
            panic!()
        };
        assert_eq!(i.partition_maps, ["physical #0", "metadata on #0"]);
        assert_eq!(i.revision, "2.50");
        let clean = sample("udf/pycdlib.iso").expect("sample");
        let want = list(open, &clean, &Limits::default(), 100);
        let names = |l: &crate::container::Listing, data: &[u8]| {
            let mut v: Vec<(String, Vec<u8>)> = l
                .entries
                .iter()
                .map(|(n, _, x)| match x {
                    Listed::Slice { at, len } => (n.clone(), data[*at..at + len].to_vec()),
                    Listed::Decoded(Ok(b)) => (n.clone(), b.clone()),
                    other => panic!("{n}: {other:?}"),
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(names(&l, &d), names(&want, &clean));
        assert_eq!(l.entries.len(), 4);

        // The metadata file damaged: its mirror (the same block here) is
        // tried, then the partition is not read, said; this bridge image's
        // ISO 9660 tree is listed instead.
        let mut bad = d.clone();
        bad[mfe + 27] = 5;
        retag(&mut bad, mfe, 176 + 16);
        let l = list(open, &bad, &Limits::default(), 100);
        assert_eq!(l.parsed.format, Format::Iso);
        assert!(l.entries.iter().any(|e| e.0 == "SOURCES/INSTALL.WIM"));
        assert!(
            l.notes
                .errors
                .iter()
                .any(|e| e.to_string().contains("metadata file")),
            "{:?}",
            l.notes.errors
        );
    }
}
