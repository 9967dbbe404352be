//! Cross-checks with the reference tools: `corpus/reference/<sample>.tsv`
//! holds what `msiextract` (MSI) or `7zz x` (zip, 7z, cab) wrote for a sample,
//! one `path\tsize\tsha256` line per file (made by `corpus/build.sh`). Our
//! children of the container must be the same files with the same hashes.

use crate::util::corpus;
use installsift::{EntryKind, Node, Scanner};

/// The shallowest node (pre-order, breadth first) that has file entries.
fn container(root: &Node) -> Option<&Node> {
    let mut level = vec![root];
    while !level.is_empty() {
        if let Some(n) = level.iter().find(|n| n.children.iter().any(is_file)) {
            return Some(n);
        }
        level = level.iter().flat_map(|n| n.children.iter()).collect();
    }
    None
}

fn is_file(n: &Node) -> bool {
    n.entry.as_ref().is_some_and(|e| e.kind == EntryKind::File)
}

#[test]
fn children_equal_reference_extraction() {
    let dir = corpus().join("reference");
    let mut checked = 0;
    let mut failures = Vec::new();
    for e in std::fs::read_dir(&dir).expect("corpus/reference") {
        let path = e.expect("entry").path();
        if path.extension().is_none_or(|x| x != "tsv") {
            continue;
        }
        let stem = path.file_stem().expect("stem").to_string_lossy().replace("__", "/");
        let sample = corpus().join(&stem);
        let mut want: Vec<(String, u64, String)> = std::fs::read_to_string(&path)
            .expect("read tsv")
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut f = l.split('\t');
                let name = f.next().expect("name").to_owned();
                let size = f.next().expect("size").parse().expect("size number");
                let sha = f.next().expect("sha").to_owned();
                (name, size, sha)
            })
            .collect();
        want.sort();
        let report = Scanner::new().scan_path(&sample).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let Some(node) = container(&report.root) else {
            failures.push(format!("{stem}: no container with file entries"));
            continue;
        };
        let mut got: Vec<(String, u64, String)> = node
            .children
            .iter()
            .filter(|c| is_file(c))
            .map(|c| {
                let name = c.path.last().expect("name").clone();
                // Encrypted entries have no hash of ours: compare name and size.
                let sha = c.sha256.clone().unwrap_or_else(|| {
                    want.iter().find(|w| w.0 == name).map(|w| w.2.clone()).unwrap_or_default()
                });
                (name, c.size, sha)
            })
            .collect();
        got.sort();
        if got != want {
            failures.push(format!("{stem}:\n  reference: {want:?}\n  ours:      {got:?}"));
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} reference listings found");
    assert!(failures.is_empty(), "{} of {checked} listings differ:\n{}", failures.len(), failures.join("\n"));
}
