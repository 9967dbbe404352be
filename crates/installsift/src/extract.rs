//! Write every nested file of an input to disk, safely.
//!
//! The scan hands each node's bytes to a sink as it reaches them, so
//! extraction decodes nothing twice and obeys the same [`Limits`](crate::Limits).
//! Every entry name from a file is untrusted: it is split on `/` and `\`, and
//! each part is made safe ([`safe_component`]), so nothing is ever written
//! outside the output directory, no symlink is followed or created, and
//! collisions get a `~2`, `~3` … suffix in scan order (deterministic).
//!
//! Layout: the input `setup.exe` becomes `OUT/setup.exe/`; a node's bytes are
//! written at its path below that, and the entries found inside a node go in
//! a directory named after it with `.contents` appended, e.g.
//! `OUT/setup.exe/[overlay]` and `OUT/setup.exe/[overlay].contents/readme.txt`.

use crate::report::{NodeInfo, Report};
use crate::scan::{DataSink, Scanner};
use installsift_model::error::{Error, Result};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Longest file-name component written, in bytes.
const MAX_COMPONENT: usize = 200;
/// Most directory levels one entry name may create.
const MAX_COMPONENTS: usize = 64;
/// Collision suffixes tried before giving up on a name.
const MAX_SUFFIX: u32 = 10_000;

/// Where one node went.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "ExtractLine"))]
pub struct ManifestLine<'a> {
    /// The node, as `scan` reports it.
    #[serde(flatten)]
    pub node: &'a NodeInfo,
    /// Path of the written file, relative to the output directory (`/`
    /// separators); `null` for the input itself and for content not read.
    pub extracted_to: Option<String>,
    /// Why writing failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extract_error: Option<String>,
}

/// The result of extracting one input.
#[derive(Debug)]
pub struct Extraction {
    /// The scan report (as `scan` would give it).
    pub report: Report,
    /// Where each node's bytes were written (relative to the output
    /// directory) or why not, by node number: 1-based, pre-order over
    /// `report` (the order of [`Node::walk`](crate::Node::walk)).
    pub written: HashMap<u64, std::result::Result<String, String>>,
}

impl Extraction {
    /// One manifest line per node, parent before children.
    pub fn manifest(&self) -> Vec<ManifestLine<'_>> {
        let mut out = Vec::new();
        let mut number = 0u64;
        self.report.root.walk(&mut |n| {
            number += 1;
            let w = self.written.get(&number);
            out.push(ManifestLine {
                node: &n.info,
                extracted_to: w.and_then(|r| r.as_ref().ok().cloned()),
                extract_error: w.and_then(|r| r.as_ref().err().cloned()),
            });
        });
        out
    }
}

/// Make one untrusted name component safe to create on Linux and Windows, or
/// `None` when it names nothing (`""`, `.`). `..` becomes `__`; control
/// characters (NUL included) and `:*?"<>|` become `_`; trailing dots and
/// spaces are replaced; Windows device names get a `_` prefix; long names are
/// cut at a character boundary.
pub fn safe_component(c: &str) -> Option<String> {
    if c.is_empty() || c == "." {
        return None;
    }
    if c == ".." {
        return Some("__".to_owned());
    }
    let mut s: String = c
        .chars()
        .map(|ch| {
            if ch.is_control() || matches!(ch, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                ch
            }
        })
        .collect();
    while s.ends_with('.') || s.ends_with(' ') {
        s.pop();
        s.push('_');
        if s.chars().all(|ch| ch == '_') {
            break;
        }
    }
    let stem = s.split('.').next().unwrap_or_default().to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes().get(3).is_some_and(u8::is_ascii_digit));
    if reserved {
        s.insert(0, '_');
    }
    if s.len() > MAX_COMPONENT {
        let mut cut = MAX_COMPONENT;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    Some(s)
}

/// Safe relative components of an entry name.
fn components(name: &str) -> Vec<String> {
    let mut parts: Vec<String> = name.split(['/', '\\']).filter_map(safe_component).collect();
    if parts.len() > MAX_COMPONENTS {
        let rest = parts.split_off(MAX_COMPONENTS - 1).join("_");
        parts.push(safe_component(&rest).unwrap_or_else(|| "_".to_owned()));
    }
    if parts.is_empty() {
        parts.push("_".to_owned());
    }
    parts
}

/// Is `p` a real directory (not a symlink to one)?
fn is_real_dir(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_dir())
}

/// `base` + `name`, or with `~N` when taken by something of the wrong kind.
fn free_name(dir: &Path, name: &str, want_dir: bool) -> Option<PathBuf> {
    for n in 1..=MAX_SUFFIX {
        let candidate = if n == 1 {
            name.to_owned()
        } else {
            format!("{name}~{n}")
        };
        let p = dir.join(&candidate);
        match fs::symlink_metadata(&p) {
            Err(_) => return Some(p),
            Ok(m) if want_dir && m.file_type().is_dir() => return Some(p),
            Ok(_) => continue,
        }
    }
    None
}

/// Create (or reuse) the directory chain `parts` below `dir`.
fn make_dirs(dir: &Path, parts: &[String]) -> std::io::Result<PathBuf> {
    let mut at = dir.to_path_buf();
    for p in parts {
        let next = free_name(&at, p, true)
            .ok_or_else(|| std::io::Error::other("no free directory name"))?;
        if !is_real_dir(&next) {
            fs::create_dir(&next)?;
        }
        at = next;
    }
    Ok(at)
}

/// Name of the file a streamed entry is written to before it becomes a node
/// (directly in the output directory; entries all go below an input's own
/// directory, so it cannot collide with one).
const PARTIAL: &str = ".installsift-partial";

/// State of one extraction, shared with the scan's data sink.
struct Writer {
    out: PathBuf,
    /// The entry being streamed, written as it arrives (the scan does not
    /// keep large entries in memory), and whether writing it failed.
    partial: Option<std::result::Result<fs::File, String>>,
    /// Where the last streamed entry went, for a container that reports the
    /// same stream under two names.
    last_streamed: Option<PathBuf>,
    /// For each depth of the current branch, where that node was written
    /// (its file; for the input, its directory), when it was.
    stack: Vec<Option<PathBuf>>,
    written: HashMap<u64, std::result::Result<String, String>>,
}

impl Writer {
    fn write(&mut self, number: u64, path: &[String], data: &[u8]) {
        let depth = path.len().saturating_sub(1);
        self.stack.truncate(depth);
        let Some(name) = path.last() else { return };
        if depth == 0 {
            // The input itself: its entries go in OUT/<input file name>/.
            let base = Path::new(name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let base = safe_component(&base).unwrap_or_else(|| "input".to_owned());
            match make_dirs(&self.out, &[base]) {
                Ok(d) => self.stack.push(Some(d)),
                Err(e) => {
                    self.written.insert(number, Err(e.to_string()));
                    self.stack.push(None);
                }
            }
            return;
        }
        let result = self.write_entry(depth, name, |target| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(target)
                .map_err(|e| e.to_string())?;
            f.write_all(data).map_err(|e| e.to_string())
        });
        self.stack
            .push(result.as_ref().ok().map(|(p, _)| p.clone()));
        self.written.insert(number, result.map(|(_, rel)| rel));
    }

    /// Place node `number` (at `path`) whose bytes were streamed to
    /// [`PARTIAL`]: move that file to the node's place.
    fn streamed(&mut self, number: u64, path: &[String]) {
        let depth = path.len().saturating_sub(1);
        self.stack.truncate(depth);
        let Some(name) = path.last() else { return };
        let partial = self.partial.take();
        let source = self.out.join(PARTIAL);
        let last = self.last_streamed.clone();
        let result = self.write_entry(depth.max(1), name, |target| match (partial, last) {
            (Some(Ok(f)), _) => {
                drop(f);
                fs::rename(&source, target).map_err(|e| e.to_string())
            }
            (Some(Err(e)), _) => Err(e),
            (None, Some(prev)) => fs::copy(prev, target)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            (None, None) => Err("streamed content was not received".to_owned()),
        });
        if let Ok((p, _)) = &result {
            self.last_streamed = Some(p.clone());
        }
        self.stack
            .push(result.as_ref().ok().map(|(p, _)| p.clone()));
        self.written.insert(number, result.map(|(_, rel)| rel));
    }

    /// Node `number` at `path` has the bytes of node `from`, already
    /// written: copy that file to the node's place.
    fn copy(&mut self, number: u64, path: &[String], from: u64) {
        let depth = path.len().saturating_sub(1);
        self.stack.truncate(depth);
        let Some(name) = path.last() else { return };
        let source = match self.written.get(&from) {
            Some(Ok(rel)) => Ok(self.out.join(rel)),
            Some(Err(e)) => Err(format!("the entry it repeats was not written: {e}")),
            None => Err("the entry it repeats was not written".to_owned()),
        };
        let result = self.write_entry(depth.max(1), name, |target| {
            let source = source?;
            fs::copy(source, target)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
        self.stack
            .push(result.as_ref().ok().map(|(p, _)| p.clone()));
        self.written.insert(number, result.map(|(_, rel)| rel));
    }

    /// Drop a stream that did not become a node and start a new one. The
    /// file is created anew (whatever had its name removed first, a symlink
    /// included), so nothing is written through a link.
    fn begin(&mut self) {
        self.partial = None;
        let p = self.out.join(PARTIAL);
        let _ = fs::remove_file(&p);
        self.partial = Some(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .map_err(|e| e.to_string()),
        );
    }

    fn chunk(&mut self, data: &[u8]) {
        if let Some(Ok(f)) = &mut self.partial {
            if let Err(e) = f.write_all(data) {
                self.partial = Some(Err(e.to_string()));
            }
        }
    }

    /// Find the place of an entry and write it there with `put`.
    fn write_entry(
        &mut self,
        depth: usize,
        name: &str,
        put: impl FnOnce(&Path) -> std::result::Result<(), String>,
    ) -> std::result::Result<(PathBuf, String), String> {
        let Some(Some(parent_file)) = self.stack.get(depth - 1).cloned() else {
            return Err("parent was not extracted".to_owned());
        };
        // The input's entries go in its directory; any other node's entries
        // go in `<node>.contents`.
        let container = if depth == 1 {
            parent_file
        } else {
            let file_name = parent_file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dir = parent_file.with_file_name(format!("{file_name}.contents"));
            if !is_real_dir(&dir) {
                fs::create_dir(&dir).map_err(|e| e.to_string())?;
            }
            dir
        };
        let mut parts = components(name);
        let leaf = parts.pop().unwrap_or_else(|| "_".to_owned());
        let dir = make_dirs(&container, &parts).map_err(|e| e.to_string())?;
        let target = free_name(&dir, &leaf, false).ok_or_else(|| "no free file name".to_owned())?;
        put(&target)?;
        let rel = target.strip_prefix(&self.out).unwrap_or(&target);
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        Ok((target, rel))
    }
}

/// The scan's view of the [`Writer`].
struct Sink(Rc<RefCell<Writer>>);

impl DataSink for Sink {
    fn node(&mut self, number: u64, path: &[String], data: &[u8]) {
        self.0.borrow_mut().write(number, path, data);
    }
    fn begin(&mut self) {
        self.0.borrow_mut().begin();
    }
    fn chunk(&mut self, data: &[u8]) {
        self.0.borrow_mut().chunk(data);
    }
    fn streamed(&mut self, number: u64, path: &[String]) {
        self.0.borrow_mut().streamed(number, path);
    }
    fn copy(&mut self, number: u64, path: &[String], from: u64) {
        self.0.borrow_mut().copy(number, path, from);
    }
}

/// Scan `input` and write every nested file below `out` (created if needed).
/// Fails only when `input` cannot be read or `out` cannot be created; a file
/// that cannot be written is recorded in [`Extraction::written`].
pub fn extract(scanner: &Scanner, input: &Path, out: &Path) -> Result<Extraction> {
    fs::create_dir_all(out).map_err(|e| Error::io(format!("{}: {e}", out.display())))?;
    if !is_real_dir(out) {
        return Err(Error::io(format!("{}: not a directory", out.display())));
    }
    let writer = Rc::new(RefCell::new(Writer {
        out: out.to_path_buf(),
        stack: Vec::new(),
        written: HashMap::new(),
        partial: None,
        last_streamed: None,
    }));
    let sink = Sink(Rc::clone(&writer));
    let report = scanner.scan_path_inner(input, Some(Box::new(sink)));
    // A stream cut short by a limit never became a node.
    let _ = fs::remove_file(out.join(PARTIAL));
    let report = report?;
    let written = std::mem::take(&mut writer.borrow_mut().written);
    Ok(Extraction { report, written })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_never_climb_or_root() {
        assert_eq!(
            components("../../etc/passwd"),
            ["__", "__", "etc", "passwd"]
        );
        assert_eq!(components("/abs/path"), ["abs", "path"]);
        assert_eq!(components("C:\\Windows\\x.dll"), ["C_", "Windows", "x.dll"]);
        assert_eq!(components("a\0b"), ["a_b"]);
        assert_eq!(components(""), ["_"]);
        assert_eq!(components("./."), ["_"]);
        assert_eq!(components("CON.txt"), ["_CON.txt"]);
        assert_eq!(components("com1"), ["_com1"]);
        assert_eq!(components("trailing. "), ["trailing._"]);
        let long = "é".repeat(40_000);
        let c = components(&long);
        assert!(c[0].len() <= MAX_COMPONENT && c[0].starts_with('é'));
        assert_eq!(components(&"a/".repeat(10_000)).len(), MAX_COMPONENTS);
    }
}
