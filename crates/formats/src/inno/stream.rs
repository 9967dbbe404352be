//! Inno Setup's byte-level building blocks: the setup data version, the
//! compressed block streams of setup-0, a bounded field reader, the chunk
//! decompressors of setup-1 and the x86 call-instruction filter.
//!
//! Facts from innoextract (`src/stream/block.cpp`, `chunk.cpp`,
//! `exefilter.hpp`, `src/setup/version.cpp`) and Inno Setup's own
//! `Shared.Struct.pas`; the code is ours.

use installsift_model::error::Error;
use installsift_model::limits::Limits;
use std::io::Read;

/// Size of the setup data ID that starts setup-0 (`TSetupID`).
pub(crate) const ID_LEN: usize = 64;
/// Size of the 1.2.10 legacy ID (`i1.2.10--32\x1a`).
pub(crate) const LEGACY_ID_LEN: usize = 12;
/// The ID's prefix.
pub(crate) const ID_PREFIX: &[u8] = b"Inno Setup Setup Data (";
/// The prefix of My Inno Setup Extensions (ISX) 3.0.4+ IDs.
pub(crate) const ISX_PREFIX: &[u8] = b"My Inno Setup Extensions Setup Data (";

/// An Inno Setup data version, `a.b.c.d`, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version(pub u32);

/// `v(a, b, c)` as a [`Version`].
pub(crate) const fn v(a: u32, b: u32, c: u32) -> Version {
    Version((a << 24) | (b << 16) | (c << 8))
}

/// `v4(a, b, c, d)` as a [`Version`].
pub(crate) const fn v4(a: u32, b: u32, c: u32, d: u32) -> Version {
    Version((a << 24) | (b << 16) | (c << 8) | d)
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        write!(f, "{}.{}.{}", x >> 24, (x >> 16) & 0xFF, (x >> 8) & 0xFF)?;
        if x & 0xFF != 0 {
            write!(f, ".{}", x & 0xFF)?;
        }
        Ok(())
    }
}

/// The parsed setup data ID: version and string/int variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataId {
    pub version: Version,
    /// Strings are UTF-16LE (`(u)` IDs, and every 6.3+ setup).
    pub unicode: bool,
    /// My Inno Setup Extensions (`with ISX (x)` or the ISX prefix).
    pub isx: bool,
    /// The 16-bit 1.2.10 variant: counts and some fields are 16 bits.
    pub bits16: bool,
    /// Bytes of the ID in the data (64, or 12 for the legacy form).
    pub len: usize,
    /// The ID text as stored (up to the first NUL).
    pub text: String,
}

/// Parse one `a.b.c[a][.d]` version of an ID (`4.0.0a`, `6.4.0.1`).
fn parse_version(t: &[u8]) -> Option<Version> {
    let mut parts = [0u32; 4];
    let mut n = 0;
    let mut i = 0;
    while n < 4 {
        let digits = t
            .get(i..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 3 {
            return None;
        }
        let x: u32 = std::str::from_utf8(t.get(i..i + digits)?)
            .ok()?
            .parse()
            .ok()?;
        if x > 255 {
            return None;
        }
        parts[n] = x;
        n += 1;
        i += digits;
        // A letter after the third part (`4.0.0a`) is a patch letter.
        if n == 3 && t.get(i) == Some(&b'a') {
            i += 1;
        }
        match t.get(i) {
            Some(b'.') => i += 1,
            Some(b')') | None => break,
            _ => return None,
        }
    }
    if n < 3 || t.get(i).is_some_and(|&c| c != b')') {
        return None;
    }
    Some(v4(parts[0], parts[1], parts[2], parts[3]))
}

/// Parse `Inno Setup Setup Data (5.6.0) (u)`, `… (1.3.21) with ISX
/// (1.3.24)`, `My Inno Setup Extensions Setup Data (3.0.4)` and the
/// 12-byte legacy `i1.2.10--16\x1a` (facts from innoextract's
/// `setup/version.cpp`: the version is the largest one in parentheses).
pub(crate) fn parse_id(id: &[u8]) -> Option<DataId> {
    if let Some(l) = parse_legacy_id(id) {
        return Some(l);
    }
    let id = id.get(..ID_LEN.min(id.len()))?;
    let end = id.iter().position(|&c| c == 0).unwrap_or(id.len());
    let text = id.get(..end)?;
    let (rest, isx_prefix) = if let Some(r) = text.strip_prefix(ID_PREFIX) {
        (r, false)
    } else {
        (text.strip_prefix(ISX_PREFIX)?, true)
    };
    // The first version follows the prefix; later `(x.y.z)` groups (ISX)
    // may be newer.
    let mut version = parse_version(rest)?;
    let mut at = 0;
    while let Some(k) = rest
        .get(at..)
        .and_then(|r| r.iter().position(|&c| c == b'('))
    {
        let from = at + k + 1;
        if let Some(x) = rest.get(from..).and_then(parse_version) {
            version = version.max(x);
        }
        at = from;
    }
    let tail = rest;
    let unicode = version >= v(6, 3, 0) || tail.windows(3).any(|w| w == b"(u)" || w == b"(U)");
    let isx = isx_prefix || tail.windows(8).any(|w| w == b"with ISX");
    Some(DataId {
        version,
        unicode,
        isx,
        bits16: false,
        len: ID_LEN,
        text: String::from_utf8_lossy(text).into_owned(),
    })
}

/// `i1.2.10--16\x1a` / `i1.2.10--32\x1a`: the setup data ID of 1.2.x.
fn parse_legacy_id(id: &[u8]) -> Option<DataId> {
    let t = id.get(..LEGACY_ID_LEN)?;
    if t[0] != b'i' || t[11] != 0x1a || t[2] != b'.' || t[4] != b'.' || &t[7..9] != b"--" {
        return None;
    }
    let bits16 = match &t[9..11] {
        b"16" => true,
        b"32" => false,
        _ => return None,
    };
    let d = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = t.get(r)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    let version = v(d(1..2)?, d(3..4)?, d(5..7)?);
    Some(DataId {
        version,
        unicode: false,
        isx: false,
        bits16,
        len: LEGACY_ID_LEN,
        text: String::from_utf8_lossy(&t[..11]).into_owned(),
    })
}

/// Does `data` start with something shaped like a setup data ID (cheap:
/// for sniffing)?
pub(crate) fn looks_like_id(data: &[u8]) -> bool {
    (data.starts_with(ID_PREFIX) || data.starts_with(ISX_PREFIX) || data.first() == Some(&b'i'))
        && parse_id(data).is_some()
}

/// Setup data 6.5+ put a CRC32 and a 49-byte `TSetupEncryptionHeader`
/// between the ID and the first block (issrc `Shared.Struct.pas`, tag
/// is-6_5_0).
pub(crate) const ENCRYPTION_HEADER: usize = 49;

/// Where the first block header of setup-0 starts, after the ID (and the
/// encryption header of 6.5+).
pub(crate) fn first_block_at(id: &DataId) -> usize {
    if id.version >= v(6, 5, 0) {
        id.len + 4 + ENCRYPTION_HEADER
    } else {
        id.len
    }
}

/// Bytes of a block stream header (4.0.9 to 6.6): CRC32, stored size
/// (u32), compressed flag.
pub(crate) const BLOCK_HEADER: usize = 9;
/// Before 4.0.9: CRC32, compressed size (`0xFFFFFFFF`: stored), size.
pub(crate) const BLOCK_HEADER_OLD: usize = 12;
/// From setup data 6.7.0 on, the stored size is an Int64 (issrc
/// `TCompressedBlockHeader`, tag is-6_7_0).
pub(crate) const BLOCK_HEADER_WIDE: usize = 13;

/// The block header size of this setup data version.
pub(crate) fn block_header_len(ver: Version) -> usize {
    if ver >= v(6, 7, 0) {
        BLOCK_HEADER_WIDE
    } else if ver >= v(4, 0, 9) {
        BLOCK_HEADER
    } else {
        BLOCK_HEADER_OLD
    }
}
/// Payload bytes per CRC'd chunk of a block stream.
const BLOCK_CHUNK: usize = 4096;

/// One block stream of setup-0: where it ends and its decoded bytes.
pub(crate) struct Block {
    /// Offset just past the stream in the buffer it was read from.
    pub end: usize,
    /// Compressed (LZMA1 from 4.1.6 on, zlib before), else stored.
    pub compressed: bool,
    /// Decoded bytes (at most the cap given to [`read_block`]).
    pub data: Vec<u8>,
    /// CRC32s checked: the header's and one per 4 KiB chunk.
    pub crcs: usize,
}

/// Is there a block header of `len` bytes with a valid CRC at `at`?
pub(crate) fn block_header_ok(data: &[u8], at: usize, len: usize) -> bool {
    match data.get(at..at.saturating_add(len)) {
        Some(h) if h.len() == len && len > 4 => {
            crate::le_u32(h, 0) == Some(crc32fast::hash(&h[4..]))
        }
        _ => false,
    }
}

/// The stored size and compression of a block header whose CRC matched.
fn block_size(head: &[u8], ver: Version) -> Option<(u64, bool)> {
    let u = |o| crate::le_u32(head, o);
    if ver >= v(6, 7, 0) {
        Some((crate::le_u64(head, 4)?, *head.get(12)? != 0))
    } else if ver >= v(4, 0, 9) {
        Some((u64::from(u(4)?), *head.get(8)? != 0))
    } else {
        let (compressed, size) = (u(4)?, u(8)?);
        let (n, c) = if compressed == u32::MAX {
            (u64::from(size), false)
        } else {
            (u64::from(compressed), true)
        };
        // The stored size excludes the CRC of each 4 KiB chunk.
        Some((n + n.div_ceil(BLOCK_CHUNK as u64) * 4, c))
    }
}

/// Walk the block stream at `at`: check its header CRC and every 4 KiB
/// chunk's CRC, handing each chunk (without its CRC) to `each`: where the
/// stream ends, its stored size, whether it is compressed, and the number
/// of CRCs that matched.
fn walk_block(
    data: &[u8],
    at: usize,
    ver: Version,
    mut each: impl FnMut(&[u8]),
) -> Result<(usize, u64, bool, usize), Error> {
    let hlen = block_header_len(ver);
    let head = data
        .get(at..at.saturating_add(hlen))
        .filter(|h| h.len() == hlen)
        .ok_or_else(|| Error::truncated(format!("block header at {at:#x} cut short")))?;
    let crc = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let actual = crc32fast::hash(&head[4..]);
    if actual != crc {
        return Err(Error::checksum(format!(
            "block header at {at:#x}: CRC32 {actual:#010x}, stored {crc:#010x}"
        )));
    }
    let (stored, compressed) =
        block_size(head, ver).ok_or_else(|| Error::malformed("block header"))?;
    let body_at = at + hlen;
    let body = usize::try_from(stored)
        .ok()
        .and_then(|n| data.get(body_at..body_at.checked_add(n)?))
        .ok_or_else(|| {
            Error::truncated(format!(
                "block at {at:#x} declares {stored} bytes, only {} left",
                data.len().saturating_sub(body_at)
            ))
        })?;
    let mut n = 1;
    for (i, c) in body.chunks(4 + BLOCK_CHUNK).enumerate() {
        let (want, chunk) = c.split_at(c.len().min(4));
        if chunk.is_empty() {
            return Err(Error::malformed(format!(
                "block at {at:#x}: {} stray bytes at its end",
                c.len()
            )));
        }
        let want = u32::from_le_bytes([want[0], want[1], want[2], want[3]]);
        let got = crc32fast::hash(chunk);
        if got != want {
            return Err(Error::checksum(format!(
                "block at {at:#x}: chunk {i} fails its CRC32 ({got:#010x}, stored {want:#010x})"
            )));
        }
        each(chunk);
        n += 1;
    }
    Ok((body_at + body.len(), stored, compressed, n))
}

/// Check the CRCs of the block stream at `at` (header and every 4 KiB
/// chunk) without decoding it: the number of CRCs that matched.
pub(crate) fn check_block(data: &[u8], at: usize, ver: Version) -> Result<usize, Error> {
    walk_block(data, at, ver, |_| {}).map(|(_, _, _, n)| n)
}

/// [`check_block`], also giving where the stream ends.
pub(crate) fn walk_crcs(data: &[u8], at: usize, ver: Version) -> Result<(usize, usize), Error> {
    walk_block(data, at, ver, |_| {}).map(|(end, _, _, n)| (end, n))
}

/// Read the block stream at `at`, checking the header CRC and every
/// 4096-byte chunk's CRC. Compressed blocks are LZMA1 from 4.1.6 on and
/// zlib before (innoextract `stream/block.cpp`). The decoded size is
/// bounded by `max_entry_size` and by `max_ratio` times the stored size
/// (past `ratio_floor`): the header is held in memory to be parsed.
pub(crate) fn read_block(
    data: &[u8],
    at: usize,
    ver: Version,
    limits: &Limits,
) -> Result<Block, Error> {
    // The chunks without their CRCs; never larger than the stored body.
    let mut raw = Vec::new();
    let (end, stored, compressed, crcs) = walk_block(data, at, ver, |c| raw.extend_from_slice(c))?;
    let by_ratio = stored
        .saturating_mul(limits.max_ratio)
        .max(limits.ratio_floor);
    let (cap, limit) = if by_ratio < limits.max_entry_size {
        (by_ratio, installsift_model::limits::Limit::MaxRatio)
    } else {
        (
            limits.max_entry_size,
            installsift_model::limits::Limit::MaxEntrySize,
        )
    };
    let data = if compressed {
        let mut out = Vec::new();
        let reader: Box<dyn Read + '_> = if ver >= v(4, 1, 6) {
            lzma1(&raw, cap)?
        } else {
            Box::new(flate2::read::ZlibDecoder::new(raw.as_slice()))
        };
        let mut r = reader.take(cap.saturating_add(1));
        r.read_to_end(&mut out).map_err(|e| {
            Error::malformed(format!(
                "block at {at:#x}: {}: {e} after {} bytes",
                if ver >= v(4, 1, 6) { "LZMA" } else { "zlib" },
                out.len()
            ))
        })?;
        if out.len() as u64 > cap {
            return Err(Error::limit(
                limit,
                format!("setup-0 block at {at:#x} ({stored} bytes) decodes to more than {cap}"),
            ));
        }
        out
    } else {
        if raw.len() as u64 > cap {
            return Err(Error::limit(
                installsift_model::limits::Limit::MaxEntrySize,
                format!("setup-0 block at {at:#x} holds more than {cap} bytes"),
            ));
        }
        raw
    };
    Ok(Block {
        end,
        compressed,
        data,
        crcs,
    })
}

/// An LZMA1 decoder for Inno's layout: 5 property bytes, then the raw
/// stream (no size). The dictionary allocated is capped by `cap`: no stream
/// can refer further back than the bytes we accept to decode.
pub(crate) fn lzma1(data: &[u8], cap: u64) -> Result<Box<dyn Read + '_>, Error> {
    let (Some(&props), Some(dict)) = (data.first(), crate::le_u32(data, 1)) else {
        return Err(Error::truncated("LZMA properties cut short"));
    };
    let rest = data.get(5..).unwrap_or(&[]);
    let dict = dict.clamp(4096, u32::try_from(cap.max(4096)).unwrap_or(u32::MAX));
    crate::lzma::LzmaReader::lzma(props, dict, rest)
        .map(|r| Box::new(r) as Box<dyn Read + '_>)
        .map_err(|e| Error::malformed(format!("LZMA decoder: {e}")))
}

/// An LZMA2 decoder for Inno's layout: one dictionary-size byte, then the
/// raw LZMA2 chunks.
fn lzma2(data: &[u8], cap: u64) -> Result<Box<dyn Read + '_>, Error> {
    let Some((&p, rest)) = data.split_first() else {
        return Err(Error::truncated("LZMA2 property byte missing"));
    };
    if p > 40 {
        return Err(Error::malformed(format!("LZMA2 dictionary property {p}")));
    }
    crate::lzma::LzmaReader::lzma2(p, cap.max(4096), rest)
        .map(|r| Box::new(r) as Box<dyn Read + '_>)
        .map_err(|e| Error::malformed(format!("LZMA2 decoder: {e}")))
}

/// How a setup-1 chunk is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Stored,
    Zlib,
    Bzip2,
    Lzma1,
    Lzma2,
}

impl Method {
    /// The header's `compression` byte, numbered as this data version
    /// numbers it (innoextract `setup/header.cpp`: four enum maps).
    pub(crate) fn from_byte(b: u8, ver: Version) -> Option<Method> {
        use Method::*;
        let map: &[Method] = if ver >= v(5, 3, 9) {
            &[Stored, Zlib, Bzip2, Lzma1, Lzma2]
        } else if ver >= v(4, 2, 6) {
            &[Stored, Zlib, Bzip2, Lzma1]
        } else if ver >= v(4, 2, 5) {
            &[Stored, Bzip2, Lzma1]
        } else {
            &[Zlib, Bzip2, Lzma1]
        };
        map.get(usize::from(b)).copied()
    }

    /// Name used in reports (the `Compression` directive's word).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Stored => "stored",
            Method::Zlib => "zlib",
            Method::Bzip2 => "bzip2",
            Method::Lzma1 => "lzma",
            Method::Lzma2 => "lzma2",
        }
    }
}

/// A decoder for one chunk's compressed bytes (after the `zlb\x1a` magic).
pub(crate) fn chunk_reader(
    method: Method,
    data: &[u8],
    cap: u64,
) -> Result<Box<dyn Read + '_>, Error> {
    Ok(match method {
        Method::Stored => Box::new(data),
        Method::Zlib => Box::new(flate2::read::ZlibDecoder::new(data)),
        Method::Bzip2 => Box::new(bzip2::read::BzDecoder::new(data)),
        Method::Lzma1 => lzma1(data, cap)?,
        Method::Lzma2 => lzma2(data, cap)?,
    })
}

/// A decoder for one chunk's compressed bytes coming from a stream (an
/// encrypted chunk's decryption): LZMA through `lzma-rust2`'s stream
/// readers (our SDK decoder reads a slice), with the same dictionary bound.
pub(crate) fn chunk_stream_reader<'a, R: Read + 'a>(
    method: Method,
    mut r: R,
    cap: u64,
) -> Result<Box<dyn Read + 'a>, Error> {
    let cap32 = u32::try_from(cap.max(4096)).unwrap_or(u32::MAX);
    Ok(match method {
        Method::Stored => Box::new(r),
        Method::Zlib => Box::new(flate2::read::ZlibDecoder::new(r)),
        Method::Bzip2 => Box::new(bzip2::read::BzDecoder::new(r)),
        Method::Lzma1 => {
            let mut p = [0u8; 5];
            r.read_exact(&mut p)
                .map_err(|_| Error::truncated("LZMA properties cut short"))?;
            let [props, d0, d1, d2, d3] = p;
            if props >= 9 * 5 * 5 {
                return Err(Error::malformed(format!(
                    "LZMA decoder: properties byte {props:#04x} is invalid"
                )));
            }
            let dict = u32::from_le_bytes([d0, d1, d2, d3]).clamp(4096, cap32.max(4096));
            // Size unknown: the stream ends at its end marker or input.
            let lz = lzma_rust2::LzmaReader::new_with_props(r, u64::MAX, props, dict, None)
                .map_err(|e| Error::malformed(format!("LZMA decoder: {e}")))?;
            Box::new(lz)
        }
        Method::Lzma2 => {
            let mut p = [0u8; 1];
            r.read_exact(&mut p)
                .map_err(|_| Error::truncated("LZMA2 property byte missing"))?;
            let [p] = p;
            if p > 40 {
                return Err(Error::malformed(format!("LZMA2 dictionary property {p}")));
            }
            let size = if p == 40 {
                u32::MAX
            } else {
                (2u32 | u32::from(p & 1)) << (p / 2 + 11)
            };
            Box::new(lzma_rust2::Lzma2Reader::new(r, size.min(cap32), None))
        }
    })
}

/// Which x86 call-instruction filter a data entry's bytes went through
/// (innoextract `stream/exefilter.hpp`; the code is ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallFilter {
    /// 4.1.8 to 5.1.x: every E8/E9 operand made absolute, 32-bit.
    V4108,
    /// 5.2.0 to 5.3.8: 24-bit operands, in 64 KiB blocks.
    V5200,
    /// 5.3.9+: as 5.2.0, and the high byte flipped for backward targets.
    V5309,
}

impl CallFilter {
    /// The filter of a data entry with `CallInstructionOptimized`.
    pub(crate) fn for_version(ver: Version) -> CallFilter {
        if ver < v(5, 2, 0) {
            CallFilter::V4108
        } else if ver < v(5, 3, 9) {
            CallFilter::V5200
        } else {
            CallFilter::V5309
        }
    }

    /// Undo the filter over a whole file, in place.
    pub(crate) fn undo(self, buf: &mut [u8]) {
        match self {
            CallFilter::V4108 => unfilter_4108(buf),
            CallFilter::V5200 => unfilter_calls(buf, false),
            CallFilter::V5309 => unfilter_calls(buf, true),
        }
    }
}

/// 4.1.8's filter: after each E8/E9 byte, the next four bytes (a 32-bit
/// little-endian operand) had the position just past them added.
fn unfilter_4108(buf: &mut [u8]) {
    let mut i = 0usize;
    while i < buf.len() {
        let b = buf[i];
        i += 1;
        if b != 0xE8 && b != 0xE9 {
            continue;
        }
        // The operand's bytes that exist are translated (a cut tail too,
        // as the decoder does byte by byte).
        let pos = (i as u32).wrapping_add(4);
        let mut addr = pos.wrapping_neg();
        for k in 0..4 {
            let Some(x) = buf.get_mut(i + k) else {
                return;
            };
            addr = addr.wrapping_add(u32::from(*x));
            *x = addr as u8;
            addr >>= 8;
        }
        i += 4;
    }
}

/// Undo the 5.2.0+ x86 call/jump filter in place (with the high-byte flip
/// from 5.3.9 on): the 24-bit relative address after each E8/E9 byte was
/// made absolute, in 64 KiB blocks.
pub(crate) fn unfilter_calls(buf: &mut [u8], flip: bool) {
    const BLOCK: usize = 0x10000;
    let mut i = 0usize;
    while i < buf.len() {
        let b = buf[i];
        i += 1;
        if b != 0xE8 && b != 0xE9 {
            continue;
        }
        if BLOCK - ((i - 1) % BLOCK) < 5 {
            // Instructions spanning blocks are left alone.
            continue;
        }
        let Some(addr) = buf.get_mut(i..i + 4) else {
            // Fewer than four bytes left: copied as they are.
            break;
        };
        if addr[3] == 0x00 || addr[3] == 0xFF {
            let pos = ((i + 4) as u32) & 0x00FF_FFFF;
            let rel = (u32::from(addr[0]) | (u32::from(addr[1]) << 8) | (u32::from(addr[2]) << 16))
                .wrapping_sub(pos);
            addr[0] = rel as u8;
            addr[1] = (rel >> 8) as u8;
            addr[2] = (rel >> 16) as u8;
            if flip && rel & 0x0080_0000 != 0 {
                addr[3] = !addr[3];
            }
        }
        i += 4;
    }
}

/// A bounded little-endian field reader over decoded setup-0 bytes.
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Fields { data, pos: 0 }
    }

    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let Some(end) = end else {
            return Err(Error::truncated(format!(
                "{what}: {n} bytes wanted at {:#x} of a {}-byte header",
                self.pos,
                self.data.len()
            )));
        };
        let s = self.data.get(self.pos..end).unwrap_or(&[]);
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn skip(&mut self, n: usize, what: &str) -> Result<(), Error> {
        self.bytes(n, what).map(|_| ())
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, Error> {
        Ok(self.bytes(1, what)?[0])
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, Error> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self, what: &str) -> Result<u64, Error> {
        let b = self.bytes(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A length-prefixed byte string (borrowed: never allocated from the
    /// length, which is checked against the bytes left).
    pub(crate) fn raw_string(&mut self, what: &str) -> Result<&'a [u8], Error> {
        let n = self.u32(what)? as usize;
        self.bytes(n, what)
    }

    /// A 16-bit or 32-bit unsigned count/field (16-bit 1.2.10 setups store
    /// some fields in 16 bits).
    pub(crate) fn int(&mut self, bits16: bool, what: &str) -> Result<u32, Error> {
        if bits16 {
            let b = self.bytes(2, what)?;
            Ok(u32::from(u16::from_le_bytes([b[0], b[1]])))
        } else {
            self.u32(what)
        }
    }

    /// Bytes left.
    pub(crate) fn left(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// A flag set of `count` flags: `ceil(count / 8)` bytes, 3 padded to 4
    /// (Delphi set layout). Returns the bits, flag 0 lowest.
    pub(crate) fn flags(&mut self, count: usize, what: &str) -> Result<u64, Error> {
        self.flags_pad(count, true, what)
    }

    /// [`Fields::flags`], with the 3-to-4 padding only when `pad32` (the
    /// 16-bit compiler does not pad).
    pub(crate) fn flags_pad(
        &mut self,
        count: usize,
        pad32: bool,
        what: &str,
    ) -> Result<u64, Error> {
        let mut n = count.div_ceil(8);
        if n == 3 && pad32 {
            n = 4;
        }
        let b = self.bytes(n, what)?;
        let mut x = 0u64;
        for (i, &byte) in b.iter().take(8).enumerate() {
            x |= u64::from(byte) << (8 * i);
        }
        Ok(x)
    }
}

/// Decode a stored string: UTF-16LE in Unicode setups, else Windows-1252
/// (the codepage of most ANSI setups; see [`decode_ansi`]).
pub(crate) fn decode(raw: &[u8], unicode: bool) -> String {
    if unicode {
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        decode_ansi(raw, 1252)
    }
}

/// Decode an ANSI string in a Windows codepage (ANSI setups store the
/// codepage of each language; innoextract decodes with the first one, or
/// 1252 when any language uses it). Unknown codepages decode as 1252.
pub(crate) fn decode_ansi(raw: &[u8], codepage: u32) -> String {
    let label: &[u8] = match codepage {
        874 => b"windows-874",
        932 => b"shift_jis",
        936 => b"gbk",
        949 => b"euc-kr",
        950 => b"big5",
        1250 => b"windows-1250",
        1251 => b"windows-1251",
        1253 => b"windows-1253",
        1254 => b"windows-1254",
        1255 => b"windows-1255",
        1256 => b"windows-1256",
        1257 => b"windows-1257",
        1258 => b"windows-1258",
        20866 => b"koi8-r",
        _ => b"windows-1252",
    };
    let enc = encoding_rs::Encoding::for_label(label).unwrap_or(encoding_rs::WINDOWS_1252);
    enc.decode_without_bom_handling(raw).0.into_owned()
}

/// The ANSI codepage of a Windows language ID, for setups before 4.2.2
/// that store no codepage (facts: the language's default ANSI codepage,
/// as innoextract's table has them).
pub(crate) fn codepage_for_language(id: u32) -> u32 {
    match id {
        0x0404 | 0x0C04 | 0x1404 => return 950,
        0x0804 | 0x1004 => return 936,
        _ => {}
    }
    match id & 0x3FF {
        0x01 | 0x20 | 0x29 => 1256,
        0x02 | 0x19 | 0x22 | 0x23 | 0x2F | 0x44 | 0x50 => 1251,
        0x05 | 0x0E | 0x15 | 0x18 | 0x1B | 0x24 | 0x1C => 1250,
        0x1A => {
            if matches!(id, 0x0C1A | 0x1C1A) {
                1251
            } else {
                1250
            }
        }
        0x08 => 1253,
        0x0D => 1255,
        0x11 => 932,
        0x12 => 949,
        0x1E => 874,
        0x1F | 0x2C | 0x43 => 1254,
        0x25..=0x27 => 1257,
        0x2A => 1258,
        _ => 1252,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse() {
        let id = parse_id(b"Inno Setup Setup Data (5.6.0) (u)\0\0").unwrap();
        assert_eq!((id.version, id.unicode), (v(5, 6, 0), true));
        let id = parse_id(b"Inno Setup Setup Data (6.3.0)").unwrap();
        assert_eq!((id.version, id.unicode), (v(6, 3, 0), true));
        let id = parse_id(b"Inno Setup Setup Data (5.5.0)").unwrap();
        assert!(!id.unicode);
        assert_eq!(id.len, ID_LEN);
        assert_eq!(
            parse_id(b"Inno Setup Setup Data (6.4.0.1)")
                .unwrap()
                .version,
            v4(6, 4, 0, 1)
        );
        assert_eq!(v4(6, 4, 0, 1).to_string(), "6.4.0.1");
        // Patch letters, ISX (the newest version in parentheses wins).
        assert_eq!(
            parse_id(b"Inno Setup Setup Data (4.0.0a)").unwrap().version,
            v(4, 0, 0)
        );
        let id = parse_id(b"Inno Setup Setup Data (2.0.8) with ISX (2.0.10)").unwrap();
        assert_eq!((id.version, id.isx, id.unicode), (v(2, 0, 10), true, false));
        let id = parse_id(b"My Inno Setup Extensions Setup Data (3.0.6.1)").unwrap();
        assert_eq!((id.version, id.isx), (v4(3, 0, 6, 1), true));
        // The 12-byte legacy IDs of 1.2.10.
        let id = parse_id(b"i1.2.10--16\x1a and more").unwrap();
        assert_eq!((id.version, id.bits16, id.len), (v(1, 2, 10), true, 12));
        let id = parse_id(b"i1.2.10--32\x1a").unwrap();
        assert!(!id.bits16);
        assert!(parse_id(b"i1.2.10--64\x1a").is_none());
        assert!(parse_id(b"Inno Setup Setup Data (6)").is_none());
        assert!(parse_id(b"Inno Setup Setup Data (999.1.1)").is_none());
        assert!(parse_id(b"Inno Setup Setup Data (1.2.3.4.5)").is_none());
        assert!(parse_id(b"nope").is_none());
    }

    /// A block as 1.2.10–4.0.8 write it: CRC, compressed size, size, then
    /// zlib data in CRC'd 4 KiB chunks; and stored (`0xFFFFFFFF`).
    #[test]
    fn old_blocks_are_zlib_or_stored() {
        use std::io::Write;
        let plain: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&plain).unwrap();
        let comp = z.finish().unwrap();
        let frame = |body: &[u8], csize: u32, usize_: u32| {
            let mut h = Vec::new();
            h.extend_from_slice(&csize.to_le_bytes());
            h.extend_from_slice(&usize_.to_le_bytes());
            let mut out = crc32fast::hash(&h).to_le_bytes().to_vec();
            out.extend_from_slice(&h);
            for c in body.chunks(4096) {
                out.extend_from_slice(&crc32fast::hash(c).to_le_bytes());
                out.extend_from_slice(c);
            }
            out
        };
        let l = Limits::default();
        let d = frame(&comp, comp.len() as u32, plain.len() as u32);
        let b = read_block(&d, 0, v(4, 0, 5), &l).unwrap();
        assert_eq!(
            (b.data.as_slice(), b.compressed, b.end),
            (plain.as_slice(), true, d.len())
        );
        let d = frame(&plain, u32::MAX, plain.len() as u32);
        let b = read_block(&d, 0, v(1, 3, 21), &l).unwrap();
        assert_eq!((b.data, b.compressed, b.crcs), (plain.clone(), false, 4));
        // A flipped byte fails its chunk CRC: a checksum error.
        let mut bad = d.clone();
        bad[5000] ^= 1;
        assert!(matches!(
            read_block(&bad, 0, v(1, 3, 21), &l),
            Err(Error::Checksum { .. })
        ));
        // 4.0.9–4.1.5: the 9-byte header with zlib data.
        let mut h = (comp.len() as u32 + 4 * comp.len().div_ceil(4096) as u32)
            .to_le_bytes()
            .to_vec();
        h.push(1);
        let mut d = crc32fast::hash(&h).to_le_bytes().to_vec();
        d.extend_from_slice(&h);
        for c in comp.chunks(4096) {
            d.extend_from_slice(&crc32fast::hash(c).to_le_bytes());
            d.extend_from_slice(c);
        }
        assert_eq!(read_block(&d, 0, v(4, 1, 5), &l).unwrap().data, plain);
    }

    /// 4.1.8's filter added the position after the operand to all four
    /// bytes of every E8/E9 operand.
    #[test]
    fn call_filter_4108_round_trip() {
        let mut orig = vec![0x90u8; 30];
        orig[2] = 0xE8;
        orig[3..7].copy_from_slice(&(-100i32).to_le_bytes());
        orig[10] = 0xE9;
        orig[11..15].copy_from_slice(&0x12345i32.to_le_bytes());
        orig[27] = 0xE8; // cut operand: its three bytes are translated
        let mut enc = orig.clone();
        let mut i = 0;
        while i < enc.len() {
            let b = enc[i];
            i += 1;
            if b == 0xE8 || b == 0xE9 {
                let mut x = [0u8; 4];
                let n = (enc.len() - i).min(4);
                x[..n].copy_from_slice(&enc[i..i + n]);
                let y = u32::from_le_bytes(x)
                    .wrapping_add(i as u32 + 4)
                    .to_le_bytes();
                enc[i..i + n].copy_from_slice(&y[..n]);
                i += 4;
            }
        }
        assert_ne!(enc, orig);
        CallFilter::V4108.undo(&mut enc);
        assert_eq!(enc, orig);
    }

    #[test]
    fn compression_bytes_are_numbered_by_version() {
        assert_eq!(Method::from_byte(0, v(5, 5, 0)), Some(Method::Stored));
        assert_eq!(Method::from_byte(4, v(5, 5, 0)), Some(Method::Lzma2));
        assert_eq!(Method::from_byte(4, v(5, 3, 8)), None);
        assert_eq!(Method::from_byte(1, v(4, 2, 5)), Some(Method::Bzip2));
        assert_eq!(Method::from_byte(0, v(4, 1, 5)), Some(Method::Zlib));
        assert_eq!(Method::from_byte(2, v(4, 2, 0)), Some(Method::Lzma1));
    }

    #[test]
    fn call_filter_round_trip() {
        // Encode like the compiler: absolute = relative + position (24 bits).
        let mut orig = vec![0x90u8; 40];
        orig[3] = 0xE8;
        orig[4..8].copy_from_slice(&(-16i32).to_le_bytes());
        orig[20] = 0xE9;
        orig[21..25].copy_from_slice(&0x100i32.to_le_bytes());
        let mut enc = orig.clone();
        let mut i = 0;
        while i < enc.len() {
            let b = enc[i];
            i += 1;
            if (b == 0xE8 || b == 0xE9) && i + 4 <= enc.len() {
                let hi = enc[i + 3];
                if hi == 0 || hi == 0xFF {
                    let rel = u32::from_le_bytes([enc[i], enc[i + 1], enc[i + 2], 0]);
                    let abs = rel.wrapping_add((i + 4) as u32);
                    if rel & 0x80_0000 != 0 {
                        enc[i + 3] = !hi;
                    }
                    enc[i] = abs as u8;
                    enc[i + 1] = (abs >> 8) as u8;
                    enc[i + 2] = (abs >> 16) as u8;
                }
                i += 4;
            }
        }
        assert_ne!(enc, orig);
        CallFilter::V5309.undo(&mut enc);
        assert_eq!(enc, orig);
        // Truncated tails and empty buffers are fine.
        let mut t = vec![0xE8, 1, 2];
        unfilter_calls(&mut t, true);
        unfilter_calls(&mut [], false);
        CallFilter::V4108.undo(&mut t);
    }

    #[test]
    fn fields_are_bounded() {
        let mut f = Fields::new(&[5, 0, 0, 0, b'a']);
        assert!(f.raw_string("s").is_err());
        let mut f = Fields::new(&[0xFF, 0xFF, 0xFF, 0xFF]);
        assert!(f.raw_string("s").is_err());
        let mut f = Fields::new(&[1, 2, 3, 4]);
        assert_eq!(f.flags(17, "f").unwrap(), 0x0403_0201);
        assert!(f.u8("x").is_err());
    }

    #[test]
    fn block_crc_checked() {
        let mut b = vec![0u8; 9];
        b[8] = 0;
        let l = Limits::default();
        assert!(read_block(&b, 0, v(5, 5, 0), &l).is_err());
        let crc = crc32fast::hash(&[0, 0, 0, 0, 0]);
        b[..4].copy_from_slice(&crc.to_le_bytes());
        let blk = read_block(&b, 0, v(5, 5, 0), &l).unwrap();
        assert!(blk.data.is_empty());
        assert_eq!(blk.end, 9);
    }
}
