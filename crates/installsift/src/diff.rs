//! Two versions of an installer (or two directories of them) compared by
//! the path of every file inside and its SHA-256: what was added, removed,
//! changed or kept, and whose signature changed. The allow-list delta an
//! administrator applies when a vendor ships an update.
//!
//! A node's key is its path below the input (`setup.exe` itself is `.`,
//! `setup.exe > data.cab > a.dll` is `data.cab > a.dll`); for a directory
//! input, the file's path relative to that directory comes first
//! (`v1/setup.exe > x.dll` is `setup.exe > x.dll`). A key met twice on one
//! side (two entries of the same name) gets `#2`, `#3` … in scan order, so
//! every node is compared once.

use crate::report::{Node, NodeInfo, Report};
use installsift_formats::Metadata;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

/// One node of one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "DiffSide"))]
pub struct Side {
    /// Lowercase hex; `None` when its content could not be read.
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::hash::Sha256>"))]
    pub sha256: Option<String>,
    /// Bytes.
    pub size: u64,
    /// Its format (`pe`, `msi` …).
    #[cfg_attr(feature = "schema", schemars(with = "crate::Format"))]
    pub format: &'static str,
    /// Its installer family, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::Family>"))]
    pub family: Option<&'static str>,
    /// Who signed it (the first Authenticode signer's subject, or its
    /// common name), for signed PE and MSI files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
}

/// What happened to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "DiffChange"))]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
    /// In both, with other bytes (or unreadable on one side).
    Changed,
    /// In both, the same bytes.
    Unchanged,
}

impl Change {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One path of the comparison.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "DiffEntry"))]
pub struct Entry {
    /// The key (see the module docs).
    pub path: String,
    /// What happened to it.
    pub change: Change,
    /// The old node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Side>,
    /// The new node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Side>,
    /// Both sides are signed, or one was and the other is not, and the
    /// signers differ.
    pub signer_changed: bool,
}

/// Counts of a comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "DiffSummary"))]
pub struct Summary {
    /// Paths only in the new version.
    pub added: u64,
    /// Paths only in the old version.
    pub removed: u64,
    /// Paths in both with other bytes.
    pub changed: u64,
    /// Paths in both with the same bytes.
    pub unchanged: u64,
    /// Paths in both whose signer differs.
    pub signer_changed: u64,
}

/// The last line of `diff --format jsonl`: `{"summary": {…}}`.
#[derive(Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "DiffSummaryLine"))]
pub(crate) struct SummaryRecord {
    /// The counts.
    pub(crate) summary: Summary,
}

/// A comparison of two versions.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// The counts.
    pub summary: Summary,
    /// Every path, sorted by key.
    pub entries: Vec<Entry>,
}

/// The nodes of the reports of one side, by key. `root` is the path the
/// user named: a directory's reports are keyed relative to it.
pub fn side(root: &Path, reports: &[Report]) -> BTreeMap<String, Side> {
    let mut out = BTreeMap::new();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for r in reports {
        let input = r.root.info.path.first().map(String::as_str).unwrap_or("");
        let rel = Path::new(input)
            .strip_prefix(root)
            .ok()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| p.to_string_lossy().into_owned());
        r.root.walk(&mut |n: &Node| {
            let mut parts: Vec<&str> = Vec::new();
            if let Some(rel) = rel.as_deref() {
                parts.push(rel);
            }
            parts.extend(n.info.path.iter().skip(1).map(String::as_str));
            let mut key = if parts.is_empty() {
                ".".to_owned()
            } else {
                parts.join(" > ")
            };
            let k = seen.entry(key.clone()).or_insert(0);
            *k += 1;
            if *k > 1 {
                key = format!("{key}#{k}");
            }
            out.insert(key, summarise(&n.info));
        });
    }
    out
}

fn summarise(i: &NodeInfo) -> Side {
    Side {
        sha256: i.sha256.map(|h| h.to_string()),
        size: i.size,
        format: i.format.as_str(),
        family: i.family.map(|f| f.as_str()),
        signer: signer(i),
    }
}

/// The first signature's signer: its subject, else its common name.
fn signer(i: &NodeInfo) -> Option<String> {
    let sigs = match i.metadata.as_ref()? {
        Metadata::Pe(p) => &p.signatures,
        Metadata::Cfb(c) => &c.signatures,
        _ => return None,
    };
    let s = sigs.first()?.signer.as_ref()?;
    s.subject
        .clone()
        .or_else(|| s.subject_cn.clone())
        .or_else(|| Some(format!("issuer {} serial {}", s.issuer, s.serial)))
}

/// Compare two sides ([`side`]).
pub fn diff(old: &BTreeMap<String, Side>, new: &BTreeMap<String, Side>) -> Diff {
    let mut summary = Summary::default();
    let mut entries = Vec::new();
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (o, n) = (old.get(key), new.get(key));
        let change = match (o, n) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(a), Some(b)) if a.sha256.is_some() && a.sha256 == b.sha256 => Change::Unchanged,
            _ => Change::Changed,
        };
        let signer_changed = matches!((o, n), (Some(a), Some(b)) if a.signer != b.signer);
        match change {
            Change::Added => summary.added += 1,
            Change::Removed => summary.removed += 1,
            Change::Changed => summary.changed += 1,
            Change::Unchanged => summary.unchanged += 1,
        }
        summary.signer_changed += u64::from(signer_changed);
        entries.push(Entry {
            path: key.clone(),
            change,
            old: o.cloned(),
            new: n.cloned(),
            signer_changed,
        });
    }
    Diff { summary, entries }
}

impl Diff {
    /// The summary line: `3 added, 1 removed, 2 changed, 40 unchanged, 1
    /// signer changed`.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} added, {} removed, {} changed, {} unchanged, {} signer changed",
            s.added, s.removed, s.changed, s.unchanged, s.signer_changed
        )
    }

    /// Text: one line per path that differs (`+` added, `-` removed, `~`
    /// changed, with the SHA-256 that identifies it), `!` under it when the
    /// signer changed; unchanged paths only with `all`; the summary last.
    pub fn write_text(&self, out: &mut dyn Write, all: bool) -> io::Result<()> {
        let hash = |s: &Option<Side>| {
            s.as_ref()
                .and_then(|s| s.sha256.clone())
                .unwrap_or_else(|| "(not read)".into())
        };
        for e in &self.entries {
            match e.change {
                Change::Added => writeln!(out, "+ {}  {}", e.path, hash(&e.new))?,
                Change::Removed => writeln!(out, "- {}  {}", e.path, hash(&e.old))?,
                Change::Changed => {
                    writeln!(out, "~ {}  {} -> {}", e.path, hash(&e.old), hash(&e.new))?
                }
                Change::Unchanged if all => writeln!(out, "= {}  {}", e.path, hash(&e.new))?,
                Change::Unchanged => {}
            }
            if e.signer_changed {
                let who = |s: &Option<Side>| {
                    s.as_ref()
                        .and_then(|s| s.signer.clone())
                        .unwrap_or_else(|| "(unsigned)".into())
                };
                writeln!(
                    out,
                    "! {}  signer: {} -> {}",
                    e.path,
                    who(&e.old),
                    who(&e.new)
                )?;
            }
        }
        writeln!(out, "{}", self.summary_line())
    }

    /// JSON Lines: one object per path ([`Entry`]; unchanged ones only with
    /// `all`), then `{"summary": …}`.
    pub fn write_jsonl(&self, out: &mut dyn Write, all: bool) -> io::Result<()> {
        for e in &self.entries {
            if e.change == Change::Unchanged && !all {
                continue;
            }
            serde_json::to_writer(&mut *out, e)?;
            out.write_all(b"\n")?;
        }
        serde_json::to_writer(
            &mut *out,
            &SummaryRecord {
                summary: self.summary,
            },
        )?;
        out.write_all(b"\n")
    }

    /// The allow-list delta as `sha256sum` lines: the SHA-256 of every file
    /// added or changed in the new version (to allow), then, prefixed with
    /// `-`, those only the old version had (to revoke: removed, and the old
    /// side of changed files) and no file of the new version still has.
    pub fn write_delta(&self, out: &mut dyn Write) -> io::Result<()> {
        let kept: std::collections::HashSet<&str> = self
            .entries
            .iter()
            .filter_map(|e| e.new.as_ref()?.sha256.as_deref())
            .collect();
        let mut allowed = std::collections::HashSet::new();
        for e in &self.entries {
            if let (Change::Added | Change::Changed, Some(h)) =
                (e.change, e.new.as_ref().and_then(|n| n.sha256.as_deref()))
            {
                if allowed.insert(h) {
                    writeln!(out, "{h}  {}", e.path)?;
                }
            }
        }
        let mut revoked = std::collections::HashSet::new();
        for e in &self.entries {
            if let (Change::Removed | Change::Changed, Some(h)) =
                (e.change, e.old.as_ref().and_then(|o| o.sha256.as_deref()))
            {
                if !kept.contains(h) && revoked.insert(h) {
                    writeln!(out, "-{h}  {}", e.path)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(h: &str, signer: Option<&str>) -> Side {
        Side {
            sha256: Some(h.into()),
            size: 1,
            format: "pe",
            family: None,
            signer: signer.map(str::to_owned),
        }
    }

    #[test]
    fn paths_are_added_removed_changed_or_kept() {
        let old: BTreeMap<String, Side> = [
            (".".to_owned(), s("r0", Some("CN=A"))),
            ("a.dll".to_owned(), s("a", Some("CN=A"))),
            ("gone.txt".to_owned(), s("g", None)),
            ("same.txt".to_owned(), s("x", None)),
        ]
        .into();
        let new: BTreeMap<String, Side> = [
            (".".to_owned(), s("r1", Some("CN=B"))),
            ("a.dll".to_owned(), s("a", Some("CN=A"))),
            ("new.txt".to_owned(), s("n", None)),
            ("same.txt".to_owned(), s("x", None)),
        ]
        .into();
        let d = diff(&old, &new);
        let got: Vec<(&str, Change, bool)> = d
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.change, e.signer_changed))
            .collect();
        assert_eq!(
            got,
            [
                (".", Change::Changed, true),
                ("a.dll", Change::Unchanged, false),
                ("gone.txt", Change::Removed, false),
                ("new.txt", Change::Added, false),
                ("same.txt", Change::Unchanged, false),
            ]
        );
        assert_eq!(
            d.summary_line(),
            "1 added, 1 removed, 1 changed, 2 unchanged, 1 signer changed"
        );
        let mut delta = Vec::new();
        d.write_delta(&mut delta).unwrap();
        assert_eq!(
            String::from_utf8(delta).unwrap(),
            "r1  .\nn  new.txt\n-r0  .\n-g  gone.txt\n"
        );
    }

    #[test]
    fn unreadable_content_is_never_unchanged() {
        let mut a = s("x", None);
        a.sha256 = None;
        let old: BTreeMap<String, Side> = [("f".to_owned(), a.clone())].into();
        let new: BTreeMap<String, Side> = [("f".to_owned(), a)].into();
        assert_eq!(diff(&old, &new).entries[0].change, Change::Changed);
    }
}
