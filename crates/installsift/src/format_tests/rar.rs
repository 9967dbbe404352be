//! The engine over `rar`: scans of real and damaged samples.

use crate::formats::Metadata;
use crate::report::Node;
use crate::test_support::*;
use crate::Scanner;
use crate::{Check, Format};
use installsift_formats::rar::*;

/// The last path component of each child, in order.
fn child_names(n: &Node) -> Vec<&str> {
    n.children
        .iter()
        .map(|c| c.info.path.last().map(String::as_str).unwrap_or(""))
        .collect()
}

fn rar(n: &Node) -> &Node {
    n.children
        .iter()
        .find(|c| c.info.format == Format::Rar)
        .expect("a RAR overlay")
}

#[test]
fn rar4_sfx_lists_and_checks_stored_files() {
    let Some(d) = sample("sfx/winrar_sfx_rar4.exe") else {
        return;
    };
    let r = Scanner::new().scan_bytes("sfx.exe", &d);
    let a = rar(&r.root);
    assert!(a.info.errors.is_empty(), "{:?}", a.info.errors);
    let mut names = child_names(a);
    names.sort();
    assert_eq!(names, ["test.txt", "testdir/test.txt", "testshortcut.lnk"]);
    let t = a.find("test.txt").expect("test.txt");
    assert_eq!(t.info.verified_by, [Check::RarCrc32]);
    assert_eq!(t.info.size, 16);
    // A stored byte changed: the file keeps it, with the mismatch.
    let at = memchr::memmem::find(&d, b"test text file").expect("data");
    let mut bad = d.clone();
    bad[at] ^= 0x20;
    let r = Scanner::new().scan_bytes("bad.exe", &bad);
    let t = rar(&r.root).find("test.txt").expect("test.txt");
    assert_eq!(t.info.errors[0].kind(), "checksum", "{:?}", t.info.errors);
    assert!(t.info.sha256.is_some());
    // A header byte changed: its CRC fails, said on the archive.
    let mut bad = d.clone();
    let sig = memchr::memmem::find(&d, RAR4_MAGIC).expect("sig");
    bad[sig + 7 + 13 + 20] ^= 0x01;
    let r = Scanner::new().scan_bytes("bad.exe", &bad);
    assert!(rar(&r.root)
        .info
        .errors
        .iter()
        .any(|e| e.kind() == "checksum"));
    // Cut right before the end-of-archive block (7 bytes): said too.
    let r = Scanner::new().scan_bytes("cut.exe", &d[..d.len() - 7]);
    let a = rar(&r.root);
    assert_eq!(a.info.errors.len(), 1, "{:?}", a.info.errors);
    assert!(a.info.errors[0].to_string().contains("end-of-archive"));
    assert_eq!(a.children.len(), 3);
    // Cut in the middle: what came before is kept, the cut is said.
    let r = Scanner::new().scan_bytes("cut.exe", &d[..d.len() - 200]);
    let a = rar(&r.root);
    assert!(
        a.info.errors.iter().any(|e| e.kind() == "truncated"),
        "{:?}",
        a.info.errors
    );
    assert!(!a.children.is_empty());
}

#[test]
fn rar5_sfx_lists_and_checks_stored_files() {
    let Some(d) = sample("sfx/winrar_sfx_rar5.exe") else {
        return;
    };
    let r = Scanner::new().scan_bytes("sfx.exe", &d);
    let a = rar(&r.root);
    assert!(a.info.errors.is_empty(), "{:?}", a.info.errors);
    let t = a.find("test.txt.txt").expect("test.txt.txt");
    assert_eq!(t.info.size, 3);
    assert_eq!(t.info.verified_by, [Check::RarCrc32]);
}

/// The parser alone, pulled to the end without a scan: the entries,
/// their checks and the node's notes come from the format, nothing
/// from the engine.
#[test]
fn listing_without_the_engine() {
    use crate::formats::container::{list, Listed};
    let Some(d) = sample("sfx/winrar_sfx_rar4.exe") else {
        return;
    };
    let at = memchr::memmem::find(&d, RAR4_MAGIC).expect("sig");
    let archive = &d[at..];
    let limits = installsift_model::Limits::default();
    let l = list(open, archive, &limits, usize::MAX);
    assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
    assert_eq!(l.notes.evidence[0].signal, "rar-signature");
    let mut names: Vec<&str> = l.entries.iter().map(|e| e.0.as_str()).collect();
    names.sort();
    assert_eq!(names, ["test.txt", "testdir/test.txt", "testshortcut.lnk"]);
    let t = l.entries.iter().find(|e| e.0 == "test.txt").expect("t");
    assert_eq!(t.1.verified_by, [Check::RarCrc32]);
    assert!(matches!(t.2, Listed::Slice { len: 16, .. }));
    let Some(Metadata::Rar(info)) = &l.parsed.metadata else {
        panic!("rar metadata")
    };
    // Two stored files; the shortcut is compressed, decoded by the parser.
    assert_eq!(
        (
            info.rar_version,
            info.entries,
            info.stored_entries,
            info.decoded_entries
        ),
        (4, 3, 2, 1)
    );
    let lnk = l.entries.iter().find(|e| e.0 == "testshortcut.lnk");
    assert!(
        matches!(&lnk.expect("lnk").2, Listed::Decoded(Ok(b)) if b.len() == 441 && b.starts_with(b"L\0\0\0")),
        "{lnk:?}"
    );
    // Stopped after one entry (as the engine does at a limit): the
    // entries not reached are not reported as a cut archive.
    let l = list(open, archive, &limits, 1);
    assert_eq!(l.entries.len(), 1);
    assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
    // Pulled to the end of an archive cut before its end block: said.
    let l = list(open, &archive[..archive.len() - 7], &limits, usize::MAX);
    assert_eq!(l.entries.len(), 3);
    assert!(l.notes.errors[0].to_string().contains("end-of-archive"));
}

#[test]
fn hostile_headers_end_the_walk() {
    for d in [
        &b"Rar!\x1a\x07\x00\x00"[..],
        b"Rar!\x1a\x07\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        b"Rar!\x1a\x07\x00\x00\x00\x74\x00\x80\x07\x00",
    ] {
        let r = Scanner::new().scan_bytes("x.rar", d);
        assert_eq!(r.root.info.format, Format::Rar);
        assert!(!r.root.info.errors.is_empty());
        assert_eq!(r.stats.panics, 0);
    }
}

#[test]
fn mutated_samples_do_not_panic() {
    let mut seeds = Vec::new();
    for s in [
        "sfx/winrar_sfx_rar4.exe",
        "sfx/winrar_sfx_rar5.exe",
        "rar/rar5_solid.rar",
        "rar/rar5_win32.rar",
        "rar/rar5_compressed.rar",
    ] {
        if let Some(d) = sample(s) {
            // The archive only: the SFX stub is not what is tested.
            let at = memchr::memmem::find(&d, b"Rar!\x1a\x07").expect("sig");
            seeds.push(d[at..].to_vec());
        }
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in &seeds {
        for _ in 0..1000 {
            let mut d = seed.clone();
            for _ in 0..1 + next() % 6 {
                let i = 8 + (next() % (d.len() as u64 - 8)) as usize;
                d[i] = next() as u8;
            }
            if next() % 4 == 0 {
                let keep = (next() % d.len() as u64) as usize;
                d.truncate(keep);
            }
            let r = Scanner::new().scan_bytes("m.rar", &d);
            assert_eq!(r.stats.panics, 0);
            if d.len() >= 8 {
                assert_eq!(r.root.info.format, Format::Rar);
            }
        }
    }
}

/// The RAR 5 archive node of a corpus sample.
fn rar5(rel: &str, limits: Option<installsift_model::Limits>) -> Node {
    let d = sample(rel).expect("sample");
    let s = match limits {
        Some(l) => Scanner::new().with_limits(l),
        None => Scanner::new(),
    };
    s.scan_bytes(rel, &d).root
}

fn rar_info(n: &Node) -> &RarInfo {
    match &n.info.metadata {
        Some(Metadata::Rar(i)) => i,
        other => panic!("rar metadata: {other:?}"),
    }
}

#[test]
fn rar5_compressed_and_solid_files_are_decoded_and_checked() {
    // Seven files in one solid stream (methods and filters as WinRAR chose).
    for (rel, n) in [
        ("rar/rar5_solid.rar", 7),
        ("rar/rar5_win32.rar", 7),
        ("rar/rar5_multiple_files_solid.rar", 4),
        ("rar/rar5_compressed.rar", 1),
        ("rar/rar5_arm.rar", 1),
    ] {
        let a = rar5(rel, None);
        assert!(a.info.errors.is_empty(), "{rel}: {:?}", a.info.errors);
        assert_eq!(a.children.len(), n, "{rel}");
        for c in &a.children {
            assert!(c.info.errors.is_empty(), "{rel}: {:?}", c.info.errors);
            assert_eq!(c.info.verified_by, [Check::RarCrc32], "{rel}");
            assert!(c.info.sha256.is_some());
        }
        assert_eq!(rar_info(&a).decoded_entries, n as u64, "{rel}");
    }
}

#[test]
fn rar5_damage_in_a_solid_stream_is_never_a_quiet_hash() {
    let d = sample("rar/rar5_solid.rar").expect("sample");
    // Every byte of the first file's packed data in turn (a few of them).
    let first = rar5("rar/rar5_solid.rar", None);
    let entry = first.children[0].info.entry.as_ref().expect("entry");
    let (at, packed) = (
        entry.offset.expect("offset") as usize,
        entry.compressed_size.expect("packed") as usize,
    );
    let mut broken_chains = 0;
    for k in (0..packed).step_by(7) {
        let mut bad = d.clone();
        bad[at + k] ^= 0x5A;
        let r = Scanner::new().scan_bytes("bad.rar", &bad);
        assert_eq!(r.stats.panics, 0);
        for c in &r.root.children {
            // Each file either checks out or says what went wrong.
            assert!(
                c.info.verified_by == [Check::RarCrc32] || !c.info.errors.is_empty(),
                "byte {k}: {:?} unverified without an error",
                c.info.path
            );
        }
        if r.root.children.iter().any(|c| {
            c.info.sha256.is_none() && c.info.errors.iter().any(|e| e.message().contains("solid"))
        }) {
            broken_chains += 1;
        }
    }
    // A file that fails to decode leaves the stream's later files missing,
    // saying why (the byte flips above include such failures).
    assert!(broken_chains > 0);
}

#[test]
fn rar5_dictionary_past_the_limit_is_a_limit_error() {
    let limits = installsift_model::Limits {
        max_dictionary: 1000,
        ..Default::default()
    };
    let a = rar5("rar/rar5_compressed.rar", Some(limits));
    let c = &a.children[0];
    assert!(c.info.sha256.is_none());
    assert_eq!(
        c.info.errors[0].limit_hit(),
        Some(installsift_model::Limit::MaxDictionary),
        "{:?}",
        c.info.errors
    );
}

#[test]
fn rar5_damaged_streams_are_errors_on_their_files() {
    for (rel, says) in [
        ("rar/rar5_bad_tables.rar", "over-subscribed"),
        ("rar/rar5_bad_loop_bug.rar", "filter region"),
    ] {
        let a = rar5(rel, None);
        let c = &a.children[0];
        assert!(c.info.sha256.is_none() || !c.info.errors.is_empty());
        assert!(
            c.info
                .errors
                .iter()
                .any(|e| e.kind() == "malformed" && e.message().contains(says)),
            "{rel}: {:?}",
            c.info.errors
        );
    }
    // A match reaching before the first byte (libarchive's fuzz case; its
    // headers are damaged too): errors, no quiet file.
    let a = rar5("rar/rar5_bad_dict_reference.rar", None);
    assert!(!a.info.errors.is_empty() || a.children.iter().all(|c| !c.info.errors.is_empty()));
}

#[test]
fn rar5_links_are_counted_and_versions_named() {
    let a = rar5("rar/rar5_symlink.rar", None);
    let names = child_names(&a);
    assert_eq!(names, ["file.txt"]);
    assert_eq!(rar_info(&a).links, 2);
    let a = rar5("rar/rar5_extra_field_version.rar", None);
    let mut names = child_names(&a);
    names.sort();
    assert_eq!(names, ["bin/2to3", "bin/2to3;1"]);
}

#[test]
fn rar5_blake2sp_hash_records_are_checked() {
    let a = rar5("rar/rar5_blake2.rar", None);
    let c = &a.children[0];
    assert!(c.info.errors.is_empty(), "{:?}", c.info.errors);
    assert_eq!(c.info.verified_by, [Check::RarBlake2sp]);
    // The stored hash changed: a checksum error, the decoded bytes kept.
    let d = sample("rar/rar5_blake2.rar").expect("sample");
    let r = Scanner::new().scan_bytes("x.rar", &d);
    let want = r.root.children[0].info.sha256;
    let hash_at = d.len() - 8 - 534 - 32; // before the 534 packed bytes and the end block
    let mut bad = d.clone();
    bad[hash_at] ^= 1;
    let r = Scanner::new().scan_bytes("bad.rar", &bad);
    let c = &r.root.children[0];
    assert!(
        c.info
            .errors
            .iter()
            .any(|e| e.kind() == "checksum" && e.message().contains("BLAKE2sp")),
        "{:?} {:?}",
        c.info.errors,
        r.root.info.errors
    );
    assert_eq!(c.info.sha256, want);
}

/// RAR 4 keeps the packer's local DOS time (no zone): 2011-08-18 12:11:24
/// as `bsdtar -tv` shows it. (RAR 5's UTC times are compared with bsdtar's
/// in `tests/it/mtime.rs`.)
#[test]
fn rar4_entry_times_are_local_dos_times() {
    let d = sample("sfx/winrar_sfx_rar4.exe").expect("sample");
    let r = Scanner::new().scan_bytes("sfx.exe", &d);
    let t = rar(&r.root).find("test.txt").expect("test.txt");
    let m = t.info.entry.as_ref().and_then(|e| e.mtime).expect("mtime");
    assert_eq!((m.secs, m.utc), (1_313_669_484, false));
}

/// Limits with a ratio high enough for libarchive's two highly repetitive
/// RAR 4 test files (20 MB from 19.8 KB; 241 MB from 176 KB).
fn repetitive() -> installsift_model::Limits {
    installsift_model::Limits {
        max_ratio: 2000,
        ..Default::default()
    }
}

#[test]
fn rar4_compressed_files_are_decoded_and_checked() {
    // WinRAR 3.x/4.x archives: LZ (normal), PPMd blocks (best), DELTA and
    // E8E9 filters, several LZ tables in one file, low-distance repeats
    // across tables, Unicode names, an SFX's archive.
    for (rel, n, limits) in [
        ("rar/rar4_normal.rar", 3, None),
        ("rar/rar4_best_ppmd.rar", 3, None),
        // Hand-made: the first PPMd block declares a 256 MiB model.
        ("rar/rar4_ppmd_256mib_model.rar", 3, None),
        ("rar/rar4_filters.rar", 1, None),
        ("rar/rar4_multi_lzss_blocks.rar", 1, Some(repetitive())),
        ("rar/rar4_lowdist_reset.rar", 1, None),
        ("rar/rar4_windows.rar", 3, None),
        ("rar/rar4_unicode.rar", 3, None),
    ] {
        let a = rar5(rel, limits);
        assert!(a.info.errors.is_empty(), "{rel}: {:?}", a.info.errors);
        assert_eq!(a.children.len(), n, "{rel}");
        for c in &a.children {
            assert!(c.info.errors.is_empty(), "{rel}: {:?}", c.info.errors);
            assert_eq!(c.info.verified_by, [Check::RarCrc32], "{rel}");
            assert!(c.info.sha256.is_some());
        }
        let i = rar_info(&a);
        assert_eq!(i.decoded_entries + i.stored_entries, n as u64, "{rel}");
        assert!(
            i.decoded_entries > 0 || rel.ends_with("windows.rar"),
            "{rel}"
        );
    }
    // The SFX's one compressed file (a Windows shortcut), = bsdtar.
    let d = sample("sfx/winrar_sfx_rar4.exe").expect("sample");
    let r = Scanner::new().scan_bytes("sfx.exe", &d);
    let lnk = rar(&r.root).find("testshortcut.lnk").expect("lnk");
    assert_eq!(lnk.info.verified_by, [Check::RarCrc32]);
    assert_eq!(lnk.info.size, 441);
}

/// The 64 bytes libarchive's own test (`test_read_format_rar3_lowdist_reset`
/// at 4fe6c584b6e5) expects; bsdtar 3.6.2 fails on this file.
#[test]
fn rar4_low_distance_repeats_end_with_their_table() {
    let want: Vec<u8> = (0u8..0x28)
        .chain([2, 3, 4, 5, 6, 7, 0x0d, 0x0e, 0x0f])
        .chain(0x28..0x37)
        .collect();
    assert_eq!(want.len(), 64);
    let a = rar5("rar/rar4_lowdist_reset.rar", None);
    let c = &a.children[0];
    assert_eq!(
        c.info.path.last().map(String::as_str),
        Some("lowdist-reset.bin")
    );
    assert_eq!(
        c.info.sha256,
        Some(installsift_model::hash::Sha256::digest(&want))
    );
}

/// WinRAR switches from PPMd to LZ and back within one file, the later
/// PPMd blocks keeping the model (a new range decoder over it). 241 MB
/// decoded; the file's CRC-32 must hold (bsdtar 3.6.2 fails here).
#[test]
fn rar4_ppmd_blocks_that_keep_their_model_are_decoded() {
    let a = rar5("rar/rar4_ppmd_lzss_conversion.rar", Some(repetitive()));
    let c = &a.children[0];
    assert!(c.info.errors.is_empty(), "{:?}", c.info.errors);
    assert_eq!(c.info.size, 241_647_978);
    assert_eq!(c.info.verified_by, [Check::RarCrc32]);
}

#[test]
fn rar4_damage_is_never_a_quiet_hash() {
    for rel in ["rar/rar4_best_ppmd.rar", "rar/rar4_filters.rar"] {
        let d = sample(rel).expect("sample");
        let first = rar5(rel, None);
        let entry = first.children[0].info.entry.as_ref().expect("entry");
        let (at, packed) = (
            entry.offset.expect("offset") as usize,
            entry.compressed_size.expect("packed") as usize,
        );
        let mut failed = 0;
        for k in (0..packed).step_by(packed / 23 + 1) {
            let mut bad = d.clone();
            bad[at + k] ^= 0x5A;
            let r = Scanner::new().scan_bytes("bad.rar", &bad);
            assert_eq!(r.stats.panics, 0);
            for c in &r.root.children {
                assert!(
                    c.info.verified_by == [Check::RarCrc32] || !c.info.errors.is_empty(),
                    "{rel} byte {k}: {:?} unverified without an error",
                    c.info.path
                );
            }
            failed += usize::from(!r.root.children[0].info.errors.is_empty());
        }
        assert!(failed > 0, "{rel}");
    }
}

#[test]
fn rar4_limits_bound_the_window_and_the_ppmd_model() {
    // The window a file needs (its size, at most 4 MiB).
    let a = rar5(
        "rar/rar4_filters.rar",
        Some(installsift_model::Limits {
            max_dictionary: 1000,
            ..Default::default()
        }),
    );
    let c = &a.children[0];
    assert!(c.info.sha256.is_none());
    assert_eq!(
        c.info.errors[0].limit_hit(),
        Some(installsift_model::Limit::MaxDictionary)
    );
    // A PPMd model of 8 MiB (the block's own memory field) past 1 MiB.
    let a = rar5(
        "rar/rar4_best_ppmd.rar",
        Some(installsift_model::Limits {
            max_dictionary: 1 << 20,
            ..Default::default()
        }),
    );
    let hit: Vec<_> = a
        .children
        .iter()
        .flat_map(|c| c.info.errors.iter())
        .filter(|e| e.limit_hit() == Some(installsift_model::Limit::MaxDictionary))
        .collect();
    assert!(!hit.is_empty(), "{:?}", a.children);
    assert!(hit[0].message().contains("PPMd"), "{hit:?}");
}

#[test]
fn rar4_links_encryption_and_damage_are_said() {
    // A Unix symbolic link is counted, not a file.
    let a = rar5("rar/rar4_links.rar", None);
    let mut names = child_names(&a);
    names.sort();
    assert_eq!(names, ["test.txt", "testdir/test.txt"]);
    assert_eq!(rar_info(&a).links, 1);
    // Two of four files encrypted: those two missing, the others checked.
    let a = rar5("rar/rar4_partly_encrypted.rar", None);
    let enc: Vec<_> = a
        .children
        .iter()
        .filter(|c| c.info.entry.as_ref().is_some_and(|e| e.encrypted))
        .collect();
    assert_eq!(enc.len(), 2);
    assert_eq!(
        a.children
            .iter()
            .filter(|c| c.info.verified_by == [Check::RarCrc32])
            .count(),
        2
    );
    // Headers encrypted: said, nothing listed.
    let a = rar5("rar/rar4_header_encrypted.rar", None);
    assert!(rar_info(&a).header_encrypted);
    assert_eq!(a.info.errors[0].kind(), "encrypted", "{:?}", a.info.errors);
    assert!(a.children.is_empty());
    // A DELTA filter of 0 channels (libarchive's fuzz case).
    let a = rar5("rar/rar4_bad_unbound_staticdata.rar", None);
    let c = &a.children[0];
    assert!(c.info.sha256.is_none() || !c.info.errors.is_empty());
    assert!(
        c.info.errors.iter().any(|e| e.message().contains("DELTA")),
        "{:?}",
        c.info.errors
    );
}
