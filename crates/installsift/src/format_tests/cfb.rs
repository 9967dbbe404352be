//! The engine over `cfb`: scans of real and damaged samples.

use crate::{Error, Format};

use crate::test_support::sample as corpus;
use crate::Scanner;
use std::path::Path;

#[test]
fn dump() {
    let Ok(f) = std::env::var("CFB_DUMP") else {
        return;
    };
    let r = Scanner::new().scan_path(Path::new(&f)).unwrap();
    println!("{}", serde_json::to_string_pretty(&r.root).unwrap());
}

#[test]
fn corpus_names_match_msiextract() {
    for (sample, reference) in [
        ("msi/simple.msi", "msi__simple.msi.tsv"),
        ("msi/dirs.msi", "msi__dirs.msi.tsv"),
        ("msi/nonascii.msi", "msi__nonascii.msi.tsv"),
        ("msi/renamed.bin", "msi__renamed.bin.tsv"),
        ("msi/external_cab.msi", "msi__external_cab.msi.tsv"),
        ("msi/signed.msi", "msi__signed.msi.tsv"),
    ] {
        let (Some(data), Some(tsv)) = (corpus(sample), corpus(&format!("reference/{reference}")))
        else {
            continue;
        };
        let r = Scanner::new().scan_bytes(sample, &data);
        let mut got: Vec<(String, u64, String)> = r
            .root
            .children
            .iter()
            .map(|c| {
                (
                    c.info.path[1..].join("/"),
                    c.info.size,
                    c.info.sha256.map(|h| h.to_string()).unwrap_or_default(),
                )
            })
            .collect();
        got.sort();
        let mut want: Vec<(String, u64, String)> = String::from_utf8(tsv)
            .unwrap()
            .lines()
            .map(|l| {
                let mut it = l.split('\t');
                (
                    it.next().unwrap().to_owned(),
                    it.next().unwrap().parse().unwrap(),
                    it.next().unwrap().to_owned(),
                )
            })
            .collect();
        want.sort();
        if sample.contains("external") {
            // The cabinet ships beside the MSI: listed in metadata only.
            assert!(got.is_empty(), "{sample}: {got:?}");
            continue;
        }
        assert_eq!(got, want, "{sample}");
        assert!(
            r.root.info.errors.is_empty(),
            "{sample}: {:?}",
            r.root.info.errors
        );
    }
}

fn panics(r: &crate::Report) -> Vec<String> {
    let mut out = Vec::new();
    r.root.walk(&mut |n| {
        out.extend(
            n.info
                .errors
                .iter()
                .filter(|e| matches!(e, Error::Panic { .. }))
                .map(|e| e.to_string()),
        );
    });
    out
}

#[test]
fn truncated_msi_keeps_format_and_cabinet() {
    let Some(data) = corpus("msi/simple.msi") else {
        return;
    };
    let cut = &data[..data.len() * 6 / 10];
    let r = Scanner::new().scan_bytes("trunc", cut);
    assert_eq!(r.root.info.format, Format::Msi);
    assert!(
        r.root
            .info
            .errors
            .iter()
            .any(|e| matches!(e, Error::Truncated { .. })),
        "{:?}",
        r.root.info.errors
    );
    assert!(
        r.root.children.iter().any(|c| c.info.format == Format::Cab),
        "no carved cabinet"
    );
    // Every cut point: never a panic.
    for cut in (0..data.len()).step_by(256) {
        let r = Scanner::new()
            .with_hashes(installsift_model::HashSelection::EVERYTHING)
            .scan_bytes("trunc", &data[..cut]);
        assert!(panics(&r).is_empty(), "cut {cut}: {:?}", panics(&r));
    }
}

#[test]
fn mutations_never_panic() {
    let sample = std::env::var("CFB_MUTATE").unwrap_or_else(|_| "msi/simple.msi".to_owned());
    let rounds: usize = std::env::var("CFB_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let Some(data) = corpus(&sample) else { return };
    // Fixed-seed LCG: reproducible.
    let mut state: u64 = 0x5eed_1234_abcd_0001;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    for i in 0..rounds {
        let mut d = data.clone();
        for _ in 0..1 + next() % 8 {
            // Bias towards the header, FAT and directory.
            let at = if next() % 2 == 0 {
                next() % 512
            } else {
                next() % d.len()
            };
            d[at] = next() as u8;
        }
        // Every hash on, so the MSI Authenticode walk sees the damage too.
        let r = Scanner::new()
            .with_hashes(installsift_model::HashSelection::EVERYTHING)
            .scan_bytes("mut", &d);
        assert!(panics(&r).is_empty(), "mutation {i}: {:?}", panics(&r));
    }
}
