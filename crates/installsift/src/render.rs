//! Rendering reports: the indented text tree (with `--explain`), JSONL (one
//! [`NodeInfo`] per line), a JSON array of reports, the scan's totals, its
//! summary line and the progress line, and the lines of an `extract`
//! manifest. The CLI only picks one; other callers (a service, the
//! Python binding) render the same bytes.

use crate::{EntryInfo, Node, NodeInfo, Report, Skipped, Verdict};

pub mod html;
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
        /// Print every hash computed in full (`sha256=… sha1=… md5=…`)
        /// instead of the SHA-256's first 16 hex digits.
        full_hashes: bool,
        /// Colour with ANSI escapes (for a terminal).
        color: bool,
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
pub const TABLE_COLUMNS: [&str; 17] = [
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
    "tools",
    "packed_size",
    "method",
    "mtime",
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
        Format::Text {
            explain,
            full_hashes,
            color,
        } => write_text(
            out,
            &report.root,
            TextStyle {
                explain,
                full_hashes,
                color,
            },
        ),
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
        let entry = i.entry.as_ref();
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
            i.tools
                .as_deref()
                .and_then(|t| tools_line(t))
                .unwrap_or_default(),
            entry
                .and_then(|e| e.compressed_size)
                .map(|c| c.to_string())
                .unwrap_or_default(),
            entry.and_then(|e| e.method.clone()).unwrap_or_default(),
            entry
                .and_then(|e| e.mtime)
                .map(|t| t.to_string())
                .unwrap_or_default(),
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

/// A progress bar on standard error: files done of the total, bytes, rate,
/// ETA and the file last finished, redrawn at most every 200 ms, shown only
/// after the scan has run for a second (unless [`Progress::at_once`]). The total comes from
/// [`census`](crate::census) run on a thread of its own beside the scan, so
/// the scan never waits for it; until it is known the bar says
/// `counting…`.
pub struct Progress {
    on: bool,
    start: Instant,
    last: Option<Instant>,
    total: std::sync::Arc<std::sync::OnceLock<(u64, u64)>>,
    width: usize,
    delay: Duration,
}

impl Progress {
    /// A bar, drawn only when `on`, without a total.
    pub fn new(on: bool) -> Self {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
            .filter(|&w| w >= 40)
            .unwrap_or(100);
        Progress {
            on,
            start: Instant::now(),
            last: None,
            total: std::sync::Arc::default(),
            width,
            delay: Duration::from_secs(1),
        }
    }

    /// Draw from the first file on, not after a second (`--progress
    /// always`: asked for, so shown even on a short scan).
    pub fn at_once(mut self) -> Self {
        self.delay = Duration::ZERO;
        self
    }

    /// Count what `roots` hold (on a thread of its own) for the total.
    pub fn counting(self, roots: &[std::path::PathBuf]) -> Self {
        if self.on {
            let roots = roots.to_vec();
            let total = std::sync::Arc::clone(&self.total);
            // Detached: a scan that ends first does not wait for the count.
            let _ = std::thread::Builder::new()
                .name("installsift-census".into())
                .spawn(move || {
                    let _ = total.set(crate::census(&roots));
                });
        }
        self
    }

    /// Redraw with the totals so far, `failed` inputs that could not be
    /// read and the file last finished (rate-limited).
    pub fn tick(&mut self, t: &Totals, failed: u64, current: &std::path::Path) {
        if !self.on || self.start.elapsed() < self.delay {
            return;
        }
        if self
            .last
            .is_some_and(|l| l.elapsed() < Duration::from_millis(200))
        {
            return;
        }
        self.last = Some(Instant::now());
        let line = progress_line(
            t.files + failed,
            t.bytes,
            self.total.get().copied(),
            self.start.elapsed(),
            &current.to_string_lossy(),
            self.width,
        );
        // \r: back to the line's start; ESC[K: clear what the last line left.
        eprint!("\r{line}\x1b[K");
    }

    /// The last line, when a bar was drawn.
    pub fn finish(&mut self, t: &Totals) {
        if self.on && self.last.is_some() {
            eprintln!(
                "\r{} files, {} nodes, {:.1} MB scanned in {:.1?}\x1b[K",
                t.files,
                t.nodes,
                t.bytes as f64 / 1e6,
                self.start.elapsed()
            );
        }
    }
}

/// One line of the progress bar, at most `width` characters: `[#####
/// ] 120/5000 files  310.2/900.0 MB  45.1 MB/s  ETA 0:13  dir/setup.exe`.
/// The ETA is the bytes left at the rate so far; without a total (still
/// counting) the bar says so and has no ETA.
pub fn progress_line(
    done: u64,
    bytes: u64,
    total: Option<(u64, u64)>,
    elapsed: Duration,
    current: &str,
    width: usize,
) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    let rate = bytes as f64 / secs;
    let mb = |b: u64| b as f64 / 1e6;
    let mut line = match total {
        Some((files, all)) => {
            // Files may grow between the count and the scan: never past 100 %.
            let frac = if all > 0 {
                (bytes as f64 / all as f64).min(1.0)
            } else if files > 0 {
                (done as f64 / files as f64).min(1.0)
            } else {
                1.0
            };
            const BAR: usize = 20;
            let filled = ((frac * BAR as f64) as usize).min(BAR);
            let left = all.saturating_sub(bytes);
            let eta = if rate > 0.0 {
                let s = (left as f64 / rate).round() as u64;
                format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
            } else {
                "-".to_owned()
            };
            format!(
                "[{}{}] {done}/{files} files  {:.1}/{:.1} MB  {:.1} MB/s  ETA {eta}",
                "#".repeat(filled),
                " ".repeat(BAR - filled),
                mb(bytes),
                mb(all),
                rate / 1e6
            )
        }
        None => format!(
            "{done} files  {:.1} MB  {:.1} MB/s  (counting…)",
            mb(bytes),
            rate / 1e6
        ),
    };
    // The current file, cut from the left to what the line leaves, its
    // control characters escaped (names come from the disk).
    let name = printable(current);
    let room = width.saturating_sub(line.chars().count() + 2);
    if room >= 8 {
        let n = name.chars().count();
        let shown: String = if n <= room {
            name
        } else {
            let tail: String = name.chars().skip(n - (room - 1)).collect();
            format!("…{tail}")
        };
        line.push_str("  ");
        line.push_str(&shown);
    }
    line
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

/// How [`write_text`] draws its tree (see [`Format::Text`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextStyle {
    /// Evidence and installer hints under each line.
    pub explain: bool,
    /// Every hash in full.
    pub full_hashes: bool,
    /// ANSI colours.
    pub color: bool,
}

/// The nodes of a report as an indented tree.
pub fn write_text(out: &mut dyn Write, root: &Node, style: TextStyle) -> io::Result<()> {
    let mut r = Ok(());
    root.walk(&mut |n: &Node| {
        if r.is_ok() {
            r = text_line(out, n, style);
        }
        if r.is_ok() && style.explain {
            r = explain_lines(out, &n.info);
        }
    });
    r
}

/// ANSI SGR codes of the text view.
mod sgr {
    pub const BOLD_GREEN: &str = "1;32";
    pub const CYAN: &str = "36";
    pub const DIM: &str = "2";
    pub const RED: &str = "31";
    pub const YELLOW: &str = "33";
    pub const BOLD_RED: &str = "1;31";
}

/// `s` in colour `code` when `on` (reset after it).
fn paint(s: &str, code: &str, on: bool) -> String {
    if on && !s.is_empty() {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// A container's line ends with its totals: `(3 entries: 4.2 KiB from 1.9
/// KiB)`, the packed figure only when every entry has one.
fn container_totals(n: &Node) -> Option<String> {
    if n.children.is_empty() {
        return None;
    }
    let count = n.children.len();
    let unpacked: u64 = n
        .children
        .iter()
        .map(|c| c.info.size)
        .fold(0, u64::saturating_add);
    let packed: Option<u64> = n
        .children
        .iter()
        .map(|c| c.info.entry.as_ref().and_then(|e| e.compressed_size))
        .try_fold(0u64, |sum, p| p.map(|p| sum.saturating_add(p)));
    let noun = if count == 1 { "entry" } else { "entries" };
    Some(match packed {
        Some(p) => format!("{count} {noun}: {} from {}", human(unpacked), human(p)),
        None => format!("{count} {noun}: {}", human(unpacked)),
    })
}

/// An entry's packed size and method and its time, as the container keeps
/// them: `191 B deflate, 2024-06-01T00:00:00`.
fn entry_details(e: &EntryInfo) -> Option<String> {
    let mut parts = Vec::new();
    match (e.compressed_size, e.method.as_deref()) {
        (Some(c), Some(m)) => parts.push(format!("{} {}", human(c), printable(m))),
        (Some(c), None) => parts.push(format!("{} packed", human(c))),
        (None, Some(m)) => parts.push(printable(m)),
        (None, None) => {}
    }
    if e.encrypted {
        parts.push("encrypted".to_owned());
    }
    if let Some(t) = e.mtime {
        parts.push(t.to_string());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
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

fn text_line(out: &mut dyn Write, node: &Node, style: TextStyle) -> io::Result<()> {
    let n = &node.info;
    let color = style.color;
    let indent = "  ".repeat(n.depth as usize);
    let name = if n.depth == 0 {
        n.path.first().map_or("", String::as_str)
    } else {
        n.path.last().map_or("", String::as_str)
    };
    let name = printable(name);
    let verdict = match (n.verdict, n.family, &n.kind) {
        (Verdict::Installer, Some(f), _) => {
            paint(&format!("installer:{}", f.as_str()), sgr::BOLD_GREEN, color)
        }
        (v, _, Some(k)) => format!("{}:{k}", v.as_str()),
        (Verdict::Unknown, _, _) => paint(Verdict::Unknown.as_str(), sgr::DIM, color),
        (v, _, _) => v.as_str().to_owned(),
    };
    let hash = if style.full_hashes {
        let mut all = vec![n
            .sha256
            .map_or_else(|| "sha256=-".to_owned(), |d| format!("sha256={d}"))];
        if let Some(d) = n.sha1 {
            all.push(format!("sha1={d}"));
        }
        if let Some(d) = n.md5 {
            all.push(format!("md5={d}"));
        }
        all.join(" ")
    } else {
        // The first 8 bytes (16 hex digits) of the SHA-256.
        n.sha256.map_or_else(
            || "-".to_owned(),
            |d| {
                let mut hex = d.to_string();
                hex.truncate(16);
                hex
            },
        )
    };
    let hash = paint(&hash, sgr::DIM, color);
    let details = container_totals(node)
        .into_iter()
        .chain(n.entry.as_ref().and_then(entry_details))
        .map(|d| format!("  ({d})"))
        .collect::<String>();
    let tools = n
        .tools
        .as_deref()
        .and_then(|t| tools_line(t))
        .map_or(String::new(), |t| {
            format!("  {}", paint(&printable(&t), sgr::YELLOW, color))
        });
    let format = paint(n.format.as_str(), sgr::CYAN, color);
    let bang = paint("!", sgr::BOLD_RED, color);
    writeln!(
        out,
        "{indent}{name}  [{format} {} {verdict}] {hash}{details}{tools}",
        human(n.size)
    )?;
    for e in &n.errors {
        writeln!(
            out,
            "{indent}  {bang} {}",
            paint(&printable(&e.to_string()), sgr::RED, color)
        )?;
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
        let text = String::from_utf8(
            render(
                &r,
                Format::Text {
                    explain: true,
                    full_hashes: false,
                    color: false,
                },
            )
            .expect("text"),
        )
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
        for format in [
            Format::Text {
                explain: true,
                full_hashes: false,
                color: false,
            },
            Format::Jsonl,
            Format::Json,
        ] {
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

    #[test]
    fn progress_line_has_count_total_rate_eta_and_current_file() {
        let l = progress_line(
            120,
            300_000_000,
            Some((480, 900_000_000)),
            Duration::from_secs(10),
            "/srv/share/setup\u{1b}[2J.exe",
            200,
        );
        // 300 MB in 10 s: 30 MB/s; 600 MB left: 20 s.
        assert!(l.starts_with("[######              ] 120/480 files"), "{l}");
        assert!(l.contains("300.0/900.0 MB  30.0 MB/s  ETA 0:00:20"), "{l}");
        assert!(
            l.ends_with("/srv/share/setup\\u{1b}[2J.exe"),
            "escaped: {l}"
        );
        // Still counting: no ETA, and the name cut from the left to fit.
        let l = progress_line(
            3,
            1_000_000,
            None,
            Duration::from_secs(2),
            &"d/".repeat(100),
            60,
        );
        assert!(
            l.starts_with("3 files  1.0 MB  0.5 MB/s  (counting…)  …"),
            "{l}"
        );
        assert_eq!(l.chars().count(), 60, "{l}");
        // Bytes past the count (a file grew): the bar stops at full.
        let l = progress_line(2, 50, Some((1, 10)), Duration::from_secs(1), "f", 100);
        assert!(l.starts_with("[####################] 2/1 files"), "{l}");
        assert!(l.contains("ETA 0:00:00"), "{l}");
    }
}
