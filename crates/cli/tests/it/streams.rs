//! Compressed streams, tar and cpio where installers carry them, against
//! the reference tools (`corpus/reference/payloads/*.tsv`, made by
//! `corpus/src/tools/streams.sh`): an Omaha metainstaller's `B/102`
//! payload (`7zz x` writes the decoded LZMA stream as `102~`, then `7zz x
//! 102~` the tar's files) and a `.pkg`'s `Payload` and `Scripts` (`7zz x`,
//! then `bsdtar -xf` of each gzip'd cpio). Our names, sizes and SHA-256 must
//! be theirs, and every node on the way must be the format it is.

use crate::util::corpus;
use installsift::{Format, Node, Scanner};

use super::util::Row;

fn listing(name: &str) -> Vec<Row> {
    let path = corpus().join("reference/payloads").join(name);
    super::util::tsv_rows(&path, " (made by corpus/src/tools/streams.sh)")
}

fn row(n: &Node, name: String) -> Row {
    let sha = n
        .info
        .sha256
        .map_or("<no hash>".to_owned(), |h| h.to_string());
    (name, n.info.size, sha)
}

fn find<'a>(n: &'a Node, want: &dyn Fn(&Node) -> bool, out: &mut Vec<&'a Node>) {
    if want(n) {
        out.push(n);
    }
    for c in &n.children {
        find(c, want, out);
    }
}

/// The Omaha payload: the `lzma` resource's one child is `102~` (the tar),
/// whose files are `102~/<member>`.
fn omaha(sample: &str) {
    let report = Scanner::new()
        .scan_path(&corpus().join(sample))
        .expect("scan");
    assert_eq!(
        report.root.info.family.map(|f| f.as_str()),
        Some("omaha"),
        "{sample}"
    );
    let mut lzma = Vec::new();
    find(&report.root, &|n| n.info.format == Format::Lzma, &mut lzma);
    assert_eq!(lzma.len(), 1, "{sample}: one lzma payload");
    let decoded = &lzma[0].children[0];
    assert_eq!(decoded.info.format, Format::Tar, "{sample}");
    let mut got = vec![row(decoded, "102~".into())];
    for c in &decoded.children {
        got.push(row(
            c,
            format!("102~/{}", c.info.path.last().expect("name")),
        ));
    }
    got.sort();
    let name = format!("{}.tsv", sample.replace('/', "__"));
    assert_eq!(got, listing(&name), "{sample}");
    assert!(decoded.info.errors.is_empty() && lzma[0].info.errors.is_empty());
}

#[test]
fn omaha_payload_equals_7zip_extraction() {
    omaha("omaha/omaha_tagged.exe");
    omaha("real/omaha_GoogleUpdateSetup_1.2.121.9_untagged.exe");
}

/// A pkg's Payload and Scripts: xar member → gzip → cpio → files.
fn pkg(sample: &str) {
    let report = Scanner::new()
        .scan_path(&corpus().join(sample))
        .expect("scan");
    let mut gz = Vec::new();
    find(&report.root, &|n| n.info.format == Format::Gzip, &mut gz);
    assert_eq!(gz.len(), 2, "{sample}: Payload and Scripts");
    let mut got = Vec::new();
    for g in gz {
        let member = g.info.path[1..].join("/");
        let cpio = &g.children[0];
        assert_eq!(cpio.info.format, Format::Cpio, "{member}");
        assert_eq!(
            cpio.info
                .verified_by
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>(),
            ["gzip-crc32"]
        );
        for c in &cpio.children {
            got.push(row(
                c,
                format!("{member}/{}", c.info.path.last().expect("name")),
            ));
        }
    }
    got.sort();
    let name = format!("{}.tsv", sample.replace('/', "__"));
    assert_eq!(got, listing(&name), "{sample}");
}

#[test]
fn pkg_payload_and_scripts_equal_bsdtar_extraction() {
    pkg("pkg/component.pkg");
    pkg("pkg/product.pkg");
}

/// The verdicts: a stream of a tar is a plain archive; an Omaha payload's
/// layers are children of the `omaha` installer, not installers themselves.
#[test]
fn streams_are_plain_archives_and_omaha_keeps_its_family() {
    let r = Scanner::new()
        .scan_path(&corpus().join("streams/ustar.tar.gz"))
        .expect("scan");
    assert_eq!(r.root.info.format, Format::Gzip);
    assert_eq!(r.root.children[0].info.format, Format::Tar);
    assert_eq!(
        r.root.children[0].info.path.last().map(String::as_str),
        Some("ustar.tar")
    );
    assert!(r
        .root
        .info
        .evidence
        .iter()
        .any(|e| e.signal == "plain-archive"));
}

/// Damage: a CRC mismatch keeps the bytes with a `checksum` error; a cut
/// stream is the node's error and the child has no hash.
#[test]
fn damaged_streams_say_so() {
    let r = Scanner::new()
        .scan_path(&corpus().join("malformed/streams_bad_crc.txt.gz"))
        .expect("scan");
    let child = &r.root.children[0];
    assert!(child.info.sha256.is_some());
    assert!(child.info.verified_by.is_empty());
    assert_eq!(child.info.errors[0].kind(), "checksum");
    let r = Scanner::new()
        .scan_path(&corpus().join("malformed/streams_cut.tar.gz"))
        .expect("scan");
    assert!(r.root.children[0].info.sha256.is_none());
    assert_eq!(r.root.info.errors[0].kind(), "truncated");
    assert_eq!(r.root.info.verdict, installsift::Verdict::Unknown);
}
