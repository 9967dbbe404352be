//! RAR 2.9 decompression: the format of RAR 3.x and 4.x archives (file
//! headers with unpack version 29 and 36). LZ77 over a window of at most
//! 4 MiB, Huffman coded, interleaved with PPMd (variant H) blocks, and the
//! standard RarVM filters (E8, E8E9, DELTA, RGB, AUDIO) applied to the
//! output. Written from the format as RARLAB's unrar sources and
//! libarchive's reader describe it (facts only; no code taken from
//! either); PPMd variant H with RAR's range coder is the `ppmd-rust`
//! crate's `Ppmd7aDecoder`.
//!
//! - Bits are read most significant first. Tables start on a byte: a PPMd
//!   flag bit; for LZ a keep-the-old-table bit, 20 code lengths of 4 bits
//!   (15 followed by a count makes a run of zeros) for the code that sends
//!   the 404 lengths of the main (299), distance (60), low-distance (17)
//!   and repeat-length (28) codes, each added (mod 16) to the previous
//!   table's length, with runs (16/17: repeat the previous length, 18/19:
//!   zeros).
//! - Main symbols: 0–255 a literal; 256 the end of the file's data (or new
//!   tables); 257 a filter; 258 the last match again; 259–262 one of the
//!   four last distances with a length from the repeat-length code;
//!   263–270 a length-2 match at a short distance; 271–298 a length slot,
//!   then a distance slot, its extra bits (the low four through their own
//!   code, which can repeat the last low value 16 times), and 1–2 added to
//!   the length for distances from 8 KiB and 256 KiB.
//! - A PPMd block's flags byte may restart the model (order, memory) and
//!   set the escape byte; a block that does not restart it goes on with
//!   the previous block's model under a new range decoder (a method this
//!   project adds to `ppmd-rust`, `vendor/ppmd-rust`). The escape byte
//!   then announces new tables (0), the file's end (2), a filter (3), a
//!   match (4) or a run (5).
//! - A filter names a region (absolute position, length) and a RarVM
//!   program; programs are recognised by their CRC-32 and length as one of
//!   RAR's standard filters, which are run natively. A program that is not
//!   one of them is an error, never skipped.
//! - A solid file goes on from the window, distances, tables, filter
//!   programs and PPMd model the previous file left.
//!
//! Hostile input: every length table must form a prefix code that is not
//! over-subscribed; a code no table assigns, a distance reaching before
//! the first byte decoded, a code or PPMd symbol running past the packed
//! data, a filter region the RarVM could not hold, or a stream decoding
//! more than its declared size by more than one match is an error (an
//! `io::Error` that carries the offset in the archive), never zeros made
//! up. The PPMd model's memory is what the block declares (at most
//! 256 MiB), checked by the caller against `max_dictionary`.

use super::lz::Lz;
use super::unpack5::{Bits, Code};
use installsift_model::error::LimitAt;
use installsift_model::Limit;
use ppmd_rust::Ppmd7aDecoder;
use std::collections::VecDeque;
use std::io::{self, Read};

/// Main code: 256 literals, end of block, filter, repeat, 4 old distances,
/// 8 short distances, 28 length slots.
const NC: usize = 299;
const DC: usize = 60;
const LDC: usize = 17;
const RC: usize = 28;
const BC: usize = 20;
const TABLES: usize = NC + DC + LDC + RC;
/// The window (RAR 2.9's largest dictionary, 4 MiB).
pub(crate) const WINDOW: u64 = 0x40_0000;
/// The longest match (255 + 32 from a PPMd block), rounded up.
const MAX_MATCH: u64 = 0x200;
/// Output staged per step.
const CHUNK: u64 = 1 << 20;
/// The RarVM's memory: a filter's region and its output must fit.
const VM_MEMORY: u64 = 0x4_0000;
/// Filters waiting, and programs known, at most (unrar's bound).
const MAX_FILTERS: usize = 8192;
/// DELTA filter channels at most (unrar's bound).
const MAX_CHANNELS: u32 = 1024;

const LEN_BASE: [u8; 28] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128,
    160, 192, 224,
];
const LEN_BITS: [u8; 28] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5,
];
const DIST_BITS: [u8; 60] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13, 14, 14, 15, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 18, 18, 18, 18, 18,
    18, 18, 18, 18, 18, 18, 18,
];
const SHORT_BASE: [u8; 8] = [0, 4, 8, 16, 32, 64, 128, 192];
const SHORT_BITS: [u8; 8] = [2, 2, 3, 4, 5, 6, 6, 6];

/// The distance slots' bases: each slot's base is the previous one's plus
/// 2^(its bits).
const fn dist_base() -> [u32; 60] {
    let mut base = [0u32; 60];
    let mut i = 1;
    while i < 60 {
        base[i] = base[i - 1] + (1 << DIST_BITS[i - 1]);
        i += 1;
    }
    base
}
const DIST_BASE: [u32; 60] = dist_base();

/// The standard RarVM programs, known by CRC-32 and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    E8,
    E8E9,
    Itanium,
    Delta,
    Rgb,
    Audio,
    /// Any other program (its CRC-32 and length).
    Other(u32, usize),
}

impl Kind {
    fn of(code: &[u8]) -> Kind {
        let crc = crc32fast::hash(code);
        match (crc, code.len()) {
            (0xAD57_6887, 53) => Kind::E8,
            (0x3CD7_E57E, 57) => Kind::E8E9,
            (0x3769_893F, 120) => Kind::Itanium,
            (0x0E06_077D, 29) => Kind::Delta,
            (0x1C2C_5DC8, 149) => Kind::Rgb,
            (0xBC85_E701, 216) => Kind::Audio,
            (c, n) => Kind::Other(c, n),
        }
    }
}

/// A program met in the stream (filters refer to it by number).
#[derive(Debug, Clone, Copy)]
struct Program {
    kind: Kind,
    /// The region length the last filter of this program declared.
    old_len: u64,
}

/// A filter waiting for its region to be decoded.
#[derive(Debug, Clone, Copy)]
struct Filter {
    /// Absolute position (bytes decoded since the stream began).
    start: u64,
    len: u64,
    kind: Kind,
    /// Initial registers R0 and R1 (channels, width, position of red).
    r0: u32,
    r1: u32,
}

/// The four codes of an LZ block.
struct Tables {
    main: Code,
    dist: Code,
    low: Code,
    rep: Code,
}

/// The bytes a PPMd block reads: the file's packed data from a byte
/// position the LZ bit reader hands over (and takes back).
struct PpmIn<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Read for PpmIn<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or(&mut [])
            .copy_from_slice(rest.get(..n).unwrap_or(&[]));
        self.pos += n;
        Ok(n)
    }
}

/// A RAR 2.9 decoder: the window, distances, tables, programs and PPMd
/// model that solid files share, and the state of the file being decoded.
pub(crate) struct Unpack3<'a> {
    /// The window (at most 4 MiB) and the file's output.
    lz: Lz,
    old: [u64; 4],
    last_dist: u64,
    last_len: u64,
    prev_low: u64,
    low_reps: u32,
    /// The last table's lengths (new ones are sent as differences).
    lens: [u8; TABLES],
    tables: Option<Box<Tables>>,
    /// Tables are to be read at the start of the next (solid) file.
    new_tables: bool,
    /// The current block is a PPMd block.
    in_ppm: bool,
    ppm: Option<Box<Ppmd7aDecoder<PpmIn<'a>>>>,
    /// The PPMd escape byte.
    esc: u8,
    /// PPMd model memory the stream may allocate (the caller's limit).
    max_ppm: u64,
    programs: Vec<Program>,
    last_program: usize,
    // The file being decoded.
    filters: VecDeque<Filter>,
    bit: u64,
    /// The file's data ended (end-of-file code, or the packed data ran out).
    input_done: bool,
}

impl<'a> Unpack3<'a> {
    /// A decoder with an empty window; PPMd blocks may allocate up to
    /// `max_ppm` bytes of model memory.
    pub(crate) fn new(max_ppm: u64) -> Unpack3<'a> {
        Unpack3 {
            lz: Lz::new(WINDOW),
            old: [u64::MAX; 4],
            last_dist: u64::MAX,
            last_len: 0,
            prev_low: 0,
            low_reps: 0,
            lens: [0; TABLES],
            tables: None,
            new_tables: true,
            in_ppm: false,
            ppm: None,
            esc: 2,
            max_ppm,
            programs: Vec::new(),
            last_program: 0,
            filters: VecDeque::new(),
            bit: 0,
            input_done: false,
        }
    }

    /// Bytes decoded since the stream began (a solid file's history).
    pub(crate) fn history(&self) -> u64 {
        self.lz.pos
    }

    /// Get ready for the next file of `size` bytes (the window, distances,
    /// tables, programs and PPMd model stay, as a solid file needs them;
    /// filters never cross files).
    pub(crate) fn start_file(&mut self, size: u64) {
        self.filters.clear();
        self.lz.start_file(size);
        self.bit = 0;
        self.input_done = false;
    }

    /// The file's stream was decoded to its end and written out.
    pub(crate) fn finished(&self) -> bool {
        self.lz.finished
    }

    /// A reader of the file's decoded bytes from its packed data `src`
    /// (at offset `base` in the archive).
    pub(crate) fn reader<'s>(&'s mut self, src: &'a [u8], base: u64) -> Reader<'s, 'a> {
        Reader { u: self, src, base }
    }

    fn copy(&mut self, len: u64, dist: u64, b: &Bits<'_>) -> io::Result<()> {
        if dist == 0 || dist > self.lz.pos || dist > WINDOW {
            return Err(b.bad(format!(
                "RAR 4 match at distance {dist} reaches before the first of {} bytes decoded or past the 4 MiB window",
                self.lz.pos
            )));
        }
        self.lz.copy(len, dist);
        Ok(())
    }

    /// Write out what is decoded, running the filters whose regions are
    /// complete (with the filters after them on the same region); a filter
    /// still being decoded stops the write at its start.
    fn flush(&mut self, b: &Bits<'_>) -> io::Result<()> {
        while self.lz.written < self.lz.pos {
            match self.filters.front().copied() {
                Some(f) if f.start < self.lz.written => {
                    // Starts inside what is already written: RAR's own
                    // decoder never applies such a filter.
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
                    data = run(f, data, at, b)?;
                    self.filters.pop_front();
                    // Filters on the same region run on the output.
                    while let Some(g) = self.filters.front().copied() {
                        if g.start != f.start || g.len != data.len() as u64 {
                            break;
                        }
                        data = run(g, data, at, b)?;
                        self.filters.pop_front();
                    }
                    self.lz.emit(&data);
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

    /// Read the tables (LZ) or the PPMd block header at the next byte.
    fn read_tables(&mut self, b: &mut Bits<'a>) -> io::Result<()> {
        b.pos = b.pos.div_ceil(8) * 8;
        self.new_tables = false;
        if b.peek(1) == 1 {
            return self.ppm_header(b);
        }
        self.in_ppm = false;
        self.prev_low = 0;
        self.low_reps = 0;
        if b.read(2) & 1 == 0 {
            self.lens = [0; TABLES];
        }
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
            .ok_or_else(|| b.bad("RAR 4 code-length code is over-subscribed".into()))?;
        let mut lens = [0u8; TABLES];
        let mut i = 0;
        while i < TABLES {
            let sym = bc.decode(b)?;
            if sym < 16 {
                lens[i] = (sym as u8 + self.lens[i]) & 0xF;
                i += 1;
            } else if sym < 18 {
                let run = if sym == 16 {
                    b.read(3) + 3
                } else {
                    b.read(7) + 11
                } as usize;
                if i == 0 {
                    return Err(b.bad("RAR 4 table repeats a length before the first".into()));
                }
                let prev = lens[i - 1];
                let end = (i + run).min(TABLES);
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
                let end = (i + run).min(TABLES);
                for l in lens.get_mut(i..end).unwrap_or(&mut []) {
                    *l = 0;
                }
                i = end;
            }
            if b.pos > b.data.len() as u64 * 8 {
                return Err(b.err(
                    io::ErrorKind::UnexpectedEof,
                    "RAR 4 Huffman tables run past the packed data".into(),
                ));
            }
        }
        let code = |r: std::ops::Range<usize>, what: &str| {
            lens.get(r)
                .and_then(Code::new)
                .ok_or_else(|| b.bad(format!("RAR 4 {what} code is over-subscribed")))
        };
        self.tables = Some(Box::new(Tables {
            main: code(0..NC, "main")?,
            dist: code(NC..NC + DC, "distance")?,
            low: code(NC + DC..NC + DC + LDC, "low-distance")?,
            rep: code(NC + DC + LDC..TABLES, "repeat-length")?,
        }));
        self.lens = lens;
        Ok(())
    }

    /// A PPMd block's header (flags byte with the block bit, then the
    /// model memory when the model restarts, the escape byte when it
    /// changes), and the range decoder started after it.
    fn ppm_header(&mut self, b: &mut Bits<'a>) -> io::Result<()> {
        let flags = b.read(8);
        let reset = flags & 0x20 != 0;
        let mem = if reset {
            Some((u64::from(b.read(8)) + 1) << 20)
        } else {
            None
        };
        if flags & 0x40 != 0 {
            self.esc = b.read(8) as u8;
        }
        if b.pos > b.data.len() as u64 * 8 {
            return Err(b.err(
                io::ErrorKind::UnexpectedEof,
                "RAR 4 PPMd block header runs past the packed data".into(),
            ));
        }
        let Some(mem) = mem else {
            // The model goes on; the range decoder starts again here.
            let at = usize::try_from(b.byte_pos()).unwrap_or(usize::MAX);
            let Some(dec) = self.ppm.as_deref_mut() else {
                return Err(
                    b.bad("RAR 4 PPMd block goes on with a model no earlier block made".into())
                );
            };
            let input = dec.get_mut();
            input.data = b.data;
            input.pos = at;
            dec.restart_range_decoder()
                .map_err(|e| b.bad(format!("RAR 4 PPMd block could not start: {e:?}")))?;
            b.pos = dec.get_ref().pos as u64 * 8;
            self.in_ppm = true;
            return Ok(());
        };
        let mut order = (flags & 0x1F) + 1;
        if order > 16 {
            order = 16 + (order - 16) * 3;
        }
        if order < 2 {
            return Err(b.bad(format!("RAR 4 PPMd block of order {order}")));
        }
        if mem > self.max_ppm {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                LimitAt {
                    limit: Limit::MaxDictionary,
                    offset: b.base.saturating_add(b.byte_pos()),
                    message: format!(
                        "RAR 4 PPMd block declares a {mem}-byte model, past the {}-byte limit",
                        self.max_ppm
                    ),
                },
            ));
        }
        let input = PpmIn {
            data: b.data,
            pos: usize::try_from(b.byte_pos()).unwrap_or(usize::MAX),
        };
        // Both fit the crate's bounds: order 2..=64, memory 1..=256 MiB.
        let dec = Ppmd7aDecoder::new(input, order, mem as u32)
            .map_err(|e| b.bad(format!("RAR 4 PPMd block could not start: {e:?}")))?;
        b.pos = dec.get_ref().pos as u64 * 8;
        self.ppm = Some(Box::new(dec));
        self.in_ppm = true;
        Ok(())
    }

    /// Decode symbols until enough output can be written, the window holds
    /// all it may before a write, or the file's data ends.
    fn decode_some(&mut self, b: &mut Bits<'a>) -> io::Result<()> {
        if self.new_tables {
            self.read_tables(b)?;
        }
        loop {
            let pending = self.lz.pos - self.lz.written;
            if pending >= CHUNK && self.writable() || pending + MAX_MATCH * 2 > WINDOW {
                return Ok(());
            }
            if self.in_ppm {
                self.ppm_symbol(b)?;
            } else {
                if b.pos >= b.data.len() as u64 * 8 {
                    self.input_done = true;
                    return Ok(());
                }
                self.symbol(b)?;
                if b.pos > b.data.len() as u64 * 8 {
                    return Err(b.err(
                        io::ErrorKind::UnexpectedEof,
                        "RAR 4 code runs past the packed data".into(),
                    ));
                }
            }
            if self.input_done {
                return Ok(());
            }
            if self.lz.pos - self.lz.file_start > self.lz.size.saturating_add(MAX_MATCH) {
                return Err(b.bad(format!(
                    "RAR 4 stream decodes past the file's declared {} bytes",
                    self.lz.size
                )));
            }
        }
    }

    fn symbol(&mut self, b: &mut Bits<'a>) -> io::Result<()> {
        let Some(t) = self.tables.as_deref() else {
            return Err(b.bad("RAR 4 data has no Huffman tables to decode with".into()));
        };
        let main = t.main.decode(b)?;
        if main < 256 {
            self.lz.put(main as u8);
            return Ok(());
        }
        let (len, dist) = match main {
            256 => {
                // "1": new tables here; "00": end of file; "01": end of
                // file, new tables at the next file's start.
                if b.read(1) == 1 {
                    return self.read_tables(b);
                }
                self.new_tables = b.read(1) == 1;
                self.input_done = true;
                return Ok(());
            }
            257 => return self.lz_filter(b),
            258 => {
                if self.last_len == 0 {
                    return Ok(());
                }
                (self.last_len, self.last_dist)
            }
            259..=262 => {
                let k = main - 259;
                let dist = self.old[k];
                for i in (1..=k).rev() {
                    self.old[i] = self.old[i - 1];
                }
                self.old[0] = dist;
                let slot = t.rep.decode(b)?;
                (length(b, slot, 2), dist)
            }
            263..=270 => {
                let k = main - 263;
                let dist =
                    1 + u64::from(SHORT_BASE[k]) + u64::from(b.read(u32::from(SHORT_BITS[k])));
                self.push_old(dist);
                (2, dist)
            }
            _ => {
                let mut len = length(b, main - 271, 3);
                let slot = t.dist.decode(b)?;
                let bits = u32::from(*DIST_BITS.get(slot).unwrap_or(&0));
                let mut dist = 1 + u64::from(*DIST_BASE.get(slot).unwrap_or(&0));
                if slot > 9 {
                    if bits > 4 {
                        dist += u64::from(b.read(bits - 4)) << 4;
                    }
                    if self.low_reps > 0 {
                        self.low_reps -= 1;
                        dist += self.prev_low;
                    } else {
                        let low = t.low.decode(b)? as u64;
                        if low == 16 {
                            self.low_reps = 15;
                            dist += self.prev_low;
                        } else {
                            dist += low;
                            self.prev_low = low;
                        }
                    }
                } else {
                    dist += u64::from(b.read(bits));
                }
                if dist >= 0x2000 {
                    len += 1;
                    if dist >= 0x4_0000 {
                        len += 1;
                    }
                }
                self.push_old(dist);
                (len, dist)
            }
        };
        self.last_dist = dist;
        self.last_len = len;
        self.copy(len, dist, b)
    }

    fn push_old(&mut self, dist: u64) {
        self.old = [dist, self.old[0], self.old[1], self.old[2]];
    }

    /// The next PPMd symbol (the bit reader follows the range decoder's
    /// input).
    fn ppm_byte(&mut self, b: &mut Bits<'a>) -> io::Result<u8> {
        let Some(dec) = self.ppm.as_deref_mut() else {
            return Err(b.bad("RAR 4 PPMd data without a model".into()));
        };
        let mut one = [0u8; 1];
        let r = dec.read(&mut one);
        b.pos = dec.get_ref().pos as u64 * 8;
        match r {
            Ok(1) => Ok(one[0]),
            Ok(_) => Err(b.bad("RAR 4 PPMd data ends without an end-of-file code".into())),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(b.err(
                io::ErrorKind::UnexpectedEof,
                "RAR 4 PPMd data runs past the packed data".into(),
            )),
            Err(e) => Err(b.bad(format!("RAR 4 PPMd data is damaged: {e}"))),
        }
    }

    fn ppm_symbol(&mut self, b: &mut Bits<'a>) -> io::Result<()> {
        let c = self.ppm_byte(b)?;
        if c != self.esc {
            self.lz.put(c);
            return Ok(());
        }
        match self.ppm_byte(b)? {
            0 => {
                self.in_ppm = false;
                self.read_tables(b)
            }
            2 => {
                self.input_done = true;
                Ok(())
            }
            3 => {
                let flags = self.ppm_byte(b)?;
                let len = match flags & 7 {
                    6 => usize::from(self.ppm_byte(b)?) + 7,
                    7 => {
                        let hi = usize::from(self.ppm_byte(b)?);
                        (hi << 8) | usize::from(self.ppm_byte(b)?)
                    }
                    n => usize::from(n) + 1,
                };
                let mut code = Vec::with_capacity(len);
                for _ in 0..len {
                    code.push(self.ppm_byte(b)?);
                }
                self.add_filter(flags, &code, b)
            }
            4 => {
                let mut dist = 0u64;
                for _ in 0..3 {
                    dist = (dist << 8) | u64::from(self.ppm_byte(b)?);
                }
                let len = u64::from(self.ppm_byte(b)?);
                self.copy(len + 32, dist + 2, b)
            }
            5 => {
                let len = u64::from(self.ppm_byte(b)?);
                self.copy(len + 4, 1, b)
            }
            _ => {
                self.lz.put(c);
                Ok(())
            }
        }
    }

    /// A filter from the LZ stream: flags byte, code length, the code.
    fn lz_filter(&mut self, b: &mut Bits<'a>) -> io::Result<()> {
        let flags = b.read(8) as u8;
        let len = match flags & 7 {
            6 => b.read(8) as usize + 7,
            7 => b.read(16) as usize,
            n => usize::from(n) + 1,
        };
        let at = b.byte_pos();
        let mut code = Vec::with_capacity(len);
        for _ in 0..len {
            code.push(b.read(8) as u8);
        }
        if b.pos > b.data.len() as u64 * 8 {
            return Err(b.err(
                io::ErrorKind::UnexpectedEof,
                format!("RAR 4 filter at {at} runs past the packed data"),
            ));
        }
        self.add_filter(flags, &code, b)
    }

    /// Parse a filter's code (program number, region, registers, the
    /// program when new) and queue the filter.
    fn add_filter(&mut self, flags: u8, code: &[u8], outer: &Bits<'_>) -> io::Result<()> {
        let mut v = Bits {
            data: code,
            pos: 0,
            base: 0,
        };
        let bad = |m: String| outer.bad(format!("RAR 4 filter: {m}"));
        if code.is_empty() {
            return Err(bad("no code".into()));
        }
        let mut num = self.last_program;
        if flags & 0x80 != 0 {
            let n = vm_number(&mut v) as usize;
            if n == 0 {
                self.programs.clear();
                self.filters.clear();
                num = 0;
            } else {
                num = n - 1;
            }
        }
        if num > self.programs.len() || num > MAX_FILTERS {
            return Err(bad(format!(
                "refers to program {num}; {} are known",
                self.programs.len()
            )));
        }
        self.last_program = num;
        let mut start = u64::from(vm_number(&mut v));
        if flags & 0x40 != 0 {
            start += 258;
        }
        let len = if flags & 0x20 != 0 {
            u64::from(vm_number(&mut v))
        } else {
            self.programs.get(num).map_or(0, |p| p.old_len)
        };
        if len > VM_MEMORY {
            return Err(bad(format!(
                "a region of {len} bytes, past the RarVM's {VM_MEMORY}-byte memory"
            )));
        }
        let mut regs = [0u32; 7];
        if flags & 0x10 != 0 {
            let mask = v.read(7);
            for (i, r) in regs.iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    *r = vm_number(&mut v);
                }
            }
        }
        if num == self.programs.len() {
            let n = vm_number(&mut v) as usize;
            let from = usize::try_from(v.byte_pos()).unwrap_or(usize::MAX);
            if n == 0 || n >= 0x10000 || from.saturating_add(n) > code.len() {
                return Err(bad(format!("a program of {n} bytes")));
            }
            let mut prog = Vec::with_capacity(n);
            for _ in 0..n {
                prog.push(v.read(8) as u8);
            }
            let xor = prog.iter().skip(1).fold(0u8, |x, &c| x ^ c);
            if prog.first() != Some(&xor) {
                return Err(bad("program fails its XOR check".into()));
            }
            self.programs.push(Program {
                kind: Kind::of(&prog),
                old_len: 0,
            });
        }
        let Some(p) = self.programs.get_mut(num) else {
            return Err(bad(format!("no program {num}")));
        };
        p.old_len = len;
        if self.filters.len() >= MAX_FILTERS {
            return Err(bad(format!("more than {MAX_FILTERS} filters waiting")));
        }
        self.filters.push_back(Filter {
            start: self.lz.pos + start,
            len,
            kind: p.kind,
            r0: regs[0],
            r1: regs[1],
        });
        Ok(())
    }

    /// One step of the reader: decode, write out; at the file's end, check
    /// that every filter was applied and every declared byte produced.
    fn step(&mut self, src: &'a [u8], base: u64) -> io::Result<()> {
        let mut b = Bits {
            data: src,
            pos: self.bit,
            base,
        };
        if let Some(p) = self.ppm.as_deref_mut() {
            // The model's input is this file's data (a solid file goes on
            // with the range decoder where the last file left it).
            let input = p.get_mut();
            input.data = src;
            input.pos = usize::try_from(self.bit / 8).unwrap_or(usize::MAX);
        }
        let r = self.step_bits(&mut b);
        self.bit = b.pos;
        r
    }

    fn step_bits(&mut self, b: &mut Bits<'a>) -> io::Result<()> {
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
                    "RAR 4 filter region of {} bytes runs past the end of the file's data",
                    f.len
                )));
            }
            self.lz.finished = true;
            if self.lz.emitted < self.lz.size {
                return Err(b.err(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "RAR 4 stream ends after {} of the file's {} bytes",
                        self.lz.emitted, self.lz.size
                    ),
                ));
            }
        } else if self.lz.out.len() == before
            && self.lz.pos - self.lz.written + 2 * MAX_MATCH > WINDOW
        {
            return Err(b.bad(format!(
                "RAR 4 filter region does not fit the {WINDOW}-byte window"
            )));
        }
        Ok(())
    }
}

/// A match length from its slot: `base` plus the slot's base and extra bits.
fn length(b: &mut Bits<'_>, slot: usize, base: u64) -> u64 {
    let extra = u32::from(*LEN_BITS.get(slot).unwrap_or(&0));
    base + u64::from(*LEN_BASE.get(slot).unwrap_or(&0)) + u64::from(b.read(extra))
}

/// A RarVM number: 2 bits choose 4 bits, 8 bits (or, below 16, a negative
/// 12-bit value), 16 bits or 32 bits.
fn vm_number(v: &mut Bits<'_>) -> u32 {
    match v.read(2) {
        0 => v.read(4),
        1 => {
            let n = v.read(8);
            if n >= 16 {
                n
            } else {
                0xFFFF_FF00 | (n << 4) | v.read(4)
            }
        }
        2 => v.read(16),
        _ => v.read(32),
    }
}

/// Run a standard filter on its region `data`, which begins `at` bytes
/// into the file; the filtered bytes.
fn run(f: Filter, mut data: Vec<u8>, at: u64, b: &Bits<'_>) -> io::Result<Vec<u8>> {
    let n = data.len();
    let too_big = |limit: u64| {
        b.bad(format!(
            "RAR 4 {:?} filter region of {n} bytes is past the RarVM's {limit}-byte limit",
            f.kind
        ))
    };
    match f.kind {
        Kind::E8 | Kind::E8E9 => {
            const SIZE: u32 = 0x100_0000;
            if n as u64 > VM_MEMORY {
                return Err(too_big(VM_MEMORY));
            }
            let e9 = f.kind == Kind::E8E9;
            let base = at as u32;
            let mut i = 0usize;
            while i + 4 < n {
                let op = data[i];
                i += 1;
                if op == 0xE8 || (e9 && op == 0xE9) {
                    let off = base.wrapping_add(i as u32);
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
            Ok(data)
        }
        Kind::Delta => {
            let ch = f.r0;
            if n as u64 > VM_MEMORY / 2 {
                return Err(too_big(VM_MEMORY / 2));
            }
            if ch == 0 || ch > MAX_CHANNELS {
                return Err(b.bad(format!("RAR 4 DELTA filter of {ch} channels")));
            }
            let mut out = vec![0u8; n];
            let mut src = data.iter();
            for c in 0..ch as usize {
                let mut prev = 0u8;
                for o in out.iter_mut().skip(c).step_by(ch as usize) {
                    prev = prev.wrapping_sub(*src.next().unwrap_or(&0));
                    *o = prev;
                }
            }
            Ok(out)
        }
        Kind::Rgb => {
            let (width, pos_r) = (f.r0.wrapping_sub(3) as usize, f.r1 as usize);
            if n as u64 > VM_MEMORY / 2 {
                return Err(too_big(VM_MEMORY / 2));
            }
            if n < 3 || width > n || pos_r > 2 {
                return Err(b.bad(format!(
                    "RAR 4 RGB filter of width {width}, red at {pos_r}, over {n} bytes"
                )));
            }
            let mut out = vec![0u8; n];
            let mut src = data.iter();
            for c in 0..3 {
                let mut prev = 0u8;
                let mut i = c;
                while i < n {
                    let predicted = if i >= width + 3 {
                        let up = i32::from(out[i - width]);
                        let up_left = i32::from(out[i - width - 3]);
                        let p = i32::from(prev) + up - up_left;
                        let (pa, pb, pc) = (
                            (p - i32::from(prev)).abs(),
                            (p - up).abs(),
                            (p - up_left).abs(),
                        );
                        if pa <= pb && pa <= pc {
                            prev
                        } else if pb <= pc {
                            up as u8
                        } else {
                            up_left as u8
                        }
                    } else {
                        prev
                    };
                    prev = predicted.wrapping_sub(*src.next().unwrap_or(&0));
                    out[i] = prev;
                    i += 3;
                }
            }
            let mut i = pos_r;
            while i + 2 < n {
                let g = out[i + 1];
                out[i] = out[i].wrapping_add(g);
                out[i + 2] = out[i + 2].wrapping_add(g);
                i += 3;
            }
            Ok(out)
        }
        Kind::Audio => {
            let ch = f.r0;
            if n as u64 > VM_MEMORY / 2 {
                return Err(too_big(VM_MEMORY / 2));
            }
            if ch == 0 || ch > 128 {
                return Err(b.bad(format!("RAR 4 AUDIO filter of {ch} channels")));
            }
            let mut out = vec![0u8; n];
            let mut src = data.iter();
            for c in 0..ch as usize {
                let (mut prev_byte, mut prev_delta) = (0u32, 0i32);
                let (mut d1, mut d2) = (0i32, 0i32);
                let mut k = [0i32; 3];
                let mut dif = [0u32; 7];
                let mut count = 0u32;
                let mut i = c;
                while i < n {
                    let d3 = d2;
                    d2 = prev_delta - d1;
                    d1 = prev_delta;
                    let predicted = (8i32
                        .wrapping_mul(prev_byte as i32)
                        .wrapping_add(k[0].wrapping_mul(d1))
                        .wrapping_add(k[1].wrapping_mul(d2))
                        .wrapping_add(k[2].wrapping_mul(d3))
                        >> 3)
                        & 0xFF;
                    let cur = *src.next().unwrap_or(&0);
                    let byte = (predicted as u8).wrapping_sub(cur);
                    out[i] = byte;
                    prev_delta = i32::from(byte.wrapping_sub(prev_byte as u8) as i8);
                    prev_byte = u32::from(byte);
                    let d = i32::from(cur as i8) << 3;
                    let terms = [d, d - d1, d + d1, d - d2, d + d2, d - d3, d + d3];
                    for (x, t) in dif.iter_mut().zip(terms) {
                        *x = x.wrapping_add(t.unsigned_abs());
                    }
                    if count & 0x1F == 0 {
                        let mut best = 0;
                        for j in 1..7 {
                            if dif[j] < dif[best] {
                                best = j;
                            }
                        }
                        dif = [0; 7];
                        match best {
                            1 if k[0] >= -16 => k[0] -= 1,
                            2 if k[0] < 16 => k[0] += 1,
                            3 if k[1] >= -16 => k[1] -= 1,
                            4 if k[1] < 16 => k[1] += 1,
                            5 if k[2] >= -16 => k[2] -= 1,
                            6 if k[2] < 16 => k[2] += 1,
                            _ => {}
                        }
                    }
                    count = count.wrapping_add(1);
                    i += ch as usize;
                }
            }
            Ok(out)
        }
        Kind::Itanium => Err(b.err(
            io::ErrorKind::Unsupported,
            "RAR 4 ITANIUM filter is not run".into(),
        )),
        Kind::Other(crc, len) => Err(b.err(
            io::ErrorKind::Unsupported,
            format!(
                "RAR 4 filter program ({len} bytes, CRC-32 {crc:08x}) is not one of RAR's standard filters; RarVM programs are not run"
            ),
        )),
    }
}

/// The decoded bytes of one file.
pub(crate) struct Reader<'s, 'a> {
    u: &'s mut Unpack3<'a>,
    src: &'a [u8],
    base: u64,
}

impl Read for Reader<'_, '_> {
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
    fn distance_slots_match_the_formats_table() {
        // Spot values of RAR 2.9's distance bases (2^bits apart).
        assert_eq!(DIST_BASE[4], 4);
        assert_eq!(DIST_BASE[10], 32);
        assert_eq!(DIST_BASE[36], 262_144);
        assert_eq!(DIST_BASE[37], 327_680);
        assert_eq!(DIST_BASE[48], 1_048_576);
        assert_eq!(DIST_BASE[59], 3_932_160);
        // The largest distance is the 4 MiB window.
        assert_eq!(u64::from(DIST_BASE[59]) + (1 << 18), WINDOW);
    }

    /// Bytes from a string of bits, most significant first.
    fn pack(bits: &str) -> Vec<u8> {
        let bits: Vec<u8> = bits
            .bytes()
            .filter(|c| *c != b' ')
            .map(|c| c - b'0')
            .collect();
        bits.chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |v, (i, &b)| v | (b << (7 - i)))
            })
            .collect()
    }

    #[test]
    fn rarvm_numbers_take_their_four_forms() {
        // 00 + 4 bits; 01 + 8 bits (>= 16); 01 + 8 bits below 16, then 4
        // more (0xFFFFFF00 | the 8 bits); 10 + 16 bits; 11 + 32 bits.
        let data = pack(
            concat!(
                "00 1101",
                "01 1000_0000",
                "01 0000_0011 1110",
                "10 0001_0010_0011_0100",
                "11 1000_0000_0000_0000_0000_0000_0000_0001",
                "0000_0000",
            )
            .replace('_', "")
            .as_str(),
        );
        let mut b = Bits {
            data: &data,
            pos: 0,
            base: 0,
        };
        assert_eq!(vm_number(&mut b), 0xD);
        assert_eq!(vm_number(&mut b), 0x80);
        assert_eq!(vm_number(&mut b), 0xFFFF_FF3E);
        assert_eq!(vm_number(&mut b), 0x1234);
        assert_eq!(vm_number(&mut b), 0x8000_0001);
    }

    #[test]
    fn a_delta_filter_undoes_interleaved_differences() {
        // Two channels, each coded as the negated running difference.
        let f = Filter {
            start: 0,
            len: 4,
            kind: Kind::Delta,
            r0: 2,
            r1: 0,
        };
        let b = Bits {
            data: &[],
            pos: 0,
            base: 0,
        };
        // Channel 0 takes the first two bytes, channel 1 the next two.
        let out = run(f, vec![0xFF, 0xFF, 0xFE, 0x01], 0, &b).expect("delta");
        assert_eq!(out, [1, 2, 2, 1]);
        let none = Filter { r0: 0, ..f };
        assert!(run(none, vec![0; 4], 0, &b).is_err());
    }

    #[test]
    fn e8_targets_are_made_relative_again() {
        let f = Filter {
            start: 0,
            len: 16,
            kind: Kind::E8,
            r0: 0,
            r1: 0,
        };
        let b = Bits {
            data: &[],
            pos: 0,
            base: 0,
        };
        // A call at offset 0 whose absolute target 0x105 becomes 0x105 - 1.
        let mut d = vec![0xE8, 0x05, 0x01, 0, 0];
        d.resize(16, 0x90);
        let out = run(f, d.clone(), 0, &b).expect("e8");
        assert_eq!(&out[..5], [0xE8, 0x04, 0x01, 0, 0]);
        // E9 is left alone by E8 and changed by E8E9.
        d[0] = 0xE9;
        assert_eq!(run(f, d.clone(), 0, &b).expect("e8"), d);
        let e9 = Filter {
            kind: Kind::E8E9,
            ..f
        };
        assert_eq!(&run(e9, d, 0, &b).expect("e8e9")[..2], [0xE9, 0x04]);
    }
}
