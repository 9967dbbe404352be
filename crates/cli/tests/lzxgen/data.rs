//! Seeded inputs: x86-like code with many E8 calls, text, zeros, random
//! bytes and mixes of them, and E8 bytes planted where translation has its
//! edges.

use super::encoder::FRAME;
use super::rng::Rng;

/// x86-flavoured bytes: prologues, calls (E8) and jumps to a few dozen
/// targets, moves, padding, pointer tables and strings.
pub fn x86(rng: &mut Rng, len: usize, base: usize) -> Vec<u8> {
    let targets: Vec<i64> = (0..40).map(|_| rng.below(1 << 20) as i64).collect();
    let mut v = Vec::with_capacity(len + 16);
    while v.len() < len {
        let here = (base + v.len()) as i64;
        match rng.below(20) {
            0..=5 => {
                // CALL rel32 to a known function: its absolute target repeats.
                let t = targets[rng.below(targets.len() as u64) as usize];
                v.push(0xE8);
                let rel = (t - (here + 5)) as i32;
                v.extend_from_slice(&rel.to_le_bytes());
            }
            6 => {
                v.push(0xE9);
                let rel = rng.range(0, 4000) as i32 - 2000;
                v.extend_from_slice(&rel.to_le_bytes());
            }
            7 => v.extend_from_slice(&[0x55, 0x8B, 0xEC, 0x83, 0xEC, rng.byte() & 0x3C]),
            8 => v.extend_from_slice(&[0x48, 0x89, 0x5C, 0x24, 0x08, 0x57, 0x48, 0x83, 0xEC, 0x20]),
            9 => {
                v.extend_from_slice(&[0x8B, 0x45, rng.byte() & 0xFC, 0x89, 0x45, rng.byte() & 0xFC])
            }
            10 => v.extend_from_slice(&[0x5F, 0x5E, 0x5B, 0xC9, 0xC3]),
            11 => {
                let n = rng.range(1, 15) as usize;
                v.extend(std::iter::repeat_n(0xCC, n));
            }
            12 => {
                let n = rng.range(1, 40) as usize;
                v.extend(std::iter::repeat_n(0, n));
            }
            13 => {
                // A table of pointers: fixed stride, small changes.
                let start = 0x0040_1000u32 + rng.below(0x1000) as u32 * 16;
                for k in 0..rng.range(2, 12) as u32 {
                    v.extend_from_slice(&(start + k * 16).to_le_bytes());
                }
            }
            14 => {
                let words: &[&[u8]] = &[
                    b"GetProcAddress\0",
                    b"kernel32.dll\0",
                    b"%s\\%s\0",
                    b"Setup\0",
                ];
                v.extend_from_slice(words[rng.below(words.len() as u64) as usize]);
            }
            15 => v.extend_from_slice(&[0xFF, 0x15, rng.byte(), rng.byte(), 0x40, 0x00]),
            16 => {
                v.extend_from_slice(&[0x74, rng.byte() & 0x3F, 0x85, 0xC0, 0x75, rng.byte() & 0x3F])
            }
            _ => {
                for _ in 0..rng.range(1, 6) {
                    v.push(rng.byte());
                }
            }
        }
    }
    v.truncate(len);
    v
}

pub fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "installer",
        "cabinet",
        "folder",
        "setup",
        "file",
        "window",
        "frame",
        "block",
        "offset",
        "match",
        "literal",
        "tree",
        "length",
        "Microsoft",
        "program",
        "version",
        "license",
        "copyright",
        "data",
        "value",
        "key",
        "=",
        "[Section]",
        "path",
        "C:\\Program Files",
    ];
    let mut v = Vec::with_capacity(len + 32);
    while v.len() < len {
        v.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
        v.push(match rng.below(12) {
            0 => b'\n',
            1 => b',',
            2 => b'.',
            _ => b' ',
        });
    }
    v.truncate(len);
    v
}

pub fn random(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.byte()).collect()
}

/// Segments of code, text, zeros, random bytes and repeats of earlier
/// data.
pub fn mix(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        let n = (rng.range(1, 30_000) as usize).min(len - v.len());
        let base = v.len();
        match rng.below(6) {
            0 | 1 => v.extend(x86(rng, n, base)),
            2 => v.extend(text(rng, n)),
            3 => v.extend(std::iter::repeat_n(0, n)),
            4 => v.extend(random(rng, n)),
            _ => {
                if v.is_empty() {
                    v.extend(random(rng, n));
                } else {
                    let from = rng.below(v.len() as u64) as usize;
                    let take = n.min(v.len() - from);
                    v.extend_from_within(from..from + take);
                }
            }
        }
    }
    v
}

/// An E8 operand (as the program holds it, before the compressor's
/// translation) on an edge of the translation for an E8 at `cur`.
pub fn edge_operand(rng: &mut Rng, cur: usize, size: u32) -> i32 {
    let c = cur as i32;
    let s = size as i32;
    let picks = [
        c.wrapping_neg(),                 // absolute target 0
        c.wrapping_neg().wrapping_sub(1), // just below the range
        c.wrapping_neg().wrapping_add(1),
        s.wrapping_sub(c).wrapping_sub(1), // absolute size - 1
        s.wrapping_sub(c),                 // absolute -cur after translation
        s.wrapping_sub(c).wrapping_add(1),
        s.wrapping_sub(1),
        s,
        s.wrapping_add(1),
        0,
        -1,
        1,
        i32::MIN,
        i32::MAX,
        rng.next() as i32,
    ];
    picks[rng.below(picks.len() as u64) as usize]
}

/// Plant E8 bytes with edge operands at the stream start, at frame starts,
/// at the last translated offset of frames, in their last 10 bytes, across
/// their ends, at the stream's end, and in runs of E8s.
pub fn plant_e8(rng: &mut Rng, data: &mut [u8], size: u32) {
    let len = data.len();
    let mut spots = vec![0usize, 1, len.saturating_sub(11), len.saturating_sub(6)];
    let frames = len / FRAME;
    for k in 1..=frames.min(6) {
        let k = if frames > 6 {
            rng.range(1, frames as u64) as usize
        } else {
            k
        };
        let b = k * FRAME;
        spots.extend([b, b + 1, b - 11, b - 10, b - 9, b - 5, b - 3, b - 1]);
    }
    for _ in 0..rng.range(0, 4) {
        spots.push(rng.below(len.max(1) as u64) as usize);
    }
    for &at in &spots {
        if at >= len {
            continue;
        }
        if rng.chance(150) {
            // A run of E8 bytes: which are opcodes depends on the skips.
            let n = rng.range(2, 9) as usize;
            for b in data.iter_mut().skip(at).take(n) {
                *b = 0xE8;
            }
            continue;
        }
        data[at] = 0xE8;
        let op = edge_operand(rng, at, size).to_le_bytes();
        for (k, b) in op.iter().enumerate() {
            if let Some(d) = data.get_mut(at + 1 + k) {
                *d = *b;
            }
        }
    }
}
