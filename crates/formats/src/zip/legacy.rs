//! The zip methods of PKZIP 0.9–1.1: shrink (1, dynamic LZW with partial
//! clearing), reduce (2–5, follower sets and a probabilistic LZ77 of factor
//! 1–4) and implode (6, LZ77 with Shannon-Fano trees, 4 or 8 KiB window).
//! Our own decoders, written from PKWARE's APPNOTE.TXT and the behaviour of
//! Info-ZIP's decoders (facts only). Bits are read least significant first.
//!
//! Each decoder produces exactly the declared size; what it cannot decode
//! (a code no table assigns, a control code it does not know, the data
//! ending early) is an `io::Error`, never bytes made up. A match reaching
//! before the first byte reads zeros, as PKZIP's and Info-ZIP's decoders
//! do (their windows start zeroed); the entry's CRC-32 decides.

use std::collections::HashMap;
use std::io::{self, Read};

/// History kept (the farthest match of any method: implode's 8 KiB + 64 …).
const RING: usize = 1 << 14;

/// LSB-first bits.
struct Bits<'a> {
    data: &'a [u8],
    pos: u64,
}

impl Bits<'_> {
    fn bits(&mut self, n: u32) -> io::Result<u32> {
        let mut v = 0u32;
        for i in 0..n {
            let Some(&b) = self
                .data
                .get(usize::try_from(self.pos / 8).unwrap_or(usize::MAX))
            else {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "compressed data ({} bytes) ends before the declared size is decoded",
                        self.data.len()
                    ),
                ));
            };
            v |= u32::from((b >> (self.pos % 8)) & 1) << i;
            self.pos += 1;
        }
        Ok(v)
    }
}

fn bad(m: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, m.into())
}

/// Output history and the bytes of the current step not yet handed out.
struct Out {
    ring: Vec<u8>,
    done: u64,
    pending: Vec<u8>,
    taken: usize,
}

impl Out {
    fn new() -> Self {
        Out {
            ring: vec![0; RING],
            done: 0,
            pending: Vec::new(),
            taken: 0,
        }
    }

    fn push(&mut self, b: u8) {
        if let Some(r) = self.ring.get_mut((self.done % RING as u64) as usize) {
            *r = b;
        }
        self.done += 1;
        self.pending.push(b);
    }

    /// Copy `len` bytes from `dist` back (1 = the last byte); before the
    /// first byte, zeros.
    fn copy(&mut self, dist: u64, len: usize) {
        for _ in 0..len {
            let b = if dist > self.done || dist as usize > RING {
                0
            } else {
                let at = ((self.done - dist) % RING as u64) as usize;
                self.ring.get(at).copied().unwrap_or(0)
            };
            self.push(b);
        }
    }
}

/// Which method, with its state.
enum Method {
    Shrink(Shrink),
    Reduce(Reduce),
    Implode(Implode),
}

/// A decoder of one legacy zip entry.
pub(super) struct Decoder<'a> {
    bits: Bits<'a>,
    out: Out,
    size: u64,
    /// Bytes handed out.
    given: u64,
    method: Method,
    started: bool,
}

impl<'a> Decoder<'a> {
    /// A decoder for method `code` (1–6) with general-purpose `flags` over
    /// `data`, producing `size` bytes; `None` for other methods.
    pub(super) fn new(code: u16, flags: u16, data: &'a [u8], size: u64) -> Option<Self> {
        let method = match code {
            1 => Method::Shrink(Shrink::new()),
            2..=5 => Method::Reduce(Reduce::new(code as u32 - 1)),
            6 => Method::Implode(Implode {
                large: flags & 2 != 0,
                lit: flags & 4 != 0,
                trees: None,
            }),
            _ => return None,
        };
        Some(Decoder {
            bits: Bits { data, pos: 0 },
            out: Out::new(),
            size,
            given: 0,
            method,
            started: false,
        })
    }

    /// Decode at least one more byte into `out.pending`.
    fn step(&mut self) -> io::Result<()> {
        let first = !self.started;
        self.started = true;
        match &mut self.method {
            Method::Shrink(s) => s.step(&mut self.bits, &mut self.out, first),
            Method::Reduce(r) => r.step(&mut self.bits, &mut self.out, first),
            Method::Implode(i) => i.step(&mut self.bits, &mut self.out),
        }
    }
}

impl Read for Decoder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.given < self.size {
            if self.out.taken >= self.out.pending.len() {
                self.out.pending.clear();
                self.out.taken = 0;
                // Each step makes at least one byte or fails; a step that
                // made none (a control code) is followed by another.
                let mut guard = 0u32;
                while self.out.pending.is_empty() {
                    self.step()?;
                    guard += 1;
                    if guard > 1 << 16 {
                        return Err(bad("no output after 65,536 control codes"));
                    }
                }
            }
            let Some(&b) = self.out.pending.get(self.out.taken) else {
                break;
            };
            self.out.taken += 1;
            if let Some(o) = buf.get_mut(n) {
                *o = b;
            }
            n += 1;
            self.given += 1;
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------- shrink

const SHRINK_CODES: usize = 8192;
const FREE: u16 = u16::MAX;

/// Method 1: LZW codes of 9 to 13 bits; code 256 is followed by 1
/// (one bit wider) or 2 (free every code that is no other's prefix); new
/// codes take the lowest free slot from 257.
struct Shrink {
    width: u32,
    /// Prefix code of each code (FREE when the slot is free).
    prefix: Vec<u16>,
    suffix: Vec<u8>,
    /// The previous code.
    prev: u16,
    /// The lowest free slot.
    next_free: usize,
    /// Scratch for a code's string.
    stack: Vec<u8>,
}

impl Shrink {
    fn new() -> Self {
        let mut prefix = vec![FREE; SHRINK_CODES];
        for (i, p) in prefix.iter_mut().enumerate().take(257) {
            *p = i as u16;
        }
        Shrink {
            width: 9,
            prefix,
            suffix: (0..SHRINK_CODES).map(|i| i as u8).collect(),
            prev: 0,
            next_free: 257,
            stack: Vec::new(),
        }
    }

    fn defined(&self, c: u16) -> bool {
        c < 256 || (c > 256 && self.prefix.get(usize::from(c)).is_some_and(|&p| p != FREE))
    }

    /// The string of a defined code, into `stack` (reversed).
    fn string(&mut self, mut c: u16) -> io::Result<()> {
        self.stack.clear();
        while c >= 257 {
            let (Some(&p), Some(&s)) = (
                self.prefix.get(usize::from(c)),
                self.suffix.get(usize::from(c)),
            ) else {
                return Err(bad("shrink code out of range"));
            };
            self.stack.push(s);
            if self.stack.len() > SHRINK_CODES {
                return Err(bad("shrink code chain loops"));
            }
            c = p;
        }
        self.stack.push(c as u8);
        Ok(())
    }

    fn advance_free(&mut self) {
        while self.next_free < SHRINK_CODES
            && self.prefix.get(self.next_free).is_some_and(|&p| p != FREE)
        {
            self.next_free += 1;
        }
    }

    fn partial_clear(&mut self) {
        let mut parent = vec![false; SHRINK_CODES];
        for c in 257..SHRINK_CODES {
            if let Some(&p) = self.prefix.get(c).filter(|&&p| p != FREE) {
                if p > 256 {
                    if let Some(f) = parent.get_mut(usize::from(p)) {
                        *f = true;
                    }
                }
            }
        }
        for (c, has_child) in parent.iter().enumerate().skip(257) {
            if !has_child {
                if let Some(p) = self.prefix.get_mut(c) {
                    *p = FREE;
                }
            }
        }
        self.next_free = 257;
        self.advance_free();
    }

    fn step(&mut self, bits: &mut Bits<'_>, out: &mut Out, first: bool) -> io::Result<()> {
        let code = bits.bits(self.width)? as u16;
        if first {
            if code > 255 {
                return Err(bad(format!(
                    "shrink data starts with code {code}, not a byte"
                )));
            }
            self.prev = code;
            out.push(code as u8);
            return Ok(());
        }
        if code == 256 {
            match bits.bits(self.width)? {
                1 if self.width < 13 => self.width += 1,
                1 => return Err(bad("shrink code width grows past 13 bits")),
                2 => self.partial_clear(),
                other => return Err(bad(format!("shrink control code 256 followed by {other}"))),
            }
            return Ok(());
        }
        let kwk = if self.defined(code) {
            self.string(code)?;
            None
        } else if usize::from(code) == self.next_free {
            // The code being defined now: the previous string and its
            // own first byte.
            self.string(self.prev)?;
            let first = self.stack.last().copied().unwrap_or(0);
            Some(first)
        } else {
            return Err(bad(format!("shrink code {code} is not defined")));
        };
        // The string of `code`, first byte last in `stack`.
        let first = self.stack.last().copied().unwrap_or(0);
        for &b in self.stack.iter().rev() {
            out.push(b);
        }
        if let Some(k) = kwk {
            out.push(k);
        }
        if self.next_free < SHRINK_CODES {
            if let (Some(p), Some(s)) = (
                self.prefix.get_mut(self.next_free),
                self.suffix.get_mut(self.next_free),
            ) {
                *p = self.prev;
                *s = first;
            }
            self.next_free += 1;
            self.advance_free();
        }
        self.prev = code;
        Ok(())
    }
}

// ---------------------------------------------------------------- reduce

/// Methods 2–5: bytes coded with per-byte follower sets, then a DLE (144)
/// escape for matches whose length and distance bits depend on the factor.
struct Reduce {
    factor: u32,
    followers: Vec<Vec<u8>>,
    last: u8,
    state: u8,
    v: u32,
    len: u32,
}

impl Reduce {
    fn new(factor: u32) -> Self {
        Reduce {
            factor,
            followers: Vec::new(),
            last: 0,
            state: 0,
            v: 0,
            len: 0,
        }
    }

    /// Bits to index `n` followers.
    fn width(n: usize) -> u32 {
        match n {
            0..=2 => 1,
            3..=4 => 2,
            5..=8 => 3,
            9..=16 => 4,
            17..=32 => 5,
            _ => 6,
        }
    }

    fn byte(&mut self, bits: &mut Bits<'_>) -> io::Result<u8> {
        let set = self
            .followers
            .get(usize::from(self.last))
            .map_or(&[][..], |s| &s[..]);
        let c = if set.is_empty() || bits.bits(1)? == 1 {
            bits.bits(8)? as u8
        } else {
            let i = bits.bits(Self::width(set.len()))? as usize;
            *set.get(i)
                .ok_or_else(|| bad(format!("reduce follower index {i} of {}", set.len())))?
        };
        self.last = c;
        Ok(c)
    }

    fn step(&mut self, bits: &mut Bits<'_>, out: &mut Out, first: bool) -> io::Result<()> {
        if first {
            let mut sets = vec![Vec::new(); 256];
            for set in sets.iter_mut().rev() {
                let n = bits.bits(6)?;
                for _ in 0..n {
                    set.push(bits.bits(8)? as u8);
                }
            }
            self.followers = sets;
        }
        let c = self.byte(bits)?;
        let mask = 0x7Fu32 >> (self.factor - 1);
        match self.state {
            0 if c == 144 => self.state = 1,
            0 => out.push(c),
            1 if c == 0 => {
                out.push(144);
                self.state = 0;
            }
            1 => {
                self.v = u32::from(c);
                self.len = self.v & mask;
                self.state = if self.len == mask { 2 } else { 3 };
            }
            2 => {
                self.len += u32::from(c);
                self.state = 3;
            }
            _ => {
                let dist = ((self.v >> (8 - self.factor)) << 8) + u32::from(c) + 1;
                out.copy(u64::from(dist), self.len as usize + 3);
                self.state = 0;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- implode

/// A Shannon-Fano code: (length, code) → symbol.
struct Tree {
    map: HashMap<(u32, u32), u16>,
}

impl Tree {
    /// Read a tree of `n` symbols: a count of bytes, each a run of
    /// (count, length) pairs.
    fn read(bits: &mut Bits<'_>, n: usize, what: &str) -> io::Result<Tree> {
        let bytes = bits.bits(8)? + 1;
        let mut lens = Vec::with_capacity(n);
        for _ in 0..bytes {
            let b = bits.bits(8)?;
            let len = (b & 15) + 1;
            let count = (b >> 4) + 1;
            for _ in 0..count {
                if lens.len() >= n {
                    return Err(bad(format!(
                        "implode {what} tree describes more than {n} lengths"
                    )));
                }
                lens.push(len);
            }
        }
        if lens.len() != n {
            return Err(bad(format!(
                "implode {what} tree describes {} of {n} lengths",
                lens.len()
            )));
        }
        // Sorted by length (stable), codes given from the longest down,
        // each the previous plus 2^(16 - length), left-aligned in 16 bits.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| lens.get(i).copied().unwrap_or(0));
        let (mut code, mut inc, mut last) = (0u32, 0u32, 0u32);
        let mut map = HashMap::with_capacity(n);
        for &i in order.iter().rev() {
            code += inc;
            let len = lens.get(i).copied().unwrap_or(16);
            if len != last {
                last = len;
                inc = 1 << (16 - len);
            }
            if code >= 1 << 16 {
                return Err(bad(format!("implode {what} tree is over-subscribed")));
            }
            map.insert((len, code >> (16 - len)), i as u16);
        }
        Ok(Tree { map })
    }

    /// One symbol: bits read one at a time, the code's first bit first.
    fn decode(&self, bits: &mut Bits<'_>, what: &str) -> io::Result<u32> {
        let mut v = 0;
        for len in 1..=16 {
            v = (v << 1) | bits.bits(1)?;
            if let Some(&s) = self.map.get(&(len, v)) {
                return Ok(u32::from(s));
            }
        }
        Err(bad(format!("implode {what} code is not assigned")))
    }
}

/// Method 6.
struct Implode {
    /// 8 KiB window (general-purpose bit 1), else 4 KiB.
    large: bool,
    /// A literal tree (bit 2): literals coded, minimum match 3; else raw
    /// literals, minimum match 2.
    lit: bool,
    trees: Option<(Option<Tree>, Tree, Tree)>,
}

impl Implode {
    fn step(&mut self, bits: &mut Bits<'_>, out: &mut Out) -> io::Result<()> {
        if self.trees.is_none() {
            let lit = if self.lit {
                Some(Tree::read(bits, 256, "literal")?)
            } else {
                None
            };
            let len = Tree::read(bits, 64, "length")?;
            let dist = Tree::read(bits, 64, "distance")?;
            self.trees = Some((lit, len, dist));
        }
        let Some((lit, len_t, dist_t)) = &self.trees else {
            return Err(bad("implode trees missing"));
        };
        if bits.bits(1)? == 1 {
            let c = match lit {
                Some(t) => t.decode(bits, "literal")?,
                None => bits.bits(8)?,
            };
            out.push(c as u8);
            return Ok(());
        }
        let low_bits = if self.large { 7 } else { 6 };
        let low = bits.bits(low_bits)?;
        let high = dist_t.decode(bits, "distance")?;
        let dist = (high << low_bits) | low;
        let mut len = len_t.decode(bits, "length")?;
        if len == 63 {
            len += bits.bits(8)?;
        }
        len += if self.lit { 3 } else { 2 };
        out.copy(u64::from(dist) + 1, len as usize);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{list, Listed};
    use crate::test_support::sample;
    use installsift_model::{Check, Limits};

    /// What 7-Zip and Info-ZIP extract from implode.zip and shrink.zip, and
    /// zip2's expected output for reduce.zip (reference/zip_legacy__*.tsv).
    const FIRST_TXT: &str = "7fa9e80fcfc8ef32d3e08d88b85730803da855affea2d1ec51f08a4b01f171e7";

    fn sha(b: &[u8]) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    }

    #[test]
    fn the_three_methods_decode_and_verify() {
        for (f, method) in [
            ("implode", "implode"),
            ("shrink", "shrink"),
            ("reduce", "reduce-4"),
        ] {
            let d = sample(&format!("zip_legacy/{f}.zip")).expect("sample");
            let l = list(crate::zip::open, &d, &Limits::default(), 10);
            assert_eq!(l.entries.len(), 1, "{f}");
            let (_, info, got) = &l.entries[0];
            assert_eq!(info.method.as_deref(), Some(method));
            assert_eq!(info.verified_by, [Check::ZipCrc32], "{f}: {info:?}");
            let Listed::Decoded(Ok(b)) = got else {
                panic!("{f}: {got:?}")
            };
            assert_eq!(sha(b), FIRST_TXT, "{f}");
        }
    }

    /// Offset of the compressed data of the first local header.
    fn data_at(d: &[u8]) -> usize {
        30 + usize::from(u16::from_le_bytes([d[26], d[27]]))
            + usize::from(u16::from_le_bytes([d[28], d[29]]))
    }

    /// Apache commons-compress's test archives: the implode variants (4 KiB
    /// and two trees, 8 KiB and three) and two shrunk files; every entry
    /// decodes, verified by its CRC-32 (reference/zip_legacy__commons_*.tsv
    /// holds 7-Zip's bytes, compared by tests/it/reference.rs).
    #[test]
    fn commons_compress_samples_verify() {
        for (f, n, method) in [
            ("commons_SHRUNK.ZIP", 2, "shrink"),
            ("commons_imploding-4Kdict-2trees.zip", 1, "implode"),
            ("commons_imploding-8Kdict-3trees.zip", 1, "implode"),
        ] {
            let d = sample(&format!("zip_legacy/{f}")).expect("sample");
            let l = list(crate::zip::open, &d, &Limits::default(), 10);
            assert_eq!(l.entries.len(), n, "{f}");
            for (name, info, got) in &l.entries {
                assert_eq!(info.method.as_deref(), Some(method), "{f} {name}");
                assert_eq!(info.verified_by, [Check::ZipCrc32], "{f} {name}: {info:?}");
                assert!(matches!(got, Listed::Decoded(Ok(_))), "{f} {name}");
            }
        }
    }

    #[test]
    fn damage_is_an_error_or_a_checksum_mismatch() {
        for f in ["implode", "shrink", "reduce"] {
            let good = sample(&format!("zip_legacy/{f}.zip")).expect("sample");
            let at = data_at(&good);
            for k in [0usize, 1, 5, 40, 300] {
                let mut d = good.clone();
                d[at + k] ^= 0x10;
                let l = list(crate::zip::open, &d, &Limits::default(), 10);
                let (_, info, got) = &l.entries[0];
                assert!(info.verified_by.is_empty(), "{f} byte {k}: verified");
                let failed = matches!(got, Listed::Decoded(Err(_)))
                    || info.errors.iter().any(|e| e.kind() == "checksum");
                assert!(failed, "{f} byte {k}: {info:?} {got:?}");
            }
        }
    }

    #[test]
    fn hostile_streams_do_not_panic() {
        let noise: Vec<u8> = (0..4000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        for code in 1..=6u16 {
            for flags in [0u16, 2, 4, 6] {
                for n in [0usize, 1, 3, 17, 400, 4000] {
                    let Some(dec) = Decoder::new(code, flags, &noise[..n], 1 << 20) else {
                        panic!("method {code}")
                    };
                    let mut out = Vec::new();
                    let r = dec.take(1 << 21).read_to_end(&mut out);
                    assert!(r.is_err() || out.len() <= 1 << 20);
                }
            }
        }
        assert!(Decoder::new(8, 0, &noise, 10).is_none());
    }
}
