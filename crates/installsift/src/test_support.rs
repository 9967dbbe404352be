//! Helpers shared by the engine's unit tests (the parsers have their own).

use crate::report::Node;
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

/// The child of `n` named `name` (its last path component); panics when
/// there is none.
pub(crate) fn child<'n>(n: &'n Node, name: &str) -> &'n Node {
    n.children
        .iter()
        .find(|c| c.info.path.last().is_some_and(|p| p == name))
        .unwrap_or_else(|| panic!("no child `{name}` in {:?}", n.info.path))
}

/// The errors of a node, as text.
pub(crate) fn errors(n: &Node) -> String {
    n.info
        .errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}
