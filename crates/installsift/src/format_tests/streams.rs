//! The engine over the compressed streams, tar and cpio: limits bound what
//! a stream decodes to, depth stops the walk, names come from the node.

use crate::report::Node;
use crate::test_support::*;
use crate::{Check, Format, Limit, Limits, Scanner};

fn gzip_of(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("write");
    e.finish().expect("finish")
}

fn limit_of(n: &Node) -> Option<Limit> {
    n.info.errors.iter().find_map(|e| e.limit_hit())
}

/// A gzip of 4 MiB of zeros (about 1,000:1) against a ratio of 10: the
/// child stops at the limit instead of decoding everything.
#[test]
fn a_gzip_bomb_stops_at_the_ratio_limit() {
    let bomb = gzip_of(&vec![0u8; 4 << 20]);
    let limits = Limits {
        max_ratio: 10,
        ..Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("zeros.gz", &bomb);
    assert_eq!(r.root.info.format, Format::Gzip);
    let child = &r.root.children[0];
    assert_eq!(
        limit_of(child),
        Some(Limit::MaxRatio),
        "{:?}",
        child.info.errors
    );
    assert!(child.info.sha256.is_none());
    // Zeros compress past the default ratio too (about 1,030:1); with room
    // for them the stream decodes, and its trailer agrees.
    let roomy = Limits {
        max_ratio: 100_000,
        ..Limits::default()
    };
    let r = Scanner::new()
        .with_limits(roomy)
        .scan_bytes("zeros.gz", &bomb);
    let child = &r.root.children[0];
    assert_eq!(child.info.size, 4 << 20);
    assert_eq!(child.info.verified_by, [Check::GzipCrc32]);
    assert_eq!(child.info.path.last().map(String::as_str), Some("zeros"));
}

/// An `.lzma` header declaring more than the entry limit: refused before
/// anything is decoded.
#[test]
fn an_lzma_declaring_too_much_is_refused_up_front() {
    let Some(d) = sample("streams/ustar.tar.lzma") else {
        return;
    };
    let limits = Limits {
        max_entry_size: 4096,
        ..Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("x.tar.lzma", &d);
    assert_eq!(r.root.info.format, Format::Lzma);
    assert_eq!(limit_of(&r.root.children[0]), Some(Limit::MaxEntrySize));
}

/// `--max-depth 1` lists the gzip's child but does not open the tar.
#[test]
fn depth_stops_below_the_stream() {
    let Some(d) = sample("streams/ustar.tar.gz") else {
        return;
    };
    let limits = Limits {
        max_depth: 0,
        ..Limits::default()
    };
    let r = Scanner::new()
        .with_limits(limits)
        .scan_bytes("ustar.tar.gz", &d);
    let tar = &r.root.children[0];
    assert_eq!(tar.info.format, Format::Tar);
    assert!(tar.children.is_empty());
    let r = Scanner::new().scan_bytes("ustar.tar.gz", &d);
    assert_eq!(r.root.children[0].children.len(), 4);
}
