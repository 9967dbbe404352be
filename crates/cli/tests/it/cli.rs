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
