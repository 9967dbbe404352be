//! The assembly objects linked from `lzma-sdk-sys` (its `enable-asm`
//! feature) are the ones `scripts/reproduce_lzma_asm.sh` reproduced byte for
//! byte from 7-Zip's `.asm` sources with a UASM built from source (issue 18).
//! This test fails when the crate is upgraded (or its source replaced) and the
//! objects it would link differ from the reproduced ones: rerun the script and
//! commit its results.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The lzma-sdk-sys version Cargo.lock pins.
fn locked_version() -> String {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).expect("Cargo.lock");
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"lzma-sdk-sys\"" {
            let v = lines.next().expect("version line");
            return v
                .trim_start_matches("version = ")
                .trim_matches('"')
                .to_string();
        }
    }
    panic!("lzma-sdk-sys is not in Cargo.lock");
}

/// The crate's unpacked source in cargo's registry.
fn crate_source(version: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let src = home.join("registry/src");
    for index in std::fs::read_dir(&src).expect("cargo registry/src") {
        let dir = index
            .expect("entry")
            .path()
            .join(format!("lzma-sdk-sys-{version}"));
        if dir.is_dir() {
            return dir;
        }
    }
    panic!(
        "lzma-sdk-sys-{version} not unpacked under {}",
        src.display()
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn linked_asm_objects_are_the_reproduced_ones() {
    let version = locked_version();
    let results = root().join("scripts/results");
    let txt = std::fs::read_to_string(results.join("lzma_asm_reproduce.txt")).expect("results");
    assert!(
        txt.starts_with(&format!("lzma-sdk-sys {version}:")),
        "scripts/results/lzma_asm_reproduce.txt is not for lzma-sdk-sys {version}: rerun scripts/reproduce_lzma_asm.sh"
    );
    assert!(
        txt.contains("RESULT: reproduced"),
        "the last reproduction failed"
    );
    let tsv = std::fs::read_to_string(results.join("lzma_asm_reproduce.tsv")).expect("tsv");
    let rows: Vec<Vec<&str>> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .filter(|r: &Vec<&str>| r[0] == "crate" && r[1] == "linux-x64")
        .collect();
    // The objects build.rs links on x86-64 Linux.
    let dir = crate_source(&version).join("precompiled-asm/x86/linux-x64");
    let mut objects: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("precompiled-asm/x86/linux-x64")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    objects.sort();
    assert_eq!(
        objects.len(),
        rows.len(),
        "objects shipped against objects reproduced"
    );
    assert!(objects.iter().any(|p| p.ends_with("LzmaDecOpt.o")));
    for path in objects {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name");
        let row = rows
            .iter()
            .find(|r| r[2] == name)
            .unwrap_or_else(|| panic!("{name} was not reproduced"));
        let shipped = hex(&Sha256::digest(std::fs::read(&path).expect("object")));
        assert_eq!(
            row[3], shipped,
            "{name}: the crate's object is not the one compared"
        );
        assert_eq!(row[4], shipped, "{name}: our UASM output differed");
        assert_eq!(row[5], "identical", "{name}");
    }
}
