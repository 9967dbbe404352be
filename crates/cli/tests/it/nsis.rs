//! NSIS acceptance (issue 3): family, full unpacking of the large and bzip2
//! samples, recursion into the carried MSI, truncation, the bare stub.

use crate::util::corpus;
use installsift::{Error, Family, Format, Node, Report, Scanner, Verdict};

fn scan(rel: &str) -> Report {
    Scanner::new()
        .scan_path(&corpus().join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The NSIS node (the PE's overlay).
fn nsis(root: &Node) -> &Node {
    root.children
        .iter()
        .find(|c| c.info.format == Format::Nsis)
        .expect("an nsis overlay child")
}

fn files(n: &Node) -> Vec<&Node> {
    crate::util::file_children(n)
}

#[test]
fn every_nsis_installer_is_family_nsis_and_fully_unpacked() {
    for rel in [
        "nsis/zlib.exe",
        "nsis/zlib_solid.exe",
        "nsis/bzip2.exe",
        "nsis/bzip2_solid.exe",
        "nsis/lzma.exe",
        "nsis/lzma_solid.exe",
        "nsis/ansi_lzma_solid.exe",
        "nsis/amd64_zlib.exe",
        "nsis/signed_zlib.exe",
        "nsis/large_lzma_solid.exe",
        "nsis/carrier.exe",
        "nsis/nofiles.exe",
    ] {
        let r = scan(rel);
        assert_eq!(r.root.info.format, Format::Pe, "{rel}");
        assert_eq!(r.root.info.verdict, Verdict::Installer, "{rel}");
        assert_eq!(r.root.info.family, Some(Family::Nsis), "{rel}");
        let n = nsis(&r.root);
        assert_eq!(n.info.family, Some(Family::Nsis), "{rel}");
        assert!(n.info.errors.is_empty(), "{rel}: {:?}", n.info.errors);
        for f in files(n) {
            assert!(
                f.info.errors.is_empty() && f.info.sha256.is_some(),
                "{rel}: {:?}",
                f.info.path
            );
        }
        assert_eq!(r.stats.panics, 0, "{rel}");
    }
}

#[test]
fn large_lzma_solid_unpacks_all_of_big_txt() {
    let r = scan("nsis/large_lzma_solid.exe");
    let big = r.root.find("data/big.txt").expect("big.txt");
    assert_eq!(big.info.size, 2_200_000);
    assert!(big.info.errors.is_empty());
    let meta = serde_json::to_value(&nsis(&r.root).info.metadata).expect("json");
    assert_eq!(meta["compression"], "lzma");
    assert_eq!(meta["solid"], true);
}

#[test]
fn bzip2_both_modes_match_zlib_contents() {
    let hashes = |rel: &str| -> Vec<(String, Option<String>)> {
        let r = scan(rel);
        let mut v: Vec<_> = files(nsis(&r.root))
            .iter()
            .filter(|c| !c.info.path.last().expect("name").ends_with(".nsis"))
            .map(|c| {
                (
                    c.info.path.last().expect("name").clone(),
                    c.info.sha256.map(|h| h.to_string()),
                )
            })
            .collect();
        v.sort();
        v
    };
    let zlib = hashes("nsis/zlib.exe");
    assert_eq!(zlib.len(), 43);
    assert_eq!(hashes("nsis/bzip2.exe"), zlib);
    assert_eq!(hashes("nsis/bzip2_solid.exe"), zlib);
}

#[test]
fn carried_msi_and_zip_are_opened() {
    let r = scan("nsis/carrier.exe");
    let msi = r.root.find("simple.msi").expect("simple.msi");
    assert_eq!(msi.info.format, Format::Msi);
    assert_eq!(msi.info.family, Some(Family::Msi));
    assert!(msi.find("Program Files/SiftSimple/hello.exe").is_some());
    let zip = r.root.find("extra/deflate.zip").expect("deflate.zip");
    assert_eq!(zip.info.format, Format::Zip);
    assert!(zip.find("docs/license.txt").is_some());
}

#[test]
fn installer_facts_are_reported() {
    let r = scan("nsis/zlib.exe");
    let meta = serde_json::to_value(&nsis(&r.root).info.metadata).expect("json");
    assert_eq!(meta["name"], "installsift NSIS sample");
    assert_eq!(meta["install_dir"], "$PROGRAMFILES\\installsift-sample");
    assert_eq!(meta["uninstallers"][0], "uninstall.exe");
    assert_eq!(meta["plugins"][0], "System.dll");
    assert_eq!(meta["plugin_calls"][0], "System.dll::Call");
    assert_eq!(meta["unicode"], true);
    let exec = meta["exec"].to_string();
    assert!(
        exec.contains("ExecWait") && exec.contains("notepad.exe"),
        "{exec}"
    );
    let reg = meta["uninstall_registry"].to_string();
    assert!(reg.contains("UninstallString"), "{reg}");
    let pe = serde_json::to_value(&r.root.info.metadata).expect("json");
    assert_eq!(pe["requested_execution_level"], "requireAdministrator");
    // the uninstaller's own NSIS data is scanned as NSIS
    let un = r.root.find("uninstall.exe.nsis").expect("uninstaller data");
    assert_eq!(un.info.format, Format::Nsis);
    let um = serde_json::to_value(&un.info.metadata).expect("json");
    assert_eq!(um["uninstaller_data"], true);
}

#[test]
fn truncated_installers_keep_entries_before_the_cut() {
    for (rel, kept) in [
        ("malformed/nsis_trunc_lzma_solid.exe", "readme.txt"),
        ("malformed/nsis_trunc_zlib.exe", "conf/config.ini"),
    ] {
        let r = scan(rel);
        assert_eq!(r.root.info.family, Some(Family::Nsis), "{rel}");
        let n = nsis(&r.root);
        assert_eq!(n.info.family, Some(Family::Nsis), "{rel}");
        assert!(
            n.info
                .errors
                .iter()
                .any(|e| matches!(e, Error::Truncated { .. })),
            "{rel}: {:?}",
            n.info.errors
        );
        let k = n.find(kept).expect("entry before the cut");
        assert!(k.info.errors.is_empty() && k.info.sha256.is_some(), "{rel}");
        assert!(
            files(n).iter().any(|f| f.info.sha256.is_none()
                && f.info
                    .errors
                    .iter()
                    .any(|e| matches!(e, Error::Truncated { .. }))),
            "{rel}: no missing entry after the cut"
        );
        assert_eq!(r.stats.panics, 0);
    }
}

#[test]
fn bare_exehead_stub_is_named_as_a_stub() {
    let r = scan("nsis/stub_zlib-x86-unicode.exe");
    assert_eq!(r.root.info.verdict, Verdict::NotInstaller);
    assert!(r
        .root
        .info
        .evidence
        .iter()
        .any(|e| e.signal == "nsis-exehead-stub"));
}

/// Run `tool`; a missing tool fails the test naming its Debian package.
fn run(tool: &str, package: &str, args: &[&str], cwd: &std::path::Path) {
    let out = std::process::Command::new(tool)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("{tool} not runnable ({e}): apt-get install {package}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A deterministic payload (xorshift bytes, text, runs, an empty file) in
/// `dir`; returns the relative paths.
fn payload(dir: &std::path::Path, seed: u64) -> Vec<String> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut names = Vec::new();
    for i in 0..8u64 {
        let rel = if i % 3 == 0 {
            format!("sub/f{i}.bin")
        } else {
            format!("f{i}.dat")
        };
        let size = (next() % 70_000) as usize;
        let data: Vec<u8> = match i % 4 {
            0 => (0..size).map(|_| next() as u8).collect(),
            1 => b"installsift differential test line\r\n"
                .iter()
                .copied()
                .cycle()
                .take(size)
                .collect(),
            2 => vec![(next() % 256) as u8; size],
            _ => Vec::new(),
        };
        let p = dir.join(&rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, data).expect("write");
        names.push(rel);
    }
    names
}

/// Differential check against 7-Zip on makensis-built installers: every
/// compressor, solid and not (the full sweep, thousands of streams, is
/// `scripts/nsis_differential.py`). Needs Debian's `nsis` and `7zip`.
#[test]
fn makensis_installers_decode_as_7zip_decodes_them() {
    use sha2::Digest;
    let tmp = std::env::temp_dir().join(format!("installsift-nsis-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("tmp");
    let names = payload(&tmp, 7);
    let mut compared = 0;
    for compressor in ["zlib", "bzip2", "lzma"] {
        for solid in [false, true] {
            let exe = tmp.join("out.exe");
            let mut nsi = format!(
                "Target x86-unicode\nSetCompressor {}/FINAL {compressor}\nName \"diff\"\n\
                 OutFile \"{}\"\nInstallDir \"$TEMP\\sift\"\nRequestExecutionLevel user\nSection\n",
                if solid { "/SOLID " } else { "" },
                exe.display()
            );
            for n in &names {
                match n.split_once('/') {
                    Some((d, _)) => nsi.push_str(&format!("SetOutPath \"$INSTDIR\\{d}\"\n")),
                    None => nsi.push_str("SetOutPath \"$INSTDIR\"\n"),
                }
                nsi.push_str(&format!("File \"{n}\"\n"));
            }
            nsi.push_str("SectionEnd\n");
            std::fs::write(tmp.join("t.nsi"), nsi).expect("nsi");
            run("makensis", "nsis", &["-V1", "t.nsi"], &tmp);
            let x = tmp.join("x");
            let _ = std::fs::remove_dir_all(&x);
            let o = format!("-o{}", x.display());
            run("7zz", "7zip", &["x", "-y", &o, "out.exe"], &tmp);
            let r = Scanner::new().scan_path(&exe).expect("scan");
            let n = nsis(&r.root);
            assert!(
                n.info.errors.is_empty(),
                "{compressor} {solid}: {:?}",
                n.info.errors
            );
            assert_eq!(files(n).len(), names.len(), "{compressor} {solid}");
            for name in &names {
                let bytes = std::fs::read(x.join(name)).expect("7zz output");
                let want: String = sha2::Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let got = n
                    .find(name)
                    .and_then(|c| c.info.sha256.map(|h| h.to_string()));
                assert_eq!(
                    got.as_deref(),
                    Some(want.as_str()),
                    "{compressor} solid={solid} {name}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 6 * names.len());
    let _ = std::fs::remove_dir_all(&tmp);
}

/// An installer cut inside its first header's signature is still an NSIS
/// installer with the cut said, never the `engine-stub` of a bare exehead.
#[test]
fn cut_inside_the_signature_is_a_damaged_installer_not_a_stub() {
    let data = std::fs::read(corpus().join("nsis/carrier.exe")).expect("read");
    let at = data
        .windows(16)
        .position(|w| w == b"\xEF\xBE\xAD\xDENullsoftInst")
        .expect("signature")
        - 4;
    for keep in [8, 12, 16, 27] {
        let r = Scanner::new().scan_bytes("cut.exe", &data[..at + keep]);
        assert_eq!(r.root.info.verdict, Verdict::Installer, "cut after {keep}");
        assert_eq!(r.root.info.family, Some(Family::Nsis));
        assert_eq!(r.root.info.kind, None);
        let n = nsis(&r.root);
        assert!(
            n.info
                .errors
                .iter()
                .any(|e| matches!(e, Error::Truncated { .. })),
            "cut after {keep}: {:?}",
            n.info.errors
        );
        assert!(n
            .info
            .evidence
            .iter()
            .all(|e| e.strength == installsift::Strength::Weak || e.signal != "installer-format"));
    }
}
