//! Entry modification times (`entry.mtime`) against 7-Zip's listing.
//!
//! `7zz l -slt` prints each entry's `Modified` in local time; run with
//! `TZ=UTC`, a UTC time (7z, tar, cpio, gzip, zip `UT`) prints as itself and
//! an MS-DOS local time (zip, cabinet, ARJ) prints as the packer wrote it, so
//! both compare with ours as text (ours: `Z` for UTC, no zone for local).

use super::util::corpus;
use std::collections::BTreeMap;
use std::process::Command;

/// Entry name → `Modified` (to the second) from `7zz l -slt`.
fn seven_zip_times(path: &std::path::Path) -> BTreeMap<String, String> {
    seven_zip_times_as(path, None)
}

/// The same, 7-Zip's handler chosen with `-t` when given.
fn seven_zip_times_as(path: &std::path::Path, kind: Option<&str>) -> BTreeMap<String, String> {
    let out = Command::new("7zz")
        .args(["l", "-slt", "-ba"])
        .args(kind.map(|k| format!("-t{k}")))
        .arg(path)
        .env("TZ", "UTC")
        .output()
        .expect("`7zz` is missing: apt-get install 7zip");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut times = BTreeMap::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("Path = ") {
            name = Some(p.replace('\\', "/").trim_start_matches("./").to_owned());
        } else if let Some(m) = line.strip_prefix("Modified = ") {
            if let (Some(n), Some(m)) = (name.take(), m.get(..19)) {
                times.insert(n, m.to_owned());
            }
        }
    }
    times
}

#[test]
fn entry_times_equal_seven_zips() {
    let samples = [
        ("zip/deflate.zip", false),
        ("7z/large_lzma2_bcj.7z", true),
        ("cab/large_mszip.cab", false),
        ("cab_real/libmspack_mszip_lzx_qtm.cab", false),
        ("cab_real/wix_signed_cab1.cab", false),
        ("arj/m1.arj", false),
        ("streams/ustar.tar", true),
        ("streams/gnu.tar", true),
        ("streams/pax.tar", true),
        ("streams/odc.cpio", true),
        ("streams/newc.cpio", true),
        ("nsis/amd64_zlib.exe", true),
        ("nsis/ansi_lzma_solid.exe", true),
        // A real installer: 22 distinct times.
        ("nsis_real/nsis2.08_NxS_BigClock_0_3_1.exe", true),
    ];
    let mut compared = 0;
    for (rel, utc) in samples {
        let path = corpus().join(rel);
        let want = seven_zip_times(&path);
        assert!(!want.is_empty(), "{rel}: 7zz listed no times");
        let report = installsift::Scanner::new().scan_path(&path).expect("scan");
        let mut seen = 0;
        // The archive's entries: the input's children, or its overlay's
        // (an NSIS installer's files).
        let overlay = report
            .root
            .children
            .iter()
            .find(|c| c.info.path.last().is_some_and(|n| n == "[overlay]"));
        let container = overlay.unwrap_or(&report.root);
        for c in &container.children {
            let name = c.info.path.last().cloned().unwrap_or_default();
            let Some(w) = want.get(&name) else { continue };
            let got = c
                .info
                .entry
                .as_ref()
                .and_then(|e| e.mtime)
                .unwrap_or_else(|| panic!("{rel} > {name}: no mtime; 7zz says {w}"));
            assert_eq!(got.utc, utc, "{rel} > {name}: {got}");
            let text = got.to_string().replace('T', " ").replace('Z', "");
            assert_eq!(&text, w, "{rel} > {name}");
            seen += 1;
        }
        assert!(
            seen > 0,
            "{rel}: no entry name in common with 7zz's listing"
        );
        compared += seen;
    }
    assert!(compared >= 40, "only {compared} entries compared");
}

#[test]
fn gzip_member_time_and_its_absence() {
    // hello.txt.gz carries an MTIME (gzip -k keeps the file's), which 7zz
    // shows for the one entry.
    let path = corpus().join("streams/hello.txt.gz");
    let want = seven_zip_times(&path);
    let report = installsift::Scanner::new().scan_path(&path).expect("scan");
    let entry = report.root.children.first().expect("one entry");
    let got = entry.info.entry.as_ref().and_then(|e| e.mtime);
    match want.values().next() {
        Some(w) => assert_eq!(
            got.map(|t| t.to_string().replace('T', " ").replace('Z', "")),
            Some(w.clone())
        ),
        None => assert_eq!(got, None, "7zz shows no time; MTIME is 0"),
    }
    // MTIME 0 means "no time stamp" (RFC 1952): none, not 1970.
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[4..8].copy_from_slice(&[0; 4]);
    let report = installsift::Scanner::new().scan_bytes("zero.gz", &bytes);
    let entry = report.root.children.first().expect("one entry");
    assert_eq!(entry.info.entry.as_ref().and_then(|e| e.mtime), None);
}

/// RAR 5 keeps UTC Unix times (7-Zip here has no RAR codecs): compared with
/// bsdtar's (libarchive's own RAR 5 reader), as an mtree listing of the
/// archive's entries, to the second.
#[test]
fn rar5_entry_times_equal_bsdtars() {
    let mut compared = 0;
    for rel in [
        "rar/rar5_solid.rar",
        "rar/rar5_win32.rar",
        "rar/rar5_arm.rar",
        "rar/rar5_stored_manyfiles.rar",
        "rar/rar5_extra_field_version.rar",
    ] {
        let path = corpus().join(rel);
        let out = Command::new("bsdtar")
            .args(["-cf", "-", "--format=mtree", "--options=!all,time"])
            .arg(format!("@{}", path.display()))
            .output()
            .expect("`bsdtar` is missing: apt-get install libarchive-tools");
        let mut want = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some((name, rest)) = line.split_once(" time=") else {
                continue;
            };
            let secs: i64 = rest
                .split('.')
                .next()
                .and_then(|s| s.parse().ok())
                .expect("time");
            want.insert(name.trim_start_matches("./").to_owned(), secs);
        }
        assert!(!want.is_empty(), "{rel}: bsdtar listed no times");
        let report = installsift::Scanner::new().scan_path(&path).expect("scan");
        for c in &report.root.children {
            let name = c.info.path.last().expect("name");
            let Some(&w) = want.get(name.as_str()) else {
                continue;
            };
            let got = c.info.entry.as_ref().and_then(|e| e.mtime).expect("mtime");
            assert!(got.utc, "{rel} {name}");
            assert_eq!(got.secs, w, "{rel} {name}");
            compared += 1;
        }
    }
    assert!(compared >= 20, "{compared}");
}

/// Disk images: ISO 9660 (the directory record's time and zone), UDF (the
/// File Entry's modification time) and HFS+ inside DMGs (the catalog's
/// content modification date), all UTC. 7-Zip names a DMG's files below
/// the volume's name and an ISO's by Joliet names, so each of our nodes
/// with a time is matched to 7-Zip's row of the same path or of a path
/// ending in `/` + ours.
#[test]
fn disk_image_times_equal_seven_zips() {
    let mut compared = 0;
    for (rel, kind) in [
        ("iso/plain.iso", None),
        ("iso/joliet.iso", None),
        ("iso/rockridge.iso", None),
        ("iso/eltorito.iso", None),
        ("iso/multi_extent.iso", None),
        ("udf/genisoimage_bridge.iso", Some("Udf")),
        ("udf/pycdlib.iso", Some("Udf")),
        ("dmg/hello-zlib.dmg", None),
        ("dmg/hdiutil-hfs.dmg", None),
    ] {
        let path = corpus().join(rel);
        let want = seven_zip_times_as(&path, kind);
        assert!(!want.is_empty(), "{rel}: 7zz listed no times");
        let report = installsift::Scanner::new().scan_path(&path).expect("scan");
        let mut seen = 0;
        report.root.walk(&mut |n| {
            let Some(t) = n.info.entry.as_ref().and_then(|e| e.mtime) else {
                return;
            };
            let ours = n.info.path.last().cloned().unwrap_or_default();
            let Some(w) = want
                .iter()
                .find(|(k, _)| **k == ours || k.ends_with(&format!("/{ours}")))
                .map(|(_, w)| w)
            else {
                return;
            };
            assert!(t.utc, "{rel} > {ours}: {t}");
            let text = t.to_string().replace('T', " ").replace('Z', "");
            assert_eq!(&text, w, "{rel} > {ours}");
            seen += 1;
        });
        assert!(seen > 0, "{rel}: no entry in common with 7zz's listing");
        compared += seen;
    }
    assert!(compared >= 30, "only {compared} entries compared");
}
