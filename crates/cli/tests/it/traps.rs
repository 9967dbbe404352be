//! Bombs and traps (`corpus/traps/`, made by `corpus/src/tools/make_traps.py`
//! and `corpus/build.sh`): each scan finishes, stops with a typed error on the
//! node where the trap is, keeps what was parsed, and unpacks little (the
//! byte counts stand in for time and memory, which tests never measure;
//! `scripts/trap_rss.sh` does).

use crate::util::corpus;
use installsift::{Error, Node, Report, Scanner};

fn scan(name: &str) -> Report {
    Scanner::new()
        .scan_path(&corpus().join("traps").join(name))
        .expect("the sample is readable")
}

/// The node at this path below the input.
fn node<'a>(r: &'a Report, path: &[&str]) -> &'a Node {
    let mut n = &r.root;
    for part in path {
        n = n
            .children
            .iter()
            .find(|c| c.info.path.last().map(String::as_str) == Some(*part))
            .unwrap_or_else(|| panic!("no `{part}` in {:?}", n.info.path));
    }
    n
}

fn limit_hit(n: &Node, limit: &str) -> bool {
    n.info
        .errors
        .iter()
        .any(|e| matches!(e, Error::LimitExceeded { limit: l, .. } if l.as_str() == limit))
}

fn error_says(n: &Node, kind: &str, words: &str) -> bool {
    n.info
        .errors
        .iter()
        .any(|e| e.kind() == kind && e.to_string().contains(words))
}

const MIB: u64 = 1 << 20;

#[test]
fn zip_bomb_of_zeros_stops_on_its_declared_ratio() {
    let r = scan("zip_bomb_zeros.zip");
    let inner = node(&r, &["zeros.zip"]);
    assert_eq!(inner.info.format, installsift::Format::Zip);
    assert!(inner.info.errors.is_empty());
    let zeros = node(&r, &["zeros.zip", "zeros.bin"]);
    assert!(limit_hit(zeros, "max_ratio"), "{:?}", zeros.info.errors);
    assert_eq!(zeros.info.size, 1 << 30, "the declared size is reported");
    assert_eq!(zeros.info.sha256, None, "not unpacked");
    // Only the inner zip (1 MB) was decompressed, none of the gigabyte.
    assert!(r.stats.unpacked_bytes < 2 * MIB, "{:?}", r.stats);
}

#[test]
fn a_zip_containing_itself_is_opened_once() {
    let r = scan("quine.zip");
    let inner = node(&r, &["quine.zip"]);
    assert_eq!(inner.info.sha256, r.root.info.sha256, "a true quine");
    assert_eq!(inner.info.format, installsift::Format::Zip);
    assert!(
        error_says(inner, "malformed", "same bytes as its ancestor"),
        "{:?}",
        inner.info.errors
    );
    assert!(inner.children.is_empty());
    assert_eq!(r.stats.nodes, 2);
}

#[test]
fn overlapping_entries_are_unpacked_once() {
    let r = scan("overlap_bomb.zip");
    assert_eq!(r.root.children.len(), 100);
    // The first entry is unpacked: the other local headers, then 20 MiB of
    // zeros. It starts with a local header, so it is opened as a zip in turn
    // (and found damaged).
    let first = node(&r, &["0000"]);
    assert!(first.info.sha256.is_some());
    assert_eq!(first.info.size, 20 * MIB + 99 * 34);
    assert_eq!(first.info.format, installsift::Format::Zip);
    for n in &r.root.children[1..] {
        assert!(
            error_says(n, "malformed", "overlaps entry `0000`"),
            "{:?}",
            n.info
        );
        assert_eq!(n.info.sha256, None);
    }
    // One kernel unpacked, not a hundred (2 GB).
    assert!(r.stats.unpacked_bytes < 22 * MIB, "{:?}", r.stats);
}

#[test]
fn nested_copies_are_opened_a_bounded_number_of_times() {
    let r = scan("nest42.zip");
    let mut nodes = 0;
    let mut repeats = 0;
    let mut ratio = 0;
    r.root.walk(&mut |n| {
        nodes += 1;
        repeats += usize::from(limit_hit(n, "max_opens_per_content"));
        ratio += usize::from(limit_hit(n, "max_ratio"));
    });
    // 16^5 leaves of 16 MiB declared; each distinct zip is opened at most
    // 8 times, and every leaf is refused on its declared ratio.
    assert!(nodes < 1_000, "{nodes} nodes");
    assert!(repeats > 0 && ratio > 0, "{repeats} repeats, {ratio} ratio");
    let first_leaf = node(&r, &["3-0.zip", "2-0.zip", "1-0.zip", "0-0.zip", "0.bin"]);
    assert!(limit_hit(first_leaf, "max_ratio"));
    let eighth = node(&r, &["3-8.zip"]);
    assert!(limit_hit(eighth, "max_opens_per_content"));
    assert!(eighth.info.sha256.is_some() && eighth.children.is_empty());
    assert!(r.stats.unpacked_bytes < 64 * MIB, "{:?}", r.stats);
}

#[test]
fn sevenz_declaring_huge_sizes_unpacks_nothing() {
    let r = scan("sevenz_huge.7z");
    let huge = node(&r, &["huge.bin"]);
    assert!(limit_hit(huge, "max_entry_size"), "{:?}", huge.info.errors);
    assert_eq!(huge.info.size, 1 << 60);
    assert_eq!(r.stats.unpacked_bytes, 0);
}

#[test]
fn cab_folder_claiming_4_gb_stops_that_folder() {
    let r = scan("cab_4gb.cab");
    let readme = node(&r, &["readme.txt"]);
    assert!(
        limit_hit(readme, "max_entry_size"),
        "{:?}",
        readme.info.errors
    );
    assert_eq!(readme.info.size, 0xFFFF_FF00);
    // The rest of the folder is listed, with the reason it was not decoded.
    assert_eq!(r.root.children.len(), 4);
    for n in &r.root.children {
        assert!(limit_hit(n, "max_entry_size"), "{:?}", n.info);
    }
    assert_eq!(r.stats.unpacked_bytes, 0);
}

#[test]
fn cfb_fat_cycle_is_reported_and_the_rest_kept() {
    let r = scan("cfb_fat_cycle.msi");
    assert!(
        error_says(&r.root, "malformed", "loops at sector"),
        "{:?}",
        r.root.info.errors
    );
    assert_eq!(r.root.info.format, installsift::Format::Msi);
}

#[test]
fn cfb_difat_loop_is_reported() {
    let r = scan("cfb_difat_loop.msi");
    assert!(
        error_says(&r.root, "malformed", "DIFAT chain loops"),
        "{:?}",
        r.root.info.errors
    );
    // The header's own 109 DIFAT slots still give the FAT: streams listed.
    assert!(!r.root.children.is_empty());
}

#[test]
fn cfb_huge_sector_counts_are_not_believed() {
    let r = scan("cfb_huge_counts.msi");
    assert!(
        error_says(&r.root, "malformed", "declares 2147483648 FAT sectors"),
        "{:?}",
        r.root.info.errors
    );
    assert!(!r.root.children.is_empty());
}

#[test]
fn nsis_header_claiming_2_gb_is_not_decompressed() {
    let r = scan("nsis_2gb_header.exe");
    let data = node(&r, &["[overlay]"]);
    assert_eq!(data.info.format, installsift::Format::Nsis);
    assert!(limit_hit(data, "max_entry_size"), "{:?}", data.info.errors);
    assert!(r.root.info.errors.is_empty());
    assert!(r.stats.unpacked_bytes < MIB, "{:?}", r.stats);
}

#[test]
fn pe_with_65535_sections_reads_what_is_there() {
    let r = scan("pe_65535_sections.exe");
    assert!(
        error_says(&r.root, "truncated", "declares 65535 sections"),
        "{:?}",
        r.root.info.errors
    );
    assert_eq!(r.root.info.format, installsift::Format::Pe);
}

#[test]
fn pe_resource_directory_loop_is_cut() {
    let r = scan("pe_resource_loop.exe");
    assert!(
        error_says(&r.root, "malformed", "resource directory loop"),
        "{:?}",
        r.root.info.errors
    );
    assert!(
        r.root.info.metadata.is_some(),
        "the headers are still reported"
    );
}

#[test]
fn pe_sections_claiming_past_the_end_leave_no_overlay() {
    let r = scan("pe_overlay_window.exe");
    assert!(
        error_says(&r.root, "truncated", "runs past the end of the file"),
        "{:?}",
        r.root.info.errors
    );
    assert!(r.root.children.is_empty());
}

#[test]
fn hostile_names_are_reported_as_stored() {
    let r = Scanner::new()
        .scan_path(&corpus().join("malformed/traversal.zip"))
        .expect("readable");
    let names: Vec<&str> = r
        .root
        .children
        .iter()
        .filter_map(|c| c.info.path.last().map(String::as_str))
        .collect();
    for want in [
        "../../escape.txt",
        "/abs/root.txt",
        "C:\\Windows\\drive.txt",
        "nul\0byte.txt",
        "CON",
    ] {
        assert!(names.contains(&want), "{want:?} missing from {names:?}");
    }
    assert!(names.iter().any(|n| n.len() == 65_535));
    assert!(r.root.children.iter().all(|c| c.info.sha256.is_some()));
}

#[test]
fn streamed_entries_are_extracted_whole() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("traps-streamed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let x = installsift::extract::extract(
        &Scanner::new(),
        &corpus().join("nsis/large_lzma_solid.exe"),
        &out,
    )
    .expect("extract");
    let manifest = x.manifest();
    let big = manifest
        .iter()
        .find(|l| l.node.entry.as_ref().is_some_and(|e| e.streamed))
        .expect("data/big.txt (2.2 MB) is streamed, not kept");
    let to = big.extracted_to.as_ref().expect("written");
    let bytes = std::fs::read(out.join(to)).expect("read back");
    assert_eq!(bytes.len() as u64, big.node.size);
    assert_eq!(
        Some(installsift::hash::hash_bytes(installsift::HashSelection::SHA256, &bytes).sha256),
        big.node.sha256
    );
    assert!(!out.join(".installsift-partial").exists());
    let _ = std::fs::remove_dir_all(&out);
}
