//! The engine's carving: containers after data of no known format are
//! children of kind `carved`; a node opened as a container is never carved.

use crate::test_support::*;
use crate::{EntryKind, Format, Scanner};

#[test]
fn a_cabinet_after_a_png_is_a_carved_child_and_an_opened_zip_is_not_carved() {
    let Some(png) = sample("carve/rust_logo_cab.png") else {
        return;
    };
    let r = Scanner::new().scan_bytes("logo.png", &png);
    assert_eq!(r.root.info.format, Format::Unknown);
    assert_eq!(r.root.children.len(), 1);
    let c = &r.root.children[0];
    let e = c.info.entry.as_ref().expect("entry");
    assert_eq!((e.kind, e.offset), (EntryKind::Carved, Some(690)));
    assert_eq!(c.info.path.last().map(String::as_str), Some("[carved@690]"));
    assert_eq!(c.info.format, Format::Cab);
    assert_eq!(c.children.len(), 2);
    // A zip (opened as one) with the same cabinet appended: the zip's
    // region is parsed, nothing is carved from it.
    let Some(zip) = sample("zip/stored.zip") else {
        return;
    };
    let mut z = zip.clone();
    z.extend_from_slice(&png[690..]);
    let r = Scanner::new().scan_bytes("a.zip", &z);
    assert_eq!(r.root.info.format, Format::Zip);
    assert!(!r.root.children.iter().any(|c| c
        .info
        .entry
        .as_ref()
        .is_some_and(|e| e.kind == EntryKind::Carved)));
    // Not within the search window: nothing carved.
    let limits = crate::Limits {
        max_search_window: 600,
        ..crate::Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("logo.png", &png);
    assert!(r.root.children.is_empty());
}
