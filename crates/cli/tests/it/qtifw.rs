//! Qt Installer Framework: the installers binarycreator made
//! (`corpus/qtifw/`, see `corpus/src/tools/qtifw.sh`) against Qt IFW's own
//! `devtool dump` of the same file (`corpus/reference/qtifw__two.exe.deep.tsv`:
//! the meta resource's files and `<component>/<archive>`), exactly: the same
//! files, no more, with the same sizes and SHA-256.

use crate::util::corpus;
use installsift::{Format, Node, Scanner, Verdict};

fn rows(node: &Node) -> Vec<(String, u64, String)> {
    let mut got = Vec::new();
    for c in &node.children {
        let name = c.info.path.last().expect("name").clone();
        if c.info.format == Format::QtRcc {
            // The meta resource's files, named from the resource root.
            for f in &c.children {
                let n = f.info.path.last().expect("name").clone();
                got.push((
                    n,
                    f.info.size,
                    f.info.sha256.as_ref().expect("sha256").to_string(),
                ));
            }
        } else if name != "[installerbase]" {
            got.push((
                name,
                c.info.size,
                c.info.sha256.as_ref().expect("sha256").to_string(),
            ));
        }
    }
    got.sort();
    got
}

fn want() -> Vec<(String, u64, String)> {
    crate::util::tsv_rows(&corpus().join("reference/qtifw__two.exe.deep.tsv"), "")
}

#[test]
fn binary_content_equals_devtool_dump() {
    let r = Scanner::new()
        .scan_path(&corpus().join("qtifw/two.exe"))
        .expect("scan");
    assert_eq!(r.root.info.format, Format::Pe);
    assert_eq!(r.root.info.verdict, Verdict::Installer);
    let overlay = &r.root.children[0];
    assert_eq!(overlay.info.format, Format::QtIfw);
    assert!(overlay.info.errors.is_empty(), "{:?}", overlay.info.errors);
    let want = want();
    assert_eq!(want.len(), 8);
    assert_eq!(rows(overlay), want);
    // The archives were verified by their `.sha1` siblings and opened.
    let archives: Vec<&Node> = overlay
        .children
        .iter()
        .filter(|c| c.info.format == Format::SevenZ)
        .collect();
    assert_eq!(archives.len(), 2);
    for a in archives {
        assert_eq!(
            a.info.verified_by,
            [installsift::Check::QtIfwSha1],
            "{:?}",
            a.info.path
        );
        assert!(!a.children.is_empty());
    }
}

#[test]
fn a_linux_installer_is_read_whole() {
    let r = Scanner::new()
        .scan_path(&corpus().join("qtifw/two_linux"))
        .expect("scan");
    assert_eq!(r.root.info.format, Format::QtIfw);
    assert_eq!(r.root.info.verdict, Verdict::Installer);
    assert_eq!(
        r.root.children[0].info.path.last().unwrap(),
        "[installerbase]"
    );
    // The same components (the rcc differs: its temporary .qrc name).
    let got: Vec<_> = rows(&r.root)
        .into_iter()
        .filter(|r| r.0.starts_with("component"))
        .map(|r| r.0)
        .collect();
    assert_eq!(
        got,
        [
            "componentA/1.0.0content.7z",
            "componentA/1.0.0content.7z.sha1",
            "componentB/1.0.0content.7z",
            "componentB/1.0.0content.7z.sha1"
        ]
    );
}

#[test]
fn an_installer_cut_short_keeps_its_family_and_says_where() {
    let data = std::fs::read(corpus().join("qtifw/two.exe")).expect("sample");
    let r = Scanner::new().scan_bytes("cut.exe", &data[..data.len() - 200]);
    assert_eq!(r.root.info.verdict, Verdict::Installer);
    assert_eq!(r.root.info.family.map(|f| f.as_str()), Some("qt-ifw"));
    let overlay = &r.root.children[0];
    assert_eq!(overlay.info.format, Format::QtIfw);
    assert_eq!(overlay.info.verdict, Verdict::Installer);
    let e = overlay.info.errors.first().expect("an error");
    assert_eq!(e.kind(), "truncated");
    assert!(e.to_string().contains("cut short"), "{e}");
    // What was read: the meta resource and its files.
    assert_eq!(overlay.children.len(), 1);
    assert_eq!(overlay.children[0].info.format, Format::QtRcc);
    assert_eq!(overlay.children[0].children.len(), 4);
}
