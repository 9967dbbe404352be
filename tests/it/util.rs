//! Shared helpers: where the corpus lives and how to walk it.

use std::path::{Path, PathBuf};

/// `corpus/` of this checkout.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Every sample file under `corpus/` (not the build sources, reference
/// listings or docs), as paths relative to `corpus/` with `/` separators,
/// sorted.
pub fn samples() -> Vec<String> {
    let root = corpus();
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let e = e.expect("walk corpus");
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(&root)
            .expect("under corpus")
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel.split('/').next().unwrap_or_default();
        if matches!(top, "src" | "reference") || !rel.contains('/') {
            continue;
        }
        out.push(rel);
    }
    out
}
