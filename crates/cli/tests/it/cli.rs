//! The command line: output formats and exit codes.

use crate::util::corpus;
use std::process::Command;

fn installsift() -> Command {
    Command::new(env!("CARGO_BIN_EXE_installsift"))
}

#[test]
fn jsonl_lines_follow_the_contract() {
    let out = installsift()
        .args(["scan", "--format", "jsonl", "--hashes", "sha256,md5"])
        .arg(corpus().join("msi"))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = 0;
    let mut last_depth = 0u64;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        for key in [
            "path", "depth", "size", "sha256", "md5", "format", "verdict", "family", "evidence",
            "errors",
        ] {
            assert!(v.get(key).is_some(), "missing `{key}` in {line}");
        }
        let depth = v["depth"].as_u64().expect("depth");
        assert!(
            depth <= last_depth + 1,
            "a child must follow its parent: {line}"
        );
        assert_eq!(v["path"].as_array().expect("path").len() as u64, depth + 1);
        assert!(["installer", "not-installer", "unknown"]
            .contains(&v["verdict"].as_str().expect("verdict")));
        last_depth = depth;
        lines += 1;
    }
    assert!(lines > 5, "only {lines} lines");
}

#[test]
fn damaged_files_are_reported_not_fatal() {
    let out = installsift()
        .args(["scan", "-f", "jsonl"])
        .arg(corpus().join("malformed"))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.contains("\"errors\":[\"truncated")),
        "no truncation reported:\n{text}"
    );
}

/// `error_details` stands beside `errors`: one object per string, in order,
/// that rebuilds it (`kind: message`, `limit-exceeded: limit: message`),
/// absent when there is no error; a parser's byte offset is a field.
#[test]
fn error_details_parallel_the_errors_strings() {
    let out = installsift()
        .args(["scan", "-f", "jsonl"])
        .arg(corpus().join("malformed"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let (mut details, mut located, mut cut_cab) = (0, 0, false);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        let errors = v["errors"].as_array().expect("errors");
        let Some(d) = v.get("error_details") else {
            assert!(errors.is_empty(), "errors without error_details: {line}");
            continue;
        };
        let d = d.as_array().expect("an array");
        assert_eq!(d.len(), errors.len(), "{line}");
        for (s, d) in errors.iter().zip(d) {
            let mut parts = vec![d["kind"].as_str().expect("kind")];
            parts.extend(d.get("limit").and_then(|l| l.as_str()));
            parts.push(d["message"].as_str().expect("message"));
            assert_eq!(parts.join(": "), s.as_str().expect("a string"));
            details += 1;
            located += usize::from(d.get("offset").is_some_and(|o| o.is_u64()));
        }
        // The cut cabinet: its folder's CFDATA run past the end, located
        // where the folder table says its data starts.
        if v["path"][0]
            .as_str()
            .unwrap_or("")
            .ends_with("trunc_mszip.cab")
            && v["depth"] == 0
        {
            cut_cab = true;
            let start = &v["metadata"]["folders"][0]["data_offset"];
            assert!(start.is_u64(), "{line}");
            assert!(
                d.iter().any(|e| e["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("CFDATA blocks"))
                    && &e["offset"] == start),
                "{line}"
            );
        }
    }
    assert!(cut_cab, "malformed/trunc_mszip.cab not scanned");
    assert!(
        details > 10 && located > 5,
        "{details} errors, {located} located"
    );
}

#[test]
fn unreadable_input_exits_1_and_others_are_still_scanned() {
    let out = installsift()
        .args(["scan", "-f", "jsonl", "/nonexistent/installsift-test"])
        .arg(corpus().join("zip"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"format\":\"zip\""));
}

#[test]
fn usage_errors_exit_2() {
    let out = installsift()
        .args(["scan", "--format", "yaml", "x"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = installsift()
        .args(["scan", "--hashes", "crc32", "x"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn text_tree_indents_children() {
    let out = installsift()
        .arg("scan")
        .arg(corpus().join("nested"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("    ") && l.contains("[zip ")),
        "no depth-2 zip line:\n{text}"
    );
}

#[test]
fn explain_prints_the_evidence_under_each_node() {
    let out = installsift()
        .args(["scan", "--explain"])
        .arg(corpus().join("inno/inno_lzma2.exe"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("installer:inno"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("- inno-loader-table (strong) @0x")),
        "no evidence line:\n{text}"
    );
    assert!(text.contains("* silent: /VERYSILENT"), "{text}");
}

#[test]
fn every_limit_is_an_option() {
    // --max-opens-per-content 1: 42.zip's repeated levels are opened once.
    let scan = |extra: &[&str]| {
        let out = installsift()
            .args(["scan", "-f", "jsonl"])
            .args(extra)
            .arg(corpus().join("traps/nest42.zip"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let default = scan(&[]);
    let tight = scan(&["--max-opens-per-content", "1", "--max-ratio", "5"]);
    assert!(tight.lines().count() < default.lines().count());
    assert!(tight.contains("max_opens_per_content"));
    // Every field of Limits has its option (kebab case).
    let help = installsift()
        .args(["scan", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8(help.stdout).expect("utf-8");
    let limits = serde_json::to_value(installsift::Limits::default()).expect("limits serialise");
    for field in limits.as_object().expect("object").keys() {
        let option = format!("--{}", field.replace('_', "-"));
        assert!(help.contains(&option), "no {option} in scan --help");
    }
}

/// The man pages in `docs/man/` are the ones `installsift man` generates
/// from the CLI definition (`UPDATE_EXPECT=1 cargo test --test it man_pages`
/// rewrites them after a change to the options).
#[test]
fn man_pages_are_generated_from_the_cli_definition() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/man");
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    // Every subcommand `--help` lists (so a new one cannot be left
    // without its page), and the top-level page.
    let help = std::process::Command::new(bin)
        .arg("--help")
        .output()
        .expect("run installsift --help");
    let help = String::from_utf8(help.stdout).expect("UTF-8");
    let subs: Vec<&str> = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands: section")
        .lines()
        .take_while(|l| !l.trim().is_empty())
        // A subcommand's line is indented two spaces; a description that
        // wraps (the width follows the terminal) continues further in.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|&s| s != "help")
        .collect();
    assert!(
        subs.contains(&"scan") && subs.contains(&"where"),
        "{subs:?}"
    );
    for sub in std::iter::once("").chain(subs) {
        let mut cmd = std::process::Command::new(bin);
        cmd.arg("man");
        if !sub.is_empty() {
            cmd.arg(sub);
        }
        let out = cmd.output().expect("run installsift man");
        assert!(out.status.success(), "man {sub}");
        let name = if sub.is_empty() {
            "installsift.1".to_owned()
        } else {
            format!("installsift-{sub}.1")
        };
        let got = String::from_utf8(out.stdout).expect("UTF-8");
        assert!(
            got.contains(".SH NAME") && got.contains(".SH SYNOPSIS"),
            "{name}"
        );
        let path = dir.join(&name);
        if update {
            std::fs::write(&path, &got).expect("write man page");
        } else {
            let want = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                want == got,
                "docs/man/{name} is not what `installsift man {sub}` prints (UPDATE_EXPECT=1 to rewrite)"
            );
        }
    }
    let out = std::process::Command::new(bin)
        .args(["man", "nonesuch"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// Completion scripts for every shell name the subcommands and options; the
/// bash one parses (`bash -n`).
#[test]
fn completions_cover_every_subcommand() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = std::process::Command::new(bin)
            .args(["completions", shell])
            .output()
            .expect("run installsift completions");
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).expect("UTF-8");
        for word in [
            "scan",
            "extract",
            "export",
            "report",
            "files-from",
            "max-depth",
        ] {
            assert!(script.contains(word), "{shell}: no `{word}`");
        }
        if shell == "bash" {
            let f = super::util::Scratch::path("installsift-completion.bash");
            std::fs::write(&f, &script).expect("write");
            let ok = std::process::Command::new("bash")
                .arg("-n")
                .arg(&f)
                .status()
                .expect("bash")
                .success();
            assert!(ok, "bash -n rejects the completion script");
        }
    }
}

/// `--format csv` and `--format tsv`: one row per JSONL record with the
/// same fields, a header first; names holding commas, quotes, tabs, line
/// breaks and formula starts survive (CSV quoted, formulas guarded with
/// `'`; TSV backslash-escaped, reversible).
#[test]
fn csv_and_tsv_rows_carry_the_jsonl_fields() {
    use std::io::Write;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let input = dir.join(format!("table-{}.zip", std::process::id()));
    let names = [
        "plain.txt",
        "a,b \"q\".txt",
        "tab\there.txt",
        "line\nbreak.txt",
        "=cmd|x.txt",
    ];
    let mut w = zip::ZipWriter::new(std::fs::File::create(&input).expect("create"));
    for (k, n) in names.iter().enumerate() {
        w.start_file(*n, zip::write::SimpleFileOptions::default())
            .expect("start");
        w.write_all(format!("file {k}").as_bytes()).expect("write");
    }
    w.finish().expect("finish");
    let bin = env!("CARGO_BIN_EXE_installsift");
    let run = |format: &str| {
        let out = std::process::Command::new(bin)
            .args(["scan", "-f", format, "--hashes", "sha256,md5"])
            .arg(&input)
            .output()
            .expect("run");
        assert!(out.status.success(), "{format}");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let jsonl: Vec<serde_json::Value> = run("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    // RFC 4180 rows.
    let csv_text = run("csv");
    let mut csv: Vec<Vec<String>> = Vec::new();
    let (mut row, mut field, mut quoted, mut chars) = (
        Vec::new(),
        String::new(),
        false,
        csv_text.chars().peekable(),
    );
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                csv.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    let tsv: Vec<Vec<String>> = run("tsv")
        .lines()
        .map(|l| {
            l.split('\t')
                .map(|f| {
                    let mut out = String::new();
                    let mut it = f.chars();
                    while let Some(c) = it.next() {
                        if c == '\\' {
                            out.push(match it.next() {
                                Some('t') => '\t',
                                Some('n') => '\n',
                                Some('r') => '\r',
                                Some(o) => o,
                                None => '\\',
                            });
                        } else {
                            out.push(c);
                        }
                    }
                    out
                })
                .collect()
        })
        .collect();
    for (table, guard) in [(&csv, true), (&tsv, false)] {
        assert_eq!(table[0][0], "input");
        assert_eq!(table[0].len(), 17);
        assert_eq!(table[0][13..], ["tools", "packed_size", "method", "mtime"]);
        assert_eq!(table.len(), jsonl.len() + 1);
        for (row, rec) in table[1..].iter().zip(&jsonl) {
            assert_eq!(row.len(), 17, "{row:?}");
            let entry = &rec["entry"];
            let text = |v: &serde_json::Value| match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            assert_eq!(row[14], text(&entry["compressed_size"]), "{row:?}");
            assert_eq!(row[15], text(&entry["method"]), "{row:?}");
            assert_eq!(row[16], text(&entry["mtime"]), "{row:?}");
            let path: Vec<&str> = rec["path"]
                .as_array()
                .expect("path")
                .iter()
                .filter_map(|v| v.as_str())
                .collect();
            assert_eq!(row[0], path[0]);
            let inner = path[1..].join(" > ");
            let want = if guard && inner.starts_with('=') {
                format!("'{inner}")
            } else {
                inner
            };
            assert_eq!(row[1], want);
            assert_eq!(row[2], rec["depth"].to_string());
            assert_eq!(row[3], rec["size"].to_string());
            assert_eq!(row[4], rec["sha256"].as_str().unwrap_or(""));
            assert_eq!(row[6], rec["md5"].as_str().unwrap_or(""));
            assert_eq!(row[7], rec["format"].as_str().unwrap_or(""));
            assert_eq!(row[8], rec["verdict"].as_str().unwrap_or(""));
        }
    }
    std::fs::remove_file(&input).ok();
    // The tools column holds the text view's tools line.
    let out = std::process::Command::new(bin)
        .args(["scan", "-f", "tsv"])
        .arg(super::util::corpus().join("nsis/amd64_zlib.exe"))
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let root: Vec<&str> = text.lines().nth(1).expect("root row").split('\t').collect();
    assert!(root[13].starts_with("Installer: NSIS(3.08"), "{root:?}");
}

/// `installsift diff OLD NEW`: files added, removed, changed and kept, by
/// path inside and SHA-256, whatever the inputs are called; signer changes;
/// the allow-list delta; exit 1 when they differ, 0 when not (as `diff`).
#[test]
fn diff_names_what_a_new_version_adds_removes_and_changes() {
    use std::io::Write;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let zip = |name: &str, files: &[(&str, &str)]| {
        let p = dir.join(name);
        let mut w = zip::ZipWriter::new(std::fs::File::create(&p).expect("create"));
        for (n, body) in files {
            w.start_file(*n, zip::write::SimpleFileOptions::default())
                .expect("start");
            w.write_all(body.as_bytes()).expect("write");
        }
        w.finish().expect("finish");
        p
    };
    let old = zip(
        "app-1.0.zip",
        &[("bin/a.dll", "a1"), ("b.txt", "b"), ("gone.txt", "g")],
    );
    let new = zip(
        "app-1.1.zip",
        &[("bin/a.dll", "a2"), ("b.txt", "b"), ("new.txt", "n")],
    );
    let bin = env!("CARGO_BIN_EXE_installsift");
    let run = |args: &[&str], a: &std::path::Path, b: &std::path::Path| {
        let out = std::process::Command::new(bin)
            .arg("diff")
            .args(args)
            .arg(a)
            .arg(b)
            .output()
            .expect("run installsift diff");
        (
            out.status.code(),
            String::from_utf8(out.stdout).expect("UTF-8"),
        )
    };
    let (code, text) = run(&["--format", "jsonl", "--all"], &old, &new);
    assert_eq!(code, Some(1));
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let changes: Vec<(String, String)> = rows
        .iter()
        .filter(|r| r.get("path").is_some())
        .map(|r| {
            (
                r["path"].as_str().unwrap_or_default().to_owned(),
                r["change"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let want = [
        (".", "changed"),
        ("b.txt", "unchanged"),
        ("bin/a.dll", "changed"),
        ("gone.txt", "removed"),
        ("new.txt", "added"),
    ];
    assert_eq!(
        changes,
        want.map(|(p, c)| (p.to_owned(), c.to_owned())).to_vec()
    );
    let summary = &rows.last().expect("summary")["summary"];
    assert_eq!(summary["added"], 1);
    assert_eq!(summary["removed"], 1);
    assert_eq!(summary["changed"], 2);
    assert_eq!(summary["unchanged"], 1);
    let sha = |s: &str| {
        use sha2::Digest;
        sha2::Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    // The delta: what to allow (new and changed), what to revoke.
    let (_, delta) = run(&["--format", "delta"], &old, &new);
    assert!(
        delta.contains(&format!("{}  bin/a.dll\n", sha("a2"))),
        "{delta}"
    );
    assert!(
        delta.contains(&format!("{}  new.txt\n", sha("n"))),
        "{delta}"
    );
    assert!(
        delta.contains(&format!("-{}  bin/a.dll\n", sha("a1"))),
        "{delta}"
    );
    assert!(
        delta.contains(&format!("-{}  gone.txt\n", sha("g"))),
        "{delta}"
    );
    assert!(!delta.contains(&sha("b")), "{delta}");
    // The same version: nothing differs, exit 0.
    let (code, text) = run(&[], &old, &old);
    assert_eq!(code, Some(0));
    assert_eq!(
        text,
        "0 added, 0 removed, 0 changed, 4 unchanged, 0 signer changed\n"
    );
    // A signature added to the same installer is a signer change.
    let c = crate::util::corpus().join("nsis");
    let (code, text) = run(&[], &c.join("zlib.exe"), &c.join("signed_zlib.exe"));
    assert_eq!(code, Some(1));
    assert!(
        text.lines()
            .any(|l| l.starts_with("! .  signer: (unsigned) -> ")
                && l.contains("installsift TEST ONLY")),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--quiet`: no summary on standard error, the same output, and an input
/// that could not be read is still reported (and still exits 1).
#[test]
fn quiet_keeps_errors_and_drops_the_summary() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let cab = crate::util::corpus().join("cab/mszip.cab");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .arg(&cab)
            .output()
            .expect("run")
    };
    let loud = run(&["scan"]);
    let quiet = run(&["scan", "-q"]);
    assert!(!loud.stderr.is_empty());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert_eq!(loud.stdout, quiet.stdout);
    let q = run(&["export", "--quiet", "--to", "sha256sum"]);
    assert!(q.stderr.is_empty() && !q.stdout.is_empty());
    let missing = std::process::Command::new(bin)
        .args(["scan", "-q", "/nonexistent/installsift-quiet"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("No such file"));
}

/// `--password` (and `--password-file`): the corpus's AES-encrypted 7z
/// archives (data only, and data and header; made by 7zz with password
/// `installsift`) are read with the right password, every file's CRC-32
/// checked, the same bytes as the unencrypted tree; a wrong one is an
/// `encrypted` error saying none of the passwords decrypts it (never
/// garbage files); several are tried in order.
#[test]
fn passwords_open_encrypted_7z_data_and_headers() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let c = crate::util::corpus();
    let scan = |args: &[&str], file: &str| {
        let out = std::process::Command::new(bin)
            .args(["scan", "-f", "jsonl"])
            .args(args)
            .arg(c.join(file))
            .output()
            .expect("run");
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
            .collect::<Vec<_>>()
    };
    // The same tree, unencrypted, in a cabinet of the corpus.
    let plain: std::collections::BTreeMap<String, String> = scan(&[], "cab/mszip.cab")
        .iter()
        .filter(|r| r["depth"] == 1)
        .map(|r| {
            (
                r["path"][1].as_str().unwrap_or_default().to_owned(),
                r["sha256"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(plain.len(), 4);
    let list_file = super::util::Scratch::path("passwords.txt");
    std::fs::write(&*list_file, "wrong\r\n\ninstallsift\n").expect("write");
    let list = list_file.to_string_lossy().into_owned();
    for file in ["7z/enc_data.7z", "7z/enc_header.7z"] {
        for args in [
            vec!["--password", "installsift"],
            vec!["--password", "nope", "--password", "installsift"],
            vec!["--password-file", list.as_str()],
        ] {
            let rows = scan(&args, file);
            let got: std::collections::BTreeMap<String, String> = rows
                .iter()
                .filter(|r| r["depth"] == 1)
                .map(|r| {
                    assert!(r["errors"].as_array().is_some_and(|e| e.is_empty()), "{r}");
                    assert_eq!(r["verified_by"][0], "7z-crc32", "{r}");
                    (
                        r["path"][1].as_str().unwrap_or_default().to_owned(),
                        r["sha256"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            assert_eq!(got, plain, "{file} {args:?}");
        }
        let rows = scan(&["--password", "wrong"], file);
        let errors = rows[0]["errors"].to_string()
            + &rows
                .get(1)
                .map(|r| r["errors"].to_string())
                .unwrap_or_default();
        assert!(
            errors.contains("none of the 1 passwords"),
            "{file}: {errors}"
        );
        assert!(
            rows.iter()
                .all(|r| r["depth"] == 0 || r["sha256"].is_null()),
            "{file}: no file read with a wrong password"
        );
    }
}

/// `installsift where` answers for a nested file's SHA-256 with the outer
/// input and the path inside it, from an index `scan --format jsonl` wrote.
#[test]
fn where_names_the_input_and_path_of_a_nested_file() {
    let dir = std::env::temp_dir().join(format!("installsift-where-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("shards")).expect("mkdir");
    let index = dir.join("shards").join("a.jsonl");
    let scan = installsift()
        .args(["scan", "--format", "jsonl", "-o"])
        .arg(&index)
        .arg(corpus().join("nested"))
        .arg(corpus().join("msi").join("simple.msi"))
        .output()
        .expect("run");
    assert_eq!(scan.status.code(), Some(0));
    let text = std::fs::read_to_string(&index).expect("index");
    let deep: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|v| v["depth"] == 3)
        .expect("a node three levels down");
    let sha = deep["sha256"].as_str().expect("hashed");
    let path: Vec<&str> = deep["path"]
        .as_array()
        .expect("path")
        .iter()
        .map(|s| s.as_str().expect("string"))
        .collect();
    // A file and a directory of shards give the same answer.
    for at in [index.clone(), dir.clone()] {
        let out = installsift()
            .args(["where", sha, "--index"])
            .arg(&at)
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = format!(
            "{}\tnot-installer\t{}\t{}\n",
            path[0],
            path[1..].join(" > "),
            deep["format"].as_str().expect("format")
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    }
    // The MSI's own hash: the input itself, with its family.
    let msi = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|v| v["depth"] == 0 && v["family"] == "msi")
        .expect("the msi's line");
    let out = installsift()
        .args(["where", msi["sha256"].as_str().expect("hashed"), "--index"])
        .arg(&index)
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\tmsi\t-\tmsi\n", msi["path"][0].as_str().expect("input"))
    );
    // Not found: 1; not a digest: 2.
    let absent = "0".repeat(64);
    let out = installsift()
        .args(["where", &absent, "--index"])
        .arg(&index)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let out = installsift()
        .args(["where", "xyz", "--index"])
        .arg(&index)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Colours: on a terminal unless `NO_COLOR` is set (no-color.org), never
/// when piped, `--color always|never` overriding. The terminal is a pty of
/// util-linux's `script`.
#[test]
fn colours_on_a_terminal_unless_no_color_and_never_when_piped() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let sample = super::util::corpus().join("malformed/corrupt_deflate.zip");
    let piped = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .arg("scan")
            .args(args)
            .arg(&sample)
            .env_remove("NO_COLOR")
            .output()
            .expect("run");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    assert!(!piped(&[]).contains('\x1b'), "auto, piped: no colour");
    assert!(!piped(&["--color", "never"]).contains('\x1b'));
    let always = piped(&["--color", "always"]);
    assert!(always.contains("\x1b[36mzip\x1b[0m"), "{always}");
    assert!(
        always.contains("\x1b[1;31m!\x1b[0m"),
        "errors marked red: {always}"
    );
    let on_tty = |no_color: Option<&str>| {
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec"])
            .arg(format!("{bin} scan -q {}", sample.display()))
            .arg("/dev/null");
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        let out = cmd
            .output()
            .expect("`script` is missing: apt-get install bsdutils");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        on_tty(None).contains("\x1b[36mzip"),
        "auto on a terminal: colour"
    );
    assert!(!on_tty(Some("1")).contains('\x1b'), "NO_COLOR=1: none");
    assert!(on_tty(Some("")).contains('\x1b'), "NO_COLOR empty: ignored");
}

/// `--progress always`: the bar on standard error from the first file, with
/// the count of the total (the census thread's), rate, ETA or `counting…`,
/// and the file last finished; the closing line; nothing on standard output
/// changes. `-q` and `--progress never` draw none.
#[test]
fn progress_bar_counts_files_of_the_total_with_rate_and_current_file() {
    let bin = env!("CARGO_BIN_EXE_installsift");
    let dir = super::util::corpus().join("zip");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(["scan", "-j", "1"])
            .args(args)
            .arg(&dir)
            .output()
            .expect("run")
    };
    let with = run(&["--progress", "always"]);
    let without = run(&["--progress", "never"]);
    assert_eq!(with.stdout, without.stdout);
    let err = String::from_utf8_lossy(&with.stderr);
    let lines: Vec<&str> = err.split(['\r', '\n']).filter(|l| !l.is_empty()).collect();
    let bar = lines.first().expect("a bar");
    assert!(bar.contains(" files  ") && bar.contains(" MB/s"), "{bar}");
    assert!(bar.contains("ETA ") || bar.contains("(counting…)"), "{bar}");
    assert!(bar.contains("zip/"), "the file last finished: {bar}");
    let files = std::fs::read_dir(&dir).expect("dir").count();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{files} files, ")) && l.contains("scanned in")),
        "closing line: {err}"
    );
    assert!(!String::from_utf8_lossy(&without.stderr).contains("MB/s"));
    let quiet = run(&["--progress", "always", "-q"]);
    assert!(
        quiet.stderr.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&quiet.stderr)
    );
}
