//! Per-format parse, whole-scan and hashing throughput on real corpus
//! samples.
//! `cargo bench` (divan); figures go to the README's Performance section.

use installsift::{hash, HashSelection, Limits, Scanner};
use std::path::Path;

fn main() {
    divan::main();
}

fn sample(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const SAMPLES: &[&str] = &[
    "msi/dirs.msi",
    "pe/with_zip.exe",
    "zip/deflate.zip",
    "7z/lzma2.7z",
    "cab/mszip.cab",
    "nested/zip_7z_zip.zip",
    "nsis/large_lzma_solid.exe",
    "msi/large_mszip.msi",
    "zip/large_deflate.zip",
    "7z/large_lzma2_bcj.7z",
    "cab/large_mszip.cab",
    // A real LZX MSI (Google Gears: one LZX:21 cabinet, 24 files, 3.97 MB).
    "msi_real/gears-win32-opt.msi",
];

/// `scanner` over sample `rel`, counted in input bytes.
fn bench_scan(bencher: divan::Bencher, rel: &str, scanner: Scanner) {
    let data = sample(rel);
    bencher
        .counter(divan::counter::BytesCount::new(data.len()))
        .bench(|| scanner.scan_bytes(rel, divan::black_box(&data)));
}

/// Full recursive scan (unpack, classify, SHA-256 of every node) of one sample.
#[divan::bench(args = SAMPLES)]
fn scan(bencher: divan::Bencher, rel: &str) {
    bench_scan(bencher, rel, Scanner::new());
}

/// The sample's own format only: its parser lists and decodes the entries
/// one level down (each hashed), which are not opened (`max_depth` 1).
#[divan::bench(args = SAMPLES)]
fn parse(bencher: divan::Bencher, rel: &str) {
    let limits = Limits {
        max_depth: 1,
        ..Limits::default()
    };
    bench_scan(bencher, rel, Scanner::new().with_limits(limits));
}

/// The sample's own parser alone, without the engine
/// (`installsift_formats::container::list`): every entry pulled, decoded
/// entries read whole, nothing hashed or opened.
#[divan::bench(args = SAMPLES)]
fn parser_alone(bencher: divan::Bencher, rel: &str) {
    let data = sample(rel);
    let handler = installsift::formats::sniff(&data).expect("a known format");
    let limits = Limits::default();
    bencher.bench(|| {
        let l = installsift::formats::container::list(
            handler.open,
            divan::black_box(&data),
            &limits,
            usize::MAX,
        );
        divan::black_box(l.entries.len())
    });
}

/// Full scan with entries hashed on a second thread
/// (`Scanner::with_hash_thread`, what the CLI does for a single file).
#[divan::bench(args = SAMPLES)]
fn scan_hash_thread(bencher: divan::Bencher, rel: &str) {
    bench_scan(bencher, rel, Scanner::new().with_hash_thread(true));
}

/// The real LZX:21 cabinet (Microsoft's compressor, E8 translation on)
/// inside the InstallShield sample: (window bits, CFDATA frames).
fn engine32_frames(exe: &[u8]) -> (u8, Vec<(&[u8], usize)>) {
    let le16 = |d: &[u8], o: usize| usize::from(u16::from_le_bytes([d[o], d[o + 1]]));
    let le32 =
        |d: &[u8], o: usize| u32::from_le_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]) as usize;
    let mut at = 0;
    loop {
        let i = at
            + exe[at..]
                .windows(8)
                .position(|w| w == b"MSCF\0\0\0\0")
                .expect("a cabinet");
        let d = &exe[i..];
        if le16(d, 42) & 15 == 3 {
            let mut p = le32(d, 36);
            let frames = (0..le16(d, 40))
                .map(|_| {
                    let (cb, ucb) = (le16(d, p + 4), le16(d, p + 6));
                    p += 8 + cb;
                    (&d[p - cb..p], ucb)
                })
                .collect();
            return ((le16(d, 42) >> 8) as u8 & 31, frames);
        }
        at = i + 1;
    }
}

/// The LZX decoder alone on `engine32.cab` (1.8 MB out), counted in output
/// bytes. bench/lzx.sh compares it with lzxd and 7zz.
#[divan::bench]
fn lzx_decode(bencher: divan::Bencher) {
    let exe = sample("installshield/clam_IScab_int.exe");
    let (bits, frames) = engine32_frames(&exe);
    let total: usize = frames.iter().map(|f| f.1).sum();
    bencher
        .counter(divan::counter::BytesCount::new(total))
        .bench(|| {
            let mut n = 0;
            installsift::formats::fuzzing::decode_lzx(bits, divan::black_box(&frames), |b| {
                n += b.len()
            })
            .expect("decodes");
            n
        });
}

/// Hash throughput on 16 MiB, per selection.
#[divan::bench(args = ["sha256", "sha256,sha1", "sha256,sha1,md5"])]
fn hashing(bencher: divan::Bencher, list: &str) {
    let sel = HashSelection::parse_list(list).unwrap_or_default();
    let data: Vec<u8> = (0..16u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    bencher
        .counter(divan::counter::BytesCount::new(data.len()))
        .bench(|| hash::hash_bytes(sel, divan::black_box(&data)));
}
