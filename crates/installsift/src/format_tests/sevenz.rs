//! The engine over `sevenz`: scans of real and damaged samples.

use crate::formats::Metadata;
use crate::report::Node;
use crate::test_support::*;
use crate::Scanner;
use crate::{Check, Format, Limits};
use installsift_formats::sevenz::*;

fn info(n: &Node) -> &SevenZInfo {
    match &n.info.metadata {
        Some(Metadata::SevenZ(z)) => z,
        other => panic!("no 7z metadata: {other:?}"),
    }
}

fn names(n: &Node) -> Vec<String> {
    let mut v: Vec<String> = n
        .children
        .iter()
        .map(|c| c.info.path.last().cloned().unwrap_or_default())
        .collect();
    v.sort();
    v
}

#[test]
fn damaged_packed_data_is_an_error_on_the_entries() {
    let Some(mut d) = sample("7z/lzma2.7z") else {
        return;
    };
    // Packed data starts right after the 32-byte signature header; the
    // header (at the end) stays intact.
    for b in d.iter_mut().skip(32 + 40).take(64) {
        *b ^= 0x5A;
    }
    let r = Scanner::new().scan_bytes("damaged.7z", &d);
    assert_eq!(r.stats.panics, 0);
    let bad: Vec<&Node> = r
        .root
        .children
        .iter()
        .filter(|c| !c.info.errors.is_empty())
        .collect();
    assert!(!bad.is_empty(), "no entry reports the damage");
    assert!(
        r.root
            .children
            .iter()
            .all(|c| c.info.errors.is_empty() || c.info.sha256.is_none()),
        "an entry with an error still has hashes"
    );
}

#[test]
fn solid_sample_unpacks_every_file_once() {
    let Some(d) = sample("7z/lzma2.7z") else {
        return;
    };
    let r = Scanner::new().scan_bytes("lzma2.7z", &d);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    assert_eq!(
        names(&r.root),
        [
            "bin/hello.exe",
            "config.ini",
            "docs/license.txt",
            "readme.txt"
        ]
    );
    let z = info(&r.root);
    assert_eq!((z.entries, z.directories, z.declared_size), (4, 2, 19424));
    assert!(r
        .root
        .children
        .iter()
        .all(|c| c.info.sha256.is_some() && c.info.errors.is_empty()));
    // Decoded once: the unpacked total is the sum of the entries.
    assert_eq!(r.stats.unpacked_bytes, 19424);
    assert_eq!(
        r.root.find("bin/hello.exe").map(|n| n.info.format),
        Some(Format::Pe)
    );
}

#[test]
fn encrypted_data_is_listed_as_missing() {
    let Some(d) = sample("7z/enc_data.7z") else {
        return;
    };
    let r = Scanner::new().scan_bytes("enc_data.7z", &d);
    assert_eq!(r.root.children.len(), 4);
    for c in &r.root.children {
        assert!(c.info.sha256.is_none());
        assert_eq!(c.info.errors[0].kind(), "encrypted");
        assert!(c.info.entry.as_ref().is_some_and(|e| e.encrypted));
    }
    assert_eq!(info(&r.root).encrypted_entries, 4);
}

#[test]
fn encrypted_header_cannot_be_listed() {
    let Some(d) = sample("7z/enc_header.7z") else {
        return;
    };
    let r = Scanner::new().scan_bytes("enc_header.7z", &d);
    assert_eq!(r.root.info.format, Format::SevenZ);
    assert!(r.root.children.is_empty());
    assert_eq!(r.root.info.errors[0].kind(), "encrypted");
    assert!(info(&r.root).header_encrypted);
}

#[test]
fn truncated_archive_has_lost_its_header() {
    let Some(d) = sample("7z/lzma2.7z") else {
        return;
    };
    let r = Scanner::new().scan_bytes("cut.7z", &d[..d.len() * 7 / 10]);
    assert_eq!(r.root.info.format, Format::SevenZ);
    assert!(r.root.children.is_empty());
    assert_eq!(
        r.root.info.errors[0].kind(),
        "truncated",
        "{:?}",
        r.root.info.errors
    );
}

#[test]
fn corrupt_block_keeps_the_other_block() {
    let Some(mut d) = sample("7z/lzma2.7z") else {
        return;
    };
    // Packed streams start right after the 32-byte signature header; the
    // first one is the text files' block.
    for b in &mut d[40..48] {
        *b ^= 0xA5;
    }
    let r = Scanner::new().scan_bytes("bad.7z", &d);
    assert_eq!(r.root.children.len(), 4);
    assert!(r.root.children.iter().any(|c| !c.info.errors.is_empty()));
    let exe = r.root.find("bin/hello.exe").expect("hello.exe");
    assert!(
        exe.info.sha256.is_some() && exe.info.errors.is_empty(),
        "{:?}",
        exe.info.errors
    );
}

#[test]
fn entry_limit_abandons_the_rest_of_the_block() {
    let Some(d) = sample("7z/lzma2.7z") else {
        return;
    };
    let limits = Limits {
        max_entry_size: 1000,
        ..Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("lzma2.7z", &d);
    assert_eq!(r.root.children.len(), 4);
    let config = r.root.find("config.ini").expect("config.ini");
    assert!(config.info.sha256.is_some());
    for name in ["docs/license.txt", "readme.txt", "bin/hello.exe"] {
        let n = r.root.find(name).expect(name);
        assert!(n.info.sha256.is_none(), "{name}");
        assert_eq!(
            n.info.errors[0].kind(),
            "limit-exceeded",
            "{name}: {:?}",
            n.info.errors
        );
    }
}

fn scan(d: &[u8]) -> crate::Report {
    let r = Scanner::new().scan_bytes("t.7z", d);
    assert_eq!(r.stats.panics, 0);
    r
}

fn kinds(n: &Node) -> Vec<&'static str> {
    n.info.errors.iter().map(|e| e.kind()).collect()
}

#[test]
fn damaged_start_header_stays_7z_and_lists_what_it_can() {
    let Some(d) = sample("7z/lzma2.7z") else {
        return;
    };
    let good = scan(&d);
    // A flipped bit in the next-header offset: the start header CRC fails,
    // the offset it gives is wrong, the header is found by search.
    let mut flipped = d.clone();
    flipped[12] ^= 1;
    // The CRC itself damaged: the fields are still right.
    let mut crc = d.clone();
    crc[9] ^= 0x10;
    // Never finished: 7-Zip writes the start header last.
    let mut zeroed = d.clone();
    zeroed[8..32].fill(0);
    for (what, m, kind) in [
        ("offset", &flipped, "checksum"),
        ("crc", &crc, "checksum"),
        ("zeroed", &zeroed, "truncated"),
    ] {
        let r = scan(m);
        assert_eq!(r.root.info.format, Format::SevenZ, "{what}");
        assert_eq!(kinds(&r.root), [kind], "{what}: {:?}", r.root.info.errors);
        assert!(
            r.root.info.errors[0].to_string().contains("offset 8"),
            "{what}: {}",
            r.root.info.errors[0]
        );
        assert_eq!(names(&r.root), names(&good.root), "{what}");
        for (a, b) in r.root.children.iter().zip(&good.root.children) {
            assert_eq!(a.info.sha256, b.info.sha256, "{what}");
        }
    }
    // Cut inside the signature header: a 7z, cut short.
    for n in [11, 23, 28] {
        let r = scan(&d[..n]);
        assert_eq!(r.root.info.format, Format::SevenZ, "{n}");
        assert_eq!(kinds(&r.root), ["truncated"], "{n}");
    }
    // Nothing else to go on: still a 7z, with the damage said.
    let mut lost = zeroed.clone();
    let n = lost.len();
    lost[n - 40..].fill(0);
    let r = scan(&lost);
    assert_eq!(r.root.info.format, Format::SevenZ);
    assert!(r.root.children.is_empty());
    assert_eq!(
        kinds(&r.root),
        ["truncated", "malformed"],
        "{:?}",
        r.root.info.errors
    );
}

#[test]
fn sfx_with_damaged_start_header_keeps_its_7z() {
    let Some(mut d) = sample("sfx/7z_sfx_config.exe") else {
        return;
    };
    // The stub holds the signature too (followed by version 0.0); the
    // archive is the last one.
    let at = memchr::memmem::rfind(&d, b"7z\xBC\xAF\x27\x1C").expect("7z");
    d[at + 12] ^= 1;
    let r = Scanner::new().scan_bytes("sfx.exe", &d);
    let z = r
        .root
        .children
        .iter()
        .find(|c| c.info.format == Format::SevenZ);
    let z = z.expect("the overlay is still a 7z");
    assert_eq!(kinds(z), ["checksum"], "{:?}", z.info.errors);
    assert_eq!(names(z), ["config.ini", "readme.txt"]);
}

#[test]
fn crc_mismatch_keeps_the_bytes_and_says_so() {
    let Some(d) = sample("7z/copy_plain_header.7z") else {
        return;
    };
    let good = scan(&d);
    for c in &good.root.children {
        assert_eq!(
            c.info.verified_by,
            [Check::SevenZCrc32],
            "{:?}",
            c.info.path
        );
    }
    assert!(
        good.root.info.errors.is_empty(),
        "{:?}",
        good.root.info.errors
    );
    // config.ini (211 bytes, Copy coder) starts the packed streams at 32.
    let mut bad = d.clone();
    bad[40] ^= 0x20;
    let r = scan(&bad);
    let config = r.root.find("config.ini").expect("config.ini");
    assert_eq!(kinds(config), ["checksum"], "{:?}", config.info.errors);
    assert!(
        config.info.sha256.is_some()
            && config.info.sha256 != good.root.find("config.ini").unwrap().info.sha256
    );
    assert_eq!(config.info.size, 211);
    assert!(config.info.verified_by.is_empty());
    let readme = r.root.find("readme.txt").expect("readme.txt");
    assert_eq!(readme.info.verified_by, [Check::SevenZCrc32]);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    // The recorded CRC damaged instead: the header's CRC fails (said on
    // the archive, read anyway) and config.ini no longer matches.
    let at = memchr::memmem::find(&d, &0x390A_96E3u32.to_le_bytes()).expect("crc");
    let mut bad = d.clone();
    bad[at] ^= 1;
    let r = scan(&bad);
    assert_eq!(kinds(&r.root), ["checksum"], "{:?}", r.root.info.errors);
    assert!(r.root.info.errors[0]
        .to_string()
        .contains("next header at offset"));
    let config = r.root.find("config.ini").expect("config.ini");
    assert_eq!(
        config.info.sha256,
        good.root.find("config.ini").unwrap().info.sha256
    );
    assert_eq!(kinds(config), ["checksum"]);
}
