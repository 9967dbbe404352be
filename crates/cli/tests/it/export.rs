//! `installsift_export`: golden files per format (`crates/cli/tests/expected/export/`,
//! rewritten by `UPDATE_EXPECT=1 cargo test`), structural checks per format,
//! Defender's 500-row split, and the CLI.

use crate::util::{corpus, Shared};
use installsift::{Format, NodeInfo, Verdict};
use installsift_export::{
    Action, Depth, ExportFormat, ExportOptions, Exporter, HashKind, Timestamp,
};
use std::cell::RefCell;
use std::io::{self, Write};
use std::process::Command;
use std::rc::Rc;

/// The samples every golden export is made of: signed and unsigned PEs (one
/// with an odd size, so padded and unpadded Authenticode differ), a DLL, an
/// MSI with nested files, a renamed copy (deduplicated), a zip, and an
/// encrypted 7z whose entries have no hash (warnings).
const SAMPLES: &[&str] = &[
    "pe/signed_x64.exe",
    "pe/with_zip.exe",
    "pe/lib_x64.dll",
    "msi/simple.msi",
    "msi/renamed.bin",
    "zip/deflate.zip",
    "7z/enc_data.7z",
];

/// Export the samples; returns the text and the warnings as strings.
fn export(format: ExportFormat, opts: ExportOptions) -> (String, Vec<String>) {
    crate::util::export_samples(format, opts, SAMPLES)
}

fn golden(name: &str, got: &str) -> Option<String> {
    crate::util::golden_in("export", name, got)
}

fn options() -> ExportOptions {
    ExportOptions {
        depth: Depth::All,
        timestamp: Timestamp::parse("2024-06-01T00:00:00Z").unwrap(),
        ..ExportOptions::default()
    }
}

#[test]
fn every_format_matches_its_golden_file() {
    let mut failures = Vec::new();
    let mut cases: Vec<(String, ExportFormat, ExportOptions)> = ExportFormat::ALL
        .iter()
        .map(|&f| (format!("{}.{}", f.name(), f.extension()), f, options()))
        .collect();
    // Variants: several hash kinds, allow/audit actions, expiration.
    let with = |f: ExportFormat, name: &str, edit: &dyn Fn(&mut ExportOptions)| {
        let mut o = options();
        edit(&mut o);
        (format!("{}-{name}.{}", f.name(), f.extension()), f, o)
    };
    cases.push(with(ExportFormat::Yara, "imphash-md5", &|o| {
        o.hashes = vec![HashKind::Sha256, HashKind::Md5, HashKind::Imphash]
    }));
    cases.push(with(ExportFormat::Stix2, "all-hashes-expiring", &|o| {
        o.hashes = vec![HashKind::Sha256, HashKind::Sha1, HashKind::Md5];
        o.expiration = Some(Timestamp::parse("2030-01-01").unwrap());
    }));
    cases.push(with(ExportFormat::CortexXdrCsv, "md5-expiring", &|o| {
        o.hashes = vec![HashKind::Sha256, HashKind::Md5];
        o.expiration = Some(Timestamp::parse("2030-01-01").unwrap());
        o.comment = "{family}, {name}: \"quoted\"".into();
    }));
    cases.push(with(ExportFormat::ApplockerXml, "allow", &|o| {
        o.action = Action::Allow
    }));
    cases.push(with(ExportFormat::WdacXml, "audit", &|o| {
        o.action = Action::Audit
    }));
    cases.push(with(ExportFormat::DefenderCsv, "sha1-allow", &|o| {
        o.hashes = vec![HashKind::Sha1];
        o.action = Action::Allow;
    }));
    for (name, format, opts) in cases {
        let (text, warnings) = export(format, opts);
        let mut body = text;
        if let Some(f) = golden(&name, &body) {
            failures.push(f);
        }
        body = warnings.join("\n") + "\n";
        if let Some(f) = golden(&format!("{name}.warnings"), &body) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_upper_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
}

/// Split a CSV line, honouring quotes.
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

#[test]
fn csv_formats_have_exact_headers_and_valid_rows() {
    let (text, _) = export(ExportFormat::CortexXdrCsv, options());
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("indicator,type,severity,expiration_date,comment,reputation,reliability,class,vendor.name,vendor.reputation,vendor.reliability")
    );
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(r.len(), 11, "{r:?}");
        assert!(is_lower_hex(&r[0], 64), "{r:?}");
        assert_eq!(r[1], "HASH");
        assert!(["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"].contains(&r[2].as_str()));
        assert!(r[3] == "Never" || r[3].parse::<u64>().is_ok());
        assert!(["GOOD", "BAD", "SUSPICIOUS", "UNKNOWN"].contains(&r[5].as_str()));
        assert!(("A".."G").contains(&r[6].as_str()) && r[6].len() == 1);
    }

    let (text, _) = export(ExportFormat::DefenderCsv, options());
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("IndicatorType,IndicatorValue,ExpirationTime,Action,Severity,Title,Description,RecommendedActions,RbacGroups,Category,MitreTechniques,GenerateAlert")
    );
    for r in lines.map(csv_fields) {
        assert_eq!(r.len(), 12, "{r:?}");
        assert!(r[0] == "FileSha256" && is_lower_hex(&r[1], 64), "{r:?}");
        assert!(["Allowed", "Audit", "Warn", "Block", "BlockAndRemediate"].contains(&r[3].as_str()));
        assert!(["Informational", "Low", "Medium", "High"].contains(&r[4].as_str()));
        assert!(
            !r[5].is_empty() && !r[6].is_empty(),
            "Title and Description are required"
        );
        assert!(r[11] == "True" || r[11] == "False");
    }
}

#[test]
fn sums_list_each_content_once_in_scan_order() {
    let (text, _) = export(
        ExportFormat::Sha256sum,
        ExportOptions {
            depth: Depth::Top,
            ..options()
        },
    );
    let names: Vec<&str> = text.lines().map(|l| &l[66..]).collect();
    // renamed.bin has simple.msi's bytes: merged; the encrypted 7z is listed.
    assert_eq!(
        names,
        [
            "pe/signed_x64.exe",
            "pe/with_zip.exe",
            "pe/lib_x64.dll",
            "msi/simple.msi",
            "zip/deflate.zip",
            "7z/enc_data.7z"
        ]
    );
    assert!(text
        .lines()
        .all(|l| is_lower_hex(&l[..64], 64) && &l[64..66] == "  "));
}

#[test]
fn json_formats_parse_and_carry_their_required_fields() {
    let (text, _) = export(ExportFormat::CortexXdrJson, options());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["validate"], true);
    for r in v["request_data"].as_array().unwrap() {
        assert!(is_lower_hex(r["indicator"].as_str().unwrap(), 64));
        assert_eq!(r["type"], "HASH");
        assert_eq!(r["vendors"][0]["vendor_name"], "installsift");
    }

    let (text, warnings) = export(ExportFormat::CortexXdrBlocklist, options());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let list = v["request_data"]["hash_list"].as_array().unwrap();
    // PE files only: signed_x64, with_zip, lib_x64, and the hello.exe inside
    // the MSI (the same bytes as the zip's bin/hello.exe).
    assert_eq!(list.len(), 4, "{list:?}");
    assert!(warnings
        .iter()
        .any(|w| w.contains("msi/simple.msi: skipped: msi is not a PE")));

    let (text, _) = export(ExportFormat::CrowdstrikeJson, options());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for i in v["indicators"].as_array().unwrap() {
        assert_eq!(i["type"], "sha256");
        assert!(is_lower_hex(i["value"].as_str().unwrap(), 64));
        assert_eq!(i["action"], "prevent");
        assert_eq!(i["platforms"], serde_json::json!(["windows"]));
        assert_eq!(i["applied_globally"], true);
        // The IOC API keeps the file name under `metadata`.
        assert!(i.get("filename").is_none(), "{i}");
        assert!(!i["metadata"]["filename"].as_str().unwrap().is_empty());
    }

    let (text, _) = export(ExportFormat::Stix2, options());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["type"], "bundle");
    assert!(v["id"].as_str().unwrap().starts_with("bundle--"));
    for o in v["objects"].as_array().unwrap() {
        for key in [
            "type",
            "spec_version",
            "id",
            "created",
            "modified",
            "pattern",
            "pattern_type",
            "valid_from",
        ] {
            assert!(o.get(key).is_some(), "missing {key}");
        }
        let p = o["pattern"].as_str().unwrap();
        let h = p
            .strip_prefix("[file:hashes.'SHA-256' = '")
            .unwrap()
            .strip_suffix("']")
            .unwrap();
        assert!(is_lower_hex(h, 64));
        // UUIDv5
        assert_eq!(&o["id"].as_str().unwrap()[11 + 14..11 + 15], "5");
    }

    let (text, _) = export(ExportFormat::MispJson, options());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let objects = v["Event"]["Object"].as_array().unwrap();
    let signed = &objects[0]["Attribute"];
    let rel = |r: &str| {
        signed
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["object_relation"] == r)
            .cloned()
    };
    assert_eq!(
        rel("authentihash").unwrap()["value"],
        "e2851170fb84acdf5a45388ed93728386de7a437c7a8e02cc3724031723ed61e"
    );
    assert_eq!(
        rel("imphash").unwrap()["value"],
        "8a98287583280596621b430fd66919dd"
    );
    assert_eq!(rel("sha256").unwrap()["to_ids"], true);
    assert_eq!(rel("filename").unwrap()["to_ids"], false);
}

#[test]
fn policy_xml_uses_authenticode_hashes_in_the_right_case() {
    let (text, warnings) = export(ExportFormat::ApplockerXml, options());
    let datas: Vec<&str> = text.split("Data=\"0x").skip(1).map(|s| &s[..64]).collect();
    assert!(!datas.is_empty());
    assert!(datas.iter().all(|d| is_upper_hex(d, 64)));
    // signed_x64's Authenticode SHA-256 (osslsigncode), not its file SHA-256.
    assert!(datas.contains(&"E2851170FB84ACDF5A45388ED93728386DE7A437C7A8E02CC3724031723ED61E"));
    // with_zip.exe is 15409 bytes: the padded (Windows) value is written.
    assert!(datas.contains(&"56FB820C4D206621225741959CD3BF330E584B388E7C7D9F768BA2D35CFF5C2E"));
    // simple.msi's MSI Authenticode SHA-256 (osslsigncode's "Calculated
    // DigitalSignature" for a signed copy), in the Msi collection.
    assert!(datas.contains(&"30A0003E4057CC995F656227D0E7844495CA3BEF3E0B9EBACD4D3EC056300927"));
    assert!(
        text.contains("<RuleCollection Type=\"Exe\"")
            && text.contains("<RuleCollection Type=\"Dll\"")
            && text.contains("<RuleCollection Type=\"Msi\"")
    );
    assert!(!warnings.iter().any(|w| w.starts_with("msi/simple.msi:")));

    let (text, _) = export(ExportFormat::WdacXml, options());
    let hashes: Vec<&str> = text
        .split(" Hash=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert!(hashes
        .iter()
        .all(|h| is_upper_hex(h, 40) || is_upper_hex(h, 64)));
    assert!(hashes.contains(&"0FAF0508FAC1C1828E0823884E4A8034E8AE57FE"));
    // simple.msi's MSI Authenticode SHA-1 and SHA-256.
    assert!(hashes.contains(&"7896A31FD06F4764146ACC44F20E83B23B76E7EB"));
    assert!(hashes.contains(&"30A0003E4057CC995F656227D0E7844495CA3BEF3E0B9EBACD4D3EC056300927"));
    for id in text
        .split("<Deny ID=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
    {
        assert!(
            text.contains(&format!("<FileRuleRef RuleID=\"{id}\" />")),
            "{id} not referenced"
        );
    }
    let scenario12 = &text[text.find("Value=\"12\"").unwrap()..];
    assert!(scenario12.contains("FileRuleRef"));
}

#[test]
fn yara_and_openioc_write_lowercase_hashes() {
    let (text, _) = export(
        ExportFormat::Yara,
        ExportOptions {
            hashes: vec![HashKind::Sha256, HashKind::Imphash],
            ..options()
        },
    );
    assert!(text.starts_with(
        "// installsift export 2024-06-01T00:00:00Z\nimport \"hash\"\nimport \"pe\"\n"
    ));
    for lit in text
        .split("== \"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
    {
        assert!(is_lower_hex(lit, 64) || is_lower_hex(lit, 32), "{lit}");
    }
    assert_eq!(
        text.matches("pe.imphash() == \"8a98287583280596621b430fd66919dd\"")
            .count(),
        1
    );

    let (text, _) = export(ExportFormat::Openioc, options());
    assert!(text.contains("xmlns=\"http://openioc.org/schemas/OpenIOC_1.1\""));
    for c in text
        .split("<Content type=\"string\">")
        .skip(1)
        .map(|s| &s[..s.find('<').unwrap()])
    {
        assert!(is_lower_hex(c, 64));
    }
}

#[test]
fn filters_select_by_verdict_family_depth_and_size() {
    let count = |opts: ExportOptions| export(ExportFormat::Sha256sum, opts).0.lines().count();
    assert_eq!(
        count(ExportOptions {
            depth: Depth::Top,
            ..options()
        }),
        6
    );
    let installers = ExportOptions {
        only: installsift_export::Only::Installers,
        ..options()
    };
    // with_zip.exe (zip-sfx) and simple.msi.
    assert_eq!(count(installers), 2);
    let msi = ExportOptions {
        families: vec!["msi".into()],
        ..options()
    };
    assert_eq!(count(msi), 1);
    let big = ExportOptions {
        min_size: 15_000,
        ..options()
    };
    assert_eq!(count(big), 3);
}

fn fake_node(i: usize) -> NodeInfo {
    NodeInfo {
        path: vec![format!("f{i}.exe")],
        depth: 0,
        size: 1,
        sha256: Some(format!("{i:064x}").parse().unwrap()),
        sha1: Some(format!("{i:040x}").parse().unwrap()),
        md5: None,
        verified_by: Vec::new(),
        format: Format::Unknown,
        verdict: Verdict::Unknown,
        family: None,
        kind: None,
        installer: None,
        tools: None,
        evidence: Vec::new(),
        errors: Vec::new(),
        entry: None,
        metadata: None,
    }
}

#[test]
fn defender_csv_splits_at_500_rows_per_file() {
    let parts: Rc<RefCell<Vec<Shared>>> = Rc::default();
    let first = Shared::default();
    parts.borrow_mut().push(first.clone());
    let p2 = parts.clone();
    let mut ex = Exporter::with_parts(
        ExportFormat::DefenderCsv,
        options(),
        Box::new(first),
        Box::new(move |n| {
            assert_eq!(n as usize, p2.borrow().len() + 1);
            let s = Shared::default();
            p2.borrow_mut().push(s.clone());
            Ok(Box::new(s) as Box<dyn Write>)
        }),
    )
    .unwrap();
    for i in 0..1001 {
        ex.add_node(&fake_node(i)).unwrap();
    }
    let (stats, _) = ex.finish().unwrap();
    assert_eq!((stats.written, stats.parts), (1001, 3));
    let texts: Vec<String> = parts
        .borrow()
        .iter()
        .map(|s| String::from_utf8(s.0.borrow().clone()).unwrap())
        .collect();
    let rows: Vec<usize> = texts.iter().map(|t| t.lines().count() - 1).collect();
    assert_eq!(rows, [500, 500, 1]);
    assert!(texts
        .iter()
        .all(|t| t.starts_with("IndicatorType,IndicatorValue,")));

    // On one stream: all rows, and a warning.
    let mut ex = Exporter::new(ExportFormat::DefenderCsv, options(), Box::new(io::sink())).unwrap();
    for i in 0..501 {
        ex.add_node(&fake_node(i)).unwrap();
    }
    let (_, warnings) = ex.finish().unwrap();
    assert!(warnings.iter().any(|w| w.message.contains("at most 500")));
}

#[test]
fn options_a_format_cannot_carry_are_refused() {
    for (f, k) in [
        (ExportFormat::DefenderCsv, HashKind::Md5),
        (ExportFormat::CortexXdrCsv, HashKind::Sha1),
        (ExportFormat::CrowdstrikeJson, HashKind::Sha1),
        (ExportFormat::CortexXdrBlocklist, HashKind::Md5),
    ] {
        let o = ExportOptions {
            hashes: vec![k],
            ..options()
        };
        assert!(o.validate(f).is_err(), "{f} {k:?}");
        assert!(Exporter::new(f, o, Box::new(io::sink())).is_err());
    }
    let past = ExportOptions {
        expiration: Some(Timestamp::from_unix(5)),
        ..options()
    };
    assert!(past.validate(ExportFormat::Stix2).is_err());
}

fn installsift() -> Command {
    Command::new(env!("CARGO_BIN_EXE_installsift"))
}

#[test]
fn cli_export_writes_checkable_sums_and_reports_warnings() {
    let out = installsift()
        .current_dir(corpus())
        .args(["export", "--to", "sha256sum", "pe", "msi"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(list.lines().any(|l| l.ends_with("  pe/signed_x64.exe")));
    // `sha256sum -c` where coreutils is present (everywhere but odd hosts).
    let tmp =
        std::env::temp_dir().join(format!("installsift-export-{}.sha256", std::process::id()));
    std::fs::write(&tmp, &list).unwrap();
    if let Ok(check) = Command::new("sha256sum")
        .current_dir(corpus())
        .arg("-c")
        .arg("--quiet")
        .arg(&tmp)
        .output()
    {
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    let _ = std::fs::remove_file(&tmp);

    let out = installsift()
        .current_dir(corpus())
        .args(["export", "--to", "cortex-xdr-blocklist", "msi/simple.msi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: msi/simple.msi: skipped: msi is not a PE"),
        "{err}"
    );
}

#[test]
fn cli_export_usage_errors_exit_2_and_missing_input_exits_1() {
    let code = |args: &[&str]| installsift().args(args).output().unwrap().status.code();
    assert_eq!(code(&["export", "--to", "csv", "x"]), Some(2));
    assert_eq!(
        code(&["export", "--to", "defender-csv", "--hash", "md5", "x"]),
        Some(2)
    );
    assert_eq!(
        code(&["export", "--to", "stix2", "--expiration", "soon", "x"]),
        Some(2)
    );
    assert_eq!(
        code(&["export", "--to", "sha256sum", "/nonexistent/installsift"]),
        Some(1)
    );
}

#[test]
fn cli_defender_output_file_is_split_with_numbered_names() {
    let dir = std::env::temp_dir().join(format!("installsift-defender-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("out.csv");
    let out = installsift()
        .args(["export", "--to", "defender-csv", "-o"])
        .arg(&file)
        .arg(corpus().join("msi/simple.msi"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(!dir.join("out.csv.2").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
