//! The engine over `pe`: scans of real and damaged samples.

use crate::formats::{le_u32, Metadata};
use crate::{EntryKind, Format};

#[test]
fn a_resource_table_that_lost_its_entries_is_said() {
    // 88 bytes inserted before the sections shift every section's data:
    // the resource RVA now maps to bytes that are no resource table.
    let Some(data) = crate::test_support::sample("squirrel/squirrel_setup.exe") else {
        return;
    };
    let mut shifted = data[..5094].to_vec();
    shifted.extend_from_slice(&data[173502..173590]);
    shifted.extend_from_slice(&data[5094..]);
    let r = crate::Scanner::new().scan_bytes("x", &shifted);
    assert!(r.root.children.is_empty());
    assert!(
        r.root
            .info
            .errors
            .iter()
            .any(|e| e.to_string().contains("lists no entries")),
        "{:?}",
        r.root.info.errors
    );
    assert_eq!(r.root.info.verdict, installsift_model::Verdict::Unknown);
    // The intact file says nothing of the kind.
    let r = crate::Scanner::new().scan_bytes("x", &data);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
}

#[test]
fn a_size_of_optional_header_too_small_for_the_header_is_said() {
    let Some(mut data) = crate::test_support::sample("nsis/signed_zlib.exe") else {
        return;
    };
    let coff = le_u32(&data, 0x3C).expect("e_lfanew") as usize + 4;
    // SizeOfOptionalHeader (COFF header + 16): 224 for PE32 → 112 (the
    // parser's own test reads the layout's problem).
    data[coff + 16] = 112;
    // The node says so, so what it lost through the wrong section table
    // (its NSIS overlay, its signature) is not lost in silence.
    let r = crate::Scanner::new().scan_bytes("x", &data);
    assert!(r
        .root
        .info
        .errors
        .iter()
        .any(|e| e.to_string().contains("SizeOfOptionalHeader")));
}

#[test]
fn nsis_data_after_junk_is_found_on_a_512_byte_boundary() {
    let Some(data) = crate::test_support::sample("nsis/zlib.exe") else {
        return;
    };
    let sig = data
        .windows(16)
        .position(|w| w == b"\xEF\xBE\xAD\xDENullsoftInst")
        .expect("nsis signature");
    let at = sig - 4;
    assert_eq!(at % 512, 0);
    // 1 KiB of junk between the image and the NSIS data.
    let mut moved = data[..at].to_vec();
    moved.extend_from_slice(&[0xCC; 1024]);
    moved.extend_from_slice(&data[at..]);
    let scanner = crate::Scanner::new();
    let want = scanner.scan_bytes("orig", &data);
    let got = scanner.scan_bytes("moved", &moved);
    assert_eq!(got.root.info.family, want.root.info.family);
    let nsis = got
        .root
        .children
        .iter()
        .find(|c| c.info.format == Format::Nsis)
        .expect("nsis child");
    assert_eq!(
        nsis.info.entry.as_ref().and_then(|e| e.offset),
        Some((at + 1024) as u64)
    );
    assert_eq!(
        nsis.info.entry.as_ref().map(|e| e.kind),
        Some(EntryKind::Carved)
    );
    let orig = want
        .root
        .children
        .iter()
        .find(|c| c.info.format == Format::Nsis)
        .expect("nsis child");
    assert_eq!(nsis.children.len(), orig.children.len());
    assert_eq!(nsis.info.sha256, orig.info.sha256);
}

/// The old push walk stopped collecting resources at the first child
/// the limits refused, so a limit shortened `resource_count` and
/// `resources` (35 of 52 here); the facts no longer depend on limits.
#[test]
fn a_limit_does_not_shorten_the_resource_facts() {
    let Some(data) = crate::test_support::sample("lookalike/inno5_Setup.e32") else {
        return;
    };
    let facts = |limits: installsift_model::Limits| {
        let r = crate::Scanner::new()
            .with_limits(limits)
            .scan_bytes("x", &data);
        match r.root.info.metadata {
            Some(Metadata::Pe(ref i)) => (i.resource_count, i.resources.len()),
            ref other => panic!("{other:?}"),
        }
    };
    let all = facts(installsift_model::Limits::default());
    assert_eq!(all, (52, 52));
    let one = installsift_model::Limits {
        max_entries_per_container: 1,
        ..installsift_model::Limits::default()
    };
    assert_eq!(facts(one), all);
}
