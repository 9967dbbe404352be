//! A tolerant, bounds-checked Compound File Binary reader over `&[u8]`.
//!
//! Layout ([MS-CFB]): a 512-byte header; sector `n` starts at
//! `(n + 1) * sector_size`. The header holds the first 109 DIFAT entries
//! (sector numbers of FAT sectors) and the start of a DIFAT sector chain for
//! the rest. The FAT maps each sector to the next sector of its chain. The
//! directory is a chain of 128-byte entries forming a red-black tree per
//! storage (left / right siblings, child). Streams shorter than the mini
//! stream cutoff live in 64-byte mini sectors inside the root entry's stream,
//! chained by the MiniFAT.
//!
//! Unlike the `cfb` crate, this reader keeps going when parts are missing
//! (truncated files, broken chains): it records each problem and serves what
//! is intact. Every chain walk has a visited set and can be no longer than
//! the number of sectors the data could hold; nothing is preallocated from a
//! header count.

use super::super::{le_u16, le_u32, le_u64};
use installsift_model::error::Error;
use std::collections::HashSet;

/// End of a sector chain.
pub const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// Unallocated sector.
pub const FREESECT: u32 = 0xFFFF_FFFF;
/// No such directory entry (tree leaf).
pub const NOSTREAM: u32 = 0xFFFF_FFFF;
/// Size of the header and of a version-3 sector.
const HEADER_LEN: usize = 512;
/// Size of one directory entry.
const DIR_ENTRY_LEN: usize = 128;
/// Header DIFAT entries.
const HEADER_DIFAT: usize = 109;
/// Deepest storage nesting followed in the directory tree.
const MAX_STORAGE_DEPTH: usize = 32;

/// Directory entry type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    /// Unused slot.
    Empty,
    /// A storage (directory).
    Storage,
    /// A stream (file).
    Stream,
    /// The root storage (entry 0).
    Root,
    /// Any other value (invalid).
    Other(u8),
}

/// One directory entry as stored.
#[derive(Debug, Clone)]
pub struct DirEntry {
    /// Index in the directory array.
    pub id: u32,
    /// Name, decoded from UTF-16 (MSI names are still in their compressed
    /// form here; see `msi::decode_stream_name`).
    pub name: String,
    /// Entry type.
    pub kind: EntryType,
    /// Left sibling.
    pub left: u32,
    /// Right sibling.
    pub right: u32,
    /// First child (storages only).
    pub child: u32,
    /// CLSID (storages only), raw 16 bytes.
    pub clsid: [u8; 16],
    /// First sector of the stream (or of the mini stream for the root).
    pub start: u32,
    /// Stream size in bytes.
    pub size: u64,
    /// Byte offset of this entry in the file, when known.
    pub offset: Option<u64>,
    /// The name field as stored: the first `name length` bytes (UTF-16LE,
    /// normally with its terminating zero), at most 64. The MSI Authenticode
    /// digest sorts by these bytes.
    pub raw_name: Vec<u8>,
    /// The declared name length in bytes (0x40), not capped.
    pub name_len: u16,
    /// State bits (0x60).
    pub state_bits: [u8; 4],
    /// Creation time (0x64), raw FILETIME.
    pub created: [u8; 8],
    /// Modification time (0x6C), raw FILETIME.
    pub modified: [u8; 8],
}

/// A stream found by walking the directory tree.
#[derive(Debug, Clone)]
pub struct StreamRef {
    /// Directory entry index.
    pub id: u32,
    /// Names of enclosing storages below the root, outermost first.
    pub parents: Vec<String>,
}

/// The parsed skeleton of a compound file.
pub struct Cfb<'a> {
    data: &'a [u8],
    sector_size: usize,
    mini_sector_size: usize,
    mini_cutoff: u64,
    /// FAT sectors in DIFAT order; `None` when the sector lies outside the data.
    fat_sectors: Vec<Option<&'a [u8]>>,
    /// MiniFAT as read (prefix that could be read).
    minifat: Vec<u32>,
    /// Sectors of the mini stream (the root entry's chain), in order.
    ministream: Vec<u32>,
    /// Directory entries that could be read, in index order.
    pub entries: Vec<DirEntry>,
    /// Major version (3 or 4).
    pub major_version: u16,
    /// Problems met while reading the skeleton.
    pub problems: Vec<Error>,
}

impl<'a> Cfb<'a> {
    /// Read the header, DIFAT, FAT index, directory and MiniFAT. Fails only
    /// when the header itself is unusable; other damage is recorded in
    /// `problems`. At most `max_entries` directory entries are read.
    pub fn open(data: &'a [u8], max_entries: u64) -> Result<Self, Error> {
        if data.len() < HEADER_LEN {
            return Err(Error::truncated(format!(
                "compound file header needs 512 bytes, data has {}",
                data.len()
            )));
        }
        if !data.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
            return Err(Error::malformed("compound file signature missing"));
        }
        let major_version = le_u16(data, 0x1A).unwrap_or(0);
        let shift = le_u16(data, 0x1E).unwrap_or(0);
        let mut problems = Vec::new();
        // Version 3 means 512-byte sectors (shift 9), version 4 4096 (shift
        // 12). When the two disagree, or one is damaged, the one that still
        // names a valid size is believed and the damage said: the file's
        // format was recognised by its signature, and everything after the
        // header may be intact.
        let sector_size = match (major_version, shift) {
            (3, 9) => 512,
            (4, 12) => 4096,
            (v, s) => {
                let size = match (s, v) {
                    (9, _) => 512,
                    (12, _) => 4096,
                    (_, 4) => 4096,
                    _ => 512,
                };
                problems.push(Error::malformed(format!(
                    "compound file version {v} with sector shift {s} (expected 3/9 or 4/12); read with {size}-byte sectors"
                )));
                size
            }
        };
        let mini_shift = le_u16(data, 0x20).unwrap_or(0);
        if mini_shift != 6 {
            problems.push(Error::malformed(format!(
                "mini sector shift is {mini_shift}, expected 6; using 6"
            )));
        }
        let mut cfb = Cfb {
            data,
            sector_size,
            mini_sector_size: 64,
            mini_cutoff: u64::from(le_u32(data, 0x38).unwrap_or(4096)),
            fat_sectors: Vec::new(),
            minifat: Vec::new(),
            ministream: Vec::new(),
            entries: Vec::new(),
            major_version,
            problems,
        };
        if cfb.mini_cutoff != 4096 {
            cfb.problems.push(Error::malformed(format!(
                "mini stream cutoff is {}, expected 4096",
                cfb.mini_cutoff
            )));
        }
        cfb.read_difat();
        cfb.read_directory(max_entries);
        cfb.read_minifat();
        Ok(cfb)
    }

    /// How many sectors the data could hold (an upper bound for any chain).
    fn sector_capacity(&self) -> usize {
        self.data.len().saturating_sub(HEADER_LEN) / self.sector_size + 1
    }

    /// Byte offset of sector `n`.
    fn sector_offset(&self, n: u32) -> Option<usize> {
        (n as usize).checked_add(1)?.checked_mul(self.sector_size)
    }

    /// The bytes of sector `n`, if wholly inside the data. The last sector of
    /// a file may legally be short; it is served as far as it goes.
    fn sector(&self, n: u32) -> Option<&'a [u8]> {
        let off = self.sector_offset(n)?;
        if off >= self.data.len() {
            return None;
        }
        let end = off.saturating_add(self.sector_size).min(self.data.len());
        self.data.get(off..end)
    }

    /// Whether sector `n` is wholly inside the data.
    fn sector_complete(&self, n: u32) -> bool {
        self.sector_offset(n)
            .and_then(|o| o.checked_add(self.sector_size))
            .is_some_and(|e| e <= self.data.len())
    }

    fn read_difat(&mut self) {
        let data = self.data;
        let mut fat_ids: Vec<u32> = Vec::new();
        for i in 0..HEADER_DIFAT {
            match le_u32(data, 0x4C + i * 4) {
                Some(FREESECT | ENDOFCHAIN) | None => {}
                Some(s) => fat_ids.push(s),
            }
        }
        let declared_difat = le_u32(data, 0x48).unwrap_or(0);
        let mut next = le_u32(data, 0x44).unwrap_or(ENDOFCHAIN);
        let mut seen = HashSet::new();
        let per = self.sector_size / 4 - 1;
        let cap = self.sector_capacity();
        while next != ENDOFCHAIN && next != FREESECT {
            if !seen.insert(next) || seen.len() > cap {
                self.problems.push(Error::malformed(format!(
                    "DIFAT chain loops back to sector {next}"
                )));
                break;
            }
            let Some(sec) = self.sector(next).filter(|_| self.sector_complete(next)) else {
                self.problems.push(Error::truncated(format!(
                    "DIFAT sector {next} lies past the end of the data ({} bytes)",
                    data.len()
                )));
                break;
            };
            for i in 0..per {
                match le_u32(sec, i * 4) {
                    Some(FREESECT | ENDOFCHAIN) | None => {}
                    Some(s) => fat_ids.push(s),
                }
            }
            next = le_u32(sec, per * 4).unwrap_or(ENDOFCHAIN);
        }
        if seen.len() as u64 != u64::from(declared_difat) && self.problems.is_empty() {
            self.problems.push(Error::malformed(format!(
                "header declares {declared_difat} DIFAT sectors, chain has {}",
                seen.len()
            )));
        }
        let declared_fat = le_u32(data, 0x2C).unwrap_or(0);
        if fat_ids.len() as u64 != u64::from(declared_fat) {
            self.problems.push(Error::malformed(format!(
                "header declares {declared_fat} FAT sectors, DIFAT lists {}",
                fat_ids.len()
            )));
        }
        let mut missing = Vec::new();
        for &s in &fat_ids {
            let sec = self.sector(s).filter(|_| self.sector_complete(s));
            if sec.is_none() {
                missing.push(s);
            }
            self.fat_sectors.push(sec);
        }
        if let Some(first) = missing.first() {
            self.problems.push(Error::truncated(format!(
                "{} of {} FAT sectors lie past the end of the data (first: sector {first}); chains through them are lost",
                missing.len(),
                fat_ids.len()
            )));
        }
    }

    /// The FAT entry for sector `n`: `Ok(next)`, or `Err` when the FAT sector
    /// holding it is missing or `n` is beyond the FAT.
    fn fat_next(&self, n: u32) -> Result<u32, Error> {
        let per = self.sector_size / 4;
        let idx = n as usize / per;
        match self.fat_sectors.get(idx) {
            Some(Some(sec)) => le_u32(sec, (n as usize % per) * 4)
                .ok_or_else(|| Error::truncated(format!("FAT entry for sector {n} is cut off"))),
            Some(None) => Err(Error::truncated(format!(
                "the FAT sector that maps sector {n} is missing"
            ))),
            None => Err(Error::malformed(format!(
                "sector {n} is beyond the FAT ({} entries)",
                self.fat_sectors.len() * per
            ))),
        }
    }

    /// Follow a FAT chain from `start`. Returns the sectors reached and, when
    /// the chain did not end cleanly, why. At most `max_len` sectors.
    pub fn chain(&self, start: u32, max_len: usize) -> (Vec<u32>, Option<Error>) {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut cur = start;
        let cap = self.sector_capacity().min(max_len);
        loop {
            if cur == ENDOFCHAIN {
                return (out, None);
            }
            if cur > 0xFFFF_FFFA {
                return (
                    out,
                    Some(Error::malformed(format!(
                        "chain from sector {start} hits special value {cur:#x}"
                    ))),
                );
            }
            if !seen.insert(cur) {
                return (
                    out,
                    Some(Error::malformed(format!(
                        "chain from sector {start} loops at sector {cur}"
                    ))),
                );
            }
            if out.len() >= cap {
                return (
                    out,
                    Some(Error::malformed(format!(
                        "chain from sector {start} is longer than {cap} sectors"
                    ))),
                );
            }
            out.push(cur);
            match self.fat_next(cur) {
                Ok(n) => cur = n,
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn read_directory(&mut self, max_entries: u64) {
        let first = le_u32(self.data, 0x30).unwrap_or(ENDOFCHAIN);
        let per = self.sector_size / DIR_ENTRY_LEN;
        let max_sectors = usize::try_from(max_entries / per as u64 + 1).unwrap_or(usize::MAX);
        let (sectors, err) = self.chain(first, max_sectors);
        if let Some(e) = err {
            self.problems.push(prefix("directory chain", e));
        }
        'outer: for s in sectors {
            let Some(sec) = self.sector(s) else {
                self.problems.push(Error::truncated(format!(
                    "directory sector {s} lies past the end of the data ({} bytes)",
                    self.data.len()
                )));
                // Later sectors may still be inside; entry indexes must stay
                // aligned, so fill this sector's slots with empty entries.
                for _ in 0..per {
                    let id = self.entries.len() as u32;
                    self.entries.push(empty_entry(id));
                }
                continue;
            };
            let base = self.sector_offset(s).unwrap_or(0) as u64;
            for i in 0..per {
                if self.entries.len() as u64 >= max_entries {
                    self.problems.push(Error::limit(
                        installsift_model::limits::Limit::MaxEntriesPerContainer,
                        format!("directory read stopped after {max_entries} entries"),
                    ));
                    break 'outer;
                }
                let id = self.entries.len() as u32;
                let e = match sec.get(i * DIR_ENTRY_LEN..(i + 1) * DIR_ENTRY_LEN) {
                    Some(raw) => parse_entry(
                        id,
                        raw,
                        base + (i * DIR_ENTRY_LEN) as u64,
                        self.major_version,
                    ),
                    None => {
                        if i * DIR_ENTRY_LEN < sec.len() {
                            self.problems
                                .push(Error::truncated(format!("directory entry {id} is cut off")));
                        }
                        empty_entry(id)
                    }
                };
                self.entries.push(e);
            }
        }
        match self.entries.first() {
            Some(e) if e.kind == EntryType::Root => {}
            Some(e) if e.kind == EntryType::Empty && e.offset.is_none() => {}
            Some(e) => self.problems.push(Error::malformed(format!(
                "directory entry 0 has type {:?}, not root",
                e.kind
            ))),
            None => self
                .problems
                .push(Error::truncated("no directory entry could be read")),
        }
    }

    fn read_minifat(&mut self) {
        let first = le_u32(self.data, 0x3C).unwrap_or(ENDOFCHAIN);
        let (sectors, err) = self.chain(first, usize::MAX);
        if let Some(e) = err {
            self.problems.push(prefix("MiniFAT chain", e));
        }
        for s in sectors {
            let Some(sec) = self.sector(s).filter(|_| self.sector_complete(s)) else {
                self.problems.push(Error::truncated(format!(
                    "MiniFAT sector {s} lies past the end of the data"
                )));
                break;
            };
            self.minifat.extend(
                sec.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        if let Some(root) = self.entries.first().filter(|e| e.kind == EntryType::Root) {
            let (start, size) = (root.start, root.size);
            if start != ENDOFCHAIN && size > 0 {
                let need =
                    usize::try_from(size.div_ceil(self.sector_size as u64)).unwrap_or(usize::MAX);
                let (sectors, err) = self.chain(start, need);
                if let Some(e) = err {
                    self.problems.push(prefix("mini stream chain", e));
                }
                self.ministream = sectors;
            }
        }
    }

    /// The root entry, if it was read.
    pub fn root(&self) -> Option<&DirEntry> {
        self.entries.first().filter(|e| e.kind == EntryType::Root)
    }

    /// Walk the directory tree from the root and list every stream (with its
    /// storage path) and storage reached. Entries of type stream that the
    /// walk did not reach (a damaged tree) are appended as orphans at the
    /// root level, with a problem recorded, so their data is not lost.
    pub fn walk(&self) -> (Vec<StreamRef>, Vec<StreamRef>, Vec<Error>) {
        let mut streams = Vec::new();
        let mut storages = Vec::new();
        let mut problems = Vec::new();
        let mut visited = HashSet::new();
        if let Some(root) = self.root() {
            visited.insert(0u32);
            let mut stack: Vec<(u32, Vec<String>, usize)> = vec![(root.child, Vec::new(), 0)];
            // Iterative walk over each storage's sibling tree.
            while let Some((node, parents, depth)) = stack.pop() {
                if node == NOSTREAM {
                    continue;
                }
                let Some(e) = self.entries.get(node as usize) else {
                    problems.push(Error::malformed(format!(
                        "directory tree points at entry {node}, only {} read",
                        self.entries.len()
                    )));
                    continue;
                };
                if !visited.insert(node) {
                    problems.push(Error::malformed(format!(
                        "directory tree reaches entry {node} twice"
                    )));
                    continue;
                }
                stack.push((e.right, parents.clone(), depth));
                stack.push((e.left, parents.clone(), depth));
                match e.kind {
                    EntryType::Stream => streams.push(StreamRef { id: node, parents }),
                    EntryType::Storage => {
                        if depth >= MAX_STORAGE_DEPTH {
                            problems.push(Error::malformed(format!(
                                "storages nested deeper than {MAX_STORAGE_DEPTH}"
                            )));
                            continue;
                        }
                        let mut p = parents.clone();
                        p.push(e.name.clone());
                        storages.push(StreamRef { id: node, parents });
                        stack.push((e.child, p, depth + 1));
                    }
                    EntryType::Empty if e.offset.is_none() => {
                        problems.push(Error::truncated(format!(
                            "directory entry {node} lies in a missing sector"
                        )));
                    }
                    k => problems.push(Error::malformed(format!(
                        "directory tree reaches entry {node} of type {k:?}"
                    ))),
                }
            }
        }
        if !problems.is_empty() || self.root().is_none() {
            let orphans: Vec<u32> = self
                .entries
                .iter()
                .filter(|e| e.kind == EntryType::Stream && !visited.contains(&e.id))
                .map(|e| e.id)
                .collect();
            if !orphans.is_empty() {
                problems.push(Error::malformed(format!(
                    "{} stream entries are not reachable from the root; listed at the root",
                    orphans.len()
                )));
                streams.extend(orphans.into_iter().map(|id| StreamRef {
                    id,
                    parents: Vec::new(),
                }));
            }
        }
        (streams, storages, problems)
    }

    /// A stream's declared size: version 3 files use only its low 32 bits.
    fn stream_size(&self, e: &DirEntry) -> u64 {
        if self.major_version == 3 {
            e.size & 0xFFFF_FFFF
        } else {
            e.size
        }
    }

    /// Claim the sectors of stream `e` (directory entry `id`) in `claimed`
    /// (sector → owning entry), walking its chain no further than its size
    /// needs; the first sector another stream claimed already, with its
    /// owner. Streams never share sectors in a sound file, but a hostile
    /// one points thousands of streams at one chain (or merges their
    /// chains into one) so that each reads it again; walking stops at the
    /// first claimed sector, so every sector is walked for one stream
    /// only. Mini streams (under the cutoff, at most 4 KiB each) are not
    /// walked.
    pub(crate) fn claim_sectors(
        &self,
        e: &DirEntry,
        id: u32,
        claimed: &mut std::collections::HashMap<u32, u32>,
    ) -> Option<(u32, u32)> {
        let size = self.stream_size(e);
        if (size < self.mini_cutoff && e.kind != EntryType::Root) || size == 0 {
            return None;
        }
        let need = size.div_ceil(self.sector_size as u64);
        let mut cur = e.start;
        let mut walked = 0u64;
        while walked < need && cur <= 0xFFFF_FFFA {
            match claimed.get(&cur) {
                // Its own sector again: a loop, which reading reports.
                Some(&owner) if owner == id => return None,
                Some(&owner) => return Some((cur, owner)),
                None => {
                    claimed.insert(cur, id);
                }
            }
            walked += 1;
            cur = self.fat_next(cur).ok()?;
        }
        None
    }

    /// Read a stream's bytes in full. Streams shorter than the cutoff come
    /// from the mini stream. `max` bounds the size accepted (checked against
    /// the declared size before anything is copied). On a broken chain the
    /// error says where; the partial bytes are not returned.
    pub fn read_stream(&self, e: &DirEntry, max: u64) -> Result<Vec<u8>, Error> {
        let size = self.stream_size(e);
        if size > max {
            return Err(Error::limit(
                installsift_model::limits::Limit::MaxEntrySize,
                format!("stream declares {size} bytes, limit is {max}"),
            ));
        }
        if size == 0 {
            return Ok(Vec::new());
        }
        // The data cannot hold more than its own length.
        if size > self.data.len() as u64 {
            return Err(Error::truncated(format!(
                "stream declares {size} bytes, the whole file has {}",
                self.data.len()
            )));
        }
        let size = size as usize;
        let mut out = Vec::with_capacity(size);
        if (size as u64) < self.mini_cutoff && e.kind != EntryType::Root {
            let ms = self.mini_sector_size;
            let mut seen = HashSet::new();
            let mut cur = e.start;
            while out.len() < size {
                if cur == ENDOFCHAIN || cur > 0xFFFF_FFFA {
                    return Err(Error::malformed(format!(
                        "mini chain ends after {} of {size} bytes",
                        out.len()
                    )));
                }
                if !seen.insert(cur) {
                    return Err(Error::malformed(format!(
                        "mini chain loops at mini sector {cur}"
                    )));
                }
                let off = cur as usize * ms;
                let big = off / self.sector_size;
                let Some(&sector) = self.ministream.get(big) else {
                    return Err(Error::truncated(format!(
                        "mini sector {cur} lies beyond the readable mini stream"
                    )));
                };
                let Some(sec) = self.sector(sector) else {
                    return Err(Error::truncated(format!(
                        "mini stream sector {sector} lies past the end of the data"
                    )));
                };
                let within = off % self.sector_size;
                let take = ms.min(size - out.len());
                let Some(bytes) = sec.get(within..within + take) else {
                    return Err(Error::truncated(format!("mini sector {cur} is cut off")));
                };
                out.extend_from_slice(bytes);
                let Some(&next) = self.minifat.get(cur as usize) else {
                    if out.len() >= size {
                        break;
                    }
                    return Err(Error::truncated(format!(
                        "MiniFAT has no entry for mini sector {cur}"
                    )));
                };
                cur = next;
            }
        } else {
            let need = size.div_ceil(self.sector_size);
            let (sectors, err) = self.chain(e.start, need);
            for s in &sectors {
                let Some(sec) = self.sector(*s) else {
                    return Err(Error::truncated(format!(
                        "sector {s} lies past the end of the data ({} bytes) after {} of {size} bytes",
                        self.data.len(),
                        out.len()
                    )));
                };
                let take = sec.len().min(size - out.len());
                if take < self.sector_size.min(size - out.len()) {
                    return Err(Error::truncated(format!(
                        "sector {s} is cut off after {} of {size} bytes",
                        out.len()
                    )));
                }
                out.extend_from_slice(sec.get(..take).unwrap_or(&[]));
            }
            if out.len() < size {
                return Err(match err {
                    Some(e) => prefix(
                        &format!("stream chain ({} of {size} bytes read)", out.len()),
                        e,
                    ),
                    None => {
                        Error::malformed(format!("chain ends after {} of {size} bytes", out.len()))
                    }
                });
            }
        }
        Ok(out)
    }

    /// [`read_stream`](Self::read_stream), borrowing the bytes instead of
    /// copying them when the stream is a regular one whose sectors follow
    /// each other in the file (as writers lay out big streams: the cabinet
    /// of an MSI is one run of sectors).
    pub fn read_stream_cow(
        &self,
        e: &DirEntry,
        max: u64,
    ) -> Result<std::borrow::Cow<'a, [u8]>, Error> {
        let size = self.stream_size(e);
        let regular = size >= self.mini_cutoff || e.kind == EntryType::Root;
        if regular && size > 0 && size <= max && size <= self.data.len() as u64 {
            let size = size as usize;
            let need = size.div_ceil(self.sector_size);
            let (sectors, err) = self.chain(e.start, need);
            let run = sectors
                .windows(2)
                .all(|w| w.first().map(|a| a.wrapping_add(1)) == w.get(1).copied());
            if err.is_none() && sectors.len() == need && run {
                let at = sectors.first().and_then(|&f| self.sector_offset(f));
                if let Some(b) = at.and_then(|o| self.data.get(o..o.checked_add(size)?)) {
                    return Ok(std::borrow::Cow::Borrowed(b));
                }
            }
        }
        self.read_stream(e, max).map(std::borrow::Cow::Owned)
    }

    /// Bytes of the data outside any readable structure (for carving): the
    /// whole input.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

fn prefix(what: &str, e: Error) -> Error {
    match e {
        e @ (Error::Truncated { .. } | Error::Malformed { .. }) => {
            installsift_model::error::context(e, what)
        }
        other => other,
    }
}

/// An unused directory slot.
pub(crate) fn empty_entry(id: u32) -> DirEntry {
    DirEntry {
        id,
        name: String::new(),
        kind: EntryType::Empty,
        left: NOSTREAM,
        right: NOSTREAM,
        child: NOSTREAM,
        clsid: [0; 16],
        start: ENDOFCHAIN,
        size: 0,
        offset: None,
        raw_name: Vec::new(),
        name_len: 0,
        state_bits: [0; 4],
        created: [0; 8],
        modified: [0; 8],
    }
}

fn parse_entry(id: u32, raw: &[u8], offset: u64, major: u16) -> DirEntry {
    let declared_len = le_u16(raw, 0x40).unwrap_or(0);
    let name_len = usize::from(declared_len).min(64);
    let units: Vec<u16> = (0..name_len / 2)
        .filter_map(|i| le_u16(raw, i * 2))
        .take_while(|&u| u != 0)
        .collect();
    let kind = match raw.get(0x42).copied().unwrap_or(0) {
        0 => EntryType::Empty,
        1 => EntryType::Storage,
        2 => EntryType::Stream,
        5 => EntryType::Root,
        k => EntryType::Other(k),
    };
    let mut clsid = [0u8; 16];
    if let Some(c) = raw.get(0x50..0x60) {
        clsid.copy_from_slice(c);
    }
    let size = le_u64(raw, 0x78).unwrap_or(0);
    let bytes = |at: usize| -> [u8; 8] {
        let mut b = [0u8; 8];
        if let Some(s) = raw.get(at..at + 8) {
            b.copy_from_slice(s);
        }
        b
    };
    let mut state_bits = [0u8; 4];
    if let Some(s) = raw.get(0x60..0x64) {
        state_bits.copy_from_slice(s);
    }
    DirEntry {
        id,
        name: String::from_utf16_lossy(&units),
        kind,
        left: le_u32(raw, 0x44).unwrap_or(NOSTREAM),
        right: le_u32(raw, 0x48).unwrap_or(NOSTREAM),
        child: le_u32(raw, 0x4C).unwrap_or(NOSTREAM),
        clsid,
        start: le_u32(raw, 0x74).unwrap_or(ENDOFCHAIN),
        // Version 3 writers may leave garbage in the high half.
        size: if major == 3 { size & 0xFFFF_FFFF } else { size },
        offset: Some(offset),
        raw_name: raw.get(..name_len).unwrap_or_default().to_vec(),
        name_len: declared_len,
        state_bits,
        created: bytes(0x64),
        modified: bytes(0x6C),
    }
}

/// Format a raw CLSID as `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`.
pub fn clsid_string(c: &[u8; 16]) -> String {
    let d1 = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    let d2 = u16::from_le_bytes([c[4], c[5]]);
    let d3 = u16::from_le_bytes([c[6], c[7]]);
    format!(
        "{{{d1:08X}-{d2:04X}-{d3:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
        c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple_msi() -> Option<Vec<u8>> {
        crate::test_support::sample("msi/simple.msi")
    }

    fn put_u32(d: &mut [u8], off: usize, v: u32) {
        d[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Offset of FAT entry `n` (the FAT of the corpus files is one sector,
    /// listed first in the header DIFAT at 0x4C).
    fn fat_entry(d: &[u8], n: u32) -> usize {
        let fat = le_u32(d, 0x4C).unwrap() as usize;
        (fat + 1) * 512 + n as usize * 4
    }

    /// Offset of directory entry `i` (the directory starts at the sector
    /// named at header offset 0x30).
    fn dir_entry(d: &[u8], i: usize) -> usize {
        (le_u32(d, 0x30).unwrap() as usize + 1) * 512 + i * 128
    }

    #[test]
    fn borrowed_streams_equal_copied_ones() {
        let mut borrowed = 0;
        for rel in ["msi/simple.msi", "msi/large_mszip.msi", "msi/dirs.msi"] {
            let Some(d) = crate::test_support::sample(rel) else {
                return;
            };
            let c = Cfb::open(&d, 1000).unwrap();
            let (streams, _, _) = c.walk();
            for s in &streams {
                let e = &c.entries[s.id as usize];
                let cow = c.read_stream_cow(e, u64::MAX).unwrap();
                assert_eq!(cow[..], c.read_stream(e, u64::MAX).unwrap()[..], "{rel}");
                if let std::borrow::Cow::Borrowed(b) = cow {
                    borrowed += b.len();
                }
                // The limit still applies to a borrowed stream.
                if e.size > 0 {
                    assert!(c.read_stream_cow(e, e.size - 1).is_err());
                }
            }
        }
        // The large MSI's cabinet is one run of sectors.
        assert!(borrowed > 800_000, "{borrowed}");
    }

    #[test]
    fn reads_intact_sample() {
        let Some(d) = simple_msi() else { return };
        let c = Cfb::open(&d, 1000).unwrap();
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let root = c.root().unwrap();
        assert_eq!(
            clsid_string(&root.clsid),
            "{000C1084-0000-0000-C000-000000000046}"
        );
        let (streams, storages, problems) = c.walk();
        assert!(problems.is_empty() && storages.is_empty());
        assert!(streams.len() > 10);
        for s in &streams {
            let e = &c.entries[s.id as usize];
            assert_eq!(
                c.read_stream(e, u64::MAX).unwrap().len() as u64,
                e.size,
                "{}",
                e.name
            );
        }
        assert!(
            matches!(
                c.read_stream(&c.entries[streams[0].id as usize], 0),
                Err(Error::LimitExceeded { .. })
            ) || c.entries[streams[0].id as usize].size == 0
        );
    }

    #[test]
    fn bad_sector_shift_is_said_and_the_file_still_read() {
        let Some(mut d) = simple_msi() else { return };
        let good = Cfb::open(&d, 1000).expect("open").entries.len();
        for bad in [0u8, 4, 10, 18, 0xFF] {
            d[0x1E] = bad; // sector shift, documented at 0x1E
            let c = Cfb::open(&d, 1000).expect("open");
            assert!(
                c.problems
                    .iter()
                    .any(|p| matches!(p, Error::Malformed { message, .. } if message.contains("sector shift"))),
                "{:?}",
                c.problems
            );
            // Version 3 says 512-byte sectors: the directory is still read.
            assert_eq!(c.entries.len(), good);
        }
        assert!(matches!(
            Cfb::open(&d[..100], 1000),
            Err(Error::Truncated { .. })
        ));
    }

    #[test]
    fn truncation_keeps_header_and_reports() {
        let Some(d) = simple_msi() else { return };
        for cut in [512, 600, d.len() * 6 / 10, d.len() - 1] {
            let c = Cfb::open(&d[..cut], 1000).unwrap();
            assert!(
                c.problems
                    .iter()
                    .any(|p| matches!(p, Error::Truncated { .. })),
                "cut {cut}: {:?}",
                c.problems
            );
            let (streams, _, _) = c.walk();
            for s in streams {
                // Whatever is listed can be asked for without panicking.
                let _ = c.read_stream(&c.entries[s.id as usize], u64::MAX);
            }
        }
    }

    #[test]
    fn fat_cycle_is_reported_not_followed() {
        let Some(mut d) = simple_msi() else { return };
        // Make the first directory sector its own successor.
        let first_dir = le_u32(&d, 0x30).unwrap();
        let at = fat_entry(&d, first_dir);
        put_u32(&mut d, at, first_dir);
        let c = Cfb::open(&d, 1000).unwrap();
        assert!(
            c.problems.iter().any(|p| p.to_string().contains("loops")),
            "{:?}",
            c.problems
        );
        // The first directory sector (root and its first siblings) is still read.
        assert!(c.root().is_some());
    }

    #[test]
    fn directory_tree_cycle_is_reported() {
        let Some(mut d) = simple_msi() else { return };
        let child = le_u32(&d, dir_entry(&d, 0) + 0x4C).unwrap();
        // The root's child points left at itself.
        let at = dir_entry(&d, child as usize) + 0x44;
        put_u32(&mut d, at, child);
        let c = Cfb::open(&d, 1000).unwrap();
        let (_, _, problems) = c.walk();
        assert!(
            problems.iter().any(|p| p.to_string().contains("twice")),
            "{problems:?}"
        );
    }

    #[test]
    fn handmade_difat_loop_and_huge_counts() {
        // Header only, then one sector: a DIFAT sector whose "next" is itself,
        // FAT/DIFAT counts claiming billions of sectors.
        let mut d = vec![0u8; 1024];
        d[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
        d[0x1A] = 3;
        d[0x1C..0x1E].copy_from_slice(&[0xFE, 0xFF]);
        d[0x1E] = 9;
        d[0x20] = 6;
        put_u32(&mut d, 0x2C, u32::MAX); // FAT sectors
        put_u32(&mut d, 0x30, 0); // directory starts at sector 0
        put_u32(&mut d, 0x38, 4096);
        put_u32(&mut d, 0x3C, ENDOFCHAIN);
        put_u32(&mut d, 0x44, 0); // DIFAT chain starts at sector 0
        put_u32(&mut d, 0x48, u32::MAX);
        for i in 0..109 {
            put_u32(&mut d, 0x4C + i * 4, FREESECT);
        }
        for i in 0..127 {
            put_u32(&mut d, 512 + i * 4, 0); // "FAT is sector 0"
        }
        put_u32(&mut d, 512 + 127 * 4, 0); // next DIFAT sector: itself
        let c = Cfb::open(&d, 1000).unwrap();
        assert!(
            c.problems
                .iter()
                .any(|p| p.to_string().contains("DIFAT chain loops")),
            "{:?}",
            c.problems
        );
        // Sector 0 maps to 0 in this FAT: the directory chain loops too.
        assert!(
            c.problems
                .iter()
                .any(|p| p.to_string().contains("loops at sector 0")),
            "{:?}",
            c.problems
        );
        let _ = c.walk();
    }
}
