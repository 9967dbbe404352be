//! LZX as cabinets use it (`typeCompress` 3; the LZXD format of
//! [MS-PATCH] without its DELTA extensions), decoded one frame at a time.
//!
//! A cabinet folder's LZX stream is cut into frames of 32 KiB of output, one
//! per CFDATA block (the last may be shorter). [`Lzx::decode_frame`] takes
//! one block's bytes and appends its frame to a buffer; it knows nothing of
//! cabinets beyond that.
//!
//! What is decoded, and how, is what libmspack's `lzxd.c` (cabextract) and
//! 7-Zip's `LzxDecoder.cpp` agree on:
//! - a header bit and, when set, a 32-bit E8 translation size (two 16-bit
//!   fields, high half first), read once at the start of the stream;
//! - verbatim, aligned-offset and uncompressed blocks of up to 2^24 - 1
//!   bytes, which may span frames; code lengths sent as deltas from the
//!   previous block's, through a 20-symbol pretree; the three repeated
//!   offsets, which an uncompressed block's header sets;
//! - the bit stream (16-bit little-endian words, most significant bit first)
//!   is re-aligned to a word at each frame's end; an uncompressed block
//!   starts after 1 to 16 padding bits, and one of odd length is followed by
//!   a padding byte;
//! - E8 translation (x86 CALL targets made absolute by the compressor) undone
//!   on each frame of more than 10 bytes while fewer than 32768 frames (1 GiB)
//!   have been output, as libmspack does it: for an E8 byte at stream
//!   position `cur` (not in the frame's last 10 bytes), the 32-bit value
//!   `abs` after it becomes `abs - cur` when `0 <= abs < size` and
//!   `abs + size` when `-cur <= abs < 0`; the 4 bytes after every E8 are
//!   skipped, translated or not.
//!
//! Where the two references part ways, the stream is rejected rather than
//! one guess taken, so that no byte we output could differ from what either
//! tool writes:
//! - a frame whose bits end before its input does (libmspack would read the
//!   rest as the next frame's start; 7-Zip rejects it), or that needs bits
//!   past its input; a frame after one shorter than 32 KiB (7-Zip rejects it;
//!   libmspack frames by 32 KiB of output, not by block). These are reported
//!   when the next frame is asked for, so a folder's last frame may have
//!   trailing bytes;
//! - a pretree run that passes the end of the lengths it fills, and a
//!   "same length" run whose length symbol is 17, 18 or 19 (7-Zip rejects
//!   both; libmspack writes past the table or stores a length of 255);
//! - a match distance of 0, or above the window size minus 3 (only an
//!   uncompressed block's header can set these; 7-Zip rejects them there,
//!   libmspack copies stale window bytes for 0 and for more than the
//!   window);
//! - an E8 translation size of 2^31 or more in a frame where an E8 byte
//!   would be translated (libmspack compares it as a negative `int`, 7-Zip
//!   as unsigned).
//!
//! Where one of them refuses a stream the other decodes with nothing left
//! to interpretation, it is decoded: padding bits or a padding byte that
//! are not zero, repeated offsets set to values no match then uses, bytes
//! after the data of a stream's last frame (7-Zip refuses each; libmspack
//! ignores them).
//!
//! Errors are [`Error::Malformed`], naming the frame, its output offset and
//! the input byte where decoding stopped. After an error every call fails
//! with it. Memory: the window (2^15..2^21 bytes and one 32 KiB frame
//! more, allocated zeroed at the first frame: only the pages frames reach
//! are touched) and a few small tables.
//!
//! Speed: the symbol loop takes no branch on what the data decides where it
//! can help it (whether bits must be loaded, whether a match's length needs
//! the length tree, whether it repeats an offset, how long a short match
//! is), as those branches are mispredicted about as often as not.

use installsift_model::error::{Error, Result};

/// Output bytes per frame: every frame but a stream's last holds this many.
pub(crate) const FRAME: usize = 32 * 1024;
const MIN_MATCH: usize = 2;
/// Most position slots (window of 2^21 bytes).
const MAX_SLOTS: usize = 50;
const MAIN_MAX: usize = 256 + MAX_SLOTS * 8;
const LEN_SYMS: usize = 249;
const PRE_SYMS: usize = 20;
const ALIGNED_SYMS: usize = 8;
/// E8 translation stops once this many frames have been output.
const E8_FRAMES: u64 = 32768;
/// E8 bytes among a frame's last this many bytes are not translated.
const E8_TAIL: usize = 10;
/// Bytes past the ring a match copy may touch: copies move 32, 16, 8 or 4
/// bytes at a time and may write up to 31 bytes past a match's end (and read
/// as far past its source's end, into bytes only those overrun bytes take).
const SLACK: usize = 64;
/// Primary lookup bits of the Huffman tables.
const MAIN_BITS: u32 = 11;
const LEN_BITS: u32 = 9;
const ALIGNED_BITS: u32 = 7;
const PRE_BITS: u32 = 7;

/// Extra (footer) bits of each position slot; 64 entries so that a slot
/// masked with 63 indexes them without a bounds check (slots 50 to 63
/// never occur: the main tree has no symbols for them).
const EXTRA: [u8; 64] = {
    let mut t = [17u8; 64];
    let mut i = 0;
    while i < 36 {
        t[i] = if i < 4 { 0 } else { (i / 2 - 1) as u8 };
        i += 1;
    }
    t
};

/// First formatted offset of each position slot (the distance plus 2).
const BASE: [u32; 64] = {
    let mut t = [0u32; 64];
    let mut i = 1;
    while i < 64 {
        t[i] = t[i - 1] + (1 << EXTRA[i - 1]);
        i += 1;
    }
    t
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Verbatim,
    Aligned,
    Uncompressed,
}

/// Decoder state of one LZX stream (one cabinet folder).
pub(crate) struct Lzx {
    /// The sliding window, a ring of `ring` bytes plus `SLACK` (empty until
    /// the first frame).
    window: Vec<u8>,
    wsize: usize,
    /// The ring's size: the window and one frame more. A match copy may
    /// overwrite up to 31 bytes past its end; the ring's extra frame keeps
    /// those bytes out of reach of every later match, whose source lies
    /// behind the write position or, from the ring's previous pass, at
    /// least a frame and 3 bytes ahead of it (no distance exceeds the window
    /// size minus 3). A multiple of `FRAME`: no frame straddles the ring's
    /// end.
    ring: usize,
    /// Symbols of the main tree: 256 literals and 8 per position slot.
    main_syms: usize,
    /// Window index of the next byte; a multiple of `FRAME` between frames.
    pos: usize,
    /// Window index of the current frame's first byte.
    frame_start: usize,
    /// The window has been filled once: distances may reach round its end.
    wrapped: bool,
    frames: u64,
    /// Stream offset of the current frame's first byte.
    out_offset: u64,
    /// Repeated offsets R0, R1, R2.
    reps: [u32; 3],
    /// E8 translation size; `None` until the stream header is read.
    e8_size: Option<u32>,
    kind: Kind,
    /// Bytes left in the current block (0: a block header comes next).
    remaining: u32,
    /// The current block is uncompressed and of odd length.
    odd: bool,
    /// An uncompressed block of odd length has ended; its padding byte has
    /// not been read.
    pad_pending: bool,
    /// The previous frame ended inside an uncompressed block (or before its
    /// padding byte): the next one starts with raw bytes, not bits.
    byte_mode: bool,
    /// Why the next frame may not be decoded (set by a short frame or one
    /// that left input unread; only a stream's last frame may do either).
    next_refused: Option<String>,
    failed: Option<Error>,
    /// Scratch for [`Bits`]: the frame's input with its words byte-swapped.
    scratch: Vec<u8>,
    main_lens: [u8; MAIN_MAX],
    len_lens: [u8; LEN_SYMS],
    main: Huffman,
    length: Huffman,
    aligned: Huffman,
    pre: Huffman,
}

impl Lzx {
    /// A decoder for a window of 2^`window_bits` bytes (15 to 21, as
    /// cabinets allow); `None` for other sizes.
    pub fn new(window_bits: u8) -> Option<Lzx> {
        let slots = match window_bits {
            15..=19 => usize::from(window_bits) * 2,
            20 => 42,
            21 => 50,
            _ => return None,
        };
        Some(Lzx {
            window: Vec::new(),
            wsize: 1 << window_bits,
            ring: (1 << window_bits) + FRAME,
            main_syms: 256 + slots * 8,
            pos: 0,
            frame_start: 0,
            wrapped: false,
            frames: 0,
            out_offset: 0,
            reps: [1; 3],
            e8_size: None,
            kind: Kind::Verbatim,
            remaining: 0,
            odd: false,
            pad_pending: false,
            byte_mode: false,
            next_refused: None,
            failed: None,
            scratch: Vec::new(),
            main_lens: [0; MAIN_MAX],
            len_lens: [0; LEN_SYMS],
            main: Huffman::new(MAIN_BITS),
            length: Huffman::new(LEN_BITS),
            aligned: Huffman::new(ALIGNED_BITS),
            pre: Huffman::new(PRE_BITS),
        })
    }

    /// A decoder for a new stream (the next folder of a cabinet, or a
    /// CHM section's next reset point: see [`Lzx::starting_at`] for
    /// `out_offset` and `frames`) with a window of 2^`window_bits` bytes,
    /// keeping this one's allocations
    /// when the window is the same size: a fresh 2 MiB window is zeroed by
    /// the allocator or faulted in page by page, once per folder. The old
    /// bytes are never read: the new stream starts unwrapped at index 0,
    /// and no match may reach before its first byte (see `decode_run`).
    /// `None` for window sizes [`Lzx::new`] refuses.
    pub(crate) fn renew(
        mut self: Box<Self>,
        window_bits: u8,
        out_offset: u64,
        frames: u64,
    ) -> Option<Box<Lzx>> {
        let mut fresh = Lzx::starting_at(window_bits, out_offset, frames)?;
        if self.window.len() == fresh.ring + SLACK {
            fresh.window = std::mem::take(&mut self.window);
        }
        fresh.scratch = std::mem::take(&mut self.scratch);
        *self = fresh;
        Some(self)
    }

    /// A decoder for a stream that continues another at stream offset
    /// `out_offset`, after `frames` frames (a CHM's LZX section restarts at
    /// each reset point with fresh trees, header and window, while E8
    /// translation counts from the section's start): `None` for window
    /// sizes [`Lzx::new`] refuses.
    pub(crate) fn starting_at(window_bits: u8, out_offset: u64, frames: u64) -> Option<Lzx> {
        let mut l = Lzx::new(window_bits)?;
        l.out_offset = out_offset;
        l.frames = frames;
        Some(l)
    }

    /// Why the next frame would be refused (the last frame left input
    /// unread, or held fewer than 32 KiB), if it would be.
    pub(crate) fn refusal(&self) -> Option<&str> {
        self.next_refused.as_deref()
    }

    /// Decode the next frame, `out_len` bytes (1 to 32768), from `input`
    /// (one CFDATA block's data), appending it to `out`. On error nothing
    /// is appended.
    pub fn decode_frame(&mut self, input: &[u8], out_len: usize, out: &mut Vec<u8>) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.frame(input, out_len, out);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// An error about the current frame; `at` is the input byte reached.
    fn error(&self, at: usize, what: impl std::fmt::Display) -> Error {
        Error::malformed(format!(
            "LZX frame {} (output offset {}), input byte {at}: {what}",
            self.frames, self.out_offset
        ))
    }

    fn frame(&mut self, input: &[u8], out_len: usize, out: &mut Vec<u8>) -> Result<()> {
        if let Some(why) = self.next_refused.take() {
            return Err(self.error(0, why));
        }
        if out_len == 0 || out_len > FRAME {
            return Err(self.error(
                0,
                format!("a frame must hold 1 to {FRAME} bytes, this one declares {out_len}"),
            ));
        }
        self.frame_start = self.pos;
        if self.window.is_empty() {
            // Zeroed by the allocator (fresh pages): only what the frames
            // reach is ever touched.
            self.window = vec![0; self.ring + SLACK];
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = self.frame_bits(input, out_len, out, &mut scratch);
        self.scratch = scratch;
        result
    }

    /// [`Lzx::frame`] once checked, with the scratch buffer of its reader.
    fn frame_bits(
        &mut self,
        input: &[u8],
        out_len: usize,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
    ) -> Result<()> {
        let (start, end) = (self.frame_start, self.frame_start + out_len);
        let mut bits = Bits::new(input, scratch, self.byte_mode);
        if self.e8_size.is_none() {
            let size = if bits.read(1) == 1 {
                (bits.read(16) << 16) | bits.read(16)
            } else {
                0
            };
            self.e8_size = Some(size);
        }
        let mut byte_mode = self.byte_mode;
        while self.pos < end {
            if self.remaining == 0 {
                self.block_header(&mut bits, &mut byte_mode)?;
                continue;
            }
            let run_end = end.min(self.pos + self.remaining as usize);
            let run = run_end - self.pos;
            if self.kind == Kind::Uncompressed {
                let at = bits.pos;
                let (Some(src), Some(dst)) = (
                    input.get(at..at + run),
                    self.window.get_mut(self.pos..run_end),
                ) else {
                    return Err(self.error(
                        at,
                        format!(
                            "uncompressed block needs {run} more bytes, {} remain",
                            input.len().saturating_sub(at)
                        ),
                    ));
                };
                dst.copy_from_slice(src);
                bits.pos = at + run;
                self.pos = run_end;
            } else {
                self.decode_run(&mut bits, run_end)?;
            }
            // `run` fits in u32: it is at most `remaining`.
            self.remaining -= run as u32;
            if self.remaining == 0 && self.kind == Kind::Uncompressed {
                self.pad_pending = self.odd;
            }
        }

        // Where this frame's input ends: the rest of its last word in bit
        // mode; an odd uncompressed block's padding byte, when it is all
        // that is left.
        let used = if byte_mode {
            if self.pad_pending && bits.pos + 1 == input.len() {
                self.pad_pending = false;
                input.len()
            } else {
                bits.pos
            }
        } else {
            bits.end()
        };
        if used > input.len() {
            return Err(self.error(
                input.len(),
                format!(
                    "the frame needs {used} bytes of input, it has {}",
                    input.len()
                ),
            ));
        }
        if used < input.len() {
            self.next_refused = Some(format!(
                "the previous frame left {} of its {} input bytes unread \
                 (cabextract would read them as this frame's start, 7-Zip rejects them)",
                input.len() - used,
                input.len()
            ));
        } else if out_len < FRAME {
            self.next_refused = Some(format!(
                "the previous frame held {out_len} bytes; only a stream's last frame may hold \
                 fewer than {FRAME}"
            ));
        }
        self.byte_mode = byte_mode;

        let first = out.len();
        out.extend_from_slice(self.window.get(start..end).unwrap_or(&[]));
        let size = self.e8_size.unwrap_or(0);
        if size != 0 && self.frames < E8_FRAMES {
            let frame = out.get_mut(first..).unwrap_or(&mut []);
            // Below 2^30 + 2^15: fewer than 32768 frames of at most 32 KiB.
            let offset = self.out_offset as i32;
            if let Err(at) = e8_translate(frame, offset, size) {
                out.truncate(first);
                return Err(self.error(
                    used,
                    format!(
                        "E8 translation size {size:#x} is 2^31 or more and an E8 byte at \
                         frame offset {at} would be translated (libmspack and 7-Zip \
                         translate it differently)"
                    ),
                ));
            }
        }
        self.frames += 1;
        self.out_offset += out_len as u64;
        if self.pos == self.ring {
            self.pos = 0;
            self.wrapped = true;
        }
        Ok(())
    }
}

impl Lzx {
    /// Read a block header (and the trees of a compressed block) at the
    /// current input position.
    fn block_header(&mut self, bits: &mut Bits<'_>, byte_mode: &mut bool) -> Result<()> {
        if *byte_mode {
            if self.pad_pending {
                if bits.pos >= bits.data.len() {
                    return Err(self.error(
                        bits.pos,
                        "the padding byte after an uncompressed block of odd length is missing",
                    ));
                }
                bits.pos += 1;
                self.pad_pending = false;
            }
            bits.bits_from(bits.pos);
            *byte_mode = false;
        }
        let at = bits.at();
        let kind = bits.read(3);
        let size = (bits.read(16) << 8) | bits.read(8);
        let kind = match kind {
            1 => Kind::Verbatim,
            2 => Kind::Aligned,
            3 => Kind::Uncompressed,
            _ if bits.end() > bits.data.len() => {
                return Err(self.error(at, "the input ends inside a block header"))
            }
            t => return Err(self.error(at, format!("block type {t} is not 1, 2 or 3"))),
        };
        if kind == Kind::Uncompressed {
            let from = bits.align();
            let Some(r) = bits.data.get(from..from + 12) else {
                return Err(self.error(at, "the input ends inside an uncompressed block's header"));
            };
            for (rep, b) in self.reps.iter_mut().zip(r.chunks_exact(4)) {
                *rep = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
            bits.bytes_from(from + 12);
            *byte_mode = true;
            self.odd = size & 1 == 1;
        } else {
            if let Err(what) = self.read_trees(bits, kind) {
                return Err(self.error(at, format!("block header: {what}")));
            }
            if bits.end() > bits.data.len() {
                return Err(self.error(at, "the input ends inside a block header"));
            }
            self.odd = false;
        }
        self.kind = kind;
        self.remaining = size;
        Ok(())
    }

    /// The aligned-offset tree (aligned blocks), main tree and length tree.
    fn read_trees(&mut self, bits: &mut Bits<'_>, kind: Kind) -> std::result::Result<(), String> {
        if kind == Kind::Aligned {
            let mut lens = [0u8; ALIGNED_SYMS];
            for l in &mut lens {
                *l = bits.read(3) as u8;
            }
            self.aligned
                .build(&lens, false)
                .map_err(|e| format!("aligned offset tree: {e}"))?;
        }
        let (lits, slots) = self.main_lens.split_at_mut(256);
        read_lengths(&mut self.pre, bits, lits).map_err(|e| format!("main tree literals: {e}"))?;
        let slots = slots.get_mut(..self.main_syms - 256).unwrap_or(&mut []);
        read_lengths(&mut self.pre, bits, slots).map_err(|e| format!("main tree matches: {e}"))?;
        let main = self.main_lens.get(..self.main_syms).unwrap_or(&[]);
        self.main
            .build(main, false)
            .map_err(|e| format!("main tree: {e}"))?;
        read_lengths(&mut self.pre, bits, &mut self.len_lens)
            .map_err(|e| format!("length tree: {e}"))?;
        self.length
            .build(&self.len_lens, true)
            .map_err(|e| format!("length tree: {e}"))?;
        Ok(())
    }

    /// Decode literals and matches of a verbatim or aligned block up to
    /// window index `end` (the block's or the frame's end). Not inlined:
    /// the loop gets the registers to itself.
    #[inline(never)]
    fn decode_run(&mut self, bits: &mut Bits<'_>, end: usize) -> Result<()> {
        static NO_CODE: [u32; 1 << LEN_BITS] = [0; 1 << LEN_BITS];
        let aligned_block = self.kind == Kind::Aligned;
        let ring = self.ring;
        // Distances above this are rejected (see the module docs).
        let far = self.wsize - 3;
        // Before the ring first fills, nothing lies before index 0.
        let behind = if self.wrapped { ring } else { 0 };
        let mut reps = self.reps;
        let mut pos = self.pos;
        // The loop's state in locals, so that it stays in registers.
        let (data, words, origin) = (bits.data, bits.words, bits.origin);
        let (mut buf, mut count) = (bits.buf, bits.count);
        // The words not loaded yet (empty when they are not made: then
        // every load takes the slow path).
        let mut rest = words.get(bits.pos.wrapping_sub(origin)..).unwrap_or(&[]);
        // Once the words run out (or were never made), loads go through
        // `Bits::refill_slow` from this byte position.
        let mut slow = rest.is_empty();
        let mut slow_pos = bits.pos;
        let win = self.window.as_mut_slice();
        let (main, length) = (&self.main, &self.length);
        // Fixed-size views of the primary tables: indexes taken from the
        // top bits of `buf` need no bounds check.
        let Some(main_primary) = main.primary::<{ 1 << MAIN_BITS }>() else {
            return Err(self.error(bits.at(), "no main tree"));
        };
        let len_primary = length.primary::<{ 1 << LEN_BITS }>().unwrap_or(&NO_CODE);
        // Aligned codes are at most 7 bits long: no subtables.
        let aligned_primary = self
            .aligned
            .primary::<{ 1 << ALIGNED_BITS }>()
            .unwrap_or(&[0; 1 << ALIGNED_BITS]);
        macro_rules! refill {
            () => {
                if let (false, Some(b)) = (slow, rest.first_chunk::<8>()) {
                    // Without a branch on `count` (it is as unpredictable
                    // as the symbols): the next 64 bits go below the
                    // unread ones, the stream's own next bits wherever they
                    // land, and the whole words among them that fit in 63
                    // bits are taken (none when 48 or more are buffered;
                    // 48 or more are buffered after).
                    buf |= u64::from_be_bytes(*b) >> count;
                    let take = (63 - count) & !15;
                    rest = rest.get((take / 8) as usize..).unwrap_or(&[]);
                    count += take;
                } else if count < 48 {
                    let pos = if slow {
                        slow_pos
                    } else {
                        origin + words.len() - rest.len()
                    };
                    let mut b = Bits {
                        data,
                        words: &[],
                        origin,
                        scratch: None,
                        pos,
                        buf,
                        count,
                    };
                    b.refill_slow();
                    (buf, count, slow_pos, slow) = (b.buf, b.count, b.pos, true);
                }
            };
        }
        macro_rules! consume {
            ($n:expr) => {{
                let n = $n;
                buf <<= n;
                count -= n;
            }};
        }
        // The main symbol at the top of `buf` (16 bits must be buffered).
        macro_rules! main_entry {
            () => {{
                let e = main_primary[(buf >> (64 - MAIN_BITS)) as usize];
                let e = if e & LINK != 0 {
                    main.sub_entry(e, buf)
                } else {
                    e
                };
                consume!((e >> 16) & 31);
                e
            }};
        }
        macro_rules! literal {
            ($e:expr) => {
                if let Some(b) = win.get_mut(pos) {
                    *b = $e as u8;
                }
                pos += 1;
            };
        }
        let result = 'symbols: loop {
            if pos >= end {
                break Ok(());
            }
            // 48 bits or more: three symbols of up to 16 bits each may be
            // decoded before the next refill; a match refills first.
            refill!();
            let mut e = main_entry!();
            for _ in 0..2 {
                if e & 0xFFFF >= 256 {
                    break;
                }
                literal!(e);
                if pos >= end {
                    break 'symbols Ok(());
                }
                e = main_entry!();
            }
            if e & 0xFFFF < 256 {
                literal!(e);
                continue;
            }
            // A match: at least 48 bits after the refill, of which the
            // length symbol takes up to 16 and the offset up to 21.
            refill!();
            let m = (e & 0xFFFF) as usize - 256;
            let header = m & 7;
            // The length tree's symbol is looked up for every match and
            // taken only when the header says 7 (a branch on it would be
            // mispredicted a match in four).
            let long = header == 7;
            let mut e = len_primary[(buf >> (64 - LEN_BITS)) as usize];
            // A link is rare (length codes of more than 9 bits), whatever
            // the bits are: tested first, the branch is predictable.
            if e & LINK != 0 && long {
                e = length.sub_entry(e, buf);
            }
            if long & length.empty {
                break Err("a match needs the length tree, which is empty".to_owned());
            }
            let e = if long { e } else { 0 };
            consume!((e >> 16) & 31);
            let len = header + MIN_MATCH + (e & 0xFFFF) as usize;
            // The distance and the repeated offsets without a branch on the
            // slot (whether a match repeats an offset is as unpredictable as
            // its length): slots 0 to 2 read no extra bits (`EXTRA` is 0
            // there) and pick a repeated offset; the others make a new one.
            let slot = m >> 3;
            let extra = u32::from(EXTRA[slot & 63]);
            let base = BASE[slot & 63].wrapping_sub(2);
            let fresh = if aligned_block && extra >= 3 {
                let high = ((buf >> 1) >> (63 - (extra - 3))) as u32;
                consume!(extra - 3);
                let e = aligned_primary[(buf >> (64 - ALIGNED_BITS)) as usize];
                consume!((e >> 16) & 31);
                base.wrapping_add(high << 3).wrapping_add(e & 0xFFFF)
            } else {
                let v = ((buf >> 1) >> (63 - extra)) as u32;
                consume!(extra);
                base.wrapping_add(v)
            };
            // Slots 0 to 2 pick a repeated offset, the others make a new
            // one: where each of the new three comes from (3: the new one),
            // without a branch on the slot.
            const FROM: [[usize; 3]; 4] = [[0, 1, 2], [1, 0, 2], [2, 1, 0], [3, 0, 1]];
            let all = [reps[0], reps[1], reps[2], fresh];
            let from = FROM[slot.min(3)];
            reps = [all[from[0]], all[from[1]], all[from[2]]];
            let dist = reps[0];
            let dist = dist as usize;
            if len > end - pos || dist.wrapping_sub(1) >= (pos + behind).min(far) {
                let at = self.out_offset + (pos - self.frame_start) as u64;
                break Err(if len > end - pos {
                    format!(
                        "a match of {len} bytes at output offset {at} runs past the end of its \
                         block or frame ({} bytes left)",
                        end - pos
                    )
                } else if dist == 0 {
                    format!("a match at output offset {at} has distance 0")
                } else if dist > far {
                    format!(
                        "a match at output offset {at} has distance {dist}, more than the \
                         window allows ({far})"
                    )
                } else {
                    format!(
                        "a match at output offset {at} reaches {dist} bytes back, before the \
                         start of the data"
                    )
                });
            }
            copy_match(win, pos, dist, len, ring);
            pos += len;
        };
        bits.pos = if slow {
            slow_pos
        } else {
            origin + words.len() - rest.len()
        };
        (bits.buf, bits.count) = (buf, count);
        self.reps = reps;
        self.pos = pos;
        result.map_err(|what| self.error(bits.at(), what))
    }
}

/// Copy a match of `len` bytes from `dist` bytes back to window index
/// `pos` in a ring of `ring` bytes. The caller has checked that `pos + len`
/// stays within the frame and that `1 <= dist <= wsize - 3` reaches only
/// decoded bytes.
///
/// Bytes move up to 32 at a time and up to 31 bytes past the match's end
/// may be overwritten: they lie ahead in the ring, out of reach of every
/// later match until they are rewritten (see `Lzx::ring`).
#[inline(always)]
fn copy_match(w: &mut [u8], pos: usize, dist: usize, len: usize, ring: usize) {
    let src = if dist <= pos {
        pos - dist
    } else {
        pos + ring - dist
    };
    if dist >= 16 && src + len <= ring {
        // The common case: the source lies at least 16 bytes behind, or
        // (from the ring's previous pass) more than a frame ahead. Each
        // 16-byte move reads only bytes already in place; the first two are
        // made whatever the length, so that short matches take no branch.
        move_n::<16>(w, src, pos);
        move_n::<16>(w, src + 16, pos + 16);
        let mut done = 32;
        while done < len {
            move_n::<16>(w, src + done, pos + done);
            move_n::<16>(w, src + done + 16, pos + done + 16);
            done += 32;
        }
        return;
    }
    if src + len > ring {
        // The source runs round the ring's end: byte by byte (once per
        // ring pass at most).
        for i in 0..len {
            let b = w.get((src + i) % ring).copied().unwrap_or(0);
            if let Some(d) = w.get_mut(pos + i) {
                *d = b;
            }
        }
    } else if dist >= 8 {
        copy_by::<8>(w, src, pos, len);
    } else if dist >= 4 {
        copy_by::<4>(w, src, pos, len);
    } else if dist == 1 {
        let b = w.get(src).copied().unwrap_or(0);
        if let Some(d) = w.get_mut(pos..pos + len) {
            d.fill(b);
        }
    } else {
        for i in 0..len {
            let b = w.get(src + i).copied().unwrap_or(0);
            if let Some(d) = w.get_mut(pos + i) {
                *d = b;
            }
        }
    }
}

/// Copy `len` bytes from `src` to `pos`, `N` at a time (rounded up: up to
/// `N - 1` bytes past the end are written); `N` must not exceed the
/// distance, so that each move reads only bytes already in place.
#[inline(always)]
fn copy_by<const N: usize>(w: &mut [u8], src: usize, pos: usize, len: usize) {
    let mut done = 0;
    while done < len {
        move_n::<N>(w, src + done, pos + done);
        done += N;
    }
}

/// Copy `N` bytes from `s` to `d` within the window (its `SLACK` keeps
/// both in bounds), as one unaligned load and store.
#[inline(always)]
fn move_n<const N: usize>(w: &mut [u8], s: usize, d: usize) {
    let last = w.len().saturating_sub(N);
    if s <= last && d <= last {
        w.copy_within(s..s + N, d);
    }
}

/// Read code lengths for `lens` (deltas from their previous values)
/// through a pretree read first.
fn read_lengths(
    pre: &mut Huffman,
    bits: &mut Bits<'_>,
    lens: &mut [u8],
) -> std::result::Result<(), String> {
    let mut pre_lens = [0u8; PRE_SYMS];
    for l in &mut pre_lens {
        *l = bits.read(4) as u8;
    }
    pre.build(&pre_lens, false)
        .map_err(|e| format!("pretree: {e}"))?;
    let n = lens.len();
    let mut x = 0;
    while x < n {
        bits.refill();
        let (value, run) = match pre.decode(bits) {
            z @ 0..=16 => {
                let old = lens.get(x).copied().unwrap_or(0);
                ((old + 17 - z as u8) % 17, 1)
            }
            17 => (0, 4 + bits.read(4) as usize),
            18 => (0, 20 + bits.read(5) as usize),
            _ => {
                let run = 4 + bits.read(1) as usize;
                bits.refill();
                let z = pre.decode(bits);
                if z > 16 {
                    return Err(format!(
                        "a run of equal lengths at symbol {x} takes pretree symbol {z}, not a length"
                    ));
                }
                let old = lens.get(x).copied().unwrap_or(0);
                ((old + 17 - z as u8) % 17, run)
            }
        };
        let Some(dst) = lens.get_mut(x..x + run) else {
            return Err(format!(
                "a run of {run} lengths at symbol {x} passes the last of {n} symbols"
            ));
        };
        dst.fill(value);
        x += run;
    }
    Ok(())
}

/// Undo E8 translation on one frame, in place. `offset` is the stream
/// offset of its first byte, `size` the translation size (not 0). Returns
/// the offset of an E8 byte that cannot be translated unambiguously (a
/// size of 2^31 or more).
fn e8_translate(frame: &mut [u8], offset: i32, size: u32) -> std::result::Result<(), usize> {
    let Some(limit) = frame.len().checked_sub(E8_TAIL).filter(|&l| l > 0) else {
        return Ok(());
    };
    let Ok(size) = i32::try_from(size) else {
        return match frame
            .get(..limit)
            .unwrap_or(&[])
            .iter()
            .position(|&b| b == 0xE8)
        {
            Some(at) => Err(at),
            None => Ok(()),
        };
    };
    // E8 bytes found by memchr's vector search from `next` on: an E8 there
    // is an opcode, the 4 bytes after it its operand, and the search goes on
    // after them (operand bytes are skipped whatever they hold, so
    // translating one never changes what a later search finds).
    let mut next = 0;
    while let Some(i) = frame
        .get(next..limit)
        .and_then(|rest| memchr::memchr(0xE8, rest))
    {
        let p = next + i;
        let cur = offset.wrapping_add(p as i32);
        if let Some(v) = frame.get_mut(p + 1..p + 5) {
            let abs = i32::from_le_bytes([v[0], v[1], v[2], v[3]]);
            if abs >= -cur && abs < size {
                let rel = if abs >= 0 { abs - cur } else { abs + size };
                v.copy_from_slice(&rel.to_le_bytes());
            }
        }
        next = p + 5;
    }
    Ok(())
}

/// The input of one frame, read as 16-bit little-endian words, most
/// significant bit first (bit mode), or byte by byte (uncompressed blocks).
struct Bits<'a> {
    data: &'a [u8],
    /// `data` from byte `origin` on with the two bytes of each word
    /// swapped, then 8 zero bytes: a word loads as a big-endian number. Made
    /// once per frame (in `scratch`) when bit mode first starts; empty
    /// before (every load then takes the slow path).
    words: &'a [u8],
    origin: usize,
    scratch: Option<&'a mut Vec<u8>>,
    /// Next byte to load (bit mode) or to read (byte mode).
    pos: usize,
    /// Unread bits at the top; below them zeros or the stream's next bits.
    buf: u64,
    /// Number of unread bits in `buf`.
    count: u32,
}

impl<'a> Bits<'a> {
    /// A reader of `data`, starting in bit mode unless `byte_mode`.
    fn new(data: &'a [u8], scratch: &'a mut Vec<u8>, byte_mode: bool) -> Bits<'a> {
        let mut bits = Bits {
            data,
            words: &[],
            origin: 0,
            scratch: Some(scratch),
            pos: 0,
            buf: 0,
            count: 0,
        };
        if !byte_mode {
            bits.bits_from(0);
        }
        bits
    }

    /// Switch to bit mode at byte `at` (the bytes before are used).
    fn bits_from(&mut self, at: usize) {
        self.pos = at;
        self.buf = 0;
        self.count = 0;
        if !self.words.is_empty() && self.origin % 2 == at % 2 && self.origin <= at {
            return;
        }
        // Within a frame every switch to bit mode after the first falls on
        // the same parity (uncompressed blocks and their padding occupy an
        // even number of bytes), so one copy serves the frame; should one
        // not, the slow path still reads every word right.
        let Some(scratch) = self.scratch.take() else {
            self.words = &[];
            return;
        };
        let src = self.data.get(at..).unwrap_or(&[]);
        scratch.clear();
        scratch.resize(src.len().next_multiple_of(2) + 8, 0);
        // Eight bytes (four words) at a time, then the rest pair by pair.
        let mut groups = src.chunks_exact(8);
        for (d, s) in scratch.chunks_exact_mut(8).zip(&mut groups) {
            let mut w = [0u8; 8];
            w.copy_from_slice(s);
            let x = u64::from_le_bytes(w);
            let x = ((x >> 8) & 0x00FF_00FF_00FF_00FF) | ((x & 0x00FF_00FF_00FF_00FF) << 8);
            d.copy_from_slice(&x.to_le_bytes());
        }
        let done = src.len() - groups.remainder().len();
        let pairs = groups.remainder().chunks_exact(2);
        let odd = pairs.remainder().first().copied();
        let tail = scratch.get_mut(done..).unwrap_or(&mut []);
        for (d, s) in tail.chunks_exact_mut(2).zip(pairs) {
            d[0] = s[1];
            d[1] = s[0];
        }
        if let (Some(b), Some(d)) = (odd, scratch.get_mut(src.len())) {
            // A lone last byte is a word's low half; its high half reads 0.
            *d = b;
        }
        self.origin = at;
        let scratch: &'a Vec<u8> = scratch;
        self.words = scratch;
    }

    /// Load whole words until 48 or more bits (at most 63) are buffered.
    /// Past the end of the input the words are zeros; [`Bits::end`] then
    /// tells.
    #[inline(always)]
    fn refill(&mut self) {
        if self.count >= 48 {
            return;
        }
        let at = self.pos.wrapping_sub(self.origin);
        if let Some(b) = self.words.get(at..at.wrapping_add(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            self.buf |= u64::from_be_bytes(w) >> self.count;
            let take = (63 - self.count) & !15;
            self.pos += (take / 8) as usize;
            self.count += take;
        } else {
            self.refill_slow();
        }
    }

    #[cold]
    fn refill_slow(&mut self) {
        while self.count < 48 {
            let lo = self.data.get(self.pos).copied().unwrap_or(0);
            let hi = self.data.get(self.pos + 1).copied().unwrap_or(0);
            self.buf |= (u64::from(lo) | (u64::from(hi) << 8)) << (48 - self.count);
            self.pos += 2;
            self.count += 16;
        }
    }

    /// The next `n` bits (0 to 32), not consumed.
    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        ((self.buf >> 1) >> (63 - n)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.buf <<= n;
        self.count -= n;
    }

    /// Read `n` bits (0 to 32).
    fn read(&mut self, n: u32) -> u32 {
        self.refill();
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// The input byte holding the next unread bit (for error messages).
    fn at(&self) -> usize {
        (self.pos * 8).saturating_sub(self.count as usize) / 8
    }

    /// Input bytes the bits read so far occupy, a word begun counting
    /// whole: where the frame's data ends when it ends here.
    fn end(&self) -> usize {
        self.pos - 2 * (self.count / 16) as usize
    }

    /// Where an uncompressed block's bytes start: past 1 to 16 padding
    /// bits, at the next word boundary (a whole word when on one).
    fn align(&self) -> usize {
        self.end() + if self.count.is_multiple_of(16) { 2 } else { 0 }
    }

    /// Switch to reading bytes from `at`; bit reading resumes from where
    /// the bytes end.
    fn bytes_from(&mut self, at: usize) {
        self.pos = at;
        self.buf = 0;
        self.count = 0;
    }
}

/// A canonical Huffman code (shorter codes first, then by symbol) as a
/// lookup table: the next `bits` input bits index the primary entries;
/// codes longer than that continue in a subtable stored after them.
struct Huffman {
    bits: u32,
    /// Leaf: symbol | length << 16. Link: LINK | subtable index | its
    /// index bits << 16.
    table: Vec<u32>,
    /// No symbol has a code (allowed for the length tree only).
    empty: bool,
    /// Scratch: code of each symbol, subtable bits of each primary entry.
    codes: Vec<u32>,
    sub_bits: Vec<u8>,
}

const LINK: u32 = 1 << 31;
const MAX_CODE_LEN: usize = 16;

impl Huffman {
    fn new(bits: u32) -> Huffman {
        Huffman {
            bits,
            table: Vec::new(),
            empty: true,
            codes: Vec::new(),
            sub_bits: Vec::new(),
        }
    }

    /// The next symbol; consumes its code. Needs as many buffered bits as
    /// the longest code (16); an empty table gives symbol 0 of length 0.
    #[inline(always)]
    fn decode(&self, bits: &mut Bits<'_>) -> u32 {
        let e = self.entry(bits.buf);
        bits.consume((e >> 16) & 31);
        e & 0xFFFF
    }

    /// The primary table as an array of `N` (= 2^`bits`) entries; `None`
    /// for an empty code.
    fn primary<const N: usize>(&self) -> Option<&[u32; N]> {
        self.table.get(..N)?.try_into().ok()
    }

    /// The leaf entry (symbol | length << 16) for the code at the top of
    /// `buf`.
    #[inline(always)]
    fn entry(&self, buf: u64) -> u32 {
        let e = self
            .table
            .get((buf >> (64 - self.bits)) as usize)
            .copied()
            .unwrap_or(0);
        if e & LINK != 0 {
            self.sub_entry(e, buf)
        } else {
            e
        }
    }

    /// The leaf entry a primary entry's link leads to.
    #[inline(always)]
    fn sub_entry(&self, link: u32, buf: u64) -> u32 {
        let sub = (link >> 16) & 31;
        let i = (link & 0xFFFF) as usize + ((buf << self.bits) >> (64 - sub)) as usize;
        self.table.get(i).copied().unwrap_or(0)
    }

    /// Build the table from code lengths (0 = no code, at most 16). The
    /// code must be complete (every bit string decodes), or, when
    /// `allow_empty`, have no codes at all.
    fn build(&mut self, lens: &[u8], allow_empty: bool) -> std::result::Result<(), &'static str> {
        let mut count = [0u32; MAX_CODE_LEN + 1];
        for &l in lens {
            match count.get_mut(usize::from(l)) {
                Some(c) => *c += 1,
                None => return Err("a code length is over 16"),
            }
        }
        count[0] = 0;
        self.table.clear();
        if count.iter().all(|&c| c == 0) {
            self.empty = true;
            return if allow_empty {
                Ok(())
            } else {
                Err("no symbol has a code")
            };
        }
        self.empty = false;
        let mut left = 1i64;
        for &c in &count[1..] {
            left = left * 2 - i64::from(c);
            if left < 0 {
                return Err("more codes than the lengths allow (over-subscribed)");
            }
        }
        if left != 0 {
            return Err("some bit strings decode to nothing (incomplete code)");
        }
        let mut next = [0u32; MAX_CODE_LEN + 1];
        let mut code = 0u32;
        for l in 1..=MAX_CODE_LEN {
            code = (code + count[l - 1]) << 1;
            next[l] = code;
        }
        let bits = self.bits;
        self.table.resize(1 << bits, 0);
        self.codes.clear();
        self.codes.resize(lens.len(), 0);
        self.sub_bits.clear();
        self.sub_bits.resize(1 << bits, 0);
        let mut long = false;
        for (sym, &l) in lens.iter().enumerate() {
            if l == 0 {
                continue;
            }
            let l = u32::from(l);
            let c = next[l as usize];
            next[l as usize] += 1;
            if let Some(slot) = self.codes.get_mut(sym) {
                *slot = c;
            }
            if l <= bits {
                let first = (c << (bits - l)) as usize;
                if let Some(run) = self.table.get_mut(first..first + (1 << (bits - l))) {
                    run.fill(sym as u32 | (l << 16));
                }
            } else {
                long = true;
                if let Some(s) = self.sub_bits.get_mut((c >> (l - bits)) as usize) {
                    *s = (*s).max((l - bits) as u8);
                }
            }
        }
        if !long {
            return Ok(());
        }
        // One subtable per primary entry that begins long codes, sized for
        // the longest of them.
        for prefix in 0..1usize << bits {
            let s = u32::from(self.sub_bits.get(prefix).copied().unwrap_or(0));
            if s == 0 {
                continue;
            }
            let at = self.table.len() as u32;
            if let Some(e) = self.table.get_mut(prefix) {
                *e = LINK | at | (s << 16);
            }
            self.table.resize(self.table.len() + (1 << s), 0);
        }
        for (sym, &l) in lens.iter().enumerate() {
            let l = u32::from(l);
            if l <= bits {
                continue;
            }
            let c = self.codes.get(sym).copied().unwrap_or(0);
            let prefix = (c >> (l - bits)) as usize;
            let link = self.table.get(prefix).copied().unwrap_or(0);
            let s = (link >> 16) & 31;
            let rest = c & ((1 << (l - bits)) - 1);
            let first = (link & 0xFFFF) as usize + (rest << (s - (l - bits))) as usize;
            if let Some(run) = self.table.get_mut(first..first + (1 << (s - (l - bits)))) {
                run.fill(sym as u32 | (l << 16));
            }
        }
        if self.table.len() > 0xFFFF {
            return Err("code too large for the decoding table");
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(dead_code)]
#[path = "../../../cli/tests/lzxgen/mod.rs"]
mod lzxgen;

#[cfg(test)]
mod tests {
    use super::lzxgen::cases::case;
    use super::lzxgen::encoder::{canonical, encode, write_lengths, Options, Writer};
    use super::lzxgen::rng::Rng;
    use super::*;

    type Frames = Vec<(Vec<u8>, usize)>;

    fn decode(window_bits: u8, frames: &Frames) -> Result<Vec<u8>> {
        let mut lzx = Lzx::new(window_bits).expect("window");
        let mut out = Vec::new();
        for (input, len) in frames {
            lzx.decode_frame(input, *len, &mut out)?;
        }
        Ok(out)
    }

    fn message(r: Result<Vec<u8>>) -> String {
        match r {
            Err(Error::Malformed { message, .. }) => message,
            other => panic!("expected a malformed error, got {other:?}"),
        }
    }

    /// A hand-made stream for a 2^15 window: E8 header off, then blocks.
    struct Stream {
        w: Writer,
        rng: Rng,
        main: Vec<u8>,
        len: Vec<u8>,
    }

    const SYMS15: usize = 256 + 30 * 8;

    impl Stream {
        fn new() -> Stream {
            let mut w = Writer::new();
            w.bits(0, 1);
            Stream {
                w,
                rng: Rng::new(1),
                main: vec![0; SYMS15],
                len: vec![0; LEN_SYMS],
            }
        }

        fn header(&mut self, kind: u32, size: u32) {
            self.w.bits(kind, 3);
            self.w.bits(size >> 8, 16);
            self.w.bits(size & 0xFF, 8);
        }

        /// A verbatim block whose main tree gives `main` their code lengths
        /// (others none) and whose length tree is `len`.
        fn verbatim(&mut self, size: u32, main: &[(usize, u8)], len: &[(usize, u8)]) {
            self.header(1, size);
            self.trees(main, len);
        }

        fn trees(&mut self, main: &[(usize, u8)], len: &[(usize, u8)]) {
            let mut m = vec![0u8; SYMS15];
            for &(s, l) in main {
                m[s] = l;
            }
            let mut l = vec![0u8; LEN_SYMS];
            for &(s, n) in len {
                l[s] = n;
            }
            write_lengths(
                &mut self.w,
                &self.main[..256],
                &m[..256],
                &mut self.rng,
                false,
            );
            write_lengths(
                &mut self.w,
                &self.main[256..],
                &m[256..],
                &mut self.rng,
                false,
            );
            write_lengths(&mut self.w, &self.len, &l, &mut self.rng, false);
            self.main = m;
            self.len = l;
        }

        /// Main symbol `s` with the current tree.
        fn sym(&mut self, s: usize) {
            let codes = canonical(&self.main);
            self.w.bits(codes[s], u32::from(self.main[s]));
        }

        fn uncompressed(&mut self, data: &[u8], reps: [u32; 3]) {
            self.header(3, data.len() as u32);
            self.w.align_uncompressed();
            for r in reps {
                self.w.bytes(&r.to_le_bytes());
            }
            self.w.bytes(data);
            if data.len() % 2 == 1 {
                self.w.bytes(&[0]);
            }
        }

        fn frames(self, out_len: usize) -> Frames {
            self.w.finish(out_len)
        }
    }

    /// Literal `A`, and a 2-byte match at R0 (slot 0), as the only codes.
    const A_AND_R0: [(usize, u8); 2] = [(b'A' as usize, 1), (256, 1)];

    /// An error's message, after decoding `frames` with a 2^15 window.
    fn error_of(frames: &Frames) -> String {
        message(decode(15, frames))
    }

    #[test]
    fn decodes_what_the_test_encoder_writes() {
        for index in 0..48 {
            let c = case(5, index, 120_000);
            let s = encode(&c.input, &c.opts);
            let out = decode(c.opts.window_bits, &s.frames)
                .unwrap_or_else(|e| panic!("case {index} ({:?}): {e}", c.opts));
            assert!(out == c.input, "case {index} ({:?}) differs", c.opts);
        }
    }

    #[test]
    fn every_block_kind_and_window() {
        let mut rng = Rng::new(9);
        let data = super::lzxgen::data::mix(&mut rng, 200_000);
        for window_bits in 15..=21 {
            for kinds in [[1, 0, 0], [0, 1, 0], [0, 0, 1], [2, 2, 1]] {
                let opts = Options {
                    window_bits,
                    e8: Some(12_000_000),
                    kinds,
                    block_size: (1, 70_000),
                    chain: 8,
                    quirks: true,
                    seed: u64::from(window_bits),
                    ..Options::default()
                };
                let s = encode(&data, &opts);
                assert!(
                    decode(window_bits, &s.frames).expect("decodes") == data,
                    "{opts:?}"
                );
            }
        }
    }

    #[test]
    fn matches_at_the_longest_distance_across_ring_passes() {
        // Copies write up to 31 bytes past a match's end; the ring's extra
        // frame must keep those bytes from every later match, the farthest
        // (window size minus 3, from the ring's previous pass) included.
        // A random block repeated at that distance (and a little under it),
        // each copy with a few bytes changed so that matches come in all
        // lengths, over several passes of the ring, in every block kind.
        let mut rng = Rng::new(31);
        for window_bits in [15u8, 16, 17] {
            let wsize = 1usize << window_bits;
            for period in [wsize - 3, wsize - 4, wsize - 40] {
                let block: Vec<u8> = (0..period).map(|_| rng.byte()).collect();
                let mut data = Vec::new();
                while data.len() < 5 * (wsize + FRAME) {
                    let at = data.len();
                    data.extend_from_slice(&block);
                    for _ in 0..period / 97 {
                        let i = at + rng.below(period as u64) as usize;
                        data[i] = rng.byte();
                    }
                }
                for kinds in [[1, 0, 0], [0, 1, 0], [3, 3, 1]] {
                    let opts = Options {
                        window_bits,
                        kinds,
                        block_size: (1, 90_000),
                        chain: 16,
                        seed: period as u64,
                        ..Options::default()
                    };
                    let s = encode(&data, &opts);
                    assert!(
                        decode(window_bits, &s.frames).expect("decodes") == data,
                        "window 2^{window_bits}, period {period}, {kinds:?}"
                    );
                }
            }
        }
    }

    /// libmspack's E8 loop, written out plainly, for comparison.
    fn e8_reference(frame: &mut [u8], offset: i32, size: i32) {
        if frame.len() <= E8_TAIL {
            return;
        }
        let end = frame.len() - E8_TAIL;
        let mut i = 0;
        while i < end {
            if frame[i] != 0xE8 {
                i += 1;
                continue;
            }
            let cur = offset + i as i32;
            let abs = i32::from_le_bytes(frame[i + 1..i + 5].try_into().expect("4"));
            if abs >= -cur && abs < size {
                let rel = if abs >= 0 { abs - cur } else { abs + size };
                frame[i + 1..i + 5].copy_from_slice(&rel.to_le_bytes());
            }
            i += 5;
        }
    }

    #[test]
    fn e8_translation_is_libmspack_s() {
        let mut rng = Rng::new(3);
        for round in 0..3000 {
            let len = match round % 4 {
                0 => rng.range(0, 24) as usize,
                1 => rng.range(24, 200) as usize,
                _ => rng.range(200, FRAME as u64) as usize,
            };
            let mut frame: Vec<u8> = (0..len)
                .map(|_| if rng.chance(300) { 0xE8 } else { rng.byte() })
                .collect();
            let offset = rng.below(1 << 30) as i32 & !(FRAME as i32 - 1);
            let size = match round % 3 {
                0 => rng.range(1, 1 << 20) as u32,
                1 => 12_000_000,
                _ => rng.range(1, (1 << 31) - 1) as u32,
            };
            // Operands on the edges of the translation.
            for i in 0..len.saturating_sub(5) {
                if frame[i] == 0xE8 && rng.chance(500) {
                    let cur = offset + i as i32;
                    let v = super::lzxgen::data::edge_operand(&mut rng, cur as usize, size);
                    frame[i + 1..i + 5].copy_from_slice(&v.to_le_bytes());
                }
            }
            let mut want = frame.clone();
            e8_reference(&mut want, offset, size as i32);
            e8_translate(&mut frame, offset, size).expect("positive size");
            assert!(
                frame == want,
                "round {round}: len {len}, offset {offset}, size {size}"
            );
        }
    }

    #[test]
    fn e8_absolute_zero_becomes_minus_curpos() {
        // lzxd tested `abs.is_positive()`, so an operand of 0 became `size`.
        let mut frame = vec![0x90u8; 64];
        frame[20] = 0xE8;
        frame[21..25].copy_from_slice(&0i32.to_le_bytes());
        e8_translate(&mut frame, 32768, 12_000_000).expect("size");
        assert_eq!(frame[21..25], (-(32768 + 20i32)).to_le_bytes());
    }

    #[test]
    fn e8_edges_of_a_frame() {
        // (At stream offset 0 a translation changes nothing: abs - 0.)
        let translated = |len: usize, at: usize| {
            let mut f = vec![0u8; len];
            f[at] = 0xE8;
            if let Some(v) = f.get_mut(at + 1..at + 5) {
                v.copy_from_slice(&100i32.to_le_bytes());
            }
            let before = f.clone();
            e8_translate(&mut f, FRAME as i32, 1000).expect("size");
            f != before
        };
        assert!(!translated(10, 0), "frames of 10 bytes are left alone");
        assert!(translated(11, 0));
        assert!(
            translated(100, 89),
            "the last offset translated: length - 11"
        );
        assert!(!translated(100, 90), "the last 10 bytes are not");
        // An E8 inside a translated operand is not an opcode; one right
        // after it is.
        let mut f = vec![0u8; 40];
        f[0] = 0xE8;
        f[1..5].copy_from_slice(&[0xE8, 0, 0, 0]);
        f[5] = 0xE8;
        e8_translate(&mut f, 0, 1000).expect("size");
        assert_eq!(f[1..5], 0xE8i32.to_le_bytes(), "E8 at 0: abs 0xE8 - cur 0");
        assert_eq!(f[6..10], (-5i32).to_le_bytes(), "E8 at 5: abs 0 - cur 5");
    }

    #[test]
    fn e8_sizes_of_2_31_and_more_are_refused_where_they_matter() {
        let mut f = vec![0u8; 100];
        assert_eq!(e8_translate(&mut f, 0, 0x8000_0000), Ok(()));
        f[42] = 0xE8;
        assert_eq!(e8_translate(&mut f, 0, 0x8000_0000), Err(42));
        // Through the decoder: the frame is not delivered.
        let mut w = Writer::new();
        w.bits(1, 1);
        w.bits(0x8000, 16);
        w.bits(0, 16);
        let mut s = Stream::new();
        s.w = w;
        s.uncompressed(&f, [1, 1, 1]);
        let e = message(decode(15, &s.frames(100)));
        assert!(e.contains("E8 translation size 0x80000000"), "{e}");
    }

    #[test]
    fn e8_translation_stops_after_32768_frames() {
        // One uncompressed block over three frames, each with an E8 call to
        // absolute 1000; frames 1 and 2 are taken for frames 32767 and
        // 32768 of the stream.
        let mut data = vec![0u8; 3 * FRAME];
        for f in 0..3 {
            data[f * FRAME + 100] = 0xE8;
            data[f * FRAME + 101..f * FRAME + 105].copy_from_slice(&1000i32.to_le_bytes());
        }
        let mut w = Writer::new();
        w.bits(1, 1);
        w.bits(0, 16);
        w.bits(50_000, 16);
        let mut s = Stream::new();
        s.w = w;
        s.header(3, data.len() as u32);
        s.w.align_uncompressed();
        for r in [1u32; 3] {
            s.w.bytes(&r.to_le_bytes());
        }
        for f in 0..3 {
            s.w.bytes(&data[f * FRAME..(f + 1) * FRAME]);
            s.w.end_frame(FRAME);
        }
        let frames = s.frames(FRAME);
        let mut lzx = Lzx::new(15).expect("window");
        let mut out = Vec::new();
        lzx.decode_frame(&frames[0].0, FRAME, &mut out)
            .expect("frame 0");
        lzx.frames = 32767;
        lzx.out_offset = 32767 * FRAME as u64;
        for (input, len) in &frames[1..] {
            lzx.decode_frame(input, *len, &mut out).expect("frame");
        }
        let operand = |f: usize| {
            i32::from_le_bytes(out[f * FRAME + 101..f * FRAME + 105].try_into().expect("4"))
        };
        assert_eq!(operand(0), 1000 - 100);
        assert_eq!(operand(1), 1000 - (32767 * FRAME as i32 + 100));
        assert_eq!(operand(2), 1000, "frame 32768 is not translated");
    }

    #[test]
    fn repeated_offsets_come_from_an_uncompressed_header() {
        let mut s = Stream::new();
        s.uncompressed(b"abcdefgh", [3, 7, 5]);
        s.verbatim(6, &[(256 + 8, 1), (256 + 16, 1)], &[]);
        s.sym(256 + 8); // slot 1: R1 (7) swaps with R0: "bc"
        s.sym(256 + 16); // slot 2: R2 (5) swaps with R0: "fg"
        s.sym(256 + 8); // slot 1: R1 is now 3: "cf"
        let out = decode(15, &s.frames(14)).expect("decodes");
        assert_eq!(out, b"abcdefghbcfgcf");
    }

    #[test]
    fn odd_uncompressed_block_padding_on_either_side_of_a_frame_end() {
        let data: Vec<u8> = (0..FRAME as u32).map(|i| (i * 7 + i / 256) as u8).collect();
        for pad_in_first in [false, true] {
            // Frame 0: `A`, then an uncompressed block of FRAME - 1 bytes (odd)
            // ending on the frame's end; its padding byte ends frame 0's data
            // or starts frame 1's. Frame 1: ten `B`s.
            let mut s = Stream::new();
            s.verbatim(1, &[(usize::from(b'A'), 1), (usize::from(b'B'), 1)], &[]);
            s.sym(usize::from(b'A'));
            s.header(3, FRAME as u32 - 1);
            s.w.align_uncompressed();
            for r in [1u32; 3] {
                s.w.bytes(&r.to_le_bytes());
            }
            s.w.bytes(&data[..FRAME - 1]);
            if pad_in_first {
                s.w.bytes(&[0]);
            }
            s.w.end_frame(FRAME);
            if !pad_in_first {
                s.w.bytes(&[0]);
            }
            s.verbatim(10, &[(usize::from(b'A'), 1), (usize::from(b'B'), 1)], &[]);
            for _ in 0..10 {
                s.sym(usize::from(b'B'));
            }
            let out = decode(15, &s.frames(10)).expect("decodes");
            let mut want = vec![b'A'];
            want.extend_from_slice(&data[..FRAME - 1]);
            want.extend_from_slice(&[b'B'; 10]);
            assert!(
                out == want,
                "padding byte in frame {}",
                if pad_in_first { 0 } else { 1 }
            );
        }
        // Frame 1 with no data at all: the padding byte is missing.
        let mut s = Stream::new();
        s.verbatim(1, &[(usize::from(b'A'), 1), (usize::from(b'B'), 1)], &[]);
        s.sym(usize::from(b'A'));
        s.uncompressed(&data[..FRAME - 1], [1, 1, 1]);
        let mut frames = s.frames(FRAME);
        frames[0].0.pop();
        frames.push((Vec::new(), 10));
        let e = error_of(&frames);
        assert!(
            e.starts_with("LZX frame 1 (output offset 32768), input byte 0: the padding byte"),
            "{e}"
        );
    }

    #[test]
    fn a_renewed_decoder_keeps_its_window_and_reads_none_of_it() {
        // Stream A fills a 64 KiB window (and its ring of 96 KiB); stream B,
        // decoded by the renewed decoder in the same allocation, must come
        // out as from a fresh one (its matches reach only its own bytes; the
        // old ones are stale).
        let a: Vec<u8> = (0..100_000u32).map(|i| (i * 31 + i / 97) as u8).collect();
        let b: Vec<u8> = (0..70_000u32)
            .map(|i| (i % 251) as u8 ^ (i >> 9) as u8)
            .collect();
        let (fa, fb) = (
            encode(&a, &options(16)).frames,
            encode(&b, &options(16)).frames,
        );
        let mut lzx = Box::new(Lzx::new(16).expect("window"));
        let mut out = Vec::new();
        for (input, len) in &fa {
            lzx.decode_frame(input, *len, &mut out).expect("A decodes");
        }
        assert!(out == a);
        let window = lzx.window.as_ptr();
        let mut lzx = lzx.renew(16, 0, 0).expect("renewed");
        assert_eq!(lzx.window.as_ptr(), window, "the allocation is kept");
        assert!(
            lzx.window.iter().any(|&x| x != 0),
            "A's bytes are still there"
        );
        out.clear();
        for (input, len) in &fb {
            lzx.decode_frame(input, *len, &mut out).expect("B decodes");
        }
        assert!(out == b);
        assert!(decode(16, &fb).expect("fresh") == b);
        // Another window size: the old allocation is dropped (a new one
        // is made at the first frame).
        let mut lzx = lzx.renew(15, 0, 0).expect("renewed");
        assert!(lzx.window.is_empty());
        // A match reaching before the new stream's first byte is still
        // refused (where a fresh decoder has zeros, this one has the bytes
        // of a stream that filled the whole window).
        out.clear();
        for (input, len) in &encode(&a[..70_000], &options(15)).frames {
            lzx.decode_frame(input, *len, &mut out).expect("decodes");
        }
        assert!(lzx.wrapped);
        let mut lzx = lzx.renew(15, 0, 0).expect("renewed");
        let mut s = Stream::new();
        s.verbatim(5, &A_AND_R0, &[]);
        s.sym(256);
        let frames = s.frames(5);
        let e = lzx
            .decode_frame(&frames[0].0, frames[0].1, &mut Vec::new())
            .expect_err("refused");
        assert!(
            e.to_string().contains("before the start of the data"),
            "{e}"
        );
        assert!(lzx.renew(22, 0, 0).is_none());
    }

    #[test]
    fn window_sizes_outside_2_15_to_2_21_are_refused() {
        assert!(Lzx::new(14).is_none() && Lzx::new(22).is_none() && Lzx::new(0).is_none());
        assert!((15..=21).all(|b| Lzx::new(b).is_some()));
    }

    #[test]
    fn frame_sizes() {
        for n in [0, FRAME + 1] {
            let e = message(
                Lzx::new(15)
                    .expect("w")
                    .decode_frame(&[0; 8], n, &mut Vec::new())
                    .map(|()| Vec::new()),
            );
            assert!(
                e.contains(&format!("1 to 32768 bytes, this one declares {n}")),
                "{e}"
            );
        }
        // A frame shorter than 32 KiB must be the stream's last.
        let c = encode(&vec![7u8; 20_000], &options(15));
        let mut frames = c.frames.clone();
        frames.push(c.frames[0].clone());
        let e = error_of(&frames);
        assert!(
            e.contains("the previous frame held 20000 bytes; only a stream's last frame"),
            "{e}"
        );
    }

    fn options(window_bits: u8) -> Options {
        Options {
            window_bits,
            e8: None,
            kinds: [1, 1, 1],
            block_size: (5_000, 50_000),
            chain: 8,
            quirks: false,
            seed: 4,
            ..Options::default()
        }
    }

    #[test]
    fn block_types_0_and_4_to_7_are_errors() {
        for t in [0u32, 4, 5, 6, 7] {
            let mut s = Stream::new();
            s.header(t, 100);
            let e = error_of(&s.frames(100));
            assert_eq!(
                e,
                format!(
                    "LZX frame 0 (output offset 0), input byte 0: block type {t} is not 1, 2 or 3"
                )
            );
        }
    }

    #[test]
    fn trees_must_be_complete() {
        let mut s = Stream::new();
        s.verbatim(10, &[(65, 1)], &[]);
        let e = error_of(&s.frames(10));
        assert!(
            e.ends_with("main tree: some bit strings decode to nothing (incomplete code)"),
            "{e}"
        );
        let mut s = Stream::new();
        s.verbatim(10, &[(65, 1), (66, 1), (67, 1)], &[]);
        assert!(error_of(&s.frames(10)).ends_with("(over-subscribed)"));
        // The length tree may be empty, not incomplete.
        let mut s = Stream::new();
        s.verbatim(10, &A_AND_R0, &[(3, 1)]);
        assert!(error_of(&s.frames(10)).contains("length tree: some bit strings"));
        // Nor the aligned offset tree.
        let mut s = Stream::new();
        s.header(2, 10);
        for l in [1u32, 1, 1, 0, 0, 0, 0, 0] {
            s.w.bits(l, 3);
        }
        assert!(error_of(&s.frames(10)).contains("aligned offset tree: more codes"));
    }

    /// A pretree giving symbols `a` and `b` 1-bit codes (`a` is `0`).
    fn pretree(w: &mut Writer, a: usize, b: usize) {
        for s in 0..20 {
            w.bits(u32::from(s == a || s == b), 4);
        }
    }

    #[test]
    fn pretree_runs_stay_within_their_table() {
        let mut s = Stream::new();
        s.header(1, 10);
        pretree(&mut s.w, 17, 18);
        for _ in 0..5 {
            s.w.bits(1, 1); // 18: 20 + 31 zeros
            s.w.bits(31, 5);
        }
        s.w.bits(0, 1); // 17: 4 zeros, at 255 of 256
        s.w.bits(0, 4);
        let e = error_of(&s.frames(10));
        assert!(e.ends_with("main tree literals: a run of 4 lengths at symbol 255 passes the last of 256 symbols"), "{e}");
        // A run of equal lengths must name a length (0 to 16).
        let mut s = Stream::new();
        s.header(1, 10);
        pretree(&mut s.w, 17, 19);
        s.w.bits(1, 1); // 19
        s.w.bits(0, 1);
        s.w.bits(0, 1); // then 17
        let e = error_of(&s.frames(10));
        assert!(e.ends_with("takes pretree symbol 17, not a length"), "{e}");
    }

    #[test]
    fn matches_reaching_outside_the_data_are_errors() {
        // Before the first byte: R0 is 1 at the start.
        let mut s = Stream::new();
        s.verbatim(5, &A_AND_R0, &[]);
        s.sym(256);
        let e = error_of(&s.frames(5));
        assert!(
            e.ends_with(
                "a match at output offset 0 reaches 1 bytes back, before the start of the data"
            ),
            "{e}"
        );
        // Distance 0 and distances past the window, set by an uncompressed block.
        for (r0, want) in [
            (0, "has distance 0"),
            (
                32766,
                "has distance 32766, more than the window allows (32765)",
            ),
            (3, "reaches 3 bytes back, before the start of the data"),
        ] {
            let mut s = Stream::new();
            s.uncompressed(b"ab", [r0, 1, 1]);
            s.verbatim(4, &A_AND_R0, &[]);
            s.sym(256);
            let e = error_of(&s.frames(6));
            assert!(e.ends_with(want), "{e}");
            assert!(e.contains("at output offset 2"), "{e}");
        }
    }

    #[test]
    fn matches_past_their_block_or_frame_are_errors() {
        // Block of 3 bytes: A A, then a 2-byte match.
        let mut s = Stream::new();
        s.verbatim(3, &A_AND_R0, &[]);
        s.sym(65);
        s.sym(65);
        s.sym(256);
        let e = error_of(&s.frames(10));
        assert!(e.ends_with("a match of 2 bytes at output offset 2 runs past the end of its block or frame (1 bytes left)"), "{e}");
        // Frame of 3 bytes, block of 10.
        let mut s = Stream::new();
        s.verbatim(10, &A_AND_R0, &[]);
        s.sym(65);
        s.sym(65);
        s.sym(256);
        assert!(error_of(&s.frames(3)).contains("runs past the end of its block or frame"));
        // A long match without a length tree.
        let mut s = Stream::new();
        s.verbatim(20, &[(65, 1), (256 + 7, 1)], &[]);
        s.sym(65);
        s.sym(256 + 7);
        assert!(error_of(&s.frames(20)).ends_with("a match needs the length tree, which is empty"));
    }

    #[test]
    fn input_is_used_exactly() {
        let data: Vec<u8> = (0..50_000u32)
            .map(|i| (i % 251) as u8 ^ (i >> 9) as u8)
            .collect();
        let c = encode(&data, &options(16));
        assert_eq!(c.frames.len(), 2);
        // Cut short: an error, nothing delivered.
        let mut lzx = Lzx::new(16).expect("w");
        let mut out = Vec::new();
        let cut = &c.frames[0].0[..c.frames[0].0.len() - 2];
        let e = lzx.decode_frame(cut, FRAME, &mut out).expect_err("cut");
        assert!(out.is_empty() && e.kind() == "malformed", "{e}");
        // Every later call fails the same way.
        assert_eq!(lzx.decode_frame(&c.frames[0].0, FRAME, &mut out), Err(e));
        // Two bytes too many in frame 0: refused when frame 1 comes.
        let mut frames = c.frames.clone();
        frames[0].0.extend_from_slice(&[0, 0]);
        let e = error_of_window(16, &frames);
        assert!(
            e.starts_with(
                "LZX frame 1 (output offset 32768), input byte 0: the previous frame left 2 of its"
            ),
            "{e}"
        );
        // ... but not at the stream's end.
        let mut frames = c.frames.clone();
        frames[1].0.extend_from_slice(&[1, 2, 3]);
        assert!(decode(16, &frames).expect("decodes") == data);
    }

    fn error_of_window(window_bits: u8, frames: &Frames) -> String {
        message(decode(window_bits, frames))
    }

    #[test]
    fn garbage_and_damage_give_errors_not_panics() {
        let mut rng = Rng::new(77);
        for round in 0..300u64 {
            let w = 15 + (round % 7) as u8;
            let frames: Frames = (0..rng.range(1, 4))
                .map(|_| {
                    let n = rng.range(0, 3000) as usize;
                    let out = rng.range(1, FRAME as u64) as usize;
                    ((0..n).map(|_| rng.byte()).collect(), out)
                })
                .collect();
            if let Ok(out) = decode(w, &frames) {
                assert_eq!(out.len(), frames.iter().map(|f| f.1).sum::<usize>());
            }
        }
        for round in 0..150u64 {
            let c = case(21, round, 70_000);
            let mut frames = encode(&c.input, &c.opts).frames;
            if frames.is_empty() {
                continue;
            }
            for _ in 0..rng.range(1, 8) {
                let f = rng.below(frames.len() as u64) as usize;
                let data = &mut frames[f].0;
                if !data.is_empty() {
                    let i = rng.below(data.len() as u64) as usize;
                    data[i] ^= 1 << rng.below(8);
                }
            }
            match decode(c.opts.window_bits, &frames) {
                Ok(out) => assert_eq!(out.len(), c.input.len()),
                Err(e) => assert_eq!(e.kind(), "malformed"),
            }
        }
    }
}
