//! Nullsoft Scriptable Install System (NSIS) data: the first header, the
//! compressed header (the compiled script), and every stored file, unpacked
//! and named as `7zz x` names it.
//!
//! An NSIS installer is an exehead stub (a PE) followed, at a 512-byte
//! boundary, by the *first header* (`flags`, `EF BE AD DE "NullsoftInst"`,
//! header size, archive size) and the data. The PE module hands the overlay
//! to this handler; since makensis writes the data exactly at the end of the
//! stub's image, the sniff looks at the start of the node only.
//!
//! Behaviour:
//! - Methods: stored, zlib (raw deflate, NSIS 3), NSIS's bzip2 variant (our
//!   own decoder, `bzip2.rs`), LZMA (the LZMA SDK's decoder, `crate::lzma`,
//!   5-byte properties);
//!   solid and non-solid, detected as 7-Zip does from the first bytes.
//! - Solid: the one stream is decoded once, front to back; files are cut out
//!   of it in data order and hashed while they stream; a block shared by two
//!   `File` commands is decoded once and reported for both (read again from
//!   the bytes the engine kept, or, when it streamed them, the same stored
//!   bytes as the first file, [`Data::Copy`]).
//! - A pure parser ([`open`], the pull protocol of
//!   [`container`](crate::container)): the engine pulls the files,
//!   hashes them and applies every entry limit; when it stops pulling,
//!   nothing after is reported.
//! - Names: the `SetOutPath` prefix + `File` name, `$INSTDIR\` removed, `\`
//!   turned into `/` (7-Zip's `GetReducedName` + `WinPathToOsPath`), so
//!   `$PLUGINSDIR/System.dll`, `sub/dir/file.txt`.
//! - **The uninstaller is not a child.** 7-Zip rebuilds `uninstall.exe` from
//!   the exe stub (which precedes this node, outside its bytes) patched with
//!   the uninstaller's data blocks; we report its path in
//!   `metadata.uninstallers` instead (the reference test drops that one row
//!   of the 7-Zip listing for this documented reason).
//! - Damage: an archive cut short keeps every file decoded before the cut;
//!   the files after it are `Missing` children with a `truncated` error, and
//!   the node carries a `truncated` error naming the declared and present
//!   sizes. Every size and offset read from the data is checked; the LZMA
//!   dictionary is capped by the [`Limits`].
//! - Not supported: NSIS 2's modified deflate stored blocks (NSIS ≤ 2.x zlib
//!   installers may fail with a `malformed` error), the BCJ-filtered LZMA of
//!   7-Zip's own installers (`unsupported`), Jim Park's Unicode fork and
//!   "log" builds (shifted opcodes: names may be wrong), NSISBI (>2 GB).
//! - NSIS 1.x data (first header `EF BE AD DE "NullSoftInst"`, 32 bytes:
//!   flags 1 CRC / 2 uninstaller / 4 silent, then header length, header
//!   pointer and archive size; makensis 1.x `fileform.h`) is recognised,
//!   reported as version `1.x` with an `unsupported` error: its script and
//!   files are not decoded.
//! - The CRC: makensis stores a CRC-32 of the file from offset 512 (past
//!   the MZ/PE headers) to the end of the data, in the data's last 4 bytes,
//!   unless the first header's flags say `NO_CRC` (4) without `FORCE_CRC`
//!   (8). It covers the exehead, which precedes this node, so the PE module
//!   checks it with [`exehead_crc`] and records `nsis-crc32` (or a
//!   `checksum` error) on this node's entry.
//! - Damage to the first header never loses the format: the flags are not
//!   part of the sniff (unknown bits are an error), and data after an NSIS
//!   exehead whose signature was altered is opened with [`open_altered`]
//!   (format `nsis`, the altered bytes named in a `malformed` error).

mod bzip2;
mod decode;
mod script;

pub use script::{NsisExec, NsisRegValue, ScriptFacts};

use super::{le_u32, Handler, Metadata, Parsed};
use crate::container::{Container, Data, Decoded, End, Entry, Notes, Opened, Options};
use decode::Method;
use installsift_model::error::{context, Error};
use installsift_model::limits::Limits;
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Read};

/// `EF BE AD DE "NullsoftInst"`, at offset 4 of the first header.
pub const SIGNATURE: &[u8; 16] = b"\xEF\xBE\xAD\xDENullsoftInst";
/// NSIS 1.x's signature (`FH_INT2` was `Soft`, capital S).
pub const SIGNATURE_1X: &[u8; 16] = b"\xEF\xBE\xAD\xDENullSoftInst";
const FIRST_HEADER: usize = 28;
/// NSIS 1.x's first header: it also stores a header pointer.
const FIRST_HEADER_1X: usize = 32;
const COMPRESSED: u32 = 0x8000_0000;
/// The flags standard NSIS 2.x/3.x knows (`FH_FLAGS_MASK`).
const FLAGS_MASK: u32 = 0xF;
const FLAG_NO_CRC: u32 = 4;
const FLAG_FORCE_CRC: u32 = 8;
/// The CRC starts past the first 512 bytes of the file (the exehead's
/// MZ/PE headers, which signing tools change).
const CRC_START: usize = 512;

/// NSIS facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NsisInfo {
    /// Data format generation: `1.x` (first header `NullSoftInst`, not
    /// decoded) or `2.x-3.x`.
    pub format_version: String,
    /// First-header flags (1 uninstaller data, 2 silent, 4 no CRC, 8 force CRC).
    pub flags: u32,
    /// This is an uninstaller's data (flag 1), not an installer's.
    pub uninstaller_data: bool,
    /// Size of the decompressed header (the compiled script).
    pub header_size: u32,
    /// Archive size the first header declares (first header + data + CRC).
    pub archive_size: u32,
    /// `zlib`, `bzip2`, `lzma` or `stored`.
    pub compression: String,
    /// One compressed stream for header and all files.
    pub solid: bool,
    /// LZMA dictionary size declared by the (first) stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lzma_dictionary: Option<u32>,
    /// Files listed (uninstallers excluded).
    pub files: u64,
    /// DLLs extracted to `$PLUGINSDIR` (plugins), by file name (the first 1,024).
    pub plugins: Vec<String>,
    /// Facts from the header and the compiled script.
    #[serde(flatten)]
    pub script: ScriptFacts,
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "nsis",
    format: Format::Nsis,
    sniff,
    open,
};

/// The NSIS first header starts the data: the 16-byte signature at 4 (of
/// NSIS 2.x/3.x or of 1.x). The flags are not checked here: a header whose
/// flags were damaged is still NSIS, and says so in an error.
pub fn sniff(data: &[u8]) -> bool {
    match data.get(4..20) {
        Some(s) => s == SIGNATURE || s == SIGNATURE_1X,
        // Data that ends inside the signature (an installer cut there): at
        // least `EF BE AD DE` after the flags, the rest a prefix of it. Still
        // NSIS; the parser says where it was cut.
        None => data.get(4..).is_some_and(|t| {
            t.len() >= 4 && (SIGNATURE.starts_with(t) || SIGNATURE_1X.starts_with(t))
        }),
    }
}

/// Check NSIS's own CRC-32 of an installer whose first header lies at
/// `at` in `file` (the whole exe): CRC-32 of `file[512..at + archive - 4]`
/// against the 4 bytes stored there (makensis `CEXEBuild::write_output`,
/// exehead `loadHeaders`). `None` when the header declares no CRC, or the
/// data is not all there (the NSIS parser reports the truncation); `Err`
/// is the mismatch.
pub(crate) fn exehead_crc(file: &[u8], at: usize) -> Option<Result<u32, Error>> {
    let data = file.get(at..)?;
    if data.get(4..20)? != SIGNATURE || at < CRC_START {
        return None;
    }
    let flags = le_u32(data, 0)?;
    if flags & !FLAGS_MASK != 0 || (flags & FLAG_NO_CRC != 0 && flags & FLAG_FORCE_CRC == 0) {
        return None;
    }
    let arc = usize::try_from(le_u32(data, 24)?).ok()?;
    let end = at.checked_add(arc)?.checked_sub(4)?;
    if arc < FIRST_HEADER + 4 || end.checked_add(4)? > file.len() {
        return None;
    }
    let stored = le_u32(file, end)?;
    let got = crc32fast::hash(file.get(CRC_START..end)?);
    Some(if got == stored {
        Ok(got)
    } else {
        Err(Error::checksum(format!(
            "NSIS CRC-32 of file bytes {CRC_START:#x}..{end:#x} is {got:#010x}, the installer stores {stored:#010x}"
        )))
    })
}

fn is_lzma(p: &[u8]) -> bool {
    matches!(p, [0x5D, 0, 0, _, _, 0, b6, ..] if b6 & 0x80 == 0)
}

/// LZMA, possibly behind 7-Zip's filter flag byte: (is lzma, has flag).
fn lzma_at(p: &[u8]) -> Option<bool> {
    if is_lzma(p) {
        Some(false)
    } else if p.first().is_some_and(|&f| f <= 1) && is_lzma(p.get(1..).unwrap_or(&[])) {
        Some(true)
    } else {
        None
    }
}

fn is_bzip2(p: &[u8]) -> bool {
    matches!(p, [0x31, b, ..] if *b < 14)
}

/// Method, solid, filter flag, from the bytes after the first header.
fn detect(body: &[u8], header_size: u32) -> (Method, bool, bool) {
    if le_u32(body, 0) == Some(header_size) {
        return (Method::Copy, false, false);
    }
    if let Some(flag) = lzma_at(body) {
        return (Method::Lzma, true, flag);
    }
    // Non-solid data starts with the header block's length word (bit 31:
    // compressed); a solid raw-deflate stream whose 4th byte happens to be
    // 0x80 (1 in 256, and 7-Zip then fails to open it) declares a block
    // longer than the data.
    let block_fits = le_u32(body, 0)
        .is_some_and(|c| u64::from(c & !COMPRESSED) <= body.len().saturating_sub(4) as u64);
    if body.get(3) == Some(&0x80) && block_fits {
        let rest = body.get(4..).unwrap_or(&[]);
        if let Some(flag) = lzma_at(rest) {
            return (Method::Lzma, false, flag);
        }
        if is_bzip2(rest) {
            return (Method::Bzip2, false, false);
        }
        return (Method::Deflate, false, false);
    }
    if is_bzip2(body) {
        return (Method::Bzip2, true, false);
    }
    (Method::Deflate, true, false)
}

/// Counts what passes through.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// Read exactly `n` bytes (growing the buffer as bytes arrive, never from
/// the declared count alone).
fn read_n(r: &mut dyn Read, n: u64, what: &str) -> Result<Vec<u8>, Error> {
    let mut v = Vec::new();
    r.take(n).read_to_end(&mut v).map_err(|e| {
        context(
            installsift_model::error::io_to_error(&e, v.len() as u64),
            what,
        )
    })?;
    if (v.len() as u64) < n {
        return Err(Error::truncated(format!(
            "{what}: {n} bytes declared, stream ends after {}",
            v.len()
        )));
    }
    Ok(v)
}

/// Read to the end of `r`, at most `max` bytes (a header whose declared
/// size was damaged).
fn read_n_max(r: &mut dyn Read, max: u64, what: &str) -> Result<Vec<u8>, Error> {
    let mut v = Vec::new();
    r.take(max.saturating_add(1))
        .read_to_end(&mut v)
        .map_err(|e| {
            context(
                installsift_model::error::io_to_error(&e, v.len() as u64),
                what,
            )
        })?;
    if v.len() as u64 > max {
        return Err(Error::limit(
            installsift_model::limits::Limit::MaxEntrySize,
            format!("{what}: more than {max} bytes"),
        ));
    }
    Ok(v)
}

fn skip(r: &mut dyn Read, n: u64) -> Result<(), Error> {
    let done = io::copy(&mut r.take(n), &mut io::sink())
        .map_err(|e| installsift_model::error::io_to_error(&e, 0))?;
    if done < n {
        return Err(Error::truncated(format!(
            "solid stream ends {} bytes before the next file",
            n - done
        )));
    }
    Ok(())
}

/// Open NSIS data: the first header and the compressed header (the script)
/// are read here; the files are decoded as the engine pulls them.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let mut info = NsisInfo::default();
    if data.get(4..20) == Some(&SIGNATURE_1X[..]) {
        read_1x(data, &mut info, notes);
        return leaf(info);
    }
    read(data, info, opts.limits, notes)
}

/// Open the data that follows an NSIS exehead (a PE with the `.ndata`
/// section) when it does not start with a first header: its signature was
/// altered (as some malware does to defeat unpackers) or damaged. The
/// fields are read where the first header keeps them, so data whose only
/// damage is the signature is still listed.
pub(crate) fn open_altered<'a>(
    data: &'a [u8],
    opts: &Options<'_>,
    notes: &mut Notes,
) -> Opened<'a> {
    let shown: String = data
        .get(4..20)
        .unwrap_or(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    notes.error(Error::malformed(format!(
        "data after an NSIS exehead without an NSIS first header: bytes 4..20 are {shown}, \
         not EF BE AD DE \"NullsoftInst\" (altered or damaged); read as one anyway"
    )));
    notes.evidence(Evidence::strong(
        "nsis-exehead-data",
        "data appended to an NSIS exehead (section `.ndata`), where its first header belongs",
        Some(0),
    ));
    read(data, NsisInfo::default(), opts.limits, notes)
}

fn parsed(info: NsisInfo) -> Parsed {
    Parsed {
        format: Format::Nsis,
        metadata: Some(Metadata::Nsis(Box::new(info))),
    }
}

fn leaf<'a>(info: NsisInfo) -> Opened<'a> {
    Opened::Leaf(parsed(info))
}

/// NSIS 1.x data: recognised and described, not decoded.
fn read_1x(data: &[u8], info: &mut NsisInfo, notes: &mut Notes) {
    let flags = le_u32(data, 0).unwrap_or(0);
    let header_size = le_u32(data, 20).unwrap_or(0);
    let arc_size = le_u32(data, 28).unwrap_or(0);
    info.format_version = "1.x".into();
    info.flags = flags;
    info.uninstaller_data = flags & 2 != 0;
    info.header_size = header_size;
    info.archive_size = arc_size;
    notes.evidence(Evidence::strong(
        "nsis-first-header",
        format!(
            "NSIS 1.x first header: flags {flags:#x}, signature EF BE AD DE \"NullSoftInst\", \
             header {header_size} bytes, archive {arc_size} bytes"
        ),
        Some(0),
    ));
    if data.len() < FIRST_HEADER_1X {
        notes.error(
            Error::truncated(format!(
                "NSIS 1.x first header cut at {} of {FIRST_HEADER_1X} bytes",
                data.len()
            ))
            .at(data.len() as u64),
        );
    } else if arc_size as usize > data.len() {
        notes.error(Error::truncated(format!(
            "NSIS archive declares {arc_size} bytes, only {} present",
            data.len()
        )));
    }
    notes.error(Error::unsupported(
        "NSIS 1.x data (first header `NullSoftInst`): its script and files are not decoded",
    ));
}

/// The first header and the script; a container over the files, or a leaf
/// when none can be listed.
fn read<'a>(data: &'a [u8], mut info: NsisInfo, limits: &Limits, notes: &mut Notes) -> Opened<'a> {
    let flags = le_u32(data, 0).unwrap_or(0);
    let header_size = le_u32(data, 20).unwrap_or(0);
    let arc_size = le_u32(data, 24).unwrap_or(0);
    info.format_version = "2.x-3.x".into();
    info.flags = flags;
    // Flag 1 says "uninstaller" only when the flags are NSIS's at all.
    info.uninstaller_data = flags & 1 != 0 && flags & !FLAGS_MASK == 0;
    info.header_size = header_size;
    info.archive_size = arc_size;
    if data.len() < FIRST_HEADER {
        // Only what was read is evidence: the start of the signature.
        notes.evidence(Evidence::weak(
            "nsis-first-header",
            format!(
                "the start of an NSIS first header (flags, then {} of the 16 signature bytes); the rest is cut",
                data.len().saturating_sub(4).min(16)
            ),
            Some(0),
        ));
        notes.error(
            Error::truncated(format!(
                "NSIS first header cut at {} of {FIRST_HEADER} bytes",
                data.len()
            ))
            .at(data.len() as u64),
        );
        return leaf(info);
    }
    notes.evidence(Evidence::strong(
        "nsis-first-header",
        format!(
            "NSIS first header: flags {flags:#x}, signature EF BE AD DE \"NullsoftInst\", \
             header {header_size} bytes, archive {arc_size} bytes"
        ),
        Some(0),
    ));
    if flags & !FLAGS_MASK != 0 {
        notes.error(Error::malformed(format!(
            "first header flags {flags:#x} set bits outside NSIS's mask {FLAGS_MASK:#x}: \
             damaged, altered or a non-standard build"
        )));
    }
    let arc_bad = (arc_size as usize) <= FIRST_HEADER;
    if arc_bad || header_size == 0 {
        // Damaged sizes: read on with what the data itself says (the
        // end of the node; the header's size from its own stream).
        notes.error(Error::malformed(format!(
            "NSIS first header declares archive size {arc_size} and header size {header_size}; \
             read with the sizes the data itself gives"
        )));
    }
    let arc_size = if arc_bad {
        u32::try_from(data.len()).unwrap_or(u32::MAX)
    } else {
        arc_size
    };
    // `None`: the first header's value is unusable; take the stream's.
    let want_header = (header_size != 0).then_some(header_size);
    let truncated = arc_size as usize > data.len();
    if truncated {
        notes.error(Error::truncated(format!(
            "NSIS archive declares {arc_size} bytes, only {} present",
            data.len()
        )));
    }
    let has_crc = flags & 8 != 0 || flags & 4 == 0;
    let end = (arc_size as usize)
        .saturating_sub(if has_crc { 4 } else { 0 })
        .min(data.len());
    let body = data.get(FIRST_HEADER..end).unwrap_or(&[]);
    if body.len() < 12 {
        notes.error(Error::truncated(
            "NSIS data ends right after the first header",
        ));
        return leaf(info);
    }
    let (method, solid, filter) = detect(body, header_size);
    info.compression = method.as_str().into();
    info.solid = solid;
    if method == Method::Lzma {
        let at = usize::from(!solid) * 4 + usize::from(filter) + 1;
        info.lzma_dictionary = le_u32(body, at);
    }
    let fix = |e: Error| fix(truncated, e);
    let header_cap = want_header.map_or(limits.max_entry_size, u64::from);
    if u64::from(header_size) > limits.max_entry_size {
        notes.error(Error::limit(
            installsift_model::limits::Limit::MaxEntrySize,
            format!("NSIS header declares {header_size} bytes"),
        ));
        return leaf(info);
    }
    let (items, body) = if solid {
        let mut r = match decode::reader(method, body, filter, limits.max_total_unpacked) {
            Ok(r) => Counting { inner: r, n: 0 },
            Err(e) => {
                notes.error(fix(context(e, "NSIS solid stream")));
                return leaf(info);
            }
        };
        let header = read_n(&mut r, 4, "NSIS header size").and_then(|v| {
            let n = le_u32(&v, 0).unwrap_or(0);
            if want_header.is_some_and(|h| h != n) {
                return Err(Error::malformed(format!(
                    "solid stream starts with header size {n}, first header says {header_size}"
                )));
            }
            if u64::from(n) > limits.max_entry_size {
                return Err(Error::limit(
                    installsift_model::limits::Limit::MaxEntrySize,
                    format!("NSIS solid stream declares a {n}-byte header"),
                ));
            }
            read_n(&mut r, u64::from(n), "NSIS header")
        });
        let header = match header {
            Ok(h) => h,
            Err(e) => {
                notes.error(fix(e));
                return leaf(info);
            }
        };
        let Some(items) = parse_script(&header, &mut info, limits, notes) else {
            return leaf(info);
        };
        // Stream offset of data position 0: just after the length word
        // and the header.
        let base = r.n;
        (
            items,
            Body::Solid(Solid {
                r,
                base,
                max_unpacked: limits.max_total_unpacked,
                last: None,
                reading: None,
            }),
        )
    } else {
        let c = le_u32(body, 0).unwrap_or(0);
        let hsize = c & !COMPRESSED;
        let Some(block) = body.get(4..).map(|b| b.get(..hsize as usize).unwrap_or(b)) else {
            return leaf(info);
        };
        let read_header = |r: &mut dyn Read| match want_header {
            Some(h) => read_n(r, u64::from(h), "NSIS header"),
            None => read_n_max(r, header_cap, "NSIS header"),
        };
        let header = if c & COMPRESSED != 0 {
            decode::reader(method, block, filter, limits.max_entry_size)
                .and_then(|mut r| read_header(&mut r))
        } else {
            read_header(&mut { block })
        };
        let header = match header {
            Ok(h) => h,
            Err(e) => {
                notes.error(fix(e));
                return leaf(info);
            }
        };
        let Some(items) = parse_script(&header, &mut info, limits, notes) else {
            return leaf(info);
        };
        (
            items,
            Body::Plain(Plain {
                arc: data.get(..end).unwrap_or(data),
                data_start: FIRST_HEADER + 4 + hsize as usize,
                filter,
                max_entry: limits.max_entry_size,
                damaged: false,
                reading: None,
                blocks: HashMap::new(),
            }),
        )
    };
    Opened::Container(Box::new(Walk {
        info,
        items,
        next: 0,
        method,
        truncated,
        pulled: 0,
        rest: None,
        body,
    }))
}

/// In an archive cut short, a `malformed` decoding error is the cut.
fn fix(truncated: bool, e: Error) -> Error {
    match e {
        Error::Malformed { message, offset } if truncated => Error::Truncated { message, offset },
        e => e,
    }
}

/// Plugin DLLs named in `NsisInfo::plugins` (real installers carry tens).
const MAX_PLUGINS: usize = 1024;

fn parse_script(
    header: &[u8],
    info: &mut NsisInfo,
    limits: &Limits,
    notes: &mut Notes,
) -> Option<Vec<script::Item>> {
    let max = limits.max_entries_per_container;
    match script::parse(header, max, limits.max_script_chars) {
        Ok(s) => {
            info.script = s.facts;
            for e in s.errors {
                notes.error(e);
            }
            info.files = s.items.iter().filter(|i| !i.uninstaller).count() as u64;
            let mut seen = std::collections::HashSet::new();
            for i in &s.items {
                let lower = i.name.to_ascii_lowercase();
                if lower.starts_with("$pluginsdir\\") && lower.ends_with(".dll") {
                    let file = i.name.rsplit('\\').next().unwrap_or(&i.name);
                    if info.plugins.len() < MAX_PLUGINS && seen.insert(file) {
                        info.plugins.push(file.to_owned());
                    }
                }
            }
            Some(s.items)
        }
        Err(e) => {
            notes.error(e);
            None
        }
    }
}

fn entry(method: Method) -> EntryInfo {
    let mut e = EntryInfo::new(EntryKind::File);
    e.method = Some(method.as_str().into());
    e
}

fn os_name(name: &str) -> String {
    name.replace('\\', "/")
}

/// The child name of an item: its path; for an uninstaller, the path +
/// `.nsis` for its own NSIS data (what 7-Zip writes when it has no stub to
/// rebuild the exe from); `None` for an uninstaller without a patch block
/// (NSIS 3.08+), which 7-Zip cannot rebuild either.
fn child_name(it: &script::Item) -> Option<String> {
    match (it.uninstaller, it.patch_size) {
        (false, _) => Some(os_name(&it.name)),
        (true, 0) => None,
        (true, _) => Some(format!("{}.nsis", os_name(&it.name))),
    }
}

/// The files of NSIS data, handed over in script order as the engine pulls
/// them.
struct Walk<'a> {
    info: NsisInfo,
    items: Vec<script::Item>,
    /// The next item.
    next: usize,
    method: Method,
    /// The archive is shorter than its first header says.
    truncated: bool,
    /// Entries handed over so far (the index of the next one).
    pulled: usize,
    /// Set after damage: the items from `next` on are missing, for this.
    rest: Option<Error>,
    body: Body<'a>,
}

/// Where the files' data is.
enum Body<'a> {
    /// One compressed stream: header, then every data block.
    Solid(Solid<'a>),
    /// Data blocks compressed one by one, after the header block.
    Plain(Plain<'a>),
}

/// The solid stream, decoded once, front to back.
struct Solid<'a> {
    r: Counting<Box<dyn Read + 'a>>,
    /// Stream offset of data position 0.
    base: u64,
    /// Decoding bound (bytes decoded to be skipped count too).
    max_unpacked: u64,
    /// A block shared by the previous file and the next one(s).
    last: Option<Shared>,
    /// The block the engine is reading.
    reading: Option<SolidRead>,
}

/// A data block read once for several `File` commands.
struct Shared {
    /// Its data position.
    pos: u32,
    /// The entry it was read for.
    of: usize,
    /// Its bytes when the engine kept them whole (else it was streamed).
    bytes: Option<Vec<u8>>,
    /// The last file sharing it has been handed over.
    done: bool,
}

/// A solid block being read.
struct SolidRead {
    name: String,
    size: u32,
    /// Stream offset of its first byte.
    start: u64,
    pos: u32,
    /// Entry index.
    index: usize,
    /// The next file shares the block: keep what was read.
    keep: bool,
}

/// Non-solid data: each block on its own.
struct Plain<'a> {
    arc: &'a [u8],
    data_start: usize,
    filter: bool,
    max_entry: u64,
    /// The node carries a damage error already (one is enough).
    damaged: bool,
    /// The block the engine is reading: (name, cut short, bytes present,
    /// stored size).
    reading: Option<(String, bool, usize, u32)>,
    /// Data position (and whether the uninstaller's) of each block handed
    /// over → its entry index: items naming one block again (thousands of
    /// them can name one compressed block) are copies of the first, not
    /// decoded again.
    blocks: HashMap<(u32, bool), FirstRead>,
}

/// The first entry read from a non-solid block: its index, offset and
/// compressed size (repeated on its copies).
type FirstRead = (usize, Option<u64>, Option<u64>);

/// What [`Walk::step`] decided.
enum Step<'a> {
    /// An entry that borrows nothing of the walk.
    Ready(Entry<'a>),
    /// The solid block of this size, from the stream.
    Solid {
        name: String,
        info: EntryInfo,
        size: u32,
    },
    /// The shared block's kept bytes again.
    Again { name: String, info: EntryInfo },
}

impl Container for Walk<'_> {
    fn next_entry(&mut self, notes: &mut Notes) -> Option<Entry<'_>> {
        let mut step = self.step(notes)?;
        self.pulled += 1;
        // `step` took the item before `self.next`.
        let mtime = self
            .next
            .checked_sub(1)
            .and_then(|k| self.items.get(k))
            .and_then(|it| it.mtime);
        match &mut step {
            Step::Ready(e) => e.info.mtime = mtime,
            Step::Solid { info, .. } | Step::Again { info, .. } => info.mtime = mtime,
        }
        let Body::Solid(s) = &mut self.body else {
            return match step {
                Step::Ready(e) => Some(e),
                _ => None,
            };
        };
        Some(match step {
            Step::Ready(e) => e,
            Step::Solid { name, info, size } => Entry {
                name,
                info,
                data: Data::Decode {
                    reader: Box::new((&mut s.r).take(u64::from(size))),
                    declared: Some(u64::from(size)),
                    stored: None,
                },
            },
            Step::Again { name, info } => {
                let bytes = s.last.as_ref().and_then(|l| l.bytes.as_deref())?;
                Entry {
                    name,
                    info,
                    data: Data::Decode {
                        reader: Box::new(bytes),
                        declared: Some(bytes.len() as u64),
                        stored: None,
                    },
                }
            }
        })
    }

    fn entry_read(
        &mut self,
        read: Result<Decoded<'_>, &mut Error>,
        _info: &mut EntryInfo,
        notes: &mut Notes,
    ) {
        let truncated = self.truncated;
        match &mut self.body {
            Body::Solid(s) => {
                let Some(rd) = s.reading.take() else {
                    return;
                };
                match read {
                    Ok(d) => {
                        if rd.keep {
                            s.last = Some(Shared {
                                pos: rd.pos,
                                of: rd.index,
                                bytes: d.whole.map(<[u8]>::to_vec),
                                done: false,
                            });
                        }
                    }
                    Err(e @ Error::LimitExceeded { .. }) => {
                        *e = context(e.clone(), &rd.name);
                        // The rest of the block, to the next one.
                        let rest = u64::from(rd.size).saturating_sub(s.r.n - rd.start);
                        if let Err(e) = skip(&mut s.r, rest) {
                            let e = fix(truncated, e);
                            notes.error(e.clone());
                            self.rest = Some(e);
                        }
                    }
                    Err(e) => {
                        let e2 = fix(truncated, context(e.clone(), &rd.name));
                        notes.error(e2.clone());
                        *e = e2.clone();
                        self.rest = Some(e2);
                    }
                }
            }
            Body::Plain(p) => {
                let Some((name, short, avail, size)) = p.reading.take() else {
                    return;
                };
                if let Err(e) = read {
                    let mapped = plain_error(truncated, &name, short, avail, size, e.clone());
                    if !p.damaged && !matches!(mapped, Error::LimitExceeded { .. }) {
                        notes.error(mapped.clone());
                        p.damaged = true;
                    }
                    *e = mapped;
                }
            }
        }
    }

    fn failed_size(&self, declared: Option<u64>, _stored: Option<u64>) -> u64 {
        // A non-solid block declares only its compressed size.
        declared.unwrap_or(0)
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        parsed(self.info)
    }
}

/// The error of a non-solid block that failed to decode.
fn plain_error(
    truncated: bool,
    name: &str,
    short: bool,
    avail: usize,
    size: u32,
    e: Error,
) -> Error {
    if short {
        Error::truncated(format!(
            "block of `{name}` cut short ({avail} of {size} bytes): {e}"
        ))
    } else {
        fix(truncated, context(e, name))
    }
}

impl<'a> Walk<'a> {
    /// Decide the next entry (owned data, so the borrowing reader can be
    /// made afterwards, unconditionally).
    fn step(&mut self, notes: &mut Notes) -> Option<Step<'a>> {
        loop {
            if let Some(error) = &self.rest {
                // After damage: every item left (those without a name
                // excepted) is missing.
                let it = self.items.get(self.next)?;
                self.next += 1;
                let Some(name) = child_name(it) else { continue };
                let e = match error {
                    Error::Truncated { .. } => Error::truncated(format!("not read: {error}")),
                    other => context(other.clone(), "not read after damage"),
                };
                return Some(Step::Ready(missing(name, self.method, 0, e)));
            }
            let k = self.next;
            let it = self.items.get(k)?;
            self.next += 1;
            let Some(name) = child_name(it) else { continue };
            let method = self.method;
            if it.empty {
                return Some(Step::Ready(Entry {
                    name,
                    info: entry(method),
                    data: Data::Slice(&[]),
                }));
            }
            match &mut self.body {
                Body::Solid(s) => {
                    let next_same = self
                        .items
                        .get(k + 1..)
                        .unwrap_or(&[])
                        .iter()
                        .find(|n| child_name(n).is_some())
                        .is_some_and(|n| {
                            n.pos == it.pos && !n.empty && !n.uninstaller && !it.uninstaller
                        });
                    if s.last.as_ref().is_some_and(|l| l.done) {
                        s.last = None;
                    }
                    if let Some(l) = s.last.as_mut().filter(|l| l.pos == it.pos) {
                        l.done = !next_same;
                        s.reading = None;
                        let info = entry(method);
                        if l.bytes.is_some() {
                            return Some(Step::Again { name, info });
                        }
                        // Streamed (not kept whole): the same bytes as
                        // that entry, its hashes repeated.
                        let mut info = info;
                        info.streamed = true;
                        return Some(Step::Ready(Entry {
                            name,
                            info,
                            data: Data::Copy { of: l.of },
                        }));
                    }
                    s.last = None;
                    // Stream offset of this block's length word.
                    let target = s.base + u64::from(it.pos);
                    if target < s.r.n {
                        let e = Error::malformed(format!(
                            "data position {} lies before the current solid position",
                            it.pos
                        ));
                        return Some(Step::Ready(missing(name, method, 0, e)));
                    }
                    if s.r.n > s.max_unpacked {
                        let e = Error::limit(
                            installsift_model::limits::Limit::MaxTotalUnpacked,
                            format!("solid stream decoded {} bytes", s.r.n),
                        );
                        notes.error(e.clone());
                        self.rest = Some(e);
                        self.next = k;
                        continue;
                    }
                    let r = &mut s.r;
                    let gap = target - r.n;
                    let mut step = skip(r, gap)
                        .and_then(|()| read_n(r, 4, "NSIS data block length"))
                        .map(|v| le_u32(&v, 0).unwrap_or(0));
                    if it.uninstaller {
                        // The stub patch block, then the uninstaller's own
                        // NSIS data.
                        step = step.and_then(|patch| {
                            skip(r, u64::from(patch))?;
                            read_n(r, 4, "NSIS data block length")
                                .map(|v| le_u32(&v, 0).unwrap_or(0))
                        });
                    }
                    let size = match step {
                        Ok(s) => s,
                        Err(e) => {
                            let e = fix(self.truncated, context(e, &format!("before `{name}`")));
                            notes.error(e.clone());
                            self.rest = Some(e);
                            self.next = k;
                            continue;
                        }
                    };
                    s.reading = Some(SolidRead {
                        name: name.clone(),
                        size,
                        start: s.r.n,
                        pos: it.pos,
                        index: self.pulled,
                        keep: next_same,
                    });
                    return Some(Step::Solid {
                        name,
                        info: entry(method),
                        size,
                    });
                }
                Body::Plain(p) => {
                    let key = (it.pos, it.uninstaller);
                    if let Some(&(of, offset, compressed)) = p.blocks.get(&key) {
                        let mut info = entry(method);
                        (info.offset, info.compressed_size) = (offset, compressed);
                        return Some(Step::Ready(Entry {
                            name,
                            info,
                            data: Data::Copy { of },
                        }));
                    }
                    let e = p.block(it, name, method, self.truncated, notes);
                    p.blocks
                        .insert(key, (self.pulled, e.info.offset, e.info.compressed_size));
                    return Some(Step::Ready(e));
                }
            }
        }
    }
}

impl<'a> Plain<'a> {
    /// The entry of a non-solid item's block.
    fn block(
        &mut self,
        it: &script::Item,
        name: String,
        method: Method,
        truncated: bool,
        notes: &mut Notes,
    ) -> Entry<'a> {
        let arc = self.arc;
        let mut at = self.data_start.saturating_add(it.pos as usize);
        if it.uninstaller {
            // Skip the stub patch block to the uninstaller's own NSIS data.
            if let Some(patch) = le_u32(arc, at) {
                at = at
                    .saturating_add(4)
                    .saturating_add((patch & !COMPRESSED) as usize);
            }
        }
        let Some(word) = le_u32(arc, at) else {
            let e = Error::truncated(format!(
                "data block of `{name}` at offset {at} lies past the end ({} bytes)",
                arc.len()
            ))
            .at(at as u64);
            self.damage(&e, notes);
            return missing(name, method, 0, e);
        };
        let size = word & !COMPRESSED;
        let from = at + 4;
        let to = from.saturating_add(size as usize);
        let avail = arc.get(from..to.min(arc.len())).unwrap_or(&[]);
        let mut info = entry(if word & COMPRESSED != 0 {
            method
        } else {
            Method::Copy
        });
        info.offset = Some(at as u64);
        info.compressed_size = Some(u64::from(size));
        let short = to > arc.len();
        if word & COMPRESSED == 0 {
            let data = if short {
                let e = Error::truncated(format!(
                    "stored block of `{name}`: {size} bytes at offset {from}, {} present",
                    avail.len()
                ))
                .at(from as u64);
                self.damage(&e, notes);
                Data::Missing {
                    size: u64::from(size),
                    error: e,
                }
            } else {
                Data::Slice(avail)
            };
            return Entry { name, info, data };
        }
        match decode::reader(method, avail, self.filter, self.max_entry) {
            Ok(reader) => {
                self.reading = Some((name.clone(), short, avail.len(), size));
                Entry {
                    name,
                    info,
                    data: Data::Decode {
                        reader,
                        declared: None,
                        stored: Some(u64::from(size)),
                    },
                }
            }
            Err(e) => {
                let e = plain_error(truncated, &name, short, avail.len(), size, e);
                if !matches!(e, Error::LimitExceeded { .. }) {
                    self.damage(&e, notes);
                }
                Entry {
                    name,
                    info,
                    data: Data::Missing { size: 0, error: e },
                }
            }
        }
    }

    /// The first damage is said on the node too.
    fn damage(&mut self, e: &Error, notes: &mut Notes) {
        if !self.damaged {
            notes.error(e.clone());
            self.damaged = true;
        }
    }
}

/// An entry without content.
fn missing<'a>(name: String, method: Method, size: u64, error: Error) -> Entry<'a> {
    Entry {
        name,
        info: entry(method),
        data: Data::Missing { size, error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_needs_the_signature_not_the_flags() {
        let mut d = vec![0u8; 28];
        d[4..20].copy_from_slice(SIGNATURE);
        assert!(sniff(&d));
        // Damaged flags are still NSIS (the parser reports them).
        d[0] = 0x10;
        assert!(sniff(&d));
        // Cut inside the signature: still NSIS from `EF BE AD DE` on.
        assert!(sniff(&d[..10]));
        assert!(!sniff(&d[..7]));
        let mut other = d[..12].to_vec();
        other[9] ^= 1;
        assert!(
            !sniff(&other),
            "a cut signature must still match as far as it goes"
        );
        d[4..20].copy_from_slice(SIGNATURE_1X);
        assert!(sniff(&d), "NSIS 1.x");
        d[10] ^= 0x20;
        assert!(!sniff(&d));
    }

    /// The NSIS data of a corpus sample (from its first header on).
    fn nsis_data(rel: &str) -> Option<Vec<u8>> {
        let file = crate::test_support::sample(rel)?;
        let at = (0..file.len() / 512)
            .map(|k| k * 512)
            .find(|&o| sniff(&file[o..]))?;
        Some(file[at..].to_vec())
    }

    #[test]
    fn listing_without_the_engine() {
        use crate::container::{list, Listed};
        let limits = installsift_model::Limits::default();
        for rel in ["nsis/lzma_solid.exe", "nsis/zlib.exe"] {
            let Some(d) = nsis_data(rel) else { return };
            let l = list(open, &d, &limits, usize::MAX);
            assert!(l.notes.errors.is_empty(), "{rel}: {:?}", l.notes.errors);
            assert_eq!(l.entries.len(), 44, "{rel}");
            let whole = |data: &Listed| match data {
                Listed::Decoded(Ok(b)) => Some(b.clone()),
                Listed::Slice { at, len } => Some(d[*at..*at + *len].to_vec()),
                _ => None,
            };
            let bytes = |name: &str| {
                let e = l.entries.iter().find(|e| e.0 == name).expect(name);
                match &e.2 {
                    Listed::Copy(of) => whole(&l.entries[*of].2),
                    other => whole(other),
                }
                .unwrap_or_else(|| panic!("{rel}: {name}: {:?}", e.2))
            };
            for (name, info, data) in &l.entries {
                assert!(
                    matches!(
                        data,
                        Listed::Decoded(Ok(_)) | Listed::Slice { .. } | Listed::Copy(_)
                    ),
                    "{rel}: {name}: {data:?}"
                );
                // NSIS's one CRC covers the exehead too: the PE checks it.
                assert!(info.verified_by.is_empty() && info.errors.is_empty());
            }
            assert_eq!(bytes("readme.txt").len(), 322);
            // One data block for two `File` commands: decoded once (the
            // second is a copy, or in a solid stream the kept bytes again).
            assert_eq!(bytes("readme.txt"), bytes("readme-copy.txt"), "{rel}");
            assert_eq!(bytes("$PLUGINSDIR/System.dll").len(), 29696);
            let Some(Metadata::Nsis(info)) = &l.parsed.metadata else {
                panic!("nsis metadata")
            };
            assert_eq!(info.solid, rel.contains("solid"));
            assert_eq!(info.files, 43);
            // Stopped by the engine after three entries: nothing reported
            // missing or cut short.
            let l = list(open, &d, &limits, 3);
            assert_eq!(l.entries.len(), 3);
            assert!(l.notes.errors.is_empty(), "{rel}: {:?}", l.notes.errors);
            // Cut in the middle: what was decoded is kept, the rest is
            // missing, and the node says where it was cut.
            let cut = &d[..d.len() / 2];
            let l = list(open, cut, &limits, usize::MAX);
            assert!(
                l.notes.errors.iter().any(|e| e.kind() == "truncated"),
                "{rel}: {:?}",
                l.notes.errors
            );
            let got = l
                .entries
                .iter()
                .filter(|e| matches!(e.2, Listed::Decoded(Ok(_)) | Listed::Slice { .. }))
                .count();
            assert!(got > 0 && got < 44, "{rel}: {got}");
            let l2 = list(open, cut, &limits, 2);
            assert_eq!(l2.entries.len(), 2);
            assert!(
                l2.notes
                    .errors
                    .iter()
                    .all(|e| !e.to_string().contains("not read")),
                "{:?}",
                l2.notes.errors
            );
        }
    }

    /// A block shared by two files that the engine did not keep whole (it
    /// streamed it: over 1 MiB and no container): the second file is the
    /// same stored bytes as the first ([`Data::Copy`], its hashes
    /// repeated), nothing decoded twice; kept whole, it is read again from
    /// the kept bytes.
    #[test]
    fn a_shared_block_streamed_is_a_copy_of_the_first() {
        use std::io::Read as _;
        let Some(d) = nsis_data("nsis/lzma_solid.exe") else {
            return;
        };
        let limits = installsift_model::Limits::default();
        let mut c = match open(
            &d,
            &Options {
                limits: &limits,
                hashes: installsift_model::HashSelection::SHA256,
                name: "",
                passwords: &[],
                read_ahead: false,
            },
            &mut Notes::default(),
        ) {
            Opened::Container(c) => c,
            Opened::Leaf(_) => panic!("a container"),
        };
        fn drain(data: Data<'_>) -> Option<Vec<u8>> {
            let Data::Decode { mut reader, .. } = data else {
                return None;
            };
            let mut out = Vec::new();
            reader.read_to_end(&mut out).ok()?;
            Some(out)
        }
        let mut n = Notes::default();
        let mut names = Vec::new();
        let mut copies = Vec::new();
        loop {
            let Some(Entry {
                name,
                mut info,
                data,
            }) = c.next_entry(&mut n)
            else {
                break;
            };
            match data {
                Data::Copy { of } => {
                    assert!(info.streamed);
                    copies.push((name.clone(), of));
                }
                other => {
                    if let Some(out) = drain(other) {
                        // As the engine says of an entry it streamed.
                        let h = installsift_model::hash::hash_bytes(
                            installsift_model::HashSelection::SHA256,
                            &out,
                        );
                        let r = Decoded {
                            size: out.len() as u64,
                            whole: None,
                            hashes: &h,
                        };
                        c.entry_read(Ok(r), &mut info, &mut n);
                    }
                }
            }
            names.push(name);
        }
        assert!(n.errors.is_empty(), "{:?}", n.errors);
        assert_eq!(copies.len(), 1, "{copies:?}");
        let (copy, of) = &copies[0];
        let mut pair = [copy.as_str(), names[*of].as_str()];
        pair.sort_unstable();
        assert_eq!(pair, ["readme-copy.txt", "readme.txt"]);
    }

    #[test]
    fn method_detection() {
        assert_eq!(detect(&[0x5D, 0, 0, 0x80, 0, 0, 0, 0], 9).0, Method::Lzma);
        assert!(detect(&[0x5D, 0, 0, 0x80, 0, 0, 0, 0], 9).1);
        let mut ns = vec![1, 2, 0, 0x80, 0x31, 3, 0, 0];
        ns.resize(0x210, 0);
        assert_eq!(detect(&ns, 9), (Method::Bzip2, false, false));
        assert_eq!(detect(&[0x31, 3, 0, 0], 9), (Method::Bzip2, true, false));
        assert_eq!(detect(&[9, 0, 0, 0, 1], 9), (Method::Copy, false, false));
        assert_eq!(detect(&[0xED, 0xBD, 7, 0x60], 9).0, Method::Deflate);
        // A solid deflate stream whose 4th byte is 0x80 (makensis output,
        // seed 155 of scripts/nsis_differential.py): the "block" it would
        // declare is 6.5 MB, longer than the data.
        let mut solid = vec![0xEC, 0xF7, 0x63, 0x80, 0xA6, 0x4D, 0x92, 0x36];
        solid.resize(1000, 0);
        assert_eq!(detect(&solid, 9), (Method::Deflate, true, false));
        solid[2] = 0;
        solid[1] = 0;
        assert!(!detect(&solid, 9).1, "a block that fits: non-solid");
    }

    #[test]
    fn exehead_crc_covers_the_exehead_from_512_and_the_data() {
        let mut file = crate::test_support::sample("nsis/zlib.exe").unwrap_or_default();
        let at = memchr::memmem::find(&file, SIGNATURE).expect("signature") - 4;
        assert_eq!(exehead_crc(&file, at).map(|r| r.is_ok()), Some(true));
        // The first 512 bytes are not covered (signing tools change them).
        file[100] ^= 1;
        assert_eq!(exehead_crc(&file, at).map(|r| r.is_ok()), Some(true));
        // A byte of the exehead past 512 is.
        file[600] ^= 1;
        assert!(matches!(
            exehead_crc(&file, at),
            Some(Err(Error::Checksum { .. }))
        ));
        // NO_CRC without FORCE_CRC: nothing to check.
        file[at] = 4;
        assert!(exehead_crc(&file, at).is_none());
        file[at] = 4 | 8;
        assert!(exehead_crc(&file, at).is_some());
    }
}
