//! Writes LZX cabinets made by the test encoder (crates/cli/tests/lzxgen), with a
//! manifest of what each member must decode to, for scripts/diff_lzx.sh.
//! Dev tooling: never part of the library.
//!
//!     cargo run --release --example lzx_gen -- OUT_DIR SEED FIRST COUNT [MAX_LEN] [MODE]
//!
//! Writes cases FIRST..FIRST+COUNT of family SEED as OUT_DIR/c<N>.cab (1
//! to 6 streams each, one folder per stream, 1 to 3 files per folder) and
//! OUT_DIR/manifest.tsv: cab, member name, stream, size, sha256 of the
//! original bytes, sha256 installsift reports (or its error), then the
//! stream's window bits, E8 size, data kind and coverage counts.
//!
//! MODE `normal` (default); `e8neg`: E8 translation sizes of 2^31 and more
//! (where libmspack and 7-Zip differ; the original bytes are not expected);
//! `giant`: one stream of just over 1 GiB, E8 calls on both sides of the
//! 1 GiB point where translation stops.

#[allow(dead_code)]
#[path = "../tests/lzxgen/mod.rs"]
mod lzxgen;

use lzxgen::cab::{cabinet, File, Folder};
use lzxgen::cases::case;
use lzxgen::encoder::{encode, MAX_CHUNK};
use lzxgen::rng::Rng;
use sha2::{Digest, Sha256};
use std::io::Write;

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: lzx_gen OUT_DIR SEED FIRST COUNT [MAX_LEN] [normal|e8neg|giant]");
        std::process::exit(2);
    }
    let out = std::path::PathBuf::from(&args[1]);
    let seed: u64 = args[2].parse().expect("seed");
    let first: u64 = args[3].parse().expect("first");
    let count: u64 = args[4].parse().expect("count");
    let max_len: usize = args
        .get(5)
        .map_or(4_500_000, |s| s.parse().expect("max len"));
    let mode = args.get(6).map_or("normal", String::as_str);
    std::fs::create_dir_all(&out).expect("out dir");
    let mut manifest = std::fs::File::create(out.join("manifest.tsv")).expect("manifest");
    let mut rng = Rng::new(seed ^ first ^ 0xCAB);
    // Large and very compressible streams are the point here.
    let limits = installsift::Limits {
        max_entry_size: 2 << 30,
        max_total_unpacked: 64 << 30,
        max_ratio: u64::MAX,
        ..installsift::Limits::default()
    };
    let scanner = installsift::Scanner::new().with_limits(limits);
    let mut index = first;
    let mut cab_no = first;
    let end = if mode == "giant" {
        first + 1
    } else {
        first + count
    };
    while index < end {
        let streams = rng.range(1, 6).min(end - index);
        let mut folders = Vec::new();
        let mut files = Vec::new();
        let mut expect = Vec::new();
        for s in 0..streams {
            let c = match mode {
                "giant" => giant(seed),
                "e8neg" => {
                    let mut c = case(seed, index, max_len);
                    c.opts.e8 = Some(rng.range(1 << 31, u64::from(u32::MAX)) as u32);
                    lzxgen::data::plant_e8(&mut rng, &mut c.input, 0);
                    c
                }
                _ => case(seed, index, max_len),
            };
            index += 1;
            let stream = encode(&c.input, &c.opts);
            if let Some((f, _)) = stream.frames.iter().find(|(f, _)| f.len() > MAX_CHUNK) {
                panic!("case {}: a frame of {} bytes", index - 1, f.len());
            }
            let folder = folders.len() as u16;
            // 1 to 3 files over the stream (under 1 GiB each).
            let n = c.input.len();
            let mut cuts = vec![0, n];
            if mode == "giant" {
                cuts.push(n / 2);
            } else {
                for _ in 0..rng.below(3) {
                    cuts.push(rng.below(n as u64 + 1) as usize);
                }
            }
            cuts.sort_unstable();
            for (k, w) in cuts.windows(2).enumerate() {
                let name = format!("c{cab_no}_s{s}_f{k}.bin");
                files.push(File {
                    name: name.clone(),
                    folder,
                    offset: w[0] as u32,
                    size: (w[1] - w[0]) as u32,
                });
                let st = &stream.stats;
                let info = format!(
                    "case{}\tw{}\te8={}\t{}\tv{}a{}u{}\tempty{}\tspan{}\tlit{}\tm{}\tr{}/{}/{}\tlong{}\tmax{}\txf{}\tfar{}\tsetreps{}\tpadnext{}\te8x{}\tframes{}",
                    index - 1,
                    c.opts.window_bits,
                    c.opts.e8.map_or("off".to_owned(), |s| s.to_string()),
                    c.data,
                    st.blocks[0], st.blocks[1], st.blocks[2],
                    st.empty_blocks, st.spanning_blocks, st.literals, st.matches,
                    st.reps[0], st.reps[1], st.reps[2], st.long_matches, st.max_match,
                    st.cross_frame, st.farthest, st.set_reps, st.pad_next, st.e8_translated,
                    stream.frames.len()
                );
                let stream_id = format!("c{cab_no}_s{s}");
                expect.push((
                    name,
                    stream_id,
                    hex(&Sha256::digest(&c.input[w[0]..w[1]])),
                    w[1] - w[0],
                    info,
                ));
            }
            folders.push(Folder {
                window_bits: c.opts.window_bits,
                frames: stream.frames,
            });
        }
        let cab = cabinet(&folders, &files);
        let name = format!("c{cab_no}.cab");
        std::fs::write(out.join(&name), &cab).expect("write cab");
        let report = scanner.scan_bytes(&name, &cab);
        for (member, stream_id, sha, size, info) in expect {
            let ours = report
                .root
                .children
                .iter()
                .find(|c| c.info.path.last() == Some(&member))
                .map_or("<missing>".to_owned(), |c| {
                    match (&c.info.sha256, c.info.errors.first()) {
                        (Some(h), None) => h.to_string(),
                        (_, Some(e)) => format!("<error: {e}>"),
                        (None, None) => "<no hash>".to_owned(),
                    }
                });
            writeln!(
                manifest,
                "{name}\t{member}\t{stream_id}\t{size}\t{sha}\t{ours}\t{info}"
            )
            .expect("manifest");
        }
        cab_no += 1;
    }
}

/// Just over 1 GiB: a repeating block of code whose CALLs all go to the
/// same absolute targets (so that, translated, it repeats and compresses),
/// with E8 edge operands planted around the frame where translation stops.
fn giant(seed: u64) -> lzxgen::cases::Case {
    use lzxgen::encoder::{Options, FRAME};
    let size = 12_000_000u32;
    let len = (1usize << 30) + 3 * FRAME + 12_345;
    let mut rng = Rng::new(seed);
    let period = 4099usize;
    let pattern = lzxgen::data::x86(&mut rng, period, 0);
    let mut input = vec![0u8; len];
    for (i, b) in input.iter_mut().enumerate() {
        *b = pattern[i % period];
    }
    // Make every E8 operand (at E8 bytes the decoder will look at) point
    // at absolute address 0x1234 + its offset in the pattern.
    let mut i = 0;
    while i + 5 <= len {
        if input[i] == 0xE8 {
            let target = 0x1234 + (i % period) as i64;
            let rel = (target - i as i64) as i32;
            input[i + 1..i + 5].copy_from_slice(&rel.to_le_bytes());
            i += 5;
        } else {
            i += 1;
        }
    }
    // Edges around the last translated frame (32767) and the first
    // untranslated one.
    for at in [
        (1 << 30) - FRAME,
        (1 << 30) - 11,
        (1 << 30) - 6,
        (1 << 30) - 3,
        1 << 30,
        (1 << 30) + 1,
        (1 << 30) + FRAME - 11,
    ] {
        input[at] = 0xE8;
        let op = lzxgen::data::edge_operand(&mut rng, at, size).to_le_bytes();
        input[at + 1..at + 5].copy_from_slice(&op);
    }
    lzxgen::cases::Case {
        input,
        opts: Options {
            window_bits: 21,
            e8: Some(size),
            kinds: [3, 3, 1],
            block_size: (200_000, 3_000_000),
            chain: 2,
            quirks: false,
            seed,
            ..Options::default()
        },
        data: "giant",
    }
}
