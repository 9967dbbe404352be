//! 7z archives: list every entry and unpack the files within the
//! [`Limits`](crate::Limits), decoding each block (solid or not) once.
//!
//! - The header is read by `sevenz-rust2` with a memory limit derived from
//!   [`Limits::max_entry_size`](crate::Limits::max_entry_size) (it bounds the
//!   header buffers and each decoder's dictionary), on a single thread (the
//!   crate would otherwise start one decoder thread per core inside our rayon
//!   workers).
//! - Blocks are decoded with the crate's block decoder, one pass per block,
//!   every entry's stream handed to [`Cx::read_entry`] as it comes: nothing is
//!   decoded twice, and a failing block does not stop the other blocks.
//!   Children are produced in the archive's file order.
//! - A header that is encrypted cannot be listed: the node gets an `encrypted`
//!   error, no children, and [`SevenZInfo::header_encrypted`]. With a plain
//!   header and encrypted blocks, every entry of those blocks is listed as a
//!   `Missing` child with an `encrypted` error. No password is tried.
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

// Wired into the container by the pull port that follows.
#[allow(dead_code)]
mod decode;

use super::{le_u64, Handler, Metadata, Parsed};
use crate::error::{context, Error};
use crate::model::{Check, EntryInfo, EntryKind, Evidence, Format};
use crate::scan::{ChildData, Cx};
use serde::Serialize;
use sevenz_rust2::{Archive, BlockDecoder, EncoderMethod, Password};
use std::collections::BTreeSet;
use std::io::Cursor;

/// 7z facts.
#[derive(Debug, Clone, Default, Serialize)]
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
    parser: super::Parser::Push(parse),
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
            "max_entry_size",
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

fn parse(data: &[u8], cx: &mut Cx<'_>) -> Parsed {
    let mut info = SevenZInfo::default();
    read(data, &mut info, cx);
    Parsed {
        format: Format::SevenZ,
        metadata: Some(Metadata::SevenZ(info)),
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
/// replaced by `head`.
fn open_with(data: &[u8], head: [u8; 32], mem_kb: usize) -> Result<Archive, sevenz_rust2::Error> {
    let mut source = Patched { data, head, pos: 0 };
    Archive::read_with_memory_limit(&mut source, &Password::empty(), mem_kb)
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
fn search_header(data: &[u8], mem_kb: usize) -> Option<(Archive, u64)> {
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
                if let Ok(a) = open_with(data, head, mem_kb) {
                    if !a.files.is_empty() {
                        return Some((a, p as u64));
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
    info: &mut SevenZInfo,
    cx: &mut Cx<'_>,
) -> Option<Archive> {
    let Some(sig) = data.get(..32) else {
        cx.error(Error::truncated(format!(
            "7z signature header cut at {} of 32 bytes",
            data.len()
        )));
        return None;
    };
    let stored = super::le_u32(sig, 8)?;
    let computed = crc32fast::hash(sig.get(12..32)?);
    let (off, size, next_crc) = (le_u64(sig, 12)?, le_u64(sig, 20)?, super::le_u32(sig, 28)?);
    let start_ok = stored == computed;
    if !start_ok {
        if sig.get(8..32).is_some_and(|b| b.iter().all(|&x| x == 0)) {
            cx.error(Error::truncated(
                "7z start header (offset 8..32) is all zeros: the archive was never finished (7-Zip writes it last)",
            ));
        } else {
            cx.error(Error::checksum(format!(
                "7z start header CRC-32 at offset 8: stored {stored:08x}, bytes 12..32 hash to {computed:08x}"
            )));
        }
    }
    let header_at = off.checked_add(32);
    let fits = header_at
        .and_then(|h| h.checked_add(size))
        .is_some_and(|e| e <= data.len() as u64);
    if !fits {
        if start_ok {
            cx.error(Error::truncated(format!(
                "7z header at offset {} ({size} bytes) lies past the end of the data ({} bytes): archive cut short",
                off.saturating_add(32),
                data.len()
            )));
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
            cx.error(Error::checksum(format!(
                "7z next header at offset {at} ({size} bytes): CRC-32 stored {next_crc:08x}, bytes hash to {actual:08x}"
            )));
        }
        let head = patched_head(data, off, size)?;
        match open_with(data, head, mem_kb) {
            Ok(a) => return Some(a),
            Err(sevenz_rust2::Error::PasswordRequired) => {
                info.header_encrypted = true;
                cx.error(Error::encrypted(
                    "7z header is encrypted; entries cannot be listed without the password",
                ));
                return None;
            }
            Err(e) => {
                cx.error(context(sz_error(e), &format!("7z header at offset {at}")));
                if start_ok {
                    return None;
                }
            }
        }
    } else if start_ok {
        // An empty archive: nothing to list.
        return Some(Archive::default());
    }
    match search_header(data, mem_kb) {
        Some((a, at)) => {
            cx.evidence(Evidence::strong(
                "7z-header-found",
                format!(
                    "start header damaged; a header that lists {} entries found by search",
                    a.files.len()
                ),
                Some(at),
            ));
            Some(a)
        }
        None => {
            cx.error(Error::malformed(format!(
                "7z start header damaged and no header found in the last {} bytes",
                data.len().min(HEADER_SEARCH_WINDOW)
            )));
            None
        }
    }
}

fn read(data: &[u8], info: &mut SevenZInfo, cx: &mut Cx<'_>) {
    let limits = cx.limits();
    let mem_kb = usize::try_from(limits.max_entry_size.clamp(64 << 20, 4 << 30) / 1024)
        .unwrap_or(usize::MAX);
    let Some(mut archive) = read_header(data, mem_kb, info, cx) else {
        return;
    };
    let mut source = Cursor::new(data);
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
    cx.evidence(Evidence::strong(
        "7z-header",
        format!(
            "{} entries in {} blocks",
            archive.files.len(),
            archive.blocks.len()
        ),
        le_u64(data, 12).map(|o| o.saturating_add(32)),
    ));

    let mut done = vec![false; archive.files.len()];
    for i in 0..archive.files.len() {
        if cx.stopped() {
            return;
        }
        if done.get(i).copied().unwrap_or(true) {
            continue;
        }
        match archive
            .stream_map
            .file_block_index
            .get(i)
            .copied()
            .flatten()
        {
            Some(b) => {
                if !block(&archive, &crcs, b, &mut source, mem_kb, &mut done, info, cx) {
                    return;
                }
            }
            None => {
                if let Some(d) = done.get_mut(i) {
                    *d = true;
                }
                if let Some(f) = archive.files.get(i) {
                    if !stream_less(f, info, cx) {
                        return;
                    }
                }
            }
        }
    }
}

/// An entry without data: a directory or anti-item (counted) or an empty
/// file (a child of size 0). Returns what [`Cx::child`] returned.
fn stream_less(f: &sevenz_rust2::ArchiveEntry, info: &mut SevenZInfo, cx: &mut Cx<'_>) -> bool {
    if f.is_directory() {
        info.directories += 1;
        return true;
    }
    if f.is_anti_item() {
        return true;
    }
    info.entries += 1;
    let data = match cx.read_entry(&mut std::io::empty(), Some(0), None) {
        Ok(u) => u.into(),
        Err(error) => ChildData::Missing { size: 0, error },
    };
    cx.child(f.name(), EntryInfo::new(EntryKind::File), data)
}

/// Decode block `b` once, producing a child for every file of its span (the
/// files it holds and the empty entries between them). Returns false when the
/// entry limits stopped the container.
#[allow(clippy::too_many_arguments)]
fn block(
    archive: &Archive,
    crcs: &Crcs,
    b: usize,
    source: &mut Cursor<&[u8]>,
    mem_kb: usize,
    done: &mut [bool],
    info: &mut SevenZInfo,
    cx: &mut Cx<'_>,
) -> bool {
    let password = Password::empty();
    let Some(blk) = archive.blocks.get(b) else {
        return true;
    };
    // Coders in decoding order (from the packed stream to the output).
    let method: Vec<String> = blk
        .ordered_coder_iter()
        .map(|(_, c)| coder_name(c.encoder_method_id()))
        .collect();
    let method = method.join("+");
    let encrypted = blk
        .coders
        .iter()
        .any(|c| c.encoder_method_id() == EncoderMethod::ID_AES256_SHA256);
    // Packed size of the block, for the ratio check: a lower bound of each
    // entry's own ratio, so it never trips on an honest solid block.
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
    let whole: &[u8] = source.get_ref();
    let decoder = BlockDecoder::new_with_memory_limit(1, mem_kb, b, archive, &password, source);
    let span: Vec<usize> = {
        let first = archive
            .stream_map
            .block_first_file_index
            .get(b)
            .copied()
            .unwrap_or(0);
        (first..first + decoder.entry_count()).collect()
    };
    for &i in &span {
        if let Some(d) = done.get_mut(i) {
            *d = true;
        }
    }
    let entry_info = |has_stream: bool| {
        let mut e = EntryInfo::new(EntryKind::File);
        if has_stream {
            e.method = Some(method.clone());
            e.encrypted = encrypted;
            if span.len() == 1 {
                e.compressed_size = Some(packed);
            }
        }
        e
    };

    if encrypted {
        for &i in &span {
            let Some(f) = archive.files.get(i) else {
                continue;
            };
            if !f.has_stream() {
                if !stream_less(f, info, cx) {
                    return false;
                }
                continue;
            }
            info.entries += 1;
            info.encrypted_entries += 1;
            info.declared_size = info.declared_size.saturating_add(f.size());
            let error = Error::encrypted(format!(
                "7z entry `{}`: block {b} is encrypted; not decrypted",
                f.name()
            ));
            if !cx.child(
                f.name(),
                entry_info(true),
                ChildData::Missing {
                    size: f.size(),
                    error,
                },
            ) {
                return false;
            }
        }
        return true;
    }

    if let Some(go_on) = fast_block(
        archive,
        crcs,
        b,
        whole,
        &span,
        packed,
        mem_kb,
        info,
        cx,
        &entry_info,
    ) {
        return go_on;
    }

    // Entries handed to the callback so far; those after it are reported
    // with the error that ended the block.
    let mut seen = 0usize;
    let mut stopped = false;
    let mut abandoned: Option<Error> = None;
    let mut block_crc = BlockCrc::new(crcs, b, span.len());
    let result = decoder.for_each_entries(&mut |f, reader| {
        let index = span.get(seen).copied();
        seen += 1;
        if !f.has_stream() {
            if !stream_less(f, info, cx) {
                stopped = true;
                return Ok(false);
            }
            return Ok(true);
        }
        info.entries += 1;
        info.declared_size = info.declared_size.saturating_add(f.size());
        let what = format!("7z entry `{}`", f.name());
        // Bounded at the declared size: the crate's own check of a
        // single-file block's CRC fails only after the entry's last byte
        // (reported below), and what the entry decoded to is kept.
        let mut take = CrcTake::new(reader, f.size(), block_crc.hasher());
        let (data, go_on, entry) = match cx.read_entry(&mut take, Some(f.size()), Some(packed)) {
            Ok(u) => {
                let got = take.finish();
                let want = index.and_then(|i| crcs.file(i));
                (u.into(), true, checked(entry_info(true), want, got, &what))
            }
            Err(e) => {
                block_crc.broken();
                // A limit stops decoding this block (draining the rest of a
                // bomb would cost what the limit saves); a decoding error
                // lets the crate try the next entry, and fail if the stream
                // is broken.
                let go_on = match &e {
                    Error::LimitExceeded { limit, .. } => {
                        abandoned = Some(Error::limit(
                            limit,
                            format!("not decoded: an earlier entry of solid block {b} ({what}) hit a limit"),
                        ));
                        false
                    }
                    _ => true,
                };
                (ChildData::Missing { size: f.size(), error: context(e, &what) }, go_on, entry_info(true))
            }
        };
        if !cx.child(f.name(), entry, data) {
            stopped = true;
            return Ok(false);
        }
        Ok(go_on)
    });
    if stopped {
        return false;
    }
    block_crc.report(b, cx);
    let rest_error = match result {
        Ok(_) => abandoned,
        Err(e) => {
            let e = context(sz_error(e), &format!("7z block {b}"));
            // A single-file block's CRC the crate checked at its end: the
            // entry already carries the mismatch.
            if seen < span.len() || !matches!(e, Error::Checksum { .. }) {
                cx.error(e.clone());
                Some(e)
            } else {
                abandoned
            }
        }
    };
    let Some(rest_error) = rest_error else {
        return true;
    };
    for &i in span.iter().skip(seen) {
        let Some(f) = archive.files.get(i) else {
            continue;
        };
        if !f.has_stream() {
            if !stream_less(f, info, cx) {
                return false;
            }
            continue;
        }
        info.entries += 1;
        info.declared_size = info.declared_size.saturating_add(f.size());
        let error = context(rest_error.clone(), &format!("7z entry `{}`", f.name()));
        if !cx.child(
            f.name(),
            entry_info(true),
            ChildData::Missing {
                size: f.size(),
                error,
            },
        ) {
            return false;
        }
    }
    true
}

/// How [`fast_block`] decodes a block: LZMA or LZMA2, then x86 BCJ or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    lzma: Lzma,
    bcj: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lzma {
    /// LZMA1: the lc/lp/pb byte and the dictionary size.
    V1(u8, u32),
    /// LZMA2: the dictionary byte.
    V2(u8),
}

/// The plan for a block whose coders, in decoding order, are LZMA or LZMA2,
/// optionally followed by x86 BCJ, with dictionaries within `mem_kb`; `None`
/// sends the block to the crate's decoder instead.
fn lzma_plan(blk: &sevenz_rust2::Block, mem_kb: usize) -> Option<Plan> {
    let decoding: Vec<&sevenz_rust2::Coder> = blk.ordered_coder_iter().map(|(_, c)| c).collect();
    if decoding.is_empty() || decoding.len() != blk.coders.len() || decoding.len() > 2 {
        return None;
    }
    let bcj = match decoding.get(1) {
        None => false,
        Some(c)
            if c.encoder_method_id() == EncoderMethod::ID_BCJ_X86 && c.properties().is_empty() =>
        {
            true
        }
        Some(_) => return None,
    };
    let mem = u64::try_from(mem_kb)
        .unwrap_or(u64::MAX)
        .saturating_mul(1024);
    let first = decoding.first()?;
    let props = first.properties();
    match first.encoder_method_id() {
        EncoderMethod::ID_LZMA => {
            let dict = super::le_u32(props, 1)?;
            let &p = props.first()?;
            if props.len() != 5 || u64::from(dict) > mem || p >= 9 * 5 * 5 {
                return None;
            }
            Some(Plan {
                lzma: Lzma::V1(p, dict),
                bcj,
            })
        }
        EncoderMethod::ID_LZMA2 => {
            let &[p] = props else { return None };
            if p > 40 || (2u64 | u64::from(p & 1)) << (p / 2 + 11) > mem {
                return None;
            }
            Some(Plan {
                lzma: Lzma::V2(p),
                bcj,
            })
        }
        _ => None,
    }
}

/// A byte count of a decoder's output (never read past it), with its CRC-32
/// computed as it streams, and the block's when the block carries one.
struct CrcTake<'a, 'h> {
    inner: &'a mut dyn std::io::Read,
    left: u64,
    crc: crc32fast::Hasher,
    block: Option<&'h mut crc32fast::Hasher>,
}

impl<'a, 'h> CrcTake<'a, 'h> {
    fn new(
        inner: &'a mut dyn std::io::Read,
        left: u64,
        block: Option<&'h mut crc32fast::Hasher>,
    ) -> Self {
        CrcTake {
            inner,
            left,
            crc: crc32fast::Hasher::new(),
            block,
        }
    }

    /// The CRC-32 of what was read.
    fn finish(self) -> u32 {
        self.crc.finalize()
    }
}

impl std::io::Read for CrcTake<'_, '_> {
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
        self.crc.update(got);
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
    fn report(self, b: usize, cx: &mut Cx<'_>) {
        let Some(want) = self.want.filter(|_| !self.broken) else {
            return;
        };
        let got = self.hasher.finalize();
        if got != want {
            cx.error(Error::checksum(format!(
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

/// Decode block `b` with the LZMA SDK's decoder (and our x86 BCJ) when
/// [`lzma_plan`] accepts its coders (about a third less CPU than the
/// crate's decoder, and a tenth less than liblzma, which did this before),
/// producing the same children as [`block`] does. `None`: not such a block,
/// nothing done.
#[allow(clippy::too_many_arguments)]
fn fast_block(
    archive: &Archive,
    crcs: &Crcs,
    b: usize,
    data: &[u8],
    span: &[usize],
    packed: u64,
    mem_kb: usize,
    info: &mut SevenZInfo,
    cx: &mut Cx<'_>,
    entry_info: &dyn Fn(bool) -> EntryInfo,
) -> Option<bool> {
    let blk = archive.blocks.get(b)?;
    let firsts = archive.stream_map.block_first_pack_stream_index();
    let first_pack = *firsts.get(b)?;
    let end_pack = firsts
        .get(b + 1)
        .copied()
        .unwrap_or(archive.pack_sizes().len());
    if end_pack != first_pack + 1 {
        return None;
    }
    // A block of one Deflate64 coder (which the crate cannot decode).
    let deflate64 = blk.coders.len() == 1
        && blk
            .coders
            .first()
            .is_some_and(|c| c.encoder_method_id() == EncoderMethod::ID_DEFLATE64);
    let plan = if deflate64 {
        None
    } else {
        Some(lzma_plan(blk, mem_kb)?)
    };
    // Packed streams follow the 32-byte signature header from `pack_pos`.
    let start = archive
        .pack_sizes()
        .get(..first_pack)?
        .iter()
        .try_fold(archive.pack_pos().checked_add(32)?, |a, &s| {
            a.checked_add(s)
        })?;
    let end = start.checked_add(packed)?;
    let input = data.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)?;
    let mut reader: Box<dyn std::io::Read + '_> = match plan {
        None => Box::new(deflate64::Deflate64Decoder::with_buffer(input)),
        Some(plan) => {
            // An LZMA1 stream has no end marker here: it ends at the
            // block's unpack size (BCJ keeps sizes), which the x86 filter's
            // read-ahead must not pass.
            let lzma = match plan.lzma {
                Lzma::V1(p, dict) => crate::lzma::LzmaReader::lzma(p, dict, input)
                    .map(|r| r.with_size(blk.get_unpack_size())),
                Lzma::V2(p) => crate::lzma::LzmaReader::lzma2(p, u64::MAX, input),
            }
            .ok()?;
            if plan.bcj {
                Box::new(crate::lzma::X86Reader::new(lzma))
            } else {
                Box::new(lzma)
            }
        }
    };

    let mut broken: Option<Error> = None;
    let mut block_crc = BlockCrc::new(crcs, b, span.len());
    for &i in span {
        let Some(f) = archive.files.get(i) else {
            continue;
        };
        if !f.has_stream() {
            if !stream_less(f, info, cx) {
                return Some(false);
            }
            continue;
        }
        info.entries += 1;
        info.declared_size = info.declared_size.saturating_add(f.size());
        let what = format!("7z entry `{}`", f.name());
        let (data, entry) = if let Some(e) = &broken {
            (
                ChildData::Missing {
                    size: f.size(),
                    error: context(e.clone(), &what),
                },
                entry_info(true),
            )
        } else {
            let mut take = CrcTake::new(&mut *reader, f.size(), block_crc.hasher());
            match cx.read_entry(&mut take, Some(f.size()), Some(packed)) {
                Ok(u) => {
                    let got = take.finish();
                    (
                        u.into(),
                        checked(entry_info(true), crcs.file(i), got, &what),
                    )
                }
                Err(e) => {
                    block_crc.broken();
                    // The stream position is lost (or a limit says stop):
                    // the rest of the block is not decoded.
                    let why = match &e {
                        Error::LimitExceeded { limit, .. } => Error::limit(
                            limit,
                            format!("not decoded: an earlier entry of solid block {b} ({what}) hit a limit"),
                        ),
                        other => context(other.clone(), &format!("7z block {b}, after {what}")),
                    };
                    if !matches!(e, Error::LimitExceeded { .. }) {
                        cx.error(context(e.clone(), &format!("7z block {b}")));
                    }
                    broken = Some(why);
                    (
                        ChildData::Missing {
                            size: f.size(),
                            error: context(e, &what),
                        },
                        entry_info(true),
                    )
                }
            }
        };
        if !cx.child(f.name(), entry, data) {
            return Some(false);
        }
    }
    block_crc.report(b, cx);
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Node;
    use crate::test_support::*;
    use crate::{Limits, Scanner};

    fn info(n: &Node) -> &SevenZInfo {
        match &n.metadata {
            Some(Metadata::SevenZ(z)) => z,
            other => panic!("no 7z metadata: {other:?}"),
        }
    }

    fn names(n: &Node) -> Vec<String> {
        let mut v: Vec<String> = n
            .children
            .iter()
            .map(|c| c.path.last().cloned().unwrap_or_default())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn lzma_blocks_take_the_fast_path() {
        // 7zz puts BCJ before LZMA2 in the block of executables only.
        for (rel, want) in [
            ("7z/lzma2.7z", &[false, true][..]),
            ("7z/large_lzma2_bcj.7z", &[true][..]),
        ] {
            let Some(d) = sample(rel) else {
                return;
            };
            let a = Archive::read(&mut Cursor::new(&d[..]), &Password::empty()).unwrap();
            let mut bcj = Vec::new();
            for blk in &a.blocks {
                match lzma_plan(blk, 1 << 20) {
                    Some(Plan {
                        lzma: Lzma::V2(_),
                        bcj: b,
                    }) => bcj.push(b),
                    other => panic!("{rel}: {other:?}"),
                }
                // A dictionary above the memory limit goes to the crate, which
                // reports the limit.
                assert!(lzma_plan(blk, 1).is_none());
            }
            bcj.sort();
            bcj.dedup();
            assert_eq!(bcj, want, "{rel}");
        }
    }

    #[test]
    fn damaged_packed_data_is_an_error_on_the_entries() {
        let Some(mut d) = sample("7z/lzma2.7z") else {
            return;
        };
        // Packed data starts right after the 32-byte signature header; the
        // header (at the end) stays intact.
        for b in d.iter_mut().skip(32 + 40).take(64) {
            *b ^= 0x5A;
        }
        let r = Scanner::new().scan_bytes("damaged.7z", &d);
        assert_eq!(r.stats.panics, 0);
        let bad: Vec<&Node> = r
            .root
            .children
            .iter()
            .filter(|c| !c.errors.is_empty())
            .collect();
        assert!(!bad.is_empty(), "no entry reports the damage");
        assert!(
            r.root
                .children
                .iter()
                .all(|c| c.errors.is_empty() || c.sha256.is_none()),
            "an entry with an error still has hashes"
        );
    }

    #[test]
    fn solid_sample_unpacks_every_file_once() {
        let Some(d) = sample("7z/lzma2.7z") else {
            return;
        };
        let r = Scanner::new().scan_bytes("lzma2.7z", &d);
        assert!(r.root.errors.is_empty(), "{:?}", r.root.errors);
        assert_eq!(
            names(&r.root),
            [
                "bin/hello.exe",
                "config.ini",
                "docs/license.txt",
                "readme.txt"
            ]
        );
        let z = info(&r.root);
        assert_eq!((z.entries, z.directories, z.declared_size), (4, 2, 19424));
        assert!(r
            .root
            .children
            .iter()
            .all(|c| c.sha256.is_some() && c.errors.is_empty()));
        // Decoded once: the unpacked total is the sum of the entries.
        assert_eq!(r.stats.unpacked_bytes, 19424);
        assert_eq!(
            r.root.find("bin/hello.exe").map(|n| n.format),
            Some(Format::Pe)
        );
    }

    #[test]
    fn encrypted_data_is_listed_as_missing() {
        let Some(d) = sample("7z/enc_data.7z") else {
            return;
        };
        let r = Scanner::new().scan_bytes("enc_data.7z", &d);
        assert_eq!(r.root.children.len(), 4);
        for c in &r.root.children {
            assert!(c.sha256.is_none());
            assert_eq!(c.errors[0].kind(), "encrypted");
            assert!(c.entry.as_ref().is_some_and(|e| e.encrypted));
        }
        assert_eq!(info(&r.root).encrypted_entries, 4);
    }

    #[test]
    fn encrypted_header_cannot_be_listed() {
        let Some(d) = sample("7z/enc_header.7z") else {
            return;
        };
        let r = Scanner::new().scan_bytes("enc_header.7z", &d);
        assert_eq!(r.root.format, Format::SevenZ);
        assert!(r.root.children.is_empty());
        assert_eq!(r.root.errors[0].kind(), "encrypted");
        assert!(info(&r.root).header_encrypted);
    }

    #[test]
    fn truncated_archive_has_lost_its_header() {
        let Some(d) = sample("7z/lzma2.7z") else {
            return;
        };
        let r = Scanner::new().scan_bytes("cut.7z", &d[..d.len() * 7 / 10]);
        assert_eq!(r.root.format, Format::SevenZ);
        assert!(r.root.children.is_empty());
        assert_eq!(r.root.errors[0].kind(), "truncated", "{:?}", r.root.errors);
    }

    #[test]
    fn corrupt_block_keeps_the_other_block() {
        let Some(mut d) = sample("7z/lzma2.7z") else {
            return;
        };
        // Packed streams start right after the 32-byte signature header; the
        // first one is the text files' block.
        for b in &mut d[40..48] {
            *b ^= 0xA5;
        }
        let r = Scanner::new().scan_bytes("bad.7z", &d);
        assert_eq!(r.root.children.len(), 4);
        assert!(r.root.children.iter().any(|c| !c.errors.is_empty()));
        let exe = r.root.find("bin/hello.exe").expect("hello.exe");
        assert!(
            exe.sha256.is_some() && exe.errors.is_empty(),
            "{:?}",
            exe.errors
        );
    }

    #[test]
    fn entry_limit_abandons_the_rest_of_the_block() {
        let Some(d) = sample("7z/lzma2.7z") else {
            return;
        };
        let limits = Limits {
            max_entry_size: 1000,
            ..Limits::default()
        };
        let r = Scanner::new()
            .with_limits(limits)
            .scan_bytes("lzma2.7z", &d);
        assert_eq!(r.root.children.len(), 4);
        let config = r.root.find("config.ini").expect("config.ini");
        assert!(config.sha256.is_some());
        for name in ["docs/license.txt", "readme.txt", "bin/hello.exe"] {
            let n = r.root.find(name).expect(name);
            assert!(n.sha256.is_none(), "{name}");
            assert_eq!(
                n.errors[0].kind(),
                "limit-exceeded",
                "{name}: {:?}",
                n.errors
            );
        }
    }

    fn scan(d: &[u8]) -> crate::Report {
        let r = Scanner::new().scan_bytes("t.7z", d);
        assert_eq!(r.stats.panics, 0);
        r
    }

    fn kinds(n: &Node) -> Vec<&'static str> {
        n.errors.iter().map(|e| e.kind()).collect()
    }

    #[test]
    fn damaged_start_header_stays_7z_and_lists_what_it_can() {
        let Some(d) = sample("7z/lzma2.7z") else {
            return;
        };
        let good = scan(&d);
        // A flipped bit in the next-header offset: the start header CRC fails,
        // the offset it gives is wrong, the header is found by search.
        let mut flipped = d.clone();
        flipped[12] ^= 1;
        // The CRC itself damaged: the fields are still right.
        let mut crc = d.clone();
        crc[9] ^= 0x10;
        // Never finished: 7-Zip writes the start header last.
        let mut zeroed = d.clone();
        zeroed[8..32].fill(0);
        for (what, m, kind) in [
            ("offset", &flipped, "checksum"),
            ("crc", &crc, "checksum"),
            ("zeroed", &zeroed, "truncated"),
        ] {
            let r = scan(m);
            assert_eq!(r.root.format, Format::SevenZ, "{what}");
            assert_eq!(kinds(&r.root), [kind], "{what}: {:?}", r.root.errors);
            assert!(
                r.root.errors[0].to_string().contains("offset 8"),
                "{what}: {}",
                r.root.errors[0]
            );
            assert_eq!(names(&r.root), names(&good.root), "{what}");
            for (a, b) in r.root.children.iter().zip(&good.root.children) {
                assert_eq!(a.sha256, b.sha256, "{what}");
            }
        }
        // Cut inside the signature header: a 7z, cut short.
        for n in [11, 23, 28] {
            let r = scan(&d[..n]);
            assert_eq!(r.root.format, Format::SevenZ, "{n}");
            assert_eq!(kinds(&r.root), ["truncated"], "{n}");
        }
        // Nothing else to go on: still a 7z, with the damage said.
        let mut lost = zeroed.clone();
        let n = lost.len();
        lost[n - 40..].fill(0);
        let r = scan(&lost);
        assert_eq!(r.root.format, Format::SevenZ);
        assert!(r.root.children.is_empty());
        assert_eq!(
            kinds(&r.root),
            ["truncated", "malformed"],
            "{:?}",
            r.root.errors
        );
    }

    #[test]
    fn sfx_with_damaged_start_header_keeps_its_7z() {
        let Some(mut d) = sample("sfx/7z_sfx_config.exe") else {
            return;
        };
        // The stub holds the signature too (followed by version 0.0); the
        // archive is the last one.
        let at = memchr::memmem::rfind(&d, b"7z\xBC\xAF\x27\x1C").expect("7z");
        d[at + 12] ^= 1;
        let r = Scanner::new().scan_bytes("sfx.exe", &d);
        let z = r.root.children.iter().find(|c| c.format == Format::SevenZ);
        let z = z.expect("the overlay is still a 7z");
        assert_eq!(kinds(z), ["checksum"], "{:?}", z.errors);
        assert_eq!(names(z), ["config.ini", "readme.txt"]);
    }

    #[test]
    fn crc_mismatch_keeps_the_bytes_and_says_so() {
        let Some(d) = sample("7z/copy_plain_header.7z") else {
            return;
        };
        let good = scan(&d);
        for c in &good.root.children {
            assert_eq!(c.verified_by, [Check::SevenZCrc32], "{:?}", c.path);
        }
        assert!(good.root.errors.is_empty(), "{:?}", good.root.errors);
        // config.ini (211 bytes, Copy coder) starts the packed streams at 32.
        let mut bad = d.clone();
        bad[40] ^= 0x20;
        let r = scan(&bad);
        let config = r.root.find("config.ini").expect("config.ini");
        assert_eq!(kinds(config), ["checksum"], "{:?}", config.errors);
        assert!(
            config.sha256.is_some()
                && config.sha256 != good.root.find("config.ini").unwrap().sha256
        );
        assert_eq!(config.size, 211);
        assert!(config.verified_by.is_empty());
        let readme = r.root.find("readme.txt").expect("readme.txt");
        assert_eq!(readme.verified_by, [Check::SevenZCrc32]);
        assert!(r.root.errors.is_empty(), "{:?}", r.root.errors);
        // The recorded CRC damaged instead: the header's CRC fails (said on
        // the archive, read anyway) and config.ini no longer matches.
        let at = memchr::memmem::find(&d, &0x390A_96E3u32.to_le_bytes()).expect("crc");
        let mut bad = d.clone();
        bad[at] ^= 1;
        let r = scan(&bad);
        assert_eq!(kinds(&r.root), ["checksum"], "{:?}", r.root.errors);
        assert!(r.root.errors[0]
            .to_string()
            .contains("next header at offset"));
        let config = r.root.find("config.ini").expect("config.ini");
        assert_eq!(config.sha256, good.root.find("config.ini").unwrap().sha256);
        assert_eq!(kinds(config), ["checksum"]);
    }
}
