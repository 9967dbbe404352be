//! Helpers shared by the unit tests of the format modules.

use std::path::PathBuf;

/// The committed corpus of this checkout.
pub(crate) fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpus")
}

/// A committed corpus sample. Always `Some`: a missing sample fails the test
/// (the corpus is part of the tree); the `Option` keeps call sites uniform
/// with tests that derive their input.
pub(crate) fn sample(rel: &str) -> Option<Vec<u8>> {
    let p = corpus().join(rel);
    match std::fs::read(&p) {
        Ok(d) => Some(d),
        Err(e) => panic!("corpus sample {} is missing: {e}", p.display()),
    }
}

/// A reference listing `corpus/reference/<tsv>` (`name\tsize\tsha256`
/// lines), sorted.
pub(crate) fn reference_rows(tsv: &str) -> Vec<(String, u64, String)> {
    let t = std::fs::read_to_string(corpus().join("reference").join(tsv)).expect("tsv");
    let mut v: Vec<(String, u64, String)> = t
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_owned(),
                f[1].parse().expect("size"),
                f[2].to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}
