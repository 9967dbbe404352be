//! The whole-scan entry point of the `scan` fuzz target and the replay test.
//! The per-format targets reach the parsers directly
//! (`installsift_formats::fuzzing`), without the engine.

use crate::{Report, Scanner};
pub use installsift_formats::fuzzing::limits;

fn scanner() -> Scanner {
    Scanner::new()
        .with_limits(limits())
        .with_hashes(crate::HashSelection::EVERYTHING)
}

/// Scan `data` as a whole file with tight limits; must never panic, hang or
/// allocate without bound, whatever the bytes.
pub fn exercise(data: &[u8]) {
    check(&scanner().scan_bytes("fuzz", data));
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
