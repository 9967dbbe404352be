//! The engine over `zip`: scans of real and damaged samples.

use crate::formats::{le_u16, le_u32, Metadata};
use crate::report::Node;
use crate::test_support::*;
use crate::Scanner;
use crate::{Check, Format};
use installsift_formats::zip::*;

/// A stored zip of these entries, written by hand (names may repeat):
/// local headers, central records, end record.
pub(crate) fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let crc = crc32fast::hash(data);
        let lho = out.len() as u32;
        let fixed = |sig: u32, v: &mut Vec<u8>| {
            v.extend_from_slice(&sig.to_le_bytes());
        };
        fixed(0x0403_4b50, &mut out);
        for x in [20u16, 0, 0, 0, 0] {
            out.extend_from_slice(&x.to_le_bytes());
        }
        for x in [crc, data.len() as u32, data.len() as u32] {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        fixed(0x0201_4b50, &mut central);
        for x in [20u16, 20, 0, 0, 0, 0] {
            central.extend_from_slice(&x.to_le_bytes());
        }
        for x in [crc, data.len() as u32, data.len() as u32] {
            central.extend_from_slice(&x.to_le_bytes());
        }
        for x in [name.len() as u16, 0, 0, 0, 0] {
            central.extend_from_slice(&x.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&lho.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for x in [0u16, 0, entries.len() as u16, entries.len() as u16] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// The parser alone, without a scan: a record the crate drops (a
/// repeated name) is still listed, both decode and are checked, and a
/// record whose local header offset points at no local header is a
/// missing entry that says so, not a dropped one.
#[test]
fn listing_without_the_engine() {
    use crate::formats::container::{list, Listed};
    let limits = installsift_model::Limits::default();
    let d = stored_zip(&[("a.txt", b"first"), ("a.txt", b"second"), ("b", b"")]);
    let l = list(open, &d, &limits, usize::MAX);
    assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
    let got: Vec<(&str, Option<&[u8]>)> = l
        .entries
        .iter()
        .map(|(n, _, data)| match data {
            Listed::Decoded(Ok(b)) => (n.as_str(), Some(b.as_slice())),
            _ => (n.as_str(), None),
        })
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    for want in [&b"first"[..], b"second", b""] {
        assert!(got.iter().any(|(_, b)| *b == Some(want)), "{got:?}");
    }
    assert!(l
        .entries
        .iter()
        .all(|(_, i, _)| i.verified_by == [Check::ZipCrc32]));
    assert!(l
        .notes
        .evidence
        .iter()
        .any(|e| e.signal == "zip-duplicate-names"));
    // The record the crate drops (the first of the two: it keeps the
    // last) with its local header offset (at 42 in the record) pointing
    // at the central directory itself.
    let cd = usize::try_from(le_u32(&d, d.len() - 6).expect("cd")).expect("fits");
    let mut bad = d.clone();
    bad[cd + 42..cd + 46].copy_from_slice(&(cd as u32).to_le_bytes());
    let l = list(open, &bad, &limits, usize::MAX);
    let missing = l.entries.iter().find_map(|(_, _, data)| match data {
        Listed::Missing { error, .. } => Some(error.to_string()),
        _ => None,
    });
    assert!(
        missing
            .as_deref()
            .is_some_and(|m| m.contains("no local file header where it points")),
        "{:?}",
        l.entries
    );
    // Stopped by the engine after one entry: the listing is not
    // reported as damaged.
    let l = list(open, &d, &limits, 1);
    assert_eq!(l.entries.len(), 1);
    assert!(l.notes.errors.is_empty());
}

fn names(n: &Node) -> Vec<String> {
    n.children
        .iter()
        .map(|c| c.info.path.last().cloned().unwrap_or_default())
        .collect()
}

fn info(n: &Node) -> &ZipInfo {
    match &n.info.metadata {
        Some(Metadata::Zip(z)) => z,
        other => panic!("no zip metadata: {other:?}"),
    }
}

#[test]
fn deflate_sample_lists_files_not_directories() {
    let Some(d) = sample("zip/deflate.zip") else {
        return;
    };
    let r = Scanner::new().scan_bytes("deflate.zip", &d);
    assert_eq!(r.root.info.format, Format::Zip);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    assert_eq!(
        names(&r.root),
        [
            "readme.txt",
            "config.ini",
            "docs/license.txt",
            "bin/hello.exe"
        ]
    );
    let z = info(&r.root);
    assert_eq!(
        (z.entries, z.directories, z.central_directory),
        (4, 2, true)
    );
    assert_eq!(z.methods, ["deflate"]);
    for c in &r.root.children {
        assert!(c.info.errors.is_empty(), "{:?}", c.info.errors);
        assert!(c.info.sha256.is_some());
    }
    let exe = r.root.find("bin/hello.exe").expect("hello.exe");
    assert_eq!(exe.info.format, Format::Pe);
    assert_eq!(exe.info.size, 14848);
}

#[test]
fn truncated_central_directory_falls_back_to_local_headers() {
    let Some(d) = sample("zip/deflate.zip") else {
        return;
    };
    // Cut inside the data of the last entry (bin/hello.exe): the central
    // directory and that entry's tail are gone.
    let cd = d
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    let cut = &d[..cd - 100];
    let r = Scanner::new().scan_bytes("cut.zip", cut);
    assert_eq!(r.root.info.format, Format::Zip);
    assert!(
        r.root.info.errors.iter().any(|e| e.kind() == "truncated"),
        "{:?}",
        r.root.info.errors
    );
    assert!(!info(&r.root).central_directory);
    assert_eq!(
        names(&r.root),
        [
            "readme.txt",
            "config.ini",
            "docs/license.txt",
            "bin/hello.exe"
        ]
    );
    for c in &r.root.children[..3] {
        assert!(
            c.info.sha256.is_some() && c.info.errors.is_empty(),
            "{:?}",
            c.info.errors
        );
    }
    let last = &r.root.children[3];
    assert!(last.info.sha256.is_none());
    assert_eq!(last.info.errors[0].kind(), "truncated");
    assert_eq!(last.info.size, 14848);
}

#[test]
fn crc_mismatch_keeps_the_bytes_with_a_checksum_error() {
    let Some(mut d) = sample("zip/deflate.zip") else {
        return;
    };
    // First entry is readme.txt; flip a byte of its CRC-32 field (offset
    // 14 of the local header, 16 of its central directory header).
    let cd = d
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    d[14] ^= 0x55;
    d[cd + 16] ^= 0x55;
    let r = Scanner::new().scan_bytes("crc.zip", &d);
    let first = &r.root.children[0];
    // What it decodes to is kept and hashed, vouched for by nothing.
    assert_eq!(first.info.size, 322);
    assert!(first.info.sha256.is_some());
    assert!(first.info.verified_by.is_empty());
    assert_eq!(first.info.errors[0].kind(), "checksum");
    assert!(
        first.info.errors[0].to_string().contains("CRC-32 stored"),
        "{}",
        first.info.errors[0]
    );
    let second = &r.root.children[1];
    assert!(second.info.sha256.is_some());
    assert_eq!(
        second.info.verified_by,
        [installsift_model::Check::ZipCrc32]
    );
}

#[test]
fn encrypted_and_unsupported_entries_do_not_stop_the_listing() {
    let Some(mut d) = sample("zip/stored.zip") else {
        return;
    };
    let cd = d
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    // readme.txt: set the encryption flag (general purpose bit 0) in both headers.
    d[6] |= 1;
    d[cd + 8] |= 1;
    // config.ini (second local header / central entry): method 7 (PKWARE's
    // reserved "tokenizing" method, which nothing decodes; 6, Implode, is
    // decoded since the PKZIP 1.x methods landed).
    let lh2 = d[4..]
        .windows(4)
        .position(|w| w == b"PK\x03\x04")
        .expect("second header")
        + 4;
    let ch2 = d[cd + 4..]
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("second entry")
        + cd
        + 4;
    d[lh2 + 8] = 7;
    d[ch2 + 10] = 7;
    let r = Scanner::new().scan_bytes("odd.zip", &d);
    let c = &r.root.children;
    assert_eq!(c.len(), 4);
    assert!(c[0].info.entry.as_ref().is_some_and(|e| e.encrypted));
    assert_eq!(c[0].info.errors[0].kind(), "encrypted");
    assert_eq!(
        c[1].info.errors[0].kind(),
        "unsupported",
        "{:?}",
        c[1].info.errors
    );
    assert!(c[2].info.sha256.is_some() && c[3].info.sha256.is_some());
    assert_eq!(info(&r.root).encrypted_entries, 1);
}

#[test]
fn offsets_relative_to_a_stub_are_followed() {
    let Some(mut d) = sample("zip/deflate.zip") else {
        return;
    };
    // As `zip -A` leaves an SFX: every central-directory offset counts
    // from a 1000-byte stub that is not part of this node.
    let bump = |d: &mut Vec<u8>, at: usize| {
        let v = u32::from_le_bytes(d[at..at + 4].try_into().unwrap()) + 1000;
        d[at..at + 4].copy_from_slice(&v.to_le_bytes());
    };
    // The end-of-central-directory record: its signature, last in the file.
    let end = memchr::memmem::rfind(&d, b"PK\x05\x06").expect("end record");
    bump(&mut d, end + 16);
    let mut at = d
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory");
    while d[at..].starts_with(b"PK\x01\x02") {
        bump(&mut d, at + 42);
        let var = usize::from(le_u16(&d, at + 28).unwrap())
            + usize::from(le_u16(&d, at + 30).unwrap())
            + usize::from(le_u16(&d, at + 32).unwrap());
        at += 46 + var;
    }
    let r = Scanner::new().scan_bytes("sfx.zip", &d);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    assert_eq!(info(&r.root).base_shift, Some(1000));
    assert_eq!(r.root.children.len(), 4);
    assert!(r.root.children.iter().all(|c| c.info.sha256.is_some()));
}

#[test]
fn every_copy_of_the_crc_is_checked() {
    let Some(d) = sample("zip/deflate.zip") else {
        return;
    };
    // The first local header's CRC (offset 14) disagrees with the
    // central directory's: the data matches the directory, the
    // disagreement is said on the entry.
    let mut bad = d.clone();
    bad[14] ^= 0x01;
    let r = Scanner::new().scan_bytes("local.zip", &bad);
    let first = &r.root.children[0];
    assert_eq!(first.info.verified_by, [Check::ZipCrc32]);
    assert_eq!(first.info.errors.len(), 1, "{:?}", first.info.errors);
    assert_eq!(first.info.errors[0].kind(), "checksum");
    assert!(first.info.errors[0]
        .to_string()
        .contains("local header at offset 0"));
    assert!(r.root.children[1].info.errors.is_empty());

    // Data descriptors (odfpy writes them): each entry's descriptor CRC
    // is checked, and a damaged one is said.
    let Some(odt) = sample("lookalike/odt_odfpy_simplelist.odt") else {
        return;
    };
    let r = Scanner::new().scan_bytes("a.odt", &odt);
    assert!(r
        .root
        .children
        .iter()
        .all(|c| c.info.errors.is_empty() && c.info.verified_by == [Check::ZipCrc32]));
    let at = memchr::memmem::find(&odt, b"PK\x07\x08").expect("a data descriptor");
    let mut bad = odt.clone();
    bad[at + 4] ^= 0x01;
    let r = Scanner::new().scan_bytes("b.odt", &bad);
    let hit: Vec<_> = r
        .root
        .children
        .iter()
        .filter(|c| {
            c.info
                .errors
                .iter()
                .any(|e| e.kind() == "checksum" && e.to_string().contains("data descriptor"))
        })
        .collect();
    assert_eq!(hit.len(), 1, "{:?}", r.root.children);
}

#[test]
fn local_header_listing_checks_crcs_too() {
    let Some(d) = sample("zip/deflate.zip") else {
        return;
    };
    // No end record: listed from the local headers, CRCs still checked.
    let cut = &d[..d.len() - 22];
    let r = Scanner::new().scan_bytes("cut.zip", cut);
    assert!(!info(&r.root).central_directory);
    assert_eq!(r.root.children.len(), 4);
    assert!(r
        .root
        .children
        .iter()
        .all(|c| c.info.verified_by == [Check::ZipCrc32]));
    // Data descriptors in the local-header listing: their CRCs vouch.
    let Some(odt) = sample("lookalike/odt_odfpy_simplelist.odt") else {
        return;
    };
    let cd = memchr::memmem::find(&odt, b"PK\x01\x02").expect("central directory");
    let r = Scanner::new().scan_bytes("cut.odt", &odt[..cd]);
    assert!(!info(&r.root).central_directory);
    assert_eq!(r.root.children.len(), 8, "{:?}", r.root.info.errors);
    assert!(r
        .root
        .children
        .iter()
        .all(|c| c.info.verified_by == [Check::ZipCrc32] && c.info.errors.is_empty()));
    // A local header's CRC damaged: the only copy left says mismatch,
    // the bytes are kept.
    let mut bad = cut.to_vec();
    bad[14] ^= 0x01;
    let r = Scanner::new().scan_bytes("cut.zip", &bad);
    let first = &r.root.children[0];
    assert_eq!(
        first.info.errors[0].kind(),
        "checksum",
        "{:?}",
        first.info.errors
    );
    assert!(first.info.sha256.is_some() && first.info.verified_by.is_empty());
}

#[test]
fn damaged_or_cut_local_header_stays_a_zip() {
    let Some(d) = sample("zip/deflate.zip") else {
        return;
    };
    // The name length zeroed: the central directory still lists it all.
    let mut m = d.clone();
    m[26..28].fill(0);
    let r = Scanner::new().scan_bytes("m.zip", &m);
    assert_eq!(r.root.info.format, Format::Zip);
    // The version field too: the end record still says zip.
    m[4..6].fill(0xFF);
    let r = Scanner::new().scan_bytes("m.zip", &m);
    assert_eq!(r.root.info.format, Format::Zip);
    assert_eq!(r.root.children.len(), 4);
    // Cut inside the first local header: a zip, cut short, said so.
    for n in [5, 18, 26] {
        let r = Scanner::new().scan_bytes("cut.zip", &d[..n]);
        assert_eq!(r.root.info.format, Format::Zip, "{n}");
        assert!(
            r.root.info.errors.iter().any(|e| e.kind() == "truncated"),
            "{n}: {:?}",
            r.root.info.errors
        );
    }
}
