//! `COMPRESS.EXE` files (`SETUP.EX_`, `*.DL_`): SZDD and KWAJ, one
//! compressed file each, unpacked as the node's only child.
//!
//! Layouts (libmspack's `doc/szdd_kwaj_format.html`, `szddd.c`, `kwajd.c`,
//! `lzssd.c`; facts only, the code is ours):
//! - **SZDD**: `SZDD\x88\xf0\x27\x33`, the method (`A`, 0x41: the only one),
//!   the character the compressed file's name lost to its trailing `_`
//!   (0 when unknown), the unpacked length (u32), then LZSS data to the end
//!   of the file: a control byte whose bits, low first, say literal (1) or
//!   match (0: two bytes, a 12-bit absolute window position and a 4-bit
//!   length + 3) over a 4096-byte window filled with spaces, writing from
//!   4096 − 16. The QBasic variant (`SZ \x88\xf0\x27\x33\xd1`, length u32,
//!   12-byte header) writes from 4096 − 18.
//! - **KWAJ**: `KWAJ\x88\xf0\x27\xd1`, method (u16), offset of the data (u16),
//!   header flags (u16), then the optional fields in this order: bit 0 the
//!   unpacked length (u32), bit 1 two unknown bytes, bit 2 a u16 length and
//!   that many unknown bytes, bit 3 the file name (at most 8 bytes, NUL
//!   ended unless 8 long), bit 4 the extension (at most 3, likewise), bit 5
//!   a u16 length and that much text. Methods: 0 stored, 1 stored XOR 0xFF,
//!   2 the QBasic SZDD LZSS, 3 LZ + Huffman ("Jeff Johnson"), 4 MS-ZIP
//!   (blocks of a u16 length, `CK` and a deflate stream whose history is the
//!   previous blocks' last 32 KiB; a length of 0 ends them).
//!
//! Behaviour:
//! - The child is named after the node as `7zz` names it (MsLZ handler): a
//!   name ending in `_` gets its lost character back when SZDD records it,
//!   else loses the `_` (`README.TXT_` → `README.TXT`); any other name loses
//!   its extension, or gains `~` without one. A KWAJ header's own name and
//!   extension win when present. Without a node name (a parser run alone)
//!   the child is named by the header or `[content]`.
//! - Neither format carries a checksum: nothing is verified. The declared
//!   length (SZDD always, KWAJ when flag 0 is set) is the child's declared
//!   size, so a stream that decodes to another length is an error on the
//!   child (the engine compares).
//! - KWAJ method 3 (LZ + Huffman) is not decoded: a `Missing` child with an
//!   `unsupported` error (no tool that writes it is available to test a
//!   decoder against). Unknown methods likewise.
//! - A header cut short, a data offset past the end, a KWAJ name longer
//!   than its field: `truncated` / `malformed` errors naming the offset.

use super::container::{Container, Data, End, Entry, Notes, Opened, Options};
use super::{le_u16, le_u32, Handler, Metadata, Parsed};
use installsift_model::error::{AtOffset, Error};
use installsift_model::{EntryInfo, EntryKind, Evidence, Format};
use serde::Serialize;
use std::io::{self, Read};

/// SZDD signature.
pub const SZDD_MAGIC: &[u8] = b"SZDD\x88\xf0\x27\x33";
/// SZDD signature of the QBasic 4.5 variant.
pub const SZDD_QBASIC_MAGIC: &[u8] = b"SZ \x88\xf0\x27\x33\xd1";
/// KWAJ signature.
pub const KWAJ_MAGIC: &[u8] = b"KWAJ\x88\xf0\x27\xd1";

/// Facts of an SZDD or KWAJ file.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CompressInfo {
    /// `szdd`, `szdd-qbasic` or `kwaj`.
    pub variant: String,
    /// The compression method: `lzss` (SZDD `A`, KWAJ 2), `none` (KWAJ 0),
    /// `xor` (KWAJ 1), `lzh` (KWAJ 3), `mszip` (KWAJ 4) or `method-N`.
    pub method: String,
    /// The character the name lost (SZDD), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_char: Option<String>,
    /// The unpacked length the header declares, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_size: Option<u64>,
    /// KWAJ: the file name (`name.ext`) the header records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_name: Option<String>,
    /// KWAJ: the header's text field (flag 5), lossy UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_text: Option<String>,
    /// Offset of the compressed data.
    pub data_offset: u64,
}

/// Dispatch entry for SZDD (both variants).
pub(crate) const HANDLER: Handler = Handler {
    name: "szdd",
    format: Format::Szdd,
    sniff,
    open,
};

/// Dispatch entry for KWAJ.
pub(crate) const KWAJ_HANDLER: Handler = Handler {
    name: "kwaj",
    format: Format::Kwaj,
    sniff: sniff_kwaj,
    open: open_kwaj,
};

/// An SZDD signature (either variant) at the start.
pub fn sniff(data: &[u8]) -> bool {
    data.starts_with(SZDD_MAGIC) || data.starts_with(SZDD_QBASIC_MAGIC)
}

/// A KWAJ signature at the start.
pub fn sniff_kwaj(data: &[u8]) -> bool {
    data.starts_with(KWAJ_MAGIC)
}

/// The LZSS window size.
const WINDOW: usize = 4096;

/// The one child, planned in `open` and handed over once.
struct One<'a> {
    format: Format,
    info: CompressInfo,
    entry: Option<(String, EntryInfo, Plan<'a>)>,
}

enum Plan<'a> {
    Slice(&'a [u8]),
    Xor(&'a [u8]),
    Lzss {
        data: &'a [u8],
        base: usize,
        start: usize,
    },
    MsZip {
        data: &'a [u8],
        base: usize,
    },
    Missing(Error),
}

impl Container for One<'_> {
    fn next_entry(&mut self, _notes: &mut Notes) -> Option<Entry<'_>> {
        let (name, info, plan) = self.entry.take()?;
        let declared = self.info.declared_size;
        let data = match plan {
            Plan::Slice(b) => Data::Slice(b),
            Plan::Xor(b) => Data::Decode {
                reader: Box::new(XorReader { data: b, at: 0 }),
                declared,
                stored: Some(b.len() as u64),
            },
            Plan::Lzss { data, base, start } => Data::Decode {
                reader: Box::new(Lzss::new(data, base, start)),
                declared,
                stored: Some(data.len() as u64),
            },
            Plan::MsZip { data, base } => Data::Decode {
                reader: Box::new(KwajMsZip::new(data, base)),
                declared,
                stored: Some(data.len() as u64),
            },
            Plan::Missing(error) => Data::Missing {
                size: declared.unwrap_or(0),
                error,
            },
        };
        Some(Entry { name, info, data })
    }

    fn finish(self: Box<Self>, _end: End, _notes: &mut Notes) -> Parsed {
        Parsed {
            format: self.format,
            metadata: Some(Metadata::Compress(Box::new(self.info))),
        }
    }
}

/// The child's name from the node's, as `7zz` names it: a name ending in
/// `_` gets the lost character back (`SETUP.EX_` → `SETUP.EXE`) or, when
/// none is recorded, just loses the `_` (`README.TXT_` → `README.TXT`);
/// another name loses its extension (`a.bin` → `a`) or, without one, gains
/// a `~`. A name the header records (`fallback`, KWAJ) wins.
fn child_name(node: Option<&str>, missing: Option<char>, fallback: Option<String>) -> String {
    if let Some(f) = fallback {
        return f;
    }
    // The last component: an input's path or an entry's `dir/name`.
    let base = node.and_then(|n| n.rsplit(['/', '\\']).next());
    let Some(n) = base.filter(|n| !n.is_empty()) else {
        return "[content]".into();
    };
    if let Some(stem) = n.strip_suffix('_').filter(|s| !s.is_empty()) {
        return match missing {
            Some(c) => format!("{stem}{c}"),
            None => stem.to_string(),
        };
    }
    match n.rfind('.') {
        Some(dot) if dot > 0 => n.get(..dot).unwrap_or(n).to_string(),
        _ => format!("{n}~"),
    }
}

/// Open an SZDD file.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let qbasic = data.starts_with(SZDD_QBASIC_MAGIC);
    let (variant, header, start) = if qbasic {
        ("szdd-qbasic", 12, WINDOW - 18)
    } else {
        ("szdd", 14, WINDOW - 16)
    };
    notes.evidence(Evidence::strong(
        "szdd-signature",
        format!("{variant} signature (COMPRESS.EXE)"),
        Some(0),
    ));
    let mut info = CompressInfo {
        variant: variant.into(),
        method: "lzss".into(),
        data_offset: header as u64,
        ..CompressInfo::default()
    };
    let mut one = One {
        format: Format::Szdd,
        info: CompressInfo::default(),
        entry: None,
    };
    let (missing, length) = if qbasic {
        (None, le_u32(data, 8))
    } else {
        let method = data.get(8).copied();
        if let Some(m) = method.filter(|&m| m != b'A') {
            info.method = format!("method-{m:#04x}");
        }
        let missing = data.get(9).copied().filter(|&c| c != 0).map(char::from);
        (missing, le_u32(data, 10))
    };
    info.missing_char = missing.map(String::from);
    let Some(length) = length else {
        notes.error(
            Error::truncated(format!(
                "{variant} header is {header} bytes; the file has {}",
                data.len()
            ))
            .at(0),
        );
        one.info = info;
        return Opened::Container(Box::new(one));
    };
    info.declared_size = Some(u64::from(length));
    let name = child_name(Some(opts.name).filter(|n| !n.is_empty()), missing, None);
    let body = data.get(header..).unwrap_or_default();
    let entry = EntryInfo::new(EntryKind::File).at(header as u64);
    let mut entry = entry;
    entry.compressed_size = Some(body.len() as u64);
    entry.method = Some(info.method.clone());
    let plan = if info.method == "lzss" {
        Plan::Lzss {
            data: body,
            base: header,
            start,
        }
    } else {
        Plan::Missing(
            Error::unsupported(format!(
                "SZDD compression mode {} is not known (only `A`)",
                info.method
            ))
            .at(8),
        )
    };
    one.info = info;
    one.entry = Some((name, entry, plan));
    Opened::Container(Box::new(one))
}

/// The KWAJ header's optional fields, read from offset 14.
struct KwajHeader {
    length: Option<u32>,
    name: Option<String>,
    extra: Option<String>,
}

/// Read the optional KWAJ header fields; an error names the field's offset.
fn kwaj_fields(data: &[u8], flags: u16) -> Result<KwajHeader, Error> {
    let mut at = 14usize;
    let cut = |what: &str, at: usize| {
        Error::truncated(format!(
            "KWAJ header: the {what} at offset {at} is cut short"
        ))
        .at(at as u64)
    };
    let mut h = KwajHeader {
        length: None,
        name: None,
        extra: None,
    };
    if flags & 1 != 0 {
        h.length = Some(le_u32(data, at).ok_or_else(|| cut("unpacked length", at))?);
        at += 4;
    }
    if flags & 2 != 0 {
        data.get(at..at + 2)
            .ok_or_else(|| cut("unknown 2-byte field", at))?;
        at += 2;
    }
    if flags & 4 != 0 {
        let n = le_u16(data, at).ok_or_else(|| cut("unknown field's length", at))?;
        at = at + 2 + usize::from(n);
        if at > data.len() {
            return Err(cut("unknown field", at - usize::from(n)));
        }
    }
    let mut name = String::new();
    for (bit, max, what) in [(8u16, 8usize, "file name"), (16, 3, "extension")] {
        if flags & bit == 0 {
            continue;
        }
        // At most `max` bytes, always NUL-ended (libmspack rejects more).
        let rest = data.get(at..).unwrap_or_default();
        let field = rest.get(..(max + 1).min(rest.len())).unwrap_or_default();
        let Some(len) = field.iter().position(|&b| b == 0) else {
            if field.len() <= max {
                return Err(cut(what, at));
            }
            return Err(Error::malformed(format!(
                "KWAJ header: the {what} at offset {at} is longer than {max} bytes"
            ))
            .at(at as u64));
        };
        let used = len + 1;
        if bit == 16 {
            name.push('.');
        }
        name.push_str(&String::from_utf8_lossy(
            field.get(..len).unwrap_or_default(),
        ));
        at += used;
    }
    if flags & 24 != 0 {
        h.name = Some(name);
    }
    if flags & 32 != 0 {
        let n = le_u16(data, at).ok_or_else(|| cut("text length", at))?;
        let text = data
            .get(at + 2..at + 2 + usize::from(n))
            .ok_or_else(|| cut("text", at))?;
        h.extra = Some(String::from_utf8_lossy(text).into_owned());
    }
    Ok(h)
}

/// Open a KWAJ file.
pub fn open_kwaj<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    notes.evidence(Evidence::strong(
        "kwaj-signature",
        "KWAJ signature (COMPRESS.EXE)",
        Some(0),
    ));
    let mut one = One {
        format: Format::Kwaj,
        info: CompressInfo {
            variant: "kwaj".into(),
            ..CompressInfo::default()
        },
        entry: None,
    };
    let (Some(method), Some(offset), Some(flags)) =
        (le_u16(data, 8), le_u16(data, 10), le_u16(data, 12))
    else {
        notes.error(
            Error::truncated(format!(
                "KWAJ header is 14 bytes; the file has {}",
                data.len()
            ))
            .at(0),
        );
        return Opened::Container(Box::new(one));
    };
    let info = &mut one.info;
    info.method = match method {
        0 => "none".into(),
        1 => "xor".into(),
        2 => "lzss".into(),
        3 => "lzh".into(),
        4 => "mszip".into(),
        m => format!("method-{m}"),
    };
    info.data_offset = u64::from(offset);
    let header = match kwaj_fields(data, flags) {
        Ok(h) => h,
        Err(e) => {
            notes.error(e);
            return Opened::Container(Box::new(one));
        }
    };
    info.declared_size = header.length.map(u64::from);
    info.stored_name = header.name.clone();
    info.extra_text = header.extra;
    let offset = usize::from(offset);
    let Some(body) = data.get(offset..) else {
        notes.error(
            Error::truncated(format!(
                "KWAJ data offset {offset} is past the end of the file ({} bytes)",
                data.len()
            ))
            .at(10),
        );
        return Opened::Container(Box::new(one));
    };
    let name = child_name(
        Some(opts.name).filter(|n| !n.is_empty()),
        None,
        header.name.filter(|n| !n.is_empty()),
    );
    let mut entry = EntryInfo::new(EntryKind::File).at(offset as u64);
    entry.compressed_size = Some(body.len() as u64);
    entry.method = Some(info.method.clone());
    let plan = match method {
        0 => {
            // Stored: the rest of the file; a declared length that differs
            // is an error on the child (its bytes are still the file's).
            if let Some(l) = header.length.filter(|&l| u64::from(l) != body.len() as u64) {
                entry = entry.with_error(
                    Error::malformed(format!(
                        "KWAJ stored data at offset {offset} is {} bytes; the header declares {l}",
                        body.len()
                    ))
                    .at(offset as u64),
                );
            }
            Plan::Slice(body)
        }
        1 => Plan::Xor(body),
        2 => Plan::Lzss {
            data: body,
            base: offset,
            start: WINDOW - 18,
        },
        4 => Plan::MsZip {
            data: body,
            base: offset,
        },
        3 => Plan::Missing(Error::unsupported("KWAJ method 3 (LZ + Huffman) is not decoded").at(8)),
        m => Plan::Missing(
            Error::unsupported(format!("KWAJ compression method {m} is not known (0-4)")).at(8),
        ),
    };
    one.entry = Some((name, entry, plan));
    Opened::Container(Box::new(one))
}

/// KWAJ method 1: every byte XOR 0xFF.
struct XorReader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Read for XorReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.data.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        for (o, i) in buf.iter_mut().zip(rest.iter().take(n)) {
            *o = i ^ 0xFF;
        }
        self.at += n;
        Ok(n)
    }
}

/// The LZSS decoder of SZDD and KWAJ method 2, streaming: the stream ends
/// where its input does (a control byte or a match cut by the end ends it,
/// as in libmspack).
struct Lzss<'a> {
    data: &'a [u8],
    at: usize,
    window: Box<[u8; WINDOW]>,
    pos: usize,
    control: u8,
    /// Bits of `control` still to use (0: read a control byte).
    bits: u8,
    /// A match being copied: window position and bytes left.
    copy: Option<(usize, usize)>,
    done: bool,
}

impl<'a> Lzss<'a> {
    /// A decoder over `data` (which starts at `_base` in the file), writing
    /// from window position `start`.
    fn new(data: &'a [u8], _base: usize, start: usize) -> Self {
        Lzss {
            data,
            at: 0,
            window: Box::new([b' '; WINDOW]),
            pos: start % WINDOW,
            control: 0,
            bits: 0,
            copy: None,
            done: false,
        }
    }

    fn put(&mut self, b: u8) {
        if let Some(w) = self.window.get_mut(self.pos) {
            *w = b;
        }
        self.pos = (self.pos + 1) % WINDOW;
    }
}

impl Read for Lzss<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if let Some((mpos, left)) = self.copy {
                let b = self.window.get(mpos).copied().unwrap_or(b' ');
                self.put(b);
                if let Some(o) = buf.get_mut(n) {
                    *o = b;
                }
                n += 1;
                self.copy = (left > 1).then_some(((mpos + 1) % WINDOW, left - 1));
                continue;
            }
            if self.done {
                break;
            }
            if self.bits == 0 {
                let Some(&c) = self.data.get(self.at) else {
                    self.done = true;
                    break;
                };
                self.at += 1;
                self.control = c;
                self.bits = 8;
            }
            let literal = self.control & 1 != 0;
            self.control >>= 1;
            self.bits -= 1;
            if literal {
                let Some(&b) = self.data.get(self.at) else {
                    self.done = true;
                    break;
                };
                self.at += 1;
                self.put(b);
                if let Some(o) = buf.get_mut(n) {
                    *o = b;
                }
                n += 1;
            } else {
                let (Some(&lo), Some(&hi)) = (self.data.get(self.at), self.data.get(self.at + 1))
                else {
                    self.done = true;
                    break;
                };
                self.at += 2;
                let mpos = usize::from(lo) | (usize::from(hi & 0xF0) << 4);
                let len = usize::from(hi & 0x0F) + 3;
                self.copy = Some((mpos, len));
            }
        }
        Ok(n)
    }
}

/// KWAJ method 4: MS-ZIP blocks (`len u16`, `CK`, deflate) whose history is
/// the last 32 KiB of what came before; a length of 0 (or the end of the
/// data at a block boundary) ends them.
struct KwajMsZip<'a> {
    data: &'a [u8],
    base: usize,
    at: usize,
    inflater: Box<flate2::Decompress>,
    window: Vec<u8>,
    out: Vec<u8>,
    /// Bytes of `out` decoded from the last block, and how many were read.
    filled: usize,
    out_pos: usize,
    done: bool,
    failed: Option<(io::ErrorKind, u64, String)>,
}

const MSZIP_BLOCK: usize = 32 * 1024;

impl<'a> KwajMsZip<'a> {
    fn new(data: &'a [u8], base: usize) -> Self {
        KwajMsZip {
            data,
            base,
            at: 0,
            inflater: Box::new(flate2::Decompress::new(false)),
            window: Vec::new(),
            out: vec![0; MSZIP_BLOCK + 1],
            filled: 0,
            out_pos: 0,
            done: false,
            failed: None,
        }
    }

    fn fail(&mut self, kind: io::ErrorKind, at: usize, message: String) -> io::Error {
        let offset = (self.base + at) as u64;
        self.failed = Some((kind, offset, message.clone()));
        io::Error::new(kind, AtOffset { offset, message })
    }

    /// Decode the next block into `out`: its length, or `None` at the end.
    fn block(&mut self) -> io::Result<Option<usize>> {
        let at = self.at;
        let Some(len) = le_u16(self.data, at) else {
            // The end of the data where a block length would be: the end.
            if self.data.len() > at {
                let m = format!(
                    "KWAJ MS-ZIP block length at offset {} is cut short",
                    self.base + at
                );
                return Err(self.fail(io::ErrorKind::UnexpectedEof, at, m));
            }
            return Ok(None);
        };
        if len == 0 {
            return Ok(None);
        }
        let end = at + 2 + usize::from(len);
        let Some(block) = self.data.get(at + 2..end) else {
            let m = format!(
                "KWAJ MS-ZIP block at offset {} declares {len} bytes; {} remain",
                self.base + at,
                self.data.len().saturating_sub(at + 2)
            );
            return Err(self.fail(io::ErrorKind::UnexpectedEof, at, m));
        };
        let Some(body) = block.strip_prefix(b"CK") else {
            let m = format!(
                "KWAJ MS-ZIP block at offset {} does not start with `CK`",
                self.base + at
            );
            return Err(self.fail(io::ErrorKind::InvalidData, at, m));
        };
        self.inflater.reset(false);
        if !self.window.is_empty() {
            if let Err(e) = self.inflater.set_dictionary(&self.window) {
                let m = format!("KWAJ MS-ZIP window at offset {}: {e}", self.base + at);
                return Err(self.fail(io::ErrorKind::InvalidData, at, m));
            }
        }
        let status = self
            .inflater
            .decompress(body, &mut self.out, flate2::FlushDecompress::Finish);
        let produced = usize::try_from(self.inflater.total_out()).unwrap_or(usize::MAX);
        match status {
            Ok(flate2::Status::StreamEnd) if produced <= MSZIP_BLOCK => {}
            Ok(_) if produced > MSZIP_BLOCK => {
                let m = format!(
                    "KWAJ MS-ZIP block at offset {} inflates past {MSZIP_BLOCK} bytes",
                    self.base + at
                );
                return Err(self.fail(io::ErrorKind::InvalidData, at, m));
            }
            Ok(_) => {
                let m = format!(
                    "KWAJ MS-ZIP block at offset {} ends before its deflate stream does",
                    self.base + at
                );
                return Err(self.fail(io::ErrorKind::UnexpectedEof, at, m));
            }
            Err(e) => {
                let m = format!(
                    "KWAJ MS-ZIP block at offset {} does not inflate: {e}",
                    self.base + at
                );
                return Err(self.fail(io::ErrorKind::InvalidData, at, m));
            }
        }
        let out = self.out.get(..produced).unwrap_or_default();
        if out.len() >= MSZIP_BLOCK {
            self.window.clear();
            self.window
                .extend_from_slice(out.get(out.len() - MSZIP_BLOCK..).unwrap_or_default());
        } else {
            let keep = MSZIP_BLOCK - out.len();
            let drop = self.window.len().saturating_sub(keep);
            self.window.drain(..drop);
            self.window.extend_from_slice(out);
        }
        self.at = end;
        Ok(Some(produced))
    }
}

impl Read for KwajMsZip<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, offset, message)) = &self.failed {
            return Err(io::Error::new(
                *kind,
                AtOffset {
                    offset: *offset,
                    message: message.clone(),
                },
            ));
        }
        loop {
            if self.out_pos < self.filled {
                let src = self.out.get(self.out_pos..self.filled).unwrap_or_default();
                let n = src.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), src.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.out_pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            match self.block()? {
                Some(produced) => {
                    self.filled = produced;
                    self.out_pos = 0;
                }
                None => self.done = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed, Listing};
    use crate::test_support::{corpus, sample};
    use installsift_model::Limits;
    use sha2::Digest as _;

    fn sha(b: &[u8]) -> String {
        installsift_model::hash::to_hex(&sha2::Sha256::digest(b))
    }

    /// The reference tool's row for a sample (`name\tsize\tsha256`).
    fn reference(listing: &str) -> (String, u64, String) {
        let t = std::fs::read_to_string(corpus().join("reference").join(listing)).expect("tsv");
        let mut f = t.trim_end().split('\t');
        let name = f.next().expect("name").to_owned();
        let size = f.next().expect("size").parse().expect("size");
        (name, size, f.next().expect("sha").to_owned())
    }

    fn bytes<'l>(l: &'l Listing, data: &'l [u8]) -> &'l [u8] {
        match &l.entries[0].2 {
            Listed::Decoded(Ok(b)) => b,
            Listed::Slice { at, len } => &data[*at..at + len],
            other => panic!("no bytes: {other:?}"),
        }
    }

    #[test]
    fn listing_without_the_engine() {
        for (rel, reference_tsv, open) in [
            (
                "szdd/README.TXT_",
                "szdd__README.TXT_.tsv",
                open as crate::container::OpenFn,
            ),
            ("szdd/SETUP.EX_", "szdd__SETUP.EX_.tsv", open),
            (
                "kwaj/stored.kwj",
                "kwaj__stored.kwj.libmspack.tsv",
                open_kwaj,
            ),
            ("kwaj/xor.kwj", "kwaj__xor.kwj.libmspack.tsv", open_kwaj),
            ("kwaj/lzss.kwj", "kwaj__lzss.kwj.libmspack.tsv", open_kwaj),
            ("kwaj/mszip.kwj", "kwaj__mszip.kwj.libmspack.tsv", open_kwaj),
            (
                "kwaj/libmspack_f83.kwj",
                "kwaj__libmspack_f83.kwj.libmspack.tsv",
                open_kwaj,
            ),
        ] {
            let d = sample(rel).expect("sample");
            let l = list(open, &d, &Limits::default(), 10);
            assert!(l.notes.errors.is_empty(), "{rel}: {:?}", l.notes.errors);
            assert_eq!(l.entries.len(), 1, "{rel}");
            let (name, size, want) = reference(reference_tsv);
            let got = bytes(&l, &d);
            assert_eq!((got.len() as u64, sha(got)), (size, want), "{rel}");
            // Without the node's name: the KWAJ header's, or `[content]`.
            if rel.starts_with("kwaj/") {
                assert_eq!(l.entries[0].0, name, "{rel}");
            } else {
                assert_eq!(l.entries[0].0, "[content]");
            }
            // Stopped before the entry: no false damage.
            let l = list(open, &d, &Limits::default(), 0);
            assert!(l.notes.errors.is_empty(), "{rel}: {:?}", l.notes.errors);
        }
        let d = sample("kwaj/mszip.kwj").expect("sample");
        let l = list(open_kwaj, &d, &Limits::default(), 1);
        let Some(Metadata::Compress(info)) = l.parsed.metadata else {
            panic!("metadata")
        };
        assert_eq!(info.method, "mszip");
        assert_eq!(info.stored_name.as_deref(), Some("SETUP.EXE"));
        assert_eq!(info.extra_text.as_deref(), Some("MS-ZIP blocks"));
        assert_eq!(info.declared_size, Some(14848));
    }

    #[test]
    fn names_follow_7zip() {
        assert_eq!(
            child_name(Some("dir/SETUP.EX_"), Some('E'), None),
            "SETUP.EXE"
        );
        assert_eq!(child_name(Some("README.TXT_"), None, None), "README.TXT");
        assert_eq!(child_name(Some("a.b.c"), None, None), "a.b");
        assert_eq!(child_name(Some("noext"), None, None), "noext~");
        assert_eq!(child_name(Some("C:\\x\\.hidden"), None, None), ".hidden~");
        assert_eq!(child_name(Some("_"), None, None), "_~");
        assert_eq!(child_name(None, Some('E'), None), "[content]");
        assert_eq!(
            child_name(Some("a.kwj"), None, Some("B.TXT".into())),
            "B.TXT"
        );
        // The lost character a real header records (byte 9) is put back.
        let mut d = sample("szdd/SETUP.EX_").expect("sample");
        d[9] = b'E';
        let limits = Limits::default();
        let opts = Options {
            limits: &limits,
            hashes: installsift_model::hash::HashSelection::SHA256,
            name: "SETUP.EX_",
            passwords: &[],
            read_ahead: false,
        };
        let Opened::Container(mut c) = open(&d, &opts, &mut Notes::default()) else {
            panic!("container")
        };
        let e = c.next_entry(&mut Notes::default()).expect("entry");
        assert_eq!(e.name, "SETUP.EXE");
    }

    #[test]
    fn damage_is_said_with_its_offset() {
        // SZDD header cut short.
        let d = sample("szdd/README.TXT_").expect("sample");
        let l = list(open, &d[..12], &Limits::default(), 10);
        assert_eq!(l.notes.errors[0].kind(), "truncated");
        assert_eq!(l.notes.errors[0].offset(), Some(0));
        assert!(l.entries.is_empty());
        // Data cut: decodes to fewer bytes than declared (the engine
        // compares them with the declared size; see format_tests).
        let l = list(open, &d[..d.len() / 2], &Limits::default(), 10);
        let Listed::Decoded(Ok(b)) = &l.entries[0].2 else {
            panic!("decoded")
        };
        assert!((b.len() as u64) < 4620);
        // An unknown SZDD mode: missing, unsupported, at offset 8.
        let mut m = d.clone();
        m[8] = b'B';
        let l = list(open, &m, &Limits::default(), 10);
        let Listed::Missing { error, size } = &l.entries[0].2 else {
            panic!("missing")
        };
        assert_eq!(
            (error.kind(), error.offset(), *size),
            ("unsupported", Some(8), 4620)
        );
        // KWAJ method 3: not decoded, said.
        let mut k = sample("kwaj/lzss.kwj").expect("sample");
        k[8] = 3;
        let l = list(open_kwaj, &k, &Limits::default(), 10);
        let Listed::Missing { error, size } = &l.entries[0].2 else {
            panic!("missing")
        };
        assert_eq!((error.kind(), *size), ("unsupported", 14848));
        // KWAJ data offset past the end.
        let mut k = sample("kwaj/stored.kwj").expect("sample");
        k[10] = 0xFF;
        k[11] = 0xFF;
        let l = list(open_kwaj, &k, &Limits::default(), 10);
        assert_eq!(l.notes.errors[0].kind(), "truncated");
        assert_eq!(l.notes.errors[0].offset(), Some(10));
        // A stored KWAJ whose declared length is not its data's.
        let mut k = sample("kwaj/stored.kwj").expect("sample");
        k[14] ^= 1;
        let l = list(open_kwaj, &k, &Limits::default(), 10);
        assert_eq!(l.entries[0].1.errors[0].kind(), "malformed");
        // MS-ZIP: a block without `CK`, a block cut short.
        let k = sample("kwaj/mszip.kwj").expect("sample");
        let off = usize::from(u16::from_le_bytes([k[10], k[11]]));
        let mut bad = k.clone();
        bad[off + 2] = b'X';
        let l = list(open_kwaj, &bad, &Limits::default(), 10);
        let Listed::Decoded(Err(e)) = &l.entries[0].2 else {
            panic!("a decode error")
        };
        assert!(e.to_string().contains("`CK`"), "{e}");
        let l = list(open_kwaj, &k[..k.len() - 100], &Limits::default(), 10);
        let Listed::Decoded(Err(e)) = &l.entries[0].2 else {
            panic!("a decode error")
        };
        assert!(e.to_string().contains("remain"), "{e}");
        // libmspack's rejected headers are rejected here too.
        for rel in [
            "malformed/kwaj_cve-2018-14681.kwj",
            "malformed/kwaj_libmspack_f04_long_ext.kwj",
        ] {
            let d = sample(rel).expect("sample");
            let l = list(open_kwaj, &d, &Limits::default(), 10);
            assert_eq!(l.notes.errors[0].kind(), "malformed", "{rel}");
            assert!(l.entries.is_empty());
        }
    }

    #[test]
    fn lzss_matches_reach_the_initial_spaces_and_wrap() {
        // A match at position 0 before anything is written reads the
        // spaces the window starts with; control byte: match, then literal.
        let data = [0b0000_0010, 0x00, 0x02, b'x'];
        let mut out = Vec::new();
        Lzss::new(&data, 0, WINDOW - 16)
            .read_to_end(&mut out)
            .expect("decodes");
        assert_eq!(out, b"     x");
    }
}
