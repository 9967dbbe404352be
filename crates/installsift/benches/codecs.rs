//! Decoder throughput per codec, each beside 7-Zip's on the same stream.
//!
//! `cargo bench --bench codecs` (divan). Each stream is a file that holds
//! that codec only: our parser alone decodes every entry of it
//! (`installsift_formats::container::list`: no engine, nothing opened; each
//! entry's SHA-256 is taken, as the engine tells it to the parser, where
//! 7-Zip takes a CRC-32) and divan reports the time and the output bytes
//! per second (wall time: on a shared machine compare the lowest).
//! Before that, `7zz t` (decode and CRC-32 of every entry) runs on the same
//! file; its figures are printed first, as the median and lowest wall time
//! and the median CPU time (user + system of the child), with 7zz's
//! start-up (the same on a 1.5 KB cabinet) taken off for the MB/s, beside
//! the median CPU time of our parser alone on the file (this thread's CPU
//! clock, same number of runs) and the ratio of the two medians: CPU time
//! is what stays comparable when other jobs share the machine.
//!
//! | codec | stream |
//! |---|---|
//! | LZX | `engine32.cab`: the LZX:21 cabinet (Microsoft's compressor, E8 translation on, 1.8 MB out) cut out of `corpus/installshield/clam_IScab_int.exe`, written to `target/bench-codecs/` |
//! | MSZIP | `corpus/cab/large_mszip.cab` (`gcab -c -z`, one folder) |
//! | deflate | `corpus/zip/large_deflate.zip` |
//! | LZMA2 + BCJ | `corpus/7z/large_lzma2_bcj.7z` |
//! | bzip2 | `bzip2.7z`: `corpus/zip/large_deflate.zip`'s members packed by `7zz a -m0=BZip2` into `target/bench-codecs/` |
//!
//! Quantum is not here: no tool on this machine writes it, and the corpus
//! holds only 379 bytes of it (`cab_real/libmspack_mszip_lzx_qtm.cab`).
//! Needs `7zz` (apt-get install 7zip); it fails rather than skip.

use installsift::Limits;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus")
        .join(rel)
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-codecs");
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

/// The cabinet whose first folder is LZX inside the InstallShield sample,
/// as its own file (its declared size, `cbCabinet`).
fn engine32_cab() -> PathBuf {
    let exe = std::fs::read(corpus("installshield/clam_IScab_int.exe")).expect("sample");
    let le16 = |o: usize| u16::from_le_bytes([exe[o], exe[o + 1]]);
    let mut at = 0;
    let cab = loop {
        let i = at
            + exe[at..]
                .windows(8)
                .position(|w| w == b"MSCF\0\0\0\0")
                .expect("an LZX cabinet in the sample");
        if le16(i + 42) & 15 == 3 {
            let size = u32::from_le_bytes(exe[i + 8..i + 12].try_into().expect("4")) as usize;
            break &exe[i..i + size];
        }
        at = i + 1;
    };
    let p = out_dir().join("engine32.cab");
    std::fs::write(&p, cab).expect("write engine32.cab");
    p
}

/// `corpus/zip/large_deflate.zip`'s members repacked by 7-Zip as bzip2.
fn bzip2_7z() -> PathBuf {
    let d = out_dir();
    let p = d.join("bzip2.7z");
    if p.exists() {
        return p;
    }
    let tmp = d.join("bzip2-members");
    let _ = std::fs::remove_dir_all(&tmp);
    let ok = Command::new("7zz")
        .args(["x", "-bd", "-bso0", "-bsp0", "-y"])
        .arg(format!("-o{}", tmp.display()))
        .arg(corpus("zip/large_deflate.zip"))
        .status()
        .expect("7zz runs (apt-get install 7zip)")
        .success()
        && Command::new("7zz")
            .args(["a", "-bd", "-bso0", "-bsp0", "-m0=BZip2", "-mx=5"])
            .arg(&p)
            .arg(".")
            .current_dir(&tmp)
            .status()
            .expect("7zz runs")
            .success();
    assert!(ok, "7zz could not make {}", p.display());
    let _ = std::fs::remove_dir_all(&tmp);
    p
}

fn streams() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("lzx", engine32_cab()),
        ("mszip", corpus("cab/large_mszip.cab")),
        ("deflate", corpus("zip/large_deflate.zip")),
        ("lzma2_bcj", corpus("7z/large_lzma2_bcj.7z")),
        ("bzip2", bzip2_7z()),
    ]
}

/// Children's user + system CPU time so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage writes one `rusage` into the zeroed value given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Median and lowest wall time and median CPU time of `runs` runs of
/// `7zz t` on `file` (after one warm-up).
fn seven_zip(file: &Path, runs: usize) -> (f64, f64, f64) {
    let run = || {
        let cpu = children_cpu();
        let t = Instant::now();
        let ok = Command::new("7zz")
            .args(["t", "-bd", "-bso0", "-bsp0"])
            .arg(file)
            .status()
            .unwrap_or_else(|e| panic!("7zz: {e} (apt-get install 7zip)"))
            .success();
        assert!(ok, "7zz t {} failed", file.display());
        (
            t.elapsed().as_secs_f64(),
            (children_cpu() - cpu).as_secs_f64(),
        )
    };
    run();
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..runs).map(|_| run()).unzip();
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (wall[runs / 2], wall[0], cpu[runs / 2])
}

/// This thread's CPU time so far.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one `timespec` into the value given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Median CPU time of `runs` decodes of `data` by our parser alone (after
/// one warm-up).
fn ours_cpu(data: &[u8], runs: usize) -> f64 {
    decode_all(data);
    let mut cpu: Vec<f64> = (0..runs)
        .map(|_| {
            let t = thread_cpu();
            std::hint::black_box(decode_all(std::hint::black_box(data)));
            (thread_cpu() - t).as_secs_f64()
        })
        .collect();
    cpu.sort_by(f64::total_cmp);
    cpu[runs / 2]
}

/// Output bytes of every entry of `data`, decoded by our parser alone.
fn decode_all(data: &[u8]) -> usize {
    let handler = installsift::formats::sniff(data).expect("a known format");
    let l =
        installsift::formats::container::list(handler.open, data, &Limits::default(), usize::MAX);
    l.entries
        .iter()
        .map(|(_, _, listed)| match listed {
            installsift::formats::container::Listed::Decoded(Ok(b)) => b.len(),
            installsift::formats::container::Listed::Decoded(Err(e)) => panic!("decodes: {e}"),
            _ => 0,
        })
        .sum()
}

fn main() {
    const RUNS: usize = 15;
    let (start_up, _, start_cpu) = seven_zip(&corpus("cab_real/wix_signed_cab1.cab"), RUNS);
    println!(
        "7zz t, {RUNS} runs each; start-up (a 1.5 KB cabinet): {:.1} ms wall, {:.1} ms CPU",
        start_up * 1e3,
        start_cpu * 1e3
    );
    println!(
        "{:<10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>6} {:>6}",
        "codec",
        "in",
        "out",
        "7zz_ms",
        "7zz_min",
        "7zz_cpu",
        "our_cpu",
        "7zz_MB/s",
        "our_MB/s",
        "ratio",
        "r_net"
    );
    for (codec, path) in streams() {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let out = decode_all(&data);
        let (median, low, cpu) = seven_zip(&path, RUNS);
        let ours = ours_cpu(&data, RUNS);
        let net = (cpu - start_cpu).max(1e-6);
        println!(
            "{codec:<10} {:>9} {out:>9} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9.0} {:>9.0} {:>6.2} {:>6.2}",
            data.len(),
            median * 1e3,
            low * 1e3,
            cpu * 1e3,
            ours * 1e3,
            out as f64 / net / 1e6,
            out as f64 / ours / 1e6,
            ours / cpu,
            ours / net
        );
    }
    println!(
        "(CPU medians; 7zz_MB/s: output over 7zz's CPU time less its start-up; \
         ratio: our CPU / 7zz's, r_net: / 7zz's less its start-up)"
    );
    divan::main();
}

/// Our decoder on each stream: every entry decoded by the parser alone,
/// counted in output bytes.
#[divan::bench(args = ["lzx", "mszip", "deflate", "lzma2_bcj", "bzip2"])]
fn decode(bencher: divan::Bencher, codec: &str) {
    let path = streams()
        .into_iter()
        .find(|(c, _)| *c == codec)
        .map(|(_, p)| p)
        .expect("a stream");
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let out = decode_all(&data);
    bencher
        .counter(divan::counter::BytesCount::new(out))
        .bench(|| decode_all(divan::black_box(&data)));
}
