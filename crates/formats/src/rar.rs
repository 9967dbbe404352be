//! RAR archives (RAR 1.5–4.x and RAR 5): listed by our own header walk;
//! stored entries are unpacked, and compressed ones decoded by our own
//! decoders: RAR 5's ([`unpack5`]) and RAR 2.9's, the compression of RAR
//! 3.x and 4.x archives ([`unpack3`]: LZ, PPMd blocks, the standard RarVM
//! filters), solid archives included. The older RAR 1.5 and 2.0
//! compressions are not decoded. A RAR after a PE makes a RAR SFX.
//!
//! - Every block header's CRC is checked (RAR 4: the low 16 bits of the
//!   CRC-32 of the header after its CRC field; RAR 5: the CRC-32 of the
//!   header from its size field on). A mismatch is a `checksum` error on the
//!   archive naming the header's offset; the walk goes on.
//! - A stored (method 0) file is a child whose bytes are the stored data;
//!   its CRC-32 is checked: a match is `verified_by: rar-crc32`, a mismatch a
//!   `checksum` error on the child, which keeps its bytes. A RAR 5 hash
//!   record (BLAKE2sp) is checked the same way (`rar-blake2sp`).
//! - A RAR 5 compressed file is decoded (methods 1–5, format versions 0
//!   and 1) and its CRC-32 checked as a stored one's. Its dictionary is
//!   allocated as the decoding needs it, up to the declared size; a file
//!   whose dictionary would pass `max_dictionary` is missing with a limit
//!   error. A solid file is decoded only when every file before it in the
//!   solid stream was decoded to its end; otherwise it is missing, saying
//!   why.
//! - A RAR 4 file compressed by RAR 2.9's method (unpack version 29 or 36,
//!   what RAR 3.x and 4.x write) is decoded the same way, its window (at
//!   most 4 MiB) and any PPMd model memory it declares bounded by
//!   `max_dictionary`; a filter that is not one of RAR's standard RarVM
//!   programs, or a PPMd block that goes on with an earlier block's model,
//!   is an `unsupported` error. A file of the RAR 1.5 or 2.0 methods is a
//!   `Missing` child with an `unsupported` error; an encrypted one (RAR 4 flag 0x04, RAR 5 encryption record)
//!   `encrypted`; a file continued from or into another volume
//!   `unsupported`. An encrypted RAR 5 header stops the listing with an
//!   `encrypted` error.
//! - A header or data area that runs past the end is a `truncated` error
//!   naming its offset; the files before it are kept. So is an archive
//!   without an end-of-archive block (cut at a block boundary).
//! - Directories, and RAR 5 links (a redirection record: symbolic link,
//!   junction, hard link or file copy), are counted, not reported as
//!   children. A RAR 5 file version record names the file `name;N`, as
//!   unrar and bsdtar do.

use super::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use super::{le_u16, le_u32, Handler, Metadata, Parsed};
use installsift_model::error::{context, Error};
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format, Limit};
use serde::Serialize;

mod lz;
mod unpack3;
mod unpack5;
use unpack3::Unpack3;
use unpack5::Unpack5;

/// RAR 1.5–4.x signature.
pub const RAR4_MAGIC: &[u8] = b"Rar!\x1a\x07\x00";
/// RAR 5 signature.
pub const RAR5_MAGIC: &[u8] = b"Rar!\x1a\x07\x01\x00";

/// RAR facts.
#[derive(Debug, Clone, Serialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RarInfo {
    /// `4` (RAR 1.5–4.x format) or `5`.
    pub rar_version: u8,
    /// File entries listed (directories excluded).
    pub entries: u64,
    /// Directory entries.
    pub directories: u64,
    /// RAR 5 links (symbolic links, junctions, hard links, file copies):
    /// counted, not reported as children (their data is their target's).
    pub links: u64,
    /// File entries stored without compression (unpacked and checked).
    pub stored_entries: u64,
    /// Compressed file entries handed to a decoder (RAR 2.9's or RAR 5's).
    pub decoded_entries: u64,
    /// File entries whose data is encrypted.
    pub encrypted_entries: u64,
    /// The headers are encrypted (nothing can be listed without the password).
    pub header_encrypted: bool,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "rar",
    format: Format::Rar,
    sniff,
    open,
};

/// A RAR 4 or RAR 5 signature at the start.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(RAR4_MAGIC) || data.starts_with(RAR5_MAGIC)
}

/// Open a RAR archive: the signature is read; the blocks are walked as the
/// engine pulls entries.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let v = if data.starts_with(RAR5_MAGIC) { 5 } else { 4 };
    notes.evidence(Evidence::strong(
        "rar-signature",
        format!("RAR {v} signature"),
        Some(0),
    ));
    let at = if v == 5 {
        RAR5_MAGIC.len()
    } else {
        RAR4_MAGIC.len()
    };
    Opened::Container(Box::new(Walk {
        data,
        at,
        done: false,
        info: RarInfo {
            rar_version: v,
            ..RarInfo::default()
        },
        max_dictionary: opts.limits.max_dictionary,
        unpack: None,
        unpack3: None,
        chain: false,
        sums: Sums::default(),
        pending: None,
    }))
}

/// The block walk, one block at a time.
struct Walk<'a> {
    data: &'a [u8],
    /// Offset of the next block header.
    at: usize,
    /// The walk is over: the end-of-archive block was met, or the walk
    /// could not go on (the error is already noted).
    done: bool,
    info: RarInfo,
    /// The largest dictionary the decoder may allocate.
    max_dictionary: u64,
    /// The RAR 5 decoder of the current (solid) stream.
    unpack: Option<Unpack5>,
    /// The RAR 2.9 decoder of the current (solid) stream.
    unpack3: Option<Unpack3<'a>>,
    /// Every file of the current solid stream so far was decoded to its
    /// end: the next solid file can be.
    chain: bool,
    /// Checksums of the entry being decoded.
    sums: Sums,
    /// The entry being decoded: name, its stored CRC-32 and BLAKE2sp, data
    /// offset.
    pending: Option<Pending>,
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        while !self.done && self.at < self.data.len() {
            if self.info.rar_version == 5 {
                if let Some(f) = self.rar5_block(notes) {
                    return Some(self.rar5_entry(f));
                }
            } else if let Some(f) = self.rar4_block(notes) {
                return Some(self.rar4_entry(f));
            }
        }
        None
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        let Some((name, want, blake, at)) = self.pending.take() else {
            return;
        };
        // A solid stream goes on only from a file decoded to its end.
        let finished = if self.info.rar_version == 5 {
            self.unpack.as_ref().is_some_and(Unpack5::finished)
        } else {
            self.unpack3.as_ref().is_some_and(Unpack3::finished)
        };
        self.chain = read.is_ok() && finished;
        let what = format!("RAR entry `{name}` (data at offset {at})");
        if let Err(e) = read {
            *e = context(e.clone(), &what);
            return;
        }
        let sums = std::mem::take(&mut self.sums);
        sums.check(want, blake, info, &what, at, "decodes");
    }

    fn finish(self: Box<Self>, end: End, notes: &mut Notes) -> Parsed {
        if !self.done && end == End::Exhausted {
            notes.error(no_end_block(self.info.rar_version, self.data.len()));
        }
        Parsed {
            format: Format::Rar,
            metadata: Some(Metadata::Rar(Box::new(self.info))),
        }
    }
}

/// One file entry, whichever version described it.
struct File<'a> {
    name: String,
    size: u64,
    packed: u64,
    /// Offset of the stored data in the archive.
    at: usize,
    data: Option<&'a [u8]>,
    crc: Option<u32>,
    stored: bool,
    method: String,
    encrypted: bool,
    split: bool,
    /// RAR 5 compression information (format version, solid flag, method,
    /// dictionary size).
    comp: Option<u64>,
    /// RAR 5 BLAKE2sp hash record.
    blake: Option<[u8; 32]>,
    /// Modification time (RAR 4: the packer's local DOS time; RAR 5: UTC).
    mtime: Option<installsift_model::Timestamp>,
    /// RAR 4: the unpack version (29: RAR 2.9's method) and the solid flag.
    rar4: Option<(u8, bool)>,
}

/// The entry being decoded: its name, stored CRC-32 and BLAKE2sp, and
/// data offset.
type Pending = (String, Option<u32>, Option<[u8; 32]>, usize);

/// The checksums a RAR file may carry, computed over its bytes.
#[derive(Default)]
struct Sums {
    crc: crc32fast::Hasher,
    blake: Option<blake2s_simd::blake2sp::State>,
}

impl Sums {
    fn new(blake: bool) -> Sums {
        Sums {
            crc: crc32fast::Hasher::new(),
            blake: blake.then(blake2s_simd::blake2sp::State::new),
        }
    }

    fn update(&mut self, b: &[u8]) {
        self.crc.update(b);
        if let Some(s) = &mut self.blake {
            s.update(b);
        }
    }

    /// Record on `info` what the stored CRC-32 and BLAKE2sp say of the
    /// bytes summed.
    fn check(
        self,
        crc: Option<u32>,
        blake: Option<[u8; 32]>,
        info: &mut EntryInfo,
        what: &str,
        at: usize,
        verb: &str,
    ) {
        if let Some(want) = crc {
            let got = self.crc.finalize();
            if got == want {
                info.add_verified(Check::RarCrc32);
            } else {
                info.add_error(
                    Error::checksum(format!(
                        "{what}: CRC-32 stored {want:08x}, data {verb} to {got:08x}"
                    ))
                    .at(at as u64),
                );
            }
        }
        if let (Some(want), Some(state)) = (blake, self.blake) {
            let got = state.finalize();
            if *got.as_bytes() == want {
                info.add_verified(Check::RarBlake2sp);
            } else {
                info.add_error(
                    Error::checksum(format!(
                        "{what}: BLAKE2sp stored {}, data {verb} to {}",
                        hex(&want),
                        got.to_hex()
                    ))
                    .at(at as u64),
                );
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The entry for a file: its stored bytes when they can be had, checked
/// against the stored CRC-32.
fn emit<'a>(f: File<'a>, info: &mut RarInfo) -> Entry<'a> {
    info.entries += 1;
    let mut e = EntryInfo::new(EntryKind::File)
        .at(f.at as u64)
        .modified(f.mtime);
    e.compressed_size = Some(f.packed);
    e.method = Some(f.method.clone());
    e.encrypted = f.encrypted;
    let what = format!("RAR entry `{}` (data at offset {})", f.name, f.at);
    let size = f.size;
    let missing = |name: String, info: EntryInfo, error| Entry {
        name,
        info,
        data: Data::Missing { size, error },
    };
    if f.encrypted {
        info.encrypted_entries += 1;
        let err = Error::encrypted(format!("{what} is encrypted; not decrypted")).at(f.at as u64);
        return missing(f.name, e, err);
    }
    if f.split {
        let err = Error::unsupported(format!(
            "{what} continues in another volume; volumes are read one at a time"
        ))
        .at(f.at as u64);
        return missing(f.name, e, err);
    }
    if !f.stored {
        let (version, _) = f.rar4.unwrap_or((0, false));
        let err = Error::unsupported(format!(
            "{what}: the RAR {} compression ({}, unpack version {version}) is not decoded",
            if version < 20 { "1.5" } else { "2.0" },
            f.method
        ))
        .at(f.at as u64);
        return missing(f.name, e, err);
    }
    let Some(bytes) = f.data else {
        let err = Error::truncated(format!(
            "{what}: {} stored bytes declared, the archive ends first",
            f.packed
        ))
        .at(f.at as u64);
        return missing(f.name, e, err);
    };
    if bytes.len() as u64 != f.size {
        let err = Error::malformed(format!(
            "{what}: stored, but {} bytes packed for {} unpacked",
            f.packed, f.size
        ))
        .at(f.at as u64);
        return missing(f.name, e, err);
    }
    info.stored_entries += 1;
    let mut sums = Sums::new(f.blake.is_some());
    sums.update(bytes);
    sums.check(f.crc, f.blake, &mut e, &what, f.at, "hashes");
    Entry {
        name: f.name,
        info: e,
        data: Data::Slice(bytes),
    }
}

/// The slice `at..at+len` when it is inside `data`.
fn span(data: &[u8], at: usize, len: u64) -> Option<&[u8]> {
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    data.get(at..end)
}

/// RAR 1.5–4.x: blocks of `HEAD_CRC u16, HEAD_TYPE u8, HEAD_FLAGS u16,
/// HEAD_SIZE u16` (+ `ADD_SIZE u32` for long blocks; a file header's
/// PACK_SIZE is its add size).
/// The error for an archive whose walk met the end of the data before an
/// end-of-archive block (WinRAR 2.9 and later always write one).
fn no_end_block(v: u8, at: usize) -> Error {
    Error::truncated(format!(
        "RAR {v} archive has no end-of-archive block: the data ends at offset {at}, the archive was cut short"
    )).at(at as u64)
}

impl<'a> Walk<'a> {
    /// One RAR 1.5–4.x block at `self.at`: the file it describes, if any;
    /// the walk moves past it (or is done).
    fn rar4_block(&mut self, notes: &mut Notes) -> Option<File<'a>> {
        let (data, at) = (self.data, self.at);
        let (Some(crc), Some(&kind), Some(flags), Some(size)) = (
            le_u16(data, at),
            data.get(at + 2),
            le_u16(data, at + 3),
            le_u16(data, at + 5),
        ) else {
            notes.error(
                Error::truncated(format!("RAR block header at offset {at} is cut short"))
                    .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let size = usize::from(size);
        let Some(head) = data.get(at..at + size).filter(|_| size >= 7) else {
            notes.error(
                Error::truncated(format!(
                    "RAR block at offset {at} declares a {size}-byte header; {} bytes remain",
                    data.len() - at
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let got = crc32fast::hash(head.get(2..).unwrap_or(&[])) & 0xFFFF;
        if got != u32::from(crc) {
            notes.error(Error::checksum(format!(
                "RAR block header (type {kind:#04x}) at offset {at}: CRC {crc:04x}, header hashes to {got:04x}"
            )).at(at as u64));
        }
        // File headers (and long blocks) are followed by their data.
        let add = if kind == 0x74 || kind == 0x7a || flags & 0x8000 != 0 {
            le_u32(head, 7).map_or(0, u64::from)
        } else {
            0
        };
        let file = if kind == 0x74 {
            rar4_file(data, at, head, flags, &mut self.info, notes)
        } else if kind == 0x73 && flags & 0x80 != 0 {
            // The main header says every header after it is encrypted.
            self.info.header_encrypted = true;
            notes.error(
                Error::encrypted(format!(
                    "RAR 4 archive's headers after offset {} are encrypted (main header flag 0x80): nothing can be listed without the password",
                    at + size
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        } else if kind == 0x7b {
            self.done = true;
            return None;
        } else {
            None
        };
        match usize::try_from(add)
            .ok()
            .and_then(|a| at.checked_add(size)?.checked_add(a))
        {
            Some(next) => self.at = next,
            None => self.done = true,
        }
        file
    }
}

/// One RAR 4 file header: the file, none for a directory or a header too
/// short for its fields (noted).
fn rar4_file<'a>(
    data: &'a [u8],
    at: usize,
    head: &[u8],
    flags: u16,
    info: &mut RarInfo,
    notes: &mut Notes,
) -> Option<File<'a>> {
    let (Some(pack), Some(unp), Some(crc), Some(&method), Some(name_len)) = (
        le_u32(head, 7),
        le_u32(head, 11),
        le_u32(head, 16),
        head.get(25),
        le_u16(head, 26),
    ) else {
        notes.error(
            Error::malformed(format!(
                "RAR file header at offset {at} is too short for its fields"
            ))
            .at(at as u64),
        );
        return None;
    };
    let large = flags & 0x100 != 0;
    let (mut pack, mut unp) = (u64::from(pack), u64::from(unp));
    let mut name_at = 32;
    if large {
        let (Some(hp), Some(hu)) = (le_u32(head, 32), le_u32(head, 36)) else {
            notes.error(
                Error::malformed(format!(
                    "RAR file header at offset {at}: 64-bit sizes cut short"
                ))
                .at(at as u64),
            );
            return None;
        };
        pack |= u64::from(hp) << 32;
        unp |= u64::from(hu) << 32;
        name_at = 40;
    }
    let raw = head
        .get(name_at..name_at + usize::from(name_len))
        .unwrap_or(&[]);
    let name = rar4_name(raw, flags & 0x200 != 0).replace('\\', "/");
    if flags & 0xE0 == 0xE0 {
        info.directories += 1;
        return None;
    }
    // A Unix symbolic link (its data is the target's name): counted, as
    // RAR 5's links are, not reported as a file.
    if head.get(15) == Some(&3) && le_u32(head, 28).is_some_and(|a| a & 0xF000 == 0xA000) {
        info.links += 1;
        return None;
    }
    let data_at = at + head.len();
    Some(File {
        name,
        size: unp,
        packed: pack,
        at: data_at,
        data: span(data, data_at, pack),
        crc: Some(crc),
        stored: method == 0x30,
        method: format!("rar-{}", method.wrapping_sub(0x30)),
        encrypted: flags & 0x04 != 0,
        split: flags & 0x03 != 0,
        comp: None,
        blake: None,
        mtime: le_u32(head, 20)
            .and_then(|t| installsift_model::Timestamp::dos((t >> 16) as u16, t as u16)),
        rar4: Some((head.get(24).copied().unwrap_or(0), flags & 0x10 != 0)),
    })
}

impl<'a> Walk<'a> {
    /// The entry for a RAR 4 file: decoded when it is compressed by RAR
    /// 2.9's method and can be, else as [`emit`] gives it.
    fn rar4_entry(&mut self, f: File<'a>) -> Entry<'_> {
        let (version, solid) = f.rar4.unwrap_or((0, false));
        if f.stored || f.encrypted || f.split || !matches!(version, 29 | 36) {
            if !f.stored {
                self.chain = false;
            }
            return emit(f, &mut self.info);
        }
        self.info.entries += 1;
        let mut e = EntryInfo::new(EntryKind::File)
            .at(f.at as u64)
            .modified(f.mtime);
        e.compressed_size = Some(f.packed);
        e.method = Some(f.method.clone());
        let what = format!("RAR entry `{}` (data at offset {})", f.name, f.at);
        let size = f.size;
        let missing = |name: String, info: EntryInfo, error: Error| Entry {
            name,
            info,
            data: Data::Missing {
                size,
                error: error.at(f.at as u64),
            },
        };
        let chain = std::mem::replace(&mut self.chain, false);
        let Some(src) = f.data else {
            let err = Error::truncated(format!(
                "{what}: {} packed bytes declared, the archive ends first",
                f.packed
            ));
            return missing(f.name, e, err);
        };
        let history = match (&self.unpack3, solid) {
            (Some(u), true) => u.history(),
            _ => 0,
        };
        let need = unpack3::WINDOW.min(history.saturating_add(size));
        if need > self.max_dictionary {
            let err = Error::limit(
                Limit::MaxDictionary,
                format!(
                    "{what}: its window would need {need} bytes of memory, past the {}-byte limit",
                    self.max_dictionary
                ),
            );
            return missing(f.name, e, err);
        }
        if solid {
            if !(chain && self.unpack3.is_some()) {
                let err = Error::unsupported(format!(
                    "{what}: solid, and the file before it in the solid stream was not decoded to its end"
                ));
                return missing(f.name, e, err);
            }
        } else {
            self.unpack3 = Some(Unpack3::new(self.max_dictionary));
        }
        let Some(u) = self.unpack3.as_mut() else {
            return missing(f.name, e, Error::malformed(format!("{what}: no decoder")));
        };
        u.start_file(size);
        self.info.decoded_entries += 1;
        self.sums = Sums::new(false);
        self.pending = Some((f.name.clone(), f.crc, None, f.at));
        Entry {
            name: f.name,
            info: e,
            data: Data::Decode {
                reader: Box::new(SumReader {
                    inner: u.reader(src, f.at as u64),
                    sums: &mut self.sums,
                }),
                declared: Some(size),
                stored: Some(f.packed),
            },
        }
    }
}

/// A RAR 4 file name. With the Unicode flag (0x200) the field is either
/// UTF-8 (no zero byte in it) or "name in the packer's code page \0
/// encoded name", the encoding spelling each UTF-16 unit as a low byte
/// under a shared high byte, a whole unit, or a run copied from the first
/// part (with a correction); the encoded name is used. Without the flag,
/// the bytes are taken as UTF-8, lossily.
fn rar4_name(raw: &[u8], unicode: bool) -> String {
    let (name, enc) = match raw.iter().position(|&b| b == 0) {
        Some(z) => (raw.get(..z).unwrap_or(&[]), raw.get(z + 1..).unwrap_or(&[])),
        None => (raw, &[][..]),
    };
    if !unicode || enc.is_empty() {
        return String::from_utf8_lossy(name).into_owned();
    }
    let mut out: Vec<u16> = Vec::with_capacity(enc.len() * 2);
    let mut it = enc.iter().copied();
    let high = u16::from(it.next().unwrap_or(0));
    let (mut flags, mut left) = (0u8, 0u32);
    let limit = 0x1_0000;
    'outer: while out.len() < limit {
        if left == 0 {
            let Some(f) = it.next() else { break };
            flags = f;
            left = 8;
        }
        match flags >> 6 {
            0 => match it.next() {
                Some(c) => out.push(u16::from(c)),
                None => break,
            },
            1 => match it.next() {
                Some(c) => out.push(u16::from(c) | (high << 8)),
                None => break,
            },
            2 => match (it.next(), it.next()) {
                (Some(lo), Some(hi)) => out.push(u16::from(lo) | (u16::from(hi) << 8)),
                _ => break,
            },
            _ => {
                let Some(len) = it.next() else { break };
                let correction = if len & 0x80 != 0 {
                    match it.next() {
                        Some(c) => Some(c),
                        None => break,
                    }
                } else {
                    None
                };
                for _ in 0..(usize::from(len & 0x7F) + 2) {
                    let Some(&c) = name.get(out.len()) else {
                        continue 'outer;
                    };
                    out.push(match correction {
                        Some(k) => u16::from(c.wrapping_add(k)) | (high << 8),
                        None => u16::from(c),
                    });
                }
            }
        }
        flags <<= 2;
        left -= 2;
    }
    String::from_utf16_lossy(&out)
}

/// A RAR 5 variable-length integer at `*at` (7 bits a byte, at most 10
/// bytes), moving `*at` past it.
fn vint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..10 {
        let b = *data.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7F).checked_shl(7 * i)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// RAR 5: blocks of `CRC32 u32, header size vint, type vint, flags vint
/// [extra size vint] [data size vint]`, the header followed by its data.
impl<'a> Walk<'a> {
    /// One RAR 5 block at `self.at`: the file it describes, if any; the
    /// walk moves past it (or is done).
    fn rar5_block(&mut self, notes: &mut Notes) -> Option<File<'a>> {
        let (data, at) = (self.data, self.at);
        let mut p = at + 4;
        let (Some(crc), Some(size)) = (le_u32(data, at), vint(data, &mut p)) else {
            notes.error(
                Error::truncated(format!("RAR 5 block header at offset {at} is cut short"))
                    .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let body_at = p;
        let Some(head_end) = usize::try_from(size)
            .ok()
            .and_then(|s| body_at.checked_add(s))
            .filter(|&e| e <= data.len() && size > 0)
        else {
            notes.error(
                Error::truncated(format!(
                    "RAR 5 block at offset {at} declares a {size}-byte header; {} bytes remain",
                    data.len() - body_at
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let got = crc32fast::hash(data.get(at + 4..head_end).unwrap_or(&[]));
        if got != crc {
            notes.error(
                Error::checksum(format!(
                "RAR 5 block header at offset {at}: CRC-32 {crc:08x}, header hashes to {got:08x}"
            ))
                .at(at as u64),
            );
        }
        let head = data.get(..head_end).unwrap_or(&[]);
        let (Some(kind), Some(flags)) = (vint(head, &mut p), vint(head, &mut p)) else {
            notes.error(
                Error::malformed(format!(
                    "RAR 5 block at offset {at}: type and flags do not fit its header"
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let extra = if flags & 1 != 0 {
            vint(head, &mut p)
        } else {
            Some(0)
        };
        let data_size = if flags & 2 != 0 {
            vint(head, &mut p)
        } else {
            Some(0)
        };
        let (Some(extra), Some(data_size)) = (extra, data_size) else {
            notes.error(
                Error::malformed(format!(
                    "RAR 5 block at offset {at}: sizes do not fit its header"
                ))
                .at(at as u64),
            );
            self.done = true;
            return None;
        };
        let mut file = None;
        match kind {
            2 => {
                let extra_at = usize::try_from(extra)
                    .ok()
                    .and_then(|e| head_end.checked_sub(e))
                    .filter(|&e| e >= p);
                let f = rar5_file(data, head, p, extra_at, head_end, data_size, flags);
                match f {
                    Some(Rar5Entry::Dir) => self.info.directories += 1,
                    Some(Rar5Entry::Link) => self.info.links += 1,
                    Some(Rar5Entry::File(f)) => file = Some(f),
                    None => notes.error(
                        Error::malformed(format!(
                            "RAR 5 file header at offset {at}: its fields do not fit the header"
                        ))
                        .at(at as u64),
                    ),
                }
            }
            4 => {
                self.info.header_encrypted = true;
                notes.error(Error::encrypted(
                    "RAR 5 headers are encrypted; entries cannot be listed without the password",
                ));
                self.done = true;
                return None;
            }
            5 => {
                self.done = true;
                return None;
            }
            _ => {}
        }
        match usize::try_from(data_size)
            .ok()
            .and_then(|d| head_end.checked_add(d))
        {
            Some(next) => self.at = next,
            None => self.done = true,
        }
        file
    }
}

enum Rar5Entry<'a> {
    Dir,
    /// A symbolic link, junction, hard link or file copy (a redirection
    /// record): no data of its own.
    Link,
    File(File<'a>),
}

/// The fields of a RAR 5 file header from `p` (after the common fields).
fn rar5_file<'a>(
    data: &'a [u8],
    head: &[u8],
    mut p: usize,
    extra_at: Option<usize>,
    head_end: usize,
    data_size: u64,
    block_flags: u64,
) -> Option<Rar5Entry<'a>> {
    let file_flags = vint(head, &mut p)?;
    let size = vint(head, &mut p)?;
    let _attributes = vint(head, &mut p)?;
    let mut mtime = None;
    if file_flags & 0x2 != 0 {
        mtime = le_u32(head, p).and_then(|t| installsift_model::Timestamp::unix(i64::from(t)));
        p += 4;
    }
    let crc = if file_flags & 0x4 != 0 {
        let c = le_u32(head, p)?;
        p += 4;
        Some(c)
    } else {
        None
    };
    let comp = vint(head, &mut p)?;
    let _host = vint(head, &mut p)?;
    let name_len = vint(head, &mut p)?;
    let name_end = p.checked_add(usize::try_from(name_len).ok()?)?;
    let name = String::from_utf8_lossy(head.get(p..name_end)?).into_owned();
    if file_flags & 0x1 != 0 {
        return Some(Rar5Entry::Dir);
    }
    // Extra records: size vint, type vint; type 1 is file encryption, 4 a
    // file version (unrar and bsdtar name the file `name;N`), 5 a file
    // system redirection (a link: its target is named, no data is stored).
    let mut encrypted = false;
    let mut blake = None;
    let mut name = name;
    if let Some(mut q) = extra_at {
        let mut records = 0;
        while q < head_end && records < 64 {
            records += 1;
            let rec_size = vint(head, &mut q)?;
            let rec_at = q;
            match vint(head, &mut q)? {
                1 => encrypted = true,
                // File times: flags (0x1 Unix seconds, else FILETIME; 0x2
                // the modification time is present, and comes first).
                3 => {
                    let flags = vint(head, &mut q)?;
                    if flags & 0x2 != 0 {
                        mtime = if flags & 0x1 != 0 {
                            le_u32(head, q)
                                .and_then(|t| installsift_model::Timestamp::unix(i64::from(t)))
                        } else {
                            le_u32(head, q)
                                .zip(le_u32(head, q + 4))
                                .and_then(|(lo, hi)| {
                                    installsift_model::Timestamp::filetime(
                                        u64::from(lo) | (u64::from(hi) << 32),
                                    )
                                })
                        };
                    }
                }
                // Hash type 0: BLAKE2sp, 32 bytes.
                2 if vint(head, &mut q)? == 0 => {
                    let h = head.get(q..q.checked_add(32)?)?;
                    blake = <[u8; 32]>::try_from(h).ok();
                }
                5 => return Some(Rar5Entry::Link),
                4 => {
                    let _flags = vint(head, &mut q)?;
                    let version = vint(head, &mut q)?;
                    name = format!("{name};{version}");
                }
                _ => {}
            }
            q = rec_at.checked_add(usize::try_from(rec_size).ok()?)?;
        }
    }
    let method = (comp >> 7) & 7;
    Some(Rar5Entry::File(File {
        name,
        size,
        packed: data_size,
        at: head_end,
        data: span(data, head_end, data_size),
        crc,
        stored: method == 0,
        method: format!("rar5-{method}"),
        encrypted,
        // Block flags 0x08/0x10: data continues from / into another volume.
        split: block_flags & 0x18 != 0,
        comp: Some(comp),
        blake,
        mtime,
        rar4: None,
    }))
}

impl<'a> Walk<'a> {
    /// The entry for a RAR 5 file: decoded when it is compressed and can
    /// be, else as [`emit`] gives it.
    fn rar5_entry(&mut self, f: File<'a>) -> Entry<'_> {
        let comp = f.comp.unwrap_or(0);
        if f.stored || f.encrypted || f.split {
            if !f.stored {
                self.chain = false;
            }
            return emit(f, &mut self.info);
        }
        self.info.entries += 1;
        let mut e = EntryInfo::new(EntryKind::File)
            .at(f.at as u64)
            .modified(f.mtime);
        e.compressed_size = Some(f.packed);
        e.method = Some(f.method.clone());
        let what = format!("RAR entry `{}` (data at offset {})", f.name, f.at);
        let size = f.size;
        let missing = |name: String, info: EntryInfo, error: Error| Entry {
            name,
            info,
            data: Data::Missing {
                size,
                error: error.at(f.at as u64),
            },
        };
        let chain = std::mem::replace(&mut self.chain, false);
        let Some((dict, v7)) = unpack5::dictionary(comp) else {
            let err = Error::unsupported(format!(
                "{what}: RAR 5 compression format version {} is not known",
                comp & 0x3F
            ));
            return missing(f.name, e, err);
        };
        let Some(src) = f.data else {
            let err = Error::truncated(format!(
                "{what}: {} packed bytes declared, the archive ends first",
                f.packed
            ));
            return missing(f.name, e, err);
        };
        let solid = comp & 0x40 != 0;
        // A solid file goes on from the stream's history and dictionary.
        let (history, stream_dict) = match (&self.unpack, solid) {
            (Some(u), true) => (u.history(), u.dict().0.max(dict)),
            _ => (0, dict),
        };
        let need = stream_dict.min(history.saturating_add(size));
        if need > self.max_dictionary {
            let err = Error::limit(
                Limit::MaxDictionary,
                format!(
                    "{what}: its {dict}-byte dictionary would need {need} bytes of memory, past the {}-byte limit",
                    self.max_dictionary
                ),
            );
            return missing(f.name, e, err);
        }
        if solid {
            match &self.unpack {
                Some(u) if chain && u.dict().1 == v7 && dict <= u.dict().0 => {}
                Some(_) if chain => {
                    let err = Error::malformed(format!(
                        "{what}: a solid file declaring a {dict}-byte dictionary after a stream of {} bytes",
                        self.unpack.as_ref().map_or(0, |u| u.dict().0)
                    ));
                    return missing(f.name, e, err);
                }
                _ => {
                    let err = Error::unsupported(format!(
                        "{what}: solid, and the file before it in the solid stream was not decoded to its end"
                    ));
                    return missing(f.name, e, err);
                }
            }
        } else {
            self.unpack = Some(Unpack5::new(dict, v7));
        }
        let Some(u) = self.unpack.as_mut() else {
            return missing(f.name, e, Error::malformed(format!("{what}: no decoder")));
        };
        u.start_file(size);
        self.info.decoded_entries += 1;
        self.sums = Sums::new(f.blake.is_some());
        self.pending = Some((f.name.clone(), f.crc, f.blake, f.at));
        Entry {
            name: f.name,
            info: e,
            data: Data::Decode {
                reader: Box::new(SumReader {
                    inner: u.reader(src, f.at as u64),
                    sums: &mut self.sums,
                }),
                declared: Some(size),
                stored: Some(f.packed),
            },
        }
    }
}

/// A reader that sums what passes through it.
struct SumReader<'c, R> {
    inner: R,
    sums: &'c mut Sums,
}

impl<R: std::io::Read> std::io::Read for SumReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sums.update(buf.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

#[cfg(test)]
mod name_tests {
    use super::rar4_name;

    #[test]
    fn rar4_unicode_names_are_decoded() {
        // High byte 0x20; flags 00 00 01: two low bytes alone, one under
        // the high byte (U+20AC).
        let raw = [b'a', b'?', b'?', 0, 0x20, 0x04, b'a', 0xE9, 0xAC];
        assert_eq!(rar4_name(&raw, true), "aé€");
        // A run copied from the first part (flags 11, length 3 + 2).
        let raw = [b'h', b'e', b'l', b'l', b'o', 0, 0, 0xC0, 0x03];
        assert_eq!(rar4_name(&raw, true), "hello");
        // The Unicode flag without a second part: UTF-8.
        assert_eq!(rar4_name("表だよ".as_bytes(), true), "表だよ");
        // No flag: the bytes as they are.
        assert_eq!(rar4_name(b"plain.txt", false), "plain.txt");
        // A hostile encoding ends where its bytes do.
        assert_eq!(rar4_name(&[b'x', 0, 0, 0xFF], true), "");
    }
}
