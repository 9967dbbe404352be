//! Replays every input kept under `crates/cli/tests/fuzz_regressions/<target>/` and every
//! malformed corpus sample through the fuzz entry point, each under a time
//! generous time limit (a hang detector, not a benchmark: an input that
//! takes seconds under a loaded machine is fine, one that never ends is not),
//! asserting no panic.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

const PER_INPUT: Duration = Duration::from_secs(30);

fn inputs() -> Vec<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        here.join("tests/fuzz_regressions"),
        crate::util::corpus().join("malformed"),
    ] {
        for e in walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .flatten()
        {
            if e.file_type().is_file() && e.file_name() != "README.md" {
                out.push(e.into_path());
            }
        }
    }
    out
}

#[test]
fn replay_regressions_and_malformed_samples() {
    let inputs = inputs();
    assert!(!inputs.is_empty(), "nothing to replay");
    for path in inputs {
        let data = std::fs::read(&path).expect("read input");
        let (tx, rx) = mpsc::channel();
        let name = path.display().to_string();
        // crates/cli/tests/fuzz_regressions/<target>/<input>: the target's entry point
        // (`lzx`: the LZX decoder alone); `scan` and the malformed corpus
        // samples take the whole scan.
        let target = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = if target == "sevenz" {
            "7z".to_owned()
        } else {
            target
        };
        std::thread::spawn(move || {
            let r = std::panic::catch_unwind(|| {
                if target == "lzx" {
                    installsift::formats::fuzzing::exercise_lzx(&data);
                } else if installsift::formats::fuzzing::FORMATS.contains(&target.as_str()) {
                    installsift::formats::fuzzing::exercise_as(&target, &data);
                } else {
                    installsift::fuzzing::exercise(&data);
                }
            });
            let _ = tx.send(r.is_ok());
        });
        match rx.recv_timeout(PER_INPUT) {
            Ok(true) => {}
            Ok(false) => panic!("{name}: panicked"),
            Err(_) => panic!("{name}: still running after {PER_INPUT:?}"),
        }
    }
}

/// Address space the CLI may use on one regression input: 128 MiB, the
/// hostile sweep's peak-RSS bound (`scripts/hostile_sweep.py`; address
/// space counts more than RSS, so this is the stricter test). The PE
/// mutants kept under `fuzz_regressions/scan/` took up to 440 MiB before
/// the PE parser bounded the notes of its resource walk.
const AS_LIMIT_KIB: u64 = 128 * 1024;

/// Every `scan` regression input through the real binary with default
/// limits, as `installsift scan -f jsonl` under `ulimit -v`: it must exit
/// 0 with one JSON object per line (an allocation past the limit aborts).
#[test]
fn scan_regressions_run_within_the_memory_bound() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/scan");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fuzz_regressions/scan")
        .flatten()
        .map(|e| e.path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    for input in inputs {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v {AS_LIMIT_KIB} && exec \"$0\" scan -f jsonl -j 1 --progress never \"$1\""
            ))
            .arg(bin)
            .arg(&input)
            .output()
            .expect("run sh");
        let name = input.display();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {:?}, stderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("UTF-8 output");
        assert!(!text.is_empty(), "{name}: no output");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {line}"));
            assert!(v.get("path").is_some(), "{name}: {line}");
        }
    }
}

/// The hand-made header bombs kept under `fuzz_regressions/scan/` stop at
/// a named limit (or are cut, as malformed) with the format kept. 7z: a few
/// KB of LZMA-encoded header declaring millions of records, refused by our
/// own walk of the header before the 7z crate allocates for them (it took
/// 181 MB to 1.1 GB; under `ulimit -v` its fallible allocations failed
/// instead, so the run above alone does not show the bound). NSIS: entries
/// naming one 1 MiB string, output directories each longer than the last,
/// a language string made of references to itself (4 GB, 2 GB and 2 GB
/// before). Unit tests beside each parser check each count.
#[test]
fn hostile_headers_stop_at_a_named_limit() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/scan");
    for (name, format, kind, limit) in [
        ("7z-header-bomb", "7z", "limit-exceeded", "max_toc_size"),
        (
            "7z-header-bomb-10m",
            "7z",
            "limit-exceeded",
            "max_entries_per_container",
        ),
        (
            "7z-header-bomb-folders",
            "7z",
            "limit-exceeded",
            "max_entries_per_container",
        ),
        (
            "7z-header-bomb-coders",
            "7z",
            "limit-exceeded",
            "max_entries_per_container",
        ),
        (
            "7z-substream-count-2-32",
            "7z",
            "limit-exceeded",
            "max_entries_per_container",
        ),
        (
            "nsis-long-names",
            "nsis",
            "limit-exceeded",
            "max_script_chars",
        ),
        (
            "nsis-createdir-chain",
            "nsis",
            "limit-exceeded",
            "max_script_chars",
        ),
        ("nsis-lang-cube", "nsis", "malformed", ""),
    ] {
        let out = std::process::Command::new(bin)
            .args(["scan", "-f", "jsonl", "--progress", "never"])
            .arg(dir.join(name))
            .output()
            .expect("run installsift");
        assert_eq!(out.status.code(), Some(0), "{name}");
        let text = String::from_utf8(out.stdout).expect("UTF-8 output");
        let first: serde_json::Value =
            serde_json::from_str(text.lines().next().unwrap_or("")).expect("JSON");
        assert_eq!(first["format"], format, "{name}");
        let details = first["error_details"].as_array().expect("error_details");
        assert!(
            details
                .iter()
                .any(|d| d["kind"] == kind && (limit.is_empty() || d["limit"] == limit)),
            "{name}: want {kind} {limit}: {details:?}"
        );
    }
}

/// Every target in `fuzz/fuzz_targets/` is a `[[bin]]` of the fuzz crate:
/// one that is not is never built, so no campaign runs it (a merge once
/// dropped eight this way without any test noticing).
#[test]
fn every_fuzz_target_is_declared() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut targets: Vec<String> = std::fs::read_dir(fuzz.join("fuzz_targets"))
        .expect("fuzz/fuzz_targets")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_owned)
        })
        .collect();
    targets.sort();
    assert!(targets.len() >= 20, "{targets:?}");
    let missing: Vec<&String> = targets
        .iter()
        .filter(|t| !manifest.contains(&format!("name = \"{t}\"\npath = \"fuzz_targets/{t}.rs\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "fuzz targets without a [[bin]]: {missing:?}"
    );
}
