//! The command line: clap definitions of `scan`, `extract` and `export`,
//! and their translation into library options. Nothing here renders a
//! report; `main.rs` dispatches.

use clap::{Parser, Subcommand, ValueEnum};
use installsift::render;
use installsift::{HashSelection, Limits};
use installsift_export::{
    Action, Depth, ExportFormat, ExportOptions, HashKind, Only, RuleKind, Severity, Timestamp,
};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Static analysis of software installers: is it an installer, of which
/// family, what does it carry, and the hashes of every layer.
#[derive(Parser)]
#[command(name = "installsift", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Scan files and directories (recursively); print one node per file and
    /// per entry found inside, at every depth.
    ///
    /// A directory walk scans regular files only: symlinks (never followed
    /// inside a walk), FIFOs, sockets and devices are skipped and counted on
    /// standard error. A path named here is followed if it is a symlink.
    ///
    /// Exit status: 0 when every input was scanned (damaged files are reported
    /// in the output, not fatal), 1 when some input could not be read or a
    /// path named is a FIFO, socket, device or dangling symlink (never opened;
    /// the other inputs are still scanned), 2 on usage errors.
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
    /// Which input, and which path inside it, carried a file of this
    /// SHA-256: looked up in JSONL indexes written by `scan --format jsonl`.
    ///
    /// Prints one line per node found, tab-separated: the input, its family
    /// (or verdict when not an installer), the path inside it (` > `
    /// between levels, `-` for the input itself), the node's format.
    /// Exit status: 0 when found, 1 when not, 2 on usage errors or an
    /// index that cannot be read.
    #[command(
        after_help = "Example:\n  installsift scan --format jsonl -o index.jsonl /mnt/share\n  installsift where 69a907f55f9c8ac6d789c47de7cf6a3a41e9a4d410df25ae665558e1d9f658a0 --index index.jsonl"
    )]
    Where(WhereArgs),
    /// Compare two versions of an installer, or two directories of them, by
    /// the path of every file inside and its SHA-256: added, removed,
    /// changed, unchanged, and signer changes.
    ///
    /// Paths are keyed below each input (`setup.exe > data.cab > a.dll` is
    /// `data.cab > a.dll`; a directory's files relative to it), so the two
    /// inputs may have different names. A file whose content could not be
    /// read on either side is `changed`, never `unchanged`.
    ///
    /// Exit status: 0 when the two are the same, 1 when they differ (as
    /// `diff`), 2 on usage errors or when an input could not be scanned.
    #[command(
        after_help = "Examples:\n  installsift diff app-1.2.msi app-1.3.msi\n  installsift diff --format jsonl old/ new/ > delta.jsonl\n  installsift diff --format delta app-1.2.exe app-1.3.exe   # sha256sum lines to allow; -<sha256> to revoke"
    )]
    Diff(DiffArgs),
    /// Scan files and directories and write one self-contained HTML page to
    /// look at: the tree of every layer with format, verdict and family
    /// badges, sizes, builders, errors, evidence on demand, copyable
    /// hashes, a search by name or hash prefix and a summary by family.
    ///
    /// The page needs no network and loads nothing (a Content Security
    /// Policy forbids it); names and messages from the files are data,
    /// never markup. Open `FILE#q=TEXT` to search, `FILE#open=all` to
    /// expand every node. Exit status as `scan`: 0 when every input was
    /// scanned, 1 when some input could not be read (it is listed in the
    /// page) or the page could not be written, 2 on usage errors.
    #[command(
        after_help = "Examples:\n  installsift report -o report.html setup.exe downloads/\n  find /mnt/share -name '*.exe' -print0 | installsift report -o share.html --files-from -\n  installsift report -o infected.html --password infected samples/"
    )]
    Report(ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  installsift completions bash > /etc/bash_completion.d/installsift\n  installsift completions zsh > \"${fpath[1]}/_installsift\"\n  installsift completions fish > ~/.config/fish/completions/installsift.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page of installsift or of one of its subcommands, in
    /// roff (`docs/man/` holds them, generated by this).
    #[command(after_help = "Example:\n  installsift man scan | man -l -")]
    Man {
        /// The subcommand (`scan`, `extract`, `export`, `diff`, `report`, `where`, `completions`, `schema`);
        /// none for the main page.
        subcommand: Option<String>,
    },
    /// Print the JSON Schema (draft 2020-12) of `scan --format jsonl` and
    /// `--format json` output, generated from the report types
    /// (`docs/schema/installsift.schema.json` holds it).
    ///
    /// The root validates one JSONL line (a node, or the record of an input
    /// that could not be scanned); `#/$defs/ScanJson` validates the JSON
    /// document. Objects are closed: a field the schema does not name fails.
    #[command(after_help = "Example:\n  installsift schema > installsift.schema.json")]
    Schema,
}

#[derive(clap::Args)]
pub(crate) struct DiffArgs {
    /// The old version (a file or a directory).
    pub(crate) old: PathBuf,
    /// The new version (a file or a directory).
    pub(crate) new: PathBuf,
    /// Output: text (`+` added, `-` removed, `~` changed, `!` signer
    /// changed), jsonl (one object per path, then the summary), or delta
    /// (sha256sum lines of what to allow, `-`-prefixed ones to revoke).
    #[arg(short, long, value_enum, default_value_t = DiffFormat::Text)]
    pub(crate) format: DiffFormat,
    /// Also list unchanged paths.
    #[arg(long)]
    pub(crate) all: bool,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    pub(crate) passwords: PasswordArgs,
}

#[derive(clap::Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) inputs: ScanInputs,
    /// The HTML file to write.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// No summary line or note of what a walk skipped on standard error;
    /// inputs that could not be read are still reported.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DiffFormat {
    Text,
    Jsonl,
    Delta,
}

#[derive(clap::Args)]
pub(crate) struct WhereArgs {
    /// The SHA-256 to look for (64 hex digits).
    pub(crate) sha256: String,
    /// A JSONL index (`installsift scan --format jsonl` output), or a
    /// directory whose `*.jsonl` files are read (sorted by name).
    #[arg(long, required = true, value_name = "DIR_OR_FILE")]
    pub(crate) index: Vec<PathBuf>,
}

#[derive(clap::Args)]
pub(crate) struct ExtractArgs {
    /// Files to extract.
    #[arg(required_unless_present = "files_from")]
    pub(crate) paths: Vec<PathBuf>,
    /// Also extract the files listed in FILE (`-`: standard input), one per
    /// line, or NUL-separated when the list holds a NUL byte.
    #[arg(long, value_name = "FILE")]
    pub(crate) files_from: Option<PathBuf>,
    /// Directory to write into (created if missing).
    #[arg(short, long = "output-dir", value_name = "DIR")]
    pub(crate) output_dir: PathBuf,
    /// Hashes to compute, comma-separated: sha256 (always), sha1, md5.
    #[arg(long, default_value = "sha256", value_parser = parse_hashes)]
    pub(crate) hashes: HashSelection,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    pub(crate) passwords: PasswordArgs,
}

/// Passwords for encrypted content (zip ZipCrypto and WinZip AES entries,
/// 7z AES blocks and headers, Inno Setup files before 6.4).
#[derive(clap::Args, Clone, Default)]
pub(crate) struct PasswordArgs {
    /// A password to try on encrypted content (zip ZipCrypto and AES
    /// entries, 7z AES data and headers, Inno Setup files before 6.4),
    /// e.g. `infected`; repeat for several. Without one, encrypted entries are listed and marked
    /// encrypted, not read.
    #[arg(long = "password", value_name = "PASSWORD")]
    pub(crate) passwords: Vec<String>,
    /// Passwords to try, one per line (after those of --password).
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

impl PasswordArgs {
    /// Every password given, in order; an unreadable file is an error.
    pub(crate) fn all(&self) -> Result<Vec<String>, String> {
        let mut out = self.passwords.clone();
        if let Some(f) = &self.password_file {
            let text = std::fs::read_to_string(f)
                .map_err(|e| format!("reading passwords from {}: {e}", f.display()))?;
            out.extend(
                text.lines()
                    .map(|l| l.strip_suffix('\r').unwrap_or(l))
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned),
            );
        }
        Ok(out)
    }
}

/// Every field of [`Limits`] can be set from the command line; unset ones
/// keep their defaults. The options come from [`installsift::LIMITS`] (one
/// declaration in the library), so a new limit is an option at once.
#[derive(Clone, Default)]
pub(crate) struct LimitArgs {
    /// (field name, value) of each option given.
    set: Vec<(&'static str, u64)>,
}

impl LimitArgs {
    pub(crate) fn limits(&self) -> Limits {
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
pub(crate) struct ExportArgs {
    /// Files or directories to scan.
    #[arg(required_unless_present = "files_from")]
    pub(crate) paths: Vec<PathBuf>,
    /// Also scan the paths listed in FILE (`-`: standard input), one per
    /// line, or NUL-separated when the list holds a NUL byte; the export
    /// still deduplicates across all of them.
    #[arg(long, value_name = "FILE")]
    pub(crate) files_from: Option<PathBuf>,
    /// No summary line or note of what a walk skipped on standard error;
    /// warnings and inputs that could not be read are still reported.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Output format (see the list below).
    #[arg(long = "to", value_parser = parse_format)]
    pub(crate) format: ExportFormat,
    /// Which nodes by verdict: installers, non-installers or all.
    #[arg(long, value_enum, default_value_t = OnlyArg::All)]
    pub(crate) only: OnlyArg,
    /// Keep only these families, comma-separated (as in the `family` field:
    /// msi, msm, msp, 7z-sfx, zip-sfx, cab-sfx, …).
    #[arg(long, value_delimiter = ',')]
    pub(crate) families: Vec<String>,
    /// Input files only (top) or every nested layer too (all).
    #[arg(long, value_enum, default_value_t = DepthArg::Top)]
    pub(crate) depth: DepthArg,
    /// Smallest node exported, in bytes.
    #[arg(long, default_value_t = 0)]
    pub(crate) min_size: u64,
    /// Hash kinds to emit where the format offers a choice, comma-separated:
    /// sha256, sha1, md5, imphash (default: the format's first).
    #[arg(long = "hash", value_delimiter = ',', value_parser = parse_hash_kind)]
    pub(crate) hashes: Vec<HashKind>,
    /// Indicator severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::High)]
    pub(crate) severity: SeverityArg,
    /// What the product should do with matching files.
    #[arg(long, value_enum, default_value_t = ActionArg::Block)]
    pub(crate) action: ActionArg,
    /// applocker-xml and wdac-xml: hash rules, publisher rules (from the
    /// Authenticode signer; WDAC file-publisher level), pca (WDAC
    /// PCA-certificate level), or both (hash and publisher).
    #[arg(long, value_enum, default_value_t = RuleArg::Hash)]
    pub(crate) rule: RuleArg,
    /// Expiry of the indicators: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, or never.
    #[arg(long, default_value = "never")]
    pub(crate) expiration: String,
    /// Comment/description template; {path} {name} {family} {format}
    /// {verdict} {what} {sha256} {size} are replaced.
    #[arg(long, default_value = "installsift: {what} {path}")]
    pub(crate) comment: String,
    /// Source reliability A–F (Cortex XDR).
    #[arg(long, default_value_t = 'A')]
    pub(crate) reliability: char,
    /// Creation time written into STIX, MISP, OpenIOC, YARA and WDAC output
    /// (default: $SOURCE_DATE_EPOCH, else now).
    #[arg(long)]
    pub(crate) timestamp: Option<String>,
    /// Also export nested entries whose bytes carry an error (checksum
    /// mismatch, truncation …); by default they are skipped with a warning,
    /// as their hash may not be that of the file the installer writes.
    #[arg(long)]
    pub(crate) include_unverified: bool,
    /// Write input paths as given in comments and YARA meta; by default an
    /// absolute path (or one with `..`) is cut to its base name so shared
    /// indicators do not carry local directories.
    #[arg(long)]
    pub(crate) full_paths: bool,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    pub(crate) output: Option<PathBuf>,
    /// Worker threads for directory scans (default: number of CPUs).
    #[arg(short = 'j', long)]
    pub(crate) threads: Option<usize>,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    pub(crate) passwords: PasswordArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RuleArg {
    Hash,
    Publisher,
    Pca,
    Both,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnlyArg {
    Installers,
    NonInstallers,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DepthArg {
    Top,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ActionArg {
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

/// What `scan` and `report` share: the inputs and how they are scanned.
#[derive(clap::Args)]
pub(crate) struct ScanInputs {
    /// Files or directories to scan.
    #[arg(required_unless_present = "files_from")]
    pub(crate) paths: Vec<PathBuf>,
    /// Also scan the paths listed in FILE (`-`: standard input), one per
    /// line, or NUL-separated when the list holds a NUL byte (`find -print0`);
    /// no argument-length limit, so 10^5 paths need no `xargs`.
    #[arg(long, value_name = "FILE")]
    pub(crate) files_from: Option<PathBuf>,
    /// Hashes to compute, comma-separated: sha256 (always), sha1, md5,
    /// authenticode (every PE's Authenticode SHA-256 and SHA-1, in its
    /// metadata), imphash [default: sha256]. Given, the text view prints
    /// each content hash computed in full (`sha256=… md5=…`) instead of the
    /// SHA-256's first 16 digits.
    #[arg(long, value_parser = parse_hashes)]
    pub(crate) hashes: Option<HashSelection>,
    /// Worker threads for directory scans (default: number of CPUs).
    #[arg(short = 'j', long)]
    pub(crate) threads: Option<usize>,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    pub(crate) passwords: PasswordArgs,
}

impl ScanInputs {
    /// The paths to scan (with those of `--files-from`) and the scanner
    /// for them, or the usage error to print (exit status 2).
    pub(crate) fn prepare(
        &self,
        scanner: installsift::Scanner,
    ) -> Result<(installsift::Scanner, Vec<PathBuf>), String> {
        let paths = inputs(&self.paths, self.files_from.as_deref())?;
        let scanner = scanner
            .with_limits(self.limits.limits())
            .with_hashes(self.hashes.unwrap_or(HashSelection::SHA256))
            .with_passwords(self.passwords.all()?);
        Ok((scanner, paths))
    }
}

#[derive(clap::Args)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub(crate) inputs: ScanInputs,
    /// Output format: an indented tree, one JSON document, one JSON object
    /// per node (parent before children), or one row per node for
    /// spreadsheets (csv: RFC 4180 with a header row; tsv: tab-separated,
    /// backslash-escaped).
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) format: OutputFormat,
    /// Write the output to this file instead of standard output.
    #[arg(short, long)]
    pub(crate) output: Option<PathBuf>,
    /// Progress bar on standard error (files done of the total, MB/s, ETA,
    /// the current file): auto (when standard error is a terminal), always,
    /// never.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    pub(crate) progress: When,
    /// Colours in the text view: auto (when standard output is a terminal
    /// and NO_COLOR is not set), always, never.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    pub(crate) color: When,
    /// Text output: print every node's evidence (signal, strength, detail,
    /// offset) under its line, and its installer hints.
    #[arg(long)]
    pub(crate) explain: bool,
    /// No summary line, progress or note of what a walk skipped on standard
    /// error; inputs that could not be read are still reported.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Json,
    Jsonl,
    Csv,
    Tsv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum When {
    Auto,
    Always,
    Never,
}

fn parse_hashes(s: &str) -> Result<HashSelection, String> {
    HashSelection::parse_list(s)
}

/// The paths named on the command line, then those listed in `files_from`
/// (`-`: standard input): NUL-separated when the list holds a NUL byte,
/// else one per line (a trailing `\r` dropped); empty entries skipped. On
/// Unix the bytes are the path's bytes, whatever their encoding.
pub(crate) fn inputs(paths: &[PathBuf], files_from: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let mut out = paths.to_vec();
    let Some(list) = files_from else {
        return Ok(out);
    };
    let bytes = if list == Path::new("-") {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut b)
            .map_err(|e| format!("reading the list of files from standard input: {e}"))?;
        b
    } else {
        std::fs::read(list)
            .map_err(|e| format!("reading the list of files {}: {e}", list.display()))?
    };
    let sep = if bytes.contains(&0) { b'\0' } else { b'\n' };
    for item in bytes.split(|&b| b == sep) {
        let item = if sep == b'\n' {
            item.strip_suffix(b"\r").unwrap_or(item)
        } else {
            item
        };
        if !item.is_empty() {
            out.push(path_from_bytes(item));
        }
    }
    if out.is_empty() {
        return Err(format!("no paths in {}", list.display()));
    }
    Ok(out)
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

/// Worker threads: the option's value, else the number of CPUs.
pub(crate) fn threads(option: Option<usize>) -> usize {
    option.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

impl ScanArgs {
    /// The library's render format for `--format` and `--explain`.
    pub(crate) fn render_format(&self) -> render::Format {
        match self.format {
            OutputFormat::Text => render::Format::Text {
                explain: self.explain,
                full_hashes: self.inputs.hashes.is_some(),
                color: self.color_on(),
            },
            OutputFormat::Jsonl => render::Format::Jsonl,
            OutputFormat::Json => render::Format::Json,
            OutputFormat::Csv => render::Format::Csv,
            OutputFormat::Tsv => render::Format::Tsv,
        }
    }

    /// Whether to colour the text view: `--color always`, or `auto` when
    /// the output is standard output, a terminal, and `NO_COLOR` is unset
    /// or empty (no-color.org).
    pub(crate) fn color_on(&self) -> bool {
        match self.color {
            When::Always => true,
            When::Never => false,
            When::Auto => {
                self.output.is_none()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }

    /// Whether to draw the progress line.
    pub(crate) fn progress_on(&self) -> bool {
        if self.quiet {
            return false;
        }
        match self.progress {
            When::Always => true,
            When::Never => false,
            When::Auto => std::io::stderr().is_terminal(),
        }
    }
}

impl ExportArgs {
    /// The export options, or the usage error to print (exit status 2).
    pub(crate) fn options(&self) -> Result<ExportOptions, String> {
        let timestamp = match self.timestamp.clone().or_else(|| {
            std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .map(|s| format!("@{s}"))
        }) {
            Some(t) => Timestamp::parse(&t).map_err(|e| format!("--timestamp: {e}"))?,
            None => Timestamp::now(),
        };
        let expiration = match self.expiration.as_str() {
            "never" => None,
            other => Some(Timestamp::parse(other).map_err(|e| format!("--expiration: {e}"))?),
        };
        let opts = ExportOptions {
            only: match self.only {
                OnlyArg::Installers => Only::Installers,
                OnlyArg::NonInstallers => Only::NonInstallers,
                OnlyArg::All => Only::All,
            },
            families: self
                .families
                .iter()
                .map(|f| f.trim().to_ascii_lowercase())
                .collect(),
            depth: match self.depth {
                DepthArg::Top => Depth::Top,
                DepthArg::All => Depth::All,
            },
            min_size: self.min_size,
            hashes: self.hashes.clone(),
            severity: match self.severity {
                SeverityArg::Info => Severity::Info,
                SeverityArg::Low => Severity::Low,
                SeverityArg::Medium => Severity::Medium,
                SeverityArg::High => Severity::High,
                SeverityArg::Critical => Severity::Critical,
            },
            action: match self.action {
                ActionArg::Allow => Action::Allow,
                ActionArg::Audit => Action::Audit,
                ActionArg::Warn => Action::Warn,
                ActionArg::Block => Action::Block,
                ActionArg::BlockAndRemediate => Action::BlockAndRemediate,
            },
            expiration,
            comment: self.comment.clone(),
            reliability: self.reliability.to_ascii_uppercase(),
            timestamp,
            rule: match self.rule {
                RuleArg::Hash => RuleKind::Hash,
                RuleArg::Publisher => RuleKind::Publisher,
                RuleArg::Pca => RuleKind::Pca,
                RuleArg::Both => RuleKind::Both,
            },
            include_unverified: self.include_unverified,
            full_paths: self.full_paths,
        };
        opts.validate(self.format)?;
        Ok(opts)
    }
}
