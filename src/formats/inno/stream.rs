//! Inno Setup's byte-level building blocks: the setup data version, the
//! compressed block streams of setup-0, a bounded field reader, the chunk
//! decompressors of setup-1 and the x86 call-instruction filter.
//!
//! Facts from innoextract (`src/stream/block.cpp`, `chunk.cpp`,
//! `exefilter.hpp`, `src/setup/version.cpp`) and Inno Setup's own
//! `Shared.Struct.pas`; the code is ours.

use crate::error::Error;
use crate::limits::Limits;
use std::io::Read;

/// Size of the setup data ID that starts setup-0 (`TSetupID`).
pub(crate) const ID_LEN: usize = 64;
/// The ID's prefix.
pub(crate) const ID_PREFIX: &[u8] = b"Inno Setup Setup Data (";

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

/// The parsed setup data ID: version and whether strings are UTF-16.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataId {
    pub version: Version,
    pub unicode: bool,
    /// The ID text as stored (up to the first NUL).
    pub text: String,
}

/// Parse `Inno Setup Setup Data (5.6.0) (u)` and its variants.
pub(crate) fn parse_id(id: &[u8]) -> Option<DataId> {
    let id = id.get(..ID_LEN.min(id.len()))?;
    let end = id.iter().position(|&c| c == 0).unwrap_or(id.len());
    let text = id.get(..end)?;
    let rest = text.strip_prefix(ID_PREFIX)?;
    let close = rest.iter().position(|&c| c == b')')?;
    let mut parts = [0u32; 4];
    let mut n = 0;
    for p in rest.get(..close)?.split(|&c| c == b'.') {
        if n >= 4 || p.is_empty() || p.len() > 3 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let x: u32 = std::str::from_utf8(p).ok()?.parse().ok()?;
        if x > 255 {
            return None;
        }
        parts[n] = x;
        n += 1;
    }
    if n < 3 {
        return None;
    }
    let version = v4(parts[0], parts[1], parts[2], parts[3]);
    let tail = rest.get(close + 1..).unwrap_or(&[]);
    let unicode = version >= v(6, 3, 0) || tail.windows(3).any(|w| w == b"(u)" || w == b"(U)");
    Some(DataId {
        version,
        unicode,
        text: String::from_utf8_lossy(text).into_owned(),
    })
}

/// Bytes of a block stream header: CRC32, stored size (u32), compressed flag.
pub(crate) const BLOCK_HEADER: usize = 9;
/// From setup data 6.7.0 on, the stored size is an Int64 (issrc
/// `TCompressedBlockHeader`, tag is-6_7_0).
pub(crate) const BLOCK_HEADER_WIDE: usize = 13;

/// The block header size of this setup data version.
pub(crate) fn block_header_len(ver: Version) -> usize {
    if ver >= v(6, 7, 0) {
        BLOCK_HEADER_WIDE
    } else {
        BLOCK_HEADER
    }
}
/// Payload bytes per CRC'd chunk of a block stream.
const BLOCK_CHUNK: usize = 4096;

/// One block stream of setup-0: where it ends and its decoded bytes.
pub(crate) struct Block {
    /// Offset just past the stream in the buffer it was read from.
    pub end: usize,
    /// LZMA-compressed (else stored).
    pub compressed: bool,
    /// Decoded bytes (at most the cap given to [`read_block`]).
    pub data: Vec<u8>,
}

/// Is there a block header of `len` bytes with a valid CRC at `at`?
pub(crate) fn block_header_ok(data: &[u8], at: usize, len: usize) -> bool {
    match data.get(at..at.saturating_add(len)) {
        Some(h) if h.len() == len && len > 4 => {
            crate::formats::le_u32(h, 0) == Some(crc32fast::hash(&h[4..]))
        }
        _ => false,
    }
}

/// Read the block stream at `at` (Inno 4.1.6+: LZMA1 or stored), checking
/// the header CRC and every 4096-byte chunk's CRC. The decoded size is
/// bounded by `max_entry_size` and by `max_ratio` times the stored size
/// (past `ratio_floor`): the header is held in memory to be parsed.
pub(crate) fn read_block(data: &[u8], at: usize, limits: &Limits) -> Result<Block, Error> {
    let head = data
        .get(at..at.saturating_add(BLOCK_HEADER))
        .filter(|h| h.len() == BLOCK_HEADER)
        .ok_or_else(|| Error::truncated(format!("block header at {at:#x} cut short")))?;
    let crc = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let stored = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let flag = head[8];
    let actual = crc32fast::hash(&head[4..]);
    if actual != crc {
        return Err(Error::malformed(format!(
            "block header at {at:#x}: CRC32 {actual:#010x}, stored {crc:#010x}"
        )));
    }
    let body_at = at + BLOCK_HEADER;
    let end = body_at
        .checked_add(stored)
        .filter(|&e| e <= data.len())
        .ok_or_else(|| {
            Error::truncated(format!(
                "block at {at:#x} declares {stored} bytes, only {} left",
                data.len().saturating_sub(body_at)
            ))
        })?;
    let body = data.get(body_at..end).unwrap_or(&[]);
    // Strip the per-chunk CRCs; the result is never larger than the body.
    let mut raw = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        if rest.len() <= 4 {
            return Err(Error::malformed(format!(
                "block at {at:#x}: {} stray bytes at its end",
                rest.len()
            )));
        }
        let (c, tail) = rest.split_at(4);
        let n = tail.len().min(BLOCK_CHUNK);
        let (chunk, after) = tail.split_at(n);
        let want = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        if crc32fast::hash(chunk) != want {
            return Err(Error::malformed(format!(
                "block at {at:#x}: chunk {} fails its CRC32",
                raw.len() / BLOCK_CHUNK
            )));
        }
        raw.extend_from_slice(chunk);
        rest = after;
    }
    let compressed = flag != 0;
    let by_ratio = (stored as u64)
        .saturating_mul(limits.max_ratio)
        .max(limits.ratio_floor);
    let (cap, limit) = if by_ratio < limits.max_entry_size {
        (by_ratio, "max_ratio")
    } else {
        (limits.max_entry_size, "max_entry_size")
    };
    let data = if compressed {
        let mut out = Vec::new();
        let mut r = lzma1(&raw, cap)?.take(cap.saturating_add(1));
        r.read_to_end(&mut out).map_err(|e| {
            Error::malformed(format!(
                "block at {at:#x}: LZMA: {e} after {} bytes",
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
                "max_entry_size",
                format!("setup-0 block at {at:#x} holds more than {cap} bytes"),
            ));
        }
        raw
    };
    Ok(Block {
        end,
        compressed,
        data,
    })
}

/// An LZMA1 decoder for Inno's layout: 5 property bytes, then the raw
/// stream (no size). The dictionary allocated is capped by `cap`: no stream
/// can refer further back than the bytes we accept to decode.
pub(crate) fn lzma1(data: &[u8], cap: u64) -> Result<Box<dyn Read + '_>, Error> {
    let (Some(&props), Some(dict)) = (data.first(), crate::formats::le_u32(data, 1)) else {
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
    /// The header's `compression` byte (5.3.9+ numbering).
    pub(crate) fn from_byte(b: u8) -> Option<Method> {
        Some(match b {
            0 => Method::Stored,
            1 => Method::Zlib,
            2 => Method::Bzip2,
            3 => Method::Lzma1,
            4 => Method::Lzma2,
            _ => return None,
        })
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

/// Undo Inno 5.3.9+'s x86 call/jump filter in place (innoextract's
/// `inno_exe_decoder_5200` with the high-byte flip): the 24-bit relative
/// address after each E8/E9 byte was made absolute, in 64 KiB blocks.
pub(crate) fn unfilter_calls(buf: &mut [u8]) {
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
            if rel & 0x0080_0000 != 0 {
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

    /// A flag set of `count` flags: `ceil(count / 8)` bytes, 3 padded to 4
    /// (Delphi set layout). Returns the bits, flag 0 lowest.
    pub(crate) fn flags(&mut self, count: usize, what: &str) -> Result<u64, Error> {
        let mut n = count.div_ceil(8);
        if n == 3 {
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
/// (the codepage of most ANSI setups; innoextract guesses the same way).
pub(crate) fn decode(raw: &[u8], unicode: bool) -> String {
    if unicode {
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        encoding_rs::WINDOWS_1252.decode(raw).0.into_owned()
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
        assert_eq!(
            parse_id(b"Inno Setup Setup Data (6.4.0.1)")
                .unwrap()
                .version,
            v4(6, 4, 0, 1)
        );
        assert_eq!(v4(6, 4, 0, 1).to_string(), "6.4.0.1");
        assert!(parse_id(b"Inno Setup Setup Data (6)").is_none());
        assert!(parse_id(b"Inno Setup Setup Data (999.1.1)").is_none());
        assert!(parse_id(b"Inno Setup Setup Data (1.2.3.4.5)").is_none());
        assert!(parse_id(b"nope").is_none());
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
        unfilter_calls(&mut enc);
        assert_eq!(enc, orig);
        // Truncated tails and empty buffers are fine.
        let mut t = vec![0xE8, 1, 2];
        unfilter_calls(&mut t);
        unfilter_calls(&mut []);
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
        assert!(read_block(&b, 0, &l).is_err());
        let crc = crc32fast::hash(&[0, 0, 0, 0, 0]);
        b[..4].copy_from_slice(&crc.to_le_bytes());
        let blk = read_block(&b, 0, &l).unwrap();
        assert!(blk.data.is_empty());
        assert_eq!(blk.end, 9);
    }
}
