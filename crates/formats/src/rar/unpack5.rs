//! RAR 5 decompression (the compression of RAR 5.0 archives, methods 1–5,
//! and of RAR 7.0's format version 1 with its larger dictionaries): LZ77
//! over a dictionary of 128 KiB × 2^n, Huffman coded in blocks, with the
//! DELTA, E8, E8E9 and ARM filters applied to the output. Written from the
//! format as RARLAB's unrar sources and libarchive's reader describe it
//! (facts only; no code taken from either).
//!
//! - Bits are read most significant first. A block starts on a byte: one
//!   flags byte (bits used in the last byte, bytes of the size field, the
//!   last-block and table-present flags), a check byte (`0x5A` xor the
//!   flags and the size bytes, checked) and the block's size.
//! - Tables: 20 code lengths of 4 bits (15 followed by a count makes a run
//!   of zeros) build the code that sends the 430 (RAR 7: 446) lengths of
//!   the main, distance, low-distance and repeat-length codes, with runs
//!   (16/17: repeat the previous length, 18/19: zeros).
//! - Main symbols: 0–255 a literal; 256 a filter; 257 the last match
//!   again; 258–261 one of the four last distances with a length from the
//!   repeat-length code; 262 and up a length slot, then a distance slot,
//!   its extra bits (the low four through their own code when there are
//!   at least four), and 1–3 added to the length for distances past
//!   256, 8 KiB and 256 KiB.
//! - Filters name a region (start relative to the current position, at
//!   most 4 MiB long) that is transformed when it is written out, never in
//!   the dictionary: E8/E8E9 turn x86 call/jump targets back from
//!   absolute to relative (positions counted from the file's start, modulo
//!   16 MiB), ARM the BL instructions, DELTA undoes a byte-interleaved
//!   delta coding of up to 32 channels.
//! - A solid file goes on from the dictionary, distances and tables the
//!   previous file left; filters never cross files.
//!
//! Hostile input: every length table must form a prefix code that is not
//! over-subscribed; a code no table assigns, a distance reaching before
//! the first byte decoded or past the dictionary, a code running past its
//! block, a block past the data, or a stream decoding more than its
//! declared size by more than one match is an error (an `io::Error` that
//! carries the offset in the archive), never zeros made up. The dictionary
//! grows with what is decoded, up to its declared size (which the caller
//! bounds by `max_dictionary`).

use super::lz::Lz;
use installsift_model::error::AtOffset;
use std::collections::VecDeque;
use std::io::{self, Read};

/// Main code: 256 literals, filter, repeat, 4 old distances, 44 length slots.
const NC: usize = 306;
/// Distance slots (RAR 5.0 format).
const DC5: usize = 64;
/// Distance slots (RAR 7.0 format, dictionaries past 4 GiB).
const DC7: usize = 80;
/// Low-distance code (the low 4 bits of long distances).
const LDC: usize = 16;
/// Repeat-length code.
const RC: usize = 44;
/// The code-length code.
const BC: usize = 20;
/// The longest code.
const MAX_BITS: usize = 15;
/// Bits resolved by one table lookup.
const QUICK: u32 = 10;
/// A filter's region is at most this long (longer ones are ignored, as
/// RAR's own decoder does).
const MAX_FILTER_BLOCK: u64 = 0x40_0000;
/// Filters waiting to be applied at once (RAR's own decoders stop at this).
const MAX_FILTERS: usize = 8192;
/// The longest match: length slot 43 (2 + 7·2^9 + 511) plus 3 for a long
/// distance, rounded up.
const MAX_MATCH: u64 = 0x1100;
/// Output staged per step.
const CHUNK: u64 = 1 << 20;
/// The smallest dictionary (128 KiB).
const MIN_DICT: u64 = 0x2_0000;

/// The dictionary size a RAR 5 file header's compression information
/// declares, and whether the stream is RAR 7.0's (format version 1), or
/// `None` for a format version this decoder does not know.
pub(crate) fn dictionary(comp: u64) -> Option<(u64, bool)> {
    match comp & 0x3F {
        0 => Some((MIN_DICT << ((comp >> 10) & 0xF), false)),
        1 => {
            let base = MIN_DICT.checked_shl(((comp >> 10) & 0x1F) as u32)?;
            let frac = (comp >> 15) & 0x1F;
            Some((base.checked_add(base / 32 * frac)?, true))
        }
        _ => None,
    }
}

/// A canonical Huffman code, MSB-first: a table of the next [`QUICK`] bits,
/// then the per-length ranges for longer codes.
#[derive(Clone)]
pub(super) struct Code {
    /// `symbol << 4 | length` for codes of at most `QUICK` bits; 0 where
    /// a longer code (or none) starts.
    quick: Vec<u16>,
    first: [u32; MAX_BITS + 1],
    count: [u32; MAX_BITS + 1],
    offset: [u32; MAX_BITS + 1],
    sorted: Vec<u16>,
}

impl Code {
    /// The code for these lengths (0: unused), or `None` when they
    /// over-subscribe the code space.
    pub(super) fn new(lens: &[u8]) -> Option<Code> {
        let mut count = [0u32; MAX_BITS + 1];
        for &l in lens {
            *count.get_mut(usize::from(l))? += 1;
        }
        count[0] = 0;
        let mut left = 1i64;
        for &c in &count[1..] {
            left = left * 2 - i64::from(c);
            if left < 0 {
                return None;
            }
        }
        let (mut first, mut offset) = ([0u32; MAX_BITS + 1], [0u32; MAX_BITS + 1]);
        let (mut code, mut off) = (0u32, 0u32);
        for len in 1..=MAX_BITS {
            code = (code + count[len - 1]) << 1;
            first[len] = code;
            offset[len] = off;
            off += count[len];
        }
        let mut sorted = vec![0u16; off as usize];
        let mut next = offset;
        for (sym, &l) in lens.iter().enumerate() {
            if l != 0 {
                let slot = next.get_mut(usize::from(l))?;
                *sorted.get_mut(*slot as usize)? = sym as u16;
                *slot += 1;
            }
        }
        let mut quick = vec![0u16; 1 << QUICK];
        for len in 1..=QUICK as usize {
            for i in 0..count[len] {
                let c = first[len] + i;
                let sym = *sorted.get((offset[len] + i) as usize)?;
                let shift = QUICK - len as u32;
                let entry = (sym << 4) | len as u16;
                for e in quick.get_mut((c << shift) as usize..((c + 1) << shift) as usize)? {
                    *e = entry;
                }
            }
        }
        Some(Code {
            quick,
            first,
            count,
            offset,
            sorted,
        })
    }

    /// The next symbol.
    pub(super) fn decode(&self, b: &mut Bits<'_>) -> io::Result<usize> {
        let v = b.peek(MAX_BITS as u32);
        let q = self
            .quick
            .get((v >> (MAX_BITS as u32 - QUICK)) as usize)
            .copied()
            .unwrap_or(0);
        if q & 15 != 0 {
            b.skip(u32::from(q & 15));
            return Ok(usize::from(q >> 4));
        }
        for len in QUICK as usize + 1..=MAX_BITS {
            let c = v >> (MAX_BITS - len);
            let i = c.wrapping_sub(self.first[len]);
            if i < self.count[len] {
                b.skip(len as u32);
                let sym = self.sorted.get((self.offset[len] + i) as usize).copied();
                return sym
                    .map(usize::from)
                    .ok_or_else(|| b.bad("RAR Huffman code out of range".into()));
            }
        }
        Err(b.bad("RAR bit pattern no Huffman code assigns".into()))
    }
}

/// The four codes of a block.
#[derive(Clone)]
struct Tables {
    main: Code,
    dist: Code,
    low: Code,
    rep: Code,
}

/// The file's packed bits, most significant first.
pub(super) struct Bits<'a> {
    pub(super) data: &'a [u8],
    /// Bits consumed.
    pub(super) pos: u64,
    /// Offset of `data` in the archive (for errors).
    pub(super) base: u64,
}

impl Bits<'_> {
    /// The next 32 bits, not consumed (zeros past the end).
    fn peek32(&self) -> u32 {
        let at = usize::try_from(self.pos / 8).unwrap_or(usize::MAX);
        let mut w = [0u8; 8];
        if let Some(rest) = self.data.get(at..) {
            for (d, s) in w.iter_mut().zip(rest) {
                *d = *s;
            }
        }
        ((u64::from_be_bytes(w) << (self.pos % 8)) >> 32) as u32
    }

    /// The next `n` (1..=32) bits, not consumed.
    pub(super) fn peek(&self, n: u32) -> u32 {
        self.peek32() >> (32 - n)
    }

    pub(super) fn skip(&mut self, n: u32) {
        self.pos += u64::from(n);
    }

    /// `n` (0..=32) bits.
    pub(super) fn read(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek(n);
        self.skip(n);
        v
    }

    pub(super) fn byte_pos(&self) -> u64 {
        self.pos / 8
    }

    pub(super) fn err(&self, kind: io::ErrorKind, message: String) -> io::Error {
        io::Error::new(
            kind,
            AtOffset {
                offset: self.base.saturating_add(self.byte_pos()),
                message,
            },
        )
    }

    pub(super) fn bad(&self, message: String) -> io::Error {
        self.err(io::ErrorKind::InvalidData, message)
    }
}

/// A filter waiting for its region to be decoded.
#[derive(Debug, Clone, Copy)]
struct Filter {
    /// Absolute position (bytes decoded since the stream began).
    start: u64,
    len: u64,
    kind: u8,
    channels: u8,
}

/// The block being read.
#[derive(Debug, Clone, Copy, Default)]
struct Block {
    /// Bit position where its data ends.
    end_bit: u64,
    last: bool,
}

/// A RAR 5 decoder: the dictionary, distances and tables that solid files
/// share, and the state of the file being decoded.
pub(crate) struct Unpack5 {
    /// The dictionary (a ring up to the declared size rounded up to a
    /// power of two) and the file's output.
    lz: Lz,
    /// The declared dictionary size (distances past it are errors).
    dict: u64,
    /// RAR 7.0 stream (80 distance slots).
    v7: bool,
    old: [u64; 4],
    last_len: u64,
    tables: Option<Box<Tables>>,
    // The file being decoded.
    filters: VecDeque<Filter>,
    bit: u64,
    block: Option<Block>,
    /// The file's last block was read.
    input_done: bool,
}

impl Unpack5 {
    /// A decoder with an empty dictionary of `dict` bytes (the caller has
    /// checked it against its limit).
    pub(crate) fn new(dict: u64, v7: bool) -> Unpack5 {
        Unpack5 {
            lz: Lz::new(
                dict.max(MIN_DICT)
                    .checked_next_power_of_two()
                    .unwrap_or(1 << 62),
            ),
            dict,
            v7,
            old: [u64::MAX; 4],
            last_len: 0,
            tables: None,
            filters: VecDeque::new(),
            bit: 0,
            block: None,
            input_done: false,
        }
    }

    /// The declared dictionary and format version of the stream.
    pub(crate) fn dict(&self) -> (u64, bool) {
        (self.dict, self.v7)
    }

    /// Bytes decoded since the stream began (a solid file's history).
    pub(crate) fn history(&self) -> u64 {
        self.lz.pos
    }

    /// Get ready for the next file of `size` bytes (the dictionary, the
    /// distances and the tables stay, as a solid file needs them).
    pub(crate) fn start_file(&mut self, size: u64) {
        self.filters.clear();
        self.lz.start_file(size);
        self.bit = 0;
        self.block = None;
        self.input_done = false;
    }

    /// The file's stream was decoded to its end and written out.
    pub(crate) fn finished(&self) -> bool {
        self.lz.finished
    }

    /// A reader of the file's decoded bytes from its packed data `src`
    /// (at offset `base` in the archive).
    pub(crate) fn reader<'s>(&'s mut self, src: &'s [u8], base: u64) -> Reader<'s> {
        Reader { u: self, src, base }
    }

    fn copy(&mut self, len: u64, dist: u64, b: &Bits<'_>) -> io::Result<()> {
        if dist == 0 || dist > self.lz.pos || dist > self.dict.max(MIN_DICT) {
            return Err(b.bad(format!(
                "RAR 5 match at distance {dist} reaches before the first of {} bytes decoded or past the {}-byte dictionary",
                self.lz.pos, self.dict
            )));
        }
        self.lz.copy(len, dist);
        Ok(())
    }

    /// Write out what is decoded, applying the filters whose regions are
    /// complete; a filter still being decoded stops the write at its start.
    fn flush(&mut self, b: &Bits<'_>) -> io::Result<()> {
        while self.lz.written < self.lz.pos {
            match self.filters.front().copied() {
                Some(f) if f.start < self.lz.written || f.len == 0 => {
                    // Starts inside what is already written (or is empty):
                    // RAR's own decoder never applies such a filter.
                    self.filters.pop_front();
                }
                Some(f) if f.start < self.lz.pos => {
                    if f.start > self.lz.written {
                        self.lz.emit_raw(f.start);
                        continue;
                    }
                    let end = f.start + f.len;
                    if end > self.lz.pos {
                        break;
                    }
                    let mut data = self.lz.region(f.start, end);
                    let at = f.start - self.lz.file_start;
                    let data = apply(f, &mut data, at, b)?;
                    self.lz.emit(&data);
                    self.filters.pop_front();
                }
                _ => self.lz.emit_raw(self.lz.pos),
            }
        }
        Ok(())
    }

    /// Whether the bytes decoded but not written can be written now (no
    /// filter region is half decoded).
    fn writable(&self) -> bool {
        match self.filters.front() {
            Some(f) => {
                f.start >= self.lz.pos
                    || f.start + f.len <= self.lz.pos
                    || f.start < self.lz.written
            }
            None => true,
        }
    }

    /// Read a block header at the next byte.
    fn block_header(&mut self, b: &mut Bits<'_>) -> io::Result<()> {
        b.pos = b.pos.div_ceil(8) * 8;
        let start = b.byte_pos();
        let flags = b.read(8);
        let count = (flags >> 3) & 3;
        if count == 3 {
            return Err(b.bad(format!(
                "RAR 5 block header at {start}: a 4-byte size field (flags {flags:#04x})"
            )));
        }
        let check = b.read(8);
        let mut size = 0u64;
        for i in 0..=count {
            size |= u64::from(b.read(8)) << (8 * i);
        }
        let want = (0x5A ^ flags ^ size as u32 ^ (size >> 8) as u32 ^ (size >> 16) as u32) & 0xFF;
        if check != want {
            return Err(b.bad(format!(
                "RAR 5 block header at {start}: check byte {check:#04x}, header gives {want:#04x}"
            )));
        }
        if b.pos > b.data.len() as u64 * 8 {
            return Err(b.err(
                io::ErrorKind::UnexpectedEof,
                "RAR 5 block header runs past the packed data".into(),
            ));
        }
        if size == 0 {
            return Err(b.bad(format!("RAR 5 block at {start} is empty")));
        }
        let data_end = b.byte_pos() + size;
        if data_end > b.data.len() as u64 {
            return Err(b.err(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "RAR 5 block at {start} declares {size} bytes; {} remain of the packed data",
                    b.data.len() as u64 - b.byte_pos()
                ),
            ));
        }
        let end_bit = (data_end - 1) * 8 + u64::from(flags & 7) + 1;
        self.block = Some(Block {
            end_bit,
            last: flags & 0x40 != 0,
        });
        if flags & 0x80 != 0 {
            self.read_tables(b)?;
            if b.pos > end_bit {
                return Err(b.bad("RAR 5 Huffman tables run past their block".into()));
            }
        }
        Ok(())
    }

    fn read_tables(&mut self, b: &mut Bits<'_>) -> io::Result<()> {
        let mut bl = [0u8; BC];
        let mut i = 0;
        while i < BC {
            let len = b.read(4) as u8;
            if len == 15 {
                let zeros = b.read(4) as usize;
                if zeros == 0 {
                    bl[i] = 15;
                    i += 1;
                } else {
                    i = (i + zeros + 2).min(BC);
                }
            } else {
                bl[i] = len;
                i += 1;
            }
        }
        let bc = Code::new(&bl)
            .ok_or_else(|| b.bad("RAR 5 code-length code is over-subscribed".into()))?;
        let dc = if self.v7 { DC7 } else { DC5 };
        let n = NC + dc + LDC + RC;
        let mut lens = vec![0u8; n];
        let mut i = 0;
        while i < n {
            let sym = bc.decode(b)?;
            if sym < 16 {
                lens[i] = sym as u8;
                i += 1;
            } else if sym < 18 {
                let run = if sym == 16 {
                    b.read(3) + 3
                } else {
                    b.read(7) + 11
                } as usize;
                if i == 0 {
                    return Err(b.bad("RAR 5 table repeats a length before the first".into()));
                }
                let prev = lens[i - 1];
                let end = (i + run).min(n);
                for l in lens.get_mut(i..end).unwrap_or(&mut []) {
                    *l = prev;
                }
                i = end;
            } else {
                let run = if sym == 18 {
                    b.read(3) + 3
                } else {
                    b.read(7) + 11
                } as usize;
                i = (i + run).min(n);
            }
            if b.pos > b.data.len() as u64 * 8 {
                return Err(b.err(
                    io::ErrorKind::UnexpectedEof,
                    "RAR 5 Huffman tables run past the packed data".into(),
                ));
            }
        }
        let code = |r: std::ops::Range<usize>, what: &str| {
            lens.get(r)
                .and_then(Code::new)
                .ok_or_else(|| b.bad(format!("RAR 5 {what} code is over-subscribed")))
        };
        self.tables = Some(Box::new(Tables {
            main: code(0..NC, "main")?,
            dist: code(NC..NC + dc, "distance")?,
            low: code(NC + dc..NC + dc + LDC, "low-distance")?,
            rep: code(NC + dc + LDC..n, "repeat-length")?,
        }));
        Ok(())
    }

    /// Decode symbols until enough output can be written, the dictionary
    /// holds all it may before a write, or the file's last block ends.
    fn decode_some(&mut self, b: &mut Bits<'_>) -> io::Result<()> {
        loop {
            // Block boundaries (a block may hold only tables).
            loop {
                match self.block {
                    Some(bl) if b.pos < bl.end_bit => break,
                    Some(bl) if bl.last => {
                        self.input_done = true;
                        return Ok(());
                    }
                    _ => self.block_header(b)?,
                }
            }
            let pending = self.lz.pos - self.lz.written;
            if pending >= CHUNK && self.writable() || pending + MAX_MATCH > self.lz.cap {
                return Ok(());
            }
            self.symbol(b)?;
            if let Some(bl) = self.block {
                if b.pos > bl.end_bit {
                    return Err(b.bad("RAR 5 code runs past the end of its block".into()));
                }
            }
            if self.lz.pos - self.lz.file_start > self.lz.size.saturating_add(MAX_MATCH) {
                return Err(b.bad(format!(
                    "RAR 5 stream decodes past the file's declared {} bytes",
                    self.lz.size
                )));
            }
        }
    }

    fn symbol(&mut self, b: &mut Bits<'_>) -> io::Result<()> {
        let Some(t) = self.tables.as_deref() else {
            return Err(b.bad("RAR 5 block has no Huffman tables to decode with".into()));
        };
        let main = t.main.decode(b)?;
        if main < 256 {
            self.lz.put(main as u8);
            return Ok(());
        }
        if main >= 262 {
            let len = slot_length(b, main - 262);
            let slot = t.dist.decode(b)? as u64;
            let mut dist = 1u64;
            if slot < 4 {
                dist += slot;
            } else {
                let bits = (slot / 2 - 1) as u32;
                dist += (2 | (slot & 1)) << bits;
                if bits >= 4 {
                    let high = bits - 4;
                    let v = if high > 32 {
                        let hi = u64::from(b.read(high - 32));
                        (hi << 32) | u64::from(b.read(32))
                    } else {
                        u64::from(b.read(high))
                    };
                    dist += v << 4;
                    dist += t.low.decode(b)? as u64;
                } else {
                    dist += u64::from(b.read(bits));
                }
            }
            let mut len = len;
            if dist > 0x100 {
                len += 1;
                if dist > 0x2000 {
                    len += 1;
                    if dist > 0x4_0000 {
                        len += 1;
                    }
                }
            }
            self.old = [dist, self.old[0], self.old[1], self.old[2]];
            self.last_len = len;
            return self.copy(len, dist, b);
        }
        match main {
            256 => self.filter(b),
            257 => {
                if self.last_len != 0 {
                    let (len, dist) = (self.last_len, self.old[0]);
                    self.copy(len, dist, b)?;
                }
                Ok(())
            }
            _ => {
                let k = main - 258;
                let dist = self.old[k];
                for i in (1..=k).rev() {
                    self.old[i] = self.old[i - 1];
                }
                self.old[0] = dist;
                let slot = t.rep.decode(b)?;
                let len = slot_length(b, slot);
                self.last_len = len;
                self.copy(len, dist, b)
            }
        }
    }

    fn filter(&mut self, b: &mut Bits<'_>) -> io::Result<()> {
        let start = filter_number(b);
        let mut len = filter_number(b);
        if len > MAX_FILTER_BLOCK {
            len = 0;
        }
        let kind = b.read(3) as u8;
        let channels = if kind == 0 { b.read(5) as u8 + 1 } else { 0 };
        if kind > 3 {
            return Err(b.bad(format!("RAR 5 filter of unknown type {kind}")));
        }
        if self.filters.len() >= MAX_FILTERS {
            return Err(b.bad(format!(
                "RAR 5 stream has more than {MAX_FILTERS} filters waiting"
            )));
        }
        self.filters.push_back(Filter {
            start: self.lz.pos + start,
            len,
            kind,
            channels,
        });
        Ok(())
    }

    /// One step of the reader: decode, write out; at the file's end, check
    /// that every filter was applied and every declared byte produced.
    fn step(&mut self, src: &[u8], base: u64) -> io::Result<()> {
        let mut b = Bits {
            data: src,
            pos: self.bit,
            base,
        };
        let r = self.step_bits(&mut b);
        self.bit = b.pos;
        r
    }

    fn step_bits(&mut self, b: &mut Bits<'_>) -> io::Result<()> {
        if !self.input_done {
            self.decode_some(b)?;
        }
        let before = self.lz.out.len();
        self.flush(b)?;
        if self.input_done {
            if let Some(f) = self
                .filters
                .iter()
                .find(|f| f.len > 0 && f.start < self.lz.pos)
            {
                return Err(b.bad(format!(
                    "RAR 5 filter region of {} bytes runs past the end of the file's data",
                    f.len
                )));
            }
            self.lz.finished = true;
            if self.lz.emitted < self.lz.size {
                return Err(b.err(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "RAR 5 stream ends after {} of the file's {} bytes",
                        self.lz.emitted, self.lz.size
                    ),
                ));
            }
        } else if self.lz.out.len() == before
            && self.lz.pos - self.lz.written + MAX_MATCH > self.lz.cap
        {
            return Err(b.bad(format!(
                "RAR 5 filter region does not fit the {}-byte dictionary",
                self.lz.cap
            )));
        }
        Ok(())
    }
}

/// A match length from its slot (and the slot's extra bits).
fn slot_length(b: &mut Bits<'_>, slot: usize) -> u64 {
    let slot = slot as u64;
    if slot < 8 {
        return 2 + slot;
    }
    let bits = (slot / 4 - 1) as u32;
    2 + ((4 | (slot & 3)) << bits) + u64::from(b.read(bits))
}

/// A filter's start or length: 2 bits giving 1–4 bytes, little-endian.
fn filter_number(b: &mut Bits<'_>) -> u64 {
    let n = b.read(2) + 1;
    (0..n).fold(0u64, |v, i| v | (u64::from(b.read(8)) << (8 * i)))
}

/// Apply a filter to its region `data`, which begins `at` bytes into the
/// file.
fn apply(f: Filter, data: &mut Vec<u8>, at: u64, b: &Bits<'_>) -> io::Result<Vec<u8>> {
    match f.kind {
        0 => {
            let ch = usize::from(f.channels.max(1));
            let mut out = vec![0u8; data.len()];
            let mut src = data.iter();
            for c in 0..ch {
                let mut prev = 0u8;
                for o in out.iter_mut().skip(c).step_by(ch) {
                    prev = prev.wrapping_sub(*src.next().unwrap_or(&0));
                    *o = prev;
                }
            }
            Ok(out)
        }
        1 | 2 => {
            const SIZE: u32 = 0x100_0000;
            let e9 = f.kind == 2;
            let n = data.len();
            let mut i = 0usize;
            while i + 4 < n {
                let op = data[i];
                i += 1;
                if op == 0xE8 || (e9 && op == 0xE9) {
                    let off = ((at + i as u64) % u64::from(SIZE)) as u32;
                    let Some(word) = data.get_mut(i..i + 4) else {
                        break;
                    };
                    let addr = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
                    if addr & 0x8000_0000 != 0 {
                        if addr.wrapping_add(off) & 0x8000_0000 == 0 {
                            word.copy_from_slice(&addr.wrapping_add(SIZE).to_le_bytes());
                        }
                    } else if addr.wrapping_sub(SIZE) & 0x8000_0000 != 0 {
                        word.copy_from_slice(&addr.wrapping_sub(off).to_le_bytes());
                    }
                    i += 4;
                }
            }
            Ok(std::mem::take(data))
        }
        3 => {
            let mut i = 0usize;
            while i + 3 < data.len() {
                if data[i + 3] == 0xEB {
                    let v = u32::from(data[i])
                        | (u32::from(data[i + 1]) << 8)
                        | (u32::from(data[i + 2]) << 16);
                    let v = v.wrapping_sub(((at + i as u64) / 4) as u32);
                    data[i] = v as u8;
                    data[i + 1] = (v >> 8) as u8;
                    data[i + 2] = (v >> 16) as u8;
                }
                i += 4;
            }
            Ok(std::mem::take(data))
        }
        k => Err(b.bad(format!("RAR 5 filter of unknown type {k}"))),
    }
}

/// The decoded bytes of one file.
pub(crate) struct Reader<'s> {
    u: &'s mut Unpack5,
    src: &'s [u8],
    base: u64,
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(n) = self.u.lz.take(buf) {
                return Ok(n);
            }
            self.u.step(self.src, self.base)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_codes_are_assigned_shortest_first_then_by_symbol() {
        // Lengths 2,1,3,3: symbol 1 = 0, symbol 0 = 10, 2 = 110, 3 = 111.
        let c = Code::new(&[2, 1, 3, 3]).expect("code");
        let data = [0b0101_1011, 0b1000_0000];
        let mut b = Bits {
            data: &data,
            pos: 0,
            base: 0,
        };
        let got: Vec<usize> = (0..5).map(|_| c.decode(&mut b).expect("sym")).collect();
        assert_eq!(got, [1, 0, 2, 3, 1]);
        assert_eq!(b.pos, 10);
    }

    #[test]
    fn over_subscribed_lengths_are_refused_and_gaps_are_errors() {
        assert!(Code::new(&[1, 1, 1]).is_none());
        // One code of length 2 leaves most patterns unassigned.
        let c = Code::new(&[2]).expect("incomplete is allowed");
        let mut b = Bits {
            data: &[0xFF, 0xFF],
            pos: 0,
            base: 7,
        };
        let e = c.decode(&mut b).expect_err("unassigned");
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn long_codes_decode_through_the_slow_path() {
        // 13 codes: lengths 1..=12 and one more of 12 (a complete code).
        let mut lens: Vec<u8> = (1..=12).collect();
        lens.push(12);
        let c = Code::new(&lens).expect("code");
        // Symbol 12 (the last, all ones at 12 bits).
        let data = [0xFF, 0xF0];
        let mut b = Bits {
            data: &data,
            pos: 0,
            base: 0,
        };
        assert_eq!(c.decode(&mut b).expect("sym"), 12);
        assert_eq!(b.pos, 12);
    }

    #[test]
    fn dictionary_sizes_follow_the_compression_information() {
        assert_eq!(dictionary(0), Some((128 << 10, false)));
        assert_eq!(dictionary(8 << 10), Some((32 << 20, false)));
        // RAR 7: 1 GiB × (1 + 16/32).
        assert_eq!(
            dictionary(1 | (13 << 10) | (16 << 15)),
            Some((3 << 29, true))
        );
        assert_eq!(dictionary(2), None);
    }

    #[test]
    fn delta_e8_and_arm_filters_invert_their_transforms() {
        let b = Bits {
            data: &[],
            pos: 0,
            base: 0,
        };
        // DELTA, 2 channels: channel 0 holds bytes 0,2; channel 1 bytes 1,3.
        let f = Filter {
            start: 0,
            len: 4,
            kind: 0,
            channels: 2,
        };
        let mut d = vec![0xFF, 0xFE, 0xFE, 0xFE];
        assert_eq!(apply(f, &mut d, 0, &b).expect("delta"), [1, 2, 3, 4]);
        // E8 at file offset 16: absolute 0x20 becomes 0x20 - (16 + 1).
        let f = Filter { kind: 1, ..f };
        let mut d = vec![0xE8, 0x20, 0, 0, 0, 0x90];
        assert_eq!(
            apply(f, &mut d, 16, &b).expect("e8"),
            [0xE8, 0x0F, 0, 0, 0, 0x90]
        );
        // ARM BL at file offset 8: target - 8/4.
        let f = Filter { kind: 3, ..f };
        let mut d = vec![0x10, 0, 0, 0xEB];
        assert_eq!(apply(f, &mut d, 8, &b).expect("arm"), [0x0E, 0, 0, 0xEB]);
    }
}
