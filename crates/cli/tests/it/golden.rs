//! Golden test: every corpus sample is scanned and its JSONL report compared
//! with `crates/cli/tests/expected/<sample>.jsonl`. `UPDATE_EXPECT=1 cargo test` rewrites
//! them; review the diff before committing.

use crate::util::{corpus, samples};
use installsift::{HashSelection, Scanner};
use std::path::Path;

fn jsonl(rel: &str) -> String {
    let data = std::fs::read(corpus().join(rel)).expect("read sample");
    let report = Scanner::new()
        .with_hashes(HashSelection::ALL)
        .scan_bytes(rel, &data);
    // The library's own JSONL renderer, the one `scan --format jsonl` uses.
    let bytes =
        installsift::render::render(&report, installsift::render::Format::Jsonl).expect("render");
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn corpus_matches_expected_reports() {
    let expected_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected");
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let samples = samples();
    assert!(
        samples.len() >= 20,
        "corpus looks empty: {} samples",
        samples.len()
    );
    let mut failures = Vec::new();
    for rel in &samples {
        let got = jsonl(rel);
        let path = expected_dir.join(format!("{rel}.jsonl"));
        if update {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &got).expect("write expected");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => {
                let line = want
                    .lines()
                    .zip(got.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                failures.push(format!(
                    "{rel}: differs from {} at line {}\n  want: {}\n  got:  {}",
                    path.display(),
                    line + 1,
                    want.lines().nth(line).unwrap_or("<none>"),
                    got.lines().nth(line).unwrap_or("<none>")
                ));
            }
            Err(_) => failures.push(format!(
                "{rel}: no {} (run UPDATE_EXPECT=1 cargo test)",
                path.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} samples differ:\n{}",
        failures.len(),
        samples.len(),
        failures.join("\n")
    );
}

#[test]
fn every_sample_scans_without_panic_and_hashes_every_readable_node() {
    for rel in samples() {
        let report = Scanner::new()
            .scan_path(&corpus().join(&rel))
            .expect("readable");
        assert_eq!(report.stats.panics, 0, "{rel}: parser panic");
        report.root.walk(&mut |n| {
            if n.info.errors.is_empty() {
                let h = n
                    .info
                    .sha256
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| panic!("{rel}: node {:?} has no hash", n.info.path));
                assert!(
                    h.len() == 64
                        && h.bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                );
            }
        });
    }
}

/// Hashing on a second thread ([`Scanner::with_hash_thread`]) changes
/// nothing in the report: checked on every sample over 256 KB, all hashes
/// asked for (the thread starts for entries of 4 MiB and more; see the next
/// test for one that has them).
#[test]
fn hash_thread_gives_the_same_reports() {
    let mut checked = 0;
    for rel in samples() {
        let data = std::fs::read(corpus().join(&rel)).expect("read sample");
        if data.len() < 256 * 1024 {
            continue;
        }
        let scan = |on: bool| {
            let report = Scanner::new()
                .with_hashes(HashSelection::ALL)
                .with_hash_thread(on)
                .scan_bytes(&rel, &data);
            serde_json::to_string(&report).expect("serialize")
        };
        assert_eq!(scan(true), scan(false), "{rel}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} large samples");
}

/// An entry big enough for the hashing thread (4 MiB and more), in a zip
/// written by the zip crate: same report with and without the thread, and
/// the hashes are those of the entry's bytes.
#[test]
fn hash_thread_hashes_big_entries_like_this_thread() {
    use std::io::Write;
    let big: Vec<u8> = (0..(9u32 << 20) + 12_345)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 19) as u8)
        .collect();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, method) in [
        ("stored.bin", zip::CompressionMethod::Stored),
        ("deflated.bin", zip::CompressionMethod::Deflated),
    ] {
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(name, opts).expect("start entry");
        w.write_all(&big).expect("write entry");
    }
    let data = w.finish().expect("finish zip").into_inner();
    let scan = |on: bool| {
        Scanner::new()
            .with_hashes(HashSelection::ALL)
            .with_hash_thread(on)
            .scan_bytes("big.zip", &data)
    };
    let (on, off) = (scan(true), scan(false));
    assert_eq!(
        serde_json::to_string(&on).expect("serialize"),
        serde_json::to_string(&off).expect("serialize")
    );
    let want = installsift::hash::hash_bytes(HashSelection::ALL, &big);
    assert_eq!(on.root.children.len(), 2);
    for c in &on.root.children {
        assert_eq!(c.info.size, big.len() as u64);
        assert_eq!(c.info.sha256, Some(want.sha256));
        assert_eq!(c.info.sha1, want.sha1);
        assert_eq!(c.info.md5, want.md5);
    }
}
