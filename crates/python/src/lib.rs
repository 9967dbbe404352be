//! `installsift._native`: the extension module of the Python package
//! `installsift` (the Python half, with the documented API, is
//! `python/installsift/`).
//!
//! It is deliberately thin: every byte it hands to Python is rendered by
//! the library (`installsift::render`'s JSONL, the export crate's
//! writers), so the package's records are the CLI's records, and the
//! arguments go through the same tables as the CLI's (`LIMITS`,
//! `HashSelection::parse_list`, `ExportFormat::from_name`). The GIL is
//! released while scanning (`Python::detach`).
//!
//! | function | what it returns |
//! |---|---|
//! | `scan_paths_jsonl(paths, hashes, limits, threads)` | `(jsonl bytes, [(path, error)])` |
//! | `scan_bytes_jsonl(data, name, hashes, limits)` | `jsonl bytes` |
//! | `scan_paths_arrow_lines(…)`, `scan_bytes_arrow_lines(…)` | the same, nested fields as JSON text, for `pyarrow.json` |
//! | `export_paths(paths, to, options, hashes, limits, threads)` | `([part bytes], [warning], summary, [(path, error)])` |
//! | `limits_table()` | `[(name, default value, default as read, meaning, max)]` |
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

use installsift::render::{self, Format};
use installsift::{HashSelection, Limits, ReadMode, Scanner, LIMITS};
use installsift_export::{
    Action, Depth, ExportFormat, ExportOptions, Exporter, HashKind, Only, RuleKind, Severity,
    Timestamp,
};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

create_exception!(
    installsift,
    InstallsiftError,
    PyException,
    "Base class of every error installsift raises."
);
create_exception!(
    installsift,
    BadArgumentError,
    InstallsiftError,
    "An argument installsift does not accept: an unknown hash or limit name, a value out of range, an unknown export format or option."
);
create_exception!(
    installsift,
    UnreadableInputError,
    InstallsiftError,
    "An input could not be read (missing, unreadable, a FIFO, socket or device). Damaged content is never this error: it is reported on the records."
);

/// A scanner set up as the CLI sets up its own (`ReadMode::Auto`), with
/// the hashes (names as `--hashes` takes them) and limits (field names of
/// `LIMITS`) asked for.
fn scanner(hashes: &[String], limits: &BTreeMap<String, u64>) -> PyResult<Scanner> {
    let sel = HashSelection::parse_list(&hashes.join(",")).map_err(BadArgumentError::new_err)?;
    let mut l = Limits::default();
    for (name, &value) in limits {
        if !LIMITS.iter().any(|i| i.name == name) {
            let known: Vec<&str> = LIMITS.iter().map(|i| i.name).collect();
            return Err(BadArgumentError::new_err(format!(
                "no limit is called `{name}` (known: {})",
                known.join(", ")
            )));
        }
        l.set(name, value).map_err(BadArgumentError::new_err)?;
    }
    Ok(Scanner::new()
        .with_read_mode(ReadMode::Auto)
        .with_limits(l)
        .with_hashes(sel))
}

/// Worker threads: as given, else the number of CPUs (the CLI's `-j`).
fn threads(option: Option<usize>) -> usize {
    option.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// An input that could not be read: its path and the error as the CLI
/// prints it.
type Failure = (String, String);

/// Scan files and directories as `installsift scan --format jsonl` does:
/// the same walk, order and bytes. Returns the JSONL and the inputs that
/// could not be read.
#[pyfunction]
#[pyo3(signature = (paths, hashes, limits, threads=None))]
fn scan_paths_jsonl<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    hashes: Vec<String>,
    limits: BTreeMap<String, u64>,
    threads: Option<usize>,
) -> PyResult<(Bound<'py, PyBytes>, Vec<Failure>)> {
    let scanner = scanner(&hashes, &limits)?;
    let threads = self::threads(threads);
    let (out, failed) = py.detach(move || -> io::Result<(Vec<u8>, Vec<Failure>)> {
        let mut writer = render::Writer::new(Vec::new(), Format::Jsonl)?;
        let mut failed = Vec::new();
        let mut write_error = None;
        let map = |_: &std::path::Path, result| render::rendered(result, Format::Jsonl);
        scanner.scan_paths_map(&paths, threads, &map, &mut |path, result| match result {
            Ok((_, part)) => {
                if let Err(e) = writer.write(&part) {
                    write_error.get_or_insert(e);
                }
            }
            Err(e) => failed.push((path.to_string_lossy().into_owned(), e.to_string())),
        });
        if let Some(e) = write_error {
            return Err(e);
        }
        Ok((writer.finish()?, failed))
    })?;
    Ok((PyBytes::new(py, &out), failed))
}

/// Scan a buffer as one input named `name` (the first path segment).
#[pyfunction]
#[pyo3(signature = (data, name, hashes, limits))]
fn scan_bytes_jsonl<'py>(
    py: Python<'py>,
    data: PyBackedBytes,
    name: String,
    hashes: Vec<String>,
    limits: BTreeMap<String, u64>,
) -> PyResult<Bound<'py, PyBytes>> {
    let scanner = scanner(&hashes, &limits)?;
    let out = py.detach(move || {
        let report = scanner.scan_bytes(&name, &data);
        render::render(&report, Format::Jsonl)
    })?;
    Ok(PyBytes::new(py, &out))
}

/// One line per node for Arrow's JSON reader: the record with the fields
/// the Arrow table holds as JSON text (`installsift.arrow`'s "json"
/// columns: installer, tools, evidence, error_details, entry, metadata) as
/// strings holding their JSON, so that `pyarrow.json` builds the table in
/// C++ with every other column typed. Each text is that field serialized
/// on its own by the same `Serialize` as the JSONL, keys in the JSONL's
/// order: the text `json.dumps` gives of the record's value.
fn write_arrow_lines(out: &mut Vec<u8>, report: &installsift::Report) -> Result<(), String> {
    fn text<T: serde::Serialize + ?Sized>(v: &T) -> Result<String, String> {
        serde_json::to_string(v).map_err(|e| e.to_string())
    }
    let mut result = Ok(());
    report.root.walk(&mut |node| {
        if result.is_err() {
            return;
        }
        result = (|| {
            let info = &node.info;
            let mut v = serde_json::to_value(info).map_err(|e| e.to_string())?;
            let texts = [
                (
                    "installer",
                    info.installer.as_deref().map(text).transpose()?,
                ),
                ("tools", info.tools.as_deref().map(text).transpose()?),
                ("evidence", Some(text(&info.evidence)?)),
                (
                    "error_details",
                    (!info.errors.is_empty())
                        .then(|| text(&info.errors))
                        .transpose()?,
                ),
                ("entry", info.entry.as_ref().map(text).transpose()?),
                ("metadata", info.metadata.as_ref().map(text).transpose()?),
            ];
            for (key, t) in texts {
                match (v.get_mut(key), t) {
                    (Some(x), Some(t)) => *x = serde_json::Value::String(t),
                    (None, None) => {}
                    _ => {
                        return Err(format!(
                            "{key}: present in the record and not in the node, or the other way"
                        ))
                    }
                }
            }
            serde_json::to_writer(&mut *out, &v).map_err(|e| e.to_string())?;
            out.push(b'\n');
            Ok(())
        })();
    });
    result
}

fn json_error(e: String) -> PyErr {
    InstallsiftError::new_err(format!("rendering a record: {e}"))
}

/// [`scan_paths_jsonl`] as lines for Arrow's JSON reader
/// ([`write_arrow_lines`]).
#[pyfunction]
#[pyo3(signature = (paths, hashes, limits, threads=None))]
fn scan_paths_arrow_lines<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    hashes: Vec<String>,
    limits: BTreeMap<String, u64>,
    threads: Option<usize>,
) -> PyResult<(Bound<'py, PyBytes>, Vec<Failure>)> {
    let scanner = scanner(&hashes, &limits)?;
    let threads = self::threads(threads);
    let (out, failed) = py
        .detach(move || -> Result<(Vec<u8>, Vec<Failure>), String> {
            let map = |_: &std::path::Path, result: installsift::Result<installsift::Report>| {
                result.map(|report| {
                    let mut lines = Vec::new();
                    write_arrow_lines(&mut lines, &report).map(|()| lines)
                })
            };
            let mut out = Vec::new();
            let mut failed = Vec::new();
            let mut error = None;
            scanner.scan_paths_map(&paths, threads, &map, &mut |path, result| match result {
                Ok(Ok(lines)) => out.extend_from_slice(&lines),
                Ok(Err(e)) => {
                    error.get_or_insert(e);
                }
                Err(e) => failed.push((path.to_string_lossy().into_owned(), e.to_string())),
            });
            match error {
                Some(e) => Err(e),
                None => Ok((out, failed)),
            }
        })
        .map_err(json_error)?;
    Ok((PyBytes::new(py, &out), failed))
}

/// [`scan_bytes_jsonl`] as lines for Arrow's JSON reader.
#[pyfunction]
#[pyo3(signature = (data, name, hashes, limits))]
fn scan_bytes_arrow_lines<'py>(
    py: Python<'py>,
    data: PyBackedBytes,
    name: String,
    hashes: Vec<String>,
    limits: BTreeMap<String, u64>,
) -> PyResult<Bound<'py, PyBytes>> {
    let scanner = scanner(&hashes, &limits)?;
    let out = py
        .detach(move || {
            let report = scanner.scan_bytes(&name, &data);
            let mut out = Vec::new();
            write_arrow_lines(&mut out, &report).map(|()| out)
        })
        .map_err(json_error)?;
    Ok(PyBytes::new(py, &out))
}

/// The limits: (field name, default value, default as read, meaning,
/// largest value), in declaration order.
#[pyfunction]
fn limits_table() -> Vec<(&'static str, u64, &'static str, &'static str, u64)> {
    let d = Limits::default();
    LIMITS
        .iter()
        .map(|l| {
            (
                l.name,
                d.get(l.name).unwrap_or(0),
                l.default,
                l.meaning,
                l.max,
            )
        })
        .collect()
}

/// The export formats' names, as `installsift export --to` takes them.
#[pyfunction]
fn export_formats() -> Vec<&'static str> {
    ExportFormat::ALL.iter().map(|f| f.name()).collect()
}

/// A `Write` into a buffer shared with the caller (the exporter owns its
/// writers; the parts are read back when it is done).
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut v = self
            .0
            .lock()
            .map_err(|_| io::Error::other("export buffer poisoned"))?;
        v.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

fn pick<T: Copy>(what: &str, value: &str, table: &[(&str, T)]) -> PyResult<T> {
    table
        .iter()
        .find(|(n, _)| *n == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            BadArgumentError::new_err(format!(
                "{what}: unknown value `{value}` (known: {})",
                names.join(", ")
            ))
        })
}

/// Export options from their names as the CLI's options take them
/// (`only`, `depth`, `severity`, `action`, `rule`: the CLI's values).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ExportArgs {
    only: String,
    families: Vec<String>,
    depth: String,
    min_size: u64,
    hash: Vec<String>,
    severity: String,
    action: String,
    rule: String,
    expiration: Option<String>,
    comment: String,
    reliability: String,
    timestamp: Option<String>,
    include_unverified: bool,
    full_paths: bool,
}

impl ExportArgs {
    fn options(&self, format: ExportFormat) -> PyResult<ExportOptions> {
        let bad = |what: &str, e: String| BadArgumentError::new_err(format!("{what}: {e}"));
        let timestamp = match &self.timestamp {
            Some(t) => Timestamp::parse(t).map_err(|e| bad("timestamp", e))?,
            None => match std::env::var("SOURCE_DATE_EPOCH") {
                Ok(s) => Timestamp::parse(&format!("@{s}")).map_err(|e| bad("timestamp", e))?,
                Err(_) => Timestamp::now(),
            },
        };
        let expiration = match self.expiration.as_deref() {
            None | Some("never") => None,
            Some(e) => Some(Timestamp::parse(e).map_err(|e| bad("expiration", e))?),
        };
        let mut hashes = Vec::new();
        for h in &self.hash {
            hashes.push(HashKind::from_name(h).ok_or_else(|| {
                bad(
                    "hash",
                    format!("unknown hash `{h}` (sha256, sha1, md5, imphash)"),
                )
            })?);
        }
        let mut reliability = self.reliability.chars();
        let (Some(r), None) = (reliability.next(), reliability.next()) else {
            return Err(bad("reliability", "one letter A–F".to_owned()));
        };
        let opts = ExportOptions {
            only: pick(
                "only",
                &self.only,
                &[
                    ("all", Only::All),
                    ("installers", Only::Installers),
                    ("non-installers", Only::NonInstallers),
                ],
            )?,
            families: self
                .families
                .iter()
                .map(|f| f.trim().to_ascii_lowercase())
                .collect(),
            depth: pick(
                "depth",
                &self.depth,
                &[("top", Depth::Top), ("all", Depth::All)],
            )?,
            min_size: self.min_size,
            hashes,
            severity: pick(
                "severity",
                &self.severity,
                &[
                    ("info", Severity::Info),
                    ("low", Severity::Low),
                    ("medium", Severity::Medium),
                    ("high", Severity::High),
                    ("critical", Severity::Critical),
                ],
            )?,
            action: pick(
                "action",
                &self.action,
                &[
                    ("allow", Action::Allow),
                    ("audit", Action::Audit),
                    ("warn", Action::Warn),
                    ("block", Action::Block),
                    ("block-and-remediate", Action::BlockAndRemediate),
                ],
            )?,
            expiration,
            comment: self.comment.clone(),
            reliability: r.to_ascii_uppercase(),
            timestamp,
            rule: RuleKind::from_name(&self.rule).ok_or_else(|| {
                bad(
                    "rule",
                    format!("unknown rule `{}` (hash, publisher, pca, both)", self.rule),
                )
            })?,
            include_unverified: self.include_unverified,
            full_paths: self.full_paths,
        };
        opts.validate(format).map_err(BadArgumentError::new_err)?;
        Ok(opts)
    }
}

/// What [`export_paths`] returns: the parts written (one unless the format
/// splits its output), the warnings, the summary line, the unreadable
/// inputs.
type Exported<'py> = (Vec<Bound<'py, PyBytes>>, Vec<String>, String, Vec<Failure>);

/// `installsift export --to FORMAT` over files and directories.
#[pyfunction]
#[pyo3(signature = (paths, to, options, limits, threads=None))]
fn export_paths<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    to: String,
    options: ExportArgs,
    limits: BTreeMap<String, u64>,
    threads: Option<usize>,
) -> PyResult<Exported<'py>> {
    let format = ExportFormat::from_name(&to).ok_or_else(|| {
        let names: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.name()).collect();
        BadArgumentError::new_err(format!(
            "unknown format `{to}` (known: {})",
            names.join(", ")
        ))
    })?;
    let opts = options.options(format)?;
    let scanner = scanner(&[], &limits)?.with_hashes(format.hashes_needed(&opts));
    let threads = self::threads(threads);
    let result = py.detach(move || -> io::Result<_> {
        let parts: Arc<Mutex<Vec<Shared>>> = Arc::new(Mutex::new(vec![Shared::default()]));
        let first = parts
            .lock()
            .map_err(|_| io::Error::other("export parts poisoned"))?
            .first()
            .cloned()
            .unwrap_or_default();
        let opener = {
            let parts = Arc::clone(&parts);
            Box::new(move |_n: u32| -> io::Result<Box<dyn Write>> {
                let part = Shared::default();
                parts
                    .lock()
                    .map_err(|_| io::Error::other("export parts poisoned"))?
                    .push(part.clone());
                Ok(Box::new(part) as Box<dyn Write>)
            })
        };
        let mut exporter = Exporter::with_parts(format, opts, Box::new(first), opener)?;
        let mut failed = Vec::new();
        let mut warnings = Vec::new();
        let mut write_error = None;
        scanner.scan_paths(&paths, threads, &mut |path, result| match result {
            Ok(report) => {
                if let Err(e) = exporter.add_report_from(path, &report.root) {
                    write_error.get_or_insert(e);
                }
                warnings.extend(exporter.take_warnings().iter().map(|w| w.to_string()));
            }
            Err(e) => failed.push((path.to_string_lossy().into_owned(), e.to_string())),
        });
        if let Some(e) = write_error {
            return Err(e);
        }
        let (stats, rest) = exporter.finish()?;
        warnings.extend(rest.iter().map(|w| w.to_string()));
        let summary = stats.summary(format, failed.len() as u64);
        let bytes: Vec<Vec<u8>> = parts
            .lock()
            .map_err(|_| io::Error::other("export parts poisoned"))?
            .iter()
            .map(Shared::take)
            .collect();
        Ok((bytes, warnings, summary, failed))
    });
    let (bytes, warnings, summary, failed) = result.map_err(|e| {
        if e.kind() == io::ErrorKind::InvalidInput {
            BadArgumentError::new_err(e.to_string())
        } else {
            InstallsiftError::new_err(format!("writing the export: {e}"))
        }
    })?;
    let parts = bytes.iter().map(|b| PyBytes::new(py, b)).collect();
    Ok((parts, warnings, summary, failed))
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("InstallsiftError", py.get_type::<InstallsiftError>())?;
    m.add("BadArgumentError", py.get_type::<BadArgumentError>())?;
    m.add(
        "UnreadableInputError",
        py.get_type::<UnreadableInputError>(),
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(scan_paths_jsonl, m)?)?;
    m.add_function(wrap_pyfunction!(scan_bytes_jsonl, m)?)?;
    m.add_function(wrap_pyfunction!(scan_paths_arrow_lines, m)?)?;
    m.add_function(wrap_pyfunction!(scan_bytes_arrow_lines, m)?)?;
    m.add_function(wrap_pyfunction!(limits_table, m)?)?;
    m.add_function(wrap_pyfunction!(export_formats, m)?)?;
    m.add_function(wrap_pyfunction!(export_paths, m)?)?;
    Ok(())
}
