//! The x86 BCJ2 filter of 7z, decoded as a stream: four inputs (the main
//! stream, the CALL and JUMP operand streams, and a range-coded stream of
//! one bit per branch opcode saying whether its operand was moved out), one
//! output. Chrome's `chrome.packed.7z` and most 7-Zip `-mx9` executables
//! use it.
//!
//! The format, from 7-Zip's `Bcj2.c` (facts, not code): for each byte of
//! the main stream that, with the byte before it, is `E8`, `E9` or `0F 8x`,
//! a bit is decoded with an 11-bit probability (one per previous byte for
//! `E8`, one for `E9`, one for the `0F 8x` jumps; shift 5, range coder
//! initialised from 5 bytes); a 1 means the 4-byte operand was taken out: it
//! is read big-endian from the CALL stream (`E8`) or the JUMP stream (the
//! others) as an absolute address and written back relative to the next
//! instruction (`address − (position after the opcode + 4)`, position
//! modulo 2³²), little-endian. The byte that follows is then tested against
//! the last byte written. The output ends at its declared size, even inside
//! an operand; a branch opcode at the very end decodes no bit.

use std::io::{self, BufRead, BufReader, Read};

const TOP: u32 = 1 << 24;
const TOTAL: u32 = 1 << 11;
const MOVE: u32 = 5;

/// The BCJ2 output as a reader; `size` bytes, then end of stream.
pub(crate) struct Bcj2Reader<'a> {
    main: BufReader<Box<dyn Read + 'a>>,
    call: BufReader<Box<dyn Read + 'a>>,
    jump: BufReader<Box<dyn Read + 'a>>,
    rc: BufReader<Box<dyn Read + 'a>>,
    started: bool,
    range: u32,
    code: u32,
    probs: [u16; 258],
    prev: u8,
    pending: [u8; 4],
    pend: usize,
    out: u64,
    size: u64,
}

fn eof(what: &str, at: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("BCJ2 {what} stream ends early (output byte {at})"),
    )
}

impl<'a> Bcj2Reader<'a> {
    /// The filter over its four inputs, in 7z's stream order: main, call,
    /// jump, range coder; `size` is the declared output size.
    pub(crate) fn new(
        main: Box<dyn Read + 'a>,
        call: Box<dyn Read + 'a>,
        jump: Box<dyn Read + 'a>,
        rc: Box<dyn Read + 'a>,
        size: u64,
    ) -> Self {
        Bcj2Reader {
            main: BufReader::with_capacity(1 << 16, main),
            call: BufReader::with_capacity(1 << 12, call),
            jump: BufReader::with_capacity(1 << 12, jump),
            rc: BufReader::with_capacity(1 << 12, rc),
            started: false,
            range: u32::MAX,
            code: 0,
            probs: [(TOTAL >> 1) as u16; 258],
            prev: 0,
            pending: [0; 4],
            pend: 4,
            out: 0,
            size,
        }
    }

    fn rc_byte(&mut self) -> io::Result<u8> {
        let mut b = [0u8; 1];
        match self.rc.read_exact(&mut b) {
            Ok(()) => Ok(b[0]),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(eof("range coder", self.out)),
            Err(e) => Err(e),
        }
    }

    fn bit(&mut self, i: usize) -> io::Result<bool> {
        if self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(self.rc_byte()?);
        }
        let p = u32::from(self.probs.get(i).copied().unwrap_or(0));
        let bound = (self.range >> 11).wrapping_mul(p);
        let slot = self.probs.get_mut(i);
        if self.code < bound {
            self.range = bound;
            if let Some(s) = slot {
                *s = (p + ((TOTAL - p) >> MOVE)) as u16;
            }
            Ok(false)
        } else {
            self.range -= bound;
            self.code -= bound;
            if let Some(s) = slot {
                *s = (p - (p >> MOVE)) as u16;
            }
            Ok(true)
        }
    }

    fn operand(&mut self, call: bool) -> io::Result<u32> {
        let mut v = [0u8; 4];
        let (r, what) = if call {
            (&mut self.call, "CALL")
        } else {
            (&mut self.jump, "JUMP")
        };
        match r.read_exact(&mut v) {
            Ok(()) => Ok(u32::from_be_bytes(v)),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(eof(what, self.out)),
            Err(e) => Err(e),
        }
    }
}

impl Read for Bcj2Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.started && self.size > 0 && !buf.is_empty() {
            for _ in 0..5 {
                self.code = (self.code << 8) | u32::from(self.rc_byte()?);
            }
            self.started = true;
        }
        let mut n = 0;
        while n < buf.len() && self.out < self.size {
            if self.pend < 4 {
                if let (Some(o), Some(&b)) = (buf.get_mut(n), self.pending.get(self.pend)) {
                    *o = b;
                }
                self.pend += 1;
                n += 1;
                self.out += 1;
                continue;
            }
            // Copy plain bytes up to the next branch opcode.
            let avail = self.main.fill_buf()?;
            if avail.is_empty() {
                if n > 0 {
                    break;
                }
                return Err(eof("main", self.out));
            }
            let room = (buf.len() - n)
                .min(usize::try_from(self.size - self.out).unwrap_or(usize::MAX))
                .min(avail.len());
            let mut prev = self.prev;
            let mut k = 0;
            let mut hit = false;
            while k < room {
                let b = avail[k];
                k += 1;
                if (b & 0xFE) == 0xE8 || (prev == 0x0F && (b & 0xF0) == 0x80) {
                    hit = true;
                    break;
                }
                prev = b;
            }
            if let (Some(dst), Some(src)) = (buf.get_mut(n..n + k), avail.get(..k)) {
                dst.copy_from_slice(src);
            }
            self.main.consume(k);
            n += k;
            self.out += k as u64;
            if !hit {
                self.prev = prev;
                continue;
            }
            let b = buf.get(n - 1).copied().unwrap_or(0);
            if self.out == self.size {
                self.prev = b;
                break;
            }
            let i = match b {
                0xE8 => usize::from(prev),
                0xE9 => 256,
                _ => 257,
            };
            if self.bit(i)? {
                let dest = self
                    .operand(b == 0xE8)?
                    .wrapping_sub((self.out as u32).wrapping_add(4));
                self.pending = dest.to_le_bytes();
                self.pend = 0;
                self.prev = self.pending[3];
            } else {
                self.prev = b;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader<'a>(d: &'a [u8]) -> Box<dyn Read + 'a> {
        Box::new(d)
    }

    /// A range coder that encodes `bits` with the decoder's model (7-Zip's
    /// encoder, as the format defines it), for hand-made streams.
    fn encode_bits(bits: &[(usize, bool)]) -> Vec<u8> {
        let mut probs = [(TOTAL >> 1) as u16; 258];
        let (mut low, mut range, mut cache, mut cache_size) = (0u64, u32::MAX, 0u8, 1u64);
        let mut out = Vec::new();
        let shift = |low: &mut u64, cache: &mut u8, cache_size: &mut u64, out: &mut Vec<u8>| {
            if (*low as u32) < 0xFF00_0000 || (*low >> 32) != 0 {
                let carry = (*low >> 32) as u8;
                let mut temp = *cache;
                loop {
                    out.push(temp.wrapping_add(carry));
                    temp = 0xFF;
                    *cache_size -= 1;
                    if *cache_size == 0 {
                        break;
                    }
                }
                *cache = ((*low >> 24) & 0xFF) as u8;
            }
            *cache_size += 1;
            *low = (*low & 0x00FF_FFFF) << 8;
        };
        for &(i, bit) in bits {
            let p = u32::from(probs[i]);
            let bound = (range >> 11) * p;
            if !bit {
                range = bound;
                probs[i] = (p + ((TOTAL - p) >> MOVE)) as u16;
            } else {
                low += u64::from(bound);
                range -= bound;
                probs[i] = (p - (p >> MOVE)) as u16;
            }
            while range < TOP {
                range <<= 8;
                shift(&mut low, &mut cache, &mut cache_size, &mut out);
            }
        }
        for _ in 0..5 {
            shift(&mut low, &mut cache, &mut cache_size, &mut out);
        }
        out
    }

    #[test]
    fn calls_jumps_and_conditional_jumps_are_made_relative_again() {
        // main: E8 (converted), E9 (kept), 0F 85 (converted), plain bytes.
        let main = [0x90, 0xE8, 0x90, 0xE9, 0x11, 0x0F, 0x85, 0x55];
        let call = 0x0000_1000u32.to_be_bytes(); // absolute 0x1000
        let jump = 0x0000_2000u32.to_be_bytes();
        // Bits: E8 after 0x90 → 1; E9 → 0; 0F 85 → 1.
        let rc = encode_bits(&[(0x90, true), (256, false), (257, true)]);
        let mut r = Bcj2Reader::new(reader(&main), reader(&call), reader(&jump), reader(&rc), 16);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        let mut want = vec![0x90, 0xE8];
        want.extend(0x1000u32.wrapping_sub(2 + 4).to_le_bytes());
        want.extend([0x90, 0xE9, 0x11, 0x0F, 0x85]);
        want.extend(0x2000u32.wrapping_sub(11 + 4).to_le_bytes());
        want.push(0x55);
        assert_eq!(got, want);
    }

    #[test]
    fn short_inputs_are_errors_and_the_output_stops_at_its_size() {
        let main = [0xE8, 0x00];
        let rc = encode_bits(&[(0, true)]);
        // The CALL stream is empty: an error, not invented bytes.
        let mut r = Bcj2Reader::new(reader(&main), reader(&[]), reader(&[]), reader(&rc), 5);
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("CALL"), "{e}");
        // An output cut inside the operand stops there.
        let call = 7u32.to_be_bytes();
        let mut r = Bcj2Reader::new(reader(&main), reader(&call), reader(&[]), reader(&rc), 3);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!(got, [0xE8, 7u32.wrapping_sub(5).to_le_bytes()[0], 0]);
        // The main stream shorter than the size.
        let mut r = Bcj2Reader::new(reader(&[1, 2]), reader(&[]), reader(&[]), reader(&rc), 9);
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("main"), "{e}");
    }
}
