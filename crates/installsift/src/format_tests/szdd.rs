//! The engine over `szdd` / `kwaj`: the child is named after the node, its
//! declared length is checked, damage is said.

use crate::test_support::*;
use crate::{Format, Scanner};

#[test]
fn child_is_named_after_the_node_and_checked_against_its_declared_length() {
    let Some(d) = sample("szdd/SETUP.EX_") else {
        return;
    };
    let r = Scanner::new().scan_bytes("disk1/SETUP.EX_", &d);
    assert_eq!(r.root.info.format, Format::Szdd);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    let c = &r.root.children[0];
    assert_eq!(c.info.path.last().map(String::as_str), Some("SETUP.EX"));
    assert_eq!(c.info.format, Format::Pe);
    assert_eq!(c.info.size, 14848);
    // Cut in the middle: what decodes is shorter than the header declares,
    // and the child says so (it is not silently a short file).
    let r = Scanner::new().scan_bytes("SETUP.EX_", &d[..d.len() / 2]);
    let c = &r.root.children[0];
    assert!(
        c.info
            .errors
            .iter()
            .any(|e| e.to_string().contains("declares 14848 bytes")),
        "{:?}",
        c.info.errors
    );
    // KWAJ: the header's own name.
    let Some(k) = sample("kwaj/mszip.kwj") else {
        return;
    };
    let r = Scanner::new().scan_bytes("x.kwj", &k);
    assert_eq!(r.root.info.format, Format::Kwaj);
    let c = &r.root.children[0];
    assert_eq!(c.info.path.last().map(String::as_str), Some("SETUP.EXE"));
    assert_eq!(c.info.format, Format::Pe);
    assert!(c.info.errors.is_empty(), "{:?}", c.info.errors);
}
