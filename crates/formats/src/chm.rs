//! Microsoft Compiled HTML Help (CHM, `ITSF`): list every file and unpack it.
//!
//! The layout (as libmspack's `chmd.c` and 7-Zip's `ChmIn.cpp` read it;
//! our own code):
//! - the `ITSF` header: version, two header-section offsets (section 0
//!   holds the file's length; section 1 is the directory) and, from version
//!   3, the offset of content section 0 (before: the directory's end);
//! - the `ITSP` directory header: chunk size, first and last listing
//!   chunk, chunk count; the directory chunks follow its 0x54 bytes. Each
//!   `PMGL` listing chunk holds entries (name length, name, content
//!   section, offset, length; integers as ENCINTs, 7 bits a byte, high bit
//!   set on all but the last) and its entry count in its last two bytes.
//!   `PMGI` index chunks only speed up look-ups and are not read;
//! - content section 0 is stored: a file is `length` bytes at the
//!   section's offset plus its own;
//! - content section 1 ("MSCompressed") is one LZX stream, stored as the
//!   section-0 file `::DataSpace/Storage/MSCompressed/Content`, its window
//!   and reset interval in `.../ControlData` (`LZXC`, version 2 counts in
//!   32 KiB units), and the compressed offset of every 32 KiB frame in the
//!   reset table `.../Transform/{7FC28940-…}/InstanceData/ResetTable`.
//!   At each reset point (every reset interval) the LZX stream starts anew:
//!   trees, repeated offsets and E8 header (E8 positions count from the
//!   section's start, as in a cabinet folder).
//!
//! Behaviour:
//! - Files are the directory entries whose names start with `/` (7-Zip's
//!   rule: `::` names are the format's own streams, which 7-Zip does not
//!   list either); names ending in `/` are directories, not listed. Names
//!   are given without the leading `/`.
//! - Files are handed over in the order of their data (section 0, then
//!   section 1 by offset). Section 1 is decoded once, frame by frame, each
//!   frame from the input the reset table gives it, so a frame that needs
//!   more input or leaves some unread is `malformed`; decoding jumps to the
//!   reset point before a file when that skips frames, and a file whose
//!   range starts before the decoder's position (overlapping files) is
//!   decoded again from its reset point within
//!   [`max_redecoded_bytes`](installsift_model::Limits::max_redecoded_bytes).
//!   Two files with one range are one decode ([`Data::Copy`]).
//! - CHM carries no checksums: nothing vouches for a file's bytes.
//! - Damage is read around: a directory chunk cut short or with an entry
//!   running past its end is an error naming the chunk, the entries before
//!   it are kept; a file outside its section, or in section 1 when the
//!   section's control files are missing or damaged, is `Missing` with an
//!   error saying why.

use super::cab::lzx::{Lzx, FRAME};
use super::container::{self, Container, Data, Decoded, End, Notes, Opened, Options};
use super::{le_u32, Handler, Metadata, Parsed};
use installsift_model::error::{context, Error};
use installsift_model::limits::Limit;
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Read};

/// CHM facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChmInfo {
    /// `ITSF` version (3 for files made by HTML Help Workshop 1.1 and later).
    pub version: u32,
    /// Language id (LCID) of the header.
    pub language_id: u32,
    /// Directory chunk size in bytes (4096 in every known file).
    pub chunk_size: u32,
    /// Directory chunks the header declares.
    pub chunks: u32,
    /// Listing (`PMGL`) chunks read.
    pub listing_chunks: u64,
    /// Directory entries read (files, directories and the format's own
    /// `::` streams).
    pub directory_entries: u64,
    /// Files listed (names starting with `/`, not directories).
    pub files: u64,
    /// The compressed section, when the file has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lzx: Option<ChmLzx>,
}

/// Content section 1 (MSCompressed) parameters.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChmLzx {
    /// LZX window, in bits (15 to 21).
    pub window_bits: u8,
    /// Bytes of output between reset points (a multiple of 32 KiB).
    pub reset_interval: u64,
    /// Uncompressed size of the section (reset table).
    pub uncompressed_size: u64,
    /// Compressed size of the section (the `Content` stream).
    pub compressed_size: u64,
    /// Frames the reset table locates.
    pub reset_table_entries: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "chm",
    format: Format::Chm,
    sniff,
    open,
};

/// The first GUID after the `ITSF` header's fixed fields,
/// {7C01FD10-7BAA-11D0-9E0C-00A0C922E6EC}. The second is
/// {7C01FD11-…} in HTML Help Workshop's files and the first again in
/// chmcmd's (Free Pascal); 7-Zip reads both, so only the first is checked.
const GUID: [u8; 16] = [
    0x10, 0xFD, 0x01, 0x7C, 0xAA, 0x7B, 0xD0, 0x11, 0x9E, 0x0C, 0x00, 0xA0, 0xC9, 0x22, 0xE6, 0xEC,
];
const CONTENT: &str = "::DataSpace/Storage/MSCompressed/Content";
const CONTROL: &str = "::DataSpace/Storage/MSCompressed/ControlData";
const RESET_TABLE: &str = "::DataSpace/Storage/MSCompressed/Transform/\
{7FC28940-9D31-11D0-9B27-00A0C91E9C7C}/InstanceData/ResetTable";
/// Size of the `ITSP` header: the directory chunks follow it.
const ITSP_SIZE: u64 = 0x54;
/// Header of a `PMGL` chunk: entries start here.
const PMGL_ENTRIES: usize = 0x14;
/// Size of the reset table's header.
const RT_HEADER: usize = 0x28;

/// `ITSF` and a version from 1 to 3 (libmspack and 7-Zip read these; the
/// GUIDs are checked when the file is opened).
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(b"ITSF") && matches!(le_u32(data, 4), Some(1..=3))
}

fn le_u64(data: &[u8], at: u64) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    let b = data.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

fn le_u32_at(data: &[u8], at: u64) -> Option<u32> {
    le_u32(data, usize::try_from(at).ok()?)
}

/// A region of `data`, when it lies inside.
fn region(data: &[u8], at: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(at).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    data.get(start..end)
}

/// One directory entry.
#[derive(Debug, Clone)]
struct DirEntry {
    name: String,
    section: u64,
    offset: u64,
    length: u64,
}

/// An ENCINT at `*at` in `chunk[..end]`: 7 bits a byte, most significant
/// first, the high bit set on every byte but the last; at most 9 bytes
/// (63 bits).
fn encint(chunk: &[u8], at: &mut usize, end: usize) -> Option<u64> {
    let mut v = 0u64;
    for _ in 0..9 {
        if *at >= end {
            return None;
        }
        let b = *chunk.get(*at)?;
        *at += 1;
        v = (v << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Open a CHM: the headers and the whole directory are read here; the
/// files are unpacked as the engine pulls them.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = ChmInfo::default();
    let leaf = |info: ChmInfo| {
        Opened::Leaf(Parsed {
            format: Format::Chm,
            metadata: Some(Metadata::Chm(Box::new(info))),
        })
    };
    let (Some(version), Some(header_len), Some(language)) =
        (le_u32(data, 4), le_u32(data, 8), le_u32(data, 20))
    else {
        notes.error(
            Error::truncated(format!(
                "ITSF header runs past the end of the data ({} bytes)",
                data.len()
            ))
            .at(0),
        );
        return leaf(info);
    };
    info.version = version;
    info.language_id = language;
    if data.get(24..40) != Some(&GUID[..]) {
        notes.error(Error::malformed("ITSF header GUID (offset 24) is not the CHM one").at(24));
    }
    let (Some(hs0), Some(hs1)) = (le_u64(data, 0x38), le_u64(data, 0x48)) else {
        notes.error(
            Error::truncated("ITSF header section table (offset 56) runs past the end of the data")
                .at(0x38),
        );
        return leaf(info);
    };
    // Header section 0: the file's length.
    if let Some(len) = le_u64(data, hs0.saturating_add(8)) {
        if len > data.len() as u64 {
            notes.error(Error::truncated(format!(
                "the header says the file is {len} bytes, the data has {}: files past the cut are missing",
                data.len()
            )));
        }
    } else {
        notes.error(
            Error::truncated(format!(
                "header section 0 at offset {hs0} runs past the end of the data"
            ))
            .at(0x38),
        );
    }
    // Header section 1: the directory.
    if data
        .get(usize::try_from(hs1).unwrap_or(usize::MAX)..)
        .map(|d| d.starts_with(b"ITSP"))
        != Some(true)
    {
        notes.error(
            Error::malformed(format!(
                "header section 1 (offset 72 says {hs1}) does not start with `ITSP`: no directory"
            ))
            .at(0x48),
        );
        return leaf(info);
    }
    let field = |off: u64| le_u32_at(data, hs1 + off);
    let (Some(chunk_size), Some(first), Some(last), Some(n_chunks)) =
        (field(0x10), field(0x20), field(0x24), field(0x2C))
    else {
        notes.error(
            Error::truncated(format!(
                "ITSP header at offset {hs1} runs past the end of the data"
            ))
            .at(hs1),
        );
        return leaf(info);
    };
    info.chunk_size = chunk_size;
    info.chunks = n_chunks;
    let dir = hs1 + ITSP_SIZE;
    // Content section 0: from version 3 the header says where; before,
    // it follows the directory.
    let cs0 = if version >= 3 && header_len >= 0x60 {
        le_u64(data, 0x58)
    } else {
        Some(dir + u64::from(chunk_size) * u64::from(n_chunks))
    };
    let Some(cs0) = cs0 else {
        notes
            .error(Error::truncated("ITSF header (content offset, 88) runs past the end").at(0x58));
        return leaf(info);
    };
    if (chunk_size as usize) < PMGL_ENTRIES + 2 {
        notes.error(
            Error::malformed(format!(
                "directory chunk size {chunk_size} (ITSP offset 16) is smaller than a chunk header"
            ))
            .at(hs1 + 0x10),
        );
        return leaf(info);
    }
    notes.evidence(Evidence::strong(
        "chm-header",
        format!(
            "ITSF version {version}, ITSP directory of {n_chunks} chunks of {chunk_size} bytes"
        ),
        Some(0),
    ));

    let entries = read_directory(
        data, dir, chunk_size, first, last, n_chunks, &mut info, notes,
    );
    info.directory_entries = entries.len() as u64;

    // The format's own streams, by name.
    let by_name: HashMap<&str, &DirEntry> = entries
        .iter()
        .filter(|e| e.name.starts_with("::"))
        .map(|e| (e.name.as_str(), e))
        .collect();
    let section0 = |e: &DirEntry| -> Result<&'a [u8], Error> {
        if e.section != 0 {
            return Err(Error::malformed(format!(
                "`{}` is in content section {}, not the stored section 0",
                e.name, e.section
            )));
        }
        cs0.checked_add(e.offset)
            .and_then(|at| region(data, at, e.length))
            .ok_or_else(|| {
                Error::truncated(format!(
                    "`{}` ({} bytes at offset {} of section 0, which starts at {cs0}) lies past the end of the data ({} bytes)",
                    e.name,
                    e.length,
                    e.offset,
                    data.len()
                ))
            })
    };

    let mut files: Vec<DirEntry> = entries
        .iter()
        .filter(|e| e.name.len() > 1 && e.name.starts_with('/') && !e.name.ends_with('/'))
        .cloned()
        .collect();
    info.files = files.len() as u64;
    // In the order of their data.
    files.sort_by_key(|e| (e.section, e.offset, e.length));

    let needs_lzx = files.iter().any(|f| f.section == 1 && f.length > 0);
    let lzx = if needs_lzx {
        match section1(&by_name, &section0) {
            Ok(s) => {
                info.lzx = Some(ChmLzx {
                    window_bits: s.window_bits,
                    reset_interval: s.interval_frames * FRAME as u64,
                    uncompressed_size: s.uncompressed,
                    compressed_size: s.content.len() as u64,
                    reset_table_entries: s.table_entries,
                });
                Ok(s)
            }
            Err(e) => {
                notes.error(e.clone());
                Err(e)
            }
        }
    } else {
        Err(Error::malformed("no compressed section"))
    };
    let section1 = lzx.map(|s| Section1Reader {
        s,
        decoder: None,
        next_frame: 0,
        out: Vec::new(),
        out_pos: 0,
        position: 0,
        high_water: 0,
        redecoded: 0,
        max_redecoded: opts.limits.max_redecoded_bytes,
        failed: None,
    });

    let mut plan = Vec::with_capacity(files.len());
    let mut first_of_range: HashMap<(u64, u64, u64), usize> = HashMap::new();
    for (i, f) in files.into_iter().enumerate() {
        let key = (f.section, f.offset, f.length);
        let copy = match first_of_range.get(&key) {
            Some(&of) if f.length > 0 => Some(of),
            _ => {
                first_of_range.insert(key, i);
                None
            }
        };
        let step = if let Some(of) = copy {
            Step::Copy(of)
        } else if f.length == 0 {
            Step::Slice(&[])
        } else {
            match f.section {
                0 => match section0(&f) {
                    Ok(b) => Step::Slice(b),
                    Err(e) => Step::Missing(e),
                },
                1 => Step::Decode,
                s => Step::Missing(Error::malformed(format!(
                    "content section {s} does not exist (CHM files have sections 0 and 1)"
                ))),
            }
        };
        plan.push((f, step));
    }
    Opened::Container(Box::new(Walk {
        info,
        plan,
        next: 0,
        section1,
        reading: None,
    }))
}

/// Read the listing chunks `first..=last` (bounded by the chunk count and
/// the data): every entry, damage noted and read around.
#[allow(clippy::too_many_arguments)]
fn read_directory(
    data: &[u8],
    dir: u64,
    chunk_size: u32,
    first: u32,
    last: u32,
    n_chunks: u32,
    info: &mut ChmInfo,
    notes: &mut Notes,
) -> Vec<DirEntry> {
    let mut entries = Vec::new();
    let size = u64::from(chunk_size);
    if first > last || last >= n_chunks {
        notes.error(
            Error::malformed(format!(
                "listing chunks {first}..={last} (ITSP offsets 32, 36) are not within the {n_chunks} chunks"
            ))
            .at(dir - ITSP_SIZE + 0x20),
        );
    }
    let last = last.min(n_chunks.saturating_sub(1));
    for n in first..=last {
        let at = dir + u64::from(n) * size;
        let Some(chunk) = region(data, at, size) else {
            notes.error(
                Error::truncated(format!(
                    "directory chunk {n} at offset {at} runs past the end of the data ({} bytes): {} chunks not read",
                    data.len(),
                    last - n + 1
                ))
                .at(at),
            );
            break;
        };
        if !chunk.starts_with(b"PMGL") {
            continue;
        }
        info.listing_chunks += 1;
        let end = chunk.len() - 2;
        let count = u16::from_le_bytes([
            chunk.get(end).copied().unwrap_or(0),
            chunk.get(end + 1).copied().unwrap_or(0),
        ]);
        let mut p = PMGL_ENTRIES;
        for k in 0..count {
            let entry_at = p;
            let parsed = (|| {
                let len = usize::try_from(encint(chunk, &mut p, end)?).ok()?;
                let name = chunk.get(p..p.checked_add(len)?.min(end + 1))?;
                if name.len() != len {
                    return None;
                }
                p += len;
                let section = encint(chunk, &mut p, end)?;
                let offset = encint(chunk, &mut p, end)?;
                let length = encint(chunk, &mut p, end)?;
                Some(DirEntry {
                    name: String::from_utf8_lossy(name).into_owned(),
                    section,
                    offset,
                    length,
                })
            })();
            match parsed {
                Some(e) => entries.push(e),
                None => {
                    notes.error(
                        Error::malformed(format!(
                            "directory chunk {n}: entry {k} of {count} (at chunk offset {entry_at}) runs past the chunk's end: {} entries not read",
                            count - k
                        ))
                        .at(at + entry_at as u64),
                    );
                    break;
                }
            }
        }
    }
    entries
}

/// Content section 1: the LZX stream and where its frames are.
struct Section1<'a> {
    content: &'a [u8],
    /// The reset table's entries (8 or 4 bytes each).
    table: &'a [u8],
    entry_size: usize,
    table_entries: u64,
    uncompressed: u64,
    window_bits: u8,
    interval_frames: u64,
}

impl Section1<'_> {
    fn frames(&self) -> u64 {
        self.uncompressed.div_ceil(FRAME as u64)
    }

    /// Compressed bytes of the frames that hold section bytes
    /// `start..end` (none when the reset table does not locate them).
    fn packed_between(&self, start: u64, end: u64) -> Option<u64> {
        let first = start / FRAME as u64;
        let last = end.saturating_sub(1) / FRAME as u64;
        let to = self.frame_start((last + 1).min(self.table_entries))?;
        let from = self.frame_start(first)?;
        to.checked_sub(from).filter(|&n| n > 0)
    }

    /// Compressed offset of frame `i`'s start (the end of the content for
    /// the frame after the last entry).
    fn frame_start(&self, i: u64) -> Option<u64> {
        if i == self.table_entries {
            return Some(self.content.len() as u64);
        }
        let at = usize::try_from(i).ok()?.checked_mul(self.entry_size)?;
        let b = self.table.get(at..at + self.entry_size)?;
        Some(match self.entry_size {
            4 => u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            _ => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                u64::from_le_bytes(a)
            }
        })
    }
}

/// Read ControlData and the reset table.
fn section1<'a>(
    by_name: &HashMap<&str, &DirEntry>,
    section0: &dyn Fn(&DirEntry) -> Result<&'a [u8], Error>,
) -> Result<Section1<'a>, Error> {
    let find = |name: &str| {
        by_name.get(name).copied().ok_or_else(|| {
            Error::malformed(format!(
                "files are in the compressed section, but `{name}` is not in the directory"
            ))
        })
    };
    let content = section0(find(CONTENT)?)?;
    let control = section0(find(CONTROL)?)?;
    let table = section0(find(RESET_TABLE)?)?;
    let (Some(sig), Some(version), Some(interval), Some(window)) = (
        control.get(4..8),
        le_u32(control, 8),
        le_u32(control, 12),
        le_u32(control, 16),
    ) else {
        return Err(Error::malformed(format!(
            "`{CONTROL}` holds {} bytes, fewer than its 20 of fields",
            control.len()
        )));
    };
    if sig != b"LZXC" {
        return Err(Error::malformed(format!(
            "`{CONTROL}` does not hold `LZXC`: the compressed section is not LZX"
        )));
    }
    let unit = match version {
        1 => 1u64,
        2 => FRAME as u64,
        v => {
            return Err(Error::unsupported(format!(
                "`{CONTROL}` version {v} (LZXC versions 1 and 2 are known)"
            )))
        }
    };
    let (interval, window) = (u64::from(interval) * unit, u64::from(window) * unit);
    let window_bits = match window {
        w if w.is_power_of_two() && (1 << 15..=1 << 21).contains(&w) => w.trailing_zeros() as u8,
        w => {
            return Err(Error::malformed(format!(
                "LZX window of {w} bytes in `{CONTROL}` (2^15 to 2^21 are valid)"
            )))
        }
    };
    if interval == 0 || !interval.is_multiple_of(FRAME as u64) {
        return Err(Error::malformed(format!(
            "LZX reset interval of {interval} bytes in `{CONTROL}` is not a positive multiple of 32 KiB"
        )));
    }
    let (Some(n), Some(entry_size), Some(table_at), Some(uncompressed), Some(frame_len)) = (
        le_u32(table, 4),
        le_u32(table, 8),
        le_u32(table, 12),
        le_u64(table, 0x10),
        le_u32(table, 0x20),
    ) else {
        return Err(Error::malformed(format!(
            "the reset table holds {} bytes, fewer than its {RT_HEADER}-byte header",
            table.len()
        )));
    };
    if frame_len as usize != FRAME {
        return Err(Error::malformed(format!(
            "the reset table's frame length is {frame_len}, not 32768"
        )));
    }
    if entry_size != 4 && entry_size != 8 {
        return Err(Error::malformed(format!(
            "the reset table's entries are {entry_size} bytes (4 or 8 are valid)"
        )));
    }
    let entries = table.get(table_at as usize..).unwrap_or(&[]);
    // Entries the table has room for: the count cannot make us read more.
    let table_entries = u64::from(n).min((entries.len() / entry_size as usize) as u64);
    Ok(Section1 {
        content,
        table: entries,
        entry_size: entry_size as usize,
        table_entries,
        uncompressed,
        window_bits,
        interval_frames: interval / FRAME as u64,
    })
}

/// The section-1 stream, decoded frame by frame as it is read.
struct Section1Reader<'a> {
    s: Section1<'a>,
    decoder: Option<Box<Lzx>>,
    /// Index of the next frame to decode.
    next_frame: u64,
    out: Vec<u8>,
    out_pos: usize,
    /// Section offset of the next byte `read` returns.
    position: u64,
    /// Section offset up to which frames have been decoded at least once.
    high_water: u64,
    /// Bytes decoded again so far, and the bound.
    redecoded: u64,
    max_redecoded: u64,
    /// The error of the frame that failed (frames of its reset interval
    /// after it fail with it).
    failed: Option<(u64, io::ErrorKind, String)>,
}

impl Section1Reader<'_> {
    /// Position the stream at section offset `target`: on from here, or
    /// from the reset point before `target` when that skips frames or when
    /// `target` lies behind.
    fn seek(&mut self, target: u64) -> Result<(), Error> {
        let frame = target / FRAME as u64;
        let reset = frame - frame % self.s.interval_frames;
        let behind = target < self.position;
        let jump = behind || reset > self.next_frame || self.decoder.is_none();
        if jump {
            if behind {
                let again = self.high_water.saturating_sub(reset * FRAME as u64);
                if self
                    .redecoded
                    .saturating_add(again.min(target - reset * FRAME as u64 + 1))
                    > self.max_redecoded
                {
                    return Err(Error::limit(
                        Limit::MaxRedecodedBytes,
                        format!(
                            "reaching offset {target} of the compressed section means decoding it again from {} ({} bytes decoded again so far; max_redecoded_bytes is {})",
                            reset * FRAME as u64,
                            self.redecoded,
                            self.max_redecoded
                        ),
                    ));
                }
            }
            self.decoder = None;
            self.next_frame = reset;
            self.out.clear();
            self.out_pos = 0;
            self.position = reset * FRAME as u64;
        }
        while self.position < target {
            let avail = (self.out.len() - self.out_pos) as u64;
            if avail == 0 {
                let more = self
                    .next_block()
                    .map_err(|e| installsift_model::error::io_to_error(&e, 0))?;
                if !more {
                    return Err(Error::truncated(format!(
                        "the compressed section ends at {} before offset {target}",
                        self.position
                    )));
                }
                continue;
            }
            let n = avail.min(target - self.position) as usize;
            self.out_pos += n;
            self.position += n as u64;
        }
        Ok(())
    }

    /// Decode the next frame into `out`; false at the section's end.
    fn next_block(&mut self) -> io::Result<bool> {
        let i = self.next_frame;
        if i >= self.s.frames() {
            return Ok(false);
        }
        if let Some((reset, kind, msg)) = &self.failed {
            if i / self.s.interval_frames == *reset {
                return Err(io::Error::new(*kind, msg.clone()));
            }
        }
        let result = self.frame(i);
        if let Err(e) = &result {
            self.failed = Some((i / self.s.interval_frames, e.kind(), e.to_string()));
            self.decoder = None;
        }
        result.map(|()| true)
    }

    fn frame(&mut self, i: u64) -> io::Result<()> {
        let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
        let start_byte = i * FRAME as u64;
        let out_len = (self.s.uncompressed - start_byte).min(FRAME as u64) as usize;
        // The section's last frame is encoded whole (its output is padded
        // to 32 KiB, as libmspack notes: "the uncompressed length given in
        // the reset table is dishonest"): decoded whole, then cut.
        if start_byte < self.high_water {
            self.redecoded = self.redecoded.saturating_add(out_len as u64);
        }
        if i.is_multiple_of(self.s.interval_frames) || self.decoder.is_none() {
            if let Some(why) = self.decoder.as_ref().and_then(|d| d.refusal()) {
                if i.is_multiple_of(self.s.interval_frames) && why.contains("unread") {
                    return Err(bad(format!("LZX frame {i}: at the reset point, {why}")));
                }
            }
            if !i.is_multiple_of(self.s.interval_frames) {
                return Err(bad(format!(
                    "LZX frame {i} is not at a reset point and the frames before it were not decoded"
                )));
            }
            // The window's allocation is kept from one reset point to the
            // next (none of its bytes is read again).
            self.decoder = match self.decoder.take() {
                Some(d) => d.renew(self.s.window_bits, start_byte, i),
                None => Lzx::starting_at(self.s.window_bits, start_byte, i).map(Box::new),
            };
        }
        let (Some(from), Some(to)) = (self.s.frame_start(i), self.s.frame_start(i + 1)) else {
            return Err(bad(format!(
                "LZX frame {i}: the reset table locates {} frames, the section's {} bytes need {}",
                self.s.table_entries,
                self.s.uncompressed,
                self.s.frames()
            )));
        };
        let to = if i + 1 == self.s.frames() {
            // The last frame runs to the next table entry or the end.
            to.max(from)
        } else {
            to
        };
        let Some(input) = usize::try_from(from)
            .ok()
            .zip(usize::try_from(to).ok())
            .and_then(|(a, b)| self.s.content.get(a..b))
        else {
            return Err(bad(format!(
                "LZX frame {i}: its input {from}..{to} (reset table) is not within the {} bytes of `Content`",
                self.s.content.len()
            )));
        };
        let Some(d) = self.decoder.as_mut() else {
            return Err(bad(format!("LZX frame {i}: no decoder")));
        };
        self.out.clear();
        self.out_pos = 0;
        d.decode_frame(input, FRAME, &mut self.out).map_err(|e| {
            bad(format!(
                "LZX frame {i} (input {from}..{to}): {}",
                e.message()
            ))
        })?;
        self.out.truncate(out_len);
        self.next_frame = i + 1;
        self.high_water = self.high_water.max(start_byte + out_len as u64);
        Ok(())
    }
}

impl Read for Section1Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.out_pos >= self.out.len() {
            if !self.next_block()? {
                return Ok(0);
            }
        }
        let src = self.out.get(self.out_pos..).unwrap_or(&[]);
        let n = src.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or(&mut [])
            .copy_from_slice(src.get(..n).unwrap_or(&[]));
        self.out_pos += n;
        self.position += n as u64;
        Ok(n)
    }
}

/// What to hand over for a file.
enum Step<'a> {
    Slice(&'a [u8]),
    Decode,
    Copy(usize),
    Missing(Error),
}

/// The files of a CHM, in the order of their data.
struct Walk<'a> {
    info: ChmInfo,
    plan: Vec<(DirEntry, Step<'a>)>,
    next: usize,
    section1: Result<Section1Reader<'a>, Error>,
    /// The name of the file the engine is reading.
    reading: Option<String>,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<container::Entry<'_>> {
        let (f, step) = self.plan.get(self.next)?;
        self.next += 1;
        let name = f.name.trim_start_matches('/').to_owned();
        let mut info = EntryInfo::new(EntryKind::File);
        info.method = Some(if f.section == 1 { "lzx" } else { "stored" }.to_owned());
        let what = format!(
            "chm file `{name}` (section {}, offset {})",
            f.section, f.offset
        );
        let (offset, length) = (f.offset, f.length);
        let data = match step {
            Step::Slice(b) => Data::Slice(b),
            Step::Copy(of) => Data::Copy { of: *of },
            Step::Missing(e) => Data::Missing {
                size: length,
                error: context(e.clone(), &what),
            },
            Step::Decode => match &mut self.section1 {
                Err(e) => Data::Missing {
                    size: length,
                    error: context(e.clone(), &what),
                },
                Ok(r) => {
                    let end = offset.checked_add(length);
                    if end.is_none_or(|e| e > r.s.uncompressed) {
                        Data::Missing {
                            size: length,
                            error: Error::malformed(format!(
                                "{what}: its {length} bytes run past the compressed section's {} bytes",
                                r.s.uncompressed
                            )),
                        }
                    } else {
                        match r.seek(offset) {
                            Err(e) => Data::Missing {
                                size: length,
                                error: context(e, &what),
                            },
                            Ok(()) => {
                                self.reading = Some(what);
                                // The compressed bytes of the frames the file
                                // spans, for the engine's ratio check.
                                let stored = r.s.packed_between(offset, offset + length);
                                Data::Decode {
                                    reader: Box::new(r.take(length)),
                                    declared: Some(length),
                                    stored,
                                }
                            }
                        }
                    }
                }
            },
        };
        Some(container::Entry { name, info, data })
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        _entry: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        let Some(what) = self.reading.take() else {
            return;
        };
        if let Err(e) = read {
            *e = context(e.clone(), &what);
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::Chm,
            metadata: Some(Metadata::Chm(Box::new(self.info))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;
    use installsift_model::Limits;

    fn names(l: &crate::container::Listing) -> Vec<String> {
        l.entries.iter().map(|(n, _, _)| n.clone()).collect()
    }

    #[test]
    fn encints() {
        let b = [0x81, 0x00, 0x7F, 0xFF];
        let mut p = 0;
        assert_eq!(encint(&b, &mut p, 4), Some(128));
        assert_eq!(encint(&b, &mut p, 4), Some(127));
        assert_eq!(encint(&b, &mut p, 4), None);
        let long = [0xFFu8; 12];
        let mut p = 0;
        assert_eq!(encint(&long, &mut p, 12), None);
    }

    /// chmcmd's sample listed without the engine: the files 7-Zip lists,
    /// every one decoded, no error.
    #[test]
    fn listing_without_the_engine() {
        let Some(d) = sample("chm/chmcmd_help.chm") else {
            unreachable!("sample() panics when the sample is missing");
        };
        let l = list(open, &d, &Limits::default(), usize::MAX);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let mut n = names(&l);
        n.sort();
        assert!(n.contains(&"guide/big.html".to_owned()), "{n:?}");
        assert!(n.iter().all(|n| !n.starts_with("::") && !n.ends_with('/')));
        for (name, _, listed) in &l.entries {
            match listed {
                Listed::Decoded(Ok(_)) | Listed::Slice { .. } | Listed::Copy(_) => {}
                other => panic!("{name}: {other:?}"),
            }
        }
        // Stopped after one entry: no false damage.
        let one = list(open, &d, &Limits::default(), 1);
        assert!(one.notes.errors.is_empty(), "{:?}", one.notes.errors);
    }

    /// The reset table's frame offsets corrupted (frame 1 moved): the
    /// files of that reset interval are missing with a `malformed` LZX
    /// error; files of other intervals still decode.
    #[test]
    fn a_wrong_reset_table_entry_is_malformed() {
        let Some(mut d) = sample("chm/chmcmd_help.chm") else {
            unreachable!("sample() panics when the sample is missing");
        };
        let at = find(&d, RESET_TABLE) + RT_HEADER + 8;
        d[at] ^= 0x10;
        let l = list(open, &d, &Limits::default(), usize::MAX);
        let errors: Vec<String> = l
            .entries
            .iter()
            .filter_map(|(_, _, x)| match x {
                Listed::Decoded(Err(e)) | Listed::Missing { error: e, .. } => Some(e.to_string()),
                _ => None,
            })
            .collect();
        assert!(errors.iter().any(|e| e.contains("LZX frame")), "{errors:?}");
        // A file of a later reset interval is decoded from its own reset point.
        let logo = l.entries.iter().find(|(n, _, _)| n == "img/logo.bmp");
        assert!(
            matches!(logo, Some((_, _, Listed::Decoded(Ok(_))))),
            "{logo:?}"
        );
    }

    /// `/guide/install.html` moved (its offset ENCINT rewritten) to 100
    /// bytes into `/guide/big.html`: it is decoded again from its reset
    /// point, to big.html's bytes there; with `max_redecoded_bytes` 0 it
    /// is missing with that limit's error instead.
    #[test]
    fn overlapping_files_are_decoded_again_within_the_limit() {
        let Some(mut d) = sample("chm/chmcmd_help.chm") else {
            unreachable!("sample() panics when the sample is missing");
        };
        let name = b"/guide/install.html";
        let at = d
            .windows(name.len())
            .position(|w| w == name)
            .expect("entry name")
            + name.len();
        // section 1 (one byte), then the offset: 2940 in two bytes.
        assert_eq!(&d[at..at + 3], &[0x01, 0x96, 0x7C]);
        let big_offset = 3063u16 + 100;
        d[at + 1] = 0x80 | (big_offset >> 7) as u8;
        d[at + 2] = (big_offset & 0x7F) as u8;
        let decoded = |l: &crate::container::Listing, n: &str| -> Option<Result<Vec<u8>, Error>> {
            l.entries.iter().find_map(|(name, _, x)| match x {
                Listed::Decoded(r) if name == n => Some(r.clone()),
                Listed::Missing { error, .. } if name == n => Some(Err(error.clone())),
                _ => None,
            })
        };
        let l = list(open, &d, &Limits::default(), usize::MAX);
        let big = decoded(&l, "guide/big.html")
            .expect("big")
            .expect("big decodes");
        let moved = decoded(&l, "guide/install.html")
            .expect("install")
            .expect("decodes");
        assert_eq!(moved, big[100..223]);
        let tight = Limits {
            max_redecoded_bytes: 0,
            ..Limits::default()
        };
        let l = list(open, &d, &tight, usize::MAX);
        let e = decoded(&l, "guide/install.html")
            .expect("install")
            .unwrap_err();
        assert_eq!(e.limit_hit(), Some(Limit::MaxRedecodedBytes), "{e}");
    }

    /// Offset in `d` of the data of the section-0 stream `name` (read
    /// through the parser's own directory walk).
    fn find(d: &[u8], name: &str) -> usize {
        let mut info = ChmInfo::default();
        let mut notes = Notes::default();
        let hs1 = le_u64(d, 0x48).unwrap();
        let chunk = le_u32_at(d, hs1 + 0x10).unwrap();
        let e = read_directory(d, hs1 + ITSP_SIZE, chunk, 0, 0, 1, &mut info, &mut notes);
        let e = e.iter().find(|e| e.name == name).unwrap();
        (le_u64(d, 0x58).unwrap() + e.offset) as usize
    }

    /// Every cut of the sample: no panic, and the entries it lists are
    /// within the data or missing with an error.
    #[test]
    fn every_cut_is_read_around() {
        let Some(d) = sample("chm/chmcmd_help.chm") else {
            unreachable!("sample() panics when the sample is missing");
        };
        for cut in (0..d.len()).step_by(97) {
            let l = list(open, &d[..cut], &Limits::default(), usize::MAX);
            if cut < d.len() && cut > 0x60 {
                let damaged = !l.notes.errors.is_empty()
                    || l.entries.iter().any(|(_, _, x)| {
                        matches!(x, Listed::Decoded(Err(_)) | Listed::Missing { .. })
                    });
                assert!(damaged, "cut at {cut}: no error");
            }
        }
    }
}
