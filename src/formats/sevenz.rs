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
//! - Directories and anti-items are counted, not reported as children; empty
//!   files are children of size 0.

use super::{le_u64, Handler, Metadata, Parsed};
use crate::error::{context, Error};
use crate::report::{EntryInfo, EntryKind, Evidence, Format};
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
    parse,
};

/// The 6-byte 7z signature, major version 0 and a start header whose CRC
/// matches.
pub fn sniff(data: &[u8]) -> bool {
    if !data.starts_with(b"7z\xBC\xAF\x27\x1C") || data.get(6) != Some(&0) {
        return false;
    }
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

fn read(data: &[u8], info: &mut SevenZInfo, cx: &mut Cx<'_>) {
    // The start header (offset 12) locates the header after the packed
    // streams; an archive cut short has lost it, which the crate reports as a
    // bare I/O error.
    if let (Some(off), Some(size)) = (le_u64(data, 12), le_u64(data, 20)) {
        let end = off.checked_add(32).and_then(|v| v.checked_add(size));
        if end.is_none_or(|e| e > data.len() as u64) {
            cx.error(Error::truncated(format!(
                "7z header at offset {} ({size} bytes) lies past the end of the data ({} bytes): archive cut short",
                off.saturating_add(32),
                data.len()
            )));
            return;
        }
    }
    let limits = cx.limits();
    let mem_kb = usize::try_from(limits.max_entry_size.clamp(64 << 20, 4 << 30) / 1024)
        .unwrap_or(usize::MAX);
    let password = Password::empty();
    let mut source = Cursor::new(data);
    let archive = match Archive::read_with_memory_limit(&mut source, &password, mem_kb) {
        Ok(a) => a,
        Err(sevenz_rust2::Error::PasswordRequired) => {
            info.header_encrypted = true;
            cx.error(Error::encrypted(
                "7z header is encrypted; entries cannot be listed without the password",
            ));
            return;
        }
        Err(e) => {
            cx.error(context(sz_error(e), "7z header"));
            return;
        }
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
                if !block(&archive, b, &mut source, mem_kb, &mut done, info, cx) {
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
fn block(
    archive: &Archive,
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
    let result = decoder.for_each_entries(&mut |f, reader| {
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
        let (data, go_on) = match cx.read_entry(reader, Some(f.size()), Some(packed)) {
            Ok(u) => (u.into(), true),
            Err(e) => {
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
                (ChildData::Missing { size: f.size(), error: context(e, &what) }, go_on)
            }
        };
        if !cx.child(f.name(), entry_info(true), data) {
            stopped = true;
            return Ok(false);
        }
        Ok(go_on)
    });
    if stopped {
        return false;
    }
    let rest_error = match result {
        Ok(_) => abandoned,
        Err(e) => {
            let e = context(sz_error(e), &format!("7z block {b}"));
            cx.error(e.clone());
            Some(e)
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

/// A byte count of a decoder's output, with the entry's CRC-32 checked when
/// the last byte has been read.
struct CrcTake<'a> {
    inner: &'a mut dyn std::io::Read,
    left: u64,
    crc: crc32fast::Hasher,
    want: Option<u32>,
    checked: bool,
}

impl std::io::Read for CrcTake<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            if !self.checked {
                self.checked = true;
                let got = std::mem::take(&mut self.crc).finalize();
                if let Some(want) = self.want.filter(|&w| w != got) {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("CRC-32 {got:08x} differs from the recorded {want:08x}"),
                    ));
                }
            }
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
        self.left -= n as u64;
        Ok(n)
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
    let plan = lzma_plan(blk, mem_kb)?;
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
    let lzma = match plan.lzma {
        Lzma::V1(p, dict) => crate::lzma::LzmaReader::lzma(p, dict, input),
        Lzma::V2(p) => crate::lzma::LzmaReader::lzma2(p, u64::MAX, input),
    }
    .ok()?;
    let mut reader: Box<dyn std::io::Read + '_> = if plan.bcj {
        Box::new(crate::lzma::X86Reader::new(lzma))
    } else {
        Box::new(lzma)
    };

    let mut broken: Option<Error> = None;
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
        let data = if let Some(e) = &broken {
            ChildData::Missing {
                size: f.size(),
                error: context(e.clone(), &what),
            }
        } else {
            let mut take = CrcTake {
                inner: &mut *reader,
                left: f.size(),
                crc: crc32fast::Hasher::new(),
                want: f.has_crc.then(|| u32::try_from(f.crc).unwrap_or(u32::MAX)),
                checked: false,
            };
            match cx.read_entry(&mut take, Some(f.size()), Some(packed)) {
                Ok(u) => u.into(),
                Err(e) => {
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
                    ChildData::Missing {
                        size: f.size(),
                        error: context(e, &what),
                    }
                }
            }
        };
        if !cx.child(f.name(), entry_info(true), data) {
            return Some(false);
        }
    }
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
}
