//! ARJ's decoders: methods 1–3 (LZ77 with static Huffman blocks, the LHA
//! `-lh5-` family: a 26,624-byte dictionary, codes for literals and match
//! lengths, a code-length code, and position codes) and method 4 (LZ77
//! with unary-prefixed lengths and positions, no Huffman). Written from the
//! format as ARJ's technical notes and the published decoders describe it
//! (facts only).
//!
//! Bits are read most significant first. Every count is checked against
//! the table it fills; a code no table assigns, a match reaching before the
//! first byte, or a stream that needs bits past its end is an error (an
//! `io::Error` carrying the stored data's offset in the archive), never
//! zeros made up.

use installsift_model::error::AtOffset;
use std::io::{self, Read};

/// Literal/length alphabet: 256 literals and lengths 3..=256.
const NC: usize = 510;
/// Position alphabet (bit counts 0..=16).
const NP: usize = 17;
/// Code-length alphabet.
const NT: usize = 19;
/// Bits of the symbol counts.
const CBIT: u32 = 9;
const PBIT: u32 = 5;
const TBIT: u32 = 5;
/// The longest code.
const MAX_LEN: usize = 16;
/// History kept: the farthest match (method 1–3 positions reach 65,536).
const RING: usize = 1 << 17;

/// The stored bits, most significant first, with a count of those used.
struct Bits<'a> {
    data: &'a [u8],
    /// Bits consumed.
    pos: u64,
    /// Offset of `data` in the archive (for errors).
    base: u64,
}

impl Bits<'_> {
    /// The next 16 bits, not consumed (zeros past the end: consuming them
    /// is the error).
    fn peek16(&self) -> u32 {
        let byte = usize::try_from(self.pos / 8).unwrap_or(usize::MAX);
        let b = |i: usize| {
            byte.checked_add(i)
                .and_then(|k| self.data.get(k))
                .map_or(0, |&x| u32::from(x))
        };
        let v = (b(0) << 16) | (b(1) << 8) | b(2);
        (v >> (8 - (self.pos % 8) as u32)) & 0xFFFF
    }

    /// Consume `n` bits, which must lie inside the data.
    fn consume(&mut self, n: u32) -> io::Result<()> {
        self.pos += u64::from(n);
        if self.pos > self.data.len() as u64 * 8 {
            return Err(self.err(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "ARJ compressed data ({} bytes) ends before the declared size is decoded",
                    self.data.len()
                ),
            ));
        }
        Ok(())
    }

    fn bit(&mut self) -> io::Result<u32> {
        self.bits(1)
    }

    /// `n` (at most 16) bits.
    fn bits(&mut self, n: u32) -> io::Result<u32> {
        if n == 0 {
            return Ok(0);
        }
        let v = self.peek16() >> (16 - n);
        self.consume(n)?;
        Ok(v)
    }

    fn err(&self, kind: io::ErrorKind, message: String) -> io::Error {
        io::Error::new(
            kind,
            AtOffset {
                offset: self.base.saturating_add(self.pos / 8),
                message,
            },
        )
    }

    fn bad(&self, message: String) -> io::Error {
        self.err(io::ErrorKind::InvalidData, message)
    }
}

/// A canonical Huffman code (shorter codes first, then by symbol), as a
/// table indexed by the next `width` bits, the code's longest length
/// (symbol << 5 | length; 0 where no code is assigned), or a single symbol
/// that takes no bits.
enum Code {
    Const(u16),
    Table { width: u32, t: Vec<u32> },
}

impl Code {
    /// The code for `lens` (0 = unused); over-subscribed lengths are an
    /// error, an incomplete code is kept (its gaps fail when met).
    fn new(lens: &[u8], what: &str, bits: &Bits<'_>) -> io::Result<Code> {
        let mut count = [0u32; MAX_LEN + 1];
        for &l in lens {
            let l = usize::from(l);
            if l > MAX_LEN {
                return Err(bits.bad(format!("ARJ {what} code length {l} is over {MAX_LEN}")));
            }
            if let Some(c) = count.get_mut(l) {
                *c += 1;
            }
        }
        let mut left: i64 = 1;
        for c in count.iter().skip(1) {
            left = left * 2 - i64::from(*c);
            if left < 0 {
                return Err(bits.bad(format!("ARJ {what} code lengths are over-subscribed")));
            }
        }
        // First code of each length.
        let mut next = [0u32; MAX_LEN + 2];
        let mut code = 0u32;
        for l in 1..=MAX_LEN {
            code = (code + count.get(l - 1).copied().unwrap_or(0) * u32::from(l > 1)) << 1;
            if let Some(n) = next.get_mut(l) {
                *n = code;
            }
        }
        let width = lens.iter().copied().max().map_or(1, u32::from).max(1);
        let mut table = vec![0u32; 1 << width];
        for (s, &l) in lens.iter().enumerate() {
            let l = u32::from(l);
            if l == 0 {
                continue;
            }
            let Some(c) = next.get_mut(l as usize) else {
                continue;
            };
            let from = (*c << (width - l)) as usize;
            let to = ((*c + 1) << (width - l)) as usize;
            *c += 1;
            if let Some(slots) = table.get_mut(from..to) {
                slots.fill(((s as u32) << 5) | l);
            }
        }
        Ok(Code::Table { width, t: table })
    }

    fn decode(&self, bits: &mut Bits<'_>, what: &str) -> io::Result<usize> {
        let (width, table) = match self {
            Code::Const(s) => return Ok(usize::from(*s)),
            Code::Table { width, t } => (*width, t),
        };
        let e = table
            .get((bits.peek16() >> (16 - width)) as usize)
            .copied()
            .unwrap_or(0);
        if e & 31 == 0 {
            return Err(bits.bad(format!("ARJ {what} code is not assigned")));
        }
        bits.consume(e & 31)?;
        Ok((e >> 5) as usize)
    }
}

/// The method-1–3 block state.
struct Blocks {
    /// Symbols left in the current block.
    left: u32,
    c: Code,
    p: Code,
}

/// A decoder of one ARJ entry's data, producing exactly `size` bytes.
pub(crate) struct Decoder<'a> {
    bits: Bits<'a>,
    method: u8,
    ring: Vec<u8>,
    /// Bytes produced.
    done: u64,
    size: u64,
    /// A match being copied: (bytes left, distance back).
    copy: (usize, usize),
    blocks: Option<Blocks>,
}

impl<'a> Decoder<'a> {
    /// A decoder for `method` (1–4) over `data` (the stored bytes, at
    /// `base` in the archive) producing `size` bytes.
    pub(crate) fn new(data: &'a [u8], base: u64, method: u8, size: u64) -> Self {
        Decoder {
            bits: Bits { data, pos: 0, base },
            method,
            ring: vec![0; RING],
            done: 0,
            size,
            copy: (0, 0),
            blocks: None,
        }
    }

    fn put(&mut self, b: u8) {
        if let Some(r) = self.ring.get_mut((self.done % RING as u64) as usize) {
            *r = b;
        }
        self.done += 1;
    }

    /// Start a match of `len` bytes `dist` back (1 = the last byte).
    fn start_match(&mut self, len: usize, dist: usize) -> io::Result<()> {
        if dist as u64 > self.done || dist > RING {
            return Err(self.bits.bad(format!(
                "ARJ match reaches {dist} bytes back after {} bytes were decoded",
                self.done
            )));
        }
        self.copy = (len, dist);
        Ok(())
    }

    /// Decode one symbol (a literal, or the start of a match).
    fn step(&mut self) -> io::Result<Option<u8>> {
        if self.method == 4 {
            return self.step_fastest();
        }
        if self.blocks.as_ref().is_none_or(|b| b.left == 0) {
            self.blocks = Some(self.read_block()?);
        }
        let Some(blk) = self.blocks.as_mut() else {
            return Ok(None);
        };
        blk.left -= 1;
        let c = blk.c.decode(&mut self.bits, "literal/length")?;
        if c < 256 {
            return Ok(Some(c as u8));
        }
        let len = c - 253;
        let j = blk.p.decode(&mut self.bits, "position")?;
        let dist = if j == 0 {
            0
        } else {
            (1usize << (j - 1)) + self.bits.bits(j as u32 - 1)? as usize
        };
        self.start_match(len, dist + 1)?;
        Ok(None)
    }

    /// Method 4: a unary-prefixed length (0 = literal), then a
    /// unary-prefixed position.
    fn step_fastest(&mut self) -> io::Result<Option<u8>> {
        let c = self.prefixed(0, 7)?;
        if c == 0 {
            return Ok(Some(self.bits.bits(8)? as u8));
        }
        let len = c as usize + 2;
        let p = self.prefixed(9, 13)?;
        self.start_match(len, p as usize + 1).map(|()| None)
    }

    /// A value coded as up to `stop - start` one-bits (each adding
    /// `2^width`, the width growing from `start`), a zero, then `width` bits.
    fn prefixed(&mut self, start: u32, stop: u32) -> io::Result<u32> {
        let (mut plus, mut width) = (0u32, start);
        while width < stop {
            if self.bits.bit()? == 0 {
                break;
            }
            plus += 1 << width;
            width += 1;
        }
        Ok(plus + self.bits.bits(width)?)
    }

    fn read_block(&mut self) -> io::Result<Blocks> {
        let left = match self.bits.bits(16)? {
            0 => 1 << 16,
            n => n,
        };
        let t = self.read_lens(NT, TBIT, Some(3), "code-length")?;
        let c = self.read_c(&t)?;
        let p = self.read_lens(NP, PBIT, None, "position")?;
        Ok(Blocks { left, c, p })
    }

    /// The code-length or position code: a count, then 3-bit lengths (7 and
    /// up extended by one-bits), with a 2-bit run of zeros after the
    /// `special`-th length.
    fn read_lens(
        &mut self,
        nn: usize,
        nbit: u32,
        special: Option<usize>,
        what: &str,
    ) -> io::Result<Code> {
        let n = self.bits.bits(nbit)? as usize;
        if n == 0 {
            let c = self.bits.bits(nbit)?;
            if c as usize >= nn {
                return Err(self
                    .bits
                    .bad(format!("ARJ {what} code's only symbol {c} is over {nn}")));
            }
            return Ok(Code::Const(c as u16));
        }
        if n > nn {
            return Err(self.bits.bad(format!(
                "ARJ {what} code declares {n} lengths, at most {nn}"
            )));
        }
        let mut lens = vec![0u8; nn];
        let mut i = 0;
        while i < n {
            let mut c = self.bits.bits(3)?;
            if c == 7 {
                while self.bits.bit()? == 1 {
                    c += 1;
                    if c as usize > MAX_LEN {
                        return Err(self
                            .bits
                            .bad(format!("ARJ {what} code length over {MAX_LEN}")));
                    }
                }
            }
            if let Some(l) = lens.get_mut(i) {
                *l = c as u8;
            }
            i += 1;
            if Some(i) == special {
                let zeros = self.bits.bits(2)? as usize;
                if i + zeros > nn {
                    return Err(self.bits.bad(format!(
                        "ARJ {what} code's zero run passes its {nn} symbols"
                    )));
                }
                i += zeros;
            }
        }
        Code::new(&lens, what, &self.bits)
    }

    /// The literal/length code's lengths, coded with `t`.
    fn read_c(&mut self, t: &Code) -> io::Result<Code> {
        let n = self.bits.bits(CBIT)? as usize;
        if n == 0 {
            let c = self.bits.bits(CBIT)?;
            if c as usize >= NC {
                return Err(self.bits.bad(format!(
                    "ARJ literal/length code's only symbol {c} is over {NC}"
                )));
            }
            return Ok(Code::Const(c as u16));
        }
        if n > NC {
            return Err(self.bits.bad(format!(
                "ARJ literal/length code declares {n} lengths, at most {NC}"
            )));
        }
        let mut lens = vec![0u8; NC];
        let mut i = 0;
        while i < n {
            let c = t.decode(&mut self.bits, "code-length")?;
            let zeros = match c {
                0 => 1,
                1 => self.bits.bits(4)? as usize + 3,
                2 => self.bits.bits(CBIT)? as usize + 20,
                _ => {
                    if let Some(l) = lens.get_mut(i) {
                        *l = (c - 2) as u8;
                    }
                    i += 1;
                    continue;
                }
            };
            if i + zeros > NC {
                return Err(self.bits.bad(format!(
                    "ARJ literal/length zero run passes its {NC} symbols"
                )));
            }
            i += zeros;
        }
        Code::new(&lens, "literal/length", &self.bits)
    }
}

impl Read for Decoder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.done < self.size {
            let b = if self.copy.0 > 0 {
                let from = (self.done - self.copy.1 as u64) % RING as u64;
                self.copy.0 -= 1;
                self.ring.get(from as usize).copied().unwrap_or(0)
            } else {
                match self.step()? {
                    Some(b) => b,
                    None => continue,
                }
            };
            self.put(b);
            if let Some(o) = buf.get_mut(n) {
                *o = b;
            }
            n += 1;
        }
        Ok(n)
    }
}
