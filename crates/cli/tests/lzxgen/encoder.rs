//! An LZX compressor for tests: it writes what the format allows rather than
//! what compresses best, to exercise a decoder. Every block type, all three
//! repeated offsets, matches up to 257 bytes, blocks of any size (0 to many
//! frames), E8 translation, uncompressed blocks that set arbitrary repeated
//! offsets, odd uncompressed blocks with their padding byte at the end of a
//! frame's data or at the start of the next frame's.
//!
//! Written from the format as [MS-PATCH] (LZXD) and libmspack describe it,
//! independently of the decoder in crates/formats/src/cab/lzx.rs.

use super::rng::Rng;

pub const FRAME: usize = 32768;
/// Largest CFDATA data libmspack accepts (CAB_INPUTMAX).
pub const MAX_CHUNK: usize = 32768 + 6144;
const MIN_MATCH: usize = 2;
const MAX_MATCH: usize = 257;
const LEN_SYMS: usize = 249;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Verbatim = 1,
    Aligned = 2,
    Uncompressed = 3,
}

/// How a stream is to be written.
#[derive(Clone, Debug)]
pub struct Options {
    /// 15 to 21.
    pub window_bits: u8,
    /// `None`: the header bit is 0. `Some(n)`: the bit is 1 and the
    /// translation size is `n` (0 is allowed: no translation).
    pub e8: Option<u32>,
    /// Weights of verbatim, aligned and uncompressed blocks.
    pub kinds: [u64; 3],
    /// Block sizes drawn from `lo..=hi`.
    pub block_size: (u64, u64),
    /// Hash-chain depth of the match finder.
    pub chain: usize,
    /// Take unusual but valid choices now and then: empty blocks, blocks
    /// ending on frame boundaries, repeated offsets set by uncompressed
    /// blocks, distances equal to a repeated offset coded in full, code
    /// lengths sent without runs, flat aligned trees.
    pub quirks: bool,
    pub seed: u64,
    /// Blocks to write first, as (kind, size), before drawn ones.
    pub plan: Vec<(Kind, usize)>,
    /// Where an odd uncompressed block ending on a frame boundary puts its
    /// padding byte: the next frame's data (`Some(true)`), this frame's
    /// (`Some(false)`), or either, drawn (`None`).
    pub pad_next: Option<bool>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            window_bits: 15,
            e8: None,
            kinds: [1, 1, 1],
            block_size: (1000, 50_000),
            chain: 16,
            quirks: false,
            seed: 0,
            plan: Vec::new(),
            pad_next: None,
        }
    }
}

/// What a stream ended up containing, to show coverage.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub blocks: [usize; 3],
    pub empty_blocks: usize,
    /// Blocks whose data spans at least one frame boundary.
    pub spanning_blocks: usize,
    pub literals: usize,
    pub matches: usize,
    /// Matches coded with repeated offset R0, R1, R2.
    pub reps: [usize; 3],
    /// Matches of 9 bytes or more (the length tree is used).
    pub long_matches: usize,
    pub max_match: usize,
    /// Matches whose source lies in an earlier frame.
    pub cross_frame: usize,
    /// Matches of 5 or more bytes at the largest distance, the window size
    /// minus 3 (7-Zip 26.02 decodes their fifth byte wrongly).
    pub farthest: usize,
    /// Uncompressed blocks whose header sets repeated offsets other than
    /// the encoder's own.
    pub set_reps: usize,
    /// Odd uncompressed blocks ending on a frame boundary with the padding
    /// byte in the next frame's data.
    pub pad_next: usize,
    /// E8 operands changed by the forward translation.
    pub e8_translated: usize,
}

/// An encoded stream: one (data, uncompressed size) pair per frame.
pub struct Stream {
    pub frames: Vec<(Vec<u8>, usize)>,
    pub stats: Stats,
}

/// Extra bits and first formatted offset of each position slot.
fn slot_tables() -> ([u32; 50], [u32; 50]) {
    let mut extra = [17u32; 50];
    let mut base = [0u32; 50];
    for (i, e) in extra.iter_mut().enumerate().take(36) {
        *e = if i < 4 { 0 } else { i as u32 / 2 - 1 };
    }
    for i in 1..50 {
        base[i] = base[i - 1] + (1 << extra[i - 1]);
    }
    (extra, base)
}

pub fn position_slots(window_bits: u8) -> usize {
    match window_bits {
        15..=19 => usize::from(window_bits) * 2,
        20 => 42,
        _ => 50,
    }
}

/// Apply the compressor's E8 translation to `data` (what the decoder
/// undoes). Returns how many operands changed.
pub fn e8_forward(data: &mut [u8], size: u32) -> usize {
    let Ok(size) = i32::try_from(size) else {
        return 0;
    };
    if size == 0 {
        return 0;
    }
    let mut changed = 0;
    for (f, frame) in data.chunks_mut(FRAME).enumerate().take(32768) {
        if frame.len() <= 10 {
            continue;
        }
        let limit = frame.len() - 10;
        let mut i = 0;
        while i < limit {
            if frame[i] != 0xE8 {
                i += 1;
                continue;
            }
            let cur = (f * FRAME + i) as i32;
            let rel = i32::from_le_bytes([frame[i + 1], frame[i + 2], frame[i + 3], frame[i + 4]]);
            if rel >= -cur && rel < size {
                let abs = if rel < size - cur {
                    rel + cur
                } else {
                    rel - size
                };
                frame[i + 1..i + 5].copy_from_slice(&abs.to_le_bytes());
                changed += 1;
            }
            i += 5;
        }
    }
    changed
}

/// Code lengths (at most `limit` bits) for symbol frequencies, forming a
/// complete prefix code whenever any symbol is used (a lone symbol gets a
/// partner). All zeros when nothing is used.
pub fn code_lengths(freqs: &[u32], limit: u8) -> Vec<u8> {
    let mut f: Vec<u64> = freqs.iter().map(|&x| u64::from(x)).collect();
    let used: Vec<usize> = (0..f.len()).filter(|&i| f[i] > 0).collect();
    let mut lens = vec![0u8; f.len()];
    match used.len() {
        0 => return lens,
        1 => {
            let other = if used[0] == 0 { 1 } else { 0 };
            lens[used[0]] = 1;
            lens[other] = 1;
            return lens;
        }
        _ => {}
    }
    loop {
        // Huffman's algorithm over the used symbols; nodes past them are
        // internal.
        let mut heap = std::collections::BinaryHeap::new();
        let mut parent = vec![usize::MAX; used.len() * 2];
        for (k, &s) in used.iter().enumerate() {
            heap.push(std::cmp::Reverse((f[s], k)));
        }
        let mut next = used.len();
        while heap.len() > 1 {
            let std::cmp::Reverse((fa, a)) = heap.pop().expect("two");
            let std::cmp::Reverse((fb, b)) = heap.pop().expect("two");
            parent[a] = next;
            parent[b] = next;
            heap.push(std::cmp::Reverse((fa + fb, next)));
            next += 1;
        }
        let mut max = 0;
        for (k, &s) in used.iter().enumerate() {
            let mut d = 0;
            let mut n = k;
            while parent[n] != usize::MAX {
                n = parent[n];
                d += 1;
            }
            lens[s] = d;
            max = max.max(d);
        }
        if max <= limit {
            return lens;
        }
        for &s in &used {
            f[s] = (f[s] >> 1).max(1);
        }
    }
}

/// Canonical codes for code lengths: shorter codes first, then by symbol.
pub fn canonical(lens: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 17];
    for &l in lens {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 17];
    let mut code = 0;
    for l in 1..17 {
        code = (code + count[l - 1]) << 1;
        next[l] = code;
    }
    lens.iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[usize::from(l)];
            next[usize::from(l)] += 1;
            c
        })
        .collect()
}

/// Bits (16-bit little-endian words, most significant bit first) and raw
/// bytes, cut into one chunk per frame. Public for hand-made streams in
/// tests.
#[derive(Default)]
pub struct Writer {
    chunks: Vec<(Vec<u8>, usize)>,
    cur: Vec<u8>,
    acc: u64,
    nbits: u32,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// The frames written so far, and the current one (if it has data)
    /// with `last_len` output bytes.
    pub fn finish(mut self, last_len: usize) -> Vec<(Vec<u8>, usize)> {
        if !self.cur.is_empty() || self.nbits > 0 {
            self.end_frame(last_len);
        }
        self.chunks
    }

    /// Raw bytes (uncompressed block contents, repeated offsets).
    pub fn bytes(&mut self, b: &[u8]) {
        debug_assert_eq!(self.nbits, 0);
        self.cur.extend_from_slice(b);
    }

    pub fn bits(&mut self, value: u32, n: u32) {
        debug_assert!(n <= 17 && u64::from(value) >> n == 0);
        self.acc = (self.acc << n) | u64::from(value);
        self.nbits += n;
        while self.nbits >= 16 {
            self.nbits -= 16;
            let word = (self.acc >> self.nbits) as u16;
            self.cur.extend_from_slice(&word.to_le_bytes());
        }
        self.acc &= (1 << self.nbits) - 1;
    }

    /// Zero bits up to the next word boundary (none when on one).
    pub fn flush(&mut self) {
        if self.nbits > 0 {
            self.bits(0, 16 - self.nbits);
        }
    }

    /// The 1 to 16 padding bits before an uncompressed block's bytes.
    pub fn align_uncompressed(&mut self) {
        if self.nbits == 0 {
            self.bits(0, 16);
        } else {
            self.flush();
        }
    }

    pub fn end_frame(&mut self, out_len: usize) {
        self.flush();
        self.chunks.push((std::mem::take(&mut self.cur), out_len));
    }
}

enum Token {
    Literal(u8),
    /// Length, slot (0..2 = repeated offsets) and formatted-offset footer.
    Match {
        len: usize,
        slot: usize,
        footer: u32,
    },
}

/// Hash-chain match finder over the whole (translated) input.
struct Finder<'a> {
    data: &'a [u8],
    head: Vec<u32>,
    prev: Vec<u32>,
    mask: usize,
    inserted: usize,
}

impl<'a> Finder<'a> {
    fn new(data: &'a [u8], window: usize) -> Finder<'a> {
        Finder {
            data,
            head: vec![0; 1 << 16],
            prev: vec![0; window],
            mask: window - 1,
            inserted: 0,
        }
    }

    fn hash(&self, p: usize) -> usize {
        let d = self.data;
        ((usize::from(d[p]) << 10) ^ (usize::from(d[p + 1]) << 5) ^ usize::from(d[p + 2])) & 0xFFFF
    }

    /// Index every position before `upto`.
    fn insert_to(&mut self, upto: usize) {
        while self.inserted < upto {
            let p = self.inserted;
            if p + 3 <= self.data.len() {
                let h = self.hash(p);
                self.prev[p & self.mask] = self.head[h];
                self.head[h] = p as u32 + 1;
            }
            self.inserted += 1;
        }
    }

    fn match_len(&self, p: usize, q: usize, max: usize) -> usize {
        let d = self.data;
        let mut n = 0;
        while n < max && d[p + n] == d[q + n] {
            n += 1;
        }
        n
    }

    /// Longest match at `p` of at most `max` bytes, within `far` bytes
    /// back: (length, distance).
    fn longest(&self, p: usize, max: usize, far: usize, depth: usize) -> (usize, usize) {
        let mut best = (0, 0);
        if p + 3 > self.data.len() || max < 3 {
            return best;
        }
        let mut cand = self.head[self.hash(p)] as usize;
        let mut left = depth;
        while cand > 0 && left > 0 {
            let q = cand - 1;
            if q >= p || p - q > far {
                break;
            }
            let n = self.match_len(p, q, max);
            if n > best.0 {
                best = (n, p - q);
                if n == max {
                    break;
                }
            }
            let next = self.prev[q & self.mask] as usize;
            if next >= cand {
                break;
            }
            cand = next;
            left -= 1;
        }
        best
    }
}

/// Encode `input` as one LZX stream.
pub fn encode(input: &[u8], opts: &Options) -> Stream {
    let mut rng = Rng::new(opts.seed);
    let mut stats = Stats::default();
    let mut data = input.to_vec();
    if let Some(size) = opts.e8 {
        stats.e8_translated = e8_forward(&mut data, size);
    }
    let window = 1usize << opts.window_bits;
    let far = window - 3;
    let slots = position_slots(opts.window_bits);
    let main_syms = 256 + slots * 8;
    let (extra, base) = slot_tables();
    let mut w = Writer::new();
    match opts.e8 {
        None => w.bits(0, 1),
        Some(size) => {
            w.bits(1, 1);
            w.bits(size >> 16, 16);
            w.bits(size & 0xFFFF, 16);
        }
    }
    let mut finder = Finder::new(&data, window);
    let mut reps = [1u32; 3];
    let mut prev_main = vec![0u8; main_syms];
    let mut prev_len = vec![0u8; LEN_SYMS];
    let mut pos = 0usize;
    let total = data.len();
    // Frames end when the output reaches a multiple of FRAME (or the end).
    let end_frame_if_due = |w: &mut Writer, pos: usize| {
        if pos.is_multiple_of(FRAME) && pos > 0 {
            w.end_frame(FRAME);
        }
    };

    let mut planned = opts.plan.iter();
    while pos < total {
        let kind = match rng.weighted(&opts.kinds) {
            0 => Kind::Verbatim,
            1 => Kind::Aligned,
            _ => Kind::Uncompressed,
        };
        let mut size = rng.range(opts.block_size.0, opts.block_size.1) as usize;
        if opts.quirks && rng.chance(30) {
            // A block that ends exactly at a frame boundary.
            let to_boundary = FRAME - pos % FRAME;
            size = to_boundary + FRAME * rng.below(3) as usize;
        }
        if opts.quirks && rng.chance(15) {
            size = 0;
        }
        let (kind, size) = planned.next().copied().unwrap_or((kind, size));
        // Keep each frame's data within what cabextract accepts: when the
        // frame's bytes so far plus a pessimistic estimate for the rest of
        // it would not fit, store the rest of the frame.
        let rest = FRAME - pos % FRAME;
        let (kind, size) = if w.cur.len() + rest + rest / 10 + 2000 > MAX_CHUNK {
            (Kind::Uncompressed, rest)
        } else {
            (kind, size)
        };
        let size = size.min(total - pos).min((1 << 24) - 1);
        stats.blocks[kind as usize - 1] += 1;
        if size == 0 {
            stats.empty_blocks += 1;
        }
        if pos / FRAME != (pos + size).saturating_sub(1) / FRAME && size > 0 {
            stats.spanning_blocks += 1;
        }
        let end = pos + size;
        if kind == Kind::Uncompressed {
            if opts.quirks && rng.chance(300) {
                // Set repeated offsets the stream has not used.
                for r in &mut reps {
                    *r = rng.range(1, far as u64) as u32;
                }
                stats.set_reps += 1;
            }
            w.bits(3, 3);
            w.bits((size >> 8) as u32, 16);
            w.bits((size & 0xFF) as u32, 8);
            w.align_uncompressed();
            for r in reps {
                w.cur.extend_from_slice(&r.to_le_bytes());
            }
            while pos < end {
                let stop = end.min((pos / FRAME + 1) * FRAME);
                w.cur.extend_from_slice(&data[pos..stop]);
                pos = stop;
                if pos == end && size % 2 == 1 && pos < total {
                    let next = rng.chance(500);
                    if pos.is_multiple_of(FRAME) && opts.pad_next.unwrap_or(next) {
                        // Padding byte at the start of the next frame's data.
                        end_frame_if_due(&mut w, pos);
                        w.cur.push(0);
                        stats.pad_next += 1;
                        continue;
                    }
                    w.cur.push(0);
                }
                end_frame_if_due(&mut w, pos);
            }
            if size % 2 == 1 && pos == total && rng.chance(500) {
                w.cur.push(0);
            }
            finder.insert_to(pos);
            continue;
        }

        // Verbatim or aligned: parse, then code.
        let mut tokens = Vec::new();
        let mut p = pos;
        while p < end {
            finder.insert_to(p);
            let limit = (end - p).min((p / FRAME + 1) * FRAME - p).min(MAX_MATCH);
            let reach = p.min(far);
            let mut best: Option<(usize, usize, usize)> = None; // len, slot, dist
            if limit >= MIN_MATCH {
                for (k, &r) in reps.iter().enumerate() {
                    let r = r as usize;
                    if r >= 1 && r <= reach {
                        let n = finder.match_len(p, p - r, limit);
                        if n >= MIN_MATCH && best.is_none_or(|b| n > b.0) {
                            best = Some((n, k, r));
                        }
                    }
                }
                let (n, d) = finder.longest(p, limit, reach, opts.chain);
                let take = match best {
                    None => n >= 3 && (n >= 4 || d < 1 << 14),
                    Some(b) => n > b.0 + 1,
                };
                if take {
                    best = Some((n, 3, d));
                }
            }
            match best {
                Some((len, slot, dist)) => {
                    let (slot, footer) = if slot < 3 && !(opts.quirks && rng.chance(20)) {
                        reps.swap(0, slot);
                        stats.reps[slot] += 1;
                        (slot, 0)
                    } else {
                        // A fresh offset (now and then one equal to a
                        // repeated offset, coded in full).
                        let formatted = dist as u32 + 2;
                        let s = (3..slots)
                            .rev()
                            .find(|&s| base[s] <= formatted)
                            .expect("slot");
                        reps = [dist as u32, reps[0], reps[1]];
                        (s, formatted - base[s])
                    };
                    stats.matches += 1;
                    if len >= 9 {
                        stats.long_matches += 1;
                    }
                    stats.max_match = stats.max_match.max(len);
                    if dist > p % FRAME {
                        stats.cross_frame += 1;
                    }
                    if dist == far && len >= 5 {
                        stats.farthest += 1;
                    }
                    tokens.push(Token::Match { len, slot, footer });
                    p += len;
                }
                None => {
                    tokens.push(Token::Literal(data[p]));
                    stats.literals += 1;
                    p += 1;
                }
            }
        }
        finder.insert_to(end);

        // Trees from the token statistics.
        let aligned = kind == Kind::Aligned;
        let mut main_f = vec![0u32; main_syms];
        let mut len_f = vec![0u32; LEN_SYMS];
        let mut al_f = vec![0u32; 8];
        for t in &tokens {
            match *t {
                Token::Literal(b) => main_f[usize::from(b)] += 1,
                Token::Match { len, slot, footer } => {
                    let head = (len - MIN_MATCH).min(7);
                    main_f[256 + slot * 8 + head] += 1;
                    if head == 7 {
                        len_f[len - MIN_MATCH - 7] += 1;
                    }
                    if aligned && slot >= 3 && extra[slot] >= 3 {
                        al_f[(footer & 7) as usize] += 1;
                    }
                }
            }
        }
        if main_f.iter().all(|&f| f == 0) {
            // An empty block still needs a complete main tree.
            main_f[0] = 1;
            main_f[1] = 1;
        }
        let main_lens = code_lengths(&main_f, 16);
        let len_lens = code_lengths(&len_f, 16);
        let al_lens = if opts.quirks && rng.chance(200) {
            vec![3u8; 8]
        } else if al_f.iter().all(|&f| f == 0) {
            let mut l = vec![3u8; 8];
            if rng.chance(500) {
                l = vec![1, 2, 3, 4, 5, 6, 7, 7];
            }
            l
        } else {
            code_lengths(&al_f, 7)
        };
        let main_codes = canonical(&main_lens);
        let len_codes = canonical(&len_lens);
        let al_codes = canonical(&al_lens);

        w.bits(kind as u32, 3);
        w.bits((size >> 8) as u32, 16);
        w.bits((size & 0xFF) as u32, 8);
        if aligned {
            for &l in &al_lens {
                w.bits(u32::from(l), 3);
            }
        }
        write_lengths(
            &mut w,
            &prev_main[..256],
            &main_lens[..256],
            &mut rng,
            opts.quirks,
        );
        write_lengths(
            &mut w,
            &prev_main[256..],
            &main_lens[256..],
            &mut rng,
            opts.quirks,
        );
        write_lengths(&mut w, &prev_len, &len_lens, &mut rng, opts.quirks);
        prev_main = main_lens.clone();
        prev_len = len_lens.clone();

        let mut out = pos;
        for t in &tokens {
            match *t {
                Token::Literal(b) => {
                    let s = usize::from(b);
                    w.bits(main_codes[s], u32::from(main_lens[s]));
                    out += 1;
                }
                Token::Match { len, slot, footer } => {
                    let head = (len - MIN_MATCH).min(7);
                    let s = 256 + slot * 8 + head;
                    w.bits(main_codes[s], u32::from(main_lens[s]));
                    if head == 7 {
                        let l = len - MIN_MATCH - 7;
                        w.bits(len_codes[l], u32::from(len_lens[l]));
                    }
                    if slot >= 3 {
                        let e = extra[slot];
                        if aligned && e >= 3 {
                            w.bits(footer >> 3, e - 3);
                            let a = (footer & 7) as usize;
                            w.bits(al_codes[a], u32::from(al_lens[a]));
                        } else {
                            w.bits(footer, e);
                        }
                    }
                    out += len;
                }
            }
            end_frame_if_due(&mut w, out);
        }
        pos = end;
    }
    if !total.is_multiple_of(FRAME) {
        w.end_frame(total % FRAME);
    }
    Stream {
        frames: w.chunks,
        stats,
    }
}

/// Code lengths `new` as deltas from `prev` through a pretree.
pub fn write_lengths(w: &mut Writer, prev: &[u8], new: &[u8], rng: &mut Rng, quirks: bool) {
    // (pretree symbol, extra bits, extra value, delta symbol after a 19)
    let mut toks: Vec<(usize, u32, u32, Option<usize>)> = Vec::new();
    let delta = |i: usize, v: u8| (usize::from(prev[i]) + 17 - usize::from(v)) % 17;
    let singles = quirks && rng.chance(100);
    let mut i = 0;
    while i < new.len() {
        let v = new[i];
        let run = new[i..].iter().take_while(|&&x| x == v).count();
        if !singles && v == 0 && run >= 20 && !(quirks && rng.chance(100)) {
            let n = run.min(51);
            toks.push((18, 5, (n - 20) as u32, None));
            i += n;
        } else if !singles && v == 0 && run >= 4 && !(quirks && rng.chance(200)) {
            let n = run.min(19);
            toks.push((17, 4, (n - 4) as u32, None));
            i += n;
        } else if !singles && run >= 4 {
            let n = run.min(5);
            toks.push((19, 1, (n - 4) as u32, Some(delta(i, v))));
            i += n;
        } else {
            toks.push((delta(i, v), 0, 0, None));
            i += 1;
        }
    }
    let mut f = [0u32; 20];
    for t in &toks {
        f[t.0] += 1;
        if let Some(d) = t.3 {
            f[d] += 1;
        }
    }
    let lens = code_lengths(&f, 15);
    let codes = canonical(&lens);
    for &l in &lens {
        w.bits(u32::from(l), 4);
    }
    for (sym, n, v, d) in toks {
        w.bits(codes[sym], u32::from(lens[sym]));
        if n > 0 {
            w.bits(v, n);
        }
        if let Some(d) = d {
            w.bits(codes[d], u32::from(lens[d]));
        }
    }
}
