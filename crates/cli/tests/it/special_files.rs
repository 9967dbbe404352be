//! Special files (issue 16, point 2): a FIFO, socket, device, `/proc` or
//! `/sys` file, dangling symlink and unreadable file, named on the command
//! line and met in a directory walk. Every run is spawned with a deadline and
//! killed (and the test failed) if it does not answer: before, a named FIFO
//! hung the scan forever and a `/proc` file was hashed as empty.

#![cfg(target_os = "linux")]

use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longer than any answer takes (tens of ms), shorter than a hang.
const DEADLINE: Duration = Duration::from_secs(5);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run the CLI with `args`, as user `nobody` when `as_nobody` (and this test
/// runs as root), killing it and failing if it has not exited by
/// [`DEADLINE`].
fn run_as(args: &[&str], paths: &[&Path], as_nobody: bool) -> Run {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let mut cmd = if as_nobody && running_as_root() {
        // util-linux's setpriv (Debian: util-linux, essential).
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(args).args(paths);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn installsift (or setpriv, Debian package util-linux)");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).map(|_| s)
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("installsift {args:?} {paths:?} did not answer within {DEADLINE:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        stdout: out_t.join().expect("join").expect("stdout utf-8"),
        stderr: err_t.join().expect("join").expect("stderr utf-8"),
    }
}

fn run(args: &[&str], paths: &[&Path]) -> Run {
    run_as(args, paths, false)
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid()).ok() == Some(0)
}

/// A fresh directory under the system's temporary directory (readable by
/// everyone, for the runs as `nobody`).
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("installsift-special-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("mkfifo (Debian package coreutils)")
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn jsonl(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// The input paths of the depth-0 node records, in output order.
fn inputs(text: &str) -> Vec<String> {
    jsonl(text)
        .iter()
        .filter(|v| v["depth"] == 0 && v.get("input_error").is_none())
        .map(|v| v["path"][0].as_str().expect("path").to_owned())
        .collect()
}

#[test]
fn named_special_files_are_refused_at_once_without_being_opened() {
    let d = scratch("named");
    let fifo = d.join("fifo");
    mkfifo(&fifo);
    let sock = d.join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).expect("bind a socket");
    let dangling = d.join("dangling");
    symlink("nowhere", &dangling).expect("symlink");
    let looped = d.join("loop");
    symlink("loop", &looped).expect("symlink");
    let cases: [(&Path, &str); 6] = [
        (&fifo, "a FIFO (named pipe), not a regular file: not opened"),
        (&sock, "a socket, not a regular file: not opened"),
        (
            Path::new("/dev/zero"),
            "a character device, not a regular file: not opened",
        ),
        (
            Path::new("/dev/null"),
            "a character device, not a regular file: not opened",
        ),
        (
            &dangling,
            "a symbolic link to \"nowhere\" whose target cannot be reached (dangling)",
        ),
        (
            &looped,
            "a symbolic link to \"loop\" whose target cannot be reached (dangling)",
        ),
    ];
    for (path, why) in cases {
        for format in ["jsonl", "text"] {
            let r = run(&["scan", "-f", format], &[path]);
            assert_eq!(r.code, Some(1), "{path:?} ({format}): {}", r.stderr);
            if format == "text" {
                assert_eq!(r.stdout, "", "{path:?}: no node for what was not scanned");
            } else {
                // One record for the input, saying why (issue 21: a
                // consumer of the JSONL sees every input).
                let records = jsonl(&r.stdout);
                assert_eq!(records.len(), 1, "{path:?}: {}", r.stdout);
                let e = &records[0]["input_error"];
                assert_eq!(records[0]["path"][0], *path.to_string_lossy());
                assert_eq!(records[0]["depth"], 0);
                assert!(
                    matches!(e["kind"].as_str(), Some("unsupported" | "io")),
                    "{e}"
                );
                assert!(
                    e["message"].as_str().is_some_and(|m| m.contains(why)),
                    "{e}"
                );
            }
            let line = format!("installsift: {}", path.display());
            assert!(
                r.stderr.lines().any(|l| l.starts_with("installsift: ")
                    && l.contains(&*path.to_string_lossy())
                    && l.contains(why)),
                "{path:?}: want `{line}…{why}` in:\n{}",
                r.stderr
            );
            if format == "text" {
                assert!(r.stderr.ends_with(", 1 unreadable\n"), "{}", r.stderr);
            }
        }
    }
    // The other inputs are still scanned; the FIFO is answered in turn.
    let a = d.join("a.txt");
    std::fs::write(&a, b"hello").expect("write");
    let r = run(&["scan", "-f", "jsonl", "-j", "2"], &[&fifo, &a, &sock]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(inputs(&r.stdout), [a.to_string_lossy()]);
    let refused: Vec<_> = jsonl(&r.stdout)
        .into_iter()
        .filter(|v| v.get("input_error").is_some())
        .map(|v| v["path"][0].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(refused, [fifo.to_string_lossy(), sock.to_string_lossy()]);
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    // `extract` and `export` open inputs the same way.
    let out = d.join("out");
    let r = run(&["extract", "-o", &out.to_string_lossy()], &[&fifo, &a]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("a FIFO (named pipe)"), "{}", r.stderr);
    assert_eq!(jsonl(&r.stdout).len(), 1, "{}", r.stdout);
    let r = run(&["export", "--to", "sha256sum"], &[&fifo, &a]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("a FIFO (named pipe)"), "{}", r.stderr);
    assert!(r.stdout.starts_with(&sha256_hex(b"hello")), "{}", r.stdout);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn named_symlinks_are_followed_to_a_file_or_a_directory() {
    let d = scratch("links");
    std::fs::create_dir(d.join("dir")).expect("mkdir");
    std::fs::write(d.join("dir/a.txt"), b"hello").expect("write");
    symlink("dir/a.txt", d.join("to-file")).expect("symlink");
    symlink("dir", d.join("to-dir")).expect("symlink");
    let r = run(&["scan", "-f", "jsonl"], &[&d.join("to-file")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v = jsonl(&r.stdout);
    assert_eq!(v[0]["path"][0], *d.join("to-file").to_string_lossy());
    assert_eq!(v[0]["sha256"], sha256_hex(b"hello"));
    // A symlink to a directory named as input is walked (before, it was
    // also handed to the scan as a file: a spurious "not a regular file").
    let r = run(&["scan", "-f", "jsonl"], &[&d.join("to-dir")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        inputs(&r.stdout),
        [d.join("to-dir/a.txt").to_string_lossy()]
    );
    assert_eq!(r.stderr, "");
    std::fs::remove_dir_all(&d).ok();
}

/// `/proc` files have size 0 in `stat` and content when read; `/sys`
/// attributes have size 4096 and cannot be mapped. Both are read and
/// scanned: the record holds the bytes read.
#[test]
fn proc_and_sys_files_are_scanned_for_what_they_hold() {
    for p in ["/proc/version", "/sys/devices/system/cpu/online"] {
        let want = std::fs::read(p).expect("read");
        assert!(!want.is_empty());
        for threads in ["1", "2"] {
            let r = run(&["scan", "-f", "jsonl", "-j", threads], &[Path::new(p)]);
            assert_eq!(r.code, Some(0), "{p}: {}", r.stderr);
            let v = jsonl(&r.stdout);
            assert_eq!(v[0]["size"], want.len(), "{p}");
            assert_eq!(v[0]["sha256"], sha256_hex(&want), "{p}");
        }
    }
    // A pseudo-file that holds more than `max_unsized_input` is not
    // scanned: a prefix hashed as the file would be a wrong hash.
    let r = run(
        &["scan", "-f", "jsonl", "--max-unsized-input", "10"],
        &[Path::new("/proc/version")],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let v = jsonl(&r.stdout);
    assert_eq!(v.len(), 1, "{}", r.stdout);
    assert_eq!(v[0]["input_error"]["kind"], "limit-exceeded");
    assert_eq!(v[0]["input_error"]["limit"], "max_unsized_input");
    assert!(v[0].get("sha256").is_none(), "no hash of a prefix");
    assert!(
        r.stderr.contains("limit-exceeded: max_unsized_input: /proc/version: the file system gives its size as 0 but it holds more than 10 bytes"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_walk_scans_every_regular_file_and_counts_what_it_skips() {
    let d = scratch("walk");
    std::fs::write(d.join("a.txt"), b"hello").expect("write");
    std::fs::write(d.join("empty"), b"").expect("write");
    std::fs::create_dir(d.join("sub")).expect("mkdir");
    std::fs::copy(
        crate::util::corpus().join("zip/stored.zip"),
        d.join("sub/b.zip"),
    )
    .expect("copy a zip");
    mkfifo(&d.join("fifo"));
    mkfifo(&d.join("sub/fifo2"));
    let _listener = std::os::unix::net::UnixListener::bind(d.join("sock")).expect("bind");
    symlink("nowhere", d.join("dangling")).expect("symlink");
    symlink("a.txt", d.join("link")).expect("symlink");
    symlink(".", d.join("loop")).expect("symlink");
    // A device node needs CAP_MKNOD; without it, a symlink to one stands in
    // (counted as a symlink: a walk does not follow links).
    let device = Command::new("mknod")
        .arg(d.join("null"))
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    if !device {
        symlink("/dev/null", d.join("null")).expect("symlink");
    }
    let devices = u64::from(device);
    let symlinks = 3 + u64::from(!device);
    let skipped = 2 + 1 + symlinks + devices;
    let want_inputs =
        ["a.txt", "empty", "sub/b.zip"].map(|f| d.join(f).to_string_lossy().into_owned());

    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let r = run(&["scan", "-f", "jsonl", "-j", threads], &[&d]);
        assert_eq!(r.code, Some(0), "-j {threads}: {}", r.stderr);
        assert_eq!(inputs(&r.stdout), want_inputs, "-j {threads}");
        let v = jsonl(&r.stdout);
        assert_eq!(v[0]["sha256"], sha256_hex(b"hello"));
        assert_eq!(v[1]["sha256"], sha256_hex(b""), "an empty file is empty");
        assert!(
            v.iter().any(|n| n["depth"] == 1),
            "the zip is opened: {}",
            r.stdout
        );
        let mut kinds = format!("{symlinks} symlinks, 2 fifos, 1 sockets");
        if device {
            kinds.push_str(", 1 devices");
        }
        assert_eq!(
            r.stderr,
            format!("installsift: {skipped} skipped ({kinds}): not regular files, not scanned\n"),
            "-j {threads}"
        );
        let t = run(&["scan", "-j", threads], &[&d]);
        assert_eq!(t.code, Some(0), "{}", t.stderr);
        assert!(
            t.stderr
                .ends_with(&format!(", {skipped} skipped ({kinds})\n")),
            "{}",
            t.stderr
        );
        outputs.push(r.stdout);
    }
    assert_eq!(outputs[0], outputs[1], "the thread count changes nothing");
    let r = run(&["export", "--to", "sha256sum"], &[&d]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("installsift: {skipped} skipped (")),
        "{}",
        r.stderr
    );
    std::fs::remove_dir_all(&d).ok();
}

/// `/proc` files met in a walk are read like named ones.
#[test]
fn a_walk_of_proc_reads_each_file() {
    let dir = Path::new("/proc/sys/kernel/random");
    let r = run(&["scan", "-f", "jsonl"], &[dir]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v = jsonl(&r.stdout);
    let boot_id = std::fs::read(dir.join("boot_id")).expect("read boot_id");
    let got = v
        .iter()
        .find(|n| n["path"][0] == *dir.join("boot_id").to_string_lossy())
        .expect("a record for boot_id");
    assert_eq!(got["sha256"], sha256_hex(&boot_id));
    assert!(v.len() >= 4, "{}", r.stdout);
    for n in &v {
        assert!(
            n["size"].as_u64() > Some(0),
            "read, not taken as empty: {n}"
        );
    }
}

/// Permission denied, named or met in a walk: an error for that path (exit
/// 1), every readable file still scanned. Run as `nobody` (root reads
/// everything).
#[test]
fn unreadable_files_and_directories_are_errors_and_the_walk_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let d = scratch("denied");
    std::fs::write(d.join("ok.txt"), b"hello").expect("write");
    std::fs::write(d.join("secret.txt"), b"secret").expect("write");
    std::fs::create_dir(d.join("locked")).expect("mkdir");
    std::fs::write(d.join("locked/inner.txt"), b"inner").expect("write");
    std::fs::write(d.join("z.txt"), b"last").expect("write");
    let none = std::fs::Permissions::from_mode(0o000);
    std::fs::set_permissions(d.join("secret.txt"), none.clone()).expect("chmod");
    std::fs::set_permissions(d.join("locked"), none).expect("chmod");
    let r = run_as(&["scan", "-f", "jsonl"], &[&d], true);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(
        inputs(&r.stdout),
        ["ok.txt", "z.txt"].map(|f| d.join(f).to_string_lossy().into_owned())
    );
    for p in ["locked", "secret.txt"] {
        let want = format!(
            "installsift: io: {}: Permission denied",
            d.join(p).display()
        );
        assert!(r.stderr.contains(&want), "want {want} in:\n{}", r.stderr);
    }
    let r = run_as(&["scan", "-f", "jsonl"], &[&d.join("secret.txt")], true);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("Permission denied"), "{}", r.stderr);
    std::fs::set_permissions(d.join("locked"), std::fs::Permissions::from_mode(0o755)).ok();
    std::fs::remove_dir_all(&d).ok();
}

/// `--files-from FILE` (and `-`, standard input): newline- or NUL-separated
/// lists scan the same inputs as the same paths given as arguments (issue
/// 21: 10^5 paths without hitting the argument limit); a NUL list carries
/// names with newlines; a missing list is a usage error (2).
#[test]
fn files_from_a_list_scan_as_the_same_arguments() {
    let d = scratch("files-from");
    let a = d.join("a.txt");
    let b = d.join("name with\nnewline.txt");
    std::fs::write(&a, b"hello").expect("write");
    std::fs::write(&b, b"world").expect("write");
    let lines = d.join("list.txt");
    std::fs::write(&lines, format!("{}\r\n\n{}\n", a.display(), a.display())).expect("write");
    let r = run(
        &[
            "scan",
            "-f",
            "jsonl",
            "-j",
            "1",
            "--files-from",
            &lines.to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        inputs(&r.stdout),
        [a.to_string_lossy(), a.to_string_lossy()]
    );
    let nul = d.join("list0");
    let mut list = a.as_os_str().as_encoded_bytes().to_vec();
    list.push(0);
    list.extend_from_slice(b.as_os_str().as_encoded_bytes());
    list.push(0);
    std::fs::write(&nul, &list).expect("write");
    let r = run(
        &[
            "scan",
            "-f",
            "jsonl",
            "-j",
            "1",
            "--files-from",
            &nul.to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        inputs(&r.stdout),
        [a.to_string_lossy(), b.to_string_lossy()]
    );
    let direct = run(&["scan", "-f", "jsonl", "-j", "1"], &[&a, &b]);
    assert_eq!(r.stdout, direct.stdout);
    // Standard input, beside arguments (arguments first).
    let bin = env!("CARGO_BIN_EXE_installsift");
    let mut child = Command::new(bin)
        .args(["scan", "-f", "jsonl", "-j", "1", "--files-from", "-"])
        .arg(&a)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &list).expect("feed");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(
        inputs(&text),
        [
            a.to_string_lossy(),
            a.to_string_lossy(),
            b.to_string_lossy()
        ]
    );
    // Export deduplicates across the list.
    let r = run(
        &[
            "export",
            "--to",
            "sha256sum",
            "--files-from",
            &lines.to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    // extract takes a list too.
    let out_dir = d.join("out");
    let r = run(
        &[
            "extract",
            "-o",
            &out_dir.to_string_lossy(),
            "--files-from",
            &nul.to_string_lossy(),
        ],
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(jsonl(&r.stdout).len(), 2, "{}", r.stdout);
    // A list that cannot be read is a usage error; so is no input at all.
    let r = run(
        &["scan", "--files-from", &d.join("missing").to_string_lossy()],
        &[],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let r = run(&["scan"], &[]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    std::fs::remove_dir_all(&d).ok();
}
