//! `--password infected`: the corpus's encrypted zip and 7z samples (made by
//! Info-ZIP, 7zz and pyzipper with the password analysts use; see
//! corpus/README.md) are opened and every entry hashed, the names, sizes and
//! SHA-256 those of `7zz x -pinfected` (corpus/reference/*.tsv), each entry
//! verified by the check its scheme carries. Without the password they are
//! listed and marked encrypted, not hashed; a wrong password that passes
//! ZipCrypto's 1-byte check ends as a CRC error, never as a clean hash.

use crate::util::corpus;
use installsift::{Check, EntryKind, Limits, Node, Report, Scanner};

use super::util::Row;

/// The encrypted samples, with the checks every entry must carry once
/// decrypted.
const SAMPLES: &[(&str, &[Check])] = &[
    // Info-ZIP: data descriptors (check byte = DOS time), one stored entry.
    ("zip/enc_zipcrypto.zip", &[Check::ZipCrc32]),
    // 7zz: check byte = CRC high byte.
    ("zip/enc_zipcrypto_7z.zip", &[Check::ZipCrc32]),
    // 7zz writes AE-2 (CRC 0): the authentication code alone.
    ("zip/enc_aes256.zip", &[Check::ZipAesHmac]),
    ("zip/enc_aes128.zip", &[Check::ZipAesHmac]),
    // pyzipper AE-1: the CRC as well.
    (
        "zip/enc_aes192_ae1.zip",
        &[Check::ZipCrc32, Check::ZipAesHmac],
    ),
    ("7z/infected_data.7z", &[Check::SevenZCrc32]),
    ("7z/infected_header.7z", &[Check::SevenZCrc32]),
];

fn reference(rel: &str) -> Vec<Row> {
    let path = corpus()
        .join("reference")
        .join(format!("{}.tsv", rel.replace('/', "__")));
    super::util::tsv_rows(&path, "")
}

fn scan(rel: &str, passwords: &[&str], limits: Limits) -> Report {
    Scanner::new()
        .with_limits(limits)
        .with_passwords(passwords.iter().map(|p| p.to_string()).collect())
        .scan_path(&corpus().join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn files(root: &Node) -> Vec<&Node> {
    super::util::file_children(root)
}

fn name(n: &Node) -> String {
    n.info.path[1..].join("/")
}

#[test]
fn the_password_opens_every_encrypted_sample_as_7zz_does() {
    for (rel, checks) in SAMPLES {
        let want = reference(rel);
        assert_eq!(want.len(), 4, "{rel}");
        let report = scan(rel, &["infected"], Limits::default());
        assert!(
            report.root.info.errors.is_empty(),
            "{rel}: {:?}",
            report.root.info.errors
        );
        let mut got: Vec<Row> = files(&report.root)
            .into_iter()
            .map(|c| {
                assert!(
                    c.info.errors.is_empty(),
                    "{rel} {}: {:?}",
                    name(c),
                    c.info.errors
                );
                let mut verified = c.info.verified_by.clone();
                verified.sort_by_key(|v| v.as_str());
                let mut expect = checks.to_vec();
                expect.sort_by_key(|v| v.as_str());
                assert_eq!(verified, expect, "{rel} {}", name(c));
                let sha = c.info.sha256.as_ref().map(ToString::to_string);
                (name(c), c.info.size, sha.unwrap_or_default())
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "{rel}");
    }
}

#[test]
fn without_the_password_entries_are_listed_and_marked() {
    for (rel, _) in SAMPLES {
        for passwords in [&[][..], &["wrong"][..]] {
            let report = scan(rel, passwords, Limits::default());
            if *rel == "7z/infected_header.7z" {
                // The names are encrypted too: nothing to list.
                assert!(files(&report.root).is_empty(), "{rel}");
                assert!(
                    report
                        .root
                        .info
                        .errors
                        .iter()
                        .any(|e| e.kind() == "encrypted"),
                    "{rel}: {:?}",
                    report.root.info.errors
                );
                continue;
            }
            let mut got: Vec<(String, u64)> = files(&report.root)
                .into_iter()
                .map(|c| {
                    assert!(c.info.entry.as_ref().is_some_and(|e| e.encrypted), "{rel}");
                    assert!(c.info.sha256.is_none(), "{rel} {}: hashed", name(c));
                    assert!(c.info.verified_by.is_empty(), "{rel}");
                    let e = c.info.errors.iter().find(|e| e.kind() == "encrypted");
                    let e = e.unwrap_or_else(|| panic!("{rel} {}: {:?}", name(c), c.info.errors));
                    if !passwords.is_empty() {
                        assert!(e.to_string().contains("none of the 1 passwords"), "{e}");
                    }
                    (name(c), c.info.size)
                })
                .collect();
            got.sort();
            let want: Vec<(String, u64)> =
                reference(rel).into_iter().map(|(n, s, _)| (n, s)).collect();
            assert_eq!(got, want, "{rel} {passwords:?}");
        }
    }
}

/// `wrong-310` passes the ZipCrypto check byte of `bin/hello.exe` (stored)
/// in enc_zipcrypto.zip (found by trying `wrong-0`, `wrong-1`, … against
/// the entry's 12-byte header with an independent Python ZipCrypto; 1 in
/// 256 passwords does). Its bytes are garbage: a `checksum` error, no
/// verification, and the hash is not the file's. Given with the right
/// password after it, the right one wins everywhere.
#[test]
fn a_wrong_password_passing_the_zipcrypto_check_is_a_crc_error() {
    let rel = "zip/enc_zipcrypto.zip";
    let real = reference(rel);
    let report = scan(rel, &["wrong-310"], Limits::default());
    let hello = files(&report.root)
        .into_iter()
        .find(|c| name(c) == "bin/hello.exe")
        .expect("hello.exe listed");
    let e = hello.info.errors.iter().find(|e| e.kind() == "checksum");
    let e = e.unwrap_or_else(|| panic!("{:?}", hello.info.errors));
    assert!(e.to_string().contains("1-byte check"), "{e}");
    assert!(hello.info.verified_by.is_empty());
    let sha = hello.info.sha256.as_ref().map(ToString::to_string);
    let right = real.iter().find(|r| r.0 == "bin/hello.exe").expect("ref");
    assert_ne!(sha.as_deref(), Some(right.2.as_str()));
    for c in files(&report.root) {
        assert!(
            !c.info.errors.is_empty() && c.info.verified_by.is_empty(),
            "{}",
            name(c)
        );
    }

    let report = scan(rel, &["wrong-310", "infected"], Limits::default());
    let mut got: Vec<Row> = files(&report.root)
        .into_iter()
        .map(|c| {
            assert!(c.info.errors.is_empty(), "{}: {:?}", name(c), c.info.errors);
            let sha = c.info.sha256.as_ref().map(ToString::to_string);
            (name(c), c.info.size, sha.unwrap_or_default())
        })
        .collect();
    got.sort();
    assert_eq!(got, real);
}

/// Wrong passwords are what multiplies work (entries × candidates, a
/// PBKDF2 derivation each for AES): bounded by `max_password_failures`.
/// The password that verified an entry is tried first on the next ones,
/// so wrong candidates before it cost only on the first entry.
#[test]
fn wrong_password_tries_are_bounded() {
    let rel = "zip/enc_aes256.zip";
    let limits = Limits {
        max_password_failures: 3,
        ..Limits::default()
    };
    let report = scan(rel, &["a", "b", "c", "infected"], limits.clone());
    let kids = files(&report.root);
    assert_eq!(kids.len(), 4);
    for c in &kids {
        let e = c.info.errors.iter().find_map(|e| e.limit_hit());
        assert_eq!(
            e,
            Some(installsift::Limit::MaxPasswordFailures),
            "{}: {:?}",
            name(c),
            c.info.errors
        );
        assert!(c.info.sha256.is_none());
    }
    // Two wrong ones before the right: 2 failures on the first entry, none
    // after (the right one goes first), within the bound of 3.
    let report = scan(rel, &["a", "b", "infected"], limits);
    for c in files(&report.root) {
        assert!(c.info.errors.is_empty(), "{}: {:?}", name(c), c.info.errors);
        assert_eq!(c.info.verified_by, vec![Check::ZipAesHmac]);
    }
}

/// A damaged AES entry (one ciphertext byte flipped): the authentication
/// code differs, so it is a `checksum` error and nothing is hashed (the
/// key is right, the data is not what was encrypted).
#[test]
fn a_damaged_aes_entry_fails_its_authentication_code() {
    let mut data = std::fs::read(corpus().join("zip/enc_aes256.zip")).expect("read");
    // The first entry's data: after its local header, salt (16) and check
    // value (2).
    let nlen = usize::from(u16::from_le_bytes([data[26], data[27]]));
    let xlen = usize::from(u16::from_le_bytes([data[28], data[29]]));
    let at = 30 + nlen + xlen + 18;
    data[at] ^= 0x40;
    let first = String::from_utf8_lossy(&data[30..30 + nlen]).into_owned();
    let report = Scanner::new()
        .with_passwords(vec!["infected".into()])
        .scan_bytes("damaged.zip", &data);
    let kids = files(&report.root);
    assert_eq!(kids.len(), 4);
    for c in kids {
        if name(c) == first {
            assert!(c.info.sha256.is_none(), "{first} hashed");
            let e = c.info.errors.iter().find(|e| e.kind() == "checksum");
            let e = e.unwrap_or_else(|| panic!("{:?}", c.info.errors));
            assert!(e.to_string().contains("authentication code"), "{e}");
        } else {
            assert!(c.info.errors.is_empty(), "{}: {:?}", name(c), c.info.errors);
        }
    }
}

/// The CLI: `scan --password infected` on every encrypted sample hashes
/// every entry (the acceptance's words).
#[test]
fn cli_password_infected_hashes_every_entry() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    for (rel, _) in SAMPLES {
        let out = std::process::Command::new(bin)
            .args(["scan", "-f", "jsonl", "--password", "infected"])
            .arg(corpus().join(rel))
            .output()
            .expect("run");
        assert!(out.status.success(), "{rel}: {out:?}");
        let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
            .expect("UTF-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        let want = reference(rel);
        let got: Vec<Row> = {
            let mut v: Vec<Row> = rows
                .iter()
                .filter(|r| r["depth"] == 1)
                .map(|r| {
                    (
                        r["path"][1].as_str().unwrap_or_default().to_owned(),
                        r["size"].as_u64().unwrap_or_default(),
                        r["sha256"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(got, want, "{rel}");
    }
}

/// The files under the Inno Setup node of an installer, as
/// innoextract names them (`{app}\x` → `app/x`).
fn inno_rows(report: &Report) -> Vec<(Row, Vec<Check>, Vec<String>, bool)> {
    let mut out = Vec::new();
    report.root.walk(&mut |n| {
        let file = n
            .info
            .entry
            .as_ref()
            .is_some_and(|e| e.kind == EntryKind::File);
        if file && n.info.depth == 2 {
            let name = n.info.path[2].replace(['{', '}'], "").replace('\\', "/");
            let sha = n.info.sha256.as_ref().map(ToString::to_string);
            let encrypted = n.info.entry.as_ref().is_some_and(|e| e.encrypted);
            out.push((
                (name, n.info.size, sha.unwrap_or_default()),
                n.info.verified_by.clone(),
                n.info.errors.iter().map(ToString::to_string).collect(),
                encrypted,
            ));
        }
    });
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Inno Setup before 6.4 (`Encryption=yes`, ARC4): the password is taken
/// when it matches the setup header's check value, each chunk's key is
/// derived from its salt; the files are those `innoextract --password
/// infected` writes (innoextract 1.9 reads 6.0's setup data), each
/// verified by its stored SHA-1. A wrong password is an `encrypted` error
/// on every file, never garbage.
#[test]
fn inno_encrypted_installer_opens_with_its_password() {
    let rel = "inno/inno60_infected.exe";
    let want = reference(&format!("{rel}.innoextract"));
    assert_eq!(want.len(), 10);
    let rows = inno_rows(&scan(rel, &["wrong", "infected"], Limits::default()));
    let got: Vec<Row> = rows
        .iter()
        .map(|(row, verified, errors, encrypted)| {
            assert!(errors.is_empty(), "{row:?}: {errors:?}");
            assert!(*encrypted, "{row:?}");
            assert_eq!(verified, &[Check::InnoSha1], "{row:?}");
            row.clone()
        })
        .collect();
    assert_eq!(got, want);
    for passwords in [&[][..], &["wrong"][..]] {
        let rows = inno_rows(&scan(rel, passwords, Limits::default()));
        assert_eq!(rows.len(), 10);
        for ((name, size, sha), verified, errors, encrypted) in rows {
            assert!(encrypted && sha.is_empty() && verified.is_empty(), "{name}");
            assert!(want.iter().any(|w| w.0 == name && w.1 == size), "{name}");
            assert!(
                errors.iter().any(|e| e.starts_with("encrypted")),
                "{errors:?}"
            );
        }
    }
}

/// The 6.3.1 encrypted installer (password `installsift`; innoextract 1.9
/// does not read 6.3): its two files are the payload sources it was built
/// from, verified by their stored SHA-1.
#[test]
fn inno_63_encrypted_installer_gives_its_sources() {
    use sha2::Digest;
    let rows = inno_rows(&scan(
        "inno/inno6_encrypted.exe",
        &["installsift"],
        Limits::default(),
    ));
    let want: Vec<Row> = ["config.ini", "readme.txt"]
        .iter()
        .map(|f| {
            let bytes = std::fs::read(corpus().join("src/payload").join(f)).expect("payload");
            let sha = installsift::hash::to_hex(&sha2::Sha256::digest(&bytes));
            (format!("app/{f}"), bytes.len() as u64, sha)
        })
        .collect();
    let got: Vec<Row> = rows
        .iter()
        .map(|(row, verified, errors, _)| {
            assert!(errors.is_empty(), "{row:?}: {errors:?}");
            assert_eq!(verified, &[Check::InnoSha1], "{row:?}");
            row.clone()
        })
        .collect();
    assert_eq!(got, want);
}
