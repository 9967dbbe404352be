//! The foundation issue's acceptance points, one test each, on corpus samples.

use crate::util::corpus;
use installsift::{EntryKind, Error, Family, Format, Node, Report, Scanner, Verdict};

fn scan(rel: &str) -> Report {
    Scanner::new()
        .scan_path(&corpus().join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn files(n: &Node) -> Vec<&Node> {
    crate::util::file_children(n)
}

#[test]
fn renamed_msi_is_still_an_msi_installer() {
    let r = scan("msi/renamed.bin");
    assert_eq!(r.root.info.format, Format::Msi);
    assert_eq!(r.root.info.verdict, Verdict::Installer);
    assert_eq!(r.root.info.family, Some(Family::Msi));
    assert!(
        r.root
            .info
            .evidence
            .iter()
            .any(|e| e.signal == "cfb-root-clsid"),
        "{:?}",
        r.root.info.evidence
    );
}

#[test]
fn signed_pe_without_appended_data_has_no_overlay_payload() {
    let r = scan("pe/signed_x64.exe");
    assert_eq!(r.root.info.format, Format::Pe);
    assert!(
        r.root.children.is_empty(),
        "{:?}",
        r.root
            .children
            .iter()
            .map(|c| &c.info.path)
            .collect::<Vec<_>>()
    );
    assert_eq!(r.root.info.verdict, Verdict::NotInstaller);
    assert!(r
        .root
        .info
        .evidence
        .iter()
        .any(|e| e.signal == "pe-certificate-table"));
}

#[test]
fn zip_before_and_after_the_certificate_table_is_a_child() {
    for (rel, name, offset) in [
        ("pe/zip_before_cert.exe", "[overlay]", 14848),
        ("pe/zip_after_cert.exe", "[overlay-after-signature]", 16592),
    ] {
        let r = scan(rel);
        assert_eq!(r.root.info.family, Some(Family::ZipSfx), "{rel}");
        let child = r
            .root
            .children
            .iter()
            .find(|c| c.info.format == Format::Zip)
            .unwrap_or_else(|| panic!("{rel}: no zip"));
        assert_eq!(child.info.path.last().map(String::as_str), Some(name));
        assert_eq!(
            child.info.entry.as_ref().and_then(|e| e.offset),
            Some(offset),
            "{rel}"
        );
        // The carve ends at the zip's end record, before the table's padding.
        assert_eq!(child.info.size, 561, "{rel}");
        assert_eq!(files(child).len(), 2, "{rel}: zip entries not listed");
    }
}

#[test]
fn truncated_containers_keep_what_was_read_and_say_why() {
    // (sample, format, entries listed, entries whose content was read): the
    // 7z keeps its header at the end, so nothing can be listed; the cab's only
    // data block is cut, so its files are listed without content (7zz and
    // cabextract recover nothing either).
    for (rel, format, min_listed, min_read) in [
        ("malformed/trunc_simple.msi", Format::Msi, 1, 1),
        ("malformed/trunc_deflate.zip", Format::Zip, 4, 3),
        ("malformed/trunc_lzma2.7z", Format::SevenZ, 0, 0),
        ("malformed/trunc_mszip.cab", Format::Cab, 4, 0),
    ] {
        let r = scan(rel);
        assert_eq!(r.root.info.format, format, "{rel}");
        assert_eq!(r.stats.panics, 0, "{rel}");
        let (mut truncated, mut listed, mut read) = (false, 0, 0);
        r.root.walk(&mut |n| {
            truncated |= n
                .info
                .errors
                .iter()
                .any(|e| matches!(e, Error::Truncated { .. }));
            listed += usize::from(n.info.depth > 0);
            read += usize::from(n.info.depth > 0 && n.info.sha256.is_some());
        });
        assert!(
            truncated,
            "{rel}: no truncation error anywhere: {:?}",
            r.root.info.errors
        );
        assert!(listed >= min_listed, "{rel}: only {listed} entries listed");
        assert!(
            read >= min_read,
            "{rel}: only {read} entries read before the damage"
        );
    }
}

#[test]
fn corrupted_entries_are_errors_on_the_entry() {
    for rel in [
        "malformed/corrupt_deflate.zip",
        "malformed/corrupt_mszip.cab",
    ] {
        let r = scan(rel);
        assert_eq!(r.stats.panics, 0);
        let bad: Vec<_> = r
            .root
            .children
            .iter()
            .filter(|c| !c.info.errors.is_empty())
            .collect();
        assert!(
            !bad.is_empty(),
            "{rel}: corruption not reported on an entry"
        );
        // A damaged entry has no hash, or keeps the hash of what it decodes
        // to with a checksum error and nothing vouching for it.
        assert!(
            bad.iter().all(|c| c.info.sha256.is_none()
                || (c.info.verified_by.is_empty()
                    && c.info.errors.iter().any(|e| e.kind() == "checksum"))),
            "{rel}: a damaged entry has a hash but no checksum error"
        );
    }
}

#[test]
fn encrypted_7z_is_reported_not_failed() {
    let data = scan("7z/enc_data.7z");
    assert_eq!(data.root.info.format, Format::SevenZ);
    assert!(!data.root.children.is_empty());
    assert!(data
        .root
        .children
        .iter()
        .all(|c| c.info.entry.as_ref().is_some_and(|e| e.encrypted) && c.info.sha256.is_none()));
    let header = scan("7z/enc_header.7z");
    assert_eq!(header.root.info.format, Format::SevenZ);
    assert!(
        header
            .root
            .info
            .errors
            .iter()
            .any(|e| matches!(e, Error::Encrypted { .. })),
        "{:?}",
        header.root.info.errors
    );
}

#[test]
fn nested_archives_are_opened_at_every_level() {
    let r = scan("nested/zip_7z_zip.zip");
    let formats: Vec<Format> = {
        let mut v = Vec::new();
        r.root.walk(&mut |n| v.push(n.info.format));
        v
    };
    assert_eq!(&formats[..3], &[Format::Zip, Format::SevenZ, Format::Zip]);
    let leaf = r.root.find("inner.txt").expect("inner.txt");
    assert_eq!(leaf.info.depth, 3);
}

#[test]
fn embedded_containers_in_pe_overlay_and_resources() {
    for (rel, format, family, kind) in [
        (
            "pe/with_zip.exe",
            Format::Zip,
            Family::ZipSfx,
            EntryKind::Overlay,
        ),
        (
            "pe/with_7z.exe",
            Format::SevenZ,
            Family::SevenZSfx,
            EntryKind::Overlay,
        ),
        (
            "pe/with_cab.exe",
            Format::Cab,
            Family::CabSfx,
            EntryKind::Overlay,
        ),
        (
            "pe/cab_resource.exe",
            Format::Cab,
            Family::CabSfx,
            EntryKind::Resource,
        ),
        (
            "pe/msi_in_overlay.exe",
            Format::Msi,
            Family::Msi,
            EntryKind::Overlay,
        ),
    ] {
        let r = scan(rel);
        assert_eq!(
            (r.root.info.verdict, r.root.info.family),
            (Verdict::Installer, Some(family)),
            "{rel}"
        );
        let c = r
            .root
            .children
            .iter()
            .find(|c| c.info.format == format)
            .unwrap_or_else(|| panic!("{rel}: no {format}"));
        assert_eq!(c.info.entry.as_ref().map(|e| e.kind), Some(kind), "{rel}");
        assert!(!files(c).is_empty(), "{rel}: payload not unpacked");
    }
    let random = scan("pe/with_random.exe");
    assert_eq!(random.root.info.verdict, Verdict::NotInstaller);
    assert_eq!(random.root.children.len(), 1);
    assert_eq!(random.root.children[0].info.format, Format::Unknown);
}

#[test]
fn plain_pes_and_archives_are_not_installers() {
    for rel in [
        "pe/hello_x64.exe",
        "pe/hello_x86.exe",
        "pe/lib_x64.dll",
        "pe/gui_x64.exe",
        "zip/deflate.zip",
        "cab/mszip.cab",
        "7z/lzma2.7z",
    ] {
        let r = scan(rel);
        assert_eq!(r.root.info.verdict, Verdict::NotInstaller, "{rel}");
        assert!(
            !r.root.info.evidence.is_empty(),
            "{rel}: verdict without evidence"
        );
    }
}

#[test]
fn pe_version_info_and_manifest() {
    let r = scan("pe/gui_x64.exe");
    let meta = serde_json::to_value(&r.root.info.metadata).expect("json");
    assert_eq!(meta["machine"], "x86_64");
    assert_eq!(meta["subsystem"], "windows-gui");
    assert_eq!(meta["version_info"]["fixed_file_version"], "1.2.3.4");
    assert!(meta["version_info"]["CompanyName"].is_string());
    assert_eq!(meta["requested_execution_level"], "requireAdministrator");
    let dll = scan("pe/lib_x64.dll");
    assert_eq!(
        serde_json::to_value(&dll.root.info.metadata).expect("json")["kind"],
        "dll"
    );
    let x86 = scan("pe/hello_x86.exe");
    assert_eq!(
        serde_json::to_value(&x86.root.info.metadata).expect("json")["bits"],
        32
    );
}

#[test]
fn limits_stop_work_with_a_typed_error() {
    // The input (depth 0) is opened, its 7z entry (depth 1) is not.
    let limits = installsift::Limits {
        max_depth: 0,
        max_entries_per_container: 2,
        ..installsift::Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_path(&corpus().join("nested/zip_7z_zip.zip"))
        .expect("scan");
    let seven = r
        .root
        .children
        .iter()
        .find(|c| c.info.format == Format::SevenZ)
        .expect("7z child");
    assert!(seven.children.is_empty());
    assert!(seven.info.errors.iter().any(|e| matches!(
        e,
        Error::LimitExceeded {
            limit: installsift::Limit::MaxDepth,
            ..
        }
    )));
    // Not opened is "could not tell", never a strong not-installer.
    assert_eq!(seven.info.verdict, installsift::Verdict::Unknown);
    assert!(seven.info.evidence.iter().any(|e| e.signal == "not-opened"));
    assert!(seven
        .info
        .evidence
        .iter()
        .all(|e| e.strength != installsift::Strength::Strong || e.signal != "plain-archive"));
    let r = Scanner::new()
        .with_limits(limits_with_entries(2))
        .scan_path(&corpus().join("zip/deflate.zip"))
        .expect("scan");
    assert_eq!(r.root.children.len(), 2);
    assert!(r.root.info.errors.iter().any(|e| matches!(
        e,
        Error::LimitExceeded {
            limit: installsift::Limit::MaxEntriesPerContainer,
            ..
        }
    )));
    let small = installsift::Limits {
        max_entry_size: 1000,
        ..installsift::Limits::default()
    };
    let r = Scanner::new()
        .with_limits(small)
        .scan_path(&corpus().join("zip/deflate.zip"))
        .expect("scan");
    let big = r
        .root
        .children
        .iter()
        .find(|c| c.info.size > 1000)
        .expect("an entry over 1000 bytes");
    assert!(big.info.errors.iter().any(|e| matches!(
        e,
        Error::LimitExceeded {
            limit: installsift::Limit::MaxEntrySize,
            ..
        }
    )));
}

fn limits_with_entries(n: u64) -> installsift::Limits {
    installsift::Limits {
        max_entries_per_container: n,
        ..installsift::Limits::default()
    }
}

/// `--max-depth N` opens exactly the levels 0..=N: every container at depth
/// N or less is listed, every node below N is hashed, not opened, and says
/// so; an installer at the top stays an installer at `--max-depth 0`.
#[test]
fn max_depth_opens_exactly_the_levels_it_names() {
    for n in 0..4u32 {
        let limits = installsift::Limits {
            max_depth: n,
            ..installsift::Limits::default()
        };
        let r = Scanner::new()
            .with_limits(limits)
            .scan_path(&corpus().join("nested/zip_7z_zip.zip"))
            .expect("scan");
        // zip (0) → middle.7z (1) → inner.zip (2) → inner.txt (3)
        let mut deepest = 0;
        r.root.walk(&mut |node| {
            deepest = deepest.max(node.info.depth);
            let capped = node.info.errors.iter().any(|e| {
                matches!(
                    e,
                    Error::LimitExceeded {
                        limit: installsift::Limit::MaxDepth,
                        ..
                    }
                )
            });
            let container = node.info.format != Format::Unknown;
            if node.info.depth <= n {
                assert!(
                    !capped,
                    "depth {} opened with --max-depth {n}",
                    node.info.depth
                );
            } else if container {
                assert!(
                    capped,
                    "depth {} not flagged with --max-depth {n}",
                    node.info.depth
                );
                assert!(node.children.is_empty());
                assert_eq!(node.info.verdict, installsift::Verdict::Unknown);
            }
        });
        assert_eq!(
            deepest,
            (n + 1).min(3),
            "--max-depth {n} lists one level below"
        );
    }
    let limits = installsift::Limits {
        max_depth: 0,
        ..installsift::Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_path(&corpus().join("nsis/zlib.exe"))
        .expect("scan");
    assert_eq!(r.root.info.verdict, installsift::Verdict::Installer);
    assert_eq!(r.root.info.family.map(|f| f.as_str()), Some("nsis"));
}
