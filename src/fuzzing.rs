//! The one entry point shared by the fuzz targets and the replay test.

use crate::{Limits, Scanner};

/// Scan `data` as a whole file with tight limits; must never panic, hang or
/// allocate without bound, whatever the bytes.
pub fn exercise(data: &[u8]) {
    let limits = Limits {
        max_depth: 6,
        max_entry_size: 64 << 20,
        max_total_unpacked: 256 << 20,
        max_entries_per_container: 4_096,
        max_entries_per_input: 16_384,
        max_search_window: 1 << 20,
        ..Limits::default()
    };
    let report = Scanner::new()
        .with_limits(limits)
        .with_hashes(crate::HashSelection::EVERYTHING)
        .scan_bytes("fuzz", data);
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
                .errors
                .iter()
                .find(|e| matches!(e, crate::Error::Panic { .. }))
                .map(|e| e.to_string());
        }
    });
    found
}
