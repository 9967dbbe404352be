//! Writes the LZX cabinets of corpus/cab/ (lzx_*.cab) with the test
//! encoder (crates/cli/tests/lzxgen): no LZX compressor is packaged for Debian. Dev
//! tooling, never part of the library; corpus/build.sh runs it.
//!
//!     cargo run --release --example lzx_corpus -- corpus/cab
//!
//! Every choice is seeded: two runs write the same bytes. Prints what each
//! stream contains (the encoder's counts).

#[allow(dead_code)]
#[path = "../tests/lzxgen/mod.rs"]
mod lzxgen;

use lzxgen::cab::{cabinet, File, Folder};
use lzxgen::data::{edge_operand, text, x86};
use lzxgen::encoder::{encode, Options, Stats, FRAME};
use lzxgen::rng::Rng;

fn main() {
    let out = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: lzx_corpus OUT_DIR"));
    std::fs::create_dir_all(&out).expect("out dir");
    for (name, folders, files) in [e8(), blocks(), two_folders(), far_match()] {
        std::fs::write(out.join(name), cabinet(&folders, &files)).expect("write");
    }
}

fn show(name: &str, s: &Stats) {
    eprintln!(
        "{name}: blocks v/a/u {:?} ({} empty, {} spanning frames), {} literals, {} matches \
         (reps {:?}, {} of 9+ bytes, longest {}, {} at window - 3), {} set reps, {} pads in the \
         next frame, {} E8 operands translated",
        s.blocks,
        s.empty_blocks,
        s.spanning_blocks,
        s.literals,
        s.matches,
        s.reps,
        s.long_matches,
        s.max_match,
        s.farthest,
        s.set_reps,
        s.pad_next,
        s.e8_translated
    );
}

fn file(name: &str, folder: u16, offset: usize, size: usize) -> File {
    File {
        name: name.to_owned(),
        folder,
        offset: offset as u32,
        size: size as u32,
    }
}

/// Code whose CALLs go to a few absolute targets (so that, translated, it
/// repeats), with E8 operands on the edges of the translation planted at
/// the stream's start, on frame boundaries, in frames' last 10 bytes,
/// across frame ends and at the stream's end; several point at absolute
/// address 0 (where lzxd went wrong).
fn e8() -> (&'static str, Vec<Folder>, Vec<File>) {
    let size = 40_000u32;
    let mut rng = Rng::new(0xE8);
    let pattern = x86(&mut rng, 2000, 0);
    let len = 2 * FRAME + 5000;
    let mut data: Vec<u8> = (0..len).map(|i| pattern[i % pattern.len()]).collect();
    let mut i = 0;
    while i + 5 <= len {
        if data[i] == 0xE8 {
            let target = 0x900 + (i % pattern.len()) as i64;
            data[i + 1..i + 5].copy_from_slice(&((target - i as i64) as i32).to_le_bytes());
            i += 5;
        } else {
            i += 1;
        }
    }
    let mut spots = vec![0, 7, len - 11, len - 10, len - 5, len - 1];
    for b in [FRAME, 2 * FRAME] {
        spots.extend([b - 11, b - 10, b - 6, b - 3, b - 1, b, b + 1]);
    }
    for (k, &at) in spots.iter().enumerate() {
        data[at] = 0xE8;
        // Every third one calls absolute 0: operand -cur.
        let op = if k % 3 == 0 {
            -(at as i32)
        } else {
            edge_operand(&mut rng, at, size)
        };
        for (j, b) in op.to_le_bytes().iter().enumerate() {
            if let Some(d) = data.get_mut(at + 1 + j) {
                *d = *b;
            }
        }
    }
    let opts = Options {
        window_bits: 16,
        e8: Some(size),
        kinds: [1, 1, 0],
        block_size: (20_000, 50_000),
        chain: 16,
        quirks: false,
        seed: 1,
        ..Options::default()
    };
    let s = encode(&data, &opts);
    show("lzx_e8.cab", &s.stats);
    let cut = 40_000;
    (
        "lzx_e8.cab",
        vec![Folder {
            window_bits: 16,
            frames: s.frames,
        }],
        vec![
            file("code1.bin", 0, 0, cut),
            file("code2.bin", 0, cut, len - cut),
        ],
    )
}

/// Every block kind, as a plan: verbatim, an empty aligned block, an odd
/// uncompressed block, an aligned block across the frame boundary, an odd
/// uncompressed block ending on the second frame boundary with its padding
/// byte in the third frame's data, an empty verbatim block, then drawn
/// blocks. Text made of copies of a few kilobytes, and 600 zeros (257-byte
/// matches). The seed is the first whose stream also sets repeated offsets
/// in an uncompressed block and uses all three.
fn blocks() -> (&'static str, Vec<Folder>, Vec<File>) {
    use lzxgen::encoder::Kind::{Aligned, Uncompressed, Verbatim};
    let len = 2 * FRAME + 3000;
    for seed in 0u64.. {
        let mut rng = Rng::new(seed);
        let base = text(&mut rng, 3000);
        let mut data = base.clone();
        while data.len() < len {
            let from = rng.below(base.len() as u64 - 100) as usize;
            let n = rng.range(20, 100) as usize;
            data.extend_from_slice(&base[from..from + n]);
            data.push(rng.byte());
        }
        data.truncate(len);
        data[30_000..30_600].fill(0);
        let opts = Options {
            window_bits: 17,
            e8: None,
            kinds: [2, 2, 1],
            block_size: (300, 2000),
            chain: 16,
            quirks: true,
            seed,
            plan: vec![
                (Verbatim, 1000),
                (Aligned, 0),
                (Uncompressed, 1001),
                (Aligned, 62_000),
                (Uncompressed, 2 * FRAME - 64_001),
                (Verbatim, 0),
            ],
            pad_next: Some(true),
        };
        let s = encode(&data, &opts);
        let st = &s.stats;
        if st.set_reps > 0 && st.reps.iter().all(|&r| r > 0) && st.max_match == 257 {
            eprintln!("lzx_blocks.cab: seed {seed}");
            show("lzx_blocks.cab", st);
            return (
                "lzx_blocks.cab",
                vec![Folder {
                    window_bits: 17,
                    frames: s.frames,
                }],
                vec![file("blocks.txt", 0, 0, len)],
            );
        }
    }
    unreachable!("some seed fits")
}

/// Two folders: window 2^21 with the E8 header bit set and a size of 0
/// (no translation), holding an empty file and a file that spans frames;
/// window 2^15 with the size 12,000,000 (what Microsoft's compressor
/// writes) over code.
fn two_folders() -> (&'static str, Vec<Folder>, Vec<File>) {
    let mut rng = Rng::new(21);
    let a = text(&mut rng, FRAME + 4321);
    let b = x86(&mut rng, 9000, 0);
    let sa = encode(
        &a,
        &Options {
            window_bits: 21,
            e8: Some(0),
            kinds: [1, 1, 0],
            block_size: (50_000, 50_000),
            chain: 16,
            quirks: false,
            seed: 2,
            ..Options::default()
        },
    );
    let sb = encode(
        &b,
        &Options {
            window_bits: 15,
            e8: Some(12_000_000),
            kinds: [1, 0, 0],
            block_size: (50_000, 50_000),
            chain: 16,
            quirks: false,
            seed: 3,
            ..Options::default()
        },
    );
    show("lzx_two_folders.cab (21)", &sa.stats);
    show("lzx_two_folders.cab (15)", &sb.stats);
    (
        "lzx_two_folders.cab",
        vec![
            Folder {
                window_bits: 21,
                frames: sa.frames,
            },
            Folder {
                window_bits: 15,
                frames: sb.frames,
            },
        ],
        vec![
            file("text\\empty.txt", 0, 0, 0),
            file("text\\words.txt", 0, 0, 30_000),
            file("text\\more.txt", 0, 30_000, a.len() - 30_000),
            file("code.bin", 1, 0, b.len()),
        ],
    )
}

/// A 2^15 window past its first fill, with a 100-byte match at distance
/// 32765, the largest there is (window - 3). cabextract and installsift
/// write the original; 7-Zip 26.02 gets the match's fifth byte wrong.
fn far_match() -> (&'static str, Vec<Folder>, Vec<File>) {
    let mut rng = Rng::new(3);
    let mut data = text(&mut rng, FRAME + 2000);
    for b in data.iter_mut().take(100) {
        *b = rng.byte();
    }
    let far = FRAME - 3;
    let (head, tail) = data.split_at_mut(far);
    tail[..100].copy_from_slice(&head[..100]);
    let s = encode(
        &data,
        &Options {
            window_bits: 15,
            e8: None,
            kinds: [1, 0, 0],
            block_size: (100_000, 100_000),
            chain: 64,
            quirks: false,
            seed: 5,
            ..Options::default()
        },
    );
    assert!(s.stats.farthest > 0, "the far match is found");
    show("lzx_far_match.cab", &s.stats);
    (
        "lzx_far_match.cab",
        vec![Folder {
            window_bits: 15,
            frames: s.frames,
        }],
        vec![file("far.txt", 0, 0, data.len())],
    )
}
