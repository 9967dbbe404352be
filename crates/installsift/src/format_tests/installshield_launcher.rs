//! The engine over `installshield::launcher`: scans of real and damaged samples.

use crate::{Error, Format};
/// The `InstallShield\0` header's length (`HEADER_LEN` in the parser).
const HEADER_LEN: usize = 46;

/// The overlay offset of a launcher sample.
fn overlay_of(data: &[u8]) -> usize {
    let r = crate::Scanner::new().scan_bytes("t", data);
    let Some(crate::formats::Metadata::Pe(p)) = &r.root.info.metadata else {
        panic!("a PE");
    };
    p.overlay.expect("overlay").offset as usize
}

/// A launcher cut 64 bytes into its overlay (inside the first record's
/// data): the family stays, and the PE says the record table is cut.
#[test]
fn a_cut_record_table_is_reported() {
    let data = crate::test_support::sample("installshield/clam_IScab_int.exe").unwrap_or_default();
    let ov = overlay_of(&data);
    let r = crate::Scanner::new().scan_bytes("t", &data[..ov + 64]);
    assert_eq!(
        r.root.info.family,
        Some(installsift_model::Family::InstallShield)
    );
    assert!(
        r.root
            .info
            .errors
            .iter()
            .any(|e| matches!(e, Error::Truncated { message, .. }
                if message.contains("record table cut short") && message.contains("data1.cab"))),
        "{:?}",
        r.root.info.errors
    );
    // An `InstallShield\0` header whose first record is cut.
    let msi = crate::test_support::sample("installshield/clam_ISmsi_int.exe").unwrap_or_default();
    let ov = overlay_of(&msi);
    let h = memchr::memmem::find(&msi[ov..], b"InstallShield\0").expect("header") + ov;
    for cut in [h + HEADER_LEN, h + HEADER_LEN + 100] {
        let r = crate::Scanner::new().scan_bytes("t", &msi[..cut]);
        assert_eq!(
            r.root.info.family,
            Some(installsift_model::Family::InstallShield),
            "cut {cut}"
        );
        assert!(
            r.root.info.errors.iter().any(|e| e.kind() == "truncated"),
            "cut {cut}: {:?}",
            r.root.info.errors
        );
    }
}

/// Every cabinet file is checked against its MD5; the set's volumes say
/// where their files are listed.
#[test]
fn cabinet_files_are_md5_verified_and_volumes_point_at_the_header() {
    let data = crate::test_support::sample("installshield/clam_IScab_int.exe").unwrap_or_default();
    let r = crate::Scanner::new().scan_bytes("t", &data);
    let hdr = r.root.find("Disk1/data1.hdr").expect("header record");
    assert_eq!(hdr.children.len(), 21);
    for f in &hdr.children {
        assert_eq!(
            f.info.verified_by,
            [installsift_model::Check::InstallshieldMd5],
            "{:?}",
            f.info.path
        );
    }
    let vol = r.root.find("Disk1/data1.cab").expect("volume");
    assert!(vol.info.errors.is_empty(), "{:?}", vol.info.errors);
    assert!(vol.info.evidence.iter().any(|e| e
        .detail
        .contains("listed (and unpacked) under `Disk1/data1.hdr`")));
    // The same volume on its own: no header, so it says why nothing is
    // listed.
    let alone = crate::Scanner::new().scan_bytes("data1.cab", vol_bytes(&data, vol));
    assert_eq!(alone.root.info.format, Format::InstallShield);
    assert!(
        alone
            .root
            .info
            .errors
            .iter()
            .any(|e| matches!(e, Error::Unsupported { message, .. }
                if message.contains("not part of this file"))),
        "{:?}",
        alone.root.info.errors
    );
}

fn vol_bytes<'a>(data: &'a [u8], vol: &crate::report::Node) -> &'a [u8] {
    let at = vol
        .info
        .entry
        .as_ref()
        .and_then(|e| e.offset)
        .expect("offset") as usize;
    &data[at..at + vol.info.size as usize]
}
