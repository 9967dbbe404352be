//! Issue 19 for the hash exports: STIX ids per action, meaningless
//! indicators left out, names that are not UTF-8 through `sha256sum -c`,
//! Defender's split files, and no local directories in shared comments.

use crate::util::corpus;
use installsift::Scanner;
use installsift_export::{Action, Depth, ExportFormat, ExportOptions, HashKind, Timestamp};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn options() -> ExportOptions {
    ExportOptions {
        depth: Depth::All,
        timestamp: Timestamp::parse("2024-06-01T00:00:00Z").unwrap(),
        ..ExportOptions::default()
    }
}

/// Export `(name, bytes)` inputs; the text and the warnings.
fn export_bytes(
    format: ExportFormat,
    opts: ExportOptions,
    inputs: &[(&str, Vec<u8>)],
) -> (String, Vec<String>) {
    crate::util::export_inputs(format, opts, inputs)
}

fn sample(rel: &str) -> (&str, Vec<u8>) {
    (rel, std::fs::read(corpus().join(rel)).expect("sample"))
}

fn stix_ids(text: &str) -> (String, HashSet<String>) {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let ids = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    (v["id"].as_str().unwrap().to_owned(), ids)
}

#[test]
fn stix_exports_with_different_actions_share_no_ids() {
    let inputs = [sample("pe/signed_x64.exe"), sample("msi/simple.msi")];
    let run = |action| {
        let opts = ExportOptions {
            action,
            ..options()
        };
        export_bytes(ExportFormat::Stix2, opts, &inputs).0
    };
    let block = run(Action::Block);
    // Reproducible: the same export gives the same bytes.
    assert_eq!(block, run(Action::Block));
    let (block_bundle, block_ids) = stix_ids(&block);
    assert!(block_ids.len() > 2);
    // Audit writes the same indicator_types as block: the action alone
    // must still tell the ids apart.
    for other in [Action::Allow, Action::Audit, Action::Warn] {
        let (bundle, ids) = stix_ids(&run(other));
        assert_ne!(bundle, block_bundle, "{other:?}");
        assert!(
            ids.is_disjoint(&block_ids),
            "{other:?} shares ids with block"
        );
        assert_eq!(ids.len(), block_ids.len());
    }
}

#[test]
fn misp_exports_with_different_actions_share_no_uuids() {
    let inputs = [sample("pe/signed_x64.exe"), sample("msi/simple.msi")];
    let uuids = |action| {
        let opts = ExportOptions {
            action,
            ..options()
        };
        let text = export_bytes(ExportFormat::MispJson, opts, &inputs).0;
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut set: HashSet<String> = v["Event"]["Object"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["uuid"].as_str().unwrap().to_owned())
            .collect();
        set.insert(v["Event"]["uuid"].as_str().unwrap().to_owned());
        set
    };
    let block = uuids(Action::Block);
    assert_eq!(block, uuids(Action::Block));
    assert!(block.len() > 2);
    for other in [Action::Allow, Action::Audit] {
        assert!(uuids(other).is_disjoint(&block), "{other:?}");
    }
}

/// The hashes of no bytes, in every spelling a format writes them.
const EMPTY: [&str; 3] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "d41d8cd98f00b204e9800998ecf8427e",
];

#[test]
fn empty_files_are_never_exported_in_any_format() {
    // Two empty inputs and one real file; the zip's empty directory
    // entries (if any) and empty members are nested empties.
    let inputs = [
        ("empty.txt", Vec::new()),
        ("dir/also-empty.dll", Vec::new()),
        sample("pe/hello_x64.exe"),
        sample("malformed/empty.bin"),
    ];
    for &format in ExportFormat::ALL {
        let mut opts = options();
        opts.hashes = format.supported_hashes().to_vec();
        let (text, warnings) = export_bytes(format, opts, &inputs);
        for h in EMPTY {
            for spelling in [h.to_owned(), h.to_ascii_uppercase()] {
                assert!(
                    !text.contains(&spelling),
                    "{format}: {spelling} written\n{text}"
                );
            }
        }
        let summary = warnings
            .iter()
            .find(|w| w.starts_with("skipped 3 empty file(s)"))
            .unwrap_or_else(|| panic!("{format}: no summary in {warnings:?}"));
        assert!(
            summary.ends_with(": empty.txt, dir/also-empty.dll, malformed/empty.bin"),
            "{summary}"
        );
    }
}

#[test]
fn nested_entries_with_unverified_bytes_are_skipped_unless_asked() {
    // readme.txt's CRC-32 does not match its decoded bytes; the MSI's
    // readme.txt does not match its MsiFileHash row.
    for (rel, entry) in [
        ("malformed/corrupt_deflate.zip", "readme.txt"),
        (
            "malformed/msifilehash_mismatch.msi",
            "Program Files/SiftSimple/readme.txt",
        ),
    ] {
        let input = [sample(rel)];
        let report = Scanner::new().scan_bytes(rel, &input[0].1);
        let node = report.root.find(entry).expect("entry");
        assert!(
            node.info.errors.iter().any(|e| e.kind() == "checksum"),
            "{rel}: the sample no longer has a checksum mismatch"
        );
        let bad = node.info.sha256.unwrap().to_string();
        let (text, warnings) = export_bytes(ExportFormat::Sha256sum, options(), &input);
        assert!(!text.contains(&bad), "{rel}: unverified hash written");
        // The top-level file itself is still listed.
        assert!(text.contains(&format!("  {rel}\n")), "{text}");
        let w = warnings
            .iter()
            .find(|w| w.starts_with("skipped 1 nested entry whose bytes carry an error"))
            .unwrap_or_else(|| panic!("{rel}: {warnings:?}"));
        assert!(w.ends_with(&format!(": {rel} > {entry}")), "{w}");
        assert!(w.contains("--include-unverified"), "{w}");

        let opts = ExportOptions {
            include_unverified: true,
            ..options()
        };
        let (text, warnings) = export_bytes(ExportFormat::Sha256sum, opts, &input);
        assert!(text.contains(&bad), "{rel}: --include-unverified lost it");
        assert!(
            !warnings
                .iter()
                .any(|w| w.contains("whose bytes carry an error")),
            "{warnings:?}"
        );
    }
}

#[test]
fn imphash_of_no_imports_is_left_out() {
    // A resource-only .NET satellite DLL in a real MSI: no import
    // directory, so no imphash (pefile's "").
    let rel = "msi_real/IviNetSharedComponents32_Fx20_1.3.0.msi";
    let entry = "Framework32/v2.0.50727/IviFoundationSharedComponents 1.3.0/IviFoundationSharedComponentsVersion.dll";
    let input = [sample(rel)];
    let report = Scanner::new()
        .with_hashes(installsift::HashSelection::EVERYTHING)
        .scan_bytes(input[0].0, &input[0].1);
    let dll = report.root.find(entry).expect("dll");
    let Some(installsift::formats::Metadata::Pe(pe)) = &dll.info.metadata else {
        panic!("not a PE");
    };
    assert_eq!(pe.imphash, None);

    let yara = ExportOptions {
        hashes: vec![HashKind::Sha256, HashKind::Imphash],
        ..options()
    };
    for (format, opts) in [
        (ExportFormat::MispJson, options()),
        (ExportFormat::Yara, yara),
    ] {
        let (text, warnings) = export_bytes(format, opts, &input);
        assert!(!text.contains(EMPTY[2]), "{format}: empty imphash written");
        // The file itself is still exported by its SHA-256.
        assert!(
            text.contains(&dll.info.sha256.unwrap().to_string()),
            "{format}"
        );
        let w = warnings
            .iter()
            .find(|w| w.starts_with("left out the imphash of 1 PE file(s)"))
            .unwrap_or_else(|| panic!("{format}: {warnings:?}"));
        assert!(w.ends_with(&format!(": {rel} > {entry}")), "{w}");
    }
    // A format that carries no imphash says nothing about it.
    let (_, warnings) = export_bytes(ExportFormat::Sha256sum, options(), &input);
    assert!(
        !warnings.iter().any(|w| w.contains("imphash")),
        "{warnings:?}"
    );
}

#[test]
fn imphash_reads_imports_of_a_pe_with_an_unaligned_section() {
    // InstallShield's clam.exe (544 bytes): its only section says
    // PointerToRawData 0x1, which the loader and pefile round down to 0,
    // so the import table lies in the first 0x200 bytes. pefile 2023.2.7:
    // 98c88d882f01a3f6ac1e5f7dfd761624 (scripts/results/imphash.txt).
    let (name, data) = sample("installshield/clam_IScab_ext.exe");
    let report = Scanner::new()
        .with_hashes(installsift::HashSelection::EVERYTHING)
        .scan_bytes(name, &data);
    let clam = report.root.find("Disk1/clam.exe").expect("clam.exe");
    let Some(installsift::formats::Metadata::Pe(pe)) = &clam.info.metadata else {
        panic!("clam.exe is not a PE");
    };
    assert_eq!(
        pe.imphash.map(|h| h.to_string()).as_deref(),
        Some("98c88d882f01a3f6ac1e5f7dfd761624")
    );
}

fn installsift() -> Command {
    Command::new(env!("CARGO_BIN_EXE_installsift"))
}

/// A fresh temporary directory for one test.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("installsift-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_round_trip_through_sha256sum_c() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = temp_dir("nonutf8");
    // Invalid UTF-8 (0xff), a newline and a backslash in one name, plus a
    // plain one.
    let odd = OsStr::from_bytes(b"set\xffup\nv2\\x.exe");
    std::fs::write(dir.join(odd), b"not an installer, but bytes").unwrap();
    std::fs::write(dir.join("plain.txt"), b"plain").unwrap();
    let out = installsift()
        .current_dir(&dir)
        .args(["export", "--to", "sha256sum", "."])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = out.stdout;
    // Raw bytes, escaped as coreutils does.
    let want: &[u8] = b"  ./set\xffup\\nv2\\\\x.exe\n";
    assert!(
        list.windows(want.len()).any(|w| w == want),
        "{}",
        String::from_utf8_lossy(&list)
    );
    std::fs::write(dir.join("list.sha256"), &list).unwrap();
    let check = Command::new("sha256sum")
        .current_dir(&dir)
        .args(["-c", "list.sha256"])
        .output()
        .expect("sha256sum not found: apt-get install coreutils");
    let said = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(
        check.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(said.matches(": OK").count(), 2, "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn defender_parts_keep_the_csv_extension() {
    let dir = temp_dir("defender-parts");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for i in 0..501 {
        std::fs::write(inputs.join(format!("f{i:03}.bin")), format!("content {i}")).unwrap();
    }
    let out = installsift()
        .args(["export", "--to", "defender-csv", "-o"])
        .arg(dir.join("block.csv"))
        .arg(&inputs)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .lines()
            .count()
            - 1
    };
    assert_eq!((rows("block.csv"), rows("block-2.csv")), (500, 1));
    assert!(!dir.join("block.csv.2").exists());
    assert!(!dir.join("block-3.csv").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shared_comments_carry_no_local_directories_unless_asked() {
    let sample = corpus().join("pe/hello_x64.exe");
    let dir = corpus().to_string_lossy().into_owned();
    assert!(Path::new(&dir).is_absolute());
    let run = |format: &str, extra: &[&str]| {
        let out = installsift()
            .args(["export", "--to", format])
            .args(extra)
            .arg(&sample)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    for format in [
        "stix2",
        "misp-json",
        "crowdstrike-json",
        "defender-csv",
        "yara",
    ] {
        let text = run(format, &[]);
        assert!(!text.contains(&dir), "{format} leaks {dir}:\n{text}");
        assert!(text.contains("pe file hello_x64.exe"), "{format}:\n{text}");
        let full = run(format, &["--full-paths"]);
        assert!(
            full.contains(&format!("{dir}/pe/hello_x64.exe")),
            "{format}:\n{full}"
        );
    }
    // A checksum list keeps the path as given, or `-c` could not find it.
    assert!(run("sha256sum", &[]).contains(&format!("{dir}/pe/hello_x64.exe")));
}
