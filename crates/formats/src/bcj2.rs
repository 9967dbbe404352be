//! An x86 BCJ2 split behind the 20-byte header of Google Omaha's
//! metainstaller (`ChromeSetup.exe`, `GoogleUpdateSetup.exe` from Omaha
//! 1.3): what the `B/102` payload's LZMA stream decodes to in those builds.
//! A container of one child, the joined output (a tar archive).
//!
//! Layout (google/omaha `mi_exe_stub/mi.cc`, which hands the four streams
//! to the LZMA SDK's `Bcj2_Decode`): five little-endian u32, the output
//! size and the sizes of the four streams (the main bytes, the CALL
//! targets, the JMP/Jcc targets, the range coder's bits), then the streams
//! back to back. Detection is exact: the four sizes and the header fill the
//! data to its last byte, the call and jump streams hold whole 4-byte
//! targets, and the output size is exactly the main, call and jump streams
//! together (every converted call or jump takes its 4 bytes from them).
//!
//! The joined output is produced as the engine reads it (our own decoder of
//! the SDK's BCJ2 rules: each `E8`/`E9`/`0F 8x` byte of the main stream
//! is followed, when the range coder's bit says so, by a 4-byte target
//! from the call or jump stream made relative again); it must be exactly
//! the header's output size. BCJ2 carries no checksum.

use super::container::{Notes, Opened, Options};
use super::stream::{child_name, DecoderLimits, OneChild};
use super::{le_u32, Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Evidence, Format};
use serde::Serialize;
use std::io::{self, BufRead, BufReader, Read};

/// Header length.
const HEADER: usize = 20;

/// BCJ2 facts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Bcj2Info {
    /// The joined output's size.
    pub output_size: u32,
    /// Sizes of the main, call, jump and range-coder streams.
    pub streams: [u32; 4],
}

/// Dispatch entry.
pub(crate) const HANDLER: Handler = Handler {
    name: "bcj2",
    format: Format::Bcj2,
    sniff,
    open,
};

/// The header's fields when they are consistent: every converted call or
/// jump takes its 4 target bytes from the call or jump stream, so the
/// output is exactly the main stream plus those two, and both hold whole
/// targets; the range coder starts with 5 bytes.
fn header(head: &[u8]) -> Option<(Bcj2Info, u64)> {
    let out = le_u32(head, 0)?;
    let s = [
        le_u32(head, 4)?,
        le_u32(head, 8)?,
        le_u32(head, 12)?,
        le_u32(head, 16)?,
    ];
    let joined = u64::from(s[0]) + u64::from(s[1]) + u64::from(s[2]);
    let ok = s[0] > 0 && u64::from(out) == joined && s[1] % 4 == 0 && s[2] % 4 == 0 && s[3] >= 5;
    let total = joined + u64::from(s[3]) + HEADER as u64;
    ok.then_some((
        Bcj2Info {
            output_size: out,
            streams: s,
        },
        total,
    ))
}

/// The header's fields when they are consistent and describe exactly
/// `total` bytes.
pub(crate) fn header_fits(head: &[u8], total: u64) -> Option<Bcj2Info> {
    header(head).filter(|(_, t)| *t == total).map(|(i, _)| i)
}

/// A consistent header whose streams fill the data exactly, or a
/// consistent header at the start of at least 64 KiB that the streams
/// outrun (the engine decides whether to keep a decoded entry on its first
/// MiB; opening the whole bytes then needs the exact fit, else the node is
/// a damaged BCJ2 split).
pub fn sniff(data: &[u8]) -> bool {
    header(data).is_some_and(|(_, total)| {
        let len = data.len() as u64;
        total == len || (len >= 64 << 10 && len < total)
    })
}

/// Open a BCJ2 split: one child, joined as the engine reads it.
pub fn open<'a>(data: &'a [u8], opts: &Options<'_>, notes: &mut Notes) -> Opened<'a> {
    let Some(info) = header_fits(data, data.len() as u64) else {
        let e = match header(data) {
            Some((_, total)) => Error::truncated(format!(
                "Omaha BCJ2 header: its streams need {total} bytes, {} are present",
                data.len()
            )),
            None => Error::malformed("no Omaha BCJ2 header whose stream sizes fill the data"),
        };
        notes.error(e.at(0));
        return Opened::Leaf(Parsed {
            format: Format::Bcj2,
            metadata: None,
        });
    };
    notes.evidence(Evidence::strong(
        "bcj2-header",
        format!(
            "Omaha BCJ2 header: {} bytes joined from streams of {:?} bytes",
            info.output_size, info.streams
        ),
        Some(0),
    ));
    Opened::Container(Box::new(OneChild {
        data,
        from: 0,
        name: child_name(opts.name, &[], "[bcj2 output]"),
        method: "bcj2",
        declared: Some(u64::from(info.output_size)),
        format: Format::Bcj2,
        make: decoder,
        limits: DecoderLimits { memory: 0 },
        check: None,
        metadata: Some(Metadata::Bcj2(Box::new(info))),
        given: false,
    }))
}

fn decoder<'a>(src: &'a [u8], _l: &DecoderLimits) -> Result<Box<dyn Read + 'a>, Error> {
    let info = header_fits(src, src.len() as u64)
        .ok_or_else(|| Error::malformed("BCJ2 header does not fit the data").at(0))?;
    let [a, b, c, _] = info.streams.map(|v| v as usize);
    let main = src.get(HEADER..HEADER + a).unwrap_or(&[]);
    let call = src.get(HEADER + a..HEADER + a + b).unwrap_or(&[]);
    let jump = src.get(HEADER + a + b..HEADER + a + b + c).unwrap_or(&[]);
    let rc = src.get(HEADER + a + b + c..).unwrap_or(&[]);
    if rc.len() < 5 {
        return Err(
            Error::truncated("BCJ2 range coder stream has fewer than 5 bytes").at((HEADER
                + a
                + b
                + c)
                as u64),
        );
    }
    Ok(Box::new(Bcj2Reader::new(
        Box::new(main),
        Box::new(call),
        Box::new(jump),
        Box::new(rc),
        u64::from(info.output_size),
    )))
}

// ---- The decoder (the 7z BCJ2 coder uses it too: sevenz/graph.rs) ----
// The x86 BCJ2 filter of 7z, decoded as a stream: four inputs (the main
// stream, the CALL and JUMP operand streams, and a range-coded stream of
// one bit per branch opcode saying whether its operand was moved out), one
// output. Chrome's `chrome.packed.7z` and most 7-Zip `-mx9` executables
// use it.
//
// The format, from 7-Zip's `Bcj2.c` (facts, not code): for each byte of
// the main stream that, with the byte before it, is `E8`, `E9` or `0F 8x`,
// a bit is decoded with an 11-bit probability (one per previous byte for
// `E8`, one for `E9`, one for the `0F 8x` jumps; shift 5, range coder
// initialised from 5 bytes); a 1 means the 4-byte operand was taken out: it
// is read big-endian from the CALL stream (`E8`) or the JUMP stream (the
// others) as an absolute address and written back relative to the next
// instruction (`address − (position after the opcode + 4)`, position
// modulo 2³²), little-endian. The byte that follows is then tested against
// the last byte written. The output ends at its declared size, even inside
// an operand; a branch opcode at the very end decodes no bit.

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

    #[test]
    fn sniff_is_exact() {
        let mut d = vec![0u8; 20];
        d[0..4].copy_from_slice(&10u32.to_le_bytes());
        // 10 main bytes, no call or jump targets, 5 range coder bytes.
        d[4..8].copy_from_slice(&10u32.to_le_bytes());
        d[16..20].copy_from_slice(&5u32.to_le_bytes());
        d.extend_from_slice(b"0123456789");
        d.extend_from_slice(&[0; 5]);
        assert!(sniff(&d));
        let l = crate::container::list(open, &d, &Default::default(), 10);
        assert!(
            matches!(&l.entries[0].2, crate::container::Listed::Decoded(Ok(b)) if b == b"0123456789"),
            "{:?}",
            l.entries
        );
        d.push(0);
        assert!(!sniff(&d));
        d.pop();
        d[0] = 11;
        assert!(!sniff(&d), "the output is exactly main + call + jump");
    }
}
