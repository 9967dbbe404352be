//! The engine over `xar`: scans of real and damaged samples.

use crate::formats::container::{self, Decoded, Notes, Opened, Options};
use crate::formats::Metadata;
use crate::report::Node;
use crate::test_support::sample;
use crate::EntryInfo;
use crate::Scanner;
use crate::{Check, EntryKind, Format};
use installsift_formats::xar::*;

const TOC: &str = r#"<?xml version="1.0"?><xar><toc><checksum style="sha1"><offset>0</offset><size>20</size></checksum>
<file id="1"><name>d</name><type>directory</type>
  <file id="2"><name>a &amp; b</name><type>file</type><data><offset>20</offset><length>3</length><size>3</size>
  <encoding style="application/octet-stream"/><extracted-checksum style="md5">HASH</extracted-checksum></data></file>
</file><file id="3"><name>top</name><type>symlink</type><link type="file">d</link></file></toc></xar>"#;

/// A xar built in memory: header, zlib TOC, heap (the TOC's checksum
/// slot is the heap's first 20 bytes).
fn build(toc: &str, heap: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(toc.as_bytes()).unwrap();
    let ztoc = z.finish().unwrap();
    let mut d = b"xar!\x00\x1c\x00\x01".to_vec();
    d.extend_from_slice(&(ztoc.len() as u64).to_be_bytes());
    d.extend_from_slice(&(toc.len() as u64).to_be_bytes());
    d.extend_from_slice(&1u32.to_be_bytes());
    d.extend_from_slice(&ztoc);
    use sha1::Digest as _;
    d.extend_from_slice(&sha1::Sha1::digest(&ztoc));
    d.extend_from_slice(heap);
    d
}

fn scan(name: &str, data: &[u8]) -> Node {
    Scanner::new().scan_bytes(name, data).root
}

fn xar_info(n: &Node) -> &XarInfo {
    match &n.info.metadata {
        Some(Metadata::Xar(x)) => x,
        other => panic!("not xar metadata: {other:?}"),
    }
}

#[test]
fn truncated_header_is_an_error_not_a_panic() {
    let n = scan("x.xar", b"xar!\x00\x1c\x00\x01\x00");
    assert_eq!(n.info.format, Format::Xar);
    assert!(!n.info.errors.is_empty());
}

#[test]
fn toc_reader_nests_paths_and_verifies() {
    let md5 = "900150983cd24fb0d6963f7d28e17f72"; // md5("abc")
    let n = scan("t.xar", &build(&TOC.replace("HASH", md5), b"abc"));
    assert!(n.info.errors.is_empty(), "{:?}", n.info.errors);
    let names: Vec<_> = n
        .children
        .iter()
        .map(|c| c.info.path.last().unwrap().clone())
        .collect();
    assert_eq!(names, ["d/a & b"]);
    assert_eq!(n.children[0].info.size, 3);
    let x = xar_info(&n);
    assert_eq!((x.files, x.directories, x.symlinks), (1, 1, 1));
    assert_eq!(x.toc_checksum_ok, Some(true));
    assert_eq!(x.checksums_verified, 1);
    assert!(x.pkg.is_none());
}

#[test]
fn checksum_mismatch_and_bad_offsets_are_node_errors() {
    let n = scan("t.xar", &build(&TOC.replace("HASH", "00"), b"abc"));
    let c = &n.children[0];
    assert_eq!(c.info.errors.len(), 1, "{:?}", c.info.errors);
    assert_eq!(c.info.errors[0].kind(), "checksum");
    assert!(c.info.errors[0].to_string().contains("checksum mismatch"));
    // The bytes it decodes to are kept and hashed, vouched for by nothing.
    assert_eq!(c.info.size, 3);
    assert!(c.info.sha256.is_some() && c.info.verified_by.is_empty());
    let n = scan(
        "t.xar",
        &build(&TOC.replace("HASH", "00").replace(">20<", ">999<"), b"abc"),
    );
    assert_eq!(n.children[0].info.errors[0].kind(), "truncated");
    // The header-size field damaged (14): still a xar, read from 28.
    let mut d = build(&TOC.replace("HASH", "00"), b"abc");
    d[4..6].copy_from_slice(&14u16.to_be_bytes());
    let n = scan("t.xar", &d);
    assert_eq!(n.info.format, Format::Xar);
    assert!(n
        .info
        .errors
        .iter()
        .any(|e| e.to_string().contains("header size 14")));
    assert_eq!(n.children.len(), 1);
    // The TOC checksum slot corrupted.
    let mut d = build(&TOC.replace("HASH", "00"), b"abc");
    let at = d.len() - 23;
    d[at] ^= 1;
    let n = scan("t.xar", &d);
    assert_eq!(xar_info(&n).toc_checksum_ok, Some(false));
}

/// The parser alone, without a scan: the files decode as they are
/// pulled and the extracted checksums are checked on the way.
#[test]
fn listing_without_the_engine() {
    use crate::formats::container::{list, Listed};
    let Some(d) = sample("xar/bzip2.xar") else {
        return;
    };
    let limits = installsift_model::Limits::default();
    let l = list(open, &d, &limits, usize::MAX);
    assert!(l.notes.errors.is_empty(), "{:?}", l.notes.errors);
    let mut decoded = 0;
    for (name, info, data) in &l.entries {
        if let Listed::Decoded(Ok(b)) = data {
            decoded += 1;
            if !b.is_empty() {
                assert!(
                    info.verified_by.contains(&Check::XarExtractedChecksum),
                    "{name}: {:?}",
                    info.verified_by
                );
            }
        }
    }
    assert!(decoded > 0);
    let Some(Metadata::Xar(info)) = &l.parsed.metadata else {
        panic!("xar metadata")
    };
    assert!(info.toc_listed && info.checksums_verified > 0);
    // Told that the engine read one byte more than the TOC declares
    // (as when a decoder runs past it): the node says so.
    let mut e = EntryInfo::new(EntryKind::File);
    let opts = Options {
        limits: &limits,
        hashes: installsift_model::HashSelection::SHA256,
        name: "",
        passwords: &[],
        read_ahead: false,
    };
    let mut w = match open(&d, &opts, &mut Notes::default()) {
        Opened::Container(c) => c,
        Opened::Leaf(_) => panic!("a container"),
    };
    let mut n = Notes::default();
    // The decoder is consumed by a function, so the container is free
    // to be asked about the read (as the engine does).
    fn drain(data: container::Data<'_>) -> Option<Vec<u8>> {
        let container::Data::Decode { mut reader, .. } = data else {
            return None;
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out).ok()?;
        Some(out)
    }
    loop {
        let Some(container::Entry { data, .. }) = w.next_entry(&mut n) else {
            break;
        };
        if let Some(out) = drain(data) {
            let hashes =
                installsift_model::hash::hash_bytes(installsift_model::HashSelection::SHA256, &out);
            let d = Decoded {
                size: out.len() as u64 + 1,
                whole: Some(&out),
                hashes: &hashes,
            };
            w.entry_read(Ok(d), &mut e, &mut n);
            break;
        }
    }
    assert!(n
        .errors
        .iter()
        .any(|e| e.to_string().contains("decodes to")));
}

#[test]
fn corpus_checksums_vouch_for_every_file() {
    // xar writes an archived- and an extracted-checksum for each file.
    for rel in ["xar/bzip2.xar", "xar/none.xar", "xar/xarjs.xar"] {
        let Some(d) = sample(rel) else {
            return;
        };
        let n = scan(rel, &d);
        let mut files = 0;
        for c in n.children.iter().filter(|c| c.info.size > 0) {
            files += 1;
            assert!(
                c.info.errors.is_empty(),
                "{rel} {:?}: {:?}",
                c.info.path,
                c.info.errors
            );
            assert!(
                c.info.verified_by.contains(&Check::XarExtractedChecksum),
                "{rel} {:?}: {:?}",
                c.info.path,
                c.info.verified_by
            );
        }
        assert!(files > 0, "{rel}");
    }
    // A stored byte of bzip2.xar's first file changed: its archived
    // checksum fails, said on the entry.
    let Some(mut d) = sample("xar/bzip2.xar") else {
        return;
    };
    let good = scan("bzip2.xar", &d);
    let first = good
        .children
        .iter()
        .find(|c| c.info.verified_by.contains(&Check::XarArchivedChecksum))
        .expect("an archived checksum");
    let at = first
        .info
        .entry
        .as_ref()
        .and_then(|e| e.offset)
        .expect("offset") as usize;
    d[at + 20] ^= 0x01;
    let n = scan("bad.xar", &d);
    let c = n.find(&first.info.path[1..].join("/")).expect("same entry");
    assert!(
        c.info
            .errors
            .iter()
            .any(|e| e.kind() == "checksum" && e.to_string().contains("archived")),
        "{:?}",
        c.info.errors
    );
}

#[test]
fn gzip_member_under_x_gzip_is_accepted() {
    use std::io::Write;
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(b"hello xar").unwrap();
    let gz = g.finish().unwrap();
    let toc = format!(
        r#"<xar><toc><checksum style="sha1"><offset>0</offset><size>20</size></checksum><file id="1"><name>h</name><type>file</type><data><offset>20</offset><length>{}</length><size>9</size><encoding style="application/x-gzip"/></data></file></toc></xar>"#,
        gz.len()
    );
    let n = scan("t.xar", &build(&toc, &gz));
    assert!(n.info.errors.is_empty() && n.children[0].info.errors.is_empty());
    assert_eq!(n.children[0].info.size, 9);
}

#[test]
fn deep_nesting_and_many_entries_stop_at_limits() {
    let mut toc = String::from("<xar><toc>");
    for _ in 0..300 {
        toc.push_str("<file><name>d</name><type>directory</type>");
    }
    toc.push_str("</toc></xar>");
    let n = scan("t.xar", &build(&toc, b""));
    assert!(
        n.info
            .errors
            .iter()
            .any(|e| e.to_string().contains("max_toc_depth")),
        "{:?}",
        n.info.errors
    );
    // 100 directories of 100-byte names: the file's path is cut at 1 KiB.
    let name = "n".repeat(100);
    let mut toc = String::from("<xar><toc>");
    for _ in 0..100 {
        toc.push_str(&format!("<file><name>{name}</name><type>directory</type>"));
    }
    toc.push_str("<file><name>f</name></file></toc></xar>");
    let n = scan("t.xar", &build(&toc, b""));
    assert_eq!(n.children.len(), 1);
    assert_eq!(n.children[0].info.path.last().unwrap().len(), 1024); // the parser's cap on a path's length
    assert!(n
        .info
        .errors
        .iter()
        .any(|e| e.to_string().contains("were cut")));
    let limits = installsift_model::Limits {
        max_entries_per_container: 5,
        ..installsift_model::Limits::default()
    };
    let toc = format!(
        "<xar><toc>{}</toc></xar>",
        "<file><name>f</name></file>".repeat(10)
    );
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("t.xar", &build(&toc, b""));
    assert!(r
        .root
        .info
        .errors
        .iter()
        .any(|e| e.to_string().contains("max_entries_per_container")));
    assert!(r.root.children.len() <= 5);
}

#[test]
fn corpus_samples_list_their_files() {
    let Some(d) = sample("pkg/product.pkg") else {
        return;
    };
    let n = scan("product.pkg", &d);
    assert!(n.info.errors.is_empty(), "{:?}", n.info.errors);
    let x = xar_info(&n);
    assert_eq!(x.toc_checksum_ok, Some(true));
    assert_eq!(x.pkg.as_ref().map(|p| p.kind), Some("product"));
}

/// Seeded mutations of the samples: never a panic, whatever the bytes.
#[test]
fn mutated_samples_do_not_panic() {
    let mut seeds = Vec::new();
    for s in [
        "pkg/product.pkg",
        "xar/none.xar",
        "xar/bzip2.xar",
        "xar/xz.xar",
    ] {
        if let Some(d) = sample(s) {
            seeds.push(d);
        }
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in &seeds {
        for _ in 0..300 {
            let mut d = seed.clone();
            let flips = 1 + next() % 8;
            for _ in 0..flips {
                let i = (next() % d.len() as u64) as usize;
                d[i] = next() as u8;
            }
            if next() % 5 == 0 {
                let keep = (next() % d.len() as u64) as usize;
                d.truncate(keep);
            }
            let r = Scanner::new().scan_bytes("m.xar", &d);
            assert_eq!(r.stats.panics, 0);
        }
    }
}
