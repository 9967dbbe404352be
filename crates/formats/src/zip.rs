//! ZIP archives: list every entry from the central directory and unpack the
//! files within the [`Limits`](installsift_model::Limits).
//!
//! - Entries come from the central directory through the `zip` crate. When it
//!   cannot be read (archive cut short, end record or directory damaged), the
//!   local file headers are walked from offset 0 instead, so entries stored
//!   before the damage are still unpacked ([`ZipInfo::central_directory`] is
//!   then false).
//! - Each file is decoded once, hashed while it streams, and its CRC-32 is
//!   checked by us (the crate's own check is switched off so a mismatch is a
//!   typed error with both values): a match is `verified_by: zip-crc32`; a
//!   mismatch is a `checksum` error on the child, which keeps what it decoded
//!   to. The other copies of the CRC (the local header's, or the data
//!   descriptor's when general-purpose bit 3 is set) must match too; one
//!   that does not is a `checksum` error naming where it lies. The
//!   local-header listing checks the header's (or descriptor's) CRC.
//! - Encrypted entries (ZipCrypto, WinZip AES) are decrypted with the scan's
//!   passwords ([`Options::passwords`]; [`crypt`] says how each is checked):
//!   ZipCrypto entries are then verified by their CRC-32 (`zip-crc32`), AES
//!   entries by their authentication code (`zip-aes-hmac`) and, AE-1, their
//!   CRC-32. Without a password, or when none decrypts them, they are
//!   `Missing` children with an `encrypted` error. PKWARE strong encryption
//!   (flag bit 6) is `unsupported`; an archive whose central directory it
//!   encrypts (flag bit 13) is reported so, and not listed from its masked
//!   local headers. Methods the crate cannot decode
//!   (PKWARE Implode, Shrink, Reduce, zstd …) become `Missing` children with
//!   an `unsupported` error. Neither stops the listing.
//! - Names are reported as the archive stores them (UTF-8, or CP437 decoded by
//!   the crate; lossy UTF-8 when listing from local headers). They are never
//!   used as filesystem paths, so `..`, absolute paths and NULs are harmless.
//! - Directories are counted, not reported as children.

use super::container::{self, Container, Data, Decoded, End, Notes, Opened, Options};
use super::{le_u16, le_u32, le_u64, Handler, Metadata, Parsed};
use installsift_model::error::{context, io_to_error, Error};
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format, Timestamp};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::{Cursor, Read, Seek, SeekFrom};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipReadOptions};

mod crypt;
mod legacy;

/// Longest archive comment kept in the report, in bytes (before UTF-8 decoding).
const MAX_COMMENT: usize = 4096;

/// ZIP facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ZipInfo {
    /// Where the archive starts in this node's data when data precedes it (the
    /// zip crate's detected archive offset); absent when 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The archive's internal offsets count from this many bytes before this
    /// node's data: a self-extractor whose zip offsets were adjusted to the
    /// whole file (`zip -A`), carved out of its stub. Absent when 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_shift: Option<u64>,
    /// Whether the entries were listed from the central directory (`false`:
    /// it was unreadable and the local headers were walked instead).
    pub central_directory: bool,
    /// File entries listed (directories excluded).
    pub entries: u64,
    /// Directory entries.
    pub directories: u64,
    /// Sum of the declared uncompressed sizes of the file entries.
    pub declared_size: u64,
    /// Compression methods used by file entries (`stored`, `deflate`, …), sorted.
    pub methods: Vec<String>,
    /// File entries that are encrypted.
    pub encrypted_entries: u64,
    /// How they are encrypted (`zipcrypto`, `aes-256-ae2`, …), sorted;
    /// absent when nothing is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encryption: Vec<String>,
    /// Archive comment, lossy UTF-8, at most 4 KiB of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "zip",
    format: Format::Zip,
    sniff,
    open,
};

/// A plausible local file header (version needed below 100, and a
/// non-empty name or a known method), a local-header magic in data that
/// ends with an end record, or an empty archive's end record at offset 0.
pub fn sniff(data: &[u8]) -> bool {
    if data.starts_with(b"PK\x05\x06") {
        return data.len() >= 22;
    }
    if !data.starts_with(b"PK\x03\x04") {
        return false;
    }
    // A local header with a name, a known method, or (its fields damaged)
    // in data that ends with an end record; or one cut short (the parser
    // says so).
    let method_known = matches!(
        super::le_u16(data, 8),
        Some(0 | 8 | 9 | 12 | 14 | 93 | 95 | 98 | 99)
    );
    match (super::le_u16(data, 4), super::le_u16(data, 26)) {
        (Some(version), Some(name_len)) => {
            (version < 100 && (name_len > 0 || method_known)) || find_end_record(data).is_some()
        }
        (Some(version), None) => version < 100,
        (None, _) => true,
    }
}

/// Archive offset 0: see `parse`.
const KNOWN_START: zip::read::Config = zip::read::Config {
    archive_offset: zip::read::ArchiveOffset::Known(0),
};

/// Open a zip archive: the central directory through the `zip` crate (at
/// offset 0, or shifted for a self-extractor carved from its stub), else
/// the local headers walked from offset 0. Entries are decoded as the
/// engine pulls them.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = ZipInfo::default();
    let max_records = opts.limits.max_entries_per_container;
    // The data starts at the archive (sniff demands a header at offset 0), so
    // the crate's offset detection is not needed; on hostile input it
    // searches the data again for every end-record candidate (a fuzzed
    // 20 KB file took over a second; regression file
    // crates/cli/tests/fuzz_regressions/scan/zip-offset-detection).
    let check = || Pending::new(opts);
    let first = match zip::ZipArchive::with_config(KNOWN_START, Cursor::new(data)) {
        Ok(archive) => return central(archive, data, info, (max_records, check()), notes),
        Err(e) => e,
    };
    if let Some(shift) = adjusted_shift(data) {
        if let Ok(archive) = zip::ZipArchive::with_config(
            KNOWN_START,
            Shifted {
                data,
                shift,
                pos: 0,
            },
        ) {
            info.base_shift = Some(shift);
            return central(archive, data, info, (max_records, check()), notes);
        }
    }
    if let Some(error) = strong_central_directory(data) {
        notes.error(error);
        return Opened::Container(Box::new(LocalWalk {
            data,
            off: 0,
            done: true,
            info,
            methods: BTreeSet::new(),
            cursor: Cursor::new(&[]),
            check: check(),
        }));
    }
    // Without an end record the archive was cut; otherwise a record or the
    // directory itself is damaged.
    let msg = format!("central directory unreadable ({first}); entries listed from local headers");
    notes.error(if find_end_record(data).is_some() {
        Error::malformed(msg)
    } else {
        Error::truncated(msg)
    });
    Opened::Container(Box::new(LocalWalk {
        data,
        off: 0,
        done: false,
        info,
        methods: BTreeSet::new(),
        cursor: Cursor::new(&[]),
        check: check(),
    }))
}

/// PKWARE strong encryption of the central directory (APPNOTE 7.3): the
/// local headers' general-purpose bit 13 says their values are masked
/// (names, sizes, CRC), so they cannot stand in for the directory.
fn strong_central_directory(data: &[u8]) -> Option<Error> {
    let flags = le_u16(data, 6).filter(|_| data.starts_with(b"PK\x03\x04"))?;
    (flags & 0x2000 != 0).then(|| {
        Error::unsupported(
            "the central directory is encrypted (PKWARE strong encryption, general-purpose bit 13); \
             the local headers are masked, so the entries are not listed",
        )
    })
}

/// The container over a readable central directory.
fn central<'a, R: Read + Seek + 'a>(
    archive: zip::ZipArchive<R>,
    data: &'a [u8],
    mut info: ZipInfo,
    (max_records, check): (u64, Pending<'a>),
    notes: &mut Notes,
) -> Opened<'a> {
    info.central_directory = true;
    notes.evidence(Evidence::strong(
        "zip-central-directory",
        format!("{} entries in the central directory", archive.len()),
        archive
            .central_directory_start()
            .checked_sub(info.base_shift.unwrap_or(0)),
    ));
    if archive.offset() != 0 {
        info.offset = Some(archive.offset());
    }
    let comment = archive.comment();
    if !comment.is_empty() {
        let kept = comment.get(..MAX_COMMENT).unwrap_or(comment);
        info.comment = Some(String::from_utf8_lossy(kept).into_owned());
    }
    Opened::Container(Box::new(CentralWalk {
        archive,
        data,
        info,
        max_records,
        phase: Phase::Central(0),
        methods: BTreeSet::new(),
        spans: std::collections::BTreeMap::new(),
        cursor: Cursor::new(&[]),
        check,
    }))
}

/// Where a [`CentralWalk`] is.
enum Phase {
    /// At this index of the crate's listing.
    Central(usize),
    /// Walking the central directory ourselves for the records the crate
    /// did not list (see [`CentralWalk::duplicates`]).
    Duplicates {
        /// Offset of the next record.
        at: usize,
        /// Central-header offsets the crate listed.
        known: std::collections::HashSet<u64>,
        /// Records unpacked here so far.
        dropped: u64,
        /// Records walked.
        seen: u64,
    },
    Done,
}

/// The entries of a readable central directory.
struct CentralWalk<'a, R> {
    archive: zip::ZipArchive<R>,
    data: &'a [u8],
    info: ZipInfo,
    /// Bound on the records our own walk reads.
    max_records: u64,
    phase: Phase,
    methods: BTreeSet<String>,
    /// Local-header offset → (end of its data, name) of every entry unpacked.
    spans: std::collections::BTreeMap<u64, (u64, String)>,
    /// Over the data, for entries decoded from their local header.
    cursor: Cursor<&'a [u8]>,
    check: Pending<'a>,
}

impl<R: Read + Seek> Container for CentralWalk<'_, R> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<container::Entry<'_>> {
        loop {
            match &mut self.phase {
                Phase::Central(i) => {
                    let i = *i;
                    if i >= self.archive.len() {
                        self.start_duplicates();
                        continue;
                    }
                    self.phase = Phase::Central(i + 1);
                    if let Some(e) = self.central_entry(i, notes) {
                        return Some(e);
                    }
                    // The crate's reader for entry `i` (it borrows the
                    // archive, so it is made here, not in a method).
                    if let Some(entry) = self.check.next.take() {
                        if entry.encrypted {
                            let what = format!("zip entry `{}`", entry.name);
                            let local =
                                entry.local.and_then(|a| self.data.get(a..)).ok_or_else(|| {
                                    Error::malformed(format!(
                                        "{what}: its local header lies outside the data"
                                    ))
                                });
                            return Some(encrypted_entry(entry, local, &what, &mut self.check));
                        }
                        if legacy_code(entry.method).is_some() {
                            let at = entry.local;
                            let local = at.and_then(|a| self.data.get(a..));
                            return Some(legacy_entry(entry, local, &mut self.check));
                        }
                        let opts = ZipReadOptions::new().ignore_crc32(true);
                        return Some(match self.archive.by_index_with_options(i, opts) {
                            Ok(file) => self.check.decode(entry, file),
                            Err(e) => {
                                let error =
                                    context(zip_error(e), &format!("zip entry `{}`", entry.name));
                                missing(&entry, error)
                            }
                        });
                    }
                }
                Phase::Duplicates { .. } => {
                    let Some((entry, what, at_header)) = self.duplicate(notes) else {
                        continue;
                    };
                    return Some(unpack_found(
                        entry,
                        &what,
                        at_header,
                        &mut self.cursor,
                        &mut self.check,
                    ));
                }
                Phase::Done => return None,
            }
        }
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        self.check.checked(read, info);
    }

    fn finish(mut self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        if matches!(self.phase, Phase::Central(_)) {
            self.info.methods = std::mem::take(&mut self.methods).into_iter().collect();
        }
        self.info.encryption = std::mem::take(&mut self.check.schemes)
            .into_iter()
            .collect();
        Parsed {
            format: Format::Zip,
            metadata: Some(Metadata::Zip(Box::new(self.info))),
        }
    }
}

impl<'a, R: Read + Seek> CentralWalk<'a, R> {
    /// Entry `i` of the crate's listing: a missing entry to hand over at
    /// once, or none (a directory, an unreadable record, or a file to decode,
    /// left in `self.check.next`).
    fn central_entry<'s>(&mut self, i: usize, notes: &mut Notes) -> Option<container::Entry<'s>> {
        let span;
        let entry = match self.archive.by_index_data(i) {
            Ok(meta) => {
                if meta.is_dir() {
                    self.info.directories += 1;
                    return None;
                }
                // At least the fixed local header and the compressed data;
                // the name and extra field only widen it.
                let start = meta.header_start();
                span = (
                    start,
                    start
                        .saturating_add(30)
                        .saturating_add(meta.compressed_size()),
                );
                let name = match meta.name() {
                    Ok(n) => n.into_owned(),
                    Err(_) => String::from_utf8_lossy(meta.name_raw()).into_owned(),
                };
                File {
                    name,
                    size: meta.size(),
                    compressed: meta.compressed_size(),
                    method: meta.compression(),
                    crc: meta.crc32(),
                    encrypted: meta.encrypted(),
                    mtime: meta
                        .central_header_start()
                        .checked_sub(self.info.base_shift.unwrap_or(0))
                        .and_then(|a| usize::try_from(a).ok())
                        .and_then(|a| central_record(self.data, a))
                        .and_then(|r| entry_mtime(r.time, r.date, r.extra)),
                    local: start
                        .checked_sub(self.info.base_shift.unwrap_or(0))
                        .and_then(|a| usize::try_from(a).ok()),
                    also: start
                        .checked_sub(self.info.base_shift.unwrap_or(0))
                        .and_then(|a| usize::try_from(a).ok())
                        .map(|a| local_crcs(self.data, a, meta.compressed_size()))
                        .unwrap_or_default(),
                    crypt: None,
                }
            }
            Err(e) => {
                notes.error(context(
                    zip_error(e),
                    &format!("central directory entry {i}"),
                ));
                return None;
            }
        };
        entry.count(&mut self.info);
        self.methods.insert(method_name(entry.method));
        if !entry.encrypted && !decodable(entry.method) && legacy_code(entry.method).is_none() {
            return Some(unsupported(&entry, &format!("zip entry `{}`", entry.name)));
        }
        if let Some(error) = overlap(&mut self.spans, span, &entry.name) {
            // The message states the archive's own offsets (the reader's,
            // shifted for a carved self-extractor): the node's only when
            // nothing is shifted, and only then is the field set.
            let error = match self.info.base_shift {
                None | Some(0) => error.at(span.0),
                Some(_) => error,
            };
            return Some(missing(&entry, error));
        }
        self.check.next = Some(entry);
        None
    }

    /// The crate's listing is done: its methods are final, and the walk for
    /// the records it dropped begins.
    fn start_duplicates(&mut self) {
        self.info.methods = std::mem::take(&mut self.methods).into_iter().collect();
        let shift = self.info.base_shift.unwrap_or(0);
        let known = (0..self.archive.len())
            .filter_map(|i| {
                self.archive
                    .by_index_data(i)
                    .ok()
                    .map(|e| e.central_header_start())
            })
            .collect();
        self.phase = match self
            .archive
            .central_directory_start()
            .checked_sub(shift)
            .and_then(|a| usize::try_from(a).ok())
        {
            Some(at) => Phase::Duplicates {
                at,
                known,
                dropped: 0,
                seen: 0,
            },
            None => Phase::Done,
        };
    }

    /// The zip crate keys entries by name, so a later central-directory
    /// record with the name of an earlier one is missing from its listing,
    /// while 7-Zip lists both (and duplicate names are a known way to hide
    /// content). The next record the crate did not list, with where its
    /// local header is; none when this record is not one (the walk moves on)
    /// or the walk is over (then `self.phase` is `Done`, and the evidence
    /// is noted).
    #[allow(clippy::type_complexity)]
    fn duplicate(&mut self, notes: &mut Notes) -> Option<(File, String, Result<&'a [u8], Error>)> {
        let data = self.data;
        let shift = self.info.base_shift.unwrap_or(0);
        let Phase::Duplicates {
            at,
            known,
            dropped,
            seen,
        } = &mut self.phase
        else {
            return None;
        };
        let here = *at;
        let record = (data.get(here..here + 4) == Some(b"PK\x01\x02"))
            .then(|| {
                *seen += 1;
                (*seen <= self.max_records).then_some(())
            })
            .flatten()
            .and_then(|()| central_record(data, here));
        let Some(r) = record else {
            if *dropped > 0 {
                notes.evidence(Evidence::weak(
                    "zip-duplicate-names",
                    format!("{dropped} entries repeat the name of an earlier entry"),
                    None,
                ));
            }
            self.phase = Phase::Done;
            return None;
        };
        *at = r.next;
        if known.contains(&(here as u64 + shift)) || r.raw_name.ends_with(b"/") {
            return None;
        }
        *dropped += 1;
        let name = String::from_utf8_lossy(r.raw_name).into_owned();
        let (size, compressed) = zip64_sizes(r.extra, u64::from(r.u32_), u64::from(r.c32));
        let mut entry = File::from_header(name, r.code, r.flags, r.crc, size, compressed);
        entry.mtime = entry_mtime(r.time, r.date, r.extra);
        entry.count(&mut self.info);
        let local = (u64::from(r.lho) + self.archive.offset()).checked_sub(shift);
        let what = format!(
            "zip entry `{}` (duplicate name, central record at offset {here})",
            entry.name
        );
        let lho = r.lho;
        let at_header = local
            .and_then(|l| usize::try_from(l).ok())
            .and_then(|l| data.get(l..))
            .ok_or_else(|| {
                Error::malformed(format!(
                    "{what}: local header offset {lho} lies outside the data"
                ))
            });
        Some((entry, what, at_header))
    }
}

/// The fields of a central-directory record we read ourselves.
struct CentralRecord<'a> {
    flags: u16,
    code: u16,
    time: u16,
    date: u16,
    crc: u32,
    c32: u32,
    u32_: u32,
    lho: u32,
    raw_name: &'a [u8],
    extra: &'a [u8],
    /// Offset of the next record.
    next: usize,
}

/// The central-directory record at `at`, when its fields and name fit.
fn central_record(data: &[u8], at: usize) -> Option<CentralRecord<'_>> {
    let nlen = le_u16(data, at + 28)?;
    let xlen = le_u16(data, at + 30)?;
    let clen = le_u16(data, at + 32)?;
    let name_at = at + 46;
    let extra_at = name_at + usize::from(nlen);
    Some(CentralRecord {
        flags: le_u16(data, at + 8)?,
        code: le_u16(data, at + 10)?,
        time: le_u16(data, at + 12)?,
        date: le_u16(data, at + 14)?,
        crc: le_u32(data, at + 16)?,
        c32: le_u32(data, at + 20)?,
        u32_: le_u32(data, at + 24)?,
        lho: le_u32(data, at + 42)?,
        raw_name: data.get(name_at..extra_at)?,
        extra: data.get(extra_at..extra_at + usize::from(xlen))?,
        next: extra_at + usize::from(xlen) + usize::from(clen),
    })
}

/// Offset of the last end-of-central-directory record (it lies in the last
/// 64 KiB + 22 bytes, before the comment).
fn find_end_record(data: &[u8]) -> Option<usize> {
    let from = data.len().saturating_sub(22 + 0xFFFF);
    let tail = data.get(from..)?;
    tail.windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .map(|p| from + p)
}

/// When the end record's central-directory offset is larger than where the
/// directory really starts in `data` (and a directory header is there), the
/// difference: the offsets were written relative to a stub before `data`.
fn adjusted_shift(data: &[u8]) -> Option<u64> {
    let end = find_end_record(data)?;
    let cd_size = le_u32(data, end + 12)? as usize;
    let cd_offset = le_u32(data, end + 16)? as usize;
    let actual = end.checked_sub(cd_size)?;
    (cd_offset > actual && data.get(actual..actual + 4) == Some(b"PK\x01\x02"))
        .then(|| (cd_offset - actual) as u64)
}

/// `data` seen as if `shift` zero bytes preceded it, so that offsets written
/// relative to an SFX stub resolve inside `data`.
struct Shifted<'a> {
    data: &'a [u8],
    shift: u64,
    pos: u64,
}

impl Read for Shifted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = if self.pos < self.shift {
            let n = usize::try_from(self.shift - self.pos)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            buf.get_mut(..n).unwrap_or(&mut []).fill(0);
            n
        } else {
            let at = usize::try_from(self.pos - self.shift).unwrap_or(usize::MAX);
            let src = self.data.get(at..).unwrap_or(&[]);
            let n = src.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or(&mut [])
                .copy_from_slice(src.get(..n).unwrap_or(&[]));
            n
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Shifted<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let len = self.shift + self.data.len() as u64;
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let new = new.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start")
        })?;
        self.pos = new;
        Ok(new)
    }
}

/// Our name for a compression method.
fn method_name(m: CompressionMethod) -> String {
    // `to_u16` is deprecated in favour of matching constants, which cannot name
    // the codes the crate does not know; the raw code is what we want here.
    #[allow(deprecated)]
    let code = m.to_u16();
    method_name_from_code(code)
}

fn method_name_from_code(code: u16) -> String {
    match code {
        0 => "stored".into(),
        1 => "shrink".into(),
        2..=5 => format!("reduce-{}", code - 1),
        6 => "implode".into(),
        8 => "deflate".into(),
        9 => "deflate64".into(),
        10 => "pkware-implode".into(),
        12 => "bzip2".into(),
        14 => "lzma".into(),
        93 => "zstd".into(),
        95 => "xz".into(),
        96 => "jpeg".into(),
        97 => "wavpack".into(),
        98 => "ppmd".into(),
        99 => "aes".into(),
        other => format!("method-{other}"),
    }
}

/// Map a `zip` crate error to our kinds.
fn zip_error(e: ZipError) -> Error {
    match e {
        ZipError::Io(io) => io_to_error(&io, 0),
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => Error::encrypted(m),
        ZipError::UnsupportedArchive(m) => Error::unsupported(m),
        ZipError::CompressionMethodNotSupported(code) => Error::unsupported(format!(
            "compression method {code} ({})",
            method_name_from_code(code)
        )),
        ZipError::InvalidPassword => Error::encrypted("invalid password"),
        other => Error::malformed(other.to_string()),
    }
}

/// Whether the `zip` crate (with our features) decodes this method; the
/// crate only fails on the first read otherwise.
fn decodable(m: CompressionMethod) -> bool {
    // The crate decodes LZMA (feature `lzma`; its dictionary is bounded by
    // the declared size, which `read_entry` checks first) but leaves it out
    // of its list: such entries were reported unsupported (found by
    // scripts/differential.py on zips from `7zz -tzip -mm=LZMA`).
    (zip::SUPPORTED_COMPRESSION_METHODS.contains(&m) || m == CompressionMethod::Lzma)
        && m != CompressionMethod::Aes
}

/// The method code when it is one of PKZIP 1.x's (shrink, reduce,
/// implode), which our own decoders read (the `zip` crate does not).
fn legacy_code(m: CompressionMethod) -> Option<u16> {
    #[allow(deprecated)]
    let code = m.to_u16();
    (1..=6).contains(&code).then_some(code)
}

/// The entry for a shrunk, reduced or imploded file whose local header
/// starts `local`: decoded by [`legacy`], its CRC-32 checked as it streams.
fn legacy_entry<'a: 's, 's>(
    entry: File,
    local: Option<&'a [u8]>,
    check: &'s mut Pending<'a>,
) -> container::Entry<'s> {
    let what = format!("zip entry `{}`", entry.name);
    let code = legacy_code(entry.method).unwrap_or(0);
    let Some(local) = local.filter(|l| l.starts_with(b"PK\x03\x04")) else {
        let error = Error::malformed(format!("{what}: no local file header where it points"));
        return missing(&entry, error);
    };
    let (Some(flags), Some(nlen), Some(xlen)) =
        (le_u16(local, 6), le_u16(local, 26), le_u16(local, 28))
    else {
        return missing(
            &entry,
            Error::truncated(format!("{what}: local header cut short")),
        );
    };
    let start = 30 + usize::from(nlen) + usize::from(xlen);
    let data = usize::try_from(entry.compressed)
        .ok()
        .and_then(|c| local.get(start..start.checked_add(c)?));
    let Some(data) = data else {
        let error = Error::truncated(format!(
            "{what}: {} compressed bytes declared, the archive ends first",
            entry.compressed
        ));
        return missing(&entry, error);
    };
    match legacy::Decoder::new(code, flags, data, entry.size) {
        Some(d) => check.decode(entry, d),
        None => unsupported(&entry, &what),
    }
}

/// The entry for an encrypted file whose local header starts `local`:
/// decrypted with the scan's passwords ([`crypt`]), then decoded as a
/// plain file; `Missing` with the reason when it cannot be.
fn encrypted_entry<'a: 's, 's>(
    mut entry: File,
    local: Result<&'a [u8], Error>,
    what: &str,
    check: &'s mut Pending<'a>,
) -> container::Entry<'s> {
    let local = match local {
        Ok(l) if l.starts_with(b"PK\x03\x04") => l,
        Ok(_) => {
            let error = Error::malformed(format!("{what}: no local file header where it points"));
            return missing(&entry, error);
        }
        Err(error) => return missing(&entry, error),
    };
    let (Some(flags), Some(code), Some(time), Some(nlen), Some(xlen)) = (
        le_u16(local, 6),
        le_u16(local, 8),
        le_u16(local, 10),
        le_u16(local, 26),
        le_u16(local, 28),
    ) else {
        let error = Error::truncated(format!("{what}: local header cut short"));
        return missing(&entry, error);
    };
    if flags & 0x40 != 0 {
        let error = Error::unsupported(format!(
            "{what} is encrypted with PKWARE strong encryption (general-purpose bit 6); not decrypted"
        ));
        return missing(&entry, error);
    }
    let start = 30 + usize::from(nlen) + usize::from(xlen);
    let extra = local.get(30 + usize::from(nlen)..start).unwrap_or(&[]);
    // The local header's method: the crate reports an AES entry's by the
    // method under the encryption.
    let scheme = if code == 99 {
        match crypt::aes_extra(extra) {
            Ok(Some(a)) => crypt::Scheme::Aes(a),
            Ok(None) => {
                let error = Error::malformed(format!(
                    "{what}: method 99 (WinZip AES) without the AES extra field (0x9901) in its local header"
                ));
                return missing(&entry, error);
            }
            Err(e) => return missing(&entry, context(e, what)),
        }
    } else {
        // With a data descriptor the check byte is the DOS time's high
        // byte (the CRC is not known when the header is written).
        let byte = if flags & 8 != 0 {
            (time >> 8) as u8
        } else {
            (entry.crc >> 24) as u8
        };
        crypt::Scheme::ZipCrypto { check: byte }
    };
    if let crypt::Scheme::Aes(a) = scheme {
        #[allow(deprecated)]
        let inner = CompressionMethod::from_u16(a.method);
        entry.method = inner;
    }
    check.schemes.insert(scheme.name());
    if !check.keys.any() {
        let error = Error::encrypted(format!(
            "{what} is encrypted ({}); not decrypted (no password given)",
            scheme.name()
        ));
        return missing(&entry, error);
    }
    let legacy = legacy_code(entry.method);
    if !decodable(entry.method) && legacy.is_none() {
        return unsupported(&entry, what);
    }
    let stored = usize::try_from(entry.compressed)
        .ok()
        .and_then(|c| local.get(start..start.checked_add(c)?));
    let Some(stored) = stored else {
        let error = Error::truncated(format!(
            "{what}: {} compressed bytes declared, the archive ends first",
            entry.compressed
        ));
        return missing(&entry, error);
    };
    let mut decrypted = match check.keys.decrypt(scheme, stored, what) {
        Ok(d) => d,
        Err(error) => return missing(&entry, error),
    };
    entry.crypt = Some((scheme, decrypted.password));
    let Pending {
        plain,
        legacy_plain,
        crc,
        reading,
        ..
    } = check;
    if let Some(code) = legacy {
        // PKZIP 1.x's decoders read a slice: the (small, old) entry is
        // decrypted whole, at most its stored size.
        legacy_plain.clear();
        if let Err(e) = decrypted.plain.read_to_end(legacy_plain) {
            return missing(&entry, context(io_to_error(&e, 0), what));
        }
        return match legacy::Decoder::new(code, flags, legacy_plain, entry.size) {
            Some(d) => decode_with(crc, reading, entry, d),
            None => unsupported(&entry, what),
        };
    }
    // A plain local header (method, CRC, sizes; no name) before the
    // decrypted stream: the crate's stream reader decodes it as any entry.
    let plain_len = decrypted.len;
    #[allow(deprecated)]
    let method = entry.method.to_u16();
    let mut header = [0u8; 30];
    header[..8].copy_from_slice(b"PK\x03\x04\x14\x00\x00\x00");
    header[8..10].copy_from_slice(&method.to_le_bytes());
    header[12..14].copy_from_slice(&[0x21, 0]);
    header[14..18].copy_from_slice(&entry.crc.to_le_bytes());
    header[18..22].copy_from_slice(&u32::try_from(plain_len).unwrap_or(u32::MAX).to_le_bytes());
    header[22..26].copy_from_slice(&u32::try_from(entry.size).unwrap_or(u32::MAX).to_le_bytes());
    let plain = plain.insert(Cursor::new(header).chain(decrypted.plain));
    let opts = ZipReadOptions::new()
        .ignore_crc32(true)
        .override_compressed_size(plain_len)
        .override_uncompressed_size(entry.size);
    match zip::read::read_zipfile_from_stream_with_options(plain, opts) {
        Ok(Some(file)) => decode_with(crc, reading, entry, file),
        Ok(None) => missing(&entry, Error::malformed(format!("{what}: not decoded"))),
        Err(e) => missing(&entry, context(zip_error(e), what)),
    }
}

/// The entry for `entry` decoded by `file`, its CRC-32 computed into `crc`
/// as the engine reads; `reading` remembers it for [`Pending::checked`].
fn decode_with<'s, F: Read + 's>(
    crc: &'s mut crc32fast::Hasher,
    reading: &mut Option<File>,
    entry: File,
    file: F,
) -> container::Entry<'s> {
    *crc = crc32fast::Hasher::new();
    let e = container::Entry {
        name: entry.name.clone(),
        info: entry.entry_info(),
        data: Data::Decode {
            reader: Box::new(CrcReader { inner: file, crc }),
            declared: Some(entry.size),
            stored: Some(entry.compressed),
        },
    };
    *reading = Some(entry);
    e
}

/// The missing entry for a file whose method we cannot decode.
fn unsupported<'s>(entry: &File, what: &str) -> container::Entry<'s> {
    let error = Error::unsupported(format!(
        "{what}: compression method {} is not decoded",
        method_name(entry.method)
    ));
    missing(entry, error)
}

/// `entry` without content, for `error`.
fn missing<'s>(entry: &File, error: Error) -> container::Entry<'s> {
    container::Entry {
        name: entry.name.clone(),
        info: entry.entry_info(),
        data: Data::Missing {
            size: entry.size,
            error,
        },
    }
}

/// A reader that computes the CRC-32 of what passes through it.
struct CrcReader<'c, R> {
    inner: R,
    crc: &'c mut crc32fast::Hasher,
}

impl<R: Read> Read for CrcReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(buf.get(..n).unwrap_or(&[]));
        Ok(n)
    }
}

/// What we know of one file entry before reading it.
struct File {
    name: String,
    size: u64,
    compressed: u64,
    method: CompressionMethod,
    crc: u32,
    encrypted: bool,
    /// Modification time: the `UT` extra field's (UTC), else the DOS
    /// fields' (local time).
    mtime: Option<Timestamp>,
    /// Other copies of the CRC-32 the archive carries (the local header's,
    /// the data descriptor's), with where they lie: each must match too.
    also: Vec<(String, u32)>,
    /// Offset of its local header in the node's bytes, when known.
    local: Option<usize>,
    /// How it was decrypted, and with which password (by index).
    crypt: Option<(crypt::Scheme, usize)>,
}

impl File {
    /// An entry described by raw header fields (our own walks).
    fn from_header(
        name: String,
        code: u16,
        flags: u16,
        crc: u32,
        size: u64,
        compressed: u64,
    ) -> Self {
        #[allow(deprecated)]
        let method = CompressionMethod::from_u16(code);
        File {
            name,
            size,
            compressed,
            method,
            crc,
            encrypted: flags & 1 != 0,
            mtime: None,
            also: Vec::new(),
            local: None,
            crypt: None,
        }
    }

    fn entry_info(&self) -> EntryInfo {
        let mut e = EntryInfo::new(EntryKind::File);
        e.compressed_size = Some(self.compressed);
        e.method = Some(method_name(self.method));
        e.encrypted = self.encrypted;
        e.mtime = self.mtime;
        e
    }

    fn count(&self, info: &mut ZipInfo) {
        info.entries += 1;
        info.declared_size = info.declared_size.saturating_add(self.size);
        if self.encrypted {
            info.encrypted_entries += 1;
        }
    }
}

/// The file being decoded and its running CRC-32, checked once the engine
/// has read it; the passwords for encrypted files.
struct Pending<'a> {
    /// A file waiting for its reader (see [`CentralWalk::central_entry`]).
    next: Option<File>,
    /// The file the engine is reading.
    reading: Option<File>,
    crc: crc32fast::Hasher,
    keys: crypt::Keys,
    /// The decrypted entry being decoded (a plain local header before its
    /// data, for the crate's stream reader).
    plain: Option<std::io::Chain<Cursor<[u8; 30]>, crypt::DecryptReader<'a>>>,
    /// An encrypted PKZIP 1.x entry, decrypted whole for its decoder.
    legacy_plain: Vec<u8>,
    /// Encryption schemes met ([`ZipInfo::encryption`]).
    schemes: BTreeSet<String>,
}

impl Pending<'_> {
    fn new(opts: &Options<'_>) -> Self {
        Pending {
            next: None,
            reading: None,
            crc: crc32fast::Hasher::new(),
            keys: crypt::Keys::new(opts.passwords, opts.limits.max_password_failures),
            plain: None,
            legacy_plain: Vec::new(),
            schemes: BTreeSet::new(),
        }
    }

    /// The entry for `entry` decoded by `file` (the crate's reader, its CRC
    /// check switched off), its CRC-32 computed as the engine reads.
    fn decode<'s, F: Read + 's>(&'s mut self, entry: File, file: F) -> container::Entry<'s> {
        decode_with(&mut self.crc, &mut self.reading, entry, file)
    }

    /// The engine read the entry: check its CRC-32 (and the other copies of
    /// it), or put the entry's name on the read error.
    fn checked(&mut self, read: Result<Decoded<'_>, &mut Error>, info: &mut EntryInfo) {
        let Some(entry) = self.reading.take() else {
            return;
        };
        let what = format!("zip entry `{}`", entry.name);
        // ZipCrypto's check is one byte: a wrong password passes it once in
        // 256, and the data then fails to decode or to match its CRC-32.
        let zipcrypto = match entry.crypt {
            Some((crypt::Scheme::ZipCrypto { .. }, k)) => Some(k),
            _ => None,
        };
        let doubt = |k: usize| {
            format!(
                " (decrypted with password {} of those given, which passed ZipCrypto's 1-byte check: a wrong password, or damaged data)",
                k + 1
            )
        };
        if let Err(e) = read {
            let what = match zipcrypto {
                Some(k) => format!("{what}{}", doubt(k)),
                None => what,
            };
            *e = context(e.clone(), &what);
            return;
        }
        let actual = std::mem::take(&mut self.crc).finalize();
        if let Some((crypt::Scheme::Aes(a), _)) = entry.crypt {
            // The authentication code was checked before decrypting.
            info.add_verified(Check::ZipAesHmac);
            if a.version == 2 {
                // AE-2 stores CRC 0: the authentication code is the check.
                return;
            }
        }
        if actual == entry.crc {
            info.add_verified(Check::ZipCrc32);
            if let Some(k) = zipcrypto {
                self.keys.confirm(k);
            }
        } else {
            // The bytes are kept and hashed: what the entry decodes to,
            // with the error saying nothing vouches for it.
            info.add_error(Error::checksum(format!(
                "{what}: CRC-32 stored {:08x}, data decodes to {actual:08x}{}",
                entry.crc,
                zipcrypto.map(doubt).unwrap_or_default()
            )));
        }
        for (place, crc) in entry
            .also
            .iter()
            .filter(|(_, c)| *c != actual && *c != entry.crc)
        {
            info.add_error(Error::checksum(format!(
                "{what}: CRC-32 in the {place} is {crc:08x}, data decodes to {actual:08x}"
            )));
        }
    }
}

/// Claim the bytes `span` (local header to end of data) for entry `name`, or
/// say which entry already has some of them. Entries of a well-formed archive
/// are disjoint; entries sharing one compressed kernel are David Fifield's
/// overlapping zip bomb (42 KB unpacking to 5.5 GB), so a second claim is
/// malformed and not unpacked.
fn overlap(
    spans: &mut std::collections::BTreeMap<u64, (u64, String)>,
    (start, end): (u64, u64),
    name: &str,
) -> Option<Error> {
    let hit = spans
        .range(..end)
        .next_back()
        .filter(|(_, (e, _))| *e > start)
        .map(|(&s, (e, other))| (s, *e, other.clone()));
    match hit {
        Some((s, e, other)) => Some(Error::malformed(format!(
            "zip entry `{name}`: its data (bytes {start:#x}..{end:#x}) overlaps entry `{other}` ({s:#x}..{e:#x}); not unpacked (overlapping entries make a zip bomb)"
        ))),
        None => {
            spans.insert(start, (end, name.to_owned()));
            None
        }
    }
}

/// An entry's modification time: the Info-ZIP extended-timestamp extra
/// field's (0x5455, flag bit 0: a 32-bit Unix time, UTC) when there is one,
/// else the header's MS-DOS time and date (local time).
fn entry_mtime(time: u16, date: u16, extra: &[u8]) -> Option<Timestamp> {
    let mut at = 0usize;
    while let (Some(id), Some(len)) = (le_u16(extra, at), le_u16(extra, at + 2)) {
        let body = extra.get(at + 4..at + 4 + usize::from(len)).unwrap_or(&[]);
        if id == 0x5455 && body.first().is_some_and(|f| f & 1 != 0) {
            if let Some(t) = le_u32(body, 1).and_then(|t| Timestamp::unix(i64::from(t))) {
                return Some(t);
            }
        }
        at += 4 + usize::from(len);
    }
    Timestamp::dos(date, time)
}

/// Sizes from a ZIP64 extended-information extra field (0x0001), for the
/// fields whose 32-bit value is 0xFFFFFFFF, in the order APPNOTE 4.5.3 gives.
fn zip64_sizes(extra: &[u8], mut size: u64, mut compressed: u64) -> (u64, u64) {
    let mut at = 0usize;
    while let (Some(id), Some(len)) = (le_u16(extra, at), le_u16(extra, at + 2)) {
        let body = extra.get(at + 4..at + 4 + usize::from(len)).unwrap_or(&[]);
        if id == 1 {
            let mut p = 0;
            if size == 0xFFFF_FFFF {
                if let Some(v) = le_u64(body, p) {
                    size = v;
                    p += 8;
                }
            }
            if compressed == 0xFFFF_FFFF {
                if let Some(v) = le_u64(body, p) {
                    compressed = v;
                }
            }
            break;
        }
        at += 4 + usize::from(len);
    }
    (size, compressed)
}

/// The CRC-32 copies a local header at `at` carries for an entry of
/// `compressed` bytes: its own field, or (general-purpose flag 3) the data
/// descriptor's after the data (its own field is 0 then). Empty when the
/// header is not there (the crate reports that).
fn local_crcs(data: &[u8], at: usize, compressed: u64) -> Vec<(String, u32)> {
    if data.get(at..at.saturating_add(4)) != Some(b"PK\x03\x04") {
        return Vec::new();
    }
    let (Some(flags), Some(crc), Some(nlen), Some(xlen)) = (
        le_u16(data, at + 6),
        le_u32(data, at + 14),
        le_u16(data, at + 26),
        le_u16(data, at + 28),
    ) else {
        return Vec::new();
    };
    if flags & 8 == 0 {
        return vec![(format!("local header at offset {at}"), crc)];
    }
    let descriptor = usize::try_from(compressed).ok().and_then(|c| {
        at.checked_add(30 + usize::from(nlen) + usize::from(xlen))?
            .checked_add(c)
    });
    let Some(mut d) = descriptor else {
        return Vec::new();
    };
    if data.get(d..d.saturating_add(4)) == Some(b"PK\x07\x08") {
        d += 4;
    }
    match le_u32(data, d) {
        Some(c) => vec![(format!("data descriptor (CRC at offset {d})"), c)],
        None => Vec::new(),
    }
}

/// Compressed length of an entry written with a data descriptor: the first
/// `PK\x07\x08` after the data whose compressed-size field equals the distance
/// from the data start. Returns (compressed length, descriptor length, crc,
/// uncompressed size).
fn find_descriptor(data: &[u8], start: usize) -> Option<(usize, usize, u32, u64)> {
    let hay = data.get(start..)?;
    let mut from = 0usize;
    while let Some(p) = hay.get(from..)?.windows(4).position(|w| w == b"PK\x07\x08") {
        let at = from + p;
        let d = start + at;
        if let (Some(crc), Some(c), Some(u)) = (
            le_u32(data, d + 4),
            le_u32(data, d + 8),
            le_u32(data, d + 12),
        ) {
            if c as usize == at {
                return Some((at, 16, crc, u64::from(u)));
            }
        }
        if let (Some(crc), Some(c), Some(u)) = (
            le_u32(data, d + 4),
            le_u64(data, d + 8),
            le_u64(data, d + 16),
        ) {
            if c == at as u64 {
                return Some((at, 24, crc, u));
            }
        }
        from = at + 1;
    }
    None
}

/// The entry for a file found by our own walk (local headers, or central
/// records the crate did not list): encrypted and undecodable files are
/// missing, as is one whose data cannot be reached (`at_header` is the error
/// saying why).
fn unpack_found<'a: 's, 's>(
    entry: File,
    what: &str,
    at_header: Result<&'a [u8], Error>,
    cursor: &'s mut Cursor<&'a [u8]>,
    check: &'s mut Pending<'a>,
) -> container::Entry<'s> {
    if entry.encrypted {
        return encrypted_entry(entry, at_header, what, check);
    }
    if !decodable(entry.method) && legacy_code(entry.method).is_none() {
        return unsupported(&entry, what);
    }
    let rest = match at_header {
        Ok(rest) if !rest.starts_with(b"PK\x03\x04") => {
            // The crate reads a central record there as "no entry"; the
            // file is not silently dropped.
            let error = Error::malformed(format!("{what}: no local file header where it points"));
            return missing(&entry, error);
        }
        Ok(rest) => rest,
        Err(error) => return missing(&entry, error),
    };
    if legacy_code(entry.method).is_some() {
        return legacy_entry(entry, Some(rest), check);
    }
    // Decode the entry whose local header starts `rest`, with the sizes and
    // CRC we determined (from the header or its data descriptor).
    *cursor = Cursor::new(rest);
    let opts = ZipReadOptions::new()
        .ignore_crc32(true)
        .override_compressed_size(entry.compressed)
        .override_uncompressed_size(entry.size);
    match zip::read::read_zipfile_from_stream_with_options(cursor, opts) {
        Ok(Some(file)) => check.decode(entry, file),
        Ok(None) => missing(
            &entry,
            Error::malformed(format!("{what}: no local file header where it points")),
        ),
        Err(e) => missing(&entry, context(zip_error(e), what)),
    }
}

/// Recovery listing: local file headers walked from offset 0 until the
/// central directory, the end of the data, or something that is not a
/// header.
struct LocalWalk<'a> {
    data: &'a [u8],
    /// Offset of the next local header.
    off: usize,
    done: bool,
    info: ZipInfo,
    methods: BTreeSet<String>,
    cursor: Cursor<&'a [u8]>,
    check: Pending<'a>,
}

impl Container for LocalWalk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<container::Entry<'_>> {
        while !self.done {
            let Some((entry, what, at_header)) = self.header(notes) else {
                continue;
            };
            return Some(match entry {
                Ok(entry) => {
                    unpack_found(entry, &what, at_header, &mut self.cursor, &mut self.check)
                }
                Err(e) => e,
            });
        }
        None
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        _notes: &mut Notes,
    ) {
        self.check.checked(read, info);
    }

    fn finish(mut self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        self.info.methods = std::mem::take(&mut self.methods).into_iter().collect();
        self.info.encryption = std::mem::take(&mut self.check.schemes)
            .into_iter()
            .collect();
        Parsed {
            format: Format::Zip,
            metadata: Some(Metadata::Zip(Box::new(self.info))),
        }
    }
}

impl<'a> LocalWalk<'a> {
    /// The local header at `self.off`, moving past it and its data: the
    /// file to unpack (or an entry already made missing), with what to call
    /// it and where its header is; none for a directory, or when the walk
    /// ends (`self.done`, the reason noted).
    #[allow(clippy::type_complexity)]
    fn header<'s>(
        &mut self,
        notes: &mut Notes,
    ) -> Option<(
        Result<File, container::Entry<'s>>,
        String,
        Result<&'a [u8], Error>,
    )> {
        let (data, off) = (self.data, self.off);
        let stop = |this: &mut Self| {
            this.done = true;
            None
        };
        match data.get(off..off + 4) {
            Some(b"PK\x03\x04") => {}
            Some(b"PK\x01\x02") | Some(b"PK\x05\x06") | Some(b"PK\x06\x06") => return stop(self),
            Some(_) => {
                notes.error(
                    Error::malformed(format!(
                        "no local file header at offset {off}; listing stopped"
                    ))
                    .at(off as u64),
                );
                return stop(self);
            }
            None => {
                if off < data.len() {
                    notes.error(
                        Error::truncated(format!("data ends inside the signature at offset {off}"))
                            .at(off as u64),
                    );
                }
                return stop(self);
            }
        }
        let (Some(flags), Some(code), Some(crc), Some(c32), Some(u32_), Some(nlen), Some(xlen)) = (
            le_u16(data, off + 6),
            le_u16(data, off + 8),
            le_u32(data, off + 14),
            le_u32(data, off + 18),
            le_u32(data, off + 22),
            le_u16(data, off + 26),
            le_u16(data, off + 28),
        ) else {
            notes.error(
                Error::truncated(format!("local file header at offset {off} is cut short"))
                    .at(off as u64),
            );
            return stop(self);
        };
        let name_at = off + 30;
        let extra_at = name_at + usize::from(nlen);
        let data_start = extra_at + usize::from(xlen);
        let (Some(raw_name), Some(extra)) =
            (data.get(name_at..extra_at), data.get(extra_at..data_start))
        else {
            notes.error(
                Error::truncated(format!(
                    "local file header at offset {off}: name or extra field cut short"
                ))
                .at(off as u64),
            );
            return stop(self);
        };
        let name = String::from_utf8_lossy(raw_name).into_owned();
        let (mut size, mut compressed) = zip64_sizes(extra, u64::from(u32_), u64::from(c32));
        let mut crc = crc;
        let mut descriptor = 0usize;
        let what = format!("zip entry `{name}` (local header at offset {off})");
        if flags & 8 != 0 {
            match find_descriptor(data, data_start) {
                Some((c, dlen, dcrc, dsize)) => {
                    compressed = c as u64;
                    descriptor = dlen;
                    crc = dcrc;
                    size = dsize;
                }
                None => {
                    self.done = true;
                    if raw_name.ends_with(b"/") {
                        return None;
                    }
                    self.info.entries += 1;
                    let mut e = EntryInfo::new(EntryKind::File);
                    e.method = Some(method_name_from_code(code));
                    let error = Error::truncated(format!(
                        "{what}: sizes are in a data descriptor that was not found"
                    ))
                    .at(off as u64);
                    let missing = container::Entry {
                        name,
                        info: e,
                        data: Data::Missing { size: 0, error },
                    };
                    return Some((Err(missing), what, Ok(&[])));
                }
            }
        }
        match usize::try_from(compressed)
            .ok()
            .and_then(|c| data_start.checked_add(c))
            .and_then(|n| n.checked_add(descriptor))
        {
            Some(next) => self.off = next,
            None => self.done = true,
        }
        if raw_name.ends_with(b"/") {
            self.info.directories += 1;
            return None;
        }
        let mut entry = File::from_header(name, code, flags, crc, size, compressed);
        entry.mtime = entry_mtime(
            le_u16(data, off + 10).unwrap_or(0),
            le_u16(data, off + 12).unwrap_or(0),
            extra,
        );
        entry.count(&mut self.info);
        self.methods.insert(method_name(entry.method));
        let avail = data.len().saturating_sub(data_start) as u64;
        let at_header = if compressed > avail {
            self.done = true;
            Err(Error::truncated(format!(
                "{what}: {compressed} compressed bytes declared, {avail} remain"
            ))
            .at(off as u64))
        } else {
            Ok(data.get(off..).unwrap_or(&[]))
        };
        Some((Ok(entry), what, at_header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;
    use installsift_model::Limits;

    /// `zip/stored.zip` with general-purpose `flags` set on its first
    /// entry's local header and central record (hand-made: PKWARE strong
    /// encryption is written only by PKWARE's commercial tools).
    fn flagged(flags: u16) -> Vec<u8> {
        let mut d = sample("zip/stored.zip").expect("sample");
        let cd = d.windows(4).position(|w| w == b"PK\x01\x02").expect("cd");
        for at in [6, cd + 8] {
            let f = le_u16(&d, at).expect("flags") | flags;
            d[at..at + 2].copy_from_slice(&f.to_le_bytes());
        }
        d
    }

    #[test]
    fn strong_encryption_is_unsupported_not_guessed() {
        // Bit 6 on an entry: that entry is unsupported, the rest listed.
        let d = flagged(0x41);
        let l = list(open, &d, &Limits::default(), 100);
        assert_eq!(l.entries.len(), 4, "{:?}", l.notes.errors);
        let (name, info, got) = &l.entries[0];
        assert_eq!(name, "readme.txt");
        let Listed::Missing { error, .. } = got else {
            panic!("{got:?}")
        };
        assert!(error.to_string().contains("strong encryption"), "{error}");
        assert!(info.encrypted);
        assert!(l.entries[1..].iter().all(|(_, i, _)| i.errors.is_empty()));

        // Bit 13 with the central directory unreadable (encrypted): the
        // masked local headers are not listed as if they were entries.
        let mut d = flagged(0x2041);
        let cd = d.windows(4).position(|w| w == b"PK\x01\x02").expect("cd");
        d[cd..cd + 4].copy_from_slice(b"\x8e\x17\xa2\x5c");
        let l = list(open, &d, &Limits::default(), 100);
        assert!(l.entries.is_empty(), "{:?}", l.entries);
        let e: Vec<String> = l.notes.errors.iter().map(ToString::to_string).collect();
        assert!(
            e.iter()
                .any(|e| e.contains("central directory is encrypted")),
            "{e:?}"
        );
    }

    #[test]
    fn method_names() {
        assert_eq!(method_name(CompressionMethod::Stored), "stored");
        assert_eq!(method_name(CompressionMethod::Deflated), "deflate");
        assert_eq!(method_name_from_code(6), "implode");
        assert_eq!(method_name_from_code(4242), "method-4242");
    }
}
