//! `installsift`: scan files and directories for installers, unpack every
//! layer, hash every node.

use clap::{Parser, Subcommand, ValueEnum};
use installsift::render::{self, Progress, Totals};
use installsift::{HashSelection, Limits, Report, Scanner};
use installsift_export::{
    Action, Depth, ExportFormat, ExportOptions, Exporter, HashKind, Only, RuleKind, Severity,
    Timestamp,
};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Write every nested file of each input below a directory, and print a
    /// JSONL manifest (the `scan` contract plus `extracted_to`).
    ///
    /// Entry names are made safe: nothing is written outside DIR, no symlink
    /// is followed or created, equal names get `~2`, `~3` … in scan order. The
    /// input `setup.exe` goes to `DIR/setup.exe/`; the entries found inside a
    /// file `X` go to `X.contents/`.
    ///
    /// Exit status: 0 when every input was read, 1 when some input could not
    /// be read or a file could not be written, 2 on usage errors.
    #[command(
        after_help = "Example:\n  installsift extract setup.exe -o out/ > out/manifest.jsonl"
    )]
    Extract(ExtractArgs),
    /// Scan files and write their hashes in a security product's import
    /// format (IOC lists, allow/deny policies, STIX, MISP, OpenIOC, YARA).
    ///
    /// Nodes are written in scan order, once per distinct content (same
    /// SHA-256: the first path wins). A file a format cannot express is left
    /// out with a warning on standard error, never silently. Exit status: 0
    /// when every input was scanned, 1 when some input could not be read or
    /// the output could not be written, 2 on usage errors.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
}

#[derive(clap::Args)]
struct ExtractArgs {
    /// Files to extract.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Directory to write into (created if missing).
    #[arg(short, long = "output-dir", value_name = "DIR")]
    output_dir: PathBuf,
    /// Hashes to compute, comma-separated: sha256 (always), sha1, md5.
    #[arg(long, default_value = "sha256", value_parser = parse_hashes)]
    hashes: HashSelection,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Every field of [`Limits`] can be set from the command line; unset ones
/// keep their defaults. The options come from [`installsift::LIMITS`] (one
/// declaration in the library), so a new limit is an option at once.
#[derive(Clone, Default)]
struct LimitArgs {
    /// (field name, value) of each option given.
    set: Vec<(&'static str, u64)>,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        for &(name, value) in &self.set {
            // Values too large for a field are refused by clap's range.
            let _ = limits.set(name, value);
        }
        limits
    }
}

impl clap::FromArgMatches for LimitArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut a = LimitArgs::default();
        a.update_from_arg_matches(m)?;
        Ok(a)
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        for l in installsift::LIMITS {
            if let Some(&v) = m.get_one::<u64>(l.name) {
                self.set.retain(|(n, _)| *n != l.name);
                self.set.push((l.name, v));
            }
        }
        Ok(())
    }
}

impl clap::Args for LimitArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        installsift::LIMITS.iter().fold(cmd, |cmd, l| {
            cmd.arg(
                clap::Arg::new(l.name)
                    .long(l.flag().trim_start_matches('-').to_owned())
                    .value_name("N")
                    .value_parser(clap::value_parser!(u64).range(0..=l.max))
                    .help(format!("{} (default {})", plain(l.meaning), l.default))
                    .help_heading("Limits"),
            )
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// A Markdown cell as plain text for `--help` (backticks dropped).
fn plain(md: &str) -> String {
    md.replace('`', "")
}

const EXPORT_HELP: &str = "\
Formats (--to):
  sha256sum, sha1sum, md5sum  HASH  PATH lines; `sha256sum -c` checks them
  cortex-xdr-csv              Cortex XDR IOC CSV (insert_csv / UI); SHA-256 or MD5
  cortex-xdr-json             Cortex XDR insert_jsons request body
  cortex-xdr-blocklist        Cortex XDR block/allow list body; SHA-256 of PE files only
  defender-csv                Defender for Endpoint indicators CSV; FileSha256/FileSha1;
                              500 rows per file: -o block.csv writes block.csv,
                              block-2.csv, block-3.csv …
  crowdstrike-json            Falcon IOC API request body; sha256 or md5
  applocker-xml               AppLocker FileHashRules (Authenticode SHA-256, 0x + uppercase)
  wdac-xml                    App Control (WDAC) policy, Authenticode SHA-1 + SHA-256 rules
  stix2                       STIX 2.1 bundle of indicators (deterministic ids)
  misp-json                   MISP event with file objects (all hashes, authentihash, imphash)
  openioc                     OpenIOC 1.1 FileItem hashes
  yara                        YARA rules, hash.sha256(0, filesize) == \"…\" (+ pe.imphash())
  sigma                       Sigma process_creation rules, one per installer (one YAML
                              stream): its hash, or its name or OriginalFileName with the
                              family's silent switch; msiexec /i with the package name or
                              ProductCode (README: Behaviour rules, what they miss)
  cortex-xql                  Cortex XDR BIOC rules as XQL queries, the same conditions
                              (with the signer); not run against a tenant

Examples:
  installsift export --to sha256sum setup.exe tools/ > hashes.sha256 && sha256sum -c hashes.sha256
  installsift export --to defender-csv --only installers --action block -o block.csv /mnt/share
  installsift export --to applocker-xml --action allow --depth all setup.exe > allow.xml
  installsift export --to wdac-xml --rule publisher --action allow signed_setup.exe > supplemental.xml
  installsift export --to stix2 --hash sha256,md5 --expiration 2027-01-01 samples/
  installsift export --to yara --hash sha256,imphash --families 7z-sfx,zip-sfx downloads/
  installsift export --to sigma --only installers --depth all downloads/ > installers.yml";

#[derive(clap::Args)]
struct ExportArgs {
    /// Files or directories to scan.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format (see the list below).
    #[arg(long = "to", value_parser = parse_format)]
    format: ExportFormat,
    /// Which nodes by verdict: installers, non-installers or all.
    #[arg(long, value_enum, default_value_t = OnlyArg::All)]
    only: OnlyArg,
    /// Keep only these families, comma-separated (as in the `family` field:
    /// msi, msm, msp, 7z-sfx, zip-sfx, cab-sfx, …).
    #[arg(long, value_delimiter = ',')]
    families: Vec<String>,
    /// Input files only (top) or every nested layer too (all).
    #[arg(long, value_enum, default_value_t = DepthArg::Top)]
    depth: DepthArg,
    /// Smallest node exported, in bytes.
    #[arg(long, default_value_t = 0)]
    min_size: u64,
    /// Hash kinds to emit where the format offers a choice, comma-separated:
    /// sha256, sha1, md5, imphash (default: the format's first).
    #[arg(long = "hash", value_delimiter = ',', value_parser = parse_hash_kind)]
    hashes: Vec<HashKind>,
    /// Indicator severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::High)]
    severity: SeverityArg,
    /// What the product should do with matching files.
    #[arg(long, value_enum, default_value_t = ActionArg::Block)]
    action: ActionArg,
    /// applocker-xml and wdac-xml: hash rules, publisher rules (from the
    /// Authenticode signer; WDAC file-publisher level), pca (WDAC
    /// PCA-certificate level), or both (hash and publisher).
    #[arg(long, value_enum, default_value_t = RuleArg::Hash)]
    rule: RuleArg,
    /// Expiry of the indicators: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, or never.
    #[arg(long, default_value = "never")]
    expiration: String,
    /// Comment/description template; {path} {name} {family} {format}
    /// {verdict} {what} {sha256} {size} are replaced.
    #[arg(long, default_value = "installsift: {what} {path}")]
    comment: String,
    /// Source reliability A–F (Cortex XDR).
    #[arg(long, default_value_t = 'A')]
    reliability: char,
    /// Creation time written into STIX, MISP, OpenIOC, YARA and WDAC output
    /// (default: $SOURCE_DATE_EPOCH, else now).
    #[arg(long)]
    timestamp: Option<String>,
    /// Also export nested entries whose bytes carry an error (checksum
    /// mismatch, truncation …); by default they are skipped with a warning,
    /// as their hash may not be that of the file the installer writes.
    #[arg(long)]
    include_unverified: bool,
    /// Write input paths as given in comments and YARA meta; by default an
    /// absolute path (or one with `..`) is cut to its base name so shared
    /// indicators do not carry local directories.
    #[arg(long)]
    full_paths: bool,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Worker threads for directory scans (default: number of CPUs).
    #[arg(short = 'j', long)]
    threads: Option<usize>,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RuleArg {
    Hash,
    Publisher,
    Pca,
    Both,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnlyArg {
    Installers,
    NonInstallers,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DepthArg {
    Top,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ActionArg {
    Allow,
    Audit,
    Warn,
    Block,
    BlockAndRemediate,
}

fn parse_format(s: &str) -> Result<ExportFormat, String> {
    ExportFormat::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.name()).collect();
        format!("unknown format `{s}` (known: {})", names.join(", "))
    })
}

fn parse_hash_kind(s: &str) -> Result<HashKind, String> {
    HashKind::from_name(s).ok_or_else(|| format!("unknown hash `{s}` (sha256, sha1, md5, imphash)"))
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
    #[command(flatten)]
    limits: LimitArgs,
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
        Command::Extract(args) => extract(args),
        Command::Export(args) => export(args),
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("installsift export: {msg}");
    ExitCode::from(2)
}

fn export(args: ExportArgs) -> ExitCode {
    let timestamp = match args.timestamp.clone().or_else(|| {
        std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .map(|s| format!("@{s}"))
    }) {
        Some(t) => match Timestamp::parse(&t) {
            Ok(t) => t,
            Err(e) => return usage(&format!("--timestamp: {e}")),
        },
        None => Timestamp::now(),
    };
    let expiration = match args.expiration.as_str() {
        "never" => None,
        other => match Timestamp::parse(other) {
            Ok(t) => Some(t),
            Err(e) => return usage(&format!("--expiration: {e}")),
        },
    };
    let opts = ExportOptions {
        only: match args.only {
            OnlyArg::Installers => Only::Installers,
            OnlyArg::NonInstallers => Only::NonInstallers,
            OnlyArg::All => Only::All,
        },
        families: args
            .families
            .iter()
            .map(|f| f.trim().to_ascii_lowercase())
            .collect(),
        depth: match args.depth {
            DepthArg::Top => Depth::Top,
            DepthArg::All => Depth::All,
        },
        min_size: args.min_size,
        hashes: args.hashes.clone(),
        severity: match args.severity {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        },
        action: match args.action {
            ActionArg::Allow => Action::Allow,
            ActionArg::Audit => Action::Audit,
            ActionArg::Warn => Action::Warn,
            ActionArg::Block => Action::Block,
            ActionArg::BlockAndRemediate => Action::BlockAndRemediate,
        },
        expiration,
        comment: args.comment.clone(),
        reliability: args.reliability.to_ascii_uppercase(),
        timestamp,
        rule: match args.rule {
            RuleArg::Hash => RuleKind::Hash,
            RuleArg::Publisher => RuleKind::Publisher,
            RuleArg::Pca => RuleKind::Pca,
            RuleArg::Both => RuleKind::Both,
        },
        include_unverified: args.include_unverified,
        full_paths: args.full_paths,
    };
    if let Err(e) = opts.validate(args.format) {
        return usage(&e);
    }
    let scanner = Scanner::new()
        .with_limits(args.limits.limits())
        .with_hashes(args.format.hashes_needed(&opts));
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let exporter = match &args.output {
        Some(p) => {
            let first = match std::fs::File::create(p) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("installsift: cannot create {}: {e}", p.display());
                    return ExitCode::from(1);
                }
            };
            let base = p.clone();
            Exporter::with_parts(
                args.format,
                opts,
                Box::new(BufWriter::new(first)),
                Box::new(move |n| {
                    let f = std::fs::File::create(installsift_export::part_path(&base, n))?;
                    Ok(Box::new(BufWriter::new(f)) as Box<dyn Write>)
                }),
            )
        }
        None => Exporter::new(args.format, opts, Box::new(BufWriter::new(io::stdout()))),
    };
    let mut exporter = match exporter {
        Ok(e) => e,
        Err(e) => {
            eprintln!("installsift: writing output: {e}");
            return ExitCode::from(1);
        }
    };
    let mut failed = 0u64;
    let mut write_error: Option<io::Error> = None;
    scanner.scan_paths(&args.paths, threads, &mut |path, result| {
        if write_error.is_some() {
            return;
        }
        match result {
            Ok(report) => {
                if let Err(e) = exporter.add_report_from(path, &report.root) {
                    write_error = Some(e);
                }
                for w in exporter.take_warnings() {
                    eprintln!("installsift: warning: {w}");
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("installsift: {e}");
            }
        }
    });
    if let Some(e) = write_error {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return if failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
        eprintln!("installsift: writing output: {e}");
        return ExitCode::from(1);
    }
    let format = exporter.format();
    match exporter.finish() {
        Ok((stats, warnings)) => {
            for w in warnings {
                eprintln!("installsift: warning: {w}");
            }
            let parts = if stats.parts > 1 {
                format!(" in {} files", stats.parts)
            } else {
                String::new()
            };
            eprintln!(
                "{format}: {} written{parts}, {} duplicates merged, {} skipped with a warning, {} filtered out{}",
                stats.written,
                stats.duplicates,
                stats.skipped,
                stats.filtered,
                if failed > 0 {
                    format!(", {failed} inputs unreadable")
                } else {
                    String::new()
                }
            );
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("installsift: writing output: {e}");
            return ExitCode::from(1);
        }
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn scan(args: ScanArgs) -> ExitCode {
    let limits = args.limits.limits();
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
    let format = match args.format {
        OutputFormat::Text => render::Format::Text {
            explain: args.explain,
        },
        OutputFormat::Jsonl => render::Format::Jsonl,
        OutputFormat::Json => render::Format::Json,
    };
    let mut writer = match render::Writer::new(BufWriter::new(sink), format) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("installsift: writing output: {e}");
            return ExitCode::from(1);
        }
    };
    let mut progress = Progress::new(match args.progress {
        When::Always => true,
        When::Never => false,
        When::Auto => io::stderr().is_terminal(),
    });
    let mut failed = 0u64;
    let mut totals = Totals::default();
    let mut write_error: Option<io::Error> = None;
    // Reports are rendered on the worker threads; this thread only writes
    // the bytes out, in order.
    let rendered = |_: &std::path::Path,
                    result: installsift::Result<Report>|
     -> installsift::Result<(Totals, Vec<u8>)> {
        // Rendering into a Vec cannot fail but for serde errors, which a
        // Report does not produce.
        result.map(|report| {
            let bytes = render::render(&report, format).unwrap_or_default();
            (Totals::of(&report), bytes)
        })
    };
    scanner.scan_paths_map(&args.paths, threads, &rendered, &mut |_path, result| {
        if write_error.is_some() {
            return;
        }
        match result {
            Ok((part, bytes)) => {
                totals.merge(&part);
                progress.tick(&totals);
                if let Err(e) = writer.part(&bytes) {
                    write_error = Some(e);
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("installsift: {e}");
            }
        }
    });
    progress.finish(&totals);
    if let Some(e) = write_error.or_else(|| writer.finish().err()) {
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

fn extract(args: ExtractArgs) -> ExitCode {
    let scanner = Scanner::new()
        .with_limits(args.limits.limits())
        .with_hashes(args.hashes);
    let mut out = BufWriter::new(io::stdout().lock());
    let mut status = ExitCode::SUCCESS;
    for input in &args.paths {
        let extraction = match installsift::extract::extract(&scanner, input, &args.output_dir) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("installsift: {e}");
                status = ExitCode::from(1);
                continue;
            }
        };
        for line in extraction.manifest() {
            if let Some(e) = &line.extract_error {
                eprintln!(
                    "installsift: {}: not written: {e}",
                    line.node.path.join(" > ")
                );
                status = ExitCode::from(1);
            }
            let r = serde_json::to_writer(&mut out, &line)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            if let Err(e) = r {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    eprintln!("installsift: writing manifest: {e}");
                }
                return ExitCode::from(1);
            }
        }
    }
    if let Err(e) = out.flush() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("installsift: writing manifest: {e}");
            return ExitCode::from(1);
        }
    }
    status
}
