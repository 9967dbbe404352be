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
