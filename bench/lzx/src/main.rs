//! LZX decoding speed: installsift's decoder against lzxd 0.2.7 on every
//! LZX folder of the cabinets given, each CFDATA block decoded as cab.rs
//! does (one frame at a time into a reused buffer). Also writes the inputs.
//!
//!     lzx-bench make OUT_DIR        engine32x8.cab and payload.cab
//!     lzx-bench time RUNS FILE...   interleaved runs; median and best MB/s
//!     lzx-bench ours RUNS FILE...   our decoder alone, RUNS times (for perf stat)
//!
//! engine32x8.cab: the real LZX:21 cabinet (Microsoft's compressor, E8 size
//! 12,000,000) inside corpus/installshield/clam_IScab_int.exe, its one
//! folder repeated as 8 folders (14.4 MB out). payload.cab: the 40 MB
//! bench payload of bench/make_inputs.sh (shared libraries) packed by our
//! test encoder (crates/cli/tests/lzxgen; LZX:21, E8 size 12,000,000), when present.

#[allow(dead_code)]
#[path = "../../../crates/cli/tests/lzxgen/mod.rs"]
mod lzxgen;

use std::path::Path;
use std::time::Instant;

fn u16_at(d: &[u8], o: usize) -> usize {
    usize::from(u16::from_le_bytes([d[o], d[o + 1]]))
}
fn u32_at(d: &[u8], o: usize) -> usize {
    u32::from_le_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]) as usize
}

/// An LZX folder: window bits and (data, uncompressed size) frames.
type LzxFolder<'a> = (u8, Vec<(&'a [u8], usize)>);

/// Each LZX folder of cabinet `d`.
fn folders(d: &[u8]) -> Vec<LzxFolder<'_>> {
    let mut out = Vec::new();
    // Reserve fields (flag 4): per-cabinet, per-folder and per-CFDATA bytes.
    let (mut first, mut folder_extra, mut data_extra) = (36, 0, 0);
    if u16_at(d, 30) & 4 != 0 {
        first = 40 + u16_at(d, 36);
        (folder_extra, data_extra) = (usize::from(d[38]), usize::from(d[39]));
    }
    for k in 0..u16_at(d, 26) {
        let at = first + (8 + folder_extra) * k;
        let (mut p, n, t) = (u32_at(d, at), u16_at(d, at + 4), u16_at(d, at + 6));
        if t & 15 != 3 {
            continue;
        }
        let mut frames = Vec::new();
        for _ in 0..n {
            let (cb, ucb) = (u16_at(d, p + 4), u16_at(d, p + 6));
            let data = p + 8 + data_extra;
            frames.push((&d[data..data + cb], ucb));
            p = data + cb;
        }
        out.push((((t >> 8) & 31) as u8, frames));
    }
    out
}

fn ours(bits: u8, frames: &[(&[u8], usize)], sink: &mut u64) {
    installsift_formats::fuzzing::decode_lzx(bits, frames, |b| {
        *sink += b.len() as u64 + u64::from(b[b.len() / 2])
    })
    .expect("installsift decodes");
}

fn lzxd(bits: u8, frames: &[(&[u8], usize)], sink: &mut u64) {
    use lzxd::WindowSize as W;
    let ws = match bits {
        15 => W::KB32,
        16 => W::KB64,
        17 => W::KB128,
        18 => W::KB256,
        19 => W::KB512,
        20 => W::MB1,
        _ => W::MB2,
    };
    let mut l = lzxd::Lzxd::new(ws);
    for &(input, len) in frames {
        let b = l.decompress_next(input, len).expect("lzxd decodes");
        *sink += b.len() as u64 + u64::from(b[b.len() / 2]);
    }
}

/// The cabinet `d` with its one LZX folder repeated `n` times, as folders
/// of their own (rewritten by the test encoder's cabinet writer).
fn repeat_folder(d: &[u8], n: usize) -> Vec<u8> {
    let (bits, frames) = folders(d).swap_remove(0);
    let mut files = Vec::new();
    let mut p = u32_at(d, 16);
    for _ in 0..u16_at(d, 28) {
        let end = p + 16 + d[p + 16..].iter().position(|&b| b == 0).expect("name");
        let name = String::from_utf8_lossy(&d[p + 16..end]).into_owned();
        files.push((name, u32_at(d, p + 4) as u32, u32_at(d, p) as u32));
        p = end + 1;
    }
    let folders: Vec<lzxgen::cab::Folder> = (0..n)
        .map(|_| lzxgen::cab::Folder {
            window_bits: bits,
            frames: frames.iter().map(|&(f, len)| (f.to_vec(), len)).collect(),
        })
        .collect();
    let files: Vec<lzxgen::cab::File> = (0..n)
        .flat_map(|k| {
            files
                .iter()
                .map(move |(name, offset, size)| lzxgen::cab::File {
                    name: format!("f{k}_{name}"),
                    folder: k as u16,
                    offset: *offset,
                    size: *size,
                })
        })
        .collect();
    lzxgen::cab::cabinet(&folders, &files)
}

fn make(out: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let exe = std::fs::read(root.join("corpus/installshield/clam_IScab_int.exe")).expect("sample");
    // engine32.cab: the MSCF whose folder is LZX.
    let mut at = 0;
    let cab = loop {
        let i = at
            + exe[at..]
                .windows(8)
                .position(|w| w == b"MSCF\0\0\0\0")
                .expect("MSCF");
        let d = &exe[i..];
        if u16_at(d, 42) & 15 == 3 {
            break &d[..u32_at(d, 8)];
        }
        at = i + 1;
    };
    std::fs::create_dir_all(out).expect("out dir");
    std::fs::write(out.join("engine32.cab"), cab).expect("write");
    std::fs::write(out.join("engine32x8.cab"), repeat_folder(cab, 8)).expect("write");
    eprintln!("wrote engine32.cab, engine32x8.cab");
    let payload = root.join("target/bench-inputs/payload");
    if let Ok(dir) = std::fs::read_dir(&payload) {
        let mut names: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        names.sort();
        let mut data = Vec::new();
        let mut files = Vec::new();
        for p in names {
            let b = std::fs::read(&p).expect("payload file");
            files.push(lzxgen::cab::File {
                name: p.file_name().expect("name").to_string_lossy().into_owned(),
                folder: 0,
                offset: data.len() as u32,
                size: b.len() as u32,
            });
            data.extend_from_slice(&b);
        }
        let opts = lzxgen::encoder::Options {
            window_bits: 21,
            e8: Some(12_000_000),
            kinds: [1, 3, 0],
            block_size: (32_768, 200_000),
            chain: 32,
            ..Default::default()
        };
        let s = lzxgen::encoder::encode(&data, &opts);
        let folders = [lzxgen::cab::Folder {
            window_bits: 21,
            frames: s.frames,
        }];
        std::fs::write(
            out.join("payload.cab"),
            lzxgen::cab::cabinet(&folders, &files),
        )
        .expect("write");
        eprintln!("wrote payload.cab ({} bytes out)", data.len());
    }
}

fn time(runs: usize, file: &Path) {
    let d = std::fs::read(file).expect("read cab");
    let fs = folders(&d);
    let total: usize = fs
        .iter()
        .map(|f| f.1.iter().map(|x| x.1).sum::<usize>())
        .sum();
    let (mut a, mut b) = (0u64, 0u64);
    ours(fs[0].0, &fs[0].1, &mut a);
    lzxd(fs[0].0, &fs[0].1, &mut b);
    let (mut t_ours, mut t_lzxd) = (Vec::new(), Vec::new());
    let mut sink = 0u64;
    for _ in 0..runs {
        let t = Instant::now();
        for (bits, frames) in &fs {
            ours(*bits, frames, &mut sink);
        }
        t_ours.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for (bits, frames) in &fs {
            lzxd(*bits, frames, &mut sink);
        }
        t_lzxd.push(t.elapsed().as_secs_f64());
    }
    let mb = total as f64 / 1e6;
    for (name, mut t) in [("installsift", t_ours), ("lzxd 0.2.7", t_lzxd)] {
        t.sort_by(f64::total_cmp);
        println!(
            "{}\t{name}\t{total} bytes\tmedian {:.1} ms = {:.0} MB/s\tbest {:.1} ms = {:.0} MB/s",
            file.file_name().expect("name").to_string_lossy(),
            t[t.len() / 2] * 1e3,
            mb / t[t.len() / 2],
            t[0] * 1e3,
            mb / t[0]
        );
    }
    std::hint::black_box(sink);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("make") => make(Path::new(&args[2])),
        Some("ours") => {
            // Our decoder alone, RUNS times over each file (for `perf stat`
            // or `perf record`: CPU time is steadier than wall time on a
            // shared machine).
            let runs: usize = args[2].parse().expect("runs");
            let mut sink = 0u64;
            for f in &args[3..] {
                let d = std::fs::read(f).expect("read cab");
                let fs = folders(&d);
                for _ in 0..runs {
                    for (bits, frames) in &fs {
                        ours(*bits, frames, &mut sink);
                    }
                }
            }
            std::hint::black_box(sink);
        }
        Some("time") => {
            let runs: usize = args[2].parse().expect("runs");
            for f in &args[3..] {
                time(runs, Path::new(f));
            }
        }
        _ => {
            eprintln!("usage: lzx-bench make OUT_DIR | lzx-bench time RUNS FILE... | lzx-bench ours RUNS FILE...");
            std::process::exit(2);
        }
    }
}
