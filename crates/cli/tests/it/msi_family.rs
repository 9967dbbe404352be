//! Windows Installer families from structure, with msitools as the witness:
//! for every MSI, merge module, patch and transform in the corpus,
//! `msiinfo tables` (and the `Property` table it exports) says what the file
//! is, independently of our reader, and our family must agree. Also: what
//! decided it is named in the evidence, MsiFileHash is checked on every file
//! that has a row, and a damaged MSI never claims strong evidence.

use crate::util::{corpus, samples};
use installsift::{Error, Format, HashSelection, Node, Scanner, Strength, Verdict};
use std::process::Command;

/// `msiinfo ARGS`: its stdout, or `None` when it fails (an unreadable file).
fn msiinfo(args: &[&str]) -> Option<String> {
    let out = Command::new("msiinfo")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("msiinfo not runnable ({e}): apt-get install msitools"));
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What msitools says a compound file is: `msp` (a `MsiPatchSequence`
/// table), `mst` (no table at all: a transform's streams are deltas), `msm`
/// (`ModuleSignature` and no `Property.ProductCode`), `msi` (otherwise), or
/// `None` when msiinfo cannot open it.
fn witness(path: &str) -> Option<&'static str> {
    let tables = msiinfo(&["tables", path])?;
    let tables: Vec<&str> = tables.lines().map(str::trim).collect();
    let real: Vec<&&str> = tables.iter().filter(|t| !t.starts_with('_')).collect();
    if real.is_empty() {
        return Some("mst");
    }
    if tables.contains(&"MsiPatchSequence") {
        return Some("msp");
    }
    let product_code = tables.contains(&"Property")
        && msiinfo(&["export", path, "Property"])
            .is_some_and(|p| p.lines().any(|l| l.starts_with("ProductCode\t")));
    if tables.contains(&"ModuleSignature") && !product_code {
        return Some("msm");
    }
    Some("msi")
}

/// Our answer in the witness's terms: the family, or the format of a
/// not-installer (a transform).
fn ours(n: &Node) -> String {
    match n.info.family {
        Some(f) => f.as_str().to_owned(),
        None => n.info.format.as_str().to_owned(),
    }
}

fn windows_installer_samples() -> Vec<String> {
    samples()
        .into_iter()
        .filter(|s| {
            let data = std::fs::read(corpus().join(s)).expect("read");
            data.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
                && (s.starts_with("msi/") || s.starts_with("msi_real/") || s.contains(".ms"))
        })
        .collect()
}

#[test]
fn families_agree_with_msiinfo_on_every_windows_installer_file() {
    let mut checked = 0;
    let mut merged_products = 0;
    let mut failures = Vec::new();
    for rel in windows_installer_samples() {
        let path = corpus().join(&rel);
        let r = Scanner::new().scan_path(&path).expect("scan");
        let n = &r.root;
        let got = ours(n);
        match witness(&path.to_string_lossy()) {
            Some(want) => {
                checked += 1;
                if got != want {
                    failures.push(format!("{rel}: msiinfo says {want}, we say {got}"));
                }
                let tables = msiinfo(&["tables", &path.to_string_lossy()]).unwrap_or_default();
                if want == "msi" && tables.lines().any(|t| t.trim() == "ModuleSignature") {
                    merged_products += 1;
                    let e = n
                        .info
                        .evidence
                        .iter()
                        .find(|e| e.signal == "msi-product-code");
                    assert!(
                        e.is_some_and(|e| e.detail.contains("ModuleSignature")
                            && e.detail.contains("ProductCode")
                            && e.strength == Strength::Strong),
                        "{rel}: the evidence must name the deciding tables: {:?}",
                        n.info.evidence
                    );
                }
                if want == "msm" {
                    let e = n
                        .info
                        .evidence
                        .iter()
                        .find(|e| e.signal == "msi-module-signature");
                    assert!(
                        e.is_some_and(
                            |e| e.detail.contains("ModuleSignature") && e.detail.contains("Media")
                        ),
                        "{rel}: {:?}",
                        n.info.evidence
                    );
                }
            }
            None => {
                // msitools cannot open it (its directory is damaged): we may
                // still know the family from names in the bytes, but never
                // claim strong evidence for it. (Our reader may get further
                // than libgsf, e.g. past a DIFAT loop: then the root CLSID
                // was read.)
                assert!(
                    !n.info.errors.is_empty(),
                    "{rel}: unreadable without an error"
                );
                if n.info.evidence.iter().any(|e| e.signal == "cfb-root-clsid") {
                    continue;
                }
                for e in &n.info.evidence {
                    if matches!(e.signal.as_str(), "installer-format" | "msi-strings") {
                        assert_eq!(e.strength, Strength::Weak, "{rel}: {e:?}");
                    }
                }
                assert!(
                    !n.info.evidence.iter().any(|e| e.signal.starts_with("msi-")
                        && e.signal != "msi-strings"
                        && e.strength == Strength::Strong),
                    "{rel}: {:?}",
                    n.info.evidence
                );
            }
        }
    }
    assert!(
        checked >= 12,
        "only {checked} Windows Installer files checked"
    );
    assert!(merged_products >= 2, "{merged_products} merged products");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_transform_is_its_own_format_and_no_installer() {
    let r = Scanner::new()
        .scan_path(&corpus().join("msi_real/wix3_AutoGenProductId_instance.mst"))
        .expect("scan");
    assert_eq!(r.root.info.format, Format::Mst);
    assert_eq!(r.root.info.verdict, Verdict::NotInstaller);
    assert_eq!(r.root.info.kind.as_deref(), Some("transform"));
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
}

/// An MSI cut anywhere: never a strong not-installer. While its directory
/// cannot be read, nothing claims strong Windows Installer structure.
#[test]
fn truncated_msis_never_claim_what_was_not_read() {
    for rel in [
        "msi/simple.msi",
        "msi_real/vsinstaller_Setup1.msi",
        "msi_real/MergeModule1_wix4.msm",
    ] {
        let data = std::fs::read(corpus().join(rel)).expect("read");
        for pct in [10, 25, 50, 60, 75, 90] {
            let cut = &data[..data.len() * pct / 100];
            let r = Scanner::new().scan_bytes("cut", cut);
            let n = &r.root;
            assert!(!n.info.errors.is_empty(), "{rel} at {pct}%: no error");
            if n.info.verdict == Verdict::NotInstaller {
                panic!("{rel} at {pct}%: not-installer {:?}", n.info.evidence);
            }
            let unread = n.info.evidence.iter().any(|e| e.signal == "msi-strings")
                || !n.info.evidence.iter().any(|e| e.signal == "cfb-root-clsid");
            if unread {
                for e in &n.info.evidence {
                    assert_eq!(
                        (e.signal.as_str(), e.strength),
                        (e.signal.as_str(), Strength::Weak),
                        "{rel} at {pct}%: {:?}",
                        n.info.evidence
                    );
                }
            }
            if n.info.verdict == Verdict::Installer {
                // A cut merge module is never called a product, and back.
                let want = if rel.ends_with(".msm") { "msm" } else { "msi" };
                assert_eq!(ours(n), want, "{rel} at {pct}%: {:?}", n.info.evidence);
            }
        }
    }
    let r = Scanner::new()
        .scan_path(&corpus().join("malformed/trunc_simple.msi"))
        .expect("scan");
    let e = r
        .root
        .info
        .evidence
        .iter()
        .find(|e| e.signal == "installer-format")
        .expect("installer-format");
    assert_eq!(e.strength, Strength::Weak, "{:?}", r.root.info.evidence);
}

/// Every file with an `MsiFileHash` row (msiinfo's count) is verified by
/// it; MD5 is reported only when asked for.
#[test]
fn msi_file_hash_checks_every_file_with_a_row() {
    let mut total = 0;
    for rel in windows_installer_samples() {
        let path = corpus().join(&rel);
        let Some(rows) = msiinfo(&["export", &path.to_string_lossy(), "MsiFileHash"]) else {
            continue;
        };
        // Header: column names, types, table name.
        let rows = rows.lines().skip(3).filter(|l| !l.is_empty()).count();
        if rows == 0 || rel.contains("mismatch") || rel.contains("external") {
            continue;
        }
        for (sel, md5) in [(HashSelection::SHA256, false), (HashSelection::ALL, true)] {
            let r = Scanner::new()
                .with_hashes(sel)
                .scan_path(&path)
                .expect("scan");
            let verified: Vec<&Node> = r
                .root
                .children
                .iter()
                .filter(|c| {
                    c.info
                        .verified_by
                        .iter()
                        .any(|v| v.as_str() == "msi-file-hash")
                })
                .collect();
            assert_eq!(verified.len(), rows, "{rel}: rows {rows}");
            for c in &r.root.children {
                assert_eq!(
                    c.info.md5.is_some(),
                    md5,
                    "{rel}: {:?} md5 {:?}",
                    c.info.path,
                    c.info.md5
                );
            }
        }
        total += rows;
    }
    assert!(total >= 25, "only {total} MsiFileHash rows checked");
}

#[test]
fn msi_file_hash_mismatch_is_a_checksum_error_on_that_file_only() {
    let r = Scanner::new()
        .scan_path(&corpus().join("malformed/msifilehash_mismatch.msi"))
        .expect("scan");
    assert_eq!(r.root.info.family.map(|f| f.as_str()), Some("msi"));
    let mut bad = 0;
    for c in &r.root.children {
        let name = c.info.path.last().expect("name");
        let checksum = c
            .info
            .errors
            .iter()
            .any(|e| matches!(e, Error::Checksum { .. }));
        if name.ends_with("/readme.txt") {
            bad += 1;
            assert!(checksum, "{:?}", c.info.errors);
            assert!(c.info.sha256.is_some() && c.info.size > 0, "bytes kept");
            // The cabinet's block checksums still vouch for the stored data.
            assert!(c
                .info
                .verified_by
                .iter()
                .all(|v| v.as_str() != "msi-file-hash"));
        } else {
            assert!(!checksum, "{name}: {:?}", c.info.errors);
            assert!(
                c.info
                    .verified_by
                    .iter()
                    .any(|v| v.as_str() == "msi-file-hash"),
                "{name}"
            );
        }
    }
    assert_eq!(bad, 1);
    // The same file's bytes, hashed by sha256 alone, equal the good copy's.
    let good = Scanner::new()
        .scan_path(&corpus().join("msi/simple.msi"))
        .expect("scan");
    let sha = |r: &installsift::Report| {
        r.root
            .children
            .iter()
            .find(|c| {
                c.info
                    .path
                    .last()
                    .is_some_and(|n| n.ends_with("/readme.txt"))
            })
            .and_then(|c| c.info.sha256)
    };
    assert_eq!(sha(&r), sha(&good));
}

#[test]
fn msu_is_recognised_from_its_members_with_the_kb_number() {
    let r = Scanner::new()
        .scan_path(&corpus().join("msu/Windows8.1-KB2937592-x86.msu"))
        .expect("scan");
    let n = &r.root;
    assert_eq!(n.info.format, Format::Cab);
    assert_eq!(n.info.family.map(|f| f.as_str()), Some("msu"));
    let e = n
        .info
        .evidence
        .iter()
        .find(|e| e.signal == "msu-layout")
        .expect("msu-layout");
    for member in [
        "WSUSSCAN.cab",
        "Windows8.1-KB2937592-x86-pkgProperties.txt",
        "Windows8.1-KB2937592-x86.xml",
        "Windows8.1-KB2937592-x86.cab",
    ] {
        assert!(e.detail.contains(member), "{member}: {}", e.detail);
    }
    let p = &n.info.installer.as_ref().expect("facts").properties;
    assert_eq!(p.get("kb").map(String::as_str), Some("2937592"));
    assert_eq!(
        p.get("package.processorArchitecture").map(String::as_str),
        Some("x86")
    );
    assert_eq!(
        p.get("applicability").map(String::as_str),
        Some("Windows 8.1 Client;Windows 8.1 WinPE;")
    );
    let txt = n
        .children
        .iter()
        .find(|c| {
            c.info
                .path
                .last()
                .is_some_and(|x| x.ends_with("-pkgProperties.txt"))
        })
        .expect("properties member");
    assert_eq!(txt.info.format, Format::MsuProperties);
    assert_eq!(txt.info.verdict, Verdict::NotInstaller);
    // A plain cabinet holding cabinets is still a plain archive.
    let plain = Scanner::new()
        .scan_path(&corpus().join("cab/mszip.cab"))
        .expect("scan");
    assert_ne!(plain.root.info.family.map(|f| f.as_str()), Some("msu"));
}
