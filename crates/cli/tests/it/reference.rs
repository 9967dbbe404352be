//! Cross-checks with the reference tools. `corpus/reference/<sample>[.<variant>].tsv`
//! holds what `msiextract`, `7zz x` or `cabextract` wrote for a sample, one
//! `path\tsize\tsha256` line per file (made by `corpus/build.sh`; see
//! `corpus/reference/README.md`). Our children of the container must be the
//! same files with the same hashes.
//!
//! Naming: msiextract names MSI files by directory + long file name, as we do;
//! 7-Zip names cabinet members by cabinet key, which we keep in `entry.key`,
//! so a child matches a line by name or by key. The `.recursive` variant lists
//! every level (`a/b` = member `b` of archive `a`) and is compared with our
//! whole tree.
//!
//! `.libmspack` listings come from libmspack's own decoder (pylibmspack):
//! KWAJ files, which 7-Zip does not open.
//!
//! `.source` listings are the files a real tool was given, where the
//! reference tools refuse part of what it wrote (`dmg/decmpfs-zlib.dmg`:
//! libdmg-hfsplus's decmpfs blocks that 7-Zip does not accept; its script
//! checks 7-Zip's bytes for the files it does write).
//!
//! xar: 7-Zip lists the table of contents as `[TOC].xml`, a row dropped
//! here; `.bsdtar` listings (libarchive) cover the lzma and xz encodings,
//! which 7-Zip's Xar handler does not decode.
//!
//! DMG: 7-Zip opens the image's HFS+ partition and writes its files below
//! the volume's name (`myDisk/a`); we name them from the volume root and
//! keep the volume name in the HFS node's metadata (`volume_name`), so the
//! reference's first path component must be that name and is dropped.
//!
//! NSIS: 7-Zip rebuilds `uninstall.exe` from the exe stub, which lies outside
//! the NSIS data we parse; we report the uninstaller's own NSIS data as
//! `uninstall.exe.nsis` (what 7-Zip writes when it finds no stub, e.g. in a
//! signed installer) and name the exe in `metadata.uninstallers` (see
//! `formats::nsis`). So a reference row `U` for an uninstaller our metadata
//! names is dropped, and with it our `U.nsis` child unless the reference has
//! it too (a wrong name still fails).

use crate::util::corpus;
use installsift::{EntryKind, Node, Scanner};

type Row = (String, u64, String);

/// The shallowest node (breadth first) that has file entries.
fn container(root: &Node) -> Option<&Node> {
    let mut level = vec![root];
    while !level.is_empty() {
        if let Some(n) = level.iter().find(|n| n.children.iter().any(is_file)) {
            return Some(n);
        }
        level = level.iter().flat_map(|n| n.children.iter()).collect();
    }
    None
}

fn is_file(n: &Node) -> bool {
    n.info
        .entry
        .as_ref()
        .is_some_and(|e| e.kind == EntryKind::File)
}

fn read_tsv(path: &std::path::Path) -> Vec<Row> {
    let mut rows: Vec<Row> = std::fs::read_to_string(path)
        .expect("read tsv")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let name = f.next().expect("name").to_owned();
            let size = f.next().expect("size").parse().expect("size number");
            (name, size, f.next().expect("sha").to_owned())
        })
        .collect();
    rows.sort();
    rows
}

/// Our row for a child: its name, or its key when the reference uses keys;
/// encrypted and undecoded entries have no hash of ours, so they take the
/// reference's and are compared by name and size.
fn row(c: &Node, name: String, want: &[Row]) -> Row {
    let key = c.info.entry.as_ref().and_then(|e| e.key.clone());
    let name = match key {
        Some(k) if !want.iter().any(|w| w.0 == name) && want.iter().any(|w| w.0 == k) => k,
        _ => name,
    };
    // Encrypted entries, and entries whose method we do not decode (RAR
    // compression), have no hash of ours: compared by name and size.
    let encrypted = c.info.entry.as_ref().is_some_and(|e| e.encrypted)
        || c.info.errors.iter().any(|e| e.kind() == "unsupported");
    let sha = match (&c.info.sha256, encrypted) {
        (Some(h), _) => h.to_string(),
        (None, true) => want
            .iter()
            .find(|w| w.0 == name)
            .map(|w| w.2.clone())
            .unwrap_or_default(),
        (None, false) => "<no hash>".into(),
    };
    (name, c.info.size, sha)
}

/// Paths of the uninstallers an NSIS node names in its metadata.
fn nsis_uninstallers(node: &Node) -> Vec<String> {
    if node.info.format != installsift::Format::Nsis {
        return Vec::new();
    }
    let meta = serde_json::to_value(&node.info.metadata).expect("json");
    meta["uninstallers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// innoextract writes an Inno destination `{app}\\dir\\f` as `app/dir/f`
/// (constants lose their braces); we keep Inno's own name.
fn innoextract_name(name: &str) -> String {
    name.replace(['{', '}'], "").replace('\\', "/")
}

#[test]
fn children_equal_reference_extraction() {
    let dir = corpus().join("reference");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut listings: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus/reference")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    listings.sort();
    for path in listings {
        let file = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if matches!(file.as_str(), "samples.tsv" | "pe_layout.tsv") {
            continue;
        }
        let stem = file.trim_end_matches(".tsv");
        let (stem, variant) = match stem.rsplit_once('.') {
            Some((
                s,
                v @ ("7zz" | "cabextract" | "recursive" | "deep" | "innoextract" | "unshield"
                | "msiextract" | "bsdtar" | "libmspack" | "cpio" | "source"),
            )) => (s, v),
            _ => (stem, ""),
        };
        let rel = stem.replace("__", "/");
        match (rel.as_str(), variant) {
            // A container deeper than the shallowest with file entries (an
            // InstallShield cabinet set, an MSI carried as a launcher
            // record): compared in crates/cli/tests/it/installshield.rs.
            (_, "unshield" | "msiextract") => continue,
            // msiextract reads external.cab from beside the MSI; we report an
            // external cabinet as missing media (tested in msi_external_cab).
            ("msi/external_cab.msi", _) => continue,
            // Listed with the password (names encrypted): compared with the
            // password in tests/it/passwords.rs and cli.rs.
            ("7z/enc_header.7z" | "7z/infected_header.7z", _) => continue,
            // 7-Zip shows a merge module's raw streams; we show the files of
            // its cabinet (compared with the cabinet listing, by key).
            ("msi/module.msm", "7zz") => continue,
            _ => {}
        }
        let mut want = read_tsv(&path);
        // 7-Zip writes a xar's table of contents as an extra file `[TOC].xml`;
        // we report the TOC in the xar node's metadata, not as a child.
        if rel.starts_with("pkg/") || rel.starts_with("xar/") {
            want.retain(|w| w.0 != "[TOC].xml");
        }
        let report = Scanner::new()
            .scan_path(&corpus().join(&rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        if rel.starts_with("dmg/") {
            let vol = container(&report.root)
                .and_then(|n| serde_json::to_value(&n.info.metadata).ok())
                .and_then(|m| m["volume_name"].as_str().map(|v| format!("{v}/")))
                .unwrap_or_default();
            for w in &mut want {
                match w.0.strip_prefix(&vol) {
                    Some(rest) if !vol.is_empty() => w.0 = rest.to_owned(),
                    _ => {
                        failures.push(format!("{file}: `{}` is not below the volume `{vol}`", w.0))
                    }
                }
            }
            want.sort();
        }
        let mut got: Vec<Row> = if variant == "deep" {
            // Each reference row found at any depth as a path suffix (the
            // reference tool names layers differently), same size and hash.
            let mut paths = Vec::new();
            report.root.walk(&mut |n| {
                if n.info.depth > 0 && is_file(n) {
                    let p = n.info.path[1..].join("/");
                    paths.push((p.clone(), row(n, p, &want)));
                }
            });
            want.iter()
                .filter_map(|w| {
                    paths
                        .iter()
                        .find(|(p, r)| {
                            (p == &w.0 || p.ends_with(&format!("/{}", w.0)))
                                && (&r.1, &r.2) == (&w.1, &w.2)
                        })
                        .map(|_| w.clone())
                })
                .collect()
        } else if variant == "recursive" {
            let mut all = Vec::new();
            report.root.walk(&mut |n| {
                if n.info.depth > 0 && is_file(n) {
                    all.push(row(n, n.info.path[1..].join("/"), &want));
                }
            });
            all
        } else {
            let Some(node) = container(&report.root) else {
                failures.push(format!("{file}: no container with file entries in {rel}"));
                continue;
            };
            let uninstallers = nsis_uninstallers(node);
            let dropped: Vec<String> = want
                .iter()
                .filter(|w| uninstallers.contains(&w.0))
                .map(|w| format!("{}.nsis", w.0))
                .collect();
            want.retain(|w| !uninstallers.contains(&w.0));
            node.children
                .iter()
                .filter(|c| is_file(c))
                .filter(|c| !dropped.contains(c.info.path.last().expect("name")))
                .map(|c| {
                    let name = c.info.path.last().expect("name");
                    let name = if variant == "innoextract" {
                        innoextract_name(name)
                    } else {
                        name.clone()
                    };
                    row(c, name, &want)
                })
                .collect()
        };
        got.sort();
        if got != want {
            failures.push(format!(
                "{file}:\n  reference: {want:?}\n  ours:      {got:?}"
            ));
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} reference listings found");
    assert!(
        failures.is_empty(),
        "{} of {checked} listings differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn msi_external_cab_is_missing_media_not_an_error() {
    let report = Scanner::new()
        .scan_path(&corpus().join("msi/external_cab.msi"))
        .expect("scan");
    let root = &report.root;
    assert_eq!(root.info.format, installsift::Format::Msi);
    assert!(root.info.errors.is_empty(), "{:?}", root.info.errors);
    assert!(
        !root.children.iter().any(is_file),
        "no file content without the cabinet"
    );
    let meta = serde_json::to_string(&root.info.metadata).expect("json");
    assert!(
        meta.contains("external.cab"),
        "external cabinet not named in metadata: {meta}"
    );
}
