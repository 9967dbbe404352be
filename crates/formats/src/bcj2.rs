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
use super::stream::{child_name, io_at, DecoderLimits, OneChild};
use super::{le_u32, Handler, Metadata, Parsed};
use installsift_model::error::Error;
use installsift_model::{Evidence, Format};
use serde::Serialize;
use std::io::{self, Read};

/// Header length.
const HEADER: usize = 20;

/// BCJ2 facts.
#[derive(Debug, Clone, Default, Serialize)]
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
    Ok(Box::new(Bcj2::new(
        [main, call, jump, rc],
        u64::from(info.output_size),
        [HEADER, HEADER + a, HEADER + a + b, HEADER + a + b + c],
    )?))
}

/// The BCJ2 joiner, as a reader.
struct Bcj2<'a> {
    main: &'a [u8],
    call: &'a [u8],
    jump: &'a [u8],
    rc: &'a [u8],
    /// Offsets of the streams in the node (for errors).
    at: [usize; 4],
    range: u32,
    code: u32,
    probs: [u16; 258],
    prev: u8,
    out: u64,
    size: u64,
    pending: [u8; 4],
    pending_at: usize,
}

impl<'a> Bcj2<'a> {
    fn new(s: [&'a [u8]; 4], size: u64, at: [usize; 4]) -> Result<Self, Error> {
        let [main, call, jump, rc] = s;
        let (init, rc) = (rc.get(..5), rc.get(5..).unwrap_or(&[]));
        let Some(init) = init else {
            return Err(
                Error::truncated("BCJ2 range coder stream has fewer than 5 bytes").at(at[3] as u64),
            );
        };
        let code = init.iter().fold(0u32, |c, &b| (c << 8) | u32::from(b));
        Ok(Bcj2 {
            main,
            call,
            jump,
            rc,
            at,
            range: u32::MAX,
            code,
            probs: [1 << 10; 258],
            prev: 0,
            out: 0,
            size,
            pending: [0; 4],
            pending_at: 4,
        })
    }

    fn cut(&self, k: usize, what: &str) -> io::Error {
        io_at(
            io::ErrorKind::UnexpectedEof,
            self.at[k],
            format!(
                "BCJ2 {what} stream (at offset {}) ends before the output is complete",
                self.at[k]
            ),
        )
    }

    /// One bit with probability `probs[i]`.
    fn bit(&mut self, i: usize) -> io::Result<bool> {
        let ttt = u32::from(self.probs.get(i).copied().unwrap_or(1 << 10));
        let bound = (self.range >> 11).wrapping_mul(ttt);
        let one = if self.code < bound {
            self.range = bound;
            if let Some(p) = self.probs.get_mut(i) {
                *p = (ttt + ((2048 - ttt) >> 5)) as u16;
            }
            false
        } else {
            self.range = self.range.wrapping_sub(bound);
            self.code = self.code.wrapping_sub(bound);
            if let Some(p) = self.probs.get_mut(i) {
                *p = (ttt - (ttt >> 5)) as u16;
            }
            true
        };
        if self.range < 1 << 24 {
            let Some((&b, rest)) = self.rc.split_first() else {
                return Err(self.cut(3, "range coder"));
            };
            self.rc = rest;
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(b);
        }
        Ok(one)
    }
}

fn is_jump(prev: u8, b: u8) -> bool {
    (b & 0xFE) == 0xE8 || (prev == 0x0F && (b & 0xF0) == 0x80)
}

impl Read for Bcj2<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.out < self.size {
            if let Some(&p) = self.pending.get(self.pending_at) {
                if let Some(slot) = buf.get_mut(n) {
                    *slot = p;
                }
                self.pending_at += 1;
                n += 1;
                self.out += 1;
                continue;
            }
            let Some((&b, rest)) = self.main.split_first() else {
                return Err(self.cut(0, "main"));
            };
            self.main = rest;
            if let Some(slot) = buf.get_mut(n) {
                *slot = b;
            }
            n += 1;
            self.out += 1;
            if !is_jump(self.prev, b) {
                self.prev = b;
                continue;
            }
            if self.out == self.size {
                break;
            }
            let i = match b {
                0xE8 => usize::from(self.prev),
                0xE9 => 256,
                _ => 257,
            };
            if !self.bit(i)? {
                self.prev = b;
                continue;
            }
            let (k, src) = if b == 0xE8 {
                (1, &mut self.call)
            } else {
                (2, &mut self.jump)
            };
            let Some(v) = src.get(..4) else {
                return Err(self.cut(k, if k == 1 { "call" } else { "jump" }));
            };
            let v = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
            *src = src.get(4..).unwrap_or(&[]);
            let dest = v.wrapping_sub((self.out as u32).wrapping_add(4));
            self.pending = dest.to_le_bytes();
            self.pending_at = 0;
            self.prev = (dest >> 24) as u8;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
