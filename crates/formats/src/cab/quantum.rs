//! Quantum as cabinets use it (`typeCompress` 2), decoded one CFDATA block
//! at a time.
//!
//! Quantum (David Stafford's compressor, adapted by Microsoft) is an LZ77
//! coder whose symbols are sent through an adaptive arithmetic (range)
//! coder. What is decoded, and how, is what libmspack's `qtmd.c`
//! (cabextract) does, written anew from its description:
//! - eight adaptive models: four for literals (64 symbols each, selected by
//!   the top two bits of the byte), one each for the position slot of a
//!   3-byte match (up to 24 slots), of a 4-byte match (up to 36), of a
//!   longer match (2 × window bits slots) and its length (27 slots), and the
//!   selector model (7 symbols: four literal models, three match kinds).
//!   Each model keeps cumulative frequencies that grow by 8 per symbol and
//!   are halved (and every 50th time sorted by frequency) when the total
//!   passes 3800;
//! - the arithmetic decoder's 16-bit `high`, `low` and `code` registers,
//!   with underflow handling, fed most significant bit first from the bytes
//!   in order; `code` is read afresh at the start of every frame of 32 KiB
//!   of output (the models are not reset);
//! - at a frame's end the input is re-aligned to a byte and bytes are
//!   skipped up to and including a 0xFF: cabextract appends one 0xFF to
//!   every CFDATA block's data, so a frame's padding (0 to 4 zero bytes)
//!   and the trailer are skipped together;
//! - match offsets from position slots and extra bits, up to the window
//!   size (2^10 to 2^21 bytes: bits 8 to 12 of `typeCompress`).
//!
//! Where cabextract would read on into the next block's bytes (a frame
//! whose bits run past its block and trailer), or would copy bytes from
//! before the folder's start (a match offset larger than the output so far:
//! libmspack's window is not initialised), or past the window, the block
//! is rejected with a typed error rather than one guess taken. At the
//! folder's last block, bits past the data read as zeros for at most the
//! two bytes libmspack fakes at the end of its input.
//!
//! Memory: the window (at most 2 MiB, grown as output reaches it) and the
//! models (a few hundred bytes).

use installsift_model::error::{Error, Result};

/// Output bytes per frame.
pub(crate) const FRAME: usize = 32 * 1024;

const POSITION_BASE: [u32; 42] = [
    0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536,
    2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536, 98304, 131072, 196608,
    262144, 393216, 524288, 786432, 1048576, 1572864,
];
const EXTRA_BITS: [u8; 42] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19,
];
const LENGTH_BASE: [u32; 27] = [
    0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 18, 22, 26, 30, 38, 46, 54, 62, 78, 94, 110, 126, 158, 190,
    222, 254,
];
const LENGTH_EXTRA: [u8; 27] = [
    0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];

/// One adaptive model: `syms[i]` = (symbol, cumulative frequency), with a
/// sentinel of frequency 0 after the last entry.
#[derive(Clone)]
struct Model {
    shifts_left: u32,
    syms: Vec<(u16, u16)>,
}

impl Model {
    fn new(start: u16, len: u16) -> Model {
        Model {
            shifts_left: 4,
            syms: (0..=len).map(|i| (start + i, len - i)).collect(),
        }
    }

    fn entries(&self) -> usize {
        self.syms.len() - 1
    }

    fn cum(&self, i: usize) -> u16 {
        self.syms.get(i).map_or(0, |s| s.1)
    }

    /// Halve the frequencies; every 50th time, sort the symbols by
    /// frequency (a selection sort with swaps, as the reference does: the
    /// order of equal frequencies is part of the format).
    fn update(&mut self) {
        let n = self.entries();
        self.shifts_left -= 1;
        if self.shifts_left != 0 {
            for i in (0..n).rev() {
                let next = self.cum(i + 1);
                if let Some(s) = self.syms.get_mut(i) {
                    s.1 >>= 1;
                    if s.1 <= next {
                        s.1 = next.wrapping_add(1);
                    }
                }
            }
        } else {
            self.shifts_left = 50;
            for i in 0..n {
                let next = self.cum(i + 1);
                if let Some(s) = self.syms.get_mut(i) {
                    s.1 = (s.1.wrapping_sub(next).wrapping_add(1)) >> 1;
                }
            }
            for i in 0..n.saturating_sub(1) {
                for j in i + 1..n {
                    if self.cum(i) < self.cum(j) {
                        self.syms.swap(i, j);
                    }
                }
            }
            for i in (0..n).rev() {
                let next = self.cum(i + 1);
                if let Some(s) = self.syms.get_mut(i) {
                    s.1 = s.1.wrapping_add(next);
                }
            }
        }
    }
}

/// Bits of the input, most significant first, from a byte position.
struct Bits<'a> {
    data: &'a [u8],
    /// Bit position.
    pos: usize,
    /// Bits that may be read past `data` (as zeros).
    grace: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: u32) -> Option<u32> {
        let n = n as usize;
        if self.pos + n > self.data.len() * 8 + self.grace {
            return None;
        }
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8).copied().unwrap_or(0);
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        Some(v)
    }
}

/// A Quantum decoder for one folder.
pub struct Quantum {
    window: Vec<u8>,
    wsize: usize,
    /// Output bytes so far (the window position is this modulo `wsize`).
    total: u64,
    /// Bytes left in the current frame.
    frame_todo: usize,
    /// `code` must be read before the next symbol (a frame starts).
    header_read: bool,
    high: u16,
    low: u16,
    code: u16,
    /// Input bytes given to frames so far, trailers counted (libmspack's
    /// fake bytes at the end depend on its parity).
    fed: u64,
    literal: [Model; 4],
    match3: Model,
    match4: Model,
    match_long: Model,
    match_len: Model,
    selector: Model,
    failed: Option<Error>,
    blocks: u64,
}

impl Quantum {
    /// A decoder for a window of 2^`window_bits` bytes (10 to 21); `None`
    /// for other sizes.
    pub fn new(window_bits: u8) -> Option<Quantum> {
        if !(10..=21).contains(&window_bits) {
            return None;
        }
        let i = u16::from(window_bits) * 2;
        Some(Quantum {
            window: Vec::new(),
            wsize: 1 << window_bits,
            total: 0,
            frame_todo: FRAME,
            header_read: false,
            high: 0,
            low: 0,
            code: 0,
            fed: 0,
            literal: [
                Model::new(0, 64),
                Model::new(64, 64),
                Model::new(128, 64),
                Model::new(192, 64),
            ],
            match3: Model::new(0, i.min(24)),
            match4: Model::new(0, i.min(36)),
            match_long: Model::new(0, i),
            match_len: Model::new(0, 27),
            selector: Model::new(0, 7),
            failed: None,
            blocks: 0,
        })
    }

    /// Decode one CFDATA block's data into `out_len` bytes appended to
    /// `out`; `last` for the folder's last block. On error nothing is
    /// appended and every later call fails with the same error.
    pub fn decode_block(
        &mut self,
        input: &[u8],
        out_len: usize,
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let first = out.len();
        let result = self.block(input, out_len, last, out);
        self.blocks += 1;
        if let Err(e) = &result {
            out.truncate(first);
            self.failed = Some(e.clone());
        }
        result
    }

    fn error(&self, what: impl std::fmt::Display) -> Error {
        Error::malformed(format!(
            "Quantum block {} (output offset {}): {what}",
            self.blocks, self.total
        ))
    }

    fn block(&mut self, input: &[u8], out_len: usize, last: bool, out: &mut Vec<u8>) -> Result<()> {
        if out_len == 0 || out_len > FRAME {
            return Err(self.error(format!(
                "a block must hold 1 to {FRAME} bytes, this one declares {out_len}"
            )));
        }
        if self.window.is_empty() {
            self.window = vec![0; self.wsize];
        }
        // The block's data and the 0xFF cabextract appends to it.
        let mut data = Vec::with_capacity(input.len() + 1);
        data.extend_from_slice(input);
        data.push(0xFF);
        self.fed += data.len() as u64;
        // At the folder's end libmspack reads two zero bytes past its
        // input; the last pair of bytes it loads must be whole.
        let grace = if last {
            if self.fed.is_multiple_of(2) {
                16
            } else {
                8
            }
        } else {
            0
        };
        let mut bits = Bits {
            data: &data,
            pos: 0,
            grace,
        };
        let start = out.len();
        while out.len() - start < out_len {
            if !self.header_read {
                self.high = 0xFFFF;
                self.low = 0;
                self.code = bits
                    .read(16)
                    .ok_or_else(|| self.error("the frame's first 16 bits run past the block"))?
                    as u16;
                self.header_read = true;
            }
            let before = out.len();
            self.symbol(&mut bits, out)?;
            let produced = out.len() - before;
            self.frame_todo = self
                .frame_todo
                .checked_sub(produced)
                .ok_or_else(|| self.error("a match runs past the end of its 32 KiB frame"))?;
            if self.frame_todo == 0 {
                // Re-align to a byte, then skip to and past a 0xFF.
                bits.pos = bits.pos.div_ceil(8) * 8;
                loop {
                    match bits.read(8) {
                        Some(0xFF) => break,
                        Some(_) => {}
                        None => return Err(self.error(
                            "no 0xFF trailer after the frame's end: its bits run past the block",
                        )),
                    }
                }
                self.header_read = false;
                self.frame_todo = FRAME;
            }
        }
        // A block that is not the folder's last must end with a frame:
        // cabextract reads a frame that goes on across a block's end on
        // through the block's 0xFF trailer as data, which no compressor
        // means.
        if self.header_read && !last {
            return Err(self.error(format!(
                "the block ends {} bytes into a 32 KiB frame, and it is not the folder's last",
                FRAME - self.frame_todo
            )));
        }
        // What a match decoded past the folder's last output is dropped.
        out.truncate(start + out_len);
        Ok(())
    }

    /// Decode one symbol: a literal or a match, appended to `out` and the window.
    fn symbol(&mut self, bits: &mut Bits<'_>, out: &mut Vec<u8>) -> Result<()> {
        let sel = self.get(bits, Which::Selector)?;
        if sel < 4 {
            let b = self.get(bits, Which::Literal(usize::from(sel)))?;
            self.put(b as u8, out);
            return Ok(());
        }
        let (length, slot) = match sel {
            4 => (3u32, self.get(bits, Which::Match3)?),
            5 => (4u32, self.get(bits, Which::Match4)?),
            6 => {
                let ls = usize::from(self.get(bits, Which::MatchLen)?);
                let (Some(&base), Some(&extra)) = (LENGTH_BASE.get(ls), LENGTH_EXTRA.get(ls))
                else {
                    return Err(self.error(format!("length slot {ls} out of range")));
                };
                let e = self.read_bits(bits, u32::from(extra))?;
                (base + e + 5, self.get(bits, Which::MatchLong)?)
            }
            _ => return Err(self.error(format!("selector {sel} out of range"))),
        };
        let slot = usize::from(slot);
        let (Some(&base), Some(&extra)) = (POSITION_BASE.get(slot), EXTRA_BITS.get(slot)) else {
            return Err(self.error(format!("position slot {slot} out of range")));
        };
        let offset = u64::from(base + self.read_bits(bits, u32::from(extra))? + 1);
        if offset > self.total {
            return Err(self.error(format!(
                "match offset {offset} reaches before the folder's start ({} bytes decoded)",
                self.total
            )));
        }
        if offset > self.wsize as u64 {
            return Err(self.error(format!(
                "match offset {offset} is larger than the window ({} bytes)",
                self.wsize
            )));
        }
        let mask = self.wsize - 1;
        for _ in 0..length {
            let src = (self.total.wrapping_sub(offset) as usize) & mask;
            let b = self.window.get(src).copied().unwrap_or(0);
            self.put(b, out);
        }
        Ok(())
    }

    fn put(&mut self, b: u8, out: &mut Vec<u8>) {
        let at = (self.total as usize) & (self.wsize - 1);
        if let Some(w) = self.window.get_mut(at) {
            *w = b;
        }
        out.push(b);
        self.total += 1;
    }

    fn read_bits(&self, bits: &mut Bits<'_>, n: u32) -> Result<u32> {
        bits.read(n)
            .ok_or_else(|| self.error("extra bits run past the block"))
    }

    fn model(&mut self, which: Which) -> &mut Model {
        match which {
            Which::Selector => &mut self.selector,
            Which::Literal(i) => &mut self.literal[i & 3],
            Which::Match3 => &mut self.match3,
            Which::Match4 => &mut self.match4,
            Which::MatchLong => &mut self.match_long,
            Which::MatchLen => &mut self.match_len,
        }
    }

    /// Decode one symbol of a model through the arithmetic decoder.
    fn get(&mut self, bits: &mut Bits<'_>, which: Which) -> Result<u16> {
        let (h, l, c) = (self.high, self.low, self.code);
        let model = self.model(which);
        let total = model.cum(0);
        if total == 0 {
            return Err(self.error("a model's total frequency is 0"));
        }
        // The reference computes in C `int` and `unsigned` arithmetic; the
        // same wrapping operations here.
        let range = u32::from(h.wrapping_sub(l)) + 1;
        let num = (i32::from(c) - i32::from(l) + 1)
            .wrapping_mul(i32::from(total))
            .wrapping_sub(1) as u32;
        let symf = (num / range) & 0xFFFF;
        let n = model.entries();
        let mut i = 1;
        while i < n && u32::from(model.cum(i)) > symf {
            i += 1;
        }
        let sym = model.syms.get(i - 1).map_or(0, |s| s.0);
        let range = (i32::from(h) - i32::from(l) + 1) as u32;
        let hi_cum = u32::from(model.cum(i - 1));
        let lo_cum = u32::from(model.cum(i));
        let total = u32::from(total);
        let new_h = u32::from(l)
            .wrapping_add(hi_cum.wrapping_mul(range) / total)
            .wrapping_sub(1) as u16;
        let new_l = u32::from(l).wrapping_add(lo_cum.wrapping_mul(range) / total) as u16;
        for s in model.syms.iter_mut().take(i) {
            s.1 = s.1.wrapping_add(8);
        }
        if model.cum(0) > 3800 {
            model.update();
        }
        let (mut h, mut l, mut c) = (new_h, new_l, c);
        loop {
            if (l & 0x8000) != (h & 0x8000) {
                if (l & 0x4000) != 0 && (h & 0x4000) == 0 {
                    c ^= 0x4000;
                    l &= 0x3FFF;
                    h |= 0x4000;
                } else {
                    break;
                }
            }
            l <<= 1;
            h = (h << 1) | 1;
            let Some(b) = bits.read(1) else {
                return Err(self.error("the arithmetic decoder needs bits past the block"));
            };
            c = (c << 1) | b as u16;
        }
        self.high = h;
        self.low = l;
        self.code = c;
        Ok(sym)
    }
}

#[derive(Clone, Copy)]
enum Which {
    Selector,
    Literal(usize),
    Match3,
    Match4,
    MatchLong,
    MatchLen,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_sizes() {
        assert!(Quantum::new(9).is_none());
        assert!(Quantum::new(22).is_none());
        assert!(Quantum::new(10).is_some());
        assert!(Quantum::new(21).is_some());
    }

    /// Hostile bytes: every call ends with bytes or an error, never a
    /// panic, and the output is never longer than asked.
    #[test]
    fn noise_does_not_panic() {
        let mut seed = 0x1234_5678u32;
        for round in 0..200 {
            let mut q = Quantum::new(10 + (round % 12) as u8).unwrap();
            let len = 1 + (round * 37) % 600;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            let mut out = Vec::new();
            let want = 1 + (round * 131) % FRAME;
            if q.decode_block(&data, want, round % 2 == 0, &mut out)
                .is_ok()
            {
                assert_eq!(out.len(), want);
            } else {
                assert!(out.is_empty());
            }
        }
    }
}
