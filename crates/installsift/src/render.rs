//! Rendering reports: the indented text tree (with `--explain`), JSONL (one
//! [`NodeInfo`] per line), a JSON array of reports, the scan's totals, its
//! summary line and the progress line, and the lines of an `extract`
//! manifest. The CLI only picks one; other callers (a service, the
//! Python binding) render the same bytes.

use crate::{Node, NodeInfo, Report, Skipped, Verdict};
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// An output format for scan reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An indented tree, one line per node; with `explain`, each node's
    /// evidence and installer hints under its line.
    Text {
        /// Print evidence and installer hints.
        explain: bool,
    },
    /// One JSON object per node, parent before its children (the JSONL
    /// contract of the README).
    Jsonl,
    /// One JSON array of `{root, stats}` reports.
    Json,
    /// One row per node, comma-separated ([`TABLE_COLUMNS`], RFC 4180
    /// quoting), a header row first: for spreadsheets.
    Csv,
    /// The same rows, tab-separated, `\` `\t` `\n` `\r` escaped as `\\`
    /// `\t` `\n` `\r` (reversible; a field never holds a raw tab or newline).
    Tsv,
}

/// The columns of [`Format::Csv`] and [`Format::Tsv`], in order: the input
/// path, the entry path inside it (names joined by ` > `; empty for the
/// input), then the JSONL contract's fields of the same names (`sha1`,
/// `md5` empty unless asked for; `verified_by` and `errors` joined by
/// `; `). A row for an input that could not be scanned has only `input`
/// and `errors` (`input_error: kind: message`).
pub const TABLE_COLUMNS: [&str; 13] = [
    "input",
    "path",
    "depth",
    "size",
    "sha256",
    "sha1",
    "md5",
    "format",
    "verdict",
    "family",
    "kind",
    "verified_by",
    "errors",
];

/// Writes reports one after another in a [`Format`], framing the JSON
/// array (`[`, `,`, `]`) itself. Small reports may be rendered elsewhere
/// (on worker threads, [`rendered`]) and handed to [`Writer::part`] or
/// [`Writer::write`] in order; large ones are rendered straight into the
/// output, record by record.
pub struct Writer<W: Write> {
    out: W,
    format: Format,
    first: bool,
}

impl<W: Write> Writer<W> {
    /// Start writing to `out` (the `[` of a JSON array).
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        match format {
            Format::Json => writeln!(out, "[")?,
            Format::Csv | Format::Tsv => {
                let fields = TABLE_COLUMNS.map(str::to_owned);
                write_row(&mut out, format, &fields)?;
            }
            _ => {}
        }
        Ok(Writer {
            out,
            format,
            first: true,
        })
    }

    /// The JSON array's separator before every report but the first.
    fn begin(&mut self) -> io::Result<()> {
        if self.format == Format::Json && !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        Ok(())
    }

    /// Write one report, rendering it into the output as it goes (its
    /// rendered form is never held whole).
    pub fn report(&mut self, report: &Report) -> io::Result<()> {
        self.begin()?;
        write_report(&mut self.out, report, self.format)
    }

    /// Write one report already rendered with [`render`].
    pub fn part(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.begin()?;
        self.out.write_all(bytes)
    }

    /// Write one [`Part`] from [`rendered`]: its bytes, or the report
    /// rendered now.
    pub fn write(&mut self, part: &Part) -> io::Result<()> {
        match part {
            Part::Bytes(bytes) => self.part(bytes),
            Part::Report(report) => self.report(report),
        }
    }

    /// An input that could not be scanned (unreadable, vanished, a FIFO or
    /// device named): in JSON and JSONL a record of its own,
    /// `{"path": [input], "depth": 0, "input_error": {kind, limit?, message}}`
    /// (as in `error_details`), so a
    /// consumer of the output sees every input; nothing in text (the
    /// caller reports it on standard error).
    pub fn input_error(&mut self, path: &std::path::Path, error: &crate::Error) -> io::Result<()> {
        match self.format {
            Format::Text { .. } => return Ok(()),
            Format::Csv | Format::Tsv => {
                let mut row: [String; TABLE_COLUMNS.len()] = Default::default();
                row[0] = path.to_string_lossy().into_owned();
                row[12] = format!("input_error: {}: {}", error.kind(), error.message());
                return write_row(&mut self.out, self.format, &row);
            }
            _ => {}
        }
        let record = InputErrorRecord {
            path: [path.to_string_lossy()],
            depth: 0,
            input_error: InputErrorDetail {
                kind: error.kind(),
                limit: error.limit_hit(),
                message: error.message(),
            },
        };
        self.begin()?;
        serde_json::to_writer(&mut self.out, &record)?;
        self.out.write_all(b"\n")
    }

    /// Close the array and flush; the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == Format::Json {
            writeln!(self.out, "\n]")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The JSON and JSONL record of an input that could not be scanned
/// ([`Writer::input_error`]).
#[derive(serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(rename = "InputError"))]
pub(crate) struct InputErrorRecord<'a> {
    /// The input as named (or found while walking).
    path: [std::borrow::Cow<'a, str>; 1],
    /// Always 0: an input.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = 0)))]
    depth: u32,
    /// Why it could not be scanned.
    input_error: InputErrorDetail<'a>,
}

/// Why an input could not be scanned: an error as in `error_details`,
/// without an offset.
#[derive(serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct InputErrorDetail<'a> {
    /// The error's kind (`io`, `limit-exceeded` …).
    #[cfg_attr(feature = "schema", schemars(schema_with = "error_kind_schema"))]
    kind: &'static str,
    /// The limit hit, for a `limit-exceeded` error.
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<crate::Limit>,
    /// What went wrong, in words.
    message: &'a str,
}

/// The schema of an error's `kind` where it is written as a string (the
/// `InputError` record): the kinds of [`Error`](crate::Error)'s own schema,
/// whose variants are told apart by their `kind` tag.
#[cfg(feature = "schema")]
fn error_kind_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let error = <crate::Error as schemars::JsonSchema>::json_schema(generator);
    let mut kinds = Vec::new();
    if let Some(serde_json::Value::Array(variants)) = error.get("oneOf") {
        for v in variants {
            if let Some(k) = v.pointer("/properties/kind/const") {
                kinds.push(k.clone());
            } else if let Some(serde_json::Value::Array(ks)) = v.pointer("/properties/kind/enum") {
                kinds.extend(ks.iter().cloned());
            }
        }
    }
    schemars::json_schema!({ "type": "string", "enum": kinds })
}

/// One report's bytes in `format` (without the JSON array's framing).
pub fn render(report: &Report, format: Format) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    write_report(&mut buf, report, format)?;
    Ok(buf)
}

/// One report in `format` (without the JSON array's framing), written to
/// `out` as it is rendered.
fn write_report(out: &mut dyn Write, report: &Report, format: Format) -> io::Result<()> {
    match format {
        Format::Text { explain } => write_text(out, &report.root, explain),
        Format::Jsonl => write_jsonl(out, &report.root),
        Format::Json => serde_json::to_writer(out, report).map_err(io::Error::from),
        Format::Csv | Format::Tsv => write_table(out, &report.root, format),
    }
}

/// One row per node ([`TABLE_COLUMNS`]), parent before children.
fn write_table(out: &mut dyn Write, root: &Node, format: Format) -> io::Result<()> {
    let mut r = Ok(());
    root.walk(&mut |n: &Node| {
        if r.is_err() {
            return;
        }
        let i = &n.info;
        let hex = |h: Option<String>| h.unwrap_or_default();
        let row = [
            i.path.first().cloned().unwrap_or_default(),
            i.path.get(1..).unwrap_or(&[]).join(" > "),
            i.depth.to_string(),
            i.size.to_string(),
            hex(i.sha256.map(|h| h.to_string())),
            hex(i.sha1.map(|h| h.to_string())),
            hex(i.md5.map(|h| h.to_string())),
            i.format.as_str().to_owned(),
            i.verdict.as_str().to_owned(),
            i.family.map(|f| f.as_str().to_owned()).unwrap_or_default(),
            i.kind.clone().unwrap_or_default(),
            i.verified_by
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            i.errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ];
        r = write_row(out, format, &row);
    });
    r
}

/// One CSV or TSV row. CSV: RFC 4180 (a field holding `,` `"` or a line
/// break is quoted, `"` doubled); a text field that a spreadsheet would
/// read as a formula (starting with `=` `+` `-` `@`, a tab or a carriage
/// return: names come from the files scanned) is prefixed with `'`. TSV:
/// backslash escapes, no quoting.
fn write_row<W: Write + ?Sized>(out: &mut W, format: Format, fields: &[String]) -> io::Result<()> {
    let mut line = String::new();
    for (k, f) in fields.iter().enumerate() {
        if k > 0 {
            line.push(if format == Format::Tsv { '\t' } else { ',' });
        }
        if format == Format::Tsv {
            for c in f.chars() {
                match c {
                    '\\' => line.push_str("\\\\"),
                    '\t' => line.push_str("\\t"),
                    '\n' => line.push_str("\\n"),
                    '\r' => line.push_str("\\r"),
                    c => line.push(c),
                }
            }
            continue;
        }
        let numeric = !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit());
        let formula = !numeric && f.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let guarded = if formula { format!("'{f}") } else { f.clone() };
        if guarded.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&guarded.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&guarded);
        }
    }
    line.push_str(if format == Format::Csv { "\r\n" } else { "\n" });
    out.write_all(line.as_bytes())
}

/// Reports of more nodes than this are not rendered on a worker thread by
/// [`rendered`] but handed on whole and rendered into the output by
/// [`Writer::write`]: rendered, 60,000 entries are about 35 MB held on top
/// of the report (issue 16: the 65,000-entry cabinets peaked at 156 MB).
/// Below it (a few MB at most) rendering stays on the workers.
pub const RENDER_ON_WORKER_MAX_NODES: u64 = 4096;

/// A report ready for [`Writer::write`]: rendered, or (a large one) still
/// to be rendered into the output.
#[derive(Debug)]
pub enum Part {
    /// The bytes of [`render`].
    Bytes(Vec<u8>),
    /// A report of more than [`RENDER_ON_WORKER_MAX_NODES`] nodes.
    Report(Box<Report>),
}

/// What a scan produced, summed over its reports.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Inputs scanned.
    pub files: u64,
    /// Nodes in their reports.
    pub nodes: u64,
    /// Inputs that are installers.
    pub installers: u64,
    /// Nodes with errors.
    pub with_errors: u64,
    /// Bytes of the inputs.
    pub bytes: u64,
    /// Entries of walked directories that are not regular files (set from
    /// what [`Scanner::scan_paths`](crate::Scanner::scan_paths) returns).
    pub skipped: Skipped,
}

impl Totals {
    /// The totals of one report.
    pub fn of(r: &Report) -> Self {
        Self {
            files: 1,
            nodes: r.stats.nodes,
            installers: u64::from(r.root.info.verdict == Verdict::Installer),
            with_errors: r.stats.nodes_with_errors,
            bytes: r.root.info.size,
            skipped: Skipped::default(),
        }
    }

    /// Add another report's (or scan's) totals.
    pub fn merge(&mut self, o: &Self) {
        self.files += o.files;
        self.nodes += o.nodes;
        self.installers += o.installers;
        self.with_errors += o.with_errors;
        self.bytes += o.bytes;
        self.skipped.merge(&o.skipped);
    }

    /// The closing line of a text scan (without its newline), with the
    /// number of inputs that could not be read and the walk's skipped
    /// entries when there were any: `3 files, 9 nodes, 1 installers, 0
    /// nodes with errors, 2 unreadable, 3 skipped (2 symlinks, 1 fifos)`.
    pub fn summary(&self, unreadable: u64) -> String {
        let mut line = format!(
            "{} files, {} nodes, {} installers, {} nodes with errors",
            self.files, self.nodes, self.installers, self.with_errors
        );
        if unreadable > 0 {
            line.push_str(&format!(", {unreadable} unreadable"));
        }
        if let Some(s) = skipped_counts(&self.skipped) {
            line.push_str(&format!(", {s}"));
        }
        line
    }
}

/// `3 skipped (2 symlinks, 1 fifos)`, or `None` when a walk skipped nothing.
fn skipped_counts(s: &Skipped) -> Option<String> {
    let kinds: Vec<String> = [
        (s.symlinks, "symlinks"),
        (s.fifos, "fifos"),
        (s.sockets, "sockets"),
        (s.devices, "devices"),
        (s.other, "other"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, k)| format!("{n} {k}"))
    .collect();
    (!kinds.is_empty()).then(|| format!("{} skipped ({})", s.total(), kinds.join(", ")))
}

/// The standard-error note of a scan or export whose output has no
/// summary line (JSON, JSONL, exports): what its directory walks skipped,
/// `3 skipped (2 symlinks, 1 fifos): not regular files, not scanned`, or
/// `None` when nothing was.
pub fn skipped_note(s: &Skipped) -> Option<String> {
    skipped_counts(s).map(|c| format!("{c}: not regular files, not scanned"))
}

/// One scan result rendered in `format` with its [`Totals`], for a
/// [`Scanner::scan_paths_map`](crate::Scanner::scan_paths_map) `map`
/// function: reports are rendered on the worker threads and the caller only
/// writes them out, in order, with [`Writer::write`]. A report of more than
/// [`RENDER_ON_WORKER_MAX_NODES`] nodes is passed on unrendered, so that
/// its records go to the output as they are rendered. The error of an
/// input that could not be read is passed through.
pub fn rendered(result: crate::Result<Report>, format: Format) -> crate::Result<(Totals, Part)> {
    // Rendering into a Vec cannot fail but for serde errors, which a
    // Report does not produce.
    result.map(|report| {
        let totals = Totals::of(&report);
        if report.stats.nodes > RENDER_ON_WORKER_MAX_NODES {
            return (totals, Part::Report(Box::new(report)));
        }
        let bytes = render(&report, format).unwrap_or_default();
        (totals, Part::Bytes(bytes))
    })
}

/// One line of an `extract` manifest: the line as JSON, then `\n`.
pub fn write_manifest_line(
    out: &mut dyn Write,
    line: &crate::extract::ManifestLine<'_>,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line)
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
}

/// The warning for a manifest line whose node could not be written
/// (`a.cab > b.txt: not written: …`), `None` when it was.
pub fn not_written(line: &crate::extract::ManifestLine<'_>) -> Option<String> {
    line.extract_error
        .as_ref()
        .map(|e| format!("{}: not written: {e}", line.node.path.join(" > ")))
}

/// A one-line progress counter on standard error, redrawn at most every
/// 200 ms, shown only after the scan has run for a second.
pub struct Progress {
    on: bool,
    start: Instant,
    last: Option<Instant>,
}

impl Progress {
    /// A counter, drawn only when `on`.
    pub fn new(on: bool) -> Self {
        Progress {
            on,
            start: Instant::now(),
            last: None,
        }
    }
    /// Redraw with the totals so far (rate-limited).
    pub fn tick(&mut self, t: &Totals) {
        if !self.on || self.start.elapsed() < Duration::from_secs(1) {
            return;
        }
        if self
            .last
            .is_some_and(|l| l.elapsed() < Duration::from_millis(200))
        {
            return;
        }
        self.last = Some(Instant::now());
        eprint!(
            "\r{} files, {} nodes, {:.1} MB scanned ",
            t.files,
            t.nodes,
            t.bytes as f64 / 1e6
        );
    }
    /// The last line, when a line was drawn.
    pub fn finish(&mut self, t: &Totals) {
        if self.on && self.last.is_some() {
            eprintln!(
                "\r{} files, {} nodes, {:.1} MB scanned in {:.1?}",
                t.files,
                t.nodes,
                t.bytes as f64 / 1e6,
                self.start.elapsed()
            );
        }
    }
}

/// The nodes of a report as JSONL, parent before children.
pub fn write_jsonl(out: &mut dyn Write, root: &Node) -> io::Result<()> {
    let mut r = Ok(());
    root.walk(&mut |n: &Node| {
        if r.is_ok() {
            r = serde_json::to_writer(&mut *out, &n.info)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
        }
    });
    r
}

/// The nodes of a report as an indented tree.
pub fn write_text(out: &mut dyn Write, root: &Node, explain: bool) -> io::Result<()> {
    let mut r = Ok(());
    root.walk(&mut |n: &Node| {
        if r.is_ok() {
            r = text_line(out, &n.info);
        }
        if r.is_ok() && explain {
            r = explain_lines(out, &n.info);
        }
    });
    r
}

/// `--explain`: the evidence behind a node's format and verdict, then its
/// installer hints.
fn explain_lines(out: &mut dyn Write, n: &NodeInfo) -> io::Result<()> {
    let indent = "  ".repeat(n.depth as usize);
    for e in &n.evidence {
        let at = e.offset.map_or(String::new(), |o| format!(" @{o:#x}"));
        writeln!(
            out,
            "{indent}    - {} ({}){at}: {}",
            e.signal,
            e.strength.as_str(),
            e.detail
        )?;
    }
    if let Some(f) = &n.installer {
        for (k, v) in [
            ("engine version", &f.engine_version),
            ("silent", &f.silent_args),
            ("runs", &f.runs),
            ("unpacks to", &f.unpacks_to),
        ] {
            if let Some(v) = v {
                writeln!(out, "{indent}    * {k}: {v}")?;
            }
        }
        for (k, v) in &f.properties {
            writeln!(out, "{indent}    * {k}: {v}")?;
        }
    }
    Ok(())
}

fn text_line(out: &mut dyn Write, n: &NodeInfo) -> io::Result<()> {
    let indent = "  ".repeat(n.depth as usize);
    let name = if n.depth == 0 {
        n.path.first().map_or("", String::as_str)
    } else {
        n.path.last().map_or("", String::as_str)
    };
    let name = printable(name);
    let verdict = match (n.verdict, n.family, &n.kind) {
        (Verdict::Installer, Some(f), _) => format!("installer:{}", f.as_str()),
        (v, _, Some(k)) => format!("{}:{k}", v.as_str()),
        (v, _, _) => v.as_str().to_owned(),
    };
    // The first 8 bytes (16 hex digits) of the SHA-256.
    let hash = n.sha256.map_or_else(
        || "-".to_owned(),
        |d| {
            let mut hex = d.to_string();
            hex.truncate(16);
            hex
        },
    );
    let tools = n
        .tools
        .as_deref()
        .and_then(|t| tools_line(t))
        .map_or(String::new(), |t| format!("  {}", printable(&t)));
    writeln!(
        out,
        "{indent}{name}  [{} {} {verdict}] {hash}{tools}",
        n.format,
        human(n.size)
    )?;
    for e in &n.errors {
        writeln!(out, "{indent}  ! {}", printable(&e.to_string()))?;
    }
    Ok(())
}

/// The text view's line of tools (`Installer: NSIS(3.08)[zlib,solid];
/// Linker: MSVC(14.36.32532)`), `None` when there are none.
pub fn tools_line(tools: &[crate::Tool]) -> Option<String> {
    (!tools.is_empty()).then(|| {
        tools
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Entry names and messages come from the file: escape control characters
/// so they can never drive the terminal.
fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_array_is_framed_and_text_escapes_control_characters() {
        let r = crate::Scanner::new().scan_bytes("a\u{1b}[31m.bin", b"hello");
        let mut w = Writer::new(Vec::new(), Format::Json).expect("begin");
        w.report(&r).expect("one");
        w.report(&r).expect("two");
        let out = String::from_utf8(w.finish().expect("end")).expect("utf-8");
        let v: serde_json::Value = serde_json::from_str(&out).expect("a JSON document");
        assert_eq!(v.as_array().map(Vec::len), Some(2));
        let text = String::from_utf8(render(&r, Format::Text { explain: true }).expect("text"))
            .expect("utf-8");
        assert!(text.starts_with("a\\u{1b}[31m.bin  [unknown 5 B"), "{text}");
        let jsonl = String::from_utf8(render(&r, Format::Jsonl).expect("jsonl")).expect("utf-8");
        assert_eq!(jsonl.lines().count(), 1);
        assert_eq!(human(1536), "1.5 KiB");
        let mut t = Totals::of(&r);
        t.merge(&Totals::of(&r));
        assert_eq!((t.files, t.bytes), (2, 10));
    }

    #[test]
    fn summary_names_unreadable_inputs_only_when_there_are_some() {
        let r = crate::Scanner::new().scan_bytes("a.bin", b"hello");
        let t = Totals::of(&r);
        assert_eq!(
            t.summary(0),
            "1 files, 1 nodes, 0 installers, 0 nodes with errors"
        );
        assert_eq!(
            t.summary(2),
            "1 files, 1 nodes, 0 installers, 0 nodes with errors, 2 unreadable"
        );
        assert_eq!(skipped_note(&t.skipped), None);
    }

    #[test]
    fn summary_and_note_count_what_a_walk_skipped_by_kind() {
        let r = crate::Scanner::new().scan_bytes("a.bin", b"hello");
        let mut t = Totals::of(&r);
        t.skipped = Skipped {
            symlinks: 2,
            fifos: 1,
            devices: 3,
            ..Skipped::default()
        };
        assert_eq!(
            t.summary(0),
            "1 files, 1 nodes, 0 installers, 0 nodes with errors, 6 skipped (2 symlinks, 1 fifos, 3 devices)"
        );
        assert_eq!(
            skipped_note(&t.skipped).as_deref(),
            Some("6 skipped (2 symlinks, 1 fifos, 3 devices): not regular files, not scanned")
        );
    }

    #[test]
    fn rendered_gives_the_bytes_of_render_and_the_totals_and_passes_errors() {
        let r = crate::Scanner::new().scan_bytes("a.bin", b"hello");
        let want = render(&r, Format::Jsonl).expect("jsonl");
        let (t, part) = rendered(Ok(r), Format::Jsonl).expect("a report");
        let Part::Bytes(bytes) = part else {
            panic!("a one-node report is rendered on the worker: {part:?}");
        };
        assert_eq!(bytes, want);
        assert_eq!((t.files, t.nodes, t.bytes), (1, 1, 5));
        let e = crate::Error::malformed("gone");
        assert!(rendered(Err(e), Format::Jsonl).is_err());
    }

    /// Issue 16: a report of many nodes is not held rendered (35 MB for
    /// 60,000 entries on top of the report); it is rendered into the
    /// output record by record, and the output is the same bytes, in every
    /// format, framing included.
    #[test]
    fn a_large_report_is_rendered_into_the_output_with_the_same_bytes() {
        let small = crate::Scanner::new().scan_bytes("a.bin", b"hello");
        let mut big = small.clone();
        let n = RENDER_ON_WORKER_MAX_NODES as usize + 1;
        big.root.children = vec![small.root.clone(); n];
        big.stats.nodes = n as u64 + 1;
        for format in [Format::Text { explain: true }, Format::Jsonl, Format::Json] {
            let mut want = Writer::new(Vec::new(), format).expect("begin");
            let mut got = Writer::new(Vec::new(), format).expect("begin");
            for r in [&small, &big, &small] {
                want.part(&render(r, format).expect("render"))
                    .expect("part");
                let (t, part) = rendered(Ok(r.clone()), format).expect("a report");
                assert_eq!(t.nodes, r.stats.nodes);
                let deferred = matches!(part, Part::Report(_));
                assert_eq!(deferred, r.stats.nodes > RENDER_ON_WORKER_MAX_NODES);
                got.write(&part).expect("write");
            }
            let (want, got) = (want.finish().expect("end"), got.finish().expect("end"));
            assert!(want.len() > n * 100, "{format:?}: {}", want.len());
            assert!(want == got, "{format:?}: the streamed output differs");
        }
    }

    #[test]
    fn manifest_lines_are_json_lines_and_failures_name_the_nested_path() {
        let r = crate::Scanner::new().scan_bytes("a.bin", b"hello");
        let ok = crate::extract::ManifestLine {
            node: &r.root.info,
            extracted_to: Some("a.bin".into()),
            extract_error: None,
        };
        let mut out = Vec::new();
        write_manifest_line(&mut out, &ok).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.ends_with("}\n") && text.lines().count() == 1, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(v["extracted_to"], "a.bin");
        assert_eq!(v["path"][0], "a.bin");
        assert_eq!(not_written(&ok), None);
        let mut info = r.root.info.clone();
        info.path.push("b.txt".into());
        let bad = crate::extract::ManifestLine {
            node: &info,
            extracted_to: None,
            extract_error: Some("disk full".into()),
        };
        assert_eq!(
            not_written(&bad).as_deref(),
            Some("a.bin > b.txt: not written: disk full")
        );
    }
}
