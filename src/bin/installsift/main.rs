//! `installsift`: scan files and directories for installers, unpack every
//! layer, hash every node.

use clap::{Parser, Subcommand, ValueEnum};
use installsift::{HashSelection, Limits, Node, NodeInfo, Report, Scanner, Verdict};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Static analysis of software installers: is it an installer, of which
/// family, what does it carry, and the hashes of every layer.
#[derive(Parser)]
#[command(name = "installsift", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files and directories (recursively); print one node per file and
    /// per entry found inside, at every depth.
    ///
    /// Exit status: 0 when every input was scanned (damaged files are reported
    /// in the output, not fatal), 1 when some input could not be read, 2 on
    /// usage errors.
    #[command(
        after_help = "Examples:\n  installsift scan setup.exe\n  installsift scan --explain setup.exe\n  installsift scan --format jsonl --hashes sha256,sha1,md5 /mnt/share > nodes.jsonl\n  installsift scan -f json --max-depth 2 product.msi"
    )]
    Scan(ScanArgs),
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Files or directories to scan.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format: an indented tree, one JSON document, or one JSON object
    /// per node (parent before children).
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Hashes to compute, comma-separated: sha256 (always), sha1, md5.
    #[arg(long, default_value = "sha256", value_parser = parse_hashes)]
    hashes: HashSelection,
    /// Worker threads for directory scans (default: number of CPUs).
    #[arg(short = 'j', long)]
    threads: Option<usize>,
    /// Deepest nesting level that is opened (input = 0).
    #[arg(long)]
    max_depth: Option<u32>,
    /// Largest single entry unpacked, in bytes.
    #[arg(long)]
    max_entry_size: Option<u64>,
    /// Bytes unpacked in all per input file, in bytes.
    #[arg(long)]
    max_total_unpacked: Option<u64>,
    /// Write the output to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Progress on standard error: auto (when it is a terminal), always, never.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    progress: When,
    /// Text output: print every node's evidence (signal, strength, detail,
    /// offset) under its line, and its installer hints.
    #[arg(long)]
    explain: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Jsonl,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum When {
    Auto,
    Always,
    Never,
}

fn parse_hashes(s: &str) -> Result<HashSelection, String> {
    HashSelection::parse_list(s)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan(args),
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    let mut limits = Limits::default();
    if let Some(d) = args.max_depth {
        limits.max_depth = d;
    }
    if let Some(s) = args.max_entry_size {
        limits.max_entry_size = s;
    }
    if let Some(s) = args.max_total_unpacked {
        limits.max_total_unpacked = s;
    }
    let scanner = Scanner::new().with_limits(limits).with_hashes(args.hashes);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    let sink: Box<dyn Write> = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("installsift: cannot create {}: {e}", p.display());
                return ExitCode::from(1);
            }
        },
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    let mut progress = Progress::new(match args.progress {
        When::Always => true,
        When::Never => false,
        When::Auto => io::stderr().is_terminal(),
    });
    let mut failed = 0u64;
    let mut totals = Totals::default();
    let mut write_error: Option<io::Error> = None;
    let mut first_json = true;
    if args.format == OutputFormat::Json {
        let _ = writeln!(out, "[");
    }
    scanner.scan_paths(&args.paths, threads, &mut |_path, result| {
        if write_error.is_some() {
            return;
        }
        let r = match result {
            Ok(report) => {
                totals.add(&report);
                progress.tick(&totals);
                match args.format {
                    OutputFormat::Text => write_text(&mut out, &report.root, args.explain),
                    OutputFormat::Jsonl => write_jsonl(&mut out, &report.root),
                    OutputFormat::Json => {
                        let sep = if first_json { "" } else { ",\n" };
                        first_json = false;
                        write!(out, "{sep}").and_then(|()| {
                            serde_json::to_writer(&mut out, &report).map_err(io::Error::from)
                        })
                    }
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("installsift: {e}");
                Ok(())
            }
        };
        if let Err(e) = r {
            write_error = Some(e);
        }
    });
    if args.format == OutputFormat::Json {
        let _ = writeln!(out, "\n]");
    }
    progress.finish(&totals);
    if let Some(e) = write_error.or_else(|| out.flush().err()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("installsift: writing output: {e}");
            return ExitCode::from(1);
        }
    }
    if args.format == OutputFormat::Text {
        eprintln!(
            "{} files, {} nodes, {} installers, {} nodes with errors{}",
            totals.files,
            totals.nodes,
            totals.installers,
            totals.with_errors,
            if failed > 0 {
                format!(", {failed} unreadable")
            } else {
                String::new()
            }
        );
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[derive(Default)]
struct Totals {
    files: u64,
    nodes: u64,
    installers: u64,
    with_errors: u64,
    bytes: u64,
}

impl Totals {
    fn add(&mut self, r: &Report) {
        self.files += 1;
        self.nodes += r.stats.nodes;
        self.with_errors += r.stats.nodes_with_errors;
        self.bytes += r.root.size;
        if r.root.verdict == Verdict::Installer {
            self.installers += 1;
        }
    }
}

/// A one-line progress counter on standard error, redrawn at most every
/// 200 ms, shown only after the scan has run for a second.
struct Progress {
    on: bool,
    start: Instant,
    last: Option<Instant>,
}

impl Progress {
    fn new(on: bool) -> Self {
        Progress {
            on,
            start: Instant::now(),
            last: None,
        }
    }
    fn tick(&mut self, t: &Totals) {
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
    fn finish(&mut self, t: &Totals) {
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

fn write_jsonl(out: &mut dyn Write, root: &Node) -> io::Result<()> {
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

fn write_text(out: &mut dyn Write, root: &Node, explain: bool) -> io::Result<()> {
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
    let verdict = match (n.verdict, n.family, &n.kind) {
        (Verdict::Installer, Some(f), _) => format!("installer:{}", f.as_str()),
        (v, _, Some(k)) => format!("{}:{k}", v.as_str()),
        (v, _, _) => v.as_str().to_owned(),
    };
    let hash = n
        .sha256
        .as_deref()
        .map_or("-", |h| h.get(..16).unwrap_or(h));
    writeln!(
        out,
        "{indent}{name}  [{} {} {verdict}] {hash}",
        n.format,
        human(n.size)
    )?;
    for e in &n.errors {
        writeln!(out, "{indent}  ! {e}")?;
    }
    Ok(())
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
