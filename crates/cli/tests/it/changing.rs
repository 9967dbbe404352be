//! Files that change while `installsift scan` reads them (issue 16): the
//! process never dies of it, every file still gets its record, and a file
//! that changed says so. The library's deterministic test truncates the
//! input from inside the scan (`scan::tests`); this one does what another
//! process does, at whatever moment the scan has reached.

use crate::util::corpus;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

/// `installsift scan` of `input`, with `victim` cut to 4 KiB `delay` ms
/// after the start: the process must end by itself (no signal); its
/// standard output.
fn scan_truncating(input: &std::path::Path, victim: &std::path::Path, delay: u64) -> String {
    let child = Command::new(env!("CARGO_BIN_EXE_installsift"))
        .args(["scan", "--format", "jsonl"])
        .arg(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    std::thread::sleep(Duration::from_millis(delay));
    std::fs::OpenOptions::new()
        .write(true)
        .open(victim)
        .and_then(|f| f.set_len(4096))
        .expect("truncate");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.code().is_some(),
        "killed by a signal after {delay} ms: {:?}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_directory_scan_survives_a_file_truncated_under_it() {
    let dir = std::env::temp_dir().join(format!("installsift-changing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let zip = std::fs::read(corpus().join("zip/deflate.zip")).expect("sample");
    for name in ["a.zip", "c.zip"] {
        std::fs::write(dir.join(name), &zip).expect("write");
    }
    // 48 MiB, over the 8 MiB up to which the CLI reads files instead of
    // mapping them: the file the other "process" below truncates.
    let big = dir.join("b.bin");
    let mut f = std::fs::File::create(&big).expect("create");
    let block: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    for _ in 0..48 {
        f.write_all(&block).expect("write");
    }
    drop(f);
    for delay in [0u64, 20, 80] {
        let text = scan_truncating(&dir, &big, delay);
        for name in ["a.zip", "b.bin", "c.zip"] {
            assert!(
                text.lines().any(|l| l.contains(&format!("{name}\"]"))),
                "no record for {name} (truncated after {delay} ms):\\n{text}"
            );
        }
        // Restore the file for the next round.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&big)
            .expect("open");
        f.set_len(0).expect("empty");
        for _ in 0..48 {
            f.write_all(&block).expect("write");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One file scanned alone has its hashes computed on a second thread
/// beside the scan (and a cabinet's folders decoded ahead on another):
/// truncated under those threads, whenever that happens, the process still
/// ends normally with the file's record (whether the scan saw the change
/// depends on when it came; the library's test checks the error).
#[test]
fn a_single_file_truncated_under_its_hashing_thread() {
    let dir = std::env::temp_dir().join(format!("installsift-changing1-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    // 48 MiB: mapped (over 8 MiB), hashed beside the scan (under 64 MiB).
    let big = dir.join("b.bin");
    let block: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let fill = |f: &mut std::fs::File| {
        for _ in 0..48 {
            f.write_all(&block).expect("write");
        }
    };
    fill(&mut std::fs::File::create(&big).expect("create"));
    for delay in [0u64, 5, 20, 80] {
        let text = scan_truncating(&big, &big, delay);
        assert!(
            text.lines().any(|l| l.contains("b.bin\"]")),
            "no record (truncated after {delay} ms):\n{text}"
        );
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&big)
            .expect("open");
        fill(&mut f);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
