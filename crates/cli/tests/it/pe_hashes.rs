//! Authenticode and imphash of the corpus PEs, against values recorded from
//! the reference tools (`scripts/check_authenticode.sh` with osslsigncode 2.9,
//! `scripts/check_imphash.py` with python pefile 2023.2.7; their output is in
//! `scripts/results/`).

use crate::util::corpus;
use installsift::formats::{pe::PeInfo, Metadata};
use installsift::{HashSelection, Scanner};

fn pe_info(rel: &str, sel: HashSelection) -> PeInfo {
    let report = Scanner::new()
        .with_hashes(sel)
        .scan_path(&corpus().join(rel))
        .expect("readable");
    match report.root.info.metadata {
        Some(Metadata::Pe(info)) => *info,
        other => panic!("{rel}: not a PE: {other:?}"),
    }
}

/// `osslsigncode verify` "Calculated message digest" of the signed samples.
#[test]
fn authenticode_sha256_equals_osslsigncode_on_signed_samples() {
    for (rel, want) in [
        (
            "pe/signed_x64.exe",
            "e2851170fb84acdf5a45388ed93728386de7a437c7a8e02cc3724031723ed61e",
        ),
        (
            "pe/zip_before_cert.exe",
            "56fb820c4d206621225741959cd3bf330e584b388e7c7d9f768ba2d35cff5c2e",
        ),
    ] {
        let a = pe_info(rel, HashSelection::EVERYTHING)
            .authenticode
            .expect("computed");
        assert_eq!(a.sha256.to_string(), want, "{rel}");
        assert_eq!(a.padding, 0, "{rel}: a signed file is 8-aligned");
        assert_eq!(a.sha256_unpadded, a.sha256, "{rel}");
    }
}

/// osslsigncode pads an unsigned file to 8 bytes before signing it, so the
/// digest of the signed copy is the *padded* digest of the original.
#[test]
fn padded_authenticode_equals_what_osslsigncode_signs() {
    for (rel, sha256, sha1, padding) in [
        (
            "pe/with_zip.exe",
            "56fb820c4d206621225741959cd3bf330e584b388e7c7d9f768ba2d35cff5c2e",
            "6836000c558ec1882ef846b22c053f5763fea7e9",
            7,
        ),
        (
            "pe/with_cab.exe",
            "8fe6c9ed543bd4a7ee91bad7d96b8400f6890f5d48a454cf38eea50beb9f6455",
            "923914f3383ec419eb24b6d08b55e82bf67132f9",
            1,
        ),
        (
            "pe/hello_x86.exe",
            "3c763c66c9647234fadd93e364d8be379d57417cbb57825de8183ac50f40adb9",
            "ce3b5024e4b9f52825f0b1939dc7a250c38c4b3b",
            0,
        ),
    ] {
        let a = pe_info(rel, HashSelection::EVERYTHING)
            .authenticode
            .expect("computed");
        assert_eq!(
            (a.sha256.to_string().as_str(), a.sha1.to_string().as_str()),
            (sha256, sha1),
            "{rel}"
        );
        assert_eq!(a.padding, padding, "{rel}");
        assert_eq!(a.sha256_unpadded == a.sha256, padding == 0, "{rel}");
    }
}

#[test]
fn signing_does_not_change_the_authenticode_digest() {
    let plain = pe_info("pe/hello_x64.exe", HashSelection::EVERYTHING).authenticode;
    let signed = pe_info("pe/signed_x64.exe", HashSelection::EVERYTHING).authenticode;
    assert_eq!(plain, signed);
}

/// python pefile 2023.2.7 `PE(path).get_imphash()`.
#[test]
fn imphash_equals_pefile() {
    for (rel, want) in [
        ("pe/hello_x64.exe", "8a98287583280596621b430fd66919dd"),
        ("pe/hello_x86.exe", "69130c753d8657ba4999f3c002510c64"),
        ("pe/lib_x64.dll", "df00652ad3e78ba777ba702462655cf8"),
        ("pe/gui_x64.exe", "642e3fcfb17619c3b1a3c89215cf4f36"),
        ("pe/cab_resource.exe", "48213f34e935c59282d8d8724b89ae05"),
        ("pe/signed_x64.exe", "8a98287583280596621b430fd66919dd"),
    ] {
        let got = pe_info(rel, HashSelection::EVERYTHING).imphash;
        assert_eq!(got.map(|h| h.to_string()).as_deref(), Some(want), "{rel}");
    }
}

#[test]
fn pe_hashes_are_off_by_default() {
    let info = pe_info("pe/signed_x64.exe", HashSelection::ALL);
    assert!(info.authenticode.is_none() && info.imphash.is_none());
}
