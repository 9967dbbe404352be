//! MSI Authenticode digests of the corpus installer files, against values
//! recorded from osslsigncode 2.9 (`scripts/check_msi_authenticode.sh`; its
//! output is in `scripts/results/msi_authenticode.txt`). osslsigncode prints
//! them as "Calculated DigitalSignature" (and "Calculated
//! MsiDigitalSignatureEx" for the pre-hash); its "Calculated message digest"
//! is the flat file hash.

use crate::util::corpus;
use installsift::formats::{cfb::CfbInfo, Metadata};
use installsift::{HashSelection, Scanner};

fn cfb_info(rel: &str, sel: HashSelection) -> CfbInfo {
    let report = Scanner::new()
        .with_hashes(sel)
        .scan_path(&corpus().join(rel))
        .expect("readable");
    assert!(
        report.root.info.errors.is_empty(),
        "{rel}: {:?}",
        report.root.info.errors
    );
    match report.root.info.metadata {
        Some(Metadata::Cfb(info)) => *info,
        other => panic!("{rel}: not a compound file: {other:?}"),
    }
}

/// The digest osslsigncode signs (and calculates when verifying the signed
/// copy) for each unsigned corpus file, `-h sha256` and `-h sha1`.
#[test]
fn msi_authenticode_equals_osslsigncode() {
    for (rel, sha256, sha1) in [
        (
            "msi/simple.msi",
            "30a0003e4057cc995f656227d0e7844495ca3bef3e0b9ebacd4d3ec056300927",
            "7896a31fd06f4764146acc44f20e83b23b76e7eb",
        ),
        (
            "msi/renamed.bin",
            "30a0003e4057cc995f656227d0e7844495ca3bef3e0b9ebacd4d3ec056300927",
            "7896a31fd06f4764146acc44f20e83b23b76e7eb",
        ),
        (
            "msi/dirs.msi",
            "332a57644678d090f7848e4101e38b0183efcbdc2e64b43c5a277c2a386ab2f8",
            "dc3ddac648fd4caab1545b37101e7c351628f326",
        ),
        (
            "msi/external_cab.msi",
            "512ddaeb4cb3c16e1a1df587d1028b043ffd9041fe5fa1bdc51e0bccc888188c",
            "ac3728d88f1cf7dc3ce1049e317448a9dad3216d",
        ),
        (
            "msi/nonascii.msi",
            "14502834e7c5bf7e5964c12b3b3600f1610c4622e14c5cd2fdfe91a994c61bc6",
            "ecb5b2badf440d6c501a6882c9fead6b7d7c1395",
        ),
        (
            "msi/module.msm",
            "da666eefc9be07ace78a642dff2650607fddd6f1c531669f621266e667a9fca8",
            "dda3120536ebdb34a43ef498f3f28b389a58fb4b",
        ),
    ] {
        let a = cfb_info(rel, HashSelection::EVERYTHING)
            .authenticode
            .expect("computed");
        assert_eq!(a.sha256.to_string(), sha256, "{rel}");
        assert_eq!(a.sha1.to_string(), sha1, "{rel}");
        assert!(!a.signed && a.extended.is_none(), "{rel}: {a:?}");
    }
}

/// signed.msi is simple.msi signed with `-add-msi-dse`: the plain digest is
/// unchanged (the signature streams are left out), and the extended digests
/// equal what osslsigncode verifies.
#[test]
fn extended_signature_digests_equal_osslsigncode() {
    let a = cfb_info("msi/signed.msi", HashSelection::EVERYTHING)
        .authenticode
        .expect("computed");
    assert!(a.signed);
    assert_eq!(
        a.sha256.to_string(),
        "30a0003e4057cc995f656227d0e7844495ca3bef3e0b9ebacd4d3ec056300927"
    );
    assert_eq!(
        a.sha1.to_string(),
        "7896a31fd06f4764146acc44f20e83b23b76e7eb"
    );
    let x = a.extended.expect("MsiDigitalSignatureEx present");
    assert_eq!(
        x.prehash_sha256.to_string(),
        "537550c01b85f1690799c151ec45fdab05d9ceaec07cdf44bac1ed76fc0f5d6e"
    );
    assert_eq!(
        x.sha256.to_string(),
        "d306fc92fcbba42f8cea271b29c05f6764086f8674e54902570d2a46ebaa270f"
    );
}

#[test]
fn not_computed_unless_asked() {
    assert!(cfb_info("msi/simple.msi", HashSelection::ALL)
        .authenticode
        .is_none());
}
