//! decmpfs: files compressed by the file system on HFS+ and APFS (macOS
//! 10.6 and later), shared by [`crate::hfs`] and [`crate::apfs`].
//!
//! A compressed file (`UF_COMPRESSED` in its BSD flags) has an empty data
//! fork and a `com.apple.decmpfs` attribute: `fpmc` (little-endian magic),
//! the compression type (u32) and the file's size (u64), then for the
//! inline types the data itself:
//!
//! | type | data | where |
//! |---|---|---|
//! | 3 | zlib (first byte with low nibble `F`: stored, the rest is the file) | attribute |
//! | 4 | zlib, 64 KiB blocks | resource fork |
//! | 7 | LZVN (first byte 6: stored) | attribute |
//! | 8 | LZVN, 64 KiB blocks | resource fork |
//! | 9 | stored after a `0xCC` marker | attribute |
//! | 11 | LZFSE | attribute |
//! | 12 | LZFSE, 64 KiB blocks | resource fork |
//!
//! Type 4's resource fork is a Resource Manager fork (big-endian header:
//! data offset, map offset, data length, map length) whose one `cmpf`
//! resource holds, after its own length, a block count and (offset, size)
//! pairs (little-endian, offsets from the count); a block whose first byte
//! has the low nibble `F` is stored. Types 8 and 12 start the fork with
//! block offsets (u32, little-endian, one more than the blocks, the first
//! the table's own size, the last the fork's size); a block starting with
//! byte 6 is stored. Every block but the last decodes to 64 KiB. (Facts from
//! 7-Zip's `HfsHandler.cpp` and Apple's xnu `decmpfs.c`.)
//!
//! The reader decodes one block at a time as it is read: the work is bounded
//! by the bytes it yields (which the engine bounds), never by the block
//! count the header implies; each block must decode to exactly its size.
//! Inline LZVN and LZFSE data is decoded whole, within
//! [`Limits::max_buffered_entry`](installsift_model::Limits::max_buffered_entry).

use installsift_model::error::Error;
use installsift_model::limits::Limit;
use std::borrow::Cow;
use std::io::{self, Read, Write};

/// Bytes each block of a resource-fork type decodes to (the last: less).
const BLOCK: u64 = 1 << 16;
/// Largest stored block: zlib's bound for 64 KiB (`compressBound`) and a
/// marker byte.
const MAX_PACKED: usize = 65_536 + 16 + 4 + 13 + 1;
const MAGIC: u32 = 0x636D_7066; // "fpmc"

/// A compressed file as a volume plans it: its `com.apple.decmpfs`
/// attribute and its resource fork's regions (offset, length) in the
/// volume's bytes.
pub type Parts<'a> = (Cow<'a, [u8]>, Vec<(u64, u64)>);

/// The attribute's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Compression type.
    pub kind: u32,
    /// The file's size.
    pub size: u64,
}

/// The header of a `com.apple.decmpfs` attribute, if it is one.
pub fn header(attr: &[u8]) -> Option<Header> {
    let u32_at = |i: usize| {
        attr.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if u32_at(0)? != MAGIC {
        return None;
    }
    let mut s = [0u8; 8];
    s.copy_from_slice(attr.get(8..16)?);
    Some(Header {
        kind: u32_at(4)?,
        size: u64::from_le_bytes(s),
    })
}

/// Whether a type keeps its data in the resource fork.
pub fn in_fork(kind: u32) -> bool {
    matches!(kind, 4 | 8 | 10 | 12 | 14)
}

/// A fork as the volume holds it: (offset in the fork, bytes) pieces in
/// order, holes read as zeros when absent.
#[derive(Debug, Default)]
pub struct Fork<'a> {
    parts: Vec<(u64, &'a [u8])>,
    len: u64,
}

impl<'a> Fork<'a> {
    /// A fork of the given pieces, in order.
    pub fn new(pieces: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut f = Fork::default();
        for p in pieces {
            f.parts.push((f.len, p));
            f.len += p.len() as u64;
        }
        f
    }

    /// Its size.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `len` bytes at `off`: borrowed when one piece holds them (the usual
    /// case), else copied (at most one block).
    fn get(&self, off: u64, len: usize) -> Option<Cow<'a, [u8]>> {
        let end = off.checked_add(len as u64)?;
        if end > self.len {
            return None;
        }
        let i = self
            .parts
            .partition_point(|p| p.0 + p.1.len() as u64 <= off);
        let (start, b) = *self.parts.get(i)?;
        let at = usize::try_from(off - start).ok()?;
        if let Some(s) = b.get(at..at + len) {
            return Some(Cow::Borrowed(s));
        }
        let mut out = Vec::with_capacity(len);
        let mut pos = off;
        for &(s, b) in &self.parts[i..] {
            if pos >= end {
                break;
            }
            let from = usize::try_from(pos - s).ok()?;
            let take = (b.len() - from).min(usize::try_from(end - pos).ok()?);
            out.extend_from_slice(b.get(from..from + take)?);
            pos += take as u64;
        }
        Some(Cow::Owned(out))
    }

    fn u32_le(&self, off: u64) -> Option<u32> {
        let b = self.get(off, 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u32_be(&self, off: u64) -> Option<u32> {
        let b = self.get(off, 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A compressed file's content: a reader of its decoded bytes, and the
/// size of the stored data it is decoded from.
pub struct Opened<'a> {
    /// The decoder.
    pub reader: Box<dyn Read + 'a>,
    /// The file's size (the header's).
    pub size: u64,
    /// Bytes of stored data (the attribute's data or the fork).
    pub stored: u64,
}

fn bad(m: String) -> Error {
    Error::malformed(format!("decmpfs: {m}"))
}

/// The decoded content of a compressed file, from its `com.apple.decmpfs`
/// attribute and its resource fork; `max_whole` bounds the data decoded
/// whole (inline LZVN and LZFSE).
pub fn open<'a>(attr: Cow<'a, [u8]>, fork: Fork<'a>, max_whole: u64) -> Result<Opened<'a>, Error> {
    let Some(h) = header(&attr) else {
        return Err(bad(
            "the com.apple.decmpfs attribute lacks its `fpmc` header".into(),
        ));
    };
    let size = h.size;
    let inline_len = attr.len().saturating_sub(16) as u64;
    let stored_inline = |attr: Cow<'a, [u8]>, skip: usize| -> Result<Opened<'a>, Error> {
        let data = slice_from(attr, 16 + skip);
        if data.len() as u64 != size {
            return Err(bad(format!(
                "stored data of {} bytes for a file of {size}",
                data.len()
            )));
        }
        Ok(Opened {
            reader: Box::new(io::Cursor::new(data)),
            size,
            stored: inline_len,
        })
    };
    match h.kind {
        3 if attr.get(16).is_some_and(|b| b & 0x0F == 0x0F) => stored_inline(attr, 1),
        3 => {
            let data = slice_from(attr, 16);
            Ok(Opened {
                reader: Box::new(Exact {
                    inner: flate2::read::ZlibDecoder::new(io::Cursor::new(data)).take(size),
                    left: size,
                }),
                size,
                stored: inline_len,
            })
        }
        7 if attr.get(16) == Some(&6) => stored_inline(attr, 1),
        9 if attr.get(16) == Some(&0xCC) => stored_inline(attr, 1),
        7 | 11 => {
            if size > max_whole {
                return Err(Error::limit(
                    Limit::MaxBufferedEntry,
                    format!("decmpfs: inline data of a {size}-byte file is decoded whole only up to {max_whole} bytes"),
                ));
            }
            let data = attr.get(16..).unwrap_or_default();
            let out = if h.kind == 7 {
                lzvn(data, size as usize)
            } else {
                lzfse(data, size as usize)
            }
            .map_err(|m| bad(format!("type {}: {m}", h.kind)))?;
            if out.len() as u64 != size {
                return Err(bad(format!(
                    "type {} decodes to {} bytes, the file has {size}",
                    h.kind,
                    out.len()
                )));
            }
            Ok(Opened {
                reader: Box::new(io::Cursor::new(out)),
                size,
                stored: inline_len,
            })
        }
        4 | 8 | 12 => {
            let blocks = size.div_ceil(BLOCK);
            let table = match h.kind {
                4 => {
                    let data_at = fork
                        .u32_be(0)
                        .ok_or_else(|| bad("the resource fork is cut short".into()))?;
                    // The `cmpf` resource: its length, the block count, the
                    // (offset, size) pairs.
                    let base = u64::from(data_at) + 4;
                    let n = fork.u32_le(base).ok_or_else(|| {
                        bad(format!("no block table at {base} of the resource fork"))
                    })?;
                    if u64::from(n) != blocks {
                        return Err(bad(format!(
                            "{n} blocks in the resource fork for a file of {size} bytes"
                        )));
                    }
                    Table::Zlib { base }
                }
                _ => {
                    let first = fork
                        .u32_le(0)
                        .ok_or_else(|| bad("the resource fork is cut short".into()))?;
                    if u64::from(first) != (blocks + 1) * 4 {
                        return Err(bad(format!(
                            "block table of {first} bytes for a file of {size} bytes ({blocks} blocks)"
                        )));
                    }
                    Table::Offsets
                }
            };
            let stored = fork.len();
            Ok(Opened {
                reader: Box::new(Blocks {
                    kind: h.kind,
                    fork,
                    table,
                    next: 0,
                    blocks,
                    left: size,
                    buf: Vec::new(),
                    pos: 0,
                }),
                size,
                stored,
            })
        }
        k => Err(Error::unsupported(format!(
            "decmpfs compression type {k}{}: not decoded",
            match k {
                1 => " (stored inline)",
                10 => " (stored in the resource fork)",
                13 | 14 => " (LZBITMAP)",
                _ => "",
            }
        ))),
    }
}

/// A planned compressed file as an entry's data: its fork's regions taken
/// from `data` (the volume), decoded as it is read, or missing with the
/// reason.
pub(crate) fn entry_data<'a>(
    data: &'a [u8],
    (attr, regions): Parts<'a>,
    size: u64,
    max_whole: u64,
) -> crate::container::Data<'a> {
    let fork = Fork::new(regions.iter().map(|&(o, l)| crate::region(data, o, l)));
    match open(attr, fork, max_whole) {
        Ok(o) => crate::container::Data::Decode {
            reader: o.reader,
            declared: Some(o.size),
            stored: Some(o.stored),
        },
        Err(error) => crate::container::Data::Missing { size, error },
    }
}

/// The bytes of `attr` from `at` on, borrowed or owned as it was.
fn slice_from(attr: Cow<'_, [u8]>, at: usize) -> Cow<'_, [u8]> {
    match attr {
        Cow::Borrowed(b) => Cow::Borrowed(b.get(at..).unwrap_or_default()),
        Cow::Owned(mut v) => {
            v.drain(..at.min(v.len()));
            Cow::Owned(v)
        }
    }
}

/// A writer that refuses more than `cap` bytes.
struct Capped {
    out: Vec<u8>,
    cap: usize,
}

impl Write for Capped {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.out.len().saturating_add(b.len()) > self.cap {
            return Err(io::Error::other("decodes to more than it declares"));
        }
        self.out.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An LZFSE stream (`bvx…` blocks to `bvx$`) decoded, at most `cap` bytes
/// (also a DMG's LZFSE chunks).
pub(crate) fn lzfse(data: &[u8], cap: usize) -> Result<Vec<u8>, String> {
    let mut w = Capped {
        out: Vec::new(),
        cap,
    };
    let mut r = data;
    lzfse_rust::LzfseRingDecoder::default()
        .decode(&mut r, &mut w)
        .map_err(|e| e.to_string())?;
    Ok(w.out)
}

/// A bare LZVN stream decoded to `n` bytes: framed as LZFSE's `bvxn`
/// block (raw size, payload size, payload) and end of stream.
fn lzvn(data: &[u8], n: usize) -> Result<Vec<u8>, String> {
    let raw = u32::try_from(n).map_err(|_| format!("{n} bytes is past an LZVN block"))?;
    let len = u32::try_from(data.len()).map_err(|_| "LZVN data past 4 GiB".to_string())?;
    let mut framed = Vec::with_capacity(data.len() + 16);
    framed.extend_from_slice(b"bvxn");
    framed.extend_from_slice(&raw.to_le_bytes());
    framed.extend_from_slice(&len.to_le_bytes());
    framed.extend_from_slice(data);
    framed.extend_from_slice(b"bvx$");
    lzfse(&framed, n)
}

/// Where a resource fork's blocks are listed.
enum Table {
    /// Type 4: (offset, size) pairs after the count at `base`, offsets
    /// from `base`.
    Zlib { base: u64 },
    /// Types 8 and 12: offsets from the fork's start.
    Offsets,
}

/// The blocks of a resource-fork type, decoded one at a time.
struct Blocks<'a> {
    kind: u32,
    fork: Fork<'a>,
    table: Table,
    next: u64,
    blocks: u64,
    left: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Blocks<'_> {
    /// Decode the next block into `buf`.
    fn fill(&mut self) -> Result<(), String> {
        let i = self.next;
        let want = self.left.min(BLOCK) as usize;
        let (off, len) = match self.table {
            Table::Zlib { base } => {
                let e = base + 4 + 8 * i;
                let (Some(o), Some(l)) = (self.fork.u32_le(e), self.fork.u32_le(e + 4)) else {
                    return Err(format!(
                        "block {i}'s table entry lies past the resource fork"
                    ));
                };
                (base + u64::from(o), u64::from(l))
            }
            Table::Offsets => {
                let (Some(a), Some(b)) = (self.fork.u32_le(4 * i), self.fork.u32_le(4 * i + 4))
                else {
                    return Err(format!("block {i}'s offsets lie past the resource fork"));
                };
                if b <= a {
                    return Err(format!("block {i} ends at {b}, before its start {a}"));
                }
                (u64::from(a), u64::from(b - a))
            }
        };
        if len == 0 || len as usize > MAX_PACKED {
            return Err(format!("block {i} of {len} bytes (at most {MAX_PACKED})"));
        }
        let packed = self.fork.get(off, len as usize).ok_or_else(|| {
            format!(
                "block {i} at {off}+{len} lies past the {}-byte resource fork",
                self.fork.len()
            )
        })?;
        let stored = match self.kind {
            4 => packed[0] & 0x0F == 0x0F,
            _ => packed[0] == 6,
        };
        self.buf.clear();
        if stored {
            self.buf.extend_from_slice(&packed[1..]);
        } else {
            match self.kind {
                4 => {
                    let mut d = flate2::read::ZlibDecoder::new(&packed[..]).take(want as u64 + 1);
                    d.read_to_end(&mut self.buf)
                        .map_err(|e| format!("block {i}: zlib: {e}"))?;
                }
                8 => self.buf = lzvn(&packed, want)?,
                _ => self.buf = lzfse(&packed, want)?,
            }
        }
        if self.buf.len() != want {
            return Err(format!(
                "block {i} decodes to {} bytes, not {want}",
                self.buf.len()
            ));
        }
        self.next += 1;
        self.pos = 0;
        Ok(())
    }
}

impl Read for Blocks<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.left == 0 || self.next >= self.blocks {
                return Ok(0);
            }
            self.fill()
                .map_err(|m| io::Error::new(io::ErrorKind::InvalidData, format!("decmpfs: {m}")))?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        self.left -= n as u64;
        Ok(n)
    }
}

/// A reader that must yield exactly `left` bytes (a short stream is an
/// error, not a shorter file).
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let n = self.inner.read(out)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "decmpfs: the data ends {} bytes before the file's end",
                    self.left
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u32, size: u64, data: &[u8]) -> Vec<u8> {
        let mut a = b"fpmc".to_vec();
        a.extend_from_slice(&kind.to_le_bytes());
        a.extend_from_slice(&size.to_le_bytes());
        a.extend_from_slice(data);
        a
    }

    fn read_all(o: Opened<'_>) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        let mut r = o.reader;
        r.read_to_end(&mut v).map(|_| v)
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn inline_zlib_and_stored() {
        let text = b"hello hello hello hello".repeat(10);
        let a = attr(3, text.len() as u64, &zlib(&text));
        let o = open(Cow::Owned(a), Fork::default(), 1 << 20).unwrap();
        assert_eq!(read_all(o).unwrap(), text);
        let mut raw = vec![0xFF];
        raw.extend_from_slice(b"abc");
        let o = open(Cow::Owned(attr(3, 3, &raw)), Fork::default(), 1 << 20).unwrap();
        assert_eq!(read_all(o).unwrap(), b"abc");
        // A stored file whose size disagrees is an error, not a guess.
        assert!(open(Cow::Owned(attr(3, 4, &raw)), Fork::default(), 1 << 20).is_err());
    }

    #[test]
    fn a_short_stream_is_an_error() {
        let a = attr(3, 100, &zlib(b"only ten b"));
        let o = open(Cow::Owned(a), Fork::default(), 1 << 20).unwrap();
        assert!(read_all(o).is_err());
    }

    /// A type 4 fork as Apple lays it out, for the blocks given.
    fn zlib_fork(blocks: &[Vec<u8>]) -> Vec<u8> {
        let mut table = (blocks.len() as u32).to_le_bytes().to_vec();
        let mut off = 4 + 8 * blocks.len() as u32;
        let mut body = Vec::new();
        for b in blocks {
            table.extend_from_slice(&off.to_le_bytes());
            table.extend_from_slice(&(b.len() as u32).to_le_bytes());
            off += b.len() as u32;
            body.extend_from_slice(b);
        }
        let mut res = table;
        res.extend_from_slice(&body);
        let mut f = vec![0u8; 0x100];
        f[..4].copy_from_slice(&0x100u32.to_be_bytes());
        f.extend_from_slice(&(res.len() as u32).to_be_bytes());
        f.extend_from_slice(&res);
        f
    }

    #[test]
    fn resource_fork_zlib_blocks_across_pieces() {
        let data: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        let blocks: Vec<Vec<u8>> = data
            .chunks(65536)
            .enumerate()
            .map(|(i, c)| {
                if i == 1 {
                    let mut s = vec![0xFF];
                    s.extend_from_slice(c);
                    s
                } else {
                    zlib(c)
                }
            })
            .collect();
        let fork = zlib_fork(&blocks);
        // The fork in three pieces, cut inside the table and inside a block.
        let (a, rest) = fork.split_at(0x110);
        let (b, c) = rest.split_at(rest.len() / 2);
        let o = open(
            Cow::Owned(attr(4, data.len() as u64, &[])),
            Fork::new([a, b, c]),
            1 << 20,
        )
        .unwrap();
        assert_eq!(read_all(o).unwrap(), data);
        // A block count that disagrees with the size is refused.
        assert!(open(
            Cow::Owned(attr(4, 10 * 65536, &[])),
            Fork::new([&fork[..]]),
            1 << 20
        )
        .is_err());
    }

    #[test]
    fn offsets_table_with_lzvn_stored_blocks() {
        // Type 8 with two stored blocks (marker 6).
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let mut b0 = vec![6u8];
        b0.extend_from_slice(&data[..65536]);
        let mut b1 = vec![6u8];
        b1.extend_from_slice(&data[65536..]);
        let t = 12u32;
        let mut fork = t.to_le_bytes().to_vec();
        fork.extend_from_slice(&(t + b0.len() as u32).to_le_bytes());
        fork.extend_from_slice(&(t + (b0.len() + b1.len()) as u32).to_le_bytes());
        fork.extend_from_slice(&b0);
        fork.extend_from_slice(&b1);
        let o = open(
            Cow::Owned(attr(8, 70_000, &[])),
            Fork::new([&fork[..]]),
            1 << 20,
        )
        .unwrap();
        assert_eq!(read_all(o).unwrap(), data);
    }

    #[test]
    fn inline_lzfse_from_the_encoder_and_the_limit() {
        let text = b"lzfse inline data, lzfse inline data, lzfse inline data".repeat(20);
        let mut enc = Vec::new();
        lzfse_rust::encode_bytes(&text, &mut enc).unwrap();
        let a = attr(11, text.len() as u64, &enc);
        let o = open(Cow::Borrowed(&a), Fork::default(), 1 << 20).unwrap();
        assert_eq!(read_all(o).unwrap(), text);
        let e = open(Cow::Borrowed(&a), Fork::default(), 100).err().unwrap();
        assert_eq!(e.limit_hit(), Some(Limit::MaxBufferedEntry));
    }

    #[test]
    fn a_huge_declared_size_costs_nothing_until_read() {
        // 2^40 bytes declared, a fork of a handful: refused up front, no
        // table of 2^24 blocks read or allocated.
        let t = attr(8, 1 << 40, &[]);
        assert!(open(Cow::Borrowed(&t), Fork::new([&[8u8, 0, 0, 0][..]]), 1 << 20).is_err());
        assert!(matches!(
            open(Cow::Borrowed(&attr(5, 1, &[])), Fork::default(), 1),
            Err(e) if e.kind() == "unsupported"
        ));
    }
}
