//! The engine over `chm`: the files 7-Zip lists, hashed as `7zz x` writes
//! them, a plain archive; damage and the entry limit said.

use crate::test_support::*;
use crate::{Format, Scanner, Verdict};

/// Rows of the reference listing (`7zz x`): path, size, SHA-256.
fn reference() -> Vec<(String, u64, String)> {
    let p = corpus().join("reference/chm__chmcmd_help.chm.tsv");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_owned(), f[1].parse().unwrap(), f[2].to_owned())
        })
        .collect()
}

#[test]
fn files_equal_7zip_and_the_help_file_is_no_installer() {
    let Some(d) = sample("chm/chmcmd_help.chm") else {
        return;
    };
    let r = Scanner::new().scan_bytes("help.chm", &d);
    assert_eq!(r.root.info.format, Format::Chm);
    assert_eq!(r.root.info.verdict, Verdict::NotInstaller);
    assert!(r.root.info.errors.is_empty(), "{:?}", r.root.info.errors);
    let mut got: Vec<(String, u64, String)> = r
        .root
        .children
        .iter()
        .map(|c| {
            assert!(c.info.errors.is_empty(), "{:?}", c.info.errors);
            (
                c.info.path[1..].join("/"),
                c.info.size,
                c.info.sha256.map(|h| h.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, reference());
}

#[test]
fn a_cut_help_file_says_what_it_lost() {
    let Some(d) = sample("chm/chmcmd_help.chm") else {
        return;
    };
    // Cut inside the compressed section: the files decoded from frames
    // past the cut carry errors, the node says the file is short.
    let cut = &d[..d.len() - 20_000];
    let r = Scanner::new().scan_bytes("help.chm", cut);
    assert_eq!(r.root.info.format, Format::Chm);
    assert!(
        r.root.info.errors.iter().any(|e| e.kind() == "truncated"),
        "{:?}",
        r.root.info.errors
    );
    assert!(r.root.children.iter().any(|c| !c.info.errors.is_empty()));
    // Every child either has its 7-Zip hash or an error: never a wrong hash.
    let want = reference();
    for c in &r.root.children {
        let name = c.info.path[1..].join("/");
        let w = want.iter().find(|w| w.0 == name).expect("listed by 7-Zip");
        let h = c.info.sha256.map(|h| h.to_string());
        assert!(
            h.as_deref() == Some(w.2.as_str()) || !c.info.errors.is_empty(),
            "{name}: {h:?} without an error"
        );
    }
}

/// A file of the compressed section carries the compressed size of its
/// frames: the engine's ratio check applies (ratio 2, no floor: the
/// 300 KB page, text compressed about fivefold, goes over it).
#[test]
fn compressed_files_are_ratio_checked() {
    let Some(d) = sample("chm/chmcmd_help.chm") else {
        return;
    };
    let limits = crate::Limits {
        max_ratio: 2,
        ratio_floor: 0,
        ..crate::Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("help.chm", &d);
    let big = r
        .root
        .children
        .iter()
        .find(|c| c.info.path[1] == "guide/big.html")
        .expect("big.html");
    assert!(
        big.info
            .errors
            .iter()
            .any(|e| e.limit_hit() == Some(crate::Limit::MaxRatio)),
        "{:?}",
        big.info.errors
    );
}
