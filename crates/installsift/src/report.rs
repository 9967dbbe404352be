//! Report types: one [`Node`] per file or entry, forming a tree.
//!
//! Every type here is `Serialize`; the JSONL contract (one [`NodeInfo`] per
//! line, parent before children) is documented in the README and never loses
//! or renames a field.

use crate::formats::Metadata;
use installsift_model::error::Error;
use installsift_model::hash::{Md5, Sha1, Sha256};
pub use installsift_model::{
    Check, EntryInfo, EntryKind, Evidence, Family, Format, InstallerFacts, Strength, Tool,
    ToolKind, Verdict,
};
use serde::{Serialize, Serializer};
/// Everything known about one node, without its children: one JSONL line.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NodeInfo {
    /// The input path as given (or found while walking), then each entry name
    /// inside, outermost first.
    pub path: Vec<String>,
    /// 0 for the input file, +1 per level.
    pub depth: u32,
    /// Size in bytes (declared size when the content could not be read).
    pub size: u64,
    /// SHA-256 (written as lowercase hex); `null` only when the content
    /// could not be read (encrypted, over a limit, damaged).
    pub sha256: Option<Sha256>,
    /// SHA-1 when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha1: Option<Sha1>,
    /// MD5 when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5: Option<Md5>,
    /// The checksums and signatures the format carries that matched this
    /// node's bytes, sorted; empty when nothing in the file vouches for
    /// them (a mismatch is an error of kind `checksum` instead). A hash
    /// with an empty list is what we decoded, checked by nothing.
    pub verified_by: Vec<Check>,
    /// Format decided by content.
    pub format: Format,
    /// Installer verdict.
    pub verdict: Verdict,
    /// Installer family when the verdict is `installer`.
    pub family: Option<Family>,
    /// What a not-installer (or unknown) node is when a look-alike rule named
    /// it (`pyinstaller`, `script-launcher`, `engine-stub`, `packed-upx` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// BIOC hints and family properties of an installer (boxed: few nodes
    /// are installers, and every node pays for the inline size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installer: Option<Box<InstallerFacts>>,
    /// Who built, packed or protected it, identified from its content
    /// (installer engine, SFX module, packer, protector, compiler, linker,
    /// runtime), each with the version the file states and what matched;
    /// absent when nothing was identified.
    /// Boxed, and `None` rather than empty, for the node's inline size (see
    /// `a_node_stays_small`): most nodes (entries of archives) have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[allow(clippy::box_collection)] // 8 bytes inline instead of 24, on every node
    pub tools: Option<Box<Vec<Tool>>>,
    /// Signals behind format, verdict and family.
    pub evidence: Vec<Evidence>,
    /// Problems on this node. Serialized as two fields: `errors`, the
    /// `kind: message` strings of the contract, and, when there is any,
    /// `error_details`, the same errors in the same order as objects
    /// `{kind, limit?, offset?, message}`.
    #[serde(flatten, serialize_with = "errors_and_details")]
    #[cfg_attr(feature = "schema", schemars(with = "ErrorsAndDetails"))]
    pub errors: Vec<Error>,
    /// Placement inside the parent (absent for inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryInfo>,
    /// Facts specific to the format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

impl NodeInfo {
    /// The tools identified on this node (empty when none).
    pub fn tools(&self) -> &[Tool] {
        self.tools.as_deref().map_or(&[], Vec::as_slice)
    }
}

/// The schema of what [`errors_and_details`] writes (never built: the
/// serializer writes these two fields from the errors themselves).
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct ErrorsAndDetails {
    /// The node's problems as `kind: message` strings (the contract's
    /// form); empty when there are none.
    errors: Vec<String>,
    /// The same errors, in the same order, as objects; present only when
    /// there is any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    error_details: Vec<Error>,
}

/// `errors` as the contract's strings (byte for byte what they always
/// were), then `error_details` beside them when there are errors: the
/// structured form (kind, the limit hit, the byte offset, the message), so
/// a consumer need not parse the strings.
fn errors_and_details<S: Serializer>(errors: &[Error], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    struct Strings<'a>(&'a [Error]);
    impl Serialize for Strings<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(|e| e.to_string()))
        }
    }
    let mut m = s.serialize_map(None)?;
    m.serialize_entry("errors", &Strings(errors))?;
    if !errors.is_empty() {
        m.serialize_entry("error_details", errors)?;
    }
    m.end()
}

/// A node and its children. The node's own facts are the field `info`
/// (`node.info.path`, `node.info.sha256`): `Node` does not dereference to
/// [`NodeInfo`], so what belongs to the node and what to the tree stays
/// visible at every use.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Node {
    /// The node itself.
    #[serde(flatten)]
    pub info: NodeInfo,
    /// Entries found inside, in container order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

impl Node {
    /// Visit this node and every descendant, parent before children.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Node)) {
        visit(self);
        for c in &self.children {
            c.walk(visit);
        }
    }

    /// The first descendant (or self) whose last path segment is `name`.
    pub fn find(&self, name: &str) -> Option<&Node> {
        if self.info.path.last().map(String::as_str) == Some(name) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

/// Counters for one scanned input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScanStats {
    /// Nodes produced.
    pub nodes: u64,
    /// Bytes decompressed or copied out of containers.
    pub unpacked_bytes: u64,
    /// Nodes that carry at least one error.
    pub nodes_with_errors: u64,
    /// Parser panics contained.
    pub panics: u64,
}

/// The result of scanning one input.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Report {
    /// The input and everything inside it.
    pub root: Node,
    /// Counters.
    pub stats: ScanStats,
}

#[cfg(test)]
mod tests {
    use super::Node;

    /// Issue 15: `Node` must not dereference to `NodeInfo` (or anything).
    /// This compiles only while `Node` has no `Deref` impl: with one, the
    /// call below has two candidate impls and is ambiguous (the
    /// `assert_not_impl_any!` construction of the `static_assertions`
    /// crate).
    #[test]
    fn node_has_no_deref() {
        trait AmbiguousIfDeref<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfDeref<()> for T {}
        #[allow(dead_code)]
        struct Invalid;
        impl<T: ?Sized + std::ops::Deref> AmbiguousIfDeref<Invalid> for T {}
        <Node as AmbiguousIfDeref<_>>::some_item();
    }

    /// Issue 16: a report holds one node per entry (65,536 per container
    /// at the entry limit, more nested), so the node's inline size is a
    /// memory bound. It was 840 bytes (352 of them the inline
    /// `Metadata`, 120 the `InstallerFacts` of the few installer nodes);
    /// both are boxed now. Grow it only knowingly: issue 21's `tools` took
    /// 8 bytes (a boxed list, `None` on the many nodes without tools;
    /// inline it would have been 24), 368 → 376; the entry's `mtime`
    /// (issue 21: on most entries, so inline) 16 more, 376 → 392, 1 MiB per
    /// 65,536 entries.
    #[test]
    fn a_node_stays_small() {
        use std::mem::size_of;
        assert!(size_of::<crate::formats::Metadata>() <= 16);
        assert!(
            size_of::<super::NodeInfo>() <= 392,
            "{}",
            size_of::<super::NodeInfo>()
        );
        assert!(size_of::<Node>() <= 416, "{}", size_of::<Node>());
    }
}
