//! The engine over `nsis`: scans of real and damaged samples.

use crate::Format;
use installsift_formats::nsis::*;

/// The first header of `nsis/zlib.exe`: (whole file, header offset).
fn zlib_sample() -> (Vec<u8>, usize) {
    let file = crate::test_support::sample("nsis/zlib.exe").unwrap_or_default();
    let at = memchr::memmem::find(&file, SIGNATURE).expect("signature") - 4;
    (file, at)
}

fn nsis_node(r: &crate::Report) -> &crate::report::Node {
    r.root
        .children
        .iter()
        .find(|c| c.info.format == Format::Nsis)
        .expect("nsis overlay")
}

#[test]
fn the_crc_covers_the_exehead_from_512_and_the_data() {
    // The CRC itself, byte by byte, is tested beside the parser
    // (`exehead_crc_covers_the_exehead_from_512_and_the_data`).
    let (mut file, _) = zlib_sample();
    let r = crate::Scanner::new().scan_bytes("t", &file);
    assert_eq!(
        nsis_node(&r).info.verified_by,
        [installsift_model::Check::NsisCrc32]
    );
    // A byte of the exehead past 512 is covered.
    file[600] ^= 1;
    let r = crate::Scanner::new().scan_bytes("t", &file);
    let n = nsis_node(&r);
    assert!(n.info.verified_by.is_empty());
    assert!(
        n.info.errors.iter().any(|e| e.kind() == "checksum"),
        "{:?}",
        n.info.errors
    );
    // Files still listed with their bytes: the check covers stored data.
    assert!(n.children.len() > 40);
}

#[test]
fn damaged_first_header_keeps_the_format_and_says_why() {
    let (file, at) = zlib_sample();
    let full = crate::Scanner::new().scan_bytes("t", &file);
    let files = nsis_node(&full).children.len();
    let cases: [(&str, usize, &[u8], &str); 4] = [
        ("flags", 0, b"\xff\xff\x00\x10", "malformed"),
        ("sizes", 20, b"\0\0\0\0\xff\xff\xff\x7f", "malformed"),
        ("signature", 8, b"NotNullInstX", "malformed"),
        ("1.x signature", 4, SIGNATURE_1X, "unsupported"),
    ];
    for (what, off, bytes, kind) in cases {
        let mut d = file.clone();
        d[at + off..at + off + bytes.len()].copy_from_slice(bytes);
        let r = crate::Scanner::new().scan_bytes("t", &d);
        let n = nsis_node(&r);
        assert_eq!(
            n.info.family,
            Some(installsift_model::Family::Nsis),
            "{what}"
        );
        assert_eq!(
            r.root.info.family,
            Some(installsift_model::Family::Nsis),
            "{what}"
        );
        assert!(
            n.info.errors.iter().any(|e| e.kind() == kind),
            "{what}: {:?}",
            n.info.errors
        );
        let version = r
            .root
            .info
            .installer
            .as_ref()
            .and_then(|i| i.engine_version.clone());
        if what == "1.x signature" {
            assert_eq!(version.as_deref(), Some("1.x"));
        } else {
            assert_eq!(n.children.len(), files, "{what}: files still listed");
            assert_eq!(version.as_deref(), Some("3.08-3+deb12u1"), "{what}");
        }
    }
}

/// Deterministic mutations of the NSIS data of real samples (bytes
/// changed near the headers and at random, truncations): no panic, and
/// the node stays `nsis` while its first header is intact.
#[test]
fn mutations_never_panic() {
    use crate::{Limits, Scanner};
    let limits = Limits {
        max_entry_size: 8 << 20,
        max_total_unpacked: 32 << 20,
        ..Limits::default()
    };
    let scanner = Scanner::new().with_limits(limits);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for rel in [
        "nsis/zlib.exe",
        "nsis/bzip2_solid.exe",
        "nsis/lzma.exe",
        "nsis/lzma_solid.exe",
    ] {
        let Some(file) = crate::test_support::sample(rel) else {
            continue;
        };
        let at = (0..file.len() / 512)
            .map(|k| k * 512)
            .find(|&o| sniff(&file[o..]))
            .expect("first header on a 512-byte boundary");
        let data = &file[at..];
        for i in 0..150 {
            let mut d = data.to_vec();
            for _ in 0..1 + next() % 6 {
                let r = next() as usize;
                let pos = if i % 2 == 0 { 28 + r % 64 } else { r % d.len() };
                if let Some(b) = d.get_mut(pos) {
                    *b ^= 1 << (next() % 8);
                }
            }
            if i % 5 == 0 {
                d.truncate(next() as usize % d.len());
            }
            let report = scanner.scan_bytes("m", &d);
            assert_eq!(report.stats.panics, 0, "{rel} mutation {i}");
        }
    }
}
