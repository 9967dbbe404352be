//! The JSON Schema of the JSONL/JSON contract (issue 21): generated from
//! the report types (`installsift schema`), committed as
//! `docs/schema/installsift.schema.json`, and checked against what the CLI
//! writes over the whole corpus with a real validator (the `jsonschema`
//! crate, draft 2020-12).

use crate::util::{corpus, root};
use installsift::{
    Check, EntryInfo, EntryKind, Error, Evidence, Family, Format, InstallerFacts, Limit, NodeInfo,
    Tool, ToolKind, Verdict,
};
use serde_json::{json, Value};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_installsift"))
}

/// What `installsift schema` prints.
fn printed_schema() -> String {
    let out = bin()
        .arg("schema")
        .output()
        .expect("run installsift schema");
    assert!(out.status.success(), "installsift schema failed");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn schema() -> Value {
    serde_json::from_str(&printed_schema()).expect("the schema is JSON")
}

/// A validator for the schema's root (one JSONL line), or for one of its
/// `$defs` (`ScanJson`, the `--format json` document).
fn validator(def: Option<&str>) -> jsonschema::Validator {
    let mut s = schema();
    if let Some(def) = def {
        let defs = s["$defs"].clone();
        s = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": defs,
            "$ref": format!("#/$defs/{def}"),
        });
    }
    jsonschema::draft202012::new(&s).expect("a valid draft 2020-12 schema")
}

/// Every way `v` fails `validator`, one line each (empty when it passes).
fn failures(validator: &jsonschema::Validator, v: &Value) -> Vec<String> {
    validator
        .iter_errors(v)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}

/// Every hash `--hashes` offers: the content hashes beside `sha256`, and
/// the PE facts (`authenticode`, `imphash`) in the metadata.
const ALL_HASHES: &str = "sha256,sha1,md5,authenticode,imphash";

/// `installsift scan` over the whole corpus with every hash, plus one input
/// that does not exist (its `input_error` record is part of the contract).
fn scan_corpus(format: &str) -> String {
    let missing = root().join("target/schema-test-no-such-input");
    let out = bin()
        .args(["scan", "-f", format, "--hashes", ALL_HASHES])
        .arg(corpus())
        .arg(&missing)
        .output()
        .expect("run installsift scan");
    // 1: the missing input could not be read; every other one was scanned.
    assert_eq!(out.status.code(), Some(1), "scan -f {format}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn schema_file_is_what_installsift_schema_prints() {
    let got = printed_schema();
    let path = root().join("docs/schema/installsift.schema.json");
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &got).expect("write schema");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        want == got,
        "docs/schema/installsift.schema.json is not what `installsift schema` prints \
         (UPDATE_EXPECT=1 cargo test -p installsift-cli --test it schema to rewrite; \
         README: JSON Schema says when to raise its contract version)"
    );
    let v: Value = serde_json::from_str(&got).expect("JSON");
    assert_eq!(
        v["x-installsift-contract"],
        installsift::schema::CONTRACT_VERSION
    );
}

#[test]
fn every_corpus_jsonl_line_validates() {
    let validator = validator(None);
    let node = validator_def("NodeInfo");
    let input_error = validator_def("InputError");
    let out = scan_corpus("jsonl");
    let (mut nodes, mut input_errors, mut bad) = (0, 0, Vec::new());
    for (i, line) in out.lines().enumerate() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        let f = failures(&validator, &v);
        if !f.is_empty() {
            bad.push(format!("line {}: {}: {}", i + 1, v["path"], f.join("; ")));
        }
        if node.is_valid(&v) {
            nodes += 1;
        }
        if input_error.is_valid(&v) {
            input_errors += 1;
        }
    }
    assert!(
        bad.is_empty(),
        "{} lines fail:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // Every line is exactly one of the two records, and both occur.
    assert_eq!(nodes + input_errors, out.lines().count());
    assert_eq!(input_errors, 1);
    assert!(nodes > 5000, "{nodes} nodes: the corpus looks empty");
    // With every hash on, every node whose content was read has all three.
    let hashed = out
        .lines()
        .filter(|l| l.contains("\"sha1\":") && l.contains("\"md5\":"))
        .count();
    assert!(hashed * 10 > nodes * 9, "{hashed} of {nodes} nodes hashed");
}

fn validator_def(def: &str) -> jsonschema::Validator {
    validator(Some(def))
}

#[test]
fn corpus_json_document_validates() {
    let validator = validator(Some("ScanJson"));
    let out = scan_corpus("json");
    let v: Value = serde_json::from_str(&out).expect("one JSON document");
    let f = failures(&validator, &v);
    assert!(f.is_empty(), "{} failures:\n{}", f.len(), f.join("\n"));
    let reports = v.as_array().map_or(0, Vec::len);
    assert!(reports > 400, "{reports} reports");
}

/// The golden reports (every sample, every hash, the library's renderer)
/// validate too: they are the contract's reference output.
#[test]
fn golden_jsonl_files_validate() {
    let validator = validator(None);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected");
    let (mut lines, mut bad) = (0, Vec::new());
    for e in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let e = e.expect("walk");
        if !e.file_type().is_file() || e.path().extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).expect("read golden");
        for (i, line) in text.lines().enumerate() {
            lines += 1;
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue; // not a scan report (other goldens are JSONL too)
            };
            if v.get("path").is_none() || v.get("verdict").is_none() {
                continue;
            }
            let f = failures(&validator, &v);
            if !f.is_empty() {
                bad.push(format!(
                    "{}:{}: {}",
                    e.path().display(),
                    i + 1,
                    f.join("; ")
                ));
            }
        }
    }
    assert!(lines > 5000, "{lines} golden lines");
    assert!(
        bad.is_empty(),
        "{} lines fail:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// A record with every field the types can write: every `Option` set,
/// every list non-empty. The struct literals name every field, so a field
/// added to `NodeInfo`, `InstallerFacts`, `Tool` or `EntryInfo` does not
/// compile here until it is given a value, and is then checked below.
fn maximal_node() -> NodeInfo {
    let tool = Tool {
        kind: ToolKind::Installer,
        name: "NSIS".into(),
        version: Some("3.08".into()),
        details: Some("lzma,solid".into()),
        evidence: "exehead".into(),
        offset: Some(0x40),
    };
    let installer = InstallerFacts {
        engine_version: Some("3.08".into()),
        silent_args: Some("/S".into()),
        runs: Some("setup.exe".into()),
        unpacks_to: Some("%TEMP%".into()),
        properties: [("Name".to_owned(), "App".to_owned())].into(),
    };
    let entry = EntryInfo {
        kind: EntryKind::File,
        offset: Some(512),
        compressed_size: Some(100),
        method: Some("lzma".into()),
        mtime: installsift::Timestamp::unix(1_707_128_285),
        encrypted: true,
        key: Some("KEY".into()),
        streamed: true,
        verified_by: vec![Check::ZipCrc32],
        errors: vec![Error::checksum("crc")],
    };
    let report = installsift::Scanner::new()
        .with_hashes(installsift::HashSelection::ALL)
        .scan_bytes(
            "a.zip",
            &std::fs::read(corpus().join("zip/deflate.zip")).expect("zip"),
        );
    NodeInfo {
        path: vec!["setup.exe".into(), "a.txt".into()],
        depth: 1,
        size: 5,
        sha256: report.root.info.sha256,
        sha1: report.root.info.sha1,
        md5: report.root.info.md5,
        verified_by: vec![Check::ZipCrc32, Check::Authenticode],
        format: Format::Nsis,
        verdict: Verdict::Installer,
        family: Some(Family::Nsis),
        kind: Some("engine-stub".into()),
        installer: Some(Box::new(installer)),
        tools: Some(Box::new(vec![tool])),
        evidence: vec![Evidence::strong("nsis-first-header", "found", Some(4))],
        errors: vec![
            Error::malformed("bad").at(7),
            Error::limit(Limit::MaxDepth, "deep"),
        ],
        entry: Some(entry),
        metadata: report.root.info.metadata.clone(),
    }
}

/// A field added to a report type cannot be missing from the schema: the
/// schema names exactly the fields a maximal record writes, at the node and
/// in each nested object, and the record validates.
#[test]
fn schema_names_exactly_the_fields_a_maximal_record_writes() {
    let s = schema();
    let record = serde_json::to_value(maximal_node()).expect("serialize");
    assert!(record["sha1"].is_string() && record["metadata"].is_object());
    let f = failures(&validator(None), &record);
    assert!(f.is_empty(), "{}", f.join("\n"));
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    for (def, value) in [
        ("NodeInfo", &record),
        ("InstallerFacts", &record["installer"]),
        ("Tool", &record["tools"][0]),
        ("EntryInfo", &record["entry"]),
    ] {
        let props = &s["$defs"][def]["properties"];
        assert_eq!(keys(props), keys(value), "{def}: schema vs record");
    }
}

/// The schema catches drift: each mutation of a real corpus record (an
/// installer with errors, entries and every hash) fails validation.
#[test]
fn mutated_records_fail_validation() {
    let validator = validator(None);
    let out = bin()
        .args(["scan", "-f", "jsonl", "--hashes", ALL_HASHES])
        .arg(corpus().join("nsis/zlib.exe"))
        .output()
        .expect("scan");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let installer = lines
        .iter()
        .find(|v| v["verdict"] == "installer")
        .expect("an installer node")
        .clone();
    let child = lines
        .iter()
        .find(|v| v["entry"].is_object() && v["verdict"] != "installer")
        .expect("an entry")
        .clone();
    assert!(failures(&validator, &installer).is_empty());
    assert!(failures(&validator, &child).is_empty());
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: &[Mutation] = &[
        ("unknown field", |v| v["colour"] = json!("red")),
        ("sha256 upper case", |v| {
            let h = v["sha256"].as_str().expect("hex").to_uppercase();
            v["sha256"] = json!(h);
        }),
        ("sha256 one digit short", |v| {
            let h = v["sha256"].as_str().expect("hex")[1..].to_owned();
            v["sha256"] = json!(h);
        }),
        ("sha1 with a non-hex digit", |v| {
            let h = format!("g{}", &v["sha1"].as_str().expect("hex")[1..]);
            v["sha1"] = json!(h);
        }),
        ("md5 of sha1's length", |v| v["md5"] = v["sha1"].clone()),
        ("sha1 null (absent when not asked)", |v| {
            v["sha1"] = json!(null)
        }),
        ("unknown format", |v| v["format"] = json!("exe")),
        ("unknown verdict", |v| v["verdict"] = json!("maybe")),
        ("unknown family", |v| v["family"] = json!("nullsoft")),
        ("installer without family", |v| v["family"] = json!(null)),
        ("not-installer with a family", |v| {
            v["verdict"] = json!("not-installer")
        }),
        ("missing required field", |v| {
            v.as_object_mut().expect("object").remove("verified_by");
        }),
        ("size negative", |v| v["size"] = json!(-1)),
        ("size as a string", |v| v["size"] = json!("5")),
        ("unknown check", |v| v["verified_by"] = json!(["crc16"])),
        ("unknown error kind", |v| {
            v["errors"] = json!(["bad: x"]);
            v["error_details"] = json!([{"kind": "bad", "message": "x"}]);
        }),
        ("limit on a malformed error", |v| {
            v["errors"] = json!(["malformed: x"]);
            v["error_details"] =
                json!([{"kind": "malformed", "limit": "max_depth", "message": "x"}]);
        }),
        ("unknown limit", |v| {
            v["errors"] = json!(["limit-exceeded: x"]);
            v["error_details"] =
                json!([{"kind": "limit-exceeded", "limit": "max_speed", "message": "x"}]);
        }),
        ("unknown tool kind", |v| {
            v["tools"] =
                json!([{"kind": "builder", "name": "x", "version": null, "evidence": "e"}]);
        }),
        ("unknown metadata field", |v| {
            v["metadata"]["nsis_colour"] = json!(1);
        }),
        ("evidence strength", |v| {
            v["evidence"][0]["strength"] = json!("medium")
        }),
    ];
    let entry_mutations: &[Mutation] = &[
        ("unknown entry kind", |v| {
            v["entry"]["kind"] = json!("slice")
        }),
        ("entry field unknown", |v| v["entry"]["crc"] = json!(1)),
        ("encrypted null", |v| v["entry"]["encrypted"] = json!(null)),
    ];
    let mut passed = Vec::new();
    for (record, list) in [(&installer, mutations), (&child, entry_mutations)] {
        for (name, mutate) in list {
            let mut v = record.clone();
            mutate(&mut v);
            assert_ne!(&v, record, "{name}: the mutation changed nothing");
            if validator.is_valid(&v) {
                passed.push(*name);
            }
        }
    }
    assert!(passed.is_empty(), "mutations that validate: {passed:?}");
    // The input_error record is closed too.
    let mut e =
        json!({"path": ["x"], "depth": 0, "input_error": {"kind": "io", "message": "gone"}});
    assert!(validator.is_valid(&e));
    e["input_error"]["kind"] = json!("vanished");
    assert!(!validator.is_valid(&e));
    e["input_error"]["kind"] = json!("io");
    e["depth"] = json!(1);
    assert!(!validator.is_valid(&e));
}

/// The other JSONL the CLI writes: `extract`'s manifest (a node and where
/// it went) and `diff --format jsonl` (paths compared, then the summary).
#[test]
fn extract_manifest_and_diff_lines_validate() {
    let extract = validator(Some("ExtractManifest"));
    let dir = root().join("target/schema-test-extract");
    let _ = std::fs::remove_dir_all(&dir);
    let out = bin()
        .args(["extract", "--hashes", "sha256,sha1,md5", "-o"])
        .arg(&dir)
        .arg(corpus().join("nsis/signed_zlib.exe"))
        .arg(corpus().join("msi/simple.msi"))
        .output()
        .expect("run installsift extract");
    assert!(out.status.success(), "extract");
    let lines = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(lines.lines().count() > 5, "{lines}");
    for line in lines.lines() {
        let v: Value = serde_json::from_str(line).expect("JSON");
        let f = failures(&extract, &v);
        assert!(f.is_empty(), "{line}\n{}", f.join("\n"));
    }
    // A manifest line is a node plus `extracted_to`: no other field.
    let mut v: Value = serde_json::from_str(lines.lines().next().expect("a line")).expect("JSON");
    v["extracted_path"] = json!("x");
    assert!(!extract.is_valid(&v));
    let _ = std::fs::remove_dir_all(&dir);

    let diff = validator(Some("DiffLine"));
    let out = bin()
        .args(["diff", "--format", "jsonl", "--all"])
        .arg(corpus().join("nsis/zlib.exe"))
        .arg(corpus().join("nsis/signed_zlib.exe"))
        .output()
        .expect("run installsift diff");
    assert_eq!(out.status.code(), Some(1), "the two differ");
    let lines = String::from_utf8(out.stdout).expect("UTF-8");
    let mut summaries = 0;
    for line in lines.lines() {
        let v: Value = serde_json::from_str(line).expect("JSON");
        let f = failures(&diff, &v);
        assert!(f.is_empty(), "{line}\n{}", f.join("\n"));
        summaries += usize::from(v.get("summary").is_some());
    }
    assert_eq!(summaries, 1, "{lines}");
    let mut v: Value = serde_json::from_str(lines.lines().next().expect("a line")).expect("JSON");
    v["change"] = json!("moved");
    assert!(!diff.is_valid(&v));
}
