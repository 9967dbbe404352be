//! NSIS's bzip2 variant, decoded by our own code.
//!
//! makensis ships a modified libbzip2 (`Source/bzip2`): the stream has no
//! `BZh9` header, each block starts with the single byte `0x31` (not the
//! 48-bit `0x314159265359` magic) followed directly by the 24-bit `origPtr`
//! (no block CRC, no "randomised" bit), and the stream ends with the byte
//! `0x17` (no end magic, no combined CRC). Block bodies (symbol map, Huffman
//! tables, selectors, MTF/RLE2 symbols, BWT, RLE1) are standard bzip2 with
//! 900 kB blocks. The stock `bzip2` crate rejects such streams. 7-Zip's
//! `CNsisDecoder` (BZip2Decoder.cpp) reads the same layout.
//!
//! Every count and index read from the stream is checked: a hostile stream
//! gives an `InvalidData` or `UnexpectedEof` error, never a panic; memory is
//! one block (900,000 `u32`s).

use std::io::{self, Read};

const BLOCK_MAX: usize = 900_000;
const MAX_GROUPS: usize = 6;
const MAX_ALPHA: usize = 258;
const MAX_CODE_LEN: usize = 20;
const GROUP_SIZE: u32 = 50;
const MAX_SELECTORS: usize = 18_002;

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("nsis bzip2: {msg}"))
}

/// MSB-first bit reader over a byte slice.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            acc: 0,
            n: 0,
        }
    }

    #[inline]
    fn refill(&mut self) {
        while self.n <= 56 {
            let Some(&b) = self.data.get(self.pos) else {
                return;
            };
            self.pos += 1;
            self.acc |= u64::from(b) << (56 - self.n);
            self.n += 8;
        }
    }

    /// Read `k` (1..=24) bits.
    #[inline]
    fn get(&mut self, k: u32) -> io::Result<u32> {
        if self.n < k {
            self.refill();
            if self.n < k {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "nsis bzip2: stream ends inside a block",
                ));
            }
        }
        let v = (self.acc >> (64 - k)) as u32;
        self.acc <<= k;
        self.n -= k;
        Ok(v)
    }

    #[inline]
    fn bit(&mut self) -> io::Result<bool> {
        Ok(self.get(1)? == 1)
    }
}

/// Canonical Huffman decoding table of one group (bzip2's limit/base/perm).
struct Table {
    limit: [i32; MAX_CODE_LEN + 2],
    base: [i32; MAX_CODE_LEN + 2],
    perm: [u16; MAX_ALPHA],
    min_len: u32,
}

impl Table {
    // The loops walk code lengths and index several tables by them.
    #[allow(clippy::needless_range_loop)]
    fn new(lens: &[u8]) -> io::Result<Table> {
        let mut t = Table {
            limit: [0; MAX_CODE_LEN + 2],
            base: [0; MAX_CODE_LEN + 2],
            perm: [0; MAX_ALPHA],
            min_len: 32,
        };
        let mut max_len = 0u32;
        for &l in lens {
            t.min_len = t.min_len.min(u32::from(l));
            max_len = max_len.max(u32::from(l));
        }
        if t.min_len == 0 || max_len as usize > MAX_CODE_LEN {
            return Err(bad("code length out of range"));
        }
        let mut pp = 0usize;
        for len in t.min_len..=max_len {
            for (sym, &l) in lens.iter().enumerate() {
                if u32::from(l) == len {
                    if let Some(slot) = t.perm.get_mut(pp) {
                        *slot = sym as u16;
                    }
                    pp += 1;
                }
            }
        }
        let mut count = [0i32; MAX_CODE_LEN + 2];
        for &l in lens {
            if let Some(c) = count.get_mut(usize::from(l) + 1) {
                *c += 1;
            }
        }
        for i in 1..count.len() {
            count[i] += count[i - 1];
        }
        let mut vec = 0i32;
        for len in t.min_len as usize..=max_len as usize {
            vec += count[len + 1] - count[len];
            t.limit[len] = vec - 1;
            vec <<= 1;
        }
        t.base = count;
        for len in t.min_len as usize + 1..=max_len as usize {
            t.base[len] = ((t.limit[len - 1] + 1) << 1) - count[len];
        }
        for len in max_len as usize + 1..t.limit.len() {
            t.limit[len] = i32::MAX;
        }
        Ok(t)
    }

    #[inline]
    fn decode(&self, bits: &mut Bits<'_>, alpha: usize) -> io::Result<usize> {
        let mut len = self.min_len;
        let mut code = bits.get(len)? as i32;
        loop {
            let lim = *self
                .limit
                .get(len as usize)
                .ok_or_else(|| bad("Huffman code too long"))?;
            if code <= lim {
                break;
            }
            len += 1;
            if len as usize > MAX_CODE_LEN {
                return Err(bad("Huffman code too long"));
            }
            code = (code << 1) | bits.get(1)? as i32;
        }
        let idx = code - self.base.get(len as usize).copied().unwrap_or(0);
        let sym = usize::try_from(idx)
            .ok()
            .and_then(|i| self.perm.get(i))
            .map(|&s| usize::from(s))
            .ok_or_else(|| bad("bad Huffman code"))?;
        if sym >= alpha {
            return Err(bad("Huffman symbol out of range"));
        }
        Ok(sym)
    }
}

/// Streaming decoder of one NSIS bzip2 stream.
pub(crate) struct NsisBzip2<'a> {
    bits: Bits<'a>,
    /// BWT links of the current block: `(next index << 8) | byte`.
    tt: Vec<u32>,
    block_len: usize,
    produced: usize,
    t_pos: u32,
    last: Option<u8>,
    same: u8,
    repeat: u32,
    finished: bool,
    failed: Option<io::Error>,
}

impl<'a> NsisBzip2<'a> {
    /// A decoder over the compressed bytes (starting at the first block byte).
    pub(crate) fn new(data: &'a [u8]) -> Self {
        NsisBzip2 {
            bits: Bits::new(data),
            tt: Vec::new(),
            block_len: 0,
            produced: 0,
            t_pos: 0,
            last: None,
            same: 0,
            repeat: 0,
            finished: false,
            failed: None,
        }
    }

    /// Read the next block into `tt`; false at the end-of-stream byte.
    fn next_block(&mut self) -> io::Result<bool> {
        let b = &mut self.bits;
        match b.get(8)? {
            0x17 => return Ok(false),
            0x31 => {}
            other => return Err(bad(&format!("block starts with {other:#04x}, not 0x31"))),
        }
        let orig_ptr = b.get(24)? as usize;
        // Symbol map.
        let used16 = b.get(16)?;
        let mut seq_to_unseq: Vec<u8> = Vec::with_capacity(256);
        for i in 0..16u32 {
            if used16 & (0x8000 >> i) != 0 {
                let v = b.get(16)?;
                for j in 0..16u32 {
                    if v & (0x8000 >> j) != 0 {
                        seq_to_unseq.push((i * 16 + j) as u8);
                    }
                }
            }
        }
        if seq_to_unseq.is_empty() {
            return Err(bad("block uses no symbols"));
        }
        let alpha = seq_to_unseq.len() + 2;
        let groups = b.get(3)? as usize;
        if !(2..=MAX_GROUPS).contains(&groups) {
            return Err(bad(&format!("{groups} Huffman groups")));
        }
        let nsel = b.get(15)? as usize;
        if nsel == 0 {
            return Err(bad("no selectors"));
        }
        // Selectors, MTF-coded.
        let mut mtf_groups: [u8; MAX_GROUPS] = [0, 1, 2, 3, 4, 5];
        let mut selectors: Vec<u8> = Vec::with_capacity(nsel.min(MAX_SELECTORS));
        for _ in 0..nsel {
            let mut j = 0usize;
            while b.bit()? {
                j += 1;
                if j >= groups {
                    return Err(bad("selector out of range"));
                }
            }
            let g = mtf_groups[j];
            mtf_groups.copy_within(0..j, 1);
            mtf_groups[0] = g;
            // Like bzip2 1.0.8: selectors past the maximum are read and dropped.
            if selectors.len() < MAX_SELECTORS {
                selectors.push(g);
            }
        }
        // Code lengths, delta-coded.
        let mut tables = Vec::with_capacity(groups);
        for _ in 0..groups {
            let mut lens = [0u8; MAX_ALPHA];
            let mut cur = b.get(5)? as i32;
            for l in lens.iter_mut().take(alpha) {
                loop {
                    if !(1..=MAX_CODE_LEN as i32).contains(&cur) {
                        return Err(bad("code length out of range"));
                    }
                    if !b.bit()? {
                        break;
                    }
                    if b.bit()? {
                        cur -= 1;
                    } else {
                        cur += 1;
                    }
                }
                *l = cur as u8;
            }
            tables.push(Table::new(&lens[..alpha])?);
        }
        // Symbols: MTF + RLE2 → block bytes (kept in the low byte of tt).
        let eob = alpha - 1;
        let mut mtf: Vec<u8> = (0..=255u8).collect();
        let mut counts = [0u32; 256];
        self.tt.clear();
        let tt = &mut self.tt;
        let mut sel_i = 0usize;
        let mut left = 0u32;
        let mut table = 0usize;
        let mut next_sym = |b: &mut Bits<'_>| -> io::Result<usize> {
            if left == 0 {
                table = usize::from(
                    *selectors
                        .get(sel_i)
                        .ok_or_else(|| bad("more symbols than selectors"))?,
                );
                sel_i += 1;
                left = GROUP_SIZE;
            }
            left -= 1;
            tables
                .get(table)
                .ok_or_else(|| bad("selector names a missing table"))?
                .decode(b, alpha)
        };
        let mut sym = next_sym(b)?;
        loop {
            if sym <= 1 {
                // RUNA / RUNB: a run of the front symbol, bijective base 2.
                let mut run = 0u32;
                let mut weight = 1u32;
                while sym <= 1 {
                    run = run.saturating_add(weight << sym);
                    weight = weight.saturating_mul(2);
                    if weight > (1 << 21) {
                        return Err(bad("run too long"));
                    }
                    sym = next_sym(b)?;
                }
                let byte = seq_to_unseq
                    .get(usize::from(mtf[0]))
                    .copied()
                    .ok_or_else(|| bad("bad symbol"))?;
                if tt.len() + run as usize > BLOCK_MAX {
                    return Err(bad("block larger than 900,000 bytes"));
                }
                counts[usize::from(byte)] += run;
                tt.extend(std::iter::repeat_n(u32::from(byte), run as usize));
                continue;
            }
            if sym == eob {
                break;
            }
            let k = sym - 1;
            let Some(&m) = mtf.get(k) else {
                return Err(bad("MTF index out of range"));
            };
            mtf.copy_within(0..k, 1);
            mtf[0] = m;
            let byte = seq_to_unseq
                .get(usize::from(m))
                .copied()
                .ok_or_else(|| bad("MTF symbol not in the symbol map"))?;
            if tt.len() >= BLOCK_MAX {
                return Err(bad("block larger than 900,000 bytes"));
            }
            counts[usize::from(byte)] += 1;
            tt.push(u32::from(byte));
            sym = next_sym(b)?;
        }
        let n = tt.len();
        if orig_ptr >= n {
            return Err(bad(&format!(
                "origPtr {orig_ptr} outside the block of {n} bytes"
            )));
        }
        // Inverse BWT: link each position to its successor.
        let mut start = [0u32; 256];
        let mut sum = 0u32;
        for (s, c) in start.iter_mut().zip(counts) {
            *s = sum;
            sum += c;
        }
        for i in 0..n {
            let byte = (tt[i] & 0xff) as usize;
            let dst = start[byte] as usize;
            start[byte] += 1;
            if let Some(slot) = tt.get_mut(dst) {
                *slot |= (i as u32) << 8;
            }
        }
        self.t_pos = tt.get(orig_ptr).map_or(0, |v| v >> 8);
        self.block_len = n;
        self.produced = 0;
        self.last = None;
        self.same = 0;
        self.repeat = 0;
        Ok(true)
    }
}

impl Read for NsisBzip2<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let mut n = 0;
        while n < buf.len() {
            if self.repeat > 0 {
                let k = (self.repeat as usize).min(buf.len() - n);
                let byte = self.last.unwrap_or(0);
                if let Some(dst) = buf.get_mut(n..n + k) {
                    dst.fill(byte);
                }
                self.repeat -= k as u32;
                n += k;
                continue;
            }
            if self.produced == self.block_len {
                if self.finished {
                    break;
                }
                match self.next_block() {
                    Ok(true) => continue,
                    Ok(false) => {
                        self.finished = true;
                        break;
                    }
                    Err(e) if n == 0 => return Err(e),
                    Err(e) => {
                        self.failed = Some(e);
                        break;
                    }
                }
            }
            let Some(&entry) = self.tt.get(self.t_pos as usize) else {
                return Err(bad("BWT link out of range"));
            };
            let byte = (entry & 0xff) as u8;
            self.t_pos = entry >> 8;
            self.produced += 1;
            if self.same == 4 {
                self.repeat = u32::from(byte);
                self.same = 0;
                continue;
            }
            if self.last == Some(byte) {
                self.same += 1;
            } else {
                self.last = Some(byte);
                self.same = 1;
            }
            if let Some(slot) = buf.get_mut(n) {
                *slot = byte;
            }
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage_without_panic() {
        for data in [
            &b""[..],
            b"\x00",
            b"\x31",
            b"\x31\xff\xff\xff\xff\xff\xff",
            b"\x17",
        ] {
            let mut out = Vec::new();
            let _ = NsisBzip2::new(data).read_to_end(&mut out);
        }
        let mut out = Vec::new();
        assert!(NsisBzip2::new(b"\x17").read_to_end(&mut out).is_ok());
        assert!(out.is_empty());
    }
}
