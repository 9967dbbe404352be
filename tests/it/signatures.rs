//! The signed Authenticode digest against the computed one, for PE and MSI,
//! on every scan (not only with `--hashes authenticode`): a match puts
//! `authenticode` in `verified_by`, a file altered after signing gets a
//! `checksum` error. The expected outcomes agree with `osslsigncode verify`
//! ("Current" vs "Calculated" digest) on these files and their altered
//! copies: `scripts/check_signatures.py`, output in
//! `scripts/results/signatures.txt`.

use crate::util::corpus;
use installsift::formats::Metadata;
use installsift::{Check, Node, Scanner};

fn scan(name: &str, data: &[u8]) -> Node {
    Scanner::new().scan_bytes(name, data).root
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(corpus().join(rel)).expect("corpus sample")
}

fn signatures(n: &Node) -> Vec<installsift::formats::pe::SignatureInfo> {
    match &n.metadata {
        Some(Metadata::Pe(p)) => p.signatures.clone(),
        Some(Metadata::Cfb(c)) => c.signatures.clone(),
        _ => Vec::new(),
    }
}

fn altered_after_signing(n: &Node) -> bool {
    n.errors
        .iter()
        .any(|e| e.kind() == "checksum" && e.to_string().contains("file altered after signing"))
}

#[test]
fn signed_samples_are_verified_by_their_signature() {
    for rel in [
        "pe/signed_x64.exe",
        "pe/zip_before_cert.exe",
        "nsis/signed_zlib.exe",
        "omaha/omaha_tagged.exe",
        "msi/signed.msi",
    ] {
        let n = scan(rel, &read(rel));
        assert!(
            n.verified_by.contains(&Check::Authenticode),
            "{rel}: {:?} {:?}",
            n.verified_by,
            n.errors
        );
        assert!(!altered_after_signing(&n), "{rel}");
        let sigs = signatures(&n);
        assert_eq!(sigs.len(), 1, "{rel}");
        assert_eq!(sigs[0].digest_matches, Some(true), "{rel}");
        let signer = sigs[0].signer.as_ref().expect("signer");
        assert_eq!(
            signer.subject_cn.as_deref(),
            Some("installsift TEST ONLY code signing"),
            "{rel}"
        );
        assert_eq!(
            signer.serial, "1157",
            "{rel}: osslsigncode prints Serial : 1157"
        );
    }
}

#[test]
fn unsigned_files_are_verified_by_nothing() {
    for rel in ["pe/hello_x64.exe", "msi/simple.msi"] {
        let n = scan(rel, &read(rel));
        assert!(n.verified_by.is_empty(), "{rel}");
        assert!(signatures(&n).is_empty(), "{rel}");
    }
}

#[test]
fn a_byte_flipped_inside_a_signed_section_is_a_checksum_error() {
    let mut data = read("pe/signed_x64.exe");
    // 0x440: inside `.text` (raw data 0x400..), as the script flips it.
    data[0x440] ^= 1;
    let n = scan("altered.exe", &data);
    assert!(altered_after_signing(&n), "{:?}", n.errors);
    assert!(!n.verified_by.contains(&Check::Authenticode));
    assert_eq!(signatures(&n)[0].digest_matches, Some(false));
    // The verdict of a PE is not withdrawn for a checksum mismatch.
    assert_eq!(n.verdict, installsift::Verdict::NotInstaller);
}

#[test]
fn data_appended_after_the_signature_is_a_checksum_error() {
    // osslsigncode refuses the file ("signature not at the end"); Windows
    // rejects it: the signature does not cover the appended zip.
    let n = scan("zip_after_cert.exe", &read("pe/zip_after_cert.exe"));
    assert!(altered_after_signing(&n), "{:?}", n.errors);
    assert_eq!(n.family.map(|f| f.as_str()), Some("zip-sfx"));
}

#[test]
fn an_altered_msi_stream_is_a_checksum_error() {
    let mut data = read("msi/signed.msi");
    // A byte inside the embedded cabinet stream's data.
    let cab = data
        .windows(8)
        .position(|w| w == b"MSCF\0\0\0\0")
        .expect("cabinet stream");
    data[cab + 200] ^= 1;
    let n = scan("altered.msi", &data);
    assert!(altered_after_signing(&n), "{:?}", n.errors);
    assert!(!n.verified_by.contains(&Check::Authenticode));
    assert_eq!(n.family.map(|f| f.as_str()), Some("msi"));
}

#[test]
fn a_damaged_signature_blob_is_reported_and_nothing_is_verified() {
    let mut data = read("pe/signed_x64.exe");
    // The certificate table starts at 14848: WIN_CERTIFICATE header, then
    // the PKCS#7 SEQUENCE; break its length.
    data[14848 + 8 + 1] = 0x85;
    let n = scan("broken-signature.exe", &data);
    assert!(n.verified_by.is_empty());
    assert!(
        n.errors
            .iter()
            .any(|e| e.to_string().contains("Authenticode signature")),
        "{:?}",
        n.errors
    );
}
