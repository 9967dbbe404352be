//! 7z archives: list every entry and unpack the files within the
//! [`Limits`](installsift_model::Limits), decoding each block (solid or not) once.
//!
//! - The header is read by `sevenz-rust2` with a memory limit derived from
//!   [`Limits::max_entry_size`](installsift_model::Limits::max_entry_size) (it bounds the
//!   header buffers and each decoder's dictionary), on a single thread (the
//!   crate would otherwise start one decoder thread per core inside our rayon
//!   workers).
//! - A pull container (see [`super::container`]): each block is decoded
//!   once, by our own decoder stack ([`decode`]: every coder chain 7-Zip
//!   writes, BCJ2 included), when the walk reaches its first file; the engine
//!   reads each file's stream from it in turn: nothing is decoded twice, and
//!   a failing block does not stop the other blocks. After a read fails or
//!   hits a limit, the rest of that block is not decoded: its files carry
//!   the error. A block the stack refuses (an unknown method, a coder of
//!   several inputs other than BCJ2, memory above the bound) is an error on
//!   the node and on each of its files. Entries come in the archive's file
//!   order.
//! - A block of several packed streams (BCJ2: four, wired by bind pairs
//!   sevenz-rust2 keeps private) is wired from the folder records we read
//!   ourselves ([`graph`], the header decoded again when it is encoded) and
//!   streamed like any other: a 400 MB `chrome.7z` in Chrome's
//!   `chrome.packed.7z` costs the decoders' memory, not its size.
//! - A header that is encrypted cannot be listed: the node gets an `encrypted`
//!   error, no children, and [`SevenZInfo::header_encrypted`]. With a plain
//!   header and encrypted blocks, every entry of those blocks is listed as a
//!   `Missing` child with an `encrypted` error, unless passwords were given
//!   ([`Options::passwords`]): each is tried on an encrypted header until
//!   one reads (our own AES-256 decoder, `aes.rs`, with the header's counts
//!   bounded as for any header), and on each encrypted block until its
//!   first file decodes to its CRC-32.
//! - An archive cut short loses its header (it is written at the end): the
//!   node gets a `truncated` error naming the offsets and has no children.
//! - A start header whose CRC fails (or that is all zeros: never finished)
//!   is an error on the node (offset 8), which stays a 7z: the header its
//!   fields locate is read anyway, else one found by searching backwards from
//!   the end, as 7-Zip does. A next header whose CRC fails is reported
//!   (offset, both CRCs) and read anyway.
//! - Every entry's CRC-32 (its own, or its block's when the block holds only
//!   it) is checked as it streams: a match is `verified_by: 7z-crc32`, a
//!   mismatch a `checksum` error on the entry, which keeps what it decoded
//!   to. The CRC of a block of several files (7-Zip does not write one) is
//!   checked across them; a mismatch is an error on the archive. Packed-stream
//!   CRCs are not checked: the crate parses them without exposing them, and
//!   7-Zip never writes them.
//! - Directories and anti-items are counted, not reported as children; empty
//!   files are children of size 0.

mod aes;
mod decode;
mod graph;

use super::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use super::{le_u64, Handler, Metadata, Parsed};
use installsift_model::error::{context, Error};
use installsift_model::{Check, EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use sevenz_rust2::{Archive, BlockDecoder, EncoderMethod, Password};
use std::collections::BTreeSet;
use std::io::{Cursor, Read};

/// 7z facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SevenZInfo {
    /// The header is encrypted (the archive cannot be listed without the password).
    pub header_encrypted: bool,
    /// File entries (directories and anti-items excluded).
    pub entries: u64,
    /// Directory entries.
    pub directories: u64,
    /// Sum of the declared sizes of the file entries.
    pub declared_size: u64,
    /// Number of compressed blocks ("folders"); several files share a block in
    /// a solid archive.
    pub blocks: u64,
    /// Whether the crate reports the archive as solid (some block holds more
    /// than one file).
    pub solid: bool,
    /// Coders used by the blocks (`lzma2`, `lzma`, `bcj_x86`, `aes256_sha256`, …), sorted.
    pub methods: Vec<String>,
    /// File entries whose block is encrypted.
    pub encrypted_entries: u64,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "7z",
    format: Format::SevenZ,
    sniff,
    open,
};

/// The 6-byte 7z signature and major version 0, with either a start header
/// whose CRC matches or a minor version 7-Zip writes (2..=4): a 7z whose
/// start header is damaged stays a 7z (with the damage reported) instead of
/// becoming `unknown`; a bare signature (a string constant in a program)
/// followed by other bytes is not taken for one.
pub fn sniff(data: &[u8]) -> bool {
    if !data.starts_with(b"7z\xBC\xAF\x27\x1C") || data.get(6) != Some(&0) {
        return false;
    }
    let minor_ok = matches!(data.get(7), Some(2..=4));
    match (super::le_u32(data, 8), data.get(12..32)) {
        (Some(crc), Some(start_header)) => crc32fast::hash(start_header) == crc || minor_ok,
        // Cut inside the signature header: still a 7z (the parser says so).
        _ => minor_ok,
    }
}

/// Whether the start header's CRC matches (what [`super::carved_len`] needs
/// before it trusts the header's offsets).
pub(crate) fn start_header_ok(data: &[u8]) -> bool {
    match (super::le_u32(data, 8), data.get(12..32)) {
        (Some(crc), Some(start_header)) => crc32fast::hash(start_header) == crc,
        _ => false,
    }
}

/// Map a `sevenz-rust2` error to our kinds.
fn sz_error(e: sevenz_rust2::Error) -> Error {
    use sevenz_rust2::Error as E;
    match e {
        E::PasswordRequired => Error::encrypted("a password is required"),
        E::MaybeBadPassword(io) => Error::encrypted(format!("decryption failed ({io})")),
        E::MaxMemLimited { max_kb, actaul_kb } => Error::limit(
            installsift_model::limits::Limit::MaxEntrySize,
            format!("decoder needs {actaul_kb} KiB of memory, the limit derived from max_entry_size is {max_kb} KiB"),
        ),
        E::UnsupportedCompressionMethod(m) => Error::unsupported(format!("compression method {m}")),
        E::Unsupported(m) => Error::unsupported(m.into_owned()),
        E::ExternalUnsupported => Error::unsupported("header data in an external stream"),
        E::UnsupportedVersion { major, minor } => Error::unsupported(format!("format version {major}.{minor}")),
        E::ChecksumVerificationFailed => Error::checksum("CRC-32 of the decoded data differs from the recorded one"),
        E::NextHeaderCrcMismatch => Error::checksum("next header CRC-32 differs from the start header's"),
        E::Io(io, _) if is_crc_failure(&io) => Error::checksum("CRC-32 of the decoded data differs from the recorded one"),
        E::Io(io, msg) => {
            let text = if msg.is_empty() { io.to_string() } else { format!("{msg}: {io}") };
            if io.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::truncated(format!("data ends early: {text}"))
            } else {
                Error::malformed(format!("decoding failed: {text}"))
            }
        }
        other => Error::malformed(other.to_string()),
    }
}

/// Whether an I/O error carries the crate's CRC failure.
fn is_crc_failure(io: &std::io::Error) -> bool {
    io.get_ref()
        .and_then(|e| e.downcast_ref::<sevenz_rust2::Error>())
        .is_some_and(|e| matches!(e, sevenz_rust2::Error::ChecksumVerificationFailed))
}

/// Our name for a coder.
fn coder_name(id: &[u8]) -> String {
    match EncoderMethod::by_id(id) {
        Some(m) => m.name().to_ascii_lowercase(),
        None => {
            let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
            format!("coder-{hex}")
        }
    }
}

/// The archive bytes with the 32-byte signature header replaced: how a
/// damaged start header is read anyway (its CRC recomputed, or the offsets of
/// a header found by search), without copying the archive.
struct Patched<'a> {
    data: &'a [u8],
    head: [u8; 32],
    pos: u64,
}

impl std::io::Read for Patched<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Ok(pos) = usize::try_from(self.pos) else {
            return Ok(0);
        };
        let src = if pos < 32 {
            self.head.get(pos..).unwrap_or(&[])
        } else {
            self.data.get(pos..).unwrap_or(&[])
        };
        let n = src.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or(&mut [])
            .copy_from_slice(src.get(..n).unwrap_or(&[]));
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for Patched<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let len = self.data.len() as u64;
        let target = match to {
            std::io::SeekFrom::Start(p) => Some(p),
            std::io::SeekFrom::End(d) => len.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek out of range")
        })?;
        self.pos = target;
        Ok(target)
    }
}

/// The signature header with its start-header fields set and both CRCs
/// made to match, so the crate reads the header these fields locate.
fn patched_head(data: &[u8], next_off: u64, next_size: u64) -> Option<[u8; 32]> {
    let mut head = [0u8; 32];
    head.copy_from_slice(data.get(..32)?);
    let start = usize::try_from(next_off.checked_add(32)?).ok()?;
    let end = start.checked_add(usize::try_from(next_size).ok()?)?;
    let next_crc = crc32fast::hash(data.get(start..end)?);
    head.get_mut(12..20)?
        .copy_from_slice(&next_off.to_le_bytes());
    head.get_mut(20..28)?
        .copy_from_slice(&next_size.to_le_bytes());
    head.get_mut(28..32)?
        .copy_from_slice(&next_crc.to_le_bytes());
    let start_crc = crc32fast::hash(head.get(12..32)?);
    head.get_mut(8..12)?
        .copy_from_slice(&start_crc.to_le_bytes());
    Some(head)
}

/// Read the archive's header through the crate, the signature header
/// replaced by `head` (which locates the header at `off`, `size` bytes), after
/// our own walk of it has bounded every count the crate would allocate for
/// ([`graph::read_header_at`], which keeps nothing).
fn open_with(
    data: &[u8],
    head: [u8; 32],
    at: (u64, u64),
    (mem_kb, bounds): (usize, graph::Bounds),
    passwords: &[String],
) -> Result<(Archive, Option<usize>), Error> {
    let (_, used) = graph::read_header_at(data, at, mem_kb, bounds, false, passwords)?;
    let password = match used.and_then(|k| passwords.get(k)) {
        Some(p) => Password::new(p),
        None => Password::empty(),
    };
    let mut source = Patched { data, head, pos: 0 };
    let archive =
        Archive::read_with_memory_limit(&mut source, &password, mem_kb).map_err(sz_error)?;
    Ok((archive, used))
}

/// At most this many places are tried when searching for the header of an
/// archive whose start header is damaged (7-Zip searches too).
const HEADER_SEARCH_TRIES: usize = 16;
/// How far back from the end the header is searched for.
const HEADER_SEARCH_WINDOW: usize = 1 << 20;

/// Search backwards from the end for a header (`kHeader` followed by one of
/// the properties it may start with, or `kEncodedHeader` followed by
/// `kPackInfo`) and read the first that lists entries. Returns the archive
/// and the header's offset.
/// A header read: the archive, where its header lies (offset after the
/// signature header, size), and the index of the password that decrypted
/// it.
type HeaderRead = (Archive, (u64, u64), Option<usize>);

fn search_header(
    data: &[u8],
    mem_kb: usize,
    bounds: graph::Bounds,
    passwords: &[String],
) -> Option<(HeaderRead, u64)> {
    let floor = data.len().saturating_sub(HEADER_SEARCH_WINDOW).max(32);
    let mut tries = 0;
    let mut p = data.len().checked_sub(2)?;
    while p >= floor && tries < HEADER_SEARCH_TRIES {
        let candidate = matches!(
            (data.get(p), data.get(p + 1)),
            (Some(0x17), Some(0x06)) | (Some(0x01), Some(0x02 | 0x04 | 0x05))
        );
        if candidate {
            tries += 1;
            let off = (p - 32) as u64;
            let size = (data.len() - p) as u64;
            if let Some(head) = patched_head(data, off, size) {
                if let Ok((a, used)) =
                    open_with(data, head, (off, size), (mem_kb, bounds), passwords)
                {
                    if !a.files.is_empty() {
                        return Some(((a, (off, size), used), p as u64));
                    }
                }
            }
        }
        if p == 0 {
            break;
        }
        p -= 1;
    }
    None
}

/// Read the header: through the start header when it is sound; otherwise
/// (its CRC fails, or it was never written) with the damage reported on the
/// node, through its fields anyway and then by searching for the header, as
/// 7-Zip does. A next header whose CRC fails is reported and read anyway.
/// `None` when nothing could be listed (the errors say why).
fn read_header(
    data: &[u8],
    mem_kb: usize,
    bounds: graph::Bounds,
    passwords: &[String],
    info: &mut SevenZInfo,
    notes: &mut Notes,
) -> Option<HeaderRead> {
    let Some(sig) = data.get(..32) else {
        notes.error(
            Error::truncated(format!(
                "7z signature header cut at {} of 32 bytes",
                data.len()
            ))
            .at(data.len() as u64),
        );
        return None;
    };
    let stored = super::le_u32(sig, 8)?;
    let computed = crc32fast::hash(sig.get(12..32)?);
    let (off, size, next_crc) = (le_u64(sig, 12)?, le_u64(sig, 20)?, super::le_u32(sig, 28)?);
    let start_ok = stored == computed;
    if !start_ok {
        if sig.get(8..32).is_some_and(|b| b.iter().all(|&x| x == 0)) {
            notes.error(Error::truncated(
                "7z start header (offset 8..32) is all zeros: the archive was never finished (7-Zip writes it last)",
            ).at(8));
        } else {
            notes.error(Error::checksum(format!(
                "7z start header CRC-32 at offset 8: stored {stored:08x}, bytes 12..32 hash to {computed:08x}"
            )).at(8));
        }
    }
    let header_at = off.checked_add(32);
    let fits = header_at
        .and_then(|h| h.checked_add(size))
        .is_some_and(|e| e <= data.len() as u64);
    if !fits {
        if start_ok {
            notes.error(Error::truncated(format!(
                "7z header at offset {} ({size} bytes) lies past the end of the data ({} bytes): archive cut short",
                off.saturating_add(32),
                data.len()
            )).at(off.saturating_add(32)));
            return None;
        }
    } else if size > 0 {
        // The header these fields locate; with its CRC checked here (the
        // crate's message names no offsets) and read anyway when it fails.
        let at = header_at.unwrap_or(0);
        let actual = usize::try_from(at)
            .ok()
            .and_then(|a| Some((a, a.checked_add(usize::try_from(size).ok()?)?)))
            .and_then(|(a, e)| data.get(a..e))
            .map(crc32fast::hash);
        if let Some(actual) = actual.filter(|&c| c != next_crc) {
            notes.error(Error::checksum(format!(
                "7z next header at offset {at} ({size} bytes): CRC-32 stored {next_crc:08x}, bytes hash to {actual:08x}"
            )).at(at));
        }
        let head = patched_head(data, off, size)?;
        match open_with(data, head, (off, size), (mem_kb, bounds), passwords) {
            Ok((a, used)) => {
                info.header_encrypted = used.is_some();
                return Some((a, (off, size), used));
            }
            Err(e @ Error::Encrypted { .. }) => {
                info.header_encrypted = true;
                notes.error(if passwords.is_empty() {
                    Error::encrypted(
                        "7z header is encrypted; entries cannot be listed without the password",
                    )
                } else {
                    e
                });
                return None;
            }
            Err(e) => {
                // A limit refuses what the header declares: searching for
                // another header would only meet it again.
                let stop = start_ok || e.limit_hit().is_some();
                notes.error(context(e, &format!("7z header at offset {at}")));
                if stop {
                    return None;
                }
            }
        }
    } else if start_ok {
        // An empty archive: nothing to list.
        return Some((Archive::default(), (off, size), None));
    }
    match search_header(data, mem_kb, bounds, passwords) {
        Some(((a, header_at, used), at)) => {
            notes.evidence(Evidence::strong(
                "7z-header-found",
                format!(
                    "start header damaged; a header that lists {} entries found by search",
                    a.files.len()
                ),
                Some(at),
            ));
            Some((a, header_at, used))
        }
        None => {
            notes.error(Error::malformed(format!(
                "7z start header damaged and no header found in the last {} bytes",
                data.len().min(HEADER_SEARCH_WINDOW)
            )));
            None
        }
    }
}

/// Open a 7z: read its header (see the module docs); a container over its
/// files when one could be listed, a leaf otherwise (the notes say why).
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = SevenZInfo::default();
    let mem_kb = usize::try_from(opts.limits.max_entry_size.clamp(64 << 20, 4 << 30) / 1024)
        .unwrap_or(usize::MAX);
    let bounds = graph::Bounds::from(opts.limits);
    let Some((mut archive, header_at, header_password)) =
        read_header(data, mem_kb, bounds, opts.passwords, &mut info, notes)
    else {
        return Opened::Leaf(Parsed {
            format: Format::SevenZ,
            metadata: Some(Metadata::SevenZ(Box::new(info))),
        });
    };
    info.blocks = archive.blocks.len() as u64;
    info.solid = archive.is_solid;
    let mut methods = BTreeSet::new();
    for b in &archive.blocks {
        for c in &b.coders {
            methods.insert(coder_name(c.encoder_method_id()));
        }
    }
    info.methods = methods.into_iter().collect();
    let crcs = Crcs::take(&mut archive);
    notes.evidence(Evidence::strong(
        "7z-header",
        format!(
            "{} entries in {} blocks",
            archive.files.len(),
            archive.blocks.len()
        ),
        le_u64(data, 12).map(|o| o.saturating_add(32)),
    ));
    let done = vec![false; archive.files.len()];
    Opened::Container(Box::new(Walk {
        data,
        archive,
        crcs,
        info,
        mem_kb,
        bounds,
        header_at,
        passwords: password_order(opts.passwords, header_password),
        folders: None,
        next: 0,
        done,
        block: None,
        reading: None,
    }))
}

/// The files of a 7z in the archive's order, each block decoded once when
/// the walk reaches its first file.
struct Walk<'a> {
    data: &'a [u8],
    archive: Archive,
    crcs: Crcs,
    info: SevenZInfo,
    mem_kb: usize,
    /// What the header may declare ([`graph::Bounds`]).
    bounds: graph::Bounds,
    /// Where the header the crate read lies (offset after the signature
    /// header, size): the start header's fields, or those of the header
    /// found by search.
    header_at: (u64, u64),
    /// Passwords to try on encrypted blocks: the one that decrypted the
    /// header first.
    passwords: Vec<String>,
    /// The folders' coder graphs, read by [`graph`] from that header when a
    /// block needs them (several packed streams: BCJ2), or why they could
    /// not be.
    folders: Option<Result<Vec<graph::Folder>, Error>>,
    /// The next file of the archive's order.
    next: usize,
    /// Files already handed over (or counted) with their block.
    done: Vec<bool>,
    /// The block being decoded.
    block: Option<BlockWalk<'a>>,
    /// The entry the engine is reading.
    reading: Option<Reading>,
}

/// The entry the engine is reading: the file (`None`: an empty entry, no
/// block) and the name errors give it.
struct Reading {
    file: Option<usize>,
    what: String,
}

/// One block being decoded: the files of its span in order.
struct BlockWalk<'a> {
    b: usize,
    /// The block's files, and the empty entries between them.
    span: Vec<usize>,
    next: usize,
    /// Coders in decoding order, joined by `+`.
    method: String,
    encrypted: bool,
    /// Packed size of the block, for the ratio check: a lower bound of each
    /// entry's own ratio, so it never trips on an honest solid block.
    packed: u64,
    /// The block's output (`None` when encrypted or not decodable).
    reader: Option<Box<dyn Read + 'a>>,
    /// Why the rest of the block is not decoded: each remaining file
    /// carries it (with its name).
    broken: Option<Error>,
    crc: BlockCrc,
    /// CRC-32 of the entry being read.
    file_crc: crc32fast::Hasher,
}

impl BlockWalk<'_> {
    fn entry_info(&self) -> EntryInfo {
        let mut e = EntryInfo::new(EntryKind::File);
        e.method = Some(self.method.clone());
        e.encrypted = self.encrypted;
        if self.span.len() == 1 {
            e.compressed_size = Some(self.packed);
        }
        e
    }
}

/// What the block being decoded gives next.
enum Step {
    /// An entry that needs no decoding (missing, or empty).
    Entry(Entry<'static>),
    /// A file to read from the block's reader.
    Decode {
        name: String,
        info: EntryInfo,
        size: u64,
    },
    /// The block's files are all handed over.
    Done,
}

/// An entry without data: a directory or anti-item (counted, `None`) or
/// an empty file (an entry of size 0).
fn stream_less(
    f: &sevenz_rust2::ArchiveEntry,
    info: &mut SevenZInfo,
    reading: &mut Option<Reading>,
) -> Option<Entry<'static>> {
    if f.is_directory() {
        info.directories += 1;
        return None;
    }
    if f.is_anti_item() {
        return None;
    }
    info.entries += 1;
    *reading = Some(Reading {
        file: None,
        what: String::new(),
    });
    Some(Entry {
        name: f.name().to_string(),
        info: EntryInfo::new(EntryKind::File).modified(mtime(f)),
        data: Data::Decode {
            reader: Box::new(std::io::empty()),
            declared: Some(0),
            stored: None,
        },
    })
}

/// An entry's modification time (a FILETIME, UTC), when the header has one.
fn mtime(f: &sevenz_rust2::ArchiveEntry) -> Option<installsift_model::Timestamp> {
    f.has_last_modified_date
        .then(|| installsift_model::Timestamp::filetime(u64::from(f.last_modified_date)))
        .flatten()
}

/// Bytes of an encrypted block's first file decoded to tell a password.
const UNLOCK_CHECK: u64 = 16 << 20;

/// `passwords` with the one at `first` (that decrypted the header) moved
/// to the front.
fn password_order(passwords: &[String], first: Option<usize>) -> Vec<String> {
    let mut v = passwords.to_vec();
    if let Some(k) = first.filter(|&k| k < v.len()) {
        let p = v.remove(k);
        v.insert(0, p);
    }
    v
}

/// The reader of encrypted block `b` with the first of `passwords` under
/// which the block's first file decodes to its CRC-32 (or, without one,
/// decodes without error); the files of the block are `span`. Each try
/// decodes at most that first file. None matching: an `encrypted` error.
#[allow(clippy::too_many_arguments)]
fn unlock_block<'a>(
    data: &'a [u8],
    archive: &Archive,
    b: usize,
    mem_kb: usize,
    graphs: Option<Result<&[graph::Folder], &Error>>,
    passwords: &[String],
    span: &[usize],
) -> Result<Box<dyn Read + 'a>, Error> {
    let first = span
        .iter()
        .filter_map(|&i| archive.files.get(i))
        .find(|f| f.has_stream());
    let mut last = None;
    for p in passwords {
        let mut r = match decode::block_reader(data, archive, b, mem_kb, graphs, Some(p)) {
            Ok(r) => r,
            Err(e) if e.limit_hit().is_some() => return Err(e),
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        let ok = match first {
            None => true,
            Some(f) => {
                // At most the first 16 MiB: a wrong key turns the decoder's
                // input to noise, which fails at once; the CRC decides
                // for a file that fits.
                let whole = f.size() <= UNLOCK_CHECK;
                let mut h = crc32fast::Hasher::new();
                let mut left = f.size().min(UNLOCK_CHECK);
                let mut buf = vec![0u8; 64 * 1024];
                let mut good = true;
                while left > 0 {
                    let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
                    match r.read(buf.get_mut(..want).unwrap_or(&mut [])) {
                        Ok(0) | Err(_) => {
                            good = false;
                            break;
                        }
                        Ok(n) => {
                            h.update(buf.get(..n).unwrap_or(&[]));
                            left -= n as u64;
                        }
                    }
                }
                good && (!whole || !f.has_crc || u64::from(h.finalize()) == f.crc)
            }
        };
        if ok {
            return decode::block_reader(data, archive, b, mem_kb, graphs, Some(p));
        }
    }
    Err(last
        .filter(|e| !matches!(e, Error::Encrypted { .. }))
        .unwrap_or_else(|| {
            Error::encrypted(format!(
                "encrypted, and none of the {} passwords given decrypts it",
                passwords.len()
            ))
        }))
}

impl<'a> Walk<'a> {
    /// Begin block `b`: its span marked done, its decoder built (a failure
    /// goes on the node and on each of its files).
    fn start_block(&mut self, b: usize, notes: &mut Notes) -> Option<BlockWalk<'a>> {
        let archive = &self.archive;
        let blk = archive.blocks.get(b)?;
        // Coders in decoding order (from the packed stream to the output).
        let method: Vec<String> = blk
            .ordered_coder_iter()
            .map(|(_, c)| coder_name(c.encoder_method_id()))
            .collect();
        let encrypted = blk
            .coders
            .iter()
            .any(|c| c.encoder_method_id() == EncoderMethod::ID_AES256_SHA256);
        let firsts = archive.stream_map.block_first_pack_stream_index();
        let first_pack = firsts.get(b).copied().unwrap_or(0);
        let end_pack = firsts
            .get(b + 1)
            .copied()
            .unwrap_or(archive.pack_sizes().len());
        let packed: u64 = archive
            .pack_sizes()
            .get(first_pack..end_pack)
            .unwrap_or(&[])
            .iter()
            .fold(0u64, |a, &s| a.saturating_add(s));
        let password = Password::empty();
        let mut source = Cursor::new(self.data);
        let count = BlockDecoder::new(1, b, archive, &password, &mut source).entry_count();
        let first = archive
            .stream_map
            .block_first_file_index
            .get(b)
            .copied()
            .unwrap_or(0);
        let span: Vec<usize> = (first..first.saturating_add(count)).collect();
        for &i in &span {
            if let Some(d) = self.done.get_mut(i) {
                *d = true;
            }
        }
        let streams = span
            .iter()
            .filter(|&&i| archive.files.get(i).is_some_and(|f| f.has_stream()))
            .count();
        let graphs = if end_pack.saturating_sub(first_pack) > 1 {
            let (data, at, mem_kb, bounds) = (self.data, self.header_at, self.mem_kb, self.bounds);
            let passwords = &self.passwords;
            Some(
                self.folders
                    .get_or_insert_with(|| {
                        graph::read_header_at(data, at, mem_kb, bounds, true, passwords)
                            .map(|(f, _)| f)
                    })
                    .as_deref(),
            )
        } else {
            None
        };
        let (reader, broken) = if encrypted && self.passwords.is_empty() {
            (None, None)
        } else if encrypted {
            match unlock_block(
                self.data,
                archive,
                b,
                self.mem_kb,
                graphs,
                &self.passwords,
                &span,
            ) {
                Ok(r) => (Some(r), None),
                Err(e) => {
                    let e = context(e, &format!("7z block {b}"));
                    notes.error(e.clone());
                    (None, Some(e))
                }
            }
        } else {
            match decode::block_reader(self.data, archive, b, self.mem_kb, graphs, None) {
                Ok(r) => (Some(r), None),
                Err(e) => {
                    let e = context(e, &format!("7z block {b}"));
                    notes.error(e.clone());
                    (None, Some(e))
                }
            }
        };
        Some(BlockWalk {
            b,
            span,
            next: 0,
            method: method.join("+"),
            encrypted,
            packed,
            reader,
            broken,
            crc: BlockCrc::new(&self.crcs, b, streams),
            file_crc: crc32fast::Hasher::new(),
        })
    }

    /// The next file of the block being decoded.
    fn block_step(&mut self, notes: &mut Notes) -> Step {
        let Walk {
            archive,
            info,
            block,
            reading,
            ..
        } = self;
        let Some(bw) = block.as_mut() else {
            return Step::Done;
        };
        loop {
            let Some(&i) = bw.span.get(bw.next) else {
                let crc = std::mem::replace(&mut bw.crc, BlockCrc::none());
                crc.report(bw.b, notes);
                return Step::Done;
            };
            bw.next += 1;
            let Some(f) = archive.files.get(i) else {
                continue;
            };
            if !f.has_stream() {
                match stream_less(f, info, reading) {
                    Some(e) => return Step::Entry(e),
                    None => continue,
                }
            }
            info.entries += 1;
            info.declared_size = info.declared_size.saturating_add(f.size());
            let what = format!("7z entry `{}`", f.name());
            let einfo = bw.entry_info().modified(mtime(f));
            let missing = |error: Error| {
                Step::Entry(Entry {
                    name: f.name().to_string(),
                    info: einfo.clone(),
                    data: Data::Missing {
                        size: f.size(),
                        error,
                    },
                })
            };
            if bw.encrypted {
                info.encrypted_entries += 1;
            }
            if bw.encrypted && bw.reader.is_none() && bw.broken.is_none() {
                let b = bw.b;
                return missing(Error::encrypted(format!(
                    "{what}: block {b} is encrypted; not decrypted"
                )));
            }
            if let Some(e) = &bw.broken {
                return missing(context(e.clone(), &what));
            }
            if bw.reader.is_none() {
                return missing(Error::malformed(format!("{what}: block not decoded")));
            }
            bw.file_crc = crc32fast::Hasher::new();
            *reading = Some(Reading {
                file: Some(i),
                what,
            });
            return Step::Decode {
                name: f.name().to_string(),
                info: einfo,
                size: f.size(),
            };
        }
    }
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        loop {
            if self.block.is_some() {
                match self.block_step(notes) {
                    Step::Entry(e) => return Some(e),
                    Step::Decode { name, info, size } => {
                        // The reader borrows the block: made here, where
                        // nothing follows it.
                        let bw = self.block.as_mut()?;
                        let reader = bw.reader.as_mut()?;
                        let take = CrcTake {
                            inner: &mut **reader,
                            left: size,
                            file: &mut bw.file_crc,
                            block: bw.crc.hasher(),
                        };
                        return Some(Entry {
                            name,
                            info,
                            data: Data::Decode {
                                reader: Box::new(take),
                                declared: Some(size),
                                stored: Some(bw.packed),
                            },
                        });
                    }
                    Step::Done => self.block = None,
                }
                continue;
            }
            let i = self.next;
            let done = *self.done.get(i)?;
            self.next += 1;
            if done {
                continue;
            }
            match self
                .archive
                .stream_map
                .file_block_index
                .get(i)
                .copied()
                .flatten()
            {
                Some(b) => self.block = self.start_block(b, notes),
                None => {
                    if let Some(d) = self.done.get_mut(i) {
                        *d = true;
                    }
                    if let Some(f) = self.archive.files.get(i) {
                        if let Some(e) = stream_less(f, &mut self.info, &mut self.reading) {
                            return Some(e);
                        }
                    }
                }
            }
        }
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        info: &mut EntryInfo,
        notes: &mut Notes,
    ) {
        let Some(Reading {
            file: Some(i),
            what,
        }) = self.reading.take()
        else {
            return;
        };
        let Some(bw) = self.block.as_mut() else {
            return;
        };
        match read {
            Ok(_) => {
                let got = std::mem::replace(&mut bw.file_crc, crc32fast::Hasher::new()).finalize();
                let e = std::mem::replace(info, EntryInfo::new(EntryKind::File));
                *info = checked(e, self.crcs.file(i), got, &what);
            }
            Err(e) => {
                bw.crc.broken();
                let b = bw.b;
                // The stream position is lost (or a limit says stop): the
                // rest of the block is not decoded.
                let why = match &*e {
                    Error::LimitExceeded { limit, .. } => Error::limit(
                        *limit,
                        format!(
                            "not decoded: an earlier entry of solid block {b} ({what}) hit a limit"
                        ),
                    ),
                    other => context(other.clone(), &format!("7z block {b}, after {what}")),
                };
                if !matches!(e, Error::LimitExceeded { .. }) {
                    notes.error(context(e.clone(), &format!("7z block {b}")));
                }
                bw.broken = Some(why);
                *e = context(e.clone(), &what);
            }
        }
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: Format::SevenZ,
            metadata: Some(Metadata::SevenZ(Box::new(self.info))),
        }
    }
}

/// A byte count of a block's output (never read past it), with its CRC-32
/// computed as it streams, and the block's when the block carries one.
struct CrcTake<'s, R: ?Sized> {
    inner: &'s mut R,
    left: u64,
    file: &'s mut crc32fast::Hasher,
    block: Option<&'s mut crc32fast::Hasher>,
}

impl<R: Read + ?Sized> Read for CrcTake<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let cap = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(buf.get_mut(..cap).unwrap_or(&mut []))?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("block data ends {} bytes before the entry's end", self.left),
            ));
        }
        let got = buf.get(..n).unwrap_or(&[]);
        self.file.update(got);
        if let Some(h) = self.block.as_mut() {
            h.update(got);
        }
        self.left -= n as u64;
        Ok(n)
    }
}
/// The CRC-32s the archive records, taken out of the crate's [`Archive`]
/// (whose decoders would otherwise fail an entry whose CRC does not match
/// and drop its bytes): we check them, keep the bytes, and say so.
struct Crcs {
    /// Per file: its own CRC, or its block's when the block holds only it.
    files: Vec<Option<u32>>,
    /// Per block holding several files: the CRC of the whole block's output.
    blocks: Vec<Option<u32>>,
}

impl Crcs {
    fn take(archive: &mut Archive) -> Crcs {
        let as_u32 = |c: u64| u32::try_from(c & 0xFFFF_FFFF).unwrap_or(0);
        // Files with data in each block.
        let mut streams = vec![0u64; archive.blocks.len()];
        for (i, f) in archive.files.iter().enumerate() {
            let b = archive
                .stream_map
                .file_block_index
                .get(i)
                .copied()
                .flatten();
            if let Some(n) = b
                .and_then(|b| streams.get_mut(b))
                .filter(|_| f.has_stream())
            {
                *n += 1;
            }
        }
        let single: Vec<bool> = streams.iter().map(|&n| n == 1).collect();
        let blocks: Vec<Option<u32>> = archive
            .blocks
            .iter()
            .zip(&single)
            .map(|(b, &one)| (b.has_crc && !one).then(|| as_u32(b.crc)))
            .collect();
        let mut files = Vec::with_capacity(archive.files.len());
        for (i, f) in archive.files.iter().enumerate() {
            let block = archive
                .stream_map
                .file_block_index
                .get(i)
                .copied()
                .flatten()
                .and_then(|b| archive.blocks.get(b).zip(single.get(b)));
            let want = if f.has_crc {
                Some(as_u32(f.crc))
            } else {
                match block {
                    Some((blk, true)) if blk.has_crc && f.has_stream() => Some(as_u32(blk.crc)),
                    _ => None,
                }
            };
            files.push(want);
        }
        for f in &mut archive.files {
            f.has_crc = false;
        }
        for b in &mut archive.blocks {
            b.has_crc = false;
        }
        Crcs { files, blocks }
    }

    fn file(&self, i: usize) -> Option<u32> {
        self.files.get(i).copied().flatten()
    }
}

/// The CRC-32 of a block of several files, computed across its entries.
struct BlockCrc {
    want: Option<u32>,
    hasher: crc32fast::Hasher,
    broken: bool,
}

impl BlockCrc {
    fn new(crcs: &Crcs, b: usize, files: usize) -> BlockCrc {
        BlockCrc {
            want: crcs.blocks.get(b).copied().flatten().filter(|_| files > 1),
            hasher: crc32fast::Hasher::new(),
            broken: false,
        }
    }

    /// Nothing to check (what a finished block leaves behind).
    fn none() -> BlockCrc {
        BlockCrc {
            want: None,
            hasher: crc32fast::Hasher::new(),
            broken: false,
        }
    }

    fn hasher(&mut self) -> Option<&mut crc32fast::Hasher> {
        if self.want.is_some() && !self.broken {
            Some(&mut self.hasher)
        } else {
            None
        }
    }

    /// An entry was not read whole: the block's CRC cannot be checked.
    fn broken(&mut self) {
        self.broken = true;
    }

    /// A mismatch goes on the archive node: the CRC covers several
    /// children, already reported (7-Zip records per-file CRCs instead).
    fn report(self, b: usize, notes: &mut Notes) {
        let Some(want) = self.want.filter(|_| !self.broken) else {
            return;
        };
        let got = self.hasher.finalize();
        if got != want {
            notes.error(Error::checksum(format!(
                "7z block {b}: CRC-32 of the block's output stored {want:08x}, its files decode to {got:08x}"
            )));
        }
    }
}

/// The entry's info with its CRC-32 check: vouched for when it matches, a
/// checksum error when it does not (the bytes are kept either way).
fn checked(e: EntryInfo, want: Option<u32>, got: u32, what: &str) -> EntryInfo {
    match want {
        Some(w) if w == got => e.verified(Check::SevenZCrc32),
        Some(w) => e.with_error(Error::checksum(format!(
            "{what}: CRC-32 stored {w:08x}, data decodes to {got:08x}"
        ))),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::*;
    use installsift_model::Limits;

    #[test]
    fn listing_without_the_engine() {
        let Some(d) = sample("7z/methods.7z") else {
            panic!("corpus/7z/methods.7z missing (corpus/build.sh)");
        };
        let l = list(open, &d, &Limits::default(), usize::MAX);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        assert_eq!(l.entries.len(), 15);
        for (name, e, listed) in &l.entries {
            let Listed::Decoded(Ok(b)) = listed else {
                panic!("{name}: {listed:?}");
            };
            assert_eq!(b.len(), 5389, "{name}");
            assert_eq!(e.verified_by, [Check::SevenZCrc32], "{name}");
        }
        // BCJ2 (four packed streams) streams through our decoders like the
        // others: a buffer bound below its size does not stop it.
        let small = Limits {
            max_buffered_entry: 5000,
            ..Limits::default()
        };
        let l = list(open, &d, &small, usize::MAX);
        let (_, e, bcj2) = l.entries.iter().find(|e| e.0 == "bcj2.bin").expect("bcj2");
        let Listed::Decoded(Ok(b)) = bcj2 else {
            panic!("{bcj2:?}");
        };
        assert_eq!(b.len(), 5389);
        assert_eq!(e.verified_by, [Check::SevenZCrc32]);
        assert_eq!(e.method.as_deref(), Some("lzma+bcj2"), "{e:?}");
        let l = list(open, &d, &Limits::default(), usize::MAX);
        let Some(Metadata::SevenZ(z)) = &l.parsed.metadata else {
            panic!("no metadata");
        };
        assert_eq!((z.entries, z.blocks), (15, 15));

        // Stopped after two entries (as the engine's limits would): nothing
        // more is decoded, counted or reported missing.
        let l = list(open, &d, &Limits::default(), 2);
        assert_eq!(l.entries.len(), 2);
        assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
        let Some(Metadata::SevenZ(z)) = &l.parsed.metadata else {
            panic!("no metadata");
        };
        assert_eq!(z.entries, 2);
    }

    #[test]
    fn damaged_block_of_another_coder_costs_only_its_file() {
        let Some(mut d) = sample("7z/methods.7z") else {
            panic!("corpus/7z/methods.7z missing (corpus/build.sh)");
        };
        // Block 0 (ppmd.bin, PPMd) is the first packed stream, at 32.
        for b in &mut d[40..48] {
            *b ^= 0xA5;
        }
        let l = list(open, &d, &Limits::default(), usize::MAX);
        assert_eq!(l.entries.len(), 15);
        for (name, e, listed) in &l.entries {
            if name == "ppmd.bin" {
                let damaged = match listed {
                    Listed::Decoded(Ok(_)) => e.errors.iter().any(|x| x.kind() == "checksum"),
                    Listed::Decoded(Err(_)) | Listed::Missing { .. } => true,
                    _ => false,
                };
                assert!(damaged, "{listed:?} {e:?}");
                assert!(e.verified_by.is_empty());
            } else {
                assert_eq!(e.verified_by, [Check::SevenZCrc32], "{name}");
            }
        }
    }

    #[test]
    fn solid_block_stopped_midway_reports_nothing_missing() {
        let Some(d) = sample("7z/lzma2.7z") else {
            panic!("corpus/7z/lzma2.7z missing");
        };
        let all = list(open, &d, &Limits::default(), usize::MAX);
        assert_eq!(all.entries.len(), 4);
        assert!(all.notes.errors.is_empty(), "{:?}", all.notes.errors);
        let one = list(open, &d, &Limits::default(), 1);
        assert_eq!(one.entries.len(), 1);
        assert_eq!(one.entries[0].0, all.entries[0].0);
        assert!(one.notes.errors.is_empty(), "{:?}", one.notes.errors);
    }

    /// A real archive (7-Zip) with a byte of its next header flipped: the
    /// checksum error's typed offset is where the start header says the
    /// next header lies (32 + NextHeaderOffset, read here from the bytes).
    #[test]
    fn damaged_next_header_error_carries_its_offset() {
        let Some(mut d) = sample("7z/lzma2.7z") else {
            unreachable!("sample() panics when 7z/lzma2.7z is missing");
        };
        let rel = u64::from_le_bytes(d[12..20].try_into().expect("8 bytes"));
        let at = 32 + rel;
        // The last byte of the next header: its CRC fails, the start
        // header's own CRC (over bytes 12..32) still holds.
        let size = u64::from_le_bytes(d[20..28].try_into().expect("8 bytes"));
        let flip = usize::try_from(at + size - 1).expect("small");
        d[flip] ^= 0x01;
        let l = list(open, &d, &Limits::default(), usize::MAX);
        let e = l
            .notes
            .errors
            .iter()
            .find(|e| e.kind() == "checksum" && e.message().starts_with("7z next header"))
            .unwrap_or_else(|| panic!("no next-header CRC error: {:?}", l.notes.errors));
        assert_eq!(e.offset(), Some(at));
        assert!(e.message().contains(&format!("at offset {at} ")), "{e}");
    }
}
