//! `installsift`: scan files and directories for installers, unpack every
//! layer, hash every node.
//!
//! This crate parses arguments ([`args`]), dispatches to the library and
//! sets the exit status; every byte of a report, manifest or export and
//! every summary line is rendered by the library (`installsift::render`,
//! `installsift_export`).

mod args;

use args::{
    Cli, Command, DiffArgs, DiffFormat, ExportArgs, ExtractArgs, ReportArgs, ScanArgs, WhereArgs,
};
use clap::Parser;
use installsift::render::{self, Progress, Totals};
use installsift::{ReadMode, Scanner};
use installsift_export::Exporter;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    bound_heap_fragmentation();
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Extract(args) => extract(args),
        Command::Export(args) => export(args),
        Command::Diff(args) => diff(args),
        Command::Report(args) => report(args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Into memory first: the generator panics on a write error
            // (`… | head`).
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "installsift", &mut out);
            print_all(&out, "completions")
        }
        Command::Man { subcommand } => man(subcommand.as_deref()),
        Command::Where(args) => where_(args),
        Command::Schema => print_all(installsift::schema::schema_text().as_bytes(), "schema"),
    }
}

/// The index files an `--index` names: the file, or a directory's
/// `*.jsonl` files sorted by path.
fn index_files(index: &std::path::Path) -> io::Result<Vec<std::path::PathBuf>> {
    if !index.is_dir() {
        return Ok(vec![index.to_path_buf()]);
    }
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(index).sort_by_file_name() {
        let e = e.map_err(io::Error::other)?;
        if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "jsonl") {
            files.push(e.into_path());
        }
    }
    Ok(files)
}

fn where_(args: WhereArgs) -> ExitCode {
    let sha256 = match installsift::hash::Sha256::from_hex(args.sha256.trim()) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("installsift where: `{}`: {e}", args.sha256);
            return ExitCode::from(2);
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let mut found = 0u64;
    let mut write_error = None;
    for index in &args.index {
        let files = match index_files(index) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("installsift where: {}: {e}", index.display());
                return ExitCode::from(2);
            }
        };
        for file in files {
            let read = std::fs::File::open(&file).and_then(|f| {
                installsift::provenance::find_in_jsonl(
                    &mut io::BufReader::new(f),
                    &sha256,
                    &mut |m| {
                        found += 1;
                        if write_error.is_none() {
                            if let Err(e) = writeln!(out, "{m}") {
                                write_error = Some(e);
                            }
                        }
                    },
                )
            });
            if let Err(e) = read {
                eprintln!("installsift where: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        }
    }
    if let Some(e) = write_error.or_else(|| out.flush().err()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("installsift where: writing output: {e}");
            return ExitCode::from(2);
        }
    }
    if found > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `installsift diff OLD NEW`.
fn diff(args: DiffArgs) -> ExitCode {
    let passwords = match usage(args.passwords.all(), "diff") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let scanner = scanner()
        .with_limits(args.limits.limits())
        .with_passwords(passwords);
    let mut sides = Vec::new();
    for root in [&args.old, &args.new] {
        let mut reports = Vec::new();
        let mut failed = false;
        scanner.scan_paths(std::slice::from_ref(root), 1, &mut |_, r| match r {
            Ok(report) => reports.push(report),
            Err(e) => {
                eprintln!("installsift diff: {e}");
                failed = true;
            }
        });
        if failed || reports.is_empty() {
            if reports.is_empty() && !failed {
                eprintln!("installsift diff: {}: no file to compare", root.display());
            }
            return ExitCode::from(2);
        }
        sides.push(installsift::diff::side(root, &reports));
    }
    let d = installsift::diff::diff(&sides[0], &sides[1]);
    let mut out = Vec::new();
    let written = match args.format {
        DiffFormat::Text => d.write_text(&mut out, args.all),
        DiffFormat::Jsonl => d.write_jsonl(&mut out, args.all),
        DiffFormat::Delta => d.write_delta(&mut out),
    };
    if let Err(e) = written {
        eprintln!("installsift diff: {e}");
        return ExitCode::from(2);
    }
    if args.format == DiffFormat::Delta {
        eprintln!("{}", d.summary_line());
    }
    let s = d.summary;
    match print_all(&out, "diff") {
        c if c != ExitCode::SUCCESS => ExitCode::from(2),
        _ if s.added + s.removed + s.changed + s.signer_changed > 0 => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// A usage problem of subcommand `cmd` (an unreadable list of files or
/// passwords): said on standard error, exit status 2.
fn usage<T>(r: Result<T, String>, cmd: &str) -> Result<T, ExitCode> {
    r.map_err(|e| {
        eprintln!("installsift {cmd}: {e}");
        ExitCode::from(2)
    })
}

/// Write `bytes` to standard output; a closed pipe is not an error.
fn print_all(bytes: &[u8], what: &str) -> ExitCode {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("installsift {what}: {e}");
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// The man page of the main command or of `sub`, in roff, on standard
/// output (`installsift-scan(1)` names a subcommand's page).
fn man(sub: Option<&str>) -> ExitCode {
    let root = <Cli as clap::CommandFactory>::command();
    let cmd = match sub {
        None => root,
        Some(name) => {
            let Some(c) = root.find_subcommand(name).cloned() else {
                eprintln!("installsift man: no subcommand `{name}`");
                return ExitCode::from(2);
            };
            let version = root.get_version().unwrap_or_default().to_owned();
            c.name(format!("installsift-{name}")).version(version)
        }
    };
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
        eprintln!("installsift man: {e}");
        return ExitCode::from(1);
    }
    print_all(&out, "man")
}

/// glibc's malloc serves blocks below its mmap threshold from the heap,
/// and raises that threshold (from 128 KiB up to 32 MiB) each time a larger
/// mapped block is freed. A scan frees a decoder's state (flate2's 47 KiB
/// inflater, an 8 KiB read buffer) after every entry while the entry's
/// node, allocated meanwhile, stays: the freed blocks are carved up by
/// those small allocations and the next decoder extends the heap, so the
/// resident size grew by about 20 KiB per entry whatever the live heap
/// (a zip of 60,000 tiny files: 122 MB live, 1.2 GB resident). A fixed
/// threshold of 32 KiB maps such blocks and unmaps them when freed:
/// 132 MB resident, and no slower.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_heap_fragmentation() {
    use std::os::raw::c_int;
    unsafe extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    /// `M_MMAP_THRESHOLD` in glibc's `malloc.h`.
    const M_MMAP_THRESHOLD: c_int = -3;
    // SAFETY: mallopt only sets an allocator parameter (it takes the
    // allocator's lock); it is called before any other thread exists.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 * 1024);
    }
}

/// Other allocators need no help.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn bound_heap_fragmentation() {}

/// The scanner every subcommand uses: the CLI maps files larger than the
/// library's threshold (see [`ReadMode::Auto`]), as it always has.
fn scanner() -> Scanner {
    Scanner::new().with_read_mode(ReadMode::Auto)
}

/// 1 when some input failed, else 0.
fn status(failed: u64) -> ExitCode {
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn export(args: ExportArgs) -> ExitCode {
    let opts = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("installsift export: {e}");
            return ExitCode::from(2);
        }
    };
    let passwords = match usage(args.passwords.all(), "export") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let scanner = scanner()
        .with_limits(args.limits.limits())
        .with_hashes(args.format.hashes_needed(&opts))
        .with_passwords(passwords);
    let exporter = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Exporter::to_file(args.format, opts, f, p),
            Err(e) => {
                eprintln!("installsift: cannot create {}: {e}", p.display());
                return ExitCode::from(1);
            }
        },
        None => Exporter::new(args.format, opts, Box::new(BufWriter::new(io::stdout()))),
    };
    let mut exporter = match exporter {
        Ok(e) => e,
        Err(e) => {
            eprintln!("installsift: writing output: {e}");
            return ExitCode::from(1);
        }
    };
    let paths = match usage(
        args::inputs(&args.paths, args.files_from.as_deref()),
        "export",
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut failed = 0u64;
    let mut write_error: Option<io::Error> = None;
    let threads = args::threads(args.threads);
    let skipped = scanner.scan_paths(&paths, threads, &mut |path, result| {
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
            return status(failed);
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
            if !args.quiet {
                eprintln!("{}", stats.summary(format, failed));
                if let Some(note) = render::skipped_note(&skipped) {
                    eprintln!("installsift: {note}");
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("installsift: writing output: {e}");
            return ExitCode::from(1);
        }
    }
    status(failed)
}

fn scan(args: ScanArgs) -> ExitCode {
    let (scanner, paths) = match usage(args.inputs.prepare(scanner()), "scan") {
        Ok(p) => p,
        Err(code) => return code,
    };
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
    let format = args.render_format();
    let mut writer = match render::Writer::new(BufWriter::new(sink), format) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("installsift: writing output: {e}");
            return ExitCode::from(1);
        }
    };
    let mut progress = Progress::new(args.progress_on()).counting(&paths);
    if args.progress == args::When::Always {
        progress = progress.at_once();
    }
    let mut failed = 0u64;
    let mut totals = Totals::default();
    let mut write_error: Option<io::Error> = None;
    // Reports are rendered on the worker threads; this thread only writes
    // the bytes out, in order (a report of many nodes is rendered here,
    // straight into the output, not held rendered: render::Part).
    let map = |_: &std::path::Path, result| render::rendered(result, format);
    let threads = args::threads(args.inputs.threads);
    totals.skipped = scanner.scan_paths_map(&paths, threads, &map, &mut |path, result| {
        if write_error.is_some() {
            return;
        }
        match result {
            Ok((totals_of_one, part)) => {
                totals.merge(&totals_of_one);
                progress.tick(&totals, failed, path);
                if let Err(e) = writer.write(&part) {
                    write_error = Some(e);
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("installsift: {e}");
                // JSON and JSONL also carry it, as a record for the input.
                if let Err(e) = writer.input_error(path, &e) {
                    write_error = Some(e);
                }
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
    if !args.quiet {
        if matches!(format, render::Format::Text { .. }) {
            eprintln!("{}", totals.summary(failed));
        } else if let Some(note) = render::skipped_note(&totals.skipped) {
            eprintln!("installsift: {note}");
        }
    }
    status(failed)
}

/// `installsift report -o FILE PATH…`: the HTML page of every report,
/// rendered on the worker threads, written in scan order.
fn report(args: ReportArgs) -> ExitCode {
    let (scanner, paths) = match usage(args.inputs.prepare(scanner()), "report") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let file = match std::fs::File::create(&args.output) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("installsift: cannot create {}: {e}", args.output.display());
            return ExitCode::from(1);
        }
    };
    let mut page = match render::html::Page::new(BufWriter::new(file)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("installsift report: writing {}: {e}", args.output.display());
            return ExitCode::from(1);
        }
    };
    let mut failed = 0u64;
    let mut totals = Totals::default();
    let mut write_error: Option<io::Error> = None;
    let map = |_: &std::path::Path, result| render::html::rendered(result);
    let threads = args::threads(args.inputs.threads);
    totals.skipped = scanner.scan_paths_map(&paths, threads, &map, &mut |path, result| {
        if write_error.is_some() {
            return;
        }
        let written = match result {
            Ok((totals_of_one, part)) => {
                totals.merge(&totals_of_one);
                page.write(&part)
            }
            Err(e) => {
                failed += 1;
                eprintln!("installsift: {e}");
                page.input_error(path, &e)
            }
        };
        if let Err(e) = written {
            write_error = Some(e);
        }
    });
    if let Some(e) = write_error.or_else(|| page.finish().err()) {
        eprintln!("installsift report: writing {}: {e}", args.output.display());
        return ExitCode::from(1);
    }
    if !args.quiet {
        eprintln!("{} -> {}", totals.summary(failed), args.output.display());
    }
    status(failed)
}

fn extract(args: ExtractArgs) -> ExitCode {
    let passwords = match usage(args.passwords.all(), "extract") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let scanner = scanner()
        .with_limits(args.limits.limits())
        .with_hashes(args.hashes)
        .with_passwords(passwords);
    let mut out = BufWriter::new(io::stdout().lock());
    let paths = match usage(
        args::inputs(&args.paths, args.files_from.as_deref()),
        "extract",
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut status = ExitCode::SUCCESS;
    for input in &paths {
        let extraction = match installsift::extract::extract(&scanner, input, &args.output_dir) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("installsift: {e}");
                status = ExitCode::from(1);
                continue;
            }
        };
        for line in extraction.manifest() {
            if let Some(warning) = render::not_written(&line) {
                eprintln!("installsift: {warning}");
                status = ExitCode::from(1);
            }
            if let Err(e) = render::write_manifest_line(&mut out, &line) {
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
