//! Shared helpers: where the corpus lives and how to walk it; exporting
//! scans in memory and comparing with golden files.

use std::path::{Path, PathBuf};

/// The root of this checkout (the workspace).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `corpus/` of this checkout.
pub fn corpus() -> PathBuf {
    root().join("corpus")
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

/// An in-memory output an exporter writes to while the test keeps a handle.
#[derive(Clone, Default)]
pub struct Shared(pub std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Export what scanning `inputs` (`(name, bytes)`) gives, in memory: the
/// text and the warnings as strings.
pub fn export_inputs<N: AsRef<str>>(
    format: installsift_export::ExportFormat,
    opts: installsift_export::ExportOptions,
    inputs: &[(N, Vec<u8>)],
) -> (String, Vec<String>) {
    let scanner = installsift::Scanner::new().with_hashes(format.hashes_needed(&opts));
    let out = Shared::default();
    let mut ex = installsift_export::Exporter::new(format, opts, Box::new(out.clone()))
        .expect("options fit");
    let mut warnings = Vec::new();
    for (name, data) in inputs {
        let report = scanner.scan_bytes(name.as_ref(), data);
        ex.add_report(&report.root).expect("write");
        warnings.extend(ex.take_warnings().iter().map(ToString::to_string));
    }
    let (_, rest) = ex.finish().expect("finish");
    warnings.extend(rest.iter().map(ToString::to_string));
    let text = String::from_utf8(out.0.borrow().clone()).expect("utf-8");
    (text, warnings)
}

/// [`export_inputs`] over corpus samples.
pub fn export_samples(
    format: installsift_export::ExportFormat,
    opts: installsift_export::ExportOptions,
    rels: &[&str],
) -> (String, Vec<String>) {
    let inputs: Vec<(&str, Vec<u8>)> = rels
        .iter()
        .map(|r| {
            (
                *r,
                std::fs::read(corpus().join(r)).unwrap_or_else(|e| panic!("{r}: {e}")),
            )
        })
        .collect();
    export_inputs(format, opts, &inputs)
}

/// Compare `got` with the golden file `crates/cli/tests/expected/<dir>/<name>` (or
/// write it, with `UPDATE_EXPECT=1`): `None` when equal, else where it
/// differs.
pub fn golden_in(dir: &str, name: &str, got: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(dir)
        .join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, got).expect("write golden");
        return None;
    }
    match std::fs::read_to_string(&path) {
        Ok(want) if want == got => None,
        Ok(want) => {
            let line = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| want.lines().count().min(got.lines().count()));
            Some(format!(
                "{name}: differs at line {}\n  want: {}\n  got:  {}",
                line + 1,
                want.lines().nth(line).unwrap_or("<none>"),
                got.lines().nth(line).unwrap_or("<none>")
            ))
        }
        Err(_) => Some(format!(
            "{name}: missing (run UPDATE_EXPECT=1 cargo test --test it)"
        )),
    }
}

/// A scratch path under Cargo's test temp dir (`name-PID`), removed with
/// everything in it when dropped, so passing tests leave nothing behind.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// An empty directory `name-PID`.
    pub fn dir(name: &str) -> Scratch {
        let s = Scratch::path(name);
        std::fs::create_dir_all(&s.0).expect("mkdir");
        s
    }
    /// The path `name-PID`, nothing created (for a file).
    pub fn path(name: &str) -> Scratch {
        let p =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        let _ = std::fs::remove_file(&p);
        Scratch(p)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One line of a reference listing: name, size, SHA-256.
pub type Row = (String, u64, String);

/// The rows of a reference listing (`name\tsize\tsha256` lines; empty
/// lines skipped), sorted; a missing file panics with `hint`.
pub fn tsv_rows(path: &Path, hint: &str) -> Vec<Row> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}{hint}", path.display()));
    let mut rows: Vec<Row> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_owned(),
                f[1].parse().expect("size"),
                f[2].to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The children of `n` that are file entries (not overlays, resources or
/// streams).
pub fn file_children(n: &installsift::Node) -> Vec<&installsift::Node> {
    n.children
        .iter()
        .filter(|c| {
            c.info
                .entry
                .as_ref()
                .is_some_and(|e| e.kind == installsift::EntryKind::File)
        })
        .collect()
}
