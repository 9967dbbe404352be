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
    match &n.info.metadata {
        Some(Metadata::Pe(p)) => p.signatures.clone(),
        Some(Metadata::Cfb(c)) => c.signatures.clone(),
        _ => Vec::new(),
    }
}

fn altered_after_signing(n: &Node) -> bool {
    n.info
        .errors
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
            n.info.verified_by.contains(&Check::Authenticode),
            "{rel}: {:?} {:?}",
            n.info.verified_by,
            n.info.errors
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
        assert!(n.info.verified_by.is_empty(), "{rel}");
        assert!(signatures(&n).is_empty(), "{rel}");
    }
}

#[test]
fn a_byte_flipped_inside_a_signed_section_is_a_checksum_error() {
    let mut data = read("pe/signed_x64.exe");
    // 0x440: inside `.text` (raw data 0x400..), as the script flips it.
    data[0x440] ^= 1;
    let n = scan("altered.exe", &data);
    assert!(altered_after_signing(&n), "{:?}", n.info.errors);
    assert!(!n.info.verified_by.contains(&Check::Authenticode));
    assert_eq!(signatures(&n)[0].digest_matches, Some(false));
    // The verdict of a PE is not withdrawn for a checksum mismatch.
    assert_eq!(n.info.verdict, installsift::Verdict::NotInstaller);
}

#[test]
fn data_appended_after_the_signature_is_a_checksum_error() {
    // osslsigncode refuses the file ("signature not at the end"); Windows
    // rejects it: the signature does not cover the appended zip.
    let n = scan("zip_after_cert.exe", &read("pe/zip_after_cert.exe"));
    assert!(altered_after_signing(&n), "{:?}", n.info.errors);
    assert_eq!(n.info.family.map(|f| f.as_str()), Some("zip-sfx"));
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
    assert!(altered_after_signing(&n), "{:?}", n.info.errors);
    assert!(!n.info.verified_by.contains(&Check::Authenticode));
    assert_eq!(n.info.family.map(|f| f.as_str()), Some("msi"));
}

#[test]
fn a_damaged_signature_blob_is_reported_and_nothing_is_verified() {
    let mut data = read("pe/signed_x64.exe");
    // The certificate table starts at 14848: WIN_CERTIFICATE header, then
    // the PKCS#7 SEQUENCE; break its length.
    data[14848 + 8 + 1] = 0x85;
    let n = scan("broken-signature.exe", &data);
    assert!(n.info.verified_by.is_empty());
    assert!(
        n.info
            .errors
            .iter()
            .any(|e| e.to_string().contains("Authenticode signature")),
        "{:?}",
        n.info.errors
    );
}

/// The WDAC `CertRoot Type="TBS"` value of the PCA certificate, against the
/// values Microsoft publishes for the same certificates in a real policy
/// (MicrosoftDocs/azure-stack-docs, "Windows Defender Application Control for
/// Azure Stack HCI": `<Signer Name="Microsoft Code Signing PCA"><CertRoot
/// Type="TBS" Value="7251ADC0…"/>` and `Value="5095BF07…"`). These two PCA
/// certificates are signed with sha1WithRSAEncryption, so the TBS hash is a
/// SHA-1 of the TBSCertificate (40 hex digits), not a SHA-256.
#[test]
fn tbs_hash_of_microsoft_code_signing_pca_equals_the_published_cert_root() {
    for (rel, published) in [
        (
            "signed_real/WPF2_32.msp",
            "7251ADC0F732CF409EE462E335BB99544F2DD40F",
        ),
        (
            "signed_real/SQL2008_AS.msp",
            "5095BF071B0D9976E40AE08412F4E1D241AFB58C",
        ),
    ] {
        let n = scan(rel, &read(rel));
        let sigs = signatures(&n);
        assert_eq!(sigs.len(), 1, "{rel}");
        let chain = &sigs[0].chain;
        assert_eq!(chain.len(), 3, "{rel}: leaf, PCA, root as embedded");
        assert_eq!(
            chain[0].subject_attribute("CN"),
            Some("Microsoft Corporation")
        );
        assert_eq!(
            chain[1].subject_attribute("CN"),
            Some("Microsoft Code Signing PCA"),
            "{rel}"
        );
        assert_eq!(
            chain[1].tbs_hash.as_deref().map(str::to_ascii_uppercase),
            Some(published.to_owned()),
            "{rel}"
        );
        assert!(chain[2].self_signed && !chain[1].self_signed, "{rel}");
        // Timestamped by an Authenticode countersignature.
        let ts = sigs[0].timestamp.as_ref().expect("timestamp");
        assert_eq!(
            ts.kind,
            installsift::formats::pe::signature::TimestampKind::Countersignature
        );
        assert!(ts.time.is_some() && !ts.chain.is_empty(), "{rel}");
    }
}

/// Debian's shim-signed (Microsoft UEFI CA signatures): two WIN_CERTIFICATE
/// entries, each RFC 3161 timestamped; times as `osslsigncode verify` prints
/// them for each entry (scripts/results/signatures.txt).
#[test]
fn shim_signed_has_two_microsoft_signatures_with_rfc3161_timestamps() {
    let rel = "signed_real/shimx64.efi.signed";
    let n = scan(rel, &read(rel));
    assert!(
        n.info.verified_by.contains(&Check::Authenticode),
        "{:?}",
        n.info.errors
    );
    let sigs = signatures(&n);
    assert_eq!(sigs.len(), 2);
    let pcas: Vec<_> = sigs
        .iter()
        .map(|s| s.chain.last().and_then(|c| c.subject_attribute("CN")))
        .collect();
    assert_eq!(
        pcas,
        [
            Some("Microsoft Corporation UEFI CA 2011"),
            Some("Microsoft UEFI CA 2023")
        ]
    );
    for s in &sigs {
        let ts = s.timestamp.as_ref().expect("timestamp");
        assert_eq!(
            ts.kind,
            installsift::formats::pe::signature::TimestampKind::Rfc3161
        );
        assert!(ts
            .time
            .as_deref()
            .is_some_and(|t| t.starts_with("2026-05-13T10:06:1")));
    }
}

/// The Google Cloud SDK NSIS installer (not dual-signed) carries
/// one SHA-1 signature with a legacy countersignature (osslsigncode:
/// "Timestamp time: Dec 17 01:20:26 2015 GMT", issuer Symantec Time Stamping
/// Services CA - G2, serial 0ECFF438C8FEBF356E04D86A981B1A50).
#[test]
fn countersignature_time_issuer_and_serial_match_osslsigncode() {
    let rel = "nsis_real/google_cloud_sdk_nsis246_signed.exe";
    let n = scan(rel, &read(rel));
    let sigs = signatures(&n);
    assert_eq!(sigs.len(), 1);
    let ts = sigs[0].timestamp.as_ref().expect("timestamp");
    assert_eq!(ts.time.as_deref(), Some("2015-12-17T01:20:26Z"));
    assert_eq!(ts.serial, "0ecff438c8febf356e04d86a981b1a50");
    assert_eq!(
        ts.issuer,
        "C=US, O=Symantec Corporation, CN=Symantec Time Stamping Services CA - G2"
    );
    let chain = &sigs[0].chain;
    assert_eq!(chain[0].subject_attribute("O"), Some("Google Inc"));
    assert_eq!(
        chain.last().and_then(|c| c.subject_attribute("CN")),
        Some("VeriSign Class 3 Code Signing 2010 CA")
    );
}

/// PuTTY 0.68's MSI is dual-signed: a SHA-1 signature carrying a nested
/// SHA-256 one (`1.3.6.1.4.1.311.2.4.1`), each with its own countersignature
/// (osslsigncode: Signature Index 0 and 1, timestamps 17:14:58 and 17:14:59).
#[test]
fn dual_signed_msi_reports_both_signatures_with_their_own_facts() {
    let rel = "signed_real/putty-0.68-installer.msi";
    let n = scan(rel, &read(rel));
    assert!(
        n.info.verified_by.contains(&Check::Authenticode),
        "{:?}",
        n.info.errors
    );
    let sigs = signatures(&n);
    assert_eq!(sigs.len(), 2);
    assert!(!sigs[0].nested && sigs[1].nested);
    let times: Vec<_> = sigs
        .iter()
        .map(|s| s.timestamp.as_ref().and_then(|t| t.time.clone()))
        .collect();
    assert_eq!(
        times,
        [
            Some("2017-02-18T17:14:58Z".to_owned()),
            Some("2017-02-18T17:14:59Z".to_owned())
        ]
    );
    for s in &sigs {
        assert_eq!(s.chain[0].subject_attribute("CN"), Some("Simon Tatham"));
        assert_eq!(
            s.chain.get(1).and_then(|c| c.subject_attribute("CN")),
            Some("COMODO SHA-256 Code Signing CA")
        );
    }
}

/// The signer is evidence on the node (who signed, whether the digest
/// matches), and never decides a verdict: a signed plain PE stays a
/// not-installer, an altered one says the digest does not match.
#[test]
fn the_signer_is_evidence_and_decides_nothing() {
    let signer = |n: &Node| {
        n.info
            .evidence
            .iter()
            .find(|e| e.signal == "authenticode-signer")
            .map(|e| (e.detail.clone(), e.strength))
    };
    for rel in ["pe/signed_x64.exe", "msi/signed.msi"] {
        let n = scan(rel, &read(rel));
        let (detail, strength) =
            signer(&n).unwrap_or_else(|| panic!("{rel}: {:?}", n.info.evidence));
        assert!(
            detail.contains("installsift TEST ONLY code signing")
                && detail.contains("its signed digest matches the file")
                && detail.contains("trust chain not validated"),
            "{rel}: {detail}"
        );
        assert_eq!(strength, installsift::Strength::Strong);
    }
    let plain = scan("signed_x64.exe", &read("pe/signed_x64.exe"));
    assert_eq!(plain.info.verdict, installsift::Verdict::NotInstaller);
    let mut data = read("pe/signed_x64.exe");
    data[0x440] ^= 1;
    let n = scan("altered.exe", &data);
    let (detail, _) = signer(&n).expect("signer evidence on an altered file");
    assert!(detail.contains("does NOT match"), "{detail}");
    assert!(signer(&scan("hello_x64.exe", &read("pe/hello_x64.exe"))).is_none());
}
