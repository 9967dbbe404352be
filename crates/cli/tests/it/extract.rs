//! `extract`: nothing lands outside the output directory, and every written
//! file has the SHA-256 the scan reported.

use crate::util::{corpus, samples};
use installsift::{hash, HashSelection, Scanner};
use std::path::{Path, PathBuf};

/// An empty scratch directory, removed when the test ends.
fn fresh_dir(name: &str) -> crate::util::Scratch {
    crate::util::Scratch::dir(&format!("extract-{name}"))
}

/// Every path below `root`, none of them a symlink.
fn tree(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.expect("walk");
        assert!(
            !e.path_is_symlink(),
            "symlink created: {}",
            e.path().display()
        );
        out.push(e.into_path());
    }
    out
}

#[test]
fn traversal_names_stay_inside_the_output_directory() {
    let parent = fresh_dir("traversal");
    let out = parent.join("out");
    let x = installsift::extract::extract(
        &Scanner::new(),
        &corpus().join("malformed/traversal.zip"),
        &out,
    )
    .expect("extract");
    // Nothing next to `out` (a `../` that escaped would land here or above).
    let siblings: Vec<_> = std::fs::read_dir(&parent)
        .expect("ls")
        .map(|e| e.expect("e").file_name())
        .collect();
    assert_eq!(siblings, ["out"]);
    let files: Vec<PathBuf> = tree(&out).into_iter().filter(|p| p.is_file()).collect();
    assert_eq!(
        files.len(),
        10,
        "one file per entry, duplicates included: {files:?}"
    );
    for f in &files {
        assert!(f.starts_with(&out));
        assert!(f
            .strip_prefix(&out)
            .expect("inside")
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_))));
    }
    let root = out.join("traversal.zip");
    assert!(root.join("same.txt").is_file() && root.join("same.txt~2").is_file());
    assert!(root.join("__/__/escape.txt").is_file());
    assert!(root.join("abs/root.txt").is_file());
    assert!(root.join("C_/Windows/drive.txt").is_file());
    assert!(root.join("nul_byte.txt").is_file());
    assert!(root.join("_CON").is_file());
    assert!(x.manifest().iter().all(|l| l.extract_error.is_none()));
}

#[test]
fn written_files_hash_as_the_scan_reports() {
    let out = fresh_dir("corpus");
    let mut checked = 0;
    for (i, rel) in samples().iter().enumerate() {
        let dir = out.join(i.to_string());
        let x = installsift::extract::extract(&Scanner::new(), &corpus().join(rel), &dir)
            .expect("extract");
        for line in x.manifest() {
            let (Some(to), Some(want)) = (&line.extracted_to, &line.node.sha256) else {
                continue;
            };
            let bytes = std::fs::read(dir.join(to)).unwrap_or_else(|e| panic!("{rel}: {to}: {e}"));
            assert_eq!(
                &hash::hash_bytes(HashSelection::SHA256, &bytes).sha256,
                want,
                "{rel}: {to}"
            );
            checked += 1;
        }
        // Every node below the input with content was written.
        for line in x.manifest() {
            if line.node.depth > 0 && line.node.sha256.is_some() {
                assert!(
                    line.extracted_to.is_some(),
                    "{rel}: {:?} not written: {:?}",
                    line.node.path,
                    line.extract_error
                );
            }
        }
    }
    assert!(checked > 80, "only {checked} files checked");
}

/// Two cabinet entries sharing one stored range (WiX's identical files) are
/// both written, with the same bytes.
#[test]
fn entries_sharing_stored_data_are_both_written() {
    let mut d = std::fs::read(corpus().join("cab/mszip.cab")).expect("read");
    let at = u32::from_le_bytes(d[16..20].try_into().expect("4")) as usize;
    let name_end = at + 16 + d[at + 16..].iter().position(|&b| b == 0).expect("nul");
    let (size, off) = (d[at..at + 4].to_vec(), d[at + 4..at + 8].to_vec());
    d[name_end + 1..name_end + 5].copy_from_slice(&size);
    d[name_end + 5..name_end + 9].copy_from_slice(&off);
    let dir = fresh_dir("shared");
    let input = dir.join("dup.cab");
    std::fs::write(&input, &d).expect("write");
    let x =
        installsift::extract::extract(&Scanner::new(), &input, &dir.join("out")).expect("extract");
    let kids = &x.report.root.children;
    assert_eq!(kids[0].info.sha256, kids[1].info.sha256);
    let files: Vec<_> = tree(&dir.join("out"))
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| hash::hash_bytes(HashSelection::SHA256, &std::fs::read(p).expect("read")).sha256)
        .collect();
    assert_eq!(files.len(), kids.len(), "{files:?}");
    assert_eq!(
        files
            .iter()
            .filter(|h| Some(**h) == kids[0].info.sha256)
            .count(),
        2
    );
}

/// A zip inside a zip above `max_buffered_entry` is spilled to a temporary
/// file and opened while extracting too (it was hashed, written and not
/// opened before): the same files are written, with the hashes the scan
/// reports, as when it fits in memory. The inner zip streams to the output
/// as it is decoded and spills at the same time; its node names that
/// stream instead of writing it twice.
#[test]
fn containers_above_the_buffer_are_opened_while_extracting() {
    use std::io::Write;
    let dir = fresh_dir("spill");
    // 3 MB of xorshift bytes (no compression gain) and a small file, zipped,
    // then stored in an outer zip.
    let mut big = Vec::with_capacity(3_000_000);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while big.len() < 3_000_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        big.extend_from_slice(&x.to_le_bytes());
    }
    let zip_of = |files: &[(&str, &[u8])], method| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            let o = zip::write::SimpleFileOptions::default().compression_method(method);
            w.start_file(*name, o).expect("start");
            w.write_all(data).expect("write");
        }
        w.finish().expect("finish").into_inner()
    };
    let inner = zip_of(
        &[("big.bin", &big), ("small.txt", b"hi\n")],
        zip::CompressionMethod::Deflated,
    );
    let outer = zip_of(&[("inner.zip", &inner)], zip::CompressionMethod::Deflated);
    let input = dir.join("outer.zip");
    std::fs::write(&input, &outer).expect("write input");
    let written = |limits: installsift::Limits, name: &str| {
        let out = dir.join(name);
        let x = installsift::extract::extract(&Scanner::new().with_limits(limits), &input, &out)
            .expect("extract");
        let mut files = Vec::new();
        for line in x.manifest() {
            assert!(line.node.errors.is_empty(), "{:?}", line.node.errors);
            if let (Some(to), Some(want)) = (&line.extracted_to, &line.node.sha256) {
                let bytes = std::fs::read(out.join(to)).expect("read written");
                assert_eq!(
                    &hash::hash_bytes(HashSelection::SHA256, &bytes).sha256,
                    want,
                    "{to}"
                );
                files.push((to.clone(), want.to_string()));
            }
        }
        files
    };
    let in_memory = written(installsift::Limits::default(), "memory");
    let spilled = written(
        installsift::Limits {
            max_buffered_entry: 1 << 20,
            ..installsift::Limits::default()
        },
        "spilled",
    );
    assert_eq!(in_memory.len(), 3, "{in_memory:?}");
    assert_eq!(spilled, in_memory);
}
