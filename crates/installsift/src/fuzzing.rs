//! The whole-scan entry point of the `scan` fuzz target and the replay test.
//! The per-format targets reach the parsers directly
//! (`installsift_formats::fuzzing`), without the engine.

use crate::{Report, Scanner};
pub use installsift_formats::fuzzing::limits;

fn scanner(hashes: crate::HashSelection) -> Scanner {
    Scanner::new().with_limits(limits()).with_hashes(hashes)
}

/// The hashes asked for on `data`: everything (SHA-1, MD5, Authenticode,
/// imphash) for one input in four, chosen by its length; SHA-256 and
/// imphash for the others. MD5 and SHA-1 are plain calls of the hash crates
/// and, instrumented for coverage, took 41 % of the target's time (perf,
/// 2026-12-07); the Authenticode walk, which parses, runs on a quarter.
fn hashes_for(data: &[u8]) -> crate::HashSelection {
    if data.len().is_multiple_of(4) {
        crate::HashSelection::EVERYTHING
    } else {
        crate::HashSelection {
            imphash: true,
            ..crate::HashSelection::SHA256
        }
    }
}

/// Scan `data` as a whole file with tight limits; must never panic, hang or
/// allocate without bound, whatever the bytes.
pub fn exercise(data: &[u8]) {
    let report = scanner(hashes_for(data)).scan_bytes("fuzz", data);
    check(&report);
    // One input in eight is scanned again as with a core to spare: the
    // input hashed on a thread beside its scan (from any size), cabinet
    // folders decoded ahead, long entries hashed on a second thread. The
    // report must be the same.
    if data.len() % 8 == 1 {
        let mut spare = scanner(hashes_for(data)).with_hash_thread(true);
        spare.root_hash_min = Some(0);
        let again = spare.scan_bytes("fuzz", data);
        check(&again);
        let json = |r: &Report| crate::render::render(r, crate::render::Format::Json).ok();
        assert!(
            json(&report) == json(&again),
            "the report differs when the scan has a core to spare"
        );
    }
}

fn check(report: &Report) {
    assert_eq!(
        report.stats.panics,
        0,
        "a parser panicked: {:?}",
        first_panic(&report.root)
    );
}

fn first_panic(root: &crate::Node) -> Option<String> {
    let mut found = None;
    root.walk(&mut |n| {
        if found.is_none() {
            found = n
                .info
                .errors
                .iter()
                .find(|e| matches!(e, crate::Error::Panic { .. }))
                .map(|e| e.to_string());
        }
    });
    found
}
